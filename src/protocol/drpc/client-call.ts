import { type CallListener, type CallOptions, type ClientCall, type MethodKind, type SendOptions, clientStreams, serverStreams } from '../../call/call.js';
import type { ReadGate } from '../../call/read-gate.js';
import { type MessageSink, ReceiveQueue } from '../../call/receive-queue.js';
import { LongTimer } from '../../call/long-timer.js';
import { soon } from '../../call/soon.js';
import { Code } from '../../status/code.js';
import { type Status, OK_STATUS, status } from '../../status/status.js';
import { type Packet, PacketKind } from './frame.js';
import { encodeInvokeMetadata } from './invoke-metadata.js';
import { errorPayloadToStatus } from './status-map.js';

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const MAX_CACHED_NAMES = 1024;
const rpcNames = new Map<string, Uint8Array>();

/** encodedRpcName returns the UTF-8 bytes of an rpc name, cached for the first MAX_CACHED_NAMES names (packet data is copied when written, never changed). */
function encodedRpcName(name: string): Uint8Array {
  let b = rpcNames.get(name);
  if (b === undefined) {
    b = utf8.encode(name);
    if (rpcNames.size < MAX_CACHED_NAMES) rpcNames.set(name, b);
  }
  return b;
}

/** StreamEnd tells a session how a stream was released: 'done' (finished on the wire, or never written) or 'cancel' (abandoned while unfinished). */
export type StreamEnd = 'done' | 'cancel';

/** DrpcStreamLink is a client call's stream on a connection, handed over by bind(). */
export interface DrpcStreamLink {
  /** streamId is the stream's id on the connection. */
  readonly streamId: number;
  /** write queues packets contiguously; `ack` is told once whether they were handed to the connection. */
  write(packets: Packet[], ack?: (written: boolean) => void): void;
  /** gate is the connection's receive backpressure, which the call's receive queue reports to. */
  readonly gate?: ReadGate;
  /** end releases the stream; for 'cancel' the session sends Cancel with `nextMessageId` (soft) or closes the connection (hard). */
  end(how: StreamEnd, nextMessageId: number): void;
}

/** DrpcCallHost is what a client call needs from the transport that runs it (session or pool). */
export interface DrpcCallHost {
  /** maxPacketSize bounds outgoing messages. */
  readonly maxPacketSize: number;
  /** maxQueuedMessages bounds unread messages. */
  readonly maxQueuedMessages: number;
  /** maxQueuedBytes bounds unread bytes. */
  readonly maxQueuedBytes: number;
  /** acquire finds a stream for the call: later (or at once) call.bind(link), or call.fail(status). */
  acquire(call: DrpcClientCall): void;
  /** abandon forgets a call that ended before it was bound. */
  abandon(call: DrpcClientCall): void;
}

/**
 * DrpcClientCall is the client's end of one drpc stream, shared by the
 * upstream session, the multiplexed session and the pool. States:
 *
 *   created → waiting (start: acquire) → bound (a stream id; operations run)
 *           → invoked ([InvokeMetadata,] Invoke written with the first
 *             send/closeSend, or the first request of a client-streaming call)
 *           → ended (status known; stream released) → done (onStatus delivered)
 *
 * A client-streaming or bidi call is active from start(), as gRPC's
 * StartCall: if nothing else wrote its Invoke by the end of the microtasks
 * of the turn start() ran in, the Invoke is written then (on bind when the
 * stream comes later), so the server's handler runs even when the client
 * only waits; the writer still coalesces it with that turn's other packets.
 * Nothing is ever written for a call past its deadline: the deadline is
 * checked before the Invoke. Operations issued while waiting are kept and
 * replayed on bind. A remote
 * CloseSend ends the call OK (a Close is written first when this side had
 * not closed, as Go's stream Close does); Error ends it with the mapped
 * status; a local end (cancel, deadline, overflow) releases the unfinished
 * stream as 'cancel'. A remote status waits for queued messages; a local one
 * drops them.
 */
export class DrpcClientCall implements ClientCall, MessageSink {
  /** firstPacket is the connection writer's sequence number of the call's first packet (-1 before one was queued; set by the session). @internal */
  firstPacket = -1;
  private listener: CallListener | undefined;
  private readonly queue: ReceiveQueue;
  private link: DrpcStreamLink | undefined;
  private ops: Array<() => void> = [];
  private nextMessageId = 1;
  private invoked = false;
  private sendClosed = false;
  private requestSent = false;
  private gotMessage = false;
  private remoteEnded = false;
  private released = false;
  private preStartStatus: Status | undefined;
  private pendingStatus: Status | undefined;
  private done = false;
  private timer: LongTimer | undefined;

