// Benchmark of the EVTX reader: records/s and MB/s over every .evtx file of the shared corpus, side by side in
// the same run with evtxexport -f xml (libevtx, C) and evtx_dump.py (python3-evtx, on one file only: it is slow).
// Usage: node --import tsx bench/evtx.ts [--no-python] [--expectations]
//   --expectations  also rewrite packages/evtx/test/evtxexport-counts.json from evtxexport's counts
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countEvtxRecords } from '../packages/evtx/src/index.ts';
import { dataDir, listEvtxFiles } from '../packages/evtx/test/data-dir.ts';

const args = new Set(process.argv.slice(2));
const dir = dataDir();
const files = listEvtxFiles(dir);
const SECURITY = 'dfir-artifact-museum/Windows/EventLogs/Win10/RathbunVM/extracted/Security.evtx';

interface Run { records: number; bytes: number; seconds: number }

function ours(list: string[]): Run {
  let records = 0, bytes = 0;
  const t = process.hrtime.bigint();
  for (const f of list) {
    const c = countEvtxRecords(join(dir, f));
    records += c.records;
    bytes += c.stats.bytes;
  }
  return { records, bytes, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
}

/** Runs a command per file with stdout read and counted (the tools print XML); returns records and time. */
function external(cmd: string, pre: string[], list: string[], perFile?: Map<string, number>): Run {
  let records = 0, bytes = 0;
  const t = process.hrtime.bigint();
  for (const f of list) {
    const r = spawnSync(cmd, [...pre, join(dir, f)], { maxBuffer: 1 << 30, encoding: 'utf8' });
    const n = (r.stdout.match(/^<Event xmlns/gm) ?? []).length;
    perFile?.set(f, n);
    if (r.status !== 0 && perFile) perFile.set(`!${f}`, 1);
    records += n;
    bytes += statSync(join(dir, f)).size;
  }
  return { records, bytes, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
}

const rate = (r: Run) => r.records / r.seconds;
function row(label: string, r: Run): string {
  return `  ${label.padEnd(38)} ${String(r.records).padStart(7)} rec  ${(r.bytes / 1e6).toFixed(1).padStart(6)} MB  `
    + `${r.seconds.toFixed(2).padStart(7)} s  ${Math.round(rate(r)).toLocaleString('en-US').padStart(9)} rec/s  `
    + `${(r.bytes / 1e6 / r.seconds).toFixed(1).padStart(6)} MB/s`;
}

console.log(`EVTX reader benchmark — ${files.length} files under ${dir}, single thread, node ${process.version}`);
const cold = ours(files);
const warm = [ours(files), ours(files), ours(files)].sort((a, b) => a.seconds - b.seconds)[1]!;
const perFile = new Map<string, number>();
const evtxexport = external('evtxexport', ['-f', 'xml'], files, perFile);
const failed = files.filter((f) => perFile.has(`!${f}`));
const common = files.filter((f) => !perFile.has(`!${f}`));
const oursCommon = ours(common);
const exportCommon = external('evtxexport', ['-f', 'xml'], common);

console.log('\nWhole corpus:');
console.log(row('omamori reader (first pass, cold JIT)', cold));
console.log(row('omamori reader (median of 3 passes)', warm));
console.log(row('evtxexport -f xml (one process per file)', evtxexport));
console.log(`  evtxexport could not read ${failed.length} files (value text in attributes); the reader reads them.`);
console.log(`\nFiles both read (${common.length}):`);
console.log(row('omamori reader', oursCommon));
console.log(row('evtxexport -f xml', exportCommon));
console.log(`  ratio: ${(rate(oursCommon) / rate(exportCommon)).toFixed(1)}x the records/s of evtxexport (target >= 5x)`);

console.log(`\nOne file: ${SECURITY} (${(statSync(join(dir, SECURITY)).size / 1e6).toFixed(1)} MB):`);
const secOurs = ours([SECURITY]);
const secExport = external('evtxexport', ['-f', 'xml'], [SECURITY]);
console.log(row('omamori reader', secOurs));
console.log(row('evtxexport -f xml', secExport));
console.log(`  ratio vs evtxexport: ${(rate(secOurs) / rate(secExport)).toFixed(1)}x`);
if (!args.has('--no-python')) {
  const py = external('/usr/bin/python3', ['/usr/bin/evtx_dump.py'], [SECURITY]);
  console.log(row('evtx_dump.py (python3-evtx, this file only)', py));
  console.log(`  ratio vs evtx_dump.py: ${(rate(secOurs) / rate(py)).toFixed(0)}x (target >= 100x)`);
}

if (args.has('--expectations')) {
  const counts: Record<string, number> = {};
  const fails: Record<string, { evtxexport: number; reader: number; error: string }> = {};
  for (const f of files) {
    counts[f] = perFile.get(f) ?? 0;
    if (perFile.has(`!${f}`)) {
      const err = spawnSync('evtxexport', ['-f', 'xml', join(dir, f)], { encoding: 'utf8' }).stderr;
      fails[f] = { evtxexport: counts[f], reader: countEvtxRecords(join(dir, f)).records,
        error: (/libfwevt_[^\n.]*/.exec(err)?.[0] ?? err.split('\n')[0] ?? '').trim() };
    }
  }
  const out = new URL('../packages/evtx/test/evtxexport-counts.json', import.meta.url);
  const generator = 'evtxexport 20181227 (Debian libevtx-utils) -f xml FILE, counting <Event> elements; regenerate with: node --import tsx bench/evtx.ts --expectations';
  writeFileSync(out, JSON.stringify({ generator, counts, evtxexportFails: fails }, null, 0).replace(/,"/g, ',\n"') + '\n');
  console.log(`\nwrote ${out.pathname}`);
}
