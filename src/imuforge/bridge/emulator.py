"""An emulated wearable that speaks the bridge protocol: for tests, demos and users without a board.

:class:`EmulatedDevice` is transport-free: feed it received bytes (:meth:`~EmulatedDevice.receive`),
tell it the time (:meth:`~EmulatedDevice.advance`) and collect the bytes it sends
(:meth:`~EmulatedDevice.take_output`). :func:`serve_pty` and :func:`serve_tcp` put it on a
pseudo-terminal or a TCP port (pyserial ``socket://``), :mod:`imuforge.bridge.ble` on a bumble
BLE peripheral.

Samples come from a *source*: a vectorised callable ``source(index, odr_hz) -> (n, 3·groups)`` SI
values for the device's sample indices. Sources: :class:`FormulaSource` (the documented
deterministic signal of the QEMU firmware), :class:`RecordingSource` (loops a Recording, e.g.
from :func:`imuforge.sensors.simulate`), :func:`desk_source` (a device lying still on a desk
with the profile's error model), :func:`schedule_source` (an activity schedule through the
motion library and the sensor simulator) and :class:`ActivitySource` (a wearer whose activity is
switched while streaming, e.g. by the prompts of a guided capture through
:func:`follow_activity_file`). The device converts SI → int16 LSB with the profile's
range and bits and sends the LSB scale in every SAMPLES frame.

Faults (:class:`Faults`): dropped frames, corrupted bytes, a disconnect after N s, a clock error.
Message handlers live in :attr:`EmulatedDevice.handlers` (type → callable) so other areas (HIL)
plug in new messages with :meth:`EmulatedDevice.register_handler`.
"""

from __future__ import annotations

import math
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from imuforge import __version__
from imuforge.bridge import protocol as P
from imuforge.errors import ValidationError, check_range
from imuforge.sensors.hardware import to_counts
from imuforge.sensors.profiles import MAX_CLOCK_PPM, STANDARD_ODRS_HZ
from imuforge.units import DEG, STANDARD_GRAVITY

SampleSource = Callable[[np.ndarray, float], np.ndarray]

#: Rates a device not made from a profile accepts in CONFIGURE (Hz), besides its own; a device made from
#: a profile accepts (and advertises) its :meth:`~imuforge.sensors.profiles.HardwareProfile.settable_odrs`.
STANDARD_ODRS = STANDARD_ODRS_HZ


# ---------------------------------------------------------------------------- sources
def formula_raw(index: np.ndarray, n_channels: int = 6) -> np.ndarray:
    """The QEMU firmware's test signal (``firmware_bridge/core/ifb_formula.h``) as int16 LSB.

    raw_c(k) = ((k · (97 + 31·c) + 4099·c) mod 65536) − 32768, for channel c = 0..n−1.
    """
    k = np.asarray(index, dtype=np.uint64)[:, None]
    c = np.arange(n_channels, dtype=np.uint64)[None, :]
    u = (k * (97 + 31 * c) + 4099 * c) & np.uint64(0xFFFF)
    return (u.astype(np.int64) - 32768).astype(np.int16)


#: LSB scales of the QEMU firmware (float32, as sent in its frames): ±4 g and ±2000 dps, 16 bit.
FORMULA_SCALES = (float(np.float32(4.0 * STANDARD_GRAVITY / 32768.0)),
                  float(np.float32(np.float32(2000.0 * 3.14159265358979 / 180.0) / np.float32(32768.0))))


class FormulaSource:
    """SI values whose LSB encoding is exactly :func:`formula_raw` at the given scales."""

    def __init__(self, scales=FORMULA_SCALES):
        self.scales = tuple(scales)

    def __call__(self, index: np.ndarray, odr_hz: float) -> np.ndarray:
        n_ch = 3 * len(self.scales)
        s = np.repeat(np.asarray(self.scales, dtype=np.float64), 3)[:n_ch]
        return formula_raw(index, n_ch).astype(np.float64) * s


