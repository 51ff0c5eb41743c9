// The agent's enrollment state in its state directory: `sync.json` (console URL, agent id, group, the console's
// policy-signing key, the pinned TLS certificates, which key file is current) and the agent's Ed25519 private key
// (`agent-key*.pem`, mode 0600). A key file is never overwritten: a new key (enrollment, rotation) goes to a new
// file and becomes current only when `sync.json` is replaced, atomically, after the console accepted it — so a
// failed enrollment or rotation changes nothing of the identity in use.
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pin } from './transport.ts';

export interface Enrollment {
  consoleUrl: string;
  agentId: string;
  groupId: string;
  /** The console's Ed25519 policy-signing key (SPKI DER, base64). */
  consoleKey: string;
  /** The certificate pinned at enrollment. */
  pin?: Pin;
  /** Certificates announced later by the console (signed with its policy key), accepted as well. */
  pins?: Pin[];
  heartbeatSeconds: number;
  hostname: string;
  enrolledAt: number;
  /** The current private key's file in the state directory (absent: agent-key.pem, as older agents wrote). */
  keyFile?: string;
}

export const SYNC_FILE = 'sync.json';
export const KEY_FILE = 'agent-key.pem';

/** Writes a file atomically (temp file + rename), so a crash leaves the old or the new content, never half. */
export function writeAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** Every pinned certificate of an enrollment (the first one first). */
export function allPins(e: Pick<Enrollment, 'pin' | 'pins'>): Pin[] {
  return [...(e.pin ? [e.pin] : []), ...(e.pins ?? [])];
}

export interface NewKey { privateKey: KeyObject; publicKeyB64: string; file: string; pem: string }

/** A new key pair, in memory only; `writeKey` puts it in its own file. */
export function makeAgentKey(): NewKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey, publicKeyB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    file: `agent-key-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.pem`,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function writeKey(stateDir: string, k: NewKey): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(stateDir, k.file), k.pem, { mode: 0o600, flag: 'wx' });
}

export function saveEnrollment(stateDir: string, e: Enrollment): void {
  writeAtomic(join(stateDir, SYNC_FILE), JSON.stringify(e, null, 2) + '\n');
}

/** Removes key files other than the current one (after a successful switch). */
export function removeOldKeys(stateDir: string, current: string): void {
  for (const f of readdirSync(stateDir)) if (/^agent-key(-[\w-]+)?\.pem$/.test(f) && f !== current) rmSync(join(stateDir, f), { force: true });
}

export function loadEnrollment(stateDir: string): { enrollment: Enrollment; key: KeyObject } | undefined {
  const file = join(stateDir, SYNC_FILE);
  if (!existsSync(file)) return undefined;
  const enrollment = JSON.parse(readFileSync(file, 'utf8')) as Enrollment;
  const key = createPrivateKey(readFileSync(join(stateDir, enrollment.keyFile ?? KEY_FILE), 'utf8'));
  return { enrollment, key };
}
