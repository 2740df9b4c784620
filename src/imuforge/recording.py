"""`Recording` and `Dataset`: one type and one on-disk format for synthetic and real IMU data.

A :class:`Recording` holds timestamps (s) and channels in SI units (acc m/s², gyro rad/s,
mag µT), the rate, the device profile and placement, label segments and provenance. Dropped
samples are *gaps in the timestamps*, never filled in.

On disk a Recording is one Parquet file (``*.imu.parquet``) whose columns are ``time`` and the
channels, with all metadata as JSON under the schema metadata key ``imuforge``; pandas and
pyarrow read it without imuforge. A :class:`Dataset` is a folder of Recordings plus
``manifest.json``. See docs/FORMATS.md.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import numbers
import os
import re
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imuforge.errors import NotARecordingError, OutputExistsError, ValidationError, check_finite, shorten
from imuforge.labels import check_label
from imuforge.units import CHANNEL_UNITS, STANDARD_GRAVITY, channel_group, channel_unit, to_si_factor

FORMAT_NAME = "imuforge-recording"
FORMAT_VERSION = 1
DATASET_FORMAT = "imuforge-dataset"
RECORDING_SUFFIX = ".imu.parquet"

_AXES = ("x", "y", "z")
KNOWN_CHANNELS: tuple[str, ...] = tuple(f"{g}_{a}" for g in CHANNEL_UNITS for a in _AXES)
#: the largest magnitude (SI) a channel group may hold: beyond any body-worn sensor (the widest MEMS
#: accelerometers read ±400 g ≈ 3.92e3 m/s², gyroscopes ±4000 °/s ≈ 70 rad/s, magnetometers ±4900 µT), so
#: what lies beyond is a unit gone wrong (raw counts: gravity reads 1024–16384 at ±2–32 g; °/s as rad/s past
#: 5700 °/s), or a corrupted value that would overflow the float32 windows a model trains on
MAX_ABS_SI = {"acc": 4000.0, "gyro": 100.0, "mag": 1e4}


def _check_magnitudes(arr: np.ndarray, channels: Sequence[str], ts: np.ndarray) -> None:
    """Refuse a value beyond :data:`MAX_ABS_SI` of its channel's group, naming the channel, sample and
    time."""
    if not arr.size:
        return
    top = np.abs(arr).max(axis=0)
    limit = np.array([MAX_ABS_SI[channel_group(c)] for c in channels])
    over = np.flatnonzero(top > limit)
    if over.size:
        j = int(over[0])
        i = int(np.argmax(np.abs(arr[:, j]) > limit[j]))
        spans = ", ".join(f"|{g}| <= {v:g} {CHANNEL_UNITS[g]}" for g, v in MAX_ABS_SI.items())
        raise ValidationError(f"{channels[j]} holds {arr[i, j]:.3g} {channel_unit(channels[j])} at sample "
                              f"{i} (t = {ts[i]:g} s), beyond any body-worn sensor: a unit gone wrong or a "
                              "corrupted value?", allowed=spans)


def _check_data_finite(arr: np.ndarray, channels: Sequence[str], ts: np.ndarray) -> None:
    """Refuse NaN or infinity in a recording's samples, naming the first by its time and channel (an array
    index, "first at index (300, 4)", had told a user nothing of where in the recording it was)."""
    if arr.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValidationError(f"data holds {int(bad.sum())} non-finite value(s) (NaN or inf); first at t = "
                              f"{float(ts[i]):.2f} s in {channels[j]}", allowed="finite numbers only")


def window_mean_norm(acc: np.ndarray, rate_hz: float, window_s: float = 2.0) -> np.ndarray:
    """|mean specific force| over consecutive windows (m/s²)."""
    n = max(1, int(round(window_s * rate_hz)))
    m = (acc.shape[0] // n) * n
    if m == 0:
        return np.linalg.norm(acc.mean(axis=0, keepdims=True), axis=1)
    return np.linalg.norm(acc[:m].reshape(-1, n, 3).mean(axis=1), axis=1)


def mean_force_lengths(recordings) -> dict[str, float]:
    """Per label, the median |mean specific force| over 2 s windows (:func:`window_mean_norm`) of its
    stretches of 2 s or more, the recordings pooled; under ``""`` every window of the whole recordings. How long the
    gravity a device reads is in each activity, whichever way it is turned (a stretch at a time, so a device
    put on another way between stretches does not shorten it). Recordings without acc add nothing."""
    per: dict[str, list[np.ndarray]] = {}
    for r in recordings:
        if r.acc is None or len(r) == 0:
            continue
        per.setdefault("", []).append(window_mean_norm(r.acc, r.rate_hz))
        for seg in r.labels:
            i = (r.timestamps >= seg.start_s) & (r.timestamps < seg.end_s)
            if i.sum() >= 2 * r.rate_hz:
                per.setdefault(seg.label, []).append(window_mean_norm(r.acc[i], r.rate_hz))
    return {k: float(np.median(np.concatenate(v))) for k, v in per.items()}


#: no MEMS gyroscope measures more than 4000 °/s (69.8 rad/s: the LSM6DSV16X's full scale, the largest of the
#: project's chips; a ±2000 °/s part reads up to ≈ 40 rad/s at its nominal 70 mdps/LSB): rates above this are
#: deg/s read as rad/s (a real motion in deg/s reaches hundreds)
MAX_GYRO_RAD_S = 70.0


def check_si_units(recordings, what: str = "real capture", names: Sequence[str] | None = None,
                   placement: str | None = None) -> None:
    """Refuse recordings whose figures cannot be SI: an accelerometer whose mean over 2 s windows reads
    0.7–1.4 in nine windows of ten (gravity in g: in m/s² gravity reads ≈ 9.8, linear acceleration ≈ 0), or
    0.7–1.4 × 9.81² (m/s² multiplied by g again: gravity reads ≈ 96), or rates above :data:`MAX_GYRO_RAD_S`
    (deg/s; the 99.9th percentile of each axis: not one glitch). Calibrating them would strip "linear
    acceleration"'s gravity, map synthetic people onto ten times gravity, or onto degrees. And a gyroscope
    that hardly turns while the accelerometer moves (:func:`moving_rates`: rad/s read as deg/s, 57× too
    small; :func:`moving_floor`). The recordings are judged pooled, so that no short one decides, and each
    that holds :data:`OWN_UNITS_WINDOWS` windows of 2 s on its own (named by ``names``): one file in g among
    files in m/s² passed the pooled figures. ``placement`` stands for the placement of a recording that
    names none (a capture calibrated against synthetic data worn there)."""
    recordings = list(recordings)
    figures = SiFigures()
    for r, name in zip(recordings, names or [None] * len(recordings), strict=True):
        figures.add(r, placement, name=name)
    figures.check(what)


#: the 2 s windows a recording needs to have its units judged on its own (:func:`check_si_units`)
OWN_UNITS_WINDOWS = 10


class SiFigures:
    """The figures :func:`check_si_figures` judges units by, gathered recording by recording: judged pooled
    (no one short recording decides) and, for each recording of :data:`OWN_UNITS_WINDOWS` windows of 2 s or
    more, on its own (one file in g among files in m/s² passes the pooled figures) — for
    :func:`check_si_units`, an import, and data read for training, scoring or HIL."""

    def __init__(self) -> None:
        self.norms: list[np.ndarray] = []
        self.moving: list[np.ndarray] = []
        self.floors: list[np.ndarray] = []
        self.peaks: list[list[float]] = []  # per recording: its gyroscope's 99.9th percentile |rate|, if any
        self.names: list[str | None] = []

    def add(self, rec: Recording, placement: str | None = None, name: str | None = None) -> None:
        """Gather ``rec``'s figures; ``placement`` stands for its own where it names none; ``name`` names it
        where it is judged on its own."""
        if len(rec) == 0:
            return
        # the accelerometer's gravity is what the g tests read: a recording whose gravity calibrate removed
        # (a gravity-free capture's synthetic people) has none, and its mean of ≈ 1 m/s² had read as "in g"
        self.norms.append(np.zeros(0) if rec.provenance.get("gravity_removed") else window_norms([rec]))
        self.moving.append(moving_rates([rec]))
        self.floors.append(np.full(len(self.moving[-1]), moving_floor(rec.placement or placement)))
        self.peaks.append([] if rec.gyro is None else [float(np.percentile(np.abs(rec.gyro), 99.9))])
        self.names.append(name)

    def check(self, what: str) -> None:
        """:func:`check_si_figures` on everything added (``what``: the data's name in the refusal), then on
        each recording long enough to be judged alone (``what`` and its name)."""
        def joined(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0)

        # each recording long enough first, so that a refusal names the file (one wrong-unit file given alone
        # had been refused by the pooled figures, unnamed); a single recording is named in the pooled check
        for i, name in enumerate(self.names):
            if len(self.norms[i]) >= OWN_UNITS_WINDOWS:
                check_si_figures(self.norms[i], self.peaks[i], f"{what} {name}" if name else what,
                                 self.moving[i], self.floors[i])
        one = self.names[0] if len(self.names) == 1 else None
        check_si_figures(joined(self.norms), [p for ps in self.peaks for p in ps],
                         f"{what} {one}" if one else what, joined(self.moving), joined(self.floors))


#: a 2 s window moves when its acceleration about its mean has an RMS above this (m/s²; walking's ≈ 2–5) —
#: and a body that moves so turns: its rate's RMS over such windows stays above :data:`MOVING_MIN_RAD_S`
#: (a walking trunk ≈ 0.3 rad/s, a wrist ≈ 1.5) unless the rates are in another unit
MOVING_ACC = 2.0
MOVING_MIN_RAD_S = 0.03
#: a limb turns more: its floor. The median rate RMS of the moving windows of every real recording the
#: benchmarks read (2026-12-07): wrists 0.77–2.0 rad/s (seglearn's shoulder exercises the lowest), a thigh
#: pocket 2.0, feet 3.1–3.6; the lower back 0.66 — so 0.15 rad/s is ≥ 5× under any real limb, and a limb's
#: rates in rad/s read as deg/s stay under it up to 8.6 rad/s RMS (a trunk or head, whose turns can be
#: small in running or on stairs, keeps :data:`MOVING_MIN_RAD_S`)
LIMB_MOVING_MIN_RAD_S = 0.15
#: the words of a placement on a limb (``wrist_left``, ``pocket_right_thigh``, ``ankle_left`` …)
LIMB_WORDS = ("wrist", "forearm", "arm", "hand", "thigh", "knee", "shin", "ankle", "foot")


def moving_floor(placement: str | None) -> float:
    """The least rate RMS (rad/s) a body part turns at while its acceleration moves: a limb's
    (:data:`LIMB_MOVING_MIN_RAD_S`), or a trunk's, head's or unknown placement's
    (:data:`MOVING_MIN_RAD_S`)."""
    words = str(placement or "").lower().replace("-", "_").split("_")
    return LIMB_MOVING_MIN_RAD_S if any(w in LIMB_WORDS for w in words) else MOVING_MIN_RAD_S


def moving_rates(recordings) -> np.ndarray:
    """The rate RMS (rad/s) of every 2 s window whose acceleration moves (:data:`MOVING_ACC`), pooled over
    the recordings that hold both sensors."""
    out = []
    for r in recordings:
        if r.acc is None or r.gyro is None or len(r) == 0:
            continue
        n = max(1, int(round(2.0 * r.rate_hz)))
        m = (len(r) // n) * n
        if m == 0:
            continue
        acc, gyro = r.acc[:m].reshape(-1, n, 3), r.gyro[:m].reshape(-1, n, 3)
        moving = np.sqrt(((acc - acc.mean(axis=1, keepdims=True)) ** 2).sum(axis=2).mean(axis=1)) > MOVING_ACC
        out.append(np.sqrt((gyro[moving] ** 2).sum(axis=2).mean(axis=1)))
    return np.concatenate(out) if out else np.zeros(0)


def check_si_figures(norms: np.ndarray, gyro_peaks: Sequence[float], what: str,
                     moving: np.ndarray | None = None, floors: np.ndarray | None = None) -> None:
    """:func:`check_si_units` on figures gathered beforehand (an importer pools them over every recording, so
    that one short run cannot decide): the windows' |mean f| (m/s²), each recording's 99.9th percentile
    |rate| (rad/s), and the rate RMS of the windows that move with the floor of each one's body part
    (:func:`moving_floor`; default the trunk's)."""
    g = STANDARD_GRAVITY
    if len(norms) and np.mean((norms > 0.7) & (norms < 1.4)) >= 0.9:
        raise ValidationError(f"the {what}'s acceleration reads {np.median(norms):.2f} in every posture: "
                              "gravity in g, not m/s²",
                              allowed="accelerations in m/s² (multiply g by 9.80665; a CSV names the unit "
                                      "its values are in: acc_x[g])")
    if len(norms) and np.mean((norms > 0.7 * g * g) & (norms < 1.4 * g * g)) >= 0.9:
        raise ValidationError(f"the {what}'s acceleration reads {np.median(norms):.0f} m/s² "
                              f"({np.median(norms) / g:.1f} g) in every posture: values already in m/s² "
                              "multiplied by 9.81 again (read as g)?",
                              allowed="gravity ≈ 9.81 m/s² at rest: data in m/s² read as m/s², in g as g")
    if len(gyro_peaks) and max(gyro_peaks) > MAX_GYRO_RAD_S:
        raise ValidationError(f"the {what}'s rates reach {max(gyro_peaks):.0f} rad/s, more than any MEMS "
                              f"gyroscope measures ({MAX_GYRO_RAD_S:g} rad/s = 4000 °/s): deg/s, not rad/s",
                              allowed="rates in rad/s (multiply deg/s by π/180; a CSV names the unit its "
                                      "values are in: gyro_x[dps])")
    floors = np.full(len(moving), MOVING_MIN_RAD_S) if moving is not None and floors is None else floors
    if moving is not None and len(moving) >= 3 and np.mean(moving < floors) >= 0.9:
        part = "a limb" if np.median(floors) > MOVING_MIN_RAD_S else "a body"
        raise ValidationError(f"the {what}'s gyroscope hardly turns while its accelerometer moves (rate RMS "
                              f"{np.median(moving):.3g} rad/s in the windows that move; {part}'s least is "
                              f"{np.median(floors):g} rad/s): rad/s read as deg/s, 57× too small?",
                              allowed="rates in rad/s (deg/s × π/180; a file already in rad/s as it is, a "
                                      "CSV's header naming the unit its values are in: gyro_x[rad/s])")


#: the sample rates (Hz) of a body-worn IMU: a time in ms read as s makes a 50 Hz recording 0.05 Hz, one in s
#: read as ms 50 kHz
IMU_RATE_HZ = (1.0, 20_000.0)
#: how far (×) the median spacing of a recording's samples may lie from the spacing its rate says: a capture
#: that lost 3 samples in 4 is 4×, a time in another unit than the rate 60× (min / s) to 10⁹× (ns / s)
SPACING_SPAN = 10.0


def check_timing(rec: Recording, what: str) -> None:
    """Refuse a recording whose rate lies outside :data:`IMU_RATE_HZ`, or whose samples lie further apart or
    closer than :data:`SPACING_SPAN` × what its rate says: its time is in another unit (one line naming
    ``what``, the rate and the spacing)."""
    check_rate_and_spacing(rec.rate_hz, float(np.median(np.diff(rec.timestamps))) if len(rec) > 2 else None,
                           what)


def check_rate_and_spacing(rate_hz: float, spacing_s: float | None, what: str) -> None:
    """:func:`check_timing` on a rate and the median spacing of samples (None: too few to tell)."""
    lo, hi = IMU_RATE_HZ
    if not lo <= rate_hz <= hi:
        guess = "ms read as s" if rate_hz < lo else "s read as ms or µs"
        raise ValidationError(f"{what} runs at {rate_hz:.5g} Hz, outside the rates of a body-worn IMU: "
                              f"its time in another unit ({guess}?)",
                              allowed=f"{lo:g} … {hi:g} Hz: time in s, or in the unit a CSV header names "
                                      "(time[s], time[ms], time[us], time[ns]) as its values are")
    if spacing_s is not None and not 1 / SPACING_SPAN <= spacing_s * rate_hz <= SPACING_SPAN:
        raise ValidationError(f"{what}: its samples lie {spacing_s:.3g} s apart, but its rate of "
                              f"{rate_hz:g} Hz says {1 / rate_hz:.3g} s: its time is in another "
                              "unit than its rate", allowed="timestamps in s at the recording's rate")


def window_norms(recordings) -> np.ndarray:
    """:func:`window_mean_norm` of every recording that has acc channels and samples, one array."""
    norms = [window_mean_norm(r.acc, r.rate_hz) for r in recordings if r.acc is not None and len(r) > 0]
    return np.concatenate(norms) if norms else np.zeros(0)


@dataclass(frozen=True, order=True)
class LabelSegment:
    """A labelled time span ``[start_s, end_s)`` in the Recording's time base (s)."""

    start_s: float
    end_s: float
    label: str

    def __post_init__(self):
        check_label(self.label)
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s)):
            raise ValidationError(f"label segment {self.label!r} has non-finite bounds")
        if self.end_s < self.start_s:
            raise ValidationError(
                f"label segment {self.label!r} ends ({self.end_s} s) before it starts ({self.start_s} s)",
                allowed="end_s >= start_s",
            )

    def to_list(self) -> list:
        return [self.start_s, self.end_s, self.label]


