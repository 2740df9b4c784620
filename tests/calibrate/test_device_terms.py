"""A measured device's per-axis bias / scale / g-sensitivity survive fit → TOML → load → simulate.

Tolerances (stated in docs/CALIBRATION.md): the fitted device's still readings match the
original device's within 2 mg (accel) and 0.02 °/s (gyro) per axis and orientation.
"""

from __future__ import annotations

import json
import textwrap
import tomllib

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.calibrate import apply_fitted_terms, calibrate, fit_device, write_fitted_profile
from imuforge.recording import Dataset, read_dataset
from imuforge.sensors import load_profile, simulate
from imuforge.units import DEG, STANDARD_GRAVITY
from tests.conftest import still_motion

SIX = {"+x": Rotation.from_euler("z", 90, degrees=True), "-x": Rotation.from_euler("z", -90, degrees=True),
       "+y": Rotation.identity(), "-y": Rotation.from_euler("z", 180, degrees=True),
       "+z": Rotation.from_euler("x", -90, degrees=True), "-z": Rotation.from_euler("x", 90, degrees=True)}
ACC_TOL = 2e-3 * STANDARD_GRAVITY  # 2 mg
GYRO_TOL = 0.02 * DEG              # 0.02 °/s

# The datasheet device (no cross-axis error: the still fit's per-axis model has none, see docs)
BASE = textwrap.dedent(
    """
    name = "{name}"
    kind = "device"
    product = "test band without cross-axis error"
    default_placement = "wrist_left"

    [accel]
    chip = "testchip"
    odr_hz = 100
    range_g = 8
    cross_axis_pct = 0
    {accel}
    [accel.sources]
    cross_axis_pct = "assumption: test value"

    [gyro]
    chip = "testchip"
    odr_hz = 100
    range_dps = 1000
    {gyro}
    """
)


# every figure of a device needs a source (docs/PROFILES.md): unit42's measured terms
MEASURED = "\n[sources]\n" + "".join(f'"{k}" = "measured: test unit"\n' for k in (
    "accel.bias_xyz_mg", "accel.scale_xyz", "gyro.bias_xyz_dps", "gyro.g_sensitivity_xyz_dps_per_g"))


@pytest.fixture
def devices(profile_dir):
    """``band0`` (the datasheet device) and ``unit42`` (one measured device of that model)."""
    (profile_dir / "devices" / "band0.toml").write_text(BASE.format(name="band0", accel="", gyro=""))
    (profile_dir / "devices" / "unit42.toml").write_text(BASE.format(
        name="unit42", accel="bias_xyz_mg = [25.0, -18.0, 31.0]\nscale_xyz = [1.006, 0.993, 1.004]",
        gyro="bias_xyz_dps = [0.62, -0.41, 0.27]\ng_sensitivity_xyz_dps_per_g = [0.08, -0.12, 0.05]")
        + MEASURED)
    return load_profile("band0"), load_profile("unit42")


def captures(prof, seed, seconds=30.0):
    return [simulate(still_motion(seconds, 20, rot), prof, "chest", seed=seed) for rot in SIX.values()]


def means(recs):
    """(orientations, 6) mean acc_xyz, gyro_xyz of still recordings."""
    out = []
    for r in recs:
        idx = [r.channels.index(f"{g}_{a}") for g in ("acc", "gyro") for a in "xyz"]
        out.append(r.data[:, idx].mean(axis=0))
    return np.array(out)


def test_fit_write_load_simulate_matches_the_measured_device(devices, tmp_path):
    base, unit = devices
    real = captures(unit, seed=3)
    fit = fit_device(real, base, names=[f"pos{k}.imu.parquet" for k in SIX])
    path = write_fitted_profile(fit, base, tmp_path)
    doc = tomllib.loads(path.read_text())
    assert len(doc["accel"]["bias_xyz_mg"]) == 3 and len(doc["accel"]["scale_xyz"]) == 3
    assert len(doc["gyro"]["bias_xyz_dps"]) == 3 and len(doc["gyro"]["g_sensitivity_xyz_dps_per_g"]) == 3
    for sec, key in (("accel", "bias_xyz_mg"), ("accel", "scale_xyz"), ("gyro", "bias_xyz_dps"),
                     ("gyro", "g_sensitivity_xyz_dps_per_g")):
        assert doc[sec]["sources"][key].startswith("fitted: capture pos+x.imu.parquet")
    fitted = load_profile(path)
    np.testing.assert_allclose(fitted.sensors["accel"].bias_xyz_si, unit.sensors["accel"].bias_xyz_si, atol=1e-3 * 9.81)
    np.testing.assert_allclose(fitted.sensors["accel"].scale_xyz, unit.sensors["accel"].scale_xyz, atol=5e-4)

    # another seed: other noise, drift, clock; the deterministic terms are the device's
    m_real = means(real)
    m_fit = means(captures(fitted, seed=11))
    np.testing.assert_allclose(m_fit[:, :3], m_real[:, :3], atol=ACC_TOL)
    np.testing.assert_allclose(m_fit[:, 3:], m_real[:, 3:], atol=GYRO_TOL)
    # the datasheet device at that seed does not match (its turn-on terms are random draws)
    m_base = means(captures(base, seed=11))
    assert np.max(np.abs(m_base[:, :3] - m_real[:, :3])) > 5 * ACC_TOL
    assert np.max(np.abs(m_base[:, 3:] - m_real[:, 3:])) > 5 * GYRO_TOL


