// Shared by the unix-socket-file and connection-hygiene tests: a small raw
// service, the three protocols as server and client options, and polling.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ClientOptions, Server, type ServerOptions, defineService, rawMethod } from '../../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** SVC is the test service name. */
export const SVC = 'test.v1.Hygiene';

/** M has Echo (replies at once), Sleep (replies after the request's number of ms) and Wait (replies when released). */
export const M = defineService(SVC, {
  Echo: rawMethod(`/${SVC}/Echo`, 'unary'),
  Sleep: rawMethod(`/${SVC}/Sleep`, 'unary'),
  Wait: rawMethod(`/${SVC}/Wait`, 'unary'),
});

/** ProtoCase is one protocol as server and client options. */
export interface ProtoCase {
  name: string;
  server: ServerOptions;
  client: ClientOptions;
}

/** PROTOS are ttrpc, upstream drpc (one connection per client) and multiplexed drpc. */
export const PROTOS: ProtoCase[] = [
  { name: 'ttrpc', server: {}, client: {} },
  { name: 'drpc', server: { protocol: 'drpc' }, client: { protocol: 'drpc', pool: false } },
  { name: 'drpc-mux', server: { protocol: 'drpc', multiplex: true }, client: { protocol: 'drpc', multiplex: true } },
];

/** Waiters releases the calls held by Wait. */
export class Waiters {
  private held: Array<() => void> = [];
  /** count is the number of calls held now. */
  get count(): number {
    return this.held.length;
  }
  /** hold returns a promise resolved by the next releaseAll(). */
  hold(): Promise<void> {
    return new Promise((r) => this.held.push(r));
  }
  /** releaseAll lets every held call reply. */
  releaseAll(): void {
    for (const r of this.held.splice(0)) r();
  }
}

/** hygieneServer builds a server with the test service; Echo replies `<tag>:<request>`. */
export function hygieneServer(options: ServerOptions, tag = 'srv', waiters = new Waiters()): Server {
  const server = new Server(options);
  server.addService(M, {
    Echo: (req) => enc.encode(`${tag}:${dec.decode(req)}`),
    Sleep: async (req) => {
      await sleep(Number(dec.decode(req)));
      return req;
    },
    Wait: async (req) => {
      await waiters.hold();
      return req;
    },
  });
  return server;
}

/** echo makes one Echo call and returns the reply text. */
export async function echo(client: Client, text = 'x'): Promise<string> {
  return dec.decode(await client.unary(M.methods.Echo, enc.encode(text), { timeoutMs: 5000 }));
}

/** text encodes a string. */
export const text = (s: string): Uint8Array => enc.encode(s);

/** socketFile returns a fresh socket path in its own temporary directory. */
export function socketFile(name = 's.sock'): string {
  return join(mkdtempSync(join(tmpdir(), 'rr-hyg-')), name);
}

/** until polls `pred` every 10 ms; throws after `ms` naming `what`. */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** rejection resolves with what a promise rejected with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a value');
}
