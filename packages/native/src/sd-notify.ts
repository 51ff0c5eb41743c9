// systemd's readiness protocol for `Type=notify` units (packaging/systemd/omamori.service): the agent says READY=1
// once its fanotify marks are in place, so `After=omamori.service` means protected. The datagram is sent by the
// addon (csrc/sd-notify.c: Node has no unix datagram sockets). Mechanism only: the caller decides when.
import { nativeAvailable, requireAddon } from './load.ts';

export type SdNotifyResult =
  | { sent: true }
  /** Not started by systemd with NotifyAccess: there is nobody to tell (not an error). */
  | { sent: false; reason: 'no-socket' }
  | { sent: false; reason: 'error'; message: string };

/**
 * Sends `state` ("READY=1", "STOPPING=1", "STATUS=…", lines joined by '\n') to the socket in `socket`
 * (default $NOTIFY_SOCKET). Never throws: a failure is returned (systemd then reports the unit's start timing out).
 */
export function sdNotify(state: string, socket: string | undefined = process.env.NOTIFY_SOCKET): SdNotifyResult {
  if (!socket) return { sent: false, reason: 'no-socket' };
  const avail = nativeAvailable();
  if (!avail.available) return { sent: false, reason: 'error', message: avail.reason };
  const addon = requireAddon() as unknown as { sdNotify?: (socket: string, state: string) => number };
  if (typeof addon.sdNotify !== 'function') return { sent: false, reason: 'error', message: 'addon without sdNotify (rebuild @omamori/native)' };
  const r = addon.sdNotify(socket, state);
  return r === 1 ? { sent: true } : { sent: false, reason: 'error', message: `sendto ${socket}: errno ${-r}` };
}
