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
import { defineCommand, type OptionValues } from '../args.ts';
import { EXIT, UsageError, type Command, type Io, type Lang } from '../command.ts';
import { resolveStateDir, STATE_OPTION } from '../state-dir.ts';
import { runPowerShellCollector, type CollectorRun } from './emocheck.ts';

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

function problemLines(problems: CollectProblem[]): string {
  return problems.map((p) => `    ${p.code}${p.path ? ` ${p.path}` : ''}: ${p.message}\n`).join('');
}

const COLLECT = {
  forms: { en: ['omamori collect --verify FILE'], ja: ['omamori collect --verify FILE'] },
  options: {
    out: { type: 'string', value: 'FILE', help: { en: 'the bundle to write (mode 0600)', ja: '書き出すアーカイブ (権限 0600)' } },
    state: STATE_OPTION,
    include: {
      type: 'string', variadic: true, value: { en: 'PATH', ja: 'パス' },
      help: { en: 'also copy these files or directories (recursively; symbolic links recorded, not followed)', ja: 'これらのファイル/ディレクトリも複製 (再帰。シンボリックリンクは記録のみで辿らない)' },
    },
    verify: { type: 'string', value: 'FILE', hideInUsage: true, help: { en: 're-check every hash of a bundle and name any part that changed', ja: 'アーカイブのハッシュをすべて確かめ、変わった部分を名指しする' } },
  },
  description: {
    en: `Preserves evidence after an infection, before anything is cleaned: one archive (ustar, readable with 'tar')
holding the process tree (/proc: pid, ppid, start time, image, command line, uid, image sha256), autostart
entries (shell start-up files, XDG autostart, cron, systemd system and user units — with the command and the sha256
of the files it names; the declaring files themselves are copied), a consistent copy of the agent's event log
(<state>/events.db), every included file, and manifest.json with the sha256 of every part, the collection time,
host, OS and collector version. On Windows the emocheck snapshot (processes, Run keys, services, tasks) and the
event logs (wevtutil epl) take the place of /proc and the Linux autostart scan.
Nothing collected is modified: files are opened read-only without updating their access time, and nothing is
written next to them. An existing FILE is never overwritten.
Exit codes: 0 written / intact, 1 the bundle was changed or damaged, 2 usage error or could not collect.
See docs/response.md.`,
    ja: `感染後、駆除の前に証拠を保全します。1 つのアーカイブ (ustar 形式、'tar' で読めます) に、プロセスツリー
(/proc: pid、ppid、開始時刻、実行ファイル、コマンドライン、uid、実行ファイルの sha256)、自動起動項目
(シェルの起動ファイル、XDG autostart、cron、systemd のシステム/ユーザーユニット — 起動するコマンドと、
それが指すファイルの sha256。定義ファイル自体も複製)、エージェントのイベントログ (<state>/events.db) の
整合したコピー、指定したファイル、各部分の sha256・収集時刻・ホスト・OS・収集ツールのバージョンを記した
manifest.json を収めます。Windows では /proc と Linux の自動起動の代わりに emocheck のスナップショット
(プロセス、Run キー、サービス、タスク) とイベントログ (wevtutil epl) を収めます。
収集対象は変更しません: 読み取り専用でアクセス時刻を更新せずに開き、その隣には何も書きません。
既存の FILE は上書きしません。
終了コード: 0 書き出し成功/改変なし、1 アーカイブが改変・破損している、2 使い方の誤り・収集できなかった
詳しくは docs/response.md。`,
  },
} as const;

