// `reactor-rpc call` and `proxy --to` take dns:///host:port and
// comma-separated address lists (the parsing, and real calls over them).
import { test } from './helpers/uvu-rpc.js';
import * as assert from 'uvu/assert';
import { cliTarget } from '../src/cli/address-arg.js';
import { UsageError } from '../src/cli/args.js';
import { INTEROP_PROTO, run, sockAddress, start } from './helpers/cli-process.js';
import { Client } from '../src/client/client.js';
import { ECHO, msg } from './helpers/endpoint-servers.js';
import { startServer } from './helpers/endpoint-servers.js';

test('cliTarget: one address, a list (each normalized), dns:///host:port; bad forms are usage errors', () => {
  assert.is(cliTarget('x', 'localhost:80'), 'tcp://localhost:80');
  assert.equal(cliTarget('x', 'unix:///a.sock, 127.0.0.1:81'), ['unix:///a.sock', 'tcp://127.0.0.1:81']);
  assert.is(cliTarget('x', 'dns:///svc.local:50051'), 'dns:///svc.local:50051');
  for (const bad of ['dns:///nope', 'a:1,,b:2', 'a:1,dns:///b:2', 'unix:///a.sock,zz']) assert.throws(() => cliTarget('x', bad), (e: unknown) => e instanceof UsageError, bad);
});

test('call over a list whose first server is down, and over dns:///localhost:port', async () => {
  const srv = await startServer('ttrpc', 'tcp://127.0.0.1:0');
  try {
    const data = JSON.stringify({ data: Buffer.from('hi').toString('base64') });
    const list = await run(['call', `${sockAddress('dead')},${srv.address}`, 'ttrpc.interop.v1.Echo/Echo', '--proto', INTEROP_PROTO, '--data', data]);
    assert.is(list.code, 0, list.stderr);
    assert.match(list.stdout, 'aGk=');
    const port = srv.address.slice(srv.address.lastIndexOf(':') + 1);
    const dns = await run(['call', `dns:///localhost:${port}`, 'ttrpc.interop.v1.Echo/Echo', '--proto', INTEROP_PROTO, '--data', data]);
    assert.is(dns.code, 0, dns.stderr);
    assert.match(dns.stdout, 'aGk=');
    const down = await run(['call', `${sockAddress('a')},${sockAddress('b')}`, 'ttrpc.interop.v1.Echo/Echo', '--proto', INTEROP_PROTO]);
    assert.is(down.code, 1);
    assert.match(down.stderr, /UNAVAILABLE: no ready connection to unix:\/\//);
  } finally {
    await srv.stop();
  }
});

test('proxy --to a list forwards to the first live server, and to the next once it is gone', async () => {
  const [a, b] = [await startServer('ttrpc', sockAddress('a')), await startServer('ttrpc', sockAddress('b'))];
  const proxy = await start(['proxy', '--listen', sockAddress('p'), '--to', `${a.address},${b.address}`]);
  const client = await Client.connect(proxy.address);
  try {
    await client.unary(ECHO, msg('one'));
    assert.equal([a.served, b.served], [1, 0]);
    await a.stop();
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) ok = await client.unary(ECHO, msg('two'), { timeoutMs: 2000 }).then(() => true, () => false);
    assert.ok(ok);
    assert.is(b.served, 1);
  } finally {
    await client.close();
    assert.is(await proxy.stop('SIGTERM'), 0);
    await b.stop();
  }
});

test.run();
