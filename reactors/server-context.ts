import type { ServerCall } from '../src/call/call.js';
import type { Metadata } from '../src/metadata/metadata.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { ServerUnaryReactor } from './server-reactors.js';

/** DefaultUnaryReactor is the library-owned unary reactor handed out by ServerContext.defaultReactor(). */
class DefaultUnaryReactor<Res> extends ServerUnaryReactor<Res> {}

/**
 * ServerContext is what a handler knows about its call (gRPC C++
 * CallbackServerContext): request metadata, deadline, peer, method, an
 * AbortSignal that fires on cancellation, and defaultReactor().
 */
export class ServerContext {
  private readonly abort = new AbortController();

  /** constructor wraps a server call. @internal */
  constructor(private readonly call: ServerCall) {}

  /** metadata holds the request metadata. */
  get metadata(): Metadata {
    return this.call.metadata;
  }

  /** deadline is the absolute deadline (ms since the epoch), or undefined. */
  get deadline(): number | undefined {
    return this.call.deadline;
  }

  /** peer is the client's address. */
  get peer(): string {
    return this.call.peer;
  }

  /** method is the full method name `/package.Service/Method`. */
  get method(): string {
    return this.call.method;
  }

  /** signal aborts when the call is cancelled (client gone, deadline, shutdown). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** cancelled tells whether the call was cancelled (gRPC C++ IsCancelled). */
  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** defaultReactor returns a library-owned unary reactor to finish (gRPC C++ DefaultReactor). */
  defaultReactor<Res>(): ServerUnaryReactor<Res> {
    return new DefaultUnaryReactor<Res>();
  }

  /** markCancelled aborts the signal. @internal */
  markCancelled(): void {
    if (this.abort.signal.aborted) return;
    const late = this.call.deadline !== undefined && Date.now() >= this.call.deadline;
    this.abort.abort(late ? new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded') : new RpcError(Code.CANCELLED, 'call cancelled'));
  }
}
