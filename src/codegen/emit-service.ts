// Emits one service: its definition (wire names, codecs), the three server
// implementation types, and the namespace of per-method reactor base classes
// typed with the method's messages.
import type protobuf from 'protobufjs';
import type { MethodKind } from '../call/call.js';
import { checkMemberName, docComment, methodKind, requestType, responseType, serviceFullName, serviceNames } from './names.js';
import type { ModuleScope } from './scope.js';

/** ServiceParts are the pieces of one service in every output form. */
export interface ServiceParts {
  /** types are the implementation type aliases (TypeScript and declaration files). */
  readonly types: string;
  /** code is the definition and the reactor namespace, without `export`. */
  readonly code: string;
  /** decl declares the runtime names for a declaration file. */
  readonly decl: string;
  /** exported lists the runtime names. */
  readonly exported: readonly string[];
}

/** INIT spells the sendable form of a message type. */
export const init = (t: string): string => `$rpc.MessageInit<${t}>`;

/** REACTORS gives, per streaming shape, the server and client reactor base and their type arguments. */
function reactorBases(kind: MethodKind, req: string, res: string): { server: string; client: string } {
  switch (kind) {
    case 'unary':
      return { server: `$rpc.ServerUnaryReactor<${init(res)}>`, client: `$rpc.ClientUnaryReactor<${res}>` };
    case 'server_stream':
      return { server: `$rpc.ServerWriteReactor<${init(res)}>`, client: `$rpc.ClientReadReactor<${res}>` };
    case 'client_stream':
      return { server: `$rpc.ServerReadReactor<${req}, ${init(res)}>`, client: `$rpc.ClientWriteReactor<${init(req)}, ${res}>` };
    case 'bidi':
      return { server: `$rpc.ServerBidiReactor<${req}, ${init(res)}>`, client: `$rpc.ClientBidiReactor<${init(req)}, ${res}>` };
  }
}

/** methodTypes resolves the local names of a method's messages. */
export function methodTypes(method: protobuf.Method, scope: ModuleScope): { req: string; res: string; kind: MethodKind } {
  return { req: scope.ref(requestType(method)), res: scope.ref(responseType(method)), kind: methodKind(method) };
}

/** methodDoc is the doc text of a method: its comment and its proto signature. */
function methodDoc(method: protobuf.Method): string[] {
  const req = requestType(method).fullName.slice(1);
  const res = responseType(method).fullName.slice(1);
  return [method.comment ?? `${method.name} is a ${methodKind(method)} method.`, `\`rpc ${method.name}(${method.requestStream ? 'stream ' : ''}${req}) returns (${method.responseStream ? 'stream ' : ''}${res})\``];
}

/** emitService renders one service. */
export function emitService(service: protobuf.Service, scope: ModuleScope, ts: boolean): ServiceParts {
  const names = serviceNames(service);
  const full = serviceFullName(service);
  const methods = service.methodsArray.map((m) => {
    checkMemberName(m);
    return { method: m, ...methodTypes(m, scope) };
  });
  const defDoc = docComment([`${names.definition} is the service definition of \`${full}\`: method paths (wire names), streaming shapes and message codecs.`, service.comment]);
  let code = defDoc + `const ${names.definition} = $rpc.defineService('${full}', {\n`;
  let declMethods = '';
  for (const m of methods) {
    code += docComment(methodDoc(m.method), '  ');
    code += `  ${m.method.name}: $rpc.protoMethod('/${full}/${m.method.name}', '${m.kind}', ${m.req}, ${m.res}),\n`;
    declMethods += `  ${m.method.name}: $rpc.TypedMethod<${m.req}, ${m.res}, '${m.kind}', ${init(m.req)}, ${init(m.res)}>;\n`;
  }
  code += '});\n\n';
  let decl = `${defDoc}export declare const ${names.definition}: $rpc.ServiceDefinition<{\n${declMethods}}>;\n\n`;

  let types = docComment([`${names.implementation} serves \`${full}\`: each method is sync style (a function) or callback style (wrapped in callback()), as with gRPC C++ WithCallbackMethod_X.`]);
  types += `export type ${names.implementation} = $rpc.ServiceImplementation<typeof ${names.definition}>;\n\n`;
  types += docComment([`${names.callbackImplementation} serves \`${full}\` with every method returning a reactor (gRPC C++ CallbackService).`]);
  types += `export type ${names.callbackImplementation} = $rpc.CallbackServiceImplementation<typeof ${names.definition}>;\n\n`;
  types += docComment([`${names.syncImplementation} serves \`${full}\` with every method sync style: promises and (async) iterables.`]);
  types += `export type ${names.syncImplementation} = $rpc.SyncServiceImplementation<typeof ${names.definition}>;\n\n`;

  const nsDoc = docComment([`${names.reactors} holds the reactor base classes of \`${full}\`, one server and one client class per method, typed with its messages: \`class R extends ${names.reactors}.XReactor\` needs no type arguments.`]);
  let ns = '';
  let nsDecl = '';
  let nsJs = '';
  for (const m of methods) {
    const bases = reactorBases(m.kind, m.req, m.res);
    const serverDoc = docComment([`${m.method.name}Reactor is the server reactor base of ${m.method.name} (${m.kind}).`], '  ');
    const clientDoc = docComment([`${m.method.name}ClientReactor is the client reactor base of ${m.method.name} (${m.kind}); bind it with the client's bind${m.method.name}.`], '  ');
    ns += `${serverDoc}  export abstract class ${m.method.name}Reactor extends ${bases.server} {}\n${clientDoc}  export abstract class ${m.method.name}ClientReactor extends ${bases.client} {}\n`;
    const jsBase = (b: string): string => b.replace(/<.*$/, '');
    nsJs += `${serverDoc}  ${m.method.name}Reactor: class ${m.method.name}Reactor extends ${jsBase(bases.server)} {},\n${clientDoc}  ${m.method.name}ClientReactor: class ${m.method.name}ClientReactor extends ${jsBase(bases.client)} {},\n`;
  }
  nsDecl = ns;
  code += nsDoc + (ts ? `namespace ${names.reactors} {\n${ns}}\n` : `const ${names.reactors} = Object.freeze({\n${nsJs}});\n`);
  decl += `${nsDoc}export declare namespace ${names.reactors} {\n${nsDecl}}\n`;
  return { types, code, decl, exported: [names.definition, names.reactors] };
}
