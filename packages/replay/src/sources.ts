// What the replay reads: FILE|DIR arguments become recordings (all .evtx files of one folder together — the logs
// of one machine —, each Mordor archive or JSON-lines file alone), each read into WinRecords.
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { formatWarning, readEvtxFile, type EvtxWarning } from '@omamori/evtx';
import { archiveKind, streamJsonLines } from './archive.ts';
import { fromEvtxRecord, fromMordorObject, type WinRecord } from './win-record.ts';
import { readEventXmlFile } from './xml-source.ts';

export interface Recording {
  /** Name for reports: the archive, or the folder of the .evtx files (relative to the argument's parent). */
  name: string;
  kind: 'evtx' | 'mordor' | 'xml';
  files: string[];
  bytes: number;
}

export interface InputProblem { path: string; code: 'NOT_FOUND' | 'NOT_READABLE' | 'NO_EVENTS_FILES'; detail: string }

/** Expands the arguments; problems name the argument that is wrong. */
export function findRecordings(paths: readonly string[]): { recordings: Recording[]; problems: InputProblem[] } {
  const recordings: Recording[] = [];
  const problems: InputProblem[] = [];
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch (e) {
      problems.push({ path: p, code: 'NOT_FOUND', detail: (e as NodeJS.ErrnoException).code ?? String(e) });
      continue;
    }
    if (st.isFile()) {
      if (p.toLowerCase().endsWith('.evtx')) recordings.push({ name: basename(p), kind: 'evtx', files: [p], bytes: st.size });
      else if (archiveKind(p)) recordings.push({ name: basename(p), kind: 'mordor', files: [p], bytes: st.size });
      else if (p.toLowerCase().endsWith('.xml')) recordings.push({ name: basename(p), kind: 'xml', files: [p], bytes: st.size });
      else problems.push({ path: p, code: 'NOT_READABLE', detail: 'not .evtx, .xml, .zip, .tar.gz or .json' });
      continue;
    }
    const evtxByDir = new Map<string, { files: string[]; bytes: number }>();
    const before = recordings.length;
    const walk = (dir: string) => {
      let names: string[];
      try { names = readdirSync(dir).sort(); } catch { return; }
      for (const n of names) {
        const f = join(dir, n);
        let s;
        try { s = statSync(f); } catch { continue; }
        if (s.isDirectory()) { walk(f); continue; }
        if (n.toLowerCase().endsWith('.evtx')) {
          const g = evtxByDir.get(dir) ?? { files: [], bytes: 0 };
          g.files.push(f); g.bytes += s.size; evtxByDir.set(dir, g);
        } else if (archiveKind(n)) recordings.push({ name: relative(dirname(p), f), kind: 'mordor', files: [f], bytes: s.size });
        else if (n.toLowerCase().endsWith('.xml')) recordings.push({ name: relative(dirname(p), f), kind: 'xml', files: [f], bytes: s.size });
      }
    };
    walk(p);
    for (const [dir, g] of evtxByDir) recordings.push({ name: relative(dirname(p), dir) || dir, kind: 'evtx', files: g.files, bytes: g.bytes });
    if (recordings.length === before) problems.push({ path: p, code: 'NO_EVENTS_FILES', detail: 'no .evtx, .xml, .zip, .tar.gz or .json files' });
  }
  return { recordings, problems };
}

export interface ReadIssue { where: string; message: string }

export interface ReadCallbacks {
  record(r: WinRecord): void;
  /** Bytes of this recording consumed so far. */
  progress?(bytes: number): void;
  /** A damaged part that was skipped (EVTX warning, bad JSON line, damaged archive). */
  issue(i: ReadIssue): void;
}

/** Reads every record of one recording, in file order. Never throws on bad input: problems go to `issue`. */
export async function readRecording(rec: Recording, cb: ReadCallbacks): Promise<void> {
  let done = 0;
  for (const file of rec.files) {
    const short = rec.files.length > 1 ? `${rec.name}/${basename(file)}` : rec.name;
    if (rec.kind === 'evtx') {
      const onWarning = (w: EvtxWarning) => cb.issue({ where: short, message: formatWarning(w) });
      let n = 0;
      try {
        for (const r of readEvtxFile(file, { onWarning })) {
          cb.record(fromEvtxRecord(r, short));
          if ((++n & 4095) === 0) cb.progress?.(done + Math.min(r.offset, statSize(file)));
        }
      } catch (e) {
        cb.issue({ where: short, message: (e as Error).message });
      }
      done += statSize(file);
      cb.progress?.(done);
      continue;
    }
    if (rec.kind === 'xml') {
      try {
        const before = done;
        readEventXmlFile(file, short, { record: cb.record, issue: cb.issue, progress: (b) => cb.progress?.(before + b) });
      } catch (e) {
        cb.issue({ where: short, message: (e as Error).message });
      }
      done += statSize(file);
      cb.progress?.(done);
      continue;
    }
    try {
      await streamJsonLines(file, {
        line(entry, text, lineNo) {
          const where = `${short}:${entry}:${lineNo}`;
          let o: unknown;
          try { o = JSON.parse(text); } catch (e) {
            cb.issue({ where, message: `not JSON: ${(e as Error).message}` });
            return;
          }
          if (o === null || typeof o !== 'object' || Array.isArray(o)) { cb.issue({ where, message: 'not a JSON object' }); return; }
          const r = fromMordorObject(o as Record<string, unknown>, where);
          if (r) cb.record(r);
        },
        bytes(n) { cb.progress?.(done + n); },
      });
    } catch (e) {
      cb.issue({ where: short, message: `damaged archive: ${(e as Error).message}` });
    }
    done += statSize(file);
    cb.progress?.(done);
  }
}

function statSize(f: string): number {
  try { return statSync(f).size; } catch { return 0; }
}
