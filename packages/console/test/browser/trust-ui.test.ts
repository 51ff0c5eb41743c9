// Browser end-to-end test of "trust for the group" and the enforce preview (issue 12) in Debian's Chromium
// (playwright-core): a real `omamori console` (SQLite in a temp dir, a free port, its self-signed TLS); the admin set
// up through the printed one-time token; two endpoints enrolled with Ed25519 keys and uploading signed audit events
// over HTTPS (as agents do); then, in the browser, an event's trust page with its previews, the publisher trusted
// for the group (a policy copy with the entry), and the group switched to enforce after its preview and a
// confirmation. The console process is stopped by pid in `after`. Screenshots go to artifacts/trust-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AGENT_API_PREFIX, AGENT_HEADERS, requestSigningPayload } from '@omamori/policy';
import { CHROMIUM, CLI, ensureWebBuilt, freePort, ROOT, start, type Proc } from './procs.ts';

const ARTIFACTS = join(ROOT, 'artifacts');
const PASSWORD = 'e2e trust correct horse';
const SIGNER = 'Kaikei Soft K.K.';

let dir = ''; let url = ''; let consoleProc: Proc | undefined; let browser: Browser | undefined; let page: Page;
let cookie = ''; let csrf = '';
let groupId = '';

/** JSON over HTTPS to the console (its certificate is self-signed). */
function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; setCookie: string[] }> {
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), {
      method, rejectUnauthorized: false,
      headers: { ...(raw ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie, 'x-csrf-token': csrf } : {}), ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) as unknown : undefined, setCookie: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

/** An enrolled endpoint that signs its requests like the real agent. */
async function enroll(group: string, hostname: string): Promise<{ upload(events: unknown[]): Promise<number> }> {
  const t = await call('POST', `/api/groups/${group}/tokens`, { uses: 1, hours: 1 });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const e = await call('POST', `${AGENT_API_PREFIX}/enroll`, {
    token: (t.json as { token: string }).token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    hostname, platform: 'windows', agentVersion: 'e2e',
  }, { cookie: '' });
  assert.equal(e.status, 201, JSON.stringify(e.json));
  const agentId = (e.json as { agentId: string }).agentId;
  const signed = (key: KeyObject, path: string, raw: string) => {
    const time = Date.now(); const nonce = randomBytes(16).toString('hex');
    const hash = createHash('sha256').update(raw).digest('hex');
    const sig = sign(null, Buffer.from(requestSigningPayload('POST', `${AGENT_API_PREFIX}${path}`, time, nonce, hash)), key).toString('base64');
    return { [AGENT_HEADERS.agent]: agentId, [AGENT_HEADERS.time]: String(time), [AGENT_HEADERS.nonce]: nonce, [AGENT_HEADERS.signature]: sig };
  };
  return {
    async upload(events) {
      const raw = JSON.stringify({ events });
      const saved = cookie; cookie = '';
      try { return (await call('POST', `${AGENT_API_PREFIX}/events`, raw, signed(privateKey, '/events', raw))).status; } finally { cookie = saved; }
    },
  };
}

const event = (key: string, object: string, detail: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  key, time: Date.now(), verdict: 'audit-deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: '1',
  kind: 'process.start', pid: 4242, object, lineage: [{ pid: 100, image: 'C:\\Windows\\explorer.exe' }, { pid: 4242, image: object }], detail, ...over,
});

const shot = (p: Page, name: string) => p.screenshot({ path: join(ARTIFACTS, `trust-${name}.png`), fullPage: true });

