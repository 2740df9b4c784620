"""The motion-realism benchmark's written table: a ratio is bold exactly when it lies outside issue 11's bound
for its feature (±15 %, the out-of-plane axes ±25 %), and section 1 takes only the steady walking of a
free-living recording."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_motion_realism as M  # noqa: E402


def test_a_ratio_is_bold_outside_its_features_bound_only():
    rows = [("shank", "dyn_acc_rms", 1.0, 1.14, 0.1), ("shank", "hf_share", 1.0, 0.84, 0.1),
            ("shank", "axis3_sd", 1.0, 1.24, 0.1), ("shank", "axis2_sd", 1.0, 0.74, 0.1)]
    cells = [line.rsplit("|", 2)[1].strip() for line in M.table(rows).splitlines()[2:]]
    assert cells == ["1.14", "**0.84**", "1.24", "**0.74**"]


def test_steady_walking_leaves_out_a_recordings_handling_and_standing():
    fs = 50.0
    t = np.arange(int(30 * fs)) / fs
    walk = np.column_stack([0.5 * np.sin(2 * np.pi * 0.8 * t), 0 * t,
                            9.81 + 1.5 * np.sin(2 * np.pi * 1.7 * t)])
    noise = 0.02 * np.random.default_rng(0).standard_normal((len(t), 3))
    still = np.tile([0.0, 0.0, 9.81], (len(t), 1)) + noise
    handled = np.column_stack([6 * np.sin(2 * np.pi * 0.3 * t), 5 * np.cos(2 * np.pi * 0.2 * t), 4 + 0 * t])
    recording = np.concatenate([handled, walk, still])
    kept = [M.steady_walking(w, fs) for w in M._windows(recording, fs)]
    assert kept == [False] * 3 + [True] * 3 + [False] * 3


def test_angle_to_walking_is_the_tilt_of_the_still_windows():
    """Windows of walking (gravity on z with a bounce), then sitting tilted 25° about x: the angle is 25°."""
    fs, n = 50.0, 128
    t = np.arange(4 * n) / fs
    walk = np.column_stack([np.zeros(4 * n), np.zeros(4 * n), 9.81 + 2.0 * np.sin(2 * np.pi * 1.8 * t)])
    tilt = np.radians(25.0)
    sit = np.tile([0.0, 9.81 * np.sin(tilt), 9.81 * np.cos(tilt)], (3 * n, 1))
    acc = np.vstack([walk, sit])
    windows = np.arange(7)
    angles = M.angle_to_walking(acc, fs, windows < 4, windows >= 4)
    assert len(angles) == 3
    assert np.allclose(angles, 25.0, atol=0.05)


def test_site_features_of_known_signals():
    """Section 7's features on closed forms: the lower back bounces 2 sin(2π 1.8 t) on gravity (cadence 108
    steps/min, ||f| − g| RMS 2/√2, no power above 10 Hz); the ankle and thigh carry one 30 / 12 m/s² spike per
    stride, so the thigh's contact peak is 0.4 of the ankle's."""
    fs, g = 64.0, M.G0
    t = np.arange(int(30 * fs)) / fs
    up = np.zeros((len(t), 3))
    up[:, 2] = g
    back = up.copy()
    back[:, 2] += 2.0 * np.sin(2 * np.pi * 1.8 * t)
    spikes = np.zeros(len(t))
    spikes[(np.arange(1, 26) * fs / 0.9).astype(int)] = 1.0
    ankle, thigh = up.copy(), up.copy()
    ankle[:, 2] += 30.0 * spikes
    thigh[:, 2] += 12.0 * spikes
    f = M.site_features([ankle, thigh, back], fs)
    assert abs(f["cadence_spm"] - 108.0) < 2.0
    assert abs(f["lower back dyn_acc_rms"] - 2 / np.sqrt(2)) < 0.02 and f["lower back hf_share"] < 0.01
    assert abs(f["ankle contact_peak"] - 30.0) < 1e-9 and abs(f["thigh contact_peak"] - 12.0) < 1e-9
    assert abs(f["thigh / ankle contact_peak"] - 0.4) < 1e-9
    ratio = f["ankle dyn_acc_rms"] / f["lower back dyn_acc_rms"]
    assert abs(f["ankle / lower back dyn_acc_rms"] - ratio) < 1e-12
