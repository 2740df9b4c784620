"""Byte links to a device: serial (any pyserial URL) here, BLE in :mod:`imuforge.bridge.ble`.

A link moves bytes; the protocol codec is the same for every link. ``read`` returns whatever
arrived (possibly nothing) within ``timeout`` and raises :class:`LinkClosed` when the device is
gone (unplugged, connection closed), which the capture turns into a clear message.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Protocol

import serial
import serial.tools.list_ports

from imuforge.errors import ImuforgeError


#: what a ``--port`` may name (said when a port does not open)
PORT_ALLOWED = ("a serial port that `imuforge devices` lists (e.g. /dev/ttyACM0, COM3) or a pyserial URL "
                "(socket://HOST:PORT, loop://, rfc2217://HOST:PORT)")


#: What a BLE link through the host's own Bluetooth needs, said where the host has none (``imuforge devices``,
#: a capture or HIL run over ``--ble`` without ``--hci``)
HOST_BLUETOOTH = ("on Linux bleak needs BlueZ (bluetoothd over D-Bus) and a Bluetooth adapter; or go "
                  "through a USB HCI dongle with --hci usb:0")


class LinkClosed(ImuforgeError):
    """The device went away (unplug, closed socket, BLE disconnect)."""


def write_port_file(path, port: str) -> None:
    """Write where a device listens (``/dev/pts/N``, ``socket://…``) to ``path`` atomically, so a
    reader never sees a half-written name (``imuforge emulate --port-file``)."""
    import os
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(port + "\n")
    os.replace(tmp, path)


def check_file_option(path, option: str, use: str) -> None:
    """Refuse a file the emulator could never use (``--port-file`` it writes, ``--follow`` it reads): a
    folder, or a file in a folder that does not exist. Checked before it listens, so nothing is announced that
    no file will name and no wearer waits forever; a file not there yet in an existing folder is fine. ``use``
    says what the file is for."""
    from pathlib import Path

    from imuforge.errors import ValidationError

    path = Path(path)
    if path.is_dir():
        raise ValidationError(f"{option} {path} is a folder", allowed=f"a file path ({use})")
    if not path.parent.is_dir():
        raise ValidationError(f"{option} {path}: the folder {path.parent} does not exist",
                              allowed="a file in an existing folder")


def port_named_in(path) -> str:
    """The port ``path`` names now (``--port-file``: where a capture reconnects to a device that came back on
    another port); :class:`LinkClosed` while it names none (gone, empty: the device is not back yet)."""
    from pathlib import Path

    try:
        port = Path(path).read_text().strip()
    except OSError:
        port = ""
    if not port:
        raise LinkClosed(f"{path} names no port: the device is not back")
    return port


def wait_for_port_file(path, timeout_s: float = 30.0) -> str:
    """The port named in ``path`` once it exists (``capture`` / ``hil --port-file``): a script can start
    an emulator in the background and go on without guessing how long it takes to listen."""
    from pathlib import Path

    from imuforge.errors import ValidationError

    path = Path(path)
    start = time.monotonic()
    deadline = start + timeout_s
    said = False
    allowed = "a file written by `imuforge emulate --port-file` (or a device path written by your own tool)"
    while True:
        if path.exists():
            port = _port_in(path, allowed)
            if port.startswith("/dev/") and not Path(port).exists():
                raise ValidationError(f"{path} names {port}, which does not exist: the file is left from an "
                                      "emulator that has stopped", allowed=f"start the emulator again (it rewrites "
                                      f"the file), or delete {path}")
            if port:
                return port
        if not said and time.monotonic() - start > 1.0:
            print(f"waiting for a port in {path} (up to {timeout_s:g} s) …", file=sys.stderr, flush=True)
            said = True
        if time.monotonic() > deadline:
            raise ValidationError(f"no port appeared in {path} within {timeout_s:g} s",
                                  allowed=f"{allowed}; raise --wait-s for a slow start")
        time.sleep(0.05)


def _port_in(path, allowed: str) -> str:
    """The port a port file names ('' while it is still being written); one line naming what is wrong for a
    device, a folder or a file of something else (a raw log had read as a traceback, a device node hung)."""
    from imuforge.errors import ValidationError

    if not path.is_file():
        hint = f"; did you mean --port {path}?" if str(path).startswith("/dev/") else ""
        raise ValidationError(f"--port-file {path} is not a file that names a port{hint}", allowed=allowed)
    with path.open("rb") as f:
        head = f.read(1025)
    try:
        port = head.decode("utf-8").strip()
    except UnicodeDecodeError:
        port = None
    if port is None or len(head) > 1024 or "\n" in port or "\x00" in port:
        raise ValidationError(f"--port-file {path} holds something else than a port name (one line)",
                              allowed=allowed)
    return port


class Link(Protocol):
    description: str

    def read(self, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class SerialLink:
    """A serial port: a device path (``/dev/ttyACM0``, ``COM3``) or any pyserial URL
    (``socket://HOST:PORT``, ``loop://``, ``rfc2217://…``)."""

    def __init__(self, port: str, baudrate: int = 921600):
        self.port = port
        self.description = f"serial {port} @ {baudrate}"
        # a device path is opened for this process alone (POSIX: a lock, which Windows ports have anyway): a
        # second capture on a busy port had read half its bytes and broken the first one's frames
        alone = {} if "://" in port else {"exclusive": True}
        try:
            self._s = serial.serial_for_url(port, baudrate=baudrate, timeout=0.05, write_timeout=5.0, **alone)
        except (serial.SerialException, ValueError, OSError) as exc:
            if "exclusively lock" in str(exc):
                raise LinkClosed(f"cannot open {port}: another program has it open (a capture, HIL run or "
                                 "serial monitor still running?)") from exc
            why = _why_not_open(port, exc)
            raise LinkClosed(f"cannot open {port}: {why} (allowed: {PORT_ALLOWED})") from exc

    def read(self, timeout: float = 0.05) -> bytes:
        try:
            self._s.timeout = timeout
            first = self._s.read(1)
            if not first:
                return b""
            n = self._s.in_waiting
            return first + (self._s.read(n) if n else b"")
        except (serial.SerialException, OSError) as exc:
            raise LinkClosed(f"{self.port}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._s.write(data)
            self._s.flush()
        except (serial.SerialException, OSError) as exc:
            raise LinkClosed(f"{self.port}: {exc}") from exc

    def close(self) -> None:
        try:
            self._s.close()
        except Exception:  # closing a dead port may fail; nothing to do about it
            pass


def _why_not_open(port: str, exc: Exception) -> str:
    """pyserial's reason, without the port said twice ("[Errno 2] could not open port P: [Errno 2] No such
    file …") and with a URL's missing port number said as such (pyserial reports a failed comparison)."""
    if re.fullmatch(r"(socket|rfc2217)://[^:/]*/?", port):
        return "the URL names no port number"
    bad_port = re.fullmatch(r"(?:socket|rfc2217)://(?:\[[^\]]*\]|[^:/\[]*):([^/?]*)(?:[/?].*)?", port)
    if bad_port and not bad_port.group(1).isdigit():
        return f"the URL's port {bad_port.group(1)!r} is not a number"
    return re.sub(r"\[Errno \d+\] |(?i:could not open port) \S+: ", "", str(exc)).replace(f": '{port}'", "")


def list_serial_ports() -> list[dict]:
    """Serial ports on this machine: device, description, USB VID:PID."""
    out = []
    for p in serial.tools.list_ports.comports():
        vidpid = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None else ""
        out.append({"device": p.device, "description": p.description or "", "usb": vidpid})
    return out


def emulator_dir():
    """Where running ``imuforge emulate`` processes note their ports (one JSON file each, per user):
    ``$XDG_RUNTIME_DIR/imuforge-emulators``, else the temporary folder's ``imuforge-emulators-UID``."""
    import os
    import tempfile
    from pathlib import Path

    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "imuforge-emulators"
    return Path(tempfile.gettempdir()) / f"imuforge-emulators-{os.getuid() if hasattr(os, 'getuid') else 0}"


def register_emulator(port: str, profile: str):
    """Note that this process emulates ``profile`` on ``port`` (for ``imuforge devices``); returns the note's
    path, for :func:`unregister_emulator`. Best effort: None where the note cannot be written."""
    import json
    import os

    folder = emulator_dir()
    path = folder / f"{os.getpid()}-{abs(hash(port)) % 10**8}.json"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _own_folder(folder):  # another user's folder in a shared temporary folder: not ours to use
            return None
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"port": port, "profile": profile, "pid": os.getpid()}))
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def unregister_emulator(path) -> None:
    if path is not None:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def running_emulators() -> list[dict]:
    """The ports running ``imuforge emulate`` processes listen on (port, profile, pid); a note whose process
    has gone (killed without its cleanup) is removed."""
    import json
    import os

    out = []
    folder = emulator_dir()
    try:
        notes = sorted(folder.glob("*.json")) if _own_folder(folder) else []
    except OSError:
        return out
    for path in notes:
        try:
            doc = json.loads(path.read_text())
            pid, port = int(doc["pid"]), str(doc["port"])
            if os.name != "nt":  # (on Windows signal 0 is CTRL_C_EVENT, not a probe: the notes are listed)
                os.kill(pid, 0)  # alive (raises when it is not)
        except ProcessLookupError:
            unregister_emulator(path)
            continue
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # unreadable, not ours: skip
            continue
        out.append({"device": port, "profile": str(doc.get("profile", "")), "pid": pid})
    return out


def _own_folder(folder) -> bool:
    """Whether ``folder`` (existing) belongs to this user, where the system says who owns what."""
    import os

    try:
        return not hasattr(os, "getuid") or folder.stat().st_uid == os.getuid()
    except OSError:
        return False


def wait_readable(link: Link, seconds: float) -> bytes:
    """Read for up to ``seconds``; returns everything that arrived."""
    deadline = time.monotonic() + seconds
    buf = bytearray()
    while time.monotonic() < deadline:
        buf += link.read(min(0.05, max(0.0, deadline - time.monotonic())))
    return bytes(buf)
