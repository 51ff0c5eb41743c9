// Windows agent mode (`omamori agent run` on win32): keeps the console's policy in force through Windows' own engines
// (compile → apply idempotently → verify; re-verify on a timer and re-apply on drift) and uploads Windows' blocks
// (Code Integrity, AppLocker, Defender ASR/CFA) through the sync spool, remembering what it already read.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { basename, join } from 'node:path';
import type { CompiledPolicy, UploadedEvent } from '@omamori/policy';
import { compileWindows, type WindowsPlan } from '@omamori/windows';
import type { SpoolInput } from '../sync/spool.ts';
import { applyWindowsPolicy, verifyWindowsPolicy } from './apply.ts';
import { readWindowsBlocks, type WindowsBlock } from './blocks.ts';
import type { PowerShell } from './powershell.ts';
import type { Drift } from './state.ts';

/** The spool meta entry holding the read-back cursor: `{ time, keys }` (newest event time seen, the keys seen at it). */
export const BLOCKS_CURSOR = 'windows.blocks.cursor';

/** The part of the sync spool this mode uses (append with cursor in one transaction; meta read/write). */
export interface WindowsEventSink {
  append(events: SpoolInput[], cursor?: { name: string; value: string }): void;
  meta(name: string): string | undefined;
  setMeta(name: string, value: string): void;
}

export interface WindowsAgentModeOptions {
  powershell: PowerShell;
  sink: WindowsEventSink;
  /** Called after events were spooled (e.g. to wake the upload loop). */
  onEvents?: (n: number) => void;
  /** The compiled XML files go to `<stateDir>/windows` (the apply commands convert them from there). */
  stateDir: string;
  log: (line: string) => void;
  now?: () => number;
  host?: string;
  intervals?: { verifyMs?: number; blocksMs?: number };
  /** Timer injection for tests (fake clock); defaults to setInterval/clearInterval. */
  timers?: { every(fn: () => void, ms: number): unknown; cancel(handle: unknown): void };
}

export interface WindowsAgentStatus {
  /** Settings that differed from the plan at the last verification (-1: not verified yet or state unreadable). */
  drift: number;
  applied: boolean;
  lastError?: string;
  blocksUploaded: number;
}

export interface WindowsAgentMode {
  /** Starts the timers; with `initial`, applies it first (the last good policy). */
  start(initial?: CompiledPolicy, policyVersion?: string): Promise<void>;
  /** A new verified policy: compile, apply (nothing when the same artefacts are already in force), verify. */
  onPolicy(policy: CompiledPolicy, policyVersion?: string): Promise<void>;
  /** One verification round (the timer's job): re-apply on drift. */
  verifyNow(): Promise<void>;
  /** One read-back round (the timer's job); resolves to the number of events spooled. */
  readBlocksNow(): Promise<number>;
  status(): WindowsAgentStatus;
  /** Heartbeat `detail` fields. */
  detail(): Record<string, string | number | boolean>;
  stop(): Promise<void>;
}

const describe = (d: Drift) => `${d.area} ${d.what}: expected ${d.expected}, found ${d.actual}`;

function fingerprint(files: Map<string, string | Buffer>): string {
  const h = createHash('sha256');
  for (const [name, body] of [...files].sort(([a], [b]) => a.localeCompare(b))) h.update(name).update('\0').update(body).update('\0');
  return h.digest('hex');
}