#: the one form label segments take (in a recording's metadata, and as ``Recording(labels=...)``)
LABELS_ALLOWED = '[[start_s, end_s, "label"], …]: a list of segments, each two numbers and a label'


def as_segments(labels) -> tuple[LabelSegment, ...]:
    """``labels`` as sorted :class:`LabelSegment`; anything else (a text, a segment without its label, a
    null) is a :class:`ValidationError` naming the form allowed."""
    from imuforge.errors import shorten

    if isinstance(labels, (str, bytes, dict)) or not isinstance(labels, (Iterable, type(None))):
        raise ValidationError(f"labels = {shorten(labels)} is not a list of segments", allowed=LABELS_ALLOWED)
    out = []
    for i, seg in enumerate(labels if labels is not None else ()):
        if isinstance(seg, LabelSegment):
            out.append(seg)
            continue
        ok = (isinstance(seg, (Sequence, np.ndarray)) and not isinstance(seg, (str, bytes)) and len(seg) == 3
              and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in seg[:2])
              and isinstance(seg[2], (str, int, np.integer)) and not isinstance(seg[2], bool))
        if not ok:
            raise ValidationError(f"label segment {i} = {shorten(seg)} is not [start_s, end_s, \"label\"]",
                                  allowed=LABELS_ALLOWED)
        start, end, label = seg
        out.append(LabelSegment(float(start), float(end), str(label)))
    return tuple(sorted(out))


