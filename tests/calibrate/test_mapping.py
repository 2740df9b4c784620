"""Quantile mapping: marginals match after mapping; per-class maps; round trip."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import ks_2samp

from imuforge.calibrate.mapping import QuantileMap
from imuforge.errors import ValidationError
from imuforge.recording import Recording

CH = ["acc_x", "acc_y", "acc_z"]


def rec(data, labels=(), rate=50.0, subject=None):
    t = np.arange(data.shape[0]) / rate
    return Recording(t, data, CH, rate, labels=labels, subject=subject)


def test_global_map_matches_marginals_and_is_monotone():
    rng = np.random.default_rng(0)
    syn = rec(rng.standard_normal((4000, 3)))
    real = rec(np.column_stack([2 + 3 * rng.standard_normal(4000), rng.exponential(1.0, 4000),
                                rng.uniform(-1, 1, 4000)]))
    qm = QuantileMap.fit([syn], [real], "global")
    fresh = rec(rng.standard_normal((4000, 3)))  # applied to synthetic data it was not fitted on
    out = qm.apply(fresh)
    for i in range(3):
        assert ks_2samp(out.data[:, i], real.data[:, i]).statistic < 0.04
        assert ks_2samp(fresh.data[:, i], real.data[:, i]).statistic > 0.1
        order = np.argsort(fresh.data[:, i])
        assert np.all(np.diff(out.data[order, i]) >= -1e-12)  # rank order kept


def test_per_class_maps_each_class_and_passes_other_classes_through():
    rng = np.random.default_rng(1)
    n = 2000
    syn = rec(np.vstack([rng.standard_normal((n, 3)), rng.standard_normal((n, 3))]),
              labels=[(0, n / 50, "standing"), (n / 50, 2 * n / 50, "walking")])
    real = rec(np.vstack([0.1 * rng.standard_normal((n, 3)), 5 + 2 * rng.standard_normal((n, 3))]),
               labels=[(0, n / 50, "standing"), (n / 50, 2 * n / 50, "walking")])
    qm = QuantileMap.fit([syn], [real], "per-class")
    assert set(qm.maps) == {"standing", "walking"}
    out = qm.apply(syn)
    lab = syn.label_array()
    assert out.data[lab == "standing"].std() == pytest.approx(0.1, rel=0.1)
    assert out.data[lab == "walking"].mean() == pytest.approx(5, abs=0.15)
    # a global map cannot do that: it mixes the classes
    g = QuantileMap.fit([syn], [real], "global").apply(syn)
    assert g.data[lab == "standing"].std() > 1.0
    # a class the capture never showed is passed through unchanged, by either mode
    other = rec(rng.standard_normal((500, 3)), labels=[(0, 10, "running")])
    assert np.array_equal(qm.apply(other).data, other.data)
    assert np.array_equal(QuantileMap.fit([syn], [real], "global").apply(other).data, other.data)


def test_linear_tails_extend_beyond_the_fitted_range():
    rng = np.random.default_rng(2)
    syn = rec(rng.standard_normal((3000, 3)))
    real = rec(2 * rng.standard_normal((3000, 3)))
    lin = QuantileMap.fit([syn], [real], "global")
    clip = QuantileMap.fit([syn], [real], "global", tails="clip")
    x = rec(np.full((10, 3), 10.0))
    assert np.all(clip.apply(x).data <= real.data.max(axis=0) + 1e-12)
    assert np.all(lin.apply(x).data > 15)  # ≈ 2·10 continues the map's slope


def test_quantised_synthetic_data_do_not_break_the_map():
    rng = np.random.default_rng(3)
    syn = rec(np.round(rng.standard_normal((2000, 3)) * 2) / 2)  # many repeated values
    real = rec(rng.standard_normal((2000, 3)))
    out = QuantileMap.fit([syn], [real], "global").apply(syn)
    assert np.all(np.isfinite(out.data))


def test_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    syn, real = rec(rng.standard_normal((500, 3))), rec(rng.gamma(2.0, size=(500, 3)))
    qm = QuantileMap.fit([syn], [real], "global")
    qm.save(tmp_path / "m.json")
    again = QuantileMap.load(tmp_path / "m.json")
    assert np.array_equal(again.apply(syn).data, qm.apply(syn).data)
    (tmp_path / "bad.json").write_text('{"format": "x"}')
    with pytest.raises(ValidationError, match="not a quantile map"):
        QuantileMap.load(tmp_path / "bad.json")


@pytest.mark.parametrize("mode", ["per-class", "magnitude", "global"])
def test_an_unlabelled_capture_shows_the_one_synthetic_class_or_is_refused(mode):
    rng = np.random.default_rng(5)
    two = rec(rng.standard_normal((400, 3)) + [0, 0, 9.8], labels=[(0, 4, "standing"), (4, 8, "walking")])
    # (a person standing still keeps the length of their own gravity, so it must be measurable: with 1 m/s² of
    # noise per axis the median of 400 samples is 9.8 ± 0.06 m/s², a third of the capture's own spread)
    one = rec(0.4 * rng.standard_normal((400, 3)) + [0, 0, 9.8], labels=[(0, 8, "standing")])
    capture = rec(0.2 * rng.standard_normal((400, 3)) + [0, 0, 9.8])
    with pytest.raises(ValidationError, match="unlabelled but the synthetic data hold 2 classes"):
        QuantileMap.fit([two], [capture], mode)
    qm = QuantileMap.fit([one], [capture], mode)
    assert any("taken to show 'standing'" in n for n in qm.notes)
    out = qm.apply(one)
    if mode != "magnitude":  # (a magnitude map changes vector lengths, not the z marginal as such)
        assert ks_2samp(out.data[:, 2], capture.data[:, 2]).statistic < 0.1
    assert not np.allclose(out.data, one.data)


# ----------------------------------------------------------------------------- magnitude mode
def _rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    return q * np.linalg.det(q)  # proper rotation


def _worn(rng, R, amp, label, n=3000, rate=50.0, group="acc"):
    """A person wearing the sensor turned by R: specific force = R(g + dynamic), or rate = R·ω."""
    t = np.arange(n) / rate
    f = rng.uniform(1.0, 3.0, 3)
    dyn = amp * np.sin(2 * np.pi * f * t[:, None] + rng.uniform(0, 2 * np.pi, 3))
    world = dyn + (np.array([0.0, 0.0, 9.81]) if group == "acc" else 0.0)
    chans = [f"{group}_{a}" for a in "xyz"]
    return Recording(t, world @ R.T, chans, rate, labels=[(0.0, n / rate, label)])


def _angle_deg(a, b):
    c = np.sum(a * b, axis=-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def test_magnitude_map_matches_dynamic_size_and_keeps_each_persons_orientation():
    from imuforge.calibrate.gravity import gravity_in_sensor_frame

    rng = np.random.default_rng(6)
    people = [_worn(rng, _rotation(rng), 1.0, "walking") for _ in range(6)]
    real = [_worn(rng, _rotation(rng), 3.0, "walking")]
    qm = QuantileMap.fit(people, real, "magnitude")
    assert qm.channels == ("acc_dynamic_norm",)
    mapped = [qm.apply(p) for p in people]

    def dyn_norm(recs):
        return np.concatenate([np.linalg.norm(r.acc - gravity_in_sensor_frame(r.acc, None, r.rate_hz), axis=1)
                               for r in recs])

    assert ks_2samp(dyn_norm(mapped), dyn_norm(real)).statistic < 0.05
    assert ks_2samp(dyn_norm(people), dyn_norm(real)).statistic > 0.3
    for p, m in zip(people, mapped):  # each person's gravity direction is where it was
        assert _angle_deg(p.acc.mean(axis=0), m.acc.mean(axis=0)) < 2.0
    # a per-channel map from the pooled samples forces every person onto the capture's one orientation
    pc = QuantileMap.fit(people, real, "per-class", source="pooled", strength="full")
    g_before = np.array([p.acc.mean(axis=0) for p in people])
    g_pc = np.array([pc.apply(p).acc.mean(axis=0) for p in people])
    spread = lambda g: np.median(_angle_deg(g[:, None], g[None, :]))  # noqa: E731
    assert spread(g_before) > 45.0
    assert spread(g_pc) < 0.5 * spread(g_before)
    assert abs(spread(np.array([m.acc.mean(axis=0) for m in mapped])) - spread(g_before)) < 2.0


def test_magnitude_map_rescales_rate_vectors_without_turning_them():
    rng = np.random.default_rng(7)
    people = [_worn(rng, _rotation(rng), 1.0, "walking", group="gyro") for _ in range(4)]
    real = [_worn(rng, _rotation(rng), 0.5, "walking", group="gyro")]
    qm = QuantileMap.fit(people, real, "magnitude")
    assert qm.channels == ("gyro_norm",)
    for p in people:
        m = qm.apply(p)
        moving = np.linalg.norm(p.gyro, axis=1) > 1e-3
        assert np.max(_angle_deg(p.gyro[moving], m.gyro[moving])) < 1e-4  # arccos round-off near 0°
        assert np.linalg.norm(m.gyro, axis=1).mean() == pytest.approx(
            np.linalg.norm(real[0].gyro, axis=1).mean(), rel=0.05)
    # classes the capture does not show pass through unchanged
    other = _worn(rng, _rotation(rng), 1.0, "running", group="gyro")
    assert np.array_equal(qm.apply(other).data, other.data)
    unlabelled = Recording(other.timestamps, other.data, other.channels, other.rate_hz)
    assert QuantileMap.fit(people, [unlabelled], "magnitude").applies_to == ["walking"]  # the one synthetic class


def _walking(r):
    """``r`` labelled walking from end to end."""
    return r.replace(labels=[(0.0, r.duration_s + 1.0, "walking")])


def _turned_people(placement: str, n: int, *, flips: bool) -> tuple[list, object]:
    """``n`` people walking with the device at ``placement``, each wearing it turned their own way (rotation
    variation, and the flips if asked; no offset, looseness or side), and the motion they share."""
    from imuforge.sensors.simulate import simulate
    from imuforge.sensors.wear import WearVariation
    from tests.sensors.test_wear import _busy_motion

    turns = WearVariation(rotation=True, offset=False, looseness=False, flips=flips, side=False)
    motion = _busy_motion()
    return [_walking(simulate(motion, "testband", placement, seed=i, wear=turns, wear_seed=f"p{i}"))
            for i in range(n)], motion


def test_per_channel_map_keeps_each_synthetic_persons_wear(profile_dir):
    """Per-class maps act on every person's readings at the nominal wear, and each keeps their own turn."""
    from imuforge.sensors.simulate import simulate
    from imuforge.sensors.wear import wear_turn

    people, motion = _turned_people("pocket_right_thigh", 6, flips=True)
    real = _walking(simulate(motion, "testband", "pocket_right_thigh", seed=99))
    real = real.replace(data=real.data * 1.3)  # the capture: a stronger signal at the nominal wear
    # the source that collapses wear, applied in full
    kept = QuantileMap.fit(people, [real], "per-class", source="pooled", strength="full")
    lost = QuantileMap.fit(people, [real], "per-class", keep_wear=False, source="pooled", strength="full")
    g = lambda recs: np.array([r.acc.mean(axis=0) for r in recs])  # noqa: E731
    for p, m in zip(people, (kept.apply(p) for p in people)):
        D = wear_turn(p.provenance["wear"])
        nominal = m.acc @ D  # turned back to the nominal wear: the capture's marginals
        for i in range(3):
            assert ks_2samp(nominal[:, i], real.acc[:, i]).statistic < 0.1
        assert _angle_deg(p.acc.mean(axis=0), m.acc.mean(axis=0)) < 3.0  # the person's own gravity direction
    collapsed = g([lost.apply(p) for p in people])
    spread = lambda x: np.median(_angle_deg(x[:, None], x[None, :]))  # noqa: E731
    assert spread(g(people)) > 20.0
    assert spread(collapsed) < 0.5 * spread(g(people))  # forced toward the capture's one wear
    assert kept.to_dict()["keep_wear"] is True and lost.to_dict()["keep_wear"] is False


