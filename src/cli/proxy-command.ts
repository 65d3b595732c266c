// `reactor-rpc proxy`: forwards every call it receives to another server,
// ttrpc or drpc on either side, built on createProxy.
import type { MethodKind } from '../call/call.js';
import { type ProxyCallLog, createProxy } from '../proxy/index.js';
import { cliTarget, targetAddresses } from './address-arg.js';
import { isDnsTarget } from '../client/resolver.js';
import { type Upstream, upstreamOf } from './upstream-target.js';
import { Server } from '../server/server.js';
import { Code, codeName } from '../status/code.js';
import { type ParsedArgs, UsageError, flag } from './args.js';
import { type Command, PROTO_PATH, checkAddress, nonNegativeInt, oneOf, protoPathsOf, runCommand, untilSignal } from './command-kit.js';
import { Progress } from './progress.js';
import { TLS_OPTIONS, checkTlsFlags, clientTlsOf, isTls, serverTlsOf } from './tls-flags.js';
import { WORKERS_HELP, runOnWorkers, workersOf } from './serve-command.js';

/** PROXY_HELP is the usage text of `reactor-rpc proxy`. */
export const PROXY_HELP = `usage: reactor-rpc proxy --listen <address> --to <address> [options]

Forwards every call (any method, all four shapes) to the server at --to:
request metadata and deadline go along, a client's cancellation cancels the
upstream call, the upstream status (OK or not) comes back unchanged. The
upstream connection is dialled on first use and again after it was lost.
Prints "listening <address>" once ready; SIGINT/SIGTERM shut it down
gracefully. On a terminal, stderr shows calls/s and errors (not with
--workers, where each worker has its own upstream connection).

options:
  --listen ADDR          where to accept clients (required): host:port,
                         tcp://host:port, tls://host:port, unix:///path or
                         unix-abstract:name
  --listen-protocol P    ttrpc (default), drpc, or auto
  --to ADDR              the upstream server (required); also dns:///host:port
                         or a comma-separated list of addresses (one
                         reconnecting client over every endpoint, the first
                         that connects is used)
  --to-protocol P        ttrpc (default) or drpc
  --multiplex            drpc sides multiplex streams
  --proto FILE           .proto of the proxied services; repeatable. drpc
                         does not carry a call's shape and ttrpc reports
                         client streams as bidi: with --proto the upstream
                         call gets the method's own shape (needed from a
                         drpc client to a ttrpc upstream)
  -I, --proto-path DIR   import search path; repeatable (--proto_path too)
  --log                  print one line per call: method, status, duration, bytes
  --connect-timeout MS   how long to try dialling the upstream (default 5000)
  --grace MS             how long shutdown waits for running calls (default 2000)
${WORKERS_HELP}  --cert FILE            tls:// sides: the proxy's PEM certificate (required
                         for a tls:// --listen; presented to a tls:// --to
                         for mutual TLS), with --key
  --key FILE             tls:// sides: PEM private key of --cert
  --ca FILE              tls:// sides: PEM CA bundle trusted upstream and, on
                         a tls:// --listen, required of clients (mutual TLS)
  -h, --help             print this text
`;

/** PROXY is the command's name, help and option table. */
const PROXY: Command = {
  name: 'proxy',
  help: PROXY_HELP,
  options: {
    listen: { type: 'string' },
    'listen-protocol': { type: 'string' },
    to: { type: 'string' },
    'to-protocol': { type: 'string' },
    multiplex: { type: 'boolean' },
    proto: { type: 'string', multiple: true },
    'proto-path': PROTO_PATH,
    log: { type: 'boolean' },
    'connect-timeout': { type: 'string' },
    grace: { type: 'string' },
    workers: { type: 'string' },
    ...TLS_OPTIONS,
  },
};

/** formatCallLog renders one --log line: `method CODE 12ms in=10B out=20B` plus the message of a failure. */
export function formatCallLog(e: ProxyCallLog): string {
  const msg = e.status.code !== Code.OK && e.status.message ? ` ${JSON.stringify(e.status.message)}` : '';
  return `${e.method} ${codeName(e.status.code)} ${e.durationMs}ms in=${e.bytesIn}B out=${e.bytesOut}B${msg}`;
}

