// `omamori policy suggest --from EVENTS`: what an audit period refused, grouped by program, and the trust entries
// (publisher, hash, package ownership, admin-owned folder) that would allow it, as a policy diff and a new policy
// file ready for `omamori policy check`. Reads the agent's events.db, a console export or a replay JSON.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  applySuggestions, describeEntry, loadPolicy, suggestTrust, unifiedDiff, type FileFacts, type SuggestEvent, type SuggestResult,
} from '@omamori/policy';
import { parse } from '../args.ts';
import { EXIT, UsageError, type Command, type Io, type Lang } from '../command.ts';
import { readPolicyText } from '../policy-source.ts';

type Source = 'events.db' | 'console export' | 'replay';

const T = {
  en: {
    read: (n: number, src: string, file: string) => `${n} refused events read from ${file} (${src})\n`,
    none: 'Nothing was refused: no trust entry is needed.\n',
    entry: (i: number, d: string, n: number, p: number) => `\n${i}. ${d}\n   would allow ${n} event${n === 1 ? '' : 's'} of ${p} program${p === 1 ? '' : 's'}:\n`,
    group: (n: number, obj: string, reason: string, hosts: string) => `     ${String(n).padStart(5)}× ${obj}  ${reason}${hosts}\n`,
    notCovered: '\nNot covered by a trust entry:\n',
    why: { 'not-launch-control': 'a guarded-application rule, not launch control', 'no-durable-identity': 'in user space with no signer or hash known: only a time-boxed exception fits' },
    diff: '\nPolicy diff:\n',
    wrote: (f: string) => `\nWrote ${f}. Check it with: omamori policy check ${f}\n`,
    hint: '\nWrite it with --out FILE, then check it with omamori policy check FILE.\n',
  },
  ja: {
    read: (n: number, src: string, file: string) => `${file} (${src}) から拒否イベントを ${n} 件読みました\n`,
    none: '拒否されたものはありません。信頼の追加は不要です。\n',
    entry: (i: number, d: string, n: number, p: number) => `\n${i}. ${d}\n   ${p} 個のプログラムの ${n} 件のイベントを許可します:\n`,
    group: (n: number, obj: string, reason: string, hosts: string) => `     ${String(n).padStart(5)}× ${obj}  ${reason}${hosts}\n`,
    notCovered: '\n信頼の追加では扱えないもの:\n',
    why: { 'not-launch-control': '保護下アプリケーションの規則 (起動制御ではありません)', 'no-durable-identity': 'ユーザー領域にあり署名もハッシュも不明: 期限付き例外しか使えません' },
    diff: '\nポリシーの差分:\n',
    wrote: (f: string) => `\n${f} に書き出しました。確認: omamori policy check ${f}\n`,
    hint: '\n--out ファイル で書き出し、omamori policy check ファイル で確認してください。\n',
  },
} as const;

function fail(io: Io, en: string, ja: string): never {
  throw new UsageError(io.lang === 'ja' ? ja : en);
}

interface Loaded { events: SuggestEvent[]; source: Source; local: boolean }

/** Reads the refusals of EVENTS; a problem names the file and what is wrong with it. */
async function readEvents(from: string, io: Io): Promise<Loaded> {
  let st;
  try { st = statSync(from); } catch (e) {
    fail(io, `cannot read ${from} (${(e as NodeJS.ErrnoException).code})`, `${from} を読めません (${(e as NodeJS.ErrnoException).code})`);
  }
  const dbFile = st.isDirectory() ? join(from, 'events.db') : from;
  if (st.isDirectory() && !existsSync(dbFile)) fail(io, `${from} is a folder without events.db`, `${from} は events.db のないフォルダーです`);
  const head = Buffer.alloc(16);
  const fd = openSync(dbFile, 'r');
  try { readSync(fd, head, 0, 16, 0); } finally { closeSync(fd); }
  if (head.toString('latin1').startsWith('SQLite format 3')) {
    if (basename(dbFile) !== 'events.db') fail(io, `${from}: an SQLite file, but not named events.db (the agent's log)`, `${from}: SQLite ですが events.db (エージェントの記録) ではありません`);
    const { openEventStore } = await import('@omamori/agent');
    let store;
    try { store = openEventStore(dirname(dbFile), { write: false }); } catch (e) {
      fail(io, `${dbFile}: not an omamori event log (${(e as Error).message})`, `${dbFile}: omamori のイベント記録ではありません (${(e as Error).message})`);
    }
    try {
      const rows = store.list({ limit: 10_000_000 });
      return { source: 'events.db', local: true, events: rows.map((r) => ({ object: r.object, kind: r.kind, reason: r.reason, verdict: r.verdict, time: r.time, id: `events.db#${r.id}` })) };
    } finally { store.close(); }
  }
  const text = readFileSync(dbFile, 'utf8');
  let json: unknown;
  try { json = JSON.parse(text); } catch {
    // JSON lines: one exported event per line.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    json = lines.map((l, i) => {
      try { return JSON.parse(l) as unknown; } catch (e) {
        return fail(io, `${from}:${i + 1}: neither JSON nor JSON lines (${(e as Error).message})`, `${from}:${i + 1}: JSON でも JSON Lines でもありません (${(e as Error).message})`);
      }
    });
  }
  if (isObj(json) && Array.isArray(json.trees) && isObj(json.stats)) return { source: 'replay', local: false, events: fromReplay(json) };
  const list = Array.isArray(json) ? json : isObj(json) && Array.isArray(json.events) ? json.events : undefined;
  if (!list) fail(io, `${from}: not an events.db, a console export ({"events": […]} or a list) or a replay JSON`, `${from}: events.db・コンソールの書き出し・replay の JSON のいずれでもありません`);
  return { source: 'console export', local: false, events: list.map((e, i) => fromConsole(e, i, from, io)) };
}