def test_people_source_keeps_the_offsets_between_synthetic_people():
    """One captured person: the pooled map squeezes the synthetic people's offsets into that person's
    range (by σ_capture / σ_pooled); the ``people`` map sends the typical person onto the capture and
    keeps each person's offset, while every person's own spread takes the capture's."""
    rng = np.random.default_rng(7)
    offsets = np.linspace(-3.0, 3.0, 7)
    people = [rec(off + 0.5 * rng.standard_normal((3000, 3)), labels=[(0, 60, "walking")], subject=f"s{i}")
              for i, off in enumerate(offsets)]
    real = rec(5.0 + 1.0 * rng.standard_normal((3000, 3)), labels=[(0, 60, "walking")], subject="P")
    kept = QuantileMap.fit(people, [real], "per-class", keep_wear=False, source="people", strength="full")
    pooled = QuantileMap.fit(people, [real], "per-class", keep_wear=False, source="pooled", strength="full")
    assert pooled.source == "pooled"
    assert QuantileMap.fit(people, [real], "per-class", keep_wear=False).source == "people"  # the default
    assert kept.samples["walking"]["synthetic_recordings"] == 7 and kept.source == "people"
    med_k = np.array([np.median(kept.apply(p).data[:, 0]) for p in people])
    med_p = np.array([np.median(pooled.apply(p).data[:, 0]) for p in people])
    np.testing.assert_allclose(med_k - med_k.mean(), offsets, atol=0.05)   # offsets unscaled
    assert med_k.mean() == pytest.approx(5.0, abs=0.05)                    # typical person = capture
    sd_k = [kept.apply(p).data[:, 0].std() for p in people]
    np.testing.assert_allclose(sd_k, 1.0, rtol=0.06)                       # each person's own spread mapped
    # pooled: the people's spread squeezed toward σ_capture / σ_pooled ≈ 0.49 (an affine estimate; the pooled
    # mixture is not Gaussian, so the monotone map is not affine either)
    assert np.std(med_p) < 0.6 * np.std(offsets) and np.all(np.diff(med_p) > 0)
    back = QuantileMap.load(kept.save(Path(tempfile.mkdtemp()) / "m.json"))
    np.testing.assert_array_equal(back.apply(people[0]).data, kept.apply(people[0]).data)
    with pytest.raises(ValidationError, match="quantile source"):
        QuantileMap.fit(people, [real], "per-class", source="crowd")


