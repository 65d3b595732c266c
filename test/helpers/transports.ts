import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipeListener } from '../../src/transport/pipe-listener.js';
import type { Listener } from '../../src/transport/conn.js';

/** TransportCase names a transport and makes a fresh listen target for it. */
export interface TransportCase {
  name: string;
  target(): string | Listener;
}

let n = 0;

/** TRANSPORTS are the three transports every session test runs on. */
export const TRANSPORTS: TransportCase[] = [
  { name: 'pipe', target: () => new PipeListener() },
  { name: 'unix', target: () => `unix://${join(mkdtempSync(join(tmpdir(), 'rr-')), `s${++n}.sock`)}` },
  { name: 'tcp', target: () => 'tcp://127.0.0.1:0' },
];

/** dialTarget returns what to dial for a listen target and its bound address. */
export function dialTarget(target: string | Listener, bound: string): string | PipeListener {
  return target instanceof PipeListener ? target : bound;
}
