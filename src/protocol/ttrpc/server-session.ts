import { type CallRouter, clientStreams } from '../../call/call.js';
import { type GatedQueue, ReadGate } from '../../call/read-gate.js';
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import type { Conn } from '../../transport/conn.js';
import { pauseReading, resumeReading } from './session-reading.js';
import { FrameDecoder, type OversizeInfo } from './decoder.js';
import { decodeRequest, encodeResponse } from './envelope.js';
import { MetadataTooLargeError } from './request-metadata.js';
import { Flags, type Frame, MessageType } from './frame.js';
import { FrameWriter, type WriteAck } from './frame-writer.js';
import { StreamTable } from './stream-table.js';
import { type ResolvedTtrpcOptions, type TtrpcSessionOptions, resolveTtrpcOptions } from './options.js';
import { type ServerCallHost, TtrpcServerCall } from './server-call.js';

const EMPTY = new Uint8Array(0);

/**
 * TtrpcServerSession runs the server role of one ttrpc connection. It checks
 * stream ids (odd, strictly increasing) and answers violations on the
 * offending id like the Go server, routes Requests through a CallRouter,
 * delivers Data to streaming calls, answers oversize frames with
 * RESOURCE_EXHAUSTED while keeping the connection, and cancels every call
 * when the connection goes away. Data on a unary stream is ignored (the
 * newest Go server crashes on it; we must not).
 */
export class TtrpcServerSession {
  private readonly streams = new StreamTable<TtrpcServerCall>();
  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;
  private readonly opts: ResolvedTtrpcOptions;
  private lastId = 0;
  private closed = false;
  private readonly host: ServerCallHost;
  /** gate is the connection's receive backpressure (README "Limits and backpressure"). */
  readonly gate: ReadGate;
  // The last method seen: decoded names are interned, so a repeated method is recognised by identity and its path reused.
  private lastService = '';
  private lastMethod = '';
  private lastPath = '';
  /** ignoredFrames counts frames that were dropped without a reply. */
  ignoredFrames = 0;
  /** framesReceived counts the frames received, oversize ones included (a connection guard watches it for progress). */
  framesReceived = 0;

  /** constructor takes over a connection and serves it until it closes. */
  constructor(
    private readonly conn: Conn,
    private readonly router: CallRouter,
    options?: TtrpcSessionOptions,
    private readonly onEnd?: () => void,
  ) {
    this.opts = resolveTtrpcOptions(options);
    this.writer = new FrameWriter(conn, this.opts.defer, this.opts.writeBufferSize);
    this.host = {
      maxMessageLength: this.opts.maxMessageLength,
      write: (id: number, type: number, flags: number, data: Uint8Array, ack?: WriteAck) => this.writer.push(id, type, flags, data, ack),
      writeField: (id: number, type: number, flags: number, prefix: Uint8Array, tag: number, payload: Uint8Array, ack?: WriteAck) =>
        this.writer.pushField(id, type, flags, prefix, tag, payload, ack),
      release: (id: number) => void this.streams.delete(id),
    };
    this.decoder = new FrameDecoder({
      maxMessageLength: this.opts.maxMessageLength,
      onFrame: (f) => this.onFrame(f),
      onOversize: (o) => this.onOversize(o),
    });
    const decoder = this.decoder;
    this.gate = new ReadGate(
      { pause: () => pauseReading(decoder, conn), resume: () => resumeReading(decoder, conn) },
      { stallTimeoutMs: this.opts.receiveStallTimeoutMs, maxConnectionBytes: this.opts.maxConnectionQueuedBytes, largest: () => this.largestQueue() },
    );
    // A peer that does not read its replies gets no new requests read either: memory stays bounded.
    this.writer.maxPendingWriteBytes = this.opts.maxPendingWriteBytes;
    this.writer.onBlocked = (blocked) => (blocked ? this.gate.hold() : this.gate.release());
    conn.start({
      onData: (chunk) => {
        try {
          this.decoder.push(chunk);
        } catch (e) {
          conn.destroy(e instanceof Error ? e : new Error(String(e)));
        }
      },
      onClose: () => this.shutdown(),
      onDrain: () => this.writer.drained(),
    });
  }

  /** writeStats counts frames written and the coalesced connection writes that carried them. */
  get writeStats(): { frames: number; writes: number } {
    return { frames: this.writer.framesWritten, writes: this.writer.writes };
  }

  /** activeCalls is the number of calls not yet finished. */
  get activeCalls(): number {
    return this.streams.size;
  }

  /** partialFrame tells whether part of a frame arrived and the rest is awaited (false while the session itself pauses reading). */
  get partialFrame(): boolean {
    return !this.gate.paused && this.decoder.hasPartialFrame;
  }

