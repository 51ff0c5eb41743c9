// The handlers `omamori agent run` gives the sync client for incident tasks from the console: isolate / release
// through the response module (nftables on Linux), collect an evidence bundle on the endpoint and report its
// manifest and SHA-256 (the bundle itself stays on the endpoint), and the check — on Windows the Emotet live check
// (@omamori/emocheck over the PowerShell snapshot), on Linux every autostart entry that starts code from user space.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { AgentTask, TaskFinding, TaskResultRequest } from '@omamori/policy';
import {
  collectEvidence, currentActor, isolate, parseHostPort, peerText, releaseIsolation, resolvePeer, scanLinuxAutostart,
  verifyEvidence, type AutostartScan, type CollectOptions, type CollectProblem, type ExtraFile, type ExtraPart, type NftRunner,
  type Resolver, type TaskHandlers,
} from '@omamori/agent';
import { analyseSnapshot, parseSnapshot } from '@omamori/emocheck';
import type { CollectorRun } from './emocheck.ts';

export interface IncidentTaskDeps {
  platform: NodeJS.Platform;
  stateDir: string;
  /** The console this agent is enrolled with (isolation keeps it reachable). */
  consoleUrl(): string;
  nft: NftRunner;
  resolver: Resolver;
  runEmocheckCollector(): Promise<CollectorRun>;
  exportEventLogs(dir: string): { files: ExtraFile[]; problems: CollectProblem[] };
  now(): Date;
  /** Filesystem root of the Linux autostart check (tests point it at a fake world). */
  root?: string;
  collectOverrides?: Partial<CollectOptions>;
}

const USER_SPACE_PREFIXES = ['/home/', '/root/', '/tmp/', '/var/tmp/', '/dev/shm/', '/run/user/', '/media/', '/mnt/'];

/** Home directories of real accounts (uid >= 1000) in the passwd file under `root`. */
function homes(root: string): string[] {
  let text = '';
  try { text = readFileSync(join(root, 'etc/passwd'), 'utf8'); } catch { return []; }
  return text.split('\n').map((l) => l.split(':')).filter((f) => Number(f[2]) >= 1000 && f[5] && f[5] !== '/').map((f) => `${posix.normalize(f[5]!)}/`);
}

/** Where user-space code lives: under a home, a temporary or removable place, or a file a non-root user owns. */
export function userSpaceReason(path: string, root: string, homeDirs: string[]): string | undefined {
  const prefix = [...homeDirs, ...USER_SPACE_PREFIXES].find((p) => path.startsWith(p));
  if (prefix) return `under ${prefix}`;
  try {
    const st = statSync(join(root, path));
    if (st.uid !== 0) return `owned by uid ${st.uid}`;
    if (st.mode & 0o002) return 'writable by everyone';
  } catch { /* gone: nothing runs from it */ }
  return undefined;
}

/** Linux: every enabled autostart entry that starts (or names) an existing file in user space. */
export function userSpaceAutostart(scan: AutostartScan, root: string): { examined: number; findings: TaskFinding[] } {
  const homeDirs = homes(root);
  const findings: TaskFinding[] = [];
  for (const e of scan.entries) {
    if (e.enabled === false) continue;
    for (const t of e.targets) {
      if (!t.exists || t.path.startsWith('PATH:')) continue;
      const why = userSpaceReason(t.path, root, homeDirs);
      if (!why) continue;
      findings.push({
        code: 'USERSPACE_AUTOSTART', severity: 'review', path: t.path,
        title: `${e.kind} ${e.source}${e.user ? ` (${e.user})` : ''} starts ${t.path} (${why})`,
        detail: { kind: e.kind, source: e.source, ...(e.command ? { command: e.command.slice(0, 1000) } : {}), ...(t.sha256 ? { sha256: t.sha256 } : {}), ...(e.detail ? { schedule: e.detail } : {}) },
      });
    }
  }
  return { examined: scan.entries.length, findings };
}

async function windowsCheck(d: IncidentTaskDeps): Promise<TaskResultRequest> {
  const run = await d.runEmocheckCollector();
  if (!run.ok) return { status: 'failed', message: run.message.en };
  const r = parseSnapshot(run.stdout);
  if (!r.ok) return { status: 'failed', message: `the snapshot did not parse: ${r.issues.slice(0, 3).map((i) => `${i.code} ${i.message}`).join('; ')}` };
  const a = analyseSnapshot(r.snapshot);
  const findings: TaskFinding[] = a.findings.map((f) => ({
    code: f.code, severity: f.severity,
    title: `${f.method}: ${f.process ? `process ${f.process.name} (pid ${f.process.pid})` : f.autostart ? `autostart ${f.autostart.location}` : f.file?.path ?? f.registryKey ?? ''}`,
    ...(f.file?.path ?? f.process?.imagePath ?? f.autostart?.location ? { path: (f.file?.path ?? f.process?.imagePath ?? f.autostart?.location)! } : {}),
    detail: { ...f.evidence, ...(f.registryKey ? { registryKey: f.registryKey } : {}), ...(f.file?.sha256 ? { sha256: f.file.sha256 } : {}) },
  }));
  const examined = r.snapshot.processes.length;
  return { status: 'done', message: a.verdict === 'infected' ? `Emotet found (${findings.length} finding(s))` : `no Emotet found${findings.length ? `; ${findings.length} to review` : ''}`,
    check: { checker: 'emocheck', verdict: findings.length ? 'findings' : 'clean', examined, findings } };
}

