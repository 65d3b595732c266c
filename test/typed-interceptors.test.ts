// Message-level (typed, Connect-style) interceptors on clients and servers:
// onion order, metadata created on demand, deadline, final status and
// duration, errors thrown before and after next, every call shape, promise
// calls and reactors, over the in-memory pipe and a unix socket, ttrpc and
// drpc; plus the two example interceptors (logger, bearer auth).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, ClientBidiReactor, Code, OK_STATUS, RpcError, Server, callback, type ClientInterceptor, type MessageInterceptor, type MessageRequest, type ServerContext, type ServerInterceptor, type Status } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from '../examples/greeter.js';
import { logger } from '../examples/interceptors/logger.js';
import { bearerAuthClient, bearerAuthServer, sameToken } from '../examples/interceptors/bearer-auth.js';
import { TRANSPORTS, dialTarget } from './helpers/transports.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Seen is what a recording interceptor saw of one call. */
interface Seen {
  method: string;
  kind: string;
  code: number;
  ms: number;
  deadline: number | undefined;
  auth: string | undefined;
  messages: number;
}

/** recorder records each call's method, final code, duration and message count into `out`, and its name into `trace` around next. */
function recorder(name: string, trace: string[], out: Seen[]): MessageInterceptor {
  return (next) => async (req) => {
    const t0 = performance.now();
    const seen: Seen = { method: req.method, kind: req.kind, code: -1, ms: -1, deadline: req.deadline, auth: req.metadata.get('authorization'), messages: 0 };
    const end = (code: number) => {
      seen.code = code;
      seen.ms = performance.now() - t0;
      out.push(seen);
    };
    trace.push(`${name} in`);
    try {
      const res = await next(req);
      trace.push(`${name} out`);
      if (!res.stream) return end(Code.OK), res;
      const inner = res.messages;
      return {
        ...res,
        messages: (async function* () {
          try {
            for await (const m of inner) {
              seen.messages++;
              yield m;
            }
            end(Code.OK);
          } catch (e) {
            end(RpcError.from(e).code);
            throw e;
          }
        })(),
      };
    } catch (e) {
      trace.push(`${name} threw`);
      end(RpcError.from(e).code);
      throw e;
    }
  };
}

const impl = {
  SayHello: async (req: HelloRequest, ctx: ServerContext) => {
    if (req.name === 'missing') throw new RpcError(Code.NOT_FOUND, 'no such name');
    if (req.name === 'slow') await new Promise((r) => setTimeout(r, 20));
    return { message: `hello, ${req.name} (${ctx.metadata.get('authorization') ?? 'anonymous'})` };
  },
  LotsOfReplies: async function* (req: HelloRequest) {
    for (let i = 1; i <= 3; i++) yield { message: `#${i} ${req.name}` };
    if (req.name.toLowerCase() === 'fail') throw new RpcError(Code.ABORTED, 'stream broke');
  },
  LotsOfGreetings: async (reqs: AsyncIterable<HelloRequest>) => {
    const names: string[] = [];
    for await (const r of reqs) names.push(r.name);
    return { message: names.join('+') };
  },
  Chat: async function* (reqs: AsyncIterable<HelloRequest>) {
    for await (const r of reqs) yield { message: `echo ${r.name}` };
  },
};

async function* names(...xs: string[]): AsyncIterable<HelloRequest> {
  for (const name of xs) yield { name };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  assert.instance(e, RpcError, 'expected the call to fail with an RpcError');
  return e as RpcError;
}

/** setup starts a server and a client with the given message interceptors. */
async function setup(tc: (typeof TRANSPORTS)[number], protocol: 'ttrpc' | 'drpc', serverUse: MessageInterceptor[], clientUse: MessageInterceptor[], extra: { server?: ServerInterceptor[]; client?: ClientInterceptor[] } = {}) {
  const server = new Server({ protocol, messageInterceptors: serverUse, interceptors: extra.server }).addService(Greeter, impl);
  const target = tc.target();
  const bound = await server.listen(target);
  const client = await Client.connect(dialTarget(target, bound), { protocol, messageInterceptors: clientUse, interceptors: extra.client });
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.shutdown(100);
    },
  };
}

