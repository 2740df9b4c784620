"""Fit a device's figures from real captures: timing, noise, bias, scale.

What is measured, from what:

* **timing** (any capture): the real sample rate is the slope of a least-squares line through
  the timestamps against their sample index (gaps counted by rounding each interval to whole
  periods), its error against the nominal ODR in ppm; *jitter* is the standard deviation of the
  residuals of that line; the *drop rate* is the fraction of sample slots without a sample.
* **noise** (a still stretch ≥ 5 s): the noise density the profile schema holds (µg/√Hz, mdps/√Hz), from
  the one-sided power spectrum above the body's own motion (:data:`MOTION_TOP_HZ`) and inside the profile
  filter's passband (to half its equivalent noise bandwidth, ENBW), less the quantisation's part (LSB²/12
  spread over Nyquist), read as the simulator makes noise (white, variance density² · ENBW): a worn
  device's "still" stretch holds sway, breathing and tremor below it, which the
  variance of the stretch counted as noise (a fresh user's run, session 61: 3.9× / 5.7× the datasheet on an
  emulated wearer that simulates the datasheet's noise, and the calibration then added that noise to every
  synthetic recording). Where the rate or the filter leaves no such band, the variance inside 1 s blocks
  (which removes bias and slow drift) less LSB²/12, divided by the ENBW — for a real chip the filter shapes
  the noise so that variance = density² · ENBW, and the simulator adds white noise of exactly that
  variance. The overlapping Allan deviation gives the velocity / angle random walk N (σ(τ)·√τ on
  the −½-slope part of the curve, reported as °/√h and µg/√Hz). IEEE Std 952 defines N² as the
  *two-sided* PSD level, so white noise of one-sided datasheet density D up to Nyquist has
  N = D/√2 (and N = D·√(ENBW/(fs/2))/√2 with a filter); both are reported. When the curve has a
  minimum inside the captured τ range, the bias instability (σ_min / 0.664).
* **bias and scale** (still orientations): the mean specific force of each orientation must
  have magnitude g. With the per-axis model ``f_meas = s ∘ f + b`` the residuals
  ``(|(m_i − b) / s| − g) / σ`` of all orientations are solved by least squares together with
  priors ``(s − 1) / σ_scale`` and ``b / σ_bias`` taken from the datasheet tolerances, so one
  orientation gives the gravity magnitude (overall scale) and six axis-aligned orientations
  (the classic six-position test) determine all six figures. The posterior standard deviation
  of each figure (from the Jacobian) says whether the capture or the datasheet prior decided it.
* **gyro bias** (still): mean rate per orientation; with ≥ 2 orientations that differ along an
  axis, a per-axis line ``ω_mean = b + k · f`` separates bias from g-sensitivity. The Earth's
  rotation (7.3·10⁻⁵ rad/s ≈ 15 °/h) is below MEMS turn-on bias and is not removed.
* **range** (moving or still): where the capture saturates (:mod:`imuforge.calibrate.saturation`), the
  chip's offered range nearest to it (within 10 %) becomes the fitted profile's ``range_g`` / ``range_dps``.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from imuforge.calibrate.allan import allan_deviation
from imuforge.calibrate.saturation import FullScale, capture_full_scales
from imuforge.calibrate.still import (
    Orientation,
    StillSegment,
    StillThresholds,
    find_still_segments,
    group_orientations,
)
from imuforge.errors import ValidationError
from imuforge.recording import Recording
from imuforge.sensors.profiles import MAX_CLOCK_PPM
from imuforge.units import CHANNEL_UNITS, DEG, GROUP_OF_SENSOR, STANDARD_GRAVITY

EARTH_RATE_RADS = 7.2921159e-5
ALLAN_BI_FACTOR = 0.6643  # Allan floor of flicker bias instability B is 0.6643 B (IEEE Std 952)


# ------------------------------------------------------------------------------- timing
@dataclass
class TimingFit:
    """Sample clock of a capture: rate (Hz), error against nominal (ppm), jitter (s), drops."""

    rate_hz: float
    nominal_hz: float
    clock_ppm: float
    jitter_s: float
    drop_rate: float
    samples: int
    slots: int


def fit_timing(timestamps: np.ndarray, nominal_hz: float) -> TimingFit:
    """Real rate, clock error, jitter and drop rate from capture timestamps (s).

    Each interval is rounded to a whole number of periods of the median interval, giving every
    sample its slot index k; ``t = t₀ + k·T`` is fitted by least squares. Needs ≥ 3 samples.
    """
    t = np.asarray(timestamps, float)
    if t.size < 3:
        raise ValidationError(f"timing fit needs >= 3 timestamps, got {t.size}")
    if not nominal_hz > 0:
        raise ValidationError(f"nominal rate must be > 0 Hz, got {nominal_hz}")
    dt = np.diff(t)
    period0 = float(np.median(dt))
    steps = np.maximum(1, np.round(dt / period0)).astype(np.int64)
    k = np.concatenate([[0], np.cumsum(steps)]).astype(float)
    A = np.column_stack([np.ones_like(k), k])
    (t0, period), *_ = np.linalg.lstsq(A, t, rcond=None)
    resid = t - (t0 + period * k)
    rate = 1.0 / period
    slots = int(k[-1]) + 1
    return TimingFit(rate_hz=float(rate), nominal_hz=float(nominal_hz),
                     clock_ppm=float((rate / nominal_hz - 1.0) * 1e6),
                     jitter_s=float(np.std(resid, ddof=2)) if t.size > 2 else 0.0,
                     drop_rate=float(1.0 - t.size / slots), samples=int(t.size), slots=slots)


# -------------------------------------------------------------------------------- noise
@dataclass
class NoiseFit:
    """Noise of one sensor from a still stretch. ``unit`` is the SI unit of the channel."""

    kind: str
    unit: str
    white_sd: list[float]          # per-axis white-noise sd after removing quantisation (unit)
    density: list[float]           # per-axis density for the profile: sd / √ENBW (unit/√Hz)
    density_mean: float            # rms over axes (unit/√Hz)
    random_walk: list[float]       # Allan N per axis (unit/√Hz): σ(τ)·√τ on the white part
    bias_instability: float | None  # Allan floor / 0.664 (unit), None when not reached
    enbw_hz: float
    lsb: float | None
    seconds: float
    allan_taus_s: list[float] = field(repr=False, default_factory=list)
    allan_dev: list[list[float]] = field(repr=False, default_factory=list)
    #: the density read from the spectrum above the body's motion (:func:`_band_density`), not the stretch's
    #: variance (a rate without such a band)
    from_band: bool = True
    #: how white the stretch is: half the variance of its sample-to-sample steps over its (block) variance,
    #: median over axes, over what noise white across the filter's ENBW reads (``1 − sinc(2 ENBW / fs)``: a
    #: real chip's filter makes its noise less white) — ≈ 1 or more for sensor noise alone (a desk), far less
    #: where slow motion holds the variance (a worn device's sway)
    white_share: float = 1.0
    #: False: taken for the body's motion (:func:`flag_worn_noise`), not applied — the datasheet's kept
    used: bool = True
    #: the log-log slope of the Allan deviation over its white part (−½ for white noise); outside
    #: :data:`WHITE_SLOPE` the stretch moves there (a worn device's sway), so ``random_walk`` is the density's
    #: white-noise N and ``bias_instability`` is not read
    allan_slope: float = -0.5


#: the Allan deviation's slope over the white part that reads as white noise (−½; a worn device's sway makes
#: the curve rise: slope ≥ 0)
WHITE_SLOPE = (-0.75, -0.25)


def _block_variance(x: np.ndarray, block: int) -> np.ndarray:
    """Pooled within-block variance (ddof 1) per column: drift-free white-noise variance."""
    n = (x.shape[0] // block) * block
    if n < 2 * block:
        return np.var(x, axis=0, ddof=1)
    b = x[:n].reshape(-1, block, x.shape[1])
    return np.mean(np.var(b, axis=1, ddof=1), axis=0)


#: the top (Hz) of a still person's own motion — postural sway and breathing under 1 Hz, physiological tremor
#: 8–12 Hz (Elble & Koller 1990) — above which a worn device's "still" stretch holds the chip's noise alone
MOTION_TOP_HZ = 15.0
#: the fewest spectral bins of that band a noise fit reads (else it falls back to the block variance), and the
#: length (s) of the spectrum's segments that sets the bins' width
NOISE_BAND_BINS = 8
NOISE_SEGMENT_S = 8.0


def _band_density(x: np.ndarray, rate_hz: float, enbw: float, qvar: float) -> np.ndarray | None:
    """Per-axis noise density (unit/√Hz) from the mean one-sided PSD between :data:`MOTION_TOP_HZ` and half
    the filter's ENBW (inside its passband), less quantisation's white level ``2·qvar / fs``, read as the
    simulator makes noise — white to Nyquist, of variance density² · ENBW, so a level of density² · ENBW /
    (fs / 2) — ; None where that band holds fewer than :data:`NOISE_BAND_BINS` bins. (A chip whose filter
    shapes its noise holds density² in the passband: read so, its density comes out √(fs / 2 / ENBW) high,
    ≈ 6 % at a corner of 0.4 ODR.)"""
    from scipy.signal import welch

    # 8-s segments (bins of 1/8 Hz): a gyro band of 15–17 Hz (a 119 Hz ODR, a 31 Hz corner) holds 18 of them
    f, p = welch(x, fs=rate_hz, nperseg=min(len(x), int(NOISE_SEGMENT_S * rate_hz)), axis=0, detrend="linear")
    band = (f >= MOTION_TOP_HZ) & (f <= 0.5 * enbw)
    if band.sum() < NOISE_BAND_BINS:
        return None
    level = p[band].mean(axis=0) - 2.0 * qvar / rate_hz
    return np.sqrt(np.clip(level, 0.0, None) * (0.5 * rate_hz) / enbw)


def fit_noise(x: np.ndarray, rate_hz: float, kind: str, *, enbw_hz: float | None = None,
              lsb: float | None = None) -> NoiseFit:
    """White noise, density, random walk and bias instability of a still stretch ``x`` (n, 3)."""
    x = np.asarray(x, float)
    if x.ndim != 2 or x.shape[0] < 9:
        raise ValidationError(f"noise fit needs a (n>=9, 3) still stretch, got shape {x.shape}")
    unit = CHANNEL_UNITS[GROUP_OF_SENSOR[kind]]
    nyq = 0.5 * rate_hz
    enbw = min(float(enbw_hz), nyq) if enbw_hz else nyq
    qvar = (lsb * lsb / 12.0) if lsb else 0.0
    density = _band_density(x, rate_hz, enbw, qvar)
    from_band = density is not None
    var = _block_variance(x, max(4, int(round(rate_hz))))
    steps = 0.5 * np.var(np.diff(x, axis=0), axis=0, ddof=1)
    filtered = max(1.0 - float(np.sinc(2.0 * enbw / rate_hz)), 0.05)  # the share of noise white over the ENBW
    white_share = float(np.median(np.divide(steps, var, out=np.ones_like(var), where=var > 0))) / filtered
    if density is None:  # no band above the body's motion: the stretch's variance
        density = np.sqrt(np.clip(var - qvar, 0.0, None)) / math.sqrt(enbw)
    white = density * math.sqrt(enbw)
    taus, adev = allan_deviation(x, rate_hz)
    # white (−½ slope) part: from 3 samples, or two of the filter's correlation times (a chip filtering far
    # below its ODR holds its short-τ curve flat), to the smaller of 1 s and a tenth of the stretch
    tmin = max(3.0 / rate_hz, 2.0 / enbw)
    tmax = max(3.0 * tmin, min(1.0, x.shape[0] / rate_hz / 10.0))
    sel = (taus >= tmin - 1e-12) & (taus <= tmax + 1e-12)
    if not sel.any():
        sel = np.zeros_like(taus, bool)
        sel[0] = True
    mean_dev = np.sqrt(np.mean(adev**2, axis=1))
    slope = (float(np.polyfit(np.log(taus[sel]), np.log(mean_dev[sel]), 1)[0]) if sel.sum() >= 2
             and np.all(mean_dev[sel] > 0) else -0.5)
    white_part = WHITE_SLOPE[0] <= slope <= WHITE_SLOPE[1]
    if white_part:
        n_rw = np.median(adev[sel] * np.sqrt(taus[sel])[:, None], axis=0)
        # remove the quantisation part from N too: white, two-sided PSD (LSB²/12)/fs (IEEE 952's N²)
        n_rw = np.sqrt(np.clip(n_rw**2 - qvar / rate_hz, 0.0, None))
    else:  # no −½ slope to read N on (the stretch moves): white noise of this density has N = D·√(ENBW / fs)
        n_rw = density * math.sqrt(enbw / rate_hz)
    i_min = int(np.argmin(mean_dev))
    # a floor is a minimum past the white part, after a fall: not the start of a curve that rises
    floor = white_part and 0 < i_min < mean_dev.size - 3 and taus[i_min] > tmax
    bi = float(mean_dev[i_min] / ALLAN_BI_FACTOR) if floor else None
    return NoiseFit(kind=kind, unit=unit, white_sd=white.tolist(), density=density.tolist(),
                    density_mean=float(np.sqrt(np.mean(density**2))), random_walk=n_rw.tolist(),
                    bias_instability=bi, enbw_hz=enbw, lsb=lsb, seconds=x.shape[0] / rate_hz,
                    allan_taus_s=taus.tolist(), allan_dev=adev.tolist(), from_band=from_band,
                    white_share=white_share, allan_slope=slope)


# ------------------------------------------------------------------------- bias & scale
@dataclass
class ScaleBiasFit:
    """Per-axis accelerometer scale s and bias b (m/s²) from still orientations, ``f_meas = s∘f + b``."""

    scale: list[float]
    bias: list[float]
    scale_sd: list[float]          # posterior sd
    bias_sd: list[float]
    prior_scale_sd: float
    prior_bias_sd: float
    from_capture: dict[str, bool]  # per figure: did the capture (not the prior) decide it?
    orientations: int
    gravity_mps2: float
    gravity_magnitudes: list[float]  # |mean specific force| per orientation (m/s²)
    residuals_mps2: list[float]      # |f| − g per orientation after the fit


def fit_scale_bias(means: np.ndarray, *, gravity_mps2: float = STANDARD_GRAVITY, prior_scale_sd: float = 0.01,
                   prior_bias_sd: float = 0.5, meas_sd: float = 0.01) -> ScaleBiasFit:
    """Least-squares per-axis scale and bias from mean specific forces ``means`` (k, 3), m/s².

    ``prior_scale_sd`` (fraction) and ``prior_bias_sd`` (m/s²) are the datasheet's 1σ
    tolerances; ``meas_sd`` (m/s²) is the uncertainty of one orientation's |f| (noise, drift,
    cross-axis terms the model leaves out).
    """
    means = np.atleast_2d(np.asarray(means, float))
    if means.ndim != 2 or means.shape[1] != 3 or means.shape[0] < 1:
        raise ValidationError(f"need (k>=1, 3) mean specific forces, got shape {means.shape}")
    prior_scale_sd = max(prior_scale_sd, 1e-4)
    prior_bias_sd = max(prior_bias_sd, 1e-4)

    def resid(p):
        s, b = 1.0 + p[:3], p[3:]
        f = (means - b) / s
        r = (np.linalg.norm(f, axis=1) - gravity_mps2) / meas_sd
        return np.concatenate([r, p[:3] / prior_scale_sd, p[3:] / prior_bias_sd])

    sol = least_squares(resid, np.zeros(6), method="lm" if means.shape[0] + 6 >= 6 else "trf", x_scale="jac")
    J = sol.jac
    cov = np.linalg.pinv(J.T @ J)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    s, b = 1.0 + sol.x[:3], sol.x[3:]
    f = (means - b) / s
    decided = {f"scale_{a}": bool(sd[i] < 0.5 * prior_scale_sd) for i, a in enumerate("xyz")}
    decided.update({f"bias_{a}": bool(sd[3 + i] < 0.5 * prior_bias_sd) for i, a in enumerate("xyz")})
    return ScaleBiasFit(scale=s.tolist(), bias=b.tolist(), scale_sd=sd[:3].tolist(), bias_sd=sd[3:].tolist(),
                        prior_scale_sd=prior_scale_sd, prior_bias_sd=prior_bias_sd, from_capture=decided,
                        orientations=int(means.shape[0]), gravity_mps2=float(gravity_mps2),
                        gravity_magnitudes=np.linalg.norm(means, axis=1).tolist(),
                        residuals_mps2=(np.linalg.norm(f, axis=1) - gravity_mps2).tolist())


@dataclass
class GyroBiasFit:
    """Gyro bias (rad/s) per axis and, where the orientations allow, g-sensitivity ((rad/s)/(m/s²))."""

    bias: list[float]
    g_sensitivity: list[float | None]
    orientations: int


def fit_gyro_bias(gyro_means: np.ndarray, acc_means: np.ndarray | None, min_spread_mps2: float = 4.0) -> GyroBiasFit:
    """Per-axis ``ω = b + k·f`` over orientations; plain mean where f varies less than ``min_spread``."""
    w = np.atleast_2d(np.asarray(gyro_means, float))
    bias = w.mean(axis=0)
    ks: list[float | None] = [None, None, None]
    if acc_means is not None and w.shape[0] >= 2:
        f = np.atleast_2d(np.asarray(acc_means, float))
        for a in range(3):  # three axes
            if np.ptp(f[:, a]) >= min_spread_mps2:
                A = np.column_stack([np.ones(w.shape[0]), f[:, a]])
                (b, k), *_ = np.linalg.lstsq(A, w[:, a], rcond=None)
                bias[a], ks[a] = b, float(k)
    return GyroBiasFit(bias=bias.tolist(), g_sensitivity=ks, orientations=int(w.shape[0]))


# ------------------------------------------------------------------------------- device
@dataclass
class DeviceFit:
    """Everything fitted from a set of captures, and where each figure came from."""

    captures: list[str]
    date: str
    profile: str | None
    timing: TimingFit | None
    accel_noise: NoiseFit | None
    gyro_noise: NoiseFit | None
    accel_scale_bias: ScaleBiasFit | None
    gyro_bias: GyroBiasFit | None
    still_seconds: float
    orientations: list[list[float]]   # mean specific force per orientation (m/s²)
    gravity_removed: bool             # the accelerometer reads ≈ 0 when still (linear acceleration output)
    notes: list[str] = field(default_factory=list)
    full_scales: list[FullScale] = field(default_factory=list)  # where the capture saturates (saturation.py)
    ranges: dict[str, float] = field(default_factory=dict)  # sensor kind → the chip range explaining it
    #: figures the fit made that are not to be trusted as they are (:func:`noise_warnings`)
    warnings: list[str] = field(default_factory=list)
    timing_from: str | None = None    # the capture the clock and jitter were measured on (the longest)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("accel_noise", "gyro_noise"):
            if d[k] is not None:
                d[k].pop("allan_dev", None)
                d[k].pop("allan_taus_s", None)
        return d

    def summary(self) -> dict[str, Any]:
        """Human-unit headline figures (µg/√Hz, mdps/√Hz, °/√h, mg, %, ppm, µs)."""
        out: dict[str, Any] = {}
        if self.timing:
            out.update(rate_hz=self.timing.rate_hz, clock_ppm=self.timing.clock_ppm,
                       jitter_us=self.timing.jitter_s * 1e6, drop_rate=self.timing.drop_rate)
        if self.accel_noise:
            out["accel_noise_ug_per_rthz"] = self.accel_noise.density_mean / STANDARD_GRAVITY * 1e6
            out["accel_vrw_ug_per_rthz"] = float(np.sqrt(np.mean(np.square(self.accel_noise.random_walk)))) \
                / STANDARD_GRAVITY * 1e6
        if self.gyro_noise:
            out["gyro_noise_mdps_per_rthz"] = self.gyro_noise.density_mean / DEG * 1e3
            arw = float(np.sqrt(np.mean(np.square(self.gyro_noise.random_walk))))
            out["gyro_arw_deg_per_rthr"] = arw / DEG * 60.0
            if self.gyro_noise.bias_instability is not None:
                out["gyro_bias_instability_dph"] = self.gyro_noise.bias_instability / DEG * 3600
        if self.accel_scale_bias:
            out["accel_bias_mg"] = [b / STANDARD_GRAVITY * 1e3 for b in self.accel_scale_bias.bias]
            out["accel_scale_error_pct"] = [(s - 1) * 100 for s in self.accel_scale_bias.scale]
            out["accel_decided"] = sorted(k for k, v in self.accel_scale_bias.from_capture.items() if v)
        if self.gyro_bias:
            out["gyro_bias_dps"] = [b / DEG for b in self.gyro_bias.bias]
        unused = [nf.kind for nf in (self.accel_noise, self.gyro_noise) if nf is not None and not nf.used]
        if unused:
            out["noise_not_used"] = unused
        out["still_seconds"] = self.still_seconds
        out["orientations"] = len(self.orientations)
        return out


def _enbw(sensor) -> float | None:
    if sensor is None:
        return None
    from imuforge.sensors.profiles import noise_bandwidth_hz

    return noise_bandwidth_hz(sensor.bandwidth_hz, sensor.filter_order, sensor.odr_hz)


#: how far (a fraction) a capture's rate may lie from an ODR setting and still be that setting run by a
#: clock off by as much — the profile loader's span of ``clock_ppm`` (``profiles.MAX_CLOCK_PPM``, ±10 %)
ODR_MATCH = MAX_CLOCK_PPM * 1e-6


def _nominal_odr(prof, rate_hz: float, notes: list[str]) -> float:
    """The ODR setting a capture at ``rate_hz`` ran at: the profile's own, or where the capture runs more than
    :data:`ODR_MATCH` away from it, the closest setting its chips can do (a note says so); none that close
    is a capture of another device or setting (:class:`ValidationError`)."""
    own = prof.odr_hz
    if abs(rate_hz / own - 1.0) <= ODR_MATCH:
        return own
    odrs = prof.settable_odrs()
    best = min(odrs, key=lambda o: abs(math.log(rate_hz / o)))
    if abs(rate_hz / best - 1.0) > ODR_MATCH:
        raise ValidationError(f"the capture runs at {rate_hz:.4g} Hz, which no ODR setting of {prof.name!r} "
                              f"comes within {ODR_MATCH:.0%} of", source="--fit-profile",
                              allowed=f"a capture at one of {', '.join(f'{o:g}' for o in odrs)} Hz, or the "
                                      "capture's own device as --profile")
    notes.append(f"the capture runs at {rate_hz:.4g} Hz, not at {prof.name}'s {own:g} Hz: the fitted profile "
                 f"is set to {best:g} Hz and its clock error measured against that")
    return best


def fit_device(captures: list[Recording], profile=None, *, names: list[str] | None = None,
               thresholds: StillThresholds = StillThresholds(), gravity_mps2: float = STANDARD_GRAVITY) -> DeviceFit:
    """Fit timing, noise, bias and scale from captures (see the module docstring).

    ``profile`` (a HardwareProfile or name; default: the captures' own ``profile`` if it loads)
    supplies the nominal ODR, LSB, filter bandwidth and the datasheet priors. Raises
    :class:`ValidationError` if no capture has a still stretch of ``thresholds.min_still_s``.
    """
    from imuforge.sensors.profiles import HardwareProfile, load_profile

    if not captures:
        raise ValidationError("no captures to fit", allowed="one or more Recordings")
    names = names or [str(r.provenance.get("file") or f"capture{i}") for i, r in enumerate(captures)]
    notes: list[str] = []
    prof = profile
    if prof is not None and not isinstance(prof, HardwareProfile):
        prof = load_profile(prof)
    if prof is None and captures[0].profile:
        try:
            prof = load_profile(captures[0].profile)
        except ValidationError:
            notes.append(f"profile {captures[0].profile!r} of the capture is not installed: no datasheet priors")
    accel = prof.sensors.get("accel") if prof else None
    gyro = prof.sensors.get("gyro") if prof else None

    # timing: the longest capture, against the ODR setting it ran at
    longest = max(captures, key=len)
    nominal = _nominal_odr(prof, longest.rate_hz, notes) if prof else longest.rate_hz
    timing = fit_timing(longest.timestamps, nominal) if len(longest) >= 3 else None

    segments: list[StillSegment] = []
    for rec, name in zip(captures, names):
        segments += find_still_segments(rec, thresholds, source=name)
    if not segments:
        raise ValidationError(
            f"no still stretch of >= {thresholds.min_still_s:g} s in {', '.join(names)}",
            allowed=f"a capture with the device still (moving std < {thresholds.acc_std_mps2} m/s² and "
                    f"< {thresholds.gyro_std_rads} rad/s per axis) for >= {thresholds.min_still_s:g} s")
    orients: list[Orientation] = group_orientations(segments, thresholds.merge_deg)
    still_s = float(sum(s.duration_s for s in segments))
    best = max(segments, key=lambda s: s.n)
    rate = best.rate_hz

    acc_noise = gyro_noise = None
    if best.acc is not None:
        acc_noise = fit_noise(best.acc, rate, "accel", enbw_hz=_enbw(accel), lsb=accel.lsb_si if accel else None)
    if best.gyro is not None:
        gyro_noise = fit_noise(best.gyro, rate, "gyro", enbw_hz=_enbw(gyro), lsb=gyro.lsb_si if gyro else None)
    flag_worn_noise([acc_noise, gyro_noise], [accel, gyro])
    warnings = noise_warnings([acc_noise, gyro_noise], [accel, gyro], best)
    for nf in (acc_noise, gyro_noise):
        if nf is not None and not WHITE_SLOPE[0] <= nf.allan_slope <= WHITE_SLOPE[1]:
            why = ("it moves: a worn device's sway" if nf.allan_slope > WHITE_SLOPE[1]
                   else "its noise is not white there")
            notes.append(f"{nf.kind}: the Allan deviation of the still stretch has no −½ slope (slope "
                         f"{nf.allan_slope:+.2f}: {why}): its random walk is the noise density's, and no "
                         "bias instability is read (a desk capture reads both)")

    acc_means = np.array([o.acc_mean for o in orients])
    gravity_removed = False
    sb = None
    if best.acc is not None:
        mags = np.linalg.norm(acc_means, axis=1)
        if np.all(mags < 0.3 * gravity_mps2):
            gravity_removed = True
            notes.append(f"still |f| = {np.median(mags):.2f} m/s² (not ≈ {gravity_mps2:.2f}): the capture holds "
                         "linear acceleration (gravity removed on the device); scale and bias cannot be fitted")
        else:
            sb = fit_scale_bias(acc_means, gravity_mps2=gravity_mps2,
                                prior_scale_sd=accel.scale_sd if accel and accel.scale_sd else 0.01,
                                prior_bias_sd=accel.bias_sd_si if accel and accel.bias_sd_si else 0.5,
                                meas_sd=max(0.005, 3 * (acc_noise.white_sd[0] if acc_noise else 0) / math.sqrt(best.n)))
            if len(orients) < 6:
                notes.append(f"{len(orients)} still orientation(s): per-axis scale and bias need 6 (±x, ±y, ±z); "
                             "figures not decided by the capture keep the datasheet prior")
    scales = capture_full_scales(captures)
    gb = None
    if best.gyro is not None:
        gb = fit_gyro_bias(np.array([o.gyro_mean for o in orients]), None if gravity_removed else acc_means)
    return DeviceFit(captures=list(names), date=_dt.date.today().isoformat(), profile=prof.name if prof else None,
                     timing=timing, accel_noise=acc_noise, gyro_noise=gyro_noise, accel_scale_bias=sb,
                     gyro_bias=gb, still_seconds=still_s, orientations=acc_means.tolist(),
                     gravity_removed=gravity_removed, notes=notes, full_scales=scales,
                     ranges=_offered_ranges(scales, prof, notes), warnings=warnings,
                     timing_from=names[captures.index(longest)] if timing is not None else None)


#: fitted noise this many times the datasheet's density (or more) is taken for motion, not sensor noise: a
#: worn device's "still" stretch holds body sway and tremor (a worn wrist, "standing still": 4–10× the
#: datasheet, a fresh user's run, session 50) — read above it since session 61 (:data:`MOTION_TOP_HZ`), where
#: the rate allows; what is left over it is vibration (a vehicle, a machine) or another chip
NOISE_OVER_DATASHEET = 3.0


def _over_datasheet(fit: NoiseFit | None, sensor) -> float | None:
    """The fitted density over the datasheet's where it is :data:`NOISE_OVER_DATASHEET` or more, else None."""
    if fit is None or sensor is None or not sensor.noise_density_si > 0:
        return None
    ratio = fit.density_mean / sensor.noise_density_si
    return ratio if ratio >= NOISE_OVER_DATASHEET else None


#: a stretch whose sample-to-sample steps hold less than this share of what filtered white noise's would
#: (NoiseFit.white_share) is moving slowly — a worn device's sway — not sensor noise (a desk reads ≈ 1; the
#: library's worn still stretches 0.01–0.22)
WORN_WHITE_SHARE = 0.5


def flag_worn_noise(fits: list[NoiseFit | None], sensors: list) -> None:
    """Mark not to be used each fit read from a still stretch's variance (a rate with no band above the
    body's motion) at :data:`NOISE_OVER_DATASHEET` times its datasheet or more, where the stretch is not
    white (:data:`WORN_WHITE_SHARE`): that is the wearer's sway and tremor, not the chip. A fresh user's worn
    52 Hz capture read 11.2× and was applied: the calibrated synthetic data came out ≈ 10× noisier than the
    capture itself (session 62). A band read stays used (warned of), and so does a white stretch's (a chip
    noisier than its datasheet on a desk, or vibration, is what they hold)."""
    for fit, sensor in zip(fits, sensors):
        if (fit is not None and not fit.from_band and fit.white_share < WORN_WHITE_SHARE
                and _over_datasheet(fit, sensor) is not None):
            fit.used = False


def noise_warnings(fits: list[NoiseFit | None], sensors: list, still: StillSegment) -> list[str]:
    """A warning per sensor whose fitted density is :data:`NOISE_OVER_DATASHEET` times its datasheet's or
    more (the datasheet from ``sensors``, each a profile's sensor or None), naming the still stretch used and
    whether the figure is used (:func:`flag_worn_noise`)."""
    out = []
    for fit, sensor in zip(fits, sensors):
        if (ratio := _over_datasheet(fit, sensor)) is None:
            continue
        head = (f"{fit.kind} noise fitted at {ratio:.1f}× {sensor.chip}'s datasheet density, from a "
                f"{still.duration_s:.0f} s still stretch of {still.source}")
        if fit.used:
            how = ("read above the body's motion, what is left is" if fit.from_band else
                   "its stretch is as white as sensor noise:")
            out.append(f"{head}: a device that is worn or held moves more than its chip's noise ({how} "
                       "vibration or another chip) — fit the profile on the device lying on a desk "
                       "(docs/CALIBRATION.md), or keep the datasheet's figures (no --fit-profile)")
        else:
            out.append(f"{head}, whose rate leaves no band above the body's motion: the wearer's sway, not "
                       "the chip — not used, the datasheet's figure is kept (fit the profile on the device "
                       "lying on a desk to set it; docs/CALIBRATION.md)")
    return out


def _offered_ranges(scales: list[FullScale], prof, notes: list[str]) -> dict[str, float]:
    """The chip range (g, dps) nearest to each full scale the capture saturates at, when within 10 % of it; a
    saturation no offered range explains is a note instead (the profile's range is kept)."""
    from imuforge.sensors.profiles import chip_ranges

    out: dict[str, float] = {}
    for found in scales:
        kind = next(k for k, g in GROUP_OF_SENSOR.items() if g == found.group)
        sensor = prof.sensors.get(kind) if prof is not None else None
        if sensor is None:
            continue
        value, unit = found.in_unit
        offered = chip_ranges(sensor.chip, kind)
        best = min(offered, key=lambda r: abs(r - value))
        if abs(best - value) <= 0.1 * best:
            out[kind] = best
        else:
            notes.append(f"the capture saturates at ±{value:.3g} {unit}, which no range of {sensor.chip} "
                         f"({', '.join(f'{r:g}' for r in offered)}) explains: the profile's range is kept")
    return out


# ---------------------------------------------------------------------------- profile TOML
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValidationError(f"cannot write non-finite value {v} to TOML")
        return repr(round(v, 6)) if abs(v) >= 1e-3 or v == 0 else f"{v:.6g}"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise ValidationError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def dumps_toml(doc: dict[str, Any], header: str = "") -> str:
    """Minimal TOML writer for profile documents (scalars, lists, nested tables)."""
    lines = [f"# {ln}" if ln else "#" for ln in header.splitlines()]

    def table(d: dict, prefix: str) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in d.items() if isinstance(v, dict)}
        if prefix and (scalars or not subs):
            lines.append("")
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f"{_key(k)} = {_toml_value(v)}")
        for k, v in subs.items():
            table(v, f"{prefix}.{_key(k)}" if prefix else _key(k))

    table(doc, "")
    return "\n".join(lines) + "\n"


