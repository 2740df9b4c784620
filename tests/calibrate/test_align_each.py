"""Alignment when every synthetic person wears the device their own way (wear variation).

Pooled moments average the people's poses out (the mean gravity of phones carried upright and
upside down is near zero); aligning each recording on its own brings every person into the real
wearer's sensor frame. Checked on gravity, which a still recording fixes exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from imuforge.calibrate.align import (EachAlignment, apply_alignment, estimate_alignment, fit_alignment,
                                     person_turn, varied_wear)
from imuforge.motion.library import generate
from imuforge.sensors import simulate


def _angle_deg(a, b):
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


@pytest.fixture(scope="module")
def people():
    """Six synthetic people standing and walking with a phone in the pocket, each their own way, and
    one real wearer (another body, the nominal pose)."""
    syn = []
    for p in range(6):
        for act in ("standing", "walking"):
            syn.append(simulate(generate(act, 12.0, rng=100 + p), "smartphone-waist", "pocket_right_thigh",
                                seed=p, subject=f"syn{p}", wear="default"))
    real = [simulate(generate(act, 12.0, rng=999), "smartphone-waist", "pocket_right_thigh", seed=9,
                     subject="me", wear="none") for act in ("standing", "walking")]
    return syn, real


def _standing_gravity(recs):
    return [r.acc.mean(axis=0) for r in recs if r.labels[0].label == "standing"]


def test_the_fixture_holds_differently_worn_devices(people):
    syn, real = people
    assert varied_wear(syn) and not varied_wear(real)
    flips = {r.provenance["wear"]["flip"] for r in syn}
    assert len(flips) > 1  # the fixture really holds differently carried phones


def test_each_recording_is_brought_to_the_real_gravity_where_pooled_cannot(people):
    syn, real = people
    g_real = _standing_gravity(real)[0]
    each = fit_alignment(syn, real, "each")
    assert isinstance(each, EachAlignment) and len(each.alignments) == len(syn)
    err_each = [_angle_deg(g, g_real) for g in _standing_gravity(apply_alignment(each, syn))]
    pooled = estimate_alignment(syn, real)
    err_pooled = [_angle_deg(g, g_real) for g in _standing_gravity(apply_alignment(pooled, syn))]
    assert max(err_each) < 2.0                       # a still recording's gravity is aligned exactly
    assert max(err_pooled) > 60.0                    # some people's phones stay upside down
    d = each.to_dict()
    walking = [a for a, r in zip(each.alignments, syn) if r.labels[0].label == "walking"]
    assert d["recordings"] == 12 and len(walking) == 6
    assert all(a.heading_observable for a in walking)  # walking fixes the heading too
    assert d["heading_observable"] >= 6  # (a standing person who turned or stepped may fix it as well)


@pytest.mark.parametrize("euler", [(0.0, 0.0, 0.0), (150.0, -20.0, 35.0), (10.0, 175.0, -60.0)])
def test_pooled_rotation_brings_the_typical_wearer_onto_the_capture(people, euler):
    """The pooled rotation is fitted on every synthetic person's readings turned back to the typical wearer's
    wear: it is the turn between that wearer and the capture's, whatever flips the people drew. On the raw
    readings the flipped phones' gravity cancels and the fit lands anywhere (130-180° off, measured)."""
    from scipy.spatial.transform import Rotation

    from imuforge.calibrate.align import rotate_recording

    syn, real = people
    turn = Rotation.from_euler("xyz", euler, degrees=True).as_matrix()
    capture = [rotate_recording(r, turn) for r in real]  # the real wearer's device mounted turned by ``turn``
    pooled = estimate_alignment(syn, capture)
    assert np.degrees(Rotation.from_matrix(pooled.rotation @ turn.T).magnitude()) < 10.0
    assert pooled.gravity_angle_deg < 10.0
    # each person keeps their own turn about the capture: the upside-down phones stay upside down, and
    # turned back by that turn every person's standing gravity is the capture's
    g_real = _standing_gravity(capture)[0]
    aligned = [r for r in apply_alignment(pooled, syn) if r.labels[0].label == "standing"]
    assert max(_angle_deg(g, g_real) for g in _standing_gravity(aligned)) > 60.0
    back = [person_turn(r).T @ r.acc.mean(axis=0) for r in aligned]
    assert max(_angle_deg(g, g_real) for g in back) < 15.0


