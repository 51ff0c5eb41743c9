// Console settings (admin only): alerts (configure, test, status), the policy epoch (after restoring the database
// from a backup), TLS certificate rotation (prepare the next certificate, see which endpoints pin it, activate it),
// and running the retention sweep now. Every change is in the audit log.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AlertConfigSchema, redact, type AlertConfig } from '../alerts/config.ts';
import { audit, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { issuingEpoch, newIssuingEpoch } from '../policy-delivery.ts';
import { runRetention } from '../retention.ts';
import { certFingerprint, generateSelfSigned } from '../tls.ts';
import { readNext, storeNext, type TlsController } from '../tls-rotation.ts';

const norm = (f: string) => f.replace(/[^0-9a-f]/gi, '').toUpperCase();

export async function settingsRoutes(app: FastifyInstance, ctx: Ctx, tls?: TlsController): Promise<void> {
  app.get('/api/settings', { config: { access: 'admin' } }, async () => ({
    limits: ctx.limits, idleMinutes: ctx.idleMinutes, sessionHours: ctx.sessionHours, heartbeatSeconds: ctx.heartbeatSeconds,
    epoch: await issuingEpoch(ctx), keys: ctx.keys.describe, tls: tls ? { fingerprint: tls.fingerprint(), stored: tls.stored } : null,
  }));

  app.get('/api/settings/alerts', { config: { access: 'admin' } }, async () => ({ config: redact(await ctx.alerts.config()), status: ctx.alerts.status() }));

  app.put('/api/settings/alerts', { config: { access: 'admin' }, schema: { body: AlertConfigSchema } }, async (req) => {
    const next = req.body as AlertConfig;
    const old = await ctx.alerts.config();
    // Secrets not sent again are kept (the page never shows them).
    if (next.webhook && next.webhook.secret === undefined && old.webhook?.secret && old.webhook.url === next.webhook.url) next.webhook.secret = old.webhook.secret;
    if (next.email && next.email.password === undefined && old.email?.password && old.email.username === next.email.username) next.email.password = old.email.password;
    await ctx.alerts.save(next);
    await audit(ctx, req.user!, 'alerts.update', 'settings:alerts', { channels: (['webhook', 'syslog', 'email'] as const).filter((c) => next[c]), onBlock: next.onBlock, onIncident: next.onIncident, perMinute: next.perMinute });
    return { config: redact(next) };
  });

  app.post('/api/settings/alerts/test', { config: { access: 'admin' } }, async (req) => {
    const results = await ctx.alerts.test(req.user!.username);
    await audit(ctx, req.user!, 'alerts.test', 'settings:alerts', { results: results.map((r) => `${r.channel}:${r.ok ? 'ok' : 'failed'}`) });
    return { results };
  });

  app.post('/api/settings/epoch', { config: { access: 'admin' } }, async (req) => {
    const before = await issuingEpoch(ctx);
    const epoch = await newIssuingEpoch(ctx);
    ctx.wake.changed();
    await audit(ctx, req.user!, 'policy.epoch', 'settings:epoch', { before, after: epoch });
    return { epoch };
  });

  app.post('/api/settings/retention/run', { config: { access: 'admin' } }, async (req) => {
    const r = await runRetention(ctx);
    await audit(ctx, req.user!, 'retention.run', 'settings:retention', { events: r.events, quarantined: r.quarantined });
    return r;
  });

  app.get('/api/settings/tls', { config: { access: 'admin' } }, async () => {
    const next = await readNext(ctx);
    const agents = await ctx.db.selectFrom('agents').select(['tls_pins']).where('revoked_at', 'is', null).execute();
    const have = next ? agents.filter((a) => (JSON.parse(a.tls_pins ?? '[]') as string[]).some((p) => norm(p) === norm(next.fingerprint))).length : 0;
    return { current: tls?.fingerprint() ?? null, stored: tls?.stored ?? false, next: next ? { fingerprint: next.fingerprint, announcedAt: next.announcedAt, canActivate: !!next.key } : null, endpoints: agents.length, endpointsWithNext: have };
  });

  app.post('/api/settings/tls/next', {
    config: { access: 'admin' },
    schema: { body: Type.Object({
      generate: Type.Optional(Type.Literal(true)),
      cert: Type.Optional(Type.String({ maxLength: 20_000, pattern: '-----BEGIN CERTIFICATE-----' })),
      key: Type.Optional(Type.String({ maxLength: 20_000, pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----' })),
      hostnames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$' }), { maxItems: 20 })),
    }, { additionalProperties: false }) },
  }, async (req) => {
    if (!tls) throw new ApiFailure('CONFLICT', { detail: 'this console is not served over TLS' });
    const b = req.body as { generate?: true; cert?: string; key?: string; hostnames?: string[] };
    if (!!b.generate === !!b.cert) throw new ApiFailure('VALIDATION', { where: 'body', detail: 'give either generate: true or cert (with key to activate it here)' });
    let m: { cert: string; key?: string };
    if (b.generate) m = generateSelfSigned(b.hostnames ?? []);
    else {
      try { certFingerprint(b.cert!); } catch (e) { throw new ApiFailure('VALIDATION', { where: 'body.cert', detail: `not a certificate: ${(e as Error).message}` }, { field: 'cert' }); }
      m = { cert: b.cert!, ...(b.key ? { key: b.key } : {}) };
    }
    const fingerprint = await storeNext(ctx, m);
    await audit(ctx, req.user!, 'tls.next', 'settings:tls', { fingerprint });
    return { fingerprint };
  });

  app.post('/api/settings/tls/activate', { config: { access: 'admin' } }, async (req) => {
    if (!tls) throw new ApiFailure('CONFLICT', { detail: 'this console is not served over TLS' });
    const next = await readNext(ctx);
    if (!next) throw new ApiFailure('CONFLICT', { detail: 'prepare the next certificate first' });
    if (!next.key) throw new ApiFailure('CONFLICT', { detail: 'the next certificate came without its key: replace the --tls-cert/--tls-key files and restart the console' });
    const before = tls.fingerprint();
    tls.switchTo({ cert: next.cert, key: next.key });
    if (tls.stored) await ctx.keys.replace('tls', JSON.stringify({ cert: next.cert, key: next.key }));
    await ctx.keys.replace('tls-next', undefined);
    ctx.tlsFingerprint = next.fingerprint;
    await audit(ctx, req.user!, 'tls.activate', 'settings:tls', { before, after: next.fingerprint });
    return { fingerprint: next.fingerprint };
  });
}
