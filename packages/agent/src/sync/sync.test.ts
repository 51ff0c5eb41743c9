// The agent side of sync: which signed policies are accepted (signature, target, rising (epoch, version), validator),
// that the last good one survives a restart and tampering (previous copy, floor — never a silent drop to audit), the
// outbox over the event store (cursor beside the events, keys, fitting to the shared limits, quarantine reports),
// machine facts, and the legacy spool's append/ack.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findPreset, loadPolicy, policySigningPayload, type PolicyEnvelope, type SignedPolicy } from '@omamori/policy';
import { checkSignedPolicy, loadSavedPolicy, savePolicy, type PolicyFloor } from './policy-check.ts';
import { openSpool } from './spool.ts';
import type { Enrollment } from './identity.ts';
import { createOutbox, fitEvent, toUploaded } from './outbox.ts';
import { hostFacts, parseUtmp } from './host-facts.ts';
import { hashFile, joinCommandLine, withEventFacts } from './event-facts.ts';
import { createProcReader } from '../proc.ts';
import { openEventStore } from '../event-store.ts';
import { checkHeartbeat, checkUploadedEvent, PROTOCOL_LIMITS, type Decision } from '@omamori/policy';

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

test('(epoch, version) order: a higher epoch is accepted with a lower version; the same epoch needs a higher version', () => {
  const code = (p: SignedPolicy, cur: { epoch: number; version: number }) => { const c = checkSignedPolicy(p, enrollment, cur); return c.ok ? 'ok' : c.code; };
  assert.equal(code(signed({ epoch: 200, version: 1 }), { epoch: 100, version: 9 }), 'ok');
  assert.equal(code(signed({ epoch: 100, version: 9 }), { epoch: 100, version: 9 }), 'VERSION');
  assert.equal(code(signed({ epoch: 99, version: 50 }), { epoch: 100, version: 9 }), 'VERSION');
  assert.equal(code(signed({ version: 10 }), { epoch: 0, version: 9 }), 'ok', 'envelopes of older consoles are epoch 0');
});

