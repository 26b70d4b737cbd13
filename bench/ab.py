#!/usr/bin/env python3
"""Before/after CPU of two iis-sweep binaries on the same command, run alternately.

    python3 bench/ab.py 7 before=OLD/iis-sweep after=target/release/iis-sweep -- \
        -q check FLEET/hosts --format json --out /tmp/ab --fail-on none

Each binary runs N times, alternating, pinned to CPU 1 (`taskset`); CPU = user + sys from
wait4 (the process and the children it waited for). Prints min and median per binary and the
peak RSS. This machine is shared: compare the two columns of one run, not runs of two days.
"""
import os
import statistics
import subprocess
import sys


def main():
    n = int(sys.argv[1])
    split = sys.argv.index("--")
    bins = [a.split("=", 1) for a in sys.argv[2:split]]
    args = sys.argv[split + 1:]
    env = dict(os.environ, IIS_SWEEP_MAX_HOSTS=os.environ.get("IIS_SWEEP_MAX_HOSTS", "250000"))
    cpu = {label: [] for label, _ in bins}
    rss = {label: 0 for label, _ in bins}
    for _ in range(n):
        for label, binary in bins:
            p = subprocess.Popen(["taskset", "-c", "1", binary, *args], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, ru = os.wait4(p.pid, 0)
            cpu[label].append(ru.ru_utime + ru.ru_stime)
            rss[label] = max(rss[label], ru.ru_maxrss)
    for label, _ in bins:
        v = sorted(cpu[label])
        print(f"{label}: min {v[0]:.3f} s, median {statistics.median(v):.3f} s CPU, "
              f"peak RSS {rss[label] / 1024:.0f} MB")


if __name__ == "__main__":
    main()
