// Naming rules shared by the service and client emitters: how a protobuf
// type is spelled in the TypeScript that protobufjs-cli generates, and how
// proto comments become doc comments.
import protobuf from 'protobufjs';
import type { MethodKind } from '../call/call.js';

/** TypeRef spells one message type in generated TypeScript. */
export interface TypeRef {
  /** value is the class (encode/decode, decoded instances), e.g. `a.b.Msg`. */
  readonly value: string;
  /** props is the plain-object properties type, e.g. `a.b.Msg.$Properties`. */
  readonly props: string;
  /** top is the top-level name the messages module exports, e.g. `a`. */
  readonly top: string;
}

/** exportSegment spells one name segment the way protobufjs-cli's static target does (reserved words get a `_`). */
export function exportSegment(name: string): string {
  return protobuf.util.isReserved(name) ? `${name}_` : name;
}

/** typeRef spells a resolved message type (fullName `.a.b.Msg`). */
export function typeRef(type: protobuf.Type): TypeRef {
  const segments = type.fullName.replace(/^\./, '').split('.').map(exportSegment);
  const value = segments.join('.');
  return { value, props: `${value}.$Properties`, top: segments[0]! };
}

/** methodKind maps a method's stream flags to its streaming shape. */
export function methodKind(method: protobuf.Method): MethodKind {
  if (method.requestStream) return method.responseStream ? 'bidi' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

/** requestType returns the resolved request type of a method. */
export function requestType(method: protobuf.Method): protobuf.Type {
  const t = method.resolvedRequestType;
  if (!t) throw new Error(`method ${method.fullName} is not resolved`);
  return t;
}

/** responseType returns the resolved response type of a method. */
export function responseType(method: protobuf.Method): protobuf.Type {
  const t = method.resolvedResponseType;
  if (!t) throw new Error(`method ${method.fullName} is not resolved`);
  return t;
}

/** serviceFullName is `package.Service` without the leading dot. */
export function serviceFullName(service: protobuf.Service): string {
  return service.fullName.replace(/^\./, '');
}

/** ServiceNames are the generated export names of one service. */
export interface ServiceNames {
  /** definition is the defineService constant, `FooService`. */
  readonly definition: string;
  /** client is the typed client class, `FooClient`. */
  readonly client: string;
  /** implementation is the mixed-style implementation type, `FooImplementation`. */
  readonly implementation: string;
  /** callbackImplementation is the all-callback implementation type, `FooCallbackImplementation`. */
  readonly callbackImplementation: string;
  /** syncImplementation is the all-sync implementation type, `FooSyncImplementation`. */
  readonly syncImplementation: string;
}

/** serviceNames derives the export names of a service from its proto name (casing kept). */
export function serviceNames(service: protobuf.Service): ServiceNames {
  const n = service.name;
  return {
    definition: `${n}Service`,
    client: `${n}Client`,
    implementation: `${n}Implementation`,
    callbackImplementation: `${n}CallbackImplementation`,
    syncImplementation: `${n}SyncImplementation`,
  };
}

/** bindName is the client's reactor binding helper of a method, `bindFoo`. */
export function bindName(method: protobuf.Method): string {
  return `bind${method.name}`;
}

/** RESERVED_MEMBERS cannot be used as method names on an object literal or a class. */
const RESERVED_MEMBERS = new Set(['constructor', '__proto__', 'prototype']);

/** checkMemberName throws when a proto method name cannot be a class member or object key. */
export function checkMemberName(method: protobuf.Method): void {
  if (RESERVED_MEMBERS.has(method.name)) throw new Error(`method name '${method.name}' of ${method.parent?.fullName ?? ''} cannot be used in generated TypeScript`);
}

/** docComment renders doc text (one or more paragraphs) as a JSDoc block at `indent`; `*\/` inside the text is defused. */
export function docComment(lines: readonly (string | null | undefined)[], indent = ''): string {
  const text = lines
    .filter((l): l is string => typeof l === 'string' && l.trim() !== '')
    .join('\n\n')
    .replace(/\*\//g, '*\\/')
    .replace(/\r/g, '');
  const body = text.split('\n').map((l) => l.replace(/\s+$/, ''));
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)).join('\n')}\n${indent} */\n`;
}