describe('trust for the group and the enforce preview (Chromium, real console)', { timeout: 180_000 }, () => {
  before(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'omamori-trust-e2e-'));
    const port = await freePort();
    consoleProc = start(process.execPath, [CLI, '--lang', 'en', 'console', '--data', join(dir, 'console'), '--listen', `127.0.0.1:${port}`]);
    const setupUrl = (await consoleProc.waitFor(/first-time setup \(one use\): (\S+)/, 'stdout', 60_000))[1]!;
    url = (await consoleProc.waitFor(/listening on (https:\/\/\S+)/, 'stdout', 1000))[1]!;
    const token = decodeURIComponent(new URL(setupUrl).hash.replace(/^#token=/, ''));
    const s = await call('POST', '/api/setup', { token, username: 'admin', password: PASSWORD });
    assert.equal(s.status, 201, JSON.stringify(s.json));
    cookie = s.setCookie.map((c) => c.split(';')[0]).join('; ');
    csrf = (s.json as { csrf: string }).csrf;
    groupId = ((await call('POST', '/api/groups', { name: 'accounting' })).json as { id: string }).id;
    const kaikei = (who: string) => `C:\\Users\\${who}\\AppData\\Local\\Kaikei\\kaikei.exe`;
    const a = await enroll(groupId, 'pc-keiri-01');
    const b = await enroll(groupId, 'pc-keiri-02');
    assert.equal(await a.upload([
      event('a1', kaikei('sato'), { sha256: 'ab'.repeat(32), signer: SIGNER }),
      event('a2', kaikei('sato'), { sha256: 'ab'.repeat(32), signer: SIGNER }),
      event('a3', 'C:\\Users\\sato\\AppData\\Local\\Kaikei\\update.exe', { sha256: 'cd'.repeat(32), signer: SIGNER }),
      event('a4', 'C:\\Users\\sato\\Downloads\\invoice.exe', {}),
    ]), 200);
    assert.equal(await b.upload([event('b1', kaikei('suzuki'), { sha256: 'ab'.repeat(32), signer: SIGNER })]), 200);
    browser = await chromium.launch(CHROMIUM);
    const bctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page = await bctx.newPage();
    await page.goto(url);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  after(async () => {
    try { await browser?.close(); } finally {
      try { await consoleProc?.stop(); } finally { if (dir) rmSync(dir, { recursive: true, force: true }); }
    }
  });

  it('from an event: trust options with their previews; the publisher trusted for the group', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    const row = page.locator('tr[data-event]').filter({ hasText: 'pc-keiri-02' });
    await row.getByRole('button', { name: /Details/ }).click();
    await page.getByRole('link', { name: 'Trust this program for its group…' }).click();
    await page.getByRole('heading', { level: 1, name: 'Trust for the group' }).waitFor();
    assert.match(await page.getByTestId('trust-object').textContent() ?? '', /suzuki\\AppData\\Local\\Kaikei\\kaikei\.exe$/);
    assert.equal(await page.getByTestId('trust-preview-hash').textContent(),
      'would have allowed 3 of 5 logged refusals in accounting (2 programs, 2 endpoints)');
    assert.equal(await page.getByTestId('trust-preview-publisher').textContent(),
      'would have allowed 4 of 5 logged refusals in accounting (3 programs, 2 endpoints)');
    assert.match(await page.getByTestId('trust-preview-folder').textContent() ?? '', /user space by the policy's patterns/);
    assert.equal(await page.getByRole('radio', { name: /its folder/ }).isDisabled(), true);
    await page.getByRole('radio', { name: `its publisher: ${SIGNER}` }).check();
    await shot(page, 'options');
    await page.getByRole('button', { name: 'Trust for group accounting' }).click();
    await page.getByTestId('trust-done').filter({ hasText: 'version 1; it allows 4 logged events' }).waitFor();
    await page.getByRole('link', { name: 'Open the policy' }).click();
    await page.getByRole('heading', { level: 1, name: 'Policy accounting (trusted)' }).waitFor();
    assert.match(await page.getByLabel('Policy (YAML)').inputValue(), /- \{ signer: "Kaikei Soft K\.K\.", launch: normal \}/);
    const groups = (await call('GET', '/api/groups')).json as { groups: { id: string; policyRef: string }[] };
    assert.match(groups.groups.find((g) => g.id === groupId)!.policyRef, /^policy:/);
  });

  it('before enforce: what it would block, and a switch that needs the confirmation', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    await page.getByRole('link', { name: 'Preview enforce… (accounting)' }).click();
    await page.getByRole('heading', { level: 1, name: 'Switch accounting to enforce' }).waitFor();
    // The publisher trusted above allows 4 of the 5 logged would-blocks: only the invoice dropper remains.
    assert.equal(await page.getByTestId('enforce-summary').textContent(), 'Enforce would have blocked 1 events: 1 programs on 1 of 2 endpoints.');
    assert.equal(await page.getByTestId('enforce-trusted').textContent(), '4 logged would-blocks are allowed by what the policy trusts now, and are not counted.');
    const rows = page.locator('tr[data-program]');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent() ?? '', /Downloads\\invoice\.exe.*user space/);
    const button = page.getByRole('button', { name: 'Switch to enforce' });
    assert.equal(await button.isDisabled(), true, 'not before the confirmation');
    await page.getByRole('checkbox', { name: 'I have reviewed what enforce will block in this group' }).check();
    await shot(page, 'enforce-preview');
    await button.click();
    await page.getByTestId('enforce-done').waitFor();
    const groups = (await call('GET', '/api/groups')).json as { groups: { id: string; rollout: string }[] };
    assert.equal(groups.groups.find((g) => g.id === groupId)!.rollout, 'enforce');
    await page.getByRole('link', { name: 'Back to the groups' }).click();
    const row = page.locator('tr').filter({ hasText: 'accounting' }).first();
    await row.getByText('enforce (block)').waitFor();
    assert.equal(await row.getByRole('link', { name: /Preview enforce/ }).count(), 0);
  });

  it('the pages speak Japanese', async () => {
    await page.getByRole('button', { name: '日本語' }).click();
    await page.goto(new URL(`/groups/${encodeURIComponent(groupId)}/enforce`, url).href);
    await page.getByRole('heading', { level: 1, name: 'accounting を強制に切り替える' }).waitFor();
    await page.getByText('このグループはすでに強制です。').waitFor();
    await page.getByRole('button', { name: 'English' }).click();
  });
});
