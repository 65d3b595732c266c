import { Code, codeName } from './code.js';
import { Metadata } from '../metadata/metadata.js';
import { type Status, type StatusDetail, status } from './status.js';

const PREFIX = /^[A-Z_0-9]+: /;

/**
 * RpcError is the one error class of reactor-rpc: a gRPC code, the raw message,
 * details and metadata. Its `message` is prefixed with the code name
 * (`NOT_FOUND: thing not found`); `rawMessage` holds the text as sent.
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

  /** constructor builds an error from a code and a raw message. */
  constructor(code: Code | number, message = '', details: readonly StatusDetail[] = [], metadata?: Metadata, options?: { cause?: unknown }) {
    super(message ? `${codeName(code)}: ${message}` : codeName(code), options);
    this.name = 'RpcError';
    this.code = code;
    this.rawMessage = message;
    this.details = details;
    this.metadata = metadata ?? new Metadata();
  }

  /** toStatus returns the error as a Status value. */
  toStatus(): Status {
    return status(this.code, this.rawMessage, this.details);
  }

  /** fromStatus builds an error from a (non-OK) status. */
  static fromStatus(s: Status, metadata?: Metadata): RpcError {
    return new RpcError(s.code, s.message, s.details, metadata);
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
