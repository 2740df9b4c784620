"""The sim-to-real protocol on a user's own multi-person data, command by command as docs/TRAINING.md ("On your
own data") gives it: import a public data set, cut one person's first seconds of each activity as the capture
and the other people as the test, calibrate synthetic people on the capture, train, evaluate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.recording import read_dataset
from tests.datasets.test_importers import _har_signal, _har_split


@pytest.mark.slow
def test_the_protocol_runs_on_an_imported_multi_person_data_set(tmp_path, capsys):
    rng = np.random.default_rng(3)
    root = tmp_path / "UCI HAR Dataset"
    pieces = [(s, a, _har_signal(rng, 128 + 64 * 15)) for s in (1, 2, 3) for a in (1, 4, 5)]  # 20.5 s each
    _har_split(root, "train", pieces[:6])
    _har_split(root, "test", pieces[6:])
    run = lambda *argv: main([str(a) for a in argv])  # noqa: E731
    assert run("import", "uci-har", root, "--out", tmp_path / "har") == 0
    assert run("dataset", "select", tmp_path / "har", "--subjects", "uci01", "--first-seconds", 10,
               "--out", tmp_path / "capture") == 0
    assert run("dataset", "select", tmp_path / "har", "--exclude-subjects", "uci01", "--out", tmp_path / "test") == 0
    cap, test = read_dataset(tmp_path / "capture").summary(), read_dataset(tmp_path / "test").summary()
    assert cap["subjects"] == ["uci01"] and test["subjects"] == ["uci02", "uci03"]
    assert cap["duration_per_label_s"] == {k: pytest.approx(10.0) for k in ("sitting", "standing", "walking")}
    for activity in ("walking", "sitting", "standing"):
        assert run("motion", activity, "--n", 2, "--seconds", 12, "--seed", 1, "--profile", "smartphone-waist",
                   "--out", tmp_path / "syn" / activity) == 0
    assert run("calibrate", "--synthetic", tmp_path / "syn", "--real", tmp_path / "capture", "--out", tmp_path / "cal",
               "--align", "--map", "per-class") == 0
    capsys.readouterr()
    assert run("train", "--data", tmp_path / "cal" / "dataset", "--epochs", 1, "--width", 8,
               "--out", tmp_path / "run_b") == 0  # (b): validated on the capture calibration used
    assert "validating on the capture the data were calibrated with" in capsys.readouterr().err
    run_b = json.loads((tmp_path / "run_b" / "data.json").read_text())
    assert run_b["validation_groups"] == ["subject:uci01"]
    assert run("train", "--data", tmp_path / "cal" / "dataset", "--real", tmp_path / "capture", "--epochs", 1,
               "--width", 8, "--out", tmp_path / "run_e") == 0
    capsys.readouterr()
    assert run("eval", tmp_path / "run_e", "--data", tmp_path / "test", "--json") == 0
    m = json.loads(capsys.readouterr().out)
    assert sorted(m["per_class"]) == ["sitting", "standing", "walking"] and 0.0 <= m["macro_f1"] <= 1.0
    assert not m["unknown_labels"]