class RecordingSource:
    """Loop over a Recording's samples (nearest sample at the device's ODR)."""

    def __init__(self, recording, channels: tuple[str, ...] | None = None):
        self.rec = recording if channels is None else recording.pick(channels)
        if len(self.rec) == 0:
            raise ValidationError("RecordingSource needs a non-empty recording")

    def __call__(self, index: np.ndarray, odr_hz: float) -> np.ndarray:
        i = np.floor(np.asarray(index, dtype=np.float64) * self.rec.rate_hz / odr_hz).astype(np.int64)
        return self.rec.data[i % len(self.rec)]


def desk_source(profile, *, seed: int = 0, seconds: float = 60.0):
    """A device lying flat and still (z up) with the profile's errors: bias, noise, quantisation. A sensor
    slower than the main one (a magnetometer at 10 Hz) is read at its own rate and holds its latest value
    at each main sample, as :func:`imuforge.sensors.simulate` does."""
    from imuforge.sensors.simulate import ErrorTerms, apply_sensor_errors

    n = max(2, int(round(seconds * profile.odr_hz)))
    times = np.arange(n) / profile.odr_hz
    still = {"accel": [0.0, 0.0, STANDARD_GRAVITY], "gyro": [0.0, 0.0, 0.0], "mag": [20.0, 0.0, -40.0]}
    cols, names = [], []
    for kind, group in (("accel", "acc"), ("gyro", "gyro"), ("mag", "mag")):
        if kind in profile.sensors:
            sensor = profile.sensors[kind]
            own = times if sensor.odr_hz == profile.odr_hz else np.arange(
                max(2, int(np.ceil(seconds * sensor.odr_hz)))) / sensor.odr_hz
            m = len(own)
            y = apply_sensor_errors(np.tile(still[kind], (m, 1)), own, sensor, ErrorTerms(), seed, "desk",
                                    specific_force=np.tile(still["accel"], (m, 1)))
            if own is not times:  # held at each main sample
                y = y[np.clip(np.searchsorted(own, times, side="right") - 1, 0, m - 1)]
            cols.append(y)
            names += [f"{group}_{a}" for a in "xyz"]
    from imuforge.recording import Recording

    rec = Recording(times, np.hstack(cols), names, profile.odr_hz, profile=profile.name,
                    provenance={"generator": "imuforge.bridge.emulator.desk_source", "seed": seed})
    return RecordingSource(rec)


def parse_schedule(text: str) -> list[tuple[str, float | None]]:
    """``"walking:20,stand_to_sit,sitting:10"`` → [("walking", 20.0), ("stand_to_sit", None), ("sitting", 10.0)].

    A transition without ``:SECONDS`` takes its natural duration.
    """
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, secs = part.partition(":")
        try:
            out.append((name.strip(), float(secs) if secs else None))
        except ValueError:
            raise ValidationError(f"bad schedule entry {part!r}", source="--schedule",
                                  allowed="ACTIVITY:SECONDS[,ACTIVITY:SECONDS…]") from None
    return out


#: frame rate of the motion a ``--schedule`` plays (the library's, then simulated at the profile's ODR)
SCHEDULE_FPS = 100.0


def schedule_source(profile, schedule: list[tuple[str, float | None]], *, placement: str | None = None,
                    seed: int = 0):
    """Synthetic data for an activity schedule: one continuous labelled Motion from the motion
    library (transitions included) → :func:`imuforge.sensors.simulate` for the profile."""
    from imuforge.motion.library import schedule as make_schedule
    from imuforge.sensors import simulate

    motion = make_schedule(schedule, fps=SCHEDULE_FPS, rng=seed)
    return RecordingSource(simulate(motion, profile, placement, seed=seed))


#: Activities a wearer asked to keep still does without fidgets (see :class:`ActivitySource`).
_QUIET = {"standing": {"fidget": 0.0}, "sitting": {"fidget": 0.0}}


