// The .proto loader shared by `gen`, `call` and `serve` (src/codegen/load.ts)
// on the tree in test/fixtures/protos: protoc's search rules over several -I
// directories (first hit wins), protoc-style file names, weak imports, the
// first missing import with file:line and the searched directories, the
// built-in well-known types (descriptor.proto included, a file on the path
// overriding them), and the command line's spellings loading the same root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { BUILTIN_PROTOS, CodegenError, defaultProtoPaths, fileOf, loadProtos } from '../src/codegen/load.js';
import { loadSchema } from '../src/cli/proto-json.js';
import { parseCommandLine } from '../src/cli/args.js';
import { PROTO_PATH, protoPathsOf } from '../src/cli/command-kit.js';
import { run } from './helpers/cli-process.js';

const F = 'test/fixtures/protos';
const APP = `${F}/a/app/v1/app.proto`;
const I = (...dirs: string[]) => dirs.map((d) => `${F}/${d}`);

/** loadError runs loadProtos expecting a CodegenError. */
function loadError(inputs: string[], paths: string[]): CodegenError {
  try {
    loadProtos(inputs, paths);
  } catch (e) {
    assert.instance(e, CodegenError);
    return e as CodegenError;
  }
  throw new Error('loadProtos should have failed');
}

test('imports are searched in each -I directory in order; the first hit wins', () => {
  const bc = loadProtos([APP], I('a', 'b', 'c'));
  assert.equal(Object.keys(bc.root.lookupType('shared.Common').fields), ['fromB']);
  const cb = loadProtos([APP], I('a', 'c', 'b'));
  assert.equal(Object.keys(cb.root.lookupType('shared.Common').fields), ['fromC']);
  assert.equal(bc.protoPaths, I('a', 'b', 'c').map((d) => resolve(d)));
});

test('files get protoc names: an input relative to the first proto path holding it, an import by its import string', () => {
  const l = loadProtos([APP], I('a', 'b', 'c'));
  assert.equal(l.files, [{ path: resolve(APP), name: 'app/v1/app.proto' }]);
  assert.equal(
    l.allFiles.map((f) => f.name),
    ['shared/common.proto', 'lib/util.proto', 'app/v1/app.proto'],
  );
  assert.is(l.allFiles[0]!.path, resolve(F, 'b/shared/common.proto'));
  // fileOf maps a reflection object (or a member of one) to the file declaring it.
  assert.is(fileOf(l, l.root.lookupType('lib.Util'))!.name, 'lib/util.proto');
  assert.is(fileOf(l, l.root.lookupType('lib.Util').fields.count!)!.name, 'lib/util.proto');
  assert.is(fileOf(l, l.root.lookupService('app.v1.Apps').methods.Get!)!.path, resolve(APP));
  for (const f of l.allFiles) assert.ok(l.root.files.includes(f.path), f.path);
});

test('a weak import is skipped unless weak: true; a missing weak import is no error', () => {
  const skipped = loadProtos([APP], I('a', 'b', 'c'));
  assert.is(skipped.root.lookup('weak.Opt'), null);
  const loaded = loadProtos([APP], I('a', 'b', 'c'), { weak: true });
  assert.instance(loaded.root.lookup('weak.Opt'), protobuf.Type);
  assert.ok(loaded.allFiles.some((f) => f.name === 'weak/opt.proto'));
  // bad/missing.proto imports a missing weak file on line 4; the error is the missing plain import of line 5.
  for (const weak of [false, true]) {
    try {
      loadProtos([`${F}/bad/missing.proto`], I('b'), { weak });
      assert.unreachable('should fail');
    } catch (e) {
      assert.is((e as CodegenError).line, 5, String(e));
    }
  }
});

