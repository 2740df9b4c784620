"""The plausibility check of motion from outside the library: each figure against a closed form, each bound
rejecting what it should with its reason, and imported files refused unless the user keeps them."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.motion import Motion, read_motion
from imuforge.motion.body import Person
from imuforge.motion.importers import load_motion_file
from imuforge.motion.kinematics import forward_kinematics, inverse_kinematics
from imuforge.motion.library import generate
from imuforge.motion.library._core import STANDING, expand_sides, pose_to_local
from imuforge.motion.plausibility import (
    JOINT_SWING_MAX_DEG,
    TRUNK_JOINTS,
    PlausibilityLimits,
    check_plausibility,
    joint_swing_deg,
    penetration_m,
    specific_force_g,
)
from imuforge.motion.skeleton import HUMANML3D_22
from imuforge.units import STANDARD_GRAVITY

FPS = 50.0


def _posed(n: int = 100, **angles) -> Motion:
    """A still person standing on the floor in the library's upright pose with ``angles`` (deg) changed."""
    person = Person()
    pose = expand_sides({**STANDING, **angles})
    local = pose_to_local(pose, n)
    P, G = forward_kinematics(local, np.zeros((n, 3)), person.offsets)
    P[..., 1] -= P[:, [7, 8, 10, 11], 1].min()  # feet on the floor
    return Motion(P, G, FPS, meta={"person": person.to_dict()})


@pytest.mark.parametrize("bend", [0.0, 35.0, 90.0, 120.0])
def test_a_joint_swing_is_the_bend_put_in(bend):
    swing = joint_swing_deg(_posed(knee_flex_L=bend, elbow_flex_R=bend / 2))
    assert np.allclose(swing["left_knee"], bend, atol=1e-6)
    assert np.allclose(swing["right_elbow"], bend / 2, atol=1e-6)
    assert np.allclose(swing["right_knee"], STANDING.get("knee_flex", 0.0), atol=1e-6)


def test_a_knee_bent_past_its_range_is_named():
    rep = check_plausibility(_posed(knee_flex_R=JOINT_SWING_MAX_DEG["right_knee"] + 10.0))
    assert f"right_knee bent {JOINT_SWING_MAX_DEG['right_knee'] + 10:.0f}° > 165°" in rep.reasons
    assert check_plausibility(_posed(knee_flex_R=90.0)).accepted


def test_specific_force_closed_forms():
    still = _posed()
    # the formula itself (no low-pass: a zero-phase filter bends a parabola near the ends)
    assert np.allclose(specific_force_g(still, lowpass_hz=None), 1.0)  # at rest: 1 g at every joint
    t = np.arange(len(still.positions)) / FPS
    a = STANDARD_GRAVITY * np.sqrt(3.0)  # sideways: |(a, g)| = 2 g
    pushed = Motion(still.positions + (0.5 * a * t**2)[:, None, None] * np.array([1.0, 0, 0]),
                    still.orientations, FPS)
    assert np.allclose(specific_force_g(pushed, lowpass_hz=None), 2.0)
    falling = Motion(still.positions - (0.5 * STANDARD_GRAVITY * t**2)[:, None, None] * np.array([0, 1.0, 0]),
                     still.orientations, FPS)
    assert np.allclose(specific_force_g(falling, lowpass_hz=None), 0.0, atol=1e-9)
    assert np.allclose(specific_force_g(_posed(n=200)), 1.0)  # a still pose through the low-pass


def test_a_joint_that_jumps_within_a_frame_is_named_with_its_segment_group():
    m = _posed(n=200)
    P = m.positions.copy()
    P[100:, 20] += np.array([0.20, 0.0, 0.0])  # the left wrist 20 cm off from one frame on (a marker swap)
    rep = check_plausibility(Motion(P, m.orientations, FPS))
    assert any(r.startswith("left_wrist specific force") and r.endswith("(peak, limbs)")
               for r in rep.reasons), rep.reasons


def test_one_glitching_frame_in_a_long_motion_is_read():
    """A joint off its path for one frame (a tracking glitch) in 60 s at 100 fps: the top 0.1 % of frames,
    which a 99.9th percentile leaves out, is where it is. The check reads the peak."""
    m = generate("walking", 60, fps=100, rng=1, turns=0)
    P = m.positions.copy()
    P[3000, 20] += np.array([0.0, 0.0, 0.25])  # the left wrist on another marker for one frame (25 cm)
    glitched = Motion(P, m.orientations, m.fps)
    limbs = [j for j, name in enumerate(HUMANML3D_22.joints) if name not in TRUNK_JOINTS]
    assert specific_force_g(glitched, percentile=99.9)[limbs].max() < PlausibilityLimits().limb_force_g
    rep = check_plausibility(glitched)
    assert check_plausibility(m).accepted
    assert any(r.startswith("left_wrist specific force") for r in rep.reasons), rep.reasons
    assert rep.force_g["limbs"] == pytest.approx(specific_force_g(glitched)[20])


def test_penetration_on_level_ground_only():
    lim = PlausibilityLimits()
    sunk = _posed().positions - np.array([0.0, 0.12, 0.0])
    assert penetration_m(sunk[::3], lim) == pytest.approx(0.12, abs=1e-9)
    walk = generate("walking", 9, fps=20, rng=1, turns=0).positions
    tail = walk.copy()
    tail[-8:, [7, 10], 1] -= 0.2  # the left foot through the floor in the last 0.4 s (no window missed it)
    assert penetration_m(tail, lim) > 0.15
    # going down stairs the floor under the feet drops step by step: not one plane, not measured
    stairs = generate("stairs_down", 8, fps=20, rng=1).positions
    assert np.isnan(penetration_m(stairs, lim))
    rep = check_plausibility(generate("stairs_down", 8, fps=20, rng=1))
    assert not any(r.startswith("ground penetration") for r in rep.reasons)


