// Addresses typed on the command line: the library's syntax (tcp://, unix://,
// unix-abstract:, pipe:) plus the bare host:port most RPC tools take, which
// means TCP.
import { RpcError } from '../status/rpc-error.js';
import { formatAddress, parseAddress } from '../transport/address.js';
import { isDnsTarget, parseTarget } from '../client/resolver.js';
import { UsageError } from './args.js';

/** ADDRESS_FORMS lists the address spellings the command line accepts. */
export const ADDRESS_FORMS = 'host:port, tcp://host:port, tls://host:port, unix:///path, unix-abstract:name';

/** TARGET_FORMS lists what a server to call may be: an address, dns:///host:port, or a comma-separated list of addresses. */
export const TARGET_FORMS = `${ADDRESS_FORMS}, dns:///host:port, or a comma-separated list of addresses`;

/** cliTarget reads a server to call: one address (as cliAddress), dns:///host:port (as given), or a comma-separated list (an array of addresses); throws UsageError otherwise. */
export function cliTarget(what: string, target: string | undefined): string | string[] {
  if (!target) throw new UsageError(`${what} is required (${TARGET_FORMS})`);
  if (isDnsTarget(target)) {
    try {
      parseTarget(target);
    } catch (e) {
      throw invalid(what, e);
    }
    return target;
  }
  if (!target.includes(',')) return cliAddress(what, target);
  const parts = target.split(',').map((a) => a.trim());
  if (parts.some((a) => a === '')) throw new UsageError(`${what}: empty address in the list "${target}"`);
  if (parts.some(isDnsTarget)) throw new UsageError(`${what}: a dns: target cannot be part of a list`);
  return parts.map((a) => cliAddress(what, a));
}

/** targetAddresses lists the addresses of a target read by cliTarget (a dns: target as it is). */
export function targetAddresses(target: string | readonly string[]): readonly string[] {
  return typeof target === 'string' ? [target] : target;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** cliAddress returns the address in the library's syntax: as given when it parses, tcp://host:port for a bare host:port; throws UsageError otherwise. */
export function cliAddress(what: string, address: string | undefined): string {
  if (!address) throw new UsageError(`${what} is required (${ADDRESS_FORMS})`);
  try {
    parseAddress(address);
    return address;
  } catch (e) {
    if (!HOST_PORT.test(address)) throw invalid(what, e);
  }
  try {
    parseAddress(`tcp://${address}`);
    return `tcp://${address}`;
  } catch (e) {
    throw invalid(what, e);
  }
}

function invalid(what: string, e: unknown): UsageError {
  return new UsageError(`${what}: ${e instanceof RpcError ? e.rawMessage : (e as Error).message}`);
}

/** displayAddress renders an address the way reactor-rpc prints addresses (tcp://127.0.0.1:80), or as given when it does not parse. */
export function displayAddress(address: string): string {
  try {
    return formatAddress(parseAddress(address));
  } catch {
    return address;
  }
}
