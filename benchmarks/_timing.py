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
