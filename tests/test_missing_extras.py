"""Without an optional extra, a command ends in one line naming the extra to install (exit 2), not a traceback.

``sys.modules[name] = None`` makes ``import name`` fail as if the package were not installed.
"""

from __future__ import annotations

import sys

import pytest

from imuforge.cli import main
from imuforge.errors import MissingExtraError, require_extra


def hide(monkeypatch, *names: str) -> None:
    for name in names:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setitem(sys.modules, name, None)


def test_require_extra_names_the_extra(monkeypatch):
    hide(monkeypatch, "bumble")
    with pytest.raises(MissingExtraError) as exc:
        require_extra("json", "bumble.device", purpose="imuforge emulate --ble")
    msg = str(exc.value)
    assert msg == ("imuforge emulate --ble needs the 'emulation' extra, and module bumble is not installed "
                   "(allowed: install it with pip install 'imuforge[emulation]')")
    assert exc.value.extra == "emulation"
    assert require_extra("json", purpose="x").__name__ == "json"


@pytest.fixture
def run_folder(tmp_path):
    """A folder that looks like a run: the extra check must come before anything reads it."""
    d = tmp_path / "run"
    d.mkdir()
    return d


@pytest.mark.parametrize("argv, hidden, command", [
    (["eval", "{run}", "--data", "{run}"], ("keras", "tensorflow"), "eval"),
    (["train", "--data", "{run}", "--out", "{out}"], ("keras", "tensorflow"), "train"),
    (["export", "{run}", "--out", "{out}"], ("tensorflow",), "export"),
    (["export", "{run}", "--out", "{out}"], ("tflite_micro",), "export"),
    (["export", "{run}", "--out", "{out}"], ("ai_edge_litert",), "export"),
    (["hil", "--model", "{run}", "--data", "{run}", "--emulate", "--out", "{out}"], ("tflite_micro",), "hil"),
    (["hil", "--model", "{run}", "--data", "{run}", "--port", "loop://", "--out", "{out}"], ("tflite_micro",), "hil"),
])
def test_commands_without_the_ml_extra_say_which_extra(run_folder, tmp_path, monkeypatch, capsys, argv, hidden,
                                                        command):
    monkeypatch.setenv("IMUFORGE_TF_LOGS", "1")  # no quiet preload: the command itself must notice
    hide(monkeypatch, *hidden)
    argv = [a.format(run=run_folder, out=tmp_path / "out") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"imuforge {command}: error: imuforge {command}")
    assert "needs the 'ml' extra" in err and "pip install 'imuforge[ml]'" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, hidden, extra", [
    (["emulate", "--ble"], ("bumble",), "emulation"),
    (["emulate", "--hil-model", "{run}", "--pty"], ("tflite_micro",), "ml"),
])
def test_emulate_without_its_extra_says_which(run_folder, monkeypatch, capsys, argv, hidden, extra):
    hide(monkeypatch, *hidden)
    assert main([a.format(run=run_folder) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"needs the '{extra}' extra" in err, err
