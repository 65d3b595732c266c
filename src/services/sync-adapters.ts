import { ServerContext } from '../../reactors/server-context.js';
import { ServerBidiReactor, ServerReadReactor, ServerUnaryReactor, ServerWriteReactor } from '../../reactors/server-reactors.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { OK_STATUS, type Status } from '../status/status.js';
import { PullStream } from './async-queue.js';
import type { CallbackBidi, CallbackClientStream, CallbackServerStream, SyncBidi, SyncClientStream, SyncServerStream } from './handlers.js';

/** errorStatus is the status a sync-style handler's error finishes its call with (an RpcError's own, else UNKNOWN). */
export function errorStatus(e: unknown): Status {
  return RpcError.from(e, Code.UNKNOWN).toStatus();
}

/** IterableWriter drives an (async) iterable of responses: one write at a time, each after the previous onWriteDone. */
class IterableWriter<Res> {
  private it: AsyncIterator<Res> | Iterator<Res> | undefined;
  private ended = false;
  private readonly finish: (s: Status) => void;
  constructor(
    private readonly source: () => AsyncIterable<Res> | Iterable<Res>,
    private readonly write: (r: Res) => void,
    finish: (s: Status) => void,
  ) {
    this.finish = (s) => {
      if (this.ended) return;
      this.ended = true;
      finish(s);
    };
  }
  start(): void {
    try {
      const src = this.source();
      this.it = Symbol.asyncIterator in src ? (src as AsyncIterable<Res>)[Symbol.asyncIterator]() : (src as Iterable<Res>)[Symbol.iterator]();
    } catch (e) {
      return this.finish(errorStatus(e));
    }
    this.next();
  }
  next(): void {
    if (this.ended) return;
    Promise.resolve()
      .then(() => this.it!.next())
      .then(
        (r) => (r.done ? this.finish(OK_STATUS) : this.ended ? undefined : this.write(r.value)),
        (e: unknown) => this.finish(errorStatus(e)),
      );
  }
  /** stop ends the iteration (cancel, failed write) and finishes the call, which gRPC requires even then. */
  stop(): void {
    if (this.ended) return;
    this.finish(new RpcError(Code.CANCELLED, 'call cancelled').toStatus());
    void Promise.resolve(this.it?.return?.()).catch(() => undefined);
  }
}

class SyncWriteReactor<Req, Res> extends ServerWriteReactor<Res> {
  private readonly w: IterableWriter<Res>;
  constructor(fn: SyncServerStream<Req, Res>, request: Req, ctx: ServerContext) {
    super();
    this.w = new IterableWriter(() => fn(request, ctx), (r) => this.startWrite(r), (s) => this.finish(s));
    this.w.start();
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.w.next();
    else this.w.stop();
  }
  override onCancel(): void {
    this.w.stop();
  }
}

/** serverStreamFromSync runs an (async) generator handler on a ServerWriteReactor. */
export function serverStreamFromSync<Req, Res>(fn: SyncServerStream<Req, Res>): CallbackServerStream<Req, Res> {
  return (ctx, request) => new SyncWriteReactor(fn, request, ctx);
}

class SyncReadReactor<Req, Res> extends ServerReadReactor<Req, Res> {
  private readonly input = new PullStream<Req>(() => this.startRead());
  constructor(fn: SyncClientStream<Req, Res>, ctx: ServerContext) {
    super();
    Promise.resolve()
      .then(() => fn(this.input, ctx))
      .then(
        (res) => this.finish(OK_STATUS, res),
        (e: unknown) => this.finish(errorStatus(e)),
      );
  }
  override onReadDone(ok: boolean, request: Req | undefined): void {
    if (ok) this.input.push(request as Req);
    else this.input.end();
  }
  override onCancel(): void {
    this.input.fail(new RpcError(Code.CANCELLED, 'call cancelled'));
  }
}

/** clientStreamFromSync runs a handler of an async iterable on a ServerReadReactor. */
export function clientStreamFromSync<Req, Res>(fn: SyncClientStream<Req, Res>): CallbackClientStream<Req, Res> {
  return (ctx) => new SyncReadReactor(fn, ctx);
}

class SyncBidiReactor<Req, Res> extends ServerBidiReactor<Req, Res> {
  private readonly input = new PullStream<Req>(() => this.startRead());
  private readonly w: IterableWriter<Res>;
  constructor(fn: SyncBidi<Req, Res>, ctx: ServerContext) {
    super();
    this.w = new IterableWriter(() => fn(this.input, ctx), (r) => this.startWrite(r), (s) => this.finish(s));
    this.w.start();
  }
  override onReadDone(ok: boolean, request: Req | undefined): void {
    if (ok) this.input.push(request as Req);
    else this.input.end();
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.w.next();
    else this.w.stop();
  }
  override onCancel(): void {
    this.input.fail(new RpcError(Code.CANCELLED, 'call cancelled'));
    this.w.stop();
  }
}

/** bidiFromSync runs an async-iterable-to-async-iterable handler on a ServerBidiReactor. */
export function bidiFromSync<Req, Res>(fn: SyncBidi<Req, Res>): CallbackBidi<Req, Res> {
  return (ctx) => new SyncBidiReactor(fn, ctx);
}

/** isServerReactor tells whether a value is one of the server reactor classes. */
export function isServerReactor(x: unknown): boolean {
  return x instanceof ServerUnaryReactor || x instanceof ServerReadReactor || x instanceof ServerWriteReactor || x instanceof ServerBidiReactor;
}
