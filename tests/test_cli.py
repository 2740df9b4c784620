"""The foundation commands, run as a user would (through `imuforge.cli.main`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge import Dataset, read_recording
from imuforge.cli import main
from tests.conftest import rigid_motion


def test_profiles_list_and_show(profile_dir, capsys):
    assert main(["profiles", "list"]) == 0
    out = capsys.readouterr().out
    assert "testband" in out and "testchip" in out
    assert main(["profiles", "show", "testband", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["accel"]["range_g"] == 8 and shown["gyro"]["bits"] == 16
    assert main(["profiles", "show", "testband", "--odr", "7"]) == 2
    err = capsys.readouterr().err
    assert "7 Hz is not a rate its accelerometer and gyroscope share" in err and "allowed: 25, 50, 100" in err


def test_simulate_writes_recording_and_plot(profile_dir, tmp_path, capsys):
    t = np.arange(0, 6.0, 1 / 30)
    motion = rigid_motion(t, lambda t: np.outer(0.1 * np.sin(2 * np.pi * t), [1, 0.5, 0]),
                          lambda t: Rotation.from_rotvec(np.outer(0.5 * np.sin(3 * t), [0, 1, 0])), 30.0)
    mfile = motion.save(tmp_path / "m.motion.npz")
    out = tmp_path / "rec.imu.parquet"
    code = main(["simulate", "--motion", str(mfile), "--profile", "testband", "--placement", "waist_front",
                 "--seed", "3", "--out", str(out)])
    assert code == 0
    rec = read_recording(out)
    assert rec.profile == "testband" and rec.placement == "waist_front" and rec.provenance["seed"] == 3
    assert (tmp_path / "rec.png").stat().st_size > 10_000
    err = capsys.readouterr().err
    assert "gap(s)" not in err  # testband drops nothing
    # the rigid motion holds no label: said, with the command that labels it (a BVH was simulated silently)
    assert not rec.labels and "note: m.motion.npz holds no label: the recording is unlabelled" in err
    # the drops the plot's title counts are said on the console too (a fresh user's run, session 62): the
    # smartphone profile drops 0.2 % of its samples, 2–3 of 300
    assert main(["simulate", "--motion", str(mfile), "--profile", "smartphone-waist", "--seed", "3",
                 "--out", str(tmp_path / "phone.imu.parquet")]) == 0
    gaps = read_recording(tmp_path / "phone.imu.parquet").gaps()
    assert gaps and f"note: {len(gaps)} gap(s), {sum(g[2] for g in gaps)} samples dropped" in \
        capsys.readouterr().err
    # same seed, same bytes
    out2 = tmp_path / "rec2.imu.parquet"
    main(["simulate", "--motion", str(mfile), "--profile", "testband", "--placement", "waist_front",
          "--seed", "3", "--out", str(out2)])
    assert read_recording(out2) == rec


def test_simulate_keeps_an_existing_plot(profile_dir, tmp_path, capsys):
    """A file where the plot would go is the user's: refused without --overwrite, the recording not written;
    the default plot is the recording's name without its suffix (dots in the name kept)."""
    t = np.arange(0, 4.0, 1 / 30)
    motion = rigid_motion(t, lambda t: np.outer(0.1 * np.sin(2 * np.pi * t), [1, 0.5, 0]),
                          lambda t: Rotation.from_rotvec(np.outer(0.5 * np.sin(3 * t), [0, 1, 0])), 30.0)
    mfile = motion.save(tmp_path / "m.motion.npz")
    mine = tmp_path / "a.v2.png"
    mine.write_text("mine")
    out = tmp_path / "a.v2.imu.parquet"
    args = ["simulate", "--motion", str(mfile), "--profile", "testband", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "a.v2.png exists" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1, err
    assert mine.read_text() == "mine" and not out.exists()
    assert main(args + ["--plot", str(tmp_path / "other.png")]) == 0
    assert (tmp_path / "other.png").stat().st_size > 10_000 and mine.read_text() == "mine"
    assert main(["simulate", "--motion", str(mfile), "--profile", "testband",
                 "--out", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "b.png").exists()


def test_simulate_reports_missing_motion(profile_dir, tmp_path, capsys):
    code = main(["simulate", "--motion", str(tmp_path / "nope.motion.npz"), "--profile", "testband",
                 "--out", str(tmp_path / "x.imu.parquet")])
    assert code == 2 and "no such motion file" in capsys.readouterr().err


def test_dataset_info(tmp_path, capsys):
    from tests.test_recording import make_recording

    ds = Dataset.create(tmp_path / "ds")
    ds.add(make_recording(seed=1, drop=[3, 4]))
    ds.add(make_recording(seed=2))
    assert main(["dataset", "info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 recordings" in out and "walking" in out and "12.0 s" in out and "gaps:" in out
    # the rates line counts recordings, not distinct rates (a fresh user's run, session 62: 4 recordings at
    # 100 and 100.03 Hz read "100 Hz (2 recordings)")
    assert "Hz (2 recordings)" in next(line for line in out.splitlines() if "rates:" in line)
    assert main(["dataset", "info", str(tmp_path / "ds"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["recordings"] == 2


def test_dataset_info_reads_captures_as_calibrate_and_train_do(tmp_path, capsys):
    """A plain folder of recordings (what `imuforge capture` writes) and a single recording file."""
    from imuforge.recording import write_recording
    from tests.test_recording import make_recording

    caps = tmp_path / "captures"
    caps.mkdir()
    for i in (1, 2):
        write_recording(make_recording(seed=i), caps / f"cap{i}.imu.parquet")
    assert main(["dataset", "info", str(caps)]) == 0
    said = capsys.readouterr().out
    assert "2 recordings" in said and "(unlabelled)" not in said
    # a recording with a stretch no label covers: its time is shown (the labels' sum fell short unsaid)
    from imuforge.recording import LabelSegment

    part = make_recording(seed=3)
    t0 = float(part.timestamps[0])
    write_recording(part.replace(labels=[LabelSegment(t0, t0 + 4.0, "walking")]),
                    tmp_path / "part.imu.parquet")
    assert main(["dataset", "info", str(tmp_path / "part.imu.parquet")]) == 0
    said = capsys.readouterr().out
    assert f"(unlabelled)     {part.duration_s - 4.0:.1f} s" in said, said
    # a folder of motions, which no device recorded: said what it holds and what makes recordings of it
    from imuforge.motion.library import generate

    (tmp_path / "motions").mkdir()
    generate("standing", 2.0, fps=20, rng=0).save(tmp_path / "motions" / "s.motion.npz")
    assert main(["dataset", "info", str(tmp_path / "motions")]) == 2
    assert "it holds 1 motion file(s) (*.motion.npz), which no device has recorded yet" in \
        capsys.readouterr().err
    assert main(["dataset", "info", str(caps / "cap1.imu.parquet"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["recordings"] == 1
    (tmp_path / "notes.txt").write_text("x")
    assert main(["dataset", "info", str(tmp_path / "notes.txt")]) == 2
    assert "is not a recording" in capsys.readouterr().err
    # a CSV that is not a recording, found below a folder given: said to have been read as one (session 62)
    (caps / "notes.csv").write_text("name,age\nbob,3\n")
    assert main(["dataset", "info", str(caps)]) == 2
    err = capsys.readouterr().err
    assert "notes.csv: unknown column 'name'" in err and f"every *.csv below {caps}" in err
    # a recording with a bad row is a recording: said as such, without the hint (a fresh user's run)
    (caps / "notes.csv").unlink()
    (caps / "cap3.csv").write_text("time[s],acc_x[g]\n0,1\n0.02,nan\n0.04,1\n")
    assert main(["dataset", "info", str(caps)]) == 2
    err = capsys.readouterr().err
    assert "cap3.csv" in err and "line 3 holds no reading" in err and "every *.csv below" not in err


def test_motion_files_of_every_kind_and_clear_errors(profile_dir, tmp_path, capsys):
    from imuforge.motion.library import generate

    motion = generate("walking", 3.0, fps=20, rng=1)
    npy = tmp_path / "t2m.npy"
    np.save(npy, motion.positions)  # a text-to-motion output: (T, 22, 3) joint positions
    assert main(["simulate", "--motion", str(npy), "--profile", "testband", "--out", str(tmp_path / "a.imu.parquet")]) == 0
    bad = motion.positions.copy()
    bad[5, 3, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    assert main(["simulate", "--motion", str(tmp_path / "nan.npy"), "--profile", "testband",
                 "--out", str(tmp_path / "b.imu.parquet")]) == 2
    assert "nan.npy" in capsys.readouterr().err
    (tmp_path / "x.txt").write_text("hello")
    assert main(["simulate", "--motion", str(tmp_path / "x.txt"), "--profile", "testband",
                 "--out", str(tmp_path / "c.imu.parquet")]) == 2
    assert "unknown motion file type '.txt'" in capsys.readouterr().err
    # an imuforge motion file through `motion --from`, relabelled with a synonym
    mfile = motion.save(tmp_path / "m.motion.npz")
    assert main(["motion", "--from", str(mfile), "--label", "walk", "--out", str(tmp_path / "imp")]) == 0
    from imuforge.motion import read_motion

    assert read_motion(tmp_path / "imp" / "m.motion.npz").labels[0].label == "walking"


def test_override_errors_name_the_flag(profile_dir, capsys):
    assert main(["profiles", "show", "testband", "--range-g", "3"]) == 2
    err = capsys.readouterr().err
    assert "--range-g (profile 'testband')" in err and "allowed: 2, 4, 8, 16" in err


def test_a_bad_option_is_one_line_and_exit_2(capsys, tmp_path):
    """argparse's own errors follow the house rule too: one line with what is allowed, no usage block."""
    import pytest

    for argv, says in ((["calibrate", "--synthetic", "a", "--real", "b", "--out", "c", "--map", "perclass"],
                        "choose from 'none', 'global', 'per-class', 'magnitude'"),
                       (["nosuch"], "invalid choice: 'nosuch'"),
                       (["train", "--epochs", "many"], "invalid int value"),
                       # an option no parser knows: named by the command (and action) it was given to
                       (["calibrate", "--synthetic", "a", "--real", "b", "--out", "c", "--bogus"],
                        "imuforge calibrate: error: unrecognized arguments: --bogus (see imuforge calibrate"),
                       (["dataset", "info", "a", "--bogus", "x"],
                        "imuforge dataset info: error: unrecognized arguments: --bogus x"),
                       (["--bogus"], "imuforge: error: unrecognized arguments: --bogus")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err and "usage:" not in err, err
    assert not (tmp_path / "c").exists()


def test_an_empty_value_is_refused_not_read_as_the_current_folder_or_not_given(capsys, tmp_path, monkeypatch):
    """``--port "$PORT"`` with PORT unset, ``--out ""``, ``dataset info ""``: one line naming the empty
    option, exit 2, nothing written in the working folder; ``--augment ""`` keeps its meaning (no
    augmentation)."""
    import pytest

    monkeypatch.chdir(tmp_path)
    for argv, says in ((["capture", "--port", "", "--seconds", "1", "--out", "x.imu.parquet"],
                        "imuforge capture: error: --port is empty"),
                       (["hil", "--model", "m", "--data", "d", "--port-file", " ", "--out", "h"],
                        "imuforge hil: error: --port-file is empty"),
                       (["motion", "walking", "--n", "1", "--out="],
                        "imuforge motion: error: --out is empty"),
                       (["dataset", "info", ""], "imuforge dataset info: error: an argument ('') is empty"),
                       (["profiles", "show", ""],
                        "imuforge profiles show: error: an argument ('') is empty"),
                       # a flag takes no value: the empty word after it is the argument
                       (["dataset", "info", "--json", ""],
                        "imuforge dataset info: error: an argument ('') is empty")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []
    from imuforge.cli import _empty_value

    assert _empty_value(["train", "--augment", "", "--data", "d"]) is None
    assert _empty_value(["train", "--augment=", "--data", "d"]) is None
    assert _empty_value(["train", "--val", "", "--data", "d"]) is None  # --val "": none, as documented


def test_an_error_names_the_action_of_a_command_that_has_actions(profile_dir, tmp_path, capsys):
    """`imuforge dataset select …` and `imuforge profiles show …` say so in their one-line error, as
    argparse's own errors do (`imuforge dataset select: error: …`); a command without actions: its name."""
    none = str(tmp_path / "none")
    for argv, ran in ((["dataset", "select", none, "--out", str(tmp_path / "o")], "dataset select"),
                      (["dataset", "info", none], "dataset info"),
                      (["profiles", "show", "nosuchband"], "profiles show"),
                      (["simulate", "--motion", str(tmp_path / "none.motion.npz"), "--profile", "testband",
                        "--out", str(tmp_path / "r.imu.parquet")], "simulate")):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"imuforge {ran}: error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "imuforge", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("imuforge ")


def test_port_file_wait_and_retries_help_agree_with_the_docs(capsys):
    """--wait-s states its default; capture --retries names every stretch asked again (a walking stretch that
    did not move too, as docs/BRIDGE.md says); docs/HIL.md's usage names --port-file and --wait-s."""
    import re
    from pathlib import Path

    import pytest

    docs = Path(__file__).resolve().parents[1] / "docs"
    for command in ("hil", "capture"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        wait = r"--wait-s WAIT_S\s+--port-file: how long to wait for it \(s, default 30\)"
        assert re.search(wait, text), text
        if command == "capture":
            assert "a moving one (walking, running, stairs, jumping) that hardly moved" in text
    hil = (docs / "HIL.md").read_text()
    usage = hil.split("imuforge hil --model EXPORT_DIR --data DATA", 1)[1].split("```", 1)[0]
    assert "--port-file FILE [--wait-s S]" in usage
    assert "`--port-file FILE`" in hil and "`--wait-s`" in hil and "(default 30)" in hil
    assert "a stretch that failed its check is asked again" in (docs / "BRIDGE.md").read_text()


def test_a_unit_option_takes_a_minus_unit_after_a_space_and_nothing_else(capsys):
    """--csv-acc-unit -g (and argparse's abbreviation --csv-acc -g) read the unit -g; a following option, a
    bare -- or a negative number are left to argparse as before (one line, exit 2, no traceback)."""
    import pytest

    from imuforge.cli import build_parser

    parser = build_parser()
    port = ["--port", "loop://"]
    for argv in (["capture", *port, "--csv-acc-unit", "-g"], ["capture", *port, "--csv-acc", "-g"],
                 ["capture", *port, "--csv-gyro-unit", "-dps", "--csv-acc-unit=-g"]):
        args = parser.parse_args(argv)
        assert args.csv_acc_unit == "-g" or args.csv_gyro_unit == "-dps", argv
    for argv in (["capture", *port, "--csv-acc-unit", "--rate", "5"], ["capture", *port, "--csv-acc-unit", "--"],
                 ["capture", *port, "--csv-acc-unit", "--rate=100"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "expected one argument" in err and "Traceback" not in err, argv


def test_a_folder_option_given_twice_keeps_both():
    """``imuforge train --data w --data s`` trained on s alone ("the data hold only one label"): argparse kept
    the last one. A repeated folder option now adds to the comma-separated list; the first replaces the
    default."""
    from imuforge.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["train", "--data", "w", "--data", "s,t", "--out", "r"])
    assert (args.data, args.real, args.val) == ("w,s,t", "", "auto")
    assert parser.parse_args(["train", "--val", "cap", "--val", "cap2", "--out", "r"]).val == "cap,cap2"
    assert parser.parse_args(["eval", "run", "--data", "a", "--data", "b"]).data == "a,b"
    assert parser.parse_args(["export", "run", "--out", "x", "--data", "a", "--data", "b"]).data == "a,b"


def test_a_word_that_stands_alone_is_not_joined(capsys):
    """``--val auto --val cap`` read "auto" as a folder (a review of session 61)."""
    from imuforge.cli import build_parser

    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["train", "--val", "auto", "--val", "cap", "--out", "r"])
    assert exc.value.code == 2
    assert "--val auto stands alone" in capsys.readouterr().err