const ISOLATE = {
  forms: {
    en: ['omamori isolate --off|--status|--reapply [--state DIR]', 'omamori isolate --windows [--console ...] [--allow ...] [--dns ...] [--script-out DIR]'],
    ja: ['omamori isolate --off|--status|--reapply [--state ディレクトリ]', 'omamori isolate --windows [--console ...] [--allow ...] [--dns ...] [--script-out ディレクトリ]'],
  },
  options: {
    console: { type: 'string', variadic: true, value: { en: 'HOST[:PORT]', ja: 'ホスト[:ポート]' }, help: { en: 'the management console ([V6]:PORT for IPv6 with a port)', ja: '管理コンソール (IPv6 でポートを付けるときは [V6]:ポート)' } },
    allow: { type: 'string', variadic: true, value: { en: 'ADDR[/PREFIX]', ja: 'アドレス[/長さ]' }, help: { en: 'peers allowed both ways', ja: '双方向に通信を許す相手' } },
    dns: { type: 'string', variadic: true, value: { en: 'ADDR', ja: 'アドレス' }, help: { en: 'DNS servers (53/udp and 53/tcp)', ja: 'DNS サーバー (53/udp と 53/tcp)' } },
    state: STATE_OPTION,
    reason: { type: 'string', value: { en: 'TEXT', ja: '理由' }, help: { en: 'recorded in the state file', ja: '状態ファイルに記録する' } },
    'dry-run': { type: 'boolean', help: { en: 'print the nftables ruleset, apply nothing', ja: 'nftables のルールセットを表示するだけで適用しない' } },
    off: { type: 'boolean', hideInUsage: true, help: { en: 'lift the isolation (delete the table, record the release)', ja: '隔離を解除 (テーブルを削除し、解除を記録)' } },
    status: { type: 'boolean', hideInUsage: true, help: { en: 'show the recorded isolation and whether the table is in the kernel', ja: '記録された隔離と、テーブルがカーネルにあるかを表示' } },
    reapply: { type: 'boolean', hideInUsage: true, help: { en: 're-apply the table from the state file (what the agent does at start)', ja: '状態ファイルからテーブルを再適用する (エージェント起動時と同じ処理)' } },
    windows: { type: 'boolean', hideInUsage: true, help: { en: 'generate the Windows PowerShell scripts (the default on Windows)', ja: 'Windows 用の PowerShell スクリプトを生成 (Windows では既定)' } },
    'script-out': { type: 'string', hideInUsage: true, value: { en: 'DIR', ja: 'ディレクトリ' }, help: { en: 'write the Windows scripts to DIR', ja: 'Windows 用スクリプトをディレクトリに書き出す' } },
  },
  description: {
    en: `Cuts this machine off from every network peer except the console, loopback and the peers you allow.
Linux: an nftables table of its own (inet omamori_isolate; input, output and forward chains with policy drop);
this machine may open connections to the console (only to PORT when given) and receive their replies; --allow
peers may talk both ways (e.g. a responder's workstation); --dns servers get port 53 only. Host names are resolved
once, now. The decision is kept in <state>/isolation.json: the agent re-applies the table when it starts.
--off deletes the table (only it) and records the release. No other firewall rule is touched.
Windows: prints (or writes to DIR with --script-out) a PowerShell apply script and a revert script (rule group
"omamori-isolate"); run them as Administrator. Nothing is executed by omamori on Windows.
Exit codes: 0 done, 1 nftables or the state file failed (or --status finds the table and state disagree),
2 usage error. See docs/response.md.`,
    ja: `この端末をネットワークから切り離します。通信できるのは管理コンソール、ループバック、許可した相手だけです。
Linux: 専用の nftables テーブル (inet omamori_isolate。input/output/forward チェーンの既定は破棄) を作ります。
この端末からコンソールへの接続 (ポート指定時はそのポートのみ) とその応答、--allow の相手との双方向の通信
(対応者の端末など)、--dns のサーバーへのポート 53 だけを通します。ホスト名は今この時点で一度だけ解決します。
状態は <state>/isolation.json に残り、エージェントは起動時にテーブルを再適用します。
--off はこのテーブルだけを削除し、解除を記録します。他のファイアウォール規則には触れません。
Windows: PowerShell の適用スクリプトと解除スクリプト (規則グループ "omamori-isolate") を表示します
(--script-out でディレクトリに書き出し)。管理者として実行してください。omamori 自身は Windows では実行しません。
終了コード: 0 完了、1 nftables か状態ファイルの失敗 (--status ではテーブルと状態の不一致)、2 使い方の誤り
詳しくは docs/response.md。`,
  },
} as const;

