"""Class coverage: a calibration fitted on some classes never touches the others.

The scenario from the README: synthetic walking + standing, a real capture of standing only.
A global quantile map fitted on the still capture would squash walking to sensor-noise variance;
it must instead map standing only and pass walking through unchanged, say so, and score fidelity
on standing only.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from imuforge.calibrate.fidelity import fidelity
from imuforge.calibrate.mapping import QuantileMap
from imuforge.calibrate.pipeline import calibrate, restrict_to_classes
from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.motion.library import schedule
from imuforge.recording import Dataset, Recording, read_dataset, read_recording, write_recording
from imuforge.sensors import get_placement, simulate

CH = ["acc_x", "acc_y", "acc_z"]


def rec(data, labels=(), rate=50.0):
    t = np.arange(data.shape[0]) / rate
    return Recording(t, data, CH, rate, labels=labels)


def _two_class(rng, n=2000):
    """Synthetic: standing (sd 1) then walking (sd 3), 50 Hz."""
    data = np.vstack([rng.standard_normal((n, 3)), 3 * rng.standard_normal((n, 3))])
    return rec(data, labels=[(0, n / 50, "standing"), (n / 50, 2 * n / 50, "walking")])


# ---------------------------------------------------------------- the map itself
@pytest.mark.parametrize("mode", ["global", "per-class"])
def test_map_fitted_on_standing_leaves_walking_unchanged(mode):
    rng = np.random.default_rng(0)
    syn = _two_class(rng)
    real = rec(0.01 * rng.standard_normal((3000, 3)), labels=[(0, 60, "standing")])
    qm = QuantileMap.fit([syn], [real], mode)
    out = qm.apply(syn)
    lab = syn.label_array()
    walk, stand = lab == "walking", lab == "standing"
    assert np.array_equal(out.data[walk], syn.data[walk])                  # identity, bit for bit
    assert out.data[stand].std() == pytest.approx(0.01, rel=0.1)          # standing is mapped
    assert qm.applies_to == ["standing"]
    assert any("walking" in n and "unchanged" in n for n in qm.notes)
    assert out.provenance["quantile_map"]["samples_unchanged"] == int(walk.sum())


def test_global_map_is_fitted_on_shared_classes_only():
    """Real classes without synthetic data (running) must not enter the global map either."""
    rng = np.random.default_rng(1)
    syn = _two_class(rng)
    n = 2000
    real = rec(np.vstack([0.5 * rng.standard_normal((n, 3)), 20 + rng.standard_normal((n, 3))]),
               labels=[(0, n / 50, "standing"), (n / 50, 2 * n / 50, "running")])
    qm = QuantileMap.fit([syn], [real], "global")
    out = qm.apply(syn)
    stand = syn.label_array() == "standing"
    assert abs(out.data[stand].mean()) < 0.1 and out.data[stand].std() == pytest.approx(0.5, rel=0.1)
    assert any("running" in n for n in qm.notes)


def test_saved_map_keeps_its_class_scope(tmp_path):
    rng = np.random.default_rng(2)
    syn = _two_class(rng)
    real = rec(0.01 * rng.standard_normal((3000, 3)), labels=[(0, 60, "standing")])
    qm = QuantileMap.fit([syn], [real], "global")
    back = QuantileMap.load(qm.save(tmp_path / "m.json"))
    assert back.applies_to == ["standing"]
    np.testing.assert_array_equal(back.apply(syn).data, qm.apply(syn).data)


def test_unlabelled_capture_against_several_classes_is_refused():
    rng = np.random.default_rng(3)
    syn = _two_class(rng)
    real = rec(0.01 * rng.standard_normal((3000, 3)))
    with pytest.raises(ValidationError, match=r"unlabelled.*standing, walking"):
        QuantileMap.fit([syn], [real], "global")
    with pytest.raises(ValidationError, match="labelled capture"):
        QuantileMap.fit([syn], [real], "per-class")
    # one synthetic class: the unlabelled capture is taken to show it
    only = syn.crop(0, 40)
    qm = QuantileMap.fit([only], [real], "global")
    assert qm.applies_to is None and qm.apply(only).data.std() == pytest.approx(0.01, rel=0.1)


def test_capture_sharing_no_class_is_refused():
    rng = np.random.default_rng(4)
    syn = _two_class(rng)
    real = rec(rng.standard_normal((3000, 3)), labels=[(0, 60, "cycling")])
    with pytest.raises(ValidationError, match="no class in common"):
        QuantileMap.fit([syn], [real], "global")


# ---------------------------------------------------------------- the pipeline / CLI
@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Synthetic: walking + standing of two simulated people; real: another person standing only. All stand
    with their arms hanging (``carrying="none"``): what is tested is the map's reach, not how far apart the
    drawn arm rest positions put three people's mean wrist postures."""
    root = tmp_path_factory.mktemp("cov")
    wrist = get_placement("wrist_left")
    syn = Dataset.create(root / "syn")
    hanging = {"carrying": "none"}
    for i in range(2):
        motion = schedule([("standing", 10, hanging), ("walking", 20)], rng=20 + i)
        syn.add(simulate(motion, "smartwatch-wrist", wrist, seed=i, subject=f"s{i}"))
    still = simulate(schedule([("standing", 30, hanging)], rng=77), "smartwatch-wrist", wrist, seed=9,
                     subject="r")
    plain = root / "captures"  # a plain folder of recordings, no manifest
    plain.mkdir()
    write_recording(still, plain / "still.imu.parquet")
    unlabelled = root / "unlabelled"
    unlabelled.mkdir()
    write_recording(still.replace(labels=[]), unlabelled / "still.imu.parquet")
    return root


