/**
 * Hand-written protobuf codec for the ttrpc envelopes (`ttrpc.Request`,
 * `ttrpc.Response`, `ttrpc.KeyValue`, `google.rpc.Status`,
 * `google.protobuf.Any`). Encoding is byte-identical to Go: ascending field
 * order, proto3 defaults omitted. Decoding skips unknown fields (including
 * known field numbers with an unexpected wire type, as google.golang.org/protobuf
 * does), returns payloads as zero-copy views and throws only ProtocolError.
 */
import type { Status, StatusDetail } from '../../status/status.js';
import { Code } from '../../status/code.js';
import { malformed } from './protocol-error.js';
import { type KeyValue, type MetadataLimits, MetadataBudget } from './request-metadata.js';
import { WireReader } from './wire-reader.js';
import {
  bytesFieldSize, checkInt64, int64Size, stringFieldSize, varintSize,
  writeBytesField, writeInt64, writeStringField, writeVarint32,
} from './wire-writer.js';
import { allocate } from './slab.js';

export type { KeyValue, MetadataLimits } from './request-metadata.js';

/** Request is the `ttrpc.Request` envelope that opens a stream. */
export interface Request {
  /** service is the fully qualified protobuf service name. */
  service: string;
  /** method is the bare method name. */
  method: string;
  /** payload is the serialized request message (empty = omitted). */
  payload: Uint8Array;
  /** timeoutNano is the relative timeout in nanoseconds, 0 = none; decoding clamps beyond ±2^53. */
  timeoutNano: number;
  /** metadata lists the entries in wire order; repeated keys keep their order. */
  metadata: readonly KeyValue[];
}

