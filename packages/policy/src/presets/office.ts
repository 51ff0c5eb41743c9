// Preset `office`: the default for an office PC (Linux or Windows desktop). Kept as YAML text so
// `omamori policy show office` prints exactly what the engine runs and it can be copied and edited.

export const office = `# omamori preset "office" — the default for office PCs.
omamori: 1
name: office
version: 1
description: >-
  Office PC. Nothing in user space starts unless trusted; mail, browsers, office suites, PDF readers, archivers
  and script hosts (including PowerShell) run guarded with everything they start: no shells, script hosts or download tools, no writes
  to system space, autostart locations or other applications' settings, no reads of keys and credential or mail
  stores, no access to other processes. Fails open if a decision is late, so the PC never freezes.
mode: enforce
failMode: open
decisionTimeoutMs: 250
userSpace:
  probe: true
  paths: ["@user-space"]
  systemFolders: ["%WINDIR%/**", "%PROGRAMFILES%/**", "%PROGRAMFILES(X86)%/**"]
trust:
  packageManager: true
  hashes: []
  paths: []
  publishers:
    - { signer: Microsoft Windows, launch: normal }
    - { signer: Microsoft Corporation, launch: normal }
    - { signer: Microsoft Windows Publisher, launch: normal }
    - { signer: Adobe Inc., launch: normal }
    - { signer: Google LLC, launch: normal }
    - { signer: Mozilla Corporation, launch: normal }
  exceptions: []
guarded:
  applications:
    - id: mail
      kind: mail
      names: [thunderbird, thunderbird-bin, evolution, geary, outlook.exe, olk.exe, thunderbird.exe, hxoutlook.exe]
      profiles: ["~/.thunderbird/**", "~/.cache/thunderbird/**", "~/.config/evolution/**", "~/.local/share/evolution/**",
                 "~/.cache/evolution/**", "%LOCALAPPDATA%/Microsoft/Outlook/**", "%APPDATA%/Microsoft/Outlook/**",
                 "%APPDATA%/Thunderbird/**", "%USERPROFILE%/Documents/Outlook Files/**"]
    - id: browser
      kind: browser
      names: [firefox, firefox-esr, firefox-bin, chromium, chromium-browser, chrome, google-chrome, microsoft-edge,
              brave, epiphany, firefox.exe, chrome.exe, msedge.exe, iexplore.exe, brave.exe]
      profiles: ["~/.mozilla/**", "~/.cache/mozilla/**", "~/.config/chromium/**", "~/.cache/chromium/**",
                 "~/.config/google-chrome/**", "~/.cache/google-chrome/**", "~/.config/microsoft-edge/**",
                 "%LOCALAPPDATA%/Google/Chrome/**", "%LOCALAPPDATA%/Microsoft/Edge/**", "%APPDATA%/Mozilla/**",
                 "%LOCALAPPDATA%/Mozilla/**"]
    - id: office
      kind: office
      names: [soffice.bin, soffice, libreoffice, oosplash, abiword, gnumeric, onlyoffice-desktopeditors,
              winword.exe, excel.exe, powerpnt.exe, msaccess.exe, mspub.exe, visio.exe, onenote.exe, wordpad.exe]
      profiles: ["~/.config/libreoffice/**", "~/.cache/libreoffice/**", "%APPDATA%/Microsoft/Office/**",
                 "%APPDATA%/Microsoft/Word/**", "%APPDATA%/Microsoft/Excel/**", "%LOCALAPPDATA%/Microsoft/Office/**"]
    - id: pdf
      kind: pdf
      names: [evince, okular, atril, xreader, qpdfview, mupdf, acrord32.exe, acrobat.exe, foxitpdfreader.exe,
              sumatrapdf.exe]
      profiles: ["~/.config/evince/**", "~/.local/share/evince/**", "~/.config/okular*/**", "~/.local/share/okular/**",
                 "%APPDATA%/Adobe/**", "%LOCALAPPDATA%/Adobe/**"]
    - id: archiver
      kind: archiver
      names: [file-roller, ark, engrampa, xarchiver, 7z.exe, 7zfm.exe, 7zg.exe, winrar.exe, lhaplus.exe, explzh.exe,
              lhaz.exe, cubeice.exe]
      profiles: ["~/.config/file-roller/**", "%APPDATA%/Lhaplus/**"]
    - id: script-host
      kind: script-host
      names: [wscript.exe, cscript.exe, mshta.exe, hh.exe, powershell.exe, pwsh.exe, powershell_ise.exe]
  deniedChildren: ["@shells", "@script-hosts", "@lolbins", "@downloaders"]
  allowedChildren: [xdg-open, xdg-email, gio]
  writeProtect: ["@system", "@autostart", "~/.config/**", "~/.local/bin/**", "~/.local/share/applications/**",
                 "%APPDATA%/Microsoft/Windows/Start Menu/**"]
  writable: ["~/Documents/**", "~/Downloads/**", "~/Desktop/**", "~/Pictures/**", "~/.cache/**", "/tmp/**",
             "/var/tmp/**", "/dev/shm/**"]
  readProtect: ["@private"]
  processProtection: true
persistence:
  denyUserSpaceCode: true
  denySystemHooks: true
  trustedInstallers: ["%WINDIR%/servicing/TrustedInstaller.exe", "%WINDIR%/WinSxS/**/TiWorker.exe",
                      "%WINDIR%/System32/msiexec.exe", "%WINDIR%/SysWOW64/msiexec.exe"]
`;
