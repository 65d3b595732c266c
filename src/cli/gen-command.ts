// `reactor-rpc gen`: generates messages, typed service definitions, server
// implementation types and typed clients from .proto files.
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError, flag } from './args.js';
import { type Command, PROTO_PATH, runCommand } from './command-kit.js';
import { InputError } from './input-error.js';

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
  -I, --proto-path DIR   import search path; repeatable (default: the
                         directories of the inputs; --proto_path too).
                         google/protobuf well-known types are built in
  --import-path MODULE   module the generated code imports the library from
                         (default: reactor-rpc)
  --name NAME            base name of the messages module (default: messages)
  --root NAME            protobufjs root name of the messages module
                         (default: derived from --name and the inputs)
  -h, --help             print this text
`;

/** GEN is the command's name, help and option table. */
const GEN: Command = {
  name: 'gen',
  help: GEN_HELP,
  options: { out: { type: 'string' }, 'proto-path': PROTO_PATH, 'import-path': { type: 'string' }, name: { type: 'string' }, root: { type: 'string' } },
};

/** runGen runs `reactor-rpc gen` with the words after `gen`; resolves to the exit code (2 for usage mistakes and missing inputs, 1 on a .proto error). */
export async function runGen(argv: readonly string[]): Promise<number> {
  return runCommand(GEN, argv, async (args) => {
    const files = args.positional;
    if (files.length === 0) throw new UsageError('no .proto files given');
    const out = flag(args, 'out');
    if (!out) throw new UsageError('--out DIR is required');
    for (const f of files) if (!existsSync(f)) throw new InputError(`${f}: file not found`);
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
  });
}
