// `omamori windows compile|apply|verify`: the policy compiled to Windows' own engines, applied and checked through
// PowerShell. Off Windows, apply/verify only print the PowerShell they would run (--dry-run).
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { windows } from '@omamori/agent';
import { compileWindows, type AsrAction } from '@omamori/windows';

const { applyWindowsPolicy, createPowerShell, verifyWindowsPolicy } = windows;
type PowerShell = windows.PowerShell;
import { parse } from '../args.ts';
import { EXIT, UsageError, type Command, type Io } from '../command.ts';
import { loadChosenPolicy } from '../policy-source.ts';

export interface WindowsDeps {
  platform: NodeJS.Platform; now: () => number; host: () => string;
  /** The PowerShell door on Windows (tests give a recording one that answers like a machine). */
  powershell?: () => PowerShell;
}
const defaultDeps: WindowsDeps = { platform: process.platform, now: () => Date.now(), host: () => hostname() };

const POLICY_OPTS = { policy: { type: 'string' }, preset: { type: 'string' }, mode: { type: 'string' } } as const;

function asrOption(v: string | undefined, io: Io): AsrAction | undefined {
  if (v === undefined) return undefined;
  if (!['block', 'audit', 'warn'].includes(v)) throw new UsageError(io.lang === 'ja' ? `--asr は block、audit、warn のいずれかです (指定: ${v})` : `--asr must be block, audit or warn (got ${v})`);
  return v as AsrAction;
}

function compileCommand(deps: WindowsDeps): Command {
  return {
    path: ['windows', 'compile'],
    summary: { en: 'Compile a policy to App Control, ASR, Controlled Folder Access and Office settings', ja: 'ポリシーを App Control・ASR・フォルダー アクセスの制御・Office 設定に変換' },
    help: {
      en: `Usage: omamori windows compile [--policy FILE | --preset NAME] [--mode M] [--asr block|audit|warn] --out DIR

Writes to DIR: app-control-base.xml (App Control base policy; stable PolicyID from the policy name),
app-control-supplemental-ID.xml (one per time-boxed exception), apply.ps1 and revert.ps1 (revert undoes exactly
what apply recorded), office.reg and office-revert.reg, intune.json, and the mapping report mapping.en.md /
mapping.ja.md saying what each rule becomes on Windows and what Windows cannot enforce. For enforce and lockdown
also the audit step: apply-audit.ps1 and app-control-base-audit.xml (the same rules in audit mode), to run and
review before apply.ps1. See docs/windows.md.`,
      ja: `使い方: omamori windows compile [--policy ファイル | --preset 名前] [--mode M] [--asr block|audit|warn] --out フォルダー

フォルダーに次を書き出します: app-control-base.xml (App Control 基本ポリシー。PolicyID はポリシー名から固定)、
app-control-supplemental-ID.xml (期限付き例外ごと)、apply.ps1 と revert.ps1 (revert は apply が記録した分だけ元に戻す)、
office.reg と office-revert.reg、intune.json、各規則が Windows で何になり何が強制できないかを示す対応表
mapping.en.md / mapping.ja.md。enforce と lockdown では監査段階 apply-audit.ps1 と app-control-base-audit.xml
(同じ規則を監査モードで) も書き出します。apply.ps1 の前に実行して確認してください。docs/windows.md を参照。`,
    },
    async run(argv, io) {
      const { values } = parse(argv, { ...POLICY_OPTS, out: { type: 'string' }, asr: { type: 'string' } }, false);
      if (!values.out) throw new UsageError(io.lang === 'ja' ? '--out で出力フォルダーを指定してください' : 'give the output folder with --out');
      const asr = asrOption(values.asr, io);
      const loaded = loadChosenPolicy(values, io);
      if (!loaded) return EXIT.FAILURE;
      const { plan, files } = compileWindows(loaded.compiled, { now: deps.now(), ...(asr ? { asrAction: asr } : {}) });
      try {
        mkdirSync(values.out, { recursive: true });
        for (const [name, content] of files) writeFileSync(join(values.out, name), content);
      } catch (e) {
        io.err(io.lang === 'ja' ? `書き込めません: ${values.out} (${(e as NodeJS.ErrnoException).code ?? ''})\n` : `cannot write ${values.out} (${(e as NodeJS.ErrnoException).code ?? ''})\n`);
        return EXIT.FAILURE;
      }
      const gaps = plan.mapping.filter((m) => m.coverage === 'not-enforced').length;
      io.out(io.lang === 'ja'
        ? `${values.out}: ${files.size} ファイル (App Control ${plan.appControl.policyId}、ASR ${plan.asr.length} 規則、保護フォルダー ${plan.cfa.folders.length}、Office 値 ${plan.office.length})。Windows で強制できない規則 ${gaps} 件: mapping.ja.md を参照。\n`
        : `${values.out}: ${files.size} files (App Control ${plan.appControl.policyId}, ${plan.asr.length} ASR rules, ${plan.cfa.folders.length} protected folders, ${plan.office.length} Office values). ${gaps} rules Windows cannot enforce: see mapping.en.md.\n`);
      return EXIT.OK;
    },
  };
}

