import { ClientBidiReactor } from '../../../reactors/client-reactors.js';
import { ReactorMisuseError } from '../../../reactors/misuse.js';
import type { ClientTransport } from '../../call/call.js';
import { rawMethod } from '../../call/method.js';
import { Client } from '../../client/client.js';
import { Metadata } from '../../metadata/metadata.js';
import type { DrpcSessionOptions } from '../../protocol/drpc/options.js';
import { Code, codeName } from '../../status/code.js';
import { RpcError } from '../../status/rpc-error.js';
import type { Status } from '../../status/status.js';
import { DrpcPeerService } from './drpc-service.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const M = DrpcPeerService.methods;

/** DrpcConnection is what a drpc scenario runs on: one connection, with its stream counter. */
export interface DrpcConnection extends ClientTransport {
  /** lastStreamId is the highest stream id used on the connection. */
  readonly lastStreamId: number;
}

/** DrpcScenarioEnv is what a drpc scenario gets: how to open connections to the peer, and the mode. */
export interface DrpcScenarioEnv {
  /** multiplex is true when both sides multiplex (`--drpc-mux`). */
  multiplex: boolean;
  /** connect opens one new connection to the peer. */
  connect(options?: DrpcSessionOptions): Promise<DrpcConnection>;
}

/** DrpcScenario runs one interop check; it throws to fail and closes what it opens. */
export type DrpcScenario = (env: DrpcScenarioEnv) => Promise<void>;

