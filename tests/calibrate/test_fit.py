"""Device fitting: captures synthesised from a known profile give back its figures."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.calibrate.fit import fit_device, fit_scale_bias, fit_timing, write_fitted_profile
from imuforge.calibrate.still import StillThresholds, find_still_segments, moving_std
from imuforge.errors import ValidationError
from imuforge.recording import Recording
from imuforge.sensors import ErrorTerms, load_profile, simulate
from imuforge.sensors.hardware import misalignment_matrix, term_rng
from imuforge.sensors.profiles import noise_bandwidth_hz
from imuforge.units import DEG, STANDARD_GRAVITY
from tests.conftest import still_motion

SEED = 3
# sensor axis pointing up; the "chest" placement has the identity sensor→segment rotation, world up = +y
SIX = {"+x": Rotation.from_euler("z", 90, degrees=True), "-x": Rotation.from_euler("z", -90, degrees=True),
       "+y": Rotation.identity(), "-y": Rotation.from_euler("z", 180, degrees=True),
       "+z": Rotation.from_euler("x", -90, degrees=True), "-z": Rotation.from_euler("x", 90, degrees=True)}


def six_captures(prof, seconds=30.0, errors=True):
    return [simulate(still_motion(seconds, 20, rot), prof, "chest", seed=SEED, errors=errors) for rot in SIX.values()]


@pytest.fixture
def band(profile_dir):
    return load_profile("testband")


def test_six_position_capture_recovers_the_profile(band, profile_dir):
    recs = six_captures(band)
    fit = fit_device(recs, band, names=[f"pos{k}.imu.parquet" for k in SIX])
    acc, gyro = band.sensors["accel"], band.sensors["gyro"]
    tag_a, tag_g = "chest/accel", "chest/gyro"
    true_acc_bias = term_rng(SEED, "bias", tag_a).standard_normal(3) * acc.bias_sd_si
    true_gyro_bias = term_rng(SEED, "bias", tag_g).standard_normal(3) * gyro.bias_sd_si
    m = misalignment_matrix(acc.scale_sd, acc.cross_axis_sd, term_rng(SEED, "misalignment", tag_a))
    true_scale = np.diag(m)

    assert len(fit.orientations) == 6 and not fit.gravity_removed
    sb = fit.accel_scale_bias
    # stated tolerances: bias 1 mg, scale 0.05 % (cross-axis 1 % is not in the per-axis model), noise 5 %
    np.testing.assert_allclose(sb.bias, true_acc_bias, atol=1e-3 * STANDARD_GRAVITY)
    np.testing.assert_allclose(sb.scale, true_scale, atol=5e-4)
    assert all(sb.from_capture.values())
    # gyro bias within 0.01 °/s once g-sensitivity (0.1 °/s/g) is separated out
    np.testing.assert_allclose(fit.gyro_bias.bias, true_gyro_bias, atol=0.01 * DEG)
    k = np.abs(np.array(fit.gyro_bias.g_sensitivity, float))
    np.testing.assert_allclose(k, gyro.g_sensitivity_si, rtol=0.1)
    assert fit.accel_noise.density_mean == pytest.approx(acc.noise_density_si, rel=0.05)
    assert fit.gyro_noise.density_mean == pytest.approx(gyro.noise_density_si, rel=0.05)
    # Allan random walk (IEEE 952, two-sided): N = D·√(ENBW / (fs/2)) / √2, within 12 % (30 s of data)
    for sensor, nf in ((acc, fit.accel_noise), (gyro, fit.gyro_noise)):
        enbw = noise_bandwidth_hz(sensor.bandwidth_hz, sensor.filter_order, sensor.odr_hz)
        expect = sensor.noise_density_si * math.sqrt(enbw / (0.5 * sensor.odr_hz)) / math.sqrt(2)
        assert np.sqrt(np.mean(np.square(nf.random_walk))) == pytest.approx(expect, rel=0.12)
    # timing: the realised clock error within 5 ppm, the 50 µs jitter within 10 %
    assert fit.timing.clock_ppm == pytest.approx(recs[-1].provenance["clock_ppm"], abs=5)
    assert fit.timing.jitter_s == pytest.approx(band.timing.jitter_s, rel=0.1)
    assert fit.timing.drop_rate == 0.0


def test_a_worn_still_stretch_fits_the_chip_a_vibrating_one_is_warned_about(band):
    """A desk capture's noise is the datasheet's (the test above): no warning. The same device worn by a
    person "standing still" (the library's standing: sway, breathing) fits the datasheet's noise too: it is
    read above the body's motion (until session 61 from the stretch's variance: 3–6× the datasheet, which
    the calibration then added to every synthetic recording). Noise over the datasheet's there (another
    chip, a vibrating vehicle) is warned about, naming the stretch it came from."""
    from imuforge.calibrate.fit import MOTION_TOP_HZ
    from imuforge.motion.library import generate

    desk = fit_device(six_captures(band, 10), band, names=[f"pos{k}" for k in SIX])
    assert desk.warnings == [] and desk.timing_from == "pos+x"
    worn = simulate(generate("standing", 30, fps=100, rng=4, fidget=0.0), band, "wrist_left", seed=SEED)
    fit = fit_device([worn], band, names=["standing.imu.parquet"])
    gyro = band.sensors["gyro"]
    assert fit.gyro_noise.density_mean == pytest.approx(gyro.noise_density_si, rel=0.15)
    assert fit.warnings == []
    # its Allan curve rises with τ (sway), so no −½ slope gives N and no floor a bias instability (a fresh
    # user's run read an ARW 40× the density's and wrote the curve's start as the instability): N is white
    # noise's of the density read, N = D·√(ENBW / fs) (IEEE 952, two-sided), the desk's reads both
    from imuforge.calibrate.fit import WHITE_SLOPE

    for nf in (fit.accel_noise, fit.gyro_noise):
        assert nf.allan_slope > WHITE_SLOPE[1] and nf.bias_instability is None
        np.testing.assert_allclose(nf.random_walk, np.array(nf.density) * math.sqrt(nf.enbw_hz / 100.0),
                                   rtol=1e-3)  # (the stretch at its clock, 100 Hz within 1000 ppm)
    said = "gyro: the Allan deviation of the still stretch has no −½ slope"
    assert any(n.startswith(said) for n in fit.notes)
    for nf in (desk.accel_noise, desk.gyro_noise):
        assert WHITE_SLOPE[0] <= nf.allan_slope <= WHITE_SLOPE[1]
    # the same stretch on a chip 4× noisier than the datasheet says (white noise of 4² − 1 its variance added)
    sigma = gyro.noise_density_si * math.sqrt(noise_bandwidth_hz(gyro.bandwidth_hz, gyro.filter_order,
                                                                 gyro.odr_hz)) * math.sqrt(15.0)
    idx = [worn.channels.index(f"gyro_{a}") for a in "xyz"]
    data = np.array(worn.data)
    data[:, idx] += np.random.default_rng(0).standard_normal((len(worn), 3)) * sigma
    noisy = fit_device([worn.replace(data=data)], band, names=["standing.imu.parquet"])
    ratio = noisy.gyro_noise.density_mean / gyro.noise_density_si
    assert ratio == pytest.approx(4.0, rel=0.15) and MOTION_TOP_HZ < 0.25 * band.odr_hz
    assert any(w.startswith(f"gyro noise fitted at {ratio:.1f}× ") and "standing.imu.parquet" in w
               for w in noisy.warnings), noisy.warnings


def test_one_orientation_gives_gravity_scale_and_keeps_priors(band):
    rec = simulate(still_motion(30, 20, SIX["+z"]), band, "chest", seed=SEED)
    fit = fit_device([rec], band)
    sb = fit.accel_scale_bias
    assert sb.orientations == 1
    # z carries gravity: |f| = g fixes scale_z·g + bias_z, the prior splits it; x, y stay prior-decided
    assert not sb.from_capture["scale_x"] and not sb.from_capture["scale_y"]
    assert abs(sb.residuals_mps2[0]) < 0.01
    assert any("need 6" in n for n in fit.notes)


def test_fitted_profile_loads_and_names_its_sources(band, profile_dir, tmp_path):
    fit = fit_device(six_captures(band, 10), band, names=["desk.imu.parquet"])
    path = write_fitted_profile(fit, band, tmp_path)
    doc = tomllib.loads(path.read_text())
    assert doc["name"] == "testband-fitted" == path.stem
    assert doc["accel"]["sources"]["noise_ug_per_rthz"].startswith("fitted: capture desk.imu.parquet, ")
    assert doc["timing"]["sources"]["jitter_us"].startswith("fitted:")
    text = path.read_text()
    assert "datasheet" in text and "accel bias mg" in text
    prof = load_profile(path)
    assert prof.sensors["accel"].noise_density_si == pytest.approx(fit.accel_noise.density_mean, rel=1e-3)
    assert prof.sensors["accel"].chip == "testchip"
    # a figure that was not fitted stays the chip's, with its datasheet source
    assert prof.sensors["accel"].bias_sd_si == band.sensors["accel"].bias_sd_si
    assert prof.sensors["accel"].sources["noise_ug_per_rthz"].startswith("fitted:")


def test_fit_scale_bias_six_positions_exact():
    s, b, g = np.array([1.01, 0.995, 1.002]), np.array([0.1, -0.05, 0.2]), 9.80665
    ups = np.vstack([np.eye(3), -np.eye(3)]) * g
    fit = fit_scale_bias(ups * s + b, prior_scale_sd=0.02, prior_bias_sd=1.0, meas_sd=1e-4)
    np.testing.assert_allclose(fit.scale, s, atol=1e-5)
    np.testing.assert_allclose(fit.bias, b, atol=1e-4)


def test_fit_timing_recovers_rate_jitter_and_drops():
    rng = np.random.default_rng(0)
    rate = 50.0 * (1 + 120e-6)
    k = np.arange(5000)
    keep = rng.random(k.size) > 0.02
    keep[0] = keep[-1] = True
    t = 3.0 + k[keep] / rate + rng.standard_normal(keep.sum()) * 200e-6
    fit = fit_timing(t, 50.0)
    assert fit.clock_ppm == pytest.approx(120, abs=5)
    assert fit.jitter_s == pytest.approx(200e-6, rel=0.05)
    assert fit.drop_rate == pytest.approx(1 - keep.mean(), abs=1e-9)


def test_still_segments_exclude_motion(band):
    still = simulate(still_motion(12, 20), band, "chest", seed=1)
    rng = np.random.default_rng(1)
    data = np.array(still.data)
    n = len(still)
    data[n // 3: n // 3 + 200, :3] += rng.standard_normal((200, 3)) * 3.0  # 2 s of shaking
    rec = still.replace(data=data)
    segs = find_still_segments(rec, StillThresholds(min_still_s=2.0))
    assert len(segs) == 2
    shake = (still.timestamps[n // 3], still.timestamps[n // 3 + 199])
    for s in segs:
        assert s.end_s < shake[0] or s.start_s > shake[1]


def test_moving_std_matches_direct():
    x = np.random.default_rng(2).standard_normal((50, 2))
    got = moving_std(x, 5)
    for i in (2, 10, 47):
        lo = min(max(i - 2, 0), 45)
        np.testing.assert_allclose(got[i], x[lo:lo + 5].std(axis=0), rtol=1e-9)


def test_no_still_data_is_refused_with_the_thresholds(band):
    t = np.arange(1000) / 100.0
    data = np.random.default_rng(0).standard_normal((1000, 6))
    rec = Recording(t, data, ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"], 100.0)
    with pytest.raises(ValidationError, match="no still stretch"):
        fit_device([rec], band)


def test_gravity_removed_capture_is_recognised(band):
    rec = simulate(still_motion(20, 20), band, "chest", seed=1, errors=ErrorTerms.only("noise"))
    data = np.array(rec.data)
    data[:, :3] -= data[:, :3].mean(axis=0)
    fit = fit_device([rec.replace(data=data)], band)
    assert fit.gravity_removed and fit.accel_scale_bias is None
    assert any("linear acceleration" in n for n in fit.notes)


def test_a_capture_at_another_odr_setting_is_fitted_at_that_setting(tmp_path):
    """A phone captured at its 100 Hz setting against a 50 Hz base profile: the fitted profile is set to
    100 Hz with a small clock error, not to 50 Hz with a clock +100 % fast (which the loader now refuses,
    and which left the file behind); a rate no setting comes near is refused before anything is written."""
    prof = load_profile("smartphone-waist")
    rec = simulate(still_motion(30, 20), prof, "chest", seed=3)
    fast = rec.replace(timestamps=rec.timestamps / 2, rate_hz=rec.rate_hz * 2)
    fit = fit_device([fast], prof)
    assert fit.timing.nominal_hz == 100.0 and abs(fit.timing.clock_ppm) < 1e4
    assert any("not at smartphone-waist's 50 Hz: the fitted profile is set to 100 Hz" in n for n in fit.notes)
    fitted = load_profile(write_fitted_profile(fit, prof, tmp_path))
    assert fitted.odr_hz == 100.0 and abs(fitted.timing.clock_ppm - fit.timing.clock_ppm) < 0.01
    odd = rec.replace(timestamps=rec.timestamps * 50 / 37, rate_hz=37.0)
    with pytest.raises(ValidationError, match=r"the capture runs at 37 Hz, which no ODR setting of "
                                              r"'smartphone-waist' comes within 10% of"):
        fit_device([odd], prof)


def test_a_fit_of_ones_own_device_keeps_its_chip_and_filter_valid(tmp_path, monkeypatch):
    """A device file with its chip beside it and its own 40 Hz filter, captured at a 50 Hz setting: the fitted
    profile gets the chip copied beside it (it looked for it in the output folder and failed) and its filter
    clamped to the new Nyquist frequency (25 Hz; the loader refused 40 at 50 Hz)."""
    from tests.conftest import TEST_CHIP, TEST_DEVICE

    monkeypatch.delenv("IMUFORGE_PROFILES", raising=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "testchip.toml").write_text(TEST_CHIP)
    (mine / "testband.toml").write_text(TEST_DEVICE.replace("odr_hz = 100\nrange_g = 8",
                                                            "odr_hz = 100\nrange_g = 8\nbandwidth_hz = 40"))
    base = load_profile(mine / "testband.toml")
    at50 = load_profile(mine / "testband.toml", odr_hz=50)
    rec = simulate(still_motion(30, 20), at50, "chest", seed=3)
    fit = fit_device([rec], base)
    out = write_fitted_profile(fit, base, tmp_path / "cal")
    fitted = load_profile(out)
    assert (tmp_path / "cal" / "testchip.toml").is_file()
    assert fitted.odr_hz == 50 and fitted.sensors["accel"].bandwidth_hz == 25


def test_a_worn_stretch_read_by_its_variance_is_not_used(band):
    """At 50 Hz no band lies above the body's motion (under ≈ 65 Hz): the noise is read from the still
    stretch's variance, which holds the wearer's sway. A fresh user's worn 52 Hz capture read 11.2× the
    datasheet and was applied: the calibrated synthetic data came out ≈ 10× noisier than the capture
    (session 62). Such a figure is now said and not used: the fitted profile keeps the datasheet's."""
    from imuforge.calibrate.fit import NOISE_OVER_DATASHEET, fitted_profile_doc
    from imuforge.motion.library import generate

    at50 = load_profile("testband", odr_hz=50)
    worn = simulate(generate("standing", 30, fps=100, rng=4), at50, "wrist_left", seed=SEED)
    fit = fit_device([worn], at50, names=["standing.imu.parquet"])
    gyro = at50.sensors["gyro"]
    assert not fit.gyro_noise.from_band
    assert fit.gyro_noise.density_mean >= NOISE_OVER_DATASHEET * gyro.noise_density_si
    assert not fit.gyro_noise.used and fit.summary()["noise_not_used"][-1] == "gyro"
    assert any("not used, the datasheet's figure is kept" in w for w in fit.warnings), fit.warnings
    doc, _ = fitted_profile_doc(fit, at50, "worn")
    assert "noise_mdps_per_rthz" not in doc.get("gyro", {})
    # the desk's stretch at the same rate is the chip's, and used; so is a chip 4× noisier than its
    # datasheet on the desk: its stretch is white (a review: it had been taken for the wearer's sway)
    desk = fit_device(six_captures(at50, 10), at50)
    assert desk.gyro_noise.used and desk.warnings == [] and desk.gyro_noise.white_share > 0.8
    assert fit.gyro_noise.white_share < 0.5
    caps = six_captures(at50, 10)
    sigma = gyro.noise_density_si * math.sqrt(noise_bandwidth_hz(gyro.bandwidth_hz, gyro.filter_order,
                                                                 gyro.odr_hz)) * math.sqrt(15.0)
    idx = [caps[0].channels.index(f"gyro_{a}") for a in "xyz"]
    noisy = []
    for k, c in enumerate(caps):
        data = np.array(c.data)
        data[:, idx] += np.random.default_rng(k).standard_normal((len(c), 3)) * sigma
        noisy.append(c.replace(data=data))
    loud = fit_device(noisy, at50)
    assert loud.gyro_noise.density_mean / gyro.noise_density_si == pytest.approx(4.0, rel=0.15)
    assert loud.gyro_noise.used and any("vibration or another chip" in w for w in loud.warnings)
