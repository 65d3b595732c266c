import { type CallListener, type ServerCall, SEND_LAST } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { CallQueue } from '../src/scheduler/call-queue.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { type Status, status } from '../src/status/status.js';
import type { WriteOptions } from './client-binding.js';
import { ReactorMisuseError } from './misuse.js';

/** ServerReactions are the reactions a server binding drives. */
export interface ServerReactions<Req> {
  /** onSendInitialMetadataDone completes startSendInitialMetadata. */
  onSendInitialMetadataDone(ok: boolean): void;
  /** onReadDone completes startRead: ok with a request, false once the client is done or the call ended. */
  onReadDone(ok: boolean, request: Req | undefined): void;
  /** onWriteDone completes startWrite. */
  onWriteDone(ok: boolean): void;
  /** onCancel runs at most once, after the handler returned and before onDone, when the call was cancelled. */
  onCancel(): void;
  /** onDone runs exactly once, last. */
  onDone(): void;
}

type Ack = 'internal' | 'user';

// The shared empty acknowledgement list; never pushed to (ack() allocates a list first).
const NO_ACKS: Ack[] = [];

// The 'status' reaction's body: it only lets onDone follow (no closure per call).
const NOOP = (): void => undefined;

/**
 * ServerBinding is the state machine behind every server reactor. It exists
 * from the reactor's construction: operations issued before the handler
 * returned (e.g. startRead in a constructor) are checked at once and released
 * when the library attaches the reactor to its call.
 */
export class ServerBinding<Req, Res> implements CallListener {
  private call: ServerCall | undefined;
  private method: MethodDescriptor<Req, Res> | undefined;
  private queue: CallQueue | undefined;
  private reactor: ServerReactions<Req> | undefined;
  // Operations issued before the call is started/attached; allocated only when there is one.
  private backlog: Array<() => void> | undefined = undefined;
  /** userFinished: the reactor called finish or startWriteAndFinish. */
  private userFinished = false;
  /** finished: the call was finished at the call layer (by the reactor, or by the library after a failure). */
  private finished = false;
  private statusSeen = false;
  private doneQueued = false;
  private cancelled = false;
  private cancelReported = false;
  private outstanding = 0;
  private reading = false;
  private readRequested = false;
  private writing = false;
  private wrote = false;
  private metadataSent = false;
  private lastWritten = false;
  private readEnded = false;
  // Write acknowledgements expected, in order; the shared empty list until the first write (a literal then holds exactly one element: push() on an empty list reserves 17).
  private acks: Ack[] = NO_ACKS;

  /** attached tells whether the binding has its call. */
  get attached(): boolean {
    return this.call !== undefined;
  }

  /** attach connects the binding to its call once the handler returned and releases held operations. */
  attach(reactor: ServerReactions<Req>, call: ServerCall, method: MethodDescriptor<Req, Res>, queue: CallQueue, started: boolean): void {
    if (this.call) throw new ReactorMisuseError('this reactor is already attached to a call; return a new reactor per call');
    this.reactor = reactor;
    this.call = call;
    this.method = method;
    this.queue = queue;
    queue.onError((e) => this.fail(e));
    if (!started) call.start(this);
    if (this.cancelled) this.reportCancel();
    const backlog = this.backlog;
    this.backlog = undefined;
    if (backlog !== undefined) for (const op of backlog) op();
  }

  /** startSendInitialMetadata is accepted for API parity: ttrpc and drpc carry no response headers, so it completes at once. */
  startSendInitialMetadata(): void {
    this.checkLive('startSendInitialMetadata');
    if (this.metadataSent) throw new ReactorMisuseError('startSendInitialMetadata called twice');
    if (this.wrote) throw new ReactorMisuseError('startSendInitialMetadata after startWrite');
    this.metadataSent = true;
    this.outstanding++;
    this.whenAttached(() => this.push(() => this.reactor!.onSendInitialMetadataDone(!this.cancelled && !this.finished), 'onSendInitialMetadataDone', true));
  }

  /** startRead asks for the next request. */
  startRead(): void {
    this.checkLive('startRead');
    if (this.reading) throw new ReactorMisuseError('startRead while a read is outstanding');
    this.reading = true;
    this.outstanding++;
    this.whenAttached(() => {
      if (!this.readEnded) {
        this.readRequested = true;
        return this.call!.request(1);
      }
      this.push(() => {
        this.reading = false;
        this.reactor!.onReadDone(false, undefined);
      }, 'onReadDone', true);
    });
  }

  /** startWrite sends one response. */
  startWrite(response: Res, options?: WriteOptions): void {
    this.checkLive('startWrite');
    if (this.lastWritten) throw new ReactorMisuseError('startWrite after startWriteLast');
    if (this.writing) throw new ReactorMisuseError('startWrite while a write is outstanding');
    this.writing = true;
    this.wrote = true;
    this.outstanding++;
    if (options?.last) this.lastWritten = true;
    this.whenAttached(() => {
      if (this.cancelled || this.finished) return this.completeWrite(false);
      const bytes = this.encode(response);
      if (!bytes) return this.completeWrite(false);
      this.ack('user');
      this.call!.send(bytes, { last: options?.last === true });
    });
  }

