// The four call shapes end to end: a mixed server (callback and sync-style
// methods in one service) against every client style (promise, unary shortcut,
// reactors, async iterables), over the pipe, a unix socket and TCP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectTtrpc } from '../src/client/connect.js';
import { Client } from '../src/client/client.js';
import { TTRPC_SCENARIOS } from '../src/cli/interop/ttrpc-scenarios.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { ClientBidiReactor, ClientReadReactor, ClientUnaryReactor, ClientWriteReactor } from '../reactors/client-reactors.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import type { Status } from '../src/status/status.js';
import { Metadata } from '../src/metadata/metadata.js';
import type { ttrpc } from '../generated/interop.js';
import { TRANSPORTS, dialTarget } from './helpers/transports.js';
import { PROTOCOLS, mixedServer, p, startMixed, txt } from './helpers/reactor-fixture.js';

type Payload = ttrpc.interop.v1.IPayload;

function done<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

for (const tc of TRANSPORTS) {
  test(`${tc.name}: every interop scenario against the reactor-based server`, async () => {
    const server = mixedServer();
    const target = tc.target();
    const bound = await server.listen(target);
    const t = await connectTtrpc(dialTarget(target, bound));
    try {
      for (const [name, scenario] of Object.entries(TTRPC_SCENARIOS)) {
        try {
          await scenario(Client.fromTransport(t));
        } catch (e) {
          throw new Error(`${name}: ${(e as Error).message}`);
        }
      }
    } finally {
      t.close();
      await server.shutdown(100);
    }
  });

  for (const pc of PROTOCOLS) {
    test(`${tc.name}/${pc.name}: unary as promise, shortcut and reactor`, async () => {
      const { server, client } = await startMixed(tc.target(), pc);
      assert.is(txt(await client.unary(EchoService.methods.Echo, p('promise'))), 'promise');
      const viaShortcut = done<[Status, Payload | undefined]>();
      client.unaryCallback(EchoService.methods.Echo, p('shortcut'), undefined, (s, r) => viaShortcut.resolve([s, r]));
      const [s1, r1] = await viaShortcut.promise;
      assert.is(s1.code, Code.OK);
      assert.is(txt(r1), 'shortcut');
      const events: string[] = [];
      const viaReactor = done<void>();
      class R extends ClientUnaryReactor<Payload> {
        override onReadInitialMetadataDone(ok: boolean): void {
          events.push(`md:${ok}`);
        }
        override onDone(s: Status, r: Payload | undefined): void {
          events.push(`done:${s.code}:${txt(r)}`);
          viaReactor.resolve();
        }
      }
      const r = new R();
      client.bindUnary(EchoService.methods.Echo, p('reactor'), r);
      r.startCall();
      await viaReactor.promise;
      assert.equal(events, ['md:true', 'done:0:reactor']);
      const err = await client.unary(EchoService.methods.Fail, { code: 5, message: 'nope' }).catch((e: unknown) => e);
      assert.instance(err, RpcError);
      assert.is((err as RpcError).code, Code.NOT_FOUND);
      assert.is((err as RpcError).message, 'NOT_FOUND: nope');
      const md = await client.unary(EchoService.methods.Metadata, p(''), { metadata: new Metadata({ 'x-a': ['1', '2'] }) });
      // drpc invoke metadata holds one value per key (the last wins, as in Go); ttrpc keeps every value.
      assert.equal(md.entries?.map((e) => `${e.key}=${e.value}`), pc.name === 'ttrpc' ? ['x-a=1', 'x-a=2'] : ['x-a=2']);
      const late = (await client.unary(EchoService.methods.Sleep, { millis: 1000 }, { timeoutMs: 50 }).catch((e: unknown) => e)) as RpcError;
      assert.is(late.code, Code.DEADLINE_EXCEEDED);
      await client.close();
      await server.shutdown(100);
    });

    test(`${tc.name}/${pc.name}: server streaming as reactor and async iterable`, async () => {
      const { server, client } = await startMixed(tc.target(), pc);
      const got: string[] = [];
      for await (const m of client.serverStream(StreamingService.methods.ServerStream, { count: 3, data: new TextEncoder().encode('s') })) got.push(txt(m));
      assert.equal(got, ['s-1', 's-2', 's-3']);
      const events: string[] = [];
      const fin = done<void>();
      class R extends ClientReadReactor<Payload> {
        override onReadDone(ok: boolean, m: Payload | undefined): void {
          events.push(ok ? txt(m) : 'end');
          if (ok) this.startRead();
        }
        override onDone(s: Status): void {
          events.push(`done:${s.code}:${s.message}`);
          fin.resolve();
        }
      }
      const r = new R();
      client.bindRead(StreamingService.methods.ServerStream, { count: 2, data: new TextEncoder().encode('e'), failCode: 9, failMessage: 'boom' }, r);
      r.startRead();
      r.startCall();
      await fin.promise;
      assert.equal(events, ['e-1', 'e-2', 'end', 'done:9:boom']);
      await client.close();
      await server.shutdown(100);
    });

    test(`${tc.name}/${pc.name}: client streaming as reactor and from an async iterable`, async () => {
      const { server, client } = await startMixed(tc.target(), pc);
      assert.is(txt(await client.clientStream(StreamingService.methods.ClientStream, [p('a'), p('b'), p('c')])), 'a,b,c');
      const events: string[] = [];
      const fin = done<void>();
      const items = ['x', 'y'];
      class R extends ClientWriteReactor<Payload, Payload> {
        override onWriteDone(ok: boolean): void {
          events.push(`w:${ok}`);
          const next = items.shift();
          if (next) this.startWrite(p(next));
          else this.startWritesDone();
        }
        override onWritesDoneDone(ok: boolean): void {
          events.push(`wd:${ok}`);
        }
        override onDone(s: Status, r: Payload | undefined): void {
          events.push(`done:${s.code}:${txt(r)}`);
          fin.resolve();
        }
      }
      const r = new R();
      client.bindWrite(StreamingService.methods.ClientStream, r);
      r.startWrite(p('w'));
      r.startCall();
      await fin.promise;
      assert.equal(events, ['w:true', 'w:true', 'w:true', 'wd:true', 'done:0:w,x,y']);
      await client.close();
      await server.shutdown(100);
    });

    test(`${tc.name}/${pc.name}: bidi as reactor and async iterables`, async () => {
      const { server, client } = await startMixed(tc.target(), pc);
      const got: string[] = [];
      async function* gen() {
        yield p('1');
        yield p('2');
      }
      for await (const m of client.bidi(StreamingService.methods.BidiEcho, gen())) got.push(txt(m));
      assert.equal(got, ['1', '2']);
      const events: string[] = [];
      const fin = done<void>();
      let n = 0;
      class R extends ClientBidiReactor<Payload, Payload> {
        override onWriteDone(ok: boolean): void {
          events.push(`w${n}:${ok}`);
          this.startRead();
        }
        override onReadDone(ok: boolean, m: Payload | undefined): void {
          events.push(ok ? `r:${txt(m)}` : 'r:end');
          if (!ok) return;
          if (++n < 3) this.startWrite(p(`m${n}`));
          else this.startWritesDone();
        }
        override onDone(s: Status): void {
          events.push(`done:${s.code}`);
          fin.resolve();
        }
      }
      const r = new R();
      client.bindBidi(StreamingService.methods.BidiEcho, r);
      r.startWrite(p('m0'));
      r.startCall();
      await fin.promise;
      assert.equal(events, ['w0:true', 'r:m0', 'w1:true', 'r:m1', 'w2:true', 'r:m2', 'done:0']);
      await client.close();
      await server.shutdown(100);
    });
  }
}

test.run();
