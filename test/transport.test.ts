import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import type { Conn, ConnHandler, Listener } from '../src/transport/conn.js';
import { type Address, formatAddress, parseAddress } from '../src/transport/address.js';
import { dial, listen } from '../src/transport/dial.js';
import { PipeListener } from '../src/transport/pipe-listener.js';

const dir = mkdtempSync(join(tmpdir(), 'rr-transport-'));
let seq = 0;

interface Transport {
  name: string;
  address(): string;
  nowhere(): Promise<string>;
}

const transports: Transport[] = [
  { name: 'pipe', address: () => `pipe:t${++seq}`, nowhere: async () => `pipe:nobody-${++seq}` },
  { name: 'unix', address: () => `unix://${join(dir, `s${++seq}.sock`)}`, nowhere: async () => `unix://${join(dir, 'missing.sock')}` },
  {
    name: 'unix-abstract',
    address: () => `unix-abstract:rr-test-${process.pid}-${++seq}`,
    nowhere: async () => `unix-abstract:rr-test-${process.pid}-nobody`,
  },
  {
    name: 'tcp',
    address: () => 'tcp://127.0.0.1:0',
    nowhere: async () => {
      const l = await listen('tcp://127.0.0.1:0');
      await l.close();
      return l.address;
    },
  },
];

interface Sink {
  chunks: Uint8Array[];
  bytes(): Buffer;
  size: number;
  closes: number;
  closed: Promise<Error | undefined>;
}

/** sink starts a conn and records what it receives; onData may add behaviour. */
function sink(conn: Conn, extra: Partial<ConnHandler> = {}): Sink {
  let done!: (e: Error | undefined) => void;
  const s: Sink = {
    chunks: [],
    size: 0,
    closes: 0,
    bytes: () => Buffer.concat(s.chunks),
    closed: new Promise((r) => (done = r)),
  };
  conn.start({
    onData(c) {
      assert.ok(c instanceof Uint8Array);
      s.chunks.push(c);
      s.size += c.byteLength;
      extra.onData?.(c);
    },
    onClose(e) {
      s.closes++;
      done(e);
    },
    onDrain: () => extra.onDrain?.(),
  });
  return s;
}

async function connect(t: Transport): Promise<{ listener: Listener; client: Conn; server: Conn }> {
  const listener = await listen(t.address());
  const accepted = new Promise<Conn>((r) => listener.onConnection(r));
  const client = await dial(listener.address);
  const server = await accepted;
  return { listener, client, server };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const turns = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rejects(p: Promise<unknown>, code: Code, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, RpcError);
    assert.is((err as RpcError).code, code, (err as Error).message);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
}

