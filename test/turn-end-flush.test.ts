// Writes made by reactions go out when the scheduler turn ends (issue 13). A turn is a setImmediate
// callback, so a flush deferred with setImmediate from a reaction used to wait a whole loop iteration;
// now the writers' default deferral runs it right after the turn (after its batch and turn hooks), in
// order, and still never inside the code that wrote. Outside a turn nothing changes: the flush runs in
// the check phase of the same iteration, never synchronously.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { atTurnEnd } from '../src/call/turn-end.js';
import { FrameWriter } from '../src/protocol/ttrpc/frame-writer.js';
import { DrpcFrameWriter } from '../src/protocol/drpc/frame-writer.js';
import { dial } from '../src/transport/dial.js';
import { Client, ClientUnaryReactor, OK_STATUS, Server, type Status, callback, defineService, rawMethod } from '../src/index.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** within waits for `p`, failing the test if it has not settled after `ms` (so a missing event fails instead of hanging). */
async function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('atTurnEnd in a reaction runs after the reaction and the turn hooks, before the next loop iteration, in order', async () => {
  const s = new Scheduler();
  const log: string[] = [];
  // Wait for the next iteration's callback itself, not a fixed delay: a 20 ms timer could fire first
  // when a loaded machine stretched the turn past 20 ms, and the assertion would then see it missing.
  let nextIteration!: () => void;
  const reachedNextIteration = new Promise<void>((r) => (nextIteration = r));
  s.registerTurnHook(() => log.push('hook'));
  s.schedule(() => {
    setImmediate(() => {
      log.push('next iteration');
      nextIteration();
    });
    atTurnEnd(() => log.push('flush 1'));
    atTurnEnd(() => log.push('flush 2'));
    log.push('reaction');
  });
  s.schedule(() => log.push('reaction 2'));
  await within(reachedNextIteration, 'the next loop iteration');
  assert.equal(log, ['reaction', 'reaction 2', 'hook', 'flush 1', 'flush 2', 'next iteration']);
});

test('atTurnEnd outside a turn is deferred to the check phase, never run synchronously', async () => {
  const log: string[] = [];
  atTurnEnd(() => log.push('flush'));
  log.push('caller');
  assert.equal(log, ['caller']);
  await tick();
  assert.equal(log, ['caller', 'flush']);
});

test('a throwing flush is reported as uncaught and the other flushes of the turn still run', async () => {
  const s = new Scheduler();
  const log: string[] = [];
  const uncaught: unknown[] = [];
  const listeners = process.listeners('uncaughtException');
  // Our listener stays until the error has arrived (it is rethrown on a later iteration, which a loaded
  // machine may delay past any fixed timer; restoring the listeners first would crash the process).
  let reported!: () => void;
  const arrived = new Promise<void>((r) => (reported = r));
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', (e) => {
    uncaught.push(e);
    reported();
  });
  try {
    s.schedule(() => {
      atTurnEnd(() => {
        throw new Error('flush failed');
      });
      atTurnEnd(() => log.push('second flush'));
    });
    await within(arrived, 'the uncaught flush error');
    // One more iteration: a second report, if the code made one, would arrive by then.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.removeAllListeners('uncaughtException');
    for (const l of listeners) process.on('uncaughtException', l);
  }
  assert.equal(log, ['second flush']);
  assert.equal(uncaught.length, 1);
  assert.is((uncaught[0] as Error).message, 'flush failed');
  // The next turn starts clean: its flush runs at its own end.
  const later: string[] = [];
  let flushed!: () => void;
  const laterFlushed = new Promise<void>((r) => (flushed = r));
  s.schedule(() =>
    atTurnEnd(() => {
      later.push('flush');
      flushed();
    }),
  );
  await within(laterFlushed, 'the next turn\'s flush');
  assert.equal(later, ['flush']);
});

