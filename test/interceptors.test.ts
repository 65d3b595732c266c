// Interceptors on both sides: onion order, metadata added by a client
// interceptor, a server interceptor that rejects, and observation of messages
// and status, for unary and streaming calls over the pipe and a unix socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client, Code, ForwardingClientCall, Metadata, RpcError, Server, status, wrapListener, type ClientInterceptor, type ServerInterceptor } from '../src/index.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { addTtrpcInteropServices } from '../src/cli/interop/ttrpc-reactor-service.js';
import { TRANSPORTS, dialTarget } from './helpers/transports.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

for (const tc of TRANSPORTS.filter((t) => t.name !== 'tcp')) {
  test(`${tc.name}: client and server interceptors run in onion order around unary and streaming calls`, async () => {
    const trace: string[] = [];
    const named = (name: string): ServerInterceptor => (call, next) => {
      trace.push(`server ${name} in ${call.method}`);
      const start = call.start.bind(call);
      call.start = (l) => start(wrapListener(l, { onStatus: (s, fwd) => (trace.push(`server ${name} status ${s.code}`), fwd(s)) }));
      next(call);
    };
    const auth: ServerInterceptor = (call, next) => {
      if (call.metadata.get('authorization') !== 'Bearer ok') return call.finish(status(Code.UNAUTHENTICATED, 'no token'));
      next(call);
    };
    const server = new Server({ interceptors: [named('outer'), auth, named('inner')] });
    addTtrpcInteropServices(server);
    const target = tc.target();
    const bound = await server.listen(target);

    const addToken: ClientInterceptor = (info, options, next) => {
      trace.push(`client outer ${info.method}`);
      const metadata = new Metadata(options.metadata);
      metadata.set('authorization', 'Bearer ok');
      return next({ ...options, metadata });
    };
    let messagesSeen = 0;
    const observe: ClientInterceptor = (info, options, next) => {
      trace.push(`client inner ${info.method}`);
      return new ForwardingClientCall(next(options), { onMessage: (m, fwd) => (m && messagesSeen++, fwd(m)) });
    };
    const client = await Client.connect(dialTarget(target, bound), { interceptors: [addToken, observe] });
    const r = await client.unary(EchoService.methods.Echo, { data: enc.encode('hi') });
    assert.is(dec.decode(r.data!), 'hi');
    assert.equal(trace.slice(0, 5), [
      'client outer /ttrpc.interop.v1.Echo/Echo',
      'client inner /ttrpc.interop.v1.Echo/Echo',
      'server outer in /ttrpc.interop.v1.Echo/Echo',
      'server inner in /ttrpc.interop.v1.Echo/Echo',
      // Events from the wire reach the interceptor nearest the wire first: on a server the outermost.
      'server outer status 0',
    ]);
    assert.is(trace[5], 'server inner status 0');
    const streamed: string[] = [];
    for await (const m of client.serverStream(StreamingService.methods.ServerStream, { count: 2, data: enc.encode('s') })) streamed.push(dec.decode(m.data!));
    assert.equal(streamed, ['s-1', 's-2']);
    assert.is(messagesSeen, 3);

    const bare = await Client.connect(dialTarget(target, bound));
    const err = (await bare.unary(EchoService.methods.Echo, { data: enc.encode('x') }).catch((e: unknown) => e)) as RpcError;
    assert.instance(err, RpcError);
    assert.is(err.code, Code.UNAUTHENTICATED);
    assert.is(server.activeCalls, 0, 'a rejected call is not counted as active');
    await bare.close();
    await client.close();
    await server.shutdown(100);
  });
}

test.run();
