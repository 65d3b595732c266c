// Promise and async-iterable adapters at the call layer, below the reactors:
// what tests and benchmarks use to drive sessions directly (the public path
// is the reactors and the Client/Server facades).
import type { CallOptions, ClientTransport, ServerCall } from '../../src/call/call.js';
import { CallIO } from './call-io.js';
import { Code } from '../../src/status/code.js';
import { RpcError } from '../../src/status/rpc-error.js';
import { abortStatus } from '../../src/status/abort-status.js';
import { OK_STATUS, type Status } from '../../src/status/status.js';

/** AdapterCallOptions add cancellation to call options. */
export interface AdapterCallOptions extends CallOptions {
  /** signal cancels the call: DEADLINE_EXCEEDED for a timeout reason, CANCELLED otherwise, with the reason as the error's cause. */
  signal?: AbortSignal;
}

function open(t: ClientTransport, method: string, kind: Parameters<ClientTransport['createCall']>[1], o: AdapterCallOptions) {
  const call = t.createCall(method, kind, o);
  const io = new CallIO(call);
  if (o.signal) {
    const signal = o.signal;
    if (signal.aborted) call.cancel(abortStatus(signal.reason, false));
    else signal.addEventListener('abort', () => call.cancel(abortStatus(signal.reason)), { once: true });
  }
  return { call, io };
}

/** check throws a failed status as RpcError naming the method; an aborted signal's reason is its cause. */
function check(s: Status, method: string, o: AdapterCallOptions): void {
  if (s.code === Code.OK) return;
  const aborted = o.signal?.aborted === true && s.code === abortStatus(o.signal.reason).code;
  throw RpcError.fromStatus(s, undefined, aborted ? { cause: o.signal!.reason, method } : { method });
}

/** unaryCall makes one unary call at the call layer; rejects with RpcError. */
export async function unaryCall(t: ClientTransport, method: string, request: Uint8Array, o: AdapterCallOptions = {}): Promise<Uint8Array> {
  const { io } = open(t, method, 'unary', o);
  void io.write(request, true);
  const reply = await io.read();
  const s = await io.status;
  check(s, method, o);
  return reply ?? new Uint8Array(0);
}

/** serverStreamCall yields the responses of a server-streaming call; throws RpcError at a failed end. */
export async function* serverStreamCall(t: ClientTransport, method: string, request: Uint8Array, o: AdapterCallOptions = {}): AsyncGenerator<Uint8Array> {
  const { call, io } = open(t, method, 'server_stream', o);
  void io.write(request, true);
  try {
    for (let m = await io.read(); m; m = await io.read()) yield m;
    check(await io.status, method, o);
  } finally {
    call.cancel();
  }
}

/** clientStreamCall sends every request, closes, and resolves with the single reply. */
export async function clientStreamCall(t: ClientTransport, method: string, requests: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, o: AdapterCallOptions = {}): Promise<Uint8Array> {
  const { call, io } = open(t, method, 'client_stream', o);
  for await (const r of requests) if (!(await io.write(r))) break;
  call.closeSend();
  const reply = await io.read();
  check(await io.status, method, o);
  return reply ?? new Uint8Array(0);
}

/** bidiCall writes requests in the background and yields responses; throws RpcError at a failed end. */
export async function* bidiCall(t: ClientTransport, method: string, requests: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, o: AdapterCallOptions = {}): AsyncGenerator<Uint8Array> {
  const { call, io } = open(t, method, 'bidi', o);
  void (async () => {
    for await (const r of requests) if (!(await io.write(r))) return;
    call.closeSend();
  })().catch(() => call.cancel());
  try {
    for (let m = await io.read(); m; m = await io.read()) yield m;
    check(await io.status, method, o);
  } finally {
    call.cancel();
  }
}

/** ServerContextLite is what call-level handlers see of their call. */
export interface ServerContextLite {
  /** call is the underlying server call. */
  call: ServerCall;
  /** signal aborts when the call is cancelled. */
  signal: AbortSignal;
}

function serve(call: ServerCall, body: (io: CallIO, ctx: ServerContextLite) => Promise<void>): void {
  const io = new CallIO(call);
  const ac = new AbortController();
  void io.whenCancelled().then(() => ac.abort());
  body(io, { call, signal: ac.signal }).then(
    () => call.finish(OK_STATUS),
    (e: unknown) => call.finish(RpcError.from(e).toStatus()),
  );
}

/** unaryHandler adapts an async function to a call handler. */
export function unaryHandler(fn: (req: Uint8Array, ctx: ServerContextLite) => Promise<Uint8Array>): (call: ServerCall) => void {
  return (call) =>
    serve(call, async (io, ctx) => {
      const req = await io.read();
      if (!req) throw new RpcError(Code.INTERNAL, 'missing request');
      await io.write(await fn(req, ctx));
    });
}

/** serverStreamHandler adapts an async generator to a call handler. */
export function serverStreamHandler(fn: (req: Uint8Array, ctx: ServerContextLite) => AsyncIterable<Uint8Array>): (call: ServerCall) => void {
  return (call) =>
    serve(call, async (io, ctx) => {
      const req = await io.read();
      if (!req) throw new RpcError(Code.INTERNAL, 'missing request');
      for await (const m of fn(req, ctx)) if (!(await io.write(m))) return;
    });
}

async function* incoming(io: CallIO): AsyncGenerator<Uint8Array> {
  for (let m = await io.read(); m; m = await io.read()) yield m;
}

/** clientStreamHandler adapts a function of an async iterable to a call handler. */
export function clientStreamHandler(fn: (reqs: AsyncIterable<Uint8Array>, ctx: ServerContextLite) => Promise<Uint8Array>): (call: ServerCall) => void {
  return (call) => serve(call, async (io, ctx) => void (await io.write(await fn(incoming(io), ctx))));
}

/** bidiHandler adapts a function from an async iterable to an async iterable. */
export function bidiHandler(fn: (reqs: AsyncIterable<Uint8Array>, ctx: ServerContextLite) => AsyncIterable<Uint8Array>): (call: ServerCall) => void {
  return (call) =>
    serve(call, async (io, ctx) => {
      for await (const m of fn(incoming(io), ctx)) if (!(await io.write(m))) return;
    });
}
