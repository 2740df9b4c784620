"""The compiled gait loops must give the bits of the numpy forms they replace (motion.library.gait)."""

import numpy as np
import pytest

from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.library import gait

needs_kernel = pytest.mark.skipif(not (Q._kernel() and hasattr(Q._kernel(), "gait_curves")),
                                  reason="the C kernel is not built")


def _same(x, y):
    assert x.shape == y.shape and x.dtype == y.dtype
    assert np.array_equal(x, y, equal_nan=True)
    assert np.array_equal(np.signbit(x), np.signbit(y))


def _both(monkeypatch, *args):
    """(compiled, numpy) :func:`gait._curve_angles` of ``args``."""
    fast = gait._curve_angles(*args)
    with monkeypatch.context() as m:
        m.setattr(Q, "_KERNEL", False)
        slow = gait._curve_angles(*args)
    return fast, slow


@needs_kernel
@pytest.mark.parametrize("kind", list(gait.GAITS))
@pytest.mark.parametrize("batched", [False, True])
def test_compiled_curves_equal_the_numpy_loop(kind, batched, monkeypatch):
    rng = np.random.default_rng(7)
    n = 97
    phase = np.stack([np.arange(n) / 60.0, np.arange(n) / 60.0 + 0.5])
    _, basis = gait._phase_basis(phase)
    keys, coefs = gait._coefficient_matrix(kind, 1.3 if kind != "running" else 3.0, gait.GAITS[kind].stance)
    curves = basis @ coefs
    if batched:  # the hip fit's probes: one amplitude and offset per frame
        closure = gait.Closure(amp=rng.uniform(0.5, 1.5, n), offset=rng.uniform(-20, 5, n))
    else:
        closure = gait.Closure(amp=1.1, offset=-4.0)
    amp = rng.uniform(0.9, 1.1, (2, n))
    style = gait.person_gait_style(Person(gait_style_seed=3))
    fast, slow = _both(monkeypatch, kind, keys, coefs, curves, closure, amp, style)
    assert list(fast) == list(slow) == list(keys)
    for key in keys:
        _same(fast[key], slow[key])


@needs_kernel
def test_compiled_knee_soft_floor_equals_numpy_on_every_branch(monkeypatch):
    """The knee's soft floor (numpy's logaddexp: equal arguments, either sign of their difference, far
    below and above the floor) and the faded offset, over a wide range of curve values."""
    kind = "walking"
    keys, coefs = gait._coefficient_matrix(kind, 1.3, gait.GAITS[kind].stance)
    rng = np.random.default_rng(11)
    n = 4001
    curves = rng.normal(0.0, 60.0, (2, n, len(keys)))
    knee = keys.index("knee_flex")
    curves[0, :40, knee] = gait.KNEE_FLOOR_DEG  # x − floor = 0 with a zero offset: logaddexp(0, 0)
    curves[1, :40, knee] = np.linspace(-1e-9, 1e-9, 40) + gait.KNEE_FLOOR_DEG
    curves[0, 40:60, knee] = np.array([1e3, -1e3, 1e150, -1e150, 0.0, -0.0, 1e-300, -1e-300, 700, -700] * 2)
    for off in (0.0, 3.7, -5.2):
        style = {"knee_flex": (off, 1.0)}
        fast, slow = _both(monkeypatch, kind, keys, coefs, curves, gait.Closure(), np.ones((2, n)), style)
        for key in keys:
            _same(fast[key], slow[key])


def test_closed_gait_is_the_same_without_the_compiled_loops(monkeypatch):
    from imuforge.motion.library import generate

    a = generate("stairs_up", 3.0, fps=50, rng=5)
    monkeypatch.setattr(Q, "_KERNEL", False)
    b = generate("stairs_up", 3.0, fps=50, rng=5)
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.orientations, b.orientations)


