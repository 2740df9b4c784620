"""train --overwrite into an earlier run folder leaves only this run's files (the old eval/ went with the
old model); without --overwrite a non-empty folder is refused before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from imuforge.cli import main


def test_overwrite_leaves_only_this_runs_files(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    out = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "ds"), "--out", str(out), "--window-s", "1", "--stride-s", "1",
            "--rate", "25", "--epochs", "1", "--width", "4", "--augment", "none"]
    assert main(args) == 0  # an earlier run
    import json

    import imuforge

    made = json.loads((out / "metrics.json").read_text())  # says what made it, and when
    assert made["imuforge_version"] == imuforge.__version__ and made["created_utc"].endswith("Z")
    (out / "eval" / "old").mkdir(parents=True)
    (out / "eval" / "old" / "metrics.json").write_text('{"accuracy": 0.99}')  # the previous model's figures
    capsys.readouterr()
    assert main(args) == 2
    assert "exists and is not empty" in capsys.readouterr().err and (out / "eval" / "old").exists()
    assert main([*args, "--overwrite"]) == 0
    assert f"run folder: {out}" in capsys.readouterr().out
    assert not (out / "eval").exists()
    assert (out / "model.keras").is_file() and (out / "metrics.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left
    (out / "notes.txt").write_text("mine")  # a user's file: the folder is no longer only a run
    assert main([*args, "--overwrite"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds other files than a training run (notes.txt)" in err[0]
    assert (out / "notes.txt").read_text() == "mine" and (out / "model.keras").is_file()


def test_the_library_call_replaces_an_earlier_run_whole_and_nothing_else(tmp_path):
    """``imuforge.train.train(config, out, overwrite=True)`` from Python: as the command (it wrote over the
    earlier run in place, keeping its stale eval/, and would write into a folder of a user's files)."""
    pytest.importorskip("tensorflow")
    from imuforge.errors import ValidationError
    from imuforge.train import TrainConfig, train
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    cfg = TrainConfig(data=[str(tmp_path / "ds")], window_s=1.0, stride_s=1.0, rate_hz=25.0, epochs=1,
                      model_kwargs={"width": 4})
    out = tmp_path / "run"
    train(cfg, out)
    (out / "eval").mkdir()
    with pytest.raises(FileExistsError, match="not empty"):
        train(cfg, out)
    run = train(cfg, out, overwrite=True)
    assert Path(run.path).resolve() == out.resolve()
    assert not (out / "eval").exists() and (out / "model.keras").is_file()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValidationError, match="holds other files than a training run"):
        train(cfg, out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "run"]  # no staging folder left


