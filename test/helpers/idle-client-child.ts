// A client process for the connection-hygiene test: connects to argv[2] with
// idleTimeoutMs = argv[3] (0: off), makes one call, prints `called`, and never
// closes its client: it exits by itself only if the connection goes away.
import { Client } from '../../src/index.js';
import { echo } from './hygiene-kit.js';

const [address, idle] = process.argv.slice(2);
const client = await Client.connect(address!, { idleTimeoutMs: Number(idle) });
console.log(`called ${await echo(client)}`);
