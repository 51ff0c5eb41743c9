// The alternative evaluator's part of the text report (ja/en): stops per mechanism, what is not evaluated or only
// approximated, and per process tree its first and later stops with a comparison line against the policy.
import type { AltBlock, AltResult } from './alternative.ts';
import type { Block, ProcessTree } from './replay.ts';

type Lang = 'ja' | 'en';

const ALT_LABELS = {
  stops: { en: 'Would be stopped', ja: '止められるもの' },
  blocked: { en: 'blocked', ja: 'ブロック' },
  auditOnly: { en: 'audit only', ja: '監査のみ' },
  constrained: { en: 'Constrained, not stopped (PowerShell Constrained Language Mode)', ja: '止めずに制限 (PowerShell 制約付き言語モード)' },
  trees: { en: 'Process trees with stops', ja: '停止を含むプロセスツリー' },
  both: { en: 'steps both stop', ja: '両方が止める' },
  policyOnly: { en: 'only omamori stops', ja: 'omamori だけが止める' },
  altOnly: { en: 'only {id} stops', ja: '{id} だけが止める' },
  byMechanism: { en: 'Stops per mechanism (on benign recordings: false-block candidates)', ja: '仕組みごとの停止数 (無害な記録では誤ブロック候補)' },
  mechanism: { en: 'Mechanism', ja: '仕組み' },
  rule: { en: 'Rule', ja: '規則' },
  count: { en: 'Count', ja: '件数' },
  notPolicy: { en: 'not by omamori', ja: 'omamori は止めない' },
  notes: { en: 'Not evaluated or approximated', ja: '評価しないもの・近似しているもの' },
  first: { en: 'first stop', ja: '最初の停止' },
  later: { en: 'later stop', ja: '以降の停止' },
  constrain: { en: 'constrained', ja: '制限' },
  more: { en: 'more not listed', ja: '件は省略' },
  compare: { en: 'compare', ja: '比較' },
  none: { en: 'none', ja: 'なし' },
  policyFirst: { en: 'omamori first', ja: 'omamori の最初' },
  altFirst: { en: 'first', ja: '最初' },
  notStopped: { en: 'not stopped', ja: '止めない' },
} as const;

function L(k: keyof typeof ALT_LABELS, lang: Lang, id = ''): string { return ALT_LABELS[k][lang].replace('{id}', id); }

function short(image: string): string {
  const i = Math.max(image.lastIndexOf('\\'), image.lastIndexOf('/'));
  return i < 0 ? image : image.slice(i + 1);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function outcomeMark(b: { outcome: string; blocked: boolean }): string {
  return b.outcome === 'block' ? '' : ` (${b.outcome})`;
}

/** The summary section: totals, per-mechanism counts with examples, notes. */
export function renderAltSummary(a: AltResult, lang: Lang): string {
  let s = `\n${a.label[lang]}\n`;
  s += table([
    [L('stops', lang), `${a.stats.stops} (${L('blocked', lang)} ${a.stats.blocked}, ${L('auditOnly', lang)} ${a.stats.stops - a.stats.blocked})`],
    [L('constrained', lang), String(a.stats.constrained)],
    [L('trees', lang), String(a.stats.trees)],
    [L('both', lang), String(a.stats.both)],
    [L('policyOnly', lang), String(a.stats.policyOnly)],
    [L('altOnly', lang, a.id), String(a.stats.altOnly)],
  ]);
  if (a.mechanisms.length) {
    s += `\n${L('byMechanism', lang)}:\n`;
    s += table([[L('mechanism', lang), L('count', lang), L('notPolicy', lang), L('rule', lang)],
      ...a.mechanisms.map((m) => [m.mechanism, m.count ? String(m.count) : `(${m.constrained} ${L('constrain', lang)})`, String(m.altOnly), m.ruleName])]);
    for (const m of a.mechanisms) {
      s += `\n  ${m.mechanism} — ${m.ruleName}:\n`;
      for (const e of m.examples) s += `    ${String(e.count).padStart(5)}× ${e.image}${e.object !== undefined && e.object !== e.image ? ` → ${e.object}` : ''}\n`;
    }
  }
  // Approximation notes only when some verdict used them (with how many); notes of what is not evaluated always.
  const shown = a.notes.filter((n) => a.approximated[n.key] !== undefined || !n.approx);
  if (shown.length) {
    s += `\n${L('notes', lang)}:\n` + shown.map((n) => `  - [${n.key}${a.approximated[n.key] ? ` ×${a.approximated[n.key]}` : ''}] ${n[lang]}`).join('\n') + '\n';
  }
  return s;
}

/** Suffix of a policy stop line: what the alternative does with the same event. */
export function altSuffix(b: Block, a: AltResult | undefined, lang: Lang): string {
  if (b.alt === undefined || !a) return '';
  return b.alt === null ? `  [${a.id}: ${L('notStopped', lang)}]` : `  [${a.id}: ${b.alt.mechanism}${b.alt.outcome === 'block' ? '' : ` ${b.alt.outcome}`}]`;
}

function describe(b: AltBlock): string {
  const obj = b.object !== undefined && b.object !== b.image ? ` → ${b.object}` : '';
  return `${b.kind} ${b.image}${obj}`;
}

/** The alternative's stops in one tree and the comparison line. */
export function renderAltTree(t: ProcessTree, a: AltResult, lang: Lang): string {
  if (!t.alt) return '';
  let s = '';
  for (const b of t.alt.blocks) {
    const head = b.outcome === 'constrain' ? `  ~ ${L('constrain', lang)}` : b.first ? `▶ ${L('first', lang)}` : `  ${L('later', lang)}`;
    const pol = b.policy ? `omamori: ${b.policy.rule}` : `omamori: ${L('notStopped', lang)}`;
    s += `  ${a.id} ${head}: ${b.mechanism}${outcomeMark(b)} ${b.ruleName} — ${describe(b)}  (${b.where})  [${pol}]\n`;
  }
  if (t.alt.moreBlocks) s += `  … ${t.alt.moreBlocks} ${L('more', lang)}\n`;
  const c = t.alt.compare;
  const firstOf = (where: string | undefined, list: readonly { where: string; image: string }[], tag: (x: never) => string): string => {
    if (where === undefined) return L('none', lang);
    const x = list.find((b) => b.where === where);
    return x ? `${short(x.image)} ${tag(x as never)}` : where;
  };
  const pf = firstOf(c.policyFirst, t.blocks, (x: Block) => x.rule);
  const af = firstOf(c.altFirst, t.alt.blocks, (x: AltBlock) => x.mechanism);
  s += `  ⇔ ${L('compare', lang)}: ${L('policyFirst', lang)}: ${pf} | ${a.id} ${L('altFirst', lang)}: ${af} | ${L('both', lang)} ${c.both}, ${L('policyOnly', lang)} ${c.policyOnly}, ${L('altOnly', lang, a.id)} ${c.altOnly}\n`;
  return s;
}

/** Tree-node mark: the alternative's mechanisms on this process. */
export function altNodeMark(altIdx: readonly number[] | undefined, t: ProcessTree, a: AltResult | undefined): string {
  if (!altIdx?.length || !t.alt || !a) return '';
  const m = altIdx.map((i) => t.alt!.blocks[i]!).filter((b) => b.outcome !== 'constrain').map((b) => b.mechanism);
  const uniq = m.filter((x, i) => m.indexOf(x) === i);
  return uniq.length ? ` {${a.id}: ${uniq.join(', ')}}` : '';
}
