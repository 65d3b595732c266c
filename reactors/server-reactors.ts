import type { Status } from '../src/status/status.js';
import type { WriteOptions } from './client-binding.js';
import { ServerBinding, type ServerReactions } from './server-binding.js';

/** SERVER_BINDING is the symbol under which a server reactor keeps its state machine. @internal */
export const SERVER_BINDING: unique symbol = Symbol('reactor-rpc.server-binding');

/** ServerReactorBase holds what every server reactor shares: finish, startSendInitialMetadata and the reactions. */
abstract class ServerReactorBase<Req, Res> implements ServerReactions<Req> {
  /** @internal */
  readonly [SERVER_BINDING] = new ServerBinding<Req, Res>();

  /** startSendInitialMetadata (gRPC C++ StartSendInitialMetadata): ttrpc and drpc have no response headers, so it only completes onSendInitialMetadataDone. */
  startSendInitialMetadata(): void {
    this[SERVER_BINDING].startSendInitialMetadata();
  }

  /** onSendInitialMetadataDone completes startSendInitialMetadata (gRPC C++ OnSendInitialMetadataDone). */
  onSendInitialMetadataDone(_ok: boolean): void {}
  /** onReadDone completes startRead (gRPC C++ OnReadDone): ok=false once the client finished writing or the call ended. */
  onReadDone(_ok: boolean, _request: Req | undefined): void {}
  /** onWriteDone completes startWrite (gRPC C++ OnWriteDone): ok=false means the response was not sent. */
  onWriteDone(_ok: boolean): void {}
  /** onCancel runs at most once, never before the handler returned and always before onDone (gRPC C++ OnCancel). finish() is still required. */
  onCancel(): void {}
  /** onDone runs exactly once, after finish and every other reaction (gRPC C++ OnDone). */
  onDone(): void {}
}

/** ServerUnaryReactor is the server side of a unary call (gRPC C++ ServerUnaryReactor). */
export abstract class ServerUnaryReactor<Res = Uint8Array> extends ServerReactorBase<never, Res> {
  /** finish ends the call (gRPC C++ Finish) with a status and, on success, the response. Throws ReactorMisuseError when called twice. */
  finish(status: Status, response?: Res): void {
    this[SERVER_BINDING].finish(status, response);
  }
}

/** ServerReadReactor is the server side of a client-streaming call (gRPC C++ ServerReadReactor). */
export abstract class ServerReadReactor<Req = Uint8Array, Res = Uint8Array> extends ServerReactorBase<Req, Res> {
  /** startRead asks for the next request (gRPC C++ StartRead); throws ReactorMisuseError while one is outstanding. */
  startRead(): void {
    this[SERVER_BINDING].startRead();
  }
  /** finish ends the call with a status and, on success, the response (gRPC C++ Finish). */
  finish(status: Status, response?: Res): void {
    this[SERVER_BINDING].finish(status, response);
  }
}

/** ServerWriteReactor is the server side of a server-streaming call (gRPC C++ ServerWriteReactor). */
export abstract class ServerWriteReactor<Res = Uint8Array> extends ServerReactorBase<never, Res> {
  /** startWrite sends one response (gRPC C++ StartWrite); throws ReactorMisuseError while one is outstanding. */
  startWrite(response: Res, options?: WriteOptions): void {
    this[SERVER_BINDING].startWrite(response, options);
  }
  /** startWriteLast sends the final response (gRPC C++ StartWriteLast); finish() must still follow. */
  startWriteLast(response: Res): void {
    this[SERVER_BINDING].startWrite(response, { last: true });
  }
  /** startWriteAndFinish sends a final response and finishes, without onWriteDone (gRPC C++ StartWriteAndFinish). */
  startWriteAndFinish(response: Res, status: Status): void {
    this[SERVER_BINDING].writeAndFinish(response, status);
  }
  /** finish ends the call with a status (gRPC C++ Finish). */
  finish(status: Status): void {
    this[SERVER_BINDING].finish(status);
  }
}

/** ServerBidiReactor is the server side of a bidirectional call (gRPC C++ ServerBidiReactor). */
export abstract class ServerBidiReactor<Req = Uint8Array, Res = Uint8Array> extends ServerReactorBase<Req, Res> {
  /** startRead asks for the next request (gRPC C++ StartRead). */
  startRead(): void {
    this[SERVER_BINDING].startRead();
  }
  /** startWrite sends one response (gRPC C++ StartWrite). */
  startWrite(response: Res, options?: WriteOptions): void {
    this[SERVER_BINDING].startWrite(response, options);
  }
  /** startWriteLast sends the final response (gRPC C++ StartWriteLast); finish() must still follow. */
  startWriteLast(response: Res): void {
    this[SERVER_BINDING].startWrite(response, { last: true });
  }
  /** startWriteAndFinish sends a final response and finishes (gRPC C++ StartWriteAndFinish). */
  startWriteAndFinish(response: Res, status: Status): void {
    this[SERVER_BINDING].writeAndFinish(response, status);
  }
  /** finish ends the call with a status (gRPC C++ Finish). */
  finish(status: Status): void {
    this[SERVER_BINDING].finish(status);
  }
}

/** AnyServerReactor is any of the four server reactor shapes. */
export type AnyServerReactor<Req, Res> = ServerUnaryReactor<Res> | ServerReadReactor<Req, Res> | ServerWriteReactor<Res> | ServerBidiReactor<Req, Res>;
