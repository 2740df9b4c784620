"""Motion + hardware profile + placement → a synthetic :class:`~imuforge.recording.Recording`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter

from imuforge.errors import ValidationError, check_seed
from imuforge.motion.motion import Motion
from imuforge.recording import Recording
from imuforge.sensors.hardware import (
    ErrorTerms,
    gm_sigma_for_bias_instability,
    lowpass,
    lowpass_sos,
    misalignment_matrix,
    quantise,
    sample_instants,
    saturation_limits,
    steady_state_zi,
    term_rng,
)
from imuforge.sensors.impact import ImpactModel, ImpactPlan, add_transients, plan_impacts
from imuforge.sensors.kinematics import (
    EarthField,
    IdealImu,
    _kernels,
    filtered_ideal_samples,
    ideal_imu,
    ideal_imu_and_fields,
    use_kernel,
)
from imuforge.sensors.placement import Placement, get_placement
from imuforge.sensors.profiles import HardwareProfile, SensorModel, load_profile, noise_bandwidth_hz
from imuforge.sensors.wear import Wear, WearVariation, apply_looseness, draw_wear, gravity_probe, wear_key
from imuforge.units import GROUP_OF_SENSOR

GENERATOR = "imuforge.sensors.simulate"


def is_simulated(rec: Recording) -> bool:
    """Whether ``rec`` was made by :func:`simulate` (its provenance names this generator), calibrated or
    not (calibration keeps the provenance)."""
    return (rec.provenance or {}).get("generator") == GENERATOR

_GROUP = GROUP_OF_SENSOR


def _terms(errors: bool | str | ErrorTerms | None) -> ErrorTerms:
    """The error terms ``errors`` asks for: an :class:`ErrorTerms`, a bool, ``"none"`` / ``"all"`` or a comma
    list of the terms to turn on (as ``wear`` and ``impact`` take them); None: none (ideal values)."""
    return ErrorTerms.none() if errors is None else ErrorTerms.parse(errors)


def device_terms(
    sensor: SensorModel, terms: ErrorTerms, seed: int, stream: str = "",
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The deterministic per-device terms of one sensor: (matrix M, bias b, g-sensitivity k).

    ``y = M·x + b + k∘f`` before drift, noise, saturation and quantisation (SI units; ``None``
    for a term that is off or zero). Each term is the device's *known* value when its profile
    gives one (``scale_xyz``, ``bias_xyz_*``, ``g_sensitivity_xyz_dps_per_g``: docs/PROFILES.md)
    and otherwise the turn-on draw from the datasheet spread for this seed and stream. The
    cross-axis terms are always drawn (a profile holds no measured cross-axis matrix).
    """
    tag = f"{stream}/{sensor.kind}"
    m = b = k = None
    if terms.scale or terms.cross_axis:
        m = misalignment_matrix(sensor.scale_sd if terms.scale else 0.0,
                                sensor.cross_axis_sd if terms.cross_axis else 0.0, term_rng(seed, "misalignment", tag))
        if terms.scale and sensor.scale_xyz is not None:
            m[np.diag_indices(3)] = sensor.scale_xyz
    if terms.bias and sensor.bias_xyz_si is not None:
        b = np.asarray(sensor.bias_xyz_si, float)
    elif terms.bias and sensor.bias_sd_si:
        b = term_rng(seed, "bias", tag).standard_normal(3) * sensor.bias_sd_si
    if terms.g_sensitivity and sensor.g_sensitivity_xyz_si is not None:
        k = np.asarray(sensor.g_sensitivity_xyz_si, float)
    elif terms.g_sensitivity and sensor.g_sensitivity_si:
        k = np.where(term_rng(seed, "g_sensitivity", tag).random(3) < 0.5, -1.0, 1.0) * sensor.g_sensitivity_si
    return m, b, k


