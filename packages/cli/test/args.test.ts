// The one argument parser: every command declares its options once; unknown options, missing values and bad numbers
// give one error form naming the option (exit 2, with the help hint), and each command's --help comes from the same
// declarations (issue 11 item 4).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { commandHelp, parseOptions, type OptionDecls } from '../src/args.ts';
import { UsageError } from '../src/command.ts';
import { loadCommands } from '../src/commands/index.ts';
import { omamori } from './helpers.ts';

const usage = async (argv: string[], lang: 'en' | 'ja' = 'en') => {
  const r = await omamori([...argv, '--lang', lang]);
  assert.equal(r.code, 2, `${argv.join(' ')}: ${r.out}${r.err}`);
  return r.err;
};

test('an unknown option is refused with its name by every command, in one form', async () => {
  for (const c of await loadCommands()) {
    const name = c.path.join(' ');
    const err = await usage([...c.path, '--frobnicate', 'x']);
    assert.equal(err, `omamori ${name}: unknown option '--frobnicate'\nSee 'omamori ${name} --help'.\n`, name);
    const ja = await usage([...c.path, '--frobnicate'], 'ja');
    assert.match(ja, new RegExp(`^omamori ${name}: 不明なオプションです: '--frobnicate'\n'omamori ${name} --help' を参照してください。\n$`), name);
  }
});

test('a missing value names the option (commands that used to parse by hand included)', async () => {
  for (const [argv, option] of [
    [['events', '--state'], '--state'], [['collect', '--out'], '--out'], [['collect', '--out', 'b.tar', '--include'], '--include'],
    [['isolate', '--console'], '--console'], [['emocheck', '--snapshot'], '--snapshot'], [['evtx', 'dump', 'x.evtx', '--jobs'], '--jobs'],
    [['agent', 'run', '--state', '--sync-only'], '--state'], [['replay', '--format'], '--format'], [['up', '--data'], '--data'],
  ] as const) {
    const err = await usage([...argv]);
    assert.match(err, new RegExp(`^omamori ${argv[0]}[a-z ]*: ${option} needs a value\n`), argv.join(' '));
    assert.match(await usage([...argv], 'ja'), new RegExp(`: ${option} には値が必要です\n`), argv.join(' '));
  }
  assert.match(await usage(['agent', 'enroll', '--console', 'https://c:8443']), /^omamori agent enroll: --token is required\n/);
  assert.match(await usage(['emocheck', 'collect']), /^omamori emocheck collect: --out is required\n/);
});

test('bad numbers and values outside the declared choices name the option and what is allowed', async () => {
  assert.match(await usage(['events', '--limit', '0']), /^omamori events: --limit must be a whole number from 1 \(got '0'\)\n/);
  assert.match(await usage(['events', '--limit', '2x']), /--limit must be a whole number from 1 \(got '2x'\)/);
  assert.match(await usage(['evtx', 'count', '--jobs', '999', 'a.evtx']), /^omamori evtx count: --jobs must be a whole number from 1 to 256 \(got '999'\)\n/);
  assert.match(await usage(['replay', '--jobs', 'x', 'a.evtx']), /--jobs must be a whole number from 1 to 256 \(got 'x'\)/);
  assert.match(await usage(['protect', '--mode', 'strict']), /^omamori protect: --mode must be one of audit, enforce, lockdown \(got 'strict'\)\n/);
  assert.match(await usage(['console', '--log-level', 'loud']), /--log-level must be one of fatal, error, warn, info, debug \(got 'loud'\)/);
  assert.match(await usage(['events', '--limit', 'x'], 'ja'), /--limit は整数 \(1 以上\)です \(指定: 'x'\)/);
  assert.match(await usage(['presets', '--json=yes']), /^omamori presets: --json takes no value\n/);
  assert.match(await usage(['events', 'extra']), /^omamori events: unexpected argument 'extra'/);
});

test('--help of every command is generated from its declared options, in both languages', async () => {
  for (const c of await loadCommands()) {
    const name = c.path.join(' ');
    const options = (c as { options?: OptionDecls }).options;
    assert.ok(options, `${name} declares its options`);
    for (const lang of ['en', 'ja'] as const) {
      const h = await omamori([...c.path, '--help', '--lang', lang]);
      assert.equal(h.code, 0, name);
      assert.equal(h.out, c.help[lang]);
      const [usageLine] = h.out.split('\n\n');
      assert.match(usageLine!, new RegExp(`^${lang === 'ja' ? '使い方' : 'Usage'}: omamori ${name}`));
      const list = h.out.slice(h.out.lastIndexOf(lang === 'ja' ? '\nオプション:\n' : '\nOptions:\n'));
      for (const [opt, d] of Object.entries(options)) {
        assert.match(list, new RegExp(`\n  --${opt}\\b`), `${name}: --${opt} listed`);
        assert.ok(list.includes(d.help[lang].split('\n')[0]!), `${name}: --${opt} help (${lang})`);
        if (!d.hideInUsage) assert.ok(usageLine!.includes(`--${opt}`), `${name}: --${opt} in the usage line`);
      }
      assert.match(list, /--lang ja\|en, --help/);
    }
  }
  // Generated, not hand-written: a declaration shows up in the help as declared.
  const h = commandHelp({
    path: ['demo'], summary: { en: 's', ja: 's' }, description: { en: 'Does it.', ja: 'します。' },
    options: { out: { type: 'string', required: true, value: 'FILE', help: { en: 'where', ja: '書き出し先' } }, n: { type: 'integer', help: { en: 'how many', ja: '件数' } } },
  }, 'en');
  assert.match(h, /^Usage: omamori demo --out FILE \[--n N\]\n\nDoes it\.\n\nOptions:\n {2}--out FILE +where\n {2}--n N +how many\n/);
});

test('parseOptions: --x=v, repeated and variadic values, --, a lone -, and the last of a single option wins', () => {
  const decls = {
    state: { type: 'string', help: { en: '', ja: '' } },
    mount: { type: 'string', multiple: true, help: { en: '', ja: '' } },
    include: { type: 'string', variadic: true, help: { en: '', ja: '' } },
    json: { type: 'boolean', help: { en: '', ja: '' } },
    limit: { type: 'integer', min: -5, help: { en: '', ja: '' } },
  } as const satisfies OptionDecls;
  const r = parseOptions(['--state=a', '--state', 'b', '--mount', 'm1', '--mount=m2', '--include', 'x', 'y', '--json', '--limit', '-3', '-', '--', '--not-an-option'], decls, 'en', true);
  assert.deepEqual(r.values, { state: 'b', mount: ['m1', 'm2'], include: ['x', 'y'], json: true, limit: -3 });
  assert.deepEqual(r.positionals, ['-', '--not-an-option']);
  assert.throws(() => parseOptions(['-x'], decls, 'en', true), (e: unknown) => e instanceof UsageError && e.message === "unknown option '-x'");
  assert.throws(() => parseOptions(['--state='], decls, 'en'), /--state needs a value/);
  assert.throws(() => parseOptions(['--limit', '-6'], decls, 'en'), /--limit must be a whole number from -5 \(got '-6'\)/);
  assert.throws(() => parseOptions(['--toString'], decls, 'en'), /unknown option '--toString'/);
});
