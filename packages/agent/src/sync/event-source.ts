// Feeds the spool from the Linux agent's local event log (`<state>/events.db`, written by `omamori protect`): reads
// rows after a cursor by id and appends them with the cursor in one spool transaction, so a crash between the two
// stores neither loses nor repeats an event.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { UploadedEvent } from '@omamori/policy';
import type { Spool } from './spool.ts';

interface Row {
  id: number; time: number; verdict: string; reason: string; rule: string; policy: string; kind: string; pid: number;
  object: string; guarded: string | null; lineage: string; detail: string | null;
}

const CURSOR = 'events.db.cursor';

/** Copies new rows of events.db into the spool; returns how many. Safe to call often. */
export function pullLocalEvents(stateDir: string, spool: Spool, max = 5000): number {
  const file = join(stateDir, 'events.db');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    let cursor = Number(spool.meta(CURSOR) ?? 0);
    const top = (db.prepare('SELECT max(id) AS m FROM events').get() as { m: number | null }).m ?? 0;
    if (top < cursor) cursor = 0; // the log was recreated
    const rows = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(cursor, max) as Row[];
    if (rows.length === 0) return 0;
    const events = rows.map((r) => {
      const e: Omit<UploadedEvent, 'key'> = {
        time: r.time, verdict: r.verdict as UploadedEvent['verdict'], reason: r.reason, rule: r.rule, policyVersion: r.policy,
        kind: r.kind, pid: r.pid, object: r.object, lineage: JSON.parse(r.lineage) as UploadedEvent['lineage'],
      };
      if (r.guarded !== null) e.guarded = r.guarded;
      if (r.detail !== null) e.detail = JSON.parse(r.detail) as Record<string, unknown>;
      return e;
    });
    spool.append(events, { name: CURSOR, value: String(rows[rows.length - 1]!.id) });
    return rows.length;
  } finally { db.close(); }
}
