// Learning from a group's log in the console: from one logged refusal, the trust entries that would allow the
// program (its hash, its publisher, an admin-owned folder on Windows) with how many of the group's logged refusals
// each would have allowed; writing the chosen entry into the group's policy (a new version, or a copy for the group
// when the policy is a preset or shared); and what enforce would block, from the group's audit log.
import {
  applySuggestions, entryAllows, loadPolicy, normalizeWindowsPath, PATH_SETS, platformOf, PlatformPathSet, type PolicyDocument,
  type SuggestEvent, type TrustEntry,
} from '@omamori/policy';
import { audit, bumpPolicyEpoch, type Ctx, type User } from './context.ts';
import type { EventsTable } from './db/schema.ts';
import { ApiFailure } from './errors.ts';
import { resolvePolicyRef } from './policy-delivery.ts';
import { newId } from './secrets.ts';

/** How many of a group's latest refusals a preview looks at (bounded work per request). */
export const PREVIEW_LIMIT = 20_000;

type EventRow = Pick<EventsTable, 'object' | 'reason' | 'kind' | 'verdict' | 'time' | 'detail' | 'agent_id' | 'rule'> & { id: number };

const LIFTABLE = new Set(['USER_SPACE_EXEC', 'USER_SPACE_LIBRARY', 'USER_SPACE_SCRIPT', 'LOCKDOWN_UNTRUSTED', 'PERSIST_USER_SPACE_CODE']);

function detailOf(r: { detail: string | null }): Record<string, unknown> {
  if (!r.detail) return {};
  try { const d = JSON.parse(r.detail) as unknown; return typeof d === 'object' && d !== null ? d as Record<string, unknown> : {}; } catch { return {}; }
}

function toSuggest(r: EventRow): SuggestEvent & { agent: string } {
  const d = detailOf(r);
  const e: SuggestEvent & { agent: string } = { object: r.object, reason: r.reason, kind: r.kind, verdict: r.verdict, time: Number(r.time), id: String(r.id), agent: r.agent_id };
  if (typeof d.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(d.sha256)) e.sha256 = d.sha256.toLowerCase();
  if (typeof d.signer === 'string' && d.signer) e.signer = d.signer;
  return e;
}

export async function loadGroup(ctx: Ctx, id: string) {
  const g = await ctx.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) throw new ApiFailure('NOT_FOUND', { what: `group ${id}` });
  return g;
}

async function groupPolicy(ctx: Ctx, ref: string): Promise<{ text: string; doc: PolicyDocument }> {
  const src = await resolvePolicyRef(ctx, ref);
  if ('missing' in src) throw new ApiFailure('NO_POLICY', { detail: src.missing });
  const doc = loadPolicy(src.text).policy;
  if (!doc) throw new ApiFailure('NO_POLICY', { detail: `${src.source} does not validate` });
  return { text: src.text, doc };
}

