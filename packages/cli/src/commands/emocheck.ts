// `omamori emocheck` (check this Windows machine, or a snapshot anywhere) and `omamori emocheck collect` (write a
// snapshot on Windows). The command does the I/O; @omamori/emocheck decides. Exit codes: 0 clean, 1 infected,
// 2 could not check — every failure, including a bug, returns 2 so that an error never reads as "infected".
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COLLECTOR_SCRIPT_URL, MAX_SNAPSHOT_BYTES, analyseSnapshot, parseSnapshot, renderJson, renderText, reportFileName, tooLargeMessage,
  type ReportInput, type Snapshot, type SnapshotIssue,
} from '@omamori/emocheck';
import { stdinProgram } from '@omamori/windows';
import { UsageError, type Command, type Io, type Lang } from '../command.ts';

export const EMOCHECK_EXIT = { CLEAN: 0, INFECTED: 1, COULD_NOT_CHECK: 2 } as const;

export type CollectorRun = { ok: true; stdout: Buffer } | { ok: false; message: Record<Lang, string> };
export interface EmocheckDeps {
  platform: NodeJS.Platform;
  /** Runs the shipped PowerShell collector and returns its stdout (the snapshot JSON). */
  runCollector(): Promise<CollectorRun>;
  now(): Date;
}

const COLLECT_TIMEOUT_MS = 15 * 60 * 1000;

/** The text piped into `powershell.exe -Command -` to run the collector: the script itself inside one script block
 * (stdinProgram). Standard input has no 32,767-character limit, is not subject to the execution policy, and needs no
 * .NET call — the old bootstrap ([scriptblock]::Create([IO.File]::ReadAllText(…))) failed under App Control, where
 * PowerShell runs in Constrained Language Mode. */
export function collectorProgram(collectorText: string): string {
  return stdinProgram(collectorText, '-Stdout');
}

/** Spawns Windows PowerShell on the shipped collector (see collectorProgram). */
export function runPowerShellCollector(): Promise<CollectorRun> {
  let program: string;
  try {
    program = collectorProgram(readFileSync(fileURLToPath(COLLECTOR_SCRIPT_URL), 'utf8'));
  } catch (e) {
    const m = (e as NodeJS.ErrnoException).code ?? String(e);
    return Promise.resolve({ ok: false, message: { en: `cannot read the collector script: ${m}`, ja: `収集スクリプトを読めません: ${m}` } });
  }
  return new Promise((done) => {
    const child = spawn('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', '-'],
      { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    child.stdin.on('error', () => { /* reported by 'error' or a non-zero exit */ });
    child.stdin.end(program);
    const out: Buffer[] = [], err: Buffer[] = [];
    const timer = setTimeout(() => child.kill(), COLLECT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ ok: false, message: { en: `could not start powershell.exe: ${e.message}`, ja: `powershell.exe を起動できません: ${e.message}` } });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(0, 5).join('\n');
      if (code === 0) done({ ok: true, stdout: Buffer.concat(out) });
      else done({ ok: false, message: { en: `the PowerShell collector failed (exit ${code}): ${stderr}`, ja: `PowerShell の収集スクリプトが失敗しました (終了コード ${code}): ${stderr}` } });
    });
  });
}

export const defaultEmocheckDeps: EmocheckDeps = { platform: process.platform, runCollector: runPowerShellCollector, now: () => new Date() };

class CannotCheck extends Error {
  constructor(readonly text: Record<Lang, string>) { super(text.en); }
}

function issuesText(file: string, issues: SnapshotIssue[], lang: Lang): string {
  const head = lang === 'ja' ? `${file}: スナップショットとして読めません (${issues.length} 件)` : `${file}: not a usable snapshot (${issues.length} problem${issues.length > 1 ? 's' : ''})`;
  const lines = issues.slice(0, 20).map((i) => {
    const at = i.line ? `${file}:${i.line}:${i.column}` : i.path ? `${file}: ${i.path}` : file;
    return `  ${at}: [${i.code}] ${i.message}`;
  });
  if (issues.length > 20) lines.push(lang === 'ja' ? `  …ほか ${issues.length - 20} 件` : `  … and ${issues.length - 20} more`);
  return [head, ...lines].join('\n');
}

