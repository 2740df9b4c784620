"""Bad input anywhere: exit 2, one line naming what is wrong and what is allowed, nothing half-written."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
        # options that would be ignored (nothing is worn without a device; a description names its activity)
        (["--wear-variation", "none"],
         "--wear-variation needs --profile (the device to simulate the motions on)"),
        (["--wear-variation", "default"],  # said outright, as ignored as any other
         "--wear-variation needs --profile (the device to simulate the motions on)"),
        (["--label", "running"],
         "--label names the activity of a motion file (--from FILE) or of the T2M-GPT backend's motions "
         "(allowed: --from FILE --label ACTIVITY, --backend t2m-gpt --label ACTIVITY, or a description "
         "without --label)"),
        # two sources: one would be dropped without a word
        (["--schedule", "running:3"], "a description and --schedule: two motion sources, only one is made "
         "(allowed: a description, --schedule or --from FILE, one of them)"),
        (["--diversify", "--llm-url", "not a url"], "--llm-url 'not a url' is not an http(s) address"),
        (["--llm-url", "http://localhost:8080"], "--llm-url is the language model of --diversify"),
        (["--weights", "w"], "--weights are the T2M-GPT model's files; the library backend reads none"),
    ],
)
def test_motion_numbers_out_of_range_are_refused_before_writing(tmp_path, capsys, options, message):
    out = tmp_path / "new" / "out"
    assert main(["motion", "walking", "--matcher", "keywords", *options, "--out", str(out)]) == 2
    assert message in one_line_error(capsys, "motion")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("cut", [100, 3000])
def test_a_motion_file_cut_short_is_one_line(tmp_path, capsys, cut):
    """A .motion.npz truncated by a copy or a full disk (a damaged zip): one line, exit 2, for the commands
    that read motion files."""
    from imuforge.motion.library import generate

    whole = generate("walking", 2.0, fps=30, rng=0).save(tmp_path / "w.motion.npz")
    part = tmp_path / "cut.motion.npz"
    part.write_bytes(Path(whole).read_bytes()[:cut])
    assert main(["simulate", "--motion", str(part), "--profile", "metamotions",
                 "--out", str(tmp_path / "s.imu.parquet")]) == 2
    assert "not an imuforge motion file" in one_line_error(capsys, "simulate")
    assert main(["motion", "--from", str(part), "--label", "walking", "--out", str(tmp_path / "m")]) == 2
    one_line_error(capsys, "motion")
    assert not (tmp_path / "s.imu.parquet").exists() and not (tmp_path / "m").exists()


@pytest.mark.parametrize("plot, message", [
    ("p.txt", "--plot {d}/p.txt: matplotlib cannot write a .txt file (allowed: a file name ending in "),
    ("p", "--plot {d}/p: matplotlib cannot write a suffix-less file"),
    ("sub/", "is a folder; a plot is one file"),
    ("s.imu.parquet", "matplotlib cannot write a .parquet file"),
    # a file where the plot's folder would be: the recording was written, then the plot failed (exit 2)
    ("w.motion.npz/x.png", "--plot {d}/w.motion.npz/x.png: {d}/w.motion.npz is a file, not a folder"),
])
def test_simulate_plot_that_cannot_be_written_is_refused_before_the_recording(tmp_path, capsys, plot,
                                                                              message):
    from imuforge.motion.library import generate

    (tmp_path / "sub").mkdir()
    motion = generate("walking", 2.0, fps=30, rng=0).save(tmp_path / "w.motion.npz")
    assert main(["simulate", "--motion", str(motion), "--profile", "metamotions",
                 "--out", str(tmp_path / "s.imu.parquet"), "--plot", str(tmp_path / plot)]) == 2
    assert message.format(d=tmp_path) in (err := one_line_error(capsys, "simulate")), err
    assert ".png" in err
    assert sorted(q.name for q in tmp_path.iterdir()) == ["sub", "w.motion.npz"]


@pytest.mark.parametrize("change, message", [
    ({"fps": "100"}, "fps must be a positive number, got '100' (allowed: frames per second > 0)"),
    ({"fps": None}, "fps must be a positive number, got None"),
    ({"orientations": 5}, "positions hold 21 frames, orientations 5 (allowed: as many orientation frames"),
])
def test_a_motion_file_with_a_bad_header_or_frame_count_is_one_line(tmp_path, capsys, change, message):
    """A motion file edited by hand or written by another tool: the fps as text, the arrays' frames apart."""
    import json

    import numpy as np

    from imuforge.motion.library import generate

    path = generate("walking", 2.0, fps=10, rng=0).save(tmp_path / "w.motion.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(str(arrays["header"]))
    if "fps" in change:
        header["fps"] = change["fps"]
    if "orientations" in change:
        arrays["orientations"] = arrays["orientations"][: change["orientations"]]
    arrays["header"] = np.array(json.dumps(header))
    bad = tmp_path / "bad.motion.npz"
    np.savez(bad, **arrays)
    assert main(["simulate", "--motion", str(bad), "--profile", "metamotions",
                 "--out", str(tmp_path / "s.imu.parquet")]) == 2
    assert message in one_line_error(capsys, "simulate")
    assert not (tmp_path / "s.imu.parquet").exists()


def test_motion_out_named_like_a_file_and_from_a_folder_are_one_line(tmp_path, capsys):
    assert main(["motion", "walking", "--matcher", "keywords", "--out", str(tmp_path / "w.imu.parquet")]) == 2
    assert "is named like a file, but a folder is written there" in one_line_error(capsys, "motion")
    assert main(["motion", "--from", str(tmp_path), "--label", "walking", "--out", str(tmp_path / "m")]) == 2
    assert ".toml" in (err := one_line_error(capsys, "motion")) and "is a folder" in err
    assert sorted(q.name for q in tmp_path.iterdir()) == []


def test_motion_schedule_seconds_are_checked(tmp_path, capsys):
    assert main(["motion", "--schedule", "walking:0,standing:5", "--out", str(tmp_path / "s")]) == 2
    assert "walking:0" in one_line_error(capsys, "motion") and not (tmp_path / "s").exists()
    assert main(["motion", "--schedule", "walking:3000,standing:3000", "--out", str(tmp_path / "s")]) == 2
    assert "total duration" in one_line_error(capsys, "motion")


@pytest.mark.parametrize("text", [[], [""], ["  "]])
def test_motion_without_a_description_is_refused_in_one_line(tmp_path, capsys, text):
    if not text:
        assert main(["motion", "--n", "1", "--out", str(tmp_path / "m")]) == 2
        assert ("no motion to make: the description is missing or empty (allowed: a description, --schedule, "
                "--from FILE, or --list)") in one_line_error(capsys, "motion")
    else:  # an empty word, as any command's: refused while the arguments are read
        with pytest.raises(SystemExit) as e:
            main(["motion", *text, "--n", "1", "--out", str(tmp_path / "m")])
        assert e.value.code == 2
        assert f"an argument ({text[0]!r}) is empty (allowed: a value" in one_line_error(capsys, "motion")
    assert list(tmp_path.iterdir()) == []


def test_motion_from_an_imported_file_refuses_n_seconds_and_fps(tmp_path, capsys):
    out = tmp_path / "a"
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]) == 0
    src = tmp_path / "a" / "walking_000.motion.npz"
    assert main(["motion", "--from", str(src), "--n", "3", "--out", str(tmp_path / "b")]) == 2
    assert ("--n 3 with --from walking_000.motion.npz: an imported file is one motion (allowed: --from "
            "walking_000.motion.npz without --n, or key frames (.toml) for --n people)"
            ) in one_line_error(capsys, "motion")
    assert main(["motion", "--from", str(src), "--seconds", "5", "--out", str(tmp_path / "b")]) == 2
    assert ("--seconds with --from walking_000.motion.npz: an imported motion keeps its own length (allowed: "
            "--from walking_000.motion.npz without --seconds)") in one_line_error(capsys, "motion")
    assert main(["motion", "--from", str(src), "--fps", "50", "--out", str(tmp_path / "b")]) == 2
    assert ("--fps with --from walking_000.motion.npz: an imported motion keeps its own frame rate (allowed: "
            "--from walking_000.motion.npz without --fps; a .npy, which holds no frame rate, takes --fps)"
            ) in one_line_error(capsys, "motion")
    assert not (tmp_path / "b").exists()
    assert main(["motion", "--from", str(src), "--out", str(tmp_path / "b")]) == 0


