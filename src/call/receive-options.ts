/**
 * The receive budgets every session shares (ttrpc, drpc, multiplexed drpc).
 * Neither protocol has flow control on the wire: these limits decide when a
 * session stops reading its connection (backpressure) and when it gives up
 * on a stream that does not read (README "Limits and backpressure").
 */

/** ReceiveOptions are a connection's receive budgets. */
export interface ReceiveOptions {
  /** maxQueuedMessages is how many unread messages a stream holds before the connection stops reading (default 256); read down to half, it reads again. */
  maxQueuedMessages?: number;
  /** maxQueuedBytes is how many unread bytes a stream holds before the connection stops reading (default 4 MiB); read down to half, it reads again. */
  maxQueuedBytes?: number;
  /** maxConnectionQueuedBytes is the budget of unread bytes (plus 64 per message) over all streams of a connection before it stops reading (default 16 MiB). */
  maxConnectionQueuedBytes?: number;
  /** receiveStallTimeoutMs is how long a stream that holds up its connection may go without being read before it fails with RESOURCE_EXHAUSTED (default 5000). */
  receiveStallTimeoutMs?: number;
  /** maxPendingWriteBytes is how many written bytes the peer may leave unread before a server stops reading new requests from it (default 1 MiB). */
  maxPendingWriteBytes?: number;
}

/** ResolvedReceiveOptions are receive options with every default filled in. */
export type ResolvedReceiveOptions = Required<ReceiveOptions>;

/** RECEIVE_DEFAULTS are the documented defaults of ReceiveOptions. */
export const RECEIVE_DEFAULTS: ResolvedReceiveOptions = Object.freeze({
  maxQueuedMessages: 256,
  maxQueuedBytes: 4 * 1024 * 1024,
  maxConnectionQueuedBytes: 16 * 1024 * 1024,
  receiveStallTimeoutMs: 5000,
  maxPendingWriteBytes: 1024 * 1024,
});

/** resolveReceiveOptions fills defaults and checks bounds (throws RangeError on a bad value). */
export function resolveReceiveOptions(o: ReceiveOptions): ResolvedReceiveOptions {
  const r: ResolvedReceiveOptions = {
    maxQueuedMessages: o.maxQueuedMessages ?? RECEIVE_DEFAULTS.maxQueuedMessages,
    maxQueuedBytes: o.maxQueuedBytes ?? RECEIVE_DEFAULTS.maxQueuedBytes,
    maxConnectionQueuedBytes: o.maxConnectionQueuedBytes ?? RECEIVE_DEFAULTS.maxConnectionQueuedBytes,
    receiveStallTimeoutMs: o.receiveStallTimeoutMs ?? RECEIVE_DEFAULTS.receiveStallTimeoutMs,
    maxPendingWriteBytes: o.maxPendingWriteBytes ?? RECEIVE_DEFAULTS.maxPendingWriteBytes,
  };
  if (!(r.maxQueuedMessages >= 1)) throw new RangeError('maxQueuedMessages must be >= 1');
  if (!(r.maxQueuedBytes >= 1)) throw new RangeError('maxQueuedBytes must be >= 1');
  if (!(r.maxConnectionQueuedBytes >= 1)) throw new RangeError('maxConnectionQueuedBytes must be >= 1');
  if (!(r.receiveStallTimeoutMs >= 1 && r.receiveStallTimeoutMs <= 2 ** 31 - 1)) throw new RangeError('receiveStallTimeoutMs must be in 1..2^31-1');
  if (!(r.maxPendingWriteBytes >= 1)) throw new RangeError('maxPendingWriteBytes must be >= 1');
  return r;
}
