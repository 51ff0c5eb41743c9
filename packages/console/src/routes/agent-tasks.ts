// The agent side of incident tasks: an agent reports the result of a task it ran (POST .../tasks/:id/result), the
// body checked by the protocol check the agent shares. Tasks reach agents in the heartbeat answer (routes/agent.ts
// calls tasksFor). A result is accepted once; a resend is answered as a duplicate so an agent retrying after a lost
// answer does not fail. A result for a task cancelled or expired meanwhile is recorded nowhere and answered as a
// duplicate too.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AGENT_API_PREFIX, checkTaskResult, type TaskResultRequest } from '@omamori/policy';
import type { Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { applyResult, idb } from '../incident/store.ts';

const TaskParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export async function agentTaskRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const x = idb(ctx);
  app.post(`${AGENT_API_PREFIX}/tasks/:id/result`, { config: { access: 'agent' }, bodyLimit: 4 * 1024 * 1024, schema: { params: TaskParams } }, async (req) => {
    const p = checkTaskResult(req.body);
    if (p) throw new ApiFailure('VALIDATION', { where: p.path ? `body.${p.path}` : 'body', detail: p.message }, { field: p.path });
    const r = await applyResult(x, req.agentId!, (req.params as { id: string }).id, req.body as TaskResultRequest);
    return { accepted: !r.duplicate, duplicate: r.duplicate };
  });
}
