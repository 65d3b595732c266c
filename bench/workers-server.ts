/**
 * Workers benchmark server: `workers-server.ts <address> <single|N>` serves
 * bench.Echo/Echo (`async (req) => req`) in this process (`single`: a plain
 * Server, no cluster) or on N serveWorkers workers. The same file runs as
 * the primary and as each worker. The primary prints `listening <address>
 * <pid>,<pid>…` (itself first, then the workers: the processes whose CPU a
 * call costs) and stops every worker when its stdin closes.
 */
import { Server, serveWorkers } from '../src/index.js';
import { ECHO_SERVICE } from './ttrpc-api.js';

const [address = '', mode = 'single'] = process.argv.slice(2);
const create = (): Server => new Server().addService(ECHO_SERVICE, { Echo: async (req: Uint8Array) => req });

async function main(): Promise<void> {
  let bound: string;
  let pids: number[];
  let stop: () => Promise<void>;
  if (mode === 'single') {
    const server = create();
    bound = await server.listen(address);
    pids = [process.pid];
    stop = () => server.forceShutdown();
  } else {
    const workers = await serveWorkers(create, { address, workers: Number(mode), graceMs: 0 });
    if (!workers.isPrimary) return;
    bound = workers.address;
    pids = [process.pid, ...workers.pids()];
    stop = () => workers.close(0);
  }
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => void stop().finally(() => process.exit(0)));
  process.stdout.write(`listening ${bound} ${pids.join(',')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`workers-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
