// buildLandlockRuleset / launcherArgs: the text format and the errors that name the bad field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLandlockRuleset, launcherArgs, launcherLabel } from '../src/index.ts';

test('buildLandlockRuleset writes one directive per line in a fixed order', () => {
  const text = buildLandlockRuleset({
    requireAbi: 4,
    read: ['/etc'],
    readExec: ['/usr', { path: '/lib64', optional: true }],
    write: ['/home/u/work dir'],
    devices: ['/dev/null'],
    custom: [{ path: { path: '/opt/x', optional: true }, rights: ['read_file', 'execute'] }],
    bindTcp: [8080],
    connectTcp: [443],
    scopes: ['signal', 'abstract-unix-socket'],
    log: ['new-exec'],
  });
  assert.equal(text, [
    '# omamori-launch ruleset v1', 'require-abi 4', 'read /etc', 'read-exec /usr', 'read-exec? /lib64',
    'write /home/u/work dir', 'dev /dev/null', 'rights? read_file,execute /opt/x', 'bind 8080', 'connect 443',
    'scope signal', 'scope abstract-unix-socket', 'log new-exec', '',
  ].join('\n'));
});

test('buildLandlockRuleset names the field of a bad entry', () => {
  assert.throws(() => buildLandlockRuleset({ read: ['/etc', 'relative'] }), /read\[1\]: path must be absolute/);
  assert.throws(() => buildLandlockRuleset({ write: ['/a\nread /'] }), /write\[0\]: path may not contain newline/);
  assert.throws(() => buildLandlockRuleset({ connectTcp: [70000] }), /connectTcp\[0\]: port must be 0..65535/);
  // @ts-expect-error: an unknown right is a type error too
  assert.throws(() => buildLandlockRuleset({ custom: [{ path: '/x', rights: ['fly'] }] }), /custom\[0\].rights: unknown right 'fly'/);
});

test('launcherArgs puts the ruleset source before -- and the target after', () => {
  assert.deepEqual(launcherArgs(['/bin/sh', '-c', 'x']), ['--rules-fd', '3', '--', '/bin/sh', '-c', 'x']);
  assert.deepEqual(launcherArgs(['ls'], { rulesFile: '/r', bestEffort: true }), ['--rules', '/r', '--best-effort', '--', 'ls']);
  assert.throws(() => launcherArgs([]), /argv must name the program/);
});

test('launcherArgs carries a label for the agent; launcherLabel reads it back from a launcher command line', () => {
  const args = launcherArgs(['/usr/bin/env', '--label', 'x'], { rulesFd: 3, label: 'office' });
  assert.deepEqual(args, ['--rules-fd', '3', '--label', 'office', '--', '/usr/bin/env', '--label', 'x']);
  assert.equal(launcherLabel(['/x/omamori-launch', ...args]), 'office');
  assert.equal(launcherLabel(['/x/omamori-launch', ...launcherArgs(['/bin/true', '--label', 'mail'])]), undefined, 'target arguments are not the label');
  assert.equal(launcherLabel(['/x/omamori-launch', '--rules', '--label', '--', 'true']), undefined, 'a rules file named --label is not a label');
  assert.throws(() => launcherArgs(['ls'], { label: '-x' }), /label must be/);
  assert.throws(() => launcherArgs(['ls'], { label: '' }), /label must be/);
});
