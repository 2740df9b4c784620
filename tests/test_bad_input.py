"""Bad input anywhere: exit 2, one line naming what is wrong and what is allowed, nothing half-written."""

from __future__ import annotations

import pytest

from imuforge.cli import main


def one_line_error(capsys, command: str) -> str:
    """The single stderr line of a refused command (no traceback, no second line)."""
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"imuforge {command}: error: "), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# ------------------------------------------------------------------------------------- motion
@pytest.mark.parametrize(
    "options, message",
    [
        (["--seconds", "0"], "--seconds = 0.0 is out of range (allowed: 1 … 3600 s)"),
        (["--seconds", "1e9"], "--seconds = 1000000000.0 is out of range (allowed: 1 … 3600 s)"),
        (["--seconds", "nan"], "--seconds = nan is out of range"),
        (["--seconds", "-5"], "--seconds = -5.0 is out of range"),
        (["--seconds", "3600", "--fps", "1000"], "too many to hold in memory (allowed: seconds × fps up to 360,000"),
        (["--n", "0"], "--n = 0 is out of range (allowed: 1 … 10000)"),
        (["--fps", "0"], "--fps = 0.0 is out of range (allowed: 5 … 1000 Hz)"),
    ],
)
def test_motion_numbers_out_of_range_are_refused_before_writing(tmp_path, capsys, options, message):
    out = tmp_path / "new" / "out"
    assert main(["motion", "walking", "--matcher", "keywords", *options, "--out", str(out)]) == 2
    assert message in one_line_error(capsys, "motion")
    assert not (tmp_path / "new").exists()


def test_motion_schedule_seconds_are_checked(tmp_path, capsys):
    assert main(["motion", "--schedule", "walking:0,standing:5", "--out", str(tmp_path / "s")]) == 2
    assert "walking:0" in one_line_error(capsys, "motion") and not (tmp_path / "s").exists()
    assert main(["motion", "--schedule", "walking:3000,standing:3000", "--out", str(tmp_path / "s")]) == 2
    assert "total duration" in one_line_error(capsys, "motion")


def test_motion_refuses_a_non_empty_out_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]
    assert main(args) == 2
    assert "exists and is not empty; choose another --out or pass --overwrite" in one_line_error(capsys, "motion")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert main([*args, "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["motions.json", "walking_000.motion.npz"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or old folder left


def test_motion_fills_an_existing_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]) == 0
    assert (out / "walking_000.motion.npz").exists()


def test_a_failed_motion_run_leaves_no_out_folder(tmp_path, capsys, monkeypatch):
    import imuforge.sensors
    from imuforge.errors import ValidationError

    def broken(*a, **k):
        raise ValidationError("simulated failure half way")

    monkeypatch.setattr(imuforge.sensors, "simulate", broken)
    out = tmp_path / "a" / "b"
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--n", "2",
                 "--profile", "metamotions", "--out", str(out)]) == 2
    assert "simulated failure half way" in one_line_error(capsys, "motion")
    assert list(tmp_path.iterdir()) == []  # neither the out folder, its parents nor a staging folder


def test_a_failed_overwrite_keeps_the_old_folder(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["motion", "--from", str(tmp_path / "missing.npy"), "--label", "walking", "--overwrite",
                 "--out", str(out)]) == 2
    one_line_error(capsys, "motion")
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and len(list(tmp_path.iterdir())) == 1


def test_motion_does_not_echo_a_long_text_in_full(tmp_path, capsys):
    text = "walk " * 2000
    assert main(["motion", text, "--matcher", "keywords", "--seconds", "2", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert len(out) < 400 and "(10000 characters)" in out
    assert main(["motion", "zzz " * 2500, "--matcher", "keywords", "--out", str(tmp_path / "p")]) == 2
    err = one_line_error(capsys, "motion")
    assert len(err) < 600 and "(10000 characters)" in err
