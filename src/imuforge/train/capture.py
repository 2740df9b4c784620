"""Which real data validate a run by default: the capture its calibrated data were calibrated with.

``imuforge calibrate --real CAP`` records the capture in the calibrated Dataset's metadata
(``meta["calibration"]["real"]``, and since session 42 ``real_resolved``: the same paths made absolute). A
model trained on that Dataset alone (``imuforge train --data CAL``) is then validated on the capture —
early stopping and the validation figures on real data of the device, never trained on — unless the
user names other validation data or ``--val none``. In the sim-to-real benchmark
(benchmarks/RESULTS.md, session 41's rows) early stopping on the capture scored above holding out part
of the synthetic data on five of its six sets (macro-F1 BasicMotions 0.971 → 0.994, CrowdSignals phone
0.953 → 0.975, gaitmap feet 0.601 → 0.724, mobgap walking recall 0.970 → 0.989, seglearn 0.484 → 0.501;
the watch 0.837 → 0.822, within its seeds' spread): held-out synthetic people tell how well a model has
learned the generator, the capture how well it reads the device on a real person.

The capture is not used (and the decision says why) when the run also trains on real data (``--real``: the
capture usually is that data), when it is no longer where calibration found it, when it holds labels no
training recording has, or when it also trains.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imuforge.datasets.loading import find_all_datasets, split_paths
from imuforge.errors import ValidationError


@dataclass(frozen=True)
class CaptureValidation:
    """What :func:`capture_validation` decided: the capture folders / files that validate (empty: none) and one
    line saying so (empty when the training data were not calibrated: nothing to say)."""

    paths: list[str] = field(default_factory=list)
    note: str = ""


def _recorded_captures(ds) -> list[Path]:
    """The captures a calibrated Dataset names, each as found on disk now (absolute as recorded, then as
    given — relative to the working directory calibration ran in, which is usually this one)."""
    cal = (ds.meta or {}).get("calibration") or {}
    given, resolved = list(cal.get("real") or []), list(cal.get("real_resolved") or [])
    out = []
    for i, p in enumerate(given):
        tries = ([Path(resolved[i])] if i < len(resolved) else []) + [Path(p)]
        out.append(next((t for t in tries if t.exists()), Path(p)))
    return out


def _labels_held(paths: Sequence[str | os.PathLike]) -> set[str]:
    return {lab for ds in find_all_datasets(paths) for e in ds.entries for lab in (e.get("labels_s") or {})}


def capture_validation(data: Sequence[str | os.PathLike], real: Sequence[str | os.PathLike] = (), *,
                       labels: Sequence[str] | None = None) -> CaptureValidation:
    """The validation data a run on ``data`` (and ``real``) gets by default (see the module docstring).

    ``labels``: the run's ``--labels`` (None: every label the data hold), so a capture of more activities than
    the model is asked to tell apart is still used.
    """
    data = split_paths(data)
    datasets = find_all_datasets(data)
    captures = sorted({c for ds in datasets for c in _recorded_captures(ds)}, key=str)
    if not captures:
        return CaptureValidation()
    shown = ", ".join(str(c) for c in captures)
    if split_paths(real):
        return CaptureValidation(note=f"the data were calibrated with {shown}; with --real training too, "
                                      "validation is held out as usual (--val CAP to validate on a capture)")
    missing = [c for c in captures if not c.exists()]
    if missing:
        return CaptureValidation(note=f"the capture the data were calibrated with is not at "
                                      f"{', '.join(map(str, missing))}: validation held out from --data instead "
                                      "(--val CAP names it)")
    trained = {Path(ds.path).resolve() for ds in datasets}
    try:
        held = {Path(ds.path).resolve() for ds in find_all_datasets(captures)}
        in_capture, in_data = _labels_held(captures), _labels_held(data)
    except ValidationError as exc:  # a capture folder that no longer reads: say so, train as usual
        return CaptureValidation(note=f"the capture the data were calibrated with ({shown}) does not read "
                                      f"({exc.what}): validation held out from --data instead")
    if held & trained:
        return CaptureValidation(note=f"the capture {shown} is also in --data: validation held out from "
                                      "--data instead")
    kept = in_capture if labels is None else in_capture & set(labels)  # --labels drops the others
    extra = kept - in_data
    if extra or not kept:
        what = (f"holds {', '.join(sorted(extra))}, which no --data recording has" if extra
                else "holds none of the labels kept")
        return CaptureValidation(note=f"the capture {shown} {what}: validation held out from --data instead")
    return CaptureValidation(
        [str(c) for c in captures],
        f"validating on the capture the data were calibrated with ({shown}): early stopping and the "
        "validation figures on real data, never trained on — --val none holds out part of --data instead")


__all__ = ["CaptureValidation", "capture_validation"]
