"""A capture without --placement records the device profile's default placement, and its provenance says it
was the default, not measured (capture, --recover and --guided alike)."""

from __future__ import annotations

import pytest

from imuforge.bridge.capture import CaptureOptions, capture, recover
from imuforge.bridge.guided import GuidedPlan, guided_capture
from imuforge.bridge.links import SerialLink
from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.recording import read_recording
from imuforge.sensors import load_profile
from tests.bridge.test_guided import Wearer

ARM = "polar-verity-sense"  # default placement upper_arm_left: not the wrist any fallback would pick


def test_capture_without_placement_records_the_profile_default(tcp_device, tmp_path):
    d = tcp_device(profile_name=ARM)  # the device names its profile; no --profile, no --placement
    res = capture(lambda: SerialLink(d.url), tmp_path / "c.rawlog", CaptureOptions(seconds=1.0, odr_hz=100.0))
    rec = res.recording
    assert rec.profile == ARM and rec.placement == load_profile(ARM).default_placement == "upper_arm_left"
    src = rec.provenance["placement_source"]
    assert src.startswith("default of profile 'polar-verity-sense'") and "not measured" in src
    rec.save(tmp_path / "c.imu.parquet")
    back = read_recording(tmp_path / "c.imu.parquet")
    assert back.placement == "upper_arm_left" and back.provenance["placement_source"] == src
    rec2, _ = recover(tmp_path / "c.rawlog")  # the recovered recording is the one the capture wrote
    assert rec2.placement == "upper_arm_left" and rec2.provenance["placement_source"] == src


def test_a_given_placement_is_recorded_as_given(tcp_device, tmp_path):
    d = tcp_device(profile_name=ARM)
    res = capture(lambda: SerialLink(d.url), tmp_path / "c.rawlog",
                  CaptureOptions(seconds=1.0, odr_hz=100.0, placement="wrist_right"))
    assert res.recording.placement == "wrist_right"
    assert res.recording.provenance["placement_source"] == "given (capture --placement)"


def test_a_profile_the_device_contradicts_is_warned_about(tcp_device, tmp_path):
    """`capture --profile smartwatch-wrist` on a device that says it is another profile stamped the recording
    without a word (session 58's audit); the device's own stays in the provenance, and the capture says so."""
    d = tcp_device(profile_name=ARM)
    res = capture(lambda: SerialLink(d.url), tmp_path / "c.rawlog",
                  CaptureOptions(seconds=1.0, odr_hz=100.0, profile="smartwatch-wrist"))
    rec = res.recording
    assert rec.profile == "smartwatch-wrist" and rec.provenance["device"]["profile"] == ARM
    assert any(f"--profile smartwatch-wrist, but the device says it is {ARM}" in w for w in res.warnings)
    same = capture(lambda: SerialLink(d.url), tmp_path / "d.rawlog",
                   CaptureOptions(seconds=1.0, odr_hz=100.0, profile=ARM))
    assert not [w for w in same.warnings if "the device says" in w]
    # CSV units for a log of frames (which carry their own) are refused, not ignored
    with pytest.raises(ValidationError, match="with a log of imuforge frames"):
        recover(tmp_path / "d.rawlog", csv_units={"acc": "mg"})


def test_no_profile_leaves_the_placement_unknown_and_says_so(tcp_device, tmp_path):
    d = tcp_device()  # the formula device names no profile
    res = capture(lambda: SerialLink(d.url), tmp_path / "c.rawlog", CaptureOptions(seconds=1.0, odr_hz=100.0))
    assert res.recording.placement is None
    assert res.recording.provenance["placement_source"].startswith("unknown")


def test_capture_cli_says_the_placement_is_the_default(tcp_device, tmp_path, capsys):
    d = tcp_device(profile_name=ARM)
    out = tmp_path / "w.imu.parquet"
    assert main(["capture", "--port", d.url, "--seconds", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "placement: recorded as upper_arm_left, the device profile's default — not measured" in printed
    assert read_recording(out).placement == "upper_arm_left"
    assert main(["capture", "--port", d.url, "--seconds", "1", "--out", str(tmp_path / "g.imu.parquet"),
                 "--placement", "wrist_left", "--quiet"]) == 0
    assert "placement:" not in capsys.readouterr().out


def test_guided_capture_without_placement_records_the_profile_default(pty_wearable, tmp_path):
    source, port = pty_wearable  # a nano33 whose profile default placement is wrist_left
    plan = GuidedPlan(("standing",), seconds_each=2.0, countdown_s=0.0)
    res = guided_capture(lambda: SerialLink(port), tmp_path / "g", plan, CaptureOptions(seconds=1.0), Wearer(source))
    rec = read_recording(res.written["standing"])
    assert rec.placement == load_profile("nano33-ble-sense-rev2").default_placement == "wrist_left"
    assert rec.provenance["placement_source"].startswith("default of profile 'nano33-ble-sense-rev2'")


def test_guided_capture_says_a_contradicted_profile_once(pty_wearable, tmp_path):
    """The device contradicting --profile is true of every stretch of a guided capture: it was said once per
    activity (session 58's review); now once, naming the activities."""
    source, port = pty_wearable  # the wearable says it is nano33-ble-sense-rev2
    plan = GuidedPlan(("standing", "sitting"), seconds_each=2.0, countdown_s=0.0)
    res = guided_capture(lambda: SerialLink(port), tmp_path / "g", plan,
                         CaptureOptions(seconds=1.0, profile="smartwatch-wrist"), Wearer(source))
    said = [w for w in res.warnings if "the device says" in w]
    assert set(res.written) == {"standing", "sitting"}
    assert len(said) == 1
    assert said[0].startswith("standing, sitting: --profile smartwatch-wrist, but the device says")


def test_the_desk_source_holds_a_slower_sensor_as_the_simulator_does():
    """The emulated desk's magnetometer (10 Hz on a 100 Hz board) drew fresh noise at every 100 Hz sample
    while `imuforge simulate` holds each reading until the next: both now read it at its own rate."""
    import numpy as np

    from imuforge.bridge.emulator import desk_source
    from imuforge.motion.library import generate
    from imuforge.sensors import load_profile, simulate

    prof = load_profile("nano33-ble-sense-rev2")
    hold = round(prof.odr_hz / prof.sensors["mag"].odr_hz)
    desk = desk_source(prof, seed=3, seconds=4).rec.group("mag")
    sim = simulate(generate("standing", 4, fps=50, rng=1), prof, seed=3).group("mag")
    for mag in (desk, sim):
        changes = np.flatnonzero(np.any(np.diff(mag, axis=0) != 0, axis=1)) + 1
        # a new value only at the slow sensor's samples (± one main sample: the simulator's clocks differ)
        assert len(changes) > 10 and np.median(np.diff(changes)) == hold
        assert np.diff(changes).min() >= hold - 1