function liveCommand(deps: WindowsDeps, which: 'apply' | 'verify'): Command {
  const en = which === 'apply' ? 'Apply' : 'Verify';
  return {
    path: ['windows', which],
    summary: which === 'apply'
      ? { en: 'Apply the compiled policy on this Windows machine (idempotent; --dry-run prints the PowerShell)', ja: 'この Windows に変換済みポリシーを適用 (何度でも同じ結果。--dry-run で PowerShell を表示)' }
      : { en: 'Check that the policy is in force on this Windows machine and report drift', ja: 'この Windows でポリシーが有効か確認し、ずれを報告' },
    help: {
      en: `Usage: omamori windows ${which} [--policy FILE | --preset NAME] [--mode M] [--asr A] [--work-dir DIR] [--audit-step]${which === 'apply' ? ' [--skip-audit]' : ''} [--dry-run]

${en} on Windows through PowerShell: first reads what is in force (Get-MpPreference, CiTool or CiPolicies\\Active,
the Office policy keys), then ${which === 'apply' ? 'runs only the commands that change something' : 'lists every difference (exit 1 when there is drift)'}.
--work-dir is the folder holding 'omamori windows compile' output on that machine.
--audit-step: the same rules in audit mode (App Control, ASR and Controlled Folder Access audit, no Office values).${which === 'apply' ? `
An enforce or lockdown policy is not applied on a machine where it never ran in audit mode (exit 1, nothing
changed): apply --audit-step first, review the would-block events, then apply. --skip-audit enforces at once.` : ''}
Off Windows only --dry-run works: it prints the PowerShell that would run, assuming nothing is in force yet.`,
      ja: `使い方: omamori windows ${which} [--policy ファイル | --preset 名前] [--mode M] [--asr A] [--work-dir フォルダー] [--audit-step]${which === 'apply' ? ' [--skip-audit]' : ''} [--dry-run]

Windows 上で PowerShell を使い、まず有効な設定 (Get-MpPreference、CiTool か CiPolicies\\Active、Office のポリシー キー) を読み、
${which === 'apply' ? '変更が必要なコマンドだけを実行します' : 'すべてのずれを表示します (ずれがあれば終了コード 1)'}。
--work-dir はその端末上の 'omamori windows compile' の出力フォルダーです。
--audit-step: 同じ規則を監査モードで (App Control・ASR・フォルダー アクセスの制御は監査、Office 値なし)。${which === 'apply' ? `
enforce / lockdown のポリシーは、監査モードで一度も実行していない端末には適用しません (終了コード 1、変更なし):
先に --audit-step で適用し、遮断されるはずだったイベントを確認してから適用してください。--skip-audit ですぐ強制します。` : ''}
Windows 以外では --dry-run だけが使え、何も適用されていない前提で実行する PowerShell を表示します。`,
    },
    async run(argv, io) {
      const { values } = parse(argv, {
        ...POLICY_OPTS, asr: { type: 'string' }, 'work-dir': { type: 'string' }, 'dry-run': { type: 'boolean' },
        'audit-step': { type: 'boolean' }, ...(which === 'apply' ? { 'skip-audit': { type: 'boolean' } } : {}),
      }, false);
      const dry = Boolean(values['dry-run']);
      if (deps.platform !== 'win32' && !dry) {
        io.err(io.lang === 'ja'
          ? `omamori windows ${which}: Windows でだけ実行できます (この端末は ${deps.platform})。実行される PowerShell を見るには --dry-run を付けてください。\n`
          : `omamori windows ${which}: this needs Windows (this machine is ${deps.platform}). Add --dry-run to print the PowerShell it would run.\n`);
        return EXIT.USAGE;
      }
      const asr = asrOption(values.asr, io);
      const loaded = loadChosenPolicy(values, io);
      if (!loaded) return EXIT.FAILURE;
      const compiled = compileWindows(loaded.compiled, { now: deps.now(), ...(asr ? { asrAction: asr } : {}) });
      // An audit policy is its own audit step.
      const plan = values['audit-step'] ? compiled.auditPlan ?? compiled.plan : compiled.plan;
      const workDir = values['work-dir'] ?? 'C:\\ProgramData\\omamori\\windows';
      const ps: PowerShell = dry || deps.platform !== 'win32'
        ? createPowerShell({ mode: 'record', respond: (c) => ({ stdout: '', stderr: c.purpose.startsWith('read') ? 'dry-run: state not read' : '', code: c.purpose.startsWith('read') ? 1 : 0 }) })
        : deps.powershell?.() ?? createPowerShell({ mode: 'live', platform: deps.platform });
      const opts = { workDir, now: deps.now(), host: deps.host() };
      if (which === 'apply') {
        const skipAudit = Boolean((values as { 'skip-audit'?: boolean })['skip-audit']);
        const r = await applyWindowsPolicy(plan, ps, { ...opts, requireAuditStep: !skipAudit });
        if (r.refused) {
          io.err(io.lang === 'ja'
            ? `このポリシー (${plan.appControl.policyId}) はこの端末で監査モードとして実行されたことがありません。先に omamori windows apply --audit-step で同じ規則を監査モードで適用し、遮断されるはずだったイベント (Code Integrity 3076、AppLocker MSI and Script 8028、Defender 1122) を確認してから、もう一度 apply してください。すぐ強制するには --skip-audit。何も変更していません。\n`
            : `This policy (${plan.appControl.policyId}) never ran in audit mode on this machine. Run omamori windows apply --audit-step first (the same rules in audit mode), review the would-block events (Code Integrity 3076, AppLocker MSI and Script 8028, Defender 1122), then apply again. --skip-audit enforces at once. Nothing was changed.\n`);
          return EXIT.FAILURE;
        }
        if (dry) {
          for (const c of ps.calls) io.out(`# ${c.purpose}\n${c.script}\n\n`);
          return EXIT.OK;
        }
        for (const d of r.changes) io.out(`${d.area}: ${d.what}: ${d.actual} → ${d.expected}\n`);
        for (const f of r.failures) io.err(`${f.drift.area}: ${f.drift.what}: ${f.error}\n`);
        io.out(io.lang === 'ja' ? `変更 ${r.changes.length} 件、失敗 ${r.failures.length} 件\n` : `${r.changes.length} changes, ${r.failures.length} failed\n`);
        return r.failures.length ? EXIT.FAILURE : EXIT.OK;
      }
      const r = await verifyWindowsPolicy(plan, ps, opts);
      if (dry) {
        for (const c of ps.calls) io.out(`# ${c.purpose}\n${c.script}\n\n`);
        return EXIT.OK;
      }
      for (const d of r.drift) io.out(`${d.area}: ${d.what}: ${io.lang === 'ja' ? '期待' : 'expected'} ${d.expected}, ${io.lang === 'ja' ? '実際' : 'actual'} ${d.actual}\n`);
      io.out(r.drift.length === 0 ? (io.lang === 'ja' ? 'すべて有効です\n' : 'everything is in force\n') : (io.lang === 'ja' ? `ずれ ${r.drift.length} 件\n` : `${r.drift.length} differences\n`));
      return r.drift.length ? EXIT.FAILURE : EXIT.OK;
    },
  };
}

export function createWindowsCommands(deps: WindowsDeps = defaultDeps): Command[] {
  return [compileCommand(deps), liveCommand(deps, 'apply'), liveCommand(deps, 'verify')];
}

export const windowsCommands: Command[] = createWindowsCommands();
