"""`imuforge demo --quick`: every step runs end to end on the emulated wearable (CI-sized settings)."""

from __future__ import annotations

import json


def test_demo_quick(tmp_path, capsys):
    from imuforge.cli import main

    out = tmp_path / "demo"
    rc = main(["demo", "--quick", "--out", str(out), "--epochs", "4"])
    text = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    status = {s["name"]: s["status"] for s in summary["steps"]}
    assert rc == 0, status
    assert len(status) == 7 and set(status.values()) == {"ok"}
    assert "all steps done" in text and "hil_report.html" in text
    assert "3 synthetic people per description in 4 epochs, and its accuracy is not a figure" in text
    rep = json.loads((out / "hil" / "hil_report.json").read_text())
    assert rep["passed"] and rep["mismatches"] == [] and rep["windows"] > 0
    assert (out / "capture" / "desk.imu.parquet").exists() and (out / "export" / "model.h").exists()
    assert (out / "calibration" / "report.json").exists()
    # exported under the default C name: what `hil --qemu` and the Nano 33 sketch build
    assert (out / "export" / "c" / "imuforge_model.c").exists()


def test_bad_flags_are_said_before_anything_runs(tmp_path, capsys):
    """A flag out of range: one line, exit 2, before the emulator starts or the folder is made."""
    from imuforge.cli import main

    out = tmp_path / "demo"
    for flags in (["--epochs", "-1"], ["--epochs", "0"], ["--seed", "-3"]):
        assert main(["demo", "--quick", "--out", str(out), *flags]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and flags[0] in err and "out of range" in err, err
        assert not out.exists()


def test_demo_degrades_clearly(tmp_path):
    """A failing step is reported with its reason; steps needing its output are skipped, others still run."""
    from imuforge.commands.demo import Demo, Settings

    d = Demo(tmp_path, Settings(True, 0, 1.0, 1, 1.0, 1, ["x"], "keywords"))

    def broken(step):
        raise RuntimeError("calibration exploded")

    def missing_layer(step):
        raise ImportError("No module named 'imuforge.calibrate.pipeline'")

    def produce(step):
        d.state["synthetic"] = tmp_path

    assert d.step(1, 4, "synthesise", produce).status == "ok"
    assert d.step(2, 4, "calibrate", broken, ("synthetic",)).status == "failed"
    assert d.step(3, 4, "calibrate again", missing_layer).detail.startswith("layer not available")
    s = d.step(4, 4, "train", lambda st: None, ("calibrated",))
    assert s.status == "skipped" and "calibrated" in s.detail
    assert "calibration exploded" in (tmp_path / "logs" / "step2.traceback.txt").read_text()
    text = d.summary()
    assert "[FAIL] calibrate" in text and "[SKIP] train" in text and "3 step(s) not ok" in text
    # a long detail is wrapped at words, whole (cut at 156 characters, a fresh user's read "…, kept epoc")
    long = "validation accuracy 59.7 %, " * 8 + "kept epoch 3 of 3"
    d.step(5, 5, "train", lambda st: None).detail = long
    lines = d.summary().splitlines()
    said = [ln.strip() for ln in lines if ln.startswith("      ")]
    assert " ".join(said).endswith(long) and all(len(ln) <= 78 for ln in lines if ln.startswith("      "))


def test_a_demo_folder_is_re_run_into_and_any_other_is_refused(tmp_path, capsys):
    """A second ``make demo`` into the first one's folder starts from an empty folder (the first run's capture
    and synthetic data had made the second's steps fail on files that exist); a folder holding anything a
    demo does not write, or a file, is refused with one line and exit 2, and nothing in it is touched."""
    from imuforge.cli import main
    from imuforge.commands.demo import DEMO_PARTS, prepare_out

    out = tmp_path / "demo_out"
    prepare_out(out)  # missing: created
    assert out.is_dir() and not any(out.iterdir())
    for name in DEMO_PARTS:  # what a finished demo leaves
        (out / name).mkdir() if "." not in name else (out / name).write_text("{}")
    (out / "capture" / "desk.rawlog").write_bytes(b"\x00")
    prepare_out(out)
    assert out.is_dir() and not any(out.iterdir())

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    (mine / "summary.json").write_text("{}")
    for target in (mine, mine / "notes.txt"):
        assert main(["demo", "--quick", "--out", str(target)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "allowed" in err[0] and str(target) in err[0], err
    assert (mine / "notes.txt").read_text() == "keep me" and (mine / "summary.json").exists()


def test_a_demo_stopped_by_ctrl_c_is_its_folder_from_the_first_step(tmp_path, monkeypatch):
    """Ctrl-C mid-demo (here in its first step) leaves a folder the next demo re-runs into: summary.json marks
    it as a demo's before any step writes (it used to be refused as "not a previous demo's folder")."""
    from imuforge.commands.demo import Demo, Settings, prepare_out

    out = tmp_path / "demo_int"
    prepare_out(out)
    d = Demo(out, Settings(True, 0, 1.0, 1, 1.0, 1, ["x"], "keywords"))

    def interrupted(self, step):
        (out / "capture").mkdir()
        (out / "capture" / "desk.rawlog").write_bytes(b"\x00")  # half a step's output
        raise KeyboardInterrupt

    monkeypatch.setattr(Demo, "s1_emulator", interrupted)
    try:
        d.run()
    except KeyboardInterrupt:
        pass
    assert json.loads((out / "summary.json").read_text())["status"] == "running"
    prepare_out(out)  # re-run into it: accepted and emptied
    assert out.is_dir() and not any(out.iterdir())
