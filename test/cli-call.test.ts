// `reactor-rpc call` and `reactor-rpc serve`, run as the real binary against
// real servers on unix sockets: every call shape with JSON from a .proto,
// raw bytes without one, failures (status on stderr, exit 1), deadlines,
// unknown methods, bad input (exit 2, one line) and an unreachable address.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server } from '../src/server/server.js';
import { addTtrpcInteropServices } from '../src/cli/interop/ttrpc-reactor-service.js';
import { INTEROP_PROTO as P, type RunResult, run, sockAddress, start } from './helpers/cli-process.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const servers: Server[] = [];
let ttrpc = '';
let drpc = '';

/** oneLine checks a user-error report: one line on stderr, no stack trace. */
function oneLine(r: RunResult, pattern: RegExp): void {
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /\n\s+at /);
}

test.before(async () => {
  for (const protocol of ['ttrpc', 'drpc'] as const) {
    const s = new Server({ protocol });
    addTtrpcInteropServices(s);
    const addr = await s.listen(sockAddress(protocol));
    servers.push(s);
    if (protocol === 'ttrpc') ttrpc = addr;
    else drpc = addr;
  }
});

test.after(async () => {
  await Promise.all(servers.map((s) => s.shutdown(200)));
});

test('unary: JSON in, JSON out, metadata sent', async () => {
  const r = await run(['call', ttrpc, 'ttrpc.interop.v1.Echo/Echo', '--proto', P, '--data', JSON.stringify({ data: b64('hello') })]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `{"data":"${b64('hello')}"}\n`);
  const md = await run(['call', ttrpc, 'Echo/Metadata', '--proto', P, '--metadata', 'x-one=1', '--metadata', 'x-two=two']);
  assert.is(md.code, 0, md.stderr);
  assert.equal(JSON.parse(md.stdout), { entries: [{ key: 'x-one', value: '1' }, { key: 'x-two', value: 'two' }] });
});

test('server stream: one JSON line per response; a failed end prints what came and the status', async () => {
  const r = await run(['call', ttrpc, 'Streaming/ServerStream', '--proto', P, '--data', JSON.stringify({ count: 3, data: b64('s') })]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').map((l) => Buffer.from(JSON.parse(l).data, 'base64').toString()), ['s-1', 's-2', 's-3']);
  const f = await run(['call', ttrpc, 'Streaming/ServerStream', '--proto', P, '--data', JSON.stringify({ count: 2, data: b64('f'), fail_code: 10, fail_message: 'stop here' })]);
  assert.is(f.code, 1);
  assert.is(f.stdout.trim().split('\n').length, 2, f.stdout);
  assert.is(f.stderr, 'ERROR ABORTED: stop here\n');
});

test('client stream from stdin (one JSON per line) and from --data', async () => {
  const lines = ['a', 'b', 'c'].map((x) => JSON.stringify({ data: b64(x) })).join('\n');
  const r = await run(['call', ttrpc, 'Streaming/ClientStream', '--proto', P], `${lines}\n`);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `{"data":"${b64('a,b,c')}"}\n`);
  const d = await run(['call', ttrpc, 'Streaming/ClientStream', '--proto', P, '--data', JSON.stringify([{ data: b64('x') }, { data: b64('y') }])]);
  assert.is(d.stdout, `{"data":"${b64('x,y')}"}\n`, d.stderr);
});

test('bidi from stdin', async () => {
  const lines = ['1', '2', '3'].map((x) => JSON.stringify({ data: b64(x) })).join('\n');
  const r = await run(['call', ttrpc, 'ttrpc.interop.v1.Streaming/BidiEcho', '--proto', P], lines);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, ['1', '2', '3'].map((x) => `{"data":"${b64(x)}"}\n`).join(''));
});

test('a failing call prints ERROR <CODE>: <message> on stderr and exits 1', async () => {
  const r = await run(['call', ttrpc, 'Echo/Fail', '--proto', P, '--data', '{"code":5,"message":"no such thing"}']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr, 'ERROR NOT_FOUND: no such thing\n');
});

test('--timeout: DEADLINE_EXCEEDED, promptly', async () => {
  const r = await run(['call', ttrpc, 'Echo/Sleep', '--proto', P, '--data', '{"millis":10000}', '--timeout', '200']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^ERROR DEADLINE_EXCEEDED/);
  assert.ok(r.ms < 8000, `${r.ms} ms`);
});

test('unknown method: named from the .proto (exit 2), from the server without one (UNIMPLEMENTED, exit 1)', async () => {
  const r = await run(['call', ttrpc, 'Echo/Nope', '--proto', P]);
  assert.is(r.code, 2);
  oneLine(r, /unknown method "Nope" in service ttrpc\.interop\.v1\.Echo/);
  const s = await run(['call', ttrpc, 'Nothing/Here', '--proto', P]);
  assert.is(s.code, 2);
  oneLine(s, /unknown service "Nothing"/);
  const u = await run(['call', ttrpc, 'ttrpc.interop.v1.Echo/Nope', '--data', 'hex:']);
  assert.is(u.code, 1);
  assert.is(u.stderr, 'ERROR UNIMPLEMENTED: method Nope\n');
});

