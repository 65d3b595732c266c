// RetryingCall: gRPC's transparent retry for a reconnecting client. A call
// opened on a connection that failed before any byte of it was written
// (its status is UNAVAILABLE marked `unsent`) is opened again, once, on
// another ready endpoint — or waits for one like any call of the channel.
import type { CallListener, CallOptions, ClientCall, MethodKind, SendOptions } from '../call/call.js';
import { Code } from '../status/code.js';
import type { Status } from '../status/status.js';

/** MAX_RECORDED_SENDS bounds the messages kept for a retry (32); a call that sends more before any acknowledgement is not retried. */
const MAX_RECORDED_SENDS = 32;

/** RetryOwner opens the one retry of a call (a call on a ready endpoint, or one that waits for it; never retried again). @internal */
export interface RetryOwner {
  /** closed is true once the channel was closed (nothing is retried then). */
  readonly closed: boolean;
  /** retryCall opens the retry attempt of a call. */
  retryCall(method: string, kind: MethodKind, options: CallOptions): ClientCall;
}

/**
 * RetryingCall wraps the first attempt of a call that went to an endpoint and
 * is its listener. Until the attempt delivers its first event (an
 * acknowledgement, a message) it records what the user did — the listener,
 * the credits requested, the messages sent, closeSend and skipUnread — as
 * plain fields (no closure per operation). When the attempt ends UNAVAILABLE
 * marked unsent before any event, the record is replayed on the retry
 * attempt, which then talks to the user's listener directly; the first
 * attempt's late events are ignored. Any other end is delivered as is. @internal
 */
export class RetryingCall implements ClientCall, CallListener {
  private listener: CallListener | undefined;
  // recording is true while a retry is still possible (no event delivered, the record complete).
  private recording = true;
  private retried = false;
  private requested = 0;
  private firstSend: Uint8Array | undefined;
  private firstSendOptions: SendOptions | undefined;
  private moreSends: Array<{ message: Uint8Array; options: SendOptions | undefined }> | undefined;
  private sendClosed = false;
  private skipped = false;
  // endHeld is an end of stream (onMessage(null)) held back while a retry is possible: a lost connection delivers it just before its status.
  private endHeld = false;

  /** constructor wraps the first attempt; nothing is done before start(). */
  constructor(
    private real: ClientCall,
    private readonly owner: RetryOwner,
    readonly method: string,
    readonly kind: MethodKind,
    private readonly options: CallOptions,
  ) {}

  /** start attaches the user's listener and starts the attempt with this call as its listener. */
  start(listener: CallListener): void {
    this.listener = listener;
    this.real.start(this);
  }

  /** request asks for n more messages. */
  request(n: number): void {
    if (this.recording) this.requested += n;
    this.real.request(n);
  }

  /** send forwards one message, kept for a retry while one is possible. */
  send(message: Uint8Array, options?: SendOptions): void {
    if (this.recording) this.record(message, options);
    this.real.send(message, options);
  }

  /** closeSend forwards the end of the client's stream. */
  closeSend(): void {
    if (this.recording) this.sendClosed = true;
    this.real.closeSend();
  }

  /** skipUnread drops queued and future messages. */
  skipUnread(): void {
    if (this.recording) this.skipped = true;
    this.real.skipUnread();
  }

  /** unread is the number of received messages not yet delivered. */
  get unread(): number {
    return this.real.unread;
  }

  /** cancel abandons the call (the current attempt). */
  cancel(s?: Status): void {
    this.recording = false;
    this.real.cancel(s);
  }

  /** onMessage implements CallListener for the first attempt: a message ends the retry window; an end of stream is held until the status (at most a microtask). */
  onMessage(message: Uint8Array | null): void {
    if (this.retried) return;
    if (message === null && this.recording) {
      this.endHeld = true;
      return queueMicrotask(() => this.releaseEnd());
    }
    this.stopRecording();
    this.listener!.onMessage(message);
  }

  /** onWritable implements CallListener for the first attempt: a retry is no longer possible. */
  onWritable(ok: boolean): void {
    if (this.retried) return;
    this.stopRecording();
    this.listener!.onWritable(ok);
  }

  /** onStatus implements CallListener for the first attempt: an unsent UNAVAILABLE is retried once, anything else delivered. */
  onStatus(s: Status): void {
    if (this.retried) return;
    if (this.recording && s.unsent === true && s.code === Code.UNAVAILABLE && !this.owner.closed) return this.retry();
    this.stopRecording();
    this.releaseEnd();
    this.listener!.onStatus(s);
  }

  private releaseEnd(): void {
    if (!this.endHeld || this.retried) return;
    this.endHeld = false;
    this.stopRecording();
    this.listener!.onMessage(null);
  }

  private record(message: Uint8Array, options: SendOptions | undefined): void {
    if (this.firstSend === undefined) {
      this.firstSend = message;
      this.firstSendOptions = options;
      return;
    }
    const more = (this.moreSends ??= []);
    if (more.length + 1 >= MAX_RECORDED_SENDS) return this.stopRecording();
    more.push({ message, options });
  }

  private stopRecording(): void {
    if (!this.recording) return;
    this.recording = false;
    this.firstSend = undefined;
    this.firstSendOptions = undefined;
    this.moreSends = undefined;
  }

  private retry(): void {
    this.retried = true;
    this.recording = false;
    this.endHeld = false;
    const next = this.owner.retryCall(this.method, this.kind, this.options);
    this.real = next;
    next.start(this.listener!);
    if (this.requested > 0) next.request(this.requested);
    if (this.firstSend !== undefined) next.send(this.firstSend, this.firstSendOptions);
    if (this.moreSends !== undefined) for (const m of this.moreSends) next.send(m.message, m.options);
    if (this.sendClosed) next.closeSend();
    if (this.skipped) next.skipUnread();
    this.firstSend = undefined;
    this.firstSendOptions = undefined;
    this.moreSends = undefined;
  }
}
