// The HTML report is one self-contained file that draws the process trees: opened in headless Chromium
// (playwright-core, Debian's /usr/bin/chromium) with the network cut; the DOM shows tree nodes and a marked
// blocked node, per-computer and per-recording counts, the stops with severity and ATT&CK technique, and the
// tables sort, filter and search in the page. A screenshot goes to artifacts/replay-report.png. Also the text form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { renderHtml, renderText, replayPaths, type ReplayResult } from '@omamori/replay';
import { dataPath, presetPolicy, repoRoot } from './data.ts';

const recordings = () => [
  dataPath('evtx-attack-samples/Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx'),
  dataPath('evtx-attack-samples/Execution/sysmon_vbs_sharpshooter_stageless_meterpreter.evtx'),
  // A real workstation's benign log: another computer, and stops of another severity (launch.user-space, high).
  dataPath('evtx-parser-samples/samples/sysmon.evtx'),
];
let result: Promise<ReplayResult> | undefined;
const getResult = () => (result ??= replayPaths(recordings(), { policy: presetPolicy('office') }));

test('HTML report opens offline in headless Chromium and shows the trees with the blocked nodes marked', async () => {
  const r = await getResult();
  assert.ok(r.trees.length >= 2);
  const html = renderHtml(r, 'en');
  assert.doesNotMatch(html, /<(link|img|script)[^>]+(src|href)=/i, 'no external resources');
  const artifacts = join(repoRoot, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, 'replay-report.html');
  writeFileSync(file, html);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (q) => { if (!q.url().startsWith('file:')) requests.push(q.url()); });
    await page.goto('file://' + file);
    const trees = await page.locator('section.ptree').count();
    assert.equal(trees, r.trees.length);
    assert.ok(await page.locator('ul.tree li.node').count() >= 4);
    const blocked = page.locator('li.node.blocked.first >> .label');
    assert.ok(await blocked.count() >= 2);
    const names = await page.locator('li.node.blocked > .label').allInnerTexts();
    assert.ok(names.some((n) => n.startsWith('schtasks.exe')), names.join(','));
    assert.ok(names.some((n) => n.startsWith('wscript.exe')), names.join(','));
    // The parent of a blocked node is drawn, unmarked, above it.
    assert.equal(await page.locator('li.node:not(.blocked) > ul > li.node.blocked > .label', { hasText: 'wscript.exe' }).count(), 1);
    // Counts per computer and per recording.
    assert.deepEqual((await page.locator('#computers tbody tr td:first-child').allInnerTexts()).sort(), ['DESKTOP-2KGM189', 'IEWIN7']);
    assert.equal(await page.locator('#recordings tbody tr').count(), 3);
    // Every stop is a row with its severity and ATT&CK technique.
    const stops = page.locator('tr.stop');
    assert.equal(await stops.count(), r.stops.length);
    assert.ok(r.stops.length >= 5, `${r.stops.length} stops`);
    const wscriptRow = page.locator('tr.stop', { hasText: 'wscript.exe' });
    assert.match(await wscriptRow.innerText(), /critical[^]*T1059\.005[^]*Visual Basic/);
    const visible = async () => page.locator('tr.stop:not([hidden])').count();
    // Sorting by a header: time ascending, then descending.
    const times = async () => (await page.locator('tr.stop > td:first-child').evaluateAll((cells) => cells.map((x) => Number((x as unknown as { getAttribute(n: string): string | null }).getAttribute('data-v')))));
    await page.locator('#stops thead th', { hasText: 'Time' }).click();
    const up = await times();
    assert.deepEqual(up, [...up].sort((a, b) => a - b));
    await page.locator('#stops thead th', { hasText: 'Time' }).click();
    assert.deepEqual(await times(), [...up].reverse());
    assert.equal(await page.locator('#stops thead th[aria-sort="descending"]').count(), 1);
    // Search: one stop and its tree remain.
    await page.locator('#q').fill('wscript');
    assert.equal(await visible(), 1);
    assert.equal(await page.locator('section.ptree:not([hidden])').count(), 1);
    assert.equal(await page.locator('#stops-shown').innerText(), '1');
    await page.locator('#q').fill('');
    assert.equal(await visible(), r.stops.length);
    // Lowest severity: only the critical stops of the guarded browser and script host remain.
    await page.locator('#sev').selectOption({ index: 4 });
    assert.equal(await visible(), r.stops.filter((x) => x.severity === 'critical').length);
    assert.ok(await visible() < r.stops.length);
    await page.locator('#sev').selectOption({ index: 0 });
    // A computer.
    await page.locator('#host').selectOption('DESKTOP-2KGM189');
    assert.equal(await visible(), r.stops.filter((x) => x.computer === 'DESKTOP-2KGM189').length);
    assert.equal(await page.locator('section.ptree:not([hidden])').count(), r.trees.filter((t) => t.host === 'DESKTOP-2KGM189').length);
    await page.locator('#host').selectOption('');
    // Clicking a rule row filters the stops and trees to that rule (a second click clears it).
    await page.locator('tr.rule[data-rule="guarded.children"]').click();
    assert.equal(await page.locator('tr.rule.sel').count(), 1);
    assert.equal(await visible(), r.stops.filter((x) => x.rule === 'guarded.children').length);
    assert.equal(await page.locator('section.ptree:not([hidden])').count(), r.trees.filter((t) => t.blocks.some((b) => b.rule === 'guarded.children')).length);
    await page.screenshot({ path: join(artifacts, 'replay-report.png'), fullPage: true });
    await page.locator('tr.rule[data-rule="guarded.children"]').click();
    assert.equal(await visible(), r.stops.length);
    assert.deepEqual(requests, []);
  } finally {
    await browser.close();
  }
});

test('text report (ja/en) names the first stop with rule and lineage', async () => {
  const r = await getResult();
  const en = renderText(r, 'en');
  assert.match(en, /first stop: guarded\.children GUARDED_CHILD_DENIED process\.start C:\\Windows\\System32\\wscript\.exe/);
  assert.match(en, /lineage: .*iexplore\.exe\(\d+\) → wscript\.exe\(\d+\)/);
  assert.match(renderText(r, 'ja'), /最初の停止: guarded\.children/);
});
