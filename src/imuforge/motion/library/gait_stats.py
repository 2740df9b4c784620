"""Gait signatures of body-worn IMU signals: the statistics used to compare synthetic gait with
real shank / thigh / trunk recordings (benchmarks/bench_motion_realism.py, tests/motion).

All functions take sensor-frame arrays (n, 3): specific force in m/s², angular rate in rad/s, and
the sample rate in Hz; they do not depend on how the data were made, so real recordings and the
ideal IMU of a synthetic Motion go through the same code.

Definitions (one stride = two steps; the principal gyro axis is the first principal component of
the angular rate, ≈ the medio-lateral axis for shank and thigh in gait):

* ``gyro_p95``: 95th percentile of |ω|.
* ``dyn_acc_rms`` / ``dyn_acc_p95``: RMS and 95th percentile of | |f| − g | (the dynamic part of
  the specific-force magnitude; orientation independent).
* ``main_peak``: median over strides of the largest rate on the principal axis (sign chosen so it
  is positive; for the shank this is the mid-swing peak).
* ``secondary_peak``: median over strides of the largest |rate| on the principal axis outside
  ± 20 % of a stride around the main peak (shank: contact and push-off pulses in stance).
* ``hf_share``: share of the power of |f| − mean above 10 Hz (Welch, 4 s segments).
* ``axis_spread``: standard deviation of the rate on the 2nd and 3rd principal axes (out-of-plane
  rotation).
* ``gyro_band_rms``: RMS of the rate band-passed to :data:`GYRO_BAND_HZ` (zero-phase 2nd-order Butterworth
  per axis, then the norm of the three): the quick turns and jolts above walking's stride and step
  frequencies — contact rocking, tremor, a loose device (running's step frequency, ≈ 2.8–3 Hz, sits at
  the band's lower edge and its harmonics inside it); NaN below a sample rate of 2.5 × the band's top or
  for less than 2 s of data.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import signal

from imuforge._zerophase import sosfiltfilt
from imuforge.units import STANDARD_GRAVITY as G0


def principal_axes(gyro: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal axes (3, 3) (rows, largest variance first) and the rate projected on them (n, 3)."""
    w = np.asarray(gyro, float)
    _, _, vt = np.linalg.svd(w - w.mean(axis=0), full_matrices=False)
    proj = w @ vt.T
    # sign: the largest excursion of the principal component is positive
    if proj[:, 0].max() < -proj[:, 0].min():
        vt[0] *= -1
        proj[:, 0] *= -1
    return vt, proj


def stride_peaks(x: np.ndarray, fs: float, stride_hz: float) -> np.ndarray:
    """Indices of the largest peak of ``x`` in each stride (peaks ≥ 0.7 strides apart)."""
    dist = max(int(0.7 * fs / stride_hz), 1)
    height = 0.5 * np.percentile(x, 99)
    idx, _ = signal.find_peaks(x, distance=dist, height=height)
    return idx


def hf_share(acc: np.ndarray, fs: float, f_cut: float = 10.0) -> float:
    """Share of the power of |f| − mean(|f|) above ``f_cut`` Hz."""
    m = np.linalg.norm(acc, axis=1)
    f, p = signal.welch(m - m.mean(), fs=fs, nperseg=min(len(m), int(4 * fs)))
    return float(p[f > f_cut].sum() / max(p.sum(), 1e-12))


#: the band (Hz) of ``gyro_band_rms``: above walking's stride and step frequencies (≈ 0.8–2.4 Hz), below
#: most devices' output band limit
GYRO_BAND_HZ = (3.0, 12.0)


def gyro_band_rms(gyro: np.ndarray, fs: float, band: tuple[float, float] = GYRO_BAND_HZ) -> float:
    """RMS (rad/s) of the rate band-passed to ``band`` per axis, then the norm (NaN when ``fs`` < 2.5 × the
    band's top, or under 2 s of data)."""
    if fs < 2.5 * band[1] or len(gyro) < int(2 * fs):
        return float("nan")
    sos = signal.butter(2, band, "bandpass", fs=fs, output="sos")
    w = sosfiltfilt(sos, np.asarray(gyro, float), axis=0)
    return float(np.sqrt(np.mean(np.sum(w**2, axis=1))))


#: window (s) and rate (rad/s) of :func:`still_windows`: a window whose rate, about its own mean, has an RMS
#: below the threshold is still (sensor noise of wearable gyroscopes is ≈ 1e-3 rad/s RMS in this band; the held
#: hand's tremor a few hundredths)
STILL_WINDOW_S = 2.56
STILL_RAD_S = 0.1


def still_windows(gyro: np.ndarray, fs: float) -> tuple[int, int]:
    """(still, all) non-overlapping :data:`STILL_WINDOW_S` windows of ``gyro``: still where the rate's RMS
    about the window's mean (norm over the axes) is under :data:`STILL_RAD_S`; a partial last window is
    not counted."""
    w = int(round(STILL_WINDOW_S * fs))
    k = len(gyro) // w if w > 0 else 0
    if k == 0:
        return 0, 0
    g = np.asarray(gyro[:k * w], float).reshape(k, w, -1)
    rms = np.sqrt(np.mean(np.sum((g - g.mean(axis=1, keepdims=True)) ** 2, axis=2), axis=1))
    return int(np.sum(rms < STILL_RAD_S)), k


def segment_stats(acc: np.ndarray, gyro: np.ndarray, fs: float, stride_hz: float) -> dict[str, float]:
    """The gait signature of one segment (see the module docstring)."""
    acc = np.asarray(acc, float)
    dyn = np.abs(np.linalg.norm(acc, axis=1) - G0)
    _, proj = principal_axes(gyro)
    w1 = proj[:, 0]
    pk = stride_peaks(w1, fs, stride_hz)
    half = int(0.2 * fs / stride_hz)
    sec = []
    for a, b in itertools.pairwise(pk):
        seg = np.abs(w1[a + half:b - half]) if b - a > 2 * half + 1 else np.zeros(1)
        sec.append(seg.max())
    return {
        "gyro_p95": float(np.percentile(np.linalg.norm(gyro, axis=1), 95)),
        "dyn_acc_rms": float(np.sqrt(np.mean(dyn**2))),
        "dyn_acc_p95": float(np.percentile(dyn, 95)),
        "main_peak": float(np.median(w1[pk])) if len(pk) else float("nan"),
        "secondary_peak": float(np.median(sec)) if sec else float("nan"),
        "hf_share": hf_share(acc, fs),
        "axis2_sd": float(proj[:, 1].std()),
        "axis3_sd": float(proj[:, 2].std()),
        "gyro_band_rms": gyro_band_rms(gyro, fs),
    }


def jerk_spikes(acc: np.ndarray, fs: float, factor: float = 6.0) -> float:
    """Largest |jerk| of the specific force over its 99th percentile (a contact spike gives ≫ ``factor``)."""
    j = np.linalg.norm(np.diff(np.asarray(acc, float), axis=0), axis=1) * fs
    return float(j.max() / max(np.percentile(j, 99), 1e-9))
