// Every example and the demo run as real processes and print what they promise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(file: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `${file} exited ${r.status}: ${r.stderr}`);
  assert.not.match(r.stderr, /reaction threw/);
  return r.stdout;
}

const EXPECT: Record<string, RegExp[]> = {
  'workers.ts': [/20 calls answered by 2 distinct worker pids/, /all workers exited/],
  'proxy.ts': [/hello, through the proxy/, /hello #3, proxied/, /hello, a and b/, /you said x/, /proxy: \/demo.Greeter\/Chat OK/],
  'demo.ts': [/ttrpc on the in-memory pipe/, /drpc on the in-memory pipe/, /generic proxy -> multiplexed drpc/, /unary promise\s+hello, promise/, /unary shortcut\s+OK hello, shortcut/, /read reactor onDone\s+OK/, /write reactor onDone\s+OK hello, alan and ada and grace/, /bidi reactor onDone\s+OK/, /reactions run\s+\d+/],
  'mixed-service.ts': [/hello, mixed/, /hello #3, stream/, /hello, a and b/, /you said y/],
  'unary-reactor.ts': [/reactor: OK hello, reactor/, /shortcut: OK hello, shortcut/],
  'read-reactor.ts': [/read: hello #1, reader/, /read: hello #3, reader/, /done: OK/],
  'write-reactor.ts': [/done: OK hello, ada and grace and barbara/],
  'bidi-reactor.ts': [/read: you said three/, /done: OK/],
  'backpressure.ts': [/slow consumer: 20000 replies, the last "reply #20000"/, /stalled consumer: RESOURCE_EXHAUSTED: ttrpc: receive queue full \(64 unread messages, none read for 300 ms\)/, /after the stall: hello, still here/],
};

for (const [file, patterns] of Object.entries(EXPECT)) {
  test(`example ${file} runs`, () => {
    const out = run(file);
    for (const p of patterns) assert.match(out, p);
  });
}

/** NOT_RUN_HERE are the examples this file does not run, each with where it is checked. */
const NOT_RUN_HERE: Record<string, string> = {
  'greeter.ts': 'the service definition the other examples import',
  'tls.ts': 'needs certificates in TLS_DIR; TLS is tested by tls.test.ts',
};

test('every example is run here or says where it is checked', () => {
  const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));
  for (const f of files) assert.ok(f in EXPECT || f in NOT_RUN_HERE, `examples/${f} is neither run nor excused`);
});

test.run();
