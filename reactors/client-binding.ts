import { type CallListener, type ClientCall, SEND_LAST, SEND_MORE } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { CallFailureTarget, CallQueue, CodedReactions } from '../src/scheduler/call-queue.js';
import { Code } from '../src/status/code.js';
import { type Status, status } from '../src/status/status.js';
import { BindingState } from './binding-state.js';
import type { ClientCallEnd, ClientOps, ClientReactions, WriteOptions } from './client-ops.js';
import { ReactorMisuseError } from './misuse.js';

export type { ClientCallEnd, ClientOps, ClientReactions, WriteOptions } from './client-ops.js';

// Reaction codes (queued with pushCode; their data lives in the binding's fields). Codes below OP_LIMIT complete an outstanding operation.
const R_METADATA = 1;
const R_READ = 2;
const R_READ_END = 3;
const R_WRITE = 4;
const R_WRITES_DONE = 5;
const OP_LIMIT = 6;
const R_NOOP = 6;
const R_DONE = 7;

// Flags (BindingState bits).
const STARTED = 1 << 0;
const DONE_QUEUED = 1 << 1;
const READING = 1 << 2;
const WRITING = 1 << 3;
const WRITES_DONE = 1 << 4;
const READ_ENDED = 1 << 5;
const METADATA_SEEN = 1 << 6;
const WRITES_DONE_OK = 1 << 7;
const METADATA_OK = 1 << 8;
const UNARY_READ = 1 << 9;
const CANCEL_REQUESTED = 1 << 10;

/**
 * ClientBinding is the state machine behind every client reactor: it turns
 * operations into call-layer actions and call-layer events into reactions
 * queued on the call's CallQueue. An operation's reaction counts as
 * outstanding until it has run, so onDone comes only after the status is
 * known, every started operation's reaction ran and all holds are removed.
 */
export class ClientBinding<Req, Res> extends BindingState implements CallListener, ClientOps, CodedReactions, CallFailureTarget {
  private statusValue: Status | undefined;
  private failure: Status | undefined;
  private outstanding = 0;
  private holds = 0;
  // Operations issued before the call is started/attached; allocated only when there is one.
  private backlog: Array<() => void> | undefined = undefined;
  // The data of queued reactions: at most one of each kind is queued at a time (one read, one write, one writes-done, one metadata).
  private response: Res | undefined;
  private writesDoneAfterWrite: boolean | undefined;
  /** skipMetadata: the reactor keeps the base class's no-op onReadInitialMetadataDone, so that reaction is not queued. */
  private readonly skipMetadata: boolean;

  /**
   * constructor wires a reactor to a call; nothing happens before startCall.
   * With `streamed`, the reactor drives the call as a bidi stream whatever
   * the call's wire shape (generic clients and proxies): its writes carry the
   * request(s) and its reads return the response(s).
   */
  constructor(
    private readonly reactor: ClientReactions<Res>,
    private readonly call: ClientCall,
    private readonly method: MethodDescriptor<Req, Res>,
    private readonly queue: CallQueue,
    private readonly request?: Req,
    private readonly streamed = false,
    private readonly end?: ClientCallEnd,
    noopMetadata?: (ok: boolean) => void,
  ) {
    super();
    this.skipMetadata = noopMetadata !== undefined && reactor.onReadInitialMetadataDone === noopMetadata;
    queue.onErrorTarget(this);
  }

  /** startCall starts the call and releases operations issued before it. */
  startCall(): void {
    if (this.is(STARTED)) throw new ReactorMisuseError('startCall called twice');
    this.raise(STARTED);
    // A tryCancel before startCall cancels before anything is written.
    if (this.is(CANCEL_REQUESTED)) this.call.cancel(status(Code.CANCELLED, 'cancelled by the client'));
    this.call.start(this);
    const kind = this.streamed ? 'bidi' : this.method.kind;
    if (kind === 'unary' || kind === 'server_stream') this.sendRequest();
    if (kind === 'unary' || kind === 'client_stream') {
      this.raise(UNARY_READ);
      this.call.request(1);
    }
    // Operations issued before startCall run now, in order (even when the call already failed: they complete with ok=false).
    const backlog = this.backlog;
    this.backlog = undefined;
    if (backlog !== undefined) for (const op of backlog) op();
  }

