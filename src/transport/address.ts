import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';

/**
 * Address is a parsed reactor-rpc address:
 *   tcp://host:port, tcp://[v6]:port    TCP (port 0 asks the system for a free port)
 *   tls://host:port, tls://[v6]:port    TLS over TCP (see TlsOptions)
 *   unix:///abs/path, unix:/abs/path   unix socket file (unix:rel/path is relative)
 *   unix-abstract:name                 Linux abstract unix socket (no file)
 *   pipe:name                          in-memory pipe of this process
 */
export type Address =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'tls'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'unix-abstract'; readonly name: string }
  | { readonly kind: 'pipe'; readonly name: string };

/** parseAddress parses an address string; throws RpcError INVALID_ARGUMENT when it is malformed. */
export function parseAddress(s: string): Address {
  const colon = s.indexOf(':');
  if (colon <= 0) throw invalid(s, 'missing scheme (tcp://, tls://, unix://, unix-abstract:, pipe:)');
  if (s.includes('\0')) throw invalid(s, 'contains a NUL byte');
  const scheme = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  switch (scheme) {
    case 'tcp':
    case 'tls':
      return parseHostPort(s, scheme, rest);
    case 'unix':
      return parseUnix(s, rest);
    case 'unix-abstract':
      if (rest === '') throw invalid(s, 'empty abstract socket name');
      return { kind: 'unix-abstract', name: rest };
    case 'pipe':
      if (rest === '') throw invalid(s, 'empty pipe name');
      return { kind: 'pipe', name: rest };
    default:
      throw invalid(s, `unknown scheme "${scheme}"`);
  }
}

/** formatAddress renders an address in the syntax parseAddress reads. */
export function formatAddress(a: Address): string {
  switch (a.kind) {
    case 'tcp':
    case 'tls':
      return a.host.includes(':') ? `${a.kind}://[${a.host}]:${a.port}` : `${a.kind}://${a.host}:${a.port}`;
    case 'unix':
      return a.path.startsWith('/') ? `unix://${a.path}` : `unix:${a.path}`;
    case 'unix-abstract':
      return `unix-abstract:${a.name}`;
    case 'pipe':
      return `pipe:${a.name}`;
  }
}

function parseHostPort(s: string, scheme: 'tcp' | 'tls', rest: string): Address {
  if (!rest.startsWith('//')) throw invalid(s, `expected ${scheme}://host:port`);
  const hp = rest.slice(2);
  let host: string;
  let port: string;
  if (hp.startsWith('[')) {
    const end = hp.indexOf(']');
    if (end < 0) throw invalid(s, 'unclosed "[" in host');
    host = hp.slice(1, end);
    if (!host.includes(':')) throw invalid(s, 'only IPv6 hosts go in brackets');
    if (hp[end + 1] !== ':') throw invalid(s, 'missing port');
    port = hp.slice(end + 2);
  } else {
    const i = hp.lastIndexOf(':');
    if (i < 0) throw invalid(s, 'missing port');
    host = hp.slice(0, i);
    if (host.includes(':')) throw invalid(s, `an IPv6 host must be in brackets, as in ${scheme}://[::1]:port`);
    port = hp.slice(i + 1);
  }
  if (host === '') throw invalid(s, 'missing host');
  if (/[\s/@?#[\]]/.test(host)) throw invalid(s, `bad host "${host}"`);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw invalid(s, `port must be a number from 0 to 65535, got "${port}"`);
  return { kind: scheme, host, port: Number(port) };
}

function parseUnix(s: string, rest: string): Address {
  let path = rest;
  if (rest.startsWith('//')) {
    path = rest.slice(2);
    if (!path.startsWith('/')) throw invalid(s, 'unix:// must be followed by an absolute path, as in unix:///run/x.sock');
  }
  if (path === '') throw invalid(s, 'empty socket path');
  return { kind: 'unix', path };
}

function invalid(s: string, why: string): RpcError {
  return new RpcError(Code.INVALID_ARGUMENT, `invalid address ${JSON.stringify(s)}: ${why}`);
}
