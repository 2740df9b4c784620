"""Target rows of a benchmark run, written next to its results as ``results/<area>.targets.json``.

Every ``bench_*.py`` builds its rows from the figures it measured in that run and writes them with
:func:`write_targets`; ``collect_results.py`` turns all the files into ``results/summary.md`` ("Targets
at a glance", the top of ``RESULTS.md``). Nobody edits the summary by hand.

    from _targets import Target, combine, status, write_targets

    rows = [Target(issue="2 simulator", target="≥ 500× x-io, one sensor, one core",
                   measured=f"{ideal:.0f}× ideal, {full:.0f}× full error model", peer="x-io imusim 1.1.2",
                   status=combine({"ideal": status(ideal, at_least=500, unit="×"),
                                   "full model": status(full, at_least=500, unit="×")}),
                   values={"ideal_x": ideal, "full_x": full})]
    write_targets("simulator", rows)   # command from sys.argv; pass command=... to show env vars

A file holds ``{"area", "command", "run_utc", "machine", "load_avg_1min", "reference_ms",
"reference_start_ms", "rows": [{issue, target, measured, peer, status, note, values}, …]}``. ``status`` is one
of :data:`STATUSES`; ``note`` says why or by how much (``status()`` and ``combine()`` fill it); ``values``
keeps the raw numbers.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shlex
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _timing import reference_workload_ms

RESULTS = Path(__file__).resolve().parent / "results"
#: the reference workload timed as a benchmark script starts (every ``bench_*.py`` imports this module
#: first thing), to be recorded with the one timed as it writes its targets: the machine's speed moves within
#: a run (it read 371 and 280 ms twenty minutes apart); None when something else imports this (the tests) or
#: in a benchmark's own child process (``--…-child``: it writes no targets)
START_REFERENCE_MS = (round(reference_workload_ms(), 1)
                      if Path(sys.argv[0] if sys.argv else "").name.startswith("bench_")
                      and not any(a.endswith("-child") for a in sys.argv[1:]) else None)
STATUSES = ("met", "missed", "partly met", "not measured")


@dataclass(frozen=True)
class Status:
    """A row's verdict: one of :data:`STATUSES` and a short note (how far off, which part)."""

    verdict: str
    note: str = ""
    #: the figure the verdict was made from and which way is better (set by :func:`status`): the next run
    #: of the benchmark compares its own figure with it (:func:`write_targets`)
    score: float | None = None
    higher_is_better: bool | None = None

    def __post_init__(self):
        if self.verdict not in STATUSES:
            raise ValueError(f"status {self.verdict!r}: use one of {', '.join(STATUSES)}")


@dataclass(frozen=True)
class Target:
    """One row of "Targets at a glance"; every text is built from the run's measured figures."""

    issue: str     # "2 simulator"
    target: str    # what the issue asks, e.g. "≥ 500× x-io IMU-Simulator, one sensor, one core"
    measured: str  # what this run measured
    peer: str      # the peer measured in the same run, or "—"
    status: Status
    values: dict = field(default_factory=dict)  # the raw numbers behind ``measured``

    def to_json(self) -> dict:
        d = asdict(self)
        d["status"], d["note"] = self.status.verdict, self.status.note
        d["values"] = {k: _plain(v) for k, v in self.values.items()}
        if self.status.score is not None:
            d["score"], d["higher_is_better"] = _plain(self.status.score), self.status.higher_is_better
        return d


def status(value: float | None, *, at_least: float | None = None, at_most: float | None = None,
           unit: str = "", note: str = "") -> Status:
    """``met`` when ``value`` is on the right side of the threshold, else ``missed`` and by how much.

    Ratios (``unit="×"``) say "by 4.1×" (a near miss, under 1.095×, in per cent: "by 1.8 %"); other units
    give the gap ("by 1 200 B", "by 3 points").
    ``note`` is added after the gap (why it is missed, which part is met).
    """
    if (at_least is None) == (at_most is None):
        raise ValueError("give exactly one of at_least / at_most")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Status("not measured", note)
    ok = value >= at_least if at_least is not None else value <= at_most
    figure = dict(score=float(value), higher_is_better=at_least is not None)
    if ok:
        return Status("met", note, **figure)
    goal = at_least if at_least is not None else at_most
    if unit == "×":
        ratio = goal / value if at_least is not None else value / goal
        # a near miss in per cent: "by 1.0×" would hide it
        gap = f"by {100 * (ratio - 1):.2g} %" if ratio < 1.095 else f"by {ratio:.1f}×"
    else:
        gap = f"by {number(abs(goal - value))}{(' ' + unit) if unit else ''}"
    return Status("missed", f"{gap} ({note})" if note else gap, **figure)


