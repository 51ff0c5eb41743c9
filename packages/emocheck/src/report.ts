// Renders an analysis as EmoCheck-style reports (text and JSON) in the user's language, and names the report file
// `<HOST>_<yyyymmddhhmmss>_omamori-emocheck.{txt,json}`. Pure: the caller passes the scan time and writes files.
import type { Snapshot } from './snapshot.ts';
import type { Analysis, Finding } from './findings.ts';
import { ADVICE, FINDING_TEXT, LABELS, PLACE_TEXT, type Lang } from './messages.ts';

export const EMOCHECK_VERSION = '0.1.0';
export const REPORT_FORMAT = 'omamori-emocheck-report';
export const REPORT_VERSION = 1;

export interface ReportInput {
  analysis: Analysis;
  snapshot: Snapshot;
  scanTime: Date;
  source: { kind: 'live' } | { kind: 'snapshot'; file: string };
  lang: Lang;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** yyyymmddhhmmss in local time of the machine rendering the report (as EmoCheck does). */
export function formatStamp(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}
export function formatScanTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    + ` (UTC${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)})`;
}

/** A host name fit for a file name: only letters, digits, '.', '_' and '-'. */
export function safeHostName(host: string): string {
  const s = host.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return s.length > 0 ? s.slice(0, 64) : 'UNKNOWN';
}

export function reportFileName(host: string, scanTime: Date, ext: 'txt' | 'json'): string {
  return `${safeHostName(host)}_${formatStamp(scanTime)}_omamori-emocheck.${ext}`;
}

/** Pads to a terminal width, counting East Asian wide characters as two columns. */
export function padDisplay(s: string, width: number): string {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return s + ' '.repeat(Math.max(0, width - w));
}

function resultText(a: Analysis, lang: Lang): string {
  if (a.verdict === 'clean') return LABELS.notDetected[lang];
  return a.findings.some((f) => f.severity === 'infected' && f.process) ? LABELS.detected[lang] : LABELS.detectedDormant[lang];
}

function evidenceText(f: Finding, lang: Lang): string {
  return Object.entries(f.evidence).map(([k, v]) => `${k}=${k === 'place' ? (PLACE_TEXT[v]?.[lang] ?? v) : v}`).join(', ');
}

function findingLines(f: Finding, n: number, lang: Lang): string[] {
  const L = LABELS;
  const row = (label: string, value: string): string => `     ${padDisplay(label, 16)}: ${value}`;
  const lines = [`  ${n}. ${FINDING_TEXT[f.code].title[lang]}  [${f.code}]`];
  if (f.process) {
    lines.push(row(L.processName[lang], f.process.name), row(L.pid[lang], String(f.process.pid)));
  }
  if (f.file) lines.push(row(L.imagePath[lang], f.file.path));
  else if (f.process?.imagePath) lines.push(row(L.imagePath[lang], f.process.imagePath));
  if (f.process?.commandLine) lines.push(row(L.commandLine[lang], f.process.commandLine));
  if (f.registryKey) lines.push(row(L.registryKey[lang], f.registryKey));
  if (f.autostart && f.autostart.location !== f.registryKey) lines.push(row(L.autostart[lang], f.autostart.location));
  if (f.autostart && f.autostart.command !== f.process?.commandLine) lines.push(row(L.autostartCommand[lang], f.autostart.command));
  if (f.file) lines.push(row(L.sha256[lang], f.file.sha256 ?? L.notCollected[lang]));
  lines.push(row(L.evidence[lang], evidenceText(f, lang)), row(L.why[lang], FINDING_TEXT[f.code].why[lang]));
  return lines;
}

