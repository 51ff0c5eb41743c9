// The agent's sync client: enrollment, then a loop of heartbeats (status and versions; the console answers with a
// new signed policy when there is one) and event uploads from the spool in batches. The console being away only
// delays sync: the agent keeps its last good policy and keeps protecting; events wait in the spool.
import { hostname as osHostname } from 'node:os';
import {
  AGENT_API_PREFIX, type AgentRunState, type EnrollResponse, type EventBatchResponse, type HeartbeatRequest,
  type HeartbeatResponse, type HeartbeatTasks, type PolicyDocument, type SignedPolicy,
} from '@omamori/policy';
import { OMAMORI_VERSION } from '@omamori/policy/version';
import { loadEnrollment, newAgentKey, saveEnrollment, type Enrollment } from './identity.ts';
import { checkSignedPolicy, loadSavedPolicy, savePolicy } from './policy-check.ts';
import { openSpool, type Spool, type SpoolInput } from './spool.ts';
import { createTransport, fetchCertificate, normalizeFingerprint, SyncError, type Pin, type Transport } from './transport.ts';
import { createTaskRunner, type TaskHandlers } from './tasks.ts';

/** The agent reports the program's one version (packages/policy/src/version.ts). */
export const AGENT_VERSION = OMAMORI_VERSION;

export interface EnrollOptions {
  consoleUrl: string;
  token: string;
  stateDir: string;
  /** Expected SHA-256 fingerprint of the console certificate; without it the first certificate seen is pinned. */
  fingerprint?: string;
  hostname?: string;
}

export async function enrollAgent(o: EnrollOptions): Promise<Enrollment> {
  const url = o.consoleUrl.replace(/\/+$/, '');
  let pin: Pin | undefined;
  if (url.startsWith('https://')) {
    pin = await fetchCertificate(url);
    if (o.fingerprint && normalizeFingerprint(o.fingerprint) !== normalizeFingerprint(pin.fingerprint)) {
      throw new SyncError('PIN_MISMATCH', `the console presented certificate ${pin.fingerprint}, not ${normalizeFingerprint(o.fingerprint)}`);
    }
  } else if (!url.startsWith('http://')) {
    throw new SyncError('URL', `console URL must start with https:// or http:// (got ${o.consoleUrl})`);
  }
  const t = createTransport(url, pin);
  try {
    const { privateKey: _k, publicKeyB64 } = newAgentKey(o.stateDir);
    const host = o.hostname ?? osHostname();
    const res = await t.request<EnrollResponse>('POST', `${AGENT_API_PREFIX}/enroll`, {
      token: o.token, publicKey: publicKeyB64, hostname: host, platform: process.platform === 'win32' ? 'windows' : 'linux', agentVersion: AGENT_VERSION,
    });
    const e: Enrollment = {
      consoleUrl: url, agentId: res.agentId, groupId: res.groupId, consoleKey: res.consoleKey, heartbeatSeconds: res.heartbeatSeconds,
      hostname: host, enrolledAt: Date.now(), ...(pin ? { pin } : {}),
    };
    saveEnrollment(o.stateDir, e);
    return e;
  } finally { t.close(); }
}

export interface SyncClientOptions {
  stateDir: string;
  log: (line: string) => void;
  /** What the agent is doing now, reported in each heartbeat. */
  runState: () => { state: AgentRunState; mode?: string; detail?: Record<string, string | number | boolean> };
  /** Called after a new policy was verified and saved; the agent swaps it in. */
  onPolicy?: (doc: PolicyDocument, signed: SignedPolicy) => void;
  batchSize?: number;
  /** Milliseconds between upload attempts while events wait. */
  uploadIntervalMs?: number;
  maxBackoffMs?: number;
  /** Incident tasks the console may ask for (signed; see tasks.ts). Without a handler a task is reported failed. */
  tasks?: TaskHandlers;
}

