// The mapping report's content: each rule of the policy → the Windows mechanism that enforces it, or a plain
// statement that Windows cannot. Nothing of the policy is dropped silently: every field gets an entry.
import type { CompiledPolicy } from '@omamori/policy';
import { BLOCK_LIST_SOURCE } from './block-list.ts';
import type { Skipped, Text, WindowsPlan } from './plan.ts';

export type Coverage = 'enforced' | 'partial' | 'not-enforced' | 'not-applicable';

export interface MappingEntry {
  /** The policy field (and value) the entry is about, e.g. `trust.publishers[3] Adobe Inc.`. */
  rule: string;
  coverage: Coverage;
  /** Windows mechanisms, e.g. `App Control`, `ASR d4f940ab-…`, `Controlled Folder Access`. */
  mechanisms: string[];
  note: Text;
}

const MS_SIGNERS = /^microsoft (windows|corporation|windows publisher)$/i;

const SKIP_WHY: Record<Skipped['why'], Text> = {
  'user-space': { en: 'it lies in user space; App Control\'s runtime FilePath rule protection never lets a path rule match a user-writable folder (kept on on purpose). Use a hash instead.', ja: 'ユーザー領域にあります。App Control の実行時 FilePath 規則保護 (意図して有効のまま) により、ユーザーが書き込めるフォルダーにパス規則は一致しません。ハッシュを使ってください。' },
  'not-windows': { en: 'it is not a Windows path (Linux only).', ja: 'Windows のパスではありません (Linux 専用)。' },
  'not-system-folder': { en: 'it is not under %WINDIR% or Program Files, or has a wildcard App Control cannot express.', ja: '%WINDIR% や Program Files の下ではないか、App Control で表せないワイルドカードを含みます。' },
  expired: { en: 'it has already expired; not compiled.', ja: '既に期限切れのため変換しません。' },
  'no-rule': { en: 'it has no usable hash or system-space path, so no App Control rule can express it.', ja: '使えるハッシュもシステム領域のパスもないため、App Control の規則にできません。' },
};

function asrList(plan: WindowsPlan, because: string): string[] {
  return plan.asr.filter((r) => r.because === because).map((r) => `ASR ${r.id} (${r.name}) = ${r.action}`);
}

