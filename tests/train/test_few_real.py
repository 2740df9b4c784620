"""Training for the few-real-data case: one subject trains (time-split validation), on-the-fly
augmentation, and fine-tuning an earlier run (--init)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imuforge.datasets.windowing import make_windows, time_split
from imuforge.errors import ValidationError
from tests.synthetic_har import make_dataset, make_recording

COMMON = dict(window_s=1.28, stride_s=0.64, rate_hz=25.0, batch_size=16, model_kwargs={"width": 8})


def test_time_split_holds_out_the_last_stretch_and_purges_overlaps():
    rec = make_recording("solo", seconds_per_label=10.0)
    w = make_windows(rec, window_s=1.28, stride_s=0.32, rate_hz=25.0)
    tr, va = time_split(w, 0.2)
    assert not (tr & va).any() and va.any() and tr.any()
    for lab in np.unique(w.labels):
        m = w.labels == lab
        # validation windows are the latest of their label; no training window overlaps them in time
        assert w.starts_s[m & va].min() > w.starts_s[m & tr].max()
    for s in w.starts_s[tr]:
        assert np.all((s + w.window_s <= w.starts_s[va]) | (s >= w.starts_s[va] + w.window_s))
    assert (~tr & ~va).sum() > 0  # overlapping windows were left out, not leaked


def test_time_split_needs_start_times():
    w = make_windows(make_recording("solo"), window_s=1.28, stride_s=0.64, rate_hz=25.0)
    w.starts_s = None
    with pytest.raises(ValidationError):
        time_split(w)


@pytest.mark.slow
def test_one_real_subject_trains_and_says_how_it_validated(tmp_path, synth_dir, capsys):
    from imuforge.cli import main

    make_dataset(tmp_path / "me", subjects=("me",), seconds_per_label=12.0, seed=40)
    rc = main(["train", "--real", str(tmp_path / "me"), "--window-s", "1.28", "--stride-s", "0.64", "--rate", "25",
               "--epochs", "3", "--width", "8", "--batch-size", "16", "--out", str(tmp_path / "run")])
    assert rc == 0
    out, err = capsys.readouterr()
    assert "validation split by time" in err
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    assert d["validation_split"].startswith("time")
    assert d["real_windows"]["validation"] > 0 and d["windows_left_out_overlapping_validation"] > 0
    # the console adds up: train + validation + the windows the held-out stretches leave out
    apart = d["windows_left_out_overlapping_validation"]
    assert (f"{d['real_windows']['train']} train / {d['real_windows']['validation']} validation windows, "
            f"{apart} left out (they overlap the validation stretches)") in out
    assert d["train_wall_s"] > 0 and "seconds" not in d  # the training's time, not read as a data length
    # synthetic people + the one real person: validation still comes from the real person
    rc = main(["train", "--data", str(synth_dir), "--real", str(tmp_path / "me"), "--window-s", "1.28",
               "--stride-s", "0.64", "--rate", "25", "--epochs", "2", "--width", "8", "--out", str(tmp_path / "mix")])
    assert rc == 0
    d = json.loads((tmp_path / "mix" / "data.json").read_text())
    assert d["validation_groups"] == ["subject:me"] and d["real_windows"]["train"] > 0


@pytest.mark.parametrize("n,batch,passes", [(18, 64, 57), (140, 64, 8), (1024, 64, 1), (5000, 64, 1),
                                            (100, 16, 3), (1, 64, 1024)])
def test_a_small_training_set_is_cycled_to_sixteen_steps_an_epoch(n, batch, passes):
    from imuforge.train.trainer import MIN_STEPS_PER_EPOCH, epoch_passes

    assert MIN_STEPS_PER_EPOCH == 16
    assert epoch_passes(n, batch) == passes
    assert n * passes >= 16 * batch and (passes == 1 or n * (passes - 1) < 16 * batch)  # the fewest that do


def test_classes_each_from_one_wearer_are_noted_and_val_is_suggested_only_without_it():
    from imuforge.train.trainer import wearer_class_notes

    labels = np.array(["walking", "walking", "stairs_up"], dtype=object)
    groups = np.array(["subject:A", "subject:A", "subject:B"], dtype=object)
    (note,) = wearer_class_notes(labels, groups)
    assert note.startswith("each class of the real data comes from one wearer only "
                           "(stairs_up: B; walking: A)")
    assert note.endswith("validate on other people with --val")
    (note,) = wearer_class_notes(labels, groups, has_val=True)
    assert "--val" not in note
    assert wearer_class_notes(labels, np.array(["subject:A"] * 3, dtype=object)) == []  # one wearer



def test_real_data_at_a_body_site_the_synthetic_data_never_wear_is_noted():
    from imuforge.train.trainer import placement_notes

    def summaries(data, real, val=()):
        return [{"role": "data", "placements": list(data)}, {"role": "real", "placements": list(real)},
                {"role": "validation", "placements": list(val)}]

    (note,) = placement_notes(summaries(["wrist_left", "wrist_right"], ["pocket_right_thigh"]))
    assert note.startswith("the real data are worn at pocket_right_thigh, which no --data recording is "
                           "(those are at wrist_left, wrist_right)")
    (note,) = placement_notes(summaries(["wrist_left"], [], val=["waist_front", "wrist_left"]))
    assert "worn at waist_front, which" in note and "wrist_left," not in note.split("(")[0]
    # the other side of the same site, or a site among several, or an unnamed placement: nothing to say
    assert placement_notes(summaries(["pocket_left_thigh"], ["pocket_right_thigh"])) == []
    assert placement_notes(summaries(["wrist_left", "chest"], ["chest"])) == []
    assert placement_notes(summaries([], ["chest"])) == []
    assert placement_notes(summaries(["chest"], [])) == []


def test_a_training_rate_above_the_data_rates_is_noted():
    from imuforge.train.trainer import rate_notes

    (note,) = rate_notes([{"rates_hz": [50.0]}, {"rates_hz": [49.8, 50.0]}], 500.0)
    assert note.startswith("the data were recorded at 49.8, 50 Hz and are upsampled to --rate 500 Hz: "
                           "nothing above 25 Hz is in them")
    assert rate_notes([{"rates_hz": [100.0]}], 50.0) == [] and rate_notes([{"rates_hz": [50.0]}], 50.0) == []
    assert rate_notes([{"rates_hz": []}], 50.0) == []


def test_labels_only_the_real_data_train_are_noted():
    """A capture's transitions beside synthetic people who make none: the model learns them from one person's
    few windows (a fresh user's ten classes, four of them so, said nothing)."""
    from imuforge.train.trainer import real_only_notes

    labels = np.array(["walking", "standing", "walking", "standing", "sit_to_lie", "sit_to_lie",
                       "lie_to_sit"])
    groups = np.array(["subject:syn1", "subject:syn2", "subject:me", "subject:me", "subject:me", "subject:me",
                       "subject:me"], dtype=object)
    real = np.array([False, False, True, True, True, True, True])
    (note,) = real_only_notes(labels, groups, real, real)
    assert note.startswith("lie_to_sit, sit_to_lie: only in --real (3 training windows of 1 person), none in "
                           "--data — the model learns them from those alone (--labels to leave them out")
    assert real_only_notes(labels, groups, real, real & (labels != "lie_to_sit"))[0].startswith(
        "sit_to_lie: only in --real (2 training windows")  # the validation windows do not train
    assert real_only_notes(labels, groups, np.ones(7, bool), np.ones(7, bool)) == []  # --real alone
    assert real_only_notes(labels[:4], groups[:4], real[:4], real[:4]) == []  # both sides hold every label


def test_a_person_in_both_data_and_real_is_noted():
    from imuforge.train.trainer import shared_subject_notes

    groups = np.array(["subject:uci01", "subject:uci02", "recording:x", "subject:uci01", "recording:x"],
                      dtype=object)
    (note,) = shared_subject_notes(groups, np.array([False, False, False, True, True]))
    assert note.startswith("subject(s) uci01 are in --data and in --real/--val")  # not the id-less recording
    assert shared_subject_notes(groups, np.array([False, False, False, False, False])) == []
    assert shared_subject_notes(np.array(["subject:synthetic-000", "subject:me"], dtype=object),
                                np.array([False, True])) == []

def test_data_whose_people_do_not_share_labels_trains_every_label(tmp_path, capsys):
    """--data of one recording per activity, each its own subject (`imuforge motion` per activity): the
    subject-wise split had put a whole class into validation and trained without it, with no warning (a
    fresh user's run, session 63); each recording holds out the last stretch of each label instead."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "per_activity")
    for k, label in enumerate(("walking", "running", "standing")):
        ds.add(make_recording(f"p{k}", 25.0, 12.0, seed=k, labels=(label,)), name=label)
    rc = main(["train", "--data", str(tmp_path / "per_activity"), "--window-s", "1.28", "--stride-s", "0.64",
               "--rate", "25", "--epochs", "1", "--width", "8", "--batch-size", "16", "--val", "none",
               "--out", str(tmp_path / "run")])
    assert rc == 0, capsys.readouterr().err
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    kind = d["validation_split"]
    assert kind.startswith("time") and "subject-wise splits tried trains" in kind
    assert all(n > 0 for n in d["windows"]["train"].values()) and len(d["windows"]["train"]) == 3


def test_a_val_fraction_that_the_val_data_override_is_said(tmp_path, capsys):
    """--val-fraction holds out a share of the training data; with --val data it is not used, and said (it
    was ignored without a word, as --balance is not)."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    for name, seed in (("train", 0), ("val", 10)):
        ds = Dataset.create(tmp_path / name)
        for k, label in enumerate(("walking", "standing")):
            ds.add(make_recording(f"{name}{k}", 25.0, 8.0, seed=seed + k, labels=(label,)), name=label)
    rc = main(["train", "--data", str(tmp_path / "train"), "--val", str(tmp_path / "val"),
               "--val-fraction", "0.4", "--window-s", "1.28", "--stride-s", "0.64", "--rate", "25",
               "--epochs", "1", "--width", "8", "--out", str(tmp_path / "run"), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "note: --val-fraction 0.4 is not used: it holds out a share of the training data" in err
    # --json: the summary as one object on stdout, the notes in it too
    doc = json.loads(out)
    assert doc["run"] == str(tmp_path / "run") and sorted(doc["labels"]) == ["standing", "walking"]
    assert doc["validation"]["split"] == "--val" and 0.0 <= doc["validation"]["macro_f1"] <= 1.0
    assert doc["kept_epoch"] in (0, 1) and doc["epochs_run"] == 1 and doc["windows"]["train"] > 0
    assert any(n.startswith("note: --val-fraction 0.4 is not used") for n in doc["notes"])
    assert doc["warnings"] == [] and "warning:" not in err  # as stderr has them (eval's test: one warned)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert doc["validation"]["accuracy"] == metrics["accuracy"]
    # a share given to --val: refused naming --val-fraction, before training (it said "no folder 0.3")
    rc = main(["train", "--data", str(tmp_path / "train"), "--val", "0.3", "--out", str(tmp_path / "r2")])
    err = capsys.readouterr().err
    assert rc == 2 and "--val 0.3: --val takes Dataset folders" in err and "--val-fraction 0.3" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r2").exists()


def test_labels_that_keep_one_label_are_said_to_be_the_reason(tmp_path, capsys):
    """The data hold three labels and --labels keeps one: the refusal says --labels narrowed them (it said the
    data hold only one label)."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "three")
    for k, label in enumerate(("walking", "running", "standing")):
        ds.add(make_recording(f"p{k}", 25.0, 8.0, seed=k, labels=(label,)), name=label)
    rc = main(["train", "--data", str(tmp_path / "three"), "--labels", "walking", "--rate", "25",
               "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and "the data hold only one label of those --labels keeps (walking)" in err
    assert "(allowed: data of two labels or more, or more of them in --labels)" in err


@pytest.mark.slow
def test_real_subjects_that_do_not_share_labels_each_hold_out_a_stretch(tmp_path, capsys):
    """One person walked and ran, another stood: every subject-wise split leaves a label out of training
    (the one person's), so each recording holds out the last stretch of each label instead, and says so."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "two")
    ds.add(make_recording("walker", 25.0, 12.0, seed=1, labels=("walking", "running")), name="walker")
    ds.add(make_recording("stander", 25.0, 12.0, seed=2, labels=("standing",)), name="stander")
    rc = main(["train", "--real", str(tmp_path / "two"), "--window-s", "1.28", "--stride-s", "0.64",
               "--rate", "25", "--epochs", "2", "--width", "8", "--batch-size", "16",
               "--out", str(tmp_path / "run")])
    assert rc == 0
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    kind = d["validation_split"]
    assert kind.startswith("time") and "subject-wise splits tried trains standing" in kind
    assert all(n > 0 for n in d["windows"]["train"].values()) and d["windows"]["train"].keys() == {
        "walking", "running", "standing"}
    assert all(n > 0 for n in d["windows"]["validation"].values())
    err = capsys.readouterr().err
    assert "subject-wise splits tried trains standing" in err
    # and the user is told that the classes and the people cannot be told apart
    assert ("note: each class of the real data comes from one wearer only (running, walking: walker; "
            "standing: stander)") in err
    n = sum(d["windows"]["train"].values())  # a few dozen windows: each epoch goes through them several times
    assert f"note: {n} training windows: each epoch goes through them {-(-16 * 16 // n)} times" in err


@pytest.mark.slow
@pytest.mark.parametrize("stream", ["off", "on"])
def test_val_data_only_validate(tmp_path, synth_dir, capsys, stream):
    """--val: the capture validates (early stopping, the validation figures) and is never trained on, in
    memory and streamed; the held-out windows are exactly the capture's."""
    from imuforge.cli import main
    from imuforge.datasets.windowing import make_windows
    from imuforge.recording import read_dataset

    make_dataset(tmp_path / "me", subjects=("me",), seconds_per_label=6.0, seed=60)
    rc = main(["train", "--data", str(synth_dir), "--val", str(tmp_path / "me"), "--window-s", "1.28",
               "--stride-s", "0.64", "--rate", "25", "--epochs", "2", "--width", "8", "--batch-size", "16",
               "--stream", stream, "--out", str(tmp_path / "run")])
    assert rc == 0
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    assert d["validation_split"].startswith("--val (")
    assert d["validation_groups"] == ["subject:me"] and d["real_windows"]["train"] == 0
    assert [x["role"] for x in d["datasets"]] == ["data", "data", "validation"]
    want = make_windows(list(read_dataset(tmp_path / "me").recordings()), window_s=1.28, stride_s=0.64,
                        rate_hz=25.0)
    held = np.load(tmp_path / "run" / "heldout.npz")
    assert held["X"].shape == want.X.shape and sorted(held["labels"]) == sorted(want.labels.astype(str))
    assert sum(d["windows"]["validation"].values()) == len(want)
    assert "note: validation split" not in capsys.readouterr().err  # nothing to explain: the user chose it
    # --val alone trains nothing: one line, exit 2, no run folder
    rc = main(["train", "--val", str(tmp_path / "me"), "--out", str(tmp_path / "none")])
    assert rc == 2 and not (tmp_path / "none").exists()


@pytest.mark.parametrize("case", ["also_trains", "label_only_in_val", "no_val_window"])
def test_val_data_that_cannot_validate_are_refused(tmp_path, synth_dir, capsys, case):
    """A --val folder that also trains, holds a label nothing trains, or yields no window: one line naming
    it, exit 2, no run folder."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    val, data = tmp_path / "val", [str(synth_dir)]
    if case == "also_trains":
        make_dataset(val, subjects=("me",), seconds_per_label=6.0, seed=60)
        data.append(str(val))
    elif case == "label_only_in_val":
        rec = make_recording("me", 25.0, 6.0, seed=61, labels=("walking", "cycling"))
        Dataset.create(val).add(rec, name="me")
    else:  # recordings shorter than a window
        make_dataset(val, subjects=("me",), seconds_per_label=0.5, seed=62)
    capsys.readouterr()
    rc = main(["train", "--data", ",".join(data), "--val", str(val), "--window-s", "1.28", "--stride-s",
               "0.64", "--rate", "25", "--epochs", "1", "--width", "8", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "run").exists()
    assert "--val" in err and "Traceback" not in err
    want = {"also_trains": "also in --data", "label_only_in_val": "cycling",
            "no_val_window": "no window"}[case]
    assert want in err


@pytest.mark.slow
def test_augmented_training_is_seeded_and_differs_from_plain(tmp_path, synth_dir):
    from imuforge.train import TrainConfig, train
    from imuforge.train.augment import Augmentation

    aug = Augmentation.parse("rotation:30,scale,jitter,time_warp,magnitude_warp").to_json()
    a = train(TrainConfig(data=[str(synth_dir)], epochs=2, seed=3, augment=aug, **COMMON), tmp_path / "a")
    b = train(TrainConfig(data=[str(synth_dir)], epochs=2, seed=3, augment=aug, **COMMON), tmp_path / "b")
    c = train(TrainConfig(data=[str(synth_dir)], epochs=2, seed=3, **COMMON), tmp_path / "c")
    wa, wb, wc = (r.keras_model().get_weights() for r in (a, b, c))
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb))
    assert not all(np.array_equal(x, y) for x, y in zip(wa, wc))
    assert a.config["augment"] == aug


@pytest.mark.slow
def test_init_fine_tunes_the_earlier_model_with_its_labels_and_normalisation(tmp_path, tiny_run):
    from imuforge.cli import main
    from imuforge.train import load_run

    make_dataset(tmp_path / "me", subjects=("me",), seconds_per_label=12.0, seed=50)
    base = load_run(tiny_run)
    rc = main(["train", "--real", str(tmp_path / "me"), "--init", str(tiny_run), "--epochs", "2",
               "--out", str(tmp_path / "ft")])
    assert rc == 0
    ft = load_run(tmp_path / "ft")
    assert ft.labels == base.labels and ft.window_s == base.window_s and ft.channels == base.channels
    assert np.array_equal(ft.mean, base.mean) and np.array_equal(ft.std, base.std)
    assert ft.config["learning_rate"] == 5e-4
    before, after = base.keras_model().get_weights(), ft.keras_model().get_weights()
    assert [x.shape for x in before] == [x.shape for x in after]
    assert not all(np.array_equal(x, y) for x, y in zip(before, after))
    assert ft.config["model"] == base.config["model"]
    assert ft.config["model_kwargs"] == base.config["model_kwargs"]
    # a layout that differs from the init run is refused with the init run's values
    rc = main(["train", "--real", str(tmp_path / "me"), "--init", str(tiny_run), "--rate", "50",
               "--out", str(tmp_path / "bad")])
    assert rc == 2 and not (tmp_path / "bad").exists()
    # so is another network: the run would have named one it did not train (its own may be repeated)
    width = base.config["model_kwargs"].get("width", 16)
    for extra in (["--model", "ds_cnn"], ["--width", str(width + 8)]):
        rc = main(["train", "--real", str(tmp_path / "me"), "--init", str(tiny_run), *extra,
                   "--out", str(tmp_path / "bad")])
        assert rc == 2 and not (tmp_path / "bad").exists()


@pytest.mark.slow
def test_init_refuses_labels_the_model_lacks(tmp_path, tiny_run, capsys):
    from imuforge.cli import main
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "cyc")
    ds.add(make_recording("me", labels=("cycling", "walking")), name="me")
    rc = main(["train", "--real", str(tmp_path / "cyc"), "--init", str(tiny_run), "--out", str(tmp_path / "x")])
    assert rc == 2 and "cycling" in capsys.readouterr().err


def test_init_refuses_to_tune_in_place(tmp_path, tiny_run, synth_dir, capsys):
    """--init RUN --out RUN --overwrite had fine-tuned in place: the pre-trained model gone, config.json's
    init naming itself (a fresh user's run)."""
    from imuforge.cli import main

    before = {p.name: p.stat().st_mtime_ns for p in tiny_run.iterdir()}
    rc = main(["train", "--real", str(synth_dir), "--init", str(tiny_run), "--out", str(tiny_run / ".." / "tiny"),
               "--overwrite"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "is the --init run: a fine-tune writes a run of its own" in err and len(err.splitlines()) == 1
    assert {p.name: p.stat().st_mtime_ns for p in tiny_run.iterdir()} == before


@pytest.mark.slow
def test_plain_capture_folder_without_subjects_trains_as_one_wearer(tmp_path, capsys):
    """What `imuforge capture --label …` writes (a plain folder, no --subject) is `train --real`'s input."""
    from imuforge.cli import main

    cap = tmp_path / "captures"
    cap.mkdir()
    for i, lab in enumerate(("walking", "standing", "running")):
        rec = make_recording("x", seconds_per_label=12.0, seed=60 + i, labels=(lab,))
        rec.replace(subject=None).save(cap / f"{lab}.imu.parquet")
    rc = main(["train", "--real", str(cap), "--window-s", "1.28", "--stride-s", "0.64", "--rate", "25",
               "--epochs", "2", "--width", "8", "--augment", "rotation:20,jitter", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "taken as one wearer" in err and "validation split by time" in err and "augmentation" in err
    d = json.loads((tmp_path / "run" / "data.json").read_text())
    assert d["labels_missing_from_validation"] == [] and all(v > 0 for v in d["windows"]["train"].values())


def test_bad_augment_and_missing_data_are_one_line_errors(tmp_path, capsys):
    from imuforge.cli import main

    assert main(["train", "--real", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 2
    assert main(["train", "--real", str(tmp_path), "--augment", "spin", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "does not exist" in err[0] and "unknown augmentation" in err[1]
    assert "(allowed: auto, default, none, or rotation" in err[1]


@pytest.fixture(scope="module")
def simulated_dir(tmp_path_factory):
    """A small Dataset of simulated people (the library's motions through the device simulator)."""
    from imuforge.recording import Dataset
    from imuforge.synth import activity_spec, generate_recordings, plan_takes

    ds = Dataset.create(tmp_path_factory.mktemp("simulated") / "syn")
    sources = [activity_spec(a, 8.0) for a in ("walking", "standing")]
    takes = plan_takes(len(sources), 3, ["nano33-ble-sense-rev2"], ["wrist_left"])
    for i, (_, _, rec) in enumerate(generate_recordings(sources, takes, seed=0, fps=50.0)):
        ds.add(rec, name=f"r{i:03d}")
    return ds.path


@pytest.mark.slow
def test_simulated_data_are_augmented_unless_the_user_says_none(tmp_path, simulated_dir, synth_dir, capsys):
    """The benchmark's advice is the default: `--augment auto` trains simulated data with the default
    augmentation (and says so); `--augment none` trains them plain and gets the tip; data that were not
    simulated (here the constructed test recordings) are not augmented by default, unless a fine-tune
    (`--init`) carries on the pre-trained run's augmentation."""
    from imuforge.cli import main

    def run(data, *extra, out):
        rc = main(["train", "--data", str(data), "--window-s", "1.28", "--stride-s", "0.64", "--rate", "25",
                   "--epochs", "1", "--width", "8", *extra, "--out", str(tmp_path / out)])
        err = capsys.readouterr().err
        assert rc == 0, err
        return json.loads((tmp_path / out / "config.json").read_text())["augment"], err

    aug, err = run(simulated_dir, out="auto")
    assert aug and {t["name"] for t in aug} == {"rotation", "scale", "jitter", "time_warp", "magnitude_warp"}
    assert "--augment auto with simulated data" in err and "tip:" not in err
    aug, err = run(simulated_dir, "--augment", "none", out="plain")
    assert aug is None and "tip: with synthetic --data alone, --augment default" in err
    aug, err = run(synth_dir, out="constructed")
    assert aug is None and "augmentation" not in err and "tip:" not in err
    # fine-tuning on real data goes on with the pre-trained run's augmentation, unless told otherwise
    pre = json.loads((tmp_path / "auto" / "config.json").read_text())["augment"]
    for extra, out, want in (([], "ft", pre), (["--augment", "none"], "ft_plain", None)):
        assert main(["train", "--real", str(synth_dir), "--init", str(tmp_path / "auto"), "--epochs", "1",
                     "--labels", "walking,standing",
                     *extra, "--out", str(tmp_path / out)]) == 0
        err = capsys.readouterr().err
        assert json.loads((tmp_path / out / "config.json").read_text())["augment"] == want
        assert ("--augment auto: the --init run's" in err) == (want is not None)


@pytest.mark.slow
def test_accelerometer_only_data_train_on_the_channels_every_recording_has(tmp_path, synth_dir, capsys):
    """A data set without a gyroscope (WISDM v1.1) trains, alone or mixed with synthetic data that has one: the
    default channels narrow to the accelerometer's, and the command says so; --channels still decides."""
    from imuforge.cli import main
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "acc_only")
    for k, s in enumerate(("a1", "a2")):
        ds.add(make_recording(s, seconds_per_label=10.0, seed=60 + k).pick(["acc_x", "acc_y", "acc_z"]), name=s)
    common = ["--window-s", "1.28", "--stride-s", "0.64", "--rate", "25", "--epochs", "1", "--width", "8"]
    assert main(["train", "--data", str(synth_dir), "--real", str(tmp_path / "acc_only"), *common,
                 "--augment", "default", "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "channels: acc_x,acc_y,acc_z (the ones every training recording has" in err
    # what the augmentation's auto settings chose without a gyroscope is said with the transforms
    assert ("scale, jitter (none: no gyroscope), time_warp, magnitude_warp (gravity kept: no gyroscope)"
            in err)
    forced = "default,jitter:0.05:all,magnitude_warp:0.2:4:warped"
    assert main(["train", "--real", str(tmp_path / "acc_only"), *common, "--augment", forced,
                 "--out", str(tmp_path / "forced")]) == 0
    assert "jitter:0.05:all, time_warp, magnitude_warp:0.2:4:warped\n" in capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["channels"] == ["acc_x", "acc_y", "acc_z"]
    assert main(["train", "--data", str(synth_dir), *common, "--out", str(tmp_path / "full")]) == 0
    assert "channels:" not in capsys.readouterr().err  # every recording has all six: nothing to say
    # the six-channel model on the accelerometer-only data: one line saying what it takes and what to do
    assert main(["eval", str(tmp_path / "full"), "--data", str(tmp_path / "acc_only")]) == 2
    err = capsys.readouterr().err
    assert "the model takes acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z;" in err
    assert "lacks channel(s) gyro_x" in err and "imuforge train --channels acc_x,acc_y,acc_z" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    # export --data reads them through the same door, and says the same (it said what the data lack alone)
    assert main(["export", str(tmp_path / "full"), "--data", str(tmp_path / "acc_only"),
                 "--out", str(tmp_path / "exp")]) == 2
    assert capsys.readouterr().err.strip() == err.strip().replace("imuforge eval:", "imuforge export:")
    assert not (tmp_path / "exp").exists()
    # fine-tuning that model on them: the --init run fixes the channels, so the way out is a new model
    assert main(["train", "--real", str(tmp_path / "acc_only"), "--init", str(tmp_path / "full"),
                 "--epochs", "1", "--out", str(tmp_path / "ft")]) == 2
    err = capsys.readouterr().err
    assert "the --init run's model takes acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z;" in err
    assert "a new model without --init (that recording has acc_x, acc_y, acc_z)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "ft").exists()
    # validation data without a channel the training takes cannot validate: said as --val's, with the way out
    assert main(["train", "--data", str(synth_dir), "--val", str(tmp_path / "acc_only"), *common,
                 "--channels", "acc_x,acc_y,acc_z,gyro_x", "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err
    assert "--val recording" in err
    assert "lacks channel(s) gyro_x, which the training takes (it has acc_x" in err
    assert "or --val none" in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "v").exists()
    assert main(["train", "--real", str(tmp_path / "acc_only"), *common, "--channels", "acc_x,acc_y,acc_z,gyro_x",
                 "--out", str(tmp_path / "x")]) == 2  # asked for a channel the data lack: refused, as before
    # a rotation turns complete triplets only: on two accelerometer axes it does nothing, and says so; a
    # transform's own values are named as --augment takes them; a hop past the window leaves data unread
    assert main(["train", "--real", str(tmp_path / "acc_only"), *common[:2], "--stride-s", "2", *common[4:],
                 "--channels", "acc_x,acc_y", "--augment", "rotation:45:z,scale",
                 "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "rotation:45:z (no effect: acc has no complete x/y/z), scale\n" in err
    assert ("--stride-s 2 is longer than --window-s 1.28: 36% of every recording lies between two "
            "windows") in err
    assert "stride" not in (tmp_path / "full" / "data.json").read_text()  # a hop within the window: no note


@pytest.mark.slow
def test_the_library_takes_the_channels_every_recording_has_too(tmp_path, synth_dir):
    """``TrainConfig(channels=None)`` (the default) resolves as the command does: an accelerometer-only data
    set mixed with synthetic data trains on the accelerometer and says so; a fine-tune takes the --init
    run's."""
    from imuforge.recording import Dataset
    from imuforge.train import TrainConfig, train
    from imuforge.train.trainer import resolve_channels

    ds = Dataset.create(tmp_path / "acc_only")
    for k, s in enumerate(("a1", "a2")):
        rec = make_recording(s, seconds_per_label=10.0, seed=70 + k)
        ds.add(rec.pick(["acc_x", "acc_y", "acc_z"]), name=s)
    layout = dict(window_s=1.28, stride_s=0.64, rate_hz=25.0, epochs=1, model_kwargs={"width": 8})
    acc_only = str(tmp_path / "acc_only")
    run = train(TrainConfig(data=[str(synth_dir)], real=[acc_only], **layout), tmp_path / "run")
    assert list(run.channels) == ["acc_x", "acc_y", "acc_z"]
    data = json.loads((tmp_path / "run" / "data.json").read_text())
    assert any(n.startswith("channels: acc_x,acc_y,acc_z") for n in data["notes"])
    assert resolve_channels(TrainConfig(data=[str(synth_dir)], **layout))[0].channels == [
        "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
    fine = resolve_channels(TrainConfig(data=[], real=[acc_only], init=str(tmp_path / "run"), **layout))
    assert fine == (TrainConfig(data=[], real=[acc_only], init=str(tmp_path / "run"),
                                channels=["acc_x", "acc_y", "acc_z"], **layout), None)


@pytest.mark.slow
def test_real_data_without_a_window_are_refused_not_left_out(tmp_path, capsys):
    """``--real`` whose recordings are all shorter than a window: the run trained on ``--data`` alone
    without a word."""
    from imuforge.cli import main

    make_dataset(tmp_path / "syn", subjects=("a", "b", "c"), seconds_per_label=8.0, seed=1)
    make_dataset(tmp_path / "short", subjects=("me",), seconds_per_label=1.0, seed=2)
    rc = main(["train", "--data", str(tmp_path / "syn"), "--real", str(tmp_path / "short"), "--epochs", "1",
               "--val", "none", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and not (tmp_path / "run").exists()
    assert "--real data hold no window" in err[-1] and "at least --window-s (2.56 s) long" in err[-1]


def test_a_fine_tune_that_never_beats_its_start_keeps_the_init_model():
    """Early stopping compares the fine-tune's epochs with each other; the --init model itself (epoch 0) is
    compared too, and kept when no epoch validated better (a tie is no gain; NaN epochs never win)."""
    import keras

    from imuforge.train.trainer import _check_converged, kept_epoch, restore_start_unless_beaten

    assert kept_epoch({"loss": [1, 1, 1], "val_loss": [0.6, 0.4, 0.5]}) == 2
    assert kept_epoch({"loss": [1, 1], "val_loss": [0.6, 0.5]}, 0.5) == 0
    assert kept_epoch({"loss": [1, 1], "val_loss": [0.6, 0.49]}, 0.5) == 2
    assert kept_epoch({"loss": [1, 1], "val_loss": [float("nan"), 0.7]}, 0.5) == 0
    assert kept_epoch({"loss": [1, 1, 1]}) == 3  # no validation: the last epoch
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(2)(inp))
    start_weights = [w.copy() for w in model.get_weights()]
    model.set_weights([w + 1.0 for w in start_weights])  # what the epochs made of it
    tuned = [w.copy() for w in model.get_weights()]
    history, start = restore_start_unless_beaten(model, {"loss": [0.4, 0.3], "val_loss": [0.61, 0.50]},
                                                 (0.50, start_weights))
    assert start == 0.5 and history == {"loss": [0.4, 0.3], "val_loss": [0.61, 0.5]}
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start_weights))
    model.set_weights(tuned)
    restore_start_unless_beaten(model, {"loss": [0.4], "val_loss": [0.49]}, (0.50, start_weights))
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), tuned))
    assert restore_start_unless_beaten(model, {"val_loss": [np.float32(0.2)]}, None) == (
        {"val_loss": [pytest.approx(0.2)]}, None)
    # a fine-tune whose every epoch diverged keeps its start, said; a new model has nothing to keep
    from imuforge.errors import ValidationError
    from imuforge.train import TrainConfig

    nan = {"loss": [float("nan")], "val_loss": [float("nan")]}
    assert "keeps the --init model's weights (epoch 0)" in _check_converged(nan, TrainConfig(data=["d"]), 0.5)
    with pytest.raises(ValidationError, match="no epoch to keep"):
        _check_converged(nan, TrainConfig(data=["d"]))


@pytest.mark.slow
def test_the_run_says_when_it_keeps_the_init_model(tmp_path, tiny_run, capsys):
    """A fine-tune that only unsettles the model (one epoch at a learning rate that overshoots, on a new
    person's data the model already reads) keeps the --init weights as epoch 0 and says so."""
    from imuforge.cli import main
    from imuforge.train import load_run

    make_dataset(tmp_path / "me", subjects=("me",), seconds_per_label=12.0, seed=50)
    rc = main(["train", "--real", str(tmp_path / "me"), "--init", str(tiny_run), "--epochs", "1",
               "--learning-rate", "0.9", "--out", str(tmp_path / "ft")])
    err = capsys.readouterr()
    assert rc == 0
    h = json.loads((tmp_path / "ft" / "history.json").read_text())
    assert h["history"]["val_loss"][0] >= h["init_val_loss"], h  # the overshoot made it worse
    assert h["best_epoch"] == 0 and "keeps the --init model's weights" in err.out + err.err
    before, after = load_run(tiny_run).keras_model(), load_run(tmp_path / "ft").keras_model()
    assert all(np.array_equal(a, b) for a, b in zip(before.get_weights(), after.get_weights()))


def test_train_warns_a_script_of_its_notes_and_the_command_says_each_once(tmp_path, capsys):
    """train() from Python kept its notes in data.json only (a hop past the window, a rate above the data's,
    said nothing to a script); each is now a TrainingNote warning too. The command prints them itself:
    once."""
    from imuforge.cli import main
    from imuforge.errors import TrainingNote
    from imuforge.train import TrainConfig, train

    make_dataset(tmp_path / "d", subjects=("s1", "s2", "s3"), seconds_per_label=12.0, seed=3)
    cfg = TrainConfig(data=[str(tmp_path / "d")], window_s=1.28, stride_s=2.0, rate_hz=25.0, epochs=1,
                      batch_size=16, model_kwargs={"width": 8})
    with pytest.warns(TrainingNote) as said:
        run = train(cfg, tmp_path / "run")
    notes = json.loads((run.path / "data.json").read_text())["notes"]
    assert any("hop" in n for n in notes)
    assert [str(w.message) for w in said if w.category is TrainingNote] == notes
    assert main(["train", "--data", str(tmp_path / "d"), "--window-s", "1.28", "--stride-s", "2", "--rate",
                 "25", "--epochs", "1", "--width", "8", "--out", str(tmp_path / "run2")]) == 0
    err = capsys.readouterr().err
    hop = next(n for n in notes if "hop" in n)
    assert err.count(hop) == 1 and "warning: " + hop not in err


def test_a_fine_tune_knows_the_data_its_init_run_trained_on(tmp_path, tiny_run, synth_dir):
    """eval of a fine-tuned run on its --init run's training data said nothing: data.json lists the tuning
    data only (a fresh user's run). The run's trained data follow the --init chain."""
    import shutil

    from imuforge.train import TrainConfig, load_run, train

    shutil.copytree(synth_dir, tmp_path / "copy")  # the same recordings elsewhere: files the tune reads
    cfg = TrainConfig(data=[], real=[str(tmp_path / "copy")], window_s=1.28, stride_s=0.64, rate_hz=25.0, epochs=1,
                      seed=1, batch_size=16, init=str(tiny_run), learning_rate=5e-4)
    ft = load_run(train(cfg, tmp_path / "ft").path)
    assert all(d["path_resolved"].startswith(str((tmp_path / "copy").resolve()))
               for d in ft.data_info()["datasets"])
    assert ft.seen([synth_dir]) == "these data trained or validated the run it was fine-tuned from (--init)"
    assert ft.config["init"] == str(tiny_run.resolve())  # recorded resolved: found from any folder
    assert load_run(tiny_run).seen([tmp_path / "copy"]) is None  # the chain goes back, not forward