/** The group's latest refusals (newest first, at most PREVIEW_LIMIT), optionally of one verdict and since a time. */
async function groupRefusals(ctx: Ctx, groupId: string, opts: { verdict?: string; since?: number } = {}): Promise<EventRow[]> {
  let q = ctx.db.selectFrom('events').innerJoin('agents', 'agents.id', 'events.agent_id')
    .select(['events.id', 'events.object', 'events.reason', 'events.rule', 'events.kind', 'events.verdict', 'events.time', 'events.detail', 'events.agent_id'])
    .where('agents.group_id', '=', groupId).where('events.verdict', '!=', 'allow');
  if (opts.verdict) q = q.where('events.verdict', '=', opts.verdict);
  if (opts.since !== undefined) q = q.where('events.time', '>=', opts.since);
  const rows = await q.orderBy('events.id', 'desc').limit(PREVIEW_LIMIT).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export type TrustKind = 'hash' | 'publisher' | 'folder';

export interface TrustOption {
  kind: TrustKind;
  available: boolean;
  /** Why the option cannot be used for this event (stable code; the UI words it). */
  why?: 'no-hash' | 'no-signer' | 'not-windows' | 'lockdown' | 'user-space-pattern' | 'not-launch-control';
  entry?: TrustEntry;
  /** Of the group's logged refusals: how many this entry would have allowed, of how many programs and endpoints. */
  preview?: { events: number; programs: number; endpoints: number };
}

function folderOf(path: string): string {
  const i = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return i > 0 ? path.slice(0, i) : path;
}

/** The entry of `kind` for this event, or why there is none. */
function entryFor(kind: TrustKind, e: SuggestEvent, doc: PolicyDocument): { entry: TrustEntry } | { why: NonNullable<TrustOption['why']> } {
  if (!LIFTABLE.has(e.reason)) return { why: 'not-launch-control' };
  switch (kind) {
    case 'hash': return e.sha256 ? { entry: { kind: 'hash', sha256: e.sha256, note: e.object } } : { why: 'no-hash' };
    case 'publisher': return e.signer ? { entry: { kind: 'publisher', signer: e.signer } } : { why: 'no-signer' };
    case 'folder': {
      if (platformOf(e.object) !== 'windows') return { why: 'not-windows' };
      if (doc.mode === 'lockdown' || e.reason === 'LOCKDOWN_UNTRUSTED') return { why: 'lockdown' };
      const pattern = `${folderOf(e.object)}\\**`;
      // A folder the policy's user-space patterns cover stays user space whatever its owner.
      const userSpace = new PlatformPathSet(doc.userSpace.paths.flatMap((x) => (x.startsWith('@') ? PATH_SETS[x.slice(1)] ?? [] : [x])));
      if (userSpace.matches(normalizeWindowsPath(e.object), 'windows')) return { why: 'user-space-pattern' };
      return { entry: { kind: 'folder', pattern } };
    }
  }
}

function preview(entry: TrustEntry, events: (SuggestEvent & { agent: string })[]) {
  const hit = events.filter((x) => entryAllows(entry, x));
  return {
    events: hit.length,
    programs: new Set(hit.map((x) => x.object.toLowerCase())).size,
    endpoints: new Set(hit.map((x) => x.agent)).size,
  };
}

async function eventAndGroup(ctx: Ctx, eventId: number) {
  const ev = await ctx.db.selectFrom('events').innerJoin('agents', 'agents.id', 'events.agent_id')
    .select(['events.id', 'events.object', 'events.reason', 'events.rule', 'events.kind', 'events.verdict', 'events.time', 'events.detail', 'events.agent_id', 'agents.group_id', 'agents.hostname'])
    .where('events.id', '=', eventId).executeTakeFirst();
  if (!ev) throw new ApiFailure('NOT_FOUND', { what: `event ${eventId}` });
  return { ev: { ...ev, id: Number(ev.id) }, group: await loadGroup(ctx, ev.group_id) };
}

/** The trust options for one logged event, each with its preview over the group's log. */
export async function trustOptions(ctx: Ctx, eventId: number) {
  const { ev, group } = await eventAndGroup(ctx, eventId);
  const { doc } = await groupPolicy(ctx, group.policy_ref);
  const e = toSuggest(ev);
  const log = (await groupRefusals(ctx, group.id)).map(toSuggest);
  const options: TrustOption[] = (['hash', 'publisher', 'folder'] as const).map((kind) => {
    const r = entryFor(kind, e, doc);
    if ('why' in r) return { kind, available: false, why: r.why };
    return { kind, available: true, entry: r.entry, preview: preview(r.entry, log) };
  });
  return {
    event: { id: ev.id, object: ev.object, reason: ev.reason, rule: ev.rule, kind: ev.kind, verdict: ev.verdict, time: Number(ev.time), hostname: ev.hostname, endpointId: ev.agent_id },
    group: { id: group.id, name: group.name, policyRef: group.policy_ref, rollout: group.rollout },
    logged: log.length,
    options,
  };
}

/** Writes the entry of `kind` from event `eventId` into its group's policy; returns where it went. */
export async function trustForGroup(ctx: Ctx, user: User, groupId: string, eventId: number, kind: TrustKind) {
  const { ev, group } = await eventAndGroup(ctx, eventId);
  if (group.id !== groupId) throw new ApiFailure('VALIDATION', { where: 'body.eventId', detail: `event ${eventId} is from another group (${group.name})` }, { field: 'eventId' });
  const { text, doc } = await groupPolicy(ctx, group.policy_ref);
  const r = entryFor(kind, toSuggest(ev), doc);
  if ('why' in r) throw new ApiFailure('VALIDATION', { where: 'body.kind', detail: `${kind} cannot be trusted for this event (${r.why})` }, { field: 'kind' });
  const newText = applySuggestions(text, [r.entry], `trusted for group ${group.name} from event #${eventId} by ${user.username}`);
  const loaded = loadPolicy(newText, { now: ctx.now() });
  if (!loaded.policy) {
    const problems = loaded.problems.map((p) => ({ severity: p.severity, code: p.code, line: p.line, column: p.column, path: p.path.join('.') }));
    throw new ApiFailure('POLICY_INVALID', { count: problems.filter((p) => p.severity === 'error').length }, { problems });
  }
  const allowed = preview(r.entry, (await groupRefusals(ctx, group.id)).map(toSuggest));
  const now = ctx.now();
  const comment = `trust ${kind} from event #${eventId}`;
  let policyRef = group.policy_ref;
  let version: number;
  const shared = group.policy_ref.startsWith('policy:')
    ? (await ctx.db.selectFrom('groups').select('id').where('policy_ref', '=', group.policy_ref).execute()).length > 1 : true;
  if (!shared) {
    // The group's own policy: a new version, taken with a compare-and-set like any other save.
    const id = group.policy_ref.slice(7);
    const p = await ctx.db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    version = p.latest_version + 1;
    await ctx.db.transaction().execute(async (tx) => {
      const up = await tx.updateTable('policies').set({ latest_version: version }).where('id', '=', id).where('latest_version', '=', p.latest_version).executeTakeFirst();
      if (Number(up.numUpdatedRows) !== 1) throw new ApiFailure('CONFLICT', { detail: 'the policy changed meanwhile; reload and retry' });
      await tx.insertInto('policy_versions').values({ policy_id: id, version, text: newText, comment, created_by: user.username, created_at: now }).execute();
    });
  } else {
    // A preset, or a policy other groups use too: the group gets its own copy with the entry.
    const id = newId();
    let name = `${group.name} (trusted)`;
    for (let n = 2; await ctx.db.selectFrom('policies').select('id').where('name', '=', name).executeTakeFirst(); n++) name = `${group.name} (trusted ${n})`;
    version = 1;
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('policies').values({ id, name, latest_version: 1, created_at: now }).execute();
      await tx.insertInto('policy_versions').values({ policy_id: id, version: 1, text: newText, comment: `${comment} (copy of ${group.policy_ref} for group ${group.name})`, created_by: user.username, created_at: now }).execute();
      await tx.updateTable('groups').set({ policy_ref: `policy:${id}` }).where('id', '=', group.id).execute();
    });
    policyRef = `policy:${id}`;
  }
  await bumpPolicyEpoch(ctx);
  await audit(ctx, user, 'group.trust', `group:${group.id}`, { event: eventId, entry: r.entry, before: group.policy_ref, policyRef, version, allowed });
  return { groupId: group.id, policyRef, version, entry: r.entry, allowed };
}

