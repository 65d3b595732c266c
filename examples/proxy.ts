// A ttrpc service proxied to drpc: clients speak ttrpc to the proxy, the
// proxy forwards every method (all four shapes, metadata, deadlines, status)
// to a multiplexed drpc server. Run: node --import tsx examples/proxy.ts
import { Client, PipeListener, Server, createProxy } from '../src/index.js';
import { Greeter } from './greeter.js';
import { createGreeterServer } from './mixed-service.js';

// The real service, on drpc.
const backendListener = new PipeListener();
const backend = createGreeterServer({ protocol: 'drpc', multiplex: true });
await backend.listen(backendListener);

// The proxy: a generic ttrpc service that forwards to the drpc backend.
const upstream = await Client.connect(backendListener, { protocol: 'drpc', multiplex: true });
const proxyListener = new PipeListener();
const proxy = new Server().addGenericService(
  createProxy(upstream, { log: (c) => console.log(`proxy: ${c.method} ${c.status.code === 0 ? 'OK' : c.status.code} ${c.durationMs.toFixed(1)}ms`) }),
);
await proxy.listen(proxyListener);

// A ttrpc client that only knows the proxy.
const client = await Client.connect(proxyListener);
console.log((await client.unary(Greeter.methods.SayHello, { name: 'through the proxy' })).message);
for await (const r of client.serverStream(Greeter.methods.LotsOfReplies, { name: 'proxied' })) console.log(r.message);
console.log((await client.clientStream(Greeter.methods.LotsOfGreetings, [{ name: 'a' }, { name: 'b' }])).message);
for await (const r of client.bidi(Greeter.methods.Chat, [{ name: 'x' }])) console.log(r.message);

await client.close();
await proxy.shutdown();
await upstream.close();
await backend.shutdown();
