"""Importers: public HAR datasets in their published file layouts → a Dataset of Recordings.

Each importer reads the layout the dataset's authors publish, converts to SI, maps the
dataset's activity names onto imuforge's vocabulary (non-canonical activities keep a
snake_case name of their own), and sets subject ids and placements. Rows the importer cannot
use are counted in the import report, never skipped silently; a file it cannot read as its format is
refused (:class:`ValidationError` naming the file, and the line of a text file: :func:`_numbers`), and so
is an import that yields no recording (:func:`import_dataset`).

| format | layout | rate | sensors, units in the files |
|---|---|---|---|
| ``uci-hapt`` | ``RawData/acc_expEE_userUU.txt``, ``gyro_…``, ``labels.txt`` | 50 Hz | acc g, gyro rad/s (waist phone) |
| ``uci-har`` | ``{train,test}/Inertial Signals/total_acc_x_train.txt``, … (128-sample windows, stitched) | 50 Hz | acc g, gyro rad/s (waist phone) |
| ``pamap2`` | ``Protocol/subjectNNN.dat`` (54 columns) | 100 Hz | acc ±16 g m/s², gyro rad/s, mag µT (hand, chest, ankle) |
| ``realworld`` | ``probandN/data/{acc,gyr,mag}_<activity>[_n]_<position>.csv`` (or inside ``*_csv.zip``) | 50 Hz | m/s², rad/s, µT |
| ``usc-had`` | ``SubjectN/aXtY.mat`` (``sensor_readings`` N×6) | 100 Hz | acc g, gyro °/s (front right hip) |
| ``wisdm`` | ``WISDM_ar_v1.1_raw.txt`` (``user,activity,timestamp,x,y,z;``) | 20 Hz | acc m/s² (front pants pocket) |
| ``wisdm2019`` | ``raw/{phone,watch}/{accel,gyro}/data_<id>_<sensor>_<device>.txt`` | 20 Hz | acc m/s², gyro rad/s |
| ``motionsense`` | ``A_DeviceMotion_data/<act>_<trial>/sub_<n>.csv`` | 50 Hz | g (iOS sign), rad/s (pocket) |
| ``mhealth`` | ``mHealth_subjectN.log`` (24 columns) | 50 Hz | m/s², °/s (chest, right wrist, left ankle) |
| ``dsads`` | ``aNN/pM/sKK.txt`` (125 × 45 per 5 s, joined) | 25 Hz | m/s², rad/s (5 Xsens MTx units) |
| ``hhar`` | ``{Phones,Watch}_{accelerometer,gyroscope}.csv`` | each device's own | m/s², rad/s (Android) |

Where each fact comes from is given next to it (the importer's docstring or the constant's comment); a
fact the published documentation leaves open is marked as the importer's assumption.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import shlex
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imuforge._numbers import line_of_row
from imuforge._numbers import read_numbers as _numbers
from imuforge.errors import ValidationError, shorten
from imuforge.progress import progress
from imuforge.recording import (
    MAX_ABS_SI,
    MAX_GYRO_RAD_S,
    Dataset,
    Recording,
    SiFigures,
    check_rate_and_spacing,
    unlabelled_seconds,
)
from imuforge.units import DEG, STANDARD_GRAVITY

ACC = ("acc_x", "acc_y", "acc_z")
ACC_GYRO = ACC + ("gyro_x", "gyro_y", "gyro_z")


class NothingToImport(ValidationError):
    """An importer found none of its format's files where it looked (:func:`import_dataset` then says what the
    source is instead: another format's layout, or a file where a folder is read)."""


@dataclass
class ImportReport:
    """What an import did: recordings written, rows (files, label rows) not imported by reason, labels found.
    Reasons counted 0 times are left out of :meth:`as_dict`."""

    format: str
    source: str
    recordings: int = 0
    skipped: Counter = field(default_factory=Counter)
    labels_s: Counter = field(default_factory=Counter)
    #: seconds of the recordings that no label covers (imported, not skipped: PAMAP2's "transient" activity 0,
    #: the stills around a gaitmap bout …)
    unlabelled_s: float = 0.0
    #: what the importer decided from the data where the published description leaves room (note → the
    #: files or devices it held for)
    notes: Counter = field(default_factory=Counter)
    #: the people the recordings name (a recording without a subject id adds none)
    subjects: set = field(default_factory=set)

    def as_dict(self) -> dict:
        out = {"format": self.format, "source": self.source, "recordings": self.recordings,
               "subjects": len(self.subjects),
               "skipped": {k: v for k, v in self.skipped.items() if v},
               "labels_s": {k: round(v, 2) for k, v in sorted(self.labels_s.items())},
               "unlabelled_s": round(self.unlabelled_s, 2)}
        if self.notes:
            out["notes"] = dict(sorted(self.notes.items()))
        return out


def _recording(source: str | os.PathLike, *args, **kwargs) -> Recording:
    """``Recording(*args, **kwargs)``; a refusal (non-finite values, bad label bounds) names ``source``, the
    file the values came from."""
    try:
        return Recording(*args, **kwargs)
    except ValidationError as exc:
        if exc.source is not None:
            raise
        raise ValidationError(exc.what, source=str(source), allowed=exc.allowed) from None


def _imported_unlabelled(report: ImportReport, fmt: str, code, what: str = "rows") -> None:
    """Note data of an activity code the format does not list: imported, in no label's stretch (its seconds in
    ``unlabelled_s``), not skipped; counted per file (or device stream) it was found in."""
    report.notes[f"activity code {code} is not one of {fmt}'s: its {what} imported unlabelled"] += 1


def _segments_from_codes(t: np.ndarray, codes: np.ndarray, names: dict, period: float) -> list[tuple]:
    """Label segments from a per-sample code array (runs of equal codes; unknown/None codes skipped)."""
    if t.size == 0:
        return []
    change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [t.size]])
    segs = []
    for a, b in zip(starts, ends):
        lab = names.get(codes[a])
        if lab:
            segs.append((float(t[a]), float(t[b - 1] + period), lab))
    return segs


# ------------------------------------------------------------------------------- UCI HAPT
HAPT_LABELS = {1: "walking", 2: "stairs_up", 3: "stairs_down", 4: "sitting", 5: "standing", 6: "lying",
               7: "stand_to_sit", 8: "sit_to_stand", 9: "sit_to_lie", 10: "lie_to_sit", 11: "stand_to_lie",
               12: "lie_to_stand"}
_HAPT_RE = re.compile(r"^acc_exp(\d+)_user(\d+)\.txt$")


def import_uci_hapt(src: Path, report: ImportReport) -> Iterator[tuple[str, Recording]]:
    """UCI HAPT / UCI-HAR raw layout: ``RawData/acc_expEE_userUU.txt`` (g), ``gyro_…`` (rad/s), ``labels.txt``.

    ``labels.txt`` rows: experiment, user, activity id, first sample, last sample (1-based,
    inclusive). The phone was on the waist; 50 Hz. A label row that does not fit its experiment's samples
    is clipped, trimmed or left out and counted (:func:`_hapt_segments`); so are rows of experiments without
    data files, of another user than the files', or of unknown activities.
    """
    raw = src / "RawData" if (src / "RawData").is_dir() else src
    lab_path = raw / "labels.txt"
    if not lab_path.exists():
        raise NothingToImport(f"no labels.txt in {raw}", allowed="the UCI HAPT RawData folder")
    lab_text = lab_path.read_text(errors="replace")
    labels = _numbers(lab_path, text=lab_text, dtype=np.int64, columns=5,
                      allowed="5 whole numbers per line: experiment user activity start end")
    files = sorted(p for p in raw.iterdir() if _HAPT_RE.match(p.name))
    if not files:
        raise NothingToImport(f"no acc_expEE_userUU.txt files in {raw}",
                              allowed="the UCI HAPT RawData folder (acc_expEE_userUU.txt, "
                                      "gyro_expEE_userUU.txt, labels.txt)")
    exps = {int(_HAPT_RE.match(p.name).group(1)) for p in files}
    report.skipped["label_rows_without_data_files"] += int((~np.isin(labels[:, 0], list(exps))).sum())
    rate = 50.0
    for acc_path in progress(files, desc="uci-hapt", unit="file"):
        exp, user = (int(g) for g in _HAPT_RE.match(acc_path.name).groups())
        gyro_path = raw / acc_path.name.replace("acc_", "gyro_", 1)
        if not gyro_path.exists():
            raise ValidationError(f"missing {gyro_path.name} next to {acc_path.name}", source=str(raw))
        acc = _numbers(acc_path, columns=3, finite=True, allowed="3 numbers per line: acc x y z in g")
        gyro = _numbers(gyro_path, columns=3, finite=True, allowed="3 numbers per line: gyro x y z in rad/s")
        _check_file_values(acc_path, acc * STANDARD_GRAVITY, "acc", published="g")
        _check_file_values(gyro_path, gyro, "gyro", published="rad/s")
        acc *= STANDARD_GRAVITY
        n = min(len(acc), len(gyro))
        if len(acc) != len(gyro):
            report.skipped["unpaired_samples"] += abs(len(acc) - len(gyro))
        t = np.arange(n) / rate
        of_exp = labels[:, 0] == exp
        report.skipped["label_rows_of_another_user"] += int((of_exp & (labels[:, 1] != user)).sum())
        rows = np.flatnonzero(of_exp & (labels[:, 1] == user))
        segs = _hapt_segments(labels, rows, n, rate, report)
        rec = _recording(acc_path, t, np.column_stack([acc[:n], gyro[:n]]), ACC_GYRO, rate,
                         placement="waist_left_landscape", labels=segs, subject=f"uci{user:02d}",
                         provenance={"dataset": "UCI HAPT", "file": acc_path.name, "experiment": exp})
        yield f"exp{exp:02d}_user{user:02d}", rec


def _hapt_segments(labels: np.ndarray, rows: np.ndarray, n: int, rate: float,
                   report: ImportReport) -> list[tuple[float, float, str]]:
    """Label segments ``(start s, end s, label)`` of ``labels[rows]`` (one experiment's rows of labels.txt,
    1-based inclusive sample indices) for its ``n`` samples, in order of their start.

    A published data set is imported, not refused, over a label row that does not fit its samples; what
    is changed is counted in the report: a row reaching past the samples is clipped to them
    (``label_rows_clipped_to_the_samples``), one entirely outside them or ending before it starts is left
    out (``label_rows_outside_the_samples``), one that overlaps the row before it starts after that one
    (``label_rows_trimmed_where_they_overlap``; left out when nothing remains), and an unknown activity is
    left out (``unknown_activity_<code>``)."""
    own = labels[rows]
    segs: list[tuple[float, float, str]] = []
    last_end = 0
    for act, start, end in own[np.argsort(own[:, 3], kind="stable"), 2:].astype(np.int64):  # label rows
        if int(act) not in HAPT_LABELS:
            report.skipped[f"unknown_activity_{act}"] += 1
            continue
        first, last = max(int(start), 1), min(int(end), n)
        if last < first:
            report.skipped["label_rows_outside_the_samples"] += 1
            continue
        if (first, last) != (start, end):
            report.skipped["label_rows_clipped_to_the_samples"] += 1
        if first <= last_end:
            report.skipped["label_rows_trimmed_where_they_overlap"] += 1
            first = last_end + 1
            if last < first:
                continue
        segs.append(((first - 1) / rate, last / rate, HAPT_LABELS[int(act)]))
        last_end = last
    return segs


# ------------------------------------------------------------------------------- UCI HAR (windowed)
UCI_HAR_LABELS = {1: "walking", 2: "stairs_up", 3: "stairs_down", 4: "sitting", 5: "standing", 6: "lying"}
#: the six signals of ``<split>/Inertial Signals`` read, in ACC_GYRO order (total_acc: g, gravity included;
#: body_gyro: rad/s)
UCI_HAR_SIGNALS = ("total_acc_x", "total_acc_y", "total_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z")
#: the published windows: 2.56 s at 50 Hz, 50 % overlap
UCI_HAR_WINDOW, UCI_HAR_HOP = 128, 64
#: two consecutive windows continue one another when their shared half agrees to this (the files print
#: 8 significant digits, so a shared half is the same text)
UCI_HAR_MATCH_RTOL = 1e-6


def _uci_har_root(src: Path) -> Path | None:
    """The folder holding ``train/`` and/or ``test/`` with ``Inertial Signals`` (``src`` or one below it)."""
    for root in (src, *sorted(p for p in src.iterdir() if p.is_dir())):
        if any((root / split / "Inertial Signals").is_dir() for split in ("train", "test")):
            return root
    return None


