"""The generated C in the QEMU Cortex-M4 firmware: ``imuforge hil --model EXPORT --qemu`` for every zoo model.

The device's outputs come from the Cortex-M4 build of the generated C (with and without the SMLAD
path); the reference is the host's TFLM interpreter. Also: the generated C, and the Nano 33 BLE Sense
sketch's C files with it, compile for the nRF52840 (Cortex-M4F, hard float ABI). Skipped without the ARM
toolchain/QEMU (the reason is given).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from imuforge.cli import main

from .conftest import ZOO_KWARGS

pytest.importorskip("tensorflow")
pytest.importorskip("tflite_micro")


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")


@pytest.mark.parametrize("name, dsp", [(n, False) for n in ZOO_KWARGS] + [("tiny_cnn", True), ("res_cnn", True)])
def test_hil_qemu_runs_the_generated_c_bit_exact(zoo_exports, tmp_path, capsys, name, dsp):
    _need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    exp = zoo_exports[name]
    out = tmp_path / "hil"
    rc = main(["hil", "--model", str(exp), "--data", str(exp), "--qemu", *(["--dsp"] if dsp else []),
               "--runs", "2", "--warmup", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.out[-2000:] + captured.err[-2000:]
    rep = json.loads((out / "hil_report.json").read_text())
    card = json.loads((exp / "card.json").read_text())
    assert rep["windows"] == rep["windows_completed"] == card["data"]["test"]["windows"] > 0
    assert rep["bit_exact"] and rep["mismatch_count"] == 0 and rep["passed"]
    assert rep["device"]["name"].startswith("qemu-cgen") and ("SMLAD" in rep["device"]["name"]) == dsp
    assert rep["device"]["device_sha256"] == rep["model"]["sha256"]
    assert rep["device"]["implementation"] == "generated C" and rep["device"]["device"] == "qemu"
    assert rep["arena_used_bytes"] == card["size"]["generated_c"]["arena_bytes"]
    lat = rep["latency"]
    assert 0 < lat["min_us"] <= lat["max_us"] <= 1.05 * lat["min_us"] + 2  # same code path every window


def test_the_firmware_built_by_hand_from_an_export_says_it_is_qemu(zoo_exports, tmp_path, capsys):
    """Built as firmware_bridge/qemu's Makefile says, from the export's own c/ (whose identity header names the
    model for any board), the firmware still names itself QEMU: the report says QEMU and its emulated clock,
    not a board's."""
    _need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    from imuforge.export.cgen.firmware import FIRMWARE
    from imuforge.hil.qemu import start_qemu

    exp = zoo_exports["tiny_cnn"]
    r = subprocess.run(["make", "-s", "-C", str(FIRMWARE / "qemu"), "cgen", f"CGEN_DIR={exp / 'c'}",
                        f"CGEN_BUILD={tmp_path / 'fw'}", "DSP=1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    board = start_qemu(tmp_path / "fw" / "imuforge_bridge.elf")
    try:
        rc = main(["hil", "--model", str(exp), "--data", str(exp), "--port", board.port, "--runs", "1",
                   "--warmup", "0", "--out", str(tmp_path / "hil")])
    finally:
        board.stop()
    captured = capsys.readouterr()
    assert rc == 0, captured.out[-2000:] + captured.err[-2000:]
    rep = json.loads((tmp_path / "hil" / "hil_report.json").read_text())
    assert rep["device"]["name"] == "qemu-cgen imuforge_model (generated C, SMLAD, Cortex-M4)"
    assert rep["device"]["device"] == "qemu" and rep["bit_exact"] and rep["passed"]
    assert "produced by QEMU firmware (" in captured.out and "produced by real board" not in captured.out


def test_generated_c_compiles_for_the_nrf52840_with_hard_float(zoo_exports, tmp_path):
    _need("arm-none-eabi-gcc")
    src = zoo_exports["ds_cnn"] / "c" / "imuforge_model.c"
    for dsp in ((), ("-DIFM_DSP",)):
        r = subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16",
                            "-mfloat-abi=hard", "-Os", "-Wall", "-Wextra", "-Werror", "-pedantic", *dsp,
                            "-c", str(src), "-o", str(tmp_path / "m.o")], capture_output=True, text=True, check=False)
        assert r.returncode == 0, r.stderr


