// Writes the snapshot fixtures under test/fixtures/ (run: npx tsx packages/emocheck/test/make-fixtures.ts).
// One clean machine, then one infected (or review) variant per check, plus broken files for the error paths.
// The JSON files are committed; this script documents how each was made.
import { writeFileSync } from 'node:fs';
import type { Snapshot } from '../src/snapshot.ts';

const dir = new URL('./fixtures/', import.meta.url);
const U = 'C:\\Users\\taro';
const LAD = `${U}\\AppData\\Local`;
/** FILETIME string of an ISO time plus extra 100-ns ticks. */
const ft = (iso: string, extraTicks = 0n): string => (BigInt(Date.parse(iso)) * 10_000n + 116_444_736_000_000_000n + extraTicks).toString();
const SEVEN_DAYS = 6_048_000_000_000n;

function base(): Snapshot {
  return {
    format: 'omamori-emocheck-snapshot', version: 1, collectedAt: '2024-05-01T09:00:00Z',
    collector: { name: 'omamori-collect.ps1', version: '1' },
    host: { computerName: 'PC-TARO', userName: 'OFFICE\\taro', isAdmin: true, is64BitOs: true, osVersion: 'Microsoft Windows NT 10.0.19045.0' },
    systemVolumeSerial: '5C3E2A10',
    paths: {
      systemDrive: 'C:', systemRoot: 'C:\\Windows', system32: 'C:\\Windows\\System32', systemX86: 'C:\\Windows\\SysWOW64',
      localAppData: LAD, appData: `${U}\\AppData\\Roaming`, programData: 'C:\\ProgramData', programFiles: 'C:\\Program Files',
      programFilesX86: 'C:\\Program Files (x86)', userProfile: U, profilesRoot: 'C:\\Users', temp: `${LAD}\\Temp`,
      public: 'C:\\Users\\Public', downloads: `${U}\\Downloads`,
    },
    drives: [{ root: 'C:\\', type: 'fixed' }, { root: 'E:\\', type: 'removable' }, { root: 'Z:\\', type: 'network' }],
    processes: [
      { pid: 4, ppid: 0, name: 'System', imagePath: null, commandLine: null, fileId: null },
      { pid: 1204, ppid: 1100, name: 'explorer.exe', imagePath: 'C:\\Windows\\explorer.exe', commandLine: 'C:\\Windows\\Explorer.EXE', fileId: '5C3E2A10:1000000000A1' },
      { pid: 2210, ppid: 1204, name: 'rundll32.exe', imagePath: 'C:\\Windows\\System32\\rundll32.exe', commandLine: 'rundll32.exe shell32.dll,Control_RunDLL desk.cpl', fileId: '5C3E2A10:1000000000B2' },
      { pid: 3300, ppid: 1204, name: 'wscript.exe', imagePath: 'C:\\Windows\\System32\\wscript.exe', commandLine: 'wscript.exe C:\\scripts\\logon.vbs', fileId: '5C3E2A10:1000000000C3' },
    ],
    registry: [
      { key: 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', values: [] },
      { key: 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', values: [
        { name: 'SecurityHealth', type: 'REG_EXPAND_SZ', data: '%windir%\\system32\\SecurityHealthSystray.exe' },
      ] },
      { key: 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer', values: [
        { name: 'ShellState', type: 'REG_BINARY', data: '240000003e2800000000000000000000' },
      ] },
    ],
    services: [
      { name: 'Spooler', displayName: 'Print Spooler', imagePath: 'C:\\Windows\\System32\\spoolsv.exe', startMode: 'Auto', state: 'Running', serviceDll: null },
      { name: 'VendorUpdate', displayName: 'Vendor Update', imagePath: '"C:\\Program Files\\Vendor\\update.exe" /service', startMode: 'Auto', state: 'Running', serviceDll: null },
      { name: 'WinDefend', displayName: 'Microsoft Defender Antivirus Service', imagePath: '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030-9\\MsMpEng.exe"', startMode: 'Auto', state: 'Running', serviceDll: null },
    ],
    tasks: [
      { path: '\\Microsoft\\Windows\\Defrag\\ScheduledDefrag', enabled: true, actions: [{ execute: '%windir%\\system32\\defrag.exe', arguments: '-c -h -o', workingDirectory: null }] },
      { path: '\\OldTool', enabled: false, actions: [{ execute: `${U}\\Downloads\\oldtool.exe`, arguments: null, workingDirectory: null }] },
    ],
    startupItems: [],
    systemDirectoryFiles: [
      { name: 'wscript.exe', size: 170496 }, { name: 'certutil.exe', size: 1651712 }, { name: 'rundll32.exe', size: 71680 },
      { name: 'mstsc.exe', size: 1353728 }, { name: 'wbemcomn.dll', size: 450560 }, { name: 'spoolsv.exe', size: 960512 },
    ],
    scanRoots: [
      { root: 'localAppData', path: LAD, folders: [
        { name: 'Microsoft', lastWriteFiletime: ft('2024-04-20T10:00:00Z'), files: [] },
        // V3 look-alike that is a legitimate copy (same size as System32\wscript.exe): rejected by the rule.
        { name: 'certutil', lastWriteFiletime: ft('2024-04-20T10:00:00Z'), files: [
          { name: 'wscript.exe', size: 170496, lastWriteFiletime: ft('2024-04-19T10:00:00Z'), startsWithMZ: true, fileId: '5C3E2A10:2000000000A1' },
        ] },
        // V4 look-alike whose folder name also exists under Program Files: skipped (allow-list).
        { name: 'Zoomit', lastWriteFiletime: ft('2024-04-20T10:00:00Z'), files: [
          { name: 'helper.dat', size: 52000, lastWriteFiletime: ft('2024-04-20T09:00:00Z'), startsWithMZ: true, fileId: null },
        ] },
        // V5 near miss: six days, not seven.
        { name: 'Tools', lastWriteFiletime: ft('2024-04-20T10:00:00Z'), files: [
          { name: 'tool.exe', size: 82000, lastWriteFiletime: ft('2024-04-14T10:00:00Z'), startsWithMZ: true, fileId: null },
        ] },
      ] },
      { root: 'systemX86', path: 'C:\\Windows\\SysWOW64', folders: [
        { name: 'wbem', lastWriteFiletime: ft('2024-01-10T10:00:00Z'), files: [
          { name: 'WmiPrvSE.exe', size: 400000, lastWriteFiletime: ft('2023-12-01T10:00:00Z'), startsWithMZ: true, fileId: null },
        ] },
      ] },
    ],
    allowlistDirNames: ['Zoomit'],
    files: [
      { path: 'C:\\Windows\\system32\\SecurityHealthSystray.exe', exists: true, size: 99744, sha256: 'a'.repeat(64), startsWithMZ: true, fileId: null, dirUserWritable: false },
      { path: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030-9\\MsMpEng.exe', exists: true, size: 133000, sha256: 'b'.repeat(64), startsWithMZ: true, fileId: null, dirUserWritable: false },
    ],
  };
}

