"""Motion → ideal IMU: specific force, angular velocity and magnetic field in the sensor frame.

Method
------
Joint positions and segment quaternions are fitted with *quintic interpolating B-splines*
(``scipy.interpolate.make_interp_spline``, k=5) over the motion's frame times and differentiated
analytically. Quintic splines are C⁴, so acceleration (2nd derivative) is smooth rather than the
piecewise-linear acceleration of a cubic spline, and they reproduce polynomials up to degree 5
exactly; on smooth motion (generated motion, text-to-motion output at 20 fps) the derivative error
falls as h⁴ (see tests). Raw optical mocap carries marker noise that any double differentiation
amplifies (noise × (2πf)²): pass ``smoothing_hz`` to low-pass the input first with a zero-phase
Butterworth filter (Winter, *Biomechanics and Motor Control of Human Movement*, recommends ≈6 Hz
for gait marker data). Evaluating the splines at arbitrary times upsamples to the simulation rate.

Rotation: quaternions are made sign-continuous, splined component-wise and *not* renormalised
before differentiation; the formulas below are exact for a non-unit quaternion ``q`` and give
the rates directly in the segment frame (``q*`` on the left)::

    ω_s = 2 vec(q* q̇) / |q|²
    α_s = 2 vec(q* q̈) / |q|² − ω_s · 2 (q·q̇) / |q|²      (= Rᵀ α_world)

A sensor at offset ``r`` (segment frame) from its anchor joint moves with
``a = p̈_anchor + α × r_w + ω × (ω × r_w)`` with ``r_w = R_segment r`` (tangential and centripetal
lever-arm terms); in the segment frame that is ``Rᵀ p̈_anchor + α_s × r + ω_s × (ω_s × r)``.
Specific force is ``f = Rᵀ (a − g)`` with ``g = (0, −9.80665, 0)`` m/s², so a still sensor whose
axis points up reads +9.80665 m/s² on that axis; the sensor's mount rotation is applied last.

All positions and quaternions share one spline fit (one factorisation of the collocation
matrix). On a uniform output grid (rate = L × fps) the spline is a uniform-knot quintic B-spline
evaluated as a polyphase 6-tap filter (:func:`_cardinal_quintic`).

Implementation: the per-sample work runs in the compiled kernel :mod:`imuforge.sensors._kernels`
(C99, built by ``setup.py``) when it is available — one fused loop per output sample does the
spline evaluation and all of the rigid-body algebra below, with no temporaries. The numpy code in
this module is the reference and the fallback (``backend="numpy"``, or automatically when the
extension is not built); both agree to ~1e-14 relative (tests/sensors/test_kernels.py).
``benchmarks/bench_simulator.py`` measures the speed of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.interpolate import BSpline, make_interp_spline
from scipy.signal import butter

from imuforge._zerophase import sosfiltfilt
from imuforge.errors import ValidationError
from imuforge.sensors.hardware import steady_state_zi
from imuforge.motion.motion import MIN_FRAMES, MIN_FRAMES_ALLOWED, Motion
from imuforge.sensors.placement import Placement, get_placement
from imuforge.units import DEG, STANDARD_GRAVITY

try:  # the fused C loops (setup.py builds them); the numpy code below is the reference and fallback
    from imuforge.sensors import _kernels
except ImportError:  # pragma: no cover - depends on the build
    _kernels = None

BACKENDS = ("auto", "c", "numpy")
"""``backend`` values of :func:`ideal_imu`: ``auto`` uses the C kernel when it is built."""


def kernel_available() -> bool:
    """True when the compiled kernel :mod:`imuforge.sensors._kernels` is importable."""
    return _kernels is not None


def use_kernel(backend: str) -> bool:
    """Whether ``backend`` ("auto", "c", "numpy") selects the C kernel; "c" without it is an error."""
    if backend not in BACKENDS:
        raise ValidationError(f"unknown backend {backend!r}", allowed=", ".join(BACKENDS))
    if backend == "c" and _kernels is None:
        raise ValidationError("backend='c' but the C kernel imuforge.sensors._kernels is not built",
                              allowed="pip install -e . with a C compiler, or backend='auto'/'numpy'")
    return backend != "numpy" and _kernels is not None

GRAVITY_WORLD = np.array([0.0, -STANDARD_GRAVITY, 0.0])
"""Gravitational acceleration in the world frame (y up), m/s²."""


@dataclass(frozen=True)
class EarthField:
    """The geomagnetic field, for the virtual magnetometer.

    ``intensity_ut`` total field (µT), ``inclination_deg`` dip below the horizontal (positive in
    the northern hemisphere), ``declination_deg`` east of north. Magnetic north is the world +z
    axis (the rest pose faces north) rotated by the declination about +y. Defaults are a
    mid-European field (≈ 49 µT, dip 65°; NOAA WMM 2025 for 50° N 10° E).
    """

    intensity_ut: float = 49.0
    inclination_deg: float = 65.0
    declination_deg: float = 3.0

    def vector(self) -> np.ndarray:
        """Field in the world frame (µT)."""
        inc, dec = self.inclination_deg * DEG, self.declination_deg * DEG
        h = self.intensity_ut * np.cos(inc)
        # north = +z; east = −x when +y is up and +z is north (x = y × z points west)
        return np.array([-h * np.sin(dec), -self.intensity_ut * np.sin(inc), h * np.cos(dec)])


@dataclass(frozen=True)
class IdealImu:
    """Ideal sensor outputs for P placements at n times.

    ``acc`` specific force (P, n, 3) m/s²; ``gyro`` angular velocity (P, n, 3) rad/s;
    ``mag`` magnetic field (P, n, 3) µT; all in each sensor's own frame. ``times`` (n,) s.
    """

    times: np.ndarray
    placements: tuple[Placement, ...]
    acc: np.ndarray
    gyro: np.ndarray
    mag: np.ndarray


# ------------------------------------------------------------------ quaternion helpers (xyzw)
def _conj_mul_vec(q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Vector part of q* ⊗ p for component-major (n, 4, S) quaternions (x, y, z, w) → (n, 3, S).

    vec(q* p) = q_w p_v − p_w q_v − q_v × p_v.
    """
    qx, qy, qz, qw = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    px, py, pz, pw = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    return np.stack([
        qw * px - pw * qx - (qy * pz - qz * py),
        qw * py - pw * qy - (qz * px - qx * pz),
        qw * pz - pw * qz - (qx * py - qy * px),
    ], axis=1)


