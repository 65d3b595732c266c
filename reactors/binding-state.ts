/** ACK_LIMIT is the most frame acknowledgements a binding expects at once (bits of a small integer). */
const ACK_LIMIT = 30;

/**
 * BindingState is the compact per-call state a reactor binding builds on:
 * its boolean flags as bits of one number, and the ordered list of frame
 * acknowledgements it expects (true: a user write, whose acknowledgement
 * completes onWriteDone; false: a frame the library sent itself) as bits of
 * another, so a call's state is one object with no list or flag fields
 * around it. A binding has at most one user write and one or two internal
 * frames unacknowledged at a time; more than ACK_LIMIT throws. It also
 * holds the data of the binding's queued reactions (coded reactions carry no
 * data): the ok of each queued onWriteDone and the message of each queued
 * onReadDone, taken in queue order.
 */
export abstract class BindingState {
  private flagBits = 0;
  private ackBits = 0;
  private ackCount = 0;
  // The data of queued onWriteDone / onReadDone reactions, in queue order: ok values as bits, messages in one slot (a list only if ever more than one is queued).
  private okBits = 0;
  private okCount = 0;
  private readSlot: Uint8Array | undefined = undefined;
  private moreReads: Uint8Array[] | undefined = undefined;

  /** is tells whether flag `f` is set. */
  protected is(f: number): boolean {
    return (this.flagBits & f) !== 0;
  }

  /** raise sets flag `f`. */
  protected raise(f: number): void {
    this.flagBits |= f;
  }

  /** lower clears flag `f`. */
  protected lower(f: number): void {
    this.flagBits &= ~f;
  }

  /** put sets flag `f` to `v`. */
  protected put(f: number, v: boolean): void {
    this.flagBits = v ? this.flagBits | f : this.flagBits & ~f;
  }

  /** acksPending is the number of acknowledgements expected. */
  protected get acksPending(): number {
    return this.ackCount;
  }

  /** userAckPending tells whether a user write's acknowledgement is expected. */
  protected get userAckPending(): boolean {
    return this.ackBits !== 0;
  }

  /** pushAck appends one expected acknowledgement. */
  protected pushAck(user: boolean): void {
    if (this.ackCount >= ACK_LIMIT) throw new Error(`reactor binding: more than ${ACK_LIMIT} frames unacknowledged`);
    if (user) this.ackBits |= 1 << this.ackCount;
    this.ackCount++;
  }

  /** shiftAck removes the oldest expected acknowledgement and tells whether it was a user write's (false when none is expected). */
  protected shiftAck(): boolean {
    if (this.ackCount === 0) return false;
    const user = (this.ackBits & 1) === 1;
    this.ackBits >>>= 1;
    this.ackCount--;
    return user;
  }

  /** queueWriteOk records the ok of a queued onWriteDone. */
  protected queueWriteOk(ok: boolean): void {
    if (this.okCount >= ACK_LIMIT) throw new Error(`reactor binding: more than ${ACK_LIMIT} onWriteDone reactions queued`);
    if (ok) this.okBits |= 1 << this.okCount;
    this.okCount++;
  }

  /** takeWriteOk returns the ok of the oldest queued onWriteDone. */
  protected takeWriteOk(): boolean {
    const ok = (this.okBits & 1) === 1;
    this.okBits >>>= 1;
    if (this.okCount > 0) this.okCount--;
    return ok;
  }

  /** queueRead records the message of a queued onReadDone. */
  protected queueRead(m: Uint8Array): void {
    if (this.readSlot === undefined && this.moreReads === undefined) this.readSlot = m;
    else (this.moreReads ??= []).push(m);
  }

  /** takeRead returns the message of the oldest queued onReadDone. */
  protected takeRead(): Uint8Array {
    const m = this.readSlot!;
    this.readSlot = this.moreReads?.shift();
    if (this.moreReads?.length === 0) this.moreReads = undefined;
    return m;
  }
}
