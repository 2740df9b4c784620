"""Capture against the emulated device: exactness, gaps, corruption, drift, disconnects, crash safety, CSV."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import tty

import numpy as np
import pytest

from imuforge.bridge import rawlog
from imuforge.bridge.capture import CaptureOptions, DeviceError, capture, recover
from imuforge.bridge.emulator import Faults
from imuforge.errors import ValidationError
from imuforge.bridge.links import SerialLink
from imuforge.recording import read_recording
from tests.bridge.conftest import formula_si


def _cap(url, tmp_path, name="c", **kw):
    opts = CaptureOptions(**{"seconds": 2.0, "odr_hz": 100.0, **kw})
    return capture(lambda: SerialLink(url), tmp_path / f"{name}.rawlog", opts)


def test_capture_exact_and_recover_identical(tcp_device, tmp_path):
    d = tcp_device()
    res = _cap(d.url, tmp_path, seconds=2.0, label="walking", placement="wrist_left", subject="s1")
    rec = res.recording
    assert res.complete and len(rec) == 200
    assert np.array_equal(rec.data, formula_si(rec.provenance["first_sample_index"], 200))
    assert rec.labels[0].label == "walking" and rec.placement == "wrist_left" and rec.subject == "s1"
    assert rec.provenance["device_id"] == "emu-0001" and rec.provenance["capture_time"]
    assert rec.rate_hz == pytest.approx(100.0, rel=0.02)  # measured on the host clock
    rec2, report = recover(tmp_path / "c.rawlog")
    assert np.array_equal(rec2.timestamps, rec.timestamps) and np.array_equal(rec2.data, rec.data)
    assert rec2.rate_hz == rec.rate_hz and rec2.labels == rec.labels and not report["truncated"]
    rec.save(tmp_path / "c.imu.parquet")
    assert read_recording(tmp_path / "c.imu.parquet") == rec


def test_calibration_names_the_emulator_as_what_captured(tcp_device, tmp_path):
    """The provenance a capture writes is what the calibration report's "Captured by" line reads."""
    from imuforge.calibrate.pipeline import capture_sources

    rec = _cap(tcp_device().url, tmp_path, seconds=0.5).recording
    saved = read_recording(rec.save(tmp_path / "c.imu.parquet"))
    assert capture_sources([rec, saved]) == {"emulated wearable (imuforge emulate)": 2}


def test_dropped_frames_become_gaps(tcp_device, tmp_path):
    d = tcp_device(Faults(drop_rate=0.25, seed=3))
    res = _cap(d.url, tmp_path, seconds=3.0)
    rec = res.recording
    lost = d.device.frames_dropped
    assert lost > 0
    assert res.stats.frames_lost == lost
    # every received sample is exact, every dropped one is a gap, nothing papered over
    first = rec.provenance["first_sample_index"]
    nominal = np.rint((rec.timestamps - rec.timestamps[0]) * rec.rate_hz).astype(int) + first
    assert np.array_equal(rec.data, formula_si(0, nominal[-1] + 1)[nominal])
    assert sum(g[2] for g in rec.gaps()) == res.stats.missing_samples > 0
    assert len(rec) + res.stats.missing_samples == nominal[-1] - first + 1


def test_corrupted_frames_are_counted_and_rejected(tcp_device, tmp_path):
    d = tcp_device(Faults(corrupt_rate=0.2, seed=5))
    res = _cap(d.url, tmp_path, seconds=3.0)
    rec = res.recording
    assert d.device.frames_corrupted > 0
    assert res.stats.frames_corrupt >= 1
    first = rec.provenance["first_sample_index"]
    nominal = np.rint((rec.timestamps - rec.timestamps[0]) * rec.rate_hz).astype(int) + first
    assert np.array_equal(rec.data, formula_si(0, nominal[-1] + 1)[nominal])  # no corrupted value got in


def test_clock_drift_is_estimated_and_rate_is_measured(tcp_device, tmp_path):
    d = tcp_device(Faults(clock_ppm=3000.0))  # device clock 0.3 % fast (RC-oscillator class)
    # 8 s: a few ms of scheduling delay on a loaded machine must stay well inside the 600 ppm bound
    res = _cap(d.url, tmp_path, seconds=8.0)
    seg = res.recording.provenance["clock"]["segments"][0]
    assert seg["applied"]
    assert seg["drift_ppm"] == pytest.approx(-3000 / 1.003, abs=600)
    assert res.recording.rate_hz == pytest.approx(100.3, abs=0.06)


