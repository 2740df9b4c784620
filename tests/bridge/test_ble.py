"""BLE end to end: emulated wearable as a bumble peripheral, host through stock bleak (bumble backend)."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

pytest.importorskip("bumble")

from imuforge.bridge import ble  # noqa: E402
from imuforge.bridge.capture import CaptureOptions, capture  # noqa: E402
from imuforge.bridge.emulator import FORMULA_SCALES, EmulatedDevice, FormulaSource  # noqa: E402


@pytest.fixture
def ble_env():
    loop = asyncio.new_event_loop()
    th = threading.Thread(target=loop.run_forever, daemon=True)
    th.start()
    stop = asyncio.Event()
    emu = EmulatedDevice(FormulaSource(), scales=FORMULA_SCALES)

    async def setup():
        from bumble.link import LocalLink

        link = LocalLink()
        per = ble.BlePeripheral(ble.local_device(link, "emu", ble.PERIPHERAL_ADDRESS), emu, "imuforge-emu")
        await per.start()
        ble.use_central(ble.local_device(link, "host", ble.HOST_ADDRESS))
        task = asyncio.ensure_future(per.run(stop))
        return per, task

    per, task = asyncio.run_coroutine_threadsafe(setup(), loop).result(20)
    yield loop, per, emu
    loop.call_soon_threadsafe(stop.set)
    asyncio.run_coroutine_threadsafe(asyncio.wait_for(task, 5), loop).result(10)
    ble.use_central(None)
    loop.call_soon_threadsafe(loop.stop)
    th.join(5)


def test_split_notifications_keeps_frames_whole():
    frames = [bytes([i + 1]) * n + b"\x00" for i, n in enumerate((100, 100, 50, 300, 10))]
    chunks = ble.split_notifications(b"".join(frames), 244)
    assert all(len(c) <= 244 for c in chunks)
    assert b"".join(chunks) == b"".join(frames)
    assert chunks[0] == frames[0] + frames[1]  # two whole frames packed together


def test_ble_capture_1khz_6axis_zero_loss(ble_env, tmp_path):
    loop, per, emu = ble_env
    link = ble.BleLink("imuforge-emu", backend="bumble", loop=loop)  # BleakScanner + BleakClient inside
    assert "MTU 247" in link.description
    res = capture(lambda: link, tmp_path / "b.rawlog", CaptureOptions(seconds=2.0, odr_hz=1000, label="walking"))
    rec = res.recording
    assert res.complete and len(rec) == 2000
    first = rec.provenance["first_sample_index"]
    assert np.array_equal(rec.data, FormulaSource()(np.arange(first, first + 2000), 1000.0))
    assert rec.gaps() == [] and res.stats.frames_corrupt == 0 and res.stats.frames_lost == 0
    # batched: 17 samples per notification, not one sample per notification (bleak #642)
    assert per.notifications <= 2000 / 17 + 10


def test_a_name_no_device_advertises_lists_the_devices_that_do(ble_env):
    from imuforge.bridge.links import LinkClosed

    loop, _, _ = ble_env
    with pytest.raises(LinkClosed) as e:
        ble.BleLink("imuforge-other", backend="bumble", loop=loop, timeout_s=2.0)
    assert "no device named or addressed 'imuforge-other'" in str(e.value)
    assert "seen advertising it: imuforge-emu (" in str(e.value)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: --hci transports that cannot open, and what the one line says (usb:99: no machine has a hundredth dongle)
BAD_HCI = [
    ("usb:99", "--hci usb:99: no USB Bluetooth dongle answered"),
    ("bogus:xx", "--hci 'bogus:xx' is not an HCI transport (unknown transport scheme) (allowed: usb:N, "
                 "pyusb:N, tcp-client:HOST:PORT"),
    ("tcp-client:127.0.0.1:PORT", "nothing listens there (connection refused) (allowed: start the HCI "
                                  "controller first, e.g. `python -m bumble.apps.controllers"),
]


def _one_line(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"imuforge {command}: error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("spec, message", BAD_HCI)
def test_capture_through_an_hci_transport_that_does_not_open(tmp_path, capsys, spec, message):
    from imuforge.cli import main

    spec = spec.replace("PORT", str(_closed_port()))
    out = tmp_path / "o" / "c.imu.parquet"
    try:
        assert main(["capture", "--ble", "imuforge-emu", "--hci", spec, "--seconds", "1", "--out", str(out),
                     "--quiet"]) == 2
    finally:
        ble.use_central(None)
    assert message in _one_line(capsys, "capture")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("spec, message", BAD_HCI)
def test_emulate_ble_on_an_hci_transport_that_does_not_open(tmp_path, capsys, spec, message):
    from imuforge.cli import main

    spec = spec.replace("PORT", str(_closed_port()))
    assert main(["emulate", "--ble", "--hci", spec]) == 2
    assert message in _one_line(capsys, "emulate")
