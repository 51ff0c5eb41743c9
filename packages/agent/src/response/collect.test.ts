// Evidence bundle round trip over a fake world (state dir with a live SQLite event log, homes with autostart files):
// the manifest verifies, the parts hold what was there, one flipped byte is detected and named, and nothing
// collected changed (content, mtime, access time, directory listing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, constants, mkdirSync, mkdtempSync, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync,
  writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Decision } from '@omamori/policy';
import { openEventStore } from '../event-store.ts';
import { collectEvidence, verifyEvidence, type AutostartScan, type EvidenceManifest, type EvidenceProcess } from './index.ts';
import { listTar, readEntry } from './tar.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function write(root: string, rel: string, text: string, mode = 0o644): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

interface World { dir: string; root: string; state: string; extra: string; payload: string; closeStore(): void }

function makeWorld(): World {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-collect-'));
  const root = join(dir, 'world');
  write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n');
  const payload = '#!/bin/sh\necho pwned\n';
  write(root, 'home/alice/.cache/x/upd.sh', payload, 0o755);
  write(root, 'home/alice/.bashrc', '# alice\nalias ll="ls -l"\n~/.cache/x/upd.sh >/dev/null 2>&1 &\n');
  write(root, 'home/alice/.config/autostart/updater.desktop', '[Desktop Entry]\nType=Application\nName=Updater\nExec=/home/alice/.cache/x/upd.sh --quiet %U\n');
  write(root, 'var/spool/cron/crontabs/alice', 'MAILTO=""\n# m h dom mon dow command\n*/5 * * * * $HOME/.cache/x/upd.sh\n@reboot /home/alice/gone.sh\n');
  write(root, 'etc/crontab', 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n');
  write(root, 'usr/bin/run-parts', 'binary', 0o755);
  write(root, 'etc/systemd/system/evil.service', '[Unit]\nDescription=x\n[Service]\nExecStart=-/home/alice/.cache/x/upd.sh --daemon\n[Install]\nWantedBy=multi-user.target\n');
  mkdirSync(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync('/etc/systemd/system/evil.service', join(root, 'etc/systemd/system/multi-user.target.wants/evil.service'));
  write(root, 'etc/systemd/system/ssh.service.d/override.conf', '[Service]\nExecStartPre=/usr/bin/run-parts /tmp/x\n');
  write(root, 'home/alice/.config/systemd/user/sync.service', '[Service]\nExecStart=%h/.cache/x/upd.sh sync\n');
  write(root, 'lib/systemd/system/vendor.service', '[Service]\nExecStart=/usr/bin/run-parts /etc/vendor\n');
  // The agent's state: a real event store in WAL mode, left open as a running agent would.
  const state = join(dir, 'state');
  const store = openEventStore(state, { write: true });
  const decision = { verdict: 'deny', reason: 'LAUNCH_USER_SPACE', rule: 'launch.user-space', policyVersion: 'v1', lineage: [], object: '/home/alice/.cache/x/upd.sh', cacheable: true } as unknown as Decision;
  for (let i = 0; i < 25; i++) store.record(1_700_000_000_000 + i, 'process.start', 4000 + i, decision);
  store.note(1_700_000_000_100, 'AGENT_START', 'started');
  const extra = join(dir, 'extra');
  write(extra, 'report.txt', 'suspicious');
  write(extra, 'sub/bin.dat', 'x'.repeat(1000));
  symlinkSync('report.txt', join(extra, 'link'));
  return { dir, root, state, extra, payload: join(root, 'home/alice/.cache/x/upd.sh'), closeStore: () => store.close() };
}

/** The test's own reads must not move access times either. */
function readQuietly(p: string): Buffer {
  const fd = openSync(p, constants.O_RDONLY | constants.O_NOATIME);
  try { return readFileSync(fd); } finally { closeSync(fd); }
}

interface FileFacts { sha: string; mtimeMs: number; atimeMs: number; mode: number }
/** Content hash, mtime, atime of every file and the listing of every directory under `dir`. */
function facts(dir: string, out = new Map<string, FileFacts | string>()): Map<string, FileFacts | string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) { out.set(p, `-> ${readlinkSync(p)}`); continue; }
    if (st.isDirectory()) { out.set(p, readdirSync(p).sort().join('\n')); facts(p, out); }
    else out.set(p, { sha: sha(readQuietly(p)), mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, mode: st.mode });
  }
  out.set(dir, readdirSync(dir).sort().join('\n'));
  return out;
}

