// Every call ends exactly once, whenever its client vanishes: raw clients on
// unix sockets open a call and destroy their socket at each point of its life
// (before any message, after some, right after half-closing, while the server
// streams, while the server's finish is on its way). Every reactor the server
// started gets exactly one onDone, activeCalls returns to 0, and shutdown
// with a long grace returns at once, over ttrpc, drpc and multiplexed drpc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { type Socket, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from '../src/server/server.js';
import { callback } from '../src/services/handlers.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { ServerBidiReactor, ServerUnaryReactor, ServerWriteReactor } from '../reactors/server-reactors.js';
import { OK_STATUS, status } from '../src/status/status.js';
import { Code } from '../src/status/code.js';
import { ttrpc } from '../generated/interop.js';
import { PROTOCOLS } from './helpers/reactor-fixture.js';
import { RawStream, ReplyCounter, type WireProtocol } from './helpers/raw-wire.js';

type Payload = ttrpc.interop.v1.IPayload;
const v1 = ttrpc.interop.v1;

/** Tally counts reactors started and their onDone calls. */
class Tally {
  started = 0;
  done = 0;
  twice = 0;
}

class CountingEcho extends ServerBidiReactor<Payload, Payload> {
  private ended = false;
  constructor(private readonly tally: Tally) {
    super();
    tally.started++;
    this.startRead();
  }
  override onReadDone(ok: boolean, req: Payload | undefined): void {
    if (!ok) return this.finish(OK_STATUS);
    this.startWrite(req!);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.startRead();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
  override onDone(): void {
    if (this.ended) this.tally.twice++;
    this.ended = true;
    this.tally.done++;
  }
}

class CountingFlood extends ServerWriteReactor<Payload> {
  private sent = 0;
  private ended = false;
  private readonly chunk = new Uint8Array(64 * 1024).fill(1);
  constructor(private readonly tally: Tally, private readonly count: number) {
    super();
    tally.started++;
    this.next();
  }
  private next(): void {
    if (this.sent++ < this.count) this.startWrite({ data: this.chunk });
    else this.finish(OK_STATUS);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.next();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
  override onDone(): void {
    if (this.ended) this.tally.twice++;
    this.ended = true;
    this.tally.done++;
  }
}

/** CountingUnary finishes inside the handler, while the request's bytes are being read. */
class CountingUnary extends ServerUnaryReactor<Payload> {
  private ended = false;
  constructor(private readonly tally: Tally, req: Payload) {
    super();
    tally.started++;
    this.finish(OK_STATUS, { data: new Uint8Array(256 * 1024).fill(req.data?.[0] ?? 0) });
  }
  override onDone(): void {
    if (this.ended) this.tally.twice++;
    this.ended = true;
    this.tally.done++;
  }
}

async function serve(protocol: WireProtocol, tally: Tally): Promise<{ server: Server; path: string }> {
  const proto = PROTOCOLS.find((p) => p.name === protocol)!;
  const server = new Server(proto.server);
  server.addService(EchoService, {
    Echo: callback((_ctx, req: Payload) => new CountingUnary(tally, req)),
    Fail: async () => ({}),
    Metadata: async () => ({}),
    Sleep: async () => ({}),
    Big: async () => ({}),
  });
  server.addService(StreamingService, {
    ServerStream: callback((_ctx, req: ttrpc.interop.v1.IStreamRequest) => new CountingFlood(tally, req.count ?? 0)),
    ClientStream: callback(() => new CountingEcho(tally)),
    BidiEcho: callback(() => new CountingEcho(tally)),
  });
  const path = join(mkdtempSync(join(tmpdir(), 'rr-end-')), 's.sock');
  await server.listen(`unix://${path}`);
  return { server, path };
}

async function connect(path: string, replies: ReplyCounter): Promise<Socket> {
  const sock = createConnection(path);
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  sock.on('data', (c: Buffer) => replies.data(c));
  sock.on('error', () => undefined);
  return sock;
}

const msg = (text: string): Uint8Array => v1.Payload.encode({ data: new TextEncoder().encode(text) }).finish();

/** POINTS are the moments a client vanishes, each a script over one raw stream. */
const POINTS: Array<{ name: string; run(s: RawStream, sock: Socket, replies: ReplyCounter, protocol: WireProtocol): Promise<void> }> = [
  { name: 'in the same write as a unary request the handler finishes at once', async run(s, sock) { sock.write(s.unary(msg('u'))); } },
  { name: 'right after opening the call', async run(s, sock) { sock.write(s.open()); await sleep(20); } },
  { name: 'after two messages', async run(s, sock) { sock.write(Buffer.concat([s.open(), s.message(msg('a')), s.message(msg('b'))])); await sleep(20); } },
  { name: 'in the same write as its half-close', async run(s, sock) { sock.write(Buffer.concat([s.open(), s.message(msg('a')), s.closeSend()])); } },
  {
    name: 'right after half-closing, before the reply is read',
    async run(s, sock) {
      sock.write(Buffer.concat([s.open(), s.message(msg('a'))]));
      await sleep(10);
      sock.write(s.closeSend());
    },
  },
  {
    name: 'while the server streams (reply not read)',
    async run(s, sock, replies) {
      sock.write(s.unary(v1.StreamRequest.encode({ count: 2000 }).finish()));
      for (let i = 0; i < 200 && replies.messages < 3; i++) await sleep(5);
    },
  },
  {
    name: 'while the server finishes its stream',
    async run(s, sock, replies) {
      sock.write(s.unary(v1.StreamRequest.encode({ count: 20 }).finish()));
      for (let i = 0; i < 200 && replies.messages < 19; i++) await sleep(2);
    },
  },
];

for (const protocol of ['ttrpc', 'drpc', 'drpc-mux'] as const) {
  test(`${protocol}: a client that vanishes at any point of a call ends it exactly once`, async () => {
    const tally = new Tally();
    const { server, path } = await serve(protocol, tally);
    for (const point of POINTS) {
      // Eight calls per point, each on its own connection, all destroyed at that point.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const replies = new ReplyCounter(protocol);
          const sock = await connect(path, replies);
          const method = point.name.startsWith('while')
            ? '/ttrpc.interop.v1.Streaming/ServerStream'
            : point.name.includes('unary')
              ? '/ttrpc.interop.v1.Echo/Echo'
              : '/ttrpc.interop.v1.Streaming/BidiEcho';
          const s = new RawStream(protocol, 1, method);
          await point.run(s, sock, replies, protocol);
          sock.destroy();
        }),
      );
      for (let i = 0; i < 200 && (server.activeCalls > 0 || tally.done < tally.started); i++) await sleep(10);
      assert.is(tally.twice, 0, `${point.name}: onDone ran twice`);
      assert.is(tally.done, tally.started, `${point.name}: every started reactor reached onDone (${tally.done}/${tally.started})`);
      assert.is(server.activeCalls, 0, `${point.name}: activeCalls back to 0`);
    }
    assert.ok(tally.started >= 7 * 8 - 8, `reactors started: ${tally.started}`);
    const t0 = Date.now();
    await server.shutdown(10_000);
    assert.ok(Date.now() - t0 < 1000, `shutdown waited ${Date.now() - t0} ms for calls that had ended`);
  });
}

test.run();
