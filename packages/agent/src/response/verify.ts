// `verifyEvidence`: re-checks a bundle — archive structure, manifest against manifest.sha256, and every part's
// size and sha256 against the manifest — and names each part that differs. This detects accidental or careless
// change; someone who rewrites parts AND the manifest is caught only by the bundle sha256 recorded elsewhere at
// collection time (the CLI prints it; keep it in the incident ticket).
import { createHash } from 'node:crypto';
import { closeSync, statSync } from 'node:fs';
import { openQuietly, streamFd } from './read-only.ts';
import { listTar, readEntry, type TarEntry } from './tar.ts';
import {
  EVIDENCE_FORMAT, EVIDENCE_VERSION, MANIFEST_HASH_NAME, MANIFEST_NAME, type EvidenceManifest, type VerifyIssue,
} from './manifest.ts';

export interface EvidenceVerifyResult {
  ok: boolean;
  issues: VerifyIssue[];
  manifest?: EvidenceManifest;
  /** Parts whose hash matched. */
  verified: number;
  bundleSha256?: string;
}

function entryBytes(path: string, e: TarEntry): Buffer {
  const chunks: Buffer[] = [];
  readEntry(path, e, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

function entryHash(path: string, e: TarEntry): string {
  const h = createHash('sha256');
  readEntry(path, e, (c) => h.update(c));
  return h.digest('hex');
}

export function verifyEvidence(path: string): EvidenceVerifyResult {
  const issues: VerifyIssue[] = [];
  let bundleSha256: string;
  try {
    if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    const fd = openQuietly(path);
    try { bundleSha256 = streamFd(fd).sha256; } finally { closeSync(fd); }
  } catch (e) {
    return { ok: false, verified: 0, issues: [{ code: 'UNREADABLE', part: path, message: (e as NodeJS.ErrnoException).code ?? String(e) }] };
  }
  const { entries, faults } = listTar(path);
  for (const f of faults) issues.push({ code: 'CONTAINER', part: f.entry ?? `offset ${f.offset}`, message: `${f.message} (byte offset ${f.offset})` });

  const byName = new Map<string, TarEntry>();
  for (const e of entries) {
    if (byName.has(e.name)) issues.push({ code: 'PART_DUPLICATE', part: e.name, message: 'appears more than once in the archive' });
    else byName.set(e.name, e);
  }
  const mEntry = byName.get(MANIFEST_NAME);
  if (!mEntry) {
    issues.push({ code: 'NO_MANIFEST', part: MANIFEST_NAME, message: 'the archive has no manifest.json' });
    return { ok: false, issues, verified: 0, bundleSha256 };
  }
  const mBytes = entryBytes(path, mEntry);
  const hEntry = byName.get(MANIFEST_HASH_NAME);
  const stated = hEntry ? /^([0-9a-f]{64})\s/.exec(entryBytes(path, hEntry).toString('utf8'))?.[1] : undefined;
  const actual = createHash('sha256').update(mBytes).digest('hex');
  if (!hEntry) issues.push({ code: 'MANIFEST_HASH', part: MANIFEST_HASH_NAME, message: 'missing' });
  else if (stated !== actual) issues.push({ code: 'MANIFEST_HASH', part: MANIFEST_NAME, message: `sha256 ${actual} does not match manifest.sha256 (${stated ?? 'unreadable'})` });

  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(mBytes.toString('utf8')) as EvidenceManifest;
    if (manifest?.format !== EVIDENCE_FORMAT || manifest.version !== EVIDENCE_VERSION || !Array.isArray(manifest.parts)) {
      throw new Error(`not an ${EVIDENCE_FORMAT} v${EVIDENCE_VERSION} manifest`);
    }
  } catch (e) {
    issues.push({ code: 'MANIFEST_INVALID', part: MANIFEST_NAME, message: e instanceof Error ? e.message : String(e) });
    return { ok: false, issues, verified: 0, bundleSha256 };
  }

  let verified = 0;
  const listed = new Set<string>([MANIFEST_NAME, MANIFEST_HASH_NAME]);
  for (const p of manifest.parts) {
    listed.add(p.name);
    const e = byName.get(p.name);
    if (!e) { issues.push({ code: 'PART_MISSING', part: p.name, message: 'listed in the manifest, not in the archive' }); continue; }
    if (e.size !== p.size) { issues.push({ code: 'PART_SIZE', part: p.name, message: `${e.size} bytes, manifest says ${p.size}` }); continue; }
    const h = entryHash(path, e);
    if (h !== p.sha256) issues.push({ code: 'PART_HASH', part: p.name, message: `sha256 ${h}, manifest says ${p.sha256}` });
    else verified++;
  }
  for (const e of entries) if (!listed.has(e.name)) issues.push({ code: 'PART_EXTRA', part: e.name, message: 'in the archive but not in the manifest' });
  return { ok: issues.length === 0, issues, manifest, verified, bundleSha256 };
}
