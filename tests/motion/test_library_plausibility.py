"""The procedural library's motions pass the plausibility check that imported and model-made motion
passes: each carries its report, a rejected draw is drawn again with its reasons kept, and the figures the
library's own foot contacts give follow closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.errors import ValidationError
from imuforge.motion.body import Person
from imuforge.motion.library import ACTIVITIES, PLAUSIBILITY_DRAWS, Activity, generate, schedule
from imuforge.motion.library._core import STANDING, Track, expand_sides, pose_to_local
from imuforge.motion.plausibility import JOINT_SWING_MAX_DEG, check_plausibility
from imuforge.sensors import simulate
from imuforge.sensors.profiles import load_profile


@pytest.mark.parametrize("name", sorted(ACTIVITIES))
def test_every_activity_is_plausible_and_says_so(name):
    kind = ACTIVITIES[name].kind
    m = generate(name, None if kind == "transition" else 8.0, rng=0)
    report = m.meta["plausibility"]
    assert report["accepted"], report["reasons"]
    assert set(report) >= {"foot_slide_m", "penetration_m", "jerk_p99", "speed_max_mps", "joint_swing_deg",
                           "force_g", "reasons", "rejected_draws"}


def _bent_knee(person, duration_s, fps, rng, **_):
    """A still posture with the left knee bent 10–20° past the check's maximum (drawn from ``rng``)."""
    n = int(round(duration_s * fps)) + 1
    pose = expand_sides({**STANDING, "knee_flex_L": JOINT_SWING_MAX_DEG["left_knee"] + rng.uniform(10, 20)})
    root = np.zeros((n, 3))
    root[:, 1] = 1.0
    return Track(pose_to_local(pose, n), root, np.zeros((n, 2)), "standing")


BENT = {"bent_knee": Activity("bent_knee", _bent_knee, "static", "a knee bent past its range")}


def test_a_draw_no_redraw_fixes_is_kept_flagged_with_every_rejection():
    m = schedule([("bent_knee", 3.0)], rng=1, activities=BENT)
    report = m.meta["plausibility"]
    assert not report["accepted"]
    assert any(r.startswith("left_knee bent") for r in report["reasons"])
    assert len(report["rejected_draws"]) == PLAUSIBILITY_DRAWS - 1
    assert all(any(r.startswith("left_knee bent") for r in draw) for draw in report["rejected_draws"])


def test_strict_refuses_what_no_draw_makes_plausible():
    with pytest.raises(ValidationError, match="no plausible motion for bent_knee in 4 draws.*left_knee bent"):
        schedule([("bent_knee", 3.0)], rng=1, activities=BENT, plausibility="strict")


def test_record_checks_once_and_off_not_at_all():
    recorded = schedule([("bent_knee", 3.0)], rng=1, activities=BENT, plausibility="record")
    assert not recorded.meta["plausibility"]["accepted"]
    assert recorded.meta["plausibility"]["rejected_draws"] == []
    assert "plausibility" not in schedule([("bent_knee", 3.0)], rng=1, activities=BENT,
                                          plausibility="off").meta
    with pytest.raises(ValidationError, match="plausibility='sometimes' is not a mode"):
        schedule([("standing", 3.0)], rng=1, plausibility="sometimes")


def test_a_redraw_keeps_the_person_and_changes_the_draw():
    person = Person.sample(np.random.default_rng(5))
    first = schedule([("bent_knee", 3.0)], rng=2, person=person, activities=BENT, plausibility="record")
    kept = schedule([("bent_knee", 3.0)], rng=2, person=person, activities=BENT)
    assert kept.meta["person"] == first.meta["person"] == person.to_dict()
    bends = [first.meta["plausibility"]["joint_swing_deg"]["left_knee"],
             kept.meta["plausibility"]["joint_swing_deg"]["left_knee"]]
    assert abs(bends[0] - bends[1]) > 0.1  # the fourth draw bends the knee its own way


DAY = [("standing", 6.0), ("walking", 10.0), ("stand_to_sit", None), ("sitting", 6.0)]


@pytest.mark.parametrize("seed", range(3))
def test_a_day_of_activities_is_plausible_through_its_cross_fades(seed):
    """A foot planted in both activities stays put while the pose and the root blend (the two roots
    blended linearly skated it 0.2–0.44 m, and every such day was flagged)."""
    m = schedule(DAY, rng=seed)
    report = m.meta["plausibility"]
    assert report["accepted"] and report["rejected_draws"] == [], report
    assert report["foot_slide_m"] < 0.05


def test_activities_without_a_cross_fade_follow_on_from_the_last_frame():
    m = schedule([("standing", 2.0), ("walking", 2.0)], rng=1, blend_s=0.0, plausibility="off")
    assert m.n_frames == 402
    assert [seg.label for seg in m.labels] == ["standing", "walking"]
    step = np.linalg.norm(np.diff(m.positions[:, 0, [0, 2]], axis=0), axis=1)
    assert step.max() < 0.05  # the walk starts where the stand ended (no jump of the pelvis)


def test_plausible_draws_are_not_drawn_again():
    """The first draw is kept when it passes: the gate changes nothing a plausible motion holds."""
    checked = generate("walking", 6.0, rng=3)
    plain = generate("walking", 6.0, rng=3, plausibility="off")
    assert checked.meta["plausibility"]["rejected_draws"] == []
    np.testing.assert_array_equal(checked.positions, plain.positions)


