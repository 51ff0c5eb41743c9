// `omamori protect` (the Linux agent in the foreground), `omamori run` (start a program inside the Landlock
// containment) and `omamori events` (the local log of what was stopped). Thin: parse, call @omamori/agent, render.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { baseName } from '@omamori/policy';
import { buildContainmentSpec, createAgentRuntime, describeEvent, openEventStore, type StoredEvent } from '@omamori/agent';
import { buildLandlockRuleset, launcherArgs, launcherPath, nativeAvailable } from '@omamori/native';
import { defineCommand } from '../args.ts';
import { EXIT, UsageError, type Command, type Io } from '../command.ts';
import { loadChosenPolicy, POLICY_OPTIONS, type PolicyChoice } from '../policy-source.ts';
import { resolveStateDir, STATE_OPTION } from '../state-dir.ts';

const MOUNT_OPTION = {
  type: 'string', multiple: true, value: { en: 'PATH', ja: 'パス' },
  help: { en: 'mark only these mounts (repeatable; default: every local filesystem)', ja: 'このマウントだけを監視 (複数可。既定: すべてのローカルファイルシステム)' },
} as const;

const protect = defineCommand({
  path: ['protect'],
  summary: { en: 'Run the Linux agent in the foreground (launch control, guarded applications, event log)', ja: 'Linux エージェントをフォアグラウンドで実行 (起動制御・保護対象アプリ・イベント記録)' },
  options: { ...POLICY_OPTIONS, mount: MOUNT_OPTION, state: STATE_OPTION },
  description: {
    en: `Marks every filesystem that is not virtual with fanotify, in every mount namespace, including filesystems mounted
later (or, with --mount DIR, the filesystem holding DIR and those mounted beneath DIR later), and answers each
program start, shared-library load and script read (by an interpreter) by the policy. A refusal is also shown to
the user of that desktop session (their language), rate-limited. Every deny and audit-deny is logged with its reason
and lineage to DIR/events.db (see \`omamori events\`). SIGHUP or a change of the policy
file reloads the policy; a broken policy keeps the old one in force. SIGINT/SIGTERM stop the agent.
For daemon use see packaging/systemd/omamori.service.`,
    ja: `仮想でないすべてのファイルシステムを、すべてのマウント名前空間で、後からマウントされたものも含めて fanotify で監視し
(--mount ディレクトリ 指定時は、そのディレクトリを含むファイルシステムと、その下に後からマウントされたもの)、
プログラムの起動・共有ライブラリの読み込み・(インタープリターによる) スクリプトの読み込みをポリシーで判定します。
拒否はそのデスクトップセッションの利用者にも (利用者の言語で、頻度を抑えて) 通知します。拒否と監査拒否はすべて理由と系譜つきで
ディレクトリ/events.db (\`omamori events\` で表示) に記録します。SIGHUP またはポリシー
ファイルの変更で再読み込みし、壊れたポリシーなら旧ポリシーを維持します。SIGINT/SIGTERM で停止します。
常駐させるには packaging/systemd/omamori.service を使ってください。`,
  },
  async run({ values }, io) {
    const choice: PolicyChoice = { policy: values.policy, preset: values.preset, mode: values.mode };
    const problems: string[] = [];
    const captured: Io = { ...io, err: (t) => problems.push(t.trimEnd()) };
    const loadPolicy = () => {
      problems.length = 0;
      try {
        const loaded = loadChosenPolicy(choice, captured);
        return loaded ? { policy: loaded.compiled } : { problems: [...problems] };
      } catch (e) {
        return { problems: [...problems, (e as Error).message] };
      }
    };
    // Usage errors of the first load (unknown preset, unreadable file, bad --mode) stop here with exit 2; the
    // runtime starts with this very policy (loaded once) and uses loadPolicy only to reload.
    const first = loadChosenPolicy(choice, io);
    if (!first) return EXIT.FAILURE;
    const ja = io.lang === 'ja';
    const log = (line: string) => io.err(`omamori protect: ${line}\n`);
    const started = createAgentRuntime({
      stateDir: resolveStateDir(values.state, io).dir, log, loadPolicy, initial: first.compiled, enforce: true,
      mounts: values.mount?.map((m) => resolve(io.cwd, m)), watchFile: values.policy ? resolve(io.cwd, values.policy) : undefined,
      onIsolation: (r) => {
        if (r.action === 'reapplied') log(ja ? 'ネットワーク隔離を再適用しました' : 'network isolation re-applied');
        if (r.action === 'failed') log(ja ? `警告: ネットワーク隔離を確認できません: ${r.message}` : `WARNING: cannot check network isolation: ${r.message}`);
      },
      onStatus: (st) => io.out(JSON.stringify(st) + '\n'),
    });
    if (!started.ok) {
      io.err(ja ? `omamori protect: 開始できません (${started.code}): ${started.message}\n` : `omamori protect: cannot start (${started.code}): ${started.message}\n`);
      return EXIT.FAILURE;
    }
    const { runtime } = started;
    const agent = runtime.agent!;
    const s = agent.status();
    const marked = s.marks.map((m) => m.where).join(', ');
    const scope = values.mount?.length ? agent.mounts.join(', ') : (ja ? 'すべてのファイルシステム' : 'every filesystem');
    io.out(ja
      ? `omamori protect: 保護中 ${scope} [${marked}] (ポリシー ${s.policyVersion}, ${s.mode}, フェイルモード ${s.failMode}, pid ${process.pid})\n`
      : `omamori protect: protecting ${scope} [${marked}] (policy ${s.policyVersion}, ${s.mode}, fail ${s.failMode}, pid ${process.pid})\n`);
    await runtime.stopped;
    io.out(ja ? 'omamori protect: 停止しました\n' : 'omamori protect: stopped\n');
    return EXIT.OK;
  },
});

