"""Progress bars: a redrawn bar on a terminal, plain lines in a log or a pipe, nothing with
IMUFORGE_PROGRESS=0."""

from __future__ import annotations

import time

from imuforge import progress as P


def test_into_a_log_each_update_is_a_line_of_its_own(capsys, monkeypatch):
    monkeypatch.delenv("IMUFORGE_PROGRESS", raising=False)
    monkeypatch.setattr(P, "_stderr_is_terminal", lambda: False)
    for _ in P.progress(range(30), desc="work", unit="step", mininterval=0.2, delay=0.0):
        time.sleep(0.02)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err and len(lines) >= 2 and len(lines) == len(set(lines))  # no repeated last state
    assert all(line.startswith("work:") for line in lines) and "30/30" in lines[-1]


def test_off_with_the_environment_switch(capsys, monkeypatch):
    monkeypatch.setenv("IMUFORGE_PROGRESS", "0")
    monkeypatch.setattr(P, "_stderr_is_terminal", lambda: False)
    for _ in P.progress(range(5), desc="work", mininterval=0.0, delay=0.0):
        pass
    assert capsys.readouterr().err == ""
