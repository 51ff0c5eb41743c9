// A growing byte buffer that text is written into as UTF-8, with XML escaping done while copying: record XML is
// written here piece by piece instead of being concatenated into JavaScript strings, whose flattening costs more
// than the decoding itself.

/** Replaced by an entity in XML text and attribute values; control characters are dropped (render as xml.ts). */
const ESC_TEXT = new Uint8Array(128);
const ESC_ATTR = new Uint8Array(128);
for (let c = 0; c < 32; c++) if (c !== 9 && c !== 10 && c !== 13) { ESC_TEXT[c] = 1; ESC_ATTR[c] = 1; }
for (const c of ['&', '<', '>']) { ESC_TEXT[c.charCodeAt(0)] = 1; ESC_ATTR[c.charCodeAt(0)] = 1; }
ESC_ATTR['"'.charCodeAt(0)] = 1;
const NEEDS_ESC_TEXT = /[&<>\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]/;
const NEEDS_ESC_ATTR = /[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]/;

/** Hex digit pairs of every byte value, for `hexLe`/`hexBe`. */
export const HEX_LOWER = new TextEncoder().encode(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''));
export const HEX_UPPER = new TextEncoder().encode(Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0')).join(''));

/** The entity of `c` (& < > ") written at b[p]; other characters given (controls) are dropped. The new position. */
function entity(b: Buffer, p: number, c: number): number {
  if (c === 38) { b[p++] = 38; b[p++] = 97; b[p++] = 109; b[p++] = 112; b[p++] = 59; } // &amp;
  else if (c === 60) { b[p++] = 38; b[p++] = 108; b[p++] = 116; b[p++] = 59; } // &lt;
  else if (c === 62) { b[p++] = 38; b[p++] = 103; b[p++] = 116; b[p++] = 59; } // &gt;
  else if (c === 34) { b[p++] = 38; b[p++] = 113; b[p++] = 117; b[p++] = 111; b[p++] = 116; b[p++] = 59; } // &quot;
  return p;
}

/**
 * UTF-8 of the code unit `c` (≥ 0x80) written at b[p], `d` being the next unit when `c` is a high surrogate (else
 * 0): a pair makes one code point (the caller then skips `d`), a lone surrogate U+FFFD as Buffer.from(string)
 * writes it. The new position.
 */
function wide(b: Buffer, p: number, c: number, d: number): number {
  if (c < 0x800) { b[p++] = 0xc0 | (c >> 6); b[p++] = 0x80 | (c & 63); return p; }
  if (c >= 0xd800 && c <= 0xdfff) {
    if (d >= 0xdc00 && d <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      b[p++] = 0xf0 | (cp >> 18); b[p++] = 0x80 | ((cp >> 12) & 63); b[p++] = 0x80 | ((cp >> 6) & 63); b[p++] = 0x80 | (cp & 63);
    } else { b[p++] = 0xef; b[p++] = 0xbf; b[p++] = 0xbd; }
    return p;
  }
  b[p++] = 0xe0 | (c >> 12); b[p++] = 0x80 | ((c >> 6) & 63); b[p++] = 0x80 | (c & 63);
  return p;
}

export class ByteSink {
  buf: Buffer;
  pos = 0;

  constructor(size = 1 << 16) { this.buf = Buffer.allocUnsafe(size); }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** Text as UTF-8, unescaped. */
  str(s: string): void {
    const n = s.length;
    if (this.pos + n * 3 > this.buf.length) this.grow(n * 3);
    // Past a few characters the native encoder wins over a loop here.
    if (n > 12) { this.pos += this.buf.write(s, this.pos, 'utf8'); return; }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) { b[p++] = c; continue; }
      this.pos = p;
      this.pos += b.write(s.slice(i), p, 'utf8');
      return;
    }
    this.pos = p;
  }

  /** Text escaped for XML (`attr`: also `"`), control characters dropped. */
  esc(s: string, attr: boolean): void {
    const n = s.length;
    if (n > 12 && !(attr ? NEEDS_ESC_ATTR : NEEDS_ESC_TEXT).test(s)) { this.str(s); return; }
    if (this.pos + n * 6 > this.buf.length) this.grow(n * 6);
    const b = this.buf;
    const table = attr ? ESC_ATTR : ESC_TEXT;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (table[c] === 0) b[p++] = c; else p = entity(b, p, c);
        continue;
      }
      const d = c >= 0xd800 && c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
      p = wide(b, p, c, d);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    this.pos = p;
  }

  /**
   * UTF-16LE text of src[pos, end) up to its first U+0000, escaped for XML as `esc` writes it (the same bytes as
   * `esc(utf16(src, pos, end), attr)`), without making a string of it.
   */
  escUtf16(src: Uint8Array, pos: number, end: number, attr: boolean): void {
    const stop = end - ((end - pos) & 1);
    if (this.pos + (stop - pos) * 3 > this.buf.length) this.grow((stop - pos) * 3);
    const b = this.buf;
    const table = attr ? ESC_ATTR : ESC_TEXT;
    let p = this.pos;
    for (let i = pos; i < stop; i += 2) {
      const c = src[i]! | (src[i + 1]! << 8);
      if (c < 0x80) {
        if (table[c] === 0) { b[p++] = c; continue; }
        if (c === 0) break;
        // An entity is longer than the 3 bytes a unit was given: make room for the rest at the same rate.
        if (p + 6 + (stop - i) * 3 > b.length) { this.pos = p; this.grow(6 + (stop - i) * 3); return this.escUtf16(src, i, end, attr); }
        p = entity(b, p, c);
        continue;
      }
      const d = c >= 0xd800 && c <= 0xdbff && i + 3 < stop ? src[i + 2]! | (src[i + 3]! << 8) : 0;
      p = wide(b, p, c, d);
      if (d >= 0xdc00 && d <= 0xdfff) i += 2;
    }
    this.pos = p;
  }

  /** A non-negative integer below 2^53 in decimal. */
  dec(v: number): void {
    if (v < 10) { this.byte(48 + v); return; }
    let n = 2;
    for (let x = 100; x <= v && n < 16; x *= 10) n++;
    this.digits(v, n);
  }

  /** A non-negative integer below 2^53 as exactly `n` decimal digits (zero-padded; `n` must be enough). */
  digits(v: number, n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos + n;
    this.pos = p;
    if (v < 2147483648) {
      for (let i = 0; i < n; i++) { const q = (v / 10) | 0; b[--p] = 48 + (v - q * 10); v = q; }
    } else {
      for (let i = 0; i < n; i++) { const q = Math.floor(v / 10); b[--p] = 48 + (v - q * 10); v = q; }
    }
  }

  /** src[pos, pos + n) as hex digits (HEX_LOWER or HEX_UPPER pairs), last byte first (a little-endian number). */
  hexLe(src: Uint8Array, pos: number, n: number, digits: Uint8Array): void {
    if (this.pos + 2 * n > this.buf.length) this.grow(2 * n);
    const b = this.buf;
    let p = this.pos;
    for (let i = pos + n - 1; i >= pos; i--) { const d = src[i]! << 1; b[p++] = digits[d]!; b[p++] = digits[d + 1]!; }
    this.pos = p;
  }

  /** src[pos, pos + n) as hex digits in byte order. */
  hexBe(src: Uint8Array, pos: number, n: number, digits: Uint8Array): void {
    if (this.pos + 2 * n > this.buf.length) this.grow(2 * n);
    const b = this.buf;
    let p = this.pos;
    for (let i = pos; i < pos + n; i++) { const d = src[i]! << 1; b[p++] = digits[d]!; b[p++] = digits[d + 1]!; }
    this.pos = p;
  }

  /** One ASCII byte. */
  byte(c: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** `n` spaces. */
  spaces(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = 32;
    this.pos = p;
  }

  /** Bytes already encoded (static parts of the output, encoded once). */
  raw(u: Uint8Array): void {
    const n = u.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    if (n > 6) { this.buf.set(u, this.pos); this.pos += n; return; }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = u[i]!;
    this.pos = p;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer { return this.buf.subarray(0, this.pos); }

  toString(): string { return this.buf.toString('utf8', 0, this.pos); }

  reset(): void { this.pos = 0; }
}
