// The replay result as text for a terminal (ja/en): summary table, per-rule counts with examples, then each process
// tree with its first stop and the later ones.
import { altNodeMark, altSuffix, renderAltSummary, renderAltTree } from './report-alt.ts';
import { SEVERITY_LABEL, techniqueName } from './attack.ts';
import type { Block, ProcessTree, ReplayResult, TreeNode } from './replay.ts';

export type Lang = 'ja' | 'en';

export const LABELS = {
  title: { en: 'omamori replay', ja: 'omamori 再生 (replay)' },
  policy: { en: 'Policy', ja: 'ポリシー' },
  recordings: { en: 'Recordings', ja: '記録' },
  records: { en: 'Records read', ja: '読んだレコード' },
  events: { en: 'Events mapped', ja: '変換したイベント' },
  decisions: { en: 'Decisions', ja: '判定' },
  blocks: { en: 'Would be stopped', ja: '止められるもの' },
  unlessSigned: { en: 'Would be stopped unless signed', ja: '署名がなければ止められるもの' },
  unlessSignedBy: { en: 'stopped unless signed by', ja: '次の署名がなければ停止' },
  noSignature: { en: 'the record carries no signature', ja: '記録に署名の情報がありません' },
  starts: { en: 'Process starts', ja: 'プロセス起動' },
  trees: { en: 'Process trees with stops', ja: '停止を含むプロセスツリー' },
  issues: { en: 'Damaged parts skipped', ja: '飛ばした破損箇所' },
  unmapped: { en: 'Unmapped event ids (counted, not errors)', ja: '対象外のイベント ID (数えるのみ)' },
  byRule: { en: 'Stops per rule', ja: '規則ごとの停止数' },
  rule: { en: 'Rule', ja: '規則' },
  reason: { en: 'Reason', ja: '理由' },
  count: { en: 'Count', ja: '件数' },
  examples: { en: 'examples', ja: '例' },
  tree: { en: 'Process tree', ja: 'プロセスツリー' },
  first: { en: 'first stop', ja: '最初の停止' },
  later: { en: 'later stop (if the earlier were allowed)', ja: '以降の停止 (前を許した場合)' },
  more: { en: 'more stops not listed', ja: '件の停止は省略' },
  omitted: { en: 'other children', ja: '他の子プロセス' },
  none: { en: 'Nothing would be stopped.', ja: '止められるものはありません。' },
  recording: { en: 'Recording', ja: '記録' },
  lineage: { en: 'lineage', ja: '系譜' },
  stopped: { en: 'stopped', ja: '停止' },
  problems: { en: 'Input problems', ja: '入力の問題' },
  severity: { en: 'Severity', ja: '重大度' },
  technique: { en: 'ATT&CK technique', ja: 'ATT&CK 手法' },
  byComputer: { en: 'Per computer', ja: 'コンピューターごと' },
  byRecording: { en: 'Per recording', ja: '記録ごと' },
  computer: { en: 'Computer', ja: 'コンピューター' },
  recordsCol: { en: 'Records', ja: 'レコード' },
  eventsCol: { en: 'Events', ja: 'イベント' },
  stopsCol: { en: 'Stops', ja: '停止' },
  recovered: { en: 'Recovered from slack space', ja: 'スラック領域から回復' },
  time: { en: 'Time', ja: '時刻' },
  user: { en: 'User', ja: 'ユーザー' },
  process: { en: 'Process', ja: 'プロセス' },
  parent: { en: 'Parent', ja: '親' },
  commandLine: { en: 'Command line', ja: 'コマンドライン' },
  record: { en: 'Record', ja: 'レコード' },
  stops: { en: 'Stops', ja: '停止の一覧' },
  search: { en: 'Search', ja: '検索' },
  all: { en: 'all', ja: 'すべて' },
  minSeverity: { en: 'at least', ja: '以上' },
  shown: { en: 'shown', ja: '件を表示' },
  omittedStops: { en: 'more stops not kept in the report', ja: '件の停止はレポートに含めていません' },
} as const;

/** How report times are written (default: UTC, ISO 8601). */
export interface ReportOptions { time?: (ms: number | undefined) => string }

export function isoUtc(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '' : new Date(ms).toISOString();
}

/** `critical T1059.001 Command and Scripting Interpreter: PowerShell` for a stop. */
export function stopClass(b: Pick<Block, 'severity' | 'technique'>, lang: Lang): string {
  const t = b.technique ? ` ${b.technique} ${techniqueName(b.technique, lang)}` : '';
  return `${SEVERITY_LABEL[b.severity][lang]}${t}`;
}

export function label(k: keyof typeof LABELS, lang: Lang): string { return LABELS[k][lang]; }

export function shortImage(image: string): string {
  const i = Math.max(image.lastIndexOf('\\'), image.lastIndexOf('/'));
  return i < 0 ? image : image.slice(i + 1);
}

export function describeBlock(b: Block): string {
  const obj = b.object !== undefined && b.object !== b.image ? ` → ${b.object}` : '';
  return `${b.kind} ${b.image}${obj}`;
}

