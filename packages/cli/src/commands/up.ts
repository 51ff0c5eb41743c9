// `omamori up`: the main job on one machine — the console on embedded SQLite plus this machine's agent enrolled in
// it, in audit mode. Starts the console in this process and the agent as a child process (`omamori agent run`), so
// a busy console never delays a kernel decision.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUserSpaceProbe, enrollAgent, loadEnrollment, ownCodeFiles, readMounts, SyncError, userSpaceWhy } from '@omamori/agent';
import { prepareLocalEnrollment, startConsole } from '@omamori/console';
import { compile, findPreset, loadPolicy, normalizePath } from '@omamori/policy';
import { parse } from '../args.ts';
import { EXIT, UsageError, type Command } from '../command.ts';

const BIN = fileURLToPath(new URL('../../bin/omamori.mjs', import.meta.url));

/**
 * Why the running program lies in user space (its files or their directories writable by a user, or on the preset's
 * user-space paths such as /home, /root, /tmp), or undefined for an installed program.
 */
function installationInUserSpace(preset: string): { root: string; why: string } | undefined {
  const own = ownCodeFiles();
  const loaded = loadPolicy(findPreset(preset)!.text);
  const paths = loaded.policy ? compile(loaded.policy).userSpace : undefined;
  const probe = createUserSpaceProbe({ mounts: readMounts() });
  const why = userSpaceWhy({ root: own.root, files: own.paths.map((path) => ({ path })) }, (p) => {
    const v = probe.probe(p);
    if (v.userSpace) return v.why ?? p;
    return paths?.matches(normalizePath(p, 'linux'), 'linux') ? `${p}: a user-space path of the ${preset} policy` : undefined;
  });
  return why === undefined ? undefined : { root: own.root, why };
}

const userSpaceNote = {
  en: (root: string, why: string) => `note: omamori runs from user space (${why}).
  The agent trusts its own files by hash and never blocks itself, but whoever can write ${root} can change what
  it does: enforce needs an installed agent. Install the Debian package (README, "Install") before switching the
  group to enforce.
`,
  ja: (root: string, why: string) => `注意: omamori はユーザー領域から動いています (${why})。
  エージェントは自分のファイルをハッシュで信頼するので自分を止めることはありませんが、${root} に書き込める人は
  エージェントの動作を変えられます: 強制 (enforce) にはインストールされたエージェントが必要です。グループを enforce に
  切り替える前に Debian パッケージをインストールしてください (README の「インストール」)。
`,
};