  private sendRequest(): void {
    let bytes: Uint8Array;
    try {
      bytes = this.method.serializeRequest(this.request as Req);
    } catch (e) {
      return this.call.cancel(status(Code.INTERNAL, `failed to serialize request: ${(e as Error).message}`));
    }
    this.pushAck(false);
    this.call.send(bytes, SEND_LAST);
  }

  /** startRead asks for one response; onReadDone follows. */
  startRead(): void {
    this.checkLive('startRead');
    if (this.is(READING)) throw new ReactorMisuseError('startRead while a read is outstanding');
    this.raise(READING);
    this.outstanding++;
    if (this.is(STARTED)) this.requestRead();
    else this.whenStarted(() => this.requestRead());
  }

  private requestRead(): void {
    if (!this.is(READ_ENDED)) return this.call.request(1);
    this.pushCode(R_READ_END, 'onReadDone');
  }

  /** startWrite sends one request; onWriteDone follows. */
  startWrite(request: Req, options?: WriteOptions): void {
    this.checkLive('startWrite');
    if (this.is(WRITES_DONE)) throw new ReactorMisuseError('startWrite after startWritesDone or startWriteLast');
    if (this.is(WRITING)) throw new ReactorMisuseError('startWrite while a write is outstanding');
    let bytes: Uint8Array;
    try {
      bytes = this.method.serializeRequest(request);
    } catch (e) {
      throw new ReactorMisuseError(`startWrite: cannot serialize the request: ${(e as Error).message}`);
    }
    this.raise(WRITING);
    this.outstanding++;
    const last = options?.last === true;
    if (last) this.raise(WRITES_DONE);
    if (this.is(STARTED)) this.sendWrite(bytes, last);
    else this.whenStarted(() => this.sendWrite(bytes, last));
  }

  private sendWrite(bytes: Uint8Array, last: boolean): void {
    if (this.statusValue) return this.completeWrite(false);
    this.pushAck(true);
    this.call.send(bytes, last ? SEND_LAST : SEND_MORE);
  }

  /** startWritesDone half-closes the call; onWritesDoneDone follows. */
  startWritesDone(): void {
    this.checkLive('startWritesDone');
    if (this.is(WRITES_DONE)) throw new ReactorMisuseError('startWritesDone called twice or after startWriteLast');
    this.raise(WRITES_DONE);
    this.outstanding++;
    this.whenStarted(() => {
      const ok = this.statusValue === undefined;
      if (ok) this.call.closeSend();
      // The close goes out after the write in flight, so its completion comes after that write's.
      if (this.userAckPending) this.writesDoneAfterWrite = ok;
      else this.completeWritesDone(ok);
    });
  }

  private completeWritesDone(ok: boolean): void {
    this.writesDoneAfterWrite = undefined;
    this.put(WRITES_DONE_OK, ok);
    this.pushCode(R_WRITES_DONE, 'onWritesDoneDone');
  }

  /** addHolds delays onDone until as many removeHold calls. */
  addHolds(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new ReactorMisuseError(`addMultipleHolds needs a positive integer, got ${n}`);
    this.checkLive('addHold');
    this.holds += n;
  }

  /** removeHold releases one hold. */
  removeHold(): void {
    if (this.holds === 0) throw new ReactorMisuseError('removeHold without a matching addHold');
    this.holds--;
    if (this.is(STARTED)) this.pushCode(R_NOOP, 'removeHold');
  }

  /** tryCancel cancels the call (CANCELLED); reactions still run and onDone follows. Before startCall it takes effect at startCall. */
  tryCancel(): void {
    if (!this.is(STARTED)) this.raise(CANCEL_REQUESTED);
    else if (!this.statusValue) this.call.cancel(status(Code.CANCELLED, 'cancelled by the client'));
    else if (this.call.unread > 0) {
      // The status is in but responses are still unread: drop them so onDone can follow.
      this.call.skipUnread();
      this.pushCode(R_NOOP, 'skipUnread');
    }
  }

  /** onMessage implements CallListener. */
  onMessage(message: Uint8Array | null): void {
    this.noteMetadata(message !== null);
    if (this.is(UNARY_READ)) {
      // The unary response is decoded as it arrives (as the promise API does): no reaction of its own.
      this.lower(UNARY_READ);
      if (message) this.response = this.decode(message);
      return;
    }
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
    const value = this.decode(message);
    if (value === undefined && this.failure) return this.reactor.onReadDone(false, undefined);
    this.reactor.onReadDone(true, value);
  }

