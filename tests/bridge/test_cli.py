"""The bridge CLI: `imuforge emulate --pty` in a subprocess, `imuforge capture`, `--recover`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from imuforge.cli import main
from imuforge.recording import read_recording


def test_emulate_capture_recover_cli(tmp_path, capsys):
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile", "nano33-ble-sense-rev2",
                            "--pty"], stdout=subprocess.PIPE, text=True)
    try:
        line = emu.stdout.readline()
        assert "emulated nano33-ble-sense-rev2 on /dev/" in line
        port = line.split()[-1]
        out = tmp_path / "w.imu.parquet"
        rc = main(["capture", "--port", port, "--seconds", "1.5", "--label", "standing", "--out", str(out),
                   "--placement", "wrist_left"])
        assert rc == 0
    finally:
        emu.kill()
        emu.wait(5)
    cap = capsys.readouterr()
    assert "samples" in cap.err and "kB/s" in cap.err  # the live status line
    rec = read_recording(out)
    assert rec.profile == "nano33-ble-sense-rev2" and rec.labels[0].label == "standing"
    assert rec.acc is not None and 9.0 < rec.acc[:, 2].mean() < 10.6  # lying still, z up
    assert rec.provenance["device_id"] == "emu-nano33-ble-sense-rev2"
    rc = main(["capture", "--recover", str(tmp_path / "w.rawlog"), "--out", str(tmp_path / "r.imu.parquet")])
    assert rc == 0
    rec2 = read_recording(tmp_path / "r.imu.parquet")
    assert (rec2.data == rec.data).all() and (rec2.timestamps == rec.timestamps).all()


def test_capture_overwrite_keeps_every_earlier_raw_log(tmp_path, capsys):
    """docs/BRIDGE.md: --overwrite never deletes an earlier raw log — nor one kept aside before it."""
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile",
                            "nano33-ble-sense-rev2", "--pty"], stdout=subprocess.PIPE, text=True)
    out = tmp_path / "w.imu.parquet"
    logs = []
    try:
        port = emu.stdout.readline().split()[-1]
        for _ in range(3):
            assert main(["capture", "--port", port, "--seconds", "0.5", "--label", "standing",
                         "--out", str(out), "--overwrite", "--reconnect"]) == 0
            logs.append((tmp_path / "w.rawlog").read_bytes())
    finally:
        emu.kill()
        emu.wait(5)
    assert "kept the previous raw log as" in capsys.readouterr().out
    assert (tmp_path / "w.rawlog.prev").read_bytes() == logs[0]
    assert (tmp_path / "w.rawlog.prev2").read_bytes() == logs[1]
    assert (tmp_path / "w.rawlog").read_bytes() == logs[2]


def test_capture_cli_reports_bad_label(capsys):
    rc = main(["capture", "--port", "loop://", "--seconds", "1", "--label", "Not A Label", "--out", "/tmp/x.imu.parquet"])
    assert rc == 2
    assert "label" in capsys.readouterr().err


def test_interrupted_capture_keeps_what_arrived(tmp_path):
    """Ctrl-C during a capture: the recording of what arrived is written, and the raw log is named."""
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile", "nano33-ble-sense-rev2",
                            "--pty"], stdout=subprocess.PIPE, text=True)
    try:
        port = emu.stdout.readline().split()[-1]
        out = tmp_path / "cut.csv"
        # as at a terminal: a test run started in the background (`make test &`) inherits SIGINT ignored
        cap = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "capture", "--port", port, "--seconds", "60",
                                "--out", str(out), "--quiet"], stdout=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        log = tmp_path / "cut.rawlog"
        deadline = time.monotonic() + 90  # a cold start (fresh clone: no bytecode yet) can take tens of seconds
        while not (log.exists() and log.stat().st_size > 4000):  # samples reached the raw log: the capture runs
            assert time.monotonic() < deadline and cap.poll() is None, "the capture never started streaming"
            time.sleep(0.05)
        cap.send_signal(signal.SIGINT)
        stdout, _ = cap.communicate(timeout=30)
        # a capture killed outright leaves the device streaming: the next plain capture stops it first
        killed = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "capture", "--port", port,
                                   "--seconds", "60", "--out", str(tmp_path / "killed.csv"), "--quiet"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        klog = tmp_path / "killed.rawlog"
        while not (klog.exists() and klog.stat().st_size > 4000):
            assert time.monotonic() < deadline + 60 and killed.poll() is None, \
                "the second capture never streamed"
            time.sleep(0.05)
        killed.kill()
        killed.wait(10)
        assert main(["capture", "--port", port, "--seconds", "0.5", "--out", str(tmp_path / "next.csv"),
                     "--quiet"]) == 0
    finally:
        emu.kill()
        emu.wait(5)
    assert cap.returncode == 3, stdout  # 3 = capture ended early (documented in `capture --help`)
    assert "interrupted after" in stdout and "cut.rawlog" in stdout
    rec = read_recording(out)  # .csv out → a CSV recording, readable back
    assert len(rec) > 0 and out.read_text().startswith("# {")


def test_capture_refuses_a_unit_of_the_wrong_quantity(capsys):
    rc = main(["capture", "--port", "loop://", "--seconds", "1", "--csv-acc-unit", "dps", "--out",
               "/tmp/imuforge-x.imu.parquet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "'dps' is for gyro, not acc" in err and "allowed: m/s^2" in err


def test_sigterm_stops_a_capture_like_ctrl_c(tmp_path):
    """`kill PID` (SIGTERM: a service manager, a CI time-out) during a capture: it stops, the recording of
    what arrived is written, the output says so, exit 3 — as for Ctrl-C."""
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile",
                            "nano33-ble-sense-rev2", "--pty"], stdout=subprocess.PIPE, text=True)
    try:
        port = emu.stdout.readline().split()[-1]
        out = tmp_path / "term.imu.parquet"
        cap = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "capture", "--port", port, "--seconds",
                                "60", "--out", str(out), "--quiet"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        log = tmp_path / "term.rawlog"
        deadline = time.monotonic() + 90  # a cold start can take tens of seconds
        while not (log.exists() and log.stat().st_size > 4000):  # samples in the raw log: the capture runs
            assert time.monotonic() < deadline and cap.poll() is None, "the capture never started streaming"
            time.sleep(0.05)
        cap.send_signal(signal.SIGTERM)
        stdout, stderr = cap.communicate(timeout=30)
    finally:
        emu.kill()
        emu.wait(5)
    assert cap.returncode == 3, stdout + stderr
    assert "terminated (SIGTERM) after" in stdout and "term.rawlog" in stdout and f"wrote {out}" in stdout
    assert "kept them and what arrived while stopping" in stdout  # the later total is larger
    assert "Traceback" not in stderr
    rec = read_recording(out)
    assert len(rec) > 0
    from imuforge.bridge.capture import recover

    again, _ = recover(log)  # the recording holds everything the raw log received
    assert len(again) == len(rec) and (again.data == rec.data).all()


def _profile_device(name: str = "nano33-ble-sense-rev2"):
    from imuforge.bridge.emulator import EmulatedDevice
    from imuforge.sensors import load_profile
    from tests.bridge.conftest import TcpDevice

    return TcpDevice(EmulatedDevice.from_profile(load_profile(name)))


def test_an_emulated_board_offers_exactly_the_odrs_emulate_odr_accepts(capsys):
    """One fact: the ODRs the emulated nano33 advertises are those `emulate --odr` (load_profile) takes."""
    from imuforge.sensors import load_profile

    profile = load_profile("nano33-ble-sense-rev2")
    d = _profile_device()
    try:
        offered = d.device.info.odrs_hz
    finally:
        d.close()
    assert offered == profile.settable_odrs() == (25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
    for odr in offered:
        assert load_profile("nano33-ble-sense-rev2", odr_hz=odr).odr_hz == odr
    for odr in (12.5, 500.0, 1000.0):  # BMI270 gyro: no 12.5 Hz; neither sensor: 500, 1000 Hz
        assert odr not in offered
        assert main(["emulate", "--odr", f"{odr:g}", "--tcp", "0"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "(allowed: 25, 50, 100, 200, 400, 800, 1600 Hz)" in err, err


def test_capture_odr_refusal_names_the_whole_board(tmp_path, capsys):
    d = _profile_device()
    try:
        assert main(["capture", "--port", d.url, "--odr", "123", "--seconds", "1", "--quiet",
                     "--out", str(tmp_path / "c.imu.parquet")]) == 2
    finally:
        d.close()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert ("ODR 123 Hz not supported by emulated nano33-ble-sense-rev2 (allowed: 25, 50, 100, 200, 400, "
            "800, 1600 Hz)") in err


def test_capture_refused_odr_leaves_nothing_behind(pty_wearable, tmp_path, capsys):
    """Bad input writes nothing: an ODR the wearable refuses before any sample arrived leaves no raw log,
    no folder made for --out, and --overwrite puts the earlier raw log back where it was."""
    _, port = pty_wearable
    earlier = tmp_path / "w.rawlog"
    earlier.write_bytes(b"an earlier capture")
    refusal = ("imuforge capture: error: ODR 33 Hz not supported by emulated nano33-ble-sense-rev2 "
               "(allowed: 25, 50, 100, 200, 400, 800, 1600 Hz)")
    outs = {tmp_path / "new" / "c.imu.parquet": [], tmp_path / "w.imu.parquet": ["--overwrite"]}
    for out, extra in outs.items():
        rc = main(["capture", "--port", port, "--odr", "33", "--seconds", "1", "--quiet", "--out", str(out),
                   *extra])
        cap = capsys.readouterr()
        assert rc == 2 and cap.err.strip() == refusal and cap.out == "", cap
        assert [p.name for p in tmp_path.iterdir()] == ["w.rawlog"]
    assert earlier.read_bytes() == b"an earlier capture"


def test_recover_onto_an_existing_recording_says_pass_overwrite(tmp_path, capsys):
    from imuforge.bridge.rawlog import RawLogWriter

    RawLogWriter(tmp_path / "w.rawlog", {"format": "imuforge-rawlog", "stream": "frames"}).close()
    out = tmp_path / "w.imu.parquet"
    out.write_bytes(b"an earlier recording")
    assert main(["capture", "--recover", str(tmp_path / "w.rawlog")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"imuforge capture: error: {out} exists; pass --overwrite to replace it"
    assert out.read_bytes() == b"an earlier recording"


def test_a_port_that_does_not_open_is_one_line_with_what_is_allowed(tmp_path, capsys):
    """A wrong --port: one line that says the reason once (pyserial repeats the port and errno) and what a
    port may be; nothing is written."""
    for port, why in [(str(tmp_path / "ttyNOPE"), "No such file or directory"),
                      ("socket://localhost", "the URL names no port number")]:
        rc = main(["capture", "--port", port, "--seconds", "1", "--out", str(tmp_path / "c.imu.parquet")])
        err = capsys.readouterr().err
        assert rc == 2 and len(err.splitlines()) == 1, err
        assert f"cannot open {port}: {why}" in err and "Errno" not in err and err.count(port) == 1
        assert "(allowed: a serial port that `imuforge devices` lists" in err
    assert list(tmp_path.iterdir()) == []


def test_capture_with_no_channel_group_is_refused_before_the_port_opens(tmp_path, capsys):
    """--channels "," was sent to the device as an empty mask: refused there, in the device's words,
    after the raw log was started (``--channels ""`` is refused as any empty value, tests/test_cli.py)."""
    for channels in (",", " , "):
        rc = main(["capture", "--port", "loop://", "--channels", channels, "--seconds", "1",
                   "--out", str(tmp_path / "c.imu.parquet")])
        err = capsys.readouterr().err
        assert rc == 2 and len(err.splitlines()) == 1, err
        assert "--channels names no channel group (allowed: acc, gyro, mag" in err
    assert list(tmp_path.iterdir()) == []


def _emulate(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--tcp", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_emulate_follow_in_a_folder_that_does_not_exist_is_refused_at_once(tmp_path):
    """`emulate --follow DIR/FILE` with no DIR waited silently for ever (the file could never appear): one
    line naming the folder, exit 2, before it listens. A folder is refused too; a file not there yet in a
    folder that exists is still waited for (the emulator serves)."""
    missing = tmp_path / "no-such-folder" / "cue.txt"
    for follow, said in ((missing, f"the folder {missing.parent} does not exist"), (tmp_path, "is a folder")):
        emu = _emulate("--follow", str(follow))
        try:
            out, err = emu.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            emu.kill()
            emu.communicate()
            raise AssertionError(f"emulate --follow {follow} did not stop") from None
        assert emu.returncode == 2 and out == "", out
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert f"imuforge emulate: error: --follow {follow}" in err and said in err, err
    emu = _emulate("--follow", str(tmp_path / "cue.txt"))
    try:
        assert "emulated nano33-ble-sense-rev2 on socket://127.0.0.1:" in emu.stdout.readline()
    finally:
        emu.kill()
        emu.wait(5)


def test_a_host_without_bluetooth_is_said_so_naming_what_ble_needs(tmp_path, capsys):
    """``capture --ble`` without ``--hci``: where the host's Bluetooth is missing (no D-Bus / BlueZ, no
    adapter: this CI machine) the one line says so and what a BLE link needs; any other failure as it is."""
    import pathlib

    from imuforge.bridge.ble import host_bluetooth_missing

    from bleak.exc import BleakBluetoothNotAvailableError as NotAvailable
    from bleak.exc import BleakBluetoothNotAvailableReason as Reason
    from bleak.exc import BleakDBusError, BleakError

    assert host_bluetooth_missing(FileNotFoundError(2, "No such file or directory"))  # no system D-Bus socket
    assert host_bluetooth_missing(NotAvailable("No Bluetooth adapters found.", Reason.NO_BLUETOOTH))
    assert host_bluetooth_missing(BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []))  # no bluez
    # a connection's own failures, and a device that is simply not there, are not the host's
    aborted = BleakDBusError("org.bluez.Error.Failed", ["le-connection-abort-by-local"])
    assert not host_bluetooth_missing(aborted)
    assert not host_bluetooth_missing(ConnectionResetError(104, "Connection reset by peer"))
    assert not host_bluetooth_missing(BrokenPipeError(32, "Broken pipe"))
    assert not host_bluetooth_missing(BleakError("no device named or addressed 'dbus-adapter' advertising "
                                                 "the imuforge service"))
    out = tmp_path / "x.imu.parquet"
    rc = main(["capture", "--ble", "NoSuchDevice", "--seconds", "1", "--label", "walking", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "BLE device 'NoSuchDevice'" in err, err
    if not pathlib.Path("/run/dbus/system_bus_socket").exists():  # no system bus: bleak cannot reach BlueZ
        assert "no Bluetooth on this host" in err and "--hci usb:0" in err, err
    assert not out.exists()


def test_devices_lists_the_ports_running_emulators_listen_on(tmp_path, capsys, monkeypatch):
    """pyserial's listing does not see a pseudo-terminal: `imuforge devices` lists the running emulators'
    ports from their notes, and forgets one whose emulator ended (cleanly, or killed without its cleanup)."""
    import json
    import os

    from imuforge.bridge.links import emulator_dir, running_emulators

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    port_file = tmp_path / "emu.port"
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--port-file", str(port_file)],
                           env={**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t = time.monotonic()
        while not port_file.exists() and time.monotonic() - t < 30:
            time.sleep(0.05)
        port = port_file.read_text().strip()
        assert main(["devices", "--ble-timeout", "0"]) == 0
        out = capsys.readouterr().out
        assert port in out and f"imuforge emulate nano33-ble-sense-rev2 (pid {emu.pid})" in out
    finally:
        emu.send_signal(signal.SIGTERM)
        emu.wait(20)
    assert running_emulators() == [] and not list(emulator_dir().glob("*.json"))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = {"port": "/dev/pts/99", "profile": "x", "pid": dead.pid}
    (emulator_dir() / "stale.json").write_text(json.dumps(stale))
    assert running_emulators() == [] and not (emulator_dir() / "stale.json").exists()


def test_csv_options_with_a_device_that_sends_frames_are_said(tmp_path, capsys):
    """--rate and --csv-*-unit are for a device printing CSV lines: with --format frames they are refused
    before any link opens; with auto-detection that finds frames, the capture says they were not used (they
    were ignored without a word)."""
    rc = main(["capture", "--port", "loop://", "--format", "frames", "--rate", "50", "--seconds", "1",
               "--out", str(tmp_path / "x.imu.parquet")])
    err = capsys.readouterr().err
    assert rc == 2 and "--rate with --format frames: imuforge frames carry their own rate and units" in err
    d = _profile_device()
    try:
        assert main(["capture", "--port", d.url, "--rate", "50", "--csv-acc-unit", "m/s^2",
                     "--seconds", "0.5", "--quiet", "--out", str(tmp_path / "c.imu.parquet")]) == 0
    finally:
        d.close()
    assert ("note: --rate, --csv-acc-unit not used: the device sent imuforge frames, which carry their own "
            "rate and units") in capsys.readouterr().out


def test_sigterm_at_a_prompt_is_the_command_lines_terminated(monkeypatch):
    """SIGTERM at a guided capture's prompt raised the capture's own Terminated, which the command line did
    not know: it said "interrupted" and exited 130. The capture's is the command line's now (exit 143)."""
    from imuforge.bridge import capture
    from imuforge.errors import Terminated

    assert capture.Terminated is Terminated
    monkeypatch.setattr(Terminated, "received", False)  # both put back after the test (a capture reads them)
    monkeypatch.setattr(capture.SIGTERM, "received", False)
    with pytest.raises(Terminated):
        capture.SIGTERM(signal.SIGTERM, None)  # no capture polling: a prompt waiting for Enter ends
    assert Terminated.received and capture.SIGTERM.received


def test_the_status_line_in_a_log_starts_again_with_each_capture(capsys, monkeypatch):
    """In a log (not a terminal) the status is a line every 5 s; a guided session's second activity, whose
    clock starts again at 0, printed none (a fresh user's run, session 61)."""
    from imuforge.commands import bridge

    monkeypatch.setattr(bridge, "_last_plain_status", [0.0])
    line = {"samples": 1, "rate_hz": 100.0, "dropped": 0, "corrupt": 0, "bytes_per_s": 1000.0}
    for t in (5.0, 7.0, 10.0, 5.0, 10.0):  # the first capture to 10 s, then the next from its own start
        bridge._status_line(line | {"t": t})
    lines = [x for x in capsys.readouterr().err.splitlines() if "samples" in x]
    assert [float(x.split()[0]) for x in lines] == [5.0, 10.0, 5.0, 10.0]


def test_a_pty_emulator_unplugged_comes_back_and_capture_reconnects_through_its_port_file(tmp_path, capsys):
    """`emulate --pty --disconnect-after S` is a cable pulled and plugged in again: the terminal closes, the
    device comes back on a new one (written to --port-file), and `capture --port-file … --reconnect` finds it
    there: one window, the time off-line a gap inside it (it used to stop the emulator for good)."""
    pf = tmp_path / "dc.port"
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile",
                            "nano33-ble-sense-rev2", "--pty", "--disconnect-after", "1",
                            "--port-file", str(pf)], stdout=subprocess.PIPE, text=True)
    try:
        assert "on /dev/" in emu.stdout.readline()  # its first terminal
        out = tmp_path / "r.imu.parquet"
        rc = main(["capture", "--port-file", str(pf), "--seconds", "3", "--odr", "100", "--reconnect",
                   "--quiet", "--out", str(out)])
        printed = capsys.readouterr().out
        assert rc == 0, printed
        assert "disconnect fault: closed the port; back on a new terminal" in emu.stdout.readline()
        again = emu.stdout.readline().split()[-1]  # (the system may give it the first one's number again)
        assert again.startswith("/dev/") and pf.read_text().strip() == again
    finally:
        emu.terminate()
        emu.wait(10)
    rec = read_recording(out)
    gaps = rec.gaps()
    assert len(gaps) >= 1 and len(rec) + sum(g[2] for g in gaps) == 300
    assert not pf.exists()  # the emulator took its (last) port file with it


