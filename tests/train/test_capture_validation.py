"""A run on calibrated synthetic data validates on the capture it was calibrated with, unless told otherwise
(imuforge.train.capture; `imuforge train --val auto`, the default)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from imuforge.recording import Dataset, read_dataset
from imuforge.train.capture import capture_validation
from tests.synthetic_har import make_dataset, make_recording


COMMON = ["--window-s", "1.28", "--stride-s", "0.64", "--rate", "25", "--epochs", "1", "--width", "8",
          "--batch-size", "16"]


def _calibrated(tmp_path, capture, *, resolved=True, name="cal"):
    """Synthetic people in a Dataset whose metadata name ``capture`` as calibration does (the path as the
    user gave it, relative here, and made absolute)."""
    ds = make_dataset(tmp_path / name, subjects=("p1", "p2"), seconds_per_label=6.0, seed=70)
    given = os.path.relpath(capture, os.getcwd())
    cal = {"real": [given], "synthetic": ["syn"], "steps": ["align"]}
    if resolved:
        cal["real_resolved"] = [str(capture.resolve())]
    ds.update_meta(calibration=cal)
    return ds.path


def test_the_capture_validates_a_run_on_data_calibrated_with_it(tmp_path):
    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=71).path
    cal = _calibrated(tmp_path, capture)
    got = capture_validation([cal])
    assert [os.path.realpath(p) for p in got.paths] == [os.path.realpath(capture)]
    assert "validating on the capture" in got.note and "--val none" in got.note


def test_the_capture_is_found_from_another_working_directory(tmp_path, monkeypatch):
    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=71).path
    cal = _calibrated(tmp_path, capture)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the relative path recorded no longer points at it; the absolute one does
    assert [os.path.realpath(p) for p in capture_validation([cal]).paths] == [os.path.realpath(capture)]


def test_one_folder_a_dataset_or_both_and_a_capture_named_two_ways(tmp_path, monkeypatch):
    from imuforge.recording import read_dataset

    monkeypatch.chdir(tmp_path)
    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=71).path
    cal = _calibrated(tmp_path, capture)
    old = _calibrated(tmp_path, capture, resolved=False, name="old")  # the path as given: "capture"
    for data in (str(cal), cal, read_dataset(cal), [read_dataset(cal), str(old)]):
        got = capture_validation(data)
        assert [os.path.realpath(p) for p in got.paths] == [os.path.realpath(capture)], data


def test_data_not_calibrated_get_nothing_and_no_note(tmp_path):
    data = make_dataset(tmp_path / "syn", subjects=("p1", "p2"), seconds_per_label=6.0, seed=72).path
    got = capture_validation([data])
    assert got.paths == [] and got.note == ""


def test_a_dataset_calibrated_before_the_absolute_path_was_recorded_finds_it_from_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=71).path
    cal = _calibrated(tmp_path, capture, resolved=False)  # meta.calibration.real only: "capture"
    got = capture_validation([cal])
    assert got.paths == [str(capture.absolute())] and str(capture.absolute()) in got.note  # shown absolute


def test_an_unlabelled_capture_cannot_validate(tmp_path):
    capture = tmp_path / "capture"
    rec = make_recording("me", 50.0, 6.0, seed=76)
    Dataset.create(capture).add(rec.replace(labels=[]), name="me")
    got = capture_validation([_calibrated(tmp_path, capture)])
    assert got.paths == [] and "holds no labels" in got.note


@pytest.mark.parametrize("case", ["real_trains", "moved", "in_data"])
def test_the_capture_is_left_out_with_the_reason(tmp_path, case):
    capture = tmp_path / "capture"
    make_dataset(capture, subjects=("me",), seconds_per_label=6.0, seed=73)
    cal = _calibrated(tmp_path, capture)
    data, real = [cal], []
    if case == "real_trains":
        real = [capture]
    elif case == "moved":
        shutil.move(capture, tmp_path / "put_away")
    elif case == "in_data":
        data.append(capture)
    got = capture_validation(data, real)
    assert got.paths == []
    want = {"real_trains": "with --real training too", "moved": "is not at",
            "in_data": "also in --data"}[case]
    assert want in got.note and "validation" in got.note


def test_an_activity_no_synthetic_recording_has_is_left_out_of_the_capture_not_the_capture(tmp_path):
    """The capture shows cycling, which the synthetic data lack: it still validates, on its other labels (the
    run keeps the data's labels), and the note says so."""
    capture = tmp_path / "capture"
    Dataset.create(capture).add(make_recording("me", 50.0, 6.0, seed=73, labels=("walking", "cycling")),
                                name="me")
    cal = _calibrated(tmp_path, capture)
    got = capture_validation([cal])
    assert [os.path.realpath(p) for p in got.paths] == [os.path.realpath(capture)]
    # the synthetic data hold no cycling at all: "none of", not "too little of" (session 51's wording)
    assert "its cycling windows are left out: the --data recordings hold none of that label" in got.note
    from imuforge.recording import read_dataset

    held = {lab for e in read_dataset(cal).entries for lab in e["labels_s"]}
    assert got.labels == sorted(held) and "cycling" not in got.labels


def test_labels_kept_decide_whether_an_extra_activity_matters(tmp_path):
    capture = tmp_path / "capture"
    Dataset.create(capture).add(make_recording("me", 50.0, 6.0, seed=74, labels=("walking", "cycling")),
                                name="me")
    cal = _calibrated(tmp_path, capture)
    assert capture_validation([cal], labels=["walking", "standing"]).paths  # cycling is dropped anyway
    left = capture_validation([cal], labels=["running", "standing"])  # none of the capture's labels kept
    assert left.paths == [] and "none of the labels kept" in left.note
    # --labels naming none of the data's labels (a typo) is the trainer's refusal alone, not a note first
    typo = capture_validation([cal], labels=["walkng"])
    assert typo.paths == [] and not typo.note


@pytest.mark.slow
def test_imuforge_train_validates_on_the_capture_by_default(tmp_path, capsys):
    from imuforge.cli import main

    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=75).path
    cal = _calibrated(tmp_path, capture)
    common = ["--window-s", "1.28", "--stride-s", "0.64", "--rate", "25", "--epochs", "1", "--width", "8",
              "--batch-size", "16"]
    capsys.readouterr()
    assert main(["train", "--data", str(cal), *common, "--out", str(tmp_path / "run")]) == 0
    assert "validating on the capture" in capsys.readouterr().err
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    assert d["validation_split"].startswith("--val")
    assert d["validation_groups"] == ["subject:me"]  # the capture's wearer, not a synthetic person
    assert main(["train", "--data", str(cal), "--val", "none", *common, "--out", str(tmp_path / "held")]) == 0
    assert "validating on the capture" not in capsys.readouterr().err
    d = json.loads((tmp_path / "held" / "data.json").read_text())
    assert not d["validation_split"].startswith("--val") and "subject:me" not in d["validation_groups"]