class ActivitySource:
    """A simulated wearer who does the activity they are told, switchable while the device streams.

    :meth:`set_activity` changes what the wearer does from the next sample on (thread-safe: call it
    from a prompt hook, a test, or :func:`follow_activity_file` for ``imuforge emulate --follow``).
    Each activity is simulated once on first use — the motion library for one person (``seed``)
    and :func:`imuforge.sensors.simulate` for the profile and placement, ``loop_s`` long — and
    looped. Standing and sitting are done quietly (no fidgets), as by a wearer asked to keep
    still; ``quiet=False`` keeps the library's gestures and fidgets.
    """

    def __init__(self, profile, *, placement: str | None = None, seed: int = 0, activity: str = "standing",
                 loop_s: float = 20.0, quiet: bool = True):
        self.profile = profile
        self.placement = placement
        self.seed = seed
        self.loop_s = float(loop_s)
        self.quiet = quiet
        self._sources: dict[str, RecordingSource] = {}
        self._lock = threading.Lock()
        self._current: tuple[str, int | None] = (activity, None)
        self.history: list[tuple[str, int]] = []  # (activity, first sample index), for tests and logs
        self._source(activity)

    @property
    def activity(self) -> str:
        return self._current[0]

    def _source(self, name: str) -> RecordingSource:
        from imuforge.motion.library import ACTIVITIES

        with self._lock:
            if name not in self._sources:
                if name not in ACTIVITIES or ACTIVITIES[name].kind == "transition":
                    allowed = sorted(k for k, a in ACTIVITIES.items() if a.kind != "transition")
                    raise ValidationError(f"the emulated wearer cannot do {name!r}", allowed=", ".join(allowed))
                params = _QUIET.get(name, {}) if self.quiet else {}
                self._sources[name] = schedule_source(self.profile, [(name, self.loop_s, params)],
                                                      placement=self.placement, seed=self.seed)
            return self._sources[name]

    def set_activity(self, name: str) -> None:
        """From the next sample on the wearer does ``name`` (a motion-library activity)."""
        self._source(name)  # simulate it now, outside the streaming path
        if name != self._current[0]:
            self._current = (name, None)

    def __call__(self, index: np.ndarray, odr_hz: float) -> np.ndarray:
        name, start = self._current
        if start is None:  # the switch takes effect at the first sample asked for after it
            start = int(index[0])
            self._current = (name, start)
            self.history.append((name, start))
        return self._sources[name](np.asarray(index) - start, odr_hz)


def follow_activity_file(source: ActivitySource, path, stop: threading.Event, *, interval_s: float = 0.1,
                         on_change: Callable[[str], None] | None = None,
                         on_error: Callable[[str], None] | None = None) -> None:
    """Make ``source`` do the activity named in the text file ``path`` until ``stop`` is set.

    The file holds one activity name (``echo walking > PATH``; ``imuforge capture --guided
    --cue-file PATH`` writes it at each prompt). A missing or empty file changes nothing; an
    unknown name is reported through ``on_error`` once and ignored.
    """
    from pathlib import Path

    path = Path(path)
    seen = None
    while not stop.wait(interval_s):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if not text or text == seen:
            continue
        seen = text
        try:
            source.set_activity(text)
        except ValidationError as exc:
            if on_error is not None:
                on_error(str(exc))
            continue
        if on_change is not None:
            on_change(text)


# ---------------------------------------------------------------------------- faults and device
#: The largest clock error (ppm) an emulated device takes is a profile's (``profiles.MAX_CLOCK_PPM``, ±10 %):
#: crystals are within ~100 ppm, the sensors' internal RC oscillators mostly within a few thousand (the
#: nano33's 99.84 Hz is −1600 ppm) and up to ±10 % by their datasheets; a larger error is another ODR.

#: The longest streaming time (s) before a disconnect fault: a day, like the longest capture.
MAX_DISCONNECT_AFTER_S = 86_400.0

#: The TCP ports :func:`serve_tcp` takes (``emulate --tcp``): 0 lets the system pick a free one.
TCP_PORTS = (0, 65535)