def test_data_aligned_twice_keep_each_person_s_turn(people):
    """Calibrated data calibrated again: the rotations applied compose in the provenance, so each person's
    turn is found in the current frame and a second (and third) fit against the same capture is the identity
    (with the last rotation recorded in place of them all, the third fit was 159° off)."""
    from scipy.spatial.transform import Rotation

    from imuforge.calibrate.align import rotate_recording

    syn, real = people
    turn = Rotation.from_euler("xyz", (150.0, -20.0, 35.0), degrees=True).as_matrix()
    capture = [rotate_recording(r, turn) for r in real]
    once = apply_alignment(estimate_alignment(syn, capture), syn)
    for _ in range(2):
        again = estimate_alignment(once, capture)
        assert again.angle_deg < 10.0
        once = apply_alignment(again, once)
    composed = np.asarray(once[0].provenance["rotation_applied"]["matrix"])
    assert np.degrees(Rotation.from_matrix(composed @ turn.T).magnitude()) < 10.0


def test_a_class_missing_from_the_capture_gets_the_pooled_rotation(people):
    syn, real = people
    standing_only = [r for r in real if r.labels[0].label == "standing"]
    each = fit_alignment(syn, standing_only, "each")
    walking = [i for i, r in enumerate(syn) if r.labels[0].label == "walking"]
    assert all(each.alignments[i] is None for i in walking) and each.fallback is not None
    out = each.apply_all(syn)
    assert np.allclose(out[walking[0]].acc, each.fallback.apply(syn[walking[0]]).acc)


def test_unknown_mode_is_refused(tmp_path):
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.errors import ValidationError

    with pytest.raises(ValidationError, match="alignment mode"):
        calibrate([tmp_path], [tmp_path], tmp_path / "out", align=True, align_mode="sideways")
    assert not (tmp_path / "out").exists()


def test_calibrate_reports_per_recording_alignment(people, tmp_path):
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.recording import Dataset

    syn, real = people
    for name, recs in (("syn", syn), ("real", real)):
        ds = Dataset.create(tmp_path / name)
        for i, r in enumerate(recs):
            ds.add(r, name=f"r{i}")
    res = calibrate([tmp_path / "syn"], [tmp_path / "real"], tmp_path / "out", align=True, plots=False,
                    align_mode="each")
    step = res.report.step("align")
    assert step.mode == "each" and step.each and step.recordings == len(syn)
    assert not res.report.fidelity_scope.typical_wear  # every recording was brought into the capture's frame
    md = (tmp_path / "out" / "report.md").read_text()
    assert f"each of {len(syn)} synthetic recordings on its own" in md


def test_gravity_is_seen_when_the_classes_hold_the_segment_differently():
    """Three still classes with gravity along x, y and z: the mean over classes is only 0.58 g, but
    each class holds 1 g, so the data have gravity (and a gravity-free capture is still told apart)."""
    from imuforge.recording import Recording
    from imuforge.units import STANDARD_GRAVITY as G

    def rec(vectors, noise_seed):
        rng = np.random.default_rng(noise_seed)
        parts, labels = [], []
        for k, (lab, v) in enumerate(vectors):
            parts.append(np.hstack([np.tile(v, (300, 1)), np.zeros((300, 3))]) + rng.normal(0, 0.05, (300, 6)))
            labels.append((6.0 * k, 6.0 * (k + 1), lab))
        data = np.vstack(parts)
        return Recording(np.arange(data.shape[0]) / 50.0, data,
                         ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), 50.0, labels=labels)

    classes = [("standing", [G, 0, 0]), ("sitting", [0, G, 0]), ("lying", [0, 0, G])]
    al = estimate_alignment([rec(classes, 1)], [rec(classes, 2)])
    assert al.gravity_angle_deg is not None and al.angle_deg < 3.0
    assert not any("no gravity" in n for n in al.notes)


