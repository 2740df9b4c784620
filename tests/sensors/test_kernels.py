"""The compiled kernel (imuforge.sensors._kernels) against the numpy reference implementation.

Every entry point of the kernel has a numpy twin (the fallback used when the extension is not
built); both must give the same numbers to 1e-12 of the signal's magnitude, and the C path must be
deterministic (bit-identical on repeated calls).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.sensors import PLACEMENTS, Placement, ideal_imu, simulate_many
from imuforge.sensors import kinematics as K
from imuforge.sensors.hardware import ErrorTerms, lowpass, lowpass_sos
from imuforge.sensors.simulate import filter_and_sample, resample_uniform
from tests.conftest import rigid_motion

needs_kernel = pytest.mark.skipif(not K.kernel_available(), reason="C kernel not built")

AT_JOINT = Placement("at_pelvis", "pelvis")
LEVER = Placement("lever", "pelvis", offset_m=(0.05, -0.2, 0.1),
                  rotation=tuple(map(tuple, Rotation.from_euler("zyx", [30, -20, 75], degrees=True).as_matrix())))
TOL = 1e-12


def _wobble(fps: float, seconds: float = 4.0):
    t = np.arange(0, seconds + 1e-9, 1 / fps)
    return rigid_motion(
        t,
        lambda t: np.stack([0.2 * np.sin(2.1 * t), 0.05 * np.cos(5.0 * t) + 0.9, 0.1 * np.sin(0.7 * t + 1)], 1),
        lambda t: Rotation.from_rotvec(np.stack([0.8 * np.sin(1.3 * t), 0.5 * np.cos(2.2 * t), 3.0 * t], 1)),
        fps)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def test_the_kernel_is_built():
    # `pip install -e .` (make setup) compiles it; a silent fallback would hide a 3-4x slowdown
    assert K.kernel_available(), "imuforge.sensors._kernels is not built: run .venv/bin/pip install -e ."


@needs_kernel
@pytest.mark.parametrize(("fps", "rate", "start"), [(100.0, 100.0, 0), (20.0, 100.0, 3), (30.0, 240.0, 5),
                                                    (100.0, 800.0, 0)])
@pytest.mark.parametrize("fast", [True, False])
def test_ideal_imu_c_matches_numpy(fps, rate, start, fast):
    motion = _wobble(fps)
    tt = np.arange(start, int(np.floor(motion.duration_s * rate + 1e-9)) + 1) / rate
    pls = [AT_JOINT, LEVER, *list(PLACEMENTS)[:8]]
    c = ideal_imu(motion, pls, times=tt, fast=fast, backend="c")
    py = ideal_imu(motion, pls, times=tt, fast=fast, backend="numpy")
    for name in ("acc", "gyro", "mag"):
        err = _rel(getattr(c, name), getattr(py, name))
        print(f"{fps:g} fps → {rate:g} Hz fast={fast} {name}: max |C − numpy| / max |numpy| = {err:.1e}")
        assert err < TOL
    again = ideal_imu(motion, pls, times=tt, fast=fast, backend="c")
    assert all(np.array_equal(getattr(c, k), getattr(again, k)) for k in ("acc", "gyro", "mag"))


@needs_kernel
@pytest.mark.parametrize("placements", [[AT_JOINT], [LEVER], [LEVER, AT_JOINT, LEVER]])
def test_single_segment_layouts_and_smoothing(placements):
    # no lever arm (angular acceleration skipped), identity and non-identity mounts, repeats
    motion = _wobble(50.0)
    for smoothing in (None, 8.0):
        c = ideal_imu(motion, placements, rate_hz=200.0, smoothing_hz=smoothing, backend="c")
        py = ideal_imu(motion, placements, rate_hz=200.0, smoothing_hz=smoothing, backend="numpy")
        for name in ("acc", "gyro", "mag"):
            assert _rel(getattr(c, name), getattr(py, name)) < TOL


@needs_kernel
def test_quaternion_sign_flips_are_undone_in_both_paths():
    motion = _wobble(100.0)
    flipped = motion.orientations.copy()
    flipped[1::3] *= -1.0  # the same rotations, alternate signs
    other = type(motion)(motion.positions, flipped, motion.fps, motion.skeleton)
    ref = ideal_imu(motion, [LEVER], rate_hz=100.0, backend="numpy")
    for backend in ("c", "numpy"):
        got = ideal_imu(other, [LEVER], rate_hz=100.0, backend=backend)
        assert _rel(got.gyro, ref.gyro) < TOL and _rel(got.acc, ref.acc) < TOL


@needs_kernel
def test_prefilter_matches_scipy_spline_filter():
    rng = np.random.default_rng(4)
    t = np.arange(700) / 100.0
    values = np.ascontiguousarray(np.stack([30 * t * t + 5 * t, 1e3 * np.sin(t), rng.standard_normal(t.size)], 1))
    ref = K._cardinal_coefficients(values).T
    out = np.concatenate([*K._edge_padding(values)[:1], values, K._edge_padding(values)[1]])
    K._kernels.quintic_prefilter(out, out.shape[0], 3)
    assert np.max(np.abs(out - ref) / np.abs(ref).max(axis=0)) < TOL


@needs_kernel
@pytest.mark.parametrize("clock_ppm", [0.0, 137.0, -2500.0])
def test_filter_and_sample_matches_sosfilt_and_resample(clock_ppm):
    rng = np.random.default_rng(1)
    fs, n = 800.0, 4000
    x = np.cumsum(rng.standard_normal((n, 3)), axis=0)
    f = np.cumsum(rng.standard_normal((n, 3)), axis=0)
    t = np.arange(int((n - 1) / fs * 100 * (1 + clock_ppm * 1e-6)) + 1) / (100 * (1 + clock_ppm * 1e-6))
    t[-1] = min(t[-1], (n - 1) / fs)
    filters = [lowpass_sos(fs, 40.0, 2), lowpass_sos(fs, 90.0, 4), None]
    ref = np.concatenate([resample_uniform(lowpass(x, fs, 40.0, 2), fs, t),
                          resample_uniform(lowpass(f, fs, 90.0, 4), fs, t), resample_uniform(f, fs, t)], axis=1)
    for backend in ("c", "numpy"):
        got = filter_and_sample([x, f, f], filters, fs, t, backend)
        print(f"clock {clock_ppm:g} ppm {backend}: {_rel(got, ref):.1e}")
        assert _rel(got, ref) < TOL


@needs_kernel
@pytest.mark.parametrize(("fps", "fs"), [(100.0, 800.0), (30.0, 240.0)])
def test_one_pass_simulation_matches_ideal_imu_lowpass_resample(fps, fs):
    motion = _wobble(fps, 3.0)
    pls = [AT_JOINT, LEVER, "wrist_left", "ankle_right"]
    grid = np.arange(int(np.floor(motion.duration_s * fs + 1e-9)) + 1) / fs
    specs = [(40.0, 2), (25.0, 4), (10.0, 2), None]  # (cut-off Hz, order) per stream; None: unfiltered
    filters = [None if sp is None else lowpass_sos(fs, *sp) for sp in specs]
    sources = ["acc", "gyro", "mag", "acc"]
    rates = [100.0, 100.0 * (1 + 300e-6), 100.0 * (1 - 4000e-6), 50.0]  # on the grid, and clock errors
    times = [np.arange(int(motion.duration_s * r) + 1) / r for r in rates]
    got = K.filtered_ideal_samples(motion, pls, grid, sources, filters, [t * fs for t in times])
    ideal = ideal_imu(motion, pls, times=grid, backend="numpy")
    for p, (vals, t) in enumerate(zip(got, times)):
        cols = []
        for src, sp in zip(sources, specs):
            x = getattr(ideal, src)[p]
            cols.append(x if sp is None else lowpass(x, fs, *sp))
        ref = resample_uniform(np.concatenate(cols, axis=1), fs, t)
        print(f"{fps:g} fps, grid {fs:g} Hz, placement {p}: {_rel(vals, ref):.1e}")
        assert vals.shape == ref.shape and _rel(vals, ref) < TOL
    # not a uniform grid dividing the frame step: the caller must take the numpy route
    assert K.filtered_ideal_samples(motion, pls, grid[:-1] * 1.0001, sources, filters,
                                    [t * fs for t in times]) is None


@needs_kernel
def test_filter_and_sample_reads_exact_grid_samples_and_the_edges():
    fs = 400.0
    x = np.random.default_rng(2).standard_normal((50, 3))
    t = np.array([0.0, 0.2 / fs, 1.0 / fs, 1.5 / fs, 10 / fs, 48.7 / fs, 49 / fs])
    got = filter_and_sample([x], [None], fs, t, "c")
    assert np.array_equal(got[[0, 2, 4, 6]], x[[0, 1, 10, 49]])  # on-grid instants: the samples themselves
    assert _rel(got, resample_uniform(x, fs, t)) < TOL


@needs_kernel
def test_simulate_many_c_matches_numpy():
    motion = _wobble(100.0)
    pls = [AT_JOINT, LEVER, "wrist_left"]
    # no quantisation or saturation: the filtered, resampled values themselves are compared
    terms = ErrorTerms(quantisation=False, saturation=False)
    for profile in ("bmi270", "nano33-ble-sense"):
        c = simulate_many(motion, profile, pls, seed=5, errors=terms, backend="c")
        py = simulate_many(motion, profile, pls, seed=5, errors=terms, backend="numpy")
        for a, b in zip(c, py):
            assert a.channels == b.channels and np.array_equal(a.timestamps, b.timestamps)
            assert _rel(a.data, b.data) < TOL
        full = simulate_many(motion, profile, pls, seed=5, backend="c")
        assert all(np.array_equal(a.data, b.data)
                   for a, b in zip(full, simulate_many(motion, profile, pls, seed=5, backend="c")))


def test_everything_runs_without_the_kernel(monkeypatch):
    # as on a machine where the extension could not be compiled: "auto" falls back to numpy
    motion = _wobble(50.0, 2.0)
    with_kernel = simulate_many(motion, "bmi270", [LEVER], seed=2) if K.kernel_available() else None
    monkeypatch.setattr(K, "_kernels", None)
    assert not K.kernel_available() and not K.use_kernel("auto")
    imu = ideal_imu(motion, [AT_JOINT, LEVER], rate_hz=100.0)
    assert np.isfinite(imu.acc).all() and imu.acc.shape == (2, 201, 3)
    rec = simulate_many(motion, "bmi270", [LEVER], seed=2)[0]
    if with_kernel is not None:  # same recording (quantised outputs: identical codes)
        assert np.array_equal(rec.timestamps, with_kernel[0].timestamps)
        assert np.abs(rec.data - with_kernel[0].data).max() <= 1e-9 * np.abs(rec.data).max()
    with pytest.raises(ValidationError, match="not built"):
        ideal_imu(motion, [AT_JOINT], backend="c")


def test_backend_is_validated():
    motion = _wobble(20.0, 1.0)
    with pytest.raises(ValidationError, match="backend"):
        ideal_imu(motion, [AT_JOINT], backend="fortran")
    if not K.kernel_available():
        with pytest.raises(ValidationError, match="not built"):
            ideal_imu(motion, [AT_JOINT], backend="c")


@needs_kernel
def test_kernel_checks_buffer_sizes():
    with pytest.raises(ValueError, match="expected"):
        K._kernels.quintic_prefilter(np.zeros((10, 2)), 10, 3)
    with pytest.raises(TypeError, match="writable"):
        K._kernels.quintic_prefilter(np.zeros((10, 3))[:, ::-1], 10, 3)
    with pytest.raises(ValueError, match="ascending"):
        K._kernels.sos_pick((np.zeros((8, 3)),), 8, np.tile([1.0, 0, 0, 1, 0, 0], (1, 3, 1)).transpose(0, 2, 1).copy(), 1,
                            np.zeros((1, 2, 3)), np.array([3.0, 1.0]), 2, np.zeros((2, 3)))


@needs_kernel
def test_sse2_only_build_gives_identical_bits(tmp_path):
    # the installed kernel picks its AVX2 or SSE2 loop at load time; both must give the same bits
    import importlib.util
    import shutil
    import subprocess
    import sysconfig
    from pathlib import Path

    gcc = shutil.which("gcc")
    include = sysconfig.get_paths()["include"]
    if gcc is None or not (Path(include) / "Python.h").exists():
        pytest.skip("no gcc / Python headers to build the reference variant")
    src = Path(K.__file__).with_name("_kernels.c")
    so = tmp_path / ("_kernels" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run([gcc, "-std=c99", "-O3", "-ffp-contract=off", "-DIMUFORGE_NO_MULTIVERSION", "-fPIC",
                    "-shared", f"-I{include}", str(src), "-o", str(so), "-lm"], check=True)
    spec = importlib.util.spec_from_file_location("_kernels", so)
    plain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plain)
    motion = _wobble(100.0, 3.0)
    pls = [AT_JOINT, LEVER, *list(PLACEMENTS)[:4]]
    grid = np.arange(2401) / 800.0
    positions = [np.arange(301) * 8.0 + 0.37 * (p > 0) for p in range(len(pls))]
    sos = [lowpass_sos(800.0, 40.0, 2), None]
    a = ideal_imu(motion, pls, rate_hz=800.0)
    fa = K.filtered_ideal_samples(motion, pls, grid, ["gyro", "acc"], sos, positions)
    import imuforge.sensors.kinematics as kin

    installed = kin._kernels
    try:
        kin._kernels = plain
        b = ideal_imu(motion, pls, rate_hz=800.0)
        fb = K.filtered_ideal_samples(motion, pls, grid, ["gyro", "acc"], sos, positions)
    finally:
        kin._kernels = installed
    assert all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("acc", "gyro", "mag"))
    assert all(np.array_equal(x, y) for x, y in zip(fa, fb))


def _chain_terms():
    """Each per-sample term alone, a few together, and all of them (filter off: x is given)."""
    per_sample = ("bias", "bias_drift", "scale", "cross_axis", "g_sensitivity", "noise", "saturation",
                  "quantisation")
    return [ErrorTerms.only(t) for t in per_sample] + [
        ErrorTerms.only("bias_drift", "noise", "saturation"),
        ErrorTerms.only(*per_sample)]


@needs_kernel
@pytest.mark.parametrize("terms", _chain_terms(), ids=lambda t: "+".join(k for k, v in t.to_dict().items() if v))
@pytest.mark.parametrize("kind", ["accel", "gyro"])
def test_sensor_chain_matches_numpy_error_terms(terms, kind):
    """The fused C pass of apply_sensor_errors draws the same seeded numbers and adds them in the same
    order: ≤ 1 ulp-level differences (the 3×3 product's summation order) and identical after quantisation."""
    from imuforge.sensors import load_profile
    from imuforge.sensors.simulate import apply_sensor_errors

    from dataclasses import replace

    sensor = load_profile("bmi270").sensors[kind]
    # the built-in profile leaves drift, scale, cross-axis and g-sensitivity at 0: give every term a size
    sensor = replace(sensor, bias_sd_si=sensor.range_si * 1e-3, bias_instability_si=sensor.range_si * 1e-4,
                     bias_tau_s=5.0, scale_sd=0.01, cross_axis_sd=0.01,
                     g_sensitivity_si=1e-3 if kind == "gyro" else 0.0)
    rng = np.random.default_rng(7)
    n = 3001
    t = np.arange(n) / sensor.odr_hz
    # a signal that also crosses the range (saturation) and a specific force for g-sensitivity
    x = np.cumsum(rng.standard_normal((n, 3)), axis=0) * sensor.range_si / 40
    f = rng.standard_normal((n, 3)) * 20.0
    ys = [apply_sensor_errors(x, t, sensor, terms, 11, "wrist_left", specific_force=f, backend=b)
          for b in ("c", "numpy")]
    if terms.g_sensitivity and kind == "accel":
        return  # an accelerometer has no g-sensitivity: nothing to compare
    assert not np.array_equal(ys[0], x)  # the term does something
    if terms.quantisation:
        assert np.array_equal(ys[0], ys[1])
    else:
        assert _rel(ys[0], ys[1]) <= TOL
    again = apply_sensor_errors(x, t, sensor, terms, 11, "wrist_left", specific_force=f, backend="c")
    assert np.array_equal(again, ys[0])


@needs_kernel
def test_sensor_chain_checks_buffer_sizes():
    from imuforge.sensors.kinematics import _kernels

    x, out, empty = np.zeros((10, 3)), np.zeros((10, 3)), np.empty(0)
    with pytest.raises(ValueError, match="zn"):  # noise flag set but no draws passed
        _kernels.sensor_chain(x, empty, empty, empty, 10, np.zeros(25), 16, out)
    with pytest.raises(ValueError, match="params"):
        _kernels.sensor_chain(x, empty, empty, empty, 10, np.zeros(24), 0, out)


@needs_kernel
@pytest.mark.parametrize("normal,natural_hz,damping", [((0.0, 0.0, 1.0), 20.0, 0.5), ((0.6, 0.0, 0.8), 7.0, 0.3)])
def test_wobble_frame_matches_numpy_wobble_streams(normal, natural_hz, damping):
    """The loose device's one-pass kernel against the numpy / scipy-Rotation reference (wear.wobble_streams)."""
    from imuforge.sensors.wear import Looseness, wobble_streams

    rng = np.random.default_rng(7)
    fs = 800.0
    t = np.arange(3201) / fs
    f = np.stack([3 * np.sin(2 * np.pi * 1.7 * t), 9.8 + np.cos(2 * np.pi * 2.1 * t), np.sin(5.6 * t)], 1)
    f += 0.3 * rng.normal(size=f.shape)  # rough input: large relative wobble, tilts beyond the series range
    w = np.stack([np.sin(2 * np.pi * 1.1 * t), np.cos(2 * np.pi * 1.3 * t), 0.5 * np.sin(2 * np.pi * 3 * t)], 1)
    m = 30 * rng.normal(size=f.shape)
    g = np.tile([0.0, -9.80665, 0.0], (t.size, 1))
    loose = Looseness(natural_hz, damping, 0.04, normal)
    ref = wobble_streams(f, w, m, g, fs, loose, backend="numpy")
    fast = wobble_streams(f, w, m, g, fs, loose, backend="c")
    for a, b in zip(fast, ref):
        assert _rel(a, b) < TOL
    assert all(np.array_equal(a, b) for a, b in zip(fast, wobble_streams(f, w, m, g, fs, loose, backend="c")))
    # a still device: nothing wobbles, the kernel returns its inputs (R = I, J_r φ̇ = 0)
    still = wobble_streams(np.tile([0.0, 9.80665, 0.0], (50, 1)), np.zeros((50, 3)), np.ones((50, 3)), g[:50], fs,
                           loose, backend="c")
    assert np.allclose(still[0], [0.0, 9.80665, 0.0], atol=1e-12) and np.allclose(still[1], 0.0, atol=1e-12)


@needs_kernel
@pytest.mark.parametrize("natural_hz,damping,fs",
                         [(20.0, 0.5, 800.0), (7.3, 0.12, 800.0), (41.0, 0.9, 1000.0)])
def test_wobble_oscillator_is_lfilter_bit_for_bit(natural_hz, damping, fs):
    """The compiled oscillator (u, u̇ by lfilter's loop, ü from the equation) gives scipy's lfilter bits."""
    from imuforge.sensors.wear import wobble_response

    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 1601):
        a = rng.normal(scale=4.0, size=(n, 3)) + [0.0, 2.0, -1.0]
        fast = wobble_response(a, fs, natural_hz, damping, backend="c")
        ref = wobble_response(a, fs, natural_hz, damping, backend="numpy")
        assert all(np.array_equal(x, y) for x, y in zip(fast, ref))
    with pytest.raises(ValueError, match="den"):
        K._kernels.wobble_oscillator(np.zeros((4, 3)), 4, np.ones(3), np.ones(3), np.zeros(3), 3,
                                     np.zeros((2, 3)), np.zeros((2, 3)), 1.0, 1.0,
                                     *(np.empty((4, 3)) for _ in range(3)))


