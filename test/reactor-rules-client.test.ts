// The reactor rules of gRFC L67 (grpc client_callback.h) on the client side,
// part 1: re-entrancy, order, holds, startCall, cancellation. One named test per
// rule, each over the in-memory pipe and a unix socket (test names are prefixed
// with the transport).
//
// The rule table (all files):
// rule                                                           file / test name
// R1 no reaction inside the user's start*/finish/removeHold call  client: "R1 client: no reaction runs inside startCall/startRead/removeHold (message already queued; removeHold releasing onDone)"
//                                                                 client: "R1 client: no reaction runs inside startWrite/startWritesDone/startRead issued from reactions"
//                                                                 server: "R1 server: no reaction runs inside startRead/startWrite/finish, also when finish ends an outstanding read"
// R2 per-call event order; one read + one write outstanding       client: "R2 client: reactions in event order; a second startRead/startWrite throws and the call goes on"
//                                                                 server: "R2 server: reactions in event order; a second startRead/startWrite throws and the call goes on"
// R3 onDone exactly once and last; holds                          client: "R3 client: onDone once and last, only after every hold is removed; removeHold below zero throws"
//                                                                 server: "R3 server: onDone once and last, after finish and after the outstanding read completed"
// R4 operations before startCall / in the reactor constructor     client: "R4 client: operations before startCall are queued and released at startCall; tryCancel before it sends nothing"
//                                                                 server: "R4 server: operations issued in the reactor's constructor take effect only once the handler returned"
// R5 cancellation: onCancel after the handler, before onDone,     client: "R5 client: tryCancel and an AbortSignal end the call with CANCELLED after the pending read completes"
//    once; finish still required; sources                         server: "R5 server: onCancel after the handler returned (cancelled before it ran), before onDone, once; onDone waits for finish"
//                                                                 (deadline: R10; closed connection: R5 server, R6 server, R12)
// R6 ok=false meanings                                            client-endings: "R6 client: onReadDone(false) at the end and after a failure; onWriteDone(false) once the call ended"
//                                                                 server-endings: "R6 server: onReadDone(false) once the client half-closed; onWriteDone(false) after cancel"
// R7 misuse throws and leaves the call intact                     client-endings: "R7 client: misuse throws ReactorMisuseError and leaves the call intact"
//                                                                 server-endings: "R7 server: misuse throws ReactorMisuseError and leaves the call intact; a reactor returned twice fails only the second call"
// R8 a throwing reaction fails only its call; logger hook         client-endings: "R8 client: a throwing reaction ends only its call with INTERNAL and reaches the logger"
//                                                                 server-endings: "R8 server: a throwing reaction fails only its call (peer sees INTERNAL), other calls go on, the logger hears of it"
// R9 startRead inside onReadDone for 10^5 messages, flat stack    client-endings: "R9 client: startRead inside onReadDone for 100000 messages keeps the stack flat"
// R10 deadline                                                    server-endings: "R10 deadline: timeoutMs gives DEADLINE_EXCEEDED; the server's ctx.signal aborts and onCancel runs"
// R11 client close() waits for onDone and onClose callbacks       client-endings: "R11 client: close() resolves after every open call's onDone and the onClose callbacks"
//                                                                 client-endings: "R11 client: a lost connection runs the onClose callbacks after the calls' onDone"
// R12 server shutdown(grace) / forceShutdown                      server-endings: "R12 shutdown(grace): new connections and calls are refused, in-flight calls finish within the grace"
//                                                                 server-endings: "R12 shutdown(grace) after the grace, and forceShutdown at once: running calls get onCancel and their connection closes"
// generic-service proxy                                           reactor-generic-proxy.test.ts
// (client = reactor-rules-client.test.ts, client-endings = reactor-rules-client-endings.test.ts,
//  server = reactor-rules-server.test.ts, server-endings = reactor-rules-server-endings.test.ts)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientBidiReactor, ClientReadReactor, ClientWriteReactor } from '../reactors/client-reactors.js';
import { ServerBidiReactor } from '../reactors/server-reactors.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { Code } from '../src/status/code.js';
import { OK_STATUS, type Status } from '../src/status/status.js';
import { CountingWriter, Guard, Joiner, type Payload, RULE_TRANSPORTS, Silent, deferred, misuse, p, rig, ruleTest, txt } from './helpers/rules-kit.js';

const S = StreamingService.methods;
const E = EchoService.methods;
const enc = (s: string) => new TextEncoder().encode(s);

