// The mapping report (Markdown, ja/en): each policy rule → the Windows mechanism that enforces it, and what Windows
// cannot enforce, said plainly.
import type { Lang } from './lang.ts';
import type { Coverage } from './mapping.ts';
import type { WindowsPlan } from './plan.ts';

const COVERAGE: Record<Coverage, Record<Lang, string>> = {
  enforced: { en: 'enforced', ja: '強制' },
  partial: { en: 'partly enforced', ja: '一部のみ' },
  'not-enforced': { en: 'NOT enforced by Windows', ja: 'Windows では強制できない' },
  'not-applicable': { en: 'not applicable', ja: '該当なし' },
};

export function renderMappingReport(plan: WindowsPlan, lang: Lang): string {
  const ja = lang === 'ja';
  const L: string[] = [];
  L.push(ja ? `# omamori ポリシー "${plan.policy.name}" (版 ${plan.policy.version}, ${plan.policy.mode}) の Windows への対応表`
    : `# How Windows enforces omamori policy "${plan.policy.name}" (version ${plan.policy.version}, ${plan.policy.mode})`, '');
  L.push(ja ? 'Windows 自身の仕組み (App Control for Business、Defender の ASR 規則とフォルダー アクセスの制御、Office のマクロ設定) に変換した結果です。omamori の Linux エージェントのような保護モードの継承は Windows にはありません。できないことは下に明記します。'
    : 'The policy compiled to Windows\' own engines (App Control for Business, Defender ASR rules and Controlled Folder Access, Office macro settings). Windows has no equivalent of omamori\'s inherited guarded mode; what it cannot do is listed below, not dropped.', '');
  const counts = new Map<Coverage, number>();
  for (const m of plan.mapping) counts.set(m.coverage, (counts.get(m.coverage) ?? 0) + 1);
  L.push((ja ? '集計: ' : 'Summary: ') + (['enforced', 'partial', 'not-enforced', 'not-applicable'] as const)
    .map((c) => `${COVERAGE[c][lang]} ${counts.get(c) ?? 0}`).join(', '), '');
  L.push(ja ? '## 規則ごとの対応' : '## Rule by rule', '');
  for (const m of plan.mapping) {
    L.push(`### ${m.rule}`, '', `- ${ja ? '状態' : 'Status'}: **${COVERAGE[m.coverage][lang]}**`);
    if (m.mechanisms.length) L.push(`- ${ja ? '仕組み' : 'Mechanism'}: ${m.mechanisms.join('; ')}`);
    L.push(`- ${m.note[lang]}`, '');
  }
  const gaps = plan.mapping.filter((m) => m.coverage === 'not-enforced' || m.coverage === 'partial');
  L.push(ja ? '## Windows が強制できないこと (まとめ)' : '## What Windows cannot enforce (summary)', '');
  for (const m of gaps) L.push(`- ${m.rule} — ${COVERAGE[m.coverage][lang]}`);
  L.push('');
  L.push(ja ? '## 出力ファイル' : '## Files', '',
    `- app-control-base.xml — ${ja ? '基本ポリシー' : 'base policy'} ${plan.appControl.policyId}`,
    ...plan.appControl.supplementals.map((s) => `- app-control-supplemental-${s.exceptionId}.xml — ${ja ? '補足ポリシー' : 'supplemental policy'} ${s.policyId} (${ja ? '期限' : 'expires'} ${s.expires}${s.host ? `, ${ja ? 'ホスト' : 'host'} ${s.host}` : ''})`),
    ...(plan.policy.mode !== 'audit' ? [`- app-control-base-audit.xml / apply-audit.ps1 — ${ja ? '手順 1: 同じ規則を監査モードで (先に実行)' : 'step 1: the same rules in audit mode (run first)'}`] : []),
    `- apply.ps1 / revert.ps1 — ${ja ? '管理者の PowerShell で実行 (何度実行しても同じ結果。revert は apply が記録したものだけを戻す)' : 'run in an elevated PowerShell (safe to run again; revert restores only what apply recorded)'}`,
    `- office.reg / office-revert.reg — ${ja ? 'Office のマクロ設定 (ユーザーごと。管理者として取り込む)' : 'Office macro settings (per user; import as an administrator)'}`,
    `- intune.json — ${ja ? 'Intune (Microsoft Graph) 用の OMA-URI 設定' : 'OMA-URI settings for Intune (Microsoft Graph)'}`, '');
  return L.join('\n');
}