const run = defineCommand({
  path: ['run'],
  summary: { en: 'Start a program inside the containment (Landlock) built from the policy', ja: 'ポリシーから作った封じ込め (Landlock) の中でプログラムを起動' },
  operands: { en: '-- PROGRAM [ARG...]', ja: '-- プログラム [引数...]' },
  options: {
    app: { type: 'string', value: 'ID', help: { en: 'the guarded application (default: matched by PROGRAM\'s name)', ja: '保護対象アプリ (既定はプログラム名で照合)' } },
    ...POLICY_OPTIONS,
    'print-rules': { type: 'boolean', help: { en: 'print the Landlock ruleset and exit', ja: 'Landlock ルールセットを表示して終了' } },
  },
  description: {
    en: `Starts PROGRAM through omamori-launch with a Landlock ruleset built from the policy: read and execute in system
space, write only where guarded.writable and the applications' profiles allow, no read of guarded.readProtect
(~/.ssh, ~/.gnupg, other applications' stores), signals and abstract sockets scoped to the containment.
--app chooses the guarded application (default: matched by PROGRAM's name) whose own profile may be read.
With the agent running, PROGRAM and everything it starts, however it starts it, are guarded: no shells,
interpreters or untrusted programs. A PROGRAM on no guarded list (and no --app) is guarded as an application of
its own, shown as run:NAME in omamori events. --print-rules prints the ruleset and exits. The exit code is the
program's.`,
    ja: `ポリシーから作った Landlock ルールセットを omamori-launch で適用してプログラムを起動します: システム領域は読み取り
と実行、書き込みは guarded.writable とアプリのプロファイルだけ、guarded.readProtect (~/.ssh、~/.gnupg、他アプリの
データ) は読めず、シグナルと抽象ソケットは封じ込めの内側に限定されます。--app は保護対象アプリ (既定はプログラム名
で照合) を選び、そのプロファイルは読めます。エージェント稼働中は、プログラムとそれが (どのような方法でも) 起動した
ものすべてが保護下になり、シェル・インタープリター・信頼されないプログラムは起動できません。保護対象リストにない
プログラム (--app なし) はそれ自体を 1 つのアプリとして保護します (omamori events では run:名前 と表示)。
--print-rules はルールセットを表示して終了します。終了コードはプログラムのものです。`,
  },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError(io.lang === 'ja' ? '起動するプログラムを -- の後に指定してください' : 'give the program to start after --');
    const loaded = loadChosenPolicy({ policy: values.policy, preset: values.preset, mode: values.mode }, io);
    if (!loaded) return EXIT.FAILURE;
    const policy = loaded.compiled;
    let app = values.app;
    if (app !== undefined && !policy.appsById.has(app)) {
      throw new UsageError(io.lang === 'ja' ? `--app: 保護対象アプリ '${app}' はポリシーにありません (${[...policy.appsById.keys()].join(', ')})`
        : `--app: no guarded application '${app}' in the policy (${[...policy.appsById.keys()].join(', ')})`);
    }
    app ??= policy.appsByName.get(baseName(positionals[0]!, 'linux'))?.app.id;
    const rules = buildLandlockRuleset(buildContainmentSpec(policy, app === undefined ? {} : { app }));
    // A program on no guarded list runs guarded as an application of its own (`run:NAME` in omamori events).
    const label = app ?? `run:${baseName(positionals[0]!, 'linux').replace(/^-+/, '') || 'program'}`;
    if (values['print-rules']) { io.out(rules); return EXIT.OK; }
    const avail = nativeAvailable();
    if (!avail.available) {
      io.err(io.lang === 'ja' ? `omamori run: 封じ込めを使えません: ${avail.reason}\n` : `omamori run: containment unavailable: ${avail.reason}\n`);
      return EXIT.FAILURE;
    }
    const child = spawn(launcherPath(), launcherArgs(positionals, { rulesFd: 3, bestEffort: true, label }), {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env: io.env, cwd: io.cwd,
    });
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', () => { /* the launcher exited before reading: its exit code says why */ });
    fd3.end(rules);
    const forward = (sig: NodeJS.Signals) => () => { if (child.pid) child.kill(sig); };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    return await new Promise<number>((done) => {
      child.on('error', (e) => { io.err(`omamori run: ${e.message}\n`); done(EXIT.FAILURE); });
      child.on('close', (code, signal) => {
        for (const [s, h] of handlers) process.off(s, h);
        done(code ?? (signal ? 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 1) : EXIT.FAILURE));
      });
    });
  },
});

