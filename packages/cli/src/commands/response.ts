// `omamori collect` (evidence bundle, and --verify) and `omamori isolate` (network isolation: nftables on Linux,
// generated PowerShell for Windows). Thin: parse, call @omamori/agent's response API, render ja/en. docs/response.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  EvidenceExistsError, buildNftRuleset, buildWindowsIsolationScripts, collectEvidence, currentActor, ensureIsolation,
  exportWindowsEventLogs, isolate, isolationStatus, parseCidr, parseHostPort, peerText, releaseIsolation, resolvePeer,
  runNft, systemResolver, verifyEvidence, type CollectOptions, type ExtraFile, type ExtraPart, type CollectProblem,
  type IsolationSpec, type NftRunner, type Peer, type Resolver,
} from '@omamori/agent';
import { EXIT, UsageError, type Command, type Io, type Lang } from '../command.ts';
import { runPowerShellCollector, type CollectorRun } from './emocheck.ts';

const DEFAULT_STATE = '/var/lib/omamori';

export interface ResponseDeps {
  platform: NodeJS.Platform;
  nft: NftRunner;
  resolver: Resolver;
  /** Windows: the emocheck collector (its snapshot carries processes and autostart entries). */
  runEmocheckCollector(): Promise<CollectorRun>;
  /** Windows: exports the event logs into `dir` (wevtutil epl). */
  exportEventLogs(dir: string): { files: ExtraFile[]; problems: CollectProblem[] };
  now(): Date;
  /** Test hook: extra collectEvidence options (fake world root, /proc). */
  collectOverrides?: Partial<CollectOptions>;
}

export const defaultResponseDeps: ResponseDeps = {
  platform: process.platform, nft: runNft, resolver: systemResolver, runEmocheckCollector: runPowerShellCollector,
  exportEventLogs: (dir) => exportWindowsEventLogs(dir), now: () => new Date(),
};

const say = (io: Io, t: Record<Lang, string>) => t[io.lang];

/** Options that take one value, options that take every following non-option word, and flags. */
function parseArgs(argv: string[], single: string[], multi: string[], flags: string[]) {
  const one: Record<string, string> = {};
  const many: Record<string, string[]> = {};
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    if (flags.includes(name) && inline === undefined) { set.add(name); continue; }
    if (single.includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      one[name] = v;
      continue;
    }
    if (multi.includes(name)) {
      const vals = many[name] ??= [];
      if (inline !== undefined) vals.push(inline);
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) vals.push(argv[++i]!);
      if (vals.length === 0) throw new UsageError(`${name} needs at least one value`);
      continue;
    }
    throw new UsageError(`unknown argument '${a}'`);
  }
  return { one, many, set };
}

function stateDir(value: string | undefined, io: Io): string {
  return resolve(io.cwd, value ?? io.env.OMAMORI_STATE ?? DEFAULT_STATE);
}

function problemLines(problems: CollectProblem[]): string {
  return problems.map((p) => `    ${p.code}${p.path ? ` ${p.path}` : ''}: ${p.message}\n`).join('');
}