def test_disconnect_keeps_data_and_says_so(tcp_device, tmp_path):
    d = tcp_device(Faults(disconnect_after_s=1.0))
    res = _cap(d.url, tmp_path, seconds=3.0)
    assert res.disconnected and not res.complete
    assert any("disconnected" in m for m in res.messages)
    assert 60 <= len(res.recording) <= 130
    first = res.recording.provenance["first_sample_index"]
    assert np.array_equal(res.recording.data, formula_si(first, len(res.recording)))


def test_reconnect_resumes_with_a_gap(tcp_device, tmp_path):
    d = tcp_device(Faults(disconnect_after_s=1.0))
    res = _cap(d.url, tmp_path, seconds=3.0, reconnect=True)
    rec = res.recording
    assert res.disconnected and res.complete, res.messages
    assert rec.provenance["stats"]["disconnects"] == 1
    gaps = rec.gaps()
    missing = sum(g[2] for g in gaps)
    assert len(gaps) >= 1 and missing > 0  # the time off-line is a gap
    # one count: the gaps in the timestamps are the missing samples of the provenance
    assert rec.provenance["stats"]["missing_samples"] == res.stats.missing_samples == missing
    # exactly the 3 s window [t0, t0 + 3 s): received + missing slots = 300, every sample exact
    assert len(rec) + missing == 300
    assert np.all(np.diff(rec.timestamps) > 0)
    # every sample is a real one, in device order (the formula value of a rising sample index)
    table = {row.tobytes(): k for k, row in enumerate(formula_si(0, 2000))}
    index = np.array([table[row.tobytes()] for row in rec.data])
    assert np.all(np.diff(index) > 0) and index[0] == rec.provenance["first_sample_index"]
    rec2, _ = recover(tmp_path / "c.rawlog")
    assert np.array_equal(rec2.data, rec.data) and np.array_equal(rec2.timestamps, rec.timestamps)


def test_a_device_gone_for_good_is_said_while_reconnecting(tcp_device, tmp_path):
    """--reconnect against a device that never comes back: the status says it is reconnecting and how long
    it will try (the status line had stood still for the whole reconnect window: a fresh user's run)."""
    from imuforge.bridge.links import LinkClosed

    d = tcp_device(Faults(disconnect_after_s=1.0))
    opened, statuses = [], []

    def open_link():
        if opened:
            raise LinkClosed("connection refused")
        opened.append(1)
        return SerialLink(d.url)

    res = capture(open_link, tmp_path / "g.rawlog",
                  CaptureOptions(seconds=3.0, odr_hz=100.0, reconnect=True, reconnect_window_s=1.0),
                  on_status=statuses.append)
    assert res.disconnected and not res.complete
    assert "could not reconnect; keeping what arrived" in res.messages
    left = [s["reconnecting_s"] for s in statuses if "reconnecting_s" in s]
    window = 3.0 + CaptureOptions(seconds=3.0).grace_s + 1.0  # the capture's end, its grace, the window
    assert len(left) >= 2 and left == sorted(left, reverse=True) and 0 <= left[-1] < left[0] <= window


