import { type CallListener, type ServerCall, SEND_LAST, SEND_MORE } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { CallFailureTarget, CallQueue, CodedReactions } from '../src/scheduler/call-queue.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { type Status, status } from '../src/status/status.js';
import { BindingState } from './binding-state.js';
import type { ServerReactions } from './server-ops.js';
import type { WriteOptions } from './client-binding.js';
import { ReactorMisuseError } from './misuse.js';

export type { ServerReactions } from './server-ops.js';

// Reaction codes (queued with pushCode; their data lives in the binding's fields). Codes below OP_LIMIT complete an outstanding operation.
const R_METADATA = 1;
const R_READ = 2;
const R_READ_END = 3;
const R_WRITE = 4;
const OP_LIMIT = 5;
const R_CANCEL = 5;
const R_DONE = 6;

// Flags (BindingState bits).
/** USER_FINISHED: the reactor called finish or startWriteAndFinish. */
const USER_FINISHED = 1 << 0;
/** FINISHED: the call was finished at the call layer (by the reactor, or by the library after a failure). */
const FINISHED = 1 << 1;
const STATUS_SEEN = 1 << 2;
const DONE_QUEUED = 1 << 3;
const CANCELLED = 1 << 4;
const CANCEL_REPORTED = 1 << 5;
const READING = 1 << 6;
const READ_REQUESTED = 1 << 7;
const WRITING = 1 << 8;
const WROTE = 1 << 9;
const METADATA_SENT = 1 << 10;
const LAST_WRITTEN = 1 << 11;
const READ_ENDED = 1 << 12;
/** SKIP_DONE: the reactor keeps the base class's no-op onDone, so that reaction is not queued (as the client skips a no-op onReadInitialMetadataDone). */
const SKIP_DONE = 1 << 13;

/**
 * ServerBinding is the state machine behind every server reactor. It exists
 * from the reactor's construction: operations issued before the handler
 * returned (e.g. startRead in a constructor) are checked at once and released
 * when the library attaches the reactor to its call.
 */
export class ServerBinding<Req, Res> extends BindingState implements CallListener, CodedReactions, CallFailureTarget {
  private call: ServerCall | undefined;
  private method: MethodDescriptor<Req, Res> | undefined;
  private queue: CallQueue | undefined;
  private reactor: ServerReactions<Req> | undefined;
  // Operations issued before the call is started/attached; allocated only when there is one.
  private backlog: Array<() => void> | undefined = undefined;
  private outstanding = 0;
  // A finish issued before attach (the common unary handler): released after the backlog, without a closure.
  private heldFinish: Status | undefined = undefined;
  private heldResponse: Res | undefined = undefined;

  /** attached tells whether the binding has its call. */
  get attached(): boolean {
    return this.call !== undefined;
  }

  /** attach connects the binding to its call once the handler returned and releases held operations. */
  attach(reactor: ServerReactions<Req>, call: ServerCall, method: MethodDescriptor<Req, Res>, queue: CallQueue, started: boolean, noopDone?: () => void): void {
    if (this.call) throw new ReactorMisuseError('this reactor is already attached to a call; return a new reactor per call');
    this.reactor = reactor;
    if (noopDone !== undefined && reactor.onDone === noopDone) this.raise(SKIP_DONE);
    this.call = call;
    this.method = method;
    this.queue = queue;
    queue.onErrorTarget(this);
    if (!started) call.start(this);
    if (this.is(CANCELLED)) this.reportCancel();
    const backlog = this.backlog;
    this.backlog = undefined;
    if (backlog !== undefined) for (const op of backlog) op();
    const held = this.heldFinish;
    if (held !== undefined) {
      const response = this.heldResponse;
      this.heldFinish = undefined;
      this.heldResponse = undefined;
      if (!this.is(FINISHED)) this.finishNow(held, response);
    }
  }

  /** startSendInitialMetadata is accepted for API parity: ttrpc and drpc carry no response headers, so it completes at once. */
  startSendInitialMetadata(): void {
    this.checkLive('startSendInitialMetadata');
    if (this.is(METADATA_SENT)) throw new ReactorMisuseError('startSendInitialMetadata called twice');
    if (this.is(WROTE)) throw new ReactorMisuseError('startSendInitialMetadata after startWrite');
    this.raise(METADATA_SENT);
    this.outstanding++;
    this.whenAttached(() => this.pushCode(R_METADATA, 'onSendInitialMetadataDone'));
  }

