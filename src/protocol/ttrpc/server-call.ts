import { type CallListener, type MethodKind, type SendOptions, type ServerCall, serverStreams } from '../../call/call.js';
import type { ReadGate } from '../../call/read-gate.js';
import { type MessageSink, ReceiveQueue } from '../../call/receive-queue.js';
import { LongTimer } from '../../call/long-timer.js';
import { soon } from '../../call/soon.js';
import { Metadata } from '../../metadata/metadata.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import { type KeyValue, RESPONSE_PAYLOAD_TAG, encodeResponse } from './envelope.js';
import { Flags, MessageType } from './frame.js';
import { EMPTY_PREFIX, type FrameAck, type WriteAck, fieldFrameSize } from './frame-writer.js';

const EMPTY = new Uint8Array(0);

/** ServerCallHost is what a server call needs from its session (one per session, shared by its calls). */
export interface ServerCallHost {
  /** maxMessageLength is the frame data limit. */
  readonly maxMessageLength: number;
  /** write queues one frame. */
  write(id: number, type: number, flags: number, data: Uint8Array, ack?: WriteAck): void;
  /** writeField queues one frame whose data is `prefix` then the field `tag` carrying `payload` (see FrameWriter.pushField). */
  writeField(id: number, type: number, flags: number, prefix: Uint8Array, tag: number, payload: Uint8Array, ack?: WriteAck): void;
  /** release removes the stream from the session's table. */
  release(id: number): void;
}

const writableTrue = (l: CallListener): void => l.onWritable(true);
const writableFalse = (l: CallListener): void => l.onWritable(false);

/**
 * TtrpcServerCall is the server's end of one ttrpc stream. It ends with
 * exactly one terminal frame: a Response (unary, client-streaming, any error)
 * or an empty Data frame with flags 0x05 (streaming success). After a cancel
 * (deadline, lost connection, overflow) nothing more is written, but
 * onStatus still waits for the handler's finish(), as in gRPC.
 */
export class TtrpcServerCall implements ServerCall, MessageSink, FrameAck {
  private listener: CallListener | undefined;
  /** queue holds request messages until the handler asks for them. */
  readonly queue: ReceiveQueue;
  private response: Uint8Array | undefined;
  private terminalSent = false;
  private finished = false;
  private cancelReason: Status | undefined;
  private timer: LongTimer | undefined;
  private md: Metadata | undefined;
  // Written frames still to be acknowledged: Data frames (onWritable) come before the terminal frame (onStatus with finalStatus).
  private dataAcks = 0;
  private finalStatus: Status | undefined;

  /** constructor registers nothing; the session owns the table. `entries` is the request metadata as received (a Metadata is built on first use). */
  constructor(
    private readonly host: ServerCallHost,
    readonly id: number,
    readonly method: string,
    readonly kind: MethodKind,
    private readonly entries: readonly KeyValue[],
    readonly deadline: number | undefined,
    readonly peer: string,
    maxQueuedMessages: number,
    maxQueuedBytes: number,
    gate?: ReadGate,
  ) {
    this.queue = new ReceiveQueue(this, maxQueuedMessages, maxQueuedBytes, gate);
    if (deadline !== undefined) {
      const left = deadline - Date.now();
      if (left <= 0) queueMicrotask(() => this.cancelWith(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'), true));
      else this.timer = new LongTimer(() => this.cancelWith(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'), true), left);
    }
  }

  /** metadata holds the request metadata. */
  get metadata(): Metadata {
    if (this.md === undefined) {
      const md = new Metadata();
      for (const kv of this.entries) md.append(kv.key, kv.value);
      this.md = md;
    }
    return this.md;
  }

  /** deliverMessage implements MessageSink for the receive queue. @internal */
  deliverMessage(m: Uint8Array | null): void {
    this.listener?.onMessage(m);
  }

  /** receiveStalled implements MessageSink: the handler left its full queue unread for the stall timeout. @internal */
  receiveStalled(): void {
    const n = this.queue.length;
    this.cancelWith(status(Code.RESOURCE_EXHAUSTED, `ttrpc: receive queue full (${n} unread messages, none read for ${this.queue.stallTimeoutMs} ms)`), true);
  }

  /** frameDropped implements FrameAck: the connection closed before the frame was written; the call still ends exactly once. @internal */
  frameDropped(): void {
    const l = this.listener;
    if (this.dataAcks > 0) {
      this.dataAcks--;
      l?.onWritable(false);
    } else {
      l?.onStatus(this.finalStatus!);
    }
  }

  /** frameWritten implements FrameAck: the next acknowledged frame is a Data frame while any is pending, else the terminal one. @internal */
  frameWritten(): void {
    const l = this.listener;
    if (this.dataAcks > 0) {
      this.dataAcks--;
      l?.onWritable(true);
    } else {
      l?.onStatus(this.finalStatus!);
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
    if (this.cancelReason) soon(() => listener.onCancelled?.(), undefined);
  }

  /** request asks for n more request messages. */
  request(n: number): void {
    this.queue.request(n);
  }

  /** send writes one response message (unary/client-streaming: kept for the final Response). */
  send(message: Uint8Array, _opts?: SendOptions): void {
    const l = this.listener;
    if (!l) throw new Error('send before start');
    if (this.finished || this.terminalSent) return soon(writableFalse, l);
    if (message.byteLength > this.host.maxMessageLength) {
      soon(writableFalse, l);
      return this.cancelWith(status(Code.RESOURCE_EXHAUSTED, `message length ${message.byteLength} exceed maximum message size of ${this.host.maxMessageLength}`), true);
    }
    if (!serverStreams(this.kind)) {
      if (this.response) return soon(writableFalse, l);
      this.response = message;
      return soon(writableTrue, l);
    }
    this.dataAcks++;
    this.host.write(this.id, MessageType.Data, 0, message, this);
  }

  /** finish writes the terminal frame (unless cancelled) and then reports onStatus. */
  finish(s: Status): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    if (this.terminalSent) {
      const l = this.listener;
      const st = this.cancelReason ?? s;
      return soon(() => l?.onStatus(st), undefined);
    }
    this.terminalSent = true;
    this.host.release(this.id);
    // cancelWith() does nothing once the terminal frame is out, so the status reported on its acknowledgement is final here.
    this.finalStatus = s;
    if (s.code !== Code.OK) {
      this.host.write(this.id, MessageType.Response, 0, encodeResponse({ status: s, payload: EMPTY }), this);
    } else if (serverStreams(this.kind)) {
      this.host.write(this.id, MessageType.Data, Flags.REMOTE_CLOSED | Flags.NO_DATA, EMPTY, this);
    } else {
      // A Response holding only the payload is the payload field itself: written straight into the frame.
      const payload = this.response ?? EMPTY;
      const size = fieldFrameSize(EMPTY_PREFIX, payload);
      if (size > this.host.maxMessageLength) {
        const err = status(Code.RESOURCE_EXHAUSTED, `message length ${size} exceed maximum message size of ${this.host.maxMessageLength}`);
        this.finalStatus = err;
        this.host.write(this.id, MessageType.Response, 0, encodeResponse({ status: err, payload: EMPTY }), this);
      } else {
        this.host.writeField(this.id, MessageType.Response, 0, EMPTY_PREFIX, RESPONSE_PAYLOAD_TAG, payload, this);
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
    this.timer?.cancel();
    this.timer = undefined;
  }
}
