// The reactor-rpc command line: `reactor-rpc <command> [options]`.
import { RpcError } from '../status/rpc-error.js';
import { UsageError, parseArgs } from './args.js';
import { INTEROP_HELP, runInterop } from './interop/command.js';
import { runGen } from './gen-command.js';
import { runCall } from './call-command.js';
import { runServe } from './serve-command.js';
import { runProxy } from './proxy-command.js';
import { runBench } from './bench-command.js';

/** HELP is the usage text printed by `reactor-rpc help`. */
export const HELP = `usage: reactor-rpc <command> [options]

commands:
  gen <files.proto…>     generate typed service definitions and clients (see reactor-rpc gen --help)
  interop serve|client   the interop peer (see reactor-rpc interop --help)
  call <addr> <method>   call any method, JSON in and out with --proto (see reactor-rpc call --help)
  serve <files.proto…>   answer every method of the services with default messages (see reactor-rpc serve --help)
  proxy                  forward every call to another server, ttrpc or drpc (see reactor-rpc proxy --help)
  bench [options]        run the benchmarks and print their table (see reactor-rpc bench --help)
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
    // bench passes its options through to the benchmark runner unparsed.
    if (command === 'bench') return await runBench(argv.slice(1));
    const args = parseArgs(argv, ['help', 'drpc-mux', 'multiplex', 'log']);
    if (command === 'interop') return await runInterop(args);
    if (command === 'gen') return await runGen(args);
    if (command === 'call') return await runCall(args);
    if (command === 'serve') return await runServe(args);
    if (command === 'proxy') return await runProxy(args);
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
