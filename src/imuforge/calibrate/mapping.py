"""Distribution mapping: per-channel quantile mapping of synthetic values onto real ones.

As in IMUGPT (Leng et al.), each channel's synthetic values are pushed through the monotone map
that sends the synthetic percentiles onto the real percentiles (101 points, 0 … 100 %, linearly
interpolated in between), so the marginal distribution of every channel matches the capture's.
``global`` fits one map per channel on the pooled data of the classes it may see; ``per-class``
one per channel and label (the capture must be labelled).

Class coverage: a map only ever applies to data of the classes it was fitted on. With a labelled
capture, ``global`` is fitted on the synthetic and real samples of the *shared* classes only and
applied to synthetic samples of those classes; ``per-class`` maps each shared class with its own
map. Synthetic samples of any other class (absent from the capture, too few samples, or
unlabelled) pass through unchanged (identity), and :attr:`QuantileMap.notes` says which. A
``global`` map from an *unlabelled* capture is refused when the synthetic data hold more than one
class: nothing says which class the capture shows, and mapping, say, walking onto a still
capture would squash its variance to sensor noise (label the capture, e.g. ``imuforge capture
--label standing``, or calibrate one class at a time).

Beyond the outermost percentiles the map continues with the slope of its outer 10 % (``tails =
"linear"``) instead of clipping, so synthetic extremes are not flattened onto the real maximum;
``tails = "clip"`` gives IMUGPT's ``np.interp`` behaviour.

A still class whose capture recordings were worn or biased differently (two sessions, the phone put back
another way) sits apart in modes narrower than their distance: with the ``people`` source such a channel's
target is each recording about its own median, as the synthetic people are taken
(:func:`_target_quantiles`), placed at the longest recording's median; pooled, every still synthetic person
mapped onto the modes jumped between them sample by sample (session 51). So does a still stretch that turns
within one recording — lying rolled from the back onto the stomach, an arm put down another way: each posture
it holds counts as a recording of its own (:func:`posture_parts`), and the change between two is no posture
of the class (session 67).

How much of a map is applied (``strength``): a capture is one person, and part of how it differs from
the typical synthetic person is that person's own way of moving, which a map would teach the model as
the class. ``evidence`` (the default) applies, per class and channel, a positive-part James–Stein share of
the map: with ``r = d² / s²`` — ``d²`` the capture's mean square distance from the typical synthetic person
over the percentiles, ``s²`` a synthetic person's — the larger of the channel's own ``1 − 1 / r`` and the
whole capture's ``1 − (p − 2) / Σ r`` over its ``p`` class channels (:func:`evidence_strength`). A capture
that lies within the people's spread leaves them as they are; one far outside it (the generator's
difference from the real device and people) is mapped in full; ``full`` always maps in full (IMUGPT's).

Gravity is turned, not mapped axis by axis: each synthetic person's mean specific force of a class (the
per-axis median, in the typical wearer's wear) is rotated — by the one turn that takes the typical person's
onto its mapped image, with the ``people`` source — and keeps its length, scaled only by how much longer the
capture's is than the people's (:attr:`QuantileMap.gravity`); the motion about it is mapped per channel.
Mapped axis by axis, a person holding the device another way than the typical person came out with a
gravity of 8 or 12 m/s² (:meth:`QuantileMap._hold_gravity`).

What it cannot fix (see docs/CALIBRATION.md): it is a per-sample, per-channel monotone map, so
it changes neither the temporal structure (spectrum, cadence, the shape of a stride) nor the
relation between channels (orientation, acc–gyro coupling) — those are the profile fit's and the
alignment's jobs. It also maps a class mix: fitted globally on a capture whose class proportions
differ from the synthetic set's, it distorts every class (``per-class`` avoids that). Its percentiles are estimates: with n
real samples the p-th percentile has standard error √(p(1−p)/n)/density, so tails need hundreds
of samples per class and channel.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imuforge.calibrate.align import person_turn, rotate_vectors, rotation_between, typical_wear_data
from imuforge.calibrate.realism import STILL
from imuforge.errors import ValidationError
from imuforge.recording import Recording, mean_force_lengths
from imuforge.units import STANDARD_GRAVITY as G0

MODES = ("none", "global", "per-class", "magnitude")
PERCENTILES = np.linspace(0.0, 100.0, 101)
GLOBAL = "(global)"
#: where a map's synthetic quantiles come from (:func:`_source_quantiles`)
SOURCES = ("pooled", "people")
#: the source a map starts from unless told: the typical synthetic person's, each person keeping their
#: offset from it — a model trained on the result still meets people unlike the captured one. On the
#: visible sets it scores within 0.05 of the pooled source, either way (docs/CALIBRATION.md §5); the one
#: of them that tests on other people (BasicMotions' archive split) scores 0.985 either way.
DEFAULT_SOURCE = "people"
#: how much of a map is applied (:func:`evidence_strength`): ``full`` maps the typical synthetic person
#: onto the capture; ``evidence`` applies, per class and channel, the share of the difference that lies
#: beyond how far one synthetic person is from the typical one
STRENGTHS = ("full", "evidence")
#: the strength unless told: with the generator's own people standing in for the real ones (the
#: capture one of them, the others tested; benchmarks/bench_synthetic_loop.py) ``full`` maps cost a wrist
#: model much of what it scores uncalibrated, and ``evidence`` keeps it (docs/CALIBRATION.md §5)
DEFAULT_STRENGTH = "evidence"


#: The orientation-free quantities ``magnitude`` maps: |specific force − gravity| and |angular rate|.
MAGNITUDES = ("acc_dynamic_norm", "gyro_norm")


def _vector_parts(rec: Recording) -> dict[str, tuple[list[int], np.ndarray | float, np.ndarray]]:
    """For each of :data:`MAGNITUDES` the recording has: (its three columns, the part kept, the vector mapped).

    Acceleration: the gravity estimate of :func:`~imuforge.calibrate.gravity.gravity_in_sensor_frame`
    is kept and the remainder (linear acceleration) rescaled; rate: the whole vector is rescaled.
    Rescaling a vector by a function of its length leaves its direction — and so the way the wearer
    holds the device — untouched.
    """
    from imuforge.calibrate.gravity import gravity_in_sensor_frame

    parts: dict[str, tuple[list[int], np.ndarray | float, np.ndarray]] = {}
    cols = {g: [f"{g}_{a}" for a in "xyz"] for g in ("acc", "gyro")}
    have = {g: all(c in rec.channels for c in cs) for g, cs in cols.items()}
    if have["acc"]:
        acc = rec.acc
        g = (gravity_in_sensor_frame(acc, rec.gyro, rec.rate_hz) if len(rec) >= 8
             else np.broadcast_to(acc.mean(axis=0), acc.shape))
        parts["acc_dynamic_norm"] = ([rec.channels.index(c) for c in cols["acc"]], g, acc - g)
    if have["gyro"]:
        parts["gyro_norm"] = ([rec.channels.index(c) for c in cols["gyro"]], 0.0, rec.gyro)
    return parts


def _strictly_increasing(xp: np.ndarray, fp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Collapse repeated source quantiles (quantised or clipped data) to one point (mean target)."""
    u, inv = np.unique(xp, return_inverse=True)
    if u.size == xp.size:
        return xp, fp
    f = np.bincount(inv, weights=fp) / np.bincount(inv)
    return u, f