function readSnapshotFile(file: string, io: Io): Snapshot {
  let bytes: Buffer;
  try {
    // The size first: a wrong multi-gigabyte file is refused without being read.
    const size = statSync(resolve(io.cwd, file)).size;
    if (size > MAX_SNAPSHOT_BYTES) {
      const m = tooLargeMessage(size);
      throw new CannotCheck({ en: `${file}: not a usable snapshot: [TOO_LARGE] ${m}`, ja: `${file}: スナップショットとして読めません: [TOO_LARGE] ${(size / 1024 / 1024).toFixed(1)} MiB あります。読み込むのは ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB までです (1 台分は数 MiB)。ファイルを確認してください。` });
    }
    bytes = readFileSync(resolve(io.cwd, file));
  } catch (e) {
    if (e instanceof CannotCheck) throw e;
    const m = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new CannotCheck({ en: `cannot read snapshot ${file}: ${m}`, ja: `スナップショット ${file} を読めません: ${m}` });
  }
  const r = parseSnapshot(bytes);
  if (!r.ok) throw new CannotCheck({ en: issuesText(file, r.issues, 'en'), ja: issuesText(file, r.issues, 'ja') });
  return r.snapshot;
}

async function collectLive(deps: EmocheckDeps): Promise<{ snapshot: Snapshot; raw: Buffer }> {
  const run = await deps.runCollector();
  if (!run.ok) throw new CannotCheck(run.message);
  const r = parseSnapshot(run.stdout);
  if (!r.ok) throw new CannotCheck({ en: issuesText('<collector output>', r.issues, 'en'), ja: issuesText('<収集スクリプトの出力>', r.issues, 'ja') });
  return { snapshot: r.snapshot, raw: run.stdout };
}

const NEEDS_WINDOWS: Record<Lang, string> = {
  en: 'a live check needs Windows. On another system, check a snapshot: omamori emocheck --snapshot FILE\n'
    + '(make one on the Windows machine with `omamori emocheck collect --out FILE`, or without Node with\n'
    + ' powershell -ExecutionPolicy Bypass -File omamori-collect.ps1 -OutFile FILE)',
  ja: 'ライブチェックには Windows が必要です。他の OS ではスナップショットを調べてください: omamori emocheck --snapshot FILE\n'
    + '(Windows 端末で `omamori emocheck collect --out FILE`、Node がなければ\n'
    + ' powershell -ExecutionPolicy Bypass -File omamori-collect.ps1 -OutFile FILE で作成できます)',
};

function parseArgs(argv: string[], allowed: string[], flags: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flags.includes(name)) { out[name] = true; continue; }
    if (allowed.includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      out[name] = v;
      continue;
    }
    throw new UsageError(`unknown argument '${a}'`);
  }
  return out;
}

