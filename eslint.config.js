// Lint configuration. The layer rules below keep the dependency direction of STYLE.md:
//   policy, evtx, native import nothing of ours; replay (Windows event mapping, replay reports) may import
//   policy and evtx; windows (the pure Windows compiler and `replay --as windows` simulator) may import policy and
//   replay (the simulator implements replay's Alternative interface); agent, console, emocheck may import
//   policy/evtx/native/replay but never each other; agent may also import windows (it applies what windows
//   compiles); cli may import everything.
// DO NOT RELAX THESE RESTRICTIONS. If a package needs another's code, move the shared piece down into `policy`
// (the sync protocol lives there) instead of adding an exception. Every exception must carry a comment.
// The rule (`omamori/layers`, below) sees every way a module is named: import and export declarations, dynamic
// `import()` and `require()`; a bare `@omamori/X` name or a relative path (of any depth) that lands in
// packages/X/. A dynamic import whose specifier is computed cannot be checked and is refused.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const ours = ['policy', 'evtx', 'native', 'replay', 'windows', 'agent', 'console', 'emocheck', 'cli'];
const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), 'packages');

/** The package of ours a specifier names, seen from `file`: '@omamori/X[/…]' or a relative path into packages/X/. */
function targetPackage(specifier, file) {
  const bare = /^@omamori\/([^/]+)/.exec(specifier);
  if (bare) return bare[1];
  if (!specifier.startsWith('.')) return undefined;
  const rel = relative(packagesDir, resolve(dirname(file), specifier));
  if (rel.startsWith('..') || rel === '') return undefined;
  return rel.split(sep)[0];
}

const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'keep the dependency direction between packages (STYLE.md)' },
    schema: [{ type: 'object', properties: { layer: { type: 'string' }, allowed: { type: 'array', items: { type: 'string' } } }, additionalProperties: false }],
    messages: {
      banned: "layer '{{layer}}' may not import '{{target}}' ({{specifier}}; see eslint.config.js)",
      computed: "layer '{{layer}}': a dynamic import with a computed specifier cannot be checked against the layer rules",
    },
  },
  create(context) {
    const { layer, allowed } = context.options[0];
    const file = context.filename;
    function check(node, specifier) {
      const target = targetPackage(specifier, file);
      if (target === undefined || target === layer || allowed.includes(target) || !ours.includes(target)) return;
      context.report({ node, messageId: 'banned', data: { layer, target, specifier } });
    }
    const literal = (n) => (n?.type === 'Literal' && typeof n.value === 'string' ? n.value
      : n?.type === 'TemplateLiteral' && n.expressions.length === 0 ? n.quasis[0].value.cooked : undefined);
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => { if (n.source) check(n, n.source.value); },
      ExportAllDeclaration: (n) => check(n, n.source.value),
      TSImportType: (n) => { const s = literal(n.argument?.literal ?? n.argument); if (s !== undefined) check(n, s); },
      ImportExpression(n) {
        const s = literal(n.source);
        if (s === undefined) context.report({ node: n, messageId: 'computed', data: { layer } });
        else check(n, s);
      },
      CallExpression(n) {
        if (n.callee.type !== 'Identifier' || n.callee.name !== 'require' || n.arguments.length !== 1) return;
        const s = literal(n.arguments[0]);
        if (s !== undefined) check(n, s); // require(computed) loads files, not our packages (native/src/load.ts)
      },
    };
  },
};

/** One restriction entry per layer: `allowed` are the packages the layer may import. */
function layer(name, allowed) {
  return {
    files: [`packages/${name}/**/*.ts`, `packages/${name}/**/*.tsx`, `packages/${name}/**/*.mjs`, `packages/${name}/**/*.js`],
    plugins: { omamori: { rules: { layers: layersRule } } },
    rules: { 'omamori/layers': ['error', { layer: name, allowed }] },
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
