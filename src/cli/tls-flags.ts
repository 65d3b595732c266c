// --cert, --key and --ca: the TLS material of tls:// addresses on the command
// line (call, proxy, serve). Files are read when the connection or listener
// opens; the flags are refused when no address is tls://.
import { parseAddress } from '../transport/address.js';
import type { TlsOptions } from '../transport/tls-options.js';
import { type OptionTable, type ParsedArgs, UsageError, flag } from './args.js';

/** TLS_OPTIONS is the option table of the TLS flags. */
export const TLS_OPTIONS: OptionTable = { cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' } };

/** TLS_HELP is the help text of the TLS flags. */
export const TLS_HELP = `  --cert FILE            tls:// only: PEM certificate (a server's own; a
                         client's for mutual TLS), with --key
  --key FILE             tls:// only: PEM private key of --cert
  --ca FILE              tls:// only: PEM CA bundle; a client trusts it instead
                         of the system CAs, a server requires client
                         certificates signed by it (mutual TLS)
`;

/** isTls tells whether an address (in the library's syntax) is tls://. */
export function isTls(address: string): boolean {
  return parseAddress(address).kind === 'tls';
}

/** checkTlsFlags throws UsageError when TLS flags are given but none of the addresses is tls://, or --cert and --key come apart. */
export function checkTlsFlags(args: ParsedArgs, addresses: readonly string[]): void {
  const given = ['cert', 'key', 'ca'].filter((n) => args.flags.has(n));
  if (given.length > 0 && !addresses.some(isTls)) throw new UsageError(`--${given[0]} needs a tls:// address`);
  if (args.flags.has('cert') !== args.flags.has('key')) throw new UsageError('--cert and --key go together');
}

/** clientTlsOf returns the dial TLS options for a tls:// address (undefined otherwise): --ca trusted, --cert/--key presented. */
export function clientTlsOf(args: ParsedArgs, address: string): TlsOptions | undefined {
  if (!isTls(address)) return undefined;
  return { ca: flag(args, 'ca'), cert: flag(args, 'cert'), key: flag(args, 'key') };
}

/** serverTlsOf returns the listen TLS options for a tls:// address (undefined otherwise); --cert/--key are required, --ca turns mutual TLS on. */
export function serverTlsOf(args: ParsedArgs, address: string): TlsOptions | undefined {
  if (!isTls(address)) return undefined;
  const cert = flag(args, 'cert');
  const key = flag(args, 'key');
  if (cert === undefined || key === undefined) throw new UsageError(`listening on ${address} needs --cert and --key`);
  const ca = flag(args, 'ca');
  return ca === undefined ? { cert, key } : { cert, key, ca, requestCert: true };
}
