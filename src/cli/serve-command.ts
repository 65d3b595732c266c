// `reactor-rpc serve`: a stand-in server that answers every method of the
// services in .proto files with default (empty) response messages, or with
// --echo the requests of methods whose request and response types match.
import type { MethodKind } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import cluster from 'node:cluster';
import { Server } from '../server/server.js';
import { type CreateWorkerServer, type ServeWorkersOptions, serveWorkers } from '../server/workers.js';
import { type AnyMethod, defineService } from '../services/definition.js';
import type { ServiceImplementation } from '../services/handlers.js';
import { type ParsedArgs, UsageError, flag } from './args.js';
import { type Command, PROTO_PATH, PROTO_PATH_HELP, checkAddress, nonNegativeInt, oneOf, protoPathsOf, runCommand, untilSignal } from './command-kit.js';
import { InputError } from './input-error.js';
import { TLS_HELP, TLS_OPTIONS, checkTlsFlags, serverTlsOf } from './tls-flags.js';
import type { ProtoMethod } from './proto-json.js';

/** WORKERS_HELP is the help text of --workers, shared by serve and proxy. */
export const WORKERS_HELP = `  --workers N            serve on N processes (node:cluster) behind the one
                         address, each with its own event loop; a worker
                         that dies is restarted (default 1: this process)
`;

/** SERVE_HELP is the usage text of `reactor-rpc serve`. */
export const SERVE_HELP = `usage: reactor-rpc serve <file.proto>... --listen <address> [options]

Serves every method of every service in the files: unary calls get the
default (empty) response message, server streams one default message then
OK, client streams are read to the end then get one default message, bidi
streams get one default message, are read to the end, then end OK. Requests
that do not decode as the method's request type fail with INTERNAL.
With --echo, a method whose request and response types are the same sends
each request back instead (unary and server streams: the request; client
streams: the last request; bidi: every request).
Prints "listening <address>" once ready; SIGINT/SIGTERM shut it down
gracefully. With --workers N it runs on N processes behind the one address.

options:
  --listen ADDR          host:port, tcp://host:port, tls://host:port (with
                         --cert and --key), unix:///path or unix-abstract:name
                         (port 0 picks a free port); required
  --protocol P           ttrpc (default), drpc, or auto (told apart by each
                         connection's first bytes)
  --multiplex            drpc: multiplexed connections (clients must multiplex)
  --echo                 echo requests where the types allow (see above)
${PROTO_PATH_HELP}${WORKERS_HELP}  --grace MS             how long shutdown waits for running calls (default 2000)
${TLS_HELP}  -h, --help             print this text
`;

/** SERVE is the command's name, help and option table. */
const SERVE: Command = {
  name: 'serve',
  help: SERVE_HELP,
  options: { listen: { type: 'string' }, protocol: { type: 'string' }, multiplex: { type: 'boolean' }, echo: { type: 'boolean' }, 'proto-path': PROTO_PATH, grace: { type: 'string' }, workers: { type: 'string' }, ...TLS_OPTIONS },
};

/** descriptor builds a raw-bytes method whose requests are checked against the .proto's request type (and kept as bytes). */
function descriptor(m: ProtoMethod): MethodDescriptor<Uint8Array, Uint8Array> {
  const id = (b: Uint8Array) => b;
  return {
    path: m.path,
    kind: m.kind,
    serializeRequest: id,
    deserializeRequest: (b) => (m.requestType.decode(b), b),
    serializeResponse: id,
    deserializeResponse: id,
  };
}

/** defaultHandler answers one method with default messages, by shape. */
function defaultHandler(kind: MethodKind, reply: Uint8Array): unknown {
  switch (kind) {
    case 'unary':
      return async () => reply;
    case 'server_stream':
      return async function* () {
        yield reply;
      };
    case 'client_stream':
      return async (requests: AsyncIterable<unknown>) => {
        for await (const _ of requests);
        return reply;
      };
    default:
      return async function* (requests: AsyncIterable<unknown>) {
        yield reply;
        for await (const _ of requests);
      };
  }
}

