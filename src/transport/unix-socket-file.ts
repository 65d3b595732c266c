// The life of a unix socket file: bound by a listener, given a mode, replaced
// when stale, and removed on close only while it still is the listener's own.
import { chmodSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';

/**
 * FileIdentity tells one file from another bound later at the same path
 * (device and inode). It is sound for a listening socket: the socket keeps
 * its inode referenced, so no other file can get that inode number while the
 * listener is open, even after its name was unlinked.
 */
export interface FileIdentity {
  /** dev is the device number of the file. */
  readonly dev: bigint;
  /** ino is the inode number of the file. */
  readonly ino: bigint;
  /** socket is true when the file is a unix socket. */
  readonly socket: boolean;
}

/** fileIdentity returns the identity of the file at a path (symlinks are not followed), or undefined when nothing is there. */
export function fileIdentity(path: string): FileIdentity | undefined {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st === undefined ? undefined : { dev: st.dev, ino: st.ino, socket: st.isSocket() };
}

/** sameFile tells whether two identities name the same file. */
export function sameFile(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/** ProbeResult is what connecting to a socket path found: a server answered, nothing answered (stale), no file, or another error. */
export type ProbeResult = 'live' | 'refused' | 'gone' | Error;

/** PROBE_TIMEOUT_MS bounds the connect that tells a live socket from a stale one; a server that takes longer is taken as live. */
const PROBE_TIMEOUT_MS = 1000;

/** probeSocket connects to a unix socket path and closes at once; only ECONNREFUSED means nothing listens there. */
export function probeSocket(path: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (r: ProbeResult): void => {
      clearTimeout(timer);
      s.removeAllListeners('connect');
      s.on('error', () => {});
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done('live'), PROBE_TIMEOUT_MS);
    s.once('connect', () => done('live'));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ENOENT' ? 'gone' : err));
  });
}

/**
 * removeStaleSocket removes the file at a socket path if it is a socket that
 * no server answers on; `where` prefixes error texts. Resolves when the path
 * may be bound again (removed, or gone meanwhile); throws RpcError
 * UNAVAILABLE when a server answers, the file is not a socket, or staleness
 * cannot be told. The file is removed only if it is still the one probed.
 */
export async function removeStaleSocket(path: string, where: string): Promise<void> {
  const before = fileIdentity(path);
  if (before === undefined) return;
  if (!before.socket) throw new RpcError(Code.UNAVAILABLE, `${where}: ${path} exists and is not a socket; it is left alone`);
  const probe = await probeSocket(path);
  if (probe === 'live') throw new RpcError(Code.UNAVAILABLE, `${where}: another server is listening on this socket; it is left alone`);
  if (probe === 'gone') return;
  if (probe instanceof Error) throw new RpcError(Code.UNAVAILABLE, `${where}: cannot tell whether the socket file is stale (${probe.message}); it is left alone`, [], undefined, { cause: probe });
  // A server may have replaced the stale file while we probed: remove only the file probed.
  if (!sameFile(fileIdentity(path), before)) return;
  try {
    unlinkQuiet(path);
  } catch (err) {
    throw new RpcError(Code.UNAVAILABLE, `${where}: cannot remove the stale socket file: ${(err as Error).message}`, [], undefined, { cause: err });
  }
}

/** applyMode sets a socket file's permission bits, provided the path still is the file bound (identity). */
export function applyMode(path: string, identity: FileIdentity, mode: number): void {
  if (!sameFile(fileIdentity(path), identity)) throw new Error(`${path} was replaced before its mode could be set`);
  chmodSync(path, mode);
}

/**
 * closeSocketServer closes a net.Server bound to a socket file without
 * removing another server's file. libuv unlinks the bound path by name while
 * closing; when the path no longer is this server's file (identity), that
 * file is moved aside for the (synchronous) close and then put back, so a
 * later server bound at the path keeps its socket.
 */
export function closeSocketServer(server: Server, path: string, identity: FileIdentity | undefined): void {
  const current = fileIdentity(path);
  if (current === undefined || sameFile(current, identity)) {
    server.close();
    return;
  }
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.aside`;
  try {
    renameSync(path, aside);
  } catch {
    // Not movable (no write access to the folder): libuv cannot unlink it either.
    server.close();
    return;
  }
  try {
    server.close();
  } finally {
    renameSync(aside, path);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    // Removed meanwhile: the path is free, which is all the caller wants.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
