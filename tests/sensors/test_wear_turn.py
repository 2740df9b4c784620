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


def test_turn_from_the_centre_of_a_one_sided_spread(profile_dir):
    """A shoe sensor's instep tilt is uniform in 0–55° about the preset's third axis: its typical wearer
    tilts it 27.5°, and each person's turn from that wearer is what is left of their own."""
    from imuforge.sensors.placement import get_placement
    from imuforge.sensors.wear import centre_angles_deg, spread_for

    foot = get_placement("foot_right")
    lo, hi = spread_for(foot).tilt_range_deg
    assert (lo, hi) == (0.0, 55.0) and centre_angles_deg(foot) == (0.0, 0.0, 27.5)
    assert centre_angles_deg(get_placement("wrist_left")) == (0.0, 0.0, 0.0)
    motion = _busy_motion()
    worn = [simulate(motion, "testband", "foot_right", errors=False, wear=TURNS_ONLY, wear_seed=f"p{i}")
            for i in range(8)]
    nominal = simulate(motion, "testband", "foot_right", errors=False)
    for w in worn:
        D, Dc = wear_turn(w.provenance["wear"]), wear_turn(w.provenance["wear"], from_centre=True)
        # the typical wearer's own turn from the preset: the central tilt alone
        central = dict(w.provenance["wear"], flip="none",
                       rotation_deg={"long_axis": 0.0, "normal": 0.0, "third": 0.5 * (lo + hi)})
        C = wear_turn(central)
        assert abs(np.degrees(Rotation.from_matrix(C).magnitude()) - 0.5 * (lo + hi)) < 1e-6
        # v_worn = D v_nominal = Dc v_centre = Dc C v_nominal
        np.testing.assert_allclose(D, Dc @ C, atol=1e-12)
        np.testing.assert_allclose(w.acc, nominal.acc @ (Dc @ C).T, atol=1e-8)
        assert wear_turn(central, from_centre=True) is None  # the typical wearer is not turned from themself
    # a watch's spread is centred on its preset: both turns are the same
    watch = simulate(motion, "testband", "wrist_left", errors=False, wear=TURNS_ONLY, wear_seed="w")
    np.testing.assert_array_equal(wear_turn(watch.provenance["wear"]),
                                  wear_turn(watch.provenance["wear"], from_centre=True))


def test_a_shoe_worn_without_rotation_variation_is_the_preset_itself(profile_dir):
    """The instep tilt is drawn with the rotation variation: with it off, nobody is turned from the centre
    (the preset is what every such person wears), so neither turn exists."""
    from imuforge.sensors.wear import WearVariation

    plain = WearVariation(rotation=False, offset=True, looseness=False, flips=False, side=True)
    worn = simulate(_busy_motion(), "testband", "foot_right", errors=False, wear=plain, wear_seed="p")
    assert worn.provenance["wear"]["switches"]["rotation"] is False
    assert wear_turn(worn.provenance["wear"]) is None
    assert wear_turn(worn.provenance["wear"], from_centre=True) is None
