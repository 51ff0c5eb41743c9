// The policy's `userSpace.systemFolders` as App Control's FilePath allow set (issue 12 follow-up): admin-declared
// folders (C:/Tools/**) become allow rules; user space the policy declares inside them becomes a deny rule (or is left
// to App Control's runtime check when it is a known user-writable folder); what App Control cannot express (other
// drives, network paths, per-user tokens, wildcards) is in `skipped` with its reason and in the mapping report, ja
// and en; and the simulator judges each folder as the policy engine does, except for the gap the report names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, createEngine, findPreset, loadPolicy, type CompiledPolicy, type OmamoriEvent } from '@omamori/policy';
import { compileWindows } from '../src/compile-windows.ts';
import { compileWindowsPlan, type WindowsPlan } from '../src/plan.ts';
import { createWindowsSimulator } from '../src/simulate.ts';
import { NOW, sharedDir } from './helpers.ts';

const SYSTEM_FOLDERS = [
  '%WINDIR%/**', '%PROGRAMFILES%/**', '%PROGRAMFILES(X86)%/**',
  'C:/Tools/**',            // [3] admin-created root folder: an allow rule
  'D:/Apps/**',             // [4] another drive: user space to the engine whatever this says
  '//fileserver/apps/**',   // [5] network: user space to the engine
  '%APPDATA%/Tools/**',     // [6] per-user token: no one folder
  'C:/Vendor/*',            // [7] one level only: App Control's `*` means everything below
  '%PROGRAMDATA%/Vendor/**', // [8] inside @user-space (%PROGRAMDATA%/**)
];
const USER_SPACE = ['@user-space', 'C:/Tools/Updates/**', '%WINDIR%/*/Cache/**'];

function policyWith(mode: 'enforce' | 'lockdown' = 'enforce'): CompiledPolicy {
  const text = findPreset('office')!.text
    .replace(/^mode: enforce$/m, `mode: ${mode}`)
    .replace('paths: ["@user-space"]', `paths: ${JSON.stringify(USER_SPACE)}`)
    .replace('systemFolders: ["%WINDIR%/**", "%PROGRAMFILES%/**", "%PROGRAMFILES(X86)%/**"]', `systemFolders: ${JSON.stringify(SYSTEM_FOLDERS)}`)
    .replace('hashes: []\n  paths: []', 'hashes: []\n  paths: ["C:/Tools/bin/**"]');
  assert.ok(text.includes('C:/Tools/Updates/**') && text.includes('//fileserver/apps/**') && text.includes('C:/Tools/bin/**'), 'preset text changed: the test policy was not built');
  const r = loadPolicy(text);
  assert.ok(r.policy, JSON.stringify(r.problems));
  return compile(r.policy);
}

const policy = policyWith();
const plan: WindowsPlan = compileWindowsPlan(policy, { now: NOW });

