// `omamori policy check`, `policy show`, `presets`, `decide`: the policy language and the engine from the shell.
import { accessSync, constants, createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { checkEvent, createEngine, findPreset, formatProblem, loadPolicy, PRESETS, type OmamoriEvent } from '@omamori/policy';
import { parse } from '../args.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { loadChosenPolicy } from '../policy-source.ts';
import { suggestCommand } from './policy-suggest.ts';

const check: Command = {
  path: ['policy', 'check'],
  summary: { en: 'Validate policy files and report every problem with line and column', ja: 'ポリシーファイルを検査し、すべての問題を行・列つきで表示' },
  help: {
    en: `Usage: omamori policy check FILE... [--json]

Validates each policy file against the schema and the semantic rules and prints every problem at once as
  FILE:LINE:COLUMN CODE message
Exit code: 0 when every file is valid (warnings allowed), 1 when any has an error, 2 on usage errors.`,
    ja: `使い方: omamori policy check ファイル... [--json]

各ポリシーファイルをスキーマと意味の規則で検査し、すべての問題を一度に
  ファイル:行:列 コード メッセージ
の形で表示します。終了コード: すべて有効なら 0 (警告は可)、エラーがあれば 1、使い方の誤りは 2。`,
  },
  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError(io.lang === 'ja' ? '検査するファイルを指定してください' : 'give at least one policy file');
    let failed = false;
    const report: unknown[] = [];
    for (const file of positionals) {
      let text: string;
      try { text = readFileSync(file, 'utf8'); } catch (e) {
        failed = true;
        const code = (e as NodeJS.ErrnoException).code ?? '';
        io.err(io.lang === 'ja' ? `${file}: 読めません (${code})\n` : `${file}: cannot read (${code})\n`);
        report.push({ file, error: code });
        continue;
      }
      const r = loadPolicy(text, { now: Date.now() });
      if (!r.policy) failed = true;
      if (values.json) report.push({ file, valid: Boolean(r.policy), problems: r.problems });
      else {
        for (const p of r.problems) io.out(formatProblem(file, p, io.lang) + '\n');
        if (r.policy) io.out(io.lang === 'ja' ? `${file}: 有効 (${r.policy.name}@${r.policy.version}, ${r.policy.mode})\n` : `${file}: valid (${r.policy.name}@${r.policy.version}, ${r.policy.mode})\n`);
      }
    }
    if (values.json) io.out(JSON.stringify(report, null, 2) + '\n');
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

const show: Command = {
  path: ['policy', 'show'],
  summary: { en: 'Print the full effective policy of a preset or file', ja: 'プリセットまたはファイルの実効ポリシー全体を表示' },
  help: {
    en: `Usage: omamori policy show PRESET|FILE [--json]

Prints the complete effective policy (every default filled in) as YAML, or JSON with --json, so a preset can be
copied and edited. Presets: ${PRESETS.map((p) => p.name).join(', ')}.`,
    ja: `使い方: omamori policy show プリセット|ファイル [--json]

実効ポリシー全体 (既定値をすべて補ったもの) を YAML (--json なら JSON) で表示します。プリセットを写して編集できます。
プリセット: ${PRESETS.map((p) => p.name).join(', ')}`,
  },
  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(io.lang === 'ja' ? 'プリセット名かファイルを一つ指定してください' : 'give one preset name or file');
    const what = positionals[0]!;
    const preset = findPreset(what);
    const loaded = loadChosenPolicy(preset ? { preset: what } : { policy: what }, io);
    if (!loaded) return EXIT.FAILURE;
    if (values.json) io.out(JSON.stringify(loaded.doc, null, 2) + '\n');
    else if (preset) io.out(preset.text);
    else io.out(stringify(loaded.doc, { lineWidth: 120 }));
    return EXIT.OK;
  },
};

const presets: Command = {
  path: ['presets'],
  summary: { en: 'List the ready-made policies', ja: '用意済みのポリシー (プリセット) を一覧表示' },
  help: {
    en: 'Usage: omamori presets [--json]\n\nLists the presets with one line each; `omamori policy show NAME` prints one in full.',
    ja: '使い方: omamori presets [--json]\n\nプリセットを一行ずつ表示します。全体は `omamori policy show 名前` で表示します。',
  },
  async run(argv, io) {
    const { values } = parse(argv, { json: { type: 'boolean' } }, false);
    if (values.json) {
      io.out(JSON.stringify(PRESETS.map((p) => ({ name: p.name, summary: p.summary[io.lang] })), null, 2) + '\n');
      return EXIT.OK;
    }
    const w = Math.max(...PRESETS.map((p) => p.name.length));
    for (const p of PRESETS) io.out(`${p.name.padEnd(w)}  ${p.summary[io.lang]}\n`);
    return EXIT.OK;
  },
};

const decide: Command = {
  path: ['decide'],
  summary: { en: 'Decide event-model JSON lines with a policy (decision JSON lines out)', ja: 'イベント (JSON Lines) をポリシーで判定し、判定を JSON Lines で出力' },
  help: {
    en: `Usage: omamori decide [--policy FILE | --preset NAME] [--mode audit|enforce|lockdown] [--events FILE|-]

Reads events (one event-model JSON object per line; docs/events.md) from FILE or standard input and writes one
decision per line: verdict, reason, rule, policyVersion, lineage, cacheable, plus "line" and the event's "id".
A malformed line is reported on standard error with its line number and skipped; the exit code is then 1.`,
    ja: `使い方: omamori decide [--policy ファイル | --preset 名前] [--mode audit|enforce|lockdown] [--events ファイル|-]

イベント (1 行に 1 つのイベントモデル JSON、docs/events.md) をファイルか標準入力から読み、判定を 1 行ずつ出力します
(verdict・reason・rule・policyVersion・lineage・cacheable と "line"・イベントの "id")。
形式の誤った行は行番号つきで標準エラーに報告して飛ばし、終了コードは 1 になります。`,
  },
  async run(argv, io) {
    const { values } = parse(argv, {
      policy: { type: 'string' }, preset: { type: 'string' }, mode: { type: 'string' }, events: { type: 'string' },
    }, false);
    const loaded = loadChosenPolicy(values, io);
    if (!loaded) return EXIT.FAILURE;
    const engine = createEngine(loaded.compiled, { now: Date.now() });
    const src = values.events && values.events !== '-' ? values.events : undefined;
    const name = src ?? '<stdin>';
    let input: NodeJS.ReadableStream;
    if (src) {
      try { accessSync(src, constants.R_OK); } catch (e) {
        throw new UsageError(io.lang === 'ja' ? `イベントファイルを読めません: ${src} (${(e as NodeJS.ErrnoException).code})` : `cannot read events file ${src} (${(e as NodeJS.ErrnoException).code})`);
      }
      input = createReadStream(src, 'utf8');
    } else input = io.stdin;
    let lineNo = 0;
    let bad = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      if (line.trim() === '' || line.startsWith('#')) continue;
      let ev: unknown;
      try { ev = JSON.parse(line); } catch (e) {
        bad++; io.err(`${name}:${lineNo}: ${io.lang === 'ja' ? 'JSON ではありません' : 'not JSON'}: ${(e as Error).message}\n`); continue;
      }
      const problem = checkEvent(ev);
      if (problem) { bad++; io.err(`${name}:${lineNo}: ${problem}\n`); continue; }
      const event = ev as OmamoriEvent;
      const d = engine.decide(event);
      io.out(JSON.stringify({ line: lineNo, ...(event.id !== undefined ? { id: event.id } : {}), kind: event.kind, ...d }) + '\n');
    }
    return bad ? EXIT.FAILURE : EXIT.OK;
  },
};

export const policyCommands: Command[] = [check, show, suggestCommand, presets, decide];
