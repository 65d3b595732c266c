import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type AddressInfo } from 'node:net';
import { of, observeOn, timer, interval, take, firstValueFrom, toArray } from 'rxjs';
import {
  Scheduler,
  defaultScheduler,
  createManualDefer,
  createFakeClock,
  createConsoleLogger,
  toRxScheduler,
  type SchedulerLogger,
  type ReactionInfo,
  type SlowReactionInfo,
  type SchedulerOptions,
} from '../src/scheduler/index.js';

/** recordingLogger keeps every report. */
function recordingLogger() {
  const errors: { error: unknown; info: ReactionInfo }[] = [];
  const slow: SlowReactionInfo[] = [];
  const logger: SchedulerLogger = {
    reactionError: (error, info) => errors.push({ error, info }),
    slowReaction: (info) => slow.push(info),
  };
  return { logger, errors, slow };
}

/** setup builds a scheduler driven by a manual defer, a fake clock and a recording logger. */
function setup(options: SchedulerOptions = {}) {
  const manual = createManualDefer();
  const clock = createFakeClock();
  const log = recordingLogger();
  const s = new Scheduler({ defer: manual.defer, clock, logger: log.logger, ...options });
  return { s, manual, clock, ...log };
}

/** stackDepth samples the current stack depth. */
function stackDepth(): number {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  const depth = (new Error().stack ?? '').split('\n').length;
  Error.stackTraceLimit = saved;
  return depth;
}

test('a reaction never runs inside the code that queued it, even on an idle loop', () => {
  const { s, manual } = setup();
  const log: string[] = [];
  s.schedule(() => {
    log.push('outer:start');
    s.schedule(() => log.push('inner'));
    log.push('outer:end');
  });
  const q = s.createQueue();
  q.push(() => {
    log.push('q1:start');
    q.push(() => log.push('q2'));
    log.push('q1:end');
  });
  assert.equal(log, [], 'nothing runs synchronously');
  assert.is(manual.pending, 1, 'one turn requested for several reactions');
  manual.turn();
  assert.equal(log, ['outer:start', 'outer:end', 'q1:start', 'q1:end', 'inner', 'q2']);
});

test('a Defer that runs its callback synchronously is refused', () => {
  const s = new Scheduler({ defer: (run) => run(), logger: recordingLogger().logger });
  let ran = 0;
  assert.throws(() => s.schedule(() => ran++), /synchronously/);
  assert.is(ran, 0);
});

test('FIFO per call and across calls', () => {
  const { s, manual } = setup({ batchSize: 4 });
  const a = s.createQueue();
  const b = s.createQueue();
  assert.is.not(a.id, b.id);
  const seen: string[] = [];
  const expected: string[] = [];
  for (let i = 0; i < 20; i++) {
    const target = i % 3;
    const name = `${'abo'[target]}${i}`;
    expected.push(name);
    const run = () => seen.push(name);
    if (target === 0) a.push(run);
    else if (target === 1) b.push(run);
    else s.schedule(run);
  }
  manual.runAll();
  assert.equal(seen, expected);
});

test('pushFinal runs last and once; pushes after it throw', () => {
  const { s, manual } = setup();
  const q = s.createQueue();
  const seen: string[] = [];
  q.push(() => {
    seen.push('a');
    q.push(() => {
      seen.push('b');
      q.pushFinal(() => seen.push('done'));
    });
  });
  q.push(() => seen.push('c'));
  assert.is(q.pending, 2);
  manual.turn();
  assert.equal(seen, ['a', 'c', 'b', 'done']);
  assert.ok(q.done);
  assert.ok(q.sealed);
  assert.is(q.pending, 0);
  assert.throws(() => q.push(() => seen.push('late'), 'onReadDone'), /after pushFinal\(\)/);
  assert.throws(() => q.pushFinal(() => seen.push('again')), /pushFinal\(\) called twice/);
  manual.runAll();
  assert.equal(seen, ['a', 'c', 'b', 'done']);

  const empty = s.createQueue();
  let ran = 0;
  empty.pushFinal(() => ran++);
  assert.is(empty.done, false, 'not done before it ran');
  assert.is(ran, 0);
  manual.runAll();
  assert.is(ran, 1);
  assert.ok(empty.done);
});

