import type { Status } from '../src/status/status.js';
import type { ClientOps, ClientReactions, WriteOptions } from './client-binding.js';
import { ReactorMisuseError } from './misuse.js';

/** BINDING is the symbol under which a bound reactor keeps its state machine. @internal */
export const BINDING: unique symbol = Symbol('reactor-rpc.binding');

/** ClientReactorBase holds what all client reactors share: startCall, tryCancel and the binding slot. */
abstract class ClientReactorBase<Res> implements ClientReactions<Res> {
  /** @internal */
  [BINDING]: ClientOps | undefined;

  /** startCall starts the RPC; operations issued before it are held until then (gRPC C++ StartCall). Throws ReactorMisuseError when unbound or called twice. */
  startCall(): void {
    this.binding('startCall').startCall();
  }

  /** tryCancel cancels the RPC (gRPC C++ ClientContext::TryCancel); onDone follows with CANCELLED unless the call already ended. */
  tryCancel(): void {
    this.binding('tryCancel').tryCancel();
  }

  /** onReadInitialMetadataDone runs once the server's first response (message or status) arrived (gRPC C++ OnReadInitialMetadataDone). */
  onReadInitialMetadataDone(_ok: boolean): void {}
  /** onReadDone completes startRead (gRPC C++ OnReadDone): ok=true with a response, false when no more responses will come. */
  onReadDone(_ok: boolean, _response: Res | undefined): void {}
  /** onWriteDone completes startWrite (gRPC C++ OnWriteDone): ok=false means the message was not sent. */
  onWriteDone(_ok: boolean): void {}
  /** onWritesDoneDone completes startWritesDone (gRPC C++ OnWritesDoneDone). */
  onWritesDoneDone(_ok: boolean): void {}
  /** onDone runs exactly once, after every other reaction, with the final status (gRPC C++ OnDone). */
  onDone(_status: Status, _response: Res | undefined): void {}

  /** @internal */
  protected binding(op: string): ClientOps {
    const b = this[BINDING];
    if (!b) throw new ReactorMisuseError(`${op}: the reactor is not bound to a call (pass it to a client method first)`);
    return b;
  }
}

/** ClientUnaryReactor is the client side of a unary call (gRPC C++ ClientUnaryReactor): startCall, then onDone(status, response). */
export abstract class ClientUnaryReactor<Res = Uint8Array> extends ClientReactorBase<Res> {}

/** ClientReadReactor is the client side of a server-streaming call (gRPC C++ ClientReadReactor). */
export abstract class ClientReadReactor<Res = Uint8Array> extends ClientReactorBase<Res> {
  /** startRead asks for the next response; onReadDone follows. Throws ReactorMisuseError while a read is outstanding or after onDone. */
  startRead(): void {
    this.binding('startRead').startRead();
  }
  /** addHold delays onDone until removeHold (gRPC C++ AddHold), e.g. while work outside reactions may still start operations. */
  addHold(): void {
    this.binding('addHold').addHolds(1);
  }
  /** addMultipleHolds adds n holds at once (gRPC C++ AddMultipleHolds). */
  addMultipleHolds(n: number): void {
    this.binding('addMultipleHolds').addHolds(n);
  }
  /** removeHold releases one hold (gRPC C++ RemoveHold); throws ReactorMisuseError below zero. */
  removeHold(): void {
    this.binding('removeHold').removeHold();
  }
}

/** ClientWriteReactor is the client side of a client-streaming call (gRPC C++ ClientWriteReactor). */
export abstract class ClientWriteReactor<Req = Uint8Array, Res = Uint8Array> extends ClientReactorBase<Res> {
  /** startWrite sends one request (options.last makes it the final one); onWriteDone follows. Throws ReactorMisuseError while a write is outstanding or after writes-done. */
  startWrite(request: Req, options?: WriteOptions): void {
    this.binding('startWrite').startWrite(request, options);
  }
  /** startWriteLast sends the final request and half-closes (gRPC C++ StartWriteLast). */
  startWriteLast(request: Req): void {
    this.binding('startWriteLast').startWrite(request, { last: true });
  }
  /** startWritesDone half-closes the request stream; onWritesDoneDone follows (gRPC C++ StartWritesDone). */
  startWritesDone(): void {
    this.binding('startWritesDone').startWritesDone();
  }
  /** addHold delays onDone until removeHold (gRPC C++ AddHold). */
  addHold(): void {
    this.binding('addHold').addHolds(1);
  }
  /** addMultipleHolds adds n holds at once (gRPC C++ AddMultipleHolds). */
  addMultipleHolds(n: number): void {
    this.binding('addMultipleHolds').addHolds(n);
  }
  /** removeHold releases one hold (gRPC C++ RemoveHold); throws ReactorMisuseError below zero. */
  removeHold(): void {
    this.binding('removeHold').removeHold();
  }
}

/** ClientBidiReactor is the client side of a bidirectional call (gRPC C++ ClientBidiReactor). */
export abstract class ClientBidiReactor<Req = Uint8Array, Res = Uint8Array> extends ClientWriteReactor<Req, Res> {
  /** startRead asks for the next response; onReadDone follows. Throws ReactorMisuseError while a read is outstanding or after onDone. */
  startRead(): void {
    this.binding('startRead').startRead();
  }
}

/** AnyClientReactor is any of the four client reactor shapes. */
export type AnyClientReactor<Req, Res> = ClientUnaryReactor<Res> | ClientReadReactor<Res> | ClientWriteReactor<Req, Res> | ClientBidiReactor<Req, Res>;
