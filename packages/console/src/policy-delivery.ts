// The policy an endpoint runs: its group's preset or custom policy, the group's rollout (audit forces audit mode),
// plus the endpoint's unexpired time-boxed exceptions; signed with the console's key, with an (epoch, version) that
// only goes up per endpoint. A change of any input (new policy version, assignment, rollout, an exception created or
// expired) yields a new signed version on the endpoint's next heartbeat.
// Recovery after a database restore: the agent reports the (epoch, version) it runs; when that is above what this
// database issued, the next version is issued above the agent's, so agents never refuse the console's policies. A
// new console-wide epoch (`omamori console --new-epoch`) makes every endpoint take a fresh version 1. An agent that
// lost every copy of its policy (`policyMissing` in its heartbeat) gets a new version above the one it reports.
import { canonicalJson, comparePolicyOrder, findPreset, loadPolicy, policySigningPayload, PROTOCOL_LIMITS, SYNC_PROTOCOL_VERSION, type PolicyDocument, type PolicyEnvelope, type SignedPolicy } from '@omamori/policy';
import type { Ctx } from './context.ts';
import type { AgentRow, ExceptionsTable } from './db/schema.ts';
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
export async function effectivePolicy(ctx: Ctx, agent: Pick<AgentRow, 'id' | 'group_id'>, exceptions: ExceptionsTable[]):
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

/** The marker of the last change of any policy input (bumped by `policyInputsChanged`). */
async function inputsMarker(ctx: Ctx): Promise<string> {
  const row = await ctx.db.selectFrom('settings').select('value').where('key', '=', 'policy_epoch').executeTakeFirst();
  return row?.value ?? '0';
}

/** The console-wide issuing epoch (ms), made at the first start. */
export async function issuingEpoch(ctx: Ctx): Promise<number> {
  const row = await ctx.db.selectFrom('settings').select('value').where('key', '=', 'issuing_epoch').executeTakeFirst();
  if (row) return Number(row.value);
  const value = String(ctx.now());
  await ctx.db.insertInto('settings').values({ key: 'issuing_epoch', value }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return issuingEpoch(ctx);
}

/** Starts a new issuing epoch (after restoring the database from a backup): above the old one and the clock. */
export async function newIssuingEpoch(ctx: Ctx): Promise<number> {
  const value = String(Math.max(ctx.now(), (await issuingEpoch(ctx)) + 1));
  await ctx.db.insertInto('settings').values({ key: 'issuing_epoch', value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  return Number(value);
}

/**
 * The signed policy this agent should run now; issues (and records) a new version when the inputs changed.
 * Concurrent consoles: the version bump is a compare-and-set on `issued_version`; the loser re-reads the winner's.
 */
export async function currentPolicy(ctx: Ctx, agent: AgentRow, opts: { reissue?: boolean } = {}): Promise<SignedPolicy | { missing: string }> {
  const now = ctx.now();
  const exceptions = await activeExceptions(ctx, agent.id, now);
  const consoleEpoch = await issuingEpoch(ctx);
  const issued = { epoch: Number(agent.issued_epoch), version: agent.issued_version };
  // An agent that does not report its epoch (older agents) is taken to run the epoch it was last given.
  const reported = { epoch: Number(agent.reported_epoch) || Number(agent.issued_epoch), version: agent.reported_version };
  // The agent runs a newer policy than this database knows it was given (the database was restored from a backup).
  const behind = comparePolicyOrder(reported, issued) > 0 || (opts.reissue === true && comparePolicyOrder(reported, issued) >= 0);
  const key = `${consoleEpoch}|${await inputsMarker(ctx)}|${agent.group_id}|${exceptions.map((e) => e.id).join(',')}`;
  if (!behind && key === agent.issued_key && agent.issued_policy) return JSON.parse(agent.issued_policy) as SignedPolicy;
  const eff = await effectivePolicy(ctx, agent, exceptions);
  if ('missing' in eff) return eff;
  const hash = sha256Hex(canonicalJson({ doc: eff.doc, source: eff.source, epoch: consoleEpoch }));
  if (!behind && hash === agent.issued_hash && agent.issued_policy) {
    await ctx.db.updateTable('agents').set({ issued_key: key }).where('id', '=', agent.id)
      .where('issued_version', '=', agent.issued_version).execute();
    return JSON.parse(agent.issued_policy) as SignedPolicy;
  }
  const base = behind ? reported : issued;
  // An endpoint whose epoch is above the console's (a restore to before --new-epoch) keeps its own epoch. Versions
  // keep rising across epochs (the policy text's `version` never goes backwards on the endpoint); only at the end of
  // the 32-bit range does a new epoch start again at 1.
  let epoch = Math.max(consoleEpoch, base.epoch);
  let version = base.version + 1;
  if (version >= PROTOCOL_LIMITS.int32Max) { epoch = Math.max(now, epoch + 1); version = 1; }
  const envelope: PolicyEnvelope = {
    protocol: SYNC_PROTOCOL_VERSION, target: { kind: 'agent', id: agent.id }, epoch, version, issuedAt: now, source: eff.source,
    policy: JSON.stringify({ ...eff.doc, version }, null, 1), exceptions: exceptions.map((e) => e.id),
  };
  const expiries = exceptions.map((e) => Number(e.expires_at));
  if (expiries.length) envelope.nextExpiry = Math.min(...expiries);
  const signed: SignedPolicy = { envelope, signature: ctx.signingKey.sign(policySigningPayload(envelope)) };
  const res = await ctx.db.updateTable('agents')
    .set({ issued_epoch: epoch, issued_version: version, issued_hash: hash, issued_key: key, issued_policy: JSON.stringify(signed) })
    .where('id', '=', agent.id).where('issued_version', '=', agent.issued_version).where('issued_epoch', '=', agent.issued_epoch).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const again = await ctx.db.selectFrom('agents').select('issued_policy').where('id', '=', agent.id).executeTakeFirst();
    if (again?.issued_policy) return JSON.parse(again.issued_policy) as SignedPolicy;
  }
  return signed;
}
