// Starts a console process: opens the store (SQLite file under --data, or PostgreSQL), loads or creates the TLS
// certificate (kept in the key store), builds the app and listens. Prints nothing itself: the caller renders.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from './app.ts';
import { openStore, type Store } from './db/open.ts';
import { prepareSetup } from './routes/auth.ts';
import { newIssuingEpoch } from './policy-delivery.ts';
import { certFingerprint, consoleTls } from './tls.ts';
import type { TlsController } from './tls-rotation.ts';

export interface ConsoleOptions {
  /** `sqlite:PATH` or `postgres://…`; default `sqlite:<dataDir>/console.db`. */
  db?: string;
  dataDir: string;
  /** `HOST:PORT` (IPv6 in brackets); default 127.0.0.1:8443. */
  listen?: string;
  tls?: { certFile: string; keyFile: string } | 'generate' | 'off';
  webDir?: string;
  logger?: FastifyServerOptions['logger'];
  heartbeatSeconds?: number;
  /** Keep the keys in files in this folder (default: `<dataDir>/keys` with SQLite, the database with PostgreSQL). */
  keyDir?: string;
  /** Start a new policy epoch (after restoring the database from a backup; docs/console.md). */
  newEpoch?: boolean;
}

export interface RunningConsole {
  app: FastifyInstance;
  url: string;
  fingerprint?: string;
  /** Present on the first start (no user yet): the one-time setup token. */
  setupToken?: string;
  store: string;
  /** Where the keys are. */
  keys: string;
  /** The store's database, for in-process helpers such as `prepareLocalEnrollment`. */
  db: Store['db'];
  /** The new epoch, when `newEpoch` was asked. */
  epoch?: number;
  close(): Promise<void>;
}

/** The built web UI (packages/console/web/dist), served when it exists. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  if (!m || Number(m[3]) > 65535) throw new Error(`--listen must be HOST:PORT (got '${s}')`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8443');
  const store = await openStore(opts.db ?? `sqlite:${join(opts.dataDir, 'console.db')}`, opts.keyDir ? { keyDir: opts.keyDir } : {});
  try {
    const mode = opts.tls ?? 'generate';
    const tls = mode === 'off' ? undefined : await consoleTls(store.keys,
      mode === 'generate' ? undefined : { cert: readFileSync(mode.certFile, 'utf8'), key: readFileSync(mode.keyFile, 'utf8') },
      [host, hostname()].filter((h) => h !== '0.0.0.0' && h !== '::'));
    let current = tls?.fingerprint ?? '';
    // The running server, once built: the controller switches its certificate in place (TLS rotation).
    const holder: { server?: FastifyInstance['server'] } = {};
    const controller: TlsController | undefined = tls ? {
      fingerprint: () => current,
      switchTo: (m) => { (holder.server as unknown as { setSecureContext(o: object): void }).setSecureContext({ cert: m.cert, key: m.key }); current = certFingerprint(m.cert); },
      stored: mode === 'generate',
    } : undefined;
    const { app, ctx } = await buildApp({
      store, secure: !!tls, logger: opts.logger, webDir: opts.webDir ?? DEFAULT_WEB_DIR,
      ...(tls ? { https: { cert: tls.cert, key: tls.key }, tlsFingerprint: tls.fingerprint, tls: controller! } : {}),
      ...(opts.heartbeatSeconds ? { heartbeatSeconds: opts.heartbeatSeconds } : {}),
    });
    holder.server = app.server;
    const epoch = opts.newEpoch ? await newIssuingEpoch(ctx) : undefined;
    const setupToken = await prepareSetup(ctx);
    await app.listen({ host, port });
    const addr = app.server.address();
    const realPort = typeof addr === 'object' && addr ? addr.port : port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return {
      app, url: `${tls ? 'https' : 'http'}://${shownHost}:${realPort}`, store: store.describe, keys: store.keys.describe, db: store.db,
      ...(epoch !== undefined ? { epoch } : {}),
      ...(tls ? { fingerprint: tls.fingerprint } : {}), ...(setupToken ? { setupToken } : {}),
      close: async () => { await app.close(); await store.close(); },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
