// Reading a JSON body with a limit decided per request before any byte is read (small until the caller is known;
// see agent-auth.ts and app.ts), refusing by Content-Length alone when it is over, and refusing nesting deeper than
// PROTOCOL_LIMITS.jsonDepth before JSON.parse runs. The raw text is kept: agent signatures cover the exact bytes.
import type { FastifyRequest } from 'fastify';
import { jsonDepth, PROTOCOL_LIMITS } from '@omamori/policy';
import { ApiFailure } from './errors.ts';

export function readJsonBody(req: FastifyRequest, payload: NodeJS.ReadableStream, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) { reject(new ApiFailure('TOO_LARGE', { limit })); return; }
    const chunks: Buffer[] = [];
    let size = 0; let done = false;
    const fail = (e: ApiFailure) => { if (done) return; done = true; payload.removeAllListeners('data'); reject(e); };
    payload.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { fail(new ApiFailure('TOO_LARGE', { limit })); return; }
      chunks.push(c);
    });
    payload.on('error', (e: Error) => fail(new ApiFailure('BAD_JSON', { detail: e.message })));
    payload.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      req.rawBody = text;
      if (text.length === 0) { resolve(undefined); return; }
      const depth = jsonDepth(text);
      if (depth > PROTOCOL_LIMITS.jsonDepth) { reject(new ApiFailure('BAD_JSON', { detail: `nested deeper than ${PROTOCOL_LIMITS.jsonDepth} levels` })); return; }
      try { resolve(JSON.parse(text)); } catch (e) { reject(new ApiFailure('BAD_JSON', { detail: (e as Error).message })); }
    });
  });
}
