// Windows event logs for the evidence bundle: each channel exported whole with `wevtutil epl` (a consistent copy
// of the live log, which Windows keeps locked) into a private directory. Runs only on Windows; the runner is
// injected so the command lines are testable anywhere.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ExtraFile } from './collect.ts';
import type { CollectProblem } from './manifest.ts';

export const WINDOWS_CHANNELS = [
  'System', 'Security', 'Application', 'Microsoft-Windows-Sysmon/Operational', 'Microsoft-Windows-PowerShell/Operational',
  'Windows PowerShell', 'Microsoft-Windows-TaskScheduler/Operational', 'Microsoft-Windows-Windows Defender/Operational',
  'Microsoft-Windows-CodeIntegrity/Operational', 'Microsoft-Windows-AppLocker/EXE and DLL',
];

export type CommandRunner = (file: string, args: string[]) => { code: number; stderr: string };
export const runCommand: CommandRunner = (file, args) => {
  const r = spawnSync(file, args, { encoding: 'utf8', windowsHide: true, timeout: 10 * 60_000 });
  return { code: r.error ? 127 : r.status ?? 1, stderr: r.error ? r.error.message : r.stderr };
};

export function exportWindowsEventLogs(dir: string, run: CommandRunner = runCommand, channels = WINDOWS_CHANNELS): { files: ExtraFile[]; problems: CollectProblem[] } {
  const files: ExtraFile[] = [];
  const problems: CollectProblem[] = [];
  for (const ch of channels) {
    const safe = ch.replace(/[^A-Za-z0-9.-]+/g, '_');
    const path = join(dir, `${safe}.evtx`);
    const r = run('wevtutil.exe', ['epl', ch, path]);
    if (r.code === 0) files.push({ name: `windows/evtx/${safe}.evtx`, kind: 'windows-evtx', path, note: `wevtutil epl "${ch}"` });
    else problems.push({ code: 'WINDOWS_SOURCE_FAILED', path: ch, message: r.stderr.trim().split('\n')[0] || `wevtutil exited ${r.code}` });
  }
  return { files, problems };
}
