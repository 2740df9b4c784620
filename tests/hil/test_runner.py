"""The HIL runner end to end: host → pty/TCP → emulated wearable running TFLM → reports."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from imuforge.bridge.links import SerialLink
from imuforge.export.card import sign_card
from imuforge.errors import ValidationError
from imuforge.hil.client import HilError
from imuforge.hil.device import HilFaults, start_emulator
from imuforge.hil.runner import load_export, load_test_windows, run_hil


def _run(model, data, out, *, transport="pty", faults=None, emu_model=None, **kw):
    with start_emulator(emu_model if emu_model is not None else model, transport=transport,
                        hil_faults=faults) as emu:
        link = SerialLink(emu.port)
        try:
            return run_hil(model, data, link, out=out, **kw), emu
        finally:
            link.close()


def test_clean_run_is_bit_exact_and_writes_reports(tiny_model, tiny_data, tmp_path):
    rep, emu = _run(tiny_model, tiny_data, tmp_path / "r", max_windows=60)
    assert rep["passed"] and rep["bit_exact"] and rep["mismatches"] == []
    assert rep["windows"] == rep["windows_completed"] == 60
    assert rep["accuracy"] > 0.9 and rep["macro_f1"] > 0.9
    assert rep["accuracy"] == pytest.approx(rep["reference"]["accuracy"])
    lat = rep["latency"]
    assert lat["windows"] == 60 and 0 < lat["min_us"] <= lat["median_us"] <= lat["p99_us"] <= lat["max_us"]
    # the budget verdict follows from the figures (host timing itself is not asserted)
    assert lat["within_budget"] == (lat["p99_us"] <= lat["budget_ms"] * 1000)
    assert rep["arena_used_bytes"] == emu.hil.arena_used > 0
    assert rep["throughput"]["windows_per_s"] > 0
    files = rep["files"]
    on_disk = json.loads(open(files["json"]).read())
    for key in ("windows", "mismatches", "accuracy", "macro_f1", "latency"):
        assert key in on_disk
    suite = ET.parse(files["junit"]).getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests")) == 60 + 5
    assert "PASS" in open(files["html"]).read()
    assert open(files["png"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_faults_retry_reset_and_mismatch_are_reported(tiny_model, tiny_data, tmp_path):
    faults = HilFaults(drop_result_at=(3,), reset_at=(12,), corrupt_output_at=(20,))
    rep, emu = _run(tiny_model, tiny_data, tmp_path / "r", faults=faults, max_windows=40, timeout_s=0.3,
                    pipeline=1)
    # lock-step: INFER number k is window k-1, plus one extra INFER for each resend
    assert rep["windows_completed"] == 40 and rep["windows_failed"] == []
    assert rep["timeouts"] == 2 and rep["retries"] == 2
    assert len(rep["device_resets"]) == 1 and rep["device_resets"][0]["window"] == 10
    assert rep["mismatch_count"] == 1
    mm = rep["mismatches"][0]
    assert mm["window"] == 17 and mm["differing_outputs"] == [0] and mm["max_abs_diff_lsb"] == 1
    assert not rep["passed"]
    suite = ET.parse(rep["files"]["junit"]).getroot()
    failed = {tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None}
    assert failed == {"outputs_bit_exact", "no_device_reset", "window_00017"}


def test_pipelined_run_survives_lost_reply(tiny_model, tiny_data, tmp_path):
    rep, _ = _run(tiny_model, tiny_data, tmp_path / "r", faults=HilFaults(drop_result_at=(7,)), max_windows=30,
                  timeout_s=0.3, pipeline=3, transport="tcp")
    assert rep["passed"] and rep["windows_completed"] == 30 and rep["timeouts"] == 1
    assert rep["device"]["link"].startswith("serial socket://")


def test_wrong_model_on_device_fails_its_check_in_the_reports(tiny_model, tiny_data, tmp_path):
    """The device runs another model: no window is sent, and the reports — which CI keeps — show the
    ``model_identity`` check failing with both hashes (it was an exit-2 error that wrote none)."""
    other = tmp_path / "other"
    shutil.copytree(tiny_model, other)
    data = bytearray((other / "model.tflite").read_bytes())
    emu_bytes = bytes(data)
    data[-1] ^= 0xFF  # the host's copy differs from what the device runs
    (other / "model.tflite").write_bytes(bytes(data))
    import hashlib

    card = json.loads((other / "card.json").read_text())  # a consistent export folder, just another model
    card["model"]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    (other / "card.json").write_text(json.dumps(sign_card(card)))
    rep, _ = _run(other, tiny_data, tmp_path / "r", emu_model=emu_bytes)
    assert not rep["passed"] and rep["windows_completed"] == 0 and not rep["device"]["match"]
    assert rep["error"].startswith("the device runs a different model")
    assert "flash the model first" in rep["error"]
    saved = json.loads((tmp_path / "r" / "hil_report.json").read_text())
    assert saved["checks"]["model_identity"] != "pass" and not saved["passed"], saved["checks"]
    junit = (tmp_path / "r" / "hil_junit.xml").read_text()
    assert 'name="model_identity"' in junit and card["model"]["sha256"] in junit
    # one cause, one failure: the windows and the other checks were not run (skipped), not 130 failures
    from imuforge.hil import report as R

    suite = ET.fromstring(junit)
    assert suite.get("failures") == "1" and int(suite.get("skipped")) == int(suite.get("tests")) - 1
    lines = R.summary_lines(rep)
    assert not any(line.startswith("throughput") for line in lines)
    assert "none run: the device runs another model" in lines[0]
    assert saved["bit_exact"] is None and saved["throughput"] is None
    assert saved["latency"]["within_budget"] is None
    page = (tmp_path / "r" / "hil_report.html").read_text()
    assert "check latency_within_budget" in page and "not run: the device runs another model" in page
    assert "windows/s" not in page
    assert [line for line in lines if line.startswith("check ")] == [
        f"check model_identity FAILED: {dict(rep.checks())['model_identity']}"]


def test_device_without_model(tiny_model, tiny_data, tmp_path):
    with pytest.raises(HilError, match="NO_MODEL"):
        with start_emulator(None) as emu:
            link = SerialLink(emu.port)
            try:
                run_hil(tiny_model, tiny_data, link, out=tmp_path / "r")
            finally:
                link.close()


def test_test_windows_from_npz_and_unknown_labels(tiny_model, tmp_path):
    m = load_export(tiny_model)
    tw = load_test_windows(tiny_model, m)  # the export's reference.npz
    with np.load(tiny_model / "reference.npz") as z:
        assert len(tw.X) == len(z["X"])
    X = np.concatenate([tw.X[:5], tw.X[:3]])
    labels = np.array(list(tw.labels[:5]) + ["cycling"] * 3)
    np.savez(tmp_path / "w.npz", X=X, labels=labels)
    tw2 = load_test_windows(tmp_path / "w.npz", m)
    assert len(tw2.X) == 5 and tw2.excluded == {"cycling": 3}
    np.savez(tmp_path / "bad.npz", X=X[:, :10], labels=labels)
    with pytest.raises(ValueError, match="shape"):
        load_test_windows(tmp_path / "bad.npz", m)


def test_data_of_stretches_shorter_than_a_window_are_said_to_be(tiny_model, tiny_data, tmp_path):
    """Labelled stretches all shorter than the model's window: hil says so, as eval and export --data do
    (one function, train.evaluate.no_scored_windows), and reaches no device."""
    from imuforge.recording import Dataset, read_dataset

    m = load_export(tiny_model)
    rec = read_dataset(tiny_data).read(0)
    ds = Dataset.create(tmp_path / "short")
    for i, seg in enumerate(rec.labels[:2]):
        piece = rec.crop(seg.start_s, seg.start_s + 0.5 * float(m.card.input.window_s))
        ds.add(piece, name=f"p{i}")
    said = (rf"no labelled window of the model's {float(m.card.input.window_s):g} s in the data: their "
            r"stretches of ")
    with pytest.raises(ValidationError, match=said + r".* are all shorter"):
        load_test_windows(tmp_path / "short", m)


def test_cli_emulate(tiny_model, tiny_data, tmp_path, capsys):
    from imuforge.cli import main

    rc = main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate", "--out",
               str(tmp_path / "cli"), "--runs", "3", "--warmup", "1"])
    out = capsys.readouterr().out
    assert rc == 0 and "HIL PASS" in out and "hil_report.json" in out
    rep = json.loads((tmp_path / "cli" / "hil_report.json").read_text())
    assert rep["latency"]["runs_per_window"] == 3
    # --json: the report's object on stdout, as hil_report.json holds it
    assert main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate", "--out",
                 str(tmp_path / "cli"), "--overwrite", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads((tmp_path / "cli" / "hil_report.json").read_text()) and doc["passed"] is True
    assert main(["hil", "--model", str(tmp_path), "--data", str(tiny_data), "--emulate", "--out",
                 str(tmp_path / "x")]) == 2


def test_a_device_left_streaming_is_stopped_first(tiny_model, tiny_data, tmp_path):
    """A capture killed mid-run leaves the device streaming, and it answers HIL commands BUSY: the run stops
    the stream first (every retry had been refused until another capture ran: a fresh user's run, session
    63)."""
    from imuforge.bridge import protocol as P

    with start_emulator(tiny_model) as emu:
        link = SerialLink(emu.port)
        try:
            link.write(P.encode_frame(P.Start(0), 0))  # what a killed capture leaves behind
            assert link.read(1.0)  # samples arrive
            rep = run_hil(tiny_model, tiny_data, link, out=tmp_path / "r", max_windows=5)
        finally:
            link.close()
    assert rep["error"] is None and rep["passed"] and rep["windows_completed"] == 5


def test_an_interrupted_run_writes_a_report_of_the_windows_it_completed(tiny_model, tiny_data, tmp_path):
    """Ctrl-C part-way through: the interruption goes on to the caller (the command exits 130), with a report
    of the windows completed written first (nothing was kept: a fresh user's run, session 63)."""

    class Interrupting:  # the link, with a Ctrl-C once 20 messages have gone out (window loads and infers)
        def __init__(self, link):
            self.link, self.writes = link, 0
            self.description = link.description

        def write(self, data):
            self.writes += 1
            if self.writes == 20:
                raise KeyboardInterrupt
            self.link.write(data)

        def read(self, timeout):
            return self.link.read(timeout)

        def close(self):
            self.link.close()

    with start_emulator(tiny_model) as emu:
        link = Interrupting(SerialLink(emu.port))
        try:
            with pytest.raises(KeyboardInterrupt) as stop:
                run_hil(tiny_model, tiny_data, link, out=tmp_path / "r", max_windows=40, pipeline=1)
        finally:
            link.close()
    rep = stop.value.report
    done = rep["windows_completed"]
    assert 0 < done < 40 and rep["error"] == f"interrupted (Ctrl-C) after {done} of 40 windows"
    assert not rep["passed"]
    on_disk = json.loads((tmp_path / "r" / "hil_report.json").read_text())
    assert on_disk["windows_completed"] == done and on_disk["error"] == rep["error"]


def test_a_run_that_fails_part_way_keeps_the_windows_it_completed(tiny_model, tiny_data, tmp_path):
    # the device stops answering from the 11th INFER on: five windows in a row fail, the run ends
    faults = HilFaults(drop_result_at=tuple(range(11, 200)))
    rep, _ = _run(tiny_model, tiny_data, tmp_path / "r", faults=faults, max_windows=40, timeout_s=0.1,
                  retries=0, pipeline=1)
    assert rep["error"] and "in a row failed" in rep["error"]
    assert rep["windows_completed"] == 10 and not rep["passed"]
    assert rep["latency"]["windows"] == 10


@pytest.mark.parametrize("bad, where", [("all-nan", "45 of 45"), ("one-inf", "1 of 45")])
def test_nan_or_infinite_input_is_refused_before_the_device(tiny_model, tmp_path, capsys, monkeypatch, bad,
                                                             where):
    """NaN quantises to an int8 that device and host agree on, so such a run used to pass: it is refused in
    one line, exit 2, before a port is opened or an emulator started, and nothing is written."""
    import imuforge.commands.hil as cmd
    from imuforge.cli import main

    with np.load(tiny_model / "reference.npz") as z:
        X, labels = z["X"].copy(), z["labels"]
    if bad == "all-nan":
        X[:] = np.nan
    else:
        X[7, 3, 2] = np.inf
    np.savez(tmp_path / "bad.npz", X=X, labels=labels)
    opened = []
    monkeypatch.setattr(cmd, "open_link", lambda args: opened.append(args) or pytest.fail("device opened"))
    out = tmp_path / "r"
    rc = main(["hil", "--model", str(tiny_model), "--data", str(tmp_path / "bad.npz"), "--emulate",
               "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and not opened and not out.exists()
    assert f"{where} test windows hold NaN or infinite values" in err[0] and "bad.npz" in err[0]
    assert ("window 0" if bad == "all-nan" else "window 7") in err[0] and "finite numbers only" in err[0]
    with pytest.raises(ValueError, match="NaN or infinite"):  # the library refuses it too
        load_test_windows(tmp_path / "bad.npz", load_export(tiny_model))
