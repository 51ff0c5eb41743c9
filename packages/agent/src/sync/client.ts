// The agent's sync client: enrollment, then a loop of heartbeats (status, versions and machine facts; the console
// answers with a new signed policy, tasks, cancellations, a certificate to pin next, or a key rotation request) and
// event uploads from the outbox (the agent's own event store) in batches. A long-poll beside it lets the console wake
// the agent at once (group switched to enforce, "apply now"). A batch the console refuses is split until the one bad
// event is found; that event is quarantined with a report, the rest go through. The console being away only delays
// sync: the agent keeps its last good policy in its mode and keeps protecting; events wait in the outbox.
import { sign } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import {
  AGENT_API_PREFIX, DEFAULT_PRESET, findPreset, keyRotationPayload, loadPolicy, PROTOCOL_LIMITS, tlsAnnouncementPayload,
  type AgentRunState, type EnrollResponse, type EventBatchRequest, type EventBatchResponse, type HeartbeatRequest, type HeartbeatResponse,
  type HeartbeatTasks, type HostFacts, type PolicyDocument, type QuarantineReport, type SignedPolicy, type SignedTlsAnnouncement,
} from '@omamori/policy';
import { OMAMORI_VERSION } from '@omamori/policy/version';
import { openEventStore, type EventStore } from '../event-store.ts';
import { hostFacts } from './host-facts.ts';
import { allPins, loadEnrollment, makeAgentKey, removeOldKeys, saveEnrollment, writeKey, type Enrollment } from './identity.ts';
import { createOutbox, type Outbox, type OutboxItem } from './outbox.ts';
import { checkSignedPolicy, loadSavedPolicy, POLICY_TEXT_FILE, PREVIOUS_POLICY_FILE, restorePolicyFiles, savePolicy, SIGNED_POLICY_FILE, type PolicyOrder } from './policy-check.ts';
import type { SpoolInput } from './spool.ts';
import { createTransport, fetchCertificate, normalizeFingerprint, SyncError, type Pin, type Transport } from './transport.ts';
import { createTaskRunner, type TaskHandlers } from './tasks.ts';
import { verifyWithConsoleKey } from './verify.ts';

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

/**
 * Enrolls with a group token. Nothing of an existing identity changes until the console accepted the enrollment:
 * the new key is made in memory, written to its own file after the answer, and made current with `sync.json`.
 */
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
    const key = makeAgentKey();
    const host = o.hostname ?? osHostname();
    const res = await t.request<EnrollResponse>('POST', `${AGENT_API_PREFIX}/enroll`, {
      token: o.token, publicKey: key.publicKeyB64, hostname: host, platform: process.platform === 'win32' ? 'windows' : 'linux', agentVersion: AGENT_VERSION,
    });
    writeKey(o.stateDir, key);
    const e: Enrollment = {
      consoleUrl: url, agentId: res.agentId, groupId: res.groupId, consoleKey: res.consoleKey, heartbeatSeconds: res.heartbeatSeconds,
      hostname: host, enrolledAt: Date.now(), keyFile: key.file, ...(pin ? { pin } : {}),
    };
    saveEnrollment(o.stateDir, e);
    removeOldKeys(o.stateDir, key.file);
    // Policies of the previous identity are for another agent id: not kept.
    for (const f of [SIGNED_POLICY_FILE, PREVIOUS_POLICY_FILE, POLICY_TEXT_FILE]) rmSync(join(o.stateDir, f), { force: true });
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
  /** The event store the agent writes (the outbox); opened here for writing when not given, and then closed at stop. */
  store?: EventStore;
  /** Events per batch (at most PROTOCOL_LIMITS.batchEvents). */
  batchSize?: number;
  /** Milliseconds between checks of the outbox when no new event was announced. */
  uploadIntervalMs?: number;
  maxBackoffMs?: number;
  /** Keep a long-poll open so the console can wake the agent (default true). */
  wake?: boolean;
  /** Incident tasks the console may ask for (signed; see tasks.ts). Without a handler a task is reported failed. */
  tasks?: TaskHandlers;
  /** Machine facts for the heartbeat (tests replace it). */
  hostFacts?: () => HostFacts;
}