test('a throwing reaction is reported and isolated; the call error handler runs before its next reaction', () => {
  const { s, manual, errors } = setup();
  const a = s.createQueue();
  const b = s.createQueue();
  const seen: string[] = [];
  const boom = new Error('boom');
  a.onError((e) => seen.push(`a:onError:${(e as Error).message}`));
  a.push(() => {
    throw boom;
  }, 'onReadDone');
  b.push(() => seen.push('b1'));
  a.push(() => seen.push('a2'));
  a.pushFinal(() => {
    seen.push('a:done');
    throw new Error('in onDone');
  }, 'onDone');
  b.pushFinal(() => seen.push('b:done'));
  s.schedule(() => {
    throw 'not an Error';
  });
  manual.runAll();
  assert.equal(seen, ['a:onError:boom', 'b1', 'a2', 'a:done', 'b:done'], 'handler not called for onDone');
  assert.is(errors.length, 3);
  assert.is(errors[0].error, boom);
  assert.equal(errors[0].info, { callId: a.id, label: 'onReadDone' });
  assert.equal(errors[1].info, { callId: a.id, label: 'onDone' });
  assert.is(errors[2].error, 'not an Error');
  assert.equal(errors[2].info, {});
  assert.is(s.stats().errors, 3);
});

test('a throwing error handler and a throwing logger do not stop the loop', () => {
  const manual = createManualDefer();
  const throwingLogger: SchedulerLogger = {
    reactionError: () => {
      throw new Error('logger down');
    },
    slowReaction: () => {
      throw new Error('logger down');
    },
  };
  const s = new Scheduler({ defer: manual.defer, logger: throwingLogger, clock: createFakeClock() });
  const q = s.createQueue();
  q.onError(() => {
    throw new Error('handler down');
  });
  let after = 0;
  q.push(() => {
    throw new Error('first');
  });
  q.push(() => after++);
  manual.runAll();
  assert.is(after, 1);
  assert.is(s.stats().errors, 2, 'the reaction and its handler');
});

test('with the real setImmediate defer a throwing reaction does not crash the process', async () => {
  const { logger, errors } = recordingLogger();
  const s = new Scheduler({ logger });
  const q = s.createQueue();
  let failed: unknown;
  q.onError((e) => (failed = e));
  q.push(() => {
    throw new RangeError('bad');
  });
  const done = new Promise<void>((resolve) => q.pushFinal(resolve));
  await done;
  assert.instance(failed, RangeError);
  assert.is(errors.length, 1);
});

test('a batch stops after batchSize reactions and defers the rest', () => {
  const { s, manual } = setup({ batchSize: 3 });
  let ran = 0;
  for (let i = 0; i < 10; i++) s.schedule(() => ran++);
  assert.is(s.stats().queued, 10);
  const perTurn: number[] = [];
  while (manual.pending > 0) {
    const before = ran;
    assert.is(manual.turn(), 1, 'one deferred turn at a time');
    perTurn.push(ran - before);
  }
  assert.equal(perTurn, [3, 3, 3, 1]);
  const st = s.stats();
  assert.equal(st, { queued: 0, reactionsRun: 10, batches: 4, maxBatch: 3, lastBatch: 1, slowReactions: 0, errors: 0 });
});

test('a batch stops when the time budget is used up (fake clock advanced inside reactions)', () => {
  const { s, manual, clock } = setup({ batchBudgetMs: 2.5 });
  let ran = 0;
  for (let i = 0; i < 7; i++) {
    s.schedule(() => {
      ran++;
      clock.advance(1);
    });
  }
  manual.turn();
  assert.is(ran, 3, '1 ms, 2 ms, 3 ms >= 2.5 ms: stop');
  manual.turn();
  assert.is(ran, 6);
  manual.turn();
  assert.is(ran, 7);
  assert.is(manual.pending, 0);

  const zero = setup({ batchBudgetMs: 0 });
  let n = 0;
  for (let i = 0; i < 3; i++) zero.s.schedule(() => n++);
  zero.manual.turn();
  assert.is(n, 1, 'a zero budget still runs one reaction per batch');
  assert.is(zero.manual.runAll(), 2);
});