  /** startRead asks for the next request. */
  startRead(): void {
    this.checkLive('startRead');
    if (this.is(READING)) throw new ReactorMisuseError('startRead while a read is outstanding');
    this.raise(READING);
    this.outstanding++;
    if (this.call !== undefined) this.requestRead();
    else this.whenAttached(() => this.requestRead());
  }

  private requestRead(): void {
    if (!this.is(READ_ENDED)) {
      this.raise(READ_REQUESTED);
      return this.call!.request(1);
    }
    this.pushCode(R_READ_END, 'onReadDone');
  }

  /** startWrite sends one response. */
  startWrite(response: Res, options?: WriteOptions): void {
    this.checkLive('startWrite');
    if (this.is(LAST_WRITTEN)) throw new ReactorMisuseError('startWrite after startWriteLast');
    if (this.is(WRITING)) throw new ReactorMisuseError('startWrite while a write is outstanding');
    this.raise(WRITING);
    this.raise(WROTE);
    this.outstanding++;
    const last = options?.last === true;
    if (last) this.raise(LAST_WRITTEN);
    if (this.call !== undefined) this.sendWrite(response, last);
    else this.whenAttached(() => this.sendWrite(response, last));
  }

  private sendWrite(response: Res, last: boolean): void {
    if (this.is(CANCELLED) || this.is(FINISHED)) return this.completeWrite(false);
    const bytes = this.encode(response);
    if (!bytes) return this.completeWrite(false);
    this.pushAck(true);
    this.call!.send(bytes, last ? SEND_LAST : SEND_MORE);
  }

  /** finish ends the call with a status (and, for unary and client-streaming methods, the response). After a library-side failure (a reaction threw) it is accepted and ignored. */
  finish(s: Status, response?: Res): void {
    this.checkLive('finish');
    this.raise(USER_FINISHED);
    if (this.call === undefined) {
      this.heldFinish = s;
      this.heldResponse = response;
    } else if (!this.is(FINISHED)) this.finishNow(s, response);
  }

  /** writeAndFinish sends a last response and finishes, with no onWriteDone (gRPC C++ StartWriteAndFinish). */
  writeAndFinish(response: Res, s: Status): void {
    this.checkLive('startWriteAndFinish');
    if (this.is(LAST_WRITTEN)) throw new ReactorMisuseError('startWriteAndFinish after startWriteLast');
    if (this.is(WRITING)) throw new ReactorMisuseError('startWriteAndFinish while a write is outstanding');
    this.raise(USER_FINISHED);
    this.raise(WROTE);
    this.whenAttached(() => {
      if (this.is(FINISHED)) return;
      if (!this.is(CANCELLED)) {
        const bytes = this.encode(response);
        if (!bytes) return;
        this.pushAck(false);
        this.call!.send(bytes, SEND_LAST);
      }
      this.raise(FINISHED);
      this.call!.finish(s);
    });
  }

  /** onMessage implements CallListener. */
  onMessage(message: Uint8Array | null): void {
    // Only a requested read is answered; one the call's end already answered (onStatus) is dropped.
    if (!this.is(READ_REQUESTED)) return;
    this.lower(READ_REQUESTED);
    if (message === null) {
      this.raise(READ_ENDED);
      return this.pushCode(R_READ_END, 'onReadDone');
    }
    this.queueRead(message);
    this.pushCode(R_READ, 'onReadDone');
  }

  private readDone(): void {
    this.lower(READING);
    const message = this.takeRead();
    let value: Req;
    try {
      value = this.method!.deserializeRequest(message);
    } catch (e) {
      if (!this.is(FINISHED)) this.finishNow(status(Code.INTERNAL, `failed to parse request: ${(e as Error).message}`));
      return this.reactor!.onReadDone(false, undefined);
    }
    this.reactor!.onReadDone(true, value);
  }

  /** onWritable implements CallListener. */
  onWritable(ok: boolean): void {
    if (this.shiftAck()) this.completeWrite(ok);
  }

