/** ConnHandler receives what a connection delivers; set once through Conn.start(). */
export interface ConnHandler {
  /** onData receives one chunk of bytes, in order. The chunk is owned by the handler. */
  onData(chunk: Uint8Array): void;
  /** onClose runs once when the connection is gone (error set when it failed rather than ended). */
  onClose(error?: Error): void;
  /** onDrain runs when a write buffer that was over its high-water mark has emptied. */
  onDrain?(): void;
  /**
   * readTarget, when the transport can read in place (dialed TCP and unix
   * sockets), is asked before each read for where the next bytes should
   * land: a region of a buffer the handler owns, or undefined for the
   * transport's own. A read into the region arrives through onData as a view
   * of the region's start.
   */
  readTarget?(): Uint8Array | undefined;
}

/** PeerCertificate is the identity a TLS peer proved with its certificate. */
export interface PeerCertificate {
  /** commonName is the certificate subject's CN ('' when it has none). */
  readonly commonName: string;
  /** subjectAltNames lists the SANs as OpenSSL prints them, e.g. 'DNS:localhost', 'IP Address:127.0.0.1'. */
  readonly subjectAltNames: readonly string[];
  /** fingerprint256 is the SHA-256 fingerprint of the certificate (colon-separated hex). */
  readonly fingerprint256: string;
  /** authorized is true when the certificate verified against the trusted CAs (false only with rejectUnauthorized off). */
  readonly authorized: boolean;
}

/** ConnKind names the transport beneath a connection. */
export type ConnKind = 'tcp' | 'unix' | 'pipe';

/**
 * Conn is the minimal connection contract every transport implements: a duplex
 * of byte chunks. Bytes are delivered asynchronously: a write never re-enters
 * the writer through the peer's handler.
 */
export interface Conn {
  /** kind names the transport. */
  readonly kind: ConnKind;
  /** localAddress is this end's address in reactor-rpc address syntax. */
  readonly localAddress: string;
  /** remoteAddress is the peer's address in reactor-rpc address syntax. */
  readonly remoteAddress: string;
  /** closed is true once the connection is gone. */
  readonly closed: boolean;
  /** peerCertificate is the certificate identity of a TLS peer; undefined on other transports or when the peer sent none. */
  readonly peerCertificate?: PeerCertificate;
  /** start begins delivering data and close events to the handler; call it once. */
  start(handler: ConnHandler): void;
  /** write queues bytes; returns false when buffered bytes exceed the high-water mark (wait for onDrain). */
  write(data: Uint8Array): boolean;
  /** writev queues several chunks as one write. */
  writev(chunks: readonly Uint8Array[]): boolean;
  /** bufferedWriteBytes is the number of written bytes the transport still holds (not yet taken by the peer or the kernel). */
  readonly bufferedWriteBytes: number;
  /** whenBelow runs `cb` once, on a later tick, when the written bytes the transport holds drop below `bytes` (replacing an earlier watch); optional. */
  whenBelow?(bytes: number, cb: () => void): void;
  /** whenWritten runs `cb` once, on a later tick, when the transport has handed every byte written before the call to the kernel (not at all if the connection fails first); watches run in order; optional. */
  whenWritten?(cb: () => void): void;
  /** pause stops delivering data (the peer then meets the transport's own backpressure); idempotent. */
  pause(): void;
  /** resume delivers data again after pause(); idempotent. */
  resume(): void;
  /** close flushes queued writes, then closes both directions. */
  close(): void;
  /** destroy closes at once, dropping queued writes. */
  destroy(error?: Error): void;
}

/** Listener accepts connections; it is what a Server listens on. */
export interface Listener {
  /** address is the listener's address in reactor-rpc address syntax (port resolved). */
  readonly address: string;
  /** onConnection sets the one callback that receives accepted connections. */
  onConnection(cb: (conn: Conn) => void): void;
  /** close stops accepting; connections already open are left alone. */
  close(): Promise<void>;
}