def _is_json(value) -> bool:
    """Whether ``value`` is one JSON can hold."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def unlabelled_seconds(duration_s: float, labels_s: Mapping[str, float], rate_hz: float) -> float:
    """Seconds of a recording of ``duration_s`` that its labels (``labels_s``: seconds per label) leave; none
    where they leave one sample period or less (a label that runs to the last sample's time: a duration runs
    one period past it)."""
    left = duration_s - sum(labels_s.values())
    return left if left > 1.001 / rate_hz else 0.0


#: robust SDs of its timestamps' intervals by which an interval must exceed their median to count as a gap
#: (:meth:`Recording.gaps`): Gaussian jitter passes 6 SDs once in ≈ 10⁹ intervals
GAP_JITTER_SIGMAS = 6.0


def gap_bound(dt: np.ndarray, period: float, tolerance: float = 1.5) -> float:
    """The interval (s) beyond which one of the timestamp intervals ``dt`` is a gap (:meth:`Recording.gaps`):
    over ``tolerance`` periods, and out of the intervals' own jitter (their median plus
    :data:`GAP_JITTER_SIGMAS` robust SDs)."""
    typical = float(np.median(dt))
    spread = 1.4826 * float(np.median(np.abs(dt - typical)))
    return max(tolerance * period, typical + GAP_JITTER_SIGMAS * spread)


class Recording:
    """Timestamps and SI channels of one IMU stream, with its metadata.

    Parameters
    ----------
    timestamps : array, shape (n,)
        Sample times in seconds, strictly increasing. Gaps (dropped samples) are simply
        missing times.
    data : array, shape (n, n_channels)
        Channel values in SI units: acc m/s², gyro rad/s, mag µT.
    channels : sequence of str
        Channel names, e.g. ``("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")``.
    rate_hz : float
        Sample rate in Hz: for synthetic data the rate of the simulated device's clock (nominal
        ODR × (1 + clock error)); for captures the measured rate.
    profile : str, optional
        Name of the hardware profile (device) the data is from or was made for.
    placement : str, optional
        Placement preset name (``wrist_left`` …) or a free description.
    labels : sequence of (start_s, end_s, label), optional
        Activity label segments.
    subject : str, optional
        Subject / wearer id (used for subject-wise splits).
    provenance : dict, optional
        JSON-serialisable: seed and generator for synthetic data, device id and capture time
        for real data.
    """

    __slots__ = ("timestamps", "data", "channels", "rate_hz", "profile", "placement", "labels",
                 "subject", "provenance")

    def __init__(
        self,
        timestamps,
        data,
        channels: Sequence[str],
        rate_hz: float,
        *,
        profile: str | None = None,
        placement: str | None = None,
        labels=(),
        subject: str | None = None,
        provenance: dict[str, Any] | None = None,
    ):
        try:
            ts = np.array(timestamps, dtype=np.float64, copy=True)
            arr = np.array(data, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:  # text, objects, ragged rows: NumPy's own words, said as ours
            raise ValidationError(f"timestamps and data must be numbers ({exc})",
                                  allowed="numbers: timestamps (n,) in s, data (n, channels) in SI units"
                                  ) from None
        channels = tuple(str(c) for c in channels)
        if ts.ndim != 1:
            raise ValidationError(f"timestamps must be 1-D, got shape {ts.shape}")
        if arr.ndim == 1 and len(channels) == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape != (ts.size, len(channels)):
            raise ValidationError(
                f"data shape {arr.shape} does not match {ts.size} timestamps × {len(channels)} channels"
            )
        for c in channels:
            if c not in KNOWN_CHANNELS:
                raise ValidationError(f"unknown channel {c!r}", allowed=", ".join(KNOWN_CHANNELS))
        if len(set(channels)) != len(channels):
            twice = sorted({c for c in channels if channels.count(c) > 1})
            raise ValidationError(f"channel {', '.join(twice)} named twice in {', '.join(channels)}",
                                  allowed="each channel once (acc_x, acc_y, acc_z, gyro_x, …)")
        check_finite("timestamps", ts)
        _check_data_finite(arr, channels, ts)
        _check_magnitudes(arr, channels, ts)
        if ts.size > 1 and not np.all(np.diff(ts) > 0):
            i = int(np.argmin(np.diff(ts) > 0))
            raise ValidationError(
                f"timestamps must be strictly increasing; t[{i}]={float(ts[i])!r} >= "
                f"t[{i + 1}]={float(ts[i + 1])!r}"
            )
        if isinstance(rate_hz, bool) or not (isinstance(rate_hz, numbers.Real) and math.isfinite(rate_hz)
                                             and rate_hz > 0):  # numpy's numbers too; True is not a rate
            raise ValidationError(f"rate_hz must be a positive number, got {rate_hz!r}")
        rate_hz = float(rate_hz)
        if provenance is not None and not isinstance(provenance, Mapping):
            raise ValidationError("provenance must be a mapping (a JSON object), got "
                                  f"{type(provenance).__name__}")
        for name, value in (("profile", profile), ("placement", placement)):
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"{name} must be a name (text), got {type(value).__name__} "
                                      f"{shorten(value)}")
        ts.flags.writeable = False
        arr.flags.writeable = False
        self.timestamps = ts
        self.data = arr
        self.channels = channels
        self.rate_hz = float(rate_hz)
        self.profile = profile
        self.placement = placement
        self.labels = as_segments(labels)
        self.subject = None if subject is None else str(subject)
        self.provenance = dict(provenance or {})

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return self.timestamps.size

    def __repr__(self) -> str:
        labels = sorted({s.label for s in self.labels})
        return (
            f"<Recording | {len(self)} samples, {self.duration_s:.1f} s at {self.rate_hz:g} Hz, "
            f"channels={','.join(self.channels)}, profile={self.profile}, "
            f"placement={self.placement}, labels={labels}>"
        )

    def __eq__(self, other) -> bool:
        if not isinstance(other, Recording):
            return NotImplemented
        return (
            self.channels == other.channels
            and np.array_equal(self.timestamps, other.timestamps)
            and np.array_equal(self.data, other.data)
            and self.rate_hz == other.rate_hz
            and self.profile == other.profile
            and self.placement == other.placement
            and self.labels == other.labels
            and self.subject == other.subject
            and self.provenance == other.provenance
        )

    __hash__ = None  # mutable-looking container; compare with ==

    @property
    def duration_s(self) -> float:
        """Time covered, from the first sample to one period after the last (s)."""
        if len(self) == 0:
            return 0.0
        return float(self.timestamps[-1] - self.timestamps[0] + 1.0 / self.rate_hz)

    def channel(self, name: str) -> np.ndarray:
        """One channel's values (SI units)."""
        try:
            return self.data[:, self.channels.index(name)]
        except ValueError:
            raise ValidationError(f"recording has no channel {name!r}", allowed=", ".join(self.channels)) from None

    def group(self, group: str) -> np.ndarray | None:
        """The (n, 3) block of a channel group (``"acc"``, ``"gyro"``, ``"mag"``) or None."""
        names = [f"{group}_{a}" for a in _AXES]
        if not all(n in self.channels for n in names):
            return None
        idx = [self.channels.index(n) for n in names]
        return self.data[:, idx]

    @property
    def acc(self) -> np.ndarray | None:
        """Specific force (n, 3) in m/s², or None."""
        return self.group("acc")

    @property
    def gyro(self) -> np.ndarray | None:
        """Angular rate (n, 3) in rad/s, or None."""
        return self.group("gyro")

    @property
    def mag(self) -> np.ndarray | None:
        """Magnetic field (n, 3) in µT, or None."""
        return self.group("mag")

    def gaps(self, tolerance: float = 1.5) -> list[tuple[float, float, int]]:
        """Gaps where the interval exceeds ``tolerance`` periods and stands out of the timestamps' own jitter.

        Returns ``(after_s, before_s, n_missing)`` per gap: the last time before the gap, the
        first time after it and the estimated number of missing samples. An interval counts as a gap only
        beyond the median interval by :data:`GAP_JITTER_SIGMAS` robust SDs of the intervals (1.4826 × their
        median absolute deviation): a device whose timestamps jitter by a good part of a period (100 µs at
        1600 Hz is 16 % of one) has intervals past 1.5 periods without losing a sample — 232 in 10 s
        before this bound. A drop shorter than that jitter cannot be told from it by the timestamps alone.
        """
        if len(self) < 2:
            return []
        dt = np.diff(self.timestamps)
        period = 1.0 / self.rate_hz
        idx = np.flatnonzero(dt > gap_bound(dt, period, tolerance))
        return [
            (float(self.timestamps[i]), float(self.timestamps[i + 1]), int(round(dt[i] / period)) - 1)
            for i in idx
        ]

    def label_array(self, unlabelled: str = "") -> np.ndarray:
        """Per-sample label (object array); ``unlabelled`` where no segment covers a sample."""
        out = np.full(len(self), unlabelled, dtype=object)
        for seg in self.labels:
            mask = (self.timestamps >= seg.start_s) & (self.timestamps < seg.end_s)
            out[mask] = seg.label
        return out

    def duration_per_label(self) -> dict[str, float]:
        """Seconds covered by each label (segments clipped to the recording)."""
        if len(self) == 0:
            return {}
        t0, t1 = self.timestamps[0], self.timestamps[-1] + 1.0 / self.rate_hz
        out: dict[str, float] = {}
        for seg in self.labels:
            d = max(0.0, min(seg.end_s, t1) - max(seg.start_s, t0))
            out[seg.label] = out.get(seg.label, 0.0) + d
        return out

    # ------------------------------------------------------------ transforms
    def replace(self, **changes) -> Recording:
        """A copy with some fields replaced (like :func:`dataclasses.replace`)."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Recording(
            fields.pop("timestamps"), fields.pop("data"), fields.pop("channels"), fields.pop("rate_hz"), **fields
        )

    def crop(self, start_s: float | None = None, end_s: float | None = None) -> Recording:
        """Samples with ``start_s <= t < end_s``; label segments clipped to the span."""
        for name, v in (("start_s", start_s), ("end_s", end_s)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(v)):
                raise ValidationError(f"crop {name} = {v!r} is not a time", allowed="seconds, or None")
        if start_s is not None and end_s is not None and start_s > end_s:  # equal: empty, as asked
            raise ValidationError(f"crop from {start_s!r} s back to {end_s!r} s",
                                  allowed="start_s <= end_s")
        t = self.timestamps
        lo = -np.inf if start_s is None else start_s
        hi = np.inf if end_s is None else end_s
        mask = (t >= lo) & (t < hi)
        labels = [
            (max(s.start_s, lo), min(s.end_s, hi), s.label)
            for s in self.labels
            if s.end_s > lo and s.start_s < hi
        ]
        return self.replace(timestamps=t[mask], data=self.data[mask], labels=labels)

    def pick(self, channels: Sequence[str]) -> Recording:
        """A Recording with only the given channels, in that order."""
        idx = []
        for c in channels:
            if c not in self.channels:
                raise ValidationError(f"recording has no channel {c!r}", allowed=", ".join(self.channels))
            idx.append(self.channels.index(c))
        return self.replace(data=self.data[:, idx], channels=tuple(channels))

    # ------------------------------------------------------------------- I/O
    def metadata(self) -> dict[str, Any]:
        """The JSON metadata stored with the file."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "rate_hz": self.rate_hz,
            "channels": list(self.channels),
            "units": {c: channel_unit(c) for c in self.channels},
            "profile": self.profile,
            "placement": self.placement,
            "subject": self.subject,
            "labels": [s.to_list() for s in self.labels],
            "provenance": self.provenance,
        }

    def to_dataframe(self):
        """A pandas DataFrame with a ``time`` column (s) and one column per channel (SI)."""
        import pandas as pd

        df = pd.DataFrame(self.data, columns=list(self.channels))
        df.insert(0, "time", self.timestamps)
        df.attrs["imuforge"] = self.metadata()
        return df

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the Recording as Parquet (``.imu.parquet``); returns the path.

        The write is atomic: a temporary file is renamed into place.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        if path.suffix.lower() == ".csv":
            raise ValidationError(f"{path}: Recording.save writes Parquet; use to_csv for CSV, or write_recording",
                                  allowed=f"a *{RECORDING_SUFFIX} path")
        if not path.name.endswith(RECORDING_SUFFIX):  # what every reader looks for (and the commands ask)
            raise ValidationError(f"{path}: a recording file name ends in {RECORDING_SUFFIX}",
                                  allowed=f"a *{RECORDING_SUFFIX} path (*.csv: to_csv or write_recording)")
        self._check_writable(path, overwrite)
        fields = [pa.field("time", pa.float64(), nullable=False, metadata={"unit": "s"})]
        fields += [
            pa.field(c, pa.float64(), nullable=False, metadata={"unit": channel_unit(c)}) for c in self.channels
        ]
        schema = pa.schema(fields, metadata={"imuforge": self._metadata_json()})
        columns = [pa.array(self.timestamps)] + [pa.array(self.data[:, i]) for i in range(self.data.shape[1])]
        table = pa.Table.from_arrays(columns, schema=schema)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
        return path

    def _metadata_json(self) -> str:
        """:meth:`metadata` as the JSON the files hold; a provenance value JSON cannot hold (an object, a
        NumPy array) is refused naming its key (it was json's TypeError)."""
        try:
            return json.dumps(self.metadata())
        except (TypeError, ValueError) as exc:
            bad = next((k for k, v in self.provenance.items() if not _is_json(v)), None)
            key = f"[{bad!r}]" if bad is not None else ""
            raise ValidationError(f"provenance{key} cannot be written: {exc}",
                                  allowed="JSON values in the provenance: numbers, texts, lists, dicts, "
                                          "true/false, null") from None

    def _check_writable(self, path: Path, overwrite: bool) -> None:
        """What :meth:`save` and :meth:`to_csv` refuse: a file already there (unless ``overwrite``), and a
        recording with no sample, which the readers refuse in turn."""
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path} exists; pass overwrite=True to replace it")
        if not len(self):
            raise ValidationError(f"{path}: the recording holds no sample",
                                  allowed="a recording of one sample or more")

    def to_csv(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write CSV with units in the headers (``time[s]``, ``acc_x[m/s^2]`` …).

        Metadata goes into ``#`` comment lines at the top (one JSON object), which
        :func:`read_csv` reads back; spreadsheet tools and ``pandas.read_csv(comment="#")``
        skip them. As :meth:`save`: an existing file is replaced only with ``overwrite``, and the
        write is atomic (a temporary file renamed into place).
        """
        path = Path(path)
        self._check_writable(path, overwrite)
        header = ["time[s]"] + [f"{c}[{channel_unit(c)}]" for c in self.channels]
        meta = self._metadata_json()  # a provenance that is not JSON fails before anything is written
        table = np.column_stack([self.timestamps, self.data])
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="") as fh:
            fh.write("# " + meta + "\n")
            fh.write(",".join(header) + "\n")
            # repr-precision floats: %.17g round-trips float64 exactly
            np.savetxt(fh, table, delimiter=",", fmt="%.17g")
        os.replace(tmp, path)
        return path


def read_recording(path: str | os.PathLike) -> Recording:
    """Read a Recording written by :meth:`Recording.save` (Parquet) or :meth:`Recording.to_csv`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such recording: {path}")
    if path.suffix.lower() == ".csv":
        return read_csv(path)
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a non-Parquet file
        if path.name.lower().endswith((".motion.npz", ".npy", ".bvh")):
            raise ValidationError("a motion file, not a recording", source=str(path),
                                  allowed="a recording (.imu.parquet or .csv): imuforge simulate --motion "
                                          f"{path.name} --profile … makes one of it") from None
        with open(path, "rb") as fh:
            head = fh.read(4)
        what = ("a damaged or cut Parquet file" if head == b"PAR1" else "a JSON file, not a recording"
                if path.suffix.lower() == ".json" else "not a Parquet file")
        raise ValidationError(f"{what} ({exc})", source=str(path),
                              allowed="a recording: .imu.parquet (Recording.save) or .csv; a data set in its "
                                      "published layout goes through imuforge import first") from exc
    raw = (table.schema.metadata or {}).get(b"imuforge")
    if raw is None:
        raise ValidationError("Parquet file has no 'imuforge' schema metadata", source=str(path),
                              allowed="files written by Recording.save")
    try:
        meta = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"corrupt metadata: not JSON ({exc})", source=str(path),
                              allowed="files written by Recording.save") from None
    _check_format(meta, FORMAT_NAME, path)
    _check_recording_meta(meta, [c for c in table.column_names if c != "time"], path)
    import pyarrow.types as pat

    kinds = {f.name: f.type for f in table.schema}
    text = [c for c, t in kinds.items() if not (pat.is_floating(t) or pat.is_integer(t))]
    if text:
        raise ValidationError(f"column {text[0]!r} holds {kinds[text[0]]}, not numbers", source=str(path),
                              allowed="time and channel columns of numbers (as Recording.save writes them)")
    try:
        channels = meta["channels"]
        ts = table.column("time").to_numpy()
        if not ts.size:
            raise ValidationError("the recording holds no sample", source=str(path),
                                  allowed="a recording of one sample or more")
        data = np.column_stack([table.column(c).to_numpy() for c in channels]) if channels \
            else np.empty((ts.size, 0))
        return Recording(
            ts,
            data,
            channels,
            meta["rate_hz"],
            profile=meta.get("profile"),
            placement=meta.get("placement"),
            labels=meta.get("labels", ()),
            subject=meta.get("subject"),
            provenance=meta.get("provenance"),
        )
    except KeyError as exc:
        raise ValidationError(f"recording file lacks {exc.args[0]!r} (metadata key or column)", source=str(path),
                              allowed="files written by Recording.save") from None
    except ValidationError as exc:
        raise ValidationError(exc.what, source=str(path), allowed=exc.allowed) from None


