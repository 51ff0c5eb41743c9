// `omamori replay`: replays Windows event logs (EVTX, Mordor zip/tar.gz JSON lines) against a policy and reports
// what it would have stopped, per process tree and per rule (text, JSON or one self-contained HTML file).
import { writeFileSync } from 'node:fs';
import { compileWindowsPlan, windowsReplayAlternative } from '@omamori/windows';
import {
  createTimeFormatter, csvHeader, isSeverity, parseIsoTime, renderHtml, renderText, replayPaths, resolveZone, rowToCsv, rowToJsonLine,
  sortRows, SEVERITIES, type ReplayFilter, type TimelineRow, type TimeZoneChoice,
} from '@omamori/replay';
import { parse } from '../args.ts';
import { EXIT, UsageError, type Command, type Io } from '../command.ts';
import { loadChosenPolicy } from '../policy-source.ts';

const FORMATS = ['text', 'json', 'html', 'csv', 'jsonl'] as const;
/** `--as` targets: the policy as compiled for another platform's own engines, replayed beside omamori's decisions. */
const AS_TARGETS = ['windows'] as const;

/** A one-line progress bar on standard error by bytes read, redrawn at most ten times a second, with the rate. */
function createProgress(io: Io, write: (s: string) => void) {
  let last = 0;
  const started = Date.now();
  return {
    update(done: number, total: number, current: string) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
      const name = current.length > 36 ? '…' + current.slice(-35) : current;
      const rate = now > started ? done / 1048576 / ((now - started) / 1000) : 0;
      write(`\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(done / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MiB ${rate.toFixed(0)} MiB/s ${name}\x1b[K`);
    },
    end() { write(`\r\x1b[K`); void io; },
  };
}

