// Lint configuration. The layer rules below keep the dependency direction of STYLE.md:
//   policy, evtx, native import nothing of ours; replay (Windows event mapping, replay reports) may import
//   policy and evtx; windows (the pure Windows compiler and `replay --as windows` simulator) may import policy and
//   replay (the simulator implements replay's Alternative interface); agent, console, emocheck may import
//   policy/evtx/native/replay but never each other; agent may also import windows (it applies what windows
//   compiles); cli may import everything.
// DO NOT RELAX THESE RESTRICTIONS. If a package needs another's code, move the shared piece down into `policy`
// (the sync protocol lives there) instead of adding an exception. Every exception must carry a comment.
import tseslint from 'typescript-eslint';

const ours = ['policy', 'evtx', 'native', 'replay', 'windows', 'agent', 'console', 'emocheck', 'cli'];

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
  layer('windows', ['policy', 'replay']),
  layer('agent', ['policy', 'evtx', 'native', 'replay', 'windows']),
  layer('console', ['policy', 'evtx', 'native', 'replay']),
  layer('emocheck', ['policy', 'evtx', 'native', 'replay']),
  layer('cli', ['policy', 'evtx', 'native', 'replay', 'windows', 'agent', 'console', 'emocheck']),
  {
    // windows is a pure compiler: its source does no file, process, network or host I/O (its tests may).
    files: ['packages/windows/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'ImportDeclaration[source.value=/^(node:)?(fs|child_process|net|https?|dgram|os|worker_threads|process)\\b/]',
        message: "packages/windows is pure: I/O belongs in @omamori/agent (apply/verify/read-back) or the CLI",
      }],
    },
  },
);
