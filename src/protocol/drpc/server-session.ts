import type { CallRouter } from '../../call/call.js';
import { Code } from '../../status/code.js';
import { status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import { encodeErrorPayload } from './error-payload.js';
import { MetadataTooLargeError, decodeInvokeMetadata } from './invoke-metadata.js';
import type { DrpcSessionOptions } from './options.js';
import { PacketAssembler } from './packet-assembler.js';
import type { DrpcServerCall } from './server-call.js';
import { DrpcServerSessionBase } from './server-session-base.js';

/**
 * DrpcServerSession runs the server role of one upstream drpc connection,
 * with the tolerance rules of the Go server (spec §6.2, §10, §12, §20.7):
 *
 *   - frames are assembled connection-wide (ids never go back; a kind change
 *     inside a packet, an oversize packet or a bad varint closes the
 *     connection);
 *   - an Invoke or InvokeMetadata for a higher stream id preempts the active
 *     stream: its handler is cancelled and nothing is sent about it; an
 *     Invoke or InvokeMetadata for the current stream id closes the connection;
 *   - InvokeMetadata attaches to the next Invoke of the same stream id only
 *     (the last one wins); invalid metadata closes the connection; metadata
 *     over maxMetadataEntries/maxMetadataBytes is answered with an Error
 *     packet (RESOURCE_EXHAUSTED) and that stream's Invoke is ignored;
 *   - Message/CloseSend/Close/Cancel/Error of the current stream go to its
 *     call; a trailing Close after the reply is ignored; Cancel and Close end
 *     the stream with CANCELLED and no reply;
 *   - packets of other kinds for a stream that was never invoked are ignored
 *     (Go wedges the connection there; we keep serving);
 *   - an unknown kind with the control bit is ignored, without it the
 *     connection closes.
 *
 * One handler runs at a time; a preempted handler may still be unwinding, but
 * nothing it writes reaches the wire.
 */
export class DrpcServerSession extends DrpcServerSessionBase {
  private readonly assembler: PacketAssembler;
  private current = 0;
  private call: DrpcServerCall | undefined;
  /** pendingMetadata waits for its stream's Invoke; md null: the stream was refused for its metadata. */
  private pendingMetadata: { streamId: number; md: Map<string, string> | null } | undefined;

  /** constructor takes over a connection and serves it until it closes. */
  constructor(conn: Conn, router: CallRouter, options?: DrpcSessionOptions, onEnd?: () => void) {
    super(conn, router, options, onEnd);
    this.assembler = new PacketAssembler({ maxPacketSize: this.opts.maxPacketSize });
    this.begin();
  }

  /** activeCalls is 1 while a call runs, else 0. */
  get activeCalls(): number {
    return this.call ? 1 : 0;
  }

  protected onFrame(frame: Frame): void {
    const p = this.assembler.push(frame);
    if (p) this.onPacket(p);
  }

  protected release(call: DrpcServerCall): void {
    if (this.call === call) this.call = undefined;
  }

  protected activeCallList(): DrpcServerCall[] {
    return this.call ? [this.call] : [];
  }

  private onPacket(p: Packet): void {
    if (!this.isKnownKind(p.kind)) {
      if (p.control) return void this.ignoredPackets++;
      return this.protocolFailure(`unknown packet kind ${p.kind}`);
    }
    const invoking = p.kind === PacketKind.Invoke || p.kind === PacketKind.InvokeMetadata;
    if (p.streamId < this.current) return void this.ignoredPackets++;
    if (p.streamId === this.current) {
      if (invoking) return this.protocolFailure(`${PacketKind[p.kind]} on existing stream ${p.streamId}`);
      if (this.call) this.deliver(this.call, p);
      else this.ignoredPackets++;
      return;
    }
    if (!invoking) return void this.ignoredPackets++;
    this.preempt();
    if (p.kind === PacketKind.InvokeMetadata) {
      if (this.pendingMetadata?.streamId === p.streamId && this.pendingMetadata.md === null) return;
      try {
        this.pendingMetadata = { streamId: p.streamId, md: decodeInvokeMetadata(p.data, this.opts) };
      } catch (e) {
        if (!(e instanceof MetadataTooLargeError)) return this.protocolFailure((e as Error).message);
        this.pendingMetadata = { streamId: p.streamId, md: null };
        const data = encodeErrorPayload(Code.RESOURCE_EXHAUSTED, `drpc: ${e.detail}`);
        this.writer.push([{ kind: PacketKind.Error, streamId: p.streamId, messageId: 1, control: false, data }]);
      }
      return;
    }
    const md = this.pendingMetadata?.streamId === p.streamId ? this.pendingMetadata.md : undefined;
    this.pendingMetadata = undefined;
    this.current = p.streamId;
    if (md === null) return void this.ignoredPackets++;
    const call = this.startCall(p.streamId, p.data, md);
    if (!call) return;
    this.call = call;
    this.router.handle(call);
  }

  private preempt(): void {
    const active = this.call;
    if (!active) return;
    this.call = undefined;
    active.cancelWith(status(Code.CANCELLED, 'drpc: stream preempted by a newer stream'), false);
  }
}
