// Security headers on every answer: a Content-Security-Policy without inline script (the UI is one bundled module;
// nothing is loaded from elsewhere), no framing (frame-ancestors and X-Frame-Options), no MIME sniffing, no referrer,
// and HSTS when served over TLS. The downloadable HTML report carries its own, stricter policy (routes/incidents.ts).
import type { FastifyInstance } from 'fastify';

export const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(app: FastifyInstance, opts: { hsts: boolean }): void {
  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (opts.hsts) reply.header('strict-transport-security', 'max-age=31536000');
  });
}