  /** onCancelled implements CallListener. */
  onCancelled(): void {
    if (this.is(CANCELLED)) return;
    this.raise(CANCELLED);
    this.raise(READ_ENDED);
    while (this.acksPending) if (this.shiftAck()) this.completeWrite(false);
    if (this.reactor) this.reportCancel();
  }

  /** onStatus implements CallListener: the terminal frame is out (or the call was cancelled and finished). A read still outstanding completes with ok=false. */
  onStatus(_s: Status): void {
    this.raise(STATUS_SEEN);
    this.raise(READ_ENDED);
    while (this.acksPending) if (this.shiftAck()) this.completeWrite(false);
    if (this.is(READ_REQUESTED)) {
      this.lower(READ_REQUESTED);
      this.pushCode(R_READ_END, 'onReadDone');
    }
    // Nothing outstanding: onDone can be queued now (after every reaction queued so far); else the last one queues it.
    this.maybeDone();
  }

  private finishNow(s: Status, response?: Res): void {
    this.raise(FINISHED);
    const call = this.call!;
    if (s.code === Code.OK && response !== undefined) {
      const bytes = this.encode(response);
      if (!bytes) return;
      this.pushAck(false);
      call.send(bytes, SEND_LAST);
    }
    call.finish(s);
  }

  private encode(response: Res): Uint8Array | undefined {
    try {
      return this.method!.serializeResponse(response);
    } catch (e) {
      const s = status(Code.INTERNAL, `failed to serialize response: ${(e as Error).message}`);
      this.raise(FINISHED);
      this.call!.finish(s);
      return undefined;
    }
  }

  private reportCancel(): void {
    if (this.is(CANCEL_REPORTED)) return;
    this.raise(CANCEL_REPORTED);
    this.pushCode(R_CANCEL, 'onCancel');
  }

  private completeWrite(ok: boolean): void {
    this.queueWriteOk(ok);
    this.pushCode(R_WRITE, 'onWriteDone');
  }

  private pushCode(code: number, label: string): void {
    if (this.is(DONE_QUEUED)) return;
    this.queue!.pushCode(this, code, label);
  }

  /** react runs one queued reaction (CodedReactions); an operation's completion is counted, then onDone is queued when due. @internal */
  react(code: number): void {
    if (code === R_DONE) return this.reactor!.onDone();
    try {
      switch (code) {
        case R_METADATA:
          return this.reactor!.onSendInitialMetadataDone(!this.is(CANCELLED) && !this.is(FINISHED));
        case R_READ:
          return this.readDone();
        case R_READ_END:
          this.lower(READING);
          return this.reactor!.onReadDone(false, undefined);
        case R_WRITE:
          this.lower(WRITING);
          return this.reactor!.onWriteDone(this.takeWriteOk());
        case R_CANCEL:
          return this.reactor!.onCancel();
      }
    } finally {
      if (code < OP_LIMIT) this.outstanding--;
      this.maybeDone();
    }
  }

  /** reactionFailed is the call queue's error handler (CallFailureTarget): it fails the call. @internal */
  reactionFailed(e: unknown): void {
    this.fail(e);
  }

  private maybeDone(): void {
    if (this.is(DONE_QUEUED) || !this.is(STATUS_SEEN) || this.outstanding > 0) return;
    this.raise(DONE_QUEUED);
    if (!this.is(SKIP_DONE)) this.queue!.pushFinalCode(this, R_DONE, 'onDone');
  }

  /** fail finishes the call after a reaction threw (INTERNAL, or the RpcError's status); later operations complete with ok=false and a later finish is ignored. */
  private fail(e: unknown): void {
    if (this.is(FINISHED)) return;
    const s = e instanceof RpcError ? e.toStatus() : status(Code.INTERNAL, `reaction threw: ${e instanceof Error ? e.message : String(e)}`);
    this.finishNow(s);
  }

  private whenAttached(op: () => void): void {
    if (this.call) op();
    else if (this.backlog === undefined) this.backlog = [op];
    else this.backlog.push(op);
  }

  private checkLive(op: string): void {
    // After the reactor's own finish, say so (onDone may already be queued: a finished call's status can be in at once).
    if (this.is(USER_FINISHED)) throw new ReactorMisuseError(`${op} after finish`);
    if (this.is(DONE_QUEUED)) throw new ReactorMisuseError(`${op} after onDone`);
  }
}