function part(bundle: string, name: string): Buffer {
  const e = listTar(bundle).entries.find((x) => x.name === name);
  assert.ok(e, `part ${name} in the bundle`);
  const chunks: Buffer[] = [];
  readEntry(bundle, e, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

test('evidence bundle round trip: parts, hashes, autostart, event log, included files; sources untouched', async (t) => {
  const w = makeWorld();
  try {
    // Access times two days old: relatime would refresh them on any ordinary read.
    const old = Date.now() / 1000 - 2 * 86400;
    for (const [p, f] of facts(w.dir)) if (typeof f !== 'string') utimesSync(p, old, f.mtimeMs / 1000);
    const control = write(w.dir, 'control', 'c');
    utimesSync(control, old, old + 1);
    const before = facts(w.root); facts(w.state, before); facts(w.extra, before);

    const out = join(w.dir, 'bundle.tar');
    const r = await collectEvidence({ out, stateDir: w.state, include: [w.extra], root: w.root });

    readFileSync(control);
    const controlMoved = statSync(control).atimeMs !== old * 1000;
    const after = facts(w.root); facts(w.state, after); facts(w.extra, after);
    for (const [p, b] of before) {
      const a = after.get(p);
      if (typeof b === 'string') { assert.equal(a, b, `listing of ${p} unchanged`); continue; }
      assert.ok(a && typeof a !== 'string', `${p} still there`);
      assert.equal(a.sha, b.sha, `content of ${p} unchanged`);
      assert.equal(a.mtimeMs, b.mtimeMs, `mtime of ${p} unchanged`);
      if (controlMoved) assert.equal(a.atimeMs, b.atimeMs, `atime of ${p} unchanged (O_NOATIME)`);
    }
    assert.equal(after.size, before.size, 'no file appeared beside the collected ones (no -shm/-wal created)');
    if (!controlMoved) t.diagnostic('this filesystem does not update atime on read: the atime check is vacuous here');

    assert.equal(statSync(out).mode & 0o777, 0o600);
    const v = verifyEvidence(out);
    assert.deepEqual(v.issues, []);
    assert.equal(v.ok, true);
    assert.equal(v.verified, r.manifest.parts.length);
    assert.equal(v.bundleSha256, r.bundleSha256);
    assert.equal(v.bundleSha256, sha(readFileSync(out)));

    const m = JSON.parse(part(out, 'manifest.json').toString()) as EvidenceManifest;
    assert.equal(m.format, 'omamori-evidence');
    assert.equal(m.collector.version, '0.1.0');
    assert.ok(m.host.hostname && m.host.platform === 'linux' && m.collectedAt <= m.finishedAt);
    assert.equal(part(out, 'manifest.sha256').toString(), `${sha(part(out, 'manifest.json'))}  manifest.json\n`);
    for (const p of m.parts) assert.equal(sha(part(out, p.name)), p.sha256, `${p.name} hash`);

    // Included files: content and metadata; the symbolic link recorded, not followed.
    const files = m.parts.filter((p) => p.kind === 'file');
    assert.deepEqual(files.map((f) => f.source), [join(w.extra, 'report.txt'), join(w.extra, 'sub/bin.dat')]);
    assert.equal(part(out, files[0]!.name).toString(), 'suspicious');
    assert.equal(files[1]!.size, 1000);
    assert.deepEqual(m.links, [{ path: join(w.extra, 'link'), target: 'report.txt' }]);

    // Event log: a consistent, self-contained copy with every row the running store had committed.
    const ev = m.parts.find((p) => p.kind === 'events-db');
    assert.ok(ev);
    const copy = join(w.dir, 'copy.db');
    writeFileSync(copy, part(out, ev.name));
    const db = new Database(copy, { readonly: true });
    assert.equal((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 25);
    assert.equal((db.prepare('SELECT message FROM notes').get() as { message: string }).message, 'started');
    assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
    db.close();
    assert.equal(m.eventLog?.integrity, 'ok');
    assert.equal(m.eventLog?.stable, true);
    assert.deepEqual(m.eventLog?.counts, { events: 25, notes: 1 });

    // Processes: this test's own process with its image hash.
    const procs = JSON.parse(part(out, 'processes.json').toString()) as EvidenceProcess[];
    const me = procs.find((p) => p.pid === process.pid);
    assert.ok(me);
    assert.equal(me.ppid, process.ppid);
    assert.equal(me.exe, process.execPath);
    assert.equal(me.exeSha256, sha(readFileSync(process.execPath)));
    assert.equal(me.uid, process.getuid!());
    assert.ok(me.cmdline.some((a) => a.includes('collect.test.ts')));
    assert.ok(me.startTime && Math.abs(Date.parse(me.startTime) - (Date.now() - process.uptime() * 1000)) < 120_000);

    // Autostart: each location, the command, and the hash of the file it starts.
    const scan = JSON.parse(part(out, 'autostart.json').toString()) as AutostartScan;
    const payloadSha = sha(readFileSync(w.payload));
    const find = (kind: string, source: string) => scan.entries.filter((e) => e.kind === kind && e.source === source);
    const hits = (e: { targets: { path: string; sha256: string | null }[] }[]) => e.flatMap((x) => x.targets).filter((x) => x.path === '/home/alice/.cache/x/upd.sh');
    assert.equal(hits(find('shell-rc', '/home/alice/.bashrc'))[0]?.sha256, payloadSha);
    const desk = find('xdg-autostart', '/home/alice/.config/autostart/updater.desktop');
    assert.equal(desk[0]?.command, '/home/alice/.cache/x/upd.sh --quiet %U');
    assert.equal(hits(desk)[0]?.sha256, payloadSha);
    const cron = find('cron', '/var/spool/cron/crontabs/alice');
    assert.deepEqual(cron.map((c) => [c.user, c.detail, c.command]), [['alice', '*/5 * * * *', '$HOME/.cache/x/upd.sh'], ['alice', '@reboot', '/home/alice/gone.sh']]);
    assert.equal(hits(cron)[0]?.sha256, payloadSha);
    assert.deepEqual(cron[1]!.targets, [{ path: '/home/alice/gone.sh', exists: false, sha256: null, size: null }]);
    const sys = find('cron', '/etc/crontab')[0];
    assert.equal(sys?.user, 'root');
    assert.equal(sys?.targets.find((x) => x.path === '/usr/bin/run-parts')?.sha256, sha('binary'));
    const unit = find('systemd-system', '/etc/systemd/system/evil.service')[0];
    assert.equal(unit?.command, '/home/alice/.cache/x/upd.sh --daemon');
    assert.deepEqual(unit?.enabled, ['/etc/systemd/system/multi-user.target.wants']);
    assert.equal(hits([unit!])[0]?.sha256, payloadSha);
    assert.equal(find('systemd-system', '/etc/systemd/system/ssh.service.d/override.conf')[0]?.detail, 'ExecStartPre');
    const user = find('systemd-user', '/home/alice/.config/systemd/user/sync.service')[0];
    assert.equal(user?.user, 'alice');
    assert.equal(hits([user!])[0]?.sha256, payloadSha);
    // Declaring files are copied (vendor units only hashed).
    const copied = m.parts.filter((p) => p.kind === 'autostart-source').map((p) => p.source);
    assert.ok(copied.includes('/home/alice/.bashrc') && copied.includes('/etc/systemd/system/evil.service'));
    assert.ok(!copied.includes('/lib/systemd/system/vendor.service'));
    assert.ok(find('systemd-system', '/lib/systemd/system/vendor.service').length === 1);
    assert.equal(part(out, m.parts.find((p) => p.source === '/home/alice/.bashrc')!.name).toString(), readFileSync(join(w.root, 'home/alice/.bashrc'), 'utf8'));
    assert.deepEqual(m.problems, []);
  } finally {
    w.closeStore();
    rmSync(w.dir, { recursive: true, force: true });
  }
});

function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0x01;
    writeSync(fd, b, 0, 1, offset);
  } finally { closeSync(fd); }
}

test('one flipped byte is detected and the part named (content, manifest, header); an existing bundle is never overwritten', async () => {
  const w = makeWorld();
  try {
    const out = join(w.dir, 'bundle.tar');
    await collectEvidence({ out, stateDir: w.state, include: [w.extra], root: w.root });
    const pristine = readFileSync(out);
    const entries = listTar(out).entries;
    const target = entries.find((e) => e.name.startsWith('files/') && e.name.endsWith('report.txt'))!;

    flipByte(out, target.dataOffset + 3);
    let v = verifyEvidence(out);
    assert.equal(v.ok, false);
    assert.deepEqual(v.issues.map((i) => [i.code, i.part]), [['PART_HASH', target.name]]);

    writeFileSync(out, pristine);
    const man = entries.find((e) => e.name === 'manifest.json')!;
    flipByte(out, man.dataOffset + 40);
    v = verifyEvidence(out);
    assert.ok(v.issues.some((i) => i.code === 'MANIFEST_HASH' && i.part === 'manifest.json'), JSON.stringify(v.issues));

    writeFileSync(out, pristine);
    const ev = entries.find((e) => e.name === 'events.db')!;
    flipByte(out, ev.dataOffset - 512 + 2);   // inside the entry's name field
    v = verifyEvidence(out);
    assert.ok(v.issues.some((i) => i.code === 'CONTAINER' && /checksum/.test(i.message)), JSON.stringify(v.issues));
    assert.ok(v.issues.some((i) => i.code === 'PART_MISSING' && i.part === 'events.db'));

    writeFileSync(out, pristine);
    flipByte(out, pristine.length - 100);   // inside the end-of-archive blocks
    v = verifyEvidence(out);
    assert.deepEqual(v.issues.map((i) => i.code), ['CONTAINER']);

    writeFileSync(out, pristine);
    assert.equal(verifyEvidence(out).ok, true);
    await assert.rejects(collectEvidence({ out, stateDir: w.state, root: w.root }), /bundle\.tar/);
    assert.deepEqual(readFileSync(out), pristine);
    assert.deepEqual(readdirSync(w.dir).filter((n) => n.includes('partial')), []);
  } finally {
    w.closeStore();
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('missing event log and unreadable include are problems in the manifest, not failures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-collect-'));
  try {
    const out = join(dir, 'b.tar');
    const r = await collectEvidence({ out, stateDir: join(dir, 'nostate'), include: [join(dir, 'absent')], linuxSources: false });
    assert.deepEqual(r.manifest.problems.map((p) => p.code), ['NO_EVENT_LOG', 'UNREADABLE']);
    assert.deepEqual(r.manifest.parts, []);
    assert.equal(verifyEvidence(out).ok, true);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a closed event log (no -wal) is copied without creating -wal/-shm beside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-collect-'));
  try {
    const state = join(dir, 'state');
    const store = openEventStore(state, { write: true });
    store.note(1, 'AGENT_STOP', 'bye');
    store.close();
    const listing = readdirSync(state).sort();
    assert.deepEqual(listing, ['events.db']);
    const r = await collectEvidence({ out: join(dir, 'b.tar'), stateDir: state, linuxSources: false });
    assert.deepEqual(readdirSync(state).sort(), listing);
    assert.deepEqual(r.manifest.eventLog?.counts, { events: 0, notes: 1 });
    assert.deepEqual(r.manifest.eventLog?.sources.map((s) => s.path), [join(state, 'events.db')]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
