import type { CallOptions, ClientCall, ClientTransport, MethodKind } from '../../call/call.js';
import { ReadGate } from '../../call/read-gate.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import { type ClientCallHost, TtrpcClientCall } from './client-call.js';
import { pauseReading, resumeReading } from './session-reading.js';
import { FrameDecoder } from './decoder.js';
import { decodeResponse, encodeRequestPrefix } from './envelope.js';
import { type Frame, MessageType } from './frame.js';
import { FrameWriter, type WriteAck } from './frame-writer.js';
import { StreamTable } from './stream-table.js';
import { type ResolvedTtrpcOptions, type TtrpcSessionOptions, resolveTtrpcOptions, splitMethod } from './options.js';

const MAX_STREAM_ID = 0xffffffff;

/** MAX_CACHED_PREFIXES bounds the per-connection cache of encoded method names (a proxy may call arbitrarily many). */
const MAX_CACHED_PREFIXES = 1024;

const NO_OPTIONS: CallOptions = {};

/**
 * TtrpcClientSession runs the client role of one ttrpc connection: it assigns
 * odd, strictly increasing stream ids when a call's first frame is written,
 * routes Response and Data frames to their calls, drops frames for unknown or
 * finished ids, and fails every open call with UNAVAILABLE when the
 * connection goes away.
 */
export class TtrpcClientSession implements ClientTransport {
  private readonly streams = new StreamTable<TtrpcClientCall>();
  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;
  private readonly opts: ResolvedTtrpcOptions;
  private nextId = 1;
  private closeStatus: Status | undefined;
  // The status of calls that wrote nothing when the connection closed: closeStatus marked unsent.
  private unsentStatus: Status | undefined;
  private readonly closeCallbacks: Array<(error?: Error) => void> = [];
  private readonly host: ClientCallHost;
  private readonly prefixes = new Map<string, Uint8Array>();
  /** gate is the connection's receive backpressure (README "Limits and backpressure"). */
  readonly gate: ReadGate;
  /** droppedFrames counts frames for unknown or finished streams. */
  droppedFrames = 0;

  /** constructor takes over a connection (it calls conn.start). */
  constructor(
    private readonly conn: Conn,
    options?: TtrpcSessionOptions,
  ) {
    this.opts = resolveTtrpcOptions(options);
    this.writer = new FrameWriter(conn, this.opts.defer, this.opts.writeBufferSize);
    const writer = this.writer;
    this.gate = new ReadGate(
      { pause: () => pauseReading(this.decoder, conn), resume: () => resumeReading(this.decoder, conn) },
      {
        stallTimeoutMs: this.opts.receiveStallTimeoutMs,
        maxConnectionBytes: this.opts.maxConnectionQueuedBytes,
        largest: () => {
          let best: TtrpcClientCall | undefined;
          for (const c of this.streams.values()) if (!best || c.queuedBytes > best.queuedBytes) best = c;
          return best?.receiveQueue;
        },
      },
    );
    this.host = {
      maxMessageLength: this.opts.maxMessageLength,
      maxQueuedMessages: this.opts.maxQueuedMessages,
      maxQueuedBytes: this.opts.maxQueuedBytes,
      gate: this.gate,
      open: (c: TtrpcClientCall) => this.open(c),
      forget: (id: number) => void this.streams.delete(id),
      write: (id: number, type: number, flags: number, data: Uint8Array, ack?: WriteAck) => writer.push(id, type, flags, data, ack),
      writeField: (id: number, type: number, flags: number, prefix: Uint8Array, tag: number, payload: Uint8Array, ack?: WriteAck) =>
        writer.pushField(id, type, flags, prefix, tag, payload, ack),
      requestPrefix: (method: string) => this.requestPrefix(method),
      closedStatus: () => this.unsentStatus,
      nextFrame: () => writer.queuedFrames,
    };
    this.decoder = new FrameDecoder({
      maxMessageLength: this.opts.maxMessageLength,
      onFrame: (f) => this.onFrame(f),
      onOversize: (o) => this.streams.get(o.streamId)?.fail(status(Code.RESOURCE_EXHAUSTED, `message length ${o.length} exceed maximum message size of ${this.opts.maxMessageLength}`)),
    });
    conn.start({
      onData: (chunk) => this.onData(chunk),
      onClose: (err) => this.shutdown(status(Code.UNAVAILABLE, err ? `ttrpc: connection lost: ${err.message}` : 'ttrpc: closed'), err),
      onDrain: () => this.writer.drained(),
      readTarget: () => this.decoder.readTarget(),
    });
  }

  /** closed is true once the connection is unusable. */
  get closed(): boolean {
    return this.closeStatus !== undefined;
  }

  /** writeStats counts frames written and the coalesced connection writes that carried them. */
  get writeStats(): { frames: number; writes: number } {
    return { frames: this.writer.framesWritten, writes: this.writer.writes };
  }

  /** openStreams is the number of calls waiting for frames. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** createCall prepares a call; it takes a stream id when its first frame is written. */
  createCall(method: string, kind: MethodKind, options: CallOptions = NO_OPTIONS): ClientCall {
    return new TtrpcClientCall(this.host, method, kind, options);
  }

  /** onClose registers a callback run once when the connection closes. */
  onClose(cb: (error?: Error) => void): void {
    if (this.closeStatus) queueMicrotask(() => cb());
    else this.closeCallbacks.push(cb);
  }

  /** close flushes pending frames and closes the connection; open calls fail with UNAVAILABLE. */
  close(): void {
    if (this.closeStatus) return;
    this.writer.flushNow();
    this.conn.close();
    this.shutdown(status(Code.UNAVAILABLE, 'ttrpc: client closed'));
  }

  private requestPrefix(method: string): Uint8Array {
    let p = this.prefixes.get(method);
    if (p === undefined) {
      const { service, method: name } = splitMethod(method);
      p = encodeRequestPrefix(service, name);
      if (this.prefixes.size < MAX_CACHED_PREFIXES) this.prefixes.set(method, p);
    }
    return p;
  }

  private open(call: TtrpcClientCall): number {
    if (this.closeStatus || this.nextId > MAX_STREAM_ID) return 0;
    const id = this.nextId;
    this.nextId += 2;
    this.streams.set(id, call);
    return id;
  }

  private onData(chunk: Uint8Array): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      this.conn.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private onFrame(f: Frame): void {
    const call = this.streams.get(f.streamId);
    if (!call) {
      this.droppedFrames++;
      return;
    }
    if (f.type === MessageType.Response) {
      let res;
      try {
        res = decodeResponse(f.data);
      } catch (e) {
        return call.fail(status(Code.INTERNAL, `ttrpc: invalid response: ${(e as Error).message}`));
      }
      call.onResponse(res.status ? status(res.status.code, res.status.message, res.status.details) : undefined, res.payload);
    } else if (f.type === MessageType.Data) {
      call.onData(f.flags, f.data);
    } else {
      this.droppedFrames++;
    }
  }

  private shutdown(s: Status, err?: Error): void {
    if (this.closeStatus) return;
    this.closeStatus = s;
    const unsent: Status = { ...s, unsent: true };
    this.unsentStatus = unsent;
    const calls = this.streams.values();
    this.streams.clear();
    // A call whose Request frame was never passed to conn.write wrote no byte: it fails marked unsent.
    const handed = this.writer.handedFrames;
    for (const c of calls) c.fail(c.firstFrame >= 0 && c.firstFrame < handed ? s : unsent);
    this.gate.close();
    this.writer.connectionClosed();
    for (const cb of this.closeCallbacks.splice(0)) cb(err);
  }
}
