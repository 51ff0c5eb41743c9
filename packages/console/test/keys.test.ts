// Issue 13 defect 2: the SQLite database, its -wal/-shm files and the key files are 0600 (the key folder 0700)
// whatever the umask and the mode of the folder they are in, and the keys are not in the database file: a local user
// who can read the folder cannot sign policies. Keys an older console kept in the database move out of it.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, startConsole } from '../src/index.ts';
import { loadSigningKey } from '../src/secrets.ts';

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

test('database, WAL and key files are 0600 in a 0755 folder; the keys are not in the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-keys-'));
  const old = process.umask(0o022);
  try {
    const data = join(dir, 'console'); mkdirSync(data, { mode: 0o755 }); chmodSync(data, 0o755);
    const c = await startConsole({ dataDir: data, listen: '127.0.0.1:0', tls: 'generate', logger: false });
    try {
      const health = await c.app.inject({ url: '/api/health' });
      assert.equal(health.statusCode, 200);
      for (const f of ['console.db', 'console.db-wal', 'console.db-shm']) assert.equal(mode(join(data, f)), '600', f);
      assert.equal(mode(join(data, 'keys')), '700');
      const keyFiles = readdirSync(join(data, 'keys'));
      assert.deepEqual(keyFiles.sort(), ['policy-signing-key.json', 'tls.json']);
      for (const f of keyFiles) assert.equal(mode(join(data, 'keys', f)), '600', f);
      assert.match(c.keys, /keys in .*\/keys$/);
    } finally { await c.close(); }
    const db = new Database(join(data, 'console.db'), { readonly: true });
    try {
      const settings = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
      assert.ok(!settings.some((s) => /PRIVATE KEY/.test(s.value)), `no private key in the database: ${settings.map((s) => s.key).join(', ')}`);
    } finally { db.close(); }
  } finally { process.umask(old); rmSync(dir, { recursive: true, force: true }); }
});

test('an older console\'s database (0644, keys inside) is narrowed to 0600 and its keys move to files, same key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-keys-'));
  try {
    const path = join(dir, 'console.db');
    const first = await openStore(`sqlite:${path}`);
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBz9gAnL9hG+oPpUmUN5cD05bA1CuWqGfVSgqrJN0FJ7\n-----END PRIVATE KEY-----\n';
    await first.db.insertInto('settings').values({ key: 'policy_signing_key', value: pem }).execute();
    await first.close();
    rmSync(join(dir, 'keys'), { recursive: true, force: true });
    chmodSync(path, 0o644);
    if (existsSync(`${path}-wal`)) chmodSync(`${path}-wal`, 0o644);
    const store = await openStore(`sqlite:${path}`);
    try {
      assert.equal(mode(path), '600');
      const k = await loadSigningKey(store.keys);
      assert.equal(readFileSync(join(dir, 'keys', 'policy-signing-key.json'), 'utf8'), pem, 'moved to the key file');
      assert.equal(await store.db.selectFrom('settings').select('value').where('key', '=', 'policy_signing_key').executeTakeFirst(), undefined, 'and out of the database');
      assert.ok(k.publicKey.length > 40);
    } finally { await store.close(); }
    writeFileSync(join(dir, 'x'), '');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('PostgreSQL with a key folder (--key-dir): keys in 0600 files, none in the database; a second console signs with the same key', async () => {
  const { startPostgres } = await import('./pg.ts');
  const pg = (await import('pg')).default;
  const pgs = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'omamori-keys-'));
  const old = process.umask(0o022);
  try {
    const url = await pgs.createDatabase('keys');
    const keyDir = join(dir, 'keys');
    const a = await startConsole({ dataDir: join(dir, 'a'), db: url, keyDir, listen: '127.0.0.1:0', tls: 'off', logger: false });
    try { assert.match(a.keys, /keys in .*\/keys$/); } finally { await a.close(); }
    assert.ok(readdirSync(keyDir).includes('policy-signing-key.json'), readdirSync(keyDir).join(', '));
    const first = readFileSync(join(keyDir, 'policy-signing-key.json'), 'utf8');
    assert.equal(mode(keyDir), '700');
    for (const f of readdirSync(keyDir)) assert.equal(mode(join(keyDir, f)), '600', f);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const rows = (await c.query('SELECT key, value FROM settings')).rows as { key: string; value: string }[];
      assert.ok(!rows.some((r) => /PRIVATE KEY/.test(r.value)), `no private key in the database: ${rows.map((r) => r.key).join(', ')}`);
    } finally { await c.end(); }
    const again = await openStore(url, { keyDir });
    try {
      await loadSigningKey(again.keys);
      assert.equal(readFileSync(join(keyDir, 'policy-signing-key.json'), 'utf8'), first, 'the key made by the first console is used, not a new one');
    } finally { await again.close(); }
  } finally { process.umask(old); pgs.stop(); rmSync(dir, { recursive: true, force: true }); }
});
