// One raw-bytes call of any shape, driven by a single client reactor: the
// requests come from an (async) iterable, each response is handed over as it
// is read, and the call resolves with its final status.
import { ClientBidiReactor } from '../../reactors/client-reactors.js';
import type { MethodKind } from '../call/call.js';
import { rawMethod } from '../call/method.js';
import type { Client, ClientCallOptions } from '../client/client.js';
import type { Status } from '../status/status.js';

/**
 * RawCallReactor writes the requests one at a time and reads every response.
 * A hold keeps onDone back until the responses were all read, so none is lost
 * when the status arrives while one is still being handled.
 */
class RawCallReactor extends ClientBidiReactor<Uint8Array, Uint8Array> {
  private done = false;
  private held = true;
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;

  constructor(
    requests: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    private readonly streamsIn: boolean,
    private readonly onResponse: (message: Uint8Array) => boolean,
    private readonly resolve: (s: Status) => void,
  ) {
    super();
    this.iterator = Symbol.asyncIterator in requests ? requests[Symbol.asyncIterator]() : requests[Symbol.iterator]();
  }

  /** begin starts reading responses and writing requests. */
  begin(): void {
    this.startRead();
    void this.writeNext();
  }

  private async writeNext(): Promise<void> {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await this.iterator.next();
    } catch {
      if (!this.done) this.tryCancel();
      return;
    }
    if (this.done) return;
    try {
      if (next.done) {
        if (this.streamsIn) this.startWritesDone();
        else this.tryCancel(); // a unary or server-streaming call always gets its request from the command line
      } else if (this.streamsIn) this.startWrite(next.value);
      else this.startWriteLast(next.value);
    } catch {
      // The call ended while the next request was awaited (its onDone is queued): nothing left to write.
    }
  }

  override onWriteDone(ok: boolean): void {
    if (ok && this.streamsIn) void this.writeNext();
  }

  override onReadDone(ok: boolean, response: Uint8Array | undefined): void {
    if (ok && this.onResponse(response!)) return this.startRead();
    // The end of the responses, or the caller refused one (the call is abandoned): onDone may come.
    if (ok) this.tryCancel();
    if (this.held) {
      this.held = false;
      this.removeHold();
    }
  }

  override onDone(s: Status): void {
    this.done = true;
    void this.iterator.return?.();
    this.resolve(s);
  }
}

/** rawCall makes one call of any shape with raw message bytes; onResponse returns false to abandon the call. Resolves with the final status (never rejects for a failed call). */
export function rawCall(
  client: Client,
  path: string,
  kind: MethodKind,
  requests: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ClientCallOptions,
  onResponse: (message: Uint8Array) => boolean,
): Promise<Status> {
  return new Promise((resolve) => {
    const r = new RawCallReactor(requests, kind === 'client_stream' || kind === 'bidi', onResponse, resolve);
    client.bindBidi(rawMethod(path, kind), r, options);
    r.addHold();
    r.startCall();
    r.begin();
  });
}
