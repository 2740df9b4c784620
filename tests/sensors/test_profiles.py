"""Profile loader: SI conversion, overrides, and clear refusals of bad profiles."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.sensors import list_profiles, load_profile
from imuforge.units import DEG, STANDARD_GRAVITY as G
from tests.conftest import TEST_CHIP, TEST_DEVICE


def test_device_figures_in_si(profile_dir):
    p = load_profile("testband")
    acc, gyro, mag = p.sensors["accel"], p.sensors["gyro"], p.sensors["mag"]
    assert p.odr_hz == 100 and p.default_placement == "wrist_left"
    assert acc.range_si == 8 * G and acc.lsb_si == 16 * G / 2**16
    assert gyro.range_si == pytest.approx(2000 * DEG) and gyro.noise_density_si == pytest.approx(7e-3 * DEG)
    assert gyro.bias_instability_si == pytest.approx(10 * DEG / 3600)
    assert acc.bandwidth_hz == pytest.approx(40.0)
    # magnetometer: ±1300 µT at 0.3 µT → ceil(log2(2600/0.3)) = 14 bits
    assert mag.bits == math.ceil(math.log2(2600 / 0.3)) and mag.odr_hz == 20
    assert p.timing.jitter_s == pytest.approx(50e-6)
    assert p.channels[:3] == ("acc_x", "acc_y", "acc_z")


def test_chip_loads_as_a_profile_with_its_defaults(profile_dir):
    p = load_profile("testchip")
    assert p.sensors["accel"].range_si == 4 * G and p.odr_hz == 100


def test_overrides_are_checked_against_the_chip(profile_dir):
    p = load_profile("testband", odr_hz=200, range_g=16, placement="waist_front")
    assert p.odr_hz == 200 and p.sensors["accel"].range_si == 16 * G and p.default_placement == "waist_front"
    with pytest.raises(ValidationError, match=r"333 Hz is not a rate its accelerometer and gyroscope share "
                                              r"\(allowed: 25, 50, 100"):
        load_profile("testband", odr_hz=333)
    with pytest.raises(ValidationError, match=r"range_g = 3 is not a range.*allowed: 2, 4, 8, 16"):
        load_profile("testband", range_g=3)
    with pytest.raises(ValidationError, match="unknown placement"):
        load_profile("testband", placement="nose")
    # the same words in another order are suggested first (it suggested foot_right for left_wrist)
    with pytest.raises(ValidationError, match="unknown placement 'left_wrist'; did you mean wrist_left\\?"):
        load_profile("testband", placement="left_wrist")


def _write(profile_dir, sub, name, text):
    (profile_dir / sub / f"{name}.toml").write_text(text)


@pytest.mark.parametrize(
    "edit, message",
    [
        (("noise_ug_per_rthz = 150", "noise_ug_per_rthz = -3"), r"testchip.toml: \[accel\].*must be >= 0, got -3"),
        (("bits = 16\nodrs_hz = [25", "bitz = 16\nodrs_hz = [25"), r"unknown key\(s\) bitz"),
        (("noise_ug_per_rthz = 150\n", ""), r"missing a noise figure.*noise_ug_per_rthz"),
        (('name = "testchip"', 'name = "otherchip"'),
         r"name 'otherchip' differs from the file name: name must equal the file name without .toml"
         r".*allowed: 'testchip'"),
        # a copy not yet renamed inside hears of its other errors first (the name hid them); a missing name
        # is refused as such (it was a KeyError's traceback once checked last)
        (('name = "testchip"\n', 'name = "otherchip"\n', "noise_ug_per_rthz = 150", "noise_ug_per_rthz = -3"),
         r"testchip.toml: \[accel\].*must be >= 0, got -3"),
        (('name = "testchip"\n', ""),
         r"testchip.toml: name: no name = '…' line \(allowed: name = 'testchip'"),
        (("ranges_g = [2, 4, 8, 16]", "ranges_g = []"), r"ranges_g must be a non-empty list"),
        (("bandwidth_odr_ratio = 0.4", "bandwidth_odr_ratio = 0.9"), r"bandwidth_odr_ratio must be in \(0, 0.5\]"),
        # figures out of any part's range (a unit or a digit gone wrong): a zero time constant divided the
        # simulator by zero; the others simulated a device nobody makes
        (("bias_tau_s = 20\n", "bias_tau_s = 0\n"),
         r"\[accel\] bias_tau_s: bias_tau_s = 0 is out of range.*allowed: a number > 0 and <= 1e\+07"),
        (("sensitivity_tolerance_pct = 0.5", "sensitivity_tolerance_pct = 150"),
         r"sensitivity_tolerance_pct = 150 is out of range.*<= 30"),
        (("cross_axis_pct = 1.0", "cross_axis_pct = 500"), r"cross_axis_pct = 500 is out of range.*<= 20"),
        (("noise_ug_per_rthz = 150", "noise_ug_per_rthz = 1e30"),
         r"noise_ug_per_rthz = 1e\+30 is out of range"),
    ],
)
def test_bad_chip_files_are_refused_with_file_and_field(profile_dir, edit, message):
    text = TEST_CHIP
    for old, new in zip(edit[::2], edit[1::2]):
        assert old in text
        text = text.replace(old, new, 1)
    _write(profile_dir, "chips", "testchip", text)
    with pytest.raises(ValidationError, match=message) as exc:
        load_profile("testband")
    assert "testchip.toml" in str(exc.value)


@pytest.mark.parametrize("defaults, message", [
    ("odr_hz = 60", r"testchip.toml: \[defaults\]: odr_hz = 60 is not an ODR the chip's \[accel\] can do "
                    r"\(allowed: 25, 50, 100, 200, 400, 800\)"),
    ("range_g = 3", r"testchip.toml: \[defaults\]: range_g = 3 is not a range the chip's \[accel\] offers "
                    r"\(allowed: 2, 4, 8, 16\)"),
])
def test_a_chips_defaults_are_refused_as_the_defaults_they_are(profile_dir, defaults, message):
    """A chip's [defaults] choosing what its sensors cannot do: said as [defaults]'s key (it was said as
    [accel]'s, a section that holds no odr_hz)."""
    was = {"odr_hz": "odr_hz = 100", "range_g": "range_g = 4"}[defaults.split(" =")[0]]
    assert TEST_CHIP.count(was) == 1  # (the [defaults] line: the sensors list theirs as odrs_hz / ranges_g)
    _write(profile_dir, "chips", "testchip", TEST_CHIP.replace(was, defaults))
    with pytest.raises(ValidationError, match=message):
        load_profile("testchip")


@pytest.mark.parametrize(
    "edit, message",
    [
        (("range_g = 8", "range_g = 12"), r"range_g = 12 is not a range chip 'testchip' offers"),
        (("odr_hz = 20", "odr_hz = 15"), r"\[mag\] odr_hz = 15 is not an ODR"),
        (('chip = "testchip"\nodr_hz = 100\nrange_g', 'chip = "nochip"\nodr_hz = 100\nrange_g'),
         r"testband.toml: \[accel\] chip: unknown chip 'nochip'"),
        (("drop_rate = 0.0", "drop_rate = 1.5"),
         r"drop_rate must be < 1, got 1.5 \(allowed: 0 ≤ drop_rate < 1"),
        (("jitter_us = 50", "jitter_us = -1"), r"jitter_us must be >= 0, got -1 \(allowed: a number >= 0\)"),
        (("[timing]", "[timings]"), r"unknown key\(s\) timings"),
        # another sensor's range in a section was accepted and kept unread (the accelerometer stayed at ±8 g)
        (("odr_hz = 100\nrange_g = 8", "odr_hz = 100\nrange_dps = 500"),
         r"testband.toml: \[accel\]: range_dps is the gyro range; it belongs in \[gyro\] "
         r"\(allowed: range_g in \[accel\]\)"),
        (("clock_ppm = 0", "clock_ppm = 2e6"), r"\[timing\] clock_ppm: clock_ppm = 2000000.0 is out of range"
                                               r".*>= -100000 and <= 100000"),
        (("jitter_us = 50", "jitter_us = 1e9"), r"jitter_us = 1000000000.0 is out of range"),
        (("odr_hz = 100\nrange_g = 8", "odr_hz = 50\nrange_g = 8\nbandwidth_hz = 500"),
         r"\[accel\] bandwidth_hz: \[accel\] bandwidth_hz = 500 lies above the Nyquist frequency of "
         r"odr_hz = 50"
         r".*allowed: at most 25 Hz"),
        (('description = "a device for the tests"', "description = 5"),
         r"testband.toml: description: description must be text in quotes, got 5"),
        (('default_placement = "wrist_left"', 'default_placement = "wristt_left"'),
         r"testband.toml: default_placement: unknown placement 'wristt_left'"),
    ],
)
def test_bad_device_files_are_refused(profile_dir, edit, message):
    old, new = edit
    assert old in TEST_DEVICE
    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace(old, new, 1))
    with pytest.raises(ValidationError, match=message):
        load_profile("testband")


