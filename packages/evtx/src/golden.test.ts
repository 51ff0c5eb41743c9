// Golden decoded records of evtx-parser-samples/sysmon.evtx, field values checked against evtxexport output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readEvtxFile, recordToJson, renderXml, type EvtxRecord } from './index.ts';
import { dataDir } from '../test/data-dir.ts';

function sysmon(): Map<number, EvtxRecord> {
  const m = new Map<number, EvtxRecord>();
  for (const r of readEvtxFile(join(dataDir(), 'evtx-parser-samples/samples/sysmon.evtx'))) m.set(r.recordId, r);
  return m;
}

test('sysmon.evtx: 358 records in chunk order with System fields and EventData by name', () => {
  const recs = sysmon();
  assert.equal(recs.size, 358);
  const first = recs.get(1742)!;
  assert.deepEqual(first.system, {
    Provider: 'Microsoft-Windows-Sysmon', ProviderGuid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}', EventID: 1,
    Version: 5, Level: 4, Task: 1, Opcode: 0, Keywords: '0x8000000000000000',
    TimeCreated: '2017-12-26T13:10:29.1368792Z', EventRecordID: 1742, ProcessID: 2284, ThreadID: 5252,
    Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'DESKTOP-2KGM189', UserID: 'S-1-5-18',
  });
  assert.equal(first.chunk, 0);
  assert.equal(first.offset, 4096 + 512);
  assert.equal(first.data.Image, 'C:\\Windows\\SysWOW64\\PING.EXE');
  assert.equal(first.data.CommandLine, 'ping  -n 6 127.0.0.1 ');
  assert.equal(first.data.LogonId, '0x00000000000003e7');
  assert.equal(first.data.ProcessGuid, '{94F748D5-4A45-5A42-0000-0010D265F20F}');
  assert.equal(first.data.ParentImage, 'C:\\Windows\\SysWOW64\\cmd.exe');
  assert.equal(first.data.Hashes, 'SHA1=CE8E487CB76704FE5FBB821A78A1E969EFBE71F9,MD5=A27A24553B2C36E139647F88DF738C35,SHA256=8F16A431C919A0AA7C9466EC1CDC1E721F30EB5C8182835585A1B74ABECB1920,IMPHASH=0EB64EACA8C951D760EEA1A941A2A3F7');
  assert.equal(Object.keys(first.data).length, 16);

  const file = recs.get(1765)!;
  assert.equal(file.system.EventID, 11);
  assert.equal(file.system.TimeCreated, '2017-12-26T13:11:33.7580545Z');
  assert.equal(file.data.TargetFilename, 'C:\\Windows\\SoftwareDistribution\\Download\\Install\\AM_Delta.exe');

  const reg = recs.get(1769)!;
  assert.equal(reg.data.EventType, 'SetValue');
  assert.equal(reg.data.Details, 'DWORD (0x00000004)');

  const net = recs.get(2061)!;
  assert.equal(net.system.EventID, 3);
  assert.equal(net.system.ThreadID, 9456);
  assert.equal(net.data.Initiated, 'true');
  assert.equal(net.data.SourceIp, '192.168.2.128');
  assert.equal(net.data.DestinationIp, '185.26.182.117');
  assert.equal(net.data.DestinationPort, '443');
  assert.equal(net.data.SourcePortName, '');

  const ids = [...recs.keys()];
  const offsets = [...recs.values()].map((r) => r.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'records come in file order');
  assert.equal(ids.length, new Set(ids).size);
});

test('record XML and JSON forms', () => {
  const r = sysmon().get(1769)!;
  const xml = renderXml(r.root);
  assert.match(xml, /^<Event xmlns="http:\/\/schemas.microsoft.com\/win\/2004\/08\/events\/event">\n {2}<System>\n/);
  assert.match(xml, /\n {4}<Data Name="TargetObject">\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\MpKsle59912eb\\Start<\/Data>\n/);
  assert.match(xml, /\n {4}<Correlation\/>\n/);
  const j = JSON.parse(JSON.stringify(recordToJson(r, 'sysmon.evtx'))) as Record<string, unknown>;
  assert.equal(j.file, 'sysmon.evtx');
  assert.equal((j.system as { EventID: number }).EventID, 13);
  assert.equal((j.data as Record<string, string>).Image, 'C:\\Windows\\system32\\services.exe');
  assert.equal(j.root, undefined, 'the element tree stays out of JSON lines');
});

test('UserData is exposed by element name', () => {
  const path = join(dataDir(), 'evtx-attack-samples/Defense Evasion/DE_1102_security_log_cleared.evtx');
  const recs = [...readEvtxFile(path)];
  const cleared = recs.find((r) => r.system.EventID === 1102);
  assert.ok(cleared, 'a 1102 record');
  const lfc = cleared.userData?.LogFileCleared as Record<string, string> | undefined;
  assert.ok(lfc, `userData: ${JSON.stringify(cleared.userData)}`);
  assert.match(lfc.SubjectUserSid ?? '', /^S-1-5-/);
});