for (const tc of TRANSPORTS.filter((t) => t.name !== 'tcp')) {
  for (const protocol of ['ttrpc', 'drpc'] as const) {
    const where = `${protocol} over ${tc.name}`;

    test(`${where}: unary onion order, metadata on demand, deadline, status and duration on both sides`, async () => {
      const trace: string[] = [];
      const cs: Seen[] = [];
      const ss: Seen[] = [];
      const addAuth: MessageInterceptor = (next) => (req) => (req.metadata.set('authorization', 'Bearer t'), next(req));
      const env = await setup(tc, protocol, [recorder('s-outer', trace, ss), recorder('s-inner', trace, [])], [recorder('c-outer', trace, cs), addAuth, recorder('c-inner', trace, [])]);
      const before = Date.now();
      const r = await env.client.unary(Greeter.methods.SayHello, { name: 'slow' }, { timeoutMs: 5000 });
      assert.is(r.message, 'hello, slow (Bearer t)');
      assert.equal(trace, ['c-outer in', 'c-inner in', 's-outer in', 's-inner in', 's-inner out', 's-outer out', 'c-inner out', 'c-outer out']);
      assert.is(cs[0]!.method, '/demo.Greeter/SayHello');
      assert.is(cs[0]!.kind, 'unary');
      assert.is(cs[0]!.code, Code.OK);
      assert.ok(cs[0]!.ms >= 15, `client duration ${cs[0]!.ms}`);
      assert.is(cs[0]!.auth, undefined, 'the outer interceptor runs before the one that sets the token');
      assert.is(ss[0]!.auth, 'Bearer t');
      assert.ok(ss[0]!.ms >= 15, `server duration ${ss[0]!.ms}`);
      // drpc carries no deadline on the wire: only the client side sees it there.
      const deadlines = protocol === 'ttrpc' ? [cs[0]!.deadline, ss[0]!.deadline] : [cs[0]!.deadline];
      for (const d of deadlines) assert.ok(d !== undefined && d >= before + 4900 && d <= Date.now() + 5000, `deadline ${d}`);
      if (protocol === 'drpc') assert.is(ss[0]!.deadline, undefined);

      const err = await rejection(env.client.unary(Greeter.methods.SayHello, { name: 'missing' }));
      assert.is(err.code, Code.NOT_FOUND);
      assert.is(cs[1]!.code, Code.NOT_FOUND);
      assert.is(ss[1]!.code, Code.NOT_FOUND);
      assert.ok(cs[1]!.ms >= 0 && ss[1]!.ms >= 0);
      assert.is(env.server.activeCalls, 0);
      await env.close();
    });

    test(`${where}: server-stream, client-stream and bidi pass through wrapped message streams`, async () => {
      const cs: Seen[] = [];
      const ss: Seen[] = [];
      const upper: MessageInterceptor = (next) => async (req) => {
        if (!req.stream) return next(req);
        const messages = req.messages as AsyncIterable<HelloRequest>;
        return next({ ...req, messages: (async function* () { for await (const m of messages) yield { name: m.name.toUpperCase() }; })() });
      };
      const env = await setup(tc, protocol, [recorder('s', [], ss)], [recorder('c', [], cs), upper]);
      const replies = await collect(env.client.serverStream(Greeter.methods.LotsOfReplies, { name: 'ab' }));
      assert.equal(replies.map((r) => r.message), ['#1 AB', '#2 AB', '#3 AB']);
      const joined = await env.client.clientStream(Greeter.methods.LotsOfGreetings, names('x', 'y', 'z'));
      assert.is(joined.message, 'X+Y+Z');
      const chat = await collect(env.client.bidi(Greeter.methods.Chat, names('p', 'q')));
      assert.equal(chat.map((r) => r.message), ['echo P', 'echo Q']);
      assert.equal(cs.map((s) => [s.kind, s.code, s.messages]), [['server_stream', 0, 3], ['client_stream', 0, 1], ['bidi', 0, 2]]);
      assert.equal(ss.map((s) => [s.kind, s.code, s.messages]), [['server_stream', 0, 3], ['client_stream', 0, 1], ['bidi', 0, 2]]);

      const got: string[] = [];
      const err = await rejection((async () => { for await (const r of env.client.serverStream(Greeter.methods.LotsOfReplies, { name: 'fail' })) got.push(r.message); })());
      assert.is(err.code, Code.ABORTED);
      assert.equal(got, ['#1 FAIL', '#2 FAIL', '#3 FAIL']);
      assert.equal([cs[3]!.code, cs[3]!.messages, ss[3]!.code, ss[3]!.messages], [Code.ABORTED, 3, Code.ABORTED, 3]);
      await env.close();
    });
  }
}

