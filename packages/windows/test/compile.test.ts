// The compiler: schema validity of every App Control XML (xmllint against Windows' cipolicy.xsd), stable GUIDs,
// mode → options/actions, exceptions → supplementals with expiry, and golden files for the office preset
// (OMAMORI_UPDATE_GOLDEN=1 rewrites them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '@omamori/policy';
import { compileWindows } from '../src/compile-windows.ts';
import { versionEx } from '../src/guid.ts';
import { dotnetTicks } from '../src/scripts.ts';
import { here, NOW, policyFrom, sharedDir } from './helpers.ts';

const xsd = join(sharedDir(), 'specs/windows/cipolicy.libxml2.xsd');

function xmllint(files: string[]): { code: number; err: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, ...files], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint not runnable: ${r.error.message} (install libxml2-utils)`);
  return { code: r.status ?? -1, err: r.stderr };
}

for (const name of [...PRESETS.map((p) => p.name), 'exceptions.yaml']) {
  test(`App Control XML of ${name} validates against cipolicy.xsd`, () => {
    const { files } = compileWindows(policyFrom(name), { now: NOW });
    const dir = mkdtempSync(join(tmpdir(), 'omamori-win-'));
    try {
      const xmls = [...files].filter(([n]) => n.endsWith('.xml'));
      for (const [n, c] of xmls) writeFileSync(join(dir, n), c);
      const r = xmllint(xmls.map(([n]) => join(dir, n)));
      assert.equal(r.code, 0, r.err);
      assert.equal((r.err.match(/ validates/g) ?? []).length, xmls.length);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
}

test('xmllint rejects a broken policy (the validation can fail)', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  const dir = mkdtempSync(join(tmpdir(), 'omamori-win-'));
  try {
    writeFileSync(join(dir, 'bad.xml'), String(files.get('app-control-base.xml')).replace('Enabled:UMCI', 'Enabled:Everything'));
    assert.notEqual(xmllint([join(dir, 'bad.xml')]).code, 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('PolicyID is stable per policy name and differs between names', () => {
  const a = compileWindows(policyFrom('office'), { now: NOW }).plan.appControl.policyId;
  const b = compileWindows(policyFrom('office'), { now: NOW + 1e9 }).plan.appControl.policyId;
  const c = compileWindows(policyFrom('strict'), { now: NOW }).plan.appControl.policyId;
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.match(a, /^\{[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\}$/);
});

test('mode: audit sets Audit Mode and ASR audit; enforce blocks; lockdown has no path rules', () => {
  const audit = compileWindows(policyFrom('audit'), { now: NOW });
  assert.match(String(audit.files.get('app-control-base.xml')), /<Option>Enabled:Audit Mode<\/Option>/);
  assert.ok(audit.plan.asr.every((r) => r.action === 'audit'));
  assert.equal(audit.plan.office.length, 0);
  const office = compileWindows(policyFrom('office'), { now: NOW });
  assert.doesNotMatch(String(office.files.get('app-control-base.xml')), /Audit Mode/);
  assert.match(String(office.files.get('app-control-base.xml')), /FilePath="%OSDRIVE%\\Program Files\\\*"/);
  assert.ok(office.plan.asr.every((r) => r.action === 'block'));
  const strict = compileWindows(policyFrom('strict'), { now: NOW });
  assert.doesNotMatch(String(strict.files.get('app-control-base.xml')), /<Allow [^>]*FilePath=/);
  assert.ok(strict.plan.appControl.denyNames.includes('wscript.exe'));
  assert.ok(!office.plan.appControl.denyNames.includes('wscript.exe'));
  assert.ok(!office.plan.appControl.denyNames.includes('cmd.exe') && !office.plan.appControl.denyNames.includes('rundll32.exe'));
});

test('--asr warn keeps LSASS on block (it has no warn mode)', () => {
  const { plan } = compileWindows(policyFrom('office'), { now: NOW, asrAction: 'warn' });
  assert.equal(plan.asr.find((r) => r.key === 'lsass')?.action, 'block');
  assert.equal(plan.asr.find((r) => r.key === 'officeChild')?.action, 'warn');
});

test('exceptions: live ones become supplementals, expired and user-space ones are reported, not dropped', () => {
  const { plan, files } = compileWindows(policyFrom('exceptions.yaml'), { now: NOW });
  assert.deepEqual(plan.appControl.supplementals.map((s) => s.exceptionId), ['payroll-2026', 'cad-viewer']);
  const cad = plan.appControl.supplementals[1]!;
  assert.equal(cad.path, '%OSDRIVE%\\Program Files\\CadViewer\\*');
  assert.equal(cad.host, 'PC-DESIGN-01');
  const sup = String(files.get('app-control-supplemental-cad-viewer.xml'));
  assert.match(sup, /PolicyType="Supplemental Policy"/);
  assert.match(sup, new RegExp(`<BasePolicyID>${plan.appControl.policyId.replace(/[{}]/g, '\\$&')}</BasePolicyID>`));
  assert.match(sup, /expires 2030-01-01T00:00:00Z/);
  assert.ok(plan.skipped.some((s) => s.value === 'old-one' && s.why === 'expired'));
  assert.ok(plan.skipped.some((s) => s.value === 'downloads-tool' && s.why === 'no-rule'));
  assert.ok(plan.skipped.some((s) => s.value === '%USERPROFILE%/Downloads/tool.exe' && s.why === 'user-space'));
  assert.ok(plan.skipped.some((s) => s.value === '/opt/tools/**' && s.why === 'not-windows'));
  assert.ok(plan.appControl.allowPaths.some((p) => p.path === '%OSDRIVE%\\Program Files\\Contoso\\*'));
  const report = String(files.get('mapping.en.md'));
  for (const s of ['old-one', 'downloads-tool', '/opt/tools/**', 'Contoso Ltd.', 'Authenticode']) assert.ok(report.includes(s), s);
  const apply = String(files.get('apply.ps1'));
  assert.match(apply, /\$env:COMPUTERNAME -ieq 'PC-DESIGN-01'/);
  // Expiry compared as .NET ticks (no [DateTimeOffset], which Constrained Language Mode refuses).
  assert.ok(apply.includes(`if ([DateTime]::UtcNow.Ticks -lt ${dotnetTicks('2030-03-31T00:00:00Z')}) {`));
  assert.ok(apply.includes(`if ([DateTime]::UtcNow.Ticks -lt ${dotnetTicks('2030-01-01T00:00:00Z')} -and $env:COMPUTERNAME -ieq 'PC-DESIGN-01') {`));
  assert.equal(dotnetTicks('1970-01-01T00:00:00Z'), '621355968000000000');
  assert.equal(dotnetTicks('2030-03-31T00:00:00Z'), String(621355968000000000n + BigInt(Date.parse('2030-03-31T00:00:00Z')) * 10000n));
});

test('mapping report states what Windows cannot enforce, in both languages', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  const en = String(files.get('mapping.en.md'));
  const ja = String(files.get('mapping.ja.md'));
  assert.match(en, /inheritance to all descendants[\s\S]*NOT enforced by Windows/);
  assert.match(en, /guarded\.readProtect[\s\S]*NOT enforced by Windows/);
  assert.match(en, /processProtection[\s\S]*partly enforced/);
  assert.match(ja, /Windows では強制できない/);
  assert.match(ja, /子孫プロセスへ引き継げません/);
});

const goldenDir = join(here, 'golden', 'office');
test('golden files of the office preset', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  if (process.env.OMAMORI_UPDATE_GOLDEN) {
    mkdirSync(goldenDir, { recursive: true });
    for (const [n, c] of files) writeFileSync(join(goldenDir, n), c);
  }
  assert.ok(existsSync(goldenDir), 'golden files missing: run with OMAMORI_UPDATE_GOLDEN=1');
  assert.deepEqual(readdirSync(goldenDir).sort(), [...files.keys()].sort());
  for (const [n, c] of files) assert.ok(Buffer.from(c).equals(readFileSync(join(goldenDir, n))), `${n} differs from golden`);
});

const options = (xml: string) => [...xml.matchAll(/<Option>([^<]+)<\/Option>/g)].map((m) => m[1]);

test('item 3: every base policy boots safely — Boot Audit On Failure and the advanced boot menu', () => {
  for (const name of [...PRESETS.map((p) => p.name), 'exceptions.yaml']) {
    const { files } = compileWindows(policyFrom(name), { now: NOW });
    for (const [n, xml] of files) {
      if (!/^app-control-base.*\.xml$/.test(n)) continue;
      const o = options(String(xml));
      assert.ok(o.includes('Enabled:Boot Audit On Failure'), `${name} ${n}: ${o.join(', ')}`);
      assert.ok(o.includes('Enabled:Advanced Boot Options Menu'), `${name} ${n}`);
    }
  }
});

test('item 4: audit turns script enforcement off (MSHTA/MSXML are blocked by any policy that enforces scripts); enforce keeps it', () => {
  const audit = compileWindows(policyFrom('audit'), { now: NOW });
  assert.deepEqual(options(String(audit.files.get('app-control-base.xml'))).filter((o) => /Audit Mode|Script Enforcement/.test(o!)), ['Enabled:Audit Mode', 'Disabled:Script Enforcement']);
  assert.equal(audit.plan.appControl.scriptEnforcement, false);
  const office = compileWindows(policyFrom('office'), { now: NOW });
  assert.ok(!options(String(office.files.get('app-control-base.xml'))).includes('Disabled:Script Enforcement'));
  // the audit step of an enforcing policy is an audit too
  assert.deepEqual(options(String(office.files.get('app-control-base-audit.xml'))).filter((o) => /Audit Mode|Script Enforcement/.test(o!)), ['Enabled:Audit Mode', 'Disabled:Script Enforcement']);
  assert.match(String(audit.files.get('mapping.en.md')), /App Control script enforcement[\s\S]*MSHTA/);
});

test('item 6: enforce and lockdown get an audit step with the same rules and PolicyID, in audit mode', () => {
  for (const name of ['office', 'strict']) {
    const { plan, auditPlan, files } = compileWindows(policyFrom(name), { now: NOW });
    assert.ok(auditPlan && files.has('apply-audit.ps1') && files.has('app-control-base-audit.xml'), name);
    assert.equal(auditPlan.appControl.policyId, plan.appControl.policyId);
    assert.deepEqual(auditPlan.appControl.denyRules, plan.appControl.denyRules);
    assert.deepEqual(auditPlan.appControl.allowPaths, plan.appControl.allowPaths);
    assert.ok(auditPlan.asr.every((r) => r.action === 'audit'));
    assert.equal(auditPlan.office.length, 0);
    const xml = String(files.get('app-control-base-audit.xml'));
    const same = (x: string) => x.replace(/\s*<Rule>\s*<Option>(Enabled:Audit Mode|Disabled:Script Enforcement)<\/Option>\s*<\/Rule>/g, '').replace(/<VersionEx>[^<]*<\/VersionEx>/, '');
    assert.equal(same(xml), same(String(files.get('app-control-base.xml'))));
    // the enforcing policy has a higher VersionEx than its audit step: same PolicyID, so a machine running the audit
    // step must not look up to date (apply would never switch it to enforce)
    assert.match(xml, new RegExp(`<VersionEx>${auditPlan.appControl.versionEx.replace(/\./g, '\\.')}</VersionEx>`));
    assert.notEqual(auditPlan.appControl.versionEx, plan.appControl.versionEx);
  }
  const audit = compileWindows(policyFrom('audit'), { now: NOW });
  assert.equal(audit.auditPlan, undefined);
  assert.ok(!audit.files.has('apply-audit.ps1'));
});

test('item 6: VersionEx orders audit before enforce within a policy version, and versions before both', () => {
  const cmp = (a: string, b: string) => { const x = a.split('.').map(Number), y = b.split('.').map(Number); for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!; return 0; };
  assert.equal(versionEx(7, false), '1.0.7.0');
  assert.equal(versionEx(7), '1.0.7.1');
  assert.equal(versionEx(65536 + 3), '1.1.3.1');
  assert.ok(cmp(versionEx(7, false), versionEx(7)) < 0);
  assert.ok(cmp(versionEx(7), versionEx(8, false)) < 0);
  // and above what earlier omamori builds deployed (1.0.hi.lo) for the same policy version
  assert.ok(cmp('1.0.0.7', versionEx(7, false)) < 0);
  const audit = compileWindows(policyFrom('audit'), { now: NOW });
  assert.equal(audit.plan.appControl.versionEx.split('.')[3], '0', 'an audit policy is an audit VersionEx');
  const supplemental = compileWindows(policyFrom('exceptions.yaml'), { now: NOW });
  for (const [n, x] of supplemental.files) {
    if (/supplemental/.test(n)) assert.match(String(x), new RegExp(`<VersionEx>${supplemental.plan.appControl.versionEx.replace(/\./g, '\\.')}</VersionEx>`));
  }
});

test('item 11: lockdown says in the report that non-Microsoft programs in Program Files are blocked, and how to allow them', () => {
  const { files } = compileWindows(policyFrom('strict'), { now: NOW });
  const en = String(files.get('mapping.en.md'));
  const ja = String(files.get('mapping.ja.md'));
  assert.match(en, /lockdown: programs outside Windows[\s\S]*third-party antivirus and VPN clients[\s\S]*node\.exe[\s\S]*omamori policy suggest[\s\S]*New-CIPolicy -Audit -Level Publisher/);
  assert.match(ja, /ロックダウンでは Program Files[\s\S]*omamori policy suggest/);
  assert.doesNotMatch(String(compileWindows(policyFrom('office'), { now: NOW }).files.get('mapping.en.md')), /lockdown: programs outside Windows/);
});
