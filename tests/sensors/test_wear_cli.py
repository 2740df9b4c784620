"""``--wear-variation`` on ``imuforge simulate`` and ``imuforge motion --profile``, run as a user would."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.cli import main
from imuforge.recording import read_dataset, read_recording
from imuforge.sensors.simulate import simulate
from tests.conftest import rigid_motion


def _motion_file(tmp_path):
    t = np.arange(0, 4.0, 1 / 50)
    motion = rigid_motion(t, lambda t: np.outer(0.1 * np.sin(2 * np.pi * t), [1, 0.5, 0]),
                          lambda t: Rotation.from_rotvec(np.outer(0.5 * np.sin(3 * t), [0, 1, 0])), 50.0)
    return motion, motion.save(tmp_path / "m.motion.npz")


def test_simulate_wears_the_device_by_default_and_none_is_the_exact_placement(profile_dir, tmp_path):
    motion, mfile = _motion_file(tmp_path)
    base = ["simulate", "--motion", str(mfile), "--profile", "testband", "--seed", "3"]
    assert main(base + ["--out", str(tmp_path / "on.imu.parquet")]) == 0
    on = read_recording(tmp_path / "on.imu.parquet")
    w = on.provenance["wear"]
    assert w["switches"] == dict.fromkeys(("rotation", "offset", "looseness", "flips", "side"), True)
    assert w["placement"] == on.placement and w["base_placement"] == "wrist_left"
    assert main(base + ["--wear-variation", "none", "--out", str(tmp_path / "off.imu.parquet")]) == 0
    off = read_recording(tmp_path / "off.imu.parquet")
    lib = simulate(motion, "testband", "wrist_left", seed=3)  # the library's default: exactly the placement
    assert "wear" not in off.provenance and off.placement == "wrist_left"
    np.testing.assert_array_equal(off.data, lib.data)
    assert main(base + ["--wear-variation", "rotation", "--out", str(tmp_path / "rot.imu.parquet")]) == 0
    rot = read_recording(tmp_path / "rot.imu.parquet").provenance["wear"]
    assert rot["rotation_deg"] == w["rotation_deg"] and rot["looseness"] is None and rot["flip"] == "none"


def test_bad_wear_variation_is_refused_with_the_allowed_values(profile_dir, tmp_path, capsys):
    _, mfile = _motion_file(tmp_path)
    code = main(["simulate", "--motion", str(mfile), "--profile", "testband", "--wear-variation", "wobble",
                 "--out", str(tmp_path / "x.imu.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and "wobble" in err and "rotation, offset, looseness, flips, side" in err
    assert not (tmp_path / "x.imu.parquet").exists()


def test_motion_profile_dataset_records_each_persons_wear(tmp_path):
    out = tmp_path / "ds"
    assert main(["motion", "--schedule", "standing:3,walking:4", "--n", "3", "--fps", "50", "--seed", "2",
                 "--profile", "smartwatch-wrist", "--out", str(out)]) == 0
    ds = read_dataset(out)
    wears = [ds.read(i).provenance["wear"] for i in range(len(ds))]
    assert len({repr(w["rotation_deg"]) for w in wears}) == 3  # three people, three ways of wearing
    assert main(["motion", "--schedule", "standing:3,walking:4", "--n", "1", "--fps", "50", "--seed", "2",
                 "--profile", "smartwatch-wrist", "--wear-variation", "none", "--out", str(tmp_path / "o")]) == 0
    assert "wear" not in read_dataset(tmp_path / "o").read(0).provenance


def test_simulate_says_when_wear_variation_moved_the_device(tmp_path, capsys):
    """The side switch may put the device on the other limb when the profile's placement is used, and the
    command says so; a placement the user names (--placement ankle_right) keeps its side."""
    from imuforge.sensors.profiles import load_profile

    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "2", "--n", "10", "--seed", "0",
                 "--out", str(tmp_path / "m")]) == 0
    default = load_profile("metamotions").default_placement
    moved = []
    # the side is drawn per person (the motion's body): some of the 10 people wear it on the other side
    for i, motion_file in enumerate(sorted((tmp_path / "m").glob("*.motion.npz"))):
        for named in (False, True):
            out = tmp_path / f"s{i}{named}.imu.parquet"
            capsys.readouterr()
            assert main(["simulate", "--motion", str(motion_file), "--profile", "metamotions",
                         *(["--placement", "ankle_right"] if named else []), "--out", str(out)]) == 0
            err, placement = capsys.readouterr().err, read_recording(out).placement
            if named:
                assert placement == "ankle_right" and "note: this simulated person wears" not in err
            elif placement != default:
                moved.append((placement, err))
            else:
                assert "note: this simulated person wears" not in err
    assert moved, "none of 10 people of the default wear was switched to the other side"
    assert all(p in err and "--wear-variation none" in err for p, err in moved)


def test_a_recording_says_which_configuration_made_it(profile_dir, tmp_path):
    """The provenance holds the configuration simulated (a profile's name alone does not tell an --odr or
    --range-g override, or which version of a user's file): `imuforge profiles show`'s figures."""
    _, mfile = _motion_file(tmp_path)
    assert main(["simulate", "--motion", str(mfile), "--profile", "testband", "--odr", "50",
                 "--range-g", "16", "--out", str(tmp_path / "o.imu.parquet")]) == 0
    rec = read_recording(tmp_path / "o.imu.parquet")
    dev = rec.provenance["device_config"]
    assert dev["name"] == "testband" and dev["accel"]["odr_hz"] == 50 and dev["accel"]["range_g"] == 16
    assert dev["gyro"]["odr_hz"] == 50 and rec.rate_hz == pytest.approx(50, rel=0.01)


def test_simulate_judges_a_motion_file_made_elsewhere_and_says_what_saturates(profile_dir, tmp_path,
                                                                               capsys):
    """A .motion.npz written elsewhere (no plausibility report of its own: not made by the library, nor judged
    where it was imported) in cm instead of m is a body at ≈ 100 g: refused as the same joints in a .npy are;
    kept with --allow-implausible, and the samples clipped at the device's full scale are said."""
    from imuforge.motion.library import generate
    from imuforge.motion.motion import Motion

    m = generate("walking", 4, fps=50, rng=1)
    cm = Motion(m.positions * 100, m.orientations, m.fps, labels=m.labels)  # no report: made elsewhere
    path = cm.save(tmp_path / "cm.motion.npz")
    base = ["simulate", "--motion", str(path), "--profile", "testband",
            "--out", str(tmp_path / "o.imu.parquet")]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "not a motion a body can perform:" in err and "specific force" in err
    assert len(err.splitlines()) == 1
    assert main(base + ["--allow-implausible"]) == 0
    assert re.search(r"note: \d+\.\d % of the accel samples sit at the ±\d+ g full scale: the motion goes "
                     r"beyond the range \(a wider one, --range-g, holds more of it", capsys.readouterr().err)
    m.save(tmp_path / "m.motion.npz")  # the library's own: judged when it was made, taken as it is
    assert main(["simulate", "--motion", str(tmp_path / "m.motion.npz"), "--profile", "testband", "--out",
                 str(tmp_path / "m.imu.parquet")]) == 0
    assert "full scale" not in capsys.readouterr().err
