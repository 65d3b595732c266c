import type { MethodKind, PeerCertificate, ServerCall } from '../src/call/call.js';
import type { Metadata } from '../src/metadata/metadata.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { ServerUnaryReactor } from './server-reactors.js';

/** DEADLINE_SLACK_MS is how close to its deadline a cancellation counts as the deadline's. */
const DEADLINE_SLACK_MS = 20;

/** DefaultUnaryReactor is the library-owned unary reactor handed out by ServerContext.defaultReactor(). */
class DefaultUnaryReactor<Res> extends ServerUnaryReactor<Res> {}

/**
 * ServerContext is what a handler knows about its call (gRPC C++
 * CallbackServerContext): request metadata, deadline, peer, method, an
 * AbortSignal that fires on cancellation, and defaultReactor().
 */
export class ServerContext {
  // Created on first use of `signal`: most handlers never read it, and an AbortController per call is costly.
  private abort: AbortController | undefined;
  private reason: RpcError | undefined;

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

  /** peerCertificate is the client's TLS certificate identity (CN, SANs, SHA-256 fingerprint); undefined without TLS or without a client certificate. */
  get peerCertificate(): PeerCertificate | undefined {
    return this.call.peerCertificate;
  }

  /** method is the full method name `/package.Service/Method`. */
  get method(): string {
    return this.call.method;
  }

  /**
   * kind is the call's streaming shape. For a registered method it is the
   * method's; for a method routed to the generic service it is what the wire
   * tells (ttrpc request flags: 'unary', 'server_stream', or 'bidi' for every
   * client-streaming call), so a proxy can open its upstream call with the
   * same shape.
   */
  get kind(): MethodKind {
    return this.call.kind;
  }

  /** signal aborts when the call is cancelled (client gone, deadline, shutdown). */
  get signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.reason) this.abort.abort(this.reason);
    }
    return this.abort.signal;
  }

  /** cancelled tells whether the call was cancelled (gRPC C++ IsCancelled). */
  get cancelled(): boolean {
    return this.reason !== undefined;
  }

  /** defaultReactor returns a library-owned unary reactor to finish (gRPC C++ DefaultReactor). */
  defaultReactor<Res>(): ServerUnaryReactor<Res> {
    return new DefaultUnaryReactor<Res>();
  }

  /** markCancelled aborts the signal. @internal */
  markCancelled(): void {
    if (this.reason) return;
    // Timers may fire a little before the wall clock reaches the deadline, hence the slack.
    const late = this.call.deadline !== undefined && Date.now() + DEADLINE_SLACK_MS >= this.call.deadline;
    this.reason = late ? new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded') : new RpcError(Code.CANCELLED, 'call cancelled');
    this.abort?.abort(this.reason);
  }
}