def _acc_var(recs, cls):
    """Total acc variance (trace of the covariance, invariant under rotation) of class ``cls``, (m/s²)²."""
    x = np.concatenate([r.acc[r.label_array() == cls] for r in recs])
    return float(np.trace(np.cov(x.T)))


def test_walking_keeps_its_variance_when_only_standing_was_captured(data, capsys):
    out = data / "out"
    rc = main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--out", str(out),
               "--align", "--map", "global", "--no-plots"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "walking" in printed and "unchanged" in printed
    assert "fidelity scored on: standing" in printed
    raw = list(read_dataset(data / "syn").recordings())
    cal = list(read_dataset(out / "dataset").recordings())
    v_raw, v_cal = _acc_var(raw, "walking"), _acc_var(cal, "walking")
    assert v_raw > 1.0                                   # walking really moves (several m/s² sd)
    assert v_cal == pytest.approx(v_raw, rel=0.02)       # rotated, never squashed
    # standing is mapped onto the capture
    still = read_recording(data / "captures" / "still.imu.parquet")
    assert _acc_var(cal, "standing") == pytest.approx(_acc_var([still], "standing"), rel=0.3)

    rep = json.loads((out / "report.json").read_text())
    assert rep["classes"]["shared"] == ["standing"] and rep["classes"]["unmatched_synthetic"] == ["walking"]
    assert rep["fidelity_scope"]["classes"] == ["standing"]
    assert any("walking" in n for n in rep["notes"])
    mstep = next(s for s in rep["steps"] if s["step"] == "map")
    assert mstep["applies_to"] == ["standing"]
    md = (out / "report.md").read_text()
    assert "passed through unchanged: walking" in md and "Scored on the classes" in md
    # "before" compares synthetic standing with real standing, not all synthetic classes
    before = fidelity(restrict_to_classes(raw, ["standing"]), [still], seed=0)
    for ch, d in before["distances"].items():
        assert rep["fidelity_before"]["distances"][ch]["ks"] == pytest.approx(d["ks"], abs=1e-9)
    # --json prints that report, with where it and the dataset went, and nothing else on stdout
    assert main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--out",
                 str(out), "--align", "--map", "global", "--no-plots", "--overwrite", "--json"]) == 0
    said = capsys.readouterr()
    doc = json.loads(said.out)
    assert doc["dataset"] == str(out / "dataset") and doc["report"] == str(out / "report.json")
    assert "capture decided: calibrated on the classes both" in said.err  # the findings on stderr too
    assert {k: v for k, v in doc.items() if k not in ("dataset", "report")} == \
        json.loads((out / "report.json").read_text())
    all_classes = fidelity(raw, [still], seed=0)
    assert rep["fidelity_before"]["distances"]["acc_x"]["ks"] != pytest.approx(
        all_classes["distances"]["acc_x"]["ks"], abs=1e-6)


def test_unlabelled_capture_refused_and_nothing_written(data, capsys):
    out = data / "out_refused"
    rc = main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "unlabelled"), "--out", str(out),
               "--fit-profile", "--map", "global", "--no-plots"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "unlabelled" in err and "standing, walking" in err
    assert not out.exists()                                          # no fit.json / TOML / dataset
    assert not [p for p in data.iterdir() if ".partial-" in p.name]  # staging folder removed


