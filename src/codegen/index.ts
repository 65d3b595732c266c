// The code generator's programmatic entry (`reactor-rpc gen` is its command line).
export { generate, writeGenerated, DEFAULT_HEADER, type GenerateOptions, type GeneratedFile } from './generate.js';
export { CodegenError, displayPath, loadProtos, servicesOf, type LoadedProtos, type ProtoFile } from './load.js';
export { emitRpcFile, type RpcFileOptions } from './emit-file.js';
export { emitService } from './emit-service.js';
export { emitClient } from './emit-client.js';
