import type { MethodKind } from './call.js';

/** Serialize turns a message into bytes; it may throw on an invalid message. */
export type Serialize<T> = (value: T) => Uint8Array;

/** Deserialize turns bytes into a message; it throws on malformed input. */
export type Deserialize<T> = (bytes: Uint8Array) => T;

/**
 * MethodDescriptor describes one RPC method: its full name, its streaming
 * shape and how its messages become bytes. Generated code and the generic
 * service produce these; reactors and stubs consume them.
 */
export interface MethodDescriptor<Req, Res> {
  /** path is the full method name `/package.Service/Method`. */
  readonly path: string;
  /** kind is the streaming shape. */
  readonly kind: MethodKind;
  /** serializeRequest encodes a request. */
  readonly serializeRequest: Serialize<Req>;
  /** deserializeRequest decodes a request. */
  readonly deserializeRequest: Deserialize<Req>;
  /** serializeResponse encodes a response. */
  readonly serializeResponse: Serialize<Res>;
  /** deserializeResponse decodes a response. */
  readonly deserializeResponse: Deserialize<Res>;
}

const identity = (b: Uint8Array): Uint8Array => b;

/** rawMethod describes a method whose messages are raw bytes (generic clients, proxies); the result keeps the literal kind, so a service of raw methods types its handlers by shape. */
export function rawMethod<K extends MethodKind>(path: string, kind: K): MethodDescriptor<Uint8Array, Uint8Array> & { readonly kind: K } {
  return { path, kind, serializeRequest: identity, deserializeRequest: identity, serializeResponse: identity, deserializeResponse: identity };
}

/** splitPath splits `/package.Service/Method` into service and method names. */
export function splitPath(path: string): { service: string; method: string } {
  const s = path.startsWith('/') ? path.slice(1) : path;
  const i = s.lastIndexOf('/');
  return i < 0 ? { service: '', method: s } : { service: s.slice(0, i), method: s.slice(i + 1) };
}
