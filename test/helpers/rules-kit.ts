// Shared pieces of the reactor-rule tests: a server over the interop services
// whose methods a test can replace with its own reactors, a listener that
// reports when the server side of a connection closed, a flag that catches
// reactions run inside the user's own operation call, a collecting logger and
// a scheduler whose turns can be held back.
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from '../../src/server/server.js';
import { Client, type ClientOptions } from '../../src/client/client.js';
import { callback, type CallbackBidi, type CallbackClientStream, type CallbackServerStream, type CallbackUnary } from '../../src/services/handlers.js';
import { EchoService, StreamingService } from '../../src/cli/interop/ttrpc-definitions.js';
import { test } from 'uvu';
import { ClientBidiReactor } from '../../reactors/client-reactors.js';
import { ServerBidiReactor, ServerReadReactor, ServerWriteReactor } from '../../reactors/server-reactors.js';
import { ReactorMisuseError } from '../../reactors/misuse.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import type { ReactionInfo, SchedulerLogger } from '../../src/scheduler/logger.js';
import { Code } from '../../src/status/code.js';
import { RpcError } from '../../src/status/rpc-error.js';
import { OK_STATUS, type Status, status } from '../../src/status/status.js';
import type { Conn, Listener } from '../../src/transport/conn.js';
import { listen } from '../../src/transport/dial.js';
import type { ttrpc } from '../../generated/interop.js';
import { TRANSPORTS, type TransportCase, dialTarget } from './transports.js';
import { p, txt } from './reactor-fixture.js';

export { p, txt };
/** Payload is the interop message. */
export type Payload = ttrpc.interop.v1.IPayload;
/** StreamRequest asks ServerStream for count messages. */
export type StreamRequest = ttrpc.interop.v1.IStreamRequest;

/** RULE_TRANSPORTS are the transports every rule test runs on: the in-memory pipe and a unix socket. */
export const RULE_TRANSPORTS: TransportCase[] = TRANSPORTS.filter((t) => t.name === 'pipe' || t.name === 'unix');

/** Deferred is a promise with its resolve function. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

/** deferred makes a Deferred. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** until polls a condition every few ms; rejects after ms. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Guard records reactions that run while the user is inside one of its own operation calls. */
export class Guard {
  private inside: string | undefined;
  /** violations lists `reaction inside operation` entries. */
  readonly violations: string[] = [];
  /** op runs a user operation with the flag set. */
  op(name: string, f: () => void): void {
    const outer = this.inside;
    this.inside = name;
    try {
      f();
    } finally {
      this.inside = outer;
    }
  }
  /** reaction is called first thing in every reaction. */
  reaction(name: string): void {
    if (this.inside !== undefined) this.violations.push(`${name} inside ${this.inside}`);
  }
}

/** CollectingLogger is a scheduler logger that keeps the reported errors. */
export class CollectingLogger implements SchedulerLogger {
  /** errors holds every reported reaction error. */
  readonly errors: Array<{ error: unknown; info: ReactionInfo }> = [];
  /** reactionError implements SchedulerLogger. */
  reactionError(error: unknown, info: ReactionInfo): void {
    this.errors.push({ error, info });
  }
  /** slowReaction implements SchedulerLogger (ignored). */
  slowReaction(): void {}
}

/** Gate is a scheduler whose turns wait while the gate is closed. */
export interface Gate {
  scheduler: Scheduler;
  open(): void;
}

/** gatedScheduler returns a scheduler that runs nothing until open() is called. */
export function gatedScheduler(): Gate {
  let held: Array<() => void> | undefined = [];
  const scheduler = new Scheduler({ defer: (run) => (held ? held.push(run) : setImmediate(run)) });
  return {
    scheduler,
    open() {
      const runs = held ?? [];
      held = undefined;
      for (const r of runs) setImmediate(r);
    },
  };
}

/** ObservedListener wraps a listener and counts server-side connection closes. */
export class ObservedListener implements Listener {
  /** closes counts connections whose server side saw the close. */
  closes = 0;
  /** accepted counts accepted connections. */
  accepted = 0;
  /** closed is true once close() resolved. */
  closed = false;
  constructor(private readonly inner: Listener) {}
  get address(): string {
    return this.inner.address;
  }
  onConnection(cb: (conn: Conn) => void): void {
    this.inner.onConnection((conn) => {
      this.accepted++;
      const start = conn.start.bind(conn);
      conn.start = (h) =>
        start({
          onData: (c) => h.onData(c),
          onDrain: () => h.onDrain?.(),
          onClose: (e) => {
            h.onClose(e);
            this.closes++;
          },
        });
      cb(conn);
    });
  }
  async close(): Promise<void> {
    await this.inner.close();
    this.closed = true;
  }
}

/** RigHandlers replace methods of the interop services with callback-style handlers. */
export interface RigHandlers {
  Echo?: CallbackUnary<Payload, Payload>;
  ServerStream?: CallbackServerStream<StreamRequest, Payload>;
  ClientStream?: CallbackClientStream<Payload, Payload>;
  BidiEcho?: CallbackBidi<Payload, Payload>;
}

/** RigOptions configure a rig. */
export interface RigOptions {
  serverScheduler?: Scheduler;
  client?: ClientOptions;
}