export interface SyncClient {
  readonly enrollment: Enrollment;
  readonly outbox: Outbox;
  readonly store: EventStore;
  policyVersion(): number;
  policyOrder(): PolicyOrder;
  /**
   * The policy to run before the console answers: the stored one (verified, not below the floor); when none is
   * usable but one was accepted before, the default preset in that policy's mode (never silently audit).
   */
  currentPolicy(): PolicyDocument | undefined;
  /** Windows read-back: appends keyed events (and its cursor) to the outbox and wakes the upload. */
  enqueue(events: SpoolInput[], cursor?: { name: string; value: string }): void;
  heartbeat(): Promise<void>;
  /** Uploads until the outbox is empty; returns the counts the console reported. */
  upload(): Promise<{ accepted: number; duplicates: number; rejected: number; quarantined: number }>;
  /** Makes a new key pair and switches to it (the console asks for it in a heartbeat, or an operator here). */
  rotateKey(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  /** Resolves when every task received so far has run and its result post was tried. */
  tasksIdle(): Promise<void>;
}

/**
 * What a refused upload means. 400/413/422: the console refused the content — split at once, down to the one event it
 * will not take. 5xx: the console failed — retried whole (with backoff) twice, then split; a single event that still
 * fails is quarantined only when the console answers a heartbeat right after (it is up and writing), so an outage
 * never quarantines the outbox. Anything else (network, 401, 429): retried whole later.
 */
function refusal(e: SyncError): 'content' | 'failure' | 'other' {
  const s = e.status ?? 0;
  if (s === 400 || s === 413 || s === 422) return 'content';
  return s >= 500 ? 'failure' : 'other';
}

export function createSyncClient(o: SyncClientOptions): SyncClient {
  const loaded = loadEnrollment(o.stateDir);
  if (!loaded) throw new SyncError('NOT_ENROLLED', `not enrolled: no sync.json in ${o.stateDir} (run omamori agent enroll)`);
  const { enrollment } = loaded;
  const store = o.store ?? openEventStore(o.stateDir, { write: true });
  const outbox = createOutbox(o.stateDir, store, o.log);
  const transport: Transport = createTransport(enrollment.consoleUrl, allPins(enrollment));
  const signer = { agentId: enrollment.agentId, key: loaded.key };
  // The floor of another identity (this state directory enrolled again) does not apply.
  const stored = outbox.floor.get();
  const floor = stored?.agentId !== undefined && stored.agentId !== enrollment.agentId ? undefined : stored;
  const saved = loadSavedPolicy(o.stateDir, enrollment, floor);
  for (const r of saved.refused) o.log(`stored policy refused: ${r}`);
  let order: PolicyOrder = 'signed' in saved ? { epoch: saved.signed.envelope.epoch ?? 0, version: saved.signed.envelope.version } : floor ? { epoch: floor.epoch, version: floor.version } : { epoch: 0, version: 0 };
  let doc: PolicyDocument | undefined = 'signed' in saved ? saved.doc : undefined;
  if ('signed' in saved && saved.from === 'previous') o.log(`the current policy copy is unusable: running the previous one (version ${order.version})`);
  if ('signed' in saved && saved.from === 'floor') {
    o.log(`the policy files are unusable: running the last accepted policy (version ${order.version}, ${saved.doc.mode}) kept in events.db; files restored`);
    restorePolicyFiles(o.stateDir, saved.signed);
  }
  // True while the agent runs a stand-in (no usable copy of the policy it reports): the console then issues above.
  let missing = false;
  if (!doc && floor) {
    // Every stored copy is gone or tampered, but a policy was accepted before: keep its mode, not audit.
    const preset = loadPolicy(findPreset(DEFAULT_PRESET)!.text).policy!;
    doc = { ...preset, mode: floor.mode as PolicyDocument['mode'] };
    missing = true;
    o.log(`no usable stored policy; running the ${DEFAULT_PRESET} preset in the last accepted mode (${floor.mode}) until the console sends version > ${floor.version}`);
  }
  let mode = doc?.mode;
  const batch = Math.min(o.batchSize ?? PROTOCOL_LIMITS.batchEvents, PROTOCOL_LIMITS.batchEvents);
  const facts = o.hostFacts ?? (() => hostFacts());
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let loop: Promise<void> | undefined;
  let wakeLoop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let wakePause: (() => void) | undefined;
  let nextBeat = 0;
  let revokedSaid = false;
  const failures = new Map<string, number>();
  const tasks = createTaskRunner({ enrollment, transport, signer, handlers: o.tasks ?? {}, log: o.log });
  const unsubscribe = store.onAppend(() => wake?.());

  function accept(p: SignedPolicy): void {
    const c = checkSignedPolicy(p, enrollment, order);
    if (!c.ok) { o.log(`policy refused (${c.code}): ${c.message}; keeping version ${order.version}${mode ? ` in ${mode} mode` : ''}`); return; }
    savePolicy(o.stateDir, p, { get: outbox.floor.get, set: (f) => outbox.floor.set({ ...f, agentId: enrollment.agentId }) }, c.doc.mode);
    order = { epoch: p.envelope.epoch ?? 0, version: p.envelope.version }; doc = c.doc; mode = c.doc.mode; missing = false;
    o.log(`policy version ${order.version} (${p.envelope.source}, mode ${c.doc.mode}) accepted`);
    o.onPolicy?.(c.doc, p);
  }

  function pinNext(a: SignedTlsAnnouncement): void {
    if (!a?.announcement || typeof a.signature !== 'string' || !verifyWithConsoleKey(enrollment.consoleKey, tlsAnnouncementPayload(a.announcement), a.signature)) {
      o.log('a certificate announcement did not verify with the console key: ignored');
      return;
    }
    const fp = normalizeFingerprint(a.announcement.fingerprint);
    if (allPins(enrollment).some((p) => normalizeFingerprint(p.fingerprint) === fp)) return;
    enrollment.pins = [...(enrollment.pins ?? []), { certPem: a.announcement.certPem, fingerprint: a.announcement.fingerprint }].slice(-3);
    saveEnrollment(o.stateDir, enrollment);
    transport.setPins(allPins(enrollment));
    o.log(`the console announced its next certificate ${a.announcement.fingerprint}: pinned`);
  }

  async function post(items: OutboxItem[], reports: QuarantineReport[] = []): Promise<EventBatchResponse> {
    const body: EventBatchRequest = { events: items.map((i) => i.event), ...(reports.length ? { quarantined: reports } : {}) };
    return transport.request<EventBatchResponse>('POST', `${AGENT_API_PREFIX}/events`, body, signer);
  }

  /**
   * Quarantine reports go in a request of their own, so a report the console cannot take never makes good events
   * look bad: refused for its content, the reports are dropped (logged); a console failure keeps them for later
   * without holding up the events.
   */
  async function sendReports(): Promise<void> {
    const reports = outbox.reports();
    if (!reports.length) return;
    try {
      await post([], reports);
      outbox.clearReports(reports.map((r) => r.key));
    } catch (e) {
      if (!(e instanceof SyncError)) throw e;
      const kind = refusal(e);
      if (kind === 'content') {
        outbox.clearReports(reports.map((r) => r.key));
        o.log(`the console refused ${reports.length} quarantine report(s) (${e.code}: ${e.message}); dropped`);
      } else if (kind === 'failure') {
        o.log(`quarantine reports not taken yet (${e.code}); kept for the next upload`);
      } else throw e;
    }
  }

  /** Sends items (in order); splits on refusal until the one event the console will not take is quarantined. */
  async function send(items: OutboxItem[], sum: { accepted: number; duplicates: number; rejected: number; quarantined: number }, splitting = false): Promise<void> {
    try {
      const res = await post(items);
      for (const r of res.rejected ?? []) o.log(`the console refused event ${r.key} (${r.code}: ${r.message}); it keeps it in its quarantine`);
      if (items.length) outbox.ack(items[items.length - 1]!);
      sum.accepted += res.accepted; sum.duplicates += res.duplicates; sum.rejected += res.rejected?.length ?? 0;
      failures.delete(items[0]?.event.key ?? '');
    } catch (e) {
      if (!(e instanceof SyncError) || items.length === 0) throw e;
      const kind = refusal(e);
      if (kind === 'other') throw e;
      if (kind === 'failure' && !splitting) {
        const first = items[0]!.event.key;
        const tries = (failures.get(first) ?? 0) + 1;
        failures.set(first, tries);
        if (tries < 3) throw e;
        failures.delete(first);
      }
      if (items.length === 1) {
        // A store failure on one event alone: quarantined only if the console is otherwise working.
        if (kind === 'failure') await client.heartbeat().catch(() => { throw e; });
        outbox.quarantine(items[0]!, e.code, `the console answered ${e.status}: ${e.message}`.slice(0, 1000));
        sum.quarantined++;
        return;
      }
      const mid = Math.ceil(items.length / 2);
      await send(items.slice(0, mid), sum, true);
      await send(items.slice(mid), sum, true);
    }
  }

  /** Greedy packing by count and bytes (the console's body limit), oldest first. */
  function pack(items: OutboxItem[]): OutboxItem[] {
    const budget = PROTOCOL_LIMITS.batchBytes - 64 * 1024;
    let bytes = 0; let n = 0;
    for (const i of items) {
      const size = Buffer.byteLength(JSON.stringify(i.event)) + 1;
      if (n > 0 && bytes + size > budget) break;
      bytes += size; n++;
    }
    return items.slice(0, Math.max(1, n));
  }

  const client: SyncClient = {
    enrollment, outbox, store,
    policyVersion: () => order.version,
    policyOrder: () => order,
    currentPolicy: () => doc,
    enqueue(events, cursor) { outbox.append(events, cursor); wake?.(); },
    async heartbeat() {
      const s = o.runState();
      const body: HeartbeatRequest = {
        state: s.state, agentVersion: AGENT_VERSION, policyVersion: order.version, policyEpoch: order.epoch, spooled: Math.min(outbox.count(), PROTOCOL_LIMITS.int32Max),
        hostname: enrollment.hostname, host: facts(), tlsPins: allPins(enrollment).map((p) => p.fingerprint).slice(0, 4),
      };
      const m = s.mode ?? mode;
      if (m) body.mode = m;
      if (missing) body.policyMissing = true;
      if (s.detail) body.detail = s.detail;
      const res = await transport.request<HeartbeatResponse & HeartbeatTasks>('POST', `${AGENT_API_PREFIX}/heartbeat`, body, signer);
      revokedSaid = false;
      if (res.policy) accept(res.policy);
      if (res.tlsNext) pinNext(res.tlsNext);
      if (Array.isArray(res.cancelled) && res.cancelled.length) for (const id of tasks.cancel(res.cancelled)) o.log(`task ${id}: cancelled by the console`);
      if (Array.isArray(res.tasks) && res.tasks.length) tasks.offer(res.tasks);
      if (res.rotateKey) await client.rotateKey().catch((e: Error) => o.log(`key rotation failed (retried at the next heartbeat): ${e.message}`));
    },
    async upload() {
      const sum = { accepted: 0, duplicates: 0, rejected: 0, quarantined: 0 };
      for (;;) {
        const items = outbox.pending(batch);
        if (items.length === 0) break;
        await send(pack(items), sum);
      }
      await sendReports();
      return sum;
    },
    async rotateKey() {
      const k = makeAgentKey();
      writeKey(o.stateDir, k);
      try {
        const proof = sign(null, Buffer.from(keyRotationPayload(enrollment.agentId, k.publicKeyB64)), k.privateKey).toString('base64');
        await transport.request('POST', `${AGENT_API_PREFIX}/rotate-key`, { publicKey: k.publicKeyB64, proof }, signer);
      } catch (e) { rmSync(join(o.stateDir, k.file), { force: true }); throw e; }
      enrollment.keyFile = k.file;
      saveEnrollment(o.stateDir, enrollment);
      signer.key = k.privateKey;
      removeOldKeys(o.stateDir, k.file);
      o.log('the agent key was rotated');
    },
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        let backoff = 0; let lastError = '';
        while (running) {
          try {
            if (Date.now() >= nextBeat) { nextBeat = Date.now() + enrollment.heartbeatSeconds * 1000; await client.heartbeat(); }
            if (outbox.count() > 0 || outbox.reports().length) await client.upload();
            if (lastError) { o.log('console reachable again'); lastError = ''; }
            backoff = 0;
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            if (e instanceof SyncError && e.code === 'AGENT_REVOKED') {
              if (!revokedSaid) o.log('this endpoint was revoked in the console: protection continues with the last policy; enroll again to reconnect');
              revokedSaid = true;
            } else if (msg !== lastError) o.log(`sync failed (will retry; protection continues): ${msg}`);
            lastError = msg;
            const wait = e instanceof SyncError && e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : 0;
            backoff = Math.max(wait, Math.min(o.maxBackoffMs ?? 30_000, backoff ? backoff * 2 : 500));
            nextBeat = 0;
          }
          if (!running) break;
          await new Promise<void>((r) => { wake = r; timer = setTimeout(r, backoff || (o.uploadIntervalMs ?? 5000)); });
          // Woken early (a new event, the console's long-poll): the timer must not outlive the wait.
          clearTimeout(timer); wake = undefined;
        }
      })();
      if (o.wake ?? true) {
        wakeLoop = (async () => {
          let mark = ''; let pause = 0;
          while (running) {
            try {
              const r = await transport.request<{ mark: string }>('GET', `${AGENT_API_PREFIX}/wait?since=${encodeURIComponent(mark)}&ms=25000`, undefined, signer, { timeoutMs: 40_000 });
              if (mark && r.mark !== mark) { nextBeat = 0; wake?.(); }
              mark = r.mark; pause = 0;
            } catch {
              if (!running) break;
              pause = Math.min(30_000, pause ? pause * 2 : 2_000);
              await new Promise<void>((r) => { wakePause = r; setTimeout(r, pause).unref(); });
              wakePause = undefined;
            }
          }
        })();
      }
    },
    tasksIdle: () => tasks.idle(),
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      await tasks.idle();
      transport.close();
      wakePause?.();
      await wakeLoop;
      unsubscribe();
      outbox.close();
      if (!o.store) store.close();
    },
  };
  return client;
}

export { allPins };
export type { OutboxItem };
