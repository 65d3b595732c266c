import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';

/** dialAborted builds the error of a dial cancelled by an AbortSignal: CANCELLED, or DEADLINE_EXCEEDED for a TimeoutError reason. */
export function dialAborted(target: string, reason: unknown): RpcError {
  const e = RpcError.from(reason, Code.CANCELLED);
  return new RpcError(e.code, `dial ${target}: ${e.rawMessage || 'aborted'}`, [], undefined, { cause: reason });
}