for (const t of transports) {
  test(`${t.name}: echo of many chunks keeps byte order`, async () => {
    const { listener, client, server } = await connect(t);
    sink(server, { onData: (c) => server.write(c) });
    const back = sink(client);
    const sent: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const c = pattern(1 + ((i * 7919) % 3000), i);
      sent.push(c);
      if (i % 3 === 0) client.writev([c.subarray(0, c.length >> 1), c.subarray(c.length >> 1)]);
      else if (i % 3 === 1) client.writev(Array.from({ length: Math.ceil(c.length / 16) }, (_, k) => c.subarray(k * 16, k * 16 + 16)));
      else client.write(c);
    }
    client.close();
    assert.is(await back.closed, undefined);
    assert.ok(back.bytes().equals(Buffer.concat(sent)));
    assert.is(back.closes, 1);
    assert.ok(client.closed);
    await listener.close();
  });

  test(`${t.name}: 8 MiB transfer with backpressure`, async () => {
    const { listener, client, server } = await connect(t);
    const got = sink(server);
    const data = pattern(8 << 20, 7);
    let off = 0;
    const pump = (): void => {
      while (off < data.length) {
        const ok = client.write(data.subarray(off, off + 65536));
        off += 65536;
        if (!ok) return;
      }
      client.close();
    };
    const mine = sink(client, { onDrain: pump });
    pump();
    assert.is(await got.closed, undefined);
    assert.is(got.size, data.length);
    assert.ok(got.bytes().equals(data));
    assert.is(await mine.closed, undefined);
    await listener.close();
  });

  test(`${t.name}: close() flushes queued bytes before ending`, async () => {
    const { listener, client, server } = await connect(t);
    const mine = sink(client);
    const big = pattern(3 << 20, 1);
    client.write(big);
    client.writev([pattern(10, 2), pattern(20, 3)]);
    client.close();
    assert.is(client.write(pattern(5, 4)), false, 'writes after close are refused');
    const got = sink(server);
    assert.is(await got.closed, undefined);
    assert.ok(got.bytes().equals(Buffer.concat([big, pattern(10, 2), pattern(20, 3)])));
    assert.is(await mine.closed, undefined);
    assert.ok(server.closed && client.closed);
    await listener.close();
  });

  test(`${t.name}: destroy gives onClose on both sides, exactly once`, async () => {
    const { listener, client, server } = await connect(t);
    const theirs = sink(server);
    const mine = sink(client);
    client.write(pattern(1000, 1));
    const boom = new Error('boom');
    client.destroy(boom);
    assert.ok(client.closed);
    assert.is(await mine.closed, boom);
    await theirs.closed;
    assert.ok(server.closed);
    client.destroy();
    server.destroy();
    await turns();
    assert.is(mine.closes, 1);
    assert.is(theirs.closes, 1);
    await listener.close();
  });

  test(`${t.name}: a peer reset while writing is reported through onClose, not thrown`, async () => {
    const { listener, client, server } = await connect(t);
    const mine = sink(client);
    const chunk = pattern(65536, 5);
    while (client.write(chunk));
    server.destroy();
    sink(server);
    const err = await mine.closed;
    assert.ok(err === undefined || err instanceof Error);
    for (let i = 0; i < 10; i++) client.write(chunk);
    await turns();
    assert.is(mine.closes, 1);
    assert.ok(client.closed);
    await listener.close();
  });

  test(`${t.name}: a throwing handler destroys the connection with its error`, async () => {
    const { listener, client, server } = await connect(t);
    const bad = new Error('handler bug');
    const theirs = sink(server, {
      onData: () => {
        throw bad;
      },
    });
    const mine = sink(client);
    client.write(Buffer.from('x'));
    assert.is(await theirs.closed, bad);
    await mine.closed;
    await listener.close();
  });

  test(`${t.name}: data written before start() is delivered after it`, async () => {
    const { listener, client, server } = await connect(t);
    client.write(Buffer.from('hello '));
    client.writev([Buffer.from('wor'), Buffer.from('ld')]);
    await turns();
    const got = sink(server, { onData: () => got.size === 11 && server.close() });
    sink(client);
    assert.is(await got.closed, undefined);
    assert.is(got.bytes().toString(), 'hello world');
    await listener.close();
  });

  test(`${t.name}: a write never re-enters the peer's handler`, async () => {
    const { listener, client, server } = await connect(t);
    let inServerWrite = false;
    let inClientWrite = false;
    let reentered = false;
    sink(server, {
      onData(c) {
        if (inClientWrite) reentered = true;
        inServerWrite = true;
        server.write(c);
        inServerWrite = false;
      },
    });
    let total = 0;
    const back = sink(client, {
      onData(c) {
        if (inServerWrite) reentered = true;
        total += c.byteLength;
        if (total < 100) {
          inClientWrite = true;
          client.write(Buffer.from([1]));
          inClientWrite = false;
        } else {
          client.close();
        }
      },
    });
    inClientWrite = true;
    client.write(Buffer.from([0]));
    inClientWrite = false;
    await back.closed;
    assert.is(total, 100);
    assert.not.ok(reentered);
    await listener.close();
  });

  test(`${t.name}: write returns false for a slow reader, then onDrain fires`, async () => {
    const { listener, client, server } = await connect(t);
    let drained!: () => void;
    const drain = new Promise<void>((r) => (drained = r));
    sink(client, { onDrain: () => drained() });
    let written = 0;
    const chunk = pattern(65536, 9);
    while (client.write(chunk)) {
      written += chunk.length;
      assert.ok(written < 256 << 20, 'write never returned false');
    }
    written += chunk.length;
    await turns();
    const got = sink(server);
    await drain;
    client.close();
    assert.is(await got.closed, undefined);
    assert.is(got.size, written);
    await listener.close();
  });

  test(`${t.name}: closing the listener refuses dials, open connections keep working`, async () => {
    const { listener, client, server } = await connect(t);
    sink(server, { onData: (c) => server.write(c) });
    let echoed = 0;
    const back = sink(client, { onData: (c) => (echoed += c.byteLength) === 3 && client.close() });
    await listener.close();
    await rejects(dial(listener.address, { timeoutMs: 5000 }), Code.UNAVAILABLE, /closed|ECONNREFUSED|ENOENT/);
    if (listener instanceof PipeListener) await rejects(dial(listener), Code.UNAVAILABLE, /listener is closed/);
    if (t.name === 'unix') assert.not.ok(existsSync(listener.address.slice('unix://'.length)), 'socket file removed');
    client.write(Buffer.from('abc'));
    assert.is(await back.closed, undefined);
    assert.is(back.bytes().toString(), 'abc');
  });

  test(`${t.name}: dial to nowhere fails with UNAVAILABLE`, async () => {
    const target = await t.nowhere();
    await rejects(dial(target), Code.UNAVAILABLE, /^UNAVAILABLE: dial /);
  });
}