/** The program or module path a command starts: quoted, or up to a code file's extension. */
function codeFileOf(command: string): string | undefined {
  const m = /^\s*"([^"]+)"|^\s*(.+?\.(?:exe|sys|dll|com|bat|cmd|scr|cpl|ocx|ps1|vbs|js))(?=[\s,]|$)/i.exec(command);
  return m?.[1] ?? m?.[2];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function fromConsole(e: unknown, i: number, from: string, io: Io): SuggestEvent {
  if (!isObj(e) || typeof e.object !== 'string' || typeof e.reason !== 'string') {
    fail(io, `${from}: event ${i + 1} has no 'object' and 'reason'`, `${from}: ${i + 1} 件目のイベントに 'object' と 'reason' がありません`);
  }
  const d = isObj(e.detail) ? e.detail : {};
  const ev: SuggestEvent = { object: e.object, reason: e.reason, kind: typeof e.kind === 'string' ? e.kind : '?' };
  if (typeof e.verdict === 'string') ev.verdict = e.verdict;
  if (typeof e.time === 'number') ev.time = e.time;
  if (typeof e.hostname === 'string') ev.host = e.hostname;
  if (e.id !== undefined) ev.id = `console#${String(e.id)}`;
  if (typeof d.sha256 === 'string') ev.sha256 = d.sha256;
  if (typeof d.signer === 'string') ev.signer = d.signer;
  return ev;
}

function fromReplay(r: Record<string, unknown>): SuggestEvent[] {
  const out: SuggestEvent[] = [];
  for (const t of r.trees as { blocks: Record<string, unknown>[] }[]) {
    for (const b of t.blocks ?? []) {
      // A start's object is its image unless its command line named other code; an autostart entry's is the code
      // its command starts.
      let object = (b.object as string | undefined) ?? (b.image as string);
      if (b.kind === 'persistence.write' && typeof b.command === 'string') object = codeFileOf(b.command) ?? object;
      const ev: SuggestEvent = { object, kind: String(b.kind), reason: String(b.reason), id: String(b.where) };
      if (typeof b.verdict === 'string') ev.verdict = b.verdict;
      if (typeof b.time === 'number') ev.time = b.time;
      if (typeof b.host === 'string') ev.host = b.host;
      const id = isObj(b.identity) ? b.identity : {};
      if (typeof id.sha256 === 'string') ev.sha256 = id.sha256;
      if (typeof id.signer === 'string') ev.signer = id.signer;
      out.push(ev);
    }
  }
  return out;
}

/** Hash, package ownership and an admin-owned folder of files that exist on this machine (the agent's own log). */
async function localFacts(paths: string[]): Promise<Map<string, FileFacts>> {
  const facts = new Map<string, FileFacts>();
  let dpkg: { isPackageOwned(p: string): boolean } | undefined;
  if (existsSync('/var/lib/dpkg/info')) dpkg = (await import('@omamori/agent')).createDpkgDb();
  for (const p of paths) {
    if (!p.startsWith('/')) continue;
    let st;
    try { st = statSync(p); } catch { continue; }
    if (!st.isFile()) continue;
    const f: FileFacts = {};
    if (st.size <= 256 * 1024 * 1024) {
      try { f.sha256 = createHash('sha256').update(readFileSync(p)).digest('hex'); } catch { /* unreadable: no hash */ }
    }
    try { if (dpkg?.isPackageOwned(p)) f.packageOwned = true; } catch { /* no package facts */ }
    facts.set(p, f);
  }
  return facts;
}

function render(io: Io, r: SuggestResult, lang: Lang): void {
  const t = T[lang];
  r.suggestions.forEach((s, i) => {
    io.out(t.entry(i + 1, describeEntry(s.entry), s.events, s.allows.length));
    for (const g of s.allows) io.out(t.group(g.count, g.object, g.reason, g.hosts.length ? `  [${g.hosts.join(', ')}]` : ''));
  });
  if (r.notCovered.length) {
    io.out(t.notCovered);
    for (const g of r.notCovered) io.out(`${t.group(g.count, g.object, g.reason, '').trimEnd()}  — ${t.why[g.why]}\n`);
  }
}

