import type { Metadata } from '../metadata/metadata.js';
import type { Status } from '../status/status.js';

/** MethodKind is the streaming shape of a method. */
export type MethodKind = 'unary' | 'server_stream' | 'client_stream' | 'bidi';

/** clientStreams tells whether the client side of a shape sends a stream. */
export function clientStreams(kind: MethodKind): boolean {
  return kind === 'client_stream' || kind === 'bidi';
}

/** serverStreams tells whether the server side of a shape sends a stream. */
export function serverStreams(kind: MethodKind): boolean {
  return kind === 'server_stream' || kind === 'bidi';
}

/** SendOptions qualify one outgoing message. */
export interface SendOptions {
  /** last marks the final message of this side (client: close-send follows; server: nothing more is sent). */
  last?: boolean;
}

/** SEND_LAST is the shared `{ last: true }` of per-call paths (no options object per call); callees only read it. */
export const SEND_LAST: SendOptions = Object.freeze({ last: true });

/** SEND_MORE is the shared `{ last: false }` (a message that is not the last). */
export const SEND_MORE: SendOptions = Object.freeze({ last: false });

/**
 * CallListener receives the events of one call, in order. The session calls
 * these synchronously as frames arrive; the scheduler layer above queues them
 * for the user's reactions.
 */
export interface CallListener {
  /**
   * onMessage answers one request() credit: a message, or null once when the
   * peer will send no more (end of its stream).
   */
  onMessage(message: Uint8Array | null): void;
  /** onWritable acknowledges one send() (ok=false: the message could not be sent), in send order. */
  onWritable(ok: boolean): void;
  /**
   * onStatus reports the call's final status, exactly once. On a client it
   * arrives as soon as the status is known: messages the peer sent before it
   * stay readable through request() (a local failure — cancel, deadline, lost
   * connection, overflow — drops them). On a server it arrives once the
   * terminal frame was written after finish().
   */
  onStatus(status: Status): void;
  /** onCancelled (server side) tells that the call was cancelled by the peer, the deadline or a lost connection. */
  onCancelled?(): void;
}

/** CallBase is what both ends of a call share. */
export interface CallBase {
  /** method is the full method name `/package.Service/Method`. */
  readonly method: string;
  /** kind is the method's streaming shape. */
  readonly kind: MethodKind;
  /** start attaches the listener and lets events flow; call it once. */
  start(listener: CallListener): void;
  /** request asks for up to n more messages (pull-based: nothing is delivered unrequested). */
  request(n: number): void;
  /** send queues one message. */
  send(message: Uint8Array, options?: SendOptions): void;
}

/** ClientCall is the client's end of one call. */
export interface ClientCall extends CallBase {
  /** skipUnread drops queued and future messages (for a consumer that stops reading). */
  skipUnread(): void;
  /** unread is the number of received messages not yet delivered (still readable after onStatus). */
  readonly unread: number;
  /** closeSend tells the server no more messages follow (no-op for a unary request already sent). */
  closeSend(): void;
  /** cancel abandons the call; onStatus follows with the given status (CANCELLED by default). */
  cancel(status?: Status): void;
}

/** PeerCertificate is the identity a TLS client proved with its certificate (the transport's PeerCertificate; the call layer does not import the transport). @inline */
export interface PeerCertificate {
  /** commonName is the certificate subject's CN ('' when it has none). */
  readonly commonName: string;
  /** subjectAltNames lists the SANs as OpenSSL prints them, e.g. 'DNS:localhost', 'IP Address:127.0.0.1'. */
  readonly subjectAltNames: readonly string[];
  /** fingerprint256 is the SHA-256 fingerprint of the certificate (colon-separated hex). */
  readonly fingerprint256: string;
  /** authorized is true when the certificate verified against the server's trusted CAs. */
  readonly authorized: boolean;
}

/** ServerCall is the server's end of one call. */
export interface ServerCall extends CallBase {
  /** metadata holds the request metadata. */
  readonly metadata: Metadata;
  /** deadline is the absolute deadline in ms since the epoch (Date.now() scale), or undefined. */
  readonly deadline: number | undefined;
  /** peer is the remote address of the connection. */
  readonly peer: string;
  /** peerCertificate is the client's TLS certificate identity; undefined without TLS or without a client certificate. */
  readonly peerCertificate?: PeerCertificate;
  /** cancelled is true once the call was cancelled. */
  readonly cancelled: boolean;
  /** finish ends the call with a status; a final message may ride along where the protocol allows it. */
  finish(status: Status): void;
}

/** CallOptions are per-call client options. */
export interface CallOptions {
  /** metadata to send with the request. */
  metadata?: Metadata;
  /** deadline, absolute, in ms since the epoch. */
  deadline?: number;
}

/** ClientTransport opens calls on one connection or pool. */
export interface ClientTransport {
  /** createCall opens a new call; nothing is written before start() (a call past its deadline writes nothing at all). */
  createCall(method: string, kind: MethodKind, options: CallOptions): ClientCall;
  /** close ends the transport; open calls fail with UNAVAILABLE. */
  close(): void;
  /** closed is true once the transport is unusable. */
  readonly closed: boolean;
  /** onClose registers a callback run once when the transport closes. */
  onClose(cb: (error?: Error) => void): void;
}

/** ServerCallHandler receives new server calls from a session and tells the session which methods exist. */
export interface CallRouter {
  /**
   * lookup returns the kind of a registered method, or an error status
   * (UNIMPLEMENTED) for an unknown one. `hint` is the shape the wire suggests
   * (ttrpc request flags), used for methods routed to a generic handler.
   */
  lookup(service: string, method: string, hint?: MethodKind): MethodKind | Status;
  /** handle receives a new call for a method that lookup accepted. */
  handle(call: ServerCall): void;
}
