/** Code: the 17 gRPC status codes, shared by every protocol reactor-rpc speaks. */
export enum Code {
  /** OK: the call succeeded. */
  OK = 0,
  /** CANCELLED: the call was cancelled, usually by the caller (an aborted signal, tryCancel, a closed connection). */
  CANCELLED = 1,
  /** UNKNOWN: an unknown error, e.g. a handler threw something other than an RpcError. */
  UNKNOWN = 2,
  /** INVALID_ARGUMENT: the client gave an invalid argument (also a bad address or option). */
  INVALID_ARGUMENT = 3,
  /** DEADLINE_EXCEEDED: the deadline passed, or the call's signal aborted with a timeout. */
  DEADLINE_EXCEEDED = 4,
  /** NOT_FOUND: a requested entity was not found. */
  NOT_FOUND = 5,
  /** ALREADY_EXISTS: the entity a client tried to create already exists. */
  ALREADY_EXISTS = 6,
  /** PERMISSION_DENIED: the caller may not do this. */
  PERMISSION_DENIED = 7,
  /** RESOURCE_EXHAUSTED: a limit was reached (message size, a receive queue not read, concurrent streams, metadata). */
  RESOURCE_EXHAUSTED = 8,
  /** FAILED_PRECONDITION: the system is not in a state the operation needs. */
  FAILED_PRECONDITION = 9,
  /** ABORTED: the operation was aborted, e.g. by a concurrency conflict. */
  ABORTED = 10,
  /** OUT_OF_RANGE: the operation went past the valid range. */
  OUT_OF_RANGE = 11,
  /** UNIMPLEMENTED: the method is not implemented or not registered. */
  UNIMPLEMENTED = 12,
  /** INTERNAL: an internal error, e.g. a malformed response. */
  INTERNAL = 13,
  /** UNAVAILABLE: the service is unavailable (a failed dial, a lost or closed connection); often worth a retry. */
  UNAVAILABLE = 14,
  /** DATA_LOSS: unrecoverable data loss or corruption. */
  DATA_LOSS = 15,
  /** UNAUTHENTICATED: the request has no valid credentials. */
  UNAUTHENTICATED = 16,
}

/** codeName returns the canonical upper-case name of a code, or `CODE_<n>` for codes outside the gRPC range. */
export function codeName(code: number): string {
  const name = (Code as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : `CODE_${code}`;
}
