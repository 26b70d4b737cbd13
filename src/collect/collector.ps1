# iis-sweep collector, schema iis-sweep/snapshot/1
# Gathers raw facts and decides nothing. PowerShell 5.1; no modules.
$ErrorActionPreference = 'Stop'
