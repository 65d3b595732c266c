// Where `reactor-rpc call` gets its request messages: --data values (inline
// or @file) or stdin, one message per line, as JSON (with --proto) or as raw
// hex:/base64: bytes.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError, isInputError } from './input-error.js';

/** RequestCodec turns user text into request message bytes. */
export interface RequestCodec {
  /** fromText reads one --data value or stdin line; a JSON array gives one message per element. */
  fromText(text: string, origin: string): Uint8Array[];
  /** fromFile reads a --data @file. */
  fromFile(path: string): Uint8Array[];
  /** empty is the request sent when none is given (the default message). */
  empty(): Uint8Array;
}

function readText(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError(`cannot read --data @${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** rawCodec reads raw message bytes: hex:… or base64:… text, or a file's bytes as they are. */
export const rawCodec: RequestCodec = {
  fromText: (text, origin) => [parseRawBytes(text, origin)],
  fromFile: (path) => [Uint8Array.from(readText(path))],
  empty: () => new Uint8Array(0),
};

/** parseRawBytes reads `hex:…` or `base64:…` (raw mode, no .proto); throws InputError otherwise. */
export function parseRawBytes(text: string, origin: string): Uint8Array {
  const t = text.trim();
  if (t.startsWith('hex:')) {
    const h = t.slice(4).replace(/\s+/g, '');
    if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new InputError(`${origin}: invalid hex`);
    return Uint8Array.from(Buffer.from(h, 'hex'));
  }
  if (t.startsWith('base64:')) {
    const b = t.slice(7);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) throw new InputError(`${origin}: invalid base64`);
    return Uint8Array.from(Buffer.from(b, 'base64'));
  }
  throw new InputError(`${origin}: without --proto the data is raw bytes written hex:… or base64:…`);
}

/** toHex renders bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** fixedRequests reads every --data value; undefined when none was given. */
export function fixedRequests(codec: RequestCodec, data: readonly string[] | undefined): Uint8Array[] | undefined {
  if (!data || data.length === 0) return undefined;
  return data.flatMap((d, i) => (d.startsWith('@') ? codec.fromFile(d.slice(1)) : codec.fromText(d, data.length > 1 ? `--data #${i + 1}` : '--data')));
}

/** StdinRequests streams requests from stdin, one per non-empty line, and remembers the first bad line. */
export class StdinRequests implements AsyncIterable<Uint8Array> {
  /** error is the first line that could not be read as a message. */
  error: Error | undefined;
  private readonly lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });

  /** constructor reads with `codec`; `onError` runs once at the first bad line (the caller cancels its call). */
  constructor(
    private readonly codec: RequestCodec,
    private readonly onError: () => void,
  ) {}

  /** iterator yields each message as its line arrives. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let n = 0;
    for await (const line of this.lines) {
      n++;
      if (line.trim() === '') continue;
      let msgs: Uint8Array[];
      try {
        msgs = this.codec.fromText(line, `stdin line ${n}`);
      } catch (e) {
        this.error = isInputError(e) ? e : new InputError(String(e));
        this.onError();
        return;
      }
      yield* msgs;
    }
  }

  /** close stops reading stdin (so a finished call does not wait for more input). */
  close(): void {
    this.lines.close();
    process.stdin.destroy();
  }
}
