import type { ClientTransport } from '../../call/call.js';
import type { Status } from '../../status/status.js';
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
      write: (packets: Packet[], ack?: () => void) => {
        if (this.streams.get(streamId) === call) this.writer.push(packets, ack);
      },
      end: (how: StreamEnd, nextMessageId: number) => this.end(streamId, call, how, nextMessageId),
    };
    call.bind(link);
  }

  /** abandon is never needed: calls are bound at once. */
  abandon(_call: DrpcClientCall): void {}

  protected onFrame(frame: Frame): void {
    // Unknown control frames (e.g. the fork's WindowUpdate) bypass assembly: their message ids are unconstrained.
    if (frame.control && frame.kind > PacketKind.InvokeMetadata) return;
    const call = this.streams.get(frame.streamId);
    if (!call) {
      if (frame.done) this.droppedPackets++;
      return;
    }
    const p = this.assemblers.push(frame);
    if (!p) return;
    const violation = this.deliver(call, p);
    if (violation) this.protocolFailure(violation);
  }

  protected failAll(s: Status): void {
    const calls = [...this.streams.values()];
    this.streams.clear();
    for (const c of calls) c.fail(s);
  }

  private end(streamId: number, call: DrpcClientCall, how: StreamEnd, nextMessageId: number): void {
    if (this.streams.get(streamId) !== call) return;
    if (how === 'cancel') this.writer.push([{ kind: PacketKind.Cancel, streamId, messageId: nextMessageId, control: true, data: EMPTY }]);
    this.streams.delete(streamId);
    this.assemblers.forget(streamId);
  }
}
