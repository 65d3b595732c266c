import { ReadGate, type ReadGateOptions, type ReadSource } from '../../call/read-gate.js';
import type { Conn } from '../../transport/conn.js';
import type { Frame } from './frame.js';
import type { FrameDecoder } from './frame-decoder.js';

/** ReaderHost is the session a SessionReader feeds. */
export interface ReaderHost {
  /** stopped is true once the session ended (nothing more is read). */
  readonly stopped: boolean;
  /** onFrame handles one decoded frame. */
  onFrame(frame: Frame): void;
  /** protocolFailure closes the connection for bytes that break the protocol. */
  protocolFailure(reason: string): void;
}

/**
 * SessionReader is the read side every drpc session shares (client and
 * server, upstream and multiplexed): it feeds received chunks to the frame
 * decoder and hands complete frames to the session until none is left or
 * the connection's ReadGate pauses reading; paused, it stops the connection
 * and keeps the decoder's memory bound, and on resume it first hands over
 * the frames it held back.
 */
export class SessionReader implements ReadSource {
  /** gate is the connection's receive backpressure. */
  readonly gate: ReadGate;
  /** framesReceived counts the frames handed to the session. */
  framesReceived = 0;

  /** constructor binds the reader to a decoder, a connection and its session. */
  constructor(
    private readonly decoder: FrameDecoder,
    private readonly conn: Conn,
    private readonly host: ReaderHost,
    gateOptions: ReadGateOptions,
  ) {
    this.gate = new ReadGate(this, gateOptions);
  }

  /** data takes one received chunk. */
  data(chunk: Uint8Array): void {
    if (this.host.stopped) return;
    try {
      this.decoder.push(chunk);
    } catch (e) {
      return this.host.protocolFailure((e as Error).message);
    }
    this.pull();
  }

  /** pause implements ReadSource: the connection stops delivering; the decoder keeps what it has. */
  pause(): void {
    this.conn.pause();
  }

  /** resume implements ReadSource: the frames held back first, then the connection, unless paused anew. */
  resume(): void {
    this.pull();
    if (!this.gate.paused && !this.host.stopped) this.conn.resume();
  }

  private pull(): void {
    const host = this.host;
    try {
      while (!this.gate.paused && !host.stopped) {
        const frame = this.decoder.next();
        if (frame === undefined) return;
        this.framesReceived++;
        host.onFrame(frame);
      }
      // Paused with complete frames left: keep the decoder's memory bound over what it still holds.
      this.decoder.trim();
    } catch (e) {
      host.protocolFailure((e as Error).message);
    }
  }
}