const COLLECT_HELP: Record<Lang, string> = {
  en: `Usage: omamori collect --out FILE [--state DIR] [--include PATH...]
       omamori collect --verify FILE

Preserves evidence after an infection, before anything is cleaned: one archive (ustar, readable with 'tar')
holding the process tree (/proc: pid, ppid, start time, image, command line, uid, image sha256), autostart
entries (shell start-up files, XDG autostart, cron, systemd system and user units — with the command and the sha256
of the files it names; the declaring files themselves are copied), a consistent copy of the agent's event log
(<state>/events.db), every included file, and manifest.json with the sha256 of every part, the collection time,
host, OS and collector version. On Windows the emocheck snapshot (processes, Run keys, services, tasks) and the
event logs (wevtutil epl) take the place of /proc and the Linux autostart scan.
Nothing collected is modified: files are opened read-only without updating their access time, and nothing is
written next to them. An existing FILE is never overwritten.

Options:
  --out FILE          the bundle to write (mode 0600)
  --state DIR         agent state directory (default $OMAMORI_STATE or ${DEFAULT_STATE})
  --include PATH...   also copy these files or directories (recursively; symbolic links recorded, not followed)
  --verify FILE       re-check every hash of a bundle and name any part that changed
Exit codes: 0 written / intact, 1 the bundle was changed or damaged, 2 usage error or could not collect.
See docs/response.md.`,
  ja: `使い方: omamori collect --out FILE [--state ディレクトリ] [--include パス...]
        omamori collect --verify FILE

感染後、駆除の前に証拠を保全します。1 つのアーカイブ (ustar 形式、'tar' で読めます) に、プロセスツリー
(/proc: pid、ppid、開始時刻、実行ファイル、コマンドライン、uid、実行ファイルの sha256)、自動起動項目
(シェルの起動ファイル、XDG autostart、cron、systemd のシステム/ユーザーユニット — 起動するコマンドと、
それが指すファイルの sha256。定義ファイル自体も複製)、エージェントのイベントログ (<state>/events.db) の
整合したコピー、指定したファイル、各部分の sha256・収集時刻・ホスト・OS・収集ツールのバージョンを記した
manifest.json を収めます。Windows では /proc と Linux の自動起動の代わりに emocheck のスナップショット
(プロセス、Run キー、サービス、タスク) とイベントログ (wevtutil epl) を収めます。
収集対象は変更しません: 読み取り専用でアクセス時刻を更新せずに開き、その隣には何も書きません。
既存の FILE は上書きしません。

オプション:
  --out FILE          書き出すアーカイブ (権限 0600)
  --state ディレクトリ エージェントの状態ディレクトリ (既定は $OMAMORI_STATE または ${DEFAULT_STATE})
  --include パス...   これらのファイル/ディレクトリも複製 (再帰。シンボリックリンクは記録のみで辿らない)
  --verify FILE       アーカイブのハッシュをすべて確かめ、変わった部分を名指しする
終了コード: 0 書き出し成功/改変なし、1 アーカイブが改変・破損している、2 使い方の誤り・収集できなかった
詳しくは docs/response.md。`,
};

