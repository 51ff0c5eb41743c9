// The ready-made policies. `office` is the default. `strict` and `audit` are written as edits of `office` so the
// three stay in step; every preset is complete YAML (what `omamori policy show NAME` prints).
import { office } from './office.ts';
import { server } from './server.ts';

export interface Preset {
  name: string;
  summary: { en: string; ja: string };
  text: string;
}

/** Applies literal edits; a missing target is a bug in this file and throws. */
function edit(text: string, edits: [string, string][]): string {
  let out = text;
  for (const [from, to] of edits) {
    if (!out.includes(from)) throw new Error(`preset edit target not found: ${from}`);
    out = out.replace(from, to);
  }
  return out;
}

const strict = edit(office, [
  ['# omamori preset "office" — the default for office PCs.', '# omamori preset "strict" — a locked-down desktop.'],
  ['name: office', 'name: strict'],
  [`description: >-
  Office PC.`, `description: >-
  Locked-down desktop (lockdown mode): nothing new runs, even from system space, unless it is owned by the package
  manager, signed by a trusted publisher or allowed by hash. On top of that, as on the office PC:`],
  ['mode: enforce', 'mode: lockdown'],
  ['failMode: open', 'failMode: closed'],
  ['Fails open if a decision is late, so the PC never freezes.', 'cmd runs guarded too. Fails closed if a decision is late.'],
  ['names: [wscript.exe, cscript.exe, mshta.exe, hh.exe, powershell.exe, pwsh.exe, powershell_ise.exe]', 'names: [wscript.exe, cscript.exe, mshta.exe, hh.exe, powershell.exe, pwsh.exe, powershell_ise.exe, cmd.exe]'],
  ['allowedChildren: [xdg-open, xdg-email, gio]', 'allowedChildren: [xdg-open]'],
]);

const audit = edit(office, [
  ['# omamori preset "office" — the default for office PCs.', '# omamori preset "audit" — observe only.'],
  ['name: office', 'name: audit'],
  [`description: >-
  Office PC.`, `description: >-
  Audit only: the office PC's rules, but nothing is blocked; every launch or action they would stop is logged as
  would-deny with its reason and lineage. Start here, review the log, then switch to office.`],
  ['mode: enforce', 'mode: audit'],
]);

export const PRESETS: readonly Preset[] = [
  {
    name: 'office',
    summary: {
      en: 'Office PC (default): user-space launch control; mail, browsers, office, PDF, archivers and script hosts (PowerShell too) guarded; fails open.',
      ja: '事務用 PC (既定): ユーザー領域の起動制御。メール・ブラウザー・Office・PDF・圧縮解凍・スクリプトホスト (PowerShell を含む) を保護下で実行。遅延時は許可。',
    },
    text: office,
  },
  {
    name: 'strict',
    summary: {
      en: 'Locked-down desktop: lockdown mode (only package-owned, signed or hash-trusted code runs), cmd guarded too, fails closed.',
      ja: 'ロックダウン端末: パッケージ管理・署名・ハッシュで信頼されたものだけ実行。cmd も保護下。遅延時は拒否。',
    },
    text: strict,
  },
  {
    name: 'server',
    summary: {
      en: 'Linux server: network-facing services (web, mail, DNS, databases, file sharing) guarded; user-space launch control.',
      ja: 'Linux サーバー: ネットワークに面したサービス (Web・メール・DNS・DB・ファイル共有) を保護下で実行。ユーザー領域の起動制御。',
    },
    text: server,
  },
  {
    name: 'audit',
    summary: {
      en: 'Audit only: the office rules, nothing blocked, every would-be block logged. Start here.',
      ja: '監査のみ: office と同じ規則で何も止めず、止めるはずだったものを記録。導入時はここから。',
    },
    text: audit,
  },
];

export const DEFAULT_PRESET = 'office';

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
