import type { ClientTransport } from '../../call/call.js';
import type { GatedQueue } from '../../call/read-gate.js';
import type { Status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import type { DrpcClientCall, DrpcStreamLink, StreamEnd } from './client-call.js';
import { DrpcClientSessionBase } from './client-session-base.js';
import { type Frame, type Packet, PacketKind } from './frame.js';
import type { DrpcSessionOptions } from './options.js';
import { PacketAssembler } from './packet-assembler.js';

const EMPTY = new Uint8Array(0);

/**
 * DrpcClientSession runs the client role of one upstream drpc connection:
 * one stream at a time (spec §12). Stream ids are 1, 2, 3… in the order calls
 * get the connection; calls started while a stream is active wait in a FIFO
 * queue. The connection passes to the next call once the active stream is
 * finished on the wire: the server ended it (CloseSend after ours, Error,
 * Close, Cancel), or the call abandoned it. Abandoning follows the cancel
 * mode: 'soft' (default) sends Cancel with the control bit (flag 0x89) and
 * hands the connection on at once — every Go server honours it, and packets
 * the server wrote for the old stream are dropped; 'hard' closes the
 * connection as Go's default does (waiting calls fail with UNAVAILABLE).
 * Received frames are assembled connection-wide with Go's reader rules; a
 * violation closes the connection and fails calls with INTERNAL.
 *
 * A pool drives the session through `idle`, `attach` and `onIdle` instead of
 * its own queue.
 */
export class DrpcClientSession extends DrpcClientSessionBase implements ClientTransport {
  private readonly assembler: PacketAssembler;
  private active: DrpcClientCall | undefined;
  private activeId = 0;
  private readonly waiting: DrpcClientCall[] = [];
  /** onIdle runs each time the connection becomes free with no call waiting (the pool's hook). */
  onIdle: (() => void) | undefined;

  /** constructor takes over a connection (it calls conn.start). */
  constructor(conn: Conn, options?: DrpcSessionOptions) {
    super(conn, options);
    this.assembler = new PacketAssembler({ maxPacketSize: this.opts.maxPacketSize });
    this.begin();
  }

  /** idle is true when the connection is open and no stream is active. */
  get idle(): boolean {
    return !this.closed && this.active === undefined;
  }

  /** waitingCalls is the number of calls queued for the connection. */
  get waitingCalls(): number {
    return this.waiting.length;
  }

  /** acquire binds the call now if the connection is free, else queues it (FIFO). */
  acquire(call: DrpcClientCall): void {
    if (this.closed) return this.failClosed(call);
    if (this.active === undefined && this.waiting.length === 0) this.attach(call);
    else this.waiting.push(call);
  }

  /** abandon removes a call that ended while waiting. */
  abandon(call: DrpcClientCall): void {
    const i = this.waiting.indexOf(call);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** attach gives the free connection to a call with the next stream id; throws if a stream is active. */
  attach(call: DrpcClientCall): void {
    if (this.active !== undefined) throw new Error('drpc: attach while a stream is active');
    if (this.closed) return this.failClosed(call);
    const streamId = ++this.lastStreamId;
    this.active = call;
    this.activeId = streamId;
    const link: DrpcStreamLink = {
      streamId,
      gate: this.gate,
      write: (packets: Packet[], ack?: (written: boolean) => void) => {
        if (this.active === call) {
          if (call.firstPacket < 0) call.firstPacket = this.writer.queuedPackets;
          this.writer.push(packets, ack);
        }
      },
      end: (how: StreamEnd, nextMessageId: number) => this.end(call, how, nextMessageId),
    };
    call.bind(link);
  }

  /** largestQueue is the active call's receive queue (one stream at a time). */
  protected largestQueue(): GatedQueue | undefined {
    return this.active?.receiveQueue;
  }

  protected onFrame(frame: Frame): void {
    const p = this.assembler.push(frame);
    if (!p) return;
    if (p.streamId > this.lastStreamId) return this.protocolFailure(`packet for stream ${p.streamId}, which was never opened`);
    const violation = this.deliver(p.streamId === this.activeId ? this.active : undefined, p);
    if (violation) this.protocolFailure(violation);
  }

  protected failAll(s: Status): void {
    const calls = [...(this.active ? [this.active] : []), ...this.waiting.splice(0)];
    this.active = undefined;
    for (const c of calls) c.fail(this.lossStatus(c, s));
  }

  private end(call: DrpcClientCall, how: StreamEnd, nextMessageId: number): void {
    if (this.active !== call) return;
    if (how === 'cancel') {
      if (this.opts.cancel === 'hard') {
        this.active = undefined;
        return this.close();
      }
      this.writer.push([{ kind: PacketKind.Cancel, streamId: this.activeId, messageId: nextMessageId, control: true, data: EMPTY }]);
    }
    this.active = undefined;
    const next = this.waiting.shift();
    if (next) this.attach(next);
    else this.onIdle?.();
  }
}