test('tcp listener resolves port 0 and reports addresses', async () => {
  const { listener, client, server } = await connect(transports[3]!);
  const a = parseAddress(listener.address);
  assert.ok(a.kind === 'tcp' && a.host === '127.0.0.1' && a.port > 0, listener.address);
  assert.is(client.remoteAddress, listener.address);
  assert.is(server.localAddress, listener.address);
  assert.is(server.remoteAddress, client.localAddress);
  assert.is(client.kind, 'tcp');
  client.destroy();
  server.destroy();
  await listener.close();
});

test('pipe: names are unique, taken names are refused, dial honours an aborted signal', async () => {
  const a = new PipeListener();
  const b = new PipeListener();
  assert.is.not(a.address, b.address);
  assert.throws(() => new PipeListener({ name: a.name }), /already in use/);
  await rejects(listen(a.address), Code.UNAVAILABLE, /already in use/);
  await rejects(dial(a, { signal: AbortSignal.abort() }), Code.CANCELLED, /CANCELLED/);
  await rejects(dial('tcp://127.0.0.1:1', { signal: AbortSignal.abort() }), Code.CANCELLED, /dial/);
  assert.is(await listen(a), a);
  await a.close();
  await b.close();
});

const valid: [string, Address, string?][] = [
  ['tcp://127.0.0.1:8080', { kind: 'tcp', host: '127.0.0.1', port: 8080 }],
  ['tcp://localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }],
  ['tcp://[::1]:65535', { kind: 'tcp', host: '::1', port: 65535 }],
  ['tcp://[fe80::1%eth0]:1', { kind: 'tcp', host: 'fe80::1%eth0', port: 1 }],
  ['unix:///run/x.sock', { kind: 'unix', path: '/run/x.sock' }],
  ['unix:/run/x.sock', { kind: 'unix', path: '/run/x.sock' }, 'unix:///run/x.sock'],
  ['unix:rel/x.sock', { kind: 'unix', path: 'rel/x.sock' }],
  ['unix-abstract:my-name', { kind: 'unix-abstract', name: 'my-name' }],
  ['pipe:bench', { kind: 'pipe', name: 'bench' }],
];
const invalid: [string, RegExp][] = [
  ['', /missing scheme/],
  ['localhost:80', /unknown scheme "localhost"/],
  ['http://x:1', /unknown scheme/],
  ['tcp:host:1', /expected tcp:\/\/host:port/],
  ['tcp://host', /missing port/],
  ['tcp://:80', /missing host/],
  ['tcp://host:', /port must be/],
  ['tcp://host:65536', /port must be/],
  ['tcp://host:-1', /port must be/],
  ['tcp://host:80/path', /port must be/],
  ['tcp://::1:80', /brackets/],
  ['tcp://[::1:80', /unclosed/],
  ['tcp://[::1]80', /missing port/],
  ['tcp://[host]:80', /IPv6/],
  ['unix://relative/x.sock', /absolute path/],
  ['unix:', /empty socket path/],
  ['unix-abstract:', /empty abstract/],
  ['pipe:', /empty pipe name/],
  ['unix:/a\0b', /NUL/],
];

test('parseAddress accepts valid addresses and formatAddress round-trips', () => {
  for (const [s, want, formatted] of valid) {
    assert.equal(parseAddress(s), want, s);
    assert.is(formatAddress(want), formatted ?? s);
    assert.equal(parseAddress(formatAddress(want)), want);
  }
});

test('parseAddress rejects invalid addresses with INVALID_ARGUMENT', () => {
  for (const [s, why] of invalid) {
    try {
      parseAddress(s);
      assert.unreachable(`accepted ${JSON.stringify(s)}`);
    } catch (err) {
      assert.instance(err, RpcError, s);
      assert.is((err as RpcError).code, Code.INVALID_ARGUMENT);
      assert.ok((err as Error).message.startsWith(`INVALID_ARGUMENT: invalid address ${JSON.stringify(s)}: `), (err as Error).message);
      assert.match((err as Error).message, why);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
