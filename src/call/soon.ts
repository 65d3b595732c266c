/**
 * soon runs callbacks in a microtask, in the order they were queued, like
 * queueMicrotask, but batched: every callback queued before the batch runs
 * shares one queueMicrotask (Node allocates an async resource for each
 * queueMicrotask call, which is measurable on per-call paths). A callback that
 * throws is reported like a throwing queueMicrotask callback (an uncaught
 * exception); the callbacks after it still run, in a new batch.
 */

type Callback = (arg: unknown) => void;

let fns: Callback[] = [];
let args: unknown[] = [];
let scheduled = false;

function drain(): void {
  scheduled = false;
  let i = 0;
  try {
    // Callbacks queued while draining join this batch, keeping FIFO order.
    for (; i < fns.length; i++) fns[i]!(args[i]);
  } finally {
    if (i + 1 < fns.length) {
      // A callback threw: run the rest in a new batch, then let the error propagate.
      fns = fns.slice(i + 1);
      args = args.slice(i + 1);
      scheduled = true;
      queueMicrotask(drain);
    } else {
      fns.length = 0;
      args.length = 0;
    }
  }
}

/** soon runs fn(arg) in a later microtask (FIFO with other soon callbacks). */
export function soon<T>(fn: (arg: T) => void, arg: T): void {
  fns.push(fn as Callback);
  args.push(arg);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(drain);
  }
}
