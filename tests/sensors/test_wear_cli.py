"""``--wear-variation`` on ``imuforge simulate`` and ``imuforge motion --profile``, run as a user would."""

from __future__ import annotations

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
    """The side switch may put the device on the other limb; the command says so instead of silently."""
    assert main(["motion", "walking", "--matcher", "keywords", "--seconds", "3", "--n", "1", "--seed", "0",
                 "--out", str(tmp_path / "m")]) == 0
    (motion_file,) = (tmp_path / "m").glob("*.motion.npz")
    moved = None
    for seed in range(12):  # the side draw is per person: some seed puts it on the left
        out = tmp_path / f"s{seed}.imu.parquet"
        capsys.readouterr()
        assert main(["simulate", "--motion", str(motion_file), "--profile", "metamotions", "--placement",
                     "ankle_right", "--seed", str(seed), "--out", str(out)]) == 0
        err = capsys.readouterr().err
        rec = read_recording(out)
        if rec.placement != "ankle_right":
            moved = (rec.placement, err)
            break
        assert "note: this simulated person wears" not in err
    if moved is None:
        pytest.skip("no seed put the device on the other side")
    assert "ankle_left" in moved[1] and "--wear-variation none" in moved[1]
