// Test helpers: the spec folder (../shared/specs beside the repo, or $OMAMORI_SPECS) and the fixtures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot, type Snapshot } from '../src/index.ts';

const repoRoot = new URL('../../../', import.meta.url).pathname;
export const fixtureDir = new URL('./fixtures/', import.meta.url).pathname;

/** Reads a spec file; throws (failing the test loudly) when the shared spec material is absent. */
export function readSpecJson(name: string): unknown {
  const dir = process.env.OMAMORI_SPECS ?? join(repoRoot, '..', 'shared', 'specs', 'emocheck');
  const p = join(dir, name);
  if (!existsSync(p)) throw new Error(`spec file missing: ${p} — the EmoCheck vectors live in ../shared/specs/emocheck (set OMAMORI_SPECS to override); this test cannot run without them`);
  return JSON.parse(readFileSync(p, 'utf8'));
}

export function loadFixture(name: string): Snapshot {
  const r = parseSnapshot(readFileSync(join(fixtureDir, name)));
  if (!r.ok) throw new Error(`fixture ${name} invalid: ${JSON.stringify(r.issues)}`);
  return r.snapshot;
}