#: the types a Recording file's metadata entries may have (absent or null: not set): what :class:`Recording`
#: takes — a subject may be a number (it becomes its text) — and so what :meth:`Recording.metadata` writes
#: (labels have a check of their own, :func:`~imuforge.labels.as_segments`)
_META_TYPES = {"profile": (str,), "placement": (str,), "subject": (str, int, float), "provenance": (dict,),
               "rate_hz": (int, float)}


def _check_recording_meta(meta: dict, columns: list[str] | None, path: Path) -> None:
    """Refuse, in one line, metadata that :class:`Recording` would not take (and so :meth:`Recording.save`
    and :meth:`Recording.to_csv`'s comment line do not write): an entry of another type
    (:data:`_META_TYPES`), or — ``columns``, a Parquet file's data columns — channels other than those."""
    def bad(why: str, allowed: str):
        return ValidationError(f"corrupt metadata: {why}", source=str(path),
                               allowed=f"{allowed} (as imuforge writes recordings)")

    for key, types in _META_TYPES.items():
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            want = {str: "a text", dict: "an object", int: "a number"}[types[0]] + (" or a number"
                                                                                 if len(types) > 2 else "")
            raise bad(f"{key!r} is {json.dumps(value)[:40]}", f"{key}: {want}")
    if columns is None:
        return
    channels = meta.get("channels")
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise bad(f"'channels' is {json.dumps(channels)[:40]}", "channels: a list of channel names")
    if sorted(channels) != sorted(columns):
        raise bad(f"'channels' names {', '.join(channels) or 'none'}, the file holds columns "
                  f"{', '.join(columns) or 'none'}", "the channels the file's data columns hold")


#: The file names a Recording is written under (and found by, e.g. ``calibrate --real`` folders).
RECORDING_FILE_SUFFIXES = (RECORDING_SUFFIX, ".csv")


def check_recording_path(path: str | os.PathLike, *, flag: str = "--out") -> Path:
    """``path`` as a Path if a Recording can be written there: a file name ending in ``.imu.parquet``,
    or ``.csv`` that is not a folder. Checked before any work, so nothing runs for nothing."""
    text = os.fspath(path)
    path = Path(path)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise ValidationError(f"{flag} {text} is a folder; a recording is one file",
                              allowed="a file name ending in .imu.parquet or .csv")
    if not (path.name.endswith(RECORDING_SUFFIX) or path.name.lower().endswith(".csv")):  # as readers look
        raise ValidationError(f"{flag} {text}: a recording file name must end in .imu.parquet or .csv "
                              "(other names are not found again as recordings)",
                              allowed="NAME.imu.parquet, NAME.csv")
    from imuforge._folders import check_writable_folder

    check_writable_folder(path.parent, flag, text, "a file name in a folder you can write to")
    return path


