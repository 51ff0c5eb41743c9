// `omamori agent enroll` (join a console with a group token, pinning its certificate) and `omamori agent run` (the
// agent runtime under the console's signed policy, with event upload: Linux fanotify, or the Windows agent mode).
// Thin: parse, build what only the CLI has (incident task handlers, the PowerShell door), call @omamori/agent, render.
import { resolve } from 'node:path';
import { DEFAULT_PRESET } from '@omamori/policy';
import {
  createAgentRuntime, enrollAgent, exportWindowsEventLogs, runNft, SyncError, systemResolver, windows, ensureIsolation,
  type NftRunner,
} from '@omamori/agent';
import { defineCommand } from '../args.ts';
import { EXIT, type Command } from '../command.ts';
import { resolveStateDir, STATE_OPTION } from '../state-dir.ts';
import { runPowerShellCollector } from './emocheck.ts';
import { createIncidentTaskHandlers } from './incident-tasks.ts';

/** What `agent run` takes from the machine; tests inject win32 and a record-mode PowerShell. */
export interface AgentRunDeps {
  platform: NodeJS.Platform;
  /** The PowerShell door for Windows mode (default: live powershell.exe). */
  powershell?: () => windows.PowerShell;
  /** Resolves when the agent should stop (besides SIGINT/SIGTERM, which the runtime handles). */
  waitForStop?: () => Promise<void>;
  /** nftables for isolation re-apply and isolation tasks (default: the nft command). */
  nft?: NftRunner;
}

const enroll = defineCommand({
  path: ['agent', 'enroll'],
  summary: { en: 'Enroll this endpoint with a console (group token, pinned certificate)', ja: 'この端末をコンソールに登録 (グループのトークン、証明書の固定)' },
  options: {
    console: { type: 'string', required: true, value: 'URL', help: { en: 'the console, e.g. https://console.example:8443', ja: 'コンソール (例: https://console.example:8443)' } },
    token: { type: 'string', required: true, value: { en: 'TOKEN', ja: 'トークン' }, help: { en: 'the enrollment token made for a group in the console', ja: 'コンソールでグループ用に作った登録トークン' } },
    fingerprint: { type: 'string', value: 'SHA256', help: { en: "the console certificate's SHA-256 (as `omamori console` prints it)", ja: 'コンソール証明書の SHA-256 (`omamori console` の表示)' } },
    state: STATE_OPTION,
    hostname: { type: 'string', value: { en: 'NAME', ja: '名前' }, help: { en: 'the name shown in the console (default: this host name)', ja: 'コンソールに表示する名前 (既定: ホスト名)' } },
  },
  description: {
    en: `Makes this endpoint's Ed25519 key pair, pins the console's TLS certificate (checked against --fingerprint when
given, as printed by \`omamori console\`; otherwise the certificate seen now is pinned and printed) and enrolls
with a token made for a group in the console. State goes to DIR (see --state).`,
    ja: `この端末の Ed25519 鍵ペアを作り、コンソールの TLS 証明書を固定し (--fingerprint があれば \`omamori console\` が
表示した値と照合。なければ今見えた証明書を固定して表示)、コンソールでグループ用に作ったトークンで登録します。
状態はディレクトリ (--state を参照) に保存します。`,
  },
  async run({ values }, io) {
    const ja = io.lang === 'ja';
    try {
      const e = await enrollAgent({
        consoleUrl: values.console!, token: values.token!, stateDir: resolveStateDir(values.state, io).dir,
        ...(values.fingerprint ? { fingerprint: values.fingerprint } : {}), ...(values.hostname ? { hostname: values.hostname } : {}),
      });
      io.out(ja ? `登録しました: エージェント ${e.agentId} (グループ ${e.groupId})\n` : `enrolled: agent ${e.agentId} (group ${e.groupId})\n`);
      if (e.pin) io.out(ja ? `固定した証明書 SHA-256: ${e.pin.fingerprint}\n` : `pinned certificate SHA-256: ${e.pin.fingerprint}\n`);
      return EXIT.OK;
    } catch (err) {
      const code = err instanceof SyncError ? err.code : 'ERROR';
      io.err(ja ? `omamori agent enroll: 登録できません (${code}): ${(err as Error).message}\n` : `omamori agent enroll: cannot enroll (${code}): ${(err as Error).message}\n`);
      return EXIT.FAILURE;
    }
  },
});

