// `omamori replay`: replays Windows event logs (EVTX, Mordor zip/tar.gz JSON lines) against a policy and reports
// what it would have stopped, per process tree and per rule (text, JSON or one self-contained HTML file).
import { writeFileSync } from 'node:fs';
import { compileWindowsPlan, windowsReplayAlternative } from '@omamori/windows';
import { renderHtml, renderText, replayPaths } from '@omamori/replay';
import { parse } from '../args.ts';
import { EXIT, UsageError, type Command, type Io } from '../command.ts';
import { loadChosenPolicy } from '../policy-source.ts';

const FORMATS = ['text', 'json', 'html'] as const;
/** `--as` targets: the policy as compiled for another platform's own engines, replayed beside omamori's decisions. */
const AS_TARGETS = ['windows'] as const;

/** A one-line progress bar on standard error, redrawn at most ten times a second. */
function createProgress(io: Io, write: (s: string) => void) {
  let last = 0;
  return {
    update(done: number, total: number, current: string) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
      const name = current.length > 40 ? '…' + current.slice(-39) : current;
      write(`\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(done / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MiB ${name}\x1b[K`);
    },
    end() { write(`\r\x1b[K`); void io; },
  };
}

const replay: Command = {
  path: ['replay'],
  summary: {
    en: 'Replay Windows event logs (EVTX, Mordor) against a policy: what it would stop, per process tree and rule',
    ja: 'Windows イベントログ (EVTX・Mordor) をポリシーで再生し、止めるものをプロセスツリー・規則ごとに表示',
  },
  help: {
    en: `Usage: omamori replay [--policy FILE | --preset NAME] [--mode audit|enforce|lockdown] FILE|DIR...
                      [--format text|json|html] [--out FILE] [--progress] [--as windows]

Reads Windows event logs — .evtx files (all .evtx of one folder are replayed together, as one machine's logs)
and Mordor captures (.zip, .tar.gz or .json JSON lines, read directly) — maps Sysmon, Security (4688/4689/4698),
System (7045) and PowerShell (4104/800) events into omamori's event model and decides each with the policy.
Reports, for each process tree (grouped by root ancestor), the first event the policy would stop and every later
one it would stop if the earlier were allowed, with rule and lineage; per rule, how many events it would stop
with examples; and a summary table. --format html writes one self-contained file (no network) that draws the
trees. A progress bar is shown on standard error when it is a terminal, or with --progress.
--as windows also evaluates every event as the policy compiled for Windows (omamori windows compile) would:
App Control (WDAC), the ASR rules it enables and Controlled Folder Access. Each tree then shows the first step
Windows would stop and later ones with the mechanism (wdac, asr:GUID, cfa), a comparison line with omamori's own
first stop, and the stops per mechanism (on benign logs: false-block candidates); what is approximated or cannot
be evaluated offline is listed. The exit code still follows the omamori policy.
Exit code: 0 nothing would be stopped, 1 something would be stopped (or the policy is invalid), 2 usage error.`,
    ja: `使い方: omamori replay [--policy ファイル | --preset 名前] [--mode audit|enforce|lockdown] ファイル|フォルダー...
                      [--format text|json|html] [--out ファイル] [--progress] [--as windows]

Windows イベントログ (.evtx。同じフォルダーの .evtx は一台のログとしてまとめて再生) と Mordor の記録
(.zip・.tar.gz・.json の JSON Lines を直接読む) を読み、Sysmon・Security (4688/4689/4698)・System (7045)・
PowerShell (4104/800) のイベントを omamori のイベントモデルに変換して、ポリシーで一つずつ判定します。
プロセスツリー (最上位の祖先ごと) について、ポリシーが最初に止めるイベントと、それを許したとして以降に止める
イベントを規則と系譜つきで、規則ごとに止める件数と例を、そして集計表を表示します。--format html は
ツリーを図示する単一の HTML ファイル (ネットワーク不要) を書き出します。進捗バーは標準エラーが端末のとき、
または --progress のときに表示します。
--as windows を付けると、各イベントを Windows 向けに変換したポリシー (omamori windows compile) でも評価します:
App Control (WDAC)、有効にする ASR 規則、フォルダー アクセスの制御。各ツリーに Windows が最初に止める段と
以降の段を仕組み (wdac・asr:GUID・cfa) つきで、omamori 自身の最初の停止との比較行を、そして仕組みごとの
停止数 (無害なログでは誤ブロック候補) を表示し、近似したものとオフラインで評価できないものを示します。
終了コードは omamori のポリシーに従います。
終了コード: 止めるものがなければ 0、あれば 1 (ポリシーが不正な場合も 1)、使い方の誤りは 2。`,
  },
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      policy: { type: 'string' }, preset: { type: 'string' }, mode: { type: 'string' },
      format: { type: 'string' }, out: { type: 'string' }, progress: { type: 'boolean' }, as: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError(io.lang === 'ja' ? '再生するファイルかフォルダーを指定してください' : 'give at least one event log file or folder');
    const format = values.format ?? 'text';
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(io.lang === 'ja' ? `--format は text、json、html のいずれかです (指定: ${format})` : `--format must be text, json or html (got ${format})`);
    }
    if (values.as !== undefined && !(AS_TARGETS as readonly string[]).includes(values.as)) {
      throw new UsageError(io.lang === 'ja' ? `--as に指定できるのは windows だけです (指定: ${values.as})` : `--as must be windows (got ${values.as})`);
    }
    const loaded = loadChosenPolicy(values, io);
    if (!loaded) return EXIT.FAILURE;
    // Compiled as `omamori windows compile` would today (exceptions expired by now are left out, as deployed).
    const alternative = values.as === 'windows'
      ? windowsReplayAlternative(compileWindowsPlan(loaded.compiled, { now: Date.now() })) : undefined;
    const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    const progress = values.progress || tty ? createProgress(io, (s) => io.err(s)) : undefined;
    const result = await replayPaths(positionals, {
      policy: loaded.compiled,
      ...(progress ? { onProgress: progress.update } : {}),
      ...(alternative ? { alternative } : {}),
    });
    progress?.end();
    for (const p of result.problems) {
      io.err(io.lang === 'ja' ? `${p.path}: 読めません (${p.code}: ${p.detail})\n` : `${p.path}: cannot read (${p.code}: ${p.detail})\n`);
    }
    if (result.recordings.length === 0) {
      throw new UsageError(io.lang === 'ja' ? '読めるイベントログがありません' : 'no readable event logs in the arguments');
    }
    const text = format === 'json' ? JSON.stringify(result, null, 1) + '\n' : format === 'html' ? renderHtml(result, io.lang) : renderText(result, io.lang);
    if (values.out) {
      try { writeFileSync(values.out, text); } catch (e) {
        throw new UsageError(io.lang === 'ja' ? `書き込めません: ${values.out} (${(e as NodeJS.ErrnoException).code})` : `cannot write ${values.out} (${(e as NodeJS.ErrnoException).code})`);
      }
      io.err(io.lang === 'ja' ? `${values.out} に書き出しました (止めるもの ${result.stats.blocks} 件)\n` : `wrote ${values.out} (${result.stats.blocks} would be stopped)\n`);
    } else io.out(text);
    return result.stats.blocks > 0 ? EXIT.FAILURE : EXIT.OK;
  },
};

export const replayCommands: Command[] = [replay];
