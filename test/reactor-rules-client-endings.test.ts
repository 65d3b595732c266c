// The reactor rules of gRFC L67 (grpc client_callback.h) on the client side,
// part 2: ok=false meanings, misuse, throwing reactions, stack depth, close().
// One named test per rule, over the in-memory pipe and a unix socket. The full
// rule table is at the top of reactor-rules-client.test.ts.
//
// rule  test name (prefixed by the transport)
// R6    "R6 client: onReadDone(false) at the end and after a failure; onWriteDone(false) once the call ended"
// R7    "R7 client: misuse throws ReactorMisuseError and leaves the call intact"
// R8    "R8 client: a throwing reaction ends only its call with INTERNAL and reaches the logger"
// R9    "R9 client: startRead inside onReadDone for 100000 messages keeps the stack flat"
// R11   "R11 client: close() resolves after every open call's onDone and the onClose callbacks"
//       "R11 client: a lost connection runs the onClose callbacks after the calls' onDone"
// (and) "iterables: a next() racing the call's queued onDone ends the stream normally"
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientBidiReactor, ClientReadReactor, ClientUnaryReactor, ClientWriteReactor } from '../reactors/client-reactors.js';
import { ServerBidiReactor, ServerWriteReactor } from '../reactors/server-reactors.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { Code } from '../src/status/code.js';
import { OK_STATUS, type Status, status } from '../src/status/status.js';
import { CollectingLogger, Joiner, type Payload, RULE_TRANSPORTS, Silent, deferred, misuse, p, rig, ruleTest, txt } from './helpers/rules-kit.js';

const S = StreamingService.methods;
const E = EchoService.methods;
const enc = (s: string) => new TextEncoder().encode(s);

