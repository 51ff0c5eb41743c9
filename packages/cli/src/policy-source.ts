// Where a command's policy comes from: `--policy FILE`, `--preset NAME`, or the default preset. Loads through the
// one validator and prints every problem as `file:line:column code message`.
import { readFileSync } from 'node:fs';
import {
  compile, DEFAULT_PRESET, findPreset, formatProblem, loadPolicy, PRESETS, type CompiledPolicy, type Mode,
  type PolicyDocument,
} from '@omamori/policy';
import type { OptionDecls } from './args.ts';
import { UsageError, type Io } from './command.ts';

/** `--policy FILE | --preset NAME` and `--mode`, declared once for every command that loads a policy. */
export const POLICY_OPTIONS = {
  policy: { type: 'string', value: { en: 'FILE', ja: 'ファイル' }, help: { en: 'the policy file (YAML)', ja: 'ポリシーファイル (YAML)' } },
  preset: {
    type: 'string', value: { en: 'NAME', ja: '名前' },
    help: { en: `a built-in preset instead (${PRESETS.map((p) => p.name).join(', ')}; default ${DEFAULT_PRESET})`, ja: `代わりに組み込みのプリセット (${PRESETS.map((p) => p.name).join('、')}。既定 ${DEFAULT_PRESET})` },
  },
  mode: {
    type: 'string', choices: ['audit', 'enforce', 'lockdown'],
    help: { en: "overrides the policy's mode", ja: 'ポリシーのモードを上書き' },
  },
} as const satisfies OptionDecls;

export interface PolicyChoice { policy?: string | undefined; preset?: string | undefined; mode?: string | undefined }

export interface LoadedPolicy { doc: PolicyDocument; compiled: CompiledPolicy; source: string }

/** Reads the policy text, or throws a UsageError naming what is wrong with the choice. */
export function readPolicyText(choice: PolicyChoice, io: Io): { text: string; source: string } {
  if (choice.policy && choice.preset) throw new UsageError(io.lang === 'ja' ? '--policy と --preset は同時に指定できません' : '--policy and --preset cannot be used together');
  if (choice.policy) {
    try {
      return { text: readFileSync(choice.policy, 'utf8'), source: choice.policy };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      throw new UsageError(io.lang === 'ja' ? `ポリシーファイルを読めません: ${choice.policy} (${code})` : `cannot read policy file ${choice.policy} (${code})`);
    }
  }
  const name = choice.preset ?? DEFAULT_PRESET;
  const preset = findPreset(name);
  if (!preset) {
    const known = PRESETS.map((p) => p.name).join(', ');
    throw new UsageError(io.lang === 'ja' ? `不明なプリセット '${name}' です (使えるもの: ${known})` : `unknown preset '${name}' (known: ${known})`);
  }
  return { text: preset.text, source: `preset:${name}` };
}

/** Loads and compiles the chosen policy; prints problems and returns undefined when it has errors. */
export function loadChosenPolicy(choice: PolicyChoice, io: Io): LoadedPolicy | undefined {
  const { text, source } = readPolicyText(choice, io);
  const result = loadPolicy(text, { now: Date.now() });
  for (const p of result.problems) io.err(formatProblem(source, p, io.lang) + '\n');
  if (!result.policy) return undefined;
  let doc = result.policy;
  if (choice.mode !== undefined) {
    if (!['audit', 'enforce', 'lockdown'].includes(choice.mode)) {
      throw new UsageError(io.lang === 'ja' ? `--mode は audit、enforce、lockdown のいずれかです (指定: ${choice.mode})` : `--mode must be audit, enforce or lockdown (got ${choice.mode})`);
    }
    doc = { ...doc, mode: choice.mode as Mode };
  }
  return { doc, compiled: compile(doc), source };
}