def test_a_run_that_diverges_writes_nothing_unless_an_earlier_epoch_is_kept(tmp_path, capsys):
    """A loss that turns NaN (too high a learning rate on hard data) left a run folder that answered NaN and
    that ``eval`` then refused as corrupt. From the first epoch on: refused before anything is written, naming
    the epoch and what to change. Only in the last epoch: early stopping restores the best earlier epoch's
    weights, so the run is written, with a note. The real fit runs; its losses are then made NaN, as a
    diverging optimiser leaves them."""
    pytest.importorskip("tensorflow")
    import json

    from imuforge.train import trainer
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    real_fit = trainer._fit

    def diverging(last_only):
        def fit(*args, **kwargs):
            h, start = real_fit(*args, **kwargs)  # start: a fine-tune's --init model (None here)
            nan = float("nan")
            if last_only:
                return {**h, "loss": [*h["loss"][:-1], nan], "val_loss": [*h["val_loss"][:-1], nan]}, start
            return {**h, "loss": [nan] * len(h["loss"]), "val_loss": [nan] * len(h["val_loss"])}, start
        return fit

    args = ["train", "--data", str(tmp_path / "ds"), "--window-s", "1", "--stride-s", "1", "--rate", "25",
            "--epochs", "3", "--width", "4", "--augment", "none", "--learning-rate", "0.5", "--patience", "5"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(trainer, "_fit", diverging(last_only=False))
        assert main([*args, "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert "training diverged: the loss became nan in epoch 1, with no epoch to keep" in err[0]
        assert "allowed: a smaller --learning-rate than 0.5" in err[0]
        assert not (tmp_path / "run").exists()
        mp.setattr(trainer, "_fit", diverging(last_only=True))
        assert main([*args, "--out", str(tmp_path / "kept")]) == 0
    notes = json.loads((tmp_path / "kept" / "data.json").read_text())["notes"]
    assert any(n.startswith("the loss became nan in epoch 3: the run keeps epoch ") for n in notes), notes


def test_ctrl_c_in_training_closes_the_bar_before_the_command_says_interrupted(tmp_path, capsys, monkeypatch):
    """A Ctrl-C during the fit: Keras calls no callback then, and the training bar, left open, drew its last
    line after "interrupted" when the interpreter collected it. The bar is closed as the fit ends, so the
    command's last line is its own. The real fit runs; the Ctrl-C is raised from inside it after its third
    epoch, where a terminal's would arrive — after the bar's line of the second, before its next line is
    due."""
    pytest.importorskip("tensorflow")
    import gc
    import time

    import keras

    from imuforge import progress
    from imuforge.train import trainer
    from tests.synthetic_har import make_dataset

    class CtrlC(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                time.sleep(1.2)  # past the bar's delay and its interval: the next epoch draws a line
            if epoch == 2:
                raise KeyboardInterrupt

    made = trainer.fit_callbacks
    monkeypatch.setattr(trainer, "fit_callbacks", lambda *a: [*made(*a), CtrlC()])
    monkeypatch.setattr(progress, "LOG_INTERVAL_S", 1.0)
    monkeypatch.setenv("IMUFORGE_PROGRESS", "1")
    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    out = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(out), "--window-s", "1", "--stride-s",
                 "1", "--rate", "25", "--epochs", "5", "--width", "4", "--augment", "none"]) == 130
    gc.collect()  # where the open bar wrote its last line
    err = capsys.readouterr().err.strip().splitlines()
    bars = [line for line in err if line.startswith("training:")]
    assert len(bars) >= 2 and " 2/5 " in bars[-2] and " 3/5 " in bars[-1]  # drawn at the 2nd, closed at 3rd
    assert err[-1] == "imuforge train: interrupted: nothing written" and not out.exists()
    # over an earlier run (--overwrite): it stays, and the line says so
    monkeypatch.setattr(trainer, "fit_callbacks", made)
    args = ["train", "--data", str(tmp_path / "ds"), "--out", str(out), "--window-s", "1", "--stride-s", "1",
            "--rate", "25", "--epochs", "1", "--width", "4", "--augment", "none"]
    assert main(args) == 0
    before = (out / "model.keras").read_bytes()
    monkeypatch.setattr(trainer, "fit_callbacks", lambda *a: [*made(*a), CtrlC()])
    assert main([*args[:-5], "5", "--width", "4", "--augment", "none", "--overwrite"]) == 130
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"imuforge train: interrupted: nothing written (the earlier run in {out} is kept)"
    assert (out / "model.keras").read_bytes() == before


def test_labels_whose_stretches_are_shorter_than_a_window_are_named(tmp_path, capsys):
    """A corpus of 1 s walking and longer standing, trained with 2.56 s windows, was refused as 'the data hold
    only one label (standing)': the data hold walking, no window of it does. The refusal names it and why."""
    from tests.synthetic_har import make_recording, write_recordings

    write_recordings(tmp_path / "ds", [
        make_recording("s1", seconds_per_label=1.0, labels=("walking",)),
        make_recording("s2", seconds_per_label=8.0, labels=("standing",))])
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "run"), "--epochs",
                 "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("imuforge train: error: only standing has windows of --window-s 2.56 s: the stretches of "
                   "walking are all shorter; a classifier needs at least 2 labels (allowed: a --window-s the "
                   "stretches hold (under the shortest label's), or longer recordings of walking)")
    assert not (tmp_path / "run").exists()


def test_an_augmentation_of_transforms_at_strength_zero_is_none(tmp_path, capsys):
    """``--augment rotation:0,scale:0`` trained without augmenting, said it augmented and stored the
    do-nothing transforms (which a fine-tune's --augment auto takes on): it is --augment none, said so."""
    import json

    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "run"), "--window-s", "1",
                 "--stride-s", "1", "--rate", "25", "--epochs", "1", "--width", "4",
                 "--augment", "rotation:0,scale:0"]) == 0
    err = capsys.readouterr().err
    assert "note: --augment rotation:0,scale:0: every transform at strength 0 changes nothing: no " \
        "augmentation (as --augment none)" in err and "augmentation (drawn anew" not in err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["augment"] is None
