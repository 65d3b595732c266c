// Real servers for the reconnect and balancing tests: the interop Echo service
// on a unix socket or a 127.0.0.1 port, counting the calls each one served.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '../../src/server/server.js';
import type { ClientOptions } from '../../src/client/client.js';
import { EchoService } from '../../src/cli/interop/ttrpc-definitions.js';
import { addTtrpcInteropServices } from '../../src/cli/interop/ttrpc-reactor-service.js';
import type { MessageInterceptor } from '../../src/call/message-interceptors.js';
import { ttrpc } from '../../generated/interop.js';

/** Proto is a protocol a test runs over. */
export type Proto = 'ttrpc' | 'drpc-mux';

/** PROTOS are the protocols the tests cover. */
export const PROTOS: readonly Proto[] = ['ttrpc', 'drpc-mux'];

/** EndpointServer is one running server and the calls it served. */
export interface EndpointServer {
  readonly server: Server;
  readonly address: string;
  served: number;
  stop(): Promise<void>;
}

/** unixAddress returns a fresh unix socket address in a new temporary folder. */
export function unixAddress(name = 's.sock'): string {
  return `unix://${join(mkdtempSync(join(tmpdir(), 'rr-conn-')), name)}`;
}

/** startServer serves the interop Echo service over a protocol on an address (tcp://127.0.0.1:0 picks a port). */
export async function startServer(proto: Proto, address: string): Promise<EndpointServer> {
  const box = { served: 0 };
  const counting: MessageInterceptor = (next) => async (req) => {
    box.served++;
    return next(req);
  };
  const server = new Server(proto === 'ttrpc' ? { messageInterceptors: [counting] } : { protocol: 'drpc', multiplex: true, messageInterceptors: [counting] });
  addTtrpcInteropServices(server);
  const bound = await server.listen(address);
  return {
    server,
    address: bound,
    get served() {
      return box.served;
    },
    set served(v: number) {
      box.served = v;
    },
    stop: () => server.forceShutdown(),
  };
}

/** clientOptions are the client options of a protocol. */
export function clientOptions(proto: Proto): ClientOptions {
  return proto === 'ttrpc' ? {} : { protocol: 'drpc', multiplex: true };
}

/** ECHO is the unary method the tests call. */
export const ECHO = EchoService.methods.Echo;

/** msg builds an Echo request. */
export function msg(s: string): ttrpc.interop.v1.IPayload {
  return { data: new TextEncoder().encode(s) };
}
