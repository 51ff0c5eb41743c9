// The policy commands as a user runs them: check, show, presets, decide (reproducing the scenario table), --lang.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareDecision, loadPolicy, parseScenario, PRESETS } from '@omamori/policy';
import { omamori } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'omamori-cli-'));

test('policy check prints all three mistakes with line and column and exits 1', async () => {
  const file = join(tmp, 'three.yaml');
  writeFileSync(file, 'omamori: 1\nname: acme\nversion: 0\nmode: enforce\nguarded:\n  deniedChildren: ["@shellz"]\n  colour: red\n');
  const r = await omamori(['policy', 'check', file]);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 3, r.out);
  assert.match(lines[0]!, new RegExp(`^${file}:3:10 OM008 `));
  assert.match(lines[1]!, new RegExp(`^${file}:6:20 OM102 `));
  assert.match(lines[2]!, new RegExp(`^${file}:7:3 OM004 unknown field 'colour'`));
  const ja = await omamori(['policy', 'check', file, '--lang', 'ja']);
  assert.match(ja.out, /不明な項目 'colour' です/);
  const env = await omamori(['policy', 'check', file], { env: { LANG: 'ja_JP.UTF-8' } });
  assert.match(env.out, /不明な項目/);
});

test('policy check accepts a valid file and reports a missing one', async () => {
  const file = join(tmp, 'ok.yaml');
  writeFileSync(file, 'omamori: 1\nname: ok\nversion: 2\nmode: audit\n');
  const r = await omamori(['policy', 'check', file, '--json']);
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.out)[0].valid, true);
  const missing = await omamori(['policy', 'check', join(tmp, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read \(ENOENT\)/);
});

test('policy show prints a preset that loads back unchanged, and a file with defaults filled', async () => {
  for (const p of PRESETS) {
    const r = await omamori(['policy', 'show', p.name]);
    assert.equal(r.code, 0);
    assert.equal(loadPolicy(r.out).policy?.name, p.name);
  }
  const file = join(tmp, 'min.yaml');
  writeFileSync(file, 'omamori: 1\nname: min\nversion: 1\nmode: audit\n');
  const r = await omamori(['policy', 'show', file]);
  assert.match(r.out, /failMode: open/);
  assert.deepEqual(loadPolicy(r.out).policy, loadPolicy(readFileSync(file, 'utf8')).policy);
});

test('presets lists every preset in both languages', async () => {
  const r = await omamori(['presets', '--json']);
  assert.deepEqual(JSON.parse(r.out).map((p: { name: string }) => p.name), ['office', 'strict', 'server', 'audit']);
  const ja = await omamori(['presets', '--lang', 'ja']);
  assert.match(ja.out, /事務用 PC/);
});

test('decide reproduces the scenario table for every preset', async () => {
  const dir = join(root, 'packages/policy/scenarios');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    const sc = parseScenario(readFileSync(join(dir, f), 'utf8'));
    const input = sc.steps.map((s) => JSON.stringify(s.event)).join('\n') + '\n';
    for (const p of PRESETS) {
      const r = await omamori(['decide', '--preset', p.name], { stdin: input });
      assert.equal(r.code, 0, r.err);
      const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(out.length, sc.steps.length);
      sc.steps.forEach((s, i) => {
        const e = s.expect[p.name];
        if (e) assert.equal(compareDecision(out[i], e), undefined, `${sc.name} / ${p.name} / ${s.step}`);
        assert.equal(out[i].id, s.event.id);
      });
    }
  }
});

test('decide reports malformed lines with their number and keeps going', async () => {
  const good = JSON.stringify({ v: 1, platform: 'linux', kind: 'process.start', proc: { pid: 1, image: '/home/a/x' } });
  const r = await omamori(['decide', '--preset', 'office', '--mode', 'audit'], { stdin: `${good}\n{oops\n{"v":1,"platform":"linux","kind":"process.start","proc":{"pid":"x"}}\n${good}\n` });
  assert.equal(r.code, 1);
  assert.match(r.err, /<stdin>:2: not JSON/);
  assert.match(r.err, /<stdin>:3: 'proc.pid' must be an integer/);
  const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, 2);
  assert.equal(out[0].verdict, 'audit-deny');
});

test('usage errors exit 2 with a hint; --help works on every command', async () => {
  assert.equal((await omamori(['nonsense'])).code, 2);
  const bad = await omamori(['decide', '--preset', 'nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown preset 'nope'/);
  assert.equal((await omamori(['decide', '--frobnicate'])).code, 2);
  assert.equal((await omamori(['--lang', 'fr', 'presets'])).code, 2);
  const { loadCommands } = await import('../src/commands/index.ts');
  for (const c of await loadCommands()) {
    const h = await omamori([...c.path, '--help']);
    assert.equal(h.code, 0, c.path.join(' '));
    assert.ok(h.out.length > 20);
    const hj = await omamori([...c.path, '--help', '--lang', 'ja']);
    assert.notEqual(hj.out, h.out, `${c.path.join(' ')} has Japanese help`);
  }
});

test('the installed bin runs (npx omamori)', () => {
  const r = spawnSync('npx', ['--no-install', 'omamori', 'presets'], { cwd: root, encoding: 'utf8', env: { ...process.env, LANG: 'C' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^office /m);
});