/** A Windows block as the uploaded event shape the Linux agent uses (subject last in lineage). */
export function blockToUploaded(b: WindowsBlock, policyVersion: string): SpoolInput {
  const ev = b.event;
  let pid = 0, object = '';
  let lineage: UploadedEvent['lineage'] = [];
  switch (ev.kind) {
    case 'process.start':
      pid = ev.parent?.pid ?? 0; object = ev.proc.image ?? '';
      lineage = ev.ancestors?.length ? ev.ancestors.map((a) => ({ pid: a.pid, image: a.image ?? '' })) : ev.parent ? [{ pid: ev.parent.pid, image: '' }] : [];
      break;
    case 'module.load': case 'script.read': case 'file.access':
      pid = ev.proc.pid; object = ev.file.path; lineage = [{ pid, image: ev.proc.image ?? '' }]; break;
    case 'process.access':
      pid = ev.proc.pid; object = ev.target.image ?? ''; lineage = [{ pid, image: ev.proc.image ?? '' }]; break;
    case 'persistence.write':
      pid = ev.proc.pid; object = ev.target; lineage = [{ pid, image: ev.proc.image ?? '' }]; break;
    default: break;
  }
  const detail: Record<string, unknown> = { platform: 'windows', mechanism: b.mechanism, provider: b.source.provider, eventId: b.source.eventId };
  if (b.source.recordId !== undefined) detail.recordId = b.source.recordId;
  if (ev.host) detail.host = ev.host;
  const file = 'file' in ev ? ev.file : undefined;
  const sha = file?.sha256 ?? (ev.kind === 'process.start' ? ev.proc.sha256 : undefined);
  if (sha) detail.sha256 = sha;
  const signer = file?.signer ?? (ev.kind === 'process.start' ? ev.proc.signer : undefined);
  if (signer) detail.signer = signer;
  if (ev.kind === 'process.start' && ev.proc.commandLine) detail.commandLine = ev.proc.commandLine;
  const actor = lineage[lineage.length - 1]?.image;
  const out: SpoolInput = {
    key: `windows/${ev.id ?? b.source.where}/${ev.time ?? 0}`, time: ev.time ?? 0, verdict: b.verdict, reason: b.reason, rule: b.rule,
    policyVersion, kind: ev.kind, pid, object, lineage, detail,
  };
  if (b.reason.startsWith('GUARDED_') && actor) out.guarded = basename(actor.replace(/\\/g, '/')).toLowerCase();
  return out;
}

interface Cursor { time: number; keys: string[] }

