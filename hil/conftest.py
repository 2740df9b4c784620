"""HIL acceptance suite options and fixtures.

Run against a board::

    pytest hil --hil-port /dev/ttyACM0 --hil-model models/nano33-ble-sense-rev2
    pytest hil --hil-ble imuforge-emu --hil-model DIR [--hil-hci usb:0]

With no option (or ``--hil-emulate``) the suite starts the emulated wearable on a pty with a tiny
model trained in seconds, so ``make test`` exercises the whole path without hardware.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IMUFORGE_PROGRESS", "0")


def pytest_addoption(parser):
    g = parser.getgroup("imuforge-hil", "imuforge hardware-in-the-loop acceptance suite")
    g.addoption("--hil-port", help="serial device or pyserial URL of the board under test")
    g.addoption("--hil-ble", metavar="NAME_OR_ADDRESS", help="BLE name or address of the board under test")
    g.addoption("--hil-emulate", action="store_true", help="use the emulated wearable (the default)")
    g.addoption("--hil-model", help="export folder of the model flashed on the board (default with the "
                "emulator: a tiny self-test model)")
    g.addoption("--hil-data", help="test data (Dataset folders or .npz; default: the export's reference.npz)")
    g.addoption("--hil-profile", default="nano33-ble-sense-rev2", help="emulator hardware profile")
    g.addoption("--hil-baud", type=int, default=921600, help="serial baud rate")
    g.addoption("--hil-hci", help="BLE through bumble on this HCI transport")
    g.addoption("--hil-odr-tolerance", type=float, default=0.02,
                help="allowed relative error of the measured streaming rate (default 0.02)")
    g.addoption("--hil-seconds", type=float, default=3.0, help="seconds of streaming for the rate check")
    g.addoption("--hil-max-windows", type=int, default=200, help="test windows to run (random subset)")


@dataclass
class Target:
    """The device under test: how to open a link to it, and the model it runs."""

    kind: str  # "emulator", "serial", "ble"
    model: Path
    data: str
    options: object
    emulator: object = None

    def open_link(self):
        o = self.options
        if self.kind == "ble":
            from imuforge.bridge import ble

            return ble.BleLink(o.getoption("--hil-ble"), backend=ble.use_hci_central(o.getoption("--hil-hci")))
        from imuforge.bridge.links import SerialLink

        port = self.emulator.port if self.kind == "emulator" else o.getoption("--hil-port")
        return SerialLink(port, o.getoption("--hil-baud"))


@pytest.fixture(scope="session")
def hil_target(request):
    o = request.config
    port, ble_name = o.getoption("--hil-port"), o.getoption("--hil-ble")
    if port and ble_name:
        pytest.exit("give one of --hil-port, --hil-ble, --hil-emulate", returncode=4)
    model = o.getoption("--hil-model")
    if (port or ble_name) and not model:
        pytest.exit("--hil-model EXPORT_DIR is required with a real board (the model flashed on it)", returncode=4)
    if not model:
        from imuforge.hil.selftest import shared_tiny_export

        model = shared_tiny_export()
    model = Path(model)
    data = o.getoption("--hil-data") or str(model)
    if port or ble_name:
        yield Target("serial" if port else "ble", model, data, o)
        return
    from imuforge.hil.device import start_emulator

    emu = start_emulator(model, profile=o.getoption("--hil-profile"))
    print(f"\nHIL target: emulated {o.getoption('--hil-profile')} on {emu.port}", file=sys.stderr)
    try:
        yield Target("emulator", model, data, o, emu)
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def hil_report(hil_target, tmp_path_factory):
    """One HIL run over every (or --hil-max-windows) test window, shared by the checks."""
    from imuforge.hil.runner import run_hil

    out = tmp_path_factory.mktemp("hil_report")
    link = hil_target.open_link()
    try:
        return run_hil(hil_target.model, hil_target.data, link, out=out, runs=3, warmup=1,
                       max_windows=hil_target.options.getoption("--hil-max-windows"))
    finally:
        link.close()
