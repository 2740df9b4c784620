import re

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.motion import quat as Q
from imuforge.motion.importers import load_bvh, load_humanml3d
from imuforge.motion.kinematics import local_from_global
from imuforge.motion.library import generate
from imuforge.motion.motion import Motion
from imuforge.motion.skeleton import HUMANML3D_22 as S


def test_humanml3d_round_trip(tmp_path):
    m = generate("walking", 4, fps=20, rng=1)
    f = tmp_path / "t2m.npy"
    np.save(f, m.positions.astype(np.float32))
    back = load_humanml3d(f, label="walking")
    assert back.fps == 20
    assert np.allclose(back.positions, m.positions, atol=1e-6)
    assert [s.label for s in back.labels] == ["walking"]
    # bones that carry their own twist (pelvis, chest, shanks, forearms in hinge range) are recovered
    for j in ("pelvis", "spine3"):
        err = Q.angle_between(back.orientations[:, S.index(j)], m.orientations[:, S.index(j)])
        assert np.degrees(err.max()) < 2.0, j
    # shanks: where the knee is in the IK's hinge range (≥ 17° flexion, docs/MOTION.md). Near a straight
    # knee the leg's axial rotation is unobservable from positions and falls back to the minimal twist;
    # the gait curves carry a real ±5–12° axial leg rotation (Kadaba et al. 1989), so those frames differ
    for side in ("left", "right"):
        h, k, a = (S.index(f"{side}_{x}") for x in ("hip", "knee", "ankle"))
        u, v = m.positions[:, k] - m.positions[:, h], m.positions[:, a] - m.positions[:, k]
        flex = np.degrees(np.arccos(np.sum(u * v, 1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)))
        err = Q.angle_between(back.orientations[:, k], m.orientations[:, k])
        assert (flex >= 17).sum() > 10
        assert np.degrees(err[flex >= 17].max()) < 2.0, side


@pytest.mark.parametrize("arr, msg", [
    (np.zeros((10, 21, 3)), r"\(T, 22, 3\)"),
    (np.zeros((10, 263)), "feature array"),
    (np.zeros((1, 22, 3)), r"holds 1 frame\(s\): too short to simulate.*allowed: 6 frames or more"),
    (np.zeros((5, 22, 3)), r"holds 5 frame\(s\): too short to simulate"),
])
def test_humanml3d_bad_shapes(tmp_path, arr, msg):
    f = tmp_path / "bad.npy"
    np.save(f, arr)
    with pytest.raises(ValidationError, match=msg):
        load_humanml3d(f)


def test_a_pickled_npy_is_refused_without_numpys_advice(tmp_path):
    """numpy's error suggests loading the file unsafely (``allow_pickle=``), which no command offers: the
    line says what the file is instead, and what would do."""
    f = tmp_path / "objects.npy"
    np.save(f, np.array([{"joints": 1}], dtype=object), allow_pickle=True)
    named = r"objects.npy: not a NumPy .npy array of numbers: it holds Python objects \(a pickle\)"
    with pytest.raises(ValidationError, match=named + r".*allowed: a .npy of joint positions") as e:
        load_humanml3d(f)
    assert "allow_pickle" not in str(e.value)
    text = tmp_path / "notreally.npy"  # a CSV with the wrong name: not 'a pickle'
    text.write_text("t,x\n0,1\n")
    with pytest.raises(ValidationError, match=r"notreally.npy: not a NumPy .npy file \(its first bytes"):
        load_humanml3d(text)


def test_humanml3d_nan(tmp_path):
    m = generate("standing", 2, fps=20, rng=1)
    p = m.positions.copy()
    p[3, 5, 1] = np.nan
    np.save(tmp_path / "nan.npy", p)
    with pytest.raises(ValidationError, match="non-finite") as e:
        load_humanml3d(tmp_path / "nan.npy")
    assert "nan.npy" in str(e.value)


