"""A tiny model, trained and exported in seconds, for HIL self-tests and the acceptance suite on the emulator.

Data: one Recording per subject with three labelled segments whose channels are sinusoids of a
class-specific frequency plus noise (SI units) — easy to learn, so the tiny CNN reaches high
accuracy after a few epochs and the HIL tests can check accuracy as well as bit-exactness.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from imuforge.units import STANDARD_GRAVITY

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
CLASS_FREQ_HZ = {"walking": 2.0, "running": 3.5, "standing": 0.0}


def make_dataset(path: str | os.PathLike, *, subjects=("s1", "s2", "s3"), rate_hz: float = 25.0,
                 seconds_per_label: float = 10.0, seed: int = 0):
    """A Dataset of sinusoid recordings (see module doc); returns the Dataset."""
    from imuforge.recording import Dataset, Recording

    ds = Dataset.create(path)
    for k, subject in enumerate(subjects):
        rng = np.random.default_rng(seed + k)
        n_per = int(seconds_per_label * rate_hz)
        t = np.arange(n_per * len(CLASS_FREQ_HZ)) / rate_hz
        data = np.zeros((t.size, 6))
        segs = []
        for i, (lab, f) in enumerate(CLASS_FREQ_HZ.items()):
            sl = slice(i * n_per, (i + 1) * n_per)
            amp = 3.0 if f else 0.0
            ph = rng.uniform(0, 2 * np.pi)
            data[sl, :3] = amp * np.sin(2 * np.pi * f * t[sl, None] + ph + np.arange(3))
            data[sl, 2] += STANDARD_GRAVITY
            data[sl, 3:] = 0.5 * amp / 3 * np.cos(2 * np.pi * f * t[sl, None] + ph)
            segs.append((i * seconds_per_label, (i + 1) * seconds_per_label, lab))
        data += rng.normal(0, 0.3, data.shape)
        ds.add(Recording(t, data, CHANNELS, rate_hz, labels=segs, subject=subject, placement="wrist_left",
                         profile="nano33-ble-sense-rev2", provenance={"generator": "imuforge.hil.selftest",
                                                                      "seed": seed + k}), name=subject)
    return ds


def tiny_export(root: str | os.PathLike, *, epochs: int = 6, seed: int = 0, window_s: float = 1.28,
                rate_hz: float = 25.0, width: int = 8) -> Path:
    """Train a tiny_cnn (width 8) on :func:`make_dataset` data and export it; returns the export folder.

    Layout under ``root``: ``data/`` (Dataset), ``run/`` (training run), ``export/`` (int8 model).
    Reuses an existing ``export/`` (with ``model.tflite`` and ``card.json``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    root = Path(root)
    out = root / "export"
    if (out / "model.tflite").exists() and (out / "card.json").exists():
        return out
    from imuforge.export import export_run
    from imuforge.train import TrainConfig, train

    data = root / "data"
    if not (data / "manifest.json").exists():
        make_dataset(data, seed=seed, rate_hz=max(25.0, rate_hz))
    cfg = TrainConfig(data=[str(data)], model="tiny_cnn", window_s=window_s, stride_s=window_s / 2, rate_hz=rate_hz,
                      epochs=epochs, seed=seed, batch_size=16, model_kwargs={"width": width})
    train(cfg, root / "run", overwrite=True)
    export_run(root / "run", out, name="hil_selftest", profile="nano33-ble-sense-rev2", placement="wrist_left")
    return out


_SHARED: dict[str, Path] = {}


def shared_tiny_export() -> Path:
    """One :func:`tiny_export` per process (in a temporary folder), shared by test suites."""
    if "path" not in _SHARED:
        import tempfile

        _SHARED["path"] = tiny_export(Path(tempfile.mkdtemp(prefix="imuforge-hil-selftest-")))
    return _SHARED["path"]
