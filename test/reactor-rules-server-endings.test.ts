// The reactor rules of gRFC L67 (grpc server_callback.h) on the server side,
// part 2, plus deadlines and server shutdown, one named test per rule, over
// the in-memory pipe and a unix socket. The full rule table is at the top of
// reactor-rules-client.test.ts.
//
// rule  test name (prefixed by the transport)
// R6    "R6 server: onReadDone(false) once the client half-closed; onWriteDone(false) after cancel"
// R7    "R7 server: misuse throws ReactorMisuseError and leaves the call intact; a reactor returned twice fails only the second call"
// R8    "R8 server: a throwing reaction fails only its call (peer sees INTERNAL), other calls go on, the logger hears of it"
// R10   "R10 deadline: timeoutMs gives DEADLINE_EXCEEDED; the server's ctx.signal aborts and onCancel runs"
// R12   "R12 shutdown(grace): new connections and calls are refused, in-flight calls finish within the grace"
//       "R12 shutdown(grace) after the grace, and forceShutdown at once: running calls get onCancel and their connection closes"
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientBidiReactor } from '../reactors/client-reactors.js';
import { ServerBidiReactor, ServerReadReactor, ServerUnaryReactor, ServerWriteReactor } from '../reactors/server-reactors.js';
import type { ServerContext } from '../reactors/server-context.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { OK_STATUS, type Status, status } from '../src/status/status.js';
import { CollectingLogger, type Payload, RULE_TRANSPORTS, bidiCall, deferred, misuse, p, rig, ruleTest, txt, until } from './helpers/rules-kit.js';

const S = StreamingService.methods;
const E = EchoService.methods;

