"""Per-device calibration keys in device profiles: validation, SI conversion, use by the simulator."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.sensors import ErrorTerms, load_profile, simulate
from imuforge.sensors.profiles import with_errors_off
from imuforge.units import DEG, STANDARD_GRAVITY
from tests.conftest import still_motion

UNIT = textwrap.dedent(
    """
    name = "unit7"
    kind = "device"
    product = "one measured test band"
    default_placement = "wrist_left"

    [accel]
    chip = "testchip"
    odr_hz = 100
    range_g = 8
    {accel}
    [accel.sources]
    bias_xyz_mg = "fitted: test"
    scale_xyz = "fitted: test"

    [gyro]
    chip = "testchip"
    odr_hz = 100
    range_dps = 1000
    {gyro}
    [gyro.sources]
    bias_xyz_dps = "measured: test rate table"
    g_sensitivity_xyz_dps_per_g = "measured: test rate table"
    """
)
KNOWN_ACC = "bias_xyz_mg = [12.5, -30, 4]\nscale_xyz = [1.004, 0.997, 1.0]"
KNOWN_GYRO = "bias_xyz_dps = [0.3, -0.25, 0.1]\ng_sensitivity_xyz_dps_per_g = [0.05, -0.1, 0.02]"


def write_unit(profile_dir, accel: str = KNOWN_ACC, gyro: str = KNOWN_GYRO, name: str = "unit7") -> str:
    text = UNIT.format(accel=accel, gyro=gyro).replace('name = "unit7"', f'name = "{name}"')
    (profile_dir / "devices" / f"{name}.toml").write_text(text)
    return name


def test_known_terms_load_in_si(profile_dir):
    prof = load_profile(write_unit(profile_dir))
    acc, gyro = prof.sensors["accel"], prof.sensors["gyro"]
    np.testing.assert_allclose(acc.bias_xyz_si, np.array([12.5, -30, 4]) * 1e-3 * STANDARD_GRAVITY)
    assert acc.scale_xyz == (1.004, 0.997, 1.0)
    np.testing.assert_allclose(gyro.bias_xyz_si, np.array([0.3, -0.25, 0.1]) * DEG)
    np.testing.assert_allclose(gyro.g_sensitivity_xyz_si, np.array([0.05, -0.1, 0.02]) * DEG / STANDARD_GRAVITY)
    assert gyro.scale_xyz is None
    assert prof.summary()["accel"]["scale_xyz"] == [1.004, 0.997, 1.0]
    ideal = with_errors_off(prof).sensors["accel"]
    assert ideal.bias_xyz_si is None and ideal.scale_xyz is None
    assert load_profile("testband").sensors["accel"].bias_xyz_si is None


@pytest.mark.parametrize("line, message", [
    ("bias_xyz_mg = [1, 2]", "list of 3 finite numbers"),
    ("bias_xyz_mg = [1, 2, nan]", "list of 3 finite numbers"),
    ("bias_xyz_mg = [1, 2, inf]", "list of 3 finite numbers"),
    ("bias_xyz_mg = [1, true, 3]", "list of 3 finite numbers"),
    ('bias_xyz_mg = "1, 2, 3"', "list of 3 finite numbers"),
    ("scale_xyz = [1.0, 1.0, 1000]", "scale factors"),
    ("scale_xyz = [1.0, -1.0, 1.0]", "scale factors"),
    ("bias_xyz_dps = [1, 2, 3]", "unknown key"),  # gyro unit in the accel section
])
def test_bad_known_terms_are_refused_with_file_and_field(profile_dir, line, message):
    name = write_unit(profile_dir, accel=line, gyro="", name="badunit")
    with pytest.raises(ValidationError) as exc:
        load_profile(name)
    text = str(exc.value)
    assert message in text and "badunit.toml" in text and "[accel]" in text


def test_known_terms_are_device_keys_not_chip_keys(profile_dir):
    chip = (profile_dir / "chips" / "testchip.toml").read_text()
    (profile_dir / "chips" / "testchip.toml").write_text(
        chip.replace("cross_axis_pct = 1.0", "cross_axis_pct = 1.0\nbias_xyz_mg = [1, 2, 3]"))
    with pytest.raises(ValidationError, match="unknown key"):
        load_profile("testband")


def still_means(prof, rot, seed, terms):
    rec = simulate(still_motion(4, 20, rot), prof, "chest", seed=seed, errors=terms)
    mean = {c: v for c, v in zip(rec.channels, rec.data.mean(axis=0))}
    return np.array([mean[f"acc_{a}"] for a in "xyz"]), np.array([mean[f"gyro_{a}"] for a in "xyz"])


def test_simulator_uses_the_known_terms_instead_of_the_draw(profile_dir):
    prof = load_profile(write_unit(profile_dir))
    terms = ErrorTerms.only("bias", "scale", "g_sensitivity")
    acc, gyro = prof.sensors["accel"], prof.sensors["gyro"]
    # chest placement: sensor +y up when unrotated; each axis up in turn
    for rot, axis in ((Rotation.identity(), 1), (Rotation.from_euler("z", 90, degrees=True), 0),
                      (Rotation.from_euler("x", -90, degrees=True), 2)):
        for seed in (0, 1):  # the device's own terms do not depend on the seed
            a, g = still_means(prof, rot, seed, terms)
            f = np.zeros(3)
            f[axis] = STANDARD_GRAVITY
            np.testing.assert_allclose(a, np.array(acc.scale_xyz) * f + acc.bias_xyz_si, atol=1e-9)
            np.testing.assert_allclose(g, np.array(gyro.bias_xyz_si) + np.array(gyro.g_sensitivity_xyz_si) * f,
                                       atol=1e-9)
    # without known terms the turn-on draw changes with the seed
    base = load_profile("testband")
    a0, _ = still_means(base, Rotation.identity(), 0, terms)
    a1, _ = still_means(base, Rotation.identity(), 1, terms)
    assert np.max(np.abs(a0 - a1)) > 1e-3 * STANDARD_GRAVITY


def test_known_terms_follow_the_error_switches(profile_dir):
    prof = load_profile(write_unit(profile_dir))
    a, g = still_means(prof, Rotation.identity(), 0, ErrorTerms.none())
    np.testing.assert_allclose(a, [0, STANDARD_GRAVITY, 0], atol=1e-9)
    np.testing.assert_allclose(g, 0, atol=1e-12)
    # bias only: the known bias, no scale
    a, _ = still_means(prof, Rotation.identity(), 0, ErrorTerms.only("bias"))
    np.testing.assert_allclose(a, np.array([0, STANDARD_GRAVITY, 0]) + prof.sensors["accel"].bias_xyz_si, atol=1e-9)