def fitted_profile_doc(fit: DeviceFit, profile, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The device TOML document of a fitted profile, and {figure: origin} for the report.

    The base device's configuration (chips, ODR, ranges) is kept — a range only where the capture does not
    saturate (:func:`_fitted_range`); figures measured from the capture become device-level overrides
    with the source ``"fitted: capture <files>, <date>"``; all other figures stay the datasheet's (the
    chip files' sources).
    """
    import tomllib

    from imuforge.sensors.profiles import HardwareProfile, load_profile

    prof = profile if isinstance(profile, HardwareProfile) else load_profile(profile)
    base: dict[str, Any] = {}
    if prof.path is not None:
        with open(prof.path, "rb") as fh:
            base = tomllib.load(fh)
    src = f"fitted: capture {', '.join(Path(c).name for c in fit.captures)}, {fit.date}"
    doc: dict[str, Any] = {"name": name, "kind": "device",
                           "product": str(base.get("product", prof.description or prof.name)),
                           "description": f"{prof.name} with figures fitted from a real capture by imuforge calibrate",
                           "default_placement": prof.default_placement}
    origin: dict[str, str] = {}
    for kind, s in prof.sensors.items():
        sec, sec_sources = _fitted_section(fit, kind, s, base, src)
        for k in sec_sources:
            origin[f"{kind}.{k}"] = "capture" if sec_sources[k] == src or sec_sources[k].startswith(src) else "device file"
        if sec_sources:
            sec["sources"] = sec_sources
        doc[kind] = sec
    timing = _fitted_timing(fit, base, src, origin)
    if timing:
        doc["timing"] = timing
    if base.get("kind") == "device" and "sources" in base:  # less what the capture replaced (its own source)
        doc["sources"] = {k: v for k, v in base["sources"].items() if origin.get(k) != "capture"}
    # every other figure: the chip datasheet
    for kind, s in prof.sensors.items():
        for k in s.sources:
            origin.setdefault(f"{kind}.{k}", "datasheet")
    return doc, origin


def _fitted_section(fit: DeviceFit, kind: str, sensor, base: dict[str, Any],
                    src: str) -> tuple[dict[str, Any], dict[str, str]]:
    """One sensor's section of the fitted device file (the base device's settings, then every figure the
    capture measured) and its sources (``src`` for the fitted figures)."""
    sec: dict[str, Any] = {}
    if base.get("kind") == "device" and kind in base:
        sec.update({k: v for k, v in base[kind].items() if k != "sources"})
        sec_sources = dict(base[kind].get("sources", {}))
    else:
        sec = {"chip": sensor.chip, "odr_hz": sensor.odr_hz}
        rk = {"accel": "range_g", "gyro": "range_dps", "mag": "range_ut"}[kind]
        sec[rk] = sensor.range_si / {"accel": STANDARD_GRAVITY, "gyro": DEG, "mag": 1.0}[kind]
        sec_sources = {}
    if kind in ("accel", "gyro") and fit.timing is not None and sec.get("odr_hz") != fit.timing.nominal_hz:
        sec["odr_hz"] = fit.timing.nominal_hz  # the setting the capture ran at (_nominal_odr)
        sec_sources["odr_hz"] = src + " (the ODR setting the capture ran at)"
        if sec.get("bandwidth_hz", 0.0) > 0.5 * sec["odr_hz"]:  # the base's filter, above the new Nyquist
            sec["bandwidth_hz"] = 0.5 * sec["odr_hz"]
            sec_sources["bandwidth_hz"] = src + " (the base device's filter clamped to the Nyquist frequency)"
    _fitted_range(fit, kind, sec, sec_sources, src)
    if kind == "accel" and fit.accel_scale_bias and not fit.gravity_removed:
        sb = fit.accel_scale_bias
        # this device's own per-axis terms, only when the capture (not the prior) decided all three axes
        if all(sb.from_capture[f"bias_{a}"] for a in "xyz"):
            sec["bias_xyz_mg"] = [round(b / STANDARD_GRAVITY * 1e3, 4) for b in sb.bias]
            sec_sources["bias_xyz_mg"] = src + f" ({sb.orientations} still orientations)"
        if all(sb.from_capture[f"scale_{a}"] for a in "xyz"):
            sec["scale_xyz"] = [round(x, 7) for x in sb.scale]
            sec_sources["scale_xyz"] = src + f" ({sb.orientations} still orientations)"
    if kind == "gyro" and fit.gyro_bias:
        sec["bias_xyz_dps"] = [round(b / DEG, 6) for b in fit.gyro_bias.bias]
        sec_sources["bias_xyz_dps"] = src + f" (mean still rate, {fit.gyro_bias.orientations} orientation(s))"
        if all(k is not None for k in fit.gyro_bias.g_sensitivity):
            sec["g_sensitivity_xyz_dps_per_g"] = [round(k / DEG * STANDARD_GRAVITY, 6)
                                                  for k in fit.gyro_bias.g_sensitivity]
            sec_sources["g_sensitivity_xyz_dps_per_g"] = src + " (per-axis line over orientations)"
    if kind == "accel" and fit.accel_noise and fit.accel_noise.used and not fit.gravity_removed:
        sec["noise_ug_per_rthz"] = round(fit.accel_noise.density_mean / STANDARD_GRAVITY * 1e6, 3)
        sec_sources["noise_ug_per_rthz"] = src
        if fit.accel_noise.bias_instability is not None:
            sec["bias_instability_ug"] = round(fit.accel_noise.bias_instability / STANDARD_GRAVITY * 1e6, 3)
            sec_sources["bias_instability_ug"] = src
    if kind == "gyro" and fit.gyro_noise and fit.gyro_noise.used:
        sec["noise_mdps_per_rthz"] = round(fit.gyro_noise.density_mean / DEG * 1e3, 4)
        sec_sources["noise_mdps_per_rthz"] = src
        if fit.gyro_noise.bias_instability is not None:
            sec["bias_instability_dph"] = round(fit.gyro_noise.bias_instability / DEG * 3600, 3)
            sec_sources["bias_instability_dph"] = src
        ks = [k for k in (fit.gyro_bias.g_sensitivity if fit.gyro_bias else []) if k is not None]
        if ks:
            rms = float(np.sqrt(np.mean(np.square(ks))))
            sec["g_sensitivity_dps_per_g"] = round(rms / DEG * STANDARD_GRAVITY, 5)
            sec_sources["g_sensitivity_dps_per_g"] = src + " (rms over axes)"
    return sec, sec_sources


def _fitted_timing(fit: DeviceFit, base: dict[str, Any], src: str, origin: dict[str, str]) -> dict[str, Any]:
    """The fitted device file's ``timing`` section: the base device's, with the capture's clock figures
    (noted in ``origin``)."""
    timing = dict(base.get("timing", {})) if base.get("kind") == "device" else {}
    t_sources = dict(timing.pop("sources", {}))
    if fit.timing:
        timing["clock_ppm"] = round(fit.timing.clock_ppm, 2)
        timing["clock_tolerance_ppm"] = 0.0
        timing["jitter_us"] = round(fit.timing.jitter_s * 1e6, 2)
        timing["drop_rate"] = round(min(max(fit.timing.drop_rate, 0.0), 0.99), 6)
        for k in ("clock_ppm", "clock_tolerance_ppm", "jitter_us", "drop_rate"):
            t_sources[k] = src if k != "clock_tolerance_ppm" else src + " (one device: no spread)"
            origin[f"timing.{k}"] = "capture"
    if t_sources:
        timing["sources"] = t_sources
    return timing


def _fitted_range(fit: DeviceFit, kind: str, sec: dict[str, Any], sec_sources: dict[str, str],
                  src: str) -> None:
    """The range the capture showed (:func:`_offered_ranges`) into a fitted profile's sensor section."""
    from imuforge.sensors.profiles import RANGE_KEY

    if kind not in fit.ranges:
        return
    found = next(f for f in fit.full_scales if f.group == GROUP_OF_SENSOR[kind])
    value, unit = found.in_unit
    sec[RANGE_KEY[kind]] = fit.ranges[kind]
    sec_sources[RANGE_KEY[kind]] = src + f" (saturates at ±{value:.4g} {unit} on {', '.join(found.piled)})"


