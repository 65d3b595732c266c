// createProxy: a generic handler that forwards every call it receives to an
// upstream server, whatever the method, the shape or the two protocols.
import type { MethodKind } from '../call/call.js';
import type { Client } from '../client/client.js';
import type { GenericHandler } from '../server/server.js';
import { ProxyCall, type ProxyCallLog } from './proxy-call.js';

/** UpstreamSource is the upstream client, or a function giving the client to use for each call (e.g. ReconnectingUpstream.get). */
export type UpstreamSource = Client | (() => Client | Promise<Client>);

/** ProxyOptions configure createProxy. */
export interface ProxyOptions {
  /**
   * kindOf names a method's streaming shape when the downstream wire does
   * not tell it (drpc carries no shape; ttrpc reports client-streaming calls
   * as bidi). Undefined falls back to what the downstream call reports.
   */
  kindOf?: (method: string) => MethodKind | undefined;
  /** log runs once per call after it ended (method, duration, status, bytes). */
  log?: (entry: ProxyCallLog) => void;
}

/**
 * createProxy returns a handler for Server.addGenericService that forwards
 * every call upstream: all four shapes, request metadata and deadline
 * forwarded, downstream cancellation propagated, the upstream status (OK or
 * not) passed back unchanged. Mount it on a server of either protocol and
 * give it a client of either protocol.
 */
export function createProxy(upstream: UpstreamSource, options: ProxyOptions = {}): GenericHandler {
  const { kindOf, log } = options;
  return (ctx) => {
    const kind = kindOf?.(ctx.method) ?? ctx.kind;
    let client: Client | Promise<Client>;
    try {
      client = typeof upstream === 'function' ? upstream() : upstream;
    } catch (e) {
      client = Promise.reject(e);
    }
    return new ProxyCall(ctx, kind, client, log);
  };
}