def test_loose_wear_simulation_c_matches_numpy():
    motion = _wobble(100.0, 3.0)
    terms = ErrorTerms(quantisation=False, saturation=False)
    c = simulate_many(motion, "nano33-ble-sense", ["wrist_left"], seed=5, errors=terms, wear="looseness")
    py = simulate_many(motion, "nano33-ble-sense", ["wrist_left"], seed=5, errors=terms, wear="looseness",
                       backend="numpy")
    assert c[0].provenance["wear"]["looseness"] is not None
    assert _rel(c[0].data, py[0].data) < 1e-10


@needs_kernel
@pytest.mark.parametrize("placements", [[AT_JOINT], [LEVER, AT_JOINT, LEVER]])
def test_other_fields_from_one_pass_equal_a_pass_per_field(placements):
    """``ideal_imu_and_fields``' other fields come out of the Recording's own kernel pass (``cardinal_imu``'s
    ``fields``): the bits of a separate ``ideal_imu`` call with each field, and its own outputs unchanged."""
    from imuforge.sensors.kinematics import EarthField, ideal_imu_and_fields

    motion = _wobble(100.0)
    tt = np.arange(0, int(motion.duration_s * 400)) / 400.0
    fields = [EarthField(9.80665, 90.0, 0.0), EarthField(30.0, -20.0, 7.0), EarthField()]
    ideal, mags = ideal_imu_and_fields(motion, placements, tt, fields, backend="c")
    alone = ideal_imu(motion, placements, times=tt, backend="c")
    for name in ("acc", "gyro", "mag"):
        assert np.array_equal(getattr(ideal, name), getattr(alone, name))
    for f, m in zip(fields, mags):
        assert np.array_equal(m, ideal_imu(motion, placements, times=tt, earth_field=f, backend="c").mag)
    assert ideal_imu_and_fields(motion, placements, tt, [], backend="c")[1] == []