export function renderText(r: ReportInput): string {
  const { analysis: a, snapshot: s, lang } = r;
  const L = LABELS;
  const src = r.source.kind === 'live' ? L.live[lang]
    : `${L.snapshot[lang]} ${r.source.file} (${L.collected[lang]} ${s.collectedAt}, ${s.collector.name} ${s.collector.version})`;
  const out = [
    L.title[lang], '',
    `${L.version[lang]}: omamori-emocheck ${EMOCHECK_VERSION} (EmoCheck v2.0 V1–V5 + 2022–2023 + user-space autostart)`,
    `${L.scanTime[lang]}: ${formatScanTime(r.scanTime)}`,
    `${L.host[lang]}: ${s.host.computerName}`,
    `${L.user[lang]}: ${s.host.userName} (${L.admin[lang]}: ${s.host.isAdmin ? L.yes[lang] : L.no[lang]})`,
    `${L.source[lang]}: ${src}`,
    `${L.result[lang]}: ${resultText(a, lang)}`, '',
  ];
  const infected = a.findings.filter((f) => f.severity === 'infected');
  const review = a.findings.filter((f) => f.severity === 'review');
  if (infected.length > 0) {
    out.push(`[!] ${L.infectedHead[lang]} (${infected.length})`);
    infected.forEach((f, i) => out.push(...findingLines(f, i + 1, lang), ''));
  }
  if (review.length > 0) {
    out.push(`[?] ${L.reviewHead[lang]} (${review.length})`);
    review.forEach((f, i) => out.push(...findingLines(f, i + 1, lang), ''));
    out.push(L.reviewAdvice[lang], '');
  }
  out.push(`${L.checked[lang]}:`, `  ${L.v1Name[lang]}: ${a.computed.v1Name} (serial ${s.systemVolumeSerial.toUpperCase()})`,
    `  ${L.v2Names[lang]}: ${a.computed.v2Names.length ? a.computed.v2Names.map((x) => `${x.name} (${x.key})`).join(', ') : L.none[lang]}`);
  if (a.limitations.length > 0) {
    out.push('', `${L.limits[lang]}:`);
    for (const l of a.limitations) {
      out.push(l.code === 'NOT_ADMIN' ? `  - ${L.notAdmin[lang]}` : l.code === 'CONSTRAINED_LANGUAGE' ? `  - ${L.constrained[lang]}` : `  - ${l.count} ${L.unreadable[lang]}`);
    }
  }
  if (a.verdict === 'infected') {
    out.push('', `${L.advice[lang]}:`, ...ADVICE.map((x, i) => `  ${i + 1}. ${x[lang]}`));
  }
  return out.join('\n') + '\n';
}

/** EmoCheck's JSON fields first (scan_time, hostname, emocheck_version, is_infected, emotet_processes), then ours. */
export function renderJson(r: ReportInput): string {
  const { analysis: a, snapshot: s, lang } = r;
  const emotetProcesses = a.findings.filter((f) => f.severity === 'infected' && f.process).map((f) => ({
    process_name: f.process!.name, process_id: f.process!.pid,
    image_path: f.file?.path ?? f.process!.imagePath ?? '', registry_key: f.registryKey ?? '',
  }));
  const doc = {
    scan_time: formatScanTime(r.scanTime),
    hostname: s.host.computerName,
    emocheck_version: `omamori-emocheck ${EMOCHECK_VERSION}`,
    is_infected: a.verdict === 'infected' ? 'yes' : 'no',
    emotet_processes: emotetProcesses,
    report_format: REPORT_FORMAT,
    report_version: REPORT_VERSION,
    language: lang,
    scan_time_utc: r.scanTime.toISOString(),
    result: a.verdict,
    result_text: resultText(a, lang),
    user: { name: s.host.userName, is_admin: s.host.isAdmin },
    source: r.source.kind === 'live' ? { kind: 'live' }
      : { kind: 'snapshot', file: r.source.file, collected_at: s.collectedAt, collector: s.collector, snapshot_version: s.version },
    volume_serial: s.systemVolumeSerial.toUpperCase(),
    computed: { v1_name: a.computed.v1Name, v2_names: a.computed.v2Names },
    findings: a.findings.map((f) => ({
      code: f.code, method: f.method, severity: f.severity, emocheck_equivalent: f.emocheckEquivalent,
      title: FINDING_TEXT[f.code].title[lang], why: FINDING_TEXT[f.code].why[lang],
      process: f.process, file: f.file, registry_key: f.registryKey, autostart: f.autostart, evidence: f.evidence,
    })),
    limitations: a.limitations.map((l) => ({ code: l.code, count: l.count,
      text: l.code === 'NOT_ADMIN' ? LABELS.notAdmin[lang] : l.code === 'CONSTRAINED_LANGUAGE' ? LABELS.constrained[lang] : `${l.count} ${LABELS.unreadable[lang]}` })),
    advice: a.verdict === 'infected' ? ADVICE.map((x) => x[lang]) : [],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
