/**
 * Loading of the drpc golden captures (`test/vectors/drpc/*.json`) for the
 * codec tests: scenario files with both directions, and the edge probes.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { vectorDir, vectorFiles } from './vectors.js';

/** DRPC_VECTOR_DIR is the directory of the drpc captures, relative to the repository. */
export const DRPC_VECTOR_DIR = vectorDir('drpc');

/** VectorFrame is one frame as the capture decoder recorded it. */
export interface VectorFrame {
  offset: number;
  header_hex: string;
  flag_byte: string;
  kind: number;
  kind_name: string;
  control: boolean;
  done: boolean;
  stream_id: number;
  message_id: number;
  length: number;
  data_hex: string;
  data_hex_truncated?: boolean;
  data_sha256?: string;
}

/** VectorPacket is one assembled packet as the capture decoder recorded it. */
export interface VectorPacket {
  kind: string;
  stream_id: number;
  message_id: number;
  frames: number;
  length: number;
  control?: boolean;
  hex?: string;
  sha256?: string;
  rpc?: string;
  text?: string;
  metadata?: Array<{ key: string; value: string }>;
  error_code?: number;
  error_message?: string;
}

/** VectorDirection is one direction of a capture. */
export interface VectorDirection {
  total_bytes: number;
  frames: VectorFrame[];
  packets: VectorPacket[];
  read_chunk_sizes: number[];
}

/** ScenarioVector is one scenario file. */
export interface ScenarioVector {
  file: string;
  scenario: string;
  client_to_server_hex: string;
  server_to_client_hex: string;
  decoded: { client_to_server: VectorDirection; server_to_client: VectorDirection };
}

/** ProbeServerResult is what one Go server did with a probe. */
export interface ProbeServerResult {
  server_to_client_hex: string;
  server_frames: string[];
  connection_closed_by_server: boolean;
}

/** EdgeProbe is one raw-byte probe. */
export interface EdgeProbe {
  name: string;
  description: string;
  client_to_server_hex: string;
  upstream_server: ProbeServerResult;
  mux_fork_server: ProbeServerResult;
}

/** fromHex decodes hex; a trailing `...(N bytes total)` marker (elided zero filler) is expanded to N bytes. */
export function fromHex(hex: string): Uint8Array {
  const marker = /\.\.\.\((\d+) bytes total\)$/.exec(hex);
  const body = marker ? hex.slice(0, marker.index) : hex;
  const bytes = Uint8Array.from(Buffer.from(body, 'hex'));
  if (!marker) return bytes;
  const out = new Uint8Array(Number(marker[1]));
  out.set(bytes);
  return out;
}

/** toHex encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** sha256Hex is the SHA-256 of `bytes` in hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** loadScenarioVectors reads every scenario file of the directory (all but edge_probes), sorted by name. */
export function loadScenarioVectors(): ScenarioVector[] {
  return vectorFiles('drpc')
    .filter((f) => f !== 'edge_probes.json')
    .map((file) => ({ file, ...(JSON.parse(readFileSync(DRPC_VECTOR_DIR + file, 'utf8')) as Omit<ScenarioVector, 'file'>) }));
}

/** loadEdgeProbes reads the probes of edge_probes.json. */
export function loadEdgeProbes(): EdgeProbe[] {
  return (JSON.parse(readFileSync(DRPC_VECTOR_DIR + 'edge_probes.json', 'utf8')) as { probes: EdgeProbe[] }).probes;
}

/** mulberry32 is a small seeded PRNG returning floats in [0, 1), for reproducible random chunkings. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** chunkRandomly cuts `bytes` into views of random sizes in [1, maxChunk]. */
export function chunkRandomly(bytes: Uint8Array, random: () => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

/** chunkBySizes cuts `bytes` by the given sizes (the last chunk takes any rest). */
export function chunkBySizes(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) chunks.push(bytes.subarray(at));
  return chunks;
}
