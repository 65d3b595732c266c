/**
 * Streaming benchmark server process: `stream-server-process.ts
 * <ttrpc|drpc|drpc-mux> <address>` serves bench.Stream (stream-service.ts),
 * prints `listening <address>` on stdout, answers each `stats` line on stdin
 * with `stats {json}` (peak RSS and how the handlers ended), and exits when
 * its stdin closes, so it never outlives the benchmark.
 */
import { createInterface } from 'node:readline';
import { type ServerCallCounts, type StreamProtocol, STREAM_PROTOCOLS, startStreamServer } from './stream-service.js';

/** ServerStats is what the server process reports on a `stats` line. */
export interface ServerStats {
  /** maxRssBytes is the process's peak resident set size (getrusage). */
  maxRssBytes: number;
  /** startRssBytes is the resident set size once listening, before any call. */
  startRssBytes: number;
  /** calls tallies how the handlers ended. */
  calls: ServerCallCounts;
}

async function main(): Promise<void> {
  const [protocol, address] = process.argv.slice(2);
  if (!STREAM_PROTOCOLS.includes(protocol as StreamProtocol) || address === undefined) {
    process.stderr.write(`usage: stream-server-process.ts <${STREAM_PROTOCOLS.join('|')}> <address>\n`);
    process.exit(2);
  }
  const calls: ServerCallCounts = { started: 0, ok: 0, failed: 0, failures: [] };
  const { server, address: bound } = await startStreamServer(address, protocol as StreamProtocol, calls);
  const startRssBytes = process.memoryUsage.rss();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'stats') return;
    const stats: ServerStats = { maxRssBytes: process.resourceUsage().maxRSS * 1024, startRssBytes, calls };
    process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
  });
  lines.on('close', () => void server.forceShutdown().finally(() => process.exit(0)));
  process.stdout.write(`listening ${bound}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`stream-server-process: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
