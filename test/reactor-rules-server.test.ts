// The reactor rules of gRFC L67 (grpc server_callback.h) on the server side,
// part 1, one named test per rule, over the in-memory pipe and a unix socket.
// The full rule table is at the top of reactor-rules-client.test.ts.
//
// ttrpc has no cancel frame: a client's tryCancel/AbortSignal ends its own call
// only (reactor-rules-client.test.ts); a server learns of a cancellation from
// the deadline or from the closed connection, the two sources tested here.
//
// rule  test name (prefixed by the transport)
// R1    "R1 server: no reaction runs inside startRead/startWrite/finish, also when finish ends an outstanding read"
// R2    "R2 server: reactions in event order; a second startRead/startWrite throws and the call goes on"
// R3    "R3 server: onDone once and last, after finish and after the outstanding read completed"
// R4    "R4 server: operations issued in the reactor's constructor take effect only once the handler returned"
// R5    "R5 server: onCancel after the handler returned (cancelled before it ran), before onDone, once; onDone waits for finish"
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientBidiReactor, ClientWriteReactor } from '../reactors/client-reactors.js';
import { ServerBidiReactor, ServerReadReactor } from '../reactors/server-reactors.js';
import type { ServerContext } from '../reactors/server-context.js';
import { Client } from '../src/client/client.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { OK_STATUS, type Status, status } from '../src/status/status.js';
import { Guard, type Payload, RULE_TRANSPORTS, bidiCall, deferred, gatedScheduler, misuse, p, rig, ruleTest, txt, until } from './helpers/rules-kit.js';

const S = StreamingService.methods;
const E = EchoService.methods;

