// Benchmark of the replay, with core utilisation and the machine's load (the 2-core machine is shared):
//   1. EVTX: `replayPaths` over the EVTX folders of the shared data — MB/s of EVTX read, mapped and decided — on one
//      thread and on every core, and through the CLI; evtxexport -f xml over the same files in the same run as the
//      baseline of reading alone; how often and how evenly the progress moves;
//   2. Mordor: inflating and splitting every capture; parsing the lines of every fourth capture three ways, on the
//      same lines — JSON.parse and the full record for every line (before), JSON.parse and the full record only for
//      mapped kinds (now: the header decides), and a byte-level peek at flat lines with JSON.parse for the rest —
//      then the whole Mordor replay on 1 and N threads;
//   3. mapping + engine against mapping alone (the engine's share), over every recording.
// Usage: npm run bench:replay [-- --quick]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { compile, findPreset, loadPolicy } from '@omamori/policy';
import {
  createReplayRun, createWindowsMapper, findRecordings, fromMordorObject, isMappedEvent, mordorHeader, readRecording, replayPaths,
  streamJsonLineBytes, type WinRecord,
} from '@omamori/replay';

const root = resolve(new URL('..', import.meta.url).pathname);
const data = process.env.OMAMORI_DATA ?? join(root, '../shared/data');
const quick = process.argv.includes('--quick');
const policy = compile(loadPolicy(findPreset('office')!.text).policy!);
const cores = availableParallelism();
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const cli = join(root, 'packages/cli/bin/omamori.mjs');

function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / 100;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; s: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const value = await fn();
  const u = process.cpuUsage(c);
  return { value, s: Number(process.hrtime.bigint() - t) / 1e9, cpu: (u.user + u.system) / 1e6 };
}

const mb = (b: number) => (b / 1e6).toFixed(1);
console.log(`replay benchmark — node ${process.version}; ${cores} cores; load ${load()}`);

// 1. EVTX folders.
const evtxDirs = ['evtx-attack-samples', 'evtx-parser-samples', 'dfir-artifact-museum', 'sigma-regression', 'evtx-to-mitre-attack'].map((d) => join(data, d));
const evtxRecs = findRecordings(evtxDirs).recordings;
const evtxBytes = evtxRecs.reduce((n, r) => n + r.bytes, 0);
const evtxFiles = evtxRecs.flatMap((r) => r.files);
console.log(`\nEVTX: ${evtxRecs.length} recordings, ${evtxFiles.length} files, ${mb(evtxBytes)} MB`);
for (const jobs of [1, cores]) {
  let updates = 0, maxStep = 0, last = 0;
  const r = await timed(() => replayPaths(evtxDirs, { policy, jobs, onProgress: (done) => { updates++; maxStep = Math.max(maxStep, done - last); last = done; } }));
  console.log(`  replay, ${jobs} thread${jobs > 1 ? 's' : ''}: ${r.s.toFixed(2)} s, ${mb(evtxBytes / r.s)} MB/s (target ≥ 50), ${r.value.stats.records} records, ${r.value.stats.blocks} stops, `
    + `${(r.cpu / r.s).toFixed(2)} cores; progress: ${updates} updates, largest step ${(maxStep / 1024).toFixed(0)} KiB`);
}
const c0 = childCpu();
const tc = process.hrtime.bigint();
const viaCli = spawnSync(process.execPath, [cli, 'replay', '--format', 'json', '--out', '/dev/null', ...evtxDirs], { encoding: 'utf8' });
const cliS = Number(process.hrtime.bigint() - tc) / 1e9;
if (viaCli.status !== 0 && viaCli.status !== 1) throw new Error(viaCli.stderr);
console.log(`  omamori replay (CLI, start-up incl.): ${cliS.toFixed(2)} s, ${mb(evtxBytes / cliS)} MB/s, ${((childCpu() - c0) / cliS).toFixed(2)} cores`);
const e0 = childCpu();
const te = process.hrtime.bigint();
for (const f of evtxFiles) spawnSync('evtxexport', ['-f', 'xml', f], { maxBuffer: 1 << 30 });
const exS = Number(process.hrtime.bigint() - te) / 1e9;
console.log(`  baseline, evtxexport -f xml once per file (reading only): ${exS.toFixed(2)} s, ${mb(evtxBytes / exS)} MB/s, ${((childCpu() - e0) / exS).toFixed(2)} cores`);
console.log(`  load ${load()}`);

