import { type CallListener, type ClientCall, SEND_LAST } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { CallQueue } from '../src/scheduler/call-queue.js';
import { Code } from '../src/status/code.js';
import { type Status, status } from '../src/status/status.js';
import { ReactorMisuseError } from './misuse.js';

/** ClientCallEnd is told around the reactor's onDone: beforeDone first, afterDone once onDone returned or threw. @internal */
export interface ClientCallEnd {
  /** beforeDone runs just before onDone. */
  beforeDone?(): void;
  /** afterDone runs once onDone returned or threw. */
  afterDone(): void;
}

/** ClientReactions are the reactions a client binding drives (every client reactor has them all, most as no-ops). */
export interface ClientReactions<Res> {
  /** onReadInitialMetadataDone runs once the server's first response (message or status) arrived. */
  onReadInitialMetadataDone(ok: boolean): void;
  /** onReadDone completes startRead: ok with a message, or false when no more will come. */
  onReadDone(ok: boolean, response: Res | undefined): void;
  /** onWriteDone completes startWrite/startWriteLast. */
  onWriteDone(ok: boolean): void;
  /** onWritesDoneDone completes startWritesDone. */
  onWritesDoneDone(ok: boolean): void;
  /** onDone runs exactly once, last. */
  onDone(status: Status, response: Res | undefined): void;
}

/** WriteOptions qualify one startWrite. */
export interface WriteOptions {
  /** last makes this the final write (as startWriteLast). */
  last?: boolean;
}

type Ack = 'internal' | 'user';

// The shared empty acknowledgement list; never pushed to (ack() allocates a list first).
const NO_ACKS: Ack[] = [];

/** ClientOps are the operations a reactor forwards to its binding (method syntax keeps them assignable across message types). @internal */
export interface ClientOps {
  /** startCall starts the call. */
  startCall(): void;
  /** startRead asks for one response. */
  startRead(): void;
  /** startWrite sends one request. */
  startWrite(request: unknown, options?: WriteOptions): void;
  /** startWritesDone half-closes. */
  startWritesDone(): void;
  /** addHolds adds holds. */
  addHolds(n: number): void;
  /** removeHold removes one hold. */
  removeHold(): void;
  /** tryCancel cancels the call. */
  tryCancel(): void;
}

/**
 * ClientBinding is the state machine behind every client reactor: it turns
 * operations into call-layer actions and call-layer events into reactions
 * queued on the call's CallQueue. An operation's reaction counts as
 * outstanding until it has run, so onDone comes only after the status is
 * known, every started operation's reaction ran and all holds are removed.
 */