def apply_sensor_errors(
    x: np.ndarray,
    times: np.ndarray,
    sensor: SensorModel,
    terms: ErrorTerms,
    seed: int,
    stream: str = "",
    specific_force: np.ndarray | None = None,
    backend: str = "auto",
) -> np.ndarray:
    """Bias, scale/cross-axis, g-sensitivity, noise, saturation and quantisation of one sensor.

    ``x`` (n, 3) is the (filtered) ideal signal at the sample ``times`` (s), in SI units;
    ``specific_force`` (n, 3) m/s² drives the gyro's g-sensitivity. The deterministic terms
    come from :func:`device_terms`: a device's known per-axis bias / scale / g-sensitivity
    replace the random turn-on draws. ``backend``: with the C kernel (``auto``/``c``) the
    per-sample terms run in one fused pass (``_kernels.sensor_chain``) on the same seeded draws;
    ``numpy`` runs them term by term. The two agree to ≤ 1 ulp before quantisation (only the
    summation order of the 3×3 matrix product may differ) — tests/sensors/test_kernels.py.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    tag = f"{stream}/{sensor.kind}"
    m, b, k = device_terms(sensor, terms, seed, stream)
    if k is not None and specific_force is None:
        k = None
    # the seeded draws, in the order and shapes of hardware.gauss_markov and the noise term
    zw = x0 = None
    phi = scale = sigma_gm = 0.0
    if terms.bias_drift and sensor.bias_instability_si and n:
        dt = float(np.median(np.diff(times))) if n > 1 else 1.0 / sensor.odr_hz
        sigma_gm = gm_sigma_for_bias_instability(sensor.bias_instability_si)
        phi = float(np.exp(-dt / sensor.bias_tau_s))
        scale = float(np.sqrt(1.0 - phi**2))
        rng = term_rng(seed, "bias_drift", tag)
        zw = rng.standard_normal((n, 3))
        x0 = rng.standard_normal(3) * sigma_gm
    zn = None
    sigma_n = 0.0
    if terms.noise and sensor.noise_density_si:
        bw = noise_bandwidth_hz(sensor.bandwidth_hz, sensor.filter_order, sensor.odr_hz) if terms.filter \
            else 0.5 * sensor.odr_hz
        sigma_n = sensor.noise_density_si * np.sqrt(bw)
        zn = term_rng(seed, "noise", tag).standard_normal((n, 3))
    lo = hi = 0.0
    if terms.saturation:
        lo, hi = saturation_limits(sensor, terms.quantisation)

    if use_kernel(backend):
        flags = (1 if m is not None else 0) | (2 if b is not None else 0) | (4 if zw is not None else 0) \
            | (8 if k is not None else 0) | (16 if zn is not None else 0) | (32 if terms.saturation else 0) \
            | (64 if terms.quantisation else 0)
        params = np.zeros(25)
        if m is not None:
            params[:9] = m.ravel()
        if b is not None:
            params[9:12] = b
        if k is not None:
            params[12:15] = k
        if x0 is not None:
            params[15:18] = x0
        params[18:] = (sigma_gm, scale, phi, sigma_n, lo, hi, sensor.lsb_si)
        empty = np.empty(0)
        out = np.empty((n, 3))
        _kernels.sensor_chain(np.ascontiguousarray(x),
                              empty if k is None else np.ascontiguousarray(specific_force, dtype=float),
                              empty if zw is None else zw, empty if zn is None else zn, n, params, flags, out)
        return out

    y = x
    if m is not None:
        y = y @ m.T
    if b is not None:
        y = y + b
    if zw is not None:
        # hardware.gauss_markov on the same draws: x[k] = φ x[k−1] + w[k], stationary start x0
        w = zw * sigma_gm * scale
        y = y + lfilter([1.0], [1.0, -phi], w, axis=0, zi=(phi * x0)[None, :])[0]
    if k is not None:
        y = y + specific_force * k
    if zn is not None:
        y = y + zn * sigma_n
    if terms.saturation:
        y = np.clip(y, lo, hi)
    if terms.quantisation:
        y = quantise(y, sensor.lsb_si)
    return y


def saturated_samples(rec: Recording, profile: HardwareProfile) -> dict[str, tuple[int, int]]:
    """Per sensor of ``profile`` that ``rec`` holds (``accel``, ``gyro``, ``mag``): (samples at its full scale
    on some axis — within half an LSB of its output limits: what a range too small for the motion clipped —,
    samples)."""
    out = {}
    for kind, sensor in profile.sensors.items():
        x = rec.group(GROUP_OF_SENSOR[kind])
        if x is None:
            continue
        lo, hi = saturation_limits(sensor)
        half = 0.5 * sensor.lsb_si
        out[kind] = (int(np.any((x <= lo + half) | (x >= hi - half), axis=1).sum()), len(x))
    return out


DEFAULT_WEAR = WearVariation()
"""The wear variation the generating commands use unless told otherwise (every source on)."""


def _draw_wears(motion: Motion, pls: Sequence[Placement], wear, wear_seed, subject: str | None,
                seed: int) -> list[Wear] | None:
    """Each placement as this motion's person wears it, or None when every source of wear variation is off."""
    variation = WearVariation.parse(wear)
    if not variation.any:
        return None
    key = str(wear_seed) if wear_seed is not None else wear_key(motion.meta, subject, seed)
    handedness = str((motion.meta.get("person") or {}).get("handedness", "right"))
    if handedness not in ("left", "right"):
        handedness = "right"
    return [draw_wear(p, variation, key, handedness) for p in pls]


