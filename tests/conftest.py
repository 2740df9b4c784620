"""Shared fixtures: test profiles written to a temp folder, closed-form motions, small HAR datasets and a
trained run; the firmware-skip line."""

from __future__ import annotations

import os
import shutil
import textwrap

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IMUFORGE_PROGRESS", "0")

from imuforge.motion import HUMANML3D_22, Motion  # noqa: E402
from tests.synthetic_har import make_dataset  # noqa: E402

TEST_CHIP = textwrap.dedent(
    """
    name = "testchip"
    kind = "chip"
    part = "TESTCHIP"
    vendor = "imuforge tests"
    datasheet = "none: figures chosen for tests"

    [accel]
    ranges_g = [2, 4, 8, 16]
    bits = 16
    odrs_hz = [25, 50, 100, 200, 400, 800]
    noise_ug_per_rthz = 150
    bandwidth_odr_ratio = 0.4
    zero_g_offset_mg = 20
    bias_instability_ug = 40
    bias_tau_s = 20
    sensitivity_tolerance_pct = 0.5
    cross_axis_pct = 1.0
    # every figure of a chip needs a source (docs/PROFILES.md)
    [accel.sources]
    ranges_g = "assumption: test value"
    bits = "assumption: test value"
    odrs_hz = "assumption: test value"
    noise_ug_per_rthz = "assumption: test value"
    bandwidth_odr_ratio = "assumption: test value"
    zero_g_offset_mg = "assumption: test value"
    bias_instability_ug = "assumption: test value"
    bias_tau_s = "assumption: test value"
    sensitivity_tolerance_pct = "assumption: test value"
    cross_axis_pct = "assumption: test value"

    [gyro]
    ranges_dps = [125, 250, 500, 1000, 2000]
    bits = 16
    odrs_hz = [25, 50, 100, 200, 400, 800]
    noise_mdps_per_rthz = 7
    zero_rate_offset_dps = 0.5
    bias_instability_dph = 10
    bias_tau_s = 20
    g_sensitivity_dps_per_g = 0.1
    [gyro.sources]
    ranges_dps = "assumption: test value"
    bits = "assumption: test value"
    odrs_hz = "assumption: test value"
    noise_mdps_per_rthz = "assumption: test value"
    zero_rate_offset_dps = "assumption: test value"
    bias_instability_dph = "assumption: test value"
    bias_tau_s = "assumption: test value"
    g_sensitivity_dps_per_g = "assumption: test value"

    [mag]
    ranges_ut = [1300]
    lsb_ut = 0.3
    odrs_hz = [10, 20, 30]
    noise_ut_rms = 0.6
    [mag.sources]
    ranges_ut = "assumption: test value"
    lsb_ut = "assumption: test value"
    odrs_hz = "assumption: test value"
    noise_ut_rms = "assumption: test value"

    [defaults]
    odr_hz = 100
    range_g = 4
    range_dps = 2000
    placement = "wrist_left"
    """
)

TEST_DEVICE = textwrap.dedent(
    """
    name = "testband"
    kind = "device"
    product = "Test wrist band"
    description = "a device for the tests"
    default_placement = "wrist_left"

    [accel]
    chip = "testchip"
    odr_hz = 100
    range_g = 8

    [gyro]
    chip = "testchip"
    odr_hz = 100
    range_dps = 2000

    [mag]
    chip = "testchip"
    odr_hz = 20

    [timing]
    clock_ppm = 0
    clock_tolerance_ppm = 100
    jitter_us = 50
    drop_rate = 0.0
    """
)


@pytest.fixture
def profile_dir(tmp_path, monkeypatch):
    """A folder with `testchip` and `testband` on IMUFORGE_PROFILES."""
    (tmp_path / "chips").mkdir()
    (tmp_path / "devices").mkdir()
    (tmp_path / "chips" / "testchip.toml").write_text(TEST_CHIP)
    (tmp_path / "devices" / "testband.toml").write_text(TEST_DEVICE)
    monkeypatch.setenv("IMUFORGE_PROFILES", str(tmp_path))
    return tmp_path


def rigid_motion(times: np.ndarray, position_fn, rotation_fn, fps: float) -> Motion:
    """A Motion whose every joint follows one rigid trajectory.

    ``position_fn(t) -> (n, 3)`` metres; ``rotation_fn(t) -> scipy Rotation`` (segment → world).
    """
    pos = position_fn(times)
    quat = rotation_fn(times).as_quat()  # scalar-last
    J = HUMANML3D_22.n_joints
    return Motion(np.repeat(pos[:, None, :], J, axis=1), np.repeat(quat[:, None, :], J, axis=1), fps)


def still_motion(duration_s: float = 10.0, fps: float = 20.0, rotation: Rotation | None = None) -> Motion:
    rot = rotation or Rotation.identity()
    t = np.arange(int(duration_s * fps) + 1) / fps
    return rigid_motion(t, lambda t: np.zeros((t.size, 3)), lambda t: Rotation.from_quat(
        np.repeat(rot.as_quat()[None], t.size, axis=0)), fps)


# ------------------------------------------------------------------ firmware tests without the toolchain
FIRMWARE_TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm")
FIRMWARE_PACKAGES = "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"


def _skipped_for_toolchain(report) -> bool:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return any(tool in reason for tool in FIRMWARE_TOOLS)


def pytest_unconfigure(config):
    """The run's last line, when tests were skipped for want of the ARM toolchain / QEMU: which, and how to
    enable them (after pytest's own summary, so it is not lost above the list of skips)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if _skipped_for_toolchain(r)]
    if not skipped:
        return
    files = sorted({r.nodeid.split("::")[0] for r in skipped})
    missing = [t for t in FIRMWARE_TOOLS if shutil.which(t) is None] or list(FIRMWARE_TOOLS)
    reporter.write_line(
        f"{len(skipped)} firmware tests skipped ({', '.join(files)}): {', '.join(missing)} not installed; "
        f"enable them with: sudo apt-get install {FIRMWARE_PACKAGES}  (`make setup` does it as root)", yellow=True)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    make_dataset(root / "a", subjects=("s1", "s2", "s3"), seed=0)
    make_dataset(root / "nested" / "b", subjects=("s4", "s5"), seed=10)
    return root


@pytest.fixture(scope="session")
def tiny_run(synth_dir, tmp_path_factory):
    """A trained tiny_cnn run (few epochs, small width) shared by the eval/export tests."""
    from imuforge.train import TrainConfig, train

    out = tmp_path_factory.mktemp("runs") / "tiny"
    cfg = TrainConfig(data=[str(synth_dir)], model="tiny_cnn", window_s=1.28, stride_s=0.64, rate_hz=25.0,
                      epochs=8, seed=1, batch_size=16, model_kwargs={"width": 8})
    train(cfg, out)
    return out
