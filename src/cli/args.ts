/** ParsedArgs are the positional words and --flags of a command line. */
export interface ParsedArgs {
  /** positional holds the words that are not flags. */
  positional: string[];
  /** flags maps a flag name to its values (a bare flag has the value "true"). */
  flags: Map<string, string[]>;
}

/** parseArgs splits argv into positional words and `--name value` / `--name=value` flags; `booleans` name flags that take no value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) add(a.slice(2, eq), a.slice(eq + 1));
    else if (booleans.includes(a.slice(2))) add(a.slice(2), 'true');
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`option ${a} needs a value`);
      add(a.slice(2), v);
      i++;
    }
  }
  return { positional, flags };
}

/** flag returns the last value of a flag, or the fallback. */
export function flag(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : fallback;
}

/** UsageError is a command-line mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  /** constructor sets the message. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
