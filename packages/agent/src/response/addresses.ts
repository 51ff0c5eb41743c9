// Network peers named on the command line: `HOST[:PORT]`, `[V6]:PORT`, `ADDR[/PREFIX]`. Parsing returns a problem
// text instead of throwing; host names are resolved once, before isolation cuts DNS.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export interface Peer { address: string; family: 4 | 6; prefix: number; port?: number }
export interface PeerSpec { host: string; port?: number }

/** `HOST[:PORT]` (IPv6 with a port needs brackets; a bare IPv6 address has no port). */
export function parseHostPort(text: string): PeerSpec | string {
  let host = text, port: string | undefined;
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (br) { host = br[1]!; port = br[2]; }
  else if (isIP(text) === 6) host = text;
  else if (text.includes(':')) { host = text.slice(0, text.lastIndexOf(':')); port = text.slice(text.lastIndexOf(':') + 1); }
  if (!host || /[\s/]/.test(host)) return `'${text}' is not HOST[:PORT]`;
  if (port === undefined) return { host };
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) return `'${text}': port must be 1-65535`;
  return { host, port: n };
}

/** `ADDR` or `ADDR/PREFIX` (literal addresses only). */
export function parseCidr(text: string): Peer | string {
  const [addr, pfx, more] = text.split('/');
  const family = isIP(addr ?? '');
  if (more !== undefined || (family !== 4 && family !== 6)) return `'${text}' is not an IP address or ADDR/PREFIX`;
  const max = family === 4 ? 32 : 128;
  const prefix = pfx === undefined ? max : Number(pfx);
  if (pfx !== undefined && (!/^\d+$/.test(pfx) || prefix > max)) return `'${text}': prefix must be 0-${max}`;
  return { address: addr!.toLowerCase(), family: family as 4 | 6, prefix };
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;
export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/** Resolves a HOST[:PORT] to every address it has now. */
export async function resolvePeer(spec: PeerSpec, resolver: Resolver = systemResolver): Promise<Peer[]> {
  const literal = isIP(spec.host);
  const found = literal ? [{ address: spec.host, family: literal }] : await resolver(spec.host);
  const seen = new Set<string>();
  const out: Peer[] = [];
  for (const a of found) {
    if ((a.family !== 4 && a.family !== 6) || seen.has(a.address)) continue;
    seen.add(a.address);
    out.push({ address: a.address.toLowerCase(), family: a.family, prefix: a.family === 4 ? 32 : 128, ...(spec.port ? { port: spec.port } : {}) });
  }
  return out;
}

export function peerText(p: Peer): string {
  const a = p.prefix === (p.family === 4 ? 32 : 128) ? p.address : `${p.address}/${p.prefix}`;
  if (p.port === undefined) return a;
  return p.family === 6 ? `[${a}]:${p.port}` : `${a}:${p.port}`;
}
