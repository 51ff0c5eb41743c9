// Browser tests (Chromium) of the console in daily use (issue 13): a real console app on a free port with the built
// web UI and its security headers, fed by signed test agents (events over a week, machine facts, a refused event).
// Charts with date ticks and separate series, Japanese and English layout at 1280 px (one-line headers, buttons,
// badges), no untranslated or raw text on Japanese pages, 24-hour times, the confirmed switch to enforce with "apply
// now" waking a waiting agent, endpoint management and machine facts, refused events, search and export, the audit
// log as fields, alert settings against a local webhook, retention and quotas, task cancel, own password, two-factor
// sign-in and the idle sign-out notice. No page may cause a Content-Security-Policy violation.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { totpCode, TOTP_STEP_MS } from '../../src/totp.ts';
import { sampleEvent, type TestAgent } from '../helpers.ts';
import { CHROMIUM, ROOT } from './procs.ts';
import { cspConsole, cspViolations, heartbeat, PASSWORD, signIn, startWebConsole, watchCsp, type WebConsole } from './web-console.ts';

const ARTIFACTS = join(ROOT, 'artifacts');
const DAY = 86_400_000;
const LONG_APP = 'C:\\Users\\kaikei-tantou\\AppData\\Local\\Temp\\Rar$EXa1234.5678\\請求書_2026年11月分_株式会社サンプル商事_御中_確認用.exe';

let wc: WebConsole; let browser: Browser; let ctx: BrowserContext; let page: Page;
let main: TestAgent; let spare: TestAgent; let doomed: TestAgent; let kaikeiGroup = ''; let seedIncident = '';

const shot = (p: Page, name: string) => p.screenshot({ path: join(ARTIFACTS, `daily-${name}.png`), fullPage: true });

async function go(p: Page, navLabel: string): Promise<void> {
  await p.getByRole('navigation').getByRole('link', { name: navLabel, exact: true }).click();
  await p.getByRole('heading', { level: 1, name: navLabel }).waitFor();
}

/**
 * Polls an expression through CDP until it is true. (Playwright's waitForFunction compiles its predicate with
 * `new Function` inside the page, which the console's CSP rightly refuses — and which would count as a violation.)
 */
async function waitUntil(p: Page, expr: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await p.evaluate(expr))) {
    if (Date.now() > end) throw new Error(`not true within ${ms} ms: ${expr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Elements whose text runs over more than one line (a wrapped header, button or badge). */
async function wrapped(p: Page): Promise<string[]> {
  return p.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('h1, h2, h3, th, button, .badge, nav a, label, legend')) {
      if (!el.offsetWidth && !el.offsetHeight) continue;
      if (el.closest('.sr') || el.closest('details:not([open])')) continue;
      const cs = getComputedStyle(el);
      const lh = cs.lineHeight === 'normal' ? parseFloat(cs.fontSize) * 1.35 : parseFloat(cs.lineHeight);
      const r = document.createRange(); r.selectNodeContents(el);
      const rects = [...r.getClientRects()].filter((x) => x.width > 1 && x.height > 1);
      if (!rects.length) continue;
      const top = Math.min(...rects.map((x) => x.top)); const bottom = Math.max(...rects.map((x) => x.bottom));
      if (bottom - top > lh * 1.6) out.push(el.tagName + ': ' + el.textContent.trim().slice(0, 40) + ' (' + Math.round(bottom - top) + 'px, line ' + Math.round(lh) + 'px)');
    }
    return out;
  })()`);
}

/** The page's visible words, without code, preformatted text, inputs and screen-reader-only text. */
async function visibleText(p: Page): Promise<string> {
  return p.evaluate(`(() => {
    const m = document.querySelector('main').cloneNode(true);
    for (const x of m.querySelectorAll('code, pre, textarea, select, .sr, details:not([open]) > :not(summary)')) x.remove();
    return m.innerText;
  })()`);
}