type Edit = (s: Snapshot) => void;
const variants: Record<string, Edit> = {
  clean: () => {},
  // V1: serial 0A1B2C3D gives mexicotargets.exe (vectors.json).
  'v1-infected': (s) => {
    s.systemVolumeSerial = '0A1B2C3D';
    s.processes.push({ pid: 4242, ppid: 1204, name: 'mexicotargets.exe', imagePath: `${LAD}\\mexicotargets.exe`, commandLine: `"${LAD}\\mexicotargets.exe"`, fileId: null });
  },
  // V2: serial 12345678, Explorer value "12345678" = 152540730b3d decodes to mstask.exe (vectors.json).
  'v2-infected': (s) => {
    s.systemVolumeSerial = '12345678';
    s.registry[2]!.values.push({ name: '12345678', type: 'REG_BINARY', data: '152540730b3d' });
    s.processes.push({ pid: 5150, ppid: 1204, name: 'mstask.exe', imagePath: 'C:\\Windows\\SysWOW64\\mstask.exe', commandLine: 'C:\\Windows\\SysWOW64\\mstask.exe', fileId: null });
  },
  'v2-registry-only': (s) => {
    s.systemVolumeSerial = '12345678';
    s.registry[2]!.values.push({ name: '12345678', type: 'REG_BINARY', data: '152540730b3d' });
  },
  // V3: %LOCALAPPDATA%\mstsc\certutil.exe, bigger than 10,000 bytes and not the size of System32's copy.
  'v3-infected': (s) => {
    const p = `${LAD}\\mstsc\\certutil.exe`;
    s.scanRoots[0]!.folders.push({ name: 'mstsc', lastWriteFiletime: ft('2024-04-30T08:00:00Z'), files: [
      { name: 'certutil.exe', size: 392192, lastWriteFiletime: ft('2024-04-30T08:00:00Z'), startsWithMZ: true, fileId: '5C3E2A10:3000000000F1' },
    ] });
    s.registry[0]!.values.push({ name: 'certutil', type: 'REG_SZ', data: p });
    s.processes.push({ pid: 6120, ppid: 1204, name: 'certutil.exe', imagePath: p, commandLine: p, fileId: '5C3E2A10:3000000000F1' });
  },
  'v3-persisted': (s) => {
    const p = `${LAD}\\mstsc\\certutil.exe`;
    s.scanRoots[0]!.folders.push({ name: 'mstsc', lastWriteFiletime: ft('2024-04-30T08:00:00Z'), files: [
      { name: 'certutil.exe', size: 392192, lastWriteFiletime: ft('2024-04-30T08:00:00Z'), startsWithMZ: true, fileId: '5C3E2A10:3000000000F1' },
    ] });
    s.registry[0]!.values.push({ name: 'certutil', type: 'REG_SZ', data: p });
  },
  // V4 (user): random folder + disguised DLL, HKCU Run through rundll32, the process running.
  'v4-infected': (s) => {
    const p = `${LAD}\\Xyzpdqwer\\kdhfqwe.kvu`;
    s.scanRoots[0]!.folders.push({ name: 'Xyzpdqwer', lastWriteFiletime: ft('2024-04-30T08:00:00Z'), files: [
      { name: 'kdhfqwe.kvu', size: 450560, lastWriteFiletime: ft('2024-04-30T08:00:00Z'), startsWithMZ: true, fileId: null },
    ] });
    const cmd = `C:\\Windows\\SysWOW64\\rundll32.exe "${p}",RunDLL`;
    s.registry[0]!.values.push({ name: 'Qwertyuio', type: 'REG_SZ', data: cmd });
    s.processes.push({ pid: 7001, ppid: 1204, name: 'rundll32.exe', imagePath: 'C:\\Windows\\SysWOW64\\rundll32.exe', commandLine: cmd, fileId: null });
  },
  // V4 (admin): the DLL in SysWOW64\<folder>, a service named after the file, command line naming system32.
  'v4-admin-infected': (s) => {
    s.scanRoots[1]!.folders.push({ name: 'Ghtyuiop', lastWriteFiletime: ft('2024-04-30T08:00:00Z'), files: [
      { name: 'bnmvcxz.ocx', size: 450560, lastWriteFiletime: ft('2024-04-30T08:00:00Z'), startsWithMZ: true, fileId: null },
    ] });
    s.services.push({ name: 'bnmvcxz.ocx', displayName: 'bnmvcxz.ocx', imagePath: 'C:\\Windows\\SysWOW64\\rundll32.exe "C:\\Windows\\SysWOW64\\Ghtyuiop\\bnmvcxz.ocx",ShowDialogA', startMode: 'Auto', state: 'Running', serviceDll: null });
    s.processes.push({ pid: 7002, ppid: 600, name: 'rundll32.exe', imagePath: 'C:\\Windows\\SysWOW64\\rundll32.exe', commandLine: 'C:\\Windows\\system32\\rundll32.exe  "C:\\Windows\\system32\\Ghtyuiop\\bnmvcxz.ocx",ShowDialogA', fileId: null });
  },
  // V5: MZ file exactly 7 days older than its folder, run by a process.
  'v5-infected': (s) => {
    const p = `${LAD}\\Helpdesk\\svcmon.exe`;
    s.scanRoots[0]!.folders.push({ name: 'Helpdesk', lastWriteFiletime: ft('2024-04-30T08:00:00Z'), files: [
      { name: 'svcmon.exe', size: 300000, lastWriteFiletime: ft('2024-04-30T08:00:00Z', -SEVEN_DAYS + 1_000_000n), startsWithMZ: true, fileId: null },
    ] });
    s.processes.push({ pid: 8080, ppid: 1204, name: 'svcmon.exe', imagePath: p, commandLine: `"${p}" -k`, fileId: null });
  },
  // 2022–2023: HKCU Run regsvr32 of a DLL in a random folder under %LOCALAPPDATA%.
  'loader2022-infected': (s) => {
    const p = `${LAD}\\Ifwkhhcedt\\yzxotnbwd.dll`;
    s.registry[0]!.values.push({ name: 'yzxotnbwd.dll', type: 'REG_SZ', data: `C:\\Windows\\system32\\regsvr32.exe "${p}"` });
    s.files.push({ path: p, exists: true, size: 561152, sha256: 'c0ffee'.padEnd(64, '0'), startsWithMZ: true, fileId: null, dirUserWritable: true });
    s.processes.push({ pid: 9100, ppid: 1204, name: 'regsvr32.exe', imagePath: 'C:\\Windows\\System32\\regsvr32.exe', commandLine: `C:\\Windows\\system32\\regsvr32.exe "${p}"`, fileId: null });
  },
  // 2022–2023 as a service pointing into ProgramData, not running.
  'loader2022-service': (s) => {
    s.services.push({ name: 'WinUpdSvc', displayName: 'Windows Update Helper', imagePath: 'C:\\Windows\\SysWOW64\\rundll32.exe C:\\ProgramData\\Kqzvbnrt\\nbxtr.ocx,DllRegisterServer', startMode: 'Auto', state: 'Stopped', serviceDll: null });
  },
  // Issue 14 item 12: regsvr32 running a DLL two folders deep under %LOCALAPPDATA%, no autostart entry.
  'loader2022-process': (s) => {
    const p = `${LAD}\\Wkjhgfdsq\\Plmnbvcxz\\qwrtzplk.dll`;
    s.processes.push({ pid: 9200, ppid: 1204, name: 'regsvr32.exe', imagePath: 'C:\\Windows\\System32\\regsvr32.exe', commandLine: `C:\\Windows\\system32\\regsvr32.exe /s "${p}"`, fileId: null });
  },
  // Item 12: rundll32 running a ProgramData DLL through DllRegisterServer, no autostart entry.
  'loader2022-programdata-process': (s) => {
    s.processes.push({ pid: 9300, ppid: 1204, name: 'rundll32.exe', imagePath: 'C:\\Windows\\System32\\rundll32.exe', commandLine: 'rundll32.exe C:\\ProgramData\\Vbnmrtzq\\hjkwqzt.ocx,DllRegisterServer', fileId: null });
  },
  // Item 12: the HKCU Run regsvr32 of a DLL one folder deeper than the first level.
  'loader2022-deeper': (s) => {
    const p = `${LAD}\\Ifwkhhcedt\\Zxcvbnmq\\yzxotnbwd.ocx`;
    s.registry[0]!.values.push({ name: 'yzxotnbwd', type: 'REG_SZ', data: `C:\\Windows\\system32\\regsvr32.exe "${p}"` });
  },
  // Item 13: vendor folders under %LOCALAPPDATA% and ProgramData started by rundll32 (…,Start): review, not infected.
  'vendor-rundll32': (s) => {
    s.registry[0]!.values.push(
      { name: 'DellUpdate', type: 'REG_SZ', data: 'rundll32.exe "C:\\ProgramData\\Dell\\UpdateService\\DellUpd.dll",Start' },
      { name: 'LogiOptions', type: 'REG_EXPAND_SZ', data: 'rundll32.exe "%LOCALAPPDATA%\\Logitech\\LogiOptions\\logi_helper.dll",Start' },
      { name: 'LenovoHelper', type: 'REG_SZ', data: 'C:\\Windows\\System32\\rundll32.exe "C:\\ProgramData\\Lenovo\\Vantage\\LenovoHelper.dll",DllRegisterServer' });
    s.registry[1]!.values.push({ name: 'CiscoVPN', type: 'REG_SZ', data: 'rundll32.exe C:\\ProgramData\\Cisco\\AnyConnect\\vpnui.dll,Start' });
    s.services.push({ name: 'CtxPrint', displayName: 'Citrix Print Helper', imagePath: 'C:\\Windows\\System32\\rundll32.exe "C:\\ProgramData\\Citrix\\PrintHelper\\ctxprint.dll",Start', startMode: 'Auto', state: 'Running', serviceDll: null });
    s.processes.push({ pid: 9400, ppid: 1204, name: 'rundll32.exe', imagePath: 'C:\\Windows\\System32\\rundll32.exe', commandLine: `rundll32.exe "${LAD}\\Foxit Software\\Addon\\fxaddon.dll",Start`, fileId: null });
  },
  // Generic: autostarts from user space, for review only (exit 0).
  'userspace-review': (s) => {
    s.registry[0]!.values.push({ name: 'Updater', type: 'REG_SZ', data: `"${U}\\AppData\\Roaming\\updater\\upd.exe" --background` });
    s.files.push({ path: `${U}\\AppData\\Roaming\\updater\\upd.exe`, exists: true, size: 1200000, sha256: 'd'.repeat(64), startsWithMZ: true, fileId: null, dirUserWritable: true });
    s.services.push({ name: 'Backupd', displayName: 'Backup', imagePath: 'C:\\ProgramData\\BackupCo\\backupd.exe', startMode: 'Auto', state: 'Running', serviceDll: null });
    s.files.push({ path: 'C:\\ProgramData\\BackupCo\\backupd.exe', exists: true, size: 800000, sha256: 'e'.repeat(64), startsWithMZ: true, fileId: null, dirUserWritable: true });
    s.tasks.push({ path: '\\Sync', enabled: true, actions: [{ execute: '\\\\fileserver\\tools\\sync.exe', arguments: '/quiet', workingDirectory: null }] });
    s.startupItems.push({ path: `${U}\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\notes.lnk`, target: 'E:\\portable\\notes.exe', arguments: null });
  },
};

for (const [name, edit] of Object.entries(variants)) {
  const s = base();
  edit(s);
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(s, null, 1) + '\n');
}
const clean = JSON.stringify(base(), null, 1);
writeFileSync(new URL('broken-syntax.json', dir), clean.replace('"processes": [', '"processes": [,'));
writeFileSync(new URL('truncated.json', dir), clean.slice(0, Math.floor(clean.length * 0.6)));
writeFileSync(new URL('wrong-version.json', dir), clean.replace('"version": 1', '"version": 2'));
writeFileSync(new URL('not-a-snapshot.json', dir), '{"scan_time": "2024-05-01 09:00:00", "is_infected": "no"}\n');
const bad = base() as unknown as { processes: Record<string, unknown>[]; host: Record<string, unknown>; systemVolumeSerial: unknown };
bad.processes[1]!.pid = '1204';
delete bad.host.isAdmin;
bad.systemVolumeSerial = 'XYZ';
writeFileSync(new URL('bad-fields.json', dir), JSON.stringify(bad, null, 1) + '\n');
