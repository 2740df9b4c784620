"""The capture's output range: found where a device saturates, never where it does not, and the
synthetic data clipped to it by `imuforge calibrate`."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from imuforge.calibrate.result import CalibrationReport, RangeStep
from imuforge.calibrate.saturation import (MIN_FULL_SCALE, TIE_REL, FullScale, capture_full_scales,
                                          clip_to_full_scale, detect_full_scale)
from imuforge.cli import main
from imuforge.motion.library import schedule
from imuforge.recording import Dataset, Recording, read_dataset
from imuforge.sensors import get_placement, simulate
from imuforge.sensors.profiles import load_profile
from imuforge.units import STANDARD_GRAVITY
from tests.conftest import still_motion

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
PLAN = [("standing", 6), ("running", 12)]


def _rec(data, rate=100.0):
    return Recording(np.arange(len(data)) / rate, data, CHANNELS, rate)


def _gaussian(n=200_000, seed=0):
    return np.random.default_rng(seed).normal(0.0, [4.0, 4.0, 4.0, 1.0, 1.0, 1.0], size=(n, 6))


def test_a_clipped_axis_piles_up_and_decides_the_full_scale():
    data = _gaussian()
    data[:, :3] *= 2.0  # SD 8 m/s²: ≈ 0.7 % of each axis-sign's samples lie beyond 2 g
    data[:, 0] = np.abs(data[:, 0])  # x only positive: −x has nothing to pile up
    fs = 2 * STANDARD_GRAVITY
    data[:, :3] = np.clip(data[:, :3], -fs, fs)
    found = detect_full_scale(_rec(data), "acc")
    assert found is not None and found.value == pytest.approx(fs, rel=1e-12)
    assert found.piled == ("+x", "+y", "-y", "+z", "-z")
    # the samples at the range: clipped ones and the few that lay within the tie tolerance below it
    assert found.samples == int(np.count_nonzero(np.abs(data[:, :3]) >= fs * (1 - TIE_REL)))
    assert found.in_unit == (pytest.approx(2.0), "g")
    assert detect_full_scale(_rec(data), "gyro") is None  # the unclipped group has a thinning tail


@pytest.mark.parametrize("lsb", [0.0, 0.05, 0.5])
def test_an_unclipped_signal_decides_nothing_even_on_a_coarse_lsb(lsb):
    data = _gaussian(seed=1)
    if lsb:
        data = np.round(data / lsb) * lsb  # ties at the extreme code are ordinary here
    assert capture_full_scales([_rec(data)]) == []


def test_a_still_or_repeated_capture_is_no_saturation():
    """A still capture whose reading sits on a few codes of a coarse LSB (12-bit at ±8 g, 16-bit at
    ±2000 °/s, noise under one code) piles up at its extreme without a range: the floor of a real range
    (1.5 g, 100 °/s) refuses it. A slow signal logged at 4× its rate repeats each sample in one run: no
    pile of separate clips. Seeded, 40 and 50 captures, none may decide a full scale."""
    rng = np.random.default_rng(7)
    lsb_a, lsb_g = 16 * STANDARD_GRAVITY / 4096, np.radians(4000 / 65536)
    for _ in range(40):
        acc = np.round((np.array([0.0, 0.0, 9.81]) + rng.normal(0, 0.15 * lsb_a, (3000, 3))) / lsb_a) * lsb_a
        gyro = np.round(rng.normal(0, 0.25 * lsb_g, (3000, 3)) / lsb_g) * lsb_g
        assert capture_full_scales([_rec(np.hstack([acc, gyro]))]) == []
    for _ in range(50):
        slow = np.repeat(rng.normal(0, [6, 6, 6, 2, 2, 2], (1000, 6)), 4, axis=0)
        assert capture_full_scales([_rec(slow, rate=200.0)]) == []
    assert MIN_FULL_SCALE["acc"] == pytest.approx(1.5 * STANDARD_GRAVITY)
    assert MIN_FULL_SCALE["gyro"] == pytest.approx(np.radians(100))


def test_a_range_clips_every_axis():
    """x clipped at 20 m/s² while y reaches far beyond: no chip range does that, so no full scale."""
    data = _gaussian(seed=4)
    data[:, 0] = np.clip(2.5 * data[:, 0], -20.0, 20.0)
    data[:, 1] *= 4.0
    assert detect_full_scale(_rec(data), "acc") is None
    data[:, 1] = np.clip(data[:, 1], -20.0, 20.0)  # now both clip at the same value: a range
    assert detect_full_scale(_rec(data), "acc").value == pytest.approx(20.0)


def test_extremes_that_disagree_decide_no_full_scale():
    data = _gaussian(seed=2)
    data[:, 0] = np.clip(2.5 * data[:, 0], -20.0, 20.0)  # SD 10: both piles are well filled
    data[:, 1] = np.clip(data[:, 1], -6.0, 6.0)  # 6 and 20 m/s² cannot be one chip's symmetric range
    assert detect_full_scale(_rec(data), "acc") is None


def test_clipping_counts_what_lay_beyond():
    data = _gaussian(seed=3)
    scale = FullScale("gyro", 1.5, ("+x",), 10)
    (out,), share = clip_to_full_scale([_rec(data)], [scale])
    g = data[:, 3:]
    assert share == {"gyro": np.count_nonzero(np.abs(g) > 1.5) / g.size}
    assert np.abs(out.gyro).max() == 1.5
    np.testing.assert_array_equal(out.acc, data[:, :3])  # other groups untouched
    np.testing.assert_array_equal(out.gyro, np.clip(g, -1.5, 1.5))
    no_gyro = Recording(np.arange(5) / 10.0, np.ones((5, 3)), CHANNELS[:3], 10.0)
    (same,), share = clip_to_full_scale([no_gyro], [scale])
    assert same is no_gyro and share == {}  # a group none of the recordings has is left out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Synthetic watch data at the profile's ±8 g / ±2000 °/s, and a capture of the same activities by a
    watch configured to ±2 g (the simulator's own saturation makes the flat tops)."""
    root = tmp_path_factory.mktemp("saturation")
    wrist = get_placement("wrist_left")
    syn = Dataset.create(root / "syn")
    for i in range(2):
        syn.add(simulate(schedule(PLAN, rng=20 + i), "smartwatch-wrist", wrist, seed=i, subject=f"s{i}"))
    small = load_profile("smartwatch-wrist", range_g=2)
    real = Dataset.create(root / "real")
    real.add(simulate(schedule(PLAN, rng=7), small, wrist, seed=9, subject="r"))
    return root, small


