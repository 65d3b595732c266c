import type { CallListener, ClientCall, CallOptions } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import type { LazyAbort, MessageRequest, MessageResponse, StreamRequest } from '../call/message-interceptors.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';

/** ChainEnd is what the end of a client chain needs from its bridge. @internal */
export interface ChainEnd {
  /** openInner opens the real call with the chain's metadata and deadline. */
  openInner(options: CallOptions): ClientCall;
  /** abort is the chain's cancellation. */
  readonly abort: LazyAbort;
}

type Waiter<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };

/**
 * InnerCall listens to the real call at the end of a client chain and turns
 * its events into the typed response: the unary result, or an async
 * iterator of responses that ends with the status (remote responses sent
 * before a failure are yielded first, as on a plain call).
 */
class InnerCall implements CallListener, AsyncIterator<unknown> {
  private final: Status | undefined;
  private waiter: Waiter<IteratorResult<unknown>> | undefined;
  private unary: Waiter<MessageResponse> | undefined;
  private response: unknown = undefined;
  private gotResponse = false;
  private writeWaiter: ((ok: boolean) => void) | undefined;

  constructor(
    readonly call: ClientCall,
    private readonly desc: MethodDescriptor<unknown, unknown>,
    private readonly peer: string | undefined,
  ) {}

  /** result waits for a unary call's response. */
  result(): Promise<MessageResponse> {
    return new Promise((resolve, reject) => (this.unary = { resolve, reject }));
  }

  /** writable resolves with the next write acknowledgement. */
  writable(): Promise<boolean> {
    if (this.final) return Promise.resolve(false);
    return new Promise((resolve) => (this.writeWaiter = resolve));
  }

  get ended(): boolean {
    return this.final !== undefined;
  }

  onMessage(m: Uint8Array | null): void {
    if (this.unary) {
      if (m !== null && !this.gotResponse) {
        this.gotResponse = true;
        this.response = this.decode(m);
      }
      if (this.final) this.settleUnary(this.final);
      return;
    }
    const w = this.waiter;
    if (w === undefined) return;
    if (m === null) {
      if (this.final) this.end(this.final);
      return;
    }
    this.waiter = undefined;
    const value = this.decode(m);
    if (value !== FAILED) w.resolve({ value, done: false });
  }

  onWritable(ok: boolean): void {
    const w = this.writeWaiter;
    this.writeWaiter = undefined;
    w?.(ok);
  }

  onStatus(s: Status): void {
    this.final = s;
    this.onWritable(false);
    if (this.unary) {
      if (s.code !== Code.OK || this.call.unread === 0 || this.gotResponse) this.settleUnary(s);
    } else if (this.waiter && (this.call.unread === 0 || s.code !== Code.OK)) this.end(s);
  }

  /** next implements AsyncIterator over the responses. */
  next(): Promise<IteratorResult<unknown>> {
    if (this.final && this.call.unread === 0) return new Promise((resolve, reject) => ((this.waiter = { resolve, reject }), this.end(this.final!)));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.call.request(1);
    });
  }

  /** return implements AsyncIterator: a chain that stops reading cancels the call. */
  return(): Promise<IteratorResult<unknown>> {
    if (!this.final) this.call.cancel(status(Code.CANCELLED, 'response stream closed by an interceptor'));
    return Promise.resolve({ value: undefined, done: true });
  }

  private end(s: Status): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (s.code === Code.OK) w?.resolve({ value: undefined, done: true });
    else w?.reject(this.error(s));
  }

  private settleUnary(s: Status): void {
    const u = this.unary!;
    if (s.code === Code.OK) u.resolve({ stream: false, message: this.response });
    else u.reject(this.error(s));
  }

  private error(s: Status): RpcError {
    return RpcError.fromStatus(s, undefined, { method: this.desc.path, peer: this.peer });
  }

  private decode(m: Uint8Array): unknown {
    try {
      return this.desc.deserializeResponse(m);
    } catch (e) {
      this.call.cancel(status(Code.INTERNAL, `failed to parse response: ${(e as Error).message}`));
      return FAILED;
    }
  }
}

const FAILED: unique symbol = Symbol('failed');

/** encodeRequest serializes a request or cancels the call with INTERNAL (undefined then). */
function encodeRequest(call: ClientCall, desc: MethodDescriptor<unknown, unknown>, value: unknown): Uint8Array | undefined {
  try {
    return desc.serializeRequest(value);
  } catch (e) {
    call.cancel(status(Code.INTERNAL, `failed to serialize request: ${(e as Error).message}`));
    return undefined;
  }
}

/** pumpRequests sends a stream request's messages, one write in flight at a time, then half-closes. */
async function pumpRequests(inner: InnerCall, req: StreamRequest): Promise<void> {
  const { call } = inner;
  const it = req.messages[Symbol.asyncIterator]();
  try {
    if (req.kind === 'server_stream') {
      const r = await it.next();
      if (inner.ended) return;
      if (r.done) return call.cancel(status(Code.INTERNAL, 'missing request message'));
      const bytes = encodeRequest(call, req.descriptor, r.value);
      if (bytes !== undefined) call.send(bytes, { last: true });
      return;
    }
    for (;;) {
      const r = await it.next();
      if (inner.ended) return;
      if (r.done) return call.closeSend();
      const bytes = encodeRequest(call, req.descriptor, r.value);
      if (bytes === undefined) return;
      call.send(bytes);
      if (!(await inner.writable())) return;
    }
  } catch (e) {
    if (!inner.ended) call.cancel(RpcError.from(e, Code.UNKNOWN).toStatus());
  }
}

/** innermostClient is the end of a client chain: it opens the real call with the request's metadata and deadline and runs it. @internal */
export function innermostClient(req: MessageRequest, end: ChainEnd): Promise<MessageResponse> {
  if (end.abort.aborted) return Promise.reject(RpcError.from(end.abort.reason, Code.CANCELLED));
  const call = end.openInner({ metadata: req.metadata, deadline: req.deadline });
  const inner = new InnerCall(call, req.descriptor, req.peer);
  call.start(inner);
  if (!req.stream) {
    const result = inner.result();
    const bytes = encodeRequest(call, req.descriptor, req.message);
    if (bytes !== undefined) {
      call.send(bytes, { last: true });
      call.request(1);
    }
    return result;
  }
  void pumpRequests(inner, req);
  return Promise.resolve({ stream: true, messages: { [Symbol.asyncIterator]: () => inner } });
}
