import { Code, codeName } from '../../status/code.js';

/**
 * ProtocolError is the only error the ttrpc codec throws: malformed input
 * (`INVALID_ARGUMENT`), an oversize message (`RESOURCE_EXHAUSTED`) or a value
 * that cannot be put on the wire (`INVALID_ARGUMENT`). Its `message` is
 * prefixed with the code name, `rawMessage` holds the bare text.
 */
export class ProtocolError extends Error {
  /** code is the gRPC code describing the failure. */
  readonly code: Code;
  /** rawMessage is the message without the code-name prefix. */
  readonly rawMessage: string;

  /** constructor builds an error from a code and a bare message. */
  constructor(code: Code, message: string) {
    super(`${codeName(code)}: ${message}`);
    this.name = 'ProtocolError';
    this.code = code;
    this.rawMessage = message;
  }
}

/** malformed builds the INVALID_ARGUMENT error used for undecodable ttrpc input. */
export function malformed(what: string): ProtocolError {
  return new ProtocolError(Code.INVALID_ARGUMENT, `ttrpc: ${what}`);
}

/** messageTooLarge builds the RESOURCE_EXHAUSTED error for a message over the limit, worded like the Go implementation. */
export function messageTooLarge(length: number, max: number): ProtocolError {
  return new ProtocolError(Code.RESOURCE_EXHAUSTED, `message length ${length} exceed maximum message size of ${max}`);
}