test('systemFolders: each expressible folder is an App Control FilePath allow rule; declared user space inside it a deny rule; the XML validates', () => {
  assert.deepEqual(plan.appControl.allowPaths, [
    { path: '%WINDIR%\\*', from: 'userSpace.systemFolders[0]' },
    { path: '%OSDRIVE%\\Program Files\\*', from: 'userSpace.systemFolders[1]' },
    { path: '%OSDRIVE%\\Program Files (x86)\\*', from: 'userSpace.systemFolders[2]' },
    { path: '%OSDRIVE%\\Tools\\*', from: 'userSpace.systemFolders[3]' },
    // A trusted path inside a system folder (valid only there: OM104) keeps its own rule and field.
    { path: '%OSDRIVE%\\Tools\\bin\\*', from: 'trust.paths[0]' },
  ]);
  const { files } = compileWindows(policy, { now: NOW });
  const xml = String(files.get('app-control-base.xml'));
  assert.match(xml, /<Allow ID="[A-Z0-9_]+" FriendlyName="system space \(userSpace\.systemFolders\[3\]\)" FilePath="%OSDRIVE%\\Tools\\\*" \/>/);
  const deny = /<Deny ID="([A-Z0-9_]+)" FriendlyName="userSpace\.paths: user space inside a system folder \(userSpace\.paths\[1\]\)" FilePath="%OSDRIVE%\\Tools\\Updates\\\*" \/>/.exec(xml);
  assert.ok(deny, 'deny rule for C:/Tools/Updates/**');
  // The deny rule is in force for user mode (referenced from the UMCI signing scenario), not just declared.
  const umci = xml.slice(xml.indexOf('Value="12"'));
  assert.ok(umci.includes(`<FileRuleRef RuleID="${deny[1]}" />`), 'deny rule referenced by the user-mode scenario');
  // Nothing the report calls inexpressible leaks into a rule.
  for (const bad of ['D:', 'fileserver', 'APPDATA', 'Vendor', 'Cache']) assert.ok(!xml.includes(bad), `${bad} in the XML`);
  // Known user-writable folders stay with the runtime check: no deny rule for %WINDIR%\Temp (that would deny
  // Microsoft-signed installers Windows itself runs from there).
  assert.ok(!/<Deny[^>]*FilePath="%WINDIR%\\Temp/.test(xml));
  assert.ok(plan.appControl.userSpaceInside.some((u) => u.path === '%WINDIR%\\Temp\\*' && u.how === 'runtime-check'));

  const dir = mkdtempSync(join(tmpdir(), 'omamori-sysfolders-'));
  try {
    const xmls = [...files].filter(([n]) => n.endsWith('.xml'));
    for (const [n, c] of xmls) writeFileSync(join(dir, n), c);
    const r = spawnSync('xmllint', ['--noout', '--schema', join(sharedDir(), 'specs/windows/cipolicy.libxml2.xsd'), ...xmls.map(([n]) => join(dir, n))], { encoding: 'utf8' });
    if (r.error) throw new Error(`xmllint not runnable: ${r.error.message} (install libxml2-utils)`);
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemFolders: what App Control cannot express is in skipped, each with its reason', () => {
  assert.deepEqual(plan.skipped.filter((s) => s.field.startsWith('userSpace.')), [
    { field: 'userSpace.systemFolders[4]', value: 'D:/Apps/**', why: 'other-drive' },
    { field: 'userSpace.systemFolders[5]', value: '//fileserver/apps/**', why: 'network' },
    { field: 'userSpace.systemFolders[6]', value: '%APPDATA%/Tools/**', why: 'variable' },
    { field: 'userSpace.systemFolders[7]', value: 'C:/Vendor/*', why: 'wildcard' },
    { field: 'userSpace.systemFolders[8]', value: '%PROGRAMDATA%/Vendor/**', why: 'user-space' },
    { field: 'userSpace.paths[2]', value: '%WINDIR%/*/Cache/**', why: 'wildcard' },
  ]);
});

function entry(p: WindowsPlan, rule: string) {
  const e = p.mapping.find((m) => m.rule === rule);
  assert.ok(e, `no mapping entry "${rule}": ${p.mapping.map((m) => m.rule).join(' | ')}`);
  return e;
}

test('mapping report: one entry per system folder and for user space inside them, in English and Japanese', () => {
  const tools = entry(plan, 'userSpace.systemFolders[3] C:/Tools/**');
  assert.equal(tools.coverage, 'enforced');
  assert.deepEqual(tools.mechanisms, ['App Control FilePath allow rule %OSDRIVE%\\Tools\\*']);
  assert.match(tools.note.en, /root of the system drive inherits write access for Authenticated Users/);
  assert.match(tools.note.ja, /Authenticated Users の書き込み権を継承/);
  assert.doesNotMatch(entry(plan, 'userSpace.systemFolders[1] %PROGRAMFILES%/**').note.en, /Authenticated Users/);

  for (const [i, value, ja] of [[4, 'D:/Apps/**', 'システム ドライブ以外'], [5, '//fileserver/apps/**', 'ネットワーク パス'], [8, '%PROGRAMDATA%/Vendor/**', 'ユーザー領域にあります']] as const) {
    const e = entry(plan, `userSpace.systemFolders[${i}] ${value}`);
    assert.equal(e.coverage, 'not-applicable', value);
    assert.match(e.note.en, /^No FilePath rule: .*Windows and the policy agree/, value);
    assert.ok(e.note.ja.includes(ja) && e.note.ja.includes('Windows とポリシーは一致'), value);
  }
  for (const [i, value, en, ja] of [[6, '%APPDATA%/Tools/**', /per-user folder token/, /ユーザーごとのフォルダー トークン/], [7, 'C:/Vendor/\\*', /one-level `X\/\*`/, /一階層だけ/]] as const) {
    const e = entry(plan, `userSpace.systemFolders[${i}] ${value.replace('\\', '')}`);
    assert.equal(e.coverage, 'partial');
    assert.match(e.note.en, en);
    assert.match(e.note.en, /stricter than the policy/);
    assert.match(e.note.ja, ja);
    assert.match(e.note.ja, /ポリシーより厳しい/);
  }

  const inside = entry(plan, 'userSpace.paths inside system folders');
  assert.equal(inside.coverage, 'partial', 'the wildcard folder is a named gap');
  assert.deepEqual(inside.mechanisms, ['App Control runtime FilePath rule protection', 'App Control FilePath deny rule']);
  assert.match(inside.note.en, /The policy's own additions \(%OSDRIVE%\\Tools\\Updates\\\*\) .* each gets a FilePath deny rule/);
  assert.match(inside.note.en, /%WINDIR%\/\*\/Cache\/\*\*: no deny rule .* runs through the system folder's path rule/);
  assert.match(inside.note.ja, /ポリシー独自の追加分 \(%OSDRIVE%\\Tools\\Updates\\\*\)[^。]*FilePath の拒否規則にします/);
  assert.match(inside.note.ja, /%WINDIR%\/\*\/Cache\/\*\*: 拒否規則にできません/);

  const { files } = compileWindows(policy, { now: NOW });
  const en = String(files.get('mapping.en.md'));
  const ja = String(files.get('mapping.ja.md'));
  assert.match(en, /### userSpace\.systemFolders\[3\] C:\/Tools\/\*\*\n\n- Status: \*\*enforced\*\*\n- Mechanism: App Control FilePath allow rule %OSDRIVE%\\Tools\\\*/);
  assert.match(ja, /### userSpace\.systemFolders\[3\] C:\/Tools\/\*\*\n\n- 状態: \*\*強制\*\*/);
  assert.match(en, /code in the policy's system folders \(%WINDIR%\\\*, %OSDRIVE%\\Program Files\\\*, %OSDRIVE%\\Program Files \(x86\)\\\*, %OSDRIVE%\\Tools\\\*:/);
  assert.match(ja, /ポリシーのシステム フォルダー \(%WINDIR%\\\*、%OSDRIVE%\\Program Files\\\*、%OSDRIVE%\\Program Files \(x86\)\\\*、%OSDRIVE%\\Tools\\\*\)/);
  assert.match(en, /- userSpace\.systemFolders\[7\] C:\/Vendor\/\* — partly enforced/);
  assert.match(ja, /- userSpace\.paths inside system folders — 一部のみ/);
});

let pid = 1000;
const start = (image: string, extra: Record<string, unknown> = {}): OmamoriEvent =>
  ({ v: 1, platform: 'windows', kind: 'process.start', host: 'pc1', proc: { pid: pid++, guid: `sf${pid}`, image, ...extra } });

test('simulator and policy engine judge the system folders alike; the one difference is the gap the report names', () => {
  const engine = createEngine(policy, { now: NOW });
  const sim = createWindowsSimulator(plan);
  const cases: [string, 'allow' | 'deny', boolean, RegExp?][] = [
    ['C:\\Tools\\app.exe', 'allow', false],
    ['C:\\Tools\\bin\\x64\\tool.exe', 'allow', false],
    ['C:\\Tools\\Updates\\update.exe', 'deny', true, /deny rule by path/],
    ['D:\\Apps\\app.exe', 'deny', true],
    ['\\\\fileserver\\apps\\app.exe', 'deny', true],
    ['C:\\Users\\u\\AppData\\Roaming\\Tools\\app.exe', 'deny', true],
    ['C:\\Vendor\\sub\\app.exe', 'deny', true],
    ['C:\\ProgramData\\Vendor\\app.exe', 'deny', true],
    ['C:\\Windows\\Temp\\setup.exe', 'deny', true],
    ['C:\\Program Files\\App\\app.exe', 'allow', false],
  ];
  for (const [image, verdict, blocked, rule] of cases) {
    const ev = start(image);
    const d = engine.decide(ev);
    assert.equal(d.verdict, verdict, `engine on ${image}: ${d.reason}`);
    const v = sim.evaluate(ev);
    assert.equal(v?.blocked ?? false, blocked, `simulator on ${image}: ${JSON.stringify(v)}`);
    if (rule) assert.match(v!.ruleName, rule, image);
  }
  // A deny rule wins over every allow: a Microsoft-signed program in the declared user-space folder is refused by
  // Windows, while the engine lets a trusted publisher run there (the report says Windows is stricter).
  const signed = start('C:\\Tools\\Updates\\helper.exe', { signer: 'Microsoft Corporation' });
  assert.equal(engine.decide(signed).verdict, 'allow');
  assert.equal(sim.evaluate(signed)?.ruleName, 'App Control: deny rule by path');
  // The named gap: a wildcard inside the path has no deny rule, so the engine refuses what Windows lets run.
  const cache = start('C:\\Windows\\SoftwareDistribution\\Cache\\x.exe');
  assert.equal(engine.decide(cache).reason, 'USER_SPACE_EXEC');
  assert.equal(sim.evaluate(cache), undefined);
  assert.ok(plan.skipped.some((s) => s.value === '%WINDIR%/*/Cache/**'));
});

test('lockdown: no folder is trusted; every system folder is skipped as lockdown and the report says why', () => {
  const p = compileWindowsPlan(policyWith('lockdown'), { now: NOW });
  assert.deepEqual(p.appControl.allowPaths, []);
  assert.deepEqual(p.skipped.filter((s) => s.field.startsWith('userSpace.systemFolders')).map((s) => [s.value, s.why]),
    SYSTEM_FOLDERS.map((f) => [f, 'lockdown']));
  // Path trust is ignored in lockdown by the engine too.
  assert.deepEqual(p.skipped.filter((s) => s.field === 'trust.paths[0]'), [{ field: 'trust.paths[0]', value: 'C:/Tools/bin/**', why: 'lockdown' }]);
  // Nothing is allowed by path, so no user space inside an allowed folder needs a deny rule.
  assert.deepEqual(p.appControl.userSpaceInside, []);
  assert.ok(!p.appControl.denyRules.some((d) => d.source === 'userSpace.paths'));
  const e = entry(p, `userSpace.systemFolders ${SYSTEM_FOLDERS.join(', ')}`);
  assert.equal(e.coverage, 'not-applicable');
  assert.match(e.note.en, /Lockdown trusts no location/);
  assert.match(e.note.ja, /ロックダウンは場所を信頼しない/);
  const sim = createWindowsSimulator(p);
  assert.equal(sim.evaluate(start('C:\\Tools\\app.exe'))?.blocked, true);
  assert.equal(sim.evaluate(start('C:\\Tools\\bin\\tool.exe'))?.blocked, true);
  const engine = createEngine(policyWith('lockdown'), { now: NOW });
  assert.equal(engine.decide(start('C:\\Tools\\bin\\tool.exe')).reason, 'LOCKDOWN_UNTRUSTED');
});

test('the whole system drive as a system folder: user profiles stay out through the runtime check, for Windows and the engine', () => {
  // With @user-space, and with only the per-user folder listed (no FilePath form: matched for every user).
  for (const paths of ['["@user-space"]', '["%USERPROFILE%/**", "%PROGRAMDATA%/**", "%WINDIR%/Temp/**"]']) {
    const text = findPreset('office')!.text.replace('paths: ["@user-space"]', `paths: ${paths}`)
      .replace('systemFolders: ["%WINDIR%/**", "%PROGRAMFILES%/**", "%PROGRAMFILES(X86)%/**"]', 'systemFolders: ["C:/**"]');
    const r = loadPolicy(text);
    assert.ok(r.policy, JSON.stringify(r.problems));
    const p = compile(r.policy);
    const wplan = compileWindowsPlan(p, { now: NOW });
    assert.deepEqual(wplan.appControl.allowPaths, [{ path: '%OSDRIVE%\\*', from: 'userSpace.systemFolders[0]' }]);
    const inside = new Map(wplan.appControl.userSpaceInside.map((u) => [u.path, u.how]));
    assert.equal(inside.get('%USERPROFILE%/**'), 'runtime-check', paths);
    assert.equal(inside.get('%OSDRIVE%\\ProgramData\\*'), 'runtime-check', paths);
    const engine = createEngine(p, { now: NOW });
    const sim = createWindowsSimulator(wplan);
    for (const [image, blocked] of [['C:\\Apps\\app.exe', false], ['C:\\Users\\u\\Desktop\\x.exe', true], ['C:\\ProgramData\\x\\x.exe', true], ['C:\\Windows\\Temp\\x.exe', true]] as const) {
      const ev = start(image);
      assert.equal(engine.decide(ev).verdict, blocked ? 'deny' : 'allow', `${paths} ${image}`);
      const v = sim.evaluate(ev);
      assert.equal(v?.blocked ?? false, blocked, `${paths} ${image}: ${JSON.stringify(v)}`);
      if (blocked) assert.equal(v!.approx, 'user-writable-list', image);
    }
  }
});
