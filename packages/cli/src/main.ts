// The `omamori` dispatcher: global flags (--lang, --help), command lookup by the longest matching word path,
// usage errors to exit 2. Commands print through `Io` so tests can run them in-process.
import { OMAMORI_VERSION } from '@omamori/policy/version';
import { EXIT, UsageError, type Command, type CommandSummary, type Io, type Lang } from './command.ts';
import { loadCommands, loadSummaries } from './commands/index.ts';
import { detectLang } from './lang.ts';

function findCommand(words: string[], commands: Command[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.length <= words.length && c.path.every((w, i) => words[i] === w)) {
      if (!best || c.path.length > best.path.length) best = c;
    }
  }
  return best ? { command: best, rest: words.slice(best.path.length) } : undefined;
}

function overview(lang: Lang, commands: readonly CommandSummary[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const head = lang === 'ja'
    ? 'omamori — 封じ込め型エンドポイント保護\n\n使い方: omamori <コマンド> [オプション]   (各コマンドに --help)\n\nコマンド:\n'
    : 'omamori — containment-style endpoint protection\n\nUsage: omamori <command> [options]   (--help on every command)\n\nCommands:\n';
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary[lang]}`);
  const tail = lang === 'ja'
    ? '\n\n共通オプション: --lang ja|en (既定は LANG/LC_ALL から)、--help、--version\n終了コード: 0 正常、1 検査・ポリシーの失敗、2 使い方の誤り\n'
    : '\n\nGlobal options: --lang ja|en (default from LANG/LC_ALL), --help, --version\nExit codes: 0 ok, 1 check/policy failure, 2 usage error\n';
  return head + lines.join('\n') + tail;
}

/** Pulls `--lang X` / `--lang=X` out of argv (it may stand anywhere). */
function takeLang(argv: string[]): { lang?: string; rest: string[] } {
  const rest: string[] = [];
  let lang: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { rest.push(...argv.slice(i)); break; }
    if (a === '--lang') { lang = argv[++i] ?? ''; continue; }
    if (a.startsWith('--lang=')) { lang = a.slice(7); continue; }
    rest.push(a);
  }
  return lang === undefined ? { rest } : { lang, rest };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, ioOverride?: Partial<Io>,
  only?: Command[]): Promise<number> {
  const { lang: langArg, rest } = takeLang(argv);
  const io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    lang: detectLang(env),
    stdin: process.stdin,
    env,
    cwd: process.cwd(),
    ...ioOverride,
  };
  if (langArg !== undefined) {
    if (langArg !== 'ja' && langArg !== 'en') {
      io.err(`omamori: --lang must be 'ja' or 'en' (got '${langArg}')\n`);
      return EXIT.USAGE;
    }
    io.lang = langArg;
  }
  // The overview and --version load no command module; a command loads only the module of its first word.
  const overviewWanted = rest.length === 0 || rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help';
  if (overviewWanted) {
    io.out(overview(io.lang, only ?? await loadSummaries()));
    return rest.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  if (rest[0] === '--version') { io.out(`omamori ${OMAMORI_VERSION}\n`); return EXIT.OK; }
  const found = findCommand(rest, only ?? await loadCommands(rest[0]!));
  if (!found) {
    io.err(io.lang === 'ja'
      ? `omamori: 不明なコマンドです: ${rest[0]}\n'omamori --help' で一覧を表示します。\n`
      : `omamori: unknown command: ${rest[0]}\nRun 'omamori --help' for the list.\n`);
    return EXIT.USAGE;
  }
  const { command, rest: args } = found;
  const beforeDashDash = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (beforeDashDash.includes('--help') || beforeDashDash.includes('-h')) {
    io.out(command.help[io.lang].replace(/\n?$/, '\n'));
    return EXIT.OK;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`omamori ${command.path.join(' ')}: ${e.message}\n`);
      io.err(io.lang === 'ja' ? `'omamori ${command.path.join(' ')} --help' を参照してください。\n`
        : `See 'omamori ${command.path.join(' ')} --help'.\n`);
      return EXIT.USAGE;
    }
    // A bug: say so plainly, keep the stack out of the user's way unless asked for.
    const msg = e instanceof Error ? e.message : String(e);
    io.err(io.lang === 'ja' ? `omamori: 内部エラー: ${msg}\n` : `omamori: internal error: ${msg}\n`);
    if (env.OMAMORI_DEBUG) io.err(`${(e as Error).stack ?? ''}\n`);
    return EXIT.FAILURE;
  }
}
