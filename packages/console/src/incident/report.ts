// The case as a report to keep or hand over: Markdown or HTML (self-contained, escaped), in Japanese or English.
// Steps with who asked and who completed them and when, evidence hashes, check findings, the sweep per endpoint,
// credentials to reset, the partner letter and the timeline.
import { neutralize } from '../text.ts';
import { partnerLetter } from './letter.ts';
import type { Lang } from './steps.ts';
import type { CaseView } from './view.ts';

const L = {
  en: { report: 'Incident report', endpoint: 'Endpoint', event: 'Opened from event', opened: 'Opened', closed: 'Closed', status: 'Status',
    org: 'Organisation', contact: 'Contact', date: 'Incident date', steps: 'Response steps', step: 'Step', state: 'State', asked: 'Asked by',
    done: 'Completed by', note: 'Note', evidence: 'Evidence preserved', bundle: 'Bundle', manifest: 'Manifest SHA-256', check: 'Check results',
    sweep: 'All endpoints', host: 'Endpoint', verdict: 'Result', findings: 'Findings', creds: 'Credentials to reset from a clean device',
    files: 'Attached reports', letter: 'Partner letter', log: 'Timeline', time: 'Time', who: 'Who', what: 'What', none: 'none',
    generated: 'Generated', st: { todo: 'to do', waiting: 'waiting for the agent', attention: 'needs attention', done: 'done', failed: 'failed' } as Record<string, string> },
  ja: { report: 'インシデント報告書', endpoint: '端末', event: '起点のイベント', opened: '開始', closed: '終了', status: '状態',
    org: '組織', contact: '連絡先', date: '発生日', steps: '対応手順', step: '手順', state: '状態', asked: '依頼者',
    done: '完了者', note: 'メモ', evidence: '保全した証拠', bundle: 'アーカイブ', manifest: 'マニフェストの SHA-256', check: 'チェック結果',
    sweep: '全端末の調査', host: '端末', verdict: '結果', findings: '検出', creds: '安全な端末から変更する認証情報',
    files: '添付した報告', letter: '取引先への連絡文', log: '経過', time: '時刻', who: '実施者', what: '内容', none: 'なし',
    generated: '作成', st: { todo: '未実施', waiting: 'エージェントの応答待ち', attention: '要対応', done: '完了', failed: '失敗' } as Record<string, string> },
};

const iso = (ms: number | null) => ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const by = (who: string | null, at: number | null) => who ? `${who} (${iso(at)})` : '—';

interface Section { title: string; rows?: string[][]; head?: string[]; lines?: string[]; pre?: string }

function sections(c: CaseView, lang: Lang, now: number): { title: string; facts: [string, string][]; sections: Section[] } {
  const t = L[lang];
  const out: Section[] = [];
  out.push({ title: t.steps, head: [t.step, t.state, t.asked, t.done, t.note],
    rows: c.steps.map((s) => [s.title, t.st[s.state] ?? s.state, by(s.requestedBy, s.requestedAt), by(s.doneBy, s.doneAt), s.note || '—']) });
  const ev = c.tasks.filter((x) => x.evidence);
  out.push({ title: t.evidence, lines: ev.length ? ev.map((x) => `${x.hostname}: ${x.evidence!.path} — ${t.bundle} SHA-256 ${x.evidence!.bundleSha256} (${x.evidence!.bundleSize} B), ${t.manifest} ${x.evidence!.manifestSha256}`) : [t.none] });
  const checks = c.tasks.filter((x) => x.kind === 'check' && x.step === 'check');
  out.push({ title: t.check, lines: checks.length ? checks.flatMap((x) => [
    `${x.hostname} (${iso(x.finishedAt)}): ${x.check ? `${x.check.checker} — ${x.check.verdict}, ${x.check.examined} examined` : `${x.state} ${x.message}`}`,
    ...(x.check?.findings ?? []).map((f) => `  [${f.severity}] ${f.code}: ${f.title}${f.path ? ` — ${f.path}` : ''}`),
  ]) : [t.none] });
  out.push({ title: t.sweep, head: [t.host, t.verdict, t.findings],
    rows: c.sweep.map((s) => [s.hostname, s.verdict ?? `${s.state}${s.message ? `: ${s.message}` : ''}`, s.findings.map((f) => `${f.code} ${f.path ?? f.title}`).join('; ') || '—']) });
  out.push({ title: t.creds, lines: c.credentials });
  out.push({ title: t.files, lines: c.files.length ? c.files.map((f) => `${f.name} (${f.kind}, SHA-256 ${f.sha256}, ${f.createdBy} ${iso(f.createdAt)}) ${Object.entries(f.summary).map(([k, v]) => `${k}=${v}`).join(' ')}`) : [t.none] });
  const letter = partnerLetter(c.org, lang);
  out.push({ title: t.letter, pre: `${letter.subject}\n\n${letter.body}` });
  out.push({ title: t.log, head: [t.time, t.who, t.step, t.what],
    rows: c.log.map((l) => [iso(l.time), l.actor, l.step || '—', `${l.action} ${Object.entries(l.detail).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`.trim()]) });
  return {
    title: `${t.report}: ${c.title}`,
    facts: [
      [t.endpoint, c.endpoint ? `${c.endpoint.hostname} (${c.endpoint.platform}, ${c.endpoint.id})` : '—'],
      ...(c.event ? [[t.event, `#${c.event.id} ${iso(c.event.time)} ${c.event.verdict} ${c.event.rule} ${c.event.object}`] as [string, string]] : []),
      [t.status, c.status], [t.opened, by(c.createdBy, c.createdAt)], [t.closed, c.closedAt ? by(c.closedBy, c.closedAt) : '—'],
      [t.org, c.org.orgName || '—'], [t.contact, c.org.contact || '—'], [t.date, c.org.incidentDate || '—'], [t.generated, iso(now)],
    ],
    sections: out,
  };
}

