"""Shared helpers of the peer benchmark scripts (standard library and numpy only).

Timing is `time.perf_counter`, best of N, like the peers' own scripts
(../shared/peers/*/scripts/bench*.py): at least MIN_REPS repetitions (1 in quick mode when
one takes over a second), then more until the time budget is spent. MB/s is raw array bytes
(elements x itemsize) / 1e6 / seconds.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


class Reps:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.min_reps, self.max_reps, self.budget = (2, 10, 0.3) if quick else (5, 40, 1.5)

    def best(self, once) -> tuple[tuple[float, float], int, object]:
        """`once()` returns ((wall, cpu) seconds, result); returns ((best wall, best cpu), reps, last result)."""
        start = time.perf_counter()
        best_wall, best_cpu, reps, last = float("inf"), float("inf"), 0, None
        while True:
            last = None  # free the previous result before the next timed run, as the Rust side does
            gc.collect()
            (wall, cpu), last = once()
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
            reps += 1
            min_reps = 1 if self.quick and wall > 1.0 else self.min_reps
            if reps >= self.max_reps or (reps >= min_reps and time.perf_counter() - start >= self.budget):
                return (best_wall, best_cpu), reps, last


def timed(fn):
    """A repetition of fn: its wall time (perf_counter) and the thread's CPU time (thread_time,
    user + system), with the result released outside the timed part."""

    def once():
        c0, t0 = time.thread_time(), time.perf_counter()
        r = fn()
        t1, c1 = time.perf_counter(), time.thread_time()
        return (t1 - t0, c1 - c0), r

    return once


def load_cases(work: Path) -> dict:
    return json.loads((work / "cases.json").read_text())


def load_array(case: dict) -> np.ndarray:
    return np.fromfile(case["raw"], dtype=np.dtype(case["dtype"]).newbyteorder("<")).astype(case["dtype"])


def clear_dir(d: Path) -> None:
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)


def record(case: dict, codec: str, op: str, path: str, t: tuple[float, float], reps: int, payload: int | None) -> dict:
    nbytes = case["elements"] * np.dtype(case["dtype"]).itemsize
    wall, cpu = t
    mb, cpu_mb = nbytes / 1e6 / wall, nbytes / 1e6 / cpu if cpu > 0 else float("inf")
    print(f"  peer {case['name']:<17} {codec:<17} {op:<7} {mb:>10.1f} MB/s  (cpu {cpu_mb:>10.1f})  ({reps} reps)  "
          f"{path}", file=sys.stderr, flush=True)  # fmt: skip
    return {"case": case["name"], "dtype": case["dtype"], "elements": case["elements"], "codec": codec,
            "op": op, "path": path, "seconds": wall, "cpu_seconds": cpu, "reps": reps, "mb_per_s": mb,
            "cpu_mb_per_s": cpu_mb, "payload_bytes": payload}  # fmt: skip


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> int:
    """The resident set now, after resetting the peak to it (clear_refs 5)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status_kb("VmRSS:")


def peak_since(baseline_kb: int, **extra) -> None:
    peak = status_kb("VmHWM:")
    print(json.dumps({"baseline_kb": baseline_kb, "peak_kb": peak,
                      "peak_rss_mb": max(peak - baseline_kb, 0) * 1024 / 1e6, **extra}))  # fmt: skip


def rss_child(script: str, args: list[str]) -> dict:
    """Runs `script rss-decode ARGS` in a fresh interpreter of this venv, returns its JSON line."""
    out = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, env=os.environ)
    if out.returncode != 0:
        raise RuntimeError(f"rss child {args} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
