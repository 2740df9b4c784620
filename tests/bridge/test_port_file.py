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
    threading.Timer(0.3, write_port_file, args=(f, "/dev/pts/42")).start()
    t0 = time.monotonic()
    assert wait_for_port_file(f, timeout_s=5) == "/dev/pts/42"
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