export interface SyncClient {
  readonly enrollment: Enrollment;
  readonly spool: Spool;
  policyVersion(): number;
  /** The stored, verified policy, if any (what to run before the console answers). */
  currentPolicy(): PolicyDocument | undefined;
  enqueue(events: SpoolInput[]): void;
  heartbeat(): Promise<void>;
  /** Uploads until the spool is empty; returns the counts the console reported. */
  upload(): Promise<{ accepted: number; duplicates: number }>;
  start(): void;
  stop(): Promise<void>;
  /** Resolves when every task received so far has run and its result post was tried. */
  tasksIdle(): Promise<void>;
}

export function createSyncClient(o: SyncClientOptions): SyncClient {
  const loaded = loadEnrollment(o.stateDir);
  if (!loaded) throw new SyncError('NOT_ENROLLED', `not enrolled: no sync.json in ${o.stateDir} (run omamori agent enroll)`);
  const { enrollment, key } = loaded;
  const spool = openSpool(o.stateDir);
  const transport: Transport = createTransport(enrollment.consoleUrl, enrollment.pin);
  const signer = { agentId: enrollment.agentId, key };
  const saved = loadSavedPolicy(o.stateDir, enrollment);
  let version = saved?.signed.envelope.version ?? 0;
  let doc = saved?.doc;
  let mode = doc?.mode;
  const batch = o.batchSize ?? 500;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const tasks = createTaskRunner({ enrollment, transport, signer, handlers: o.tasks ?? {}, log: o.log });

  function accept(p: SignedPolicy): void {
    const c = checkSignedPolicy(p, enrollment, version);
    if (!c.ok) { o.log(`policy refused (${c.code}): ${c.message}; keeping version ${version}`); return; }
    savePolicy(o.stateDir, p);
    version = p.envelope.version; doc = c.doc; mode = c.doc.mode;
    o.log(`policy version ${version} (${p.envelope.source}, mode ${c.doc.mode}) accepted`);
    o.onPolicy?.(c.doc, p);
  }

  const client: SyncClient = {
    enrollment, spool,
    policyVersion: () => version,
    currentPolicy: () => doc,
    enqueue(events) { spool.append(events); wake?.(); },
    async heartbeat() {
      const s = o.runState();
      const body: HeartbeatRequest = { state: s.state, agentVersion: AGENT_VERSION, policyVersion: version, spooled: spool.count(), hostname: enrollment.hostname };
      const m = s.mode ?? mode;
      if (m) body.mode = m;
      if (s.detail) body.detail = s.detail;
      const res = await transport.request<HeartbeatResponse & HeartbeatTasks>('POST', `${AGENT_API_PREFIX}/heartbeat`, body, signer);
      if (res.policy) accept(res.policy);
      if (Array.isArray(res.tasks) && res.tasks.length) tasks.offer(res.tasks);
    },
    async upload() {
      let accepted = 0; let duplicates = 0;
      for (;;) {
        const rows = spool.peek(batch);
        if (rows.length === 0) break;
        const res = await transport.request<EventBatchResponse>('POST', `${AGENT_API_PREFIX}/events`, { events: rows.map((r) => r.event) }, signer);
        spool.ack(rows[rows.length - 1]!.seq);
        accepted += res.accepted; duplicates += res.duplicates;
      }
      return { accepted, duplicates };
    },
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        let nextBeat = 0; let backoff = 0; let lastError = '';
        while (running) {
          try {
            if (Date.now() >= nextBeat) { await client.heartbeat(); nextBeat = Date.now() + enrollment.heartbeatSeconds * 1000; }
            if (spool.count() > 0) await client.upload();
            if (lastError) { o.log('console reachable again'); lastError = ''; }
            backoff = 0;
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            if (msg !== lastError) o.log(`sync failed (will retry; protection continues): ${msg}`);
            lastError = msg;
            backoff = Math.min(o.maxBackoffMs ?? 30_000, backoff ? backoff * 2 : 500);
            nextBeat = 0;
          }
          if (!running) break;
          await new Promise<void>((r) => { wake = r; timer = setTimeout(r, backoff || (o.uploadIntervalMs ?? 1000)); });
          wake = undefined;
        }
      })();
    },
    tasksIdle: () => tasks.idle(),
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      await tasks.idle();
      transport.close();
      spool.close();
    },
  };
  return client;
}
