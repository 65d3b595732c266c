// Shared pieces of the call, serve, proxy and bench commands: option checks,
// one-line error reporting and signal handling.
import { dirname, resolve } from 'node:path';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { formatStatus, status } from '../status/status.js';
import { parseAddress } from '../transport/address.js';
import { type ParsedArgs, UsageError, flag } from './args.js';
import { isInputError } from './input-error.js';

/** checkFlags throws UsageError for an option the command does not know. */
export function checkFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const k of args.flags.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}

/** oneOf reads a flag that must be one of a few words. */
export function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback: T): T {
  const v = flag(args, name, fallback)!;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be ${allowed.join(' or ')}, not "${v}"`);
  return v as T;
}

/** nonNegativeInt reads a flag holding a whole number ≥ 0. */
export function nonNegativeInt(args: ParsedArgs, name: string, fallback: number): number {
  const v = flag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number ≥ 0, not "${v}"`);
  return n;
}

/** checkAddress throws UsageError for a malformed address (before anything is dialled). */
export function checkAddress(what: string, address: string | undefined): string {
  if (!address || address === 'true') throw new UsageError(`${what} is required (unix:///path, unix-abstract:name, tcp://host:port)`);
  try {
    parseAddress(address);
  } catch (e) {
    throw new UsageError(`${what}: ${e instanceof RpcError ? e.rawMessage : (e as Error).message}`);
  }
  return address;
}

/** metadataOf reads repeated `--metadata key=value` options. */
export function metadataOf(args: ParsedArgs): Array<[string, string]> {
  return (args.flags.get('metadata') ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata wants key=value, not "${kv}"`);
    return [kv.slice(0, eq).toLowerCase(), kv.slice(eq + 1)];
  });
}

/** protoPathsOf returns the --proto-path options, or the directories of the inputs and all their parents (so `import "pkg/x.proto"` resolves from a tree root). */
export function protoPathsOf(args: ParsedArgs, files: readonly string[]): string[] {
  const given = args.flags.get('proto-path');
  if (given && given.length > 0) return given;
  const out = new Set<string>();
  for (const f of files) {
    let d = dirname(resolve(f));
    for (;;) {
      out.add(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return [...out];
}

/** reportErrors runs a command body and turns user errors into one line on stderr: exit 2 for usage and input errors, 1 for RPC failures (`ERROR CODE: message`). */
export async function reportErrors(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError || isInputError(e)) {
      process.stderr.write(`reactor-rpc ${command}: ${e.message} (see reactor-rpc ${command} --help)\n`);
      return 2;
    }
    if (e instanceof RpcError) {
      process.stderr.write(`ERROR ${formatStatus(e.toStatus())}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.message === 'string') {
      // System errors (EADDRINUSE, EACCES, ...) are the user's environment, not a bug: one line.
      process.stderr.write(`ERROR ${formatStatus(status(Code.UNAVAILABLE, err.message))}\n`);
      return 1;
    }
    throw e;
  }
}

/** untilSignal resolves at the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** withTimeout resolves with the promise's value, or with undefined after ms (the promise keeps running). */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
