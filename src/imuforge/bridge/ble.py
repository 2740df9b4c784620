"""BLE: the GATT service, the emulated wearable as a bumble peripheral, a bleak backend on bumble,
and the host's BLE link (stock ``BleakScanner`` / ``BleakClient``).

GATT service (``SERVICE_UUID``), one per device:

* ``SAMPLES_UUID`` – notify: device → host protocol bytes. Each notification carries whole frames
  (COBS-delimited, exactly as on serial) up to ATT MTU − 3 bytes; SAMPLES frames are sized to fit
  one notification, so one notification is one batch of samples.
* ``COMMAND_UUID`` – write (with or without response): host → device protocol bytes.

The host code path is stock bleak: :class:`BleLink` uses ``BleakScanner.find_device_by_filter``,
``BleakClient.connect``, ``start_notify`` and ``write_gatt_char``. On a real machine bleak picks
the platform backend (BlueZ, CoreBluetooth, WinRT). Where there is no Bluetooth (CI), the backend
classes :class:`BumbleScanner` / :class:`BumbleClient` run bleak on bumble's host stack against
emulated controllers (``bumble.link.LocalLink`` in one process, or
``python -m bumble.apps.controllers`` across processes), or a USB HCI dongle.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError

from imuforge.bridge.links import HOST_BLUETOOTH, LinkClosed
from imuforge.errors import ImuforgeError, ValidationError

SERVICE_UUID = "6e1f0001-5a6b-4c8d-9e0f-696d75666f72"
SAMPLES_UUID = "6e1f0002-5a6b-4c8d-9e0f-696d75666f72"
COMMAND_UUID = "6e1f0003-5a6b-4c8d-9e0f-696d75666f72"
ATT_MTU = 247


def split_notifications(data: bytes, size: int) -> list[bytes]:
    """Pack whole frames (``...\\x00``) greedily into chunks of at most ``size`` bytes.

    A frame longer than ``size`` is cut; the receiver's stream decoder joins it again.
    """
    parts = bytes(data).split(b"\x00")
    frames = [p + b"\x00" for p in parts[:-1]]
    if parts[-1]:
        frames.append(parts[-1])
    chunks: list[bytes] = []
    cur = bytearray()
    for f in frames:
        if len(cur) + len(f) <= size:
            cur += f
            continue
        if cur:
            chunks.append(bytes(cur))
            cur = bytearray()
        while len(f) > size:
            chunks.append(bytes(f[:size]))
            f = f[size:]
        cur += f
    if cur:
        chunks.append(bytes(cur))
    return chunks


# ---------------------------------------------------------------------------- bumble plumbing
#: Static random addresses imuforge gives its bumble devices: the host side (central) and the
#: emulated wearable (peripheral). Any controller they run on is imuforge's own (emulated, or a
#: dongle driven by bumble), so fixed addresses are fine and make captures reproducible.
HOST_ADDRESS = "F0:F1:F2:F3:F4:01"
PERIPHERAL_ADDRESS = "F0:F1:F2:F3:F4:F5"
#: How long one write to the wearable's command characteristic may wait for its answer (s)
WRITE_TIMEOUT_S = 5.0


def local_device(link, name: str, address: str):
    """A bumble Device on an emulated controller attached to ``link`` (a ``bumble.link.LocalLink``)."""
    from bumble.controller import Controller
    from bumble.device import Device
    from bumble.hci import Address
    from bumble.host import Host
    from bumble.transport.common import AsyncPipeSink

    controller = Controller(name, link=link)
    return Device(name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller)))


#: D-Bus errors that say BlueZ itself is not there or not ready (not running, no powered adapter), as opposed
#: to the ``org.bluez.Error.*`` failures of one connection (out of range, aborted, refused by the device)
NO_BLUEZ_ERRORS = frozenset({"org.freedesktop.DBus.Error.ServiceUnknown",
                             "org.freedesktop.DBus.Error.NoReply", "org.bluez.Error.NotReady"})


def host_bluetooth_missing(exc: BaseException) -> bool:
    """Whether ``exc``, raised by bleak's platform backend, says the host has no Bluetooth rather than
    anything about the device: bleak's :class:`~bleak.exc.BleakBluetoothNotAvailableError` (no adapter,
    powered off, denied), no system D-Bus socket to reach BlueZ by (``FileNotFoundError``), or a D-Bus error
    of :data:`NO_BLUEZ_ERRORS`."""
    import bleak.exc

    unavailable = getattr(bleak.exc, "BleakBluetoothNotAvailableError", ())  # bleak ≥ 2.0
    if (unavailable and isinstance(exc, unavailable)) or isinstance(exc, FileNotFoundError):
        return True
    return isinstance(exc, bleak.exc.BleakDBusError) and exc.dbus_error in NO_BLUEZ_ERRORS


#: The HCI transport kinds ``--hci`` takes (bumble's ``open_transport`` schemes), as one types them.
HCI_KINDS = ("usb:N", "pyusb:N", "tcp-client:HOST:PORT", "tcp-server:HOST:PORT", "serial:DEVICE[,BAUD]",
             "hci-socket:N", "vhci", "pty:PATH", "udp:…", "ws-client:URL", "ws-server:HOST:PORT",
             "unix:PATH", "file:PATH", "android-emulator", "android-netsim")


def hci_error(spec: str, exc: BaseException) -> ValidationError:
    """The one-line error for an HCI transport that did not open: a bad ``spec`` names the kinds allowed,
    nothing listening names how to start a controller, no USB dongle says so."""
    from bumble.transport.common import TransportSpecError

    why = " ".join(str(exc).split())[:160] or type(exc).__name__
    kinds = ", ".join(HCI_KINDS)
    if isinstance(exc, (TransportSpecError, AssertionError, ValueError, IndexError)):
        return ValidationError(f"--hci {spec!r} is not an HCI transport ({why})", allowed=kinds)
    if isinstance(exc, ConnectionRefusedError):
        return ValidationError(f"--hci {spec}: nothing listens there (connection refused)",
                               allowed="start the HCI controller first, e.g. `python -m "
                               "bumble.apps.controllers tcp-server:127.0.0.1:9001`, or give another --hci")
    what = f"{type(exc).__name__}: {why}"
    if spec.split(":", 1)[0] in ("usb", "pyusb"):
        return ValidationError(f"--hci {spec}: no USB Bluetooth dongle answered ({what})",
                               allowed="plug in a dongle bumble can drive (and allow access to it), or "
                               "another --hci such as tcp-client:HOST:PORT")
    return ValidationError(f"--hci {spec}: cannot open the HCI transport ({what})", allowed=kinds)


async def hci_device(spec: str, name: str, address: str):
    """A bumble Device on an HCI transport (``tcp-client:HOST:PORT``, ``usb:0``, ``serial:…``).

    The one place imuforge opens an HCI transport: whatever keeps it from opening (a bad spec, no dongle,
    nothing listening) is a :class:`~imuforge.errors.ValidationError` from :func:`hci_error`.
    """
    from bumble.device import Device
    from bumble.hci import Address
    from bumble.transport import open_transport

    try:
        transport = await open_transport(spec)
    except Exception as exc:  # bumble, libusb, sockets and pyserial each raise their own kind
        raise hci_error(spec, exc) from None
    dev = Device.with_hci(name, Address(address), transport.source, transport.sink)
    dev._imuforge_transport = transport  # keep it alive with the device
    return dev


# ---------------------------------------------------------------------------- peripheral
class BlePeripheral:
    """The emulated wearable (:class:`~imuforge.bridge.emulator.EmulatedDevice`) as a GATT server."""

    def __init__(self, device, emulated, name: str = "imuforge-emu", *, tick_s: float = 0.002,
                 pack_frames: bool = True, connection_interval_s: float | None = None, per_event: int = 4):
        """``pack_frames``: put several whole frames in one notification. ``connection_interval_s`` /
        ``per_event``: a simple air-time model (at most ``per_event`` notifications per connection
        event), since bumble's link itself has none."""
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        self.device = device
        self.emu = emulated
        self.name = name
        self.tick_s = tick_s if connection_interval_s is None else connection_interval_s
        self.pack_frames = pack_frames
        self.per_event = per_event if connection_interval_s is not None else None
        self._queue: list[bytes] = []
        self.notifications = 0
        self.samples_char = Characteristic(SAMPLES_UUID, Characteristic.Properties.NOTIFY,
                                           Characteristic.READABLE, b"")
        self.command_char = Characteristic(
            COMMAND_UUID, Characteristic.Properties.WRITE | Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
            Characteristic.WRITEABLE, CharacteristicValue(write=self._on_write))
        self.service = Service(SERVICE_UUID, [self.samples_char, self.command_char])
        self._t0 = 0.0

    def _on_write(self, connection, value: bytes) -> None:
        self.emu.receive(bytes(value))

    async def start(self) -> None:
        from bumble.core import UUID, AdvertisingData

        self.device.add_service(self.service)
        await self.device.power_on()
        self.device.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([0x06])),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()[:20]),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, bytes(UUID(SERVICE_UUID).to_bytes())),
        ]))
        await self.device.start_advertising(auto_restart=True)
        self._t0 = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        """Pace the device in real time and notify its output until ``stop`` is set."""
        fault_at = self.emu.faults.disconnect_after_s
        while not stop.is_set():
            self.emu.advance(time.monotonic() - self._t0)
            out = self.emu.take_output()
            conns = list(self.device.connections.values())
            if out and conns:
                mtu = min(c.att_mtu for c in conns)
                if self.pack_frames:
                    self._queue += split_notifications(out, mtu - 3)
                else:  # one frame per notification
                    for f in out.split(b"\x00")[:-1]:
                        self._queue += split_notifications(f + b"\x00", mtu - 3)
            if conns and self._queue:
                n = len(self._queue) if self.per_event is None else min(self.per_event, len(self._queue))
                send, self._queue = self._queue[:n], self._queue[n:]
                for chunk in send:
                    await self.device.notify_subscribers(self.samples_char, chunk)
                    self.notifications += 1
            if fault_at is not None and self.emu.streaming and self.emu.streamed_s >= fault_at and conns:
                fault_at = None
                for c in conns:
                    with contextlib.suppress(Exception):
                        await c.disconnect()
            await asyncio.sleep(self.tick_s)