@pytest.mark.parametrize("speed", [0.02, 0.04])
def test_a_planted_glide_reads_its_distance_per_window(speed):
    """Both feet planted (the library's contacts say so) while the whole body glides at ``speed``: the
    slide within the check's 2-s window is speed × 2 s."""
    m, contact = generate("standing", 8.0, rng=4, return_contact=True, plausibility="off")
    assert (contact >= 0.999).all()
    P = m.positions.copy()
    P[..., 0] += speed * m.times[:, None]
    glide = type(m)(P, m.orientations, m.fps, meta=m.meta)
    report = check_plausibility(glide, contact=contact)
    assert report.foot_slide_m == pytest.approx(speed * 2.0, rel=0.05, abs=0.002)


def test_known_contacts_must_match_the_motion():
    m, contact = generate("walking", 3.0, rng=1, return_contact=True)
    with pytest.raises(ValidationError, match="contact has shape"):
        check_plausibility(m, contact=contact[:-1])


@pytest.mark.parametrize("seed", range(4))
def test_a_cyclist_pedals_above_the_floor(seed):
    """The bottom bracket is 0.28 m up and the legs hang from the hip joints, not the pelvis: the feet
    stay above the floor (their lowest joint went 4–6 cm below it when the hip sat at the pelvis)."""
    P = generate("cycling", 10.0, rng=seed, plausibility="off").positions
    assert P[:, [7, 8, 10, 11], 1].min() > 0.0
    assert 0.09 < P[:, [7, 8], 1].min() < 0.13  # the ankle at the pedal's lowest point: 0.28 − 0.17 m


def test_the_report_reaches_every_recording():
    m = generate("walking", 4.0, rng=2)
    rec = simulate(m, load_profile("smartphone-waist"), "waist_front", seed=0)
    assert rec.provenance["motion"]["plausibility"] == m.meta["plausibility"]


@pytest.mark.parametrize(("bent", "reads"), [(60.0, 60.0), (120.0, 120.0), (175.0, 150.0), (200.0, 150.0)])
def test_the_elbow_bends_no_further_than_its_range(bent, reads):
    """A pose asking for more than the elbow's 150° gets 150° (eased in over the last few degrees); well
    below it the angle is the one asked for."""
    from imuforge.motion.kinematics import forward_kinematics
    from imuforge.motion.motion import Motion
    from imuforge.motion.plausibility import joint_swing_deg

    person = Person()
    local = pose_to_local(expand_sides({**STANDING, "elbow_flex_R": bent}), 4)
    P, G = forward_kinematics(local, np.zeros((4, 3)), person.offsets)
    swing = joint_swing_deg(Motion(P, G, 50.0))["right_elbow"]
    np.testing.assert_allclose(swing, reads, atol=1e-6 if bent < 140 else 0.01)


@pytest.mark.parametrize(("straight", "reads"), [(-5.0, 5.0), (-7.0, 7.0), (-20.0, 13.425), (-40.0, 14.871)])
def test_the_elbow_straightens_no_further_than_a_healthy_hyperextension(straight, reads):
    """Past straight (a negative flexion: a key frame's −15° carried further by a person's amplitude) the
    elbow is eased onto its 15° of hyperextension, 15 − 8·exp(−(|x| − 7) / 8) degrees past 7°, C¹ there; to
    −7° the angle is the one asked for (the library's own elbows reach −5.6°, and stay bit for bit)."""
    from imuforge.motion.kinematics import forward_kinematics
    from imuforge.motion.motion import Motion
    from imuforge.motion.plausibility import joint_swing_deg

    person = Person()
    local = pose_to_local(expand_sides({**STANDING, "elbow_flex_R": straight}), 4)
    P, G = forward_kinematics(local, np.zeros((4, 3)), person.offsets)
    swing = joint_swing_deg(Motion(P, G, 50.0))["right_elbow"]
    np.testing.assert_allclose(swing, reads, atol=1e-3)


@pytest.mark.parametrize("seed", range(3))
def test_a_phone_at_the_ear_stays_within_the_elbows_range(seed):
    """Standing with a phone at the ear (150°) while the arm keeps a share of the fidgets: the elbow stays
    within its range and the first draw passes (it read 180° and was drawn again before the range)."""
    m = generate("standing", 60.0, rng=seed, carrying="phone_ear_offhand")
    report = m.meta["plausibility"]
    assert report["accepted"] and report["rejected_draws"] == []
    swing = report["joint_swing_deg"]
    assert max(swing["left_elbow"], swing["right_elbow"]) <= 150.0 + 1e-6


NECK = """label = "overbent"
repetition_s = [1.5, 2.5]
amplitude = 1.0
excursion_sd = 0.0
wander_deg = 0.0
style_deg = 0.0

[[keyframes]]
at = 0.0
neck_flex = 0

[[keyframes]]
at = 0.5
neck_flex = 150
"""


def test_imuforge_motion_names_the_motions_it_keeps_flagged(tmp_path, capsys):
    from imuforge.cli import main

    (tmp_path / "overbent.toml").write_text(NECK)
    assert main(["motion", "--from", str(tmp_path / "overbent.toml"), "--n", "2", "--seconds", "3",
                 "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert ("warning: 2 of 2 motions are implausible (no redraw of the person made them plausible), kept and "
            "flagged in their motion files' meta['plausibility']") in err, err
    assert "neck bent 150° > 90°" in err
