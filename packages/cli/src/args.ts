// The one argument parser of `omamori`: every command declares its options once (type, value name, help text in
// ja/en, limits) and both the parsing and the command's `--help` come from that declaration. Every usage error has
// one form that names the option (`--limit must be a whole number from 1 (got 'x')`) and is thrown as a
// UsageError, which the dispatcher prints with the command's help hint and exit code 2. `--lang` and `--help` are
// global: the dispatcher takes them out before a command parses its arguments.
import { UsageError, type Command, type CommandSummary, type Io, type Lang } from './command.ts';

type Text = Record<Lang, string>;

interface OptionBase {
  /** One line (or a few) for `--help`. */
  help: Text;
  /** Must be given (shown without brackets in the usage line). */
  required?: boolean;
  /** Not listed in the usage line (still in the options list). */
  hideInUsage?: boolean;
}

/** A flag: `--json`. */
export interface FlagOption extends OptionBase { type: 'boolean' }

/** An option with a value: `--state DIR` or `--state=DIR`. */
export interface StringOption extends OptionBase {
  type: 'string';
  /** The value's name in help, e.g. `DIR` (default `VALUE`); Japanese may differ. */
  value?: string | Text;
  /** The only values allowed. */
  choices?: readonly string[];
  /** `--mount A --mount B`: every value kept, in order. */
  multiple?: boolean;
  /** `--include A B C`: takes every following word up to the next option (may also be repeated). */
  variadic?: boolean;
}

/** A whole number: `--limit 20`. */
export interface IntegerOption extends OptionBase {
  type: 'integer';
  value?: string | Text;
  min?: number;
  max?: number;
}

export type OptionDecl = FlagOption | StringOption | IntegerOption;
export type OptionDecls = Record<string, OptionDecl>;

type ValueOf<D extends OptionDecl> =
  D extends FlagOption ? boolean :
    D extends IntegerOption ? number :
      D extends { multiple: true } | { variadic: true } ? string[] : string;

export type OptionValues<O extends OptionDecls> = { [K in keyof O]?: ValueOf<O[K]> };

export interface Parsed<O extends OptionDecls> { values: OptionValues<O>; positionals: string[] }

const msg = {
  unknown: { en: (a: string) => `unknown option '${a}'`, ja: (a: string) => `不明なオプションです: '${a}'` },
  needsValue: { en: (o: string) => `${o} needs a value`, ja: (o: string) => `${o} には値が必要です` },
  noValue: { en: (o: string) => `${o} takes no value`, ja: (o: string) => `${o} は値を取りません` },
  required: { en: (o: string) => `${o} is required`, ja: (o: string) => `${o} を指定してください` },
  choice: {
    en: (o: string, c: readonly string[], v: string) => `${o} must be one of ${c.join(', ')} (got '${v}')`,
    ja: (o: string, c: readonly string[], v: string) => `${o} は ${c.join('、')} のいずれかです (指定: '${v}')`,
  },
  integer: {
    en: (o: string, range: string, v: string) => `${o} must be a whole number${range} (got '${v}')`,
    ja: (o: string, range: string, v: string) => `${o} は整数${range}です (指定: '${v}')`,
  },
  positional: {
    en: (a: string) => `unexpected argument '${a}' (this command takes options only)`,
    ja: (a: string) => `余分な引数です: '${a}' (このコマンドはオプションだけを取ります)`,
  },
};

function rangeText(d: IntegerOption, lang: Lang): string {
  const { min, max } = d;
  if (lang === 'ja') {
    if (min !== undefined && max !== undefined) return ` (${min}〜${max})`;
    if (min !== undefined) return ` (${min} 以上)`;
    return max !== undefined ? ` (${max} 以下)` : '';
  }
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` from ${min}`;
  return max !== undefined ? ` up to ${max}` : '';
}

/**
 * Parses argv by the declarations. Positionals are refused unless `operands` is true; everything after `--` is
 * positional. A single `-` is a positional (standard input). Values may follow as the next word or after `=`; a
 * next word starting with `--` is never taken as a value. The last of a repeated single option wins.
 */
export function parseOptions<O extends OptionDecls>(argv: readonly string[], decls: O, lang: Lang, operands = false): Parsed<O> {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const fail = (text: string): never => { throw new UsageError(text); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('-') || a === '-') {
      if (!operands) fail(msg.positional[lang](a));
      positionals.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const name = flag.slice(2);
    const d = flag.startsWith('--') && Object.hasOwn(decls, name) ? decls[name]! : undefined;
    if (!d) return fail(msg.unknown[lang](flag));
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    if (d.type === 'boolean') {
      if (inline !== undefined) fail(msg.noValue[lang](flag));
      values[name] = true;
      continue;
    }
    const next = argv[i + 1];
    const takeNext = inline === undefined && next !== undefined && !next.startsWith('--');
    const v = inline ?? (takeNext ? argv[++i]! : undefined);
    if (v === undefined || v === '') return fail(msg.needsValue[lang](flag));
    if (d.type === 'integer') {
      const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || (d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) {
        fail(msg.integer[lang](flag, rangeText(d, lang), v));
      }
      values[name] = n;
      continue;
    }
    const check = (x: string) => {
      if (d.choices && !d.choices.includes(x)) fail(msg.choice[lang](flag, d.choices, x));
      return x;
    };
    if (d.multiple || d.variadic) {
      const list = (values[name] ??= []) as string[];
      list.push(check(v));
      if (d.variadic) while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) list.push(check(argv[++i]!));
    } else values[name] = check(v);
  }
  for (const [name, d] of Object.entries(decls)) if (d.required && values[name] === undefined) fail(msg.required[lang](`--${name}`));
  return { values: values as OptionValues<O>, positionals };
}