def fitted_profile(fit: DeviceFit, profile, name: str | None = None):
    """The fitted device as a :class:`~imuforge.sensors.profiles.HardwareProfile` value (nothing written):
    what :func:`apply_fitted_terms` and the simulator take; :func:`write_fitted_profile` saves the same
    document as TOML for the user."""
    from imuforge.sensors.profiles import HardwareProfile, load_profile, profile_from_document

    prof = profile if isinstance(profile, HardwareProfile) else load_profile(profile)
    doc, _ = fitted_profile_doc(fit, prof, name or f"{prof.name}-fitted")
    return profile_from_document(doc, source=f"fitted device ({prof.name})")


def _copy_own_chips(prof, folder: Path) -> None:
    """The chip files a base device found beside itself (a user's own, off the profile folders), copied
    beside the fitted device, which then finds them the same way (``profiles._load_chip``)."""
    import shutil
    import tomllib

    if prof.path is None:
        return
    for chip in prof.chips:
        own = Path(prof.path).parent / f"{chip}.toml"
        if own.is_file() and own.resolve() != (folder / own.name).resolve():
            with open(own, "rb") as fh:
                if tomllib.load(fh).get("kind") == "chip":
                    shutil.copyfile(own, folder / own.name)


def write_fitted_profile(fit: DeviceFit, profile, out_dir: str | Path, name: str | None = None) -> Path:
    """Write ``<name>.toml`` (default ``<profile>-fitted``) into ``out_dir``; loadable by ``load_profile``."""
    from imuforge.sensors.profiles import HardwareProfile, load_profile

    prof = profile if isinstance(profile, HardwareProfile) else load_profile(profile)
    name = name or f"{prof.name}-fitted"
    doc, origin = fitted_profile_doc(fit, prof, name)
    s = fit.summary()
    lines = [f"Fitted by imuforge calibrate on {fit.date} from: {', '.join(fit.captures)}",
             f"Base profile: {prof.name}. Still data used: {fit.still_seconds:.1f} s in {s['orientations']} orientation(s).",
             "From the capture (sources start with 'fitted:'): " + (", ".join(k for k, v in origin.items()
                                                                      if v == "capture") or "nothing"),
             "Everything else comes from the datasheet figures of the chip files (their own sources).",
             "This one device's per-axis terms ([accel] bias_xyz_mg / scale_xyz, [gyro] bias_xyz_dps /",
             "g_sensitivity_xyz_dps_per_g) replace the random turn-on draws when simulating; an axis set the",
             "capture did not decide keeps the draw (the key is then absent). Fitted values (also in fit.json):"]
    if fit.accel_scale_bias:
        sb = fit.accel_scale_bias
        lines.append("  accel bias mg = " + ", ".join(f"{b / STANDARD_GRAVITY * 1e3:+.2f}" for b in sb.bias)
                     + "; scale error % = " + ", ".join(f"{(x - 1) * 100:+.3f}" for x in sb.scale))
    if fit.gyro_bias:
        lines.append("  gyro bias dps = " + ", ".join(f"{b / DEG:+.4f}" for b in fit.gyro_bias.bias))
    for n in fit.notes:
        lines.append("Note: " + n)
    out = Path(out_dir) / f"{name}.toml"
    out.parent.mkdir(parents=True, exist_ok=True)
    _copy_own_chips(prof, out.parent)
    out.write_text(dumps_toml(doc, "\n".join(lines)))
    try:
        load_profile(out)  # refuse to leave a file the loader cannot read
    except ValidationError:
        out.unlink(missing_ok=True)
        raise
    return out


