// Emits the typed client class of one protobuf service: per method a
// promise / async-iterable call (plus the unary callback shortcut) and a
// reactor binding helper, over the library's Client.
import type protobuf from 'protobufjs';
import { RPC } from './emit-service.js';
import { bindName, checkMemberName, docComment, methodKind, requestType, responseType, serviceFullName, serviceNames, typeRef } from './names.js';

const OPTIONS = `${RPC}.ClientCallOptions`;

/** emitClientMethod renders the call method and the binding helper of one method. */
function emitClientMethod(service: protobuf.Service, method: protobuf.Method): string {
  checkMemberName(method);
  const def = `${serviceNames(service).definition}.methods.${method.name}`;
  const req = typeRef(requestType(method));
  const res = typeRef(responseType(method));
  const A = req.props;
  const B = res.value;
  const name = method.name;
  const bind = bindName(method);
  const doc = (text: string): string => docComment([text, method.comment], '  ');
  switch (methodKind(method)) {
    case 'unary':
      return (
        doc(`${name} makes a unary call: resolves with the response, rejects with RpcError; with a callback it is the one-line shortcut (status, response).`) +
        `  ${name}(request: ${A}, options?: ${OPTIONS}): Promise<${B}>;\n` +
        `  ${name}(request: ${A}, options: ${OPTIONS} | undefined, callback: ${RPC}.UnaryCallback<${B}>): void;\n` +
        `  ${name}(request: ${A}, options?: ${OPTIONS}, callback?: ${RPC}.UnaryCallback<${B}>): Promise<${B}> | void {\n` +
        `    if (callback) return this.$client.unaryCallback(${def}, request, options, callback as ${RPC}.UnaryCallback<${res.props}>);\n` +
        `    return this.$client.unary(${def}, request, options) as Promise<${B}>;\n` +
        `  }\n\n` +
        docComment([`${bind} binds a ClientUnaryReactor to a new ${name} call; then call reactor.startCall().`], '  ') +
        `  ${bind}(request: ${A}, reactor: ${RPC}.ClientUnaryReactor<${B}>, options?: ${OPTIONS}): void {\n` +
        `    this.$client.bindUnary<${A}, ${res.props}>(${def}, request, reactor, options);\n` +
        `  }\n`
      );
    case 'server_stream':
      return (
        doc(`${name} makes a server-streaming call and yields the responses; the iteration throws RpcError at a failed end, breaking out cancels.`) +
        `  ${name}(request: ${A}, options?: ${OPTIONS}): AsyncIterable<${B}> {\n` +
        `    return this.$client.serverStream(${def}, request, options) as AsyncIterable<${B}>;\n` +
        `  }\n\n` +
        docComment([`${bind} binds a ClientReadReactor to a new ${name} call; then call reactor.startCall().`], '  ') +
        `  ${bind}(request: ${A}, reactor: ${RPC}.ClientReadReactor<${B}>, options?: ${OPTIONS}): void {\n` +
        `    this.$client.bindRead<${A}, ${res.props}>(${def}, request, reactor, options);\n` +
        `  }\n`
      );
    case 'client_stream':
      return (
        doc(`${name} makes a client-streaming call: sends every request, resolves with the response, rejects with RpcError.`) +
        `  ${name}(requests: AsyncIterable<${A}> | Iterable<${A}>, options?: ${OPTIONS}): Promise<${B}> {\n` +
        `    return this.$client.clientStream(${def}, requests, options) as Promise<${B}>;\n` +
        `  }\n\n` +
        docComment([`${bind} binds a ClientWriteReactor to a new ${name} call; then call reactor.startCall().`], '  ') +
        `  ${bind}(reactor: ${RPC}.ClientWriteReactor<${A}, ${B}>, options?: ${OPTIONS}): void {\n` +
        `    this.$client.bindWrite<${A}, ${res.props}>(${def}, reactor, options);\n` +
        `  }\n`
      );
    case 'bidi':
      return (
        doc(`${name} makes a bidirectional call: sends the requests and yields the responses; the iteration throws RpcError at a failed end, breaking out cancels.`) +
        `  ${name}(requests: AsyncIterable<${A}> | Iterable<${A}>, options?: ${OPTIONS}): AsyncIterable<${B}> {\n` +
        `    return this.$client.bidi(${def}, requests, options) as AsyncIterable<${B}>;\n` +
        `  }\n\n` +
        docComment([`${bind} binds a ClientBidiReactor to a new ${name} call; then call reactor.startCall().`], '  ') +
        `  ${bind}(reactor: ${RPC}.ClientBidiReactor<${A}, ${B}>, options?: ${OPTIONS}): void {\n` +
        `    this.$client.bindBidi<${A}, ${res.props}>(${def}, reactor, options);\n` +
        `  }\n`
      );
  }
}

/** checkClientMembers throws when two generated members of the client class would share a name. */
function checkClientMembers(service: protobuf.Service): void {
  const seen = new Set<string>(['$client']);
  for (const method of service.methodsArray) {
    for (const member of [method.name, bindName(method)]) {
      if (seen.has(member)) throw new Error(`service ${serviceFullName(service)}: generated client member '${member}' is defined twice (rename the method)`);
      seen.add(member);
    }
  }
}

/** emitClient renders `FooClient`, the typed client of one service. */
export function emitClient(service: protobuf.Service): string {
  checkClientMembers(service);
  const names = serviceNames(service);
  const full = serviceFullName(service);
  let out = docComment([
    `${names.client} is the typed client of \`${full}\` over a connected Client. Method names keep the proto's casing; responses are the decoded message classes, requests plain objects.`,
    service.comment,
  ]);
  out += `export class ${names.client} {\n`;
  out += docComment([`$client is the connection the calls go through (owned by the caller; close it there).`], '  ');
  out += `  readonly $client: ${RPC}.Client;\n\n`;
  out += docComment([`constructor wraps a connected Client.`], '  ');
  out += `  constructor(client: ${RPC}.Client) {\n    this.$client = client;\n  }\n`;
  for (const method of service.methodsArray) out += `\n${emitClientMethod(service, method)}`;
  out += '}\n';
  return out;
}
