// Command-line parsing for every reactor-rpc command: node:util parseArgs in
// strict mode over a per-command option table, with alias spellings folded
// into their option and parse failures turned into one-line UsageErrors.
import { parseArgs as parseNodeArgs } from 'node:util';

/** OptionSpec declares one option of a command. */
export interface OptionSpec {
  /** type is 'string' for `--name value` / `--name=value`, 'boolean' for a bare flag. */
  type: 'string' | 'boolean';
  /** multiple marks the option repeatable (every value counts); otherwise the last one wins. */
  multiple?: boolean;
  /** short is a one-letter alias (`-I DIR`). */
  short?: string;
  /** alias names another long spelling of the option (`--proto_path` for `--proto-path`). */
  alias?: string;
}

/** OptionTable maps each long option name of a command to its spec. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** ParsedArgs are the positional words and options of a command line. */
export interface ParsedArgs {
  /** positional holds the words that are not options (the command word is not among them). */
  positional: string[];
  /** flags maps an option name to its values in command-line order (a boolean flag has the value "true"). */
  flags: Map<string, string[]>;
}

/** COMMON_OPTIONS are accepted by every command: --help (-h) and --version. */
export const COMMON_OPTIONS: OptionTable = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };

/** nodeOptions turns a table into node:util parseArgs options, alias spellings included. */
function nodeOptions(table: OptionTable): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const out: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries({ ...COMMON_OPTIONS, ...table })) {
    out[name] = { type: spec.type, multiple: true, ...(spec.short ? { short: spec.short } : {}) };
    if (spec.alias) out[spec.alias] = { type: spec.type, multiple: true };
  }
  return out;
}

/** canonical maps an alias spelling back to its option name. */
function canonical(table: OptionTable, name: string): string {
  for (const [n, spec] of Object.entries(table)) if (spec.alias === name) return n;
  return name;
}

/** earlyRequest reports whether argv asks for --help or --version anywhere (help wins); mistakes elsewhere in argv do not hide it. */
export function earlyRequest(argv: readonly string[], table: OptionTable): 'help' | 'version' | undefined {
  const { tokens } = parseNodeArgs({ args: [...argv], options: nodeOptions(table), strict: false, allowPositionals: true, tokens: true });
  const names = new Set(tokens.filter((t) => t.kind === 'option').map((t) => t.name));
  return names.has('help') ? 'help' : names.has('version') ? 'version' : undefined;
}

/** parseCommandLine parses a command's words (after the command word) against its option table; throws UsageError on an unknown option or a missing or unwanted value. */
export function parseCommandLine(argv: readonly string[], table: OptionTable): ParsedArgs {
  let tokens;
  try {
    ({ tokens } = parseNodeArgs({ args: [...argv], options: nodeOptions(table), strict: true, allowPositionals: true, tokens: true }));
  } catch (e) {
    throw new UsageError(parseFailure(e as Error & { code?: string }));
  }
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    const name = canonical(table, t.name);
    flags.set(name, [...(flags.get(name) ?? []), t.value ?? 'true']);
  }
  return { positional, flags };
}

/** parseFailure rewrites a node:util parseArgs error as a short message. */
function parseFailure(e: Error & { code?: string }): string {
  // node names the option as '--out', '--out <value>' or '-I, --proto-path <value>'.
  const opt = (/'(-[^']*?)(?: <value>)?'/.exec(e.message)?.[1] ?? '').replace(', ', '/');
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${opt}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (e.message.includes('does not take an argument')) return `option ${opt} takes no value`;
    if (e.message.includes('ambiguous')) return `option ${opt} needs a value (write ${opt}=-… for a value starting with "-")`;
    return `option ${opt} needs a value`;
  }
  return e.message.split('\n')[0]!;
}

/** flag returns the last value of an option, or the fallback. */
export function flag(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : fallback;
}

/** UsageError is a command-line mistake: printed as one line without a stack trace, exit code 2. */
export class UsageError extends Error {
  /** constructor sets the message. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