/** Response is the `ttrpc.Response` envelope that ends a stream. */
export interface Response {
  /** status is absent on success; when given it is encoded, even if its code is 0. */
  status?: Status | undefined;
  /** payload is the serialized response message (empty = omitted). */
  payload: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** REQUEST_PAYLOAD_TAG is the tag of `Request.payload` (field 3, length-delimited); the fields after it are optional. */
export const REQUEST_PAYLOAD_TAG = 0x1a;

/** RESPONSE_PAYLOAD_TAG is the tag of `Response.payload` (field 2, length-delimited), the last field of a Response. */
export const RESPONSE_PAYLOAD_TAG = 0x12;

// Field tags (field number << 3 | wire type); every field here is length-delimited except timeout/code.
const TAG_1_LEN = 0x0a;
const TAG_2_LEN = 0x12;
const TAG_3_LEN = 0x1a;
const TAG_4_VARINT = 0x20;
const TAG_5_LEN = 0x2a;
const TAG_1_VARINT = 0x08;

function keyValueSize(kv: KeyValue): number {
  return stringFieldSize(kv.key) + stringFieldSize(kv.value);
}

function anySize(d: StatusDetail): number {
  return stringFieldSize(d.typeUrl) + bytesFieldSize(d.value);
}

/** statusSize returns the encoded size of a `google.rpc.Status` body; throws ProtocolError if the code is not an int32. */
export function statusSize(s: Status): number {
  if ((s.code | 0) !== s.code) throw malformed(`status code ${s.code} is not a 32-bit integer`);
  let n = (s.code === 0 ? 0 : 1 + int64Size(s.code)) + stringFieldSize(s.message);
  for (const d of s.details) {
    const len = anySize(d);
    n += 1 + varintSize(len) + len;
  }
  return n;
}

/** writeStatus writes a `google.rpc.Status` body at `pos` and returns the next offset. */
export function writeStatus(buf: Uint8Array, pos: number, s: Status): number {
  if (s.code !== 0) {
    buf[pos++] = TAG_1_VARINT;
    pos = writeInt64(buf, pos, s.code);
  }
  if (s.message.length !== 0) pos = writeStringField(buf, pos, TAG_2_LEN, s.message);
  for (const d of s.details) {
    buf[pos++] = TAG_3_LEN;
    pos = writeVarint32(buf, pos, anySize(d));
    if (d.typeUrl.length !== 0) pos = writeStringField(buf, pos, TAG_1_LEN, d.typeUrl);
    if (d.value.length !== 0) pos = writeBytesField(buf, pos, TAG_2_LEN, d.value);
  }
  return pos;
}

/** requestSize returns the encoded size of a Request; throws ProtocolError INVALID_ARGUMENT for a bad timeout. */
export function requestSize(req: Request): number {
  checkInt64(req.timeoutNano, 'timeoutNano');
  let n = stringFieldSize(req.service) + stringFieldSize(req.method) + bytesFieldSize(req.payload);
  if (req.timeoutNano !== 0) n += 1 + int64Size(req.timeoutNano);
  for (const kv of req.metadata) {
    const len = keyValueSize(kv);
    n += 1 + varintSize(len) + len;
  }
  return n;
}

/**
 * writeRequest writes a Request at `offset` of `target` (sized with
 * requestSize) and returns the offset after it. Throws ProtocolError
 * INVALID_ARGUMENT if it did not fit.
 */
export function writeRequest(target: Uint8Array, offset: number, req: Request): number {
  let pos = offset;
  if (req.service.length !== 0) pos = writeStringField(target, pos, TAG_1_LEN, req.service);
  if (req.method.length !== 0) pos = writeStringField(target, pos, TAG_2_LEN, req.method);
  if (req.payload.length !== 0) pos = writeBytesField(target, pos, TAG_3_LEN, req.payload);
  if (req.timeoutNano !== 0) {
    target[pos++] = TAG_4_VARINT;
    pos = writeInt64(target, pos, req.timeoutNano);
  }
  for (const kv of req.metadata) {
    target[pos++] = TAG_5_LEN;
    const { key, value } = kv;
    if (key.length + value.length <= 40) {
      // Key and value fit in at most 124 bytes, so the entry length is one varint byte: backfill it.
      const at = pos++;
      if (key.length !== 0) pos = writeStringField(target, pos, TAG_1_LEN, key);
      if (value.length !== 0) pos = writeStringField(target, pos, TAG_2_LEN, value);
      target[at] = pos - at - 1;
    } else {
      pos = writeVarint32(target, pos, keyValueSize(kv));
      if (key.length !== 0) pos = writeStringField(target, pos, TAG_1_LEN, key);
      if (value.length !== 0) pos = writeStringField(target, pos, TAG_2_LEN, value);
    }
  }
  if (pos > target.length) throw malformed('request does not fit in the target buffer');
  return pos;
}

/** encodeRequest returns the Request in an exactly sized array (small ones are views into a pooled slab); throws ProtocolError for unencodable values. */
export function encodeRequest(req: Request): Uint8Array {
  const out = allocate(requestSize(req));
  writeRequest(out, 0, req);
  return out;
}

/**
 * encodeRequestPrefix encodes the fields before the payload (service and
 * method): a Request without timeout and metadata is this prefix followed by
 * the payload field (REQUEST_PAYLOAD_TAG), so callers can cache it per method.
 */
export function encodeRequestPrefix(service: string, method: string): Uint8Array {
  return encodeRequest({ service, method, payload: EMPTY, timeoutNano: 0, metadata: [] });
}

/**
 * decodeRequest parses a Request; payload is a view into `data`. Throws
 * ProtocolError INVALID_ARGUMENT on malformed input, and MetadataTooLargeError
 * (RESOURCE_EXHAUSTED) as soon as the metadata goes over `limits` (default
 * 1024 entries, 8 KiB of keys and values): decoding stops there.
 */
export function decodeRequest(data: Uint8Array, limits?: MetadataLimits): Request {
  const r = new WireReader(data);
  let service = '';
  let method = '';
  let payload = EMPTY;
  let timeoutNano = 0;
  const metadata: KeyValue[] = [];
  let budget: MetadataBudget | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case TAG_1_LEN: service = r.internedString(); break;
      case TAG_2_LEN: method = r.internedString(); break;
      case TAG_3_LEN: payload = r.bytes(); break;
      case TAG_4_VARINT: timeoutNano = r.int64(); break;
      case TAG_5_LEN: metadata.push((budget ??= new MetadataBudget(limits)).readKeyValue(r)); break;
      default: r.skip(tag & 7);
    }
  }
  return { service, method, payload, timeoutNano, metadata };
}

