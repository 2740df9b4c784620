"""A fresh user's review of ``imuforge hil``: --out inside the export is refused; link options the link
never uses are refused."""

from __future__ import annotations

import shutil

import pytest

from imuforge.cli import main


def _hil(model, data, out, *extra) -> int:
    return main(["hil", "--model", str(model), "--data", str(data), "--emulate", "--out", str(out), *extra])


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("imuforge hil: error: "), err
    return err


@pytest.mark.parametrize("inside", [".", "c", "c/deeper"])
def test_out_in_the_export_folder_is_refused(tiny_model, tmp_path, capsys, inside):
    """--out EXPORT (or its c/) had written the reports among the export's files, and export --overwrite
    then refused that folder as 'holds other files than an export'."""
    model = tmp_path / "exp"
    shutil.copytree(tiny_model, model)
    before = sorted(p.relative_to(model) for p in model.rglob("*"))
    assert _hil(model, model, model / inside) == 2
    err = _one_error(capsys)
    what = "is the export folder" if inside == "." else "is inside the export folder"
    assert f"{what} --model {model} (allowed: a folder of its own, outside the export)" in err
    assert sorted(p.relative_to(model) for p in model.rglob("*")) == before


@pytest.mark.parametrize("link, flag, users", [
    (["--emulate", "--hci", "usb:0"], "--hci", "only --ble uses"),
    (["--emulate", "--wait-s", "5"], "--wait-s", "only --port-file uses"),
    (["--qemu", "--baud", "115200"], "--baud", "only --port or --port-file use"),
    (["--emulate", "--baud", "9600"], "--baud", "only --port or --port-file use"),
    (["--port", "loop://", "--wait-s", "5"], "--wait-s", "only --port-file uses"),
    (["--ble", "imuforge-hil", "--baud", "9600"], "--baud", "only --port or --port-file use"),
])
def test_link_options_the_link_never_uses_are_refused(tmp_path, capsys, link, flag, users):
    """--emulate --hci usb:0, --emulate --wait-s 5 and --qemu --baud 115200 had exited 0 (the last with a
    report saying '@ 115200' of a socket that has no baud rate)."""
    assert main(["hil", "--model", str(tmp_path), "--data", str(tmp_path), *link,
                 "--out", str(tmp_path / "r")]) == 2
    err = _one_error(capsys)
    assert f"{flag} with {link[0]}: " in err and f"{users}, and {link[0]} does not" in err
    assert f"or leave out {flag})" in err and not (tmp_path / "r").exists()
