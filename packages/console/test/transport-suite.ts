// Issue 13 defect 8, on a listening console (real sockets): who is calling is settled from the headers, so a
// stranger's large body is never read — the answer comes while the body is still unsent. Also the limits in order:
// unsigned → 401, signed without the content-hash header → at most 64 KiB, signed with it → the route's limit.
import assert from 'node:assert/strict';
import { createHash, randomBytes, sign } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AGENT_API_PREFIX, AGENT_HEADERS, requestSigningPayload } from '@omamori/policy';
import { createTestConsole, enrollTestAgent, type TestAgent, type TestConsole } from './helpers.ts';

/** Sends the request head (and `bodyPart` bytes of the body) and resolves with the status line, or 'no answer'. */
function rawRequest(port: number, head: string, bodyPart: Buffer, waitMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.write(head); if (bodyPart.length) s.write(bodyPart); });
    let got = '';
    const done = (v: string) => { clearTimeout(t); s.destroy(); resolve(v); };
    const t = setTimeout(() => done(got ? got.split('\r\n')[0]! : 'no answer'), waitMs);
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); if (got.includes('\r\n\r\n')) done(got.split('\r\n')[0]!); });
    s.on('error', () => done(got ? got.split('\r\n')[0]! : 'error'));
  });
}

function head(path: string, length: number, extra: Record<string, string> = {}): string {
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${length}`, ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function signedHead(a: TestAgent, now: number, path: string, length: number, hash: string | undefined): string {
  const url = `${AGENT_API_PREFIX}${path}`;
  const nonce = randomBytes(16).toString('hex');
  const sig = sign(null, Buffer.from(requestSigningPayload('POST', url, now, nonce, hash ?? 'x')), a.key).toString('base64');
  return head(url, length, { [AGENT_HEADERS.agent]: a.id, [AGENT_HEADERS.time]: String(now), [AGENT_HEADERS.nonce]: nonce, [AGENT_HEADERS.signature]: sig, ...(hash ? { [AGENT_HEADERS.contentSha256]: hash } : {}) });
}

export function defineTransportTests(label: string, dbUrl: () => string | undefined): void {
  describe(`large bodies are read only from known callers (${label})`, () => {
    let tc: TestConsole; let port = 0; let a: TestAgent;
    before(async () => {
      tc = await createTestConsole({ db: dbUrl(), limits: { loginPerMinute: 1000, enrollPerMinute: 1000 } });
      await tc.app.listen({ host: '127.0.0.1', port: 0 });
      port = (tc.app.server.address() as net.AddressInfo).port;
      a = await enrollTestAgent(tc, { hostname: 'body-host' });
    });
    after(async () => { await tc?.close(); });

    const MiB8 = 8 * 1024 * 1024;
    const part = Buffer.alloc(1024, 0x20);

    test('unsigned 8 MiB uploads are answered 401 before the body is sent, 40 at once', async () => {
      const answers = await Promise.all(Array.from({ length: 40 }, () => rawRequest(port, head(`${AGENT_API_PREFIX}/events`, MiB8), part)));
      assert.deepEqual([...new Set(answers)], ['HTTP/1.1 401 Unauthorized']);
      const unknown = await rawRequest(port, signedHead({ ...a, id: 'nobody-at-all' }, tc.now(), '/events', MiB8, 'a'.repeat(64)), part);
      assert.equal(unknown, 'HTTP/1.1 401 Unauthorized');
      const forged = await rawRequest(port, signedHead({ ...a, key: (await enrollTestAgent(tc, { hostname: 'other' })).key }, tc.now(), '/events', MiB8, 'a'.repeat(64)), part);
      assert.equal(forged, 'HTTP/1.1 401 Unauthorized', 'a signature by another key is refused from the headers');
    });

    test('a known agent without the content-hash header may send 64 KiB; with it, the route limit (2 MiB), each refused from the length alone', async () => {
      assert.equal(await rawRequest(port, signedHead(a, tc.now(), '/events', 100 * 1024, undefined), part), 'HTTP/1.1 413 Payload Too Large');
      assert.equal(await rawRequest(port, signedHead(a, tc.now(), '/events', MiB8, createHash('sha256').update('x').digest('hex')), part), 'HTTP/1.1 413 Payload Too Large');
    });

    test('sessions and public routes: no cookie → 401, public bodies at most 64 KiB, all before reading', async () => {
      assert.equal(await rawRequest(port, head('/api/groups', MiB8), part), 'HTTP/1.1 401 Unauthorized');
      assert.equal(await rawRequest(port, head('/api/login', 2 * 1024 * 1024), part), 'HTTP/1.1 413 Payload Too Large');
      assert.equal(await rawRequest(port, head(`${AGENT_API_PREFIX}/enroll`, MiB8), part), 'HTTP/1.1 413 Payload Too Large');
    });
  });
}
