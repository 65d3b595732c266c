import type { CallListener, ServerCall } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { Scheduler } from '../src/scheduler/scheduler.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { status } from '../src/status/status.js';
import type { ServerBinding } from './server-binding.js';
import { ServerContext } from './server-context.js';
import { type AnyServerReactor, SERVER_BINDING } from './server-reactors.js';

/** ReactorHandler is a callback-style method handler: it returns the reactor that serves the call (request given for unary and server-streaming methods). */
export type ReactorHandler<Req, Res> = (ctx: ServerContext, request: Req) => AnyServerReactor<Req, Res>;

/** Relay is the call's listener until the reactor is attached: it buffers events and then forwards them. */
class Relay implements CallListener {
  private target: CallListener | undefined;
  // Events that arrived before the reactor was attached; allocated only when there is one.
  private held: Array<(l: CallListener) => void> | undefined = undefined;
  /** onRequest, while set, receives the first message (the request of unary and server-streaming calls). */
  onRequest: ((m: Uint8Array | null) => void) | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly ended: (() => void) | undefined,
  ) {}

  setTarget(t: CallListener): void {
    this.target = t;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const h of held) h(t);
  }

  private hold(h: (l: CallListener) => void): void {
    (this.held ??= []).push(h);
  }

  onMessage(m: Uint8Array | null): void {
    const first = this.onRequest;
    this.onRequest = undefined;
    if (first) first(m);
    else if (this.target) this.target.onMessage(m);
    else this.hold((l) => l.onMessage(m));
  }
  onWritable(ok: boolean): void {
    if (this.target) this.target.onWritable(ok);
    else this.hold((l) => l.onWritable(ok));
  }
  onStatus(s: Parameters<CallListener['onStatus']>[0]): void {
    this.ended?.();
    if (this.target) this.target.onStatus(s);
    else this.hold((l) => l.onStatus(s));
  }
  onCancelled(): void {
    this.ctx.markCancelled();
    if (this.target) this.target.onCancelled?.();
    else this.hold((l) => l.onCancelled?.());
  }
}

/**
 * dispatchServerCall runs a callback-style handler for one server call on the
 * scheduler: it reads the request first for unary and server-streaming
 * methods, invokes the handler in a reaction, and attaches the returned
 * reactor (releasing operations it issued before returning). A handler that
 * throws finishes the call with its RpcError status, or INTERNAL. `ended`
 * runs once when the call's status is out (a server's count of running calls).
 */
export function dispatchServerCall<Req, Res>(call: ServerCall, method: MethodDescriptor<Req, Res>, handler: ReactorHandler<Req, Res>, scheduler: Scheduler, ended?: () => void): void {
  const ctx = new ServerContext(call);
  const relay = new Relay(ctx, ended);
  const queue = scheduler.createQueue();
  call.start(relay);
  const invoke = (request: Req) => {
    let reactor: AnyServerReactor<Req, Res>;
    try {
      reactor = handler(ctx, request);
    } catch (e) {
      return call.finish(e instanceof RpcError ? e.toStatus() : status(Code.INTERNAL, `handler threw: ${e instanceof Error ? e.message : String(e)}`));
    }
    const binding = (reactor as { [SERVER_BINDING]?: ServerBinding<Req, Res> } | undefined)?.[SERVER_BINDING];
    if (!binding) return call.finish(status(Code.INTERNAL, `handler for ${method.path} did not return a server reactor`));
    try {
      binding.attach(reactor, call, method, queue, true);
    } catch (e) {
      return call.finish(status(Code.INTERNAL, (e as Error).message));
    }
    relay.setTarget(binding);
  };
  if (method.kind === 'unary' || method.kind === 'server_stream') {
    relay.onRequest = (m) => {
      if (m === null) return call.finish(status(Code.INTERNAL, 'missing request message'));
      queue.push(() => {
        let req: Req;
        try {
          req = method.deserializeRequest(m);
        } catch (e) {
          return call.finish(status(Code.INTERNAL, `failed to parse request: ${(e as Error).message}`));
        }
        invoke(req);
      }, 'handler');
    };
    call.request(1);
  } else {
    queue.push(() => invoke(undefined as Req), 'handler');
  }
}
