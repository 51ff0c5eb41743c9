// Scenario tests: every step of every scenario file decided under every preset matches its expectation.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compareDecision, compile, createEngine, loadPolicy, parseScenario, PRESETS } from '../src/index.ts';

const dir = join(import.meta.dirname, '..', 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

test('scenario files exist', () => assert.ok(files.length >= 4, `found ${files.length}`));

for (const file of files) {
  const scenario = parseScenario(readFileSync(join(dir, file), 'utf8'));
  describe(`scenario ${scenario.name}`, () => {
    for (const preset of PRESETS) {
      test(`under preset ${preset.name}`, () => {
        const engine = createEngine(compile(loadPolicy(preset.text).policy!), { now: Date.parse('2026-11-25T00:00:00Z') });
        const wrong: string[] = [];
        let checked = 0;
        for (const s of scenario.steps) {
          const d = engine.decide(s.event);
          const e = s.expect[preset.name];
          if (!e) continue;
          checked++;
          const diff = compareDecision(d, e);
          if (diff) wrong.push(`${s.step}: ${diff} (rule ${d.rule})`);
          assert.ok(d.lineage.length >= 1 || s.event.kind === 'media.mount', 'every decision carries lineage');
          assert.equal(d.policyVersion, `${preset.name}@1`);
        }
        assert.ok(checked > 0, 'no expectation for this preset');
        assert.deepEqual(wrong, []);
      });
    }
  });
}
