import type { CallListener, MethodKind, PeerCertificate, SendOptions, ServerCall } from '../call/call.js';
import type { MessageRequest, MessageResponse } from '../call/message-interceptors.js';
import { MessageQueue } from '../call/message-queue.js';
import { soon } from '../call/soon.js';
import type { Metadata } from '../metadata/metadata.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';

const ackOk = (l: CallListener): void => l.onWritable(true);
const ackFailed = (l: CallListener): void => l.onWritable(false);

/**
 * HandlerCall is the ServerCall a handler runs on at the end of a server
 * message-interceptor chain: its metadata and deadline are the request's, its
 * incoming messages are the request's (re-encoded, so the handler decodes
 * them as usual), and what the handler sends and finishes becomes the typed
 * response the chain returns. The real call's end comes back through ended().
 * @internal
 */
export class HandlerCall implements ServerCall {
  readonly method: string;
  readonly kind: MethodKind;
  readonly metadata: Metadata;
  readonly deadline: number | undefined;
  /** response settles with what the handler sent (unary) or at once with the response stream. */
  readonly response: Promise<MessageResponse>;
  private listener: CallListener | undefined;
  private readonly source: AsyncIterator<unknown> | undefined;
  private unaryRequest: { value: unknown } | undefined;
  private credits = 0;
  private pulling = false;
  private requestsDone = false;
  private unacked = 0;
  private done = false;
  private reply: unknown = undefined;
  private readonly out: MessageQueue<unknown> | undefined;
  private settle!: { resolve: (r: MessageResponse) => void; reject: (e: unknown) => void };

  /** constructor builds the view of `req` over the real call. */
  constructor(
    private readonly real: ServerCall,
    private readonly req: MessageRequest,
  ) {
    this.method = real.method;
    this.kind = real.kind;
    this.metadata = req.metadata;
    this.deadline = req.deadline;
    if (req.stream) {
      this.source = req.messages[Symbol.asyncIterator]();
      const out = new MessageQueue<unknown>(undefined, () => this.taken());
      this.out = out;
      this.response = Promise.resolve({ stream: true, messages: out });
    } else {
      this.unaryRequest = { value: req.message };
      this.response = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    }
  }

  /** peer is the real call's. */
  get peer(): string {
    return this.real.peer;
  }

  /** peerCertificate is the real call's. */
  get peerCertificate(): PeerCertificate | undefined {
    return this.real.peerCertificate;
  }

  /** cancelled is the real call's. */
  get cancelled(): boolean {
    return this.real.cancelled;
  }

  /** start attaches the handler's listener. */
  start(listener: CallListener): void {
    this.listener = listener;
  }

  /** request hands the handler the next request(s), encoded. */
  request(n: number): void {
    this.credits += n;
    this.pump();
  }

  /** send decodes a response into the typed response. */
  send(message: Uint8Array, _options?: SendOptions): void {
    const l = this.listener!;
    if (this.done) return soon(ackFailed, l);
    let value: unknown;
    try {
      value = this.req.descriptor.deserializeResponse(message);
    } catch (e) {
      return this.finish(status(Code.INTERNAL, `failed to decode response for interceptors: ${(e as Error).message}`));
    }
    if (this.out === undefined) {
      this.reply = value;
      return soon(ackOk, l);
    }
    this.unacked++;
    this.out.push(value);
  }

  /** finish settles the typed response: OK ends it, any other status makes it throw that RpcError. */
  finish(s: Status): void {
    if (this.done) return;
    this.done = true;
    const failure = s.code === Code.OK ? undefined : RpcError.fromStatus(s);
    if (this.out !== undefined) {
      if (failure) this.out.fail(failure);
      else this.out.end();
    } else if (failure) this.settle.reject(failure);
    else this.settle.resolve({ stream: false, message: this.reply });
  }

  /** ended tells the handler the real call's status is out. */
  ended(s: Status): void {
    this.done = true;
    const l = this.listener;
    if (l === undefined) return;
    for (; this.unacked > 0; this.unacked--) soon(ackFailed, l);
    l.onStatus(s);
  }

  /** cancelled tells the handler the call was cancelled. */
  cancelledByPeer(): void {
    this.listener?.onCancelled?.();
  }

  private taken(): void {
    if (this.unacked === 0) return;
    this.unacked--;
    soon(ackOk, this.listener!);
  }

  private pump(): void {
    const l = this.listener;
    while (l !== undefined && this.credits > 0 && !this.pulling && !this.requestsDone) {
      this.credits--;
      const one = this.unaryRequest;
      if (this.source === undefined) {
        this.unaryRequest = undefined;
        if (one === undefined) this.endRequests(l);
        else this.deliver(l, one.value);
        continue;
      }
      this.pulling = true;
      this.source.next().then(
        (r) => {
          this.pulling = false;
          if (r.done) this.endRequests(l);
          else this.deliver(l, r.value);
          this.pump();
        },
        (e: unknown) => {
          this.pulling = false;
          this.endRequests(l);
          // A request stream that fails (an interceptor threw, the call was cancelled) fails the call with that error.
          this.finish(RpcError.from(e, Code.UNKNOWN).toStatus());
        },
      );
    }
  }

  private endRequests(l: CallListener): void {
    this.requestsDone = true;
    l.onMessage(null);
  }

  private deliver(l: CallListener, value: unknown): void {
    let bytes: Uint8Array;
    try {
      bytes = this.req.descriptor.serializeRequest(value);
    } catch (e) {
      this.endRequests(l);
      return this.finish(status(Code.INTERNAL, `failed to encode request from interceptors: ${(e as Error).message}`));
    }
    l.onMessage(bytes);
  }
}
