# omamori-collect.ps1 - writes the omamori emocheck snapshot (format "omamori-emocheck-snapshot", version 1) of this
# Windows machine: the facts `omamori emocheck --snapshot FILE` analyses. Needs only Windows PowerShell 5.1 (no Node).
# Usage: powershell -NoProfile -ExecutionPolicy Bypass -File omamori-collect.ps1 -OutFile C:\path\snapshot.json
#        (omamori itself runs it with -Stdout and reads the JSON from standard output.)
# Output is ASCII-only JSON (other characters as \uXXXX) so no console code page can garble it.
# Field list and meaning: docs/emocheck.md, "Snapshot format". Keep in step with packages/emocheck/src/snapshot.ts.
# Runs in Constrained Language Mode too (it does on machines where App Control enforces; the script is not signed):
# only cmdlets, native programs and core types, except the file identity (fileId), read through the Win32 API only
# where the full language is available (otherwise null; the analysis then compares paths).
param([string]$OutFile = '', [switch]$Stdout)

$ErrorActionPreference = 'Stop'
# Windows PowerShell 5.1 may serialise arrays as {"value":[...],"Count":n} because of extra type data.
Remove-TypeData System.Array -ErrorAction SilentlyContinue
Set-StrictMode -Version 2
$collectorVersion = '2'
$script:fullLanguage = $ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage'

$script:fileIdReady = $false
if ($script:fullLanguage) {
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
}

function Get-FileIdOf([string]$Path) {
  # "<volume serial hex>:<file index hex>" via GetFileInformationByHandle; $null when it cannot be read.
  if ($script:fullLanguage -and $script:fileIdReady) {
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
  }
  return $null
}

function Test-MZ([string]$Path) {
  try {
    $b = @(Get-Content -LiteralPath $Path -Encoding Byte -TotalCount 2 -ErrorAction Stop)
    return ($b.Count -eq 2 -and $b[0] -eq 0x4D -and $b[1] -eq 0x5A)
  } catch { return $false }
}

