import { type CallListener, type CallOptions, type ClientCall, type MethodKind, type SendOptions } from '../../call/call.js';
import type { ReadGate } from '../../call/read-gate.js';
import { type MessageSink, ReceiveQueue } from '../../call/receive-queue.js';
import { LongTimer } from '../../call/long-timer.js';
import { soon } from '../../call/soon.js';
import { Code } from '../../status/code.js';
import { type Status, OK_STATUS, status } from '../../status/status.js';
import { REQUEST_PAYLOAD_TAG, encodeRequest } from './envelope.js';
import { Flags, MessageType } from './frame.js';
import { type FrameAck, type WriteAck, fieldFrameSize } from './frame-writer.js';
import { splitMethod } from './options.js';

const EMPTY = new Uint8Array(0);

// Receive state a call keeps itself until it needs a ReceiveQueue (TtrpcClientCall.rx).
/** RX_ENDED: the stream ended (ReceiveQueue.end). */
const RX_ENDED = 1;
/** RX_END_DELIVERED: null was delivered; later requests do nothing. */
const RX_END_DELIVERED = 2;
/** RX_DROPPING: unread messages are skipped (ReceiveQueue.drop). */
const RX_DROPPING = 4;
/** RX_DETACHED: the stream left the connection; a queue made now is not accounted to its gate. */
const RX_DETACHED = 8;

/** MAX_TIMEOUT_NANO is the largest timeout_nano the Request's int64 field holds (the largest double below 2^63). */
const MAX_TIMEOUT_NANO = 2 ** 63 - 1024;

/** ClientCallHost is what a client call needs from its session (one per session, shared by its calls). */
export interface ClientCallHost {
  /** maxMessageLength is the frame data limit. */
  readonly maxMessageLength: number;
  /** maxQueuedMessages bounds unread messages. */
  readonly maxQueuedMessages: number;
  /** maxQueuedBytes bounds unread bytes. */
  readonly maxQueuedBytes: number;
  /** gate is the connection's receive backpressure. */
  readonly gate: ReadGate;
  /** open assigns a stream id and registers the call; returns 0 when no id is left or the connection is gone. */
  open(call: TtrpcClientCall): number;
  /** forget removes a stream from the table (late frames for it are then dropped). */
  forget(id: number): void;
  /** write queues one frame. */
  write(id: number, type: number, flags: number, data: Uint8Array, ack?: WriteAck): void;
  /** writeField queues one frame whose data is `prefix` then the field `tag` carrying `payload` (see FrameWriter.pushField). */
  writeField(id: number, type: number, flags: number, prefix: Uint8Array, tag: number, payload: Uint8Array, ack?: WriteAck): void;
  /** requestPrefix returns the encoded Request fields before the payload for a full method name (cached by the session). */
  requestPrefix(method: string): Uint8Array;
  /** closedStatus is the status for calls refused by a closed connection (marked unsent when UNAVAILABLE), or undefined while open. */
  closedStatus(): Status | undefined;
  /** nextFrame is the writer's sequence number of the next frame queued (see FrameWriter.queuedFrames). */
  nextFrame(): number;
}

/**
 * TtrpcClientCall is one client stream of a ttrpc connection. States: idle
 * (no id) → open (Request written) → half-closed (client done) → ended
 * (status known, waiting for unread messages) → done (onStatus delivered).
 */
export class TtrpcClientCall implements ClientCall, MessageSink, FrameAck {
  /** id is the stream id (0 until the Request is written). */
  id = 0;
  /** firstFrame is the writer's sequence number of the call's Request frame (-1 before it was queued). @internal */
  firstFrame = -1;
  private listener: CallListener | undefined;
  /**
   * queue is made lazily (see q()): a unary call requests its reply before it
   * arrives, so push hands it straight to the listener and the queue would
   * only ever be empty. Until a message has to wait, `credits` and `rx` hold
   * the little state the queue would have (credits granted, ended, null
   * delivered, dropping, detached), with the queue's exact semantics.
   */
  private queue: ReceiveQueue | undefined;
  private credits = 0;
  private rx = 0;
  private requestSent = false;
  private halfClosed = false;
  private pendingStatus: Status | undefined;
  private done = false;
  private timer: LongTimer | undefined;

