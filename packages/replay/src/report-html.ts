// The replay result as ONE self-contained HTML file (inline CSS and JS, no network — a CSP forbids it): summary,
// counts per computer and per recording, every stop in a table with time, severity and ATT&CK technique, per-rule
// counts with examples, and each process tree drawn with the stopped processes marked. In the page, every table
// sorts by a click on its header, and one search box and severity/computer/rule choices filter the stops, the
// rules and the trees together.
import { SEVERITIES, SEVERITY_LABEL, severityRank, techniqueName, type Severity } from './attack.ts';
import { renderAltSummary, renderAltTree } from './report-alt.ts';
import type { ProcessTree, ReplayResult, TreeNode } from './replay.ts';
import { describeBlock, isoUtc, unlessSignedText, label, shortImage, type Lang, LABELS, type ReportOptions } from './report-text.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.85}
main{padding:16px 24px;max-width:1400px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f5;vertical-align:top}
th{background:#f0f3f7;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
tr.rule{cursor:pointer}tr.rule:hover{background:#f5f8ff}tr.rule.sel{background:#e4edff}
.filters{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:12px;align-items:center;background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:8px 16px;margin:0 0 16px}
.filters input[type=search]{min-width:260px;padding:4px 8px}.filters label{font-size:13px;color:#44505f}
code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.sev{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600;white-space:nowrap}
.sev-critical{background:#8e1b1b;color:#fff}.sev-high{background:#fdecea;color:#8e1b1b}.sev-medium{background:#fff4e0;color:#7a4a00}.sev-low{background:#eef6ee;color:#2f5d2f}.sev-info{background:#eef1f5;color:#44505f}
.tech{font-size:12px}.tech code{font-weight:600}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px;position:relative}
ul.tree{padding-left:4px}ul.tree ul::before{content:"";position:absolute;left:6px;top:0;bottom:8px;border-left:1px solid #b9c2cf}
li.node{position:relative;margin:2px 0}ul.tree ul>li.node::before{content:"";position:absolute;left:-12px;top:11px;width:10px;border-top:1px solid #b9c2cf}
.label{display:inline-block;padding:1px 6px;border-radius:4px;border:1px solid #cfd6e0;background:#fbfcfd}
li.blocked>.label{border-color:#c62828;background:#fdecea;color:#8e1b1b;font-weight:600}
li.blocked>.label::before{content:"✗ ";}li.first>.label{box-shadow:0 0 0 2px #c62828}
li.dim>.label{opacity:.35}li.hit>.label{outline:2px solid #1f6feb}.omitted{color:#7a8494;font-size:12px;margin-left:6px}
.rules-of{font-size:12px;color:#8e1b1b;margin-left:6px}.pid{color:#7a8494;font-size:12px}
ol.blocks{margin:8px 0 0;padding-left:20px}ol.blocks li{margin:3px 0}.first-tag{color:#c62828;font-weight:700}
.muted{color:#7a8494}details>summary{cursor:pointer;font-weight:600}.count{font-size:13px;color:#44505f;margin-left:8px}
`;

// Sorting: a click on a header sorts its table by that column (numbers by data-v when present), again to reverse.
// Filtering: the search text (all words, any case), the lowest severity, a computer and a rule (the choice, or a
// click on a rule row) apply to the stop rows, the rule rows and the process trees at once.
const JS = `
(function(){
var q=document.getElementById('q'),sev=document.getElementById('sev'),host=document.getElementById('host'),rule=document.getElementById('rule');
function val(td){var v=td.getAttribute('data-v');return v!==null?v:td.textContent.trim().toLowerCase();}
document.querySelectorAll('table.sortable').forEach(function(t){
  var ths=t.querySelectorAll('thead th');
  ths.forEach(function(th,i){th.addEventListener('click',function(){
    var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
    ths.forEach(function(x){x.removeAttribute('aria-sort')});th.setAttribute('aria-sort',dir>0?'ascending':'descending');
    var num=th.getAttribute('data-num')!==null,body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){var x=val(a.cells[i]),y=val(b.cells[i]);
      if(num){x=parseFloat(x);y=parseFloat(y);if(isNaN(x))x=-Infinity;if(isNaN(y))y=-Infinity;return (x-y)*dir;}
      return x<y?-dir:x>y?dir:0;});
    rows.forEach(function(r){body.appendChild(r)});
  })});
});
function words(){return q.value.toLowerCase().split(/\\s+/).filter(Boolean);}
function has(text,ws){for(var i=0;i<ws.length;i++)if(text.indexOf(ws[i])<0)return false;return true;}
function apply(){
  var ws=words(),min=+sev.value,h=host.value,r=rule.value,shown=0;
  document.querySelectorAll('tr.stop').forEach(function(tr){
    var ok=+tr.getAttribute('data-sev')>=min&&(!h||tr.getAttribute('data-host')===h)&&(!r||tr.getAttribute('data-rule')===r)&&has(tr.textContent.toLowerCase(),ws);
    tr.hidden=!ok;if(ok)shown++;});
  var c=document.getElementById('stops-shown');if(c)c.textContent=shown;
  document.querySelectorAll('tr.rule').forEach(function(tr){
    var rr=tr.getAttribute('data-rule');tr.classList.toggle('sel',!!r&&rr===r);
    tr.hidden=!(+tr.getAttribute('data-sev')>=min)||(!!r&&rr!==r)||!has(tr.textContent.toLowerCase(),ws);});
  document.querySelectorAll('section.ptree').forEach(function(s){
    var rules=(s.getAttribute('data-rules')||'').split(' '),hosts=(s.getAttribute('data-hosts')||'').split(' ');
    var ok=+s.getAttribute('data-sev')>=min&&(!h||hosts.indexOf(h)>=0)&&(!r||rules.indexOf(r)>=0)&&has(s.textContent.toLowerCase()+' '+(s.getAttribute('data-text')||''),ws);
    s.hidden=!ok;
    s.querySelectorAll('li.node').forEach(function(li){
      var lr=(li.getAttribute('data-rules')||'').split(' ');
      li.classList.toggle('dim',!!r&&li.classList.contains('blocked')&&lr.indexOf(r)<0);
      li.classList.toggle('hit',ws.length>0&&has((li.getAttribute('data-text')||''),ws));});
  });
}
[q,sev,host,rule].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
document.querySelectorAll('tr.rule').forEach(function(tr){tr.addEventListener('click',function(){
  var v=tr.getAttribute('data-rule');rule.value=rule.value===v?'':v;apply();});});
apply();
})();
`;

function sevBadge(s: Severity, lang: Lang): string {
  return `<span class="sev sev-${s}">${esc(SEVERITY_LABEL[s][lang])}</span>`;
}

function techCell(id: string, lang: Lang): string {
  return id ? `<span class="tech"><code>${esc(id)}</code> ${esc(techniqueName(id, lang))}</span>` : '';
}

function node(n: TreeNode, t: ProcessTree): string {
  const rules = [...new Set(n.blocks.map((i) => t.blocks[i]!.rule))];
  const first = n.blocks.some((i) => t.blocks[i]!.first);
  const cls = ['node', ...(n.blocks.length ? ['blocked'] : []), ...(first ? ['first'] : [])].join(' ');
  const title = [n.image, n.commandLine, n.user].filter(Boolean).join('\n');
  const text = [n.image, n.commandLine ?? '', n.user ?? ''].join(' ').toLowerCase();
  let s = `<li class="${cls}" data-key="${esc(n.key)}" data-rules="${esc(rules.join(' '))}" data-text="${esc(text)}"><span class="label" title="${esc(title)}">${esc(shortImage(n.image))} <span class="pid">${n.pid}</span></span>`;
  if (rules.length) s += `<span class="rules-of">${esc(rules.join(', '))}</span>`;
  if (n.omittedChildren > 0) s += `<span class="omitted">+${n.omittedChildren}</span>`;
  if (n.children.length) s += `<ul>${n.children.map((c) => node(c, t)).join('')}</ul>`;
  return s + '</li>';
}

function sortable(head: string[], rows: string[], numeric: number[] = []): string {
  return `<table class="sortable"><thead><tr>${head.map((h, i) => `<th${numeric.includes(i) ? ' data-num' : ''}>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderHtml(r: ReplayResult, lang: Lang, opts: ReportOptions = {}): string {
  const L = (k: keyof typeof LABELS) => esc(label(k, lang));
  const time = opts.time ?? isoUtc;
  const events = Object.values(r.stats.events).reduce((a, b) => a + b, 0);
  const unmapped = Object.values(r.stats.unmapped).reduce((a, b) => a + b, 0);
  const summary = [
    [L('recordings'), r.recordings.length], [L('records'), r.stats.records], [L('events'), events],
    [L('decisions'), r.stats.decisions], [L('starts'), r.stats.starts], [L('blocks'), r.stats.blocks],
    [L('unlessSigned'), r.stats.unlessSigned], [L('trees'), r.stats.trees],
    [L('issues'), r.stats.issues], [L('unmapped'), unmapped],
    ...(r.stats.recovered ? [[L('recovered'), r.stats.recovered]] : []),
  ].map(([k, v]) => `<tr><th>${k}</th><td class="n">${v}</td></tr>`).join('');
  const computers = sortable([L('computer'), L('eventsCol'), L('stopsCol'), L('recordings')],
    r.computers.map((c) => `<tr class="computer" data-host="${esc(c.name)}"><td class="mono">${esc(c.name || '?')}</td><td class="n">${c.events}</td><td class="n">${c.blocks}</td><td class="mono">${esc(c.recordings.join(', '))}</td></tr>`), [1, 2]);
  const recordings = sortable([L('recording'), L('recordsCol'), L('eventsCol'), L('stopsCol'), L('issues')],
    r.recordings.map((x) => `<tr class="recording"><td class="mono">${esc(x.name)}</td><td class="n">${x.records}</td><td class="n">${x.events}</td><td class="n">${x.blocks}</td><td class="n">${x.issues}</td></tr>`), [1, 2, 3, 4]);
  const stops = sortable([L('time'), L('computer'), L('user'), L('severity'), L('rule'), L('technique'), L('process'), L('parent'), L('commandLine'), L('record')],
    r.stops.map((x) => `<tr class="stop" data-sev="${severityRank(x.severity)}" data-host="${esc(x.computer)}" data-rule="${esc(x.rule)}">`
      + `<td class="mono" data-v="${x.time ?? ''}">${esc(time(x.time))}</td><td class="mono">${esc(x.computer)}</td><td class="mono">${esc(x.user)}</td>`
      + `<td data-v="${severityRank(x.severity)}">${sevBadge(x.severity, lang)}</td><td><code>${esc(x.rule)}</code> <span class="muted">${esc(x.reason)}</span></td>`
      + `<td>${techCell(x.technique, lang)}</td><td class="mono">${esc(x.process)}${x.object && x.object !== x.process ? ` → ${esc(x.object)}` : ''}</td>`
      + `<td class="mono">${esc(shortImage(x.parent))}</td><td class="mono">${esc(x.commandLine.slice(0, 400))}</td><td class="mono">${esc(x.record)}</td></tr>`), [0, 3]);
  const rules = r.rules.map((x) => `<tr class="rule" data-rule="${esc(x.rule)}" data-sev="${severityRank(x.severity)}"><td><code>${esc(x.rule)}</code></td><td><code>${esc(x.reason)}</code></td>`
    + `<td data-v="${severityRank(x.severity)}">${sevBadge(x.severity, lang)}</td><td>${x.techniques.map((t) => techCell(t, lang)).join('<br>')}</td><td class="n">${x.count}</td><td class="n">${x.unlessSigned}</td><td>${
      x.examples.map((e) => `<div class="mono">${e.count}× ${esc(e.image)}${e.object !== undefined && e.object !== e.image ? ` → ${esc(e.object)}` : ''}</div>`).join('')}</td></tr>`);
  const trees = r.trees.map((t, i) => {
    const rulesOf = [...new Set(t.blocks.map((b) => b.rule))].join(' ');
    const hosts = [...new Set([t.host ?? '', ...t.blocks.map((b) => b.host ?? '')].filter(Boolean))].join(' ');
    const sevMax = t.blocks.reduce((m, b) => Math.max(m, severityRank(b.severity)), t.blocks.length ? 0 : SEVERITIES.length);
    const text = t.blocks.map((b) => `${b.rule} ${b.technique} ${b.command ?? ''} ${b.object ?? ''}`).join(' ').toLowerCase();
    const blocks = t.blocks.map((b) => `<li>${b.first ? `<span class="first-tag">${L('first')}</span>` : `<span class="muted">${L('later')}</span>`}: ${sevBadge(b.severity, lang)} <code>${esc(b.rule)}</code> <code>${esc(b.reason)}</code> ${techCell(b.technique, lang)} <span class="mono">${esc(describeBlock(b))}</span>${
      b.command ? `<div class="mono muted">${esc(b.command.slice(0, 400))}</div>` : ''}${
      b.unlessSigned ? `<div class="muted">${esc(unlessSignedText(b.unlessSigned, lang))}</div>` : ''}<div class="mono muted">${L('lineage')}: ${esc(b.lineage.map((l) => `${shortImage(l.image)}(${l.pid})`).join(' → '))} · ${esc(time(b.time))} · ${esc(b.where)}</div></li>`).join('');
    return `<section class="ptree" id="tree-${i}" data-rules="${esc(rulesOf)}" data-hosts="${esc(hosts)}" data-sev="${sevMax}" data-text="${esc(text)}"><h2>${L('tree')} ${i + 1}: ${esc(shortImage(t.root.image))} <span class="pid">${t.root.pid}</span></h2>
<p class="muted">${L('recording')}: <span class="mono">${esc(t.recording)}</span>${t.host ? ` · ${esc(t.host)}` : ''}</p>
<ul class="tree">${node(t.root, t)}</ul><ol class="blocks">${blocks}</ol>${t.moreBlocks ? `<p class="muted">… ${t.moreBlocks} ${L('more')}</p>` : ''}${
  r.alternative && t.alt ? `<pre class="mono alt">${esc(renderAltTree(t, r.alternative, lang))}</pre>` : ''}</section>`;
  }).join('\n');
  const issues = r.issues.length ? `<details><summary>${L('issues')} (${r.stats.issues})</summary>${r.issues.map((i) => `<div class="mono">${esc(i.where)}: ${esc(i.message)}</div>`).join('')}</details>` : '';
  const problems = r.problems.length ? `<section><h2>${L('problems')}</h2>${r.problems.map((p) => `<div class="mono">${esc(p.path)}: ${esc(p.code)} ${esc(p.detail)}</div>`).join('')}</section>` : '';
  const unmappedList = Object.entries(r.stats.unmapped).sort((a, b) => b[1] - a[1]).slice(0, 40)
    .map(([k, v]) => `<tr><td class="mono">${esc(k)}</td><td class="n">${v}</td></tr>`).join('');
  const option = (v: string, text: string) => `<option value="${esc(v)}">${esc(text)}</option>`;
  const hostNames = [...new Set(r.stops.map((x) => x.computer).concat(r.computers.map((c) => c.name)))].filter(Boolean).sort();
  const filters = `<div class="filters" role="search"><label>${L('search')} <input type="search" id="q" placeholder="powershell, T1059, WS5 …"></label>
<label>${L('severity')} <select id="sev">${SEVERITIES.map((s, i) => option(String(i), `${SEVERITY_LABEL[s][lang]} ${label('minSeverity', lang)}`)).join('')}</select></label>
<label>${L('computer')} <select id="host">${option('', label('all', lang))}${hostNames.map((h) => option(h, h)).join('')}</select></label>
<label>${L('rule')} <select id="rule">${option('', label('all', lang))}${r.rules.map((x) => option(x.rule, x.rule)).join('')}</select></label></div>`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${L('title')} — ${esc(r.policy)}</title><style>${CSS}</style></head>
<body><header><h1>${L('title')}</h1><p>${L('policy')}: ${esc(r.policy)} (${esc(r.mode)})</p></header><main>
${problems}<section id="summary"><h2>${L('title')}</h2><table>${summary}</table>${issues}
<details><summary>${L('unmapped')}</summary><table>${unmappedList}</table></details></section>
<section id="computers"><h2>${L('byComputer')}</h2>${computers}</section>
<section id="recordings"><h2>${L('byRecording')}</h2>${recordings}</section>
${filters}
<section id="stops"><h2>${L('stops')}<span class="count"><span id="stops-shown">${r.stops.length}</span> / ${r.stops.length} ${L('shown')}</span></h2>${
  r.stops.length ? stops : `<p>${L('none')}</p>`}${r.stats.stopsOmitted ? `<p class="muted">… ${r.stats.stopsOmitted} ${L('omittedStops')}</p>` : ''}</section>
<section id="rules"><h2>${L('byRule')}</h2>${r.rules.length ? sortable([L('rule'), L('reason'), L('severity'), L('technique'), L('count'), L('unlessSigned'), L('examples')], rules, [2, 4, 5]) : `<p>${L('none')}</p>`}</section>
${r.alternative ? `<section id="alternative"><pre class="mono">${esc(renderAltSummary(r.alternative, lang))}</pre></section>` : ''}
${trees}
</main><script>${JS}</script></body></html>
`;
}
