// Reactions queued as codes (CallQueue.pushCode / pushFinalCode, what the
// reactor bindings use instead of closures): global and per-call order, onDone
// last and once, error routing, and, through the client binding on fake
// calls, order and onDone-last across many calls with holds interleaved.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientBinding } from '../reactors/client-binding.js';
import { ServerUnaryReactor } from '../reactors/server-reactors.js';
import { Client, PipeListener, Server, type ServerContext, callback } from '../src/index.js';
import { BindingState } from '../reactors/binding-state.js';
import type { CallListener, ClientCall, SendOptions } from '../src/call/call.js';
import { rawMethod } from '../src/call/method.js';
import type { CodedReactions } from '../src/scheduler/call-queue.js';
import { Scheduler, createFakeClock, createManualDefer, type SchedulerLogger } from '../src/scheduler/index.js';
import { OK_STATUS, type Status } from '../src/status/status.js';
import { mulberry32 } from './helpers/drpc-vectors.js';

const quiet: SchedulerLogger = { reactionError: () => undefined, slowReaction: () => undefined };

/** setup builds a scheduler stepped by hand. */
function setup(batchSize = 7) {
  const manual = createManualDefer();
  const s = new Scheduler({ defer: manual.defer, clock: createFakeClock(), logger: quiet, batchSize });
  return { s, manual };
}


test('coded and closure reactions share one FIFO: global order kept across a ring that grows, final last and once', () => {
  const { s, manual } = setup();
  const log: string[] = [];
  const calls = 300;
  const targets = Array.from({ length: calls }, (_, i) => ({ react: (code: number) => log.push(`${i}:${code}`) }) satisfies CodedReactions);
  const queues = targets.map(() => s.createQueue());
  const expected: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < calls; i++) {
      if ((i + round) % 3 === 0) {
        queues[i]!.push(() => log.push(`${i}:c${round}`));
        expected.push(`${i}:c${round}`);
      } else {
        queues[i]!.pushCode(targets[i]!, round, 'r');
        expected.push(`${i}:${round}`);
      }
    }
  }
  for (let i = 0; i < calls; i++) {
    queues[i]!.pushFinalCode(targets[i]!, 99, 'onDone');
    expected.push(`${i}:99`);
    assert.is(queues[i]!.sealed, true);
    assert.is(queues[i]!.pending, 6);
    assert.throws(() => queues[i]!.pushCode(targets[i]!, 1, 'late'), /after pushFinal/);
    assert.throws(() => queues[i]!.pushFinalCode(targets[i]!, 1, 'late'), /twice/);
  }
  assert.is(log.length, 0, 'nothing runs inside the pushes');
  manual.runAll();
  assert.equal(log, expected);
  for (const q of queues) {
    assert.is(q.done, true);
    assert.is(q.pending, 0);
  }
});

test('a coded reaction that throws reaches the error target before the call goes on; a throwing final reaction does not', () => {
  const { s, manual } = setup();
  const log: string[] = [];
  const target: CodedReactions = {
    react(code) {
      log.push(`react ${code}`);
      if (code === 1 || code === 9) throw new Error(`boom ${code}`);
    },
  };
  const q = s.createQueue();
  q.onErrorTarget({ reactionFailed: (e) => log.push(`failed ${(e as Error).message}`) });
  q.pushCode(target, 1, 'one');
  q.pushCode(target, 2, 'two');
  q.pushFinalCode(target, 9, 'onDone');
  manual.runAll();
  assert.equal(log, ['react 1', 'failed boom 1', 'react 2', 'react 9']);
  assert.is(s.stats().errors, 2);
  // An onError handler takes precedence over the target.
  const q2 = s.createQueue();
  q2.onErrorTarget({ reactionFailed: () => log.push('target') });
  q2.onError(() => log.push('handler'));
  q2.pushCode(target, 1, 'one');
  manual.runAll();
  assert.equal(log.slice(-2), ['react 1', 'handler']);
});

