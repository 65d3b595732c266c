import { type CallListener, type ClientCall, SEND_LAST } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { Code } from '../status/code.js';
import type { RpcError } from '../status/rpc-error.js';
import { abortStatus } from '../status/abort-status.js';
import { type Status, status } from '../status/status.js';
import { callError } from './call-failure.js';

/** UnaryEnd is told when a unary call settled (the client's open-call count). @internal */
export type UnaryEnd = () => void;

/**
 * UnaryClientCall drives one unary call straight on the call layer for the
 * promise and callback shortcuts: it sends the request, reads the response
 * and settles once the status is in. With its subclass it is the whole
 * per-call state of `Client.unary()` (one object besides the promise), where
 * a bound reactor needs a binding, a queue and a reaction per event. Status
 * texts match the reactor path.
 */
export abstract class UnaryClientCall<Req, Res> implements CallListener {
  /** detach, when set, runs first at the end (removes an abort listener). */
  detach: (() => void) | undefined = undefined;
  /** peer is the connection's address, named by a failed call's error. */
  peer: string | undefined = undefined;
  private abortedWith: Status | undefined = undefined;
  private abortReason: unknown = undefined;
  private call: ClientCall | undefined;
  private method: MethodDescriptor<Req, Res> | undefined;
  private response: Res | undefined = undefined;
  private failure: Status | undefined = undefined;
  private pending: Status | undefined = undefined;

  /** constructor stores where the end is reported. */
  constructor(private readonly ended: UnaryEnd) {}

  /** start starts the call: request sent (close-send included), one response asked for; with `refused` the call is cancelled with that status instead. */
  start(call: ClientCall, method: MethodDescriptor<Req, Res>, request: Req, refused?: Status): void {
    this.call = call;
    this.method = method;
    call.start(this);
    if (refused !== undefined) {
      call.cancel(refused);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = method.serializeRequest(request);
    } catch (e) {
      call.cancel(status(Code.INTERNAL, `failed to serialize request: ${(e as Error).message}`));
      return;
    }
    call.send(bytes, SEND_LAST);
    call.request(1);
  }

  /** onMessage implements CallListener: decodes the response. */
  onMessage(message: Uint8Array | null): void {
    if (message !== null && this.failure === undefined) {
      try {
        this.response = this.method!.deserializeResponse(message);
      } catch (e) {
        this.failure = status(Code.INTERNAL, `failed to parse response: ${(e as Error).message}`);
        this.call!.cancel(this.failure);
      }
    }
    const s = this.pending;
    if (s !== undefined && this.call!.unread === 0) {
      this.pending = undefined;
      this.end(s);
    }
  }

  /** onWritable implements CallListener (the request's acknowledgement needs no action). */
  onWritable(): void {}

  /** onStatus implements CallListener: settles, after a response sent before the status was read. */
  onStatus(s: Status): void {
    if (s.code === Code.OK && this.call!.unread > 0) this.pending = s;
    else this.end(s);
  }

  /** aborted records the reason of the call's aborted signal and returns the status to cancel the call with. */
  aborted(reason: unknown, started = true): Status {
    this.abortedWith = abortStatus(reason, started);
    this.abortReason = reason;
    return this.abortedWith;
  }

  /** error builds the RpcError for a non-OK final status (method, peer, and the abort reason as cause). */
  protected error(s: Status): RpcError {
    return callError(s, this.method!.path, this.peer, this.abortedWith, this.abortReason);
  }

  /** settle hands over the final status and, for OK, the response. */
  protected abstract settle(s: Status, response: Res | undefined, ended: UnaryEnd): void;

  private end(s: Status): void {
    const final = this.failure ?? s;
    const response = this.response;
    // The call object may outlive the call (its request's write completion holds it): it keeps no response.
    this.response = undefined;
    this.detach?.();
    this.settle(final, final.code === Code.OK ? response : undefined, this.ended);
  }
}

/** UnaryPromiseCall settles `Client.unary()`'s promise. @internal */
export class UnaryPromiseCall<Req, Res> extends UnaryClientCall<Req, Res> {
  /** promise is what unary() returns. */
  readonly promise: Promise<Res>;
  private resolve!: (r: Res) => void;
  private reject!: (e: Error) => void;

  /** constructor creates the pending promise. */
  constructor(ended: UnaryEnd) {
    super(ended);
    this.promise = new Promise<Res>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** settle resolves or rejects (with RpcError). */
  protected settle(s: Status, response: Res | undefined, ended: UnaryEnd): void {
    ended();
    if (s.code === Code.OK) this.resolve(response as Res);
    else this.reject(this.error(s));
  }
}

/** UnaryCallbackCall runs the unary shortcut's callback as the call's one reaction on the scheduler. @internal */
export class UnaryCallbackCall<Req, Res> extends UnaryClientCall<Req, Res> {
  /** constructor stores the callback and where it runs. */
  constructor(
    ended: UnaryEnd,
    private readonly scheduler: Scheduler,
    private readonly cb: (status: Status, response: Res | undefined) => void,
  ) {
    super(ended);
  }

  /** settle queues the callback (never run inside the code that started the call). */
  protected settle(s: Status, response: Res | undefined, ended: UnaryEnd): void {
    this.scheduler.schedule(() => {
      try {
        this.cb(s, response);
      } finally {
        ended();
      }
    }, 'onDone');
  }
}
