// The layer rules of eslint.config.js catch every way one package can reach another: static imports and exports,
// dynamic import(), require(), type imports, bare @omamori/X names and relative paths of any depth (dynamic import()
// and deep relative paths slipped through the earlier no-restricted-imports patterns).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'omamori/layers').map((m) => m.message);
}

test('a layer may not reach a package it does not depend on, by any form of import', async () => {
  const banned: [string, string][] = [
    ['packages/policy/src/x.ts', "import { startAgent } from '@omamori/agent';\nvoid startAgent;\n"],
    ['packages/policy/src/x.ts', "export * from '@omamori/console';\n"],
    ['packages/policy/src/x.ts', "export { x } from '../../evtx/src/index.ts';\n"],
    ['packages/agent/src/x.ts', "const m = await import('@omamori/console');\nvoid m;\n"],
    ['packages/agent/src/x.ts', "const m = await import(`@omamori/emocheck`);\nvoid m;\n"],
    ['packages/agent/src/x.ts', "const m = await import('../../console/src/index.ts');\nvoid m;\n"],
    ['packages/agent/src/windows/test/deep/x.ts', "import '../../../../../console/src/server.ts';\n"],
    ['packages/agent/src/windows/test/deep/x.ts', "const m = await import('../../../../../../packages/console/src/app.ts');\nvoid m;\n"],
    ['packages/console/src/x.ts', "import type { Agent } from '@omamori/agent';\nexport type A = Agent;\n"],
    ['packages/console/src/x.ts', "export type T = import('@omamori/agent').Agent;\n"],
    ['packages/evtx/src/x.ts', "// eslint-disable-next-line @typescript-eslint/no-require-imports\nconst p = require('@omamori/policy');\nvoid p;\n"],
    ['packages/console/web/src/x.tsx', "import { startAgent } from '@omamori/agent';\nvoid startAgent;\n"],
  ];
  for (const [file, code] of banned) {
    const errors = await layerErrors(file, code);
    assert.equal(errors.length, 1, `${file}: ${code.trim()} → ${JSON.stringify(errors)}`);
    assert.match(errors[0]!, /^layer '\w+' may not import '\w+'/);
  }
});

test('a computed dynamic import is refused (it cannot be checked)', async () => {
  const errors = await layerErrors('packages/agent/src/x.ts', "const name = 'console';\nconst m = await import(`@omamori/${name}`);\nvoid m;\n");
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /computed specifier/);
});

test('allowed imports pass: the layer below, the own package, third-party modules', async () => {
  const allowed: [string, string][] = [
    ['packages/agent/src/x.ts', "import { createEngine } from '@omamori/policy';\nconst n = await import('@omamori/native');\nvoid createEngine; void n;\n"],
    ['packages/agent/src/windows/test/deep/x.ts', "import '../../../agent.ts';\nimport '../../../../../policy/src/index.ts';\n"],
    ['packages/cli/src/x.ts', "const c = await import('@omamori/console');\nimport '../../agent/src/index.ts';\nvoid c;\n"],
    ['packages/policy/src/x.ts', "import { parse } from 'yaml';\nimport './types.ts';\nvoid parse;\n"],
    ['packages/console/web/src/x.tsx', "export { reasonText } from '@omamori/policy/reason-text';\n"],
  ];
  for (const [file, code] of allowed) assert.deepEqual(await layerErrors(file, code), [], `${file}: ${code.trim()}`);
});
