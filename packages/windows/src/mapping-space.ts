// Mapping-report entries for what the policy calls system space and user space on Windows: each of its
// `userSpace.systemFolders` as an App Control FilePath allow rule (or why none), and its user-space folders inside
// them (left to App Control's runtime check, or denied). Also why a path got no rule (`SKIP_WHY`).
import type { CompiledPolicy } from '@omamori/policy';
import type { Coverage } from './mapping.ts';
import type { Skipped, Text, WindowsPlan } from './plan.ts';

export type AddEntry = (rule: string, coverage: Coverage, mechanisms: string[], en: string, ja: string) => void;

export const SKIP_WHY: Record<Skipped['why'], Text> = {
  'user-space': { en: 'it lies in user space; App Control\'s runtime FilePath rule protection never lets a path rule match a user-writable folder (kept on on purpose). Use a hash instead.', ja: 'ユーザー領域にあります。App Control の実行時 FilePath 規則保護 (意図して有効のまま) により、ユーザーが書き込めるフォルダーにパス規則は一致しません。ハッシュを使ってください。' },
  'not-windows': { en: 'it is not a Windows path (Linux only).', ja: 'Windows のパスではありません (Linux 専用)。' },
  'not-system-folder': { en: 'it is not inside the policy\'s system folders (userSpace.systemFolders).', ja: 'ポリシーのシステム フォルダー (userSpace.systemFolders) の中ではありません。' },
  'other-drive': { en: 'it is on a drive other than the system drive, which omamori treats as user space whatever userSpace.systemFolders says (removable media, data volumes).', ja: 'システム ドライブ以外のドライブにあります。omamori は userSpace.systemFolders の指定にかかわらずこれをユーザー領域として扱います (リムーバブル メディア、データ ボリューム)。' },
  network: { en: 'it is a network path, which omamori treats as user space (a share\'s permissions are the server\'s, not this machine\'s).', ja: 'ネットワーク パスです。omamori はこれをユーザー領域として扱います (共有のアクセス権はこの端末ではなくサーバーが決めます)。' },
  variable: { en: 'a per-user folder token (%APPDATA%, %USERPROFILE% …) names no single folder an App Control path rule could use.', ja: 'ユーザーごとのフォルダー トークン (%APPDATA%・%USERPROFILE% など) は、App Control のパス規則に使える一つのフォルダーを指しません。' },
  wildcard: { en: 'it has a wildcard App Control cannot express on every supported Windows: omamori writes one `*` at the end only (everything below; Windows 10 takes no other, Windows 11 would), so a one-level `X/*` or a wildcard inside the path has no rule.', ja: 'App Control がすべての対応 Windows で表せないワイルドカードを含みます。omamori は末尾の `*` 一つ (配下すべて) だけを書きます (Windows 10 はそれ以外を受け付けません。Windows 11 は受け付けます)。一階層だけの `X/*` やパスの途中のワイルドカードは規則にできません。' },
  expired: { en: 'it has already expired; not compiled.', ja: '既に期限切れのため変換しません。' },
  'no-rule': { en: 'it has no usable hash or system-space path, so no App Control rule can express it.', ja: '使えるハッシュもシステム領域のパスもないため、App Control の規則にできません。' },
  lockdown: { en: 'lockdown trusts no location: only hashes, publishers and packages count (the engine ignores path trust there too).', ja: 'ロックダウンは場所を信頼しません。ハッシュ・発行元・パッケージだけが有効です (エンジンもロックダウンではパスによる信頼を使いません)。' },
};