# ------------------------------------------------------------------- applying the fitted device
def apply_fitted_terms(recs: list[Recording], fitted) -> tuple[list[Recording], dict[str, Any]]:
    """Give imuforge-simulated Recordings the fitted device's deterministic terms.

    A synthetic Recording made by :func:`imuforge.sensors.simulate` carries its profile, seed,
    placement and error switches in its provenance, so its own per-device terms (scale and
    cross-axis matrix ``M``, turn-on bias ``b``, gyro g-sensitivity ``k``, see
    :func:`imuforge.sensors.simulate.device_terms`) can be reproduced and swapped for the fitted
    device's: ``x̂ = M⁻¹(y − b − k∘f̂)`` then ``y' = M'x̂ + b' + k'∘f̂`` with ``f̂`` the
    corrected specific force (m/s²); the result is clipped to the output range and re-quantised
    to the LSB. Noise, drift, filtering and timing of the recording are kept (their fitted
    counterparts are handled by the noise top-up and by re-simulating with the fitted profile).

    ``fitted`` is a HardwareProfile or the path of the fitted TOML. Recordings whose provenance
    does not say how they were simulated are returned unchanged and listed in the info dict.
    """
    from imuforge.sensors.profiles import HardwareProfile, load_profile
    from imuforge.sensors.simulate import is_simulated

    fprof = fitted if isinstance(fitted, HardwareProfile) else load_profile(fitted)
    info: dict[str, Any] = {"profile": fprof.name, "applied": 0, "unchanged": []}
    for kind in ("accel", "gyro"):
        s = fprof.sensors.get(kind)
        if s is not None:
            info[kind] = {"bias_xyz_si": list(s.bias_xyz_si) if s.bias_xyz_si else None,
                          "scale_xyz": list(s.scale_xyz) if s.scale_xyz else None,
                          "g_sensitivity_xyz_si": list(s.g_sensitivity_xyz_si) if s.g_sensitivity_xyz_si else None}
    if not any(s.bias_xyz_si or s.scale_xyz or s.g_sensitivity_xyz_si for s in fprof.sensors.values()):
        info["skipped"] = "the fit decided no per-axis bias, scale or g-sensitivity"
        return recs, info
    profiles: dict[str, HardwareProfile | None] = {}
    out = []
    for i, r in enumerate(recs):
        prov = r.provenance or {}
        name = r.profile
        if not is_simulated(r) or "seed" not in prov or not name or not r.placement:
            info["unchanged"].append(f"{i}: not an imuforge simulation (no generator/seed/profile/placement)")
            out.append(r)
            continue
        if name not in profiles:
            try:
                profiles[name] = load_profile(name)
            except ValidationError:
                profiles[name] = None
        sprof = profiles[name]
        if sprof is None:
            info["unchanged"].append(f"{i}: synthetic profile {name!r} is not installed")
            out.append(r)
            continue
        out.append(r.replace(data=_swap_device_terms(r, sprof, fprof)))
        info["applied"] += 1
    return out, info