def test_nano33_sketch_with_generated_c_compiles_for_the_nrf52840(zoo_exports, tmp_path):
    """`make nano33`: the Arduino Nano 33 BLE Sense sketch folder with the export's generated C (c/ as the export
    wrote it), every C file Arduino would compile in it built for the nRF52840 (Cortex-M4F, hard-float ABI, the
    SMLAD path) and linked into one relocatable object; the Arduino core itself is absent here."""
    _need("arm-none-eabi-gcc", "arm-none-eabi-readelf", "arm-none-eabi-nm", "arm-none-eabi-objdump", "make")
    from imuforge.export.cgen.firmware import FIRMWARE

    exp, out = zoo_exports["tiny_cnn"], tmp_path / "nano33"
    r = subprocess.run(["make", "-s", "-C", str(FIRMWARE), "nano33", f"CGEN_DIR={exp / 'c'}", f"NANO33_OUT={out}"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    sketch = out / "imuforge_bridge"
    ino = (sketch / "imuforge_bridge.ino").read_text()
    assert "ifb_cgen_model_get()" in ino and "TensorFlowLite" not in ino and "MicroInterpreter" not in ino
    assert (sketch / "imuforge_model.inc").read_bytes() == (exp / "c" / "imuforge_model.c").read_bytes()
    assert not (sketch / "imuforge_model.c").exists()  # compiled once, through ifb_model_dsp.c
    objs = {o.stem for o in (out / "obj").glob("*.o")}
    assert objs == {f.stem for f in sketch.glob("*.c")} >= {"ifb_hil", "ifb_proto", "ifb_cgen_model", "ifb_model_dsp"}
    attrs = subprocess.run(["arm-none-eabi-readelf", "-A", str(out / "imuforge_nano33.o")], capture_output=True,
                           text=True, check=True).stdout
    assert "Tag_ABI_VFP_args: VFP registers" in attrs and "Tag_CPU_arch: v7E-M" in attrs
    syms = subprocess.run(["arm-none-eabi-nm", str(out / "imuforge_nano33.o")], capture_output=True, text=True,
                          check=True).stdout
    defined = {ln.split()[-1] for ln in syms.splitlines() if ln.split()[-2:-1] == ["T"]}
    assert {"imuforge_model_run", "ifb_cgen_model_get", "ifb_cgen_model_set_name", "ifb_hil_init"} <= defined
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", str(out / "obj" / "ifb_model_dsp.o")], capture_output=True,
                         text=True, check=True).stdout
    assert "smlad" in dis  # the DSP path, not the plain C


def test_nano33_build_without_the_identity_header_says_so(zoo_exports, tmp_path):
    _need("make")
    from imuforge.export.cgen.firmware import FIRMWARE

    cdir = tmp_path / "c"
    cdir.mkdir()
    for f in ("imuforge_model.c", "imuforge_model.h"):
        shutil.copyfile(zoo_exports["tiny_cnn"] / "c" / f, cdir / f)
    r = subprocess.run(["make", "-s", "-C", str(FIRMWARE), "nano33", f"CGEN_DIR={cdir}", f"NANO33_OUT={tmp_path / 'o'}"],
                       capture_output=True, text=True, check=False)
    assert r.returncode != 0 and "has no ifb_cgen_identity.h" in r.stderr


def test_the_firmware_targets_name_an_export_made_with_another_name(zoo_exports, tmp_path):
    """An export with ``--name har`` holds har.c: `make nano33` failed at a raw `cp: cannot stat`, leaving a
    half-assembled sketch folder, and `make cgen` blamed a relative CGEN_DIR given absolute. Both say what the
    folder holds and what the firmware builds, exit 2, and nothing is written."""
    _need("make")
    from imuforge.export.cgen.firmware import FIRMWARE

    cdir = tmp_path / "c"
    cdir.mkdir()
    for src, dst in (("imuforge_model.c", "har.c"), ("imuforge_model.h", "har.h"),
                     ("ifb_cgen_identity.h", "ifb_cgen_identity.h")):
        shutil.copyfile(zoo_exports["tiny_cnn"] / "c" / src, cdir / dst)
    said = f"{cdir} holds no imuforge_model.c (it holds har.c): the firmware builds the model exported under"
    for folder, target, out in ((FIRMWARE, "nano33", f"NANO33_OUT={tmp_path / 'o'}"),
                                (FIRMWARE / "qemu", "cgen", f"CGEN_BUILD={tmp_path / 'o'}")):
        r = subprocess.run(["make", "-s", "-C", str(folder), target, f"CGEN_DIR={cdir}", out],
                           capture_output=True, text=True, check=False)
        assert r.returncode == 2 and said in r.stderr and "export without --name" in r.stderr, r.stderr
        assert not (tmp_path / "o").exists()


def test_card_gives_qemu_instructions_and_every_verdict(zoo_exports):
    _need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    exp = zoo_exports["tiny_cnn"]
    card = json.loads((exp / "card.json").read_text())
    g = card["size"]["generated_c"]
    q = g["qemu_cortex_m4"]
    assert isinstance(q, dict), q
    plain, dsp = q["plain"]["instructions_per_inference"], q["dsp"]["instructions_per_inference"]
    assert g["macs"] < dsp < plain  # at least one instruction per MAC; SMLAD takes fewer than plain C
    assert q["plain"]["instructions_per_mac"] == round(plain / g["macs"], 2)
    assert q["windows"] == q["plain"]["windows"] + q["dsp"]["windows"] > 0 and q["mismatches"] == 0
    assert card["checks"]["generated_c_equals_tflm_qemu"]["identical"] is True
    verdicts = card["checks"]["checks_passed"]
    assert set(verdicts) == {"int8_drop_within_1_point", "litert_agrees_with_tflm", "ops_supported_by_tflm",
                             "generated_c_equals_tflm", "generated_c_equals_tflm_qemu"}
    assert verdicts["generated_c_equals_tflm"] == verdicts["generated_c_equals_tflm_qemu"] == "pass"
    assert set(verdicts.values()) <= {"pass", "FAIL"}
    md = (exp / "card.md").read_text()
    assert f"**{plain} instructions per inference**" in md and "Verdict:" in md


def test_card_says_not_measured_without_qemu(zoo_exports, tmp_path):
    """PATH without qemu-system-arm, for a subprocess only: the card says why there is no figure."""
    import sys

    _need("arm-none-eabi-gcc", "make")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("arm-none-eabi-gcc", "make"):
        (bindir / tool).symlink_to(shutil.which(tool))
    exp = zoo_exports["tiny_cnn"]
    code = ("import json, sys; from pathlib import Path; from imuforge.export.card import ExportCard; "
            "from imuforge.export.exporter import _add_qemu_figures, card_markdown; "
            "card = ExportCard.read(Path(sys.argv[1], 'card.json')); "
            "_add_qemu_figures(Path(sys.argv[1]), card, enabled=True); "
            "print(json.dumps([card.size['generated_c']['qemu_cortex_m4'], card.checks['checks_passed'], "
            "card_markdown(card.to_json())]))")
    r = subprocess.run([sys.executable, "-c", code, str(exp)], capture_output=True, text=True, check=False,
                       env={"PATH": str(bindir), "HOME": os.environ.get("HOME", str(tmp_path)),
                            "IMUFORGE_PROGRESS": "0", "TF_CPP_MIN_LOG_LEVEL": "3",
                            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {})})
    assert r.returncode == 0, r.stderr[-2000:]
    q, verdicts, md = json.loads(r.stdout.strip().splitlines()[-1])
    assert q == "not measured: toolchain or QEMU missing (qemu-system-arm)"
    assert verdicts["generated_c_equals_tflm_qemu"] == "not checked: toolchain or QEMU missing (qemu-system-arm)"
    assert "Generated C in QEMU (Cortex-M4): not measured: toolchain or QEMU missing (qemu-system-arm)" in md
    assert "** (1 not checked: generated_c_equals_tflm_qemu)" in md


