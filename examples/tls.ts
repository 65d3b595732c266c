// TLS and mutual TLS on a tls:// address: the server proves itself with its
// certificate, asks the client for one (requestCert + ca) and a handler reads
// the client's identity from ctx.peerCertificate.
//
// It reads certificates from the directory in TLS_DIR (ca.crt, server.crt,
// server.key, client.crt, client.key; docs/tls.md shows the openssl commands
// that make them) and generates nothing itself:
//   TLS_DIR=/tmp/rr-tls node --import tsx examples/tls.ts
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Server, type ServerContext } from '../src/index.js';
import { Greeter, type HelloRequest } from './greeter.js';

const dir = process.env.TLS_DIR;
const files = ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key'];
const missing = dir === undefined ? files : files.filter((n) => !existsSync(join(dir, n)));
if (dir === undefined || missing.length > 0) {
  console.log(`skipped: set TLS_DIR to a directory holding ${missing.join(', ')} (see docs/tls.md)`);
} else {
  const f = (n: string) => join(dir, n);
  const server = new Server().addService(Greeter, {
    SayHello: (req: HelloRequest, ctx: ServerContext) => ({ message: `hello, ${req.name} (certificate CN=${ctx.peerCertificate?.commonName ?? 'none'})` }),
    LotsOfReplies: function* (req: HelloRequest) {
      for (let i = 1; i <= 3; i++) yield { message: `hello #${i}, ${req.name}` };
    },
    LotsOfGreetings: async () => ({ message: '' }),
    Chat: async function* () {},
  });
  // Mutual TLS: the server's own certificate, and client certificates must be signed by ca.crt.
  const address = await server.listen('tls://127.0.0.1:0', { tls: { cert: f('server.crt'), key: f('server.key'), ca: f('ca.crt'), requestCert: true } });
  console.log(`listening ${address}`);
  // The client trusts ca.crt (instead of the system CAs) and presents its own certificate.
  const client = await Client.connect(address, { tls: { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') } });
  console.log((await client.unary(Greeter.methods.SayHello, { name: 'tls' })).message);
  for await (const r of client.serverStream(Greeter.methods.LotsOfReplies, { name: 'stream' })) console.log(r.message);
  await client.close();
  // Without a client certificate the server refuses the connection (UNAVAILABLE, with the TLS reason).
  const anonymous = await Client.connect(address, { tls: { ca: f('ca.crt') } }).catch((e: Error) => e);
  if (anonymous instanceof Error) console.log(`no client certificate: ${anonymous.message}`);
  else {
    console.log(`no client certificate: ${await anonymous.unary(Greeter.methods.SayHello, { name: 'anon' }).then(() => 'accepted?!', (e: Error) => e.message.split('\n')[0])}`);
    await anonymous.close();
  }
  await server.shutdown();
}
