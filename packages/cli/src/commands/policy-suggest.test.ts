// `omamori policy suggest` end to end through the CLI: from an agent's events.db (files on this machine: hash,
// admin-owned folder), from a replay JSON of a real recording (hashes from Sysmon) and from a console export
// (publishers). The written policy passes `policy check` and allows exactly what it said it would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openEventStore } from '@omamori/agent';
import type { Decision } from '@omamori/policy';
import type { ReplayResult } from '@omamori/replay';
import { main } from '../main.ts';

async function run(argv: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const { Readable } = await import('node:stream');
  const code = await main(argv, { LANG: 'C' }, { out: (s) => { out += s; }, err: (s) => { err += s; }, stdin: Readable.from([stdin ?? '']) });
  return { code, out, err };
}

function dataPath(rel: string): string {
  const root = resolve(process.env.OMAMORI_ROOT ?? new URL('../../../..', import.meta.url).pathname);
  const p = join(process.env.OMAMORI_DATA ?? join(root, '../shared/data'), rel);
  if (!existsSync(p)) throw new Error(`shared recording missing: ${p} (set OMAMORI_DATA)`);
  return p;
}

const decision = (reason: string, object: string, verdict: Decision['verdict'] = 'audit-deny'): Decision => ({
  verdict, reason: reason as Decision['reason'], rule: 'r', policyVersion: 'audit@1', lineage: [{ pid: 1, image: '/usr/bin/bash' }], cacheable: false, object,
});

test('policy suggest from an agent events.db: identical events grouped; hashes of the files on this machine; the new policy checks and allows them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-suggest-'));
  const opt = mkdtempSync('/opt/omamori-suggest-');
  try {
    const tool = join(dir, 'home', 'report-tool');
    mkdirSync(join(dir, 'home'));
    writeFileSync(tool, '#!/bin/sh\necho report\n');
    mkdirSync(join(opt, 'bin'));
    chmodSync(opt, 0o755);
    const agent = join(opt, 'bin', 'vendor-agent');
    writeFileSync(agent, 'ELF-ish bytes');
    const state = join(dir, 'state');
    const store = openEventStore(state, { write: true });
    for (let i = 0; i < 3; i++) store.record(1_700_000_000_000 + i, 'process.start', 100 + i, decision('USER_SPACE_EXEC', tool));
    store.record(1_700_000_000_010, 'process.start', 200, decision('LOCKDOWN_UNTRUSTED', agent, 'deny'));
    store.record(1_700_000_000_020, 'process.start', 300, decision('GUARDED_CHILD_DENIED', '/usr/bin/curl'));
    store.close();
    const out = join(dir, 'suggested.yaml');
    const r = await run(['policy', 'suggest', '--from', join(state, 'events.db'), '--preset', 'strict', '--out', out, '--lang', 'en']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^5 refused events read from .*events\.db \(events\.db\)/);
    const sha = createHash('sha256').update(readFileSync(tool)).digest('hex');
    assert.match(r.out, new RegExp(`trust\\.hashes: ${sha} \\(report-tool\\)\\n   would allow 3 events of 1 program:\\n\\s+3× ${tool.replace(/[/.-]/g, '\\$&')}  USER_SPACE_EXEC`));
    // Lockdown trusts signatures, packages and hashes only: the vendor agent in /opt gets a hash too.
    const agentSha = createHash('sha256').update(readFileSync(agent)).digest('hex');
    assert.match(r.out, new RegExp(`trust\\.hashes: ${agentSha} \\(vendor-agent\\)\\n   would allow 1 event of 1 program`));
    assert.match(r.out, /1× \/usr\/bin\/curl  GUARDED_CHILD_DENIED  — a guarded-application rule/);
    assert.match(r.out, /^-version: 1$/m);
    assert.match(r.out, /^\+version: 2$/m);
    const check = await run(['policy', 'check', out]);
    assert.equal(check.code, 0, check.out + check.err);
    assert.match(check.out, /valid \(strict@2, lockdown\)/);
    // The suggested policy allows what was refused: decide the same starts again.
    const events = [
      { v: 1, platform: 'linux', kind: 'process.start', proc: { pid: 10, start: 1, image: tool, sha256: sha } },
      { v: 1, platform: 'linux', kind: 'process.start', proc: { pid: 11, start: 2, image: agent, sha256: createHash('sha256').update(readFileSync(agent)).digest('hex') } },
    ].map((e) => JSON.stringify(e)).join('\n');
    const before = await run(['decide', '--preset', 'strict'], events);
    assert.deepEqual(before.out.trim().split('\n').map((l) => (JSON.parse(l) as Decision).reason), ['USER_SPACE_EXEC', 'LOCKDOWN_UNTRUSTED']);
    const after = await run(['decide', '--policy', out], events);
    assert.deepEqual(after.out.trim().split('\n').map((l) => (JSON.parse(l) as Decision).reason), ['ALLOW_TRUSTED_HASH', 'ALLOW_TRUSTED_HASH']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(opt, { recursive: true, force: true });
  }
});

