// ReadGate and ReceiveQueue, the receive backpressure every session uses:
// pause at a queue's bound, resume (on a later turn) at half, a stall timer
// that fails only a queue nobody reads, the connection budget, holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadGate } from '../src/call/read-gate.js';
import { ReceiveQueue } from '../src/call/receive-queue.js';

/** Source records the gate's pause/resume calls. */
class Source {
  log: string[] = [];
  pause(): void {
    this.log.push('pause');
  }
  resume(): void {
    this.log.push('resume');
  }
}

/** Sink collects what a queue delivers and how it was failed. */
class Sink {
  got: (string | null)[] = [];
  stalled = 0;
  queue!: ReceiveQueue;
  deliverMessage(m: Uint8Array | null): void {
    this.got.push(m === null ? null : new TextDecoder().decode(m));
  }
  receiveStalled(): void {
    this.stalled++;
    this.queue.drop();
    this.queue.end();
  }
}

const m = (s: string): Uint8Array => new TextEncoder().encode(s);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(opts: { stall?: number; conn?: number } = {}, maxMessages = 4, maxBytes = 1000) {
  const src = new Source();
  const gate = new ReadGate(src, { stallTimeoutMs: opts.stall ?? 100, maxConnectionBytes: opts.conn ?? 1 << 30 });
  const sink = new Sink();
  const q = new ReceiveQueue(sink, maxMessages, maxBytes, gate);
  sink.queue = q;
  return { src, gate, sink, q };
}

test('a queue at its message bound pauses reading; read down to half, reading resumes on a later turn, never inside request()', async () => {
  const { src, gate, sink, q } = setup();
  for (let i = 0; i < 4; i++) assert.ok(q.push(m(`m${i}`)));
  assert.equal(src.log, ['pause']);
  assert.ok(gate.paused && q.isFull);
  q.request(1);
  assert.equal(src.log, ['pause'], 'three left: still over half');
  q.request(1);
  assert.equal(src.log, ['pause'], 'resume is deferred, not run inside request()');
  assert.not.ok(q.isFull);
  await turn();
  assert.equal(src.log, ['pause', 'resume']);
  assert.not.ok(gate.paused);
  assert.equal(sink.got, ['m0', 'm1']);
});

test('the byte bound pauses too, and a message over it is still accepted (backpressure, not failure)', () => {
  const { src, q } = setup({}, 100, 10);
  assert.ok(q.push(new Uint8Array(25)));
  assert.equal(src.log, ['pause']);
  assert.is(q.queuedBytes, 25);
});

test('a full queue that is read within the stall timeout never fails; one left unread fails once', async () => {
  const { gate, sink, q } = setup({ stall: 80 });
  for (let i = 0; i < 4; i++) q.push(m(`m${i}`));
  for (let i = 0; i < 4; i++) {
    await sleep(40);
    q.request(1);
    q.push(m(`n${i}`));
  }
  assert.is(sink.stalled, 0, 'read every 40 ms: no stall');
  await sleep(200);
  assert.is(sink.stalled, 1);
  assert.is(gate.stalls, 1);
  await turn();
  assert.not.ok(gate.paused, 'the failed queue no longer holds reading');
  assert.is(gate.queuedBytes, 0);
});

test('the connection budget pauses reading over all queues and fails the largest unread one after the stall timeout', async () => {
  const src = new Source();
  const sinks = [new Sink(), new Sink()];
  let queues: ReceiveQueue[] = [];
  const gate = new ReadGate(src, { stallTimeoutMs: 60, maxConnectionBytes: 1000, largest: () => [...queues].sort((a, b) => b.queuedBytes - a.queuedBytes)[0] });
  queues = sinks.map((s) => (s.queue = new ReceiveQueue(s, 1000, 1 << 20, gate)));
  queues[0]!.push(new Uint8Array(300));
  queues[1]!.push(new Uint8Array(600));
  assert.equal(src.log, ['pause'], '900 bytes + 2 × 64 overhead is over 1000');
  await sleep(150);
  assert.is(sinks[1]!.stalled, 1, 'the largest queue failed');
  assert.is(sinks[0]!.stalled, 0);
  await turn();
  assert.equal(src.log, ['pause', 'resume']);
});

test('empty messages are not free: the per-message overhead counts against the connection budget', () => {
  const { src, gate, q } = setup({ conn: 64 * 10 }, 1 << 20, 1 << 20);
  for (let i = 0; i < 10; i++) q.push(new Uint8Array(0));
  assert.is(gate.queuedBytes, 640);
  assert.equal(src.log, ['pause']);
});

test('hold and release pause independently of the queues; detach and drop give the budget back', async () => {
  const { src, gate, q } = setup();
  gate.hold();
  gate.hold();
  gate.release();
  assert.ok(gate.paused);
  gate.release();
  await turn();
  assert.equal(src.log, ['pause', 'resume']);
  q.push(m('abc'));
  assert.is(gate.queuedBytes, 3 + 64);
  q.detach();
  assert.is(gate.queuedBytes, 0);
  q.push(m('still readable'));
  assert.is(gate.queuedBytes, 0, 'a detached queue no longer reports');
});

test('a consumer that never quite catches up keeps the queue list bounded', () => {
  const { q, sink } = setup({}, 1 << 30, 1 << 30);
  for (let i = 0; i < 20_000; i++) {
    q.push(m('x'));
    q.push(m('y'));
    q.request(1);
  }
  assert.is(q.length, 20_000);
  const items = (q as unknown as { items: unknown[] }).items;
  assert.ok(items.length < 2 * 20_000 + 2048, `list of ${items.length} slots for ${q.length} messages`);
  assert.is(sink.got.length, 20_000);
});

test('close stops the gate: no timer fires and nothing resumes', async () => {
  const { src, gate, sink, q } = setup({ stall: 30 });
  for (let i = 0; i < 4; i++) q.push(m(`m${i}`));
  gate.close();
  await sleep(80);
  assert.is(sink.stalled, 0);
  assert.equal(src.log, ['pause']);
});

test.run();
