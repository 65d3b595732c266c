// Builds and runs the Go ttrpc interop peers (containerd/ttrpc v1.1.1, GOPATH
// mode) that live under test/go/src/ttrpcpeer.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** repoRoot is the absolute path of the repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const goSrc = join(repoRoot, 'test', 'go', 'src', 'ttrpcpeer');
const binDir = join(repoRoot, '.tmp', 'go-bin');
const systemGopath = '/usr/share/gocode';
const ttrpcSrc = join(systemGopath, 'src', 'github.com', 'containerd', 'ttrpc');
const peers = ['ttrpc-interop-server', 'ttrpc-interop-client'] as const;

/** GoPeers holds the paths of the built Go interop binaries. */
export interface GoPeers {
  server: string;
  client: string;
}

/** ClientResult is the exit code and output lines of one Go client run. */
export interface ClientResult {
  code: number | null;
  lines: string[];
  stderr: string;
}

/** RunningPeer is a spawned peer process that printed its ready line. */
export interface RunningPeer {
  child: ChildProcess;
  firstLine: string;
  stop(): Promise<void>;
}

/** goEnv returns the environment for the go command (GOPATH mode, cache under .tmp). */
export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `${join(repoRoot, 'test', 'go')}:${systemGopath}`,
    GOCACHE: join(repoRoot, '.tmp', 'go-cache'),
    GOTOOLCHAIN: 'local',
    ...extra,
  };
  delete env.GOFLAGS;
  return env;
}

/** goAvailable reports whether `go` runs and the containerd/ttrpc sources are installed. */
export function goAvailable(): boolean {
  const r = spawnSync('go', ['version'], { stdio: 'ignore' });
  return r.status === 0 && existsSync(join(ttrpcSrc, 'server.go'));
}

/** newestMtime returns the latest modification time of any file under dir. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** upToDate reports whether every binary exists and is newer than the sources. */
function upToDate(): boolean {
  const src = newestMtime(goSrc);
  return peers.every((p) => existsSync(join(binDir, p)) && statSync(join(binDir, p)).mtimeMs >= src);
}

/** runGo runs the go command and rejects with its output on failure. */
export function runGo(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd: repoRoot, env: goEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`go ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

let building: Promise<GoPeers> | undefined;

/** buildGoPeers builds the Go peers into .tmp/go-bin once, rebuilding when sources are newer. */
export function buildGoPeers(): Promise<GoPeers> {
  building ??= (async () => {
    const result = { server: join(binDir, peers[0]), client: join(binDir, peers[1]) };
    if (upToDate()) return result;
    mkdirSync(binDir, { recursive: true });
    // Build into a private directory, then rename: concurrent builders never see half-written files.
    const tmp = mkdtempSync(join(binDir, '.build-'));
    try {
      await runGo(['build', '-o', tmp + '/', 'ttrpcpeer/cmd/...']);
      for (const p of peers) renameSync(join(tmp, p), join(binDir, p));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return result;
  })();
  return building;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** spawnUntilReady spawns a peer and resolves once its first stdout line starts with `listening`. */
export function spawnUntilReady(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunningPeer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    let ready = false;
    const exited = new Promise<void>((r) => child.on('close', () => (children.delete(child), r())));
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: ${why}\nstdout: ${out}\nstderr: ${err}`));
    };
    const timer = setTimeout(() => fail(`no "listening" line within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (e) => fail(e.message));
    child.on('close', (code, signal) => ready || fail(`exited early (${code ?? signal})`));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const nl = out.indexOf('\n');
      if (ready || nl < 0) return;
      const firstLine = out.slice(0, nl).trim();
      if (!firstLine.startsWith('listening ')) return fail(`unexpected first line ${JSON.stringify(firstLine)}`);
      ready = true;
      clearTimeout(timer);
      const stop = async (): Promise<void> => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(force);
      };
      resolve({ child, firstLine, stop });
    });
  });
}

/** startGoServer starts the Go interop server on a Unix socket and waits until it listens. */
export async function startGoServer(socketPath: string): Promise<RunningPeer> {
  const { server } = await buildGoPeers();
  return spawnUntilReady(server, ['--socket', socketPath]);
}

/** runToEnd runs a command to completion (killed after timeoutMs) and splits stdout into lines. */
export function runToEnd(cmd: string, args: string[], timeoutMs = 120_000): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      const lines = out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      resolve({ code, lines, stderr });
    });
  });
}

/** runGoClient runs the Go interop client against socketPath for the given scenarios. */
export async function runGoClient(socketPath: string, scenarios: string[] | 'all'): Promise<ClientResult> {
  const { client } = await buildGoPeers();
  const list = scenarios === 'all' ? 'all' : scenarios.join(',');
  return runToEnd(client, ['--socket', socketPath, '--scenario', list]);
}
