// The agent side of sync: which signed policies are accepted (signature, target, rising version, validator), that
// the last good one survives a restart, and the spool's append/ack and cursor transaction.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findPreset, loadPolicy, policySigningPayload, type PolicyEnvelope, type SignedPolicy } from '@omamori/policy';
import { checkSignedPolicy, loadSavedPolicy, savePolicy } from './policy-check.ts';
import { openSpool } from './spool.ts';
import type { Enrollment } from './identity.ts';

const consoleKeys = generateKeyPairSync('ed25519');
const enrollment: Enrollment = {
  consoleUrl: 'https://127.0.0.1:1', agentId: 'agent-1', groupId: 'group-1', heartbeatSeconds: 30, hostname: 'h', enrolledAt: 0,
  consoleKey: consoleKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
};
const office = JSON.stringify(loadPolicy(findPreset('office')!.text).policy);

function signed(over: Partial<PolicyEnvelope> = {}, key = consoleKeys.privateKey): SignedPolicy {
  const envelope: PolicyEnvelope = { protocol: 1, target: { kind: 'agent', id: 'agent-1' }, version: 2, issuedAt: 0, source: 'test', policy: office, exceptions: [], ...over };
  return { envelope, signature: sign(null, Buffer.from(policySigningPayload(envelope)), key).toString('base64') };
}

test('a signed policy for this agent or its group with a higher version is accepted', () => {
  assert.equal(checkSignedPolicy(signed(), enrollment, 1).ok, true);
  assert.equal(checkSignedPolicy(signed({ target: { kind: 'group', id: 'group-1' } }), enrollment, 1).ok, true);
});

test('refused: other key, tampered envelope, other target, same or lower version, invalid policy', () => {
  const other = generateKeyPairSync('ed25519').privateKey;
  const code = (p: SignedPolicy, v = 1) => { const c = checkSignedPolicy(p, enrollment, v); return c.ok ? 'ok' : c.code; };
  assert.equal(code(signed({}, other)), 'SIGNATURE');
  const t = signed(); t.envelope.policy = t.envelope.policy.replace('"enforce"', '"audit"');
  assert.equal(code(t), 'SIGNATURE');
  assert.equal(code(signed({ target: { kind: 'agent', id: 'agent-2' } })), 'TARGET');
  assert.equal(code(signed({ target: { kind: 'group', id: 'group-2' } })), 'TARGET');
  assert.equal(code(signed({ version: 1 })), 'VERSION');
  assert.equal(code(signed({ version: 3 }), 5), 'VERSION');
  assert.equal(code(signed({ policy: '{"omamori": 1, "mode": "sideways"}' })), 'INVALID');
  assert.equal(code({} as SignedPolicy), 'MALFORMED');
});

test('the saved policy is verified again at start; a tampered file is not used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-sync-'));
  try {
    savePolicy(dir, signed({ version: 7 }));
    assert.equal(loadSavedPolicy(dir, enrollment)?.signed.envelope.version, 7);
    const bad = signed({ version: 8 }); bad.envelope.version = 9;
    writeFileSync(join(dir, 'console-policy.signed.json'), JSON.stringify(bad));
    assert.equal(loadSavedPolicy(dir, enrollment), undefined);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('spool: keys kept, order kept, ack drops only what was acknowledged, survives reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-spool-'));
  try {
    const ev = (pid: number, key?: string) => ({ ...(key ? { key } : {}), time: 1, verdict: 'deny' as const, reason: 'R', rule: 'r', policyVersion: '1', kind: 'process.start', pid, object: '/x', lineage: [] });
    let s = openSpool(dir);
    s.append([ev(1, 'a'), ev(2, 'b'), ev(3)], { name: 'cursor', value: '3' });
    s.append([ev(4, 'a')]); // same key: ignored
    assert.equal(s.count(), 3);
    const first = s.peek(2);
    assert.deepEqual(first.map((r) => r.event.key), ['a', 'b']);
    s.ack(first[1]!.seq);
    s.close();
    s = openSpool(dir);
    assert.equal(s.count(), 1);
    assert.equal(s.peek(10)[0]!.event.pid, 3);
    assert.match(s.peek(10)[0]!.event.key, /^[0-9a-f-]{36}$/);
    assert.equal(s.meta('cursor'), '3');
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
