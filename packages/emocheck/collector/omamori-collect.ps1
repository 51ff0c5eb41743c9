# omamori-collect.ps1 - writes the omamori emocheck snapshot (format "omamori-emocheck-snapshot", version 1) of this
# Windows machine: the facts `omamori emocheck --snapshot FILE` analyses. Needs only Windows PowerShell 5.1 (no Node).
# Usage: powershell -NoProfile -ExecutionPolicy Bypass -File omamori-collect.ps1 -OutFile C:\path\snapshot.json
#        (omamori itself runs it with -Stdout and reads the JSON from standard output.)
# Output is ASCII-only JSON (other characters as \uXXXX) so no console code page can garble it.
# Field list and meaning: docs/emocheck.md, "Snapshot format". Keep in step with packages/emocheck/src/snapshot.ts.
param([string]$OutFile = '', [switch]$Stdout)

$ErrorActionPreference = 'Stop'
# Windows PowerShell 5.1 may serialise arrays as {"value":[...],"Count":n} because of extra type data.
Remove-TypeData System.Array -ErrorAction SilentlyContinue
Set-StrictMode -Version 2
$collectorVersion = '1'

function Get-FileIdOf([string]$Path) {
  # "<volume serial hex>:<file index hex>" via GetFileInformationByHandle; $null when it cannot be read.
  if (-not $script:fileIdReady) { return $null }
  try {
    $fs = [IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite, Delete')
    try {
      $info = New-Object OmamoriNative+BY_HANDLE_FILE_INFORMATION
      if ([OmamoriNative]::GetFileInformationByHandle($fs.SafeFileHandle, [ref]$info)) {
        $index = ([uint64]$info.FileIndexHigh -shl 32) -bor [uint64]$info.FileIndexLow
        return ('{0:X8}:{1:X}' -f $info.VolumeSerialNumber, $index)
      }
    } finally { $fs.Dispose() }
  } catch { }
  return $null
}

$script:fileIdReady = $false
try {
  Add-Type -ErrorAction Stop -TypeDefinition @'
using System; using System.Runtime.InteropServices; using Microsoft.Win32.SafeHandles;
public static class OmamoriNative {
  [StructLayout(LayoutKind.Sequential)] public struct BY_HANDLE_FILE_INFORMATION {
    public uint FileAttributes; public long CreationTime; public long LastAccessTime; public long LastWriteTime;
    public uint VolumeSerialNumber; public uint FileSizeHigh; public uint FileSizeLow; public uint NumberOfLinks;
    public uint FileIndexHigh; public uint FileIndexLow; }
  [DllImport("kernel32.dll", SetLastError = true)]
  public static extern bool GetFileInformationByHandle(SafeFileHandle h, out BY_HANDLE_FILE_INFORMATION info);
}
'@
  $script:fileIdReady = $true
} catch { }

function Test-MZ([string]$Path) {
  try {
    $fs = [IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite, Delete')
    try { $b = New-Object byte[] 2; $n = $fs.Read($b, 0, 2); return ($n -eq 2 -and $b[0] -eq 0x4D -and $b[1] -eq 0x5A) }
    finally { $fs.Dispose() }
  } catch { return $false }
}

function Get-Folder([Environment+SpecialFolder]$Which) { return [Environment]::GetFolderPath($Which) }

# --- host, serial, paths -------------------------------------------------------------------------------------------
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$isAdmin = (New-Object Security.Principal.WindowsPrincipal $identity).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$systemDrive = $env:SystemDrive
$volume = Get-CimInstance -ClassName Win32_LogicalDisk -Filter ("DeviceID='{0}'" -f $systemDrive)
$serial = ('{0:X8}' -f [Convert]::ToUInt32([string]$volume.VolumeSerialNumber, 16))
$is64 = [Environment]::Is64BitOperatingSystem
$sysX86 = Get-Folder 'SystemX86'
if (-not $sysX86) { $sysX86 = [Environment]::SystemDirectory }
$profilesRoot = Split-Path -Parent $env:USERPROFILE
$downloads = $null
try { $downloads = (New-Object -ComObject Shell.Application).NameSpace('shell:Downloads').Self.Path } catch { }
$pfx86 = ${env:ProgramFiles(x86)}
$paths = [ordered]@{
  systemDrive = $systemDrive; systemRoot = $env:SystemRoot; system32 = [Environment]::SystemDirectory
  systemX86 = $sysX86; localAppData = (Get-Folder 'LocalApplicationData'); appData = (Get-Folder 'ApplicationData')
  programData = (Get-Folder 'CommonApplicationData'); programFiles = $env:ProgramFiles; programFilesX86 = $pfx86
  userProfile = $env:USERPROFILE; profilesRoot = $profilesRoot; temp = [IO.Path]::GetTempPath().TrimEnd('\')
  public = $env:PUBLIC; downloads = $downloads
}
$hostInfo = [ordered]@{
  computerName = $env:COMPUTERNAME; userName = $identity.Name; isAdmin = [bool]$isAdmin; is64BitOs = [bool]$is64
  osVersion = [string][Environment]::OSVersion.VersionString
}
$driveTypes = @{ 0 = 'unknown'; 1 = 'unknown'; 2 = 'removable'; 3 = 'fixed'; 4 = 'network'; 5 = 'cdrom'; 6 = 'ram' }
$drives = @(Get-CimInstance -ClassName Win32_LogicalDisk | ForEach-Object {
  $type = $driveTypes[[int]$_.DriveType]; if (-not $type) { $type = 'unknown' }
  [ordered]@{ root = ($_.DeviceID + '\'); type = $type }
})

# --- processes (CIM gives command lines; image paths of other users' processes need admin) -------------------------
$processes = @(Get-CimInstance -ClassName Win32_Process | ForEach-Object {
  $image = $_.ExecutablePath
  $fid = $null
  if ($image) { $fid = Get-FileIdOf $image }
  [ordered]@{ pid = [int64]$_.ProcessId; ppid = [int64]$_.ParentProcessId; name = [string]$_.Name
    imagePath = $image; commandLine = $_.CommandLine; fileId = $fid }
})

# --- registry: Run/RunOnce and Explorer keys -----------------------------------------------------------------------
$regKeys = @(
  'HKCU\Software\Microsoft\Windows\CurrentVersion\Run', 'HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce',
  'HKLM\Software\Microsoft\Windows\CurrentVersion\Run', 'HKLM\Software\Microsoft\Windows\CurrentVersion\RunOnce',
  'HKLM\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Run', 'HKLM\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\RunOnce',
  'HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer', 'HKLM\Software\Microsoft\Windows\CurrentVersion\Explorer',
  'HKLM\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Explorer')
function ConvertTo-Hex([byte[]]$Bytes) { if ($null -eq $Bytes) { return '' }; return (($Bytes | ForEach-Object { $_.ToString('x2') }) -join '') }
$registry = @(foreach ($k in $regKeys) {
  $hive = if ($k.StartsWith('HKCU')) { [Microsoft.Win32.Registry]::CurrentUser } else { [Microsoft.Win32.Registry]::LocalMachine }
  $sub = $k.Substring(5)
  $key = $null
  try { $key = $hive.OpenSubKey($sub) } catch { }
  if ($null -eq $key) { continue }
  $values = @(foreach ($n in $key.GetValueNames()) {
    $kind = $key.GetValueKind($n)
    $raw = $key.GetValue($n, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    switch ($kind) {
      'String' { $t = 'REG_SZ'; $d = [string]$raw }
      'ExpandString' { $t = 'REG_EXPAND_SZ'; $d = [string]$raw }
      'MultiString' { $t = 'REG_MULTI_SZ'; $d = (@($raw) -join "`n") }
      'Binary' { $t = 'REG_BINARY'; $d = ConvertTo-Hex $raw }
      'DWord' { $t = 'REG_DWORD'; $d = ([uint32]([int64]$raw -band 0xFFFFFFFF)).ToString() }
      'QWord' { $t = 'REG_QWORD'; $d = ([uint64]$raw).ToString() }
      'None' { $t = 'REG_NONE'; $d = '' }
      default { $t = 'REG_OTHER'; $d = '' }
    }
    [ordered]@{ name = [string]$n; type = $t; data = $d }
  })
  $key.Close()
  [ordered]@{ key = $k; values = $values }
})

# --- services and scheduled tasks ----------------------------------------------------------------------------------
$services = @(Get-CimInstance -ClassName Win32_Service | ForEach-Object {
  $dll = $null
  try { $dll = (Get-ItemProperty -ErrorAction Stop -Path ('HKLM:\SYSTEM\CurrentControlSet\Services\{0}\Parameters' -f $_.Name)).ServiceDll } catch { }
  [ordered]@{ name = [string]$_.Name; displayName = [string]$_.DisplayName; imagePath = $_.PathName
    startMode = [string]$_.StartMode; state = [string]$_.State; serviceDll = $dll }
})
$tasks = @()
try {
  $tasks = @(Get-ScheduledTask | ForEach-Object {
    $actions = @($_.Actions | Where-Object { $_.PSObject.Properties['Execute'] -and $_.Execute } | ForEach-Object {
      [ordered]@{ execute = [string]$_.Execute; arguments = $_.Arguments; workingDirectory = $_.WorkingDirectory }
    })
    [ordered]@{ path = ($_.TaskPath + $_.TaskName); enabled = ($_.State -ne 'Disabled'); actions = $actions }
  })
} catch { }

# --- Startup folders -----------------------------------------------------------------------------------------------
$shell = $null
try { $shell = New-Object -ComObject WScript.Shell } catch { }
$startupItems = @(foreach ($dir in @((Get-Folder 'Startup'), (Get-Folder 'CommonStartup'))) {
  if (-not $dir -or -not (Test-Path -LiteralPath $dir)) { continue }
  Get-ChildItem -LiteralPath $dir -File -Force -ErrorAction SilentlyContinue | ForEach-Object {
    $target = $null; $arguments = $null
    if ($_.Extension -eq '.lnk' -and $shell) {
      try { $lnk = $shell.CreateShortcut($_.FullName); $target = $lnk.TargetPath; $arguments = $lnk.Arguments } catch { }
    }
    if ($target -eq '') { $target = $null }
    if ($arguments -eq '') { $arguments = $null }
    [ordered]@{ path = $_.FullName; target = $target; arguments = $arguments }
  }
})

# --- listings EmoCheck walks ---------------------------------------------------------------------------------------
$systemDirectoryFiles = @(Get-ChildItem -LiteralPath ([Environment]::SystemDirectory) -File -Force -ErrorAction SilentlyContinue |
  Where-Object { $_.Extension -eq '.exe' -or $_.Extension -eq '.dll' } |
  ForEach-Object { [ordered]@{ name = $_.Name; size = [int64]$_.Length } })

function Get-ScanRoot([string]$Root, [string]$Path) {
  $folders = @(Get-ChildItem -LiteralPath $Path -Directory -Force -ErrorAction SilentlyContinue | ForEach-Object {
    $files = @(Get-ChildItem -LiteralPath $_.FullName -File -Force -ErrorAction SilentlyContinue | ForEach-Object {
      [ordered]@{ name = $_.Name; size = [int64]$_.Length; lastWriteFiletime = [string]$_.LastWriteTimeUtc.ToFileTimeUtc()
        startsWithMZ = (Test-MZ $_.FullName); fileId = (Get-FileIdOf $_.FullName) }
    })
    [ordered]@{ name = $_.Name; lastWriteFiletime = [string]$_.LastWriteTimeUtc.ToFileTimeUtc(); files = $files }
  })
  return [ordered]@{ root = $Root; path = $Path; folders = $folders }
}
$scanRoots = @((Get-ScanRoot 'localAppData' $paths.localAppData), (Get-ScanRoot 'systemX86' $sysX86))

# V4 allow-list: directory names under %APPDATA% and Program Files that also name a first-level scan-root folder.
$wanted = @{}
foreach ($r in $scanRoots) { foreach ($f in $r.folders) { $wanted[$f.name.ToLowerInvariant()] = $f.name } }
$allow = @{}
foreach ($base in @($paths.appData, $env:ProgramFiles, $pfx86)) {
  if (-not $base -or -not (Test-Path -LiteralPath $base)) { continue }
  Get-ChildItem -LiteralPath $base -Directory -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object {
    $lower = $_.Name.ToLowerInvariant()
    if ($wanted.ContainsKey($lower)) { $allow[$lower] = $_.Name }
  }
}
$allowlistDirNames = @($allow.Values | Sort-Object)

# --- files started by autostart entries: hash, MZ, identity, folder writable by ordinary users ---------------------
function Expand-CommandVars([string]$Text) { return [Environment]::ExpandEnvironmentVariables($Text) }
function Get-CommandTargets([string]$Command) {
  # Same rule as commandTargets() in packages/emocheck/src/paths.ts: quoted absolute paths, then unquoted
  # absolute paths ending in a known extension (or, failing that, up to the first space or comma).
  $out = New-Object System.Collections.Generic.List[string]
  if (-not $Command) { return $out }
  $cmd = (Expand-CommandVars $Command).Replace('\\?\', '')
  foreach ($m in [regex]::Matches($cmd, '"([^"]+)"')) { $out.Add($m.Groups[1].Value) }
  $rest = [regex]::Replace($cmd, '"([^"]+)"', ' ')
  $ext = 'exe|dll|ocx|cpl|scr|bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|lnk|com|msi|pif|jar|sys|tmp|dat|bin'
  $found = [regex]::Matches($rest, '(?i)(?:[A-Za-z]:[\\/]|\\\\[^\\?.])[^"\r\n]*?\.(?:' + $ext + ')(?=$|[\s,"])')
  if ($found.Count -gt 0) { foreach ($m in $found) { $out.Add($m.Value) } }
  else { foreach ($m in [regex]::Matches($rest, '(?:[A-Za-z]:[\\/]|\\\\[^\\?.])[^\s",]+')) { $out.Add($m.Value) } }
  $clean = New-Object System.Collections.Generic.List[string]
  foreach ($p in $out) {
    $q = [regex]::Replace($p.Trim(), ',[^\\]*$', '')
    if ($q -match '^(?:[A-Za-z]:[\\/]|\\\\[^\\?.])') { $clean.Add($q) }
  }
  return $clean
}
function Test-UserWritableDir([string]$Dir) {
  try {
    $acl = Get-Acl -LiteralPath $Dir
    foreach ($rule in $acl.Access) {
      if ($rule.AccessControlType -ne 'Allow') { continue }
      $who = $rule.IdentityReference.Value
      if ($who -notmatch '(?i)(\\Users$|^Everyone$|Authenticated Users$|\\INTERACTIVE$)') { continue }
      if (($rule.FileSystemRights -band [Security.AccessControl.FileSystemRights]'WriteData, AppendData, Modify, FullControl') -ne 0) { return $true }
    }
    return $false
  } catch { return $null }
}
$commands = New-Object System.Collections.Generic.List[string]
foreach ($r in $registry) { if ($r.key -match '\\RunOnce$|\\Run$') { foreach ($v in $r.values) { if ($v.type -eq 'REG_SZ' -or $v.type -eq 'REG_EXPAND_SZ') { $commands.Add($v.data) } } } }
foreach ($s in $services) { if ($s.imagePath) { $commands.Add($s.imagePath) }; if ($s.serviceDll) { $commands.Add('"' + $s.serviceDll + '"') } }
foreach ($t in $tasks) { if ($t.enabled) { foreach ($a in $t.actions) { $commands.Add(('"{0}" {1}' -f $a.execute, $a.arguments)) } } }
foreach ($s in $startupItems) { if ($s.target) { $commands.Add(('"{0}" {1}' -f $s.target, $s.arguments)) } else { $commands.Add('"' + $s.path + '"') } }
$seen = @{}
$files = @(foreach ($c in $commands) {
  foreach ($p in (Get-CommandTargets $c)) {
    $k = $p.ToLowerInvariant()
    if ($seen.ContainsKey($k)) { continue }
    $seen[$k] = $true
    $exists = Test-Path -LiteralPath $p -PathType Leaf
    $size = $null; $sha = $null; $mz = $null; $fid = $null
    if ($exists) {
      try { $size = [int64](Get-Item -LiteralPath $p -Force).Length } catch { }
      try { $sha = (Get-FileHash -LiteralPath $p -Algorithm SHA256).Hash.ToLowerInvariant() } catch { }
      $mz = Test-MZ $p
      $fid = Get-FileIdOf $p
    }
    $parent = Split-Path -Parent $p
    $writable = $null
    if ($parent -and (Test-Path -LiteralPath $parent)) { $writable = Test-UserWritableDir $parent }
    [ordered]@{ path = $p; exists = [bool]$exists; size = $size; sha256 = $sha; startsWithMZ = $mz; fileId = $fid; dirUserWritable = $writable }
  }
})

# --- write ---------------------------------------------------------------------------------------------------------
$snapshot = [ordered]@{
  format = 'omamori-emocheck-snapshot'; version = 1
  collectedAt = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
  collector = [ordered]@{ name = 'omamori-collect.ps1'; version = $collectorVersion }
  host = $hostInfo; systemVolumeSerial = $serial; paths = $paths; drives = $drives; processes = $processes
  registry = $registry; services = $services; tasks = $tasks; startupItems = $startupItems
  systemDirectoryFiles = $systemDirectoryFiles; scanRoots = $scanRoots; allowlistDirNames = $allowlistDirNames
  files = $files
}
$json = ConvertTo-Json -InputObject $snapshot -Depth 12 -Compress
$json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
if ($Stdout -or -not $OutFile) { [Console]::Out.Write($json) }
else { [IO.File]::WriteAllText($OutFile, $json, (New-Object Text.UTF8Encoding $false)); Write-Host ("Snapshot written: {0}" -f $OutFile) }
