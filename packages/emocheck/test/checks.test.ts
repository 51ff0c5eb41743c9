// Each check on its fixtures (infected and clean), plus the edges of its rule: scenario = snapshot + expected findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseSnapshot, classifyUserSpace, commandTargets, v5Timestomped, type Snapshot } from '../src/index.ts';
import { checkV3, checkV4, checkV5 } from '../src/emocheck-v3-v5.ts';
import { looksRandomFolder, looksRandomName } from '../src/autostart-checks.ts';
import { loadFixture } from './helpers.ts';


const scenarios: [string, 'infected' | 'clean', string[]][] = [
  ['clean.json', 'clean', []],
  ['v1-infected.json', 'infected', ['V1_PROCESS']],
  ['v2-infected.json', 'infected', ['V2_PROCESS']],
  ['v2-registry-only.json', 'clean', ['V2_REGISTRY']],
  ['v3-infected.json', 'infected', ['V3_PROCESS']],
  ['v3-persisted.json', 'infected', ['V3_PERSISTED']],
  ['v4-infected.json', 'infected', ['V4_PROCESS']],
  ['v4-admin-infected.json', 'infected', ['V4_PROCESS']],
  ['v5-infected.json', 'infected', ['V5_PROCESS']],
  ['loader2022-infected.json', 'infected', ['LOADER2022_AUTOSTART']],
  ['loader2022-service.json', 'infected', ['LOADER2022_AUTOSTART']],
  ['userspace-review.json', 'clean', ['USERSPACE_AUTOSTART', 'USERSPACE_AUTOSTART', 'USERSPACE_AUTOSTART', 'USERSPACE_AUTOSTART']],
  // issue 14 item 12: running loaders with no autostart entry, and a DLL one folder deeper
  ['loader2022-process.json', 'infected', ['LOADER2022_PROCESS']],
  ['loader2022-programdata-process.json', 'infected', ['LOADER2022_PROCESS']],
  ['loader2022-deeper.json', 'infected', ['LOADER2022_AUTOSTART']],
  // item 13: vendor folders with rundll32 …,Start (and one with DllRegisterServer) are review, never infected
  ['vendor-rundll32.json', 'clean', ['LOADER_DLL_REVIEW', 'LOADER_DLL_REVIEW', 'LOADER_DLL_REVIEW', 'LOADER_DLL_REVIEW', 'LOADER_DLL_REVIEW', 'LOADER_DLL_REVIEW']],
];
for (const [file, verdict, expected] of scenarios) {
  test(`${file}: ${verdict}, findings ${expected.join(', ') || 'none'}`, () => {
    const a = analyseSnapshot(loadFixture(file));
    assert.equal(a.verdict, verdict);
    assert.deepEqual(a.findings.map((f) => f.code), expected);
  });
}

test('V1 finding carries the process and the derived name', () => {
  const f = analyseSnapshot(loadFixture('v1-infected.json')).findings[0]!;
  assert.equal(f.process?.pid, 4242);
  assert.equal(f.evidence.expectedName, 'mexicotargets.exe');
  assert.equal(f.emocheckEquivalent, true);
});