def test_stack_probe_build_reports_arena_plus_stack(zoo_exports):
    _need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    from imuforge.hil.qemu import measure_in_qemu

    exp = zoo_exports["res_cnn"]
    arena = json.loads((exp / "card.json").read_text())["size"]["generated_c"]["arena_bytes"]
    for dsp in (False, True):
        r = measure_in_qemu(exp, dsp=dsp, stack_probe=True, max_windows=2)
        assert r.bit_exact and r.instructions is None
        stack = r.arena_used - arena
        assert 64 <= stack < 2048, stack  # the kernels' frames: a few hundred bytes, far from the 4 KB painted


def test_export_command_prints_the_qemu_instructions_and_verdict(zoo_exports, tmp_path, capsys):
    _need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    run = json.loads((zoo_exports["tiny_cnn"] / "card.json").read_text())["model"]["run"]
    rc = main(["export", run, "--out", str(tmp_path / "exp")])
    out = capsys.readouterr().out
    assert rc == 0, out[-2000:]
    q = json.loads((tmp_path / "exp" / "card.json").read_text())["size"]["generated_c"]["qemu_cortex_m4"]
    line = next(ln for ln in out.splitlines() if ln.startswith("QEMU Cortex-M4"))
    assert (f"{q['plain']['instructions_per_inference']} instructions per inference" in line
            and f"SMLAD {q['dsp']['instructions_per_inference']} " in line)
    assert line.endswith(f"vs host TFLM: 0 of {q['windows']} windows differ [identical]")
    assert "c/ifb_cgen_identity.h" in out and (tmp_path / "exp" / "c" / "ifb_cgen_identity.h").exists()


