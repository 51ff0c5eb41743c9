// Starts a throw-away PostgreSQL 15 server for tests (initdb into a temp dir, pg_ctl on a free port from 55432 up,
// stopped in teardown). Needs root (it runs the server as `postgres`) and the Debian postgresql package: without
// them it throws, so the tests that need it fail loudly instead of passing silently.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres { port: number; url(db?: string): string; createDatabase(name: string): Promise<string>; stop(): void }

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function asPostgres(cmd: string): void {
  execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { stdio: 'pipe' });
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(`${BIN}/initdb`)) throw new Error(`PostgreSQL 15 is not installed (${BIN}/initdb missing): apt-get install postgresql`);
  if (process.getuid?.() !== 0) throw new Error('the PostgreSQL tests run the server as user postgres and need root');
  const dir = mkdtempSync(join(tmpdir(), 'omamori-pg-'));
  execFileSync('chmod', ['755', dir]);
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
  asPostgres(`${BIN}/initdb -D ${dir}/data -U postgres -A trust --no-sync -E UTF8 >/dev/null`);
  let port = 55432 + (process.pid % 200);
  for (let tries = 0; tries < 50 && !(await portFree(port)); tries++) port++;
  asPostgres(`${BIN}/pg_ctl -D ${dir}/data -o '-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200' -l ${dir}/server.log -w start >/dev/null`);
  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    port, url,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
      return url(name);
    },
    stop() {
      try { asPostgres(`${BIN}/pg_ctl -D ${dir}/data -m immediate stop >/dev/null`); } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  };
}
