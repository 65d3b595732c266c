import type { CallOptions, ClientCall, MethodKind } from '../../call/call.js';
import type { GatedQueue, ReadGate } from '../../call/read-gate.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import { type DrpcCallHost, DrpcClientCall } from './client-call.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { DrpcFrameWriter } from './frame-writer.js';
import { SessionReader } from './session-reader.js';
import { type DrpcSessionOptions, type ResolvedDrpcOptions, resolveDrpcOptions } from './options.js';

/**
 * DrpcClientSessionBase is what the upstream and the multiplexed client
 * sessions share: the connection, the writer queue, the frame decoder, and
 * the connection-scoped failure paths. A lost or closed connection ends every
 * call with UNAVAILABLE; bytes that break the protocol end every call with
 * INTERNAL and close the connection (no Error packet, as Go does).
 */
export abstract class DrpcClientSessionBase implements DrpcCallHost {
  /** writer is the connection's one writer queue. */
  protected readonly writer: DrpcFrameWriter;
  /** opts are the resolved options. */
  protected readonly opts: ResolvedDrpcOptions;
  private readonly decoder: FrameDecoder;
  private closeStatus: Status | undefined;
  // The status of calls that wrote nothing when the connection was lost or closed: closeStatus marked unsent (UNAVAILABLE only).
  private unsentStatus: Status | undefined;
  private readonly closeCallbacks: Array<(error?: Error) => void> = [];
  /** gate is the connection's receive backpressure (README "Limits and backpressure"). */
  readonly gate: ReadGate;
  private readonly reader: SessionReader;
  /** lastStreamId is the highest stream id handed to a call so far. */
  lastStreamId = 0;
  /** droppedPackets counts packets for streams that are finished or unknown. */
  droppedPackets = 0;

  /** constructor takes over a connection (reading starts when the subclass calls begin()). */
  constructor(
    protected readonly conn: Conn,
    options?: DrpcSessionOptions,
  ) {
    this.opts = resolveDrpcOptions(options);
    this.writer = new DrpcFrameWriter(conn, this.opts.splitSize, this.opts.defer, this.opts.writeBufferSize);
    this.decoder = new FrameDecoder({ maxFrameSize: this.opts.maxPacketSize });
    const session = this;
    const host = {
      get stopped() {
        return session.closed;
      },
      onFrame: (f: Frame) => this.onFrame(f),
      protocolFailure: (reason: string) => this.protocolFailure(reason),
    };
    this.reader = new SessionReader(this.decoder, conn, host, {
      stallTimeoutMs: this.opts.receiveStallTimeoutMs,
      maxConnectionBytes: this.opts.maxConnectionQueuedBytes,
      largest: () => this.largestQueue(),
    });
    this.gate = this.reader.gate;
  }

  /** largestQueue is the receive queue of the open call holding the most unread bytes. */
  protected abstract largestQueue(): GatedQueue | undefined;

  /** begin starts reading the connection; subclasses call it last in their constructor. */
  protected begin(): void {
    this.conn.start({
      onData: (chunk) => this.reader.data(chunk),
      onClose: (err) => this.shutdown(status(Code.UNAVAILABLE, err ? `drpc: connection lost: ${err.message}` : 'drpc: connection closed'), err),
      onDrain: () => this.writer.drained(),
    });
  }

  /** maxPacketSize bounds outgoing messages (DrpcCallHost). */
  get maxPacketSize(): number {
    return this.opts.maxPacketSize;
  }

  /** maxQueuedMessages bounds unread messages per call (DrpcCallHost). */
  get maxQueuedMessages(): number {
    return this.opts.maxQueuedMessages;
  }

  /** maxQueuedBytes bounds unread bytes per call (DrpcCallHost). */
  get maxQueuedBytes(): number {
    return this.opts.maxQueuedBytes;
  }

  /** closed is true once the connection is unusable. */
  get closed(): boolean {
    return this.closeStatus !== undefined;
  }

  /** closedStatus is the status open calls failed with, once closed. */
  get closedStatus(): Status | undefined {
    return this.closeStatus;
  }

  /** writeStats counts packets written and the coalesced connection writes that carried them. */
  get writeStats(): { packets: number; writes: number } {
    return { packets: this.writer.packetsWritten, writes: this.writer.writes };
  }

  /** createCall prepares a call; it gets a stream when started. */
  createCall(method: string, kind: MethodKind, options: CallOptions = {}): ClientCall & DrpcClientCall {
    return new DrpcClientCall(this, method, kind, options);
  }

  /** onClose registers a callback run once when the connection closes. */
  onClose(cb: (error?: Error) => void): void {
    if (this.closeStatus) queueMicrotask(() => cb());
    else this.closeCallbacks.push(cb);
  }

  /** close flushes pending packets and closes the connection; open calls fail with UNAVAILABLE. */
  close(): void {
    if (this.closeStatus) return;
    this.writer.flushNow();
    this.conn.close();
    this.shutdown(status(Code.UNAVAILABLE, 'drpc: client closed'));
  }

  /** acquire finds a stream for a call (DrpcCallHost). */
  abstract acquire(call: DrpcClientCall): void;

  /** abandon forgets a call that ended unbound (DrpcCallHost). */
  abstract abandon(call: DrpcClientCall): void;

  /** onFrame routes one decoded frame. */
  protected abstract onFrame(frame: Frame): void;

  /** failAll ends every call of the session with `s` (connection gone). */
  protected abstract failAll(s: Status): void;

  /** deliver applies a complete packet to its call, or reports a protocol violation (returns its text). */
  protected deliver(call: DrpcClientCall | undefined, p: Packet): string | undefined {
    if (p.kind < PacketKind.Invoke || p.kind > PacketKind.InvokeMetadata) return p.control ? undefined : `unknown packet kind ${p.kind}`;
    if (p.kind === PacketKind.Invoke || p.kind === PacketKind.InvokeMetadata) return `the server sent ${PacketKind[p.kind]}`;
    if (!call) {
      this.droppedPackets++;
      return undefined;
    }
    call.onPacket(p.kind, p.data);
    return undefined;
  }

  /** protocolFailure closes the connection because the peer broke the protocol; calls end with INTERNAL. */
  protected protocolFailure(reason: string): void {
    if (this.closeStatus) return;
    this.shutdown(status(Code.INTERNAL, `drpc: ${reason}`));
    this.conn.destroy();
  }

  /** fail reports a call that asked for a stream on a closed session, on a later microtask. */
  protected failClosed(call: DrpcClientCall): void {
    const s = this.unsentStatus ?? this.closeStatus ?? status(Code.UNAVAILABLE, 'drpc: connection closed');
    queueMicrotask(() => call.fail(s));
  }

  /** lossStatus is the status a call fails with when the connection goes: `s`, marked unsent when UNAVAILABLE and no packet of the call was passed to conn.write. */
  protected lossStatus(call: DrpcClientCall, s: Status): Status {
    const first = call.firstPacket;
    if (this.unsentStatus === undefined || (first >= 0 && first < this.writer.handedPackets)) return s;
    return this.unsentStatus;
  }

  private shutdown(s: Status, err?: Error): void {
    if (this.closeStatus) return;
    this.closeStatus = s;
    if (s.code === Code.UNAVAILABLE) this.unsentStatus = { ...s, unsent: true };
    this.failAll(s);
    this.gate.close();
    this.writer.connectionClosed();
    for (const cb of this.closeCallbacks.splice(0)) cb(err);
  }
}