function guard(io: Io, body: () => Promise<number>): Promise<number> {
  return body().catch((e: unknown) => {
    if (e instanceof UsageError) throw e;
    if (e instanceof CannotCheck) io.err(`omamori emocheck: ${e.text[io.lang]}\n`);
    else io.err(io.lang === 'ja' ? `omamori emocheck: 内部エラーのため確認できませんでした: ${e instanceof Error ? e.message : String(e)}\n`
      : `omamori emocheck: could not check because of an internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    io.err(io.lang === 'ja' ? '結果: 確認できませんでした (感染の有無は不明、終了コード 2)\n' : 'Result: could not check (infection status unknown, exit code 2)\n');
    return EMOCHECK_EXIT.COULD_NOT_CHECK;
  });
}

export function createEmocheckCommands(deps: EmocheckDeps): Command[] {
  const check: Command = {
    path: ['emocheck'],
    summary: { en: 'check for Emotet (live on Windows, or a snapshot anywhere)', ja: 'Emotet 感染を確認 (Windows でライブ、またはスナップショット)' },
    help: {
      en: `Usage: omamori emocheck [--snapshot FILE] [--json] [--out DIR]
       omamori emocheck collect --out FILE

Checks for Emotet with all EmoCheck v2.0 methods (V1–V5), the 2022–2023 regsvr32/rundll32 loader pattern and
autostart entries that start code from user space. On Windows it collects the facts itself (PowerShell/CIM);
elsewhere give a snapshot made by 'omamori emocheck collect' or collector/omamori-collect.ps1.

Options:
  --snapshot FILE  analyse a snapshot instead of this machine
  --json           print the report as JSON instead of text
  --out DIR        also write <HOST>_<yyyymmddhhmmss>_omamori-emocheck.txt and .json into DIR
                   (default: no file is written)
Exit codes: 0 Emotet not detected, 1 Emotet detected, 2 could not check (never "infected").
See docs/emocheck.md.`,
      ja: `使い方: omamori emocheck [--snapshot FILE] [--json] [--out DIR]
        omamori emocheck collect --out FILE

EmoCheck v2.0 の全手法 (V1〜V5)、2022〜2023年の regsvr32/rundll32 型、ユーザー領域のコードを起動する自動起動項目で
Emotet を確認します。Windows では自分で情報を集めます (PowerShell/CIM)。他の OS では
'omamori emocheck collect' か collector/omamori-collect.ps1 で作ったスナップショットを指定します。

オプション:
  --snapshot FILE  この端末ではなくスナップショットを調べる
  --json           レポートをテキストではなく JSON で表示
  --out DIR        DIR に <ホスト名>_<yyyymmddhhmmss>_omamori-emocheck.txt と .json も書き出す
                   (既定ではファイルを書きません)
終了コード: 0 検知なし、1 Emotet を検知、2 確認できなかった (「感染」とは区別されます)
詳しくは docs/emocheck.md。`,
    },
    run: (argv, io) => guard(io, async () => {
      const args = parseArgs(argv, ['--snapshot', '--out'], ['--json']);
      const snapFile = args['--snapshot'];
      let snapshot: Snapshot;
      let source: ReportInput['source'];
      if (typeof snapFile === 'string') {
        snapshot = readSnapshotFile(snapFile, io);
        source = { kind: 'snapshot', file: snapFile };
      } else {
        if (deps.platform !== 'win32') throw new CannotCheck(NEEDS_WINDOWS);
        snapshot = (await collectLive(deps)).snapshot;
        source = { kind: 'live' };
      }
      const analysis = analyseSnapshot(snapshot);
      const input: ReportInput = { analysis, snapshot, scanTime: deps.now(), source, lang: io.lang };
      const text = renderText(input), json = renderJson(input);
      io.out(args['--json'] ? json : text);
      const outDir = args['--out'];
      if (typeof outDir === 'string') {
        const dir = resolve(io.cwd, outDir);
        const written: string[] = [];
        try {
          mkdirSync(dir, { recursive: true });
          for (const [ext, body] of [['txt', text], ['json', json]] as const) {
            const p = resolve(dir, reportFileName(snapshot.host.computerName, input.scanTime, ext));
            writeFileSync(p, body);
            written.push(p);
          }
        } catch (e) {
          const m = (e as NodeJS.ErrnoException).code ?? String(e);
          throw new CannotCheck({ en: `the check ran (result above) but the report could not be written to ${outDir}: ${m}`,
            ja: `チェックは実行しました (結果は上記) が、レポートを ${outDir} に書き出せませんでした: ${m}` });
        }
        io.err(written.map((p) => (io.lang === 'ja' ? `レポートを書き出しました: ${p}\n` : `Report written: ${p}\n`)).join(''));
      }
      return analysis.verdict === 'infected' ? EMOCHECK_EXIT.INFECTED : EMOCHECK_EXIT.CLEAN;
    }),
  };

  const collect: Command = {
    path: ['emocheck', 'collect'],
    summary: { en: 'write an Emotet-check snapshot of this Windows machine', ja: 'この Windows 端末の Emotet チェック用スナップショットを書き出す' },
    help: {
      en: `Usage: omamori emocheck collect --out FILE

Collects what 'omamori emocheck' looks at (volume serial, processes, Run/Explorer registry values, services,
scheduled tasks, folder listings, hashes of autostart targets) into a versioned JSON snapshot, to be checked here
or on another machine with 'omamori emocheck --snapshot FILE'. Windows only; without Node use
collector/omamori-collect.ps1 -OutFile FILE, which writes the same format.
Exit codes: 0 written, 2 could not collect.`,
      ja: `使い方: omamori emocheck collect --out FILE

'omamori emocheck' が調べる情報 (ボリュームシリアル、プロセス、Run/Explorer のレジストリ値、サービス、
タスクスケジューラ、フォルダー一覧、自動起動されるファイルのハッシュ) をバージョン付き JSON のスナップショットに
保存します。この端末や別の端末で 'omamori emocheck --snapshot FILE' で調べられます。Windows 専用です。Node が
なければ collector/omamori-collect.ps1 -OutFile FILE が同じ形式で書き出します。
終了コード: 0 書き出し成功、2 収集できなかった。`,
    },
    run: (argv, io) => guard(io, async () => {
      const args = parseArgs(argv, ['--out'], []);
      const out = args['--out'];
      if (typeof out !== 'string') throw new UsageError(io.lang === 'ja' ? '--out FILE を指定してください' : '--out FILE is required');
      if (deps.platform !== 'win32') throw new CannotCheck(NEEDS_WINDOWS);
      const { raw } = await collectLive(deps);
      const p = resolve(io.cwd, out);
      try { writeFileSync(p, raw); } catch (e) {
        const m = (e as NodeJS.ErrnoException).code ?? String(e);
        throw new CannotCheck({ en: `cannot write ${out}: ${m}`, ja: `${out} に書き込めません: ${m}` });
      }
      io.out(io.lang === 'ja' ? `スナップショットを書き出しました: ${p}\n` : `Snapshot written: ${p}\n`);
      return EMOCHECK_EXIT.CLEAN;
    }),
  };
  return [check, collect];
}

export const emocheckCommands = createEmocheckCommands(defaultEmocheckDeps);