for (const tc of RULE_TRANSPORTS) {
  ruleTest(tc, 'R6 server: onReadDone(false) once the client half-closed; onWriteDone(false) after cancel', async () => {
    const events: string[] = [];
    const done = deferred();
    class Reader extends ServerReadReactor<Payload, Payload> {
      constructor() {
        super();
        this.startRead();
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (ok) this.startRead();
        else this.finish(OK_STATUS, p('read all'));
      }
    }
    class Writer extends ServerWriteReactor<Payload> {
      constructor() {
        super();
        this.startWrite(p('first'));
      }
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}`);
        if (!ok) this.finish(status(Code.CANCELLED, 'gone'));
      }
      override onCancel() {
        events.push('cancel');
        this.startWrite(p('after cancel'));
      }
      override onDone() {
        events.push('done');
        done.resolve();
      }
    }
    const r = await rig(tc, { ClientStream: () => new Reader(), ServerStream: () => new Writer() });
    assert.is(txt(await r.client.clientStream(S.ClientStream, [p('a'), p('b')])), 'read all');
    assert.equal(events.splice(0), ['r:a', 'r:b', 'r:end']);
    const it = r.client.serverStream(S.ServerStream, {})[Symbol.asyncIterator]();
    assert.is(txt((await it.next()).value as Payload), 'first');
    await r.client.close();
    await done.promise;
    assert.equal(events, ['w:true', 'cancel', 'w:false', 'done']);
    await r.server.shutdown(50);
  });

  ruleTest(tc, 'R7 server: misuse throws ReactorMisuseError and leaves the call intact; a reactor returned twice fails only the second call', async () => {
    const checks: string[] = [];
    class R extends ServerBidiReactor<Payload, Payload> {
      constructor() {
        super();
        this.startRead();
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        if (!ok) return;
        this.startWriteLast(p(`last ${txt(m)}`));
        assert.throws(() => this.startWrite(p('x')), misuse(/startWriteLast/));
        assert.throws(() => this.startWriteAndFinish(p('x'), OK_STATUS), misuse(/startWriteLast/));
        this.finish(OK_STATUS);
        for (const op of [() => this.startRead(), () => this.finish(OK_STATUS), () => this.startSendInitialMetadata()]) assert.throws(op, misuse(/after finish/));
        checks.push('ok');
      }
    }
    let shared: ServerUnaryReactor<Payload> | undefined;
    const r = await rig(tc, {
      BidiEcho: () => new R(),
      Echo: (ctx, req) => {
        if (!shared) {
          shared = ctx.defaultReactor<Payload>();
          shared.finish(OK_STATUS, req);
        }
        return shared;
      },
    });
    const res = await bidiCall(r.client, ['m'], { halfClose: false });
    assert.equal(res.got, ['last m']);
    assert.is(res.status.code, Code.OK);
    assert.equal(checks, ['ok']);
    assert.is(txt(await r.client.unary(E.Echo, p('first'))), 'first');
    const second = (await r.client.unary(E.Echo, p('second')).catch((e: unknown) => e)) as RpcError;
    assert.instance(second, RpcError);
    assert.is(second.code, Code.INTERNAL);
    assert.match(second.message, /already attached/);
    await r.stop();
  });

  ruleTest(tc, 'R8 server: a throwing reaction fails only its call (peer sees INTERNAL), other calls go on, the logger hears of it', async () => {
    const logger = new CollectingLogger();
    const dones: string[] = [];
    const afterFailure: string[] = [];
    class R extends ServerBidiReactor<Payload, Payload> {
      private threw = false;
      constructor() {
        super();
        this.startRead();
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        if (this.threw) {
          // The library failed the call: operations complete with ok=false and finish is accepted.
          afterFailure.push(`r:${ok}`);
          return this.startWrite(p('after failure'));
        }
        if (!ok) return this.finish(OK_STATUS);
        if (txt(m) === 'boom') {
          // A read is outstanding when the reaction throws: onDone must still come.
          this.startRead();
          this.threw = true;
          throw new Error('boom');
        }
        this.startWrite(m!);
      }
      override onWriteDone(ok: boolean) {
        if (!this.threw) return this.startRead();
        afterFailure.push(`w:${ok}`);
        this.finish(OK_STATUS);
      }
      override onDone() {
        dones.push('done');
      }
    }
    const r = await rig(tc, { BidiEcho: () => new R() }, { serverScheduler: new Scheduler({ logger }) });
    const other = bidiCall(r.client, ['x1', 'x2'], { halfClose: false });
    const failed = await bidiCall(r.client, ['ok', 'boom', 'never']);
    assert.is(failed.status.code, Code.INTERNAL);
    assert.match(failed.status.message, /boom/);
    assert.equal(failed.got, ['ok']);
    const after = await bidiCall(r.client, ['after']);
    assert.equal(after.got, ['after']);
    assert.is(after.status.code, Code.OK);
    assert.equal(logger.errors.map((e) => `${(e.error as Error).message}@${e.info.label}`), ['boom@onReadDone']);
    await until(() => dones.length === 2, 'onDone of the failed and the finished call');
    assert.equal(afterFailure, ['r:false', 'w:false']);
    await r.client.close();
    assert.is((await other).status.code, Code.UNAVAILABLE);
    await r.server.shutdown(50);
  });

  ruleTest(tc, "R10 deadline: timeoutMs gives DEADLINE_EXCEEDED; the server's ctx.signal aborts and onCancel runs", async () => {
    const events: string[] = [];
    const done = deferred();
    class R extends ServerBidiReactor<Payload, Payload> {
      constructor(private readonly ctx: ServerContext) {
        super();
        this.startRead();
        ctx.signal.addEventListener('abort', () => events.push(`abort:${(ctx.signal.reason as RpcError).code}`));
      }
      override onReadDone(ok: boolean) {
        events.push(`r:${ok}`);
      }
      override onCancel() {
        events.push(`cancel:${this.ctx.cancelled}`);
        this.finish(status(Code.DEADLINE_EXCEEDED, 'too late'));
      }
      override onDone() {
        events.push('done');
        done.resolve();
      }
    }
    const r = await rig(tc, { BidiEcho: (ctx) => new R(ctx) });
    const late = (await r.client.unary(E.Sleep, { millis: 5000 }, { timeoutMs: 30 }).catch((e: unknown) => e)) as RpcError;
    assert.is(late.code, Code.DEADLINE_EXCEEDED);
    const fin = deferred<Status>();
    const b = new (class extends ClientBidiReactor<Payload, Payload> {
      override onDone(s: Status) {
        fin.resolve(s);
      }
    })();
    r.client.bindBidi(S.BidiEcho, b, { timeoutMs: 40 });
    b.startRead();
    b.startCall();
    assert.is((await fin.promise).code, Code.DEADLINE_EXCEEDED);
    await done.promise;
    // The read's end and onCancel may come in either order (a deadline that expires before the handler ran puts onCancel first).
    assert.equal([events[0], [...events.slice(1, 3)].sort(), events[3], events.length], [`abort:${Code.DEADLINE_EXCEEDED}`, ['cancel:true', 'r:false'], 'done', 4]);
    await r.stop();
  });

  ruleTest(tc, 'R12 shutdown(grace): new connections and calls are refused, in-flight calls finish within the grace', async () => {
    const r = await rig(tc);
    const inflight = r.client.unary(E.Sleep, { millis: 60 });
    await until(() => r.server.activeCalls === 1, 'the call to reach the server');
    const started = Date.now();
    const stopping = r.server.shutdown(10_000);
    await until(() => r.listener.closed, 'the listener to close');
    const refused = (await r.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as RpcError;
    assert.instance(refused, RpcError);
    assert.is(refused.code, Code.UNAVAILABLE);
    const late = (await r.client.unary(E.Echo, p('late')).catch((e: unknown) => e)) as RpcError;
    assert.is(late.code, Code.UNAVAILABLE);
    assert.is(txt(await inflight), 'slept');
    await stopping;
    assert.ok(Date.now() - started < 5000, 'shutdown returned once the running call finished');
    await r.client.close();
  });

  ruleTest(tc, 'R12 shutdown(grace) after the grace, and forceShutdown at once: running calls get onCancel and their connection closes', async () => {
    for (const force of [false, true]) {
      const events: string[] = [];
      const done = deferred();
      class R extends ServerBidiReactor<Payload, Payload> {
        constructor() {
          super();
          this.startRead();
        }
        override onCancel() {
          events.push('cancel');
          this.finish(status(Code.CANCELLED, 'shutdown'));
        }
        override onDone() {
          events.push('done');
          done.resolve();
        }
      }
      const r = await rig(tc, { BidiEcho: () => new R() });
      const call = bidiCall(r.client, [], { halfClose: false });
      await until(() => r.server.activeCalls === 1, 'the call to reach the server');
      const started = Date.now();
      if (force) await r.server.forceShutdown();
      else await r.server.shutdown(40);
      if (!force) assert.ok(Date.now() - started >= 35, 'the grace was given');
      assert.is((await call).status.code, Code.UNAVAILABLE);
      await done.promise;
      assert.equal(events, ['cancel', 'done']);
      await r.client.close();
    }
  });
}

test.run();