# --- host, serial, paths -------------------------------------------------------------------------------------------
# Elevated = the token has the High Mandatory Level (S-1-16-12288), as whoami.exe /groups lists it.
$userName = $env:USERDOMAIN + '\' + $env:USERNAME
$isAdmin = [bool](@(whoami.exe /groups) -match 'S-1-16-12288')
$systemDrive = $env:SystemDrive
$volume = Get-CimInstance -ClassName Win32_LogicalDisk -Filter ("DeviceID='{0}'" -f $systemDrive)
$serial = ([string]$volume.VolumeSerialNumber).PadLeft(8, '0').ToUpper()
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$is64 = [string]$os.OSArchitecture -match '64'
$system32 = Join-Path $env:SystemRoot 'System32'
$sysX86 = $system32
if ($is64) { $sysX86 = Join-Path $env:SystemRoot 'SysWOW64' }
$profilesRoot = Split-Path -Parent $env:USERPROFILE
$downloads = $null
try {
  # The Downloads known folder ({374DE290-...}); the registry provider expands its %USERPROFILE%.
  $downloads = (Get-ItemProperty -LiteralPath 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Explorer\User Shell Folders' -ErrorAction Stop).'{374DE290-123F-4565-9164-39C4925E467B}'
} catch { }
$pfx86 = ${env:ProgramFiles(x86)}
$temp = $env:TMP
if (-not $temp) { $temp = $env:TEMP }
$paths = [ordered]@{
  systemDrive = $systemDrive; systemRoot = $env:SystemRoot; system32 = $system32
  systemX86 = $sysX86; localAppData = $env:LOCALAPPDATA; appData = $env:APPDATA
  programData = $env:ProgramData; programFiles = $env:ProgramFiles; programFilesX86 = $pfx86
  userProfile = $env:USERPROFILE; profilesRoot = $profilesRoot; temp = $temp.TrimEnd('\')
  public = $env:PUBLIC; downloads = $downloads
}
$hostInfo = [ordered]@{
  computerName = $env:COMPUTERNAME; userName = [string]$userName; isAdmin = $isAdmin; is64BitOs = [bool]$is64
  osVersion = ('Microsoft Windows NT {0}' -f $os.Version)
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
function ConvertTo-Hex($Bytes) { if ($null -eq $Bytes) { return '' }; return ((@($Bytes) | ForEach-Object { '{0:x2}' -f $_ }) -join '') }
function Get-RegistryValues([string]$Key) {
  # In the full language the .NET registry API gives each value's kind and REG_EXPAND_SZ unexpanded; in Constrained
  # Language Mode the registry provider gives the values (REG_EXPAND_SZ already expanded, reported as REG_SZ).
  $path = $Key.Replace('HKCU\', 'HKCU:\').Replace('HKLM\', 'HKLM:\')
  if (-not (Test-Path -LiteralPath $path)) { return $null }
  if ($script:fullLanguage) {
    $hive = [Microsoft.Win32.Registry]::LocalMachine
    if ($Key.StartsWith('HKCU')) { $hive = [Microsoft.Win32.Registry]::CurrentUser }
    $k = $hive.OpenSubKey($Key.Substring(5))
    if ($null -eq $k) { return $null }
    $values = @(foreach ($n in $k.GetValueNames()) {
      $kind = [string]$k.GetValueKind($n)
      $raw = $k.GetValue($n, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
      switch ($kind) {
        'String' { $t = 'REG_SZ'; $d = [string]$raw }
        'ExpandString' { $t = 'REG_EXPAND_SZ'; $d = [string]$raw }
        'MultiString' { $t = 'REG_MULTI_SZ'; $d = (@($raw) -join "`n") }
        'Binary' { $t = 'REG_BINARY'; $d = ConvertTo-Hex $raw }
        'DWord' { $t = 'REG_DWORD'; $d = [string]([int64]$raw -band 0xFFFFFFFF) }
        'QWord' { $t = 'REG_QWORD'; $d = [string]$raw }
        'None' { $t = 'REG_NONE'; $d = '' }
        default { $t = 'REG_OTHER'; $d = '' }
      }
      [ordered]@{ name = [string]$n; type = $t; data = $d }
    })
    $k.Close()
    return $values
  }
  $item = Get-Item -LiteralPath $path
  $props = Get-ItemProperty -LiteralPath $path
  return @(foreach ($n in @($item.Property)) {
    $raw = $props.$n
    if ($raw -is [byte[]]) { $t = 'REG_BINARY'; $d = ConvertTo-Hex $raw }
    elseif ($raw -is [string[]]) { $t = 'REG_MULTI_SZ'; $d = (@($raw) -join "`n") }
    elseif ($raw -is [int]) { $t = 'REG_DWORD'; $d = [string]([int64]$raw -band 0xFFFFFFFF) }
    elseif ($raw -is [long]) { $t = 'REG_QWORD'; $d = [string]$raw }
    elseif ($raw -is [string]) { $t = 'REG_SZ'; $d = $raw }
    else { $t = 'REG_OTHER'; $d = '' }
    [ordered]@{ name = [string]$n; type = $t; data = $d }
  })
}
$registry = @(foreach ($k in $regKeys) {
  $values = $null
  try { $values = Get-RegistryValues $k } catch { }
  if ($null -eq $values) { continue }
  [ordered]@{ key = $k; values = @($values) }
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
    $actions = @($_.Actions | Where-Object { @($_.PSObject.Properties | Where-Object { $_.Name -eq 'Execute' }).Count -gt 0 -and $_.Execute } | ForEach-Object {
      [ordered]@{ execute = [string]$_.Execute; arguments = $_.Arguments; workingDirectory = $_.WorkingDirectory }
    })
    [ordered]@{ path = ($_.TaskPath + $_.TaskName); enabled = ($_.State -ne 'Disabled'); actions = $actions }
  })
} catch { }

# --- Startup folders -----------------------------------------------------------------------------------------------
# Shortcut targets need the WScript.Shell COM object, which Constrained Language Mode refuses: there the target is
# null and the analysis looks at the .lnk file itself.
$shell = $null
if ($script:fullLanguage) { try { $shell = New-Object -ComObject WScript.Shell } catch { } }
$startupDirs = @((Join-Path $env:APPDATA 'Microsoft\Windows\Start Menu\Programs\Startup'), (Join-Path $env:ProgramData 'Microsoft\Windows\Start Menu\Programs\StartUp'))
$startupItems = @(foreach ($dir in $startupDirs) {
  if (-not $dir -or -not (Test-Path -LiteralPath $dir)) { continue }
  Get-ChildItem -LiteralPath $dir -File -Force -ErrorAction SilentlyContinue | ForEach-Object {
    $target = $null; $arguments = $null
    if ($script:fullLanguage -and $_.Extension -eq '.lnk' -and $shell) {
      try { $lnk = $shell.CreateShortcut($_.FullName); $target = $lnk.TargetPath; $arguments = $lnk.Arguments } catch { }
    }
    if ($target -eq '') { $target = $null }
    if ($arguments -eq '') { $arguments = $null }
    [ordered]@{ path = $_.FullName; target = $target; arguments = $arguments }
  }
})

# --- listings EmoCheck walks ---------------------------------------------------------------------------------------
$systemDirectoryFiles = @(Get-ChildItem -LiteralPath $system32 -File -Force -ErrorAction SilentlyContinue |
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
function Expand-CommandVars([string]$Text) {
  # %NAME% from the environment (as ExpandEnvironmentVariables does; unknown names stay as written).
  $out = $Text
  foreach ($m in [regex]::Matches($Text, '%([^%\\/"]+)%')) {
    $v = Get-Item -LiteralPath ('env:' + $m.Groups[1].Value) -ErrorAction SilentlyContinue
    if ($v) { $out = $out.Replace($m.Value, [string]$v.Value) }
  }
  return $out
}
function Get-CommandTargets([string]$Command) {
  # Same rule as commandTargets() in packages/emocheck/src/paths.ts: quoted absolute paths, then unquoted
  # absolute paths ending in a known extension (or, failing that, up to the first space or comma).
  $out = @()
  if (-not $Command) { return $out }
  $cmd = (Expand-CommandVars $Command).Replace('\\?\', '')
  foreach ($m in [regex]::Matches($cmd, '"([^"]+)"')) { $out += $m.Groups[1].Value }
  $rest = [regex]::Replace($cmd, '"([^"]+)"', ' ')
  $ext = 'exe|dll|ocx|cpl|scr|bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|lnk|com|msi|pif|jar|sys|tmp|dat|bin'
  $found = [regex]::Matches($rest, '(?i)(?:[A-Za-z]:[\\/]|\\\\[^\\?.])[^"\r\n]*?\.(?:' + $ext + ')(?=$|[\s,"])')
  if ($found.Count -gt 0) { foreach ($m in $found) { $out += $m.Value } }
  else { foreach ($m in [regex]::Matches($rest, '(?:[A-Za-z]:[\\/]|\\\\[^\\?.])[^\s",]+')) { $out += $m.Value } }
  $clean = @()
  foreach ($p in $out) {
    $q = [regex]::Replace($p.Trim(), ',[^\\]*$', '')
    if ($q -match '^(?:[A-Za-z]:[\\/]|\\\\[^\\?.])') { $clean += $q }
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
      # WriteData (0x2), AppendData (0x4) - part of Modify and FullControl - and GENERIC_WRITE/GENERIC_ALL.
      if (([int64]$rule.FileSystemRights -band 0x50000006) -ne 0) { return $true }
    }
    return $false
  } catch { return $null }
}
$commands = @()
foreach ($r in $registry) { if ($r.key -match '\\RunOnce$|\\Run$') { foreach ($v in $r.values) { if ($v.type -eq 'REG_SZ' -or $v.type -eq 'REG_EXPAND_SZ') { $commands += $v.data } } } }
foreach ($s in $services) { if ($s.imagePath) { $commands += $s.imagePath }; if ($s.serviceDll) { $commands += ('"' + $s.serviceDll + '"') } }
foreach ($t in $tasks) { if ($t.enabled) { foreach ($a in $t.actions) { $commands += ('"{0}" {1}' -f $a.execute, $a.arguments) } } }
foreach ($s in $startupItems) { if ($s.target) { $commands += ('"{0}" {1}' -f $s.target, $s.arguments) } else { $commands += ('"' + $s.path + '"') } }
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
  collector = [ordered]@{ name = 'omamori-collect.ps1'; version = $collectorVersion; languageMode = [string]$ExecutionContext.SessionState.LanguageMode }
  host = $hostInfo; systemVolumeSerial = $serial; paths = $paths; drives = $drives; processes = $processes
  registry = $registry; services = $services; tasks = $tasks; startupItems = $startupItems
  systemDirectoryFiles = $systemDirectoryFiles; scanRoots = $scanRoots; allowlistDirNames = $allowlistDirNames
  files = $files
}
$json = ConvertTo-Json -InputObject $snapshot -Depth 12 -Compress
# Every non-ASCII character as \uXXXX (one Replace per distinct character; no script-block evaluator, which
# Constrained Language Mode refuses).
$distinct = @{}
foreach ($m in [regex]::Matches($json, '[^\x00-\x7F]')) { $distinct[$m.Value] = $true }
foreach ($c in $distinct.Keys) { $json = $json.Replace([string]$c, ('\u{0:x4}' -f [int][char]$c)) }
if ($Stdout -or -not $OutFile) { Write-Output $json }
else { Set-Content -LiteralPath $OutFile -Value $json -Encoding Ascii -NoNewline; Write-Host ("Snapshot written: {0}" -f $OutFile) }
