#!/usr/bin/env python3
"""Runs one client command and measures its whole process tree (stdlib only, Linux).

    measure.py --out RESULT.json [--cpu LIST] [--interval S] -- COMMAND ARG...

Writes a JSON object:
  wall_s            wall-clock time from spawn to exit
  user_s, sys_s     CPU time of the command and every descendant it waited for (wait4 rusage,
                    which is what GNU time's user+sys reports) -- the client only, since the
                    simulator is not a descendant
  maxrss_kb         the largest single process's peak RSS: the larger of rusage ru_maxrss and
                    the root process's sampled VmHWM (on this kernel ru_maxrss of a
                    multi-threaded process can come out below the VmHWM it had)
  tree_rss_kb       peak of the sampled sum of VmRSS over the process tree
  tree_pss_kb       peak of the sampled sum of Pss (smaps_rollup) over the tree: forks share
                    pages, so this is the honest "memory of the tree" for Ansible
  fds_max           peak number of open file descriptors of the root process
  tree_fds_max      peak of the sum over the tree
  procs_max         peak number of processes in the tree
  samples           number of samples taken
  rc                exit status

The command is pinned with taskset when --cpu is given.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time


def children_map():
    """pid -> list of child pids, from /proc/*/stat."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2:].split()
        ppid = int(rest[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree(root):
    kids = children_map()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cpu", help="taskset CPU list for the command")
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--pss", action="store_true", help="also sample PSS (costlier)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if a.cpu:
        cmd = ["taskset", "-c", a.cpu] + cmd
    peak = {"root_hwm_kb": 0, "tree_rss_kb": 0, "tree_pss_kb": 0, "fds_max": 0, "tree_fds_max": 0,
            "procs_max": 0, "samples": 0}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    done = threading.Event()

    def sample():
        while not done.is_set():
            pids = tree(proc.pid)
            peak["root_hwm_kb"] = max(peak["root_hwm_kb"], status_kb(proc.pid, "VmHWM:"))
            rss = sum(status_kb(p, "VmRSS:") for p in pids)
            peak["tree_rss_kb"] = max(peak["tree_rss_kb"], rss)
            if a.pss:
                peak["tree_pss_kb"] = max(peak["tree_pss_kb"], sum(pss_kb(p) for p in pids))
            peak["fds_max"] = max(peak["fds_max"], fd_count(proc.pid))
            peak["tree_fds_max"] = max(peak["tree_fds_max"], sum(fd_count(p) for p in pids))
            peak["procs_max"] = max(peak["procs_max"], len(pids))
            peak["samples"] += 1
            done.wait(a.interval)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    res = {
        "cmd": cmd,
        "rc": proc.returncode,
        "wall_s": wall,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "maxrss_kb": max(ru.ru_maxrss, peak["root_hwm_kb"]),
        "ru_maxrss_kb": ru.ru_maxrss,
        **peak,
    }
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    sys.exit(proc.returncode if proc.returncode >= 0 else 128 - proc.returncode)


if __name__ == "__main__":
    main()