test('V2 finding names the Explorer value as its registry key', () => {
  const a = analyseSnapshot(loadFixture('v2-infected.json'));
  assert.equal(a.findings[0]!.registryKey, 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\12345678');
  assert.deepEqual(a.computed.v2Names.map((x) => x.name), ['mstask.exe']);
});

test('V3: Run value recorded; small files and same-size System32 copies rejected; other file identity not matched', () => {
  const s = loadFixture('v3-infected.json');
  const [f] = checkV3(s);
  assert.equal(f!.registryKey, 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\certutil');
  const small = structuredClone(s);
  small.scanRoots[0]!.folders.at(-1)!.files[0]!.size = 9_999;
  assert.deepEqual(checkV3(small), []);
  const copy = structuredClone(s);
  copy.scanRoots[0]!.folders.at(-1)!.files[0]!.size = 1_651_712;   // System32\certutil.exe's size
  assert.deepEqual(checkV3(copy), []);
  const other = structuredClone(s);
  other.processes.at(-1)!.fileId = '5C3E2A10:99';
  assert.deepEqual(checkV3(other).map((x) => x.code), ['V3_PERSISTED']);
});

test('V4: .dll names, files without MZ and allow-listed folders are not candidates', () => {
  const s = loadFixture('v4-infected.json');
  const file = s.scanRoots[0]!.folders.at(-1)!.files[0]!;
  for (const edit of [(x: Snapshot) => { x.scanRoots[0]!.folders.at(-1)!.files[0]!.name = 'kdhfqwe.dll'; },
    (x: Snapshot) => { x.scanRoots[0]!.folders.at(-1)!.files[0]!.startsWithMZ = false; },
    (x: Snapshot) => { x.allowlistDirNames.push('xyzpdqwer'); },
    (x: Snapshot) => { x.scanRoots[0]!.folders.at(-1)!.name = 'Xyz'; }]) {
    const c = structuredClone(s);
    edit(c);
    assert.deepEqual(checkV4(c), [], `edit of ${file.name}`);
  }
});

test('V4: without the process the Run value still makes it infected (persisted), without both only review', () => {
  const s = loadFixture('v4-infected.json');
  s.processes = s.processes.filter((p) => p.pid !== 7001);
  assert.deepEqual(checkV4(s).map((f) => [f.code, f.severity]), [['V4_PERSISTED', 'infected']]);
  s.registry[0]!.values = [];
  assert.deepEqual(checkV4(s).map((f) => [f.code, f.severity]), [['V4_FILE', 'review']]);
});

test('V4 admin: the command line naming system32 matches a SysWOW64 file only for rundll32', () => {
  const s = loadFixture('v4-admin-infected.json');
  s.processes.at(-1)!.name = 'other.exe';
  assert.deepEqual(checkV4(s).map((f) => f.code), ['V4_PERSISTED']);
});

test('V5 window: 7 days −0.3 s .. +0.2 s (integer division by 1e6 ticks)', () => {
  const folder = 200_000_000_000_000_000n;
  const at = (ticks: bigint): boolean => v5Timestomped(folder.toString(), (folder - ticks).toString());
  const week = 6_048_000_000_000n;
  assert.equal(at(week), true);
  assert.equal(at(week - 3_000_000n), true);        // −0.3 s
  assert.equal(at(week - 3_000_001n), false);
  assert.equal(at(week + 2_999_999n), true);        // +0.2999999 s
  assert.equal(at(week + 3_000_000n), false);
  assert.equal(at(-week), false);
});

test('V5: the file without a process is review only', () => {
  const s = loadFixture('v5-infected.json');
  s.processes = s.processes.filter((p) => p.pid !== 8080);
  assert.deepEqual(checkV5(s).map((f) => [f.code, f.severity]), [['V5_FILE', 'review']]);
});

test('2022 pattern: finding carries hash, autostart and running loader process', () => {
  const f = analyseSnapshot(loadFixture('loader2022-infected.json')).findings[0]!;
  assert.equal(f.file?.sha256, 'c0ffee'.padEnd(64, '0'));
  assert.equal(f.autostart?.kind, 'run');
  assert.equal(f.process?.name, 'regsvr32.exe');
  assert.equal(f.evidence.loader, 'regsvr32.exe');
  assert.equal(looksRandomFolder('Microsoft'), false);
  assert.equal(looksRandomFolder('Ifwkhhcedt'), true);
  assert.equal(looksRandomFolder('Vendor App'), false);
});

test('generic check: each user-space place kind, with the hash when collected', () => {
  const a = analyseSnapshot(loadFixture('userspace-review.json'));
  assert.deepEqual(a.findings.map((f) => f.evidence.place), ['appdata', 'programdata-writable', 'network', 'removable']);
  assert.equal(a.findings[0]!.file?.sha256, 'd'.repeat(64));
  assert.equal(a.findings[2]!.file?.sha256, null);
});

test('commandTargets: quoted, unquoted with spaces, %VARS%, DLL export suffix', () => {
  const { paths } = loadFixture('clean.json');
  assert.deepEqual(commandTargets('"C:\\Program Files\\A\\a.exe" /x "C:\\data\\b.txt"', paths), ['C:\\Program Files\\A\\a.exe', 'C:\\data\\b.txt']);
  assert.deepEqual(commandTargets('C:\\Program Files\\A b\\run.exe -q', paths), ['C:\\Program Files\\A b\\run.exe']);
  assert.deepEqual(commandTargets('rundll32.exe %LOCALAPPDATA%\\Abc\\x.ocx,DllRegisterServer', paths), ['C:\\Users\\taro\\AppData\\Local\\Abc\\x.ocx']);
  assert.deepEqual(commandTargets('regsvr32.exe /s C:\\ProgramData\\Q\\file', paths), ['C:\\ProgramData\\Q\\file']);
});

test('classifyUserSpace: system folders are not user space; ProgramData only when writable', () => {
  const s = loadFixture('clean.json');
  assert.equal(classifyUserSpace('C:\\Windows\\System32\\x.exe', s, null), null);
  assert.equal(classifyUserSpace('C:\\Program Files\\x.exe', s, null), null);
  assert.equal(classifyUserSpace('C:\\ProgramData\\V\\x.exe', s, null), null);
  assert.equal(classifyUserSpace('C:\\ProgramData\\V\\x.exe', s, true), 'programdata-writable');
  assert.equal(classifyUserSpace('C:\\Windows\\Temp\\x.exe', s, null), 'temp');
  assert.equal(classifyUserSpace('C:\\Users\\Public\\x.exe', s, null), 'public');
  assert.equal(classifyUserSpace('C:\\Users\\hanako\\Downloads\\x.exe', s, null), 'downloads');
  assert.equal(classifyUserSpace('C:\\Users\\taro\\Desktop\\x.exe', s, null), 'profile');
});

test('limitations: not admin and unreadable processes are reported (System excluded)', () => {
  const s = loadFixture('clean.json');
  assert.deepEqual(analyseSnapshot(s).limitations, []);
  s.host.isAdmin = false;
  s.processes.push({ pid: 900, ppid: null, name: 'svchost.exe', imagePath: null, commandLine: null, fileId: null });
  assert.deepEqual(analyseSnapshot(s).limitations, [{ code: 'NOT_ADMIN', count: 0 }, { code: 'PROCESS_DETAILS_UNREADABLE', count: 1 }]);
});

test('item 12: a running loader finding carries the process, the DLL and the traits that make it Emotet', () => {
  const f = analyseSnapshot(loadFixture('loader2022-process.json')).findings[0]!;
  assert.equal(f.process?.pid, 9200);
  assert.equal(f.file?.path, 'C:\\Users\\taro\\AppData\\Local\\Wkjhgfdsq\\Plmnbvcxz\\qwrtzplk.dll');
  assert.equal(f.autostart, null);
  assert.deepEqual([f.evidence.folder, f.evidence.randomFolder, f.evidence.randomFile, f.evidence.entryPoint], ['Wkjhgfdsq\\Plmnbvcxz', 'yes', 'yes', 'DllRegisterServer']);
  const pd = analyseSnapshot(loadFixture('loader2022-programdata-process.json')).findings[0]!;
  assert.deepEqual([pd.evidence.base, pd.evidence.entryPoint], ['programData', 'DllRegisterServer']);
});

test('item 12: without a registration entry point, or with a pronounceable file name, a running loader is only review', () => {
  const s = loadFixture('loader2022-programdata-process.json');
  s.processes.at(-1)!.commandLine = 'rundll32.exe C:\\ProgramData\\Vbnmrtzq\\hjkwqzt.ocx,Start';
  assert.deepEqual(analyseSnapshot(s).findings.map((f) => [f.code, f.severity]), [['LOADER_DLL_REVIEW', 'review']]);
  s.processes.at(-1)!.commandLine = 'rundll32.exe C:\\ProgramData\\Vbnmrtzq\\helper.ocx,DllRegisterServer';
  assert.deepEqual(analyseSnapshot(s).findings.map((f) => f.code), ['LOADER_DLL_REVIEW']);
  s.processes.at(-1)!.commandLine = 'rundll32.exe C:\\Windows\\System32\\shell32.dll,Control_RunDLL';
  assert.deepEqual(analyseSnapshot(s).findings, [], 'system DLLs are not findings');
});

test('item 13: vendor rundll32 autostarts say review (exit 0 in the CLI), name the vendor folder, and advise no isolation', () => {
  const a = analyseSnapshot(loadFixture('vendor-rundll32.json'));
  assert.equal(a.verdict, 'clean');
  assert.ok(a.findings.every((f) => f.severity === 'review'));
  const lenovo = a.findings.find((f) => f.file?.path.includes('Lenovo'))!;
  assert.equal(lenovo.evidence.entryPoint, 'DllRegisterServer');
  assert.equal(lenovo.evidence.vendorFolder, 'Lenovo', 'a registration entry point alone does not make a vendor folder infected');
  assert.ok(a.findings.some((f) => f.process?.pid === 9400 && f.autostart === null), 'the running Foxit helper is listed');
  for (const n of ['Dell', 'Lenovo', 'Citrix', 'Cisco', 'Logitech', 'Foxit', 'Realtek', 'Synaptics', 'LogiOptions', 'UpdateService', 'Vantage', 'AnyConnect', 'PrintHelper', 'Addon', 'Zscaler', 'Kaspersky', 'Helpdesk'])
    assert.equal(looksRandomName(n), false, n);
  for (const n of ['Ifwkhhcedt', 'Wkjhgfdsq', 'Kqzvbnrt', 'yzxotnbwd', 'qwrtzplk', 'nbxtr', 'Plmnbvcxz']) assert.equal(looksRandomName(n), true, n);
});

test('a snapshot collected in Constrained Language Mode says what could not be read', () => {
  const s = loadFixture('clean.json');
  s.collector.languageMode = 'ConstrainedLanguage';
  assert.deepEqual(analyseSnapshot(s).limitations, [{ code: 'CONSTRAINED_LANGUAGE', count: 0 }]);
  s.collector.languageMode = 'FullLanguage';
  assert.deepEqual(analyseSnapshot(s).limitations, []);
});
