// Browser end-to-end test of the console web UI in Debian's Chromium (playwright-core): a real `omamori console`
// (SQLite in a temp dir, a free port, its self-signed TLS), first-run setup with the printed token, a REAL agent
// (`omamori agent enroll` + `omamori agent run` in a private mount namespace, marking only its own tmpfs) seen
// online, a custom policy saved after fixing an error shown at its line, pushed to the agent's group in enforce
// rollout, a real block uploaded by the agent, an exception made from that event, the audit log, both languages and
// role-based hiding. Every process is stopped by pid in `after`. Screenshots go to artifacts/console-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findPreset } from '@omamori/policy';
import { CHROMIUM, CLI, ensureWebBuilt, execInAgentNamespace, freePort, ROOT, runCli, start, startAgentInNamespace, type Proc } from './procs.ts';

const ARTIFACTS = join(ROOT, 'artifacts');
const PASSWORD = 'e2e correct horse battery';
const HOST = 'e2e-endpoint';

let dir = ''; let url = ''; let setupUrl = '';
let consoleProc: Proc | undefined; let agentProc: Proc | undefined; let browser: Browser | undefined;
let ctx: BrowserContext; let page: Page;

const shot = (p: Page, name: string) => p.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });

async function go(p: Page, navLabel: string): Promise<void> {
  await p.getByRole('navigation').getByRole('link', { name: navLabel, exact: true }).click();
  await p.getByRole('heading', { level: 1, name: navLabel }).waitFor();
}

/** Clicks Refresh until `target` shows (the agent acts on its own schedule). */
async function refreshUntil(p: Page, target: ReturnType<Page['locator']>, ms: number, refresh = 'Refresh'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await target.count() > 0) return target.first().waitFor();
    if (Date.now() > end) throw new Error(`not shown within ${ms} ms: ${String(target)}`);
    await new Promise((r) => setTimeout(r, 1000));
    await p.getByRole('button', { name: refresh, exact: true }).click();
  }
}

