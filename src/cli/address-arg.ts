// Addresses typed on the command line: the library's syntax (tcp://, unix://,
// unix-abstract:, pipe:) plus the bare host:port most RPC tools take, which
// means TCP.
import { RpcError } from '../status/rpc-error.js';
import { formatAddress, parseAddress } from '../transport/address.js';
import { UsageError } from './args.js';

/** ADDRESS_FORMS lists the address spellings the command line accepts. */
export const ADDRESS_FORMS = 'host:port, tcp://host:port, tls://host:port, unix:///path, unix-abstract:name';

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