// 2. Mordor.
const mordorRoot = join(data, 'mordor');
const captures: string[] = [];
const walk = (d: string) => { for (const n of readdirSync(d).sort()) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else if (/\.(zip|tar\.gz|json)$/.test(n)) captures.push(p); } };
walk(mordorRoot);
const some = quick ? captures.filter((_, i) => i % 4 === 0) : captures;
const zipBytes = some.reduce((n, p) => n + statSync(p).size, 0);
let allText = 0;
const inflateAll = await timed(async () => {
  for (const f of some) await streamJsonLineBytes(f, { line(_e, _b, s, e) { allText += e - s; } }).catch(() => { /* truncated captures */ });
});
console.log(`\nMordor: ${some.length} captures, ${mb(zipBytes)} MB compressed, ${mb(allText)} MB of JSON lines`);
console.log(`  inflate (zlib) and split into lines: ${inflateAll.s.toFixed(2)} s, ${mb(allText / inflateAll.s)} MB/s of JSON`);
// The parses compared on the lines of every fourth capture, kept in memory so that each sees the same input.
const lines: Buffer[] = [];
for (const f of captures.filter((_, i) => i % 4 === 0)) {
  await streamJsonLineBytes(f, { line(_e, b, s, e) { lines.push(Buffer.from(b.subarray(s, e))); } }).catch(() => { /* truncated captures */ });
}
const textBytes = lines.reduce((n, l) => n + l.length, 0);
console.log(`  parse, three ways, on every fourth capture: ${lines.length.toLocaleString('en-US')} lines, ${mb(textBytes)} MB of JSON`);

const KEYS = { id: Buffer.from('"EventID":'), src: Buffer.from('"SourceName":"'), ch: Buffer.from('"Channel":"'), wl: Buffer.from('"winlog":'), wb: Buffer.from('"event_id":') };
/** Event id, provider and channel of a flat nxlog line by byte search; undefined when the line needs a parse. */
function peek(b: Buffer): { eventId: number; provider: string; channel: string } | undefined {
  if (b[0] !== 0x7b || b.indexOf(KEYS.wl) >= 0 || b.indexOf(KEYS.wb) >= 0) return undefined;
  const i = b.indexOf(KEYS.id);
  if (i < 0) return undefined;
  let p = i + KEYS.id.length, n = 0, d = 0;
  while (b[p]! >= 0x30 && b[p]! <= 0x39 && d < 9) { n = n * 10 + b[p]! - 0x30; p++; d++; }
  if (d === 0 || (b[p] !== 0x2c && b[p] !== 0x7d)) return undefined;
  for (let j = b.indexOf(0x7b, 1); j >= 0; j = b.indexOf(0x7b, j + 1)) {
    let k = j - 1;
    while (k > 0 && b[k] === 0x20) k--;
    if (b[k] === 0x3a || b[k] === 0x5b || b[k] === 0x2c) return undefined; // a nested object
  }
  const str = (key: Buffer) => {
    const s = b.indexOf(key);
    if (s < 0) return '';
    const q = b.indexOf(0x22, s + key.length), bs = b.indexOf(0x5c, s + key.length);
    return bs >= 0 && bs < q ? null : b.toString('utf8', s + key.length, q);
  };
  const provider = str(KEYS.src), channel = str(KEYS.ch);
  return provider === null || channel === null ? undefined : { eventId: n, provider, channel };
}

