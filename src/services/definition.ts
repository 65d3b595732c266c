import type { MethodKind } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';

/**
 * TypedMethod is a MethodDescriptor whose streaming shape is known to the
 * type system. `Req`/`Res` are the decoded messages; `ReqInit`/`ResInit` what
 * the sending side may pass (generated code: the message with any field left
 * out), so a handler receives complete messages and returns partial ones.
 */
export interface TypedMethod<Req, Res, K extends MethodKind = MethodKind, ReqInit = Req, ResInit = Res> {
  /** path is the full method name `/package.Service/Method`. */
  readonly path: string;
  /** kind is the streaming shape. */
  readonly kind: K;
  /** serializeRequest encodes a request. */
  readonly serializeRequest: (value: ReqInit) => Uint8Array;
  /** deserializeRequest decodes a request. */
  readonly deserializeRequest: (bytes: Uint8Array) => Req;
  /** serializeResponse encodes a response. */
  readonly serializeResponse: (value: ResInit) => Uint8Array;
  /** deserializeResponse decodes a response. */
  readonly deserializeResponse: (bytes: Uint8Array) => Res;
}

/** AnyMethod is what every MethodDescriptor is assignable to, whatever its message types. */
export interface AnyMethod {
  /** path is the full method name. */
  readonly path: string;
  /** kind is the streaming shape. */
  readonly kind: MethodKind;
  /** serializeRequest encodes a request. */
  readonly serializeRequest: (value: never) => Uint8Array;
  /** deserializeRequest decodes a request. */
  readonly deserializeRequest: (bytes: Uint8Array) => unknown;
  /** serializeResponse encodes a response. */
  readonly serializeResponse: (value: never) => Uint8Array;
  /** deserializeResponse decodes a response. */
  readonly deserializeResponse: (bytes: Uint8Array) => unknown;
}

/** ServiceMethods maps method names to descriptors. */
export type ServiceMethods = Record<string, AnyMethod>;

/** ServiceDefinition is a service name and its methods (what the generator emits). */
export interface ServiceDefinition<M extends ServiceMethods = ServiceMethods> {
  /** name is the fully qualified service name `package.Service`. */
  readonly name: string;
  /** methods maps each method name to its descriptor. */
  readonly methods: M;
}

/** RequestOf extracts a method's request type. */
export type RequestOf<M> = M extends { readonly deserializeRequest: (b: Uint8Array) => infer Req } ? Req : never;

/** ResponseOf extracts a method's response type. */
export type ResponseOf<M> = M extends { readonly deserializeResponse: (b: Uint8Array) => infer Res } ? Res : never;

/** RequestInitOf extracts what a client may send as a method's request. */
export type RequestInitOf<M> = M extends { readonly serializeRequest: (value: infer Req) => Uint8Array } ? Req : never;

/** ResponseInitOf extracts what a server may send as a method's response. */
export type ResponseInitOf<M> = M extends { readonly serializeResponse: (value: infer Res) => Uint8Array } ? Res : never;

/** KindOf extracts a method's streaming shape. */
export type KindOf<M> = M extends { readonly kind: infer K } ? K : never;

/** asDescriptor views an AnyMethod as a MethodDescriptor of its own message types. @internal */
export function asDescriptor<M extends AnyMethod>(m: M): MethodDescriptor<RequestOf<M>, ResponseOf<M>> {
  return m as unknown as MethodDescriptor<RequestOf<M>, ResponseOf<M>>;
}

/** defineService builds a ServiceDefinition, checking that every method path belongs to the service. Throws Error on a mismatch. */
export function defineService<M extends ServiceMethods>(name: string, methods: M): ServiceDefinition<M> {
  for (const [k, m] of Object.entries(methods)) {
    if (m.path !== `/${name}/${k}`) throw new Error(`method ${k} has path ${m.path}, want /${name}/${k}`);
  }
  return { name, methods };
}
