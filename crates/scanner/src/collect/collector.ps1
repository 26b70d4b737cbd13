# iis-sweep collector, schema iis-sweep/snapshot/1
# Gathers raw facts and decides nothing: the Rust side interprets them.
# PowerShell 5.1 syntax, no modules: IIS configuration is read as XML, not through WebAdministration.
# Runs from stdin (& ([ScriptBlock]::Create(...))) or with -File; prints one JSON document.
$ErrorActionPreference = 'Stop'

# Bounds. Hitting one is recorded (errors with stage "limit", or truncated: true), never silent.
$MaxFileBytes = 4 * 1048576      # bytes read of one configuration file
$MaxAppHostBytes = 16 * 1048576  # ... of applicationHost.config (thousands of sites)
$MaxConfigBytes = 32 * 1048576   # characters of configuration text per host
$MaxWebConfigs = 500             # web.config files per host
$MaxDepth = 4                    # folder levels searched below a content folder
$MaxDirs = 20000                 # folders visited per host while searching
$LogDays = 7                     # log files written in the last N days
$MaxLogBytes = 64 * 1048576      # log bytes per site, newest first
$MaxLogLines = 20000             # log lines shipped per site (directives, time span, 401 candidates)
$LogSeconds = 120                # total time for log scanning (never more than half the time left)
$SecurityDays = 7                # failed logons (event 4625) of the last N days
$MaxSecurityEvents = 2000        # failed logon events shipped, newest first

# One deadline for the whole run. The sweep puts `$IisSweepSeconds = N` before the script (the
# seconds this host has left, clean-up and transfer set aside); run by hand, 240. Phases run in
# order of value and each checks the deadline: when it passes, the rest is skipped and recorded,
# and the snapshot is still printed.
if (-not $IisSweepSeconds) { $IisSweepSeconds = 240 }
$Deadline = [DateTime]::UtcNow.AddSeconds([Math]::Max(5, [int]$IisSweepSeconds))

# Shared state. Functions only call methods on these, so they work in any scope.
$CollectErrors = New-Object System.Collections.ArrayList
$Files = New-Object System.Collections.ArrayList
$SeenFiles = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::OrdinalIgnoreCase)
$EnvNames = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::OrdinalIgnoreCase)
$Budget = @{ bytes = [long]0; webConfigs = 0; dirs = 0; limits = @{} }
$Utf8 = New-Object System.Text.UTF8Encoding $false

function Add-Error([string]$stage, $target, [string]$message) {
    [void]$CollectErrors.Add([ordered]@{ stage = $stage; target = $target; message = $message })
}

# Records a bound once per kind, so a huge tree gives one line, not thousands.
function Add-Limit([string]$kind, $target, [string]$message) {
    if ($Budget.limits.ContainsKey($kind)) { return }
    $Budget.limits[$kind] = $true
    Add-Error 'limit' $target $message
}

# $true while the run's deadline has not passed; otherwise records (once) what was skipped.
function Test-TimeLeft([string]$phase) {
    if ([DateTime]::UtcNow -lt $Deadline) { return $true }
    Add-Limit 'deadline' $null ('the host deadline passed: ' + $phase + ' and later phases not collected')
    return $false
}

# ---------------------------------------------------------------- JSON writer
# ConvertTo-Json on 5.1 is slow and mangles big or odd objects, so the document is written by
# hand from [ordered] dictionaries, lists, strings, numbers, booleans and $null.
# Text other than ASCII stays as it is (no script call per character): the document is written
# as UTF-8 bytes straight to the standard output stream, past any console code page, and the
# encoder turns a lone UTF-16 surrogate into U+FFFD, so it cannot break the JSON.
# Control characters other than CR, LF and TAB are rare; they are escaped one by one.
$JsonEscape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }

