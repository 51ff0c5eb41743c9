// The console API suite against SQLite, plus rate limits (stored in the database).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineApiTests } from './api-suite.ts';
import { defineDefectTests } from './defects-suite.ts';
import { defineTransportTests } from './transport-suite.ts';
import { defineDailyTests } from './daily-suite.ts';
import { createTestConsole } from './helpers.ts';

defineApiTests('SQLite', () => undefined);
defineDefectTests('SQLite', () => undefined);
defineTransportTests('SQLite', () => undefined);
defineDailyTests('SQLite', () => undefined);

test('login and enrollment are rate-limited (429 with a retry hint)', async () => {
  const tc = await createTestConsole({ limits: { loginPerMinute: 3, enrollPerMinute: 2 } });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: 'wrong password' } })).statusCode);
    }
    assert.deepEqual(codes, [401, 401, 401, 429, 429]);
    const limited = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: 'wrong password' } });
    assert.match(limited.json().error.message, /try again in \d+ s/);
    const enroll = [];
    for (let i = 0; i < 3; i++) enroll.push((await tc.app.inject({ method: 'POST', url: '/api/agent/v1/enroll', payload: { token: 'nope', publicKey: 'A'.repeat(60), hostname: 'h', platform: 'linux', agentVersion: '1' } })).statusCode);
    assert.deepEqual(enroll, [400, 400, 429]);
    tc.shift(61_000);
    const later = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: 'wrong password' } });
    assert.equal(later.statusCode, 401, 'window passed');
  } finally { await tc.close(); }
});
