"""Placement alignment: a known sensor rotation is recovered."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.calibrate.align import estimate_alignment, rotate_recording, rotation_between
from imuforge.errors import ValidationError
from imuforge.motion.library import schedule
from imuforge.sensors import get_placement, simulate
from tests.conftest import still_motion

WRIST = get_placement("wrist_left")


@pytest.fixture(scope="module")
def motions():
    plan = [("standing", 10), ("walking", 30)]
    return schedule(plan, rng=1), schedule(plan, rng=2)


def _err_deg(R_est, Q):
    # real sensor = placement rotated by Q ⇒ v_real = Qᵀ v_syn, so R_est·Q should be the identity
    return float(np.degrees(Rotation.from_matrix(R_est @ Q).magnitude()))


@pytest.mark.parametrize("k", range(3))
def test_random_rotation_recovered_same_wearer(motions, k):
    """Same motion, different device (error realisation): within 3°."""
    Q = Rotation.random(random_state=10 + k).as_matrix()
    syn = simulate(motions[0], "smartwatch-wrist", WRIST, seed=1)
    real = simulate(motions[0], "smartwatch-wrist", WRIST.with_rotation(Q), seed=7)
    al = estimate_alignment([syn], [real])
    assert al.heading_observable and al.method == "gravity + motion covariance"
    assert _err_deg(al.rotation, Q) < 3.0
    # applying it brings the synthetic data onto the real frame
    moved = al.apply(syn)
    assert np.linalg.norm(moved.acc.mean(0) - real.acc.mean(0)) < 0.6


def test_rotation_recovered_other_wearer(motions):
    """A different simulated person (posture, arm swing, standing fidgets, turns): within 18°.

    Alignment cannot tell a different arm posture from a turned device, so the error is bounded by
    how much wearers differ. Measured over 16 wearer pairs (schedules rng 2i+1 vs 2i+2, i < 8; this
    rotation and Rotation.random(random_state=0)) with energy-weighted classes and the covariance of
    the signal high-passed at 0.4 Hz (``COV_HIGHPASS_HZ``): median 5.6°, 90th percentile 10.8°, max
    13.0°; this pair 5.0°. Without the high-pass, once the walking pelvis path was made as smooth as
    real lumbar recordings (2026-12), the turns decided: median 7.3°, 90th percentile 25.8° and one
    heading flipped by 174°; before that smoothing: median 7.3°, max 16.7°.
    """

    Q = Rotation.from_euler("xyz", [30, -50, 120], degrees=True).as_matrix()
    syn = simulate(motions[0], "smartwatch-wrist", WRIST, seed=1)
    real = simulate(motions[1], "smartwatch-wrist", WRIST.with_rotation(Q), seed=2)
    assert _err_deg(estimate_alignment([syn], [real]).rotation, Q) < 18.0


def test_still_only_aligns_gravity_and_says_heading_is_unknown(profile_dir):
    rot = Rotation.from_euler("x", 70, degrees=True).as_matrix()
    syn = simulate(still_motion(10), "testband", "chest", seed=1)
    real = simulate(still_motion(10), "testband", get_placement("chest").with_rotation(rot), seed=2)
    al = estimate_alignment([syn], [real])
    assert not al.heading_observable and al.method == "gravity only"
    assert al.gravity_angle_deg < 1.0
    assert any("unobservable" in n for n in al.notes)


def test_rotate_recording_rotates_every_group(profile_dir):
    rec = simulate(still_motion(2), "testband", "chest", seed=1)
    R = Rotation.from_euler("z", 90, degrees=True).as_matrix()
    out = rotate_recording(rec, R)
    for g in ("acc", "gyro", "mag"):
        np.testing.assert_allclose(out.group(g), rec.group(g) @ R.T, atol=1e-12)
    with pytest.raises(ValidationError, match="proper"):
        rotate_recording(rec, np.diag([1.0, 1.0, -1.0]))


def test_rotation_between_handles_opposite_vectors():
    for a, b in (([0, 0, 1], [0, 0, -1]), ([1, 0, 0], [0, 1, 0]), ([1, 2, 3], [1, 2, 3])):
        R = rotation_between(np.array(a, float), np.array(b, float))
        np.testing.assert_allclose(R @ (np.array(a) / np.linalg.norm(a)), np.array(b) / np.linalg.norm(b), atol=1e-12)


def test_no_shared_activity_is_refused(motions):
    syn = simulate(motions[0], "smartwatch-wrist", WRIST, seed=1).crop(0, 9)      # standing only
    real = simulate(motions[1], "smartwatch-wrist", WRIST, seed=2).crop(12, 40)   # walking only
    with pytest.raises(ValidationError, match="no activity present in both"):
        estimate_alignment([syn], [real])


def test_covariance_of_one_activity_is_not_touched_by_the_next():
    """The heading covariance is high-passed per labelled stretch: a still stretch followed by one with
    another mean specific force (standing, then walking bent forward) keeps its own near-zero spread."""
    from imuforge.calibrate.align import collect_moments
    from imuforge.recording import LabelSegment, Recording

    fs = 50.0
    t = np.arange(0, 40, 1 / fs)
    acc = np.tile([0.0, 0.0, 9.81], (len(t), 1))
    walk = t >= 10
    acc[walk] += [3.0, 0.0, 0.0]
    acc[walk, 2] += 2.0 * np.sin(2 * np.pi * 1.8 * t[walk])
    gyro = np.zeros_like(acc)
    rec = Recording(t, np.hstack([acc, gyro]), ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), fs,
                    labels=[LabelSegment(0.0, 10.0, "standing"), LabelSegment(10.0, 40.0, "walking")])
    mom = collect_moments([rec], per_class=True, with_gyro=True)
    assert np.trace(mom.cov("standing")[:3, :3]) < 1e-6  # filtered across the step: ≈ 0.05 (m/s²)²
    assert np.trace(mom.cov("walking")[:3, :3]) == pytest.approx(2.0, rel=0.05)  # the 2 m/s² tone: 2²/2
    assert mom.mean("walking")[0] == pytest.approx(3.0, abs=1e-6)
