// CSV and JSON (one object per line) export of events and of the audit log, with the same filters and free-text
// search as the lists. Streamed page by page (memory stays flat), at most `limit` rows (≤ 100,000). CSV cells are
// quoted, hidden characters neutralised, and cells starting with = + - @ get a leading ' (no formulas in a
// spreadsheet). Exports are in the audit log.
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import type { AuditTable } from '../db/schema.ts';
import { neutralize } from '../text.ts';
import { EventFilters, filterEvents, type EventFilter } from './events.ts';
import { auditSelect, auditView } from './users.ts';
import { query } from './schemas.ts';

export const EXPORT_MAX_ROWS = 100_000;
const PAGE = 1000;

export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  s = neutralize(s);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

const Format = Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'csv' });
const Limit = Type.Integer({ minimum: 1, maximum: EXPORT_MAX_ROWS, default: 10_000 });

function stream(rows: (before?: number) => Promise<{ id: number; cells: unknown[]; obj: unknown }[]>, head: string[], format: 'csv' | 'json', limit: number): Readable {
  return Readable.from((async function* () {
    if (format === 'csv') yield `${head.join(',')}\r\n`;
    let before: number | undefined; let sent = 0;
    while (sent < limit) {
      const page = await rows(before);
      for (const r of page.slice(0, limit - sent)) {
        yield format === 'csv' ? `${r.cells.map(csvCell).join(',')}\r\n` : `${JSON.stringify(r.obj)}\n`;
        sent++;
      }
      if (page.length < PAGE) break;
      before = page[page.length - 1]!.id;
    }
  })());
}

export async function exportRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/events/export', {
    config: { access: 'viewer' },
    schema: { querystring: query({ ...EventFilters, format: Format, limit: Limit }) },
  }, async (req, reply) => {
    const q = req.query as EventFilter & { format: 'csv' | 'json'; limit: number };
    await audit(ctx, req.user!, 'events.export', 'events', { format: q.format, filters: { ...q, lang: undefined } });
    const head = ['id', 'time', 'endpoint', 'hostname', 'verdict', 'reason', 'rule', 'kind', 'app', 'object', 'guarded', 'user', 'commandLine', 'sha256', 'signer', 'policyVersion', 'pid', 'lineage'];
    const rows = async (before?: number) => {
      const sel = filterEvents(ctx.db.selectFrom('events').leftJoin('agents', 'agents.id', 'events.agent_id')
        .select(['events.id', 'events.time', 'events.agent_id', 'agents.hostname', 'events.verdict', 'events.reason', 'events.rule', 'events.kind', 'events.app',
          'events.object', 'events.guarded', 'events.user', 'events.command_line', 'events.sha256', 'events.signer', 'events.policy_version', 'events.pid', 'events.lineage']),
      { ...q, ...(before !== undefined ? { before: q.before !== undefined ? Math.min(before, q.before) : before } : {}) }, req.user!);
      const page = await sel.orderBy('events.id', 'desc').limit(PAGE).execute();
      return page.map((r) => {
        const lineage = (JSON.parse(r.lineage) as { image: string }[]).map((l) => l.image).join(' > ');
        const obj = { id: Number(r.id), time: new Date(Number(r.time)).toISOString(), endpoint: r.agent_id, hostname: r.hostname, verdict: r.verdict, reason: r.reason, rule: r.rule, kind: r.kind, app: r.app, object: r.object, guarded: r.guarded, user: r.user, commandLine: r.command_line, sha256: r.sha256, signer: r.signer, policyVersion: r.policy_version, pid: r.pid, lineage };
        return { id: Number(r.id), cells: head.map((h) => (obj as Record<string, unknown>)[h]), obj };
      });
    };
    reply.header('content-type', q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="omamori-events.${q.format === 'csv' ? 'csv' : 'jsonl'}"`);
    return reply.send(stream(rows, head, q.format, q.limit));
  });

  app.get('/api/audit/export', {
    config: { access: 'admin' },
    schema: { querystring: Type.Object({
      q: Type.Optional(Type.String({ maxLength: 200 })), action: Type.Optional(Type.String({ maxLength: 64 })),
      from: Type.Optional(Type.Integer({ minimum: 0 })), to: Type.Optional(Type.Integer({ minimum: 0 })),
      format: Format, limit: Limit, lang: Type.Optional(Type.String({ maxLength: 8 })),
    }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const q = req.query as { q?: string; action?: string; from?: number; to?: number; format: 'csv' | 'json'; limit: number };
    await audit(ctx, req.user!, 'audit.export', 'audit', { format: q.format, q: q.q, action: q.action });
    const head = ['id', 'time', 'actorKind', 'actor', 'action', 'target', 'detail'];
    const rows = async (before?: number) => {
      const page = await auditSelect(ctx, { ...q, ...(before !== undefined ? { before } : {}) }).limit(PAGE).execute();
      return page.map((r) => {
        const v = auditView(r as Omit<AuditTable, 'id'> & { id: number });
        const obj = { id: v.id, time: new Date(v.time).toISOString(), actorKind: v.actor.kind, actor: v.actor.name, action: v.action, target: v.target, detail: v.detail };
        return { id: v.id, cells: head.map((h) => (obj as Record<string, unknown>)[h]), obj };
      });
    };
    reply.header('content-type', q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="omamori-audit.${q.format === 'csv' ? 'csv' : 'jsonl'}"`);
    return reply.send(stream(rows, head, q.format, q.limit));
  });
}
