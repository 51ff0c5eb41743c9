// The agent's console sync: enrollment, signed requests over a pinned TLS connection, signed-policy checks with the
// policy floor, the outbox over the agent's event store, machine facts and the sync loop. Exported on its own;
// `omamori agent enroll|run` wires it to the Linux agent.
export { enrollAgent, createSyncClient, AGENT_VERSION, type EnrollOptions, type SyncClient, type SyncClientOptions } from './client.ts';
export { loadEnrollment, allPins, type Enrollment } from './identity.ts';
export { checkSignedPolicy, loadSavedPolicy, POLICY_TEXT_FILE, PREVIOUS_POLICY_FILE, SIGNED_POLICY_FILE, type PolicyCheck, type PolicyFloor, type PolicyOrder } from './policy-check.ts';
export { createOutbox, fitEvent, toUploaded, type Outbox, type OutboxItem } from './outbox.ts';
export { openSpool, type Spool, type SpoolInput } from './spool.ts';
export { hostFacts, parseUtmp } from './host-facts.ts';
export { SyncError, fetchCertificate, normalizeFingerprint } from './transport.ts';
export { checkSignedTask, checkTaskCancel, createTaskRunner, type TaskHandler, type TaskHandlers, type TaskRunner } from './tasks.ts';