export const upCommand: Command = {
  path: ['up'],
  summary: { en: 'Start the console (SQLite) with this machine\'s agent enrolled, in audit mode', ja: 'コンソール (SQLite) を起動し、この端末のエージェントを監査モードで登録・実行' },
  help: {
    en: `Usage: omamori up [--data DIR] [--listen HOST:PORT] [--preset NAME] [--mount PATH ...] [--no-agent]

The one-machine set-up: starts the management console on an embedded SQLite database under DIR/console (default
./.omamori, or OMAMORI_HOME), enrolls this machine's agent (state under DIR/agent) in a group "this-machine" whose
policy is the preset (default office) rolled out in AUDIT mode — nothing is blocked, every would-be block is
logged and shown in the console — and runs the agent as a child process. Kernel enforcement (fanotify) needs root;
without it the agent runs sync-only and says so. --mount limits the agent to the given mounts. Prints the login
(first-time setup) link. SIGINT/SIGTERM stop both. Switch the group to "enforce" in the console when ready.
Run from a checkout (user space: /home, /root, /tmp, or files a user can write), the agent trusts its own files and
never blocks itself, but enforce needs an installed agent: install the Debian package first (README).`,
    ja: `使い方: omamori up [--data ディレクトリ] [--listen ホスト:ポート] [--preset 名前] [--mount パス ...] [--no-agent]

1 台で使うための起動: ディレクトリ/console (既定 ./.omamori、または OMAMORI_HOME) の組み込み SQLite で管理コンソールを
起動し、この端末のエージェント (状態は ディレクトリ/agent) をグループ「this-machine」に登録します。このグループの
ポリシーはプリセット (既定 office) を「監査」モードで展開したもので、何も止めず、止めるはずだったものをすべて記録して
コンソールに表示します。エージェントは子プロセスとして実行します。カーネルでの強制 (fanotify) には root が必要で、
root でなければ同期のみで動き、その旨を表示します。--mount でエージェントの対象を限定できます。ログイン (初期設定)
リンクを表示します。SIGINT/SIGTERM で両方を停止します。準備ができたらコンソールでグループを「enforce」に切り替えます。
チェックアウト (ユーザー領域: /home、/root、/tmp、またはユーザーが書き込めるファイル) から動かすと、エージェントは自分の
ファイルを信頼して自分を止めませんが、強制 (enforce) にはインストールされたエージェントが必要です: 先に Debian
パッケージをインストールしてください (README)。`,
  },
  async run(argv, io) {
    const { values } = parse(argv, {
      data: { type: 'string' }, listen: { type: 'string' }, preset: { type: 'string' },
      mount: { type: 'string', multiple: true }, 'no-agent': { type: 'boolean' },
    }, false);
    const ja = io.lang === 'ja';
    const preset = values.preset ?? 'office';
    if (!findPreset(preset)) throw new UsageError(ja ? `不明なプリセット '${preset}' です` : `unknown preset '${preset}'`);
    const home = resolve(io.cwd, values.data ?? io.env.OMAMORI_HOME ?? '.omamori');
    const agentState = join(home, 'agent');
    let running;
    try {
      running = await startConsole({ dataDir: join(home, 'console'), listen: values.listen ?? '127.0.0.1:8443', tls: 'generate', logger: { level: 'warn' } });
    } catch (e) {
      io.err(ja ? `omamori up: コンソールを開始できません: ${(e as Error).message}\n` : `omamori up: cannot start the console: ${(e as Error).message}\n`);
      return EXIT.FAILURE;
    }
    const r = running;
    io.out(ja ? `コンソール: ${r.url} (保存先 ${r.store})\n` : `console: ${r.url} (store ${r.store})\n`);
    if (r.fingerprint) io.out(ja ? `証明書 SHA-256: ${r.fingerprint}\n` : `certificate SHA-256: ${r.fingerprint}\n`);
    io.out(r.setupToken
      ? (ja ? `初期設定 (一度限り、ブラウザーで開く): ${r.url}/setup#token=${r.setupToken}\n` : `first-time setup (one use, open in a browser): ${r.url}/setup#token=${r.setupToken}\n`)
      : (ja ? `ログイン: ${r.url}/\n` : `log in: ${r.url}/\n`));

    let child: ChildProcess | undefined;
    if (!values['no-agent']) {
      if (!loadEnrollment(agentState)) {
        try {
          const { token } = await prepareLocalEnrollment(r.db, { preset });
          const e = await enrollAgent({ consoleUrl: r.url, token, stateDir: agentState, ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}) });
          io.out(ja ? `この端末を登録しました: エージェント ${e.agentId} (グループ this-machine、${preset}、監査)\n` : `enrolled this machine: agent ${e.agentId} (group this-machine, ${preset}, audit)\n`);
        } catch (e) {
          const msg = e instanceof SyncError ? e.message : (e as Error).message;
          io.err(ja ? `omamori up: エージェントを登録できません: ${msg}\n` : `omamori up: cannot enroll the agent: ${msg}\n`);
          await r.close();
          return EXIT.FAILURE;
        }
      }
      const root = typeof process.getuid === 'function' && process.getuid() === 0;
      const args = [BIN, 'agent', 'run', '--state', agentState, '--lang', io.lang, ...(values.mount ?? []).flatMap((m) => ['--mount', resolve(io.cwd, m)])];
      if (!root || process.platform !== 'linux') {
        args.push('--sync-only');
        io.out(ja ? '注意: root ではないため、エージェントはカーネルでの強制なし (同期のみ) で動きます\n' : 'note: not root, so the agent runs without kernel enforcement (sync only)\n');
      } else {
        const why = installationInUserSpace(preset);
        if (why) io.out(ja ? userSpaceNote.ja(why.root, why.why) : userSpaceNote.en(why.root, why.why));
      }
      child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: io.env });
      io.out(ja ? `エージェント: pid ${child.pid}\n` : `agent: pid ${child.pid}\n`);
    }
    return await new Promise<number>((done) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        process.off('SIGINT', stop); process.off('SIGTERM', stop);
        const closeConsole = () => void r.close().then(() => { io.out(ja ? 'omamori up: 停止しました\n' : 'omamori up: stopped\n'); done(EXIT.OK); });
        if (child && child.exitCode === null && child.signalCode === null) { child.once('exit', closeConsole); child.kill('SIGTERM'); } else closeConsole();
      };
      child?.once('exit', (code, signal) => {
        if (stopping) return;
        io.err(ja ? `omamori up: エージェントが終了しました (${code ?? signal})。コンソールは動き続けます\n` : `omamori up: the agent exited (${code ?? signal}); the console keeps running\n`);
      });
      process.on('SIGINT', stop); process.on('SIGTERM', stop);
    });
  },
};