def test_a_device_that_hangs_ends_the_capture_at_the_stall_not_the_window(tcp_device, tmp_path):
    """A device that goes silent with its link open (firmware hung behind a powered USB-serial bridge; a BLE
    peer out of range before its link times out) had held a capture to the end of its window and its grace —
    minutes for a long one — and ``--reconnect`` never tried. Now the silence is taken as a lost link after
    :func:`stall_after_s`: what arrived is kept and exact, the reason said; with --reconnect the handshake
    is tried and fails (the device answers nothing), and that is said too."""
    from imuforge.bridge.capture import STALL_MIN_S, stall_after_s

    assert stall_after_s(100.0) == STALL_MIN_S == stall_after_s(0.0) and stall_after_s(1.0) == 40.0
    with pytest.raises(ValidationError, match=r"--stall-s 0.1 s is shorter than a healthy device's pauses"):
        CaptureOptions(seconds=1.0, stall_s=0.1)  # a healthy 25 Hz device had been called hung
    d = tcp_device(Faults(hang_after_s=1.0))
    t0 = time.monotonic()
    res = _cap(d.url, tmp_path, seconds=60.0, stall_s=0.5)
    took = time.monotonic() - t0
    assert res.disconnected and not res.complete and took < 10, (took, res.messages)
    assert any("nothing received for" in m and "while streaming at 100 Hz" in m for m in res.messages)
    assert 60 <= len(res.recording) <= 130  # the first second's samples, every one exact
    first = res.recording.provenance["first_sample_index"]
    assert np.array_equal(res.recording.data, formula_si(first, len(res.recording)))
    from imuforge.bridge.emulator import EmulatedDevice, FormulaSource

    at_once = EmulatedDevice(FormulaSource(), faults=Faults(hang_after_s=0.0))
    assert not at_once.hung  # it answers the handshake, silent from its first START (it had been at once)
    d = tcp_device(Faults(hang_after_s=1.0))  # a new device: the hung one answers no capture any more
    res = _cap(d.url, tmp_path, name="r", seconds=3.0, stall_s=0.5, reconnect=True, reconnect_window_s=1.0,
               handshake_timeout_s=0.3)  # (it tries until the window's end and the reconnect window)
    assert res.disconnected and not res.complete and 60 <= len(res.recording) <= 130
    tries = [m for m in res.messages if m.startswith("the link reopened ")]  # one line, not one per try
    assert len(tries) == 1 and "the device did not answer" in tries[0], res.messages
    assert not any(m.startswith("reconnected") for m in res.messages)  # it never answered again
    assert "could not reconnect; keeping what arrived" in res.messages


def test_unsupported_odr_is_refused_with_allowed_values(tcp_device, tmp_path):
    d = tcp_device()
    with pytest.raises(DeviceError, match="not supported.*100"):
        _cap(d.url, tmp_path, odr_hz=123.0)


def test_an_accelerometer_only_device_streams_its_accelerometer_by_default(tcp_device, tmp_path):
    """No --channels: the device's accelerometer and gyroscope, those it has (an AX3 has no gyroscope);
    asking for a group it lacks names what it has."""
    d = tcp_device(channel_mask=0x01)
    rec = _cap(d.url, tmp_path, seconds=1.0).recording
    assert list(rec.channels) == ["acc_x", "acc_y", "acc_z"] and len(rec) == 100
    with pytest.raises(DeviceError, match="has channels acc; asked for acc,gyro .allowed: --channels acc"):
        _cap(d.url, tmp_path, name="g", seconds=1.0, channels=("acc", "gyro"))
    assert _cap(tcp_device().url, tmp_path, name="both", seconds=1.0).recording.channels[3:] == \
        ("gyro_x", "gyro_y", "gyro_z")


_KILL_SCRIPT = """
import sys
from imuforge.bridge.capture import CaptureOptions, capture
from imuforge.bridge.links import SerialLink
capture(lambda: SerialLink(sys.argv[1]), sys.argv[2], CaptureOptions(seconds=30, odr_hz=200))
"""