/** State opens BindingState's protected helpers to the test. */
class State extends BindingState {
  readonly push = (user: boolean): void => this.pushAck(user);
  readonly shift = (): boolean => this.shiftAck();
  readonly ok = { queue: (v: boolean) => this.queueWriteOk(v), take: () => this.takeWriteOk() };
  readonly read = { queue: (m: Uint8Array) => this.queueRead(m), take: () => this.takeRead() };
  readonly flag = { is: (f: number) => this.is(f), raise: (f: number) => this.raise(f), lower: (f: number) => this.lower(f), put: (f: number, v: boolean) => this.put(f, v) };
  get length(): number {
    return this.acksPending;
  }
  get hasUser(): boolean {
    return this.userAckPending;
  }
}

test('BindingState keeps acknowledgements in order, tells user writes apart, and keeps flags apart', () => {
  const a = new State();
  assert.is(a.shift(), false);
  const pattern = [false, true, false, false, true, true, false];
  for (const p of pattern) a.push(p);
  assert.is(a.length, pattern.length);
  assert.is(a.hasUser, true);
  for (const p of pattern) assert.is(a.shift(), p);
  assert.is(a.length, 0);
  assert.is(a.hasUser, false);
  for (let i = 0; i < 30; i++) a.push(false);
  assert.throws(() => a.push(true), /unacknowledged/);
  const f = a.flag;
  f.raise(1 << 0);
  f.raise(1 << 14);
  f.put(1 << 3, true);
  f.put(1 << 0, false);
  f.lower(1 << 14);
  for (let i = 0; i < 16; i++) assert.is(f.is(1 << i), i === 3, `flag ${i}`);
});

test('BindingState hands the data of queued reactions back in queue order, one slot or many', () => {
  const a = new State();
  const random = mulberry32(7);
  const oks: boolean[] = [];
  const reads: Uint8Array[] = [];
  let next = 0;
  for (let step = 0; step < 2000; step++) {
    const r = random();
    if (r < 0.25 && oks.length < 30) {
      const v = random() < 0.5;
      oks.push(v);
      a.ok.queue(v);
    } else if (r < 0.5 && oks.length > 0) assert.is(a.ok.take(), oks.shift());
    else if (r < 0.75 && reads.length < 5) {
      const m = new Uint8Array([next++ & 0xff]);
      reads.push(m);
      a.read.queue(m);
    } else if (reads.length > 0) assert.is(a.read.take(), reads.shift());
  }
  while (oks.length) assert.is(a.ok.take(), oks.shift());
  while (reads.length) assert.is(a.read.take(), reads.shift());
});

/** FakeCall is a bidi ClientCall whose events the test delivers by hand. */
class FakeCall implements ClientCall {
  readonly method = '/t.T/M';
  readonly kind = 'bidi' as const;
  listener: CallListener | undefined;
  requested = 0;
  sent = 0;
  unread = 0;
  start(l: CallListener): void {
    this.listener = l;
  }
  request(n: number): void {
    this.requested += n;
  }
  send(_m: Uint8Array, _o?: SendOptions): void {
    this.sent++;
  }
  skipUnread(): void {}
  closeSend(): void {}
  cancel(): void {}
}

/** Recorder is a bidi reactor that logs every reaction of its call. */
class Recorder {
  readonly log: string[] = [];
  onReadInitialMetadataDone(ok: boolean): void {
    this.log.push(`meta ${ok}`);
  }
  onReadDone(ok: boolean, r: Uint8Array | undefined): void {
    this.log.push(ok ? `read ${r![0]}` : 'read end');
  }
  onWriteDone(ok: boolean): void {
    this.log.push(`write ${ok}`);
  }
  onWritesDoneDone(ok: boolean): void {
    this.log.push(`writesDone ${ok}`);
  }
  onDone(st: Status): void {
    this.log.push(`done ${st.code}`);
  }
}

/** count counts the log lines that start with `prefix`. */
function count(log: string[], prefix: string): number {
  return log.filter((l) => l.startsWith(prefix)).length;
}

