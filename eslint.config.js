// Lint configuration. The layer rules below keep the dependency direction of STYLE.md:
//   policy, evtx, native import nothing of ours; replay (Windows event mapping, replay reports) may import
//   policy and evtx; agent, console, emocheck may import policy/evtx/native/replay but never each other;
//   cli may import everything.
// DO NOT RELAX THESE RESTRICTIONS. If a package needs another's code, move the shared piece down into `policy`
// (the sync protocol lives there) instead of adding an exception. Every exception must carry a comment.
import tseslint from 'typescript-eslint';

const ours = ['policy', 'evtx', 'native', 'replay', 'agent', 'console', 'emocheck', 'cli'];

/** One restriction entry per layer: `allowed` are the packages the layer may import. */
function layer(name, allowed) {
  const banned = ours.filter((p) => p !== name && !allowed.includes(p));
  return {
    files: [`packages/${name}/**/*.ts`, `packages/${name}/**/*.tsx`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: banned.flatMap((p) => [
          { group: [`@omamori/${p}`, `@omamori/${p}/*`], message: `layer '${name}' may not import '${p}' (see eslint.config.js)` },
          { group: [`**/packages/${p}/**`, `../../${p}/**`, `../../../${p}/**`], message: `layer '${name}' may not reach into '${p}'` },
        ]),
      }],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/build/**', '**/dist/**', 'packages/console/web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  layer('policy', []),
  layer('evtx', []),
  layer('native', []),
  layer('replay', ['policy', 'evtx']),
  layer('agent', ['policy', 'evtx', 'native', 'replay']),
  layer('console', ['policy', 'evtx', 'native', 'replay']),
  layer('emocheck', ['policy', 'evtx', 'native', 'replay']),
  layer('cli', ['policy', 'evtx', 'native', 'replay', 'agent', 'console', 'emocheck']),
);