def test_motion_refuses_a_non_empty_out_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]
    assert main(args) == 2
    assert ("exists and is not empty; choose another --out (--overwrite replaces an earlier output of this "
            "command, nothing else)") in one_line_error(capsys, "motion")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert main([*args, "--overwrite"]) == 2  # not even with --overwrite: keep.txt is not the command's
    assert ("--out " + str(out) + " holds other files than a motion output (keep.txt) (allowed: a new or "
            "empty folder, or an earlier motion output (with motions.json) to replace)"
            ) in one_line_error(capsys, "motion")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    (out / "keep.txt").unlink()
    assert main([*args, "--seed", "1"]) == 0
    assert main([*args, "--overwrite"]) == 0  # its own earlier output is replaced
    assert sorted(p.name for p in out.iterdir()) == ["motions.json", "walking_000.motion.npz"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or old folder left


def test_motion_overwrite_keeps_a_users_file_in_an_earlier_output(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out), "--overwrite"]
    assert main([*args, "--profile", "metamotions"]) == 0
    assert main(args) == 0  # an earlier output with --profile (motions/, a Dataset) is one of its own too
    assert sorted(p.name for p in out.iterdir()) == ["motions.json", "walking_000.motion.npz"]
    (out / "thesis.tex").write_text("mine")
    assert main(args) == 2
    assert "holds other files than a motion output (thesis.tex)" in one_line_error(capsys, "motion")
    assert (out / "thesis.tex").read_text() == "mine" and len(list(out.iterdir())) == 3


def test_motion_overwrite_of_the_current_folder_keeps_the_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", ".", "--overwrite"]
    assert main(args) == 0 and main(args) == 0  # the current folder, then its own earlier output there
    assert Path.cwd() == tmp_path and sorted(p.name for p in tmp_path.iterdir()) == [
        "motions.json", "walking_000.motion.npz"]
    (tmp_path / "thesis.tex").write_text("mine")
    assert main(args) == 2
    assert "holds other files than a motion output (thesis.tex)" in one_line_error(capsys, "motion")
    assert (tmp_path / "thesis.tex").read_text() == "mine" and len(list(tmp_path.iterdir())) == 3


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


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux's /proc, where no folder can be made")
def test_an_out_folder_that_cannot_be_made_is_named_not_its_staging_folder(tmp_path, capsys):
    """Writing under /proc (even root cannot make a folder there) was reported as '[Errno 2] No such file or
    directory: '/proc/.foo.partial-26100'', the staging folder's name; it names --out and what is allowed."""
    out = Path("/proc/imuforge-no-such-folder/out")
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]) == 2
    err = one_line_error(capsys, "motion")
    assert f"cannot write {out}: " in err and "partial" not in err
    assert "(allowed: an output folder in a place this user may write)" in err


def test_an_out_folder_refused_part_way_leaves_none_of_the_parents_it_made(tmp_path, capsys):
    """A path whose last folder cannot be made (a name too long) after parents that could: those parents are
    removed too (the cleanup stopped at the first folder it had not made and left them)."""
    out = tmp_path / "a" / "b" / ("x" * 300) / "out"
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]) == 2
    assert "cannot write" in one_line_error(capsys, "motion")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_overwrite_keeps_the_old_folder(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["motion", "--from", str(tmp_path / "missing.npy"), "--label", "walking", "--overwrite",
                 "--out", str(out)]) == 2
    one_line_error(capsys, "motion")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and len(list(tmp_path.iterdir())) == 1


