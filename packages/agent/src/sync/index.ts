// The agent's console sync: enrollment, signed requests over a pinned TLS connection, signed-policy checks, the
// event spool and the sync loop. Exported on its own; `omamori agent enroll|run` wires it to the Linux agent.
export { enrollAgent, createSyncClient, AGENT_VERSION, type EnrollOptions, type SyncClient, type SyncClientOptions } from './client.ts';
export { loadEnrollment, type Enrollment } from './identity.ts';
export { checkSignedPolicy, loadSavedPolicy, POLICY_TEXT_FILE, SIGNED_POLICY_FILE, type PolicyCheck } from './policy-check.ts';
export { openSpool, type Spool, type SpoolInput } from './spool.ts';
export { pullLocalEvents } from './event-source.ts';
export { SyncError, fetchCertificate, normalizeFingerprint } from './transport.ts';
export { checkSignedTask, createTaskRunner, type TaskHandler, type TaskHandlers, type TaskRunner } from './tasks.ts';