def simulation_rate(fps: float, odr_hz: float, oversample: int) -> float:
    """The rate (Hz) the chip's low-pass is simulated at: at least ``oversample × odr_hz``.

    Raised to a common multiple of the motion's frame rate and the ODR when both are whole
    numbers (within 1.5× of the minimum): then :func:`~imuforge.sensors.kinematics.ideal_imu`
    takes its uniform-grid fast path and, with no clock error, the samples fall on grid points.
    Otherwise the nearest multiple of the frame rate above the minimum, else the minimum itself.
    """
    target = oversample * odr_hz
    if abs(fps - round(fps)) < 1e-9 and abs(odr_hz - round(odr_hz)) < 1e-9 and round(fps) > 0:
        base = math.lcm(int(round(fps)), int(round(odr_hz)))
        fs = base * math.ceil(target / base - 1e-9)
        if fs <= 1.5 * target:
            return float(fs)
    fs = fps * math.ceil(target / fps - 1e-9)
    return float(fs) if fs <= 1.5 * target else float(target)


def _grid_positions(t: np.ndarray, fs_hz: float) -> np.ndarray:
    """Times (s) → fractional sample positions on the ``k / fs_hz`` grid, snapped within 1e-6 of a sample."""
    pos = np.asarray(t, dtype=float) * fs_hz
    near = np.rint(pos)
    return np.where(np.abs(pos - near) < 1e-6, near, pos)


def filter_and_sample(streams: Sequence[np.ndarray], filters: Sequence[np.ndarray | None], fs_hz: float,
                      t: np.ndarray, backend: str = "auto") -> np.ndarray:
    """Low-pass each (N, 3) stream sampled at ``k / fs_hz`` and read it at the times ``t`` (s) → (len(t), 3·m).

    ``filters[j]`` are the second-order sections of stream j (started in steady state on its first
    sample, as :func:`~imuforge.sensors.hardware.lowpass`), or None to read the stream unfiltered;
    the reads are those of :func:`resample_uniform`. With the C kernel the cascade and the reads
    run in one pass that never stores the filtered streams; ``backend="numpy"`` (or a missing
    kernel) runs ``scipy.signal.sosfilt`` + :func:`resample_uniform` instead. Both agree to
    rounding (tests/sensors/test_kernels.py).
    """
    from scipy.signal import sosfilt

    n = streams[0].shape[0]
    t = np.asarray(t, dtype=float)
    if not use_kernel(backend) or n < 4:
        cols = []
        for x, sos in zip(streams, filters):
            if sos is not None:
                x, _ = sosfilt(sos, x, axis=0, zi=steady_state_zi(sos)[:, :, None] * x[0][None, None, :])
            cols.append(x)
        return resample_uniform(np.concatenate(cols, axis=1), fs_hz, t)
    m = len(streams)
    n_sec = max((len(f) for f in filters if f is not None), default=1)
    sos = np.zeros((n_sec, 3 * m, 6))
    sos[..., 0] = sos[..., 3] = 1.0  # identity sections pad shorter cascades and unfiltered streams
    zi = np.zeros((n_sec, 2, 3 * m))
    for j, (x, f) in enumerate(zip(streams, filters)):
        if f is not None:
            sos[:len(f), 3 * j:3 * j + 3] = f[:, None, :]
            zi[:len(f), :, 3 * j:3 * j + 3] = steady_state_zi(f)[:, :, None] * x[0][None, None, :]
    out = np.empty((t.size, 3 * m))
    _kernels.sos_pick(tuple(np.ascontiguousarray(x, dtype=float) for x in streams), n,
                      np.ascontiguousarray(sos.transpose(0, 2, 1)), n_sec, zi,
                      _grid_positions(t, fs_hz), t.size, out)
    return out


def resample_uniform(x: np.ndarray, fs_hz: float, t: np.ndarray) -> np.ndarray:
    """Values of ``x`` (N, C), sampled at ``k / fs_hz``, at the times ``t`` (s): 4-point cubic Lagrange.

    Instants on the grid (within 1e-6 of a sample) return that sample exactly. Off the grid the
    error for a sinusoid of frequency f is at most ≈ 0.0234 · (2πf/fs)⁴ of its amplitude (1.4e-5
    for 20 Hz at 800 Hz, 2e-8 for 5 Hz), the same order as a cubic spline's, without a fit.
    """
    n = x.shape[0]
    pos = _grid_positions(t, fs_hz)
    if n < 4:
        idx = np.clip(np.rint(pos).astype(np.intp), 0, n - 1)
        return x[idx]
    i = np.clip(np.floor(pos).astype(np.intp), 1, n - 3)
    u = (pos - i)[:, None]
    um, u1, u2 = u + 1.0, u - 1.0, u - 2.0
    return (x[i - 1] * (-u * u1 * u2 / 6.0) + x[i] * (um * u1 * u2 / 2.0)
            + x[i + 1] * (-um * u * u2 / 2.0) + x[i + 2] * (um * u * u1 / 6.0))


