import type { CallListener, ServerCall } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import { type MessageInterceptor, type MessageRequest, type MessageResponse, LazyAbort, runMessageInterceptors } from '../call/message-interceptors.js';
import { MessageQueue } from '../call/message-queue.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { OK_STATUS, type Status, status } from '../status/status.js';
import { HandlerCall } from './handler-call.js';

/** thrown is the status an error thrown in the chain ends the call with (an RpcError's own, else UNKNOWN, as a promise-style handler's). */
function thrown(e: unknown): Status {
  return RpcError.from(e, Code.UNKNOWN).toStatus();
}

/**
 * InterceptedServerCall runs a server call through message interceptors: it
 * listens to the real call, decodes the request(s) into the typed request,
 * runs the chain (whose end hands the handler a HandlerCall, a ServerCall
 * view of the typed request) and writes what the chain returns: the
 * response(s), then the final status. `ended` runs once the real call's
 * status is out. @internal
 */
export class InterceptedServerCall implements CallListener {
  private requests: MessageQueue<unknown> | undefined;
  private handlerCall: HandlerCall | undefined;
  private final: Status | undefined;
  private finished = false;
  private writeWaiter: ((ok: boolean) => void) | undefined;
  private readonly abort = new LazyAbort();

  /** constructor starts the real call: a unary request is read first, a stream's chain starts at once. */
  constructor(
    private readonly call: ServerCall,
    private readonly descriptor: MethodDescriptor<unknown, unknown>,
    private readonly interceptors: readonly MessageInterceptor[],
    private readonly handle: (call: ServerCall) => void,
    private readonly ended: () => void,
  ) {
    call.start(this);
    if (call.kind === 'unary') {
      call.request(1);
      return;
    }
    this.requests = new MessageQueue<unknown>(() => this.call.request(1));
    this.run(this.requests);
  }

  /** onMessage implements CallListener: the unary request, or the next streamed one. */
  onMessage(m: Uint8Array | null): void {
    const q = this.requests;
    if (q === undefined) {
      if (this.handlerCall || this.finished) return;
      if (m === null) return this.finish(status(Code.INTERNAL, 'missing request message'));
      const value = this.decode(m);
      if (value !== FAILED) this.run(value);
      return;
    }
    if (m === null) return q.end();
    const value = this.decode(m);
    if (value !== FAILED) q.push(value);
  }

  /** onWritable implements CallListener: paces the response writes. */
  onWritable(ok: boolean): void {
    const w = this.writeWaiter;
    this.writeWaiter = undefined;
    w?.(ok);
  }

  /** onStatus implements CallListener: the call is over; the handler's view learns it. */
  onStatus(s: Status): void {
    this.final = s;
    this.finished = true;
    this.onWritable(false);
    this.requests?.fail(RpcError.fromStatus(s.code === Code.OK ? status(Code.CANCELLED, 'call ended') : s));
    this.handlerCall?.ended(s);
    this.ended();
  }

  /** onCancelled implements CallListener: aborts the chain's signal and tells the handler. */
  onCancelled(): void {
    const reason = new RpcError(Code.CANCELLED, 'call cancelled');
    this.abort.abort(reason);
    this.requests?.fail(reason);
    this.handlerCall?.cancelledByPeer();
  }

  private decode(m: Uint8Array): unknown {
    try {
      return this.descriptor.deserializeRequest(m);
    } catch (e) {
      this.finish(status(Code.INTERNAL, `failed to parse request: ${(e as Error).message}`));
      return FAILED;
    }
  }

  private run(body: unknown): void {
    const c = this.call;
    const call = { side: 'server' as const, method: c.method, kind: c.kind, descriptor: this.descriptor, metadata: c.metadata, deadline: c.deadline, peer: c.peer };
    const result = runMessageInterceptors(this.interceptors, call, this.abort, body, (r) => this.invokeHandler(r));
    result.then(
      (res) => (res.stream ? this.writeAll(res.messages) : this.reply(res.message)),
      (e: unknown) => this.finish(thrown(e)),
    );
  }

  /** invokeHandler is the end of the chain: the handler runs on a ServerCall view of the (possibly changed) request. */
  private invokeHandler(req: MessageRequest): Promise<MessageResponse> {
    if (this.final) return Promise.reject(RpcError.fromStatus(this.final.code === Code.OK ? status(Code.CANCELLED, 'call ended') : this.final));
    if (this.abort.aborted) return Promise.reject(RpcError.from(this.abort.reason, Code.CANCELLED));
    const h = new HandlerCall(this.call, req);
    this.handlerCall = h;
    this.handle(h);
    return h.response;
  }

  private reply(message: unknown): void {
    if (this.finished) return;
    if (message !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = this.descriptor.serializeResponse(message);
      } catch (e) {
        return this.finish(status(Code.INTERNAL, `failed to serialize response: ${(e as Error).message}`));
      }
      this.call.send(bytes, { last: true });
    }
    this.finish(OK_STATUS);
  }

  private async writeAll(messages: AsyncIterable<unknown>): Promise<void> {
    const it = messages[Symbol.asyncIterator]();
    try {
      for (;;) {
        const r = await it.next();
        if (this.finished) break;
        if (r.done) return this.finish(OK_STATUS);
        let bytes: Uint8Array;
        try {
          bytes = this.descriptor.serializeResponse(r.value);
        } catch (e) {
          this.finish(status(Code.INTERNAL, `failed to serialize response: ${(e as Error).message}`));
          break;
        }
        const ack = new Promise<boolean>((resolve) => (this.writeWaiter = resolve));
        this.call.send(bytes);
        if (!(await ack)) break;
      }
    } catch (e) {
      return this.finish(thrown(e));
    }
    void Promise.resolve(it.return?.()).catch(() => undefined);
  }

  private finish(s: Status): void {
    if (this.finished) return;
    this.finished = true;
    this.call.finish(s);
  }
}

const FAILED: unique symbol = Symbol('failed');
