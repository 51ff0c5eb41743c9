// The HTML report is one self-contained file that draws the process trees: opened in headless Chromium
// (playwright-core, Debian's /usr/bin/chromium) with the network cut; the DOM shows tree nodes and a marked
// blocked node. A screenshot goes to artifacts/replay-report.png. Also the text form (ja/en).
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
    // Clicking a rule row filters the trees to that rule.
    await page.locator('tr.rule[data-rule="guarded.children"]').click();
    assert.equal(await page.locator('tr.rule.sel').count(), 1);
    await page.screenshot({ path: join(artifacts, 'replay-report.png'), fullPage: true });
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
