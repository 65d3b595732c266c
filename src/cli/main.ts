// The reactor-rpc command line: `reactor-rpc <command> [options]`.
import { RpcError } from '../status/rpc-error.js';
import { UsageError, parseArgs } from './args.js';
import { INTEROP_HELP, runInterop } from './interop/command.js';
import { runGen } from './gen-command.js';

/** HELP is the usage text printed by `reactor-rpc help`. */
export const HELP = `usage: reactor-rpc <command> [options]

commands:
  gen <files.proto…>     generate typed service definitions and clients (see reactor-rpc gen --help)
  interop serve|client   the interop peer (see reactor-rpc interop --help)
  help                   print this text

${INTEROP_HELP}`;

/** main runs the command line with `argv` (without the node and script paths) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const args = parseArgs(argv, ['help', 'drpc-mux', 'multiplex', 'log']);
    if (command === 'interop') return await runInterop(args);
    if (command === 'gen') return await runGen(args);
    throw new UsageError(`unknown command '${command}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`reactor-rpc: ${e.message}\n\n${HELP}`);
      return 2;
    }
    if (e instanceof RpcError) {
      process.stderr.write(`reactor-rpc: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