def combine(parts: dict[str, Status], note: str = "") -> Status:
    """One verdict for a row made of several labelled checks: all met → met, none → missed, else partly met.

    Unless all are met the note lists each part: ``combine({"ideal": s1, "full model": s2})`` →
    ``partly met`` / "ideal: met; full model: missed by 4.1×". ``note`` is appended.
    """
    verdicts = {p.verdict for p in parts.values()}
    if verdicts == {"met"}:
        verdict = "met"
    elif "met" in verdicts:
        verdict = "partly met"
    elif verdicts == {"not measured"}:
        verdict = "not measured"
    else:
        verdict = "missed"
    if verdict == "met":
        return Status(verdict, note)
    text = "; ".join(f"{label}: {p.verdict}" + (f" {p.note}" if p.note else "") for label, p in parts.items())
    return Status(verdict, f"{text}; {note}" if note else text)


def number(x: float) -> str:
    """A figure for a table: whole numbers with thin-space thousands, small ones to 3 significant digits."""
    if abs(x) >= 100:
        return f"{x:,.0f}".replace(",", "\u2009")
    return f"{x:.3g}"


def command_line(argv: list[str] | None = None) -> str:
    """The command that ran this benchmark, as a user would type it from the repository root."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]).resolve()
    try:
        script_txt = str(script.relative_to(RESULTS.parent.parent))
    except ValueError:
        script_txt = argv[0]
    return " ".join([".venv/bin/python", shlex.quote(script_txt), *map(shlex.quote, argv[1:])])


def write_targets(area: str, rows: list[Target], command: str | None = None,
                  results_dir: Path | None = None) -> Path:
    """Write ``<results_dir>/<area>.targets.json`` (default ``benchmarks/results``) and return its path."""
    if not rows:
        raise ValueError(f"{area}: no target rows")
    out_dir = results_dir or RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {"area": area, "command": command or command_line(),
           "run_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
           # timings depend on what else ran: the 1-minute load average when the run ended
           "load_avg_1min": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
           # ... and on how fast the shared machine is that hour: a fixed workload timed now, and at the start
           "reference_ms": round(reference_workload_ms(), 1), "reference_start_ms": START_REFERENCE_MS,
           "rows": [r.to_json() for r in rows]}
    path = out_dir / f"{area}.targets.json"
    _compare_with_last_run(doc, path)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}")
    return path


#: a figure that moved the wrong way by more than this share is marked worse (timings move a few per cent
#: with the machine's load; the mark is a prompt to look, not a verdict)
WORSE_SHARE = 0.02
_RANK = {"met": 3, "partly met": 2, "missed": 1, "not measured": 0}


#: one part of a combined row's note that is met ("basicmotions: met; crowdsignals-watch: missed by …")
_MET_PART = re.compile(r"(?:^|; )([^;:]+): met\b")


def _met_parts(row: dict) -> set[str]:
    """The parts of a "partly met" row that are met (:func:`combine`'s note): a part that stops being met
    makes the row worse though its verdict stays "partly met", whatever other part became met."""
    return set(_MET_PART.findall(row.get("note") or "")) if row.get("status") == "partly met" else set()


def _compare_with_last_run(doc: dict, path: Path) -> None:
    """Give each row of ``doc`` what the last run of the benchmark (the file at ``path``, about to be
    replaced) measured for the same target, and ``worse``: its verdict dropped, or its figure moved the
    wrong way by more than :data:`WORSE_SHARE`."""
    try:
        last = json.loads(path.read_text())
        before = {(r["issue"], r["target"]): r for r in last["rows"]}
    except (OSError, ValueError, KeyError, TypeError):  # first run, or a file of an older layout
        return
    for row in doc["rows"]:
        old = before.get((row["issue"], row["target"]))
        if old is None:
            continue
        row["previous"] = ({k: old.get(k) for k in ("measured", "status", "score")}
                           | {"run_utc": last.get("run_utc"), "reference_ms": last.get("reference_ms")})
        worse = _RANK.get(row["status"], 0) < _RANK.get(old["status"], 0) or \
            row["status"] == old["status"] == "partly met" and bool(_met_parts(old) - _met_parts(row))
        a, b, up = old.get("score"), row.get("score"), row.get("higher_is_better")
        if a is not None and b is not None and up is not None and a != 0:
            change = (b - a) / abs(a)
            worse = worse or (change < -WORSE_SHARE if up else change > WORSE_SHARE)
        row["worse"] = bool(worse)


def read_targets(results_dir: Path | None = None) -> dict[str, dict]:
    """Every ``*.targets.json`` in ``results_dir``, by area; a malformed file raises naming it."""
    out = {}
    for path in sorted((results_dir or RESULTS).glob("*.targets.json")):
        try:
            doc = json.loads(path.read_text())
            for row in doc["rows"]:
                missing = {"issue", "target", "measured", "peer", "status"} - set(row)
                if missing:
                    raise ValueError(f"row {row.get('target')!r} has no {', '.join(sorted(missing))}")
                if row["status"] not in STATUSES:
                    raise ValueError(f"row {row['target']!r}: status {row['status']!r} is not one of "
                                     f"{', '.join(STATUSES)}")
            out[doc["area"]] = doc
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}: not a targets file: {exc}") from exc
    return out


def _plain(v):
    """numpy scalars and tuples as plain JSON values."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "item"):
        return v.item()
    return v