/** echoHandler sends requests back, by shape. */
function echoHandler(kind: MethodKind, reply: Uint8Array): unknown {
  switch (kind) {
    case 'unary':
      return async (req: Uint8Array) => req;
    case 'server_stream':
      return async function* (req: Uint8Array) {
        yield req;
      };
    case 'client_stream':
      return async (requests: AsyncIterable<Uint8Array>) => {
        let last = reply;
        for await (const r of requests) last = r;
        return last;
      };
    default:
      return async function* (requests: AsyncIterable<Uint8Array>) {
        for await (const r of requests) yield r;
      };
  }
}

/** stubServer builds a Server answering every method of the given .proto files (echoing where asked and the types allow); throws InputError when they declare no service. */
export async function stubServer(files: readonly string[], protoPaths: readonly string[], server: Server, echo = false): Promise<string[]> {
  const { allServices, describe, loadSchema } = await import('./proto-json.js');
  const root = loadSchema(files, protoPaths);
  const names: string[] = [];
  for (const svc of allServices(root)) {
    if (svc.methodsArray.length === 0) continue;
    const methods: Record<string, AnyMethod> = {};
    const impl: Record<string, unknown> = {};
    for (const m of svc.methodsArray) {
      const pm = describe(svc, m);
      methods[m.name] = descriptor(pm) as AnyMethod;
      const reply = pm.responseType.encode(pm.responseType.create({})).finish();
      impl[m.name] = echo && pm.requestType === pm.responseType ? echoHandler(pm.kind, reply) : defaultHandler(pm.kind, reply);
    }
    const def = defineService(svc.fullName.slice(1), methods);
    server.addService(def, impl as ServiceImplementation<typeof def>);
    names.push(def.name);
  }
  if (names.length === 0) throw new InputError(`no service with methods in ${files.join(', ')}`);
  return names;
}

/** workersOf reads --workers: a whole number ≥ 1 (default 1); throws UsageError otherwise. */
export function workersOf(args: ParsedArgs): number {
  const v = flag(args, 'workers');
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--workers must be a whole number ≥ 1, not "${v}"`);
  return n;
}

/** runOnWorkers serves with serveWorkers: the primary prints "listening <address>"; resolves to exit code 0 once every worker has exited. */
export async function runOnWorkers(create: CreateWorkerServer, options: ServeWorkersOptions): Promise<number> {
  const workers = await serveWorkers(create, options);
  if (workers.isPrimary) process.stdout.write(`listening ${workers.address}\n`);
  await workers.closed;
  return 0;
}

/** runServe runs `reactor-rpc serve` with the words after `serve` until SIGINT/SIGTERM; resolves to the exit code. */
export async function runServe(argv: readonly string[]): Promise<number> {
  return runCommand(SERVE, argv, async (args) => {
    const files = args.positional;
    if (files.length === 0) throw new UsageError('no .proto files given');
    const listen = checkAddress('--listen', flag(args, 'listen'));
    const protocol = oneOf(args, 'protocol', ['ttrpc', 'drpc', 'auto'] as const, 'ttrpc');
    const grace = nonNegativeInt(args, 'grace', 2000);
    if (args.flags.has('multiplex') && protocol === 'ttrpc') throw new UsageError('--multiplex needs --protocol drpc or auto');
    checkTlsFlags(args, [listen]);
    const tls = serverTlsOf(args, listen);
    const workers = workersOf(args);
    const build = async (): Promise<Server> => {
      const s = new Server({ protocol, multiplex: args.flags.has('multiplex') });
      await stubServer(files, protoPathsOf(args, files), s, args.flags.has('echo'));
      return s;
    };
    if (workers > 1) {
      // The primary checks the .proto files itself, so a bad one is a usage error (exit 2) as without workers.
      if (cluster.isPrimary) await build();
      return runOnWorkers(build, { address: listen, tls, workers, graceMs: grace });
    }
    const server = await build();
    const stopped = untilSignal();
    const address = await server.listen(listen, { tls });
    process.stdout.write(`listening ${address}\n`);
    await stopped;
    await server.shutdown(grace);
    return 0;
  });
}