export function buildMapping(policy: CompiledPolicy, plan: WindowsPlan, deniedWindows: string[]): MappingEntry[] {
  const doc = policy.doc;
  const out: MappingEntry[] = [];
  const add = (rule: string, coverage: Coverage, mechanisms: string[], en: string, ja: string) => out.push({ rule, coverage, mechanisms, note: { en, ja } });
  const skipFor = (field: string) => plan.skipped.find((s) => s.field === field);

  add(`mode ${doc.mode}`, 'enforced', ['App Control', 'ASR', 'Controlled Folder Access'],
    doc.mode === 'audit' ? 'App Control gets "Enabled:Audit Mode" (events 3076), ASR rules and Controlled Folder Access run in audit mode. Office macro settings have no audit mode and are not written.'
      : `App Control enforces (events 3077); ASR rules are set to ${plan.asr[0]?.action ?? 'block'}; Controlled Folder Access is ${plan.cfa.mode}.${doc.mode === 'lockdown' ? ' Lockdown: no path rules, only Microsoft-signed code and the policy\'s hashes run.' : ''}`,
    doc.mode === 'audit' ? 'App Control に "Enabled:Audit Mode" を設定 (イベント 3076)。ASR 規則とフォルダー アクセスの制御は監査モード。Office のマクロ設定には監査モードがないため書き込みません。'
      : `App Control は強制 (イベント 3077)。ASR 規則は ${plan.asr[0]?.action ?? 'block'}、フォルダー アクセスの制御は ${plan.cfa.mode}。${doc.mode === 'lockdown' ? 'ロックダウン: パス規則なし。Microsoft 署名とポリシーのハッシュだけが実行できます。' : ''}`);
  if (plan.step === 'audit-step') {
    add('(step) audit before enforce', 'enforced', ['App Control Audit Mode', 'ASR audit', 'Controlled Folder Access audit'],
      'This is the audit step of an enforcing policy (apply-audit.ps1, app-control-base-audit.xml): the same rules in audit mode, script enforcement off, no Office values. Run it first, use the machines as usual, review events 3076 (Code Integrity), 8028 (AppLocker MSI and Script) and 1122 (ASR), then run apply.ps1.',
      '強制するポリシーの監査段階です (apply-audit.ps1、app-control-base-audit.xml)。同じ規則を監査モードで適用し、スクリプトの強制はオフ、Office の値は書きません。先にこれを実行して普段どおり使い、イベント 3076 (コード整合性)・8028 (AppLocker MSI とスクリプト)・1122 (ASR) を確認してから apply.ps1 を実行します。');
  } else if (doc.mode !== 'audit') {
    add('(step) audit before enforce', 'enforced', ['apply-audit.ps1'],
      'apply.ps1 refuses to enforce App Control on a machine that never ran the audit step: run apply-audit.ps1 first (same rules in audit mode), review the would-block events, then apply.ps1. apply.ps1 -SkipAudit enforces at once.',
      'apply.ps1 は監査段階を一度も実行していない端末では App Control を強制しません。先に apply-audit.ps1 (同じ規則を監査モードで) を実行し、遮断されるはずだったイベントを確認してから apply.ps1 を実行します。すぐ強制するには apply.ps1 -SkipAudit。');
  }
  add('App Control boot safety', 'enforced', ['Enabled:Boot Audit On Failure', 'Enabled:Advanced Boot Options Menu'],
    'If the policy blocks a driver Windows needs to start, Windows switches the policy to audit for that boot instead of failing to start (option 10), and the F8 advanced boot menu stays available for recovery (option 9).',
    '起動に必要なドライバーをポリシーが遮断した場合、Windows は起動できなくなる代わりにその起動の間だけポリシーを監査モードにします (オプション 10)。復旧用に F8 の詳細ブート オプションも使えるままにします (オプション 9)。');
  if (!plan.appControl.scriptEnforcement) {
    add('App Control script enforcement', 'not-enforced', ['Disabled:Script Enforcement'],
      'Off in audit: with script enforcement on, Windows blocks all MSHTA (.hta) and MSXML code whenever any such policy is active, even in audit mode, and PowerShell runs in Constrained Language Mode — an audit that promises "nothing blocked" must not do that. So audit mode reports no script events (AppLocker 8028); scripts are judged from the enforce step on.',
      '監査モードではオフです。スクリプトの強制がオンだと、監査モードのポリシーでも MSHTA (.hta) と MSXML のコードはすべて遮断され、PowerShell は制約付き言語モードになります。「何も遮断しない」はずの監査ではそうしてはいけないため、監査モードではスクリプトのイベント (AppLocker 8028) は出ません。スクリプトは強制段階から判定されます。');
  }
  if (doc.mode === 'lockdown') {
    add('lockdown: programs outside Windows and the policy\'s hashes', 'partial', ['App Control UMCI'],
      'Lockdown keeps no path rule for Program Files: every program not signed by Microsoft is blocked unless the policy lists its hash — third-party antivirus and VPN clients, drivers\' helper programs, line-of-business applications and omamori\'s own node.exe included. Before deploying, run the audit step on representative machines and turn the would-block events into publisher rules: `omamori policy suggest` from the collected events, or on Windows `New-CIPolicy -Audit -Level Publisher -Fallback Hash -UserPEs -FilePath suggested.xml` and deploy the result as a supplemental policy.',
      'ロックダウンでは Program Files のパス規則を置きません。Microsoft 署名以外のプログラムは、ポリシーにハッシュがない限りすべて遮断されます — 他社のウイルス対策・VPN クライアント、ドライバー付属のプログラム、業務アプリ、omamori 自身の node.exe も含みます。展開の前に代表的な端末で監査段階を実行し、遮断されるはずだったイベントから発行元の規則を作ってください: 集めたイベントから `omamori policy suggest`、または Windows で `New-CIPolicy -Audit -Level Publisher -Fallback Hash -UserPEs -FilePath suggested.xml` を作り、補足ポリシーとして展開します。');
  }
  const blockList = plan.appControl.denyRules.filter((d) => d.source === 'block-list');
  if (blockList.length > 0) {
    add('(added) Microsoft recommended block list', 'enforced', ['App Control Deny'],
      `Microsoft-signed programs that can run other code are trusted by the Microsoft root rules, so they are denied by name (OriginalFileName, renamed copies too) from ${BLOCK_LIST_SOURCE.title} (${BLOCK_LIST_SOURCE.url}, ${BLOCK_LIST_SOURCE.date}): ${blockList.map((d) => d.fileName ?? d.filePath).join(', ')}.${doc.mode === 'lockdown' ? '' : ' cscript, wscript, wmic, dotnet and the WebDAV client (davsvc.dll) are denied in lockdown only.'} Not included: the page's hash rules for old PowerShell builds (the PowerShell 2 engine is denied by its folder instead) and its msxml/jscript rules for Windows before 1903.`,
      `Microsoft 署名で他のコードを実行できるプログラムは Microsoft のルート証明書の規則で信頼されるため、名前 (OriginalFileName。改名した複製も対象) で拒否します。出典: ${BLOCK_LIST_SOURCE.title} (${BLOCK_LIST_SOURCE.url}、${BLOCK_LIST_SOURCE.date}): ${blockList.map((d) => d.fileName ?? d.filePath).join(', ')}。${doc.mode === 'lockdown' ? '' : 'cscript・wscript・wmic・dotnet・WebDAV クライアント (davsvc.dll) はロックダウンでのみ拒否します。'}含めないもの: 古い PowerShell のハッシュ規則 (PowerShell 2 エンジンはフォルダーで拒否します) と、1903 より前の Windows 向けの msxml・jscript の規則。`);
  }

  add(`failMode ${doc.failMode}, decisionTimeoutMs`, 'not-applicable', [],
    'Windows decides in the kernel (Code Integrity) and in Defender; there is no late decision to fail open or closed.',
    'Windows はカーネル (コード整合性) と Defender の中で判定するため、判定の遅延時に許可・拒否を選ぶ設定はありません。');

  add('userSpace (launch control)', 'enforced', ['App Control UMCI', 'Script Enforcement', `ASR ${plan.asr.find((r) => r.key === 'usb')?.id ?? ''}`],
    `Only Microsoft-signed code${doc.mode === 'lockdown' ? '' : ', code under %WINDIR% and Program Files (admin-writable only: runtime FilePath rule protection checks this on every load)'} and the policy's trusted hashes run: EXE, DLL and drivers alike. Scripts: PowerShell falls back to Constrained Language Mode, Windows Script Host and MSI obey the policy. Unsigned programs on USB drives are blocked by ASR as well. Windows decides what is user-writable itself; the policy's userSpace.paths list and probe are not used.`,
    `Microsoft 署名のコード${doc.mode === 'lockdown' ? '' : '、%WINDIR% と Program Files 配下のコード (管理者だけが書き込める場所。実行時 FilePath 規則保護が読み込みのたびに確認)'}、ポリシーの信頼ハッシュだけが実行できます (EXE・DLL・ドライバー)。スクリプト: PowerShell は制約付き言語モード、Windows Script Host と MSI もポリシーに従います。USB 上の署名なしプログラムは ASR でも遮断。ユーザーが書き込めるかどうかは Windows 自身が判定し、userSpace.paths と probe は使いません。`);

  add(`trust.packageManager ${doc.trust.packageManager}`, 'not-applicable', [],
    'Windows has no package manager that records file ownership. The closest equivalent, App Control\'s Managed Installer, is not enabled by omamori.',
    'Windows にはファイルの所有を記録するパッケージ管理がありません。近いのは App Control の Managed Installer ですが、omamori は有効にしません。');

  doc.trust.hashes.forEach((h, i) => add(`trust.hashes[${i}] ${h.sha256.slice(0, 16)}…`, 'partial', ['App Control Hash allow rule'],
    'App Control compares the Authenticode (PE image) hash of EXE/DLL files, not the SHA-256 of the whole file. The rule matches only if this value is the Authenticode SHA-256 (Get-AppLockerFileInformation or New-CIPolicyRule -Level Hash prints it); a whole-file hash matches scripts and other non-PE files only.',
    'App Control は EXE/DLL の Authenticode (PE イメージ) ハッシュで照合し、ファイル全体の SHA-256 では照合しません。この値が Authenticode SHA-256 の場合だけ一致します (Get-AppLockerFileInformation か New-CIPolicyRule -Level Hash で確認)。ファイル全体のハッシュはスクリプトなど PE 以外にだけ一致します。'));

  doc.trust.paths.forEach((p, i) => {
    const s = skipFor(`trust.paths[${i}]`);
    if (s) add(`trust.paths[${i}] ${p}`, 'not-enforced', [], `No App Control rule: ${SKIP_WHY[s.why].en}`, `App Control の規則にしません: ${SKIP_WHY[s.why].ja}`);
    else add(`trust.paths[${i}] ${p}`, 'enforced', ['App Control FilePath allow rule'], 'Allowed by a FilePath rule (system space only).', 'FilePath 規則で許可 (システム領域のみ)。');
  });

  doc.trust.publishers.forEach((p, i) => {
    const guarded = p.launch === 'guarded'
      ? { en: ' "launch: guarded" cannot be expressed: Windows has no guarded mode; the program runs like any other.', ja: ' "launch: guarded" は表せません。Windows には保護モードがなく、通常どおり実行されます。' }
      : { en: '', ja: '' };
    if (MS_SIGNERS.test(p.signer)) {
      add(`trust.publishers[${i}] ${p.signer}`, guarded.en ? 'partial' : 'enforced', ['App Control well-known Microsoft roots'],
        `Allowed through Microsoft's well-known root certificates (kernel and user mode).${guarded.en}`, `Microsoft の既知ルート証明書で許可 (カーネル・ユーザー モード)。${guarded.ja}`);
    } else {
      add(`trust.publishers[${i}] ${p.signer}`, 'not-enforced', [],
        `No rule: App Control names a publisher by its issuing CA certificate (TBS hash) plus the leaf CN, which a name alone does not give. Programs of this publisher installed under Program Files run through the system-space path rule${doc.mode === 'lockdown' ? ' (not in lockdown)' : ''}; per-user installs are blocked. To trust them everywhere, add a rule made from a signed file: New-CIPolicyRule -Level Publisher -DriverFilePath <file>.${guarded.en}`,
        `規則にしません: App Control は発行元を発行 CA 証明書 (TBS ハッシュ) と末端の CN で指定するため、名前だけでは作れません。Program Files にインストールされたこの発行元のプログラムはシステム領域のパス規則で実行できます${doc.mode === 'lockdown' ? ' (ロックダウンでは不可)' : ''}。ユーザーごとのインストールは遮断されます。どこでも信頼するには署名済みファイルから規則を作ってください: New-CIPolicyRule -Level Publisher -DriverFilePath <ファイル>。${guarded.ja}`);
    }
  });

  doc.trust.exceptions.forEach((x, i) => {
    const s = plan.appControl.supplementals.find((y) => y.exceptionId === x.id);
    const sk = skipFor(`trust.exceptions[${i}]`) ?? skipFor(`trust.exceptions[${i}].path`);
    const host = x.host ? { en: ` Applied only on host ${x.host}.`, ja: ` ホスト ${x.host} でだけ適用。` } : { en: '', ja: '' };
    if (s) {
      add(`trust.exceptions[${i}] ${x.id}`, sk ? 'partial' : 'enforced', [`App Control supplemental policy ${s.policyId}`],
        `Supplemental policy allowing ${[s.hash && 'the hash', s.path && s.path].filter(Boolean).join(' and ')}. App Control has no expiry: the policy expires ${x.expires}; omamori's apply script and 'omamori windows apply' remove it after that date.${host.en}${sk ? ` The path is left out: ${SKIP_WHY[sk.why].en}` : ''}`,
        `${[s.hash && 'ハッシュ', s.path && s.path].filter(Boolean).join(' と ')} を許可する補足ポリシー。App Control には期限がありません: 期限は ${x.expires} で、その後は omamori の適用スクリプトと 'omamori windows apply' が削除します。${host.ja}${sk ? ` パスは含めません: ${SKIP_WHY[sk.why].ja}` : ''}`);
    } else if (sk) {
      add(`trust.exceptions[${i}] ${x.id}`, 'not-enforced', [], `No supplemental policy: ${SKIP_WHY[sk.why].en}`, `補足ポリシーを作りません: ${SKIP_WHY[sk.why].ja}`);
    }
  });

  for (const app of doc.guarded.applications) {
    const asr = asrList(plan, `guarded.applications[kind=${app.kind}]`);
    const rule = `guarded.applications[${app.id}] (${app.kind})`;
    if (asr.length > 0) {
      add(rule, 'partial', asr,
        `Defender's ASR rules contain ${app.kind === 'pdf' ? 'Adobe Reader' : app.kind === 'mail' ? 'Outlook and mail clients' : app.kind === 'office' ? 'Microsoft Office' : 'Windows Script Host'} as listed. ASR recognises these applications by its own list, not by this policy's names, paths or hashes: ${(app.names ?? []).filter((n) => !/^(winword|excel|powerpnt|msaccess|mspub|visio|onenote|outlook|acrord32|acrobat|wscript|cscript)\.exe$/i.test(n)).join(', ') || '—'} are not covered.`,
        `Defender の ASR 規則で ${app.kind === 'pdf' ? 'Adobe Reader' : app.kind === 'mail' ? 'Outlook とメール クライアント' : app.kind === 'office' ? 'Microsoft Office' : 'Windows Script Host'} を上記のとおり封じ込めます。ASR は独自の一覧でアプリを識別し、このポリシーの名前・パス・ハッシュは使いません: ${(app.names ?? []).filter((n) => !/^(winword|excel|powerpnt|msaccess|mspub|visio|onenote|outlook|acrord32|acrobat|wscript|cscript)\.exe$/i.test(n)).join(', ') || '—'} は対象外です。`);
    } else {
      add(rule, 'not-enforced', [],
        `No Windows mechanism contains a ${app.kind} application: its children, writes and reads are not restricted beyond App Control's machine-wide launch rules.`,
        `${app.kind} 種別のアプリを封じ込める Windows の仕組みはありません。子プロセス・書き込み・読み取りは App Control の全体の起動規則以上には制限されません。`);
    }
  }

  const deniedNow = deniedWindows.filter((n) => plan.appControl.denyNames.includes(n));
  const notDenied = deniedWindows.filter((n) => !plan.appControl.denyNames.includes(n));
  add('guarded.deniedChildren', 'partial', [...deniedNow.length ? ['App Control Deny (OriginalFileName)'] : [], ...asrList(plan, 'guarded.deniedChildren')],
    `Denied for every process by App Control (matched by OriginalFileName, so renamed copies are caught too): ${deniedNow.join(', ') || '—'}. Office, Outlook and Adobe Reader may start no child at all (ASR), which covers the rest for them; process creation through WMI and PsExec is blocked too. For other guarded applications these stay allowed, because denying them machine-wide would break Windows: ${notDenied.join(', ') || '—'}.`,
    `App Control で全プロセスに対して拒否 (OriginalFileName で照合するため名前を変えた複製も対象): ${deniedNow.join(', ') || '—'}。Office・Outlook・Adobe Reader は ASR により子プロセスを一切起動できず、残りもこれで防ぎます。WMI と PsExec 経由のプロセス作成も遮断します。その他の保護対象アプリでは次のものは許可のままです (全体で拒否すると Windows が動かなくなるため): ${notDenied.join(', ') || '—'}。`);
  if (doc.guarded.allowedChildren.length > 0) {
    add(`guarded.allowedChildren ${doc.guarded.allowedChildren.join(', ')}`, 'not-enforced', [],
      'ASR child-process rules cannot allow particular children; an ASR exclusion would exempt a path from every ASR rule. The allowance is not carried over.',
      'ASR の子プロセス規則は特定の子だけを許可できません (ASR の除外はすべての ASR 規則に効きます)。この許可は引き継ぎません。');
  }
  add('guarded: inheritance to all descendants', 'not-enforced', [],
    'Windows cannot carry guarded status down the process tree. ASR judges only the direct children of Office, Outlook and Adobe Reader; a grandchild started by an allowed child is not contained.',
    'Windows は保護状態を子孫プロセスへ引き継げません。ASR が判定するのは Office・Outlook・Adobe Reader の直接の子だけで、許可された子が起動した孫は封じ込められません。');

  add(`guarded.writeProtect ${doc.guarded.writeProtect.join(', ')}`, 'partial',
    [...plan.cfa.folders.length ? [`Controlled Folder Access (${plan.cfa.mode})`] : [], ...asrList(plan, 'guarded.writeProtect[@system]'), ...plan.asr.filter((r) => r.key === 'officeExecutable').map((r) => `ASR ${r.id}`)],
    `System space is protected by NTFS permissions (for standard users, not per application). Controlled Folder Access protects ${plan.cfa.folders.join(', ') || 'no folder'} from applications Defender does not trust — which is not the same set as the guarded applications (Office itself is trusted). Office may not write executable content. Registry autostart keys are not protected.`,
    `システム領域は NTFS のアクセス権で保護されます (標準ユーザーに対してで、アプリ単位ではありません)。フォルダー アクセスの制御は ${plan.cfa.folders.join(', ') || '(なし)'} を Defender が信頼しないアプリから保護します — 保護対象アプリとは同じではありません (Office 自身は信頼済み)。Office は実行可能な内容を書けません。レジストリの自動起動キーは保護されません。`);
  add('guarded.writable', 'not-applicable', [], 'The containment allow-list is a Linux (Landlock) notion.', '封じ込めの書き込み許可一覧は Linux (Landlock) のものです。');
  add(`guarded.readProtect ${doc.guarded.readProtect.join(', ')}`, 'not-enforced', [],
    'Windows has no per-application read control: guarded applications can read private folders, mail stores and browser profiles. Credential memory in LSASS is protected by ASR only.',
    'Windows にはアプリ単位の読み取り制御がありません。保護対象アプリは個人フォルダー・メール ストア・ブラウザー プロファイルを読めます。LSASS の認証情報メモリは ASR でのみ保護されます。');
  add(`guarded.processProtection ${doc.guarded.processProtection}`, doc.guarded.processProtection ? 'partial' : 'not-applicable', asrList(plan, 'guarded.processProtection'),
    'Only two ASR rules apply: LSASS credential theft, and Office injecting into other processes. Memory access by browsers, PDF readers or other guarded applications is not restricted.',
    '有効なのは ASR の 2 規則だけです: LSASS からの認証情報窃取と、Office から他プロセスへの注入。ブラウザーや PDF リーダーなどによるメモリ アクセスは制限されません。');
  add(`persistence.denyUserSpaceCode ${doc.persistence.denyUserSpaceCode}`, doc.persistence.denyUserSpaceCode ? 'partial' : 'not-applicable', asrList(plan, 'persistence.denyUserSpaceCode'),
    'WMI event subscriptions are blocked by ASR. Run keys, scheduled tasks and services can still be written; App Control then refuses to start the user-space program they point at.',
    'WMI イベント サブスクリプションは ASR で遮断。Run キー・タスク・サービスへの書き込み自体は防げませんが、指すユーザー領域のプログラムは App Control が起動させません。');
  if (plan.office.length > 0) {
    add('(added) Office macro hardening for guarded office applications', 'enforced', ['Registry HKCU\\Software\\Policies\\Microsoft\\Office\\16.0'],
      `Macros from the internet blocked, VBAWarnings = ${plan.office.find((o) => o.name === 'VBAWarnings')?.value}, trusted locations off. Written per user (HKCU\\Software\\Policies, which only administrators can write): apply.ps1 writes every loaded user hive — local, domain and Entra ID accounts — creating keys only when missing, so other values under them stay; use Group Policy or Intune user scope for users not signed in. office.reg suits only users who are administrators themselves (an elevated import writes the importing account's hive).`,
      `インターネット由来のマクロを遮断、VBAWarnings = ${plan.office.find((o) => o.name === 'VBAWarnings')?.value}、信頼できる場所を無効。ユーザーごとの設定です (HKCU\\Software\\Policies は管理者しか書き込めません): apply.ps1 は読み込まれているすべてのユーザー ハイブ (ローカル・ドメイン・Entra ID アカウント) に書き込み、キーはないときだけ作るので同じキーの他の値は残ります。サインインしていないユーザーにはグループ ポリシーか Intune のユーザー スコープを使ってください。office.reg は本人が管理者のユーザーにだけ使えます (管理者として取り込むと取り込んだアカウントのハイブに書かれます)。`);
  }
  return out;
}
