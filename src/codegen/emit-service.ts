// Emits the typed service definition of one protobuf service and its three
// server implementation types (mixed, callback, sync).
import type protobuf from 'protobufjs';
import { checkMemberName, docComment, methodKind, requestType, responseType, serviceFullName, serviceNames, typeRef } from './names.js';

/** RPC is the local name generated files give the library namespace import. */
export const RPC = '$rpc';

/** METHOD_HELPER is the per-file helper that builds one TypedMethod from two message classes. */
export const METHOD_HELPER = `/** $Codec is what a protobufjs static message class offers for the wire. */
interface $Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** $method describes one method from its request and response message classes. */
function $method<Req, Res, K extends ${RPC}.MethodKind>(path: string, kind: K, req: $Codec<Req>, res: $Codec<Res>): ${RPC}.TypedMethod<Req, Res, K> {
  return {
    path,
    kind,
    serializeRequest: (m) => req.encode(m).finish(),
    deserializeRequest: (b) => req.decode(b),
    serializeResponse: (m) => res.encode(m).finish(),
    deserializeResponse: (b) => res.decode(b),
  };
}
`;

/** emitMethod renders one entry of the defineService method map. */
function emitMethod(service: protobuf.Service, method: protobuf.Method): string {
  checkMemberName(method);
  const req = typeRef(requestType(method));
  const res = typeRef(responseType(method));
  const kind = methodKind(method);
  const path = `/${serviceFullName(service)}/${method.name}`;
  const doc = docComment([method.comment ?? `${method.name} is a ${kind} method.`, `\`rpc ${method.name}(${method.requestStream ? 'stream ' : ''}${req.value}) returns (${method.responseStream ? 'stream ' : ''}${res.value})\``], '  ');
  return `${doc}  ${method.name}: $method<${req.props}, ${res.props}, '${kind}'>('${path}', '${kind}', ${req.value}, ${res.value}),\n`;
}

/** emitService renders `FooService` and the `FooImplementation`, `FooCallbackImplementation` and `FooSyncImplementation` types. */
export function emitService(service: protobuf.Service): string {
  const names = serviceNames(service);
  const full = serviceFullName(service);
  let out = docComment([`${names.definition} is the service definition of \`${full}\`: method paths, streaming shapes and message codecs.`, service.comment]);
  out += `export const ${names.definition} = ${RPC}.defineService('${full}', {\n`;
  for (const method of service.methodsArray) out += emitMethod(service, method);
  out += '});\n\n';
  out += docComment([`${names.implementation} serves \`${full}\`: each method is sync style (a function) or callback style (wrapped in callback()), as with gRPC C++ WithCallbackMethod_X.`]);
  out += `export type ${names.implementation} = ${RPC}.ServiceImplementation<typeof ${names.definition}>;\n\n`;
  out += docComment([`${names.callbackImplementation} serves \`${full}\` with every method returning a reactor (gRPC C++ CallbackService).`]);
  out += `export type ${names.callbackImplementation} = ${RPC}.CallbackServiceImplementation<typeof ${names.definition}>;\n\n`;
  out += docComment([`${names.syncImplementation} serves \`${full}\` with every method sync style: promises and (async) iterables.`]);
  out += `export type ${names.syncImplementation} = ${RPC}.SyncServiceImplementation<typeof ${names.definition}>;\n`;
  return out;
}