def test_a_second_ctrl_c_while_writing_keeps_the_recording(tmp_path, monkeypatch, capsys):
    """Ctrl-C stops the capture, an impatient second one arrives while the recording is written: it had cut
    the write short (no recording, no word of the raw log: a fresh user's run). The write now finishes."""
    import os
    import threading

    import imuforge.recording as R

    real_write = R.write_recording

    def write_pressed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C, in the middle of the write
        time.sleep(0.05)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(R, "write_recording", write_pressed)
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile", "nano33-ble-sense-rev2",
                            "--pty"], stdout=subprocess.PIPE, text=True)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
    try:
        port = emu.stdout.readline().split()[-1]
        log = tmp_path / "cut.rawlog"

        def first_ctrl_c():  # once samples reach the raw log
            deadline = time.monotonic() + 60
            while not (log.exists() and log.stat().st_size > 4000) and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=first_ctrl_c, daemon=True).start()
        rc = main(["capture", "--port", port, "--seconds", "60", "--out", str(tmp_path / "cut.imu.parquet"),
                   "--quiet"])
    finally:
        signal.signal(signal.SIGINT, previous)
        emu.kill()
        emu.wait(5)
    printed = capsys.readouterr().out
    assert rc == 3, printed
    assert "interrupted after" in printed and "wrote " in printed
    assert len(read_recording(tmp_path / "cut.imu.parquet")) > 0