async function runCollect(values: OptionValues<typeof COLLECT.options>, io: Io, deps: ResponseDeps): Promise<number> {
  if (values.verify !== undefined) {
    if (values.out !== undefined || values.include) throw new UsageError(io.lang === 'ja' ? '--verify は他のオプションと使えません' : '--verify takes no other option');
    const file = resolve(io.cwd, values.verify);
    const v = verifyEvidence(file);
    if (v.issues.some((i) => i.code === 'UNREADABLE')) {
      io.err(say(io, { en: `omamori collect: cannot read ${values.verify}: ${v.issues[0]!.message}\n`, ja: `omamori collect: ${values.verify} を読めません: ${v.issues[0]!.message}\n` }));
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
  const out = values.out;
  if (out === undefined) throw new UsageError(io.lang === 'ja' ? '--out FILE か --verify FILE を指定してください' : '--out FILE or --verify FILE is required');
  const opts: CollectOptions = {
    out: resolve(io.cwd, out), stateDir: resolveStateDir(values.state, io).dir,
    include: (values.include ?? []).map((p) => resolve(io.cwd, p)), now: deps.now,
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

type IsolateValues = OptionValues<typeof ISOLATE.options>;

async function buildSpec(values: IsolateValues, deps: ResponseDeps): Promise<{ spec: IsolationSpec; requested: string[] }> {
  const consoles: Peer[] = [];
  for (const c of values.console ?? []) {
    const hp = parseHostPort(c);
    if (typeof hp === 'string') throw new UsageError(`--console ${hp}`);
    let found: Peer[];
    try { found = await resolvePeer(hp, deps.resolver); } catch (e) {
      throw new UsageError(`--console '${c}': cannot resolve (${(e as NodeJS.ErrnoException).code ?? String(e)}); give an address`);
    }
    if (found.length === 0) throw new UsageError(`--console '${c}': no address`);
    consoles.push(...found);
  }
  const cidrs = (name: 'allow' | 'dns', hostOnly: boolean): Peer[] => (values[name] ?? []).map((a) => {
    const p = parseCidr(a);
    if (typeof p === 'string') throw new UsageError(`--${name} ${p}`);
    if (hostOnly && p.prefix !== (p.family === 4 ? 32 : 128)) throw new UsageError(`--${name} '${a}': give a single address`);
    return p;
  });
  return { spec: { console: consoles, allow: cidrs('allow', false), dns: cidrs('dns', true) }, requested: values.console ?? [] };
}

function describeState(io: Io, s: NonNullable<ReturnType<typeof isolationStatus>['state']>): string {
  const who = `${s.by.user ?? s.by.uid ?? '?'}${s.by.sudoUser ? ` (sudo: ${s.by.sudoUser})` : ''}@${s.by.host}`;
  const list = (ps: Peer[]) => ps.map(peerText).join(', ') || '-';
  return say(io, {
    en: `Isolation: ${s.isolated ? 'ON' : 'off'} since ${s.since} by ${who}${s.reason ? `, reason: ${s.reason}` : ''}\n  console: ${list(s.spec.console)}${s.consoleRequested.length ? ` (asked: ${s.consoleRequested.join(', ')})` : ''}\n  allow: ${list(s.spec.allow)}\n  dns: ${list(s.spec.dns)}\n`,
    ja: `隔離: ${s.isolated ? '有効' : '解除'} (${s.since}、${who}${s.reason ? `、理由: ${s.reason}` : ''})\n  コンソール: ${list(s.spec.console)}${s.consoleRequested.length ? ` (指定: ${s.consoleRequested.join(', ')})` : ''}\n  許可: ${list(s.spec.allow)}\n  DNS: ${list(s.spec.dns)}\n`,
  });
}

async function runIsolate(values: IsolateValues, io: Io, deps: ResponseDeps): Promise<number> {
  const modes = (['off', 'status', 'reapply'] as const).filter((m) => values[m]).map((m) => `--${m}`);
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined`);
  if (modes.length && (values.console || values.allow || values.dns || values.windows || values['dry-run'])) {
    throw new UsageError(`${modes[0]} takes only --state`);
  }
  const state = resolveStateDir(values.state, io).dir;
  const windows = values.windows === true || deps.platform === 'win32';
  if (values['script-out'] !== undefined && !windows) throw new UsageError('--script-out goes with --windows');

  if (values.status) {
    const st = isolationStatus(state, { nft: deps.nft });
    if (st.stateError) io.err(say(io, { en: `state file unreadable: ${st.stateError}\n`, ja: `状態ファイルを読めません: ${st.stateError}\n` }));
    io.out(st.state ? describeState(io, st.state) : say(io, { en: 'Isolation: never applied on this machine\n', ja: '隔離: この端末では未実施\n' }));
    io.out(say(io, { en: `  nftables table inet omamori_isolate: ${st.tablePresent ? 'present' : 'absent'}\n`, ja: `  nftables テーブル inet omamori_isolate: ${st.tablePresent ? 'あり' : 'なし'}\n` }));
    if (st.drift) {
      io.err(say(io, { en: 'WARNING: the state file and the kernel disagree — run `omamori isolate --reapply` or `omamori isolate --off`\n', ja: '警告: 状態ファイルとカーネルの状態が一致しません — `omamori isolate --reapply` か `omamori isolate --off` を実行してください\n' }));
    }
    return st.drift || st.stateError ? EXIT.FAILURE : EXIT.OK;
  }
  if (values.off) {
    const r = releaseIsolation(state, { nft: deps.nft, actor: currentActor(io.env), now: deps.now() });
    if (!r.ok) { io.err(say(io, { en: `omamori isolate: could not release (${r.step}): ${r.message}\n`, ja: `omamori isolate: 解除できませんでした (${r.step}): ${r.message}\n` })); return EXIT.FAILURE; }
    io.out(r.tableWasPresent ? say(io, { en: 'Isolation removed: table inet omamori_isolate deleted\n', ja: '隔離を解除しました: テーブル inet omamori_isolate を削除\n' })
      : say(io, { en: 'Not isolated: no omamori table was present\n', ja: '隔離されていません: omamori のテーブルはありませんでした\n' }));
    return EXIT.OK;
  }
  if (values.reapply) {
    const r = ensureIsolation(state, { nft: deps.nft });
    if (r.action === 'failed') { io.err(`omamori isolate: ${r.message}\n`); return EXIT.FAILURE; }
    io.out(r.action === 'reapplied' ? say(io, { en: 'Isolation re-applied from the state file\n', ja: '状態ファイルから隔離を再適用しました\n' })
      : say(io, { en: 'Not isolated: nothing to re-apply\n', ja: '隔離されていません: 再適用するものはありません\n' }));
    return EXIT.OK;
  }

  const { spec, requested } = await buildSpec(values, deps);
  if (windows) {
    const s = buildWindowsIsolationScripts(spec, { generatedAt: deps.now().toISOString(), consoleRequested: requested });
    const dir = values['script-out'];
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
  if (values['dry-run']) { io.out(buildNftRuleset(spec)); return EXIT.OK; }
  if (spec.console.length === 0) {
    io.err(say(io, { en: 'note: no --console given: only loopback (and --allow/--dns peers) stays reachable; the agent cannot report\n', ja: '注意: --console がないため、ループバック (と --allow/--dns の相手) 以外とは通信できず、エージェントは報告できません\n' }));
  }
  const r = isolate(state, spec, { nft: deps.nft, actor: currentActor(io.env), now: deps.now(), consoleRequested: requested, ...(values.reason ? { reason: values.reason } : {}) });
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
    defineCommand({
      path: ['collect'], summary: { en: 'preserve evidence (process tree, autostart, event log, files) in one verifiable bundle', ja: '証拠を保全 (プロセスツリー、自動起動、イベントログ、ファイル) — 検証できる 1 ファイルに' },
      ...COLLECT, run: ({ values }, io) => runCollect(values, io, deps),
    }),
    defineCommand({
      path: ['isolate'], summary: { en: 'cut this machine off the network except the console (--off, --status)', ja: '端末をネットワークから隔離 (コンソール以外)。--off で解除、--status で確認' },
      ...ISOLATE, run: ({ values }, io) => runIsolate(values, io, deps),
    }),
  ];
}

export const responseCommands = createResponseCommands(defaultResponseDeps);