for (const tc of TRANSPORTS.filter((t) => t.name !== 'tcp')) {
  test(`ttrpc over ${tc.name}: errors thrown by interceptors before and after next end the call with their status`, async () => {
    let handled = 0;
    const count: MessageInterceptor = (next) => (req) => (handled++, next(req));
    const serverSide: MessageInterceptor = (next) => async (req) => {
      const who = req.stream ? '' : (req.message as HelloRequest).name;
      if (who === 'deny') throw new RpcError(Code.PERMISSION_DENIED, 'denied by the server');
      if (who === 'plain') throw new Error('plain failure');
      const res = await next(req);
      if (who === 'after') throw new RpcError(Code.DATA_LOSS, 'rejected after the handler');
      return res;
    };
    const clientSide: MessageInterceptor = (next) => async (req) => {
      const who = req.stream ? '' : (req.message as HelloRequest).name;
      if (who === 'client-deny') throw new RpcError(Code.FAILED_PRECONDITION, 'denied by the client');
      if (who === 'client-plain') throw new TypeError('client bug');
      const res = await next(req);
      if (who === 'client-after') throw new RpcError(Code.OUT_OF_RANGE, 'rejected after the response');
      return res;
    };
    const env = await setup(tc, 'ttrpc', [serverSide, count], [clientSide]);
    const hello = (name: string) => env.client.unary(Greeter.methods.SayHello, { name });
    const expect: Array<[string, Code, RegExp]> = [
      ['deny', Code.PERMISSION_DENIED, /denied by the server/],
      ['plain', Code.UNKNOWN, /plain failure/],
      ['after', Code.DATA_LOSS, /rejected after the handler/],
      ['client-deny', Code.FAILED_PRECONDITION, /denied by the client/],
      ['client-plain', Code.UNKNOWN, /client bug/],
      ['client-after', Code.OUT_OF_RANGE, /rejected after the response/],
    ];
    for (const [name, code, text] of expect) {
      const err = await rejection(hello(name));
      assert.is(err.code, code, name);
      assert.match(err.message, text);
    }
    assert.is(handled, 2, 'the handler ran only for "after" and "client-after"');
    assert.is((await hello('fine')).message, 'hello, fine (anonymous)');
    assert.is(env.server.activeCalls, 0);
    await env.close();
  });
}

test('reactors: a callback-style server method and a client bidi reactor go through message interceptors', async () => {
  const tc = TRANSPORTS[0]!;
  const cs: Seen[] = [];
  const ss: Seen[] = [];
  const server = new Server({ messageInterceptors: [recorder('s', [], ss)] }).addService(Greeter, {
    ...impl,
    SayHello: callback((ctx: ServerContext, req: HelloRequest) => {
      const r = ctx.defaultReactor<HelloReply>();
      r.finish(OK_STATUS, { message: `reactor ${req.name} ${ctx.metadata.get('x-id')}` });
      return r;
    }),
  });
  const target = tc.target();
  const bound = await server.listen(target);
  const tag: MessageInterceptor = (next) => (req) => (req.metadata.set('x-id', '7'), next(req));
  const client = await Client.connect(dialTarget(target, bound), { messageInterceptors: [recorder('c', [], cs), tag] });
  assert.is((await client.unary(Greeter.methods.SayHello, { name: 'u' })).message, 'reactor u 7');

  class Chat extends ClientBidiReactor<HelloRequest, HelloReply> {
    readonly got: string[] = [];
    readonly done: Promise<Status>;
    private resolve!: (s: Status) => void;
    private left = ['a', 'b'];
    constructor() {
      super();
      this.done = new Promise((r) => (this.resolve = r));
    }
    go(): void {
      this.startRead();
      this.startWrite({ name: this.left.shift()! });
      this.startCall();
    }
    override onWriteDone(ok: boolean): void {
      const next = this.left.shift();
      if (ok && next) this.startWrite({ name: next });
      else this.startWritesDone();
    }
    override onReadDone(ok: boolean, r: HelloReply | undefined): void {
      if (!ok) return;
      this.got.push(r!.message);
      this.startRead();
    }
    override onDone(s: Status): void {
      this.resolve(s);
    }
  }
  const chat = new Chat();
  client.bindBidi(Greeter.methods.Chat, chat);
  chat.go();
  const s = await chat.done;
  assert.is(s.code, Code.OK);
  assert.equal(chat.got, ['echo a', 'echo b']);
  assert.equal(cs.map((x) => [x.kind, x.code]), [['unary', 0], ['bidi', 0]]);
  assert.equal(ss.map((x) => [x.kind, x.code]), [['unary', 0], ['bidi', 0]]);
  await client.close();
  await server.shutdown(100);
});

test('byte-level interceptors stay nearest the wire: client message → byte, server byte → message', async () => {
  const trace: string[] = [];
  const byteClient: ClientInterceptor = (_info, options, next) => (trace.push('client bytes'), next(options));
  const byteServer: ServerInterceptor = (call, next) => (trace.push('server bytes'), next(call));
  const env = await setup(TRANSPORTS[0]!, 'ttrpc', [recorder('server message', trace, [])], [recorder('client message', trace, [])], { client: [byteClient], server: [byteServer] });
  await env.client.unary(Greeter.methods.SayHello, { name: 'x' });
  assert.equal(trace.slice(0, 4), ['client message in', 'client bytes', 'server bytes', 'server message in']);
  await env.close();
});