def test_a_device_file_given_by_path_finds_its_chip_beside_it(tmp_path, monkeypatch):
    """``--profile my/device.toml`` with its chip in the same folder, none of it on the profile path."""
    monkeypatch.delenv("IMUFORGE_PROFILES", raising=False)
    (tmp_path / "testchip.toml").write_text(TEST_CHIP)
    (tmp_path / "testband.toml").write_text(TEST_DEVICE)
    p = load_profile(tmp_path / "testband.toml")
    assert p.sensors["accel"].chip == "testchip" and p.odr_hz == 100
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "testband.toml").write_text(TEST_DEVICE)
    own = (r"\(a chip of your own: testchip.toml beside the device file, or its folder on "
           r"\$IMUFORGE_PROFILES\)")
    with pytest.raises(ValidationError, match=r"unknown chip 'testchip' " + own):
        load_profile(tmp_path / "elsewhere" / "testband.toml")


def test_a_device_file_named_like_its_chip_still_finds_the_chip(tmp_path, monkeypatch):
    """The file beside a device is its chip only if it is a chip: a device named after its chip (bmi270.toml
    naming chip bmi270) found itself, a device, and was refused as 'not a chip'."""
    monkeypatch.delenv("IMUFORGE_PROFILES", raising=False)
    text = TEST_DEVICE.replace('name = "testband"', 'name = "bmi270"')
    text = text.replace('chip = "testchip"', 'chip = "bmi270"')
    text = text.replace('[mag]\nchip = "bmi270"\nodr_hz = 20\n', "")  # the built-in bmi270: no magnetometer
    (tmp_path / "bmi270.toml").write_text(text)
    p = load_profile(tmp_path / "bmi270.toml")
    assert p.name == "bmi270" and p.sensors["accel"].chip == "bmi270"