function createRun(deps: AgentRunDeps): Command { return defineCommand({
  path: ['agent', 'run'],
  summary: { en: 'Run the agent under the console: signed policy, heartbeat, event upload', ja: 'コンソール管理下でエージェントを実行: 署名済みポリシー・死活通知・イベント送信' },
  options: {
    state: STATE_OPTION,
    mount: { type: 'string', multiple: true, value: { en: 'PATH', ja: 'パス' }, help: { en: 'mark only these mounts (repeatable)', ja: 'このマウントだけを監視 (複数可)' } },
    'sync-only': { type: 'boolean', help: { en: 'sync without local enforcement', ja: 'ローカルの強制なしで同期だけ' } },
  },
  description: {
    en: `Runs the Linux agent (as \`omamori protect\`) with the policy the console signed for this endpoint, and syncs:
heartbeats with status and versions, new signed policies (verified: signature, target, rising version, and the
policy validator; otherwise the last good policy stays), and the event log (events.db, the upload outbox) uploaded.
Until the first console policy arrives the agent runs the ${DEFAULT_PRESET} preset in audit mode. When the console
is away the agent keeps protecting and events wait in events.db. --sync-only runs the sync loop without local
enforcement (reported as sync-only). Incident tasks the console signs (isolate, lift isolation, collect evidence,
run the check) run here and are reported back (docs/incident-response.md). SIGINT/SIGTERM stop.
On Windows the policy is enforced by Windows' own engines instead (App Control, ASR, Controlled Folder Access, Office
settings): applied on each new policy, verified every 60 s and re-applied on drift; their blocks are uploaded
(docs/windows.md, "Agent mode").`,
    ja: `コンソールがこの端末向けに署名したポリシーで Linux エージェント (\`omamori protect\` と同じ) を実行し、同期します:
状態とバージョンの死活通知、新しい署名済みポリシー (署名・対象・バージョンの増加・ポリシー検証を確認。不合格なら
直前の正しいポリシーを維持)、イベントログ (events.db、送信待ちを兼ねる) の送信。最初のポリシーが届くまでは ${DEFAULT_PRESET}
プリセットを監査モードで実行します。コンソールに届かない間も保護を続け、イベントは events.db で待ちます。
--sync-only はローカルの強制なしで同期だけを行います (sync-only と報告)。コンソールが署名したインシデント対応の依頼
(隔離・隔離の解除・証拠の収集・チェックの実行) をここで実行し、結果を報告します (docs/incident-response.md)。
SIGINT/SIGTERM で停止します。
Windows では Windows 自身の機能 (App Control・ASR・フォルダー アクセスの制御・Office 設定) でポリシーを強制します:
新しいポリシーごとに適用し、60 秒ごとに検証してずれがあれば再適用し、それらのブロックを送信します
(docs/windows.md の「Agent mode」)。`,
  },
  async run({ values }, io) {
    const ja = io.lang === 'ja';
    const dir = resolveStateDir(values.state, io).dir;
    const log = (line: string) => io.err(`omamori agent: ${line}\n`);
    const win32 = deps.platform === 'win32';
    // The one agent runtime (agent/src/runtime.ts), as `omamori protect` uses it, managed: it makes the sync client
    // and enforces the console's policy, on Linux with the fanotify agent, on Windows with the Windows agent mode
    // (apply/verify/read-back through PowerShell) as its enforcer.
    const started = await createAgentRuntime({
      stateDir: dir, log, enforce: !values['sync-only'],
      console: {
        // Incident tasks from the console (docs/incident-response.md).
        tasks: (consoleUrl) => createIncidentTaskHandlers({
          platform: deps.platform, stateDir: dir, consoleUrl, nft: deps.nft ?? runNft, resolver: systemResolver,
          runEmocheckCollector: runPowerShellCollector, exportEventLogs: (d) => exportWindowsEventLogs(d), now: () => new Date(),
        }),
      },
      ...(win32 ? { enforcer: (outbox: windows.WindowsEventSink) => windows.createWindowsAgentMode({
        powershell: deps.powershell?.() ?? windows.createPowerShell({ mode: 'live', platform: deps.platform }), sink: outbox, stateDir: dir, log,
      }) } : {}),
      // On win32 the runtime never checks nftables isolation (not even --sync-only): Windows keeps its firewall rules.
      mounts: values.mount?.map((m) => resolve(io.cwd, m)), ensureIsolation: (d) => ensureIsolation(d, { nft: deps.nft ?? runNft }),
    });
    if (!started.ok) {
      if (started.code === 'SYNC_FAILED') io.err(ja ? `omamori agent run: 開始できません: ${started.message}\n` : `omamori agent run: cannot start: ${started.message}\n`);
      else if (started.code === 'ENFORCER_FAILED') io.err(ja ? `omamori agent run: Windows モードを開始できません: ${started.message}\n` : `omamori agent run: cannot start Windows mode: ${started.message}\n`);
      else {
        io.err(ja ? `omamori agent run: エージェントを開始できません (${started.code}): ${started.message}\n  同期だけなら --sync-only を付けてください\n`
          : `omamori agent run: cannot start the agent (${started.code}): ${started.message}\n  use --sync-only to run the sync loop alone\n`);
      }
      return EXIT.FAILURE;
    }
    const runtime = started.runtime;
    const sync = runtime.sync!;
    const what = runtime.enforcer ? (ja ? '保護中 (Windows: App Control・ASR・CFA)' : 'protecting (Windows: App Control, ASR, CFA)') : runtime.agent ? (ja ? '保護中' : 'protecting') : (ja ? '同期のみ' : 'sync only');
    io.out(ja ? `omamori agent: ${what} (エージェント ${sync.enrollment.agentId}, コンソール ${sync.enrollment.consoleUrl}, ポリシー v${sync.policyVersion()}, pid ${process.pid})\n`
      : `omamori agent: ${what} (agent ${sync.enrollment.agentId}, console ${sync.enrollment.consoleUrl}, policy v${sync.policyVersion()}, pid ${process.pid})\n`);
    // The runtime stops on SIGINT/SIGTERM itself (services, then enforcement); a test's waitForStop stops it too.
    if (deps.waitForStop) await Promise.race([deps.waitForStop().then(() => runtime.stop()), runtime.stopped]);
    else await runtime.stopped;
    io.out(ja ? 'omamori agent: 停止しました\n' : 'omamori agent: stopped\n');
    return EXIT.OK;
  },
}); }

export function createAgentSyncCommands(deps: AgentRunDeps = { platform: process.platform }): Command[] { return [enroll, createRun(deps)]; }
export const agentSyncCommands: Command[] = createAgentSyncCommands();
