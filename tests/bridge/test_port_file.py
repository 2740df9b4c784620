"""--port-file: the emulator says where it listens in a file; capture/hil wait for it."""

from __future__ import annotations

import threading
import time

import pytest

from imuforge.bridge.links import wait_for_port_file, write_port_file
from imuforge.cli import main
from imuforge.errors import ValidationError


def test_wait_returns_the_port_once_the_file_appears(tmp_path):
    f = tmp_path / "dev.port"
    threading.Timer(0.3, write_port_file, args=(f, "socket://127.0.0.1:45678")).start()
    t0 = time.monotonic()
    assert wait_for_port_file(f, timeout_s=5) == "socket://127.0.0.1:45678"
    assert time.monotonic() - t0 >= 0.25
    assert not list(tmp_path.glob(".*.tmp"))  # written by rename: no temp file left


def test_no_file_in_time_is_one_line_naming_the_file(tmp_path, capsys):
    with pytest.raises(ValidationError, match="dev.port"):
        wait_for_port_file(tmp_path / "dev.port", timeout_s=0.2)
    rc = main(["capture", "--port-file", str(tmp_path / "dev.port"), "--wait-s", "0.2", "--seconds", "1",
               "--out", str(tmp_path / "x.imu.parquet")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "emulate --port-file" in err
    assert not (tmp_path / "x.imu.parquet").exists()


def test_a_file_left_by_a_stopped_emulator_is_named_as_stale(tmp_path, capsys):
    f = tmp_path / "dev.port"
    write_port_file(f, "/dev/pts/987654")  # no such terminal
    with pytest.raises(ValidationError, match="left from an emulator that has stopped"):
        wait_for_port_file(f, timeout_s=5)


def test_a_slow_start_is_said_once(tmp_path, capsys):
    f = tmp_path / "dev.port"
    threading.Timer(1.4, write_port_file, args=(f, "socket://127.0.0.1:45679")).start()
    assert wait_for_port_file(f, timeout_s=10) == "socket://127.0.0.1:45679"
    assert capsys.readouterr().err.count("waiting for a port in") == 1


def test_the_emulator_removes_its_port_file_when_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    f = tmp_path / "dev.port"
    proc = subprocess.Popen([sys.executable, "-m", "imuforge", "emulate", "--port-file", str(f)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = wait_for_port_file(f, timeout_s=60)
        assert os.path.exists(port)
        proc.send_signal(signal.SIGTERM)  # what `kill` sends
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not f.exists()


def test_an_emulator_that_cannot_listen_leaves_a_running_ones_port_file(tmp_path, capsys):
    """`emulate --tcp PORT` on a port in use: one line, exit 2 — and the port file of the emulator that
    holds the port (same --port-file) is still there for the next capture."""
    import socket

    from imuforge.cli import main

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        f = tmp_path / "dev.port"
        write_port_file(f, f"socket://127.0.0.1:{port}")  # the running emulator's
        rc = main(["emulate", "--tcp", str(port), "--port-file", str(f)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and "cannot listen on TCP" in err and "allowed:" in err
    assert f.read_text().strip() == f"socket://127.0.0.1:{port}"


def test_a_port_file_that_is_no_port_file_is_one_line(tmp_path, capsys):
    """--port-file naming a raw log, a recording or a device node: a UnicodeDecodeError traceback, or a hang
    past --wait-s on the device (a fresh user's run). Now one line, exit 2."""
    import os

    log = tmp_path / "standing.rawlog"
    log.write_bytes(b"IMFRAW\x00\xff\xfe" + bytes(range(256)))
    master, slave = os.openpty()
    try:
        for given, said in ((log, "holds something else than a port name"),
                            (os.ttyname(slave), "is not a file that names a port; did you mean --port"),
                            (tmp_path, "is not a file that names a port")):
            rc = main(["capture", "--port-file", str(given), "--seconds", "1", "--wait-s", "1",
                       "--out", str(tmp_path / "a.imu.parquet")])
            err = capsys.readouterr().err
            assert rc == 2 and said in err and "Traceback" not in err, err
            assert len(err.strip().splitlines()) == 1, err
    finally:
        os.close(master)
        os.close(slave)
    assert not (tmp_path / "a.imu.parquet").exists() and not (tmp_path / "a.rawlog").exists()
