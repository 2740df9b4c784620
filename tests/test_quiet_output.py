"""IMUFORGE_PROGRESS=0 hides the libraries' bars and INFO lines too, not only imuforge's own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(code: str, progress: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "IMUFORGE_PROGRESS")}
    env["IMUFORGE_PROGRESS"] = progress
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          check=False)


BAR = ("from tqdm import tqdm\n"
       "for _ in tqdm(range(3), file=sys.stderr, desc='a library bar'): pass\n")


@pytest.mark.parametrize("start", ["import sys, imuforge.progress\n",
                                   "import sys, imuforge.cli\nimuforge.cli.build_parser()\n"])
def test_a_third_party_tqdm_bar_is_hidden_by_imuforge_progress_0(start):
    assert _run(start + BAR, "0").stderr == ""
    assert "a library bar" in _run(start + BAR, "1").stderr  # and shown otherwise


def test_keras_progress_output_is_switched_off():
    pytest.importorskip("keras")
    code = ("import keras, imuforge.progress as p\n"
            "p.progress(range(1))\n"
            "print(keras.utils.is_interactive_logging_enabled())\n")
    assert _run(code, "0").stdout.strip() == "False"
    assert _run(code, "1").stdout.strip() == "True"