export class ClientBinding<Req, Res> implements CallListener, ClientOps {
  private started = false;
  private doneQueued = false;
  private statusValue: Status | undefined;
  private failure: Status | undefined;
  private outstanding = 0;
  private holds = 0;
  private reading = false;
  private writing = false;
  private writesDone = false;
  private readEnded = false;
  private metadataSeen = false;
  // Operations issued before the call is started/attached; allocated only when there is one.
  private backlog: Array<() => void> | undefined = undefined;
  // Write acknowledgements expected, in order; the shared empty list until the first write (a literal then holds exactly one element: push() on an empty list reserves 17).
  private acks: Ack[] = NO_ACKS;
  private response: Res | undefined;
  private unaryRead = false;
  private cancelRequested = false;
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
    this.skipMetadata = noopMetadata !== undefined && reactor.onReadInitialMetadataDone === noopMetadata;
    queue.onError((e) => this.reactionFailed(e));
  }

  /** startCall starts the call and releases operations issued before it. */
  startCall(): void {
    if (this.started) throw new ReactorMisuseError('startCall called twice');
    this.started = true;
    // A tryCancel before startCall cancels before anything is written.
    if (this.cancelRequested) this.call.cancel(status(Code.CANCELLED, 'cancelled by the client'));
    this.call.start(this);
    const kind = this.streamed ? 'bidi' : this.method.kind;
    if (kind === 'unary' || kind === 'server_stream') this.sendRequest();
    if (kind === 'unary' || kind === 'client_stream') {
      this.unaryRead = true;
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
    this.ack('internal');
    this.call.send(bytes, SEND_LAST);
  }

  /** startRead asks for one response; onReadDone follows. */
  startRead(): void {
    this.checkLive('startRead');
    if (this.reading) throw new ReactorMisuseError('startRead while a read is outstanding');
    this.reading = true;
    this.outstanding++;
    this.whenStarted(() => {
      if (!this.readEnded) return this.call.request(1);
      this.push(() => {
        this.reading = false;
        this.reactor.onReadDone(false, undefined);
      }, 'onReadDone', true);
    });
  }

  /** startWrite sends one request; onWriteDone follows. */
  startWrite(request: Req, options?: WriteOptions): void {
    this.checkLive('startWrite');
    if (this.writesDone) throw new ReactorMisuseError('startWrite after startWritesDone or startWriteLast');
    if (this.writing) throw new ReactorMisuseError('startWrite while a write is outstanding');
    let bytes: Uint8Array;
    try {
      bytes = this.method.serializeRequest(request);
    } catch (e) {
      throw new ReactorMisuseError(`startWrite: cannot serialize the request: ${(e as Error).message}`);
    }
    this.writing = true;
    this.outstanding++;
    if (options?.last) this.writesDone = true;
    this.whenStarted(() => {
      if (this.statusValue) return this.completeWrite(false);
      this.ack('user');
      this.call.send(bytes, { last: options?.last === true });
    });
  }

  /** startWritesDone half-closes the call; onWritesDoneDone follows. */
  startWritesDone(): void {
    this.checkLive('startWritesDone');
    if (this.writesDone) throw new ReactorMisuseError('startWritesDone called twice or after startWriteLast');
    this.writesDone = true;
    this.outstanding++;
    this.whenStarted(() => {
      const ok = this.statusValue === undefined;
      if (ok) this.call.closeSend();
      // The close goes out after the write in flight, so its completion comes after that write's.
      if (this.acks.includes('user')) this.writesDoneAfterWrite = ok;
      else this.completeWritesDone(ok);
    });
  }

  private completeWritesDone(ok: boolean): void {
    this.writesDoneAfterWrite = undefined;
    this.push(() => this.reactor.onWritesDoneDone(ok), 'onWritesDoneDone', true);
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
    if (this.started) this.push(() => undefined, 'removeHold');
  }

  /** tryCancel cancels the call (CANCELLED); reactions still run and onDone follows. Before startCall it takes effect at startCall. */
  tryCancel(): void {
    if (!this.started) this.cancelRequested = true;
    else if (!this.statusValue) this.call.cancel(status(Code.CANCELLED, 'cancelled by the client'));
    else if (this.call.unread > 0) {
      // The status is in but responses are still unread: drop them so onDone can follow.
      this.call.skipUnread();
      this.push(() => undefined, 'skipUnread');
    }
  }

  /** onMessage implements CallListener. */
  onMessage(message: Uint8Array | null): void {
    this.noteMetadata(message !== null);
    if (this.unaryRead) {
      this.unaryRead = false;
      if (message) this.push(() => (this.response = this.decode(message)), 'response');
      return;
    }
    if (message === null) this.readEnded = true;
    this.push(() => {
      this.reading = false;
      if (message === null) return this.reactor.onReadDone(false, undefined);
      const value = this.decode(message);
      if (value === undefined && this.failure) return this.reactor.onReadDone(false, undefined);
      this.reactor.onReadDone(true, value);
    }, 'onReadDone', true);
  }

  /** onWritable implements CallListener. */
  onWritable(ok: boolean): void {
    const ack = this.acks.shift();
    if (ack === 'user') this.completeWrite(ok);
  }

  private completeWrite(ok: boolean): void {
    this.push(() => {
      this.writing = false;
      this.reactor.onWriteDone(ok);
    }, 'onWriteDone', true);
    if (this.writesDoneAfterWrite !== undefined && !this.acks.includes('user')) this.completeWritesDone(this.writesDoneAfterWrite && ok);
  }

  /** onStatus implements CallListener. */
  onStatus(s: Status): void {
    this.noteMetadata(false, s);
    this.statusValue = s;
    // Writes the session will never acknowledge now complete with ok=false.
    while (this.acks.length) if (this.acks.shift() === 'user') this.completeWrite(false);
    this.push(() => undefined, 'status');
  }

  private noteMetadata(message: boolean, s?: Status): void {
    if (this.metadataSeen) return;
    this.metadataSeen = true;
    if (this.skipMetadata) return;
    const ok = message || (s !== undefined && s.code === Code.OK);
    this.outstanding++;
    this.push(() => this.reactor.onReadInitialMetadataDone(ok), 'onReadInitialMetadataDone', true);
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

  /** push queues a reaction; `op` ones complete an outstanding operation; every one re-checks for onDone. */
  private push(run: () => void, label: string, op = false): void {
    if (this.doneQueued) return;
    this.queue.push(() => {
      try {
        run();
      } finally {
        if (op) this.outstanding--;
        this.maybeDone();
      }
    }, label);
  }


  private maybeDone(): void {
    // Responses the server sent before its status stay readable: onDone waits until they were read (or tryCancel dropped them).
    if (this.doneQueued || !this.statusValue || this.outstanding > 0 || this.holds > 0 || this.call.unread > 0) return;
    this.doneQueued = true;
    // The status is read when onDone runs: a reaction that throws after onDone was queued still fails the call (the scheduler runs the error handler first).
    this.queue.pushFinal(() => {
      const s = this.failure ?? this.statusValue!;
      const end = this.end;
      if (end === undefined) return this.reactor.onDone(s, s.code === Code.OK ? this.response : undefined);
      end.beforeDone?.();
      try {
        this.reactor.onDone(s, s.code === Code.OK ? this.response : undefined);
      } finally {
        end.afterDone();
      }
    }, 'onDone');
  }

  private reactionFailed(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.failure ??= status(Code.INTERNAL, `reaction threw: ${msg}`);
    if (this.started && !this.statusValue) this.call.cancel(this.failure);
  }

  /** ack records a frame acknowledgement to expect (see acks). */
  private ack(a: Ack): void {
    if (this.acks === NO_ACKS) this.acks = [a];
    else this.acks.push(a);
  }

  private whenStarted(op: () => void): void {
    if (this.started) op();
    else if (this.backlog === undefined) this.backlog = [op];
    else this.backlog.push(op);
  }

  private checkLive(op: string): void {
    if (this.doneQueued) throw new ReactorMisuseError(`${op} after onDone`);
  }
}
