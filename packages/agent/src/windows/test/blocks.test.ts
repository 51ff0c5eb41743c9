// Block events read back into the event model, from hand-written fixtures shaped as Windows renders them (sources
// in fixtures/README.md): XML (ToXml / wevtutil) and Get-WinEvent | ConvertTo-Json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEvent } from '@omamori/policy';
import { blocksQuery, parseWindowsBlocks, readWindowsBlocks } from '../blocks.ts';
import { createPowerShell } from '../powershell.ts';
import { here } from './helpers.ts';

const fixture = (n: string) => readFileSync(join(here, 'fixtures', n), 'utf8');

test('Code Integrity 3077 + 3089: a blocked DLL load with hash, policy and the signer joined by ActivityID', () => {
  const r = parseWindowsBlocks(fixture('ci-3077.xml'), 'ci-3077.xml');
  assert.deepEqual(r.problems, []);
  assert.equal(r.blocks.length, 2);
  const [dll, exe] = r.blocks;
  assert.equal(dll!.verdict, 'deny');
  assert.equal(dll!.reason, 'USER_SPACE_LIBRARY');
  assert.equal(dll!.rule, 'app-control:omamori office');
  assert.equal(dll!.event.kind, 'module.load');
  if (dll!.event.kind !== 'module.load') return;
  assert.equal(dll!.event.file.path, '\\Device\\HarddiskVolume3\\Users\\sato\\AppData\\Local\\Temp\\qzw.dll');
  assert.equal(dll!.event.file.sha256, 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789');
  assert.equal(dll!.event.file.signer, 'Fake Loader Co');
  assert.equal(dll!.event.file.userSpace, true);
  assert.equal(dll!.event.proc.pid, 6120);
  assert.equal(dll!.event.time, Date.parse('2026-03-02T09:14:07.513Z'));
  assert.equal(exe!.verdict, 'audit-deny');
  assert.equal(exe!.event.kind, 'process.start');
  for (const b of r.blocks) assert.equal(checkEvent(b.event), undefined, JSON.stringify(b.event));
});

test('AppLocker 8004 (EXE) and 8029 (script enforcement)', () => {
  const r = parseWindowsBlocks(fixture('applocker.xml'), 'applocker.xml');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.blocks.map((b) => [b.verdict, b.mechanism, b.event.kind, b.reason]), [
    ['deny', 'applocker', 'process.start', 'USER_SPACE_EXEC'],
    ['deny', 'app-control-script', 'script.read', 'USER_SPACE_SCRIPT'],
  ]);
  const exe = r.blocks[0]!.event;
  assert.ok(exe.kind === 'process.start' && exe.proc.image === 'C:\\Users\\sato\\Downloads\\setup.exe' && exe.parent?.pid === 5150);
  const script = r.blocks[1]!.event;
  assert.ok(script.kind === 'script.read' && script.file.sha256 === 'e'.repeat(64) && script.proc.pid === 7312);
  for (const b of r.blocks) assert.equal(checkEvent(b.event), undefined);
});

test('Defender 1121 (Office child), 1122 (LSASS, audit) and 1123 (Controlled Folder Access)', () => {
  const r = parseWindowsBlocks(fixture('defender.xml'), 'defender.xml');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.blocks.map((b) => [b.verdict, b.rule, b.event.kind, b.reason]), [
    ['deny', 'asr:d4f940ab-401b-4efc-aadc-ad5f3c50688a', 'process.start', 'GUARDED_CHILD_DENIED'],
    ['audit-deny', 'asr:9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2', 'process.access', 'GUARDED_PROCESS_ACCESS'],
    ['deny', 'cfa', 'file.access', 'GUARDED_WRITE_PROTECTED'],
  ]);
  const child = r.blocks[0]!.event;
  assert.ok(child.kind === 'process.start' && child.proc.commandLine === 'powershell -enc SQBFAFgA');
  assert.equal(child.kind === 'process.start' && child.ancestors?.[0]?.image, 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE');
  for (const b of r.blocks) assert.equal(checkEvent(b.event), undefined);
});

test('Get-WinEvent | ConvertTo-Json: positional properties named by the template, byte arrays as hex', () => {
  const r = parseWindowsBlocks(fixture('get-winevent.json'), 'get-winevent.json');
  assert.deepEqual(r.problems, []);
  assert.equal(r.blocks.length, 2);
  const dll = r.blocks[0]!;
  assert.ok(dll.event.kind === 'module.load' && dll.event.file.sha256 === 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789');
  assert.equal(dll.event.time, 1772442847513);
  assert.equal(dll.rule, 'app-control:omamori office');
  assert.equal(r.blocks[1]!.rule, 'asr:26190899-1602-49e8-8b27-eb1d0a1ce869');
});

test('bad input is reported with where it is, never thrown', () => {
  assert.match(parseWindowsBlocks('{"Id": 1121', 'x.json').problems[0]!.message, /not JSON/);
  assert.deepEqual(parseWindowsBlocks('<Events></Events>', 'e.xml').problems, [{ where: 'e.xml', message: 'no <Event> element found' }]);
  const short = JSON.stringify([{ Id: 1123, ProviderName: 'Microsoft-Windows-Windows Defender', Properties: [{ Value: 'x' }] }]);
  assert.match(parseWindowsBlocks(short, 's.json').problems[0]!.message, /1 properties, layout has 8/);
});

test('readWindowsBlocks runs wevtutil through the door and maps the event XML it prints', async () => {
  // wevtutil qe /f:xml prints the <Event> elements one after another, one log after the other
  const out = ['ci-3077.xml', 'applocker.xml', 'defender.xml'].map((f) => fixture(f).replace(/<\/?Events>/g, '')).join('\r\n');
  const ps = createPowerShell({ mode: 'record', respond: () => ({ stdout: out, stderr: '', code: 0 }) });
  const r = await readWindowsBlocks(ps, { sinceMs: Date.parse('2026-03-01T00:00:00Z') });
  assert.ok(r.blocks.length >= 5, `${r.blocks.length} blocks`);
  assert.deepEqual(r.problems, []);
  const q = ps.calls[0]!.script;
  assert.equal(q, blocksQuery(Date.parse('2026-03-01T00:00:00Z'), undefined));
  assert.ok(q.includes("wevtutil.exe qe 'Microsoft-Windows-CodeIntegrity/Operational' '/q:*[System[(EventID=3076 or EventID=3077 or EventID=3089) and TimeCreated[@SystemTime>=''2026-03-01T00:00:00.000Z'']]]' /f:xml /rd:true /c:1000"));
  assert.doesNotMatch(q, /ToXml|Get-WinEvent|\[DateTimeOffset\]/, 'nothing Constrained Language Mode refuses');
  const none = await readWindowsBlocks(createPowerShell({ mode: 'record', respond: () => ({ stdout: '\r\n', stderr: '', code: 0 }) }), {});
  assert.deepEqual(none, { blocks: [], problems: [] });
  const failed = await readWindowsBlocks(createPowerShell({ mode: 'record', respond: () => ({ stdout: '', stderr: 'wevtutil failed (exit code 5)', code: 1 }) }), {});
  assert.match(failed.problems[0]!.message, /exit code 5/);
});