let kept = 0;
const variants: [string, (b: Buffer) => WinRecord | undefined][] = [
  ['JSON.parse + full record, every line (before)', (b) => {
    const r = fromMordorObject(JSON.parse(b.toString()) as Record<string, unknown>, 'x');
    return r && isMappedEvent(r.provider, r.channel, r.eventId) ? r : undefined;
  }],
  ['JSON.parse, header decides, full record if mapped (now)', (b) => {
    const o = JSON.parse(b.toString()) as Record<string, unknown>;
    const h = mordorHeader(o);
    return h && isMappedEvent(h.provider, h.channel, h.eventId) ? fromMordorObject(o, 'x') : undefined;
  }],
  ['byte peek at flat lines, else as "now"', (b) => {
    const p = peek(b);
    if (p) return isMappedEvent(p.provider, p.channel, p.eventId) ? fromMordorObject(JSON.parse(b.toString()) as Record<string, unknown>, 'x') : undefined;
    const o = JSON.parse(b.toString()) as Record<string, unknown>;
    const h = mordorHeader(o);
    return h && isMappedEvent(h.provider, h.channel, h.eventId) ? fromMordorObject(o, 'x') : undefined;
  }],
];
for (let pass = 0; pass < (quick ? 1 : 2); pass++) {
  for (const [name, fn] of variants) {
    const r = await timed(() => { let n = 0; for (const l of lines) if (fn(l)) n++; return n; });
    kept = r.value;
    console.log(`  ${name.padEnd(58)} ${r.s.toFixed(2)} s  ${mb(textBytes / r.s)} MB/s  (${kept.toLocaleString('en-US')} records kept)`);
  }
}
lines.length = 0;
for (const jobs of [1, cores]) {
  const r = await timed(() => replayPaths(some, { policy, jobs }));
  console.log(`  Mordor replay, ${jobs} thread${jobs > 1 ? 's' : ''}: ${r.s.toFixed(2)} s, ${mb(zipBytes / r.s)} MB/s compressed, ${mb(allText / r.s)} MB/s of JSON, `
    + `${r.value.stats.records.toLocaleString('en-US')} records, ${(r.cpu / r.s).toFixed(2)} cores`);
}
console.log(`  load ${load()}`);

// 3. Engine share (mapping alone vs mapping + engine) over every recording.
const inputs = ['evtx-attack-samples', 'evtx-parser-samples', 'dfir-artifact-museum', 'sigma-regression', 'evtx-to-mitre-attack', 'mordor'].map((d) => join(data, d));
const { recordings } = findRecordings(inputs);
const ms = () => Number(process.hrtime.bigint()) / 1e6;
let readMs = 0, records = 0, keptAll = 0, bytes = 0;
const t: Record<'map' | 'engine', { ms: number; events: number; blocks: number }> = { map: { ms: 0, events: 0, blocks: 0 }, engine: { ms: 0, events: 0, blocks: 0 } };
for (const rec of quick ? recordings.filter((_, i) => i % 4 === 0) : recordings) {
  const keep: WinRecord[] = [];
  const filter = createWindowsMapper();
  const t0 = ms();
  await readRecording(rec, { record(r) { records++; if (filter.observe(r)) keep.push(r); }, issue() { /* counted by the replay */ } });
  readMs += ms() - t0;
  keptAll += keep.length;
  bytes += rec.bytes;
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
const per = (n: number, msec: number) => Math.round(n / (msec / 1000)).toLocaleString('en-US');
console.log(`\nAll recordings (one thread): ${recordings.length} recordings, ${mb(bytes)} MB, ${records.toLocaleString('en-US')} records read, ${keptAll.toLocaleString('en-US')} of mapped kinds`);
console.log(`  read+parse            ${(readMs / 1000).toFixed(2)} s   ${per(records, readMs)} records/s`);
console.log(`  baseline: mapping     ${(t.map.ms / 1000).toFixed(2)} s   ${per(t.map.events, t.map.ms)} events/s   ${per(keptAll, t.map.ms)} records/s`);
console.log(`  mapping + engine      ${(t.engine.ms / 1000).toFixed(2)} s   ${per(t.engine.events, t.engine.ms)} events/s   (${t.engine.blocks} would be stopped)`);
console.log(`  engine share: ${((1 - t.map.ms / t.engine.ms) * 100).toFixed(0)}% of mapping+engine time; ratio ${(t.engine.ms / t.map.ms).toFixed(2)}× baseline`);
console.log(`\nload at the end: ${load()}`);