def _labels_covering(motion: Motion, ts: np.ndarray) -> list[tuple[float, float, str]]:
    """The motion's label segments, the outermost ones widened to the first / last timestamp.

    Labels are in true time; timestamp jitter can put the first sample a few µs before 0 (or the
    last one after the end), which must not leave it unlabelled.
    """
    out = [(s.start_s, s.end_s, s.label) for s in motion.labels]
    if out and ts.size:
        lo, hi = float(ts[0]), float(np.nextafter(ts[-1], np.inf))
        first = min(range(len(out)), key=lambda k: out[k][0])
        last = max(range(len(out)), key=lambda k: out[k][1])
        if out[first][0] <= 1e-9:
            out[first] = (min(out[first][0], lo), out[first][1], out[first][2])
        if out[last][1] >= motion.duration_s - 1e-9:
            out[last] = (out[last][0], max(out[last][1], hi), out[last][2])
    return out


@dataclass
class _Plan:
    """What :func:`simulate_many` fixes before simulating: the devices as worn, their impacts and clocks."""

    motion: Motion
    prof: HardwareProfile
    pls: list[Placement]
    wears: list[Wear] | None
    impacts: ImpactPlan | None
    terms: ErrorTerms
    main: SensorModel  # the sensor whose instants are the Recording's timestamps
    duration: float
    clock_ppm: np.ndarray  # per placement: each is its own device
    seeds: tuple[int, ...]  # per placement: each device's error terms, clock, jitter and drops
    oversample: int
    subject: str | None
    earth_field: EarthField | None
    smoothing_hz: float | None
    backend: str
    kernel: bool

    @property
    def loose(self) -> bool:
        return self.wears is not None and any(w.looseness is not None for w in self.wears)

    def direct(self, i: int, times: np.ndarray) -> IdealImu:
        """Ideal values of placement ``i`` computed at ``times`` themselves (no simulation grid), with its impacts."""
        ideal = ideal_imu(self.motion, [self.pls[i]], times=times, earth_field=self.earth_field,
                          smoothing_hz=self.smoothing_hz, backend=self.backend)
        if self.impacts is not None:
            add_transients(times, ideal.acc[0], ideal.gyro[0], self.impacts.sites[i], self.impacts.person.model)
        return ideal


@dataclass
class _Streams:
    """The ideal signals on the simulation grid, and how they are read at the sample instants.

    Either ``one_pass`` (the compiled kernel's values at each device's main instants), or ``ideal``
    on the grid at ``fs_sim`` — low-passed in ``filtered`` (numpy), or by ``sos_of`` as it is read
    (``fused``, the kernel) — or neither (no grid: the ideal values are computed at the instants).
    """

    fs_sim: float | None = None
    ideal: IdealImu | None = None
    one_pass: list[dict[str, np.ndarray]] | None = None
    filtered: dict[str, np.ndarray] = field(default_factory=dict)
    sos_of: dict[str, np.ndarray | None] = field(default_factory=dict)
    fused: bool = False


def _plan(motion: Motion, profile, placements, *, seeds: Sequence[int], errors, wear, wear_seed, subject,
          impact, oversample: int, backend: str, earth_field, smoothing_hz) -> _Plan:
    """Placements, wear and impacts drawn for this wearer, the inputs checked, each device's clock drawn.

    ``seeds``: one per placement; the wearer's draws (wear, impacts) take the first (``simulate_many``
    makes sure they all name the same wearer)."""
    kernel = use_kernel(backend)
    prof = load_profile(profile) if not isinstance(profile, HardwareProfile) else profile
    pls = [get_placement(p) for p in (placements or [prof.default_placement])]
    seed = seeds[0]
    wears = _draw_wears(motion, pls, wear, wear_seed, subject, seed)
    if wears is not None:
        pls = [w.placement for w in wears]
    key = str(wear_seed) if wear_seed is not None else wear_key(motion.meta, subject, seed)
    impacts = plan_impacts(motion, pls, impact, key)
    terms = _terms(errors)
    if oversample < 2:
        raise ValidationError(f"oversample must be >= 2, got {oversample}")
    main = prof.sensors.get("accel") or next(iter(prof.sensors.values()))
    duration = motion.duration_s
    if duration * main.odr_hz < 1:
        raise ValidationError(f"motion lasts {duration:.3f} s: shorter than one sample at {main.odr_hz:g} Hz")
    clock_ppm = np.zeros(len(pls))
    if terms.clock:
        for i, p in enumerate(pls):
            clock_ppm[i] = prof.timing.clock_ppm + prof.timing.clock_tolerance_ppm * \
                term_rng(seeds[i], "clock", p.name).standard_normal()
    return _Plan(motion, prof, pls, wears, impacts, terms, main, duration, clock_ppm, tuple(seeds),
                 oversample, subject,
                 earth_field, smoothing_hz, backend, kernel)


