# iis-sweep ping: what an operator checks first on a real fleet. Delivered exactly like the
# collector (stdin, or staged), prints one JSON object, changes nothing.
$ErrorActionPreference = 'Stop'
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object Security.Principal.WindowsPrincipal($identity)
$admin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$policy = "$(Get-ExecutionPolicy)"
[pscustomobject]@{
    ping               = 'iis-sweep/ping/1'
    computer           = $env:COMPUTERNAME
    user               = $identity.Name
    stdin_delivery     = [Console]::IsInputRedirected
    powershell_version = "$($PSVersionTable.PSVersion)"
    language_mode      = "$($ExecutionContext.SessionState.LanguageMode)"
    execution_policy   = $policy
    elevated           = $admin
    time_utc           = (Get-Date).ToUniversalTime().ToString('o')
} | ConvertTo-Json -Compress