def _rotation_transposed(q: np.ndarray, qn2: np.ndarray) -> np.ndarray:
    """Rᵀ (world → segment) of component-major (n, 4, S) quaternions of squared norm ``qn2`` → (n, 3, 3, S)."""
    s = 2.0 / qn2
    x, y, z, w = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    xx, yy, zz = s * x * x, s * y * y, s * z * z
    xy, xz, yz, xw, yw, zw = s * x * y, s * x * z, s * y * z, s * x * w, s * y * w, s * z * w
    return np.stack([
        np.stack([1 - (yy + zz), xy + zw, xz - yw], axis=1),
        np.stack([xy - zw, 1 - (xx + zz), yz + xw], axis=1),
        np.stack([xz + yw, yz - xw, 1 - (xx + yy)], axis=1),
    ], axis=1)


def _rotate(m: np.ndarray, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """m @ v for (…, 3, 3, P) matrices and (…, 3, P) vectors, component-wise → (n, 3, P) (or into ``out``)."""
    if out is None:
        out = np.empty((max(m.shape[0], v.shape[0]), 3, max(m.shape[-1], v.shape[-1])))
    for i in range(3):
        np.multiply(m[:, i, 0], v[:, 0], out=out[:, i])
        out[:, i] += m[:, i, 1] * v[:, 1]
        out[:, i] += m[:, i, 2] * v[:, 2]
    return out


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a × b for (…, 3, P) arrays (component axis 1)."""
    return np.stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
                     a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                     a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], axis=1)


# ------------------------------------------------------------ uniform-grid fast path (cardinal spline)
_PAD = 40
"""Samples added at each end by degree-5 polynomial extrapolation before the prefilter (see
:func:`_cardinal_quintic`): the recursive prefilter's slowest pole is z = −0.4306, so the mirror
boundary beyond the padding reaches the first real sample attenuated by 0.4306⁴⁰ ≈ 2e-15."""


def _bspline5(x: np.ndarray, deriv: int = 0) -> np.ndarray:
    """Centred quintic B-spline β⁵ (support [−3, 3]) or its 1st/2nd derivative at ``x``.

    β⁵(x) = 1/5! Σⱼ (−1)ʲ C(6, j) (x + 3 − j)₊⁵; differentiating the truncated powers gives the
    derivatives.
    """
    from math import comb, factorial

    x = np.asarray(x, dtype=float)
    p = 5 - deriv
    scale = factorial(5) // factorial(p)  # d^k/dx^k of y^5 = 5!/(5-k)! y^(5-k)
    out = np.zeros_like(x)
    for j in range(7):
        y = x + 3.0 - j
        out += (-1) ** j * comb(6, j) * np.where(y > 0, y, 0.0) ** p * scale
    return out / factorial(5)


@lru_cache(maxsize=64)
def _polyphase_taps(L: int, order: int) -> np.ndarray:
    """(L, 6) weights of β⁵ (or its derivative) on coefficients m−2 … m+3 at x = m + φ/L, in 1/frame^order."""
    u = np.arange(L)[:, None] / L
    taps = _bspline5(u - np.arange(-2, 4)[None, :], order)
    taps.setflags(write=False)
    return taps


def _extrapolation_weights(n_pad: int) -> np.ndarray:
    """(n_pad, 6) Lagrange weights: the degree-5 polynomial through samples 0…5 at −1 … −n_pad."""
    nodes = np.arange(6.0)
    xs = -np.arange(1.0, n_pad + 1.0)
    w = np.ones((n_pad, 6))
    for j in range(6):
        for m in range(6):
            if m != j:
                w[:, j] *= (xs - nodes[m]) / (nodes[j] - nodes[m])
    return w


_EXTRAP = _extrapolation_weights(_PAD)


def uniform_grid_factor(frame_dt: float, times: np.ndarray, n_frames: int) -> tuple[int, int] | None:
    """``(L, j0)`` if ``times[j] == (j0 + j) · frame_dt / L`` for an integer upsampling factor L ≥ 1.

    Tolerance: 1e-9 of the output step. Returns None for any other set of times (the general
    spline path is used then).
    """
    n = times.size
    if n < 2 or n_frames < 6:
        return None
    step = (times[-1] - times[0]) / (n - 1)
    if not step > 0:
        return None
    L = int(round(frame_dt / step))
    if L < 1 or L > 64:
        return None
    step = frame_dt / L
    j0 = int(round(times[0] / step))
    if abs(times[0] - j0 * step) > 1e-9 * step or j0 < 0 or j0 + n - 1 > (n_frames - 1) * L:
        return None
    grid = (j0 + np.arange(n)) * step
    if np.max(np.abs(times - grid)) > 1e-9 * step:
        return None
    return L, j0


def _cardinal_coefficients(values: np.ndarray) -> np.ndarray:
    """(C, n_frames + 2·PAD) quintic B-spline coefficients of the (n_frames, C) ``values``.

    Each end is padded with :data:`_PAD` samples of the degree-5 polynomial through the six end
    samples (so polynomials up to degree 5 are reproduced exactly, also at the edges: the edge
    behaviour matches a not-a-knot-like end condition), then samples become coefficients through
    the O(n) recursive quintic prefilter (``scipy.ndimage.spline_filter1d``). Frame k is
    coefficient ``PAD + k``.
    """
    from scipy.ndimage import spline_filter1d

    left, right = _edge_padding(values)
    padded = np.concatenate([left, values, right], axis=0).T  # (C, n): filter along contiguous rows
    return spline_filter1d(np.ascontiguousarray(padded), order=5, axis=1, mode="mirror")


def _edge_padding(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(PAD, C) samples −PAD … −1 and n … n+PAD−1: the degree-5 polynomials through the six end frames.

    Shared by the numpy and C paths (the extrapolation 40 frames out is ill-conditioned, so both
    use the very same floating-point expression).
    """
    left = (_EXTRAP @ values[:6])[::-1]
    right = _EXTRAP @ values[:-7:-1]  # mirror of the left formula
    return np.ascontiguousarray(left), right


def _cardinal_quintic(values: np.ndarray, frame_dt: float, L: int, j0: int, n_out: int,
                      derivs: Sequence[tuple[int, slice]], coef: np.ndarray | None = None) -> list[np.ndarray]:
    """Quintic interpolating spline with uniform knots at the frames, evaluated on a uniform grid.

    ``values`` (n_frames, C) samples at ``k · frame_dt``. Output instants are ``(j0 + j) ·
    frame_dt / L`` for ``j < n_out``. ``derivs`` lists (derivative order 0–2, column slice) pairs;
    returns one (n_out, columns) array per pair, in the units of ``values`` per second^order.

    Method: coefficients from :func:`_cardinal_coefficients` (or ``coef``), then each output
    phase is evaluated as a 6-tap FIR with precomputed β⁵ weights (``correlate1d``) — a polyphase
    interpolator, no per-point knot search.
    """
    from scipy.ndimage import correlate1d

    if coef is None:
        coef = _cardinal_coefficients(values)
    n_cols = coef.shape[0]
    outs = [np.empty((n_out, (sl.stop if sl.stop is not None else n_cols) - (sl.start or 0)))
            for _, sl in derivs]
    ucoef = {id(sl): coef[sl] for _, sl in derivs}
    for phase in range(L):
        first = j0 + ((phase - j0) % L)  # first global output index with this phase
        if first - j0 >= n_out:
            continue
        count = (n_out - 1 - (first - j0)) // L + 1
        m0 = first // L  # frame interval of that output
        for (order, sl), out in zip(derivs, outs):
            # coefficients m−2 … m+3 contribute at x = m + phase/L
            taps = _polyphase_taps(L, order)[phase] / frame_dt ** order
            # correlate1d (size 6, origin 0): o[k] = Σ_i taps[i] c[k + i − 3]; we want
            # Σ_i taps[i] c[PAD + m + i − 2], i.e. k = PAD + m + 1
            full = correlate1d(ucoef[id(sl)], taps, axis=1, mode="nearest")
            k0 = _PAD + m0 + 1
            out[first - j0::L] = full[:, k0:k0 + count].T
    return outs


# ------------------------------------------------------------------------------- shared set-up
@dataclass
class _Prepared:
    """Validated inputs of one kinematics evaluation (see :func:`_prepare`)."""

    pls: tuple[Placement, ...]
    times: np.ndarray
    field_w: np.ndarray
    U: int
    S: int
    seg_inv: np.ndarray
    anc_inv: np.ndarray
    padded: np.ndarray
    columns: np.ndarray
    offsets: np.ndarray
    mounts: np.ndarray
    mt: np.ndarray | None
    lever: bool
    fps: float

    def layout(self) -> tuple:
        """The kernel's placement layout: U, S, lever, anchor/segment column, lever arms, mountᵀ, field, g."""
        return (self.U, self.S, self.lever, np.ascontiguousarray(self.anc_inv, dtype=np.int64),
                np.ascontiguousarray(self.seg_inv, dtype=np.int64), np.ascontiguousarray(self.offsets),
                self.mt, np.ascontiguousarray(self.field_w, dtype=float), GRAVITY_WORLD)

    def prefilter(self, L: int) -> np.ndarray:
        """Turn ``padded`` into cardinal quintic coefficients in place (C kernel); the (3, L, 6) taps in 1/s^order."""
        nf = self.columns.shape[0]
        self.padded[:_PAD], self.padded[_PAD + nf:] = _edge_padding(self.columns)
        _kernels.quintic_prefilter(self.padded, self.padded.shape[0], self.padded.shape[1])
        return np.ascontiguousarray(np.stack([_polyphase_taps(L, o) * self.fps ** o for o in range(3)]))


def _prepare(motion: Motion, placements, rate_hz: float | None, times: np.ndarray | None,
             earth_field: EarthField | None, smoothing_hz: float | None, kernel: bool) -> _Prepared:
    """Validate the arguments of :func:`ideal_imu` and gather the spline's input columns."""
    if isinstance(placements, (str, Placement)):
        placements = [placements]
    pls = tuple(get_placement(p) for p in placements)
    if not pls:
        raise ValidationError("ideal_imu needs at least one placement")
    if motion.n_frames < MIN_FRAMES:
        source = motion.meta.get("source") if isinstance(motion.meta, dict) else None
        raise ValidationError(f"the motion holds {motion.n_frames} frame(s): too short to simulate",
                              source=str(source) if source else None, allowed=MIN_FRAMES_ALLOWED)
    if times is None:
        if rate_hz is None:
            rate_hz = motion.fps
        if not rate_hz > 0:
            raise ValidationError(f"rate_hz must be > 0, got {rate_hz}")
        times = np.arange(int(np.floor(motion.duration_s * rate_hz + 1e-9)) + 1) / rate_hz
    times = np.asarray(times, dtype=float)
    if times.size and (times.min() < -1e-9 or times.max() > motion.duration_s + 1e-9):
        raise ValidationError(
            f"output times span [{times.min():.4f}, {times.max():.4f}] s outside the motion",
            allowed=f"[0, {motion.duration_s:.4f}] s",
        )
    field_w = (earth_field or EarthField()).vector()

    seg_idx, anchor_idx = zip(*(p.joints(motion.skeleton) for p in pls))
    useg, seg_inv = np.unique(seg_idx, return_inverse=True)
    uanc, anc_inv = np.unique(anchor_idx, return_inverse=True)

    # One spline for every column (anchor positions, then segment quaternions component-major):
    # the collocation matrix is factorised once, and the fit is column-wise, so this is the same
    # spline as fitting each column alone. Built in place: one gather per input array.
    U, S = uanc.size, useg.size
    nf = motion.n_frames
    # the columns live inside the (PAD + nf + PAD, C) array the fast path prefilters in place
    padded = np.empty((nf + 2 * _PAD, 3 * U + 4 * S))
    columns = padded[_PAD:_PAD + nf]
    if kernel:
        mpos = np.ascontiguousarray(motion.positions, dtype=float)
        mori = np.ascontiguousarray(motion.orientations, dtype=float)
        _kernels.spline_columns(mpos, nf, mpos.shape[1], mori, mori.shape[1], uanc.astype(np.int64),
                                useg.astype(np.int64), columns)
    else:
        columns[:, :3 * U].reshape(nf, U, 3)[...] = motion.positions[:, uanc, :]
        quat_cm = columns[:, 3 * U:].reshape(nf, 4, S)  # view: (frame, component x y z w, segment)
        quat_cm[...] = motion.orientations[:, useg, :].transpose(0, 2, 1)
        # sign continuity: flip so consecutive frames share a hemisphere
        dots = np.einsum("fks,fks->fs", quat_cm[1:], quat_cm[:-1])
        if np.any(dots < 0):
            flips = np.ones((nf, S))
            flips[1:][dots < 0] = -1.0
            quat_cm *= np.cumprod(flips, axis=0)[:, None, :]
    if smoothing_hz is not None:
        if not 0 < smoothing_hz < motion.fps / 2:
            raise ValidationError(f"smoothing_hz={smoothing_hz} must lie in (0, fps/2 = {motion.fps / 2})")
        sos = butter(4, smoothing_hz, fs=motion.fps, output="sos")
        columns[...] = sosfiltfilt(sos, columns, axis=0)
    offsets = np.array([p.offset_m for p in pls], dtype=float)  # (P, 3) segment frame
    mounts = np.stack([p.rotation for p in pls])  # (P, 3, 3) sensor → segment
    identity = np.array_equal(mounts, np.broadcast_to(np.eye(3), mounts.shape))
    return _Prepared(pls=pls, times=times, field_w=field_w, U=U, S=S, seg_inv=seg_inv, anc_inv=anc_inv,
                     padded=padded, columns=columns, offsets=offsets, mounts=mounts,
                     mt=None if identity else np.ascontiguousarray(mounts.transpose(0, 2, 1)),
                     lever=bool(np.any(offsets != 0.0)), fps=motion.fps)


def filtered_ideal_samples(motion: Motion, placements: Sequence[str | Placement], times: np.ndarray,
                           sources: Sequence[str], filters: Sequence[np.ndarray | None],
                           positions: Sequence[np.ndarray], *, earth_field: EarthField | None = None,
                           smoothing_hz: float | None = None) -> list[np.ndarray] | None:
    """Ideal outputs on a uniform grid, each low-passed causally and read at fractional grid positions.

    The compiled kernel's one-pass form of ``ideal_imu(motion, placements, times=times)`` → a
    steady-state-started ``sosfilt`` per stream → ``resample_uniform`` at each placement's positions
    (the simulator's hot path, :func:`imuforge.sensors.simulate.simulate_many`); the grid-rate
    outputs are never stored. ``sources`` name the streams per placement ("acc", "gyro", "mag"),
    ``filters`` their second-order sections (None: read unfiltered), ``positions[p]`` the ascending
    sample positions (in grid samples) of placement p. Returns one (len(positions[p]), 3·M) array
    per placement, or None when the kernel is not built or ``times`` is not a uniform grid that
    divides the frame step (the caller then takes the numpy route).
    """
    if _kernels is None or len(times) < 4:
        return None
    grid = uniform_grid_factor(1.0 / motion.fps, np.asarray(times, dtype=float), motion.n_frames)
    if grid is None:
        return None
    L, j0 = grid
    pr = _prepare(motion, placements, None, times, earth_field, smoothing_hz, True)
    P, n, M = len(pr.pls), pr.times.size, len(sources)
    taps = pr.prefilter(L)
    layout = pr.layout()
    # the filters start in steady state on the first grid sample (as hardware.lowpass)
    x0 = [np.empty((P, 1, 3)) for _ in range(3)]
    _kernels.cardinal_imu(pr.padded, pr.padded.shape[0], L, j0, 1, _PAD, taps, *layout, *x0)
    src = np.array([("acc", "gyro", "mag").index(name) for name in sources], dtype=np.int64)
    n_sec = max((len(f) for f in filters if f is not None), default=1)
    sos = np.zeros((n_sec, P, M, 3, 6))
    sos[..., 0] = sos[..., 3] = 1.0  # identity sections pad shorter cascades and unfiltered streams
    zi = np.zeros((n_sec, 2, P, M, 3))
    for q, f in enumerate(filters):
        if f is not None:
            sos[:len(f), :, q] = f[:, None, None, :]
            zi[:len(f), :, :, q] = steady_state_zi(f)[:, :, None, None] * x0[src[q]][None, None, :, 0, :]
    pos = np.concatenate([np.asarray(p_, dtype=float) for p_ in positions])
    offs = np.concatenate([[0], np.cumsum([len(p_) for p_ in positions])]).astype(np.int64)
    out = np.empty((pos.size, 3 * M))
    _kernels.cardinal_sim(pr.padded, pr.padded.shape[0], L, j0, n, _PAD, taps, *layout, src,
                          np.ascontiguousarray(np.moveaxis(sos, -1, 1)), n_sec, zi, pos, offs, out)
    return [out[offs[p]:offs[p + 1]] for p in range(P)]


# ------------------------------------------------------------------------------- main entry
def ideal_imu(
    motion: Motion,
    placements: Sequence[str | Placement] | str | Placement,
    *,
    rate_hz: float | None = None,
    times: np.ndarray | None = None,
    earth_field: EarthField | None = None,
    smoothing_hz: float | None = None,
    fast: bool = True,
    backend: str = "auto",
) -> IdealImu:
    """Ideal IMU outputs of one or many placements, in one vectorised call.

    Parameters
    ----------
    motion : Motion
        Any frame rate (≥ 6 frames are needed for the quintic spline).
    placements : placement name(s) or Placement(s)
    rate_hz : float, optional
        Output rate (Hz); samples at ``k / rate_hz`` within the motion's span.
    times : array, optional
        Explicit output times (s, within ``[0, motion.duration_s]``); overrides ``rate_hz``.
    earth_field : EarthField, optional
        Defaults to :class:`EarthField` ().
    smoothing_hz : float, optional
        Zero-phase Butterworth low-pass (4th order) applied to the motion before the spline
        fit, for noisy mocap. None (default) for clean input.
    fast : bool
        Use the uniform-grid fast path when the output times are ``(j0 + j) / (L · fps)`` for an
        integer L ≥ 1 (e.g. ``rate_hz`` = L × fps): a uniform-knot quintic spline evaluated as a
        polyphase FIR (see :func:`_cardinal_quintic`). It agrees with the general
        (``make_interp_spline``, not-a-knot) path to rounding in the interior; within ~10
        frames of either end the two end conditions differ by a fraction of the h⁴ truncation
        error (both reproduce polynomials up to degree 5 exactly). ``False`` forces the general
        path.
    backend : {"auto", "c", "numpy"}
        ``auto`` (default) runs the per-sample work in the compiled kernel
        (:mod:`imuforge.sensors._kernels`: spline evaluation and rigid-body algebra fused in one
        pass) when it is built, else in numpy; ``numpy`` forces the reference implementation;
        ``c`` requires the kernel. Both give the same values to ~1e-15 relative
        (tests/sensors/test_kernels.py).
    """
    kernel = use_kernel(backend)
    pr = _prepare(motion, placements, rate_hz, times, earth_field, smoothing_hz, kernel)
    pls, times, field_w, U, S, n = pr.pls, pr.times, pr.field_w, pr.U, pr.S, pr.times.size
    seg_inv, anc_inv, columns, offsets, mounts, lever = pr.seg_inv, pr.anc_inv, pr.columns, pr.offsets, \
        pr.mounts, pr.lever
    t_frames, k = motion.times, 5
    grid = uniform_grid_factor(1.0 / motion.fps, times, motion.n_frames) if fast else None
    P = len(pls)
    identity = pr.mt is None  # sensor axes = segment axes
    f, g, m = np.empty((P, n, 3)), np.empty((P, n, 3)), np.empty((P, n, 3))
    if kernel:
        args = (*pr.layout(), f, g, m)
        if grid is not None and n:
            L, j0 = grid
            taps = pr.prefilter(L)
            _kernels.cardinal_imu(pr.padded, pr.padded.shape[0], L, j0, n, _PAD, taps, *args)
            return IdealImu(times=times, placements=pls, acc=f, gyro=g, mag=m)
    if grid is not None:  # uniform output grid, L outputs per frame: polyphase cardinal spline
        qcols = slice(3 * U, 3 * U + 4 * S)
        d2, q, qd = _cardinal_quintic(columns, 1.0 / motion.fps, grid[0], grid[1], n,
                                      [(2, slice(0, 3 * U + (4 * S if lever else 0))), (0, qcols),
                                       (1, qcols)])
        q, qd = q.reshape(n, 4, S), qd.reshape(n, 4, S)
    else:
        spline = make_interp_spline(t_frames, columns, k=k)
        quat_only = BSpline.construct_fast(spline.t, np.ascontiguousarray(spline.c[:, 3 * U:]), k)
        d2 = spline(times, 2) if lever else BSpline.construct_fast(
            spline.t, np.ascontiguousarray(spline.c[:, :3 * U]), k)(times, 2)
        q = quat_only(times).reshape(n, 4, S)  # (n, component x y z w, segment)
        qd = quat_only(times, 1).reshape(n, 4, S)
    acc_anchor = d2[:, :3 * U].reshape(n, U, 3)
    qdd = d2[:, 3 * U:].reshape(n, 4, S) if lever else None
    if kernel:
        _kernels.state_imu(np.ascontiguousarray(q), np.ascontiguousarray(qd),
                           None if qdd is None else np.ascontiguousarray(qdd), np.ascontiguousarray(acc_anchor),
                           n, *args)
        return IdealImu(times=times, placements=pls, acc=f, gyro=g, mag=m)

    mt = mounts.transpose(2, 1, 0)[None]  # (1, 3, 3, P): segment → sensor, i.e. mountᵀ
    r = offsets.T[None]  # (1, 3, P) lever arms, segment frame
    # The per-sample algebra runs on blocks of samples small enough for the ~30 temporaries to
    # stay in cache (memory traffic, not arithmetic, bounds it on long outputs).
    block = max(256, 8192 // max(S, P))
    for b0 in range(0, n, block):
        sl = slice(b0, min(n, b0 + block))
        _sensor_block(q[sl], qd[sl], None if qdd is None else qdd[sl], acc_anchor[sl], seg_inv, anc_inv, r,
                      field_w, None if identity else mt, f[:, sl], g[:, sl], m[:, sl])
    return IdealImu(times=times, placements=pls, acc=f, gyro=g, mag=m)


def ideal_imu_and_fields(motion: Motion, placements: Sequence[str | Placement], times: np.ndarray,
                         fields: Sequence[EarthField], *, earth_field: EarthField | None = None,
                         smoothing_hz: float | None = None, backend: str = "auto"
                         ) -> tuple[IdealImu, list[np.ndarray]]:
    """:func:`ideal_imu` at ``times`` and, for each of ``fields``, the ``mag`` that a call with that field as
    ``earth_field`` gives (the field in each sensor's frame, (P, n, 3); e.g. gravity for a loose device's
    wobble). With the kernel on a uniform grid the motion's spline is prepared once for all of them (the
    same coefficients, so the same bits as separate calls); otherwise one call per field."""
    kernel = use_kernel(backend)
    grid = uniform_grid_factor(1.0 / motion.fps, np.asarray(times, dtype=float), motion.n_frames)
    if not (kernel and grid is not None and len(times)):
        ideal = ideal_imu(motion, placements, times=times, earth_field=earth_field, smoothing_hz=smoothing_hz,
                          backend=backend)
        return ideal, [ideal_imu(motion, placements, times=times, earth_field=f, smoothing_hz=smoothing_hz,
                                 backend=backend).mag for f in fields]
    pr = _prepare(motion, placements, None, times, earth_field, smoothing_hz, kernel)
    L, j0 = grid
    taps = pr.prefilter(L)
    n, P = pr.times.size, len(pr.pls)
    acc, gyro, mag = np.empty((P, n, 3)), np.empty((P, n, 3)), np.empty((P, n, 3))
    # the other fields' mags from the same pass: the same rotations, so the bits of a pass per field
    # (the spline and the specific force and rate not evaluated again for each)
    others = np.ascontiguousarray([f.vector() for f in fields], dtype=float).reshape(len(fields), 3)
    mags = np.empty((len(fields), P, n, 3))
    _kernels.cardinal_imu(pr.padded, pr.padded.shape[0], L, j0, n, _PAD, taps, *pr.layout(), acc, gyro, mag,
                          others, mags)
    return IdealImu(times=pr.times, placements=pr.pls, acc=acc, gyro=gyro, mag=mag), list(mags)


def _sensor_block(q: np.ndarray, qd: np.ndarray, qdd: np.ndarray | None, acc_anchor: np.ndarray,
                  seg_inv: np.ndarray, anc_inv: np.ndarray, r: np.ndarray, field_w: np.ndarray,
                  mt: np.ndarray | None, f: np.ndarray, g: np.ndarray, m: np.ndarray) -> None:
    """Sensor outputs for one block of b samples, written into ``f``, ``g``, ``m`` (P, b, 3).

    ``q``, ``qd``, ``qdd`` (b, 4, S) segment quaternions and derivatives (component-major;
    ``qdd`` None when no placement has a lever arm), ``acc_anchor`` (b, U, 3) anchor
    accelerations (m/s², world), ``seg_inv``/``anc_inv`` (P,) each placement's segment/anchor
    column, ``r`` (1, 3, P) lever arms (m, segment frame), ``field_w`` (3,) µT, ``mt`` (1, 3, 3, P)
    segment → sensor rotations or None for identity mounts.
    """
    n, P = q.shape[0], seg_inv.size
    # Segment-frame rates, straight from the quaternion (q* on the left gives the body frame):
    #   ω_s = 2 vec(q* q̇)/|q|²,  α_s = 2 vec(q* q̈)/|q|² − ω_s·2(q·q̇)/|q|²   (α_s = Rᵀ α_world)
    x, y, z, w = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    qn2 = x * x + y * y + z * z + w * w
    inv2 = 2.0 / qn2
    omega_s = _conj_mul_vec(q, qd) * inv2[:, None]
    rt = _rotation_transposed(q, qn2)  # (n, 3, 3, S): world → segment

    # per placement: gather its segment/anchor, lever arm in the segment frame, then the mount
    rt_p = rt[..., seg_inv]  # (n, 3, 3, P)
    w_p = omega_s[..., seg_inv]  # (n, 3, P)
    a_w = acc_anchor[:, anc_inv, :].transpose(0, 2, 1) - GRAVITY_WORLD[None, :, None]  # (n, 3, P)
    f_seg = _rotate(rt_p, a_w)
    if qdd is not None:  # tangential and centripetal terms
        dot = x * qd[:, 0] + y * qd[:, 1] + z * qd[:, 2] + w * qd[:, 3]
        alpha_s = _conj_mul_vec(q, qdd) * inv2[:, None] - omega_s * (dot * inv2)[:, None]
        f_seg += _cross(alpha_s[..., seg_inv], r) + _cross(w_p, _cross(w_p, r))
    m_seg = _rotate(rt_p, np.broadcast_to(field_w[None, :, None], (n, 3, P)))
    if mt is None:
        f[...], g[...], m[...] = f_seg.transpose(2, 0, 1), w_p.transpose(2, 0, 1), m_seg.transpose(2, 0, 1)
    else:
        _rotate(mt, f_seg, out=f.transpose(1, 2, 0))
        _rotate(mt, w_p, out=g.transpose(1, 2, 0))
        _rotate(mt, m_seg, out=m.transpose(1, 2, 0))
