// The command line's manners: -h/--help anywhere, --version, one-line usage
// mistakes (exit 2) and failed calls (exit 1), host:port addresses, and a
// closed connection reported with the server's address.
import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INTEROP_PROTO as P, type RunResult, run, sockAddress, start } from './helpers/cli-process.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const COMMANDS = ['gen', 'call', 'serve', 'proxy', 'interop', 'bench', 'bench proxy', 'bench stream'];
const words = (cmd: string) => cmd.split(' ');

/** runAll runs the command lines two at a time (the machine is small) and returns the results in order. */
async function runAll(lines: ReadonlyArray<readonly string[]>): Promise<RunResult[]> {
  const out: RunResult[] = new Array(lines.length);
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const i = next++;
      out[i] = await run(lines[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/** oneLine checks exactly one line on stderr, matching pattern, and no stack trace. */
function oneLine(r: RunResult, pattern: RegExp, what: string): void {
  assert.is(r.stderr.split('\n').length, 2, `${what}: ${r.stderr}`);
  assert.ok(r.stderr.endsWith('\n'), what);
  assert.match(r.stderr, pattern, what);
  assert.not.match(r.stderr, /\n\s+at /, what);
}

/** usage checks a usage mistake of a command: exit 2, one line in the `reactor-rpc <cmd>: … (see reactor-rpc <cmd> --help)` form. */
function usage(r: RunResult, cmd: string, message: RegExp, what: string): void {
  assert.is(r.code, 2, `${what}: ${r.stderr}`);
  oneLine(r, new RegExp(`^reactor-rpc ${cmd}: .* \\(see reactor-rpc ${cmd} --help\\)\\n$`), what);
  assert.match(r.stderr, message, what);
  assert.is(r.stdout, '', what);
}

test('-h and --help, first or last, print the command help on stdout and exit 0', async () => {
  const lines = COMMANDS.flatMap((cmd) => [
    [...words(cmd), '-h'],
    [...words(cmd), '--bogus', 'x', '--help'],
    [...words(cmd), 'some', 'words', '-h'],
  ]);
  const results = await runAll(lines);
  results.forEach((r, i) => {
    const cmd = COMMANDS[Math.floor(i / 3)]!;
    const what = lines[i]!.join(' ');
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
    assert.is(r.stderr, '', what);
    const head = cmd === 'bench stream' ? 'bench' : cmd;
    assert.match(r.stdout, new RegExp(`^usage:\\s+reactor-rpc ${head}`), what);
  });
  const top = await runAll([['-h'], ['--help'], ['help'], ['help', 'call']]);
  for (const r of top) assert.is(r.code, 0);
  assert.match(top[0]!.stdout, /^usage: reactor-rpc <command>/);
  assert.match(top[3]!.stdout, /^usage: reactor-rpc call/);
});

test('--version (and -v at the top) print the package version and exit 0', async () => {
  const lines = [['--version'], ['-v'], ...COMMANDS.map((cmd) => [...words(cmd), '--version'])];
  for (const [i, r] of (await runAll(lines)).entries()) {
    assert.is(r.code, 0, lines[i]!.join(' '));
    assert.is(r.stdout, `reactor-rpc ${VERSION}\n`, lines[i]!.join(' '));
    assert.is(r.stderr, '');
  }
});

test('an unknown flag or a flag without its value: one line, exit 2', async () => {
  const lines = COMMANDS.map((cmd) => [...words(cmd), '--bogus']);
  (await runAll(lines)).forEach((r, i) => usage(r, COMMANDS[i]!, /unknown option --bogus/, lines[i]!.join(' ')));
  const missing = await runAll([['call', '--timeout'], ['serve', P, '-I'], ['gen', '--out'], ['proxy', '--listen', sockAddress(), '--to']]);
  usage(missing[0]!, 'call', /option --timeout needs a value/, 'call --timeout');
  usage(missing[1]!, 'serve', /option -I\/--proto-path needs a value/, 'serve -I');
  usage(missing[2]!, 'gen', /option --out needs a value/, 'gen --out');
  usage(missing[3]!, 'proxy', /option --to needs a value/, 'proxy --to');
  const boolWithValue = await run(['call', 'localhost:1', 'a.B/C', '--multiplex=yes']);
  usage(boolWithValue, 'call', /option --multiplex takes no value/, '--multiplex=yes');
});

test('unknown commands and top-level flags: one line listing the commands, exit 2', async () => {
  const [cmd, flag] = await runAll([['frobnicate'], ['--bogus']]);
  for (const r of [cmd!, flag!]) {
    assert.is(r.code, 2);
    oneLine(r, /^reactor-rpc: .*\(commands: gen, interop, call, serve, proxy, bench\) \(see reactor-rpc --help\)\n$/, r.stderr);
  }
  assert.match(cmd!.stderr, /unknown command "frobnicate"/);
});

test('bad addresses: one line, exit 2', async () => {
  const cases: Array<[string, string[]]> = [
    ['call', ['call', 'nowhere', 'a.B/C']],
    ['call', ['call', 'localhost:99999', 'a.B/C']],
    ['serve', ['serve', P, '--listen', 'nowhere']],
    ['proxy', ['proxy', '--listen', 'nowhere', '--to', 'localhost:1']],
    ['proxy', ['proxy', '--listen', 'localhost:0', '--to', 'ftp://x']],
    ['interop', ['interop', 'serve', '--listen', 'nowhere']],
    ['interop', ['interop', 'client', '--addr', 'nowhere']],
  ];
  (await runAll(cases.map((c) => c[1]))).forEach((r, i) => usage(r, cases[i]![0], /invalid address|is required/, cases[i]![1].join(' ')));
});

test('missing files: gen, call --proto, serve and proxy --proto exit 2 with one line', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rr-manners-'));
  const cases: Array<[string, string[]]> = [
    ['gen', ['gen', 'no/such.proto', '--out', out]],
    ['call', ['call', 'localhost:1', 'Echo/Echo', '--proto', 'no/such.proto']],
    ['serve', ['serve', 'no/such.proto', '--listen', 'localhost:0']],
    ['proxy', ['proxy', '--listen', 'localhost:0', '--to', 'localhost:1', '--proto', 'no/such.proto']],
  ];
  (await runAll(cases.map((c) => c[1]))).forEach((r, i) => usage(r, cases[i]![0], /no\/such\.proto: file not found/, cases[i]![1].join(' ')));
});

test('unknown methods and scenarios: one line listing the known ones, exit 2', async () => {
  const [method, scenario, stream, interop] = await runAll([
    ['call', 'localhost:1', 'Echo/Nope', '--proto', P],
    ['bench', 'nope'],
    ['bench', 'stream', 'nope'],
    ['interop', 'client', '--addr', 'localhost:1', '--scenario', 'nope'],
  ]);
  usage(method!, 'call', /unknown method "Nope" in service ttrpc\.interop\.v1\.Echo \(known: Echo,/, 'call Echo/Nope');
  usage(scenario!, 'bench', /unknown scenario "nope" \(scenarios: unix-seq, /, 'bench nope');
  usage(stream!, 'bench stream', /unknown stream row "nope" \(stream rows: ttrpc-stream-gen, /, 'bench stream nope');
  usage(interop!, 'interop', /unknown scenario "nope" \(scenarios: echo, /, 'interop --scenario nope');
});

test('failed calls: one line ERROR <CODE>: <message>, exit 1', async () => {
  const r = await run(['call', sockAddress('nobody'), 'Echo/Echo', '--proto', P]);
  assert.is(r.code, 1);
  oneLine(r, /^ERROR UNAVAILABLE: /, r.stderr);
});

test('call localhost:<port> reaches a serve listening on host:port', async () => {
  const d = await start(['serve', P, '--listen', '127.0.0.1:0']);
  try {
    const port = /:(\d+)$/.exec(d.address)![1];
    assert.is(d.address, `tcp://127.0.0.1:${port}`);
    const [byName, byIp] = await runAll([
      ['call', `localhost:${port}`, 'Echo/Echo', '--proto', P, '--data', '{}'],
      ['call', `127.0.0.1:${port}`, 'ttrpc.interop.v1.Echo/Nope', '--data', 'hex:'],
    ]);
    assert.is(byName!.code, 0, byName!.stderr);
    assert.is(byName!.stdout, '{}\n');
    assert.is(byIp!.code, 1);
    assert.is(byIp!.stderr, 'ERROR UNIMPLEMENTED: method Nope\n');
  } finally {
    await d.stop();
  }
});

test('a connection closed by the server during a call names the address', async () => {
  const server = createServer((socket) => socket.once('data', () => socket.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const r = await run(['call', `127.0.0.1:${port}`, 'pkg.Svc/Method', '--data', 'hex:']);
    assert.is(r.code, 1);
    assert.is(r.stderr, `ERROR UNAVAILABLE: ttrpc: connection to tcp://127.0.0.1:${port} closed by the server before the reply\n`);
  } finally {
    server.close();
  }
});

test.run();
