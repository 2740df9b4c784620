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
from imuforge.sensors.profiles import load_profile
from imuforge.sensors import simulate


@pytest.mark.parametrize("name", sorted(ACTIVITIES))
def test_every_activity_is_plausible_and_says_so(name):
    kind = ACTIVITIES[name].kind
    m = generate(name, None if kind == "transition" else 8.0, rng=0)
    report = m.meta["plausibility"]
    assert report["accepted"], report["reasons"]
    assert set(report) >= {"foot_slide_m", "penetration_m", "jerk_p99", "speed_max_mps", "joint_swing_deg",
                           "force_g", "reasons", "rejected_draws"}


def _bent_knee(person, duration_s, fps, rng, **_):
    """A still posture with the left knee bent 15° past the check's maximum."""
    n = int(round(duration_s * fps)) + 1
    pose = expand_sides({**STANDING, "knee_flex_L": JOINT_SWING_MAX_DEG["left_knee"] + 15.0})
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
