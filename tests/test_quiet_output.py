"""IMUFORGE_PROGRESS=0 hides the libraries' bars and INFO lines too, not only imuforge's own; and the
libraries' bars never go into a log or a pipe (stderr not a terminal)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(code: str, progress: str, terminal: bool = False) -> subprocess.CompletedProcess:
    """Run ``code``; with ``terminal`` its stderr is a pseudo-terminal (as in an interactive shell)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "IMUFORGE_PROGRESS")}
    env["IMUFORGE_PROGRESS"] = progress
    if not terminal:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                              check=False)
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    try:
        proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=slave, text=True,
                              env=env, timeout=300, check=False)
        os.close(slave)
        slave = -1
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            err += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout, err.decode(errors="replace"))


BAR = ("from tqdm import tqdm\n"
       "for _ in tqdm(range(3), file=sys.stderr, desc='a library bar'): pass\n")


@pytest.mark.parametrize("start", ["import sys, imuforge.progress\n",
                                   "import sys, imuforge.cli\nimuforge.cli.build_parser()\n"])
def test_a_third_party_tqdm_bar_is_hidden_by_imuforge_progress_0(start):
    assert _run(start + BAR, "0", terminal=True).stderr == ""
    assert "a library bar" in _run(start + BAR, "1", terminal=True).stderr  # and shown otherwise on a terminal
    assert _run(start + BAR, "1").stderr == ""  # never into a log or a pipe: a one-line error stays one line


def test_keras_progress_output_is_switched_off():
    pytest.importorskip("keras")
    code = ("import keras, imuforge.progress as p\n"
            "p.progress(range(1))\n"
            "print(keras.utils.is_interactive_logging_enabled())\n")
    assert _run(code, "0", terminal=True).stdout.strip() == "False"
    assert _run(code, "1", terminal=True).stdout.strip() == "True"
