// Policy loading: every problem at once with line and column, in both languages; presets valid; defaults filled.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatProblem, loadPolicy, PRESETS } from '../src/index.ts';

const threeMistakes = `omamori: 1
name: acme
version: 3
mode: enforcing
guarded:
  applications:
    - id: mail
      kind: mail
      names: [thunderbird]
      colour: red
  deniedChildren: ["@shellz"]
`;

test('every preset loads without problems', () => {
  for (const p of PRESETS) {
    const r = loadPolicy(p.text, { now: Date.parse('2026-11-25T00:00:00Z') });
    assert.deepEqual(r.problems, [], p.name);
    assert.equal(r.policy?.name, p.name);
  }
});

test('three mistakes are all reported with line and column', () => {
  const r = loadPolicy(threeMistakes);
  assert.equal(r.policy, undefined);
  const lines = r.problems.map((p) => formatProblem('acme.yaml', p, 'en'));
  assert.deepEqual(lines, [
    'acme.yaml:4:7 OM005 must be one of: audit, enforce, lockdown (mode)',
    "acme.yaml:10:7 OM004 unknown field 'colour' (guarded.applications.0.colour)",
    "acme.yaml:11:20 OM102 unknown set '@shellz' (known: @shells, @script-hosts, @lolbins, @downloaders) (guarded.deniedChildren.0)",
  ]);
  const ja = r.problems.map((p) => formatProblem('acme.yaml', p, 'ja'));
  assert.match(ja[0]!, /^acme\.yaml:4:7 OM005 次のいずれかでなければなりません/);
  assert.match(ja[1]!, /不明な項目 'colour'/);
});

test('YAML syntax errors are located', () => {
  const r = loadPolicy('omamori: 1\nname: x\nversion: [1\nmode: audit\n');
  assert.equal(r.policy, undefined);
  assert.equal(r.problems[0]!.code, 'OM001');
  assert.ok(r.problems[0]!.line >= 3);
});

test('duplicate keys, empty files and missing fields', () => {
  assert.equal(loadPolicy('').problems[0]!.code, 'OM007');
  const dup = loadPolicy('omamori: 1\nname: a\nname: b\nversion: 1\nmode: audit\n');
  assert.equal(dup.problems[0]!.code, 'OM001');
  const missing = loadPolicy('omamori: 1\nname: a\n');
  assert.deepEqual(missing.problems.map((p) => [p.code, p.params.field]).sort(), [['OM003', 'mode'], ['OM003', 'version']]);
});

test('semantic checks: duplicate ids, trusted path in user space, bad dates, expired exceptions, bad patterns', () => {
  const text = `omamori: 1
name: t
version: 1
mode: enforce
trust:
  paths: ["/home/*/bin/**", "/opt/acme/**", "relative/path"]
  exceptions:
    - { id: a, path: /opt/x, expires: 2020-01-01T00:00:00Z }
    - { id: a, sha256: ${'a'.repeat(64)}, expires: tomorrow }
    - { id: b, expires: 2030-01-01 }
guarded:
  applications:
    - { id: x, kind: other, names: [x] }
    - { id: x, kind: other }
`;
  const r = loadPolicy(text, { now: Date.parse('2026-11-25T00:00:00Z') });
  const codes = r.problems.map((p) => `${p.line}:${p.code}:${p.severity}`);
  assert.deepEqual(codes, [
    '6:OM104:error', '6:OM103:error',
    '8:OM106:warning',
    '9:OM101:error', '9:OM105:error',
    '10:OM107:error',
    '14:OM108:error', '14:OM101:error',
  ]);
});

test('defaults are filled in for a minimal policy', () => {
  const r = loadPolicy('omamori: 1\nname: min\nversion: 1\nmode: audit\n');
  assert.ok(r.policy);
  assert.equal(r.policy.failMode, 'open');
  assert.deepEqual(r.policy.userSpace.paths, ['@user-space']);
  assert.deepEqual(r.policy.guarded.writeProtect, ['@system', '@autostart']);
  assert.equal(r.policy.trust.packageManager, true);
});
