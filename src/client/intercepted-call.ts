import type { CallListener, CallOptions, ClientCall, MethodKind, SendOptions } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import { type MessageInterceptor, type StreamResponse, LazyAbort, runMessageInterceptors } from '../call/message-interceptors.js';
import { MessageQueue } from '../call/message-queue.js';
import { soon } from '../call/soon.js';
import type { Metadata } from '../metadata/metadata.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { OK_STATUS, type Status, status } from '../status/status.js';
import { innermostClient } from './intercepted-inner.js';

/** READ_AHEAD is how many responses the bridge takes from the chain before the caller reads them (so the status is seen without reads, as on a plain call). */
const READ_AHEAD = 32;

const ack = (l: CallListener): void => l.onWritable(true);

/** ClientCallStart is what a client message-interceptor chain starts from. @internal */
export interface ClientCallStart {
  /** metadata is the request metadata (already a Metadata object). */
  metadata: Metadata;
  /** deadline is the absolute deadline, or undefined. */
  deadline: number | undefined;
  /** peer is the dialled target. */
  peer: string | undefined;
}

/**
 * InterceptedClientCall is the ClientCall a Client hands its promise calls
 * and reactors when message interceptors are configured. It decodes what the
 * caller sends into the typed request, runs the interceptor chain (whose end
 * opens the real call through `create`) and re-encodes what the chain returns
 * as the responses and the final status the caller reads. @internal
 */
export class InterceptedClientCall implements ClientCall {
  private listener: CallListener | undefined;
  private requests: MessageQueue<unknown> | undefined;
  private begun = false;
  private settled: Status | undefined;
  private credits = 0;
  private nullSent = false;
  private readonly buffer: Uint8Array[] = [];
  private skipping = false;
  private pulling = false;
  private responses: AsyncIterator<unknown> | undefined;
  private unacked = 0;
  /** abort is the chain's cancellation (read by the innermost step). */
  readonly abort = new LazyAbort();
  /** inner is the real call once the chain reached its end. */
  inner: ClientCall | undefined;

  /** constructor prepares the call; the chain runs at start() (streams) or at the request (unary). */
  constructor(
    private readonly descriptor: MethodDescriptor<unknown, unknown>,
    readonly kind: MethodKind,
    private readonly interceptors: readonly MessageInterceptor[],
    private readonly info: ClientCallStart,
    private readonly create: (options: CallOptions) => ClientCall,
  ) {}

  /** method is the full method name. */
  get method(): string {
    return this.descriptor.path;
  }

  /** start attaches the caller's listener; a streaming call's chain starts now. */
  start(listener: CallListener): void {
    this.listener = listener;
    if (this.settled) {
      const s = this.settled;
      this.settled = undefined;
      return this.settle(s, true);
    }
    if (this.kind !== 'unary') {
      this.requests = new MessageQueue<unknown>(undefined, () => this.taken());
      this.begin(this.requests);
    }
  }

  /** send decodes a request: a unary call's starts the chain, a stream's joins the request stream. */
  send(message: Uint8Array, options?: SendOptions): void {
    const l = this.listener!;
    if (this.settled || (this.kind === 'unary' && this.begun)) return soon((x: CallListener) => x.onWritable(false), l);
    let value: unknown;
    try {
      value = this.descriptor.deserializeRequest(message);
    } catch (e) {
      return this.cancel(status(Code.INTERNAL, `failed to decode request for interceptors: ${(e as Error).message}`));
    }
    if (this.kind === 'unary') {
      soon(ack, l);
      return this.begin(value);
    }
    this.unacked++;
    this.requests!.push(value);
    if (options?.last) this.requests!.end();
  }

  /** closeSend ends the request stream. */
  closeSend(): void {
    if (this.kind !== 'unary') this.requests?.end();
    else if (!this.begun) this.cancel(status(Code.INTERNAL, 'missing request message'));
  }

