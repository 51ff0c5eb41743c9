// Presets and custom policies: validated by the one loader (loadPolicy; problems with line, column, code and a
// message in the caller's language), versioned (every save is a new version), with history and diff.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatMessage, loadPolicy, PRESETS } from '@omamori/policy';
import { audit, policyInputsChanged, type Ctx } from '../context.ts';
import { diffLines } from '../diff.ts';
import { ApiFailure, langOf } from '../errors.ts';
import { newId } from '../secrets.ts';
import { typeNameJa } from '../validation-text.ts';
import { IdParams, query } from './schemas.ts';

const Text = Type.String({ minLength: 1, maxLength: 256 * 1024 });
const Comment = Type.String({ maxLength: 500, default: '' });
const Name = Type.String({ minLength: 1, maxLength: 100 });

/** Validates; throws POLICY_INVALID with every problem, or returns the warnings. */
function validate(req: FastifyRequest, ctx: Ctx, text: string) {
  const lang = langOf(req);
  const r = loadPolicy(text, { now: ctx.now() });
  // The validator quotes type words (`integer`) in its Japanese messages too: named in Japanese here.
  const params = (p: Record<string, string | number>) => lang === 'ja' && typeof p.expected === 'string' ? { ...p, expected: typeNameJa(p.expected) } : p;
  const problems = r.problems.map((p) => ({
    severity: p.severity, code: p.code, line: p.line, column: p.column, path: p.path.join('.'), message: formatMessage(p.code, params(p.params), lang),
  }));
  if (!r.policy) throw new ApiFailure('POLICY_INVALID', { count: problems.filter((p) => p.severity === 'error').length }, { problems });
  return { policy: r.policy, warnings: problems };
}

export async function policyRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/presets', { config: { access: 'viewer' } }, async (req) => {
    const lang = langOf(req);
    return { presets: PRESETS.map((p) => ({ name: p.name, ref: `preset:${p.name}`, summary: p.summary[lang], text: p.text })) };
  });

  app.post('/api/policies/validate', { config: { access: 'viewer' }, schema: { body: Type.Object({ text: Text }, { additionalProperties: false }) } }, async (req) => {
    const { warnings, policy } = validate(req, ctx, (req.body as { text: string }).text);
    return { ok: true, name: policy.name, mode: policy.mode, warnings };
  });

  app.get('/api/policies', { config: { access: 'viewer' } }, async () => {
    const rows = await ctx.db.selectFrom('policies').selectAll().orderBy('name').execute();
    return { policies: rows.map((r) => ({ id: r.id, name: r.name, ref: `policy:${r.id}`, latestVersion: r.latest_version, createdAt: Number(r.created_at) })) };
  });

  app.post('/api/policies', {
    config: { access: 'operator' },
    schema: { body: Type.Object({ name: Name, text: Text, comment: Comment }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const b = req.body as { name: string; text: string; comment: string };
    const { warnings } = validate(req, ctx, b.text);
    const dup = await ctx.db.selectFrom('policies').select('id').where('name', '=', b.name).executeTakeFirst();
    if (dup) throw new ApiFailure('CONFLICT', { detail: `policy ${b.name} exists` });
    const id = newId(); const now = ctx.now();
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('policies').values({ id, name: b.name, latest_version: 1, created_at: now }).execute();
      await tx.insertInto('policy_versions').values({ policy_id: id, version: 1, text: b.text, comment: b.comment, created_by: req.user!.username, created_at: now }).execute();
    });
    await audit(ctx, req.user!, 'policy.create', `policy:${id}`, { name: b.name, version: 1 });
    return reply.code(201).send({ id, name: b.name, ref: `policy:${id}`, version: 1, warnings });
  });

  app.get('/api/policies/:id', { config: { access: 'viewer' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const p = await ctx.db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
    if (!p) throw new ApiFailure('NOT_FOUND', { what: `policy ${id}` });
    const versions = await ctx.db.selectFrom('policy_versions').select(['version', 'comment', 'created_by', 'created_at']).where('policy_id', '=', id).orderBy('version', 'desc').execute();
    const latest = await ctx.db.selectFrom('policy_versions').select('text').where('policy_id', '=', id).where('version', '=', p.latest_version).executeTakeFirstOrThrow();
    const groups = await ctx.db.selectFrom('groups').select(['id', 'name']).where('policy_ref', '=', `policy:${id}`).execute();
    return {
      id, name: p.name, ref: `policy:${id}`, latestVersion: p.latest_version, text: latest.text, groups,
      versions: versions.map((v) => ({ version: v.version, comment: v.comment, createdBy: v.created_by, createdAt: Number(v.created_at) })),
    };
  });

  app.put('/api/policies/:id', {
    config: { access: 'operator' },
    schema: { params: IdParams, body: Type.Object({ text: Text, comment: Comment }, { additionalProperties: false }) },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const b = req.body as { text: string; comment: string };
    const { warnings } = validate(req, ctx, b.text);
    const p = await ctx.db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
    if (!p) throw new ApiFailure('NOT_FOUND', { what: `policy ${id}` });
    // The version is taken with a compare-and-set so two editors (or two consoles) never write the same number.
    const version = p.latest_version + 1;
    await ctx.db.transaction().execute(async (tx) => {
      const up = await tx.updateTable('policies').set({ latest_version: version }).where('id', '=', id).where('latest_version', '=', p.latest_version).executeTakeFirst();
      if (Number(up.numUpdatedRows) !== 1) throw new ApiFailure('CONFLICT', { detail: 'the policy changed meanwhile; reload and retry' });
      await tx.insertInto('policy_versions').values({ policy_id: id, version, text: b.text, comment: b.comment, created_by: req.user!.username, created_at: ctx.now() }).execute();
    });
    await policyInputsChanged(ctx);
    await audit(ctx, req.user!, 'policy.update', `policy:${id}`, { version, comment: b.comment });
    return { id, version, warnings };
  });

  app.get('/api/policies/:id/versions/:version', {
    config: { access: 'viewer' },
    schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }), version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) },
  }, async (req) => {
    const { id, version } = req.params as { id: string; version: number };
    const v = await ctx.db.selectFrom('policy_versions').selectAll().where('policy_id', '=', id).where('version', '=', version).executeTakeFirst();
    if (!v) throw new ApiFailure('NOT_FOUND', { what: `policy ${id} version ${version}` });
    return { id, version, text: v.text, comment: v.comment, createdBy: v.created_by, createdAt: Number(v.created_at) };
  });

  app.get('/api/policies/:id/diff', {
    config: { access: 'viewer' },
    schema: { params: IdParams, querystring: query({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }) },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as { from: number; to: number };
    const rows = await ctx.db.selectFrom('policy_versions').select(['version', 'text']).where('policy_id', '=', id).where('version', 'in', [q.from, q.to]).execute();
    const a = rows.find((r) => r.version === q.from); const b = rows.find((r) => r.version === q.to);
    if (!a || !b) throw new ApiFailure('NOT_FOUND', { what: `policy ${id} version ${!a ? q.from : q.to}` });
    return { id, from: q.from, to: q.to, lines: diffLines(a.text, b.text) };
  });
}
