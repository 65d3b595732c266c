import { MAX_MESSAGE_LENGTH } from './frame.js';
import { DEFAULT_WRITE_BUFFER_SIZE, type Defer, defaultDefer } from './frame-writer.js';

/** TtrpcSessionOptions configure one ttrpc connection (client or server role). */
export interface TtrpcSessionOptions {
  /** maxMessageLength bounds a frame's data in both directions (default and maximum useful value: 4 MiB, the ttrpc limit). */
  maxMessageLength?: number;
  /** maxQueuedMessages bounds the unread messages held per stream (default 64, like Go); over it the stream fails with RESOURCE_EXHAUSTED. */
  maxQueuedMessages?: number;
  /** maxQueuedBytes bounds the unread bytes held per stream (default 16 MiB). */
  maxQueuedBytes?: number;
  /** defer schedules the coalesced write flush (default: end of the event-loop turn). */
  defer?: Defer;
  /** writeBufferSize is how many bytes of one turn's frames are coalesced before they are written without waiting for the turn to end (default 8 KiB; Infinity: one write per turn). */
  writeBufferSize?: number;
}

/** ResolvedTtrpcOptions are options with every default filled in. */
export type ResolvedTtrpcOptions = Required<TtrpcSessionOptions>;

/** resolveTtrpcOptions fills defaults and checks bounds (throws RangeError on a bad value). */
export function resolveTtrpcOptions(o: TtrpcSessionOptions = {}): ResolvedTtrpcOptions {
  const r: ResolvedTtrpcOptions = {
    maxMessageLength: o.maxMessageLength ?? MAX_MESSAGE_LENGTH,
    maxQueuedMessages: o.maxQueuedMessages ?? 64,
    maxQueuedBytes: o.maxQueuedBytes ?? 16 * 1024 * 1024,
    defer: o.defer ?? defaultDefer,
    writeBufferSize: o.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE,
  };
  if (!(r.maxMessageLength > 0 && r.maxMessageLength <= 0xffffffff)) throw new RangeError('maxMessageLength must be in 1..2^32-1');
  if (!(r.maxQueuedMessages >= 1)) throw new RangeError('maxQueuedMessages must be >= 1');
  if (!(r.maxQueuedBytes >= 1)) throw new RangeError('maxQueuedBytes must be >= 1');
  if (!(r.writeBufferSize >= 1)) throw new RangeError('writeBufferSize must be >= 1');
  return r;
}

/** splitMethod turns `/pkg.Service/Method` into ttrpc's service and method fields. */
export function splitMethod(full: string): { service: string; method: string } {
  const s = full.startsWith('/') ? full.slice(1) : full;
  const i = s.lastIndexOf('/');
  if (i < 0) return { service: '', method: s };
  return { service: s.slice(0, i), method: s.slice(i + 1) };
}