for (const tc of RULE_TRANSPORTS) {
  ruleTest(tc, 'R1 server: no reaction runs inside startRead/startWrite/finish, also when finish ends an outstanding read', async () => {
    const g = new Guard();
    const events: string[] = [];
    const done = deferred();
    class R extends ServerBidiReactor<Payload, Payload> {
      constructor() {
        super();
        this.startRead();
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        g.reaction('onReadDone');
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (ok && txt(m) !== 'stop') g.op('startWrite', () => this.startWrite(m!));
      }
      override onWriteDone(ok: boolean) {
        g.reaction('onWriteDone');
        events.push(`w:${ok}`);
        g.op('startRead', () => this.startRead());
        // The client keeps its side open: finish ends the call with this read outstanding.
        if (events.length === 4) g.op('finish', () => this.finish(OK_STATUS));
      }
      override onDone() {
        g.reaction('onDone');
        events.push('done');
        done.resolve();
      }
    }
    const r = await rig(tc, { BidiEcho: () => new R() });
    const res = await bidiCall(r.client, ['a', 'b'], { halfClose: false });
    assert.is(res.status.code, Code.OK);
    assert.equal(res.got, ['a', 'b']);
    await done.promise;
    assert.equal(events, ['r:a', 'w:true', 'r:b', 'w:true', 'r:end', 'done']);
    assert.equal(g.violations, []);
    await r.stop();
  });

  ruleTest(tc, 'R2 server: reactions in event order; a second startRead/startWrite throws and the call goes on', async () => {
    const events: string[] = [];
    const done = deferred();
    class R extends ServerBidiReactor<Payload, Payload> {
      constructor() {
        super();
        this.startRead();
        assert.throws(() => this.startRead(), misuse(/read is outstanding/));
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (!ok) return this.finish(OK_STATUS);
        this.startWrite(p(txt(m).toUpperCase()));
        assert.throws(() => this.startWrite(p('x')), misuse(/write is outstanding/));
      }
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}`);
        this.startRead();
        assert.throws(() => this.startRead(), misuse());
      }
      override onDone() {
        events.push('done');
        done.resolve();
      }
    }
    const r = await rig(tc, { BidiEcho: () => new R() });
    const res = await bidiCall(r.client, ['a', 'b', 'c']);
    assert.is(res.status.code, Code.OK);
    assert.equal(res.got, ['A', 'B', 'C']);
    await done.promise;
    assert.equal(events, ['r:a', 'w:true', 'r:b', 'w:true', 'r:c', 'w:true', 'r:end', 'done']);
    await r.stop();
  });

  ruleTest(tc, 'R3 server: onDone once and last, after finish and after the outstanding read completed', async () => {
    const events: string[] = [];
    const done = deferred();
    let dones = 0;
    class R extends ServerReadReactor<Payload, Payload> {
      constructor() {
        super();
        this.startRead();
      }
      override onReadDone(ok: boolean, m: Payload | undefined) {
        events.push(ok ? `r:${txt(m)}` : 'r:end');
        if (!ok) return;
        this.startRead();
        this.finish(OK_STATUS, p(`got ${txt(m)}`));
      }
      override onDone() {
        dones++;
        events.push('done');
        done.resolve();
      }
    }
    const r = await rig(tc, { ClientStream: () => new R() });
    const res = await bidiLikeClientStream(r.client);
    assert.equal(res, [Code.OK, 'got first']);
    await done.promise;
    await r.client.unary(E.Echo, p('barrier'));
    assert.equal(events, ['r:first', 'r:end', 'done']);
    assert.is(dones, 1);
    await r.stop();
  });

  ruleTest(tc, "R4 server: operations issued in the reactor's constructor take effect only once the handler returned", async () => {
    let mode: 'throw' | 'return' = 'throw';
    let returned = false;
    const events: string[] = [];
    class R extends ServerBidiReactor<Payload, Payload> {
      constructor() {
        super();
        this.startWrite(p('early'));
        this.startRead();
      }
      override onWriteDone(ok: boolean) {
        events.push(`w:${ok}:${returned}`);
      }
      override onReadDone(ok: boolean) {
        events.push(`r:${ok}:${returned}`);
        if (!ok) this.finish(OK_STATUS);
      }
    }
    const r = await rig(tc, {
      BidiEcho: () => {
        returned = false;
        const reactor = new R();
        if (mode === 'throw') throw new RpcError(Code.ABORTED, 'changed my mind');
        returned = true;
        return reactor;
      },
    });
    const thrown = await bidiCall(r.client, []);
    assert.equal(thrown.got, [], 'the constructor write was never released');
    assert.is(thrown.status.code, Code.ABORTED, thrown.status.message);
    assert.equal(events, []);
    mode = 'return';
    const ok = await bidiCall(r.client, []);
    assert.equal(ok.got, ['early']);
    assert.is(ok.status.code, Code.OK, ok.status.message);
    assert.equal(events, ['r:false:true', 'w:true:true']);
    await r.stop();
  });

  ruleTest(tc, 'R5 server: onCancel after the handler returned (cancelled before it ran), before onDone, once; onDone waits for finish', async () => {
    const gate = gatedScheduler();
    const events: string[] = [];
    const done = deferred();
    class R extends ServerBidiReactor<Payload, Payload> {
      constructor(private readonly ctx: ServerContext) {
        super();
        this.startRead();
      }
      override onReadDone(ok: boolean) {
        events.push(`r:${ok}`);
      }
      override onCancel() {
        events.push(`cancel:${this.ctx.cancelled}`);
        setTimeout(() => {
          events.push('finish');
          this.finish(status(Code.CANCELLED, 'late finish'));
        }, 20);
      }
      override onDone() {
        events.push('done');
        done.resolve();
      }
    }
    const r = await rig(tc, {
      BidiEcho: (ctx) => {
        events.push(`handler:cancelled=${ctx.cancelled}`);
        const reactor = new R(ctx);
        events.push('returned');
        return reactor;
      },
    }, { serverScheduler: gate.scheduler });
    const b = new (class extends ClientBidiReactor<Payload, Payload> {})();
    r.client.bindBidi(S.BidiEcho, b);
    b.startCall();
    await until(() => r.server.activeCalls === 1, 'the call to reach the server');
    await r.client.close();
    await until(() => r.listener.closes === 1, 'the server to see the closed connection');
    gate.open();
    await done.promise;
    assert.equal(events, ['handler:cancelled=true', 'returned', 'cancel:true', 'r:false', 'finish', 'done']);
    await r.server.shutdown(50);
  });
}

/** bidiLikeClientStream writes one request and keeps the request stream open; the server answers early. */
async function bidiLikeClientStream(client: Client): Promise<[Code, string]> {
  const fin = deferred<[Code, string]>();
  const w = new (class extends ClientWriteReactor<Payload, Payload> {
    override onDone(s: Status, res: Payload | undefined) {
      fin.resolve([s.code, txt(res)]);
    }
  })();
  client.bindWrite(S.ClientStream, w);
  w.startWrite(p('first'));
  w.startCall();
  return fin.promise;
}

test.run();
