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

#: every spread off: one person's repetitions are exact copies, every 2 s
EXACT = """\
repetition_s = 2.0
pause_s = 0
amplitude = 1
tempo_sd = 0
excursion_sd = 0
wander_deg = 0
style_deg = 0
"""

ABDUCTION = """\
label = "arm_raise"
hand = "right"
""" + EXACT + """
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


def test_each_person_does_it_their_own_way_by_style_deg(tmp_path):
    """``style_deg``: each person's constant offset of every named angle — the same in every recording of that
    person, other between people with the SD the file gives (statistics against the formula: 200 people's
    offsets have an SD within 15 % of it), none for style_deg = 0 or a person without a style seed."""
    from imuforge.motion.body import Person

    a = read_keyframed(_write(tmp_path, ABDUCTION.replace("style_deg = 0", "style_deg = 6")))
    people = [Person(gait_style_seed=k) for k in range(200)]
    offsets = np.array([[a._style(p)[k] for k in a.angles] for p in people])
    assert offsets.shape == (200, len(a.angles)) and np.allclose(offsets.std(axis=0), 6.0, rtol=0.15)
    assert a._style(people[3]) == a._style(Person(gait_style_seed=3))  # a person keeps their way
    assert set(a._style(Person()).values()) == {0.0}
    # the motion: the raised arm's peak abduction moves by the person's sh_abd offset (80° + offset)
    person = people[5]
    m = schedule([(a.label, 6.0)], activities={a.label: a.activity()}, rng=0, fps=100.0, blend_s=0,
                 person=person)
    peak = _upper_arm_from_trunk(m, "right").max()
    assert peak == pytest.approx(80.0 + a._style(person)["sh_abd"], abs=1.5)


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
    """Each example moves the right wrist (relative to the chest) by decimetres, and the left one hardly."""
    a = read_keyframed(path)
    assert a.label == path.stem
    m = _motion(a, 6.0, 50.0)
    assert m.labels[0].label == a.label and np.isfinite(m.positions).all()
    J = list(m.skeleton.joints)
    chest = m.orientations[:, J.index("spine3")]

    def travel(side):
        rel = m.positions[:, J.index(f"{side}_wrist")] - m.positions[:, J.index("spine3")]
        return np.ptp(Q.qrot(Q.qconj(chest), rel), axis=0).max()
    assert travel("right") > 0.15 and travel("left") < 0.05


@pytest.mark.parametrize("edit, words", [
    (("label = \"arm_raise\"", "label = \"Arm Raise\""), "snake_case"),
    (("hand = \"right\"", "hand = \"third\""), "hand"),
    (("hand = \"right\"", "hand = \"right\"\nspeed = 2"), "unknown field"),
    (("sh_abd = 80", "sh_abdd = 80"), "did you mean sh_abd"),
    (("sh_abd = 80", "sh_abd = 400"), "beyond any joint"),
    (("sh_abd = 80", "sh_abd = 80\nelbow_flex = 175"), "past the elbow's range"),  # made as 150° before
    (("sh_abd = 80", "sh_abd = 80\nelbow_flex = -40"), "bends the elbow backwards"),  # made as asked before
    (("at = 0.5", "at = 0.0"), "strictly increasing"),
    (("repetition_s = 2.0", "repetition_s = [3, 1]"), "repetition_s"),
    (("repetition_s = 2.0", "repetition_s = \"slow\""), "repetition_s"),
    (("at = 0.5", "at = nan"), "finite number"),
    (("label = \"arm_raise\"\n", ""), "missing field 'label'"),
    (("[[keyframes]]", "[[keyframes"), "not a TOML file"),
    (("sh_abd = 80\n", "sh_abd = 80\n\n[[keyframes]]\nat = 1.0\nsh_abd = 40\n"), "must end where it began"),
    (("sh_abd = 80\n", "sh_abd = 80\nwrist_flex = 30\n\n[[keyframes]]\nat = 1\nwrist_flex = 20\n"),
     "must end where it began"),  # not named at 0: the posture's value, unknown here
    (("pause_s = 0", "interpolation = \"spline\"\npause_s = [0, 1]"), "stop the motion"),
    # one key frame, or key frames that name the same values: a held arm, made as an exercise before
    (("\n[[keyframes]]\nat = 0.5\nsh_abd = 80\n", "\n"),
     "no angle changes between the key frames (at [0.0])"),
    (("at = 0.5\nsh_abd = 80", "at = 0.5\nsh_abd = 10"), "no angle changes between the key frames"),
])
def test_bad_files_are_refused_with_what_is_wrong(tmp_path, edit, words):
    p = _write(tmp_path, ABDUCTION.replace(*edit))
    with pytest.raises(ValidationError) as err:
        read_keyframed(p)
    assert words in str(err.value) and str(p) in str(err.value)
    if "missing field" in words:
        assert "allowed:" in str(err.value)


def test_a_folder_is_refused_in_one_line(tmp_path):
    (tmp_path / "d.toml").mkdir()
    with pytest.raises(ValidationError, match="not a readable file"):
        read_keyframed(tmp_path / "d.toml")


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


def _forearm_turn(m, side: str) -> np.ndarray:
    """The palm's direction in the world (the hand's local −y: SMPL's T-pose has the palms down)."""
    J = list(m.skeleton.joints)
    return Q.qrot(m.orientations[:, J.index(f"{side}_wrist")], np.array([0.0, -1.0, 0.0]))