test('bad input: invalid JSON, an unknown field, a wrong type, bad hex — one line, exit 2', async () => {
  const cases: Array<[string[], RegExp, string?]> = [
    [['Echo/Echo', '--proto', P, '--data', '{"data":'], /invalid JSON in --data/],
    [['Echo/Echo', '--proto', P, '--data', '{"dta":"x"}'], /unknown field "dta" in ttrpc\.interop\.v1\.Payload/],
    [['Echo/Sleep', '--proto', P, '--data', '{"millis":"soon"}'], /--data\.millis: want an integer/],
    [['ttrpc.interop.v1.Echo/Echo', '--data', 'hex:abc'], /invalid hex/],
    [['Streaming/ClientStream', '--proto', P], /invalid JSON in stdin line 2/, '{"data":""}\nnope\n'],
    [['Echo/Echo', '--proto', 'no/such.proto'], /no\/such\.proto: file not found/],
    [['Echo/Echo', '--proto', P, '--shape', 'bidi'], /--shape is only for calls without --proto/],
  ];
  for (const [args, re, input] of cases) {
    const r = await run(['call', ttrpc, ...args], input);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r, re);
  }
  const none = await run(['call']);
  assert.is(none.code, 2);
  oneLine(none, /address is required/);
});

test('unreachable address: UNAVAILABLE, exit 1, quickly', async () => {
  const r = await run(['call', sockAddress('nobody'), 'Echo/Echo', '--proto', P]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^ERROR UNAVAILABLE: /);
  assert.is(r.stderr.trimEnd().split('\n').length, 1);
  assert.ok(r.ms < 8000, `${r.ms} ms`);
});

test('raw bytes without --proto: hex and base64 in, hex out, --shape', async () => {
  const r = await run(['call', ttrpc, '/ttrpc.interop.v1.Echo/Echo', '--data', 'hex:0a026869']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '0a026869\n');
  const bidi = await run(['call', ttrpc, 'ttrpc.interop.v1.Streaming/BidiEcho', '--shape', 'bidi', '--data', 'hex:0a0161', '--data', `base64:${Buffer.from([10, 1, 98]).toString('base64')}`]);
  assert.is(bidi.stdout, '0a0161\n0a0162\n', bidi.stderr);
});

test('--protocol drpc', async () => {
  const r = await run(['call', drpc, 'Echo/Echo', '--proto', P, '--protocol', 'drpc', '--data', `{"data":"${b64('over drpc')}"}`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `{"data":"${b64('over drpc')}"}\n`);
  const f = await run(['call', drpc, 'Echo/Fail', '--proto', P, '--protocol', 'drpc', '--data', '{"code":7,"message":"nope"}']);
  assert.is(f.stderr, 'ERROR PERMISSION_DENIED: nope\n');
});

test('serve answers every shape with default messages, answered by call; SIGTERM stops it cleanly', async () => {
  const d = await start(['serve', P, '--listen', sockAddress('stub')]);
  try {
    const unary = await run(['call', d.address, 'Echo/Big', '--proto', P, '--data', '{"size":3}']);
    assert.is(unary.stdout, '{}\n', unary.stderr);
    const ss = await run(['call', d.address, 'Streaming/ServerStream', '--proto', P]);
    assert.is(ss.stdout, '{}\n', ss.stderr);
    const cs = await run(['call', d.address, 'Streaming/ClientStream', '--proto', P], '{"data":"YQ=="}\n{"data":"Yg=="}\n');
    assert.is(cs.stdout, '{}\n', cs.stderr);
    const bidi = await run(['call', d.address, 'Streaming/BidiEcho', '--proto', P], '{}\n{}\n');
    assert.is(bidi.stdout, '{}\n', bidi.stderr);
    const bad = await run(['call', d.address, 'ttrpc.interop.v1.Echo/Echo', '--data', 'hex:ffff']);
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /^ERROR INTERNAL: failed to parse request/);
    const missing = await run(['call', d.address, 'ttrpc.interop.v1.Echo/Nope', '--data', 'hex:']);
    assert.is(missing.stderr, 'ERROR UNIMPLEMENTED: method Nope\n');
  } finally {
    assert.is(await d.stop('SIGTERM'), 0);
  }
});

test('--help for call and serve', async () => {
  for (const cmd of ['call', 'serve']) {
    const r = await run([cmd, '--help']);
    assert.is(r.code, 0);
    assert.match(r.stdout, new RegExp(`^usage: reactor-rpc ${cmd}`));
  }
});

test.run();
