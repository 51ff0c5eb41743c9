// Event upload: each event of a batch is checked on its own with the protocol check the agent also runs
// (checkUploadedEvent), so one bad event never refuses the others. A refused event goes to the quarantine with its
// reason (shown in the console) and is reported back in `rejected`, so the agent does not send it again. Events the
// agent itself could not send arrive as quarantine reports. Storing is idempotent by (agent, key); when the store
// refuses a whole batch (it should not: the checks keep both stores' limits), rows are stored one by one and the
// refused ones quarantined, so SQLite and PostgreSQL end with the same result.
import { checkQuarantineReport, checkUploadedEvent, type EventBatchResponse, type QuarantineReport, type UploadedEvent } from '@omamori/policy';
import type { Ctx } from './context.ts';
import type { EventsTable } from './db/schema.ts';
import { neutralize } from './text.ts';

type Row = Omit<EventsTable, 'id'>;

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

/** A short, printable excerpt of what was refused (for the quarantine view; never the whole thing). */
export function excerptOf(v: unknown): string {
  let text: string;
  try { text = JSON.stringify(v, (_k, x: unknown) => typeof x === 'string' && x.length > 200 ? `${x.slice(0, 200)}…(${x.length} chars)` : x) ?? String(v); } catch { text = String(v); }
  // NUL and unpaired surrogates cannot be stored in PostgreSQL: shown as marks instead.
  return neutralize(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')).slice(0, 2000);
}

function toRow(agentId: string, e: UploadedEvent, now: number): Row {
  return {
    agent_id: agentId, key: e.key, time: e.time, received_at: now, verdict: e.verdict, reason: e.reason, rule: e.rule,
    kind: e.kind, app: e.guarded ?? baseName(e.object), object: e.object, guarded: e.guarded ?? null,
    policy_version: e.policyVersion, pid: e.pid, lineage: JSON.stringify(e.lineage), detail: e.detail ? JSON.stringify(e.detail) : null,
    user: e.user ?? null, command_line: e.commandLine ?? null, sha256: e.sha256?.toLowerCase() ?? null, signer: e.signer ?? null,
  };
}

export interface IngestResult extends EventBatchResponse { /** Events stored now (not duplicates). */ fresh: UploadedEvent[] }

export async function ingestBatch(ctx: Ctx, agentId: string, events: unknown[], reports: unknown[]): Promise<IngestResult> {
  const now = ctx.now();
  const good: UploadedEvent[] = []; const rows: Row[] = [];
  const rejected: { key: string; code: string; message: string }[] = [];
  const quarantine: { key: string; time: number | null; source: string; code: string; reason: string; excerpt: string }[] = [];
  events.forEach((e, i) => {
    const p = checkUploadedEvent(e, `events[${i}]`);
    if (!p) { good.push(e as UploadedEvent); rows.push(toRow(agentId, e as UploadedEvent, now)); return; }
    const key = typeof (e as { key?: unknown })?.key === 'string' ? String((e as { key: string }).key).slice(0, 128) : `#${i}`;
    const time = (e as { time?: unknown })?.time;
    const message = `${p.path}: ${p.message}`;
    rejected.push({ key, code: p.code, message });
    quarantine.push({ key: excerptOf(key).replace(/^"|"$/g, '').slice(0, 128), time: typeof time === 'number' && Number.isInteger(time) && time >= 0 && time < 253_402_300_800_000 ? time : null, source: 'console', code: p.code, reason: message, excerpt: excerptOf(e) });
  });
  for (const r of reports) {
    if (checkQuarantineReport(r)) continue; // a malformed report is dropped: the batch's events still count
    const q = r as QuarantineReport;
    quarantine.push({ key: q.key, time: q.time ?? null, source: 'agent', code: q.code, reason: q.reason, excerpt: q.excerpt });
  }
  const inserted = new Set<string>();
  const insert = async (batch: Row[]) => {
    const res = await ctx.db.insertInto('events').values(batch).onConflict((oc) => oc.columns(['agent_id', 'key']).doNothing()).returning('key').execute();
    for (const r of res) inserted.add(r.key);
  };
  if (rows.length) {
    try { await insert(rows); } catch {
      for (let i = 0; i < rows.length; i++) {
        try { await insert([rows[i]!]); } catch (e) {
          const message = `the store refused the event: ${(e as Error).message.slice(0, 300)}`;
          rejected.push({ key: rows[i]!.key, code: 'STORE', message });
          quarantine.push({ key: rows[i]!.key, time: rows[i]!.time, source: 'console', code: 'STORE', reason: message, excerpt: excerptOf(good[i]) });
        }
      }
    }
  }
  if (quarantine.length) {
    await ctx.db.insertInto('event_quarantine').values(quarantine.map((q) => ({ ...q, agent_id: agentId, received_at: now }))).execute();
  }
  const accepted = inserted.size;
  return { accepted, duplicates: events.length - rejected.length - accepted, ...(rejected.length ? { rejected } : {}), fresh: good.filter((e) => inserted.has(e.key)) };
}
