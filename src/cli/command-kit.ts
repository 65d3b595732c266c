// Shared pieces of the commands: help/version/parsing around each command,
// option checks, one-line error reporting and signal handling.
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { formatStatus, status } from '../status/status.js';
import { cliAddress } from './address-arg.js';
import { type OptionSpec, type OptionTable, type ParsedArgs, UsageError, earlyRequest, flag, parseCommandLine } from './args.js';
import { isInputError } from './input-error.js';
import { packageVersion } from './package-info.js';

/** Command describes one command of the CLI: its name, help text and option table. */
export interface Command {
  /** name is the command word(s), as in `reactor-rpc <name>`. */
  name: string;
  /** help is printed for -h/--help. */
  help: string;
  /** options is the command's option table (--help and --version are added). */
  options: OptionTable;
}

/** runCommand answers -h/--help and --version, parses argv against the command's table and runs body, reporting errors as one line (see reportErrors). */
export async function runCommand(cmd: Command, argv: readonly string[], body: (args: ParsedArgs) => Promise<number>): Promise<number> {
  const early = earlyRequest(argv, cmd.options);
  if (early) {
    process.stdout.write(early === 'help' ? cmd.help : `reactor-rpc ${packageVersion()}\n`);
    return 0;
  }
  return reportErrors(cmd.name, () => body(parseCommandLine(argv, cmd.options)));
}

/** PROTO_PATH is the option spec of --proto-path (also -I and protoc's --proto_path). */
export const PROTO_PATH: OptionSpec = { type: 'string', multiple: true, short: 'I', alias: 'proto_path' };

/** usageLine renders a usage mistake: `reactor-rpc <command>: <message> (see reactor-rpc <command> --help)`. */
export function usageLine(command: string, message: string): string {
  const who = command ? `reactor-rpc ${command}` : 'reactor-rpc';
  return `${who}: ${message} (see ${who} --help)\n`;
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

/** checkAddress returns the address in the library's syntax (a bare host:port becomes tcp://host:port); throws UsageError for a malformed one. */
export function checkAddress(what: string, address: string | undefined): string {
  return cliAddress(what, address);
}

/** metadataOf reads repeated `--metadata key=value` options. */
export function metadataOf(args: ParsedArgs): Array<[string, string]> {
  return (args.flags.get('metadata') ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata wants key=value, not "${kv}"`);
    return [kv.slice(0, eq).toLowerCase(), kv.slice(eq + 1)];
  });
}

/**
 * protoPathsOf returns the --proto-path options in order. Empty when none is
 * given: the loader (codegen/load.ts, shared by gen, call, serve and proxy)
 * then searches the inputs' directories and their parents. `files` is kept
 * for callers that pass the inputs; the rule lives in one place, the loader.
 */
export function protoPathsOf(args: ParsedArgs, _files?: readonly string[]): string[] {
  return [...(args.flags.get('proto-path') ?? [])];
}

/** PROTO_PATH_HELP is the help text of -I/--proto-path, the same for every command that loads .proto files. */
export const PROTO_PATH_HELP = `  -I, --proto-path DIR   import search path; repeatable, searched in order
                         (first hit wins), protoc's --proto_path works too.
                         Default: the directories of the inputs, then their
                         parent directories up to the working directory.
                         Nothing is searched next to the importing file; the
                         google/protobuf well-known types (descriptor.proto
                         too) are built in, a file on the path overrides them
`;

/** reportErrors runs a command body and turns user errors into one line on stderr: exit 2 for usage and input errors, 1 for RPC failures (`ERROR CODE: message`). */
export async function reportErrors(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError || isInputError(e)) {
      process.stderr.write(usageLine(command, e.message));
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
