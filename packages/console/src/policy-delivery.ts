// The policy an endpoint runs: its group's preset or custom policy, the group's rollout (audit forces audit mode),
// plus the endpoint's unexpired time-boxed exceptions; signed with the console's key, with a version that only goes
// up per endpoint. A change of any input (new policy version, assignment, rollout, an exception created or expired)
// yields a new signed version on the endpoint's next heartbeat.
import { canonicalJson, findPreset, loadPolicy, policySigningPayload, SYNC_PROTOCOL_VERSION, type PolicyDocument, type PolicyEnvelope, type SignedPolicy } from '@omamori/policy';
import type { Ctx } from './context.ts';
import type { AgentsTable, ExceptionsTable } from './db/schema.ts';
import { sha256Hex } from './secrets.ts';

export interface PolicySource { text: string; source: string }

/** The text a group's `policy_ref` names, or a reason why there is none. */
export async function resolvePolicyRef(ctx: Ctx, ref: string): Promise<PolicySource | { missing: string }> {
  if (ref.startsWith('preset:')) {
    const p = findPreset(ref.slice(7));
    return p ? { text: p.text, source: ref } : { missing: `unknown preset ${ref.slice(7)}` };
  }
  if (ref.startsWith('policy:')) {
    const id = ref.slice(7);
    const row = await ctx.db.selectFrom('policies').innerJoin('policy_versions', (j) => j.onRef('policy_versions.policy_id', '=', 'policies.id')
      .onRef('policy_versions.version', '=', 'policies.latest_version'))
      .select(['policy_versions.text', 'policy_versions.version']).where('policies.id', '=', id).executeTakeFirst();
    return row ? { text: row.text, source: `policy:${id}@${row.version}` } : { missing: `unknown policy ${id}` };
  }
  return { missing: `bad reference ${ref}` };
}

export async function activeExceptions(ctx: Ctx, agentId: string, now: number): Promise<ExceptionsTable[]> {
  return ctx.db.selectFrom('exceptions').selectAll().where('agent_id', '=', agentId).where('expires_at', '>', now)
    .orderBy('id').execute();
}

/** Builds the effective document (its `version` is set when signing). */
export async function effectivePolicy(ctx: Ctx, agent: Pick<AgentsTable, 'id' | 'group_id'>, exceptions: ExceptionsTable[]):
  Promise<{ doc: PolicyDocument; source: string } | { missing: string }> {
  const group = await ctx.db.selectFrom('groups').selectAll().where('id', '=', agent.group_id).executeTakeFirst();
  if (!group) return { missing: 'the endpoint has no group' };
  const src = await resolvePolicyRef(ctx, group.policy_ref);
  if ('missing' in src) return src;
  const loaded = loadCached(src.text);
  if (!loaded) return { missing: `${src.source} does not validate` };
  const doc = structuredClone(loaded);
  if (group.rollout === 'audit') doc.mode = 'audit';
  for (const x of exceptions) {
    const e: PolicyDocument['trust']['exceptions'][number] = { id: `console-${x.id}`, expires: new Date(Number(x.expires_at)).toISOString(), note: x.note };
    if (x.path) e.path = x.path;
    if (x.sha256) e.sha256 = x.sha256;
    doc.trust.exceptions.push(e);
  }
  return { doc, source: `${src.source} group:${group.id} rollout:${group.rollout}` };
}

// loadPolicy results by text hash: a pure function of immutable input, so a cache (not state). Bounded.
const loadedCache = new Map<string, PolicyDocument | undefined>();
function loadCached(text: string): PolicyDocument | undefined {
  const k = sha256Hex(text);
  if (!loadedCache.has(k)) {
    if (loadedCache.size > 256) loadedCache.clear();
    loadedCache.set(k, loadPolicy(text).policy);
  }
  return loadedCache.get(k);
}

async function epoch(ctx: Ctx): Promise<string> {
  const row = await ctx.db.selectFrom('settings').select('value').where('key', '=', 'policy_epoch').executeTakeFirst();
  return row?.value ?? '0';
}

/**
 * The signed policy this agent should run now; issues (and records) a new version when the inputs changed.
 * Concurrent consoles: the version bump is a compare-and-set on `issued_version`; the loser re-reads the winner's.
 */
export async function currentPolicy(ctx: Ctx, agent: AgentsTable): Promise<SignedPolicy | { missing: string }> {
  const now = ctx.now();
  const exceptions = await activeExceptions(ctx, agent.id, now);
  const key = `${await epoch(ctx)}|${agent.group_id}|${exceptions.map((e) => e.id).join(',')}`;
  if (key === agent.issued_key && agent.issued_policy) return JSON.parse(agent.issued_policy) as SignedPolicy;
  const eff = await effectivePolicy(ctx, agent, exceptions);
  if ('missing' in eff) return eff;
  const hash = sha256Hex(canonicalJson({ doc: eff.doc, source: eff.source }));
  if (hash === agent.issued_hash && agent.issued_policy) {
    await ctx.db.updateTable('agents').set({ issued_key: key }).where('id', '=', agent.id)
      .where('issued_version', '=', agent.issued_version).execute();
    return JSON.parse(agent.issued_policy) as SignedPolicy;
  }
  const version = agent.issued_version + 1;
  const envelope: PolicyEnvelope = {
    protocol: SYNC_PROTOCOL_VERSION, target: { kind: 'agent', id: agent.id }, version, issuedAt: now, source: eff.source,
    policy: JSON.stringify({ ...eff.doc, version }, null, 1), exceptions: exceptions.map((e) => e.id),
  };
  const expiries = exceptions.map((e) => Number(e.expires_at));
  if (expiries.length) envelope.nextExpiry = Math.min(...expiries);
  const signed: SignedPolicy = { envelope, signature: ctx.signingKey.sign(policySigningPayload(envelope)) };
  const res = await ctx.db.updateTable('agents')
    .set({ issued_version: version, issued_hash: hash, issued_key: key, issued_policy: JSON.stringify(signed) })
    .where('id', '=', agent.id).where('issued_version', '=', agent.issued_version).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const again = await ctx.db.selectFrom('agents').select('issued_policy').where('id', '=', agent.id).executeTakeFirst();
    if (again?.issued_policy) return JSON.parse(again.issued_policy) as SignedPolicy;
  }
  return signed;
}