def test_people_source_centres_fit_and_apply_alike_in_global_mode():
    """``global`` maps two classes with one map; fit and apply centre the same samples (one recording's
    samples of the mapped classes), so a map from the typical person leaves each person's classes apart
    and lands the typical person on the capture — also when one person holds several recordings."""
    rng = np.random.default_rng(8)
    people = []
    for i in range(6):
        for k in range(2):  # two recordings of the same person
            x = np.vstack([3.0 + rng.standard_normal((1500, 3)), -3.0 + rng.standard_normal((1500, 3))])
            people.append(rec(x + 0.3 * i, labels=[(0, 30, "walking"), (30, 60, "standing")], subject=f"s{i}"))
    real = rec(np.vstack([6.0 + rng.standard_normal((1500, 3)), -6.0 + rng.standard_normal((1500, 3))]),
               labels=[(0, 30, "walking"), (30, 60, "standing")], subject="P")
    qm = QuantileMap.fit(people, [real], "global", keep_wear=False, source="people")
    out = [qm.apply(p) for p in people]
    walk = np.concatenate([o.data[o.label_array() == "walking", 0] for o in out])
    stand = np.concatenate([o.data[o.label_array() == "standing", 0] for o in out])
    assert walk.mean() == pytest.approx(6.0, abs=0.3) and stand.mean() == pytest.approx(-6.0, abs=0.3)
    assert walk.std() < 1.6 and stand.std() < 1.6  # not smeared across the two classes


