// @omamori/console: the management console — Fastify app, store (SQLite | PostgreSQL), TLS, policy signing.
export { buildApp, type AppOptions } from './app.ts';
export { startConsole, type ConsoleOptions, type RunningConsole } from './server.ts';
export { openStore, type Store } from './db/open.ts';
export { prepareSetup } from './routes/auth.ts';
export { certFingerprint, generateSelfSigned } from './tls.ts';
export type { Ctx, User, Limits } from './context.ts';
export type { Role } from './db/schema.ts';
export { prepareLocalEnrollment, type LocalEnrollment } from './local-enrollment.ts';
export type { AlertTransports } from './alerts/dispatcher.ts';
export { totpCode, TOTP_STEP_MS } from './totp.ts';
