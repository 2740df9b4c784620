"""The emulated wearable runs the export's generated C, so HIL compares two implementations.

``hil --emulate`` (engine "auto"): the device's outputs come from the generated C compiled on the
host, the reference from TFLM; the HIL_MODEL name says which. Without a compiler it falls back to
TFLM and says so in one line.
"""

from __future__ import annotations

import json
import shutil

import pytest

from imuforge.bridge.links import SerialLink
from imuforge.cli import main
from imuforge.hil.device import HilDevice, start_emulator
from imuforge.hil.runner import run_hil


def test_hil_emulate_runs_generated_c_and_is_bit_exact(tiny_model, tmp_path, capsys):
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no host C compiler")
    rc = main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--emulate", "--out", str(tmp_path)])
    assert rc == 0, capsys.readouterr().err[-2000:]
    rep = json.loads((tmp_path / "hil_report.json").read_text())
    assert rep["emulated"] and rep["bit_exact"] and rep["passed"] and rep["windows"] > 0
    assert rep["device"]["name"].endswith("[generated C]")
    assert rep["device"]["implementation"] == "generated C" and rep["device"]["device"] == "emulated"
    assert rep["device"]["reference"] == "host TFLM interpreter"
    card = json.loads((tiny_model / "card.json").read_text())
    if "generated_c" in card["size"]:
        assert rep["arena_used_bytes"] == card["size"]["generated_c"]["arena_bytes"]


def test_generated_c_device_differs_from_tflm_device_only_in_name_and_arena(tiny_model):
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no host C compiler")
    c, t = HilDevice.from_export(tiny_model, engine="cgen"), HilDevice.from_export(tiny_model, engine="tflm")
    assert c.cgen is not None and c.engine == "generated C" and t.cgen is None and t.engine == "TFLM"
    ic, it = c.identity(), t.identity()
    assert ic.sha256 == it.sha256 and ic.input_shape == it.input_shape and ic.output_scale == it.output_scale
    assert ic.name.endswith("[generated C]") and it.name.endswith("[TFLM]")
    assert 0 < c.arena_used < t.arena_used


def test_without_a_compiler_the_emulator_falls_back_to_tflm_and_says_so(tiny_model, tmp_path, monkeypatch, capsys):
    from imuforge.export.cgen import build

    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with start_emulator(tiny_model) as emu:
        assert emu.hil.engine == "TFLM" and emu.hil.cgen is None
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "generated C unavailable" in err[0] and "TFLM" in err[0]
        link = SerialLink(emu.port)
        try:
            rep = run_hil(tiny_model, tiny_model, link, out=tmp_path, max_windows=10)
        finally:
            link.close()
    assert rep["bit_exact"] and rep["device"]["name"].endswith("[TFLM]")
    assert rep["device"]["implementation"] == "TFLM interpreter"
    with pytest.raises(Exception, match="compiler"):
        HilDevice.from_export(tiny_model, engine="cgen")


def test_emulate_hil_model_runs_the_generated_c_by_default(tiny_model, tmp_path):
    """docs/HIL.md: `imuforge emulate --hil-model EXPORT` (no --engine) runs the generated C (engine auto),
    not the TFLM interpreter; `--engine tflm` asks for the interpreter."""
    import subprocess
    import sys

    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no host C compiler")
    for extra, implementation in (([], "generated C"), (["--engine", "tflm"], "TFLM interpreter")):
        cmd = [sys.executable, "-m", "imuforge.cli", "emulate", "--hil-model", str(tiny_model), "--pty",
               *extra]
        emu = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = emu.stdout.readline()
            assert "emulated" in line, emu.stderr.read() if emu.poll() is not None else line
            link = SerialLink(line.split()[-1])
            try:
                rep = run_hil(tiny_model, tiny_model, link, out=tmp_path / implementation, max_windows=3)
            finally:
                link.close()
        finally:
            emu.kill()
            _, err = emu.communicate(timeout=10)
        assert rep.device["implementation"] == implementation and rep.bit_exact, (rep.device["name"], err)
        assert "generated C unavailable" not in err


def _unhash(d):
    """The card as written before it hashed the generated C (re-signed: only the C is damaged)."""
    from imuforge.export.card import sign_card

    card = json.loads((d / "card.json").read_text())
    card["model"].pop("files_sha256", None)
    (d / "card.json").write_text(json.dumps(sign_card(card), indent=1))


@pytest.mark.parametrize("damage, message", [
    (lambda d: next((d / "c").glob("*.c")).write_text("this is not C\n"),
     "corrupt export folder: {d}/c/hil_selftest.c: sha256 "),  # card.json hashes the generated C
    (lambda d: (_unhash(d), next((d / "c").glob("*.c")).write_text("this is not C\n")),
     "corrupt export folder: {d}/c/hil_selftest.c: the generated C does not compile"),  # an older card
    (lambda d: (d / "reference.npz").unlink(), "corrupt export folder: {d}/reference.npz: missing"),
])
def test_hil_emulate_with_a_damaged_export_fails_not_falls_back(tiny_model, tmp_path, capsys, damage,
                                                                message):
    """C sources that exist but do not compile are a corrupt export (a fallback to TFLM would compare TFLM
    with TFLM and pass); so is an export folder given as --data without its reference.npz."""
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no host C compiler")
    d = tmp_path / "export"
    shutil.copytree(tiny_model, d)
    damage(d)
    rc = main(["hil", "--model", str(d), "--data", str(d), "--emulate", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("imuforge hil: error: "), err
    assert message.format(d=d) in err and "(allowed: " in err and "generated C unavailable" not in err
    assert not (tmp_path / "out" / "hil_report.json").exists()
