// The Windows → event-model mapping on hand-made records: each Sysmon/Security/System/PowerShell shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRegistry, createWindowsMapper, expandCommand, taskCommand, type WinRecord } from '@omamori/replay';

function rec(provider: string, channel: string, eventId: number, data: Record<string, string>, time = 1000, execPid?: number): WinRecord {
  const r: WinRecord = { provider, channel, eventId, computer: 'PC1', time, data, where: `t#${eventId}` };
  if (execPid !== undefined) r.execPid = execPid;
  return r;
}
const sysmon = (id: number, data: Record<string, string>, time?: number) => rec('Microsoft-Windows-Sysmon', 'Microsoft-Windows-Sysmon/Operational', id, data, time);
const sec = (id: number, data: Record<string, string>, time?: number) => rec('Microsoft-Windows-Security-Auditing', 'Security', id, data, time);

function mapAll(records: WinRecord[]) {
  const m = createWindowsMapper();
  const kept = records.filter((r) => m.observe(r));
  return { events: kept.flatMap((r) => m.map(r)), stats: m.stats };
}

test('Sysmon 1: process.start with guid lineage, sha256, user, command line, signer learned from Sysmon 7', () => {
  const { events } = mapAll([
    sysmon(7, { ProcessGuid: '{A}', ProcessId: '5', Image: 'C:\\x\\app.exe', ImageLoaded: 'C:\\Users\\u\\tool.exe', Signed: 'true', Signature: 'Contoso', SignatureStatus: 'Valid' }),
    sysmon(1, { ProcessGuid: '{B-1}', ProcessId: '42', Image: 'C:\\Users\\u\\tool.exe', CommandLine: 'tool.exe -x', User: 'PC1\\u',
      Hashes: 'SHA1=00,SHA256=' + 'AB'.repeat(32), ParentProcessGuid: '{P-1}', ParentProcessId: '7', ParentImage: 'C:\\Windows\\explorer.exe' }),
  ]);
  const start = events.find((e) => e.kind === 'process.start');
  assert.ok(start && start.kind === 'process.start');
  assert.equal(start.proc.guid, '{b-1}');
  assert.equal(start.proc.sha256, 'ab'.repeat(32));
  assert.equal(start.proc.signer, 'Contoso');
  assert.equal(start.proc.user, 'PC1\\u');
  assert.equal(start.parent?.guid, '{p-1}');
  assert.equal(start.ancestors?.[0]?.image, 'C:\\Windows\\explorer.exe');
});

test('Sysmon 10: GrantedAccess bits decide memory-read/write; query-only access is skipped', () => {
  const a = (g: string) => sysmon(10, { SourceProcessGUID: '{s}', SourceProcessId: '1', SourceImage: 'a.exe', TargetProcessGUID: '{t}', TargetProcessId: '2', TargetImage: 'C:\\Windows\\System32\\lsass.exe', GrantedAccess: g });
  const { events, stats } = mapAll([a('0x1010'), a('0x1FFFFF'), a('0x1000')]);
  assert.deepEqual(events.map((e) => e.kind === 'process.access' && e.access), ['memory-read', 'memory-write']);
  assert.equal(stats.skipped['process-access-query-only'], 1);
});

test('Sysmon 8 → inject; 15 Zone.Identifier → file create of the downloaded file; 23 → delete', () => {
  const { events } = mapAll([
    sysmon(8, { SourceProcessGuid: '{s}', SourceProcessId: '1', SourceImage: 'a.exe', TargetProcessGuid: '{t}', TargetProcessId: '2', TargetImage: 'b.exe' }),
    sysmon(15, { ProcessGuid: '{s}', ProcessId: '1', Image: 'chrome.exe', TargetFilename: 'C:\\Users\\u\\Downloads\\x.exe:Zone.Identifier' }),
    sysmon(23, { ProcessGuid: '{s}', ProcessId: '1', Image: 'a.exe', TargetFilename: 'C:\\x.txt' }),
  ]);
  assert.equal(events[0]?.kind === 'process.access' && events[0].access, 'inject');
  assert.equal(events[1]?.kind === 'file.access' && events[1].file.path, 'C:\\Users\\u\\Downloads\\x.exe');
  assert.equal(events[2]?.kind === 'file.access' && events[2].op, 'delete');
});

