// The drpc interop peer end to end through the command line: `interop serve`
// in each mode, `interop client` with every scenario against it, over TCP and
// a unix socket; plus the interop hazard of a multiplexing client against an
// upstream server, and the usage errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DRPC_MUX_SCENARIOS, DRPC_SCENARIOS } from '../src/cli/interop/drpc-scenarios.js';
import { CLI_ENV } from './helpers/cli-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = CLI_ENV;
const cli = [join(root, 'bin', 'reactor-rpc.mjs'), 'interop'];

/** serve starts `interop serve` and resolves with its address once it printed `listening <addr>`. */
function serve(args: string[]): Promise<{ child: ChildProcess; address: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [...cli, 'serve', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`serve did not start: ${out} ${err}`))), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^listening (\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1]!, stop });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** client runs `interop client` to completion. */
function client(args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const child = spawn(process.execPath, [...cli, 'client', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter(Boolean), stderr: err });
    }),
  );
}

const unixAddr = () => `unix://${join(mkdtempSync(join(tmpdir(), 'rr-drpc-cli-')), 'peer.sock')}`;

for (const listen of ['tcp://127.0.0.1:0', 'unix']) {
  for (const mux of [false, true]) {
    const mode = mux ? ['--drpc-mux'] : [];
    test(`${listen === 'unix' ? 'unix' : 'tcp'} ${mux ? 'mux' : 'upstream'}: interop client passes every scenario against interop serve`, async () => {
      const server = await serve(['--protocol', 'drpc', ...mode, '--listen', listen === 'unix' ? unixAddr() : listen]);
      try {
        const r = await client(['--protocol', 'drpc', ...mode, '--addr', server.address]);
        const names = Object.keys(mux ? { ...DRPC_SCENARIOS, ...DRPC_MUX_SCENARIOS } : DRPC_SCENARIOS);
        assert.equal(r.lines, names.map((n) => `PASS ${n}`), r.stderr);
        assert.is(r.code, 0);
      } finally {
        assert.is(await server.stop(), 0, 'serve exits cleanly on SIGTERM');
      }
    });
  }
}

test('a multiplexing client against an upstream server fails the mux scenarios (no negotiation on the wire)', async () => {
  const server = await serve(['--protocol', 'drpc', '--listen', 'tcp://127.0.0.1:0']);
  try {
    const r = await client(['--protocol', 'drpc', '--drpc-mux', '--addr', server.address, '--scenario', 'unary_echo,mux_interleaved_bidi']);
    assert.is(r.lines[0], 'PASS unary_echo');
    assert.match(r.lines[1] ?? '', /^FAIL mux_interleaved_bidi: /);
    assert.is(r.code, 1);
  } finally {
    await server.stop();
  }
});

test('usage errors: unknown protocol, mux scenario without --drpc-mux, --drpc-mux with ttrpc', async () => {
  for (const args of [
    ['--protocol', 'grpc', '--addr', 'tcp://127.0.0.1:1'],
    ['--protocol', 'drpc', '--addr', 'tcp://127.0.0.1:1', '--scenario', 'mux_unary_during_stream'],
    ['--protocol', 'ttrpc', '--drpc-mux', '--addr', 'tcp://127.0.0.1:1'],
  ]) {
    const r = await client(args);
    assert.is(r.code, 2, args.join(' '));
  }
});

test.run();