@needs_kernel
@pytest.mark.parametrize("kind", ["walking", "stairs_up", "running"])
def test_probe_rotations_without_the_pose_dict_are_the_pose_dicts(kind, monkeypatch):
    """The closure's probes pass the legs' angles to the compiled rotations without the pose dict: the same
    local rotations as ``pose_to_local`` of the pose, with and without the extra hip flexion and adduction
    and with a closure holding per-frame values and planted-foot corrections."""
    from imuforge.motion.library import _core

    person = Person(gait_style_seed=9)
    ph = np.arange(83) / 60.0 * 0.9
    n = len(ph)
    foot = np.random.default_rng(3).normal(0.0, 2.0, (gait.FOOT_GRID, 4))
    closures = [gait.Closure(amp=1.1, offset=-3.0),
                gait.Closure(amp=np.linspace(0.8, 1.2, n), offset=np.linspace(-5, 2, n), abd=np.full(n, 1.5),
                             foot=foot, hip=np.full(2 * gait.HARMONICS + 1, 0.3))]
    shifts = [(None, None), (0.0, 0.0), (1.0, 0.0), (0.0, np.linspace(0.0, 1.0, n))]
    for closure in closures:
        for d_hip, d_add in shifts:
            fast = gait._probe_local(kind, person, closure, 1.3, 0.6, ph, d_hip, d_add)
            with monkeypatch.context() as m:
                m.setattr(_core, "compiled_legs", lambda: False)
                m.setattr(gait, "compiled_legs", lambda: False)
                slow = gait._probe_local(kind, person, closure, 1.3, 0.6, ph, d_hip, d_add)
            _same(fast, slow)


@pytest.mark.parametrize("order", [2, 3, 4, 6])
def test_butter_lowpass_is_scipys_design_bit_for_bit(order):
    """The pelvis paths' Butterworth design, written out (``_core.butter_lowpass``), gives scipy's sections:
    every bit, over cutoffs across the band and the rates the library uses (an odd order is scipy's own)."""
    from scipy.signal import butter

    from imuforge.motion.library._core import butter_lowpass

    rng = np.random.default_rng(order)
    for fs in (30.0, 50.0, 60.0, 100.0, 120.0, 200.0, 1000.0, 73.3):
        for fc in np.concatenate([rng.uniform(1e-3, 0.4999, 60) * fs, [0.45 * fs, 1e-4 * fs, 0.49999 * fs]]):
            _same(butter_lowpass(order, float(fc), fs), butter(order, float(fc), fs=fs, output="sos"))


@pytest.mark.parametrize("order", [2, 3, 4, 6])
def test_butter_highpass_is_scipys_design_bit_for_bit(order):
    """The arm sway's drive high-pass, written out (``_core.butter_highpass``), gives scipy's sections: every
    bit, over cutoffs across the band and the rates the library uses (an odd order is scipy's own)."""
    from scipy.signal import butter

    from imuforge.motion.library._core import butter_highpass

    rng = np.random.default_rng(10 + order)
    for fs in (30.0, 50.0, 60.0, 100.0, 120.0, 200.0, 1000.0, 73.3):
        for fc in np.concatenate([rng.uniform(1e-3, 0.4999, 60) * fs, [0.45 * fs, 1e-4 * fs, 0.49999 * fs]]):
            ours = butter_highpass(order, float(fc), fs)
            _same(ours, butter(order, float(fc), btype="high", fs=fs, output="sos"))


def test_bilinear_second_order_is_scipys_bit_for_bit():
    """The arm sway's oscillators, gain / (s² + a1·s + a2) by the bilinear transform written out
    (``_core.bilinear_second_order``), give scipy's ``bilinear`` (b, a): every bit, over gains of both signs,
    natural frequencies 0.05–20 Hz and dampings 0.01–1.5, numbers and numpy scalars."""
    from scipy.signal import bilinear

    from imuforge.motion.library._core import bilinear_second_order

    rng = np.random.default_rng(5)
    for fs in (30.0, 50.0, 60.0, 100.0, 120.0, 200.0, 1000.0, 73.3, 100):
        for _ in range(200):
            w0 = 2 * np.pi * rng.uniform(0.05, 20.0)
            gain, zeta = rng.choice([-1.0, 1.0]) * rng.uniform(1e-3, 100.0), rng.uniform(0.01, 1.5)
            for args in ((gain, 2 * zeta * w0, w0 ** 2), (float(gain), float(2 * zeta * w0), float(w0 ** 2))):
                b, a = bilinear_second_order(*args, fs)
                b0, a0 = bilinear([args[0]], [1.0, args[1], args[2]], fs)
                _same(b, b0)
                _same(a, a0)
