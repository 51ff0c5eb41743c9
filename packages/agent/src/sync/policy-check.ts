// Accepting a policy from the console: the signature must verify with the console key pinned at enrollment, the
// target must be this agent or its group, its (epoch, version) must be above the one in force, and the text must load
// through `loadPolicy`. Anything else is refused and the last good policy stays in force, in its mode.
// On disk: the accepted policy (`console-policy.signed.json`) and the one before it (`….prev.signed.json`), both
// verified again at every start, and the FLOOR — the highest (epoch, version, mode) ever accepted, with a copy of
// that signed policy — kept apart from them (in the outbox's state, events.db). At start the newest copy that
// verifies and is not below the floor is used (the floor's own copy included, so a tampered or deleted policy file
// still leaves the last good policy in force, in its mode); an older signed file put in place of the newer one is
// refused. When no copy is usable at all, the agent does not fall back to audit: it runs the default preset in the
// floor's mode and tells the console in each heartbeat (`policyMissing`) until the console issues a version above.
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { comparePolicyOrder, loadPolicy, policySigningPayload, type PolicyDocument, type SignedPolicy } from '@omamori/policy';
import { writeAtomic, type Enrollment } from './identity.ts';

export const SIGNED_POLICY_FILE = 'console-policy.signed.json';
export const PREVIOUS_POLICY_FILE = 'console-policy.prev.signed.json';
export const POLICY_TEXT_FILE = 'console-policy.json';

export interface PolicyOrder { epoch: number; version: number }
/** The highest policy ever accepted: its order and mode (what the agent keeps enforcing when its copies are lost). */
export interface PolicyFloor extends PolicyOrder {
  mode: string; source: string;
  /** The identity it belongs to. */
  agentId?: string;
  /** The accepted policy itself (verified again before use, like the files). */
  signed?: SignedPolicy;
}
export interface FloorStore { get(): PolicyFloor | undefined; set(f: PolicyFloor): void }

export type PolicyCheck = { ok: true; doc: PolicyDocument } | { ok: false; code: 'SIGNATURE' | 'TARGET' | 'VERSION' | 'INVALID' | 'MALFORMED'; message: string };

const orderOf = (p: SignedPolicy): PolicyOrder => ({ epoch: p.envelope.epoch ?? 0, version: p.envelope.version });

export function checkSignedPolicy(p: SignedPolicy, e: Pick<Enrollment, 'agentId' | 'groupId' | 'consoleKey'>, current: number | PolicyOrder): PolicyCheck {
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
  const cur: PolicyOrder = typeof current === 'number' ? { epoch: 0, version: current } : current;
  // Against a bare version (older callers) only versions are compared.
  const mine = typeof current === 'number' ? { epoch: 0, version: p.envelope.version } : orderOf(p);
  if (!(comparePolicyOrder(mine, cur) > 0)) {
    return { ok: false, code: 'VERSION', message: `epoch ${mine.epoch} version ${mine.version} is not above epoch ${cur.epoch} version ${cur.version}` };
  }
  const loaded = loadPolicy(p.envelope.policy);
  if (!loaded.policy) return { ok: false, code: 'INVALID', message: loaded.problems.map((x) => `${x.line}:${x.column} ${x.code}`).join(', ') };
  return { ok: true, doc: loaded.policy };
}

/** Keeps the accepted policy (the one before it becomes the previous copy) and raises the floor. */
export function savePolicy(stateDir: string, p: SignedPolicy, floor?: FloorStore, mode?: string): void {
  const cur = join(stateDir, SIGNED_POLICY_FILE);
  if (existsSync(cur)) renameSync(cur, join(stateDir, PREVIOUS_POLICY_FILE));
  writeAtomic(cur, JSON.stringify(p) + '\n');
  writeAtomic(join(stateDir, POLICY_TEXT_FILE), p.envelope.policy + '\n', 0o644);
  if (floor && mode) floor.set({ ...orderOf(p), mode, source: p.envelope.source, signed: p });
}

/** Writes the policy files again from a verified copy (the floor's), leaving the previous copy as it is. */
export function restorePolicyFiles(stateDir: string, p: SignedPolicy): void {
  writeAtomic(join(stateDir, SIGNED_POLICY_FILE), JSON.stringify(p) + '\n');
  writeAtomic(join(stateDir, POLICY_TEXT_FILE), p.envelope.policy + '\n', 0o644);
}

export type SavedPolicy = { signed: SignedPolicy; doc: PolicyDocument; from: 'current' | 'previous' | 'floor' };

/**
 * The stored policy to run at start: the newest copy that verifies and is not below the floor (the files first, then
 * the floor's own copy). `refused` says what was found unusable (for the log).
 */
export function loadSavedPolicy(stateDir: string, e: Enrollment, floor?: PolicyFloor): (SavedPolicy & { refused: string[] }) | { refused: string[] } {
  const refused: string[] = [];
  const below: PolicyOrder = floor ? { epoch: floor.epoch, version: floor.version - 1 } : { epoch: 0, version: 0 };
  let best: SavedPolicy | undefined;
  const consider = (name: string, signed: SignedPolicy, from: SavedPolicy['from']) => {
    const c = checkSignedPolicy(signed, e, below);
    if (!c.ok) { refused.push(`${name}: ${c.code} (${c.message})`); return; }
    if (!best || comparePolicyOrder(orderOf(signed), orderOf(best.signed)) > 0) best = { signed, doc: c.doc, from };
  };
  for (const [file, from] of [[SIGNED_POLICY_FILE, 'current'], [PREVIOUS_POLICY_FILE, 'previous']] as const) {
    const path = join(stateDir, file);
    if (!existsSync(path)) continue;
    let signed: SignedPolicy;
    try { signed = JSON.parse(readFileSync(path, 'utf8')) as SignedPolicy; } catch { refused.push(`${file}: not JSON`); continue; }
    consider(file, signed, from);
  }
  if (floor?.signed) consider('the copy kept with the floor (events.db)', floor.signed, 'floor');
  return best ? { ...best, refused } : { refused };
}
