// The console API from the browser: JSON over fetch with the session cookie, the CSRF header on every state-changing
// request (double submit: the server compares it with its cookie), and messages in the UI language.
import type { Lang } from './i18n.ts';

export interface PolicyProblem { severity: 'error' | 'warning'; code: string; line: number; column: number; path: string; message: string }

/** An error the API answered with: stable code, a message in the asked language, and field or policy problems. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string,
    readonly field?: string, readonly problems?: PolicyProblem[], readonly reason?: string) { super(message); }
}

/** Told when a signed-in request finds the session gone (`idle`, `expired`, …): the app shows the login page. */
let onSignedOut: ((reason: string | undefined) => void) | undefined;
export function setSignedOutHandler(f: ((reason: string | undefined) => void) | undefined): void { onSignedOut = f; }

let csrfToken: string | undefined;
let lang: Lang = 'en';

export function setCsrf(token: string | undefined): void { csrfToken = token; }
export function setApiLang(l: Lang): void { lang = l; }

function csrfFromCookie(): string | undefined {
  const m = /(?:^|;\s*)omamori_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'accept-language': lang, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const t = csrfToken ?? csrfFromCookie();
    if (t) headers['x-csrf-token'] = t;
  }
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let data: unknown = undefined;
  try { data = text ? JSON.parse(text) : undefined; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; field?: string; problems?: PolicyProblem[]; reason?: string } } | undefined)?.error;
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${res.status} ${res.statusText}`, e?.field, e?.problems, e?.reason);
    if (res.status === 401 && err.code === 'UNAUTHENTICATED' && path !== '/api/me' && path !== '/api/logout') onSignedOut?.(e?.reason);
    throw err;
  }
  return data as T;
}

/** Builds `path?k=v` leaving out empty values. */
export function withQuery(path: string, q: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

// Shapes the API returns (see packages/console/src/routes).
export type Role = 'viewer' | 'operator' | 'admin';
export interface User { id: string; username: string; role: Role }
export interface Endpoint {
  id: string; hostname: string; platform: string; groupId: string; group: string; state: string; online: boolean;
  protected: boolean; lastSeen: number; enrolledAt: number; agentVersion: string; mode: string | null; spooled: number;
  policyVersion: number; issuedVersion: number; policyCurrent: boolean;
  revokedAt?: number | null; os?: string | null; kernel?: string | null; addresses?: string[]; users?: string[]; uptimeSeconds?: number | null;
}
export interface HostFacts { os?: string; kernel?: string; arch?: string; addresses?: string[]; users?: string[]; uptimeSeconds?: number; bootTime?: number }
export interface EndpointDetail extends Endpoint {
  policyRef: string | null; rollout: string | null;
  issuedPolicy: { version: number; source: string; issuedAt: number } | null;
  exceptions: { id: string; path: string | null; sha256: string | null; expiresAt: number; note: string }[];
  eventCounts: Record<string, number>;
  quarantined?: number; host?: HostFacts | null; keyRotationPending?: boolean;
}
export interface LineageStep { pid: number; image: string; guarded?: string }
export interface EventRow {
  id: number; endpointId: string; hostname: string | null; time: number; receivedAt: number; verdict: 'allow' | 'deny' | 'audit-deny';
  reason: string; rule: string; kind: string; app: string; object: string; guarded: string | null; policyVersion: string;
  pid: number; lineage: LineageStep[]; detail: Record<string, unknown> | null;
  user?: string | null; sha256?: string | null; signer?: string | null; commandLine?: string | null;
}
export interface QuarantineEntry {
  id: number; endpointId: string; hostname: string | null; key: string | null; time: number | null; receivedAt: number;
  source: string; code: string; reason: string; excerpt: string;
}
export interface Group {
  id: string; name: string; policyRef: string; rollout: 'audit' | 'enforce'; endpoints: number; createdAt: number;
  retentionDays?: number | null; uploadPerHour?: number | null; effectiveRetentionDays?: number; effectiveUploadPerHour?: number;
}
export interface Preset { name: string; ref: string; summary: string; text: string }
export interface PolicySummary { id: string; name: string; ref: string; latestVersion: number; createdAt: number }
export interface PolicyDetail {
  id: string; name: string; ref: string; latestVersion: number; text: string; groups: { id: string; name: string }[];
  versions: { version: number; comment: string; createdBy: string; createdAt: number }[];
}
export interface DiffLine { op: ' ' | '+' | '-'; line: string; n: number }
export interface ExceptionRow {
  id: string; endpointId: string; path: string | null; sha256: string | null; expiresAt: number; note: string;
  eventId: number | null; createdBy: string; active: boolean;
}
export interface AuditEntry {
  id: number; time: number; user: string; userId: string; action: string; target: string; detail: unknown;
  actor?: { kind: 'user' | 'agent' | 'system' | 'anonymous'; id: string; name: string };
}
export interface Dashboard {
  endpoints: { total: number; online: number; offline: number; unprotected: number };
  from: number; to: number; bucketMs: number; blocks: { t: number; deny: number; auditDeny: number }[];
  topRules: { rule: string; count: number }[]; topApps: { app: string; count: number }[];
}