def test_motion_does_not_echo_a_long_text_in_full(tmp_path, capsys):
    text = "walk " * 2000
    assert main(["motion", text, "--matcher", "keywords", "--seconds", "2", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert len(out) < 400 and "(10000 characters)" in out
    assert main(["motion", "zzz " * 2500, "--matcher", "keywords", "--out", str(tmp_path / "p")]) == 2
    err = one_line_error(capsys, "motion")
    assert len(err) < 600 and "(10000 characters)" in err


# ------------------------------------------------------------------------------- dataset info
@pytest.fixture
def small_dataset(tmp_path):
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2", "s3"), seconds_per_label=2.0)
    return tmp_path / "ds"


def test_dataset_info_of_a_sound_dataset(small_dataset, capsys):
    assert main(["dataset", "info", str(small_dataset)]) == 0
    assert "3 recordings" in capsys.readouterr().out


@pytest.mark.parametrize("damage, why", [
    (lambda p: p.unlink(), "s2.imu.parquet (missing)"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "s2.imu.parquet (not a readable Parquet"),
    (lambda p: p.write_text("hello"), "s2.imu.parquet (not a readable Parquet"),
])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_dataset_info_reports_missing_or_unreadable_recordings(small_dataset, capsys, damage, why, json_flag):
    damage(small_dataset / "s2.imu.parquet")
    assert main(["dataset", "info", str(small_dataset.parent), *json_flag]) == 2
    err = one_line_error(capsys, "dataset info")
    assert "1 of 3 recordings listed in the manifest are missing or unreadable" in err and why in err
    assert "allowed: every recording the manifest lists present and readable" in err


def test_dataset_info_notices_a_recording_replaced_by_another(small_dataset, capsys):
    from imuforge.recording import read_dataset
    from tests.synthetic_har import make_recording

    make_recording("s1", seconds_per_label=1.0).save(small_dataset / "s1.imu.parquet", overwrite=True)
    assert [p.file for p in read_dataset(small_dataset).check_files()] == ["s1.imu.parquet"]
    assert main(["dataset", "info", str(small_dataset)]) == 2
    assert "holds 150 samples, the manifest says 300" in one_line_error(capsys, "dataset info")


@pytest.mark.parametrize("manifest, why", [
    ([1, 2], "a JSON list, not an object"),
    ("hello", "a JSON str, not an object"),
    ({"recordings": "x"}, "'recordings' is a JSON str, not a list"),
    ({"recordings": [{"samples": 3}]}, "recordings entry 0 has no file name"),
    ({"recordings": [7]}, "recordings entry 0 is a JSON int, not an object"),
    ({"recordings": [{"file": "s1.imu.parquet"}]}, "recordings entry 0 (s1.imu.parquet) lacks samples"),
])
def test_a_manifest_of_the_wrong_shape_is_one_line(small_dataset, tmp_path, capsys, manifest, why):
    import json

    if isinstance(manifest, dict):
        manifest = {"format": "imuforge-dataset", "version": 1, **manifest}
    import shutil

    shutil.copy(small_dataset / "s1.imu.parquet", tmp_path / "cap.imu.parquet")  # a capture beside the data
    (small_dataset / "manifest.json").write_text(json.dumps(manifest))
    for command, args in (("dataset info", ["dataset", "info", str(small_dataset)]),
                          ("train", ["train", "--data", str(small_dataset), "--out", str(tmp_path / "run")]),
                          ("calibrate", ["calibrate", "--synthetic", str(small_dataset), "--real",
                                         str(tmp_path / "cap.imu.parquet"),
                                         "--out", str(tmp_path / "cal")])):
        assert main(args) == 2
        err = one_line_error(capsys, command)
        assert "manifest.json" in err and why in err and "allowed: " in err, err
    assert not (tmp_path / "run").exists() and not (tmp_path / "cal").exists()


@pytest.mark.parametrize("key, value, why", [
    ("labels_s", "standing", "labels_s 'standing' is not an object of label → seconds"),
    ("labels_s", [1, 2], "labels_s [1, 2] is not an object"),
    ("rate_hz", "fast", "rate_hz 'fast' is not a number"),
    ("samples", -1, "samples -1 is not a whole number"),
    ("subject", 5, "subject 5 is not a name"),
])
def test_a_manifest_entry_of_the_wrong_type_is_one_line(small_dataset, tmp_path, capsys, key, value, why):
    """A field edited to a type imuforge never writes: every reader says which, not a traceback."""
    import json

    doc = json.loads((small_dataset / "manifest.json").read_text())
    doc["recordings"][1][key] = value
    (small_dataset / "manifest.json").write_text(json.dumps(doc))
    for command, args in (("dataset info", ["dataset", "info", str(small_dataset)]),
                          ("train", ["train", "--data", str(small_dataset), "--out", str(tmp_path / "run")])):
        assert main(args) == 2
        err = one_line_error(capsys, command)
        assert "corrupt manifest" in err and why in err and "allowed: " in err, err
    assert not (tmp_path / "run").exists()


def test_dataset_info_of_a_missing_folder(tmp_path, capsys):
    assert main(["dataset", "info", str(tmp_path / "nothere")]) == 2
    assert "does not exist" in one_line_error(capsys, "dataset info")


# ---------------------------------------------------------------------------------------- hil
@pytest.mark.parametrize("option, value, allowed", [
    ("--runs", "0", "1 … 65535"), ("--warmup", "-1", "0 … 65535"), ("--timeout", "0", "0.001 … 3600 s"),
    ("--retries", "-1", "0 … 100"), ("--pipeline", "0", "1 … 64 windows"), ("--max-windows", "0", "1 … 1e+09"),
    ("--latency-budget-ms", "-5", "1e-06 … 3.6e+06 ms"), ("--timeout", "nan", "0.001 … 3600 s"),
    ("--baud", "0", "1 … 1e+08 baud"), ("--wait-s", "-1", "0 … 86400 s"),
])
def test_hil_numbers_out_of_range_are_refused_before_the_link_opens(tmp_path, capsys, option, value, allowed):
    assert main(["hil", "--model", str(tmp_path), "--data", str(tmp_path), "--port", "loop://",
                 option, value, "--out", str(tmp_path / "r")]) == 2
    err = one_line_error(capsys, "hil")
    assert f"{option} = " in err and f"is out of range (allowed: {allowed})" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("link, message", [
    (["--emulate"], "--dsp with --emulate: --dsp compiles the QEMU firmware's SMLAD path, and the "
                    "emulated wearable runs the generated C built for this host (allowed: --qemu --dsp, or "
                    "leave out --dsp)"),
    (["--port", "loop://"], "--dsp with --port/--ble: --dsp compiles the QEMU firmware's SMLAD path, and a "
                            "board runs the path its firmware was built with (allowed: --qemu --dsp"),
])
def test_hil_dsp_without_qemu_is_refused_not_ignored(tmp_path, capsys, link, message):
    assert main(["hil", "--model", str(tmp_path), "--data", str(tmp_path), *link, "--dsp",
                 "--out", str(tmp_path / "r")]) == 2
    assert message in one_line_error(capsys, "hil")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("link, option", [(["--port", "loop://"], ["--profile", "metamotions"]),
                                          (["--port", "loop://"], ["--tcp"]), (["--qemu"], ["--tcp"])])
def test_hil_emulator_options_without_emulate_are_refused_not_ignored(tmp_path, capsys, link, option):
    assert main(["hil", "--model", str(tmp_path), "--data", str(tmp_path), *link, *option,
                 "--out", str(tmp_path / "r")]) == 2
    err = one_line_error(capsys, "hil")
    assert f"{option[0]} with {link[0]}" in err and "emulated wearable" in err
    assert f"(allowed: --emulate {option[0]} …, or leave out {option[0]})" in err
    assert not (tmp_path / "r").exists()


# ---------------------------------------------------------------------------------- calibrate
@pytest.mark.parametrize("real, message", [
    ("garbage.csv", "garbage.csv: unknown column 'a'"),
    ("empty.imu.parquet", "empty.imu.parquet: not a Parquet file"),
    ("missing", "no such real file or folder"),
])
def test_calibrate_refuses_a_bad_capture_and_writes_nothing(small_dataset, tmp_path, capsys, real, message):
    (tmp_path / "garbage.csv").write_text("a,b,c\nx,y,z\n")
    (tmp_path / "empty.imu.parquet").write_bytes(b"")
    out = tmp_path / "cal"
    assert main(["calibrate", "--synthetic", str(small_dataset), "--real", str(tmp_path / real), "--out", str(out),
                 "--no-plots"]) == 2
    assert message in one_line_error(capsys, "calibrate")
    assert not out.exists() and not list(tmp_path.glob(".cal.partial-*"))


def test_calibrate_out_that_is_a_file_is_refused(small_dataset, tmp_path, capsys):
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    assert main(["calibrate", "--synthetic", str(small_dataset), "--real", str(small_dataset), "--out", str(afile),
                 "--no-plots"]) == 2
    assert "--out" in (err := one_line_error(capsys, "calibrate")) and "is a file, not a folder" in err
    assert afile.read_text() == "mine" and not list(tmp_path.glob(".notes.txt.partial-*"))


# ------------------------------------------------------------------------------------ capture
@pytest.mark.parametrize("options, message", [
    (["--seconds", "0"], "--seconds = 0.0 is out of range (allowed: 0.01 … 86400 s)"),
    (["--odr", "0"], "--odr = 0.0 is out of range"),
    (["--format", "csv", "--rate", "0"], "--rate = 0.0 is out of range"),
    (["--range-g", "-3"], "--range-g = -3.0 is out of range"),
    (["--range-dps", "nan"], "--range-dps = nan is out of range"),
    (["--channels", "acc,foo"], "--channels: unknown channel group 'foo' (allowed: acc, gyro, mag)"),
    (["--placement", "nowhere"], "--placement: unknown placement 'nowhere' (allowed: wrist_left"),
    (["--profile", "nosuch"], "--profile: unknown profile 'nosuch'"),
    (["--baud", "0"], "--baud = 0 is out of range (allowed: 1 … 1e+08 baud)"),
    (["--baud", "-5"], "--baud = -5 is out of range (allowed: 1 … 1e+08 baud)"),
    (["--wait-s", "-1"], "--wait-s = -1.0 is out of range (allowed: 0 … 86400 s)"),
    # the guided capture's options without --guided: ignored before
    (["--seconds-each", "3"], "--seconds-each go with --guided (allowed: --guided --activities a,b,…"),
    (["--yes", "--countdown", "0"], "--countdown, --yes go with --guided"),
])
def test_capture_options_are_refused_before_the_link_opens_or_a_log_moves(tmp_path, capsys, options, message):
    out = tmp_path / "c.imu.parquet"
    old_log = tmp_path / "c.rawlog"
    old_log.write_bytes(b"an earlier capture")
    # refused before the link is opened: the option's own message, and the earlier raw log untouched
    assert main(["capture", "--port", "loop://", *options, "--out", str(out), "--overwrite", "--quiet"]) == 2
    assert message in one_line_error(capsys, "capture")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.rawlog"] and old_log.read_bytes() == b"an earlier capture"


# ------------------------------------------------------------------------------------ devices
@pytest.mark.parametrize("value, message", [
    ("-1", "--ble-timeout = -1.0 is out of range (allowed: 0 … 3600 s)"),  # was taken as 0 (skip)
    ("nan", "--ble-timeout = nan is out of range"),
    ("inf", "--ble-timeout = inf is out of range"),
])
def test_devices_ble_timeout_out_of_range_is_refused_before_it_lists(capsys, value, message):
    assert main(["devices", "--ble-timeout", value]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""  # refused before the serial ports are listed
    err = printed.err.strip()
    assert err.startswith("imuforge devices: error: ") and len(err.splitlines()) == 1 and message in err


def test_devices_ble_timeout_0_skips_the_scan(capsys):
    assert main(["devices", "--ble-timeout", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("serial ports:") and "BLE" not in out


@pytest.mark.parametrize("hci, message", [
    ("bogus:0", "--hci 'bogus:0' is not an HCI transport (unknown transport scheme) (allowed: usb:N, "),
    ("tcp-client:127.0.0.1:1", "--hci tcp-client:127.0.0.1:1: nothing listens there (connection refused)"),
])
def test_devices_refuses_an_hci_that_does_not_open_as_capture_does(capsys, hci, message):
    """It exited 0 with the error inside the listing; capture and hil refuse the same --hci with exit 2."""
    pytest.importorskip("bumble")
    assert main(["devices", "--hci", hci, "--ble-timeout", "1"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""  # refused before anything is listed
    err = printed.err.strip()
    assert err.startswith("imuforge devices: error: ") and len(err.splitlines()) == 1 and message in err, err


# ------------------------------------------------------------------------------------ emulate
@pytest.mark.parametrize("options, message", [
    (["--tcp", "99999"], "--tcp = 99999 is out of range (allowed: 0 … 65535)"),
    (["--tcp", "-1"], "--tcp = -1 is out of range (allowed: 0 … 65535)"),
    (["--disconnect-after", "-5"], "--disconnect-after = -5.0 is out of range (allowed: 0 … 86400 s)"),
    (["--hang-after", "nan"], "--hang-after = nan is out of range (allowed: 0 … 86400 s)"),
    (["--clock-ppm", "1e9"], "--clock-ppm = 1000000000.0 is out of range (allowed: -100000 … 100000 ppm)"),
    (["--clock-ppm", "nan"], "--clock-ppm = nan is out of range"),
    (["--drop-rate", "2"], "--drop-rate = 2.0 is out of range (allowed: 0 … 1)"),
    (["--schedule", "walking:1e9"],  # was a numpy MemoryError traceback; motion --seconds' range
     "--schedule item 'walking:1e9': seconds = 1000000000.0 is out of range (allowed: 1 … 3600 s)"),
    (["--schedule", "walking:0,standing:5"], "seconds = 0.0 is out of range (allowed: 1 … 3600 s)"),
    (["--schedule", "walking:3000,standing:3000"],
     "--schedule lasts 6000 s in all, too long to hold in memory "
     "(allowed: durations of 1 … 3600 s, up to 3600 s in all)"),
    (["--schedule", "walking:x"], "--schedule item 'walking:x': seconds must be a number"),
    # options of another mode: ignored before
    (["--name", "band"], "--name goes with --ble (allowed: --ble with --name, or leave --name out)"),
    (["--engine", "tflm"], "--engine goes with --hil-model"),
])
def test_emulate_numbers_out_of_range_are_refused_before_it_listens(tmp_path, capsys, options, message):
    port_file = tmp_path / "port"
    assert main(["emulate", *options, "--port-file", str(port_file)]) == 2
    assert message in one_line_error(capsys, "emulate")
    assert not port_file.exists()


@pytest.mark.parametrize("options, source", [
    ([], "desk"), (["--source", "formula"], "formula"), (["--hil-model", "EXPORT"], "desk"),
])
def test_emulate_placement_nothing_uses_is_refused_not_ignored(tmp_path, capsys, options, source):
    port_file = tmp_path / "port"
    options = [str(tmp_path) if o == "EXPORT" else o for o in options]
    assert main(["emulate", *options, "--placement", "elbow", "--port-file", str(port_file)]) == 2
    err = one_line_error(capsys, "emulate")
    assert f"--placement with the {source} source: --placement says where the wearer" in err
    assert ("(allowed: --schedule … --placement …, --follow FILE --placement …, or leave out --placement)"
            in err)
    assert not port_file.exists()


@pytest.mark.parametrize("options, what", [(["--source", "desk"], "the desk source"),
                                           (["--source", "formula"], "the formula source")])
def test_emulate_schedule_nothing_plays_is_refused_not_ignored(tmp_path, capsys, options, what):
    """`emulate --source formula --schedule 'flying:-5,,'` streamed the formula without a word (session
    58)."""
    port_file = tmp_path / "port"
    assert main(["emulate", *options, "--schedule", "flying:-5,,", "--port-file", str(port_file)]) == 2
    assert f"--schedule with {what}: nothing would play it" in one_line_error(capsys, "emulate")
    assert not port_file.exists()


def test_emulate_source_with_follow_is_refused_not_dropped(tmp_path, capsys):
    """`emulate --source formula --follow FILE` dropped --source without a word (session 58's review)."""
    port_file = tmp_path / "port"
    assert main(["emulate", "--source", "formula", "--follow", str(tmp_path / "act.txt"),
                 "--port-file", str(port_file)]) == 2
    assert "--source formula with --follow FILE" in one_line_error(capsys, "emulate")
    assert not port_file.exists()


def test_emulate_port_file_that_cannot_be_written_is_refused_before_it_listens(tmp_path, capsys):
    for bad, message in ((tmp_path, "is a folder"), (tmp_path / "no" / "e.port", "does not exist")):
        assert main(["emulate", "--pty", "--port-file", str(bad)]) == 2
        printed = capsys.readouterr()
        assert printed.out == ""  # no "emulated … on /dev/pts/N" announced for a port no file will name
        err = printed.err.strip()
        assert err.startswith("imuforge emulate: error: ") and len(err.splitlines()) == 1, err
        assert message in err and "allowed:" in err
    assert list(tmp_path.iterdir()) == []


def test_emulate_on_a_port_in_use_is_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["emulate", "--tcp", str(port), "--port-file", str(tmp_path / "port")]) == 2
    err = one_line_error(capsys, "emulate")
    assert f"cannot listen on TCP 127.0.0.1:{port}" in err
    # the ports the range check takes (--tcp -1 above: 0 … 65535), not another range
    assert "(allowed: a free port in 0 … 65535; 0 = any free port)" in err
    assert not (tmp_path / "port").exists()


def test_capture_recover_of_a_missing_log(tmp_path, capsys):
    assert main(["capture", "--recover", str(tmp_path / "nosuch.rawlog")]) == 2
    assert "no such raw log" in one_line_error(capsys, "capture") and not list(tmp_path.iterdir())
    # a raw log is rebuilt whole: --seconds would be ignored
    assert main(["capture", "--recover", str(tmp_path / "nosuch.rawlog"), "--seconds", "1"]) == 2
    assert "--seconds with --recover" in one_line_error(capsys, "capture") and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name, message", [
    ("rec.txt", "a recording file name must end in .imu.parquet or .csv"),
    ("rec", "a recording file name must end in .imu.parquet or .csv"),
])
def test_simulate_and_capture_refuse_an_out_no_recording_search_finds(tmp_path, capsys, name, message):
    from tests.conftest import rigid_motion

    import numpy as np
    from scipy.spatial.transform import Rotation

    t = np.arange(0, 2.0, 1 / 30)
    mfile = rigid_motion(t, lambda t: np.zeros((len(t), 3)), lambda t: Rotation.identity(len(t)), 30.0).save(
        tmp_path / "m.motion.npz")
    out = tmp_path / name
    assert main(["simulate", "--motion", str(mfile), "--profile", "smartwatch-wrist", "--out", str(out)]) == 2
    assert message in one_line_error(capsys, "simulate")
    assert main(["capture", "--port", "loop://", "--out", str(out), "--quiet"]) == 2
    assert message in one_line_error(capsys, "capture")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.motion.npz"]  # no recording, plot or raw log


def test_capture_out_that_is_a_folder_is_refused(tmp_path, capsys):
    assert main(["capture", "--port", "loop://", "--out", str(tmp_path) + "/", "--quiet"]) == 2
    assert "is a folder; a recording is one file" in one_line_error(capsys, "capture")
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- import, demo
def test_a_failed_import_leaves_no_out_folder(tmp_path, capsys):
    src = tmp_path / "not-hapt"
    src.mkdir()
    out = tmp_path / "new" / "ds"
    assert main(["import", "uci-hapt", str(src), "--out", str(out)]) == 2
    assert "no labels.txt" in one_line_error(capsys, "import")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-hapt"]  # no ds, no parent, no staging folder


def test_import_refuses_a_non_empty_out(tmp_path, capsys):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["import", "uci-hapt", str(tmp_path), "--out", str(out)]) == 2
    assert "exists and is not empty" in one_line_error(capsys, "import")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_demo_out_that_is_a_file_is_refused(tmp_path, capsys):
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    assert main(["demo", "--quick", "--out", str(afile)]) == 2
    assert "--out" in (err := one_line_error(capsys, "demo")) and "is a file" in err
    assert afile.read_text() == "mine"


# -------------------------------------------------------------------------------------- train
def test_train_labels_the_data_never_show_are_refused(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2", "s3"), seconds_per_label=4.0)
    out = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(out), "--labels", "walking,running,flying",
                 "--window-s", "1", "--stride-s", "1", "--epochs", "1"]) == 2
    err = one_line_error(capsys, "train")
    assert "--labels flying: no window of the data holds it" in err
    assert not out.exists()


def test_train_labels_none_of_the_data_hold_name_the_labels_there(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=4.0)
    out = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(out), "--labels", "flying",
                 "--window-s", "1", "--stride-s", "1", "--epochs", "1"]) == 2
    err = one_line_error(capsys, "train")  # it said: no labelled windows … recordings longer than 1 s
    assert "--labels flying: no window of the data holds it (allowed: labels the data hold: " in err
    assert "walking" in err and "longer than" not in err and not out.exists()
    # the synonyms capture --label takes (walk, jog) name the data's labels (they had been refused)
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(out), "--labels", "walk,jog",
                 "--window-s", "1", "--stride-s", "1", "--epochs", "1"]) == 0
    assert sorted(json.loads((out / "labels.json").read_text())["labels"]) == ["running", "walking"]
    # … while data labelled with a synonym itself keep it (laying is not read as lying when the data hold it)
    from imuforge.recording import Dataset
    from tests.synthetic_har import make_recording

    syn = Dataset.create(tmp_path / "laying")
    for k in (1, 2):
        rec = make_recording(f"s{k}", seconds_per_label=4.0, seed=k, labels=("walking", "standing"))
        syn.add(rec.replace(labels=[(a, b, "laying" if c == "standing" else c) for a, b, c in
                                    ((x.start_s, x.end_s, x.label) for x in rec.labels)]), name=f"s{k}")
    assert main(["train", "--data", str(syn.path), "--out", str(tmp_path / "run2"), "--labels", "laying,walking",
                 "--window-s", "1", "--stride-s", "1", "--epochs", "1"]) == 0
    assert sorted(json.loads((tmp_path / "run2" / "labels.json").read_text())["labels"]) == ["laying", "walking"]