def test_failure_keeps_an_existing_output_intact(data):
    out = data / "out"
    if not (out / "dataset").exists():
        calibrate([data / "syn"], [data / "captures"], out, map_mode="global", plots=False)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(ValidationError):
        calibrate([data / "syn"], [data / "unlabelled"], out, fit_profile=True, map_mode="global",
                  overwrite=True, plots=False)
    assert sorted(p.name for p in out.iterdir()) == before
    assert not (out / "fit.json").exists() or "fit.json" in before


def test_map_source_people_through_the_command(data, capsys):
    out = data / "out_people"
    rc = main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--out", str(out),
               "--align", "--map", "per-class", "--map-source", "people", "--no-plots"])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    mstep = next(s for s in rep["steps"] if s["step"] == "map")
    assert mstep["source"] == "people" and mstep["samples"]["standing"]["synthetic_recordings"] == 2
    saved = json.loads((out / "mapping.json").read_text())
    assert saved["source"] == "people" and saved["version"] == 4
    # each person's gravity turned and its length scaled by the capture's: said, and recorded
    assert set(saved["gravity"]) == {"standing"} and mstep["gravity"] == saved["gravity"]
    k = saved["gravity"]["standing"]
    said = f"standing ×{k:.3f}"
    assert said in capsys.readouterr().out and said in (out / "report.md").read_text()
    assert all(m["center"] is not None for m in saved["maps"]["standing"].values())
    assert "typical synthetic person" in (out / "report.md").read_text()
    # the default: the same maps without asking; --map-source pooled gives IMUGPT's
    for args, want in (([], "people"), (["--map-source", "pooled"], "pooled")):
        o = data / f"out_{want}_default"
        assert main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--out",
                     str(o), "--align", "--map", "per-class", "--no-plots", *args]) == 0
        assert json.loads((o / "mapping.json").read_text())["source"] == want
    # what is not allowed is named, exit 2: an unknown source, or a source without a map
    assert main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--out",
                 str(data / "y"), "--map-source", "people"]) == 2
    assert not (data / "y").exists()
    with pytest.raises(SystemExit) as exc:
        main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--out",
              str(data / "x"), "--map", "per-class", "--map-source", "crowd"])
    assert exc.value.code == 2


def test_map_strength_through_the_command(data, capsys):
    base = ["calibrate", "--synthetic", str(data / "syn"), "--real", str(data / "captures"), "--align",
            "--no-plots"]
    out = data / "out_strength"
    assert main([*base, "--out", str(out), "--map", "per-class"]) == 0
    said = capsys.readouterr().out
    mstep = next(s for s in json.loads((out / "report.json").read_text())["steps"] if s["step"] == "map")
    assert mstep["strength"] == "evidence"  # the default
    k = [v for chm in mstep["strengths"].values() for v in chm.values()]
    assert k and all(0.0 <= v <= 1.0 for v in k)
    assert "map strength (evidence):" in said and f"of {len(k)} class channels mapped in full" in said
    saved = json.loads((out / "mapping.json").read_text())
    assert saved["strength"] == "evidence"
    assert [m["strength"] for chm in saved["maps"].values() for m in chm.values()] == k
    full = data / "out_strength_full"
    assert main([*base, "--out", str(full), "--map", "per-class", "--map-strength", "full"]) == 0
    saved = json.loads((full / "mapping.json").read_text())
    assert saved["strength"] == "full"
    assert {m["strength"] for c in saved["maps"].values() for m in c.values()} == {1.0}
    assert "map strength" not in capsys.readouterr().out
    # a strength without a map: named, exit 2, nothing written
    assert main([*base, "--out", str(data / "z"), "--map-strength", "full"]) == 2
    assert "--map-strength sets how a map is fitted" in capsys.readouterr().err
    assert not (data / "z").exists()


def test_an_unlabelled_recording_in_a_labelled_capture_is_said(data, tmp_path, capsys):
    """A capture of labelled recordings and one without a label: the bare one was dropped without a word (a
    fresh user's run, session 61); now the report names it and its seconds."""
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    still = read_recording(data / "captures" / "still.imu.parquet")
    write_recording(still, mixed / "still.imu.parquet")
    write_recording(still.replace(labels=[]), mixed / "bare.imu.parquet")
    rc = main(["calibrate", "--synthetic", str(data / "syn"), "--real", str(mixed),
               "--out", str(tmp_path / "o"), "--align", "--map", "global", "--no-plots"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "1 recording(s) of the capture carry no label" in printed and "30 s" in printed, printed