def test_old_map_files_load_as_pooled(tmp_path):
    rng = np.random.default_rng(9)
    syn = rec(rng.standard_normal((3000, 3)), labels=[(0, 60, "walking")])
    real = rec(2.0 + rng.standard_normal((3000, 3)), labels=[(0, 60, "walking")])
    d = QuantileMap.fit([syn], [real], "per-class").to_dict()
    d["version"] = 1
    del d["source"]
    for chm in d["maps"].values():
        for m in chm.values():
            del m["center"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d))
    old = QuantileMap.load(path)
    assert old.source == "pooled" and all(m.center is None for m in old.maps["walking"].values())
    np.testing.assert_allclose(old.apply(syn).data.mean(axis=0), 2.0, atol=0.05)
    d["version"] = 9
    path.write_text(json.dumps(d))
    with pytest.raises(ValidationError, match="version"):
        QuantileMap.load(path)


def test_per_channel_map_sends_a_one_sided_spreads_typical_wearer_onto_the_capture(profile_dir, monkeypatch):
    """A shoe sensor's instep tilt is uniform in 0–55°: the capture (worn at the middle, 27.5°) is what the
    typical synthetic person wears, so after the map each person sits their own tilt's distance from the
    capture. Undoing each person's whole turn (back to the untilted preset) instead put the capture's tilt on
    the preset and every person's tilt on top of it: ≈ 27.5° further on."""
    from imuforge.sensors.placement import get_placement
    from imuforge.sensors.simulate import simulate
    from imuforge.sensors.wear import realise, wear_turn

    people, motion = _turned_people("foot_right", 16, flips=False)
    typical = realise(get_placement("foot_right"), rotation_deg=(0.0, 0.0, 27.5))
    capture = _walking(simulate(motion, "testband", typical, seed=99))

    def off_capture(recs):  # each mapped person's gravity direction from the capture's (deg)
        qm = QuantileMap.fit(recs, [capture], "per-class", source="pooled")
        return np.array([_angle_deg(qm.apply(p).acc.mean(0), capture.acc.mean(0)) for p in recs])

    tilts = np.array([p.provenance["wear"]["rotation_deg"]["third"] for p in people])
    # where each way puts each person (give or take their smaller turns about the other axes)
    near, far = np.abs(tilts - 27.5), tilts
    got = off_capture(people)
    assert np.mean(np.abs(got - near)) < 0.6 * np.mean(np.abs(got - far))  # measured 5.7 vs 13.4
    monkeypatch.setattr("imuforge.sensors.wear.wear_turn",  # the old way: from the untilted preset
                        lambda wear, from_centre=False, _f=wear_turn: _f(wear))
    old = off_capture(people)
    assert np.mean(np.abs(old - far)) < 0.6 * np.mean(np.abs(old - near))  # measured 4.0 vs 15.8


def test_evidence_strength_is_the_larger_positive_part_james_stein_share():
    from imuforge.calibrate.mapping import distance_ratios, evidence_strength

    qs = np.zeros((5, 3))
    qr = np.column_stack([np.full(5, 2.0), np.full(5, 0.5), [0.0, 1.0, 2.0, 3.0, 4.0]])
    r = distance_ratios(qs, qr, np.array([1.0, 1.0, 2.0]))
    # d² / s², d² over the percentiles
    np.testing.assert_allclose(r, [4.0, 0.25, np.mean(np.arange(5.0) ** 2) / 2.0])
    assert np.all(np.isinf(distance_ratios(qs, qr, None)))  # no people to measure a spread on: map in full
    assert evidence_strength(distance_ratios(qs, qr, None)).tolist() == [1.0, 1.0, 1.0]
    # each class channel: the larger of its own share 1 − 1/r and the capture's 1 − (p − 2)/Σr
    grid = np.array([[0.5, 0.6, 2.0], [0.2, 1.5, 0.4], [0.3, 0.7, 0.6], [0.4, 0.5, 0.3]])  # mostly within
    own, joint = 1 - 1 / grid, 1 - (grid.size - 2) / grid.sum()
    np.testing.assert_allclose(evidence_strength(grid), np.clip(np.maximum(own, joint), 0, 1))
    k = evidence_strength(grid)
    assert joint < 0 and k[0, 2] == 0.5 and k[1, 1] == pytest.approx(1 / 3) and k[2, 0] == 0.0
    far = np.full((4, 3), 20.0)  # far off in every channel: the generator, not the person
    far[0, 0] = 0.5              # ... so one close channel is mapped by the capture's share too
    k = evidence_strength(far)
    assert k[0, 0] == pytest.approx(1 - 10 / far.sum()) and k[0, 0] > 0.95
    # a class whose people are too few to measure a spread is mapped in full, and does not decide the others
    grid[3] = np.inf
    k = evidence_strength(grid)
    assert np.all(k[3] == 1.0) and k[2, 0] == 0.0 and k[0, 2] == 0.5


