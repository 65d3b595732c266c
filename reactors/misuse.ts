/**
 * ReactorMisuseError is thrown synchronously by a reactor operation that
 * breaks the reactor contract (a second outstanding read or write, a write
 * after writes-done, an operation after finish or onDone, startCall twice,
 * removeHold below zero). The call itself is left intact.
 */
export class ReactorMisuseError extends Error {
  /** constructor sets the message. */
  constructor(message: string) {
    super(message);
    this.name = 'ReactorMisuseError';
  }
}