export const suggestCommand: Command = {
  path: ['policy', 'suggest'],
  summary: {
    en: 'Propose trust entries for what audit logged (events.db, console export, replay JSON) as a policy diff',
    ja: '監査で記録されたもの (events.db・コンソールの書き出し・replay の JSON) から信頼の追加を提案し、ポリシーの差分を表示',
  },
  help: {
    en: `Usage: omamori policy suggest --from EVENTS [--policy FILE | --preset NAME] [--out FILE] [--json] [--local-facts]
                              [--admin-folder DIR]...

Reads what was refused (audit-deny or deny) from EVENTS — the agent's events.db (or its state folder), a console
export (the JSON of /api/events, a list, or JSON lines) or a replay JSON (omamori replay --format json) — groups
identical events by program, and proposes for each the entry that would allow it and best survives updates: the
publisher that signed it, package ownership, the admin-owned folder it lies in (Windows, with --admin-folder DIR:
a folder only administrators can write, proposed as userSpace.systemFolders; not in lockdown), else its SHA-256.
Prints each entry with the events it would allow and their counts, what no trust entry covers, and the
diff against the policy (default: the office preset); --out writes the new policy (version raised by one) to
check with omamori policy check and deploy. Hashes and package ownership are looked up on this machine for an
events.db (its own log), or with --local-facts.
Exit code: 0 done (also when nothing was refused), 1 invalid base policy, 2 usage error or unreadable EVENTS.`,
    ja: `使い方: omamori policy suggest --from イベント [--policy ファイル | --preset 名前] [--out ファイル] [--json] [--local-facts]
                              [--admin-folder フォルダー]...

イベント (エージェントの events.db またはその状態フォルダー、コンソールの書き出し (/api/events の JSON・配列・
JSON Lines)、replay の JSON (omamori replay --format json)) から拒否されたもの (audit-deny・deny) を読み、同じ
イベントをプログラムごとにまとめ、それを許可し更新にも強い追加を提案します: 署名した発行元、パッケージ管理、
管理者だけが書ける置き場所 (Windows。--admin-folder で指定したフォルダーを userSpace.systemFolders に。
ロックダウンでは使えません)、それ以外は SHA-256。各提案と許可されるイベント・件数、
信頼の追加では扱えないもの、ポリシー (既定は office プリセット) との差分を表示します。--out で新しいポリシー
(版を一つ上げたもの) を書き出すので、omamori policy check で確認して配布してください。ハッシュとパッケージは、
events.db (この端末の記録) のとき、または --local-facts のとき、この端末で調べます。
終了コード: 0 完了 (拒否がなかった場合も)、1 元のポリシーが不正、2 使い方の誤りまたはイベントを読めない。`,
  },
  async run(argv, io) {
    const { values } = parse(argv, {
      from: { type: 'string' }, policy: { type: 'string' }, preset: { type: 'string' }, out: { type: 'string' },
      json: { type: 'boolean' }, 'local-facts': { type: 'boolean' }, 'admin-folder': { type: 'string', multiple: true },
    }, false);
    if (!values.from) fail(io, 'give the events to learn from: --from EVENTS', '学習するイベントを --from で指定してください');
    const { text, source } = readPolicyText(values, io);
    const base = loadPolicy(text, { now: Date.now() });
    if (!base.policy) {
      io.err(io.lang === 'ja' ? `${source}: ポリシーが不正です。先に omamori policy check で直してください\n` : `${source}: the policy is invalid; fix it first (omamori policy check)\n`);
      return EXIT.FAILURE;
    }
    const loaded = await readEvents(values.from, io);
    const refused = loaded.events.filter((e) => e.verdict !== 'allow');
    const facts = loaded.local || values['local-facts'] ? await localFacts([...new Set(refused.map((e) => e.object))]) : new Map<string, FileFacts>();
    // Folders the administrator declares admin-only (Windows: proposed as system folders).
    for (const folder of values['admin-folder'] ?? []) {
      const prefix = folder.replace(/[\\/]+$/, '').toLowerCase().replaceAll('\\', '/') + '/';
      for (const e of refused) {
        if (!e.object.toLowerCase().replaceAll('\\', '/').startsWith(prefix)) continue;
        facts.set(e.object, { ...facts.get(e.object), adminFolder: folder.replace(/[\\/]+$/, '') });
      }
    }
    const result = suggestTrust(refused, base.policy, facts);
    const comment = `suggested by omamori policy suggest from ${basename(values.from)}`;
    const newText = result.suggestions.length ? applySuggestions(text, result.suggestions.map((s) => s.entry), comment) : text;
    if (values.out && result.suggestions.length) writeFileSync(values.out, newText);
    if (values.json) {
      io.out(JSON.stringify({ source: loaded.source, events: result.events, suggestions: result.suggestions, notCovered: result.notCovered, policy: newText }, null, 2) + '\n');
      return EXIT.OK;
    }
    const t = T[io.lang];
    io.out(t.read(result.events, loaded.source, values.from));
    if (result.events === 0) { io.out(t.none); return EXIT.OK; }
    render(io, result, io.lang);
    if (result.suggestions.length) {
      io.out(t.diff);
      io.out(unifiedDiff(text, newText, source, values.out ?? `${source} (suggested)`));
      io.out(values.out ? t.wrote(values.out) : t.hint);
    }
    return EXIT.OK;
  },
};
