/** MessageSink receives what a ReceiveQueue releases: a message, or null once at the end. */
export interface MessageSink {
  /** deliverMessage is called once per released message (null: end of stream). */
  deliverMessage(message: Uint8Array | null): void;
}

// The shared empty item list; never pushed to (push() allocates a list first).
const NO_ITEMS: Uint8Array[] = [];

/**
 * ReceiveQueue holds the messages a peer sent that the consumer has not asked
 * for yet. Delivery is pull-based: `request(n)` grants credits and each
 * credit releases one message, or `null` once after `end()` (end of stream).
 * Neither ttrpc nor upstream drpc has flow control on the wire, so the queue
 * is bounded: `push` returns false once `maxMessages` or `maxBytes` would be
 * exceeded, and the owner then fails that one stream (RESOURCE_EXHAUSTED)
 * instead of buffering without limit.
 */
export class ReceiveQueue {
  private readonly sink: MessageSink;
  // Allocated on the first message that has to wait (most unary calls never queue one).
  private items: Uint8Array[] = NO_ITEMS;
  private head = 0;
  private bytes = 0;
  private credits = 0;
  private delivering = false;
  private ended = false;
  private endDelivered = false;
  private dropping = false;

  /** constructor takes where messages go (a callback, or a MessageSink: no closure per queue) and the bounds. */
  constructor(
    deliver: ((message: Uint8Array | null) => void) | MessageSink,
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {
    this.sink = typeof deliver === 'function' ? { deliverMessage: deliver } : deliver;
  }

  /** length is the number of queued, undelivered messages. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** queuedBytes is the number of bytes held by undelivered messages. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** isEnded tells whether end() was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** push adds a message (delivered at once if a credit is free); false means the bound was exceeded and nothing was queued. */
  push(message: Uint8Array): boolean {
    if (this.ended || this.dropping) return true;
    if (this.credits > 0 && this.length === 0 && !this.delivering) {
      this.credits--;
      this.sink.deliverMessage(message);
      return true;
    }
    if (this.length + 1 > this.maxMessages || this.bytes + message.byteLength > this.maxBytes) return false;
    // A literal holds exactly one element; push() on an empty list would reserve room for 17.
    if (this.items === NO_ITEMS) this.items = [message];
    else this.items.push(message);
    this.bytes += message.byteLength;
    this.pump();
    return true;
  }

  /** end marks the end of the stream: after the queued messages, one credit receives null. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pump();
  }

  /** request grants n more credits and delivers what is queued. */
  request(n: number): void {
    if (this.endDelivered) return;
    this.credits += n;
    this.pump();
  }

  /** drop discards queued messages and ignores future pushes. */
  drop(): void {
    this.dropping = true;
    this.items = NO_ITEMS;
    this.head = 0;
    this.bytes = 0;
  }

  private pump(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.credits > 0) {
        if (this.head < this.items.length) {
          const m = this.items[this.head]!;
          this.items[this.head++] = EMPTY;
          this.bytes -= m.byteLength;
          if (this.head === this.items.length) {
            this.items = NO_ITEMS;
            this.head = 0;
          }
          this.credits--;
          this.sink.deliverMessage(m);
        } else if (this.ended && !this.endDelivered) {
          this.endDelivered = true;
          this.credits = 0;
          this.sink.deliverMessage(null);
        } else break;
      }
    } finally {
      this.delivering = false;
    }
  }
}

const EMPTY = new Uint8Array(0);