/** Entries for `userSpace.systemFolders` (one per folder) and for the user-space folders inside them. */
export function addSpaceEntries(policy: CompiledPolicy, plan: WindowsPlan, add: AddEntry): void {
  const doc = policy.doc;
  if (doc.mode === 'lockdown') {
    add(`userSpace.systemFolders ${doc.userSpace.systemFolders.join(', ')}`, 'not-applicable', [],
      'Lockdown trusts no location, so no folder gets a path rule (the engine refuses untrusted code in system space too). The folders still decide what omamori calls user space.',
      'ロックダウンは場所を信頼しないため、どのフォルダーにもパス規則を置きません (エンジンもシステム領域の信頼されないコードを拒否します)。omamori が何をユーザー領域とするかは引き続きこれらのフォルダーで決まります。');
  } else {
    doc.userSpace.systemFolders.forEach((entry, i) => {
      const field = `userSpace.systemFolders[${i}]`;
      const allowed = plan.appControl.allowPaths.filter((a) => a.from === field);
      const skipped = plan.skipped.filter((s) => s.field === field);
      for (const a of allowed) {
        const root = !/^%WINDIR%|^%OSDRIVE%\\Program Files( \(x86\))?\\/i.test(a.path);
        add(`${field} ${entry}`, 'enforced', [`App Control FilePath allow rule ${a.path}`],
          `Code in this folder runs (FilePath rule ${a.path}). App Control checks at run time that only administrators can write the folder and its parents; where standard users can, the rule does not match and its programs are blocked.${root ? ' A folder created at the root of the system drive inherits write access for Authenticated Users: remove it (icacls) before relying on this rule.' : ''}`,
          `このフォルダーのコードは実行できます (FilePath 規則 ${a.path})。App Control は実行時に、このフォルダーと親フォルダーに管理者しか書き込めないことを確認します。一般ユーザーが書き込める場合は規則が一致せず、そのプログラムは遮断されます。${root ? 'システム ドライブ直下に作ったフォルダーは Authenticated Users の書き込み権を継承します。この規則に頼る前に (icacls で) 外してください。' : ''}`);
      }
      for (const s of skipped) {
        // Other drives, network paths and folders inside user space are user space to the engine too: both refuse
        // untrusted code there. A wildcard or per-user token App Control cannot express leaves Windows stricter.
        const agrees = s.why === 'other-drive' || s.why === 'network' || s.why === 'user-space';
        if (agrees) {
          add(`${field} ${s.value}`, 'not-applicable', [],
            `No FilePath rule: ${SKIP_WHY[s.why].en} The policy's engine ignores this entry for the same reason, so Windows and the policy agree: code there runs only when Microsoft-signed or trusted by hash.`,
            `FilePath 規則にしません: ${SKIP_WHY[s.why].ja} ポリシーのエンジンも同じ理由でこの指定を使わないため、Windows とポリシーは一致します: そこのコードは Microsoft 署名か信頼ハッシュのときだけ実行できます。`);
        } else {
          add(`${field} ${s.value}`, 'partial', [],
            `No FilePath rule: ${SKIP_WHY[s.why].en} On Windows, code there runs only when Microsoft-signed or trusted by hash — stricter than the policy, which calls the folder system space.`,
            `FilePath 規則にしません: ${SKIP_WHY[s.why].ja} Windows では、そこのコードは Microsoft 署名か信頼ハッシュのときだけ実行できます (このフォルダーをシステム領域とするポリシーより厳しい)。`);
        }
      }
    });
  }

  const inside = plan.appControl.userSpaceInside;
  const runtime = inside.filter((u) => u.how === 'runtime-check').map((u) => u.path);
  const denied = inside.filter((u) => u.how === 'deny').map((u) => u.path);
  const lost = plan.skipped.filter((s) => s.field.startsWith('userSpace.paths['));
  if (inside.length === 0 && lost.length === 0) return;
  const en: string[] = [];
  const ja: string[] = [];
  if (runtime.length) {
    en.push(`Known user-writable folders (${runtime.join(', ')}) are left to App Control's runtime FilePath rule protection: while standard users can write them, the system folder's path rule never matches code there.`);
    ja.push(`一般ユーザーが書き込める既知のフォルダー (${runtime.join('、')}) は App Control の実行時 FilePath 規則保護に任せます: 一般ユーザーが書き込める間は、システム フォルダーのパス規則はそこのコードに一致しません。`);
  }
  if (denied.length) {
    en.push(`The policy's own additions (${denied.join(', ')}) may be writable by administrators only, so the runtime check would not exclude them: each gets a FilePath deny rule. That is stricter than the policy: a deny wins over every allow, so the policy's hashes and trusted publishers (Microsoft's included) do not lift it there.`);
    ja.push(`ポリシー独自の追加分 (${denied.join('、')}) は管理者しか書き込めない場合があり、実行時の確認では除外されないため、それぞれ FilePath の拒否規則にします。ポリシーより厳しくなります: 拒否はどの許可にも優先するため、そこではポリシーのハッシュや信頼する発行元 (Microsoft を含む) でも許可されません。`);
  }
  for (const s of lost) {
    en.push(`${s.value}: no deny rule (${SKIP_WHY[s.why].en}) — the policy refuses untrusted code there, but on Windows it runs through the system folder's path rule unless standard users can write the folder (then the runtime check excludes it).${s.why === 'wildcard' ? ' List the folders one by one, without the wildcard, to get deny rules.' : ''}`);
    ja.push(`${s.value}: 拒否規則にできません (${SKIP_WHY[s.why].ja}) — ポリシーはそこの信頼されないコードを拒否しますが、Windows ではシステム フォルダーのパス規則で実行できます (一般ユーザーが書き込めるフォルダーなら実行時の確認で除外されます)。${s.why === 'wildcard' ? '拒否規則にするには、ワイルドカードを使わずフォルダーを一つずつ指定してください。' : ''}`);
  }
  add('userSpace.paths inside system folders', lost.length ? 'partial' : 'enforced',
    [...runtime.length ? ['App Control runtime FilePath rule protection'] : [], ...denied.length ? ['App Control FilePath deny rule'] : []],
    en.join(' '), ja.join(''));
}