def test_apply_fitted_terms_swaps_a_synthetic_devices_terms(devices, tmp_path):
    base, unit = devices
    path = write_fitted_profile(fit_device(captures(unit, seed=3), base), base, tmp_path)
    syn = captures(base, seed=11, seconds=10.0)
    out, info = apply_fitted_terms(syn, path)
    assert info["applied"] == 6 and not info["unchanged"]
    m_ref = means(captures(unit, seed=11, seconds=10.0))  # the measured device itself at that seed
    np.testing.assert_allclose(means(out)[:, :3], m_ref[:, :3], atol=ACC_TOL)
    np.testing.assert_allclose(means(out)[:, 3:], m_ref[:, 3:], atol=GYRO_TOL)
    # output stays on the LSB grid of the synthetic profile
    lsb = base.sensors["accel"].lsb_si
    q = out[0].data[:, 0] / lsb
    np.testing.assert_allclose(q, np.round(q), atol=1e-6)
    # a recording that does not say how it was simulated is left alone and reported
    bare = syn[0].replace(provenance={})
    out2, info2 = apply_fitted_terms([bare], path)
    assert out2[0] is bare and info2["applied"] == 0 and len(info2["unchanged"]) == 1


def test_calibrate_fit_profile_gives_the_synthetic_data_the_fitted_device(devices, tmp_path):
    base, unit = devices
    real_ds, syn_ds = Dataset.create(tmp_path / "real"), Dataset.create(tmp_path / "syn")
    for k, r in zip(SIX, captures(unit, seed=3, seconds=20.0)):
        real_ds.add(r, name=f"real{k.replace('+', 'p').replace('-', 'm')}")
    syn = captures(base, seed=11, seconds=10.0)
    for k, r in zip(SIX, syn):
        syn_ds.add(r, name=f"syn{k.replace('+', 'p').replace('-', 'm')}")
    res = calibrate([tmp_path / "syn"], [tmp_path / "real"], tmp_path / "out", fit_profile=True, profile="band0",
                    plots=False)
    step = res.report.step("fit_profile")
    assert step.device_terms["applied"] == 6
    ds = read_dataset(tmp_path / "out" / "dataset")
    m_ref = means(captures(unit, seed=11, seconds=10.0))
    m_cal = means([ds.read(i) for i in range(len(ds))])
    np.testing.assert_allclose(m_cal[:, :3], m_ref[:, :3], atol=ACC_TOL)
    np.testing.assert_allclose(m_cal[:, 3:], m_ref[:, 3:], atol=GYRO_TOL)
    assert np.max(np.abs(means(syn)[:, :3] - m_ref[:, :3])) > 5 * ACC_TOL  # before: the datasheet device
    assert json.loads((tmp_path / "out" / "report.json").read_text())["steps"][0]["device_terms"]["applied"] == 6


def test_fitted_profile_value_equals_the_written_toml(tmp_path):
    """The fitted device the pipeline applies (a value) is the one the TOML file holds."""
    import numpy as np

    from imuforge.calibrate.fit import fit_device, fitted_profile, write_fitted_profile
    from imuforge.sensors import simulate
    from imuforge.sensors.profiles import load_profile
    from tests.conftest import still_motion

    recs = [simulate(still_motion(20), "metamotions", "chest", seed=s) for s in (1, 2)]
    fit = fit_device(recs, "metamotions")
    value = fitted_profile(fit, "metamotions")
    loaded = load_profile(write_fitted_profile(fit, "metamotions", tmp_path))
    assert value.path is None and value.name == loaded.name
    for k, s in value.sensors.items():
        t = loaded.sensors[k]
        for attr in ("bias_xyz_si", "scale_xyz", "g_sensitivity_xyz_si", "noise_density_si", "odr_hz", "range_si"):
            a, b = getattr(s, attr), getattr(t, attr)
            assert (a is None and b is None) or np.allclose(a, b), (k, attr)
