"""Small synthetic HAR Recordings for the tests: one sinusoid frequency per class (SI units)."""

from __future__ import annotations

import numpy as np

from imuforge.recording import Dataset, Recording

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
CLASS_FREQ_HZ = {"walking": 2.0, "running": 3.5, "standing": 0.0, "cycling": 1.2}


def make_recording(subject: str, rate_hz: float = 50.0, seconds_per_label: float = 8.0, seed: int = 0,
                   labels=("walking", "running", "standing")) -> Recording:
    """Consecutive label segments; each class a sinusoid of its own frequency plus noise (SI units)."""
    rng = np.random.default_rng(seed)
    n_per = int(seconds_per_label * rate_hz)
    t = np.arange(n_per * len(labels)) / rate_hz
    data = np.zeros((t.size, 6))
    segs = []
    for i, lab in enumerate(labels):
        sl = slice(i * n_per, (i + 1) * n_per)
        f = CLASS_FREQ_HZ[lab]
        amp = 3.0 if f else 0.0
        phase = rng.uniform(0, 2 * np.pi)
        data[sl, :3] = amp * np.sin(2 * np.pi * f * t[sl, None] + phase + np.arange(3))
        data[sl, 2] += 9.81
        data[sl, 3:] = 0.5 * amp / 3 * np.cos(2 * np.pi * f * t[sl, None] + phase)
        segs.append((i * seconds_per_label, (i + 1) * seconds_per_label, lab))
    data += rng.normal(0, 0.3, data.shape)
    return Recording(t, data, CHANNELS, rate_hz, labels=segs, subject=subject, placement="wrist_left",
                     profile="test-device", provenance={"generator": "tests", "seed": seed})


def write_recordings(path, recs) -> Dataset:
    """A new Dataset at ``path`` holding ``recs``, named ``r0``, ``r1``, …"""
    ds = Dataset.create(path)
    for i, r in enumerate(recs):
        ds.add(r, name=f"r{i}")
    return ds


def make_dataset(path, subjects=("s1", "s2", "s3", "s4"), rate_hz=50.0, seconds_per_label=8.0, seed=0) -> Dataset:
    ds = Dataset.create(path)
    for k, s in enumerate(subjects):
        ds.add(make_recording(s, rate_hz, seconds_per_label, seed=seed + k), name=f"{s}")
    return ds