CLASS_MEANS = {"walking": 0.0, "standing": 6.0, "running": -6.0}


def _person(rng, offset: float, subject: str):
    """One person doing the three classes of :data:`CLASS_MEANS` for 20 s each, ``offset`` from the means."""
    data = np.vstack([m + offset + 0.5 * rng.standard_normal((1000, 3)) for m in CLASS_MEANS.values()])
    return rec(data, labels=[(20 * i, 20 * (i + 1), c) for i, c in enumerate(CLASS_MEANS)], subject=subject)


def _population(rng, shift: float, n: int = 8, sd_between: float = 1.0):
    """``n`` synthetic people whose medians are spread by ``sd_between`` about the class means, and a capture
    whose person sits ``shift`` from them."""
    offsets = sd_between * np.linspace(-1.5, 1.5, n)
    return [_person(rng, off, f"s{i}") for i, off in enumerate(offsets)], _person(rng, shift, "P")


def test_evidence_keeps_people_a_capture_within_their_spread_could_be_one_of():
    """A capture that lies among the synthetic people (its person could be any of them) leaves them as they
    are; one far outside them (the generator's difference from the device) is mapped as the full map maps
    it."""
    rng = np.random.default_rng(10)
    people, near = _population(rng, 0.6)
    qm = QuantileMap.fit(people, [near], "per-class", keep_wear=False)
    assert qm.strength == "evidence"
    assert max(v for chm in qm.strengths().values() for v in chm.values()) == 0.0
    for p in people:
        np.testing.assert_allclose(qm.apply(p).data, p.data)
    full = QuantileMap.fit(people, [near], "per-class", keep_wear=False, strength="full")
    walk = [full.apply(p) for p in people]
    med = np.array([np.median(w.data[w.label_array() == "walking", 0]) for w in walk])
    assert med.mean() == pytest.approx(0.6, abs=0.05)  # the full map moves everyone onto the one person
    _, far = _population(rng, 12.0)
    qm = QuantileMap.fit(people, [far], "per-class", keep_wear=False)
    k = np.array([v for chm in qm.strengths().values() for v in chm.values()])
    # r = d²/s² ≈ 12² / 1.1 per class channel: 1 − 1/r ≈ 0.99
    assert np.all(k > 0.98)
    walk = [qm.apply(p) for p in people]
    med = np.array([np.median(w.data[w.label_array() == "walking", 0]) for w in walk])
    assert med.mean() == pytest.approx(12.0, abs=0.2)
    np.testing.assert_allclose(med - med.mean(), np.linspace(-1.5, 1.5, 8), atol=0.1)  # offsets kept


def test_map_strength_round_trips_and_old_files_apply_in_full(tmp_path):
    rng = np.random.default_rng(11)
    people, capture = _population(rng, 2.0)
    qm = QuantileMap.fit(people, [capture], "per-class", keep_wear=False)
    k = [v for chm in qm.strengths().values() for v in chm.values()]
    assert all(0.0 < v < 1.0 for v in k)  # part of the way: r ≈ 4 / 1.1
    back = QuantileMap.load(qm.save(tmp_path / "m.json"))
    assert back.strength == "evidence" and back.strengths() == qm.strengths()
    np.testing.assert_array_equal(back.apply(people[0]).data, qm.apply(people[0]).data)
    d = qm.to_dict()
    assert d["version"] == 4
    d["version"] = 2  # written before the strength was recorded: its maps were applied in full
    del d["strength"], d["gravity"]
    for chm in d["maps"].values():
        for m in chm.values():
            del m["strength"]
    (tmp_path / "v2.json").write_text(json.dumps(d))
    old = QuantileMap.load(tmp_path / "v2.json")
    full = QuantileMap.fit(people, [capture], "per-class", keep_wear=False, strength="full")
    full.gravity = None  # (the gravity rule is a later field; test_gravity_free_data_… covers it)
    assert old.strength == "full"
    np.testing.assert_allclose(old.apply(people[0]).data, full.apply(people[0]).data)
    with pytest.raises(ValidationError, match="map strength"):
        QuantileMap.fit(people, [capture], "per-class", strength="half")


# ----------------------------------------------------------------------------- gravity's length
def _unit(v):
    return np.asarray(v, float) / np.linalg.norm(v, axis=-1, keepdims=True)