const ISOLATE_HELP: Record<Lang, string> = {
  en: `Usage: omamori isolate [--console HOST[:PORT]...] [--allow ADDR[/PREFIX]...] [--dns ADDR...]
                       [--state DIR] [--reason TEXT] [--dry-run]
       omamori isolate --off [--state DIR]
       omamori isolate --status [--state DIR]
       omamori isolate --reapply [--state DIR]
       omamori isolate --windows [--console ...] [--allow ...] [--dns ...] [--script-out DIR]

Cuts this machine off from every network peer except the console, loopback and the peers you allow.
Linux: an nftables table of its own (inet omamori_isolate; input, output and forward chains with policy drop);
this machine may open connections to the console (only to PORT when given) and receive their replies; --allow
peers may talk both ways (e.g. a responder's workstation); --dns servers get port 53 only. Host names are resolved
once, now. The decision is kept in <state>/isolation.json: the agent re-applies the table when it starts.
--off deletes the table (only it) and records the release. No other firewall rule is touched.
Windows: prints (or writes to DIR with --script-out) a PowerShell apply script and a revert script (rule group
"omamori-isolate"); run them as Administrator. Nothing is executed by omamori on Windows.

Options:
  --console HOST[:PORT]...  the management console ([V6]:PORT for IPv6 with a port)
  --allow ADDR[/PREFIX]...  peers allowed both ways
  --dns ADDR...             DNS servers (53/udp and 53/tcp)
  --reason TEXT             recorded in the state file
  --dry-run                 print the nftables ruleset, apply nothing
  --reapply                 re-apply the table from the state file (what the agent does at start)
Exit codes: 0 done, 1 nftables or the state file failed (or --status finds the table and state disagree),
2 usage error. See docs/response.md.`,
  ja: `使い方: omamori isolate [--console ホスト[:ポート]...] [--allow アドレス[/長さ]...] [--dns アドレス...]
                       [--state ディレクトリ] [--reason 理由] [--dry-run]
        omamori isolate --off [--state ディレクトリ]
        omamori isolate --status [--state ディレクトリ]
        omamori isolate --reapply [--state ディレクトリ]
        omamori isolate --windows [--console ...] [--allow ...] [--dns ...] [--script-out ディレクトリ]

この端末をネットワークから切り離します。通信できるのは管理コンソール、ループバック、許可した相手だけです。
Linux: 専用の nftables テーブル (inet omamori_isolate。input/output/forward チェーンの既定は破棄) を作ります。
この端末からコンソールへの接続 (ポート指定時はそのポートのみ) とその応答、--allow の相手との双方向の通信
(対応者の端末など)、--dns のサーバーへのポート 53 だけを通します。ホスト名は今この時点で一度だけ解決します。
状態は <state>/isolation.json に残り、エージェントは起動時にテーブルを再適用します。
--off はこのテーブルだけを削除し、解除を記録します。他のファイアウォール規則には触れません。
Windows: PowerShell の適用スクリプトと解除スクリプト (規則グループ "omamori-isolate") を表示します
(--script-out でディレクトリに書き出し)。管理者として実行してください。omamori 自身は Windows では実行しません。

オプション:
  --console ホスト[:ポート]...  管理コンソール (IPv6 でポートを付けるときは [V6]:ポート)
  --allow アドレス[/長さ]...    双方向に通信を許す相手
  --dns アドレス...             DNS サーバー (53/udp と 53/tcp)
  --reason 理由                 状態ファイルに記録する
  --dry-run                     nftables のルールセットを表示するだけで適用しない
  --reapply                     状態ファイルからテーブルを再適用する (エージェント起動時と同じ処理)
終了コード: 0 完了、1 nftables か状態ファイルの失敗 (--status ではテーブルと状態の不一致)、2 使い方の誤り
詳しくは docs/response.md。`,
};

