import type { MethodKind } from './call.js';
import type { MethodDescriptor } from './method.js';
import type { Metadata } from '../metadata/metadata.js';

/**
 * MessageCall is what a message interceptor knows about a call, on either
 * side. The request objects are plain: pass a changed copy to `next`
 * (`next({ ...req, deadline })`) or change `metadata` in place.
 */
export interface MessageCall {
  /** side tells whether the interceptor runs in a Client or a Server. */
  readonly side: 'client' | 'server';
  /** method is the full method name `/package.Service/Method`. */
  readonly method: string;
  /** kind is the method's streaming shape. */
  readonly kind: MethodKind;
  /** descriptor is the method's descriptor (the service definition's entry; a raw-bytes one for generic calls). */
  readonly descriptor: MethodDescriptor<unknown, unknown>;
  /** metadata is the request metadata, always present (client: what will be sent; server: what was received). */
  readonly metadata: Metadata;
  /** deadline is the absolute deadline in ms since the epoch (Date.now() scale), or undefined. */
  readonly deadline: number | undefined;
  /** peer is the other end's address when known (client: the dialled target; server: the remote address). */
  readonly peer: string | undefined;
  /** signal aborts when the call is cancelled (client cancel or abort signal; server: the peer cancelled or the deadline passed). */
  readonly signal: AbortSignal;
}

/** UnaryRequest is the request of a unary call: one message. */
export interface UnaryRequest<I = unknown> extends MessageCall {
  /** stream is false for unary calls. */
  readonly stream: false;
  /** message is the request message. */
  readonly message: I;
}

/** StreamRequest is the request of a streaming call (server, client or bidi streaming): the request messages as they are sent. */
export interface StreamRequest<I = unknown> extends MessageCall {
  /** stream is true for every streaming shape. */
  readonly stream: true;
  /** messages yields the request messages (one for server streaming); single consumer. */
  readonly messages: AsyncIterable<I>;
}

/** UnaryResponse is the successful result of a unary call: one message. */
export interface UnaryResponse<O = unknown> {
  /** stream is false for unary calls. */
  readonly stream: false;
  /** message is the response message (undefined when a server handler finished OK without one). */
  readonly message: O;
}

/**
 * StreamResponse is the result of a streaming call: the response messages
 * (one for client streaming). Iteration ends when the call ended OK and
 * throws the call's RpcError when it failed, so the final status of a stream
 * is seen by wrapping `messages`.
 */
export interface StreamResponse<O = unknown> {
  /** stream is true for every streaming shape. */
  readonly stream: true;
  /** messages yields the response messages; single consumer. */
  readonly messages: AsyncIterable<O>;
}

/** MessageRequest is either request form. */
export type MessageRequest = UnaryRequest | StreamRequest;

/** MessageResponse is either response form. */
export type MessageResponse = UnaryResponse | StreamResponse;

/** MessageHandler runs a call: the rest of the chain, ending at the transport (client) or the handler (server). Rejects with RpcError. */
export type MessageHandler = (request: MessageRequest) => Promise<MessageResponse>;

/**
 * MessageInterceptor is a typed, message-level interceptor in the Connect
 * style: `(next) => async (req) => { …; const res = await next(req); …; return res; }`.
 * With `[a, b]`, `a` is outermost: it runs first and sees the result last.
 * A unary call's final status is the awaited result (OK) or the thrown
 * RpcError; a stream's is the end (OK) or the error of `res.messages`.
 * Throwing ends the call with that error: an RpcError as is, anything else
 * as UNKNOWN (as a promise-style handler's throw). Configure them with the
 * `messageInterceptors` option of Client.connect and new Server.
 */
export type MessageInterceptor = (next: MessageHandler) => MessageHandler;

/** composeMessageInterceptors wraps `last` in the interceptors, the first one outermost. */
export function composeMessageInterceptors(interceptors: readonly MessageInterceptor[], last: MessageHandler): MessageHandler {
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}

/**
 * LazyAbort is a call's cancellation for its interceptors: the AbortController
 * behind `req.signal` is made only when an interceptor reads the signal (most
 * never do, and a controller costs more than the rest of an intercepted call).
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private reasonValue: unknown;
  private abortedFlag = false;

  /** signal is the call's AbortSignal, created on first use (already aborted when the call was). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedFlag) this.controller.abort(this.reasonValue);
    }
    return this.controller.signal;
  }

  /** aborted tells whether the call was cancelled. */
  get aborted(): boolean {
    return this.abortedFlag;
  }

  /** reason is what the call was cancelled with. */
  get reason(): unknown {
    return this.reasonValue;
  }

  /** abort cancels the call (once): a signal handed out fires. */
  abort(reason: unknown): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    this.reasonValue = reason;
    this.controller?.abort(reason);
  }
}

/** runMessageInterceptors builds a call's request (`body` is the message of a unary call, the message stream otherwise; `signal` reads `abort` lazily) and runs it through the interceptors to `last`; a synchronous throw becomes a rejection. */
export function runMessageInterceptors(interceptors: readonly MessageInterceptor[], call: Omit<MessageCall, 'signal'>, abort: LazyAbort, body: unknown, last: MessageHandler): Promise<MessageResponse> {
  // Written out (no spread of `call`): this literal is built once per intercepted call.
  const { side, method, kind, descriptor, metadata, deadline, peer } = call;
  const req: MessageRequest =
    kind === 'unary'
      ? { side, method, kind, descriptor, metadata, deadline, peer, stream: false, message: body, get signal() { return abort.signal; } }
      : { side, method, kind, descriptor, metadata, deadline, peer, stream: true, messages: body as AsyncIterable<unknown>, get signal() { return abort.signal; } };
  try {
    return composeMessageInterceptors(interceptors, last)(req);
  } catch (e) {
    return Promise.reject(e);
  }
}