  /** onWritable implements CallListener. */
  onWritable(ok: boolean): void {
    if (this.shiftAck()) this.completeWrite(ok);
  }

  private completeWrite(ok: boolean): void {
    this.queueWriteOk(ok);
    this.pushCode(R_WRITE, 'onWriteDone');
    if (this.writesDoneAfterWrite !== undefined && !this.userAckPending) this.completeWritesDone(this.writesDoneAfterWrite && ok);
  }

  /** onStatus implements CallListener. */
  onStatus(s: Status): void {
    this.noteMetadata(false, s);
    this.statusValue = s;
    // Writes the session will never acknowledge now complete with ok=false.
    while (this.acksPending) if (this.shiftAck()) this.completeWrite(false);
    // Nothing outstanding: onDone can be queued now (after every reaction queued so far); else the last one queues it.
    this.maybeDone();
  }

  private noteMetadata(message: boolean, s?: Status): void {
    if (this.is(METADATA_SEEN)) return;
    this.raise(METADATA_SEEN);
    if (this.skipMetadata) return;
    const ok = message || (s !== undefined && s.code === Code.OK);
    this.outstanding++;
    this.put(METADATA_OK, ok);
    this.pushCode(R_METADATA, 'onReadInitialMetadataDone');
  }

  private decode(message: Uint8Array): Res | undefined {
    try {
      return this.method.deserializeResponse(message);
    } catch (e) {
      this.failure ??= status(Code.INTERNAL, `failed to parse response: ${(e as Error).message}`);
      this.call.cancel(this.failure);
      return undefined;
    }
  }

  /** pushCode queues a coded reaction (codes below OP_LIMIT complete an outstanding operation); every one re-checks for onDone. */
  private pushCode(code: number, label: string): void {
    if (this.is(DONE_QUEUED)) return;
    this.queue.pushCode(this, code, label);
  }

  /** react runs one queued reaction (CodedReactions). @internal */
  react(code: number): void {
    if (code === R_DONE) return this.runDone();
    try {
      switch (code) {
        case R_METADATA:
          return this.reactor.onReadInitialMetadataDone(this.is(METADATA_OK));
        case R_READ:
          return this.readDone();
        case R_READ_END:
          this.lower(READING);
          return this.reactor.onReadDone(false, undefined);
        case R_WRITE:
          this.lower(WRITING);
          return this.reactor.onWriteDone(this.takeWriteOk());
        case R_WRITES_DONE:
          return this.reactor.onWritesDoneDone(this.is(WRITES_DONE_OK));
      }
    } finally {
      if (code < OP_LIMIT) this.outstanding--;
      this.maybeDone();
    }
  }


  private maybeDone(): void {
    // Responses the server sent before its status stay readable: onDone waits until they were read (or tryCancel dropped them).
    if (this.is(DONE_QUEUED) || !this.statusValue || this.outstanding > 0 || this.holds > 0 || this.call.unread > 0) return;
    this.raise(DONE_QUEUED);
    // The status is read when onDone runs: a reaction that throws after onDone was queued still fails the call (the scheduler runs the error handler first).
    this.queue.pushFinalCode(this, R_DONE, 'onDone');
  }

  private runDone(): void {
    const s = this.failure ?? this.statusValue!;
    const end = this.end;
    if (end === undefined) return this.reactor.onDone(s, s.code === Code.OK ? this.response : undefined);
    end.beforeDone?.();
    try {
      this.reactor.onDone(s, s.code === Code.OK ? this.response : undefined);
    } finally {
      end.afterDone();
    }
  }

  /** reactionFailed is the call queue's error handler (CallFailureTarget): it fails the call with INTERNAL. @internal */
  reactionFailed(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.failure ??= status(Code.INTERNAL, `reaction threw: ${msg}`);
    if (this.is(STARTED) && !this.statusValue) this.call.cancel(this.failure);
  }

  private whenStarted(op: () => void): void {
    if (this.is(STARTED)) op();
    else if (this.backlog === undefined) this.backlog = [op];
    else this.backlog.push(op);
  }

  private checkLive(op: string): void {
    if (this.is(DONE_QUEUED)) throw new ReactorMisuseError(`${op} after onDone`);
  }
}
