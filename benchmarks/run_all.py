"""Run every benchmark script in this folder, one after the other (``make bench``), then the collector.

Each ``bench_*.py`` prints its figures and writes ``benchmarks/results/<area>.md`` and its target rows
``<area>.targets.json``; ``collect_results.py`` then builds ``results/summary.md`` and
``benchmarks/RESULTS.md`` from those files, with the commands that produced them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {script.name}: exit {code} after {time.perf_counter() - t0:.0f} s", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print("failed:", ", ".join(failed))
    collected = subprocess.call([sys.executable, str(HERE / "collect_results.py")], cwd=HERE.parent)
    return 1 if failed or collected else 0


if __name__ == "__main__":
    sys.exit(main())
