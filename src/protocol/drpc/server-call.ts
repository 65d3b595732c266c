import { type CallListener, type MethodKind, type SendOptions, type ServerCall, clientStreams, serverStreams } from '../../call/call.js';
import type { ReadGate } from '../../call/read-gate.js';
import { type MessageSink, ReceiveQueue } from '../../call/receive-queue.js';
import type { Metadata } from '../../metadata/metadata.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import { type Packet, PacketKind } from './frame.js';
import { statusToErrorPayload } from './status-map.js';

const EMPTY = new Uint8Array(0);

/** DrpcServerCallHost is what a server call needs from its session. */
export interface DrpcServerCallHost {
  /** maxPacketSize bounds outgoing messages. */
  readonly maxPacketSize: number;
  /** write queues packets contiguously; `ack` is told once whether they were handed to the connection. */
  write(packets: Packet[], ack?: (written: boolean) => void): void;
  /** release tells the session that the call wrote its last packet (or was cancelled). */
  release(call: DrpcServerCall): void;
  /** gate is the connection's receive backpressure. */
  readonly gate?: ReadGate;
}

/**
 * DrpcServerCall is the server's end of one drpc stream. Replies follow what
 * Go clients expect (spec §11.1): unary and client-streaming calls answer
 * with exactly one Message then CloseSend, written together at finish (the
 * message is held until then, so a failure never follows a Message);
 * server-streaming calls write each Message as it is sent and CloseSend at a
 * successful finish; any failure is one Error packet instead (code N = status
 * code N, text = status message). After a cancel (client Cancel/Close/Error,
 * a newer stream preempting it, a lost connection, a queue overflow) nothing
 * more is written except the overflow's Error, and onStatus still waits for
 * the handler's finish(), as in gRPC. drpc has no deadline on the wire.
 */
export class DrpcServerCall implements ServerCall, MessageSink {
  private listener: CallListener | undefined;
  /** queue holds request messages until the handler asks for them. */
  readonly queue: ReceiveQueue;
  /** deadline is always undefined: drpc carries no deadline. */
  readonly deadline: number | undefined = undefined;
  private nextMessageId = 1;
  private response: Uint8Array | undefined;
  private gotRequest = false;
  private terminalSent = false;
  private finished = false;
  private cancelReason: Status | undefined;
  private reported = false;

  /** constructor prepares the call; the session owns its table. */
  constructor(
    private readonly host: DrpcServerCallHost,
    readonly streamId: number,
    readonly method: string,
    readonly kind: MethodKind,
    readonly metadata: Metadata,
    readonly peer: string,
    maxQueuedMessages: number,
    maxQueuedBytes: number,
  ) {
    this.queue = new ReceiveQueue(this, maxQueuedMessages, maxQueuedBytes, host.gate);
  }

  /** deliverMessage implements MessageSink for the receive queue. @internal */
  deliverMessage(m: Uint8Array | null): void {
    this.listener?.onMessage(m);
  }

  /** receiveStalled implements MessageSink: the handler left its full queue unread for the stall timeout. @internal */
  receiveStalled(): void {
    const n = this.queue.length;
    this.cancelWith(status(Code.RESOURCE_EXHAUSTED, `drpc: receive queue full (${n} unread messages, none read for ${this.queue.stallTimeoutMs} ms)`), true);
  }

  /** cancelled is true once the call was cancelled. */
  get cancelled(): boolean {
    return this.cancelReason !== undefined;
  }

  /** ended is true once the call wrote its last packet or was cancelled (its stream needs no more input). */
  get ended(): boolean {
    return this.terminalSent;
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

  /** onMessage takes a Message packet: the request of a unary/server-streaming call (later ones are ignored), or one message of a client stream. */
  onMessage(data: Uint8Array): void {
    if (this.terminalSent || this.queue.isEnded) return;
    if (!clientStreams(this.kind)) {
      if (this.gotRequest) return;
      this.gotRequest = true;
      this.queue.push(data);
      this.queue.end();
      return;
    }
    if (!this.queue.push(data)) this.cancelWith(status(Code.RESOURCE_EXHAUSTED, `drpc: receive queue full (${this.queue.length} unread messages)`), true);
  }

  /** onCloseSend takes the client's CloseSend: no more request messages. */
  onCloseSend(): void {
    this.queue.end();
  }

  /** send writes one response message (unary/client-streaming: kept for finish). */
  send(message: Uint8Array, _opts?: SendOptions): void {
    const l = this.listener;
    if (!l) throw new Error('send before start');
    if (this.finished || this.terminalSent) return queueMicrotask(() => l.onWritable(false));
    if (message.byteLength > this.host.maxPacketSize) {
      queueMicrotask(() => l.onWritable(false));
      return this.cancelWith(status(Code.RESOURCE_EXHAUSTED, `drpc: message of ${message.byteLength} bytes exceeds the limit of ${this.host.maxPacketSize}`), true);
    }
    if (!serverStreams(this.kind)) {
      if (this.response) return queueMicrotask(() => l.onWritable(false));
      this.response = message;
      return queueMicrotask(() => l.onWritable(true));
    }
    this.host.write([this.packet(PacketKind.Message, message)], (written) => {
      if (!this.reported) l.onWritable(written);
    });
  }

  /** finish writes the terminal packets (unless cancelled) and then reports onStatus. */
  finish(s: Status): void {
    if (this.finished) return;
    this.finished = true;
    const l = this.listener;
    const report = () => {
      this.reported = true;
      l?.onStatus(this.cancelReason ?? s);
    };
    if (this.terminalSent) return queueMicrotask(report);
    this.terminalSent = true;
    let packets: Packet[];
    if (s.code !== Code.OK) packets = [this.packet(PacketKind.Error, statusToErrorPayload(s))];
    else if (serverStreams(this.kind)) packets = [this.packet(PacketKind.CloseSend, EMPTY)];
    else packets = [this.packet(PacketKind.Message, this.response ?? EMPTY), this.packet(PacketKind.CloseSend, EMPTY)];
    this.host.release(this);
    this.host.write(packets, report);
  }

  /**
   * cancelWith cancels the call: with `reply` the client gets an Error packet
   * with the status (overflow); without it nothing is written. The handler
   * sees onCancelled; its later finish() writes nothing.
   */
  cancelWith(s: Status, reply: boolean): void {
    if (this.cancelReason || this.terminalSent) return;
    this.cancelReason = s;
    this.queue.drop();
    this.queue.end();
    this.terminalSent = true;
    if (reply) this.host.write([this.packet(PacketKind.Error, statusToErrorPayload(s))]);
    this.host.release(this);
    this.listener?.onCancelled?.();
  }

  private packet(kind: PacketKind, data: Uint8Array): Packet {
    return { kind, streamId: this.streamId, messageId: this.nextMessageId++, control: false, data };
  }
}
