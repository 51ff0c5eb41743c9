// The task pool and the ordered hand-back: results in order whoever computes them (workers or this thread), a
// failure rejects at its turn, real worker threads give what this thread gives, and closing stops them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createTaskPool, orderedHybrid, readEvtxUnit, type UnitResult, type UnitTask } from './index.ts';
import { dataDir } from '../test/data-dir.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<R>(it: AsyncGenerator<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('orderedHybrid: results in order, from slow remote and quick local alike; within the window', async () => {
  const who: string[] = [];
  let ahead = 0;
  let out = 0;
  const remote = async (i: number) => { who[i] = 'remote'; await sleep(5 + (7 * i) % 11); return i * i; };
  const local = (i: number) => { who[i] = 'local'; ahead = Math.max(ahead, i - out); return i * i; };
  let slots = 2;
  const capacity = () => slots;
  const got: number[] = [];
  for await (const v of orderedHybrid(40, (i) => { slots--; return remote(i).finally(() => { slots++; }); }, local, capacity, 6)) { got.push(v); out++; }
  assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i * i));
  assert.ok(who.includes('remote') && who.includes('local'), who.join(','));
  assert.ok(ahead <= 6, `local ran ${ahead} ahead`);
  assert.deepEqual(await collect(orderedHybrid(5, undefined, (i) => i, () => 0, 1)), [0, 1, 2, 3, 4]);
  assert.deepEqual(await collect(orderedHybrid(5, async (i) => i, undefined, () => 1, 3)), [0, 1, 2, 3, 4]);
});

test('orderedHybrid: a failure rejects at its turn, after the results before it', async () => {
  const got: number[] = [];
  await assert.rejects((async () => {
    for await (const v of orderedHybrid(6, async (i) => { await sleep(2); if (i === 3) throw new Error('part 3 is damaged'); return i; }, undefined, () => 2, 4)) got.push(v);
  })(), /part 3 is damaged/);
  assert.deepEqual(got, [0, 1, 2]);
});

test('worker threads read a unit exactly as this thread does; a missing task rejects; close stops the workers', async () => {
  const path = join(dataDir(), 'evtx-parser-samples/samples/security.evtx');
  const task: UnitTask = { unit: { path, name: 'security.evtx', file: 0, firstChunk: 0, endChunk: Infinity, bytes: 1, last: true }, output: 'xml', recover: false };
  const pool = createTaskPool(2);
  const self = new URL('./parallel.ts', import.meta.url);
  try {
    pool.warm(self);
    const [a, b] = await Promise.all([pool.run<UnitResult>(self, 'readEvtxUnit', task), pool.run<UnitResult>(self, 'readEvtxUnit', { ...task, output: 'jsonl' })]);
    const here = readEvtxUnit(task);
    assert.equal(a.text, here.text);
    assert.equal(a.stats.records, 2261);
    assert.equal(b.text.split('\n').length - 1, 2261);
    assert.ok(pool.capacity() > 0, 'ready workers have room');
    await assert.rejects(pool.run(self, 'noSuchTask', {}), /has no task function 'noSuchTask'/);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run(self, 'readEvtxUnit', task), /task pool is closed/);
});
