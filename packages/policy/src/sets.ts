// Named sets a policy refers to as `@name`: program names (for child-launch rules) and path patterns (for
// protected resources). Both platforms live in one set; Windows names and paths match case-insensitively.

export const NAME_SETS: Readonly<Record<string, readonly string[]>> = {
  shells: [
    'sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox',
    'cmd.exe', 'powershell.exe', 'powershell_ise.exe', 'pwsh.exe', 'pwsh',
  ],
  'script-hosts': [
    'python', 'python2', 'python3', 'perl', 'ruby', 'php', 'lua', 'node', 'nodejs', 'tclsh', 'wish', 'osascript',
    'wscript.exe', 'cscript.exe', 'mshta.exe', 'hh.exe', 'scriptrunner.exe', 'python.exe', 'pythonw.exe',
  ],
  lolbins: [
    'regsvr32.exe', 'rundll32.exe', 'certutil.exe', 'bitsadmin.exe', 'msiexec.exe', 'installutil.exe', 'regasm.exe',
    'regsvcs.exe', 'msbuild.exe', 'wmic.exe', 'cmstp.exe', 'odbcconf.exe', 'forfiles.exe', 'schtasks.exe', 'sc.exe',
    'reg.exe', 'at.exe', 'mavinject.exe', 'msxsl.exe', 'ieexec.exe', 'presentationhost.exe', 'control.exe',
    'xwizard.exe', 'esentutl.exe', 'expand.exe', 'extrac32.exe', 'finger.exe', 'ftp.exe', 'pcalua.exe',
    'ld.so', 'ld-linux.so.2', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1', 'crontab', 'at', 'systemctl',
    'nohup', 'setsid', 'socat', 'nc', 'ncat', 'netcat', 'xterm', 'gdb', 'strace', 'xargs', 'find', 'awk',
    'gawk', 'mawk',
  ],
  downloaders: ['curl', 'wget', 'curl.exe', 'tftp', 'tftp.exe', 'scp', 'sftp', 'rsync', 'aria2c'],
};

export const PATH_SETS: Readonly<Record<string, readonly string[]>> = {
  autostart: [
    '~/.bashrc', '~/.bash_profile', '~/.bash_login', '~/.profile', '~/.zshrc', '~/.zprofile', '~/.zlogin',
    '~/.config/fish/**', '~/.config/autostart/**', '~/.config/systemd/user/**', '~/.local/share/systemd/user/**',
    '~/.config/environment.d/**', '~/.xprofile', '~/.xsessionrc', '~/.xinitrc', '~/.pam_environment',
    '/etc/profile', '/etc/profile.d/**', '/etc/bash.bashrc', '/etc/environment', '/etc/ld.so.preload',
    '/etc/xdg/autostart/**', '/etc/systemd/**', '/lib/systemd/system/**', '/usr/lib/systemd/**',
    '/etc/init.d/**', '/etc/rc.local', '/etc/cron*/**', '/etc/crontab', '/var/spool/cron/**', '/etc/anacrontab',
    '%APPDATA%/Microsoft/Windows/Start Menu/Programs/Startup/**',
    '%PROGRAMDATA%/Microsoft/Windows/Start Menu/Programs/StartUp/**',
    '%WINDIR%/System32/Tasks/**', '%WINDIR%/Tasks/**', '%WINDIR%/System32/GroupPolicy/**',
  ],
  private: [
    '~/.ssh/**', '~/.gnupg/**', '~/.pki/**', '~/.netrc', '~/.git-credentials', '~/.aws/**', '~/.kube/**',
    '~/.docker/config.json', '~/.local/share/keyrings/**', '~/.password-store/**',
    '~/.mozilla/**', '~/.thunderbird/**', '~/.config/google-chrome/**', '~/.config/chromium/**',
    '~/.config/evolution/**', '~/.local/share/evolution/**', '~/.config/microsoft-edge/**',
    '%APPDATA%/Microsoft/Credentials/**', '%LOCALAPPDATA%/Microsoft/Credentials/**', '%APPDATA%/Microsoft/Protect/**',
    '%LOCALAPPDATA%/Microsoft/Outlook/**', '%APPDATA%/Microsoft/Outlook/**', '%USERPROFILE%/Documents/Outlook Files/**',
    '%LOCALAPPDATA%/Google/Chrome/User Data/**', '%LOCALAPPDATA%/Microsoft/Edge/User Data/**',
    '%APPDATA%/Mozilla/**', '%APPDATA%/Thunderbird/**', '%USERPROFILE%/.ssh/**',
    '%WINDIR%/System32/config/SAM', '%WINDIR%/System32/config/SECURITY', '%WINDIR%/NTDS/**',
  ],
  'user-space': [
    '/home/**', '/root/**', '/tmp/**', '/var/tmp/**', '/dev/shm/**', '/run/user/**', '/media/**', '/mnt/**',
    '/run/media/**', '%USERPROFILE%/**', '%PUBLIC%/**', '%WINDIR%/Temp/**', '%PROGRAMDATA%/**',
    '%SYSTEMDRIVE%/Users/**', '//**',
    // Folders inside Windows that a standard user can write (known application-control bypass folders).
    '%WINDIR%/Tasks/**', '%WINDIR%/tracing/**', '%WINDIR%/Registration/CRMLog/**', '%WINDIR%/debug/WIA/**',
    '%WINDIR%/PLA/Reports/**', '%WINDIR%/PLA/Rules/**', '%WINDIR%/PLA/Templates/**',
    '%WINDIR%/System32/FxsTmp/**', '%WINDIR%/System32/com/dmp/**', '%WINDIR%/System32/Microsoft/Crypto/RSA/MachineKeys/**',
    '%WINDIR%/System32/spool/PRINTERS/**', '%WINDIR%/System32/spool/SERVERS/**', '%WINDIR%/System32/spool/drivers/color/**',
    '%WINDIR%/System32/Tasks/**', '%WINDIR%/System32/Tasks_Migrated/**', '%WINDIR%/System32/LogFiles/WMI/**',
    '%WINDIR%/SysWOW64/FxsTmp/**', '%WINDIR%/SysWOW64/com/dmp/**', '%WINDIR%/SysWOW64/Tasks/**',
  ],
};

/**
 * Files whose replacement is a system hook (docs/policy.md): the accessibility programs Windows starts at the
 * logon screen, as SYSTEM, before anyone logs on ("sticky keys" backdoors).
 */
export const SYSTEM_HOOK_FILES: readonly string[] = ['System32', 'SysWOW64'].flatMap((d) =>
  ['sethc.exe', 'utilman.exe', 'osk.exe', 'magnify.exe', 'narrator.exe', 'displayswitch.exe', 'atbroker.exe']
    .map((f) => `%WINDIR%/${d}/${f}`));

export function isKnownSet(ref: string): boolean {
  const name = ref.slice(1);
  return name === 'system' || name in NAME_SETS || name in PATH_SETS;
}