def test_killed_capture_is_recoverable(tcp_device, tmp_path):
    d = tcp_device()
    log = tmp_path / "k.rawlog"
    p = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, d.url, str(log)])
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20 and (not log.exists() or log.stat().st_size < 20000):
            time.sleep(0.05)
        time.sleep(1.3)  # let it run past at least one more flush
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait(10)
    size_at_kill = log.stat().st_size
    rec, report = recover(log)
    assert len(rec) >= 200  # at least ~1 s at 200 Hz survived the kill
    assert report["asked_s"] == 30  # what the command then says it recovered part of (session 62)
    first = rec.provenance["first_sample_index"]
    assert np.array_equal(rec.data, FormulaCheck.values(first, len(rec)))
    # a torn tail (half a record) is tolerated
    with open(log, "ab") as fh:
        fh.write(b"\x01\xff\xff\x00")
    rec_b, report_b = recover(log)
    assert report_b["truncated"] and len(rec_b) == len(rec)
    assert size_at_kill > 0 and report["records"] > 0
    # bytes damaged in the middle of the log (disk / copy corruption) lose only what they hit
    raw = bytearray(log.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 40] = np.random.default_rng(3).integers(0, 256, 40, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.rawlog"
    damaged.write_bytes(bytes(raw))
    rec_c, report_c = recover(damaged)
    assert report_c["corrupt_regions"] >= 1 and report_c["corrupt_bytes"] >= 1
    lost = len(rec) - len(rec_c)
    assert 0 <= lost <= 2 * 17  # at most the sample batches the damaged bytes touched
    real_rows = {row.tobytes() for row in rec.data}
    assert all(row.tobytes() in real_rows for row in rec_c.data)  # nothing invented: only real samples


def _damage_header(log, tmp_path, how: str):
    raw = bytearray(log.read_bytes())
    nl = raw.find(b"\n", len(rawlog.MAGIC))
    if how == "garbled":
        raw[20:40] = b"\x00\xff" * 10
    elif how == "end of line":
        raw[nl] = ord("A")
    else:  # a header and nothing after it
        raw = raw[:nl - 5] + b"\n"
    out = tmp_path / f"damaged-{how.replace(' ', '-')}.rawlog"
    out.write_bytes(bytes(raw))
    return out


@pytest.mark.parametrize("how", ["garbled", "end of line"])
def test_a_damaged_header_still_recovers_the_frames(tcp_device, tmp_path, capsys, how):
    from imuforge.cli import main

    d = tcp_device()
    rec = _cap(d.url, tmp_path, seconds=1.0, label="walking").recording
    damaged = _damage_header(tmp_path / "c.rawlog", tmp_path, how)
    rec_d, report = recover(damaged, label="walking")
    assert report["header_damaged"] and report["corrupt_bytes"] == 0  # the header is not counted as samples
    assert len(rec_d) >= len(rec) and np.array_equal(rec_d.data[:len(rec)], rec.data)  # every sample, exact
    assert np.array_equal(rec_d.timestamps[:len(rec)], rec.timestamps) and rec_d.labels[0].label == "walking"
    out = tmp_path / "d.imu.parquet"
    assert main(["capture", "--recover", str(damaged), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "the raw log's header is damaged" in said and "are lost unless given (--label" in said
    assert len(read_recording(out)) == len(rec_d)


def test_a_header_damaged_into_other_valid_json_is_said_and_keeps_the_rest(tcp_device, tmp_path, capsys):
    """One flipped byte inside the key "label" leaves valid JSON: the label was lost without a word. It is
    now damage, said with what was lost; the settings still there (profile, subject) are kept."""
    from imuforge.cli import main

    d = tcp_device()
    rec = _cap(d.url, tmp_path, seconds=1.0, label="walking", subject="s7").recording
    raw = (tmp_path / "c.rawlog").read_bytes()
    assert raw.count(b'"label":') == 1
    damaged = tmp_path / "flipped.rawlog"
    damaged.write_bytes(raw.replace(b'"label":', b'"lab%l":'))
    header, _, info = rawlog.read_log(damaged)
    assert "valid JSON without label, which every capture writes" in info["header_damaged"]
    assert "keys it does not know: 'lab%l'" in info["header_damaged"] and header["subject"] == "s7"
    rec_d, report = recover(damaged)
    assert report["header_lost"] == ["label"] and rec_d.subject == "s7" and not rec_d.labels
    assert np.array_equal(rec_d.data[:len(rec)], rec.data)  # every sample kept
    assert main(["capture", "--recover", str(damaged), "--out", str(tmp_path / "d.imu.parquet")]) == 0
    said = capsys.readouterr().out
    assert "the raw log's header is damaged (valid JSON without label" in said
    assert "its label is lost unless given (--label)" in said
    assert main(["capture", "--recover", str(damaged), "--label", "walking",
                 "--out", str(tmp_path / "e.imu.parquet")]) == 0
    said = capsys.readouterr().out
    assert "the raw log's header is damaged" in said and "lost unless given" not in said
    assert read_recording(tmp_path / "e.imu.parquet").labels[0].label == "walking"


def test_a_damaged_header_with_nothing_after_it_is_one_line(tcp_device, tmp_path, capsys):
    from imuforge.cli import main

    d = tcp_device()
    _cap(d.url, tmp_path, seconds=0.5)
    damaged = _damage_header(tmp_path / "c.rawlog", tmp_path, "only")
    out = tmp_path / "d.imu.parquet"
    assert main(["capture", "--recover", str(damaged), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "corrupt raw log header (not valid JSON" in err, err
    assert "no readable record after it: nothing to recover" in err and not out.exists()


class FormulaCheck:
    @staticmethod
    def values(first, n):
        from imuforge.bridge.emulator import FormulaSource

        return FormulaSource()(np.arange(first, first + n), 200.0)


def test_raw_log_flushes_at_least_every_second(tmp_path):
    w = rawlog.RawLogWriter(tmp_path / "x.rawlog", {"a": 1})
    w.write(rawlog.RX, b"abc")
    time.sleep(1.05)
    w.write(rawlog.RX, b"def")  # this write is more than 1 s after the last flush: it syncs
    header, recs, info = rawlog.read_log(tmp_path / "x.rawlog")  # read while still open
    assert [r.data for r in recs] == [b"abc", b"def"] and header["a"] == 1 and not info["truncated"]
    w.close()


def test_one_damaged_time_does_not_end_the_log(tmp_path):
    """One flipped bit in a record's time (0.0026 s read as a later time) made every later record look like
    time going back, and the log's recovery said nothing was received (session 58's audit): the record after
    it shows which time is damaged, and every record is kept."""
    import struct

    w = rawlog.RawLogWriter(tmp_path / "x.rawlog", {"a": 1})
    for i in range(50):
        w.write(rawlog.RX if i % 2 else rawlog.TX, bytes([i]) * 8, t=0.01 * i)
    w.close()
    raw = bytearray((tmp_path / "x.rawlog").read_bytes())
    header, recs, _ = rawlog.read_log(tmp_path / "x.rawlog")
    at = raw.index(bytes([3]) * 8) - 8  # the time field of the fourth record (t = 0.03 s)
    raw[at:at + 8] = struct.pack("<d", 1.5)  # as a damaged byte can make it
    (tmp_path / "y.rawlog").write_bytes(bytes(raw))
    header, got, info = rawlog.read_log(tmp_path / "y.rawlog")
    assert [r.data for r in got] == [r.data for r in recs] and info["corrupt_times"] == 1
    assert got[3].t == pytest.approx(0.02) and [r.t for r in got[4:]] == [r.t for r in recs[4:]]
    assert not info["truncated"] and info["corrupt_bytes"] == 0


def test_a_csv_log_refused_for_its_unit_is_rebuilt_with_the_right_one(tmp_path):
    """A CSV capture whose device printed mg was refused as g; `capture --recover LOG --csv-acc-unit mg`
    ignored the unit and was refused the same way, so what arrived could never become a recording."""
    header = {"format": "imuforge-rawlog", "stream": "csv", "csv_units": {}, "seconds": 2.0}
    w = rawlog.RawLogWriter(tmp_path / "mg.rawlog", header)
    for i in range(120):  # 2.4 s of lines at 50 Hz, acc in mg (gravity on z), gyro in °/s
        w.write(rawlog.RX, f"{i % 3},0,1000,0.5,0,0\n".encode(), t=0.02 * i)
    w.close()
    with pytest.raises(ValidationError, match="read as g"):
        recover(tmp_path / "mg.rawlog")
    rec, _ = recover(tmp_path / "mg.rawlog", csv_units={"acc": "mg"})
    assert np.median(rec.acc[:, 2]) == pytest.approx(9.80665, rel=1e-3) and len(rec) >= 90


def test_csv_lines_lost_after_the_last_one_read_count_as_missing():
    """A device that went from 6 to 3 columns had its lines dropped, and the capture said 0 missing samples
    without a warning: they are lost at the end now, in the missing share that warns."""
    from imuforge.bridge.stream import StreamProcessor

    proc = StreamProcessor("csv")
    for i in range(150):
        line = "0.1,0,1,0,0,0\n" if i < 100 else "0.1,0,1\n"
        proc.feed(line.encode(), 0.01 * i)
    rec = proc.build(rate_hz=100.0)
    assert len(rec) == 100 and proc.stats.missing_samples == 0 and proc.stats.csv_lost_at_end == 50


@pytest.mark.parametrize("period_s", [0.02, 0.019998, 0.020002])
def test_a_csv_window_holds_round_seconds_times_rate_lines(period_s):
    """``--seconds 5`` of CSV lines at a measured ≈ 50 Hz keeps 250 lines, as frames keep round(S · ODR): a
    rate measured a hair above 50 Hz had kept 251 (a fresh user's run, session 63)."""
    from imuforge.bridge.stream import StreamProcessor

    proc = StreamProcessor("csv")
    for i in range(400):
        proc.feed(b"0.1,0,1,0,0,0\n", period_s * i)
    rec = proc.build(window_s=5.0)
    assert len(rec) == 250 and abs(rec.rate_hz - 1 / period_s) < 0.05


# ------------------------------------------------------------------------------------- CSV mode
def _csv_writer(fd: int, rate: float, n: int, burst: int, stop: threading.Event, header=True):
    """A sketch printing ax,ay,az,gx,gy,gz lines at ``rate``, flushed in bursts (like USB CDC)."""
    k = np.arange(n)
    vals = np.column_stack([np.sin(k / 10), np.cos(k / 10), 1 + 0 * k, k % 7, -(k % 5), k % 3]).round(4)
    lines = [",".join(f"{v:g}" for v in row) + "\r\n" for row in vals]
    if header:
        os.write(fd, b"aX,aY,aZ,gX,gY,gZ\r\n")
    t0 = time.monotonic()
    for i in range(0, n, burst):
        due = t0 + (i + burst) / rate
        while time.monotonic() < due and not stop.is_set():
            time.sleep(0.001)
        if stop.is_set():
            return vals
        os.write(fd, "".join(lines[i:i + burst]).encode())
    return vals


def test_csv_line_mode_measures_rate_and_converts_units(tmp_path):
    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    stop = threading.Event()
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("v", _csv_writer(master, 119.0, 600, 8, stop)), daemon=True)
    th.start()
    try:
        res = capture(lambda: SerialLink(os.ttyname(slave), 9600), tmp_path / "csv.rawlog",
                      CaptureOptions(seconds=3.0, fmt="auto", handshake_timeout_s=0.6, label="standing"))
    finally:
        stop.set()
        th.join(5)
        os.close(master)
        os.close(slave)
    rec = res.recording
    assert rec.provenance["format"] == "csv"
    assert rec.rate_hz == pytest.approx(119.0, rel=0.01)  # despite 8-line bursts
    assert rec.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    v = out["v"]
    # rows are consecutive lines of the sketch, converted g → m/s², dps → rad/s
    start = int(np.argmin(np.abs(v[:, 0] - rec.data[0, 0] / 9.80665) + np.abs(v[:, 1] - rec.data[0, 1] / 9.80665)))
    np.testing.assert_allclose(rec.data[:, :3] / 9.80665, v[start:start + len(rec), :3], atol=1e-12)
    np.testing.assert_allclose(np.rad2deg(rec.data[:, 3:]), v[start:start + len(rec), 3:], atol=1e-9)
    rec2, _ = recover(tmp_path / "csv.rawlog")
    assert np.array_equal(rec2.data, rec.data)


def test_format_frames_against_a_csv_sketch_says_csv_lines_arrived(tmp_path):
    """``--format frames`` on a port where a sketch prints CSV lines: the refusal says the lines arrived and
    that --format frames does not read them (it said no CSV lines arrived: a fresh user's run, session 63)."""
    from imuforge.bridge.capture import NoDeviceAnswer

    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    stop = threading.Event()
    th = threading.Thread(target=lambda: _csv_writer(master, 100.0, 400, 4, stop), daemon=True)
    th.start()
    try:
        with pytest.raises(NoDeviceAnswer) as err:
            capture(lambda: SerialLink(os.ttyname(slave), 9600), tmp_path / "f.rawlog",
                    CaptureOptions(seconds=1.0, fmt="frames", handshake_timeout_s=0.6))
    finally:
        stop.set()
        th.join(5)
        os.close(master)
        os.close(slave)
    assert "CSV sample lines arrived, and --format frames reads imuforge frames only" in str(err.value)
    assert "--format auto, the default, or --format csv" in str(err.value)


def test_a_device_that_stops_answering_at_configure_is_a_time_out_not_a_refusal(tcp_device, tmp_path):
    """The device answers GET_INFO, then hangs on CONFIGURE: the error stays a DeviceTimeout (the guided
    capture treats it as a lost device) and still names what the device supports."""
    from imuforge.bridge import protocol as P
    from imuforge.bridge.capture import DeviceRefused, DeviceTimeout

    d = tcp_device()
    d.device.register_handler(P.MsgType.CONFIGURE, lambda frame: None)  # a hung device: no ACK, no ERROR
    with pytest.raises(DeviceTimeout, match="no answer to Configure.*device supports ODRs") as err:
        _cap(d.url, tmp_path)
    assert not isinstance(err.value, DeviceRefused)


def test_a_stray_zero_byte_at_boot_does_not_hide_a_csv_sketch(tmp_path):
    """A 0x00 among a CSV sketch's first lines (a USB bridge or a sketch at boot): the capture had said no
    device answered, and --recover of its raw log found no samples (a fresh user's run). Now the lines are
    read (the byte is one unreadable line), and a log whose capture stopped before it knew is rebuilt as CSV."""
    from imuforge.bridge import rawlog
    from imuforge.bridge.capture import _csv_like

    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    stop = threading.Event()
    os.write(master, b"0.01,0.02,0.98\n\x000.01,0.02,0.98\n")  # the stray byte, before the handshake reads
    th = threading.Thread(target=lambda: _csv_writer(master, 100.0, 600, 4, stop), daemon=True)
    th.start()
    try:
        res = capture(lambda: SerialLink(os.ttyname(slave), 9600), tmp_path / "z.rawlog",
                      CaptureOptions(seconds=2.0, fmt="auto", handshake_timeout_s=0.6))
    finally:
        stop.set()
        th.join(5)
        os.close(master)
        os.close(slave)
    assert res.recording.provenance["format"] == "csv" and len(res.recording) > 150
    # a log of CSV lines whose capture never switched to CSV (the code before: no samples) is read as CSV
    lines = [b"%d,0.5,0.98,1,2,3\n" % i for i in range(50)]
    w = rawlog.RawLogWriter(tmp_path / "old.rawlog", {"format": "imuforge-rawlog", "stream": "auto",
                                                      "seconds": None, "csv_units": None, "csv_rate_hz": None,
                                                      **dict.fromkeys(("label", "profile", "placement",
                                                                       "subject"))})
    w.write(rawlog.RX, b"\x00", t=0.0)
    for i, ln in enumerate(lines):
        w.write(rawlog.RX, ln, t=0.01 + 0.02 * i)
    w.close()
    lines = b"".join(lines)
    rec, _ = recover(tmp_path / "old.rawlog")
    assert len(rec) == 49 and rec.provenance["format"] == "csv"  # the line the byte joined is a gap
    # frames are not CSV, lines of numbers with a stray byte are
    from imuforge.bridge import protocol as P
    frames = b"".join(P.encode_frame(P.GetInfo(), i) for i in range(40))
    assert not _csv_like(frames) and _csv_like(b"\x00" + lines) and not _csv_like(b"a\nb\nc\nd\n")


def test_sigint_deferred_keeps_an_ignored_ctrl_c_ignored_and_a_callers_handler_its_own():
    """Review of sigint_deferred: under nohup (SIGINT ignored) it had installed its own handler, so a Ctrl-C
    ended a guided session; a caller's own handler was bypassed. Now both are left as they were."""
    import signal

    from imuforge.bridge.capture import sigint_deferred

    previous = signal.getsignal(signal.SIGINT)
    heard = []
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with sigint_deferred() as pressed:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        assert pressed == [] and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        signal.signal(signal.SIGINT, lambda signum, frame: heard.append(signum))
        with sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            assert heard == []  # deferred …
        assert heard == [signal.SIGINT]  # … then heard by the caller's handler, no KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with pytest.raises(KeyboardInterrupt):
            with sigint_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)
