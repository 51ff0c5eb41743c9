// `omamori evtx dump` / `omamori evtx count`: read EVTX files and folders with @omamori/evtx on every core and print
// records (JSON lines or XML) or counts, in file order; damaged parts are reported on stderr with their location
// and the exit code is 1.
import { resolve } from 'node:path';
import { findEvtxInputs, formatWarning, planEvtxUnits, readEvtxUnits, type EvtxInputProblem, type EvtxWarning, type UnitOutput,
  type UnitResult } from '@omamori/evtx';
import { EXIT, UsageError, type Command, type Io } from '../command.ts';

type Format = 'jsonl' | 'xml';

interface Args { paths: string[]; format: Format; recover: boolean; jobs: number | undefined }

function parseArgs(argv: string[], withFormat: boolean): Args {
  const paths: string[] = [];
  let format: Format = 'jsonl';
  let recover = false;
  let jobs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { paths.push(...argv.slice(i + 1)); break; }
    if (withFormat && (a === '--format' || a.startsWith('--format='))) {
      const v = a === '--format' ? argv[++i] : a.slice(9);
      if (v !== 'jsonl' && v !== 'xml') throw new UsageError(`--format must be 'jsonl' or 'xml' (got '${v ?? ''}')`);
      format = v;
      continue;
    }
    if (a === '--recover') { recover = true; continue; }
    if (a === '--jobs' || a.startsWith('--jobs=')) {
      const v = a === '--jobs' ? argv[++i] : a.slice(7);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--jobs must be a whole number from 1 to 256 (got '${v ?? ''}')`);
      jobs = n;
      continue;
    }
    if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    paths.push(a);
  }
  if (paths.length === 0) throw new UsageError('no EVTX file or folder given');
  return { paths, format, recover, jobs };
}

/** Buffers output so that a large dump is written in big pieces. */
function bufferedOut(io: Io): { write(s: string): void; flush(): void } {
  let parts: string[] = [];
  let size = 0;
  return {
    write(s) { parts.push(s); size += s.length; if (size > 1 << 16) this.flush(); },
    flush() { if (parts.length) { io.out(parts.join('')); parts = []; size = 0; } },
  };
}

function reportWarnings(io: Io, file: string, warnings: EvtxWarning[], records: number): void {
  for (const w of warnings) io.err(formatWarning(w, io.lang) + '\n');
  if (warnings.length > 0) {
    io.err(io.lang === 'ja'
      ? `${file}: ${records} 件のレコードを読み、${warnings.length} 件の警告がありました\n`
      : `${file}: ${records} records read, ${warnings.length} warnings\n`);
  }
}

function reportProblems(io: Io, problems: EvtxInputProblem[]): void {
  for (const p of problems) {
    io.err(io.lang === 'ja' ? `${p.path}: 読めません (${p.code}: ${p.detail})\n` : `${p.path}: cannot read (${p.code}: ${p.detail})\n`);
  }
}

/**
 * Reads the arguments' files (folders walked) on every core, unit results in order; `each` sees every unit and
 * `fileDone` each file once all its units are in. Returns whether something was damaged or unreadable.
 */
async function readAll(args: Args, io: Io, output: UnitOutput, each: (r: UnitResult) => void,
  fileDone: (name: string, records: number, recovered: number, warnings: EvtxWarning[]) => void): Promise<boolean> {
  const { inputs, problems } = findEvtxInputs(args.paths, (p) => resolve(io.cwd, p));
  reportProblems(io, problems);
  let damaged = problems.length > 0;
  let warnings: EvtxWarning[] = [];
  let records = 0, recovered = 0;
  const units = planEvtxUnits(inputs);
  for await (const r of readEvtxUnits(units, { output, recover: args.recover, ...(args.jobs ? { jobs: args.jobs } : {}) })) {
    each(r);
    warnings.push(...r.warnings);
    records += r.stats.records;
    recovered += r.stats.recovered;
    if (!r.unit.last) continue;
    fileDone(r.unit.name, records, recovered, warnings);
    if (warnings.length > 0) damaged = true;
    warnings = [];
    records = 0;
    recovered = 0;
  }
  return damaged;
}

const dump: Command = {
  path: ['evtx', 'dump'],
  summary: { en: 'print the records of EVTX files (JSON lines or XML)', ja: 'EVTX ファイルのレコードを表示 (JSON Lines または XML)' },
  help: {
    en: `Usage: omamori evtx dump FILE|DIR... [--format jsonl|xml] [--recover] [--jobs N]

Prints every record of each EVTX file, in file and chunk order. Folders are searched (recursively, sorted) for
.evtx files; large inputs (files, and chunk ranges of large files) are read on every core; the output is the
same as one pass.
  --format jsonl  one JSON object per event (default): file, recordId, timestamp, chunk, offset,
                  system {Provider, EventID, Channel, Computer, TimeCreated, ...},
                  data {EventData by Name}, userData
  --format xml    the events as XML, inside <Events>
  --recover       also print records left in slack space and in blocks that are no longer chunks (as
                  evtxexport -m recovered): "recovered": true in JSON, a <!-- recovered … --> comment in XML
  --jobs N        threads that read, this one included (default: one per core for large inputs; 1: one thread)
Damaged chunks and records are skipped; each is reported on stderr with file, chunk and offset.
Exit codes: 0 all read cleanly, 1 something was damaged or unreadable, 2 usage error.`,
    ja: `使い方: omamori evtx dump ファイル|フォルダー... [--format jsonl|xml] [--recover] [--jobs N]

各 EVTX ファイルの全レコードをファイル順・チャンク順に表示します。フォルダーは .evtx ファイルを (再帰的に、
名前順に) 探します。大きな入力 (ファイルと大きなファイルのチャンク範囲) は全コアで読みますが、出力は 1 回で
読んだ場合と同じです。
  --format jsonl  1 イベント 1 行の JSON (既定): file, recordId, timestamp, chunk, offset,
                  system {Provider, EventID, Channel, Computer, TimeCreated, ...},
                  data {EventData を Name ごとに}, userData
  --format xml    <Events> で囲んだ XML
  --recover       スラック領域や、もうチャンクではないブロックに残ったレコードも表示します
                  (evtxexport -m recovered と同様)。JSON では "recovered": true、XML では <!-- recovered … --> を付けます
  --jobs N        読み取りに使うスレッド数 (このスレッドを含む。既定: 大きな入力ではコア数。1 なら 1 スレッド)
壊れたチャンクやレコードは読み飛ばし、ファイル・チャンク・オフセットを標準エラーに報告します。
終了コード: 0 すべて正常、1 破損または読めない部分あり、2 使い方の誤り`,
  },
  async run(argv, io) {
    const args = parseArgs(argv, true);
    const out = bufferedOut(io);
    if (args.format === 'xml') out.write('<?xml version="1.0" encoding="utf-8"?>\n<Events>\n');
    const damaged = await readAll(args, io, args.format, (r) => { out.write(r.text); }, (name, records, _recovered, warnings) => {
      out.flush();
      reportWarnings(io, name, warnings, records);
    });
    if (args.format === 'xml') out.write('</Events>\n');
    out.flush();
    return damaged ? EXIT.FAILURE : EXIT.OK;
  },
};

const count: Command = {
  path: ['evtx', 'count'],
  summary: { en: 'count the records of EVTX files and report damage', ja: 'EVTX ファイルのレコード数を数え、破損を報告' },
  help: {
    en: `Usage: omamori evtx count FILE|DIR... [--recover] [--jobs N]

Prints "records<TAB>warnings<TAB>file" for each file (folders are searched for .evtx files) and reports each
damaged chunk or record on stderr. With --recover: "records<TAB>recovered<TAB>warnings<TAB>file", where
recovered counts the records found in slack space. Large inputs are read on every core (--jobs N to choose).
Exit codes: 0 all read cleanly, 1 something was damaged or unreadable, 2 usage error.`,
    ja: `使い方: omamori evtx count ファイル|フォルダー... [--recover] [--jobs N]

各ファイルについて「レコード数<TAB>警告数<TAB>ファイル」を表示し (フォルダーは .evtx ファイルを探します)、
壊れたチャンクやレコードを標準エラーに報告します。--recover では「レコード数<TAB>回復数<TAB>警告数<TAB>ファイル」で、
回復数はスラック領域で見つけたレコードの数です。大きな入力は全コアで読みます (--jobs N で指定)。
終了コード: 0 すべて正常、1 破損または読めない部分あり、2 使い方の誤り`,
  },
  async run(argv, io) {
    const args = parseArgs(argv, false);
    const damaged = await readAll(args, io, 'count', () => { /* counted per file */ }, (name, records, recovered, warnings) => {
      io.out(args.recover ? `${records}\t${recovered}\t${warnings.length}\t${name}\n` : `${records}\t${warnings.length}\t${name}\n`);
      reportWarnings(io, name, warnings, records);
    });
    return damaged ? EXIT.FAILURE : EXIT.OK;
  },
};

export const evtxCommands: Command[] = [dump, count];
