// Interoperability with the Go ttrpc implementation (containerd/ttrpc v1.1.1,
// unary only): Go client ↔ Go server sanity, Go client → reactor-rpc server,
// reactor-rpc client → Go server.
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vectorDir } from './helpers/vectors.js';
import {
  buildGoPeers,
  goAvailable,
  runGo,
  runGoClient,
  runToEnd,
  spawnUntilReady,
  startGoServer,
  type ClientResult,
  type RunningPeer,
} from './helpers/go-peer.js';

const UNARY = [
  'echo',
  'echo_empty',
  'echo_metadata',
  'error_status',
  'timeout',
  'sleep_ok',
  'big_response',
  'unknown_service',
  'unknown_method',
  'multi_call',
  'concurrent',
];
const vectorsDir = vectorDir('ttrpc');
const cli = ['bin/reactor-rpc.mjs', 'interop'];

if (!goAvailable()) {
  test('Go toolchain present (required in CI)', () => {
    if (process.env.CI) assert.unreachable('the Go toolchain (golang-go, golang-github-containerd-ttrpc-dev) is required in CI: run .ci/install-go.sh');
    console.log('skipped: go not installed');
  });
  test.run();
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ttrpc-go-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const running: RunningPeer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  };

  /** expectPass asserts the output holds exactly one line for name and that it is PASS. */
  const expectPass = (r: ClientResult, name: string): void => {
    const mine = r.lines.filter((l) => l === `PASS ${name}` || l.startsWith(`FAIL ${name}:`) || l === `FAIL ${name}`);
    const context = `exit ${r.code}\n${r.lines.join('\n')}\n${r.stderr}`;
    assert.is(mine.length, 1, `expected one result line for ${name}:\n${context}`);
    assert.is(mine[0], `PASS ${name}`, context);
  };

  const goSanity = suite('Go client → Go server');
  goSanity('Go interop messages marshal to the vector bytes', async () => {
    await runGo(['test', '-count=1', 'ttrpcpeer/interop'], { TTRPC_VECTORS: vectorsDir });
  });
  goSanity('all unary scenarios pass', async () => {
    const sock = join(dir, 'go-sanity.sock');
    running.push(await startGoServer(sock));
    assert.is(running[0]!.firstLine, `listening unix://${sock}`);
    const r = await runGoClient(sock, 'all');
    assert.equal(r.lines, UNARY.map((n) => `PASS ${n}`), r.lines.join('\n') + r.stderr);
    assert.is(r.code, 0);
  });
  goSanity('a failing scenario exits non-zero', async () => {
    const r = await runGoClient(join(dir, 'go-sanity.sock'), ['echo', 'stream_bidi']);
    assert.equal(r.lines[0], 'PASS echo');
    assert.ok(r.lines[1]?.startsWith('FAIL stream_bidi: '), r.lines.join('\n'));
    assert.is(r.code, 1);
  });
  goSanity.after(stopAll);
  goSanity.run();

  // Go client → `reactor-rpc interop serve`.
  const toTs = suite('Go client → reactor-rpc server');
  const tsSock = join(dir, 'ts-server.sock');
  let tsServer: Promise<RunningPeer> | undefined;
  const ensureTsServer = (): Promise<RunningPeer> =>
    (tsServer ??= Promise.all([
      buildGoPeers(),
      spawnUntilReady(process.execPath, [...cli, 'serve', '--protocol', 'ttrpc', '--listen', `unix://${tsSock}`]),
    ]).then(([, peer]) => (running.push(peer), peer)));
  for (const name of UNARY) {
    toTs(name, async () => {
      await ensureTsServer();
      expectPass(await runGoClient(tsSock, [name]), name);
    });
  }
  toTs.after(stopAll);
  toTs.run();

  // `reactor-rpc interop client` → Go server.
  const fromTs = suite('reactor-rpc client → Go server');
  const goSock = join(dir, 'go-server.sock');
  let tsClient: Promise<ClientResult> | undefined;
  const tsClientRun = (): Promise<ClientResult> =>
    (tsClient ??= startGoServer(goSock).then((peer) => {
      running.push(peer);
      return runToEnd(process.execPath, [...cli, 'client', '--protocol', 'ttrpc', '--addr', `unix://${goSock}`, '--scenario', UNARY.join(',')]);
    }));
  for (const name of UNARY) {
    fromTs(name, async () => expectPass(await tsClientRun(), name));
  }
  fromTs('client exits 0', async () => {
    const r = await tsClientRun();
    assert.is(r.code, 0, r.lines.join('\n') + r.stderr);
  });
  fromTs.after(stopAll);
  fromTs.run();
}