@pytest.mark.parametrize("option, value, message", [
    ("--window-s", "0", "--window-s = 0.0 is out of range (allowed: 0.01 … 3600 s)"),
    ("--stride-s", "-1", "--stride-s = -1.0 is out of range"),
    ("--rate", "nan", "--rate = nan is out of range"),
    ("--epochs", "0", "--epochs = 0 is out of range (allowed: 1 … 10000)"),
    ("--batch-size", "0", "--batch-size = 0 is out of range (allowed: 1 … 16384)"),
    ("--width", "0", "--width = 0 is out of range (allowed: 1 … 512)"),
    ("--width", "100000", "--width = 100000 is out of range (allowed: 1 … 512)"),  # was a TensorFlow OOM
    ("--real-weight", "nan", "--real-weight = nan is out of range (allowed: 0.001 … 1000)"),  # trained
    ("--real-weight", "inf", "--real-weight = inf is out of range (allowed: 0.001 … 1000)"),
    ("--real-weight", "1e308", "--real-weight = 1e+308 is out of range"),  # diverged, blamed the rate
    ("--real-weight", "1e-300", "--real-weight = 1e-300 is out of range"),  # 0 as float32
    ("--patience", "-1", "--patience must be >= 0, got -1"),
    ("--val-fraction", "1.5", "--val-fraction must be in (0, 1), got 1.5"),
    ("--real-weight", "0", "--real-weight = 0.0 is out of range"),
    ("--model", "mine.keras", "--model mine.keras: no such file (allowed: "),
    ("--learning-rate", "0", "--learning-rate must be in (0, 1), got 0.0"),  # was trained with 2e-3
    ("--learning-rate", "2", "--learning-rate must be in (0, 1), got 2.0"),
    ("--shuffle-buffer", "0", "--shuffle-buffer must be >= 1, got 0"),
])
def test_train_window_numbers_name_their_flag(tmp_path, capsys, option, value, message):
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "run"), option, value]) == 2
    assert message in one_line_error(capsys, "train") and not (tmp_path / "run").exists()


