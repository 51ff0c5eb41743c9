// Tells the user of the session a refusal happened in why, on their desktop: a freedesktop notification
// (org.freedesktop.Notifications.Notify on their session bus) in their language, naming the program, the reason and
// what to tell IT. The session is the refused process's own: its uid, its DBUS_SESSION_BUS_ADDRESS (or
// /run/user/UID/bus) and LANG/LC_* from /proc/PID/environ. `gdbus` is run as that user (the agent's own child: the
// native side allows it without asking). Rate-limited per user and per program; a machine without a session bus
// (headless, a service) only logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { reasonText, type Decision } from '@omamori/policy';
import { execEnvironment } from './exec-target.ts';
import type { ProcReader } from './proc.ts';

export interface DesktopNotifierOptions {
  proc: ProcReader;
  host: string;
  log: (line: string) => void;
  now: () => number;
  /** gdbus (libglib2.0-bin); tests may point elsewhere. */
  gdbus?: string;
  /** At most one notice per user in this many ms (default 10 s); the next one says how many were held back. */
  perUserMs?: number;
  /** The same program is not announced again to the same user for this long (default 5 min). */
  perObjectMs?: number;
}

export interface DesktopNotifier {
  /**
   * Call while the refused process still waits in the kernel (before the answer): its session is read then, from
   * the environment its execve passes (or its own), and the notice is sent after.
   */
  notify(pid: number, kind: string, d: Decision): void;
  readonly counts: Readonly<{ sent: number; suppressed: number; headless: number; failed: number }>;
  /** Stops notifier processes still running (by pid). */
  stop(): void;
}

type Lang = 'ja' | 'en';

const ENV_NAMES = ['DBUS_SESSION_BUS_ADDRESS', 'LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE', 'HOME'] as const;

const TEXT = {
  summary: { en: 'omamori stopped a program', ja: 'omamori がプログラムを止めました' },
  kind: {
    'process.start': { en: 'Program', ja: 'プログラム' },
    'module.load': { en: 'Library', ja: 'ライブラリ' },
    'script.read': { en: 'Script', ja: 'スクリプト' },
  } as Record<string, Record<Lang, string>>,
  why: { en: 'Why', ja: '理由' },
  tell: {
    en: 'If you need it, tell your IT department',
    ja: '必要な場合は IT 担当者に次を伝えてください',
  },
  more: { en: (n: number) => `(+${n} more held back)`, ja: (n: number) => `(ほかに ${n} 件)` },
};

/** A GVariant text literal of a string (gdbus parses its arguments as GVariant text). */
function gvString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function langOf(env: (name: string) => string | undefined): Lang {
  const l = env('LC_ALL') || env('LC_MESSAGES') || env('LANG') || env('LANGUAGE') || '';
  return l.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

function stamp(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function createDesktopNotifier(o: DesktopNotifierOptions): DesktopNotifier {
  const gdbus = o.gdbus ?? '/usr/bin/gdbus';
  const perUser = o.perUserMs ?? 10_000, perObject = o.perObjectMs ?? 300_000;
  const lastUser = new Map<number, number>();
  const held = new Map<number, number>();
  const lastObject = new Map<string, number>();
  const headlessLogged = new Map<number, number>();
  const running = new Set<ChildProcess>();
  const counts = { sent: 0, suppressed: 0, headless: 0, failed: 0 };

  function session(pid: number): { uid: number; gid: number; bus: string; lang: Lang; home?: string } | undefined {
    const uid = o.proc.uid(pid);
    if (uid === undefined) return undefined;
    // An exec refused: the environment it was to run with (the forked process's own is its parent's image's).
    const passed = execEnvironment(pid, ENV_NAMES);
    const env = (n: string) => (passed && n in passed ? passed[n] : o.proc.environ(pid, n));
    let bus = env('DBUS_SESSION_BUS_ADDRESS');
    if (!bus && existsSync(`/run/user/${uid}/bus`)) bus = `unix:path=/run/user/${uid}/bus`;
    if (!bus) return undefined;
    const gid = o.proc.gid?.(pid) ?? uid;
    const home = env('HOME');
    return { uid, gid, bus, lang: langOf(env), ...(home ? { home } : {}) };
  }

  function send(s: NonNullable<ReturnType<typeof session>>, kind: string, d: Decision, more: number): void {
    const object = d.object ?? d.lineage[d.lineage.length - 1]?.image ?? '?';
    const t = o.now();
    const what = TEXT.kind[kind]?.[s.lang] ?? kind;
    const body = [
      `${what}: ${basename(object)} (${object})`,
      `${TEXT.why[s.lang]}: ${reasonText(d.reason, s.lang)}`,
      `${TEXT.tell[s.lang]}: "omamori ${d.reason} ${object} ${o.host} ${stamp(t)}"`,
      ...(more > 0 ? [TEXT.more[s.lang](more)] : []),
    ].join('\n');
    const args = ['call', '--session', '--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications',
      '--method', 'org.freedesktop.Notifications.Notify', gvString('omamori'), 'uint32 0', gvString('dialog-warning'),
      gvString(TEXT.summary[s.lang]), gvString(body), '@as []', '{"urgency": <byte 2>}', 'int32 15000'];
    let child: ChildProcess;
    try {
      child = spawn(gdbus, args, {
        uid: s.uid, gid: s.gid, stdio: 'ignore', timeout: 5000,
        env: { DBUS_SESSION_BUS_ADDRESS: s.bus, PATH: '/usr/bin:/bin', ...(s.home ? { HOME: s.home } : {}) },
      });
    } catch (e) {
      counts.failed++;
      o.log(`desktop notice for uid ${s.uid} not sent: ${(e as Error).message}`);
      return;
    }
    running.add(child);
    child.on('error', (e) => { counts.failed++; o.log(`desktop notice for uid ${s.uid} not sent: ${e.message}`); });
    child.on('close', (code) => {
      running.delete(child);
      if (code === 0) counts.sent++;
      else if (code !== null) { counts.failed++; o.log(`desktop notice for uid ${s.uid} not sent: gdbus exited ${code}`); }
    });
  }

  return {
    notify(pid, kind, d) {
      const s = session(pid);
      if (!s) {
        counts.headless++;
        const uid = o.proc.uid(pid) ?? -1;
        const t = o.now();
        if (t - (headlessLogged.get(uid) ?? -Infinity) > 3_600_000) {
          headlessLogged.set(uid, t);
          o.log(`no desktop session for uid ${uid} (pid ${pid}): refusals are only logged`);
        }
        return;
      }
      const t = o.now();
      const object = d.object ?? '';
      const key = `${s.uid}\0${object}`;
      if (t - (lastObject.get(key) ?? -Infinity) < perObject || t - (lastUser.get(s.uid) ?? -Infinity) < perUser) {
        counts.suppressed++;
        held.set(s.uid, (held.get(s.uid) ?? 0) + 1);
        return;
      }
      lastUser.set(s.uid, t);
      lastObject.set(key, t);
      if (lastObject.size > 4096) lastObject.clear();
      const more = held.get(s.uid) ?? 0;
      held.delete(s.uid);
      send(s, kind, d, more);
    },
    counts,
    stop() {
      for (const c of running) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
      running.clear();
    },
  };
}
