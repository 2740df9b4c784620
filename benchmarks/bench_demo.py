"""Wall time of the whole demo (``make demo`` runs ``imuforge demo --out demo_out``) against its ≤ 10 min target.

Runs ``imuforge demo`` in a fresh folder as a user would, reads the per-step times and statuses it writes
(``summary.json``) and writes ``benchmarks/results/demo.md`` and ``demo.targets.json``.

    .venv/bin/python benchmarks/bench_demo.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _targets import Status, Target, combine, command_line, status, write_targets

HERE = Path(__file__).resolve().parent
IMUFORGE = Path(sys.executable).with_name("imuforge")
TARGET_MIN = 10.0


def run_demo(out: Path, quick: bool) -> dict:
    cmd = [str(IMUFORGE), "demo", "--out", str(out)] + (["--quick"] if quick else [])
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "IMUFORGE_PROGRESS": "0"})
    wall = time.monotonic() - t0
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {"steps": []}
    return {"exit": proc.returncode, "wall_s": wall, "steps": summary["steps"], "stderr": proc.stderr[-2000:]}


def report_markdown(r: dict, quick: bool) -> str:
    L = ["# Demo wall time (issue 7)", "",
         (f"Command: `{command_line()}` (runs `imuforge demo{' --quick' if quick else ''}` in an empty folder, "
          f"as `make demo` does once `.venv` exists; {os.cpu_count()} shared cores, CPU only)."), "",
         f"Whole demo: **{r['wall_s'] / 60:.1f} min** (target ≤ {TARGET_MIN:g} min), exit code {r['exit']}.", "",
         "| step | status | seconds |", "|---|---|---|"]
    L += [f"| {s['name']} | {s['status']} | {float(s['seconds']):.1f} |" for s in r["steps"]]
    return "\n".join(L) + "\n"


def target_rows(r: dict) -> list[Target]:
    ok = sum(s["status"] == "ok" for s in r["steps"])
    n = len(r["steps"])
    return [Target("7 demo", f"≤ {TARGET_MIN:g} min on 2 cores", f"{r['wall_s'] / 60:.1f} min, {ok} of {n} steps ok",
                   "—", combine({"time": status(r["wall_s"] / 60, at_most=TARGET_MIN, unit="min"),
                                 "steps": Status("met" if r["exit"] == 0 and ok == n and n else "missed")}),
                   {"wall_s": r["wall_s"], "steps_ok": ok, "steps": n, "exit": r["exit"]})]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="imuforge demo --quick (CI settings)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as d:
        r = run_demo(Path(d) / "demo_out", args.quick)
    if r["exit"]:
        print(r["stderr"])
    text = report_markdown(r, args.quick)
    print(text)
    (HERE / "results" / "demo.md").write_text(text)
    write_targets("demo", target_rows(r))
    return r["exit"]


if __name__ == "__main__":
    sys.exit(main())
