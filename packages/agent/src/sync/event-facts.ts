// What the agent knows of a logged event beyond the decision, kept in its detail so the console shows it (issue 13):
// the subject's user (name from /etc/passwd, else the uid), its command line, and the SHA-256 of the refused file.
// Linux has no code signer to report (Windows read-back brings its own, see windows/agent-mode.ts).
// Work here runs only for logged events (deny or audit-deny), after the kernel was answered. The command line is the
// subject's at the time of logging: for a refused exec that is the process that tried it; a file larger than
// HASH_MAX_BYTES or not a regular file is not hashed; hashes are cached by (device, inode, size, mtime).
import { readFileSync, type BigIntStats } from 'node:fs';
import { digestFile } from '../file-digest.ts';
import type { Decision } from '@omamori/policy';
import type { ProcReader } from '../proc.ts';

export const HASH_MAX_BYTES = 16 * 1024 * 1024;
/** Kept locally at most (the upload limit of the protocol is applied again when the event is sent). */
export const COMMAND_LINE_MAX = 8192;

export interface RecordSink {
  record(time: number, kind: string, pid: number, d: Decision, detail?: Record<string, unknown>): void;
}

/** `user:x:uid:...` lines of a passwd file to a uid → name map. */
export function parsePasswd(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f.length >= 3 && f[0] && Number.isInteger(uid) && !m.has(uid)) m.set(uid, f[0]);
  }
  return m;
}

/** argv as one line: arguments with spaces, quotes or control characters are quoted; cut at COMMAND_LINE_MAX. */
export function joinCommandLine(argv: string[]): string {
  const line = argv.map((a) => (a === '' || /[\s"'\\\u0000-\u001f]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return line.length > COMMAND_LINE_MAX ? `${line.slice(0, COMMAND_LINE_MAX - 1)}…` : line;
}

/** SHA-256 of a regular file up to `max` bytes, read through one descriptor (so size and content agree). */
export function hashFile(path: string, max = HASH_MAX_BYTES, cache?: Map<string, string>): string | undefined {
  const id = (st: BigIntStats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  const r = digestFile(path, 'sha256', { max, cached: (st) => cache?.get(id(st)) });
  if (r && cache && !cache.has(id(r.st))) {
    cache.set(id(r.st), r.digest);
    if (cache.size > 1024) cache.delete(cache.keys().next().value!);
  }
  return r?.digest;
}

export interface EventFactsOptions {
  proc: Pick<ProcReader, 'uid' | 'cmdline'>;
  /** passwd file for user names (default /etc/passwd). */
  passwd?: string;
  hashMaxBytes?: number;
}

/**
 * The user and command line of a process, from /proc (nothing for a process that is gone). The launch sensor calls it
 * before answering the kernel, while the refused process still exists; the sink wrapper below fills in what is missing.
 */
export function createSubjectFacts(o: EventFactsOptions): (pid: number) => { user?: string; commandLine?: string } {
  let names: Map<number, string> | undefined;
  let namesRead = 0;
  const userName = (uid: number): string => {
    // Re-read at most once a minute when a uid is unknown (a user added since).
    if (!names || (!names.has(uid) && Date.now() - namesRead > 60_000)) {
      try { names = parsePasswd(readFileSync(o.passwd ?? '/etc/passwd', 'utf8')); } catch { names = new Map(); }
      namesRead = Date.now();
    }
    return names.get(uid) ?? String(uid);
  };
  return (pid) => {
    const out: { user?: string; commandLine?: string } = {};
    const uid = o.proc.uid(pid);
    if (uid !== undefined) out.user = userName(uid);
    const argv = o.proc.cmdline(pid);
    if (argv?.length) out.commandLine = joinCommandLine(argv);
    return out;
  };
}

/** Wraps the sink the launch sensor writes to: each recorded event gets user, command line and SHA-256 in its detail. */
export function withEventFacts(sink: RecordSink, o: EventFactsOptions): RecordSink {
  const subject = createSubjectFacts(o);
  const hashes = new Map<string, string>();
  return {
    record(time, kind, pid, d, detail) {
      const facts: Record<string, unknown> = { ...detail };
      if (facts.user === undefined || facts.commandLine === undefined) {
        const s = subject(pid);
        if (facts.user === undefined && s.user !== undefined) facts.user = s.user;
        if (facts.commandLine === undefined && s.commandLine !== undefined) facts.commandLine = s.commandLine;
      }
      if (d.object?.startsWith('/') && facts.sha256 === undefined) {
        const sha = hashFile(d.object, o.hashMaxBytes ?? HASH_MAX_BYTES, hashes);
        if (sha) facts.sha256 = sha;
      }
      sink.record(time, kind, pid, d, Object.keys(facts).length ? facts : undefined);
    },
  };
}
