/**
 * The Go column of the `inflight` benchmark: a containerd/ttrpc v1.1.1 echo
 * server and load-generating client (bench/go/src/ttrpcbench), built on first
 * use into .tmp/go-bench-bin in GOPATH mode against the system's Go sources,
 * with the build helpers of the Go interop tests (test/helpers/go-peer.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningPeer, goAvailable, goEnv, runGo, spawnUntilReady } from '../test/helpers/go-peer.js';

// Compiled, this file lives in .tmp/bench-js/bench: the repository root is three levels up.
const ROOT = fileURLToPath(new URL('..', import.meta.url).href.replace(/\/\.tmp\/bench-js\/$/, '/'));
const GOPATH_DIR = join(ROOT, 'bench', 'go');
const SRC = join(GOPATH_DIR, 'src', 'ttrpcbench');
const BIN = join(ROOT, '.tmp', 'go-bench-bin');
const SERVER = 'ttrpc-bench-server';
const CLIENT = 'ttrpc-bench-client';

/** GoBench holds the paths of the built Go benchmark binaries. */
export interface GoBench {
  /** server is the ttrpc echo server (`--socket PATH`). */
  server: string;
  /** client is the load generator (`--socket PATH [--payload B]`, rounds driven over stdin). */
  client: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** goBenchMissing returns why the Go column cannot run (no go command or no containerd/ttrpc sources), or undefined when it can. */
export function goBenchMissing(): string | undefined {
  return goAvailable() ? undefined : 'Go or the containerd/ttrpc v1.1.1 Go sources are not installed';
}

/** buildGoBench builds the Go server and client into .tmp/go-bench-bin unless they are newer than their sources. */
export async function buildGoBench(): Promise<GoBench> {
  const out = { server: join(BIN, SERVER), client: join(BIN, CLIENT) };
  const src = newestMtime(SRC);
  if ([out.server, out.client].every((p) => existsSync(p) && statSync(p).mtimeMs >= src)) return out;
  mkdirSync(BIN, { recursive: true });
  const tmp = mkdtempSync(join(BIN, '.build-'));
  try {
    // The interop tests' GOPATH is their own tree followed by the system's Go packages: keep the latter.
    const system = (goEnv().GOPATH ?? '').split(':').slice(1);
    const gopath = [GOPATH_DIR, ...system].join(':');
    await runGo(['build', '-o', `${tmp}/`, 'ttrpcbench/cmd/...'], { GOPATH: gopath, GOCACHE: join(ROOT, '.tmp', 'go-cache') });
    for (const b of [SERVER, CLIENT]) renameSync(join(tmp, b), join(BIN, b));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** startGoBenchServer starts the Go echo server on a unix socket path and waits until it listens. */
export function startGoBenchServer(bin: GoBench, socketPath: string): Promise<RunningPeer> {
  return spawnUntilReady(bin.server, ['--socket', socketPath]);
}
