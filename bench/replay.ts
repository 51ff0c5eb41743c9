// Benchmark of the EVTX/Mordor replay: events per second with the office preset over the shared recordings —
// mapping + engine — against a baseline measured in the same run (mapping only, no engine). Reading and parsing
// (EVTX decoding, unzip + JSON.parse) is timed apart, once, since both passes share it.
// Usage: npm run bench:replay [-- FOLDER...]   (default: every folder of ../shared/data or $OMAMORI_DATA)
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile, findPreset, loadPolicy } from '@omamori/policy';
import { createReplayRun, createWindowsMapper, findRecordings, readRecording, type WinRecord } from '@omamori/replay';

const root = resolve(new URL('..', import.meta.url).pathname);
const data = process.env.OMAMORI_DATA ?? join(root, '../shared/data');
const args = process.argv.slice(2);
const inputs = args.length ? args : ['evtx-attack-samples', 'evtx-parser-samples', 'dfir-artifact-museum', 'sigma-regression', 'evtx-to-mitre-attack', 'mordor'].map((d) => join(data, d));
for (const p of inputs) if (!existsSync(p)) { console.error(`missing input ${p} (set OMAMORI_DATA)`); process.exit(2); }

const policy = compile(loadPolicy(findPreset('office')!.text).policy!);
const { recordings } = findRecordings(inputs);
const ms = () => Number(process.hrtime.bigint()) / 1e6;

let readMs = 0, records = 0, kept = 0, bytes = 0;
const t: Record<'map' | 'engine', { ms: number; events: number; blocks: number }> = {
  map: { ms: 0, events: 0, blocks: 0 }, engine: { ms: 0, events: 0, blocks: 0 },
};
for (const rec of recordings) {
  const keep: WinRecord[] = [];
  const filter = createWindowsMapper();
  const t0 = ms();
  await readRecording(rec, { record(r) { records++; if (filter.observe(r)) keep.push(r); }, issue() {} });
  readMs += ms() - t0;
  kept += keep.length;
  bytes += rec.bytes;
  // Alternate the order of the two passes so neither always runs on a warmer JIT.
  const passes: ('map' | 'engine')[] = records % 2 ? ['map', 'engine'] : ['engine', 'map'];
  for (const pass of passes) {
    const run = createReplayRun({ policy, mapOnly: pass === 'map' });
    const s = ms();
    const m = run.beginRecording(rec);
    for (const r of keep) m.observe(r);
    run.replay(keep);
    t[pass].ms += ms() - s;
    const res = run.finish();
    t[pass].events += Object.values(res.stats.events).reduce((a, b) => a + b, 0);
    t[pass].blocks += res.stats.blocks;
  }
}

const rate = (n: number, msec: number) => Math.round(n / (msec / 1000)).toLocaleString('en-US');
console.log(`recordings ${recordings.length}, ${(bytes / 1048576).toFixed(1)} MiB, ${records.toLocaleString('en-US')} records read, ${kept.toLocaleString('en-US')} of mapped kinds`);
console.log(`read+parse            ${(readMs / 1000).toFixed(2)} s   ${rate(records, readMs)} records/s`);
console.log(`baseline: mapping     ${(t.map.ms / 1000).toFixed(2)} s   ${rate(t.map.events, t.map.ms)} events/s   ${rate(kept, t.map.ms)} records/s   (${t.map.events.toLocaleString('en-US')} events)`);
console.log(`mapping + engine      ${(t.engine.ms / 1000).toFixed(2)} s   ${rate(t.engine.events, t.engine.ms)} events/s   ${rate(kept, t.engine.ms)} records/s   (${t.engine.blocks} would be stopped)`);
console.log(`engine share: ${((1 - t.map.ms / t.engine.ms) * 100).toFixed(0)}% of mapping+engine time; ratio ${(t.engine.ms / t.map.ms).toFixed(2)}× baseline`);