def test_exporting_a_run_again_writes_the_same_c(zoo_exports, tmp_path):
    """The identity header named the export's staging folder (gone afterwards, another every time): the C of
    two exports of one run differed and the card's sha-256 of c/ with it."""
    from imuforge.export import export_run

    exp = zoo_exports["tiny_cnn"]
    header = (exp / "c" / "ifb_cgen_identity.h").read_text()
    assert header.splitlines()[0] == "/* Generated by imuforge export. Do not edit. */"
    again = tmp_path / "again"
    export_run(exp.parent / "run_tiny_cnn", again, qemu=False)
    for f in sorted((exp / "c").iterdir()):
        assert (again / "c" / f.name).read_bytes() == f.read_bytes(), f.name
    cards = [json.loads((d / "card.json").read_text()) for d in (exp, again)]
    assert cards[0]["model"]["files_sha256"] == cards[1]["model"]["files_sha256"]


def test_a_long_export_name_is_cut_never_the_platform_words(zoo_exports, tmp_path, capsys):
    """HIL_MODEL carries 60 characters: the firmware cuts the export's name to fit (the header names it for
    any board), so the name still says what runs it (it had lost "Cortex-M4)")."""
    _need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    exp = tmp_path / "har_watch_model_v12_final_with_a_long_name"
    shutil.copytree(zoo_exports["tiny_cnn"], exp)
    rc = main(["hil", "--model", str(exp), "--data", str(exp), "--qemu", "--dsp", "--runs", "1",
               "--warmup", "0", "--out", str(tmp_path / "hil")])
    captured = capsys.readouterr()
    assert rc == 0, captured.out[-2000:] + captured.err[-2000:]
    name = json.loads((tmp_path / "hil" / "hil_report.json").read_text())["device"]["name"]
    assert name == "qemu-cgen har_watch_model_v1 (generated C, SMLAD, Cortex-M4)" and len(name) <= 60


def test_an_export_made_with_another_name_is_named_as_such(tmp_path):
    """The QEMU firmware builds c/imuforge_model.c; an export made with --name holds c/<name>.c, and the
    refusal says that, not that the folder has no generated C — on a machine without the toolchain too."""
    from imuforge.errors import ValidationError
    from imuforge.export.cgen.firmware import build_firmware

    (tmp_path / "exp" / "c").mkdir(parents=True)
    (tmp_path / "exp" / "c" / "har_band.c").write_text("/* */\n")
    with pytest.raises(ValidationError, match=r"c/har_band.c \(exported with --name har_band\), and the "
                                              r"firmware builds c/imuforge_model.c"):
        build_firmware(tmp_path / "exp", tmp_path / "fw")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="has no generated C"):
        build_firmware(tmp_path / "empty", tmp_path / "fw")
    assert not (tmp_path / "fw").exists()
