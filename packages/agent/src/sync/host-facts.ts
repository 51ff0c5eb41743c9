// What the agent reports of its machine in each heartbeat, shown on the endpoint page: OS and kernel, addresses,
// who is logged in (utmp), uptime. Read cheaply each time; every field is bounded by the shared protocol limits.
import { readFileSync } from 'node:fs';
import { arch, networkInterfaces, release, type as osType, uptime, version } from 'node:os';
import { PROTOCOL_LIMITS, type HostFacts } from '@omamori/policy';

/** glibc x86-64/aarch64 `struct utmp`: 384 bytes; ut_type at 0 (USER_PROCESS = 7), ut_user at 44 (32 bytes). */
export function parseUtmp(buf: Buffer): string[] {
  const users = new Set<string>();
  for (let off = 0; off + 384 <= buf.length; off += 384) {
    if (buf.readInt16LE(off) !== 7) continue;
    const raw = buf.subarray(off + 44, off + 76);
    const end = raw.indexOf(0);
    const name = raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
    if (/^[\w.@-]{1,64}$/.test(name)) users.add(name);
  }
  return [...users];
}

function osName(): string {
  if (process.platform === 'linux') {
    try {
      const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
      if (m?.[1]) return m[1];
    } catch { /* no os-release */ }
  }
  return `${osType()} ${version()}`;
}

export function hostFacts(opts: { utmp?: string } = {}): HostFacts {
  const L = PROTOCOL_LIMITS;
  const cut = (s: string, max: number = L.hostFactString) => s.replace(/[\u0000-\u001f]/g, ' ').slice(0, max);
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal && addresses.length < L.hostFactList) addresses.push(cut(a.address, 64));
  let users: string[] = [];
  if (process.platform === 'linux') { try { users = parseUtmp(readFileSync(opts.utmp ?? '/run/utmp')).slice(0, L.hostFactList); } catch { users = []; } }
  const up = Math.min(L.int32Max, Math.floor(uptime()));
  return { os: cut(osName()), kernel: cut(`${osType()} ${release()}`), arch: cut(arch(), 32), addresses, users, uptimeSeconds: up, bootTime: Date.now() - up * 1000 };
}
