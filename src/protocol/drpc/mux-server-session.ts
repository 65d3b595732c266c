import type { CallRouter } from '../../call/call.js';
import { Code } from '../../status/code.js';
import { status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import { encodeErrorPayload } from './error-payload.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import { MetadataTooLargeError, decodeInvokeMetadata } from './invoke-metadata.js';
import type { DrpcSessionOptions } from './options.js';
import type { DrpcServerCall } from './server-call.js';
import { DrpcServerSessionBase } from './server-session-base.js';
import { StreamAssemblers } from './stream-assemblers.js';

/** MAX_PENDING_INVOKES bounds the streams whose InvokeMetadata/Invoke is still being assembled. */
const MAX_PENDING_INVOKES = 1024;

/**
 * DrpcMuxServerSession runs the server role of a multiplexed drpc connection
 * (the CockroachDB fork's design, spec §15): one handler per stream, all
 * concurrent. Frames are routed by stream id: to the running call's
 * assembler; to a per-stream invoke assembler for InvokeMetadata/Invoke of a
 * new stream id (metadata waits for its own stream's Invoke); otherwise they
 * are dropped (unknown or finished streams). Each stream has a bounded
 * receive queue, so a handler that does not read never stalls the others; it
 * fails alone with RESOURCE_EXHAUSTED when its queue overflows.
 *
 * Connection-scoped violations close the connection: corrupt frames, message
 * ids going back within a stream, a kind change inside a packet, an oversize
 * packet, an Invoke/InvokeMetadata on a running stream, invalid metadata, an
 * unknown kind without the control bit, stream id 0. Metadata over
 * maxMetadataEntries/maxMetadataBytes refuses its stream alone (an Error
 * packet, RESOURCE_EXHAUSTED; its Invoke is then ignored). Streams over
 * `maxConcurrentStreams` are refused with the fork's Error text (code RESOURCE_EXHAUSTED).
 */
export class DrpcMuxServerSession extends DrpcServerSessionBase {
  private readonly streams = new Map<number, DrpcServerCall>();
  private readonly assemblers: StreamAssemblers;
  /** pendingMetadata waits for each stream's Invoke; null: the stream was refused for its metadata. */
  private readonly pendingMetadata = new Map<number, Map<string, string> | null>();

  /** constructor takes over a connection and serves it until it closes. */
  constructor(conn: Conn, router: CallRouter, options?: DrpcSessionOptions, onEnd?: () => void) {
    super(conn, router, options, onEnd);
    this.assemblers = new StreamAssemblers({ maxPacketSize: this.opts.maxPacketSize });
    this.begin();
  }

  /** activeCalls is the number of running calls. */
  get activeCalls(): number {
    return this.streams.size;
  }

  protected onFrame(frame: Frame): void {
    if (!this.isKnownKind(frame.kind)) {
      if (frame.control) return void this.ignoredPackets++;
      return this.protocolFailure(`unknown packet kind ${frame.kind}`);
    }
    const call = this.streams.get(frame.streamId);
    const invoking = frame.kind === PacketKind.Invoke || frame.kind === PacketKind.InvokeMetadata;
    if (!call && !invoking) return void this.ignoredPackets++;
    if (!call && this.pendingMetadata.get(frame.streamId) === null) {
      // A refused stream (metadata or pending budget): its invoke frames are dropped unassembled; the Invoke's last frame ends the refusal.
      if (frame.done && frame.kind === PacketKind.Invoke) {
        this.pendingMetadata.delete(frame.streamId);
        this.assemblers.forget(frame.streamId); // a metadata refusal kept it counted as being invoked until now
      }
      return void this.ignoredPackets++;
    }
    if (!call && !this.assemblers.has(frame.streamId) && this.assemblers.size - this.streams.size >= MAX_PENDING_INVOKES) {
      return this.protocolFailure('too many streams being invoked at once');
    }
    const p = this.assemblers.push(frame);
    if (!p) {
      if (this.assemblers.reservedBytes > this.opts.maxPendingBytes) this.overPendingBudget();
      return;
    }
    if (call) {
      if (invoking) return this.protocolFailure(`${PacketKind[p.kind]} on existing stream ${p.streamId}`);
      return this.deliver(call, p);
    }
    this.onInvokePacket(p);
  }

  /** overPendingBudget fails the stream whose unfinished packet holds the most memory: a running call with an Error packet, a stream still being invoked is refused. */
  private overPendingBudget(): void {
    const victim = this.assemblers.largestPartial();
    if (!victim) return;
    const id = victim.streamId;
    const s = status(Code.RESOURCE_EXHAUSTED, `drpc: unfinished messages on this connection exceed maxPendingBytes (${this.opts.maxPendingBytes} bytes)`);
    this.assemblers.forget(id);
    const call = this.streams.get(id);
    if (call) return call.cancelWith(s, true);
    // Not invoked yet: refuse the stream; its later invoke frames are ignored.
    this.pendingMetadata.set(id, null);
    this.writer.push([{ kind: PacketKind.Error, streamId: id, messageId: 1, control: false, data: encodeErrorPayload(s.code, s.message) }]);
  }

  protected release(call: DrpcServerCall): void {
    if (this.streams.get(call.streamId) !== call) return;
    this.streams.delete(call.streamId);
    this.assemblers.forget(call.streamId);
  }

  protected activeCallList(): DrpcServerCall[] {
    return [...this.streams.values()];
  }

  private onInvokePacket(p: Packet): void {
    const id = p.streamId;
    if (p.kind === PacketKind.InvokeMetadata) {
      if (this.pendingMetadata.get(id) === null) return;
      try {
        this.pendingMetadata.set(id, decodeInvokeMetadata(p.data, this.opts));
      } catch (e) {
        if (!(e instanceof MetadataTooLargeError)) return this.protocolFailure((e as Error).message);
        this.pendingMetadata.set(id, null);
        const data = encodeErrorPayload(Code.RESOURCE_EXHAUSTED, `drpc: ${e.detail}`);
        this.writer.push([{ kind: PacketKind.Error, streamId: id, messageId: 1, control: false, data }]);
      }
      return;
    }
    const md = this.pendingMetadata.get(id);
    this.pendingMetadata.delete(id);
    if (md === null) {
      this.assemblers.forget(id);
      return void this.ignoredPackets++;
    }
    if (this.streams.size >= this.opts.maxConcurrentStreams) {
      this.assemblers.forget(id);
      const max = this.opts.maxConcurrentStreams;
      const data = encodeErrorPayload(Code.RESOURCE_EXHAUSTED, `too many concurrent streams: refused: at most ${max} concurrent streams`);
      return this.writer.push([{ kind: PacketKind.Error, streamId: id, messageId: 1, control: false, data }]);
    }
    const call = this.startCall(id, p.data, md);
    if (!call) return this.assemblers.forget(id);
    this.streams.set(id, call);
    this.router.handle(call);
  }
}
