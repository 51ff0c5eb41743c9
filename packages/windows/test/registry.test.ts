// The generated scripts run against a model Windows (test/powershell): the registry provider's recorded semantics
// (registry-model.ts, from PowerShell's RegistryProvider.cs and issue #5444) and Defender/CiTool as plain state.
// Issue 14 items 1 (keys created only when missing; the admin's other values survive; a second apply converges),
// 2 (revert restores exactly what apply recorded; with no record it changes nothing), 6 (a failing CiTool stops
// the script; audit step before enforce; restart warning) and 7 (Entra ID user hives).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWindows } from '../src/compile-windows.ts';
import { cmd, OFFICE_POLICY_ROOT, USER_HIVE_PATTERN } from '../src/ps-commands.ts';
import { NOW, policyFrom } from './helpers.ts';
import { descendants, parsePowerShell } from './powershell/grammar.ts';
import { FakeWindows, PsThrow } from './powershell/fake-windows.ts';
import { MiniPowerShell } from './powershell/interpreter.ts';
import { RegistryError, RegistryModel } from './powershell/registry-model.ts';

const LOCAL = 'Registry::HKEY_USERS\\S-1-5-21-100-200-300-1001';
const ENTRA = 'Registry::HKEY_USERS\\S-1-12-1-4100000000-1200000000-3500000000-2700000000';
const word = (hive: string) => `${hive}\\${OFFICE_POLICY_ROOT}\\word\\Security`;

/** A machine whose admin already set Office policy values of their own, under the same keys omamori writes. */
function adminMachine(): FakeWindows {
  const w = new FakeWindows({
    hives: [LOCAL, ENTRA],
    asr: new Map([['d4f940ab-401b-4efc-aadc-ad5f3c50688a', 2], ['01443614-cd74-433a-b99e-2ecdc07bfc25', 1]]),
    cfa: 2, folders: ['D:\\Finance'],
  });
  for (const h of [LOCAL, ENTRA]) {
    w.registry.newItem(word(h), true);
    w.registry.setValue(word(h), 'AccessVBOM', { type: 'DWord', data: 0 }, true);
    w.registry.setValue(word(h), 'VBAWarnings', { type: 'DWord', data: 2 }, true);
    w.registry.newItem(`${word(h)}\\Trusted Locations\\Location1`, true);
    w.registry.setValue(`${word(h)}\\Trusted Locations\\Location1`, 'Path', { type: 'DWord', data: 1 }, true);
  }
  return w;
}

test('the recorded model reproduces the provider: New-Item -Force on an existing key deletes its values (PowerShell #5444)', () => {
  const reg = new RegistryModel([LOCAL]);
  reg.newItem(word(LOCAL), true);
  reg.setValue(word(LOCAL), 'AccessVBOM', { type: 'DWord', data: 0 }, true);
  // The command omamori generated before issue 14 (apply.ps1 Office section and the agent's fix):
  new MiniPowerShell(reg).run(`New-Item -Path '${word(LOCAL)}' -Force | Out-Null; New-ItemProperty -Path '${word(LOCAL)}' -Name 'VBAWarnings' -Value 3 -PropertyType DWord -Force | Out-Null`);
  assert.deepEqual(reg.dump(LOCAL), [`software\\policies\\microsoft\\office\\16.0\\word\\security|VBAWarnings=3`], 'AccessVBOM was erased');
  assert.throws(() => reg.newItem(word(LOCAL), false), (e: unknown) => e instanceof RegistryError && e.id === 'KeyAlreadyExists');
  assert.throws(() => reg.setValue(`${word(LOCAL)}\\Missing`, 'x', { type: 'DWord', data: 1 }, true), RegistryError);
});

