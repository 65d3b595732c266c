import { Observable, type Subscription } from 'rxjs';
import { ClientBidiReactor, ClientReadReactor } from '../../reactors/client-reactors.js';
import type { MethodDescriptor } from '../call/method.js';
import type { Client, ClientCallOptions } from '../client/client.js';
import { RpcError } from '../status/rpc-error.js';
import type { Status } from '../status/status.js';
import { WriteQueue } from './write-queue.js';

type Obs<T> = { next(v: T): void; error(e: unknown): void; complete(): void };

function settle<T>(o: Obs<T>, s: Status, last?: T): void {
  if (s.code !== 0) return o.error(RpcError.fromStatus(s));
  if (last !== undefined) o.next(last);
  o.complete();
}

/** observeUnary makes a unary call when subscribed; unsubscribing cancels it. */
export function observeUnary<Req, Res>(client: Client, method: MethodDescriptor<Req, Res>, request: Req, options?: ClientCallOptions): Observable<Res> {
  return new Observable<Res>((o) => {
    const ac = new AbortController();
    client.unaryCallback(method, request, { ...options, signal: ac.signal }, (s, r) => settle(o, s, r));
    return () => ac.abort();
  });
}

/** observeServerStream starts a server-streaming call on subscribe, reads one message at a time, and cancels on unsubscribe. */
export function observeServerStream<Req, Res>(client: Client, method: MethodDescriptor<Req, Res>, request: Req, options?: ClientCallOptions): Observable<Res> {
  return new Observable<Res>((o) => {
    class R extends ClientReadReactor<Res> {
      override onReadDone(ok: boolean, r: Res | undefined): void {
        if (!ok) return;
        o.next(r as Res);
        this.startRead();
      }
      override onDone(s: Status): void {
        settle(o, s);
      }
    }
    const r = new R();
    client.bindRead(method, request, r, options);
    r.startRead();
    r.startCall();
    return () => r.tryCancel();
  });
}

/** ObservableWriter pumps an Observable into startWrite (one write at a time, none dropped) and reports to an observer. */
class ObservableWriter<Req, Res> extends ClientBidiReactor<Req, Res> {
  readonly q = new WriteQueue<Req>((x) => this.startWrite(x), () => this.startWritesDone(), (e) => this.abort(e));
  private sub: Subscription | undefined;
  private failure: unknown;
  constructor(
    private readonly o: Obs<Res>,
    private readonly streamed: boolean,
  ) {
    super();
  }
  feed(requests: Observable<Req>): () => void {
    this.sub = requests.subscribe({ next: (x) => this.q.push(x), error: (e: unknown) => this.abort(e), complete: () => this.q.complete() });
    return () => {
      this.sub?.unsubscribe();
      this.tryCancel();
    };
  }
  abort(e: unknown): void {
    this.failure = e;
    this.tryCancel();
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.q.written();
    else this.q.stop();
  }
  override onReadDone(ok: boolean, r: Res | undefined): void {
    if (!ok) return;
    this.o.next(r as Res);
    this.startRead();
  }
  override onDone(s: Status, res: Res | undefined): void {
    this.sub?.unsubscribe();
    if (this.failure !== undefined) this.o.error(this.failure);
    else settle(this.o, s, this.streamed ? undefined : res);
  }
}

/** observeClientStream sends every value of `requests` (one write at a time, none dropped) and emits the single response. */
export function observeClientStream<Req, Res>(client: Client, method: MethodDescriptor<Req, Res>, requests: Observable<Req>, options?: ClientCallOptions): Observable<Res> {
  return new Observable<Res>((o) => {
    const r = new ObservableWriter<Req, Res>(o, false);
    client.bindWrite(method, r, options);
    r.startCall();
    return r.feed(requests);
  });
}

/** observeBidi writes `requests` (one at a time, none dropped) and emits every response; unsubscribing cancels. */
export function observeBidi<Req, Res>(client: Client, method: MethodDescriptor<Req, Res>, requests: Observable<Req>, options?: ClientCallOptions): Observable<Res> {
  return new Observable<Res>((o) => {
    const r = new ObservableWriter<Req, Res>(o, true);
    client.bindBidi(method, r, options);
    r.startRead();
    r.startCall();
    return r.feed(requests);
  });
}