function eq(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, want ${e}`);
}

/** expectCode checks that a call fails with `code` (or one of several codes) and, when given, the message. */
async function expectCode(p: Promise<unknown>, code: Code | number | readonly number[], message?: string): Promise<void> {
  const codes = typeof code === 'number' ? [code] : code;
  const want = codes.map((c) => codeName(c)).join(' or ');
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    if (!codes.includes(e.code)) throw new Error(`got ${codeName(e.code)} (${e.rawMessage}), want ${want}`);
    if (message !== undefined && e.rawMessage !== message) throw new Error(`message ${JSON.stringify(e.rawMessage)}, want ${JSON.stringify(message)}`);
    return;
  }
  throw new Error(`call succeeded, want ${want}`);
}

const text = (b: Uint8Array | null | undefined) => (b == null ? null : dec.decode(b));

async function* items(...xs: string[]): AsyncGenerator<Uint8Array> {
  for (const x of xs) yield enc.encode(x);
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(dec.decode(m));
  return out;
}

/** onOne runs a body through a Client on a fresh connection and closes it. */
function onOne(body: (c: Client, t: DrpcConnection, env: DrpcScenarioEnv) => Promise<void>, options?: DrpcSessionOptions): DrpcScenario {
  return async (env) => {
    const t = await env.connect(options);
    const c = Client.fromTransport(t);
    try {
      await body(c, t, env);
    } finally {
      await c.close();
    }
  };
}

async function echo(c: Client, s: string): Promise<void> {
  eq(text(await c.unary(M.Echo, enc.encode(s))), s, 'echo');
}

/** tickTwiceThenCancel reads t-1 and t-2 from Ticker and cancels; the call must end CANCELLED. */
async function tickTwiceThenCancel(c: Client): Promise<void> {
  const ac = new AbortController();
  const got: string[] = [];
  await expectCode((async () => {
    for await (const m of c.serverStream(M.Ticker, enc.encode('t'), { signal: ac.signal })) {
      got.push(dec.decode(m));
      if (got.length === 2) ac.abort();
    }
  })(), Code.CANCELLED);
  eq(got, ['t-1', 't-2'], 'ticks before the cancel');
}

/** StepBidi drives a bidi call one step at a time from outside its reactions: each write and read is a promise. */
class StepBidi extends ClientBidiReactor<Uint8Array, Uint8Array> {
  private wrote: ((ok: boolean) => void) | undefined;
  private got: ((m: Uint8Array | null) => void) | undefined;
  private ended!: (s: Status) => void;
  /** status resolves with the call's final status. */
  readonly status = new Promise<Status>((r) => (this.ended = r));
  /** write sends one message and resolves with its onWriteDone. */
  write(m: Uint8Array): Promise<boolean> {
    return new Promise((r) => {
      this.wrote = r;
      this.startWrite(m);
    });
  }
  /** read resolves with the next message, or null at the end of the server's stream (also once the call is over). */
  read(): Promise<Uint8Array | null> {
    return new Promise((r) => {
      this.got = r;
      try {
        this.startRead();
      } catch (e) {
        // The status came first, so onDone is already queued: nothing more to read.
        if (!(e instanceof ReactorMisuseError)) throw e;
        r(null);
      }
    });
  }
  override onWriteDone(ok: boolean): void {
    this.wrote?.(ok);
  }
  override onReadDone(ok: boolean, m: Uint8Array | undefined): void {
    this.got?.(ok ? m! : null);
  }
  override onDone(s: Status): void {
    this.ended(s);
  }
}

/** largePayload is the large_split message: 131073 bytes, byte i = (i*7+3) mod 251. */
export function largePayload(): Uint8Array {
  const out = new Uint8Array(131073);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + 3) % 251;
  return out;
}

/** DRPC_SCENARIOS are the drpc client scenarios of the interop contract that run in both modes. */
export const DRPC_SCENARIOS: Record<string, DrpcScenario> = {
  unary_echo: onOne((c) => echo(c, 'hello drpc')),
  unary_empty: onOne(async (c) => eq((await c.unary(M.Echo, new Uint8Array(0))).byteLength, 0, 'empty reply length')),
  unary_metadata: onOne(async (c) => {
    const metadata = new Metadata({ authorization: 'Bearer t0k3n', 'x-trace': 'abc123' });
    eq(text(await c.unary(M.MetaEcho, enc.encode('meta?'), { metadata })), 'authorization=Bearer t0k3n\nx-trace=abc123\n', 'metadata');
  }),
  error_with_code: onOne((c) => expectCode(c.unary(M.Fail, enc.encode('42:something went wrong')), 42, 'something went wrong')),
  // Same text from every server; reactor-rpc sends code 12 (UNIMPLEMENTED), Go's upstream server code 0 (read as UNKNOWN).
  unknown_rpc: onOne((c) =>
    expectCode(c.unary(rawMethod(`/${DrpcPeerService.name}/DoesNotExist`, 'unary'), enc.encode('x')), [Code.UNIMPLEMENTED, Code.UNKNOWN], 'protocol error: unknown rpc: "/drpcpeer.Peer/DoesNotExist"'),
  ),
  server_stream: onOne(async (c) => eq(await collect(c.serverStream(M.ServerStream, enc.encode('tick'))), ['tick-1', 'tick-2', 'tick-3'], 'messages')),
  client_stream: onOne(async (c) => eq(text(await c.clientStream(M.ClientStream, items('alpha', '', 'gamma'))), 'alpha,,gamma', 'joined')),
  bidi: onOne(async (c) => eq(await collect(c.bidi(M.Bidi, items('ping-1', 'ping-2', 'ping-3'))), ['ping-1', 'ping-2', 'ping-3'], 'echoes')),
  two_calls_same_conn: onOne(async (c, t) => {
    await echo(c, 'first');
    await echo(c, 'second');
    eq(t.lastStreamId, 2, 'stream ids used on the connection');
  }),
  cancel_soft_then_reuse: onOne(async (c, t) => {
    await tickTwiceThenCancel(c);
    await echo(c, 'after-cancel');
    eq([t.lastStreamId, t.closed], [2, false], 'stream id and closed after the reuse');
  }, { cancel: 'soft' }),
  cancel_hard: onOne(async (c, t, env) => {
    await tickTwiceThenCancel(c);
    // A hard cancel closes an upstream connection; a multiplexed one never closes for a cancel.
    eq(t.closed, !env.multiplex, 'connection closed by the cancel');
    if (env.multiplex) await echo(c, 'after-cancel');
  }, { cancel: 'hard' }),
  large_split: onOne(async (c) => {
    const big = largePayload();
    const reply = await c.unary(M.Echo, big);
    eq(reply.byteLength, big.byteLength, 'reply size');
    for (let i = 0; i < big.length; i++) if (reply[i] !== big[i]) throw new Error(`reply byte ${i} differs`);
  }),
};

/** DRPC_MUX_SCENARIOS need both sides to multiplex (`--drpc-mux`). */
export const DRPC_MUX_SCENARIOS: Record<string, DrpcScenario> = {
  mux_interleaved_bidi: onOne(async (c, t) => {
    // A deadline: an upstream server silently drops the first stream when the second is invoked, so without one this would wait forever.
    const deadline = Date.now() + 5000;
    const open = () => {
      const s = new StepBidi();
      c.bindBidi(M.Bidi, s, { deadline });
      s.startCall();
      return s;
    };
    const a = open();
    const b = open();
    for (const [s, x] of [[a, 'A-1'], [b, 'B-1'], [a, 'A-2'], [b, 'B-2']] as const) {
      await s.write(enc.encode(x));
      eq(text(await s.read()), x, `echo of ${x}`);
    }
    b.startWritesDone();
    a.startWritesDone();
    eq([text(await b.read()), text(await a.read())], [null, null], 'ends of stream');
    eq([(await a.status).code, (await b.status).code], [Code.OK, Code.OK], 'statuses');
    eq(t.lastStreamId, 2, 'both streams on one connection');
  }),
  mux_unary_during_stream: onOne(async (c, t) => {
    const ac = new AbortController();
    const ticker = c.serverStream(M.Ticker, enc.encode('t'), { signal: ac.signal })[Symbol.asyncIterator]();
    eq(text((await ticker.next()).value), 't-1', 'first tick');
    await echo(c, 'while-streaming');
    eq(text((await ticker.next()).value), 't-2', 'tick after the unary call');
    ac.abort();
    await expectCode(ticker.next(), Code.CANCELLED);
    eq([t.lastStreamId, t.closed], [2, false], 'stream ids and closed');
  }),
};
