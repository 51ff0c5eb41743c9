// Reading recordings for the replay: per-recording record counts, the same result on one thread and on workers,
// Mordor lines classified by their header exactly as the full record would be, recovered EVTX records, and a
// progress that moves by bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { countEvtxRecords } from '@omamori/evtx';
import { fromMordorObject, mordorHeader, replayPaths, streamJsonLineBytes } from '@omamori/replay';
import { dataDir, dataPath, presetPolicy } from './data.ts';

const office = presetPolicy('office');

test('recordings[].records counts the records of each recording (they add up to the total)', async () => {
  const a = dataPath('evtx-parser-samples/samples/sysmon.evtx');
  const b = dataPath('evtx-parser-samples/samples/security.evtx');
  const mordor = dataPath('mordor/datasets/atomic/windows/lateral_movement/host/covenant_sharpwmi_create_dcerpc_wmi.zip');
  const r = await replayPaths([a, b, mordor], { policy: office });
  assert.deepEqual(r.recordings.map((x) => x.records.toString()), [
    String(countEvtxRecords(a).records), String(countEvtxRecords(b).records), r.recordings[2]!.records.toString()]);
  assert.equal(r.recordings[0]!.records, 358);
  assert.ok(r.recordings[2]!.records > 1000, `${r.recordings[2]!.records}`);
  assert.equal(r.recordings.reduce((n, x) => n + x.records, 0), r.stats.records);
});

test('worker threads give the same replay as one thread (EVTX folder and Mordor captures)', async () => {
  const inputs = [dataPath('evtx-attack-samples/Execution'), dataPath('mordor/datasets/atomic/windows/lateral_movement')];
  const one = await replayPaths(inputs, { policy: office, jobs: 1 });
  const two = await replayPaths(inputs, { policy: office, jobs: 2 });
  assert.ok(one.stats.blocks > 10 && one.recordings.length > 5);
  assert.deepEqual(JSON.parse(JSON.stringify(two)), JSON.parse(JSON.stringify(one)));
});

test('Mordor lines: the header classification agrees with the full record on every line of the shared captures', async () => {
  const root = dataPath('mordor/datasets/atomic/windows');
  const files: string[] = [];
  const walk = (d: string) => { for (const n of readdirSync(d).sort()) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else if (/\.(zip|tar\.gz|json)$/.test(n)) files.push(p); } };
  walk(root);
  let lines = 0;
  const wrong: string[] = [];
  for (const f of files.filter((_, i) => i % 4 === 0)) {
    await streamJsonLineBytes(f, {
      line(_e, buf, s, e, n) {
        lines++;
        const o = JSON.parse(buf.toString('utf8', s, e)) as Record<string, unknown>;
        const h = mordorHeader(o);
        const r = fromMordorObject(o, 'x');
        const got = h ? `${h.provider}|${h.channel}|${h.eventId}` : 'none';
        const want = r ? `${r.provider}|${r.channel}|${r.eventId}` : 'none';
        if (got !== want && wrong.length < 5) wrong.push(`${f}:${n}: ${got} ≠ ${want}`);
      },
    }).catch(() => { /* truncated captures: the lines before the cut are checked */ });
  }
  assert.deepEqual(wrong, []);
  assert.ok(lines > 100000, `${lines} lines`);
});

test('replay with recover: records from EVTX slack space are replayed and marked (recovered) where they are', async () => {
  const f = dataPath('evtx-attack-samples/Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.evtx');
  const plain = await replayPaths([f], { policy: office });
  const rec = await replayPaths([f], { policy: office, recover: true });
  assert.equal(plain.stats.records, 6);
  assert.equal(plain.stats.recovered, 0);
  assert.equal(rec.stats.records, 77);
  assert.equal(rec.stats.recovered, 71);
  assert.equal(rec.recordings[0]!.recovered, 71);
});

test('progress moves by bytes, chunk by chunk, up to the total', async () => {
  const f = join(dataDir(), 'dfir-artifact-museum/Windows/EventLogs/Win10/RathbunVM/extracted/Security.evtx');
  const seen: number[] = [];
  let total = 0;
  await replayPaths([f], { policy: office, jobs: 1, onProgress: (done, t) => { seen.push(done); total = t; } });
  assert.equal(total, statSync(f).size);
  assert.ok(seen.length >= 40, `${seen.length} updates for ${total} bytes`);
  assert.deepEqual(seen, [...seen].sort((x, y) => x - y), 'never goes back');
  assert.equal(seen.at(-1), total);
  const steps = seen.slice(1).map((x, i) => x - seen[i]!);
  assert.ok(Math.max(...steps) <= 2 * 65536 + 4096, `largest step ${Math.max(...steps)} bytes`);
});
