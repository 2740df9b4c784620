"""The output range a capture shows: where its sensors saturate, and synthetic data clipped to it.

A MEMS accelerometer or gyroscope clips at its full scale: beyond ±FS every sample reads ±FS. Many
real devices run at a small range (phones of the UCI-HAR era at ±2 g; phone and watch gyroscopes at
±500 °/s), so in running, jumps and stair descent the capture is flat-topped — and a model trained on
synthetic data of a wider-ranged profile learns peaks the device never reports. The range is a fact
of the device, not of the activity, so a capture that shows it decides it for every class.

**Detection** (:func:`detect_full_scale`), per sensor group (``acc``, ``gyro``) and per axis and sign:
the extreme value ``m``; the samples *at* it (within :data:`TIE_REL` of ``|m|``: a clipped sample
reads the same code every time) and *near* it (in the band :data:`NEAR_REL` of ``|m|`` below, or three
times the gap from ``m`` to the next value seen when that is wider — three codes of a coarse LSB). A
signal that clips piles up at its extreme; one that does not thins out towards it (its largest value is
seen once, or a few times on a coarse LSB, always fewer than the band below it holds). An axis-sign is
*piled up* when at least :data:`MIN_AT` samples sit at the extreme, in at least :data:`MIN_AT` separate
runs (each step of a run clips anew; a slow signal logged at a faster rate repeats one sample in one
run), and at least as many as in the band below it. The group's full scale is the median ``|m|`` of its
piled-up axis-signs, kept only when

* they agree within :data:`AGREE_REL` (a chip's range is symmetric and the same on every axis; offsets of
  a per-axis calibration applied after the clip move each extreme a little),
* no value of the group lies beyond it by more than that (a range clips every axis), and
* it is at least :data:`MIN_FULL_SCALE` (no accelerometer or gyroscope range is smaller: a still capture
  whose reading sits on one code, or a few, must not read as a device that saturates at 1 g or 0.1 °/s).

**Clipping** (:func:`clip_to_full_scale`): every axis of the group to ±FS, the device's own output
stage applied to synthetic data that were made (or mapped) without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from imuforge.recording import Recording
from imuforge.units import DEG, STANDARD_GRAVITY

#: samples within this share of |extreme| count as *at* the extreme (the same clipped code)
TIE_REL = 1e-4
#: the band below the extreme a pile-up is compared with (share of |extreme|)
NEAR_REL = 0.01
#: fewest samples at an extreme that can show a pile-up
MIN_AT = 3
#: piled-up extremes of one group further apart than this (relative) decide no full scale
AGREE_REL = 0.02
#: the smallest full scale taken for a saturation (SI): below the smallest ranges chips offer (±2 g, ±125 °/s;
#: every chip file of the project), so a still capture's few codes are never one
MIN_FULL_SCALE = {"acc": 1.5 * STANDARD_GRAVITY, "gyro": 100.0 * DEG}
#: the groups a range is looked for in, and the unit each is reported in: (name, SI per unit)
GROUPS = {"acc": ("g", STANDARD_GRAVITY), "gyro": ("°/s", DEG)}


@dataclass(frozen=True)
class FullScale:
    """One sensor group's full scale as a capture shows it.

    ``value`` in SI (m/s² for ``acc``, rad/s for ``gyro``); ``piled`` the axis-signs piled up at it
    (``"+x"``, ``"-z"``, …); ``samples`` the capture's samples at the range on those axis-signs.
    """

    group: str
    value: float
    piled: tuple[str, ...]
    samples: int

    @property
    def in_unit(self) -> tuple[float, str]:
        """The full scale in the group's usual unit (g, °/s)."""
        unit, si = GROUPS[self.group]
        return self.value / si, unit

    def describe(self) -> str:
        v, unit = self.in_unit
        si = "m/s²" if self.group == "acc" else "rad/s"
        return (f"{'accelerometer' if self.group == 'acc' else 'gyroscope'} at ±{self.value:.4g} {si} "
                f"({v:.3g} {unit}; {self.samples} samples on {', '.join(self.piled)})")

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "value": self.value, "piled": list(self.piled), "samples": self.samples}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FullScale:
        return cls(str(d["group"]), float(d["value"]), tuple(d["piled"]), int(d["samples"]))