def write_recording(rec: Recording, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``rec`` in the format its suffix names: ``.csv`` → CSV, ``.imu.parquet`` → Parquet
    (other names are refused: :func:`check_recording_path`)."""
    path = check_recording_path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")
    return (rec.to_csv(path, overwrite=overwrite) if path.suffix.lower() == ".csv"
            else rec.save(path, overwrite=overwrite))


_HEADER_RE = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\[([^\]]+)\])?\s*$")
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


#: the metadata :func:`read_csv` takes beside the file's own (``meta``)
_CSV_META = ("profile", "placement", "labels", "subject", "provenance")


def read_csv(path: str | os.PathLike, *, rate_hz: float | None = None, **meta) -> Recording:
    """Read a CSV with units in the headers, e.g. ``time[s],acc_x[g],gyro_x[deg/s]``.

    Units are converted to SI here (see :data:`imuforge.units.UNITS_BY_GROUP`); a unit of the
    wrong quantity (``acc_x[deg/s]``) is refused. A ``#`` JSON comment
    line written by :meth:`Recording.to_csv` restores the metadata; ``rate_hz`` and ``meta``
    (profile, placement, labels, subject, provenance) override it. Without a rate, the median
    sample interval gives it.
    """
    unknown = sorted(set(meta) - set(_CSV_META))
    if unknown:  # (a typo, placment=, was a TypeError naming Recording.__init__)
        raise ValidationError(f"read_csv takes no {', '.join(unknown)}",
                              allowed="rate_hz, " + ", ".join(_CSV_META))
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such CSV file: {path}")
    try:
        return _read_csv(path, rate_hz, meta)
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not a text CSV file ({exc.reason} at byte {exc.start})", source=str(path),
                              allowed="UTF-8 CSV with a header such as time[s],acc_x[m/s^2]") from None


def _check_format(doc: dict, fmt: str, path) -> None:
    """Refuse a file of another format, or of a newer version of ours than this reader knows."""
    if not isinstance(doc, dict):  # valid JSON, but a list or a text where the format's object belongs
        raise ValidationError(f"corrupt metadata: a JSON {type(doc).__name__}, not an object",
                              source=str(path),
                              allowed=f'a JSON object {{"format": "{fmt}", "version": {FORMAT_VERSION}, …}}')
    version = doc.get("version", 0)
    if doc.get("format") != fmt:  # another program's file, or ours damaged
        raise ValidationError(f"not an {fmt} file (its format is {doc.get('format')!r})", source=str(path),
                              allowed=f'{fmt} metadata {{"format": "{fmt}", '
                              f'"version": {FORMAT_VERSION}, …}} as imuforge writes it')
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(f"corrupt metadata: version {version!r}", source=str(path),
                              allowed=f"a whole number ≤ {FORMAT_VERSION}")
    if version > FORMAT_VERSION:
        raise ValidationError(f"{fmt} version {version}: written by a newer imuforge", source=str(path),
                              allowed=f"version ≤ {FORMAT_VERSION}: upgrade imuforge to read it")


def _csv_columns(header: list[str], path: Path) -> tuple[list[str], list[float]]:
    """Each header column's name (``time`` for any of the time names) and the factor to SI units of its
    unit (``name[unit]``; without a unit the channel's SI unit, seconds for time). The axes of one sensor
    (``acc_x``, ``acc_y``, ``acc_z``) must carry one unit: ``acc_x,acc_y[-g]`` read acc_x in m/s², 10× off
    the others, without a word."""
    names, scales, units = [], [], {}
    for col in header:
        m = _HEADER_RE.match(col)
        if not m:
            raise NotARecordingError(f"cannot parse column header {col!r}", source=str(path),
                                     allowed="name[unit], e.g. acc_x[m/s^2] or gyro_z[deg/s]")
        name, unit = m.group(1), m.group(2)
        if name in ("time", "t", "timestamp"):
            unit = unit or "s"
            if unit not in _TIME_UNITS:
                raise ValidationError(f"unknown time unit {unit!r} in {col!r}", source=str(path),
                                      allowed=", ".join(_TIME_UNITS))
            names.append("time")
            scales.append(_TIME_UNITS[unit])
            continue
        if name not in KNOWN_CHANNELS:
            raise NotARecordingError(f"unknown column {name!r}", source=str(path),
                                     allowed="time, t or timestamp with its unit (time[ms]) and the channels "
                                             f"{', '.join(KNOWN_CHANNELS)}, each with its unit in brackets "
                                             "(acc_x[g], gyro_x[dps])")
        group = channel_group(name)
        said = unit or f"{CHANNEL_UNITS[group]} (no unit written)"
        unit = unit or CHANNEL_UNITS[group]
        try:
            factor = to_si_factor(group, unit)
        except ValidationError as exc:
            raise ValidationError(f"column {col!r}: {exc.what}", source=str(path), allowed=exc.allowed) from None
        axis, axis_said, axis_unit, axis_factor = units.setdefault(group, (name, said, unit, factor))
        if axis_factor != factor:
            example = ",".join(f"{group}_{a}[{axis_unit}]" for a in "xyz")
            raise ValidationError(f"{axis} is in {axis_said}, {name} in {said}: one sensor's axes in two "
                                  "units", source=str(path),
                                  allowed=f"one unit written on every {group} axis, e.g. {example}")
        names.append(name)
        scales.append(factor)
    return names, scales


def _read_csv(path: Path, rate_hz: float | None, meta: dict) -> Recording:
    header_meta: dict[str, Any] = {}
    header_line = 1
    with open(path, encoding="utf-8-sig") as fh:  # -sig: a byte-order mark (Excel's "CSV UTF-8") is dropped
        line = fh.readline()
        while line.startswith("#") or (line and not line.strip()):  # comments, blank lines before the header
            header_line += 1
            text = line[1:].strip()
            if text.startswith("{"):
                try:
                    header_meta = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValidationError(f"bad metadata comment: {exc}", source=str(path)) from None
                if not isinstance(header_meta, dict):
                    raise ValidationError(f"bad metadata comment: a JSON {type(header_meta).__name__}, not "
                                          "an object", source=str(path),
                                          allowed='# {"rate_hz": …, "labels": …}')
                if "format" in header_meta or "version" in header_meta:  # written by Recording.to_csv
                    _check_format({"format": FORMAT_NAME, **header_meta}, FORMAT_NAME, path)
                _check_recording_meta(header_meta, None, path)
            line = fh.readline()
        header = line.strip().split(",")
        body = fh.read()
    _check_csv_layout(line, body, header_line, path)
    names, scales = _csv_columns(header, path)  # a file that is not a recording is told by its header
    if "time" not in names:
        raise NotARecordingError("CSV has no time column", source=str(path),
                                 allowed="a column 'time[s]' (or ms, us)")
    table, body = _csv_table(path, header, names, scales, body, header_line)
    ts, data, channels, clocks = _csv_samples(table, names, body, header_line, path)
    fields = {k: header_meta.get(k) for k in _CSV_META}
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.update(meta)
    if clocks is not None:
        fields["provenance"] = {**fields.get("provenance", {}), "csv_clocks": clocks}
    if rate_hz is None:
        rate_hz = header_meta.get("rate_hz")
    if rate_hz is None:
        if ts.size < 2:
            raise ValidationError(f"holds {ts.size} sample{'' if ts.size == 1 else 's'}: too few to tell the "
                                  "rate from (it is the time between samples)", source=str(path),
                                  allowed='at least 2 rows of samples below the header, or a "rate_hz" in '
                                  "the # metadata line")
        med = float(np.median(np.diff(ts)))
        rate_hz = 1.0 / med if med > 0 else 1.0  # a non-increasing time column is refused below
    try:
        rec = Recording(ts, data, channels, rate_hz, **fields)
        check_timing(rec, "the recording")
        _check_labels_cover(rec)
    except ValidationError as exc:
        raise ValidationError(exc.what, source=str(path), allowed=exc.allowed) from None
    return rec


def _csv_table(path: Path, header: list[str], names: list[str], scales: list[float], body: str,
               header_line: int) -> tuple[np.ndarray, str]:
    """A CSV's rows under its ``header`` as numbers in SI (rows, columns), and its ``body`` with each empty
    cell read as NaN (a sensor without a reading on that row, for :func:`_merge_sensor_clocks`). One line
    naming the file's line for a value that is not a number, a row of another width, infinity; a header
    alone."""
    from imuforge._numbers import read_numbers

    body = _empty_cells_as_nan(body)
    table = (read_numbers(path, text=body, delimiter=",", first_line=header_line + 1,
                          allowed=f"{len(header)} number{'' if len(header) == 1 else 's'} per row, one per "
                                  "column the header names")
             if body.strip() else np.zeros((0, len(header))))
    if np.isinf(table).any():
        first = _line_of(body, np.isinf(table).any(axis=1), header_line)
        raise ValidationError(f"{int(np.isinf(table).sum())} infinite value(s), the first on line {first}",
                              source=str(path), allowed="finite numbers; an empty cell where a sensor has no "
                                                        "reading")
    if table.size and table.shape[1] != len(names):
        raise ValidationError(f"rows have {table.shape[1]} values but the header names {len(names)} columns",
                              source=str(path))
    if not len(table):
        raise ValidationError("the CSV holds no sample: a header and no row", source=str(path),
                              allowed="one row per sample under the header")
    return table.reshape(-1, len(names)) * np.asarray(scales), body


def _csv_samples(table: np.ndarray, names: list[str], body: str, header_line: int, path: Path
                 ) -> tuple[np.ndarray, np.ndarray, list[str], dict | None]:
    """The times, data and channel names of a CSV's ``table``, the rows in time order; a file of sensors on
    their own clocks merged onto one's times (:func:`_merge_sensor_clocks`: what was done, else None)."""
    ti = names.index("time")
    channels = [n for n in names if n != "time"]
    data = np.delete(table, ti, axis=1)
    ts = table[:, ti]
    if np.isnan(ts).any():
        raise ValidationError(f"line {_line_of(body, np.isnan(ts), header_line)} has no time",
                              source=str(path), allowed="a time on every row")
    if np.isnan(data).any():  # the sensors on their own clocks, each row holding the readings of some
        return _merge_sensor_clocks(ts, data, channels, body, header_line, path)
    if ts.size > 1 and not np.all(np.diff(ts) > 0):
        _refuse_time_order(ts, np.diff(ts) > 0, body, header_line, path)
    return ts, data, channels, None


def _empty_cells_as_nan(body: str) -> str:
    """A CSV body with each empty cell — at a line's start before a comma, between two commas, after a line's
    last comma — written ``nan``, by plain replacements (a regular expression's search over a long log took
    longer than its numbers' read); a body without empty cells is returned as it is."""
    if not any(pair in body for pair in (",,", ",\n", ",\r", "\n,")) and "," not in (body[:1], body[-1:]):
        return body
    body = body.replace(",,", ",nan,").replace(",,", ",nan,")  # the second pass: runs of empty cells
    body = body.replace(",\n", ",nan\n").replace(",\r", ",nan\r").replace("\n,", "\nnan,")
    return ("nan" + body if body[:1] == "," else body) + ("nan" if body[-1:] == "," else "")


def _line_of(body: str, rows: np.ndarray, header_line: int) -> int:
    """The file's line of the first of ``rows`` (a mask over the table's rows) of a CSV's ``body``."""
    from imuforge._numbers import line_of_row

    return line_of_row(body, int(np.argmax(rows)), ",", header_line + 1)


def _refuse_time_order(ts: np.ndarray, increasing: np.ndarray, body: str, header_line: int, path: Path,
                       rows: np.ndarray | None = None, what: str = "time") -> None:
    """Refuse the first row of ``ts`` (the times of the table's ``rows``; all of them if None) where
    ``increasing`` (over ``np.diff(ts)``) fails, naming its line and both times."""
    i = int(np.argmin(increasing))
    row = i + 1 if rows is None else int(rows[i + 1])
    line_no = _line_of(body, np.arange(row + 1) == row, header_line)
    raise ValidationError(f"{what} does not increase at line {line_no} "
                          f"({float(ts[i]):.6g} s, then {float(ts[i + 1]):.6g} s)", source=str(path),
                          allowed="one row per sample, in time order")


def _merge_sensor_clocks(ts: np.ndarray, data: np.ndarray, channels: list[str], body: str, header_line: int,
                         path: Path) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    """A logger's CSV whose sensors sample on their own clocks, a row holding the readings one sensor took at
    its time and empty cells for the others (NaN here), as one row per reading of the sensor that took the
    most: the others linearly interpolated onto its times (:func:`_onto_reference`), as a device that reads
    them together would have them. Each sensor's reading holds all its axes (some empty: refused, naming the
    line); its own times increase (the sensors' rows may come in batches of each). A sensor the header names
    that never read (its cells all empty: a logger's template) is left out, and said. Returns the times, the
    data, the channels and what was done (for the provenance)."""
    empty = np.isnan(data)
    if empty.all(axis=1).any():
        line = _line_of(body, empty.all(axis=1), header_line)
        raise ValidationError(f"line {line} holds no reading: every cell but the time's is empty (or NaN)",
                              source=str(path),
                              allowed="a reading of at least one sensor on each row, in all of its axes")
    unread = sorted({channel_group(ch) for j, ch in enumerate(channels) if empty[:, j].all()})
    keep = [j for j, ch in enumerate(channels) if channel_group(ch) not in unread]
    channels, data, empty = [channels[j] for j in keep], data[:, keep], empty[:, keep]
    groups: dict[str, list[int]] = {}
    for j, ch in enumerate(channels):
        groups.setdefault(channel_group(ch), []).append(j)
    has = {}
    for g, cols in groups.items():
        part = empty[:, cols].any(axis=1) & ~empty[:, cols].all(axis=1)
        if part.any():
            row = int(np.argmax(part))
            gone = [channels[c] for c in cols if empty[row, c]]
            line = _line_of(body, part, header_line)
            raise ValidationError(f"line {line}: {', '.join(gone)} empty (or NaN) where the other {g} axes "
                                  "hold values", source=str(path),
                                  allowed="each reading in all of its sensor's axes; a sensor's cells all "
                                          "empty on a row that holds another sensor's reading")
        has[g] = ~empty[:, cols[0]]
        rows = np.flatnonzero(has[g])
        if len(rows) < 2:
            raise ValidationError(f"{g} has {len(rows)} reading", source=str(path),
                                  allowed="at least 2 readings of each sensor the header names")
        if not np.all(np.diff(ts[rows]) > 0):
            _refuse_time_order(ts[rows], np.diff(ts[rows]) > 0, body, header_line, path, rows, f"{g}'s time")
    ref = max(groups, key=lambda g: int(has[g].sum()))  # the first of the header's order on a tie
    t, out, moved, kept = _onto_reference(ts, data, groups, has, ref, path)
    said = [f"{', '.join(unread)}: no reading in the file (its cells all empty), left out"] if unread else []
    if moved:
        said.append(f"its sensors were read on their own clocks (empty cells where one had no reading): one "
                    f"row per {ref} reading, {' and '.join(moved)} linearly interpolated onto its times")
    left_out = int(len(kept) - kept.sum())
    if left_out:
        said.append(f"{left_out} {ref} reading{'s' if left_out > 1 else ''} outside the other sensors' span "
                    "or across their gaps left out")
    warnings.warn(f"{path.name}: {'; '.join(said)}", stacklevel=5)  # the caller of read_csv
    return t[kept], out[kept], channels, {"reference": ref, "interpolated": moved, "left_out": left_out,
                                         **({"unread": unread} if unread else {})}


def _onto_reference(ts: np.ndarray, data: np.ndarray, groups: dict[str, list[int]],
                    has: dict[str, np.ndarray], ref: str, path: Path
                    ) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """The reference sensor ``ref``'s times and rows with every other sensor's channels linearly interpolated
    onto them (``has``: each sensor's rows), the sensors interpolated, and which times two readings of each
    bracket (before its first, after its last or across one of its gaps, :func:`gap_bound`, they do not:
    nothing is made up where a sensor had no reading near)."""
    t = ts[has[ref]]
    out = data[has[ref]]
    kept = np.ones(len(t), dtype=bool)
    moved = []
    for g, cols in groups.items():
        if has[g][has[ref]].all():  # a reading on every row of the reference: nothing to interpolate
            continue
        tg, vg = ts[has[g]], data[has[g]][:, cols]
        for k, c in enumerate(cols):
            out[:, c] = np.interp(t, tg, vg[:, k])
        dt = np.diff(tg)
        before = np.clip(np.searchsorted(tg, t, side="right") - 1, 0, len(tg) - 1)
        kept &= (t >= tg[0]) & (t <= tg[-1]) & (
            (t == tg[before]) | (dt[np.minimum(before, len(dt) - 1)] <= gap_bound(dt, float(np.median(dt)))))
        moved.append(g)
    if not kept.any():
        raise ValidationError(f"no {ref} reading lies within the span of the {', '.join(moved)} readings",
                              source=str(path), allowed="sensors that were read over the same time")
    return t, out, moved, kept


def _check_csv_layout(header_text: str, body: str, header_line: int, path: Path) -> None:
    """Refuse, naming the cause, what a CSV logger writes that is not comma-separated rows under a header: an
    empty file, another separator, an empty value after each line's last (a trailing comma, on the header
    or the rows)."""
    if not header_text.strip():
        raise NotARecordingError("the CSV is empty" + (" below its comment lines" if header_line > 1 else ""),
                                 source=str(path), allowed="a header such as time[ms],acc_x[g],… and one row "
                                                           "per sample")
    for sep, name in ((";", "semicolons"), ("\t", "tabs")):
        if "," not in header_text and sep in header_text:
            raise NotARecordingError(f"its columns are separated by {name}", source=str(path),
                                     allowed="comma-separated columns (time[ms],acc_x[g],…)")
    rows = ((header_line + 1 + i, ln) for i, ln in enumerate(body.splitlines()) if ln.strip())
    line_no, first = next(rows, (header_line, ""))
    # a row with one value more than the header names, the last empty (an empty last cell under a header of
    # as many columns is a sensor without a reading there: _merge_sensor_clocks)
    width = len(header_text.split(","))
    comma = [(n, t) for n, t in ((header_line, header_text), (line_no, first)) if t.rstrip().endswith(",")
             and (n == header_line or len(t.split(",")) > width)]
    if comma:
        raise ValidationError(f"line {comma[0][0]} ends in a comma: an empty value after its last column (a "
                              "logger's trailing ',')", source=str(path),
                              allowed="one value per column on every line, without a trailing comma")


def _check_labels_cover(rec: Recording) -> None:
    """Refuse labels of which none holds a sample: times counted from the file's start where the time
    column counts from the logger's, said with both spans. (One segment past the last sample is kept, as
    anywhere: a crop leaves the end of a segment that began after the last sample it kept.)"""
    if not rec.labels or not len(rec):
        return
    t0, t1 = float(rec.timestamps[0]), float(rec.timestamps[-1])
    if all(s.end_s <= t0 or s.start_s > t1 for s in rec.labels):
        s = rec.labels[0]
        raise ValidationError(f"the labels span {s.start_s:g}–{rec.labels[-1].end_s:g} s, and the samples "
                              f"run {t0:.6g}–{t1:.6g} s: no label holds a sample",
                              allowed="label times on the time column's clock, e.g. "
                                      f'# {{"labels": [[{t0:.6g}, {t1:.6g}, "{s.label}"]]}}')


# ---------------------------------------------------------------------------------- Dataset
#: seconds between manifest writes while a writer adds many recordings (:meth:`Dataset.deferred_manifest`)
MANIFEST_EVERY_S = 2.0

@dataclass
class Dataset:
    """A folder of Recordings plus ``manifest.json``.

    The manifest lists every recording with its file, sample count, duration, rate, channels,
    profile, placement, subject and seconds per label, so a data set can be browsed with
    ``pandas.json_normalize(json.load(open("manifest.json"))["recordings"])`` without reading
    the recordings. Use :meth:`create` for a new folder and :func:`read_dataset` for an
    existing one.
    """

    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    #: a sharded Dataset (``imuforge generate``): one dict per shard file (file, sha256, recordings, samples);
    #: its entries then name the shard ``file`` and the recording's ``row_group`` in it
    shards: list[dict[str, Any]] = field(default_factory=list)
    #: (inode, mtime ns, size) of the manifest as this handle last read or wrote it: :meth:`add` re-reads
    #: it only when another handle has written it since
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)
    #: the shard files this handle has found to match the manifest's sha256 (each is hashed once)
    _verified: set[str] = field(default_factory=set, repr=False, compare=False)
    #: inside :meth:`deferred_manifest`: the seconds between manifest writes, and when it was last written
    _defer_s: float | None = field(default=None, repr=False, compare=False)
    _written_at: float = field(default=0.0, repr=False, compare=False)

    MANIFEST = "manifest.json"

    @classmethod
    def create(cls, path: str | os.PathLike, *, meta: dict[str, Any] | None = None, exist_ok: bool = False) -> Dataset:
        """Make a new, empty Dataset folder (or open an existing one with ``exist_ok``)."""
        path = Path(path)
        if (path / cls.MANIFEST).exists():
            if not exist_ok:
                raise OutputExistsError(f"{path} already holds a Dataset")
            return read_dataset(path)
        _check_json_meta(dict(meta or {}))  # before the folder is made: a failed create leaves nothing
        path.mkdir(parents=True, exist_ok=True)
        ds = cls(path=path, entries=[], meta=dict(meta or {}))
        ds._write_manifest()
        return ds

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Recording]:
        return self.recordings()

    def __getitem__(self, index: int) -> Recording:
        """``ds[i]``: :meth:`read` (``ds[-1]`` the last)."""
        return self.read(index)

    def __repr__(self) -> str:
        return f"<Dataset {self.path} | {len(self)} recordings, {self.total_duration_s:.1f} s>"

    @property
    def total_duration_s(self) -> float:
        return float(sum(e["duration_s"] for e in self.entries))

    @property
    def unlabelled_s(self) -> float:
        """Seconds of the recordings that no label covers. A label that runs to the last sample's time leaves
        that sample's period (a duration runs one period past the last sample): not counted, so a corpus of
        labelled motions reads none (it read "(unlabelled) 0.1 s" of six 5 s recordings)."""
        return float(sum(unlabelled_seconds(e["duration_s"], e["labels_s"], e["rate_hz"])
                         for e in self.entries))

    def add(self, recording: Recording, name: str | None = None) -> Path:
        """Save ``recording`` into the folder and list it in the manifest; returns its path.

        Several handles of one folder (processes or threads) may add at the same time: each addition locks the
        folder, takes in the entries the others listed since, names its recording and rewrites the manifest,
        so no entry is lost (where the folder cannot be locked, see :func:`_folder_lock`, only additions at
        the same moment can be).
        """
        if not isinstance(recording, Recording):  # (a path or a name given first: an AttributeError inside)
            raise ValidationError(f"Dataset.add takes a Recording, got {type(recording).__name__} "
                                  f"{shorten(recording)}",
                                  allowed="a Recording (read_recording(path) for a file)")
        if name is not None and not re.match(r"^[A-Za-z0-9_.-]+$", name.removesuffix(RECORDING_SUFFIX)):
            raise ValidationError(f"recording name {name!r} is not a safe file name", allowed="letters, digits, _ . -")
        with self._locked():
            if name is None:  # the first free number: a name given before may have taken len(entries)'s, and
                # another handle's deferred additions (:meth:`deferred_manifest`) are files not yet listed
                taken = {e["file"] for e in self.entries}
                name = next(f"rec{i:05d}" for i in itertools.count(len(self.entries))
                            if f"rec{i:05d}{RECORDING_SUFFIX}" not in taken
                            and not (self.path / f"rec{i:05d}{RECORDING_SUFFIX}").exists())
            fname = name.removesuffix(RECORDING_SUFFIX) + RECORDING_SUFFIX  # the file's name given: the same
            if any(e["file"] == fname for e in self.entries):
                raise OutputExistsError(f"{self.path / fname} is already in the dataset")
            recording.save(self.path / fname)
            self.entries.append(_manifest_entry(fname, recording))
            if self._defer_s is None or time.monotonic() - self._written_at >= self._defer_s:
                self._write_manifest()
                self._written_at = time.monotonic()
        return self.path / fname

    @contextlib.contextmanager
    def deferred_manifest(self, every_s: float = MANIFEST_EVERY_S) -> Iterator[Dataset]:
        """Within the block :meth:`add` rewrites the manifest at most every ``every_s`` seconds, and once
        at its end (also when the block raises): adding n recordings costs O(n) manifest entries written
        instead of O(n²) (10 000 additions spent minutes rewriting JSON). Meanwhile readers and other handles
        see the manifest of the last write (their own additions still take free names); a process killed
        inside the block leaves the recordings added since then unlisted — for writers that stage their
        output or remove it when they fail."""
        self._defer_s, self._written_at = float(every_s), time.monotonic()
        try:
            yield self
        except BaseException:
            self._defer_s = None
            with contextlib.suppress(OSError):  # as far as it can (a full disk): the first error is said
                with self._locked():
                    self._write_manifest()
            raise
        self._defer_s = None
        with self._locked():
            self._write_manifest()

    def update_meta(self, **items: Any) -> None:
        """Set keys of the Dataset's metadata and rewrite the manifest as :meth:`add` does (under the folder's
        lock, with what other handles listed since)."""
        _check_json_meta(items)
        with self._locked():
            self.meta.update(items)
            self._write_manifest()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The folder locked (:func:`_folder_lock`) and this handle brought up to date (:meth:`_refresh`)."""
        with _folder_lock(self.path):
            self._refresh()
            yield

    def _refresh(self) -> None:
        """Take in what another handle of this folder wrote to its manifest since this one last read or wrote
        it: the manifest's entries and shards, then those of this handle's own that it does not list; its
        metadata over this handle's (a key only this handle set is kept). Nothing when the manifest is this
        handle's own or absent."""
        now = _stamp(self.path / self.MANIFEST)
        if now is None or now == self._stamp:
            return
        disk = read_dataset(self.path)

        def merged(theirs: list[dict], ours: list[dict], key) -> list[dict]:
            listed = {key(e) for e in theirs}
            return theirs + [e for e in ours if key(e) not in listed]

        self.entries = merged(disk.entries, self.entries, lambda e: (e["file"], e.get("row_group")))
        self.shards = merged(disk.shards, self.shards, lambda e: e.get("file"))
        self.meta = {**self.meta, **disk.meta}
        self._stamp = now

    @classmethod
    def from_files(cls, folder: str | os.PathLike, files: Sequence[str | os.PathLike]) -> Dataset:
        """An in-memory Dataset over recording files below ``folder`` (a plain folder of captures):
        each file is read once for its manifest entry; nothing is written."""
        folder = Path(folder)
        entries = [_manifest_entry(Path(f).relative_to(folder).as_posix(), read_recording(f)) for f in files]
        return cls(path=folder, entries=entries, meta={})

    def recordings(self) -> Iterator[Recording]:
        """Read the recordings one at a time, in manifest order (a shard file is opened once for its run)."""
        shard: tuple[str, Any] | None = None
        for e in self.entries:
            if "row_group" not in e:
                yield self._as_listed(read_recording(self._listed(e["file"])), e)
                continue
            if shard is None or shard[0] != e["file"]:
                shard = (e["file"], self._verified_shard(e["file"]))
            yield _shard_recording(shard[1], int(e["row_group"]), self.path / e["file"], entry=e)

    def _listed(self, file: str) -> Path:
        """The path of a recording the manifest lists; one that is gone is the Dataset's fault, said so."""
        path = self.path / file
        if not path.exists():
            raise ValidationError(f"{file}, listed in the manifest, is missing", source=str(self.path),
                                  allowed="every recording the manifest lists present (restore the file, "
                                          "or re-create the Dataset; imuforge dataset info lists what is "
                                          "missing)")
        return path

    def read(self, index: int) -> Recording:
        """The recording of manifest entry ``index`` (negative: from the end)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not -len(self.entries) <= index < len(self.entries):
            raise ValidationError(f"no recording {index!r} in {self.path}: it holds {len(self.entries)}",
                                  allowed=f"an index 0 … {len(self.entries) - 1}" if self.entries else "none")
        e = self.entries[index]
        if "row_group" in e:
            path = self.path / e["file"]
            return _shard_recording(self._verified_shard(e["file"]), int(e["row_group"]), path, entry=e)
        return self._as_listed(read_recording(self._listed(e["file"])), e)

    def _as_listed(self, rec: Recording, entry: dict) -> Recording:
        """``rec`` if it is the recording its manifest entry lists — its samples, subject and seconds per
        label; a file replaced by another recording (a copy over it, of the same length too) is refused,
        rather than read as the entry's under its subject and labels."""
        held = {"samples": len(rec), "subject": rec.subject}
        differ = [k for k in held if held[k] != entry[k]]
        labels = rec.duration_per_label()
        if set(labels) != set(entry["labels_s"]) or any(
                abs(labels[k] - float(entry["labels_s"][k])) > 1e-3 for k in labels):  # a CSV's rounded times
            differ.append("labels_s")
        if differ:
            said = {"samples": f"{len(rec)} samples, the manifest says {entry['samples']}",
                    "subject": f"subject {rec.subject!r}, the manifest says {entry['subject']!r}",
                    "labels_s": "other seconds per label than the manifest's"}
            raise ValidationError(f"{entry['file']} holds {'; '.join(said[k] for k in differ)}: replaced by "
                                  "another recording?", source=str(self.path),
                                  allowed="the recordings the manifest lists, as written (re-create the "
                                          "Dataset)")
        return rec

    def _verified_shard(self, fname: str):
        """The opened shard ``fname``, once its bytes are found to be the ones the manifest lists (checked the
        first time this handle opens it; a shard the manifest gives no sha256 is not checked)."""
        path = self.path / fname
        if fname not in self._verified:
            problem = self._shard_sha_problem(fname)
            if problem is not None:
                raise ValidationError(problem, source=str(path), allowed=SHARD_REMEDY)
            self._verified.add(fname)
        return _open_shard(path)

    def _shard_sha_problem(self, fname: str) -> str | None:
        """Why shard ``fname``'s bytes are not the ones the manifest lists (None: they are, or it lists
        none)."""
        want = next((s.get("sha256") for s in self.shards if isinstance(s, dict) and s.get("file") == fname),
                    None)
        path = self.path / fname
        if not isinstance(want, str) or not path.is_file():
            return None  # a missing file is named where it is opened
        got = sha256_file(path)
        if got != want:
            return (f"sha256 {got[:12]}… differs from the manifest's {want[:12]}…: the shard changed or was "
                    "damaged since it was written")
        return None

    @property
    def sharded(self) -> bool:
        return bool(self.shards)

    def summary(self) -> dict[str, Any]:
        """Totals: recordings, duration, seconds per label, rates, and the profiles, placements and subjects
        the recordings name; ``without`` counts the recordings that name none (an imported set's profile)."""
        per_label: dict[str, float] = {}
        for e in self.entries:
            for k, v in e["labels_s"].items():
                per_label[k] = per_label.get(k, 0.0) + v
        keys = ("profile", "placement", "subject")
        return {
            "path": str(self.path),
            "path_resolved": str(Path(self.path).resolve()),
            "files": sorted({str(e["file"]) for e in self.entries}),
            "recordings": len(self.entries),
            "duration_s": self.total_duration_s,
            "duration_per_label_s": dict(sorted(per_label.items())),
            "unlabelled_s": self.unlabelled_s,
            "rates_hz": sorted({e["rate_hz"] for e in self.entries}),
            "rates_hz_per_label": {lab: sorted({e["rate_hz"] for e in self.entries if lab in e["labels_s"]})
                                   for lab in sorted(per_label)},
            **{f"{k}s": sorted({str(e[k]) for e in self.entries if e.get(k) is not None}) for k in keys},
            "without": {k: sum(e.get(k) is None for e in self.entries) for k in keys},
        }

    def check_files(self) -> list[FileProblem]:
        """Every manifest entry whose recording is missing or unreadable (an empty list: all good).

        Reads each Parquet recording's footer (schema, row count and imuforge metadata), not its samples; a
        shard of a corpus is read whole once, for its sha256 against the manifest's (≈ 2 ms per MB), and a CSV
        entry is read in full.
        """
        problems: list[FileProblem] = []
        cache: dict[Path, Any] = {}
        whole: dict[str, int] = {}  # a damaged shard file: its index in problems (named once)
        for i, e in enumerate(self.entries):
            fname = e.get("file") if isinstance(e, dict) else None
            if not isinstance(fname, str) or not fname:
                problems.append(FileProblem(f"entry {i}", "manifest entry has no file name"))
                continue
            if "row_group" in e and self.path / fname not in cache:  # a shard's bytes, checked once
                sha = self._shard_sha_problem(fname)
                if sha is not None:
                    cache[self.path / fname] = sha
            why = (_shard_entry_problem(self.path / fname, e, cache) if "row_group" in e
                   else _recording_file_problem(self.path / fname, e))
            if why is None:
                continue
            if "row_group" in e and isinstance(cache.get(self.path / fname), str):  # the shard file itself
                if fname in whole:
                    p = problems[whole[fname]]
                    problems[whole[fname]] = FileProblem(p.file, p.problem, p.recordings + 1)
                    continue
                whole[fname] = len(problems)
            problems.append(FileProblem(fname, why))
        return problems

    def _write_manifest(self) -> None:
        doc = {"format": DATASET_FORMAT, "version": FORMAT_VERSION, "meta": self.meta, "recordings": self.entries}
        if self.shards:
            doc["shards"] = self.shards
        tmp = self.path / (self.MANIFEST + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        os.replace(tmp, self.path / self.MANIFEST)
        self._stamp = _stamp(self.path / self.MANIFEST)


def _check_json_meta(meta: dict[str, Any]) -> None:
    """Refuse Dataset metadata that the manifest cannot hold, in one line, before anything is written."""
    try:
        json.dumps(meta)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"Dataset meta is not JSON ({exc})",
                              allowed="numbers, strings, lists and dicts of them") from None