test('registry: Run/Services values are autostart, IFEO debuggers and Winlogon entries system hooks; other keys are counted, not mapped', () => {
  assert.equal(classifyRegistry('HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater')?.location, 'registry-run');
  assert.equal(classifyRegistry('HKLM\\System\\CurrentControlSet\\Services\\evil\\ImagePath')?.location, 'service');
  assert.equal(classifyRegistry('\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger')?.location, 'debugger');
  assert.equal(classifyRegistry('HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Userinit')?.location, 'logon');
  assert.equal(classifyRegistry('HKLM\\System\\CurrentControlSet\\Services\\evil\\Start'), undefined);
  assert.equal(classifyRegistry('HKU\\S-1-5-21-1\\Software\\Microsoft\\Office\\16.0\\Common'), undefined);
  const { events, stats } = mapAll([
    sysmon(13, { EventType: 'SetValue', ProcessGuid: '{s}', ProcessId: '1', Image: 'reg.exe', TargetObject: 'HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x', Details: '%APPDATA%\\x.exe' }),
    sysmon(13, { EventType: 'SetValue', ProcessGuid: '{s}', ProcessId: '1', Image: 'reg.exe', TargetObject: 'HKLM\\Software\\Foo\\Bar', Details: 'DWORD (0x00000001)' }),
  ]);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.kind === 'persistence.write' && events[0].command, 'C:\\Users\\user\\AppData\\Roaming\\x.exe');
  assert.equal(stats.skipped['registry-not-autostart'], 1);
});

test('Security 4688 without Sysmon: lineage by pid and time; 4689 ends it; unknown parents become placeholders', () => {
  const { events } = mapAll([
    sec(4688, { NewProcessId: '0x10', NewProcessName: 'C:\\Windows\\System32\\cmd.exe', ProcessId: '0x4', ParentProcessName: 'C:\\Program Files\\Microsoft Office\\WINWORD.EXE', CommandLine: 'cmd /c x' }, 1000),
    sec(4688, { NewProcessId: '0x20', NewProcessName: 'C:\\Windows\\System32\\whoami.exe', ProcessId: '0x10' }, 2000),
    sec(4689, { ProcessId: '0x20', ProcessName: 'C:\\Windows\\System32\\whoami.exe' }, 3000),
  ]);
  const [a, b, c] = events;
  assert.ok(a?.kind === 'process.start' && b?.kind === 'process.start' && c?.kind === 'process.exit');
  assert.equal(a.ancestors?.[0]?.image, 'C:\\Program Files\\Microsoft Office\\WINWORD.EXE');
  assert.equal(a.proc.commandLine, 'cmd /c x');
  assert.deepEqual({ pid: b.parent?.pid, start: b.parent?.start }, { pid: 16, start: 1000 });
  assert.deepEqual({ pid: c.proc.pid, start: c.proc.start }, { pid: 32, start: 2000 });
});

test('Security 4688 that repeats a Sysmon 1 is skipped', () => {
  const { events, stats } = mapAll([
    sysmon(1, { ProcessGuid: '{b}', ProcessId: '16', Image: 'C:\\Windows\\System32\\cmd.exe' }),
    sec(4688, { NewProcessId: '0x10', NewProcessName: 'C:\\Windows\\System32\\cmd.exe', ProcessId: '0x4' }),
  ]);
  assert.equal(events.length, 1);
  assert.equal(stats.skipped['security-duplicates-sysmon'], 1);
});

test('4698 scheduled task and 7045 service carry their command; PowerShell 4104 script path / inline', () => {
  const xml = '<Task><Actions><Exec><Command>C:\\Users\\Public\\a.exe</Command><Arguments>-q &quot;x&quot;</Arguments></Exec></Actions></Task>';
  assert.equal(taskCommand(xml), 'C:\\Users\\Public\\a.exe -q "x"');
  const { events, stats } = mapAll([
    sec(4698, { TaskName: '\\T', TaskContent: xml }, 1),
    rec('Service Control Manager', 'System', 7045, { ServiceName: 'svc', ImagePath: '%SystemRoot%\\x.sys' }, 2, 600),
    rec('Microsoft-Windows-PowerShell', 'Microsoft-Windows-PowerShell/Operational', 4104, { MessageNumber: '1', ScriptBlockId: 'ID', Path: 'C:\\Users\\u\\a.ps1', ScriptBlockText: 'x' }, 3, 900),
    rec('Microsoft-Windows-PowerShell', 'Microsoft-Windows-PowerShell/Operational', 4104, { MessageNumber: '1', ScriptBlockId: 'ID2', ScriptBlockText: 'iex x' }, 4, 900),
    rec('Microsoft-Windows-PowerShell', 'Microsoft-Windows-PowerShell/Operational', 4104, { MessageNumber: '2', ScriptBlockId: 'ID2', ScriptBlockText: 'rest' }, 5, 900),
    rec('Microsoft-Windows-Kernel-General', 'System', 12, {}, 6),
  ]);
  assert.deepEqual(events.map((e) => e.kind), ['persistence.write', 'persistence.write', 'script.read', 'script.read']);
  assert.equal(events[1]?.kind === 'persistence.write' && events[1].command, 'C:\\Windows\\x.sys');
  assert.equal(events[3]?.kind === 'script.read' && events[3].file.path, 'inline:powershell:id2');
  assert.equal(stats.skipped['script-block-continuation'], 1);
  assert.equal(stats.unmapped['System/12'], 1);
  assert.equal(expandCommand('\\SystemRoot\\System32\\drivers\\x.sys'), 'C:\\Windows\\System32\\drivers\\x.sys');
});
