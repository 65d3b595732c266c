// `reactor-rpc gen`: generates messages, typed service definitions, server
// implementation types and typed clients from .proto files.
import { resolve } from 'node:path';
import { type ParsedArgs, UsageError, flag } from './args.js';

/** GEN_HELP is the usage text of `reactor-rpc gen`. */
export const GEN_HELP = `usage: reactor-rpc gen <file.proto>... --out <dir> [options]

Writes into <dir>:
  <name>.js, <name>.d.ts   the messages of every input and its imports
                           (protobufjs static module; fields in camelCase)
  <file>.rpc.ts            per .proto declaring services, for each service Foo:
                           FooService (definition), FooImplementation,
                           FooCallbackImplementation, FooSyncImplementation
                           (server types) and FooClient (typed client)

Method names keep the proto's casing (FooClient.SayHello, implementation key
SayHello); message fields are camelCase, as protobufjs emits them. Generated
code imports protobufjs/minimal.js, so the project needs protobufjs; the
generator itself needs protobufjs-cli.

options:
  --out DIR              output directory (required)
  --proto-path DIR       import search path; repeatable (default: the
                         directories of the inputs). google/protobuf
                         well-known types are built in
  --import-path MODULE   module the generated code imports the library from
                         (default: reactor-rpc)
  --name NAME            base name of the messages module (default: messages)
  --root NAME            protobufjs root name of the messages module
                         (default: derived from --name and the inputs)
  --help                 print this text
`;

/** runGen runs `reactor-rpc gen` and resolves to the exit code (1 on a .proto error). Throws UsageError on bad arguments. */
export async function runGen(args: ParsedArgs): Promise<number> {
  if (args.flags.has('help')) {
    process.stdout.write(GEN_HELP);
    return 0;
  }
  const files = args.positional.slice(1);
  if (files.length === 0) throw new UsageError('gen: no .proto files given');
  const out = flag(args, 'out');
  if (!out || out === 'true') throw new UsageError('gen: --out DIR is required');
  const known = new Set(['out', 'proto-path', 'import-path', 'name', 'root', 'help']);
  for (const k of args.flags.keys()) if (!known.has(k)) throw new UsageError(`gen: unknown option --${k}`);
  // The generator (protobufjs's parser, protobufjs-cli) loads only for this command.
  const { CodegenError, displayPath, generate, writeGenerated } = await import('../codegen/index.js');
  try {
    const generated = await generate({
      files,
      protoPaths: args.flags.get('proto-path') ?? [],
      importPath: flag(args, 'import-path'),
      name: flag(args, 'name'),
      root: flag(args, 'root'),
    });
    for (const path of writeGenerated(resolve(out), generated)) process.stdout.write(`wrote ${displayPath(path)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CodegenError) {
      process.stderr.write(`reactor-rpc gen: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
