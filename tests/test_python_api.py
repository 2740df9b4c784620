"""The Python API takes what its users write, as the command line does, and refuses what cannot be right.

Found by a reviewer using the library from a script (2026-12-03): one data folder given as a string was read
as its characters; a profile typo became an "undecided" fit after the work; ``errors="none"`` turned every
error term on; a take's seeds depended on ``3`` vs ``3.0`` seconds; a capture in g and deg/s was calibrated
to as linear acceleration; an automatic recording name collided with one given before it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imuforge.errors import ValidationError
from tests.synthetic_har import make_dataset, make_recording


def test_one_data_folder_as_a_string_or_path_is_one_folder(tmp_path):
    from imuforge.datasets.loading import find_all_datasets, split_paths

    make_dataset(tmp_path / "ds", subjects=("s1",), seconds_per_label=2.0)
    for spec in (str(tmp_path / "ds"), tmp_path / "ds", [tmp_path / "ds"]):
        assert [Path(d.path) for d in find_all_datasets(spec)] == [tmp_path / "ds"]
    assert split_paths(Path("a,b")) == [Path("a,b")]  # a Path is one path, whatever its name
    assert split_paths("a, b") == [Path("a"), Path("b")]  # a string is the command line's comma list


def test_calibrate_takes_one_folder_and_refuses_a_profile_typo_before_the_work(tmp_path):
    from imuforge.calibrate.pipeline import calibrate

    make_dataset(tmp_path / "syn", subjects=("s1", "s2"), seconds_per_label=4.0)
    make_dataset(tmp_path / "real", subjects=("r1",), seconds_per_label=4.0, seed=5)
    with pytest.raises(ValidationError, match="nope"):
        calibrate(tmp_path / "syn", tmp_path / "real", tmp_path / "c0", fit_profile=True, profile="nope")
    assert not (tmp_path / "c0").exists()
    res = calibrate(str(tmp_path / "syn"), tmp_path / "real", tmp_path / "c1", plots=False)
    assert len(res.recordings) == 2 and (tmp_path / "c1" / "report.json").is_file()


def test_calibrate_refuses_a_capture_in_g_or_deg_per_s(tmp_path):
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.recording import Dataset

    make_dataset(tmp_path / "syn", subjects=("s1",), seconds_per_label=4.0)
    rec = make_recording("r1", seconds_per_label=4.0, seed=5)
    si = rec.replace(data=rec.data * np.r_[1.0, 1.0, 1.0, 8.0, 8.0, 8.0])  # a wrist's ≈ 4 rad/s peaks
    for name, scale, match in (("g", (1 / 9.80665, 1.0), "gravity in g, not m/s²"),
                               ("gg", (9.80665, 1.0),  # m/s² read as g: gravity at 96 m/s²
                                r"reads 9\d m/s² \(9.\d g\) in every posture: values already in m/s²"),
                               ("dps", (1.0, 180 / np.pi), "deg/s, not rad/s"),
                               ("rad", (1.0, np.pi / 180),  # rad/s read as deg/s: a gyro that hardly turns
                                "gyroscope hardly turns while its accelerometer moves")):
        if name == "dps":
            # a wrist's 4 rad/s in deg/s is beyond any gyroscope: the Recording refuses it, naming a unit
            with pytest.raises(ValidationError, match="beyond any body-worn sensor: a unit gone wrong"):
                si.replace(data=si.data * np.r_[[scale[0]] * 3, [scale[1]] * 3])
            base = rec  # a calmer capture (≤ 1.5 rad/s): in deg/s within a Recording's span, past a gyro's
        else:  # (the calmer one 57× smaller: 0.014 rad/s RMS while it walks and runs)
            base = rec if name == "rad" else si
        data = base.data * np.r_[[scale[0]] * 3, [scale[1]] * 3]
        Dataset.create(tmp_path / name).add(base.replace(data=data), name="r1")
        with pytest.raises(ValidationError, match=match):
            calibrate(tmp_path / "syn", tmp_path / name, tmp_path / f"c_{name}", plots=False)
        assert not (tmp_path / f"c_{name}").exists()
    Dataset.create(tmp_path / "si").add(si, name="r1")
    calibrate(tmp_path / "syn", tmp_path / "si", tmp_path / "c_si", plots=False)  # in SI units: taken



def test_calibrate_judges_each_captures_units_and_a_limbs_rates_by_a_limbs_floor(tmp_path):
    """One file in g beside one in m/s² passed the pooled figures: each long enough recording is judged on
    its own too, and named. A wrist's 6.4 rad/s RMS in rad/s read as deg/s reads 0.11 rad/s, above a trunk's
    floor (0.03) but under a limb's (0.15): refused at the wrist, taken at the lower back."""
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.recording import Dataset

    make_dataset(tmp_path / "syn", subjects=("s1",), seconds_per_label=4.0)
    rec = make_recording("r1", seconds_per_label=8.0, seed=5)  # 24 s: 12 windows of 2 s
    si = rec.replace(data=rec.data * np.r_[1.0, 1.0, 1.0, 8.0, 8.0, 8.0])
    in_g = si.replace(data=si.data * np.r_[[1 / 9.80665] * 3, [1.0] * 3])
    ds = Dataset.create(tmp_path / "mixed")
    ds.add(si, name="good")
    ds.add(in_g, name="in_g")
    with pytest.raises(ValidationError, match=r"the real capture in_g's acceleration reads 1\.\d+ in every "
                                              "posture: gravity in g"):
        calibrate(tmp_path / "syn", tmp_path / "mixed", tmp_path / "c_mixed", plots=False)
    rad = si.replace(data=si.data * np.r_[[1.0] * 3, [np.pi / 180] * 3])
    Dataset.create(tmp_path / "wrist").add(rad, name="r1")
    with pytest.raises(ValidationError, match=r"hardly turns .*; a limb's least is 0\.15 rad/s\)"):
        calibrate(tmp_path / "syn", tmp_path / "wrist", tmp_path / "c_wrist", plots=False)
    Dataset.create(tmp_path / "back").add(rad.replace(placement="lower_back"), name="r1")
    # a trunk turns that little
    calibrate(tmp_path / "syn", tmp_path / "back", tmp_path / "c_back", plots=False)
    assert not (tmp_path / "c_mixed").exists() and not (tmp_path / "c_wrist").exists()