function parseSince(v: string | undefined, io: Io): number | undefined {
  if (v === undefined) return undefined;
  const rel = /^(\d+)([smhd])$/.exec(v);
  if (rel) return Date.now() - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(io.lang === 'ja' ? `--since: 日時 (ISO 8601) または 30m・2h・1d のような期間を指定してください (指定: ${v})` : `--since: give an ISO 8601 date-time or a span like 30m, 2h, 1d (got ${v})`);
  return t;
}

const events = defineCommand({
  path: ['events'],
  summary: { en: 'Show the local log of what the agent stopped (newest first)', ja: 'エージェントが止めたものの記録を新しい順に表示' },
  options: {
    state: STATE_OPTION,
    since: { type: 'string', value: { en: 'TIME', ja: '時刻' }, help: { en: 'only events since TIME (ISO 8601, or a span: 30m, 2h, 1d)', ja: '時刻以降だけ (ISO 8601、または 30m・2h・1d のような期間)' } },
    limit: { type: 'integer', min: 1, help: { en: 'at most N events (default 1000)', ja: '最大 N 件 (既定 1000)' } },
    json: { type: 'boolean', help: { en: 'one JSON object per line', ja: '1 行に 1 つの JSON オブジェクト' } },
  },
  description: {
    en: `Prints each deny and audit-deny (would-deny) of the agent, newest first: what was stopped, why (reason code, rule,
policy version) and the lineage (thunderbird → soffice → sh → /home/alice/.cache/x). TIME is an ISO 8601
date-time or a span such as 30m, 2h, 1d. --json prints one JSON object per line.`,
    ja: `エージェントの拒否と監査拒否 (阻止相当) を新しい順に表示します: 何を止めたか、なぜか (理由コード・規則・ポリシー
版)、系譜 (thunderbird → soffice → sh → /home/alice/.cache/x)。時刻は ISO 8601 の日時、または 30m・2h・1d の
ような期間です。--json は 1 行に 1 つの JSON オブジェクトを出力します。`,
  },
  async run({ values }, io) {
    const since = parseSince(values.since, io);
    const limit = values.limit ?? 1000;
    const { dir, source } = resolveStateDir(values.state, io);
    let list: StoredEvent[];
    try {
      const store = openEventStore(dir, { write: false });
      try { list = store.list({ since, limit }); } finally { store.close(); }
    } catch (e) {
      io.err(io.lang === 'ja' ? `omamori events: ${dir}/events.db を開けません: ${(e as Error).message}\n` : `omamori events: cannot open ${dir}/events.db: ${(e as Error).message}\n`);
      if (source === 'default') {
        io.err(io.lang === 'ja' ? '  (--state も $OMAMORI_STATE もなく、ここや親のフォルダーに `omamori up` の .omamori/agent もありません)\n'
          : '  (no --state, no $OMAMORI_STATE, and no .omamori/agent of `omamori up` here or in a parent folder)\n');
      }
      return EXIT.FAILURE;
    }
    if (values.json) for (const e of list) io.out(JSON.stringify(e) + '\n');
    else if (list.length === 0) io.out(io.lang === 'ja' ? '記録はありません\n' : 'nothing logged\n');
    else for (const e of list) io.out(describeEvent(e, io.lang) + '\n');
    return EXIT.OK;
  },
});

export const agentCommands: Command[] = [protect, run, events];
