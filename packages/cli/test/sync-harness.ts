// A real console (startConsole: SQLite in a temp dir, a free port, TLS or plain) with a signed-in admin, for tests of
// the real agent sync client against it. Everything started here is closed by `close()`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { startConsole, type RunningConsole } from '@omamori/console';

export const PASSWORD = 'correct horse battery';

export interface Harness {
  c: RunningConsole; dir: string; url: string; fingerprint?: string;
  admin(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>;
  token(groupId?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(opts: { tls?: boolean; heartbeatSeconds?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-sync-it-'));
  const c = await startConsole({ dataDir: join(dir, 'console'), listen: '127.0.0.1:0', tls: opts.tls ? 'generate' : 'off', logger: false, heartbeatSeconds: opts.heartbeatSeconds ?? 30 });
  const setup = await c.app.inject({ method: 'POST', url: '/api/setup', payload: { token: c.setupToken!, username: 'admin', password: PASSWORD } });
  if (setup.statusCode !== 201) throw new Error(`setup: ${setup.body}`);
  const cookie = ([] as string[]).concat(setup.headers['set-cookie'] ?? []).map((x) => x.split(';')[0]).join('; ');
  const csrf = (setup.json() as { csrf: string }).csrf;
  const admin = (method: string, url: string, body?: unknown) => c.app.inject({ method: method as 'GET', url, headers: { cookie, 'x-csrf-token': csrf }, ...(body !== undefined ? { payload: body as object } : {}) });
  return {
    c, dir, url: c.url, ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}), admin,
    async token(groupId = 'default') {
      const r = await admin('POST', `/api/groups/${groupId}/tokens`, { uses: 5, hours: 1 });
      return (r.json() as { token: string }).token;
    },
    async close() { await c.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export async function waitUntil<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
