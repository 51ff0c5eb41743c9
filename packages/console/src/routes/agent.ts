// The agent API (/api/agent/v1): enrollment with a group token, then signed heartbeat, policy download and event
// upload. Event upload is idempotent: (agent, key) is unique, a resent batch is counted as duplicates.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AGENT_API_PREFIX, type EnrollRequest, type EnrollResponse, type EventBatchRequest, type HeartbeatRequest,
  type HeartbeatResponse,
} from '@omamori/policy';
import { parsePublicKey } from '../agent-auth.ts';
import type { Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { currentPolicy } from '../policy-delivery.ts';
import { countAttempt } from '../rate-limit.ts';
import { newId, sha256Hex } from '../secrets.ts';
import { idb, tasksFor } from '../incident/store.ts';
import { EVENTS_BODY_LIMIT } from '../context.ts';

const Str = (max: number) => Type.String({ maxLength: max });

const EnrollBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 200 }),
  publicKey: Type.String({ minLength: 40, maxLength: 200 }),
  hostname: Type.String({ minLength: 1, maxLength: 253 }),
  platform: Type.Union([Type.Literal('linux'), Type.Literal('windows')]),
  agentVersion: Str(64),
}, { additionalProperties: false });

const HeartbeatBody = Type.Object({
  state: Type.Union([Type.Literal('protecting'), Type.Literal('sync-only'), Type.Literal('degraded')]),
  agentVersion: Str(64),
  policyVersion: Type.Integer({ minimum: 0 }),
  mode: Type.Optional(Str(32)),
  spooled: Type.Integer({ minimum: 0 }),
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  detail: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 512 }), Type.Number(), Type.Boolean()]), { maxProperties: 64 })),
}, { additionalProperties: false });

const LineageEntry = Type.Object({ pid: Type.Integer(), image: Str(4096), guarded: Type.Optional(Str(128)) }, { additionalProperties: false });
const UploadedEvent = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 128 }),
  time: Type.Integer({ minimum: 0 }),
  verdict: Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('audit-deny')]),
  reason: Str(64), rule: Str(128), policyVersion: Str(64), kind: Str(64), pid: Type.Integer(),
  object: Str(4096), guarded: Type.Optional(Str(128)),
  lineage: Type.Array(LineageEntry, { maxItems: 256 }),
  detail: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 64 })),
}, { additionalProperties: false });
const EventsBody = Type.Object({ events: Type.Array(UploadedEvent, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

export async function agentRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.post(`${AGENT_API_PREFIX}/enroll`, { config: { access: 'public' }, schema: { body: EnrollBody } }, async (req, reply) => {
    const b = req.body as EnrollRequest;
    await countAttempt(ctx, `enroll:${req.ip}`, ctx.limits.enrollPerMinute);
    if (!parsePublicKey(b.publicKey)) throw new ApiFailure('VALIDATION', { where: 'body.publicKey', detail: 'not an Ed25519 SPKI key in base64' }, { field: 'publicKey' });
    const now = ctx.now();
    const hash = sha256Hex(b.token);
    // Take one use atomically; several consoles may race on the last use.
    const took = await ctx.db.updateTable('enrollment_tokens').set((eb) => ({ uses_left: eb('uses_left', '-', 1) }))
      .where('token_hash', '=', hash).where('uses_left', '>', 0).where('expires_at', '>', now).executeTakeFirst();
    if (Number(took.numUpdatedRows) !== 1) throw new ApiFailure('TOKEN_INVALID');
    const token = await ctx.db.selectFrom('enrollment_tokens').select(['group_id', 'id']).where('token_hash', '=', hash).executeTakeFirstOrThrow();
    const agentId = newId();
    await ctx.db.insertInto('agents').values({
      id: agentId, group_id: token.group_id, hostname: b.hostname, platform: b.platform, public_key: b.publicKey,
      enrolled_at: now, last_seen: now, state: 'enrolled', agent_version: b.agentVersion, reported_version: 0, mode: null,
      spooled: 0, issued_version: 0, issued_hash: '', issued_key: '', issued_policy: null,
    }).execute();
    await ctx.db.insertInto('audit').values({ time: now, user_id: `agent:${agentId}`, username: b.hostname, action: 'agent.enroll', target: `agent:${agentId}`, detail: JSON.stringify({ group: token.group_id, tokenId: token.id }) }).execute();
    const res: EnrollResponse = { agentId, groupId: token.group_id, consoleKey: ctx.signingKey.publicKey, heartbeatSeconds: ctx.heartbeatSeconds };
    return reply.code(201).send(res);
  });

  app.post(`${AGENT_API_PREFIX}/heartbeat`, { config: { access: 'agent' }, schema: { body: HeartbeatBody } }, async (req) => {
    const b = req.body as HeartbeatRequest;
    const now = ctx.now();
    await ctx.db.updateTable('agents').set({
      last_seen: now, state: b.state, agent_version: b.agentVersion, reported_version: b.policyVersion,
      mode: b.mode ?? null, spooled: b.spooled, ...(b.hostname ? { hostname: b.hostname } : {}),
    }).where('id', '=', req.agentId!).execute();
    const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    const res: HeartbeatResponse = { serverTime: now };
    const pol = await currentPolicy(ctx, agent);
    if (!('missing' in pol) && pol.envelope.version !== b.policyVersion) res.policy = pol;
    const tasks = await tasksFor(idb(ctx), agent.id);
    return tasks.length ? { ...res, tasks } : res;
  });

  app.get(`${AGENT_API_PREFIX}/policy`, { config: { access: 'agent' } }, async (req) => {
    const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    const pol = await currentPolicy(ctx, agent);
    if ('missing' in pol) throw new ApiFailure('NO_POLICY', { detail: pol.missing });
    return pol;
  });

  app.post(`${AGENT_API_PREFIX}/events`, { config: { access: 'agent' }, bodyLimit: EVENTS_BODY_LIMIT, schema: { body: EventsBody } }, async (req) => {
    const { events } = req.body as EventBatchRequest;
    const now = ctx.now();
    const rows = events.map((e) => ({
      agent_id: req.agentId!, key: e.key, time: e.time, received_at: now, verdict: e.verdict, reason: e.reason, rule: e.rule,
      kind: e.kind, app: e.guarded ?? baseName(e.object), object: e.object, guarded: e.guarded ?? null,
      policy_version: e.policyVersion, pid: e.pid, lineage: JSON.stringify(e.lineage), detail: e.detail ? JSON.stringify(e.detail) : null,
    }));
    const res = await ctx.db.insertInto('events').values(rows).onConflict((oc) => oc.columns(['agent_id', 'key']).doNothing()).executeTakeFirst();
    const accepted = Number(res.numInsertedOrUpdatedRows ?? 0n);
    return { accepted, duplicates: events.length - accepted };
  });
}
