// `reactor-rpc gen`: generates messages, typed service definitions, server
// implementation types and typed clients from .proto files.
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError, flag } from './args.js';
import { type Command, PROTO_PATH, PROTO_PATH_HELP, oneOf, runCommand } from './command-kit.js';
import { InputError } from './input-error.js';

/** GEN_HELP is the usage text of `reactor-rpc gen`. */
export const GEN_HELP = `usage: reactor-rpc gen <file.proto>... --out <dir> [options]

Writes into <dir> one module per .proto: the inputs, and every imported file
that declares a type they use (e.g. google/protobuf/timestamp.ts), at its
proto name (a/b/c.proto -> <dir>/a/b/c.ts). For each message Foo: the
interface Foo (decoded: every field set, proto3 defaults; int64 as bigint;
oneofs as { case, value } unions) and the codec Foo (create, encode, decode);
for each enum a constant object and a union type; for each service Foo:
FooService (definition, wire names), FooClient (lowerCamelCase methods),
FooImplementation, FooCallbackImplementation, FooSyncImplementation (server
types) and the namespace Foo of per-method reactor base classes
(Foo.BarReactor, Foo.BarClientReactor). Needs nothing beyond reactor-rpc.

options:
  --out DIR              output directory (required)
${PROTO_PATH_HELP}  --import-path MODULE   module the generated code imports the library from
                         (default: reactor-rpc; a relative path is taken
                         against --out)
  --protobuf-import MOD  module of the protobuf runtime (default:
                         <import-path>/protobuf)
  --js                   write ES modules: <file>.js + <file>.d.ts
  --cjs                  write CommonJS: <file>.cjs + <file>.d.cts
  --long T               type of 64-bit integers: bigint (default), string
                         or number
  -h, --help             print this text
`;

/** GEN is the command's name, help and option table. */
const GEN: Command = {
  name: 'gen',
  help: GEN_HELP,
  options: { out: { type: 'string' }, 'proto-path': PROTO_PATH, 'import-path': { type: 'string' }, 'protobuf-import': { type: 'string' }, js: { type: 'boolean' }, cjs: { type: 'boolean' }, long: { type: 'string' } },
};

/** runGen runs `reactor-rpc gen` with the words after `gen`; resolves to the exit code (2 for usage mistakes and missing inputs, 1 on a .proto error). */
export async function runGen(argv: readonly string[]): Promise<number> {
  return runCommand(GEN, argv, async (args) => {
    const files = args.positional;
    if (files.length === 0) throw new UsageError('no .proto files given');
    const out = flag(args, 'out');
    if (!out) throw new UsageError('--out DIR is required');
    if (args.flags.has('js') && args.flags.has('cjs')) throw new UsageError('--js and --cjs exclude each other');
    for (const f of files) if (!existsSync(f)) throw new InputError(`${f}: file not found`);
    // The generator (protobufjs's parser) loads only for this command.
    const { CodegenError, displayPath, generate, writeGenerated } = await import('../codegen/index.js');
    try {
      const generated = await generate({
        files,
        protoPaths: args.flags.get('proto-path') ?? [],
        importPath: flag(args, 'import-path'),
        protobufImport: flag(args, 'protobuf-import'),
        mode: args.flags.has('cjs') ? 'cjs' : args.flags.has('js') ? 'esm' : 'ts',
        long: oneOf(args, 'long', ['bigint', 'string', 'number'] as const, 'bigint'),
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
