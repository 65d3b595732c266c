/**
 * Raw request bytes for the pressure tests, for both protocols: a plain
 * node:net socket can then send any call shape, stop reading, or vanish at a
 * chosen point, and the replies are counted by the real decoders.
 */
import { encodeRequest, decodeResponse } from '../../src/protocol/ttrpc/envelope.js';
import { FrameDecoder as TtrpcDecoder } from '../../src/protocol/ttrpc/decoder.js';
import { Flags, MessageType, encodeFrame as ttrpcFrame } from '../../src/protocol/ttrpc/frame.js';
import { FrameDecoder as DrpcDecoder } from '../../src/protocol/drpc/frame-decoder.js';
import { PacketKind } from '../../src/protocol/drpc/frame.js';
import { concat, frameBytes } from './raw-drpc.js';

/** WireProtocol is the protocol a raw stream speaks. */
export type WireProtocol = 'ttrpc' | 'drpc' | 'drpc-mux';

/** RawStream writes the frames of one call on stream `id` (ttrpc ids odd, drpc ids from 1). */
export class RawStream {
  private messageId = 1;
  constructor(
    readonly protocol: WireProtocol,
    readonly id: number,
    private readonly method: string,
  ) {}

  /** open starts a call whose client streams (ttrpc Request with REMOTE_OPEN; drpc Invoke). */
  open(): Uint8Array {
    if (this.protocol === 'ttrpc') {
      const { service, method } = split(this.method);
      return ttrpcFrame(this.id, MessageType.Request, Flags.REMOTE_OPEN, encodeRequest({ service, method, payload: new Uint8Array(0), timeoutNano: 0, metadata: [] }), 1 << 30);
    }
    return frameBytes(PacketKind.Invoke, this.id, this.messageId++, this.method);
  }

  /** unary is a whole unary (or server-streaming) request: ttrpc Request; drpc Invoke, Message, CloseSend. */
  unary(payload: Uint8Array): Uint8Array {
    if (this.protocol === 'ttrpc') {
      const { service, method } = split(this.method);
      return ttrpcFrame(this.id, MessageType.Request, 0, encodeRequest({ service, method, payload, timeoutNano: 0, metadata: [] }), 1 << 30);
    }
    return concat(this.open(), this.message(payload), this.closeSend());
  }

  /** message is one client message. */
  message(payload: Uint8Array): Uint8Array {
    if (this.protocol === 'ttrpc') return ttrpcFrame(this.id, MessageType.Data, 0, payload, 1 << 30);
    return frameBytes(PacketKind.Message, this.id, this.messageId++, payload);
  }

  /** closeSend half-closes the client side. */
  closeSend(): Uint8Array {
    if (this.protocol === 'ttrpc') return ttrpcFrame(this.id, MessageType.Data, Flags.REMOTE_CLOSED | Flags.NO_DATA, new Uint8Array(0), 1 << 30);
    return frameBytes(PacketKind.CloseSend, this.id, this.messageId++);
  }
}

/** ReplyCounter decodes what a server sends and counts finished calls and streamed messages. */
export class ReplyCounter {
  /** ended counts calls that ended (ttrpc Response or closing Data; drpc CloseSend or Error). */
  ended = 0;
  /** failed counts ended calls whose status was not OK. */
  failed = 0;
  /** messages counts response messages (ttrpc Data with data; drpc Message). */
  messages = 0;
  /** bytes counts every byte received. */
  bytes = 0;
  private readonly push: (chunk: Uint8Array) => void;

  constructor(protocol: WireProtocol) {
    if (protocol === 'ttrpc') {
      const dec = new TtrpcDecoder({
        maxMessageLength: 1 << 30,
        onFrame: (f) => {
          if (f.type === MessageType.Response) {
            this.ended++;
            const st = decodeResponse(f.data).status;
            if (st && st.code !== 0) this.failed++;
          } else if (f.flags & Flags.REMOTE_CLOSED) this.ended++;
          else this.messages++;
        },
      });
      this.push = (c) => dec.push(c);
    } else {
      const dec = new DrpcDecoder({ maxFrameSize: 1 << 30 });
      this.push = (c) => {
        for (const f of dec.decode(c)) {
          if (!f.done) continue;
          if (f.kind === PacketKind.Message) this.messages++;
          else if (f.kind === PacketKind.CloseSend) this.ended++;
          else if (f.kind === PacketKind.Error) {
            this.ended++;
            this.failed++;
          }
        }
      };
    }
  }

  /** data takes one received chunk. */
  data(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    this.push(chunk);
  }
}

/** streamId is the n-th (from 0) client stream id of a protocol. */
export function streamId(protocol: WireProtocol, n: number): number {
  return protocol === 'ttrpc' ? 2 * n + 1 : n + 1;
}

function split(path: string): { service: string; method: string } {
  const i = path.lastIndexOf('/');
  return { service: path.slice(1, i), method: path.slice(i + 1) };
}
