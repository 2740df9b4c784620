"""Resampling of Recordings that keeps gaps as gaps (used by windowing and calibration).

Each gap-free stretch is first put on a uniform grid at the recording's own rate (linear
interpolation over timestamp jitter and gaps shorter than ``max_gap_periods``), then converted
with a polyphase anti-aliasing FIR (:func:`scipy.signal.resample_poly`). Samples after a gap stay
at their true times, so label segments stay aligned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from imuforge.errors import ValidationError
from imuforge.recording import Recording


def stretches(ts: np.ndarray, rate_hz: float, max_gap_periods: float) -> list[slice]:
    """Index slices of contiguous stretches (split where the interval exceeds the max gap)."""
    if ts.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(ts) > max_gap_periods / rate_hz) + 1
    edges = np.concatenate([[0], breaks, [ts.size]])
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b - a >= 2]


def _ratio(src_hz: float, dst_hz: float) -> Fraction:
    return Fraction(dst_hz / src_hz).limit_denominator(1000)


def resample_stretches(recording: Recording, rate_hz: float, channels: Sequence[str], *,
                       max_gap_periods: float = 3.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Resample each contiguous stretch of ``recording`` onto a uniform grid at ``rate_hz``.

    Returns ``[(times_s, data), …]``, one per stretch, ``data`` of shape (n, len(channels)) in SI.
    A stretch is first put on a uniform grid at the recording's own rate (linear interpolation
    over jitter and short gaps), then converted with a polyphase anti-aliasing FIR.
    """
    rec = recording.pick(channels)
    out = []
    for sl in stretches(rec.timestamps, rec.rate_hz, max_gap_periods):
        t = rec.timestamps[sl]
        d = rec.data[sl]
        n_src = int(math.floor((t[-1] - t[0]) * rec.rate_hz + 1e-9)) + 1
        if n_src < 2:  # a lone sample between gaps (or two, jittered, < 1 period apart): its line fit is NaN
            continue
        grid = t[0] + np.arange(n_src) / rec.rate_hz
        if grid.size != t.size or not np.allclose(grid, t, atol=0.05 / rec.rate_hz, rtol=0):
            d = np.column_stack([np.interp(grid, t, d[:, i]) for i in range(d.shape[1])]) if d.size else d
        if abs(rec.rate_hz - rate_hz) > 1e-9 * rate_hz:
            r = _ratio(rec.rate_hz, rate_hz)
            d = resample_poly(d, r.numerator, r.denominator, axis=0, padtype="line")
            new_times = t[0] + np.arange(d.shape[0]) / rate_hz
        else:
            new_times = grid
        out.append((new_times, np.asarray(d, dtype=np.float64)))
    return out




def resample(recording: Recording, rate_hz: float, *, max_gap_periods: float = 3.0) -> Recording:
    """``recording`` at ``rate_hz``, gaps kept (see the module docstring). Stretches of fewer than
    2 samples are dropped and counted in the provenance."""
    if not (rate_hz > 0 and math.isfinite(rate_hz)):
        raise ValidationError(f"rate_hz must be a positive number, got {rate_hz!r}")
    if abs(recording.rate_hz - rate_hz) <= 1e-6 * rate_hz:
        return recording
    parts = resample_stretches(recording, rate_hz, recording.channels, max_gap_periods=max_gap_periods)
    if not parts:
        raise ValidationError(f"no stretch of the recording is long enough to resample ({len(recording)} samples)")
    ts = np.concatenate([t for t, _ in parts])
    data = np.concatenate([d for _, d in parts])
    keep = np.concatenate([[True], np.diff(ts) > 0])  # a stretch's tail never overlaps the next one
    prov = dict(recording.provenance)
    prov["resampled"] = {"from_hz": recording.rate_hz, "to_hz": float(rate_hz), "stretches": len(parts),
                         "samples_in_too_short_stretches": len(recording) - sum(
                             sl.stop - sl.start for sl in stretches(recording.timestamps, recording.rate_hz,
                                                                    max_gap_periods))}
    return recording.replace(timestamps=ts[keep], data=data[keep], rate_hz=float(rate_hz), provenance=prov)
