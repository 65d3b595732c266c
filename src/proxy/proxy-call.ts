// One proxied call: a raw-bytes server reactor facing the downstream client
// and a raw-bytes client reactor facing the upstream server, pumping messages
// both ways with one operation in flight per direction (so a slow side slows
// the other instead of filling memory).
import { ClientBidiReactor } from '../../reactors/client-reactors.js';
import type { ServerContext } from '../../reactors/server-context.js';
import { ServerBidiReactor } from '../../reactors/server-reactors.js';
import { type MethodKind, clientStreams } from '../call/call.js';
import { rawMethod } from '../call/method.js';
import type { Client } from '../client/client.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';

/** ProxyCallLog is what the log hook learns about each proxied call once it ended. */
export interface ProxyCallLog {
  /** method is the full method name `/package.Service/Method`. */
  readonly method: string;
  /** kind is the streaming shape the call was forwarded with. */
  readonly kind: MethodKind;
  /** durationMs is the time from the call's arrival to its end. */
  readonly durationMs: number;
  /** status is the status the downstream client was given. */
  readonly status: Status;
  /** bytesIn counts the request message bytes received from the downstream client. */
  readonly bytesIn: number;
  /** bytesOut counts the response message bytes sent back to the downstream client. */
  readonly bytesOut: number;
  /** peer is the downstream client's address. */
  readonly peer: string;
}

/** UpstreamLeg is the client reactor of the upstream call; it reports every event to its ProxyCall. */
class UpstreamLeg extends ClientBidiReactor<Uint8Array, Uint8Array> {
  constructor(private readonly owner: ProxyCall) {
    super();
  }
  override onReadDone(ok: boolean, response: Uint8Array | undefined): void {
    this.owner.upstreamRead(ok, response);
  }
  override onWriteDone(ok: boolean): void {
    this.owner.upstreamWritten(ok);
  }
  override onDone(s: Status): void {
    this.owner.upstreamDone(s);
  }
}

/**
 * ProxyCall serves one downstream call by forwarding it upstream: requests
 * go up as they are read, responses come down as they are read, metadata and
 * deadline ride along, a downstream cancellation cancels the upstream call
 * and the upstream status (OK or not) ends the downstream call.
 */
export class ProxyCall extends ServerBidiReactor<Uint8Array, Uint8Array> {
  private readonly started = Date.now();
  private up: UpstreamLeg | undefined;
  private upDone = false;
  private held = false;
  private finished = false;
  private cancelled = false;
  private finalStatus: Status | undefined;
  private bytesIn = 0;
  private bytesOut = 0;

  /** constructor opens the upstream call once the upstream client is available. */
  constructor(
    private readonly ctx: ServerContext,
    private readonly kind: MethodKind,
    upstream: Client | Promise<Client>,
    private readonly log?: (entry: ProxyCallLog) => void,
  ) {
    super();
    if (upstream instanceof Promise) {
      upstream.then(
        (c) => this.open(c),
        (e: unknown) => this.end(e instanceof RpcError ? e.toStatus() : status(Code.UNAVAILABLE, `upstream: ${e instanceof Error ? e.message : String(e)}`)),
      );
    } else this.open(upstream);
  }

  private open(client: Client): void {
    if (this.finished) return;
    if (this.cancelled) return this.end(status(Code.CANCELLED, 'call cancelled'));
    const up = new UpstreamLeg(this);
    try {
      client.bindBidi(rawMethod(this.ctx.method, this.kind), up, { metadata: this.ctx.metadata, deadline: this.ctx.deadline });
    } catch (e) {
      return this.end(e instanceof RpcError ? e.toStatus() : status(Code.INTERNAL, `proxy: ${e instanceof Error ? e.message : String(e)}`));
    }
    // The hold keeps onDone back until every upstream response was read and passed on.
    up.addHold();
    this.held = true;
    this.up = up;
    up.startCall();
    up.startRead();
    this.startRead();
  }

  /** onReadDone forwards one downstream request upstream, or half-closes the upstream call at the end of the requests. */
  override onReadDone(ok: boolean, request: Uint8Array | undefined): void {
    const up = this.up;
    if (!up || this.upDone) return;
    if (!ok) {
      if (clientStreams(this.kind)) up.startWritesDone();
      else up.tryCancel(); // a unary or server-streaming call that carried no request
      return;
    }
    this.bytesIn += request!.byteLength;
    if (clientStreams(this.kind)) up.startWrite(request!);
    else up.startWriteLast(request!);
  }

  /** upstreamWritten continues reading downstream requests once the previous one went out. */
  upstreamWritten(ok: boolean): void {
    if (ok && clientStreams(this.kind) && !this.finished && !this.cancelled) this.startRead();
  }

  /** upstreamRead passes one upstream response down, or releases the hold at the end of the responses. */
  upstreamRead(ok: boolean, response: Uint8Array | undefined): void {
    if (!ok || this.cancelled || this.finished) return this.release();
    this.bytesOut += response!.byteLength;
    this.startWrite(response!);
  }

  /** onWriteDone reads the next upstream response once the previous one went down; a failed write abandons the upstream call. */
  override onWriteDone(ok: boolean): void {
    const up = this.up!;
    if (ok && !this.cancelled) return up.startRead();
    up.tryCancel();
    this.release();
  }

  /** upstreamDone ends the downstream call with the upstream status. */
  upstreamDone(s: Status): void {
    this.upDone = true;
    this.end(this.cancelled && s.code === Code.OK ? status(Code.CANCELLED, 'call cancelled') : s);
  }

  /** onCancel (downstream client gone, deadline or shutdown) cancels the upstream call. */
  override onCancel(): void {
    this.cancelled = true;
    if (this.up && !this.upDone) this.up.tryCancel();
    else if (!this.up) this.end(status(Code.CANCELLED, 'call cancelled'));
  }

  /** onDone reports the call to the log hook. */
  override onDone(): void {
    this.log?.({
      method: this.ctx.method,
      kind: this.kind,
      durationMs: Date.now() - this.started,
      status: this.finalStatus ?? status(Code.UNKNOWN, 'call ended without a status'),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      peer: this.ctx.peer,
    });
  }

  private release(): void {
    if (!this.held) return;
    this.held = false;
    this.up!.removeHold();
  }

  private end(s: Status): void {
    if (this.finished) return;
    this.finished = true;
    this.finalStatus = s;
    this.finish(s);
  }
}