test('the first missing import in file order is reported with file:line and every searched directory', () => {
  const e = loadError([`${F}/bad/missing.proto`], I('b', 'c'));
  assert.is(e.line, 5);
  assert.is(e.file, resolve(F, 'bad/missing.proto'));
  assert.is(e.message, `${F}/bad/missing.proto:5: import "first/missing.proto" not found; searched: ${F}/b, ${F}/c`);
  // Without -I: the input's directory, then its parents up to the working directory.
  const d = loadError([`${F}/bad/missing.proto`], []);
  assert.is(d.message, `${F}/bad/missing.proto:3: import "shared/common.proto" not found; searched: ${F}/bad, ${F}, test/fixtures, test, .`);
  // An import found only next to the importing file is not found (protoc does not look there).
  const near = loadError([APP], I('b'));
  assert.match(near.message, /app\.proto:7: import "lib\/util\.proto" not found; searched: test\/fixtures\/protos\/b$/);
});

test('the default search path is the inputs\' directories, then their parents up to the working directory', () => {
  assert.equal(defaultProtoPaths([APP]), [`${F}/a/app/v1`, `${F}/a/app`, `${F}/a`, F, 'test/fixtures', 'test', '.'].map((d) => resolve(d)));
  const outside = defaultProtoPaths(['/tmp/x/y.proto']);
  assert.equal(outside, ['/tmp/x', '/tmp', '/']);
});

test('google/protobuf/descriptor.proto is built in; a file on the proto path overrides a built-in', () => {
  assert.ok(BUILTIN_PROTOS.includes('google/protobuf/descriptor.proto'));
  assert.ok(BUILTIN_PROTOS.includes('google/protobuf/timestamp.proto'));
  const l = loadProtos([`${F}/a/app/v1/options.proto`], I('a'));
  const labeled = l.root.lookupType('app.v1.Labeled');
  assert.is(labeled.fields.name!.options?.['(label)'], 'the name');
  const desc = fileOf(l, l.root.lookupType('google.protobuf.FieldOptions'))!;
  assert.equal(desc, { path: 'google/protobuf/descriptor.proto', name: 'google/protobuf/descriptor.proto' });
  const builtin = loadProtos([`${F}/wkt/wkt.proto`]);
  assert.equal(fileOf(builtin, builtin.root.lookupType('google.protobuf.Timestamp')), { path: 'google/protobuf/timestamp.proto', name: 'google/protobuf/timestamp.proto' });
  const over = loadProtos([`${F}/override/uses-time.proto`]);
  const ts = over.root.lookupType('google.protobuf.Timestamp');
  assert.ok(ts.fields.zone, 'the timestamp.proto on the path is loaded');
  assert.equal(fileOf(over, ts), { path: resolve(F, 'override/google/protobuf/timestamp.proto'), name: 'google/protobuf/timestamp.proto' });
});

test('gen-style and call-style loading give the same root for the same arguments', () => {
  const spellings = [
    ['-I', `${F}/a`, '-I', `${F}/b`, '--proto-path', `${F}/c`],
    [`-I${F}/a`, `--proto_path=${F}/b`, `--proto-path=${F}/c`],
  ];
  const roots = spellings.map((argv) => {
    const args = parseCommandLine(argv, { 'proto-path': PROTO_PATH });
    return loadSchema([APP], protoPathsOf(args, [APP])).toJSON();
  });
  const gen = loadProtos([APP], I('a', 'b', 'c')).root.toJSON();
  for (const r of roots) assert.equal(r, gen);
  const none = parseCommandLine([], { 'proto-path': PROTO_PATH });
  assert.equal(loadSchema([`${F}/wkt/wkt.proto`], protoPathsOf(none, [])).toJSON(), loadProtos([`${F}/wkt/wkt.proto`]).root.toJSON());
});

test('call and serve report a missing import as gen does: file:line and the searched directories, exit 2', async () => {
  const r = await run(['call', 'localhost:1', 'Apps/Get', '--proto', APP, '-I', `${F}/b`]);
  assert.is(r.code, 2);
  assert.is(r.stderr, `reactor-rpc call: ${APP}:7: import "lib/util.proto" not found; searched: ${F}/b (see reactor-rpc call --help)\n`);
  const s = await run(['serve', `${F}/bad/missing.proto`, '--listen', 'localhost:0', '-I', `${F}/b`]);
  assert.is(s.code, 2);
  assert.match(s.stderr, `${F}/bad/missing.proto:5: import "first/missing.proto" not found; searched: ${F}/b`);
});

test.run();
