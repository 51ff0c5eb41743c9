// Event XML input (wevtutil qe /f:xml, Event Viewer "Save as XML", evtxexport -f xml): the same recording replayed
// from EVTX and from its XML forms gives the same records, decisions and stops; damaged events are reported by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEvtxFile, renderXml } from '@omamori/evtx';
import { parseXmlElement, readEventXmlFile, recordFromEventXml, replayPaths, type ReplayResult, type WinRecord } from '@omamori/replay';
import { dataPath, presetPolicy } from './data.ts';

const office = presetPolicy('office');

function eventsXml(files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) for (const r of readEvtxFile(f, {})) out.push(renderXml(r.root));
  return out;
}

/** Event Viewer's form: a declaration, an <Events> root, and a <RenderingInfo> in each event. */
function eventViewer(events: string[]): string {
  const withInfo = events.map((e) => e.replace('</Event>', '  <RenderingInfo Culture="ja-JP"><Message>説明 &amp; message</Message><Level>情報</Level></RenderingInfo>\n</Event>'));
  return `<?xml version="1.0" encoding="UTF-16"?>\n<Events>\n${withInfo.join('\n')}\n</Events>\n`;
}

function utf16(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

const summary = (r: ReplayResult) => ({
  records: r.stats.records, events: r.stats.events, starts: r.stats.starts, blocks: r.stats.blocks, unlessSigned: r.stats.unlessSigned,
  rules: r.rules.map((x) => `${x.rule} ${x.count} ${x.unlessSigned}`),
  firsts: r.trees.map((t) => `${t.blocks[0]?.rule} ${t.blocks[0]?.image} ${t.blocks[0]?.object ?? ''}`).sort(),
});

test('sysmon.evtx and the museum logs give the same replay from EVTX and from wevtutil, Event Viewer and evtxexport XML', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-xml-'));
  try {
    const sysmon = dataPath('evtx-parser-samples/samples/sysmon.evtx');
    const museumDir = dataPath('dfir-artifact-museum/Windows/EventLogs/Win10/RathbunVM/extracted');
    const museum = readdirSync(museumDir).filter((f) => f.endsWith('.evtx')).sort().map((f) => join(museumDir, f));
    // The museum's five logs are one recording (one folder); so are they as one XML file.
    for (const [name, files, input] of [['sysmon', [sysmon], sysmon], ['museum', museum, museumDir]] as const) {
      const events = eventsXml([...files]);
      // wevtutil qe /f:xml: events back to back, no root, no line breaks between them.
      writeFileSync(join(dir, `${name}-wevtutil.xml`), events.map((e) => e.replace(/\n\s*/g, '')).join(''));
      writeFileSync(join(dir, `${name}-viewer.xml`), utf16(eventViewer(events)));
      writeFileSync(join(dir, `${name}-evtxexport.xml`), events.map((e, i) => `Event number\t: ${i + 1}\n\n${e}\n`).join('\n'));
      const fromEvtx = await replayPaths([input], { policy: office });
      for (const form of ['wevtutil', 'viewer', 'evtxexport']) {
        // One recording from one XML file (the EVTX side is one recording per folder for the museum).
        const fromXml = await replayPaths([join(dir, `${name}-${form}.xml`)], { policy: office });
        assert.equal(fromXml.stats.issues, 0, `${name}-${form}: ${JSON.stringify(fromXml.issues.slice(0, 2))}`);
        assert.equal(fromXml.recordings[0]!.kind, 'xml');
        assert.deepEqual(summary(fromXml), summary(fromEvtx), `${name}-${form}`);
      }
      assert.ok(fromEvtx.stats.records > 300 && fromEvtx.stats.starts > 40, `${name}: ${fromEvtx.stats.records} records`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged event is reported with its line and the others are read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-xml-'));
  try {
    const good = (id: number) => `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>${id}</EventID><TimeCreated SystemTime="2024-05-01T10:00:00.000Z"/><EventRecordID>${id}</EventRecordID><Execution ProcessID="4" ThreadID="8"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>pc1.example.jp</Computer></System><EventData><Data Name="Image">C:\\Users\\a\\x.exe</Data><Data Name="CommandLine">x.exe &quot;a&amp;b&quot;</Data></EventData></Event>`;
    const text = `<Events>\n${good(1)}\n<Event><System><EventID>2</EventID></System><EventData><Data Name="Image">broken</EventData></Event>\n\n${good(3)}\n</Events>\n`;
    const file = join(dir, 'mixed.xml');
    writeFileSync(file, text);
    const records: WinRecord[] = [];
    const issues: { where: string; message: string }[] = [];
    readEventXmlFile(file, 'mixed.xml', { record: (r) => records.push(r), issue: (i) => issues.push(i) });
    assert.deepEqual(records.map((r) => r.eventId), [1, 3]);
    assert.equal(records[0]!.where, 'mixed.xml#1');
    assert.equal(records[0]!.computer, 'PC1');
    assert.equal(records[0]!.execPid, 4);
    assert.equal(records[0]!.data.CommandLine, 'x.exe "a&b"');
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.where, /^mixed\.xml:3$/);
    assert.match(issues[0]!.message, /damaged event: end tag <\/EventData> does not close <Data>/);
    writeFileSync(file, 'not xml at all\n');
    const none: string[] = [];
    readEventXmlFile(file, 'mixed.xml', { record: () => none.push('r'), issue: (i) => none.push(i.message) });
    assert.deepEqual(none, ['no <Event> element found']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('UserData fields, unnamed Data and rendered messages become record fields', () => {
  const ev = parseXmlElement(`<Event><System><Provider Name="PowerShell"/><EventID Qualifiers="0">800</EventID><Channel>Windows PowerShell</Channel><Computer>PC</Computer></System>
<EventData><Data>Get-Date</Data><Data>Details: CommandInvocation(Get-Date): "Get-Date"</Data></EventData>
<UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserName>alice</SubjectUserName></LogFileCleared></UserData>
<RenderingInfo Culture="en-US"><Message>Pipeline execution details</Message></RenderingInfo></Event>`);
  const r = recordFromEventXml(ev, 'x.xml');
  assert.equal(r.eventId, 800);
  assert.equal(r.data['0'], 'Get-Date');
  assert.equal(r.data['1'], 'Details: CommandInvocation(Get-Date): "Get-Date"');
  assert.equal(r.data.SubjectUserName, 'alice');
  assert.equal(r.data.Message, 'Pipeline execution details');
  assert.equal(r.where, 'x.xml');
});
