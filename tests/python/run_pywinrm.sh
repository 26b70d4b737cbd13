#!/usr/bin/env bash
# Fidelity test: pywinrm 0.5.0 against the WinRM simulator.
#
# Creates a venv under target/pyvenv (pip install pywinrm==0.5.0) if missing, writes a tiny
# fleet, starts two simulators with `cargo run --example sim_serve` (HTTP and HTTPS, Basic and
# NTLM, on loopback, ports chosen by the kernel), runs tests/python/test_pywinrm.py, stops the
# simulators and exits with the test's status.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/pyvenv"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import winrm, importlib.metadata as m; assert m.version("pywinrm") == "0.5.0"' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet "pywinrm==0.5.0"
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# A tiny fleet on 127.77.0.0/24: a healthy host and a host with the shell quota fault.
mkdir -p "$WORK/fleet/hosts"
cat > "$WORK/fleet/fleet.toml" <<TOML
[[host]]
name = "web01"
address = "127.77.0.1"
snapshot = "hosts/web01.json"

[[host]]
name = "web02"
address = "127.77.0.2"
snapshot = "hosts/web02.json"
faults = ["quota"]
TOML
printf '{"schema":"iis-sweep/snapshot/1","host":{"name":"web01"},"note":"caf\xc3\xa9 \xe2\x9c\x93"}\n' > "$WORK/fleet/hosts/web01.json"
printf '{"schema":"iis-sweep/snapshot/1","host":{"name":"web02"}}\n' > "$WORK/fleet/hosts/web02.json"

CARGO=(cargo run --quiet --ignore-rust-version --example sim_serve --)
cargo build --quiet --ignore-rust-version --example sim_serve
"${CARGO[@]}" --print-bootstrap > "$WORK/bootstrap.txt"

export IIS_SWEEP_SIM_PASSWORD='Sim-Passw0rd!'
"${CARGO[@]}" --fleet "$WORK/fleet" --listen-port 0 --auth both --out "$WORK/http" > "$WORK/http.log" 2>&1 &
PIDS+=($!)
"${CARGO[@]}" --fleet "$WORK/fleet" --listen-port 0 --auth both --tls --out "$WORK/https" > "$WORK/https.log" 2>&1 &
PIDS+=($!)

port_of() {
    for _ in $(seq 1 600); do
        if grep -q '^ready port=' "$1"; then
            sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$1"
            return 0
        fi
        sleep 0.1
    done
    echo "simulator did not start:" >&2
    cat "$1" >&2
    return 1
}
HTTP_PORT="$(port_of "$WORK/http.log")"
HTTPS_PORT="$(port_of "$WORK/https.log")"
echo "simulators: http port $HTTP_PORT, https port $HTTPS_PORT"

status=0
SIM_ADDR=127.77.0.1 SIM_NAME=web01 SIM_QUOTA_ADDR=127.77.0.2 \
SIM_HTTP_PORT="$HTTP_PORT" SIM_HTTPS_PORT="$HTTPS_PORT" \
SIM_USER=scanner SIM_PASSWORD="$IIS_SWEEP_SIM_PASSWORD" \
SIM_SNAPSHOT="$WORK/fleet/hosts/web01.json" \
SIM_COLLECTOR="$ROOT/crates/scanner/src/collect/collector.ps1" \
SIM_BOOTSTRAP="$WORK/bootstrap.txt" \
    "$PY" -W ignore::DeprecationWarning "$ROOT/tests/python/test_pywinrm.py" || status=$?
exit "$status"
