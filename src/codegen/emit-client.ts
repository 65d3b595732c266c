// Emits the typed client class of one service: per method a lowerCamelCase
// call (a promise, the unary callback shortcut, async iterables for streams)
// and a `bindX` helper for a reactor, in TypeScript, JavaScript or as
// declarations.
import type protobuf from 'protobufjs';
import { init, methodTypes } from './emit-service.js';
import { bindName, checkMemberName, clientMethodName, docComment, serviceFullName, serviceNames } from './names.js';
import type { ModuleScope } from './scope.js';

const OPTIONS = '$rpc.ClientCallOptions';

/** Member is one client method: overload signatures, the implementation's parameters and body. */
interface Member {
  readonly doc: string;
  readonly name: string;
  /** sigs are the public signatures `(params): Result` (one, or the overloads). */
  readonly sigs: readonly string[];
  /** impl is the implementation signature when there are overloads. */
  readonly impl?: string;
  /** params are the JavaScript parameter names. */
  readonly params: string;
  /** body renders the body; `ts` adds type arguments. */
  readonly body: (ts: boolean) => string;
}

/** membersOf renders the two members of one method. */
function membersOf(service: protobuf.Service, method: protobuf.Method, scope: ModuleScope): Member[] {
  checkMemberName(method);
  const { req, res, kind } = methodTypes(method, scope);
  const def = `${serviceNames(service).definition}.methods.${method.name}`;
  const I = init(req);
  const targs = (ts: boolean): string => (ts ? `<${I}, ${res}>` : '');
  const name = clientMethodName(method);
  const bind = bindName(method);
  const doc = (text: string): string => docComment([text, method.comment], '  ');
  const bindDoc = (r: string): string => docComment([`${bind} binds a ${r} to a new ${method.name} call; then call reactor.startCall().`], '  ');
  const iter = `AsyncIterable<${I}> | Iterable<${I}>`;
  switch (kind) {
    case 'unary':
      return [
        {
          doc: doc(`${name} makes a unary call: resolves with the response, rejects with RpcError; with a callback it is the one-line shortcut (status, response).`),
          name,
          sigs: [`(request: ${I}, options?: ${OPTIONS}): Promise<${res}>`, `(request: ${I}, options: ${OPTIONS} | undefined, callback: $rpc.UnaryCallback<${res}>): void`],
          impl: `(request: ${I}, options?: ${OPTIONS}, callback?: $rpc.UnaryCallback<${res}>): Promise<${res}> | void`,
          params: 'request, options, callback',
          body: (ts) => `    if (callback) return this.$client.unaryCallback${targs(ts)}(${def}, request, options, callback);\n    return this.$client.unary${targs(ts)}(${def}, request, options);\n`,
        },
        { doc: bindDoc('ClientUnaryReactor'), name: bind, sigs: [`(request: ${I}, reactor: $rpc.ClientUnaryReactor<${res}>, options?: ${OPTIONS}): void`], params: 'request, reactor, options', body: (ts) => `    this.$client.bindUnary${targs(ts)}(${def}, request, reactor, options);\n` },
      ];
    case 'server_stream':
      return [
        { doc: doc(`${name} makes a server-streaming call and yields the responses; the iteration throws RpcError at a failed end, breaking out cancels.`), name, sigs: [`(request: ${I}, options?: ${OPTIONS}): AsyncIterable<${res}>`], params: 'request, options', body: (ts) => `    return this.$client.serverStream${targs(ts)}(${def}, request, options);\n` },
        { doc: bindDoc('ClientReadReactor'), name: bind, sigs: [`(request: ${I}, reactor: $rpc.ClientReadReactor<${res}>, options?: ${OPTIONS}): void`], params: 'request, reactor, options', body: (ts) => `    this.$client.bindRead${targs(ts)}(${def}, request, reactor, options);\n` },
      ];
    case 'client_stream':
      return [
        { doc: doc(`${name} makes a client-streaming call: sends every request, resolves with the response, rejects with RpcError.`), name, sigs: [`(requests: ${iter}, options?: ${OPTIONS}): Promise<${res}>`], params: 'requests, options', body: (ts) => `    return this.$client.clientStream${targs(ts)}(${def}, requests, options);\n` },
        { doc: bindDoc('ClientWriteReactor'), name: bind, sigs: [`(reactor: $rpc.ClientWriteReactor<${I}, ${res}>, options?: ${OPTIONS}): void`], params: 'reactor, options', body: (ts) => `    this.$client.bindWrite${targs(ts)}(${def}, reactor, options);\n` },
      ];
    case 'bidi':
      return [
        { doc: doc(`${name} makes a bidirectional call: sends the requests and yields the responses; the iteration throws RpcError at a failed end, breaking out cancels.`), name, sigs: [`(requests: ${iter}, options?: ${OPTIONS}): AsyncIterable<${res}>`], params: 'requests, options', body: (ts) => `    return this.$client.bidi${targs(ts)}(${def}, requests, options);\n` },
        { doc: bindDoc('ClientBidiReactor'), name: bind, sigs: [`(reactor: $rpc.ClientBidiReactor<${I}, ${res}>, options?: ${OPTIONS}): void`], params: 'reactor, options', body: (ts) => `    this.$client.bindBidi${targs(ts)}(${def}, reactor, options);\n` },
      ];
  }
}

/** ClientParts are the client class as code and as a declaration. */
export interface ClientParts {
  /** code is the class without `export` (TypeScript when ts was set). */
  readonly code: string;
  /** decl is its declaration-file form. */
  readonly decl: string;
  /** name is the class name. */
  readonly name: string;
}

/** emitClient renders `FooClient`, the typed client of one service. */
export function emitClient(service: protobuf.Service, scope: ModuleScope, ts: boolean): ClientParts {
  const names = serviceNames(service);
  const members = service.methodsArray.flatMap((m) => membersOf(service, m, scope));
  const seen = new Set<string>(['$client', 'constructor']);
  for (const m of members) {
    if (seen.has(m.name)) throw new Error(`service ${serviceFullName(service)}: generated client member '${m.name}' is defined twice (rename the method)`);
    seen.add(m.name);
  }
  const doc = docComment([
    `${names.client} is the typed client of \`${serviceFullName(service)}\` over a connected Client: lowerCamelCase methods, plain objects in (any field may be left out), complete messages out.`,
    service.comment,
  ]);
  const head = docComment(['$client is the connection the calls go through (owned by the caller; close it there).'], '  ');
  const ctorDoc = docComment(['constructor wraps a connected Client.'], '  ');
  let code = `${doc}class ${names.client} {\n`;
  let decl = `${doc}export declare class ${names.client} {\n${head}  readonly $client: $rpc.Client;\n${ctorDoc}  constructor(client: $rpc.Client);\n`;
  code += ts ? `${head}  readonly $client: $rpc.Client;\n\n${ctorDoc}  constructor(client: $rpc.Client) {\n    this.$client = client;\n  }\n` : `${ctorDoc}  constructor(client) {\n    this.$client = client;\n  }\n`;
  for (const m of members) {
    code += `\n${m.doc}`;
    if (ts) {
      if (m.impl) for (const s of m.sigs) code += `  ${m.name}${s};\n`;
      code += `  ${m.name}${m.impl ?? m.sigs[0]} {\n${m.body(true)}  }\n`;
    } else {
      code += `  ${m.name}(${m.params}) {\n${m.body(false)}  }\n`;
    }
    decl += `${m.doc}${m.sigs.map((s) => `  ${m.name}${s};\n`).join('')}`;
  }
  return { code: `${code}}\n`, decl: `${decl}}\n`, name: names.client };
}
