"""Per-person draws are cached across recordings; a cached draw must equal a fresh one exactly."""

import dataclasses

import numpy as np

from imuforge.sensors import PLACEMENTS
from imuforge.sensors.impact import DEFAULT_SPREAD, draw_impact, unit_peak
from imuforge.sensors.impact import _unit_peak as unit_peak_one
from imuforge.sensors.wear import WearVariation, draw_wear, spread_for, wobble_response


def test_cached_wear_equals_a_fresh_draw_and_is_read_only():
    for name in ("wrist_left", "pocket_right_thigh", "waist_front", "ankle_right"):
        pl = PLACEMENTS[name]
        first = draw_wear(pl, WearVariation(), '{"person": 3}', "left")
        again = draw_wear(pl, WearVariation(), '{"person": 3}', "left")
        fresh = draw_wear(pl, WearVariation(), '{"person": 3}', "left", spread=spread_for(pl))  # not cached
        assert again is first
        assert first.to_dict() == fresh.to_dict()
        assert np.array_equal(first.placement.rotation, fresh.placement.rotation)
        assert first.placement.offset_m == fresh.placement.offset_m
        assert not first.placement.rotation.flags.writeable
        other = draw_wear(pl, WearVariation(), '{"person": 4}', "left")
        assert other.to_dict() != first.to_dict()


def test_cached_impact_draw_equals_a_fresh_one():
    twin = dataclasses.replace(DEFAULT_SPREAD)  # equal, but another object: not the cached entry
    a = draw_impact('{"person": 1}')
    assert draw_impact('{"person": 1}') is a
    b = draw_impact('{"person": 1}', spread=twin)
    assert b is not a and b.to_dict() == a.to_dict()
    assert draw_impact('{"person": 2}').to_dict() != a.to_dict()


def test_unit_peak_one_by_one_equals_the_broadcast_search():
    tau, fn, z = np.array([0.01, 0.02, 0.015]), np.array([20.0, 35.0, 60.0]), np.array([0.3, 0.5, 0.7])
    together = unit_peak(tau, fn, z)
    assert np.array_equal(together, [unit_peak_one(*c) for c in zip(tau, fn, z)])


def test_wobble_with_cached_design_is_the_same_filter():
    a = np.random.default_rng(0).normal(size=(500, 3))
    first = wobble_response(a, 800.0, 12.0, 0.4)
    again = wobble_response(a, 800.0, 12.0, 0.4)  # second call: the cached design
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    # steady state for a constant input: u = −a/ω², u̇ = 0 (started in steady state on the first sample)
    c = np.ones((50, 3))
    u, ud, _ = wobble_response(c, 800.0, 12.0, 0.4)
    assert np.allclose(u, -1.0 / (2 * np.pi * 12.0) ** 2, rtol=1e-9) and np.allclose(ud, 0.0, atol=1e-12)