/** CountingWriter answers ServerStream: count messages `<data>-<i>`, then the requested status. */
export class CountingWriter extends ServerWriteReactor<Payload> {
  private i = 0;
  constructor(private readonly req: StreamRequest) {
    super();
    this.next();
  }
  private next(): void {
    if (this.i < (this.req.count ?? 0)) return this.startWrite(p(`${txt({ data: this.req.data })}-${++this.i}`));
    this.finish(this.req.failCode ? status(this.req.failCode, this.req.failMessage ?? '') : OK_STATUS);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.next();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
}

/** Rig is a server with one client connected over a transport case. */
export interface Rig {
  server: Server;
  client: Client;
  listener: ObservedListener;
  connect(options?: ClientOptions): Promise<Client>;
  stop(): Promise<void>;
}

/** rigServer builds the server of a rig. */
export function rigServer(h: RigHandlers, scheduler?: Scheduler): Server {
  const server = new Server({ scheduler });
  server.addService(EchoService, {
    Echo: h.Echo ? callback(h.Echo) : async (r: Payload) => r,
    Fail: async (r) => {
      throw new RpcError(r.code ?? Code.UNKNOWN, r.message ?? '');
    },
    Metadata: async () => ({ entries: [] }),
    Sleep: async (req, ctx) => {
      try {
        await sleep(Number(req.millis ?? 0), undefined, { signal: ctx.signal });
      } catch {
        throw RpcError.from(ctx.signal.reason);
      }
      return p('slept');
    },
    Big: async () => p(''),
  });
  server.addService(StreamingService, {
    ServerStream: callback(h.ServerStream ?? ((_ctx, req) => new CountingWriter(req))),
    ClientStream: h.ClientStream
      ? callback(h.ClientStream)
      : async (reqs: AsyncIterable<Payload>) => {
          const parts: string[] = [];
          for await (const r of reqs) parts.push(txt(r));
          return p(parts.join(','));
        },
    BidiEcho: h.BidiEcho
      ? callback(h.BidiEcho)
      : async function* (reqs: AsyncIterable<Payload>) {
          for await (const r of reqs) yield r;
        },
  });
  return server;
}

/** rig starts a server with the given handlers on a fresh target of the transport and connects a client. */
export async function rig(tc: TransportCase, h: RigHandlers = {}, o: RigOptions = {}): Promise<Rig> {
  const server = rigServer(h, o.serverScheduler);
  const target = tc.target();
  const listener = new ObservedListener(await listen(target));
  const bound = await server.listen(listener);
  const connect = (options?: ClientOptions) => Client.connect(dialTarget(target, bound), options ?? o.client);
  const client = await connect();
  return {
    server,
    client,
    listener,
    connect,
    async stop() {
      await client.close();
      await server.shutdown(50);
    },
  };
}

/** misuse matches a ReactorMisuseError (and its message) in assert.throws. */
export const misuse = (re?: RegExp) => (e: unknown) => e instanceof ReactorMisuseError && (!re || re.test(e.message));

/** ruleTest registers a test named `<transport>: <name>` that fails after ms instead of hanging (a missing onDone is a failure, not a stuck run). */
export function ruleTest(tc: TransportCase, name: string, fn: () => Promise<void>, ms = 15_000): void {
  test(`${tc.name}: ${name}`, async () => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms (an onDone or reply never came)`)), ms);
    });
    try {
      await Promise.race([fn(), limit]);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Silent reads and never answers; it finishes only when cancelled. */
export class Silent extends ServerBidiReactor<Payload, Payload> {
  constructor() {
    super();
    this.startRead();
  }
  override onReadDone(ok: boolean): void {
    if (ok) this.startRead();
  }
  override onCancel(): void {
    this.finish(status(Code.CANCELLED, 'gone'));
  }
}

/** Joiner reads every request and answers with them joined; done runs at its onDone. */
export class Joiner extends ServerReadReactor<Payload, Payload> {
  private parts: string[] = [];
  constructor(private readonly done?: () => void) {
    super();
    this.startRead();
  }
  override onReadDone(ok: boolean, m: Payload | undefined): void {
    if (!ok) return this.finish(OK_STATUS, p(this.parts.join(',')));
    this.parts.push(txt(m));
    this.startRead();
  }
  override onDone(): void {
    this.done?.();
  }
}

/** bidiCall runs a client BidiEcho call that writes `msgs` one by one (each after the previous reply), then half-closes unless told not to, and reads to the end. */
export async function bidiCall(client: Client, msgs: string[], o: { halfClose?: boolean } = {}): Promise<{ got: string[]; status: Status }> {
  const got: string[] = [];
  const fin = deferred<Status>();
  const queue = [...msgs];
  class B extends ClientBidiReactor<Payload, Payload> {
    private closed = false;
    override onWriteDone(ok: boolean) {
      if (ok) this.startRead();
    }
    override onReadDone(ok: boolean, m: Payload | undefined) {
      if (!ok) return;
      got.push(txt(m));
      this.next();
    }
    next() {
      const m = queue.shift();
      if (m !== undefined) return this.startWrite(p(m));
      if (o.halfClose !== false && !this.closed) this.startWritesDone();
      this.closed = true;
      this.startRead();
    }
    override onDone(s: Status) {
      fin.resolve(s);
    }
  }
  const b = new B();
  client.bindBidi(StreamingService.methods.BidiEcho, b);
  b.next();
  b.startCall();
  return { got, status: await fin.promise };
}