@pytest.mark.parametrize("key, value, check", [
    ("sh_rot", 50, "hand_out"), ("sh_rot", -50, "hand_in"), ("elbow_sup", 80, "palm_up"),
    ("elbow_sup", -80, "palm_down"),
])
def test_an_angle_means_the_same_on_either_arm(tmp_path, key, value, check):
    """Elbow bent 90° at the side, forearm forward: external rotation takes the hand out to its own side,
    internal in across the belly; supination turns the palm up, pronation down — on the left arm as on the
    right (the library's raw sh_rot has opposite signs on the two sides)."""
    for hand in ("left", "right"):
        text = f'label = "turn"\nhand = "{hand}"\n' + EXACT + textwrap.dedent(f"""\
            [[keyframes]]
            at = 0.0
            sh_abd = 5
            sh_flex = 0
            elbow_flex = 90
            {key} = 0
            [[keyframes]]
            at = 0.5
            {key} = {value}
            """)
        m = _motion(read_keyframed(_write(tmp_path, text)), 4.0, 50.0)
        J = list(m.skeleton.joints)
        left = m.positions[:, J.index("left_hip")] - m.positions[:, J.index("right_hip")]
        left /= np.linalg.norm(left, axis=1, keepdims=True)
        wrist = m.positions[:, J.index(f"{hand}_wrist")] - m.positions[:, J.index(f"{hand}_elbow")]
        outward = (1 if hand == "left" else -1) * np.sum(wrist * left, axis=1) / np.linalg.norm(wrist, axis=1)
        palm_up = _forearm_turn(m, hand)[:, 1]
        # over two repetitions the angle reaches its key frame, and never turns the other way
        expected = {"hand_out": outward.max() > 0.5 and outward.min() > -0.2,
                    "hand_in": outward.min() < -0.5 and outward.max() < 0.2,
                    "palm_up": palm_up.max() > 0.8 and palm_up.min() > -0.2,
                    "palm_down": palm_up.min() < -0.8 and palm_up.max() < 0.2}
        assert expected[check], (hand, outward.min(), outward.max(), palm_up.min(), palm_up.max())


def test_trunk_bend_is_shared_by_the_pelvis_and_the_spine(tmp_path):
    from imuforge.motion.library.keyframed import HINGE, _put

    pose = {"pelvis_tilt": 1.0, "hip_flex": 2.0, "spine_flex": 3.0}
    _put(pose, "trunk_bend", None, np.array(40.0))
    assert pose["pelvis_tilt"] == pytest.approx(1.0 + HINGE["pelvis"] * 40)
    assert pose["hip_flex_L"] == pose["hip_flex_R"] == pytest.approx(2.0 + HINGE["pelvis"] * 40)
    assert pose["spine_flex"] == pytest.approx(3.0 + HINGE["spine"] * 40)


def test_seeds_follow_the_content_not_the_file_name(tmp_path, capsys):
    from imuforge.motion import read_motion

    a, b = _write(tmp_path, ABDUCTION, "one.toml"), _write(tmp_path, ABDUCTION, "two.toml")
    for src, out in ((a, "o1"), (b, "o2")):
        assert main(["motion", "--from", str(src), "--seconds", "3", "--fps", "25", "--out",
                     str(tmp_path / out)]) == 0
    m1, m2 = (read_motion(next((tmp_path / o).glob("*.motion.npz"))) for o in ("o1", "o2"))
    assert np.array_equal(m1.positions, m2.positions)


def test_cli_refuses_what_it_would_ignore_and_notes_the_still_arm(tmp_path, capsys):
    src = _write(tmp_path, ABDUCTION)
    for extra in (["a person waves"], ["--schedule", "standing:5"], ["--diversify"]):
        assert main(["motion", *extra, "--from", str(src), "--out", str(tmp_path / "x")]) == 2
        assert "is its own motion source" in capsys.readouterr().err
    walk = _write(tmp_path, ABDUCTION.replace('"arm_raise"', '"walking"'), "w.toml")
    assert main(["motion", "--from", str(walk), "--out", str(tmp_path / "x")]) == 2
    assert "is a library activity" in capsys.readouterr().err
    # a synonym too: "wave" had labelled its recordings "wave", beside --label wave's "waving" (session 62)
    wave = _write(tmp_path, ABDUCTION.replace('"arm_raise"', '"wave"'), "wave.toml")
    assert main(["motion", "--from", str(wave), "--out", str(tmp_path / "x")]) == 2
    assert "label 'wave' is a library activity ('waving', as --label reads it)" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["motion", "--from", str(src), "--n", "2", "--seconds", "3", "--fps", "25", "--profile",
                 "smartwatch-wrist", "--placement", "wrist_left", "--wear-variation", "none",
                 "--out", str(tmp_path / "idle")]) == 0
    assert "2 of the 2 simulated people wear the device on the arm the key frames do not move" in \
        capsys.readouterr().err



def test_an_angle_named_after_the_start_moves_from_the_posture(tmp_path):
    """An angle named only at a later key frame moves from the posture's value at 0 to it and back: not a
    file where nothing moves (the one-key-frame refusal must not take it for one)."""
    text = ABDUCTION.replace("at = 0.5\nsh_abd = 80", "at = 0.5\nsh_abd = 10\nneck_flex = 20")
    assert read_keyframed(_write(tmp_path, text)).angles  # read, not refused
    with pytest.raises(ValidationError, match="no angle changes between the key frames"):
        read_keyframed(_write(tmp_path, ABDUCTION.replace("at = 0.5\nsh_abd = 80", "at = 0.5\nsh_abd = 10"),
                              name="b.toml"))
