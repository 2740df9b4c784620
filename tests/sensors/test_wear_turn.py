"""wear_turn: the rotation a person's wear puts between their readings and the nominal preset's."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.sensors.simulate import simulate
from imuforge.sensors.wear import WearVariation, wear_turn
from tests.sensors.test_wear import _busy_motion

TURNS_ONLY = WearVariation(rotation=True, offset=False, looseness=False, flips=True, side=False)


@pytest.mark.parametrize("placement", ["pocket_right_thigh", "wrist_left"])
@pytest.mark.parametrize("person", ["person-1", "person-2", "person-3"])
def test_worn_readings_are_the_nominal_ones_turned_by_wear_turn(profile_dir, placement, person):
    motion = _busy_motion()
    nominal = simulate(motion, "testband", placement, errors=False)
    worn = simulate(motion, "testband", placement, errors=False, wear=TURNS_ONLY, wear_seed=person)
    D = wear_turn(worn.provenance["wear"])
    assert D is not None
    np.testing.assert_allclose(D.T @ D, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(worn.acc, nominal.acc @ D.T, atol=1e-8)   # same point, turned
    np.testing.assert_allclose(worn.gyro, nominal.gyro @ D.T, atol=1e-10)
    assert np.degrees(Rotation.from_matrix(D).magnitude()) > 0.5  # it was turned


def test_no_turn_without_a_turn_or_a_preset(profile_dir):
    motion = _busy_motion()
    plain = simulate(motion, "testband", "pocket_right_thigh", errors=False,
                     wear=WearVariation(rotation=False, offset=True, looseness=False, flips=False, side=False),
                     wear_seed="p")
    assert wear_turn(plain.provenance["wear"]) is None
    assert wear_turn(None) is None
    assert wear_turn({"base_placement": "somewhere-custom", "flip": "upside_down"}) is None