def _group_columns(rec: Recording, group: str) -> list[int] | None:
    cols = [f"{group}_{a}" for a in "xyz"]
    if not all(c in rec.channels for c in cols):
        return None
    return [rec.channels.index(c) for c in cols]


def _piled(x: np.ndarray) -> tuple[float, int] | None:
    """(|extreme|, samples at it) of one axis-sign's values when they pile up at their extreme, else None."""
    x = x[np.isfinite(x)]
    if x.size < MIN_AT:
        return None
    m = float(x.max())
    if m <= 0:
        return None
    tied = x >= m * (1 - TIE_REL)
    at = int(np.count_nonzero(tied))
    runs = int(np.count_nonzero(np.diff(tied.astype(np.int8)) == 1)) + int(tied[0])
    below = x[~tied]
    if at < MIN_AT or runs < MIN_AT:
        return None
    if not below.size:
        return m, at
    # the band below: NEAR_REL of |m|, and at least three codes of a coarse LSB (the gap to the next value)
    width = max(NEAR_REL * m, 3.0 * (m - float(below.max())))
    near = int(np.count_nonzero(below >= m - width))
    return (m, at) if at >= near else None


def detect_full_scale(recordings: Recording | Sequence[Recording], group: str) -> FullScale | None:
    """The full scale the recordings' ``group`` ("acc" or "gyro") saturates at, or None (see the module
    docstring); the recordings are pooled, recordings without the group's three channels are skipped."""
    recs = [recordings] if isinstance(recordings, Recording) else list(recordings)
    parts = [block for r in recs if (block := r.group(group)) is not None and len(r)]
    if not parts:
        return None
    data = np.concatenate(parts)
    found: list[tuple[str, float, int]] = []
    for i, axis in enumerate("xyz"):
        for sign, name in ((1.0, "+"), (-1.0, "-")):
            hit = _piled(sign * data[:, i])
            if hit is not None:
                found.append((name + axis, *hit))
    if not found:
        return None
    values = np.array([v for _, v, _ in found])
    fs = float(np.median(values))
    beyond = float(np.nanmax(np.abs(data))) > fs * (1 + AGREE_REL)
    if np.any(np.abs(values - fs) > AGREE_REL * fs) or beyond or fs < MIN_FULL_SCALE[group]:
        return None
    return FullScale(group, fs, tuple(n for n, _, _ in found), int(sum(c for _, _, c in found)))


def clip_to_full_scale(recordings: Sequence[Recording], scales: Sequence[FullScale]
                       ) -> tuple[list[Recording], dict[str, float]]:
    """The recordings with each scale's group clipped to ±its value, and the share of each group's values
    that were beyond it — for the groups the recordings hold (a group none of them has is left out)."""
    beyond = {s.group: 0 for s in scales}
    total = {s.group: 0 for s in scales}
    out = []
    for rec in recordings:
        data = None
        for s in scales:
            cols = _group_columns(rec, s.group)
            if cols is None:
                continue
            if data is None:
                data = np.array(rec.data, dtype=float)
            block = data[:, cols]
            beyond[s.group] += int(np.count_nonzero(np.abs(block) > s.value))
            total[s.group] += block.size
            data[:, cols] = np.clip(block, -s.value, s.value)
        out.append(rec if data is None else rec.replace(data=data))
    return out, {g: beyond[g] / total[g] for g in beyond if total[g]}


def capture_full_scales(recordings: Sequence[Recording]) -> list[FullScale]:
    """Every group's full scale the recordings show (groups that do not saturate are left out)."""
    return [s for g in GROUPS if (s := detect_full_scale(recordings, g)) is not None]


__all__ = ["MIN_FULL_SCALE", "FullScale", "capture_full_scales", "clip_to_full_scale", "detect_full_scale"]
