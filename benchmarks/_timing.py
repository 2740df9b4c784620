"""Wall-clock timing shared by the benchmarks: the best of repeated calls (the least disturbed run)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """Smallest wall time (s) of ``repeats`` calls of ``fn``, and the last call's result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_time(fn: Callable[[], object], repeats: int = 3) -> float:
    """Smallest wall time (s) of ``repeats`` calls of ``fn``."""
    return best_of(fn, repeats)[0]


def reference_workload_ms(repeats: int = 3) -> float:
    """CPU milliseconds (best of ``repeats``) of a fixed single-threaded workload shaped like the project's
    own: many small numpy calls (the per-frame glue of motion and sensor code), a few long vectorised passes
    (FFTs and filters over a minute of samples) and a pure-Python loop.

    Shared machines change speed from hour to hour (the same generation code read 461–655× real time in three
    runs of one session); a benchmark run that records this figure next to its timings lets two runs be
    compared for the machine as well as for the code. It is not a benchmark of anything itself.
    """
    import numpy as np
    from scipy import signal

    rng = np.random.default_rng(0)
    small = rng.normal(size=(64, 3))
    long = rng.normal(size=(60_000, 3))
    sos = signal.butter(4, 0.2, output="sos")

    def work() -> float:
        acc = 0.0
        for _ in range(12_000):  # small-array glue
            acc += float(np.linalg.norm(small @ small.T[:, :3], axis=1).sum())
        for _ in range(30):  # long vectorised passes
            acc += float(np.abs(np.fft.rfft(long, axis=0)).sum())
            acc += float(signal.sosfilt(sos, long, axis=0).sum())
        total = 0
        for i in range(900_000):  # interpreter
            total += i % 7
        return acc + total

    best = float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        work()
        best = min(best, time.process_time() - c0)
    return best * 1e3
