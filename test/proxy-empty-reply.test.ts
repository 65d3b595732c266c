// A client-streaming call whose reply is the empty message keeps that reply
// through a generic ttrpc proxy (where the wire cannot tell client streaming from bidi).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client, PipeListener, Server, createProxy } from '../src/index.js';
import { StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { addTtrpcInteropServices } from '../src/cli/interop/ttrpc-reactor-service.js';

test('empty client-streaming reply through a ttrpc proxy arrives as a message', async () => {
  const backendListener = new PipeListener();
  const backend = new Server();
  addTtrpcInteropServices(backend);
  await backend.listen(backendListener);
  const upstream = await Client.connect(backendListener);
  const front = new PipeListener();
  const proxy = new Server().addGenericService(createProxy(upstream));
  await proxy.listen(front);
  const client = await Client.connect(front);
  const empty = await client.clientStream(StreamingService.methods.ClientStream, []);
  assert.is(empty.data?.byteLength ?? 0, 0);
  assert.ok(empty !== undefined, 'a reply message was delivered');
  const joined = await client.clientStream(StreamingService.methods.ClientStream, [{ data: new Uint8Array([0x61]) }, { data: new Uint8Array([0x62]) }]);
  assert.is(new TextDecoder().decode(joined.data!), 'a,b');
  await client.close();
  await proxy.shutdown();
  await upstream.close();
  await backend.shutdown();
});

test.run();
