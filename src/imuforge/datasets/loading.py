"""Find Dataset folders and turn them into windows."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from imuforge.datasets.windowing import DEFAULT_CHANNELS, Windows, make_windows, no_subject_message
from imuforge.errors import NotARecordingError, ValidationError
from imuforge.progress import progress
from imuforge.recording import RECORDING_SUFFIX, UNFINISHED_CORPUS, Dataset, SiFigures, find_datasets


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


def check_exist(paths, option: str) -> None:
    """Refuse a folder or file of ``paths`` that does not exist, named with the ``option`` that gave it
    (``data folder X does not exist`` had not said whether --data, --real or --val gave it)."""
    missing = next((p for p in split_paths(paths) if not Path(p).exists()), None)
    if missing is not None:
        raise ValidationError(f"{option} {missing} does not exist",
                              allowed="a Dataset folder, a folder of them, or a folder of recordings")


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
        check_finished_corpus(p)
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
            motions = sum(1 for _ in p.rglob("*.motion.npz")) if p.is_dir() else 0
            held = (f": it holds {motions} motion file(s) (*.motion.npz), which no device has recorded yet — "
                    "imuforge simulate --motion FILE --profile NAME, or imuforge motion … --profile NAME"
                    if motions else "")
            raise ValidationError(f"no recordings in {p}{held}",
                                  allowed=f"a Dataset folder, a folder of them, or a folder of recordings "
                                          f"(*{RECORDING_SUFFIX}, *.csv)")
        for ds in sets:
            if Path(ds.path).resolve() not in seen_sets:
                seen_sets.add(Path(ds.path).resolve())
                out.append(ds)
        loose = [f for f in loose if f.resolve() not in seen_files]
        if loose:
            seen_files.update(f.resolve() for f in loose)
            try:
                out.append(Dataset.from_files(root, loose))
            except NotARecordingError as exc:  # a .csv found below a folder given, not named by the user
                if p.is_file() or not str(exc.source or "").endswith(".csv"):
                    raise
                raise stray_csv(exc, p) from None
    return out


def check_finished_corpus(p: Path) -> None:
    """Refuse a folder that is a corpus ``imuforge generate`` has not finished: its shards so far, no
    manifest."""
    if (p / UNFINISHED_CORPUS).is_dir() and not (p / Dataset.MANIFEST).exists():
        raise ValidationError(f"{p} is a corpus imuforge generate has not finished (no {Dataset.MANIFEST} "
                              "yet)",
                              allowed="run the same imuforge generate command again: it makes the shards "
                                      "left and writes the manifest")


def stray_csv(exc: NotARecordingError, folder: Path) -> ValidationError:
    """The refusal of a ``.csv`` below ``folder`` (found, not named by the user) that is no recording, saying
    why it was read at all."""
    hint = (f"every *.csv below {folder} outside a Dataset is read as a recording: move other CSV files out "
            "of it, or give the Dataset folders themselves")
    return ValidationError(exc.what, source=exc.source,
                           allowed=f"{exc.allowed}; {hint}" if exc.allowed else hint)


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
    units = SiFigures()
    for ds in datasets:
        for entry, rec in zip(ds.entries, ds.recordings()):
            name = f"{ds.path}/{entry['file']}"
            no_subject += rec.subject is None
            units.add(rec, name=name)
            with warnings.catch_warnings():  # counted here, said once below
                warnings.filterwarnings("ignore", message=r".*have no subject id")
                parts.append(make_windows([rec], window_s=window_s, stride_s=stride_s, rate_hz=rate_hz,
                                          channels=channels, label_policy=label_policy, keep_labels=keep_labels,
                                          source_names=[name]))
            bar.update(1)
    bar.close()
    units.check("data")
    if no_subject and warn_no_subject:
        warnings.warn(no_subject_message(no_subject), stacklevel=2)
    if not parts:
        raise ValidationError(f"no recordings in {', '.join(map(str, paths))}")
    return Windows.concat(parts), [ds.summary() for ds in datasets]