def test_simulate_reads_error_terms_as_wear_and_impact_are_read_and_checks_its_seed():
    from imuforge.motion.library import generate
    from imuforge.sensors import simulate

    m = generate("standing", 2, fps=50, rng=0)
    ideal = simulate(m, "smartwatch-wrist", errors="none")
    assert not any(ideal.provenance["errors"].values())
    assert simulate(m, "smartwatch-wrist", errors="all").provenance["errors"]["noise"]
    only = simulate(m, "smartwatch-wrist", errors="noise,quantisation").provenance["errors"]
    assert [k for k, v in only.items() if v] == ["noise", "quantisation"]
    with pytest.raises(ValidationError, match="unknown error term"):
        simulate(m, "smartwatch-wrist", errors="nosie")
    for seed in (None, "1", 1.7, -1):  # 1.7 gave seed 1's recording, None a bare TypeError
        with pytest.raises(ValidationError, match="seed"):
            simulate(m, "smartwatch-wrist", seed=seed)


def test_a_takes_seeds_do_not_depend_on_how_its_seconds_are_written():
    from imuforge.synth import activity_spec, source_key

    assert source_key(activity_spec("walking", 3)) == source_key(activity_spec("walking", 3.0))
    assert activity_spec("walking", 3).duration_s == 3.0


def test_dataset_names_its_recordings_after_names_given_before():
    import tempfile

    rec = make_recording("s1", seconds_per_label=1.0)
    with tempfile.TemporaryDirectory() as d:
        from imuforge.recording import Dataset

        ds = Dataset.create(Path(d) / "ds")
        ds.add(rec, name="rec00001")
        ds.add(rec)  # was rec00001 again: "already in the dataset"
        ds.add(rec, name="mine.imu.parquet")  # was mine.imu.parquet.imu.parquet
        assert [e["file"] for e in ds.entries] == ["rec00001.imu.parquet", "rec00002.imu.parquet",
                                                   "mine.imu.parquet"]


def test_train_config_takes_the_command_lines_forms():
    from imuforge.train import TrainConfig

    c = TrainConfig(data=Path("syn"), real="a,b", labels="walking, standing", augment="default")
    assert c.data == ["syn"] and c.real == ["a", "b"] and c.labels == ["walking", "standing"]
    assert [t["name"] for t in c.augment][:2] == ["rotation", "scale"]
    with pytest.raises(ValidationError, match="--epochs must be a whole number"):
        TrainConfig(data=["syn"], epochs=1.5).check()


