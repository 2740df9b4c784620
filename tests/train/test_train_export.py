"""Training run folder, evaluation, int8 export and its TFLM checks (tiny models, few epochs)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.export.card import CardDevice, ExportCard

from tests.synthetic_har import make_recording

pytest.importorskip("tensorflow")
pytest.importorskip("tflite_micro")


def test_run_folder_holds_everything(tiny_run):
    from imuforge.train import load_run

    run = load_run(tiny_run)
    for f in ("model.keras", "config.json", "labels.json", "normalisation.json", "history.json", "history.png",
              "data.json", "metrics.json", "heldout.npz", "representative.npz", "confusion_val.png"):
        assert (tiny_run / f).exists(), f
    assert run.labels == ["walking", "running", "standing"]
    assert run.window_length == 32 and run.channels[0] == "acc_x"
    # acc_z carries gravity: the normalisation mean must see it
    assert run.mean[2] == pytest.approx(9.81, abs=0.2)
    data = json.loads((tiny_run / "data.json").read_text())
    assert set(data["windows"]["train"]) == set(run.labels)
    X, labels = run.read_npz("representative.npz")
    counts = {lab: int((labels == lab).sum()) for lab in run.labels}
    assert max(counts.values()) - min(counts.values()) <= 1  # class-balanced
    m = json.loads((tiny_run / "metrics.json").read_text())
    assert m["accuracy"] > 0.6  # sinusoids of different frequencies are easy


def test_training_is_reproducible(synth_dir, tmp_path):
    from imuforge.train import TrainConfig, train

    cfg = dict(data=[str(synth_dir)], window_s=1.28, stride_s=1.28, rate_hz=25.0, epochs=2, seed=5,
               batch_size=32, model_kwargs={"width": 4})
    a = train(TrainConfig(**cfg), tmp_path / "a").keras_model().get_weights()
    b = train(TrainConfig(**cfg), tmp_path / "b").keras_model().get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_eval_json_reports_unknown_labels_and_resamples(tiny_run, tmp_path, capsys):
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "test100")
    ds.add(make_recording("t1", rate_hz=100.0, labels=("walking", "cycling", "standing"), seed=42), name="t1")
    assert main(["eval", str(tiny_run), "--data", str(tmp_path / "test100"), "--json",
                 "--out", str(tmp_path / "ev")]) == 0
    cap = capsys.readouterr()
    m = json.loads(cap.out)
    assert {"accuracy", "macro_f1", "per_class"} <= set(m)
    assert "note: these are the figures of" in cap.err  # notes on stderr with --json too (they were not)
    assert m["unknown_labels"]["cycling"] > 0
    assert m["resampled_to_hz"] == 25.0
    assert m["per_class"]["running"]["support"] == 0 and m["per_class"]["walking"]["support"] > 0
    assert (tmp_path / "ev" / "confusion.png").stat().st_size > 1000

    assert not any("upsampled" in n for n in m["notes"])  # 100 Hz read at 25 Hz loses nothing the model reads


def test_evaluate_run_returns_typed_figures_the_same_as_its_file(tiny_run, tmp_path):
    """The Python API's result is typed (an Evaluation holding Metrics), and metrics.json is its JSON."""
    from imuforge.recording import Dataset
    from imuforge.train.evaluate import ClassScore, Evaluation, Metrics, evaluate_run

    ds = Dataset.create(tmp_path / "test")
    ds.add(make_recording("t1", rate_hz=25.0, labels=("walking", "cycling", "standing"), seed=7), name="t1")
    ev = evaluate_run(tiny_run, tmp_path / "test", out=tmp_path / "ev")
    assert isinstance(ev, Evaluation) and isinstance(ev.metrics, Metrics)
    assert all(isinstance(r, ClassScore) for r in ev.metrics.per_class.values())
    assert ev.metrics.windows == sum(r.support for r in ev.metrics.per_class.values()) > 0
    assert ev.unknown_labels["cycling"] > 0 and ev.resampled_to_hz is None
    saved = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(ev.to_json()))
    assert set(saved) == {  # the keys metrics.json has held since eval wrote it, for the scripts that read it
        "windows", "accuracy", "macro_f1", "macro_f1_in_data", "per_class", "confusion", "labels", "run",
        "scored_model", "notes", "data", "data_resolved", "unknown_labels", "dropped_windows",
        "data_rates_hz", "resampled_to_hz", "imuforge_version", "created_utc", "confusion_png"}
    assert ev["macro_f1"] == ev.metrics.macro_f1 and ev["data"] == [str(tmp_path / "test")]


