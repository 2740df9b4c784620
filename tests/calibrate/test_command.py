"""`imuforge calibrate` end to end on small simulated data sets."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.cli import main
from imuforge.motion.library import schedule
from imuforge.recording import Dataset, read_dataset
from imuforge.sensors import get_placement, load_profile, simulate
from tests.conftest import still_motion

PLAN = [("standing", 8), ("walking", 20), ("running", 12)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Synthetic: two people at the default placement. Real: another person with the watch turned."""
    root = tmp_path_factory.mktemp("cal")
    wrist = get_placement("wrist_left")
    syn = Dataset.create(root / "syn")
    for i in range(2):
        syn.add(simulate(schedule(PLAN, rng=10 + i), "smartwatch-wrist", wrist, seed=i, subject=f"s{i}"))
    Q = Rotation.from_euler("xyz", [0, 0, 150], degrees=True).as_matrix()  # watch worn upside down-ish
    real = Dataset.create(root / "real")
    rec = simulate(schedule(PLAN, rng=99), "smartwatch-wrist", wrist.with_rotation(Q), seed=5, subject="r")
    # "real" device noisier than the datasheet: 3x the accelerometer noise
    data_ = np.array(rec.data)
    data_[:, :3] += np.random.default_rng(0).standard_normal((len(rec), 3)) * 0.03
    real.add(rec.replace(data=data_))
    still = simulate(still_motion(30, 20), "smartwatch-wrist", "chest", seed=5)
    return root, Q, still


def test_calibrate_command_align_and_map(data, capsys, monkeypatch):
    root, Q, _ = data
    out = root / "out_align"
    monkeypatch.chdir(root)  # the capture given relative, as users type it
    rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", "real", "--out", str(out),
               "--align", "--map", "per-class"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "two-sample AUC (logistic_regression): " in printed and "not computed" not in printed
    assert f"train   imuforge train --data {out / 'dataset'}   (early stopping on this capture" in printed
    rep = json.loads((out / "report.json").read_text())
    steps = [s["step"] for s in rep["steps"]]
    assert steps == ["align", "map"]
    al = json.loads((out / "alignment.json").read_text())
    err = np.degrees(Rotation.from_matrix(np.array(al["rotation"]) @ Q).magnitude())
    assert err < 10
    b, a = rep["fidelity_before"], rep["fidelity_after"]
    ks_b = np.mean([v["ks"] for v in b["distances"].values()])
    ks_a = np.mean([v["ks"] for v in a["distances"].values()])
    assert ks_a < 0.5 * ks_b
    assert a["two_sample"]["logistic_regression"]["auc"] < b["two_sample"]["logistic_regression"]["auc"]
    ds = read_dataset(out / "dataset")
    assert len(ds) == 2 and ds.meta["calibration"]["steps"] == ["align", "map"]
    # the capture as given, and where it is (what `imuforge train --val auto` finds from any folder)
    assert ds.meta["calibration"]["real"] == ["real"]
    assert ds.meta["calibration"]["real_resolved"] == [str((root / "real").resolve())]
    rec = ds.read(0)
    assert rec.provenance["calibrated"]["steps"] == ["align", "map"] and rec.labels
    for f in ("report.md", "report.html", "plots/histograms.png", "plots/psd.png", "mapping.json"):
        assert (out / f).stat().st_size > 0
    assert "<img src=\"data:image/png;base64," in (out / "report.html").read_text()


def test_calibrate_fit_profile_from_a_still_capture(data, tmp_path):
    root, _, still = data
    still_file = still.save(tmp_path / "desk.imu.parquet")
    out = tmp_path / "out_fit"
    rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(still_file), "--out", str(out),
               "--fit-profile", "--no-plots"])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    step = rep["steps"][0]
    assert step["step"] == "fit_profile"
    prof = load_profile(step["profile_toml"])
    assert prof.name == "smartwatch-wrist-fitted"
    nd_true = load_profile("smartwatch-wrist").sensors["accel"].noise_density_si
    assert prof.sensors["accel"].noise_density_si == pytest.approx(nd_true, rel=0.1)


def test_calibrate_bad_input_names_the_problem(tmp_path, capsys):
    (tmp_path / "cap").mkdir()
    rc = main(["calibrate", "--synthetic", str(tmp_path / "nope"), "--real", str(tmp_path / "cap"), "--out",
               str(tmp_path / "o")])
    assert rc == 2
    assert "no such synthetic file or folder" in capsys.readouterr().err