  /** request grants n reads of responses. */
  request(n: number): void {
    this.credits += n;
    this.deliver();
    this.readAhead();
  }

  /** cancel ends the call now with `s` (CANCELLED by default): the chain's signal aborts and the real call, if open, is cancelled. */
  cancel(s: Status = status(Code.CANCELLED, 'cancelled by the client')): void {
    if (this.settled) return;
    this.abort.abort(RpcError.fromStatus(s));
    this.inner?.cancel(s);
    this.settle(s, true);
  }

  /** unread is the number of responses taken from the chain and not read yet. */
  get unread(): number {
    return this.buffer.length;
  }

  /** skipUnread drops the unread responses and those still to come. */
  skipUnread(): void {
    this.skipping = true;
    this.buffer.length = 0;
    this.readAhead();
  }

  private taken(): void {
    if (this.unacked === 0) return;
    this.unacked--;
    soon(ack, this.listener!);
  }

  private begin(body: unknown): void {
    this.begun = true;
    const call = { side: 'client' as const, method: this.descriptor.path, kind: this.kind, descriptor: this.descriptor, metadata: this.info.metadata, deadline: this.info.deadline, peer: this.info.peer };
    const result = runMessageInterceptors(this.interceptors, call, this.abort, body, (r) => innermostClient(r, this));
    result.then(
      (res) => (res.stream ? this.pump(res) : this.finish(res.message)),
      (e: unknown) => this.settle(RpcError.from(e, Code.UNKNOWN).toStatus()),
    );
  }

  /** openInner opens the real call (used by the chain's end). @internal */
  openInner(options: CallOptions): ClientCall {
    const call = this.create(options);
    this.inner = call;
    return call;
  }

  private finish(message: unknown): void {
    if (this.settled) return;
    const bytes = this.encode(message);
    if (bytes === undefined) return;
    if (!this.skipping) this.buffer.push(bytes);
    this.settle(OK_STATUS);
  }

  private pump(res: StreamResponse): void {
    if (this.settled) return;
    this.responses = res.messages[Symbol.asyncIterator]();
    this.readAhead();
  }

  private readAhead(): void {
    const it = this.responses;
    if (it === undefined || this.pulling || this.settled || this.buffer.length >= READ_AHEAD) return;
    this.pulling = true;
    it.next().then(
      (r) => {
        this.pulling = false;
        if (this.settled) return;
        if (r.done) return this.settle(OK_STATUS);
        const bytes = this.encode(r.value);
        if (bytes === undefined) return;
        if (!this.skipping) this.buffer.push(bytes);
        this.deliver();
        this.readAhead();
      },
      (e: unknown) => {
        this.pulling = false;
        this.settle(RpcError.from(e, Code.UNKNOWN).toStatus());
      },
    );
  }

  private encode(message: unknown): Uint8Array | undefined {
    try {
      return this.descriptor.serializeResponse(message);
    } catch (e) {
      this.cancel(status(Code.INTERNAL, `failed to encode response from interceptors: ${(e as Error).message}`));
      return undefined;
    }
  }

  private deliver(): void {
    const l = this.listener;
    if (l === undefined) return;
    while (this.credits > 0 && this.buffer.length > 0) {
      this.credits--;
      l.onMessage(this.buffer.shift()!);
    }
    if (this.settled && this.credits > 0 && !this.nullSent) {
      this.nullSent = true;
      this.credits--;
      l.onMessage(null);
    }
  }

  private settle(s: Status, drop = false): void {
    if (this.settled) return;
    this.settled = s;
    if (drop) this.buffer.length = 0;
    if (this.responses !== undefined && s.code !== Code.OK) void Promise.resolve(this.responses.return?.()).catch(() => undefined);
    this.requests?.fail(RpcError.fromStatus(s));
    const l = this.listener;
    if (l === undefined) return;
    for (; this.unacked > 0; this.unacked--) soon((x: CallListener) => x.onWritable(false), l);
    this.deliver();
    l.onStatus(s);
    this.deliver();
  }
}
