/**
 * Codec benchmark (`npm run bench -- codec`): encode and decode throughput of
 * the codecs `reactor-rpc gen` writes against protobufjs-cli's static output
 * (`pbjs -t static-module -w es6` + pbts), side by side in this process.
 *
 *   npm run bench -- codec [--rounds N] [--seconds S] [--warmup S] [--json]
 *
 * Both variants are generated into a temporary directory at start, from
 * proto/ttrpc/interop/v1/interop.proto (`Payload`, a bytes field: 64 B and
 * 4 KiB) and bench/protos/order.proto (`Order`: strings, int32/int64, a
 * nested message, 10 repeated messages and a 4-entry map). Each side encodes
 * its own decoding of the same bytes (ours: plain objects with bigint; static:
 * its message classes with Long), and the two encodings are checked to be
 * byte-identical before timing. Rounds alternate ours and static (ABAB…);
 * the table shows the median ops/s of each and the ratio ours/static.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generate, writeGenerated } from '../src/codegen/generate.js';
import type { Codec } from '../src/protobuf/index.js';
import type * as _library from '../src/index.js'; // keeps the library in the compiled benchmark: generated modules import it
import { median } from './stats.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url).href.replace(/\/\.tmp\/bench-js\/$/, '/'));
const PROTO_DIR = join(ROOT, 'proto');
const BENCH_PROTOS = join(ROOT, 'bench', 'protos');
const INTEROP = join(PROTO_DIR, 'ttrpc', 'interop', 'v1', 'interop.proto');
const ORDER = join(BENCH_PROTOS, 'order.proto');

/** StaticType is the part of a pbjs static-module class the benchmark uses. */
interface StaticType {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
}

/** Case is one message to measure: our codec, the static class and the bytes both decode. */
interface Case {
  readonly name: string;
  readonly ours: Codec<unknown>;
  readonly stat: StaticType;
  readonly bytes: Uint8Array;
}

/** CodecResult is one row of the table. */
export interface CodecResult {
  /** name is the message and size. */
  readonly name: string;
  /** op is encode or decode. */
  readonly op: 'encode' | 'decode';
  /** ours and stat are the median ops/s. */
  readonly ours: number;
  readonly stat: number;
  /** ratio is ours / stat. */
  readonly ratio: number;
  /** bytes is the encoded size. */
  readonly bytes: number;
}

/** runPbjs compiles .proto files to an ES module string (as scripts/generate.mjs does). */
function runPbjs(files: string[], paths: string[], rootName: string, dependency: string): Promise<string> {
  const { pbjs } = require('protobufjs-cli') as { pbjs: { main(args: string[], cb: (err: Error | null, out?: string) => void): void } };
  const args = ['--target', 'static-module', '--wrap', 'es6', '--dependency', dependency, '--root', rootName, '--no-comments', ...paths.flatMap((p) => ['--path', p]), ...files];
  return new Promise((resolve, reject) => pbjs.main(args, (err, out) => (err ? reject(err) : resolve(out ?? ''))));
}

/** generateBoth writes our ESM output and the static module for both protos into dir; returns the module URLs. */
async function generateBoth(dir: string): Promise<{ ours: { interop: string; order: string }; stat: { interop: string; order: string } }> {
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // the library as this benchmark runs it: compiled JavaScript (npm run bench) or the sources through tsx (--from-source)
  const lib = fileURLToPath(new URL('../src/index.js', import.meta.url));
  const pb = fileURLToPath(new URL('../src/protobuf/index.js', import.meta.url));
  const ours = join(dir, 'ours');
  writeGenerated(ours, generate({ files: [INTEROP], protoPaths: [PROTO_DIR], importPath: lib, protobufImport: pb, mode: 'esm' }));
  writeGenerated(ours, generate({ files: [ORDER], protoPaths: [BENCH_PROTOS], importPath: lib, protobufImport: pb, mode: 'esm' }));
  const minimal = require.resolve('protobufjs/minimal.js');
  const fix = (js: string): string => js.replace(/from\s+["']protobufjs\/minimal(\.js)?["'];/, `from ${JSON.stringify(minimal)};`);
  writeFileSync(join(dir, 'static-interop.js'), fix(await runPbjs([INTEROP], [PROTO_DIR], 'bench_interop', 'protobufjs/minimal.js')));
  writeFileSync(join(dir, 'static-order.js'), fix(await runPbjs([ORDER], [BENCH_PROTOS], 'bench_order', 'protobufjs/minimal.js')));
  const url = (p: string): string => pathToFileURL(p).href;
  return {
    ours: { interop: url(join(ours, 'ttrpc', 'interop', 'v1', 'interop.js')), order: url(join(ours, 'order.js')) },
    stat: { interop: url(join(dir, 'static-interop.js')), order: url(join(dir, 'static-order.js')) },
  };
}

/** orderInit is the realistic message: 10 items, 4 labels, a nested address. */
function orderInit(): Record<string, unknown> {
  return {
    id: 'ord_01HZX3K9V7Q2M8N4P6R5T1W0YB',
    version: 3,
    createdMs: 1_733_300_000_123n,
    customer: 'Ada Lovelace <ada@example.com>',
    shipTo: { street: '12 Analytical Engine Way', city: 'London', zip: 10115 },
    items: Array.from({ length: 10 }, (_, i) => ({ sku: `SKU-${1000 + i}-BLUE-XL`, quantity: i + 1, priceMicros: BigInt(19_990_000 + i * 1_250_000) })),
    labels: { region: 'eu-west-1', channel: 'web', priority: 'standard', campaign: 'winter-sale-2024' },
    paid: true,
  };
}

/** timeRound runs fn for about `ms` milliseconds (in batches) and returns ops/s. */
function timeRound(fn: () => void, ms: number): number {
  let ops = 0;
  let batch = 64;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(ms * 1e6));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed < limit / 50n) batch *= 2;
  }
  return ops / (Number(elapsed) / 1e9);
}

