import type { ClientTransport } from '../../call/call.js';
import type { GatedQueue } from '../../call/read-gate.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import type { DrpcClientCall, DrpcStreamLink, StreamEnd } from './client-call.js';
import { DrpcClientSessionBase } from './client-session-base.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import type { DrpcSessionOptions } from './options.js';
import { StreamAssemblers } from './stream-assemblers.js';

const EMPTY = new Uint8Array(0);

/**
 * DrpcMuxClientSession runs the client role of a multiplexed drpc connection
 * (the CockroachDB fork's design, spec §15), with many concurrent streams
 * with ids 1, 2, 3… taken when a call starts. Frames are routed by stream id
 * to per-stream assemblers (message ids ordered per stream only); frames of
 * unknown or finished streams are dropped without keeping state. Packets are
 * written whole through the one writer queue, so frames of different streams
 * never interleave inside a packet.
 *
 * Cancelling a stream always sends Cancel (control bit) after whatever that
 * stream already queued and never closes the connection. Errors are scoped
 * as in the fork: Error/Cancel/Close/CloseSend packets, local cancels and
 * per-stream queue overflow end one stream; a lost connection (UNAVAILABLE),
 * corrupt frames or protocol violations (INTERNAL) end all of them.
 *
 * Only use it with a peer known to multiplex: an upstream peer closes the
 * connection on interleaved streams and there is no negotiation on the wire.
 */
export class DrpcMuxClientSession extends DrpcClientSessionBase implements ClientTransport {
  private readonly streams = new Map<number, DrpcClientCall>();
  private readonly assemblers: StreamAssemblers;

  /** constructor takes over a connection (it calls conn.start). */
  constructor(conn: Conn, options?: DrpcSessionOptions) {
    super(conn, options);
    this.assemblers = new StreamAssemblers({ maxPacketSize: this.opts.maxPacketSize });
    this.begin();
  }

  /** openStreams is the number of streams not yet released. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** acquire binds the call at once to a new stream id. */
  acquire(call: DrpcClientCall): void {
    if (this.closed) return this.failClosed(call);
    const streamId = ++this.lastStreamId;
    this.streams.set(streamId, call);
    const link: DrpcStreamLink = {
      streamId,
      gate: this.gate,
      write: (packets: Packet[], ack?: (written: boolean) => void) => {
        if (this.streams.get(streamId) === call) {
          if (call.firstPacket < 0) call.firstPacket = this.writer.queuedPackets;
          this.writer.push(packets, ack);
        }
      },
      end: (how: StreamEnd, nextMessageId: number) => this.end(streamId, call, how, nextMessageId),
    };
    call.bind(link);
  }

  /** abandon is never needed: calls are bound at once. */
  abandon(_call: DrpcClientCall): void {}

  /** largestQueue is the receive queue of the open stream holding the most unread bytes. */
  protected largestQueue(): GatedQueue | undefined {
    let best: DrpcClientCall | undefined;
    for (const c of this.streams.values()) if (!best || c.receiveQueue.queuedBytes > best.receiveQueue.queuedBytes) best = c;
    return best?.receiveQueue;
  }

  protected onFrame(frame: Frame): void {
    // Unknown control frames (e.g. the fork's WindowUpdate) bypass assembly: their message ids are unconstrained.
    if (frame.control && frame.kind > PacketKind.InvokeMetadata) return;
    const call = this.streams.get(frame.streamId);
    if (!call) {
      if (frame.done) this.droppedPackets++;
      return;
    }
    const p = this.assemblers.push(frame);
    if (!p) {
      if (this.assemblers.reservedBytes > this.opts.maxPendingBytes) this.overPendingBudget();
      return;
    }
    const violation = this.deliver(call, p);
    if (violation) this.protocolFailure(violation);
  }

  /** overPendingBudget fails the stream whose unfinished packet holds the most memory (it is cancelled on the wire). */
  private overPendingBudget(): void {
    const victim = this.assemblers.largestPartial();
    if (!victim) return;
    const call = this.streams.get(victim.streamId);
    this.assemblers.forget(victim.streamId);
    call?.cancel(status(Code.RESOURCE_EXHAUSTED, `drpc: unfinished messages on this connection exceed maxPendingBytes (${this.opts.maxPendingBytes} bytes)`));
  }

  protected failAll(s: Status): void {
    const calls = [...this.streams.values()];
    this.streams.clear();
    for (const c of calls) c.fail(this.lossStatus(c, s));
  }

  private end(streamId: number, call: DrpcClientCall, how: StreamEnd, nextMessageId: number): void {
    if (this.streams.get(streamId) !== call) return;
    if (how === 'cancel') this.writer.push([{ kind: PacketKind.Cancel, streamId, messageId: nextMessageId, control: true, data: EMPTY }]);
    this.streams.delete(streamId);
    this.assemblers.forget(streamId);
  }
}
