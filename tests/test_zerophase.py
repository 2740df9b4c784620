"""imuforge._zerophase.sosfiltfilt (the compiled kernel's padding and two passes) against
scipy.signal.sosfiltfilt: the same bits over random filters, shapes, axes and paddings; scipy's own path
for what the kernel leaves to it."""

import numpy as np
import pytest
from scipy import signal

from imuforge import _zerophase as Z
from imuforge.sensors import kinematics as K

needs_kernel = pytest.mark.skipif(not K.kernel_available(), reason="C kernel not built")


def _case(rng):
    order = int(rng.integers(1, 9))
    btype = str(rng.choice(["lowpass", "highpass", "bandpass"]))
    wn = rng.uniform(0.5, 45.0) if btype != "bandpass" else np.sort(rng.uniform(0.5, 45.0, 2))
    sos = signal.butter(order, wn, btype, fs=100.0, output="sos")
    shape = [int(rng.integers(30, 400))] + [int(rng.integers(1, 5)) for _ in range(int(rng.integers(0, 3)))]
    axis = int(rng.integers(0, len(shape))) if rng.random() < 0.3 else 0
    x = rng.normal(size=shape).cumsum(axis=0)
    padtype = str(rng.choice(["odd", "even"]))
    padlen = None if rng.random() < 0.5 else int(rng.integers(0, x.shape[axis]))
    return sos, x, axis, padtype, padlen


@needs_kernel
def test_same_bits_as_scipy_over_random_cases():
    assert Z._kernel(), "imuforge.sensors._kernels predates filtfilt_cols: rebuild it (pip install -e .)"
    rng = np.random.default_rng(7)
    compared = 0
    for _ in range(300):
        sos, x, axis, padtype, padlen = _case(rng)
        try:
            want = signal.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)
        except ValueError as exc:  # shorter than scipy's padding: the same refusal
            with pytest.raises(ValueError, match=str(exc)[:40]):
                Z.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)
            continue
        got = Z.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        compared += 1
    assert compared >= 200


@needs_kernel
def test_first_order_sections_and_views():
    """A first-order section shortens scipy's default padding (b2 = a2 = 0); a strided 1-D view is filtered
    as scipy filters it; other dtypes (whose padding scipy makes in their own precision) go to scipy."""
    sos = signal.butter(3, 8.0, fs=100.0, output="sos")  # odd order: one first-order section
    assert (sos[:, 2] == 0).any() and (sos[:, 5] == 0).any()
    x = np.random.default_rng(3).normal(size=(120, 4))
    np.testing.assert_array_equal(Z.sosfiltfilt(sos, x[:, 1]), signal.sosfiltfilt(sos, x[:, 1]))
    # uint8 wraps in scipy's padding, float32 pads in float32
    for other in (np.arange(60, dtype=np.uint8) * 9, x[:, 0].astype(np.float32)):
        np.testing.assert_array_equal(Z.sosfiltfilt(sos, other), signal.sosfiltfilt(sos, other))
    np.testing.assert_array_equal(Z.sosfiltfilt(sos.astype(np.float32), x[:, 2]),
                                  signal.sosfiltfilt(sos.astype(np.float32), x[:, 2]))


def test_what_the_kernel_leaves_to_scipy():
    sos = signal.butter(2, 5.0, fs=100.0, output="sos")
    x = np.random.default_rng(4).normal(size=(80, 2))
    for kw in ({"padtype": "constant"}, {"padtype": None}):
        want = signal.sosfiltfilt(sos, x, axis=0, **kw)
        np.testing.assert_array_equal(Z.sosfiltfilt(sos, x, axis=0, **kw), want)
    z = x[:, 0] + 1j * x[:, 1]
    np.testing.assert_array_equal(Z.sosfiltfilt(sos, z), signal.sosfiltfilt(sos, z))
    with pytest.raises(ValueError, match="padlen"):  # too short for the padding: scipy's own error
        Z.sosfiltfilt(sos, x[:9], axis=0)
    with pytest.raises(TypeError):  # a padlen that is not a whole number: scipy's refusal too
        Z.sosfiltfilt(sos, x, axis=0, padlen=2.5)


def test_without_the_kernel_scipy_runs(monkeypatch):
    monkeypatch.setattr(Z, "_KERNEL", False)
    sos = signal.butter(4, 15.0, fs=100.0, output="sos")
    x = np.random.default_rng(5).normal(size=(90, 22, 3))
    np.testing.assert_array_equal(Z.sosfiltfilt(sos, x, axis=0), signal.sosfiltfilt(sos, x, axis=0))
