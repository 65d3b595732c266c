import type { CallRouter } from '../../call/call.js';
import { Code } from '../../status/code.js';
import type { Conn } from '../../transport/conn.js';
import { encodeErrorPayload } from './error-payload.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import { decodeInvokeMetadata } from './invoke-metadata.js';
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
 * unknown kind without the control bit, stream id 0. Streams over
 * `maxConcurrentStreams` are refused with the fork's Error text (code RESOURCE_EXHAUSTED).
 */
export class DrpcMuxServerSession extends DrpcServerSessionBase {
  private readonly streams = new Map<number, DrpcServerCall>();
  private readonly assemblers: StreamAssemblers;
  private readonly pendingMetadata = new Map<number, Map<string, string>>();

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
    if (!call && !this.assemblers.has(frame.streamId) && this.assemblers.size - this.streams.size >= MAX_PENDING_INVOKES) {
      return this.protocolFailure('too many streams being invoked at once');
    }
    const p = this.assemblers.push(frame);
    if (!p) return;
    if (call) {
      if (invoking) return this.protocolFailure(`${PacketKind[p.kind]} on existing stream ${p.streamId}`);
      return this.deliver(call, p);
    }
    this.onInvokePacket(p);
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
      try {
        this.pendingMetadata.set(id, decodeInvokeMetadata(p.data));
      } catch (e) {
        this.protocolFailure((e as Error).message);
      }
      return;
    }
    const md = this.pendingMetadata.get(id);
    this.pendingMetadata.delete(id);
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
