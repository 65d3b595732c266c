import { Code, codeName } from './code.js';
import { Metadata } from '../metadata/metadata.js';
import { type Status, type StatusDetail, status } from './status.js';

const PREFIX = /^[A-Z_0-9]+: /;

/** RpcErrorOptions are the optional parts of an RpcError besides code, message, details and metadata. */
export interface RpcErrorOptions {
  /** cause is what led to the error (ES2022 error cause), e.g. the reason of an aborted call signal. */
  cause?: unknown;
  /** method is the full method path `/package.Service/Method` of the failed call. */
  method?: string;
  /** peer is the address of the other end of the failed call's connection. */
  peer?: string;
}

/**
 * RpcError is the one error class of reactor-rpc: a gRPC code, the raw message,
 * details and metadata. Its `message` is prefixed with the code name
 * (`NOT_FOUND: thing not found`); `rawMessage` holds the text as sent. A
 * client sets `method` and `peer` on the errors of failed calls, and
 * toString() adds them for log lines.
 *
 * Thrown by a server handler, only what the protocol carries reaches the
 * client: ttrpc sends the code, the message and the details (its response
 * status is a `google.rpc.Status`) but no metadata, as ttrpc has no trailers;
 * drpc sends the code and the message only, so details and metadata are
 * dropped. The client's error then has empty metadata (and, over drpc, no
 * details).
 */
export class RpcError extends Error {
  /** code is the gRPC code number. */
  readonly code: Code | number;
  /** rawMessage is the message without the code-name prefix. */
  readonly rawMessage: string;
  /** details are `google.protobuf.Any` entries carried verbatim. */
  readonly details: readonly StatusDetail[];
  /** metadata carries any metadata attached to the failure. */
  readonly metadata: Metadata;
  /** method is the full method path of the failed call, when known. */
  readonly method?: string;
  /** peer is the address of the failed call's peer, when known. */
  readonly peer?: string;

  /** constructor builds an error from a code and a raw message. */
  constructor(code: Code | number, message = '', details: readonly StatusDetail[] = [], metadata?: Metadata, options?: RpcErrorOptions) {
    super(message ? `${codeName(code)}: ${message}` : codeName(code), options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'RpcError';
    this.code = code;
    this.rawMessage = message;
    this.details = details;
    this.metadata = metadata ?? new Metadata();
    if (options?.method !== undefined) this.method = options.method;
    if (options?.peer !== undefined) this.peer = options.peer;
  }

  /** toString renders `RpcError: CODE: message (method /pkg.Svc/M, peer addr)` for logs; the parenthesis lists only what is known. */
  override toString(): string {
    const where = [this.method !== undefined ? `method ${this.method}` : '', this.peer !== undefined ? `peer ${this.peer}` : ''].filter(Boolean).join(', ');
    const head = `${this.name}: ${this.message}`;
    return where ? `${head} (${where})` : head;
  }

  /** toStatus returns the error as a Status value. */
  toStatus(): Status {
    return status(this.code, this.rawMessage, this.details);
  }

  /** fromStatus builds an error from a (non-OK) status. */
  static fromStatus(s: Status, metadata?: Metadata, options?: RpcErrorOptions): RpcError {
    return new RpcError(s.code, s.message, s.details, metadata, options);
  }

  /**
   * from normalises anything thrown into an RpcError: RpcErrors pass through,
   * AbortErrors become CANCELLED (or DEADLINE_EXCEEDED for timeouts), other
   * Errors become `fallback` (UNKNOWN by default) with their message.
   */
  static from(reason: unknown, fallback: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (reason instanceof Error) {
      if (reason.name === 'TimeoutError') return new RpcError(Code.DEADLINE_EXCEEDED, reason.message, [], undefined, { cause: reason });
      if (reason.name === 'AbortError') return new RpcError(Code.CANCELLED, reason.message, [], undefined, { cause: reason });
      return new RpcError(fallback, reason.message.replace(PREFIX, (p) => (p.slice(0, -2) in Code ? '' : p)), [], undefined, { cause: reason });
    }
    if (typeof reason === 'string') return new RpcError(fallback, reason);
    return new RpcError(fallback, String(reason));
  }
}
