// Trust from an event for its group, with a preview of what the entry would have allowed, and the switch of a group
// to enforce after a preview of what enforce would block (issue 12). Thin: schemas here, work in trust-service.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.ts';
import { confirmEnforce, enforcePreview, trustForGroup, trustOptions } from '../trust-service.ts';
import { IdParams, query } from './schemas.ts';

const EventIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const DAY = 86_400_000;

export async function trustRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/events/:id/trust-options', { config: { access: 'viewer' }, schema: { params: EventIdParams } }, async (req) => {
    return trustOptions(ctx, (req.params as { id: number }).id);
  });

  app.post('/api/groups/:id/trust', {
    config: { access: 'operator' },
    schema: {
      params: IdParams,
      body: Type.Object({
        eventId: Type.Integer({ minimum: 1 }),
        kind: Type.Union([Type.Literal('hash'), Type.Literal('publisher'), Type.Literal('folder')]),
      }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const b = req.body as { eventId: number; kind: 'hash' | 'publisher' | 'folder' };
    return reply.code(201).send(await trustForGroup(ctx, req.user!, (req.params as { id: string }).id, b.eventId, b.kind));
  });

  app.get('/api/groups/:id/enforce-preview', {
    config: { access: 'viewer' },
    schema: { params: IdParams, querystring: query({ days: Type.Integer({ minimum: 1, maximum: 365, default: 30 }) }) },
  }, async (req) => {
    const { days } = req.query as { days: number };
    return enforcePreview(ctx, (req.params as { id: string }).id, ctx.now() - days * DAY);
  });

  app.post('/api/groups/:id/enforce', {
    config: { access: 'operator' },
    schema: {
      params: IdParams,
      body: Type.Object({ seen: Type.Integer({ minimum: 0 }), days: Type.Integer({ minimum: 1, maximum: 365, default: 30 }) }, { additionalProperties: false }),
    },
  }, async (req) => {
    const b = req.body as { seen: number; days: number };
    return confirmEnforce(ctx, req.user!, (req.params as { id: string }).id, b.seen, ctx.now() - b.days * DAY);
  });
}