for (const tc of RULE_TRANSPORTS) {
  ruleTest(tc, 'R1 client: no reaction runs inside startCall/startRead/removeHold (message already queued; removeHold releasing onDone)', async () => {
    const serverDone = deferred();
    const r = await rig(tc, {
      ServerStream: (_c, req) =>
        new (class extends CountingWriter {
          override onDone() {
            serverDone.resolve();
          }
        })(req),
    });
    const g = new Guard();
    const events: string[] = [];
    let read = deferred<string>();
    const fin = deferred();
    class R extends ClientReadReactor<Payload> {
      override onReadInitialMetadataDone(ok: boolean) {
        g.reaction('onReadInitialMetadataDone');
        events.push(`md:${ok}`);
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        g.reaction('onReadDone');
        events.push(ok ? txt(m) : 'end');
        read.resolve(ok ? txt(m) : 'end');
      }
      override onDone(s: Status) {
        g.reaction('onDone');
        events.push(`done:${s.code}`);
        fin.resolve();
      }
    }
    const rr = new R();
    r.client.bindRead(S.ServerStream, { count: 3, data: enc('q') }, rr);
    g.op('addHold', () => rr.addHold());
    g.op('startRead', () => rr.startRead());
    g.op('startCall', () => rr.startCall());
    assert.is(await read.promise, 'q-1');
    // Once the server's onDone ran and a later reply on the same connection came back, every frame of the stream arrived: the rest is queued.
    await serverDone.promise;
    await r.client.unary(E.Echo, p('barrier'));
    for (const want of ['q-2', 'q-3', 'end']) {
      read = deferred<string>();
      g.op('startRead', () => rr.startRead());
      assert.is(events.at(-1) === want, false, 'the reaction ran inside startRead');
      assert.is(await read.promise, want);
    }
    await r.client.unary(E.Echo, p('barrier'));
    assert.is(events.includes('done:0'), false, 'onDone ran while a hold was held');
    g.op('removeHold', () => rr.removeHold());
    assert.is(events.includes('done:0'), false, 'onDone ran inside removeHold');
    await fin.promise;
    assert.equal(events, ['md:true', 'q-1', 'q-2', 'q-3', 'end', 'done:0']);
    assert.equal(g.violations, []);
    await r.stop();
  });

  ruleTest(tc, 'R1 client: no reaction runs inside startWrite/startWritesDone/startRead issued from reactions', async () => {
    const r = await rig(tc);
    const g = new Guard();
    const events: string[] = [];
    const fin = deferred<Status>();
    class B extends ClientBidiReactor<Payload, Payload> {
      private n = 0;
      override onWriteDone(ok: boolean) {
        g.reaction('onWriteDone');
        events.push(`w:${ok}`);
      }
      override onWritesDoneDone(ok: boolean) {
        g.reaction('onWritesDoneDone');
        events.push(`wd:${ok}`);
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        g.reaction('onReadDone');
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (!ok) return;
        if (++this.n < 3) g.op('startWrite', () => this.startWrite(p(`m${this.n}`)));
        else g.op('startWritesDone', () => this.startWritesDone());
        g.op('startRead', () => this.startRead());
      }
      override onDone(s: Status) {
        g.reaction('onDone');
        fin.resolve(s);
      }
    }
    const b = new B();
    r.client.bindBidi(S.BidiEcho, b);
    g.op('startWrite', () => b.startWrite(p('m0')));
    g.op('startRead', () => b.startRead());
    g.op('startCall', () => b.startCall());
    assert.is((await fin.promise).code, Code.OK);
    assert.equal(events, ['w:true', 'r:m0', 'w:true', 'r:m1', 'w:true', 'r:m2', 'wd:true', 'r:end']);
    assert.equal(g.violations, []);
    await r.stop();
  });

  ruleTest(tc, 'R2 client: reactions in event order; a second startRead/startWrite throws and the call goes on', async () => {
    const r = await rig(tc);
    const events: string[] = [];
    const fin = deferred();
    class B extends ClientBidiReactor<Payload, Payload> {
      override onReadInitialMetadataDone(ok: boolean) {
        events.push(`md:${ok}`);
      }
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}`);
        if (events.filter((e) => e.startsWith('w:')).length === 2) this.startWritesDone();
      }
      override onWritesDoneDone(ok: boolean) {
        events.push(`wd:${ok}`);
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (!ok) return;
        this.startRead();
        assert.throws(() => this.startRead(), misuse(/read is outstanding/));
        if (txt(m) === 'a') {
          this.startWrite(p('b'));
          assert.throws(() => this.startWrite(p('x')), misuse(/write is outstanding/));
        }
      }
      override onDone(s: Status) {
        events.push(`done:${s.code}`);
        fin.resolve();
      }
    }
    const b = new B();
    r.client.bindBidi(S.BidiEcho, b);
    b.startRead();
    assert.throws(() => b.startRead(), misuse());
    b.startWrite(p('a'));
    assert.throws(() => b.startWrite(p('x')), misuse());
    b.startCall();
    await fin.promise;
    assert.equal(events, ['w:true', 'md:true', 'r:a', 'w:true', 'wd:true', 'r:b', 'r:end', 'done:0']);
    await r.stop();
  });

  ruleTest(tc, 'R3 client: onDone once and last, only after every hold is removed; removeHold below zero throws', async () => {
    const serverDone = deferred();
    const r = await rig(tc, { ClientStream: () => new Joiner(() => serverDone.resolve()) });
    const events: string[] = [];
    let dones = 0;
    class W extends ClientWriteReactor<Payload, Payload> {
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}`);
      }
      override onDone(s: Status, res: Payload | undefined) {
        dones++;
        events.push(`done:${s.code}:${txt(res)}`);
      }
    }
    const w = new W();
    r.client.bindWrite(S.ClientStream, w);
    w.addMultipleHolds(2);
    w.addHold();
    assert.throws(() => w.addMultipleHolds(0), misuse());
    w.startWriteLast(p('a'));
    w.startCall();
    await serverDone.promise;
    await r.client.unary(E.Echo, p('barrier'));
    assert.equal(events, ['w:true'], 'the status is in, but three holds are held');
    w.removeHold();
    w.removeHold();
    await r.client.unary(E.Echo, p('barrier'));
    assert.is(dones, 0, 'one hold is still held');
    w.removeHold();
    assert.throws(() => w.removeHold(), misuse(/removeHold/));
    await r.client.unary(E.Echo, p('barrier'));
    assert.equal(events, ['w:true', 'done:0:a']);
    assert.is(dones, 1);
    assert.throws(() => w.addHold(), misuse());
    await r.stop();
  });

  ruleTest(tc, 'R4 client: operations before startCall are queued and released at startCall; tryCancel before it sends nothing', async () => {
    let handlers = 0;
    const r = await rig(tc, {
      BidiEcho: () => {
        handlers++;
        return new (class extends ServerBidiReactor<Payload, Payload> {
          constructor() {
            super();
            this.startRead();
          }
          override onReadDone(ok: boolean, m: Payload | undefined) {
            if (!ok) return this.finish(OK_STATUS);
            this.startWrite(m!);
          }
          override onWriteDone() {
            this.startRead();
          }
        })();
      },
    });
    const events: string[] = [];
    const fin = deferred();
    class B extends ClientBidiReactor<Payload, Payload> {
      override onReadInitialMetadataDone(ok: boolean) {
        events.push(`md:${ok}`);
      }
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}`);
      }
      override onWritesDoneDone(ok: boolean) {
        events.push(`wd:${ok}`);
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (ok) this.startRead();
      }
      override onDone(s: Status) {
        events.push(`done:${s.code}`);
        fin.resolve();
      }
    }
    const b = new B();
    r.client.bindBidi(S.BidiEcho, b);
    b.startWrite(p('x'));
    b.startRead();
    b.startWritesDone();
    await r.client.unary(E.Echo, p('barrier'));
    assert.is(handlers, 0, 'nothing may be sent before startCall');
    assert.equal(events, []);
    b.startCall();
    await fin.promise;
    assert.equal(events, ['w:true', 'wd:true', 'md:true', 'r:x', 'r:end', 'done:0']);
    const c = new B();
    events.length = 0;
    const fin2 = deferred();
    c.onDone = (s) => {
      events.push(`done:${s.code}`);
      fin2.resolve();
    };
    r.client.bindBidi(S.BidiEcho, c);
    c.startWrite(p('never'));
    c.tryCancel();
    c.startCall();
    await fin2.promise;
    await r.client.unary(E.Echo, p('barrier'));
    assert.is(handlers, 1, 'a call cancelled before startCall reaches no server');
    assert.equal(events, ['md:false', 'w:false', 'done:1']);
    await r.stop();
  });

  ruleTest(tc, 'R5 client: tryCancel and an AbortSignal end the call with CANCELLED after the pending read completes', async () => {
    const r = await rig(tc, { BidiEcho: () => new Silent() });
    for (const how of ['tryCancel', 'signal'] as const) {
      const events: string[] = [];
      const fin = deferred();
      const ac = new AbortController();
      class B extends ClientBidiReactor<Payload, Payload> {
        override onReadInitialMetadataDone(ok: boolean) {
          events.push(`md:${ok}`);
        }
        override onReadDone(ok: boolean) {
          events.push(`r:${ok}`);
        }
        override onDone(s: Status) {
          events.push(`done:${s.code}`);
          fin.resolve();
        }
      }
      const b = new B();
      r.client.bindBidi(S.BidiEcho, b, how === 'signal' ? { signal: ac.signal } : {});
      b.startRead();
      b.startCall();
      await r.client.unary(E.Echo, p('barrier'));
      if (how === 'signal') ac.abort();
      else b.tryCancel();
      b.tryCancel();
      await fin.promise;
      assert.equal(events, ['md:false', 'r:false', 'done:1'], how);
    }
    await r.stop();
  });
}

test.run();
