// Network isolation for Windows as a generated PowerShell pair (apply + revert), written for an administrator to run.
// Windows Firewall lets a block rule override every allow rule, and many programs ship outbound allow rules, so the
// default-action switch alone does not isolate: the apply script adds block rules (in and out) for the COMPLEMENT
// of the permitted addresses, plus allow rules for the console, all in the rule group "omamori-isolate". Revert
// deletes that group and restores each profile's Enabled setting saved by apply. Permitted peers are exempt at
// address level (a console port narrows only the allow rule, not the block). Loopback is never filtered by WFP rules.
import { peerText, type Peer } from './addresses.ts';
import type { IsolationSpec } from './isolation-rules.ts';

export const WINDOWS_RULE_GROUP = 'omamori-isolate';

function v4ToBig(a: string): bigint { return a.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n); }
function v6ToBig(a: string): bigint {
  let s = a.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) { const n = v4ToBig(v4[1]!); s = s.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`; }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}
function bigToV4(n: bigint): string { return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.'); }
function bigToV6(n: bigint): string {
  const g: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) g.push(((n >> s) & 0xffffn).toString(16));
  return g.join(':');
}

/** Address ranges NOT covered by `peers` (one family), as "first-last" strings Windows accepts in -RemoteAddress. */
export function complementRanges(peers: Peer[], family: 4 | 6): string[] {
  const bits = family === 4 ? 32n : 128n;
  const max = (1n << bits) - 1n;
  const toBig = family === 4 ? v4ToBig : v6ToBig;
  const fmt = family === 4 ? bigToV4 : bigToV6;
  const spans = peers.filter((p) => p.family === family).map((p) => {
    const host = bits - BigInt(p.prefix);
    const start = (toBig(p.address) >> host) << host;
    return [start, start + (1n << host) - 1n] as const;
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: string[] = [];
  let next = 0n;
  for (const [s, e] of spans) {
    if (s > next) out.push(`${fmt(next)}-${fmt(s - 1n)}`);
    if (e + 1n > next) next = e + 1n;
  }
  if (next <= max) out.push(`${fmt(next)}-${fmt(max)}`);
  return out;
}

function psList(items: string[]): string { return `@(${items.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')})`; }

export function buildWindowsIsolationScripts(spec: IsolationSpec, meta: { generatedAt: string; consoleRequested: string[] }): { apply: string; revert: string } {
  const loopback: Peer[] = [{ address: '127.0.0.0', family: 4, prefix: 8 }, { address: '::1', family: 6, prefix: 128 }];
  const permitted = [...spec.console, ...spec.allow, ...spec.dns, ...loopback];
  const block = [...complementRanges(permitted, 4), ...complementRanges(permitted, 6)];
  const lines = [
    `# omamori isolate — apply (generated ${meta.generatedAt}). Run as Administrator in Windows PowerShell 5.1+.`,
    `# Console: ${meta.consoleRequested.join(', ') || '(none)'}; allowed: ${spec.allow.map(peerText).join(', ') || '(none)'}; DNS: ${spec.dns.map(peerText).join(', ') || '(none)'}`,
    `# Revert with omamori-isolate-revert.ps1. See docs/response.md.`,
    '#Requires -RunAsAdministrator',
    "$ErrorActionPreference = 'Stop'",
    `$group = '${WINDOWS_RULE_GROUP}'`,
    "$stateDir = Join-Path $env:ProgramData 'omamori'",
    "$saved = Join-Path $stateDir 'isolation-profiles.xml'",
    'New-Item -ItemType Directory -Force -Path $stateDir | Out-Null',
    '# Keep the firewall profiles as they were before the first apply, for revert.',
    'if (-not (Test-Path $saved)) { Get-NetFirewallProfile | Select-Object Name, Enabled | Export-Clixml -Path $saved }',
    'Get-NetFirewallRule -Group $group -ErrorAction SilentlyContinue | Remove-NetFirewallRule',
    'Set-NetFirewallProfile -All -Enabled True',
    `$block = ${psList(block)}`,
    "New-NetFirewallRule -Group $group -DisplayName 'omamori isolate: block outbound' -Direction Outbound -Action Block -RemoteAddress $block -Profile Any | Out-Null",
    "New-NetFirewallRule -Group $group -DisplayName 'omamori isolate: block inbound' -Direction Inbound -Action Block -RemoteAddress $block -Profile Any | Out-Null",
  ];
  for (const c of spec.console) {
    const a = c.prefix === (c.family === 4 ? 32 : 128) ? c.address : `${c.address}/${c.prefix}`;
    lines.push(c.port !== undefined
      ? `New-NetFirewallRule -Group $group -DisplayName 'omamori isolate: console ${peerText(c)}' -Direction Outbound -Action Allow -RemoteAddress '${a}' -Protocol TCP -RemotePort ${c.port} -Profile Any | Out-Null`
      : `New-NetFirewallRule -Group $group -DisplayName 'omamori isolate: console ${peerText(c)}' -Direction Outbound -Action Allow -RemoteAddress '${a}' -Profile Any | Out-Null`);
  }
  for (const p of spec.allow) {
    for (const dir of ['Outbound', 'Inbound']) {
      lines.push(`New-NetFirewallRule -Group $group -DisplayName 'omamori isolate: allow ${peerText(p)} ${dir.toLowerCase()}' -Direction ${dir} -Action Allow -RemoteAddress '${p.address}/${p.prefix}' -Profile Any | Out-Null`);
    }
  }
  for (const d of spec.dns) {
    for (const proto of ['UDP', 'TCP']) {
      lines.push(`New-NetFirewallRule -Group $group -DisplayName 'omamori isolate: dns ${d.address} ${proto}' -Direction Outbound -Action Allow -RemoteAddress '${d.address}' -Protocol ${proto} -RemotePort 53 -Profile Any | Out-Null`);
    }
  }
  lines.push("Write-Output 'omamori: isolation applied (rule group omamori-isolate)'", '');
  const revert = [
    `# omamori isolate — revert (generated ${meta.generatedAt}). Run as Administrator.`,
    '#Requires -RunAsAdministrator',
    "$ErrorActionPreference = 'Stop'",
    `$group = '${WINDOWS_RULE_GROUP}'`,
    "$saved = Join-Path (Join-Path $env:ProgramData 'omamori') 'isolation-profiles.xml'",
    'Get-NetFirewallRule -Group $group -ErrorAction SilentlyContinue | Remove-NetFirewallRule',
    'if (Test-Path $saved) {',
    '  Import-Clixml -Path $saved | ForEach-Object { Set-NetFirewallProfile -Name $_.Name -Enabled $_.Enabled }',
    '  Remove-Item -Path $saved',
    '}',
    "Write-Output 'omamori: isolation removed'",
    '',
  ];
  // Windows PowerShell 5.1 reads BOM-less scripts as the ANSI code page: keep the text ASCII.
  const ascii = (s: string) => s.replace(/—/g, '-');
  return { apply: ascii(lines.join('\r\n')), revert: ascii(revert.join('\r\n')) };
}