def test_held_out_check_compares_like_with_like(people, tmp_path, capsys):
    """Held-out: the uncalibrated data are scored on the same second halves the calibrated data are."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    syn, real = people
    for name, recs in (("syn", syn), ("real", real)):
        ds = Dataset.create(tmp_path / name)
        for i, r in enumerate(recs):
            ds.add(r, name=f"r{i}")
    assert main(["calibrate", "--synthetic", str(tmp_path / "syn"), "--real", str(tmp_path / "real"), "--out",
                 str(tmp_path / "out"), "--align", "--map", "per-class", "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "after (in-sample: fitted on this capture)" in out and "after (held-out:" in out
    import json

    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    held = rep["fidelity_after_heldout"]
    assert held["before"]["distances"] != rep["fidelity_before"]["distances"]  # scored on the halves, not all
    assert "before and after both scored on the second half" in (tmp_path / "out" / "report.md").read_text()


def test_a_still_capture_against_people_whose_gravity_cancels_says_so():
    """Two synthetic people wearing the device upside down to each other: pooled gravity ≈ 0, each holds
    1 g — the refusal names that (and what to do), not "no gravity"; per recording it aligns."""
    from imuforge.errors import ValidationError
    from imuforge.recording import Recording
    from imuforge.units import STANDARD_GRAVITY as G

    def still(v, seed):
        rng = np.random.default_rng(seed)
        data = np.hstack([np.tile(v, (300, 1)), np.zeros((300, 3))]) + rng.normal(0, 0.02, (300, 6))
        return Recording(np.arange(300) / 50.0, data, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                         50.0, labels=[(0.0, 6.0, "standing")])

    syn = [still([0, 0, G], 1), still([0, 0, -G], 2)]
    with pytest.raises(ValidationError, match="cancel in the pooled mean") as e:
        estimate_alignment(syn, [still([0, G, 0], 3)])
    assert "--align-mode each" in str(e.value.allowed)
    each = fit_alignment(syn, [still([0, G, 0], 3)], "each")
    assert all(a is not None and a.gravity_angle_deg < 3.0 for a in each.alignments)
    with pytest.raises(ValidationError, match="hold no gravity"):
        estimate_alignment([still([0, 0, 0], 4)], [still([0, 0, 0], 5)])


def test_fidelity_scores_the_typical_wearer_against_the_one_wearer_of_the_capture(people, tmp_path, capsys):
    """The capture is one wearer, the synthetic people keep their own ways of wearing the phone on purpose:
    the fidelity figures score them as the typical wearer wears it (each turn undone), so calibrating the
    generator's own people against a capture of its own (a turned phone) reads as the improvement it is.
    Scored on the people's raw readings the same calibration read as no better (mean KS 0.45 → 0.45)."""
    from scipy.spatial.transform import Rotation

    from imuforge.calibrate.align import rotate_recording
    from imuforge.calibrate.result import CalibrationReport
    from imuforge.cli import main
    from imuforge.recording import Dataset

    syn, real = people
    turn = Rotation.from_euler("xyz", (150.0, -20.0, 35.0), degrees=True).as_matrix()
    for name, recs in (("syn", syn), ("real", [rotate_recording(r, turn) for r in real])):
        ds = Dataset.create(tmp_path / name)
        for i, r in enumerate(recs):
            ds.add(r, name=f"r{i}")
    assert main(["calibrate", "--synthetic", str(tmp_path / "syn"), "--real", str(tmp_path / "real"), "--out",
                 str(tmp_path / "out"), "--align", "--map", "per-class", "--no-plots"]) == 0
    assert "fidelity scored as the typical synthetic wearer wears the device" in capsys.readouterr().out
    rep = CalibrationReport.from_json(json.loads((tmp_path / "out" / "report.json").read_text()))
    assert rep.fidelity_scope.typical_wear
    assert rep.fidelity_after.ks_mean < 0.5 * rep.fidelity_before.ks_mean
    held = rep.fidelity_after_heldout
    assert held.after.ks_mean < 0.5 * held.before.ks_mean
    assert "typical wearer wears the device" in (tmp_path / "out" / "report.md").read_text()
