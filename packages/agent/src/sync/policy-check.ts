// Accepting a policy from the console: the signature must verify with the console key pinned at enrollment, the
// target must be this agent or its group, the version must go up, and the text must load through `loadPolicy`.
// Anything else is refused and the last good policy stays in force. The accepted policy is kept on disk
// (`console-policy.signed.json`, verified again at every start) and its text in `console-policy.json`.
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy, policySigningPayload, type PolicyDocument, type SignedPolicy } from '@omamori/policy';
import { writeAtomic, type Enrollment } from './identity.ts';

export const SIGNED_POLICY_FILE = 'console-policy.signed.json';
export const POLICY_TEXT_FILE = 'console-policy.json';

export type PolicyCheck = { ok: true; doc: PolicyDocument } | { ok: false; code: 'SIGNATURE' | 'TARGET' | 'VERSION' | 'INVALID' | 'MALFORMED'; message: string };

export function checkSignedPolicy(p: SignedPolicy, e: Pick<Enrollment, 'agentId' | 'groupId' | 'consoleKey'>, currentVersion: number): PolicyCheck {
  if (!p || typeof p !== 'object' || !p.envelope || typeof p.signature !== 'string') return { ok: false, code: 'MALFORMED', message: 'not a signed policy' };
  let good = false;
  try {
    const key = createPublicKey({ key: Buffer.from(e.consoleKey, 'base64'), format: 'der', type: 'spki' });
    good = verify(null, Buffer.from(policySigningPayload(p.envelope)), key, Buffer.from(p.signature, 'base64'));
  } catch { good = false; }
  if (!good) return { ok: false, code: 'SIGNATURE', message: 'the signature does not verify with the console key' };
  const t = p.envelope.target;
  if (!(t.kind === 'agent' && t.id === e.agentId) && !(t.kind === 'group' && t.id === e.groupId)) {
    return { ok: false, code: 'TARGET', message: `the policy is for ${t.kind} ${t.id}` };
  }
  if (!(p.envelope.version > currentVersion)) return { ok: false, code: 'VERSION', message: `version ${p.envelope.version} does not go above ${currentVersion}` };
  const loaded = loadPolicy(p.envelope.policy);
  if (!loaded.policy) return { ok: false, code: 'INVALID', message: loaded.problems.map((x) => `${x.line}:${x.column} ${x.code}`).join(', ') };
  return { ok: true, doc: loaded.policy };
}

export function savePolicy(stateDir: string, p: SignedPolicy): void {
  writeAtomic(join(stateDir, SIGNED_POLICY_FILE), JSON.stringify(p) + '\n');
  writeAtomic(join(stateDir, POLICY_TEXT_FILE), p.envelope.policy + '\n', 0o644);
}

/** The stored policy, verified again (version floor 0); undefined when none or when it no longer verifies. */
export function loadSavedPolicy(stateDir: string, e: Enrollment): { signed: SignedPolicy; doc: PolicyDocument } | undefined {
  const file = join(stateDir, SIGNED_POLICY_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const signed = JSON.parse(readFileSync(file, 'utf8')) as SignedPolicy;
    const c = checkSignedPolicy(signed, e, 0);
    return c.ok ? { signed, doc: c.doc } : undefined;
  } catch { return undefined; }
}
