// Timeline pieces: ISO times with offsets and zones, the time formatter (TZ zones with DST, UTC), the row filter,
// CSV quoting and the rule → ATT&CK technique/severity table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyStop, createRowFilter, createTimeFormatter, csvHeader, parseIsoTime, RULE_ATTACK, rowToCsv, SEVERITY_LABEL, sortRows,
  TECHNIQUES, techniqueName, type TimelineRow,
} from '@omamori/replay';

test('ISO times: offsets, Z, zones for times without offset, dates as whole days, nonsense refused', () => {
  const utc = { utc: true } as const;
  const tokyo = { timeZone: 'Asia/Tokyo' };
  assert.equal(parseIsoTime('2020-09-04T12:00:00+09:00', utc), Date.UTC(2020, 8, 4, 3));
  assert.equal(parseIsoTime('2020-09-04T12:00:00-0530', utc), Date.UTC(2020, 8, 4, 17, 30));
  assert.equal(parseIsoTime('2020-09-04T03:00:00.250Z', tokyo), Date.UTC(2020, 8, 4, 3, 0, 0, 250));
  assert.equal(parseIsoTime('2020-09-04 12:00', tokyo), Date.UTC(2020, 8, 4, 3));
  assert.equal(parseIsoTime('2020-09-04T12:00', utc), Date.UTC(2020, 8, 4, 12));
  assert.equal(parseIsoTime('2020-09-04', tokyo), Date.UTC(2020, 8, 3, 15));
  assert.equal(parseIsoTime('2020-09-04', utc, true), Date.UTC(2020, 8, 5) - 1);
  // New York: wall times on both sides of the DST change.
  const ny = { timeZone: 'America/New_York' };
  assert.equal(parseIsoTime('2021-03-13T12:00', ny), Date.UTC(2021, 2, 13, 17));
  assert.equal(parseIsoTime('2021-03-15T12:00', ny), Date.UTC(2021, 2, 15, 16));
  for (const bad of ['yesterday', '2020-13-01', '2021-02-30', '2020-09-04T25:00', '2020-09-04T12:00+19:00', '']) {
    assert.equal(parseIsoTime(bad, utc), undefined, bad);
  }
});

test('time formatter: the zone of TZ with its offset (DST included), or UTC', () => {
  const t = Date.UTC(2020, 8, 4, 3, 4, 5, 67);
  assert.equal(createTimeFormatter({ timeZone: 'Asia/Tokyo' })(t), '2020-09-04T12:04:05.067+09:00');
  assert.equal(createTimeFormatter({ utc: true })(t), '2020-09-04T03:04:05.067Z');
  assert.equal(createTimeFormatter({ timeZone: 'America/New_York' })(t), '2020-09-03T23:04:05.067-04:00');
  assert.equal(createTimeFormatter({ timeZone: 'America/New_York' })(Date.UTC(2020, 0, 4, 3)), '2020-01-03T22:00:00.000-05:00');
  assert.equal(createTimeFormatter({ timeZone: 'Asia/Kolkata' })(t), '2020-09-04T08:34:05.067+05:30');
  assert.equal(createTimeFormatter({ utc: true })(undefined), '');
});

function row(over: Partial<TimelineRow>): TimelineRow {
  return {
    time: Date.UTC(2020, 8, 4, 3), computer: 'WS5', user: 'u', severity: 'high', verdict: 'deny', rule: 'launch.user-space',
    reason: 'USER_SPACE_EXEC', technique: 'T1204.002', kind: 'process.start', process: 'C:\\a.exe', parent: '', commandLine: '',
    object: '', recording: 'r', record: 'r#1', recovered: false, unlessSigned: false, ...over,
  };
}

test('row filter: time window, computers (short, any case), rules with prefixes, lowest severity', () => {
  assert.equal(createRowFilter({}), undefined);
  const f = createRowFilter({ from: Date.UTC(2020, 8, 4), to: Date.UTC(2020, 8, 5), computers: ['ws5.theshire.local'], rules: ['launch.*', 'guarded.children'], minSeverity: 'high' })!;
  assert.equal(f(row({})), true);
  assert.equal(f(row({ time: Date.UTC(2020, 8, 6) })), false);
  assert.equal(f(row({ time: undefined })), false);
  assert.equal(f(row({ computer: 'DC1' })), false);
  assert.equal(f(row({ rule: 'guarded.children', severity: 'critical' })), true);
  assert.equal(f(row({ rule: 'guarded.process', severity: 'critical' })), false);
  assert.equal(f(row({ severity: 'medium' })), false);
});

test('CSV rows: RFC 4180 quoting, a header naming every column; rows sort by time', () => {
  const line = rowToCsv(row({ commandLine: '"C:\\x.exe" /a,b\nc' }), createTimeFormatter({ utc: true }), 'en');
  assert.ok(line.endsWith('\r\n'));
  assert.ok(line.includes(',"""C:\\x.exe"" /a,b\nc",'), line);
  assert.equal(csvHeader(), 'time,computer,user,severity,rule,reason,technique,techniqueName,process,parent,commandLine,object,recording,record,recovered,unlessSigned,verdict,kind\r\n');
  const sorted = sortRows([row({ time: 3, record: 'a' }), row({ time: 1, record: 'b' }), row({ time: undefined, record: 'c' }), row({ time: 2, record: 'd' })]);
  assert.deepEqual(sorted.map((r) => r.record), ['b', 'c', 'd', 'a'], 'a row without time stays after its predecessor');
});

test('ATT&CK table: every rule names a known technique and severity, refined by what was started or written', () => {
  for (const [rule, e] of Object.entries(RULE_ATTACK)) {
    for (const t of [e.technique, ...(e.refine ?? []).map((r) => r.technique)]) {
      assert.ok(TECHNIQUES[t]?.en && TECHNIQUES[t]?.ja, `${rule}: ${t} has ja/en names`);
    }
    assert.ok(SEVERITY_LABEL[e.severity].ja);
  }
  const c = (rule: string, image: string, object?: string, location?: string) => classifyStop({ rule, kind: 'process.start', image, object, location });
  assert.deepEqual(c('guarded.children', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'), { technique: 'T1059.001', severity: 'critical' });
  assert.deepEqual(c('guarded.children', 'C:\\Windows\\System32\\notepad.exe'), { technique: 'T1059', severity: 'critical' });
  assert.deepEqual(c('launch.user-space-library', 'C:\\Windows\\System32\\rundll32.exe', 'C:\\Users\\a\\x.dll'), { technique: 'T1218.011', severity: 'high' });
  assert.deepEqual(c('launch.user-space-script', 'C:\\Windows\\System32\\wscript.exe', 'C:\\Users\\a\\Temp\\x.VBS'), { technique: 'T1059.005', severity: 'high' });
  assert.deepEqual(c('persistence.user-space-code', 'C:\\x.exe', undefined, 'scheduled-task'), { technique: 'T1053.005', severity: 'high' });
  assert.deepEqual(c('guarded.process', 'C:\\p.exe', 'C:\\Windows\\System32\\lsass.exe'), { technique: 'T1003.001', severity: 'critical' });
  assert.deepEqual(c('launch.system-space', 'C:\\Windows\\x.exe'), { technique: '', severity: 'info' });
  assert.equal(techniqueName('T1059.001', 'ja'), 'コマンド・スクリプトインタープリター: PowerShell');
  assert.equal(techniqueName('T9999', 'en'), 'T9999');
});
