// The agent's enrollment state in its state directory: `sync.json` (console URL, agent id, group, the console's
// policy-signing key, the pinned TLS certificate) and `agent-key.pem` (its own Ed25519 private key, mode 0600).
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pin } from './transport.ts';

export interface Enrollment {
  consoleUrl: string;
  agentId: string;
  groupId: string;
  /** The console's Ed25519 policy-signing key (SPKI DER, base64). */
  consoleKey: string;
  pin?: Pin;
  heartbeatSeconds: number;
  hostname: string;
  enrolledAt: number;
}

export const SYNC_FILE = 'sync.json';
export const KEY_FILE = 'agent-key.pem';

/** Writes a file atomically (temp file + rename), so a crash leaves the old or the new content, never half. */
export function writeAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export function newAgentKey(stateDir: string): { privateKey: KeyObject; publicKeyB64: string } {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeAtomic(join(stateDir, KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return { privateKey, publicKeyB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

export function saveEnrollment(stateDir: string, e: Enrollment): void {
  writeAtomic(join(stateDir, SYNC_FILE), JSON.stringify(e, null, 2) + '\n');
}

export function loadEnrollment(stateDir: string): { enrollment: Enrollment; key: KeyObject } | undefined {
  const file = join(stateDir, SYNC_FILE);
  if (!existsSync(file)) return undefined;
  const enrollment = JSON.parse(readFileSync(file, 'utf8')) as Enrollment;
  const key = createPrivateKey(readFileSync(join(stateDir, KEY_FILE), 'utf8'));
  return { enrollment, key };
}
