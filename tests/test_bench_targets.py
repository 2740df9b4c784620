"""The benchmarks' target rows: each run is compared with the last one of the same benchmark, and a figure
that moved the wrong way (or a verdict that dropped) is marked worse in "Targets at a glance"."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import _targets as T  # noqa: E402
from collect_results import summary_markdown  # noqa: E402


def _rows(per_core: float, memory: float) -> list:
    return [T.Target("14 corpus", "≥ 1000× per core", f"{per_core:.0f}×", "—",
                     T.status(per_core, at_least=1000, unit="×")),
            T.Target("14 corpus", "memory ≤ 1.5×", f"{memory:.2f}×", "—", T.status(memory, at_most=1.5, unit="×"))]


def test_a_figure_that_moved_the_wrong_way_is_marked_worse(tmp_path):
    T.write_targets("generate", _rows(858, 1.35), command="bench", results_dir=tmp_path)
    first = json.loads((tmp_path / "generate.targets.json").read_text())
    assert all("previous" not in r for r in first["rows"])  # nothing to compare the first run with
    T.write_targets("generate", _rows(819, 1.34), command="bench", results_dir=tmp_path)
    doc = json.loads((tmp_path / "generate.targets.json").read_text())
    speed, memory = doc["rows"]
    assert speed["worse"] is True and speed["previous"]["measured"] == "858×" and speed["score"] == 819
    assert memory["worse"] is False  # lower is better there, and 1.34 < 1.35
    text = summary_markdown({"generate": doc}, ["generate"])
    assert f"**worse than the run of {first['run_utc']}**: 858×" in text
    assert text.count("**worse than the run") == 1
    # the machine's speed of both runs beside it: a fixed workload's CPU time, recorded by every run
    assert first["reference_ms"] > 0 and doc["reference_ms"] > 0
    assert (f"(reference workload then {first['reference_ms']:g} ms, now {doc['reference_ms']:g} ms)"
            in text)
    assert f"; reference workload {doc['reference_ms']:g} ms)" in text
    # within the 2 % a loaded machine moves timings by: not marked; a verdict that drops always is
    T.write_targets("generate", _rows(810, 1.6), command="bench", results_dir=tmp_path)
    speed, memory = json.loads((tmp_path / "generate.targets.json").read_text())["rows"]
    assert speed["worse"] is False and memory["worse"] is True


def test_a_benchmark_run_records_the_reference_workload_at_its_start_too(tmp_path, monkeypatch):
    """Imported by the tests the start figure is None (not a benchmark run); a run that has one shows both."""
    assert T.START_REFERENCE_MS is None  # sys.argv[0] is pytest's, not a bench_*.py
    T.write_targets("generate", _rows(858, 1.35), command="bench", results_dir=tmp_path)
    doc = json.loads((tmp_path / "generate.targets.json").read_text())
    assert doc["reference_start_ms"] is None
    text = summary_markdown({"generate": doc}, ["generate"])
    assert f"; reference workload {doc['reference_ms']:g} ms)" in text
    monkeypatch.setattr(T, "START_REFERENCE_MS", 371.0)
    T.write_targets("generate", _rows(858, 1.35), command="bench", results_dir=tmp_path)
    doc = json.loads((tmp_path / "generate.targets.json").read_text())
    assert doc["reference_start_ms"] == 371.0
    text = summary_markdown({"generate": doc}, ["generate"])
    assert f"; reference workload 371.0 ms at the start, {doc['reference_ms']:.1f} ms at the end)" in text


def test_a_part_of_a_partly_met_row_that_stops_being_met_marks_it_worse(tmp_path):
    """Issue 10's (b) row stayed "partly met" when the CrowdSignals watch dropped from met to missed (session
    59): its verdict did not drop, so nothing was marked. A row whose met parts are fewer than the last run's
    is marked worse; one with as many is not."""
    def row(*watch: float):
        parts = {f"set{i}": T.status(v, at_least=0.85) for i, v in enumerate(watch)}
        return [T.Target("10 sim2real", "(b) ≥ 0.85", "…", "—", T.combine(parts))]

    T.write_targets("sim2real", row(0.99, 0.86, 0.74), command="bench", results_dir=tmp_path)
    T.write_targets("sim2real", row(0.99, 0.84, 0.74), command="bench", results_dir=tmp_path)
    (last,) = json.loads((tmp_path / "sim2real.targets.json").read_text())["rows"]
    assert last["status"] == "partly met" and last["worse"] is True
    # one part lost while another is won: still worse (the lost one is said); all met: better, not worse
    T.write_targets("sim2real", row(0.99, 0.80, 0.90), command="bench", results_dir=tmp_path)
    (last,) = json.loads((tmp_path / "sim2real.targets.json").read_text())["rows"]
    assert last["status"] == "partly met" and last["worse"] is False  # against (0.99, 0.84, 0.74): set2 won
    T.write_targets("sim2real", row(0.99, 0.90, 0.80), command="bench", results_dir=tmp_path)
    (last,) = json.loads((tmp_path / "sim2real.targets.json").read_text())["rows"]
    assert last["status"] == "partly met" and last["worse"] is True  # set2 lost, set1 won
    T.write_targets("sim2real", row(0.99, 0.90, 0.90), command="bench", results_dir=tmp_path)
    (last,) = json.loads((tmp_path / "sim2real.targets.json").read_text())["rows"]
    assert last["status"] == "met" and last["worse"] is False
