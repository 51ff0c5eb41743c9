// The upload outbox is the agent's own event store (`events.db`): events wait there, the upload cursor (the id of
// the last event the console acknowledged) is kept beside them in the same file, and the store tells the sync loop of
// each new event in-process. Idempotency keys are `<store id>:<event id>` (a random store id, so a recreated store
// never reuses a key), or the key an event came with (Windows read-back). Events the agent cannot send (refused by
// the protocol check both sides share, or failing alone) are skipped with a quarantine report that goes to the
// console with the next batch. A spool (`sync.db`) left by an older agent is drained first, then removed.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkUploadedEvent, PROTOCOL_LIMITS, type ProtocolProblem, type QuarantineReport, type UploadedEvent } from '@omamori/policy';
import type { AppendedEvent, EventStore, OutboxRow } from '../event-store.ts';
import type { FloorStore, PolicyFloor } from './policy-check.ts';
import { openSpool, type Spool, type SpoolInput } from './spool.ts';

const CURSOR = 'outbox.cursor';
const STORE_ID = 'outbox.store-id';
const REPORTS = 'outbox.quarantine';
const FLOOR = 'policy.floor';
const LEGACY_CURSOR = 'events.db.cursor';
const WINDOWS_CURSOR = 'windows.blocks.cursor';

export interface OutboxItem { event: UploadedEvent; /** Where it is: an event-store id, or a row of the legacy spool. */ at: { store: number } | { legacy: number } }

export interface Outbox {
  /** The oldest waiting events (legacy spool first), each fitted to the protocol limits; refused ones are quarantined. */
  pending(limit: number): OutboxItem[];
  /** The console has everything up to and including this item. */
  ack(item: OutboxItem): void;
  /** Skips an item the console will never take, with a report for the console. */
  quarantine(item: OutboxItem, code: string, reason: string): void;
  count(): number;
  reports(): QuarantineReport[];
  clearReports(keys: string[]): void;
  floor: FloorStore;
  /** Windows read-back: events with their own keys, and its cursor, in one transaction. */
  append(events: SpoolInput[], cursor?: { name: string; value: string }): void;
  meta(name: string): string | undefined;
  setMeta(name: string, value: string): void;
  onAppend(listener: () => void): () => void;
  /** Closes the legacy spool if open (the event store belongs to its opener). */
  close(): void;
}

const STRING_FIELDS = { user: PROTOCOL_LIMITS.user, commandLine: PROTOCOL_LIMITS.commandLine, signer: PROTOCOL_LIMITS.signer } as const;

/** Maps a stored event to the upload shape, lifting what the agent knows (user, command line, SHA-256, signer). */
export function toUploaded(r: OutboxRow, storeId: string): UploadedEvent {
  const detail = r.detail ? { ...r.detail } : undefined;
  const lift = (k: string): string | undefined => {
    const v = detail?.[k];
    if (typeof v !== 'string') return undefined;
    delete detail![k];
    return v;
  };
  const e: UploadedEvent = {
    key: r.key ?? `${storeId}:${r.id}`, time: r.time, verdict: r.verdict as UploadedEvent['verdict'], reason: r.reason, rule: r.rule, policyVersion: r.policyVersion,
    kind: r.kind, pid: r.pid, object: r.object, lineage: r.lineage.map((l) => ({ pid: l.pid, image: l.image, ...(l.guarded ? { guarded: l.guarded } : {}) })),
  };
  if (r.guarded) e.guarded = r.guarded;
  const user = lift('user'); if (user) e.user = user;
  const cmd = lift('commandLine'); if (cmd) e.commandLine = cmd;
  const sha = lift('sha256'); if (sha && /^[0-9a-f]{64}$/i.test(sha)) e.sha256 = sha.toLowerCase();
  const signer = lift('signer'); if (signer) e.signer = signer;
  if (detail && Object.keys(detail).length) e.detail = detail;
  return e;
}

/**
 * Makes an event fit the shared limits where that loses nothing that matters: long user/command line/signer are cut,
 * a lineage deeper than the limit keeps its nearest steps, a detail that does not fit is replaced by a note. What
 * still does not pass (a broken path, a time out of range) is reported as the problem.
 */
export function fitEvent(e: UploadedEvent): { event: UploadedEvent; problem?: ProtocolProblem } {
  const out: UploadedEvent = { ...e };
  for (const [k, max] of Object.entries(STRING_FIELDS) as [keyof typeof STRING_FIELDS, number][]) {
    const v = out[k];
    if (typeof v === 'string' && v.length > max) out[k] = `${v.slice(0, max - 1)}…`;
  }
  if (out.lineage.length > PROTOCOL_LIMITS.lineage) out.lineage = out.lineage.slice(-PROTOCOL_LIMITS.lineage);
  let p = checkUploadedEvent(out);
  if (p && out.detail !== undefined && (p.path === 'detail' || p.path.startsWith('detail.') || p.path === '')) {
    out.detail = { omitted: `detail not sent: ${p.path || 'event'} ${p.message}`.slice(0, 500) };
    p = checkUploadedEvent(out);
  }
  return p ? { event: out, problem: p } : { event: out };
}