def _calibrate(syn, real, out, *extra):
    return main(["calibrate", "--synthetic", str(syn), "--real", str(real), "--out", str(out), "--no-plots",
                 *extra])


def _acc_max(folder):
    return max(float(np.abs(r.acc).max()) for r in read_dataset(folder).recordings())


def test_calibrate_clips_the_synthetic_data_to_the_capture_range(data, tmp_path, capsys):
    root, small = data
    real = next(read_dataset(root / "real").recordings())
    fs_real = float(np.abs(real.acc).max())
    assert fs_real == pytest.approx(small.sensors["accel"].range_si, rel=1e-3)  # the capture does saturate
    assert _acc_max(root / "syn") > 1.2 * fs_real  # running at the wrist goes beyond 2 g

    out = tmp_path / "o"
    assert _calibrate(root / "syn", root / "real", out) == 0
    printed = capsys.readouterr().out
    assert "step clip_range" in printed
    assert "capture decided: the capture saturates: accelerometer at ±" in printed
    rep = CalibrationReport.read(out)
    step = rep.step("clip_range")
    assert isinstance(step, RangeStep) and [s.group for s in step.scales] == ["acc"]
    # the median of the saturated axis-signs' extremes, which the simulated device's per-axis scale and bias
    # errors put a few 1e-5 apart: the device's range, not necessarily the largest sample
    full = step.scales[0].value
    assert full == pytest.approx(small.sensors["accel"].range_si, rel=1e-4) and full <= fs_real
    assert 0 < step.clipped["acc"] < 0.5
    assert _acc_max(out / "dataset") == pytest.approx(full, rel=1e-12)
    assert "clip_range" in (out / "report.md").read_text()
    # report.json round trip of the step
    doc = json.loads((out / "report.json").read_text())
    assert CalibrationReport.from_json(doc).step("clip_range") == step

    kept = tmp_path / "k"
    assert _calibrate(root / "syn", root / "real", kept, "--keep-range") == 0
    assert CalibrationReport.read(kept).step("clip_range") is None
    assert _acc_max(kept / "dataset") > 1.2 * fs_real