/** unixPeer starts a raw unix socket server that only collects bytes. */
async function unixPeer(): Promise<{ address: string; received: () => number; close: () => Promise<void> }> {
  const path = join(tmpdir(), `rr-turn-end-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  let n = 0;
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.on('data', (d) => (n += d.length));
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    address: `unix://${path}`,
    received: () => n,
    close: () => {
      for (const sock of sockets) sock.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

for (const [name, make] of [
  ['ttrpc', (c: Awaited<ReturnType<typeof dial>>) => new FrameWriter(c)],
  ['drpc', (c: Awaited<ReturnType<typeof dial>>) => new DrpcFrameWriter(c, 64 * 1024)],
] as const) {
  test(`${name}: a frame written by a reaction is handed to a real socket at the end of its turn; one written from a socket callback in the same iteration's check phase`, async () => {
    const peer = await unixPeer();
    const conn = await dial(peer.address);
    try {
      conn.start({ onData: () => {}, onClose: () => {} });
      const writer = make(conn);
      const push = (): void => {
        if (writer instanceof FrameWriter) writer.push(1, 1, 0, new Uint8Array(100));
        else writer.push([{ kind: 2, streamId: 1, messageId: 1, control: false, data: new Uint8Array(100) }]);
      };
      const handed = (): number => (writer instanceof FrameWriter ? writer.handedFrames : writer.handedPackets);
      const s = new Scheduler();
      let handedAtNextIteration = -1;
      let nextIteration!: () => void;
      const reachedNextIteration = new Promise<void>((r) => (nextIteration = r));
      s.schedule(() => {
        setImmediate(() => {
          handedAtNextIteration = handed();
          nextIteration();
        });
        push();
        assert.is(handed(), 0, 'not written inside the reaction');
      });
      await within(reachedNextIteration, 'the next loop iteration');
      assert.is(handedAtNextIteration, 1, 'handed over before the next loop iteration');
      // Outside a turn: deferred (not synchronous), out by the check phase.
      push();
      assert.is(handed(), 1);
      await tick();
      assert.is(handed(), 2);
      const deadline = Date.now() + 2000;
      while (peer.received() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.ok(peer.received() > 0, 'the peer got the bytes');
    } finally {
      conn.destroy();
      await peer.close();
    }
  });
}

test('reactors on both ends over a real unix socket: 2,000 calls, 64 at a time started from onDone, every reply intact', async () => {
  const svc = defineService('turnend.Echo', { Echo: rawMethod('/turnend.Echo/Echo', 'unary') });
  const server = new Server().addService(svc, {
    Echo: callback((ctx, req: Uint8Array) => {
      const r = ctx.defaultReactor<Uint8Array>();
      r.finish(OK_STATUS, req);
      return r;
    }),
  });
  const path = join(tmpdir(), `rr-turn-end-echo-${process.pid}.sock`);
  const address = await server.listen(`unix://${path}`);
  const client = await Client.connect(address);
  const total = 2000;
  let started = 0;
  let ok = 0;
  const failures: string[] = [];
  await new Promise<void>((resolve) => {
    class R extends ClientUnaryReactor<Uint8Array> {
      constructor(private readonly n: number) {
        super();
      }
      override onDone(s: Status, res: Uint8Array | undefined): void {
        if (s.code === 0 && res !== undefined && res.length === 8 && new DataView(res.buffer, res.byteOffset).getFloat64(0) === this.n) ok++;
        else failures.push(`${this.n}: ${s.code} ${s.message}`);
        if (started < total) next();
        else if (ok + failures.length === total) resolve();
      }
    }
    const next = (): void => {
      const n = started++;
      const req = new Uint8Array(8);
      new DataView(req.buffer).setFloat64(0, n);
      const r = new R(n);
      client.bindUnary(svc.methods.Echo, req, r);
      r.startCall();
    };
    for (let i = 0; i < 64; i++) next();
  });
  assert.equal(failures, []);
  assert.is(ok, total);
  await client.close();
  await server.forceShutdown();
});

test.run();
