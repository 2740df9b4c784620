"""Realism statistics of recordings, real or synthetic, that do not depend on how the sensor is turned.

:func:`realism_stats` summarises each activity of a set of Recordings with the gait signature of
:mod:`imuforge.motion.library.gait_stats` (|ω| 95th percentile, dynamic |f| RMS / 95th percentile,
principal-axis peaks per stride, share of power above 10 Hz, out-of-plane rotation, rotation at 3–12 Hz,
and for still activities the share of still 2.56 s windows),
the cadence, and a posture angle: how far each activity's mean specific-force direction is turned from a
reference activity's (standing, by default) — for a thigh sensor, sitting vs standing is ≈ 90°; for
a waist sensor a few degrees of pelvic tilt. None of these needs to know the sensor's mounting, so
real recordings and synthetic ones go through the same code, and :func:`compare` gives the ratios
that the realism benchmark and the tests bound.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import signal

from imuforge._zerophase import sosfiltfilt
from imuforge.motion.library.gait_stats import principal_axes, segment_stats, still_windows
from imuforge.recording import Recording

#: Shortest labelled stretch (s) a statistic is computed on.
MIN_STRETCH_S = 4.0
#: Stride frequencies searched for the cadence (Hz): slow walking to sprinting.
STRIDE_BAND_HZ = (0.3, 2.5)
#: high-pass (Hz) of the rate before the stride frequency is looked for: below slow walking's stride
#: frequency (≈ 0.6 Hz), above the bulk of a turn's rate (a 90–180° turn over 1.5–3 s)
TURN_HZ = 0.4

#: Activities without a gait: cadence and per-stride peaks mean nothing there.
STILL = frozenset({"standing", "sitting", "lying", "device_on_table"})
GAIT_ONLY = frozenset({"cadence_spm", "main_peak", "secondary_peak"})
#: Issue 11's bounds on synthetic / real (a fraction of the real value): every statistic within ±15 %,
#: rotation out of the main plane (the rate's spread on its 2nd and 3rd principal axes) within ±25 %.
TOLERANCE = 0.15
TOLERANCE_BY_STAT = {"axis2_sd": 0.25, "axis3_sd": 0.25}

STAT_NAMES = ("cadence_spm", "gyro_p95", "dyn_acc_rms", "dyn_acc_p95", "main_peak", "secondary_peak",
              "hf_share", "axis2_sd", "axis3_sd", "gyro_band_rms", "still_share", "posture_deg")


@dataclass(frozen=True)
class RealismStats:
    """One activity's orientation-free statistics (medians over its labelled stretches).

    Units: cadence in steps/min; rates in rad/s; specific force in m/s²; ``hf_share`` a fraction;
    ``posture_deg`` the angle between this activity's mean specific force and the reference
    activity's (``None`` without a reference in the data, or when the data hold no gravity).
    Cadence and stride peaks are ``None`` for still activities (:data:`STILL`); ``still_share`` (the
    share of 2.56 s windows whose rate RMS is under 0.1 rad/s, ``gait_stats.still_windows``, pooled over
    the activity's stretches rather than a median) is ``None`` for the others.
    """

    label: str
    seconds: float
    stretches: int
    cadence_spm: float | None
    gyro_p95: float
    dyn_acc_rms: float
    dyn_acc_p95: float
    main_peak: float
    secondary_peak: float
    hf_share: float
    axis2_sd: float
    axis3_sd: float
    gyro_band_rms: float
    still_share: float | None
    posture_deg: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def stride_hz(gyro: np.ndarray, fs: float) -> float:
    """Stride frequency: the strongest frequency of the principal rate axis within :data:`STRIDE_BAND_HZ`,
    halved where that is the stride's second harmonic (below).

    Limbs swing and the pelvis rotates once per stride, so for any segment the principal rate
    oscillates at the stride frequency (the vertical bounce of the trunk is at twice that). The rate is
    high-passed first (:data:`TURN_HZ`): a turn is a slow rate about the vertical that would otherwise
    take the principal axis on a trunk device (real lower-back walking bouts turn by 60–450°). It is also
    low-passed at the band's top (where the rate allows): the trunk's jolt at every foot contact rings at
    4–6 Hz with the same pitch every step, and it would otherwise take the principal axis to the step
    frequency.

    The peak is located between the bins of the 8-s Welch segments (0.125 Hz apart, 7.5 steps/min of
    cadence): each segment is zero-padded to 8× its length and the log-power peak interpolated by a
    parabola through its three highest points (the Hann window's main lobe is near-Gaussian, so its log is
    near-parabolic), so that cadences compare to a fraction of a step per minute, not on a 7.5-step grid.

    A foot's rate is a pulse once per stride (the swing) and near nothing through stance, so its second
    harmonic can carry more power than the stride itself: the spectral peak is then checked against the
    signal's own repetition (:func:`_halves_stride`) and halved while the signal repeats only every
    second such period; and once more where the rate is a trunk's whose steps mirror each other
    (:func:`_mirrored_steps`: its pitch repeats every step, its roll and yaw every stride).
    """
    gyro = np.asarray(gyro, float)
    if len(gyro) > 3 * int(fs / TURN_HZ):
        band = (TURN_HZ, STRIDE_BAND_HZ[1]) if fs > 2.5 * STRIDE_BAND_HZ[1] else None
        sos = signal.butter(2, band or TURN_HZ, "bandpass" if band else "highpass", fs=fs, output="sos")
        gyro = sosfiltfilt(sos, gyro, axis=0)
    _, proj = principal_axes(gyro)
    x = proj[:, 0] - proj[:, 0].mean()
    nperseg = min(len(x), int(8 * fs))
    f, p = signal.welch(x, fs=fs, nperseg=nperseg, nfft=8 * nperseg)
    band = np.flatnonzero((f >= STRIDE_BAND_HZ[0]) & (f <= STRIDE_BAND_HZ[1]))
    if not band.size:
        return float("nan")
    k = band[np.argmax(p[band])]
    peak = float(f[k])
    if 0 < k < len(p) - 1 and np.all(p[k - 1:k + 2] > 0):
        a, b, c = np.log(p[k - 1:k + 2])
        den = a - 2 * b + c
        if den < 0:  # a maximum: the vertex of the parabola, within half a bin of k
            peak += 0.5 * (a - c) / den * (f[1] - f[0])
    while peak / 2 >= STRIDE_BAND_HZ[0] and _halves_stride(x, fs, peak):
        peak /= 2
    if peak / 2 >= STRIDE_BAND_HZ[0] and _mirrored_steps(proj[:, 1:] - proj[:, 1:].mean(axis=0), fs, peak):
        peak /= 2
    return peak


def _peak_hz(y: np.ndarray, fs: float) -> float:
    """The strongest frequency (Hz, on the 8-s Welch segments' bins) of ``y`` (samples × axes, power summed
    over the axes) within :data:`STRIDE_BAND_HZ`; NaN where the band holds no bin."""
    nperseg = min(len(y), int(8 * fs))
    f, p = signal.welch(y, fs=fs, nperseg=nperseg, nfft=8 * nperseg, axis=0)
    p = p.reshape(len(f), -1).sum(axis=1)
    band = np.flatnonzero((f >= STRIDE_BAND_HZ[0]) & (f <= STRIDE_BAND_HZ[1]))
    return float(f[band[np.argmax(p[band])]]) if band.size else float("nan")


def _mirrored_steps(minor: np.ndarray, fs: float, hz: float) -> bool:
    """Whether ``hz``, the principal rate's frequency, is the step frequency of a trunk: its pitch repeats
    every step, but its roll and yaw turn the other way at the other foot's step (left and right steps mirror
    each other), so the rate about the minor axes (``minor``, samples × axes) peaks at half ``hz`` and repeats
    after each of two strides clearly better than after a step or three (a turn's slow rate left by the
    high-pass repeats after one stride's lag at most). The principal axis alone had read a fresh user's waist
    capture of a stair descent at twice its cadence (session 63)."""
    half = _peak_hz(minor, fs)
    if len(minor) < 3 * 4 * fs / hz or not np.isfinite(half) or abs(half - hz / 2) > PERIOD_SLACK * hz / 2:
        return False
    at = _repetition(minor, fs)
    return all(at((k + 1) / hz) > at(k / hz) + HARMONIC_MARGIN for k in (1, 3))


#: How much better (in normalised autocorrelation) a signal must repeat after two periods of its spectral
#: peak than after one for the peak to be taken as the stride's second harmonic. Measured on foot rates
#: (real and synthetic, walking and stairs): after one period 0.74–0.96 where the peak is the stride, and
#: −0.04–0.43 against 0.73–0.93 after two where it is the second harmonic.
HARMONIC_MARGIN = 0.25
#: Stride-to-stride variation allowed when the autocorrelation is read at a period (± fraction).
PERIOD_SLACK = 0.15


def _halves_stride(x: np.ndarray, fs: float, hz: float) -> bool:
    """Whether ``x`` (samples, or samples × axes) repeats clearly better after 2 / ``hz`` than after
    1 / ``hz`` (the largest normalised autocorrelation within :data:`PERIOD_SLACK` of each lag, summed over
    the axes): ``hz`` is then twice the stride frequency."""
    if len(x) < 3 * 2 * fs / hz:  # fewer than three strides of the halved frequency: nothing to tell them by
        return False
    at = _repetition(x, fs)
    return at(2 / hz) > at(1 / hz) + HARMONIC_MARGIN


def _repetition(x: np.ndarray, fs: float):
    """How well ``x`` (samples, or samples × axes) repeats after a period (s): its autocorrelation summed over
    the axes, normalised, at its largest within :data:`PERIOD_SLACK` of the period's lag (−1 … 1; 0 for a
    signal without power)."""
    x = np.asarray(x, float).reshape(len(x), -1)
    n = len(x)
    spec = np.fft.rfft(x, 2 * n, axis=0)
    r = np.fft.irfft(spec.real**2 + spec.imag**2, axis=0)[:n].sum(axis=1)
    r = r / r[0] if r[0] > 0 else np.zeros(n)

    def at(period_s: float) -> float:
        lag = period_s * fs
        return float(r[int(lag * (1 - PERIOD_SLACK)):int(np.ceil(lag * (1 + PERIOD_SLACK))) + 1].max())

    return at


def _stretches(recordings, label: str | None = None, *, need_gyro: bool = True):
    """The labelled stretches (of ``label``, or of any label) of at least :data:`MIN_STRETCH_S` seconds
    that hold acc (and gyro, with ``need_gyro``), as (label, cropped Recording)."""
    for r in recordings:
        for seg in r.labels:
            if (label is None or seg.label == label) and seg.end_s - seg.start_s >= MIN_STRETCH_S:
                part = r.crop(seg.start_s, seg.end_s)
                if part.acc is not None and (part.gyro is not None or not need_gyro) and len(part) > 16:
                    yield seg.label, part


def _add_force(sums: dict[tuple[str, str], np.ndarray], label: str, part: Recording) -> None:
    """Add ``part``'s specific force to the (label, subject) sum (x, y, z, count): one mean per person."""
    key = (label, str(part.subject))
    sums[key] = sums.get(key, np.zeros(4)) + np.append(part.acc.sum(axis=0), len(part))