  /** constructor prepares a call; nothing happens before start(). */
  constructor(
    private readonly host: DrpcCallHost,
    readonly method: string,
    readonly kind: MethodKind,
    private readonly options: CallOptions = {},
  ) {
    this.queue = new ReceiveQueue(this, host.maxQueuedMessages, host.maxQueuedBytes);
  }

  /** deliverMessage implements MessageSink for the receive queue. @internal */
  deliverMessage(m: Uint8Array | null): void {
    this.listener?.onMessage(m);
  }

  /** receiveStalled implements MessageSink: the consumer left its full queue unread for the stall timeout. @internal */
  receiveStalled(): void {
    this.localEnd(status(Code.RESOURCE_EXHAUSTED, `drpc: receive queue full (${this.queue.length} unread messages, none read for ${this.queue.stallTimeoutMs} ms)`));
  }

  /** streamId is the bound stream's id (0 while unbound). */
  get streamId(): number {
    return this.link?.streamId ?? 0;
  }

  /**
   * start attaches the listener and asks the host for a stream; a call
   * cancelled or past its deadline ends here, before any stream exists (its
   * status follows in a microtask). A client-streaming or bidi call is then
   * activated at the end of the turn (see the class comment).
   */
  start(listener: CallListener): void {
    if (this.listener) throw new Error('call already started');
    const refused = this.preStartStatus ?? (this.expired() ? status(Code.DEADLINE_EXCEEDED, 'deadline exceeded before the call started') : undefined);
    if (refused) {
      // Ended before the listener is attached: nothing is delivered inside start(), and later operations find the call over.
      this.localEnd(refused);
      this.listener = listener;
      return queueMicrotask(() => this.maybeDeliverStatus());
    }
    this.listener = listener;
    const { deadline } = this.options;
    if (deadline !== undefined) this.timer = new LongTimer(() => this.localEnd(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded')), deadline - Date.now());
    this.host.acquire(this);
    if (clientStreams(this.kind)) soon(activate, this);
  }

  /** activate writes the Invoke of a started client-streaming or bidi call that nothing has invoked yet (runs once, after start). @internal */
  activate(): void {
    if (this.invoked || this.pendingStatus || this.done) return;
    this.perform(() => this.writeInvoke(() => []));
  }

  /** bind hands the call its stream (called by the host); queued operations run now. */
  bind(link: DrpcStreamLink): void {
    if (this.released || this.pendingStatus || this.done) {
      this.released = true;
      return link.end('done', 1);
    }
    this.link = link;
    if (link.gate) this.queue.attach(link.gate);
    const ops = this.ops;
    this.ops = [];
    for (const op of ops) op();
  }

  /** request asks for n more messages; a client-streaming call writes its Invoke now if it has not yet (Go flushes before the first receive). */
  request(n: number): void {
    this.queue.request(n);
    if (clientStreams(this.kind) && !this.invoked && !this.sendClosed && this.listener) this.perform(() => this.writeInvoke(() => []));
    this.maybeDeliverStatus();
  }

  /** receiveQueue is the call's receive queue (the connection's gate fails the largest one when its budget stalls). @internal */
  get receiveQueue(): ReceiveQueue {
    return this.queue;
  }

  /** unread is the number of received messages not yet delivered. */
  get unread(): number {
    return this.queue.length;
  }

  /** skipUnread drops queued and future messages. */
  skipUnread(): void {
    this.queue.drop();
    this.maybeDeliverStatus();
  }

  /** send writes one message; unary and server-streaming calls write Invoke, Message and CloseSend together. */
  send(message: Uint8Array, opts?: SendOptions): void {
    const l = this.listener;
    if (!l) throw new Error('send before start');
    if (this.done || this.pendingStatus || this.sendClosed || this.requestSent) return queueMicrotask(() => l.onWritable(false));
    if (message.byteLength > this.host.maxPacketSize) {
      queueMicrotask(() => l.onWritable(false));
      return this.localEnd(status(Code.RESOURCE_EXHAUSTED, `drpc: message of ${message.byteLength} bytes exceeds the limit of ${this.host.maxPacketSize}`));
    }
    const ack = (written: boolean) => {
      if (!this.done) l.onWritable(written);
    };
    const last = !clientStreams(this.kind) || opts?.last === true;
    if (!clientStreams(this.kind)) this.requestSent = true;
    if (last) this.sendClosed = true;
    this.perform(() =>
      this.writeInvoke(() => {
        const packets = [this.packet(PacketKind.Message, message)];
        if (last) packets.push(this.packet(PacketKind.CloseSend, EMPTY));
        return packets;
      }, ack),
    );
  }

  /** closeSend writes CloseSend (a no-op for unary and server-streaming calls, whose send already closed). */
  closeSend(): void {
    if (this.sendClosed || this.done || this.pendingStatus || !clientStreams(this.kind)) return;
    this.sendClosed = true;
    this.perform(() => this.writeInvoke(() => [this.packet(PacketKind.CloseSend, EMPTY)]));
  }

  /** cancel abandons the call; onStatus follows with the status (CANCELLED by default). */
  cancel(s: Status = status(Code.CANCELLED, 'call cancelled')): void {
    if (!this.listener) {
      this.preStartStatus ??= s;
      return;
    }
    this.localEnd(s);
  }

  /** onPacket handles a Message, CloseSend, Error, Close or Cancel packet of this call's stream (called by the session). */
  onPacket(kind: number, data: Uint8Array): void {
    if (this.remoteEnded || this.done) return;
    switch (kind) {
      case PacketKind.Message:
        if (this.pendingStatus) return;
        if (this.gotMessage && !serverStreams(this.kind)) return this.localEnd(status(Code.INTERNAL, 'drpc: more than one response message on a call whose server does not stream'));
        this.gotMessage = true;
        if (!this.queue.push(data)) this.localEnd(status(Code.RESOURCE_EXHAUSTED, `drpc: receive queue full (${this.host.maxQueuedMessages} unread messages)`));
        return;
      case PacketKind.CloseSend:
        if (!this.sendClosed && this.invoked) {
          this.sendClosed = true;
          this.link?.write([this.packet(PacketKind.Close, EMPTY)]);
        }
        return this.remoteEnd(this.gotMessage || serverStreams(this.kind) ? OK_STATUS : status(Code.INTERNAL, 'drpc: stream closed without a response message'));
      case PacketKind.Error:
        return this.remoteEnd(errorPayloadToStatus(data));
      case PacketKind.Close:
        return this.remoteEnd(status(Code.CANCELLED, 'drpc: stream closed by the server'));
      case PacketKind.Cancel:
        return this.remoteEnd(status(Code.CANCELLED, 'drpc: stream cancelled by the server'));
      default:
        return;
    }
  }

  /** fail ends the call because its connection is gone; nothing more is written. */
  fail(s: Status): void {
    this.released = true;
    this.localEnd(s);
  }

  private perform(op: () => void): void {
    if (this.link) op();
    else this.ops.push(op);
  }

  private packet(kind: PacketKind, data: Uint8Array, control = false): Packet {
    return { kind, streamId: this.link!.streamId, messageId: this.nextMessageId++, control, data };
  }

  /** writeInvoke writes [InvokeMetadata,] Invoke (once) followed by the packets `rest` builds, all in one contiguous push; a call past its deadline writes nothing. */
  private writeInvoke(rest: () => Packet[], ack?: (written: boolean) => void): void {
    if (this.released || this.done) return;
    const packets: Packet[] = [];
    if (!this.invoked) {
      // The deadline timer may not have run yet (a busy event loop, a long wait for a pooled connection): a call already over writes nothing.
      if (this.expired()) return this.localEnd(status(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'));
      this.invoked = true;
      const md = this.options.metadata;
      if (md && md.size > 0) packets.push(this.packet(PacketKind.InvokeMetadata, encodeInvokeMetadata(lastValues(md))));
      packets.push(this.packet(PacketKind.Invoke, encodedRpcName(this.method)));
    }
    for (const p of rest()) packets.push(p);
    if (packets.length > 0) this.link!.write(packets, ack);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (!this.link) return this.host.abandon(this);
    this.link.end(this.remoteEnded || !this.invoked ? 'done' : 'cancel', this.nextMessageId);
  }

  private remoteEnd(s: Status): void {
    if (this.done || this.pendingStatus) return;
    this.remoteEnded = true;
    this.clearTimer();
    this.release();
    this.queue.end();
    // The stream left the connection: its unread messages no longer hold the connection's reading.
    this.queue.detach();
    this.pendingStatus = s;
    this.maybeDeliverStatus();
  }

  private localEnd(s: Status): void {
    if (this.done) return;
    this.clearTimer();
    this.ops = [];
    this.release();
    this.queue.drop();
    this.queue.end();
    this.pendingStatus = s;
    this.maybeDeliverStatus();
  }

  private maybeDeliverStatus(): void {
    if (this.done || !this.pendingStatus || this.queue.length > 0 || !this.listener) return;
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

/** activate runs the deferred activation of a started call (one shared function: no closure per call). */
function activate(call: DrpcClientCall): void {
  call.activate();
}

/** lastValues yields one pair per key with its last value (drpc metadata is a map; the last duplicate wins, as in Go). */
function lastValues(md: Iterable<[string, string]>): Array<[string, string]> {
  const m = new Map<string, string>();
  for (const [k, v] of md) m.set(k, v);
  return [...m];
}
