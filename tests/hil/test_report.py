"""One definition of a passing HIL run (JSON, JUnit, exit code), honest clocks, start times, disconnects."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html import escape as html_escape

import pytest

from imuforge.bridge.links import LinkClosed, SerialLink
from imuforge.cli import main
from imuforge.export.card import sign_card
from imuforge.hil.device import HilFaults, start_emulator
from imuforge.hil.report import (
    CLOCK_DEVICE,
    CLOCK_EMULATED,
    CLOCK_QEMU,
    HilReport,
    summary_lines,
    write_junit,
    write_reports,
)
from imuforge.hil.runner import run_hil


def _report(**kw) -> HilReport:
    base = dict(
        created_utc="2026-01-01T00:00:00Z",
        model={"name": "m", "sha256": "ab" * 32, "size_bytes": 10, "labels": ["a"]},
        device={"match": True, "device_sha256": "x", "device_size": 10, "host_sha256": "x", "host_size": 10,
                "link": "serial /dev/null", "name": "board", "arena_size": 100},
        data={}, windows=2, windows_completed=2, windows_failed=[], mismatches=[], accuracy=1.0, macro_f1=1.0,
        per_class={}, confusion=[[2]], reference={"accuracy": 1.0, "macro_f1": 1.0},
        latency={"windows": 2, "p99_us": 500.0, "median_us": 400.0, "budget_ms": 1.0, "within_budget": True,
                 "clock": CLOCK_DEVICE},
        arena_used_bytes=50, throughput={"seconds": 1.0, "windows_per_s": 2.0, "fraction_of_link": None},
        retries=0, timeouts=0, device_resets=[], device_errors=0, frames_corrupt=0, emulated=False)
    base.update(kw)
    return HilReport(**base)


def _junit_failures(rep: HilReport, tmp_path) -> set[str]:
    root = ET.parse(write_junit(rep, tmp_path / "j.xml")).getroot()
    return {tc.get("name") for tc in root.iter("testcase") if tc.find("failure") is not None}


@pytest.mark.parametrize("change, failing", [
    ({}, set()),
    ({"latency": {"windows": 2, "p99_us": 5000.0, "budget_ms": 1.0, "within_budget": False,
                  "clock": CLOCK_DEVICE}}, {"latency_within_budget"}),
    ({"device_resets": [{"window": 1, "boot_id": 2}]}, {"no_device_reset"}),
    ({"windows_completed": 1, "error": "serial: device disconnected", "disconnected": True},
     {"all_windows_completed"}),
])
def test_json_junit_and_passed_agree(tmp_path, change, failing):
    rep = _report(**change)
    assert _junit_failures(rep, tmp_path) >= failing
    assert {n for n, f in rep.checks() if f is not None} == failing
    doc = rep.to_json()
    assert rep.passed is (not failing) and doc["passed"] is rep.passed and rep["passed"] is rep.passed
    assert (_junit_failures(rep, tmp_path) == set()) is rep.passed
    assert {k for k, v in doc["checks"].items() if v != "pass"} == failing
    json.dumps(doc)  # plain JSON


def test_windows_of_labels_the_model_lacks_are_named_on_the_console_and_in_the_html(tmp_path):
    """They were counted in the JSON only: a run over stairs the model cannot read said "2/2 windows"
    alone."""
    from imuforge.hil.report import write_html

    rep = _report(data={"excluded_unknown_labels": {"stairs_up": 5, "cycling": 1}})
    assert "not run (labels the model does not know): cycling (1 window), stairs_up (5 windows)" \
        in summary_lines(rep)
    html = write_html(rep, tmp_path / "r.html", "r.png").read_text()
    assert "not run (labels the model does not know): cycling (1 window), stairs_up (5 windows)" in html
    assert not any("not run" in line for line in summary_lines(_report()))


def test_cli_exit_code_follows_the_latency_budget(tiny_model, tmp_path, capsys):
    out = tmp_path / "r"
    rc = main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate", "--max-windows",
               "10", "--latency-budget-ms", "0.000001", "--out", str(out)])
    text = capsys.readouterr().out
    rep = json.loads((out / "hil_report.json").read_text())
    suite = ET.parse(out / "hil_junit.xml").getroot()
    assert rc == 1 and "HIL FAIL" in text and "latency_within_budget" in text
    assert rep["passed"] is False and rep["bit_exact"] is True  # bit-exact alone is not a pass
    assert int(suite.get("failures")) >= 1


def test_an_emulated_run_says_so_and_names_the_host_clock(tiny_model, tiny_data, tmp_path, capsys):
    assert main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate", "--max-windows",
                 "5", "--out", str(tmp_path / "cli")]) == 0
    out = capsys.readouterr().out
    rep = json.loads((tmp_path / "cli" / "hil_report.json").read_text())
    assert rep["emulated"] is True and rep["device"]["emulated"] is True
    assert rep["latency"]["clock"] == CLOCK_EMULATED and "host" in CLOCK_EMULATED
    assert "device clock" not in out and "host clock, emulated device" in out
    html = (tmp_path / "cli" / "hil_report.html").read_text()
    assert "device clock" not in html and "emulated device" in html
    # an emulator reached through --port is recognised by the name it reports
    with start_emulator(tiny_model) as emu:
        link = SerialLink(emu.port)
        try:
            rep2 = run_hil(tiny_model, tiny_model, link, out=tmp_path / "port", max_windows=5)
        finally:
            link.close()
    assert rep2.emulated and rep2.latency["clock"] == CLOCK_EMULATED


def test_mismatches_carry_their_start_time_and_recording(tiny_model, tiny_data, tmp_path):
    with start_emulator(tiny_model, hil_faults=HilFaults(corrupt_output_at=(4,))) as emu:
        link = SerialLink(emu.port)
        try:
            rep = run_hil(tiny_model, tiny_data, link, out=tmp_path / "r", max_windows=10, pipeline=1)
        finally:
            link.close()
    assert rep.mismatch_count == 1
    mm = rep.mismatches[0]
    assert isinstance(mm["start_s"], float) and mm["start_s"] >= 0
    assert mm["recording"].endswith(".imu.parquet")


class DisconnectingLink:
    """A link whose device goes away after ``writes`` writes (a board unplugged mid-run)."""

    def __init__(self, link, writes: int):
        self.link, self.left = link, writes
        self.description = link.description

    def write(self, data: bytes) -> None:
        self.left -= 1
        if self.left < 0:
            raise LinkClosed(f"{self.description}: device disconnected")
        self.link.write(data)

    def read(self, timeout: float) -> bytes:
        if self.left < 0:
            raise LinkClosed(f"{self.description}: device disconnected")
        return self.link.read(timeout)

    def close(self) -> None:
        self.link.close()


def test_a_device_that_disconnects_mid_run_gets_a_partial_report_and_exit_1(tiny_model, tmp_path, capsys,
                                                                             monkeypatch):
    import imuforge.commands.hil as cmd

    def open_link(args):
        emu = start_emulator(tiny_model)
        return DisconnectingLink(SerialLink(emu.port), writes=12), emu, None

    monkeypatch.setattr(cmd, "open_link", open_link)
    out = tmp_path / "r"
    rc = main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--port", "unused", "--pipeline",
               "1", "--max-windows", "20", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 1 and "HIL FAIL" in text and "device disconnected" in text
    rep = json.loads((out / "hil_report.json").read_text())
    assert rep["disconnected"] is True and rep["passed"] is False
    assert 0 < rep["windows_completed"] < rep["windows"] == 20
    suite = ET.parse(out / "hil_junit.xml").getroot()
    failures = {tc.get("name"): tc.find("failure").get("message") for tc in suite.iter("testcase")
                if tc.find("failure") is not None}
    assert "device disconnected" in failures["all_windows_completed"]
    assert f"window_{rep['windows'] - 1:05d}" in failures  # the windows never run are listed as failed


def test_a_report_already_in_out_is_replaced_only_with_overwrite(tiny_model, tmp_path, capsys):
    out = tmp_path / "r"
    args = ["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate", "--max-windows", "3",
            "--out", str(out)]
    assert main(args) == 0
    first = (out / "hil_report.json").read_text()
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "already holds a HIL report" in err and "--overwrite" in err
    assert (out / "hil_report.json").read_text() == first  # untouched
    assert main([*args, "--overwrite"]) == 0


@pytest.mark.parametrize("emulated, name, kind, title, clock", [
    (True, "imuforge-emulator: m [generated C]", "emulated", "emulated device", CLOCK_EMULATED),
    (False, "qemu-cgen m (generated C, Cortex-M4)", "qemu", "QEMU firmware", CLOCK_QEMU),
    (False, "nano33-cgen (generated C, SMLAD, nRF52840)", "board", "real board", CLOCK_DEVICE),
])
def test_every_report_format_names_what_produced_it(tmp_path, emulated, name, kind, title, clock):
    """stdout, JSON, JUnit, HTML (and the figure) all say emulated device / QEMU firmware / real board, from
    one place (report.PRODUCERS); the latency clock follows it (QEMU: emulated SysTick time, not a
    board's)."""
    from imuforge.hil.device import describe_device
    from imuforge.hil.report import latency_clock, producer_kind

    device = {**_report().device, "name": name, **describe_device(name)}
    assert producer_kind(emulated, device) == kind and latency_clock(kind) == clock
    rep = _report(device=device, emulated=emulated, latency={**_report().latency, "clock": clock})
    files = write_reports(rep, tmp_path)
    line = rep.produced_by()
    assert line.startswith(title) and name in line
    assert any(x == f"produced by {line}" for x in summary_lines(rep))
    doc = json.loads(open(files["json"]).read())
    assert doc["produced_by"] == {"kind": kind, "description": line} and doc["latency"]["clock"] == clock
    props = {p.get("name"): p.get("value") for p in ET.parse(files["junit"]).getroot().iter("property")}
    assert (props["produced_by"], props["produced_by_kind"], props["latency_clock"]) == (line, kind, clock)
    import html as H

    page = H.unescape(open(files["html"]).read())
    assert line in page and clock in page
    if kind == "qemu":
        assert "not a real board" in clock and "QEMU emulated SysTick" in "\n".join(summary_lines(rep))


def test_an_export_that_failed_its_checks_is_named_before_the_device_runs(tiny_model, tmp_path, capsys):
    """HIL tests the files as they are; a card whose own checks failed gets one warning naming them."""
    import shutil

    failed = tmp_path / "failed_export"
    shutil.copytree(tiny_model, failed)
    card = json.loads((failed / "card.json").read_text())
    card["checks"]["checks_passed"]["int8_drop_within_1_point"] = "FAIL"
    # as an export whose check failed writes it
    (failed / "card.json").write_text(json.dumps(sign_card(card)))
    assert main(["hil", "--model", str(failed), "--data", str(tiny_model), "--emulate", "--max-windows", "3",
                 "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "warning: this export failed its own checks (int8_drop_within_1_point; see" in err
    assert main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate",
                 "--max-windows", "3", "--out", str(tmp_path / "r2")]) == 0
    assert "failed its own checks" not in capsys.readouterr().err


def test_hil_emulate_plays_the_device_the_export_card_names(tiny_model, tmp_path, capsys):
    """`hil --emulate` without --profile emulates the card's device (the model was made for it); a card that
    names none, several or one not installed here falls back to the documented default — the last with a
    warning (a profile file is kept by its name: a fresh user's own board was emulated as another without a
    word)."""
    import shutil

    from imuforge.commands.hil import DEFAULT_EMULATED, emulated_profile

    export = tmp_path / "export"
    shutil.copytree(tiny_model, export)
    card = json.loads((export / "card.json").read_text())
    for named, expected in (("smartphone-waist", "smartphone-waist"), (None, DEFAULT_EMULATED),
                            (["smartphone-waist", "metamotions"], DEFAULT_EMULATED),
                            ("a-board-of-another-machine", DEFAULT_EMULATED)):
        card["device"]["profile"] = named
        (export / "card.json").write_text(json.dumps(sign_card(card)))
        assert emulated_profile(export) == expected
        warned = capsys.readouterr().err
        assert ("warning: the export card's device a-board-of-another-machine is not a profile here" in warned
                ) is (named == "a-board-of-another-machine"), warned


def test_hil_model_given_as_the_model_file_names_its_folder(tiny_model, tmp_path, capsys):
    assert main(["hil", "--model", str(tiny_model / "model.tflite"), "--data", str(tiny_model), "--emulate",
                 "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file; --model takes the export folder that holds it" in err
    assert f"(here: {tiny_model})" in err and not (tmp_path / "r").exists()


def test_test_data_of_another_body_site_are_named():
    from types import SimpleNamespace

    from imuforge.hil.runner import data_notes

    def notes(card_placement, worn):
        card = SimpleNamespace(device=SimpleNamespace(placement=card_placement),
                               data=SimpleNamespace(training=[]),
                               input=SimpleNamespace(window_s=1.0, stride_s=0.5, odr_hz=25.0, channels=()))
        return data_notes(card, [], [{"placements": sorted(worn), "subjects": []}])

    assert notes("waist_front", {"wrist_left"})[0].startswith(
        "the test data are worn at wrist_left, the model is for waist_front")
    # mixed data were called all waist_front
    assert notes("wrist_left", {"wrist_left", "waist_front"})[0].startswith(
        "part of the test data are worn at waist_front (the rest at wrist_left), the model is for wrist_left")
    for card, data in (("wrist_right", {"wrist_left"}), (None, {"wrist_left"}), ("chest", set()),
                       (["chest", "wrist_left"], {"wrist_right"})):
        assert notes(card, data) == ()


def test_a_run_on_the_models_own_data_says_so_in_every_report(tiny_model, tiny_data, tmp_path, capsys):
    """The export's validation windows, and the recordings that trained it, score the model on what it has
    met: the console's summary, hil_report.json and the HTML report say so (a fresh user's run
    read 'HIL PASS, accuracy 100 %' on a training recording with no word)."""
    from imuforge.export.card import scored_on
    from imuforge.hil.runner import load_export

    assert scored_on(load_export(tiny_model).card.data.test.source) == "validation"
    for data, said in ((tiny_model, "these are the export's own test windows, training run's validation"),
                       (tiny_data, "these data are in its --data")):
        out = tmp_path / data.name
        assert main(["hil", "--model", str(tiny_model), "--data", str(data), "--emulate", "--max-windows",
                     "4", "--out", str(out)]) == 0
        printed = capsys.readouterr().out  # with the summary, after the run: a refusal before it is one line
        notes = json.loads((out / "hil_report.json").read_text())["data"]["notes"]
        assert notes[0].startswith(said), notes  # (then eval's macro-F1 notes, for 4 windows of 3 classes)
        evals = ("macro-F1 counts", "not in the data and never predicted")
        assert all(n.startswith(evals) for n in notes[1:])
        assert f"note: {notes[0]}" in printed
        assert html_escape(notes[0]) in (out / "hil_report.html").read_text()


def test_a_report_that_cannot_be_written_whole_leaves_none(tmp_path, monkeypatch):
    """A full disk while the report is written (here: the JUnit file) leaves no part of it — not a PNG and
    HTML beside an empty XML and no JSON — and an earlier report in the folder as it was; a folder made
    for it is removed again."""
    import imuforge.hil.report as R

    rep = _report()
    write_reports(rep, tmp_path / "old")
    before = {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()}

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(R, "write_junit", full)
    for where in (tmp_path / "old", tmp_path / "new"):
        with pytest.raises(OSError, match=f"could not be written into {where}: No space left on device"):
            write_reports(_report(), where)
    assert {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()} == before
    assert not (tmp_path / "new").exists()
