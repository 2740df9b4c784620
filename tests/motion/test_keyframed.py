"""Key-framed activities (``imuforge motion --from FILE.toml``): reading, the angles they reach, the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.motion import quat as Q
from imuforge.motion.library import schedule
from imuforge.motion.library.keyframed import ANGLES, KeyframedActivity, read_keyframed

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "activities"

ABDUCTION = """\
label = "arm_raise"
hand = "right"
repetition_s = 2.0
pause_s = 0
amplitude = 1
tempo_sd = 0
excursion_sd = 0
wander_deg = 0

[[keyframes]]
at = 0.0
sh_abd = 10
sh_flex = 0
elbow_flex = 0

[[keyframes]]
at = 0.5
sh_abd = 80
"""


def _write(tmp_path: Path, text: str, name: str = "a.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def _upper_arm_from_trunk(m, side: str) -> np.ndarray:
    """Angle (deg) between the upper arm and the trunk's downward axis, in the chest's frame (so that the
    postural sway and breathing, which turn the whole trunk, do not count)."""
    J = list(m.skeleton.joints)
    arm = m.positions[:, J.index(f"{side}_elbow")] - m.positions[:, J.index(f"{side}_shoulder")]
    chest = m.orientations[:, J.index("spine3")]
    local = Q.qrot(Q.qconj(chest), arm)
    return np.degrees(np.arccos(np.clip(-local[:, 1] / np.linalg.norm(local, axis=1), -1, 1)))


def _motion(act: KeyframedActivity, seconds: float = 12.0, fps: float = 100.0, rng=0):
    return schedule([(act.label, seconds)], activities={act.label: act.activity()}, rng=rng, fps=fps,
                    blend_s=0)


def test_reads_the_file_and_fills_the_defaults(tmp_path):
    a = read_keyframed(_write(tmp_path, ABDUCTION))
    assert a.label == "arm_raise" and a.hand == "right" and a.posture == "standing"
    assert a.repetition_s == (2.0, 2.0) and a.pause_s == (0.0, 0.0)
    assert a.angles == ("sh_flex", "sh_abd", "elbow_flex")
    assert a.keyframes == ((0.0, {"sh_abd": 10.0, "sh_flex": 0.0, "elbow_flex": 0.0}),
                           (0.5, {"sh_abd": 80.0}))


def test_the_arm_reaches_the_key_frames_at_their_times(tmp_path):
    """Without spreads, the abduction between the key frames' 10° and 80° is reached exactly, once per
    repetition (2 s), by the moving arm only; min-jerk stops at every key frame."""
    a = read_keyframed(_write(tmp_path, ABDUCTION))
    fps = 100.0
    m = _motion(a, 12.0, fps)
    ang = _upper_arm_from_trunk(m, "right")
    assert ang.max() == pytest.approx(80.0, abs=0.3)
    assert ang.min() == pytest.approx(10.0, abs=0.3)
    peaks = np.flatnonzero((ang[1:-1] > ang[:-2]) & (ang[1:-1] >= ang[2:]) & (ang[1:-1] > 79.0)) + 1
    assert np.allclose(np.diff(peaks) / fps, 2.0, atol=1.5 / fps)
    rate = np.gradient(ang, 1 / fps)
    assert np.abs(rate[peaks]).max() < 1.0  # deg/s: at rest at the key frame
    assert np.ptp(_upper_arm_from_trunk(m, "left")) < 1.0  # the other arm hangs


def test_people_differ_as_the_file_says(tmp_path):
    """With spreads, each person's period and share of the excursion lie in the file's ranges."""
    a = read_keyframed(_write(tmp_path, ABDUCTION.replace("repetition_s = 2.0", "repetition_s = [1.5, 3.0]")
                              .replace("amplitude = 1", "amplitude = [0.7, 1.0]")))
    infos = [_motion(a, 6.0, 50.0, rng=r).meta["items"][0]["info"] for r in range(6)]
    assert all(1.5 <= i["repetition_s"] <= 3.0 and 0.7 <= i["amplitude"] <= 1.0 for i in infos)
    assert len({i["repetition_s"] for i in infos}) == 6
    same = [_motion(a, 4.0, 50.0, rng=7).positions for _ in range(2)]
    assert np.array_equal(*same)


def test_spline_passes_through_the_key_frames_without_stopping(tmp_path):
    text = ABDUCTION.replace('hand = "right"', 'hand = "right"\ninterpolation = "spline"')
    text += "\n[[keyframes]]\nat = 0.75\nsh_abd = 30\n"
    a = read_keyframed(_write(tmp_path, text))
    t = np.linspace(0, 1, 401)
    times, values = a._curve("sh_abd", 0.0)
    y = a._eval(t, times, values)
    assert np.allclose(a._eval(times, times, values), values)
    v = np.gradient(y, t)
    assert abs(v[200]) > 1.0 and v[0] == pytest.approx(v[-1], rel=0.05)  # no stop at 0.5, no kink at the wrap


def test_trunk_bend_keeps_the_legs_upright(tmp_path):
    text = ABDUCTION.replace("sh_abd = 10\n", "sh_abd = 10\ntrunk_bend = 60\n").replace(
        "sh_abd = 80\n", "sh_abd = 80\ntrunk_bend = 60\n")
    m = _motion(read_keyframed(_write(tmp_path, text)), 4.0, 50.0)
    J = list(m.skeleton.joints)
    thigh = m.positions[:, J.index("left_knee")] - m.positions[:, J.index("left_hip")]
    trunk = m.positions[:, J.index("neck")] - m.positions[:, J.index("pelvis")]
    tilt = np.degrees(np.arccos(thigh[:, 1] / -np.linalg.norm(thigh, axis=1)))
    lean = np.degrees(np.arccos(trunk[:, 1] / np.linalg.norm(trunk, axis=1)))
    assert tilt.max() < 8.0 and 50.0 < np.median(lean) < 75.0


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_the_examples_read_and_move(path):
    a = read_keyframed(path)
    assert a.label == path.stem
    m = _motion(a, 6.0, 50.0)
    assert m.labels[0].label == a.label and np.isfinite(m.positions).all()


@pytest.mark.parametrize("edit, words", [
    (("label = \"arm_raise\"", "label = \"Arm Raise\""), "snake_case"),
    (("hand = \"right\"", "hand = \"third\""), "hand"),
    (("hand = \"right\"", "hand = \"right\"\nspeed = 2"), "unknown field"),
    (("sh_abd = 80", "sh_abdd = 80"), "did you mean sh_abd"),
    (("sh_abd = 80", "sh_abd = 400"), "beyond any joint"),
    (("at = 0.5", "at = 0.0"), "strictly increasing"),
    (("repetition_s = 2.0", "repetition_s = [3, 1]"), "repetition_s"),
    (("repetition_s = 2.0", "repetition_s = \"slow\""), "repetition_s"),
    (("at = 0.5", "at = nan"), "finite number"),
    (("hand = \"right\"", "hand = \"right\"\ninterpolation = \"spline\"\n"), None),
    (("label = \"arm_raise\"\n", ""), "missing field 'label'"),
    (("[[keyframes]]", "[[keyframes"), "not a TOML file"),
])
def test_bad_files_are_refused_with_what_is_wrong(tmp_path, edit, words):
    p = _write(tmp_path, ABDUCTION.replace(*edit))
    if words is None:  # a valid variant (spline, the cycle closed by the reader)
        read_keyframed(p)
        return
    with pytest.raises(ValidationError) as err:
        read_keyframed(p)
    assert words in str(err.value) and str(p) in str(err.value)


def test_a_spline_that_does_not_close_is_refused(tmp_path):
    text = ABDUCTION.replace('hand = "right"', 'hand = "right"\ninterpolation = "spline"')
    text += "\n[[keyframes]]\nat = 1.0\nsh_abd = 30\n"
    with pytest.raises(ValidationError, match="end where it began"):
        read_keyframed(_write(tmp_path, text))


def test_every_angle_name_is_a_pose_key_the_library_reads():
    from imuforge.motion.library._core import pose_to_local

    base = pose_to_local({}, 2)
    for key in ANGLES:
        if key == "trunk_bend":
            continue
        name = f"{key}_R" if key in ("collar_elev", "sh_flex", "sh_abd", "sh_rot", "elbow_flex", "elbow_sup",
                                     "wrist_flex", "wrist_dev") else key
        assert not np.allclose(pose_to_local({name: 30.0}, 2), base), key


def test_cli_makes_n_people_and_a_dataset(tmp_path, capsys):
    from imuforge.recording import read_dataset

    src = _write(tmp_path, ABDUCTION)
    out = tmp_path / "ds"
    rc = main(["motion", "--from", str(src), "--n", "3", "--seconds", "5", "--fps", "50",
               "--profile", "smartwatch-wrist", "--placement", "wrist_right", "--wear-variation", "none",
               "--out", str(out)])
    assert rc == 0
    ds = read_dataset(out)
    assert len(ds) == 3 and {ds.read(i).labels[0].label for i in range(3)} == {"arm_raise"}
    rec = ds.read(0)
    assert rec.placement == "wrist_right" and np.ptp(rec.gyro, axis=0).max() > 0.5
    assert "a.toml → arm_raise" in capsys.readouterr().out


def test_cli_bad_file_exits_2_and_writes_nothing(tmp_path, capsys):
    src = _write(tmp_path, ABDUCTION.replace("sh_abd = 80", "shoulder = 80"))
    out = tmp_path / "never"
    assert main(["motion", "--from", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown angle" in err[0] and "Traceback" not in err[0]
    assert not out.exists()
    assert main(["motion", "--from", str(_write(tmp_path, ABDUCTION, "b.toml")), "--label", "walking",
                 "--out", str(out)]) == 2
    assert "names itself" in capsys.readouterr().err
