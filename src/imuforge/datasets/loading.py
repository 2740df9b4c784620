"""Find Dataset folders and turn them into windows."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imuforge.datasets.windowing import DEFAULT_CHANNELS, Windows, make_windows, no_subject_message
from imuforge.errors import ValidationError
from imuforge.progress import progress
from imuforge.recording import (RECORDING_SUFFIX, UNFINISHED_CORPUS, Dataset, check_si_figures, find_datasets,
                                moving_rates, window_norms)


def split_paths(spec: str | os.PathLike | Sequence[str | os.PathLike] | None) -> list[Path]:
    """``"a,b"``, ``["a", "b"]`` or one ``Path`` → paths (empty for None / ""): what every function taking
    data folders accepts, so one folder need not be wrapped in a list (a string would be its characters)."""
    if spec is None:
        return []
    if isinstance(spec, os.PathLike):
        return [Path(spec)]
    if isinstance(spec, str):
        parts = [p for p in spec.split(",") if p.strip()]
    else:
        parts = [str(p) for p in spec]
    return [Path(p.strip()) for p in parts]


def find_all_datasets(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Dataset]:
    """Every Dataset in the given folders (each a Dataset or a folder holding Datasets, recursively),
    and the recording files outside any Dataset (a plain folder of captures, as ``imuforge capture``
    writes them) as one in-memory Dataset per folder given; a recording file given itself is a Dataset of
    one recording."""
    paths = split_paths(paths)
    out: list[Dataset] = []
    seen_sets: set[Path] = set()  # Dataset folders (manifest) taken
    seen_files: set[Path] = set()  # loose recording files taken: a folder and a file in it count once
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise ValidationError(f"data folder {p} does not exist",
                                  allowed="a Dataset folder, a folder of them, or a folder of recordings")
        if (p / UNFINISHED_CORPUS).is_dir() and not (p / Dataset.MANIFEST).exists():
            raise ValidationError(f"{p} is a corpus imuforge generate has not finished (no "
                                  f"{Dataset.MANIFEST} yet)",
                                  allowed="run the same imuforge generate command again: it makes the shards "
                                          "left and writes the manifest")
        if p.is_file():  # one recording file, as calibrate and dataset info take it
            if not p.name.endswith((RECORDING_SUFFIX, ".csv")):
                raise ValidationError(f"{p} is neither a folder nor a recording file",
                                      allowed="a Dataset folder, a folder of recordings, or a "
                                      f"*{RECORDING_SUFFIX} / *.csv recording")
            root, sets, loose = p.parent, [], [p]
        else:
            root, sets = p, (find_datasets(p) if any(p.rglob(Dataset.MANIFEST)) else [])
            inside = [Path(ds.path).resolve() for ds in sets]
            loose = sorted(f for f in p.rglob("*")
                           if f.is_file() and f.name.endswith((RECORDING_SUFFIX, ".csv"))
                           and not any(d in f.resolve().parents for d in inside))
        if not sets and not loose:
            raise ValidationError(f"no recordings in {p}", allowed="a Dataset folder, a folder of them, or a folder "
                                  f"of recordings (*{RECORDING_SUFFIX}, *.csv)")
        for ds in sets:
            if Path(ds.path).resolve() not in seen_sets:
                seen_sets.add(Path(ds.path).resolve())
                out.append(ds)
        loose = [f for f in loose if f.resolve() not in seen_files]
        if loose:
            seen_files.update(f.resolve() for f in loose)
            out.append(Dataset.from_files(root, loose))
    return out


class _UnitFigures:
    """The figures :func:`~imuforge.recording.check_si_figures` judges units by, gathered recording by
    recording: data in g or deg/s (a data set not brought through ``imuforge import``) are refused before a
    model is trained or scored on them."""

    def __init__(self) -> None:
        self.norms: list[np.ndarray] = []
        self.peaks: list[float] = []
        self.moving: list[np.ndarray] = []

    def add(self, rec) -> None:
        if len(rec) == 0:
            return
        self.norms.append(window_norms([rec]))
        if rec.gyro is not None:
            self.peaks.append(float(np.percentile(np.abs(rec.gyro), 99.9)))
        self.moving.append(moving_rates([rec]))

    def check(self) -> None:
        def joined(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0)

        check_si_figures(joined(self.norms), self.peaks, "data", joined(self.moving))


def _rates_apart(rates: dict[str, set[float]], keep: Sequence[str] | None) -> str | None:
    """A warning when two labels' recordings share no sample rate: resampled to one, what each rate leaves
    (its anti-aliasing, the band it lacks) is a cue of the class a model can learn instead of the motion."""
    rates = {lab: r for lab, r in rates.items() if keep is None or lab in keep}
    labs = sorted(rates)
    if not any(not rates[a] & rates[b] for i, a in enumerate(labs) for b in labs[i + 1:]):
        return None
    shown = "; ".join(f"{lab} {', '.join(f'{r:g}' for r in sorted(rates[lab]))} Hz" for lab in labs)
    return (f"the labels come at different sample rates ({shown}): resampled to one, the rate each leaves "
            "its trace in can become the cue of its class — record or simulate every label at one rate")


def load_windows(paths: str | os.PathLike | Sequence[str | os.PathLike], *, window_s: float, stride_s: float,
                 rate_hz: float, channels: Sequence[str] = DEFAULT_CHANNELS, label_policy: str = "majority",
                 keep_labels: Sequence[str] | None = None, desc: str = "windowing",
                 warn_no_subject: bool = True) -> tuple[Windows, list[dict]]:
    """Windows from every recording of every Dataset under ``paths``, and the datasets' summaries.

    Recordings without a subject id become their own group (``recording:<source>``); one warning
    says how many there are, unless ``warn_no_subject`` is off (the caller decides what they mean).
    """
    datasets = find_all_datasets(paths)
    parts: list[Windows] = []
    total = sum(len(ds) for ds in datasets)
    bar = progress(total=total, desc=desc, unit="rec")
    no_subject = 0
    units = _UnitFigures()
    rates: dict[str, set[float]] = {}  # label → the native rates its recordings come at
    for ds in datasets:
        for entry, rec in zip(ds.entries, ds.recordings()):
            name = f"{ds.path}/{entry['file']}"
            no_subject += rec.subject is None
            units.add(rec)
            for label in rec.duration_per_label():
                rates.setdefault(label, set()).add(round(float(rec.rate_hz), 3))
            with warnings.catch_warnings():  # counted here, said once below
                warnings.filterwarnings("ignore", message=r".*have no subject id")
                parts.append(make_windows([rec], window_s=window_s, stride_s=stride_s, rate_hz=rate_hz,
                                          channels=channels, label_policy=label_policy, keep_labels=keep_labels,
                                          source_names=[name]))
            bar.update(1)
    bar.close()
    units.check()
    apart = _rates_apart(rates, keep_labels)
    if apart:
        warnings.warn(apart, stacklevel=2)
    if no_subject and warn_no_subject:
        warnings.warn(no_subject_message(no_subject), stacklevel=2)
    if not parts:
        raise ValidationError(f"no recordings in {', '.join(map(str, paths))}")
    return Windows.concat(parts), [ds.summary() for ds in datasets]
