// `replay --as windows` on the shared recordings of packages/replay/scenarios: which Windows mechanism stops which
// step, next to omamori's own first stop; and measured upper bounds of Windows' false-block candidates on the benign
// recordings (docs/windows.md explains each). Fails loudly when the recordings are absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { replayPaths, type AltBlock, type ProcessTree, type ReplayResult } from '@omamori/replay';
import { compileWindowsPlan } from '../src/plan.ts';
import { windowsReplayAlternative } from '../src/simulate-notes.ts';
import { NOW, policyFrom, root } from './helpers.ts';

const LSASS = 'asr:9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2';

function dataPath(rel: string): string {
  const dir = process.env.OMAMORI_DATA ?? join(root, '../shared/data');
  if (!existsSync(join(dir, 'MANIFEST.md'))) throw new Error(`shared recordings not found at ${dir} (set OMAMORI_DATA)`);
  const p = join(dir, rel);
  if (!existsSync(p)) throw new Error(`recording missing: ${p}`);
  return p;
}

const policy = policyFrom('office');
const alternative = windowsReplayAlternative(compileWindowsPlan(policy, { now: NOW }));
const replay = (rel: string) => replayPaths([dataPath(rel)], { policy, alternative, maxBlocksPerTree: 500 });

const base = (p: string) => p.slice(Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/')) + 1).toLowerCase();
const altFirst = (t: ProcessTree): AltBlock | undefined => t.alt?.blocks.find((b) => b.first);
function treeWithPolicyFirst(r: ReplayResult, image: string, rule: string): ProcessTree {
  const t = r.trees.find((x) => x.blocks[0] && base(x.blocks[0].image) === image && x.blocks[0].rule === rule);
  assert.ok(t, `no tree where omamori first stops ${image} by ${rule}: ${r.trees.map((x) => x.blocks[0] && `${base(x.blocks[0].image)} ${x.blocks[0].rule}`).join('; ')}`);
  return t;
}

test('IE → cmd drive-by: omamori stops cmd.exe (guarded browser); no Windows engine does (ASR has no browser rule)', async () => {
  const r = await replay('evtx-attack-samples/Execution/exec_driveby_cve-2018-15982_sysmon_1_10.evtx');
  const t = treeWithPolicyFirst(r, 'cmd.exe', 'guarded.children');
  assert.equal(altFirst(t), undefined);
  assert.deepEqual({ ...t.alt!.compare, policyFirst: undefined }, { both: 0, policyOnly: 1, altOnly: 0, policyFirst: undefined });
  assert.equal(t.blocks[0]!.alt, null);
});

test('Excel XLL add-in: App Control stops the ProgramData .xll load and the desktop loader, as omamori does', async () => {
  const r = await replay('mordor/datasets/atomic/windows/lateral_movement/host/covenant_dcom_registerxll.zip');
  const t = treeWithPolicyFirst(r, 'excel.exe', 'launch.user-space-library');
  const w = altFirst(t)!;
  assert.equal(w.mechanism, 'wdac');
  assert.match(w.object ?? '', /\\ProgramData\\calc\.xll$/i);
  assert.deepEqual(w.policy, { rule: 'launch.user-space-library', reason: 'USER_SPACE_LIBRARY' });
  const a = r.alternative!;
  assert.deepEqual(a.mechanisms.map((m) => m.mechanism), ['wdac']);
  assert.equal(a.stats.altOnly, 0);
  assert.equal(a.stats.both, 3);
});

test('rundll32 ProgramData CPL: omamori stops control.exe first; Windows only the .cpl load (App Control)', async () => {
  const r = await replay('mordor/datasets/atomic/windows/defense_evasion/host/psh_control_panel_execution.zip');
  const t = treeWithPolicyFirst(r, 'control.exe', 'guarded.children');
  const w = altFirst(t)!;
  assert.equal(w.mechanism, 'wdac');
  assert.equal(base(w.image), 'rundll32.exe');
  assert.match(w.object ?? '', /\\ProgramData\\calc\.cpl$/i);
  assert.equal(t.blocks[0]!.alt, null, 'no Windows engine stops PowerShell starting control.exe');
  assert.deepEqual({ both: t.alt!.compare.both, policyOnly: t.alt!.compare.policyOnly, altOnly: t.alt!.compare.altOnly }, { both: 1, policyOnly: 4, altOnly: 0 });
});

test('mimikatz (Empire) reads LSASS: the ASR LSASS rule stops the same step omamori does', async () => {
  const r = await replay('mordor/datasets/atomic/windows/credential_access/host/empire_mimikatz_logonpasswords.zip');
  const t = treeWithPolicyFirst(r, 'powershell.exe', 'guarded.process');
  const w = altFirst(t)!;
  assert.equal(w.mechanism, LSASS);
  assert.equal(w.blocked, true);
  assert.equal(base(w.object ?? ''), 'lsass.exe');
  assert.equal(t.alt!.compare.policyFirst, t.alt!.compare.altFirst);
});

test('Dumpert: App Control stops the desktop program; ASR LSASS would stop its reads if it ran', async () => {
  const r = await replay('mordor/datasets/atomic/windows/credential_access/host/cmd_lsass_memory_dumpert_syscalls.zip');
  const t = treeWithPolicyFirst(r, 'outflank-dumpert.exe', 'launch.user-space');
  assert.equal(altFirst(t)!.mechanism, 'wdac');
  assert.ok(t.alt!.blocks.some((b) => !b.first && b.mechanism === LSASS && !b.policy), JSON.stringify(t.alt!.blocks.map((b) => b.mechanism)));
});

test('PSInject: no Windows engine stops PowerShell writing into notepad (ASR injection covers Office only); PowerShell is constrained', async () => {
  const r = await replay('mordor/datasets/atomic/windows/defense_evasion/host/empire_psinject_PEinjection.zip');
  const t = treeWithPolicyFirst(r, 'powershell.exe', 'guarded.process');
  assert.equal(altFirst(t), undefined);
  assert.ok(t.alt!.compare.policyOnly >= 80, String(t.alt!.compare.policyOnly));
  assert.equal(r.alternative!.stats.stops, 0);
  assert.ok(r.alternative!.stats.constrained >= 1);
});

test('mshta → PowerShell cradle: App Control denies mshta.exe by name, one step before omamori stops PowerShell', async () => {
  const r = await replay('mordor/datasets/atomic/windows/defense_evasion/host/cmd_mshta_vbscript_execute_psh.zip');
  const t = treeWithPolicyFirst(r, 'powershell.exe', 'guarded.children');
  const w = altFirst(t)!;
  assert.equal(w.mechanism, 'wdac');
  assert.equal(base(w.image), 'mshta.exe');
  assert.match(w.ruleName, /deny rule/);
  assert.equal(w.policy, undefined, 'omamori lets mshta itself start (it guards it instead)');
});

test('benign dfir-artifact-museum: Windows stops nothing (measured 0); 2 PowerShell troubleshooting scripts constrained', async () => {
  const r = await replay('dfir-artifact-museum');
  const a = r.alternative!;
  assert.ok(r.stats.records > 6000);
  assert.equal(a.stats.stops, 0, JSON.stringify(a.mechanisms));
  assert.ok(a.stats.constrained <= 2, String(a.stats.constrained));
  assert.ok(a.mechanisms.every((m) => m.mechanism === 'wdac-script'));
});

test('benign sysmon.evtx workstation: at most 17 Windows false-block candidates (12 App Control, 5 ASR LSASS)', async () => {
  const r = await replay('evtx-parser-samples/samples/sysmon.evtx');
  const a = r.alternative!;
  const by = Object.fromEntries(a.mechanisms.map((m) => [m.mechanism, m.count]));
  assert.ok(a.stats.stops <= 17, JSON.stringify(by));
  assert.deepEqual(Object.keys(by).sort(), [LSASS, 'wdac'].sort());
  assert.ok((by.wdac ?? 0) <= 12 && (by[LSASS] ?? 0) <= 5, JSON.stringify(by));
  const wdac = a.mechanisms.find((m) => m.mechanism === 'wdac')!;
  assert.ok(wdac.examples.every((e) => /\\(users|windows\\temp)\\/i.test(e.image)), JSON.stringify(wdac.examples));
  // Since issue 12 omamori lets Opera's updater run its installers from C:\Windows\Temp\opera autoupdate (a folder
  // only SYSTEM wrote in); App Control's user-writable-path check still stops those 8 starts unless Opera is signed-trusted.
  assert.ok(wdac.altOnly <= 8, `App Control stops ${wdac.altOnly} starts omamori lets run (expected only the Opera installers)`);
  assert.ok(wdac.examples.filter((e) => !/\\opera autoupdate\\|\\opera installer\\/i.test(e.image)).every((e) => /\\users\\/i.test(e.image)), JSON.stringify(wdac.examples));
  const lsass = a.mechanisms.find((m) => m.mechanism === LSASS)!;
  assert.ok(lsass.examples.every((e) => /procmon64\.exe$|wmiprvse\.exe$/i.test(e.image)), JSON.stringify(lsass.examples));
});