def test_no_step_when_the_synthetic_data_lack_the_saturating_sensor(data, tmp_path):
    """A capture whose gyroscope saturates (±125 °/s, running at the wrist) against synthetic data with
    only an accelerometer: nothing of theirs can be clipped, so no clip_range step and no finding."""
    root, _ = data
    acc_only = Dataset.create(tmp_path / "syn")
    for rec in read_dataset(root / "syn").recordings():
        acc_only.add(rec.pick(["acc_x", "acc_y", "acc_z"]))
    real = Dataset.create(tmp_path / "real")
    real.add(simulate(schedule(PLAN, rng=7), load_profile("smartwatch-wrist", range_dps=125), "wrist_left",
                      seed=9, subject="r"))
    found = capture_full_scales(list(read_dataset(tmp_path / "real").recordings()))
    assert [s.group for s in found] == ["gyro"]
    out = tmp_path / "o"
    assert _calibrate(tmp_path / "syn", tmp_path / "real", out) == 0
    rep = CalibrationReport.read(out)
    assert rep.step("clip_range") is None and not any("saturates" in f.text for f in rep.findings)


def test_a_capture_within_its_range_adds_no_step(data, tmp_path):
    root, _ = data
    out = tmp_path / "o"
    # the synthetic people (a copy: one folder on both sides is refused) as the capture: ±8 g is never
    # reached at the wrist in running
    shutil.copytree(root / "syn", tmp_path / "as_real")
    assert _calibrate(root / "syn", tmp_path / "as_real", out) == 0
    assert CalibrationReport.read(out).step("clip_range") is None


def test_the_fitted_profile_takes_the_range_the_capture_saturates_at(data, tmp_path):
    from imuforge.calibrate.fit import fit_device, fitted_profile

    root, small = data
    # the capture, and the same ±2 g watch still on a desk for 10 s (a device fit needs a still stretch)
    desk = simulate(still_motion(10.0, 20), small, "chest", seed=4)
    real = [*read_dataset(root / "real").recordings(), desk]
    fit = fit_device(real, "smartwatch-wrist")
    assert fit.ranges == {"accel": 2.0}  # the gyroscope's ±2000 °/s is never reached
    prof = fitted_profile(fit, "smartwatch-wrist")
    assert prof.sensors["accel"].range_si == small.sensors["accel"].range_si
    assert prof.sensors["gyro"].range_si == load_profile("smartwatch-wrist").sensors["gyro"].range_si
    # a saturation no range of the chip explains (±3 g; the LSM6DSOX offers 2/4/8/16 g) keeps the range
    three = FullScale("acc", 3 * STANDARD_GRAVITY, ("+x", "-x"), 40)
    from imuforge.calibrate.fit import _offered_ranges

    notes: list[str] = []
    assert _offered_ranges([three], load_profile("smartwatch-wrist"), notes) == {}
    assert notes == ["the capture saturates at ±3 g, which no range of lsm6dsox (2, 4, 8, 16) explains: the "
                     "profile's range is kept"]
