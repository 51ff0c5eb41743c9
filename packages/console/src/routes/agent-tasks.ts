// The agent side of incident tasks: an agent reports the result of a task it ran (POST .../tasks/:id/result). Tasks
// reach agents in the heartbeat answer (routes/agent.ts calls tasksFor). A result is accepted once; a resend is
// answered as a duplicate so an agent retrying after a lost answer does not fail.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AGENT_API_PREFIX, type TaskResultRequest } from '@omamori/policy';
import type { Ctx } from '../context.ts';
import { applyResult, idb } from '../incident/store.ts';

const Str = (max: number) => Type.String({ maxLength: max });
const Finding = Type.Object({
  code: Str(64), severity: Type.Union([Type.Literal('infected'), Type.Literal('review')]), title: Str(1000),
  path: Type.Optional(Str(4096)), detail: Type.Optional(Type.Record(Str(64), Str(4096), { maxProperties: 32 })),
}, { additionalProperties: false });
const ResultBody = Type.Object({
  status: Type.Union([Type.Literal('done'), Type.Literal('failed')]), message: Str(4000),
  check: Type.Optional(Type.Object({
    checker: Str(64), verdict: Type.Union([Type.Literal('clean'), Type.Literal('findings')]), examined: Type.Integer({ minimum: 0 }),
    findings: Type.Array(Finding, { maxItems: 500 }),
  }, { additionalProperties: false })),
  evidence: Type.Optional(Type.Object({
    path: Str(4096), bundleSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), bundleSize: Type.Integer({ minimum: 0 }),
    manifestSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), manifest: Type.Unknown(),
  }, { additionalProperties: false })),
  isolation: Type.Optional(Type.Object({ isolated: Type.Boolean(), since: Str(64), console: Type.Array(Str(128), { maxItems: 32 }) }, { additionalProperties: false })),
}, { additionalProperties: false });
const TaskParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export async function agentTaskRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const x = idb(ctx);
  app.post(`${AGENT_API_PREFIX}/tasks/:id/result`, { config: { access: 'agent' }, bodyLimit: 4 * 1024 * 1024, schema: { params: TaskParams, body: ResultBody } }, async (req) => {
    const r = await applyResult(x, req.agentId!, (req.params as { id: string }).id, req.body as TaskResultRequest);
    return { accepted: !r.duplicate, duplicate: r.duplicate };
  });
}