@pytest.mark.parametrize("flag", ["--real", "--val"])
def test_a_missing_folder_is_named_with_its_option(tmp_path, capsys, flag):
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    assert main(["train", "--data", str(tmp_path / "ds"), flag, str(tmp_path / "nope"),
                 "--out", str(tmp_path / "r")]) == 2
    assert f"{flag} {tmp_path / 'nope'} does not exist" in one_line_error(capsys, "train")


def test_train_refuses_weighing_real_windows_it_does_not_have(tmp_path, capsys):
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    assert main(["train", "--data", str(tmp_path / "ds"), "--real-weight", "5", "--out", str(tmp_path / "r")]) == 2
    assert "--real-weight 5 weighs the --real windows, and no --real data were given" in one_line_error(capsys,
                                                                                                        "train")


def test_train_refuses_augmenting_real_windows_it_does_not_have(tmp_path, capsys):
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    assert main(["train", "--data", str(tmp_path / "ds"), "--augment", "default", "--augment-on", "real",
                 "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "--augment-on real augments the --real windows, and no --real data were given" in err
    assert not (tmp_path / "run").exists()


def test_train_refuses_an_out_that_is_a_file(tmp_path, capsys):
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    (tmp_path / "spec.toml").write_text("mine")
    assert main(["train", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "spec.toml")]) == 2
    assert "is a file (allowed: a new or empty folder" in one_line_error(capsys, "train")
    assert (tmp_path / "spec.toml").read_text() == "mine"


@pytest.mark.parametrize("command, options, message", [
    ("calibrate", ["--synthetic", "s", "--real", "r", "--fit-profile", "--profile", "nope"],
     "unknown profile 'nope' (allowed: adxl345"),
    ("export", ["run", "--profile", "nope"], "unknown profile 'nope' (allowed: adxl345"),
    ("export", ["run", "--placement", "wrist"],
     "--placement 'wrist' is not a placement preset (allowed: wrist_left"),
])
def test_a_profile_or_placement_typo_is_refused_before_any_work(tmp_path, capsys, command, options, message):
    assert main([command, *options, "--out", str(tmp_path / "out")]) == 2
    assert message in one_line_error(capsys, command) and not (tmp_path / "out").exists()


def test_import_refuses_an_out_under_a_file(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["import", "uci-har", str(tmp_path), "--out", str(tmp_path / "notes.txt" / "ds")]) == 2
    assert "notes.txt is a file, not a folder to write --out" in one_line_error(capsys, "import")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]



