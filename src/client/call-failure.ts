import { abortStatus } from '../status/abort-status.js';
import { RpcError } from '../status/rpc-error.js';
import type { Status } from '../status/status.js';

/**
 * CallFailure turns a call's final status into the RpcError its promise or
 * iterable fails with: the error names the method and the peer, and when the
 * call's signal ended it, carries the abort reason as its `cause`. @internal
 */
export class CallFailure {
  private abortedWith: Status | undefined = undefined;
  private reason: unknown = undefined;

  /** constructor stores what the error will name. */
  constructor(
    readonly method: string,
    readonly peer: string | undefined,
  ) {}

  /** aborted records the signal's reason and returns the status to cancel the call with. */
  aborted(reason: unknown, started = true): Status {
    const s = abortStatus(reason, started);
    this.abortedWith = s;
    this.reason = reason;
    return s;
  }

  /** error builds the RpcError for a non-OK final status. */
  error(s: Status): RpcError {
    return callError(s, this.method, this.peer, this.abortedWith, this.reason);
  }
}

/** callError builds a failed call's RpcError; `abortedWith` is the status an aborted signal cancelled it with, whose `reason` becomes the cause. @internal */
export function callError(s: Status, method: string, peer: string | undefined, abortedWith: Status | undefined, reason: unknown): RpcError {
  const byAbort = abortedWith !== undefined && s.code === abortedWith.code && s.message === abortedWith.message;
  return RpcError.fromStatus(s, undefined, byAbort ? { cause: reason, method, peer } : { method, peer });
}