@needs_kernel
def test_kernels_refuse_indices_out_of_range():
    """Every index a kernel writes or reads through is checked first: an IndexError naming it, nothing
    written (joint_rows' joints, scatter_rows' idx and own)."""
    from imuforge.sensors import _kernels

    n, J = 4, 3
    L = np.zeros((n, J, 4))
    src = np.ones((1, 1, 4))
    with pytest.raises(IndexError, match="joints out of range"):
        _kernels.joint_rows(L, n, J, np.array([J], np.int64), src, 1)
    _kernels.joint_rows(L, n, J, np.array([J - 1], np.int64), src, 1)
    assert L[:, J - 1].tolist() == [[1.0] * 4] * n and not L[:, : J - 1].any()

    out, vec, x = np.zeros((n, 3)), np.ones((2, 3)), np.ones(2)
    for idx, own, what in (([0, n], [0, 1], "idx"), ([0, 1], [0, 2], "own"), ([-1, 1], [0, 1], "idx")):
        with pytest.raises(IndexError, match=f"{what} out of range"):
            _kernels.scatter_rows(out, n, np.array(idx, np.int64), np.array(own, np.int64), x, vec, 2)
    assert not out.any()
    _kernels.scatter_rows(out, n, np.array([0, 0], np.int64), np.array([0, 1], np.int64), x, vec, 2)
    assert out[0].tolist() == [2.0, 2.0, 2.0] and not out[1:].any()