def test_a_busy_port_is_refused_and_the_capture_holding_it_untouched(tmp_path, capsys):
    """A second capture on a port a first one holds: it had read part of the stream (the first capture lost
    11 frames, the second failed). Now the port is opened for one process: the second is one line, exit 2."""
    import os
    import tty

    from imuforge.bridge.links import SerialLink

    master, slave = os.openpty()
    tty.setraw(slave)
    first = SerialLink(os.ttyname(slave))
    try:
        rc = main(["capture", "--port", os.ttyname(slave), "--seconds", "1", "--out",
                   str(tmp_path / "b.imu.parquet")])
        err = capsys.readouterr().err
        assert rc == 2 and "another program has it open" in err and len(err.strip().splitlines()) == 1, err
        os.write(master, b"still mine")
        assert first.read(1.0).startswith(b"still")  # the first holder reads on
    finally:
        first.close()
        os.close(master)
        os.close(slave)
    assert not list(tmp_path.iterdir())


def test_a_full_disk_mid_capture_names_the_raw_log_to_recover(tmp_path, monkeypatch, capsys):
    """The disk fills while a capture writes its raw log: '[Errno 28] No space left on device' was all it
    said (a fresh user's run). Now one line naming the raw log that holds what arrived, and how to rebuild it."""
    import errno

    from imuforge.bridge import rawlog

    real_write, calls = rawlog.RawLogWriter.write, []

    def write_until_full(self, kind, data, t=None):
        calls.append(kind)
        if len(calls) > 40:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        return real_write(self, kind, data, t)

    monkeypatch.setattr(rawlog.RawLogWriter, "write", write_until_full)
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile", "nano33-ble-sense-rev2",
                            "--pty"], stdout=subprocess.PIPE, text=True)
    try:
        port = emu.stdout.readline().split()[-1]
        rc = main(["capture", "--port", port, "--seconds", "30", "--out", str(tmp_path / "a.imu.parquet"),
                   "--quiet"])
    finally:
        emu.kill()
        emu.wait(5)
    err = capsys.readouterr().err
    log = tmp_path / "a.rawlog"
    assert rc == 2 and "No space left on device" in err and f"--recover {log}" in err, err
    assert len(err.strip().splitlines()) == 1 and log.exists() and not (tmp_path / "a.imu.parquet").exists()


