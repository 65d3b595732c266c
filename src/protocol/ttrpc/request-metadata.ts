/**
 * Limits on the metadata of a received `ttrpc.Request`, in the spirit of
 * gRPC's 8 KiB header limit. Decoding stops at the first entry or byte over
 * a limit, so a request packed with millions of tiny entries costs no more
 * than the limit allows (the list is never materialised).
 */
import { Code } from '../../status/code.js';
import { ProtocolError } from './protocol-error.js';
import type { WireReader } from './wire-reader.js';

/** DEFAULT_MAX_METADATA_ENTRIES is the default limit on the KeyValue entries of one Request. */
export const DEFAULT_MAX_METADATA_ENTRIES = 1024;

/** DEFAULT_MAX_METADATA_BYTES is the default limit on the key plus value bytes of one Request's metadata (8 KiB). */
export const DEFAULT_MAX_METADATA_BYTES = 8192;

/** MetadataLimits bounds the metadata a decoder accepts; omitted fields take the defaults. */
export interface MetadataLimits {
  /** maxMetadataEntries is the largest number of entries (default DEFAULT_MAX_METADATA_ENTRIES). */
  maxMetadataEntries?: number;
  /** maxMetadataBytes is the largest total of key and value bytes (default DEFAULT_MAX_METADATA_BYTES). */
  maxMetadataBytes?: number;
}

/**
 * MetadataTooLargeError is the ProtocolError (code RESOURCE_EXHAUSTED) thrown
 * when a Request's metadata goes over a limit; its `rawMessage` reads
 * `ttrpc: request metadata exceeds 1024 entries` (or `… 8192 bytes`).
 */
export class MetadataTooLargeError extends ProtocolError {
  /** limit names the limit that was exceeded. */
  readonly limit: 'entries' | 'bytes';
  /** max is the value of that limit. */
  readonly max: number;

  /** constructor builds the error for the exceeded limit. */
  constructor(limit: 'entries' | 'bytes', max: number) {
    super(Code.RESOURCE_EXHAUSTED, `ttrpc: request metadata exceeds ${max} ${limit}`);
    this.name = 'MetadataTooLargeError';
    this.limit = limit;
    this.max = max;
  }
}

/** KeyValue is one `ttrpc.KeyValue` metadata entry. */
export interface KeyValue {
  /** key is the metadata key as sent (clients should send lower case). */
  key: string;
  /** value is one value for the key. */
  value: string;
}

/** MetadataBudget tracks one Request's metadata against its limits while it is decoded. */
export class MetadataBudget {
  /** entries is the number of entries decoded so far. */
  entries = 0;
  /** bytes is the number of key and value bytes decoded so far. */
  bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  /** constructor takes the limits (defaults filled in). */
  constructor(limits: MetadataLimits | undefined) {
    this.maxEntries = limits?.maxMetadataEntries ?? DEFAULT_MAX_METADATA_ENTRIES;
    this.maxBytes = limits?.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  }

  /**
   * readKeyValue reads the length-delimited KeyValue at the reader's position,
   * charging it to the budget before any text is decoded. Throws
   * MetadataTooLargeError over a limit, ProtocolError on malformed input.
   */
  readKeyValue(r: WireReader): KeyValue {
    if (this.entries >= this.maxEntries) throw new MetadataTooLargeError('entries', this.maxEntries);
    this.entries++;
    const len = r.length();
    const outer = r.end;
    r.end = r.pos + len;
    let key = '';
    let value = '';
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === TAG_KEY || tag === TAG_VALUE) {
        const n = r.length();
        this.bytes += n;
        if (this.bytes > this.maxBytes) throw new MetadataTooLargeError('bytes', this.maxBytes);
        if (tag === TAG_KEY) key = r.internedStringOf(n);
        else value = r.stringOf(n);
      } else {
        r.skip(tag & 7);
      }
    }
    r.end = outer;
    return { key, value };
  }
}

const TAG_KEY = 0x0a;
const TAG_VALUE = 0x12;
