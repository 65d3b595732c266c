import type { MethodKind } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';

/** TypedMethod is a MethodDescriptor whose streaming shape is known to the type system. */
export type TypedMethod<Req, Res, K extends MethodKind = MethodKind> = MethodDescriptor<Req, Res> & { readonly kind: K };

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
