"""Capture issues: one missing-sample count, exactly the requested window, a silent port, many gaps."""

from __future__ import annotations

import os
import re
import threading
import time
import tty

import numpy as np
import pytest

from imuforge.bridge import protocol as P
from imuforge.bridge.capture import CaptureOptions, capture, recover
from imuforge.bridge.emulator import FORMULA_SCALES, EmulatedDevice, Faults, FormulaSource
from imuforge.bridge.links import SerialLink
from imuforge.cli import build_parser, main
from imuforge.recording import read_recording
from tests.bridge.conftest import TcpDevice, formula_si


class ContinuousDevice(EmulatedDevice):
    """A firmware that ignores START's sample count and streams until STOP (many sketches do)."""

    def _on_start(self, frame: P.Frame) -> None:
        super()._on_start(frame)
        self.limit = 0


def test_seconds_gives_exactly_the_window_even_from_a_device_that_keeps_streaming(tmp_path):
    d = TcpDevice(ContinuousDevice(FormulaSource(), scales=FORMULA_SCALES))
    try:
        res = capture(lambda: SerialLink(d.url), tmp_path / "w.rawlog", CaptureOptions(seconds=2.0, odr_hz=100.0))
    finally:
        d.close()
    rec = res.recording
    assert res.stats.samples > 200  # the device did send more than asked for …
    assert len(rec) == 200 and res.missing_samples == 0  # … the recording is [t0, t0 + 2 s) exactly
    first = rec.provenance["first_sample_index"]
    assert np.array_equal(rec.data, formula_si(first, 200))
    rec2, _ = recover(tmp_path / "w.rawlog")
    assert len(rec2) == 200 and np.array_equal(rec2.data, rec.data)


