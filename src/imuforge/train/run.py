"""The training-run folder: what `imuforge train` writes and `eval` / `export` read.

Layout::

    RUN/
      model.keras          the float Keras model (input: normalised window)
      config.json          every training parameter (window, stride, rate, channels, seed, data …)
      labels.json          label map: output index → label
      normalisation.json   per-channel mean and std (SI units) applied before the model
      history.json/.png    loss and accuracy per epoch, train and validation
      data.json            datasets used, windows per class and split, subjects, dropped windows
      metrics.json         validation metrics of the kept (best) weights
      heldout.npz          validation windows (SI, not normalised) and labels: held-out for export
      representative.npz   class-balanced, shuffled training windows for int8 calibration
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imuforge.errors import ValidationError, require_extra

RUN_FILES = ("model.keras", "config.json", "labels.json", "normalisation.json")


@dataclass
class Run:
    """A training run folder, loaded."""

    path: Path
    config: dict[str, Any]
    labels: list[str]
    mean: np.ndarray
    std: np.ndarray

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.config["channels"])

    @property
    def rate_hz(self) -> float:
        return float(self.config["rate_hz"])

    @property
    def window_s(self) -> float:
        return float(self.config["window_s"])

    @property
    def stride_s(self) -> float:
        return float(self.config["stride_s"])

    @property
    def window_length(self) -> int:
        return int(self.config["window_length"])

    def normalise(self, X: np.ndarray) -> np.ndarray:
        """(x - mean) / std per channel, float32."""
        return ((np.asarray(X, np.float64) - self.mean) / self.std).astype(np.float32)

    def keras_model(self):
        """The float Keras model (loads TensorFlow)."""
        keras = require_extra("keras", purpose="loading a trained model")

        return keras.models.load_model(self.path / "model.keras", compile=False)

    def label_index(self, labels) -> np.ndarray:
        """Label strings → indices into :attr:`labels` (-1 for unknown labels)."""
        lut = {lab: i for i, lab in enumerate(self.labels)}
        return np.array([lut.get(str(v), -1) for v in labels], dtype=np.int64)

    def read_npz(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, labels)`` from ``heldout.npz`` or ``representative.npz``."""
        path = self.path / name
        if not path.exists():
            raise ValidationError(f"run has no {name}", source=str(self.path), allowed="a folder made by imuforge train")
        with np.load(path, allow_pickle=False) as z:
            return z["X"], z["labels"].astype(str)

    def json(self, name: str) -> Any:
        path = self.path / name
        return json.loads(path.read_text()) if path.exists() else None


def load_run(path: str | os.PathLike) -> Run:
    """Open a training run folder written by :func:`imuforge.train.train`."""
    path = Path(path)
    if not path.is_dir():
        raise ValidationError(f"run folder {path} does not exist", allowed="a folder made by imuforge train")
    missing = [f for f in RUN_FILES if not (path / f).exists()]
    if missing:
        raise ValidationError(f"{path} is not a training run: missing {', '.join(missing)}",
                              allowed="a folder made by imuforge train")
    config = json.loads((path / "config.json").read_text())
    labels = json.loads((path / "labels.json").read_text())["labels"]
    norm = json.loads((path / "normalisation.json").read_text())
    mean = np.asarray(norm["mean"], np.float64)
    std = np.asarray(norm["std"], np.float64)
    if mean.shape != (len(config["channels"]),) or std.shape != mean.shape or np.any(std <= 0):
        raise ValidationError("normalisation does not match the channels or has std <= 0",
                              source=str(path / "normalisation.json"))
    return Run(path=path, config=config, labels=list(labels), mean=mean, std=std)


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically, indented, with a trailing newline."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=False, default=_json_default) + "\n")
    os.replace(tmp, path)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