def _seated_people(rng, n=8):
    """``n`` people sitting still, each holding the device tilted their own way (0 … 70° from +z about x,
    the arm on the lap or on a rest), gravity 9.81 m/s², noise 0.3; and a capture tilted 100° about y
    with a device that reads gravity 2 % short."""
    people = []
    for i, tilt in enumerate(np.radians(np.linspace(0.0, 70.0, n))):
        g = 9.81 * np.array([0.0, np.sin(tilt), np.cos(tilt)])
        people.append(rec(g + 0.3 * rng.standard_normal((1500, 3)), labels=[(0, 30, "sitting")],
                          subject=f"s{i}"))
    tilt = np.radians(100.0)
    g = 0.98 * 9.81 * np.array([np.sin(tilt), 0.0, np.cos(tilt)])
    return people, rec(g + 0.2 * rng.standard_normal((1500, 3)), labels=[(0, 30, "sitting")], subject="P")


@pytest.mark.parametrize("source", ["people", "pooled"])
def test_a_map_turns_each_persons_gravity_and_keeps_its_length(source):
    """Axis-by-axis maps moved every person's median by the same offsets (``people``) or squeezed them into
    the capture's range (``pooled``): a person tilted away from the typical one came out with a gravity of 7
    or 12 m/s². Now each median is turned — by one rotation for all (``people``), so the angles between
    people stay — and its length is the person's times the capture's scale (0.98 here)."""
    import dataclasses

    people, capture = _seated_people(np.random.default_rng(12))
    qm = QuantileMap.fit(people, [capture], "per-class", keep_wear=False, source=source, strength="full")
    assert qm.gravity["sitting"] == pytest.approx(0.98, abs=0.01)
    med = lambda recs: np.array([np.median(r.acc, axis=0) for r in recs])  # noqa: E731
    before, after = med(people), med([qm.apply(p) for p in people])
    axis_by_axis = med([dataclasses.replace(qm, gravity=None).apply(p) for p in people])
    lengths = np.linalg.norm(after, axis=1)
    np.testing.assert_allclose(lengths, 0.98 * np.linalg.norm(before, axis=1), rtol=0.005)
    if source == "people":  # what the axis-by-axis map did (pooled squeezes the people onto the capture)
        assert np.ptp(np.linalg.norm(axis_by_axis, axis=1)) > 1.0
    # the people's mean direction is the capture's
    assert np.degrees(np.arccos(_unit(after.mean(axis=0)) @ _unit(capture.acc.mean(axis=0)))) < 6.0
    if source == "people":  # one turn for all: the angles between people are theirs
        cos = lambda x: _unit(x) @ _unit(x).T  # noqa: E731
        np.testing.assert_allclose(cos(after), cos(before), atol=2e-3)
    for p, a in zip(people, (qm.apply(p) for p in people)):  # the motion around the median is the map's
        d_axis = dataclasses.replace(qm, gravity=None).apply(p).acc
        np.testing.assert_allclose(a.acc - np.median(a.acc, axis=0), d_axis - np.median(d_axis, axis=0),
                                   atol=1e-9)


def test_gravity_free_data_are_mapped_axis_by_axis_and_old_files_too(tmp_path):
    """No gravity on a side (a device that removes it: BasicMotions), no turn; a map file written before the
    rule was recorded maps the median axis by axis, as it did."""
    import dataclasses

    rng = np.random.default_rng(13)
    people, capture = _seated_people(rng)
    free = [p.replace(data=p.data - np.median(p.data, axis=0)) for p in people]
    assert QuantileMap.fit(free, [capture], "per-class", keep_wear=False).gravity == {}
    assert QuantileMap.fit(people, [capture.replace(data=capture.data - capture.data.mean(axis=0))],
                           "per-class", keep_wear=False).gravity == {}
    qm = QuantileMap.fit(people, [capture], "per-class", keep_wear=False)
    d = qm.to_dict()
    del d["gravity"]
    d["version"] = 3
    (tmp_path / "v3.json").write_text(json.dumps(d))
    old = QuantileMap.load(tmp_path / "v3.json")
    assert old.gravity is None
    axis_by_axis = dataclasses.replace(qm, gravity=None)
    np.testing.assert_array_equal(old.apply(people[0]).data, axis_by_axis.apply(people[0]).data)
    assert not np.allclose(old.apply(people[0]).data, qm.apply(people[0]).data)
    for bad in ({"sitting": 7.0}, {"sitting": True}, {"running": 1.0}):
        d["gravity"] = bad
        (tmp_path / "bad.json").write_text(json.dumps(d))
        with pytest.raises(ValidationError, match="gravity"):
            QuantileMap.load(tmp_path / "bad.json")


def _two_postures(rng, i, tilts_deg, scale=1.0, noise=0.3):
    """One recording: 30 s sitting then 30 s standing, gravity tilted by ``tilts_deg`` (about x, then y)."""
    parts = []
    for (ax, ay) in tilts_deg:
        ax, ay = np.radians(ax), np.radians(ay)
        g = scale * 9.81 * np.array([np.sin(ay) * np.cos(ax), np.sin(ax), np.cos(ax) * np.cos(ay)])
        parts.append(g + noise * rng.standard_normal((1500, 3)))
    return rec(np.concatenate(parts), labels=[(0, 30, "sitting"), (30, 60, "standing")], subject=f"s{i}")


