// EmoCheck v2.0 methods V1 and V2 (docs/emocheck.md; spec README "Checks", tables.json v1_*, v2_registry):
// the process name derived from the system volume serial, and the name kept XOR-encoded under Explorer.
import { V1_JOINED } from './tables.ts';
import { EXPLORER_KEYS, type Snapshot, type SnapshotProcess } from './snapshot.ts';
import type { Finding } from './findings.ts';

/** The word at position p of the joined keyword string, with EmoCheck's quirk: when no comma is found scanning
 * back to index 1, the word starts at p itself (p = 1..3 cuts the first word). */
export function v1WordAt(p: number, joined: string = V1_JOINED): string {
  let start = p;
  for (let i = p; i >= 1; i--) {
    if (joined[i] === ',') { start = i + 1; break; }
  }
  const end = joined.indexOf(',', start);
  return joined.slice(start, end < 0 ? undefined : end);
}

export function v1Positions(serial: number, len: number = V1_JOINED.length): { p1: number; p2: number } {
  return { p1: serial % len, p2: (0xffffffff - Math.floor(serial / len)) % len };
}

/** V1: the Emotet process name for a volume serial (u32). */
export function v1ProcessName(serial: number): string {
  const { p1, p2 } = v1Positions(serial);
  return `${v1WordAt(p1)}${v1WordAt(p2)}.exe`;
}

/** V2: the Explorer value name for a serial: lowercase hex, no padding. */
export function v2ValueName(serial: number): string {
  return serial.toString(16);
}

/** V2: XOR the data with the serial's 4 little-endian bytes, keep 0x21..0x7D, append ".exe". */
export function v2DecodeName(data: Uint8Array, serial: number): string {
  const key = [serial & 0xff, (serial >>> 8) & 0xff, (serial >>> 16) & 0xff, (serial >>> 24) & 0xff];
  let s = '';
  data.forEach((b, i) => {
    const c = b ^ key[i % 4]!;
    if (c > 0x20 && c < 0x7e) s += String.fromCharCode(c);
  });
  return `${s}.exe`;
}

export function hexToBytes(hex: string): Uint8Array | null {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function processFinding(p: SnapshotProcess): Finding['process'] {
  return { pid: p.pid, name: p.name, imagePath: p.imagePath, commandLine: p.commandLine };
}
const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export function checkV1(snap: Snapshot, serial: number): { name: string; findings: Finding[] } {
  const name = v1ProcessName(serial);
  const findings = snap.processes.filter((p) => sameName(p.name, name)).map((p): Finding => ({
    code: 'V1_PROCESS', method: 'v1', severity: 'infected', emocheckEquivalent: true,
    process: processFinding(p),
    file: p.imagePath ? { path: p.imagePath, size: null, sha256: null } : null,
    registryKey: null, autostart: null,
    evidence: { expectedName: name, volumeSerial: snap.systemVolumeSerial.toUpperCase() },
  }));
  return { name, findings };
}

export function checkV2(snap: Snapshot, serial: number): { names: { key: string; name: string }[]; findings: Finding[] } {
  const valueName = v2ValueName(serial);
  const names: { key: string; name: string }[] = [];
  const findings: Finding[] = [];
  for (const key of EXPLORER_KEYS) {
    const k = snap.registry.find((r) => sameName(r.key, key));
    const v = k?.values.find((x) => sameName(x.name, valueName) && x.type === 'REG_BINARY');
    const bytes = v ? hexToBytes(v.data) : null;
    if (!v || !bytes) continue;
    const name = v2DecodeName(bytes, serial);
    const registryKey = `${key}\\${v.name}`;
    names.push({ key: registryKey, name });
    const procs = snap.processes.filter((p) => sameName(p.name, name));
    const evidence = { decodedName: name, valueName, volumeSerial: snap.systemVolumeSerial.toUpperCase() };
    for (const p of procs) {
      findings.push({ code: 'V2_PROCESS', method: 'v2', severity: 'infected', emocheckEquivalent: true,
        process: processFinding(p), file: p.imagePath ? { path: p.imagePath, size: null, sha256: null } : null,
        registryKey, autostart: null, evidence });
    }
    if (procs.length === 0) {
      findings.push({ code: 'V2_REGISTRY', method: 'v2', severity: 'review', emocheckEquivalent: false,
        process: null, file: null, registryKey, autostart: null, evidence });
    }
  }
  return { names, findings };
}