test('turn hooks run once at the end of each batch', () => {
  const { s, manual, errors } = setup({ batchSize: 3 });
  let ran = 0;
  const hookSaw: number[] = [];
  const seenByOther: number[] = [];
  const unregister = s.registerTurnHook(() => hookSaw.push(ran));
  s.onTurnEnd(() => {
    throw new Error('hook failed');
  });
  s.registerTurnHook(() => seenByOther.push(ran));
  for (let i = 0; i < 7; i++) s.schedule(() => ran++);
  assert.equal(hookSaw, [], 'hooks do not run before a turn');
  manual.runAll();
  assert.equal(hookSaw, [3, 6, 7]);
  assert.equal(seenByOther, [3, 6, 7], 'a throwing hook does not stop the others');
  assert.is(errors.length, 3);
  assert.equal(errors[0].info, { label: 'turn hook' });

  s.requestTurn();
  manual.runAll();
  assert.equal(hookSaw, [3, 6, 7, 7], 'requestTurn runs the hooks without reactions');

  unregister();
  unregister();
  s.schedule(() => ran++);
  manual.runAll();
  assert.equal(hookSaw, [3, 6, 7, 7]);
  assert.equal(seenByOther, [3, 6, 7, 7, 8]);
});

test('a reaction queued by a turn hook runs in the next turn', () => {
  const { s, manual } = setup();
  const seen: string[] = [];
  let once = true;
  s.registerTurnHook(() => {
    seen.push('hook');
    if (once) {
      once = false;
      s.schedule(() => seen.push('from hook'));
    }
  });
  s.schedule(() => seen.push('r'));
  manual.turn();
  assert.equal(seen, ['r', 'hook']);
  manual.turn();
  assert.equal(seen, ['r', 'hook', 'from hook', 'hook']);
});

test('10^5 chained reactions on setImmediate: constant stack, fair to another call, I/O not starved', async () => {
  const N = 100_000;
  const { logger, errors } = recordingLogger();
  const s = new Scheduler({ logger });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = new Promise<import('node:net').Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const peer = await accepted;

  const depths = new Set<number>();
  const order: string[] = [];
  let stepA = 0;
  let dataAtStep = -1;
  let ticks = 0;
  let ticking = true;
  peer.once('data', () => (dataAtStep = stepA));
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);

  const chain = (name: string, onStep: (i: number) => void) =>
    new Promise<void>((resolve) => {
      const q = s.createQueue();
      const step = (i: number) => {
        onStep(i);
        if (i % 1000 === 0) order.push(name);
        if (i + 1 < N) q.push(() => step(i + 1));
        else q.pushFinal(resolve);
      };
      q.push(() => step(0));
    });
  const a = chain('a', (i) => {
    stepA = i;
    if (i % 97 === 0) depths.add(stackDepth());
  });
  const b = chain('b', () => {});
  client.write('ping');
  await Promise.all([a, b]);
  ticking = false;
  client.destroy();
  peer.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  assert.is(depths.size, 1, `stack depth must stay constant, saw ${Math.min(...depths)}..${Math.max(...depths)}`);
  assert.is(order.length, 200);
  for (let i = 0; i < order.length; i += 2) assert.equal(order.slice(i, i + 2), ['a', 'b'], 'the two calls interleave');
  assert.ok(dataAtStep >= 0 && dataAtStep < N - 1, `socket data read while the chain ran (step ${dataAtStep})`);
  assert.ok(ticks > 100, `other setImmediate callbacks ran between batches (${ticks})`);
  const st = s.stats();
  assert.is(st.reactionsRun, 2 * N + 2);
  assert.ok(st.maxBatch <= 256);
  assert.ok(st.batches >= (2 * N) / 256);
  assert.is(errors.length, 0);
});

