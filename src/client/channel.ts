// Channel: the ClientTransport of a client with reconnects, several endpoints
// or a dns: target. It keeps a Subchannel per endpoint, picks a ready one per
// call (pick_first or round_robin) and holds calls that wait for one.
import type { CallOptions, ClientCall, ClientTransport, MethodKind } from '../call/call.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';
import { Backoff, type ResolvedBackoff } from './backoff.js';
import { type ConnectivityState, StateWatchers } from './connectivity.js';
import { PendingCall, type PendingOwner } from './pending-call.js';
import { type ParsedTarget, type Resolver, toAddresses } from './resolver.js';
import { RetryingCall, type RetryOwner } from './retrying-call.js';
import { type EndpointDialer, Subchannel } from './subchannel.js';

/** LoadBalancingPolicy chooses the endpoint of each call: 'pick_first' (the first ready endpoint of the list) or 'round_robin' (every ready endpoint in turn). */
export type LoadBalancingPolicy = 'pick_first' | 'round_robin';

/** DEFAULT_MAX_PENDING_CALLS caps the calls waiting for a ready connection (1024); more fail RESOURCE_EXHAUSTED. */
export const DEFAULT_MAX_PENDING_CALLS = 1024;

/** ChannelCallOptions are CallOptions plus the call's waitForReady choice. @internal */
export interface ChannelCallOptions extends CallOptions {
  /** waitForReady overrides the channel's default for this call. */
  waitForReady?: boolean;
}

/** ChannelConfig is a channel's resolved configuration. @internal */
export interface ChannelConfig {
  readonly target: string;
  readonly parsed: ParsedTarget;
  readonly policy: LoadBalancingPolicy;
  readonly backoff: ResolvedBackoff;
  readonly dialTimeoutMs: number | undefined;
  readonly waitForReady: boolean;
  readonly maxPendingCalls: number;
  readonly resolver: Resolver;
  readonly resolveIntervalMs: number;
  readonly dialer: EndpointDialer;
}

/** Channel is a ClientTransport over subchannels; closed only by close(). @internal */
export class Channel implements ClientTransport, PendingOwner, RetryOwner {
  /** watchers holds the aggregate state and its listeners. */
  readonly watchers = new StateWatchers('idle');
  private subs: Subchannel[] = [];
  private readonly draining = new Set<Subchannel>();
  private nextPick = 0;
  private readonly pending = new Set<PendingCall>();
  private readonly closeCallbacks: Array<(error?: Error) => void> = [];
  private isClosed = false;
  private idling = false;
  private balancing = false;
  private again = false;
  private resolving = false;
  private resolved = false;
  private lastResolveAt = -Infinity;
  private resolveError: Error | undefined;
  private recentError: Error | undefined;
  private resolveTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly resolveBackoff: Backoff;

  /** constructor records the configuration; start() begins connecting. */
  constructor(private readonly config: ChannelConfig) {
    this.resolveBackoff = new Backoff(config.backoff);
  }

  /** start creates the subchannels (or starts resolving) and connects per the policy. */
  start(): void {
    const p = this.config.parsed;
    if (p.kind === 'static') return this.setAddresses(p.addresses);
    this.watchers.set('connecting');
    this.resolve();
    this.resolveTimer = setInterval(() => this.resolve(), this.config.resolveIntervalMs);
    this.resolveTimer.unref();
  }

  /** state is the aggregate connectivity state. */
  get state(): ConnectivityState {
    return this.watchers.state;
  }

  /** closed is true once close() ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** addresses lists the current endpoints. */
  get addresses(): string[] {
    return this.subs.map((s) => s.address);
  }

  /** onClose registers a callback run once when close() ran. */
  onClose(cb: (error?: Error) => void): void {
    if (this.isClosed) queueMicrotask(() => cb());
    else this.closeCallbacks.push(cb);
  }

  /** createCall opens the call on a ready endpoint, or returns a call that waits for one (or fails UNAVAILABLE at once). */
  createCall(method: string, kind: MethodKind, options: ChannelCallOptions): ClientCall {
    return this.open(method, kind, options, true);
  }

  /** retryCall opens the one transparent retry of a call that wrote nothing before its connection failed (RetryOwner). */
  retryCall(method: string, kind: MethodKind, options: ChannelCallOptions): ClientCall {
    return this.open(method, kind, options, false);
  }

  /** open is createCall; `retry` wraps a call that goes to an endpoint in a RetryingCall. */
  private open(method: string, kind: MethodKind, options: ChannelCallOptions, retry: boolean): ClientCall {
    const sub = this.pick();
    if (sub !== undefined) {
      const c = sub.transport!.createCall(method, kind, options);
      return retry ? new RetryingCall(c, this, method, kind, options) : c;
    }
    const wfr = options.waitForReady ?? this.config.waitForReady;
    const p = new PendingCall(method, kind, options, wfr, this, this.config.target, retry ? this : undefined);
    if (this.isClosed) p.fail(status(Code.UNAVAILABLE, 'client is closed'));
    else if (!wfr && this.state === 'transient_failure') p.fail(this.failure());
    else if (this.pending.size >= this.config.maxPendingCalls) {
      p.fail(status(Code.RESOURCE_EXHAUSTED, `${this.config.maxPendingCalls} calls already wait for a ready connection to ${this.config.target} (maxPendingCalls)`));
    } else {
      this.pending.add(p);
      if (this.idling) this.exitIdle();
    }
    return p;
  }

  /** forget drops a pending call that ended while waiting (PendingOwner). */
  forget(call: PendingCall): void {
    this.pending.delete(call);
  }

  /** goIdle closes every connection; the next call connects again. */
  goIdle(): void {
    if (this.isClosed || this.pending.size > 0) return;
    this.idling = true;
    for (const s of this.subs) s.goIdle();
    this.balance();
  }

