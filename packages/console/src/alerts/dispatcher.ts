// Sends alerts without ever delaying the request that caused them: notify() composes the message and queues it per
// channel; each channel sends one at a time, at most `perMinute` per minute (the rest are counted and mentioned in
// the next alert that goes out). The state of each channel (sent, suppressed, last error) is kept for the settings
// page. Rate limits are per console process.
import { Value } from '@sinclair/typebox/value';
import type { Ctx } from '../context.ts';
import { AlertConfigSchema, DEFAULT_ALERTS, type AlertConfig } from './config.ts';
import { composeAlert, type AlertInput, type AlertMessage } from './message.ts';
import { sendMail } from './smtp.ts';
import { sendSyslog } from './syslog.ts';
import { sendWebhook } from './webhook.ts';

export type Channel = 'webhook' | 'syslog' | 'email';
export const CHANNELS: readonly Channel[] = ['webhook', 'syslog', 'email'];

export interface AlertTransports {
  webhook(cfg: NonNullable<AlertConfig['webhook']>, m: AlertMessage): Promise<void>;
  syslog(cfg: NonNullable<AlertConfig['syslog']>, m: AlertMessage): Promise<void>;
  email(cfg: NonNullable<AlertConfig['email']>, m: AlertMessage): Promise<void>;
}
export const REAL_TRANSPORTS: AlertTransports = { webhook: sendWebhook, syslog: sendSyslog, email: sendMail };

export interface ChannelStatus { channel: Channel; configured: boolean; sent: number; failed: number; suppressed: number; lastSentAt: number | null; lastError: string | null; lastErrorAt: number | null }

export interface AlertDispatcher {
  notify(a: AlertInput): void;
  /** Reads the configuration again (after a change). */
  reload(): Promise<void>;
  config(): Promise<AlertConfig>;
  save(c: AlertConfig): Promise<void>;
  status(): ChannelStatus[];
  /** Sends a test alert to every configured channel now (no rate limit) and reports each result. */
  test(by: string): Promise<{ channel: Channel; ok: boolean; error?: string }[]>;
  /** Resolves when every queued alert was sent or failed. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createAlertDispatcher(ctx: Pick<Ctx, 'keys' | 'now'>, transports: AlertTransports = REAL_TRANSPORTS): AlertDispatcher {
  let cfg: AlertConfig | undefined;
  let loading: Promise<AlertConfig> | undefined;
  const state = new Map<Channel, ChannelStatus & { windowStart: number; inWindow: number; pendingSuppressed: number; chain: Promise<void> }>();
  for (const c of CHANNELS) state.set(c, { channel: c, configured: false, sent: 0, failed: 0, suppressed: 0, lastSentAt: null, lastError: null, lastErrorAt: null, windowStart: 0, inWindow: 0, pendingSuppressed: 0, chain: Promise.resolve() });
  let closed = false;

  const load = async (): Promise<AlertConfig> => {
    const raw = await ctx.keys.read('alerts-config');
    let c: AlertConfig = DEFAULT_ALERTS;
    if (raw) { try { const v = JSON.parse(raw) as unknown; if (Value.Check(AlertConfigSchema, v)) c = v; } catch { /* unreadable: defaults */ } }
    cfg = c;
    for (const ch of CHANNELS) state.get(ch)!.configured = !!c[ch];
    return c;
  };
  const config = () => cfg ? Promise.resolve(cfg) : (loading ??= load());

  const send = (ch: Channel, c: AlertConfig, m: AlertMessage): Promise<void> => {
    if (ch === 'webhook') return transports.webhook(c.webhook!, m);
    if (ch === 'syslog') return transports.syslog(c.syslog!, m);
    return transports.email(c.email!, m);
  };

  const queue = (ch: Channel, c: AlertConfig, a: AlertInput) => {
    const s = state.get(ch)!;
    const now = ctx.now();
    if (now - s.windowStart >= 60_000) { s.windowStart = now; s.inWindow = 0; }
    if (s.inWindow >= c.perMinute) { s.suppressed++; s.pendingSuppressed++; return; }
    s.inWindow++;
    const m = composeAlert(a, c.lang, now, s.pendingSuppressed);
    s.pendingSuppressed = 0;
    s.chain = s.chain.then(async () => {
      if (closed) return;
      try { await send(ch, c, m); s.sent++; s.lastSentAt = ctx.now(); } catch (e) {
        s.failed++; s.lastError = (e as Error).message.slice(0, 500); s.lastErrorAt = ctx.now();
      }
    });
  };

  return {
    notify(a) {
      if (closed) return;
      void config().then((c) => {
        if ((a.kind === 'block' && !c.onBlock) || (a.kind === 'incident' && !c.onIncident)) return;
        for (const ch of CHANNELS) if (c[ch]) queue(ch, c, a);
      }).catch(() => { /* the key store is away: no alert, nothing else breaks */ });
    },
    async reload() { loading = undefined; cfg = undefined; await config(); },
    config,
    async save(c) { await ctx.keys.replace('alerts-config', JSON.stringify(c)); await this.reload(); },
    status: () => CHANNELS.map((c) => {
      const { windowStart: _w, inWindow: _i, pendingSuppressed: _p, chain: _c, ...rest } = state.get(c)!;
      return rest;
    }),
    async test(by) {
      const c = await config();
      const out: { channel: Channel; ok: boolean; error?: string }[] = [];
      for (const ch of CHANNELS) {
        if (!c[ch]) continue;
        try { await send(ch, c, composeAlert({ kind: 'test', by }, c.lang, ctx.now())); out.push({ channel: ch, ok: true }); } catch (e) { out.push({ channel: ch, ok: false, error: (e as Error).message }); }
      }
      return out;
    },
    async flush() { await Promise.all(CHANNELS.map((c) => state.get(c)!.chain)); },
    async close() { await Promise.race([Promise.all(CHANNELS.map((c) => state.get(c)!.chain)), new Promise((r) => setTimeout(r, 2000).unref())]); closed = true; },
  };
}
