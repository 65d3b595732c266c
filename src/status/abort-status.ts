import { Code } from './code.js';
import { type Status, status } from './status.js';

/** isTimeoutReason tells whether an abort reason is a timeout: a DOMException named 'TimeoutError', as `AbortSignal.timeout()` aborts with. */
export function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

/**
 * abortStatus is the status a call ends with when its signal aborts:
 * DEADLINE_EXCEEDED when the reason is a timeout (as Connect-ES reports it),
 * CANCELLED for any other reason. `started` false words it for a signal that
 * was already aborted when the call was made.
 */
export function abortStatus(reason: unknown, started = true): Status {
  if (isTimeoutReason(reason)) return status(Code.DEADLINE_EXCEEDED, started ? 'call signal timed out' : 'call signal timed out before the call started');
  return status(Code.CANCELLED, started ? 'call cancelled' : 'cancelled before the call started');
}