def _uci_har_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(windows (n, 128, 6) in SI, activity ids (n,), subjects (n,)) of one split, shapes checked."""
    folder = root / split / "Inertial Signals"
    parts = []
    for name in UCI_HAR_SIGNALS:
        path = folder / f"{name}_{split}.txt"
        if not path.exists():
            raise ValidationError(f"missing {path.name}", source=str(folder),
                                  allowed=", ".join(f"{s}_{split}.txt" for s in UCI_HAR_SIGNALS))
        values = _numbers(path, columns=UCI_HAR_WINDOW, finite=True,
                          allowed=f"{UCI_HAR_WINDOW} numbers per line, one line per window")
        if name.startswith("total_acc"):
            values = values * STANDARD_GRAVITY
        _check_file_values(path, values, "acc" if name.startswith("total_acc") else "gyro",
                           published="g" if name.startswith("total_acc") else "rad/s")
        parts.append(values)
    rows = {len(p) for p in parts}
    if len(rows) != 1:
        raise ValidationError(f"Inertial Signals of {split} have {sorted(rows)} rows", source=str(folder),
                              allowed="six files with one row per window each")
    windows = np.stack(parts, axis=-1)
    ids = []
    for kind in ("y", "subject"):
        path = root / split / f"{kind}_{split}.txt"
        if not path.exists():
            raise ValidationError(f"missing {path.name}", source=str(root / split),
                                  allowed=f"y_{split}.txt and subject_{split}.txt, one row per window")
        col = _numbers(path, dtype=np.int64, columns=1,
                       allowed="a whole number per line, one per window")[:, 0]
        if len(col) != len(windows):
            raise ValidationError(f"{path.name} has {len(col)} rows for the {len(windows)} windows of "
                                  f"Inertial Signals", source=str(path),
                                  allowed=f"{len(windows)} rows, one per window")
        ids.append(col)
    return windows, ids[0], ids[1]


def _check_file_values(path: Path, values: np.ndarray, group: str, published: str) -> None:
    """Refuse a file (rows × values, in SI) holding a value beyond any body-worn sensor
    (:data:`~imuforge.recording.MAX_ABS_SI`), naming its line; a gyroscope file whose rates mostly read beyond
    any MEMS gyroscope is said to be in deg/s. ``published``: the unit the format's files hold."""
    limit = MAX_ABS_SI[group]
    over = np.abs(values) > limit
    if not over.any():
        return
    row = int(np.argmax(over.any(axis=1)))
    value = float(values[row][np.argmax(over[row])])
    line = line_of_row(path.read_text(errors="replace"), row)  # (blank and comment lines are not rows)
    unit = "m/s²" if group == "acc" else "rad/s"
    if group == "gyro" and np.percentile(np.abs(values), 99) > MAX_GYRO_RAD_S:
        raise ValidationError(f"{path.name} reads rates beyond any MEMS gyroscope (1 % of its values past "
                              f"{MAX_GYRO_RAD_S:g} rad/s, up to {np.abs(values).max():.0f}): deg/s, not "
                              "rad/s",
                              source=str(path), allowed=f"rates in {published}, as the format publishes them")
    raise ValidationError(f"a value of {value:.3g} {unit} (in SI), beyond any body-worn sensor: a corrupted "
                          "value or a unit gone wrong?", source=f"{path}:{line}",
                          allowed=f"|{group}| <= {limit:g} {unit}, the file in {published}")


def _window_runs(windows: np.ndarray, subjects: np.ndarray) -> list[slice]:
    """Runs of consecutive windows that continue one another: same subject, and each window's first half equal
    (to :data:`UCI_HAR_MATCH_RTOL`) to the previous one's second half."""
    if len(windows) == 0:
        return []
    a, b = windows[:-1, UCI_HAR_HOP:], windows[1:, :UCI_HAR_WINDOW - UCI_HAR_HOP]
    same = np.all(np.abs(a - b) <= UCI_HAR_MATCH_RTOL * np.maximum(np.abs(a), 1e-3), axis=(1, 2))
    brk = np.flatnonzero(~same | (subjects[1:] != subjects[:-1])) + 1
    edges = np.concatenate([[0], brk, [len(windows)]])
    return [slice(int(s), int(e)) for s, e in zip(edges[:-1], edges[1:])]


def _half_window_codes(acts: np.ndarray) -> np.ndarray:
    """Per-sample activity codes of a stitched run of windows labelled ``acts``. Half-window ``b`` is shared by
    windows ``b − 1`` and ``b``; where their labels differ the change lies inside it (each window is labelled
    by its majority), so its first quarter-window takes the earlier label and its second the later one — the
    change in the middle of the shared half, at most 0.64 s from where it was."""
    prev = np.concatenate([acts[:1], acts])   # window b − 1 of each half (the first half: window 0)
    nxt = np.concatenate([acts, acts[-1:]])   # window b (the last half: the last window)
    quarters = np.column_stack([prev, nxt]).ravel()
    return np.repeat(quarters, UCI_HAR_HOP // 2)


def import_uci_har(src: Path, report: ImportReport) -> Iterator[tuple[str, Recording]]:
    """UCI HAR (``UCI HAR Dataset``): ``{train,test}/Inertial Signals/total_acc_{x,y,z}_<split>.txt`` (g) and
    ``body_gyro_…`` (rad/s), one 2.56 s window of 128 samples per row at 50 % overlap, with ``y_<split>.txt``
    (activity 1–6) and ``subject_<split>.txt``. The windows are stitched back into the continuous signals
    they were cut from: consecutive windows of one subject whose shared half agrees form one Recording (the
    first window whole, then the second half of each next one); a change of label between two windows is
    put in the middle of their shared half (:func:`_half_window_codes`). The phone was on the waist; 50 Hz;
    the dataset's authors median- and low-pass (20 Hz) filtered these signals before windowing them.
    A folder in the raw HAPT layout (``RawData/labels.txt``) is read by :func:`import_uci_hapt`.
    """
    if not src.is_dir():
        raise NothingToImport(f"{src} is not a folder",
                              allowed="the 'UCI HAR Dataset' folder (or its parent)")
    root = _uci_har_root(src)
    if root is None:
        if (src / "RawData" / "labels.txt").exists() or (src / "labels.txt").exists():
            report.notes["the folder holds UCI HAPT's raw layout (RawData/labels.txt): read as uci-hapt, "
                         "with its transitions"] += 1
            yield from import_uci_hapt(src, report)
            return
        raise NothingToImport(f"no train/ or test/ 'Inertial Signals' folder in {src}",
                              allowed="the 'UCI HAR Dataset' folder (or the HAPT RawData layout)")
    rate = 50.0
    for split in ("train", "test"):
        if not (root / split / "Inertial Signals").is_dir():
            continue
        windows, acts, subjects = _uci_har_split(root, split)
        for u in sorted(set(acts.tolist()) - set(UCI_HAR_LABELS)):
            _imported_unlabelled(report, "UCI HAR", u, "windows")
        runs = _window_runs(windows, subjects)
        for i, run in enumerate(progress(runs, desc=f"uci-har {split}", unit="run")):
            w = windows[run]
            data = np.concatenate([w[0], w[1:, UCI_HAR_HOP:].reshape(-1, w.shape[2])])
            t = np.arange(len(data)) / rate
            codes = _half_window_codes(acts[run])[:len(data)]
            segs = _segments_from_codes(t, codes, UCI_HAR_LABELS, 1.0 / rate)
            subject = int(subjects[run.start])
            rec = Recording(t, data, ACC_GYRO, rate, placement="waist_left_landscape", labels=segs,
                            subject=f"uci{subject:02d}",
                            provenance={"dataset": "UCI HAR", "split": split, "first_window": run.start,
                                        "windows": run.stop - run.start})
            yield f"{split}_uci{subject:02d}_run{i:03d}", rec


# ------------------------------------------------------------------------------- PAMAP2
PAMAP2_LABELS = {1: "lying", 2: "sitting", 3: "standing", 4: "walking", 5: "running", 6: "cycling",
                 7: "nordic_walking", 9: "watching_tv", 10: "computer_work", 11: "car_driving", 12: "stairs_up",
                 13: "stairs_down", 16: "vacuum_cleaning", 17: "ironing", 18: "folding_laundry",
                 19: "house_cleaning", 20: "playing_soccer", 24: "jumping_rope"}
#: First column (0-based) of each IMU's 17-column block; acc ±16 g at +1, gyro at +7, mag at +10.
PAMAP2_IMUS = {"hand": 3, "chest": 20, "ankle": 37}
_PAMAP2_PLACEMENT = {"hand": "wrist_right", "chest": "chest", "ankle": "ankle_right"}
#: the hand and ankle IMUs sit on the dominant side (dataset readme); subject 108 is left-handed
PAMAP2_LEFT_DOMINANT = {108}


def import_pamap2(src: Path, report: ImportReport, imu: str = "hand") -> Iterator[tuple[str, Recording]]:
    """PAMAP2 ``Protocol/subjectNNN.dat``: 54 space-separated columns at 100 Hz, NaN for missing values.

    ``imu`` picks the sensor: ``hand`` (dominant wrist), ``chest`` or ``ankle`` (dominant side; subject 108 is
    left-handed). Only ``Protocol/`` is read (``Optional/`` holds the optional activities of some subjects).
    Uses the ±16 g accelerometer (m/s²), gyro (rad/s) and magnetometer (µT). Rows with NaN in the chosen IMU
    become gaps (a file without any other row is counted); activity 0 (transient) is left unlabelled.
    """
    if imu not in PAMAP2_IMUS:
        raise ValidationError(f"unknown PAMAP2 IMU {imu!r}", allowed=", ".join(PAMAP2_IMUS))
    folder = src / "Protocol" if (src / "Protocol").is_dir() else src
    files = sorted(folder.glob("subject*.dat"))
    if not files:
        raise NothingToImport(f"no subjectNNN.dat files in {folder}", allowed="the PAMAP2 Protocol folder")
    c0 = PAMAP2_IMUS[imu]
    cols = list(range(c0 + 1, c0 + 4)) + list(range(c0 + 7, c0 + 10)) + list(range(c0 + 10, c0 + 13))
    for path in progress(files, desc="pamap2", unit="file"):
        table = _numbers(path, columns=54, allowed="54 numbers (or NaN) per line (PAMAP2 protocol)")
        ok = np.all(np.isfinite(table[:, cols]), axis=1) & np.isfinite(table[:, 0]) & np.isfinite(table[:, 1])
        report.skipped["rows_not_finite"] += int((~ok).sum())
        if not ok.any():  # the chosen IMU read nothing in this file
            report.skipped["files_without_usable_rows"] += 1
            continue
        t, act, data = table[ok, 0], table[ok, 1].astype(np.int64), table[ok][:, cols]
        order = np.concatenate([[True], np.diff(t) > 0])
        report.skipped["non_increasing_time"] += int((~order).sum())
        t, act, data = t[order], act[order], data[order]
        unknown = set(np.unique(act).tolist()) - set(PAMAP2_LABELS) - {0}
        for u in sorted(unknown):
            _imported_unlabelled(report, "PAMAP2", u)
        sid = int(re.sub(r"\D", "", path.stem) or 0)
        placement = _PAMAP2_PLACEMENT[imu]
        if sid in PAMAP2_LEFT_DOMINANT and imu != "chest":  # the hand and ankle IMUs are on the dominant side
            placement = placement.replace("_right", "_left")
        segs = _segments_from_codes(t, act, PAMAP2_LABELS, 0.01)
        rec = _recording(path, t - t[0], data, ACC_GYRO + ("mag_x", "mag_y", "mag_z"), 100.0,
                         placement=placement, labels=[(a - t[0], b - t[0], lab) for a, b, lab in segs],
                         subject=f"pamap2_{sid}",
                         provenance={"dataset": "PAMAP2", "file": path.name, "imu": imu,
                                     "time_offset_s": float(t[0])})
        yield f"{path.stem}_{imu}", rec


# ------------------------------------------------------------------------------- RealWorld
REALWORLD_LABELS = {"climbingdown": "stairs_down", "climbingup": "stairs_up", "jumping": "jumping",
                    "lying": "lying", "standing": "standing", "sitting": "sitting", "running": "running",
                    "walking": "walking"}
#: RealWorld's positions → placement presets. The forearm position is commonly described as the data set's
#: smartwatch (phones at the six others); the archives say neither that nor which side the limb devices were
#: on: a watch on the left wrist and the phones on the right by convention (the synthetic people's wear
#: variation draws either side, and ``calibrate --align`` fits the device's turn from a capture)
REALWORLD_POSITIONS = {"chest": "chest", "forearm": "wrist_left", "head": "head", "shin": "shin_right",
                       "thigh": "pocket_right_thigh", "upperarm": "upper_arm_right", "waist": "waist_front"}
#: sensor file names: ``acc_…`` in the acc archives, ``Gyroscope_…`` / ``MagneticField_…`` in the gyr / mag ones
_RW_RE = re.compile(r"^(acc|gyr|gyroscope|mag|magneticfield|magnetic)_([a-z]+)(?:_(\d+))?_([a-z]+)\.csv$",
                    re.I)
_RW_SENSOR = {"gyroscope": "gyr", "magnetic": "mag", "magneticfield": "mag"}


#: what zipfile (and zlib under it) raise on a damaged or truncated archive
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)


