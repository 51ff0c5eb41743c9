// Scenario files (scenarios/*.yaml): recording + policy + the expected first stop (and later ones) in some process
// tree. Each distinct (recording, policy) pair is replayed once.
//
// Two forms. One policy: `preset: NAME` (or `policy: FILE`) with `expect: { first, later, absent }`. Every preset:
// `expect: { office: {…}, strict: {…}, server: {…}, audit: {…} }`, each with the same fields. `first` is a stop
// description or `none` (nothing in the recording would be stopped); `absent` lists stops that must not occur
// anywhere (an expectation may have only `absent`). A recording path starting with `./` is relative to the scenarios folder (hand-written event XML);
// other paths are relative to the shared data folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { replayPaths, type Block, type ReplayResult } from '@omamori/replay';
import { dataPath, filePolicy, presetPolicy, scenariosDir } from './data.ts';

interface Expect {
  image?: string; rule?: string; reason?: string; kind?: string; object?: string; lineage?: string[]; unlessSigned?: boolean;
}
interface PresetExpect { first?: Expect | 'none'; later?: Expect[]; absent?: Expect[] }
interface Scenario { file: string; recording: string; preset?: string; policy?: string; expect: PresetExpect | Record<string, PresetExpect> }

const base = (p: string) => p.slice(Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/')) + 1).toLowerCase();

function matches(b: Block, e: Expect): boolean {
  if (e.image !== undefined && base(b.image) !== e.image.toLowerCase()) return false;
  if (e.rule !== undefined && b.rule !== e.rule) return false;
  if (e.reason !== undefined && b.reason !== e.reason) return false;
  if (e.kind !== undefined && b.kind !== e.kind) return false;
  if (e.object !== undefined && !(b.object ?? '').toLowerCase().includes(e.object.toLowerCase())) return false;
  if (e.unlessSigned !== undefined && (b.unlessSigned !== undefined) !== e.unlessSigned) return false;
  if (e.lineage !== undefined) {
    const got = b.lineage.map((l) => base(l.image));
    const want = e.lineage.map((x) => x.toLowerCase());
    if (got.length < want.length || got.slice(-want.length).join('>') !== want.join('>')) return false;
  }
  return true;
}

const scenarios: Scenario[] = readdirSync(scenariosDir).filter((f) => f.endsWith('.yaml')).sort()
  .map((f) => ({ file: f, ...(parse(readFileSync(join(scenariosDir, f), 'utf8')) as Omit<Scenario, 'file'>) }));

/** The (policy name, expectation) pairs of a scenario. */
function cases(s: Scenario): [string, PresetExpect][] {
  if ('first' in s.expect || 'absent' in s.expect) return [[s.policy ?? s.preset ?? 'office', s.expect as PresetExpect]];
  return Object.entries(s.expect as Record<string, PresetExpect>);
}

const cache = new Map<string, Promise<ReplayResult>>();
function replayOnce(s: Scenario, policyName: string): Promise<ReplayResult> {
  const key = `${s.recording}|${policyName}`;
  let r = cache.get(key);
  if (!r) {
    const policy = s.policy ? filePolicy(join(scenariosDir, s.policy)) : presetPolicy(policyName);
    const input = s.recording.startsWith('./') ? join(scenariosDir, s.recording) : dataPath(s.recording);
    r = replayPaths([input], { policy, maxBlocksPerTree: 500 });
    cache.set(key, r);
  }
  return r;
}

const describe = (b: Block) => `${b.rule}${b.unlessSigned ? ' (unless signed)' : ''} ${base(b.image)} ${b.object ?? ''} [${b.lineage.map((l) => base(l.image)).join('>')}]`;

test('there are scenario files', () => assert.ok(scenarios.length >= 10, `${scenarios.length} scenarios`));

for (const s of scenarios) {
  for (const [policyName, e] of cases(s)) {
    test(`scenario ${s.file} under ${policyName}`, async () => {
      const r = await replayOnce(s, policyName);
      assert.equal(r.stats.issues, 0, JSON.stringify(r.issues.slice(0, 3)));
      assert.ok(r.stats.records > 0, `no records read from ${s.recording}`);
      const stopped = r.trees.filter((t) => t.blocks.length > 0);
      const firsts = stopped.map((t) => describe(t.blocks[0]!));
      for (const a of e.absent ?? []) {
        const hit = r.trees.flatMap((t) => t.blocks).find((b) => matches(b, a));
        assert.ok(!hit, `a stop that must not occur occurred: ${hit ? describe(hit) : ''}`);
      }
      if (e.first === undefined) {
        assert.ok(e.absent?.length, 'an expectation needs first or absent');
        return;
      }
      if (e.first === 'none') {
        assert.deepEqual(firsts, [], 'expected nothing stopped');
        return;
      }
      const first = e.first;
      const tree = stopped.find((t) => matches(t.blocks[0]!, first));
      assert.ok(tree, `no process tree stops first at ${JSON.stringify(first)}; first stops were:\n${firsts.join('\n')}`);
      for (const l of e.later ?? []) {
        assert.ok(tree.blocks.slice(1).some((b) => matches(b, l)), `no later stop ${JSON.stringify(l)} in the tree of ${tree.root.image}: ${tree.blocks.map(describe).join('; ')}`);
      }
    });
  }
}
