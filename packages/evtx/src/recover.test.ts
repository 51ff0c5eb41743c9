// Recovery (`recover`): records left in slack space, checked against libevtx. Record headers found in slack equal
// evtxinfo's "Number of recovered records" on every corpus file (stored expectations), and every complete,
// well-formed record that `evtxexport -m recovered` prints is found, identical, among the reader's recovered ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { countEvtxRecords, readEvtxFile, recordToXml } from './index.ts';
import { dataDir, listEvtxFiles } from '../test/data-dir.ts';

const expected = JSON.parse(readFileSync(new URL('../test/evtxexport-counts.json', import.meta.url), 'utf8')) as { recovered: Record<string, number> };

test('record headers found in slack space equal libevtx\'s recovered count on every corpus file', () => {
  const dir = dataDir();
  const wrong: string[] = [];
  let candidates = 0, decoded = 0;
  for (const f of listEvtxFiles(dir)) {
    const c = countEvtxRecords(join(dir, f), { recover: true });
    const found = c.recovered + c.stats.unrecoverable;
    candidates += found;
    decoded += c.recovered;
    if (found !== (expected.recovered[f] ?? 0)) wrong.push(`${f}: ${found} (evtxinfo ${expected.recovered[f] ?? 0})`);
  }
  assert.deepEqual(wrong, []);
  assert.equal(candidates, 25793);
  assert.ok(decoded > 3000 && decoded < candidates, `${decoded} decoded`);
});

test('a cleared log: 6 live records and 71 earlier ones in slack, recovered with their ids and marked', () => {
  const f = join(dataDir(), 'evtx-attack-samples/Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.evtx');
  const recs = [...readEvtxFile(f, { recover: true })];
  const live = recs.filter((r) => !r.recovered);
  const old = recs.filter((r) => r.recovered);
  assert.deepEqual(live.map((r) => r.recordId), [1, 2, 3, 4, 5, 6]);
  assert.equal(old.length, 71);
  assert.equal(old[0]!.recordId, 1682);
  assert.ok(old.every((r) => r.system.Channel === 'System' && r.offset > live[5]!.offset), 'slack records come after the live ones');
  assert.equal([...readEvtxFile(f)].length, 6, 'not read without recover');
});

function normalise(xml: string): string {
  return xml.replace(/<(\w+)([^<>]*[^/<>])>\s+<\/\1>/g, '<$1$2/>').replace(/(\.\d{7})00Z/g, '$1Z').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim();
}

/** evtxexport prints slack records whose templates were overwritten (garbage names) and cut ones; keep the rest. */
function wellFormed(xml: string): boolean {
  if (!xml.startsWith('<Event ') || !xml.endsWith('</Event>') || !/<Provider Name="[^"]+"/.test(xml)) return false;
  for (let i = xml.indexOf('<'); i >= 0; i = xml.indexOf('<', i + 1)) if (!/^<\/?[A-Za-z_][\w.:-]*[\s/>]/.test(xml.slice(i, i + 200))) return false;
  for (const m of xml.matchAll(/<[A-Za-z_][\w.:-]*((?:\s[^<>]*?)?)\/?>/g)) {
    if (m[1]!.replace(/\s[A-Za-z_][\w.:-]*="[^"]*"/g, '').trim() !== '') return false;
  }
  return true;
}

const haveEvtxexport = spawnSync('evtxexport', ['-V'], { encoding: 'utf8' }).status === 0;

test('every well-formed record of evtxexport -m recovered is among the recovered ones, identical', { skip: !haveEvtxexport && 'evtxexport not installed (apt libevtx-utils)' }, () => {
  const dir = dataDir();
  const key = (x: string) => (/<EventRecordID>(\d+)/.exec(x)?.[1] ?? '') + (/SystemTime="([^"]+)"/.exec(x)?.[1] ?? '');
  let files = 0, theirs = 0, matched = 0;
  const missing: string[] = [];
  for (const f of Object.keys(expected.recovered)) {
    const r = spawnSync('evtxexport', ['-m', 'recovered', '-f', 'xml', join(dir, f)], { maxBuffer: 1 << 28, encoding: 'utf8' });
    const printed = r.stdout.split(/\n(?=<Event )/).slice(1).map(normalise).filter(wellFormed);
    if (printed.length === 0) continue;
    files++;
    const ours = new Map([...readEvtxFile(join(dir, f), { recover: true })].filter((x) => x.recovered)
      .map((x) => normalise(recordToXml(x)).replace(/\n {2}<RenderingInfo[^]*<\/RenderingInfo>/, '')).map((x) => [key(x), x]));
    for (const t of printed) {
      theirs++;
      if (ours.get(key(t)) === t) matched++;
      else if (missing.length < 5) missing.push(`${f}: ${t.slice(0, 300)}`);
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(files > 50 && matched === theirs && theirs > 1000, `${files} files, ${matched} of ${theirs}`);
});
