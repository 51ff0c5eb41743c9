// Live isolation in network namespaces this test creates: an endpoint joined by veth pairs to a "console" and a
// "peer" namespace (100.64.x addresses that exist only there). `omamori isolate` runs inside the endpoint; the
// console port stays reachable, the peer and other console ports do not; --status, restart re-apply and --off are
// checked against the kernel. The host's own ruleset is only listed (before/after), never changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../../../../', import.meta.url).pathname;
const cli = join(repo, 'packages/cli/bin/omamori.mjs');
const tag = String(process.pid % 100000);
const NS = { ep: `omt-ep-${tag}`, co: `omt-co-${tag}`, pe: `omt-pe-${tag}` };
const CONSOLE = '100.64.1.2', PEER = '100.64.2.2';
const servers: ChildProcess[] = [];
let stateDir = '';
let hostRulesetBefore = '';

function sh(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: input ?? '', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
function must(cmd: string, ...args: string[]): string {
  const r = sh(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.err}`);
  return r.out;
}
const inNs = (ns: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);

/** One TCP connect from the endpoint: "ok" (the server answered) or "fail:<reason>" (dropped → timeout). */
function probe(addr: string, port: number): string {
  const js = `const s=require('net').connect({host:'${addr}',port:${port}});s.setTimeout(1500);`
    + `s.on('data',d=>{process.stdout.write(String(d));s.destroy()});s.on('timeout',()=>{process.stdout.write('fail:timeout');s.destroy()});`
    + `s.on('error',e=>process.stdout.write('fail:'+e.code))`;
  return inNs(NS.ep, process.execPath, '-e', js).out.trim();
}

function startServer(ns: string, addr: string, port: number, reply: string): Promise<void> {
  const js = `require('net').createServer(s=>s.end('${reply}')).listen(${port},'${addr}',()=>console.log('ready'))`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => { if (String(d).includes('ready')) done(); });
    child.on('exit', (c) => fail(new Error(`server in ${ns} exited ${c}`)));
  });
}

const omamori = (...args: string[]) => inNs(NS.ep, process.execPath, cli, '--lang', 'en', ...args);

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the isolation test needs root (network namespaces, nftables)');
  assert.equal(sh('nft', ['--version']).code, 0, 'nft is not installed (apt: nftables)');
  assert.equal(sh('ip', ['-V']).code, 0, 'ip is not installed (apt: iproute2)');
  hostRulesetBefore = must('nft', 'list', 'ruleset');
  for (const ns of Object.values(NS)) must('ip', 'netns', 'add', ns);
  const pair = (a: string, b: string, nsA: string, nsB: string, addrA: string, addrB: string) => {
    must('ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB);
    must('ip', '-n', nsA, 'addr', 'add', `${addrA}/30`, 'dev', a);
    must('ip', '-n', nsB, 'addr', 'add', `${addrB}/30`, 'dev', b);
    for (const [ns, dev] of [[nsA, a], [nsB, b], [nsA, 'lo'], [nsB, 'lo']] as const) must('ip', '-n', ns, 'link', 'set', dev, 'up');
  };
  pair(`oc${tag}`, `oc${tag}x`, NS.ep, NS.co, '100.64.1.1', CONSOLE);
  pair(`op${tag}`, `op${tag}x`, NS.ep, NS.pe, '100.64.2.1', PEER);
  await startServer(NS.co, CONSOLE, 8443, 'console');
  await startServer(NS.co, CONSOLE, 9000, 'console-other');
  await startServer(NS.pe, PEER, 8080, 'peer');
  stateDir = mkdtempSync(join(tmpdir(), 'omamori-isolate-'));
});

after(() => {
  for (const s of servers) if (s.exitCode === null) s.kill();
  for (const ns of Object.values(NS)) sh('ip', ['netns', 'del', ns]);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const tables = () => inNs(NS.ep, 'nft', 'list', 'tables').out;

test('isolate in a namespace: console port reachable, peer and other ports cut; status, restart, off', () => {
  assert.equal(probe(CONSOLE, 8443), 'console', 'baseline: console reachable');
  assert.equal(probe(PEER, 8080), 'peer', 'baseline: peer reachable');
  assert.doesNotMatch(tables(), /omamori_isolate/);

  const on = omamori('isolate', '--console', `${CONSOLE}:8443`, '--state', stateDir, '--reason', 'test');
  assert.equal(on.code, 0, on.err);
  assert.match(on.out, /Isolation: ON since .* by root/);
  assert.match(tables(), /table inet omamori_isolate/);
  assert.equal(probe(CONSOLE, 8443), 'console');
  assert.equal(probe(PEER, 8080), 'fail:timeout');
  assert.equal(probe(CONSOLE, 9000), 'fail:timeout', 'only the console port is open');
  const saved = JSON.parse(readFileSync(join(stateDir, 'isolation.json'), 'utf8'));
  assert.equal(saved.isolated, true);
  assert.deepEqual(saved.spec.console, [{ address: CONSOLE, family: 4, prefix: 32, port: 8443 }]);

  const st = omamori('isolate', '--status', '--state', stateDir);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /Isolation: ON[\s\S]*console: 100\.64\.1\.2:8443[\s\S]*table inet omamori_isolate: present/);

  // The table disappears (reboot, someone flushed it): status reports the drift; the agent's start re-applies it.
  must('ip', 'netns', 'exec', NS.ep, 'nft', 'delete', 'table', 'inet', 'omamori_isolate');
  assert.equal(probe(PEER, 8080), 'peer');
  const drift = omamori('isolate', '--status', '--state', stateDir);
  assert.equal(drift.code, 1);
  assert.match(drift.err, /state file and the kernel disagree/);
  const re = omamori('isolate', '--reapply', '--state', stateDir);
  assert.equal(re.code, 0, re.err);
  assert.equal(probe(PEER, 8080), 'fail:timeout');
  assert.equal(probe(CONSOLE, 8443), 'console');

  const off = omamori('isolate', '--off', '--state', stateDir);
  assert.equal(off.code, 0, off.err);
  assert.match(off.out, /Isolation removed/);
  assert.doesNotMatch(tables(), /omamori/);
  assert.equal(probe(PEER, 8080), 'peer');
  assert.equal(probe(CONSOLE, 9000), 'console-other');
  assert.equal(JSON.parse(readFileSync(join(stateDir, 'isolation.json'), 'utf8')).isolated, false);

  assert.equal(must('nft', 'list', 'ruleset'), hostRulesetBefore, "the host's own ruleset is unchanged");
});

test('a console without a port opens all its ports; --off leaves other tables in the namespace alone', () => {
  must('ip', 'netns', 'exec', NS.ep, 'nft', 'add', 'table', 'inet', 'someone_else');
  try {
    assert.equal(omamori('isolate', '--console', CONSOLE, '--state', stateDir).code, 0);
    assert.equal(probe(CONSOLE, 9000), 'console-other', 'without a port every console port is open');
    assert.equal(probe(PEER, 8080), 'fail:timeout');
    assert.equal(omamori('isolate', '--off', '--state', stateDir).code, 0);
    assert.match(tables(), /table inet someone_else/);
    assert.doesNotMatch(tables(), /omamori_isolate/);
  } finally {
    sh('ip', ['netns', 'exec', NS.ep, 'nft', 'delete', 'table', 'inet', 'someone_else']);
  }
});