@needs_kernel
def test_term_rng_seed_state_is_numpys_seed_sequence():
    """term_rng's compiled seeding gives the state (and so the draws) of numpy's SeedSequence."""
    from imuforge.sensors import _kernels

    rng = np.random.default_rng(28)
    for i in range(20000):
        words = [int(w) for w in rng.integers(0, 2**32, 3, dtype=np.uint64)]
        out = np.empty(4, np.uint64)
        _kernels.seed_state(*words, out)
        want = np.random.SeedSequence(np.array(words, dtype=np.uint32)).generate_state(4, np.uint64)
        assert out.tobytes() == want.tobytes(), words
    with pytest.raises(ValueError):
        _kernels.seed_state(2**32, 0, 0, np.empty(4, np.uint64))


def test_term_rng_and_words_rng_are_default_rng_of_the_words():
    """With or without the kernel: the generator of ``default_rng`` of the three words, state and draws."""
    import zlib

    from imuforge.sensors.hardware import term_rng, words_rng

    for seed, term, stream in [(0, "noise", "acc"), (-7, "bias", ""), (2**40 + 3, "clock", "wrist_left")]:
        words = [seed & 0xFFFFFFFF, zlib.crc32(term.encode()), zlib.crc32(stream.encode())]
        for got in (term_rng(seed, term, stream), words_rng(*words)):
            ref = np.random.default_rng(words)
            assert got.bit_generator.state == ref.bit_generator.state
            assert got.standard_normal(100).tobytes() == ref.standard_normal(100).tobytes()