# ---------------------------------------------------------------------------- bleak backend on bumble
_central: dict[str, Any] = {"device": None, "factory": None, "lock": None}


def use_central(device=None, *, factory: Callable[[], Any] | None = None) -> None:
    """Set the bumble Device (or an async factory for it) the bleak backend uses as its adapter."""
    _central.update(device=device, factory=factory)


def use_hci_central(spec: str | None) -> str | None:
    """``--hci SPEC``: route bleak through bumble on that HCI transport; returns the bleak backend name
    to use (``"bumble"``), or ``None`` (the OS stack) when no transport is given."""
    if not spec:
        return None
    use_central(factory=lambda: hci_device(spec, "imuforge-host", HOST_ADDRESS))
    return "bumble"


async def _get_central():
    if _central["device"] is None:
        if _central["factory"] is None:
            raise BleakError("bumble backend has no adapter: call imuforge.bridge.ble.use_central() "
                             "or pass --hci TRANSPORT")
        _central["device"] = await _central["factory"]()
    dev = _central["device"]
    if not dev.powered_on:
        await dev.power_on()
    return dev


def _uuid_str(u) -> str:
    return str(u.to_hex_str("-") if hasattr(u, "to_hex_str") else u).lower()


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend on bumble's host stack."""

    def __init__(self, detection_callback, service_uuids, scanning_mode="active", **kwargs):
        super().__init__(detection_callback, service_uuids)
        self._dev = None

    def _on_adv(self, adv) -> None:
        from bumble.core import AdvertisingData

        name = adv.data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or adv.data.get(AdvertisingData.SHORTENED_LOCAL_NAME)
        if isinstance(name, (bytes, bytearray)):
            name = name.decode("utf-8", "replace")
        uuids = []
        for t in (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                  AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                  AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS):
            for u in adv.data.get(t) or []:
                uuids.append(_uuid_str(u))
        if not self.is_allowed_uuid(uuids):
            return
        data = AdvertisementData(local_name=name, manufacturer_data={}, service_data={}, service_uuids=uuids,
                                 tx_power=None, rssi=adv.rssi, platform_data=(adv,))
        addr = str(adv.address)
        device = self.create_or_update_device(addr, addr, name, adv.address, data)
        self.call_detection_callbacks(device, data)

    async def start(self) -> None:
        self._dev = await _get_central()
        self.seen_devices = {}
        self._dev.on("advertisement", self._on_adv)
        await self._dev.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        if self._dev is not None:
            self._dev.remove_listener("advertisement", self._on_adv)
            await self._dev.stop_scanning()


