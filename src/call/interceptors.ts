import type { CallListener, CallOptions, ClientCall, MethodKind, SendOptions, ServerCall } from './call.js';
import type { Status } from '../status/status.js';

/** ClientCallInfo describes the call an interceptor sees. */
export interface ClientCallInfo {
  /** method is the full method name. */
  readonly method: string;
  /** kind is the streaming shape. */
  readonly kind: MethodKind;
}

/**
 * ClientInterceptor wraps the creation of a client call. Interceptors form an
 * onion: with `[a, b]`, `a` runs first, calls `next` to reach `b`, which calls
 * `next` to reach the transport; events flow back out through `b`, then `a`.
 * An interceptor may change the options (metadata, deadline; `options.metadata`
 * is undefined when the caller passed none: build one with
 * `new Metadata(options.metadata)`), wrap the returned call (see the exported
 * ForwardingClientCall) or fail the call without calling next. For typed,
 * decoded messages use a MessageInterceptor (`messageInterceptors`) instead.
 */
export type ClientInterceptor = (info: ClientCallInfo, options: CallOptions, next: (options: CallOptions) => ClientCall) => ClientCall;

/**
 * ServerInterceptor wraps the handling of a server call: call `next(call)`
 * (possibly with a wrapped call) to continue, or finish the call yourself to
 * reject it (e.g. UNAUTHENTICATED). Same onion order as the client side:
 * with `[a, b]`, `a` sees the call first. Events coming from the wire (the
 * messages and the final status) reach the interceptor nearest the wire
 * first: on a server that is `a`, on a client the innermost one. Observe
 * them with the exported wrapListener.
 */
export type ServerInterceptor = (call: ServerCall, next: (call: ServerCall) => void) => void;

/** chainClient composes client interceptors around a call factory. */
export function chainClient(interceptors: readonly ClientInterceptor[], info: ClientCallInfo, options: CallOptions, create: (options: CallOptions) => ClientCall): ClientCall {
  let next = create;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const ic = interceptors[i]!;
    const inner = next;
    next = (o) => ic(info, o, inner);
  }
  return next(options);
}

/** chainServer composes server interceptors around a handler. */
export function chainServer(interceptors: readonly ServerInterceptor[], call: ServerCall, handle: (call: ServerCall) => void): void {
  let next = handle;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const ic = interceptors[i]!;
    const inner = next;
    next = (c) => ic(c, inner);
  }
  next(call);
}

/** ListenerHooks observe (and may rewrite) the events of one call on their way to the listener. */
export interface ListenerHooks {
  /** onMessage sees each delivered message (null = end of stream). */
  onMessage?(message: Uint8Array | null, forward: (m: Uint8Array | null) => void): void;
  /** onStatus sees the final status. */
  onStatus?(status: Status, forward: (s: Status) => void): void;
}

/** SendHooks observe (and may rewrite) what a call sends. */
export interface SendHooks {
  /** send sees each outgoing message. */
  send?(message: Uint8Array, options: SendOptions | undefined, forward: (m: Uint8Array, o?: SendOptions) => void): void;
}

/** ForwardingClientCall wraps a ClientCall, forwarding everything and letting hooks observe messages and the status. */
export class ForwardingClientCall implements ClientCall {
  /** constructor wraps `inner`. */
  constructor(
    private readonly inner: ClientCall,
    private readonly hooks: ListenerHooks & SendHooks = {},
  ) {}
  /** method is the wrapped call's method. */
  get method(): string {
    return this.inner.method;
  }
  /** kind is the wrapped call's shape. */
  get kind(): MethodKind {
    return this.inner.kind;
  }
  /** start wraps the listener with the hooks. */
  start(listener: CallListener): void {
    this.inner.start(wrapListener(listener, this.hooks));
  }
  /** request forwards. */
  request(n: number): void {
    this.inner.request(n);
  }
  /** send forwards through the send hook. */
  send(message: Uint8Array, options?: SendOptions): void {
    if (this.hooks.send) this.hooks.send(message, options, (m, o) => this.inner.send(m, o));
    else this.inner.send(message, options);
  }
  /** closeSend forwards. */
  closeSend(): void {
    this.inner.closeSend();
  }
  /** cancel forwards. */
  cancel(status?: Status): void {
    this.inner.cancel(status);
  }
  /** unread forwards. */
  get unread(): number {
    return this.inner.unread;
  }
  /** skipUnread forwards. */
  skipUnread(): void {
    this.inner.skipUnread();
  }
}

/** wrapListener applies hooks to a listener. */
export function wrapListener(l: CallListener, hooks: ListenerHooks): CallListener {
  return {
    onMessage: (m) => (hooks.onMessage ? hooks.onMessage(m, (x) => l.onMessage(x)) : l.onMessage(m)),
    onWritable: (ok) => l.onWritable(ok),
    onStatus: (s) => (hooks.onStatus ? hooks.onStatus(s, (x) => l.onStatus(x)) : l.onStatus(s)),
    onCancelled: () => l.onCancelled?.(),
  };
}