describe('console web UI end to end (Chromium, real console and agent)', { timeout: 300_000 }, () => {
  before(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'omamori-e2e-'));
    const port = await freePort();
    consoleProc = start(process.execPath, [CLI, '--lang', 'en', 'console', '--data', join(dir, 'console'), '--listen', `127.0.0.1:${port}`]);
    setupUrl = (await consoleProc.waitFor(/first-time setup \(one use\): (\S+)/, 'stdout', 60_000))[1]!;
    url = (await consoleProc.waitFor(/listening on (https:\/\/\S+)/, 'stdout', 1000))[1]!;
    browser = await chromium.launch(CHROMIUM);
    ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
  });

  after(async () => {
    try { await browser?.close(); } finally {
      try { await agentProc?.stop(); } finally {
        try { await consoleProc?.stop(); } finally { if (dir) rmSync(dir, { recursive: true, force: true }); }
      }
    }
  });

  it('first-run setup with the printed one-time token signs the admin in', async () => {
    assert.match(setupUrl, /^https:\/\/127\.0\.0\.1:\d+\/setup#token=/);
    await page.goto(setupUrl);
    await page.getByRole('heading', { level: 1, name: 'First-time setup' }).waitFor();
    assert.ok((await page.getByLabel('Setup token').inputValue()).length > 20, 'the token comes from the link');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await shot(page, 'setup');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.getByTestId('count-total').textContent(), '0');
  });

  it('a real agent enrolled with a token from the Groups page shows online', async () => {
    await go(page, 'Groups');
    await page.getByRole('button', { name: 'Make token' }).click();
    const cmd = await page.getByTestId('enroll-command').textContent() ?? '';
    const token = /--token=(\S+)/.exec(cmd)?.[1];
    const fingerprint = /--fingerprint (\S+)/.exec(cmd)?.[1];
    assert.ok(token && fingerprint, `enroll command shows token and fingerprint: ${cmd}`);
    assert.ok(cmd.includes(`--console ${url}`));
    const state = join(dir, 'agent');
    const enrolled = runCli(['agent', 'enroll', '--console', url, `--token=${token}`, '--fingerprint', fingerprint, '--state', state, '--hostname', HOST]);
    assert.equal(enrolled.code, 0, `enroll: ${enrolled.stderr}`);
    assert.match(enrolled.stdout, /enrolled: agent \S+/);
    const mnt = join(dir, 'mnt'); mkdirSync(mnt);
    agentProc = startAgentInNamespace(state, mnt);
    await agentProc.waitFor(/omamori agent: protecting/, 'stdout', 60_000);
    await go(page, 'Endpoints');
    const row = page.locator(`tr[data-endpoint="${HOST}"]`);
    await refreshUntil(page, row.filter({ hasText: 'online' }), 30_000);
    assert.match(await row.textContent() ?? '', /preset|default/);
    await shot(page, 'endpoints');
  });

  it('a custom policy with a mistake shows the error at its line, saves once fixed, gets a second version and a diff', async () => {
    const office = findPreset('office')!.text.replace('name: office', 'name: e2e-office');
    const lines = office.split('\n');
    const modeLine = lines.findIndex((l) => /^mode: enforce/.test(l)) + 1;
    assert.ok(modeLine > 0);
    const broken = office.replace(/^mode: enforce/m, 'mode: enforse');
    await go(page, 'Policies');
    await page.getByRole('button', { name: 'New custom policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('e2e-office');
    await page.getByLabel('Policy (YAML)').fill(broken);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const problem = page.locator(`.problems li.error[data-line="${modeLine}"]`);
    await problem.waitFor();
    assert.match(await problem.textContent() ?? '', new RegExp(`Line ${modeLine}, column \\d+`));
    assert.equal(await page.locator(`.gutter [data-line="${modeLine}"].error`).count(), 1, 'the gutter marks the line');
    await problem.getByRole('button').click();
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'new-policy-text', 'choosing the problem focuses the editor');
    await shot(page, 'policy-error');
    await page.getByLabel('Policy (YAML)').fill(office);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('The policy is valid.').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Policy e2e-office' }).waitFor();
    await page.getByLabel('Policy (YAML)').fill(office.replace('name: e2e-office', '# edited in the e2e test\nname: e2e-office'));
    await page.getByLabel('Change comment').fill('second version');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByTestId('policy-saved').filter({ hasText: 'v2' }).waitFor();
    await page.getByRole('button', { name: 'Show differences' }).click();
    const diff = page.locator('pre.diff');
    await diff.waitFor();
    assert.match(await diff.locator('.add').first().textContent() ?? '', /# edited in the e2e test/);
    await shot(page, 'policy-versions');
  });

  it('assigning the custom policy with enforce rollout reaches the agent, and its block shows with lineage and reason', async () => {
    await go(page, 'Policies');
    const row = page.locator('tr[data-group="default"]');
    await row.getByLabel('Policy (default)').selectOption({ label: 'e2e-office' });
    await row.getByLabel('Rollout (default)').selectOption('enforce');
    await row.getByRole('button', { name: /Save/ }).click();
    // Going to enforce is confirmed (with what enforce would block), then applied at once.
    await row.getByRole('alertdialog', { name: 'Switch default to enforce?' }).getByRole('button', { name: 'Switch to enforce and apply now' }).click();
    await row.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    // The agent takes the new signed policy on its next heartbeat (every 30 s).
    await agentProc!.waitFor(/policy version \d+ \(policy:\S+ group:default rollout:enforce, mode enforce\) accepted/, 'stderr', 75_000);
    const ran = execInAgentNamespace(agentProc!.pid, join(dir, 'mnt', 'alice', 'evil-tool'));
    assert.notEqual(ran.code, 0, 'the user-space program is blocked');
    assert.match(ran.stderr, /Operation not permitted|Permission denied/);
    await go(page, 'Events');
    const ev = page.locator('tbody tr').filter({ hasText: 'evil-tool' }).filter({ hasText: 'blocked' });
    await refreshUntil(page, ev, 30_000);
    assert.match(await ev.first().textContent() ?? '', new RegExp(HOST));
    await ev.first().getByRole('button', { name: /Details/ }).click();
    const detail = page.locator('#event-detail');
    await detail.waitFor();
    assert.match(await page.getByTestId('event-reason').textContent() ?? '', /user space/);
    const lineage = detail.getByRole('group', { name: 'Process lineage' });
    assert.match(await lineage.textContent() ?? '', /evil-tool/);
    assert.ok(await lineage.locator('ul ul').count() >= 1, 'the lineage is drawn as a tree');
    await shot(page, 'event');
  });

  it('an exception is made from the event in one step and listed', async () => {
    const detail = page.locator('#event-detail');
    await detail.getByLabel('Hours').fill('2');
    await detail.getByRole('button', { name: `Allow evil-tool on ${HOST} for 2 hours` }).click();
    await detail.getByRole('status').filter({ hasText: 'Exception created' }).waitFor();
    await go(page, 'Exceptions');
    const row = page.locator('tbody tr').filter({ hasText: 'alice/evil-tool' });
    await row.waitFor();
    assert.match(await row.textContent() ?? '', /admin/);
    await go(page, 'Dashboard');
    assert.equal(await page.getByTestId('count-online').textContent(), '1');
    await page.getByRole('table', { name: 'Top blocked applications' }).getByText('evil-tool').waitFor();
    await shot(page, 'dashboard');
  });

  it('the audit log lists every administrative action', async () => {
    await go(page, 'Audit log');
    await page.locator('tr[data-action="exception.create"]').waitFor();
    const actions = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { getAttribute(n: string): string | null }).getAttribute('data-action')));
    for (const a of ['setup', 'token.create', 'agent.enroll', 'policy.create', 'policy.update', 'group.update', 'exception.create']) {
      assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(', ')}`);
    }
    await shot(page, 'audit');
  });

  it('switching to Japanese translates the UI and the event reason', async () => {
    await page.getByRole('button', { name: '日本語' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'ダッシュボード' }).waitFor();
    assert.equal(await page.evaluate('document.documentElement.lang'), 'ja');
    await go(page, 'イベント');
    const ev = page.locator('tbody tr').filter({ hasText: 'evil-tool' }).first();
    assert.match(await ev.textContent() ?? '', /阻止/);
    await ev.getByRole('button', { name: /詳細/ }).click();
    assert.match(await page.getByTestId('event-reason').textContent() ?? '', /ユーザー領域/);
    await shot(page, 'ja-event');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Dashboard' }).waitFor();
  });

  it('a browser preferring Japanese gets the Japanese sign-in page', async () => {
    const ja = await browser!.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP' });
    try {
      const p = await ja.newPage();
      await p.goto(url);
      await p.getByRole('heading', { level: 1, name: 'ログイン' }).waitFor();
      await p.getByLabel('ユーザー名').fill('admin');
      await p.getByLabel('パスワード').fill(PASSWORD);
      await p.getByRole('button', { name: 'ログイン' }).click();
      await p.getByRole('heading', { level: 1, name: 'ダッシュボード' }).waitFor();
      await shot(p, 'ja-dashboard');
    } finally { await ja.close(); }
  });

  it('a viewer does not see what the role cannot do, and the server refuses it anyway', async () => {
    await go(page, 'Users and roles');
    const form = page.locator('form[aria-labelledby="new-user"]');
    await form.getByLabel('User name').fill('viewer1');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.locator('tr[data-user="viewer1"]').waitFor();
    const vctx = await browser!.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
    try {
      const p = await vctx.newPage();
      await p.goto(`${url}/login`);
      await p.getByLabel('User name').fill('viewer1');
      await p.getByLabel('Password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      const nav = await p.getByRole('navigation').textContent() ?? '';
      assert.ok(!nav.includes('Users and roles') && !nav.includes('Audit log'), `viewer nav: ${nav}`);
      await go(p, 'Policies');
      await p.locator('tr[data-group="default"]').waitFor();
      assert.equal(await p.getByRole('button', { name: 'New custom policy' }).count(), 0);
      assert.equal(await p.locator('tr[data-group="default"] select').count(), 0);
      // Straight to the API with the session and CSRF token: the server enforces the role, not the UI.
      const status = await p.evaluate(`(async () => {
        const m = /omamori_csrf=([^;]+)/.exec(document.cookie);
        const r = await fetch('/api/groups/default', { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-csrf-token': m ? decodeURIComponent(m[1]) : '' }, body: JSON.stringify({ rollout: 'audit' }) });
        return r.status;
      })()`);
      assert.equal(status, 403);
      await shot(p, 'viewer-policies');
    } finally { await vctx.close(); }
  });
});
