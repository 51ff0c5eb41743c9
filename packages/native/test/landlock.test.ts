// Real Landlock runs of omamori-launch (ABI 7 kernel): grants, denials, scopes, TCP, inheritance, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLandlockRuleset, landlockAbi, launcherArgs, launcherPath, type LandlockRulesetSpec } from '../src/index.ts';

interface Run { code: number | null; stdout: string; stderr: string }

function launch(spec: LandlockRulesetSpec | string, argv: string[]): Promise<Run> {
  const rules = typeof spec === 'string' ? spec : buildLandlockRuleset(spec);
  const child = spawn(launcherPath(), launcherArgs(argv, { rulesFd: 3 }), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const rulesPipe = child.stdio[3] as NodeJS.WritableStream;
  rulesPipe.on('error', () => { /* launcher exited early; its stderr says why */ });
  rulesPipe.end(rules);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

let base: string;
let work: string;
let secret: string;
let readonlyBin: string;
let outside: string;
const system = ['/usr', '/bin', '/lib', { path: '/lib64', optional: true as const }];
let spec: LandlockRulesetSpec;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'omamori-ll-'));
  work = join(base, 'work');
  secret = join(base, 'secret');
  readonlyBin = join(base, 'robin');
  outside = join(base, 'outside');
  for (const d of [work, secret, readonlyBin, outside]) mkdirSync(d);
  writeFileSync(join(secret, 'key'), 'top secret\n');
  copyFileSync('/bin/true', join(readonlyBin, 'true'));
  spec = { readExec: system, read: ['/etc', readonlyBin], write: [work], devices: ['/dev/null'], scopes: ['signal'] };
});

after(() => rmSync(base, { recursive: true, force: true }));

test('the kernel reports Landlock ABI >= 6 (scopes) and the launcher is built', () => {
  assert.ok(landlockAbi() >= 6, `ABI ${landlockAbi()}`);
  assert.ok(existsSync(launcherPath()));
});

