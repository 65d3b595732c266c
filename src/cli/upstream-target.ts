// The upstream of `reactor-rpc proxy --to`: one address keeps the proxy's
// ReconnectingUpstream; a list or a dns: target is one reconnecting Client
// over every endpoint (pick_first), connected lazily so the proxy starts
// before its upstream does.
import { Client, type ClientOptions } from '../client/client.js';
import { isDnsTarget } from '../client/resolver.js';
import { ReconnectingUpstream } from '../proxy/index.js';

/** Upstream is what the proxy forwards to: a client source (for createProxy) that can be closed. */
export interface Upstream {
  /** get returns the client for a call. */
  readonly get: () => Client | Promise<Client>;
  /** close closes the upstream connection(s). */
  close(): Promise<void>;
}

/** upstreamOf builds the upstream of a --to target read by cliTarget. */
export function upstreamOf(to: string | readonly string[], options: ClientOptions): Upstream {
  if (typeof to === 'string' && !isDnsTarget(to)) return new ReconnectingUpstream(to, options);
  let client: Client | undefined;
  const connecting = Client.connect(to, { ...options, lazy: true }).then((c) => (client = c));
  connecting.catch(() => undefined);
  return {
    get: () => client ?? connecting,
    close: async () => {
      const c = await connecting.catch(() => undefined);
      await c?.close().catch(() => undefined);
    },
  };
}
