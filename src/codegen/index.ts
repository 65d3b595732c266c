// The code generator's programmatic entry (`reactor-rpc gen` is its command line).
export { generate, generateFrom, writeGenerated, DEFAULT_HEADER, type GenerateOptions, type GeneratedFile } from './generate.js';
export { CodegenError, displayPath, loadProtos, servicesOf, type LoadedProtos, type ProtoFile } from './load.js';
export { emitModule, type ModuleOptions, type ModuleFile } from './emit-module.js';
export type { EmitMode, LongMode } from './scope.js';
