"""Leg and trunk fidgets of standing and sitting people: planted feet stay planted, off means off."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.body import Person
from imuforge.motion.library import static
from imuforge.motion.library._core import J, feet_planted_track, foot_contact_points, rel_fk
from imuforge.motion.library.fidgets import CROSS_ADD_DEG, UNLOAD_S, leg_fidgets

FPS = 100.0


def _foot_speeds(track, person):
    """Horizontal world speed (m/s) of each foot's contact point, (n, 2)."""
    P, G = rel_fk(track.local, person)
    _, vel = foot_contact_points(P, G, person, FPS)
    root_v = np.gradient(track.root, axis=0) * FPS
    return np.linalg.norm((vel + root_v[:, None, :])[..., [0, 2]], axis=-1)


@pytest.mark.parametrize("activity", [static.standing, static.sitting])
def test_a_loaded_foot_does_not_slide_while_the_other_fidgets(activity):
    person = Person()
    track = activity(person, 180.0, FPS, np.random.default_rng(5), fidget=2.0)
    moved = track.contact < 0.99
    assert moved.mean() > 0.02  # the legs did fidget (one foot unloaded part of the time)
    speed = _foot_speeds(track, person)
    assert np.percentile(speed[~moved], 99.9) < 0.002  # planted: < 2 mm/s
    assert speed[moved].max() > 0.05  # the unloaded foot moved


def test_no_fidget_amount_means_no_leg_motion_and_full_load():
    inc, load = leg_fidgets(np.random.default_rng(0), 500, FPS, 0.0)
    assert all(not v.any() for v in inc.values())
    assert np.all(load == 1.0)


@pytest.mark.parametrize("seated", [False, True])
def test_a_foot_is_unloaded_before_its_leg_moves(seated):
    inc, load = leg_fidgets(np.random.default_rng(1), int(600 * FPS), FPS, 2.0, seated=seated)
    for i, side in enumerate("LR"):
        leg = np.zeros(load.shape[0])
        for k in ("knee_flex", "hip_rot", "ankle_dorsi"):  # what moves a foot on the floor (hip flexion and
            # abduction also follow the pelvis when it drops or tilts over two planted feet)
            leg += np.abs(np.gradient(inc[f"{k}_{side}"]))
        moving = leg > 1e-9
        assert moving.any()
        assert np.all(load[moving, i] < 1e-3)  # every frame the leg moves, the foot carries (next to) nothing
    assert UNLOAD_S > 0


def test_a_crossed_leg_lies_over_the_other_knee_with_its_foot_off_the_floor():
    person, rng = Person(), np.random.default_rng(4)
    inc, load = leg_fidgets(rng, int(900 * FPS), FPS, 2.0, seated=True)
    pose = static.sitting_pose(person, rng, "chair")
    for k, v in inc.items():
        pose[k] = pose.get(k, 0.0) + v
    track = feet_planted_track(pose, person, FPS, "sitting", load=load)
    P, G = rel_fk(track.local, person)
    world = P + track.root[:, None, :]
    pts, _ = foot_contact_points(P, G, person, FPS)
    crossed_any = False
    for i, side in enumerate("LR"):
        crossed = inc[f"hip_abd_{side}"] < -0.9 * CROSS_ADD_DEG[0]  # held crossed (reposition adducts ≤ 10°)
        if not crossed.any():
            continue
        crossed_any = True
        me, other = J(("left_knee", "right_knee")[i]), J(("right_knee", "left_knee")[i])
        up = world[crossed, me, 1] - world[crossed, other, 1]
        assert up.min() > 0.05  # the crossing knee rides above the other one
        apart = np.linalg.norm((world[:, me] - world[:, other])[:, [0, 2]], axis=1)
        assert apart[crossed].max() < np.median(apart[~crossed])  # and moved across towards it
        foot_y = pts[crossed, i, 1] + track.root[crossed, 1]
        assert foot_y.min() > 0.03  # its foot hangs off the floor …
        assert np.all(load[crossed, i] < 1e-3)  # … carrying nothing
    assert crossed_any
