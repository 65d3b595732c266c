// TLS on tls:// addresses for ttrpc, drpc and multiplexed drpc: unary and
// streaming calls, mutual TLS with the client's identity on ServerContext,
// handshake failures as UNAVAILABLE with the TLS reason, certificate material
// as files and as buffers, and a server that survives garbage. Certificates
// are made with the openssl command in a temp dir when the suite starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions } from '../src/client/client.js';
import { Server, type ServerOptions } from '../src/server/server.js';
import type { ServerContext } from '../reactors/server-context.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { formatAddress, parseAddress } from '../src/transport/address.js';
import type { ListenOptions } from '../src/transport/listen-options.js';
import type { TlsOptions } from '../src/transport/tls-options.js';
import { Greeter } from '../examples/greeter.js';
import { INTEROP_PROTO as P, run, start as startCli } from './helpers/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'reactor-rpc-tls-'));
const f = (name: string): string => join(dir, name);

/** openssl runs the openssl command in the temp dir. */
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** issue makes a key and a certificate signed by `ca` (or self-signed when ca is undefined). */
function issue(name: string, subject: string, ca: string | undefined, ext: string): void {
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  writeFileSync(f(`${name}.ext`), ext);
  const signer = ca === undefined ? ['-signkey', `${name}.key`] : ['-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial'];
  openssl('x509', '-req', '-in', `${name}.csr`, '-days', '2', '-sha256', ...signer, '-extfile', `${name}.ext`, '-out', `${name}.crt`);
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
issue('ca', '/CN=reactor-rpc test CA', undefined, CA_EXT);
issue('other-ca', '/CN=some other CA', undefined, CA_EXT);
issue('server', '/CN=localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
issue('client', '/CN=test-client', 'ca', 'subjectAltName=DNS:test-client\nextendedKeyUsage=clientAuth\n');

const serverTls: TlsOptions = { cert: f('server.crt'), key: f('server.key') };
const mutualServerTls: TlsOptions = { ...serverTls, ca: f('ca.crt'), requestCert: true };
const clientTls: TlsOptions = { ca: f('ca.crt') };
const mutualClientTls: TlsOptions = { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') };

type Mode = { name: string; server: ServerOptions; client: ClientOptions };
const MODES: Mode[] = [
  { name: 'ttrpc', server: {}, client: {} },
  { name: 'drpc', server: { protocol: 'drpc' }, client: { protocol: 'drpc' } },
  { name: 'drpc multiplexed', server: { protocol: 'drpc', multiplex: true }, client: { protocol: 'drpc', multiplex: true } },
];

/** start serves Greeter on tls://127.0.0.1:0; SayHello answers with the client certificate's CN when there is one. */
async function start(server: ServerOptions, tls: TlsOptions | undefined, seen: Array<ServerContext['peerCertificate']> = []) {
  const s = new Server(server).addService(Greeter, {
    SayHello: (req, ctx) => {
      seen.push(ctx.peerCertificate);
      return { message: `hello, ${req.name}${ctx.peerCertificate ? ` from ${ctx.peerCertificate.commonName}` : ''} via ${ctx.peer.split(':')[0]}` };
    },
    LotsOfReplies: function* (req) {
      for (let i = 1; i <= 3; i++) yield { message: `hello #${i}, ${req.name}` };
    },
    LotsOfGreetings: async (reqs) => {
      const names: string[] = [];
      for await (const r of reqs) names.push(r.name);
      return { message: names.join(' and ') };
    },
    Chat: async function* (reqs) {
      for await (const r of reqs) yield { message: `you said ${r.name}` };
    },
  });
  const options: ListenOptions = tls === undefined ? {} : { tls };
  const address = await s.listen('tls://127.0.0.1:0', options);
  return { server: s, address };
}

async function rejected(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, RpcError);
    return e as RpcError;
  }
  throw new Error('expected a rejection');
}

test('tls:// addresses parse and format round-trip', () => {
  for (const s of ['tls://127.0.0.1:4443', 'tls://[::1]:4443', 'tls://localhost:0']) assert.is(formatAddress(parseAddress(s)), s);
  assert.equal(parseAddress('tls://[::1]:5'), { kind: 'tls', host: '::1', port: 5 });
  assert.throws(() => parseAddress('tls:127.0.0.1:5'), /expected tls:\/\/host:port/);
  assert.throws(() => parseAddress('tls://::1:5'), /tls:\/\/\[::1\]:port/);
});

for (const mode of MODES) {
  test(`${mode.name}: unary and streaming calls over TLS`, async () => {
    const { server, address } = await start(mode.server, serverTls);
    assert.match(address, /^tls:\/\/127\.0\.0\.1:\d+$/);
    const client = await Client.connect(address, { ...mode.client, tls: clientTls });
    try {
      assert.is((await client.unary(Greeter.methods.SayHello, { name: 'tls' })).message, 'hello, tls via tls');
      const replies: string[] = [];
      for await (const r of client.serverStream(Greeter.methods.LotsOfReplies, { name: 'stream' })) replies.push(r.message);
      assert.equal(replies, ['hello #1, stream', 'hello #2, stream', 'hello #3, stream']);
      const chat: string[] = [];
      for await (const r of client.bidi(Greeter.methods.Chat, [{ name: 'a' }, { name: 'b' }])) chat.push(r.message);
      assert.equal(chat, ['you said a', 'you said b']);
    } finally {
      await client.close();
      await server.shutdown(0);
    }
  });

  test(`${mode.name}: mutual TLS shows the client certificate on ServerContext`, async () => {
    const seen: Array<ServerContext['peerCertificate']> = [];
    const { server, address } = await start(mode.server, mutualServerTls, seen);
    const client = await Client.connect(address, { ...mode.client, tls: mutualClientTls });
    try {
      assert.is((await client.unary(Greeter.methods.SayHello, { name: 'm' })).message, 'hello, m from test-client via tls');
      const cert = seen[0]!;
      assert.is(cert.commonName, 'test-client');
      assert.equal(cert.subjectAltNames, ['DNS:test-client']);
      assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.ok(cert.authorized);
    } finally {
      await client.close();
      await server.shutdown(0);
    }
  });
}

test('without mutual TLS the handler sees no peer certificate', async () => {
  const seen: Array<ServerContext['peerCertificate']> = [];
  const { server, address } = await start({}, serverTls, seen);
  const client = await Client.connect(address, { tls: mutualClientTls });
  await client.unary(Greeter.methods.SayHello, { name: 'x' });
  assert.equal(seen, [undefined]);
  await client.close();
  await server.shutdown(0);
});

test('a client trusting another CA is refused with UNAVAILABLE naming the address and the TLS reason', async () => {
  const { server, address } = await start({}, serverTls);
  for (const client of [{}, { protocol: 'drpc' as const }, { protocol: 'drpc' as const, multiplex: true }]) {
    const e = await rejected(Client.connect(address, { ...client, tls: { ca: f('other-ca.crt') } }));
    assert.is(e.code, Code.UNAVAILABLE);
    assert.ok(e.message.includes(`dial ${address}: TLS handshake failed: `), e.message);
    assert.match(e.message, /certificate/i);
  }
  // With the system's CAs only, the test CA is unknown too.
  const e = await rejected(Client.connect(address));
  assert.is(e.code, Code.UNAVAILABLE);
  assert.match(e.message, /TLS handshake failed: (unable to verify|self-signed|.*issuer)/, e.message);
  await server.shutdown(0);
});

test('a hostname the server certificate does not name is refused', async () => {
  const { server, address } = await start({}, serverTls);
  const e = await rejected(Client.connect(address, { tls: { ...clientTls, servername: 'elsewhere.example' } }));
  assert.is(e.code, Code.UNAVAILABLE);
  assert.match(e.message, /TLS handshake failed: .*elsewhere\.example/);
  // localhost is in the certificate's SANs.
  const ok = await Client.connect(address, { tls: { ...clientTls, servername: 'localhost' } });
  await ok.unary(Greeter.methods.SayHello, { name: 'sni' });
  await ok.close();
  await server.shutdown(0);
});

test('a client without a certificate is refused by a requestCert server (at dial or its first call)', async () => {
  const { server, address } = await start({}, mutualServerTls);
  let e: RpcError;
  try {
    // Under TLS 1.3 the server checks the client certificate after the client's handshake is done.
    const client = await Client.connect(address, { tls: clientTls });
    e = await rejected(client.unary(Greeter.methods.SayHello, { name: 'anon' }));
    await client.close();
  } catch (err) {
    e = err as RpcError;
  }
  assert.is(e.code, Code.UNAVAILABLE);
  assert.match(e.message, /certificate/i);
  // The server still serves a client that has one.
  const good = await Client.connect(address, { tls: mutualClientTls });
  assert.is((await good.unary(Greeter.methods.SayHello, { name: 'ok' })).message, 'hello, ok from test-client via tls');
  await good.close();
  await server.shutdown(0);
});

test('certificates and keys as buffers and PEM strings', async () => {
  const pem = (n: string) => readFileSync(f(n));
  const { server, address } = await start({}, { cert: pem('server.crt'), key: pem('server.key').toString(), ca: [pem('ca.crt')], requestCert: true });
  const client = await Client.connect(address, { tls: { ca: pem('ca.crt').toString(), cert: pem('client.crt'), key: new Uint8Array(pem('client.key')) } });
  assert.is((await client.unary(Greeter.methods.SayHello, { name: 'buf' })).message, 'hello, buf from test-client via tls');
  await client.close();
  await server.shutdown(0);
});

test('bad options: missing files, no cert on a listener, tls options on other addresses', async () => {
  const s = new Server();
  let e = await rejected(s.listen('tls://127.0.0.1:0', { tls: { cert: f('nope.crt'), key: f('server.key') } }));
  assert.is(e.code, Code.INVALID_ARGUMENT);
  assert.ok(e.message.includes(f('nope.crt')), e.message);
  e = await rejected(s.listen('tls://127.0.0.1:0'));
  assert.is(e.code, Code.INVALID_ARGUMENT);
  assert.match(e.message, /needs the tls options cert and key/);
  e = await rejected(s.listen('tcp://127.0.0.1:0', { tls: serverTls }));
  assert.is(e.code, Code.INVALID_ARGUMENT);
  e = await rejected(Client.connect('tls://127.0.0.1:1', { tls: { ca: f('missing-ca.pem') } }));
  assert.is(e.code, Code.INVALID_ARGUMENT);
  assert.ok(e.message.includes(f('missing-ca.pem')), e.message);
  e = await rejected(Client.connect('tcp://127.0.0.1:1', { tls: clientTls }));
  assert.is(e.code, Code.INVALID_ARGUMENT);
  e = await rejected(Client.connect('pipe:nobody-tls', { tls: clientTls }));
  assert.ok(e.code === Code.INVALID_ARGUMENT || e.code === Code.UNAVAILABLE);
  await s.shutdown(0);
});

test('the server survives a raw TCP client that sends garbage instead of a TLS hello', async () => {
  const { server, address } = await start({}, serverTls);
  const { host, port } = parseAddress(address) as { host: string; port: number };
  await new Promise<void>((resolve) => {
    const sock = netConnect({ host, port }, () => sock.write('GET / HTTP/1.0\r\n\r\n\x00\x00\x00\x10garbage-garbage'));
    sock.on('error', () => {});
    sock.on('data', () => {});
    sock.on('close', () => resolve());
  });
  const client = await Client.connect(address, { tls: clientTls });
  assert.is((await client.unary(Greeter.methods.SayHello, { name: 'after' })).message, 'hello, after via tls');
  await client.close();
  await server.shutdown(0);
});

test('CLI: serve and proxy on tls:// with mutual TLS, call with --cert/--key/--ca', async () => {
  const mtls = ['--cert', f('server.crt'), '--key', f('server.key'), '--ca', f('ca.crt')];
  const asClient = ['--cert', f('client.crt'), '--key', f('client.key'), '--ca', f('ca.crt')];
  const d = await startCli(['serve', P, '--listen', 'tls://127.0.0.1:0', ...mtls]);
  // The proxy's one certificate serves its clients and identifies it upstream (the server certificate allows clientAuth too).
  const proxy = await startCli(['proxy', '--listen', 'tls://127.0.0.1:0', '--to', d.address, '--proto', P, '--cert', f('server.crt'), '--key', f('server.key'), '--ca', f('ca.crt')]);
  try {
    assert.match(d.address, /^tls:\/\/127\.0\.0\.1:\d+$/);
    const ok = await run(['call', d.address, 'Echo/Big', '--proto', P, '--data', '{"size":3}', ...asClient]);
    assert.is(ok.stdout, '{}\n', ok.stderr);
    const anon = await run(['call', d.address, 'Echo/Big', '--proto', P, '--data', '{"size":3}', '--ca', f('ca.crt')]);
    assert.is(anon.code, 1);
    assert.match(anon.stderr, /UNAVAILABLE.*certificate/);
    const wrongCa = await run(['call', d.address, 'Echo/Big', '--proto', P, '--data', '{}', '--ca', f('other-ca.crt')]);
    assert.is(wrongCa.code, 1);
    assert.match(wrongCa.stderr, /UNAVAILABLE.*TLS handshake failed/);
    const usage = await run(['call', 'tcp://127.0.0.1:1', 'Echo/Big', '--proto', P, '--ca', f('ca.crt')]);
    assert.is(usage.code, 2);
    assert.match(usage.stderr, /--ca needs a tls:\/\/ address/);
    const noCert = await run(['serve', P, '--listen', 'tls://127.0.0.1:0']);
    assert.is(noCert.code, 2);
    assert.match(noCert.stderr, /needs --cert and --key/);
    const viaProxy = await run(['call', proxy.address, 'Echo/Big', '--proto', P, '--data', '{"size":2}', ...asClient]);
    assert.is(viaProxy.stdout, '{}\n', viaProxy.stderr + proxy.errors());
  } finally {
    await proxy.stop('SIGTERM');
    assert.is(await d.stop('SIGTERM'), 0);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
