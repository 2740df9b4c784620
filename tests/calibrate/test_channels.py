"""Calibration keeps the channels the capture's device measures: a capture without a gyroscope (an
accelerometer-only board or data set) makes the calibrated data accelerometer-only, and says so."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imuforge.calibrate.pipeline import calibrate
from imuforge.calibrate.result import CalibrationReport, ChannelStep
from imuforge.motion.library import generate
from imuforge.recording import read_dataset
from imuforge.sensors import simulate
from tests.synthetic_har import write_recordings

ACC = ("acc_x", "acc_y", "acc_z")


@pytest.fixture(scope="module")
def recordings():
    syn = [simulate(generate(act, 12.0, rng=300 + p), "smartphone-waist", "pocket_right_thigh", seed=p,
                    subject=f"syn{p}") for p in range(3) for act in ("standing", "walking")]
    real = [simulate(generate(act, 20.0, rng=399), "smartphone-waist", "pocket_right_thigh", seed=9,
                     subject="me", wear="none") for act in ("standing", "walking")]
    return syn, real


def _write(path, recs):
    return write_recordings(path, recs).path


def test_a_capture_without_gyroscope_makes_the_calibrated_data_accelerometer_only(recordings, tmp_path):
    syn, real = recordings
    capture = _write(tmp_path / "real", [r.pick(ACC) for r in real])
    res = calibrate([_write(tmp_path / "syn", syn)], [capture], tmp_path / "out", align=True,
                    map_mode="per-class", plots=False)
    assert all(r.channels == ACC for r in res.recordings)
    step = res.report.step("channels")
    assert isinstance(step, ChannelStep) and step.dropped == ["gyro"] and step.kept == list(ACC)
    assert any(f.kind == "decided" and "holds no gyro" in f.text for f in res.findings)
    back = CalibrationReport.from_json(json.loads((tmp_path / "out" / "report.json").read_text()))
    assert back.step("channels") == step
    assert "**channels**: gyro dropped" in (tmp_path / "out" / "report.md").read_text()
    assert all(r.channels == ACC for r in read_dataset(tmp_path / "out" / "dataset").recordings())
    # the step only drops: with no other step the accelerometer is what was simulated
    only_dropped = calibrate([tmp_path / "syn"], [capture], tmp_path / "out2", plots=False)
    assert all(np.array_equal(a.acc, b.acc) for a, b in zip(only_dropped.recordings, syn))


def test_a_capture_with_every_group_changes_no_channel(recordings, tmp_path):
    syn, real = recordings
    res = calibrate([_write(tmp_path / "syn", syn)], [_write(tmp_path / "real", real)], tmp_path / "out",
                    plots=False)
    assert res.report.step("channels") is None
    assert all(r.channels == s.channels for r, s in zip(res.recordings, syn))
