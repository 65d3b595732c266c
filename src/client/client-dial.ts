// How Client.connect turns a target and options into a call-layer transport:
// one connection (the default for one address), or a Channel of reconnecting
// endpoints (address lists, dns: targets, or any of the reconnect options).
import type { ClientTransport } from '../call/call.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import { type BackoffOptions, resolveBackoff } from './backoff.js';
import { Channel, DEFAULT_MAX_PENDING_CALLS, type LoadBalancingPolicy } from './channel.js';
import { connectDrpc, connectTtrpc } from './connect.js';
import type { ClientOptions } from './client-options.js';
import { DEFAULT_RESOLVE_INTERVAL_MS, type Resolver, parseTarget, systemResolver } from './resolver.js';

/** ReconnectOptions configure reconnecting clients (any of them, an address list or a dns: target turns reconnecting on). */
export interface ReconnectOptions {
  /** reconnect dials a lost connection again, with backoff (default: false for one address, true for a list or dns:). */
  reconnect?: boolean;
  /** backoff tunes the delays between connection attempts (gRPC defaults: 1 s, ×1.6, max 120 s, ±20 %, min connect timeout 20 s). */
  backoff?: BackoffOptions;
  /** waitForReady is the calls' default: wait for a ready connection up to the deadline instead of failing UNAVAILABLE; connect() then resolves without waiting for the first connection. */
  waitForReady?: boolean;
  /** lazy makes connect() resolve at once, the first connection still being made (calls wait for it while it is being made). */
  lazy?: boolean;
  /** loadBalancingPolicy picks the endpoint of each call: 'pick_first' (default) or 'round_robin'. */
  loadBalancingPolicy?: LoadBalancingPolicy;
  /** resolver looks up a dns: target's host (default: the system resolver). */
  resolver?: Resolver;
  /** resolveIntervalMs is how often a dns: target is resolved again (default 30 000; also after a connection failure, at most once a second). */
  resolveIntervalMs?: number;
  /** maxPendingCalls caps the calls waiting for a ready connection (default 1024; more fail RESOURCE_EXHAUSTED). */
  maxPendingCalls?: number;
}

/** DialSettings are the ClientOptions a connection is dialled with. @internal */
export type DialSettings = ReconnectOptions &
  Pick<ClientOptions, 'ttrpc' | 'dialTimeoutMs' | 'protocol' | 'multiplex' | 'pool' | 'drpc' | 'closeGraceMs' | 'keepAliveMs' | 'tls' | 'idleTimeoutMs'>;

/** ClientTarget is what Client.connect dials: an address, a list of addresses, dns:///host:port, or a PipeListener. */
export type ClientTarget = string | readonly string[] | PipeListener;

/** wantsChannel tells whether a target and options ask for a reconnecting Channel. @internal */
export function wantsChannel(target: ClientTarget, o: DialSettings): boolean {
  if (Array.isArray(target) || (typeof target === 'string' && target.startsWith('dns:'))) return true;
  return o.reconnect === true || o.backoff !== undefined || o.waitForReady !== undefined || o.lazy !== undefined || o.loadBalancingPolicy !== undefined || o.maxPendingCalls !== undefined;
}

/** dialTransport dials one connection (or a drpc pool) to a target, as Client.connect always did. @internal */
export function dialTransport(target: string | PipeListener, options: DialSettings, timeoutMs = options.dialTimeoutMs, signal?: AbortSignal): Promise<ClientTransport> {
  const { keepAliveMs, tls, idleTimeoutMs = 0 } = options;
  const pooled = options.protocol === 'drpc' && !options.multiplex && options.pool !== false;
  let pool = options.pool;
  if (pooled && idleTimeoutMs > 0 && idleTimeoutMs !== Infinity) {
    const own = typeof pool === 'object' ? pool : {};
    pool = { ...own, idleTimeoutMs: own.idleTimeoutMs ?? idleTimeoutMs };
  }
  return options.protocol === 'drpc'
    ? connectDrpc(target, { multiplex: options.multiplex, pool, drpc: options.drpc, timeoutMs, signal, closeGraceMs: options.closeGraceMs, keepAliveMs, tls })
    : connectTtrpc(target, { ttrpc: options.ttrpc, timeoutMs, signal, closeGraceMs: options.closeGraceMs, keepAliveMs, tls });
}

/** targetName renders a target for messages and peers. @internal */
export function targetName(target: ClientTarget): string {
  return typeof target === 'string' ? target : Array.isArray(target) ? target.join(',') : (target as PipeListener).address;
}

/** openChannel checks the target and options (RpcError INVALID_ARGUMENT, RangeError) and starts a Channel. @internal */
export function openChannel(target: ClientTarget, options: DialSettings): Channel {
  if (typeof target !== 'string' && !Array.isArray(target)) throw new RangeError('reconnect options take an address string, a list or a dns: target, not a PipeListener object (use its pipe: address)');
  const parsed = parseTarget(target as string | readonly string[]);
  const { resolveIntervalMs = DEFAULT_RESOLVE_INTERVAL_MS, maxPendingCalls = DEFAULT_MAX_PENDING_CALLS, loadBalancingPolicy = 'pick_first' } = options;
  if (!(resolveIntervalMs > 0 && Number.isFinite(resolveIntervalMs))) throw new RangeError('resolveIntervalMs must be a positive finite number');
  if (!(Number.isSafeInteger(maxPendingCalls) && maxPendingCalls >= 0)) throw new RangeError('maxPendingCalls must be an integer >= 0');
  if (loadBalancingPolicy !== 'pick_first' && loadBalancingPolicy !== 'round_robin') throw new RangeError(`unknown loadBalancingPolicy ${JSON.stringify(loadBalancingPolicy)} (pick_first, round_robin)`);
  const channel = new Channel({
    target: targetName(target),
    parsed,
    policy: loadBalancingPolicy,
    backoff: resolveBackoff(options.backoff),
    dialTimeoutMs: options.dialTimeoutMs,
    waitForReady: options.waitForReady ?? false,
    maxPendingCalls,
    resolver: options.resolver ?? systemResolver,
    resolveIntervalMs,
    dialer: (address, timeoutMs, signal) => dialTransport(address, options, timeoutMs, signal),
  });
  channel.start();
  return channel;
}

/** firstConnection resolves once the channel is ready, or rejects (and closes it) when every endpoint failed its first attempt. @internal */
export function firstConnection(channel: Channel, single: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let off: (() => void) | undefined;
    const check = (s: string): boolean => {
      if (s === 'ready') resolve();
      else if (s === 'transient_failure' || s === 'shutdown') {
        const e = channel.lastError;
        const err = single && e instanceof RpcError ? e : new RpcError(Code.UNAVAILABLE, channel.failure().message, [], undefined, { cause: e });
        channel.close();
        reject(err);
      } else return false;
      off?.();
      return true;
    };
    if (!check(channel.state)) off = channel.watchers.add(check);
  });
}
