// TLS certificate rotation without re-enrolling: an administrator prepares the next certificate (generated, or
// given); while agents still talk to the current one, every heartbeat answer carries it signed with the console's
// policy key (which agents pinned at enrollment), and agents add it to their pins and report which they hold. Once
// the endpoints have it, the administrator activates it: the console switches its certificate in place (no restart)
// and agents keep connecting. Agents offline during the whole announcement need `omamori agent enroll` again.
import { tlsAnnouncementPayload, type SignedTlsAnnouncement, type TlsAnnouncement } from '@omamori/policy';
import type { Ctx } from './context.ts';
import { certFingerprint } from './tls.ts';

export interface TlsMaterialPair { cert: string; key: string }

/** The running server's certificate, and switching it (server.ts makes it; absent without TLS). */
export interface TlsController {
  fingerprint(): string;
  /** Serves `m` from now on (new connections); `persist` says whether the key store holds the certificate. */
  switchTo(m: TlsMaterialPair): void;
  /** The certificate comes from the key store (generated), not from --tls-cert files. */
  readonly stored: boolean;
}

interface NextStored { cert: string; key?: string; announcedAt: number }

export async function readNext(ctx: Ctx): Promise<(NextStored & { fingerprint: string }) | undefined> {
  const raw = await ctx.keys.read('tls-next');
  if (!raw) return undefined;
  const n = JSON.parse(raw) as NextStored;
  return { ...n, fingerprint: certFingerprint(n.cert) };
}

// The signed announcement depends only on the stored next certificate: cached by its fingerprint.
let cached: { fp: string; signed: SignedTlsAnnouncement } | undefined;

/** What a heartbeat answer carries: the next certificate, unless the agent already pins it. */
export async function tlsAnnouncementFor(ctx: Ctx, pins: string[] | undefined): Promise<SignedTlsAnnouncement | undefined> {
  const next = await readNext(ctx);
  if (!next) return undefined;
  const norm = (f: string) => f.replace(/[^0-9a-f]/gi, '').toUpperCase();
  if (pins?.some((p) => norm(p) === norm(next.fingerprint))) return undefined;
  if (cached?.fp !== next.fingerprint) {
    const announcement: TlsAnnouncement = { certPem: next.cert, fingerprint: next.fingerprint, announcedAt: next.announcedAt };
    cached = { fp: next.fingerprint, signed: { announcement, signature: ctx.signingKey.sign(tlsAnnouncementPayload(announcement)) } };
  }
  return cached.signed;
}

export async function storeNext(ctx: Ctx, m: { cert: string; key?: string }): Promise<string> {
  const fingerprint = certFingerprint(m.cert);
  await ctx.keys.replace('tls-next', JSON.stringify({ cert: m.cert, ...(m.key ? { key: m.key } : {}), announcedAt: ctx.now() } satisfies NextStored));
  ctx.wake.changed();
  return fingerprint;
}
