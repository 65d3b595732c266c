import type { GatedQueue, ReadGate } from './read-gate.js';

/** MessageSink receives what a ReceiveQueue releases: a message, or null once at the end. */
export interface MessageSink {
  /** deliverMessage is called once per released message (null: end of stream). */
  deliverMessage(message: Uint8Array | null): void;
  /** receiveStalled is told when the queue stayed full without a read for the gate's stall timeout: the owner fails the stream (RESOURCE_EXHAUSTED). */
  receiveStalled?(): void;
}

/** MESSAGE_OVERHEAD is what a queued message costs beyond its bytes, charged to the connection's budget (so empty messages are not free). */
const MESSAGE_OVERHEAD = 64;

// The shared empty item list; never pushed to (push() allocates a list first).
const NO_ITEMS: Uint8Array[] = [];

/**
 * ReceiveQueue holds the messages a peer sent that the consumer has not asked
 * for yet. Delivery is pull-based: `request(n)` grants credits and each
 * credit releases one message, or `null` once after `end()` (end of stream).
 * Neither ttrpc nor drpc has flow control on the wire, so the queue is
 * bounded. With a ReadGate (how sessions use it) the bound is backpressure:
 * a push that makes the queue reach `maxMessages` or `maxBytes` marks it full
 * and the gate stops reading the connection until the consumer has read the
 * queue down to half; only a queue that stays full without a read for the
 * gate's stall timeout is failed (the sink's receiveStalled). Without a gate
 * `push` returns false once a bound would be exceeded.
 */
export class ReceiveQueue implements GatedQueue {
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
  private full = false;
  /** progressAt is when the consumer last took a message while the queue was full (GatedQueue). */
  progressAt = 0;

  /** constructor takes where messages go (a callback, or a MessageSink: no closure per queue), the bounds and the connection's gate. */
  constructor(
    deliver: ((message: Uint8Array | null) => void) | MessageSink,
    private readonly maxMessages: number,
    private readonly maxBytes: number,
    private gate?: ReadGate,
  ) {
    this.sink = typeof deliver === 'function' ? { deliverMessage: deliver } : deliver;
  }

  /** stallTimeoutMs is the stall timeout of the connection the queue reports to (0 without one). */
  get stallTimeoutMs(): number {
    return this.gate?.stallTimeoutMs ?? 0;
  }

  /** isFull tells whether the queue reached a bound and holds its connection's reading. */
  get isFull(): boolean {
    return this.full;
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

  /**
   * push adds a message (delivered at once if a credit is free). With a gate
   * it always queues and returns true; without one, false means the bound
   * was exceeded and nothing was queued.
   */
  push(message: Uint8Array): boolean {
    if (this.ended || this.dropping) return true;
    if (this.credits > 0 && this.length === 0 && !this.delivering) {
      this.credits--;
      this.sink.deliverMessage(message);
      return true;
    }
    const gate = this.gate;
    if (gate === undefined && (this.length + 1 > this.maxMessages || this.bytes + message.byteLength > this.maxBytes)) return false;
    // A literal holds exactly one element; push() on an empty list would reserve room for 17.
    if (this.items === NO_ITEMS) this.items = [message];
    else this.items.push(message);
    this.bytes += message.byteLength;
    if (gate !== undefined) {
      gate.added(message.byteLength + MESSAGE_OVERHEAD);
      if (!this.full && (this.length >= this.maxMessages || this.bytes >= this.maxBytes)) {
        this.full = true;
        this.progressAt = Date.now();
        gate.queueFull(this);
      }
    }
    this.pump();
    return true;
  }

  /** stall implements GatedQueue: the sink's owner fails the stream. @internal */
  stall(): void {
    if (this.sink.receiveStalled) this.sink.receiveStalled();
    else this.drop();
  }

  /** attach accounts this queue to a connection's gate from now on (a call bound to its connection after it was created). */
  attach(gate: ReadGate): void {
    if (this.gate !== undefined || this.dropping) return;
    this.gate = gate;
    if (this.length > 0) gate.added(this.bytes + this.length * MESSAGE_OVERHEAD);
  }

  /** detach stops accounting this queue to its connection (the stream left the connection; unread messages stay readable). */
  detach(): void {
    const gate = this.gate;
    if (gate === undefined) return;
    this.gate = undefined;
    gate.removed(this.bytes + this.length * MESSAGE_OVERHEAD);
    if (this.full) {
      this.full = false;
      gate.queueSpace(this);
    }
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
    this.detach();
    this.items = NO_ITEMS;
    this.head = 0;
    this.bytes = 0;
  }

  /** took accounts one message taken by the consumer: the connection's budget, and a full queue read down to half. */
  private took(n: number): void {
    const gate = this.gate!;
    gate.removed(n + MESSAGE_OVERHEAD);
    if (!this.full) return;
    this.progressAt = Date.now();
    if (this.length <= this.maxMessages >> 1 && this.bytes <= this.maxBytes / 2) {
      this.full = false;
      gate.queueSpace(this);
    }
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
          } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
            // A consumer that never quite catches up: drop the taken slots so the list stays bounded.
            this.items = this.items.slice(this.head);
            this.head = 0;
          }
          if (this.gate !== undefined) this.took(m.byteLength);
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

