// Errors that say what happened, and disposal: over ttrpc and multiplexed drpc, on a unix socket and the in-memory
// pipe. A call signal that times out (AbortSignal.timeout) ends the call DEADLINE_EXCEEDED with the TimeoutError as
// the RpcError's cause (unary promise, server-stream iterable, a reactor's onDone status); any other abort ends it
// CANCELLED with its reason as cause; a failed call's error names its method and peer (also in toString()); and
// `await using` closes a Client and shuts a Server down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '../src/client/client.js';
import { Server } from '../src/server/server.js';
import { defineService } from '../src/services/definition.js';
import { rawMethod } from '../src/call/method.js';
import { ClientReadReactor } from '../reactors/client-reactors.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import type { Status } from '../src/status/status.js';
import type { Listener } from '../src/transport/conn.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { PROTOCOLS } from './helpers/reactor-fixture.js';
import { dialTarget } from './helpers/transports.js';

const enc = new TextEncoder();
const S = 'errs.Test';
const Slow = rawMethod(`/${S}/Slow`, 'unary');
const Trickle = rawMethod(`/${S}/Trickle`, 'server_stream');
const Service = defineService(S, { Slow, Trickle });
const SLOW_MS = 1500;

const TARGETS = [
  { name: 'unix', target: (): string | Listener => `unix://${join(mkdtempSync(join(tmpdir(), 'rr-errs-')), 's.sock')}` },
  { name: 'pipe', target: (): string | Listener => new PipeListener() },
];
const CASES = PROTOCOLS.filter((p) => p.name === 'ttrpc' || p.name === 'drpc-mux');

/** serve builds the test server: Slow answers after SLOW_MS (at once for the request 'f'), Trickle sends one message then stalls. */
function serve(options: (typeof CASES)[number]['server']): Server {
  return new Server(options).addService(Service, {
    Slow: async (req, ctx) => {
      if (req[0] !== 0x66) await sleep(SLOW_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
      return req;
    },
    Trickle: async function* (_req, ctx) {
      yield enc.encode('first');
      await sleep(SLOW_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    },
  });
}

/** failure returns what a promise rejected with (an RpcError), failing the test if it resolved. */
async function failure(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, RpcError);
    return e as RpcError;
  }
  assert.unreachable('call succeeded');
  throw new Error('unreachable');
}

/** drain iterates a stream to its end and returns its error. */
async function drain(it: AsyncIterable<Uint8Array>): Promise<RpcError> {
  return failure(
    (async () => {
      for await (const _ of it);
    })(),
  );
}

/** isTimeout tells whether a cause is the TimeoutError of AbortSignal.timeout(). */
const isTimeout = (cause: unknown): boolean => cause instanceof DOMException && cause.name === 'TimeoutError';

/** DoneReader reads every message of a server stream; `done` settles with the onDone status. */
class DoneReader extends ClientReadReactor<Uint8Array> {
  readonly done: Promise<Status>;
  private resolve!: (s: Status) => void;
  constructor() {
    super();
    this.done = new Promise((r) => (this.resolve = r));
  }
  override onReadDone(ok: boolean): void {
    if (ok) this.startRead();
  }
  override onDone(s: Status): void {
    this.resolve(s);
  }
}