/**
 * Text from hosts, paths, findings and users as inert Markdown: no HTML (a Markdown viewer renders raw HTML; < > &
 * become entities), no links or images (brackets escaped), no code spans or table breaks, no line breaks or hidden
 * characters (neutralised as [U+XXXX]).
 */
export function mdText(s: string): string {
  return neutralize(s).replace(/[&<>]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[ch]!)
    .replace(/[\\`[\]|]/g, (ch) => `\\${ch}`);
}

/** A fenced block its content cannot close (the fence is longer than any backtick run inside). */
function fence(text: string): string[] {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return [`${f}text`, text, f];
}

export function renderMarkdown(c: CaseView, lang: Lang, now: number): string {
  const r = sections(c, lang, now);
  const lines = [`# ${mdText(r.title)}`, '', ...r.facts.map(([k, v]) => `- **${mdText(k)}**: ${mdText(v)}`), ''];
  for (const s of r.sections) {
    lines.push(`## ${mdText(s.title)}`, '');
    if (s.head && s.rows) {
      lines.push(`| ${s.head.map(mdText).join(' | ')} |`, `|${s.head.map(() => '---').join('|')}|`, ...s.rows.map((row) => `| ${row.map(mdText).join(' | ')} |`));
      if (s.rows.length === 0) lines.push(`| ${s.head.map(() => '—').join(' | ')} |`);
    }
    if (s.lines) lines.push(...s.lines.map((l) => l.startsWith('  ') ? `    - ${mdText(l.trim())}` : `- ${mdText(l)}`));
    if (s.pre !== undefined) lines.push(...fence(s.pre.split('\n').map((l) => neutralize(l)).join('\n')));
    lines.push('');
  }
  return lines.join('\n');
}

const esc = (s: string) => neutralize(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function renderHtml(c: CaseView, lang: Lang, now: number): string {
  const r = sections(c, lang, now);
  const body = [`<h1>${esc(r.title)}</h1>`, '<dl>', ...r.facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`), '</dl>'];
  for (const s of r.sections) {
    body.push(`<h2>${esc(s.title)}</h2>`);
    if (s.head && s.rows) {
      body.push('<table><thead><tr>', ...s.head.map((h) => `<th scope="col">${esc(h)}</th>`), '</tr></thead><tbody>',
        ...s.rows.map((row) => `<tr>${row.map((cell) => `<td>${esc(cell)}</td>`).join('')}</tr>`), '</tbody></table>');
    }
    if (s.lines) body.push('<ul>', ...s.lines.map((l) => `<li>${esc(l.trim())}</li>`), '</ul>');
    if (s.pre !== undefined) body.push(`<pre>${s.pre.split('\n').map(esc).join('\n')}</pre>`);
  }
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}dt{font-weight:bold}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}