def _stamp(manifest: Path) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size) of a manifest file (each write replaces the file), None without one."""
    try:
        st = manifest.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock (``flock``) on a Dataset folder itself, held for one manifest update: no
    lock file is left behind. Where it cannot be taken (no ``fcntl`` on Windows; a file system without
    ``flock`` on directories, such as some NFS mounts) the update goes ahead unlocked, as one handle's always
    may: only handles that add at the same moment can then miss each other's entries."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):  # not on POSIX, or the folder cannot be opened: unlocked
        yield
        return
    try:
        with contextlib.suppress(OSError):  # EBADF / ENOLCK / EOPNOTSUPP: unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@dataclass(frozen=True)
class FileProblem:
    """A Dataset file that is missing or cannot be read, and why."""

    file: str
    problem: str
    #: how many of the manifest's recordings the problem makes unusable (a damaged shard: all it holds)
    recordings: int = 1

    def __str__(self) -> str:
        more = f"; {self.recordings} recordings" if self.recordings > 1 else ""
        return f"{self.file} ({self.problem}{more})"


#: manifest keys every entry needs (written by :meth:`Dataset.add`)
MANIFEST_ENTRY_KEYS = ("samples", "duration_s", "rate_hz", "labels_s", "profile", "placement", "subject")


def _recording_file_problem(path: Path, entry: dict[str, Any]) -> str | None:
    """Why the recording at ``path`` listed as ``entry`` is unusable, or None."""
    lacking = [k for k in MANIFEST_ENTRY_KEYS if k not in entry]
    if lacking:
        return f"manifest entry lacks {', '.join(lacking)}"
    if not path.is_file():
        return "missing"
    if path.suffix.lower() == ".csv":
        try:
            read_csv(path)
        except (ValidationError, OSError) as exc:
            return f"unreadable: {exc}"
        return None
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        return f"not a readable Parquet file: {str(exc).splitlines()[0][:120]}"
    if b"imuforge" not in (meta.metadata or {}):
        return "no imuforge metadata (not written by Recording.save)"
    if meta.num_rows != entry["samples"]:
        return f"holds {meta.num_rows} samples, the manifest says {entry['samples']}"
    return None


def _manifest_entry(fname: str, rec: Recording) -> dict[str, Any]:
    return {
        "file": fname,
        "samples": len(rec),
        "duration_s": rec.duration_s,
        "rate_hz": rec.rate_hz,
        "channels": list(rec.channels),
        "profile": rec.profile,
        "placement": rec.placement,
        "subject": rec.subject,
        "labels_s": rec.duration_per_label(),
        "gaps": len(rec.gaps()),
    }


def read_dataset(path: str | os.PathLike) -> Dataset:
    """Open a Dataset folder (it must hold ``manifest.json``)."""
    path = Path(path)
    manifest = path / Dataset.MANIFEST
    if not manifest.exists():
        raise ValidationError(f"{path} is not a Dataset: no {Dataset.MANIFEST}",
                              allowed="a folder made by Dataset.create / imuforge commands")
    try:
        doc = json.loads(manifest.read_text())
    except json.JSONDecodeError as exc:
        raise ValidationError(f"corrupt manifest: {exc}", source=str(manifest),
                              allowed="the JSON manifest imuforge writes (re-create the Dataset)") from exc
    _check_format(doc, DATASET_FORMAT, manifest)
    _check_manifest(doc, manifest)
    return Dataset(path=path, entries=list(doc.get("recordings", [])), meta=dict(doc.get("meta", {})),
                   shards=list(doc.get("shards", [])), _stamp=_stamp(manifest))


#: a sha-256 digest as the manifests and run folders record it: 64 lowercase hex digits
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _check_manifest(doc: dict, manifest: Path) -> None:
    """Refuse a manifest whose shape is not the one :meth:`Dataset._write_manifest` writes (one line)."""
    def bad(why: str):
        return ValidationError(f"corrupt manifest: {why}", source=str(manifest),
                               allowed='{"recordings": [{"file": NAME, "samples": …, …}, …], "meta": {…}} as '
                               "imuforge writes it (re-create the Dataset)")

    if "recordings" not in doc:
        raise bad("it lists no 'recordings'")
    for key, kind in (("recordings", list), ("meta", dict), ("shards", list)):
        if key in doc and not isinstance(doc[key], kind):
            want = "a list" if kind is list else "an object"
            raise bad(f"{key!r} is a JSON {type(doc[key]).__name__}, not {want}")
    listed: set[tuple] = set()
    for i, e in enumerate(doc.get("recordings", [])):
        if not isinstance(e, dict):
            raise bad(f"recordings entry {i} is a JSON {type(e).__name__}, not an object")
        if not isinstance(e.get("file"), str) or not e["file"]:
            raise bad(f"recordings entry {i} has no file name ('file')")
        if Path(e["file"]).is_absolute() or ".." in Path(e["file"]).parts or "\\" in e["file"]:
            raise bad(f"recordings entry {i} names {e['file']!r}, a file outside the Dataset's folder")
        key = (e["file"], e.get("row_group"))
        if key in listed:
            raise bad(f"recordings entry {i} lists {e['file']}" + (f" row group {e['row_group']}" if
                                                                 e.get("row_group") is not None else "")
                      + " a second time")
        listed.add(key)
        lacking = [k for k in MANIFEST_ENTRY_KEYS if k not in e]
        if lacking:
            raise bad(f"recordings entry {i} ({e['file']}) lacks {', '.join(lacking)}")
        if "row_group" in e and (isinstance(e["row_group"], bool) or not isinstance(e["row_group"], int)):
            raise bad(f"recordings entry {i} ({e['file']}) has a row_group that is not a whole number")
        wrong = _entry_type_problem(e)
        if wrong:
            raise bad(f"recordings entry {i} ({e['file']}): {wrong}")
    # a shard's bytes are checked against the sha-256 the manifest lists: one it lists is a sha-256 (a
    # manifest written before they were kept lists none, and its recordings are checked by name and length)
    for sh in doc.get("shards", []):
        sha = sh.get("sha256") if isinstance(sh, dict) else None
        if sha is not None and not (isinstance(sha, str) and SHA256_HEX.fullmatch(sha)):
            raise bad(f"shard {sh.get('file')}'s sha256 {json.dumps(sha)[:40]} is not a sha-256 in hex")


def _entry_type_problem(e: dict) -> str | None:
    """Which field of a manifest entry has a type :meth:`Dataset._write_manifest` never writes, or None."""
    def number(x) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if isinstance(e["samples"], bool) or not isinstance(e["samples"], int) or e["samples"] < 0:
        return f"samples {e['samples']!r} is not a whole number ≥ 0"
    for key in ("duration_s", "rate_hz"):
        if not number(e[key]) or e[key] < 0:
            return f"{key} {e[key]!r} is not a number ≥ 0"
    labels = e["labels_s"]
    if not isinstance(labels, dict) or not all(isinstance(k, str) and number(v) for k, v in labels.items()):
        return f"labels_s {labels!r} is not an object of label → seconds"
    for key in ("profile", "placement", "subject"):
        if e[key] is not None and not isinstance(e[key], str):
            return f"{key} {e[key]!r} is not a name (or null)"
    return None


def find_datasets(root: str | os.PathLike) -> list[Dataset]:
    """Every Dataset in ``root`` itself or in folders below it (searched recursively)."""
    root = Path(root)
    if (root / Dataset.MANIFEST).exists():
        return [read_dataset(root)]
    found = [read_dataset(p.parent) for p in sorted(root.rglob(Dataset.MANIFEST))]
    if not found:
        raise ValidationError(f"no Dataset found in {root}", allowed="a folder with manifest.json, or folders of them")
    return found


# ---------------------------------------------------------------------------------- shards
SHARD_FORMAT = "imuforge-shard"


def shard_bytes(recordings: Sequence[tuple[str, Recording]]) -> bytes:
    """Many Recordings as one Parquet file (a shard of a corpus), one row group per recording.

    Columns: ``recording`` (its name), ``time`` (s) and the union of the recordings' channels in SI
    units (null where a recording lacks a channel). The schema metadata ``imuforge`` holds
    ``{"format": "imuforge-shard", "version": 1, "recordings": [each Recording's metadata + "name"]}``,
    in row-group order. ``pandas.read_parquet`` reads it whole; the same recordings give the same bytes.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not recordings:
        raise ValidationError("a shard needs at least one recording")
    names = [str(n) for n, _ in recordings]
    if len(set(names)) != len(names):
        raise ValidationError("recording names in a shard must be unique")
    if any(len(r) == 0 for _, r in recordings):
        raise ValidationError("a shard cannot hold an empty recording")
    chans = [c for c in KNOWN_CHANNELS if any(c in r.channels for _, r in recordings)]
    metas = [dict(r.metadata(), name=n) for n, (_, r) in zip(names, recordings)]
    fields = [pa.field("recording", pa.string(), nullable=False),
              pa.field("time", pa.float64(), nullable=False, metadata={"unit": "s"})]
    fields += [pa.field(c, pa.float64(), nullable=True, metadata={"unit": channel_unit(c)}) for c in chans]
    meta = {"format": SHARD_FORMAT, "version": FORMAT_VERSION, "recordings": metas}
    schema = pa.schema(fields, metadata={"imuforge": json.dumps(meta)})
    sink = pa.BufferOutputStream()
    # dictionary encoding only for the name: sensor floats rarely repeat, and trying a dictionary on them
    # made the shard larger (+13 %) and its writing slower (1.5x) than plain zstd pages
    with pq.ParquetWriter(sink, schema, compression="zstd", use_dictionary=["recording"]) as writer:
        for name, rec in recordings:
            n = len(rec)
            cols = [pa.repeat(pa.scalar(name, pa.string()), n), pa.array(rec.timestamps)]
            cols += [pa.array(rec.data[:, rec.channels.index(c)]) if c in rec.channels else pa.nulls(n, pa.float64())
                     for c in chans]
            writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=n)
    return sink.getvalue().to_pybytes()


def sha256_file(path: Path) -> str:
    """The sha256 (hex) of a file's bytes, read in 1 MiB blocks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: the folder a corpus keeps its progress in until ``imuforge generate`` has made every shard and written the
#: manifest (``synth.corpus``): a folder holding it and no manifest is an unfinished corpus
UNFINISHED_CORPUS = ".progress"
#: what to do about a shard that is not the one its manifest lists
SHARD_REMEDY = ("the corpus as imuforge generate wrote it: run the same generate command again (it remakes a "
                "shard whose sha256 differs from the manifest's), or restore the file")


def _open_shard(path: Path):
    """(ParquetFile, shard metadata) of a shard file, or a ValidationError naming it."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise FileNotFoundError(f"no such shard: {path}")
    try:
        pf = pq.ParquetFile(path)
        meta = json.loads((pf.schema_arrow.metadata or {})[b"imuforge"])
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        raise ValidationError(f"not a readable shard ({str(exc).splitlines()[0][:120]})", source=str(path),
                              allowed="shard files written by imuforge generate") from None
    _check_format(meta, SHARD_FORMAT, path)
    return pf, meta


def _shard_recording(shard, index: int, path: Path, entry: dict[str, Any] | None = None) -> Recording:
    """Recording ``index`` (its row group) of an opened shard; with the manifest ``entry`` that places it
    there, refused unless the shard holds that recording there (its name and sample count): a shard file
    swapped for another, or one of another corpus, would otherwise train on the wrong recordings without a
    word."""
    pf, meta = shard
    if not 0 <= index < len(meta["recordings"]) or index >= pf.num_row_groups:
        raise ValidationError(f"shard has no recording {index}", source=str(path),
                              allowed=f"0 … {min(len(meta['recordings']), pf.num_row_groups) - 1}")
    m = meta["recordings"][index]
    if entry is not None:
        held = (m.get("name"), pf.metadata.row_group(index).num_rows)
        listed = (entry.get("name", held[0]), entry.get("samples"))
        if held != listed:
            raise ValidationError(f"recording {index} is {held[0]!r} with {held[1]} samples, the "
                                  f"manifest places {listed[0]!r} with {listed[1]} there: not the shard the "
                                  "manifest was written with", source=str(path),
                                  allowed="the corpus as imuforge generate wrote it (restore the shard, or "
                                  "run generate again with --overwrite); imuforge dataset info lists every "
                                  "mismatch")
    try:
        table = pf.read_row_group(index, columns=["time", *m["channels"]])
    except MemoryError:
        raise
    except Exception as exc:  # pyarrow raises several types (thrift, decompression) for damaged pages
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise ValidationError(f"recording {index} is unreadable ({first}): the shard is damaged",
                              source=str(path), allowed=SHARD_REMEDY) from None
    ts = table.column("time").to_numpy()
    data = np.column_stack([table.column(c).to_numpy() for c in m["channels"]])
    try:
        return Recording(ts, data, m["channels"], m["rate_hz"], profile=m.get("profile"),
                         placement=m.get("placement"), labels=m.get("labels", ()), subject=m.get("subject"),
                         provenance=m.get("provenance"))
    except ValidationError as exc:
        raise ValidationError(f"recording {index}: {exc.what}", source=str(path), allowed=exc.allowed) from None


def read_shard(path: str | os.PathLike) -> Iterator[tuple[str, Recording]]:
    """``(name, Recording)`` of every recording in a shard file, in order."""
    path = Path(path)
    shard = _open_shard(path)
    for i, m in enumerate(shard[1]["recordings"]):
        yield m["name"], _shard_recording(shard, i, path)


def _shard_entry_problem(path: Path, entry: dict[str, Any], cache: dict) -> str | None:
    """Why the recording a manifest entry places in a shard is unusable, or None (footers only)."""
    lacking = [k for k in MANIFEST_ENTRY_KEYS if k not in entry]
    if lacking:
        return f"manifest entry lacks {', '.join(lacking)}"
    if path not in cache:
        try:
            cache[path] = _open_shard(path)[0].metadata
        except FileNotFoundError:
            cache[path] = "missing"
        except ValidationError as exc:
            cache[path] = exc.what
    meta = cache[path]
    if isinstance(meta, str):
        return meta
    k = int(entry["row_group"])
    if not 0 <= k < meta.num_row_groups:
        return f"shard has {meta.num_row_groups} recordings, the manifest names recording {k}"
    if meta.row_group(k).num_rows != entry["samples"]:
        return f"recording {k} holds {meta.row_group(k).num_rows} samples, the manifest says {entry['samples']}"
    return None
