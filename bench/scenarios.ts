/**
 * The benchmark's scenarios: which protocol and server each row uses, how
 * many calls it keeps in flight, and how its client connects. Every row is
 * measured against the same raw framed echo (one connection), so the ours/raw
 * ratios of the ttrpc and drpc rows are comparable.
 */
import type { ClientOptions, ServerOptions } from '../src/index.js';

/** Protocol is the wire protocol of a scenario's reactor-rpc side. */
export type Protocol = 'ttrpc' | 'drpc';

/** ServerKind names the reactor-rpc server a scenario talks to: ttrpc (per --ours variant), upstream drpc, or multiplexed drpc. */
export type ServerKind = 'ttrpc' | 'drpc' | 'drpc-mux';

/** Scenario is one row of the report. */
export interface Scenario {
  /** name identifies the row. */
  name: string;
  /** protocol is the reactor-rpc side's wire protocol. */
  protocol: Protocol;
  /** transport is a unix socket to a server process or the in-memory pipe in this process. */
  transport: 'unix' | 'pipe';
  /** inflight is the number of concurrent calls (both sides). */
  inflight: number;
  /** server is the reactor-rpc server the row talks to. */
  server: ServerKind;
  /** client holds the Client.connect options of the public-API driver (drpc rows). */
  client?: ClientOptions;
}

const DRPC: ClientOptions = { protocol: 'drpc' };
const DRPC_MUX: ClientOptions = { protocol: 'drpc', multiplex: true };
const DRPC_POOL: ClientOptions = { protocol: 'drpc', pool: { maxConnections: 256 } };

/** SCENARIOS lists every row in report order. */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'unix-seq', protocol: 'ttrpc', transport: 'unix', inflight: 1, server: 'ttrpc' },
  { name: 'unix-c256', protocol: 'ttrpc', transport: 'unix', inflight: 256, server: 'ttrpc' },
  { name: 'pipe-seq', protocol: 'ttrpc', transport: 'pipe', inflight: 1, server: 'ttrpc' },
  { name: 'pipe-c256', protocol: 'ttrpc', transport: 'pipe', inflight: 256, server: 'ttrpc' },
  { name: 'drpc-unix-seq', protocol: 'drpc', transport: 'unix', inflight: 1, server: 'drpc', client: DRPC },
  { name: 'drpc-mux-unix-c256', protocol: 'drpc', transport: 'unix', inflight: 256, server: 'drpc-mux', client: DRPC_MUX },
  { name: 'drpc-pool-unix-c256', protocol: 'drpc', transport: 'unix', inflight: 256, server: 'drpc', client: DRPC_POOL },
  { name: 'drpc-mux-pipe-c256', protocol: 'drpc', transport: 'pipe', inflight: 256, server: 'drpc-mux', client: DRPC_MUX },
];

/** DRPC_SERVERS holds the Server options of the drpc server kinds. */
export const DRPC_SERVERS: Record<Exclude<ServerKind, 'ttrpc'>, ServerOptions> = {
  drpc: { protocol: 'drpc' },
  'drpc-mux': { protocol: 'drpc', multiplex: true },
};

/** Selection is what the command line asks for. */
export interface Selection {
  /** protocol is 'ttrpc', 'drpc' or 'all'. */
  protocol: string;
  /** only is a substring of the scenario names to keep. */
  only: string | undefined;
  /** names are exact scenario names (positional arguments); when given they override --protocol. */
  names: readonly string[];
  /** drpcAvailable is false when the --ours variant has no drpc counterpart (adapters, lean). */
  drpcAvailable: boolean;
}

/** selectScenarios returns the scenarios a selection asks for; throws Error when it names none or an unknown one. */
export function selectScenarios(sel: Selection): Scenario[] {
  if (!['ttrpc', 'drpc', 'all'].includes(sel.protocol)) throw new Error('--protocol must be ttrpc, drpc or all');
  const all = SCENARIOS.map((s) => s.name).join(', ');
  for (const n of sel.names) if (!SCENARIOS.some((s) => s.name === n)) throw new Error(`unknown scenario ${n} (${all})`);
  let list = sel.names.length > 0 ? SCENARIOS.filter((s) => sel.names.includes(s.name)) : SCENARIOS.filter((s) => sel.protocol === 'all' || s.protocol === sel.protocol);
  if (sel.only !== undefined) list = list.filter((s) => s.name.includes(sel.only!));
  if (!sel.drpcAvailable) {
    const explicit = sel.names.length > 0 || sel.protocol === 'drpc';
    if (explicit && list.some((s) => s.protocol === 'drpc')) throw new Error('the drpc scenarios exist for --ours api only');
    list = list.filter((s) => s.protocol === 'ttrpc');
  }
  if (list.length === 0) throw new Error(`no scenario matches the selection (${all})`);
  return list;
}
