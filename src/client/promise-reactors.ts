import { ClientBidiReactor, ClientReadReactor, ClientWriteReactor } from '../../reactors/client-reactors.js';
import { ReactorMisuseError } from '../../reactors/misuse.js';
import { PullStream } from '../services/async-queue.js';
import { Code } from '../status/code.js';
import type { Status } from '../status/status.js';
import type { CallFailure } from './call-failure.js';

/** UnaryCallback is the unary shortcut's completion: status, and the response on success. */
export type UnaryCallback<Res> = (status: Status, response: Res | undefined) => void;

/**
 * outsideReaction runs an operation issued from outside a reaction (an iterator's
 * next(), a source that yielded late): once the call's onDone is queued the
 * operation is refused with ReactorMisuseError, and since onDone will settle
 * the stream or promise anyway, that refusal is dropped.
 */
function outsideReaction(op: () => void): void {
  try {
    op();
  } catch (e) {
    if (!(e instanceof ReactorMisuseError)) throw e;
  }
}

/** ReadIterable turns a ClientReadReactor into an async iterable: each next() is one startRead. @internal */
export class IterableReadReactor<Res> extends ClientReadReactor<Res> {
  /** stream is what the caller iterates. */
  readonly stream = new PullStream<Res>(() => outsideReaction(() => this.startRead()), () => this.tryCancel());
  private ended = false;
  /** constructor takes what turns a failed end into the stream's error. */
  constructor(readonly ending: CallFailure) {
    super();
  }
  /** onReadDone feeds the stream. */
  override onReadDone(ok: boolean, response: Res | undefined): void {
    if (ok) this.stream.push(response as Res);
    else this.ended = true;
  }
  /** onDone ends or fails the stream. */
  override onDone(status: Status): void {
    if (status.code === Code.OK) this.stream.end();
    else this.stream.fail(this.ending.error(status));
    void this.ended;
  }
}

/** SourceWriter pumps an (async) iterable into startWrite, one write at a time. @internal */
export class SourceWriter<Req> {
  private it: AsyncIterator<Req> | Iterator<Req> | undefined;
  private stopped = false;
  /** constructor takes the source and the reactor's write operations. */
  constructor(
    private readonly source: AsyncIterable<Req> | Iterable<Req>,
    private readonly write: (r: Req) => void,
    private readonly done: () => void,
    private readonly fail: (e: unknown) => void,
  ) {}
  /** next writes the next item, or half-closes at the end. */
  next(): void {
    if (this.stopped) return;
    if (!this.it) this.it = Symbol.asyncIterator in this.source ? (this.source as AsyncIterable<Req>)[Symbol.asyncIterator]() : (this.source as Iterable<Req>)[Symbol.iterator]();
    Promise.resolve()
      .then(() => this.it!.next())
      .then(
        (r) => {
          if (this.stopped) return;
          if (r.done) {
            this.stopped = true;
            this.done();
          } else this.write(r.value);
        },
        (e: unknown) => {
          this.stopped = true;
          this.fail(e);
        },
      );
  }
  /** stop ends the pumping (the call ended). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    void Promise.resolve(this.it?.return?.()).catch(() => undefined);
  }
}

/** PromiseWriteReactor sends an iterable of requests and resolves with the single response. @internal */
export class PromiseWriteReactor<Req, Res> extends ClientWriteReactor<Req, Res> {
  private readonly writer: SourceWriter<Req>;
  private failure: unknown;
  /** result settles with the call's outcome. */
  readonly result: Promise<Res>;
  private settle!: { resolve: (r: Res) => void; reject: (e: unknown) => void };
  /** constructor prepares the pump (`ending` builds the error of a failed end); the caller binds and starts the call. */
  constructor(
    source: AsyncIterable<Req> | Iterable<Req>,
    readonly ending: CallFailure,
  ) {
    super();
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.writer = new SourceWriter(source, (r) => outsideReaction(() => this.startWrite(r)), () => outsideReaction(() => this.startWritesDone()), (e) => {
      this.failure = e;
      this.tryCancel();
    });
  }
  /** begin starts pumping requests. */
  begin(): void {
    this.writer.next();
  }
  /** onWriteDone continues the pump. */
  override onWriteDone(ok: boolean): void {
    if (ok) this.writer.next();
    else this.writer.stop();
  }
  /** onDone settles the promise. */
  override onDone(status: Status, response: Res | undefined): void {
    this.writer.stop();
    if (this.failure !== undefined) this.settle.reject(this.failure);
    else if (status.code !== Code.OK) this.settle.reject(this.ending.error(status));
    else this.settle.resolve(response as Res);
  }
}

/** IterableBidiReactor pumps requests and exposes responses as an async iterable. @internal */
export class IterableBidiReactor<Req, Res> extends ClientBidiReactor<Req, Res> {
  /** stream is what the caller iterates. */
  readonly stream = new PullStream<Res>(() => outsideReaction(() => this.startRead()), () => this.tryCancel());
  private readonly writer: SourceWriter<Req>;
  private failure: unknown;
  /** constructor prepares the pump (`ending` builds the error of a failed end). */
  constructor(
    source: AsyncIterable<Req> | Iterable<Req>,
    readonly ending: CallFailure,
  ) {
    super();
    this.writer = new SourceWriter(source, (r) => outsideReaction(() => this.startWrite(r)), () => outsideReaction(() => this.startWritesDone()), (e) => {
      this.failure = e;
      this.tryCancel();
    });
  }
  /** begin starts pumping requests. */
  begin(): void {
    this.writer.next();
  }
  /** onWriteDone continues the pump. */
  override onWriteDone(ok: boolean): void {
    if (ok) this.writer.next();
    else this.writer.stop();
  }
  /** onReadDone feeds the stream. */
  override onReadDone(ok: boolean, response: Res | undefined): void {
    if (ok) this.stream.push(response as Res);
  }
  /** onDone ends or fails the stream. */
  override onDone(status: Status): void {
    this.writer.stop();
    if (this.failure !== undefined) this.stream.fail(this.failure);
    else if (status.code === Code.OK) this.stream.end();
    else this.stream.fail(this.ending.error(status));
  }
}
