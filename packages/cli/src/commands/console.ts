// `omamori console`: runs the management console (API + web UI files) until SIGINT/SIGTERM. Thin: parse, start
// @omamori/console, print where it listens, the certificate fingerprint agents pin, and the one-time setup link.
import { resolve } from 'node:path';
import { startConsole } from '@omamori/console';
import { defineCommand } from '../args.ts';
import { EXIT, UsageError, type Command } from '../command.ts';

const DEFAULT_DATA = '/var/lib/omamori-console';

export const consoleCommand = defineCommand({
  path: ['console'],
  summary: { en: 'Run the management console (API and web UI; SQLite or PostgreSQL)', ja: '管理コンソールを実行 (API と Web UI。SQLite または PostgreSQL)' },
  options: {
    db: { type: 'string', value: 'sqlite:PATH|postgres://USER@HOST:PORT/DB', help: { en: 'the store (default: SQLite under --data)', ja: '保存先 (既定: --data の SQLite)' } },
    listen: { type: 'string', value: { en: 'HOST:PORT', ja: 'ホスト:ポート' }, help: { en: 'where to listen (default 127.0.0.1:8443)', ja: '待ち受け (既定 127.0.0.1:8443)' } },
    data: { type: 'string', value: { en: 'DIR', ja: 'ディレクトリ' }, help: { en: `data folder (default ${DEFAULT_DATA}, or $OMAMORI_CONSOLE_DATA)`, ja: `データの保存先 (既定 ${DEFAULT_DATA}、または $OMAMORI_CONSOLE_DATA)` } },
    'tls-cert': { type: 'string', value: { en: 'FILE', ja: 'ファイル' }, help: { en: 'TLS certificate (PEM; with --tls-key)', ja: 'TLS 証明書 (PEM。--tls-key と組で)' } },
    'tls-key': { type: 'string', value: { en: 'FILE', ja: 'ファイル' }, help: { en: 'TLS private key (PEM)', ja: 'TLS 秘密鍵 (PEM)' } },
    'no-tls': { type: 'boolean', help: { en: 'plain HTTP (only behind a TLS-terminating proxy)', ja: '平文 HTTP (TLS 終端プロキシの背後でのみ)' } },
    'key-dir': { type: 'string', value: { en: 'DIR', ja: 'ディレクトリ' }, help: { en: 'keep the keys as 0600 files in DIR (PostgreSQL; SQLite keeps them in DATA/keys)', ja: '鍵を DIR に 0600 ファイルで保存 (PostgreSQL。SQLite では DATA/keys)' } },
    'new-epoch': { type: 'boolean', help: { en: 'start a new policy epoch (after restoring the database from a backup)', ja: '新しいポリシーのエポックを始める (バックアップからの復元後)' } },
    'log-level': { type: 'string', choices: ['fatal', 'error', 'warn', 'info', 'debug'], help: { en: 'server log level (default warn)', ja: 'サーバーのログレベル (既定 warn)' } },
  },
  description: {
    en: `Serves the console API (and the web UI from packages/console/web/dist when built) over HTTPS. The store is one
SQLite file under --data (default ${DEFAULT_DATA}, or OMAMORI_CONSOLE_DATA) unless --db names PostgreSQL; any
number of consoles may serve one PostgreSQL database. On first run a self-signed certificate is made (kept with the
keys) and its SHA-256 fingerprint printed: agents pin it at enrollment. The keys (policy signing, TLS) are 0600
files in DIR/keys with SQLite, in the database with PostgreSQL unless --key-dir names a folder (copy it to every
console host). While no user exists, each start prints a one-time setup link. --listen defaults to 127.0.0.1:8443
(use 0.0.0.0:8443 to serve the network). --no-tls serves plain HTTP (only behind a TLS-terminating proxy).
--new-epoch starts a new policy epoch: after restoring the database from a backup, so endpoints take the next
policy even when they ran a higher version than the backup knows. See docs/console.md.`,
    ja: `コンソール API (ビルド済みなら packages/console/web/dist の Web UI も) を HTTPS で提供します。保存先は --data
(既定 ${DEFAULT_DATA}、または OMAMORI_CONSOLE_DATA) の SQLite ファイル 1 つ、--db で PostgreSQL を指定できます。
1 つの PostgreSQL データベースを複数のコンソールで共有できます。初回起動時に自己署名証明書を作り (鍵と一緒に
保存)、SHA-256 フィンガープリントを表示します。エージェントは登録時にこれを固定 (ピン留め) します。ユーザーが
いない間は起動のたびに一度限りのセットアップリンクを表示します。--listen の既定は 127.0.0.1:8443 です
(ネットワークに公開するには 0.0.0.0:8443)。--no-tls は平文 HTTP です (TLS 終端プロキシの背後でのみ)。
鍵 (ポリシー署名鍵・TLS 鍵) は SQLite では DIR/keys の 0600 ファイル、PostgreSQL ではデータベースに保存します
(--key-dir でフォルダーを指定した場合はそこ。すべてのコンソールのホストにコピーしてください)。--new-epoch は新しい
ポリシーのエポックを始めます: バックアップからデータベースを戻した後、端末がバックアップの知らない高いバージョンを
実行していても次のポリシーを受け取れるようにします。docs/console.md を参照してください。`,
  },
  async run({ values }, io) {
    const ja = io.lang === 'ja';
    if (!!values['tls-cert'] !== !!values['tls-key']) throw new UsageError(ja ? '--tls-cert と --tls-key は両方指定してください' : '--tls-cert and --tls-key go together');
    if (values['no-tls'] && values['tls-cert']) throw new UsageError(ja ? '--no-tls と --tls-cert は同時に指定できません' : '--no-tls and --tls-cert cannot be used together');
    if (values.db && !/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(values.db)) throw new UsageError(ja ? `--db は sqlite:パス か postgres://… です (指定: ${values.db})` : `--db must be sqlite:PATH or postgres://… (got ${values.db})`);
    const level = values['log-level'] ?? 'warn';
    const dataDir = resolve(io.cwd, values.data ?? io.env.OMAMORI_CONSOLE_DATA ?? DEFAULT_DATA);
    if (values.listen && !/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(values.listen)) throw new UsageError(ja ? `--listen は ホスト:ポート です (指定: ${values.listen})` : `--listen must be HOST:PORT (got ${values.listen})`);
    let running;
    try {
      running = await startConsole({
        dataDir, logger: { level },
        ...(values.db ? { db: values.db.startsWith('sqlite:') ? `sqlite:${resolve(io.cwd, values.db.slice(7))}` : values.db } : {}),
        ...(values.listen ? { listen: values.listen } : {}),
        ...(values['key-dir'] ? { keyDir: resolve(io.cwd, values['key-dir']) } : {}), ...(values['new-epoch'] ? { newEpoch: true } : {}),
        tls: values['no-tls'] ? 'off' : values['tls-cert'] ? { certFile: resolve(io.cwd, values['tls-cert']), keyFile: resolve(io.cwd, values['tls-key']!) } : 'generate',
      });
    } catch (e) {
      const msg = (e as Error).message.replace(/postgres(ql)?:\/\/[^@\s]*@/g, 'postgres://***@');
      io.err(ja ? `omamori console: 開始できません: ${msg}\n` : `omamori console: cannot start: ${msg}\n`);
      return EXIT.FAILURE;
    }
    const r = running;
    io.out(ja ? `omamori console: ${r.url} で待ち受け中 (保存先 ${r.store}, pid ${process.pid})\n` : `omamori console: listening on ${r.url} (store ${r.store}, pid ${process.pid})\n`);
    if (r.fingerprint) io.out(ja ? `証明書 SHA-256: ${r.fingerprint}\n` : `certificate SHA-256: ${r.fingerprint}\n`);
    io.out(ja ? `鍵: ${r.keys}\n` : `keys: ${r.keys}\n`);
    if (r.epoch !== undefined) io.out(ja ? `新しいポリシーのエポック: ${r.epoch}\n` : `new policy epoch: ${r.epoch}\n`);
    if (r.setupToken) {
      io.out(ja ? `初期設定 (一度限り): ${r.url}/setup#token=${r.setupToken}\n  (API: POST /api/setup {"token": "${r.setupToken}", "username": …, "password": …})\n`
        : `first-time setup (one use): ${r.url}/setup#token=${r.setupToken}\n  (API: POST /api/setup {"token": "${r.setupToken}", "username": …, "password": …})\n`);
    }
    return await new Promise<number>((done) => {
      const stop = () => {
        process.off('SIGINT', stop); process.off('SIGTERM', stop);
        void r.close().then(() => { io.out(ja ? 'omamori console: 停止しました\n' : 'omamori console: stopped\n'); done(EXIT.OK); });
      };
      process.on('SIGINT', stop); process.on('SIGTERM', stop);
    });
  },
});

export const consoleCommands: Command[] = [consoleCommand];