  /** finish ends the call with a status (and, for unary and client-streaming methods, the response). After a library-side failure (a reaction threw) it is accepted and ignored. */
  finish(s: Status, response?: Res): void {
    this.checkLive('finish');
    this.userFinished = true;
    this.whenAttached(() => {
      if (!this.finished) this.finishNow(s, response);
    });
  }

  /** writeAndFinish sends a last response and finishes, with no onWriteDone (gRPC C++ StartWriteAndFinish). */
  writeAndFinish(response: Res, s: Status): void {
    this.checkLive('startWriteAndFinish');
    if (this.lastWritten) throw new ReactorMisuseError('startWriteAndFinish after startWriteLast');
    if (this.writing) throw new ReactorMisuseError('startWriteAndFinish while a write is outstanding');
    this.userFinished = true;
    this.wrote = true;
    this.whenAttached(() => {
      if (this.finished) return;
      if (!this.cancelled) {
        const bytes = this.encode(response);
        if (!bytes) return;
        this.ack('internal');
        this.call!.send(bytes, SEND_LAST);
      }
      this.finished = true;
      this.call!.finish(s);
    });
  }

  /** onMessage implements CallListener. */
  onMessage(message: Uint8Array | null): void {
    // Only a requested read is answered; one the call's end already answered (onStatus) is dropped.
    if (!this.readRequested) return;
    this.readRequested = false;
    if (message === null) this.readEnded = true;
    this.push(() => {
      this.reading = false;
      if (message === null) return this.reactor!.onReadDone(false, undefined);
      let value: Req;
      try {
        value = this.method!.deserializeRequest(message);
      } catch (e) {
        if (!this.finished) this.finishNow(status(Code.INTERNAL, `failed to parse request: ${(e as Error).message}`));
        return this.reactor!.onReadDone(false, undefined);
      }
      this.reactor!.onReadDone(true, value);
    }, 'onReadDone', true);
  }

  /** onWritable implements CallListener. */
  onWritable(ok: boolean): void {
    if (this.acks.shift() === 'user') this.completeWrite(ok);
  }

  /** onCancelled implements CallListener. */
  onCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.readEnded = true;
    while (this.acks.length) if (this.acks.shift() === 'user') this.completeWrite(false);
    if (this.reactor) this.reportCancel();
  }

  /** onStatus implements CallListener: the terminal frame is out (or the call was cancelled and finished). A read still outstanding completes with ok=false. */
  onStatus(_s: Status): void {
    this.statusSeen = true;
    this.readEnded = true;
    while (this.acks.length) if (this.acks.shift() === 'user') this.completeWrite(false);
    if (this.readRequested) {
      this.readRequested = false;
      this.push(() => {
        this.reading = false;
        this.reactor!.onReadDone(false, undefined);
      }, 'onReadDone', true);
    }
    this.push(NOOP, 'status');
  }

  private finishNow(s: Status, response?: Res): void {
    this.finished = true;
    const call = this.call!;
    if (s.code === Code.OK && response !== undefined) {
      const bytes = this.encode(response);
      if (!bytes) return;
      this.ack('internal');
      call.send(bytes, SEND_LAST);
    }
    call.finish(s);
  }

  private encode(response: Res): Uint8Array | undefined {
    try {
      return this.method!.serializeResponse(response);
    } catch (e) {
      const s = status(Code.INTERNAL, `failed to serialize response: ${(e as Error).message}`);
      this.finished = true;
      this.call!.finish(s);
      return undefined;
    }
  }

  private reportCancel(): void {
    if (this.cancelReported) return;
    this.cancelReported = true;
    this.push(() => this.reactor!.onCancel(), 'onCancel');
  }

  private completeWrite(ok: boolean): void {
    this.push(() => {
      this.writing = false;
      this.reactor!.onWriteDone(ok);
    }, 'onWriteDone', true);
  }

  private push(run: () => void, label: string, op = false): void {
    if (this.doneQueued) return;
    this.queue!.push(() => {
      try {
        run();
      } finally {
        if (op) this.outstanding--;
        this.maybeDone();
      }
    }, label);
  }

  private maybeDone(): void {
    if (this.doneQueued || !this.statusSeen || this.outstanding > 0) return;
    this.doneQueued = true;
    this.queue!.pushFinal(() => this.reactor!.onDone(), 'onDone');
  }

  /** fail finishes the call after a reaction threw (INTERNAL, or the RpcError's status); later operations complete with ok=false and a later finish is ignored. */
  private fail(e: unknown): void {
    if (this.finished) return;
    const s = e instanceof RpcError ? e.toStatus() : status(Code.INTERNAL, `reaction threw: ${e instanceof Error ? e.message : String(e)}`);
    this.finishNow(s);
  }

  /** ack records a frame acknowledgement to expect (see acks). */
  private ack(a: Ack): void {
    if (this.acks === NO_ACKS) this.acks = [a];
    else this.acks.push(a);
  }

  private whenAttached(op: () => void): void {
    if (this.call) op();
    else if (this.backlog === undefined) this.backlog = [op];
    else this.backlog.push(op);
  }

  private checkLive(op: string): void {
    if (this.doneQueued) throw new ReactorMisuseError(`${op} after onDone`);
    if (this.userFinished) throw new ReactorMisuseError(`${op} after finish`);
  }
}
