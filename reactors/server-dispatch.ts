import type { CallListener, ServerCall } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { CallQueue, CodedReactions } from '../src/scheduler/call-queue.js';
import type { Scheduler } from '../src/scheduler/scheduler.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { status } from '../src/status/status.js';
import type { ServerBinding } from './server-binding.js';
import { ServerContext } from './server-context.js';
import { type AnyServerReactor, SERVER_BINDING, ServerUnaryReactor } from './server-reactors.js';

/** ReactorHandler is a callback-style method handler: it returns the reactor that serves the call (request given for unary and server-streaming methods). */
export type ReactorHandler<Req, Res> = (ctx: ServerContext, request: Req) => AnyServerReactor<Req, Res>;

/** NOOP_DONE is the base classes' no-op onDone (a reactor that keeps it needs no such reaction). */
const NOOP_DONE = ServerUnaryReactor.prototype.onDone;

/** HANDLER is the code of the call's one dispatch reaction ('handler'). */
const HANDLER = 0;

/**
 * DispatchContext is the call's context and, until the reactor is attached,
 * its listener: it buffers events and then forwards them. It also carries the
 * dispatch of its call (reading the request, the handler reaction as a coded
 * reaction, attaching the reactor), so dispatch creates nothing per call
 * beyond this context, the call queue and the reactor.
 */
class DispatchContext<Req, Res> extends ServerContext implements CallListener, CodedReactions {
  private target: CallListener | undefined;
  // Events that arrived before the reactor was attached; allocated only when there is one.
  private held: Array<(l: CallListener) => void> | undefined = undefined;
  // Set while the first message is the request (unary and server-streaming calls): it goes to the handler reaction.
  private awaitingRequest = false;
  private request: Uint8Array | undefined = undefined;

  constructor(
    private readonly serverCall: ServerCall,
    private readonly ended: (() => void) | undefined,
    private readonly desc: MethodDescriptor<Req, Res>,
    private readonly handler: ReactorHandler<Req, Res>,
    readonly queue: CallQueue,
  ) {
    super(serverCall);
  }

  /** expectRequest makes the first message the request, handed to the handler reaction. */
  expectRequest(): void {
    this.awaitingRequest = true;
  }

  /** react runs the handler reaction (the only code). */
  react(_code: number): void {
    this.handle();
  }

  private setTarget(t: CallListener): void {
    this.target = t;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const h of held) h(t);
  }

  private hold(h: (l: CallListener) => void): void {
    (this.held ??= []).push(h);
  }

  onMessage(m: Uint8Array | null): void {
    if (this.awaitingRequest) {
      this.awaitingRequest = false;
      if (m === null) return this.serverCall.finish(status(Code.INTERNAL, 'missing request message'));
      this.request = m;
      this.queue.pushCode(this, HANDLER, 'handler');
    } else if (this.target) this.target.onMessage(m);
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
    this.markCancelled();
    if (this.target) this.target.onCancelled?.();
    else this.hold((l) => l.onCancelled?.());
  }

  private handle(): void {
    const call = this.serverCall;
    const m = this.request;
    this.request = undefined;
    let req = undefined as Req;
    if (m !== undefined) {
      try {
        req = this.desc.deserializeRequest(m);
      } catch (e) {
        return call.finish(status(Code.INTERNAL, `failed to parse request: ${(e as Error).message}`));
      }
    }
    let reactor: AnyServerReactor<Req, Res>;
    try {
      reactor = this.handler(this, req);
    } catch (e) {
      return call.finish(e instanceof RpcError ? e.toStatus() : status(Code.INTERNAL, `handler threw: ${e instanceof Error ? e.message : String(e)}`));
    }
    const binding = (reactor as { [SERVER_BINDING]?: ServerBinding<Req, Res> } | undefined)?.[SERVER_BINDING];
    if (!binding) return call.finish(status(Code.INTERNAL, `handler for ${this.desc.path} did not return a server reactor`));
    try {
      binding.attach(reactor, call, this.desc, this.queue, true, NOOP_DONE);
    } catch (e) {
      return call.finish(status(Code.INTERNAL, (e as Error).message));
    }
    this.setTarget(binding);
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
  const ctx = new DispatchContext(call, ended, method, handler, scheduler.createQueue());
  call.start(ctx);
  if (method.kind === 'unary' || method.kind === 'server_stream') {
    ctx.expectRequest();
    call.request(1);
  } else {
    ctx.queue.pushCode(ctx, HANDLER, 'handler');
  }
}
