// One incident case read whole, in one language: endpoint, steps with who asked and who completed them, tasks with
// the results agents reported, the sweep per endpoint, attached files and the timeline. What the API returns and
// what the report renders.
import type { TaskFinding, TaskResultRequest } from '@omamori/policy';
import type { StepState } from '../db/migration-incidents.ts';
import { EMPTY_ORG, type OrgDetails } from './letter.ts';
import { STEPS, STOLEN_CREDENTIALS, type Lang, type StepHelp, type StepKey } from './steps.ts';
import { latestSweep, requireIncident, type IdbCtx } from './store.ts';

export interface TaskView {
  id: string; agentId: string; hostname: string; kind: string; step: string | null; state: string; createdBy: string;
  createdAt: number; sentAt: number | null; finishedAt: number | null; message: string;
  check?: TaskResultRequest['check']; evidence?: TaskResultRequest['evidence']; isolation?: TaskResultRequest['isolation'];
}
export interface StepView {
  key: StepKey; title: string; what: string; help: StepHelp; state: StepState; note: string;
  requestedBy: string | null; requestedAt: number | null; doneBy: string | null; doneAt: number | null;
}
export interface FileView { id: string; kind: string; name: string; sha256: string; size: number; createdBy: string; createdAt: number; summary: Record<string, string | number> }
export interface CaseView {
  id: string; title: string; status: 'open' | 'closed'; createdBy: string; createdAt: number; closedAt: number | null; closedBy: string | null;
  endpoint: { id: string; hostname: string; platform: string; lastSeen: number } | null;
  event: { id: number; time: number; verdict: string; rule: string; object: string } | null;
  org: OrgDetails; steps: StepView[]; credentials: string[]; tasks: TaskView[];
  sweep: { agentId: string; hostname: string; state: string; verdict: string | null; findings: TaskFinding[]; message: string; finishedAt: number | null }[];
  files: FileView[];
  log: { time: number; actor: string; step: string; action: string; detail: Record<string, unknown> }[];
}

export async function loadCase(x: IdbCtx, id: string, lang: Lang): Promise<CaseView> {
  const inc = await requireIncident(x, id);
  const agent = await x.db.selectFrom('agents').select(['id', 'hostname', 'platform', 'last_seen']).where('id', '=', inc.agent_id).executeTakeFirst();
  const ev = inc.event_id === null ? undefined : await x.db.selectFrom('events').select(['id', 'time', 'verdict', 'rule', 'object']).where('id', '=', Number(inc.event_id)).executeTakeFirst();
  const steps = await x.db.selectFrom('incident_steps').selectAll().where('incident_id', '=', id).execute();
  const tasks = await x.db.selectFrom('agent_tasks').leftJoin('agents', 'agents.id', 'agent_tasks.agent_id')
    .selectAll('agent_tasks').select('agents.hostname').where('incident_id', '=', id).orderBy('agent_tasks.created_at').execute();
  const hostOf = new Map(tasks.map((t) => [t.agent_id, t.hostname ?? t.agent_id]));
  const files = await x.db.selectFrom('incident_files').select(['id', 'kind', 'name', 'sha256', 'size', 'created_by', 'created_at', 'content'])
    .where('incident_id', '=', id).orderBy('created_at').execute();
  const log = await x.db.selectFrom('incident_log').selectAll().where('incident_id', '=', id).orderBy('id').execute();
  const sweep = await latestSweep(x, id);
  const taskView = (t: (typeof tasks)[number]): TaskView => {
    const r = t.result ? JSON.parse(t.result) as Omit<TaskResultRequest, 'status' | 'message'> : {};
    return {
      id: t.id, agentId: t.agent_id, hostname: t.hostname ?? t.agent_id, kind: t.kind, step: t.step, state: t.state, createdBy: t.created_by,
      createdAt: Number(t.created_at), sentAt: t.sent_at === null ? null : Number(t.sent_at), finishedAt: t.finished_at === null ? null : Number(t.finished_at),
      message: t.message, ...r,
    };
  };
  return {
    id: inc.id, title: inc.title, status: inc.status, createdBy: inc.created_by, createdAt: Number(inc.created_at),
    closedAt: inc.closed_at === null ? null : Number(inc.closed_at), closedBy: inc.closed_by,
    endpoint: agent ? { id: agent.id, hostname: agent.hostname, platform: agent.platform, lastSeen: Number(agent.last_seen) } : null,
    event: ev ? { id: Number(ev.id), time: Number(ev.time), verdict: ev.verdict, rule: ev.rule, object: ev.object } : null,
    org: { ...EMPTY_ORG, ...JSON.parse(inc.org) as Partial<OrgDetails> },
    steps: STEPS.map((d) => {
      const s = steps.find((r) => r.step === d.key);
      return {
        key: d.key, title: d.title[lang], what: d.what[lang], help: d.help, state: s?.state ?? 'todo', note: s?.note ?? '',
        requestedBy: s?.requested_by ?? null, requestedAt: s?.requested_at == null ? null : Number(s.requested_at),
        doneBy: s?.done_by ?? null, doneAt: s?.done_at == null ? null : Number(s.done_at),
      };
    }),
    credentials: STOLEN_CREDENTIALS.map((c) => c[lang]),
    tasks: tasks.map(taskView),
    sweep: sweep.map((t) => {
      const v = taskView({ ...t, hostname: hostOf.get(t.agent_id) ?? t.agent_id });
      return { agentId: t.agent_id, hostname: v.hostname, state: t.state, verdict: v.check?.verdict ?? null, findings: v.check?.findings ?? [], message: t.message, finishedAt: v.finishedAt };
    }),
    files: files.map((f) => ({ id: f.id, kind: f.kind, name: f.name, sha256: f.sha256, size: f.size, createdBy: f.created_by, createdAt: Number(f.created_at), summary: replaySummary(f.content) })),
    log: log.map((l) => ({ time: Number(l.time), actor: l.actor, step: l.step, action: l.action, detail: JSON.parse(l.detail) as Record<string, unknown> })),
  };
}

/** The figures of an `omamori replay --format json` report worth showing in the case. */
export function replaySummary(text: string): Record<string, string | number> {
  try {
    const r = JSON.parse(text) as { policy?: unknown; mode?: unknown; stats?: Record<string, unknown>; rules?: { rule?: unknown; count?: unknown }[]; recordings?: unknown[] };
    const out: Record<string, string | number> = {};
    if (typeof r.policy === 'string') out.policy = r.policy;
    if (typeof r.mode === 'string') out.mode = r.mode;
    for (const k of ['decisions', 'blocks', 'trees', 'issues']) if (typeof r.stats?.[k] === 'number') out[k] = r.stats[k] as number;
    if (Array.isArray(r.recordings)) out.recordings = r.recordings.length;
    const top = (r.rules ?? []).filter((x) => typeof x.rule === 'string').slice(0, 5).map((x) => `${String(x.rule)} ×${Number(x.count ?? 0)}`);
    if (top.length) out.topRules = top.join(', ');
    return out;
  } catch { return {}; }
}
