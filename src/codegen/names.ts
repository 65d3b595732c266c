// Naming rules shared by the service and client emitters: the export names
// of a service, the client's method names, and how proto comments become doc
// comments.
import type protobuf from 'protobufjs';
import type { MethodKind } from '../call/call.js';

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
  /** reactors is the namespace of per-method reactor base classes, `Foo`. */
  readonly reactors: string;
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
    reactors: n,
  };
}

/** bindName is the client's reactor binding helper of a method, `bindFoo`. */
export function bindName(method: protobuf.Method): string {
  return `bind${method.name.charAt(0).toUpperCase()}${method.name.slice(1)}`;
}

/** clientMethodName is the client's call method of a method: lowerCamelCase, `sayHello`. */
export function clientMethodName(method: protobuf.Method): string {
  return `${method.name.charAt(0).toLowerCase()}${method.name.slice(1)}`;
}

/** RESERVED_MEMBERS cannot be used as method names on an object literal or a class. */
const RESERVED_MEMBERS = new Set(['constructor', '__proto__', 'prototype', 'Constructor']);

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
  if (text.trim() === '') return '';
  const body = text.split('\n').map((l) => l.replace(/\s+$/, ''));
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)).join('\n')}\n${indent} */\n`;
}