  /** constructor prepares a call; nothing is written until start/send. */
  constructor(
    private readonly host: ClientCallHost,
    readonly method: string,
    readonly kind: MethodKind,
    private readonly options: CallOptions,
  ) {}

  /** receiveStalled implements MessageSink: the consumer left its full queue unread for the stall timeout. @internal */
  receiveStalled(): void {
    const q = this.q();
    this.localEnd(status(Code.RESOURCE_EXHAUSTED, `ttrpc: receive queue full (${q.length} unread messages, none read for ${q.stallTimeoutMs} ms)`));
  }

  /** frameDropped implements FrameAck: the connection closed before the frame was written. @internal */
  frameDropped(): void {
    this.listener?.onWritable(false);
  }

  /** deliverMessage implements MessageSink for the receive queue. @internal */
  deliverMessage(m: Uint8Array | null): void {
    this.listener?.onMessage(m);
  }

  /** frameWritten implements FrameAck: every acknowledged frame of a client call completes one send. @internal */
  frameWritten(): void {
    this.listener?.onWritable(true);
  }

  /**
   * start attaches the listener; streaming-client shapes write their Request
   * now. A call on a closed connection or past its deadline ends here (its
   * status follows in a microtask) and never writes a frame.
   */
  start(listener: CallListener): void {
    if (this.listener) throw new Error('call already started');
    if (!this.pendingStatus) {
      const closed = this.host.closedStatus();
      if (closed) this.localEnd(closed);
      else if (this.expired()) this.localEnd(status(Code.DEADLINE_EXCEEDED, 'deadline exceeded before the call started'));
    }
    // The status of a call that ended before it had a listener is delivered in a microtask, never inside start().
    this.listener = listener;
    if (this.pendingStatus) return queueMicrotask(() => this.maybeDeliverStatus());
    const { deadline } = this.options;
    if (deadline !== undefined) this.timer = new LongTimer(() => this.localEnd(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded')), deadline - Date.now());
    if (this.kind === 'client_stream' || this.kind === 'bidi') this.writeRequest(EMPTY, Flags.REMOTE_OPEN);
  }

  /** request asks for n more messages (still served from the queue after onStatus). */
  request(n: number): void {
    // Checked first: a queue made after the lazy end was delivered does not know it was.
    if (this.rx & RX_END_DELIVERED) return;
    if (this.queue !== undefined) return this.queue.request(n);
    this.credits += n;
    this.deliverEnd();
  }

  /** queuedBytes is the number of received bytes not yet delivered. */
  get queuedBytes(): number {
    return this.queue === undefined ? 0 : this.queue.queuedBytes;
  }

  /** receiveQueue is the call's receive queue, made on demand (the connection's gate fails the largest one when its budget stalls). @internal */
  get receiveQueue(): ReceiveQueue {
    return this.q();
  }

  /** unread is the number of received messages not yet delivered. */
  get unread(): number {
    return this.queue === undefined ? 0 : this.queue.length;
  }

  /** skipUnread drops queued and future messages. */
  skipUnread(): void {
    this.dropReceive();
    this.maybeDeliverStatus();
  }

  /** send writes one message (unary/server-streaming: the request itself). */
  send(message: Uint8Array, opts?: SendOptions): void {
    const l = this.listener;
    if (!l) throw new Error('send before start');
    if (this.done || this.pendingStatus || this.halfClosed) return soon(writableFalse, l);
    if (this.kind === 'unary' || this.kind === 'server_stream') {
      if (this.requestSent) return soon(writableFalse, l);
      this.writeRequest(message, this.kind === 'server_stream' ? Flags.REMOTE_CLOSED : 0, this);
      this.halfClosed = true;
      return;
    }
    if (message.byteLength > this.host.maxMessageLength) {
      soon(writableFalse, l);
      return this.localEnd(tooLarge(message.byteLength, this.host.maxMessageLength));
    }
    this.host.write(this.id, MessageType.Data, 0, message, this);
    if (opts?.last) this.closeSend();
  }

  /** closeSend writes the close frame (empty Data, flags 0x05). */
  closeSend(): void {
    if (this.halfClosed || this.done || this.pendingStatus || !this.requestSent) return;
    this.halfClosed = true;
    if (this.kind === 'client_stream' || this.kind === 'bidi') {
      this.host.write(this.id, MessageType.Data, Flags.REMOTE_CLOSED | Flags.NO_DATA, EMPTY);
    }
  }

  /** cancel abandons the call locally (ttrpc has no cancel frame; a late reply is dropped). */
  cancel(s: Status = status(Code.CANCELLED, 'call cancelled')): void {
    this.localEnd(s);
  }

  /** onResponse handles the stream's Response frame (already decoded). */
  onResponse(st: Status | undefined, payload: Uint8Array): void {
    const failed = st !== undefined && st.code !== Code.OK;
    // An OK Response carries the one reply of a unary or client-streaming method (possibly an empty
    // message). A bidi call sees one only when its method is client-streaming (the wire cannot tell
    // the two apart, e.g. behind a generic proxy), so its payload is delivered too.
    if (!failed && (this.kind !== 'server_stream' || payload.byteLength > 0)) {
      if (!this.push(payload)) return this.localEnd(queueFull(this.host.maxQueuedMessages));
    }
    this.remoteEnd(failed ? st! : OK_STATUS);
  }

  /** onData handles one Data frame of this stream. */
  onData(flags: number, data: Uint8Array): void {
    // A client-streaming call accepts its reply as Data too (a generic proxy answers every streaming call that way).
    if (this.kind === 'unary') return this.localEnd(status(Code.INTERNAL, 'ttrpc: data frame on a unary call'));
    if ((flags & Flags.NO_DATA) === 0) {
      if (!this.push(data)) return this.localEnd(queueFull(this.host.maxQueuedMessages));
    }
    if (flags & Flags.REMOTE_CLOSED) this.remoteEnd(OK_STATUS);
  }

  /** fail ends the call locally with a status (connection loss, protocol error). */
  fail(s: Status): void {
    this.localEnd(s);
  }

  private writeRequest(payload: Uint8Array, flags: number, ack?: WriteAck): void {
    // The deadline timer may not have run yet (a busy event loop): a call already over writes nothing.
    if (this.expired()) return this.localEnd(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'));
    const md = this.options.metadata;
    const deadline = this.options.deadline;
    // Without timeout and metadata the Request is the method's cached prefix then the payload field, written straight into the frame.
    const plain = deadline === undefined && (md === undefined || md.size === 0);
    let body: Uint8Array | undefined;
    let prefix: Uint8Array | undefined;
    let size: number;
    if (plain) {
      prefix = this.host.requestPrefix(this.method);
      size = fieldFrameSize(prefix, payload);
    } else {
      const { service, method } = splitMethod(this.method);
      body = encodeRequest({
        service,
        method,
        payload,
        timeoutNano: deadline === undefined ? 0 : Math.min(MAX_TIMEOUT_NANO, Math.max(1, Math.round((deadline - Date.now()) * 1e6))),
        metadata: md ? [...md].map(([key, value]) => ({ key, value })) : [],
      });
      size = body.byteLength;
    }
    if (size > this.host.maxMessageLength) return this.localEnd(tooLarge(size, this.host.maxMessageLength));
    const id = this.host.open(this);
    if (id === 0) return this.localEnd(this.host.closedStatus() ?? status(Code.UNAVAILABLE, 'ttrpc: stream ids exhausted on this connection; reconnect'));
    this.id = id;
    this.requestSent = true;
    this.firstFrame = this.host.nextFrame();
    if (body !== undefined) this.host.write(id, MessageType.Request, flags, body, ack);
    else this.host.writeField(id, MessageType.Request, flags, prefix!, REQUEST_PAYLOAD_TAG, payload, ack);
  }

  private remoteEnd(s: Status): void {
    if (this.done || this.pendingStatus) return;
    this.host.forget(this.id);
    this.clearTimer();
    this.endReceive();
    // The stream left the connection: its unread messages no longer hold the connection's reading.
    if (this.queue !== undefined) this.queue.detach();
    else this.rx |= RX_DETACHED;
    this.pendingStatus = s;
    this.maybeDeliverStatus();
  }

  private localEnd(s: Status): void {
    if (this.done) return;
    if (this.id) this.host.forget(this.id);
    this.clearTimer();
    this.dropReceive();
    this.endReceive();
    this.pendingStatus = s;
    this.maybeDeliverStatus();
  }

  /**
   * q returns the receive queue, making it first if needed: with the
   * connection's gate unless the stream already left it, and given the
   * state kept so far (this delivers nothing: an ended call holds no credit
   * unless its null was already delivered).
   */
  private q(): ReceiveQueue {
    if (this.queue !== undefined) return this.queue;
    const { host, rx } = this;
    const q = new ReceiveQueue(this, host.maxQueuedMessages, host.maxQueuedBytes, rx & RX_DETACHED ? undefined : host.gate);
    this.queue = q;
    if (rx & RX_DROPPING) q.drop();
    if (rx & RX_ENDED) q.end();
    if (this.credits !== 0) q.request(this.credits);
    this.credits = 0;
    return q;
  }

  /** push is ReceiveQueue.push: without a queue a message is skipped or delivered at once if it can be, else a queue is made. */
  private push(m: Uint8Array): boolean {
    if (this.queue === undefined) {
      if (this.rx & (RX_ENDED | RX_DROPPING)) return true;
      if (this.credits > 0) {
        this.credits--;
        this.deliverMessage(m);
        return true;
      }
    }
    return this.q().push(m);
  }

  /** endReceive is ReceiveQueue.end. */
  private endReceive(): void {
    if (this.queue !== undefined) return this.queue.end();
    if (this.rx & RX_ENDED) return;
    this.rx |= RX_ENDED;
    this.deliverEnd();
  }

  /** dropReceive is ReceiveQueue.drop (without a queue nothing is held, so the gate has nothing to give back). */
  private dropReceive(): void {
    if (this.queue !== undefined) this.queue.drop();
    else this.rx |= RX_DROPPING | RX_DETACHED;
  }

  /**
   * deliverEnd is ReceiveQueue.pump without a queue: nothing is queued, so a
   * credit can only take the end. No `delivering` guard is needed: while null
   * is delivered the call is ended with its end delivered, so a request() or
   * push from inside onMessage does nothing (as in the queue).
   */
  private deliverEnd(): void {
    if (this.credits > 0 && (this.rx & (RX_ENDED | RX_END_DELIVERED)) === RX_ENDED) {
      this.rx |= RX_END_DELIVERED;
      this.credits = 0;
      this.deliverMessage(null);
    }
  }

  private maybeDeliverStatus(): void {
    if (this.done || !this.pendingStatus || !this.listener) return;
    this.done = true;
    this.listener.onStatus(this.pendingStatus);
  }

  /** expired tells whether the call has a deadline that has passed (a NaN deadline counts as passed). */
  private expired(): boolean {
    const { deadline } = this.options;
    return deadline !== undefined && !(deadline > Date.now());
  }

  private clearTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

function writableFalse(l: CallListener): void {
  l.onWritable(false);
}

function tooLarge(n: number, max: number): Status {
  return status(Code.RESOURCE_EXHAUSTED, `message length ${n} exceed maximum message size of ${max}`);
}

function queueFull(max: number): Status {
  return status(Code.RESOURCE_EXHAUSTED, `ttrpc: receive queue full (${max} unread messages)`);
}
