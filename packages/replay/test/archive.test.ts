// Mordor captures are read straight from .zip, .tar.gz and .json: lines across chunk boundaries, every form of line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync, strToU8 } from 'fflate';
import { fromMordorObject, streamJsonLines } from '@omamori/replay';

const dir = mkdtempSync(join(tmpdir(), 'omamori-replay-'));
const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ EventID: 1, SourceName: 'Microsoft-Windows-Sysmon', Hostname: 'pc.example', ProcessId: String(i), pad: 'x'.repeat(i % 97) }));
const text = lines.join('\r\n') + '\n';

function tar(name: string, body: Uint8Array): Uint8Array {
  const h = new Uint8Array(512);
  h.set(strToU8(name), 0);
  h.set(strToU8(body.length.toString(8).padStart(11, '0') + '\0'), 124);
  h[156] = '0'.charCodeAt(0);
  h.set(strToU8('ustar\0'), 257);
  const pad = (512 - (body.length % 512)) % 512;
  const out = new Uint8Array(512 + body.length + pad + 1024);
  out.set(h, 0); out.set(body, 512);
  return out;
}

async function collect(path: string): Promise<string[]> {
  const got: string[] = [];
  await streamJsonLines(path, { line: (_e, t) => { got.push(t); } });
  return got;
}

test('zip, tar.gz and plain JSON lines give the same lines', async () => {
  const zip = join(dir, 'a.zip'); writeFileSync(zip, zipSync({ 'a.json': strToU8(text) }));
  const tgz = join(dir, 'a.tar.gz'); writeFileSync(tgz, gzipSync(tar('a.json', strToU8(text))));
  const json = join(dir, 'a.json'); writeFileSync(json, text);
  for (const p of [zip, tgz, json]) assert.deepEqual(await collect(p), lines, p);
});

test('a truncated archive rejects with the decompressor message (lines before it were delivered)', async () => {
  const tgz = join(dir, 'cut.tar.gz');
  const full = gzipSync(tar('a.json', strToU8(text)));
  writeFileSync(tgz, full.subarray(0, full.length >> 1));
  const got: string[] = [];
  await assert.rejects(streamJsonLines(tgz, { line: (_e, t) => { got.push(t); } }), /unexpected end of file/);
  assert.ok(got.length > 100 && got.length < lines.length);
});

test('Mordor JSON forms: nxlog flat, winlogbeat 6 and winlogbeat 7', () => {
  const flat = fromMordorObject({ EventID: 4688, Channel: 'Security', SourceName: 'Microsoft-Windows-Security-Auditing', Hostname: 'WS5.theshire.local', NewProcessId: '0x10', ExecutionProcessID: 4, '@timestamp': '2020-08-07T18:32:49.363Z' }, 'x');
  assert.equal(flat?.computer, 'WS5'); assert.equal(flat?.data.NewProcessId, '0x10'); assert.equal(flat?.execPid, 4);
  assert.equal(flat?.time, Date.parse('2020-08-07T18:32:49.363Z'));
  const wb6 = fromMordorObject({ event_id: 1, log_name: 'Microsoft-Windows-Sysmon/Operational', source_name: 'Microsoft-Windows-Sysmon', computer_name: 'ws', event_data: { UtcTime: '2019-05-18 20:37:10.356', Image: 'C:\\a.exe' } }, 'x');
  assert.equal(wb6?.eventId, 1); assert.equal(wb6?.time, Date.parse('2019-05-18T20:37:10.356Z')); assert.equal(wb6?.data.Image, 'C:\\a.exe');
  const wb7 = fromMordorObject({ winlog: { event_id: 7045, channel: 'System', provider_name: 'Service Control Manager', computer_name: 'dc', event_data: { ServiceName: 's' }, process: { pid: 600 } } }, 'x');
  assert.equal(wb7?.provider, 'Service Control Manager'); assert.equal(wb7?.execPid, 600); assert.equal(wb7?.data.ServiceName, 's');
  assert.equal(fromMordorObject({ hello: 1 }, 'x'), undefined);
});