def test_an_odr_override_clamps_a_device_bandwidth_to_its_nyquist(profile_dir, capsys):
    """A device's own bandwidth_hz must lie below its own Nyquist; an --odr that lowers the Nyquist below
    it clamps the filter (it was refused, listing the refused ODR among the allowed ones), and says so."""
    _write(profile_dir, "devices", "testband",
           TEST_DEVICE.replace("odr_hz = 100\nrange_g = 8", "odr_hz = 100\nrange_g = 8\nbandwidth_hz = 40"))
    assert load_profile("testband").sensors["accel"].bandwidth_hz == 40
    assert load_profile("testband").notes == ()
    clamped = load_profile("testband", odr_hz=50)
    assert clamped.sensors["accel"].bandwidth_hz == 25
    note = ("--odr 50: the [accel] filter of 'testband' (bandwidth_hz = 40) passes at most the Nyquist "
            "frequency at that rate, 25 Hz")
    assert clamped.notes == (note,)
    assert load_profile("testband", odr_hz=100).notes == ()  # the file's own rate: nothing to say
    assert main(["profiles", "show", "testband", "--odr", "50"]) == 0
    assert f"note: {note}" in capsys.readouterr().err


@pytest.mark.parametrize("section, line, message", [
    ("chip", ("noise_ug_per_rthz = 150", "noise_by_range_ug_per_rthz = [150, 150, 150, 1e30]\n"
                                         "noise_ug_per_rthz = 150"),
     r"noise_by_range_ug_per_rthz = 1e\+30 is out of range"),
    ("device", ("odr_hz = 100\nrange_g = 8", "odr_hz = 100\nrange_g = 8\nbias_xyz_mg = [1e30, 0, 0]"),
     r"\[accel\] bias_xyz_mg: bias_xyz_mg = \[1e\+30, 0.0, 0.0\] is out of range.*within ±2000"),
])
def test_list_figures_and_device_terms_have_spans_too(profile_dir, section, line, message):
    old, new = line
    if section == "chip":
        sourced = 'noise_by_range_ug_per_rthz = "assumption: test"\nnoise_ug_per_rthz = "'
        text = TEST_CHIP.replace(old, new, 1).replace('noise_ug_per_rthz = "', sourced, 1)
        _write(profile_dir, "chips", "testchip", text)
    else:
        text = TEST_DEVICE.replace(old, new, 1) + '\n[accel.sources]\nbias_xyz_mg = "measured: test"\n'
        _write(profile_dir, "devices", "testband", text)
    with pytest.raises(ValidationError, match=message):
        load_profile("testband")


