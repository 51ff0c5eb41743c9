// @omamori/agent: the Linux agent (fanotify launch control, /proc lineage, user-space probe, package trust, local
// event store) and the Landlock containment of guarded applications.
export { createAgentListener, startAgent, type Agent, type AgentOptions, type AgentStart, type AgentStatus, type PolicyLoader } from './agent.ts';
export { createAgentRuntime, type AgentRuntime, type AgentRuntimeDeps, type AgentRuntimeStart, type ConsoleOptions, type RuntimeEnforcer, type RuntimeIsolation, type RuntimeService, type RuntimeStatus, type SignalSource } from './runtime.ts';
export { openEventStore, eventsDbPath, type EventStore, type StoredEvent, type AgentNote } from './event-store.ts';
export { createLaunchSensor, LAUNCHING_CLASS, type LaunchSensor, type LaunchSensorDeps, type KernelAnswer, type DecisionSink } from './launch-sensor.ts';
export { createDesktopNotifier, type DesktopNotifier, type DesktopNotifierOptions } from './desktop-notify.ts';
export { languageOf, scriptReadReason, type Language } from './interpreters.ts';
export { createUserSpaceProbe, type OpenedFile, type UserSpaceProbe, type UserSpaceVerdict } from './user-space-probe.ts';
export { createDpkgDb, md5File, type PackageDb } from './package-db.ts';
export { createProcReader, parseStat, readAncestors, type ProcReader, type ProcStat } from './proc.ts';
export { classifyFile, classifyHeader, type FileKind } from './file-kind.ts';
export { parseMountInfo, readMounts, localMounts, mediaKind, virtualFsTypes, execOnlyFsTypes, type MountEntry } from './mounts.ts';
export { describeEvent, lineageText } from './event-text.ts';
export { buildContainmentSpec, defaultHomes, type ContainmentOptions } from './containment.ts';
export * as windows from './windows/index.ts';
export * from './response/index.ts';
export * from './sync/index.ts';
export { findOwnInstallation, ownCodeFiles, trustOwnFiles, userSpaceWhy, type OwnFile, type OwnInstallation } from './own-installation.ts';