def _kernel_one_pass(plan: _Plan, fs_sim: float, grid: np.ndarray) -> list[dict[str, np.ndarray]] | None:
    """The compiled kernel's single pass: kinematics on the grid → chip low-pass → reads at each device's
    sample instants, without storing the grid-rate streams. None when the kernel cannot take this case."""
    prof, main = plan.prof, plan.main
    if not (plan.kernel and not plan.loose and plan.impacts is None
            and all(s.odr_hz == main.odr_hz for s in prof.sensors.values())):
        return None
    names = [kind for kind in ("accel", "gyro", "mag") if kind in prof.sensors]
    sources = [_GROUP[kind] for kind in names]
    filters: list[np.ndarray | None] = [
        lowpass_sos(fs_sim, prof.sensors[kind].bandwidth_hz, prof.sensors[kind].filter_order)
        for kind in names]
    if "gyro" in names and "accel" in names:  # unfiltered specific force for g-sensitivity
        names.append("specific_force")
        sources.append("acc")
        filters.append(None)
    positions = [_grid_positions(sample_instants(plan.duration, main.odr_hz, plan.clock_ppm[i]), fs_sim)
                 for i in range(len(plan.pls))]
    vals = filtered_ideal_samples(plan.motion, plan.pls, grid, sources, filters, positions,
                                  earth_field=plan.earth_field, smoothing_hz=plan.smoothing_hz)
    if vals is None:
        return None
    return [{name: v[:, 3 * j:3 * j + 3] for j, name in enumerate(names)} for v in vals]


def _ideal_kinematics(plan: _Plan) -> _Streams:
    """The ideal signals of every placement on the simulation grid, with impacts and a loose device's wobble.

    Only when the chip's low-pass is simulated or a device is loose (its wobble is integrated on the
    grid, filter or not); otherwise no grid (:meth:`_Plan.direct` at the sample instants).
    """
    if not (plan.terms.filter or plan.loose):
        return _Streams()
    fs_sim = simulation_rate(plan.motion.fps, max(s.odr_hz for s in plan.prof.sensors.values()), plan.oversample)
    grid = np.arange(int(np.floor(plan.duration * fs_sim + 1e-9)) + 1) / fs_sim
    one_pass = _kernel_one_pass(plan, fs_sim, grid)
    ideal = gravity = None
    if one_pass is None and plan.loose:  # the wobble needs gravity in the sensor frames: one spline for both
        ideal, (gravity,) = ideal_imu_and_fields(plan.motion, plan.pls, grid, [gravity_probe()],
                                                 earth_field=plan.earth_field, smoothing_hz=plan.smoothing_hz,
                                                 backend=plan.backend)
    elif one_pass is None:
        ideal = ideal_imu(plan.motion, plan.pls, times=grid, earth_field=plan.earth_field,
                          smoothing_hz=plan.smoothing_hz, backend=plan.backend)
    if plan.impacts is not None and ideal is not None:  # before the wobble: it is driven by the impact too
        for i in range(len(plan.pls)):
            add_transients(grid, ideal.acc[i], ideal.gyro[i], plan.impacts.sites[i], plan.impacts.person.model)
    if plan.loose:
        apply_looseness(plan.motion, ideal, plan.wears, fs_sim, earth_field=plan.earth_field,
                        smoothing_hz=plan.smoothing_hz, backend=plan.backend, gravity=gravity)
    return _chip_lowpass(plan, _Streams(fs_sim=fs_sim, ideal=ideal, one_pass=one_pass))


