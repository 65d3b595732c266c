/**
 * soon runs callbacks in a microtask, in the order they were queued, like
 * queueMicrotask, but batched: every callback queued before the batch runs
 * shares one queueMicrotask (Node allocates an async resource for each
 * queueMicrotask call, which is measurable on per-call paths). A callback that
 * throws is reported like a throwing queueMicrotask callback (an uncaught
 * exception); the callbacks after it still run, in a new batch.
 */

type Callback = (arg: unknown) => void;

/** MAX_KEPT is the longest pair of lists kept between batches (longer ones, from a burst, are dropped). */
const MAX_KEPT = 1 << 14;

// The first `count` entries are queued; the lists are kept from batch to batch (entries past the
// count are cleared) so a batch does not grow new lists every time: with many calls in flight a
// batch holds one entry per call.
let fns: Callback[] = [];
let args: unknown[] = [];
let count = 0;
let scheduled = false;

function drain(): void {
  scheduled = false;
  let i = 0;
  try {
    // Callbacks queued while draining join this batch, keeping FIFO order.
    for (; i < count; i++) fns[i]!(args[i]);
  } finally {
    const n = count;
    if (i + 1 < n) {
      // A callback threw: run the rest in a new batch, then let the error propagate.
      fns = fns.slice(i + 1, n);
      args = args.slice(i + 1, n);
      count = n - i - 1;
      scheduled = true;
      queueMicrotask(drain);
    } else {
      count = 0;
      if (n > MAX_KEPT) {
        fns = [];
        args = [];
      } else {
        fns.fill(undefined as unknown as Callback, 0, n);
        args.fill(undefined, 0, n);
      }
    }
  }
}

/** soon runs fn(arg) in a later microtask (FIFO with other soon callbacks). */
export function soon<T>(fn: (arg: T) => void, arg: T): void {
  fns[count] = fn as Callback;
  args[count] = arg;
  count++;
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(drain);
  }
}