test('allowed writes beneath a write grant succeed', async () => {
  const r = await launch(spec, ['/bin/sh', '-c', `echo inside > ${work}/a && mkdir ${work}/d && mv ${work}/a ${work}/d/b && cat ${work}/d/b`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'inside\n');
  assert.equal(readFileSync(join(work, 'd', 'b'), 'utf8'), 'inside\n');
});

test('a write outside the granted paths fails with EACCES', async () => {
  const r = await launch(spec, ['/bin/sh', '-c', `echo x > ${outside}/f`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Permission denied/);
  assert.equal(existsSync(join(outside, 'f')), false);
});

test('reading a directory without a grant fails', async () => {
  const ls = await launch(spec, ['/bin/ls', secret]);
  assert.notEqual(ls.code, 0);
  assert.match(ls.stderr, /Permission denied/);
  const cat = await launch(spec, ['/bin/cat', join(secret, 'key')]);
  assert.notEqual(cat.code, 0);
  assert.doesNotMatch(cat.stdout, /top secret/);
});

test('exec of a binary under a read-only grant fails (126 from the launcher, EACCES from a shell)', async () => {
  const direct = await launch(spec, [join(readonlyBin, 'true')]);
  assert.equal(direct.code, 126);
  assert.match(direct.stderr, /omamori-launch: .*robin\/true: Permission denied/);
  const viaShell = await launch(spec, ['/bin/sh', '-c', `${join(readonlyBin, 'true')}`]);
  assert.equal(viaShell.code, 126);
});

test('signal scope: a process outside the domain cannot be signalled; one inside can', async () => {
  const sleeper: ChildProcess = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  try {
    const r = await launch(spec, ['/bin/sh', '-c', `kill -0 ${sleeper.pid}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Operation not permitted/);
    const inside = await launch(spec, ['/bin/sh', '-c', 'sleep 5 & kill $! && wait $!; echo "rc=$?"']);
    assert.equal(inside.stdout, 'rc=143\n', inside.stderr);
    const unscoped = await launch({ ...spec, scopes: [] }, ['/bin/sh', '-c', `kill -0 ${sleeper.pid}`]);
    assert.equal(unscoped.code, 0, unscoped.stderr);
  } finally {
    if (sleeper.pid) process.kill(sleeper.pid, 'SIGKILL');
  }
});

test('the restriction is inherited by children and grandchildren', async () => {
  const r = await launch(spec, ['/bin/sh', '-c', `/bin/sh -c "echo x > ${outside}/g; cat ${secret}/key"; echo "after=$?"`]);
  assert.match(r.stderr, /Permission denied/);
  assert.equal(existsSync(join(outside, 'g')), false);
  assert.doesNotMatch(r.stdout, /top secret/);
  assert.match(r.stdout, /after=1/);
});

test('TCP: connect allowed only to the granted port', async () => {
  const servers: Server[] = [];
  const listen = () => new Promise<number>((resolve) => {
    const s = createServer((c) => c.end());
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
  });
  try {
    const [okPort, badPort] = [await listen(), await listen()];
    const tcp = (port: number) => `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected-${port}`;
    const s2 = { ...spec, connectTcp: [okPort] };
    const ok = await launch(s2, ['/bin/bash', '-c', tcp(okPort)]);
    assert.equal(ok.stdout, `connected-${okPort}\n`, ok.stderr);
    const bad = await launch(s2, ['/bin/bash', '-c', tcp(badPort)]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Permission denied/);
  } finally {
    for (const s of servers) s.close();
  }
});

test('launcher errors: bad ruleset line (125), missing path, missing program (127)', async () => {
  const bad = await launch('read /etc\nfrobnicate 3\n', ['/bin/true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /rules fd: line 2: unknown directive 'frobnicate'/);
  const rel = await launch('read etc\n', ['/bin/true']);
  assert.equal(rel.code, 125);
  assert.match(rel.stderr, /line 1: read: path must be absolute/);
  const missing = await launch('read /nonexistent-omamori\n', ['/bin/true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /line 1.*nonexistent-omamori: No such file or directory/);
  const optional = await launch({ ...spec, read: [{ path: '/nonexistent-omamori', optional: true }] }, ['/bin/true']);
  assert.equal(optional.code, 0, optional.stderr);
  const notFound = await launch(spec, ['/usr/bin/omamori-no-such-program']);
  assert.equal(notFound.code, 127);
  const abi = await launch('require-abi 99\n', ['/bin/true']);
  assert.equal(abi.code, 125);
  assert.match(abi.stderr, /require-abi 99 \(kernel has \d+\)/);
});

test('the launcher stays outside the domain as the tree\'s reaper: orphans are reparented to it; the exit code is the target\'s', async () => {
  const mark = join(work, 'orphan');
  // The target starts a background shell and exits 7 at once: the shell is orphaned, then reports its new parent.
  writeFileSync(join(work, 'orphan.sh'), `sleep 0.5
p=$(ps -o ppid= -p $$ | tr -d ' ')
ps -o comm= -p "$p" > ${mark}.tmp
kill -0 "$p" 2>/dev/null; echo $? >> ${mark}.tmp
mv ${mark}.tmp ${mark}
`);
  const r = await launch({ ...spec, read: [...(spec.read ?? []), '/proc'] }, ['/bin/sh', '-c', `/bin/sh ${work}/orphan.sh & exit 7`]);
  assert.equal(r.code, 7, r.stderr);
  for (let i = 0; i < 50 && !existsSync(mark); i++) await new Promise((res) => setTimeout(res, 100));
  const [parent, killStatus] = readFileSync(mark, 'utf8').trim().split('\n');
  assert.equal(parent, 'omamori-launch', 'the orphan\'s new parent is the launcher left behind as reaper');
  assert.equal(killStatus, '1', 'and the contained tree cannot even signal it (outside its Landlock domain)');
});
