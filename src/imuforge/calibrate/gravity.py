"""Gravity in the sensor frame: detection of gravity-removed captures and gravity removal.

Many phones and watches stream *linear acceleration* (Android ``TYPE_LINEAR_ACCELERATION``,
Core Motion ``userAcceleration``): the specific force minus the gravity their sensor fusion
estimates. Synthetic data hold the full specific force, so calibrating against such a capture
first needs the gravity taken out of the synthetic data in a comparable way.

:func:`gravity_in_sensor_frame` estimates gravity without a per-sample loop: the gyro is
integrated to an orientation by a parallel prefix product of per-sample rotations (log₂ n
vectorised matrix products), the specific force is rotated into that (drifting) frame, and a
zero-phase low-pass (default 0.2 Hz) of it — in which walking or running accelerations average
out while the slow gyro drift survives — is rotated back into the sensor frame. Without a gyro
it falls back to a low-pass of the specific force itself.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter
from scipy.spatial.transform import Rotation

from imuforge._zerophase import sosfiltfilt
from imuforge.errors import ValidationError
from imuforge.recording import Recording
from imuforge.units import STANDARD_GRAVITY


def integrate_gyro(gyro: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """Orientations (n, 3, 3) from body rates (n, 3) rad/s: ``R_k = R_{k−1} · exp(ω_k dt)``, ``R_0 = I``.

    Computed as an inclusive parallel prefix product (Hillis–Steele): ⌈log₂ n⌉ batched matrix
    products, no per-sample loop.
    """
    gyro = np.asarray(gyro, float)
    n = gyro.shape[0]
    dt = np.broadcast_to(np.asarray(dt, float), (n,))
    steps = Rotation.from_rotvec(gyro * dt[:, None]).as_matrix()
    steps[0] = np.eye(3)
    P = steps.copy()
    off = 1
    while off < n:
        P[off:] = P[:-off] @ P[off:]  # earlier factors on the left
        off *= 2
    return P


def _lowpass(x: np.ndarray, rate_hz: float, cutoff_hz: float) -> np.ndarray:
    cutoff = min(cutoff_hz, 0.45 * rate_hz)
    sos = butter(2, cutoff, fs=rate_hz, output="sos")
    pad = min(x.shape[0] - 1, int(3 * rate_hz / cutoff))
    return sosfiltfilt(sos, x, axis=0, padlen=max(0, pad))


def gravity_in_sensor_frame(acc: np.ndarray, gyro: np.ndarray | None, rate_hz: float,
                            cutoff_hz: float = 0.2) -> np.ndarray:
    """The gravity part (n, 3) of the specific force ``acc`` (m/s²), in the sensor frame.

    It is the part of ``acc`` that is constant in an inertial frame (see the module docstring).
    """
    acc = np.asarray(acc, float)
    if acc.shape[0] < 8:
        raise ValidationError(f"gravity estimate needs >= 8 samples, got {acc.shape[0]}")
    if gyro is None:
        return _lowpass(acc, rate_hz, cutoff_hz)
    R = integrate_gyro(gyro, 1.0 / rate_hz)
    f_ref = np.einsum("nij,nj->ni", R, acc)
    g_ref = _lowpass(f_ref, rate_hz, cutoff_hz)
    return np.einsum("nji,nj->ni", R, g_ref)  # Rᵀ g


def remove_gravity(rec: Recording, cutoff_hz: float = 0.2) -> Recording:
    """A copy of ``rec`` whose acc channels hold linear acceleration (specific force − gravity estimate)."""
    acc = rec.acc
    if acc is None:
        raise ValidationError("recording has no acc channels to remove gravity from", allowed="acc_x/y/z")
    if len(rec) < 8:
        return rec
    g = gravity_in_sensor_frame(acc, rec.gyro, rec.rate_hz, cutoff_hz)
    data = np.array(rec.data)
    idx = [rec.channels.index(f"acc_{a}") for a in "xyz"]
    data[:, idx] = acc - g
    prov = dict(rec.provenance)
    prov["gravity_removed"] = {"method": "gyro-integrated frame, zero-phase low-pass", "cutoff_hz": cutoff_hz}
    return rec.replace(data=data, provenance=prov)


def window_mean_norm(acc: np.ndarray, rate_hz: float, window_s: float = 2.0) -> np.ndarray:
    """|mean specific force| over consecutive windows (m/s²)."""
    n = max(1, int(round(window_s * rate_hz)))
    m = (acc.shape[0] // n) * n
    if m == 0:
        return np.linalg.norm(acc.mean(axis=0, keepdims=True), axis=1)
    return np.linalg.norm(acc[:m].reshape(-1, n, 3).mean(axis=1), axis=1)


#: no MEMS gyroscope measures more than 2000 °/s (34.9 rad/s, the largest full scale of the project's chips):
#: rates above this are deg/s read as rad/s
MAX_GYRO_RAD_S = 35.0


def check_si_units(recordings, what: str = "real capture") -> None:
    """Refuse recordings whose figures cannot be SI: an accelerometer whose mean over 2 s windows reads
    0.7–1.4 in nine windows of ten (gravity in g: in m/s² gravity reads ≈ 9.8, linear acceleration ≈ 0),
    or rates above :data:`MAX_GYRO_RAD_S` (deg/s; the 99.9th percentile of each axis: not one glitch).
    Calibrating them would strip "linear acceleration"'s gravity and map synthetic rates onto degrees."""
    norms = _window_norms(recordings)
    if len(norms) and np.mean((norms > 0.7) & (norms < 1.4)) >= 0.9:
        raise ValidationError(f"the {what}'s acceleration reads {np.median(norms):.2f} in every posture: "
                              "gravity in g, not m/s²",
                              allowed="accelerations in m/s² (multiply g by 9.80665)")
    rates = [np.percentile(np.abs(r.gyro), 99.9) for r in recordings if r.gyro is not None and len(r) > 0]
    if rates and max(rates) > MAX_GYRO_RAD_S:
        raise ValidationError(f"the {what}'s rates reach {max(rates):.0f} rad/s, more than any MEMS "
                              f"gyroscope measures ({MAX_GYRO_RAD_S:g} rad/s = 2000 °/s): deg/s, not rad/s",
                              allowed="rates in rad/s (multiply deg/s by π/180)")


def has_gravity(recordings, threshold_mps2: float = 0.5 * STANDARD_GRAVITY) -> bool:
    """Whether the acc channels hold gravity: the median over 2 s windows of |mean f| exceeds ``threshold``.

    With gravity present the windowed mean keeps a magnitude near g in any posture; linear
    acceleration averages to near zero.
    """
    norms = _window_norms(recordings)
    if not len(norms):
        raise ValidationError("no recording with acc channels", allowed="acc_x/y/z")
    return bool(np.median(norms) > threshold_mps2)


def _window_norms(recordings) -> np.ndarray:
    """:func:`window_mean_norm` of every recording that has acc channels and samples, one array."""
    norms = [window_mean_norm(r.acc, r.rate_hz) for r in recordings if r.acc is not None and len(r) > 0]
    return np.concatenate(norms) if norms else np.zeros(0)
