// What generated message code offers the core: a codec per message type and
// the "init" shape of a message a sender may pass (any field left out). The
// core needs no protobuf runtime for this; generated code brings its own
// (reactor-rpc/protobuf).
import type { MethodKind } from '../call/call.js';
import type { TypedMethod } from './definition.js';

/** InitValue is what a sender may pass for a field whose decoded type is V. */
export type InitValue<V> = V extends bigint
  ? bigint | number | string
  : V extends Uint8Array
    ? Uint8Array
    : V extends readonly (infer E)[]
      ? readonly InitValue<E>[]
      : V extends { readonly case: infer C; readonly value: infer X }
        ? { readonly case: C; readonly value: InitValue<X> }
        : V extends object
          ? MessageInit<V>
          : V;

/** MessageInit is a message as a sender may write it: every field optional, recursively (proto3 defaults fill the gaps). */
export type MessageInit<T> = { [K in keyof T]?: InitValue<T[K]> | undefined };

/** MessageCodec turns one generated message type into bytes and back. */
export interface MessageCodec<T> {
  /** typeName is the fully qualified protobuf name, e.g. `demo.HelloRequest`. */
  readonly typeName: string;
  /** create builds a complete message from a partial one (defaults for what is left out). */
  create(init?: MessageInit<T>): T;
  /** toBinary encodes a message; throws on a value of the wrong type. */
  toBinary(message: MessageInit<T>): Uint8Array;
  /** fromBinary decodes a message; throws on malformed input. */
  fromBinary(bytes: Uint8Array): T;
}

/** protoMethod describes one method of a generated service from its request and response codecs. */
export function protoMethod<Req, Res, K extends MethodKind>(
  path: string,
  kind: K,
  request: MessageCodec<Req>,
  response: MessageCodec<Res>,
): TypedMethod<Req, Res, K, MessageInit<Req>, MessageInit<Res>> {
  return {
    path,
    kind,
    serializeRequest: (m) => request.toBinary(m),
    deserializeRequest: (b) => request.fromBinary(b),
    serializeResponse: (m) => response.toBinary(m),
    deserializeResponse: (b) => response.fromBinary(b),
  };
}