def test_eval_notes_data_sampled_below_the_models_rate(tiny_run, tmp_path, capsys):
    """Data at 10 Hz for a 25 Hz model are upsampled: nothing above 5 Hz is in them, and eval says so."""
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "test10")
    ds.add(make_recording("t1", rate_hz=10.0, labels=("walking", "standing"), seed=43), name="t1")
    assert main(["eval", str(tiny_run), "--data", str(tmp_path / "test10"),
                 "--out", str(tmp_path / "ev")]) == 0
    err = capsys.readouterr().err
    assert "note: data at 10 Hz are upsampled to the model's 25 Hz: they hold nothing above 5 Hz" in err
    saved = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert any(n.startswith("data at 10 Hz are upsampled") for n in saved["notes"])


def test_eval_writes_only_where_an_evaluation_may_be(tiny_run, synth_dir, tmp_path, capsys):
    """eval --out takes a new or empty folder, or an earlier evaluation's (replaced); a folder of other files
    — a data folder, say — is refused in one line and left as it was (a fresh user's metrics.json and
    confusion.png landed among the recordings)."""
    data = synth_dir / "nested" / "b"
    before = sorted(p.name for p in data.iterdir())
    assert main(["eval", str(tiny_run), "--data", str(data), "--out", str(data)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "holds other files than an evaluation" in err, err
    assert sorted(p.name for p in data.iterdir()) == before
    ev = tmp_path / "ev"
    for _ in range(2):  # the second run replaces the first's files
        assert main(["eval", str(tiny_run), "--data", str(data), "--out", str(ev)]) == 0
    assert sorted(p.name for p in ev.iterdir()) == ["confusion.png", "metrics.json"]


def test_eval_notes_data_worn_where_the_model_was_not_trained(tiny_run, tmp_path, capsys):
    """The run trained on wrist_left data: chest data get a note (console and metrics.json), the other wrist
    none."""
    from imuforge.recording import Dataset

    for site, noted in (("chest", True), ("wrist_right", False)):
        ds = Dataset.create(tmp_path / site)
        ds.add(make_recording("t1", rate_hz=25.0, seed=3).replace(placement=site), name="t1")
        assert main(["eval", str(tiny_run), "--data", str(tmp_path / site),
                     "--out", str(tmp_path / f"ev_{site}")]) == 0
        err = capsys.readouterr().err
        notes = json.loads((tmp_path / f"ev_{site}" / "metrics.json").read_text())["notes"]
        assert ("note: the data are worn at chest, where the model was not trained (its training data are at "
                "wrist_left)" in err) is noted and bool(notes) is noted


def test_eval_of_a_run_without_data_json_says_the_check_is_not_made(tiny_run, synth_dir, tmp_path, capsys):
    """A run that lost its data.json evaluated on its own training data: the note that they trained it was
    dropped without a word (a fresh user's run). Now eval says the check could not be made."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "data.json").unlink()
    assert main(["eval", str(run), "--data", str(synth_dir), "--out", str(tmp_path / "ev")]) == 0
    assert "the run holds no data.json: whether these data trained it, or hold its people, is not checked" in \
        capsys.readouterr().err


def test_eval_and_export_say_when_the_data_trained_the_model(tiny_run, synth_dir, tmp_path, capsys):
    """The run's own --data (a Dataset below its folder) is no test: eval notes it, export's card calls its
    figures optimistic; data the run never saw get no such note."""
    from imuforge.train import load_run

    trained = synth_dir / "nested" / "b"
    in_data = "are in its --data (trained on, or held out to choose its epoch)"
    run = load_run(tiny_run)
    assert run.seen([trained]) == f"these data {in_data}"
    assert run.seen([synth_dir / "nested"]) == f"these data {in_data}"  # by file, not folder
    one = next(trained.glob("*.imu.parquet"))  # a loose recording file: it trained the run too
    assert run.seen([one]) == f"these data {in_data}"
    assert main(["eval", str(tiny_run), "--data", str(trained), "--out", str(tmp_path / "ev")]) == 0
    err = capsys.readouterr().err
    assert "note: these data are in its --data" in err
    assert "note: these are the figures of model.keras (float): the int8 model the device runs" in err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert any("not a test of people the model has not met" in n for n in metrics["notes"])
    assert metrics["scored_model"].startswith("model.keras (float)")  # --json prints these too
    from imuforge.recording import Dataset

    other = Dataset.create(tmp_path / "other")
    other.add(make_recording("t9", rate_hz=25.0, seed=9), name="t9")
    assert load_run(tiny_run).seen([other.path]) is None
    assert load_run(tiny_run).seen([trained, other.path]) == f"part of these data {in_data}"
    assert load_run(tiny_run).met([other.summary()]) is None
    # a copy of a trained person's recording elsewhere (a selection cut again from the data, say): not the
    # run's files, but its people (a fresh user's eval read macro-F1 1.000 without a word, session 63)
    from imuforge.recording import read_recording

    rec = read_recording(one)
    copy = Dataset.create(tmp_path / "copy")
    copy.add(rec, name="again")
    assert load_run(tiny_run).seen([copy.path]) is None
    met = load_run(tiny_run).met
    assert met([copy.summary()]) == f"these data hold people the run trained or validated on ({rec.subject})"
    assert met([copy.summary(), other.summary()]).startswith("part of these data hold people")
    assert main(["eval", str(tiny_run), "--data", str(copy.path), "--out", str(tmp_path / "ev2")]) == 0
    assert (f"note: these data hold people the run trained or validated on ({rec.subject}): the figures are "
            "not a test of people the model has not met") in capsys.readouterr().err
    from imuforge.export import export_run

    card = export_run(tiny_run, tmp_path / "exp_copy", data=[str(copy.path)], qemu=False)
    assert card.data.test.source.startswith("people the run trained or validated on") and \
        not card.data.test.is_validation
    md = (tmp_path / "exp_copy" / "card.md").read_text()
    assert "## Metrics on people the model was trained on (optimistic)" in md
    from imuforge.export import export_run

    card = export_run(tiny_run, tmp_path / "exp", data=[str(trained)], qemu=False)
    assert card.data.test.is_validation and "these data are in its --data" in card.data.test.source
    few = [n for n in card.data.test.notes if "the int8 check ran on" in n]  # a fresh user's run, session 61
    n = card.data.test.windows
    assert (f"the int8 check ran on {n} windows: one window is {100 / n:.1f} points" in few[0]) if n < 100 \
        else not few
    assert not any("not a test of people" in n for n in card.data.test.notes)  # said once, in the source
    assert "optimistic" in (tmp_path / "exp" / "card.md").read_text()
    # an earlier export is replaced only when asked, from Python as from the command line (it was rewritten
    # without a word); refused as an ImuforgeError that is a FileExistsError too
    from imuforge.errors import ImuforgeError

    said = r"exp exists \(allowed: a new or empty folder, or --overwrite \(Python: overwrite=True\)"
    with pytest.raises(ImuforgeError, match=said) as exc:
        export_run(tiny_run, tmp_path / "exp", data=[str(trained)], qemu=False)
    assert isinstance(exc.value, FileExistsError)
    assert export_run(tiny_run, tmp_path / "exp", data=[str(trained)], qemu=False, overwrite=True).model


def test_export_data_gets_evals_notes_and_says_what_was_not_scored(tiny_run, tmp_path, capsys):
    """export --data says what eval says of the same data (worn at chest, where the run was not trained), counts
    the windows of a label the model does not know, and notes a card device other than the training data's —
    on the console and in card.md / card.json."""
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "chest")
    ds.add(make_recording("t1", rate_hz=25.0, seed=3).replace(placement="chest"), name="t1")
    ds.add(make_recording("t2", rate_hz=25.0, seed=4, labels=("cycling",)).replace(placement="chest"), name="t2")
    rc = main(["export", str(tiny_run), "--out", str(tmp_path / "exp"), "--data", str(tmp_path / "chest"),
               "--placement", "ankle_right"])
    err = capsys.readouterr().err
    card = json.loads((tmp_path / "exp" / "card.json").read_text())
    md = (tmp_path / "exp" / "card.md").read_text()
    unknown = card["data"]["test"]["unknown_labels_excluded"]
    assert rc in (0, 1) and set(unknown) == {"cycling"} and unknown["cycling"] > 0
    for line in ("note: the data are worn at chest, where the model was not trained (its training data are at "
                 "wrist_left)", f"not scored (labels the model does not know): cycling ({unknown['cycling']} "
                 "windows)", "note: the card names placement ankle_right, but the model was trained on "
                 "wrist_left"):
        assert line in err and line in md, line
    notes = card["data"]["test"]["notes"]  # and that the check ran on few windows (a fresh user's run)
    assert len(notes) == 4 and "the int8 check ran on" in notes[1], notes
    # the training data's device (the tests' "test-device") is no profile here: its rate is not checked, said
    assert notes[2].startswith("the training data's device test-device is not a profile here"), notes
    # the other wrist is the site the model was trained at; a profile given as a file is named by its name
    from imuforge.export.exporter import _device_notes

    info = {"profiles": ["nano33-ble-sense-rev2"], "placements": ["wrist_left"]}
    assert _device_notes(info, None, "wrist_right", 50.0) == []
    import imuforge

    device_file = Path(imuforge.__file__).parent / "profiles" / "devices" / "nano33-ble-sense-rev2.toml"
    assert _device_notes(info, str(device_file), None, 50.0) == []
    assert len(_device_notes(info, "metamotions", "ankle_right", 50.0)) == 2
    # a rate the device does not stream at: the firmware resamples, which hil on the host does not test (a
    # fresh user's 50 Hz model for the 52 Hz Polar, session 62)
    polar = {"profiles": ["polar-verity-sense"], "placements": ["wrist_left"]}
    (note,) = _device_notes(polar, None, None, 50.0)
    assert note.startswith("the model takes 50 Hz windows, a rate polar-verity-sense does not stream at") \
        and note.endswith("or train with --rate 52")
    assert _device_notes(polar, None, None, 52.0) == []


def _eval_json(run, data: str, out, capsys) -> str:
    assert main(["eval", str(run), "--data", data, "--json", "--out", str(out)]) == 0
    return capsys.readouterr().out


def test_eval_takes_one_recording_file_as_calibrate_does(tiny_run, tmp_path, capsys):
    from imuforge.recording import write_recording

    f = write_recording(make_recording("t1", rate_hz=25.0, seed=3), tmp_path / "one.imu.parquet")
    assert main(["eval", str(tiny_run), "--data", str(f), "--json", "--out", str(tmp_path / "ev")]) == 0
    m = json.loads(capsys.readouterr().out)
    assert sum(c["support"] for c in m["per_class"].values()) > 0
    # the file and its folder given together: its windows counted once
    twice = json.loads(_eval_json(tiny_run, f"{f},{tmp_path}", tmp_path / "ev2", capsys))
    assert twice["per_class"] == m["per_class"]
    (tmp_path / "notes.txt").write_text("not a recording")
    assert main(["eval", str(tiny_run), "--data", str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "neither a folder nor a recording file" in err


def test_eval_says_nothing_of_subject_ids_it_does_not_split_by(tiny_run, tmp_path, capsys):
    """Test data without a subject id: eval splits nothing, so the training-side warning (about a wearer's
    captures on both sides of a subject-wise split) is not raised there."""
    import warnings

    from imuforge.recording import write_recording

    rec = make_recording("t1", rate_hz=25.0, seed=3).replace(subject=None)
    f = write_recording(rec, tmp_path / "t.imu.parquet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["eval", str(tiny_run), "--data", str(f), "--out", str(tmp_path / "ev")]) == 0
    assert not [w for w in caught if "subject id" in str(w.message)]
    assert "subject id" not in capsys.readouterr().err


def test_evaluations_on_different_data_do_not_replace_each_other(tiny_run, tmp_path, capsys, monkeypatch):
    from imuforge.recording import Dataset
    from imuforge.train.evaluate import eval_name

    for name, seed in (("people_a", 4), ("people_b", 5)):
        ds = Dataset.create(tmp_path / name / "dataset")
        ds.add(make_recording("t1", rate_hz=25.0, seed=seed), name="t1")
        assert main(["eval", str(tiny_run), "--data", str(tmp_path / name / "dataset")]) == 0
    capsys.readouterr()
    for name in ("people_a_dataset", "people_b_dataset"):
        assert (tiny_run / "eval" / name / "confusion.png").exists()
        assert (tiny_run / "eval" / name / "metrics.json").exists()
    assert eval_name([tmp_path / "a b", tmp_path / "c"]) == "a_b+c"
    # other data in folders of the same name get their own folder; the same data again replace their own
    for where, seed in (("syn", 6), ("test", 7), ("syn", 6)):
        ds_path = tmp_path / where / "standing"
        if not ds_path.exists():
            Dataset.create(ds_path).add(make_recording("t1", rate_hz=25.0, seed=seed), name="t1")
        assert main(["eval", str(tiny_run), "--data", str(ds_path)]) == 0
    capsys.readouterr()
    held = {p.name: json.loads((p / "metrics.json").read_text())["data"]
            for p in (tiny_run / "eval").iterdir() if p.name.startswith("standing")}
    assert held == {"standing": [str(tmp_path / "syn" / "standing")],
                    "standing-2": [str(tmp_path / "test" / "standing")]}, held
    # given relative to another working folder, the same data still replace their own, others still apart
    for where in ("test", "syn"):
        monkeypatch.chdir(tmp_path / where)
        assert main(["eval", str(tiny_run), "--data", "standing"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in (tiny_run / "eval").iterdir() if p.name.startswith("standing")) == [
        "standing", "standing-2"]

@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory):
    from imuforge.export import export_run

    out = tmp_path_factory.mktemp("export") / "nano"
    card = export_run(tiny_run, out, name="har_model")
    return out, card


def test_export_outputs_and_checks(exported):
    out, card = exported
    for f in ("model.tflite", "model.h", "model.c", "card.json", "card.md", "reference.npz"):
        assert (out / f).exists(), f
    on_disk = json.loads((out / "card.json").read_text())
    assert card.to_json() == on_disk
    assert ExportCard.from_json(on_disk).to_json() == on_disk  # read back whole
    chk = card.checks
    le = chk["litert_agrees_with_tflm"]
    assert le["within_tolerance"] and le["max_abs_diff_lsb"] <= 1 and le["windows"] > 10
    assert chk["int8_drop_within_1_point"], card.metrics.drop_accuracy_points
    assert card.input.dtype == "int8" and card.output.dtype == "int8"
    assert card.size["flash_model_bytes"] == (out / "model.tflite").stat().st_size
    assert card.device == CardDevice(profile="test-device", placement="wrist_left")
    assert "CONV_2D" in card.model.ops
    md = (out / "card.md").read_text()
    assert "int8 (TFLM)" in md and "arena" in md


def test_reference_outputs_and_arena_are_real_tflm_figures(exported):
    from imuforge.export import TflmModel

    out, card = exported
    model = (out / "model.tflite").read_bytes()
    ref = np.load(out / "reference.npz")
    arena = card.size["arena_bytes_tflm"]
    tflm = TflmModel(model, arena_size=arena)  # the measured arena is enough …
    np.testing.assert_array_equal(tflm.run(ref["q"]), ref["tflm_out"])
    with pytest.raises(Exception):  # … and 64 bytes less is not
        TflmModel(model, arena_size=arena - 64).invoke(ref["q"][0])
    assert card.size["arena_tensors_bytes"] <= arena


def test_model_c_compiles_and_quantises_like_the_host(exported, tmp_path):
    from imuforge.export import quantize_input

    out, card = exported
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler")
    ref = np.load(out / "reference.npz")
    X = ref["X"][:5]
    (tmp_path / "in.bin").write_bytes(X.astype("<f4").tobytes())
    main_c = tmp_path / "main.c"
    main_c.write_text(f"""
#include <stdio.h>
#include <stdint.h>
#include "model.h"
int main(void) {{
  static float x[5 * HAR_MODEL_WINDOW_LENGTH * HAR_MODEL_NUM_CHANNELS];
  static int8_t q[5 * HAR_MODEL_WINDOW_LENGTH * HAR_MODEL_NUM_CHANNELS];
  FILE *f = fopen("{tmp_path / 'in.bin'}", "rb");
  if (fread(x, sizeof x, 1, f) != 1) return 2;
  fclose(f);
  har_model_quantize_input(x, q, 5 * HAR_MODEL_WINDOW_LENGTH);
  fwrite(q, sizeof q, 1, stdout);
  if (((uintptr_t)har_model_data) % 16) return 3;
  if (har_model_data_len != {card.size['flash_model_bytes']}u) return 4;
  return 0;
}}
""")
    exe = tmp_path / "qtest"
    subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(out), str(main_c), str(out / "model.c"),
                    "-lm", "-o", str(exe)], check=True)
    res = subprocess.run([str(exe)], capture_output=True, check=True)
    q_c = np.frombuffer(res.stdout, np.int8).reshape(X.shape)
    k = np.array(card.input.normalisation.k, np.float32)
    b = np.array(card.input.normalisation.b, np.float32)
    np.testing.assert_array_equal(q_c, quantize_input(X, k, b))
    np.testing.assert_array_equal(q_c, ref["q"][:5])
    h = (out / "model.h").read_text()
    assert '"walking", "running", "standing"' in (out / "model.c").read_text()
    assert "HAR_MODEL_ODR_HZ 25.0f" in h and "HAR_MODEL_INPUT_ZERO_POINT" in h


def test_export_overwrite_never_deletes_the_run_or_other_files(tiny_run, tmp_path, capsys):
    """--overwrite replaces an earlier export only: an --out that is the run, holds it, lies inside it, or
    holds a user's files is refused (one line, exit 2) and left as it was."""
    nest = tmp_path / "nest"
    run = nest / "run"
    shutil.copytree(tiny_run, run)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "notes.txt").write_text("mine")
    before = sorted(p.name for p in run.iterdir())
    for out, says in ((run, "holds the run folder"), (nest, "holds the run folder"),
                      (run / "deploy", "is inside the run folder"), (tmp_path / "notes", "holds other files")):
        assert main(["export", str(run), "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err.strip()
        assert says in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in run.iterdir()) == before and not (run / "deploy").exists()
    assert (tmp_path / "notes" / "notes.txt").read_text() == "mine"


def test_model_with_op_tflm_lacks_is_refused(synth_dir, tmp_path):
    import keras

    from imuforge.export import UnsupportedOpError, export_run
    from imuforge.train import TrainConfig, train

    inp = keras.Input((32, 6))
    x = keras.layers.Conv1D(4, 3, activation="gelu")(inp)
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(3, activation="softmax")(x)
    path = tmp_path / "gelu.keras"
    keras.Model(inp, out).save(path)
    train(TrainConfig(data=[str(synth_dir)], model=str(path), window_s=1.28, stride_s=1.28, rate_hz=25.0,
                      epochs=1, seed=0), tmp_path / "run")
    with pytest.raises(UnsupportedOpError, match="GELU") as err:
        export_run(tmp_path / "run", tmp_path / "exp")
    assert "tiny_cnn" in str(err.value)
    assert not (tmp_path / "exp" / "model.tflite").exists()
    # the CLI says the same, as an error, not a traceback
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "exp2")]) == 2


