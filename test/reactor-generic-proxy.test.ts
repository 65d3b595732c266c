// A generic-service proxy: server A serves every method with one raw-bytes
// bidi reactor (addGenericService) that opens the same method on server B
// (the real interop services) through a generic client bidi reactor and
// forwards messages both ways, statuses (non-OK too), metadata, deadline and
// cancellation. A typed client talks to A; every call shape must come out as
// if it had talked to B. Over the in-memory pipe and a unix socket.
//
// The proxy opens its upstream call with the downstream call's wire shape
// (ctx.kind): ttrpc tells unary from server-streaming from client-streaming
// only by the Request flags, so a unary call forwarded as bidi would reach B
// with the wrong flags. ttrpc has no cancel frame, so a cancellation reaches A
// only as a closed connection (or the deadline), and reaches B only if the
// proxy closes the upstream connection: the cancel test gives each proxied
// call its own upstream connection and closes it when the upstream call ends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientBidiReactor } from '../reactors/client-reactors.js';
import { ServerBidiReactor } from '../reactors/server-reactors.js';
import type { ServerContext } from '../reactors/server-context.js';
import { rawMethod } from '../src/call/method.js';
import type { MethodKind } from '../src/call/call.js';
import { Client } from '../src/client/client.js';
import { Server } from '../src/server/server.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { Metadata } from '../src/metadata/metadata.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { type Status, status } from '../src/status/status.js';
import { dialTarget } from './helpers/transports.js';
import { mixedServer } from './helpers/reactor-fixture.js';
import { type Payload, RULE_TRANSPORTS, deferred, p, rigServer, txt, until } from './helpers/rules-kit.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Upstream is the proxy's client side: a generic bidi reactor on B. Two holds keep its onDone back while the downstream side may still read (read hold) or write (write hold) through it. */
class Upstream extends ClientBidiReactor<Uint8Array, Uint8Array> {
  private readHeld = true;
  private writeHeld = true;
  constructor(private readonly proxy: ProxyReactor) {
    super();
  }
  releaseRead(): void {
    if (!this.readHeld) return;
    this.readHeld = false;
    this.removeHold();
  }
  releaseWrite(): void {
    if (!this.writeHeld) return;
    this.writeHeld = false;
    this.removeHold();
  }
  get writable(): boolean {
    return this.writeHeld;
  }
  override onReadDone(ok: boolean, m: Uint8Array | undefined): void {
    if (ok) return this.proxy.startWrite(m!);
    // B sent its last response: its call is over, nothing more goes up.
    this.releaseWrite();
    this.releaseRead();
  }
  override onWriteDone(ok: boolean): void {
    if (ok && this.writeHeld) this.proxy.startRead();
    else this.releaseWrite();
  }
  override onDone(s: Status): void {
    this.proxy.upstreamDone(s);
  }
}

/** ProxyReactor serves one call on A by forwarding it to B. */
class ProxyReactor extends ServerBidiReactor<Uint8Array, Uint8Array> {
  private up: Upstream | undefined;
  private client: Client | undefined;
  private cancelled = false;
  constructor(
    private readonly ctx: ServerContext,
    connect: () => Promise<Client>,
    private readonly dedicated: boolean,
    private readonly log?: (e: string) => void,
  ) {
    super();
    connect().then(
      (c) => this.open(c),
      (e: unknown) => this.finish(RpcError.from(e).toStatus()),
    );
  }
  private open(client: Client): void {
    this.client = client;
    const up = new Upstream(this);
    this.up = up;
    client.bindBidi(rawMethod(this.ctx.method, this.ctx.kind), up, { deadline: this.ctx.deadline, metadata: this.ctx.metadata });
    up.addMultipleHolds(2);
    up.startRead();
    if (this.cancelled) up.tryCancel();
    up.startCall();
    this.startRead();
  }
  override onReadDone(ok: boolean, m: Uint8Array | undefined): void {
    const up = this.up!;
    if (!up.writable) return;
    if (ok) return up.startWrite(m!);
    up.startWritesDone();
    up.releaseWrite();
  }
  override onWriteDone(ok: boolean): void {
    const up = this.up!;
    if (ok) return up.startRead();
    // The downstream client is gone: stop both directions.
    up.tryCancel();
    up.releaseRead();
    up.releaseWrite();
  }
  override onCancel(): void {
    this.log?.('A:cancel');
    this.cancelled = true;
    this.up?.tryCancel();
  }
  upstreamDone(s: Status): void {
    this.log?.(`A:upstream done ${s.code}`);
    this.finish(s);
    if (this.dedicated) void this.client!.close();
  }
}

/** proxyServer is A: a generic service forwarding to B; kinds records ctx.kind per method. */
function proxyServer(connect: () => Promise<Client>, dedicated: boolean, kinds: Map<string, MethodKind>, log?: (e: string) => void): Server {
  return new Server().addGenericService((ctx) => {
    kinds.set(ctx.method.slice(ctx.method.lastIndexOf('/') + 1), ctx.kind);
    return new ProxyReactor(ctx, connect, dedicated, log);
  });
}