function seedEvents(now: number) {
  const evs = [];
  for (let d = 0; d < 7; d++) {
    for (let i = 0; i < 40; i++) evs.push(sampleEvent(`a-${d}-${i}`, { verdict: 'audit-deny', time: now - d * DAY - 3600_000 - i * 1000, object: `/home/u/tools/t${i}` }));
  }
  evs.push(sampleEvent('deny-1', { time: now - 1 * DAY - 7200_000, object: '/home/u/Downloads/evil' }));
  evs.push(sampleEvent('deny-3', { time: now - 3 * DAY - 7200_000, object: '/home/u/Downloads/evil' }));
  evs.push(sampleEvent('ps-1', {
    time: now - 600_000, object: '/usr/bin/pwsh', user: 'tanaka', commandLine: 'pwsh -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
    signer: 'Microsoft Corporation', sha256: 'b'.repeat(64),
  }));
  evs.push(sampleEvent('old-1', { time: now - 20 * DAY, verdict: 'audit-deny', object: '/home/u/old/tool' }));
  evs.push(sampleEvent('long-1', { time: now - 300_000, verdict: 'deny', object: LONG_APP }));
  return evs;
}

describe('console web UI in daily use (Chromium)', { timeout: 300_000 }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    wc = await startWebConsole({ idleMinutes: 30 });
    const g = await wc.admin.req('POST', '/api/groups', { name: '経理部' });
    kaikeiGroup = (g.json() as { id: string }).id;
    main = await wc.agent('pc-keiri-01', kaikeiGroup);
    spare = await wc.agent('pc-spare-02');
    doomed = await wc.agent('pc-old-03');
    const hb = await main.req('POST', '/heartbeat', heartbeat({ host: { os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.18.0-omamori', arch: 'x64', addresses: ['192.0.2.10', '2001:db8::10'], users: ['tanaka', 'suzuki'], uptimeSeconds: 93_780 } }));
    assert.equal(hb.statusCode, 200, hb.body);
    for (const a of [spare, doomed]) assert.equal((await a.req('POST', '/heartbeat', heartbeat())).statusCode, 200);
    const up = await main.req('POST', '/events', { events: [...seedEvents(wc.now()), sampleEvent('big-2', { detail: { blob: 'x'.repeat(20_000) } })] });
    assert.equal(up.statusCode, 200, up.body);
    assert.deepEqual((up.json() as { rejected: { key: string; message: string }[] }).rejected.map((r) => r.key === 'big-2' ? r.key : r.message), ['big-2']);
    const inc = await wc.admin.req('POST', '/api/incidents', { agentId: main.id, title: 'seed-incident' });
    seedIncident = (inc.json() as { id: string }).id;
    await wc.admin.req('POST', `/api/incidents/${seedIncident}/actions`, { action: 'collect' });
    browser = await chromium.launch(CHROMIUM);
    ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await ctx.newPage();
    await watchCsp(page);
  });

  afterEach(async () => {
    if (page) assert.deepEqual(await cspViolations(page), [], 'no Content-Security-Policy violation');
  });

  after(async () => {
    try { await browser?.close(); } finally { await wc?.close(); }
  });

  it('the CSP holds without inline script, and this test sees a violation when one happens', async () => {
    const res = await page.goto(`${wc.url}/login`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/); assert.ok(!csp.includes('unsafe-inline'), csp);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.deepEqual(await cspViolations(page), []);
    // An injected inline script is refused, and the watch records it (so an empty list below means something).
    await page.evaluate(`(() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s); })()`);
    await waitUntil(page, 'window.__csp.length > 0');
    assert.equal(await page.evaluate('window.__ran'), undefined, 'the inline script did not run');
    assert.match((await cspViolations(page))[0]!, /script-src/);
    // Chromium also logs the refusal on the console; let it arrive before clearing both records.
    for (let i = 0; i < 30 && cspConsole.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await page.evaluate('window.__csp = []'); cspConsole.length = 0;
  });

  it('signs in; the 7- and 30-day charts label ticks with dates and keep real blocks visible beside would-blocks', async () => {
    await signIn(page, wc.url, 'admin', PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    for (const [range, min] of [['Last 7 days', 5], ['Last 30 days', 5]] as const) {
      await page.getByRole('combobox', { name: 'Period' }).selectOption({ label: range });
      await page.locator('.chart [data-series="deny"] rect').first().waitFor();
      const ticks = await page.locator('.chart [data-tick]').allTextContents();
      assert.ok(ticks.length >= min, `${range}: ticks ${ticks.join(' | ')}`);
      assert.equal(new Set(ticks).size, ticks.length, `${range}: every tick differs: ${ticks.join(' | ')}`);
      for (const tk of ticks) assert.match(tk, /^\d{1,2}\/\d{1,2}$/, `${range}: a date, not a time: ${tk}`);
      const denyHeights = await page.locator('.chart [data-series="deny"] rect').evaluateAll((rs) => rs.map((r) => Number((r as unknown as { getAttribute(n: string): string | null }).getAttribute('height'))));
      const auditHeights = await page.locator('.chart [data-series="auditDeny"] rect').evaluateAll((rs) => rs.map((r) => Number((r as unknown as { getAttribute(n: string): string | null }).getAttribute('height'))));
      assert.ok(denyHeights.length >= 2 && auditHeights.length >= 7, `${range}: both series drawn`);
      // 3 real blocks against 280 would-blocks: each series on its own scale, so the real ones are tall.
      assert.ok(Math.max(...denyHeights) >= 40, `${range}: real blocks visible (${denyHeights.join(',')})`);
    }
    await page.getByRole('combobox', { name: 'Period' }).selectOption({ label: 'Last 24 hours' });
    await waitUntil(page, `[...document.querySelectorAll('.chart [data-tick]')].every((t) => t.textContent.includes(':'))`);
    const dayTicks = await page.locator('.chart [data-tick]').allTextContents();
    for (const tk of dayTicks) assert.match(tk, /^\d{2}:\d{2}$/, `24-hour clock: ${tk}`);
    await shot(page, 'chart');
  });

  it('switching a group to enforce is confirmed with what enforce would block, and "apply now" wakes a waiting agent at once', async () => {
    await go(page, 'Groups');
    const row = page.locator('tr[data-group="経理部"]');
    await row.getByRole('button', { name: /Switch to enforce/ }).click();
    const dialog = row.getByRole('alertdialog', { name: 'Switch 経理部 to enforce?' });
    await dialog.waitFor();
    const preview = dialog.getByTestId('enforce-preview');
    await preview.getByRole('link', { name: 'Would-block events of this group' }).waitFor();
    const href = await preview.getByRole('link', { name: 'Would-block events of this group' }).getAttribute('href') ?? '';
    assert.match(href, /verdict=audit-deny/); assert.ok(href.includes(`group=${encodeURIComponent(kaikeiGroup)}`));
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await row.getByTestId('rollout').textContent(), 'audit (log only)', 'cancel changes nothing');
    // An agent waiting on its long poll is answered as soon as the switch is confirmed (no 11–26 s heartbeat wait).
    const mark = ((await main.req('GET', '/wait?since=&ms=0')).json() as { mark: string }).mark;
    const waiting = main.req('GET', `/wait?since=${encodeURIComponent(mark)}&ms=50000`);
    let woke = 0; void waiting.then(() => { woke = Date.now(); });
    await row.getByRole('button', { name: /Switch to enforce/ }).click();
    await row.getByRole('alertdialog').getByRole('button', { name: 'Switch to enforce and apply now' }).click();
    await row.getByRole('status').filter({ hasText: '経理部 is in enforce; 1 endpoint(s) were told at once.' }).waitFor();
    const clicked = Date.now();
    const answer = await waiting;
    assert.equal(answer.statusCode, 200);
    assert.notEqual((answer.json() as { mark: string }).mark, mark, 'the wait ended because of the change');
    assert.ok(woke - clicked < 10_000, 'woken at once');
    // The row is drawn again from the group list the page fetches after the switch: wait for it (a fixed read raced).
    await row.getByTestId('rollout').filter({ hasText: /^enforce \(block\)$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await row.getByTestId('rollout').textContent(), 'enforce (block)');
    const audit = (await wc.admin.req('GET', '/api/audit?limit=20')).body;
    assert.match(audit, /group\.enforce/, 'switched through the preview-checked route (POST /api/groups/:id/enforce), audited with its preview');
    const hb = (await main.req('POST', '/heartbeat', heartbeat())).json() as { policy?: { envelope: { policy: string } } };
    assert.equal((JSON.parse(hb.policy!.envelope.policy) as { mode: string }).mode, 'enforce', 'the woken agent gets the enforce policy on its heartbeat');
    await shot(page, 'enforce-confirm');
    // "Apply now" alone re-sends the current policy.
    await row.getByRole('button', { name: /Apply now/ }).click();
    await row.getByRole('status').filter({ hasText: 'Sent: 1 endpoint(s) take the policy now.' }).waitFor();
  });

  it('the endpoint page shows the machine facts; key rotation, revoke and delete are there (revoke and delete confirmed)', async () => {
    await page.goto(`${wc.url}/endpoints/${main.id}`);
    const facts = page.getByTestId('host-facts');
    await facts.waitFor();
    const text = await facts.textContent() ?? '';
    for (const s of ['Debian GNU/Linux 12 (bookworm)', '6.18.0-omamori', '192.0.2.10', '2001:db8::10', 'tanaka, suzuki', '1 d 2 h 3 min']) assert.ok(text.includes(s), `${s} in ${text}`);
    await page.getByRole('button', { name: 'Rotate agent key' }).click();
    await page.getByTestId('rotate-pending').waitFor();
    assert.equal(((await main.req('POST', '/heartbeat', heartbeat())).json() as { rotateKey?: boolean }).rotateKey, true, 'the agent is asked to rotate');
    await page.getByRole('link', { name: '1 refused event(s)' }).waitFor();
    await shot(page, 'endpoint');

    await page.goto(`${wc.url}/endpoints/${spare.id}`);
    await page.getByRole('button', { name: 'Revoke endpoint' }).click();
    await page.getByRole('alertdialog').getByText(/Revoke pc-spare-02\?/).waitFor();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Yes, do it' }).click();
    await page.getByRole('status').filter({ hasText: 'The endpoint is revoked.' }).waitFor();
    await page.locator('dl.facts dd').filter({ hasText: 'revoked' }).first().waitFor();
    assert.equal((await spare.req('POST', '/heartbeat', heartbeat())).statusCode >= 400, true, 'a revoked endpoint is refused');

    await page.goto(`${wc.url}/endpoints/${doomed.id}`);
    await page.getByRole('button', { name: 'Delete endpoint and its events' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByRole('alertdialog').count(), 0);
    await page.getByRole('button', { name: 'Delete endpoint and its events' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Yes, do it' }).click();
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
    await page.locator('tr[data-endpoint="pc-keiri-01"]').waitFor();
    assert.equal(await page.locator('tr[data-endpoint="pc-old-03"]').count(), 0, 'deleted');
  });

  it('refused events are listed with their reason and an excerpt', async () => {
    await go(page, 'Refused events');
    const row = page.locator('tr[data-quarantine="big-2"]');
    await row.waitFor();
    const text = await row.textContent() ?? '';
    assert.match(text, /TOO_LONG/); assert.match(text, /detail\.blob/); assert.match(text, /pc-keiri-01/);
  });

  it('events: free-text search, the full event with user, command line and signer, and CSV / JSON export of the selection', async () => {
    await go(page, 'Events');
    await page.getByLabel('Text contains').fill('SQBFAFgA');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/q=SQBFAFgA/);
    const rows = page.locator('tbody tr[data-event]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    await rows.first().getByRole('button', { name: /Details/ }).click();
    await page.getByTestId('event-cmdline').waitFor();
    const detail = await page.locator('#event-detail').textContent() ?? '';
    for (const s of ['tanaka', 'pwsh -enc', 'Microsoft Corporation', 'b'.repeat(64)]) assert.ok(detail.includes(s), `${s} in the detail`);
    const csvHref = await page.getByTestId('events-export-csv').getAttribute('href') ?? '';
    assert.match(csvHref, /q=SQBFAFgA/);
    const csv = await page.evaluate(`fetch(${JSON.stringify(csvHref)}).then((r) => r.text())`) as string;
    const lines = csv.trim().split(/\r\n/);
    assert.equal(lines.length, 2, csv);
    assert.match(lines[1]!, /pwsh -enc/);
    const jsonHref = await page.getByTestId('events-export-json').getAttribute('href') ?? '';
    const jl = (await page.evaluate(`fetch(${JSON.stringify(jsonHref)}).then((r) => r.text())`) as string).trim().split('\n').map((l) => JSON.parse(l) as { commandLine: string });
    assert.equal(jl.length, 1); assert.match(jl[0]!.commandLine, /^pwsh -enc/);
    const download = page.waitForEvent('download');
    await page.getByTestId('events-export-csv').click();
    assert.equal((await download).suggestedFilename(), 'omamori-events.csv');
  });

  it('group retention and upload quota are set per group', async () => {
    await go(page, 'Groups');
    const form = page.locator('form[aria-labelledby="limits"]');
    await form.getByLabel('Group').selectOption({ label: '経理部' });
    await form.getByLabel('Keep events (days)').fill('14');
    await form.getByLabel('Uploads per endpoint per hour').fill('500');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByRole('status').waitFor();
    const row = page.locator('tr[data-group="経理部"]');
    await row.filter({ hasText: '14' }).filter({ hasText: '500' }).waitFor();
    const g = ((await wc.admin.req('GET', '/api/groups')).json() as { groups: { id: string; retentionDays: number; uploadPerHour: number }[] }).groups.find((x) => x.id === kaikeiGroup)!;
    assert.equal(g.retentionDays, 14); assert.equal(g.uploadPerHour, 500);
    // The sweep now: the 20-day-old event of this group goes, the rest stays.
    await go(page, 'Settings');
    await page.getByRole('button', { name: 'Delete expired events now' }).click();
    await page.getByTestId('maintenance-done').filter({ hasText: '1 event(s) and 0 refused event(s) deleted.' }).waitFor();
    const left = ((await wc.admin.req('GET', `/api/events?q=${encodeURIComponent('/home/u/old/tool')}`)).json() as { events: unknown[] }).events;
    assert.equal(left.length, 0);
    // A new policy epoch (after a restore) is confirmed first.
    await page.getByRole('button', { name: /Start a new policy epoch/ }).click();
    await page.getByRole('alertdialog', { name: 'Start a new policy epoch?' }).getByRole('button', { name: 'Start the new epoch' }).click();
    await page.getByTestId('maintenance-done').filter({ hasText: /New policy epoch \d+/ }).waitFor();
  });

  it('alert settings: a webhook, syslog and SMTP are saved; the test alert reaches a local webhook and failures are shown', async () => {
    const got: string[] = [];
    const hook: Server = createServer((req, res) => { let b = ''; req.on('data', (d: Buffer) => { b += d.toString(); }); req.on('end', () => { got.push(b); res.end('ok'); }); });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const port = (hook.address() as { port: number }).port;
    try {
      await go(page, 'Settings');
      const form = page.getByRole('form', { name: 'Alerts' });
      await form.getByRole('group', { name: 'Webhook (JSON)' }).getByLabel('Use this channel').check();
      await form.getByLabel('URL').fill(`http://127.0.0.1:${port}/hook`);
      await form.getByRole('group', { name: 'Syslog (RFC 5424)' }).getByLabel('Use this channel').check();
      await form.locator('input[name="syslog-host"]').fill('127.0.0.1');
      await form.locator('input[name="syslog-port"]').fill('9');
      await form.getByRole('group', { name: 'Syslog (RFC 5424)' }).getByLabel('Transport').selectOption('tcp');
      await form.getByRole('group', { name: 'E-mail (SMTP)' }).getByLabel('Use this channel').check();
      await form.locator('input[name="smtp-host"]').fill('127.0.0.1');
      await form.locator('input[name="smtp-port"]').fill('9');
      await form.locator('input[name="smtp-from"]').fill('omamori@example.jp');
      await form.locator('input[name="smtp-to"]').fill('soc@example.jp, it@example.jp');
      await form.getByRole('button', { name: 'Save alert settings' }).click();
      await form.getByRole('status').filter({ hasText: 'Alert settings saved.' }).waitFor();
      const cfg = ((await wc.admin.req('GET', '/api/settings/alerts')).json() as { config: { webhook: { url: string }; syslog: { port: number; transport: string }; email: { to: string[] } } }).config;
      assert.equal(cfg.webhook.url, `http://127.0.0.1:${port}/hook`);
      assert.deepEqual([cfg.syslog.port, cfg.syslog.transport], [9, 'tcp']);
      assert.deepEqual(cfg.email.to, ['soc@example.jp', 'it@example.jp']);
      await form.getByRole('button', { name: 'Send a test alert' }).click();
      const results = page.getByTestId('alert-test');
      await results.getByText('Webhook (JSON): sent').waitFor({ timeout: 30_000 });
      await results.getByText(/E-mail \(SMTP\): failed — /).waitFor();
      await results.getByText(/Syslog \(RFC 5424\): failed — /).waitFor();
      assert.equal(got.length, 1); assert.doesNotThrow(() => JSON.parse(got[0]!));
      await shot(page, 'alerts');
    } finally { await new Promise((r) => hook.close(r)); }
  });

  it('a user limited to a group sees only its endpoints; the limit is changed on the Users page', async () => {
    await go(page, 'Users and roles');
    const form = page.locator('form[aria-labelledby="new-user"]');
    await form.getByLabel('User name').fill('keiri-op');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByLabel('Role').selectOption('operator');
    await form.getByRole('group', { name: /Limited to groups/ }).getByLabel('経理部').check();
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.locator('tr[data-user="keiri-op"]');
    await row.getByTestId('user-groups').filter({ hasText: '経理部' }).waitFor();
    const other = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    try {
      const p = await other.newPage();
      await watchCsp(p);
      await signIn(p, wc.url, 'keiri-op', PASSWORD);
      await p.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      await go(p, 'Endpoints');
      await p.locator('tr[data-endpoint="pc-keiri-01"]').waitFor();
      assert.equal(await p.locator('tr[data-endpoint="pc-spare-02"]').count(), 0, 'an endpoint of another group is not shown');
      assert.deepEqual(await cspViolations(p), []);
    } finally { await other.close(); }
    await row.getByRole('button', { name: /Change groups/ }).click();
    const picker = row.getByRole('group', { name: 'Groups of keiri-op' });
    await picker.getByLabel('経理部').uncheck();
    await picker.getByRole('button', { name: 'Save groups' }).click();
    await row.getByTestId('user-groups').filter({ hasText: 'all groups' }).waitFor();
  });

  it('a running task can be cancelled from its incident', async () => {
    const inc = await wc.admin.req('POST', '/api/incidents', { agentId: main.id, title: 'e2e' });
    assert.equal(inc.statusCode, 201, inc.body);
    const id = (inc.json() as { id: string }).id;
    const act = await wc.admin.req('POST', `/api/incidents/${id}/actions`, { action: 'check' });
    assert.ok([201, 202].includes(act.statusCode), act.body);
    await page.goto(`${wc.url}/incidents/${id}`);
    const cancel = page.getByRole('button', { name: 'Cancel task' });
    await cancel.waitFor();
    await cancel.click();
    await page.locator('[data-testid="task-check"][data-state="cancelled"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel task' }).count(), 0);
  });

  it('the audit log shows details as fields (no raw JSON), searches, and exports', async () => {
    await go(page, 'Audit log');
    await page.locator('tr[data-action="group.apply-now"]').first().waitFor();
    const table = await page.getByRole('table', { name: 'Audit log' }).textContent() ?? '';
    assert.ok(!/[{}]|":/.test(table), `no JSON in the audit table: ${table.slice(0, 400)}`);
    assert.match(await page.locator('tr[data-action="login"]').first().textContent() ?? '', /address127\.0\.0\.1/);
    await page.getByLabel('Text contains').fill('apply-now');
    await page.getByRole('button', { name: 'Search' }).click();
    await waitUntil(page, `[...document.querySelectorAll('tbody tr')].every((r) => r.getAttribute('data-action') === 'group.apply-now')`);
    const href = await page.getByTestId('audit-export-csv').getAttribute('href') ?? '';
    const csv = await page.evaluate(`fetch(${JSON.stringify(href)}).then((r) => r.text())`) as string;
    const lines = csv.trim().split(/\r\n/);
    assert.ok(lines.length >= 3 && lines.slice(1).every((l) => l.includes('apply-now')), csv);
    assert.ok(lines.some((l) => l.includes(',group.apply-now,')), csv);
  });

  it('Japanese and English pages at 1280 px: one-line headers, buttons and badges; no untranslated or raw text; 24-hour times', async () => {
    const pages: [string, string, string][] = [
      ['/', 'Dashboard', 'ダッシュボード'], ['/endpoints', 'Endpoints', '端末'], ['/events', 'Events', 'イベント'], ['/policies', 'Policies', 'ポリシー'],
      ['/groups', 'Groups', 'グループ'], ['/exceptions', 'Exceptions', '例外'], ['/incidents', 'Incidents', 'インシデント'],
      ['/quarantine', 'Refused events', '受付拒否イベント'], ['/users', 'Users and roles', 'ユーザーとロール'], ['/audit', 'Audit log', '監査ログ'],
      ['/settings', 'Settings', '設定'], [`/endpoints/${main.id}`, 'pc-keiri-01', 'pc-keiri-01'], [`/incidents/${seedIncident}`, 'seed-incident', 'seed-incident'],
      ['/account', 'My account', 'アカウント'],
    ];
    // Every problem of every page is collected, then reported together.
    const problems: string[] = [];
    if (!page.url().startsWith(wc.url)) { await signIn(page, wc.url, 'admin', PASSWORD); await page.getByRole('button', { name: 'Sign out' }).waitFor(); }
    try { for (const lang of ['en', 'ja'] as const) {
      await page.getByRole('button', { name: lang === 'ja' ? '日本語' : 'English' }).click();
      for (const [path, en, ja] of pages) {
        const name = `${lang} ${path}`;
        // By address (the language choice is kept across loads), so each page is checked on its own.
        await page.goto(`${wc.url}${path}`);
        try { await page.getByRole('heading', { level: 1, name: lang === 'ja' ? ja : en }).waitFor({ timeout: 10_000 }); } catch { problems.push(`${name}: page missing`); continue; }
        await page.waitForLoadState('networkidle');
        if (path === '/events') await page.locator('tbody tr[data-event]').first().waitFor();
        const bad = await wrapped(page);
        if (bad.length) { await shot(page, `wrapped-${lang}-${path.replace(/\W+/g, '-')}`); problems.push(`${name}: wraps ${bad.join('; ')}`); }
        const text = await visibleText(page);
        const twelve = /\b\d{1,2}:\d{2}(:\d{2})?\s?(AM|PM)\b|午前|午後/.exec(text);
        if (twelve) problems.push(`${name}: 12-hour time ${twelve[0]}`);
        const paren = /.{0,30}(\)\)|）\)|\)）)/.exec(text);
        if (paren) problems.push(`${name}: doubled parenthesis …${paren[0]}`);
        const json = /.{0,30}(\{"|":).{0,30}/.exec(text);
        if (json) problems.push(`${name}: raw JSON …${json[0]}…`);
        if (text.includes(kaikeiGroup)) problems.push(`${name}: raw group id`);
        if (lang === 'ja') {
          const english = /.{0,40}\b(protecting|audit|enforce|online|offline|blocked|revoked|degraded|sync-only)\b.{0,20}/.exec(text);
          if (english) problems.push(`${name}: untranslated "${english[1]}" in …${english[0]}…`);
        }
        if (path.startsWith('/endpoints/')) await shot(page, `${lang}-endpoint`);
      }
    } } finally { await page.getByRole('button', { name: 'English' }).click(); }
    assert.deepEqual(problems, []);
    // Validation messages come in Japanese (no English validator words) when the page is in Japanese.
    const msg = await page.evaluate(`(async () => {
      const m = /omamori_csrf=([^;]+)/.exec(document.cookie);
      const r = await fetch('/api/groups/${kaikeiGroup}/tokens', { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'ja', 'x-csrf-token': m ? decodeURIComponent(m[1]) : '' }, body: JSON.stringify({ uses: 1.5, hours: 1 }) });
      return (await r.json()).error.message;
    })()`) as string;
    assert.match(msg, /整数/); assert.ok(!/integer|must/.test(msg), msg);
    await page.getByRole('button', { name: 'English' }).click();
  });

  it('the "include expired" box sits on the line of its label', async () => {
    await go(page, 'Exceptions');
    const box = await page.getByLabel('Include expired').boundingBox();
    const label = await page.getByText('Include expired', { exact: true }).boundingBox();
    assert.ok(box && label);
    assert.ok(Math.abs((box.y + box.height / 2) - (label.y + label.height / 2)) < 6, `aligned: box ${JSON.stringify(box)} label ${JSON.stringify(label)}`);
    assert.ok(box.x < label.x, 'the box is before its label');
  });

  it('after the idle time a click lands on the sign-in page with a notice saying why', async () => {
    wc.shift(31 * 60_000);
    await page.getByRole('navigation').getByRole('link', { name: 'Endpoints', exact: true }).click();
    await page.getByTestId('idle-notice').waitFor();
    assert.match(await page.getByTestId('idle-notice').textContent() ?? '', /signed out after 30 minutes without activity/);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
  });

  it('own password change, two-factor set-up and sign-in with a code (Japanese too)', async () => {
    await page.getByRole('link', { name: /admin.*My account/ }).click();
    await page.getByRole('heading', { level: 1, name: 'My account' }).waitFor();
    const pw = page.locator('form[aria-labelledby="pw-title"]');
    await pw.getByLabel('Current password').fill('not my password');
    await pw.getByLabel('New password', { exact: true }).fill('a new correct horse');
    await pw.getByLabel('New password again').fill('a new correct horse');
    await pw.getByRole('button', { name: 'Change password' }).click();
    await pw.locator('[aria-invalid="true"]').waitFor();
    await pw.getByLabel('Current password').fill(PASSWORD);
    await pw.getByRole('button', { name: 'Change password' }).click();
    await pw.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    const newPassword = 'a new correct horse';

    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent() ?? '').replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.match(await page.getByTestId('totp-uri').getAttribute('href') ?? '', /^otpauth:\/\/totp\/omamori:admin\?secret=/);
    const step = Math.floor(wc.now() / TOTP_STEP_MS);
    await page.getByLabel('Code from the app').fill(totpCode(secret, step - 1));
    await page.getByRole('button', { name: 'Confirm and switch on' }).click();
    await page.getByTestId('totp-state').filter({ hasText: 'Two-factor sign-in is on' }).waitFor();
    await shot(page, 'account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: '日本語' }).click();
    await page.getByLabel('ユーザー名').fill('admin');
    await page.getByLabel('パスワード', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'ログイン' }).click();
    const code = page.getByLabel('2 要素認証のコード');
    await code.waitFor();
    const now = Math.floor(wc.now() / TOTP_STEP_MS);
    await code.fill([totpCode(secret, now - 1), totpCode(secret, now), totpCode(secret, now + 1)].includes('000000') ? '111111' : '000000');
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.getByRole('alert').waitFor();
    await code.fill(totpCode(secret, Math.max(now, step)));
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.getByRole('heading', { level: 1, name: 'ダッシュボード' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
  });
});
