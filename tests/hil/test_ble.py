"""HIL over BLE: the emulated wearable (with its model) as a bumble peripheral, the host through stock bleak."""

from __future__ import annotations

import asyncio
import threading

import pytest

pytest.importorskip("bumble")

from imuforge.bridge import ble  # noqa: E402
from imuforge.hil.device import HilDevice, make_emulated_device  # noqa: E402
from imuforge.hil.runner import run_hil  # noqa: E402


def test_hil_over_ble(tiny_model, tmp_path):
    loop = asyncio.new_event_loop()
    th = threading.Thread(target=loop.run_forever, daemon=True)
    th.start()
    stop = asyncio.Event()
    emu = make_emulated_device("nano33-ble-sense-rev2")
    HilDevice.from_export(tiny_model).attach(emu)

    async def setup():
        from bumble.link import LocalLink

        link = LocalLink()
        per = ble.BlePeripheral(ble.local_device(link, "emu", ble.PERIPHERAL_ADDRESS), emu, "imuforge-hil")
        await per.start()
        ble.use_central(ble.local_device(link, "host", ble.HOST_ADDRESS))
        return asyncio.ensure_future(per.run(stop))

    task = asyncio.run_coroutine_threadsafe(setup(), loop).result(20)
    try:
        link = ble.BleLink("imuforge-hil", backend="bumble", loop=loop)
        try:
            rep = run_hil(tiny_model, tiny_model, link, out=tmp_path / "ble", max_windows=20, timeout_s=3.0)
        finally:
            link.close()
    finally:
        loop.call_soon_threadsafe(stop.set)
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(task, 5), loop).result(10)
        ble.use_central(None)
        loop.call_soon_threadsafe(loop.stop)
        th.join(5)
    assert rep["passed"] and rep["windows_completed"] == 20 and rep["mismatches"] == []
    assert rep["device"]["link"].startswith("BLE")


@pytest.mark.parametrize("spec, message", [
    ("usb:99", "--hci usb:99: no USB Bluetooth dongle answered"),
    ("bogus:xx", "--hci 'bogus:xx' is not an HCI transport (unknown transport scheme) (allowed: usb:N"),
])
def test_hil_through_an_hci_transport_that_does_not_open(tiny_model, tmp_path, capsys, spec, message):
    from imuforge.cli import main

    try:
        assert main(["hil", "--model", str(tiny_model), "--data", str(tiny_model), "--ble", "imuforge-hil",
                     "--hci", spec, "--out", str(tmp_path / "r")]) == 2
    finally:
        ble.use_central(None)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("imuforge hil: error: ") and message in err, err
    assert not (tmp_path / "r").exists()