def test_invalid_toml_and_unknown_names(profile_dir):
    _write(profile_dir, "devices", "broken", "name = [unclosed")
    with pytest.raises(ValidationError, match="broken.toml: invalid TOML"):
        load_profile("broken")
    with pytest.raises(ValidationError, match="did you mean testband"):
        load_profile("testbnad")
    # a name nearly begun ("nano34": both boards; it named none, session 62)
    with pytest.raises(ValidationError, match="did you mean nano33-ble-sense-rev2, nano33-ble-sense"):
        load_profile("nano34")


def test_an_unknown_name_with_a_mistyped_profile_folder_says_so(monkeypatch, tmp_path):
    """A name not found while ``$IMUFORGE_PROFILES`` names no folder: the error says which entry is not one
    (the likely reason), not only the names it knows."""
    monkeypatch.setenv("IMUFORGE_PROFILES", str(tmp_path / "profiles-typo"))
    with pytest.raises(ValidationError, match=r"IMUFORGE_PROFILES names .*profiles-typo, which is not a "
                                              r"folder"):
        load_profile("mychip")
    monkeypatch.setenv("IMUFORGE_PROFILES", str(tmp_path))
    with pytest.raises(ValidationError) as err:
        load_profile("mychip")
    assert "IMUFORGE_PROFILES" not in str(err.value)


def test_list_profiles_puts_devices_first(profile_dir):
    names = [(p.kind, p.name) for p in list_profiles()]
    assert ("device", "testband") in names and ("chip", "testchip") in names
    kinds = [k for k, _ in names]
    assert kinds == sorted(kinds, key=lambda k: k != "device")


@pytest.mark.parametrize(
    "edit, message",
    [
        # a string where a number belongs
        (("range_g = 8", 'range_g = "four"'), r"testband.toml: \[accel\]: range_g must be a finite number, got 'four'"),
        (("range_g = 8", 'range_g = 8\nnoise_ug_per_rthz = "160"'),
         r"testband.toml: \[accel\]: noise_ug_per_rthz must be a finite number, got '160'"),
        (("odr_hz = 100\nrange_g", 'odr_hz = "100"\nrange_g'), r"\[accel\]: odr_hz must be a finite number"),
        # a device-level chip figure obeys the rules of a chip file: negative noise is refused
        (("range_g = 8", "range_g = 8\nnoise_ug_per_rthz = -160"),
         r"testband.toml: \[accel\]: noise_ug_per_rthz must be >= 0, got -160"),
        (("range_dps = 2000", "range_dps = 2000\nnoise_mdps_per_rthz = -1"), r"\[gyro\]: noise_mdps_per_rthz must be >= 0"),
        (('chip = "testchip"\nodr_hz = 100\nrange_g', 'chip = 7\nodr_hz = 100\nrange_g'),
         r"\[accel\] chip: chip must be a chip name in quotes, got 7"),
        (('name = "testband"', 'name = "band"'), r"testband.toml: name: .*name must equal the file name without .toml"),
    ],
)
def test_device_values_of_the_wrong_type_or_sign_are_refused(profile_dir, edit, message):
    old, new = edit
    assert old in TEST_DEVICE
    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace(old, new, 1))
    with pytest.raises(ValidationError, match=message):
        load_profile("testband")


def test_a_section_that_is_not_a_table_is_refused(profile_dir):
    text = TEST_DEVICE.replace('default_placement = "wrist_left"', 'default_placement = "wrist_left"\ntiming = 3')
    _write(profile_dir, "devices", "testband", text[:text.index("[timing]")])
    with pytest.raises(ValidationError, match=r"testband.toml: timing must be a table \[timing\], got 3"):
        load_profile("testband")


NOISE_300 = "range_g = 8\nnoise_ug_per_rthz = 300"
NOISE_300_SOURCE = '\n[accel.sources]\nnoise_ug_per_rthz = "measured: bench unit 3, 2026-01"\n'