def test_a_validation_set_of_a_few_windows_is_said_to_be_one(tmp_path, capsys):
    """Early stopping on a handful of windows picks its epoch by chance: a --val of 2 s per label (2–3 windows
    a class at 1.28 s / 0.64 s) gets a note naming each class under 5; one of 6 s per label does not."""
    from imuforge.cli import main

    data = make_dataset(tmp_path / "data", subjects=("p1", "p2"), seconds_per_label=6.0, seed=80).path
    for name, seconds, noted in (("small", 2.0, True), ("enough", 6.0, False)):
        val = make_dataset(tmp_path / name, subjects=("me",), seconds_per_label=seconds, seed=81).path
        capsys.readouterr()
        assert main(["train", "--data", str(data), "--val", str(val), *COMMON,
                     "--out", str(tmp_path / f"run_{name}")]) == 0
        err = capsys.readouterr().err
        d = json.loads((tmp_path / f"run_{name}" / "data.json").read_text())
        few = {lab: n for lab, n in d["windows"]["validation"].items() if n < 5}
        assert bool(few) is noted, d["windows"]["validation"]
        said = ("note: validation windows per class: " + ", ".join(f"{lab} {n}" for lab, n in sorted(few.items()))
                + " — the epoch kept (early stopping) is chosen by very few windows; validate on a longer --val "
                "capture")
        assert (said in err) is noted, err
        assert any(n.startswith("validation windows per class") for n in d["notes"]) is noted