def test_the_rate_a_device_kept_from_an_earlier_capture_is_said(tmp_path, capsys):
    """Without --odr a device streams at the rate it was last set to: a capture after one at 400 Hz recorded
    at 400 Hz without a word (a fresh user's run). Now a warning names it and its profile's rate."""
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile", "nano33-ble-sense-rev2",
                            "--pty"], stdout=subprocess.PIPE, text=True)
    try:
        port = emu.stdout.readline().split()[-1]
        outs = []
        for name, odr in (("a", ["--odr", "400"]), ("b", []), ("c", ["--odr", "100"]), ("d", [])):
            assert main(["capture", "--port", port, "--seconds", "0.5", "--quiet", *odr,
                         "--out", str(tmp_path / f"{name}.imu.parquet")]) == 0
            outs.append(capsys.readouterr().out)
    finally:
        emu.kill()
        emu.wait(5)
    said = ("the device streamed at 400 Hz, its current rate (a rate an earlier capture set stays; its profile "
            "nano33-ble-sense-rev2 runs at")
    assert said in outs[1] and "pass --odr" in outs[1]
    assert read_recording(tmp_path / "b.imu.parquet").rate_hz == pytest.approx(400, rel=0.01)
    assert not any("its current rate" in o for o in (outs[0], outs[2], outs[3]))


