import { Code, codeName } from './code.js';

/** StatusDetail is one `google.protobuf.Any` entry of a status, carried untouched. */
export interface StatusDetail {
  /** typeUrl names the packed message type. */
  readonly typeUrl: string;
  /** value holds the packed message bytes. */
  readonly value: Uint8Array;
}

/** Status is the outcome of a call: a code, a message and optional details. */
export interface Status {
  /** code is a gRPC code number (other numbers survive round trips untouched). */
  readonly code: Code | number;
  /** message is the human-readable text, without the code-name prefix. */
  readonly message: string;
  /** details are `google.protobuf.Any` entries carried verbatim. */
  readonly details: readonly StatusDetail[];
  /** unsent is set only on UNAVAILABLE when none of the call's bytes reached the connection (a reconnecting client may retry such a call once). */
  readonly unsent?: true;
}

/** OK_STATUS is the shared success status. */
export const OK_STATUS: Status = Object.freeze({ code: Code.OK, message: '', details: Object.freeze([]) as readonly StatusDetail[] });

/** status builds a Status value. */
export function status(code: Code | number, message = '', details: readonly StatusDetail[] = []): Status {
  if (code === Code.OK && message === '' && details.length === 0) return OK_STATUS;
  return { code, message, details };
}

/** isOk tells whether a status is success. */
export function isOk(s: Status): boolean {
  return s.code === Code.OK;
}

/** formatStatus renders `CODE_NAME: message` (or just the name when there is no message). */
export function formatStatus(s: Status): string {
  return s.message ? `${codeName(s.code)}: ${s.message}` : codeName(s.code);
}