test('policy suggest from a replay JSON: hashes Sysmon logged; replaying with the new policy no longer stops those programs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-suggest-'));
  try {
    const rec = dataPath('evtx-attack-samples/Credential Access/sysmon_10_11_outlfank_dumpert_and_andrewspecial_memdump.evtx');
    const json = join(dir, 'replay.json');
    assert.equal((await run(['replay', '--format', 'json', '--out', json, rec])).code, 1);
    const out = join(dir, 'new.yaml');
    const r = await run(['policy', 'suggest', '--from', json, '--out', out, '--json']);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { source: string; suggestions: { entry: { kind: string; note?: string }; events: number }[]; notCovered: { object: string; why: string }[] };
    assert.equal(res.source, 'replay');
    assert.deepEqual(res.suggestions.map((s) => `${s.entry.kind} ${s.entry.note?.split('\\').pop()}`).sort(), ['hash AndrewSpecial.exe', 'hash Outflank-Dumpert.exe']);
    assert.ok(res.notCovered.some((g) => g.object.endsWith('Outflank-Dumpert-DLL.dll') && g.why === 'no-durable-identity'));
    assert.equal((await run(['policy', 'check', out])).code, 0);
    const again = await run(['replay', '--format', 'json', '--policy', out, rec]);
    const stops = (JSON.parse(again.out) as ReplayResult).trees.flatMap((t) => t.blocks).map((b) => b.image.split('\\').pop());
    assert.ok(!stops.includes('Outflank-Dumpert.exe') && !stops.includes('AndrewSpecial.exe'), stops.join(', '));
    assert.ok(stops.includes('rundll32.exe'), 'what was not trusted is still stopped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('policy suggest from a console export (JSON lines): publishers, grouped per program; a declared admin folder; bad input named with its line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-suggest-'));
  try {
    const ev = (id: number, host: string, object: string, signer?: string) => JSON.stringify({
      id, hostname: host, time: 1_700_000_000_000 + id, verdict: 'audit-deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space',
      kind: 'process.start', object, detail: signer ? { signer } : null,
    });
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, [
      ev(1, 'pc-01', 'C:\\Users\\a\\AppData\\Local\\Programs\\Zoom\\bin\\Zoom.exe', 'Zoom Video Communications, Inc.'),
      ev(2, 'pc-02', 'C:\\Users\\b\\AppData\\Local\\Programs\\Zoom\\bin\\Zoom.exe', 'Zoom Video Communications, Inc.'),
      ev(3, 'pc-01', 'C:\\Users\\a\\AppData\\Local\\Programs\\Zoom\\bin\\Zoom.exe', 'Zoom Video Communications, Inc.'),
      ev(4, 'pc-03', 'C:\\Users\\c\\Downloads\\tool.exe'),
      ev(5, 'pc-03', 'C:\\Apps\\Kaikei\\kaikei.exe'),
      ev(6, 'pc-04', 'C:\\Apps\\Kyuyo\\kyuyo.exe'),
    ].join('\n') + '\n');
    const out = join(dir, 'new.yaml');
    const r = await run(['policy', 'suggest', '--from', file, '--lang', 'ja', '--admin-folder', 'C:\\Apps', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1\. trust\.publishers: Zoom Video Communications, Inc\.\n   2 個のプログラムの 3 件のイベントを許可します/);
    assert.match(r.out, /2× C:\\Users\\a\\AppData\\Local\\Programs\\Zoom\\bin\\Zoom\.exe  USER_SPACE_EXEC  \[pc-01\]/);
    assert.match(r.out, /tool\.exe  USER_SPACE_EXEC  — ユーザー領域にあり署名もハッシュも不明/);
    assert.match(r.out, /\+    - \{ signer: "Zoom Video Communications, Inc\.", launch: normal \}/);
    assert.match(r.out, /userSpace\.systemFolders: C:\\Apps\\\*\*\n   2 個のプログラムの 2 件のイベントを許可します/);
    assert.equal((await run(['policy', 'check', out])).code, 0);
    const starts = ['C:\\Apps\\Kaikei\\kaikei.exe', 'C:\\Users\\c\\Downloads\\tool.exe'].map((image, i) => JSON.stringify({ v: 1, platform: 'windows', kind: 'process.start', proc: { pid: i + 1, image } })).join('\n');
    const after = await run(['decide', '--policy', out], starts);
    assert.deepEqual(after.out.trim().split('\n').map((l) => (JSON.parse(l) as Decision).reason), ['ALLOW_SYSTEM_SPACE', 'USER_SPACE_EXEC']);
    writeFileSync(file, `${ev(1, 'x', 'C:\\a.exe')}\n{not json\n`);
    const bad = await run(['policy', 'suggest', '--from', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /export\.jsonl:2: neither JSON nor JSON lines/);
    const missing = await run(['policy', 'suggest', '--from', join(dir, 'nope.db')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read .*nope\.db \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
