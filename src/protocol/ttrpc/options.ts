import { type ReceiveOptions, type ResolvedReceiveOptions, resolveReceiveOptions } from '../../call/receive-options.js';
import { MAX_MESSAGE_LENGTH } from './frame.js';
import { DEFAULT_WRITE_BUFFER_SIZE, type Defer, defaultDefer } from './frame-writer.js';
import { DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_METADATA_ENTRIES } from './request-metadata.js';

/** TtrpcSessionOptions configure one ttrpc connection (client or server role); the receive budgets are ReceiveOptions. */
export interface TtrpcSessionOptions extends ReceiveOptions {
  /** maxMessageLength bounds a frame's data in both directions (default and maximum useful value: 4 MiB, the ttrpc limit). */
  maxMessageLength?: number;
  /** defer schedules the coalesced write flush (default: end of the event-loop turn). */
  defer?: Defer;
  /** writeBufferSize is how many bytes of one turn's frames are coalesced before they are written without waiting for the turn to end (default 8 KiB; Infinity: one write per turn). */
  writeBufferSize?: number;
  /** maxConcurrentStreams caps the calls a server runs at once per connection (default 1024); a Request over it is answered RESOURCE_EXHAUSTED on its stream, the connection kept. Clients ignore it. */
  maxConcurrentStreams?: number;
  /** maxMetadataEntries caps the metadata entries of a received Request (default 1024); over it a server answers RESOURCE_EXHAUSTED on that stream, the connection kept. */
  maxMetadataEntries?: number;
  /** maxMetadataBytes caps the key plus value bytes of a received Request's metadata (default 8 KiB, like gRPC's header limit); over it as maxMetadataEntries. */
  maxMetadataBytes?: number;
}

/** ResolvedTtrpcOptions are options with every default filled in. */
export type ResolvedTtrpcOptions = Required<TtrpcSessionOptions> & ResolvedReceiveOptions;

/** resolveTtrpcOptions fills defaults and checks bounds (throws RangeError on a bad value). */
export function resolveTtrpcOptions(o: TtrpcSessionOptions = {}): ResolvedTtrpcOptions {
  const r: ResolvedTtrpcOptions = {
    maxMessageLength: o.maxMessageLength ?? MAX_MESSAGE_LENGTH,
    ...resolveReceiveOptions(o),
    defer: o.defer ?? defaultDefer,
    writeBufferSize: o.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE,
    maxConcurrentStreams: o.maxConcurrentStreams ?? 1024,
    maxMetadataEntries: o.maxMetadataEntries ?? DEFAULT_MAX_METADATA_ENTRIES,
    maxMetadataBytes: o.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES,
  };
  if (!(r.maxMessageLength > 0 && r.maxMessageLength <= 0xffffffff)) throw new RangeError('maxMessageLength must be in 1..2^32-1');
  if (!(r.writeBufferSize >= 1)) throw new RangeError('writeBufferSize must be >= 1');
  if (!(Number.isSafeInteger(r.maxConcurrentStreams) && r.maxConcurrentStreams >= 1)) throw new RangeError('maxConcurrentStreams must be a positive integer');
  if (!(Number.isSafeInteger(r.maxMetadataEntries) && r.maxMetadataEntries >= 0)) throw new RangeError('maxMetadataEntries must be a non-negative integer');
  if (!(Number.isSafeInteger(r.maxMetadataBytes) && r.maxMetadataBytes >= 0)) throw new RangeError('maxMetadataBytes must be a non-negative integer');
  return r;
}

/** splitMethod turns `/pkg.Service/Method` into ttrpc's service and method fields. */
export function splitMethod(full: string): { service: string; method: string } {
  const s = full.startsWith('/') ? full.slice(1) : full;
  const i = s.lastIndexOf('/');
  if (i < 0) return { service: '', method: s };
  return { service: s.slice(0, i), method: s.slice(i + 1) };
}