/** responseSize returns the encoded size of a Response; throws ProtocolError for a non-int32 status code. */
export function responseSize(res: Response): number {
  let n = bytesFieldSize(res.payload);
  if (res.status !== undefined) {
    const len = statusSize(res.status);
    n += 1 + varintSize(len) + len;
  }
  return n;
}

/** writeResponse writes a Response at `offset` of `target` (sized with responseSize) and returns the offset after it. */
export function writeResponse(target: Uint8Array, offset: number, res: Response): number {
  let pos = offset;
  if (res.status !== undefined) {
    target[pos++] = TAG_1_LEN;
    pos = writeVarint32(target, pos, statusSize(res.status));
    pos = writeStatus(target, pos, res.status);
  }
  if (res.payload.length !== 0) pos = writeBytesField(target, pos, TAG_2_LEN, res.payload);
  if (pos > target.length) throw malformed('response does not fit in the target buffer');
  return pos;
}

/** encodeResponse returns the Response in an exactly sized array (small ones are views into a pooled slab); throws ProtocolError for unencodable values. */
export function encodeResponse(res: Response): Uint8Array {
  const out = allocate(responseSize(res));
  writeResponse(out, 0, res);
  return out;
}

/** decodeResponse parses a Response; repeated status fields merge as in protobuf. Throws ProtocolError INVALID_ARGUMENT on malformed input. */
export function decodeResponse(data: Uint8Array): Response {
  const r = new WireReader(data);
  let status: Status | undefined;
  let payload = EMPTY;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === TAG_1_LEN) status = readStatus(r, status);
    else if (tag === TAG_2_LEN) payload = r.bytes();
    else r.skip(tag & 7);
  }
  return { status, payload };
}

/** decodeStatus parses a `google.rpc.Status` body; throws ProtocolError INVALID_ARGUMENT on malformed input. */
export function decodeStatus(data: Uint8Array): Status {
  return readStatusFields(new WireReader(data), undefined);
}

function readStatus(r: WireReader, merge: Status | undefined): Status {
  const len = r.length();
  const outer = r.end;
  r.end = r.pos + len;
  const s = readStatusFields(r, merge);
  r.end = outer;
  return s;
}

/** MAX_STATUS_DETAILS bounds the details of a received status: a peer cannot make decoding allocate without limit (gRPC's own statuses carry a handful). */
export const MAX_STATUS_DETAILS = 1024;

function readStatusFields(r: WireReader, merge: Status | undefined): Status {
  let code: number = merge?.code ?? Code.OK;
  let message = merge?.message ?? '';
  // A repeated Status field merges into the list decoded so far (ours, never shared), so merging stays linear.
  const details = (merge ? merge.details : []) as StatusDetail[];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === TAG_1_VARINT) code = r.int32();
    else if (tag === TAG_2_LEN) message = r.string();
    else if (tag === TAG_3_LEN) {
      if (details.length === MAX_STATUS_DETAILS) throw malformed(`status has more than ${MAX_STATUS_DETAILS} details`);
      details.push(readAny(r));
    } else r.skip(tag & 7);
  }
  return { code, message, details };
}

function readAny(r: WireReader): StatusDetail {
  const len = r.length();
  const outer = r.end;
  r.end = r.pos + len;
  let typeUrl = '';
  let value = EMPTY;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === TAG_1_LEN) typeUrl = r.internedString();
    else if (tag === TAG_2_LEN) value = r.bytes();
    else r.skip(tag & 7);
  }
  r.end = outer;
  return { typeUrl, value };
}