def _realworld_files(src: Path) -> Iterator[tuple[str, str, str, bytes]]:
    """``(subject folder, csv name, where, bytes)`` for every sensor CSV, plain or inside ``*_csv.zip`` — also
    inside the zips some archives hold in turn (stairs of probands 4, 7 and 14: ``acc_climbingup_2_csv.zip``).
    ``where`` names the file for messages (``…/acc_walking_csv.zip (acc_walking_chest.csv)`` for a member).
    A damaged zip is refused, naming it."""
    def members(z: zipfile.ZipFile, path: Path, inside: tuple[str, ...], subject: str
                ) -> Iterator[tuple[str, str, str, bytes]]:
        for name in sorted(z.namelist()):
            base = Path(name).name
            own = _proband(Path(name).parts, subject)  # the whole download zipped: probandN/ inside it
            if base.lower().endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(z.read(name))) as inner:
                    yield from members(inner, path, (*inside, name), own)
            elif _RW_RE.match(base):
                yield own, base, f"{path} ({', '.join((*inside, name))})", z.read(name)

    top = _proband(src.resolve().parts, "proband0")  # src may be one proband's folder
    for p in ([src] if src.is_file() else sorted(src.rglob("*"))):  # the download's zip itself, or a folder
        if not p.is_file():
            continue
        subject = _proband(p.relative_to(src).parts, top) if p != src else top
        if p.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(p) as z:
                    yield from members(z, p, (), subject)
            except _ZIP_ERRORS as exc:
                raise ValidationError(f"damaged zip archive ({exc})", source=str(p),
                                      allowed="a RealWorld *_csv.zip as published: fetch it again") from None
        elif _RW_RE.match(p.name):
            yield subject, p.name, str(p), p.read_bytes()


_PROBAND_RE = re.compile(r"^proband\d+$", re.I)


def _proband(parts, default: str) -> str:
    """The last ``probandN`` among path ``parts`` (lower case), else ``default``."""
    found = [q.lower() for q in parts if _PROBAND_RE.match(q)]
    return found[-1] if found else default


def _read_rw_csv(raw: bytes, where: str, report: ImportReport) -> tuple[np.ndarray, np.ndarray]:
    """(time s, x y z) of one RealWorld CSV, time-sorted, repeated times and rows holding NaN or infinity
    dropped (counted: ``rows_not_finite``); ``where`` names the file."""
    text = raw.decode(errors="replace")
    header = text.splitlines()[0].split(",") if text else []
    try:
        ti = header.index("attr_time")
        xi, yi, zi = header.index("attr_x"), header.index("attr_y"), header.index("attr_z")
    except ValueError:
        raise ValidationError(f"unexpected header {header}", source=where,
                              allowed="id,attr_time,attr_x,attr_y,attr_z") from None
    body = text.split("\n", 1)[1] if "\n" in text else ""
    if not body.strip():  # a header only
        return np.empty(0), np.empty((0, 3))
    table = _numbers(where, text=body, delimiter=",", first_line=2, columns=len(header),
                     allowed=f"{len(header)} numbers per line below the header {','.join(header)}")
    ok = np.isfinite(table[:, [ti, xi, yi, zi]]).all(axis=1)
    report.skipped["rows_not_finite"] += int((~ok).sum())
    table = table[ok]
    t = table[:, ti] / 1000.0
    order = np.argsort(t, kind="stable")
    t, d = t[order], table[order][:, [xi, yi, zi]]
    keep = np.diff(t, prepend=-np.inf) > 0  # (an empty table, every row not finite, keeps its shape)
    return t[keep], d[keep]