@pytest.mark.slow
def test_a_capture_the_trainer_cannot_validate_on_falls_back_with_a_note(tmp_path, capsys):
    """The labels and their seconds say the capture fits, but with --label-policy pure none of its 0.6-s
    stretches makes a window: the run still trains, as with --val none, and says why (the user never named a
    --val that could be refused) — once, not after a note that it validates."""
    from imuforge.cli import main

    capture = tmp_path / "capture"
    Dataset.create(capture).add(make_recording("me", 25.0, 0.6, seed=77, labels=("walking", "running",
                                                                                "standing") * 3), name="me")
    cal = _calibrated(tmp_path, capture)
    capsys.readouterr()
    rc = main(["train", "--data", str(cal), "--label-policy", "pure", *COMMON, "--out",
               str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 0 and "cannot validate this run (data hold no window" in err and "Traceback" not in err
    assert "validating on the capture" not in err
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    assert not d["validation_split"].startswith("--val")


def test_a_capture_shorter_than_a_window_is_left_out_before_training(tmp_path):
    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=0.5, seed=77).path
    got = capture_validation([_calibrated(tmp_path, capture)], min_seconds=0.64)
    assert got.paths == [] and "holds less than 0.64 s (what a window needs) of each label" in got.note
    # no window given: not judged
    assert capture_validation([_calibrated(tmp_path, capture, name="c2")]).paths


def test_a_bad_option_is_not_taken_for_a_capture_that_cannot_validate(tmp_path, capsys):
    """--val-fraction's refusal starts with "--val" too: it is the user's error, said once, not a
    fall-back."""
    from imuforge.cli import main

    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=78).path
    cal = _calibrated(tmp_path, capture)
    capsys.readouterr()
    rc = main(["train", "--data", str(cal), "--val-fraction", "1.5", "--epochs", "1",
               "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "--val-fraction must be in (0, 1)" in err and "cannot validate" not in err
    assert not (tmp_path / "r").exists()
    # a flag out of range is the one line said, not after a note on which data would have validated
    rc = main(["train", "--data", str(cal), "--epochs", "0", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "--epochs = 0 is out of range" in err, err


@pytest.mark.slow
def test_train_says_once_which_data_validated_and_over_which_labels(tmp_path, capsys):
    """A capture with an activity the data lack validates on its others, and the figures say over how many
    labels; a capture too short for a window is said once, as the fallback, not first as validating."""
    from imuforge.cli import main

    capture = tmp_path / "capture"
    Dataset.create(capture).add(make_recording("me", 25.0, 6.0, seed=77, labels=("walking", "cycling")),
                                name="me")
    assert main(["train", "--data", str(_calibrated(tmp_path, capture)), *COMMON, "--out",
                 str(tmp_path / "run")]) == 0
    out, err = capsys.readouterr()
    assert "its cycling windows are left out" in err
    assert "macro-F1" in out and "(validation holds 1 of 3 labels)" in out  # walking of 3
    assert json.loads((tmp_path / "run" / "data.json").read_text())["validation_split"].startswith("--val")
    short = tmp_path / "short"
    Dataset.create(short).add(make_recording("me", 25.0, 1.0, seed=78, labels=("walking",)), name="me")  # 1 s
    assert main(["train", "--data", str(_calibrated(tmp_path, short, name="cal2")), *COMMON, "--out",
                 str(tmp_path / "run2")]) == 0
    err = capsys.readouterr().err
    assert "cannot validate this run" in err and "validating on the capture" not in err


@pytest.mark.slow
def test_a_fine_tune_without_some_of_the_models_labels_is_warned_about(tmp_path, capsys):
    from imuforge.cli import main

    data = make_dataset(tmp_path / "syn", subjects=("p1", "p2"), seconds_per_label=6.0, seed=79).path
    assert main(["train", "--data", str(data), *COMMON, "--out", str(tmp_path / "pre")]) == 0
    one = tmp_path / "one"
    Dataset.create(one).add(make_recording("me", 25.0, 12.0, seed=80, labels=("standing",)), name="me")
    capsys.readouterr()
    assert main(["train", "--real", str(one), "--init", str(tmp_path / "pre"), *COMMON, "--out",
                 str(tmp_path / "tuned")]) == 0
    out, err = capsys.readouterr()
    assert "warning: no training window of running, walking: tuning the --init model without them" in err
    assert "(validation holds 1 of 3 labels)" in out


@pytest.mark.slow
def test_a_label_the_data_hold_too_briefly_does_not_stop_the_run(tmp_path, capsys):
    """The data hold half a second of cycling (no window) and the capture an activity they lack: the run keeps
    the data's labels that make windows, and trains (before: '--labels cycling: no window', a flag the user
    never gave)."""
    from imuforge.cli import main

    capture = tmp_path / "capture"
    Dataset.create(capture).add(make_recording("me", 25.0, 6.0, seed=83, labels=("walking", "running",
                                                                                 "standing", "cycling")),
                                name="me")
    cal = _calibrated(tmp_path, capture)  # p1, p2: walking, running, standing
    read_dataset(cal).add(make_recording("p3", 25.0, 0.5, seed=82, labels=("cycling",)), name="p3")
    got = capture_validation([cal], min_seconds=0.64)
    assert got.labels == ["running", "standing", "walking"]
    assert main(["train", "--data", str(cal), *COMMON, "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "validating on the capture" in err and "--labels" not in err


def test_labels_the_data_hold_too_briefly_are_not_called_missing(tmp_path):
    """A window longer than the data's stretches: the capture's labels are in --data, only too short there —
    the note says that, not that no --data recording has them."""
    capture = make_dataset(tmp_path / "capture", subjects=("me",), seconds_per_label=6.0, seed=78).path
    cal = _calibrated(tmp_path, capture)
    got = capture_validation([cal], min_seconds=250.0)
    assert got.paths == [] and "no --data recording has" not in got.note
    assert "which the --data recordings hold for less than 250 s (what a window needs)" in got.note
    cycling = tmp_path / "cycling"
    Dataset.create(cycling).add(make_recording("me", 50.0, 6.0, seed=79, labels=("cycling",)), name="me")
    got = capture_validation([_calibrated(tmp_path, cycling, name="cal2")], min_seconds=1.0)
    assert "holds cycling, which no --data recording has" in got.note


def test_a_refused_run_says_one_line_not_the_validation_note_first(tmp_path, capsys):
    """Data calibrated with a capture, trained with --real recordings too short for a window: the refusal is
    the one line said (the note on why the capture does not validate came first, a fresh user's two lines)."""
    from imuforge.cli import main

    capture = tmp_path / "capture"
    make_dataset(capture, subjects=("me",), seconds_per_label=6.0, seed=73)
    cal = _calibrated(tmp_path, capture)
    short = Dataset.create(tmp_path / "short")
    short.add(make_recording("me", 50.0, 1.0, seed=75), name="me")
    rc = main(["train", "--data", str(cal), "--real", str(short.path), "--epochs", "1",
               "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--real data hold no window" in err[0], err
    assert not (tmp_path / "run").exists()
