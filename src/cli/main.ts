// The reactor-rpc command line: `reactor-rpc <command> [options]`.
import { runBench } from './bench-command.js';
import { runCall } from './call-command.js';
import { usageLine } from './command-kit.js';
import { runGen } from './gen-command.js';
import { runInterop } from './interop/command.js';
import { packageVersion } from './package-info.js';
import { runProxy } from './proxy-command.js';
import { runServe } from './serve-command.js';

/** HELP is the usage text printed by `reactor-rpc help`. */
export const HELP = `usage: reactor-rpc <command> [options]

commands:
  gen <files.proto…>     generate typed service definitions and clients
  interop serve|client   the interop peer
  call <addr> <method>   call any method, JSON in and out with --proto
  serve <files.proto…>   answer every method of the services with default messages
  proxy                  forward every call to another server, ttrpc or drpc
  bench [options]        run the benchmarks and print their table
  help [command]         print this text, or a command's

Every command takes -h/--help (its own usage) and --version.
reactor-rpc -v/--version prints the version. Addresses: host:port (TCP),
tcp://host:port, unix:///path, unix-abstract:name.

Exit codes: 0 success, 1 a failed call or run, 2 a usage mistake.
`;

/** COMMANDS maps each command word to its runner (argv after the command word). */
const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = {
  gen: runGen,
  interop: runInterop,
  call: runCall,
  serve: runServe,
  proxy: runProxy,
  bench: runBench,
};

/** main runs the command line with `argv` (without the node and script paths) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`reactor-rpc ${packageVersion()}\n`);
    return 0;
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      process.stdout.write(HELP);
      return 0;
    }
    const run = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
    if (run) return run(['--help']);
    process.stderr.write(usageLine('', `unknown command "${topic}" (commands: ${Object.keys(COMMANDS).join(', ')})`));
    return 2;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run) return run(rest);
  const what = command.startsWith('-') ? `unknown option ${command}` : `unknown command "${command}"`;
  process.stderr.write(usageLine('', `${what} (commands: ${Object.keys(COMMANDS).join(', ')})`));
  return 2;
}