# ---------------------------------------------------------------- BVH fixtures
MIXAMO = {"pelvis": "mixamorig:Hips", "left_hip": "mixamorig:LeftUpLeg", "right_hip": "mixamorig:RightUpLeg",
          "spine1": "mixamorig:Spine", "left_knee": "mixamorig:LeftLeg", "right_knee": "mixamorig:RightLeg",
          "spine2": "mixamorig:Spine1", "left_ankle": "mixamorig:LeftFoot", "right_ankle": "mixamorig:RightFoot",
          "spine3": "mixamorig:Spine2", "left_foot": "mixamorig:LeftToeBase", "right_foot": "mixamorig:RightToeBase",
          "neck": "mixamorig:Neck", "left_collar": "mixamorig:LeftShoulder", "right_collar": "mixamorig:RightShoulder",
          "head": "mixamorig:Head", "left_shoulder": "mixamorig:LeftArm", "right_shoulder": "mixamorig:RightArm",
          "left_elbow": "mixamorig:LeftForeArm", "right_elbow": "mixamorig:RightForeArm",
          "left_wrist": "mixamorig:LeftHand", "right_wrist": "mixamorig:RightHand"}


def _write_bvh(path, motion, names, order="ZXY", scale=100.0, reverse_children=True):
    """BVH of a library motion: our rest offsets in cm, local rotations as Euler angles in ``order``."""
    from imuforge.motion.body import Person

    off = Person(**motion.meta["person"]).offsets * scale
    local = local_from_global(motion.orientations)
    root = motion.positions[:, 0] * scale
    lines = ["HIERARCHY"]
    cols = []

    def emit(j, depth):
        ind = "  " * depth
        kw = "ROOT" if j == 0 else "JOINT"
        lines.append(f"{ind}{kw} {names[S.joints[j]]}")
        lines.append(f"{ind}{{")
        lines.append(f"{ind}  OFFSET {off[j][0]:.6f} {off[j][1]:.6f} {off[j][2]:.6f}")
        rot = " ".join(f"{a}rotation" for a in order)
        if j == 0:
            lines.append(f"{ind}  CHANNELS 6 Xposition Yposition Zposition {rot}")
            cols.append(root)
        else:
            lines.append(f"{ind}  CHANNELS 3 {rot}")
        cols.append(Rotation.from_quat(local[:, j]).as_euler(order, degrees=True))
        kids = S.children(j)
        if reverse_children:
            kids = kids[::-1]
        for c in kids:
            emit(c, depth + 1)
        if not kids:
            lines.append(f"{ind}  End Site")
            lines.append(f"{ind}  {{")
            lines.append(f"{ind}    OFFSET 0 0 5")
            lines.append(f"{ind}  }}")
        lines.append(f"{ind}}}")

    emit(0, 0)
    data = np.concatenate(cols, axis=1)
    lines += ["MOTION", f"Frames: {data.shape[0]}", f"Frame Time: {1 / motion.fps:.6f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in data]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "YZX"])
def test_bvh_mixamo_round_trip(tmp_path, order):
    m = generate("walking", 3, fps=30, rng=2)
    f = _write_bvh(tmp_path / "walk.bvh", m, MIXAMO, order=order)
    back = load_bvh(f, label="walking")
    assert back.meta["m_per_unit"] == 0.01
    assert back.fps == pytest.approx(30, rel=1e-4)
    d = back.positions - m.positions
    d -= d.mean(axis=(0, 1))  # the importer puts the floor under the toes
    assert np.abs(d).max() < 1e-4
    assert back.meta["joint_map"]["left_elbow"] == "mixamorig:LeftForeArm"


def test_bvh_cmu_names_and_extra_joints(tmp_path):
    cmu = {"pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "spine1": "LowerBack",
           "left_knee": "LeftLeg", "right_knee": "RightLeg", "spine2": "Spine", "left_ankle": "LeftFoot",
           "right_ankle": "RightFoot", "spine3": "Spine1", "left_foot": "LeftToeBase", "right_foot": "RightToeBase",
           "neck": "Neck", "left_collar": "LeftShoulder", "right_collar": "RightShoulder", "head": "Head",
           "left_shoulder": "LeftArm", "right_shoulder": "RightArm", "left_elbow": "LeftForeArm",
           "right_elbow": "RightForeArm", "left_wrist": "LeftHand", "right_wrist": "RightHand"}
    m = generate("standing", 1, fps=30, rng=3)
    f = _write_bvh(tmp_path / "cmu.bvh", m, cmu, scale=1 / 0.056444)
    back = load_bvh(f)
    assert back.meta["m_per_unit"] == pytest.approx(0.056444)
    d = back.positions - m.positions
    assert np.abs(d - d.mean(axis=(0, 1))).max() < 1e-4


def last_value_is(text: str, token: str) -> str:
    """The BVH text with the last value of its last frame replaced by ``token``."""
    head, last = text.rstrip("\n").rsplit("\n", 1)
    return head + "\n" + last.rsplit(" ", 1)[0] + " " + token + "\n"


def test_bvh_motion_header_on_any_lines(tmp_path):
    """MOTION / Frames: / Frame Time: split or joined across lines as some exporters write them: the same
    motion."""
    m = generate("standing", 1, fps=10, rng=3)
    good = _write_bvh(tmp_path / "g.bvh", m, MIXAMO).read_text()
    ref = load_bvh(tmp_path / "g.bvh")
    for name, text in {"joined.bvh": good.replace("MOTION\nFrames:", "MOTION Frames:"),
                       "split.bvh": good.replace("Frame Time:", "Frame\nTime:")}.items():
        assert text != good
        (tmp_path / name).write_text(text)
        back = load_bvh(tmp_path / name)
        assert np.array_equal(back.positions, ref.positions) and back.fps == ref.fps


def test_bvh_malformed(tmp_path):
    m = generate("standing", 1, fps=10, rng=3)
    good = _write_bvh(tmp_path / "g.bvh", m, MIXAMO).read_text()
    cases = {
        "nohier.bvh": (good.replace("HIERARCHY", "HIERARCHx", 1), "expected 'HIERARCHY'"),
        "count.bvh": (good.rstrip("\n").rsplit("\n", 1)[0] + "\n", "values but Frames"),
        "chan.bvh": (good.replace("Zrotation", "Wrotation", 1), "unknown channel"),
        "num.bvh": (good.replace("OFFSET", "OFFSET abc", 1), "expected a number"),
        "names.bvh": (good.replace("mixamorig:LeftForeArm", "Thing17"), "cannot map BVH joints onto left_elbow"),
        # a value of the MOTION block: named with its line (the last line of the file)
        "value.bvh": (last_value_is(good, "1.5e"),
                      f"line {len(good.splitlines())}: expected a number, got '1.5e'"),
        "inf.bvh": (last_value_is(good, "inf"), "is not finite"),
        "time.bvh": (good.replace("Frame Time:", "Frame Time: -1 #"),
                     "expected a number|Frame Time must be from"),
        "trail.bvh": (good.replace("MOTION", "} MOTION", 1), "expected 'MOTION', got '}'"),
        # what made tracebacks or asked numpy for terabytes (session 58's audit)
        "nanchan.bvh": (good.replace("CHANNELS 3", "CHANNELS nan", 1), "CHANNELS must be a whole number"),
        "frames.bvh": (re.sub(r"Frames:\s*\d+", "Frames: 91.7", good), "Frames must be a whole number"),
        "slow.bvh": (re.sub(r"Frame Time:\s*\S+", "Frame Time: 1e9", good), "Frame Time must be from"),
        "twice.bvh": (good.replace("Zrotation Xrotation Yrotation", "Xrotation Xrotation Yrotation", 1),
                      "channel 'Xrotation' twice"),
        "offset.bvh": (good.replace("OFFSET", "OFFSET nan", 1).replace("OFFSET nan", "OFFSET nan 0 0 #", 1),
                       "OFFSET that is not finite"),
        "deep.bvh": (good.replace("JOINT", "".join("JOINT j%d {\n" % i for i in range(600)) + "JOINT", 1),
                     "joints nested more than 200 deep"),
        "nochan.bvh": (re.sub(r"CHANNELS \d+( \w+)*", "CHANNELS 0", good), "declares no CHANNELS"),
        "super.bvh": (re.sub(r"Frames:\s*\d+", "Frames: ²", good), "Frames must be a whole number"),
    }
    for name, (text, msg) in cases.items():
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(ValidationError, match=msg) as e:
            load_bvh(p)
        assert name in str(e.value)
        if name in ("count.bvh", "inf.bvh"):  # what would do: a whole file, finite numbers
            assert "(allowed: " in str(e.value), (name, e.value)
    with pytest.raises(FileNotFoundError):
        load_bvh(tmp_path / "missing.bvh")


def test_npy_that_promises_more_than_it_holds_or_holds_complex_numbers(tmp_path):
    """A .npy header asking for (10⁹, 22, 3) on a file of 61 frames made numpy allocate 246 GiB (a
    traceback); a cut file and complex positions (whose imaginary part numpy dropped with a warning) are
    refused in one line too."""
    m = generate("standing", 1, fps=20, rng=3)
    ok = tmp_path / "ok.npy"
    np.save(ok, m.positions)
    raw = ok.read_bytes()
    huge = tmp_path / "huge.npy"
    huge.write_bytes(raw.replace(str(m.positions.shape[0]).encode() + b", 22, 3", b"1000000000, 22, 3", 1))
    cut = tmp_path / "cut.npy"
    cut.write_bytes(raw[:len(raw) // 2])
    for path in (huge, cut):
        with pytest.raises(ValidationError, match="cut short or not written whole"):
            load_humanml3d(path)
    np.save(tmp_path / "complex.npy", m.positions.astype(complex))
    with pytest.raises(ValidationError, match="not real numbers"):
        load_humanml3d(tmp_path / "complex.npy")
    np.save(tmp_path / "obj.npy", np.array([0] * 1000, dtype=object), allow_pickle=True)
    with pytest.raises(ValidationError, match="holds Python objects"):  # whole, but a pickle: not "cut short"
        load_humanml3d(tmp_path / "obj.npy")
    assert load_humanml3d(ok).n_frames == m.positions.shape[0]


@pytest.mark.parametrize("activity", ["walking", "sitting", "lying"])
def test_the_stature_from_the_legs_does_not_depend_on_the_pose(activity):
    """BVH units were read from the first frame's head-to-ankle span, so a file starting seated on the floor
    read its centimetres as inches (a fresh user's run, session 62). The legs' segment lengths give the
    stature in any pose: Winter's thigh + shank share, 0.491, within the library's ±3 % proportions."""
    from imuforge.motion.plausibility import stature

    m = generate(activity, 2, fps=20, rng=4)
    assert stature(m.positions) == pytest.approx(m.meta["person"]["height_m"], rel=0.06)
    assert stature(m.positions * 100.0) == pytest.approx(100 * stature(m.positions))


def test_bvh_in_smpl_names(tmp_path):
    """SMPL's skeleton names a collar beside its shoulder and an ankle above its foot (the toe), where
    Mixamo's LeftShoulder is the clavicle and LeftFoot the ankle: such a file was refused for want of
    shoulders (or, naming only its legs so, read the toe as the ankle)."""
    smpl = {j: j[0].upper() + j[1:] for j in S.joints}  # Pelvis, Left_hip, …, Left_collar, Left_shoulder
    m = generate("walking", 2, fps=30, rng=5)
    back = load_bvh(_write_bvh(tmp_path / "smpl.bvh", m, smpl))
    assert back.meta["joint_map"]["left_shoulder"] == "Left_shoulder"
    joints = back.meta["joint_map"]
    assert joints["left_ankle"] == "Left_ankle" and joints["left_foot"] == "Left_foot"
    d = back.positions - m.positions
    assert np.abs(d - d.mean(axis=(0, 1))).max() < 1e-4


def test_a_npy_in_centimetres_is_refused_naming_the_unit(tmp_path):
    m = generate("walking", 2, fps=20, rng=6)
    np.save(tmp_path / "cm.npy", m.positions * 100.0)
    with pytest.raises(ValidationError, match=r"legs make it 1\d\d m tall: positions in cm\?"):
        load_humanml3d(tmp_path / "cm.npy")


def test_a_z_up_npy_is_turned_with_up_z(tmp_path):
    from imuforge.motion.importers import trunk_along_z

    m = generate("walking", 2, fps=20, rng=7)
    zup = m.positions[..., [0, 2, 1]] * np.array([1.0, -1.0, 1.0])  # y up → z up (x right, y forward)
    np.save(tmp_path / "z.npy", zup)
    assert trunk_along_z(load_humanml3d(tmp_path / "z.npy").positions) == 1.0  # what the command warns of
    back = load_humanml3d(tmp_path / "z.npy", up="z")
    assert trunk_along_z(back.positions) == 0.0
    np.testing.assert_allclose(back.positions, m.positions, atol=1e-12)


def test_bvh_read_in_a_unit_given_wrong_is_refused_naming_the_one_that_fits(tmp_path):
    """``--units inch`` on a file in cm made a person 4.3 m tall, exit 0: a .npy is held to 0.8–2.5 m, and an
    explicit unit skipped the check. The unit given is held to it too, and the one that fits is named; auto
    still reads it; a byte-order mark before HIERARCHY (Windows exports) is not part of the text."""
    m = generate("standing", 1, fps=10, rng=3)
    f = _write_bvh(tmp_path / "cm.bvh", m, MIXAMO)  # (centimetres)
    with pytest.raises(ValidationError, match=r"legs make it 4\.\d+ m tall read in inch: the file in cm "
                                              r"\(--units cm\)\?.*allowed: a body 0\.8–2\.5 m tall"):
        load_bvh(f, units="inch")
    assert load_bvh(f, units="cm").meta["m_per_unit"] == 0.01 == load_bvh(f).meta["m_per_unit"]
    bom = tmp_path / "bom.bvh"
    bom.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    assert np.array_equal(load_bvh(bom).positions, load_bvh(f).positions)


def test_a_bvh_too_short_to_simulate_is_refused_at_import(tmp_path):
    """A 5-frame file was imported (exit 0) and `simulate` then failed with 'the quintic spline needs >= 6',
    naming neither the file nor what is allowed."""
    m = generate("standing", 1, fps=10, rng=3)
    short = Motion(m.positions[:5], m.orientations[:5], m.fps, meta=m.meta)
    f = _write_bvh(tmp_path / "short.bvh", short, MIXAMO)
    with pytest.raises(ValidationError, match=r"short\.bvh: holds 5 frame\(s\): too short to simulate"):
        load_bvh(f)


def test_auto_units_take_a_unit_that_makes_a_stature_and_name_the_others_that_would(tmp_path):
    """``--units auto`` took the unit nearest 1.7 m even outside 0.8–2.5 m: a 1.02 m child in cm read as 2.59
    m in inch and was refused, with --units auto offered as the remedy. Of the units that make a stature, the
    one nearest 1.7 m is taken, and the others that would are recorded (cm and inch both fit a 0.9 m
    child)."""
    from imuforge.motion.plausibility import stature

    m = generate("standing", 1, fps=10, rng=3)
    tall = stature(m.positions)
    for child, read, also in ((1.02, 0.01, {}), (0.9, 0.0254, {"cm": 0.9})):
        f = _write_bvh(tmp_path / f"c{child}.bvh", m, MIXAMO, scale=100.0 * child / tall)
        back = load_bvh(f)
        assert back.meta["m_per_unit"] == read
        assert back.meta["units_also_fit"] == pytest.approx(also, abs=0.01)
    with pytest.raises(ValidationError, match=r"no unit imuforge reads \(m, cm, mm, inch, cmu\) makes it "
                                              r"0\.8–2\.5 m tall"):
        load_bvh(_write_bvh(tmp_path / "tiny.bvh", m, MIXAMO, scale=0.3 / tall))