@pytest.mark.parametrize("activation, said", [
    ("gelu", "the model uses op(s) GELU that TensorFlow Lite Micro does not implement"),
    ("tanh", "C generation has no kernel for op(s) TANH"),
])
def test_train_refuses_a_network_the_device_cannot_run_before_it_trains(synth_dir, tmp_path, capsys,
                                                                         activation, said):
    """The command refuses it as export would, before any epoch: one line naming the op and the file, exit 2,
    no run folder; the same network with ReLU trains."""
    import keras

    def saved(act: str) -> Path:
        inp = keras.Input((32, 6))
        x = keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(4, 3, activation=act)(inp))
        keras.Model(inp, keras.layers.Dense(3, activation="softmax")(x)).save(tmp_path / f"{act}.keras")
        return tmp_path / f"{act}.keras"

    argv = ["train", "--data", str(synth_dir), "--window-s", "1.28", "--stride-s", "1.28", "--rate", "25",
            "--epochs", "1"]
    assert main([*argv, "--model", str(saved(activation)), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0] and f"{tmp_path / (activation + '.keras')}: " in err[0], err
    assert not (tmp_path / "run").exists()
    assert main([*argv, "--model", str(saved("relu")), "--out", str(tmp_path / "ok")]) == 0


def _saved(tmp_path, kind: str) -> Path:
    """A .keras file a user might give `train --model` that cannot train (3 classes, 32 × 6 windows)."""
    import keras

    path = tmp_path / f"{kind}.keras"
    if kind == "garbage":
        path.write_text("not a model")
        return path
    if kind == "unbuilt":  # a Sequential saved before it saw an input shape
        keras.Sequential([keras.layers.Dense(3, activation="softmax")]).save(path)
        return path
    inp = keras.Input((None, 6) if kind == "variable" else (32, 6))
    x = keras.layers.GlobalAveragePooling1D()(inp)
    if kind == "lambda":  # Keras refuses to rebuild it without unsafe deserialisation
        x = keras.layers.Lambda(lambda t: t * 2.0)(x)
    keras.Model(inp, keras.layers.Dense(3, activation=None if kind == "logits" else "softmax")(x)).save(path)
    return path


@pytest.mark.parametrize("kind, said", [("garbage", "not a Keras model archive"),
                                        ("unbuilt", "Keras cannot use it"),
                                        ("lambda", "Keras cannot use it"),
                                        ("logits", "not probabilities"),
                                        ("variable", "the network takes (None, None, 6)")])
def test_a_custom_model_that_cannot_train_is_one_line(synth_dir, tmp_path, capsys, kind, said):
    path = _saved(tmp_path, kind)
    code = main(["train", "--data", str(synth_dir), "--model", str(path), "--window-s", "1.28", "--rate",
                 "25", "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("options, said", [
    (["--model", "MODEL", "--width", "8"],
     "--width with --model MODEL: a model file's network is trained as it"),
    (["--augment", ""], "--augment is empty (allowed: auto, none (no augmentation), default, or transforms"),
])
def test_options_that_would_do_nothing_are_refused(synth_dir, tmp_path, capsys, options, said):
    """A --width beside a model file, and an empty --augment, had been ignored without a word (a fresh user's
    run, session 63): refused before anything is read, one line, exit 2, nothing written."""
    model = str(_saved(tmp_path, "garbage"))
    options = [model if o == "MODEL" else o for o in options]
    code = main(["train", "--data", str(synth_dir), *options, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and said.replace("MODEL", model) in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


def test_tflm_op_list_matches_the_installed_tflite_micro():
    import importlib.util

    from imuforge.export import TFLM_BUILTIN_OPS

    so = next(Path(importlib.util.find_spec("tflite_micro").submodule_search_locations[0]).rglob("_runtime*.so"))
    registered = set(re.findall(rb"Register_([A-Z0-9_]+)Ev", so.read_bytes()))
    registered = {r.decode() for r in registered}
    assert TFLM_BUILTIN_OPS <= registered
    assert "GELU" not in registered


@pytest.mark.parametrize("name", ["tiny_cnn", "ds_cnn", "res_cnn"])
def test_zoo_models_run_on_tflm(name):
    """Every zoo model at 2.56 s × 6 ch × 50 Hz converts to int8 with TFLM ops only and runs on TFLM."""
    from imuforge.export import TflmModel, check_ops, model_ops, to_int8_tflite
    from imuforge.train import build_model

    model = build_model(name, (128, 6), 6)
    rep = np.random.default_rng(0).normal(size=(16, 128, 6)).astype(np.float32)
    tfl = to_int8_tflite(model, rep)
    check_ops(model_ops(tfl))
    tflm = TflmModel(tfl)
    out = tflm.invoke(np.zeros((1, 128, 6), np.int8))
    assert out.shape == (1, 6) and out.dtype == np.int8
    if name == "tiny_cnn":
        assert len(tfl) <= 20 * 1024
        assert tflm.minimal_arena() <= 16 * 1024


def test_eval_json_carries_the_warnings_it_said_on_stderr(tiny_run, tmp_path, capsys):
    """A warning said while eval reads its data (here: a CSV of sensors on their own clocks, read on the
    accelerometer's times) is in --json's "warnings" too, as train's notes are in its "notes"."""
    rec = make_recording("t1", rate_hz=25.0, seed=3)
    meta = {"labels": [[s.start_s, s.end_s, s.label] for s in rec.labels], "subject": "t1",
            "placement": "wrist_left"}
    def numbers(v):
        return ",".join(f"{x:.6f}" for x in v)

    rows = [(t, 0, f"{t:.4f},{numbers(a)},,,") for t, a in zip(rec.timestamps, rec.acc)]
    rows += [(t + 0.02, 1, f"{t + 0.02:.4f},,,,{numbers(g)}") for t, g in zip(rec.timestamps, rec.gyro)]
    head = "time[s],acc_x[m/s^2],acc_y[m/s^2],acc_z[m/s^2],gyro_x[rad/s],gyro_y[rad/s],gyro_z[rad/s]"
    text = "\n".join(r[2] for r in sorted(rows))
    (tmp_path / "log.csv").write_text(f"# {json.dumps(meta)}\n{head}\n{text}")
    m = json.loads(_eval_json(tiny_run, str(tmp_path / "log.csv"), tmp_path / "ev", capsys))
    (warned,) = m["warnings"]  # the first accelerometer reading precedes the gyroscope's first: left out
    assert warned.startswith("log.csv: its sensors were read on their own clocks")
    assert "1 acc reading outside" in warned
    assert sum(c["support"] for c in m["per_class"].values()) > 0


def test_data_of_stretches_shorter_than_a_window_are_said_to_be(tiny_run, tmp_path, capsys):
    """Labelled stretches all shorter than the model's window give nothing to score: said as such by eval and
    export --data (eval said "none of the data's labels () is known to the model", of labels it knows)."""
    from imuforge.recording import Dataset

    ds = Dataset.create(tmp_path / "short")
    for i, label in enumerate(("walking", "standing")):
        rec = make_recording(f"t{i}", rate_hz=25.0, seconds_per_label=1.0, seed=i, labels=(label,))
        ds.add(rec, name=label)
    said = ("no labelled window of the model's 1.28 s in the data: their stretches of standing, walking, "
            "split at the gaps in their samples, are all shorter (allowed: data with labelled stretches of "
            "1.28 s or more without gaps)")
    short = str(tmp_path / "short")
    assert main(["eval", str(tiny_run), "--data", short, "--out", str(tmp_path / "ev")]) == 2
    assert said in capsys.readouterr().err and not (tmp_path / "ev").exists()
    assert main(["export", str(tiny_run), "--data", short, "--out", str(tmp_path / "x")]) == 2
    assert said in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_the_card_says_what_its_macro_f1_averages_as_eval_does(tiny_run, tmp_path):
    """Data holding fewer classes than the model: the card listed every class, the absent ones at F1 0, with
    no word of what macro-F1 averages, where eval names the classes left out and gives the figure over the
    data's classes. The card now holds that figure and says eval's lines."""
    from imuforge.export import export_run
    from imuforge.recording import Dataset
    from imuforge.train.evaluate import Metrics, averaging_notes

    ds = Dataset.create(tmp_path / "one")
    ds.add(make_recording("t1", rate_hz=25.0, seed=3, labels=("walking",)), name="t1")
    card = export_run(tiny_run, tmp_path / "exp", data=[str(ds.path)], qemu=False)
    int8 = card.to_json()["metrics"]["int8"]
    m = Metrics.from_json({**int8, "labels": card.output.labels})
    notes = averaging_notes(m)
    assert notes and int8["macro_f1_in_data"] == m.macro_f1_in_data
    md = (tmp_path / "exp" / "card.md").read_text()
    assert all(f"- {n}" in md for n in notes), (notes, md)
    absent = [lab for lab in card.output.labels if not int8["per_class"][lab]["support"]
              and not m.predicted()[card.output.labels.index(lab)]]
    table = md.split("| class | support |")[1].split("\n\n")[0]  # the int8 per-class table
    assert absent and all(f"| {lab} |" not in table for lab in absent) and "| walking |" in table
