/**
 * Flushes that reactions cause run when their scheduler turn ends. A turn is
 * itself a `setImmediate` callback (the check phase), so a flush deferred
 * with `setImmediate` from inside a reaction would wait for the next loop
 * iteration, after another poll phase: the replies a batch of handlers
 * produced, or the requests a batch of onDone reactions started, would reach
 * the peer one iteration late. Outside a turn (socket callbacks, promise
 * continuations) the flush is deferred with `setImmediate` as before, which
 * runs in the check phase of the same iteration.
 * @internal
 */

// Nesting depth of running turns (turns of one scheduler never nest; two schedulers' may).
let depth = 0;
let pending: Array<() => void> = [];

/** atTurnEnd runs `run` once the running scheduler turn has ended, or with setImmediate when no turn is running. @internal */
export function atTurnEnd(run: () => void): void {
  if (depth > 0) pending.push(run);
  else setImmediate(run);
}

/** turnBegins marks the start of a scheduler turn. @internal */
export function turnBegins(): void {
  depth++;
}

/** turnEnds marks its end; the outermost turn's end runs what atTurnEnd collected, in order. @internal */
export function turnEnds(): void {
  if (--depth > 0) return;
  const list = pending;
  if (list.length === 0) return;
  pending = [];
  for (const run of list) {
    try {
      run();
    } catch (error) {
      // As from a setImmediate callback: uncaught, but the other flushes still run.
      setImmediate(() => {
        throw error;
      });
    }
  }
}
