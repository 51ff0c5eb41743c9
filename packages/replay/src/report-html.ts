// The replay result as ONE self-contained HTML file (inline CSS and JS, no network — a CSP forbids it): summary,
// per-rule table with examples, and each process tree drawn as a tree with the stopped processes marked.
import { renderAltSummary, renderAltTree } from './report-alt.ts';
import type { ProcessTree, ReplayResult, TreeNode } from './replay.ts';
import { describeBlock, unlessSignedText, label, shortImage, type Lang, LABELS } from './report-text.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function time(t: number | undefined): string {
  return t === undefined || !Number.isFinite(t) ? '' : new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.85}
main{padding:16px 24px;max-width:1300px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f5;vertical-align:top}
th{background:#f0f3f7;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.rule{cursor:pointer}tr.rule:hover{background:#f5f8ff}tr.rule.sel{background:#e4edff}
code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px;position:relative}
ul.tree{padding-left:4px}ul.tree ul::before{content:"";position:absolute;left:6px;top:0;bottom:8px;border-left:1px solid #b9c2cf}
li.node{position:relative;margin:2px 0}ul.tree ul>li.node::before{content:"";position:absolute;left:-12px;top:11px;width:10px;border-top:1px solid #b9c2cf}
.label{display:inline-block;padding:1px 6px;border-radius:4px;border:1px solid #cfd6e0;background:#fbfcfd}
li.blocked>.label{border-color:#c62828;background:#fdecea;color:#8e1b1b;font-weight:600}
li.blocked>.label::before{content:"✗ ";}li.first>.label{box-shadow:0 0 0 2px #c62828}
li.dim>.label{opacity:.35}.omitted{color:#7a8494;font-size:12px;margin-left:6px}
.rules-of{font-size:12px;color:#8e1b1b;margin-left:6px}.pid{color:#7a8494;font-size:12px}
ol.blocks{margin:8px 0 0;padding-left:20px}ol.blocks li{margin:3px 0}.first-tag{color:#c62828;font-weight:700}
.muted{color:#7a8494}details>summary{cursor:pointer;font-weight:600}
`;

const JS = `
document.querySelectorAll('tr.rule').forEach(function(tr){tr.addEventListener('click',function(){
  var rule=tr.getAttribute('data-rule'),on=!tr.classList.contains('sel');
  document.querySelectorAll('tr.rule').forEach(function(x){x.classList.remove('sel')});
  if(on)tr.classList.add('sel');
  document.querySelectorAll('li.node').forEach(function(li){
    var r=(li.getAttribute('data-rules')||'').split(' ');
    li.classList.toggle('dim',on&&li.classList.contains('blocked')&&r.indexOf(rule)<0);
  });
  document.querySelectorAll('section.ptree').forEach(function(s){
    var has=(s.getAttribute('data-rules')||'').split(' ').indexOf(rule)>=0;s.style.display=(!on||has)?'':'none';
  });
})});
`;

function node(n: TreeNode, t: ProcessTree): string {
  const rules = [...new Set(n.blocks.map((i) => t.blocks[i]!.rule))];
  const first = n.blocks.some((i) => t.blocks[i]!.first);
  const cls = ['node', ...(n.blocks.length ? ['blocked'] : []), ...(first ? ['first'] : [])].join(' ');
  const title = [n.image, n.commandLine, n.user, time(n.time)].filter(Boolean).join('\n');
  let s = `<li class="${cls}" data-key="${esc(n.key)}" data-rules="${esc(rules.join(' '))}"><span class="label" title="${esc(title)}">${esc(shortImage(n.image))} <span class="pid">${n.pid}</span></span>`;
  if (rules.length) s += `<span class="rules-of">${esc(rules.join(', '))}</span>`;
  if (n.omittedChildren > 0) s += `<span class="omitted">+${n.omittedChildren}</span>`;
  if (n.children.length) s += `<ul>${n.children.map((c) => node(c, t)).join('')}</ul>`;
  return s + '</li>';
}

export function renderHtml(r: ReplayResult, lang: Lang): string {
  const L = (k: keyof typeof LABELS) => esc(label(k, lang));
  const events = Object.values(r.stats.events).reduce((a, b) => a + b, 0);
  const unmapped = Object.values(r.stats.unmapped).reduce((a, b) => a + b, 0);
  const summary = [
    [L('recordings'), r.recordings.length], [L('records'), r.stats.records], [L('events'), events],
    [L('decisions'), r.stats.decisions], [L('starts'), r.stats.starts], [L('blocks'), r.stats.blocks],
    [L('unlessSigned'), r.stats.unlessSigned], [L('trees'), r.stats.trees],
    [L('issues'), r.stats.issues], [L('unmapped'), unmapped],
  ].map(([k, v]) => `<tr><th>${k}</th><td class="n">${v}</td></tr>`).join('');
  const rules = r.rules.map((x) => `<tr class="rule" data-rule="${esc(x.rule)}"><td><code>${esc(x.rule)}</code></td><td><code>${esc(x.reason)}</code></td><td class="n">${x.count}</td><td class="n">${x.unlessSigned}</td><td>${
    x.examples.map((e) => `<div class="mono">${e.count}× ${esc(e.image)}${e.object !== undefined && e.object !== e.image ? ` → ${esc(e.object)}` : ''}</div>`).join('')}</td></tr>`).join('');
  const trees = r.trees.map((t, i) => {
    const rulesOf = [...new Set(t.blocks.map((b) => b.rule))].join(' ');
    const blocks = t.blocks.map((b) => `<li>${b.first ? `<span class="first-tag">${L('first')}</span>` : `<span class="muted">${L('later')}</span>`}: <code>${esc(b.rule)}</code> <code>${esc(b.reason)}</code> <span class="mono">${esc(describeBlock(b))}</span>${
      b.command ? `<div class="mono muted">${esc(b.command.slice(0, 400))}</div>` : ''}${
      b.unlessSigned ? `<div class="muted">${esc(unlessSignedText(b.unlessSigned, lang))}</div>` : ''}<div class="mono muted">${L('lineage')}: ${esc(b.lineage.map((l) => `${shortImage(l.image)}(${l.pid})`).join(' → '))} · ${esc(time(b.time))} · ${esc(b.where)}</div></li>`).join('');
    return `<section class="ptree" id="tree-${i}" data-rules="${esc(rulesOf)}"><h2>${L('tree')} ${i + 1}: ${esc(shortImage(t.root.image))} <span class="pid">${t.root.pid}</span></h2>
<p class="muted">${L('recording')}: <span class="mono">${esc(t.recording)}</span>${t.host ? ` · ${esc(t.host)}` : ''}</p>
<ul class="tree">${node(t.root, t)}</ul><ol class="blocks">${blocks}</ol>${t.moreBlocks ? `<p class="muted">… ${t.moreBlocks} ${L('more')}</p>` : ''}${
  r.alternative && t.alt ? `<pre class="mono alt">${esc(renderAltTree(t, r.alternative, lang))}</pre>` : ''}</section>`;
  }).join('\n');
  const issues = r.issues.length ? `<details><summary>${L('issues')} (${r.stats.issues})</summary>${r.issues.map((i) => `<div class="mono">${esc(i.where)}: ${esc(i.message)}</div>`).join('')}</details>` : '';
  const problems = r.problems.length ? `<section><h2>${L('problems')}</h2>${r.problems.map((p) => `<div class="mono">${esc(p.path)}: ${esc(p.code)} ${esc(p.detail)}</div>`).join('')}</section>` : '';
  const unmappedList = Object.entries(r.stats.unmapped).sort((a, b) => b[1] - a[1]).slice(0, 40)
    .map(([k, v]) => `<tr><td class="mono">${esc(k)}</td><td class="n">${v}</td></tr>`).join('');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${L('title')} — ${esc(r.policy)}</title><style>${CSS}</style></head>
<body><header><h1>${L('title')}</h1><p>${L('policy')}: ${esc(r.policy)} (${esc(r.mode)})</p></header><main>
${problems}<section id="summary"><h2>${L('title')}</h2><table>${summary}</table>${issues}
<details><summary>${L('unmapped')}</summary><table>${unmappedList}</table></details></section>
<section id="rules"><h2>${L('byRule')}</h2>${r.rules.length ? `<table><tr><th>${L('rule')}</th><th>${L('reason')}</th><th>${L('count')}</th><th>${L('unlessSigned')}</th><th>${L('examples')}</th></tr>${rules}</table>` : `<p>${L('none')}</p>`}</section>
${r.alternative ? `<section id="alternative"><pre class="mono">${esc(renderAltSummary(r.alternative, lang))}</pre></section>` : ''}
${trees}
</main><script>${JS}</script></body></html>
`;
}
