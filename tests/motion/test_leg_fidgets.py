"""Leg and trunk fidgets of standing and sitting people: planted feet stay planted, off means off."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.body import Person
from imuforge.motion.library import static
from imuforge.motion.library._core import foot_contact_points, rel_fk
from imuforge.motion.library.fidgets import UNLOAD_S, leg_fidgets

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
