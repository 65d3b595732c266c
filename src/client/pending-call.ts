// PendingCall: a call waiting for a ready connection (waitForReady, or a
// client still connecting). Nothing of it is written anywhere until it is
// dispatched; then every operation made so far is replayed, in order, on the
// real call.
import type { CallListener, CallOptions, ClientCall, ClientTransport, MethodKind, SendOptions } from '../call/call.js';
import { LongTimer } from '../call/long-timer.js';
import { Code } from '../status/code.js';
import { type Status, status } from '../status/status.js';
import { RetryingCall, type RetryOwner } from './retrying-call.js';

/** PendingOwner is told when a pending call leaves the wait (failed or cancelled). @internal */
export interface PendingOwner {
  /** forget drops a pending call from the wait queue. */
  forget(call: PendingCall): void;
}

/**
 * PendingCall is a ClientCall that records start, request, send and
 * closeSend until dispatch() gives it a transport, or ends it with a status
 * (its deadline, cancel, fail) — then nothing was ever written. @internal
 */
export class PendingCall implements ClientCall {
  private real: ClientCall | undefined;
  private listener: CallListener | undefined;
  private ops: Array<(c: ClientCall) => void> = [];
  private ended: Status | undefined;
  private timer: LongTimer | undefined;

  /** constructor arms the deadline (DEADLINE_EXCEEDED naming the target when it passes while waiting). */
  constructor(
    readonly method: string,
    readonly kind: MethodKind,
    private readonly options: CallOptions,
    /** waitForReady keeps the call waiting through transient failures. */
    readonly waitForReady: boolean,
    private readonly owner: PendingOwner,
    target: string,
    /** retrier, when set, wraps the dispatched call for one transparent retry (unset on a retry attempt). */
    private readonly retrier?: RetryOwner,
  ) {
    const deadline = options.deadline;
    if (deadline !== undefined) {
      this.timer = new LongTimer(() => this.fail(status(Code.DEADLINE_EXCEEDED, `deadline exceeded while waiting for a ready connection to ${target}`)), deadline - Date.now());
    }
  }

  /** waiting is true until the call was dispatched or ended. */
  get waiting(): boolean {
    return this.real === undefined && this.ended === undefined;
  }

  /** dispatch opens the real call on a ready transport and replays what was recorded. */
  dispatch(transport: ClientTransport): void {
    if (!this.waiting) return;
    this.timer?.cancel();
    const created = transport.createCall(this.method, this.kind, this.options);
    const real = this.retrier ? new RetryingCall(created, this.retrier, this.method, this.kind, this.options) : created;
    this.real = real;
    const ops = this.ops;
    this.ops = [];
    for (const op of ops) op(real);
  }

  /** fail ends a waiting call with a status (delivered in a microtask, after start). */
  fail(s: Status): void {
    if (!this.waiting) return;
    this.ended = s;
    this.ops = [];
    this.timer?.cancel();
    this.owner.forget(this);
    const l = this.listener;
    if (l) queueMicrotask(() => l.onStatus(s));
  }

  /** start attaches the listener. */
  start(listener: CallListener): void {
    this.listener = listener;
    if (this.real) return this.real.start(listener);
    if (this.ended) {
      const s = this.ended;
      return queueMicrotask(() => listener.onStatus(s));
    }
    this.ops.push((c) => c.start(listener));
  }

  /** request asks for n more messages. */
  request(n: number): void {
    if (this.real) return this.real.request(n);
    if (this.waiting) this.ops.push((c) => c.request(n));
  }

  /** send records (or forwards) one message; after the call ended it is acknowledged not ok. */
  send(message: Uint8Array, options?: SendOptions): void {
    if (this.real) return this.real.send(message, options);
    if (this.waiting) return void this.ops.push((c) => c.send(message, options));
    const l = this.listener;
    if (l) queueMicrotask(() => l.onWritable(false));
  }

  /** closeSend records (or forwards) the end of the client's stream. */
  closeSend(): void {
    if (this.real) return this.real.closeSend();
    if (this.waiting) this.ops.push((c) => c.closeSend());
  }

  /** skipUnread drops queued and future messages. */
  skipUnread(): void {
    if (this.real) return this.real.skipUnread();
    if (this.waiting) this.ops.push((c) => c.skipUnread());
  }

  /** unread is the number of received messages not yet delivered. */
  get unread(): number {
    return this.real ? this.real.unread : 0;
  }

  /** cancel abandons the call (a waiting one ends without anything written). */
  cancel(s: Status = status(Code.CANCELLED, 'call cancelled')): void {
    if (this.real) return this.real.cancel(s);
    this.fail(s);
  }
}
