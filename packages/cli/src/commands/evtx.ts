// `omamori evtx dump` / `omamori evtx count`: read EVTX files with @omamori/evtx and print records (JSON lines or
// XML) or counts; damaged parts are reported on stderr with their location and the exit code is 1.
import { resolve } from 'node:path';
import { createReadStats, formatWarning, readEvtxFile, recordToJson, renderXml, type EvtxWarning } from '@omamori/evtx';
import { EXIT, UsageError, type Command, type Io } from '../command.ts';

type Format = 'jsonl' | 'xml';

function parseArgs(argv: string[], withFormat: boolean): { files: string[]; format: Format } {
  const files: string[] = [];
  let format: Format = 'jsonl';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { files.push(...argv.slice(i + 1)); break; }
    if (withFormat && (a === '--format' || a.startsWith('--format='))) {
      const v = a === '--format' ? argv[++i] : a.slice(9);
      if (v !== 'jsonl' && v !== 'xml') throw new UsageError(`--format must be 'jsonl' or 'xml' (got '${v ?? ''}')`);
      format = v;
      continue;
    }
    if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    files.push(a);
  }
  if (files.length === 0) throw new UsageError('no EVTX file given');
  return { files, format };
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

const dump: Command = {
  path: ['evtx', 'dump'],
  summary: { en: 'print the records of EVTX files (JSON lines or XML)', ja: 'EVTX ファイルのレコードを表示 (JSON Lines または XML)' },
  help: {
    en: `Usage: omamori evtx dump FILE... [--format jsonl|xml]

Prints every record of each EVTX file, in chunk order.
  --format jsonl  one JSON object per event (default): file, recordId, timestamp, chunk, offset,
                  system {Provider, EventID, Channel, Computer, TimeCreated, ...},
                  data {EventData by Name}, userData
  --format xml    the events as XML, inside <Events>
Damaged chunks and records are skipped; each is reported on stderr with file, chunk and offset.
Exit codes: 0 all read cleanly, 1 something was damaged or unreadable, 2 usage error.`,
    ja: `使い方: omamori evtx dump FILE... [--format jsonl|xml]

各 EVTX ファイルの全レコードをチャンク順に表示します。
  --format jsonl  1 イベント 1 行の JSON (既定): file, recordId, timestamp, chunk, offset,
                  system {Provider, EventID, Channel, Computer, TimeCreated, ...},
                  data {EventData を Name ごとに}, userData
  --format xml    <Events> で囲んだ XML
壊れたチャンクやレコードは読み飛ばし、ファイル・チャンク・オフセットを標準エラーに報告します。
終了コード: 0 すべて正常、1 破損または読めない部分あり、2 使い方の誤り`,
  },
  async run(argv, io) {
    const { files, format } = parseArgs(argv, true);
    const out = bufferedOut(io);
    let damaged = false;
    if (format === 'xml') out.write('<?xml version="1.0" encoding="utf-8"?>\n<Events>\n');
    for (const file of files) {
      const warnings: EvtxWarning[] = [];
      const stats = createReadStats();
      for (const r of readEvtxFile(resolve(io.cwd, file), { onWarning: (w) => warnings.push({ ...w, file }) }, stats)) {
        out.write(format === 'xml' ? renderXml(r.root) : JSON.stringify(recordToJson(r, file)) + '\n');
      }
      out.flush();
      reportWarnings(io, file, warnings, stats.records);
      if (warnings.length > 0) damaged = true;
    }
    if (format === 'xml') out.write('</Events>\n');
    out.flush();
    return damaged ? EXIT.FAILURE : EXIT.OK;
  },
};

const count: Command = {
  path: ['evtx', 'count'],
  summary: { en: 'count the records of EVTX files and report damage', ja: 'EVTX ファイルのレコード数を数え、破損を報告' },
  help: {
    en: `Usage: omamori evtx count FILE...

Prints "records<TAB>warnings<TAB>file" for each file and reports each damaged chunk or record on stderr.
Exit codes: 0 all read cleanly, 1 something was damaged or unreadable, 2 usage error.`,
    ja: `使い方: omamori evtx count FILE...

各ファイルについて「レコード数<TAB>警告数<TAB>ファイル」を表示し、壊れたチャンクやレコードを標準エラーに報告します。
終了コード: 0 すべて正常、1 破損または読めない部分あり、2 使い方の誤り`,
  },
  async run(argv, io) {
    const { files } = parseArgs(argv, false);
    let damaged = false;
    for (const file of files) {
      const warnings: EvtxWarning[] = [];
      const stats = createReadStats();
      for (const _r of readEvtxFile(resolve(io.cwd, file), { onWarning: (w) => warnings.push({ ...w, file }) }, stats)) { /* count */ }
      io.out(`${stats.records}\t${warnings.length}\t${file}\n`);
      reportWarnings(io, file, warnings, stats.records);
      if (warnings.length > 0) damaged = true;
    }
    return damaged ? EXIT.FAILURE : EXIT.OK;
  },
};

export const evtxCommands: Command[] = [dump, count];