/** Values of a repeatable option, each also split at commas. */
function list(v: string[] | undefined): string[] {
  return (v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

function filterOf(values: { from?: string | undefined; to?: string | undefined; computer?: string[] | undefined; rule?: string[] | undefined; 'min-severity'?: string | undefined },
  zone: TimeZoneChoice, io: Io): ReplayFilter | undefined {
  const f: ReplayFilter = {};
  const time = (name: 'from' | 'to') => {
    const v = values[name];
    if (v === undefined) return;
    const t = parseIsoTime(v, zone, name === 'to');
    if (t === undefined) {
      throw new UsageError(io.lang === 'ja'
        ? `--${name} は ISO 8601 の時刻です (例: 2020-09-04T12:00:00+09:00、2020-09-04): '${v}'`
        : `--${name} must be an ISO 8601 time such as 2020-09-04T12:00:00+09:00 or 2020-09-04 (got '${v}')`);
    }
    f[name] = t;
  };
  time('from');
  time('to');
  if (f.from !== undefined && f.to !== undefined && f.from > f.to) {
    throw new UsageError(io.lang === 'ja' ? '--from が --to より後です' : '--from is after --to');
  }
  const computers = list(values.computer);
  if (computers.length) f.computers = computers;
  const rules = list(values.rule);
  if (rules.length) f.rules = rules;
  const min = values['min-severity'];
  if (min !== undefined) {
    if (!isSeverity(min)) {
      throw new UsageError(io.lang === 'ja' ? `--min-severity は ${SEVERITIES.join('、')} のいずれかです (指定: ${min})` : `--min-severity must be one of ${SEVERITIES.join(', ')} (got ${min})`);
    }
    f.minSeverity = min;
  }
  return Object.keys(f).length ? f : undefined;
}

const replay: Command = {
  path: ['replay'],
  summary: {
    en: 'Replay Windows event logs (EVTX, Mordor) against a policy: what it would stop, per process tree and rule',
    ja: 'Windows イベントログ (EVTX・Mordor) をポリシーで再生し、止めるものをプロセスツリー・規則ごとに表示',
  },
  help: {
    en: `Usage: omamori replay [--policy FILE | --preset NAME] [--mode audit|enforce|lockdown] FILE|DIR...
                      [--format text|json|html|csv|jsonl] [--out FILE] [--all-events] [--utc]
                      [--from TIME] [--to TIME] [--computer NAME]... [--rule RULE]... [--min-severity LEVEL]
                      [--recover] [--jobs N] [--progress] [--as windows]

Reads Windows event logs — .evtx files (all .evtx of one folder are replayed together, as one machine's logs),
event XML (.xml: wevtutil qe /f:xml, Event Viewer "Save as XML", evtxexport -f xml; UTF-8 or UTF-16) and Mordor
captures (.zip, .tar.gz or .json JSON lines, read directly) — maps Sysmon, Security (4688/4689/4698), System (7045)
and PowerShell (4104/4103/800) events into omamori's event model and decides each with the policy. A stop the
recording cannot confirm for lack of a signature (7045, 4104, a program Sysmon never saw load) is shown as
"stopped unless signed by …" and counted apart.
Reports, for each process tree (grouped by root ancestor), the first event the policy would stop and every later
one it would stop if the earlier were allowed, with rule, MITRE ATT&CK technique, severity and lineage; per rule,
how many events it would stop with examples; per computer and per recording, events and stops.
  --format text|json|html  the report (html: one offline file; its tables sort, filter and search in the page)
  --format csv|jsonl       a timeline, one row per stop in time order: time, computer, user, severity, rule,
                           reason, technique, process, parent, command line, object, recording, record
  --all-events             in a timeline, one row per mapped event (allowed ones too), not only the stops
  --utc                    times in UTC; otherwise in the zone of TZ (or the system's), with the offset
  --from/--to TIME         only stops (rows) from/until TIME, ISO 8601: 2020-09-04T12:00:00+09:00, ...Z, or a
                           date (--to DATE includes that day); a time without offset is in the zone above
  --computer NAME          only these computers (repeat or separate by commas; WS5 and ws5.example.com match)
  --rule RULE              only these rules (repeat or commas; launch.* matches every launch. rule)
  --min-severity LEVEL     only stops of this severity or higher: info, low, medium, high, critical
  --recover                also replay EVTX records left in slack space (marked "(recovered)")
  --jobs N                 threads that read, this one included (default: one per core for large inputs)
The filters choose what is reported; every event is still replayed, so lineage stays whole.
A progress bar (by bytes read) is shown on standard error when it is a terminal, or with --progress.
--as windows also evaluates every event as the policy compiled for Windows (omamori windows compile) would:
App Control (WDAC), the ASR rules it enables and Controlled Folder Access. Each tree then shows the first step
Windows would stop and later ones with the mechanism (wdac, asr:GUID, cfa), a comparison line with omamori's own
first stop, and the stops per mechanism (on benign logs: false-block candidates); what is approximated or cannot
be evaluated offline is listed. The exit code still follows the omamori policy.
Exit code: 0 nothing would be stopped (after the filters), 1 something would be stopped (or the policy is
invalid), 2 usage error.`,
    ja: `使い方: omamori replay [--policy ファイル | --preset 名前] [--mode audit|enforce|lockdown] ファイル|フォルダー...
                      [--format text|json|html|csv|jsonl] [--out ファイル] [--all-events] [--utc]
                      [--from 時刻] [--to 時刻] [--computer 名前]... [--rule 規則]... [--min-severity 段階]
                      [--recover] [--jobs N] [--progress] [--as windows]

Windows イベントログ (.evtx。同じフォルダーの .evtx は一台のログとしてまとめて再生)、イベント XML (.xml:
wevtutil qe /f:xml・イベント ビューアーの「XML として保存」・evtxexport -f xml。UTF-8 または UTF-16) と Mordor の記録
(.zip・.tar.gz・.json の JSON Lines を直接読む) を読み、Sysmon・Security (4688/4689/4698)・System (7045)・
PowerShell (4104/4103/800) のイベントを omamori のイベントモデルに変換して、ポリシーで一つずつ判定します。
署名の情報が記録にないため確定できない停止 (7045・4104・Sysmon が読み込みを見ていないプログラム) は
「次の署名がなければ停止」と示し、別に数えます。
プロセスツリー (最上位の祖先ごと) について、ポリシーが最初に止めるイベントと、それを許したとして以降に止める
イベントを規則・MITRE ATT&CK の手法・重大度・系譜つきで、規則ごとに止める件数と例を、コンピューターごと・
記録ごとにイベント数と停止数を表示します。
  --format text|json|html  レポート (html: 単一のオフラインファイル。表はページ内で並べ替え・絞り込み・検索できます)
  --format csv|jsonl       タイムライン。停止 1 件を 1 行として時刻順に: 時刻、コンピューター、ユーザー、重大度、規則、
                           理由、手法、プロセス、親、コマンドライン、対象、記録、レコード
  --all-events             タイムラインに停止だけでなく、変換したすべてのイベント (許可したものも) を出します
  --utc                    時刻を UTC で。指定がなければ TZ (なければシステム) のタイムゾーンでオフセットつき
  --from/--to 時刻         この時刻以降/以前の停止 (行) だけ。ISO 8601: 2020-09-04T12:00:00+09:00、…Z、または日付
                           (--to 日付 はその日を含む)。オフセットのない時刻は上のタイムゾーンの時刻です
  --computer 名前          このコンピューターだけ (繰り返しかカンマ区切り。WS5 と ws5.example.com は同じ)
  --rule 規則              この規則だけ (繰り返しかカンマ区切り。launch.* は launch. で始まる規則すべて)
  --min-severity 段階      この重大度以上の停止だけ: info、low、medium、high、critical
  --recover                EVTX のスラック領域に残ったレコードも再生します ("(recovered)" と表示)
  --jobs N                 読み取りに使うスレッド数 (このスレッドを含む。既定: 大きな入力ではコア数)
絞り込みは報告する範囲を選ぶだけで、再生はすべてのイベントで行います (系譜は欠けません)。
進捗バー (読んだバイト数) は標準エラーが端末のとき、または --progress のときに表示します。
--as windows を付けると、各イベントを Windows 向けに変換したポリシー (omamori windows compile) でも評価します:
App Control (WDAC)、有効にする ASR 規則、フォルダー アクセスの制御。各ツリーに Windows が最初に止める段と
以降の段を仕組み (wdac・asr:GUID・cfa) つきで、omamori 自身の最初の停止との比較行を、そして仕組みごとの
停止数 (無害なログでは誤ブロック候補) を表示し、近似したものとオフラインで評価できないものを示します。
終了コードは omamori のポリシーに従います。
終了コード: (絞り込み後に) 止めるものがなければ 0、あれば 1 (ポリシーが不正な場合も 1)、使い方の誤りは 2。`,
  },
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      policy: { type: 'string' }, preset: { type: 'string' }, mode: { type: 'string' },
      format: { type: 'string' }, out: { type: 'string' }, progress: { type: 'boolean' }, as: { type: 'string' },
      'all-events': { type: 'boolean' }, utc: { type: 'boolean' }, from: { type: 'string' }, to: { type: 'string' },
      computer: { type: 'string', multiple: true }, rule: { type: 'string', multiple: true }, 'min-severity': { type: 'string' },
      recover: { type: 'boolean' }, jobs: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError(io.lang === 'ja' ? '再生するファイルかフォルダーを指定してください' : 'give at least one event log file or folder');
    const format = values.format ?? 'text';
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(io.lang === 'ja' ? `--format は ${FORMATS.join('、')} のいずれかです (指定: ${format})` : `--format must be one of ${FORMATS.join(', ')} (got ${format})`);
    }
    const timeline = format === 'csv' || format === 'jsonl';
    if (values['all-events'] && !timeline) {
      throw new UsageError(io.lang === 'ja' ? '--all-events は --format csv か jsonl と使います' : '--all-events goes with --format csv or jsonl');
    }
    if (values.as !== undefined && !(AS_TARGETS as readonly string[]).includes(values.as)) {
      throw new UsageError(io.lang === 'ja' ? `--as に指定できるのは windows だけです (指定: ${values.as})` : `--as must be windows (got ${values.as})`);
    }
    let jobs: number | undefined;
    if (values.jobs !== undefined) {
      jobs = Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
        throw new UsageError(io.lang === 'ja' ? `--jobs は 1 から 256 の整数です (指定: ${values.jobs})` : `--jobs must be a whole number from 1 to 256 (got ${values.jobs})`);
      }
    }
    const zone: TimeZoneChoice = values.utc ? { utc: true } : { timeZone: io.env.TZ };
    if (!resolveZone(zone)) {
      throw new UsageError(io.lang === 'ja' ? `TZ のタイムゾーン '${io.env.TZ}' がわかりません (例: Asia/Tokyo)。--utc も使えます` : `time zone TZ='${io.env.TZ}' is not known (e.g. Asia/Tokyo); or use --utc`);
    }
    const filter = filterOf(values, zone, io);
    const loaded = loadChosenPolicy(values, io);
    if (!loaded) return EXIT.FAILURE;
    // Compiled as `omamori windows compile` would today (exceptions expired by now are left out, as deployed).
    const alternative = values.as === 'windows'
      ? windowsReplayAlternative(compileWindowsPlan(loaded.compiled, { now: Date.now() })) : undefined;
    const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    const progress = values.progress || tty ? createProgress(io, (s) => io.err(s)) : undefined;
    const rows: TimelineRow[] = [];
    const result = await replayPaths(positionals, {
      policy: loaded.compiled,
      ...(progress ? { onProgress: progress.update } : {}),
      ...(alternative ? { alternative } : {}),
      ...(filter ? { filter } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(values.recover ? { recover: true } : {}),
      ...(timeline ? { onRow: (r: TimelineRow) => { rows.push(r); }, allEvents: values['all-events'] === true } : {}),
    });
    progress?.end();
    for (const p of result.problems) {
      io.err(io.lang === 'ja' ? `${p.path}: 読めません (${p.code}: ${p.detail})\n` : `${p.path}: cannot read (${p.code}: ${p.detail})\n`);
    }
    if (result.recordings.length === 0) {
      throw new UsageError(io.lang === 'ja' ? '読めるイベントログがありません' : 'no readable event logs in the arguments');
    }
    const time = createTimeFormatter(zone);
    let text: string;
    if (timeline) {
      const sorted = sortRows(rows);
      const parts = format === 'csv' ? [csvHeader()] : [];
      for (const r of sorted) parts.push(format === 'csv' ? rowToCsv(r, time, io.lang) : rowToJsonLine(r, time, io.lang));
      text = parts.join('');
    } else {
      text = format === 'json' ? JSON.stringify(result, null, 1) + '\n' : format === 'html' ? renderHtml(result, io.lang, { time }) : renderText(result, io.lang, { time });
    }
    if (values.out) {
      try { writeFileSync(values.out, text); } catch (e) {
        throw new UsageError(io.lang === 'ja' ? `書き込めません: ${values.out} (${(e as NodeJS.ErrnoException).code})` : `cannot write ${values.out} (${(e as NodeJS.ErrnoException).code})`);
      }
      io.err(io.lang === 'ja' ? `${values.out} に書き出しました (止めるもの ${result.stats.blocks} 件、署名がなければ止めるもの ${result.stats.unlessSigned} 件)\n` : `wrote ${values.out} (${result.stats.blocks} would be stopped, ${result.stats.unlessSigned} unless signed)\n`);
    } else io.out(text);
    return result.stats.blocks + result.stats.unlessSigned > 0 ? EXIT.FAILURE : EXIT.OK;
  },
};

export const replayCommands: Command[] = [replay];
