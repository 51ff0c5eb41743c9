// Shared test helpers: load a policy (preset or fixture), find the shared spec folder (fails loudly when absent).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, findPreset, loadPolicy, type CompiledPolicy } from '@omamori/policy';

export const here = new URL('.', import.meta.url).pathname;
export const root = process.env.OMAMORI_ROOT ?? new URL('../../../', import.meta.url).pathname;
/** 2026-01-01T00:00:00Z: a fixed "now" so goldens and expiry do not depend on the clock. */
export const NOW = Date.UTC(2026, 0, 1);

export function sharedDir(): string {
  const dir = process.env.OMAMORI_SHARED ?? join(root, '../shared');
  if (!existsSync(join(dir, 'specs/windows/cipolicy.libxml2.xsd'))) {
    throw new Error(`shared spec material not found at ${dir} (set OMAMORI_SHARED): tests cannot run without cipolicy.libxml2.xsd`);
  }
  return dir;
}

export function policyFrom(nameOrFixture: string): CompiledPolicy {
  const text = nameOrFixture.endsWith('.yaml') ? readFileSync(join(here, 'fixtures', nameOrFixture), 'utf8') : findPreset(nameOrFixture)!.text;
  const r = loadPolicy(text, {});
  if (!r.policy) throw new Error(`${nameOrFixture}: ${JSON.stringify(r.problems)}`);
  return compile(r.policy);
}
