// `reactor-rpc call`: one call to any method of a ttrpc or drpc server,
// requests and responses as JSON (with --proto) or raw bytes.
import type { MethodKind } from '../call/call.js';
import { Client, type ClientCallOptions } from '../client/client.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import type { Status } from '../status/status.js';
import { type ParsedArgs, UsageError } from './args.js';
import { type RequestCodec, StdinRequests, fixedRequests, rawCodec, toHex } from './call-input.js';
import { type Command, PROTO_PATH, PROTO_PATH_HELP, metadataOf, nonNegativeInt, oneOf, protoPathsOf, runCommand, withTimeout } from './command-kit.js';
import { withTarget } from './connection-status.js';
import { InputError, isInputError } from './input-error.js';
import { rawCall } from './raw-call.js';
import { TLS_HELP, TLS_OPTIONS, checkTlsFlags, clientTlsOf, isTls } from './tls-flags.js';
import { cliTarget, targetAddresses } from './address-arg.js';
import { isDnsTarget } from '../client/resolver.js';

/** CALL_HELP is the usage text of `reactor-rpc call`. */
export const CALL_HELP = `usage: reactor-rpc call <address> <Service/Method> [options]

  <address>              host:port (TCP), tcp://host:port, tls://host:port,
                         unix:///path, unix-abstract:name, dns:///host:port
                         (every address the name resolves to), or a
                         comma-separated list of addresses (the first one
                         that connects is used)

Makes one call and prints each response on its own line: JSON with --proto,
hex without. A failed call prints "ERROR <CODE_NAME>: <message>" on stderr
and exits 1; a mistake in the command line or the data exits 2.

  <Service/Method>       package.Service/Method (the short service name
                         works with --proto when it is unambiguous)

options:
  --proto FILE           .proto declaring the method; repeatable. Requests
                         and responses are proto3 JSON (docs/proto-json.md:
                         Timestamp "1972-01-01T10:00:20Z", Duration "1.5s",
                         Any {"@type": ...}, int64 as "123"); the shape
                         comes from the .proto
${PROTO_PATH_HELP}  --data JSON|@FILE      the request; repeatable for client streams, and a
                         JSON array is one message per element. Without
                         --data: the default message for unary and
                         server-streaming calls, stdin (one message per
                         line) for client-streaming and bidi calls
                         Without --proto: hex:0a03… or base64:CgM… (and a
                         @FILE is sent as it is)
  --shape KIND           unary (default), server_stream, client_stream or
                         bidi; without --proto only
  --protocol P           ttrpc (default) or drpc
  --multiplex            drpc: the server multiplexes streams
  --metadata K=V         request metadata; repeatable
  --timeout MS           deadline of the call (default 30000; 0: none)
  --connect-timeout MS   how long to try connecting (default 5000)
${TLS_HELP}  -h, --help             print this text
`;

const SHAPES = ['unary', 'server_stream', 'client_stream', 'bidi'] as const;
/** CALL is the command's name, help and option table. */
const CALL: Command = {
  name: 'call',
  help: CALL_HELP,
  options: {
    proto: { type: 'string', multiple: true },
    'proto-path': PROTO_PATH,
    data: { type: 'string', multiple: true },
    shape: { type: 'string' },
    protocol: { type: 'string' },
    multiplex: { type: 'boolean' },
    metadata: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'connect-timeout': { type: 'string' },
    ...TLS_OPTIONS,
  },
};

/** CallPlan is what the command line asks for, checked before anything is dialled. */
interface CallPlan {
  address: string | string[];
  path: string;
  kind: MethodKind;
  codec: RequestCodec;
  print: (bytes: Uint8Array) => string;
  requests: Uint8Array[] | undefined;
}