for (const tc of RULE_TRANSPORTS) {
  const t = (name: string, fn: () => Promise<void>) => test(`${tc.name}: ${name}`, fn);

  t('proxy: all four shapes, statuses and metadata pass through a generic-service proxy', async () => {
    const b = mixedServer();
    const bTarget = tc.target();
    const bBound = await b.listen(bTarget);
    const upstream = await Client.connect(dialTarget(bTarget, bBound));
    const kinds = new Map<string, MethodKind>();
    const a = proxyServer(() => Promise.resolve(upstream), false, kinds);
    const aTarget = tc.target();
    const aBound = await a.listen(aTarget);
    const c = await Client.connect(dialTarget(aTarget, aBound));
    const E = EchoService.methods;
    const S = StreamingService.methods;

    assert.is(txt(await c.unary(E.Echo, p('hello'))), 'hello');
    assert.is(txt(await c.unary(E.Echo, p(''))), '');
    const got: string[] = [];
    for await (const m of c.serverStream(S.ServerStream, { count: 3, data: enc('s') })) got.push(txt(m));
    assert.equal(got, ['s-1', 's-2', 's-3']);
    assert.is(txt(await c.clientStream(S.ClientStream, [p('a'), p('b'), p('c')])), 'a,b,c');
    const echoed: string[] = [];
    for await (const m of c.bidi(S.BidiEcho, [p('1'), p('2'), p('3')])) echoed.push(txt(m));
    assert.equal(echoed, ['1', '2', '3']);

    const failed = (await c.unary(E.Fail, { code: Code.NOT_FOUND, message: 'nope' }).catch((e: unknown) => e)) as RpcError;
    assert.instance(failed, RpcError);
    assert.is(failed.code, Code.NOT_FOUND);
    assert.is(failed.rawMessage, 'nope');
    const partial: string[] = [];
    const streamErr = await (async () => {
      for await (const m of c.serverStream(S.ServerStream, { count: 2, data: enc('e'), failCode: Code.ABORTED, failMessage: 'half' })) partial.push(txt(m));
    })().catch((e: unknown) => e as RpcError);
    assert.equal(partial, ['e-1', 'e-2']);
    assert.is(streamErr?.code, Code.ABORTED);
    const md = await c.unary(E.Metadata, p(''), { metadata: new Metadata({ 'x-via': ['proxy'] }) });
    assert.equal(md.entries?.map((e) => `${e.key}=${e.value}`), ['x-via=proxy']);
    const late = (await c.unary(E.Sleep, { millis: 5000 }, { timeoutMs: 200 }).catch((e: unknown) => e)) as RpcError;
    assert.is(late.code, Code.DEADLINE_EXCEEDED);
    await until(() => kinds.size === 7, 'the proxy to see every method');

    assert.equal(Object.fromEntries(kinds), { Echo: 'unary', ServerStream: 'server_stream', ClientStream: 'bidi', BidiEcho: 'bidi', Fail: 'unary', Metadata: 'unary', Sleep: 'unary' });
    await c.close();
    await a.shutdown(100);
    await upstream.close();
    await b.shutdown(100);
  });

  t('proxy: a cancellation travels client → A (onCancel) → upstream tryCancel → B (handler sees the cancel)', async () => {
    const log: string[] = [];
    const bDone = deferred();
    const b = rigServer({
      BidiEcho: () =>
        new (class extends ServerBidiReactor<Payload, Payload> {
          constructor() {
            super();
            this.startRead();
          }
          override onReadDone(ok: boolean, m: Payload | undefined) {
            if (ok) this.startWrite(m!);
          }
          override onWriteDone(ok: boolean) {
            if (ok) this.startRead();
          }
          override onCancel() {
            log.push('B:cancel');
            this.finish(status(Code.CANCELLED, 'cancelled'));
          }
          override onDone() {
            bDone.resolve();
          }
        })(),
    });
    const bTarget = tc.target();
    const bBound = await b.listen(bTarget);
    const kinds = new Map<string, MethodKind>();
    const a = proxyServer(() => Client.connect(dialTarget(bTarget, bBound)), true, kinds, (e) => log.push(e));
    const aTarget = tc.target();
    const aBound = await a.listen(aTarget);
    const c = await Client.connect(dialTarget(aTarget, aBound));
    const first = deferred<string>();
    const fin = deferred<Status>();
    class Caller extends ClientBidiReactor<Payload, Payload> {
      override onReadDone(ok: boolean, m: Payload | undefined) {
        if (ok) first.resolve(txt(m));
      }
      override onDone(s: Status) {
        fin.resolve(s);
      }
    }
    const caller = new Caller();
    c.bindBidi(StreamingService.methods.BidiEcho, caller);
    caller.startWrite(p('ping'));
    caller.startRead();
    caller.startCall();
    assert.is(await first.promise, 'ping', 'all three legs are open');
    // ttrpc carries no cancel frame: the client's cancellation reaches A as its closed connection.
    await c.close();
    assert.is((await fin.promise).code, Code.UNAVAILABLE);
    await bDone.promise;
    await until(() => log.length === 3, 'the proxy to finish');
    assert.equal(log, ['A:cancel', 'A:upstream done 1', 'B:cancel']);
    assert.equal(Object.fromEntries(kinds), { BidiEcho: 'bidi' });
    await a.shutdown(100);
    await b.shutdown(100);
  });
}

test.run();