for (const tc of RULE_TRANSPORTS) {
  ruleTest(tc, 'R6 client: onReadDone(false) at the end and after a failure; onWriteDone(false) once the call ended', async () => {
    const r = await rig(tc, {
      BidiEcho: () =>
        new (class extends ServerBidiReactor<Payload, Payload> {
          constructor() {
            super();
            this.finish(status(Code.FAILED_PRECONDITION, 'early'));
          }
        })(),
    });
    const reads = async (req: { count: number; failCode?: number }) => {
      const events: string[] = [];
      const fin = deferred();
      class R extends ClientReadReactor<Payload> {
        override onReadDone(ok: boolean, m: Payload | undefined) {
          events.push(ok ? txt(m) : 'end');
          if (ok || events.filter((e) => e === 'end').length < 2) this.startRead();
        }
        override onDone(s: Status) {
          events.push(`done:${s.code}`);
          fin.resolve();
        }
      }
      const rr = new R();
      r.client.bindRead(S.ServerStream, { ...req, data: enc('s'), failMessage: 'bad' }, rr);
      rr.startRead();
      rr.startCall();
      await fin.promise;
      return events;
    };
    assert.equal(await reads({ count: 2 }), ['s-1', 's-2', 'end', 'end', 'done:0']);
    assert.equal(await reads({ count: 1, failCode: Code.ABORTED }), ['s-1', 'end', 'end', `done:${Code.ABORTED}`]);
    const events: string[] = [];
    const fin = deferred();
    class B extends ClientBidiReactor<Payload, Payload> {
      override onReadDone(ok: boolean) {
        events.push(`r:${ok}`);
        this.startWrite(p('late'));
      }
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}`);
      }
      override onDone(s: Status) {
        events.push(`done:${s.code}`);
        fin.resolve();
      }
    }
    const b = new B();
    r.client.bindBidi(S.BidiEcho, b);
    b.startRead();
    b.startCall();
    await fin.promise;
    assert.equal(events, ['r:false', 'w:false', `done:${Code.FAILED_PRECONDITION}`]);
    await r.stop();
  });

  ruleTest(tc, 'R7 client: misuse throws ReactorMisuseError and leaves the call intact', async () => {
    const r = await rig(tc);
    const fin = deferred<[Status, string]>();
    class W extends ClientWriteReactor<Payload, Payload> {
      override onDone(s: Status, res: Payload | undefined) {
        fin.resolve([s, txt(res)]);
      }
    }
    const w = new W();
    assert.throws(() => w.startCall(), misuse(/not bound/));
    r.client.bindWrite(S.ClientStream, w);
    assert.throws(() => r.client.bindWrite(S.ClientStream, w), misuse(/already bound/));
    assert.is(r.client.openCalls, 1, 'a refused bind opens no call');
    w.startWriteLast(p('a'));
    assert.throws(() => w.startWrite(p('b')), misuse(/startWriteLast/));
    assert.throws(() => w.startWritesDone(), misuse());
    w.startCall();
    assert.throws(() => w.startCall(), misuse(/twice/));
    const [s, res] = await fin.promise;
    assert.is(s.code, Code.OK);
    assert.is(res, 'a');
    for (const op of [() => w.startWrite(p('c')), () => w.startWritesDone(), () => w.addHold(), () => w.startCall()]) assert.throws(op, misuse());
    w.tryCancel();
    const fin2 = deferred<Status>();
    class B extends ClientBidiReactor<Payload, Payload> {
      override onDone(s: Status) {
        fin2.resolve(s);
      }
    }
    const b = new B();
    r.client.bindBidi(S.BidiEcho, b);
    b.startWritesDone();
    assert.throws(() => b.startWrite(p('x')), misuse(/startWritesDone/));
    assert.throws(() => b.startWritesDone(), misuse());
    b.startCall();
    assert.is((await fin2.promise).code, Code.OK);
    assert.is(r.client.openCalls, 0);
    await r.stop();
  });

  ruleTest(tc, 'R8 client: a throwing reaction ends only its call with INTERNAL and reaches the logger', async () => {
    const logger = new CollectingLogger();
    const r = await rig(tc, {}, { client: { scheduler: new Scheduler({ logger }) } });
    const other: string[] = [];
    const otherDone = deferred<Status>();
    class Echoer extends ClientBidiReactor<Payload, Payload> {
      n = 0;
      override onReadDone(ok: boolean, m: Payload | undefined) {
        if (!ok) return;
        other.push(txt(m));
        if (++this.n < 3) {
          this.startWrite(p(`o${this.n}`));
          this.startRead();
        } else this.startWritesDone();
      }
      override onDone(s: Status) {
        otherDone.resolve(s);
      }
    }
    const o = new Echoer();
    r.client.bindBidi(S.BidiEcho, o);
    o.startWrite(p('o0'));
    o.startRead();
    o.startCall();
    const bad = deferred<[Status, number]>();
    let reads = 0;
    class Thrower extends ClientReadReactor<Payload> {
      override onReadDone(ok: boolean) {
        reads++;
        if (ok) throw new Error('boom');
      }
      override onDone(s: Status) {
        bad.resolve([s, reads]);
      }
    }
    const th = new Thrower();
    r.client.bindRead(S.ServerStream, { count: 5, data: enc('t') }, th);
    th.startRead();
    th.startCall();
    const [s, n] = await bad.promise;
    assert.is(s.code, Code.INTERNAL);
    assert.match(s.message, /boom/);
    assert.is(n, 1);
    assert.is((await otherDone.promise).code, Code.OK);
    assert.equal(other, ['o0', 'o1', 'o2']);
    const late = deferred<Status>();
    class U extends ClientUnaryReactor<Payload> {
      override onReadInitialMetadataDone() {
        throw new Error('late boom');
      }
      override onDone(st: Status) {
        late.resolve(st);
      }
    }
    const u = new U();
    r.client.bindUnary(E.Echo, p('x'), u);
    u.startCall();
    const ls = await late.promise;
    assert.is(ls.code, Code.INTERNAL, 'a reaction that throws after the OK status still fails the call');
    assert.equal(
      logger.errors.map((e) => `${(e.error as Error).message}@${e.info.label}`),
      ['boom@onReadDone', 'late boom@onReadInitialMetadataDone'],
    );
    assert.is(txt(await r.client.unary(E.Echo, p('still fine'))), 'still fine');
    await r.stop();
  });

  ruleTest(tc, 'R9 client: startRead inside onReadDone for 100000 messages keeps the stack flat', async () => {
    const N = 100_000;
    const r = await rig(tc, {}, { client: { ttrpc: { maxQueuedMessages: N + 1 } } });
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    const depths: number[] = [];
    let nesting = 0;
    let maxNesting = 0;
    let count = 0;
    const fin = deferred<Status>();
    class R extends ClientReadReactor<Payload> {
      override onReadDone(ok: boolean) {
        maxNesting = Math.max(maxNesting, ++nesting);
        try {
          if (!ok) return;
          if (++count === 1 || count % 10_000 === 0) depths.push(new Error().stack!.split('\n').length);
          this.startRead();
        } finally {
          nesting--;
        }
      }
      override onDone(s: Status) {
        fin.resolve(s);
      }
    }
    try {
      const rr = new R();
      r.client.bindRead(S.ServerStream, { count: N, data: enc('') }, rr);
      rr.startRead();
      rr.startCall();
      assert.is((await fin.promise).code, Code.OK);
    } finally {
      Error.stackTraceLimit = limit;
    }
    assert.is(count, N);
    assert.is(maxNesting, 1, 'onReadDone ran inside itself');
    assert.is(depths.length, 11);
    assert.ok(Math.max(...depths) - Math.min(...depths) <= 2, `stack depths ${depths.join(',')}`);
    await r.stop();
  }, 120_000);

  ruleTest(tc, "R11 client: close() resolves after every open call's onDone and the onClose callbacks", async () => {
    const r = await rig(tc, { BidiEcho: () => new Silent(), ClientStream: () => new Joiner() });
    const log: string[] = [];
    class B extends ClientBidiReactor<Payload, Payload> {
      constructor(private readonly name: string) {
        super();
      }
      override onDone(s: Status) {
        log.push(`${this.name}:${s.code}`);
      }
    }
    const a = new B('bidi');
    r.client.bindBidi(S.BidiEcho, a);
    a.startRead();
    a.startCall();
    const w = new (class extends ClientWriteReactor<Payload, Payload> {
      override onDone(s: Status) {
        log.push(`write:${s.code}`);
      }
    })();
    r.client.bindWrite(S.ClientStream, w);
    w.startWrite(p('pending'));
    w.startCall();
    await r.client.unary(E.Echo, p('barrier'));
    r.client.onClose(() => void log.push('cb1'));
    r.client.onClose(async () => {
      await new Promise((res) => setTimeout(res, 20));
      log.push('cb2');
    });
    const closing = r.client.close();
    const after = new B('after');
    r.client.bindBidi(S.BidiEcho, after);
    after.startCall();
    await closing;
    log.push('resolved');
    assert.equal(log.slice(-3), ['cb1', 'cb2', 'resolved']);
    assert.equal(new Set(log.slice(0, -3)), new Set([`bidi:${Code.UNAVAILABLE}`, `write:${Code.UNAVAILABLE}`, `after:${Code.UNAVAILABLE}`]));
    assert.is(r.client.openCalls, 0);
    await r.server.shutdown(50);
  });

  ruleTest(tc, "R11 client: a lost connection runs the onClose callbacks after the calls' onDone", async () => {
    const r = await rig(tc, { BidiEcho: () => new Silent() });
    const log: string[] = [];
    const ran = deferred();
    r.client.onClose(() => {
      log.push('cb');
      ran.resolve();
    });
    const a = new (class extends ClientBidiReactor<Payload, Payload> {
      override onDone(s: Status) {
        log.push(`done:${s.code}`);
      }
    })();
    r.client.bindBidi(S.BidiEcho, a);
    a.startRead();
    a.startCall();
    await r.client.unary(E.Echo, p('barrier'));
    await r.server.forceShutdown();
    await ran.promise;
    assert.equal(log, [`done:${Code.UNAVAILABLE}`, 'cb']);
    await r.client.close();
    assert.equal(log, [`done:${Code.UNAVAILABLE}`, 'cb'], 'callbacks run once');
  });

  ruleTest(tc, 'iterables: a next() racing the call\'s queued onDone ends the stream normally', async () => {
    // One reaction per turn: the consumer's next() runs after onReadDone and before the already queued onDone.
    const r = await rig(
      tc,
      {
        ServerStream: () =>
          new (class extends ServerWriteReactor<Payload> {
            constructor() {
              super();
              this.startWriteAndFinish(p('only'), OK_STATUS);
            }
          })(),
      },
      { client: { scheduler: new Scheduler({ batchSize: 1 }) } },
    );
    for (let i = 0; i < 20; i++) {
      const got: string[] = [];
      for await (const m of r.client.serverStream(S.ServerStream, {})) got.push(txt(m));
      assert.equal(got, ['only']);
    }
    await r.stop();
  });
}

test.run();
