// Streams the JSON lines of Mordor captures straight out of `.zip`, `.tar.gz`/`.tgz` or plain `.json` files: one
// read pass, nothing extracted to disk, memory bounded by one chunk plus one line.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Unzip, UnzipInflate } from 'fflate';

export interface LineSink {
  /** One text line of archive member `entry` (1-based line number within that member). */
  line(entry: string, text: string, lineNo: number): void;
  /** Compressed bytes consumed so far from the file (for progress). */
  bytes?(n: number): void;
}

/** Splits UTF-8 bytes into lines across chunk boundaries. */
class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private rest = '';
  private n = 0;
  constructor(private readonly entry: string, private readonly sink: LineSink) {}
  push(bytes: Uint8Array, final: boolean): void {
    const s = this.rest + this.decoder.decode(bytes, { stream: !final });
    let start = 0;
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', start)) {
      this.emit(s.slice(start, i));
      start = i + 1;
    }
    this.rest = s.slice(start);
    if (final && this.rest !== '') { this.emit(this.rest); this.rest = ''; }
  }
  private emit(line: string): void {
    this.n++;
    const t = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (t.trim() !== '') this.sink.line(this.entry, t, this.n);
  }
}

export type ArchiveKind = 'zip' | 'tar.gz' | 'json';

export function archiveKind(path: string): ArchiveKind | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.zip')) return 'zip';
  if (p.endsWith('.tar.gz') || p.endsWith('.tgz')) return 'tar.gz';
  if (p.endsWith('.json') || p.endsWith('.jsonl') || p.endsWith('.ndjson')) return 'json';
  return undefined;
}

/** Every member ending in .json/.jsonl/.log (or any plain member) is read as JSON lines. */
function wanted(name: string): boolean {
  return !name.endsWith('/') && !/(^|\/)(__MACOSX|\._)/.test(name);
}

async function pump(path: string, sink: LineSink, onChunk: (b: Uint8Array) => void): Promise<void> {
  let total = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    total += (chunk as Buffer).length;
    onChunk(chunk as Buffer);
    sink.bytes?.(total);
  }
}

async function readZip(path: string, sink: LineSink): Promise<void> {
  let failure: Error | undefined;
  const uz = new Unzip((file) => {
    if (!wanted(file.name)) return;
    const split = new LineSplitter(file.name, sink);
    file.ondata = (err, data, final) => {
      if (err) { failure ??= err; return; }
      split.push(data, final);
    };
    file.start();
  });
  uz.register(UnzipInflate);
  await pump(path, sink, (b) => { if (!failure) uz.push(b, false); });
  if (!failure) uz.push(new Uint8Array(0), true);
  if (failure) throw failure;
}

/** A push parser of ustar/pax archives: headers of 512 bytes, data padded to 512. */
function createTarParser(sink: LineSink) {
  let buf = new Uint8Array(0);
  let remaining = 0; // data bytes left in the current member
  let pad = 0;
  let split: LineSplitter | undefined;
  return (chunk: Uint8Array) => {
    let b = buf.length ? concat(buf, chunk) : chunk;
    for (;;) {
      if (remaining > 0) {
        const take = Math.min(remaining, b.length);
        if (take === 0) break;
        remaining -= take;
        split?.push(b.subarray(0, take), remaining === 0);
        b = b.subarray(take);
        if (remaining === 0) split = undefined;
        continue;
      }
      if (pad > 0) {
        const take = Math.min(pad, b.length);
        pad -= take; b = b.subarray(take);
        if (pad > 0) break;
        continue;
      }
      if (b.length < 512) break;
      const h = b.subarray(0, 512);
      b = b.subarray(512);
      if (h.every((x) => x === 0)) continue;
      const name = cstr(h, 0, 100);
      const prefix = cstr(h, 345, 155);
      const size = parseInt(cstr(h, 124, 12).trim() || '0', 8);
      const type = String.fromCharCode(h[156] ?? 0);
      remaining = size;
      pad = (512 - (size % 512)) % 512;
      const full = prefix ? `${prefix}/${name}` : name;
      split = (type === '0' || type === '\0') && wanted(full) ? new LineSplitter(full, sink) : undefined;
      if (size === 0 && split) { split.push(new Uint8Array(0), true); split = undefined; }
    }
    buf = b.length ? b.slice() : new Uint8Array(0);
  };
}

function cstr(b: Uint8Array, at: number, len: number): string {
  const s = b.subarray(at, at + len);
  const end = s.indexOf(0);
  return Buffer.from(end < 0 ? s : s.subarray(0, end)).toString('utf8');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0); out.set(b, a.length);
  return out;
}

async function readTarGz(path: string, sink: LineSink): Promise<void> {
  const parse = createTarParser(sink);
  const gunzip = createGunzip();
  let total = 0;
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  input.on('data', (c) => { total += (c as Buffer).length; sink.bytes?.(total); });
  input.pipe(gunzip);
  for await (const chunk of gunzip) parse(chunk as Buffer);
}

async function readPlain(path: string, sink: LineSink): Promise<void> {
  const split = new LineSplitter(path.split(/[\\/]/).pop() ?? path, sink);
  await pump(path, sink, (b) => split.push(b, false));
  split.push(new Uint8Array(0), true);
}

/** Streams every line of a Mordor capture. Throws (with the zlib/fflate message) on a damaged archive. */
export function streamJsonLines(path: string, sink: LineSink): Promise<void> {
  switch (archiveKind(path)) {
    case 'zip': return readZip(path, sink);
    case 'tar.gz': return readTarGz(path, sink);
    default: return readPlain(path, sink);
  }
}
