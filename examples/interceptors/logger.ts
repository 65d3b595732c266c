// A logging message interceptor: one line per call with the method, the final
// status code name and the duration, on the client and on the server. For a
// stream the status is known when its response stream ends, so the logger
// wraps `res.messages`. Copy it into your project and adapt the line format.
// Run: node --import tsx examples/interceptors/logger.ts
import { pathToFileURL } from 'node:url';
import { Client, Code, PipeListener, RpcError, Server, codeName, type MessageInterceptor } from '../../src/index.js';
import { Greeter } from '../greeter.js';

/** LogLine receives one formatted line per call. */
export type LogLine = (line: string) => void;

/** logger returns an interceptor logging `<prefix> <method> <CODE> <ms> ms` once per call, on whichever side it is installed. */
export function logger(prefix: string, log: LogLine = console.log): MessageInterceptor {
  return (next) => async (req) => {
    const started = performance.now();
    let logged = false;
    const done = (code: number): void => {
      if (logged) return;
      logged = true;
      log(`${prefix} ${req.method} ${codeName(code)} ${(performance.now() - started).toFixed(1)} ms`);
    };
    let res;
    try {
      res = await next(req);
    } catch (e) {
      done(RpcError.from(e).code);
      throw e;
    }
    if (!res.stream) {
      done(Code.OK);
      return res;
    }
    const messages = res.messages;
    async function* observed(): AsyncGenerator<unknown> {
      try {
        yield* messages;
        done(Code.OK);
      } catch (e) {
        done(RpcError.from(e).code);
        throw e;
      } finally {
        done(Code.CANCELLED); // the reader stopped early
      }
    }
    return { ...res, messages: observed() };
  };
}

/** clientLogger logs the calls a Client makes. */
export const clientLogger = (log?: LogLine): MessageInterceptor => logger('client', log);

/** serverLogger logs the calls a Server serves. */
export const serverLogger = (log?: LogLine): MessageInterceptor => logger('server', log);

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = new Server({ messageInterceptors: [serverLogger()] }).addService(Greeter, {
    SayHello: (req) => {
      if (!req.name) throw new RpcError(Code.INVALID_ARGUMENT, 'name is required');
      return { message: `hello, ${req.name}` };
    },
    LotsOfReplies: async function* (req) {
      for (let i = 1; i <= 2; i++) yield { message: `hello #${i}, ${req.name}` };
    },
    LotsOfGreetings: async (reqs) => {
      const names: string[] = [];
      for await (const r of reqs) names.push(r.name);
      return { message: `hello, ${names.join(' and ')}` };
    },
    Chat: async function* (reqs) {
      for await (const r of reqs) yield { message: `you said ${r.name}` };
    },
  });
  const listener = new PipeListener();
  await server.listen(listener);
  const client = await Client.connect(listener, { messageInterceptors: [clientLogger()] });
  console.log((await client.unary(Greeter.methods.SayHello, { name: 'logger' })).message);
  await client.unary(Greeter.methods.SayHello, { name: '' }).catch((e: unknown) => console.log(String(e)));
  for await (const r of client.serverStream(Greeter.methods.LotsOfReplies, { name: 'stream' })) console.log(r.message);
  await client.close();
  await server.shutdown();
}
