// The web UI's language choice and message tables (pure parts of packages/console/web/src, run under node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preferredLang, translate } from '../web/src/i18n.ts';
import { en, ja } from '../web/src/messages.ts';
import { reasonText } from '../web/src/reasons.ts';

test('language: a stored choice wins, else the first Japanese or English browser preference, else English', () => {
  assert.equal(preferredLang('en', ['ja-JP']), 'en');
  assert.equal(preferredLang(null, ['fr-FR', 'ja-JP', 'en-US']), 'ja');
  assert.equal(preferredLang(null, ['en-GB', 'ja']), 'en');
  assert.equal(preferredLang('xx', ['de-DE']), 'en');
});

test('messages: both tables have the same keys, no empty text, and parameters are filled', () => {
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(ja)) assert.ok(v.trim().length > 0, `ja ${k} is empty`);
  assert.equal(translate('en', 'pol.at', { line: 10, column: 7 }), 'Line 10, column 7');
  assert.equal(translate('ja', 'pol.at', { line: 10, column: 7 }), '10 行 7 列');
});

test('reasons: codes are explained in both languages; unknown codes stay as they are', () => {
  assert.match(reasonText('USER_SPACE_EXEC', 'en'), /user space/);
  assert.match(reasonText('USER_SPACE_EXEC', 'ja'), /ユーザー領域/);
  assert.equal(reasonText('SOMETHING_NEW', 'ja'), 'SOMETHING_NEW');
});

test('messages: every text names the same {parameters} in both languages (no English left for a value)', () => {
  const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  const differ = Object.keys(en).filter((k) => params(en[k as keyof typeof en]) !== params(ja[k as keyof typeof ja]));
  assert.deepEqual(differ, []);
});
