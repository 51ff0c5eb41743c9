// Shared test helpers: load a policy (preset or fixture) with a fixed "now".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, findPreset, loadPolicy, type CompiledPolicy } from '@omamori/policy';

export const here = new URL('.', import.meta.url).pathname;
/** 2026-01-01T00:00:00Z: a fixed "now" so plans and expiry do not depend on the clock. */
export const NOW = Date.UTC(2026, 0, 1);

export function policyFrom(nameOrFixture: string): CompiledPolicy {
  const text = nameOrFixture.endsWith('.yaml') ? readFileSync(join(here, 'fixtures', nameOrFixture), 'utf8') : findPreset(nameOrFixture)!.text;
  const r = loadPolicy(text, {});
  if (!r.policy) throw new Error(`${nameOrFixture}: ${JSON.stringify(r.problems)}`);
  return compile(r.policy);
}