def _swap_device_terms(r: Recording, sprof, fprof) -> np.ndarray:
    """``r``'s samples with its own device terms (drawn for profile ``sprof`` from its provenance's seed)
    swapped for the fitted profile ``fprof``'s (:func:`apply_fitted_terms`), clipped and re-quantised as
    the recording was."""
    from dataclasses import fields as dc_fields
    from dataclasses import replace as dc_replace

    from imuforge.sensors.hardware import ErrorTerms, quantise, saturate
    from imuforge.sensors.simulate import device_terms

    prov = r.provenance or {}
    known = {f.name for f in dc_fields(ErrorTerms)}
    terms = ErrorTerms(**{k: bool(v) for k, v in dict(prov.get("errors", {})).items() if k in known})
    # the fitted device's own terms are applied even when the synthetic data had them switched off
    fterms = dc_replace(terms, bias=True, scale=True, g_sensitivity=True)
    seed, stream = int(prov["seed"]), str(r.placement)
    data = np.array(r.data, dtype=float)
    f_hat = None
    for kind, group in (("accel", "acc"), ("gyro", "gyro")):
        ss, fs = sprof.sensors.get(kind), fprof.sensors.get(kind)
        cols = [r.channels.index(f"{group}_{a}") for a in "xyz" if f"{group}_{a}" in r.channels]
        if ss is None or fs is None or len(cols) != 3:
            continue
        m0, b0, k0 = device_terms(ss, terms, seed, stream)
        m1, b1, k1 = device_terms(fs, fterms, seed, stream)
        y = data[:, cols]
        if b0 is not None:
            y = y - b0
        if k0 is not None and f_hat is not None:
            y = y - f_hat * k0
        x = np.linalg.solve(m0, y.T).T if m0 is not None else y
        if kind == "accel":
            f_hat = x
        yn = x @ m1.T if m1 is not None else x
        if b1 is not None:
            yn = yn + b1
        if k1 is not None and f_hat is not None and kind == "gyro":
            yn = yn + f_hat * k1
        if terms.saturation:
            yn = saturate(yn, ss, terms.quantisation)
        if terms.quantisation:
            yn = quantise(yn, ss.lsb_si)
        data[:, cols] = yn
    return data
