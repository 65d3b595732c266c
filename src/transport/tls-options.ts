import { readFileSync } from 'node:fs';
import type { ConnectionOptions, PeerCertificate as NodePeerCertificate, TLSSocket, TlsOptions as NodeTlsServerOptions } from 'node:tls';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import type { PeerCertificate } from './conn.js';

/** TlsMaterial is a PEM given inline (a Buffer, or a string holding `-----BEGIN`) or the path of a PEM file. */
export type TlsMaterial = string | Uint8Array;

/**
 * TlsOptions configure TLS on a tls:// address, for dial (client) and listen
 * (server). `cert`, `key` and `ca` take PEM text or a file path, read when the
 * connection or listener is opened. Client defaults verify the server
 * (rejectUnauthorized true, system CAs unless `ca` is set); a server needs
 * `cert` and `key`, and with `requestCert` verifies client certificates
 * against `ca` (mutual TLS).
 */
export interface TlsOptions {
  /** cert is this end's certificate chain (PEM or path): required on a server, for mutual TLS on a client. */
  cert?: TlsMaterial;
  /** key is the private key of `cert` (PEM or path). */
  key?: TlsMaterial;
  /** ca replaces the system's trusted CAs (PEM or path, or several). */
  ca?: TlsMaterial | readonly TlsMaterial[];
  /** servername (client) is the name the server's certificate must match and the SNI sent (default: the address's host). */
  servername?: string;
  /** requestCert (server) asks clients for a certificate; with rejectUnauthorized (default) a client without a valid one is refused. */
  requestCert?: boolean;
  /** rejectUnauthorized (default true) refuses a peer whose certificate does not verify. */
  rejectUnauthorized?: boolean;
}

/** TLS_HANDSHAKE_TIMEOUT_MS bounds a server-side handshake: a client that connects and stays silent is dropped after it. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

/** tlsClientOptions builds node:tls connect options (files read now); throws RpcError INVALID_ARGUMENT naming a file that cannot be read. */
export function tlsClientOptions(where: string, o: TlsOptions, host: string, port: number): ConnectionOptions {
  return {
    host,
    port,
    cert: material(where, 'cert', o.cert),
    key: material(where, 'key', o.key),
    ca: materials(where, o.ca),
    ...(o.servername !== undefined ? { servername: o.servername } : {}),
    rejectUnauthorized: o.rejectUnauthorized ?? true,
  };
}

/** tlsServerOptions builds node:tls server options (files read now); throws RpcError INVALID_ARGUMENT without cert and key or for an unreadable file. */
export function tlsServerOptions(where: string, o: TlsOptions | undefined): NodeTlsServerOptions {
  if (o?.cert === undefined || o.key === undefined) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: a tls:// listener needs the tls options cert and key`);
  }
  return {
    cert: material(where, 'cert', o.cert),
    key: material(where, 'key', o.key),
    ca: materials(where, o.ca),
    requestCert: o.requestCert ?? false,
    rejectUnauthorized: o.rejectUnauthorized ?? true,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  };
}

/** tlsFailure describes a failed handshake: the error's text and its OpenSSL/Node code. */
export function tlsFailure(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

/** peerCertificateOf reads the identity a TLS socket's peer presented; undefined when it presented no certificate. */
export function peerCertificateOf(s: TLSSocket): PeerCertificate | undefined {
  const c: NodePeerCertificate | Record<string, never> = s.getPeerCertificate();
  if (c === null || !('fingerprint256' in c) || c.fingerprint256 === undefined) return undefined;
  const cn = c.subject?.CN;
  return {
    commonName: Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? ''),
    subjectAltNames: c.subjectaltname ? c.subjectaltname.split(', ') : [],
    fingerprint256: c.fingerprint256,
    authorized: s.authorized,
  };
}

function materials(where: string, v: TlsMaterial | readonly TlsMaterial[] | undefined): Array<string | Buffer> | undefined {
  if (v === undefined) return undefined;
  const list: readonly TlsMaterial[] = typeof v === 'string' || v instanceof Uint8Array ? [v] : v;
  return list.map((m) => material(where, 'ca', m)!);
}

function material(where: string, name: string, v: TlsMaterial | undefined): string | Buffer | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v.includes('-----BEGIN')) return v;
  try {
    return readFileSync(v);
  } catch (err) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: cannot read tls ${name} file ${v}: ${(err as Error).message}`, [], undefined, { cause: err });
  }
}