@pytest.mark.parametrize("out", ["afile", "afile/sub"])
def test_eval_out_that_is_a_file_is_refused_before_evaluating(small_dataset, tmp_path, capsys, out):
    """--out is checked first: one line with what is allowed (it said '[Errno 17] File exists' after the
    evaluation). The run here does not even exist: the --out check comes before anything is read."""
    pytest.importorskip("keras")
    (tmp_path / "afile").write_text("mine")
    assert main(["eval", str(tmp_path / "norun"), "--data", str(small_dataset),
                 "--out", str(tmp_path / out)]) == 2
    err = one_line_error(capsys, "eval")
    assert f"--out {tmp_path / out} is" in err and "allowed: a folder (new or existing)" in err, err
    assert (tmp_path / "afile").read_text() == "mine"


def test_export_refuses_a_card_profile_without_the_models_sensors(tiny_run, tmp_path, capsys):
    """A magnetometer-only chip on the card of an acceleration and rate model passed with a note, and
    `hil --emulate` then "ran" the model on it."""
    pytest.importorskip("keras")
    assert main(["export", str(tiny_run), "--profile", "bmm150", "--out", str(tmp_path / "out")]) == 2
    err = one_line_error(capsys, "export")
    assert "--profile bmm150: the device has no sensor for the model's acc_x" in err, err
    assert not (tmp_path / "out").exists()


