// serveWorkers: a cluster of 2 workers (primary in a child process) keeps
// serving while one worker is SIGKILLed (every call ends once, OK or
// UNAVAILABLE), restarts it, and shuts down gracefully on SIGTERM, over a
// unix socket and TCP. Each phase uses fresh client connections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, Code } from '../src/index.js';
import { PidService, msRequest, pidOf } from './fixtures/workers/service.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test', 'fixtures', 'workers', 'primary.ts');
const INFLIGHT = 64;

/** Primary is the fixture's primary process and the lines it printed. */
class Primary {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
  /** line waits (up to 15 s) for a printed line matching re. */
  async line(re: RegExp, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      for (const l of this.lines.slice(from)) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (Date.now() > deadline) throw new Error(`no line ${re} in ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

const pidsOf = (s: string): number[] => s.split(',').map(Number);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** connectAll opens n fresh connections (the primary hands them to the workers in turn; with SO_REUSEPORT the kernel picks by a hash). */
const connectAll = (address: string, n: number): Promise<Client[]> => Promise.all(Array.from({ length: n }, () => Client.connect(address)));

interface Tally {
  ok: number;
  unavailable: number;
  other: string[];
  pids: Set<number>;
}

/** runCalls makes `total` Pid calls, INFLIGHT at a time spread over the clients, counting each call's end (which must come exactly once); onProgress sees the number ended. */
async function runCalls(clients: Client[], total: number, onProgress: (ended: number) => void = () => {}): Promise<Tally> {
  const t: Tally = { ok: 0, unavailable: 0, other: [], pids: new Set() };
  const ends = new Uint8Array(total);
  let next = 0;
  let ended = 0;
  await new Promise<void>((resolve) => {
    const start = (): void => {
      const i = next++;
      if (i >= total) return;
      clients[i % clients.length]!.unaryCallback(PidService.methods.Pid, new Uint8Array(0), undefined, (s, reply) => {
        ends[i]!++;
        if (s.code === Code.OK) {
          t.ok++;
          t.pids.add(pidOf(reply!));
        } else if (s.code === Code.UNAVAILABLE) t.unavailable++;
        else t.other.push(`${s.code} ${s.message}`);
        onProgress(++ended);
        if (ended === total) resolve();
        else setImmediate(start);
      });
    };
    for (let k = 0; k < INFLIGHT; k++) start();
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(ends.every((e) => e === 1), 'every call ends exactly once');
  return t;
}

async function scenario(address: string): Promise<void> {
  const p = new Primary(spawn(process.execPath, ['--import', 'tsx', FIXTURE, address, '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  p.child.stderr!.setEncoding('utf8');
  let stderr = '';
  p.child.stderr!.on('data', (s: string) => (stderr += s));
  try {
    const [, bound, list] = await p.line(/^listening (\S+) (\S+)$/);
    const first = pidsOf(list!);
    assert.is(first.length, 2);

    // Phase 1: 10,000 calls, one worker SIGKILLed after 3,000.
    // 16 connections: with SO_REUSEPORT the kernel spreads connections by a hash, so
    // fewer could all land on one worker (4 connections: 1 in 8; 16: 1 in 32,768).
    let c1 = await connectAll(bound!, 16);
    const mark = p.lines.length;
    let victim = 0;
    const t = await runCalls(c1, 10_000, (n) => {
      if (n === 3000) {
        victim = first[0]!;
        process.kill(victim, 'SIGKILL');
      }
    });
    assert.equal(t.other, [], 'no code but OK and UNAVAILABLE');
    assert.is(t.ok + t.unavailable, 10_000);
    assert.ok(t.ok > 3000 && t.unavailable > 0, `ok ${t.ok}, unavailable ${t.unavailable}`);
    assert.ok(t.pids.has(first[1]!), 'the other worker carried on');
    await Promise.all(c1.map((c) => c.close()));

    // The primary replaces the killed worker.
    const [, after] = await p.line(/^workers (\S+)$/, mark);
    const now = pidsOf(after!);
    assert.is(now.length, 2);
    assert.not.ok(now.includes(victim));
    assert.ok(now.includes(first[1]!));
    assert.match(stderr, /worker 0 \(pid \d+\) died \(SIGKILL\); restarting/);

    // Phase 2: fresh connections, every call succeeds, on both workers.
    c1 = await connectAll(bound!, 16);
    const t2 = await runCalls(c1, 2000);
    assert.equal([t2.ok, t2.unavailable, t2.other], [2000, 0, []]);
    assert.equal([...t2.pids].sort(), [...now].sort());
    await Promise.all(c1.map((c) => c.close()));

    // Phase 3: SIGTERM to the primary: calls in flight end OK, every process exits.
    const c3 = await connectAll(bound!, 4);
    const slow = Array.from({ length: INFLIGHT }, (_, i) => c3[i % 4]!.unary(PidService.methods.Slow, msRequest(400)).then(pidOf));
    await new Promise((resolve) => setTimeout(resolve, 150));
    p.child.kill('SIGTERM');
    const answered = await Promise.all(slow);
    assert.is(answered.length, INFLIGHT);
    assert.is(await p.exited, 0, stderr);
    assert.ok(p.lines.includes('closed'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(now.filter(alive), [], 'workers exited');
    await Promise.all(c3.map((c) => c.close()));
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
}

test('unix socket: a killed worker costs UNAVAILABLE calls only, is restarted; SIGTERM drains', async () => {
  await scenario(`unix://${join(mkdtempSync(join(tmpdir(), 'rr-workers-')), 's.sock')}`);
});

test('tcp: the same over one port', async () => {
  await scenario('tcp://127.0.0.1:0');
});

test.run();
