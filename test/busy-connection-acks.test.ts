// Write completions on a connection that never empties (issue 13): the socket's whenWritten watches fire in order
// as the kernel takes their bytes, not at a full drain; a client-streaming reactor's onWriteDone keeps coming while
// 1 MiB unary calls keep the same connection busy (it used to wait for a drain that never came, and every
// finished call stayed referenced by its pending acknowledgement); the same over multiplexed drpc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Server, defineService, rawMethod } from '../src/index.js';
import { ClientWriteReactor } from '../reactors/client-reactors.js';
import type { Status } from '../src/status/status.js';
import type { Conn } from '../src/transport/conn.js';
import { SocketConn } from '../src/transport/socket-conn.js';
import { PROTOCOLS } from './helpers/reactor-fixture.js';
import { TRANSPORTS } from './helpers/transports.js';
import { unixPair } from './helpers/tap-conn.js';

const S = 'busy.Test';
const Echo = rawMethod(`/${S}/Echo`, 'unary');
const Count = rawMethod(`/${S}/Count`, 'client_stream');
const Service = defineService(S, { Echo, Count });
const MiB = 1 << 20;
const unixTarget = (): string => TRANSPORTS.find((t) => t.name === 'unix')!.target() as string;

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(2)) if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
}

test('SocketConn.whenWritten: in order, each once its bytes are taken, while the socket never empties', async () => {
  const { client, server, close } = await unixPair();
  try {
    assert.instance(client, SocketConn);
    let read = 0;
    server.start({ onData: (c) => void (read += c.byteLength), onClose() {} });
    client.start({ onData() {}, onClose() {} });
    const chunk = new Uint8Array(MiB);
    let written = 0;
    const fired: Array<{ i: number; mark: number; read: number; held: number }> = [];
    const marks: number[] = [];
    // Keep four chunks queued: every watch that fires writes another one, so the socket is never empty until the end.
    const writeOne = (): void => {
      if (written >= 40 * MiB) return;
      client.writev([new Uint8Array(7), chunk]);
      written += 7 + MiB;
      const i = marks.length;
      marks.push(written);
      client.whenWritten!(() => {
        fired.push({ i, mark: marks[i]!, read, held: client.bufferedWriteBytes });
        writeOne();
      });
    };
    for (let k = 0; k < 4; k++) writeOne();
    await until(() => fired.length === marks.length && written >= 40 * MiB, 'every watch');
    await until(() => read === written, 'the peer to read everything');
    assert.equal(fired.map((f) => f.i), marks.map((_, i) => i), 'watches fire once each, in order');
    for (const f of fired) assert.ok(written - f.held >= f.mark, `watch ${f.i} fired before its bytes were taken`);
    const early = fired.filter((f) => f.held > 0).length;
    assert.ok(early >= fired.length / 2, `watches fire while the socket still holds bytes (${early} of ${fired.length})`);
  } finally {
    await close();
  }
});

test('SocketConn.whenWritten: a watch set with nothing pending fires on a later tick; none fires after destroy', async () => {
  const { client, server, close } = await unixPair();
  try {
    server.start({ onData() {}, onClose() {} });
    client.start({ onData() {}, onClose() {} });
    let sync = true;
    let fired = 0;
    client.whenWritten!(() => {
      assert.not.ok(sync, 'not inside whenWritten');
      fired++;
    });
    sync = false;
    await until(() => fired === 1, 'the idle watch');
    // A peer that never reads: the watch waits, then the connection is destroyed and it never runs.
    server.pause();
    const big = new Uint8Array(8 * MiB);
    client.write(big);
    let late = 0;
    client.whenWritten!(() => late++);
    await sleep(50);
    assert.is(late, 0, 'bytes still held');
    (client as Conn).destroy();
    await sleep(50);
    assert.is(late, 0, 'not after destroy');
  } finally {
    await close();
  }
});

for (const pc of PROTOCOLS.filter((p) => p.name !== 'drpc')) {
  test(`${pc.name}: a stream's onWriteDone keeps coming while 1 MiB calls keep the connection busy`, async () => {
    const server = new Server(pc.server).addService(Service, {
      Echo: async (req) => req,
      Count: async (reqs) => {
        let n = 0;
        for await (const r of reqs) n += r.byteLength;
        return u32(n);
      },
    });
    const bound = await server.listen(unixTarget());
    const client = await Client.connect(bound, pc.client);
    try {
      const big = new Uint8Array(MiB).fill(7);
      let stop = false;
      let echoed = 0;
      let echoedAtStreamEnd = -1;
      // Eight 1 MiB echoes in flight until the stream has ended (or 600 calls): the connection is never idle.
      const loops = Array.from({ length: 8 }, async () => {
        while (!stop && echoed < 600) {
          const r = await client.unary(Echo, big);
          assert.is(r.byteLength, MiB);
          echoed++;
        }
      });
      await until(() => echoed >= 16, 'the echo loops to get going');
      const WRITES = 40;
      const piece = new Uint8Array(64 * 1024).fill(1);
      const result = new Promise<{ status: Status; count: number; writesDone: number }>((resolve) => {
        let writesDone = 0;
        class Writer extends ClientWriteReactor<Uint8Array, Uint8Array> {
          override onWriteDone(ok: boolean): void {
            assert.ok(ok);
            writesDone++;
            if (writesDone < WRITES) this.startWrite(piece);
            else this.startWritesDone();
          }
          override onDone(status: Status, res: Uint8Array | undefined): void {
            echoedAtStreamEnd = echoed;
            resolve({ status, count: res === undefined ? -1 : new DataView(res.buffer, res.byteOffset).getUint32(0), writesDone });
          }
        }
        const w = new Writer();
        client.bindWrite(Count, w);
        w.startWrite(piece);
        w.startCall();
      });
      const r = await result;
      stop = true;
      await Promise.all(loops);
      assert.is(r.status.code, 0, r.status.message);
      assert.is(r.writesDone, WRITES);
      assert.is(r.count, WRITES * piece.byteLength);
      assert.ok(echoedAtStreamEnd < 600, `the stream ended while the echoes were still running (after ${echoedAtStreamEnd} echoes)`);
    } finally {
      await client.close();
      await server.shutdown(100);
    }
  });
}

test.run();
