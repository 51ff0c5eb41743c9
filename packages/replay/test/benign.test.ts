// Benign recordings (manifest categories BENIGN and BENIGN?): under the office preset nothing is stopped for sure,
// and what holds only "unless signed" is exactly the known set docs/replay.md explains ("Benign recordings"). A
// change that adds a stop, or turns one definite, fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benignRecordings, benignTotals, measureBenign, type BenignMeasurement } from '@omamori/replay';
import { dataDir, presetPolicy } from './data.ts';

let office: Promise<BenignMeasurement[]> | undefined;
const measured = () => (office ??= measureBenign(benignRecordings(dataDir()), presetPolicy('office')));

// The stops a real machine decides by signature (docs/replay.md): rule, and a pattern of the object or image.
const EXPLAINED: [string, RegExp][] = [
  ['persistence.user-space-code', /^(MpKsl[0-9a-f]{8}|.*\\Services\\MpKsl[0-9a-f]{8}\\ImagePath)$/i], // Defender driver service
  ['persistence.user-space-code', /^mnemosyne$/i], // a memory-forensics driver installed from the desktop
  ['persistence.user-space-code', /^Pathfinder$/], // a developer's test service built in Temp
  ['launch.user-space-script', /\\Windows\\TEMP\\SDIAG_[0-9a-f-]+\\CL_Utility\.ps1$/i], // troubleshooters
  ['launch.user-space', /\\(Sysmon64|Procmon|Procmon64|OneDriveStandaloneUpdater)\.exe$/i],
];

test('benign recordings are found from the manifest (the museum week as one machine)', () => {
  const recs = benignRecordings(dataDir());
  assert.ok(recs.length >= 8, recs.map((r) => r.name).join(', '));
  assert.ok(recs.some((r) => r.name.endsWith('RathbunVM/extracted')));
  assert.ok(recs.some((r) => r.name.endsWith('samples/sysmon.evtx')));
});

test('office preset: no definite false block on any benign recording (<= 1 per 10,000 process starts)', async () => {
  const ms = await measured();
  const t = benignTotals(ms);
  assert.ok(t.starts >= 270, `${t.starts} process starts`);
  const definite = ms.flatMap((m) => m.blocks.map((b) => `${m.recording.name}: ${b.rule} ${b.image} ${b.object ?? ''}`));
  assert.deepEqual(definite, []);
  assert.ok(t.blocksPer10k <= 1);
});

test('office preset: every "unless signed" stop on benign recordings is one docs/replay.md explains', async () => {
  const ms = await measured();
  const unexplained = ms.flatMap((m) => m.unlessSigned)
    .filter((b) => !EXPLAINED.some(([rule, re]) => b.rule === rule && re.test(b.object ?? b.image)))
    .map((b) => `${b.where}: ${b.rule} ${b.image} ${b.object ?? ''}`);
  assert.deepEqual(unexplained, []);
  const t = benignTotals(ms);
  assert.equal(t.unlessSigned, 35, 'the count docs/replay.md gives');
});

test('benign recordings: nothing from a guarded application is refused', async () => {
  const ms = await measured();
  const guarded = ms.flatMap((m) => [...m.blocks, ...m.unlessSigned]).filter((b) => b.rule.startsWith('guarded.'));
  assert.deepEqual(guarded.map((b) => `${b.rule} ${b.image}`), []);
});
