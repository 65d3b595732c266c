/**
 * Heap bytes per in-flight unary call on the client
 * (`node --expose-gc --import tsx bench/call-memory.ts [calls=4096]`).
 * Starts that many promise-API unary calls of 64 bytes against a unix socket
 * peer that reads and never answers, so every call stays in flight, then
 * prints the growth of the used heap (after full GCs) divided by the count.
 */
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/index.js';
import { ECHO_SERVICE } from './ttrpc-api.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('call-memory: run with node --expose-gc\n');
  process.exit(2);
}
const n = Number(process.argv[2] ?? 4096);
const path = join(tmpdir(), `reactor-rpc-call-memory-${process.pid}.sock`);
const peer = createServer((s) => s.resume());
await new Promise<void>((r) => peer.listen(path, r));
const client = await Client.connect(`unix://${path}`);
const payload = new Uint8Array(64);
const settle = async (): Promise<number> => {
  await new Promise((r) => setTimeout(r, 300));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
// Warm-up: the method's cached prefix, the writer's buffers, optimized code.
for (let i = 0; i < 100; i++) void client.unary(ECHO_SERVICE.methods.Echo, payload).catch(() => {});
const before = await settle();
for (let i = 0; i < n; i++) void client.unary(ECHO_SERVICE.methods.Echo, payload).catch(() => {});
const after = await settle();
process.stdout.write(`${n} unary calls in flight: ${Math.round((after - before) / n)} heap bytes per call\n`);
process.exit(0);