  /** close shuts every endpoint down: waiting calls and calls in flight fail UNAVAILABLE. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.resolveTimer);
    clearTimeout(this.retryTimer);
    for (const p of [...this.pending]) p.fail(status(Code.UNAVAILABLE, 'client is closed'));
    for (const s of [...this.subs, ...this.draining]) s.shutdown();
    this.subs = [];
    this.draining.clear();
    this.watchers.set('shutdown');
    for (const cb of this.closeCallbacks.splice(0)) cb();
  }

  /** lastError is the newest endpoint failure (a dial, a lost connection), or the resolution's when there is no endpoint. */
  get lastError(): Error | undefined {
    return this.subs.length === 0 ? (this.resolveError ?? this.recentError) : (this.recentError ?? this.resolveError);
  }

  private pick(): Subchannel | undefined {
    const subs = this.subs;
    const n = subs.length;
    if (this.config.policy === 'pick_first') {
      for (let i = 0; i < n; i++) if (subs[i]!.ready) return subs[i];
      return undefined;
    }
    for (let k = 0; k < n; k++) {
      const i = (this.nextPick + k) % n;
      if (subs[i]!.ready) {
        this.nextPick = (i + 1) % n;
        return subs[i];
      }
    }
    return undefined;
  }

  /** failure is the UNAVAILABLE status of a call that finds no ready endpoint, naming the target and the last error. */
  failure(): Status {
    const e = this.lastError;
    const why = e instanceof RpcError ? e.rawMessage : e?.message;
    return status(Code.UNAVAILABLE, `no ready connection to ${this.config.target}${why ? `: ${why}` : ''}`);
  }

  private exitIdle(): void {
    this.idling = false;
    this.balance();
  }

  private readonly changed = (sub: Subchannel, failed: boolean): void => {
    if (this.isClosed) return;
    if (this.draining.has(sub)) return;
    if (failed) {
      this.recentError = sub.lastError ?? this.recentError;
      this.resolveSoon();
    }
    this.balance();
  };

  /** balance activates endpoints per the policy, sets the aggregate state and serves or fails waiting calls. */
  private balance(): void {
    if (this.balancing) return void (this.again = true);
    this.balancing = true;
    try {
      do {
        this.again = false;
        this.activate();
      } while (this.again);
    } finally {
      this.balancing = false;
    }
    const st = this.aggregate();
    this.watchers.set(st);
    if (st === 'ready') {
      for (const p of this.pending) {
        const s = this.pick();
        if (s === undefined) break;
        this.pending.delete(p);
        p.dispatch(s.transport!);
      }
    } else if (st === 'transient_failure') {
      const s = this.failure();
      for (const p of [...this.pending]) if (!p.waitForReady) p.fail(s);
    }
  }

  private activate(): void {
    if (this.idling) return;
    if (this.config.policy === 'round_robin') {
      for (const s of this.subs) s.activate();
      return;
    }
    let found = false;
    for (const s of this.subs) {
      if (!found) {
        s.activate();
        if (s.state !== 'transient_failure') found = true;
      } else if (!s.ready) s.deactivate();
    }
  }

  private aggregate(): ConnectivityState {
    if (this.isClosed) return 'shutdown';
    let connecting = false;
    let failing = false;
    for (const s of this.subs) {
      if (s.ready) return 'ready';
      if (s.state === 'connecting') connecting = true;
      else if (s.state === 'transient_failure') failing = true;
    }
    if (connecting) return 'connecting';
    if (failing || (this.subs.length === 0 && this.resolved)) return 'transient_failure';
    if (this.subs.length === 0) return 'connecting';
    return 'idle';
  }

  private setAddresses(addresses: readonly string[]): void {
    const old = new Map(this.subs.map((s) => [s.address, s]));
    const opts = { ...this.config.backoff, dialTimeoutMs: this.config.dialTimeoutMs };
    this.subs = addresses.map((a) => {
      const s = old.get(a);
      old.delete(a);
      return s ?? new Subchannel(a, this.config.dialer, opts, this.changed);
    });
    for (const s of old.values()) {
      this.draining.add(s);
      s.drain(() => this.draining.delete(s));
    }
    this.balance();
  }

  /** resolveSoon resolves a dns: target again after a failure, at most once a second (or once per resolveIntervalMs when shorter). */
  private resolveSoon(): void {
    if (performance.now() - this.lastResolveAt >= Math.min(1000, this.config.resolveIntervalMs)) this.resolve();
  }

  private resolve(): void {
    const p = this.config.parsed;
    if (p.kind !== 'dns' || this.resolving || this.isClosed) return;
    this.resolving = true;
    this.lastResolveAt = performance.now();
    const target = this.config.target;
    this.config.resolver(p.host).then(
      (list) => {
        this.resolving = false;
        if (this.isClosed) return;
        const addresses = toAddresses(list, p.port, target);
        if (addresses.length === 0) throw new RpcError(Code.UNAVAILABLE, `resolve ${target}: no addresses`);
        this.resolved = true;
        this.resolveError = undefined;
        this.resolveBackoff.reset();
        this.setAddresses(addresses);
      },
    ).catch((e: unknown) => {
      this.resolving = false;
      if (this.isClosed) return;
      this.resolved = true;
      this.resolveError = e instanceof RpcError ? e : new RpcError(Code.UNAVAILABLE, `resolve ${target}: ${(e as Error)?.message ?? String(e)}`);
      if (this.subs.length > 0) return;
      this.balance();
      this.retryTimer = setTimeout(() => this.resolve(), this.resolveBackoff.next());
      this.retryTimer.unref();
    });
  }
}
