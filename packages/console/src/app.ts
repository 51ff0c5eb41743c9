// Builds the console's Fastify app (no listening here: server.ts listens, tests call inject()). Every /api route
// declares who may call it (`config.access`); a route without one is a bug and stops the build. Who the caller is
// is settled from the headers BEFORE the body is read (onRequest), so strangers can only send small bodies. Bodies
// of user routes are checked by strict schemas (unknown fields rejected, no coercion, no NUL), agent bodies by the
// protocol checks shared with the agent; queries with coercion of numbers only. Every answer carries the security
// headers (security-headers.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import { PROTOCOL_LIMITS, textProblem } from '@omamori/policy';
import { verifyAgentBody, verifyAgentHeaders } from './agent-auth.ts';
import { createAlertDispatcher, type AlertTransports } from './alerts/dispatcher.ts';
import { BODY_LIMIT, DEFAULT_LIMITS, roleAllows, type Access, type Ctx, type Limits } from './context.ts';
import { ApiFailure, langOf, sendFailure } from './errors.ts';
import type { Store } from './db/open.ts';
import { readJsonBody } from './http-body.ts';
import { startRetention } from './retention.ts';
import { loadSigningKey } from './secrets.ts';
import { securityHeaders } from './security-headers.ts';
import { clearCookies, csrfOk, lookupSession } from './sessions.ts';
import { createAgentWake } from './wake.ts';
import { validationDetail } from './validation-text.ts';
import { agentRoutes } from './routes/agent.ts';
import { authRoutes } from './routes/auth.ts';
import { accountRoutes } from './routes/account.ts';
import { eventRoutes } from './routes/events.ts';
import { exportRoutes } from './routes/export.ts';
import { endpointRoutes } from './routes/endpoints.ts';
import { groupRoutes } from './routes/groups.ts';
import { policyRoutes } from './routes/policies.ts';
import { userRoutes } from './routes/users.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { agentTaskRoutes } from './routes/agent-tasks.ts';
import { settingsRoutes } from './routes/settings.ts';
import type { TlsController } from './tls-rotation.ts';
import { trustRoutes } from './routes/trust.ts';

export interface AppOptions {
  store: Store;
  /** Served over TLS: cookies get `Secure`, answers HSTS. */
  secure: boolean;
  tlsFingerprint?: string;
  /** Switches the served certificate (TLS rotation); absent without TLS or in tests of other things. */
  tls?: TlsController;
  /** Folder of the built web UI; served when it exists. */
  webDir?: string;
  logger?: FastifyServerOptions['logger'];
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  heartbeatSeconds?: number;
  idleMinutes?: number;
  limits?: Partial<Limits>;
  https?: { cert: string; key: string };
  /** Alert transports (tests may count what would be sent); default: the real webhook, syslog and SMTP clients. */
  alertTransports?: AlertTransports;
  /** Run the retention sweep every this many ms (default hourly; 0: only on demand). */
  retentionEveryMs?: number;
}

export { BODY_LIMIT } from './context.ts';

