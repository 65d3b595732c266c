import { Observable, Subject, type Subscription } from 'rxjs';
import type { ServerContext } from '../../reactors/server-context.js';
import { ServerBidiReactor, ServerReadReactor, ServerWriteReactor } from '../../reactors/server-reactors.js';
import { type CallbackMethod, type CallbackBidi, type CallbackClientStream, type CallbackServerStream, type CallbackUnary, callback } from '../services/handlers.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { OK_STATUS, type Status } from '../status/status.js';
import { WriteQueue } from './write-queue.js';

const statusOf = (e: unknown): Status => RpcError.from(e).toStatus();

/** rxUnary serves a unary method with a function returning an Observable of one response. */
export function rxUnary<Req, Res>(fn: (request: Req, ctx: ServerContext) => Observable<Res>): CallbackMethod<CallbackUnary<Req, Res>> {
  return callback((ctx: ServerContext, request: Req) => {
    const r = ctx.defaultReactor<Res>();
    let last: { v: Res } | undefined;
    const sub = fn(request, ctx).subscribe({
      next: (v) => (last = { v }),
      error: (e: unknown) => r.finish(statusOf(e)),
      complete: () => (last ? r.finish(OK_STATUS, last.v) : r.finish(new RpcError(Code.INTERNAL, 'the Observable completed without a response').toStatus())),
    });
    ctx.signal.addEventListener('abort', () => sub.unsubscribe(), { once: true });
    return r;
  });
}

/** RequestSource turns reads into an Observable: subscribing starts reading, one message at a time. */
class RequestSource<Req> {
  readonly subject = new Subject<Req>();
  constructor(private readonly read: () => void) {}
  readonly observable = new Observable<Req>((o) => {
    const sub = this.subject.subscribe(o);
    this.read();
    return () => sub.unsubscribe();
  });
  onRead(ok: boolean, req: Req | undefined): void {
    if (!ok) return this.subject.complete();
    this.subject.next(req as Req);
    this.read();
  }
}

/** rxServerStream serves a server-streaming method with an Observable of responses (written one at a time, never dropped). */
export function rxServerStream<Req, Res>(fn: (request: Req, ctx: ServerContext) => Observable<Res>): CallbackMethod<CallbackServerStream<Req, Res>> {
  return callback((ctx: ServerContext, request: Req) => {
    class W extends ServerWriteReactor<Res> {
      private ended = false;
      private readonly q = new WriteQueue<Res>((x) => this.startWrite(x), () => this.end(OK_STATUS), (e) => this.end(e.toStatus()));
      private readonly sub: Subscription = fn(request, ctx).subscribe({ next: (v) => this.q.push(v), error: (e: unknown) => this.end(statusOf(e)), complete: () => this.q.complete() });
      end(s: Status): void {
        if (this.ended) return;
        this.ended = true;
        this.q.stop();
        this.sub?.unsubscribe();
        this.finish(s);
      }
      override onWriteDone(ok: boolean): void {
        if (ok) this.q.written();
        else this.end(new RpcError(Code.CANCELLED, 'call cancelled').toStatus());
      }
      override onCancel(): void {
        this.end(new RpcError(Code.CANCELLED, 'call cancelled').toStatus());
      }
    }
    return new W();
  });
}

/** rxClientStream serves a client-streaming method: requests arrive as an Observable, the returned Observable's last value is the response. */
export function rxClientStream<Req, Res>(fn: (requests: Observable<Req>, ctx: ServerContext) => Observable<Res>): CallbackMethod<CallbackClientStream<Req, Res>> {
  return callback((ctx: ServerContext) => {
    class R extends ServerReadReactor<Req, Res> {
      private readonly src = new RequestSource<Req>(() => this.startRead());
      private ended = false;
      private last: { v: Res } | undefined;
      private readonly sub: Subscription = fn(this.src.observable, ctx).subscribe({
        next: (v) => (this.last = { v }),
        error: (e: unknown) => this.end(statusOf(e)),
        complete: () => this.end(this.last ? OK_STATUS : new RpcError(Code.INTERNAL, 'the Observable completed without a response').toStatus(), this.last?.v),
      });
      end(s: Status, res?: Res): void {
        if (this.ended) return;
        this.ended = true;
        this.sub?.unsubscribe();
        this.finish(s, res);
      }
      override onReadDone(ok: boolean, req: Req | undefined): void {
        this.src.onRead(ok, req);
      }
      override onCancel(): void {
        this.end(new RpcError(Code.CANCELLED, 'call cancelled').toStatus());
      }
    }
    return new R();
  });
}

/** rxBidi serves a bidirectional method from an Observable of requests to an Observable of responses. */
export function rxBidi<Req, Res>(fn: (requests: Observable<Req>, ctx: ServerContext) => Observable<Res>): CallbackMethod<CallbackBidi<Req, Res>> {
  return callback((ctx: ServerContext) => {
    class B extends ServerBidiReactor<Req, Res> {
      private readonly src = new RequestSource<Req>(() => this.startRead());
      private ended = false;
      private readonly q = new WriteQueue<Res>((x) => this.startWrite(x), () => this.end(OK_STATUS), (e) => this.end(e.toStatus()));
      private readonly sub: Subscription = fn(this.src.observable, ctx).subscribe({ next: (v) => this.q.push(v), error: (e: unknown) => this.end(statusOf(e)), complete: () => this.q.complete() });
      end(s: Status): void {
        if (this.ended) return;
        this.ended = true;
        this.q.stop();
        this.sub?.unsubscribe();
        this.finish(s);
      }
      override onReadDone(ok: boolean, req: Req | undefined): void {
        this.src.onRead(ok, req);
      }
      override onWriteDone(ok: boolean): void {
        if (ok) this.q.written();
        else this.end(new RpcError(Code.CANCELLED, 'call cancelled').toStatus());
      }
      override onCancel(): void {
        this.end(new RpcError(Code.CANCELLED, 'call cancelled').toStatus());
      }
    }
    return new B();
  });
}
