// False blocks per 10,000 process starts over the benign recordings of the shared data (manifest categories BENIGN
// and BENIGN?), for every preset, and the stops that hold only "unless signed" (the log carries no signature: what
// a real machine would check). Every stop counts, not only the first of its tree. A correctness report, not a speed
// benchmark (the replay time is printed for reference). docs/replay.md "Benign recordings" explains each stop.
// Usage: npm run bench:false-blocks
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile, loadPolicy, PRESETS } from '@omamori/policy';
import { benignRecordings, benignTotals, measureBenign } from '@omamori/replay';

const root = resolve(new URL('..', import.meta.url).pathname);
const data = process.env.OMAMORI_DATA ?? join(root, '../shared/data');
if (!existsSync(join(data, 'manifest.json'))) { console.error(`no manifest.json in ${data} (set OMAMORI_DATA)`); process.exit(2); }
const recordings = benignRecordings(data);
const f = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));
console.log(`benign recordings: ${recordings.length} (${recordings.map((r) => r.name.split('/').pop()).join(', ')})\n`);
for (const preset of PRESETS) {
  const t0 = process.hrtime.bigint();
  const ms = await measureBenign(recordings, compile(loadPolicy(preset.text).policy!));
  const t = benignTotals(ms);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`preset ${preset.name}: ${t.records} records, ${t.starts} process starts, ${secs.toFixed(1)} s`);
  for (const m of ms) {
    console.log(`  ${m.recording.name.padEnd(62)} starts ${String(m.starts).padStart(4)}  stops ${String(m.blocks.length).padStart(3)}  unless signed ${String(m.unlessSigned.length).padStart(3)}`);
  }
  console.log(`  false blocks per 10,000 process starts: ${f(t.blocksPer10k)} (${t.blocks} stops; goal <= 1)`);
  console.log(`  stopped unless signed per 10,000 starts: ${f(t.unlessSignedPer10k)} (${t.unlessSigned})`);
  console.log(`  share of starts stopped: ${t.starts ? ((100 * t.blocks) / t.starts).toFixed(2) : '-'} %\n`);
}
