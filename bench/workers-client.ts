/**
 * Workers benchmark client process: reads one JSON line per round on stdin
 * (`{"target":"unix:///…","connections":8,"inflight":256,"seconds":1}`),
 * keeps `inflight` client.unary() echo calls going spread over `connections`
 * connections to the target (opened on first use and kept), and answers with
 * the RoundResult as one JSON line. Prints `ready` first; exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { ApiEchoClient } from './ttrpc-api.js';
import { benchPayload } from './stats.js';

const clients = new Map<string, ApiEchoClient[]>();

async function round(target: string, connections: number, inflight: number, seconds: number): Promise<{ calls: number; seconds: number; latenciesMs: number[] }> {
  let list = clients.get(target);
  if (list === undefined) {
    list = await Promise.all(Array.from({ length: connections }, () => ApiEchoClient.connect(target, benchPayload())));
    clients.set(target, list);
  }
  const results = await Promise.all(list.map((c, i) => c.run(Math.floor(inflight / connections) + (i < inflight % connections ? 1 : 0), seconds, false)));
  return { calls: results.reduce((n, r) => n + r.calls, 0), seconds: Math.max(...results.map((r) => r.seconds)), latenciesMs: [] };
}

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  const { target, connections, inflight, seconds } = JSON.parse(line) as { target: string; connections: number; inflight: number; seconds: number };
  process.stdout.write(`${JSON.stringify(await round(target, connections, inflight, seconds))}\n`);
}
for (const list of clients.values()) for (const c of list) c.close();
