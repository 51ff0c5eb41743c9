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

test('Sysmon 1 carries the working folder, and signatures Sysmon saw — valid, or checked and unsigned', () => {
  const { events } = mapAll([
    sysmon(7, { ProcessGuid: '{A}', ProcessId: '5', Image: 'C:\\x\\a.exe', ImageLoaded: 'C:\\Users\\u\\unsigned.exe', Signed: 'false', Signature: '', SignatureStatus: 'Unavailable' }),
    sysmon(1, { ProcessGuid: '{B}', ProcessId: '6', Image: 'C:\\Users\\u\\unsigned.exe', CurrentDirectory: 'C:\\Users\\u\\', CommandLine: 'unsigned.exe' }),
    sysmon(1, { ProcessGuid: '{C}', ProcessId: '7', Image: 'C:\\Users\\u\\never-loaded.exe' }),
  ]);
  const [a, b] = events.filter((e) => e.kind === 'process.start');
  assert.ok(a?.kind === 'process.start' && b?.kind === 'process.start');
  assert.equal(a.proc.cwd, 'C:\\Users\\u\\');
  assert.equal(a.proc.signed, false);
  assert.equal(a.proc.signer, undefined);
  assert.equal(b.proc.signed, undefined, 'never checked: the engine may say "unless signed"');
});

test('a folder only service accounts wrote in is not user space for what starts from it; a user write undoes it', () => {
  const t = (n: number) => 1000 + n;
  const { events } = mapAll([
    sysmon(1, { ProcessGuid: '{L}', ProcessId: '10', Image: 'C:\\Program Files\\Opera\\launcher.exe', User: 'NT AUTHORITY\\SYSTEM' }, t(1)),
    sysmon(11, { ProcessGuid: '{L}', ProcessId: '10', Image: 'C:\\Program Files\\Opera\\launcher.exe', TargetFilename: 'C:\\Windows\\Temp\\opera autoupdate\\installer.exe' }, t(2)),
    sysmon(1, { ProcessGuid: '{I}', ProcessId: '11', Image: 'C:\\Windows\\Temp\\opera autoupdate\\sub\\installer.exe', ParentProcessGuid: '{L}', ParentProcessId: '10' }, t(3)),
    sysmon(1, { ProcessGuid: '{U}', ProcessId: '12', Image: 'C:\\Windows\\explorer.exe', User: 'PC1\\alice' }, t(4)),
    sysmon(11, { ProcessGuid: '{U}', ProcessId: '12', Image: 'C:\\Windows\\explorer.exe', TargetFilename: 'C:\\Windows\\Temp\\opera autoupdate\\evil.exe' }, t(5)),
    sysmon(1, { ProcessGuid: '{J}', ProcessId: '13', Image: 'C:\\Windows\\Temp\\opera autoupdate\\installer.exe' }, t(6)),
    // A service account writing straight into a folder anyone may write in does not make it the system's.
    sysmon(11, { ProcessGuid: '{L}', ProcessId: '10', Image: 'C:\\Program Files\\Opera\\launcher.exe', TargetFilename: 'C:\\Windows\\Temp\\x.exe' }, t(7)),
    sysmon(1, { ProcessGuid: '{K}', ProcessId: '14', Image: 'C:\\Windows\\Temp\\x.exe' }, t(8)),
  ]);
  const starts = events.filter((e) => e.kind === 'process.start').map((e) => e.kind === 'process.start' && [e.proc.image.split('\\').pop(), e.proc.userSpace]);
  assert.deepEqual(starts.slice(1), [['installer.exe', false], ['explorer.exe', undefined], ['installer.exe', undefined], ['x.exe', undefined]]);
});