  private largestQueue(): GatedQueue | undefined {
    let best: TtrpcServerCall | undefined;
    for (const c of this.streams.values()) if (!best || c.queue.queuedBytes > best.queue.queuedBytes) best = c;
    return best?.queue;
  }

  /** close closes the connection at once; running calls are cancelled. */
  close(): void {
    this.writer.flushNow();
    this.conn.close();
    this.shutdown();
  }

  private reply(id: number, s: Status): void {
    this.writer.push(id, MessageType.Response, 0, encodeResponse({ status: s, payload: EMPTY }));
  }

  private onFrame(f: Frame): void {
    this.framesReceived++;
    if (this.closed) return;
    if (f.type === MessageType.Request) this.onRequest(f);
    else if (f.type === MessageType.Data) this.onDataFrame(f);
    else this.ignoredFrames++;
  }

  private onRequest(f: Frame): void {
    const id = f.streamId;
    if (id % 2 === 0) return this.reply(id, status(Code.INVALID_ARGUMENT, 'StreamID must be odd for client initiated streams'));
    if (id <= this.lastId) return this.reply(id, status(Code.INVALID_ARGUMENT, 'StreamID cannot be re-used and must increment'));
    this.lastId = id;
    const max = this.opts.maxConcurrentStreams;
    if (this.streams.size >= max) return this.reply(id, status(Code.RESOURCE_EXHAUSTED, `ttrpc: too many concurrent streams (${max})`));
    let req;
    try {
      req = decodeRequest(f.data, this.opts);
    } catch (e) {
      // Metadata over the limits refuses this stream only: `ttrpc: request metadata exceeds 1024 entries`.
      if (e instanceof MetadataTooLargeError) return this.reply(id, status(e.code, e.rawMessage));
      return this.reply(id, status(Code.INVALID_ARGUMENT, `unmarshal request error: ${(e as Error).message}`));
    }
    const hint = f.flags & Flags.REMOTE_OPEN ? 'bidi' : f.flags & Flags.REMOTE_CLOSED ? 'server_stream' : 'unary';
    const kind = this.router.lookup(req.service, req.method, hint);
    if (typeof kind !== 'string') return this.reply(id, kind);
    const deadline = req.timeoutNano !== 0 ? Date.now() + req.timeoutNano / 1e6 : undefined;
    const call = new TtrpcServerCall(this.host, id, this.path(req.service, req.method), kind, req.metadata, deadline, this.conn.remoteAddress, this.opts.maxQueuedMessages, this.opts.maxQueuedBytes, this.gate);
    this.streams.set(id, call);
    if (!clientStreams(kind)) {
      call.queue.push(req.payload);
      call.queue.end();
    } else {
      if (req.payload.byteLength > 0) call.queue.push(req.payload);
      if (f.flags & Flags.REMOTE_CLOSED) call.queue.end();
    }
    this.router.handle(call);
  }

  private path(service: string, method: string): string {
    if (service !== this.lastService || method !== this.lastMethod) {
      this.lastService = service;
      this.lastMethod = method;
      this.lastPath = `/${service}/${method}`;
    }
    return this.lastPath;
  }

  private onDataFrame(f: Frame): void {
    const call = this.streams.get(f.streamId);
    // Like the newest Go server: Data for an unknown or finished stream is answered on that id.
    if (!call) return this.reply(f.streamId, status(Code.INVALID_ARGUMENT, 'StreamID is no longer active'));
    if (!clientStreams(call.kind) || call.queue.isEnded) {
      this.ignoredFrames++;
      return;
    }
    if ((f.flags & Flags.NO_DATA) === 0 && !call.queue.push(f.data)) {
      return call.cancelWith(status(Code.RESOURCE_EXHAUSTED, `ttrpc: receive queue full (${this.opts.maxQueuedMessages} unread messages)`), true);
    }
    if (f.flags & Flags.REMOTE_CLOSED) call.queue.end();
  }

  private onOversize(o: OversizeInfo): void {
    this.framesReceived++;
    const s = status(Code.RESOURCE_EXHAUSTED, `message length ${o.length} exceed maximum message size of ${this.opts.maxMessageLength}`);
    const call = this.streams.get(o.streamId);
    if (call) return call.cancelWith(s, true);
    this.reply(o.streamId, s);
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const calls = this.streams.values();
    this.streams.clear();
    const s = status(Code.CANCELLED, 'ttrpc: connection closed');
    for (const c of calls) c.cancelWith(s, false);
    this.gate.close();
    // Calls that finished but whose last frame was still waiting end now (their acknowledgement is released as dropped).
    this.writer.connectionClosed();
    this.onEnd?.();
  }
}