/** A short printable excerpt of an event for its quarantine report. */
function excerpt(e: UploadedEvent): string {
  const text = JSON.stringify(e, (_k, v: unknown) => typeof v === 'string' && v.length > 120 ? `${v.slice(0, 120)}…` : v);
  return text.replace(/[\u0000-\u001f\ud800-\udfff]/g, '?').slice(0, 2000);
}

export function createOutbox(stateDir: string, store: EventStore, log: (line: string) => void): Outbox {
  let storeId = store.state(STORE_ID);
  if (!storeId) { storeId = randomBytes(6).toString('hex'); store.setState(STORE_ID, storeId); }
  const legacyFile = join(stateDir, 'sync.db');
  let legacy: Spool | undefined = existsSync(legacyFile) ? openSpool(stateDir) : undefined;
  if (store.state(CURSOR) === undefined) {
    // Events of events.db an older agent already copied into its spool are not sent again; the Windows read-back
    // cursor it kept there moves here.
    const copied = legacy?.meta(LEGACY_CURSOR);
    store.setState(CURSOR, copied ?? '0');
    const win = legacy?.meta(WINDOWS_CURSOR);
    if (win !== undefined && store.state(WINDOWS_CURSOR) === undefined) store.setState(WINDOWS_CURSOR, win);
  }
  const cursor = () => Number(store.state(CURSOR) ?? '0');
  const dropLegacy = () => {
    legacy?.close(); legacy = undefined;
    for (const f of ['sync.db', 'sync.db-wal', 'sync.db-shm']) rmSync(join(stateDir, f), { force: true });
    log('the spool of the previous agent version is drained and removed');
  };
  const readReports = (): QuarantineReport[] => { try { return JSON.parse(store.state(REPORTS) ?? '[]') as QuarantineReport[]; } catch { return []; } };

  const outbox: Outbox = {
    pending(limit) {
      const items: OutboxItem[] = [];
      if (legacy) {
        const rows = legacy.peek(limit);
        if (rows.length === 0) dropLegacy();
        else return rows.map((r) => ({ event: r.event, at: { legacy: r.seq } }));
      }
      // Refused events are quarantined here and the read goes on, so a page never comes back empty while events wait.
      for (let after = cursor(); items.length < limit;) {
        const rows = store.after(after, limit - items.length);
        if (rows.length === 0) break;
        for (const r of rows) {
          const f = fitEvent(toUploaded(r, storeId!));
          const item: OutboxItem = { event: f.event, at: { store: r.id } };
          if (f.problem && items.length === 0) { outbox.quarantine(item, f.problem.code, `${f.problem.path}: ${f.problem.message}`); continue; }
          if (f.problem) return items; // sent after the events before it are acknowledged
          items.push(item);
        }
        after = rows[rows.length - 1]!.id;
      }
      return items;
    },
    ack(item) {
      if ('legacy' in item.at) { legacy?.ack(item.at.legacy); return; }
      if (item.at.store > cursor()) store.setState(CURSOR, String(item.at.store));
    },
    quarantine(item, code, reason) {
      const reports = readReports();
      if (reports.length < 1000) reports.push({ key: item.event.key.slice(0, PROTOCOL_LIMITS.key), time: Number.isInteger(item.event.time) && item.event.time >= 0 && item.event.time <= PROTOCOL_LIMITS.timeMax ? item.event.time : 0, code: code.slice(0, 64), reason: reason.slice(0, 1000), excerpt: excerpt(item.event) });
      // The report and the skip go together (one state write each, the report first: a crash re-quarantines, never loses).
      store.setState(REPORTS, JSON.stringify(reports));
      outbox.ack(item);
      log(`event ${item.event.key} not uploaded (${code}: ${reason}); reported to the console`);
    },
    count: () => store.countAfter(cursor()) + (legacy?.count() ?? 0),
    reports: () => readReports().slice(0, PROTOCOL_LIMITS.batchQuarantined),
    clearReports(keys) {
      const drop = new Set(keys);
      store.setState(REPORTS, JSON.stringify(readReports().filter((r) => !drop.has(r.key))));
    },
    floor: {
      get() { try { const v = store.state(FLOOR); return v ? JSON.parse(v) as PolicyFloor : undefined; } catch { return undefined; } },
      set(f) { store.setState(FLOOR, JSON.stringify(f)); },
    },
    append(events, c) {
      store.append(events.map((e): AppendedEvent => ({ ...e })), c);
    },
    meta: (name) => store.state(name),
    setMeta: (name, value) => store.setState(name, value),
    onAppend: (l) => store.onAppend(l),
    close() { legacy?.close(); legacy = undefined; },
  };
  return outbox;
}
