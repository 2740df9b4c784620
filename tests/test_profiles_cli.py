"""`imuforge profiles list` with a user's malformed profile: shown as not usable with its reason, never as fine;
using it is the one-line exit-2 error."""

from __future__ import annotations

import json

import numpy as np
from scipy.spatial.transform import Rotation

from imuforge.cli import main
from tests.conftest import TEST_CHIP, TEST_DEVICE, rigid_motion

BAD_VALUE = TEST_DEVICE.replace('name = "testband"', 'name = "badband"')


def _bad_value_device() -> str:
    """testband with a string where the accelerometer range belongs."""
    lines = BAD_VALUE.splitlines()
    assert any(ln.startswith("range_g") for ln in lines)
    return "\n".join('range_g = "four"' if ln.startswith("range_g") else ln for ln in lines) + "\n"


def test_a_malformed_user_profile_is_listed_as_not_usable(profile_dir, capsys):
    (profile_dir / "devices" / "badband.toml").write_text(_bad_value_device())
    (profile_dir / "devices" / "renamed.toml").write_text(TEST_DEVICE)  # says name = "testband"
    (profile_dir / "broken.toml").write_text('name = "broken\nkind = ')  # not TOML at all
    (profile_dir / "devices" / "wideband.toml").write_text(  # saved as UTF-16 by a Windows editor
        TEST_DEVICE.replace('name = "testband"', 'name = "wideband"'), encoding="utf-16")
    assert main(["profiles", "list"]) == 0
    out = capsys.readouterr().out
    usable, _, unusable = out.partition("not usable")
    assert unusable, out
    assert "testband" in usable and "smartwatch-wrist" in usable  # the good ones are still listed
    for name in ("badband", "renamed", "broken", "wideband"):
        assert name not in usable, name
    lines = {ln.split()[0]: ln for ln in unusable.splitlines()[1:] if ln.strip()}
    assert set(lines) == {"badband", "renamed", "broken", "wideband"}
    assert "wideband.toml: not UTF-8 text" in lines["wideband"]
    assert "range_g must be a finite number, got 'four'" in lines["badband"]
    assert str(profile_dir / "devices" / "badband.toml") in lines["badband"]
    assert "differs from the file name" in lines["renamed"]
    assert "invalid TOML" in lines["broken"]

    assert main(["profiles", "list", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries["testband"]["usable"] and entries["testband"]["error"] is None
    assert not entries["badband"]["usable"] and "range_g" in entries["badband"]["error"]


def test_using_a_malformed_user_profile_is_one_line_exit_2(profile_dir, tmp_path, capsys):
    (profile_dir / "devices" / "badband.toml").write_text(_bad_value_device())
    wide = TEST_DEVICE.replace('name = "testband"', 'name = "wideband"')
    (profile_dir / "devices" / "wideband.toml").write_text(wide, encoding="utf-16")
    assert main(["profiles", "show", "wideband"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "wideband.toml: not UTF-8 text (allowed: a UTF-8 TOML profile" in err
    t = np.arange(0, 2.0, 1 / 30)
    motion = rigid_motion(t, lambda t: np.zeros((len(t), 3)), lambda t: Rotation.identity(len(t)), 30.0)
    mfile = motion.save(tmp_path / "m.motion.npz")
    for argv in (["profiles", "show", "badband"],
                 ["simulate", "--motion", str(mfile), "--profile", "badband", "--out", str(tmp_path / "r.imu.parquet")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert "badband.toml" in err and "range_g must be a finite number, got 'four'" in err, err
    assert not (tmp_path / "r.imu.parquet").exists()


def test_a_mistyped_profiles_folder_is_said(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IMUFORGE_PROFILES", str(tmp_path / "no-such-folder"))
    assert main(["profiles", "list"]) == 0
    cap = capsys.readouterr()
    assert f"IMUFORGE_PROFILES names {tmp_path / 'no-such-folder'}, which is not a folder (ignored)" in cap.err
    assert "smartwatch-wrist" in cap.out


def test_placements_are_listed_and_a_typo_gets_a_suggestion(tmp_path, capsys):
    from imuforge.sensors.placement import PLACEMENTS

    assert main(["profiles", "placements", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(PLACEMENTS)
    assert {r["segment"] for r in rows if r["name"].startswith("shin")} == {"left_shank", "right_shank"}
    assert main(["profiles", "placements"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(PLACEMENTS) and lines[0].split()[:2] == ["wrist_left", "left_forearm"]

    rc = main(["motion", "walking", "--profile", "metamotions", "--placement", "shin_rigth",
               "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown placement 'shin_rigth'; did you mean shin_right" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "m").exists()


def test_motion_refuses_device_options_without_a_device(tmp_path, capsys):
    rc = main(["motion", "walking", "--placement", "shin_right", "--odr", "50", "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 2 and "--placement, --odr needs --profile" in err and not (tmp_path / "m").exists()


def test_motion_says_how_many_people_wear_the_device_on_the_other_side(tmp_path, capsys):
    from imuforge.recording import read_dataset

    assert main(["motion", "walking", "--n", "6", "--seconds", "3", "--profile", "metamotions", "--placement",
                 "shin_right", "--out", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    other = sum(r.placement == "shin_left" for r in read_dataset(tmp_path / "m"))
    assert {r.placement for r in read_dataset(tmp_path / "m")} <= {"shin_left", "shin_right"}
    if other:
        assert f"note: {other} of the 6 simulated people wear the device on shin_left" in err
    else:
        assert "other side" not in err
    assert main(["motion", "walking", "--n", "6", "--seconds", "3", "--profile", "metamotions", "--placement",
                 "shin_right", "--wear-variation", "rotation,offset,looseness,flips",
                 "--out", str(tmp_path / "kept")]) == 0
    assert "other side" not in capsys.readouterr().err
    assert {r.placement for r in read_dataset(tmp_path / "kept")} == {"shin_right"}


def test_show_prints_figures_without_conversion_noise(capsys):
    """Per-device terms converted to the shown unit (12.4 mg → g) print as 0.0124, not
    0.012400000000000001."""
    from imuforge.commands.profiles import _figure

    assert _figure(12.4 / 1000) == "0.0124"
    assert _figure([0.08 * 1.0000000000000002, -0.11, 0.029999999999999995]) == "[0.08, -0.11, 0.03]"
    assert _figure((1, "x")) == "[1, x]" and _figure("bmi270") == "bmi270" and _figure(100) == "100"


def test_show_prints_each_sensors_filter_order(profile_dir, capsys):
    """The order of the filter each sensor is simulated with is a figure of the profile: `profiles show`
    prints it beside the bandwidth, per sensor (3 and 1 here, not the default 2), and --json has it."""
    chip, source = TEST_CHIP, 'filter_order = "assumption: test"\n'
    for sec, order in (("accel", 3), ("gyro", 1)):
        chip = chip.replace(f"[{sec}.sources]\n", f"filter_order = {order}\n[{sec}.sources]\n{source}")
    (profile_dir / "chips" / "testchip.toml").write_text(chip)
    assert main(["profiles", "show", "testband"]) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  [")}
    assert "bandwidth_hz=40, filter_order=3, " in lines["[accel]"]
    assert "filter_order=1, " in lines["[gyro]"] and "filter_order=2, " in lines["[mag]"]
    assert main(["profiles", "show", "testband", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [shown[k]["filter_order"] for k in ("accel", "gyro", "mag")] == [3, 1, 2]


def test_show_gives_each_figure_in_its_datasheet_unit(capsys):
    """The BMI270's 160 µg/√Hz and 7 mdps/√Hz as its datasheet states them (were 0.00016 g/√Hz), its ±20 mg
    offset in mg, and the range without a unit's round trip (2000.0000000000002 in --json)."""
    assert main(["profiles", "show", "nano33-ble-sense-rev2"]) == 0
    out = capsys.readouterr().out
    assert "noise_ug_per_rthz=160," in out and "bias_sd_mg=20" in out and "noise_mdps_per_rthz=7," in out
    assert main(["profiles", "show", "nano33-ble-sense-rev2", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["gyro"]["range_dps"] == 2000 and repr(shown["gyro"]["range_dps"]) == "2000.0"
    assert shown["accel"]["noise_ug_per_rthz"] == 160 and shown["accel"]["bias_sd_mg"] == 20


def test_list_names_a_profile_found_in_several_files(tmp_path, monkeypatch, capsys):
    """Two user folders holding one name: the first in sorted order was used and `profiles list` showed one
    entry without a word (session 58's audit); it now says which file is used and which are not."""
    from pathlib import Path

    import imuforge

    built_in = Path(imuforge.__file__).parent / "profiles" / "devices" / "metamotions.toml"
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "metamotions.toml").write_text(built_in.read_text())
    monkeypatch.setenv("IMUFORGE_PROFILES", str(tmp_path))
    assert main(["profiles", "list"]) == 0
    err = capsys.readouterr().err
    assert (f"note: profile 'metamotions' is in 3 files; {tmp_path / 'a' / 'metamotions.toml'} is used, not "
            f"{tmp_path / 'b' / 'metamotions.toml'}, {built_in}") in err


def test_a_name_begun_suggests_every_profile_it_begins(capsys):
    """``profiles show nano33`` suggested one board of two (a fresh user's run, session 61)."""
    from imuforge.cli import main

    assert main(["profiles", "show", "nano33"]) == 2
    err = capsys.readouterr().err
    assert "did you mean" in err and "nano33-ble-sense-rev2" in err.split("(allowed")[0]
    assert "nano33-ble-sense," in err.split("(allowed")[0] or "nano33-ble-sense?" in err.split("(allowed")[0]