def _chip_lowpass(plan: _Plan, st: _Streams) -> _Streams:
    """The chip's low-pass for every placement at once (one filter call per sensor kind), or, with the
    kernel, the filter sections it applies as it reads each placement (``fused``)."""
    if st.ideal is None:
        return st
    terms, fs_sim = plan.terms, st.fs_sim
    st.sos_of = {kind: lowpass_sos(fs_sim, s.bandwidth_hz, s.filter_order) if terms.filter else None
                 for kind, s in plan.prof.sensors.items()}
    st.fused = plan.kernel
    if not st.fused:
        P = len(plan.pls)
        for kind, sensor in plan.prof.sensors.items():
            sig = getattr(st.ideal, _GROUP[kind])  # (P, n, 3)
            flat = sig.transpose(1, 0, 2).reshape(sig.shape[1], 3 * P)
            st.filtered[kind] = sig if not terms.filter else \
                lowpass(flat, fs_sim, sensor.bandwidth_hz, sensor.filter_order).reshape(sig.shape[1], P, 3) \
                .transpose(1, 0, 2)
    return st


def _reads_at_main(plan: _Plan, st: _Streams, i: int, t_main: np.ndarray) -> dict[str, np.ndarray]:
    """Placement ``i``'s streams at its main instants: the filtered sensors of the main ODR, and the
    unfiltered specific force for the gyro's g-sensitivity, read in one call (exact grid samples when
    the instants fall on the grid, else cubic Lagrange)."""
    if st.one_pass is not None:
        return st.one_pass[i]
    if st.ideal is None:
        return {}
    ideal, prof = st.ideal, plan.prof
    names, cols, raw, sos = [], [], [], []
    for kind in ("accel", "gyro", "mag"):
        sensor = prof.sensors.get(kind)
        if sensor is not None and sensor.odr_hz == plan.main.odr_hz:
            names.append(kind)
            raw.append(getattr(ideal, _GROUP[kind])[i])
            sos.append(st.sos_of[kind])
            if not st.fused:
                cols.append(st.filtered[kind][i])
    if "gyro" in names and "accel" in prof.sensors:
        names.append("specific_force")
        raw.append(ideal.acc[i])
        sos.append(None)
        cols.append(ideal.acc[i])
    if not names:
        return {}
    vals = filter_and_sample(raw, sos, st.fs_sim, t_main, plan.backend) if st.fused else \
        resample_uniform(np.concatenate(cols, axis=1), st.fs_sim, t_main)
    return {name: vals[:, 3 * j:3 * j + 3] for j, name in enumerate(names)}


