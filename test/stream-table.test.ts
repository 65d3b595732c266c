// The ttrpc sessions' StreamTable against a Map<number, T> it replaces: the
// same answers for get/delete/size/values under random operations, for the
// id patterns a client produces (increasing odd ids, retired out of order)
// and those a hostile peer can send (colliding slots, huge and even ids).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamTable } from '../src/protocol/ttrpc/stream-table.js';
import { mulberry32 } from './helpers/drpc-vectors.js';

function check(table: StreamTable<string>, model: Map<number, string>, where: string): void {
  assert.is(table.size, model.size, `${where}: size`);
  const want = [...model.keys()].sort((a, b) => a - b).map((id) => model.get(id));
  assert.equal(table.values(), want, `${where}: values by increasing id`);
}

test('increasing odd ids retired in random order match a Map', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rand = mulberry32(seed);
    const table = new StreamTable<string>();
    const model = new Map<number, string>();
    let next = 1;
    for (let op = 0; op < 6000; op++) {
      const open = [...model.keys()];
      if (open.length < 3000 && (open.length === 0 || rand() < 0.55)) {
        const id = next;
        next += 2;
        table.set(id, `c${id}`);
        model.set(id, `c${id}`);
      } else {
        const id = open[Math.floor(rand() * open.length)]!;
        assert.is(table.delete(id), model.delete(id), `seed ${seed} op ${op}: delete ${id}`);
      }
      const probe = 1 + 2 * Math.floor(rand() * (next / 2 + 8));
      assert.is(table.get(probe), model.get(probe), `seed ${seed} op ${op}: get ${probe}`);
    }
    check(table, model, `seed ${seed}`);
  }
});

test('hostile ids (colliding slots, even, near 2^32, 0) match a Map', () => {
  const rand = mulberry32(99);
  const table = new StreamTable<string>();
  const model = new Map<number, string>();
  const pool: number[] = [0xffff_ffff, 0xffff_fffe, 2, 4, 8192 + 1, 16384 + 1, 1];
  for (let k = 0; k < 200; k++) pool.push(1 + 2 * 4096 * k, 3 + 2 * 8192 * k, (Math.floor(rand() * 2 ** 32) >>> 0) || 1);
  for (let op = 0; op < 20000; op++) {
    const id = pool[Math.floor(rand() * pool.length)]!;
    if (model.has(id)) assert.is(table.delete(id), model.delete(id), `op ${op}: delete ${id}`);
    else if (rand() < 0.7) {
      table.set(id, `c${id}`);
      model.set(id, `c${id}`);
    } else assert.is(table.delete(id), false, `op ${op}: delete of absent ${id}`);
    assert.is(table.get(id), model.get(id), `op ${op}: get ${id}`);
  }
  check(table, model, 'hostile');
  assert.is(table.get(0), undefined);
  table.clear();
  assert.is(table.size, 0);
  assert.equal(table.values(), []);
});

test.run();
