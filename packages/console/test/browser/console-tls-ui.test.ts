// Browser test (Chromium) of TLS certificate rotation from the Settings page, on a real `startConsole` served over
// its generated TLS certificate (in-process, free port): the current fingerprint is shown, the next certificate is
// prepared (shown with how many endpoints pinned it), the switch is confirmed, and a new TLS connection then gets the
// next certificate. No page raises a Content-Security-Policy violation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startConsole, type RunningConsole } from '../../src/index.ts';
import { CHROMIUM, ensureWebBuilt, WEB_DIST } from './procs.ts';
import { cspViolations, PASSWORD, signIn, watchCsp } from './web-console.ts';

const norm = (f: string) => f.replace(/[^0-9a-f]/gi, '').toUpperCase();

function servedFingerprint(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => { resolve(s.getPeerCertificate().fingerprint256); s.end(); });
    s.on('error', reject);
  });
}

describe('TLS rotation from the Settings page (Chromium, console over TLS)', { timeout: 120_000 }, () => {
  let dir = ''; let c: RunningConsole; let browser: Browser; let page: Page;
  before(async () => {
    ensureWebBuilt();
    dir = mkdtempSync(join(tmpdir(), 'omamori-tls-ui-'));
    c = await startConsole({ dataDir: dir, listen: '127.0.0.1:0', tls: 'generate', webDir: WEB_DIST });
    const r = await c.app.inject({ method: 'POST', url: '/api/setup', payload: { token: c.setupToken, username: 'admin', password: PASSWORD } });
    assert.equal(r.statusCode, 201, r.body);
    browser = await chromium.launch(CHROMIUM);
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    await watchCsp(page);
  });
  after(async () => {
    try { await browser?.close(); } finally { try { await c?.close(); } finally { if (dir) rmSync(dir, { recursive: true, force: true }); } }
  });

  it('prepares the next certificate, switches to it after a confirmation, and new connections get it', async () => {
    await signIn(page, c.url, 'admin', PASSWORD);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${c.url}/settings`);
    const current = await page.getByTestId('tls-current').textContent() ?? '';
    assert.equal(norm(current), norm(c.fingerprint!));
    assert.equal(norm(await servedFingerprint(c.url)), norm(c.fingerprint!));
    await page.getByRole('button', { name: 'Prepare the next certificate' }).click();
    await page.getByTestId('tls-done').waitFor();
    const next = await page.getByTestId('tls-next').textContent() ?? '';
    assert.notEqual(norm(next), norm(current));
    assert.match(await page.locator('dl.facts').textContent() ?? '', /0 of 0 endpoint\(s\) have pinned it/);
    await page.getByRole('button', { name: /Switch to the next certificate/ }).click();
    await page.getByRole('alertdialog', { name: 'Switch the console to the next certificate?' }).getByRole('button', { name: 'Switch now' }).click();
    await page.getByTestId('tls-done').filter({ hasText: 'The console now serves' }).waitFor();
    assert.equal(norm(await servedFingerprint(c.url)), norm(next), 'a new connection gets the next certificate');
    await page.reload();
    assert.equal(norm(await page.getByTestId('tls-current').textContent() ?? ''), norm(next));
    assert.deepEqual(await cspViolations(page), []);
  });
});
