// The nftables ruleset that isolates a Linux machine (pure text): its own table `inet omamori_isolate`, so it never
// edits anyone else's rules, with input/output/forward chains whose policy is drop. A packet dropped by any base
// chain is dropped, so other tables' accept rules cannot undo the isolation. Allowed: loopback; connections this
// machine opens to the console (optionally one port) and their replies; all traffic to/from `allow` peers
// (responders); DNS (53/udp+tcp) to the given servers; IPv6 neighbour discovery (without it no IPv6 peer is
// reachable at all). Replacing is atomic: add-empty + delete + define run as one `nft -f` transaction.
import type { Peer } from './addresses.ts';

export const ISOLATION_TABLE = 'omamori_isolate';
export const ISOLATION_FAMILY = 'inet';

export interface IsolationSpec { console: Peer[]; allow: Peer[]; dns: Peer[] }

function addr(p: Peer): string {
  return p.prefix === (p.family === 4 ? 32 : 128) ? p.address : `${p.address}/${p.prefix}`;
}
function ipKw(p: Peer): string { return p.family === 4 ? 'ip' : 'ip6'; }

export function buildNftRuleset(spec: IsolationSpec): string {
  const input: string[] = ['iif "lo" accept'];
  const output: string[] = ['oif "lo" accept'];
  for (const c of spec.console) {
    const k = ipKw(c), a = addr(c);
    if (c.port !== undefined) {
      output.push(`${k} daddr ${a} tcp dport ${c.port} accept comment "console"`);
      input.push(`${k} saddr ${a} tcp sport ${c.port} ct state established,related accept comment "console replies"`);
    } else {
      output.push(`${k} daddr ${a} accept comment "console"`);
      input.push(`${k} saddr ${a} ct state established,related accept comment "console replies"`);
    }
  }
  for (const p of spec.allow) {
    const k = ipKw(p), a = addr(p);
    output.push(`${k} daddr ${a} accept comment "allow"`);
    input.push(`${k} saddr ${a} accept comment "allow"`);
  }
  for (const d of spec.dns) {
    const k = ipKw(d), a = addr(d);
    output.push(`${k} daddr ${a} meta l4proto { udp, tcp } th dport 53 accept comment "dns"`);
    input.push(`${k} saddr ${a} meta l4proto { udp, tcp } th sport 53 ct state established accept comment "dns replies"`);
  }
  input.push('meta l4proto { icmp, ipv6-icmp } ct state related accept comment "errors about allowed connections (path MTU)"');
  input.push('icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept comment "ipv6 neighbour discovery"');
  output.push('icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept comment "ipv6 neighbour discovery"');
  const chain = (name: string, hook: string, rules: string[]) => [
    `  chain ${name} {`,
    `    type filter hook ${hook} priority -10; policy drop;`,
    ...rules.map((r) => `    ${r}`),
    '  }',
  ].join('\n');
  return [
    `# omamori isolate: generated ruleset (docs/response.md). Remove with: nft delete table ${ISOLATION_FAMILY} ${ISOLATION_TABLE}`,
    `table ${ISOLATION_FAMILY} ${ISOLATION_TABLE}`,
    `delete table ${ISOLATION_FAMILY} ${ISOLATION_TABLE}`,
    `table ${ISOLATION_FAMILY} ${ISOLATION_TABLE} {`,
    chain('input', 'input', input),
    chain('output', 'output', output),
    chain('forward', 'forward', []),
    '}',
    '',
  ].join('\n');
}
