"""Progress bars: a redrawn bar on a terminal, plain lines in a log or a pipe, nothing with
IMUFORGE_PROGRESS=0."""

from __future__ import annotations

import time

from imuforge import progress as P


def test_into_a_log_each_update_is_a_line_of_its_own(capsys, monkeypatch):
    monkeypatch.delenv("IMUFORGE_PROGRESS", raising=False)
    monkeypatch.setattr(P, "stderr_is_terminal", lambda: False)
    for _ in P.progress(range(30), desc="work", unit="step", mininterval=0.2, delay=0.0):
        time.sleep(0.02)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err and len(lines) >= 2 and len(lines) == len(set(lines))  # no repeated last state
    assert all(line.startswith("work:") for line in lines) and "30/30" in lines[-1]


def test_off_with_the_environment_switch(capsys, monkeypatch):
    monkeypatch.setenv("IMUFORGE_PROGRESS", "0")
    monkeypatch.setattr(P, "stderr_is_terminal", lambda: False)
    for _ in P.progress(range(5), desc="work", mininterval=0.0, delay=0.0):
        pass
    assert capsys.readouterr().err == ""


def test_a_log_line_keeps_its_figures_and_figures_do_not_force_a_line(capsys, monkeypatch):
    """Training's bar in a log: its loss and accuracies are not cut at 80 columns, and setting them each epoch
    does not print a line per epoch (only the bar's interval and its last state do)."""
    monkeypatch.delenv("IMUFORGE_PROGRESS", raising=False)
    monkeypatch.setattr(P, "stderr_is_terminal", lambda: False)
    bar = P.progress(total=50, desc="training", unit="epoch", delay=0.0)
    for _ in range(50):
        bar.set_postfix({"loss": "0.123", "accuracy": "0.950", "val_loss": "0.234", "val_accuracy": "0.910"},
                        refresh=False)
        bar.update(1)
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) <= 3, lines
    assert "val_accuracy=0.910" in lines[-1] and "50/50" in lines[-1], lines
