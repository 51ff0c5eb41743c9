// Test helpers: a console app on a fresh store (SQLite temp file, or the PostgreSQL URL given), signed-in users,
// and a minimal signed agent (the real client lives in the agent package; the console may not import it).
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { AGENT_API_PREFIX, AGENT_HEADERS, requestSigningPayload } from '@omamori/policy';
import { buildApp, openStore, prepareSetup, type AppOptions, type Ctx, type Role, type Store } from '../src/index.ts';

export interface TestConsole {
  /** The console's clock: real time plus `shift(ms)`. */
  now(): number; shift(ms: number): void;
  /** Waits the login slow-down asked for (ms each), when no `sleep` was given. */
  slept: number[];
  /** The temporary folder of the SQLite store (also when the store is PostgreSQL). */
  dir: string;
  app: FastifyInstance; ctx: Ctx; store: Store; admin: Session;
  login(username: string, password: string): Promise<Session>;
  user(role: Role): Promise<Session>;
  close(): Promise<void>;
}

export interface Session {
  cookie: string; csrf: string;
  req(method: string, url: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export const PASSWORD = 'correct horse battery';

function sessionFrom(app: FastifyInstance, res: LightMyRequestResponse): Session {
  const set = res.headers['set-cookie'];
  const list = Array.isArray(set) ? set : set ? [set] : [];
  const cookie = list.map((c) => c.split(';')[0]).join('; ');
  const csrf = (res.json() as { csrf: string }).csrf;
  return {
    cookie, csrf,
    req: (method, url, body, extra = {}) => app.inject({
      method: method as 'GET', url, headers: { cookie, 'x-csrf-token': csrf, ...extra },
      ...(body !== undefined ? { payload: body as object } : {}),
    }),
  };
}

export interface TestConsoleOptions {
  db?: string; limits?: Partial<Ctx['limits']>;
  /** Minutes without a request before a session ends (default here 600: tests move the clock by hours). */
  idleMinutes?: number;
  /** Replaces the login slow-down wait (default: none, recorded in `slept`). */
  sleep?: (ms: number) => Promise<void>;
  alertTransports?: AppOptions['alertTransports'];
  secure?: boolean;
}

export async function createTestConsole(opts: TestConsoleOptions = {}): Promise<TestConsole> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const dir = mkdtempSync(join(tmpdir(), 'omamori-console-test-'));
  const store = await openStore(opts.db ?? `sqlite:${join(dir, 'console.db')}`);
  const slept: number[] = [];
  const { app, ctx } = await buildApp({
    store, secure: opts.secure ?? false, now, idleMinutes: opts.idleMinutes ?? 600, retentionEveryMs: 0,
    sleep: opts.sleep ?? (async (ms) => { slept.push(ms); }),
    ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.alertTransports ? { alertTransports: opts.alertTransports } : {}),
  });
  const token = await prepareSetup(ctx);
  let admin: Session;
  if (token) {
    const res = await app.inject({ method: 'POST', url: '/api/setup', payload: { token, username: 'admin', password: PASSWORD } });
    if (res.statusCode !== 201) throw new Error(`setup failed: ${res.body}`);
    admin = sessionFrom(app, res);
  } else {
    const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: PASSWORD } });
    admin = sessionFrom(app, res);
  }
  const tc: TestConsole = {
    now, shift: (ms) => { offset += ms; }, slept, dir,
    app, ctx, store, admin,
    async login(username, password) {
      const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      return sessionFrom(app, res);
    },
    async user(role) {
      const username = `${role}-${randomBytes(4).toString('hex')}`;
      const res = await admin.req('POST', '/api/users', { username, password: PASSWORD, role });
      if (res.statusCode !== 201) throw new Error(`create user failed: ${res.body}`);
      return tc.login(username, PASSWORD);
    },
    async close() { await app.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
  return tc;
}

export interface TestAgent {
  id: string; groupId: string; consoleKey: string;
  req(method: string, path: string, body?: unknown, tamper?: Tamper): Promise<LightMyRequestResponse>;
  key: KeyObject;
}

export async function enrollTestAgent(tc: TestConsole, opts: { groupId?: string; hostname?: string; token?: string } = {}): Promise<TestAgent> {
  let token = opts.token;
  if (!token) {
    const t = await tc.admin.req('POST', `/api/groups/${opts.groupId ?? 'default'}/tokens`, { uses: 1, hours: 1 });
    token = (t.json() as { token: string }).token;
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const res = await tc.app.inject({ method: 'POST', url: `${AGENT_API_PREFIX}/enroll`, payload: {
    token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), hostname: opts.hostname ?? 'host-1', platform: 'linux', agentVersion: 'test',
  } });
  if (res.statusCode !== 201) throw new Error(`enroll failed: ${res.body}`);
  const e = res.json() as { agentId: string; groupId: string; consoleKey: string };
  return { id: e.agentId, groupId: e.groupId, consoleKey: e.consoleKey, key: privateKey, req: (m, p, b, t) => signedInject(tc.app, e.agentId, privateKey, m, p, b, { time: tc.now(), ...t }) };
}

export interface Tamper {
  time?: number; nonce?: string;
  /** Sign (and claim in the header) the hash of this text instead of the body. */
  signatureOf?: string;
  /** Send no content-hash header (as agents before it did): the body may then be at most 64 KiB. */
  noHashHeader?: boolean;
  /** The body as this text (for bodies JSON.stringify cannot make). */
  raw?: string;
}

export function signedInject(app: FastifyInstance, agentId: string, key: KeyObject, method: string, path: string, body?: unknown,
  tamper: Tamper = {}): Promise<LightMyRequestResponse> {
  const url = `${AGENT_API_PREFIX}${path}`;
  const raw = tamper.raw ?? (body === undefined ? '' : JSON.stringify(body));
  const time = tamper.time ?? Date.now();
  const nonce = tamper.nonce ?? randomBytes(16).toString('hex');
  const hash = raw ? createHash('sha256').update(tamper.signatureOf ?? raw).digest('hex') : '';
  const sig = sign(null, Buffer.from(requestSigningPayload(method, url, time, nonce, hash)), key).toString('base64');
  return app.inject({
    method: method as 'GET', url,
    headers: {
      [AGENT_HEADERS.agent]: agentId, [AGENT_HEADERS.time]: String(time), [AGENT_HEADERS.nonce]: nonce, [AGENT_HEADERS.signature]: sig,
      ...(raw ? { 'content-type': 'application/json' } : {}), ...(raw && !tamper.noHashHeader ? { [AGENT_HEADERS.contentSha256]: hash } : {}),
    },
    ...(raw ? { payload: raw } : {}),
  });
}

export function sampleEvent(key: string, over: Record<string, unknown> = {}) {
  return {
    key, time: Date.now(), verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: '1',
    kind: 'process.start', pid: 4242, object: '/home/u/Downloads/evil', lineage: [{ pid: 1, image: '/sbin/init' }, { pid: 4242, image: '/home/u/Downloads/evil' }],
    detail: { sha256: 'a'.repeat(64) }, ...over,
  };
}