def test_recover_refuses_device_settings_it_cannot_use(tmp_path, capsys):
    """--odr 50 with --recover was ignored without a word (a fresh user's run)."""
    from imuforge.bridge.rawlog import RawLogWriter

    RawLogWriter(tmp_path / "w.rawlog", {"format": "imuforge-rawlog", "stream": "frames"}).close()
    for extra in (["--odr", "50"], ["--range-g", "4", "--channels", "acc"]):
        assert main(["capture", "--recover", str(tmp_path / "w.rawlog"), *extra]) == 2
        err = capsys.readouterr().err
        assert "with --recover: the raw log holds the rate, ranges and channels" in err and extra[0] in err
        assert len(err.strip().splitlines()) == 1
    for extra in (["--reconnect"], ["--stall-s", "2"]):  # they act on a live link
        assert main(["capture", "--recover", str(tmp_path / "w.rawlog"), *extra]) == 2
        err = capsys.readouterr().err
        assert f"{extra[0]} with --recover: a raw log is read, no device is listened to" in err
        assert len(err.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["w.rawlog"]


def test_a_hung_emulator_ends_a_long_capture_at_the_stall_and_the_capture_says_why(tmp_path, capsys):
    """`emulate --hang-after S` goes silent with its terminal open; `capture --seconds 60` had waited out the
    minute (and its grace) before saying the device stopped delivering. It ends at the stall (--stall-s),
    exit 3, the samples that arrived written and the reason said."""
    emu = subprocess.Popen([sys.executable, "-m", "imuforge.cli", "emulate", "--profile",
                            "nano33-ble-sense-rev2", "--pty", "--hang-after", "1"], stdout=subprocess.PIPE,
                            text=True)
    try:
        port = emu.stdout.readline().split()[-1]
        out = tmp_path / "h.imu.parquet"
        t0 = time.monotonic()
        rc = main(["capture", "--port", port, "--seconds", "60", "--odr", "100", "--stall-s", "1", "--quiet",
                   "--out", str(out)])
        took = time.monotonic() - t0
    finally:
        emu.terminate()
        emu.wait(10)
    printed = capsys.readouterr()
    assert rc == 3 and took < 20, (took, printed)
    assert "nothing received for" in printed.out + printed.err and "(the device hung, reset or went out of " \
        "range)" in printed.out + printed.err
    assert 60 <= len(read_recording(out)) <= 130