export function createWindowsAgentMode(o: WindowsAgentModeOptions): WindowsAgentMode {
  const now = o.now ?? Date.now;
  const host = o.host ?? osHostname();
  const workDir = join(o.stateDir, 'windows');
  const timers = o.timers ?? { every: (fn, ms) => setInterval(fn, ms), cancel: (h) => clearInterval(h as NodeJS.Timeout) };
  const verifyMs = o.intervals?.verifyMs ?? 60_000;
  const blocksMs = o.intervals?.blocksMs ?? 15_000;
  let policy: CompiledPolicy | undefined;
  let version = '0';
  let plan: WindowsPlan | undefined;
  let appliedFp: string | undefined;
  let handles: unknown[] = [];
  let stopped = false;
  let chain: Promise<unknown> = Promise.resolve();
  const st: WindowsAgentStatus = { drift: -1, applied: false, blocksUploaded: 0 };

  /** One PowerShell job at a time; a failure is logged and never breaks the chain. */
  function serial<T>(what: string, job: () => Promise<T>, fallback: T): Promise<T> {
    const p = chain.then(job).then((v) => { delete st.lastError; return v; }, (e: unknown) => {
      st.lastError = `${what}: ${(e as Error).message}`;
      o.log(`Windows: ${what} failed (retried on the next round): ${(e as Error).message}`);
      return fallback;
    });
    chain = p;
    return p;
  }

  const diffOpts = () => ({ workDir, now: now(), host });

  function reportDrift(drift: Drift[], known: boolean): void {
    st.drift = known ? drift.length : -1;
    if (!known) { o.log('Windows: the settings in force could not be read; drift unknown'); return; }
    if (drift.length === 0) return;
    o.log(`Windows: ${drift.length} setting(s) differ from the policy: ${drift.slice(0, 5).map(describe).join('; ')}${drift.length > 5 ? '; …' : ''}`);
  }

  /** Applies the current policy when its artefacts changed (or `force`), then verifies. */
  async function applyCurrent(force: boolean): Promise<void> {
    if (!policy) return;
    const art = compileWindows(policy, { now: now() });
    const fp = fingerprint(art.files);
    if (!force && fp === appliedFp) return;
    mkdirSync(workDir, { recursive: true });
    for (const [name, body] of art.files) writeFileSync(join(workDir, name), body);
    plan = art.plan;
    const r = await applyWindowsPolicy(art.plan, o.powershell, diffOpts());
    for (const f of r.failures) o.log(`Windows: applying ${describe(f.drift)} failed: ${f.error}`);
    if (r.changes.length) o.log(`Windows: policy v${version} applied (${r.changes.length - r.failures.length}/${r.changes.length} setting(s) changed)`);
    st.applied = r.failures.length === 0;
    appliedFp = r.failures.length === 0 ? fp : undefined;
    const v = await verifyWindowsPolicy(art.plan, o.powershell, diffOpts());
    reportDrift(v.drift, v.stateKnown);
  }

  async function verifyRound(): Promise<void> {
    if (!policy) return;
    const fp = fingerprint(compileWindows(policy, { now: now() }).files);
    if (fp !== appliedFp || !plan) { await applyCurrent(true); return; }
    const v = await verifyWindowsPolicy(plan, o.powershell, diffOpts());
    reportDrift(v.drift, v.stateKnown);
    if (v.stateKnown && v.drift.length) { o.log('Windows: re-applying the policy'); await applyCurrent(true); }
  }

  function readCursor(): Cursor | undefined {
    const raw = o.sink.meta(BLOCKS_CURSOR);
    if (!raw) return undefined;
    try {
      const c = JSON.parse(raw) as Cursor;
      if (typeof c.time === 'number' && Array.isArray(c.keys)) return c;
    } catch { /* rewritten below */ }
    o.log(`Windows: the block cursor in the spool is unreadable (${raw.slice(0, 40)}); reading from now on`);
    return undefined;
  }

  async function blocksRound(): Promise<number> {
    let cur = readCursor();
    if (!cur) { cur = { time: now(), keys: [] }; o.sink.setMeta(BLOCKS_CURSOR, JSON.stringify(cur)); }
    const r = await readWindowsBlocks(o.powershell, { sinceMs: cur.time });
    for (const p of r.problems.slice(0, 5)) o.log(`Windows: reading blocks: ${p.where}: ${p.message}`);
    const c = cur;
    const keyOf = (b: WindowsBlock) => blockToUploaded(b, version).key!;
    const fresh = r.blocks.filter((b) => b.event.time !== undefined && (b.event.time > c.time || (b.event.time === c.time && !c.keys.includes(keyOf(b)))));
    if (fresh.length === 0) return 0;
    fresh.sort((a, b) => a.event.time! - b.event.time!);
    const top = fresh[fresh.length - 1]!.event.time!;
    const keys = new Set(top === c.time ? c.keys : []);
    for (const b of fresh) if (b.event.time === top) keys.add(keyOf(b));
    o.sink.append(fresh.map((b) => blockToUploaded(b, version)), { name: BLOCKS_CURSOR, value: JSON.stringify({ time: top, keys: [...keys] }) });
    st.blocksUploaded += fresh.length;
    o.onEvents?.(fresh.length);
    return fresh.length;
  }

  const mode: WindowsAgentMode = {
    async start(initial, policyVersion) {
      stopped = false;
      if (initial) await mode.onPolicy(initial, policyVersion);
      if (stopped) return;
      handles = [
        timers.every(() => { void mode.verifyNow(); }, verifyMs),
        timers.every(() => { void mode.readBlocksNow(); }, blocksMs),
      ];
    },
    onPolicy(p, policyVersion) {
      policy = p;
      if (policyVersion !== undefined) version = policyVersion;
      return serial('applying the policy', () => applyCurrent(false), undefined);
    },
    verifyNow: () => (stopped ? Promise.resolve() : serial('verifying the policy', verifyRound, undefined)),
    readBlocksNow: () => (stopped ? Promise.resolve(0) : serial('reading blocks', blocksRound, 0)),
    status: () => ({ ...st }),
    detail() {
      const d: Record<string, string | number | boolean> = { platform: 'windows', windowsDrift: st.drift, windowsApplied: st.applied, windowsBlocksUploaded: st.blocksUploaded };
      if (st.lastError) d.windowsError = st.lastError.slice(0, 200);
      return d;
    },
    async stop() {
      stopped = true;
      for (const h of handles) timers.cancel(h);
      handles = [];
      await chain;
    },
  };
  return mode;
}
