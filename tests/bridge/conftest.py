"""Shared fixtures of the bridge tests: an emulated device served on TCP or a pseudo-terminal in a thread."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from imuforge.bridge.emulator import (
    FORMULA_SCALES,
    ActivitySource,
    EmulatedDevice,
    Faults,
    FormulaSource,
    serve_pty,
    serve_tcp,
)
from imuforge.sensors import load_profile


class TcpDevice:
    def __init__(self, device: EmulatedDevice):
        self.device = device
        self.stop = threading.Event()
        ports: list[int] = []
        self.thread = threading.Thread(target=serve_tcp, args=(device,),
                                       kwargs={"on_ready": ports.append, "stop": self.stop}, daemon=True)
        self.thread.start()
        t = time.monotonic()
        while not ports and time.monotonic() - t < 5:
            time.sleep(0.005)
        self.url = f"socket://127.0.0.1:{ports[0]}"

    def close(self):
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def tcp_device():
    """Factory: tcp_device(faults=Faults(...)) → TcpDevice streaming the formula signal."""
    made = []

    def make(faults: Faults | None = None, **kw) -> TcpDevice:
        dev = EmulatedDevice(FormulaSource(), scales=FORMULA_SCALES, faults=faults, **kw)
        d = TcpDevice(dev)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def formula_si(first_index: int, n: int):
    import numpy as np

    return FormulaSource()(np.arange(first_index, first_index + n), 100.0)


@contextlib.contextmanager
def served_on_pty(device: EmulatedDevice):
    """``device`` served on a pseudo-terminal in a thread for the ``with`` block, which gets its port."""
    stop = threading.Event()
    ports: list[str] = []
    th = threading.Thread(target=serve_pty, args=(device,), kwargs={"on_ready": ports.append, "stop": stop},
                          daemon=True)
    th.start()
    t = time.monotonic()
    while not ports and time.monotonic() - t < 5:
        time.sleep(0.01)
    assert ports, "the emulator opened no pseudo-terminal within 5 s"
    try:
        yield ports[0]
    finally:
        stop.set()
        th.join(10)


@pytest.fixture
def on_pty():
    """:func:`served_on_pty`, for a test that builds its own device."""
    return served_on_pty


@pytest.fixture
def pty_wearable():
    """An emulated nano33 on a pty whose wearer is an ActivitySource (wrist, one simulated person)."""
    source = ActivitySource(load_profile("nano33-ble-sense-rev2"), placement="wrist_left", seed=3)
    device = EmulatedDevice.from_profile(load_profile("nano33-ble-sense-rev2"), source)
    with served_on_pty(device) as port:
        yield source, port