/** sink keeps results alive so the work is not optimized away. */
let sink: unknown;

/** measure alternates rounds of ours and static and returns both medians. */
function measure(ours: () => void, stat: () => void, rounds: number, seconds: number, warmup: number): { ours: number; stat: number } {
  timeRound(ours, warmup * 500);
  timeRound(stat, warmup * 500);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      a.push(timeRound(ours, seconds * 1000));
      b.push(timeRound(stat, seconds * 1000));
    } else {
      b.push(timeRound(stat, seconds * 1000));
      a.push(timeRound(ours, seconds * 1000));
    }
  }
  return { ours: median(a), stat: median(b) };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** fmt renders ops/s with thousands separators. */
function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** codecMain runs the codec benchmark with its command-line arguments; returns the exit code. */
export async function codecMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '7' },
      seconds: { type: 'string', default: '0.5' },
      warmup: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const rounds = Math.max(5, Number(values.rounds));
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const dir = mkdtempSync(join(tmpdir(), 'reactor-rpc-codec-bench-'));
  try {
    const urls = await generateBoth(dir);
    const oursInterop = (await import(urls.ours.interop)) as Record<string, Codec<unknown>>;
    const oursOrder = (await import(urls.ours.order)) as Record<string, Codec<unknown>>;
    type StaticRoot = Record<string, Record<string, Record<string, unknown>>>;
    const si = ((await import(urls.stat.interop)) as { default: StaticRoot }).default;
    const so = ((await import(urls.stat.order)) as { default: StaticRoot }).default;
    const staticPayload = (si['ttrpc']!['interop'] as Record<string, Record<string, StaticType>>)['v1']!['Payload']!;
    const staticOrder = (so['bench']!['v1'] as Record<string, StaticType>)['Order']!;
    const Payload = oursInterop['Payload']!;
    const Order = oursOrder['Order']!;
    const cases: Case[] = [
      { name: 'Payload 64 B', ours: Payload, stat: staticPayload, bytes: Payload.toBinary({ data: new Uint8Array(64).fill(0xab) } as never) },
      { name: 'Payload 4 KiB', ours: Payload, stat: staticPayload, bytes: Payload.toBinary({ data: new Uint8Array(4096).map((_, i) => i % 251) } as never) },
      { name: 'Order', ours: Order, stat: staticOrder, bytes: Order.toBinary(orderInit() as never) },
    ];
    const results: CodecResult[] = [];
    for (const c of cases) {
      const oursMsg = c.ours.fromBinary(c.bytes);
      const statMsg = c.stat.decode(c.bytes);
      const a = hex(c.ours.toBinary(oursMsg as never));
      const b = hex(c.stat.encode(statMsg).finish());
      if (a !== b || a !== hex(c.bytes)) throw new Error(`${c.name}: ours and static encode differently:\n  ours   ${a}\n  static ${b}`);
      const enc = measure(
        () => (sink = c.ours.toBinary(oursMsg as never)),
        () => (sink = c.stat.encode(statMsg).finish()),
        rounds,
        seconds,
        warmup,
      );
      results.push({ name: c.name, op: 'encode', ours: enc.ours, stat: enc.stat, ratio: enc.ours / enc.stat, bytes: c.bytes.length });
      const dec = measure(
        () => (sink = c.ours.fromBinary(c.bytes)),
        () => (sink = c.stat.decode(c.bytes)),
        rounds,
        seconds,
        warmup,
      );
      results.push({ name: c.name, op: 'decode', ours: dec.ours, stat: dec.stat, ratio: dec.ours / dec.stat, bytes: c.bytes.length });
    }
    void sink;
    const header = ['message', 'bytes', 'op', 'ours ops/s', 'static ops/s', 'ours/static'];
    const rows = results.map((r) => [r.name, String(r.bytes), r.op, fmt(r.ours), fmt(r.stat), r.ratio.toFixed(2)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    const table = [line(header), ...rows.map(line)].join('\n');
    const meta = { node: process.version, rounds, seconds, warmup };
    if (values.json) {
      process.stderr.write(`${table}\n`);
      process.stdout.write(`${JSON.stringify({ ...meta, results }, null, 2)}\n`);
    } else {
      process.stdout.write(`codec benchmark: median of ${rounds} rounds of ${seconds} s, ${process.version}\n${table}\n`);
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