def test_export_refuses_a_card_device_typo_from_python_too():
    from imuforge.export.exporter import check_card_device

    check_card_device("smartwatch-wrist", "wrist_left")
    with pytest.raises(ValidationError, match="not a placement preset"):
        check_card_device(None, "left_wrist")
    with pytest.raises(ValidationError):
        check_card_device("nano33-ble", None)


def test_simulate_many_takes_each_placement_once_and_a_motion_not_a_file_name():
    from imuforge.motion.library import generate
    from imuforge.sensors import simulate, simulate_many

    m = generate("standing", 2, fps=50, rng=0)
    with pytest.raises(ValidationError, match="no placement given"):
        simulate_many(m, "smartwatch-wrist", [])  # gave the default placement
    with pytest.raises(ValidationError, match="'wrist_left' is named twice"):
        simulate_many(m, "smartwatch-wrist", ["wrist_left", "wrist_left"])
    assert [r.placement for r in simulate_many(m, "smartwatch-wrist", "wrist_left")] == ["wrist_left"]
    with pytest.raises(ValidationError, match="simulate makes one device"):
        simulate(m, "smartwatch-wrist", ["wrist_left"])  # unhashable type: 'list'
    with pytest.raises(ValidationError, match="not a Motion"):
        simulate("walking_000.motion.npz", "smartwatch-wrist")  # 'str' object has no attribute 'meta'


def test_recording_rates_and_crops_are_checked():
    from imuforge.recording import Recording

    rec = make_recording("s1", seconds_per_label=1.0)
    assert Recording(rec.timestamps, rec.data, rec.channels, np.int64(50)).rate_hz == 50.0  # was refused
    with pytest.raises(ValidationError, match="rate_hz"):
        Recording(rec.timestamps, rec.data, rec.channels, True)  # was a rate of 1 Hz
    for lo, hi in ((1.5, 0.5), (float("nan"), 1.0), ("0.5", "1.5")):  # empty, or a numpy error
        with pytest.raises(ValidationError, match="crop"):
            rec.crop(lo, hi)
    assert len(rec.crop(0.5, 1.5)) == 50


def test_fidelity_takes_one_recording_or_several():
    from imuforge.calibrate.fidelity import fidelity

    a, b = make_recording("s1", seconds_per_label=4.0), make_recording("s2", seconds_per_label=4.0, seed=3)
    assert fidelity(a, b)["channels"] == fidelity([a], [b])["channels"]


def test_a_dataset_whose_meta_is_not_json_is_not_made(tmp_path):
    from imuforge.recording import Dataset

    with pytest.raises(ValidationError, match="meta is not JSON"):
        Dataset.create(tmp_path / "ds", meta={"a": np.arange(2)})  # a TypeError, and an empty folder left
    assert not (tmp_path / "ds").exists()


def test_csv_is_written_as_parquet_is_atomically_and_never_over_a_file_unasked(tmp_path):
    from imuforge.recording import read_recording

    rec = make_recording("s1", seconds_per_label=1.0)
    path = rec.to_csv(tmp_path / "r.csv")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        rec.crop(0.0, 1.0).to_csv(path)  # replaced the file silently
    assert len(read_recording(path)) == len(rec)
    assert len(read_recording(rec.crop(0.0, 1.0).to_csv(path, overwrite=True))) == 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]  # no temporary file left


def test_calibrate_warns_a_script_of_its_warning_findings_and_the_command_says_each_once(tmp_path, capsys):
    """A script calling calibrate() saw its warnings only by reading result.findings (a fresh Python user's
    fit that found no still stretch); each is now a CalibrationWarning too. The command prints the findings
    itself: none twice."""
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.cli import main
    from imuforge.errors import CalibrationWarning

    make_dataset(tmp_path / "syn", subjects=("s1", "s2"), seconds_per_label=4.0)
    make_dataset(tmp_path / "real", subjects=("r1",), seconds_per_label=4.0, seed=5)
    with pytest.warns(CalibrationWarning) as said:
        res = calibrate(tmp_path / "syn", tmp_path / "real", tmp_path / "c1", plots=False, align=True,
                        map_mode="per-class")
    texts = [f"calibrate ({f.topic}): {f.text}" for f in res.findings if f.kind == "warning"]
    assert texts and [str(w.message) for w in said if w.category is CalibrationWarning] == texts
    assert main(["calibrate", "--synthetic", str(tmp_path / "syn"), "--real", str(tmp_path / "real"),
                 "--out", str(tmp_path / "c2"), "--align", "--map", "per-class", "--no-plots"]) == 0
    err = capsys.readouterr()
    assert "warning: calibrate (" not in err.err + err.out and "WARNING:" in err.out + err.err