def test_a_valid_device_level_noise_override_is_used(profile_dir):
    text = TEST_DEVICE.replace("range_g = 8", NOISE_300, 1)
    text = text.replace("\n[gyro]", NOISE_300_SOURCE + "\n[gyro]", 1)
    _write(profile_dir, "devices", "testband", text)
    accel = load_profile("testband").sensors["accel"]
    assert accel.noise_density_si == pytest.approx(300e-6 * G)
    assert accel.sources["noise_ug_per_rthz"] == "measured: bench unit 3, 2026-01"  # not the chip's source


@pytest.mark.parametrize("section, line", [
    ("accel", "noise_ug_per_rthz = 200"),
    ("accel", "bias_xyz_mg = [1, 2, 3]"),
    ("gyro", "bias_xyz_dps = [0.4, -0.2, 0.1]"),
    ("gyro", "g_sensitivity_xyz_dps_per_g = [0.08, -0.1, 0.03]"),
])
def test_a_device_figure_without_a_source_is_refused(profile_dir, capsys, section, line):
    """A figure in a device's sensor section (a chip figure overridden, or the device's own per-axis terms)
    needs a source: else `profiles show` would print it next to the chip's source. One line, exit 2."""
    from imuforge.cli import main

    anchor = {"accel": "range_g = 8", "gyro": "range_dps = 2000"}[section]
    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace(anchor, f"{anchor}\n{line}", 1))
    key = line.split(" = ")[0]
    with pytest.raises(ValidationError) as exc:
        load_profile("testband")
    assert f"testband.toml: [{section}] {key}: " in str(exc.value) and "names no source" in str(exc.value)
    assert exc.value.allowed.startswith(f'[{section}.sources] {key} = "')
    assert main(["profiles", "show", "testband"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and f"[{section}] {key}: " in err
    if key == "noise_ug_per_rthz":
        assert "overrides chip testchip's figure 150 with 200" in err


@pytest.mark.parametrize("section, key, edit", [
    ("accel", "filter_order", ("cross_axis_pct = 1.0\n", "cross_axis_pct = 1.0\nfilter_order = 2\n")),
    ("accel", "noise_ug_per_rthz", ('noise_ug_per_rthz = "assumption: test value"\n', "")),
    ("gyro", "g_sensitivity_dps_per_g", ('g_sensitivity_dps_per_g = "assumption: test value"',
                                         'g_sensitivity_dps_per_g = "  "')),  # a blank source is none
    ("mag", "zero_offset_ut", ("noise_ut_rms = 0.6\n", "noise_ut_rms = 0.6\nzero_offset_ut = 40\n")),
])
def test_a_chip_figure_without_a_source_is_refused(profile_dir, capsys, section, key, edit):
    """Every figure in a chip file's sensor section needs a source in [<sensor>.sources], as in a device:
    a chip file of the user's own (in their profile folder) without one is refused, loaded as a profile or
    through a device that names it. One line naming the file, section and key; exit 2."""
    from imuforge.cli import main

    old, new = edit
    assert old in TEST_CHIP
    _write(profile_dir, "chips", "testchip", TEST_CHIP.replace(old, new, 1))
    for name in ("testchip", "testband"):
        with pytest.raises(ValidationError) as exc:
            load_profile(name)
        assert f"testchip.toml: [{section}] {key}: " in str(exc.value) and "names no source" in str(exc.value)
        assert exc.value.allowed.startswith(f'[{section}.sources] {key} = "')
    assert main(["profiles", "show", "testchip"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and f"[{section}] {key}: " in err


@pytest.mark.parametrize("file, anchor, added, table, key, allowed", [
    ("testchip", "[accel.sources]\n", 'noise_ug_per_rthzz = "typo"\n', "[accel.sources]",
     "noise_ug_per_rthzz", "noise_ug_per_rthz"),
    ("testchip", "[gyro.sources]\n", 'filter_order = "not set"\n', "[gyro.sources]", "filter_order",
     "noise_mdps_per_rthz"),  # a figure of the chip's schema, but [gyro] does not set it
    ("testchip", 'datasheet = "none: figures chosen for tests"\n', '[sources]\n"accel.bits" = "never read"\n',
     "[sources]", "accel.bits", "datasheet"),
    ("testchip", 'placement = "wrist_left"\n', '[defaults.sources]\nodr_hz2 = "x"\n', "[defaults.sources]",
     "odr_hz2", "odr_hz"),
    ("testband", "range_g = 8\n", '[accel.sources]\nrange_gg = "x"\n', "[accel.sources]", "range_gg",
     "range_g"),
    ("testband", "drop_rate = 0.0\n", '[sources]\n"accel.noise_ug_per_rthzz" = "x"\n', "[sources]",
     "accel.noise_ug_per_rthzz", "accel.noise_ug_per_rthz"),
    ("testband", "drop_rate = 0.0\n", '[sources]\n"timing.jitter" = "x"\n', "[sources]", "timing.jitter",
     "timing.jitter_us"),
    ("testband", "drop_rate = 0.0\n", '[timing.sources]\njitter = "x"\n', "[timing.sources]", "jitter",
     "jitter_us"),
])
def test_a_source_for_a_key_that_is_not_there_is_refused(profile_dir, capsys, file, anchor, added, table, key,
                                                         allowed):
    """A sources entry naming no key of its place (a misspelt figure, another section's, a figure the section
    does not set) was kept unread: refused in one line naming the file, the table, the key and the keys that
    may have sources; exit 2."""
    from imuforge.cli import main

    sub, text = ("chips", TEST_CHIP) if file == "testchip" else ("devices", TEST_DEVICE)
    assert anchor in text
    _write(profile_dir, sub, file, text.replace(anchor, anchor + added, 1))
    with pytest.raises(ValidationError) as exc:
        load_profile(file)
    assert f"{file}.toml: {table}: source(s) for {key}, not " in str(exc.value)
    assert allowed in exc.value.allowed.split(", ") and key not in exc.value.allowed.split(", ")
    assert main(["profiles", "show", file]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and f"source(s) for {key}, not " in err


def test_a_device_may_name_a_source_for_its_chips_figure(profile_dir):
    """In a device's [accel.sources], a figure of its chip that the device does not override is not a stray
    entry: its source is shown in place of the chip's (as before)."""
    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace(
        "range_g = 8\n", 'range_g = 8\n[accel.sources]\nzero_g_offset_mg = "measured: unit 3"\n', 1))
    assert load_profile("testband").sensors["accel"].sources["zero_g_offset_mg"] == "measured: unit 3"


def test_a_figure_source_may_stand_in_the_devices_sources_and_shows_as_its_own(profile_dir, capsys):
    """`"accel.key"` in [sources] (the built-ins' form) is the figure's source too; configuration (chip,
    odr_hz, range_g, bandwidth_hz) needs none. `profiles show` prints the override's source, not the
    chip's."""
    from imuforge.cli import main

    text = TEST_DEVICE.replace("range_g = 8", NOISE_300 + "\nbandwidth_hz = 40", 1)
    text += '\n[sources]\n"accel.noise_ug_per_rthz" = "measured: bench unit 3, 2026-01"\n'
    _write(profile_dir, "devices", "testband", text)
    assert main(["profiles", "show", "testband"]) == 0
    out = capsys.readouterr().out
    assert "source noise_ug_per_rthz: measured: bench unit 3, 2026-01" in out
    assert "noise_ug_per_rthz: assumption: test value" not in out  # the chip's source of its noise figure
    blank_own = text.replace("bandwidth_hz = 40",
                             'bandwidth_hz = 40\n[accel.sources]\nnoise_ug_per_rthz = ""', 1)
    _write(profile_dir, "devices", "testband", blank_own)  # a blank [accel.sources] entry hides nothing
    shown = load_profile("testband").sensors["accel"].sources["noise_ug_per_rthz"]
    assert shown.startswith("measured: bench")
    text = text.replace('"measured: bench unit 3, 2026-01"', '"  "')  # a blank source is none
    _write(profile_dir, "devices", "testband", text)
    with pytest.raises(ValidationError, match=r"\[accel\] noise_ug_per_rthz: .* names no source"):
        load_profile("testband")


def test_unknown_chip_names_the_section_and_lists_only_chips(profile_dir):
    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace('chip = "testchip"\nodr_hz = 20', 'chip = "testchp"\nodr_hz = 20'))
    with pytest.raises(ValidationError) as exc:
        load_profile("testband")
    msg = str(exc.value)
    assert "testband.toml: [mag] chip: unknown chip 'testchp'" in msg and "did you mean testchip" in msg
    allowed = exc.value.allowed.split(", ")
    assert "testchip" in allowed and "bmi270" in allowed
    assert "testband" not in allowed and "nano33-ble-sense-rev2" not in allowed  # devices are not chips


def test_a_device_named_as_chip_is_refused(profile_dir):
    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace('chip = "testchip"\nodr_hz = 20', 'chip = "metamotions"\nodr_hz = 20'))
    with pytest.raises(ValidationError, match=r"\[mag\] chip: 'metamotions' is a 'device' profile, not a chip"):
        load_profile("testband")


def test_bad_profile_through_the_cli_is_one_line_exit_2(profile_dir, capsys):
    from imuforge.cli import main

    _write(profile_dir, "devices", "testband", TEST_DEVICE.replace("range_g = 8", 'range_g = "four"', 1))
    assert main(["profiles", "show", "testband"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "range_g must be a finite number, got 'four'" in err


@pytest.mark.parametrize("name, flags, message", [
    ("adxl345", {"range_dps": 250}, "--range-dps: profile 'adxl345' has no gyroscope"),
    ("bmm150", {"range_g": 4}, "--range-g: profile 'bmm150' has no accelerometer"),
    ("bmm150", {"odr_hz": 50}, "--odr: profile 'bmm150' has neither an accelerometer nor a gyroscope"),
])
def test_a_flag_for_a_sensor_the_profile_lacks_is_refused(name, flags, message):
    """It was ignored without a word (``--range-dps 250`` on an
    accelerometer-only chip showed it unchanged)."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        load_profile(name, **flags)


def test_a_flag_for_the_profiles_own_sensor_still_works():
    assert load_profile("adxl345", range_g=4).sensors["accel"].range_si == pytest.approx(4 * G)


def test_a_gyroscope_faster_than_the_accelerometer_is_noted(tmp_path):
    """It was recorded at the accelerometer's rate without a word (a 200 Hz gyro, 80 Hz band, in a 100 Hz
    recording)."""
    (tmp_path / "fastgyro.toml").write_text(
        'name = "fastgyro"\nkind = "device"\ndescription = "test"\ndefault_placement = "wrist_left"\n'
        '[accel]\nchip = "bmi270"\nodr_hz = 100\nrange_g = 4\n[gyro]\nchip = "bmi270"\nodr_hz = 200\n'
        'range_dps = 2000\n[timing]\nclock_ppm = 0\nclock_tolerance_ppm = 0\njitter_us = 0\n'
        'drop_rate = 0.0\n')
    notes = load_profile(tmp_path / "fastgyro.toml").notes
    assert any(n.startswith("the gyroscope's 200 Hz is faster than the accelerometer's 100 Hz, the "
                            "recording's rate") for n in notes), notes
    assert not any("faster than the accelerometer" in n for n in load_profile("metamotions").notes)


def test_a_gyroscope_slower_than_the_accelerometer_is_noted_with_the_share_it_repeats(tmp_path):
    """A 50 Hz gyroscope in a 100 Hz recording is held from one reading to the next without a word; the note
    gives the share of repeated rows, 1 − 50/100, and a recording holds that share."""
    from imuforge.motion.library import generate
    from imuforge.sensors import simulate

    (tmp_path / "slowgyro.toml").write_text(
        'name = "slowgyro"\nkind = "device"\ndescription = "test"\ndefault_placement = "wrist_left"\n'
        '[accel]\nchip = "bmi270"\nodr_hz = 100\nrange_g = 4\n[gyro]\nchip = "bmi270"\nodr_hz = 50\n'
        'range_dps = 2000\n[timing]\nclock_ppm = 0\nclock_tolerance_ppm = 0\njitter_us = 0\n'
        'drop_rate = 0.0\n')
    profile = load_profile(tmp_path / "slowgyro.toml")
    assert any(n.startswith("the gyroscope's 50 Hz is slower than the accelerometer's 100 Hz, the "
                            "recording's rate: each gyroscope reading is held until its next one (≈ 50% of")
               for n in profile.notes), profile.notes
    rec = simulate(generate("walking", 4.0, rng=1), profile, "wrist_left", seed=1)
    repeats = np.mean(np.all(np.diff(rec.gyro, axis=0) == 0, axis=1))
    assert repeats == pytest.approx(0.5, abs=0.02)