test('the watchdog reports a reaction that runs longer than watchdogMs', () => {
  const { s, manual, clock, slow } = setup({ watchdogMs: 50, batchBudgetMs: Infinity });
  const q = s.createQueue();
  q.push(() => clock.advance(10), 'fast');
  q.push(() => clock.advance(60), 'onWriteDone');
  s.schedule(() => clock.advance(50), 'exactly at the limit');
  s.schedule(() => clock.advance(51));
  assert.is(manual.turn(), 1);
  assert.is(s.stats().lastBatch, 4, 'one batch: each reaction is timed on its own');
  assert.equal(slow, [{ durationMs: 60, label: 'onWriteDone', callId: q.id }, { durationMs: 51 }]);
  assert.is(s.stats().slowReactions, 2);

  const off = setup({ watchdogMs: Infinity });
  off.s.schedule(() => off.clock.advance(1e9));
  off.manual.runAll();
  assert.is(off.slow.length, 0, 'Infinity disables the watchdog');
});

test('stats count queue depth, reactions and batches', () => {
  const { s, manual } = setup({ batchSize: 2 });
  assert.equal(s.stats(), { queued: 0, reactionsRun: 0, batches: 0, maxBatch: 0, lastBatch: 0, slowReactions: 0, errors: 0 });
  const q = s.createQueue();
  q.push(() => {});
  q.push(() => {});
  s.schedule(() => {});
  assert.is(s.stats().queued, 3);
  manual.turn();
  assert.equal(s.stats(), { queued: 1, reactionsRun: 2, batches: 1, maxBatch: 2, lastBatch: 2, slowReactions: 0, errors: 0 });
  manual.turn();
  assert.equal(s.stats(), { queued: 0, reactionsRun: 3, batches: 2, maxBatch: 2, lastBatch: 1, slowReactions: 0, errors: 0 });
});

test('flush runs everything synchronously, refuses re-entrancy and honours its limit', () => {
  const { s, errors } = setup({ batchSize: 2 });
  let hooks = 0;
  s.registerTurnHook(() => hooks++);
  const q = s.createQueue();
  let n = 0;
  q.push(() => {
    n++;
    q.push(() => n++);
  });
  s.schedule(() => s.flush());
  q.push(() => n++);
  assert.is(s.flush(), 4);
  assert.is(n, 3);
  assert.is(hooks, 2, 'hooks after each batch');
  assert.is(errors.length, 1);
  assert.match(String(errors[0].error), /inside a reaction/);

  const forever = () => s.schedule(forever);
  s.schedule(forever);
  assert.throws(() => s.flush(100), /still queued \(limit 100\)/);
});

test('options are checked', () => {
  assert.throws(() => new Scheduler({ batchSize: 0 }), RangeError);
  assert.throws(() => new Scheduler({ batchSize: 1.5 }), RangeError);
  assert.throws(() => new Scheduler({ batchBudgetMs: -1 }), RangeError);
  assert.throws(() => new Scheduler({ watchdogMs: 0 }), RangeError);
  assert.throws(() => new Scheduler({ watchdogMs: NaN }), RangeError);
  assert.not.throws(() => new Scheduler({ batchBudgetMs: Infinity, watchdogMs: Infinity, batchSize: 1 }));
  const s = new Scheduler();
  assert.throws(() => s.schedule(undefined as unknown as () => void), TypeError);
  assert.throws(() => s.createQueue().push(42 as unknown as () => void), TypeError);
  assert.is(defaultScheduler(), defaultScheduler());
});