# ------------------------------------------------------------------------------------ fitting steps
def _mapped_channels(synthetic, real, mode: str, channels) -> tuple[str, ...]:
    """The channels (or, for ``magnitude``, the :data:`MAGNITUDES`) both sides have."""
    if mode == "magnitude":
        channels = tuple(f for f in MAGNITUDES
                         if all({f"{f.split('_')[0]}_{a}" for a in "xyz"} <= set(r.channels) for r in synthetic + real))
    elif channels is None:
        common = set.intersection(*(set(r.channels) for r in synthetic + real))
        channels = tuple(c for c in real[0].channels if c in common)
    if not channels:
        raise ValidationError("synthetic and real recordings share no channel" if mode != "magnitude" else
                              "magnitude mapping needs acc or gyro channels (x, y, z) on both sides")
    return tuple(channels)


def _values(recs, channels, mode: str, nominal: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled values (n, channels), labels (n,) and recording index (n,) of ``recs``; ``nominal``: each
    person's readings turned back to the typical wearer's wear (:func:`person_turn`)."""
    if mode == "magnitude":
        X = np.concatenate([np.column_stack([np.linalg.norm(_vector_parts(r)[f][2], axis=1) for f in channels])
                            for r in recs])
    else:
        cols = [[r.channels.index(c) for c in channels] for r in recs]
        X = np.concatenate([(typical_wear_data(r) if nominal else r.data)[:, i] for r, i in zip(recs, cols)])
    which = np.repeat(np.arange(len(recs)), [len(r) for r in recs])
    return X, np.concatenate([r.label_array() for r in recs]), which


def _recordings(X: np.ndarray, which: np.ndarray, min_samples: int) -> list[np.ndarray]:
    """The samples of each recording (``which``) that holds ``min_samples`` or more of ``X``'s, in order."""
    _, inv, counts = np.unique(which, return_inverse=True, return_counts=True)
    return [X[inv == k] for k in np.flatnonzero(counts >= min_samples)]


def _source_quantiles(X: np.ndarray, which: np.ndarray, pct: np.ndarray, source: str,
                      min_samples: int) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Synthetic quantiles a map starts from, the typical synthetic recording's centre (``None``: pooled)
    and how many recordings they describe (1 for pooled).

    ``pooled``: the percentiles of all synthetic samples together. ``people``: the samples of every
    synthetic recording (≥ ``min_samples`` of them; one person doing the class) centred on their own
    median, pooled, and placed at the recordings' mean median — the spread *within* people, around a
    typical person. A capture is one person: mapping the pooled crowd onto it also squeezes the offsets
    between the synthetic people (how their arm hangs, how the device sits, how hard they land) into
    that one person's range, so a model trained on the mapped data meets other people's offsets for
    the first time at test. The ``people`` map sends the typical person onto the capture, maps each
    person's own variation about their median, and keeps their offset from the typical person
    unscaled (:meth:`ChannelMap.__call__` with ``center`` centres what it is given the same way: one
    recording's samples of the map's classes, as :meth:`QuantileMap.apply` passes them). (Averaging the
    people's quantile functions instead — the 1-D Wasserstein barycentre — narrows the map's domain to
    the typical person, and a broad person's tails then run out along its steep outer slope: tried, 37
    m/s² sd.) Falls back to ``pooled`` below two such recordings.
    """
    parts = _recordings(X, which, min_samples) if source == "people" else []
    if len(parts) >= 2:
        meds = np.array([np.nanmedian(g, axis=0) for g in parts])  # one median per recording
        centred = np.concatenate([g - m for g, m in zip(parts, meds)])
        center = meds.mean(axis=0)
        return np.nanpercentile(centred, pct, axis=0) + center, center, len(parts)
    return np.percentile(X, pct, axis=0), None, 1


def _target_quantiles(X: np.ndarray, which: np.ndarray, pct: np.ndarray, source: str,
                      min_samples: int) -> np.ndarray:
    """The quantiles of a still class's capture a map goes to (a moving class's are its samples pooled,
    IMUGPT's): pooled too — but with the ``people`` source, on a channel where the capture's recordings of the
    class (``which``: recordings, or each posture of one, :func:`posture_parts`) sit apart by more than each
    one spreads, each recording about its own median (as
    :func:`_source_quantiles` takes the people), placed at the median of the longest one.

    Two recordings worn or biased differently (two sessions, a phone put back another way) pooled make two
    modes, and a synthetic person mapped onto both jumped between them sample by sample: a still class whose
    spread is sensor noise came out moving (session 51: lying's dynamic acceleration 5× the capture's). "Apart
    by more than each spreads" is the SD of the recordings' medians above the median of their own SDs (robust:
    0.7413 × IQR) — where an even mixture of two equal normal modes stops being unimodal. A still class only:
    its spread is sensor noise and sway, so an offset between its recordings is wear or bias, never motion;
    in a moving class the recordings' differences are part of how the class is done — seglearn's exercises on
    either arm, whose (b) fell by 0.03–0.08 with every class counted per recording (session 51)."""
    pooled = np.percentile(X, pct, axis=0)
    parts = _recordings(X, which, min_samples) if source == "people" else []
    if len(parts) < 2:
        return pooled
    meds = np.array([np.nanmedian(g, axis=0) for g in parts])
    q1, q3 = np.array([np.nanpercentile(g, [25, 75], axis=0) for g in parts]).transpose(1, 0, 2)
    apart = meds.std(axis=0) > np.median(0.7413 * (q3 - q1), axis=0)
    if not apart.any():
        return pooled
    centred = np.concatenate([g - m for g, m in zip(parts, meds)])
    # placed at the longest recording's median, not the medians' mean: a phone upside down in one session
    # and not in the other averages to no gravity at all, and any two turns to a tilt neither session had
    each = np.nanpercentile(centred, pct, axis=0) + meds[int(np.argmax([len(g) for g in parts]))]
    return np.where(apart, each, pooled)


#: a still class's capture holds a new posture where the mean specific force of a :data:`POSTURE_BLOCK_S`
#: block turns by more than this (deg) from the posture's first block (lying rolled from the back onto the
#: stomach, 180°; onto a side, 90°; sway and fidgets turn it a few degrees); a posture held under
#: :data:`POSTURE_MIN_S` is a change between two (a roll), no posture of the class
POSTURE_TURN_DEG, POSTURE_BLOCK_S, POSTURE_MIN_S = 30.0, 1.0, 2.0


def posture_parts(rec: Recording) -> np.ndarray:
    """Per sample of ``rec`` (n,), which posture of a still class it holds: 0, 1, … in order, a new one where
    the device's gravity turns by more than :data:`POSTURE_TURN_DEG` (see there), −1 in a posture held
    under :data:`POSTURE_MIN_S`. All 0 where the data hold no gravity (|mean specific force| of the blocks
    not within 0.7–1.3 g: a capture of linear acceleration) or no accelerometer."""
    out = np.zeros(len(rec), int)
    if rec.acc is None or len(rec) == 0:
        return out
    n = max(int(round(POSTURE_BLOCK_S * rec.rate_hz)), 1)
    blocks = len(rec) // n
    if blocks < 2:
        return out
    means = rec.acc[:blocks * n].reshape(blocks, n, 3).mean(axis=1)
    length = np.linalg.norm(means, axis=1)
    if not 0.7 * G0 <= np.median(length) <= 1.3 * G0:
        return out
    unit = means / np.maximum(length, 1e-9)[:, None]
    cos_turn = np.cos(np.radians(POSTURE_TURN_DEG))
    part, ref, ids, turns = 0, unit[0], np.zeros(blocks, int), []
    for b in range(1, blocks):  # per 1-s block, not per sample: a few hundred steps for minutes of capture
        if unit[b] @ ref < cos_turn:
            part, ref = part + 1, unit[b]
            turns.append(b)
        ids[b] = part
    held = np.bincount(ids) * n / rec.rate_hz
    ids[held[ids] < POSTURE_MIN_S] = -1
    for b in turns:  # the turn lies between the two blocks' means: both hold part of the change
        ids[b - 1:b + 1] = -1
    return np.concatenate([np.repeat(ids, n), np.full(len(rec) - blocks * n, ids[-1])])  # the tail: the last


def _person_spread(X: np.ndarray, which: np.ndarray, pct: np.ndarray, qs: np.ndarray,
                   min_samples: int) -> np.ndarray | None:
    """Per channel, the mean square distance (over the percentiles and the synthetic people) of each
    person's quantile function from the typical person's ``qs``: how far one person of the generator
    lies from the typical one. None below two people of ``min_samples`` samples."""
    parts = _recordings(X, which, min_samples)
    if len(parts) < 2:
        return None
    return np.mean([np.mean((np.nanpercentile(g, pct, axis=0) - qs) ** 2, axis=0) for g in parts], axis=0)


def distance_ratios(qs: np.ndarray, qr: np.ndarray, spread: np.ndarray | None) -> np.ndarray:
    """Per channel, ``d² / s²``: the capture's mean square distance ``d²`` (over the percentiles) from the
    typical synthetic person ``qs``, in units of a synthetic person's, ``s²`` (:func:`_person_spread`).
    About 1 or less when the capture's person could be one of the synthetic people; ``inf`` without a
    spread (fewer than two people to measure it on)."""
    d2 = np.mean((qr - qs) ** 2, axis=0)
    if spread is None:
        return np.full(d2.shape, np.inf)
    return np.divide(d2, spread, out=np.where(d2 > 0, np.inf, 0.0), where=spread > 0)


#: the range of :func:`_gravity_scales`' ratios: a device's scale error is a few percent, a wearer's swing
#: shortens or lengthens a limb's mean specific force by some more; beyond this the two sides do not read the
#: same quantity (units are checked before, ``recording.check_si_units``) and the ratio is not used
GRAVITY_SCALE_RANGE = (0.8, 1.25)


def _gravity_scales(synthetic, real, applies_to: list[str] | None, channels) -> dict[str, float]:
    """Per class a map applies to (``GLOBAL`` for an unlabelled capture's), how much longer the capture's
    gravity is than the synthetic people's: the ratio of the two sides'
    :func:`~imuforge.recording.mean_force_lengths` — the median |mean specific force| over 2 s windows of the
    class's stretches, whichever way the device is turned in each window: the real device's scale of gravity
    (and a swinging limb's centripetal share), which :meth:`QuantileMap._hold_gravity` carries onto every
    person. (The length of a stretch's median vector would not do: a wrist that moves between poses within a
    stretch shortens it — the CrowdSignals watch's sitting capture by 9 % more than the synthetic people's.)
    Only where both sides hold gravity (≥ g / 2: not a device that removes it) and the ratio lies within
    :data:`GRAVITY_SCALE_RANGE`; an unlabelled side is taken whole."""
    if not all(f"acc_{a}" in channels for a in "xyz"):
        return {}
    sides = [(mean_force_lengths(recs), any(r.labels for r in recs)) for recs in (synthetic, real)]
    out = {}
    for c in (applies_to if applies_to is not None else [GLOBAL]):
        syn, rl = ((ln.get(c) if labelled and c != GLOBAL else ln.get("")) for ln, labelled in sides)
        if syn is None or rl is None or not min(syn, rl) >= G0 / 2:
            continue
        k = rl / syn
        if GRAVITY_SCALE_RANGE[0] <= k <= GRAVITY_SCALE_RANGE[1]:
            out[c] = float(k)
    return out


def evidence_strength(ratios: np.ndarray) -> np.ndarray:
    """How much of each map to apply (0 … 1) from the :func:`distance_ratios` ``r`` of every class channel
    of one capture (any shape): the larger of two James–Stein shares, each positive-part — the channel's own,
    ``1 − 1 / r``, and the capture's as a whole, ``1 − (p − 2) / Σ r`` over its ``p`` class channels (p ≥ 3;
    the estimator of a mean from p noisy coordinates, James & Stein 1961).

    A channel whose capture lies no farther from the typical synthetic person than one synthetic person
    does says nothing the people do not already cover (its person could be any of them), unless the
    capture as a whole lies far off: then the generator, not the person, is the likelier reason for every
    difference, and each channel is mapped by at least that share. One channel's distance is one noisy
    draw; the pooled share is the steadier one where the difference is everywhere."""
    r = np.asarray(ratios, dtype=float)
    with np.errstate(divide="ignore"):
        own = 1.0 - 1.0 / r  # inf (no spread to measure on): 1
        measured = r[np.isfinite(r)]  # a class without a spread says nothing of the others
        p, total = measured.size, float(np.sum(measured))
        joint = 1.0 - (p - 2) / total if p >= 3 and total > 0 else 0.0
    return np.clip(np.maximum(own, joint), 0.0, 1.0)


def _class_groups(mode: str, Ls: np.ndarray, Lr: np.ndarray, min_samples: int
                  ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[str] | None, list[str]]:
    """Which synthetic and real samples each map is fitted on (class → masks), the classes mapped
    (``None``: every sample, an unlabelled capture) and notes; refuses what would corrupt a class."""
    syn_classes = sorted(set(Ls.tolist()) - {""})
    real_classes = sorted(set(Lr.tolist()) - {""})
    shared = sorted(set(syn_classes) & set(real_classes))
    notes: list[str] = []
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if not real_classes:
        if len(syn_classes) > 1:
            raise ValidationError(
                f"the capture is unlabelled but the synthetic data hold {len(syn_classes)} classes "
                f"({', '.join(syn_classes)}): a map fitted on it would force every class onto "
                "the capture's one distribution (e.g. walking squashed to a still capture's variance)",
                allowed="a labelled capture (imuforge capture --label …), synthetic data of one class, "
                        "or --map none")
        everything = (np.ones(len(Ls), bool), np.ones(len(Lr), bool))
        if not syn_classes:
            return {GLOBAL: everything}, None, notes
        notes.append(f"unlabelled capture taken to show {syn_classes[0]!r}, the only synthetic class")
        if mode == "global":
            return {GLOBAL: everything}, None, notes
        return {syn_classes[0]: everything}, [syn_classes[0]], notes
    if not syn_classes:
        raise ValidationError("the synthetic data are unlabelled, so no class can be matched to the capture's "
                              f"({', '.join(real_classes)})", allowed="labelled synthetic data, or --map none")
    if not shared:
        raise ValidationError(f"no class in common: synthetic {', '.join(syn_classes)}; "
                              f"real {', '.join(real_classes)}", allowed="a capture of a synthetic class")
    if mode == "global":
        ms, mr = np.isin(Ls, shared), np.isin(Lr, shared)
        if ms.sum() < min_samples or mr.sum() < min_samples:
            raise ValidationError(f"too few samples of the shared classes ({', '.join(shared)}): "
                                  f"{int(mr.sum())} real / {int(ms.sum())} synthetic (< {min_samples})")
        groups[GLOBAL] = (ms, mr)
        applies_to = list(shared)
    else:
        applies_to = []
        for c in shared:  # loop over classes
            ms, mr = Ls == c, Lr == c
            if ms.sum() < min_samples or mr.sum() < min_samples:
                notes.append(f"class {c!r}: {int(mr.sum())} real / {int(ms.sum())} synthetic samples "
                             f"(< {min_samples}): no map, passed through unchanged")
                continue
            groups[c] = (ms, mr)
            applies_to.append(c)
        if not groups:
            raise ValidationError(f"no shared class has {min_samples} real and synthetic samples")
    unmapped = [c for c in syn_classes if c not in shared]
    if unmapped:
        notes.append(f"synthetic classes absent from the capture, passed through unchanged (identity): "
                     f"{', '.join(unmapped)}")
    unused = [c for c in real_classes if c not in shared]
    if unused:
        notes.append(f"capture classes without synthetic data, not used: {', '.join(unused)}")
    return groups, applies_to, notes


@dataclass(frozen=True)
class MapSettings:
    """How ``calibrate`` fits its maps: ``mode`` (:data:`MODES`), ``source`` (:data:`SOURCES`) and
    ``strength`` (:data:`STRENGTHS`), checked once here."""

    mode: str = "none"
    source: str = DEFAULT_SOURCE
    strength: str = DEFAULT_STRENGTH

    def __post_init__(self):
        for value, allowed, what in ((self.mode, MODES, "--map"), (self.source, SOURCES, "--map-source"),
                                     (self.strength, STRENGTHS, "--map-strength")):
            if value not in allowed:
                raise ValidationError(f"unknown {what} {value!r}", allowed=", ".join(allowed))

    @property
    def on(self) -> bool:
        return self.mode != "none"

    def fit(self, synthetic, real, *, keep_wear: bool = True) -> QuantileMap:
        return QuantileMap.fit(synthetic, real, self.mode, keep_wear=keep_wear, source=self.source,
                               strength=self.strength)


@dataclass
class ChannelMap:
    """One monotone map: source quantiles ``xp`` → target quantiles ``fp``; with ``center`` (the typical
    synthetic person's median, see :func:`_source_quantiles`) the values passed in — one person's, of one
    class — are moved by their own median's offset from it, mapped, and moved back by the same offset.
    ``strength`` (0 … 1, :func:`evidence_strength`): the share of the map's change applied,
    ``x + strength · (map(x) − x)``."""

    xp: np.ndarray
    fp: np.ndarray
    center: float | None = None
    strength: float = 1.0

    def __call__(self, x: np.ndarray, tails: str = "linear") -> np.ndarray:
        offset = float(np.nanmedian(x)) - self.center if self.center is not None and x.size else 0.0
        return self.transfer(x - offset, tails) + offset

    def transfer(self, x: np.ndarray, tails: str = "linear") -> np.ndarray:
        """The map itself (tails and strength included), on values already placed at the typical person's."""
        xp, fp = _strictly_increasing(self.xp, self.fp)
        if xp.size == 1:
            return np.full_like(x, fp[0], dtype=float)
        y = np.interp(x, xp, fp)
        if tails == "linear":
            k = max(1, xp.size // 10)
            lo_slope = (fp[k] - fp[0]) / (xp[k] - xp[0])
            hi_slope = (fp[-1] - fp[-1 - k]) / (xp[-1] - xp[-1 - k])
            lo, hi = x < xp[0], x > xp[-1]
            y[lo] = fp[0] + (x[lo] - xp[0]) * lo_slope
            y[hi] = fp[-1] + (x[hi] - xp[-1]) * hi_slope
        if self.strength < 1.0:
            y = x + self.strength * (y - x)
        return y

    def slope(self) -> float:
        """How much the map scales small changes about the middle of the distribution: the ratio of the
        mapped interquartile range to the source's (strength included; 1 where the source has none)."""
        xp = np.asarray(self.xp, float)
        if xp.size < 5:
            return 1.0
        q1, q3 = np.percentile(xp, [25.0, 75.0])
        if not q3 > q1:
            return 1.0
        y1, y3 = self.transfer(np.array([q1, q3]))
        return float((y3 - y1) / (q3 - q1))


@dataclass
class QuantileMap:
    """Per-channel (and per-class) quantile maps fitted on a capture; apply to any synthetic data."""

    mode: str
    channels: tuple[str, ...]
    maps: dict[str, dict[str, ChannelMap]]    # class → channel → map
    samples: dict[str, dict[str, int]]        # class → {"real": n, "synthetic": n}
    tails: str = "linear"
    notes: list[str] = field(default_factory=list)
    applies_to: list[str] | None = None       # classes mapped; None = every sample (unlabelled capture)
    keep_wear: bool = True                    # per-channel maps act on the typical wearer's wear (see fit)
    # synthetic quantiles: pooled or the typical person's (see fit); "pooled" here because map files written
    # before the source was recorded hold pooled maps (``fit`` itself defaults to DEFAULT_SOURCE)
    source: str = "pooled"
    # how much of each map is applied: "full" here because map files written before the strength was
    # recorded apply their maps in full (``fit`` itself defaults to DEFAULT_STRENGTH)
    strength: str = "full"
    # the mean specific force (gravity) of each person and class is turned, not mapped axis by axis, and its
    # length scaled by the class's ``gravity[class]`` (:func:`_gravity_scales`, :meth:`_hold_gravity`); None:
    # mapped axis by axis like the rest, as map files written before this was recorded were
    gravity: dict[str, float] | None = None

    def strengths(self) -> dict[str, dict[str, float]]:
        """class → channel → the share of its map applied (:func:`evidence_strength`; 1 with ``full``)."""
        return {c: {ch: m.strength for ch, m in chm.items()} for c, chm in self.maps.items()}

    @classmethod
    def fit(cls, synthetic, real, mode: str = "global", *, channels=None, percentiles=PERCENTILES,
            tails: str = "linear", min_samples: int = 50, keep_wear: bool = True,
            source: str = DEFAULT_SOURCE, strength: str = DEFAULT_STRENGTH) -> QuantileMap:
        """Fit maps from ``synthetic`` and ``real`` Recordings.

        ``mode``: ``"global"``, ``"per-class"`` or ``"magnitude"``; ``channels`` default: those both
        sides have. Classes with fewer than ``min_samples`` real or synthetic samples get no own map.

        ``keep_wear`` (per-channel modes): synthetic people simulated with wear variation each hold
        the device turned their own way (``provenance["wear"]``). A per-channel map fitted and
        applied on those readings would force all of them onto the capture's one way of wearing
        it — and a model trained on that data has never seen another. With ``keep_wear`` the maps
        are fitted and applied on every person's readings turned back to the typical wearer's wear, and each
        person's turn is put back afterwards: the marginals of the capture, the spread of the people.
        (``magnitude`` maps lengths of vectors, which no turn changes.)

        ``source``: which synthetic quantiles each map starts from — ``"pooled"`` all synthetic samples
        together (IMUGPT's choice, which squeezes the between-person spread into the captured person's
        range), ``"people"`` (:data:`DEFAULT_SOURCE`) the typical synthetic person's, each person keeping
        their offset from it (:func:`_source_quantiles`; docs/CALIBRATION.md §5 has the measured
        comparison).
        """
        if mode not in MODES[1:]:
            raise ValidationError(f"unknown mapping mode {mode!r}", allowed=", ".join(MODES[1:]))
        if tails not in ("linear", "clip"):
            raise ValidationError(f"unknown tails {tails!r}", allowed="linear, clip")
        if source not in SOURCES:
            raise ValidationError(f"unknown quantile source {source!r}", allowed=", ".join(SOURCES))
        if strength not in STRENGTHS:
            raise ValidationError(f"unknown map strength {strength!r}", allowed=", ".join(STRENGTHS))
        synthetic, real = list(synthetic), list(real)
        if not synthetic or not real:
            raise ValidationError("quantile mapping needs synthetic and real recordings")
        channels = _mapped_channels(synthetic, real, mode, channels)
        pct = np.asarray(percentiles, float)
        Xs, Ls, which = _values(synthetic, channels, mode, nominal=keep_wear)
        Xr, Lr, which_r = _values(real, channels, mode)
        posture = np.concatenate([posture_parts(r) for r in real])  # the capture's still postures
        held = which_r * (int(posture.max()) + 2) + posture  # one id per recording and posture
        groups, applies_to, notes = _class_groups(mode, Ls, Lr, min_samples)
        fitted, samples = {}, {}
        for c, (ms, mr) in groups.items():
            qs, center, people = _source_quantiles(Xs[ms], which[ms], pct, source, min_samples)
            if source == "people" and center is None:
                notes.append(f"class {c!r}: the typical synthetic person needs two or more recordings of "
                             f"{min_samples}+ samples; fewer here, so its map starts from the pooled samples")
            if c in STILL:  # each posture the class is held in is a part; a change between two is none
                kept = mr & (posture >= 0) if (mr & (posture >= 0)).sum() >= min_samples else mr
                qr = _target_quantiles(Xr[kept], held[kept], pct, source, min_samples)
            else:
                qr = np.percentile(Xr[mr], pct, axis=0)
            ratios = distance_ratios(qs, qr, _person_spread(Xs[ms], which[ms], pct, qs, min_samples))
            fitted[c] = (qs, qr, center, ratios)
            samples[c] = {"real": int(mr.sum()), "synthetic": int(ms.sum()), "synthetic_recordings": people}
        # how much of each map: one decision over every class channel of the capture (evidence_strength)
        k = (evidence_strength(np.array([f[3] for f in fitted.values()])) if strength == "evidence"
             else np.ones((len(fitted), len(channels))))
        maps = {c: {ch: ChannelMap(qs[:, i], qr[:, i], None if center is None else float(center[i]),
                                   float(kc[i])) for i, ch in enumerate(channels)}
                for (c, (qs, qr, center, _)), kc in zip(fitted.items(), k)}
        if keep_wear and mode != "magnitude" and any(person_turn(r) is not None for r in synthetic):
            notes.append("maps fitted and applied on each synthetic person's readings turned back to the "
                         "typical wearer's wear; each person's own turn is put back after mapping")
        return cls(mode=mode, channels=channels, maps=maps, samples=samples, tails=tails, notes=notes,
                   applies_to=applies_to, keep_wear=keep_wear, source=source, strength=strength,
                   gravity=(_gravity_scales(synthetic, real, applies_to, channels) if mode != "magnitude"
                            else None))

    def squeezed_still(self) -> dict[str, dict[str, float]]:
        """Where a map squeezes a still class about its middle (:meth:`ChannelMap.slope` < 1): {map key:
        {channel: slope}} (:meth:`_still_keys`; what the report says of :meth:`_put_floor_back`)."""
        out = {}
        for key in self._still_keys():
            slopes = {ch: round(a, 4) for ch, m in self.maps[key].items() if (a := m.slope()) < 1}
            if slopes:
                out[key] = slopes
        return out

    def _still_keys(self) -> dict[str, list[str]]:
        """The maps that map still classes only, with their classes: each still class's per-class map, or a
        global map whose classes are all still (a standing-only capture); none for magnitude maps, which
        scale lengths, not axes."""
        if self.mode == "magnitude":
            return {}
        if self.applies_to is None:  # an unlabelled capture: the global map's still samples are its class's
            return {GLOBAL: sorted(STILL)} if GLOBAL in self.maps else {}
        if self.mode == "per-class":
            return {c: [c] for c in self.applies_to if c in STILL and c in self.maps}
        still = set(self.applies_to) <= STILL and GLOBAL in self.maps
        return {GLOBAL: list(self.applies_to)} if still else {}

    def _put_floor_back(self, data: np.ndarray, src: np.ndarray, rec: Recording, labels: np.ndarray | None,
                        floor, rng_of) -> None:
        """Add back, in place, the sensor noise a still class's map squeezed: a per-sample map scales a small
        noise ``n`` at ``x`` to ``f'(x) · n``, which left a synthetic "standing" quieter than the sensor can
        be (a fresh user's tour, session 62). Each sample of a still class (:meth:`_still_keys`) gets white
        noise of sd ``σ · √(1 − f'(x)²)`` where the map's local slope ``f'(x)`` (central difference, on the
        values ``src`` it mapped) is under 1; σ the device's white-noise sd at the recording's rate
        (``floor(group, rate)``; None: not known), ``rng_of(group)`` its generator."""
        labels = rec.label_array() if labels is None else labels  # an unlabelled capture's map: every sample
        rngs: dict[str, Any] = {}
        for key, classes in self._still_keys().items():
            m = np.isin(labels, classes)
            if not m.any():
                continue
            for ch, cmap in self.maps[key].items():
                group = ch.rsplit("_", 1)[0]
                sd = floor(group, rec.rate_hz) if ch in rec.channels else None
                if not sd:
                    continue
                x = src[m, rec.channels.index(ch)]
                if cmap.center is not None:  # the person's values at the typical person's, as mapped
                    x = x - (float(np.nanmedian(x)) - cmap.center)
                h = 1e-3 * max(float(np.ptp(cmap.xp)), 1e-9)
                slope = (cmap.transfer(x + h, self.tails) - cmap.transfer(x - h, self.tails)) / (2 * h)
                deficit = np.clip(1.0 - slope * slope, 0.0, 1.0)
                rng = rngs.setdefault(group, rng_of(group))
                data[m, rec.channels.index(ch)] += rng.standard_normal(int(m.sum())) * sd * np.sqrt(deficit)

    def apply(self, rec: Recording, floor=None, rng_of=None) -> Recording:
        """``rec`` with its mapped channels replaced (other channels untouched); with ``floor`` and ``rng_of``
        the sensor noise a still class's map squeezed put back (:meth:`_put_floor_back`, in the typical
        wearer's wear where the maps act, before each person's turn)."""
        turn = person_turn(rec) if self.keep_wear and self.mode != "magnitude" else None
        # the person's readings at the typical wearer's wear (a copy)
        data = typical_wear_data(rec, turn) if turn is not None else np.array(rec.data, dtype=float)
        src = data.copy()
        parts = _vector_parts(rec) if self.mode == "magnitude" else {}
        present = [c for c in self.channels if c in (parts or rec.channels)]
        if not present:
            raise ValidationError("recording has none of the mapped channels", allowed=", ".join(self.channels))
        labels = rec.label_array() if self.applies_to is not None else None
        # which samples each map applies to; everything else is passed through unchanged
        if self.applies_to is None:
            sel = {GLOBAL: np.ones(len(rec), bool)}
        elif self.mode == "global":
            sel = {GLOBAL: np.isin(labels, self.applies_to)}
        else:
            sel = {c: labels == c for c in self.applies_to}
        for ch in present:  # loop over channels
            if self.mode == "magnitude":
                idx, base, vec = parts[ch]
                norm = np.linalg.norm(vec, axis=1)
                new = norm.copy()
                for c, m in sel.items():  # loop over classes
                    if m.any():
                        new[m] = np.maximum(self.maps[c][ch](norm[m], self.tails), 0.0)
                scale = np.divide(new, norm, out=np.ones_like(norm), where=norm > 1e-12)
                data[:, idx] = base + vec * scale[:, None]
                continue
            i = rec.channels.index(ch)
            x = src[:, i]
            for c, m in sel.items():  # loop over classes
                if m.any():
                    data[m, i] = self.maps[c][ch](x[m], self.tails)
        held = self._hold_gravity(data, src, rec.channels, labels, sel) if self.gravity else 0
        if floor is not None:
            seeded = rng_of or (lambda group: np.random.default_rng(zlib.crc32(group.encode())))
            self._put_floor_back(data, src, rec, labels, floor, seeded)
        if turn is not None:  # the person's own turn back
            data = rotate_vectors(data, rec.channels, turn)
        n_mapped = int(sum(int(m.sum()) for m in sel.values()))
        prov = dict(rec.provenance)
        prov["quantile_map"] = {"mode": self.mode, "channels": list(present), "classes": self.applies_to,
                                "wear_kept": turn is not None, "gravity_held": held,
                                "samples_mapped": n_mapped, "samples_unchanged": len(rec) - n_mapped}
        return rec.replace(data=data, provenance=prov)

    def _hold_gravity(self, data: np.ndarray, src: np.ndarray, channels, labels: np.ndarray | None,
                      sel: dict[str, np.ndarray]) -> int:
        """Turn every person's mean specific force of each class in ``data`` (mapped in place from ``src``)
        instead of mapping it axis by axis, and scale its length by the class's :attr:`gravity` only; how many
        classes it did that for.

        A per-channel map moves each axis's median on its own: with the ``people`` source a person's median is
        sent to the typical person's image plus the person's own offset from them, axis by axis, so a person
        whose arm hangs another way than the typical person's ends up with a gravity of, say, 8 or 12 m/s²
        (the CrowdSignals watch's default calibration: sitting 9.9 → 8.1, standing 9.8 → 10.8 m/s², its
        capture 9.8 / 9.7). Here each person's median vector ``m`` of a class (in the typical wearer's wear)
        is instead *turned*: by the smallest rotation taking the typical person's median ``c`` onto its
        mapped image (``people`` source: the turn every person shares, so their angles to each other stay),
        or onto the direction the map gave ``m`` itself (``pooled``, or a typical person without a clear
        gravity: lying supine and prone average out); its length becomes ``|m|`` times the class's
        :func:`_gravity_scales` ``k`` (applied by the share of the map applied, the acc maps' mean strength):
        every person keeps their gravity's length relative to the others', and the capture's device and
        wearer set its scale. A ``global`` map does this class by class too. The readings around the median
        (the motion) keep the maps' values. Classes without gravity on either side (gravity removed on the
        device; no ``k``) are left as mapped."""
        names = [f"acc_{a}" for a in "xyz"]
        if not all(n in channels and n in self.channels for n in names):
            return 0
        idx = [list(channels).index(n) for n in names]
        held = 0
        for key, m in sel.items():  # loop over maps
            if not m.any():
                continue
            maps = [self.maps[key][n] for n in names]
            centre = np.array([cm.center if cm.center is not None else np.nan for cm in maps])
            people = bool(np.all(np.isfinite(centre)))
            # where each channel's values were moved to before the map (ChannelMap.__call__'s offset)
            offset = np.nanmedian(src[np.ix_(m, idx)], axis=0) - centre if people else np.zeros(3)
            image = np.array([cm.transfer(np.array([x]), self.tails)[0] for cm, x in zip(maps, centre)]) \
                if people else centre
            clear = people and min(np.linalg.norm(centre), np.linalg.norm(image)) >= G0 / 2
            turn = rotation_between(centre, image) if clear else None
            share = float(np.mean([cm.strength for cm in maps]))
            parts = ({c: m & (labels == c) for c in self.applies_to} if key == GLOBAL and labels is not None
                     else {key: m})
            for c, mc in parts.items():  # loop over the classes the map applies to
                if c not in self.gravity or not mc.any():
                    continue
                med = np.nanmedian(src[np.ix_(mc, idx)], axis=0)
                if not np.linalg.norm(med) >= G0 / 2:
                    continue
                # the monotone maps send the median where they send every sample: to its image
                mapped = offset + [cm.transfer(np.array([x]), self.tails)[0] for cm, x in zip(maps, med - offset)]
                length = np.linalg.norm(med) * (1 + share * (self.gravity[c] - 1))
                if turn is not None:
                    new = turn @ med * (length / np.linalg.norm(med))
                elif np.linalg.norm(mapped) >= 0.1 * G0:
                    new = mapped * (length / np.linalg.norm(mapped))
                else:
                    continue
                data[np.ix_(mc, idx)] += new - mapped
                held += 1
        return held

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        return {"format": "imuforge-quantile-map", "version": 4, "mode": self.mode,
                "channels": list(self.channels),
                "tails": self.tails, "samples": self.samples, "notes": self.notes, "applies_to": self.applies_to,
                "keep_wear": self.keep_wear, "source": self.source, "strength": self.strength,
                "gravity": self.gravity, "percentiles": PERCENTILES.tolist(),
                "maps": {c: {ch: {"synthetic": m.xp.tolist(), "real": m.fp.tolist(), "center": m.center,
                                  "strength": m.strength}
                             for ch, m in chm.items()}
                         for c, chm in self.maps.items()}}

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> QuantileMap:
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(f"cannot read quantile map: {exc}", source=str(path)) from exc
        if d.get("format") != "imuforge-quantile-map":
            raise ValidationError(f"not a quantile map (format {d.get('format')!r})", source=str(path),
                                  allowed="imuforge-quantile-map")
        if d.get("version", 1) not in (1, 2, 3, 4):
            raise ValidationError(f"quantile map format version {d.get('version')!r} is not one this imuforge reads",
                                  source=str(path), allowed="1, 2, 3, 4")
        gravity = d.get("gravity")
        lo, hi = GRAVITY_SCALE_RANGE
        known = set(d.get("maps") or {}) | set(d.get("applies_to") or [])
        if gravity is not None and not (isinstance(gravity, dict) and set(gravity) <= known and all(
                isinstance(k, (int, float)) and not isinstance(k, bool) and lo <= k <= hi for k in gravity.values())):
            raise ValidationError(f"quantile map: gravity {gravity!r}", source=str(path),
                                  allowed=f"null, or a mapped class → the scale of its gravity's length "
                                          f"({lo} … {hi})")
        maps = {c: {ch: ChannelMap(np.asarray(m["synthetic"]), np.asarray(m["real"]), m.get("center"),
                                   float(m.get("strength", 1.0)))
                    for ch, m in chm.items()}
                for c, chm in d["maps"].items()}
        return cls(mode=d["mode"], channels=tuple(d["channels"]), maps=maps, samples=d["samples"],
                   tails=d.get("tails", "linear"), notes=d.get("notes", []), applies_to=d.get("applies_to"),
                   keep_wear=d.get("keep_wear", False), source=d.get("source", "pooled"),
                   strength=d.get("strength", "full"), gravity=gravity)