export function createIncidentTaskHandlers(d: IncidentTaskDeps): TaskHandlers {
  const actor = (task: AgentTask) => ({ ...currentActor(), user: `console:${task.requestedBy}` });
  return {
    async isolate(task) {
      if (d.platform !== 'linux') return { status: 'failed', message: 'isolation is applied by the agent on Linux only; on Windows run the scripts of `omamori isolate --windows`' };
      const u = new URL(d.consoleUrl());
      const port = u.port || (u.protocol === 'https:' ? '443' : '80');
      const host = u.hostname.includes(':') ? `[${u.hostname.replace(/^\[|\]$/g, '')}]:${port}` : `${u.hostname}:${port}`;
      const hp = parseHostPort(host);
      if (typeof hp === 'string') return { status: 'failed', message: `console address ${host}: ${hp}` };
      const peers = await resolvePeer(hp, d.resolver);
      if (peers.length === 0) return { status: 'failed', message: `console ${host} resolves to no address; not isolated (the agent would lose the console)` };
      const r = isolate(d.stateDir, { console: peers, allow: [], dns: [] }, { nft: d.nft, actor: actor(task), reason: task.reason, consoleRequested: [host], now: d.now() });
      if (!r.ok) return { status: 'failed', message: `not isolated (${r.step}): ${r.message}` };
      return { status: 'done', message: `isolated; only the console (${peers.map(peerText).join(', ')}) and loopback stay reachable`,
        isolation: { isolated: true, since: r.state.since, console: peers.map(peerText) } };
    },
    async 'release-isolation'(task) {
      if (d.platform !== 'linux') return { status: 'failed', message: 'on Windows run omamori-isolate-revert.ps1' };
      const r = releaseIsolation(d.stateDir, { nft: d.nft, actor: actor(task), now: d.now() });
      if (!r.ok) return { status: 'failed', message: `not released (${r.step}): ${r.message}` };
      return { status: 'done', message: r.tableWasPresent ? 'isolation removed' : 'was not isolated', isolation: { isolated: false, since: d.now().toISOString(), console: [] } };
    },
    async collect(task) {
      const dir = join(d.stateDir, 'evidence');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const out = join(dir, `incident-${task.id.replace(/[^\w-]/g, '_')}.tar`);
      const opts: CollectOptions = { out, stateDir: d.stateDir, include: [], now: d.now };
      let work: string | undefined;
      if (d.platform === 'win32') {
        opts.linuxSources = false;
        const parts: ExtraPart[] = []; const problems: CollectProblem[] = [];
        const snap = await d.runEmocheckCollector();
        if (snap.ok) parts.push({ name: 'windows/emocheck-snapshot.json', kind: 'windows-snapshot', bytes: snap.stdout });
        else problems.push({ code: 'WINDOWS_SOURCE_FAILED', path: 'emocheck collector', message: snap.message.en });
        work = mkdtempSync(join(tmpdir(), 'omamori-evtx-'));
        const ev = d.exportEventLogs(work);
        Object.assign(opts, { extraParts: parts, extraFiles: ev.files, extraProblems: [...problems, ...ev.problems] });
      }
      try {
        const r = await collectEvidence({ ...opts, ...d.collectOverrides });
        const v = verifyEvidence(r.out);
        const manifestSha256 = createHash('sha256').update(JSON.stringify(r.manifest, null, 2) + '\n').digest('hex');
        return { status: v.ok ? 'done' : 'failed',
          message: v.ok ? `evidence bundle written on the endpoint: ${r.out} (${r.manifest.parts.length} parts, verified${r.manifest.problems.length ? `; ${r.manifest.problems.length} problem(s) recorded` : ''})` : `the bundle does not verify: ${v.issues.slice(0, 3).map((i) => i.message).join('; ')}`,
          evidence: { path: r.out, bundleSha256: r.bundleSha256, bundleSize: r.bundleSize, manifestSha256, manifest: r.manifest } };
      } finally { if (work) rmSync(work, { recursive: true, force: true }); }
    },
    async check() {
      if (d.platform === 'win32') return windowsCheck(d);
      const root = d.root ?? '/';
      const { examined, findings } = userSpaceAutostart(scanLinuxAutostart(root), root);
      return { status: 'done', message: findings.length ? `${findings.length} autostart entr${findings.length === 1 ? 'y starts' : 'ies start'} code from user space` : `no autostart entry starts code from user space (${examined} examined)`,
        check: { checker: 'linux-autostart', verdict: findings.length ? 'findings' : 'clean', examined, findings } };
    },
  };
}
