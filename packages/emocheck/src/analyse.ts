// The Emotet check as one pure function: snapshot in, findings and verdict out. No I/O, no clock.
import type { Snapshot } from './snapshot.ts';
import type { Analysis, Finding } from './findings.ts';
import { checkV1, checkV2 } from './emocheck-v1-v2.ts';
import { checkV3, checkV4, checkV5 } from './emocheck-v3-v5.ts';
import { autostartEntries, checkLoader2022, checkUserSpaceAutostart } from './autostart-checks.ts';

const SEVERITY_ORDER = { infected: 0, review: 1 } as const;

export function analyseSnapshot(snap: Snapshot): Analysis {
  const serial = parseInt(snap.systemVolumeSerial, 16) >>> 0;
  const v1 = checkV1(snap, serial);
  const v2 = checkV2(snap, serial);
  const entries = autostartEntries(snap);
  const emocheck: Finding[] = [...v1.findings, ...v2.findings, ...checkV3(snap), ...checkV4(snap), ...checkV5(snap)];
  const specific = [...emocheck, ...checkLoader2022(snap, entries, emocheck)];
  const findings = [...specific, ...checkUserSpaceAutostart(snap, entries, specific)]
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
  // PIDs 0 and 4 (Idle, System) never have an image path or command line.
  const unreadable = snap.processes.filter((p) => p.pid > 4 && (p.imagePath === null || p.commandLine === null)).length;
  const limitations: Analysis['limitations'] = [];
  if (!snap.host.isAdmin) limitations.push({ code: 'NOT_ADMIN', count: 0 });
  if (unreadable > 0) limitations.push({ code: 'PROCESS_DETAILS_UNREADABLE', count: unreadable });
  if (snap.collector.languageMode === 'ConstrainedLanguage') limitations.push({ code: 'CONSTRAINED_LANGUAGE', count: 0 });
  return {
    verdict: findings.some((f) => f.severity === 'infected') ? 'infected' : 'clean',
    findings,
    computed: { v1Name: v1.name, v2Names: v2.names },
    limitations,
  };
}
