// Alert settings: which events raise an alert (real blocks, new incidents), how many alerts a channel may send per
// minute, and the channels — a webhook (JSON), syslog (RFC 5424 over TCP or TLS) and e-mail (SMTP, optionally
// STARTTLS or implicit TLS, optionally AUTH PLAIN). Kept in the key store (they may hold a password or a webhook
// secret), never shown back in full (secrets come back as `set: true`).
import { Type, type Static } from '@sinclair/typebox';

const Pem = Type.String({ maxLength: 20_000, pattern: '-----BEGIN CERTIFICATE-----' });
const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]_-]+$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const AlertConfigSchema = Type.Object({
  onBlock: Type.Boolean({ default: true }),
  onIncident: Type.Boolean({ default: true }),
  /** Alerts per channel per minute; the rest are counted and mentioned in the next alert. */
  perMinute: Type.Integer({ minimum: 1, maximum: 600, default: 10 }),
  lang: Type.Union([Type.Literal('ja'), Type.Literal('en')], { default: 'ja' }),
  webhook: Type.Optional(Type.Object({
    url: Type.String({ maxLength: 2000, pattern: '^https?://' }),
    /** HMAC-SHA256 key: the body's signature goes in `x-omamori-signature: sha256=…`. */
    secret: Type.Optional(Type.String({ maxLength: 500 })),
    caPem: Type.Optional(Pem),
  }, { additionalProperties: false })),
  syslog: Type.Optional(Type.Object({
    host: Host, port: Port, transport: Type.Union([Type.Literal('tcp'), Type.Literal('tls')]),
    /** The receiver's certificate or CA (TLS); without it the system's CAs. */
    caPem: Type.Optional(Pem),
    /** Name the receiver's certificate must carry (default: host). */
    serverName: Type.Optional(Type.String({ maxLength: 253 })),
    facility: Type.Integer({ minimum: 0, maximum: 23, default: 13 }),
    appName: Type.String({ minLength: 1, maxLength: 48, pattern: '^[!-~]+$', default: 'omamori' }),
  }, { additionalProperties: false })),
  email: Type.Optional(Type.Object({
    host: Host, port: Port, security: Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')], { default: 'starttls' }),
    from: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s<>@]+@[^\\s<>@]+$' }),
    to: Type.Array(Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s<>@]+@[^\\s<>@]+$' }), { minItems: 1, maxItems: 20 }),
    username: Type.Optional(Type.String({ maxLength: 254 })), password: Type.Optional(Type.String({ maxLength: 500 })),
    caPem: Type.Optional(Pem),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

export type AlertConfig = Static<typeof AlertConfigSchema>;

export const DEFAULT_ALERTS: AlertConfig = { onBlock: true, onIncident: true, perMinute: 10, lang: 'ja' };

/** The configuration as shown to an administrator: secrets replaced by whether they are set. */
export function redact(c: AlertConfig): unknown {
  return {
    ...c,
    ...(c.webhook ? { webhook: { ...c.webhook, secret: undefined, secretSet: !!c.webhook.secret } } : {}),
    ...(c.email ? { email: { ...c.email, password: undefined, passwordSet: !!c.email.password } } : {}),
  };
}