def test_a_global_map_and_a_part_map_hold_each_class_gravity():
    """A ``global`` map is one map for every class, and each class's gravity is held on its own (its own
    ``k``); a map applied by a share ``s`` scales gravity's length by ``1 + s (k − 1)``."""
    rng = np.random.default_rng(14)
    people = [_two_postures(rng, i, [(60 + 3 * i, 0), (5 * i, 10)]) for i in range(6)]
    capture = _two_postures(rng, 99, [(80, 40), (20, 60)], scale=0.97, noise=0.2)
    qm = QuantileMap.fit(people, [capture], "global", keep_wear=False, strength="full")
    assert set(qm.gravity) == {"sitting", "standing"}
    assert qm.gravity["sitting"] == pytest.approx(0.97, abs=0.01)
    for p in people:
        lab, out = p.label_array(), qm.apply(p)
        for c in ("sitting", "standing"):
            was, now = (np.linalg.norm(np.median(x[lab == c], axis=0)) for x in (p.acc, out.acc))
            assert now == pytest.approx(was * qm.gravity[c], rel=2e-3)
    part = QuantileMap.fit(people, [capture], "per-class", keep_wear=False, strength="full")
    for chm in part.maps.values():
        for cm in chm.values():
            cm.strength = 0.5
    lab, out = people[0].label_array(), part.apply(people[0])
    for c in ("sitting", "standing"):
        was, now = (np.linalg.norm(np.median(x[lab == c], axis=0)) for x in (people[0].acc, out.acc))
        assert now == pytest.approx(was * (1 + 0.5 * (part.gravity[c] - 1)), rel=2e-3)


def test_a_capture_class_in_recordings_at_different_offsets_is_one_spread_not_two():
    """Two still capture recordings of one class, worn (or biased) differently: their offsets are not motion.
    Pooled, the target was two narrow modes, and every still synthetic person mapped onto it jumped between
    them sample by sample (a HAPT-like capture of two sessions: lying's
    dynamic acceleration 5× the capture's).
    With the ``people`` source (the default) each capture recording counts about its own median, as each
    synthetic person does."""
    rng = np.random.default_rng(3)
    n = 3000
    still = [(0, n / 50.0, "lying")]
    capture = [rec(np.array([9.8, 0.0, 0.0]) + 0.02 * rng.standard_normal((n, 3)), still),
               rec(np.array([0.0, 9.8, 0.0]) + 0.02 * rng.standard_normal((n, 3)), still)]
    people = [rec(np.array([9.0, 1.0, 1.0]) + 0.05 * (k + 1) * rng.standard_normal((n, 3)), still,
                  subject=f"p{k}") for k in range(4)]
    for source, bounded in (("people", True), ("pooled", False)):
        qm = QuantileMap.fit(people, capture, "per-class", source=source, strength="full")
        sd = max(qm.apply(p).data[:, :2].std(axis=0).max() for p in people)
        assert bool(sd < 0.3) is bounded, (source, sd)  # the capture recordings' own sd is 0.02 m/s²


def test_a_capture_that_rolls_over_within_one_recording_is_two_postures_not_one_spread():
    """One lying recording that rolls from the back onto the stomach (a HAPT-like sit-to-lie that settles): as
    two recordings at two offsets (the test above), each posture counts about its own median, and the 3-s roll
    between them is no posture of the class. As one spread, every still synthetic person was mapped across
    both postures and jumped between them sample by sample (a fresh user's stand-in: 5.9 m/s² from one
    sample to the next, where the capture moves 0.09)."""
    from imuforge.calibrate.mapping import POSTURE_MIN_S, posture_parts

    rng = np.random.default_rng(5)
    t = np.arange(3000) / 50.0  # 60 s: 20 s on the back, a 3-s roll, 37 s on the stomach
    angle = np.pi * np.clip((t - 20.0) / 3.0, 0.0, 1.0)
    g = 9.8 * np.column_stack([np.zeros_like(t), np.cos(angle), np.sin(angle)])
    still = [(0, 60.0, "lying")]
    capture = rec(g + 0.02 * rng.standard_normal((3000, 3)), still)
    parts = posture_parts(capture)
    assert set(parts[t < 19.0]) == {0} and set(parts[t > 25.0]) == {max(parts)} and max(parts) >= 1
    assert (parts[(t > 20.5) & (t < 22.5)] == -1).all()  # the roll itself
    assert np.unique(parts[parts >= 0], return_counts=True)[1].min() / 50.0 >= POSTURE_MIN_S
    people = [rec(np.array([1.0, 9.6, 1.0]) + 0.02 * rng.standard_normal((3000, 3)), still, subject=f"p{k}")
              for k in range(4)]
    qm = QuantileMap.fit(people, [capture], "per-class", strength="full")
    for p in people:
        step = np.diff(qm.apply(p).acc, axis=0).std(axis=0).max()
        assert step < 0.1, step  # the people's own sample-to-sample spread is ≈ 0.03 m/s²
    # without gravity in the data (linear acceleration: BasicMotions) no posture is read
    assert set(posture_parts(rec(0.3 * rng.standard_normal((3000, 3)), still))) == {0}


