// A console for browser tests of the web UI: the real app (SQLite in a temp dir, the built web UI, every security
// header) listening on a free 127.0.0.1 port, with a clock the test can move (idle sessions), the first admin made,
// signed test agents (the console may not import the agent) to feed events, host facts and quarantined events, and a
// Chromium page that records every Content-Security-Policy violation. Everything is closed by the test's `after`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildApp, openStore, prepareSetup, type Ctx, type Store } from '../../src/index.ts';
import { enrollTestAgent, PASSWORD, type TestAgent, type TestConsole } from '../helpers.ts';
import { ensureWebBuilt, WEB_DIST } from './procs.ts';

export interface WebConsole {
  url: string; ctx: Ctx; store: Store;
  now(): number; shift(ms: number): void;
  agent(hostname: string, groupId?: string): Promise<TestAgent>;
  /** A signed-in API session of the first admin (cookie + CSRF), for seeding. */
  admin: TestConsole['admin'];
  close(): Promise<void>;
}

export { PASSWORD };

export async function startWebConsole(opts: { idleMinutes?: number } = {}): Promise<WebConsole> {
  ensureWebBuilt();
  let offset = 0;
  const now = () => Date.now() + offset;
  const dir = mkdtempSync(join(tmpdir(), 'omamori-web-'));
  const store = await openStore(`sqlite:${join(dir, 'console.db')}`);
  const { app, ctx } = await buildApp({
    store, secure: false, webDir: WEB_DIST, now, idleMinutes: opts.idleMinutes ?? 30, retentionEveryMs: 0, sleep: async () => {},
    limits: { loginPerMinute: 1000, enrollPerMinute: 1000 },
  });
  const token = await prepareSetup(ctx);
  const res = await app.inject({ method: 'POST', url: '/api/setup', payload: { token, username: 'admin', password: PASSWORD } });
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.body}`);
  const set = res.headers['set-cookie'];
  const cookie = (Array.isArray(set) ? set : set ? [set] : []).map((c) => c.split(';')[0]).join('; ');
  const csrf = (res.json() as { csrf: string }).csrf;
  const admin: TestConsole['admin'] = {
    cookie, csrf,
    req: (method, url, body, extra = {}) => app.inject({ method: method as 'GET', url, headers: { cookie, 'x-csrf-token': csrf, ...extra }, ...(body !== undefined ? { payload: body as object } : {}) }),
  };
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const tcLike = { app, now, admin } as unknown as TestConsole;
  return {
    url: address, ctx, store, now, shift: (ms) => { offset += ms; }, admin,
    agent: (hostname, groupId) => enrollTestAgent(tcLike, { hostname, ...(groupId ? { groupId } : {}) }),
    async close() { await app.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Records CSP violations of every document the page loads (read with `cspViolations`). */
export async function watchCsp(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => { window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber); });
  })()`);
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspConsole.push(m.text()); });
}
export const cspConsole: string[] = [];
export async function cspViolations(page: Page): Promise<string[]> {
  return [...(await page.evaluate('window.__csp || []') as string[]), ...cspConsole];
}

/** Signs in through the login form. */
export async function signIn(page: Page, url: string, username: string, password: string, lang: 'en' | 'ja' = 'en'): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel(lang === 'ja' ? 'ユーザー名' : 'User name').fill(username);
  await page.getByLabel(lang === 'ja' ? 'パスワード' : 'Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: lang === 'ja' ? 'ログイン' : 'Sign in' }).click();
}

export const heartbeat = (over: Record<string, unknown> = {}) => ({ state: 'protecting', agentVersion: '0.1.0', policyVersion: 0, spooled: 0, mode: 'audit', ...over });