def import_realworld(src: Path, report: ImportReport) -> Iterator[tuple[str, Recording]]:
    """RealWorld (HAR) 2016: per-position CSVs ``{acc,gyr,mag}_<activity>[_<part>]_<position>.csv``
    with ``id,attr_time,attr_x,attr_y,attr_z`` (time in ms), in ``probandN/data`` (plain or zipped).

    Accelerometer, gyroscope and magnetometer streams are not synchronous; gyro and mag are
    linearly interpolated onto the accelerometer's timestamps over their common span. One
    Recording per subject, activity, part and position; 50 Hz nominal.
    """
    streams: dict[tuple, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for subject, name, where, raw in _realworld_files(src):
        sensor, activity, part, position = _RW_RE.match(name).groups()
        sensor = _RW_SENSOR.get(sensor.lower(), sensor.lower())
        key = (subject, activity.lower(), part or "1", position.lower())
        t, d = _read_rw_csv(raw, where, report)
        if len(t) < 2:  # a header without samples (or one sample): nothing to import, counted
            report.skipped["csv_files_without_samples"] += 1
            continue
        if sensor in streams.setdefault(key, {}):  # a zip beside its extracted copy: the first kept, counted
            report.skipped["duplicate_sensor_files"] += 1
            continue
        streams[key][sensor] = (t, d)
    if not streams:
        empty = report.skipped.get("csv_files_without_samples", 0)
        raise NothingToImport(f"no RealWorld sensor CSV under {src} holds samples ({empty} found with fewer "
                              "than 2 rows)" if empty else f"no RealWorld sensor CSVs under {src}",
                              allowed="probandN/data/acc_<activity>_<position>.csv or *_csv.zip")
    for key in progress(sorted(streams), desc="realworld", unit="rec"):
        subject, activity, part, position = key
        s = streams[key]
        if "acc" not in s:
            report.skipped["streams_without_acc"] += 1
            continue
        if activity not in REALWORLD_LABELS:
            report.skipped[f"unknown_activity_{activity}"] += 1
            continue
        t, acc = s["acc"]
        lo, hi = t[0], t[-1]
        for other in ("gyr", "mag"):
            if other in s:
                lo, hi = max(lo, s[other][0][0]), min(hi, s[other][0][-1])
        keep = (t >= lo) & (t <= hi)
        report.skipped["acc_samples_outside_common_span"] += int((~keep).sum())
        t, acc = t[keep], acc[keep]
        if t.size < 2:
            report.skipped["streams_without_overlap"] += 1
            continue
        cols, chans = [acc], list(ACC)
        for other, prefix in (("gyr", "gyro"), ("mag", "mag")):
            if other in s:
                ot, od = s[other]
                cols.append(np.column_stack([np.interp(t, ot, od[:, i]) for i in range(3)]))
                chans += [f"{prefix}_{a}" for a in "xyz"]
        t0 = t[0]
        rate = float(np.round(1.0 / np.median(np.diff(t)), 1))
        lab = REALWORLD_LABELS[activity]
        rec = Recording(t - t0, np.column_stack(cols), chans, rate,
                        placement=REALWORLD_POSITIONS.get(position, position),
                        labels=[(0.0, float(t[-1] - t0 + 1.0 / rate), lab)], subject=f"rw_{subject}",
                        provenance={"dataset": "RealWorld HAR 2016", "activity": activity, "part": part,
                                    "position": position, "t0_unix_s": float(t0)})
        yield f"{subject}_{activity}_{part}_{position}", rec


# ------------------------------------------------------------------------------- USC-HAD
USC_HAD_LABELS = {1: "walking", 2: "walking_left", 3: "walking_right", 4: "stairs_up", 5: "stairs_down",
                  6: "running", 7: "jumping", 8: "sitting", 9: "standing", 10: "lying", 11: "elevator_up",
                  12: "elevator_down"}
_USC_RE = re.compile(r"^a(\d+)t(\d+)\.mat$", re.I)


def import_usc_had(src: Path, report: ImportReport) -> Iterator[tuple[str, Recording]]:
    """USC-HAD: ``SubjectN/aXtY.mat`` (activity X, trial Y) with ``sensor_readings`` (N×6: acc g, gyro °/s).

    MotionNode at the front right hip, 100 Hz. "Sleeping" maps to ``lying``. A file scipy cannot read
    (damaged, truncated, not a MATLAB file) is refused, naming it.
    """
    from scipy.io import loadmat

    files = sorted(p for p in src.rglob("*.mat") if _USC_RE.match(p.name))
    if not files:
        raise NothingToImport(f"no SubjectN/aXtY.mat files under {src}",
                              allowed="the USC-HAD folder as published: SubjectN/aXtY.mat (activity X, "
                                      "trial Y)")
    for path in progress(files, desc="usc-had", unit="file"):
        act, trial = (int(g) for g in _USC_RE.match(path.name).groups())
        try:
            m = loadmat(path)
        except Exception as exc:  # scipy's reader raises several types on a damaged or truncated file
            why = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            raise ValidationError(f"not a readable MATLAB file ({why})", source=str(path),
                                  allowed="USC-HAD .mat files as published (sensor_readings N×6)") from None
        if "sensor_readings" not in m:
            raise ValidationError("no 'sensor_readings' variable", source=str(path),
                                  allowed="USC-HAD .mat files (sensor_readings N×6)")
        try:
            x = np.asarray(m["sensor_readings"], np.float64)
        except (TypeError, ValueError):
            raise ValidationError(f"sensor_readings holds {m['sensor_readings'].dtype}, not numbers",
                                  source=str(path), allowed="(N, 6) numbers") from None
        if x.ndim != 2 or x.shape[1] != 6:
            raise ValidationError(f"sensor_readings has shape {x.shape}", source=str(path), allowed="(N, 6)")
        if act not in USC_HAD_LABELS:
            report.skipped[f"unknown_activity_{act}"] += 1
            continue
        subj = re.sub(r"\D", "", path.parent.name) or str(np.ravel(m.get("subject", ["0"]))[0])
        rate = 100.0
        ok = np.isfinite(x).all(axis=1)  # left out, counted: where they sat the Recording has a gap
        report.skipped["rows_not_finite"] += int((~ok).sum())
        t = np.flatnonzero(ok) / rate
        data = np.column_stack([x[ok, :3] * STANDARD_GRAVITY, x[ok, 3:] * DEG])
        rec = _recording(path, t, data, ACC_GYRO, rate, placement="hip_right_front",
                         labels=[(0.0, len(x) / rate, USC_HAD_LABELS[act])], subject=f"usc{int(subj):02d}",
                         provenance={"dataset": "USC-HAD", "file": f"{path.parent.name}/{path.name}",
                                     "trial": trial})
        yield f"subject{int(subj):02d}_a{act:02d}t{trial:02d}", rec


# ------------------------------------------------------------------------------- WISDM
WISDM_LABELS = {"walking": "walking", "jogging": "running", "upstairs": "stairs_up", "downstairs": "stairs_down",
                "sitting": "sitting", "standing": "standing"}
WISDM2019_LABELS = {"A": "walking", "B": "running", "C": "stairs", "D": "sitting", "E": "standing",
                    "F": "typing", "G": "brushing_teeth", "H": "eating_soup", "I": "eating_chips",
                    "J": "eating_pasta", "K": "drinking", "L": "eating_sandwich", "M": "kicking",
                    "O": "playing_catch", "P": "dribbling", "Q": "writing", "R": "clapping", "S": "folding_clothes"}


def _parse_wisdm_lines(text: str, report: ImportReport) -> tuple[list, np.ndarray]:
    """``user,activity,timestamp,x,y,z;`` lines (several per line allowed) → (keys, float table); malformed
    lines and lines holding NaN or infinity are counted and left out."""
    keys, rows = [], []
    records = re.split(r";\s*|\n", text)
    # a file that stops without its record's ';' or newline was cut off: its last record is counted as such
    cut = len(records) - 1 if text.strip() and not text.rstrip(" \t\r").endswith((";", "\n")) else -1
    for i, rec in enumerate(records):
        rec = rec.strip().rstrip(",")
        if not rec:
            continue
        parts = rec.split(",")
        if i == cut:  # cut off: even a record that parses may hold a number cut short ("-0.69" of "-0.6946")
            report.skipped["last_record_cut"] += 1
            continue
        if len(parts) != 6:
            report.skipped["malformed_lines"] += 1
            continue
        try:
            vals = [float(v) for v in parts[2:]]
        except ValueError:
            report.skipped["malformed_lines"] += 1
            continue
        keys.append((parts[0].strip(), parts[1].strip()))
        rows.append(vals)
    table = np.asarray(rows, np.float64).reshape(-1, 4)
    ok = np.isfinite(table).all(axis=1)
    if not ok.all():  # "nan" / "inf" parse as floats
        report.skipped["lines_not_finite"] += int((~ok).sum())
        keys, table = [k for k, g in zip(keys, ok) if g], table[ok]
    return keys, table


def _runs(keys: list, t_s: np.ndarray, max_gap_s: float) -> list[slice]:
    """Contiguous runs: same key, timestamps increasing, no gap over ``max_gap_s``."""
    n = len(keys)
    if n == 0:
        return []
    codes = np.unique(np.array([f"{a}\x00{b}" for a, b in keys]), return_inverse=True)[1]
    dt = np.diff(t_s)
    brk = np.flatnonzero((codes[1:] != codes[:-1]) | (dt <= 0) | (dt > max_gap_s)) + 1
    edges = np.concatenate([[0], brk, [n]])
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def import_wisdm(src: Path, report: ImportReport) -> Iterator[tuple[str, Recording]]:
    """WISDM v1.1 ``WISDM_ar_v1.1_raw.txt``: accelerometer (m/s²) at 20 Hz, phone in the front pants pocket.

    The data set's readme.txt: x, y, z are "floating-point values between -20 .. 20 … A value of 10 = 1g =
    9.81 m/s^2" (the Android phone's accelerometer, gravity included), read as m/s² unconverted; timestamp
    "generally the phone's uptime in nanoseconds". The pocket's side is not given: ``pocket_right_thigh`` by
    convention.

    Timestamps (ns) are unreliable in places (zeros, repeats, jumps): each contiguous run of one
    user and activity with increasing time and gaps ≤ 1 s becomes one Recording; rows with a zero
    timestamp and runs shorter than 2 samples are counted as skipped.
    """
    found = [src] if src.is_file() else sorted(src.rglob("WISDM_ar_v1.1_raw.txt"))
    if not found and src.is_dir():  # the download as published, not extracted: WISDM_ar_latest.tar.gz
        found = _wisdm_tars(src)
    if not found:
        raise NothingToImport(f"no WISDM_ar_v1.1_raw.txt in {src}",
                              allowed="the WISDM v1.1 folder (WISDM_ar_v1.1_raw.txt), or that file")
    if len(found) > 1:  # two copies of the data set, or two versions: which one is meant is the user's to say
        raise ValidationError(f"{len(found)} WISDM_ar_v1.1_raw.txt below {src}: "
                              + ", ".join(str(f.relative_to(src)) for f in found[:3])
                              + (" …" if len(found) > 3 else ""), source=str(src),
                              allowed="the one file to import (imuforge import wisdm "
                                      "PATH/WISDM_ar_v1.1_raw.txt)")
    path = found[0]
    keys, table = _parse_wisdm_lines(_wisdm_text(path, report), report)
    good = table[:, 0] > 0
    report.skipped["zero_timestamps"] += int((~good).sum())
    keys = [k for k, g in zip(keys, good) if g]
    table = table[good]
    t = table[:, 0] * 1e-9
    for i, sl in enumerate(progress(_runs(keys, t, 1.0), desc="wisdm", unit="run")):
        user, act = keys[sl.start]
        lab = WISDM_LABELS.get(act.lower())
        if lab is None:  # counted as what it is, however short its run
            report.skipped[f"unknown_activity_{act}"] += sl.stop - sl.start
            continue
        if sl.stop - sl.start < 2:
            report.skipped["runs_shorter_than_2_samples"] += sl.stop - sl.start
            continue
        tt = t[sl]
        rec = Recording(tt - tt[0], table[sl, 1:4], ACC, 20.0, placement="pocket_right_thigh",
                        labels=[(0.0, float(tt[-1] - tt[0] + 0.05), lab)], subject=f"wisdm{user}",
                        provenance={"dataset": "WISDM v1.1", "t0_ns": int(table[sl.start, 0])})
        yield f"user{user}_run{i:05d}", rec


#: the names the published WISDM v1.1 archive may have (``WISDM_ar_latest.tar.gz``) and a plain tar's
_TAR_PATTERNS = ("*.tar.gz", "*.tgz", "*.tar")


def _wisdm_in_tar(path: Path) -> str | None:
    """The name of ``WISDM_ar_v1.1_raw.txt`` inside the tar archive ``path`` (the published
    ``WISDM_ar_latest.tar.gz``), or None (not a tar archive, a damaged one, or one without it)."""
    try:
        with tarfile.open(path) as tf:
            return next((m.name for m in tf if m.isfile() and Path(m.name).name == "WISDM_ar_v1.1_raw.txt"),
                        None)
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return None


def _wisdm_tars(folder: Path) -> list[Path]:
    """The tar archives below ``folder`` that hold ``WISDM_ar_v1.1_raw.txt`` (the download, not extracted)."""
    return [t for pattern in _TAR_PATTERNS for t in _files_below(folder, pattern)
            if _wisdm_in_tar(t) is not None]


def _wisdm_text(path: Path, report: ImportReport) -> str:
    """The text of a WISDM v1.1 raw file, or of the one inside its published tar.gz, read in one pass (the
    report's notes say so); a damaged archive, or a file of other bytes, is refused naming it."""
    archive = ("the download WISDM_ar_latest.tar.gz as published (fetch it again), or "
               "WISDM_ar_v1.1_raw.txt extracted from it")
    if tarfile.is_tarfile(path):
        try:
            with tarfile.open(path) as tf:
                for m in tf:
                    if m.isfile() and Path(m.name).name == "WISDM_ar_v1.1_raw.txt":
                        report.notes[f"read from {path.name} ({m.name})"] += 1
                        return tf.extractfile(m).read().decode(errors="replace")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ValidationError(f"damaged archive ({type(exc).__name__}: {shorten(str(exc), 80)})",
                                  source=str(path), allowed=archive) from None
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b" or b"\x00" in raw[:4096]:
        raise ValidationError("not a text file (an archive, or binary data) and no WISDM_ar_v1.1_raw.txt "
                              "in it", source=str(path), allowed=archive)
    return raw.decode(errors="replace")


_WISDM19_RE = re.compile(r"^data_(\d+)_(accel|gyro)_(phone|watch)\.txt$")


#: WISDM 2019: an accelerometer sample gets a gyro value only with gyro samples of its own activity within this
#: (s; two 20 Hz periods) on both sides — the gyro of another activity, or across a gap, is not interpolated in
WISDM2019_GYRO_REACH_S = 0.1


def _near_gyro(t: np.ndarray, gyro: tuple[np.ndarray, np.ndarray] | None,
               reach: float = WISDM2019_GYRO_REACH_S) -> np.ndarray | None:
    """Which of the accelerometer times ``t`` have gyro samples (of the same activity, or the same stretch
    of one device) within ``reach`` seconds (default :data:`WISDM2019_GYRO_REACH_S`) before and after them
    (None without gyro)."""
    if gyro is None or len(gyro[0]) < 2:
        return None
    gt = gyro[0]
    j = np.clip(np.searchsorted(gt, t), 1, len(gt) - 1)
    before, after = gt[j - 1], gt[j]
    exact = np.isin(t, gt)
    return exact | ((t - before <= reach) & (after - t <= reach) & (before <= t) & (t <= after))


def _wisdm2019_file(path: Path, report: ImportReport) -> tuple[list, np.ndarray]:
    """:func:`_parse_wisdm_lines` of one WISDM 2019 file; one that holds lines and none of them reads is in
    another format (the published files hold a few malformed lines, not only such): refused, naming it."""
    before = report.skipped["malformed_lines"]
    keys, table = _parse_wisdm_lines(path.read_text(errors="replace"), report)
    if not keys and (bad := report.skipped["malformed_lines"] - before) > 0:
        raise ValidationError(f"none of its {bad} lines reads as a sample",
                              source=str(path), allowed="lines 'subject,activity code,timestamp ns,x,y,z;'")
    return keys, table


def import_wisdm2019(src: Path, report: ImportReport, device: str = "watch") -> Iterator[tuple[str, Recording]]:
    """WISDM 2019 (51 subjects): ``raw/<device>/{accel,gyro}/data_<id>_<sensor>_<device>.txt`` with
    ``subject,activity code,timestamp ns,x,y,z;``. 20 Hz; acc m/s², gyro rad/s.

    ``device``: ``watch`` (dominant wrist) or ``phone`` (pocket). Gyro is interpolated onto the
    accelerometer's timestamps; code C ("stairs") keeps the name ``stairs`` (up and down mixed).

    The data set's readme.txt calls the timestamp "time that the reading was taken (Unix Time)", but the
    published values are not Unix times: a line of subject 1600's raw data, as public loaders quote it,
    reads ``1600,A,252207666810782,…``, its next sample 50 354 004 later — nanoseconds of a device clock at
    20 Hz. The importer reads them as nanoseconds and uses only their differences. Which
    hand wore the watch and which pocket held the phone is not recorded per subject: ``wrist_right`` and
    ``pocket_right_thigh`` by convention.
    """
    if device not in ("watch", "phone"):
        raise ValidationError(f"unknown WISDM 2019 device {device!r}", allowed="watch, phone")
    files = {}
    for p in src.rglob("data_*_*.txt"):
        m = _WISDM19_RE.match(p.name)
        if m and m.group(3) == device:
            files.setdefault(int(m.group(1)), {})[m.group(2)] = p
    if not files:
        raise NothingToImport(f"no raw/{device}/accel/data_<id>_accel_{device}.txt files under {src}",
                              allowed=f"the WISDM 2019 folder as published (wisdm-dataset/raw/{device}/"
                                      f"accel, raw/{device}/gyro)")
    placement = "wrist_right" if device == "watch" else "pocket_right_thigh"
    for sid in progress(sorted(files), desc="wisdm2019", unit="subject"):
        f = files[sid]
        if "accel" not in f:
            report.skipped["subjects_without_accel"] += 1
            continue
        keys, table = _wisdm2019_file(f["accel"], report)
        gyro: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # activity code → (time s, rate), time-sorted
        if "gyro" in f:
            gk, gt = _wisdm2019_file(f["gyro"], report)
            codes = np.array([c for _, c in gk])
            for code in np.unique(codes):
                g = gt[codes == code]
                g = g[np.argsort(g[:, 0], kind="stable")]
                gyro[str(code)] = (g[:, 0] * 1e-9, g[:, 1:4])
        t = table[:, 0] * 1e-9
        for i, sl in enumerate(_runs(keys, t, 1.0)):
            code = keys[sl.start][1]
            if code not in WISDM2019_LABELS:  # counted as what it is, however short its run
                report.skipped[f"unknown_activity_{code}"] += sl.stop - sl.start
                continue
            if sl.stop - sl.start < 2:
                report.skipped["runs_shorter_than_2_samples"] += sl.stop - sl.start
                continue
            tt, acc = t[sl], table[sl, 1:4]
            cols, chans = [acc], list(ACC)
            near = _near_gyro(tt, gyro.get(code))
            if near is not None and near.sum() >= 2:
                report.skipped["acc_samples_without_gyro_nearby"] += int((~near).sum())
                tt, acc = tt[near], acc[near]
                gt_code, gd = gyro[code]
                cols = [acc, np.column_stack([np.interp(tt, gt_code, gd[:, k]) for k in range(3)])]
                chans = list(ACC_GYRO)
            elif gyro:
                report.skipped["runs_without_gyro"] += 1
            rec = Recording(tt - tt[0], np.column_stack(cols), chans, 20.0, placement=placement,
                            labels=[(0.0, float(tt[-1] - tt[0] + 0.05), WISDM2019_LABELS[code])],
                            subject=f"wisdm19_{sid}",
                            provenance={"dataset": "WISDM 2019", "device": device, "t0_ns": int(table[sl.start, 0])})
            yield f"s{sid}_{device}_{code}_{i:03d}", rec


# ------------------------------------------------------------------------------- MotionSense
MOTIONSENSE_LABELS = {"dws": "stairs_down", "ups": "stairs_up", "wlk": "walking", "jog": "running",
                      "sit": "sitting", "std": "standing"}
#: the DeviceMotion columns read (the file's first column is an unnamed row index; attitude is not read)
MOTIONSENSE_COLUMNS = tuple(f"{q}.{a}" for q in ("gravity", "rotationRate", "userAcceleration")
                            for a in "xyz")
MOTIONSENSE_RATE = 50.0
_MS_TRIAL_RE = re.compile(r"^(dws|ups|wlk|jog|sit|std)_(\d+)$")
_MS_FILE_RE = re.compile(r"^sub_(\d+)\.csv$")


#: an empty cell of a comma-separated line (at its start, between two commas or at its end)
_EMPTY_CELL = re.compile(r"(?m)^(?=,)|(?<=,)(?=[ \t]*(?:,|\r?$))")


def _csv_table(path: Path, names: tuple[str, ...], allowed: str, report: ImportReport
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """The columns ``names`` (by header name) of a comma-separated file with a header line, as a float table,
    and the 0-based row index of each row kept: rows holding NaN or infinity (or an empty cell) in them are
    left out (counted: ``rows_not_finite``). None for a header without rows; a missing column or a malformed
    line is refused (:func:`_numbers`), naming the file."""
    text = path.read_text(errors="replace")
    head, _, body = text.partition("\n")
    header = [h.strip().strip('"') for h in head.split(",")]
    missing = [c for c in names if c not in header]
    if not head.strip() or missing:
        raise ValidationError(f"no column {missing[0] if missing else names[0]!r} in the header line",
                              source=str(path), allowed=allowed)
    if not body.strip():
        return None
    body = _EMPTY_CELL.sub("nan", body)  # how pandas writes a NaN ("to_csv"): a missing value, as HHAR's
    table = _numbers(path, text=body, delimiter=",", first_line=2, columns=len(header),
                     allowed=f"{len(header)} comma-separated numbers per line below the header; {allowed}")
    table = table[:, [header.index(c) for c in names]]
    ok = np.isfinite(table).all(axis=1)
    report.skipped["rows_not_finite"] += int((~ok).sum())
    return table[ok], np.flatnonzero(ok)


def _motionsense_subjects(src: Path, base: Path) -> dict[int, dict]:
    """``data_subjects_info.csv`` (code, weight kg, height cm, age, gender 0 female / 1 male) by code
    ({} without it): under ``src``, else in ``base``, the folder that holds ``A_DeviceMotion_data`` (the
    repository keeps it there; the source given may be that folder or one trial's)."""
    path = next(iter(sorted(src.rglob("data_subjects_info.csv"))), None)
    if path is None and (base / "data_subjects_info.csv").is_file():
        path = base / "data_subjects_info.csv"
    if path is None:
        return {}
    cols = ("code", "weight", "height", "age", "gender")
    got = _csv_table(path, cols, "code,weight,height,age,gender", ImportReport("", ""))
    if got is None:
        return {}
    return {int(c): {"weight_kg": float(w), "height_cm": float(h), "age": float(a),
                     "gender": {0: "female", 1: "male"}.get(int(g), str(g))}
            for c, w, h, a, g in got[0]}


def import_motionsense(src: Path, report: ImportReport) -> Iterator[tuple[str, Recording]]:
    """MotionSense (Malekzadeh et al.; github.com/mmalekzadeh/motion-sense README):
    ``A_DeviceMotion_data/<act>_<trial>/sub_<n>.csv``, Core Motion's device motion of an iPhone 6s in the
    trousers' front pocket, 50 Hz, 24 subjects; activities dws, ups, wlk, jog, sit, std; columns (after an
    unnamed row index) attitude.roll/pitch/yaw, gravity.x/y/z, rotationRate.x/y/z, userAcceleration.x/y/z.
    ``data_subjects_info.csv`` (code, weight, height, age, gender 0 female / 1 male) goes to provenance.

    Units and signs, from Apple's Core Motion documentation: ``CMAcceleration`` is in G's; the device's
    total acceleration is ``gravity + userAcceleration`` (``CMDeviceMotion.gravity``), and that total reads
    z = −1 for a device lying still on its back (``UIAcceleration``: "x: 0, y: 0, z: −1") — the negative of
    the specific force an accelerometer of the Android/imuforge convention reports (+1 g up the z axis). So
    ``acc = −(gravity + userAcceleration) × 9.80665`` m/s². ``rotationRate`` (``CMRotationRate``) is in
    rad/s, right-handed about the same device axes (x right, y toward the top, z out of the screen), kept.
    Rows holding NaN are left out (counted) and become gaps. The pocket's side is not recorded:
    ``pocket_right_thigh`` by convention. Folders B_/C_ (raw accelerometer/gyroscope) are not read.
    """
    src = Path(os.path.abspath(src))  # a relative "wlk_7" has a parent to look in (links kept: their names)
    base = src.parent.parent if _MS_TRIAL_RE.match(src.name) else src.parent  # one trial's folder, too

    def in_device_motion(p: Path) -> bool:  # A_DeviceMotion_data (or its zip's folder) above the trial
        return any("devicemotion" in part.lower() for part in p.relative_to(base).parts[:-2])

    motion = [p for p in src.rglob("sub_*.csv") if _MS_FILE_RE.match(p.name) and in_device_motion(p)]
    files = sorted(p for p in motion if _MS_TRIAL_RE.match(p.parent.name))
    for p in motion:  # a folder of another activity code: counted, as the other importers count theirs
        if not _MS_TRIAL_RE.match(p.parent.name):
            report.skipped[f"unknown_activity_{p.parent.name.split('_')[0]}"] += 1
    # a CSV in a trial folder that is not named sub_<n>.csv (renamed, or a copy): counted, not passed over
    renamed = sum(1 for p in src.rglob("*.csv") if not _MS_FILE_RE.match(p.name)
                  and _MS_TRIAL_RE.match(p.parent.name) and in_device_motion(p))
    if renamed:
        report.skipped["csv_files_not_named_sub_n"] += renamed
    if not files:
        raise NothingToImport(f"no A_DeviceMotion_data/<activity>_<trial>/sub_<n>.csv files under {src}",
                              allowed="the MotionSense data folder (activities "
                              + ", ".join(MOTIONSENSE_LABELS) + ")")
    info = _motionsense_subjects(src, base)
    allowed = "the MotionSense DeviceMotion header (" + ",".join(MOTIONSENSE_COLUMNS) + ", …)"
    for path in progress(files, desc="motionsense", unit="file"):
        act, trial = _MS_TRIAL_RE.match(path.parent.name).groups()
        sid = int(_MS_FILE_RE.match(path.name).group(1))
        got = _csv_table(path, MOTIONSENSE_COLUMNS, allowed, report)
        if got is None or len(got[0]) < 2:
            report.skipped["csv_files_without_samples"] += 1
            continue
        table, rows = got
        acc = -(table[:, 0:3] + table[:, 6:9]) * STANDARD_GRAVITY
        t = rows / MOTIONSENSE_RATE
        t = t - t[0]
        extra = {"subject_info": info[sid]} if sid in info else {}
        rec = _recording(path, t, np.column_stack([acc, table[:, 3:6]]), ACC_GYRO, MOTIONSENSE_RATE,
                         placement="pocket_right_thigh", subject=f"ms{sid:02d}",
                         labels=[(0.0, float(t[-1]) + 1.0 / MOTIONSENSE_RATE, MOTIONSENSE_LABELS[act])],
                         provenance={"dataset": "MotionSense", "file": f"{path.parent.name}/{path.name}",
                                     "trial": int(trial), **extra})
        yield f"sub{sid:02d}_{act}_{trial}", rec


# ------------------------------------------------------------------------------- MHEALTH
#: Source of the MHEALTH facts below: the README.txt in the UCI archive (archive.ics.uci.edu/dataset/319,
#: "mhealth+dataset.zip" → MHEALTHDATASET/README.txt) and the UCI page. Activities L1–L12 ("L1: Standing
#: still", …, "L5: Climbing stairs", …, "L10: Jogging", "L11: Running", "L12: Jump front & back"); label 0
#: is the null class
MHEALTH_LABELS = {1: "standing", 2: "sitting", 3: "lying", 4: "walking", 5: "stairs",
                  6: "waist_bends_forward", 7: "frontal_arm_elevation", 8: "knees_bending", 9: "cycling",
                  10: "jogging", 11: "running", 12: "jumping"}
#: 0-based first column of each sensor's acc (m/s²) and of the two triples that follow it (gyro in deg/s and
#: magnetometer, in an order decided per file: :func:`_mhealth_gyro_column`; None: the chest unit has
#: neither).
#: README: columns 1–3 chest acc, 4–5 ECG, 6–8 left-ankle acc, 9–11 its gyro, 12–14 its magnetometer,
#: 15–17 right-lower-arm acc, 18–20 its gyro, 21–23 its magnetometer, 24 the label; "Units: Acceleration
#: (m/s^2), gyroscope (deg/s), magnetic field (local), ecg (mV)"
MHEALTH_IMUS = {"arm": (14, 17), "ankle": (5, 8), "chest": (0, None)}
#: The files' rows disagree with the README's column list: in the first rows of mHealth_subject1.log as public
#: code quotes them, columns 9–11 and 18–20 hold a vector of steady length (≈ 1.1, "local" units) that keeps
#: one value for 3–5 samples and moves in steps of ≈ 0.002 — a slowly updated magnetometer — while columns
#: 12–14 and 21–23 change at every sample about zero (−2.9 … 5.4: a gyroscope in deg/s, the person still), and
#: public loaders note the same swap. So each file's triples are told apart by what they measure: the
#: magnetometer's length stays near the local field's however the unit turns, the gyroscope's runs from
#: ≈ 0 at rest to hundreds of deg/s. The triple whose length spreads less (10th–90th percentile over the
#: median) is the magnetometer where it spreads under :data:`MHEALTH_MAG_SPREAD_RATIO` × the other's; a file
#: where neither does is read as the rows show it (gyroscope second). Which columns each file's gyroscope
#: came from is in its provenance and the import report's notes.
MHEALTH_MAG_SPREAD_RATIO = 0.5
#: README: the sensors "were respectively placed on the subject's chest, right wrist and left ankle" (the
#: column list calls the wrist unit "right-lower-arm": the same unit)
_MHEALTH_PLACEMENT = {"arm": "wrist_right", "ankle": "ankle_left", "chest": "chest"}
#: README: "All sensing modalities are recorded at a sampling rate of 50 Hz"
MHEALTH_RATE = 50.0
_MHEALTH_RE = re.compile(r"^mHealth_subject(\d+)\.log$", re.I)


def import_mhealth(src: Path, report: ImportReport, imu: str = "arm") -> Iterator[tuple[str, Recording]]:
    """MHEALTH (Banos et al.; UCI data set 319, its README.txt, quoted at :data:`MHEALTH_IMUS` and the
    constants beside it): ``mHealth_subjectN.log``, 24 whitespace-separated columns at 50 Hz, 10 subjects,
    Shimmer2 units on the chest, the right wrist ("right lower arm") and the left ankle. Columns 1–3 chest
    acc, 4–5 ECG, 6–8 left-ankle acc, 9–14 its gyro and magnetometer, 15–17 right-lower-arm acc, 18–23 its
    gyro and magnetometer, 24 the label (0: null class). The README puts each gyroscope first, the files hold
    it second: each file's order is read off its data (:data:`MHEALTH_MAG_SPREAD_RATIO`).
    Units (README): acceleration m/s², gyroscope deg/s (converted to rad/s here), magnetic field "local"
    (not read: no unit to convert from), ECG mV (not read).

    ``imu``: ``arm`` (right wrist; acc + gyro), ``ankle`` (left ankle; acc + gyro) or ``chest`` (acc only —
    the chest unit has no gyro). Labels L1–L12; L5 "climbing stairs" keeps the name ``stairs`` (direction not
    given), L10 jogging and L11 running stay apart; label 0 is left unlabelled, an unknown code is counted
    and left unlabelled. Rows with NaN in the chosen columns are left out (counted) and become gaps.
    """
    if imu not in MHEALTH_IMUS:
        raise ValidationError(f"unknown MHEALTH IMU {imu!r}", allowed=", ".join(MHEALTH_IMUS))
    files = sorted(p for p in src.rglob("*.log") if _MHEALTH_RE.match(p.name)) if src.is_dir() else (
        [src] if _MHEALTH_RE.match(src.name) else [])
    if not files:
        raise NothingToImport(f"no mHealth_subjectN.log files under {src}",
                              allowed="the MHEALTHDATASET folder")
    a0, first = MHEALTH_IMUS[imu]
    chans = ACC if first is None else ACC_GYRO
    for path in progress(files, desc="mhealth", unit="file"):
        table = _numbers(path, columns=24,
                         allowed="24 numbers per line (MHEALTH log: 23 signals and the label)")
        extra = {}
        if first is None:
            cols = list(range(a0, a0 + 3))
        else:
            g0, why = _mhealth_gyro_column(table, first)
            cols = list(range(a0, a0 + 3)) + list(range(g0, g0 + 3))
            extra = {"gyro_columns": f"{g0 + 1}-{g0 + 3}"}
        ok = np.isfinite(table[:, cols + [23]]).all(axis=1)
        report.skipped["rows_not_finite"] += int((~ok).sum())
        if ok.sum() < 2:
            report.skipped["files_without_usable_rows"] += 1
            continue
        if first is not None:
            report.notes[f"{imu} gyroscope read from columns {g0 + 1}-{g0 + 3} ({why})"] += 1
        rows = np.flatnonzero(ok)
        data = table[rows][:, cols]
        if first is not None:
            data[:, 3:] *= DEG
        raw = table[rows, 23]
        known = np.isin(raw, list(MHEALTH_LABELS))
        for code in np.unique(raw[~known & (raw != 0)]):
            code_s = int(code) if float(code).is_integer() else code
            _imported_unlabelled(report, "MHEALTH", code_s)
        codes = np.where(known, raw, 0).astype(np.int64)
        t = rows / MHEALTH_RATE
        t = t - t[0]
        sid = int(_MHEALTH_RE.match(path.name).group(1))
        rec = _recording(path, t, data, chans, MHEALTH_RATE, placement=_MHEALTH_PLACEMENT[imu],
                         labels=_segments_from_codes(t, codes, MHEALTH_LABELS, 1.0 / MHEALTH_RATE),
                         subject=f"mhealth{sid:02d}",
                         provenance={"dataset": "MHEALTH", "file": path.name, "imu": imu, **extra})
        yield f"subject{sid:02d}_{imu}", rec


def _mhealth_gyro_column(table: np.ndarray, first: int) -> tuple[int, str]:
    """The 0-based first column of a unit's gyroscope in an MHEALTH log: of the two triples at ``first`` and
    ``first + 3``, the one that is not the magnetometer (:data:`MHEALTH_MAG_SPREAD_RATIO`), with why."""
    spread = []
    for c in (first, first + 3):
        xyz = table[:, c:c + 3]
        norm = np.linalg.norm(xyz[np.isfinite(xyz).all(axis=1)], axis=1)
        lo, mid, hi = np.percentile(norm, [10, 50, 90]) if norm.size else (0.0, 0.0, 0.0)
        spread.append((hi - lo) / mid if mid > 0 else np.inf)
    if spread[0] < MHEALTH_MAG_SPREAD_RATIO * spread[1]:
        return first + 3, f"columns {first + 1}-{first + 3} hold a steady-length vector: the magnetometer"
    if spread[1] < MHEALTH_MAG_SPREAD_RATIO * spread[0]:
        return first, f"columns {first + 4}-{first + 6} hold a steady-length vector: the magnetometer"
    return first + 3, "neither triple's length is steady: the files' order"


# ------------------------------------------------------------------------------- DSADS
#: The UCI page of the data set (archive.ics.uci.edu/dataset/256, "Daily and Sports Activities") lists the
#: activities A1–A19: sitting, standing, lying on back and on right side (A3, A4), ascending and descending
#: stairs, standing in an elevator still (A7) and moving around in it (A8), walking in a parking lot (A9),
#: walking on a treadmill at 4 km/h flat and 15° inclined (A10, A11), running on a treadmill at 8 km/h
#: (A12), stepper, cross trainer, exercise bike in horizontal and vertical positions (A15, A16), rowing,
#: jumping, playing basketball
DSADS_LABELS = {1: "sitting", 2: "standing", 3: "lying", 4: "lying", 5: "stairs_up", 6: "stairs_down",
                7: "elevator_standing", 8: "elevator_moving", 9: "walking", 10: "walking",
                11: "walking_inclined", 12: "running", 13: "stepper", 14: "cross_trainer", 15: "cycling",
                16: "cycling", 17: "rowing", 18: "jumping", 19: "basketball"}
#: first column (0-based) of each unit's 9 columns: acc x y z (m/s²), gyro x y z (rad/s), mag x y z (a.u.).
#: Layout (UCI page): "columns 1-9 correspond to the sensors in unit 1 (T), columns 10-18 … (RA), columns
#: 19-27 … (LA), columns 28-36 … (RL), columns 37-45 … (LL)", each "x,y,z accelerometers, x,y,z
#: gyroscopes, x,y,z magnetometers". Units: the UCI page states none; the sensor units are Xsens MTx, whose
#: calibrated output is acceleration m/s², rate of turn rad/s, magnetic field "a.u. (arbitrary units)
#: normalized to earth field strength" (Xsens, MTi and MTx User Manual, document MT0100P, section 4.5.2):
#: the importer assumes the files hold that output, unconverted
DSADS_UNITS = {"torso": 0, "right_arm": 9, "left_arm": 18, "right_leg": 27, "left_leg": 36}
#: Barshan & Yüksek 2014 (The Computer Journal 57(11), section 3, as public DSADS converters quote it; the
#: paper's own text not re-read here): "two of the ±18g sensor units are placed on the sides of the knees
#: (the right-hand side of the right knee and the left-hand side of the left knee), the remaining ±18g unit
#: is placed on the subject's chest, and the two ±5g units on the wrists".
#: Whether the knee units sat above or below the joint is not said: they get knee_* (on the outside of the
#: knee, on the shank just below the joint line, x up the shank, z outward) — the shank assumed
_DSADS_PLACEMENT = {"torso": "chest", "right_arm": "wrist_right", "left_arm": "wrist_left",
                    "right_leg": "knee_right", "left_leg": "knee_left"}
#: UCI page: "Sensor units are calibrated to acquire data at 25 Hz sampling frequency"; each file holds
#: "5 sec x 25 Hz = 125 rows"
DSADS_RATE, DSADS_SEGMENT_ROWS = 25.0, 125
_DSADS_ACT_RE, _DSADS_P_RE, _DSADS_S_RE = (re.compile(r"^a(\d+)$"), re.compile(r"^p(\d+)$"),
                                           re.compile(r"^s(\d+)\.txt$"))


def import_dsads(src: Path, report: ImportReport, imu: str = "right_arm") -> Iterator[tuple[str, Recording]]:
    """UCI Daily and Sports Activities (Altun, Barshan & Tunçel 2010; UCI data set 256): ``aNN/pM/sKK.txt`` —
    19 activities a01–a19, 8 people p1–p8, 60 five-second segments s01–s60, each 125 rows × 45 comma-separated
    columns at 25 Hz: five Xsens MTx units T (torso), RA, LA, RL, LL (right/left arm, right/left leg), each
    acc x y z, gyro x y z, mag x y z. Units (the UCI page gives none; :data:`DSADS_UNITS`): the MTx's
    calibrated output (MTi/MTx user manual MT0100P, 4.5.2): m/s², rad/s, magnetic field in arbitrary units
    normalised to the earth's field (not read) — read as they are. Placement (Barshan & Yüksek 2014, The
    Computer Journal 57(11), section 3; :data:`_DSADS_PLACEMENT`): torso unit on the chest, arm units on the
    wrists (±5 g accelerometers: they saturate beyond), leg units on the outer side of the knees (±18 g),
    imported as ``knee_*`` (the shank assumed: the papers do not say above or below the joint).

    ``imu``: torso, right_arm, left_arm, right_leg, left_leg. The segments of one person and activity are
    consecutive 5 s pieces of one 5-minute recording: they are joined into one Recording, segment k starting
    at (k − 1) × 5 s (a missing segment leaves a gap). A segment of another row count than 125 is refused;
    rows with NaN are left out (counted). a03 (lying on the back) and a04 (on the right side) are both
    ``lying``, a09 (parking lot) and a10 (treadmill, 4 km/h) both ``walking``, a15/a16 (exercise bike,
    horizontal and vertical) both ``cycling``, a12 (treadmill, 8 km/h) ``running``; the code stays in the
    provenance.
    """
    if imu not in DSADS_UNITS:
        raise ValidationError(f"unknown DSADS unit {imu!r}", allowed=", ".join(DSADS_UNITS))
    groups: dict[tuple[int, int], list[tuple[int, Path]]] = {}
    for path in src.rglob("s*.txt"):
        m, mp, ma = (_DSADS_S_RE.match(path.name), _DSADS_P_RE.match(path.parent.name),
                     _DSADS_ACT_RE.match(path.parent.parent.name))
        if m and mp and ma:
            groups.setdefault((int(mp.group(1)), int(ma.group(1))), []).append((int(m.group(1)), path))
    if not groups:
        raise NothingToImport(f"no aNN/pM/sKK.txt segment files under {src}",
                              allowed="the DSADS 'data' folder (a01 … a19 / p1 … p8 / s01.txt … s60.txt)")
    c0 = DSADS_UNITS[imu]
    cols = list(range(c0, c0 + 6))
    allowed = f"{DSADS_SEGMENT_ROWS} lines of 45 comma-separated numbers (a DSADS segment)"
    for person, act in progress(sorted(groups), desc="dsads", unit="rec"):
        if act not in DSADS_LABELS:
            report.skipped[f"unknown_activity_{act}"] += len(groups[person, act])
            continue
        ts, parts = [], []
        for k, path in sorted(groups[person, act]):
            seg = _numbers(path, columns=45, delimiter=",", allowed=allowed)
            if len(seg) != DSADS_SEGMENT_ROWS:
                raise ValidationError(f"{len(seg)} lines of numbers", source=str(path), allowed=allowed)
            seg = seg[:, cols]
            ok = np.isfinite(seg).all(axis=1)
            report.skipped["rows_not_finite"] += int((~ok).sum())
            ts.append((k - 1) * DSADS_SEGMENT_ROWS / DSADS_RATE + np.flatnonzero(ok) / DSADS_RATE)
            parts.append(seg[ok])
        t, data = np.concatenate(ts), np.concatenate(parts)
        if len(t) < 2:
            report.skipped["recordings_without_usable_rows"] += 1
            continue
        t = t - t[0]
        segs = [k for k, _ in groups[person, act]]
        rec = _recording(groups[person, act][0][1].parent, t, data, ACC_GYRO, DSADS_RATE,
                         placement=_DSADS_PLACEMENT[imu],
                         labels=[(0.0, float(t[-1]) + 1.0 / DSADS_RATE, DSADS_LABELS[act])],
                         subject=f"dsads_p{person}",
                         provenance={"dataset": "DSADS", "activity": f"a{act:02d}", "unit": imu,
                                     "segments": len(segs), "first_segment": min(segs)})
        yield f"p{person}_a{act:02d}_{imu}", rec


# ------------------------------------------------------------------------------- HHAR
#: Source: the README.txt of the UCI archive (archive.ics.uci.edu/dataset/344, "Activity recognition exp"):
#: columns "'Index', 'Arrival_Time', 'Creation_Time', 'x', 'y', 'z', 'User', 'Model', 'Device', 'gt'"; "Gt:
#: The activity the user was performing: bike sit, stand, walk, stairsup, stairsdown and null"
HHAR_LABELS = {"stand": "standing", "sit": "sitting", "walk": "walking", "stairsup": "stairs_up",
               "stairsdown": "stairs_down", "bike": "cycling"}
HHAR_COLUMNS = ("Arrival_Time", "Creation_Time", "x", "y", "z", "User", "Model", "Device", "gt")
HHAR_FILES = {"phone": "Phones", "watch": "Watch"}
#: a stretch of one device ends at a gap in its accelerometer clock longer than this (s)
HHAR_MAX_GAP_S = 1.0
#: an accelerometer sample gets a gyro value only with gyro samples of the same device within this many
#: of that device's median gyro periods before and after it (the two clocks are separate and irregular)
HHAR_GYRO_REACH_PERIODS = 3.0


def _row_line(path: Path, row: int) -> int:
    """The line number (1-based) of the 0-based data row ``row`` of a csv with one header line, as pandas
    counts rows: blank lines skipped. Only on the way to a refusal: it reads the file up to that row."""
    seen = -1
    with open(path, errors="replace") as f:
        next(f, None)
        for number, line in enumerate(f, start=2):
            seen += bool(line.strip())
            if seen == row:
                return number
    return row + 2


def _hhar_csv(path: Path):
    """The columns :data:`HHAR_COLUMNS` of one HHAR csv as a pandas DataFrame (strings as categories), or
    :class:`ValidationError` naming the file (and the line) when it is empty, lacks a column or holds a line
    pandas cannot read."""
    import pandas as pd

    allowed = "the HHAR csv header Index,Arrival_Time,Creation_Time,x,y,z,User,Model,Device,gt and rows of it"
    with open(path, errors="replace") as f:
        header = [h.strip() for h in f.readline().split(",")]
    missing = [c for c in HHAR_COLUMNS if c not in header]
    if missing:
        what = "empty file" if header == [""] else f"no column {missing[0]!r} in the header line"
        raise ValidationError(what, source=str(path), allowed=allowed)
    num = {"Arrival_Time": np.float64, "Creation_Time": np.float64, "x": np.float64, "y": np.float64,
           "z": np.float64}
    dtype = {**num, **{c: "category" for c in ("User", "Model", "Device", "gt")}}
    try:
        # every column read: with usecols pandas passes over a line with too many fields; only numbers may be
        # missing (pandas' default would read gt "null" as missing, and a chunk of nulls as another dtype)
        df = pd.read_csv(path, dtype={**dtype, "Index": np.float64}, keep_default_na=False,
                         na_values={c: ["", "nan", "NaN"] for c in num})[list(HHAR_COLUMNS)]
    except pd.errors.ParserError as exc:
        what = " ".join(str(exc).replace("Error tokenizing data. C error: ", "").split())
        raise ValidationError(shorten(what, 120), source=str(path), allowed=allowed) from None
    except ValueError:  # a value that is not a number in a numeric column: find its line
        raw = pd.read_csv(path, usecols=list(num), dtype=str, keep_default_na=False)
        for c in num:
            bad = pd.to_numeric(raw[c], errors="coerce").isna() & ~raw[c].str.strip().str.lower().isin(
                ["", "nan", "-nan", "inf", "-inf"])
            if bad.any():
                k = int(np.argmax(bad.to_numpy()))
                raise ValidationError(f"line {_row_line(path, k)}: {shorten(raw[c].iloc[k])} is not a number "
                                      f"({c})",
                                      source=str(path), allowed=allowed) from None
        raise ValidationError("unreadable numbers", source=str(path), allowed=allowed) from None
    # every published row names its activity (gt, the last field; "null" between activities): a blank one is
    # a line cut short (pandas fills missing fields with blanks), which every other format refuses too
    cats = list(df["gt"].cat.categories)
    if "" in cats and (blank := np.flatnonzero(df["gt"].cat.codes.to_numpy() == cats.index(""))).size:
        raise ValidationError(f"line {_row_line(path, blank[0])}: no gt (the activity, its last field): a "
                              f"line cut short, {blank.size} in all", source=str(path), allowed=allowed)
    return df


def _hhar_streams(df, report: ImportReport, units: dict[str, str]) -> dict[tuple[str, str], tuple]:
    """``(user, device) → (time s, x y z, gt codes, gt names, model)``, time-sorted, rows holding NaN and
    repeated times left out (counted); each device's Creation_Time read in ``units[device]`` (ns for a device
    not in it; :func:`_hhar_clock_units`)."""
    def named(col):  # rows whose category is not blank
        cats = list(col.cat.categories)
        codes = col.cat.codes.to_numpy()
        return (codes >= 0) & (codes != (cats.index("") if "" in cats else -2))

    ok = (np.isfinite(df[["Creation_Time", "x", "y", "z"]].to_numpy()).all(axis=1) & named(df["User"])
          & named(df["Device"]))
    report.skipped["rows_not_finite"] += int((~ok).sum())
    df = df[ok]
    out = {}
    for (user, device), g in df.groupby(["User", "Device"], observed=True, sort=True):
        t = g["Creation_Time"].to_numpy() / HHAR_CLOCK_UNITS[units.get(str(device), "ns")]
        order = np.argsort(t, kind="stable")
        t, xyz = t[order], g[["x", "y", "z"]].to_numpy()[order]
        gt = g["gt"].cat.codes.to_numpy()[order]
        keep = np.concatenate([[True], np.diff(t) > 0])
        report.skipped["repeated_timestamps"] += int((~keep).sum())
        model = str(g["Model"].iloc[0]) if len(g) else ""
        out[str(user), str(device)] = (t[keep], xyz[keep], gt[keep], list(g["gt"].cat.categories), model)
    return out


#: Creation_Time's units the importer tells apart (ticks per second); nanoseconds unless the streams' spans
#: say otherwise (:func:`_hhar_clock_units`)
HHAR_CLOCK_UNITS = {"ns": 1e9, "µs": 1e6, "ms": 1e3}


def _hhar_stream_unit(creation: np.ndarray, arrival_ms: np.ndarray) -> str | None:
    """The unit of one stream's ``Creation_Time``: the one of :data:`HHAR_CLOCK_UNITS` nearest (in log) to the
    ratio of its span to ``Arrival_Time``'s (ms, the phone's wall clock, over the same stretch) — 5th to
    95th percentile of each, so a stray row does not decide; None under 1 s of arrival span (nothing to
    compare)."""
    ok = np.isfinite(arrival_ms) & np.isfinite(creation)  # a NaN row made every percentile NaN
    if ok.sum() < 2:
        return None
    a_lo, a_hi = np.percentile(arrival_ms[ok], [5, 95])
    c_lo, c_hi = np.percentile(creation[ok], [5, 95])
    if a_hi - a_lo < 1000.0 or c_hi <= c_lo:
        return None
    per_s = (c_hi - c_lo) / ((a_hi - a_lo) * 1e-3)
    return min(HHAR_CLOCK_UNITS, key=lambda u: abs(np.log10(per_s / HHAR_CLOCK_UNITS[u])))


def _hhar_clock_units(df) -> dict[str, str]:
    """Each device's ``Creation_Time`` unit (device → ``ns`` / ``µs`` / ``ms``). Android gives sensor events
    in nanoseconds, and the HHAR devices mostly do (Nexus 4: Unix time; Samsung: time since boot); the data
    set's users report a few devices whose values have fewer digits. A device is read in the unit most of
    its streams (one per user, :func:`_hhar_stream_unit`) show, nanoseconds where none decides."""
    votes: dict[str, Counter] = {}
    for (_, device), g in df.groupby(["User", "Device"], observed=True, sort=True):
        unit = _hhar_stream_unit(g["Creation_Time"].to_numpy(), g["Arrival_Time"].to_numpy())
        votes.setdefault(str(device), Counter())[unit or "ns"] += unit is not None
    return {d: (v.most_common(1)[0][0] if sum(v.values()) else "ns") for d, v in votes.items()}


def import_hhar(src: Path, report: ImportReport, device: str = "phone") -> Iterator[tuple[str, Recording]]:
    """Heterogeneity Activity Recognition (Stisen et al., SenSys 2015; UCI, "Activity recognition exp"):
    ``Phones_accelerometer.csv``, ``Phones_gyroscope.csv``, ``Watch_accelerometer.csv``,
    ``Watch_gyroscope.csv`` with ``Index, Arrival_Time, Creation_Time, x, y, z, User, Model, Device, gt``.
    9 users a–i; 8 phones (2 each of Nexus 4, Galaxy S3, S3 mini, S+) and 4 watches (2 LG, 2 Gear); each
    sensor "sampled at the highest frequency possible by the device" (README; it gives no number: the rate is
    read off each device's clock); gt in stand, sit, walk, stairsup, stairsdown, bike, null (null left
    unlabelled). The README gives no units ("The values provided by the sensor for the three axes"): the
    devices are Android's and their values are taken as Android's ``SensorEvent`` gives them — acceleration
    in m/s² (``TYPE_ACCELEROMETER``: "All values are in SI units (m/s^2)"), rate of turn in rad/s — and
    ``Creation_Time`` ("The timestamp the OS attaches to the sample") as ``SensorEvent.timestamp``, "in
    nanoseconds" (developer.android.com/reference/android/hardware/SensorEvent); none converted.

    ``device``: ``phone`` or ``watch``. One Recording per stretch of one physical device (``Device``, e.g.
    ``nexus4_1``) and user: the device's Creation_Time (the OS's sensor timestamp, taken as ns) sorted, split
    at gaps over :data:`HHAR_MAX_GAP_S`; its rate is the median of its intervals. A device whose
    Creation_Time spans a thousand or a million times fewer ticks than nanoseconds over its Arrival_Time
    span is read in µs or ms (:func:`_hhar_clock_units`, one clock per device for both of its files; the
    import report's notes name it). Acc and gyro have separate, irregular clocks: gyro is interpolated onto
    the accelerometer's times only where the same device has gyro samples within
    :data:`HHAR_GYRO_REACH_PERIODS` of its median gyro periods on both sides
    (:func:`_near_gyro`); other accelerometer samples are left out (counted), a stretch without any gyro
    nearby stays accelerometer-only. Placement: the README says nothing of where the devices were worn, and
    the files record neither side nor orientation. The importer assumes what the data set's paper (Stisen
    et al. 2015) is commonly cited for — the phones carried at the waist, the watches on the arms —
    without that text having been checked here: phones ``waist_front``, watches ``wrist_left`` (the side
    by convention).
    """
    if device not in HHAR_FILES:
        raise ValidationError(f"unknown HHAR device {device!r}", allowed=", ".join(HHAR_FILES))
    name = HHAR_FILES[device]
    acc_path = next(iter(sorted(src.rglob(f"{name}_accelerometer.csv"))), None) if src.is_dir() else None
    if acc_path is None:
        raise NothingToImport(f"no {name}_accelerometer.csv under {src}",
                              allowed="the HHAR 'Activity recognition exp' folder (unzipped)")
    acc_df = _hhar_csv(acc_path)
    units = _hhar_clock_units(acc_df)  # one clock per device, for both of its files
    for dev, unit in sorted(units.items()):
        if unit != "ns":
            report.notes[f"{dev}: Creation_Time read in {unit} (its span against Arrival_Time's ms)"] += 1
    acc = _hhar_streams(acc_df, report, units)
    gyro_path = acc_path.with_name(f"{name}_gyroscope.csv")
    gyro = _hhar_streams(_hhar_csv(gyro_path), report, units) if gyro_path.exists() else {}
    if not gyro:  # the published folder holds both files: said, not refused (an accelerometer-only data set)
        report.notes[f"{gyro_path.name} {'holds no usable row' if gyro_path.exists() else 'is missing'}: the "
                     "recordings hold the accelerometer only"] += 1
    placement = "waist_front" if device == "phone" else "wrist_left"
    for user, dev in progress(sorted(acc), desc="hhar", unit="device"):
        t_all, xyz_all, gt_all, gt_names, model = acc[user, dev]
        names = {k: HHAR_LABELS[n] for k, n in enumerate(gt_names) if n in HHAR_LABELS}
        for k, n in enumerate(gt_names):
            if n not in HHAR_LABELS and n != "null":
                _imported_unlabelled(report, "HHAR", n, "samples")
        g = gyro.get((user, dev))
        reach = HHAR_GYRO_REACH_PERIODS * float(np.median(np.diff(g[0]))) if g and len(g[0]) > 1 else 0.0
        dt = np.diff(t_all)
        edges = np.concatenate([[0], np.flatnonzero(dt > HHAR_MAX_GAP_S) + 1, [len(t_all)]])
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            t, xyz, codes = t_all[a:b], xyz_all[a:b], gt_all[a:b]
            if b - a < 2:
                report.skipped["runs_shorter_than_2_samples"] += int(b - a)
                continue
            cols, chans = [xyz], list(ACC)
            near = _near_gyro(t, None if g is None else (g[0], g[1]), reach)
            if near is not None and near.sum() >= 2:
                report.skipped["acc_samples_without_gyro_nearby"] += int((~near).sum())
                t, xyz, codes = t[near], xyz[near], codes[near]
                cols = [xyz, np.column_stack([np.interp(t, g[0], g[1][:, k]) for k in range(3)])]
                chans = list(ACC_GYRO)
            elif gyro:
                report.skipped["runs_without_gyro"] += 1
            rate = float(np.round(1.0 / np.median(np.diff(t)), 1))
            t0 = t[0]
            rec = _recording(acc_path, t - t0, np.column_stack(cols), chans, rate, placement=placement,
                             labels=_segments_from_codes(t - t0, codes, names, 1.0 / rate),
                             subject=f"hhar_{user}",
                             provenance={"dataset": "HHAR", "device": dev, "model": model,
                                         "t0_creation_time_s": float(t0)})
            yield f"{user}_{dev}_{i:03d}", rec


IMPORTERS: dict[str, Callable[..., Iterator[tuple[str, Recording]]]] = {
    "uci-hapt": import_uci_hapt,
    "uci-har": import_uci_har,
    "pamap2": import_pamap2,
    "realworld": import_realworld,
    "usc-had": import_usc_had,
    "wisdm": import_wisdm,
    "wisdm2019": import_wisdm2019,
    "motionsense": import_motionsense,
    "mhealth": import_mhealth,
    "dsads": import_dsads,
    "hhar": import_hhar,
}


#: what each format reads, for the refusal of an import that yields nothing
EXPECTS = {
    "uci-hapt": "RawData/acc_expEE_userUU.txt and gyro_… (3 numbers per line) with labels.txt",
    "uci-har": "{train,test}/Inertial Signals/total_acc_x_train.txt, … with y_train.txt, subject_train.txt",
    "pamap2": "Protocol/subjectNNN.dat, 54 numbers per line, with rows where the chosen IMU reads numbers",
    "realworld": "probandN/data/acc_<activity>_<position>.csv (or inside *_csv.zip) of the activities "
                 + ", ".join(REALWORLD_LABELS),
    "usc-had": "SubjectN/aXtY.mat of the activities X = " + ", ".join(map(str, USC_HAD_LABELS)),
    "wisdm": "WISDM_ar_v1.1_raw.txt, lines 'user,activity,timestamp ns,x,y,z;' of the activities "
             + ", ".join(w.capitalize() for w in WISDM_LABELS),
    "wisdm2019": "raw/<device>/accel/data_<id>_accel_<device>.txt, lines "
                 "'subject,activity code,timestamp ns,x,y,z;' of the codes " + ", ".join(WISDM2019_LABELS),
    "motionsense": "A_DeviceMotion_data/<activity>_<trial>/sub_<n>.csv with a header and rows of numbers",
    "mhealth": "mHealth_subjectN.log, 24 numbers per line, with rows where the chosen IMU reads numbers",
    "dsads": "aNN/pM/sKK.txt of the activities a01 … a19, 125 lines of 45 comma-separated numbers each",
    "hhar": "Phones_accelerometer.csv / Watch_accelerometer.csv (with the *_gyroscope.csv) with rows of "
            "Index,Arrival_Time,Creation_Time,x,y,z,User,Model,Device,gt",
}


class _UnitCheck:
    """The figures of an import that tell a file in another unit than its format's — time in ms (samples
    apart by another spacing than the rate's), m/s² read as g, g read as m/s², deg/s read as rad/s —, pooled
    over its recordings so that no one short run decides (``recording.check_rate_and_spacing`` on the median
    recording, ``check_si_figures`` on all)."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.si = SiFigures()
        self.timing: list[tuple[float, float, float, str]] = []  # (spacing / the rate's, rate, spacing, name)

    def add(self, name: str, rec: Recording) -> None:
        self.si.add(rec, name=name)
        if len(rec) > 2:
            dt = float(np.median(np.diff(rec.timestamps)))
            self.timing.append((dt * rec.rate_hz, rec.rate_hz, dt, name))

    def check(self) -> None:
        try:
            if self.timing:
                _, rate, dt, name = sorted(self.timing)[len(self.timing) // 2]
                check_rate_and_spacing(rate, dt, f"{self.fmt} recording {name}")
            self.si.check(f"{self.fmt} import")
        except ValidationError as exc:  # what is allowed is the format's own units, not SI
            raise ValidationError(exc.what, allowed=f"the {self.fmt} files as published, in its own units "
                                                    "and time (docs/TRAINING.md)") from None


#: the formats whose importer reads zip archives itself, and those whose source may be a file
READS_ZIPS, READS_A_FILE = ("realworld",), ("wisdm", "realworld", "mhealth")
#: a file name (glob, anywhere below the source) only each format's published layout holds — which layout a
#: refused source has — and how many folders up from it the folder its importer reads is (a download that
#: had to be unzipped is imported from there)
SIGNATURES = {"uci-hapt": ("acc_exp*_user*.txt", 1), "uci-har": ("total_acc_x_*.txt", 3),
              "pamap2": ("subject1*.dat", 2), "realworld": ("acc_*_csv.zip", 3), "usc-had": ("a*t*.mat", 2),
              "wisdm": ("WISDM_ar_v1.1_raw*.txt", 1), "wisdm2019": ("data_16*_accel_*.txt", 4),
              "motionsense": ("sub_*.csv", 3), "mhealth": ("mHealth_subject*.log", 1),
              "dsads": ("s[0-6][0-9].txt", 3), "hhar": ("*_accelerometer.csv", 1)}
#: zip members never extracted: the resource forks macOS archives carry (``__MACOSX/``, ``._name``)
_ZIP_JUNK = re.compile(r"(^|/)(__MACOSX/|\._)")


#: the temporary folders an import unzips into (a run killed before it removed its own may leave one)
_STAGE_PREFIX = ".imuforge-unzip-"


def _files_below(folder: Path, pattern: str) -> list[Path]:
    """The files below ``folder`` whose names match ``pattern``, sorted, none in an import's temporary
    folders."""
    return sorted(p for p in folder.rglob(pattern) if p.is_file()
                  and not any(part.startswith(_STAGE_PREFIX) for part in p.relative_to(folder).parts))


def _signature(fmt: str, folder: Path) -> Path | None:
    """The first file below ``folder`` named as only ``fmt``'s layout names its files (:data:`SIGNATURES`)."""
    return next(iter(_files_below(folder, SIGNATURES[fmt][0])), None)


def _layout_of(folder: Path, fmt: str) -> str | None:
    """Another format than ``fmt`` whose files ``folder`` holds (:data:`SIGNATURES`), if any."""
    return next((f for f in SIGNATURES if f != fmt and _signature(f, folder) is not None), None)


#: the formats whose importers read only the folder given (or one named folder in it), not every folder
#: below: given a folder that holds the data set lower down, they read it from where it is
SHALLOW = ("uci-hapt", "uci-har", "pamap2", "wisdm2019")


def _data_root(fmt: str, src: Path) -> Path:
    """The folder ``fmt``'s importer reads for a source folder ``src``: ``src``, or for :data:`SHALLOW`
    formats the folder its files sit in below it (a download's folder holding the zip and its extracted
    copy)."""
    sig = _signature(fmt, src) if fmt in SHALLOW and src.is_dir() else None
    root = sig.parents[SIGNATURES[fmt][1] - 1] if sig is not None else src
    return root if root == src or src in root.parents else src


def _zips_below(folder: Path) -> list[Path]:
    """The zip archives below ``folder`` (``.zip`` in any case), none of an import's temporary folders."""
    return [p for p in _files_below(folder, "*") if p.suffix.lower() == ".zip"]


def _needs_unzip(fmt: str, src: Path) -> bool:
    """Whether ``src`` is a zip, or a folder holding zips and none of ``fmt``'s files, that ``fmt``'s importer
    does not open itself (the UCI downloads nest the data set's own zip in theirs)."""
    if fmt in READS_ZIPS:
        return False
    if src.is_file():  # named .zip but damaged: unzipping it says so
        return src.suffix.lower() == ".zip" or zipfile.is_zipfile(src)
    zips = _zips_below(src)
    if _signature(fmt, src) is not None or not zips or (fmt == "wisdm" and _wisdm_tars(src)):
        return False
    # zips that are another format's own (RealWorld's acc_*_csv.zip): refused naming it, nothing unzipped
    return not any(fnmatch.fnmatch(z.name, SIGNATURES[f][0]) for f in SIGNATURES if f != fmt for z in zips)


def _stage_parent(src: Path, out: Path) -> Path:
    """Where an import unzips ``src``: beside ``out`` (the nearest of its parents that exists), or beside
    ``src`` when that would be inside ``src`` (where a copy left by a killed run would be read next time)."""
    beside = next(a for a in out.resolve().parents if a.is_dir())
    src = src.resolve()
    return src.parent if src.is_dir() and (beside == src or src in beside.parents) else beside


def _unzipped_root(fmt: str, src: Path, stage: Path) -> Path:
    """``src``'s zips extracted into ``stage`` (:func:`_unzip`), and the folder ``fmt``'s importer reads in it
    (:data:`SIGNATURES`); refused when they hold none of the format's files, naming a format they do hold."""
    _unzip(src, stage)
    sig = _signature(fmt, stage)
    root = sig.parents[SIGNATURES[fmt][1] - 1] if sig is not None else None
    if root is None or not (root == stage or stage in root.parents):
        other = _layout_of(stage, fmt)
        like = (f"; it holds the {other} layout (imuforge import {other} {shlex.quote(str(src))})"
                if other else "")
        raise ValidationError(f"{src}, unzipped, holds none of the {fmt} data set's files{like}",
                              allowed=EXPECTS[fmt])
    return root


#: the largest file of a zipped source's folder that is copied beside the unzipped data (a description, a
#: subjects table)
LOOSE_FILE_BYTES = 10 << 20


def _unzip(src: Path, stage: Path) -> None:
    """Extract ``src`` (a zip, or every zip below a folder) into ``stage``, and the zips that holds into
    folders beside them (two levels: the download's zip, then the data set's own); macOS's resource forks
    left out. A damaged archive is refused, naming it."""
    def extract(z: Path, dest: Path) -> None:
        try:
            with zipfile.ZipFile(z) as zf:
                zf.extractall(dest, [m for m in zf.infolist() if not _ZIP_JUNK.search(m.filename)])
        except _ZIP_ERRORS as exc:
            raise ValidationError(f"damaged zip archive ({exc})", source=str(z),
                                  allowed="the download as published: fetch it again") from None
        except (RuntimeError, NotImplementedError) as exc:  # encrypted, or a compression zipfile lacks
            raise ValidationError(f"cannot unzip it here ({exc})", source=str(z),
                                  allowed="a zip of plain deflate or stored files; else unzip it with "
                                          "another tool and give the folder") from None

    outer = [src] if src.is_file() else _zips_below(src)
    for k, z in enumerate(outer):
        dest = stage / f"{k}_{z.stem}"
        extract(z, dest)
        for inner in _zips_below(dest):
            extract(inner, inner.with_name(inner.stem))
    # the small files beside the zips (MotionSense's data_subjects_info.csv beside its data zip, in the
    # repository's data/ folder): copied beside the extracted data, the first of a name kept
    for folder in dict.fromkeys([src, *(z.parent for z in outer)] if src.is_dir() else []):
        for f in sorted(folder.iterdir()):
            if (f.is_file() and f.suffix.lower() != ".zip" and f.stat().st_size < LOOSE_FILE_BYTES
                    and not (stage / f.name).exists()):
                shutil.copyfile(f, stage / f.name)


def _refusal_hint(fmt: str, src: Path) -> str | None:
    """What to do with a source ``fmt``'s importer found nothing in: another format's layout (named), or a
    file where a folder is read; ``None`` when neither."""
    if src.is_dir():
        other = _layout_of(src, fmt)
        if other is not None:
            return f"it looks like the {other} layout (imuforge import {other} {shlex.quote(str(src))})"
    elif fmt not in READS_A_FILE:
        return "it is a file: give the data set's folder"
    return None


def import_dataset(fmt: str, src: str | os.PathLike, out: str | os.PathLike, **options) -> ImportReport:
    """Import ``src`` (a dataset in its published layout) into a new Dataset folder ``out``.

    ``options`` go to the importer (``imu=`` for PAMAP2, ``device=`` for WISDM 2019). An import that yields
    no recording is refused (:class:`ValidationError` saying what was skipped and what the format expects);
    a refused or failed import removes ``out`` if it made it.
    """
    if fmt not in IMPORTERS:
        raise ValidationError(f"unknown dataset format {fmt!r}", allowed=", ".join(IMPORTERS))
    src = Path(src)
    if not src.exists():
        raise ValidationError(f"no such file or folder: {src}",
                              allowed=f"the {fmt} data set's folder (or file) as published")
    report = ImportReport(format=fmt, source=str(src))
    made = not Path(out).exists()
    units = _UnitCheck(fmt)
    stage = None
    try:
        read_from = _data_root(fmt, src)
        if _needs_unzip(fmt, src):  # the download as it came: unzipped beside --out, removed afterwards
            stage = Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX, dir=_stage_parent(src, Path(out))))
            read_from = _unzipped_root(fmt, src, stage)
            report.notes["read from its zip archives, unzipped for the import"] += 1
        ds = Dataset.create(out, meta={"imported_from": fmt, "source": str(src), "options": options})
        with ds.deferred_manifest():  # a failed import removes the folder it made
            for name, rec in IMPORTERS[fmt](read_from, report, **options):
                if len(rec) < 2:  # one row (or a file's every row left out) is no recording: no rate, 0 s
                    report.skipped["recordings_of_fewer_than_2_samples"] += 1
                    continue
                units.add(name, rec)
                ds.add(rec, name=re.sub(r"[^A-Za-z0-9_.-]", "_", name))
                report.recordings += 1
                if rec.subject is not None:
                    report.subjects.add(str(rec.subject))
                per_label = rec.duration_per_label()
                for k, v in per_label.items():
                    report.labels_s[k] += v
                report.unlabelled_s += unlabelled_seconds(rec.duration_s, per_label, rec.rate_hz)
        units.check()  # files in another unit than the format's: one line, and no data set
        if report.recordings == 0:
            skipped = ", ".join(f"{k}={v}" for k, v in report.as_dict()["skipped"].items())
            why = f"skipped: {skipped}" if skipped else "the files hold no samples"
            raise NothingToImport(f"nothing could be imported from {src} ({why})", allowed=EXPECTS[fmt])
    except BaseException as exc:
        if made:
            shutil.rmtree(out, ignore_errors=True)
        if stage is not None and isinstance(exc, ValidationError) and str(stage) in str(exc):
            def named(text):  # the file inside the source's zip, not in a temporary folder gone by now
                return text.replace(str(stage), f"{src} (unzipped)") if text else text
            raise ValidationError(named(exc.what), source=named(exc.source), allowed=exc.allowed) from None
        hint = _refusal_hint(fmt, src) if isinstance(exc, NothingToImport) and stage is None else None
        if hint is None:
            raise
        raise ValidationError(f"{exc.what}; {hint}", source=exc.source, allowed=exc.allowed) from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    ds.update_meta(import_report=report.as_dict())
    return report