/** shapesOf maps every method path of the .proto files to its shape. */
async function shapesOf(args: ParsedArgs): Promise<Map<string, MethodKind> | undefined> {
  const files = args.flags.get('proto') ?? [];
  if (files.length === 0) return undefined;
  const { allServices, describe, loadSchema } = await import('./proto-json.js');
  const root = loadSchema(files, protoPathsOf(args, files));
  const out = new Map<string, MethodKind>();
  for (const svc of allServices(root)) for (const m of svc.methodsArray) {
    const d = describe(svc, m);
    out.set(d.path, d.kind);
  }
  return out;
}

/** runProxy runs `reactor-rpc proxy` with the words after `proxy` until SIGINT/SIGTERM; resolves to the exit code. */
export async function runProxy(argv: readonly string[]): Promise<number> {
  return runCommand(PROXY, argv, async (args) => {
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
    const listen = checkAddress('--listen', flag(args, 'listen'));
    const to = cliTarget('--to', flag(args, 'to'));
    const toDialled = targetAddresses(to).filter((a) => !isDnsTarget(a));
    const toTls = toDialled.find(isTls);
    const listenProtocol = oneOf(args, 'listen-protocol', ['ttrpc', 'drpc', 'auto'] as const, 'ttrpc');
    const toProtocol = oneOf(args, 'to-protocol', ['ttrpc', 'drpc'] as const, 'ttrpc');
    const multiplex = args.flags.has('multiplex');
    if (multiplex && listenProtocol === 'ttrpc' && toProtocol === 'ttrpc') throw new UsageError('--multiplex needs a drpc side');
    const connectMs = nonNegativeInt(args, 'connect-timeout', 5000);
    checkTlsFlags(args, [listen, ...toDialled]);
    const listenTls = serverTlsOf(args, listen);
    const grace = nonNegativeInt(args, 'grace', 2000);
    const workers = workersOf(args);
    const shapes = await shapesOf(args);
    if (!shapes && listenProtocol !== 'ttrpc' && toProtocol === 'ttrpc') {
      process.stderr.write('reactor-rpc proxy: note: drpc clients do not tell a call\'s shape; pass --proto so their calls reach the ttrpc upstream with the right one\n');
    }

    const progress = new Progress(process.stderr, 'proxy');
    const logging = args.flags.has('log');
    const newUpstream = (): Upstream => upstreamOf(to, { protocol: toProtocol, multiplex: multiplex && toProtocol === 'drpc', dialTimeoutMs: connectMs || undefined, tls: toTls === undefined ? undefined : clientTlsOf(args, toTls) });
    const logLine = (e: ProxyCallLog): void => void (logging && process.stdout.write(`${formatCallLog(e)}\n`));
    if (workers > 1) {
      return runOnWorkers((w) => {
        const up = newUpstream();
        w.onShutdown(() => up.close());
        const h = createProxy(up.get, { kindOf: shapes ? (m) => shapes.get(m) : undefined, log: logging ? logLine : undefined });
        return new Server({ protocol: listenProtocol, multiplex: multiplex && listenProtocol !== 'ttrpc' }).addGenericService(h);
      }, { address: listen, tls: listenTls, workers, graceMs: grace });
    }
    const upstream = newUpstream();
    const handler = createProxy(upstream.get, {
      kindOf: shapes ? (m) => shapes.get(m) : undefined,
      log: (e) => {
        progress.record(e.status.code === Code.OK);
        if (logging) progress.print(formatCallLog(e));
      },
    });
    const server = new Server({ protocol: listenProtocol, multiplex: multiplex && listenProtocol !== 'ttrpc' }).addGenericService(handler);
    const stopped = untilSignal();
    const address = await server.listen(listen, { tls: listenTls });
    process.stdout.write(`listening ${address}\n`);
    progress.start();
    await stopped;
    progress.stop();
    await server.shutdown(grace);
    await upstream.close();
    return 0;
  });
}
