// The worker half of serveWorkers: build the Server, listen on the primary's
// address, and shut down when the primary (or a SIGTERM) says so.
import cluster from 'node:cluster';
import type { ListenOptions } from '../transport/listen-options.js';
import type { Server } from './server.js';
import type { CreateWorkerServer, Workers } from './workers.js';

/** ENV_ADDRESS carries the address a worker listens on, from the primary. */
export const ENV_ADDRESS = 'REACTOR_RPC_WORKERS_ADDRESS';
/** ENV_INDEX carries a worker's slot index, from the primary. */
export const ENV_INDEX = 'REACTOR_RPC_WORKERS_INDEX';

/** WorkerMessage is what a worker tells the primary: listening (with the bound address), failed to start, or leaving on its own. */
export type WorkerMessage =
  | { reactorRpcWorkers: 'listening'; address: string }
  | { reactorRpcWorkers: 'failed'; message: string }
  | { reactorRpcWorkers: 'leaving' };

/** PrimaryMessage is what the primary tells a worker: shut down with this grace. */
export interface PrimaryMessage {
  reactorRpcWorkers: 'shutdown';
  graceMs: number;
}

/** isWorkerMessage tells serveWorkers' messages from the application's own. */
export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { reactorRpcWorkers?: unknown }).reactorRpcWorkers === 'string';
}

function tell(m: WorkerMessage): void {
  if (process.connected) process.send?.(m);
}

/**
 * runWorker builds this worker's server and listens. SIGINT is left to the
 * primary (a terminal's Ctrl-C reaches the whole process group); a SIGTERM
 * sent to this worker alone shuts it down gracefully and it is not restarted.
 * A failure to start is reported to the primary and ends the process (exit 1).
 */
export async function runWorker(createServer: CreateWorkerServer, listen: ListenOptions, address: string, index: number, defaultGraceMs: number): Promise<Workers> {
  const hooks: Array<() => void | Promise<void>> = [];
  let server: Server;
  let bound: string;
  try {
    server = await createServer({ index, id: cluster.worker?.id ?? 0, onShutdown: (h) => void hooks.push(h) });
    bound = await server.listen(address, listen);
  } catch (err) {
    tell({ reactorRpcWorkers: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  let stopping: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = (graceMs = defaultGraceMs): Promise<void> => {
    stopping ??= (async () => {
      tell({ reactorRpcWorkers: 'leaving' });
      await server.shutdown(graceMs);
      for (const h of hooks) await h();
      resolveClosed();
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void close());
  process.on('message', (m: unknown) => {
    const pm = m as Partial<PrimaryMessage> | null;
    if (typeof pm === 'object' && pm !== null && pm.reactorRpcWorkers === 'shutdown') void close(typeof pm.graceMs === 'number' ? pm.graceMs : defaultGraceMs);
  });
  tell({ reactorRpcWorkers: 'listening', address: bound });
  return { isPrimary: false, address: bound, pids: () => [process.pid], close, closed };
}