_PROPS = ((0x02, "read"), (0x04, "write-without-response"), (0x08, "write"), (0x10, "notify"), (0x20, "indicate"))


class BumbleClient(BaseBleakClient):
    """bleak client backend on bumble's host stack (GATT client over an emulated or USB controller)."""

    def __init__(self, address_or_ble_device, *, disconnected_callback=None, timeout: float = 10.0, **kwargs):
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._conn = None
        self._peer = None

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._conn.att_mtu if self._conn is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    async def connect(self, pair: bool = False, **kwargs) -> None:
        from bumble.device import Peer
        from bumble.hci import Address

        dev = await _get_central()
        self._conn = await asyncio.wait_for(dev.connect(Address(self.address)), self._timeout)
        self._conn.on("disconnection", self._on_disconnection)
        self._peer = Peer(self._conn)
        await self._peer.request_mtu(ATT_MTU)
        services = BleakGATTServiceCollection()
        for sp in await self._peer.discover_services():
            await sp.discover_characteristics()
            svc = BleakGATTService(sp, sp.handle, _uuid_str(sp.uuid))
            services.add_service(svc)
            for cp in sp.characteristics:
                props = [n for bit, n in _PROPS if int(cp.properties) & bit]
                ch = BleakGATTCharacteristic(cp, cp.handle, _uuid_str(cp.uuid), props,
                                             lambda: self.mtu_size - 3, svc)
                services.add_characteristic(ch)
        self.services = services

    def _on_disconnection(self, reason) -> None:
        self._conn = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.disconnect()

    async def pair(self, *args, **kwargs) -> None:
        raise NotImplementedError("pairing is not needed by the imuforge service")

    async def unpair(self) -> None:
        raise NotImplementedError("pairing is not needed by the imuforge service")

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs) -> bytearray:
        return bytearray(await self._peer.read_value(characteristic.obj))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs) -> bytearray:
        return bytearray(await self._peer.read_value(descriptor.handle))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data, response: bool) -> None:
        await self._peer.write_value(characteristic.obj, bytes(data), with_response=response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data) -> None:
        await self._peer.write_value(descriptor.handle, bytes(data), with_response=True)

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs) -> None:
        await self._peer.subscribe(characteristic.obj, lambda value: callback(bytearray(value)))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        await self._peer.unsubscribe(characteristic.obj)