def test_calibrate_names_the_rate_it_resampled_to_and_the_checks_it_could_not_make(data, tmp_path, capsys):
    """The console says the rate the synthetic data were resampled to (it was only in report.md), and where
    the capture is too short for the two-sample test (in-sample and on the held-out halves), that it was not
    computed and why."""
    from imuforge.calibrate.fidelity import resample_recording

    root = data[0]
    rec = read_dataset(root / "real")[0]
    short = resample_recording(rec.crop(rec.timestamps[0], rec.timestamps[0] + 6.0), 25.0)
    short.save(tmp_path / "short.imu.parquet")
    rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(tmp_path / "short.imu.parquet"),
               "--out", str(tmp_path / "o"), "--align", "--no-plots"])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "step resample: the synthetic data to 25 Hz, the capture's rate" in printed
    assert "two-sample AUC: not computed (in-sample: fitted on this capture): too few 2-s windows" in printed
    assert "two-sample AUC (" not in printed
    assert "two-sample AUC: not computed (held-out: fitted on the first half of the capture" in printed


def test_calibrate_refuses_an_out_among_its_inputs(data, tmp_path, capsys):
    """An --out inside --real (or --synthetic) would be read as recordings by the next calibration of that
    folder (dataset select refuses the same): one line, nothing written."""
    root = data[0]
    for option, inside in (("--real", root / "real" / "cal"), ("--synthetic", root / "syn" / "cal")):
        rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(root / "real"), "--out",
                   str(inside), "--no-plots"])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and len(err.splitlines()) == 1 and f"is inside {option}" in err, err
        assert not inside.exists()
    # an --out that holds an input: refused as a folder of other files, before it is read
    top = tmp_path / "top"
    shutil.copytree(root / "real", top / "cap")
    rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(top / "cap"), "--out", str(top),
               "--no-plots"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "holds other files than a calibrate output" in err, err


def test_a_capture_at_two_rates_is_a_warning_and_an_align_mode_without_align_refused(data, tmp_path, capsys):
    """A capture is one device's, at one rate: recordings at two (here the real one and a shorter piece of it
    at half its rate) are a warning, and the synthetic data take the rate of most of the capture (the median
    of two devices' rates would be a rate neither has). --align-mode without --align would be ignored:
    refused."""
    from imuforge.calibrate.fidelity import resample_recording

    root = data[0]
    rec = read_dataset(root / "real")[0]
    piece = rec.crop(rec.timestamps[0], rec.timestamps[0] + 10.0)
    slow = resample_recording(piece, rec.rate_hz / 2).save(tmp_path / "slow.imu.parquet")
    rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(root / "real"), str(slow),
               "--out", str(tmp_path / "o"), "--no-plots", "--json"])
    out, err = capsys.readouterr()
    rep = json.loads(out.strip().splitlines()[-1])
    resampled = [s for s in rep["steps"] if s["step"] == "resample"]
    assert rc == 0 and (not resampled or resampled[0]["rate_hz"] == pytest.approx(rec.rate_hz, rel=0.01))
    said = f"WARNING: the capture's recordings come at several rates: {rec.rate_hz:.4g} Hz (1 recording"
    assert said in err and "the synthetic data kept their rate" in err  # made at the capture's main rate
    from imuforge.calibrate.pipeline import capture_rate
    from imuforge.recording import read_recording

    assert capture_rate([rec, read_recording(slow)]) == pytest.approx(rec.rate_hz)  # the most seconds
    rc = main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(root / "real"), "--out",
               str(tmp_path / "o2"), "--align-mode", "each", "--no-plots"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--align-mode sets how --align fits" in err and not (tmp_path / "o2").exists()


