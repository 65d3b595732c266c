// Backpressure under real pressure, with the server in its own process:
// a client that keeps sending requests but never reads its replies makes the
// server stop reading it (memory stays bounded), and once the client reads,
// every reply arrives. ttrpc and multiplexed drpc (upstream drpc runs one
// call at a time per connection, so a client cannot pipeline on it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ttrpc } from '../generated/interop.js';
import { RawStream, ReplyCounter, type WireProtocol, streamId } from './helpers/raw-wire.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

/** ServerProcess is the fixture server running in a child process. */
interface ServerProcess {
  path: string;
  stats(): Promise<{ rss: number; maxRss: number; activeCalls: number }>;
  stop(): Promise<void>;
}

async function startServer(protocol: WireProtocol): Promise<ServerProcess> {
  const path = join(mkdtempSync(join(tmpdir(), 'rr-bp-')), 's.sock');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/pressure-server.ts', protocol, path], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  const waitLine = async (re: RegExp, ms: number): Promise<RegExpExecArray> => {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(out);
      if (m) {
        out = out.slice(m.index + m[0].length);
        return m;
      }
      if (Date.now() > end) throw new Error(`server printed no ${re} within ${ms} ms`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  await waitLine(/listening \S+\n/, 20_000);
  return {
    path,
    async stats() {
      child.stdin!.write('stats\n');
      return JSON.parse((await waitLine(/stats (\{.*\})\n/, 5000))[1]!);
    },
    async stop() {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      clearTimeout(t);
    },
  };
}

for (const protocol of ['ttrpc', 'drpc-mux'] as const) {
  test(`${protocol}: a client that never reads its replies makes the server stop reading it; memory stays bounded; reading again gets every reply`, async () => {
    const server = await startServer(protocol);
    try {
      const before = await server.stats();
      const N = 6000;
      const payload = ttrpc.interop.v1.Payload.encode({ data: new Uint8Array(16 * 1024).fill(7) }).finish();
      const sock = createConnection(server.path);
      await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
      sock.pause();
      for (let i = 0; i < N; i++) sock.write(new RawStream(protocol, streamId(protocol, i), '/ttrpc.interop.v1.Echo/Echo').unary(payload));
      // ~96 MiB of requests and as much in replies: the server must stop reading long before.
      // The server's resident memory, sampled while the client pushes (its peak before the test is tsx's start-up, not ours).
      let peak = 0;
      for (let i = 0; i < 30; i++) {
        await sleep(50);
        peak = Math.max(peak, (await server.stats()).rss);
      }
      const grown = peak - before.rss;
      assert.ok(sock.writableLength > 32 * MiB, `the client is held back (${(sock.writableLength / MiB).toFixed(1)} MiB unsent)`);
      assert.ok(grown < 48 * MiB, `server peak RSS grew ${(grown / MiB).toFixed(1)} MiB while its replies went unread`);
      const replies = new ReplyCounter(protocol);
      sock.on('data', (c: Buffer) => replies.data(c));
      sock.resume();
      for (let i = 0; i < 600 && replies.ended < N; i++) await sleep(50);
      assert.is(replies.ended, N, 'every request answered');
      assert.is(replies.failed, 0, 'no limit error');
      sock.destroy();
      for (let i = 0; i < 100 && (await server.stats()).activeCalls > 0; i++) await sleep(20);
      assert.is((await server.stats()).activeCalls, 0);
    } finally {
      await server.stop();
    }
  });
}

test.run();
