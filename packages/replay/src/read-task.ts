// Reading one part of a recording — a chunk range of an .evtx file, one Mordor capture or one event XML file — into WinRecords, in a
// worker thread or in this one (sources.ts decides). Only records of kinds the mapping uses are kept whole; the
// others are only counted by provider, channel and event id (the replay reports them as unmapped), which spares
// building and copying them. Mordor lines are parsed by JSON.parse and classified by their header fields before
// the full record is built (bench/replay.ts measures this against building every line and a byte-level peek).
import { formatWarning, readEvtxFile, type TaskContext, type EvtxWarning } from '@omamori/evtx';
import { streamJsonLineBytes } from './archive.ts';
import { isMappedEvent } from './mapper.ts';
import { fromEvtxRecord, fromMordorObject, type WinRecord } from './win-record.ts';
import { readEventXmlFile } from './xml-source.ts';

export interface PartTask {
  kind: 'evtx' | 'mordor' | 'xml';
  path: string;
  /** The file as reports name it (the recording, or recording/file). */
  short: string;
  firstChunk?: number;
  endChunk?: number;
  recover?: boolean;
  /** Keep every record, not only the mapped kinds. */
  all?: boolean;
}

export interface ReadIssue { where: string; message: string }

export interface PartResult {
  /** Records in file order: the mapped kinds (every record with `all`). */
  records: WinRecord[];
  /** Records not kept: [provider, channel, event id, count]. */
  unmapped: [string, string, number, number][];
  issues: ReadIssue[];
  /** Records found in slack space (EVTX with `recover`); their `where` ends in " (recovered)". */
  recovered: number;
}

/** Counts records that are not kept, by provider, channel and id. */
class Tally {
  private readonly m = new Map<string, [string, string, number, number]>();
  add(provider: string, channel: string, eventId: number): void {
    const k = `${provider}\u0000${channel}\u0000${eventId}`;
    const e = this.m.get(k);
    if (e) e[3]++;
    else this.m.set(k, [provider, channel, eventId, 1]);
  }
  list(): [string, string, number, number][] { return [...this.m.values()]; }
}

export const RECOVERED_MARK = ' (recovered)';

/** A chunk range (or all) of one .evtx file. */
export function readEvtxPart(t: PartTask, ctx?: TaskContext): PartResult {
  const records: WinRecord[] = [];
  const issues: ReadIssue[] = [];
  const tally = new Tally();
  let recovered = 0;
  let chunk = -1;
  const onWarning = (w: EvtxWarning) => { issues.push({ where: t.short, message: formatWarning(w) }); };
  const options = { onWarning, recover: t.recover === true, firstChunk: t.firstChunk ?? 0, endChunk: t.endChunk ?? Infinity };
  try {
    for (const r of readEvtxFile(t.path, options)) {
      if (ctx && r.chunk !== chunk) ctx.progress((r.chunk - options.firstChunk) * 65536);
      chunk = r.chunk;
      const w = fromEvtxRecord(r, t.short);
      if (r.recovered) { w.where += RECOVERED_MARK; recovered++; }
      if (t.all || isMappedEvent(w.provider, w.channel, w.eventId)) records.push(w);
      else tally.add(w.provider, w.channel, w.eventId);
    }
  } catch (e) {
    issues.push({ where: t.short, message: (e as Error).message });
  }
  return { records, unmapped: tally.list(), issues, recovered };
}

type Json = Record<string, unknown>;

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/**
 * Provider, channel and event id of a parsed Mordor object, read the way `fromMordorObject` reads them (its three
 * forms, in its order); undefined when it is not an event. A test checks both agree on every shared capture.
 */
export function mordorHeader(o: Json): { provider: string; channel: string; eventId: number } | undefined {
  let h: { provider: string; channel: string; eventId: number };
  const wl = o.winlog as Json | undefined;
  if (wl && typeof wl === 'object') h = { eventId: Number(wl.event_id), provider: text(wl.provider_name) ?? '', channel: text(wl.channel) ?? '' };
  else if (o.event_id !== undefined) h = { eventId: Number(o.event_id), provider: text(o.source_name) ?? '', channel: text(o.log_name) ?? '' };
  else if (o.EventID !== undefined) h = { eventId: Number(o.EventID), provider: text(o.SourceName) ?? '', channel: text(o.Channel) ?? '' };
  else return undefined;
  return Number.isFinite(h.eventId) ? h : undefined;
}

/** One Mordor capture (zip, tar.gz or JSON lines). */
export async function readMordorPart(t: PartTask, ctx?: TaskContext): Promise<PartResult> {
  const records: WinRecord[] = [];
  const issues: ReadIssue[] = [];
  const tally = new Tally();
  try {
    await streamJsonLineBytes(t.path, {
      line(entry, buf, start, end, lineNo) {
        let o: unknown;
        try { o = JSON.parse(buf.toString('utf8', start, end)); } catch (e) {
          issues.push({ where: `${t.short}:${entry}:${lineNo}`, message: `not JSON: ${(e as Error).message}` });
          return;
        }
        if (o === null || typeof o !== 'object' || Array.isArray(o)) {
          issues.push({ where: `${t.short}:${entry}:${lineNo}`, message: 'not a JSON object' });
          return;
        }
        if (!t.all) {
          const h = mordorHeader(o as Json);
          if (!h) return;
          if (!isMappedEvent(h.provider, h.channel, h.eventId)) { tally.add(h.provider, h.channel, h.eventId); return; }
        }
        const r = fromMordorObject(o as Json, `${t.short}:${entry}:${lineNo}`);
        if (r) records.push(r);
      },
      bytes(n) { ctx?.progress(n); },
    });
  } catch (e) {
    issues.push({ where: t.short, message: `damaged archive: ${(e as Error).message}` });
  }
  return { records, unmapped: tally.list(), issues, recovered: 0 };
}

/** One event XML file (wevtutil, Event Viewer, evtxexport -f xml). */
export function readXmlPart(t: PartTask, ctx?: TaskContext): PartResult {
  const records: WinRecord[] = [];
  const issues: ReadIssue[] = [];
  const tally = new Tally();
  try {
    readEventXmlFile(t.path, t.short, {
      record(w) {
        if (t.all || isMappedEvent(w.provider, w.channel, w.eventId)) records.push(w);
        else tally.add(w.provider, w.channel, w.eventId);
      },
      issue(i) { issues.push(i); },
      progress(b) { ctx?.progress(b); },
    });
  } catch (e) {
    issues.push({ where: t.short, message: (e as Error).message });
  }
  return { records, unmapped: tally.list(), issues, recovered: 0 };
}
