"""The imuforge bridge wire protocol (version 1): frames, message types, payload codecs.

Normative spec: ``firmware_bridge/PROTOCOL.md``. Summary::

    wire frame  = COBS(body) 0x00
    body        = version:u8  type:u8  seq:u16  payload  crc32:u32      (little-endian)
    crc32       = CRC-32/ISO-HDLC (zlib) over version..payload

Every sender numbers its frames with its own ``seq`` (u16, wraps), so the receiver counts lost
frames from gaps. Message types are one byte; ranges are reserved per area (see
:data:`TYPE_RANGES`); the HIL messages live in 0x40–0x5F. New messages plug in with
:func:`register_message`; the decoder, the emulator's dispatcher and the capture all look
message classes up in one registry.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

import numpy as np

from imuforge.bridge import cobs

PROTOCOL_VERSION = 1
#: the firmware (and default board) name imuforge's emulated wearable (``imuforge emulate``) gives in its INFO
#: reply: what tells its captures from a real device's
EMULATOR_FIRMWARE = "imuforge-emulator"
HEADER = struct.Struct("<BBH")
CRC = struct.Struct("<I")
FRAME_OVERHEAD = HEADER.size + CRC.size  # bytes of header + CRC around the payload
MAX_BODY = 1024  # largest body (header + payload + CRC) a receiver must accept, bytes
BLE_DEFAULT_ATT_MTU = 247  # ATT MTU negotiated by the reference firmware and the emulator


class MsgType(IntEnum):
    """Message types. 0x01–0x3F core, 0x40–0x5F HIL (issue 7), 0x60–0x7F reserved, 0x80–0xFF vendor."""

    GET_INFO = 0x01
    INFO = 0x02
    CONFIGURE = 0x03
    START = 0x04
    STOP = 0x05
    ACK = 0x06
    ERROR = 0x07
    GET_STATUS = 0x08
    STATUS = 0x09
    SAMPLES = 0x10


#: Reserved type ranges: name → (first, last), inclusive.
TYPE_RANGES: dict[str, tuple[int, int]] = {
    "core": (0x01, 0x3F),
    "hil": (0x40, 0x5F),
    "reserved": (0x60, 0x7F),
    "vendor": (0x80, 0xFF),
}


class ErrorCode(IntEnum):
    """Codes of :class:`Error` messages."""

    UNKNOWN_TYPE = 1
    BAD_PAYLOAD = 2
    UNSUPPORTED = 3  # e.g. an ODR or range the device cannot do
    BUSY = 4  # command not allowed while streaming
    OVERFLOW = 5  # device sample buffer overflowed (samples lost on the device)
    BAD_VERSION = 6
    INTERNAL = 7


class ProtocolError(ValueError):
    """A frame or payload that does not follow the protocol."""


# ---------------------------------------------------------------------------- channel groups
#: Channel groups in a SAMPLES batch, in wire order, with their bit in the channel mask.
GROUPS: tuple[tuple[str, int], ...] = (("acc", 0x01), ("gyro", 0x02), ("mag", 0x04))


def mask_groups(mask: int) -> tuple[str, ...]:
    """Channel groups present in a channel mask, in wire order."""
    if mask & ~0x07 or mask == 0:
        raise ProtocolError(f"channel mask 0x{mask:02x} invalid (allowed: non-zero combination of 0x01 acc, "
                            "0x02 gyro, 0x04 mag)")
    return tuple(g for g, bit in GROUPS if mask & bit)


def groups_mask(groups) -> int:
    bits = dict(GROUPS)
    m = 0
    for g in groups:
        if g not in bits:
            raise ProtocolError(f"unknown channel group {g!r} (allowed: acc, gyro, mag)")
        m |= bits[g]
    return m


def mask_channels(mask: int) -> tuple[str, ...]:
    """Recording channel names for a channel mask, e.g. 0x03 → acc_x … gyro_z."""
    return tuple(f"{g}_{a}" for g in mask_groups(mask) for a in "xyz")


# ---------------------------------------------------------------------------- message registry
MESSAGES: dict[int, type[Message]] = {}


def register_message(cls: type[Message]) -> type[Message]:
    """Class decorator: make ``cls`` (with a ``TYPE`` and ``pack``/``unpack``) decodable.

    Used by this module and by other areas (HIL) to add messages without touching the codec.
    """
    t = int(cls.TYPE)
    if not 0 < t <= 0xFF:
        raise ValueError(f"message type {t} out of range 1..255")
    if t in MESSAGES and MESSAGES[t] is not cls:
        raise ValueError(f"message type 0x{t:02x} already registered by {MESSAGES[t].__name__}")
    MESSAGES[t] = cls
    return cls


class Message:
    """Base class of protocol messages. Subclasses set ``TYPE`` and implement ``pack``/``unpack``."""

    TYPE: ClassVar[int]

    def pack(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def unpack(cls, payload: bytes) -> Message:  # pragma: no cover - abstract
        raise NotImplementedError


def _need(payload: bytes, n: int, what: str) -> None:
    if len(payload) < n:
        raise ProtocolError(f"{what}: payload of {len(payload)} bytes, need {n}")


def _pack_str(s: str) -> bytes:
    b = s.encode("utf-8")[:255]
    return bytes([len(b)]) + b


def _unpack_str(payload: bytes, off: int, what: str) -> tuple[str, int]:
    _need(payload, off + 1, what)
    n = payload[off]
    _need(payload, off + 1 + n, what)
    try:
        return payload[off + 1:off + 1 + n].decode("utf-8"), off + 1 + n
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"{what}: invalid UTF-8 string") from exc


def _pack_floats(values) -> bytes:
    values = list(values)[:255]
    return bytes([len(values)]) + struct.pack(f"<{len(values)}f", *values)


def _unpack_floats(payload: bytes, off: int, what: str) -> tuple[tuple[float, ...], int]:
    _need(payload, off + 1, what)
    n = payload[off]
    _need(payload, off + 1 + 4 * n, what)
    return struct.unpack_from(f"<{n}f", payload, off + 1), off + 1 + 4 * n


@dataclass(frozen=True)
class _Empty(Message):
    def pack(self) -> bytes:
        return b""

    @classmethod
    def unpack(cls, payload: bytes):
        if payload:
            raise ProtocolError(f"{cls.__name__}: expected empty payload, got {len(payload)} bytes")
        return cls()


@register_message
@dataclass(frozen=True)
class GetInfo(_Empty):
    """Host → device: request :class:`Info`."""

    TYPE: ClassVar[int] = MsgType.GET_INFO


@register_message
@dataclass(frozen=True)
class Stop(_Empty):
    """Host → device: stop streaming (answered by :class:`Ack`)."""

    TYPE: ClassVar[int] = MsgType.STOP


@register_message
@dataclass(frozen=True)
class GetStatus(_Empty):
    """Host → device: request :class:`Status`."""

    TYPE: ClassVar[int] = MsgType.GET_STATUS


@register_message
@dataclass(frozen=True)
class Info(Message):
    """Device → host: who the device is and what it supports.

    ODRs in Hz, accelerometer ranges in ±g, gyro ranges in ±dps, magnetometer ranges in ±µT.
    """

    TYPE: ClassVar[int] = MsgType.INFO
    protocol_version: int = PROTOCOL_VERSION
    firmware: str = ""
    board: str = ""
    chips: str = ""
    profile: str = ""
    device_id: str = ""
    channel_mask: int = 0x03
    max_batch: int = 17
    odrs_hz: tuple[float, ...] = ()
    acc_ranges_g: tuple[float, ...] = ()
    gyro_ranges_dps: tuple[float, ...] = ()
    mag_ranges_ut: tuple[float, ...] = ()
    odr_hz: float = 0.0
    acc_range_g: float = 0.0
    gyro_range_dps: float = 0.0

    def pack(self) -> bytes:
        out = bytes([self.protocol_version])
        for s in (self.firmware, self.board, self.chips, self.profile, self.device_id):
            out += _pack_str(s)
        out += bytes([self.channel_mask, self.max_batch])
        for seq in (self.odrs_hz, self.acc_ranges_g, self.gyro_ranges_dps, self.mag_ranges_ut):
            out += _pack_floats(seq)
        return out + struct.pack("<fff", self.odr_hz, self.acc_range_g, self.gyro_range_dps)

    @classmethod
    def unpack(cls, payload: bytes) -> Info:
        _need(payload, 1, "INFO")
        off = 1
        strs = []
        for _ in range(5):
            s, off = _unpack_str(payload, off, "INFO")
            strs.append(s)
        _need(payload, off + 2, "INFO")
        mask, max_batch = payload[off], payload[off + 1]
        off += 2
        lists = []
        for _ in range(4):
            vals, off = _unpack_floats(payload, off, "INFO")
            lists.append(tuple(float(v) for v in vals))
        _need(payload, off + 12, "INFO")
        odr, ar, gr = struct.unpack_from("<fff", payload, off)
        if off + 12 != len(payload):
            raise ProtocolError(f"INFO: {len(payload) - off - 12} trailing bytes")
        return cls(payload[0], *strs, mask, max_batch, *lists, float(odr), float(ar), float(gr))


@register_message
@dataclass(frozen=True)
class Configure(Message):
    """Host → device: sample rate (Hz), ranges (±g, ±dps; 0 = keep), channels, samples per frame (0 = max)."""

    TYPE: ClassVar[int] = MsgType.CONFIGURE
    odr_hz: float
    acc_range_g: float = 0.0
    gyro_range_dps: float = 0.0
    channel_mask: int = 0x03
    batch: int = 0
    _S: ClassVar[struct.Struct] = struct.Struct("<fffBB")

    def pack(self) -> bytes:
        return self._S.pack(self.odr_hz, self.acc_range_g, self.gyro_range_dps, self.channel_mask, self.batch)

    @classmethod
    def unpack(cls, payload: bytes) -> Configure:
        if len(payload) != cls._S.size:
            raise ProtocolError(f"CONFIGURE: payload of {len(payload)} bytes, need {cls._S.size}")
        odr, ar, gr, mask, batch = cls._S.unpack(payload)
        return cls(float(odr), float(ar), float(gr), mask, batch)


@register_message
@dataclass(frozen=True)
class Start(Message):
    """Host → device: start streaming; stop by itself after ``n_samples`` (0 = until STOP)."""

    TYPE: ClassVar[int] = MsgType.START
    n_samples: int = 0

    def pack(self) -> bytes:
        return struct.pack("<I", self.n_samples)

    @classmethod
    def unpack(cls, payload: bytes) -> Start:
        if len(payload) != 4:
            raise ProtocolError(f"START: payload of {len(payload)} bytes, need 4")
        return cls(struct.unpack("<I", payload)[0])


@register_message
@dataclass(frozen=True)
class Ack(Message):
    """Device → host: the command of ``ref_type`` with sequence ``ref_seq`` was done."""

    TYPE: ClassVar[int] = MsgType.ACK
    ref_type: int
    ref_seq: int

    def pack(self) -> bytes:
        return struct.pack("<BH", self.ref_type, self.ref_seq)

    @classmethod
    def unpack(cls, payload: bytes) -> Ack:
        if len(payload) != 3:
            raise ProtocolError(f"ACK: payload of {len(payload)} bytes, need 3")
        return cls(*struct.unpack("<BH", payload))


@register_message
@dataclass(frozen=True)
class Error(Message):
    """Device → host (or host → device): a command failed, or something went wrong on the device."""

    TYPE: ClassVar[int] = MsgType.ERROR
    ref_type: int
    ref_seq: int
    code: int
    text: str = ""

    def pack(self) -> bytes:
        return struct.pack("<BHH", self.ref_type, self.ref_seq, self.code) + _pack_str(self.text)

    @classmethod
    def unpack(cls, payload: bytes) -> Error:
        _need(payload, 5, "ERROR")
        ref_type, ref_seq, code = struct.unpack_from("<BHH", payload)
        text, off = _unpack_str(payload, 5, "ERROR")
        return cls(ref_type, ref_seq, code, text)

    def describe(self) -> str:
        try:
            name = ErrorCode(self.code).name
        except ValueError:
            name = f"code {self.code}"
        return f"{name}: {self.text}" if self.text else name


@register_message
@dataclass(frozen=True)
class Status(Message):
    """Device → host: counters (samples made, samples lost on the device, frames sent/rejected)."""

    TYPE: ClassVar[int] = MsgType.STATUS
    streaming: int
    uptime_ms: int
    samples: int
    dropped: int
    frames_sent: int
    rx_corrupt: int
    ring_used: int
    ring_size: int
    _S: ClassVar[struct.Struct] = struct.Struct("<BIIIIIHH")

    def pack(self) -> bytes:
        return self._S.pack(self.streaming, self.uptime_ms, self.samples, self.dropped, self.frames_sent,
                            self.rx_corrupt, self.ring_used, self.ring_size)

    @classmethod
    def unpack(cls, payload: bytes) -> Status:
        if len(payload) != cls._S.size:
            raise ProtocolError(f"STATUS: payload of {len(payload)} bytes, need {cls._S.size}")
        return cls(*cls._S.unpack(payload))


@register_message
@dataclass(frozen=True, eq=False)
class Samples(Message):
    """Device → host: a batch of samples.

    ``t0_us`` is the device time of the first sample (µs, u64), ``index`` the device's sample
    counter of the first sample (u32, wraps), ``period_ns`` the sample period on the device
    clock; ``scales`` the SI value of one LSB for each channel group present (m/s² per LSB,
    rad/s per LSB, µT per LSB); ``raw`` int16 LSB values, shape (n, 3 × groups).
    """

    TYPE: ClassVar[int] = MsgType.SAMPLES
    t0_us: int
    index: int
    period_ns: int
    channel_mask: int
    scales: tuple[float, ...]
    raw: np.ndarray = field(repr=False)
    _H: ClassVar[struct.Struct] = struct.Struct("<QIIBB")

    def __post_init__(self):
        groups = mask_groups(self.channel_mask)
        raw = np.asarray(self.raw)
        if raw.ndim != 2 or raw.shape[1] != 3 * len(groups):
            raise ProtocolError(f"SAMPLES: raw shape {raw.shape} does not match mask 0x{self.channel_mask:02x}")
        if len(self.scales) != len(groups):
            raise ProtocolError(f"SAMPLES: {len(self.scales)} scales for {len(groups)} channel groups")
        if raw.shape[0] > 255:
            raise ProtocolError("SAMPLES: at most 255 samples per batch")

    @property
    def n(self) -> int:
        return int(self.raw.shape[0])

    def pack(self) -> bytes:
        raw = np.ascontiguousarray(self.raw, dtype="<i2")
        return (self._H.pack(self.t0_us, self.index, self.period_ns, self.n, self.channel_mask)
                + struct.pack(f"<{len(self.scales)}f", *self.scales) + raw.tobytes())

    @classmethod
    def unpack(cls, payload: bytes) -> Samples:
        _need(payload, cls._H.size, "SAMPLES")
        t0, index, period, n, mask = cls._H.unpack_from(payload)
        try:
            groups = mask_groups(mask)
        except ProtocolError as exc:
            raise ProtocolError(f"SAMPLES: {exc}") from None
        g = len(groups)
        off = cls._H.size
        need = off + 4 * g + 2 * 3 * g * n
        if len(payload) != need:
            raise ProtocolError(f"SAMPLES: payload of {len(payload)} bytes, need {need} for {n} samples")
        scales = struct.unpack_from(f"<{g}f", payload, off)
        raw = np.frombuffer(payload, dtype="<i2", count=3 * g * n, offset=off + 4 * g).reshape(n, 3 * g)
        return cls(t0, index, period, mask, tuple(float(s) for s in scales), raw)

    @staticmethod
    def max_samples(mask: int, max_frame: int) -> int:
        """Most samples that fit a wire frame of ``max_frame`` bytes (incl. COBS and delimiter)."""
        g = len(mask_groups(mask))
        n = 255
        while n > 0:
            body = FRAME_OVERHEAD + Samples._H.size + 4 * g + 6 * g * n
            if cobs.max_encoded_size(body) + 1 <= max_frame:
                return n
            n -= 1
        return 0


def ble_batch(mask: int, att_mtu: int = BLE_DEFAULT_ATT_MTU) -> int:
    """Samples per frame so one frame fits one BLE notification (ATT MTU − 3 bytes)."""
    return Samples.max_samples(mask, att_mtu - 3)


# ---------------------------------------------------------------------------- frames
@dataclass(frozen=True, eq=False)
class Frame:
    """A decoded frame: message type, sender sequence number and raw payload."""

    type: int
    seq: int
    payload: bytes
    version: int = PROTOCOL_VERSION

    def message(self) -> Message:
        """Decode the payload with the registered message class (ProtocolError if unknown/bad)."""
        cls = MESSAGES.get(self.type)
        if cls is None:
            raise ProtocolError(f"unknown message type 0x{self.type:02x}")
        return cls.unpack(self.payload)


def encode_frame(msg: Message | int, seq: int, payload: bytes | None = None) -> bytes:
    """Wire bytes of one frame: COBS(header + payload + CRC-32) + 0x00."""
    if isinstance(msg, Message):
        mtype, payload = int(msg.TYPE), msg.pack()
    else:
        mtype, payload = int(msg), payload or b""
    body = HEADER.pack(PROTOCOL_VERSION, mtype, seq & 0xFFFF) + payload
    body += CRC.pack(zlib.crc32(body))
    if len(body) > MAX_BODY:
        raise ProtocolError(f"frame body of {len(body)} bytes exceeds MAX_BODY={MAX_BODY}")
    return cobs.encode(body) + b"\x00"


def decode_body(body: bytes) -> Frame:
    """Check and split one frame body (after COBS decoding)."""
    if len(body) < FRAME_OVERHEAD:
        raise ProtocolError(f"frame of {len(body)} bytes is shorter than the {FRAME_OVERHEAD}-byte minimum")
    (crc,) = CRC.unpack_from(body, len(body) - 4)
    if zlib.crc32(body[:-4]) != crc:
        raise ProtocolError("CRC mismatch")
    version, mtype, seq = HEADER.unpack_from(body)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version {version} (supported: {PROTOCOL_VERSION})")
    return Frame(mtype, seq, bytes(body[HEADER.size:-4]), version)


@dataclass
class DecoderStats:
    """Counters of a :class:`FrameDecoder`."""

    bytes_in: int = 0
    frames_ok: int = 0
    frames_corrupt: int = 0  # delimited chunks rejected (COBS, length, CRC, version)
    bytes_discarded: int = 0  # bytes thrown away in rejected chunks
    frames_lost: int = 0  # gaps in the sender's sequence numbers
    last_error: str = ""


class FrameDecoder:
    """Streaming decoder: feed any byte chunks, get whole checked frames.

    Never raises on bad input: every rejected chunk is counted in :attr:`stats` and the
    decoder resynchronises at the next ``0x00``. Memory is bounded by ``max_frame`` bytes:
    longer runs without a delimiter are discarded and counted as one corrupt frame.
    """

    def __init__(self, max_frame: int = cobs.max_encoded_size(MAX_BODY)):
        self.max_frame = max_frame
        self.stats = DecoderStats()
        self._buf = bytearray()
        self._overflow = False
        self._last_seq: int | None = None

    def reset_sequence(self) -> None:
        """Forget the last sequence number (after a reconnect or device reset)."""
        self._last_seq = None

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return the frames completed by them, in order."""
        self.stats.bytes_in += len(data)
        frames: list[Frame] = []
        parts = bytes(data).split(b"\x00")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if self._overflow:
                self.stats.bytes_discarded += len(part)
                if not last:
                    self._overflow = False
                continue
            self._buf += part
            if last:
                if len(self._buf) > self.max_frame:
                    self.stats.bytes_discarded += len(self._buf)
                    self._reject("no delimiter within max frame length")
                    self._buf.clear()
                    self._overflow = True
                break
            chunk = bytes(self._buf)
            self._buf.clear()
            if not chunk:
                continue  # idle delimiters between frames are allowed
            try:
                frame = decode_body(cobs.decode(chunk))
            except (ProtocolError, cobs.CobsError) as exc:
                self.stats.bytes_discarded += len(chunk) + 1
                self._reject(str(exc))
                continue
            self._count_seq(frame.seq)
            self.stats.frames_ok += 1
            frames.append(frame)
        return frames

    def _reject(self, why: str) -> None:
        self.stats.frames_corrupt += 1
        self.stats.last_error = why

    def _count_seq(self, seq: int) -> None:
        if self._last_seq is not None:
            gap = (seq - self._last_seq - 1) & 0xFFFF
            if gap < 0x8000:
                self.stats.frames_lost += gap
        self._last_seq = seq
