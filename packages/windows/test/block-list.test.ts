// Item 10 of issue 14: Microsoft's recommended block list, kept as one table (src/block-list.ts, source named there),
// is in the compiled App Control XML entry by entry — a Deny rule with the file name and version bound of the table
// (or the folder rule), referenced from the user-mode signing scenario — for every mode that denies it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '@omamori/policy';
import { BLOCK_LIST, BLOCK_LIST_SOURCE, blockListFor } from '../src/block-list.ts';
import { compileWindows } from '../src/compile-windows.ts';
import { createWindowsSimulator } from '../src/simulate.ts';
import { NOW, policyFrom } from './helpers.ts';

interface DenyXml { id: string; fileName?: string; filePath?: string; min?: string }
function denies(xml: string): DenyXml[] {
  return [...xml.matchAll(/<Deny ID="([^"]+)"[^>]*?\/>/g)].map((m) => {
    const a = (n: string) => new RegExp(`${n}="([^"]*)"`).exec(m[0])?.[1];
    return { id: m[1]!, ...(a('FileName') ? { fileName: a('FileName')! } : {}), ...(a('FilePath') ? { filePath: a('FilePath')!.replace(/&amp;/g, '&') } : {}), ...(a('MinimumFileVersion') ? { min: a('MinimumFileVersion')! } : {}) };
  });
}
const umciRefs = (xml: string) => new Set([...xml.slice(xml.indexOf('ID_SIGNINGSCENARIO_UMCI')).matchAll(/<FileRuleRef RuleID="([^"]+)"/g)].map((m) => m[1]));

test('the table names its source and holds the members the issue lists', () => {
  assert.match(BLOCK_LIST_SOURCE.url, /^https:\/\/learn\.microsoft\.com\/.*applications-that-can-bypass-appcontrol$/);
  const names = new Set(BLOCK_LIST.map((e) => (e.fileName ?? e.filePath!).toLowerCase()));
  for (const n of ['addinprocess.exe', 'addinprocess32.exe', 'addinutil.exe', 'aspnet_compiler.exe', 'infdefaultinstall.exe',
    'microsoft.workflow.compiler.exe', 'microsoft.build.dll', 'microsoft.build.framework.dll', 'msbuild.exe', 'msbuild.dll',
    'wsl.exe', 'bash.exe', 'mshta.exe']) assert.ok(names.has(n), n);
  assert.ok(BLOCK_LIST.some((e) => e.filePath?.includes('GAC_MSIL\\System.Management.Automation')), 'the PowerShell 2 engine');
  assert.equal(new Set(BLOCK_LIST.map((e) => (e.fileName ?? e.filePath!).toLowerCase())).size, BLOCK_LIST.length, 'no duplicates');
  for (const e of BLOCK_LIST) assert.match(e.maxVersion, /^\d+\.\d+\.\d+\.\d+$/);
});

for (const name of [...PRESETS.map((p) => p.name), 'exceptions.yaml']) {
  test(`${name}: every block-list entry of its mode is a Deny rule in the compiled base policy`, () => {
    const { plan, files } = compileWindows(policyFrom(name), { now: NOW });
    const xmlFiles = ['app-control-base.xml', ...(files.has('app-control-base-audit.xml') ? ['app-control-base-audit.xml'] : [])];
    for (const file of xmlFiles) {
      const p = plan;
      const xml = String(files.get(file));
      const rules = denies(xml);
      const refs = umciRefs(xml);
      const expected = blockListFor(p.policy.mode);
      assert.ok(expected.length >= 40, `${expected.length} entries`);
      for (const e of expected) {
        const r = e.fileName ? rules.find((x) => x.fileName?.toLowerCase() === e.fileName!.toLowerCase()) : rules.find((x) => x.filePath === e.filePath);
        assert.ok(r, `${name} ${file}: no Deny for ${e.fileName ?? e.filePath}`);
        if (e.fileName) assert.equal(r.min, e.maxVersion, `${e.fileName}: version bound`);
        assert.ok(refs.has(r.id), `${name} ${file}: ${r.id} not referenced by the user-mode scenario`);
      }
      if (p.policy.mode !== 'lockdown') {
        for (const e of BLOCK_LIST.filter((x) => x.from === 'lockdown')) assert.ok(!rules.some((x) => x.fileName === e.fileName), `${name}: ${e.fileName} is lockdown-only`);
      }
    }
  });
}

test('the simulator denies block-list DLLs and the PowerShell 2 engine on load, not only programs on start', () => {
  const { plan } = compileWindows(policyFrom('office'), { now: NOW });
  const sim = createWindowsSimulator(plan);
  const load = (path: string) => sim.evaluate({ v: 1, platform: 'windows', kind: 'module.load', proc: { pid: 10, image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe' }, file: { path, signer: 'Microsoft Windows' } } as never);
  assert.equal(load('C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Microsoft.Build.dll')?.ruleName, 'App Control: deny rule by file name');
  assert.equal(load('C:\\Windows\\assembly\\GAC_MSIL\\System.Management.Automation\\1.0.0.0__31bf3856ad364e35\\System.Management.Automation.dll')?.blocked, true);
  assert.equal(load('C:\\Windows\\Microsoft.NET\\assembly\\GAC_MSIL\\System.Management.Automation\\v4.0_3.0.0.0__31bf3856ad364e35\\System.Management.Automation.dll'), undefined, 'the 5.1 engine loads');
});