for (const pc of CASES) {
  for (const tc of TARGETS) {
    const name = `${pc.name}/${tc.name}`;

    /** setup starts a server and a client; `peer` is the address the client dialled. */
    async function setup(): Promise<{ server: Server; client: Client; peer: string; stop: () => Promise<void> }> {
      const target = tc.target();
      const server = serve(pc.server);
      const bound = await server.listen(target);
      const dialTo = dialTarget(target, bound);
      const client = await Client.connect(dialTo, pc.client);
      const peer = typeof dialTo === 'string' ? dialTo : dialTo.address;
      return { server, client, peer, stop: async () => void (await client.close(), await server.forceShutdown()) };
    }

    test(`${name}: AbortSignal.timeout ends unary, server-stream and reactor calls DEADLINE_EXCEEDED with the TimeoutError as cause`, async () => {
      const { client, peer, stop } = await setup();
      try {
        const unary = await failure(client.unary(Slow, enc.encode('x'), { signal: AbortSignal.timeout(80) }));
        assert.is(unary.code, Code.DEADLINE_EXCEEDED);
        assert.ok(isTimeout(unary.cause), String(unary.cause));
        assert.is(unary.method, Slow.path);
        assert.is(unary.peer, peer);

        const stream = await drain(client.serverStream(Trickle, enc.encode('x'), { signal: AbortSignal.timeout(80) }));
        assert.is(stream.code, Code.DEADLINE_EXCEEDED);
        assert.ok(isTimeout(stream.cause));
        assert.is(stream.method, Trickle.path);

        const reader = new DoneReader();
        client.bindRead(Trickle, enc.encode('x'), reader, { signal: AbortSignal.timeout(80) });
        reader.startCall();
        reader.startRead();
        assert.is((await reader.done).code, Code.DEADLINE_EXCEEDED);

        const expired = AbortSignal.timeout(1);
        await sleep(20);
        const early = await failure(client.unary(Slow, enc.encode('x'), { signal: expired }));
        assert.is(early.code, Code.DEADLINE_EXCEEDED);
        assert.ok(isTimeout(early.cause));
      } finally {
        await stop();
      }
    });

    test(`${name}: an abort with a reason ends the call CANCELLED with that reason as cause`, async () => {
      const { client, stop } = await setup();
      try {
        const reason = new Error('user left');
        const ac = new AbortController();
        const p = failure(client.unary(Slow, enc.encode('x'), { signal: ac.signal }));
        setTimeout(() => ac.abort(reason), 30);
        const unary = await p;
        assert.is(unary.code, Code.CANCELLED);
        assert.is(unary.message, 'CANCELLED: call cancelled');
        assert.is(unary.cause, reason);

        const ac2 = new AbortController();
        const s = drain(client.serverStream(Trickle, enc.encode('x'), { signal: ac2.signal }));
        setTimeout(() => ac2.abort('gone'), 30);
        const stream = await s;
        assert.is(stream.code, Code.CANCELLED);
        assert.is(stream.cause, 'gone');

        const reader = new DoneReader();
        const ac3 = new AbortController();
        client.bindRead(Trickle, enc.encode('x'), reader, { signal: ac3.signal });
        reader.startCall();
        reader.startRead();
        setTimeout(() => ac3.abort(reason), 30);
        assert.is((await reader.done).code, Code.CANCELLED);
      } finally {
        await stop();
      }
    });

    test(`${name}: a timeoutMs deadline fails DEADLINE_EXCEEDED naming method and peer`, async () => {
      const { client, peer, stop } = await setup();
      try {
        const e = await failure(client.unary(Slow, enc.encode('x'), { timeoutMs: 50 }));
        assert.is(e.code, Code.DEADLINE_EXCEEDED);
        assert.is(e.message, 'DEADLINE_EXCEEDED: context deadline exceeded');
        assert.is(e.cause, undefined);
        assert.is(e.method, Slow.path);
        assert.is(e.peer, peer);
        assert.is(e.toString(), `RpcError: DEADLINE_EXCEEDED: context deadline exceeded (method ${Slow.path}, peer ${peer})`);
        assert.is(String(e), e.toString());

        const s = await drain(client.serverStream(Trickle, enc.encode('x'), { timeoutMs: 50 }));
        assert.is(s.code, Code.DEADLINE_EXCEEDED);
        assert.ok(s.toString().endsWith(`(method ${Trickle.path}, peer ${peer})`), s.toString());
      } finally {
        await stop();
      }
    });

    test(`${name}: await using closes the Client and shuts the Server down`, async () => {
      const target = tc.target();
      let server: Server;
      let client: Client;
      let dialTo: string | PipeListener;
      {
        await using s = serve(pc.server);
        dialTo = dialTarget(target, await s.listen(target));
        await using c = await Client.connect(dialTo, pc.client);
        server = s;
        client = c;
        const ok = await client.unary(Slow, enc.encode('f'));
        assert.is(ok.byteLength, 1);
      }
      assert.is(client.openCalls, 0);
      const after = await failure(client.unary(Slow, enc.encode('x')));
      assert.is(after.code, Code.UNAVAILABLE);
      assert.is(server.activeCalls, 0);
      const refused = await failure(Client.connect(dialTo, { ...pc.client, dialTimeoutMs: 1000 }));
      assert.is(refused.code, Code.UNAVAILABLE);
    });
  }
}

test('RpcError.toString without method or peer is the plain error line', () => {
  assert.is(new RpcError(Code.NOT_FOUND, 'no such thing').toString(), 'RpcError: NOT_FOUND: no such thing');
  assert.is(new RpcError(Code.NOT_FOUND, 'x', [], undefined, { peer: 'pipe:p' }).toString(), 'RpcError: NOT_FOUND: x (peer pipe:p)');
  assert.type(Client.prototype[Symbol.asyncDispose], 'function');
  assert.type(Server.prototype[Symbol.asyncDispose], 'function');
});

test.run();
