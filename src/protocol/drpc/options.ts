import { type ReceiveOptions, type ResolvedReceiveOptions, resolveReceiveOptions } from '../../call/receive-options.js';
import { DEFAULT_MAX_PACKET_SIZE } from './frame.js';
import { DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_METADATA_ENTRIES } from './invoke-metadata.js';
import { DEFAULT_SPLIT_SIZE } from './packet-writer.js';
import { DEFAULT_WRITE_BUFFER_SIZE, type Defer, defaultDefer } from './frame-writer.js';

/**
 * CancelMode is how a client abandons an unfinished upstream stream: 'soft'
 * sends a Cancel packet (control bit set, as Go does) and keeps the
 * connection; 'hard' closes the connection. Multiplexed connections always
 * cancel softly.
 */
export type CancelMode = 'soft' | 'hard';

/** DrpcSessionOptions configure one drpc connection (client or server role); the receive budgets are ReceiveOptions. */
export interface DrpcSessionOptions extends ReceiveOptions {
  /** maxPacketSize bounds an assembled packet's data in both directions (default 4 MiB, Go's reader limit). */
  maxPacketSize?: number;
  /** splitSize is the largest frame data written (default 64 KiB as Go; negative: never split). */
  splitSize?: number;
  /** cancel is the client's cancel mode on upstream connections (default 'soft'). */
  cancel?: CancelMode;
  /** maxConcurrentStreams caps the streams a multiplexing server runs at once (default 1024); more are refused with an Error packet. */
  maxConcurrentStreams?: number;
  /** defer schedules the coalesced write flush (default: end of the event-loop turn). */
  defer?: Defer;
  /** writeBufferSize is how many bytes of one turn's packets are coalesced before they are written without waiting for the turn to end (default 8 KiB; Infinity: one write per turn). */
  writeBufferSize?: number;
  /** maxPendingBytes is the multiplexed variant's budget for unfinished packets (frames of a message still arriving) over all streams of a connection (default 16 MiB); over it the stream holding the most fails with RESOURCE_EXHAUSTED. */
  maxPendingBytes?: number;
  /** maxMetadataEntries caps the entries of a received InvokeMetadata (default 1024); over it a server refuses that stream with an Error packet (RESOURCE_EXHAUSTED), the connection kept. */
  maxMetadataEntries?: number;
  /** maxMetadataBytes caps the key plus value bytes of a received InvokeMetadata (default 8 KiB, like gRPC's header limit); over it as maxMetadataEntries. */
  maxMetadataBytes?: number;
}

/** ResolvedDrpcOptions are options with every default filled in. */
export type ResolvedDrpcOptions = Required<DrpcSessionOptions> & ResolvedReceiveOptions;

/** resolveDrpcOptions fills defaults and checks bounds; throws RangeError on a bad value. */
export function resolveDrpcOptions(o: DrpcSessionOptions = {}): ResolvedDrpcOptions {
  const r: ResolvedDrpcOptions = {
    maxPacketSize: o.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
    splitSize: o.splitSize ?? DEFAULT_SPLIT_SIZE,
    ...resolveReceiveOptions(o),
    cancel: o.cancel ?? 'soft',
    maxConcurrentStreams: o.maxConcurrentStreams ?? 1024,
    defer: o.defer ?? defaultDefer,
    writeBufferSize: o.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE,
    maxPendingBytes: o.maxPendingBytes ?? 16 * 1024 * 1024,
    maxMetadataEntries: o.maxMetadataEntries ?? DEFAULT_MAX_METADATA_ENTRIES,
    maxMetadataBytes: o.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES,
  };
  if (!(Number.isSafeInteger(r.maxPacketSize) && r.maxPacketSize > 0)) throw new RangeError('maxPacketSize must be a positive integer');
  if (!Number.isSafeInteger(r.splitSize)) throw new RangeError('splitSize must be an integer');
  if (r.cancel !== 'soft' && r.cancel !== 'hard') throw new RangeError("cancel must be 'soft' or 'hard'");
  if (!(r.maxConcurrentStreams >= 1)) throw new RangeError('maxConcurrentStreams must be >= 1');
  if (!(r.writeBufferSize >= 1)) throw new RangeError('writeBufferSize must be >= 1');
  if (!(r.maxPendingBytes >= 1)) throw new RangeError('maxPendingBytes must be >= 1');
  if (!(Number.isSafeInteger(r.maxMetadataEntries) && r.maxMetadataEntries >= 0)) throw new RangeError('maxMetadataEntries must be a non-negative integer');
  if (!(Number.isSafeInteger(r.maxMetadataBytes) && r.maxMetadataBytes >= 0)) throw new RangeError('maxMetadataBytes must be a non-negative integer');
  return r;
}

/**
 * splitRpcName turns `/pkg.Service/Method` into service and method names for
 * a CallRouter; undefined when the name does not have that shape (such an
 * rpc is unknown to every router).
 */
export function splitRpcName(rpc: string): { service: string; method: string } | undefined {
  if (!rpc.startsWith('/')) return undefined;
  const i = rpc.lastIndexOf('/');
  if (i <= 1 || i === rpc.length - 1) return undefined;
  return { service: rpc.slice(1, i), method: rpc.slice(i + 1) };
}