test('client binding: reactions in event order and onDone last, once, across many calls with holds and releases interleaved', () => {
  const { s, manual } = setup(5);
  const random = mulberry32(13);
  const method = rawMethod('/t.T/M', 'bidi');
  const n = 200;
  const calls = Array.from({ length: n }, () => {
    const call = new FakeCall();
    const reactor = new Recorder();
    const b = new ClientBinding<Uint8Array, Uint8Array>(reactor, call, method, s.createQueue(), undefined, true);
    return { call, reactor, b, holds: 0, reads: 0, writes: 0, expect: [] as string[], status: false, meta: false };
  });
  for (const c of calls) {
    c.b.addHolds(2);
    c.holds = 2;
    c.b.startCall();
  }
  // Steps per call, in random interleavings with scheduler turns: one read, one write, a hold released, until the status.
  let live = n;
  while (live > 0) {
    const c = calls[Math.floor(random() * n)]!;
    const r = random();
    if (c.status) {
      if (c.holds > 0) {
        c.holds--;
        c.b.removeHold();
      }
    } else if (r < 0.3 && c.reads < 3 && count(c.reactor.log, 'read') === c.reads) {
      c.b.startRead();
      const k = c.reads++;
      c.call.listener!.onMessage(new Uint8Array([k]));
      if (!c.meta) c.expect.push('meta true');
      c.meta = true;
      c.expect.push(`read ${k}`);
    } else if (r < 0.55 && c.writes < 3 && count(c.reactor.log, 'write') === c.writes) {
      c.b.startWrite(new Uint8Array([9]));
      c.writes++;
      c.call.listener!.onWritable(true);
      c.expect.push('write true');
    } else if (r < 0.7 && c.holds > 0) {
      c.holds--;
      c.b.removeHold();
    } else if (r < 0.8) {
      c.status = true;
      if (!c.meta) c.expect.push('meta true');
      c.meta = true;
      c.call.listener!.onStatus(OK_STATUS);
    }
    if (c.status && c.holds === 0 && !c.expect.includes('done 0')) {
      c.expect.push('done 0');
      live--;
    }
    // Turns run at random points: reactions of many calls pile up between them (one read and one write outstanding per call).
    if (random() < 0.1) manual.turn();
    if (random() < 0.02) manual.runAll();
  }
  manual.runAll();
  for (const c of calls) {
    assert.equal(c.reactor.log, c.expect);
    assert.is(c.reactor.log.filter((l) => l.startsWith('done')).length, 1);
  }
});

test('server: a unary reactor keeping the no-op onDone costs one reaction per call (the handler); one that overrides onDone gets it once, last', async () => {
  const s = new Scheduler({ logger: quiet });
  const echo = rawMethod('/t.T/Echo', 'unary');
  const service = { name: 't.T', methods: { Echo: echo } } as const;
  const log: string[] = [];
  let allDone!: () => void;
  const threeDone = new Promise<void>((r) => (allDone = r));
  class Logged extends ServerUnaryReactor<Uint8Array> {
    override onDone(): void {
      log.push('done');
      if (log.length === 6) allDone();
    }
  }
  let logged = false;
  const server = new Server({ scheduler: s }).addService(service, {
    Echo: callback((ctx: ServerContext, req: Uint8Array) => {
      const r = logged ? new Logged() : ctx.defaultReactor<Uint8Array>();
      r.finish(OK_STATUS, req);
      if (logged) log.push('finish');
      return r;
    }),
  });
  const listener = new PipeListener();
  await server.listen(listener);
  const client = await Client.connect(listener);
  try {
    const before = s.stats().reactionsRun;
    const n = 50;
    for (let i = 0; i < n; i++) assert.equal(await client.unary(echo, new Uint8Array([i])), new Uint8Array([i]));
    assert.is(s.stats().reactionsRun - before, n, 'one handler reaction per call, no onDone reaction');
    logged = true;
    for (let i = 0; i < 3; i++) await client.unary(echo, new Uint8Array([i]));
    await threeDone;
    assert.equal(log, ['finish', 'done', 'finish', 'done', 'finish', 'done']);
  } finally {
    await client.close();
    await server.forceShutdown();
  }
});

test.run();