@dataclass
class Faults:
    """Faults to inject. Rates are per SAMPLES frame; times in s of streaming."""

    drop_rate: float = 0.0  # fraction of SAMPLES frames not sent (sequence number still used)
    corrupt_rate: float = 0.0  # fraction of SAMPLES frames with one byte flipped
    disconnect_after_s: float | None = None  # close the link once, after this long streaming
    #: go silent for good after this long streaming — no sample, no answer — the link left open: firmware that
    #: hung behind a USB-serial bridge that stays powered, or a BLE peer gone out of range before the link's
    #: supervision timeout
    hang_after_s: float | None = None
    clock_ppm: float = 0.0  # device clock error: + runs fast
    seed: int = 0

    def __post_init__(self):
        for name in ("drop_rate", "corrupt_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValidationError(f"{name} must be in [0, 1], got {v}")
        check_range("clock_ppm", self.clock_ppm, -MAX_CLOCK_PPM, MAX_CLOCK_PPM, unit="ppm")
        for name in ("disconnect_after_s", "hang_after_s"):
            if getattr(self, name) is not None:
                check_range(name, getattr(self, name), 0.0, MAX_DISCONNECT_AFTER_S, unit="s")


class EmulatedDevice:
    """A protocol-speaking virtual IMU device (see module doc)."""

    def __init__(self, source: SampleSource, *, profile_name: str = "", board: str = P.EMULATOR_FIRMWARE,
                 chips: str = "", device_id: str = "emu-0001", odr_hz: float = 100.0,
                 acc_range_g: float = 4.0, gyro_range_dps: float = 2000.0, bits: int = 16,
                 channel_mask: int = 0x03, odrs_hz: tuple[float, ...] | None = None,
                 acc_ranges_g: tuple[float, ...] | None = None, gyro_ranges_dps: tuple[float, ...] | None = None,
                 mag_range_ut: float = 1300.0, scales: tuple[float, ...] | None = None,
                 faults: Faults | None = None, max_frame: int = P.BLE_DEFAULT_ATT_MTU - 3):
        self.source = source
        self.faults = faults or Faults()
        self.rng = np.random.default_rng(self.faults.seed)
        self.bits = bits
        self.fixed_scales = scales
        self.max_frame = max_frame
        self.info = P.Info(firmware=f"{P.EMULATOR_FIRMWARE} {__version__}", board=board, chips=chips,
                           profile=profile_name, device_id=device_id, channel_mask=channel_mask,
                           max_batch=P.Samples.max_samples(channel_mask, max_frame),
                           odrs_hz=tuple(sorted(set(odrs_hz or (STANDARD_ODRS + (odr_hz,))))),
                           acc_ranges_g=tuple(acc_ranges_g or (acc_range_g,)),
                           gyro_ranges_dps=tuple(gyro_ranges_dps or (gyro_range_dps,)),
                           mag_ranges_ut=(mag_range_ut,) if channel_mask & 0x04 else (),
                           odr_hz=odr_hz, acc_range_g=acc_range_g, gyro_range_dps=gyro_range_dps)
        self.mask = channel_mask & 0x03 or channel_mask
        self.batch = P.Samples.max_samples(self.mask, max_frame)
        self.decoder = P.FrameDecoder()
        self.handlers: dict[int, Callable[[P.Frame], None]] = {
            P.MsgType.GET_INFO: self._on_get_info, P.MsgType.CONFIGURE: self._on_configure,
            P.MsgType.START: self._on_start, P.MsgType.STOP: self._on_stop,
            P.MsgType.GET_STATUS: self._on_get_status,
        }
        self._out = bytearray()
        self.tx_seq = 0
        self.streaming = False
        self.limit = 0
        self.produced = 0  # in the current run
        self.next_index = 0
        self.t_start = 0.0  # device time the current run started (s)
        self.now = 0.0  # device time (s)
        self.frames_sent = 0
        self.frames_dropped = 0
        self.frames_corrupted = 0
        self.streamed_s = 0.0
        self.started = False  # a START was received: the hang fault counts streaming from it (0 s included)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []

    @classmethod
    def from_profile(cls, profile, source: SampleSource | None = None, **kw) -> EmulatedDevice:
        """A device with a HardwareProfile's ODR, ranges, resolution and channels. It advertises and accepts
        the ODRs ``--odr`` may set for the profile (``settable_odrs``), and names itself after the profile."""
        acc = profile.sensors.get("accel")
        gyro = profile.sensors.get("gyro")
        mag = profile.sensors.get("mag")
        mask = (0x01 if acc else 0) | (0x02 if gyro else 0) | (0x04 if mag else 0)
        bits = acc.bits if acc else 16
        kw.setdefault("device_id", f"emu-{profile.name}")
        return cls(source if source is not None else desk_source(profile), profile_name=profile.name,
                   board=f"emulated {profile.name}", chips=",".join(profile.chips),
                   odr_hz=float(profile.odr_hz), odrs_hz=profile.settable_odrs(),
                   acc_range_g=acc.range_si / STANDARD_GRAVITY if acc else 0.0,
                   gyro_range_dps=gyro.range_si / DEG if gyro else 0.0, bits=bits, channel_mask=mask,
                   mag_range_ut=mag.range_si if mag else 1300.0, **kw)

    # ------------------------------------------------------------------ protocol
    def register_handler(self, msg_type: int, handler: Callable[[P.Frame], None]) -> None:
        """Handle a message type (e.g. the HIL range 0x40–0x5F) with ``handler(frame)``."""
        self.handlers[int(msg_type)] = handler

    @property
    def hung(self) -> bool:
        """Whether the hang fault has fired (:attr:`Faults.hang_after_s`): it sends and answers nothing."""
        return (self.faults.hang_after_s is not None and self.started
                and self.streamed_s >= self.faults.hang_after_s)

    def send(self, msg: P.Message) -> None:
        """Queue one frame for the host (faults apply to SAMPLES frames; a hung device sends nothing)."""
        if self.hung:
            return
        wire = P.encode_frame(msg, self.tx_seq)
        self.tx_seq = (self.tx_seq + 1) & 0xFFFF
        if isinstance(msg, P.Samples):
            if self.faults.drop_rate and self.rng.random() < self.faults.drop_rate:
                self.frames_dropped += 1
                return
            if self.faults.corrupt_rate and self.rng.random() < self.faults.corrupt_rate:
                b = bytearray(wire)
                i = int(self.rng.integers(0, len(b) - 1))
                b[i] ^= int(self.rng.integers(1, 256))
                wire = bytes(b)
                self.frames_corrupted += 1
        self.frames_sent += 1
        self._out += wire

    def error(self, frame: P.Frame, code: P.ErrorCode, text: str) -> None:
        self.send(P.Error(frame.type, frame.seq, int(code), text))

    def receive(self, data: bytes) -> None:
        """Bytes from the host; commands are handled at once (a hung device reads nothing)."""
        if self.hung:
            return
        for frame in self.decoder.feed(data):
            handler = self.handlers.get(frame.type)
            if handler is None:
                self.error(frame, P.ErrorCode.UNKNOWN_TYPE, f"unknown message type 0x{frame.type:02x}")
                continue
            try:
                handler(frame)
            except P.ProtocolError as exc:
                self.error(frame, P.ErrorCode.BAD_PAYLOAD, str(exc)[:64])

    def take_output(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _on_get_info(self, frame: P.Frame) -> None:
        self.send(self.info)

    def _on_get_status(self, frame: P.Frame) -> None:
        self.send(P.Status(int(self.streaming), int(self.now * 1000) & 0xFFFFFFFF, self.produced & 0xFFFFFFFF, 0,
                           self.frames_sent & 0xFFFFFFFF, self.decoder.stats.frames_corrupt, 0, 0))

    def _on_configure(self, frame: P.Frame) -> None:
        c = P.Configure.unpack(frame.payload)
        if self.streaming:
            return self.error(frame, P.ErrorCode.BUSY, "stop streaming first")
        if not any(abs(c.odr_hz - o) < 1e-6 * o for o in self.info.odrs_hz):
            return self.error(frame, P.ErrorCode.UNSUPPORTED, f"ODR {c.odr_hz:g} Hz not supported")
        if c.acc_range_g and c.acc_range_g not in self.info.acc_ranges_g:
            return self.error(frame, P.ErrorCode.UNSUPPORTED, f"acc range {c.acc_range_g:g} g not supported")
        if c.gyro_range_dps and c.gyro_range_dps not in self.info.gyro_ranges_dps:
            return self.error(frame, P.ErrorCode.UNSUPPORTED, f"gyro range {c.gyro_range_dps:g} dps not supported")
        if c.channel_mask == 0 or c.channel_mask & ~self.info.channel_mask:
            return self.error(frame, P.ErrorCode.UNSUPPORTED, "channel mask not available")
        most = P.Samples.max_samples(c.channel_mask, self.max_frame)
        self.mask = c.channel_mask
        self.batch = min(c.batch or most, most) if c.batch else most
        self.info = P.Info(**{**self.info.__dict__, "odr_hz": float(np.float32(c.odr_hz)),
                              "acc_range_g": c.acc_range_g or self.info.acc_range_g,
                              "gyro_range_dps": c.gyro_range_dps or self.info.gyro_range_dps})
        self.send(P.Ack(frame.type, frame.seq))

    def _on_start(self, frame: P.Frame) -> None:
        s = P.Start.unpack(frame.payload)
        self.limit = s.n_samples
        self.produced = 0
        self.streaming = self.started = True
        self.t_start = self.now
        self.send(P.Ack(frame.type, frame.seq))

    def _on_stop(self, frame: P.Frame) -> None:
        self._flush(force=True)
        self.streaming = False
        self.send(P.Ack(frame.type, frame.seq))

    # ------------------------------------------------------------------ streaming
    @property
    def odr_hz(self) -> float:
        return self.info.odr_hz

    def scales(self) -> tuple[float, ...]:
        """SI per LSB of each channel group present (float32-representable)."""
        full = {"acc": self.info.acc_range_g * STANDARD_GRAVITY, "gyro": self.info.gyro_range_dps * DEG,
                "mag": self.info.mag_ranges_ut[0] if self.info.mag_ranges_ut else 1300.0}
        if self.fixed_scales is not None:
            return tuple(self.fixed_scales[: len(P.mask_groups(self.mask))])
        return tuple(float(np.float32(full[g] / 2 ** (self.bits - 1))) for g in P.mask_groups(self.mask))

    def advance(self, host_elapsed_s: float) -> None:
        """Move the device clock to ``host_elapsed_s`` (× clock error) and emit due samples."""
        prev = self.now
        self.now = host_elapsed_s * (1.0 + self.faults.clock_ppm * 1e-6)
        if not self.streaming:
            return
        self.streamed_s += max(0.0, self.now - prev)
        due = int(math.floor((self.now - self.t_start) * self.odr_hz + 1e-9)) + 1
        if self.limit:
            due = min(due, self.limit)
        n = due - self.produced
        if n > 0:
            idx = np.arange(self.next_index, self.next_index + n, dtype=np.int64)
            self._emit(idx)
        if self.limit and self.produced >= self.limit:
            self._flush(force=True)
            self.streaming = False
        else:
            self._flush(force=False)

    def _emit(self, idx: np.ndarray) -> None:
        groups = P.mask_groups(self.mask)
        all_groups = P.mask_groups(self.info.channel_mask & 0x07)
        si = np.asarray(self.source(idx, self.odr_hz), dtype=np.float64)
        cols = np.concatenate([np.arange(3) + 3 * all_groups.index(g) for g in groups])
        if si.shape[1] >= 3 * len(all_groups):
            si = si[:, cols]
        scales = np.repeat(self.scales(), 3)
        raw = to_counts(si, scales, self.bits).astype(np.int16)
        self._pending.append((idx, raw))
        self.produced += idx.size
        self.next_index += idx.size

    def _flush(self, force: bool) -> None:
        if not self._pending:
            return
        idx = np.concatenate([p[0] for p in self._pending])
        raw = np.vstack([p[1] for p in self._pending])
        self._pending.clear()
        period_ns = int(round(1e9 / self.odr_hz))
        run0 = self.next_index - self.produced  # index of the run's first sample
        full = idx.size if force else (idx.size // self.batch) * self.batch
        latency_due = idx.size and (self.now - self.t_start - (idx[0] - run0) / self.odr_hz) >= 0.1
        if not force and latency_due:
            full = idx.size
        for a in range(0, full, self.batch):
            k = idx[a:a + self.batch]
            t0_us = int(round((self.t_start + (k[0] - run0) / self.odr_hz) * 1e6))
            self.send(P.Samples(t0_us, int(k[0]) & 0xFFFFFFFF, period_ns, self.mask, self.scales(),
                                raw[a:a + self.batch]))
        if full < idx.size:
            self._pending.append((idx[full:], raw[full:]))


# ---------------------------------------------------------------------------- transports
def _serve_fd(device: EmulatedDevice, fd: int, stop: threading.Event, t0: float, *, sock: socket.socket | None = None,
              disconnect_at: float | None = None) -> str:
    """Pump one connection until it closes, ``stop`` is set or the disconnect fault fires."""
    while not stop.is_set():
        now = time.monotonic() - t0
        if disconnect_at is not None and device.streaming and device.streamed_s >= disconnect_at:
            return "fault"
        r, _, _ = select.select([fd], [], [], 0.005)
        if r:
            try:
                data = sock.recv(65536) if sock is not None else os.read(fd, 65536)
            except OSError:
                return "closed"
            if not data:
                return "closed"
            device.receive(data)
        device.advance(time.monotonic() - t0)
        out = device.take_output()
        if out:
            try:
                if sock is not None:
                    sock.sendall(out)
                else:
                    _write_all(fd, out)
            except OSError:
                return "closed"
        del now
    return "stopped"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        _, w, _ = select.select([], [fd], [], 1.0)
        if w:
            n = os.write(fd, view)
            view = view[n:]


#: How long a pseudo-terminal device stays unplugged after its disconnect fault before it comes back (s)
REPLUG_S = 0.5


def serve_pty(device: EmulatedDevice, *, on_ready: Callable[[str], None] = print,
              stop: threading.Event | None = None, on_unplug: Callable[[], None] | None = None) -> str:
    """Serve the device on a new pseudo-terminal; ``on_ready`` gets the port path (e.g. /dev/pts/5).

    A disconnect fault closes the terminal (the host sees the same error as an unplug; ``on_unplug`` is
    called) and, like a board whose cable is plugged in again, the device comes back :data:`REPLUG_S` later on
    a new terminal, its path given to ``on_ready`` again (the system may give it the old one's number, or
    another: ``capture --port-file`` reads the file again when it reconnects). Its state is kept, and the
    fault fires once, as on TCP. Returns why it stopped: ``stopped`` or ``closed``.
    """
    stop = stop or threading.Event()
    t0 = time.monotonic()
    fault_at = device.faults.disconnect_after_s
    while True:
        master, slave = os.openpty()
        try:
            tty.setraw(slave)
            tty.setraw(master)
            on_ready(os.ttyname(slave))
            why = _serve_fd(device, master, stop, t0, disconnect_at=fault_at)
            if why == "fault" and on_unplug is not None:  # before the terminal goes: nothing names it then
                on_unplug()
        finally:
            os.close(master)
            os.close(slave)
        if why != "fault":
            return why
        fault_at = None
        back = time.monotonic() + REPLUG_S
        while time.monotonic() < back and not stop.is_set():
            device.advance(time.monotonic() - t0)
            device.take_output()  # nobody is listening: bytes are lost, like on an unplugged UART
            time.sleep(0.01)
        if stop.is_set():
            return "stopped"


def serve_tcp(device: EmulatedDevice, port: int = 0, *, host: str = "127.0.0.1",
              on_ready: Callable[[int], None] = print, stop: threading.Event | None = None) -> None:
    """Serve the device on TCP (``socket://HOST:PORT`` for pyserial), one client at a time.

    The device keeps its state across connections, like a powered board whose cable was
    re-plugged; the disconnect fault closes the first connection after N s of streaming.
    """
    stop = stop or threading.Event()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((host, port))
    except (OSError, OverflowError) as exc:  # in use, privileged, or not a port number
        srv.close()
        raise ValidationError(f"cannot listen on TCP {host}:{port}: {getattr(exc, 'strerror', None) or exc}",
                              allowed=f"a free port in {TCP_PORTS[0]} … {TCP_PORTS[1]}; "
                                      f"{TCP_PORTS[0]} = any free port") from None
    srv.listen(1)
    srv.settimeout(0.1)
    on_ready(srv.getsockname()[1])
    t0 = time.monotonic()
    fault_pending = device.faults.disconnect_after_s
    try:
        while not stop.is_set():
            device.advance(time.monotonic() - t0)
            device.take_output()  # nobody is listening: bytes are lost, like on an unplugged UART
            try:
                conn, _ = srv.accept()
            except (socket.timeout, TimeoutError):
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn:
                why = _serve_fd(device, conn.fileno(), stop, t0, sock=conn, disconnect_at=fault_pending)
                if why == "fault":
                    fault_pending = None
                    conn.shutdown(socket.SHUT_RDWR)
    finally:
        srv.close()