/** "stopped unless signed by A, B (the record carries no signature)". */
export function unlessSignedText(publishers: readonly string[], lang: Lang): string {
  return `${label('unlessSignedBy', lang)} ${publishers.join(', ')} (${label('noSignature', lang)})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function renderNode(n: TreeNode, tree: ProcessTree, depth: number, out: string[], r: ReplayResult): void {
  const mark = n.blocks.length ? ` [${n.blocks.map((i) => tree.blocks[i]!.rule).filter((r, i, a) => a.indexOf(r) === i).join(', ')}]` : '';
  const altMark = altNodeMark(n.altBlocks, tree, r.alternative);
  out.push(`${'  '.repeat(depth + 1)}${n.blocks.length ? '✗' : altMark ? '◆' : '·'} ${shortImage(n.image)} (${n.pid})${mark}${altMark}`);
  for (const c of n.children) renderNode(c, tree, depth + 1, out, r);
}

export function renderText(r: ReplayResult, lang: Lang, opts: ReportOptions = {}): string {
  const L = (k: keyof typeof LABELS) => label(k, lang);
  const time = opts.time ?? isoUtc;
  let s = `${L('title')} — ${L('policy')}: ${r.policy} (${r.mode})\n\n`;
  if (r.problems.length) {
    s += `${L('problems')}:\n` + r.problems.map((p) => `  ${p.path}: ${p.code} ${p.detail}`).join('\n') + '\n\n';
  }
  s += table([
    [L('recordings'), String(r.recordings.length)],
    [L('records'), String(r.stats.records)],
    [L('events'), String(Object.values(r.stats.events).reduce((a, b) => a + b, 0))],
    [L('decisions'), String(r.stats.decisions)],
    [L('starts'), String(r.stats.starts)],
    [L('blocks'), String(r.stats.blocks)],
    [L('unlessSigned'), String(r.stats.unlessSigned)],
    [L('trees'), String(r.stats.trees)],
    [L('issues'), String(r.stats.issues)],
    [L('unmapped'), String(Object.values(r.stats.unmapped).reduce((a, b) => a + b, 0))],
    ...(r.stats.recovered ? [[L('recovered'), String(r.stats.recovered)]] : []),
  ]);
  for (const i of r.issues.slice(0, 10)) s += `  ! ${i.where}: ${i.message}\n`;
  if (r.computers.length > 1 || r.recordings.length > 1) {
    s += `\n${L('byComputer')}:\n` + table([[L('computer'), L('eventsCol'), L('stopsCol')],
      ...r.computers.map((c) => [c.name || '?', String(c.events), String(c.blocks)])]);
    s += `\n${L('byRecording')}:\n` + table([[L('recording'), L('recordsCol'), L('eventsCol'), L('stopsCol')],
      ...r.recordings.map((x) => [x.name, String(x.records), String(x.events), String(x.blocks)])]);
  }
  if (r.rules.length === 0 && !r.alternative) return s + `\n${L('none')}\n`;
  if (r.rules.length === 0) s += `\n${L('none')}\n`;
  else {
    s += `\n${L('byRule')}:\n`;
    s += table([[L('rule'), L('reason'), L('count'), L('unlessSigned'), L('severity'), L('technique')],
      ...r.rules.map((x) => [x.rule, x.reason, String(x.count), String(x.unlessSigned), SEVERITY_LABEL[x.severity][lang], x.techniques.join(' ')])]);
  }
  for (const x of r.rules) {
    s += `\n  ${x.rule} — ${L('examples')}:\n`;
    for (const e of x.examples) s += `    ${String(e.count).padStart(5)}× ${e.image}${e.object !== undefined && e.object !== e.image ? ` → ${e.object}` : ''}\n`;
  }
  if (r.alternative) s += renderAltSummary(r.alternative, lang);
  for (const t of r.trees) {
    s += `\n${L('tree')}: ${t.recording}${t.host ? ` @${t.host}` : ''} — ${shortImage(t.root.image)} (${t.root.pid})\n`;
    const lines: string[] = [];
    renderNode(t.root, t, 0, lines, r);
    s += lines.join('\n') + '\n';
    for (const b of t.blocks) {
      s += `  ${b.first ? `▶ ${L('first')}` : `  ${L('later')}`}: ${b.rule} ${b.reason} ${describeBlock(b)}  (${b.where})${altSuffix(b, r.alternative, lang)}\n`;
      s += `      ${stopClass(b, lang)}${b.time !== undefined ? ` · ${time(b.time)}` : ''}${b.host ? ` · ${b.host}` : ''}\n`;
      s += `      ${L('lineage')}: ${b.lineage.map((l) => `${shortImage(l.image)}(${l.pid})`).join(' → ')}\n`;
      if (b.unlessSigned) s += `      ${unlessSignedText(b.unlessSigned, lang)}\n`;
    }
    if (t.moreBlocks) s += `  … ${t.moreBlocks} ${L('more')}\n`;
    if (r.alternative) s += renderAltTree(t, r.alternative, lang);
  }
  return s;
}
