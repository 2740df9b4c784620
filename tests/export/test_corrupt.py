"""Damaged run and export folders: one ``corrupt … folder: <file>: <why>`` line and exit 2, never a traceback.

One tiny run (2 epochs) and its export are made once; each test damages a copy of one file.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from imuforge.cli import main

pytest.importorskip("tensorflow")
pytest.importorskip("tflite_micro")


@pytest.fixture(scope="module")
def made(synth_dir, tmp_path_factory):
    """(run folder, export folder) of a tiny model."""
    from imuforge.export import export_run
    from imuforge.train import TrainConfig, train

    root = tmp_path_factory.mktemp("corrupt")
    cfg = TrainConfig(data=[str(synth_dir)], model="tiny_cnn", window_s=1.28, stride_s=1.28, rate_hz=25.0,
                      epochs=2, seed=3, batch_size=32, model_kwargs={"width": 4})
    train(cfg, root / "run")
    export_run(root / "run", root / "export", max_test_windows=20)
    return root / "run", root / "export"


def _copy(src, tmp_path):
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _one_line(capsys, command):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"imuforge {command}: error: "), err
    return err


@pytest.mark.parametrize("command", ["eval", "export"])
@pytest.mark.parametrize("name", ["model.keras", "config.json", "labels.json", "normalisation.json",
                                  "representative.npz", "heldout.npz", "data.json"])
def test_truncated_run_file(made, tmp_path, capsys, synth_dir, command, name):
    if command == "eval" and name in ("representative.npz", "heldout.npz", "data.json"):
        pytest.skip("eval does not read this file")
    run = _copy(made[0], tmp_path)
    truncate(run / name)
    argv = (["eval", str(run), "--data", str(synth_dir), "--out", str(tmp_path / "ev")] if command == "eval"
            else ["export", str(run), "--out", str(tmp_path / "ex")])
    assert main(argv) == 2
    err = _one_line(capsys, command)
    assert f"corrupt run folder: {run / name}: " in err, err
    assert "File not found" not in err
    assert not (tmp_path / "ex").exists()  # nothing half-written


@pytest.mark.parametrize("name", ["labels.json", "normalisation.json", "model.keras"])
def test_a_run_file_deleted(made, tmp_path, capsys, synth_dir, name):
    """A run folder that lost a file is a damaged run (as FORMATS.md says), not "not a training run", which
    reads as if the wrong folder was given."""
    run = _copy(made[0], tmp_path)
    (run / name).unlink()
    assert main(["eval", str(run), "--data", str(synth_dir), "--out", str(tmp_path / "ev")]) == 2
    assert f"corrupt run folder: {run / name}: missing" in _one_line(capsys, "eval")
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize("name, key, value, why", [
    ("config.json", "rate_hz", 7, "s at rate_hz 7 ("),
    ("config.json", "seed", "abc", "seed 'abc' is not a whole number"),
    ("config.json", "model_kwargs", [1, 2], "model_kwargs [1, 2] is not an object"),
    ("config.json", "label_policy", "bogus", "label_policy 'bogus' is not one of majority"),
    ("config.json", "channels", ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "bogus"], "are not known"),
    ("data.json", None, [1, 2], "not a JSON object"),
    ("data.json", "placements", 7, "placements is not a list of names"),
    ("data.json", "datasets", ["syn/standing", 5], "datasets entry 0 is not an object with a path"),
])
@pytest.mark.parametrize("command", ["eval", "export"])
def test_a_run_file_edited_out_of_shape(made, tmp_path, capsys, synth_dir, name, key, value, why, command):
    """A key of config.json or data.json edited to a value training never writes: one line naming the file."""
    run = _copy(made[0], tmp_path)
    doc = json.loads((run / name).read_text())
    if key is None:
        doc = value
    else:
        doc[key] = value
    (run / name).write_text(json.dumps(doc))
    argv = (["eval", str(run), "--data", str(synth_dir), "--out", str(tmp_path / "ev")] if command == "eval"
            else ["export", str(run), "--out", str(tmp_path / "ex")])
    assert main(argv) == 2
    err = _one_line(capsys, command)
    assert f"corrupt run folder: {run / name}: " in err and why in err, err
    assert not (tmp_path / "ex").exists() and not (tmp_path / "ev").exists()


def test_a_file_of_the_run_given_as_the_run(made, tmp_path, capsys, synth_dir):
    """eval run/model.keras names the file as a file and points at its run folder."""
    assert main(["eval", str(made[0] / "model.keras"), "--data", str(synth_dir),
                 "--out", str(tmp_path / "ev")]) == 2
    err = _one_line(capsys, "eval")
    assert "model.keras is a file, not a run folder" in err and f"(the run folder is {made[0]})" in err, err
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize("name, content", [
    ("config.json", '{"channels": "acc_x", "rate_hz": 25}'),
    ("labels.json", '{"labels": []}'),
    ("normalisation.json", '{"mean": [0, 0], "std": [1, 1]}'),
    ("model.keras", "not a zip"),
])
def test_edited_run_file(made, tmp_path, capsys, synth_dir, name, content):
    run = _copy(made[0], tmp_path)
    (run / name).write_text(content)
    assert main(["eval", str(run), "--data", str(synth_dir), "--out", str(tmp_path / "ev")]) == 2
    assert f"corrupt run folder: {run / name}: " in _one_line(capsys, "eval")


@pytest.mark.parametrize("labels, why", [
    ('{"labels": ["a"]}', "names 1 label(s) but the model has {n} outputs (config.json n_classes)"),
    ('{"labels": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}',
     "names 9 label(s) but the model has {n} outputs"),
    ('["a"]', "names 1 label(s) but the model has {n} outputs"),
    ("BARE", "a bare list of names; the file must be {{\"labels\": [one name per model output"),
])
def test_labels_json_that_does_not_fit_the_model_says_why(made, tmp_path, capsys, labels, why):
    import json

    run = _copy(made[0], tmp_path)
    names = json.loads((run / "labels.json").read_text())["labels"]
    (run / "labels.json").write_text(json.dumps(names) if labels == "BARE" else labels)
    assert main(["export", str(run), "--out", str(tmp_path / "ex")]) == 2
    err = _one_line(capsys, "export")
    assert f"corrupt run folder: {run / 'labels.json'}: " + why.format(n=len(names)) in err, err
    assert "non-empty list" not in err and not (tmp_path / "ex").exists()


@pytest.mark.parametrize("name", ["labels.json", "normalisation.json"])
def test_a_run_file_edited_in_shape_is_refused(made, tmp_path, capsys, name):
    """labels.json with its names reordered (or normalisation.json rescaled) keeps its shape but not what the
    model was trained with: refused by the sha-256 config.json records (export had called accuracy 0.000
    "ok", and hil passed at 0 %: a fresh user's run, session 63)."""
    run = _copy(made[0], tmp_path)
    doc = json.loads((run / name).read_text())
    if name == "labels.json":
        doc["labels"] = doc["labels"][::-1]
    else:
        doc["std"] = [2 * v for v in doc["std"]]
    (run / name).write_text(json.dumps(doc))
    assert main(["export", str(run), "--out", str(tmp_path / "ex")]) == 2
    err = _one_line(capsys, "export")
    assert f"corrupt run folder: {run / name}: sha256 " in err and "edited or replaced after training" in err
    assert not (tmp_path / "ex").exists()


def test_a_run_without_data_json_is_exported_with_a_note(made, tmp_path, capsys):
    """data.json gone: the card can name neither the training data nor the device, and says so (it had been
    written with a null device and nothing said, and hil --emulate fell back to the default profile)."""
    run = _copy(made[0], tmp_path)
    (run / "data.json").unlink()
    assert main(["export", str(run), "--out", str(tmp_path / "ex")]) == 0
    err = capsys.readouterr().err
    assert "the run folder holds no data.json: the card cannot say what data trained the model, nor its " \
           "profile or placement (give --profile and --placement; hil --emulate then emulates the default " \
           "profile)" in err
    card = json.loads((tmp_path / "ex" / "card.json").read_text())
    assert any("holds no data.json" in n for n in card["data"]["test"]["notes"])


def test_a_run_from_before_the_signed_files_loads_and_a_bad_record_is_refused(made, tmp_path, capsys):
    """A run written before config.json recorded ``files_sha256`` loads as it is; a record that is not a map
    of the run's files to sha-256s is a corrupt config.json."""
    from imuforge.train import load_run

    run = _copy(made[0], tmp_path)
    config = json.loads((run / "config.json").read_text())
    del config["files_sha256"]
    (run / "config.json").write_text(json.dumps(config))
    assert load_run(run).labels == load_run(made[0]).labels
    config["files_sha256"] = {"../elsewhere.json": "0" * 64}
    (run / "config.json").write_text(json.dumps(config))
    assert main(["export", str(run), "--out", str(tmp_path / "ex")]) == 2
    assert (f"corrupt run folder: {run / 'config.json'}: files_sha256 must map files of the run to "
            "sha-256s in hex") in _one_line(capsys, "export")


@pytest.mark.parametrize("name", ["model.tflite", "card.json", "reference.npz"])
def test_truncated_export_file(made, tmp_path, capsys, name):
    export = _copy(made[1], tmp_path)
    truncate(export / name)
    assert main(["hil", "--model", str(export), "--data", str(export), "--port", "loop://",
                 "--out", str(tmp_path / "hil")]) == 2
    assert f"corrupt export folder: {export / name}: " in _one_line(capsys, "hil")
    assert not (tmp_path / "hil").exists()


def _reverse_labels(card):
    card["output"]["labels"] = card["output"]["labels"][::-1]


def _scale_k(card):
    card["input"]["normalisation"]["k"] = [1.5 * v for v in card["input"]["normalisation"]["k"]]


@pytest.mark.parametrize("edit", [_reverse_labels, _scale_k], ids=["label order", "normalisation k"])
def test_edited_export_card_is_refused(made, tmp_path, capsys, edit):
    """An edited card.json (its structure intact, model.tflite untouched) no longer matches its own content
    digest: one line naming the card, exit 2, nothing written — not a HIL PASS at accuracy 0."""
    export = _copy(made[1], tmp_path)
    card = json.loads((export / "card.json").read_text())
    edit(card)
    (export / "card.json").write_text(json.dumps(card, indent=1))
    assert main(["hil", "--model", str(export), "--data", str(export), "--emulate",
                 "--out", str(tmp_path / "hil")]) == 2
    err = _one_line(capsys, "hil")
    assert (f"corrupt export folder: {export / 'card.json'}: was changed after export (its content digest "
            "does not match: card_sha256 ") in err, err
    assert "(allowed: re-export: imuforge export RUN --out DIR --overwrite" in err
    assert not (tmp_path / "hil").exists()


def test_card_digest_ignores_layout_and_a_card_without_one_still_loads(made, tmp_path):
    """The digest is over the content (not the file's indentation or key order). A card written before the
    digest existed (none recorded) is taken as it is — so an edit whose author also deletes the digest
    cannot be detected: the digest guards against accidental and careless edits, it is not a signature."""
    from imuforge.export.card import CARD_DIGEST, ExportCard, card_digest
    from imuforge.hil.runner import load_export

    card = json.loads((made[1] / "card.json").read_text())
    assert list(card)[-1] == CARD_DIGEST and card[CARD_DIGEST] == card_digest(card)
    reordered = dict(reversed(list(card.items())))
    assert card_digest(reordered) == card[CARD_DIGEST]
    export = _copy(made[1], tmp_path)
    (export / "card.json").write_text(json.dumps(reordered, indent=4))
    assert load_export(export).labels == card["output"]["labels"]
    legacy = json.loads(json.dumps({k: v for k, v in card.items() if k != CARD_DIGEST}))
    _reverse_labels(legacy)  # edited, digest removed: indistinguishable from an older export's card
    (export / "card.json").write_text(json.dumps(legacy))
    assert load_export(export).labels == card["output"]["labels"][::-1]
    assert ExportCard.read(export / "card.json").output.labels == card["output"]["labels"][::-1]
    _scale_k(card)  # the digest kept, the content edited: ExportCard.read refuses it too
    (export / "card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="was changed after export"):
        ExportCard.read(export / "card.json")


def _window_64(card):
    card["input"]["window_length"] = 64


def _three_labels(card):
    card["output"]["labels"] = [*card["output"]["labels"], "extra"]


def _device_text(card):
    card["device"] = "nano"


def _budget_text(card):
    card["device"]["latency_budget_ms"] = "fast"


def _k_zero(card):
    card["input"]["normalisation"]["k"] = [0.0] * len(card["input"]["normalisation"]["k"])


@pytest.mark.parametrize("edit, why", [
    (_window_64, "describes a 64 × "), (_three_labels, "labels, model.tflite has"),
    (_device_text, 'device is "nano", not an object'), (_budget_text, "latency_budget_ms \"fast\" is not"),
    (_k_zero, "k not 0"),
])
def test_a_card_without_its_digest_is_still_checked_against_its_model(made, tmp_path, capsys, edit, why):
    """A card with no digest (as before digests, or with it deleted) is taken as it is only where it agrees
    with model.tflite and holds entries of the kinds export writes: one line naming the card otherwise."""
    from imuforge.export.card import CARD_DIGEST

    export = _copy(made[1], tmp_path)
    card = {k: v for k, v in json.loads((export / "card.json").read_text()).items() if k != CARD_DIGEST}
    edit(card)
    (export / "card.json").write_text(json.dumps(card))
    assert main(["hil", "--model", str(export), "--data", str(export), "--emulate",
                 "--out", str(tmp_path / "hil")]) == 2
    err = _one_line(capsys, "hil")
    assert f"corrupt export folder: {export / 'card.json'}: " in err and why in err, err
    assert not (tmp_path / "hil").exists()


def test_intact_folders_still_load(made):
    from imuforge.hil.runner import load_export
    from imuforge.train import load_run

    run = load_run(made[0])
    assert run.keras_model().output_shape[-1] == len(run.labels)
    assert load_export(made[1]).labels == run.labels
    assert "card_sha256" in json.loads((made[1] / "card.json").read_text())  # checked, and it matches


def test_litert_with_xnnpack_prints_no_info_line(made, capfd, monkeypatch):
    from imuforge.export import LiteRTModel

    monkeypatch.delenv("IMUFORGE_TF_LOGS", raising=False)
    capfd.readouterr()
    LiteRTModel((made[1] / "model.tflite").read_bytes(), xnnpack=True)
    assert capfd.readouterr().err == ""  # no "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."


def test_model_card_rounds_rates(made):
    import json

    from imuforge.export import card_markdown

    card = json.loads((made[1] / "card.json").read_text())
    card["data"]["training"][0]["rates_hz"] = [49.99999999999999, 100.00000000000001]
    md = card_markdown(card)
    assert "rates 50 Hz, 100 Hz" in md and "49.999" not in md and "100.0000" not in md
    # data worn on both wrists (wear variation's side): the names, not a Python list
    card["device"]["placement"] = ["wrist_left", "wrist_right"]
    md = card_markdown(card)
    assert "placement: **wrist_left, wrist_right**" in md and "['" not in md


def test_a_bad_c_name_is_refused_before_anything_is_written(made, tmp_path, capsys):
    assert main(["export", str(made[0]), "--out", str(tmp_path / "ex"), "--name", "bad name"]) == 2
    err = _one_line(capsys, "export")
    assert "--name: C name 'bad name' is not a valid identifier" in err and "allowed: letters, digits and _" in err
    assert not (tmp_path / "ex").exists()
    # a name past C99's 63 significant characters (it also names the files: 300 was an OS error)
    assert main(["export", str(made[0]), "--out", str(tmp_path / "ex"), "--name", "a" * 300]) == 2
    err = _one_line(capsys, "export")
    assert "--name: C name of 300 characters is too long" in err and "at most 63" in err
    assert not (tmp_path / "ex").exists()


def test_an_existing_export_is_replaced_only_with_overwrite_and_only_when_complete(made, tmp_path, capsys):
    old = _copy(made[1], tmp_path)
    # an earlier export: --overwrite replaces it
    assert main(["export", str(made[0]), "--out", str(old)]) == 2
    said = _one_line(capsys, "export")
    assert "exists" in said and "--overwrite" in said and (old / "card.json").exists()
    (old / "mine.txt").write_text("keep me")
    assert main(["export", str(made[0]), "--out", str(old)]) == 2  # and now no --overwrite could: said first
    assert "holds other files than an export (mine.txt)" in _one_line(capsys, "export")
    assert (old / "mine.txt").exists()
    # a folder under a file: named as such ('cannot write …: File exists' before)
    assert main(["export", str(made[0]), "--out", str(old / "mine.txt" / "sub")]) == 2
    assert f"--out {old / 'mine.txt' / 'sub'}: {old / 'mine.txt'} is a file, not a folder" in \
        _one_line(capsys, "export")
    # a failing export (an op-free failure: bad C name) leaves the old export as it was
    assert main(["export", str(made[0]), "--out", str(old), "--name", "bad name", "--overwrite"]) == 2
    capsys.readouterr()
    assert (old / "mine.txt").exists()
    # a user's file in it: not only an export any more, so never replaced (it would be deleted)
    assert main(["export", str(made[0]), "--out", str(old), "--overwrite"]) == 2
    assert "holds other files than an export (mine.txt)" in _one_line(capsys, "export")
    assert (old / "mine.txt").read_text() == "keep me"
    (old / "mine.txt").unlink()
    assert main(["export", str(made[0]), "--out", str(old), "--overwrite", "--json"]) in (0, 1)
    capsys.readouterr()
    assert (old / "card.json").exists() and (old / "c").is_dir()
    assert not list(tmp_path.glob(".*export-*")) and not list(tmp_path.glob(".*old-*"))  # no staging left


def test_export_json_exits_1_when_a_check_fails_as_the_plain_output_does(made, tmp_path, capsys, monkeypatch):
    """`export --json` is what scripts read: a failed check (here the int8 drop, made to fail in the card the
    command receives) gives exit 1 with the JSON, as without --json, and the plain output names it."""
    import imuforge.export as ex
    from imuforge.export.card import ExportCard

    real = ex.export_run

    def over_one_point(*a, **kw):
        card = real(*a, **kw)
        card.checks["checks_passed"]["int8_drop_within_1_point"] = "FAIL"
        return card

    monkeypatch.setattr(ex, "export_run", over_one_point)
    assert main(["export", str(made[0]), "--out", str(tmp_path / "plain")]) == 1
    assert "export checks FAILED (int8_drop_within_1_point;" in capsys.readouterr().err
    assert main(["export", str(made[0]), "--out", str(tmp_path / "json"), "--json"]) == 1
    card = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert card["checks"]["checks_passed"]["int8_drop_within_1_point"] == "FAIL"
    assert ExportCard.from_json(card).failed_checks() == ["int8_drop_within_1_point"]
    assert ExportCard.read(made[1] / "card.json").failed_checks() == []  # the export as made passes


def test_a_failed_int8_drop_says_how_many_windows_changed_and_what_one_weighs():
    from imuforge.commands.train import _drop_note

    small = _drop_note(84, 1.0 - 1 / 84)  # the demo-sized validation set: one window flipped
    assert "changed the class of 1 of 84 windows" in small and "costs 1.19 points of accuracy" in small
    assert "--data TEST" in small
    big = _drop_note(1000, 0.98)  # a set that resolves the point: the count alone
    assert "20 of 1000 windows" in big and "costs" not in big
    assert "0 of 0 windows" in _drop_note(0, float("nan"))  # no windows: nothing to weigh, no error


def test_ctrl_c_inside_the_int8_converter_is_an_interruption(made, tmp_path, capsys, monkeypatch):
    """Ctrl-C while TensorFlow's converter runs comes back as a pybind11 error naming KeyboardInterrupt: it
    was reported as 'int8 conversion failed: pybind11::error_already_set: MISMATCH …' (exit 2); it is an
    interruption (exit 130, 'interrupted', as train and calibrate say) and leaves no export."""
    import tensorflow as tf

    class Interrupted:  # the converter, as Ctrl-C leaves it
        target_spec = type("Spec", (), {})()

        def convert(self):
            raise RuntimeError("pybind11::error_already_set: MISMATCH of original and normalized active "
                               "exception types: ORIGINAL InvalidArgumentError REPLACED BY KeyboardInterrupt")

    monkeypatch.setattr(tf.lite.TFLiteConverter, "from_keras_model",
                        staticmethod(lambda model: Interrupted()))
    assert main(["export", str(made[0]), "--out", str(tmp_path / "ex")]) == 130
    assert "interrupted" in capsys.readouterr().err and not (tmp_path / "ex").exists()


def test_hil_test_windows_say_when_their_rate_is_not_the_models(made, tmp_path):
    """Data at another rate than the model's are resampled, and the windows say from which rates (the report
    and the console line name them), not silently."""
    from imuforge.hil.runner import load_export, load_test_windows
    from imuforge.recording import Dataset
    from tests.synthetic_har import make_recording

    model = load_export(made[1])
    odr = float(model.card.input.odr_hz)
    other = Dataset.create(tmp_path / "other_rate")
    other.add(make_recording("t1", rate_hz=2 * odr, seed=3), name="t1")
    assert load_test_windows(tmp_path / "other_rate", model).resampled_from_hz == (2 * odr,)
    same = Dataset.create(tmp_path / "same_rate")
    same.add(make_recording("t1", rate_hz=odr, seed=3), name="t1")
    assert load_test_windows(tmp_path / "same_rate", model).resampled_from_hz == ()


@pytest.mark.parametrize("name, value", [("representative.npz", np.nan), ("heldout.npz", np.inf)])
def test_run_windows_that_are_not_finite_are_refused(made, tmp_path, capsys, synth_dir, name, value):
    """A NaN in the calibration windows or an inf in the held-out ones: export refuses the run, not a card
    and a reference.npz that HIL later refuses."""
    run = _copy(made[0], tmp_path)
    with np.load(run / name, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["X"] = arrays["X"].copy()
    arrays["X"][0, 0, 0] = value
    np.savez_compressed(run / name, **arrays)
    assert main(["export", str(run), "--out", str(tmp_path / "ex")]) == 2
    err = _one_line(capsys, "export")
    assert f"corrupt run folder: {run / name}: 1 of " in err and "not finite numbers" in err, err
    assert not (tmp_path / "ex").exists()


def test_another_model_of_the_same_shape_copied_into_a_run_is_refused(made, tmp_path, capsys, synth_dir):
    """model.keras replaced by another model of the same layout (another seed's weights): eval and export
    refuse it by the sha-256 config.json records, instead of scoring the other model as this run."""
    from imuforge.train import load_run

    run = _copy(made[0], tmp_path)
    model = load_run(run).keras_model()
    model.set_weights([w * 1.01 for w in model.get_weights()])
    (run / "model.keras").unlink()
    model.save(run / "model.keras")
    ev = ["eval", str(run), "--data", str(synth_dir), "--out", str(tmp_path / "ev")]
    for command, argv in (("eval", ev),
                          ("export", ["export", str(run), "--out", str(tmp_path / "ex")])):
        assert main(argv) == 2
        err = _one_line(capsys, command)
        assert f"corrupt run folder: {run / 'model.keras'}: sha256 " in err and "another model" in err, err
    assert not (tmp_path / "ex").exists() and not (tmp_path / "ev").exists()


def test_hil_refuses_an_op_the_device_lacks_before_the_device_runs(made, tmp_path, capsys):
    """A model.tflite using an op TFLite-Micro lacks (GELU), in an export folder whose card has no digest: one
    line naming the op, before an emulator is started (whose TFLM printed four lines of its own)."""
    import hashlib

    import keras
    import tensorflow as tf

    from imuforge.export.card import CARD_DIGEST

    export = _copy(made[1], tmp_path)
    card = {k: v for k, v in json.loads((export / "card.json").read_text()).items() if k != CARD_DIGEST}
    inp = keras.Input((card["input"]["window_length"], len(card["input"]["channels"])))
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(4, 3, activation="gelu")(inp))
    model = keras.Model(inp, keras.layers.Dense(len(card["output"]["labels"]), activation="softmax")(x))
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (export / "model.tflite").write_bytes(tflite)
    card["model"]["sha256"] = hashlib.sha256(tflite).hexdigest()
    (export / "card.json").write_text(json.dumps(card))
    assert main(["hil", "--model", str(export), "--data", str(export), "--emulate",
                 "--out", str(tmp_path / "hil")]) == 2
    err = _one_line(capsys, "hil")
    assert "GELU" in err and "TensorFlow Lite Micro does not implement" in err, err
    assert not (tmp_path / "hil").exists()


def test_an_export_worse_than_the_one_it_replaces_says_so_with_json_too(made, tmp_path, capsys):
    """`export --overwrite` replaced an export by a worse one without a word, and `--json` kept even the
    warnings it had off stderr. The export being replaced here scored better (its card's int8 figures raised
    and re-signed, as a better model's would read): the new one says which figure fell, on stderr with
    --json as without, and in card.json / card.md."""
    from imuforge.export.card import sign_card

    old = tmp_path / "ex"
    assert main(["export", str(made[0]), "--out", str(old), "--json"]) == 0
    assert "warning" not in capsys.readouterr().err
    card = json.loads((old / "card.json").read_text())
    n = card["data"]["test"]["windows"]
    for key in ("accuracy", "macro_f1"):
        card["metrics"]["int8"][key] = min(1.0, card["metrics"]["int8"][key] + 0.2)
    (old / "card.json").write_text(json.dumps(sign_card(card)))
    assert main(["export", str(made[0]), "--out", str(old), "--overwrite", "--json"]) == 0  # its own data
    printed = capsys.readouterr()
    said = [line for line in printed.err.splitlines() if line.startswith("warning: int8 ")]
    same = f"on the same {n} test windows as the export it replaced"
    assert said and all(same in line for line in said), said
    new = json.loads(printed.out)
    assert [f"warning: {w}" for w in new["warnings"]] == said
    assert "## Warnings" in (old / "card.md").read_text()
