// Where the shared third-party recordings are: `../shared/data` beside the repository, or $OMAMORI_DATA.
// Tests that need them fail loudly when they are absent (never pass silently).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile, findPreset, loadPolicy, type CompiledPolicy } from '@omamori/policy';

export const repoRoot = resolve(process.env.OMAMORI_ROOT ?? new URL('../../..', import.meta.url).pathname);
export const scenariosDir = join(repoRoot, 'packages/replay/scenarios');

export function dataDir(): string {
  const dir = process.env.OMAMORI_DATA ?? join(repoRoot, '../shared/data');
  if (!existsSync(join(dir, 'MANIFEST.md'))) {
    throw new Error(`shared recordings not found at ${dir} (set OMAMORI_DATA to the folder holding MANIFEST.md)`);
  }
  return dir;
}

export function dataPath(rel: string): string {
  const p = join(dataDir(), rel);
  if (!existsSync(p)) throw new Error(`recording missing: ${p}`);
  return p;
}

export function presetPolicy(name: string): CompiledPolicy {
  const preset = findPreset(name);
  if (!preset) throw new Error(`unknown preset ${name}`);
  return compile(loadPolicy(preset.text).policy!);
}

export function filePolicy(path: string): CompiledPolicy {
  const r = loadPolicy(readFileSync(path, 'utf8'));
  if (!r.policy) throw new Error(`${path}: ${JSON.stringify(r.problems)}`);
  return compile(r.policy);
}