test('cancel and deadline: a client abort ends the call CANCELLED and the interceptors see it', async () => {
  const cs: Seen[] = [];
  const ss: Seen[] = [];
  const env = await setup(TRANSPORTS[0]!, 'ttrpc', [recorder('s', [], ss)], [recorder('c', [], cs)]);
  const err = await rejection(env.client.unary(Greeter.methods.SayHello, { name: 'slow' }, { timeoutMs: 5 }));
  assert.is(err.code, Code.DEADLINE_EXCEEDED);
  const ac = new AbortController();
  const p = env.client.unary(Greeter.methods.SayHello, { name: 'slow' }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 2);
  assert.is((await rejection(p)).code, Code.CANCELLED);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cs.map((s) => s.code), [Code.DEADLINE_EXCEEDED, Code.CANCELLED]);
  assert.is(env.server.activeCalls, 0);
  await env.close();
});

test('example logger: one line per call with method, code name and duration', async () => {
  const lines: string[] = [];
  const env = await setup(TRANSPORTS[1]!, 'ttrpc', [logger('server', (l) => lines.push(l))], [logger('client', (l) => lines.push(l))]);
  await env.client.unary(Greeter.methods.SayHello, { name: 'a' });
  await rejection(env.client.unary(Greeter.methods.SayHello, { name: 'missing' }));
  await collect(env.client.serverStream(Greeter.methods.LotsOfReplies, { name: 'b' }));
  await env.close();
  const line = /^(client|server) (\/demo\.Greeter\/\w+) ([A-Z_]+) \d+\.\d ms$/;
  for (const l of lines) assert.match(l, line);
  const summary = lines.map((l) => l.replace(/ \d+\.\d ms$/, '')).sort();
  assert.equal(summary, [
    'client /demo.Greeter/LotsOfReplies OK',
    'client /demo.Greeter/SayHello NOT_FOUND',
    'client /demo.Greeter/SayHello OK',
    'server /demo.Greeter/LotsOfReplies OK',
    'server /demo.Greeter/SayHello NOT_FOUND',
    'server /demo.Greeter/SayHello OK',
  ]);
});

test('example bearer auth: the right token passes, a wrong or missing one is UNAUTHENTICATED', async () => {
  const checked: string[] = [];
  const auth = bearerAuthServer((t, call: MessageRequest | { method: string }) => (checked.push(`${call.method} ${t}`), sameToken(t, 's3cret')));
  const env = await setup(TRANSPORTS[1]!, 'drpc', [auth], [bearerAuthClient(async () => 's3cret')]);
  assert.is((await env.client.unary(Greeter.methods.SayHello, { name: 'ok' })).message, 'hello, ok (Bearer s3cret)');
  assert.equal(checked, ['/demo.Greeter/SayHello s3cret']);
  const target = await env.server.listen(TRANSPORTS[1]!.target());
  const wrong = await Client.connect(target, { protocol: 'drpc', messageInterceptors: [bearerAuthClient('nope')] });
  const e1 = await rejection(wrong.unary(Greeter.methods.SayHello, { name: 'x' }));
  assert.is(e1.code, Code.UNAUTHENTICATED);
  assert.match(e1.message, /invalid bearer token/);
  const none = await Client.connect(target, { protocol: 'drpc' });
  const e2 = await rejection(collect(none.serverStream(Greeter.methods.LotsOfReplies, { name: 'x' })));
  assert.is(e2.code, Code.UNAUTHENTICATED);
  assert.match(e2.message, /missing bearer token/);
  await wrong.close();
  await none.close();
  await env.close();
});

for (const [file, patterns] of Object.entries({
  'interceptors/logger.ts': [/^server \/demo\.Greeter\/SayHello OK \d+\.\d ms$/m, /^client \/demo\.Greeter\/SayHello INVALID_ARGUMENT \d+\.\d ms$/m, /^hello, logger$/m, /^client \/demo\.Greeter\/LotsOfReplies OK/m],
  'interceptors/bearer-auth.ts': [/good token: hello, good/, /bad token: UNAUTHENTICATED: invalid bearer token/, /no token: UNAUTHENTICATED: missing bearer token/],
})) {
  test(`example ${file} runs`, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, `${file} exited ${r.status}: ${r.stderr}`);
    for (const p of patterns) assert.match(r.stdout, p);
  });
}

test.run();
