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

The capture is not used (and the decision says why) when the run also trains on real data (``--real``:
the capture usually is that data), when it is no longer where calibration found it or no longer reads, when
it holds no labels, a label no training recording has among those ``--labels`` keeps, too few seconds of
each label for a window, or when it also trains; and the command trains as without it
(:func:`fallback_note`) when the trainer finds no window of it to validate on. Without ``--labels``, a capture
label no training recording has is left out of validation (:attr:`CaptureValidation.labels`: the run keeps
the training data's labels) and the rest validates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imuforge.datasets.loading import find_all_datasets, split_paths
from imuforge.errors import ValidationError
from imuforge.recording import Dataset


@dataclass(frozen=True)
class CaptureValidation:
    """What :func:`capture_validation` decided: the capture folders / files that validate (empty: none) and
    one line saying so (empty when the training data were not calibrated: nothing to say)."""

    paths: list[str] = field(default_factory=list)
    note: str = ""
    #: the labels the run keeps (``--labels``) so that the capture's labels no --data recording has stay out
    #: of validation; empty: all
    labels: list[str] = field(default_factory=list)


def _recorded_captures(ds) -> list[Path]:
    """The captures a calibrated Dataset names, absolute: where calibration found them (``real_resolved``);
    for a Dataset calibrated before that was recorded, the paths as given, from the working directory."""
    cal = (ds.meta or {}).get("calibration") or {}
    resolved = cal.get("real_resolved")
    return [Path(p).absolute() for p in (resolved if resolved is not None else cal.get("real") or [])]


def _labels_held(datasets) -> set[str]:
    return {lab for ds in datasets for e in ds.entries for lab in (e.get("labels_s") or {})}


def capture_validation(data: str | os.PathLike | Dataset | Sequence[str | os.PathLike | Dataset],
                       real: Sequence[str | os.PathLike] = (), *, labels: Sequence[str] | None = None,
                       min_seconds: float | None = None) -> CaptureValidation:
    """The validation data a run on ``data`` (and ``real``) gets by default (see the module docstring).

    ``min_seconds``: the seconds of one label a window needs (under ``--label-policy majority`` half the
    window, a whole one under ``pure``); a capture with fewer of every label it would validate on is then
    left out at once, and labels the training data hold for fewer seconds are not kept for the run.

    ``data``: the ``--data`` folders, or the Datasets found in them (not read again). ``labels``: the run's
    ``--labels`` (None: every label the data hold), so a capture of more activities than the model is asked
    to tell apart is still used.
    """
    if isinstance(data, (str, os.PathLike, Dataset)):  # one folder or Dataset, as split_paths takes it
        data = [data]
    datasets = [d for d in data if isinstance(d, Dataset)]
    paths = [d for d in data if not isinstance(d, Dataset)]
    datasets += find_all_datasets(split_paths(paths)) if paths else []
    # one folder named two ways (as given, and resolved) counts once
    found = {c.resolve(): c for ds in datasets for c in _recorded_captures(ds)}
    captures = sorted(found.values(), key=str)
    if not captures:
        return CaptureValidation()
    shown = ", ".join(str(c) for c in captures)
    instead = "validation held out from --data instead"
    if split_paths(real):
        return CaptureValidation(note=f"the data were calibrated with {shown}; with --real training too, "
                                      "validation is held out as usual")
    missing = [c for c in captures if not c.exists()]
    if missing:
        return CaptureValidation(note=f"the capture the data were calibrated with is not at "
                                      f"{', '.join(map(str, missing))}: {instead} (--val names one)")
    trained = {Path(ds.path).resolve() for ds in datasets}
    try:
        held = find_all_datasets(captures)
    except ValidationError as exc:  # a capture folder that no longer reads: say so, train as usual
        return CaptureValidation(note=f"the capture the data were calibrated with ({shown}) does not read "
                                      f"({exc.what}): {instead}")
    if {Path(ds.path).resolve() for ds in held} & trained:
        return CaptureValidation(note=f"the capture {shown} is also in --data: {instead}")
    in_capture = _labels_held(held)
    # the labels the training data hold (for at least a window's share of seconds, when that is known)
    seconds = _seconds(datasets)
    if labels is not None and not set(labels) & set(seconds):
        return CaptureValidation()  # --labels names none of the data's: the trainer refuses that, not a note
    in_data = {lab for lab, sec in seconds.items() if sec >= (min_seconds or 0.0)}
    kept = in_capture if labels is None else in_capture & set(labels)  # --labels drops the others
    extra = kept - in_data
    if not kept & in_data or (extra and labels is not None):
        what = (_lacking(extra, seconds, min_seconds) if extra
                else "holds no labels" if not in_capture else "holds none of the labels kept")
        return CaptureValidation(note=f"the capture {shown} {what}: {instead}")
    if min_seconds is not None and all(_seconds(held).get(lab, 0.0) < min_seconds for lab in kept & in_data):
        return CaptureValidation(note=f"the capture {shown} holds less than {min_seconds:g} s (what a window "
                                      f"needs) of each label: {instead}")
    left_out = ""
    if extra:
        none = all(seconds.get(lab, 0.0) == 0.0 for lab in extra)
        which = "that label" if len(extra) == 1 else "those labels"
        left_out = (f"; its {', '.join(sorted(extra))} windows are left out: the --data recordings hold "
                    + (f"none of {which}" if none else f"too little of {which} to train it"))
    return CaptureValidation(
        [str(c) for c in captures],
        f"validating on the capture the data were calibrated with ({shown}){left_out}: early stopping and "
        "the validation figures on real data, never trained on — --val none holds out part of --data instead",
        sorted(in_data) if extra else [])


def _lacking(extra: set[str], seconds: dict[str, float], min_seconds: float | None) -> str:
    """What the --data recordings lack of the capture's labels ``extra``: the labels themselves, or (where
    they hold them, under a window's share each) the seconds."""
    absent = sorted(lab for lab in extra if lab not in seconds)
    if absent:
        return f"holds {', '.join(absent)}, which no --data recording has"
    return (f"holds {', '.join(sorted(extra))}, which the --data recordings hold for less than "
            f"{min_seconds:g} s (what a window needs)")


def _seconds(datasets) -> dict[str, float]:
    """Seconds per label over the recordings of ``datasets`` (their manifests' ``labels_s``)."""
    out: dict[str, float] = {}
    for e in (e for ds in datasets for e in ds.entries):
        for lab, sec in (e.get("labels_s") or {}).items():
            out[lab] = out.get(lab, 0.0) + float(sec)
    return out


def fallback_note(decided: CaptureValidation, reason: str) -> str:
    """The note for a capture :func:`capture_validation` chose that the trainer then could not validate on
    (``reason``: its refusal, e.g. no window as long as ``--window-s``)."""
    return (f"the capture {', '.join(decided.paths)} cannot validate this run ({reason}): validation held "
            "out from --data instead")


__all__ = ["CaptureValidation", "capture_validation", "fallback_note"]
