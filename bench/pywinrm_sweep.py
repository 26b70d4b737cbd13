#!/usr/bin/env python3
"""The pywinrm peer: a thread pool fetching every host's snapshot over WinRM.

    pywinrm_sweep.py --inventory sim-inventory.ini --port P --concurrency C --out RESULT.json

Per host (one `winrm.Protocol` per host, never shared): NTLM with message encryption over
HTTP (`message_encryption="auto"` seals), open a shell, run `type
C:\\ProgramData\\iis-sweep\\snapshot.json` (the simulator plays the host's snapshot back, as
the collector would print it), read the output, Signal + Delete the command and the shell.
This is the cheapest reasonable client: one short cmd.exe command, no stdin, no analysis.

The password comes from the environment variable named by --password-env. Writes a JSON
object with per-host latencies (ms, measured around the whole exchange), bytes received and
failures. Exits 1 when a host failed.
"""

import argparse
import concurrent.futures as cf
import json
import os
import sys
import time

import winrm
from winrm.protocol import Protocol

SNAPSHOT_CMD = ("type", [r"C:\ProgramData\iis-sweep\snapshot.json"])


def hosts_from_ini(path):
    hosts = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("[", "#", ";")) or "ansible_host=" not in line:
                continue
            name, rest = line.split(None, 1)
            addr = rest.split("ansible_host=", 1)[1].split()[0]
            hosts.append((name, addr))
    return hosts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inventory", required=True, help="the simulator's sim-inventory.ini")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="scanner")
    ap.add_argument("--password-env", default="BENCH_SIM_PASSWORD")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    password = os.environ[a.password_env]
    hosts = hosts_from_ini(a.inventory)

    def scan(host):
        name, addr = host
        t0 = time.perf_counter()
        try:
            p = Protocol(f"http://{addr}:{a.port}/wsman", transport="ntlm",
                         username=a.user, password=password, message_encryption="auto",
                         operation_timeout_sec=20, read_timeout_sec=30)
            shell = p.open_shell(codepage=65001)
            cmd = p.run_command(shell, *SNAPSHOT_CMD)
            out, err, rc = p.get_command_output(shell, cmd)
            p.cleanup_command(shell, cmd)
            p.close_shell(shell)
            ok = rc == 0 and out[:1] == b"{"
            return name, (time.perf_counter() - t0) * 1000, len(out), None if ok else f"rc={rc}"
        except Exception as e:  # noqa: BLE001 -- every failure is reported, none is fatal
            return name, (time.perf_counter() - t0) * 1000, 0, f"{type(e).__name__}: {e}"

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=a.concurrency) as ex:
        results = list(ex.map(scan, hosts))
    wall = time.perf_counter() - t0
    failed = [(n, e) for n, _, _, e in results if e]
    res = {
        "tool": "pywinrm",
        "version": winrm.__version__ if hasattr(winrm, "__version__") else "0.5.0",
        "hosts": len(hosts),
        "concurrency": a.concurrency,
        "wall_s": wall,
        "latency_ms": [round(ms, 2) for _, ms, _, _ in results],
        "bytes": sum(b for _, _, b, _ in results),
        "failed": len(failed),
        "failures": failed[:10],
    }
    with open(a.out, "w") as f:
        json.dump(res, f)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
