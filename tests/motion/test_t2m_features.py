"""HumanML3D 263-dim features ⇄ joints ⇄ Motion: exact round trip, channel semantics, errors."""

import numpy as np
import pytest

from imuforge.errors import ValidationError
from imuforge.motion import quat as Q
from imuforge.motion.library import generate
from imuforge.motion.t2m.features import (
    CONTACTS,
    FPS,
    LOCAL_VEL,
    RIC,
    ROT6D,
    canonical_positions,
    features_from_motion,
    features_from_positions,
    joints_from_features,
    motion_from_features,
)


def _relative_error(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("activity, seconds", [("walking", 5), ("running", 4), ("stairs_up", 4),
                                               ("sitting", 3), ("jumping_jacks", 3), ("sit_to_stand", None),
                                               ("lying", 3), ("waving", 3)])
def test_round_trip_is_exact_on_library_motions(activity, seconds):
    m = generate(activity, seconds, fps=FPS, rng=3)
    F = features_from_motion(m)
    assert F.shape == (m.n_frames - 1, 263)
    J = joints_from_features(F)
    assert _relative_error(J, canonical_positions(m.positions)[:-1]) <= 1e-5
    # the canonical frame is a rigid motion of the input: every pairwise distance is kept
    C = canonical_positions(m.positions)
    d_in = np.linalg.norm(m.positions[:, :, None] - m.positions[:, None], axis=-1)
    d_out = np.linalg.norm(C[:, :, None] - C[:, None], axis=-1)
    assert np.abs(d_in - d_out).max() < 1e-9
    assert abs(C[..., 1].min()) < 1e-12          # lowest joint on the floor
    assert np.allclose(C[0, 0, [0, 2]], 0.0)     # root at the origin at frame 0


def test_round_trip_through_motion_keeps_joints_and_rate():
    m = generate("walking", 4, fps=FPS, rng=1)
    back = motion_from_features(features_from_motion(m), label="walking")
    assert back.fps == FPS and back.labels[0].label == "walking"
    assert _relative_error(back.positions, canonical_positions(m.positions)[:-1]) <= 1e-5
    up = motion_from_features(features_from_motion(m), fps=100.0)
    assert up.fps == 100.0 and abs(up.duration_s - back.duration_s) < 1e-9
    assert np.allclose(up.positions[::5], back.positions, atol=1e-9)   # the spline passes through the frames


def test_motion_at_another_rate_is_resampled_to_20_fps():
    m100 = generate("walking", 3, fps=100.0, rng=2)
    F = features_from_motion(m100)
    assert F.shape == (3 * 20, 263)
    assert _relative_error(joints_from_features(F), canonical_positions(m100.positions[::5])[:-1]) <= 1e-5


def test_channel_semantics_for_straight_walking():
    m = generate("walking", 6, fps=FPS, rng=4, speed=1.4)
    F = features_from_motion(m)
    mid = slice(20, -20)
    # forward speed in the facing frame: z > 0, about the walking speed per frame
    assert 0.9 * 1.4 / FPS < np.median(F[mid, 2]) < 1.15 * 1.4 / FPS
    assert np.abs(F[mid, 0]).max() < 0.02                   # hardly any turning
    assert 0.7 < np.median(F[:, 3]) < 1.1                     # pelvis height (m)
    ric = F[:, RIC].reshape(-1, 21, 3)
    assert np.all(ric[:, 0, 0] > 0) and np.all(ric[:, 1, 0] < 0)   # left hip at +x, right hip at −x
    c = F[:, CONTACTS]
    assert set(np.unique(c)) <= {0.0, 1.0} and 0.2 < c.mean() < 0.9
    # 6-D rotations are two orthonormal columns
    r6 = F[:, ROT6D].reshape(-1, 21, 6)
    assert np.allclose(np.linalg.norm(r6[..., :3], axis=-1), 1) and np.allclose(np.sum(r6[..., :3] * r6[..., 3:], -1), 0)
    lv = F[:, LOCAL_VEL].reshape(-1, 22, 3)
    assert np.allclose(lv[:, 0, [0, 2]], F[:, 1:3], atol=0.01)   # root velocity in two frames that differ by one step


def test_turning_rate_is_minus_the_half_angle_per_frame():
    m = generate("standing", 8, fps=FPS, rng=5, fidget=0.0)
    rate = 0.5  # rad/s about the vertical through the root
    yaw = Q.ry(rate * m.times)
    root = m.positions[:, :1] * np.array([1, 0, 1])
    P = Q.qrot(yaw[:, None], m.positions - root) + root
    F = features_from_positions(P)
    # the channel is the change of the world → facing rotation: a left turn (+yaw) is negative
    assert np.allclose(F[40:-40, 0], -0.5 * rate / FPS, rtol=0.02)
    assert _relative_error(joints_from_features(F), canonical_positions(P)[:-1]) <= 1e-5


@pytest.mark.parametrize("bad, what", [(np.zeros((10, 262)), "(T, 263)"), (np.zeros((1, 263)), "at least 2"),
                                       (np.full((5, 263), np.nan), "non-finite")])
def test_bad_features_are_refused(bad, what):
    with pytest.raises(ValidationError, match=what.replace("(", r"\(").replace(")", r"\)")):
        joints_from_features(bad)


def test_bad_positions_are_refused():
    with pytest.raises(ValidationError, match="shape"):
        features_from_positions(np.zeros((10, 21, 3)))


def test_humanml3d_feature_files_import_as_motion(tmp_path):
    from imuforge.motion.importers import load_humanml3d_features

    m = generate("walking", 3, fps=FPS, rng=6)
    F = features_from_motion(m)
    np.save(tmp_path / "000001.npy", F)
    got = load_humanml3d_features(tmp_path / "000001.npy", label="walking")
    assert got.fps == FPS and got.labels[0].label == "walking" and got.meta["format"] == "humanml3d-263"
    assert _relative_error(got.positions, canonical_positions(m.positions)[:-1]) <= 1e-5
    mean, std = F.mean(0), F.std(0) + 1e-3
    np.save(tmp_path / "norm.npy", (F - mean) / std)
    again = load_humanml3d_features(tmp_path / "norm.npy", mean=mean, std=std, fps=100.0)
    assert again.fps == 100.0 and np.allclose(again.positions[::5], got.positions, atol=1e-9)
    np.save(tmp_path / "pos.npy", m.positions)
    with pytest.raises(ValidationError, match=r"pos.npy: HumanML3D features must have shape \(T, 263\)"):
        load_humanml3d_features(tmp_path / "pos.npy")