@pytest.mark.parametrize("strength", ["full", "evidence"])
def test_a_still_class_captured_upside_down_in_one_session_keeps_its_gravity(strength):
    """Centred per recording and placed at the recordings' mean median, a phone upside down in one of two
    still sessions averaged to no gravity: every mapped person came out with |median| ≈ 0 (a review found it).
    The target sits at the longest recording's median."""
    rng = np.random.default_rng(4)
    still = [(0, 60.0, "sitting")]
    capture = [rec(np.array([0.0, 9.8, 0.0]) + 0.02 * rng.standard_normal((3000, 3)), still),
               rec(np.array([0.0, -9.8, 0.0]) + 0.02 * rng.standard_normal((2000, 3)),
                   [(0, 40.0, "sitting")])]
    people = [rec(np.array([0.5, 9.7, 0.5]) + 0.05 * rng.standard_normal((3000, 3)), still, subject=f"p{k}")
              for k in range(3)]
    qm = QuantileMap.fit(people, capture, "per-class", strength=strength)
    for p in people:
        g = np.median(qm.apply(p).data, axis=0)
        assert abs(np.linalg.norm(g) - 9.8) < 0.5 and g[1] > 9.0, g  # the longer (upright) session's


def test_a_still_class_keeps_its_sensors_noise_through_the_map(profile_dir):
    """A still class's map squeezes a swaying synthetic standing onto a quieter capture, and squeezes the
    sensor noise the synthetic device added with it: a fresh user's calibrated "standing" read 30–66 µg/√Hz
    above the body's motion against the capture's 147–155 (session 62). The noise the map's slope took is
    put back (white, sd · √(1 − slope²), the device's sd at the data's rate): above 15 Hz the calibrated
    standing is no quieter than the sensor, and what is added is that noise's level — after a per-class map,
    a global one of a standing-only capture, and at another rate than the device's (a review)."""
    from scipy.signal import welch

    from imuforge.calibrate.pipeline import device_noise_floor, mapped
    from imuforge.motion.library import generate
    from imuforge.resample import resample
    from imuforge.sensors.simulate import simulate
    from tests.conftest import still_motion

    stand = lambda r: r.replace(labels=[(0.0, r.duration_s + 1.0, "standing")])  # noqa: E731
    people = [stand(simulate(generate("standing", 20, fps=100, rng=k), "testband", "wrist_left", seed=k))
              for k in range(4)]
    desk = stand(simulate(still_motion(20, 100), "testband", "wrist_left", seed=9))
    floor, why = device_noise_floor(people, None)
    assert why is None and floor("gyro", 100.0) > floor("gyro", 50.0) > 0 and floor("mag", 100.0) is None

    def hf(recs, ch, fs=100.0):  # median PSD level above the body's motion (15 Hz … 0.4 fs)
        f, p = welch(np.concatenate([r.data[:, r.channels.index(ch)] for r in recs]), fs=fs, nperseg=512)
        return float(np.median(p[(f > 15) & (f < 0.4 * fs)]))

    qm = QuantileMap.fit(people, [desk], "per-class", strength="full")
    plain = [qm.apply(r) for r in people]
    kept = mapped(qm, people, floor, seed=0)
    slopes = qm.squeezed_still()["standing"]
    assert 0 < min(slopes.values()) < 1  # the map squeezes the swaying people
    for ch in ("gyro_x", "gyro_y", "gyro_z"):
        real = hf([desk], ch)
        if ch != "gyro_x":
            assert hf(plain, ch) < 0.5 * real  # the squeezed noise: quieter than the sensor
        assert hf(kept, ch) > 0.85 * real  # put back: never quieter than its sensor
        # white noise of sd σ √(1 − f'(x)²) adds its one-sided level 2 σ² (1 − f'²) / fs to what the map left
        # (at most the sensor's own level, 2 σ² / fs)
        assert 0 < hf(kept, ch) - hf(plain, ch) <= 1.25 * 2 * floor("gyro", 100.0) ** 2 / 100.0
    # a global map of a standing-only capture squeezes as much, and gets it back too — labelled or not
    qg = QuantileMap.fit(people, [desk], "global", strength="full")
    assert set(qg.squeezed_still()) == {"(global)"}
    assert hf(mapped(qg, people, floor, seed=0), "gyro_y") > 0.85 * hf([desk], "gyro_y")
    bare = QuantileMap.fit(people, [desk.replace(labels=[])], "global", strength="full")
    assert hf(mapped(bare, people, floor, seed=0), "gyro_y") > 0.85 * hf([desk], "gyro_y")
    # at 50 Hz (the data resampled to a capture's rate): the sensor's level at that rate is what is added
    # (the device's own, at 100 Hz, would be √2 off in density)
    people50, desk50 = [resample(r, 50.0) for r in people], resample(desk, 50.0)
    q50 = QuantileMap.fit(people50, [desk50], "per-class", strength="full")
    kept50, plain50 = mapped(q50, people50, floor, seed=0), [q50.apply(r) for r in people50]
    for ch in ("gyro_y", "gyro_z"):
        real = hf([desk50], ch, 50.0)
        assert hf(kept50, ch, 50.0) > 0.85 * real
        assert hf(kept50, ch, 50.0) - hf(plain50, ch, 50.0) == pytest.approx(real, rel=0.25)
