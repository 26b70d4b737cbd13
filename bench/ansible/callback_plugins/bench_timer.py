# Aggregate callback for the benchmark: per host, the time from "runner started the task on
# this host" (v2_runner_on_start, sent by the worker process when it begins) to its result
# arriving in the controller, plus the stdout size. Written as JSON to $BENCH_ANSIBLE_TIMES
# when the run ends. Enable with ANSIBLE_CALLBACK_PLUGINS=bench/ansible/callback_plugins,
# ANSIBLE_CALLBACKS_ENABLED=bench_timer and (for ad-hoc `ansible`) ANSIBLE_LOAD_CALLBACK_PLUGINS=1.
from __future__ import annotations

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: per-host task latency for iis-sweep's benchmark
description: writes per-host start/end times of every task to $BENCH_ANSIBLE_TIMES
requirements: [enable in configuration]
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.start = {}
        self.rows = []

    def v2_runner_on_start(self, host, task):
        self.start[host.get_name()] = time.time()

    def _end(self, result, status):
        name = result.host.get_name()
        t1 = time.time()
        t0 = self.start.get(name, t1)
        out = result.result.get("stdout", "") or ""
        self.rows.append({"host": name, "status": status, "ms": (t1 - t0) * 1000.0,
                          "stdout_chars": len(out), "rc": result.result.get("rc")})

    def v2_runner_on_ok(self, result):
        self._end(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._end(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._end(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._write()

    def _write(self):
        path = os.environ.get("BENCH_ANSIBLE_TIMES")
        if path:
            with open(path, "w") as f:
                json.dump(self.rows, f)