function JStr([string]$t) {
    $t = $t.Replace('\', '\\').Replace('"', '\"').Replace("`r", '\r').Replace("`n", '\n').Replace("`t", '\t')
    if ($t -match '[\x00-\x1f\x7f]') { $t = [regex]::Replace($t, '[\x00-\x1f\x7f]', $JsonEscape) }
    return '"' + $t + '"'
}

function JAny($v) {
    if ($null -eq $v) { return 'null' }
    if ($v -is [bool]) { if ($v) { return 'true' } else { return 'false' } }
    if ($v -is [string]) { return JStr $v }
    $parts = New-Object System.Collections.Generic.List[string]
    if ($v -is [System.Collections.IDictionary]) {
        foreach ($k in $v.Keys) { $parts.Add((JStr $k) + ':' + (JAny $v[$k])) }
        return '{' + ($parts -join ',') + '}'
    }
    if ($v -is [System.Collections.IEnumerable]) {
        foreach ($x in $v) { $parts.Add((JAny $x)) }
        return '[' + ($parts -join ',') + ']'
    }
    return ([decimal]$v).ToString([Globalization.CultureInfo]::InvariantCulture)
}

# ---------------------------------------------------------------- helpers
function Get-Wmi([string]$class) {
    if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) { return Get-CimInstance -ClassName $class }
    return Get-WmiObject -Class $class
}

# The 64-bit view, also when a 32-bit PowerShell runs the script.
$Hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)

# @{ kind; value }; both $null when the key or the value does not exist.
function Read-RegValue([string]$subKey, [string]$name) {
    $r = @{ kind = $null; value = $null }
    $k = $Hklm.OpenSubKey($subKey)
    if ($null -eq $k) { return $r }
    try {
        if (@($k.GetValueNames()) -notcontains $name) { return $r }
        $v = $k.GetValue($name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        switch ($k.GetValueKind($name).ToString()) {
            # .NET hands DWORD/QWORD back signed; the snapshot wants the unsigned value.
            'DWord' { $r.kind = 'REG_DWORD'; $r.value = [BitConverter]::ToUInt32([BitConverter]::GetBytes([int]$v), 0) }
            'QWord' { $r.kind = 'REG_QWORD'; $r.value = [BitConverter]::ToUInt64([BitConverter]::GetBytes([long]$v), 0) }
            'String' { $r.kind = 'REG_SZ'; $r.value = [string]$v }
            'ExpandString' { $r.kind = 'REG_EXPAND_SZ'; $r.value = [string]$v }
            'MultiString' { $r.kind = 'REG_MULTI_SZ'; $r.value = [string[]]@($v) }
            'Binary' { $r.kind = 'REG_BINARY'; $r.value = [BitConverter]::ToString([byte[]]$v).Replace('-', '') }
            default { $r.kind = 'REG_NONE' }
        }
    } finally { $k.Close() }
    return $r
}

# Expands %VARS% (remembering their names for host.env) and normalises separators.
function Expand-Path([string]$p) {
    foreach ($m in [regex]::Matches($p, '%([^%]+)%')) { [void]$EnvNames.Add($m.Groups[1].Value) }
    $x = [Environment]::ExpandEnvironmentVariables($p.Trim()).Replace('/', '\')
    if ($x.Length -gt 3) { $x = $x.TrimEnd('\') }
    return $x
}

# XML without DTD processing or external resolution: web.config files are untrusted input.
function Read-Xml([string]$text) {
    $settings = New-Object System.Xml.XmlReaderSettings -Property @{ DtdProcessing = 'Ignore' }
    $reader = [System.Xml.XmlReader]::Create((New-Object System.IO.StringReader $text), $settings)
    $doc = New-Object System.Xml.XmlDocument
    try { $doc.Load($reader) } finally { $reader.Close() }
    return , $doc
}

# ---------------------------------------------------------------- files
# BOM first; then BOM-less UTF-16 XML ('<' next to a NUL); then strict UTF-8;
# else the XML declaration's encoding or the ANSI code page.
function Get-DecodedText([byte[]]$b, [int]$n) {
    if ($n -ge 4 -and $b[0] -eq 0xFF -and $b[1] -eq 0xFE -and $b[2] -eq 0 -and $b[3] -eq 0) { return [Text.Encoding]::UTF32.GetString($b, 4, $n - 4) }
    if ($n -ge 3 -and $b[0] -eq 0xEF -and $b[1] -eq 0xBB -and $b[2] -eq 0xBF) { return $Utf8.GetString($b, 3, $n - 3) }
    if ($n -ge 2 -and $b[0] -eq 0xFF -and $b[1] -eq 0xFE) { return [Text.Encoding]::Unicode.GetString($b, 2, $n - 2) }
    if ($n -ge 2 -and $b[0] -eq 0xFE -and $b[1] -eq 0xFF) { return [Text.Encoding]::BigEndianUnicode.GetString($b, 2, $n - 2) }
    if ($n -ge 2 -and $b[0] -eq 0x3C -and $b[1] -eq 0) { return [Text.Encoding]::Unicode.GetString($b, 0, $n) }
    if ($n -ge 2 -and $b[0] -eq 0 -and $b[1] -eq 0x3C) { return [Text.Encoding]::BigEndianUnicode.GetString($b, 0, $n) }
    try { return (New-Object System.Text.UTF8Encoding($false, $true)).GetString($b, 0, $n) } catch { }
    $enc = [Text.Encoding]::Default
    $head = [Text.Encoding]::ASCII.GetString($b, 0, [Math]::Min($n, 200))
    if ($head -match 'encoding\s*=\s*["'']([\w.:-]+)["'']') {
        try { $enc = [Text.Encoding]::GetEncoding($Matches[1]) } catch { }
    }
    return $enc.GetString($b, 0, $n)
}

# @{ text; error; truncated }. Opened with sharing: IIS may hold the file.
function Read-TextFile([string]$path, [int]$max) {
    $r = @{ text = $null; error = $null; truncated = $false }
    try {
        $fs = New-Object System.IO.FileStream($path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]'ReadWrite, Delete')
        try {
            $len = $fs.Length
            $n = [int][Math]::Min($len, $max)
            $buf = New-Object byte[] $n
            $off = 0
            while ($off -lt $n) {
                $k = $fs.Read($buf, $off, $n - $off)
                if ($k -le 0) { break }
                $off += $k
            }
            if ($len -gt $max) {
                # Drop a UTF-8 sequence cut in half by the bound.
                $r.truncated = $true
                $end = $off
                while ($end -gt 0 -and $off - $end -lt 3 -and ($buf[$end - 1] -band 0xC0) -eq 0x80) { $end-- }
                if ($end -gt 0 -and $buf[$end - 1] -ge 0xC0) { $end-- }
                $off = $end
            }
            $r.text = Get-DecodedText $buf $off
        } finally { $fs.Dispose() }
    } catch { $r.error = $_.Exception.Message }
    return $r
}

# Plain-text secrets never leave the host. Empty, encrypted ([enc:...:enc]) and AutoGenerate
# values are kept so the rules can still tell "no password" and "encrypted" from "plain text".
$HideValue = [System.Text.RegularExpressions.MatchEvaluator] {
    param($m)
    $q = $m.Groups[2].Value
    $inner = $q.Substring(1, $q.Length - 2)
    if ($inner -eq '' -or $inner -match '^\[enc:.*:enc\]$' -or $inner -match '^AutoGenerate(,|$)') { return $m.Value }
    return $m.Groups[1].Value + $q[0] + '[redacted]' + $q[0]
}

$SecretKeyWords = 'password|passwd|pwd|secret|apikey|api_key|api-key|token|credential|privatekey|accountkey|sas'

function Hide-Secrets([string]$text) {
    # password="...", machineKey validationKey="..." and decryptionKey="..." attributes.
    $t = [regex]::Replace($text, '(?i)(\b(?:[\w.:-]*password|validationKey|decryptionKey)\s*=\s*)("[^"]*"|''[^'']*'')', $HideValue)
    # <add key="SmtpPassword" value="..."/> (and value before key).
    $t = [regex]::Replace($t, '(?i)(\bkey\s*=\s*"[^"]*(?:' + $SecretKeyWords + ')[^"]*"\s+value\s*=\s*)("[^"]*"|''[^'']*'')', $HideValue)
    $t = [regex]::Replace($t, '(?i)(\bvalue\s*=\s*)("[^"]*"|''[^'']*'')(?=\s+key\s*=\s*"[^"]*(?:' + $SecretKeyWords + '))', $HideValue)
    # Password='a;b' (quoted), &quot;-quoted and bare values inside connection strings,
    # Jet OLEDB:Database Password included.
    $t = [regex]::Replace($t, '(?i)(\b(?:password|pwd)\s*=\s*)''(?:[^'']|'''')*''', '${1}''[redacted]''')
    $t = [regex]::Replace($t, '(?i)(\b(?:password|pwd)\s*=\s*)&quot;.*?&quot;', '${1}&quot;[redacted]&quot;')
    $t = [regex]::Replace($t, '(?i)(\b(?:password|pwd)\s*=\s*)(?![\s"''&])([^;"''<>\r\n]+)', '${1}[redacted]')
    # scheme://user:password@host
    return [regex]::Replace($t, '(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s"''<>]+:)([^@/\s"''<>]+)(@)', '${1}[redacted]${3}')
}

# Reads one file into $Files (once per path) and returns its record. $readPath differs from
# $path only where WOW64 redirection must be bypassed.
function Add-File([string]$path, [string]$role, [string]$readPath) {
    if (-not $readPath) { $readPath = $path }
    $max = $MaxFileBytes
    if ($role -eq 'application-host') { $max = $MaxAppHostBytes }
    if (-not $SeenFiles.Add($path)) { return $null }
    $rec = [ordered]@{ path = $path; role = $role; text = $null; error = $null; truncated = $false }
    if ($Budget.bytes -ge $MaxConfigBytes) {
        $rec.error = 'not read: the collector read its bound of configuration text for this host'
        Add-Limit 'config-bytes' $path ('configuration text bound of {0} MiB reached; further files not read' -f ($MaxConfigBytes / 1048576))
    } else {
        $r = Read-TextFile $readPath $max
        $rec.error = $r.error
        $rec.truncated = $r.truncated
        if ($null -ne $r.text) {
            $rec.text = Hide-Secrets $r.text
            $Budget.bytes += $r.text.Length
        }
    }
    [void]$Files.Add($rec)
    return $rec
}

# web.config files in a content folder and its subfolders, breadth first, depth- and
# count-bounded. Junctions and symbolic links are not followed (loops).
function Find-WebConfigs([string]$root, $visited, $holders) {
    $queue = New-Object System.Collections.Queue
    $queue.Enqueue(@($root, 0))
    while ($queue.Count -gt 0) {
        $dir, $depth = $queue.Dequeue()
        if (-not $visited.Add($dir)) { continue }
        if (-not (Test-TimeLeft 'the rest of the web.config search')) { return }
        try {
            $wc = [IO.Path]::Combine($dir, 'web.config')
            if ([IO.File]::Exists($wc)) {
                [void]$holders.Add($dir)
                if ($Budget.webConfigs -lt $MaxWebConfigs) { $Budget.webConfigs++; [void](Add-File $wc 'web-config') }
                else { Add-Limit 'web-configs' $wc ('web.config bound of {0} files reached; further files not read' -f $MaxWebConfigs) }
            }
            if ($depth -ge $MaxDepth) {
                if ((New-Object System.IO.DirectoryInfo $dir).GetDirectories().Count -gt 0) {
                    Add-Limit 'depth' $root ('folders deeper than {0} levels below the content folder not searched for web.config files' -f $MaxDepth)
                }
                continue
            }
            foreach ($sd in (New-Object System.IO.DirectoryInfo $dir).GetDirectories()) {
                if (($sd.Attributes -band [IO.FileAttributes]::ReparsePoint) -ne 0) { continue }
                if ($Budget.dirs -ge $MaxDirs) {
                    Add-Limit 'dirs' $root ('folder bound of {0} reached while looking for web.config files' -f $MaxDirs)
                    return
                }
                $Budget.dirs++
                $queue.Enqueue(@($sd.FullName, ($depth + 1)))
            }
        } catch [System.UnauthorizedAccessException] {
            Add-Error 'file' $dir ('access denied: web.config files below this folder not seen: ' + $_.Exception.Message)
        } catch { Add-Error 'file' $dir $_.Exception.Message }
    }
}

# local-name(): old web.config files carry a default namespace on <configuration>.
$AnonXPath = "//*[local-name()='anonymousAuthentication'][@userName]"

# applicationHost.config (or its shared-configuration copy), the framework files, then
# every web.config under the sites' content folders. Returns what the later stages need.
function Read-Config {
    $cfg = @{ parsed = $false; centralLog = ''; sites = New-Object System.Collections.ArrayList
        pools = New-Object System.Collections.ArrayList; users = New-Object System.Collections.ArrayList
        contentDirs = New-Object System.Collections.ArrayList; holders = New-Object System.Collections.ArrayList }
    $inetsrv = [IO.Path]::Combine($env:windir, 'System32\inetsrv\config')
    $inetsrvRead = $inetsrv
    if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
        $inetsrvRead = [IO.Path]::Combine($env:windir, 'Sysnative\inetsrv\config')
    }
    $apphost = $inetsrv + '\applicationHost.config'
    $apphostRead = $inetsrvRead + '\applicationHost.config'

    # Shared configuration: IIS then reads applicationHost.config from the redirected folder.
    if ([IO.File]::Exists($inetsrvRead + '\redirection.config')) {
        $redir = Add-File ($inetsrv + '\redirection.config') 'other' ($inetsrvRead + '\redirection.config')
        try {
            if ($null -ne $redir.text) {
                $node = (Read-Xml $redir.text).SelectSingleNode('/configuration/configurationRedirection')
                if ($null -ne $node -and $node.GetAttribute('enabled') -eq 'true' -and $node.GetAttribute('path')) {
                    $apphost = (Expand-Path $node.GetAttribute('path')) + '\applicationHost.config'
                    $apphostRead = $apphost
                }
            }
        } catch { Add-Error 'config' $redir.path $_.Exception.Message }
    }

    $ah = Add-File $apphost 'application-host' $apphostRead
    $fw = [IO.Path]::Combine($env:windir, 'Microsoft.NET\Framework64\v4.0.30319\Config')
    if (-not [IO.Directory]::Exists($fw)) { $fw = [IO.Path]::Combine($env:windir, 'Microsoft.NET\Framework\v4.0.30319\Config') }
    [void](Add-File ($fw + '\web.config') 'root-web-config')
    [void](Add-File ($fw + '\machine.config') 'machine-config')
    # The other framework folders (32-bit pools, .NET 2.0 pools) are read too, as 'other': a
    # pool's bitness and runtime version decide which one applies to it.
    foreach ($other in @('Framework\v4.0.30319', 'Framework64\v2.0.50727', 'Framework\v2.0.50727')) {
        $dir = [IO.Path]::Combine($env:windir, 'Microsoft.NET\' + $other + '\Config')
        if ($dir -eq $fw -or -not [IO.Directory]::Exists($dir)) { continue }
        foreach ($name in @('web.config', 'machine.config')) {
            if ([IO.File]::Exists($dir + '\' + $name)) { [void](Add-File ($dir + '\' + $name) 'other') }
        }
    }
    if ($null -eq $ah.text) { return $cfg }

    $doc = Read-Xml $ah.text
    $logNode = $doc.SelectSingleNode('/configuration/system.applicationHost/log')
    if ($null -ne $logNode) { $cfg.centralLog = $logNode.GetAttribute('centralLogFileMode') }
    foreach ($p in $doc.SelectNodes('/configuration/system.applicationHost/applicationPools/add')) { [void]$cfg.pools.Add($p.GetAttribute('name')) }
    # SpecificUser pool identities, and anonymous-authentication users anywhere (also in <location>).
    foreach ($p in $doc.SelectNodes('/configuration/system.applicationHost/applicationPools//processModel[@userName]')) {
        [void]$cfg.users.Add($p.GetAttribute('userName'))
    }
    foreach ($a in $doc.SelectNodes($AnonXPath)) { [void]$cfg.users.Add($a.GetAttribute('userName')) }

    $sitesNode = $doc.SelectSingleNode('/configuration/system.applicationHost/sites')
    if ($null -ne $sitesNode) {
        # Connect-as accounts on virtual directories and their defaults.
        foreach ($v in $sitesNode.SelectNodes('.//*[@userName]')) { [void]$cfg.users.Add($v.GetAttribute('userName')) }
        $defaultLog = '%SystemDrive%\inetpub\logs\LogFiles'
        $d = $sitesNode.SelectSingleNode('siteDefaults/logFile')
        if ($null -ne $d -and $d.GetAttribute('directory')) { $defaultLog = $d.GetAttribute('directory') }
        foreach ($site in $sitesNode.SelectNodes('site')) {
            $logDir = $defaultLog
            $lf = $site.SelectSingleNode('logFile')
            if ($null -ne $lf -and $lf.GetAttribute('directory')) { $logDir = $lf.GetAttribute('directory') }
            [void]$cfg.sites.Add(@{ id = $site.GetAttribute('id'); name = $site.GetAttribute('name'); logDir = (Expand-Path $logDir) })
            foreach ($vd in $site.SelectNodes('application/virtualDirectory[@physicalPath]')) {
                [void]$cfg.contentDirs.Add((Expand-Path $vd.GetAttribute('physicalPath')))
            }
        }
    }
    $cfg.parsed = $true

    # A missing content folder is not an error here: its ACL fact carries the error.
    $visited = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::OrdinalIgnoreCase)
    foreach ($dir in $cfg.contentDirs) { if ([IO.Directory]::Exists($dir)) { Find-WebConfigs $dir $visited $cfg.holders } }

    # anonymousAuthentication may be unlocked and set in a web.config too.
    foreach ($f in @($Files | Where-Object { $_.role -eq 'web-config' -and $null -ne $_.text })) {
        try {
            foreach ($a in (Read-Xml $f.text).SelectNodes($AnonXPath)) { [void]$cfg.users.Add($a.GetAttribute('userName')) }
        } catch { }  # a malformed web.config is reported by the Rust side from its text
    }
    return $cfg
}

# ---------------------------------------------------------------- ACLs
function Get-AclFacts($paths) {
    $seen = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::OrdinalIgnoreCase)
    $out = New-Object System.Collections.ArrayList
    foreach ($p in $paths) {
        if (-not $p -or -not $seen.Add($p)) { continue }
        $a = [ordered]@{ path = $p; owner = $null; sddl = $null; error = $null }
        try {
            $acl = Get-Acl -LiteralPath $p
            $a.sddl = $acl.Sddl
            $a.owner = $acl.Owner
        } catch { $a.error = $_.Exception.Message }
        [void]$out.Add($a)
    }
    return , $out
}

# ---------------------------------------------------------------- accounts
# Name -> SID. Group SIDs only for local user accounts (WinNT provider, local SAM): domain
# lookups from a WinRM logon usually fail on the second hop, so their groups are left empty.
function Resolve-Account([string]$name) {
    $a = [ordered]@{ name = $name; sid = $null; groups = New-Object System.Collections.ArrayList; enabled = $null; error = $null }
    try {
        $sid = (New-Object System.Security.Principal.NTAccount $name).Translate([System.Security.Principal.SecurityIdentifier])
        $a.sid = $sid.Value
    } catch {
        $a.error = $_.Exception.Message
        return $a
    }
    if ($a.sid -notmatch '^S-1-5-21-') { return $a }  # well-known, virtual (S-1-5-82) or service accounts
    try {
        $full = $sid.Translate([System.Security.Principal.NTAccount]).Value
        $parts = $full.Split('\')
        if ($parts.Count -ne 2 -or $parts[0] -ne $env:COMPUTERNAME) { return $a }
        $u = [ADSI]('WinNT://' + $env:COMPUTERNAME + '/' + $parts[1])
        if ($u.PSBase.SchemaClassName -ne 'User') { return $a }
        $flags = $u.PSBase.Properties['UserFlags'].Value
        if ($null -ne $flags) { $a.enabled = (([int]$flags -band 2) -eq 0) }  # ADS_UF_ACCOUNTDISABLE
        foreach ($g in $u.PSBase.Invoke('Groups')) {
            # The group as a DirectoryEntry: its objectSid is a plain property.
            $entry = New-Object System.DirectoryServices.DirectoryEntry($g)
            $bytes = [byte[]]$entry.Properties['objectSid'].Value
            [void]$a.groups.Add((New-Object System.Security.Principal.SecurityIdentifier($bytes, 0)).Value)
        }
    } catch { Add-Error 'accounts' $name ('groups not read: ' + $_.Exception.Message) }
    return $a
}

# IUSR, IIS_IUSRS, every pool's virtual account and every user name the configuration names.
function Get-AccountFacts($cfg) {
    $seen = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::OrdinalIgnoreCase)
    $out = New-Object System.Collections.ArrayList
    foreach ($n in (@('IUSR', 'IIS_IUSRS') + @($cfg.pools | ForEach-Object { 'IIS APPPOOL\' + $_ }) + @($cfg.users))) {
        $t = ([string]$n).Trim()
        if ($t -and $seen.Add($t)) { [void]$out.Add((Resolve-Account $t)) }
    }
    return , $out
}

# ---------------------------------------------------------------- registry
$RegistryValues = @(
    'SYSTEM\CurrentControlSet\Control\Lsa|DisableLoopbackCheck',
    'SYSTEM\CurrentControlSet\Control\Lsa|LmCompatibilityLevel',
    'SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0|BackConnectionHostNames',
    'SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0|RestrictReceivingNTLMTraffic',
    'SYSTEM\CurrentControlSet\Services\HTTP\Parameters|MaxFieldLength',
    'SYSTEM\CurrentControlSet\Services\HTTP\Parameters|MaxRequestBytes'
)

function Get-RegistryFacts {
    $out = New-Object System.Collections.ArrayList
    foreach ($item in $RegistryValues) {
        $key, $name = $item.Split('|')
        $r = [ordered]@{ key = 'HKLM\' + $key; name = $name; kind = $null; data = $null }
        try {
            $v = Read-RegValue $key $name
            $r.kind = $v.kind
            $r.data = $v.value
        } catch { Add-Error 'registry' ($r.key + '\' + $name) $_.Exception.Message }
        [void]$out.Add($r)
    }
    return , $out
}

# ---------------------------------------------------------------- logs
# Column positions from a #Fields directive; the list may change mid-file.
# The collector does not read log fields: it ships, per file, the directive lines, the first
# and last data line (the time span) and every data line holding the literal ' 401 ' (a cheap
# match; false positives are fine, Rust decides). The layout, quoting, signed win32 codes and
# the rest are understood in Rust (src/logs), where they are tested on real files.
function Read-LogFile([string]$path, [long]$left, $sum, [DateTime]$deadline) {
    $fs = New-Object System.IO.FileStream($path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]'ReadWrite, Delete')
    try {
        $lines = New-Object System.Collections.ArrayList
        $file = [ordered]@{ name = [IO.Path]::GetFileName($path); lines = $lines; truncated = $false }
        $len = $fs.Length
        $start = [long]0
        if ($len -gt $left) {
            # Too large for what is left: the newest lines, after the file's own header.
            $start = $len - $left
            $sum.truncated = $true; $file.truncated = $true
            $head = New-Object System.IO.StreamReader($fs, $Utf8, $false, 65536, $true)
            for ($i = 0; $i -lt 50; $i++) {
                $line = $head.ReadLine()
                if ($null -eq $line -or $line.Length -eq 0 -or $line[0] -ne '#') { break }
                [void]$lines.Add($line)
            }
            [void]$fs.Seek($start, [IO.SeekOrigin]::Begin)
        }
        $reader = New-Object System.IO.StreamReader($fs, $Utf8, $true, 65536, $true)
        if ($start -gt 0) { [void]$reader.ReadLine() }  # the first line is cut
        $lastLine = $null; $n = 0; $lastShipped = $false
        while ($null -ne ($line = $reader.ReadLine())) {
            if ($line.Length -eq 0) { continue }
            $ship = $line[0] -eq '#' -or $n -eq 0 -or $line.IndexOf(' 401 ', [StringComparison]::Ordinal) -ge 0
            if ($line[0] -ne '#') { $n++; $lastLine = $line }
            if ($ship) {
                if ($sum.lines -ge $MaxLogLines) {
                    $sum.truncated = $true; $file.truncated = $true
                    Add-Limit 'log-lines' $null ('more than {0} log lines per site; older ones not shipped' -f $MaxLogLines)
                    break
                }
                if ($line.Length -gt 8192) { $line = $line.Substring(0, 8192) }
                [void]$lines.Add($line); $sum.lines++
            }
            $lastShipped = $ship
            if (($n % 8192) -eq 0 -and [DateTime]::UtcNow -gt $deadline) {
                $sum.truncated = $true; $file.truncated = $true
                Add-Limit 'log-time' $null ('log scan stopped after {0} s' -f $LogSeconds)
                break
            }
        }
        if ($null -ne $lastLine -and -not $lastShipped) { [void]$lines.Add($lastLine); $sum.lines++ }
        $sum.bytes += [Math]::Max([long]0, $fs.Position - $start)
        [void]$sum.files.Add($file)
    } finally { $fs.Dispose() }
}

# <logFile directory>\W3SVC<id>\u_ex*.log / ex*.log of the last $LogDays days, newest first.
function Read-SiteLogs($site, [DateTime]$deadline) {
    $sum = @{ files = (New-Object System.Collections.ArrayList); lines = 0; bytes = [long]0; truncated = $false }
    $dir = [IO.Path]::Combine($site.logDir, 'W3SVC' + $site.id)
    # A site that never logged has no folder: an empty summary, not an error.
    if ([IO.Directory]::Exists($dir)) { Read-LogFolder $dir $sum $deadline }
    # counts/first/last are the scanner's to fill from the raw lines.
    return [ordered]@{ site_id = [long]$site.id; counts = @(); first = $null; last = $null; raw = $sum.files
        bytes_scanned = $sum.bytes; files_scanned = $sum.files.Count; truncated = $sum.truncated }
}

function Read-LogFolder([string]$dir, $sum, [DateTime]$deadline) {
    $since = [DateTime]::UtcNow.AddDays(-$LogDays)
    $logFiles = @((New-Object System.IO.DirectoryInfo $dir).GetFiles('*.log') |
            Where-Object { $_.Name -match '^(u_)?ex.*\.log$' -and $_.LastWriteTimeUtc -ge $since } |
            Sort-Object LastWriteTimeUtc -Descending)
    foreach ($f in $logFiles) {
        $left = $MaxLogBytes - $sum.bytes
        if ($left -le 0) { $sum.truncated = $true; break }
        if ([DateTime]::UtcNow -gt $deadline) {
            $sum.truncated = $true
            Add-Limit 'log-time' $null ('log scan stopped after {0} s' -f $LogSeconds)
            break
        }
        try { Read-LogFile $f.FullName $left $sum $deadline }
        catch { Add-Error 'logs' $f.FullName $_.Exception.Message }
    }
}

# Failed logons (event 4625) from the Security log, newest first: each event's data fields as
# they are (account, Status, SubStatus, LogonType, ProcessName, ...). Reading the Security log
# needs an elevated session; the scanner says what the codes mean.
function Get-SecurityFacts {
    $filter = @{ LogName = 'Security'; Id = 4625; StartTime = [DateTime]::Now.AddDays(-$SecurityDays) }
    $found = @()
    try {
        $found = @(Get-WinEvent -FilterHashtable $filter -MaxEvents ($MaxSecurityEvents + 1) -ErrorAction Stop)
    } catch {
        if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
    }
    $truncated = $found.Count -gt $MaxSecurityEvents
    if ($truncated) {
        $found = $found[0..($MaxSecurityEvents - 1)]
        Add-Limit 'security-events' $null ('more than {0} failed logons in {1} days; the newest were shipped' -f $MaxSecurityEvents, $SecurityDays)
    }
    $events = New-Object System.Collections.ArrayList
    foreach ($e in $found) {
        $data = [ordered]@{}
        foreach ($d in ([xml]$e.ToXml()).Event.EventData.Data) { $data[[string]$d.Name] = [string]$d.'#text' }
        $time = $e.TimeCreated.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
        [void]$events.Add([ordered]@{ id = [int]$e.Id; time = $time; data = $data })
    }
    return [ordered]@{ days = $SecurityDays; events = $events.ToArray(); truncated = $truncated }
}

function Get-LogFacts($cfg) {
    # Logs come last and get at most half of the time that is left.
    $half = ($Deadline - [DateTime]::UtcNow).TotalSeconds / 2
    $deadline = [DateTime]::UtcNow.AddSeconds([Math]::Min($LogSeconds, [Math]::Max(1, $half)))
    $out = New-Object System.Collections.ArrayList
    foreach ($site in $cfg.sites) {
        $id = [long]0
        if (-not [long]::TryParse($site.id, [ref]$id) -or $id -lt 0) { continue }
        try { [void]$out.Add((Read-SiteLogs $site $deadline)) } catch { Add-Error 'logs' $site.name $_.Exception.Message }
    }
    return , $out
}

# ---------------------------------------------------------------- host
function Get-HostFacts {
    $h = [ordered]@{ name = $env:COMPUTERNAME; computer_name = $env:COMPUTERNAME; fqdn = $null; part_of_domain = $null; domain = $null
        os = $null; iis_version = $null; collector_version = '1'; collected_at = $null; env = $null }
    try {
        $cs = Get-Wmi 'Win32_ComputerSystem'
        $h.part_of_domain = [bool]$cs.PartOfDomain
        $h.domain = [string]$cs.Domain
        if ($cs.PartOfDomain -and $cs.DNSHostName) { $h.fqdn = [string]$cs.DNSHostName + '.' + [string]$cs.Domain }
    } catch { Add-Error 'host' 'Win32_ComputerSystem' $_.Exception.Message }
    try { $os = Get-Wmi 'Win32_OperatingSystem'; $h.os = ('{0} {1}' -f $os.Caption, $os.Version).Trim() }
    catch { Add-Error 'host' 'Win32_OperatingSystem' $_.Exception.Message }
    if ($null -eq $h.fqdn) {
        # Host name plus primary DNS suffix, without a DNS query.
        try {
            $ip = [System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
            $h.fqdn = (@($ip.HostName, $ip.DomainName) | Where-Object { $_ }) -join '.'
        } catch { Add-Error 'host' 'fqdn' $_.Exception.Message }
    }
    try {
        $major = Read-RegValue 'SOFTWARE\Microsoft\InetStp' 'MajorVersion'
        $minor = Read-RegValue 'SOFTWARE\Microsoft\InetStp' 'MinorVersion'
        if ($null -ne $major.value) { $h.iis_version = '{0}.{1}' -f $major.value, ([int]$minor.value) }
    } catch { Add-Error 'host' 'HKLM\SOFTWARE\Microsoft\InetStp' $_.Exception.Message }
    return $h
}

# Variables used to expand paths: the usual ones plus any %NAME% seen in the configuration.
function Get-EnvFacts {
    $names = @('SystemDrive', 'SystemRoot', 'windir', 'ProgramFiles', 'ProgramFiles(x86)', 'ProgramW6432',
        'CommonProgramFiles', 'ProgramData', 'ALLUSERSPROFILE', 'PUBLIC') + @($EnvNames)
    $vars = [ordered]@{}
    foreach ($n in @($names | Sort-Object -Unique)) {
        $v = [Environment]::GetEnvironmentVariable($n)
        if ($null -ne $v) { $vars[$n] = $v }
    }
    return $vars
}

# ---------------------------------------------------------------- document
function Invoke-Collector {
    $collectedAt = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    $collected = [ordered]@{ config = $false; web_configs = $true; acls = $false; accounts = $false; registry = $false; logs = $false; security_log = $false }
    $h = Get-HostFacts
    $h.collected_at = $collectedAt

    $cfg = $null
    try { $cfg = Read-Config } catch { Add-Error 'config' $null $_.Exception.Message }
    # Read even when it does not parse: the Rust side reports a malformed file from its text.
    $collected.config = (@($Files | Where-Object { $_.role -eq 'application-host' -and $null -ne $_.text }).Count -gt 0)

    $acls = @(); $accounts = @(); $registry = @(); $logs = $null; $security = $null
    # In order of value: registry, identities, ACLs, logs last. A phase the deadline cuts off
    # stays "not collected", so the rules that need it say "not evaluated".
    if (Test-TimeLeft 'registry') {
        try { $registry = Get-RegistryFacts; $collected.registry = $true } catch { Add-Error 'registry' $null $_.Exception.Message }
    }
    # Which folders, accounts and log folders matter comes from applicationHost.config.
    if ($null -ne $cfg -and $cfg.parsed) {
        if (Test-TimeLeft 'accounts') {
            try { $accounts = Get-AccountFacts $cfg; $collected.accounts = $true }
            catch { Add-Error 'accounts' $null $_.Exception.Message }
        }
        if (Test-TimeLeft 'ACLs') {
            try { $acls = Get-AclFacts (@($cfg.contentDirs) + @($cfg.holders)); $collected.acls = $true }
            catch { Add-Error 'acl' $null $_.Exception.Message }
        }
        if ($cfg.centralLog -and $cfg.centralLog -ne 'Site') {
            Add-Error 'logs' $null ('centralLogFileMode is ' + $cfg.centralLog + ': no per-site W3SVC folders; logs not summarised')
        } elseif (Test-TimeLeft 'logs') {
            try { $logs = [ordered]@{ sites = (Get-LogFacts $cfg) }; $collected.logs = $true }
            catch { Add-Error 'logs' $null $_.Exception.Message }
        }
    }
    if (Test-TimeLeft 'security') {
        try { $security = Get-SecurityFacts; $collected.security_log = $true }
        catch { Add-Error 'security' $null $_.Exception.Message }
    }
    $h.env = Get-EnvFacts

    return JAny ([ordered]@{ schema = 'iis-sweep/snapshot/1'; host = $h; collected = $collected; files = $Files; acls = $acls
            accounts = $accounts; registry = $registry; logs = $logs; security = $security; errors = $CollectErrors })
}

try {
    $json = Invoke-Collector
} catch {
    [Console]::Error.WriteLine('iis-sweep collector failed: ' + $_.Exception.Message)
    exit 1
}
# UTF-8 bytes straight to the standard output stream (see JStr).
$bytes = $Utf8.GetBytes($json)
$stdout = [Console]::OpenStandardOutput()
$stdout.Write($bytes, 0, $bytes.Length)
$stdout.Flush()
exit 0
