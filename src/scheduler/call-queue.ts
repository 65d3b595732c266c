/**
 * CodedReactions runs reactions queued as small integer codes (pushCode):
 * the reaction's data lives in the target, so queueing one allocates
 * nothing. @internal
 */
export interface CodedReactions {
  /** react runs the reaction `code`. */
  react(code: number): void;
}

/** CallFailureTarget is told that one of the call's reactions threw (the closure-free form of onError). @internal */
export interface CallFailureTarget {
  /** reactionFailed handles the error (the reactor fails the call). */
  reactionFailed(error: unknown): void;
}

/** ReactionSink is where a CallQueue sends its reactions (the scheduler). @internal */
export interface ReactionSink {
  /** enqueue appends a reaction to the run loop (passed field by field: no Reaction object per reaction); `code` is passed to a CodedReactions target. */
  enqueue(run: (() => void) | CodedReactions, label: string | undefined, queue: CallQueue | undefined, final: boolean, code: number): void;
}

/** CallErrorHandler is told that one of the call's reactions threw. */
export type CallErrorHandler = (error: unknown) => void;

/**
 * CallQueue is the serial queue of one call's reactions. Reactions run one at
 * a time, in push order, never inside the push() that queued them, and the
 * final reaction (onDone) runs exactly once, after every other one. Create it
 * with Scheduler.createQueue().
 */
export class CallQueue {
  /** id identifies the call in reports; unique per scheduler. */
  readonly id: number;
  private readonly sink: ReactionSink;
  private sealedFlag = false;
  private doneFlag = false;
  private pendingCount = 0;
  private handler: CallErrorHandler | undefined;
  private failureTarget: CallFailureTarget | undefined;

  /** @internal Use Scheduler.createQueue(). */
  constructor(id: number, sink: ReactionSink) {
    this.id = id;
    this.sink = sink;
  }

  /** done is true once the final reaction has started; nothing of this call runs after it. */
  get done(): boolean {
    return this.doneFlag;
  }

  /** sealed is true once pushFinal() was called; push() then throws. */
  get sealed(): boolean {
    return this.sealedFlag;
  }

  /** pending is the number of this call's reactions queued and not yet started. */
  get pending(): number {
    return this.pendingCount;
  }

  /**
   * push queues one reaction after the call's earlier ones.
   * Throws Error after pushFinal(), TypeError when reaction is not a function.
   */
  push(reaction: () => void, label?: string): void {
    if (this.sealedFlag) {
      throw new Error(
        `CallQueue ${this.id}: push(${label ? `"${label}"` : ''}) after pushFinal(); ` +
          'no reaction may be queued after the final reaction (onDone)',
      );
    }
    this.enqueue(reaction, label, false, 0);
  }

  /**
   * pushCode queues the reaction `target.react(code)` after the call's
   * earlier ones (push without a closure). Throws Error after pushFinal(). @internal
   */
  pushCode(target: CodedReactions, code: number, label: string): void {
    if (this.sealedFlag) throw new Error(`CallQueue ${this.id}: push("${label}") after pushFinal(); no reaction may be queued after the final reaction (onDone)`);
    this.pendingCount++;
    this.sink.enqueue(target, label, this, false, code);
  }

  /** pushFinalCode is pushFinal for `target.react(code)`. Throws Error when called a second time. @internal */
  pushFinalCode(target: CodedReactions, code: number, label: string): void {
    if (this.sealedFlag) throw new Error(`CallQueue ${this.id}: pushFinal() called twice; the final reaction (onDone) runs exactly once`);
    this.pendingCount++;
    this.sink.enqueue(target, label, this, true, code);
    this.sealedFlag = true;
  }

  /**
   * pushFinal queues the final reaction (onDone): it runs after every reaction
   * pushed before it, exactly once. Throws Error when called a second time.
   */
  pushFinal(reaction: () => void, label?: string): void {
    if (this.sealedFlag) {
      throw new Error(`CallQueue ${this.id}: pushFinal() called twice; the final reaction (onDone) runs exactly once`);
    }
    this.enqueue(reaction, label, true, 0);
    this.sealedFlag = true;
  }

  /**
   * onError sets the handler told when one of this call's reactions throws
   * (the reactor fails the call with INTERNAL). It runs right after the
   * throwing reaction, before the call's next one; it is not called for the
   * final reaction. A later call replaces the handler.
   */
  onError(handler: CallErrorHandler): void {
    this.handler = handler;
  }

  /** onErrorTarget is onError for an object (no closure per call); an onError handler takes precedence. @internal */
  onErrorTarget(target: CallFailureTarget): void {
    this.failureTarget = target;
  }

  /** errorHandler is the current error handler. @internal */
  get errorHandler(): CallErrorHandler | undefined {
    return this.handler;
  }

  /** reactionFailed tells the handler (or the failure target) that a reaction threw. @internal */
  reactionFailed(error: unknown): void {
    if (this.handler !== undefined) this.handler(error);
    else this.failureTarget?.reactionFailed(error);
  }

  /** starting is told by the scheduler just before one of this queue's reactions runs. @internal */
  starting(final: boolean): void {
    this.pendingCount--;
    if (final) this.doneFlag = true;
  }

  private enqueue(run: () => void, label: string | undefined, final: boolean, code: number): void {
    if (typeof run !== 'function') throw new TypeError(`CallQueue ${this.id}: a reaction must be a function`);
    this.pendingCount++;
    this.sink.enqueue(run, label, this, final, code);
  }
}