def test_motion_from_a_missing_key_frame_file_says_what_is_allowed(tmp_path, capsys):
    assert main(["motion", "--from", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    err = one_line_error(capsys, "motion")
    assert "missing.toml: no such file (allowed: a key-framed activity's .toml file" in err


def test_files_of_the_wrong_kind_are_named_with_what_to_do(small_dataset, tmp_path, capsys):
    """A folder for a motion, a motion for a recording, a Dataset missing a file it lists, a corpus spec that
    is not TOML, and a data set folder without its files: one line each, saying what is allowed."""
    from imuforge.motion.library import generate

    motion = generate("walking", 2.0, fps=30, rng=0).save(tmp_path / "w.motion.npz")
    assert main(["simulate", "--motion", str(tmp_path), "--profile", "metamotions",
                 "--out", str(tmp_path / "s.imu.parquet")]) == 2
    assert "is a folder; a motion is one file (allowed: .motion.npz" in one_line_error(capsys, "simulate")
    assert main(["calibrate", "--synthetic", str(small_dataset), "--real", str(motion),
                 "--out", str(tmp_path / "cal")]) == 2
    err = one_line_error(capsys, "calibrate")
    assert "a motion file, not a recording" in err and "imuforge simulate --motion w.motion.npz" in err, err
    assert main(["calibrate", "--synthetic", str(small_dataset), "--real", str(small_dataset),
                 "--out", str(tmp_path / "cal")]) == 2
    assert "hold the same recordings" in one_line_error(capsys, "calibrate")
    assert not (tmp_path / "cal").exists()
    gone = sorted(small_dataset.glob("*.imu.parquet"))[0]
    gone.unlink()
    assert main(["train", "--data", str(small_dataset), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert f"{gone.name}, listed in the manifest, is missing" in err and "allowed: " in err, err
    assert not (tmp_path / "run").exists()
    spec = tmp_path / "spec.toml"
    spec.write_text("[corpus\nname = 1")
    assert main(["generate", str(spec), "--out", str(tmp_path / "g")]) == 2
    assert "not valid TOML" in (err := one_line_error(capsys, "generate")) and "allowed: " in err, err
    (tmp_path / "empty").mkdir()
    for fmt in ("wisdm", "uci-hapt"):
        assert main(["import", fmt, str(tmp_path / "empty"), "--out", str(tmp_path / "imp")]) == 2
        assert "allowed: " in (err := one_line_error(capsys, "import")), err


def test_a_recording_column_of_text_is_one_line(small_dataset, tmp_path, capsys):
    """A channel column rewritten as text (one value not a number): refused naming the column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = small_dataset / "s2.imu.parquet"
    table = pq.read_table(path)
    i = table.column_names.index("acc_x")
    text = pa.array(["abc"] + [str(x) for x in table.column("acc_x").to_numpy()[1:]])
    pq.write_table(table.set_column(i, "acc_x", text).replace_schema_metadata(table.schema.metadata), path)
    assert main(["train", "--data", str(small_dataset), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "column 'acc_x' holds string, not numbers" in err and "allowed: " in err, err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("channels, message", [
    (",", "--channels ',' names no channel"),
    ("acc_x,acc_x", "--channels: named twice acc_x"),
    ("acc_x,bogus", "--channels: unknown bogus"),
])
def test_train_channels_that_name_nothing_usable_are_one_line(small_dataset, tmp_path, capsys, channels,
                                                              message):
    assert main(["train", "--data", str(small_dataset), "--epochs", "1", "--channels", channels,
                 "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert message in err and "allowed: a comma list of acc_x" in err, err
    assert not (tmp_path / "run").exists()


def test_train_refuses_data_in_g_and_warns_of_labels_at_different_rates(tmp_path, capsys):
    """Accelerations in g (a data set not brought through imuforge import) are refused before training; labels
    whose recordings share no sample rate are trained on with a warning naming the rates."""
    import numpy as np

    from imuforge.recording import Dataset
    from tests.synthetic_har import make_recording

    in_g = Dataset.create(tmp_path / "in_g")
    for i, s in enumerate(("s1", "s2")):
        r = make_recording(s, seed=i)
        data = np.array(r.data)
        data[:, :3] /= 9.80665
        in_g.add(r.replace(data=data), name=s)
    assert main(["train", "--data", str(tmp_path / "in_g"), "--epochs", "1",
                 "--out", str(tmp_path / "r1")]) == 2
    err = one_line_error(capsys, "train")
    assert "gravity in g, not m/s²" in err and "allowed: accelerations in m/s²" in err, err
    assert not (tmp_path / "r1").exists()
    assert main(["train", "--data", str(tmp_path / "in_g"), "--epochs", "1", "--stream", "on",
                 "--out", str(tmp_path / "r1")]) == 2  # streamed (a sharded corpus) alike
    assert "gravity in g, not m/s²" in one_line_error(capsys, "train")
    assert not (tmp_path / "r1").exists()
    # one recording of three in m/s² read as g again (96 m/s² at rest): the pooled figures pass, each
    # recording of 20 s or more is judged on its own too, named (train and eval took it without a word)
    one = Dataset.create(tmp_path / "one")
    for i, s in enumerate(("s1", "s2", "s3")):
        r = make_recording(s, seed=i)
        data = np.array(r.data)
        data[:, :3] *= 9.80665 if s == "s2" else 1.0
        one.add(r.replace(data=data), name=s)
    for stream in ("off", "on"):
        assert main(["train", "--data", str(tmp_path / "one"), "--epochs", "1", "--stream", stream,
                     "--out", str(tmp_path / "r1")]) == 2
        err = one_line_error(capsys, "train")
        assert f"the data {tmp_path / 'one'}/s2" in err and "values already in m/s² multiplied by 9.81" in err
        assert not (tmp_path / "r1").exists()
    mixed = Dataset.create(tmp_path / "mixed")
    for i, (s, rate, labels) in enumerate((("s1", 100.0, ("walking",)), ("s2", 12.5, ("standing",)),
                                           ("s3", 100.0, ("walking",)), ("s4", 12.5, ("standing",)))):
        mixed.add(make_recording(s, rate_hz=rate, seed=i, labels=labels), name=s)
    assert main(["train", "--data", str(tmp_path / "mixed"), "--epochs", "1", "--rate", "12.5",
                 "--out", str(tmp_path / "r2")]) == 0
    err = capsys.readouterr().err
    assert ("imuforge train: warning: the labels come at different sample rates (standing 12.5 Hz; "
            "walking 100 Hz)" in err), err
    # across roles too (walking as --data, standing as --real); rates 2 % apart are one rate
    for name, parts in (("walk", (("s1", 100.0, ("walking",)), ("s3", 100.0, ("walking",)))),
                        ("stand", (("s2", 12.5, ("standing",)), ("s4", 12.5, ("standing",)))),
                        ("near", (("s5", 49.9, ("walking",)), ("s6", 50.1, ("standing",))))):
        ds = Dataset.create(tmp_path / name)
        for i, (s, rate, labels) in enumerate(parts):
            ds.add(make_recording(s, rate_hz=rate, seed=10 + i, labels=labels), name=s)
    assert main(["train", "--data", str(tmp_path / "walk"), "--real", str(tmp_path / "stand"),
                 "--epochs", "1",
                 "--rate", "12.5", "--out", str(tmp_path / "r3")]) == 0
    assert "the labels come at different sample rates" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "near"), "--epochs", "1", "--rate", "25",
                 "--out", str(tmp_path / "r4")]) == 0
    assert "different sample rates" not in capsys.readouterr().err


@pytest.mark.parametrize("edit, why", [
    (lambda doc: doc.pop("recordings"), "it lists no 'recordings'"),
    (lambda doc: doc["recordings"].append(dict(doc["recordings"][0])), "lists s1.imu.parquet a second time"),
    (lambda doc: doc["recordings"][0].update(file="../../elsewhere.imu.parquet"),
     "a file outside the Dataset"),
    (lambda doc: doc["recordings"][0].update(file="/etc/passwd"), "a file outside the Dataset"),
])
def test_a_manifest_that_lists_wrongly_is_one_line(small_dataset, tmp_path, capsys, edit, why):
    """No list of recordings, one listed twice, a file outside the folder: refused, not read as listed."""
    import json

    doc = json.loads((small_dataset / "manifest.json").read_text())
    edit(doc)
    (small_dataset / "manifest.json").write_text(json.dumps(doc))
    assert main(["train", "--data", str(small_dataset), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "corrupt manifest" in err and why in err, err


def test_a_recording_replaced_by_another_is_refused_where_it_is_read(small_dataset, tmp_path, capsys):
    """train, like dataset info, refuses a file copied over a listed one (its sample count is not the
    manifest's), instead of training on it under the entry's labels and subject."""
    from tests.synthetic_har import make_recording

    make_recording("s1", seconds_per_label=1.0).save(small_dataset / "s1.imu.parquet", overwrite=True)
    assert main(["train", "--data", str(small_dataset), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "s1.imu.parquet holds 150 samples, the manifest says 300" in err and "allowed: " in err, err


def test_dataset_select_out_inside_its_input_is_refused(small_dataset, capsys):
    assert main(["dataset", "select", str(small_dataset), "--subjects", "s1",
                 "--out", str(small_dataset / "sub")]) == 2
    assert "is inside" in one_line_error(capsys, "dataset select")
    assert not (small_dataset / "sub").exists()


def test_a_motion_file_rescaled_after_it_was_judged_is_refused(tmp_path, capsys):
    """A .motion.npz records that it was judged plausible where it was made; its positions scaled since (mm)
    are judged again by their forces, not believed."""
    import numpy as np

    from imuforge.motion.library import schedule

    path = schedule([("walking", 6)], rng=1).save(tmp_path / "w.motion.npz")
    arrays = dict(np.load(path, allow_pickle=False))
    arrays["positions"] = arrays["positions"] * 1000.0
    np.savez(tmp_path / "mm.motion.npz", **arrays)
    assert main(["simulate", "--motion", str(tmp_path / "mm.motion.npz"), "--profile", "metamotions",
                 "--out", str(tmp_path / "s.imu.parquet")]) == 2
    err = one_line_error(capsys, "simulate")
    assert "not a motion a body can perform" in err and "changed since?" in err, err
    assert main(["simulate", "--motion", str(path), "--profile", "metamotions",
                 "--out", str(tmp_path / "s.imu.parquet")]) == 0


def test_a_recording_out_below_a_file_and_a_url_port_that_is_no_number(tmp_path, capsys):
    """--out whose folder is a file is named as --out (not as the plot beside it); a socket URL with a port
    that is not a number says so (pyserial's own message was "'debug|info|warning|error'")."""
    (tmp_path / "afile").write_text("mine")
    assert main(["simulate", "--motion", str(tmp_path / "none.motion.npz"), "--profile", "metamotions",
                 "--out", str(tmp_path / "afile" / "x.imu.parquet")]) == 2
    err = one_line_error(capsys, "simulate")
    assert err.startswith(f"imuforge simulate: error: --out {tmp_path / 'afile' / 'x.imu.parquet'}: ") and (
        "is a file, not a folder" in err), err
    assert main(["capture", "--port", "socket://nohost.invalid:x", "--seconds", "1",
                 "--out", str(tmp_path / "c.imu.parquet")]) == 2
    assert "the URL's port 'x' is not a number" in one_line_error(capsys, "capture")


def test_a_recording_replaced_by_one_of_the_same_length_is_refused(small_dataset, tmp_path, capsys):
    """Another subject's file of the same length copied over a listed one: refused by its subject, not read
    as the entry's (which would put that subject on both sides of a subject-wise split)."""
    import shutil

    shutil.copy(small_dataset / "s2.imu.parquet", small_dataset / "s1.imu.parquet")
    assert main(["train", "--data", str(small_dataset), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "s1.imu.parquet holds subject 's2', the manifest says 's1'" in err, err


def test_sigterm_leaves_no_staging_folder(tmp_path):
    """`timeout`, systemd and CI stop a command with SIGTERM: it ended the process where it stood, leaving the
    hidden staging folder of `motion`, `calibrate` or `import` beside the output (session 58's audit). Now it
    unwinds like Ctrl-C: exit 143, one line, nothing left."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "many"
    proc = subprocess.Popen([sys.executable, "-m", "imuforge", "motion", "walking", "--n", "400",
                             "--seconds", "60", "--profile", "smartwatch-wrist", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".many.partial-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".many.partial-*")), "the command never began writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "imuforge motion: terminated (SIGTERM)"
    assert not list(tmp_path.iterdir())


def test_a_profile_folder_or_a_broken_profile_file_says_why(tmp_path, capsys):
    """`profiles show FOLDER` said only "[Errno 21] Is a directory", and a corpus spec naming a broken profile
    file said "unknown profile", hiding what is wrong with it (session 58's audit)."""
    assert main(["profiles", "show", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder, not a profile file" in one_line_error(capsys, "profiles show")
    bad = tmp_path / "badp.toml"
    bad.write_text('name = "bad"\nkind = "device"\n')
    spec = Path(__file__).parents[1] / "examples" / "corpus-small.toml"
    text = "\n".join(f'profiles = ["{bad}"]' if line.startswith("profiles") else line
                     for line in spec.read_text().splitlines())
    (tmp_path / "spec.toml").write_text(text + "\n")
    assert main(["generate", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "c")]) == 2
    err = one_line_error(capsys, "generate")
    assert "badp.toml: profile configures no sensor" in err and "unknown profile" not in err
    assert not (tmp_path / "c").exists()


def test_calibrate_profile_without_fit_profile_is_refused_not_ignored(tmp_path, capsys):
    """`calibrate --profile X` without --fit-profile was ignored without a word (session 58's audit)."""
    assert main(["calibrate", "--synthetic", str(tmp_path / "s"), "--real", str(tmp_path / "r"),
                 "--out", str(tmp_path / "o"), "--profile", "metamotions"]) == 2
    assert "--profile is the base profile of --fit-profile" in one_line_error(capsys, "calibrate")
    assert not (tmp_path / "o").exists()


def test_a_profile_name_wins_over_a_folder_of_that_name_and_a_broken_user_profile_says_why(
        tmp_path, monkeypatch, capsys):
    """A folder named like a profile in the working folder (`capture --guided --out metamotions`) blocked
    the profile; a corpus spec naming a broken user profile by name said "unknown profile" (session 58)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "metamotions").mkdir()
    assert main(["profiles", "show", "metamotions"]) == 0
    capsys.readouterr()
    user = tmp_path / "profs"
    user.mkdir()
    (user / "broken.toml").write_text('name = "broken"\nkind = "device"\n')
    monkeypatch.setenv("IMUFORGE_PROFILES", str(user))
    spec = Path(__file__).parents[1] / "examples" / "corpus-small.toml"
    text = "\n".join('profiles = ["broken"]' if line.startswith("profiles") else line
                     for line in spec.read_text().splitlines())
    (tmp_path / "spec.toml").write_text(text + "\n")
    assert main(["generate", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "c")]) == 2
    err = one_line_error(capsys, "generate")
    assert "profiles: 'broken' (" in err and "broken.toml" in err and "unknown profile" not in err
    # a profile given by its file: the file and section said as `profiles show` says them (the section was
    # left out)
    import imuforge

    device = (Path(imuforge.__file__).parent / "profiles" / "devices" / "metamotions.toml").read_text()
    bad = re.sub(r"(?m)^drop_rate\s*=.*$", "drop_rate = 1.5", device)
    assert bad != device
    renamed = bad.replace('name = "metamotions"', 'name = "metamotions2"')
    (tmp_path / "metamotions2.toml").write_text(renamed)
    named = f'profiles = ["{tmp_path / "metamotions2.toml"}"]'
    (tmp_path / "spec.toml").write_text(text.replace('profiles = ["broken"]', named) + "\n")
    assert main(["generate", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "c")]) == 2
    err = one_line_error(capsys, "generate")
    assert "metamotions2.toml: [timing]: drop_rate must be < 1, got 1.5" in err, err


def test_a_val_fraction_that_leaves_nothing_to_train_names_itself(tmp_path, capsys):
    """--val-fraction 0.9 on one person's data: validation took every window, and the refusal blamed the data's
    values ('mean or spread is not finite') after a numpy warning (a fresh user's run)."""
    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1",), seconds_per_label=4.0)
    assert main(["train", "--real", str(tmp_path / "ds"), "--val-fraction", "0.9", "--epochs", "1",
                 "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "--val-fraction 0.9 leaves no window to train on" in err and "smaller --val-fraction" in err
    assert not (tmp_path / "run").exists()


def test_train_refuses_a_folder_twice_and_a_validation_copy(tmp_path, capsys):
    """A folder in --data and in --real had its windows counted twice; a copy of a --real recording given as
    --val validated on the windows that trained (a fresh user's run). Both refused in one line."""
    import shutil

    from tests.synthetic_har import make_dataset

    make_dataset(tmp_path / "ds", subjects=("s1", "s2"), seconds_per_label=2.0)
    assert main(["train", "--data", str(tmp_path / "ds"), "--real", str(tmp_path / "ds"),
                 "--out", str(tmp_path / "run")]) == 2
    assert "is in --data and in --real: its windows would count twice" in one_line_error(capsys, "train")
    (tmp_path / "v").mkdir()
    shutil.copy(tmp_path / "ds" / "s2.imu.parquet", tmp_path / "v" / "later.imu.parquet")
    assert main(["train", "--real", str(tmp_path / "ds"), "--val", str(tmp_path / "v"),
                 "--out", str(tmp_path / "run")]) == 2
    err = one_line_error(capsys, "train")
    assert "later.imu.parquet is a copy of" in err and "s2.imu.parquet, which trains" in err
    assert not (tmp_path / "run").exists()
    # files, not folders, are compared: a recording inside --data given as --val is refused …
    assert main(["train", "--data", str(tmp_path / "ds"), "--val", str(tmp_path / "ds" / "s1.imu.parquet"),
                 "--out", str(tmp_path / "run")]) == 2
    assert "s1.imu.parquet is also in --data/--real" in one_line_error(capsys, "train")
    # … and two files of one folder, one in --data and one in --real, are no overlap
    from imuforge.train.trainer import TrainConfig, roles

    assert len(roles(TrainConfig(data=[str(tmp_path / "ds" / "s1.imu.parquet")],
                                 real=[str(tmp_path / "ds" / "s2.imu.parquet")]))) == 2


def test_the_same_person_in_real_and_val_is_noted():
    import numpy as np

    from imuforge.train.trainer import val_subject_notes

    groups = np.array(["subject:me", "subject:me", "subject:you", "subject:me"])
    is_real, is_val = np.array([1, 1, 1, 1], bool), np.array([0, 0, 0, 1], bool)
    assert "subject(s) me are in --real and in --val" in val_subject_notes(groups, is_real, is_val)[0]
    assert val_subject_notes(groups, is_real, np.array([0, 0, 1, 0], bool)) == []
    assert val_subject_notes(groups, is_real, None) == []
    from imuforge.train.trainer import ANONYMOUS_WEARER

    anon = np.array([ANONYMOUS_WEARER] * 4)  # captures without --subject on both sides: maybe two people
    assert val_subject_notes(anon, is_real, is_val) == []
