// @omamori/native: the kernel conversation for Linux enforcement (fanotify launch control, Landlock launcher).
// Mechanism only: no policy. Loading never fails; check nativeAvailable() before creating a listener.
export { nativeAvailable, type NativeAvailability } from './load.ts';
export {
  createFanotifyListener,
  type FailMode,
  type FailureRecord,
  type FastExecRule,
  type FollowMounts,
  type MarkedFilesystem,
  type OpenEvents,
  type RespondResult,
  type FanotifyListener,
  type FanotifyListenerOptions,
  type FanotifyStats,
  type PermissionEvent,
} from './fanotify.ts';
export {
  buildLandlockRuleset,
  landlockAbi,
  launcherArgs,
  launcherLabel,
  launcherPath,
  type LandlockFsRight,
  type LandlockPath,
  type LandlockRulesetSpec,
} from './landlock.ts';
export { sdNotify, type SdNotifyResult } from './sd-notify.ts';
