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
from imuforge.recording import Recording, window_norms
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


def has_gravity(recordings, threshold_mps2: float = 0.5 * STANDARD_GRAVITY) -> bool:
    """Whether the acc channels hold gravity: the median over 2 s windows of |mean f| exceeds ``threshold``.

    With gravity present the windowed mean keeps a magnitude near g in any posture; linear
    acceleration averages to near zero.
    """
    norms = window_norms(recordings)
    if not len(norms):
        raise ValidationError("no recording with acc channels", allowed="acc_x/y/z")
    return bool(np.median(norms) > threshold_mps2)


