// Targets of a client: one address, a static list, or dns:///host:port
// (resolved to addresses, again on a period and after connection failures).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { parseAddress } from '../transport/address.js';

/** Resolver returns the addresses of a host name: IP addresses (used with the target's port over TCP) or full reactor-rpc addresses (tcp://, unix://, …, used as they are). */
export type Resolver = (host: string) => Promise<string[]>;

/** DEFAULT_RESOLVE_INTERVAL_MS is how often a dns: target is resolved again (30 s). */
export const DEFAULT_RESOLVE_INTERVAL_MS = 30_000;

/** ParsedTarget is a client target: fixed addresses, or a name to resolve. @internal */
export type ParsedTarget = { readonly kind: 'static'; readonly addresses: readonly string[] } | { readonly kind: 'dns'; readonly host: string; readonly port: number };

/** isDnsTarget tells whether a target string names a dns: target. */
export function isDnsTarget(target: string): boolean {
  return target.startsWith('dns:');
}

/** parseTarget checks a target (each address parses; dns:///host:port or dns:host:port); throws RpcError INVALID_ARGUMENT naming it. @internal */
export function parseTarget(target: string | readonly string[]): ParsedTarget {
  if (typeof target !== 'string') {
    if (target.length === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'invalid target: the address list is empty');
    for (const a of target) if (isDnsTarget(a)) throw new RpcError(Code.INVALID_ARGUMENT, `invalid target ${JSON.stringify(a)}: a dns: target cannot be part of a list`);
    for (const a of target) parseAddress(a);
    return { kind: 'static', addresses: [...target] };
  }
  if (!isDnsTarget(target)) {
    parseAddress(target);
    return { kind: 'static', addresses: [target] };
  }
  let rest = target.slice(4);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    if (slash !== 2) throw new RpcError(Code.INVALID_ARGUMENT, `invalid target ${JSON.stringify(target)}: a DNS authority is not supported, use dns:///host:port`);
    rest = rest.slice(3);
  }
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(rest);
  if (!m || Number(m[2]) > 65535) throw new RpcError(Code.INVALID_ARGUMENT, `invalid target ${JSON.stringify(target)}: expected dns:///host:port`);
  return { kind: 'dns', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** systemResolver looks a name up with the system resolver (node:dns lookup, A and AAAA records and the hosts file). */
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** toAddresses turns a resolver's answer into addresses: an IP becomes tcp://ip:port, anything else must be a full address. @internal */
export function toAddresses(resolved: readonly string[], port: number, target: string): string[] {
  const out: string[] = [];
  for (const r of resolved) {
    const v = isIP(r);
    const a = v === 6 ? `tcp://[${r}]:${port}` : v === 4 ? `tcp://${r}:${port}` : r;
    try {
      parseAddress(a);
    } catch (e) {
      throw new RpcError(Code.UNAVAILABLE, `resolve ${target}: bad address ${JSON.stringify(r)} (${(e as Error).message})`);
    }
    if (!out.includes(a)) out.push(a);
  }
  return out;
}
