// Verifies a signed agent request: known agent, timestamp within the replay window, nonce never seen (kept in the
// database for the window, so a replay to another console process fails too), Ed25519 signature over
// method + path + time + nonce + SHA-256 of the raw body (see requestSigningPayload in @omamori/policy).
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AGENT_HEADERS, REPLAY_WINDOW_MS, requestSigningPayload } from '@omamori/policy';
import type { Ctx } from './context.ts';
import type { AgentsTable } from './db/schema.ts';
import { ApiFailure } from './errors.ts';
import { sha256Hex } from './secrets.ts';

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

let calls = 0;

export async function verifyAgent(ctx: Ctx, req: FastifyRequest): Promise<AgentsTable> {
  const h = (name: string) => { const v = req.headers[name]; return typeof v === 'string' ? v : undefined; };
  const id = h(AGENT_HEADERS.agent); const time = Number(h(AGENT_HEADERS.time)); const nonce = h(AGENT_HEADERS.nonce);
  const sig = h(AGENT_HEADERS.signature);
  if (!id || !nonce || !sig || !Number.isFinite(time)) throw new ApiFailure('AGENT_AUTH', { detail: 'missing signature headers' });
  if (nonce.length < 16 || nonce.length > 64) throw new ApiFailure('AGENT_AUTH', { detail: 'bad nonce' });
  const now = ctx.now();
  if (Math.abs(now - time) > REPLAY_WINDOW_MS) throw new ApiFailure('AGENT_AUTH', { detail: 'timestamp outside the replay window (check the clock)' });
  const agent = await ctx.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!agent) throw new ApiFailure('AGENT_AUTH', { detail: 'unknown agent' });
  const payload = requestSigningPayload(req.method, req.url, time, nonce, req.rawBody ? sha256Hex(req.rawBody) : '');
  let good = false;
  try { good = verify(null, Buffer.from(payload), publicKey(agent.public_key), Buffer.from(sig, 'base64')); } catch { good = false; }
  if (!good) throw new ApiFailure('AGENT_AUTH', { detail: 'bad signature' });
  const ins = await ctx.db.insertInto('nonces').values({ agent_id: id, nonce, expires_at: time + REPLAY_WINDOW_MS })
    .onConflict((oc) => oc.columns(['agent_id', 'nonce']).doNothing()).executeTakeFirst();
  if (Number(ins.numInsertedOrUpdatedRows ?? 0n) === 0) throw new ApiFailure('AGENT_AUTH', { detail: 'replayed request' });
  if (++calls % 500 === 0) await ctx.db.deleteFrom('nonces').where('expires_at', '<', now - REPLAY_WINDOW_MS).execute();
  return agent;
}
