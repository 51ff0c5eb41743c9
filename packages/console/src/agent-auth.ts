// Verifies a signed agent request: known and not revoked agent, timestamp within the replay window, nonce never seen
// (kept in the database for the window, so a replay to another console process fails too), Ed25519 signature over
// method + path + time + nonce + SHA-256 of the raw body (see requestSigningPayload in @omamori/policy).
// Two steps, so a stranger cannot make the console read a large body: `verifyAgentHeaders` runs before the body is
// read. When the agent sends the body's hash in a header (x-omamori-content-sha256), the signature is checked right
// there and the body may be as large as the route allows; the body read later must match that hash
// (`verifyAgentBody`). Without the header the signature can only be checked after reading, so the body may be at
// most PROTOCOL_LIMITS.unverifiedBodyBytes.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AGENT_HEADERS, PROTOCOL_LIMITS, REPLAY_WINDOW_MS, requestSigningPayload } from '@omamori/policy';
import type { Ctx } from './context.ts';
import type { AgentRow } from './db/schema.ts';
import { ApiFailure } from './errors.ts';
import { safeEqual, sha256Hex } from './secrets.ts';

// Derived from immutable public keys only: a cache, not state.
const keyCache = new Map<string, KeyObject>();
function publicKey(b64: string): KeyObject {
  let k = keyCache.get(b64);
  if (!k) {
    k = createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
    if (keyCache.size > 50_000) keyCache.clear();
    keyCache.set(b64, k);
  }
  return k;
}

export function parsePublicKey(b64: string): KeyObject | undefined {
  try {
    const k = publicKey(b64);
    return k.asymmetricKeyType === 'ed25519' ? k : undefined;
  } catch { return undefined; }
}

export function verifyWith(keyB64: string, payload: string, sigB64: string): boolean {
  try { return verify(null, Buffer.from(payload), publicKey(keyB64), Buffer.from(sigB64, 'base64')); } catch { return false; }
}

let calls = 0;

interface Signed { id: string; time: number; nonce: string; sig: string }

function signedHeaders(req: FastifyRequest): Signed {
  const h = (name: string) => { const v = req.headers[name]; return typeof v === 'string' ? v : undefined; };
  const id = h(AGENT_HEADERS.agent); const time = Number(h(AGENT_HEADERS.time)); const nonce = h(AGENT_HEADERS.nonce);
  const sig = h(AGENT_HEADERS.signature);
  if (!id || !nonce || !sig || !Number.isFinite(time)) throw new ApiFailure('AGENT_AUTH', { detail: 'missing signature headers' });
  if (id.length > 64) throw new ApiFailure('AGENT_AUTH', { detail: 'bad agent id' });
  if (nonce.length < 16 || nonce.length > 64) throw new ApiFailure('AGENT_AUTH', { detail: 'bad nonce' });
  if (sig.length > 200) throw new ApiFailure('AGENT_AUTH', { detail: 'bad signature' });
  return { id, time, nonce, sig };
}

function hasBody(req: FastifyRequest): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

async function check(ctx: Ctx, req: FastifyRequest, s: Signed, agent: AgentRow, bodySha256: string): Promise<void> {
  const payload = requestSigningPayload(req.method, req.url, s.time, s.nonce, bodySha256);
  let good = verifyWith(agent.public_key, payload, s.sig);
  if (good && agent.prev_public_key) {
    // The agent signs with its new key: the old one is no longer accepted.
    await ctx.db.updateTable('agents').set({ prev_public_key: null }).where('id', '=', agent.id).execute();
  } else if (!good && agent.prev_public_key) good = verifyWith(agent.prev_public_key, payload, s.sig);
  if (!good) throw new ApiFailure('AGENT_AUTH', { detail: 'bad signature' });
  if (agent.revoked_at !== null) throw new ApiFailure('AGENT_REVOKED');
  const ins = await ctx.db.insertInto('nonces').values({ agent_id: agent.id, nonce: s.nonce, expires_at: s.time + REPLAY_WINDOW_MS })
    .onConflict((oc) => oc.columns(['agent_id', 'nonce']).doNothing()).executeTakeFirst();
  if (Number(ins.numInsertedOrUpdatedRows ?? 0n) === 0) throw new ApiFailure('AGENT_AUTH', { detail: 'replayed request' });
  if (++calls % 500 === 0) await ctx.db.deleteFrom('nonces').where('expires_at', '<', ctx.now() - REPLAY_WINDOW_MS).execute();
}

/**
 * Before the body is read. Sets `req.agentId`, and `req.bodyMax` to what the route allows when the signature is
 * already verified (bodyless request or content-hash header), else to the small unverified limit.
 */
export async function verifyAgentHeaders(ctx: Ctx, req: FastifyRequest, routeLimit: number): Promise<void> {
  const s = signedHeaders(req);
  if (Math.abs(ctx.now() - s.time) > REPLAY_WINDOW_MS) throw new ApiFailure('AGENT_AUTH', { detail: 'timestamp outside the replay window (check the clock)' });
  const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', s.id).executeTakeFirst();
  if (!agent) throw new ApiFailure('AGENT_AUTH', { detail: 'unknown agent' });
  req.agentId = agent.id;
  const claimed = req.headers[AGENT_HEADERS.contentSha256];
  if (!hasBody(req)) {
    await check(ctx, req, s, agent, typeof claimed === 'string' ? claimed : '');
    req.agentBodySha256 = typeof claimed === 'string' ? claimed : '';
    req.bodyMax = 0;
  } else if (typeof claimed === 'string' && /^[0-9a-f]{64}$/.test(claimed)) {
    await check(ctx, req, s, agent, claimed);
    req.agentBodySha256 = claimed;
    req.bodyMax = routeLimit;
  } else {
    req.agentBodyPending = true;
    req.bodyMax = Math.min(routeLimit, PROTOCOL_LIMITS.unverifiedBodyBytes);
  }
}

/** After the body is read: the signature of an agent without the hash header, or the body matching the signed hash. */
export async function verifyAgentBody(ctx: Ctx, req: FastifyRequest): Promise<void> {
  const actual = req.rawBody ? sha256Hex(req.rawBody) : '';
  if (req.agentBodyPending) {
    const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', req.agentId!).executeTakeFirstOrThrow();
    await check(ctx, req, signedHeaders(req), agent, actual);
    req.agentBodyPending = false;
    return;
  }
  if (req.agentBodySha256 !== undefined && !safeEqual(req.agentBodySha256, actual)) throw new ApiFailure('AGENT_AUTH', { detail: 'the body does not match its signed hash' });
}