def _median(values) -> float:
    """Median of the finite values (NaN when there are none, e.g. no stride peaks while standing)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    c = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


#: the activity the posture angles are measured from (its own is 0 by definition)
REFERENCE = "standing"


def realism_stats(recordings: Recording | list[Recording], *, reference: str = REFERENCE,
                  rate_hz: float | None = None) -> dict[str, RealismStats]:
    """Per label, the statistics of every labelled stretch of at least :data:`MIN_STRETCH_S` seconds.

    The posture angle is taken per person (subject) — each wears the device their own way, so mean
    specific forces of different people are not comparable — and the median over people is kept.
    ``rate_hz``: recordings sampled faster are first resampled to it (:func:`imuforge.resample.resample`,
    anti-aliased), so that sets recorded at different rates are compared on the same band: peaks,
    percentiles and the share of power above 10 Hz all grow with the rate (a 200 Hz phone resolves
    heel-strike spikes that a 50 Hz one smooths away).
    """
    recs = [recordings] if isinstance(recordings, Recording) else list(recordings)
    if rate_hz is not None:
        from imuforge.resample import resample

        recs = [resample(r, rate_hz) if r.rate_hz > rate_hz * (1 + 1e-3) else r for r in recs]
    labels = sorted({s.label for r in recs for s in r.labels})
    sums: dict[tuple[str, str], np.ndarray] = {}  # (label, subject) → sum of specific force, count
    per_label: dict[str, list[dict[str, float]]] = {}
    seconds: dict[str, float] = {}
    windows: dict[str, np.ndarray] = {}  # label → (still, all) windows, pooled over its stretches
    for lab in labels:  # one loop per label and stretch; the signal work inside is vectorised
        for _, part in _stretches(recs, lab):
            fs = part.rate_hz
            sh = stride_hz(part.gyro, fs)
            row = segment_stats(part.acc, part.gyro, fs, sh if sh > 0 else 1.0)
            row["cadence_spm"] = 120.0 * sh
            per_label.setdefault(lab, []).append(row)
            windows[lab] = windows.get(lab, np.zeros(2, int)) + still_windows(part.gyro, fs)
            _add_force(sums, lab, part)
            seconds[lab] = seconds.get(lab, 0.0) + part.duration_s
    out = {}
    for lab, rows in per_label.items():
        med = {k: (None if (lab in STILL and k in GAIT_ONLY) else _median([r[k] for r in rows]))
               for k in rows[0]}
        # still activities only (a gait is never still for a window), pooled: a stretch of 4–8 s holds only
        # 1–3 windows, too few for a median of shares
        still, k = windows[lab]
        med["still_share"] = None if lab not in STILL else (still / k if k else float("nan"))
        out[lab] = RealismStats(lab, round(seconds[lab], 3), len(rows), posture_deg=_posture(sums, lab, reference),
                                **{k: med[k] for k in STAT_NAMES if k != "posture_deg"})
    return out


def _posture(sums: dict[tuple[str, str], np.ndarray], label: str, reference: str) -> float | None:
    """Median over subjects of the angle between ``label``'s and ``reference``'s mean specific force
    (``None`` when no subject has both, or the data hold no gravity)."""
    angles = _subject_angles(sums, label, reference)
    return float(np.median(angles)) if angles else None


def _subject_angles(sums: dict[tuple[str, str], np.ndarray], label: str, reference: str) -> list[float]:
    """Per subject holding both, the angle (deg) between ``label``'s and ``reference``'s mean specific
    force; subjects whose data hold no gravity (a mean under 3 m/s²) are left out."""
    angles = []
    for (lab, subject), v in sums.items():
        ref = sums.get((reference, subject))
        if lab != label or ref is None:
            continue
        a, b = v[:3] / v[3], ref[:3] / ref[3]
        if min(np.linalg.norm(a), np.linalg.norm(b)) > 3.0:  # gravity is in the data
            angles.append(_angle_deg(a, b))
    return angles


def posture_angles(recordings: Recording | list[Recording]) -> dict[tuple[str, str], list[float]]:
    """For every two activities (``(a, b)``, ``a < b``), the angle (deg) between their mean specific
    forces, one per subject that holds both with gravity in the data (stretches of at least
    :data:`MIN_STRETCH_S` seconds, as :func:`realism_stats` takes its ``posture_deg``).

    A person wears a device one way through all their activities, so the angle is the change of the
    segment's posture between the two (a thigh ≈ 90° from standing to sitting, a foot ≈ 0° from
    walking to stairs) whatever way the device sits; it also grows when the device was put on
    differently between the two recordings.
    """
    recs = [recordings] if isinstance(recordings, Recording) else list(recordings)
    sums: dict[tuple[str, str], np.ndarray] = {}
    for label, part in _stretches(recs, need_gyro=False):
        _add_force(sums, label, part)
    labels = sorted({lab for lab, _ in sums})
    out = {}
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if angles := _subject_angles(sums, a, b):
                out[(a, b)] = angles
    return out


@dataclass(frozen=True)
class Comparison:
    """Synthetic over real for one statistic of one activity."""

    label: str
    stat: str
    real: float
    synthetic: float

    @property
    def ratio(self) -> float:
        return self.synthetic / self.real if self.real else float("nan")

    def within(self, tolerance: float) -> bool:
        """``|ratio − 1| ≤ tolerance`` (posture: the angles differ by at most ``tolerance`` × 90°)."""
        if self.stat == "posture_deg":
            return abs(self.synthetic - self.real) <= tolerance * 90.0
        if self.real == 0.0:  # nothing on the real side: the synthetic side must be (nearly) nothing too
            return abs(self.synthetic) <= tolerance
        return abs(self.ratio - 1.0) <= tolerance

    def within_target(self) -> bool:
        """Within the realism target's bound for this statistic (:data:`TOLERANCE`, or its own in
        :data:`TOLERANCE_BY_STAT`)."""
        return self.within(TOLERANCE_BY_STAT.get(self.stat, TOLERANCE))


def compare(real: dict[str, RealismStats], synthetic: dict[str, RealismStats]) -> list[Comparison]:
    """Every statistic of every activity both sides hold (posture only where both have a reference)."""
    out = []
    for lab in sorted(set(real) & set(synthetic)):
        r, s = real[lab].to_json(), synthetic[lab].to_json()
        for k in STAT_NAMES:
            if r[k] is not None and s[k] is not None and np.isfinite(r[k]) and np.isfinite(s[k]):
                out.append(Comparison(lab, k, float(r[k]), float(s[k])))
    return out


def cadence_params(activity: str, real: float | None, synthetic: float | None, now: dict | None = None,
                   tolerance: float = 0.05) -> dict | None:
    """Parameters that make the synthetic people of a gait step at the real people's cadence (``real``,
    steps per minute), from those that gave their cadence ``synthetic`` (``now``; ``None``: the activity's
    defaults). ``None``: not a gait, no cadence on one side, or already within ``tolerance``.

    By the library's own laws (imuforge.motion.library.gait): walking cadence ∝ v^``CADENCE_SPEED_EXP``
    (default: the population's preferred speed); running cadence rises by ``RUN_STEP_SLOPE`` Hz per m/s
    (default: the self-selected jogging speed); stair cadence ∝ intensity^``STAIR_INTENSITY_EXP`` (default 1).
    """
    from imuforge.motion.body import Person
    from imuforge.motion.library import gait

    if not real or not synthetic:
        return None
    r = real / synthetic
    if abs(r - 1.0) <= tolerance:
        return None
    now = now or {}
    if activity in gait.SPEED_RANGE:  # kept 25 % inside the gait's range: each person's speed is jittered
        lo, hi = gait.SPEED_RANGE[activity]
        if activity == "walking":
            v = now.get("speed", Person.preferred_speed_mps) * r ** (1 / gait.CADENCE_SPEED_EXP)
        else:
            step_hz = (real - synthetic) / 60.0
            v = now.get("speed", gait.JOG_SPEED[0]) + step_hz / gait.RUN_STEP_SLOPE
        return {"speed": round(float(np.clip(v, 1.25 * lo, hi / 1.25)), 3)}
    if activity in ("stairs_up", "stairs_down"):
        i = now.get("intensity", 1.0) * r ** (1 / gait.STAIR_INTENSITY_EXP)
        return {"intensity": round(float(np.clip(i, 0.3, 2.0)), 3)}
    return None