function validators() {
  const body = new Ajv({ allErrors: false, removeAdditional: false, coerceTypes: false, useDefaults: true, strict: false });
  const other = new Ajv({ allErrors: false, removeAdditional: false, coerceTypes: 'array', useDefaults: true, strict: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? body : other).compile(schema) as unknown as (data: unknown) => boolean;
}

/** The first string (value or key) in a parsed body that neither store keeps byte for byte (NUL, broken UTF-16). */
function textIn(v: unknown, path: string, depth = 0): { path: string; message: string } | undefined {
  if (typeof v === 'string') { const p = textProblem(v, path); return p ? { path, message: p.message } : undefined; }
  if (v === null || typeof v !== 'object' || depth > PROTOCOL_LIMITS.jsonDepth) return undefined;
  for (const [k, x] of Object.entries(v)) {
    const here = path ? `${path}.${k}` : k;
    const p = textProblem(k, here) ?? undefined;
    if (p) return { path: here, message: p.message };
    const inner = textIn(x, here, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; ctx: Ctx }> {
  const now = opts.now ?? Date.now;
  const ctx: Ctx = {
    db: opts.store.db, dialect: opts.store.dialect, keys: opts.store.keys, signingKey: await loadSigningKey(opts.store.keys),
    now, sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    secureCookies: opts.secure, heartbeatSeconds: opts.heartbeatSeconds ?? 30,
    sessionHours: 12, idleMinutes: opts.idleMinutes ?? 30, limits: { ...DEFAULT_LIMITS, ...opts.limits },
    alerts: undefined as unknown as Ctx['alerts'], wake: createAgentWake(opts.store.db),
    ...(opts.tlsFingerprint ? { tlsFingerprint: opts.tlsFingerprint } : {}),
  };
  ctx.alerts = createAlertDispatcher(ctx, opts.alertTransports);
  const app = Fastify({
    logger: opts.logger ?? false, bodyLimit: BODY_LIMIT, trustProxy: false,
    ...(opts.https ? { https: opts.https } : {}),
  } as FastifyServerOptions);
  app.setValidatorCompiler(validators());

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (req: FastifyRequest, payload: NodeJS.ReadableStream) =>
    readJsonBody(req, payload, req.bodyMax ?? Math.min(req.routeOptions.bodyLimit ?? BODY_LIMIT, PROTOCOL_LIMITS.unverifiedBodyBytes)));

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api')) return;
    const access = (route.config as { access?: Access } | undefined)?.access;
    if (!access) throw new Error(`route ${route.method} ${route.url} declares no access`);
  });

  // Who is calling, from the headers alone: nothing of the body is read before this has passed.
  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access;
    const routeLimit = req.routeOptions.bodyLimit ?? BODY_LIMIT;
    if (!access) { req.bodyMax = Math.min(routeLimit, PROTOCOL_LIMITS.unverifiedBodyBytes); return; }
    if (access === 'public') { req.bodyMax = Math.min(routeLimit, PROTOCOL_LIMITS.unverifiedBodyBytes); return; }
    try {
      if (access === 'agent') { await verifyAgentHeaders(ctx, req, routeLimit); return; }
      const s = await lookupSession(ctx, req);
      if (!('user' in s)) {
        if (s.ended === 'idle') clearCookies(ctx, reply);
        throw new ApiFailure('UNAUTHENTICATED', {}, s.ended === 'none' ? {} : { reason: s.ended });
      }
      if (!roleAllows(s.user.role, access)) throw new ApiFailure('FORBIDDEN', { role: s.user.role, need: access });
      if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfOk(req, s.csrf)) throw new ApiFailure('CSRF');
      req.user = s.user;
      req.bodyMax = routeLimit;
    } catch (e) {
      // The body is never read: close the connection rather than drain it.
      reply.header('connection', 'close');
      throw e;
    }
  });

  app.addHook('preValidation', async (req) => {
    const access = req.routeOptions.config?.access;
    if (access === 'agent') { await verifyAgentBody(ctx, req); return; }
    if (req.body !== undefined) {
      const bad = textIn(req.body, '');
      if (bad) throw new ApiFailure('VALIDATION', { where: `body.${bad.path}`, detail: bad.message }, { field: bad.path });
    }
  });

  securityHeaders(app, { hsts: opts.secure });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiFailure) return sendFailure(req, reply, err);
    const lang = langOf(req);
    if (err.validation) {
      const d = validationDetail(err, lang);
      return sendFailure(req, reply, new ApiFailure('VALIDATION', { where: d.where, detail: d.detail }, d.field ? { field: d.field } : {}));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFailure(req, reply, new ApiFailure('TOO_LARGE', { limit: req.bodyMax ?? BODY_LIMIT }));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendFailure(req, reply, new ApiFailure('UNSUPPORTED'));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message } });
    }
    req.log.error({ err: { message: err.message, stack: err.stack } }, 'request failed');
    return sendFailure(req, reply, new ApiFailure('INTERNAL'));
  });

  await authRoutes(app, ctx);
  await accountRoutes(app, ctx);
  await agentRoutes(app, ctx);
  await userRoutes(app, ctx);
  await groupRoutes(app, ctx);
  await policyRoutes(app, ctx);
  await endpointRoutes(app, ctx, opts.tls);
  await eventRoutes(app, ctx);
  await exportRoutes(app, ctx);
  await incidentRoutes(app, ctx);
  await agentTaskRoutes(app, ctx);
  await settingsRoutes(app, ctx, opts.tls);
  await trustRoutes(app, ctx);

  const retention = startRetention(ctx, opts.retentionEveryMs ?? 3600_000);
  app.addHook('preClose', async () => { ctx.wake.close(); retention.stop(); });
  app.addHook('onClose', async () => { await ctx.alerts.close(); });

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
