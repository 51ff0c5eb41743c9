// Attributes of a Windows process's ancestry that the engine reads: started by the service control manager, started
// through COM or WMI activation (which re-parents a process under a system broker, away from whoever asked for it),
// running under a service account. Facts about Windows, not lists of trusted programs: an attacker gains nothing by
// naming a file like one of these.

/** The service control manager, normalised. Only it starts services; a file of that name elsewhere is not it. */
export const SERVICES_EXE = 'c:/windows/system32/services.exe';

/**
 * Whether a process was started as a COM server or by WMI: the WMI provider host itself, COM servers (started with
 * `-Embedding`, `/automation`), and the DCOM launcher service that starts them. What runs there runs for someone
 * else, so it never counts as service ancestry.
 */
export function isComOrWmiActivation(imageName: string, commandLine: string | undefined): boolean {
  if (imageName === 'wmiprvse.exe') return true;
  if (!commandLine) return false;
  if (/(?:^|\s)[-/](?:embedding|automation)\b/i.test(commandLine)) return true;
  return imageName === 'svchost.exe' && /-k\s+dcomlaunch\b/i.test(commandLine);
}

/**
 * Whether a process runs under a service account (SYSTEM, LOCAL SERVICE, NETWORK SERVICE, a computer account as
 * Security events show SYSTEM); an unknown user counts, since the ancestry was already established.
 */
export function isServiceAccount(user: string | undefined): boolean {
  if (user === undefined || user === '') return true;
  const u = user.toLowerCase();
  return /^(?:nt authority\\|nt-autorität\\|autorite nt\\)?(?:system|local service|network service|localsystem)$/.test(u)
    || /^s-1-5-(?:18|19|20)$/.test(u) || u.endsWith('$');
}