const valueName = (d: StringOption | IntegerOption, lang: Lang): string =>
  typeof d.value === 'string' ? d.value : d.value?.[lang] ?? (d.type === 'integer' ? 'N' : 'VALUE');

function optionSynopsis(name: string, d: OptionDecl, lang: Lang): string {
  if (d.type === 'boolean') return `--${name}`;
  const v = d.type === 'string' && d.choices && !d.value ? d.choices.join('|') : valueName(d, lang);
  return `--${name} ${v}${d.type === 'string' && (d.multiple || d.variadic) ? ' ...' : ''}`;
}

/** Columns a text takes on a terminal: CJK and full-width characters take two. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3)
      || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60)
      || (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1;
  }
  return w;
}

const padTo = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));

/** Wraps words to lines of at most `width` columns, continuation lines indented by `indent` spaces. */
function wrap(words: string[], first: string, indent: number, width = 116): string {
  const lines: string[] = [];
  let line = first;
  for (const w of words) {
    if (displayWidth(line) + 1 + displayWidth(w) > width && line.trim() !== '') { lines.push(line); line = ' '.repeat(indent) + w; } else line += (line.endsWith(' ') || line === '' ? '' : ' ') + w;
  }
  lines.push(line);
  return lines.join('\n');
}

export interface CommandDef<O extends OptionDecls> extends CommandSummary {
  /** The operands in the usage line, e.g. `FILE...` (absent: the command takes no operands). */
  operands?: Readonly<Text>;
  /** Other usage lines, whole (e.g. `omamori isolate --off [--state DIR]`), shown under the generated one. */
  forms?: Readonly<Record<Lang, readonly string[]>>;
  /** What the command does, exit codes, where to read more. */
  description: Readonly<Text>;
  options: O;
  run(args: Parsed<O>, io: Io): Promise<number>;
}

/** `omamori <path> --help`, generated from the declaration. */
export function commandHelp(def: Omit<CommandDef<OptionDecls>, 'run'>, lang: Lang): string {
  const name = `omamori ${def.path.join(' ')}`;
  const head = lang === 'ja' ? '使い方: ' : 'Usage: ';
  const parts = Object.entries(def.options).filter(([, d]) => !d.hideInUsage)
    .map(([n, d]) => (d.required ? optionSynopsis(n, d, lang) : `[${optionSynopsis(n, d, lang)}]`));
  const usage = [wrap([...parts, ...(def.operands ? [def.operands[lang]] : [])], `${head}${name}`, displayWidth(head) + name.length + 1)];
  for (const f of def.forms?.[lang] ?? []) usage.push(' '.repeat(displayWidth(head)) + f);
  const rows = Object.entries(def.options).map(([n, d]) => [optionSynopsis(n, d, lang), d.help[lang]] as const);
  rows.push([lang === 'ja' ? '--lang ja|en, --help' : '--lang ja|en, --help', lang === 'ja' ? '表示言語 (既定は LANG/LC_ALL から)、この説明' : 'language (default from LANG/LC_ALL), this help']);
  const width = Math.min(30, Math.max(...rows.map(([s]) => displayWidth(s))));
  const opts = rows.map(([s, h]) => {
    const [firstLine = '', ...more] = h.split('\n');
    const pad = ' '.repeat(width + 4);
    const lead = displayWidth(s) > width ? `  ${s}\n${pad}${firstLine}` : `  ${padTo(s, width)}  ${firstLine}`;
    return [lead, ...more.map((m) => pad + m)].join('\n');
  });
  return `${usage.join('\n')}\n\n${def.description[lang].trimEnd()}\n\n${lang === 'ja' ? 'オプション:' : 'Options:'}\n${opts.join('\n')}\n`;
}

/** Makes a Command whose parsing and help both come from its declared options. */
export function defineCommand<O extends OptionDecls>(def: CommandDef<O>): Command & { options: O } {
  return {
    path: def.path,
    summary: def.summary,
    options: def.options,
    help: { en: commandHelp(def, 'en'), ja: commandHelp(def, 'ja') },
    run: (argv, io) => def.run(parseOptions(argv, def.options, io.lang, def.operands !== undefined), io),
  };
}