def test_reconnect_summary_line_and_gaps_give_one_count(tcp_device, tmp_path, capsys):
    d = tcp_device(Faults(disconnect_after_s=1.0))
    out = tmp_path / "r.imu.parquet"
    rc = main(["capture", "--port", d.url, "--seconds", "3", "--odr", "100", "--reconnect", "--quiet",
               "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    m = re.search(r"(\d+) samples, .*; (\d+) missing samples: (\d+) in (\d+) gap", printed)
    assert m, printed
    n, total, missing, n_gaps = map(int, m.groups())
    assert total == missing  # nothing lost after the last sample here (it says so when it is)
    assert printed.count("missing samples") == 1  # no second, disagreeing gap line
    rec = read_recording(out)
    gaps = rec.gaps()
    assert missing > 0 and missing == sum(g[2] for g in gaps) == rec.provenance["stats"]["missing_samples"]
    assert n_gaps == len(gaps) and n == len(rec) and n + missing == 300


def test_a_capture_that_ended_early_says_what_it_did_not_receive(tcp_device, tmp_path, capsys):
    """Disconnected 1 s into a 3 s window without --reconnect: the summary counts the window's samples never
    received (it said "no sample missing" of 100 samples out of 300)."""
    d = tcp_device(Faults(disconnect_after_s=1.0))
    out = tmp_path / "e.imu.parquet"
    assert main(["capture", "--port", d.url, "--seconds", "3", "--odr", "100", "--quiet",
                 "--out", str(out)]) == 3
    printed = capsys.readouterr().out
    m = re.search(r"(\d+) samples, .*; no gap in what arrived; ended early: (\d+) of the window's 300 "
                  r"samples not received", printed)
    assert m, printed
    n, unreceived = map(int, m.groups())
    assert n == len(read_recording(out)) and 0 < n < 300 and n + unreceived == 300


def test_samples_dropped_at_the_end_are_in_the_one_count(tcp_device, tmp_path, capsys):
    """A device that drops samples: the summary's count holds the gaps and those lost after the last sample
    received, as the warning's does (the summary had said 77, the warning 88 of the same capture: a fresh
    user's run, session 63)."""
    d = tcp_device(Faults(drop_rate=0.15, seed=3))
    out = tmp_path / "d.imu.parquet"
    assert main(["capture", "--port", d.url, "--seconds", "4", "--odr", "100", "--quiet",
                 "--out", str(out)]) == 0
    cap = capsys.readouterr()
    m = re.search(r"(\d+) samples, .*; (\d+) missing samples: (\d+) in (\d+) gap", cap.out)
    assert m, cap.out
    n, total, in_gaps, _ = map(int, m.groups())
    assert n + total == 400 and in_gaps == read_recording(out).provenance["stats"]["missing_samples"]
    assert total > in_gaps  # this seed's device drops samples at the end too: the case the count must hold
    warned = re.search(r"of the samples are missing \((\d+) of (\d+)", cap.err + cap.out)
    assert warned and (int(warned.group(1)), int(warned.group(2))) == (total, 400)


def _pty():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, slave


def test_silent_port_exits_2_as_help_says_and_removes_the_empty_log(tmp_path, capsys):
    sub = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "capture")[1]
    assert "2 bad input, no device answering" in sub.epilog
    master, slave = _pty()
    try:
        out = tmp_path / "s.imu.parquet"
        rc = main(["capture", "--port", os.ttyname(slave), "--seconds", "1", "--out", str(out), "--quiet"])
    finally:
        os.close(master)
        os.close(slave)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and "no imuforge device answered" in err[0] and "empty raw log was removed" in err[0]
    assert not out.exists() and not (tmp_path / "s.rawlog").exists()


def test_silent_port_removes_the_out_folders_it_made_and_says_one_line(tmp_path, capsys):
    """Nothing half-written: a capture that received nothing removes the (empty) folders it created for --out,
    never a folder that was there before; no status line, only the one message."""
    mine = tmp_path / "mine"
    mine.mkdir()
    master, slave = _pty()
    try:
        for out in (tmp_path / "new" / "deeper" / "s.imu.parquet", mine / "s.imu.parquet"):
            assert main(["capture", "--port", os.ttyname(slave), "--seconds", "1", "--out", str(out)]) == 2
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and "no imuforge device answered" in err[0], err
    finally:
        os.close(master)
        os.close(slave)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"] and not list(mine.iterdir())


def test_silent_port_in_csv_mode_exits_2_too(tmp_path, capsys):
    """--format csv skips the protocol's handshake; a port that sends nothing is still "no device answered"
    (exit 2, at once), not a whole capture's wait ended by "nothing was received" (exit 1)."""
    master, slave = _pty()
    try:
        out = tmp_path / "c.imu.parquet"
        rc = main(["capture", "--port", os.ttyname(slave), "--format", "csv", "--seconds", "20", "--out", str(out),
                   "--quiet"])
    finally:
        os.close(master)
        os.close(slave)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "no CSV sample lines arrived" in err[0], err
    assert not out.exists() and not (tmp_path / "c.rawlog").exists()


def test_a_minus_unit_after_a_space_is_the_units_value(tmp_path):
    """`--csv-acc-unit -g` (a space, not `=`) is the unit -g, not an unknown option: a Core Motion watch lying
    face up prints z = -1 g and is read as +9.81 m/s^2 (the specific force)."""
    master, slave = _pty()
    stop = threading.Event()

    def lines():
        while not stop.is_set():
            os.write(master, b"0.0,0.0,-1.0,0.0,0.0,0.0\n" * 5)
            time.sleep(0.05)

    th = threading.Thread(target=lines, daemon=True)
    th.start()
    out = tmp_path / "w.imu.parquet"
    try:
        rc = main(["capture", "--port", os.ttyname(slave), "--format", "csv", "--csv-acc-unit", "-g", "--rate", "100",
                   "--seconds", "1", "--out", str(out), "--quiet"])
    finally:
        stop.set()
        th.join(2)
        os.close(master)
        os.close(slave)
    assert rc == 0
    acc = read_recording(out).acc
    assert acc.shape[0] > 20 and np.allclose(acc, [0.0, 0.0, 9.80665])


def test_port_with_unreadable_bytes_keeps_and_names_the_log(tmp_path, capsys):
    master, slave = _pty()
    stop = threading.Event()

    def noise():  # a board at another baud rate: bytes, but neither frames nor text lines
        while not stop.is_set():
            os.write(master, bytes(range(0, 200)))
            time.sleep(0.05)

    th = threading.Thread(target=noise, daemon=True)
    th.start()
    try:
        rc = main(["capture", "--port", os.ttyname(slave), "--seconds", "1", "--out",
                   str(tmp_path / "n.imu.parquet"), "--quiet"])
    finally:
        stop.set()
        th.join(2)
        os.close(master)
        os.close(slave)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    log = tmp_path / "n.rawlog"
    assert f"raw log kept at {log}" in err[0] and log.stat().st_size > 1000


def test_many_missing_samples_warn_with_the_fraction(tcp_device, tmp_path, capsys):
    d = tcp_device(Faults(drop_rate=0.5, seed=2))
    out = tmp_path / "m.imu.parquet"
    rc = main(["capture", "--port", d.url, "--seconds", "3", "--odr", "100", "--quiet", "--out", str(out)])
    assert rc == 0  # the window was delivered (with gaps) …
    printed = capsys.readouterr().out
    rec = read_recording(out)
    frac = 1 - len(rec) / 300  # gaps, and frames lost at the very end, of the 3 s window
    assert 0.3 < frac < 0.7
    m = re.search(r"warning: ([\d.]+) % of the samples are missing \((\d+) of 300: (\d+) in gaps", printed)
    assert m, printed  # … but the user is told how much is missing
    assert float(m.group(1)) == pytest.approx(100 * frac, abs=0.06) and int(m.group(2)) == 300 - len(rec)
    assert int(m.group(3)) == sum(g[2] for g in rec.gaps())


def test_few_missing_samples_do_not_warn(tcp_device, tmp_path):
    d = tcp_device(Faults(drop_rate=0.02, seed=4))
    res = capture(lambda: SerialLink(d.url), tmp_path / "f.rawlog", CaptureOptions(seconds=3.0, odr_hz=100.0))
    assert res.complete and res.missing_fraction < 0.05 and res.warnings == []


def _frames(index0: int, t0_s: float, n: int, seq0: int, batch: int = 20) -> list[bytes]:
    out = []
    for k, a in enumerate(range(0, n, batch)):
        raw = np.full((min(batch, n - a), 3), index0 + a, dtype=np.int16)
        out.append(P.encode_frame(P.Samples(int(round((t0_s + a / 100.0) * 1e6)), index0 + a, 10_000_000, 0x01,
                                            (0.001,), raw), seq0 + k))
    return out


def test_a_device_reset_keeps_every_sample_and_gaps_stay_counted():
    """The counter and clock restart mid-capture (brown-out): both runs are kept, in arrival order."""
    from imuforge.bridge.stream import StreamProcessor

    proc = StreamProcessor()
    for i, f in enumerate(_frames(0, 0.0, 200, 0)):  # 2 s of samples 0..199, arriving in real time
        proc.feed(f, 0.1 + 0.2 * i)
    for i, f in enumerate(_frames(0, 0.0, 100, 50)):  # reset: samples 0..99 again from device time 0
        proc.feed(f, 2.6 + 0.2 * i)
    rec = proc.build()
    assert len(rec) == 300 and np.all(np.diff(rec.timestamps) > 0)
    assert np.array_equal(rec.data[:200, 0], np.repeat(np.arange(0, 200, 20), 20) * float(np.float32(0.001)))
    assert np.array_equal(rec.data[200:, 0], np.repeat(np.arange(0, 100, 20), 20) * float(np.float32(0.001)))
    assert proc.stats.missing_samples == sum(g[2] for g in rec.gaps())


def test_csv_values_in_another_unit_are_refused_at_the_first_lines():
    """An Arduino sketch printing raw int16 counts (16384 per g) read with the default --csv-acc-unit g: the
    Recording refused 1.6e5 m/s² only once the whole capture was over; the first lines say it now, naming
    the unit flag. Counts of a few g in the right unit stream on."""
    from imuforge.bridge.stream import StreamProcessor
    from imuforge.errors import ValidationError

    proc = StreamProcessor("csv", csv_units={"acc": "g", "gyro": "dps"})
    said = (r"CSV acc values up to 16384 read as g are 1.61e\+05 m/s\^2, beyond any body-worn sensor: raw "
            r"counts, or another unit than --csv-acc-unit says\?")
    with pytest.raises(ValidationError, match=said):
        proc.feed(b"12,-40,16384,3,-7,11\n", 0.0)
    turned = StreamProcessor("csv", csv_units={"acc": "-g", "gyro": "dps"})  # Core Motion: the same size
    with pytest.raises(ValidationError, match=said.replace("read as g", "read as -g")):
        turned.feed(b"12,-40,16384,3,-7,11\n", 0.0)
    ok = StreamProcessor("csv", csv_units={"acc": "g", "gyro": "dps"})
    for i in range(50):
        ok.feed(f"0.01,-0.02,{1 + i % 3 * 0.001},3,-7,11\n".encode(), i * 0.01)
    assert ok.build(rate_hz=100.0).data.shape == (50, 6)
    face_up = StreamProcessor("csv", csv_units={"acc": "-g", "gyro": "dps"})  # a watch face up, Core Motion
    for i in range(50):
        face_up.feed(b"0,0,-1,0,0,0\n", i * 0.01)
    assert np.array_equal(face_up.build(rate_hz=100.0).data[:, 2], np.full(50, 9.80665))  # +1 g up


def test_a_csv_line_that_cannot_be_read_is_a_gap_not_a_shift():
    """A sketch at 50 Hz whose every 97th line is NaN and every 131st garbage: each such line keeps its slot
    (a one-sample gap, counted as missing), so the samples after it keep their times and the measured rate
    is the sketch's, not 1.8 % low (the lines used to be dropped and the rest squeezed together)."""
    from imuforge.bridge.stream import StreamProcessor

    proc = StreamProcessor("csv", csv_units={"acc": "g", "gyro": "dps"})
    proc.feed(b"ax,ay,az,gx,gy,gz\n", 0.0)  # a header: not a sample
    bad = []
    for i in range(1000):
        if i % 97 == 50:
            line, _ = b"nan,0,1,0,0,0", bad.append(i)
        elif i % 131 == 70:
            line, _ = b"garbage line", bad.append(i)
        else:
            line = f"{i * 1e-4:.4f},0,1,0,0,0".encode()  # acc_x carries the line's number
        proc.feed(line + b"\n", i / 50.0 + 0.003 * (i % 5))  # delivery jitter of 0–12 ms
    rec = proc.build()
    assert rec.rate_hz == pytest.approx(50.0, rel=2e-3)
    assert len(rec) == 1000 - len(bad) and proc.stats.missing_samples == len(bad)
    assert sum(g[2] for g in rec.gaps()) == len(bad)
    # each sample at its own line's time, however many lines before it could not be read
    line_no = np.round(rec.data[:, 0] / (1e-4 * 9.80665)).astype(int)
    np.testing.assert_allclose(rec.timestamps, line_no / rec.rate_hz, atol=1e-9)
    assert proc.stats.csv_bad_lines == len(bad)


def test_a_broken_line_in_the_first_read_keeps_its_slot_too():
    """USB delivers many lines per read: a garbled line after the first samples of the very first read was
    taken for the header (no slot, later samples shifted)."""
    from imuforge.bridge.stream import StreamProcessor

    proc = StreamProcessor("csv", csv_units={"acc": "g", "gyro": "dps"})
    lines = [f"{i * 1e-4:.4f},0,1,0,0,0" for i in range(200)]
    lines[3] = "x#garbled"
    proc.feed(("ax,ay,az,gx,gy,gz\n" + "\n".join(lines) + "\n").encode(), 0.0)
    proc.feed(b"", 0.0)
    rec = proc.build(rate_hz=50.0)
    assert proc.csv.header == ["ax", "ay", "az", "gx", "gy", "gz"]
    assert len(rec) == 199 and proc.stats.missing_samples == 1
    line_no = np.round(rec.data[:, 0] / (1e-4 * 9.80665)).astype(int)
    np.testing.assert_allclose(rec.timestamps, line_no / 50.0, atol=1e-9)