/** Whether the policy's own trust (publishers, hashes, Windows system folders) now allows a logged refusal. */
function trustedBy(doc: PolicyDocument): (e: SuggestEvent) => boolean {
  const entries: TrustEntry[] = [
    ...doc.trust.publishers.filter((p) => (p.launch ?? 'normal') === 'normal').map((p): TrustEntry => ({ kind: 'publisher', signer: p.signer })),
    ...doc.trust.hashes.map((h): TrustEntry => ({ kind: 'hash', sha256: h.sha256.toLowerCase(), note: '' })),
  ];
  const userSpace = new PlatformPathSet(doc.userSpace.paths.flatMap((x) => (x.startsWith('@') ? PATH_SETS[x.slice(1)] ?? [] : [x])));
  const systemFolders = new PlatformPathSet(doc.userSpace.systemFolders);
  return (e) => {
    if (entries.some((t) => entryAllows(t, e))) return true;
    if (doc.mode === 'lockdown' || !e.reason.startsWith('USER_SPACE_') || platformOf(e.object) !== 'windows') return false;
    const norm = normalizeWindowsPath(e.object);
    return systemFolders.matches(norm, 'windows') && !userSpace.matches(norm, 'windows');
  };
}

/** What enforce would block: the group's audit log (would-block events) since `since`, grouped by program and rule. */
export async function enforcePreview(ctx: Ctx, groupId: string, since: number) {
  const group = await loadGroup(ctx, groupId);
  const { doc } = await groupPolicy(ctx, group.policy_ref);
  const all = await groupRefusals(ctx, group.id, { verdict: 'audit-deny', since });
  // What the group's policy trusts by now (entries added after the events were logged) would not be blocked.
  const trusted = trustedBy(doc);
  const rows = all.filter((r) => !trusted(toSuggest(r)));
  const items = new Map<string, { rule: string; reason: string; object: string; count: number; endpoints: Set<string>; last: number }>();
  for (const r of rows) {
    const k = `${r.rule}\u0000${r.object.toLowerCase()}`;
    let it = items.get(k);
    if (!it) { it = { rule: r.rule, reason: r.reason, object: r.object, count: 0, endpoints: new Set(), last: 0 }; items.set(k, it); }
    it.count++; it.endpoints.add(r.agent_id); it.last = Math.max(it.last, Number(r.time));
  }
  const list = [...items.values()].sort((a, b) => b.count - a.count || b.last - a.last);
  const agents = await ctx.db.selectFrom('agents').select((eb) => eb.fn.countAll<number>().as('n')).where('group_id', '=', group.id).executeTakeFirst();
  return {
    group: { id: group.id, name: group.name, policyRef: group.policy_ref, rollout: group.rollout },
    /** The policy's own mode: an `audit` policy blocks nothing even in enforce rollout. */
    policyMode: doc.mode,
    since,
    truncated: all.length >= PREVIEW_LIMIT,
    totals: {
      events: rows.length, programs: list.length, endpoints: new Set(rows.map((r) => r.agent_id)).size, groupEndpoints: Number(agents?.n ?? 0),
      alreadyTrusted: all.length - rows.length,
    },
    items: list.slice(0, 200).map((x) => ({ rule: x.rule, reason: x.reason, object: x.object, count: x.count, endpoints: x.endpoints.size, last: x.last })),
    more: Math.max(0, list.length - 200),
  };
}

/**
 * Switches the group to enforce after the user saw the preview: `seen` is the number of would-block events shown;
 * if more were logged since, the switch is refused so the user reviews again.
 */
export async function confirmEnforce(ctx: Ctx, user: User, groupId: string, seen: number, since: number) {
  const p = await enforcePreview(ctx, groupId, since);
  if (p.totals.events > seen) {
    throw new ApiFailure('CONFLICT', { detail: `${p.totals.events - seen} more would-block event(s) were logged since the preview; review it again` });
  }
  if (p.group.rollout !== 'enforce') {
    await ctx.db.updateTable('groups').set({ rollout: 'enforce' }).where('id', '=', groupId).execute();
    await bumpPolicyEpoch(ctx);
  }
  await audit(ctx, user, 'group.enforce', `group:${groupId}`, { before: p.group.rollout, preview: p.totals, since });
  return { id: groupId, rollout: 'enforce' as const, preview: p.totals };
}
