// Unix socket files: a listener removes only the file it bound, a stale file
// left by a killed process is replaced only when asked and only when nothing
// answers, and the file's mode is set before listen() resolves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { platform } from 'node:os';
import { Client, Code, PipeListener, RpcError, listen } from '../src/index.js';
import { PROTOS, echo, hygieneServer, rejection, socketFile } from './helpers/hygiene-kit.js';

const inode = (path: string): bigint => lstatSync(path, { bigint: true }).ino;

/** staleSocket binds a socket file in a child process, kills it with SIGKILL and returns the path it left behind. */
async function staleSocket(): Promise<string> {
  const path = socketFile();
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.ok(lstatSync(path).isSocket(), 'the killed child left its socket file');
  return path;
}

for (const pr of PROTOS) {
  test(`${pr.name}: closing a server leaves alone the socket file a second server bound at the same path since`, async () => {
    const path = socketFile();
    const first = hygieneServer(pr.server, 'first');
    await first.listen(`unix://${path}`);
    const c1 = await Client.connect(`unix://${path}`, pr.client);
    assert.is(await echo(c1), 'first:x');
    // Someone removes the file (an operator, a deploy script) and a second server binds the path.
    unlinkSync(path);
    const second = hygieneServer(pr.server, 'second');
    await second.listen(`unix://${path}`);
    const secondFile = inode(path);
    await first.shutdown(100);
    assert.ok(existsSync(path), "the first server's shutdown removed the second server's socket file");
    assert.is(inode(path), secondFile, 'the path still is the socket file of the second server');
    const c2 = await Client.connect(`unix://${path}`, pr.client);
    assert.is(await echo(c2), 'second:x');
    await c1.close().catch(() => undefined);
    await c2.close();
    await second.shutdown(100);
    assert.not.ok(existsSync(path), 'the second server removed its own file');
  });
}

test('transport: a listener removes its own socket file on close, and nothing but it', async () => {
  const path = socketFile();
  const a = await listen(`unix://${path}`);
  await a.close();
  assert.not.ok(existsSync(path), 'own file removed');
  const b = await listen(`unix://${path}`);
  unlinkSync(path);
  writeFileSync(path, 'not ours');
  await b.close();
  assert.is(readFileSync(path, 'utf8'), 'not ours', 'a file put at the path since is left alone');
  unlinkSync(path);
});

test('transport: a second listen on a live socket path fails and leaves the first file in place', async () => {
  const path = socketFile();
  const a = await listen(`unix://${path}`);
  const before = inode(path);
  const err = await rejection(listen(`unix://${path}`));
  assert.ok(err instanceof RpcError && err.code === Code.UNAVAILABLE, String(err));
  assert.is(inode(path), before);
  await a.close();
});

test('a stale socket file left by a killed process: listen fails with a hint unless replaceStaleSocket is set', async () => {
  const path = await staleSocket();
  const err = await rejection(listen(`unix://${path}`));
  assert.ok(err instanceof RpcError && err.code === Code.UNAVAILABLE, String(err));
  assert.match((err as RpcError).message, /address already in use/i);
  assert.match((err as RpcError).message, /replaceStaleSocket/);
  assert.ok(lstatSync(path).isSocket(), 'the stale file is left alone without the option');
  unlinkSync(path);
});

for (const pr of PROTOS) {
  test(`${pr.name}: replaceStaleSocket replaces a stale socket file left by a killed process and serves on it`, async () => {
    const path = await staleSocket();
    const server = hygieneServer(pr.server, 'fresh');
    // (The new file may get the freed inode number of the stale one: the reply below is the proof.)
    assert.is(await server.listen(`unix://${path}`, { replaceStaleSocket: true }), `unix://${path}`);
    const client = await Client.connect(`unix://${path}`, pr.client);
    assert.is(await echo(client), 'fresh:x');
    await client.close();
    await server.shutdown(100);
  });
}

test('replaceStaleSocket never replaces the socket of a live server', async () => {
  const path = socketFile();
  const live = hygieneServer({}, 'live');
  await live.listen(`unix://${path}`);
  const before = inode(path);
  const intruder = hygieneServer({}, 'intruder');
  const err = await rejection(intruder.listen(`unix://${path}`, { replaceStaleSocket: true }));
  assert.ok(err instanceof RpcError && err.code === Code.UNAVAILABLE, String(err));
  assert.match((err as RpcError).message, /another server is listening/);
  assert.is(inode(path), before, 'the live socket file is untouched');
  const client = await Client.connect(`unix://${path}`);
  assert.is(await echo(client), 'live:x');
  await client.close();
  await intruder.shutdown(0);
  await live.shutdown(100);
});

test('replaceStaleSocket never removes a file that is not a socket', async () => {
  const path = socketFile();
  writeFileSync(path, 'precious');
  const err = await rejection(listen(`unix://${path}`, { replaceStaleSocket: true }));
  assert.ok(err instanceof RpcError && err.code === Code.UNAVAILABLE, String(err));
  assert.match((err as RpcError).message, /is not a socket/);
  assert.is(readFileSync(path, 'utf8'), 'precious');
  unlinkSync(path);
});

for (const mode of [0o660, 0o600]) {
  test(`mode 0o${mode.toString(8)} is set on the socket file before listen resolves`, async () => {
    const path = socketFile();
    const server = hygieneServer({});
    await server.listen(`unix://${path}`, { mode });
    assert.is(statSync(path).mode & 0o7777, mode);
    const client = await Client.connect(`unix://${path}`);
    assert.is(await echo(client), 'srv:x', 'the owner still connects');
    await client.close();
    await server.shutdown(100);
  });
}

test('mode and replaceStaleSocket together: the replacing listener gets the mode', async () => {
  const path = await staleSocket();
  const l = await listen(`unix://${path}`, { replaceStaleSocket: true, mode: 0o640 });
  assert.is(statSync(path).mode & 0o7777, 0o640);
  await l.close();
  assert.not.ok(existsSync(path));
});

test('socket-file options are refused where there is no socket file, and bad values are refused', async () => {
  const refused = async (p: Promise<unknown>, pattern: RegExp) => {
    const err = await rejection(p);
    assert.ok(err instanceof RpcError && err.code === Code.INVALID_ARGUMENT, String(err));
    assert.match((err as RpcError).message, pattern);
  };
  await refused(listen('tcp://127.0.0.1:0', { mode: 0o660 }), /tcp address has no socket file/);
  await refused(listen('tcp://127.0.0.1:0', { replaceStaleSocket: true }), /replaceStaleSocket/);
  await refused(listen('pipe:hygiene-files', { mode: 0o600 }), /pipe address has no socket file/);
  if (platform() === 'linux') await refused(listen('unix-abstract:rr-hygiene-test', { mode: 0o600, replaceStaleSocket: true }), /mode and replaceStaleSocket apply to unix socket files/);
  await refused(listen(new PipeListener(), { mode: 0o600 }), /not to a Listener object/);
  await refused(listen(`unix://${socketFile()}`, { mode: 0o10000 }), /mode must be an integer/);
  await refused(listen(`unix://${socketFile()}`, { mode: 1.5 }), /mode must be an integer/);
  await refused(listen('tcp://127.0.0.1:0', { keepAliveMs: -1 }), /keepAliveMs/);
  // keepAliveMs alone is fine anywhere: it only acts on TCP.
  const l = await listen(`unix://${socketFile()}`, { keepAliveMs: 1000 });
  await l.close();
});

test.run();
