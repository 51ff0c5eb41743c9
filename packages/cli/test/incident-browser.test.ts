// Browser test of the incident flow in Debian's Chromium (playwright-core): the console app serving a fresh build of
// the web UI (SQLite, loopback, plain HTTP), an agent that is the REAL sync client with the handlers of `omamori agent
// run` (recording nftables runner, fake world: nothing on this machine is isolated), an operator who opens an incident
// from the agent's event, ticks a manual step, isolates the endpoint and sees the step completed by the agent, produces
// the partner letter in Japanese and exports the report. Screenshots: artifacts/incident-*.png. Everything started
// here is stopped in `after` (the browser by its handle, the sync loop, the server, temp dirs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSyncClient, enrollAgent, systemResolver, type NftRunner, type SyncClient } from '@omamori/agent';
import { buildApp, openStore, prepareSetup, type Store } from '@omamori/console';
import { createIncidentTaskHandlers } from '../src/commands/incident-tasks.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'artifacts');
const PASSWORD = 'incident browser password';
const CHROMIUM = { executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] };

describe('incident flow in the browser (Chromium, real sync client)', { timeout: 240_000 }, () => {
  let dir = ''; let store: Store | undefined; let app: FastifyInstance | undefined; let url = '';
  let client: SyncClient | undefined; let browser: Browser | undefined; let page: Page;
  const nftCalls: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `incident-${name}.png`), fullPage: true });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'omamori-incident-ui-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const web = join(dir, 'web');
    const b = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'packages/console/web', '--outDir', web, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    if (b.status !== 0) throw new Error(`building the web UI failed: ${b.stderr}`);
    store = await openStore(`sqlite:${join(dir, 'console.db')}`);
    const built = await buildApp({ store, secure: false, webDir: web, heartbeatSeconds: 1 });
    app = built.app;
    const token = await prepareSetup(built.ctx);
    const setup = await app.inject({ method: 'POST', url: '/api/setup', payload: { token, username: 'admin', password: PASSWORD } });
    const cookie = ([] as string[]).concat(setup.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const headers = { cookie, 'x-csrf-token': (setup.json() as { csrf: string }).csrf };
    const user = await app.inject({ method: 'POST', url: '/api/users', headers, payload: { username: 'oper', password: PASSWORD, role: 'operator' } });
    assert.equal(user.statusCode, 201, user.body);
    const tok = (await app.inject({ method: 'POST', url: '/api/groups/default/tokens', headers, payload: { uses: 1, hours: 1 } })).json() as { token: string };
    url = await app.listen({ host: '127.0.0.1', port: 0 });

    const state = join(dir, 'agent'); const world = join(dir, 'world');
    mkdirSync(join(world, 'etc'), { recursive: true }); mkdirSync(join(dir, 'proc'));
    writeFileSync(join(world, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await enrollAgent({ consoleUrl: url, token: tok.token, stateDir: state, hostname: 'pc-sales-07' });
    const nft: NftRunner = (args, stdin) => { nftCalls.push([...args, stdin ?? ''].join(' ')); return { code: 0, stdout: '', stderr: '' }; };
    client = createSyncClient({
      stateDir: state, log: () => {}, runState: () => ({ state: 'protecting', mode: 'enforce' }), uploadIntervalMs: 300,
      tasks: createIncidentTaskHandlers({
        platform: 'linux', stateDir: state, consoleUrl: () => url, nft, resolver: systemResolver, root: world,
        runEmocheckCollector: async () => ({ ok: false, message: { en: 'no Windows', ja: 'Windows ではありません' } }),
        exportEventLogs: () => ({ files: [], problems: [] }), now: () => new Date(), collectOverrides: { root: world, procRoot: join(dir, 'proc') },
      }),
    });
    client.enqueue([{ time: Date.now(), verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: '1', kind: 'process.start', pid: 4242,
      object: '/home/sales/Downloads/invoice.exe', lineage: [{ pid: 1, image: '/sbin/init' }, { pid: 4242, image: '/home/sales/Downloads/invoice.exe' }] }]);
    client.start();
    browser = await chromium.launch(CHROMIUM);
    const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await ctx.newPage();
  });

  after(async () => {
    try { await browser?.close(); } finally {
      try { await client?.stop(); } finally {
        try { await app?.close(); await store?.close(); } finally { if (dir) rmSync(dir, { recursive: true, force: true }); }
      }
    }
  });

  it('an operator opens an incident from the event, ticks a step, isolates and sees the agent complete it', async () => {
    await page.goto(`${url}/login`);
    await page.getByLabel('User name').fill('oper');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Events', exact: true }).click();
    const row = page.locator('tbody tr').filter({ hasText: 'invoice.exe' });
    for (let i = 0; i < 30 && await row.count() === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    }
    await row.first().getByRole('button', { name: /Details/ }).click();
    await page.locator('#event-detail').getByRole('link', { name: 'Open incident' }).click();
    await page.getByRole('heading', { level: 1, name: /Open an incident from event #\d+/ }).waitFor();
    await page.getByRole('button', { name: 'Open the incident' }).click();
    await page.getByRole('heading', { level: 1, name: /pc-sales-07: \/home\/sales\/Downloads\/invoice\.exe/ }).waitFor();
    assert.equal(await page.locator('li[data-step]').count(), 8);

    const creds = page.locator('li[data-step="credentials"]');
    assert.match(await creds.textContent() ?? '', /Mail account passwords.*browsers.*VPN/s);
    await creds.getByLabel('Note').fill('mail + VPN reset from the admin laptop');
    await creds.getByRole('button', { name: 'Mark done' }).click();
    await page.getByTestId('state-credentials').filter({ hasText: 'done' }).waitFor();
    assert.match(await page.getByTestId('done-credentials').textContent() ?? '', /done by oper at/);

    const iso = page.locator('li[data-step="isolate"]');
    await iso.getByRole('button', { name: 'Isolate now' }).click();
    await iso.getByRole('status').filter({ hasText: 'the agent picks it up' }).waitFor();
    await page.getByTestId('state-isolate').filter({ hasText: 'done' }).waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('done-isolate').textContent() ?? '', /done by agent:pc-sales-07/);
    assert.match(await iso.textContent() ?? '', /asked by oper/);
    assert.ok(nftCalls.some((c) => c.includes('omamori_isolate')), 'the agent applied the isolation ruleset (recorded, not on this machine)');
    await shot('case');
  });

  it('the partner letter comes out in Japanese with the organisation details, and the report exports', async () => {
    const partners = page.locator('li[data-step="partners"]');
    await partners.getByLabel('Organisation name').fill('例示商事株式会社');
    await partners.getByLabel('Contact (mail, telephone)').fill('情報システム部 03-0000-0000');
    await partners.getByLabel('Incident date').fill('2024-05-01');
    await partners.getByRole('button', { name: 'Save details' }).click();
    await page.locator('table[aria-label="Timeline"]').filter({ hasText: 'incident.update' }).waitFor();
    await partners.getByLabel('Letter language').selectOption('ja');
    await partners.getByRole('button', { name: 'Produce the letter' }).click();
    const body = await partners.getByLabel('Text').inputValue();
    assert.match(body, /例示商事株式会社です。/);
    assert.match(body, /2024-05-01、弊社の端末 1 台がマルウェア「Emotet」に感染/);
    assert.match(body, /お問い合わせ先: 情報システム部 03-0000-0000/);
    assert.match(await partners.getByLabel('Subject').inputValue(), /例示商事株式会社を装った/);
    await partners.scrollIntoViewIfNeeded();
    await shot('letter');

    await page.getByLabel('Report', { exact: true }).selectOption('html');
    await page.getByLabel('Report language').selectOption('ja');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download report' }).click()]);
    const file = join(dir, 'report.html');
    await download.saveAs(file);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /<html lang="ja">/);
    assert.match(html, /インシデント報告書: pc-sales-07/);
    assert.match(html, /端末をネットワークから隔離する<\/td><td>完了<\/td><td>oper \(.*\)<\/td><td>agent:pc-sales-07/);
    assert.match(html, /mail \+ VPN reset from the admin laptop/);
    assert.match(html, /例示商事株式会社/);
  });
});