test('the default console logger is rate-limited per kind', () => {
  const lines: { kind: string; text: string }[] = [];
  let t = 0;
  const logger = createConsoleLogger({
    now: () => t,
    sink: { warn: (text: string) => lines.push({ kind: 'warn', text }), error: (text: string) => lines.push({ kind: 'error', text }) },
  });
  logger.reactionError(new Error('x'), { callId: 7, label: 'onReadDone' });
  logger.reactionError(new Error('x'), {});
  logger.reactionError(new Error('x'), {});
  logger.slowReaction({ durationMs: 75.25 });
  t = 999;
  logger.reactionError(new Error('x'), {});
  t = 1000;
  logger.reactionError(new Error('x'), { callId: 8 });
  assert.is(lines.length, 3);
  assert.equal(lines[0], { kind: 'error', text: 'reactor-rpc: a reaction threw (call 7, "onReadDone"):' });
  assert.equal(lines[1].kind, 'warn');
  assert.match(lines[1].text, /ran 75\.3 ms/);
  assert.equal(lines[2].text, 'reactor-rpc: a reaction threw (call 8) [3 similar suppressed]:');
});

test('rx adapter: observeOn delivers each value as a deferred reaction', () => {
  const { s, manual, clock } = setup();
  const rx = toRxScheduler(s);
  const seen: (number | string)[] = [];
  of(1, 2, 3)
    .pipe(observeOn(rx))
    .subscribe({ next: (v) => seen.push(v), complete: () => seen.push('complete') });
  assert.equal(seen, [], 'nothing is delivered synchronously');
  manual.runAll();
  assert.equal(seen, [1, 2, 3, 'complete']);
  assert.is(s.stats().reactionsRun, 4, 'one reaction per notification');
  clock.advance(42);
  assert.is(rx.now(), 42, 'now() reads the scheduler clock');
  assert.is(toRxScheduler(s, { clock: { now: () => 7 } }).now(), 7);
});

test('rx adapter: delayed work waits on the injected timer, then runs on the queue; unsubscribe cancels', () => {
  const { s, manual } = setup();
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let nextId = 1;
  const rx = toRxScheduler(s, {
    setTimer: (fn, ms) => {
      timers.set(nextId, { fn, ms });
      return nextId++;
    },
    clearTimer: (h) => timers.delete(h as number),
  });
  const fire = () => {
    const [[id, t]] = [...timers];
    timers.delete(id);
    t.fn();
  };
  const seen: (number | string)[] = [];
  timer(100, rx).subscribe({ next: (v) => seen.push(v), complete: () => seen.push('complete') });
  assert.equal([...timers.values()].map((t) => t.ms), [100]);
  manual.runAll();
  assert.equal(seen, [], 'nothing before the timer fires');
  fire();
  assert.equal(seen, [], 'the timer only queues the work');
  manual.runAll();
  assert.equal(seen, [0, 'complete']);

  const ticks: number[] = [];
  interval(10, rx).pipe(take(3)).subscribe((v) => ticks.push(v));
  for (let i = 0; i < 3; i++) {
    fire();
    manual.runAll();
  }
  assert.equal(ticks, [0, 1, 2], 'recursive rescheduling works');
  assert.is(timers.size, 0);

  const sub = timer(50, rx).subscribe(() => seen.push('cancelled?'));
  assert.is(timers.size, 1);
  sub.unsubscribe();
  assert.is(timers.size, 0, 'unsubscribe clears the timer');
  const sub2 = rx.schedule(() => seen.push('queued then cancelled'));
  sub2.unsubscribe();
  manual.runAll();
  assert.equal(seen, [0, 'complete']);
});

test('rx adapter: real timers and the real defer', async () => {
  const s = new Scheduler({ logger: recordingLogger().logger });
  const rx = toRxScheduler(s);
  assert.is(await firstValueFrom(timer(5, rx)), 0);
  assert.equal(await firstValueFrom(of('a', 'b').pipe(observeOn(rx), toArray())), ['a', 'b']);
});

test('rx adapter: a throwing work is reported by the scheduler', () => {
  const { s, manual, errors } = setup();
  const rx = toRxScheduler(s);
  const sub = rx.schedule(() => {
    throw new Error('rx work failed');
  });
  manual.runAll();
  assert.ok(sub.closed);
  assert.is(errors.length, 1);
  assert.equal(errors[0].info, { label: 'rx' });
});

test.run();
