// The byte sink's writers give the bytes of the string paths they stand for: UTF-16 written straight from bytes
// (escUtf16) as the decoded string escaped (esc), integers as String(n).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSink } from './sink.ts';
import { utf16 } from './values.ts';

test('escUtf16 writes what esc writes of the decoded string: entities, controls, surrogates, NUL, odd ends', () => {
  let a = 12345;
  const rnd = () => { a = (a * 1103515245 + 12345) >>> 0; return a / 4294967296; };
  const units = [0x41, 0x26, 0x3c, 0x3e, 0x22, 0x01, 0x09, 0x0a, 0xe9, 0x3042, 0xd83d, 0xde00, 0xdc00, 0xdbff, 0, 0x7f, 0x800, 0xffff];
  for (let i = 0; i < 5000; i++) {
    const n = Math.floor(rnd() * 12);
    const b = Buffer.alloc(n * 2 + (rnd() < 0.2 ? 1 : 0));
    for (let k = 0; k < n; k++) b.writeUInt16LE(units[Math.floor(rnd() * units.length)]!, k * 2);
    for (const attr of [false, true]) {
      const want = new ByteSink(4);
      want.esc(utf16(b, 0, b.length), attr);
      const got = new ByteSink(4); // small: growing mid-string is part of the test
      got.escUtf16(b, 0, b.length, attr);
      assert.deepEqual(got.bytes(), want.bytes(), `${b.toString('hex')} attr=${attr}`);
    }
  }
});

test('dec and digits write integers as String(n) does', () => {
  const s = new ByteSink(4);
  for (const v of [0, 9, 10, 99, 100, 65535, 2147483647, 2147483648, 4294967295, 4294967296, 2 ** 53 - 1, 1234567890123]) {
    s.reset();
    s.dec(v);
    assert.equal(s.toString(), String(v));
  }
  s.reset();
  s.digits(42, 7);
  assert.equal(s.toString(), '0000042');
});