test('saved policy at start: verified again; a tampered current copy falls back to the previous one; an older signed file below the floor is refused; the floor keeps its own copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-sync-'));
  try {
    let floor: PolicyFloor | undefined;
    const fs = { get: () => floor, set: (f: PolicyFloor) => { floor = f; } };
    const v6 = signed({ version: 6, epoch: 5 });
    const v7 = signed({ version: 7, epoch: 5 });
    savePolicy(dir, v6, fs, 'enforce');
    savePolicy(dir, v7, fs, 'enforce');
    assert.deepEqual(floor, { epoch: 5, version: 7, mode: 'enforce', source: 'test', signed: v7 });
    let r = loadSavedPolicy(dir, enrollment, floor);
    assert.ok('signed' in r && r.signed.envelope.version === 7 && r.from === 'current');
    // Tampered current copy: the previous one (v6) still verifies — but it is below the floor (v7), so refused too;
    // the copy kept with the floor is used.
    const bad = signed({ version: 8, epoch: 5 }); bad.envelope.version = 9;
    writeFileSync(join(dir, 'console-policy.signed.json'), JSON.stringify(bad));
    r = loadSavedPolicy(dir, enrollment, floor);
    assert.ok('signed' in r && r.from === 'floor' && r.signed.envelope.version === 7);
    assert.match(r.refused.join('\n'), /console-policy\.signed\.json: SIGNATURE/);
    assert.match(r.refused.join('\n'), /console-policy\.prev\.signed\.json: VERSION/);
    // Without the floor the previous copy would be taken.
    r = loadSavedPolicy(dir, enrollment);
    assert.ok('signed' in r && r.from === 'previous' && r.signed.envelope.version === 6);
    // An older, validly signed file copied over the newer one, and the floor's copy tampered: nothing usable.
    writeFileSync(join(dir, 'console-policy.signed.json'), JSON.stringify(v6));
    const forged = structuredClone(v7); forged.envelope.policy = forged.envelope.policy.replace('"enforce"', '"audit"');
    r = loadSavedPolicy(dir, enrollment, { ...floor!, signed: forged });
    assert.ok(!('signed' in r), 'v6 is below the floor v7 and the floor copy does not verify');
    assert.match(r.refused.join('\n'), /floor.*SIGNATURE/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

const decision = (object: string): Decision => ({ verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: 'office@1', lineage: [{ pid: 1, image: '/sbin/init' }, { pid: 7, image: object }], object, cacheable: false });

test('outbox: the event store is the outbox (cursor beside the events), keys are stable per store, new events are announced', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-outbox-'));
  try {
    const store = openEventStore(dir, { write: true });
    let heard = 0;
    store.onAppend(() => { heard++; });
    const out = createOutbox(dir, store, () => {});
    store.record(1000, 'process.start', 7, decision('/home/u/a'), { sha256: 'A'.repeat(64), user: 'alice', commandLine: '/home/u/a --x', via: 'exec' });
    store.record(1001, 'process.start', 8, decision('/home/u/b'));
    assert.equal(heard, 2);
    assert.equal(out.count(), 2);
    const p = out.pending(10);
    assert.equal(p.length, 2);
    assert.match(p[0]!.event.key, /^[0-9a-f]{12}:\d+$/);
    assert.equal(p[0]!.event.sha256, 'a'.repeat(64), 'the SHA-256 the agent knows is a field of its own');
    assert.equal(p[0]!.event.user, 'alice');
    assert.equal(p[0]!.event.commandLine, '/home/u/a --x');
    assert.deepEqual(p[0]!.event.detail, { via: 'exec' });
    out.ack(p[0]!);
    store.close();
    // Reopened: the cursor was kept in events.db, the same keys come back.
    const again = openEventStore(dir, { write: true });
    const out2 = createOutbox(dir, again, () => {});
    assert.equal(out2.count(), 1);
    assert.equal(out2.pending(10)[0]!.event.key, p[1]!.event.key);
    // Keyed events (Windows read-back) with their cursor, in one transaction; a known key is skipped.
    out2.append([{ key: 'win/1', time: 5, verdict: 'deny', reason: 'R', rule: 'r', policyVersion: '1', kind: 'process.start', pid: 1, object: 'C:/x.exe', lineage: [] }], { name: 'windows.blocks.cursor', value: '{"time":5}' });
    out2.append([{ key: 'win/1', time: 5, verdict: 'deny', reason: 'R', rule: 'r', policyVersion: '1', kind: 'process.start', pid: 1, object: 'C:/x.exe', lineage: [] }]);
    assert.equal(out2.count(), 2);
    assert.equal(out2.meta('windows.blocks.cursor'), '{"time":5}');
    assert.equal(out2.pending(10)[1]!.event.key, 'win/1');
    again.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('outbox: events are fitted to the shared limits; what cannot fit is quarantined with a report, the rest flows', () => {
  const big = toUploaded({ id: 1, key: null, time: 1, verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'r', policyVersion: '1', kind: 'k', pid: 1, object: '/x',
    lineage: Array.from({ length: 100 }, (_, i) => ({ pid: i, image: `/p${i}` })), detail: { blob: 'z'.repeat(50_000) }, guarded: undefined as unknown as string }, 's');
  const f = fitEvent({ ...big, commandLine: 'c'.repeat(20_000) });
  assert.equal(f.problem, undefined);
  assert.equal(f.event.lineage.length, PROTOCOL_LIMITS.lineage);
  assert.equal(f.event.lineage.at(-1)!.image, '/p99', 'the nearest steps are kept');
  assert.match(String((f.event.detail as { omitted: string }).omitted), /detail not sent/);
  assert.equal(f.event.commandLine!.length, PROTOCOL_LIMITS.commandLine);
  assert.equal(checkUploadedEvent(f.event), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'omamori-outbox-'));
  try {
    const store = openEventStore(dir, { write: true });
    const out = createOutbox(dir, store, () => {});
    store.record(1, 'process.start', 1, decision('/home/u/ok-1'));
    store.record(2, 'process.start', 2, decision('/home/u/bad\u0000name'));
    store.record(3, 'process.start', 3, decision('/home/u/ok-2'));
    const first = out.pending(10);
    assert.deepEqual(first.map((i) => i.event.object), ['/home/u/ok-1'], 'stops before the bad one');
    out.ack(first[0]!);
    const second = out.pending(10);
    assert.deepEqual(second.map((i) => i.event.object), ['/home/u/ok-2'], 'the bad one is skipped with a report');
    const reports = out.reports();
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.code, 'NUL');
    assert.ok(!reports[0]!.excerpt.includes('\u0000'));
    out.clearReports([reports[0]!.key]);
    assert.equal(out.reports().length, 0);
    store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('utmp: logged-in users are read from USER_PROCESS records', () => {
  const rec = (type: number, user: string) => { const b = Buffer.alloc(384); b.writeInt16LE(type, 0); b.write(user, 44); return b; };
  assert.deepEqual(parseUtmp(Buffer.concat([rec(7, 'alice'), rec(8, 'ghost'), rec(7, 'bob'), rec(7, 'alice'), rec(2, 'reboot')])), ['alice', 'bob']);
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

test('event facts: a logged event carries the subject user, its command line and the SHA-256 of the file (from /proc), lifted into the upload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-facts-'));
  try {
    const file = join(dir, 'dropped payload.bin');
    writeFileSync(file, 'MZ not really a program');
    const passwd = join(dir, 'passwd');
    const uid = process.getuid?.() ?? 0;
    writeFileSync(passwd, `someone:x:4242:4242::/:/bin/sh\nthe-tester:x:${uid}:0::/:/bin/sh\n`);
    const store = openEventStore(dir, { write: true });
    const sink = withEventFacts(store, { proc: createProcReader(), passwd });
    const d: Decision = { verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: 'p@1', lineage: [{ pid: process.pid, image: process.execPath }], object: file, cacheable: false };
    sink.record(1, 'process.start', process.pid, d, { via: 'exec' });
    sink.record(2, 'process.start', 999_999_999, { ...d, object: join(dir, 'gone') });
    const rows = store.after(0, 10);
    const up = toUploaded(rows[0]!, 's');
    assert.equal(up.user, 'the-tester');
    assert.equal(up.sha256, createHash('sha256').update('MZ not really a program').digest('hex'));
    assert.ok(up.commandLine?.includes('sync.test.ts'), up.commandLine);
    assert.deepEqual(up.detail, { via: 'exec' }, 'the lifted facts leave the detail');
    assert.equal(checkUploadedEvent(up), undefined);
    // A process that is gone and a file that is not there: nothing invented.
    const gone = toUploaded(rows[1]!, 's');
    assert.equal(gone.user, undefined); assert.equal(gone.commandLine, undefined); assert.equal(gone.sha256, undefined);
    store.close();
    assert.equal(joinCommandLine(['/bin/sh', '-c', 'echo a b', '']), '/bin/sh -c "echo a b" ""');
    assert.equal(hashFile(dir), undefined, 'a folder is not hashed');
    assert.equal(hashFile(file, 4), undefined, 'a file over the limit is not hashed');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('host facts: OS, kernel, addresses, uptime from this machine, within the protocol limits', () => {
  const f = hostFacts({ utmp: '/nonexistent' });
  assert.ok(f.os && f.kernel?.startsWith('Linux '), JSON.stringify(f));
  assert.ok((f.uptimeSeconds ?? 0) > 0);
  assert.ok(Array.isArray(f.addresses) && Array.isArray(f.users));
  assert.equal(checkHeartbeat({ state: 'sync-only', agentVersion: '1', policyVersion: 0, spooled: 0, host: f }), undefined);
});
