// Regression: a status that arrives while the caller is between reads must not
// drop the responses the server sent before it (async iterables and reactors).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startMixed, txt, PROTOCOLS } from './helpers/reactor-fixture.js';
import { StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { TRANSPORTS } from './helpers/transports.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

for (const tc of TRANSPORTS) {
  for (const pc of PROTOCOLS) {
    test(`${tc.name}/${pc.name}: slow iteration of server streams and bidi receives every response`, async () => {
      const { server, client } = await startMixed(tc.target(), pc);
      for (let i = 0; i < 8; i++) {
        const got: string[] = [];
        for await (const m of client.serverStream(StreamingService.methods.ServerStream, { count: 3, data: new TextEncoder().encode('s') })) {
          got.push(txt(m));
          await tick();
        }
        assert.equal(got, ['s-1', 's-2', 's-3'], `server stream, round ${i}`);
        const echoed: string[] = [];
        for await (const m of client.bidi(StreamingService.methods.BidiEcho, [{ data: new Uint8Array([0x61]) }, { data: new Uint8Array([0x62]) }])) {
          echoed.push(txt(m));
          await tick();
        }
        assert.equal(echoed, ['a', 'b'], `bidi, round ${i}`);
      }
      await client.close();
      await server.shutdown(100);
    });
  }
}

test.run();
