// Scenario files (scenarios/*.yaml): recording + policy + the expected first stop (and later ones) in some process
// tree. Each distinct (recording, policy) pair is replayed once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { replayPaths, type Block, type ReplayResult } from '@omamori/replay';
import { dataPath, filePolicy, presetPolicy, scenariosDir } from './data.ts';

interface Expect { image?: string; rule?: string; reason?: string; kind?: string; object?: string; lineage?: string[] }
interface Scenario { file: string; recording: string; preset?: string; policy?: string; expect: { first: Expect; later?: Expect[] } }

const base = (p: string) => p.slice(Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/')) + 1).toLowerCase();

function matches(b: Block, e: Expect): boolean {
  if (e.image !== undefined && base(b.image) !== e.image.toLowerCase()) return false;
  if (e.rule !== undefined && b.rule !== e.rule) return false;
  if (e.reason !== undefined && b.reason !== e.reason) return false;
  if (e.kind !== undefined && b.kind !== e.kind) return false;
  if (e.object !== undefined && !(b.object ?? '').toLowerCase().includes(e.object.toLowerCase())) return false;
  if (e.lineage !== undefined) {
    const got = b.lineage.map((l) => base(l.image));
    const want = e.lineage.map((x) => x.toLowerCase());
    if (got.length < want.length || got.slice(-want.length).join('>') !== want.join('>')) return false;
  }
  return true;
}

const scenarios: Scenario[] = readdirSync(scenariosDir).filter((f) => f.endsWith('.yaml')).sort()
  .map((f) => ({ file: f, ...(parse(readFileSync(join(scenariosDir, f), 'utf8')) as Omit<Scenario, 'file'>) }));

const cache = new Map<string, Promise<ReplayResult>>();
function replayOnce(s: Scenario): Promise<ReplayResult> {
  const key = `${s.recording}|${s.policy ?? s.preset}`;
  let r = cache.get(key);
  if (!r) {
    const policy = s.policy ? filePolicy(join(scenariosDir, s.policy)) : presetPolicy(s.preset ?? 'office');
    r = replayPaths([dataPath(s.recording)], { policy, maxBlocksPerTree: 500 });
    cache.set(key, r);
  }
  return r;
}

test('there are scenario files', () => assert.ok(scenarios.length >= 10, `${scenarios.length} scenarios`));

for (const s of scenarios) {
  test(`scenario ${s.file}`, async () => {
    const r = await replayOnce(s);
    assert.equal(r.stats.issues, 0, JSON.stringify(r.issues.slice(0, 3)));
    const tree = r.trees.find((t) => t.blocks[0] !== undefined && matches(t.blocks[0], s.expect.first));
    const firsts = r.trees.map((t) => t.blocks[0]!).map((b) => `${b.rule} ${base(b.image)} ${b.object ?? ''} [${b.lineage.map((l) => base(l.image)).join('>')}]`);
    assert.ok(tree, `no process tree stops first at ${JSON.stringify(s.expect.first)}; first stops were:\n${firsts.join('\n')}`);
    for (const e of s.expect.later ?? []) {
      assert.ok(tree.blocks.slice(1).some((b) => matches(b, e)), `no later stop ${JSON.stringify(e)} in the tree of ${tree.root.image}`);
    }
  });
}