# ---------------------------------------------------------------------------- host link
class BleLink:
    """A byte link over the imuforge GATT service, through stock bleak.

    ``target`` is a device name or address. ``backend``: None for the platform's bleak backend,
    or ``"bumble"`` for :class:`BumbleScanner`/:class:`BumbleClient`. ``loop``: an asyncio loop
    running in another thread to use (the one the in-process emulated controllers live on);
    by default the link runs its own loop thread.
    """

    def __init__(self, target: str, *, backend: str | None = None, loop: asyncio.AbstractEventLoop | None = None,
                 timeout_s: float = 10.0):
        self.target = target
        self.description = f"BLE {target}"
        self._q: queue.Queue[bytes] = queue.Queue()
        self._closed = threading.Event()
        self._own_loop = loop is None
        if loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, daemon=True, name="imuforge-ble").start()
        self.loop = loop
        self._scanner_backend = BumbleScanner if backend == "bumble" else None
        self._client_backend = BumbleClient if backend == "bumble" else None
        self.client: BleakClient | None = None
        self.notifications = 0
        try:
            self._call(self._connect(timeout_s), timeout_s + 5)
        except ImuforgeError:  # the adapter did not open (hci_error): said in one line as it is
            self.close()
            raise
        except (BleakError, asyncio.TimeoutError, TimeoutError, OSError) as exc:
            self.close()
            said = f"{exc or type(exc).__name__}"
            if backend != "bumble" and host_bluetooth_missing(exc):
                said = f"no Bluetooth on this host ({said}): {HOST_BLUETOOTH}"
            raise LinkClosed(f"BLE device {target!r}: {said}") from exc

    def _call(self, coro, timeout: float):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self, timeout_s: float) -> None:
        want = self.target.lower()
        seen: dict[str, str] = {}  # the devices that advertised the service, by address: their name

        def match(d, adv) -> bool:
            seen[d.address] = adv.local_name or d.name or "(no name)"
            return (d.address.lower().split("/")[0] == want.split("/")[0]
                    or (adv.local_name or "").lower() == want or (d.name or "").lower() == want)

        dev = await BleakScanner.find_device_by_filter(match, timeout=timeout_s, service_uuids=[SERVICE_UUID],
                                                       backend=self._scanner_backend)
        if dev is None:
            others = (f"; seen advertising it: {', '.join(f'{n} ({a})' for a, n in sorted(seen.items()))}"
                      if seen else "; no device advertised it")
            raise BleakError(f"no device named or addressed {self.target!r} advertising the imuforge service "
                             f"within {timeout_s:.0f} s{others}")
        self.client = BleakClient(dev, disconnected_callback=lambda c: self._closed.set(),
                                  backend=self._client_backend, timeout=timeout_s)
        await self.client.connect()
        await self.client.start_notify(SAMPLES_UUID, self._on_notify)
        self.description = f"BLE {dev.name or ''} {dev.address} (MTU {self.client.mtu_size})"

    def _on_notify(self, char, data: bytearray) -> None:
        self.notifications += 1
        self._q.put(bytes(data))

    def read(self, timeout: float = 0.05) -> bytes:
        chunks = []
        try:
            chunks.append(self._q.get(timeout=timeout))
            while True:
                chunks.append(self._q.get_nowait())
        except queue.Empty:
            pass
        if not chunks and self._closed.is_set():
            raise LinkClosed(f"{self.description}: disconnected")
        return b"".join(chunks)

    def write(self, data: bytes) -> None:
        if self._closed.is_set() or self.client is None:
            raise LinkClosed(f"{self.description}: disconnected")
        size = max(20, self.client.mtu_size - 3)
        try:
            for i in range(0, len(data), size):
                self._call(self.client.write_gatt_char(COMMAND_UUID, data[i:i + size], response=True),
                           WRITE_TIMEOUT_S)
        except (BleakError, TimeoutError, OSError) as exc:  # a time-out says nothing of itself: said here
            why = str(exc) or (f"a write got no answer within {WRITE_TIMEOUT_S:g} s (the peer is gone, or "
                               "out of range)" if isinstance(exc, TimeoutError) else type(exc).__name__)
            raise LinkClosed(f"{self.description}: {why}") from exc

    def close(self) -> None:
        if self.client is not None and not self._closed.is_set():
            with contextlib.suppress(Exception):
                self._call(self.client.disconnect(), 5.0)
        self._closed.set()
        if self._own_loop:
            self.loop.call_soon_threadsafe(self.loop.stop)


async def scan(timeout_s: float = 5.0, *, backend: str | None = None) -> list[dict]:
    """BLE devices advertising the imuforge service: name, address, RSSI."""
    found = await BleakScanner.discover(timeout=timeout_s, service_uuids=[SERVICE_UUID], return_adv=True,
                                        backend=BumbleScanner if backend == "bumble" else None)
    return [{"name": adv.local_name or d.name or "", "address": d.address, "rssi": adv.rssi}
            for d, adv in found.values()]
