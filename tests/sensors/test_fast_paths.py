"""The uniform-grid fast path of ideal_imu (polyphase cardinal quintic spline) against the general
``make_interp_spline`` path and closed forms, and the cheap resampling of simulate_many."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.sensors import Placement, ideal_imu
from imuforge.sensors.kinematics import uniform_grid_factor
from imuforge.units import STANDARD_GRAVITY as G
from tests.conftest import rigid_motion

AT_JOINT = Placement("at_pelvis", "pelvis")
LEVER = Placement("lever", "pelvis", offset_m=(0.05, -0.2, 0.1),
                  rotation=tuple(map(tuple, Rotation.from_euler("zyx", [30, -20, 75], degrees=True).as_matrix())))


def _wobble(fps: float, seconds: float = 6.0):
    t = np.arange(0, seconds + 1e-9, 1 / fps)
    return rigid_motion(
        t,
        lambda t: np.stack([0.2 * np.sin(2.1 * t), 0.05 * np.cos(5.0 * t), 0.1 * np.sin(0.7 * t + 1)], 1),
        lambda t: Rotation.from_rotvec(np.stack([0.8 * np.sin(1.3 * t), 0.5 * np.cos(2.2 * t), 0.3 * t], 1)),
        fps)


def test_grid_detection():
    assert uniform_grid_factor(0.01, np.arange(101) * 0.01, 101) == (1, 0)
    assert uniform_grid_factor(0.01, np.arange(3, 401) * 0.0025, 101) == (4, 3)
    assert uniform_grid_factor(0.01, np.linspace(0, 1, 77), 101) is None  # step does not divide the frame step
    assert uniform_grid_factor(0.01, np.arange(400) * 0.0025 + 0.001, 101) is None  # off the grid
    assert uniform_grid_factor(0.01, np.arange(402) * 0.0025, 101) is None  # runs past the last frame
    jittered = np.arange(101) * 0.01
    jittered[50] += 1e-6
    assert uniform_grid_factor(0.01, jittered, 101) is None


@pytest.mark.parametrize(("fps", "rate", "start"), [(100.0, 100.0, 0), (20.0, 100.0, 0), (30.0, 240.0, 5),
                                                    (100.0, 800.0, 0)])
def test_fast_path_matches_general_path_in_the_interior(fps, rate, start):
    motion = _wobble(fps)
    tt = np.arange(start, int(np.floor(motion.duration_s * rate + 1e-9)) + 1) / rate
    fast = ideal_imu(motion, [AT_JOINT, LEVER], times=tt)
    slow = ideal_imu(motion, [AT_JOINT, LEVER], times=tt, fast=False)
    interior = (tt > 20 / fps) & (tt < motion.duration_s - 20 / fps)
    for name in ("acc", "gyro", "mag"):
        a, b = getattr(fast, name), getattr(slow, name)
        scale = np.sqrt(np.mean(b**2))
        err = np.abs(a - b)[:, interior].max() / scale
        print(f"{fps:g} fps → {rate:g} Hz {name}: interior max |fast − general| / RMS = {err:.1e}")
        assert err < 1e-6


@pytest.mark.parametrize("rate", [100.0, 300.0])
def test_quintic_trajectory_is_exact_up_to_the_edges(rate):
    # positions of degree 5 and a fixed orientation: the padded cardinal spline reproduces them exactly
    fps = 100.0
    t = np.arange(0, 2.0 + 1e-9, 1 / fps)
    coef = np.array([[0.1, -0.3, 0.2], [0.5, 0.1, -0.2], [-0.4, 0.3, 0.1], [0.2, -0.1, 0.05], [-0.05, 0.02, 0.01]])
    pos = lambda t: sum(np.outer(t ** (i + 1), c) for i, c in enumerate(coef))  # noqa: E731
    acc = lambda t: sum(np.outer((i + 1) * i * t ** (i - 1), c) for i, c in enumerate(coef) if i)  # noqa: E731
    rot = Rotation.random(random_state=4)
    motion = rigid_motion(t, pos, lambda t: Rotation.from_quat(np.tile(rot.as_quat(), (t.size, 1))), fps)
    imu = ideal_imu(motion, AT_JOINT, rate_hz=rate)
    expected = rot.inv().apply(acc(imu.times) - [0.0, -G, 0.0])
    err = np.abs(imu.acc[0] - expected).max()
    print(f"degree-5 trajectory at {rate:g} Hz: max error {err:.1e} m/s² (edges included)")
    assert err < 1e-7
    assert np.abs(imu.gyro[0]).max() < 1e-9


def test_fast_path_edges_stay_close_to_truth():
    # constant-rate rotation with a lever arm, whole span including the first and last frames
    w, r, fps = 2.0 * np.pi * 0.7, 0.25, 50.0
    t = np.arange(0, 3.0 + 1e-9, 1 / fps)
    motion = rigid_motion(t, lambda t: np.zeros((t.size, 3)),
                          lambda t: Rotation.from_rotvec(np.outer(w * t, [0, 1, 0])), fps)
    imu = ideal_imu(motion, Placement("lever", "pelvis", offset_m=(r, 0.0, 0.0)), rate_hz=200)
    gyro_err = np.abs(imu.gyro[0] - [0.0, w, 0.0]).max()
    acc_err = np.abs(imu.acc[0] - [-w * w * r, G, 0.0]).max()
    print(f"edges: gyro {gyro_err:.1e} rad/s, acc {acc_err:.1e} m/s²")
    assert gyro_err < 1e-5 and acc_err < 1e-4


@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_extra_fields_in_one_preparation_are_separate_calls(backend):
    """ideal_imu_and_fields (the simulator's pass for a loose device: the streams and gravity in the sensor
    frames) gives what ideal_imu gives with each field, bit for bit, on the kernel's grid path and off it."""
    from imuforge.sensors.kinematics import EarthField, ideal_imu_and_fields
    from imuforge.sensors.wear import gravity_probe

    motion = _wobble(50.0)
    times = np.arange(int(motion.duration_s * 400) + 1) / 400.0
    field = EarthField(intensity_ut=48.0, inclination_deg=60.0, declination_deg=3.0)
    ideal, (grav,) = ideal_imu_and_fields(motion, [AT_JOINT, LEVER], times, [gravity_probe()], earth_field=field,
                                          backend=backend)
    alone = ideal_imu(motion, [AT_JOINT, LEVER], times=times, earth_field=field, backend=backend)
    for got, want in ((ideal.acc, alone.acc), (ideal.gyro, alone.gyro), (ideal.mag, alone.mag)):
        assert np.array_equal(got, want)
    want = ideal_imu(motion, [AT_JOINT, LEVER], times=times, earth_field=gravity_probe(), backend=backend).mag
    assert np.array_equal(grav, want)
