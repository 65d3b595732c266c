import type { CallListener, ClientCall } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';

/** UnaryOutcome receives a unary call's end: status, and the response on success. @internal */
export interface UnaryOutcome<Res> {
  /** settle runs once with the final status and, for OK, the response. */
  settle(status: Status, response: Res | undefined): void;
}

/**
 * UnaryClientCall drives one unary call straight on the call layer for the
 * promise and callback shortcuts: it sends the request, reads the response
 * and hands both ends to its outcome once the status is in. It is the whole
 * per-call state of `Client.unary()` (one object), where a bound reactor
 * needs a binding, a queue and a reaction per event. Status texts match the
 * reactor path.
 */
export class UnaryClientCall<Req, Res> implements CallListener {
  private response: Res | undefined;
  private failure: Status | undefined;
  private pending: Status | undefined;

  /** constructor starts the call: request sent (close-send included), one response asked for; with `refused` the call is cancelled with that status instead. */
  constructor(
    private readonly call: ClientCall,
    private readonly method: MethodDescriptor<Req, Res>,
    request: Req,
    private readonly outcome: UnaryOutcome<Res>,
    refused?: Status,
  ) {
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
    call.send(bytes, { last: true });
    call.request(1);
  }

  /** onMessage implements CallListener: decodes the response. */
  onMessage(message: Uint8Array | null): void {
    if (message !== null && this.failure === undefined) {
      try {
        this.response = this.method.deserializeResponse(message);
      } catch (e) {
        this.failure = status(Code.INTERNAL, `failed to parse response: ${(e as Error).message}`);
        this.call.cancel(this.failure);
      }
    }
    const s = this.pending;
    if (s !== undefined && this.call.unread === 0) {
      this.pending = undefined;
      this.settle(s);
    }
  }

  /** onWritable implements CallListener (the request's acknowledgement needs no action). */
  onWritable(): void {}

  /** onStatus implements CallListener: settles the outcome. */
  onStatus(s: Status): void {
    // A response sent before the status but not delivered yet is still read first.
    if (s.code === Code.OK && this.call.unread > 0) this.pending = s;
    else this.settle(s);
  }

  private settle(s: Status): void {
    const end = this.failure ?? s;
    this.outcome.settle(end, end.code === Code.OK ? this.response : undefined);
  }
}

/** UnaryEnd is told when a unary call settled (the client's open-call count). @internal */
export type UnaryEnd = () => void;

/** UnaryPromise settles `Client.unary()`'s promise. @internal */
export class UnaryPromise<Res> implements UnaryOutcome<Res> {
  /** promise is what unary() returns. */
  readonly promise: Promise<Res>;
  /** detach, when set, runs first at the end (removes an abort listener). */
  detach: (() => void) | undefined;
  private resolve!: (r: Res) => void;
  private reject!: (e: Error) => void;

  /** constructor creates the pending promise. */
  constructor(private readonly ended: UnaryEnd) {
    this.promise = new Promise<Res>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** settle resolves or rejects (with RpcError). */
  settle(s: Status, response: Res | undefined): void {
    this.detach?.();
    this.ended();
    if (s.code === Code.OK) this.resolve(response as Res);
    else this.reject(RpcError.fromStatus(s));
  }
}

/** UnaryCallbackOutcome runs the unary shortcut's callback as the call's one reaction on the scheduler. @internal */
export class UnaryCallbackOutcome<Res> implements UnaryOutcome<Res> {
  /** detach, when set, runs first at the end (removes an abort listener). */
  detach: (() => void) | undefined;

  /** constructor stores the callback and where it runs. */
  constructor(
    private readonly ended: UnaryEnd,
    private readonly scheduler: Scheduler,
    private readonly cb: (status: Status, response: Res | undefined) => void,
  ) {}

  /** settle queues the callback (never run inside the code that started the call). */
  settle(s: Status, response: Res | undefined): void {
    this.detach?.();
    this.scheduler.schedule(() => {
      try {
        this.cb(s, response);
      } finally {
        this.ended();
      }
    }, 'onDone');
  }
}
