import { type CallListener, type ServerCall, SEND_LAST } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import { ServerContext } from '../../reactors/server-context.js';
import { Code } from '../status/code.js';
import { OK_STATUS, type Status, status } from '../status/status.js';
import type { SyncUnary } from './handlers.js';
import { errorStatus } from './sync-adapters.js';

/**
 * SyncUnaryCall serves one unary call with a promise-style handler directly
 * on the call layer. A promise-style handler is not a reaction (there is no
 * reactor whose callbacks need ordering), so the call skips the reactor,
 * its binding and the scheduler queue: one object per call besides the
 * ServerContext. The handler runs when the request arrives; its result (or
 * the promise's) finishes the call. Behaviour and status texts match those
 * of a callback-style unary method (ServerUnaryReactor).
 */
export class SyncUnaryCall<Req, Res> implements CallListener {
  private readonly ctx: ServerContext;
  private finished = false;

  /** constructor starts the call and asks for its request; `ended` runs once when the call's status is out. */
  constructor(
    private readonly call: ServerCall,
    private readonly method: MethodDescriptor<Req, Res>,
    private readonly fn: SyncUnary<Req, Res>,
    private readonly ended: (() => void) | undefined,
  ) {
    this.ctx = new ServerContext(call);
    call.start(this);
    call.request(1);
  }

  /** onMessage implements CallListener: the request (or null when the client sent none). */
  onMessage(message: Uint8Array | null): void {
    if (this.finished) return;
    if (message === null) return this.finish(status(Code.INTERNAL, 'missing request message'));
    let request: Req;
    try {
      request = this.method.deserializeRequest(message);
    } catch (e) {
      return this.finish(status(Code.INTERNAL, `failed to parse request: ${(e as Error).message}`));
    }
    let res: Promise<Res> | Res;
    try {
      res = this.fn(request, this.ctx);
    } catch (e) {
      return this.finish(errorStatus(e));
    }
    // A plain value finishes at once; a promise (or other thenable) takes one step.
    if (res === null || (typeof res !== 'object' && typeof res !== 'function') || typeof (res as { then?: unknown }).then !== 'function') {
      this.reply(res as Res);
    } else {
      (res instanceof Promise ? res : Promise.resolve(res)).then(
        (r: Res) => this.reply(r),
        (e: unknown) => this.finish(errorStatus(e)),
      );
    }
  }

  /** onWritable implements CallListener (the response's acknowledgement needs no action). */
  onWritable(): void {}

  /** onStatus implements CallListener: the call is over. */
  onStatus(): void {
    this.finished = true;
    this.ended?.();
  }

  /** onCancelled implements CallListener: aborts ctx.signal. */
  onCancelled(): void {
    this.ctx.markCancelled();
  }

  private reply(response: Res): void {
    if (this.finished) return;
    if (response !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = this.method.serializeResponse(response);
      } catch (e) {
        return this.finish(status(Code.INTERNAL, `failed to serialize response: ${(e as Error).message}`));
      }
      this.finished = true;
      this.call.send(bytes, SEND_LAST);
    }
    this.finish(OK_STATUS);
  }

  private finish(s: Status): void {
    this.finished = true;
    this.call.finish(s);
  }
}