def test_a_minute_of_standing_does_not_add_up_to_a_slide_but_a_glide_does():
    m = generate("standing", 60, fps=20, rng=3, fidget=0.0)
    m = Motion(m.positions, inverse_kinematics(m.positions), m.fps)
    assert check_plausibility(m).foot_slide_m < 0.02
    t = np.arange(len(m.positions)) / m.fps
    glide = m.positions + (0.1 * t)[:, None, None] * np.array([0.0, 0.0, 1.0])  # 0.1 m/s, feet "planted"
    rep = check_plausibility(Motion(glide, inverse_kinematics(glide), m.fps))
    assert rep.foot_slide_m == pytest.approx(0.2, abs=0.03)  # within one 2-s window
    assert rep.reasons and rep.reasons[0].startswith("foot sliding")


def test_a_slide_reads_the_same_wherever_it_starts_in_the_stance():
    m = generate("standing", 30, fps=20, rng=3, fidget=0.0)
    t = np.arange(len(m.positions)) / m.fps
    read = []
    for start in (5.0, 5.5, 6.25):
        ramp = np.clip((t - start) / 2.0, 0.0, 1.0) * 0.12  # 0.12 m over 2 s, feet "planted"
        P = m.positions + ramp[:, None, None] * np.array([0.0, 0.0, 1.0])
        read.append(check_plausibility(Motion(P, inverse_kinematics(P), m.fps)).foot_slide_m)
    assert np.ptp(read) < 0.01 and min(read) > 0.11, read


def test_marker_jitter_at_a_mocap_rate_is_not_a_jolt():
    """1 mm of position noise at 120 fps differentiated twice is ≈ 15 g; the low-pass keeps the figure
    near the motion's own."""
    m = generate("walking", 10, fps=120, rng=2, turns=0)
    noisy = m.positions + np.random.default_rng(0).normal(0.0, 0.001, m.positions.shape)
    jittered = Motion(noisy, m.orientations, m.fps)
    assert specific_force_g(jittered, lowpass_hz=None).max() > 12.0
    assert specific_force_g(jittered).max() < specific_force_g(m).max() + 1.0
    assert not any("specific force" in r for r in check_plausibility(jittered).reasons)


def test_short_and_foreign_motions():
    short = _posed(n=3)
    rep = check_plausibility(short)  # 60 ms: nothing at 20 fps to judge, no crash
    assert np.isnan(rep.foot_slide_m) and np.isnan(rep.jerk_p99) and rep.accepted
    from imuforge.motion.skeleton import Skeleton

    other = Skeleton("two", ("a", "b"), (-1, 0))
    q = np.tile([0.0, 0.0, 0.0, 1.0], (5, 2, 1))
    with pytest.raises(ValidationError, match="HumanML3D's 22 joints"):
        check_plausibility(Motion(np.zeros((5, 2, 3)) + [[0, 0, 0], [0, 1, 0]], q, 20.0, skeleton=other))


def test_limits_are_checked_once():
    with pytest.raises(ValidationError, match="limb_force_g"):
        PlausibilityLimits(limb_force_g=float("nan"))
    with pytest.raises(ValidationError, match="max_jerk_p99"):
        PlausibilityLimits(max_jerk_p99=-1.0)
    with pytest.raises(ValidationError, match="trunk_force_g"):
        PlausibilityLimits(trunk_force_g=True)
    assert PlausibilityLimits(trunk_force_g=np.float32(9.0)).trunk_force_g == 9.0


def _sunk_file(tmp_path):
    path = tmp_path / "sunk.npy"
    np.save(path, generate("walking", 4, fps=20, rng=0, turns=0).positions - np.array([0.0, 0.15, 0.0]))
    return path


def test_an_implausible_import_is_refused_unless_kept(tmp_path):
    path = _sunk_file(tmp_path)
    with pytest.raises(ValidationError, match=r"ground penetration 0\.1\d+ m > 0\.05 m.*--allow-implausible"):
        load_motion_file(path)
    m = load_motion_file(path, allow_implausible=True)
    report = m.meta["plausibility"]
    assert report["accepted"] is False and report["allowed_anyway"] is True
    assert report["reasons"][0].startswith("ground penetration")
    good = tmp_path / "walk.npy"
    np.save(good, generate("walking", 4, fps=20, rng=0, turns=0).positions)
    assert load_motion_file(good).meta["plausibility"]["accepted"] is True


def test_the_commands_refuse_it_in_one_line_and_write_nothing(tmp_path, capsys):
    path = _sunk_file(tmp_path)
    out = tmp_path / "m"
    assert main(["motion", "--from", str(path), "--label", "walking", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ground penetration" in err[0] and "--allow-implausible" in err[0]
    assert not out.exists()
    rec = tmp_path / "r.imu.parquet"
    assert main(["simulate", "--motion", str(path), "--profile", "smartwatch-wrist", "--out", str(rec)]) == 2
    assert not rec.exists()
    assert main(["motion", "--from", str(path), "--label", "walking", "--allow-implausible",
                 "--profile", "smartwatch-wrist", "--out", str(out)]) == 0
    assert read_motion(out / "motions" / "sunk.motion.npz").meta["plausibility"]["allowed_anyway"] is True
    from imuforge.recording import read_dataset

    prov = read_dataset(out).read(0).provenance["motion"]["plausibility"]
    assert prov["accepted"] is False and prov["reasons"][0].startswith("ground penetration")