test('item 1: apply.ps1 writes the Office values into every user hive, keeps the admin\'s other values, and a second run writes nothing', () => {
  const w = adminMachine();
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  assert.equal(w.shell({ now: NOW }).run(String(files.get('apply-audit.ps1'))), 0);
  assert.equal(w.shell({ now: NOW }).run(String(files.get('apply.ps1'))), 0);
  for (const h of [LOCAL, ENTRA]) {
    const d = w.registry.dump(h);
    assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\word\\security|AccessVBOM=0'), `${h}: the admin's value survives`);
    assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\word\\security\\trusted locations\\location1|Path=1'), `${h}: subkeys survive`);
    assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\word\\security|VBAWarnings=3'));
    assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\excel\\security|blockcontentexecutionfrominternet=1'), 'missing keys are created');
  }
  const writes = w.registry.writes.length;
  const changes = w.changes.length;
  assert.equal(w.shell({ now: NOW }).run(String(files.get('apply.ps1'))), 0);
  assert.equal(w.registry.writes.length, writes, `second apply wrote ${w.registry.writes.slice(writes).join(', ')}`);
  assert.deepEqual(w.changes.slice(changes).filter((c) => !c.startsWith('CiTool --update-policy')), [], 'only the (idempotent) policy refresh repeats');
});

test('item 1: the agent\'s own fix command (cmd.setDword) keeps the other values too', () => {
  const w = adminMachine();
  const ps = w.shell();
  ps.run(cmd.setDword(word(LOCAL), 'VBAWarnings', 3));
  ps.run(cmd.setDword(`${LOCAL}\\${OFFICE_POLICY_ROOT}\\visio\\Security`, 'VBAWarnings', 3));
  const d = w.registry.dump(LOCAL);
  assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\word\\security|AccessVBOM=0'));
  assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\word\\security|VBAWarnings=3'));
  assert.ok(d.includes('software\\policies\\microsoft\\office\\16.0\\visio\\security|VBAWarnings=3'));
});

test('item 2: apply then revert gives back exactly the machine before — ASR, Controlled Folder Access, folders, Office, policies', () => {
  for (const name of ['office', 'exceptions.yaml', 'strict']) {
    const w = adminMachine();
    const before = w.snapshot();
    const { files } = compileWindows(policyFrom(name), { now: NOW });
    assert.equal(w.shell({ now: NOW }).run(String(files.get('apply-audit.ps1'))), 0);
    assert.equal(w.shell({ now: NOW }).run(String(files.get('apply.ps1'))), 0);
    assert.notDeepEqual(w.snapshot(), before, `${name}: apply changed something`);
    const ps = w.shell({ now: NOW });
    assert.equal(ps.run(String(files.get('revert.ps1'))), 0);
    assert.deepEqual(w.snapshot(), before, `${name}: revert restores the machine`);
    assert.equal(w.state.recordFile, undefined, 'the record is consumed');
    assert.ok(ps.output.includes('omamori: reverted.'));
  }
});

test('item 2: revert without a record (never applied, or run twice) changes nothing and says so', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  const w = adminMachine();
  const before = w.snapshot();
  const ps = w.shell({ now: NOW });
  assert.equal(ps.run(String(files.get('revert.ps1'))), 0);
  assert.deepEqual(w.snapshot(), before);
  assert.deepEqual(w.changes, []);
  assert.match(ps.warnings.join('\n'), /nothing to revert: there is no record[\s\S]*nothing was changed/);
  // applied, reverted, reverted again: the second revert changes nothing either
  const w2 = adminMachine();
  w2.shell({ now: NOW, vars: { SkipAudit: true } }).run(String(files.get('apply.ps1')));
  w2.shell({ now: NOW }).run(String(files.get('revert.ps1')));
  const after = w2.changes.length;
  const ps2 = w2.shell({ now: NOW });
  assert.equal(ps2.run(String(files.get('revert.ps1'))), 0);
  assert.equal(w2.changes.length, after);
  assert.match(ps2.warnings.join('\n'), /nothing to revert/);
});

test('item 2: a setting omamori manages from a later policy version is recorded before it is changed', () => {
  const w = adminMachine();
  const before = w.snapshot();
  const audit = compileWindows(policyFrom('audit'), { now: NOW }).files;
  const office = compileWindows(policyFrom('office'), { now: NOW }).files;
  w.shell({ now: NOW }).run(String(audit.get('apply.ps1')));          // audit: no Office values yet
  w.shell({ now: NOW, vars: { SkipAudit: true } }).run(String(office.get('apply.ps1')));   // enforce: Office values now
  w.shell({ now: NOW }).run(String(office.get('revert.ps1')));
  assert.deepEqual(w.snapshot(), before);
});

test('item 6: apply.ps1 of an enforcing policy refuses to enforce before the audit step, unless -SkipAudit', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  const w = adminMachine();
  const before = w.snapshot();
  const ps = w.shell({ now: NOW });
  assert.equal(ps.run(String(files.get('apply.ps1'))), 3);
  assert.deepEqual(w.snapshot(), before, 'nothing enforced');
  assert.match(ps.warnings.join('\n'), /apply-audit\.ps1 first/);
  assert.equal(w.shell({ now: NOW }).run(String(files.get('apply-audit.ps1'))), 0);
  assert.deepEqual([...w.state.asr.values()].filter((v) => v === 1).length, 1, 'the audit step sets audit, not block (the one Block rule is the admin\'s own)');
  assert.equal(w.shell({ now: NOW }).run(String(files.get('apply.ps1'))), 0);
  const w2 = adminMachine();
  assert.equal(w2.shell({ now: NOW, vars: { SkipAudit: true } }).run(String(files.get('apply.ps1'))), 0);
});

test('item 6: a failing CiTool stops apply before "applied" (no silent success)', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  const w = adminMachine();
  w.ciToolFails = 5;
  const ps = w.shell({ now: NOW, vars: { SkipAudit: true } });
  assert.throws(() => ps.run(String(files.get('apply.ps1'))), PsThrow);
  assert.ok(!ps.output.includes('omamori: applied.'));
  // the record was written before the change, so revert can still restore what apply recorded
  assert.ok(w.state.recordFile);
});

test('item 6: revert warns that a restart is needed where Windows needs one (before Windows 11 24H2, or without CiTool)', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  for (const [build, ciTool, restart] of [[22631, true, true], [26100, true, false], [19045, false, true]] as const) {
    const w = adminMachine();
    w.state.build = build;
    w.state.ciTool = ciTool;
    w.shell({ now: NOW, vars: { SkipAudit: true } }).run(String(files.get('apply.ps1')));
    const ps = w.shell({ now: NOW });
    ps.run(String(files.get('revert.ps1')));
    assert.equal(ps.warnings.some((x) => /restart Windows to finish/.test(x)), restart, `build ${build}, CiTool ${ciTool}`);
    assert.equal(w.state.policies.size, 0);
  }
});

test('item 7: the user hives include Microsoft Entra ID accounts (S-1-12-1-…), not service or _Classes hives', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  for (const f of ['apply.ps1', 'revert.ps1']) {
    const tree = parsePowerShell(String(files.get(f))).root;
    const fn = descendants(tree, 'function_statement').find((n) => n.namedChildren[0]?.text === 'Get-OmamoriUserHives')!;
    const pattern = /-match '([^']+)'/.exec(fn.text)![1]!;
    assert.equal(pattern, USER_HIVE_PATTERN, f);
  }
  const re = new RegExp(USER_HIVE_PATTERN, 'i');   // PowerShell -match is case-insensitive .NET regex; this one is plain
  for (const sid of ['S-1-5-21-100-200-300-1001', 'S-1-12-1-4100000000-1200000000-3500000000-2700000000']) assert.ok(re.test(sid), sid);
  for (const sid of ['S-1-5-18', 'S-1-5-19', 'S-1-5-20', '.DEFAULT', 'S-1-5-21-100-200-300-1001_Classes', 'S-1-12-1-41-12_Classes']) assert.ok(!re.test(sid), sid);
});
