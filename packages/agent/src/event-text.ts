// Renders a stored decision as one line of text in Japanese or English: what was stopped, why, and the lineage
// (`thunderbird → soffice → sh → /home/alice/.cache/x`). Formatting only; the store and the CLI choose where it goes.
import { basename } from 'node:path';
import { reasonText } from '@omamori/policy';
import type { StoredEvent } from './event-store.ts';

type Lang = 'ja' | 'en';

const KIND_TEXT: Record<string, Record<Lang, string>> = {
  'process.start': { en: 'start of', ja: '起動' },
  'module.load': { en: 'load of library', ja: 'ライブラリ読み込み' },
  'script.read': { en: 'script', ja: 'スクリプト' },
};

/** `thunderbird → soffice → sh → /home/alice/.cache/x`: names of the ancestors, full path of the last step. */
export function lineageText(e: Pick<StoredEvent, 'lineage' | 'object' | 'kind'>): string {
  const names = e.lineage.map((l) => basename(l.image));
  const last = e.lineage[e.lineage.length - 1];
  if (e.kind === 'process.start') {
    if (names.length) names[names.length - 1] = e.object;
    else names.push(e.object);
  } else {
    if (last && names.length) names[names.length - 1] = basename(last.image);
    names.push(e.object);
  }
  return names.join(' → ');
}

function stamp(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function describeEvent(e: StoredEvent, lang: Lang): string {
  // 'allow' is stored only for answers the kernel got from the fail mode (the reason says so).
  const verdict = e.verdict === 'deny' ? (lang === 'ja' ? '阻止' : 'STOPPED')
    : e.verdict === 'allow' ? (lang === 'ja' ? '許可 (フェイルモード)' : 'ALLOWED (fail mode)')
      : (lang === 'ja' ? '監査 (阻止相当)' : 'would stop (audit)');
  const what = `${KIND_TEXT[e.kind]?.[lang] ?? e.kind} ${e.object}`;
  const guarded = e.guarded ? (lang === 'ja' ? ` [保護下: ${e.guarded}]` : ` [guarded: ${e.guarded}]`) : '';
  const via = typeof e.detail?.via === 'string' && e.detail.via !== 'script' ? ` (${e.detail.via})` : '';
  return `${stamp(e.time)} ${verdict}: ${what}${via} — ${reasonText(e.reason, lang)} (${e.reason}, ${e.rule}, ${e.policyVersion})${guarded}\n    ${lineageText(e)}`;
}
