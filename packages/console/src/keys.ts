// Where the console keeps its secrets: the policy-signing key and the TLS key and certificate (current and next).
// With SQLite they are files in `<data>/keys` (folder 0700, files 0600, whatever the umask or the folder's mode), not
// in the database file; keys an older console kept in the database are moved there and removed from it. With
// PostgreSQL every console process must sign with the same key, so they stay in the database (`settings`) unless a
// key folder is given (`--key-dir`; copy it to every console host).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.ts';

export type KeyName = 'policy-signing-key' | 'tls' | 'tls-next' | 'alerts-config';

export interface KeyStore {
  /** Where the keys are, for logs and docs (`keys in /var/lib/omamori-console/keys`). */
  readonly describe: string;
  read(name: KeyName): Promise<string | undefined>;
  /** Stores `value` unless a value exists already (first writer wins across processes); returns what is stored. */
  create(name: KeyName, value: string): Promise<string>;
  /** Replaces (or with undefined removes) a value. */
  replace(name: KeyName, value: string | undefined): Promise<void>;
}

/** The settings keys older consoles used for the same secrets. */
const LEGACY_SETTING: Record<KeyName, string> = { 'policy-signing-key': 'policy_signing_key', tls: 'tls', 'tls-next': 'tls_next', 'alerts-config': 'alerts_config' };

export function createDbKeyStore(db: Kysely<Database>): KeyStore {
  const read = async (name: KeyName) =>
    (await db.selectFrom('settings').select('value').where('key', '=', LEGACY_SETTING[name]).executeTakeFirst())?.value;
  return {
    describe: 'keys in the database',
    read,
    async create(name, value) {
      await db.insertInto('settings').values({ key: LEGACY_SETTING[name], value }).onConflict((oc) => oc.column('key').doNothing()).execute();
      return (await read(name))!;
    },
    async replace(name, value) {
      if (value === undefined) { await db.deleteFrom('settings').where('key', '=', LEGACY_SETTING[name]).execute(); return; }
      await db.insertInto('settings').values({ key: LEGACY_SETTING[name], value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    },
  };
}

/** Writes `data` to a new file of mode 0600 (O_EXCL: fails with EEXIST when present). */
function writeExclusive(path: string, data: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try { writeSync(fd, data); } finally { closeSync(fd); }
  chmodSync(path, 0o600); // a umask never widens 0600, but make the intent explicit
}

export function createFileKeyStore(dir: string, db?: Kysely<Database>): KeyStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = (name: KeyName) => join(dir, `${name}.json`);
  const readFile = (name: KeyName) => {
    const f = file(name);
    if (!existsSync(f)) return undefined;
    chmodSync(f, 0o600);
    return readFileSync(f, 'utf8');
  };
  const store: KeyStore = {
    describe: `keys in ${dir}`,
    async read(name) {
      const have = readFile(name);
      if (have !== undefined || !db) return have;
      // Moved out of the database of an older console: written here first, then removed there.
      const legacy = await db.selectFrom('settings').select('value').where('key', '=', LEGACY_SETTING[name]).executeTakeFirst();
      if (!legacy) return undefined;
      const stored = await store.create(name, legacy.value);
      await db.deleteFrom('settings').where('key', '=', LEGACY_SETTING[name]).execute();
      return stored;
    },
    async create(name, value) {
      try { writeExclusive(file(name), value); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
      return readFile(name)!;
    },
    async replace(name, value) {
      if (value === undefined) { rmSync(file(name), { force: true }); return; }
      const tmp = `${file(name)}.tmp-${process.pid}`;
      rmSync(tmp, { force: true });
      writeExclusive(tmp, value);
      renameSync(tmp, file(name));
    },
  };
  return store;
}

/** A stored secret, or the one `make()` creates (first writer wins). */
export async function keyOnce(keys: KeyStore, name: KeyName, make: () => string | Promise<string>): Promise<string> {
  return (await keys.read(name)) ?? keys.create(name, await make());
}
