import { type CallListener, type MethodKind, type SendOptions, type ServerCall, serverStreams } from '../../call/call.js';
import { ReceiveQueue } from '../../call/receive-queue.js';
import type { Metadata } from '../../metadata/metadata.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import { encodeResponse } from './envelope.js';
import { Flags, MessageType } from './frame.js';

const EMPTY = new Uint8Array(0);

/** ServerCallHost is what a server call needs from its session. */
export interface ServerCallHost {
  /** maxMessageLength is the frame data limit. */
  readonly maxMessageLength: number;
  /** write queues one frame. */
  write(id: number, type: number, flags: number, data: Uint8Array, ack?: () => void): void;
  /** release removes the stream from the session's table. */
  release(id: number): void;
}

/**
 * TtrpcServerCall is the server's end of one ttrpc stream. It ends with
 * exactly one terminal frame: a Response (unary, client-streaming, any error)
 * or an empty Data frame with flags 0x05 (streaming success). After a cancel
 * (deadline, lost connection, overflow) nothing more is written, but
 * onStatus still waits for the handler's finish(), as in gRPC.
 */
export class TtrpcServerCall implements ServerCall {
  private listener: CallListener | undefined;
  /** queue holds request messages until the handler asks for them. */
  readonly queue: ReceiveQueue;
  private response: Uint8Array | undefined;
  private terminalSent = false;
  private finished = false;
  private cancelReason: Status | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** constructor registers nothing; the session owns the table. */
  constructor(
    private readonly host: ServerCallHost,
    readonly id: number,
    readonly method: string,
    readonly kind: MethodKind,
    readonly metadata: Metadata,
    readonly deadline: number | undefined,
    readonly peer: string,
    maxQueuedMessages: number,
    maxQueuedBytes: number,
  ) {
    this.queue = new ReceiveQueue((m) => this.listener?.onMessage(m), maxQueuedMessages, maxQueuedBytes);
    if (deadline !== undefined) {
      const left = deadline - Date.now();
      if (left <= 0) queueMicrotask(() => this.cancelWith(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'), true));
      else this.timer = setTimeout(() => this.cancelWith(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'), true), left);
    }
  }

  /** cancelled is true once the call was cancelled. */
  get cancelled(): boolean {
    return this.cancelReason !== undefined;
  }

  /** start attaches the handler's listener. */
  start(listener: CallListener): void {
    if (this.listener) throw new Error('call already started');
    this.listener = listener;
    if (this.cancelReason) queueMicrotask(() => listener.onCancelled?.());
  }

  /** request asks for n more request messages. */
  request(n: number): void {
    this.queue.request(n);
  }

  /** send writes one response message (unary/client-streaming: kept for the final Response). */
  send(message: Uint8Array, _opts?: SendOptions): void {
    const l = this.listener;
    if (!l) throw new Error('send before start');
    if (this.finished || this.terminalSent) return queueMicrotask(() => l.onWritable(false));
    if (message.byteLength > this.host.maxMessageLength) {
      queueMicrotask(() => l.onWritable(false));
      return this.cancelWith(status(Code.RESOURCE_EXHAUSTED, `message length ${message.byteLength} exceed maximum message size of ${this.host.maxMessageLength}`), true);
    }
    if (!serverStreams(this.kind)) {
      if (this.response) return queueMicrotask(() => l.onWritable(false));
      this.response = message;
      return queueMicrotask(() => l.onWritable(true));
    }
    this.host.write(this.id, MessageType.Data, 0, message, () => l.onWritable(true));
  }

  /** finish writes the terminal frame (unless cancelled) and then reports onStatus. */
  finish(s: Status): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    const l = this.listener;
    const report = () => l?.onStatus(this.cancelReason ?? s);
    if (this.terminalSent) return queueMicrotask(report);
    this.terminalSent = true;
    this.host.release(this.id);
    if (s.code !== Code.OK) {
      this.host.write(this.id, MessageType.Response, 0, encodeResponse({ status: s, payload: EMPTY }), report);
    } else if (serverStreams(this.kind)) {
      this.host.write(this.id, MessageType.Data, Flags.REMOTE_CLOSED | Flags.NO_DATA, EMPTY, report);
    } else {
      const body = encodeResponse({ payload: this.response ?? EMPTY });
      if (body.byteLength > this.host.maxMessageLength) {
        const err = status(Code.RESOURCE_EXHAUSTED, `message length ${body.byteLength} exceed maximum message size of ${this.host.maxMessageLength}`);
        this.host.write(this.id, MessageType.Response, 0, encodeResponse({ status: err, payload: EMPTY }), () => l?.onStatus(err));
      } else {
        this.host.write(this.id, MessageType.Response, 0, body, report);
      }
    }
  }

  /**
   * cancelWith cancels the call: with `reply` the peer gets a Response with
   * the status (deadline, overflow); without it nothing is written (lost
   * connection). The handler sees onCancelled; its later finish() writes nothing.
   */
  cancelWith(s: Status, reply: boolean): void {
    if (this.cancelReason || this.terminalSent) return;
    this.cancelReason = s;
    this.clearTimer();
    this.queue.drop();
    this.queue.end();
    this.terminalSent = true;
    this.host.release(this.id);
    if (reply) this.host.write(this.id, MessageType.Response, 0, encodeResponse({ status: s, payload: EMPTY }));
    this.listener?.onCancelled?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
