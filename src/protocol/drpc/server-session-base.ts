import type { CallRouter } from '../../call/call.js';
import type { ReadGate } from '../../call/read-gate.js';
import { Metadata } from '../../metadata/metadata.js';
import { Code } from '../../status/code.js';
import { status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import { encodeErrorPayload } from './error-payload.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { DrpcFrameWriter } from './frame-writer.js';
import { type DrpcSessionOptions, type ResolvedDrpcOptions, resolveDrpcOptions, splitRpcName } from './options.js';
import { DrpcServerCall, type DrpcServerCallHost } from './server-call.js';
import { SessionReader } from './session-reader.js';
import { errorPayloadToStatus } from './status-map.js';

const utf8 = new TextDecoder();

/**
 * DrpcServerSessionBase is what the upstream and the multiplexed server
 * sessions share: the connection, the writer queue, the frame decoder, call
 * creation through a CallRouter (an unknown rpc is answered with Go's text
 * `protocol error: unknown rpc: "<name>"` and code 12 UNIMPLEMENTED, where Go
 * sends code 0; the connection is kept), the
 * stream-scoped packets of a running call, and the connection-scoped
 * failures: a protocol violation closes the connection without an Error
 * packet (as Go does), and a closed connection cancels every call.
 */
export abstract class DrpcServerSessionBase {
  /** writer is the connection's one writer queue. */
  protected readonly writer: DrpcFrameWriter;
  /** opts are the resolved options. */
  protected readonly opts: ResolvedDrpcOptions;
  /** host is the DrpcServerCallHost handed to calls. */
  protected readonly host: DrpcServerCallHost;
  private readonly decoder: FrameDecoder;
  private ended = false;
  /** gate is the connection's receive backpressure (README "Limits and backpressure"). */
  readonly gate: ReadGate;
  /** protocolError holds the reason when the session closed the connection for a protocol violation. */
  protocolError: string | undefined;
  /** ignoredPackets counts packets dropped without effect. */
  ignoredPackets = 0;
  private readonly reader: SessionReader;

  /** constructor takes over a connection; serving starts when the subclass calls begin(). */
  constructor(
    protected readonly conn: Conn,
    protected readonly router: CallRouter,
    options?: DrpcSessionOptions,
    private readonly onEnd?: () => void,
  ) {
    this.opts = resolveDrpcOptions(options);
    this.writer = new DrpcFrameWriter(conn, this.opts.splitSize, this.opts.defer, this.opts.writeBufferSize);
    this.decoder = new FrameDecoder({ maxFrameSize: this.opts.maxPacketSize });
    const session = this;
    const host = {
      get stopped() {
        return session.ended;
      },
      onFrame: (f: Frame) => this.onFrame(f),
      protocolFailure: (reason: string) => this.protocolFailure(reason),
    };
    this.reader = new SessionReader(this.decoder, conn, host, {
      stallTimeoutMs: this.opts.receiveStallTimeoutMs,
      maxConnectionBytes: this.opts.maxConnectionQueuedBytes,
      largest: () => {
        let best: DrpcServerCall | undefined;
        for (const c of this.activeCallList()) if (!best || c.queue.queuedBytes > best.queue.queuedBytes) best = c;
        return best?.queue;
      },
    });
    this.gate = this.reader.gate;
    // A peer that does not read its replies gets no new requests read either: memory stays bounded.
    this.writer.maxPendingWriteBytes = this.opts.maxPendingWriteBytes;
    this.writer.onBlocked = (blocked) => (blocked ? this.gate.hold() : this.gate.release());
    this.host = {
      maxPacketSize: this.opts.maxPacketSize,
      write: (packets, ack) => this.writer.push(packets, ack),
      release: (call) => this.release(call),
      gate: this.gate,
    };
  }

  /** begin starts reading the connection; subclasses call it last in their constructor. */
  protected begin(): void {
    this.conn.start({
      onData: (chunk) => this.reader.data(chunk),
      onClose: () => this.shutdown(),
      onDrain: () => this.writer.drained(),
    });
  }

  /** writeStats counts packets written and the coalesced connection writes that carried them. */
  get writeStats(): { packets: number; writes: number } {
    return { packets: this.writer.packetsWritten, writes: this.writer.writes };
  }

  /** closed is true once the connection is gone. */
  get closed(): boolean {
    return this.ended;
  }

  /** framesReceived counts the frames received (a connection guard watches it for progress). */
  get framesReceived(): number {
    return this.reader.framesReceived;
  }

  /** partialFrame tells whether part of a frame arrived and the rest is awaited (false while the session itself pauses reading). */
  get partialFrame(): boolean {
    return !this.gate.paused && this.decoder.buffered > 0;
  }

  /** close flushes pending packets and closes the connection; running calls are cancelled. */
  close(): void {
    this.writer.flushNow();
    this.conn.close();
    this.shutdown();
  }

  /** onFrame handles one decoded frame. */
  protected abstract onFrame(frame: Frame): void;

  /** release forgets a call that wrote its last packet or was cancelled. */
  protected abstract release(call: DrpcServerCall): void;

  /** activeCallList lists the calls to cancel when the connection goes away. */
  protected abstract activeCallList(): DrpcServerCall[];

  private lastRpcBytes: Uint8Array = new Uint8Array(0);
  private lastRpc = '';
  private lastName: { service: string; method: string } | undefined = undefined;

  /** rpcName decodes an Invoke's rpc name and splits it into lastName; a repeat of the previous call's name is neither decoded nor split again. */
  private rpcName(data: Uint8Array): string {
    const last = this.lastRpcBytes;
    if (data.length === last.length && data.length <= 256) {
      let same = true;
      for (let i = 0; i < data.length; i++) {
        if (data[i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastRpc;
    }
    const rpc = utf8.decode(data);
    this.lastRpcBytes = data.slice();
    this.lastRpc = rpc;
    this.lastName = splitRpcName(rpc);
    return rpc;
  }

  /** startCall looks the rpc up and starts a call, or answers an unknown rpc; returns the call or undefined. */
  protected startCall(streamId: number, rpcData: Uint8Array, md: Map<string, string> | undefined): DrpcServerCall | undefined {
    const rpc = this.rpcName(rpcData);
    const name = this.lastName;
    const kind = name ? this.router.lookup(name.service, name.method) : status(Code.UNIMPLEMENTED, rpc);
    if (typeof kind !== 'string') {
      // Go's text, with UNIMPLEMENTED as the code (Go's upstream server sends code 0) so that drpcerr.Code tells what happened.
      const data = kind.code === Code.UNIMPLEMENTED ? encodeErrorPayload(Code.UNIMPLEMENTED, `protocol error: unknown rpc: ${JSON.stringify(rpc)}`) : encodeErrorPayload(kind.code, kind.message);
      this.writer.push([{ kind: PacketKind.Error, streamId, messageId: 1, control: false, data }]);
      return undefined;
    }
    const metadata = new Metadata();
    if (md) for (const [k, v] of md) metadata.append(k, v);
    const call = new DrpcServerCall(this.host, streamId, rpc, kind, metadata, this.conn.remoteAddress, this.opts.maxQueuedMessages, this.opts.maxQueuedBytes);
    return call;
  }

  /** deliver applies a Message, CloseSend, Close, Cancel or Error packet to a running call. */
  protected deliver(call: DrpcServerCall, p: Packet): void {
    switch (p.kind) {
      case PacketKind.Message:
        return call.onMessage(p.data);
      case PacketKind.CloseSend:
        return call.onCloseSend();
      case PacketKind.Close:
        return call.cancelWith(status(Code.CANCELLED, 'drpc: stream closed by the client'), false);
      case PacketKind.Cancel:
        return call.cancelWith(status(Code.CANCELLED, 'drpc: stream cancelled by the client'), false);
      case PacketKind.Error:
        return call.cancelWith(status(Code.CANCELLED, `drpc: client sent an error: ${errorPayloadToStatus(p.data).message}`), false);
      default:
        this.ignoredPackets++;
    }
  }

  /** isKnownKind tells whether a kind is one of drpc's seven packet kinds. */
  protected isKnownKind(kind: number): boolean {
    return kind >= PacketKind.Invoke && kind <= PacketKind.InvokeMetadata;
  }

  /** protocolFailure closes the connection at once (queued replies are flushed first); every call is cancelled. */
  protected protocolFailure(reason: string): void {
    if (this.ended) return;
    this.protocolError = reason;
    this.writer.flushNow();
    this.conn.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.ended) return;
    this.ended = true;
    const s = status(Code.CANCELLED, 'drpc: connection closed');
    for (const c of this.activeCallList()) c.cancelWith(s, false);
    this.gate.close();
    // Calls that finished but whose last packets were still waiting end now (their acknowledgement is released as not written).
    this.writer.connectionClosed();
    this.onEnd?.();
  }
}