async function plan(args: ParsedArgs): Promise<CallPlan> {
  const [given, name, ...extra] = args.positional;
  const address = cliTarget('the server address', given);
  if (!name) throw new UsageError('a method is required (package.Service/Method)');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const protos = args.flags.get('proto') ?? [];
  if (protos.length > 0) {
    if (args.flags.has('shape')) throw new UsageError('--shape is only for calls without --proto (the .proto tells the shape)');
    const { findMethod, jsonCodec, loadSchema, messageToJson } = await import('./proto-json.js');
    const root = loadSchema(protos, protoPathsOf(args, protos));
    const m = findMethod(root, name);
    const codec = jsonCodec(m.requestType);
    const print = (b: Uint8Array) => JSON.stringify(messageToJson(m.responseType, b));
    return { address, path: m.path, kind: m.kind, codec, print, requests: fixedRequests(codec, args.flags.get('data')) };
  }
  const s = name.startsWith('/') ? name.slice(1) : name;
  const slash = s.lastIndexOf('/');
  if (slash <= 0 || slash === s.length - 1) throw new UsageError(`method "${name}" is not of the form package.Service/Method`);
  const kind = oneOf(args, 'shape', SHAPES, 'unary');
  return { address, path: `/${s}`, kind, codec: rawCodec, print: toHex, requests: fixedRequests(rawCodec, args.flags.get('data')) };
}

/** runCall runs `reactor-rpc call` with the words after `call` and resolves to the exit code. */
export async function runCall(argv: readonly string[]): Promise<number> {
  return runCommand(CALL, argv, async (args) => {
    const p = await plan(args);
    const protocol = oneOf(args, 'protocol', ['ttrpc', 'drpc'] as const, 'ttrpc');
    const timeoutMs = nonNegativeInt(args, 'timeout', 30_000);
    const connectMs = nonNegativeInt(args, 'connect-timeout', 5000);
    const metadata = metadataOf(args);
    const streamsIn = p.kind === 'client_stream' || p.kind === 'bidi';
    if (!streamsIn && p.requests && p.requests.length !== 1) throw new UsageError(`a ${p.kind} call takes one request, got ${p.requests.length}`);
    if (args.flags.has('multiplex') && protocol !== 'drpc') throw new UsageError('--multiplex needs --protocol drpc');
    const dialled = targetAddresses(p.address).filter((a) => !isDnsTarget(a));
    checkTlsFlags(args, dialled);
    const tlsAt = dialled.find(isTls);

    // A one-shot call has no use for the slow-reaction watchdog: its reports would only clutter stderr.
    const scheduler = new Scheduler({ watchdogMs: Infinity });
    const client = await Client.connect(p.address, { protocol, multiplex: args.flags.has('multiplex'), dialTimeoutMs: connectMs || undefined, scheduler, tls: tlsAt === undefined ? undefined : clientTlsOf(args, tlsAt) });
    const abort = new AbortController();
    const stdin = streamsIn && !p.requests ? new StdinRequests(p.codec, () => abort.abort()) : undefined;
    const options: ClientCallOptions = { metadata, timeoutMs: timeoutMs || undefined, signal: abort.signal };
    let outputError: Error | undefined;
    const out = (b: Uint8Array): boolean => {
      try {
        process.stdout.write(`${p.print(b)}\n`);
        return true;
      } catch (e) {
        outputError = isInputError(e) ? e : new InputError(String(e));
        return false;
      }
    };
    let result: Status;
    let replies = 0;
    const counted = (b: Uint8Array): boolean => (replies++, out(b));
    try {
      result = await rawCall(client, p.path, p.kind, stdin ?? p.requests ?? [p.codec.empty()], options, counted);
    } finally {
      stdin?.close();
      // Closing ends the connection at once; the wait only covers calls still reaching onDone.
      await withTimeout(client.close().catch(() => undefined), 2000);
    }
    if (stdin?.error) throw stdin.error;
    // A response that does not decode as the .proto's type is the server's (or the .proto's) problem: a failed call.
    if (outputError) throw new RpcError(Code.INTERNAL, outputError.message);
    if (result.code !== Code.OK) throw RpcError.fromStatus(withTarget(result, targetAddresses(p.address).join(','), replies > 0));
    return 0;
  });
}