async function runCollect(argv: string[], io: Io, deps: ResponseDeps): Promise<number> {
  const { one, many } = parseArgs(argv, ['--out', '--state', '--verify'], ['--include'], []);
  if (one['--verify'] !== undefined) {
    if (one['--out'] !== undefined || many['--include']) throw new UsageError('--verify takes no other option');
    const file = resolve(io.cwd, one['--verify']);
    const v = verifyEvidence(file);
    if (v.issues.some((i) => i.code === 'UNREADABLE')) {
      io.err(say(io, { en: `omamori collect: cannot read ${one['--verify']}: ${v.issues[0]!.message}\n`, ja: `omamori collect: ${one['--verify']} を読めません: ${v.issues[0]!.message}\n` }));
      return EXIT.USAGE;
    }
    if (v.ok) {
      io.out(say(io, {
        en: `${file}: intact — ${v.verified} part(s) match the manifest (collected ${v.manifest?.collectedAt} on ${v.manifest?.host.hostname})\n  bundle sha256: ${v.bundleSha256}\n`,
        ja: `${file}: 改変なし — ${v.verified} 個の部分がマニフェストと一致 (${v.manifest?.collectedAt} に ${v.manifest?.host.hostname} で収集)\n  アーカイブの sha256: ${v.bundleSha256}\n`,
      }));
      return EXIT.OK;
    }
    io.out(say(io, { en: `${file}: CHANGED OR DAMAGED — ${v.issues.length} problem(s):\n`, ja: `${file}: 改変または破損あり — ${v.issues.length} 件:\n` }));
    for (const i of v.issues) io.out(`  ${i.part}: [${i.code}] ${i.message}\n`);
    return EXIT.FAILURE;
  }
  const out = one['--out'];
  if (out === undefined) throw new UsageError(io.lang === 'ja' ? '--out FILE か --verify FILE を指定してください' : '--out FILE or --verify FILE is required');
  const opts: CollectOptions = {
    out: resolve(io.cwd, out), stateDir: stateDir(one['--state'], io),
    include: (many['--include'] ?? []).map((p) => resolve(io.cwd, p)), now: deps.now,
  };
  let work: string | undefined;
  if (deps.platform === 'win32') {
    // Windows: the emocheck snapshot stands in for /proc and the Linux autostart scan; event logs exported whole.
    opts.linuxSources = false;
    const extraParts: ExtraPart[] = [];
    const extraProblems: CollectProblem[] = [];
    const snap = await deps.runEmocheckCollector();
    if (snap.ok) extraParts.push({ name: 'windows/emocheck-snapshot.json', kind: 'windows-snapshot', bytes: snap.stdout, note: 'processes, Run/Explorer keys, services, tasks, startup items' });
    else extraProblems.push({ code: 'WINDOWS_SOURCE_FAILED', path: 'emocheck collector', message: snap.message.en });
    work = mkdtempSync(join(tmpdir(), 'omamori-evtx-'));
    const ev = deps.exportEventLogs(work);
    Object.assign(opts, { extraParts, extraFiles: ev.files, extraProblems: [...extraProblems, ...ev.problems] });
  }
  try {
    const r = await collectEvidence({ ...opts, ...deps.collectOverrides });
    const kinds = new Map<string, number>();
    for (const p of r.manifest.parts) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
    const summary = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
    io.out(say(io, {
      en: `Evidence bundle written: ${r.out}\n  parts: ${r.manifest.parts.length} (${summary})\n  bundle sha256: ${r.bundleSha256}\n  (keep this hash outside this machine, e.g. in the incident ticket)\n`,
      ja: `証拠アーカイブを書き出しました: ${r.out}\n  部分: ${r.manifest.parts.length} 個 (${summary})\n  アーカイブの sha256: ${r.bundleSha256}\n  (このハッシュはこの端末の外、例えばインシデントの記録に残してください)\n`,
    }));
    if (r.manifest.problems.length) {
      io.err(say(io, { en: `  not collected as asked (${r.manifest.problems.length}, also in manifest.json):\n`, ja: `  収集できなかったもの (${r.manifest.problems.length} 件、manifest.json にも記録):\n` }) + problemLines(r.manifest.problems));
    }
    return EXIT.OK;
  } catch (e) {
    if (e instanceof EvidenceExistsError) {
      io.err(say(io, { en: `omamori collect: ${out} already exists; evidence is never overwritten — choose another --out\n`, ja: `omamori collect: ${out} は既にあります。証拠は上書きしません。別の --out を指定してください\n` }));
      return EXIT.USAGE;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code) {
      io.err(say(io, { en: `omamori collect: cannot write ${out}: ${code}\n`, ja: `omamori collect: ${out} に書き込めません: ${code}\n` }));
      return EXIT.USAGE;
    }
    throw e;
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

async function buildSpec(many: Record<string, string[]>, deps: ResponseDeps): Promise<{ spec: IsolationSpec; requested: string[] }> {
  const consoles: Peer[] = [];
  for (const c of many['--console'] ?? []) {
    const hp = parseHostPort(c);
    if (typeof hp === 'string') throw new UsageError(`--console ${hp}`);
    let found: Peer[];
    try { found = await resolvePeer(hp, deps.resolver); } catch (e) {
      throw new UsageError(`--console '${c}': cannot resolve (${(e as NodeJS.ErrnoException).code ?? String(e)}); give an address`);
    }
    if (found.length === 0) throw new UsageError(`--console '${c}': no address`);
    consoles.push(...found);
  }
  const cidrs = (name: string, hostOnly: boolean): Peer[] => (many[name] ?? []).map((a) => {
    const p = parseCidr(a);
    if (typeof p === 'string') throw new UsageError(`${name} ${p}`);
    if (hostOnly && p.prefix !== (p.family === 4 ? 32 : 128)) throw new UsageError(`${name} '${a}': give a single address`);
    return p;
  });
  return { spec: { console: consoles, allow: cidrs('--allow', false), dns: cidrs('--dns', true) }, requested: many['--console'] ?? [] };
}

function describeState(io: Io, s: NonNullable<ReturnType<typeof isolationStatus>['state']>): string {
  const who = `${s.by.user ?? s.by.uid ?? '?'}${s.by.sudoUser ? ` (sudo: ${s.by.sudoUser})` : ''}@${s.by.host}`;
  const list = (ps: Peer[]) => ps.map(peerText).join(', ') || '-';
  return say(io, {
    en: `Isolation: ${s.isolated ? 'ON' : 'off'} since ${s.since} by ${who}${s.reason ? `, reason: ${s.reason}` : ''}\n  console: ${list(s.spec.console)}${s.consoleRequested.length ? ` (asked: ${s.consoleRequested.join(', ')})` : ''}\n  allow: ${list(s.spec.allow)}\n  dns: ${list(s.spec.dns)}\n`,
    ja: `隔離: ${s.isolated ? '有効' : '解除'} (${s.since}、${who}${s.reason ? `、理由: ${s.reason}` : ''})\n  コンソール: ${list(s.spec.console)}${s.consoleRequested.length ? ` (指定: ${s.consoleRequested.join(', ')})` : ''}\n  許可: ${list(s.spec.allow)}\n  DNS: ${list(s.spec.dns)}\n`,
  });
}

async function runIsolate(argv: string[], io: Io, deps: ResponseDeps): Promise<number> {
  const { one, many, set } = parseArgs(argv, ['--state', '--reason', '--script-out'], ['--console', '--allow', '--dns'],
    ['--off', '--status', '--reapply', '--dry-run', '--windows']);
  const modes = ['--off', '--status', '--reapply'].filter((m) => set.has(m));
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined`);
  if (modes.length && (many['--console'] || many['--allow'] || many['--dns'] || set.has('--windows') || set.has('--dry-run'))) {
    throw new UsageError(`${modes[0]} takes only --state`);
  }
  const state = stateDir(one['--state'], io);
  const windows = set.has('--windows') || deps.platform === 'win32';
  if (one['--script-out'] !== undefined && !windows) throw new UsageError('--script-out goes with --windows');

  if (set.has('--status')) {
    const st = isolationStatus(state, { nft: deps.nft });
    if (st.stateError) io.err(say(io, { en: `state file unreadable: ${st.stateError}\n`, ja: `状態ファイルを読めません: ${st.stateError}\n` }));
    io.out(st.state ? describeState(io, st.state) : say(io, { en: 'Isolation: never applied on this machine\n', ja: '隔離: この端末では未実施\n' }));
    io.out(say(io, { en: `  nftables table inet omamori_isolate: ${st.tablePresent ? 'present' : 'absent'}\n`, ja: `  nftables テーブル inet omamori_isolate: ${st.tablePresent ? 'あり' : 'なし'}\n` }));
    if (st.drift) {
      io.err(say(io, { en: 'WARNING: the state file and the kernel disagree — run `omamori isolate --reapply` or `omamori isolate --off`\n', ja: '警告: 状態ファイルとカーネルの状態が一致しません — `omamori isolate --reapply` か `omamori isolate --off` を実行してください\n' }));
    }
    return st.drift || st.stateError ? EXIT.FAILURE : EXIT.OK;
  }
  if (set.has('--off')) {
    const r = releaseIsolation(state, { nft: deps.nft, actor: currentActor(io.env), now: deps.now() });
    if (!r.ok) { io.err(say(io, { en: `omamori isolate: could not release (${r.step}): ${r.message}\n`, ja: `omamori isolate: 解除できませんでした (${r.step}): ${r.message}\n` })); return EXIT.FAILURE; }
    io.out(r.tableWasPresent ? say(io, { en: 'Isolation removed: table inet omamori_isolate deleted\n', ja: '隔離を解除しました: テーブル inet omamori_isolate を削除\n' })
      : say(io, { en: 'Not isolated: no omamori table was present\n', ja: '隔離されていません: omamori のテーブルはありませんでした\n' }));
    return EXIT.OK;
  }
  if (set.has('--reapply')) {
    const r = ensureIsolation(state, { nft: deps.nft });
    if (r.action === 'failed') { io.err(`omamori isolate: ${r.message}\n`); return EXIT.FAILURE; }
    io.out(r.action === 'reapplied' ? say(io, { en: 'Isolation re-applied from the state file\n', ja: '状態ファイルから隔離を再適用しました\n' })
      : say(io, { en: 'Not isolated: nothing to re-apply\n', ja: '隔離されていません: 再適用するものはありません\n' }));
    return EXIT.OK;
  }

  const { spec, requested } = await buildSpec(many, deps);
  if (windows) {
    const s = buildWindowsIsolationScripts(spec, { generatedAt: deps.now().toISOString(), consoleRequested: requested });
    const dir = one['--script-out'];
    if (dir === undefined) {
      io.out(`# ---- omamori-isolate-apply.ps1 ----\n${s.apply.replace(/\r\n/g, '\n')}\n# ---- omamori-isolate-revert.ps1 ----\n${s.revert.replace(/\r\n/g, '\n')}`);
      return EXIT.OK;
    }
    const d = resolve(io.cwd, dir);
    try {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'omamori-isolate-apply.ps1'), s.apply);
      writeFileSync(join(d, 'omamori-isolate-revert.ps1'), s.revert);
    } catch (e) {
      io.err(`omamori isolate: ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return EXIT.FAILURE;
    }
    io.out(say(io, { en: `Wrote ${join(d, 'omamori-isolate-apply.ps1')} and omamori-isolate-revert.ps1 (run as Administrator)\n`, ja: `${join(d, 'omamori-isolate-apply.ps1')} と omamori-isolate-revert.ps1 を書き出しました (管理者として実行)\n` }));
    return EXIT.OK;
  }
  if (deps.platform !== 'linux') throw new UsageError('isolation is applied on Linux only; use --windows to generate the Windows scripts');
  if (set.has('--dry-run')) { io.out(buildNftRuleset(spec)); return EXIT.OK; }
  if (spec.console.length === 0) {
    io.err(say(io, { en: 'note: no --console given: only loopback (and --allow/--dns peers) stays reachable; the agent cannot report\n', ja: '注意: --console がないため、ループバック (と --allow/--dns の相手) 以外とは通信できず、エージェントは報告できません\n' }));
  }
  const r = isolate(state, spec, { nft: deps.nft, actor: currentActor(io.env), now: deps.now(), consoleRequested: requested, ...(one['--reason'] ? { reason: one['--reason'] } : {}) });
  if (!r.ok) {
    io.err(say(io, { en: `omamori isolate: not isolated — ${r.step === 'nft' ? 'nftables refused the ruleset' : 'the state could not be saved (table removed again)'}: ${r.message}\n`,
      ja: `omamori isolate: 隔離できませんでした — ${r.step === 'nft' ? 'nftables がルールセットを拒否' : '状態を保存できず (テーブルは削除済み)'}: ${r.message}\n` }));
    return EXIT.FAILURE;
  }
  io.out(describeState(io, r.state));
  io.out(say(io, { en: `  state: ${join(state, 'isolation.json')}; undo with: omamori isolate --off\n`, ja: `  状態: ${join(state, 'isolation.json')}。解除: omamori isolate --off\n` }));
  return EXIT.OK;
}

export function createResponseCommands(deps: ResponseDeps): Command[] {
  return [
    { path: ['collect'], summary: { en: 'preserve evidence (process tree, autostart, event log, files) in one verifiable bundle', ja: '証拠を保全 (プロセスツリー、自動起動、イベントログ、ファイル) — 検証できる 1 ファイルに' },
      help: COLLECT_HELP, run: (argv, io) => runCollect(argv, io, deps) },
    { path: ['isolate'], summary: { en: 'cut this machine off the network except the console (--off, --status)', ja: '端末をネットワークから隔離 (コンソール以外)。--off で解除、--status で確認' },
      help: ISOLATE_HELP, run: (argv, io) => runIsolate(argv, io, deps) },
  ];
}

export const responseCommands = createResponseCommands(defaultResponseDeps);