def _sensor_input(plan: _Plan, st: _Streams, i: int, kind: str, t_main: np.ndarray, at_main: dict[str, np.ndarray],
                  direct: IdealImu | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One sensor's sample instants, its (filtered) ideal values there and the specific force for its g-sensitivity."""
    sensor, group, ideal = plan.prof.sensors[kind], _GROUP[kind], st.ideal
    with_f = kind == "gyro" and "accel" in plan.prof.sensors
    t_s = t_main if sensor.odr_hz == plan.main.odr_hz else \
        sample_instants(plan.duration, sensor.odr_hz, plan.clock_ppm[i])
    if kind in at_main:
        return t_s, at_main[kind], (at_main.get("specific_force") if kind == "gyro" else None)
    if ideal is not None and st.fused:
        vals = filter_and_sample([getattr(ideal, group)[i]] + ([ideal.acc[i]] if with_f else []),
                                 [st.sos_of[kind]] + ([None] if with_f else []), st.fs_sim, t_s, plan.backend)
        return t_s, vals[:, :3], (vals[:, 3:] if with_f else None)
    if ideal is not None:
        x = resample_uniform(st.filtered[kind][i], st.fs_sim, t_s)
        return t_s, x, (resample_uniform(ideal.acc[i], st.fs_sim, t_s) if with_f else None)
    if t_s is t_main:
        return t_s, getattr(direct, group)[0], (direct.acc[0] if kind == "gyro" else None)
    return t_s, getattr(plan.direct(i, t_s), group)[0], None


def _error_chain(plan: _Plan, st: _Streams, i: int, t_main: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Placement ``i``'s device readings at its main instants: every sensor through its error chain
    (a slower sensor, e.g. a magnetometer, holds its latest value at each main sample) → (data, channels)."""
    direct = plan.direct(i, t_main) if st.ideal is None and st.one_pass is None else None
    at_main = _reads_at_main(plan, st, i, t_main)
    blocks, channels = [], []
    for kind in ("accel", "gyro", "mag"):
        sensor = plan.prof.sensors.get(kind)
        if sensor is None:
            continue
        t_s, x, f_ideal = _sensor_input(plan, st, i, kind, t_main, at_main, direct)
        y = apply_sensor_errors(x, t_s, sensor, plan.terms, plan.seeds[i], plan.pls[i].name,
                                specific_force=f_ideal,
                                backend=plan.backend)
        if t_s is not t_main:
            idx = np.clip(np.searchsorted(t_s, t_main, side="right") - 1, 0, len(t_s) - 1)
            y = y[idx]
        blocks.append(y)
        channels += [f"{_GROUP[kind]}_{a}" for a in "xyz"]
    return np.concatenate(blocks, axis=1), channels


def _recording(plan: _Plan, st: _Streams, i: int) -> Recording:
    """Placement ``i``'s Recording: its readings, timestamp jitter and dropped samples, labels and provenance."""
    p, prof, terms, seed = plan.pls[i], plan.prof, plan.terms, plan.seeds[i]
    t_main = sample_instants(plan.duration, plan.main.odr_hz, plan.clock_ppm[i])
    data, channels = _error_chain(plan, st, i, t_main)
    ts = t_main.copy()
    rate = plan.main.odr_hz * (1.0 + plan.clock_ppm[i] * 1e-6)
    if terms.jitter and prof.timing.jitter_s:
        jit = term_rng(seed, "jitter", p.name).standard_normal(ts.size) * prof.timing.jitter_s
        ts = ts + np.clip(jit, -0.45 / rate, 0.45 / rate)
    keep = np.ones(ts.size, bool)
    if terms.drops and prof.timing.drop_rate:
        keep = term_rng(seed, "drops", p.name).random(ts.size) >= prof.timing.drop_rate
    provenance = {
        "generator": GENERATOR,
        "seed": int(seed),
        "errors": terms.to_dict(),
        "clock_ppm": float(plan.clock_ppm[i]),
        "motion": plan.motion.meta,
        # the configuration simulated, as `imuforge profiles show` prints it: a profile's name alone does not
        # say which --odr / --range it was loaded with, or which version of a user's file
        "device_config": prof.summary(),
        "oversample": plan.oversample,
        "simulation_rate_hz": st.fs_sim,
    }
    if plan.wears is not None:
        provenance["wear"] = plan.wears[i].to_dict()
    if plan.impacts is not None:
        provenance["impact"] = plan.impacts.to_dict(i)
    return Recording(ts[keep], data[keep], channels, rate, profile=prof.name, placement=p.name,
                     labels=_labels_covering(plan.motion, ts), subject=plan.subject, provenance=provenance)


def _placement_seeds(seed, n: int) -> list[int]:
    """``simulate_many``'s ``seed`` as one seed per placement (a single seed for all of them)."""
    if np.ndim(seed) == 0:
        return [check_seed(seed, "seed")] * n
    seeds = [check_seed(s, "seed") for s in seed]
    if len(seeds) != n:
        raise ValidationError(f"{len(seeds)} seeds for {n} placements",
                              allowed="one seed, or one per placement")
    return seeds


def _check_inputs(motion, placements) -> list | None:
    """``simulate_many``'s motion and placements checked: a Motion (not a file name), and each placement once
    (two devices at one place are two calls, each with its own seed); one placement alone is a list of one."""
    if not isinstance(motion, Motion):
        raise ValidationError(f"motion is a {type(motion).__name__}, not a Motion",
                              allowed="a Motion (from a .motion.npz file: imuforge.motion.read_motion(path))")
    if placements is None:
        return None
    if isinstance(placements, (str, Placement)):
        placements = [placements]
    placements = list(placements)
    if not placements:
        raise ValidationError("no placement given",
                              allowed="one or more placements (None: the profile's default)")
    names = [p if isinstance(p, str) else p.name for p in placements]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"placement {twice[0]!r} is named twice",
                              allowed="each placement once (two devices at one place: two calls, two seeds)")
    return placements


def simulate_many(
    motion: Motion,
    profile: str | HardwareProfile,
    placements: Sequence[str | Placement] | None = None,
    *,
    seed: int | Sequence[int] = 0,
    errors: bool | str | ErrorTerms = True,
    earth_field: EarthField | None = None,
    oversample: int = 8,
    subject: str | None = None,
    smoothing_hz: float | None = None,
    backend: str = "auto",
    wear: WearVariation | str | bool | None = None,
    wear_seed: str | int | None = None,
    impact: ImpactModel | str | bool | None = True,
) -> list[Recording]:
    """One Recording per placement, from one vectorised kinematics pass.

    Each placement is a separate (virtual) device of the same profile, with its own error
    realisation (seeded by ``seed`` and the placement name).

    Parameters
    ----------
    motion : Motion
    profile : profile name or HardwareProfile
    placements : names or Placements; default the profile's default placement.
    seed : int or sequence of int
        Seeds every error term; same inputs and seed give bit-identical Recordings. One seed per
        placement: each device's error terms, clock, jitter and drops from its own (what a
        :func:`simulate` call per placement with that seed gives, bit for bit, in one pass).
    errors : bool, str or ErrorTerms
        ``True`` / ``"all"`` all terms, ``False`` / ``"none"`` none (ideal values at the nominal ODR), or a
        comma list of the terms to turn on (``"noise,quantisation"``); an unknown term is refused.
    oversample : int
        Simulation rate as a multiple of the highest ODR, for the low-pass filter.
    smoothing_hz : float, optional
        Low-pass the motion before differentiation (noisy mocap), see :func:`ideal_imu`.
    backend : {"auto", "c", "numpy"}
        Where the per-sample work runs (kinematics, chip low-pass and reads at the sample
        instants): the compiled kernel when built (``auto``), or numpy. Same values to rounding.
    wear : WearVariation, "none" / "default" / "rotation,offset,…", bool or None
        Variation of wear (:mod:`imuforge.sensors.wear`): how this person wears each device
        (rotation and offset on the segment, flips, side, soft-tissue wobble). None / False /
        ``WearVariation.none()`` (the library default) wears it exactly at the placement, as
        before; the ``imuforge motion`` and ``imuforge simulate`` commands turn it on by default
        (``DEFAULT_WEAR``). What was drawn goes into ``provenance["wear"]``.
    wear_seed : str or int, optional
        Who the wearer is, for the wear draws. Default :func:`~imuforge.sensors.wear.wear_key`:
        the motion's ``person`` (and ``subject``), so one body wears the device the same way in
        every activity whatever the error ``seed``.
    impact : ImpactModel, bool, "none" / "default" / "translation,rotation", or None
        Foot–ground impact transients at the gait's foot contacts (:mod:`imuforge.sensors.impact`),
        on by default (True / None); ``False`` / ``ImpactModel.none()`` reproduces the output without
        them byte for byte. Seeded by the wearer (as ``wear_seed``); what was drawn goes into
        ``provenance["impact"]`` (only when the motion has contacts).
    """
    placements = _check_inputs(motion, placements)
    opts = dict(errors=errors, wear=wear, wear_seed=wear_seed, subject=subject, impact=impact,
                oversample=oversample, backend=backend, earth_field=earth_field, smoothing_hz=smoothing_hz)
    seeds = _placement_seeds(seed, len(placements) if placements else 1)
    wearers = {wear_key(motion.meta, subject, s) for s in set(seeds)} if wear_seed is None else ()
    if len(wearers) > 1:
        # the seeds name the wearer (a motion without a person): each device is its own wearer's
        return [simulate_many(motion, profile, [p], seed=s, **opts)[0] for p, s in zip(placements, seeds)]
    plan = _plan(motion, profile, placements, seeds=seeds, **opts)
    streams = _ideal_kinematics(plan)
    return [_recording(plan, streams, i) for i in range(len(plan.pls))]


def simulate(
    motion: Motion,
    profile: str | HardwareProfile,
    placement: str | Placement | None = None,
    *,
    seed: int = 0,
    errors: bool | str | ErrorTerms = True,
    earth_field: EarthField | None = None,
    oversample: int = 8,
    subject: str | None = None,
    smoothing_hz: float | None = None,
    backend: str = "auto",
    wear: WearVariation | str | bool | None = None,
    wear_seed: str | int | None = None,
    impact: ImpactModel | str | bool | None = True,
) -> Recording:
    """The Recording a device of ``profile`` worn at ``placement`` would make of ``motion``.

    See :func:`simulate_many` for the parameters.
    """
    if placement is not None and not isinstance(placement, (str, Placement)):
        raise ValidationError(f"placement is a {type(placement).__name__}: simulate makes one device",
                              allowed="one placement name or Placement (several: simulate_many)")
    return simulate_many(motion, profile, None if placement is None else [placement], seed=seed, errors=errors,
                         earth_field=earth_field, oversample=oversample, subject=subject,
                         smoothing_hz=smoothing_hz, backend=backend, wear=wear, wear_seed=wear_seed,
                         impact=impact)[0]


__all__ = ["DEFAULT_WEAR", "ErrorTerms", "IdealImu", "ImpactModel", "WearVariation", "apply_sensor_errors",
           "device_terms", "filter_and_sample", "is_simulated", "resample_uniform", "saturated_samples",
           "simulate", "simulate_many", "simulation_rate"]