test('7045: %%VAR%% expanded; the command file carries what the log knows of it (Sysmon 6 signature)', () => {
  const { events } = mapAll([
    sysmon(6, { ImageLoaded: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{X}\\MpKsl1.sys', Signed: 'true', Signature: 'Microsoft Windows', SignatureStatus: 'Valid' }),
    rec('Service Control Manager', 'System', 7045, { ServiceName: 'MpKsl1', ImagePath: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{X}\\MpKsl1.sys' }, 2, 600),
    rec('Service Control Manager', 'System', 7045, { ServiceName: 'PSEXESVC', ImagePath: '%%SystemRoot%%\\PSEXESVC.exe' }, 3, 600),
  ]);
  const [a, b] = events;
  assert.ok(a?.kind === 'persistence.write' && b?.kind === 'persistence.write');
  assert.equal(a.commandFile?.signer, 'Microsoft Windows');
  assert.equal(a.commandFile?.path, 'C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{X}\\MpKsl1.sys');
  assert.equal(b.command, 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(b.commandFile, undefined);
});

test('reg add of an autostart value in a Security-only log is that write; with Sysmon 13 of it, it is not repeated', () => {
  const add = 'REG  ADD "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe" /t REG_SZ /v Debugger /d "C:\\windows\\system32\\cmd.exe" /f';
  const only = mapAll([sec(4688, { NewProcessId: '0x10', NewProcessName: 'C:\\Windows\\System32\\reg.exe', ProcessId: '0x4', CommandLine: add })]);
  assert.deepEqual(only.events.map((e) => e.kind), ['process.start', 'persistence.write']);
  const w = only.events[1]!;
  assert.ok(w.kind === 'persistence.write');
  assert.equal(w.location, 'debugger');
  assert.equal(w.target, 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger');
  assert.equal(w.command, 'C:\\windows\\system32\\cmd.exe');
  const both = mapAll([
    sec(4688, { NewProcessId: '0x10', NewProcessName: 'C:\\Windows\\System32\\reg.exe', ProcessId: '0x4', CommandLine: add }),
    sysmon(13, { EventType: 'SetValue', ProcessGuid: '{r}', ProcessId: '16', Image: 'C:\\Windows\\System32\\reg.exe', TargetObject: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger', Details: 'C:\\windows\\system32\\cmd.exe' }),
  ]);
  assert.equal(both.events.filter((e) => e.kind === 'persistence.write').length, 1);
  assert.equal(mapAll([sec(4688, { NewProcessId: '0x11', NewProcessName: 'C:\\Windows\\System32\\reg.exe', ProcessId: '0x4', CommandLine: 'reg add HKCU\\Software\\Foo /v Bar /d 1 /f' })]).stats.skipped['reg-add-not-autostart'], 1);
});

test('PowerShell 4103/800: scripts and launches; a start Sysmon logged is not repeated; no pid → the named host', () => {
  const ctx = (type: string, path: string, extra = '') => `        Host Application = C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\n        Host ID = 8c1f0a52-7a2b-4f0e-9e4a-1d2c3b4a5f60\n        Command Type = ${type}\n        Script Name = \n        Command Path = ${path}\n${extra}`;
  const ps = (id: number, data: Record<string, string>, execPid?: number) => rec('Microsoft-Windows-PowerShell', 'Microsoft-Windows-PowerShell/Operational', id, data, 10 + id, execPid);
  const { events, stats } = mapAll([
    sysmon(1, { ProcessGuid: '{P}', ProcessId: '900', Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CurrentDirectory: 'C:\\Users\\a\\Downloads\\' }, 1),
    ps(4103, { ContextInfo: ctx('Cmdlet', ''), Payload: 'CommandInvocation(Start-Process): "Start-Process"\nParameterBinding(Start-Process): name="FilePath"; value="C:\\Users\\a\\t.exe"\n' }, 900),
    ps(4103, { ContextInfo: ctx('ExternalScript', 'C:\\Users\\Public\\s.ps1'), Payload: '' }, 900),
    ps(4103, { ContextInfo: ctx('Application', 'C:\\Windows\\System32\\ipconfig.exe'), Payload: '' }, 900),
    sysmon(1, { ProcessGuid: '{Q}', ProcessId: '901', Image: 'C:\\Windows\\System32\\ipconfig.exe', ParentProcessGuid: '{P}', ParentProcessId: '900' }, 20),
    rec('PowerShell', 'Windows PowerShell', 800, { 0: '.\\run.exe', 1: '\tHostApplication=powershell.exe\n\tScriptName=\n\tCommandLine=.\\run.exe\n' }, 21, 900),
    ps(4103, { ContextInfo: ctx('ExternalScript', 'C:\\Users\\Public\\nopid.ps1'), Payload: '' }),
    ps(4103, { ContextInfo: ctx('Cmdlet', ''), Payload: 'CommandInvocation(Get-Date): "Get-Date"\n' }, 900),
  ]);
  const got = events.map((e) => e.kind === 'process.start' ? `start ${e.proc.image} <- ${e.parent?.guid ?? e.parent?.pid}`
    : e.kind === 'script.read' ? `script ${e.file.path} by ${e.proc.guid ?? e.proc.pid} ${e.proc.image ?? ''}` : e.kind);
  assert.deepEqual(got, [
    'start C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe <- 0',
    'start C:\\Users\\a\\t.exe <- {p}',
    'script C:\\Users\\Public\\s.ps1 by {p} C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    'start C:\\Windows\\System32\\ipconfig.exe <- {p}',
    'start C:\\Users\\a\\Downloads\\run.exe <- {p}',
    'script C:\\Users\\Public\\nopid.ps1 by powershell-host:8c1f0a52-7a2b-4f0e-9e4a-1d2c3b4a5f60 C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  ]);
  assert.equal(stats.skipped['launch-duplicates-process-start'], 1);
  assert.equal(stats.skipped['module-log-without-launch'], 1);
});
