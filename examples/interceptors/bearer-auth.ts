// Bearer-token authentication as two message interceptors: the client adds
// `authorization: Bearer <token>` to every call's metadata (the metadata
// object always exists, even when the caller passed none), the server checks
// it and fails the call with UNAUTHENTICATED before the handler runs.
// Copy it into your project and plug in your own token source and check.
// Run: node --import tsx examples/interceptors/bearer-auth.ts
import { timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Client, Code, PipeListener, RpcError, Server, type MessageCall, type MessageInterceptor } from '../../src/index.js';
import { Greeter } from '../greeter.js';

/** TokenSource is a fixed token or a function returning the current one. */
export type TokenSource = string | (() => string | Promise<string>);

/** bearerAuthClient sets `authorization: Bearer <token>` on every call. */
export function bearerAuthClient(token: TokenSource): MessageInterceptor {
  return (next) => async (req) => {
    req.metadata.set('authorization', `Bearer ${typeof token === 'string' ? token : await token()}`);
    return next(req);
  };
}

/** TokenCheck tells whether a presented token is valid for a call. */
export type TokenCheck = (token: string, call: MessageCall) => boolean | Promise<boolean>;

/** bearerAuthServer fails every call without a valid bearer token with UNAUTHENTICATED. */
export function bearerAuthServer(check: TokenCheck): MessageInterceptor {
  return (next) => async (req) => {
    const match = /^Bearer (\S+)$/i.exec(req.metadata.get('authorization') ?? '');
    if (match === null) throw new RpcError(Code.UNAUTHENTICATED, 'missing bearer token');
    if (!(await check(match[1]!, req))) throw new RpcError(Code.UNAUTHENTICATED, 'invalid bearer token');
    return next(req);
  };
}

/** sameToken compares two tokens in constant time (for a check against one shared secret). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = 'let-me-in';
  const server = new Server({ messageInterceptors: [bearerAuthServer((t) => sameToken(t, secret))] }).addService(Greeter, {
    SayHello: (req) => ({ message: `hello, ${req.name}` }),
    LotsOfReplies: async function* () {},
    LotsOfGreetings: () => ({ message: '' }),
    Chat: async function* () {},
  });
  const listener = new PipeListener();
  await server.listen(listener);
  for (const [who, token] of [['good', secret], ['bad', 'guess']] as const) {
    const client = await Client.connect(listener, { messageInterceptors: [bearerAuthClient(token)] });
    try {
      console.log(`${who} token: ${(await client.unary(Greeter.methods.SayHello, { name: who })).message}`);
    } catch (e) {
      console.log(`${who} token: ${(e as RpcError).message}`);
    }
    await client.close();
  }
  const anonymous = await Client.connect(listener);
  await anonymous.unary(Greeter.methods.SayHello, { name: 'anonymous' }).catch((e: unknown) => console.log(`no token: ${(e as RpcError).message}`));
  await anonymous.close();
  await server.shutdown();
}
