// The agent API (/api/agent/v1): enrollment with a group token, then signed heartbeat, policy download, event upload,
// the wake-up long-poll and key rotation. Bodies are checked with the protocol checks the agent shares
// (@omamori/policy protocol-check.ts); event upload is per event (ingest.ts). Host names are stored neutralised and
// a rename is in the audit log under the agent, never under a user of the same name.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  AGENT_API_PREFIX, checkEnroll, checkEventBatchShape, checkHeartbeat, checkKeyRotation, comparePolicyOrder, keyRotationPayload,
  PROTOCOL_LIMITS, type EnrollRequest, type EnrollResponse, type HeartbeatRequest, type HeartbeatResponse, type ProtocolProblem,
} from '@omamori/policy';
import { parsePublicKey, verifyWith } from '../agent-auth.ts';
import { audit, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { ingestBatch } from '../ingest.ts';
import { currentPolicy } from '../policy-delivery.ts';
import { countAttempt, takeQuota } from '../rate-limit.ts';
import { newId, sha256Hex } from '../secrets.ts';
import { neutralize } from '../text.ts';
import { tlsAnnouncementFor } from '../tls-rotation.ts';
import { idb, tasksFor } from '../incident/store.ts';

function refuse(p: ProtocolProblem | undefined): void {
  if (p) throw new ApiFailure('VALIDATION', { where: p.path ? `body.${p.path}` : 'body', detail: p.message }, { field: p.path });
}

export async function agentRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.post(`${AGENT_API_PREFIX}/enroll`, { config: { access: 'public' }, bodyLimit: 16 * 1024 }, async (req, reply) => {
    refuse(checkEnroll(req.body));
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
    const hostname = neutralize(b.hostname);
    await ctx.db.insertInto('agents').values({
      id: agentId, group_id: token.group_id, hostname, platform: b.platform, public_key: b.publicKey,
      enrolled_at: now, last_seen: now, state: 'enrolled', agent_version: neutralize(b.agentVersion), reported_version: 0, mode: null,
      spooled: 0, issued_version: 0, issued_hash: '', issued_key: '', issued_policy: null, issued_epoch: 0, reported_epoch: 0,
      revoked_at: null, revoked_by: null, prev_public_key: null, rotate_key: 0, host_facts: null, tls_pins: null,
    }).execute();
    await audit(ctx, { kind: 'agent', id: agentId, hostname }, 'agent.enroll', `agent:${agentId}`, { group: token.group_id, tokenId: token.id, ip: req.ip });
    ctx.wake.changed();
    const res: EnrollResponse = { agentId, groupId: token.group_id, consoleKey: ctx.signingKey.publicKey, heartbeatSeconds: ctx.heartbeatSeconds };
    return reply.code(201).send(res);
  });

  app.post(`${AGENT_API_PREFIX}/heartbeat`, { config: { access: 'agent' }, bodyLimit: 64 * 1024 }, async (req) => {
    refuse(checkHeartbeat(req.body));
    const b = req.body as HeartbeatRequest;
    const now = ctx.now();
    const before = await ctx.db.selectFrom('agents').select(['hostname']).where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    const hostname = b.hostname ? neutralize(b.hostname) : undefined;
    await ctx.db.updateTable('agents').set({
      last_seen: now, state: b.state, agent_version: neutralize(b.agentVersion), reported_version: b.policyVersion,
      reported_epoch: b.policyEpoch ?? 0, mode: b.mode ? neutralize(b.mode) : null, spooled: b.spooled,
      ...(hostname ? { hostname } : {}),
      ...(b.host ? { host_facts: JSON.stringify(b.host) } : {}), ...(b.tlsPins ? { tls_pins: JSON.stringify(b.tlsPins) } : {}),
    }).where('id', '=', req.agentId!).execute();
    if (hostname && hostname !== before.hostname) {
      await audit(ctx, { kind: 'agent', id: req.agentId!, hostname: before.hostname }, 'agent.rename', `agent:${req.agentId!}`, { from: before.hostname, to: hostname });
    }
    const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    const res: HeartbeatResponse = { serverTime: now };
    const pol = await currentPolicy(ctx, agent, { reissue: b.policyMissing === true });
    // Older agents report no epoch: their version alone is compared.
    if (!('missing' in pol) && comparePolicyOrder(pol.envelope, { epoch: b.policyEpoch ?? pol.envelope.epoch ?? 0, version: b.policyVersion }) !== 0) res.policy = pol;
    const tls = await tlsAnnouncementFor(ctx, b.tlsPins);
    if (tls) res.tlsNext = tls;
    if (agent.rotate_key) res.rotateKey = true;
    const t = await tasksFor(idb(ctx), agent.id);
    if (t.cancelled.length) res.cancelled = t.cancelled;
    return t.tasks.length ? { ...res, tasks: t.tasks } : res;
  });

  app.get(`${AGENT_API_PREFIX}/policy`, { config: { access: 'agent' } }, async (req) => {
    const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    const pol = await currentPolicy(ctx, agent);
    if ('missing' in pol) throw new ApiFailure('NO_POLICY', { detail: pol.missing });
    return pol;
  });

  app.post(`${AGENT_API_PREFIX}/events`, { config: { access: 'agent' }, bodyLimit: PROTOCOL_LIMITS.batchBytes }, async (req) => {
    refuse(checkEventBatchShape(req.body));
    const b = req.body as { events: unknown[]; quarantined?: unknown[] };
    const agent = await ctx.db.selectFrom('agents').innerJoin('groups', 'groups.id', 'agents.group_id')
      .select(['agents.hostname', 'groups.upload_per_hour']).where('agents.id', '=', req.agentId!).executeTakeFirst();
    if (b.events.length) await takeQuota(ctx, `upload:${req.agentId!}`, b.events.length, agent?.upload_per_hour ?? ctx.limits.uploadPerHour);
    const r = await ingestBatch(ctx, req.agentId!, b.events, b.quarantined ?? []);
    const blocks = r.fresh.filter((e) => e.verdict === 'deny');
    if (blocks.length) ctx.alerts.notify({ kind: 'block', agentId: req.agentId!, hostname: agent?.hostname ?? req.agentId!, events: blocks });
    const { fresh: _f, ...answer } = r;
    return answer;
  });

  // Long-poll: answers when something changed for agents (or after ~25 s); the agent then heartbeats at once.
  app.get(`${AGENT_API_PREFIX}/wait`, {
    config: { access: 'agent' },
    schema: { querystring: Type.Object({ since: Type.String({ maxLength: 64, default: '' }), ms: Type.Integer({ minimum: 0, maximum: 55_000, default: 25_000 }) }, { additionalProperties: false }) },
  }, async (req) => {
    const q = req.query as { since: string; ms: number };
    return { mark: await ctx.wake.wait(q.since, q.ms) };
  });

  // Key rotation, signed with the current key and proven with the new one. The old key stays valid until the agent
  // signs with the new key (so a crash between the console's answer and the agent's save locks nothing out).
  app.post(`${AGENT_API_PREFIX}/rotate-key`, { config: { access: 'agent' }, bodyLimit: 16 * 1024 }, async (req) => {
    refuse(checkKeyRotation(req.body));
    const b = req.body as { publicKey: string; proof: string };
    if (!parsePublicKey(b.publicKey)) throw new ApiFailure('VALIDATION', { where: 'body.publicKey', detail: 'not an Ed25519 SPKI key in base64' }, { field: 'publicKey' });
    if (!verifyWith(b.publicKey, keyRotationPayload(req.agentId!, b.publicKey), b.proof)) throw new ApiFailure('AGENT_AUTH', { detail: 'the proof does not verify with the new key' });
    const agent = await ctx.db.selectFrom('agents').select(['public_key', 'hostname']).where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    if (agent.public_key !== b.publicKey) {
      await ctx.db.updateTable('agents').set({ prev_public_key: agent.public_key, public_key: b.publicKey, rotate_key: 0 }).where('id', '=', req.agentId!).execute();
      await audit(ctx, { kind: 'agent', id: req.agentId!, hostname: agent.hostname }, 'agent.key-rotated', `agent:${req.agentId!}`, { key: sha256Hex(b.publicKey).slice(0, 16) });
    }
    return { ok: true };
  });
}
