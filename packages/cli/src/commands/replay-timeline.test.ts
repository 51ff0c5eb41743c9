// `omamori replay --format csv|jsonl` (timelines), --all-events, time zones (TZ, --utc), the filters (--from/--to
// with offsets, --computer, --rule, --min-severity), --recover and --jobs, run in-process through main().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReplayResult } from '@omamori/replay';
import { main } from '../main.ts';

function dataPath(rel: string): string {
  const root = resolve(process.env.OMAMORI_ROOT ?? new URL('../../../..', import.meta.url).pathname);
  const p = join(process.env.OMAMORI_DATA ?? join(root, '../shared/data'), rel);
  if (!existsSync(p)) throw new Error(`shared recording missing: ${p} (set OMAMORI_DATA)`);
  return p;
}
const rundll = () => dataPath('evtx-attack-samples/Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx');
const vbs = () => dataPath('evtx-attack-samples/Execution/sysmon_vbs_sharpshooter_stageless_meterpreter.evtx');

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '', err = '';
  const code = await main(args, env, { out: (s) => { out += s; }, err: (s) => { err += s; }, env });
  return { code, out, err };
}

/** Minimal RFC 4180 reader (quoted fields with commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) { if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') q = false; else field += c; continue; }
    if (c === '"') q = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r') continue;
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else field += c;
  }
  return rows;
}

test('--format csv: one row per stop in time order, in the zone of TZ, with technique, severity, parent and command line', async () => {
  const json = JSON.parse((await run(['replay', '--format', 'json', rundll(), vbs()])).out) as ReplayResult;
  const r = await run(['replay', '--format', 'csv', rundll(), vbs()], { TZ: 'Asia/Tokyo' });
  assert.equal(r.code, 1, r.err);
  const [head, ...rows] = parseCsv(r.out);
  assert.deepEqual(head!.slice(0, 7), ['time', 'computer', 'user', 'severity', 'rule', 'reason', 'technique']);
  assert.equal(rows.length, json.stats.blocks);
  const col = (name: string) => head!.indexOf(name);
  const times = rows.map((x) => x[col('time')]!);
  assert.ok(times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00$/.test(t)), times.join(' '));
  assert.deepEqual(times, [...times].sort());
  const wscript = rows.find((x) => x[col('process')]!.endsWith('wscript.exe'))!;
  assert.equal(wscript[col('technique')], 'T1059.005');
  assert.equal(wscript[col('severity')], 'critical');
  assert.equal(wscript[col('rule')], 'guarded.children');
  assert.equal(wscript[col('computer')], 'IEWIN7');
  assert.equal(wscript[col('user')], 'IEWIN7\\IEUser');
  assert.match(wscript[col('parent')]!, /iexplore\.exe$/);
  assert.match(wscript[col('commandLine')]!, /WScript\.exe" "C:\\Users\\IEUser\\.*updatevbs\.vbs"/);
  assert.equal(wscript[col('record')], 'sysmon_vbs_sharpshooter_stageless_meterpreter.evtx#3');
  assert.equal(wscript[col('time')], '2019-06-15T16:22:05.660+09:00');
  const utc = await run(['replay', '--format', 'csv', '--utc', vbs()], { TZ: 'Asia/Tokyo' });
  assert.match(utc.out, /\n2019-06-15T07:22:05\.660Z,IEWIN7,/);
  const ja = await run(['replay', '--format', 'csv', '--lang', 'ja', vbs()]);
  assert.match(ja.out, /コマンド・スクリプトインタープリター: Visual Basic/);
});

test('--format jsonl and --all-events: every mapped event, allowed ones too', async () => {
  const stops = (await run(['replay', '--format', 'jsonl', vbs()])).out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const all = (await run(['replay', '--format', 'jsonl', '--all-events', vbs()])).out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(stops.length >= 1 && all.length > stops.length, `${stops.length} / ${all.length}`);
  assert.ok(all.some((x) => x.verdict === 'allow' && x.severity === 'info' && x.technique === ''));
  assert.deepEqual(all.filter((x) => x.verdict !== 'allow').map((x) => x.record), stops.map((x) => x.record));
  assert.equal((await run(['replay', '--all-events', vbs()])).code, 2, '--all-events needs a timeline format');
});

test('filters: --from/--to with offsets, --computer, --rule, --min-severity (and bad values named)', async () => {
  const base = ['replay', '--format', 'jsonl', rundll(), vbs()];
  const all = (await run(base)).out.trimEnd().split('\n').map((l) => JSON.parse(l) as { time: string; rule: string; record: string });
  assert.ok(all.length >= 2);
  // The two recordings are weeks apart: a window around the wscript stop, given in +09:00, keeps only it.
  const only = await run([...base, '--from', '2019-06-15T16:00:00+09:00', '--to', '2019-06-15T08:00:00Z']);
  const kept = only.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { record: string });
  assert.deepEqual(kept.map((x) => x.record), ['sysmon_vbs_sharpshooter_stageless_meterpreter.evtx#3']);
  assert.equal((await run([...base, '--to', '2019-05-01'])).out, '');
  assert.equal((await run([...base, '--to', '2019-05-01'])).code, 0, 'nothing stopped in the window: exit 0');
  assert.equal((await run([...base, '--computer', 'iewin7.example.com'])).out.trimEnd().split('\n').length, all.length);
  assert.equal((await run([...base, '--computer', 'DC1'])).out, '');
  const rule = await run([...base, '--rule', 'launch.*,guarded.children']);
  assert.equal(rule.out.trimEnd().split('\n').length, all.filter((x) => x.rule.startsWith('launch.') || x.rule === 'guarded.children').length);
  assert.equal((await run([...base, '--min-severity', 'critical'])).out.trimEnd().split('\n').length,
    all.filter((x) => (x as unknown as { severity: string }).severity === 'critical').length);
  const json = JSON.parse((await run(['replay', '--format', 'json', '--rule', 'guarded.children', rundll(), vbs()])).out) as ReplayResult;
  assert.ok(json.rules.every((x) => x.rule === 'guarded.children') && json.stops.every((x) => x.rule === 'guarded.children'));
  for (const [args, msg] of [
    [['--from', 'yesterday'], /--from must be an ISO 8601 time/],
    [['--to', '2019-02-30'], /--to must be an ISO 8601 time/],
    [['--from', '2020-01-02', '--to', '2020-01-01'], /--from is after --to/],
    [['--min-severity', 'urgent'], /--min-severity must be one of info, low, medium, high, critical/],
    [['--jobs', 'x'], /--jobs must be a whole number/],
  ] as const) {
    const r = await run([...base, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, msg);
  }
  const badTz = await run([...base], { TZ: 'Mars/Olympus' });
  assert.equal(badTz.code, 2);
  assert.match(badTz.err, /time zone TZ='Mars\/Olympus' is not known/);
});

test('--recover replays slack-space records, marked; --jobs 2 gives the same report', async () => {
  const f = dataPath('evtx-attack-samples/Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.evtx');
  const plain = JSON.parse((await run(['replay', '--format', 'json', f])).out) as ReplayResult;
  const rec = JSON.parse((await run(['replay', '--format', 'json', '--recover', f])).out) as ReplayResult;
  assert.equal(plain.stats.records, 6);
  assert.equal(rec.stats.records, 77);
  assert.equal(rec.stats.recovered, 71);
  const one = (await run(['replay', '--format', 'json', '--jobs', '1', rundll(), vbs()])).out;
  const two = (await run(['replay', '--format', 'json', '--jobs', '2', rundll(), vbs()])).out;
  assert.equal(two, one);
});
