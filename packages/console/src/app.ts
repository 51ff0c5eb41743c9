// Builds the console's Fastify app (no listening here: server.ts listens, tests call inject()). Every /api route
// declares who may call it (`config.access`); a route without one is a bug and stops the build. Bodies are checked
// by strict schemas (unknown fields rejected, no coercion), queries with coercion of numbers only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import { verifyAgent } from './agent-auth.ts';
import { BODY_LIMIT, roleAllows, type Access, type Ctx } from './context.ts';
import { ApiFailure, langOf, sendFailure } from './errors.ts';
import type { Store } from './db/open.ts';
import { loadSigningKey } from './secrets.ts';
import { csrfOk, sessionUser } from './sessions.ts';
import { agentRoutes } from './routes/agent.ts';
import { authRoutes } from './routes/auth.ts';
import { eventRoutes } from './routes/events.ts';
import { endpointRoutes } from './routes/endpoints.ts';
import { groupRoutes } from './routes/groups.ts';
import { policyRoutes } from './routes/policies.ts';
import { userRoutes } from './routes/users.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { agentTaskRoutes } from './routes/agent-tasks.ts';
import { trustRoutes } from './routes/trust.ts';

export interface AppOptions {
  store: Store;
  /** Served over TLS: cookies get `Secure`. */
  secure: boolean;
  tlsFingerprint?: string;
  /** Folder of the built web UI; served when it exists. */
  webDir?: string;
  logger?: FastifyServerOptions['logger'];
  now?: () => number;
  heartbeatSeconds?: number;
  limits?: Partial<Ctx['limits']>;
  https?: { cert: string; key: string };
}

export { BODY_LIMIT, EVENTS_BODY_LIMIT } from './context.ts';

function validators() {
  const body = new Ajv({ allErrors: false, removeAdditional: false, coerceTypes: false, useDefaults: true, strict: false });
  const other = new Ajv({ allErrors: false, removeAdditional: false, coerceTypes: 'array', useDefaults: true, strict: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? body : other).compile(schema) as unknown as (data: unknown) => boolean;
}

function validationDetail(err: FastifyError, lang: 'ja' | 'en'): { where: string; detail: string; field?: string } {
  const v = err.validation?.[0];
  const ctxName = err.validationContext ?? 'body';
  const path = v?.instancePath ?? '';
  const params = (v?.params ?? {}) as Record<string, unknown>;
  let field = path.replace(/^\//, '').replace(/\//g, '.');
  let detail = v?.message ?? err.message;
  if (v?.keyword === 'additionalProperties') {
    const extra = String(params.additionalProperty);
    field = field ? `${field}.${extra}` : extra;
    detail = lang === 'ja' ? `不明な項目 '${extra}' です` : `unknown field '${extra}'`;
  } else if (v?.keyword === 'required') {
    const missing = String(params.missingProperty);
    field = field ? `${field}.${missing}` : missing;
    detail = lang === 'ja' ? `必須の項目 '${missing}' がありません` : `missing required field '${missing}'`;
  } else if (lang === 'ja') {
    detail = `値が正しくありません (${detail})`;
  }
  return { where: field ? `${ctxName}.${field}` : ctxName, detail, ...(field ? { field } : {}) };
}

export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; ctx: Ctx }> {
  const ctx: Ctx = {
    db: opts.store.db, dialect: opts.store.dialect, signingKey: await loadSigningKey(opts.store.db),
    now: opts.now ?? Date.now, secureCookies: opts.secure, heartbeatSeconds: opts.heartbeatSeconds ?? 30,
    sessionHours: 12, limits: { loginPerMinute: 10, enrollPerMinute: 30, ...opts.limits },
    ...(opts.tlsFingerprint ? { tlsFingerprint: opts.tlsFingerprint } : {}),
  };
  const app = Fastify({
    logger: opts.logger ?? false, bodyLimit: BODY_LIMIT, trustProxy: false,
    ...(opts.https ? { https: opts.https } : {}),
  } as FastifyServerOptions);
  app.setValidatorCompiler(validators());

  // Keep the raw JSON text: agent signatures cover the exact bytes.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    if (text.length === 0) { done(null, undefined); return; }
    try { done(null, JSON.parse(text)); } catch (e) {
      done(new ApiFailure('BAD_JSON', { detail: (e as Error).message }) as unknown as Error, undefined);
    }
  });

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api')) return;
    const access = (route.config as { access?: Access } | undefined)?.access;
    if (!access) throw new Error(`route ${route.method} ${route.url} declares no access`);
  });

  app.addHook('preValidation', async (req) => {
    const access = req.routeOptions.config.access;
    if (!access || access === 'public') return;
    if (access === 'agent') { req.agentId = (await verifyAgent(ctx, req)).id; return; }
    const s = await sessionUser(ctx, req);
    if (!s) throw new ApiFailure('UNAUTHENTICATED');
    if (!roleAllows(s.user.role, access)) throw new ApiFailure('FORBIDDEN', { role: s.user.role, need: access });
    if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfOk(req, s.csrf)) throw new ApiFailure('CSRF');
    req.user = s.user;
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiFailure) return sendFailure(req, reply, err);
    const lang = langOf(req);
    if (err.validation) {
      const d = validationDetail(err, lang);
      return sendFailure(req, reply, new ApiFailure('VALIDATION', { where: d.where, detail: d.detail }, d.field ? { field: d.field } : {}));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFailure(req, reply, new ApiFailure('TOO_LARGE', { limit: req.routeOptions.bodyLimit ?? BODY_LIMIT }));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendFailure(req, reply, new ApiFailure('UNSUPPORTED'));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message } });
    }
    req.log.error({ err: { message: err.message, stack: err.stack } }, 'request failed');
    return sendFailure(req, reply, new ApiFailure('INTERNAL'));
  });

  await authRoutes(app, ctx);
  await agentRoutes(app, ctx);
  await userRoutes(app, ctx);
  await groupRoutes(app, ctx);
  await policyRoutes(app, ctx);
  await endpointRoutes(app, ctx);
  await eventRoutes(app, ctx);
  await incidentRoutes(app, ctx);
  await agentTaskRoutes(app, ctx);
  await trustRoutes(app, ctx);

  const web = opts.webDir;
  if (web && existsSync(join(web, 'index.html'))) {
    await app.register(fastifyStatic, { root: web, wildcard: false });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api')) return reply.sendFile('index.html');
      return sendFailure(req, reply, new ApiFailure('NOT_FOUND', { what: req.url.split('?')[0]! }));
    });
  } else {
    app.setNotFoundHandler((req, reply) => sendFailure(req, reply, new ApiFailure('NOT_FOUND', { what: req.url.split('?')[0]! })));
  }
  return { app, ctx };
}
