// ReconnectingUpstream: the upstream connection of a long-running proxy,
// dialled on first use and dialled again after it was lost.
import { Client, type ClientOptions } from '../client/client.js';
import type { PipeListener } from '../transport/pipe-listener.js';

/**
 * ReconnectingUpstream holds one upstream Client and replaces it once its
 * connection closed or a dial failed, so a proxy survives an upstream
 * restart: calls in flight when the connection dies fail (UNAVAILABLE), the
 * next call dials again. Pass `upstream.get` to createProxy.
 */
export class ReconnectingUpstream {
  private client: Client | undefined;
  private pending: Promise<Client> | undefined;
  private closed = false;

  /** constructor records the target; nothing is dialled before the first get(). */
  constructor(
    private readonly target: string | PipeListener,
    private readonly options: ClientOptions = {},
  ) {}

  /** get returns the connected client (synchronously once connected) or a promise of a new connection; rejects with RpcError UNAVAILABLE when dialling fails. */
  readonly get = (): Client | Promise<Client> => {
    if (this.closed) return Promise.reject(new Error('upstream is closed'));
    if (this.client) return this.client;
    this.pending ??= Client.connect(this.target, this.options).then(
      (c) => {
        this.pending = undefined;
        if (this.closed) {
          void c.close().catch(() => undefined);
          throw new Error('upstream is closed');
        }
        this.client = c;
        c.onClose(() => {
          if (this.client === c) this.client = undefined;
        });
        return c;
      },
      (e: unknown) => {
        this.pending = undefined;
        throw e;
      },
    );
    return this.pending;
  };

  /** close closes the current connection (open calls end with UNAVAILABLE); later get() calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}
