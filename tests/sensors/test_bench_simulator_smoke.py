"""Smoke test of benchmarks/bench_simulator.py: the agreement part on a 6 s trajectory.

Bounds are the ones the full benchmark measures (benchmarks/results/simulator.md), with margin:
imuforge matches the closed form to ~1e-5 m/s² and ~1e-7 rad/s from 100 Hz input, and x-io
agrees with it once its backward-difference latency (gyro t − h/2, linear acc t − h) is matched.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("imusim")

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_simulator.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_simulator", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_simulator"] = mod
    sys.path.insert(0, str(BENCH.parent))  # the benchmark imports its sibling helper ``_targets``
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(BENCH.parent))
    yield mod
    sys.modules.pop("bench_simulator", None)


def test_trajectory_closed_form_is_consistent(bench):
    """The benchmark's 'truth' gyro equals Rᵀ Ṙ by central differences of its own rotation."""
    import numpy as np

    t = np.linspace(1.0, 5.0, 41)
    h = 1e-5
    tr = bench.trajectory(t)
    rp, rm = bench.trajectory(t + h).rotation.as_matrix(), bench.trajectory(t - h).rotation.as_matrix()
    skew = np.einsum("nji,njk->nik", tr.rotation.as_matrix(), (rp - rm) / (2 * h))
    numeric = np.stack([skew[:, 2, 1], skew[:, 0, 2], skew[:, 1, 0]], axis=1)
    assert np.abs(numeric - tr.gyro).max() < 1e-6


def test_agreement_with_xio_on_short_trajectory(bench):
    ag = bench.agreement(duration_s=6.0, fps_in=100.0, rate_out=100.0, trims_s=(1.0,))
    d = {(q, name): v for (_, q, name), v in ag.diffs.items()}
    assert d["acc", "imuforge − truth"].max_abs.max() < 1e-4  # m/s² (measured 2.3e-5)
    assert d["gyro", "imuforge − truth"].max_abs.max() < 1e-6  # rad/s (measured 6.8e-8)
    matched_g = d["gyro", "x-io − imuforge, delay-matched"]
    matched_a = d["acc", "x-io − imuforge, delay-matched"]
    assert matched_g.rms_rel.max() < 0.005  # measured 0.15 %
    assert matched_a.rms_rel.max() < 0.04  # measured 1.8 % (x-io's filtfilt edge transient)
    # the residual at nominal timestamps is x-io's latency: matching it removes most of it
    assert d["gyro", "x-io − imuforge"].rms.max() > 10 * matched_g.rms.max()
    assert d["acc", "x-io − imuforge"].rms.max() > 3 * matched_a.rms.max()