def test_calibrate_refuses_the_synthetic_and_real_data_swapped(data, tmp_path, capsys):
    """A recording that names no simulator (a capture, an imported data set) given as --synthetic, simulated
    people as --real: refused in one line (it calibrated the capture towards the simulated people, exit 0);
    nothing written."""
    root, _, _ = data
    rec = next(read_dataset(root / "real").recordings())
    captured = Dataset.create(tmp_path / "captured")
    captured.add(rec.replace(provenance={"dataset": "imported"}))
    out = tmp_path / "o"
    rc = main(["calibrate", "--synthetic", str(tmp_path / "captured"), "--real", str(root / "syn"),
               "--out", str(out), "--align"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and not out.exists()
    assert "--synthetic holds no simulated recording and every --real recording was simulated: are the two " \
           "swapped? (allowed: --synthetic: what imuforge motion / generate wrote" in err


def test_calibrate_overwrite_leaves_only_this_runs_files_never_a_foreign_folder(data, tmp_path, capsys):
    root, _, still = data
    still_file = still.save(tmp_path / "desk.imu.parquet")
    out = tmp_path / "cal"
    base = ["calibrate", "--synthetic", str(root / "syn"), "--out", str(out), "--no-plots"]
    assert main([*base, "--real", str(still_file), "--fit-profile"]) == 0
    assert (out / "fit.json").exists() and (out / "smartwatch-wrist-fitted.toml").exists()
    assert main([*base, "--real", str(root / "real"), "--align"]) == 2  # no --overwrite: refused
    err = capsys.readouterr().err
    assert "holds an earlier calibrate output; choose another --out or pass --overwrite" in err
    assert main([*base, "--real", str(root / "real"), "--align", "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["alignment.json", "dataset", "report.html",
                                                    "report.json", "report.md"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    for folder in (tmp_path / "mine", out):  # a user's folder; an earlier output with a user's file in it
        folder.mkdir(exist_ok=True)
        (folder / ("report.md" if folder != out else "thesis.tex")).write_text("mine")
        before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
        for extra in ([], ["--overwrite"]):
            args = [*base[:-3], "--out", str(folder), "--no-plots", "--real", str(root / "real"), *extra]
            assert main(args) == 2
            err = capsys.readouterr().err.strip()
            assert "holds other files than a calibrate output (" in err and len(err.splitlines()) == 1, err
            assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_folders_are_taken_space_or_comma_separated(tmp_path):
    """``--synthetic`` / ``--real`` take folders as given, or comma-separated as train, eval and hil take
    theirs; a name with a comma that exists stays whole."""
    from pathlib import Path

    from imuforge.commands.calibrate import _paths

    (tmp_path / "a,b").mkdir()
    given = [tmp_path / "x", Path(f"{tmp_path / 'y'},{tmp_path / 'z'}"), tmp_path / "a,b"]
    assert _paths(given) == [tmp_path / "x", tmp_path / "y", tmp_path / "z", tmp_path / "a,b"]


def test_each_recording_is_read_once_however_the_paths_repeat_or_overlap(tmp_path):
    """``--synthetic syn,syn``, ``--real caps caps/one.csv``: the duplicates weighed classes twice before."""
    from imuforge import Dataset, Recording
    from imuforge.calibrate.pipeline import load_recordings

    t = np.arange(200) / 50.0
    rec = Recording(t, np.zeros((200, 3)) + [0, 0, 9.81], ["acc_x", "acc_y", "acc_z"], 50.0)
    ds = Dataset.create(tmp_path / "syn")
    for name in ("a", "b"):
        ds.add(rec, name=name)
    (tmp_path / "caps").mkdir()
    one = rec.to_csv(tmp_path / "caps" / "one.csv")
    rec.to_csv(tmp_path / "caps" / "two.csv")
    for paths, names in (([tmp_path / "syn", tmp_path / "syn"], ["a", "b"]),
                         ([tmp_path / "syn", tmp_path / "syn" / ds.entries[0]["file"]], ["a", "b"]),
                         ([tmp_path / "caps", one], ["one", "two"]),
                         ([one, tmp_path / "caps"], ["one", "two"])):
        assert sorted(n for n, _ in load_recordings(paths)) == names, paths


def test_a_capture_naming_no_device_is_fitted_on_the_synthetic_datas_device(data, tmp_path, capsys):
    """A logger's CSV names no profile: --fit-profile without --profile took no base, wrote no fitted profile
    and said so only in report.md. It now takes the device the synthetic data were made for, and says so."""
    root, _, still = data
    desk = still.replace(profile=None).save(tmp_path / "desk.imu.parquet")
    out = tmp_path / "cal"
    assert main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(desk), "--out", str(out),
                 "--fit-profile", "--no-plots"]) == 0
    said = capsys.readouterr().out
    assert "base profile smartwatch-wrist, the device the synthetic data were made for (the capture names " \
           "none" in said
    assert (out / "smartwatch-wrist-fitted.toml").exists()
    steps = json.loads((out / "report.json").read_text())["steps"]
    fit = next(s for s in steps if s["step"] == "fit_profile")
    assert fit["base_from_synthetic"] == "smartwatch-wrist"


def test_the_two_sample_test_needs_windows_enough_to_mean_something(data):
    """From 2 real windows the classifiers' AUC reads 0.1 or 1.0 by chance alone (a fresh user's 2-s
    capture was told its calibration took the AUC from 0.65 to 0.15): under MIN_TWO_SAMPLE_WINDOWS a side, the
    test is skipped and says why; at it, it runs."""
    from imuforge.calibrate.fidelity import MIN_TWO_SAMPLE_WINDOWS, classifier_two_sample_test

    rec = read_dataset(data[0] / "real")[0]
    syn = read_dataset(data[0] / "syn")
    channels = list(rec.channels)
    for seconds, runs in ((2.0 * MIN_TWO_SAMPLE_WINDOWS - 2.0, False), (2.0 * MIN_TWO_SAMPLE_WINDOWS, True)):
        short = rec.crop(rec.timestamps[0], rec.timestamps[0] + seconds + 0.01)
        got = classifier_two_sample_test(syn, [short], channels, rec.rate_hz)
        assert ("skipped" not in got) == runs, got
        if not runs:
            assert got["skipped"].startswith("too few 2-s windows") and got["windows"]["real"] < 10
