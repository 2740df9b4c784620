"""Capture a Recording from a device over any link, crash-safe, and recover one from a raw log.

Flow: open the link → start the raw log → handshake (GET_INFO; a stream of text lines instead
means CSV line mode) → CONFIGURE → START(n samples) → read until the device has delivered
``seconds`` of samples (device time) → STOP → build the Recording. Everything received goes to
the append-only raw log first (:mod:`imuforge.bridge.rawlog`); :func:`recover` rebuilds the
Recording from it with the same :class:`~imuforge.bridge.stream.StreamProcessor`.

A disconnect keeps what arrived and says so; with ``reconnect=True`` the capture reopens the link,
repeats the handshake and asks for the samples still missing. The time without data stays a gap.
"""

from __future__ import annotations

import datetime as _dt
import platform
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imuforge.bridge import protocol as P
from imuforge.bridge import rawlog
from imuforge.bridge.links import Link, LinkClosed
from imuforge.bridge.stream import StreamProcessor, StreamStats
from imuforge.errors import ImuforgeError, Terminated, ValidationError, check_range
from imuforge.labels import check_label
from imuforge.recording import Recording


class DeviceError(ImuforgeError):
    """The device refused a command or did not answer."""


class DeviceRefused(DeviceError):
    """The device answered and refused what was asked (ODR, range, channels, or an ERROR reply): bad input.
    Refused before any sample arrived, a capture leaves nothing behind: its raw log and the folders made
    for it are removed."""


class DeviceTimeout(DeviceError):
    """The device did not answer a command in time (it stopped answering: hung, reset or gone)."""


class NoDeviceAnswer(DeviceError):
    """Nothing usable arrived on the link: no protocol answer and no CSV lines (exit status 2).

    ``log_path`` is the raw log when it was kept (bytes arrived), None when it was removed
    (nothing at all arrived: the log held only its header).
    """

    def __init__(self, message: str, log_path: Path | None = None):
        super().__init__(message)
        self.log_path = log_path


class _Sigterm:
    """SIGTERM while :func:`sigterm_as_interrupt` is active: :attr:`received` is set, and it raises
    :class:`Terminated` (a KeyboardInterrupt: a prompt waiting for Enter ends) unless a capture is
    running (:meth:`polling`): the capture checks :attr:`received` between reads and stops as on
    Ctrl-C, so no exception ever cuts a raw-log write or the building of what arrived."""

    def __init__(self):
        self.received = False
        self._polled = 0

    def __call__(self, signum, frame) -> None:
        self.received = Terminated.received = True  # the command line says "terminated", exits 143
        if not self._polled:
            raise Terminated()

    @contextmanager
    def polling(self) -> Iterator[None]:
        self._polled += 1
        try:
            yield
        finally:
            self._polled -= 1


#: The one SIGTERM state of this process (see :func:`sigterm_as_interrupt`).
SIGTERM = _Sigterm()


@contextmanager
def sigterm_as_interrupt() -> Iterator[_Sigterm]:
    """SIGTERM (``kill PID``, a service manager, a CI time-out) ends a capture as Ctrl-C does: it stops,
    what arrived is kept and written, and the capture says so. Only in the main thread (elsewhere a no-op)."""
    SIGTERM.received = False
    if threading.current_thread() is not threading.main_thread():
        yield SIGTERM
        return
    previous = signal.signal(signal.SIGTERM, SIGTERM)
    try:
        yield SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def sigint_deferred(*, reraise: bool = True) -> Iterator[list[int]]:
    """Ctrl-C inside the block waits for its end — then raises KeyboardInterrupt, or with ``reraise=False``
    is let go — so what arrived is stopped, built and written whole: an impatient second Ctrl-C after the
    one that stopped a capture had cut the write short, and nothing but the raw log was left (a fresh
    user's run). SIGTERM likewise only marks :data:`SIGTERM` inside it. Only in the main thread (elsewhere
    a no-op)."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous in (signal.SIG_IGN, None):
        yield []  # (Ctrl-C ignored — nohup, a background job — or handled outside Python: left so)
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        with SIGTERM.polling():
            yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed and reraise:
        if callable(previous) and previous is not signal.default_int_handler:
            previous(signal.SIGINT, None)  # a handler of the caller's own hears it
        else:
            raise KeyboardInterrupt


#: The longest capture (s) one command takes: a day.
MAX_CAPTURE_S = 86_400.0

#: Above this fraction of missing samples a capture warns (it still counts as complete: the
#: device delivered the whole window, but with that many gaps it is a poor calibration capture).
MISSING_WARN_FRACTION = 0.05


@dataclass
class CaptureOptions:
    """What to capture. Times in s, rates in Hz, ranges in ±g / ±dps (0 = device default)."""

    seconds: float
    label: str | None = None
    odr_hz: float | None = None
    acc_range_g: float = 0.0
    gyro_range_dps: float = 0.0
    #: channel groups to stream; None: the device's accelerometer and gyroscope, those it has
    channels: tuple[str, ...] | None = None
    fmt: str = "auto"  # auto | frames | csv
    csv_units: dict[str, str] | None = None
    csv_rate_hz: float | None = None
    profile: str | None = None
    placement: str | None = None
    subject: str | None = None
    reconnect: bool = False
    #: send STOP before CONFIGURE: a device left streaming by an earlier session (one killed mid-capture)
    #: refuses a new configuration with BUSY until stopped
    stop_first: bool = True
    reconnect_window_s: float = 15.0
    handshake_timeout_s: float = 3.0
    grace_s: float = 5.0
    #: nothing received this long while the device should stream: the link is taken as lost (said, kept,
    #: and reopened with ``reconnect``). None: :func:`stall_after_s` of the device's rate; 0: wait out the
    #: window (a device that sends in bursts further apart)
    stall_s: float | None = None

    def __post_init__(self):
        """Refuse bad options before any link opens (each names its command-line flag and what is allowed)."""
        check_range("--seconds", self.seconds, 0.01, MAX_CAPTURE_S, unit="s")
        if self.fmt not in ("auto", "frames", "csv"):
            raise ValidationError(f"unknown format {self.fmt!r}", allowed="auto, frames, csv")
        if self.label is not None:
            check_label(self.label, source="--label")
        if self.odr_hz is not None:
            check_range("--odr", self.odr_hz, 0.1, 100_000.0, unit="Hz")
        if self.csv_rate_hz is not None:
            check_range("--rate", self.csv_rate_hz, 0.1, 100_000.0, unit="Hz")
        check_range("--range-g", self.acc_range_g, 0.0, 1_000.0, unit="g (0 = device default)")
        check_range("--range-dps", self.gyro_range_dps, 0.0, 100_000.0, unit="dps (0 = device default)")
        if self.stall_s is not None:
            check_range("--stall-s", self.stall_s, 0.0, MAX_CAPTURE_S, unit="s (0 = never)")
            if 0 < self.stall_s < STALL_FLOOR_S:  # a healthy device pauses that long (it was called hung)
                raise ValidationError(f"--stall-s {self.stall_s:g} s is shorter than a healthy device's "
                                      "pauses (a BLE link's connection events, a USB-serial bridge's latency "
                                      "timer, a frame filled at a low rate)",
                                      allowed=f"{STALL_FLOOR_S:g} … {MAX_CAPTURE_S:g} s, or 0 (never)")
        try:
            P.groups_mask(self.channels or ())
        except P.ProtocolError as exc:
            raise ValidationError(f"--channels: {exc}".split(" (allowed")[0], allowed="acc, gyro, mag") from None
        if self.channels is not None and not self.channels:  # a device would refuse the empty mask, later
            raise ValidationError("--channels names no channel group",
                                  allowed="acc, gyro, mag, e.g. acc,gyro")
        if self.placement is not None:
            from imuforge.sensors.placement import get_placement

            try:
                get_placement(self.placement)
            except ValidationError as exc:
                raise ValidationError(f"--placement: {exc.what}", allowed=exc.allowed) from None
        if self.profile is not None:
            from imuforge.sensors.profiles import load_profile

            try:  # unknown or malformed: refused now, not after the capture
                load_profile(self.profile)
            except ValidationError as exc:
                raise ValidationError(f"--profile: {exc}") from None


#: the shortest --stall-s a user may set (s)
STALL_FLOOR_S = 0.5
#: the least silence (s) taken as a stalled link: a BLE link's connection events, a USB-serial bridge's
#: latency timer and a device's batching each hold data back by well under a second
STALL_MIN_S = 3.0
#: … or this many sample periods, the longer: a device that fills a frame before sending (up to ≈ 20 samples
#: in a 244-byte BLE notification) sends that seldom at a low rate
STALL_PERIODS = 40


def stall_after_s(odr_hz: float) -> float:
    """How long a capture waits on a silent device streaming at ``odr_hz`` before taking the link as lost."""
    return max(STALL_MIN_S, STALL_PERIODS / odr_hz) if odr_hz > 0 else STALL_MIN_S


@dataclass
class CaptureResult:
    """What a capture produced. ``missing_samples`` is the one count of samples missing inside
    the recording (= the gaps in its timestamps); ``warnings`` hold what the user must know
    although the capture completed (e.g. more than :data:`MISSING_WARN_FRACTION` missing)."""

    recording: Recording | None
    log_path: Path
    stats: StreamStats
    complete: bool
    disconnected: bool
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM (interrupted_by says which)

    @property
    def missing_samples(self) -> int:
        return int(self.stats.missing_samples) if self.recording is not None else 0

    window_samples: int = 0  # sample slots of the requested window (0: unknown, CSV)
    stopped: str | None = None  # why a stop_check ended the capture early
    interrupted_by: str = ""  # "Ctrl-C" or "SIGTERM" when interrupted
    #: a Ctrl-C that came once the window was delivered, while what arrived was built: the capture is whole,
    #: and a guided session ends after it (it had gone on to the next prompt)
    ctrl_c_after: bool = False

    @property
    def lost_at_end(self) -> int:
        """Samples missing after the last one received: of a complete capture, the window's slots past it (a
        device that dropped its last ones); of a CSV capture, the lines cut at its end."""
        n = len(self.recording) if self.recording is not None else 0
        if not n:
            return 0
        if self.complete and self.window_samples >= n:
            return max(0, self.window_samples - n - self.missing_samples)
        return int(self.stats.csv_lost_at_end)

    @property
    def missing_fraction(self) -> float:
        """Missing share of the window (gaps and, for a complete capture, the samples lost at its end)."""
        n = len(self.recording) if self.recording is not None else 0
        if not n:
            return 0.0
        if self.complete and self.window_samples >= n:
            return 1.0 - n / self.window_samples
        lost = self.missing_samples + self.stats.csv_lost_at_end
        return lost / (n + lost)


class CaptureSession:
    """One capture; see module doc. ``open_link`` is called again on reconnect."""

    def __init__(self, open_link: Callable[[], Link], log_path: str | Path, options: CaptureOptions, *,
                 on_status: Callable[[dict[str, Any]], None] | None = None, status_interval_s: float = 0.5,
                 stop_check: Callable[[CaptureSession], str | None] | None = None, check_interval_s: float = 0.5):
        """``stop_check(session)`` is called about every ``check_interval_s`` while samples arrive; a
        returned reason stops the capture early (kept, not complete; ``CaptureResult.stopped``)."""
        self.open_link = open_link
        self.opt = options
        self.on_status = on_status
        self.stop_check = stop_check
        self.check_interval_s = check_interval_s
        self.stopped: str | None = None
        self.status_interval_s = status_interval_s
        self.log_path = Path(log_path)
        self.link: Link | None = None
        self.tx_seq = 0
        self.messages: list[str] = []
        fmt = "csv" if options.fmt == "csv" else "frames"
        self.proc = StreamProcessor(fmt, csv_units=options.csv_units)
        self.log: rawlog.RawLogWriter | None = None
        self._handshake_rx: list[tuple[bytes, float]] = []
        self._last_status = (0.0, 0)
        self.n_target = 0
        self.run_first_index: int | None = None
        self.received_before_run = 0
        self._delivered = 0
        self.odr_hz = 0.0
        self._t_start = 0.0
        self._run_t0 = 0.0
        self._last_rx = self._stream_t0 = 0.0  # when bytes last arrived, and when streaming (re)started
        self._status_asked = 0.0
        self._interrupted = ""  # "Ctrl-C" / "SIGTERM" once interrupted
        self._made_dirs: list[Path] = []
        self._answered = False  # the first handshake succeeded (a failed start says one line, no status)

    # ------------------------------------------------------------------ plumbing
    def _send(self, msg: P.Message) -> int:
        seq = self.tx_seq
        self.tx_seq = (self.tx_seq + 1) & 0xFFFF
        data = P.encode_frame(msg, seq)
        self.log.write(rawlog.TX, data)
        self.link.write(data)
        return seq

    def _pump(self, timeout: float) -> list[P.Message]:
        data = self.link.read(timeout)
        self.log.tick()
        if not data:
            self._status()
            return []
        t = self.log.write(rawlog.RX, data)
        self._last_rx = t
        if self._handshake_rx is not None:
            self._handshake_rx.append((data, t))
        msgs = self.proc.feed(data, t)
        self._status()
        return msgs

    def _request(self, msg: P.Message, timeout: float) -> P.Message:
        """Send a command, wait for its ACK / answer; raise DeviceError on ERROR or time-out."""
        seq = self._send(msg)
        want = {P.GetInfo: P.Info, P.GetStatus: P.Status}.get(type(msg), P.Ack)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self._pump(0.05):
                if isinstance(m, P.Error) and m.ref_seq == seq and m.ref_type == msg.TYPE:
                    raise DeviceRefused(f"device refused {type(msg).__name__}: {m.describe()}")
                if isinstance(m, want) and (want is not P.Ack or (m.ref_seq == seq and m.ref_type == msg.TYPE)):
                    return m
            if self.proc.fmt == "csv":
                break
        raise DeviceTimeout(f"no answer to {type(msg).__name__} within {timeout:.1f} s")

    def _status(self, force: bool = False, reconnecting_s: float | None = None) -> None:
        """Report the live figures to ``on_status``; ``reconnecting_s``: the device is gone and is being
        reopened for that many seconds more."""
        if self.on_status is None or not self._answered:  # no status line before the device answered
            return
        now = self.log.now()
        t_prev, b_prev = self._last_status
        if not force and now - t_prev < self.status_interval_s:
            return
        s = self.proc.stats
        dt = max(now - t_prev, 1e-9)
        rate = 0.0
        if self.proc.fmt == "frames" and len(self.proc.batches) >= 2:
            recent = [b for b in self.proc.batches if b.arrival_s >= now - 2.0]
            if len(recent) >= 2:
                span = recent[-1].arrival_s - recent[0].arrival_s
                rate = sum(b.raw.shape[0] for b in recent[1:]) / span if span > 0 else 0.0
        elif self.proc.fmt == "csv" and s.samples > 1:
            rate = s.samples / max(now - self._t_start, 1e-9)
        self.on_status({"t": now, "samples": s.samples, "rate_hz": rate, "dropped": s.missing_samples,
                        "corrupt": s.frames_corrupt + s.csv_bad_lines, "bytes_per_s": (s.bytes - b_prev) / dt,
                        "disconnects": s.disconnects, "format": self.proc.fmt,
                        **({} if reconnecting_s is None else {"reconnecting_s": reconnecting_s})})
        self._last_status = (now, s.bytes)

    # ------------------------------------------------------------------ phases
    def _handshake(self) -> None:
        """Find out what speaks on the link, configure it and start streaming."""
        if self.proc.fmt == "csv":
            self._await_first_bytes()
        else:
            try:
                info = self._request(P.GetInfo(), self.opt.handshake_timeout_s)
            except DeviceError:
                if self.opt.fmt == "frames" or not self._looks_like_csv():
                    raise _no_answer(self.link, self.opt, self._looks_like_csv()) from None
                self._switch_to_csv()
                return
            self._configure(info)
        self._handshake_rx = None
        self._answered = True

    def _await_first_bytes(self) -> None:
        """``--format csv``: wait for the device's first bytes, so a silent port fails at once as "no device
        answered" (exit 2), not after the whole capture as "nothing received". Any byte will do (the format is
        given: no three lines to tell CSV from frames, as :func:`probe` needs) — a sketch printing a line a
        second or slower is not refused."""
        deadline = time.monotonic() + self.opt.handshake_timeout_s
        while self.proc.stats.bytes == 0:
            if time.monotonic() >= deadline:
                raise _no_answer(self.link, self.opt)
            self._pump(0.05)

    def _looks_like_csv(self) -> bool:
        return _csv_like(b"".join(d for d, _ in self._handshake_rx or []))

    def _switch_to_csv(self) -> None:
        self.messages.append("no protocol frames: reading plain CSV lines (ax,ay,az[,gx,gy,gz…])")
        self.proc = StreamProcessor("csv", csv_units=self.opt.csv_units)
        for data, t in self._handshake_rx or []:
            self.proc.feed(data, t)
        self.log.event("format", format="csv")
        self._handshake_rx = None
        self._answered = True

    def _configure(self, info: P.Info) -> None:
        mask = check_asked(info, self.opt)
        odr = self.opt.odr_hz if self.opt.odr_hz is not None else info.odr_hz
        if self.proc.segment > 0 or self.opt.reconnect or self.opt.stop_first:
            # a device we reconnect to may still be streaming from before: stop it first
            self._request(P.Stop(), 3.0)
        try:
            self._request(P.Configure(float(odr), self.opt.acc_range_g, self.opt.gyro_range_dps, mask, 0), 3.0)
        except DeviceError as exc:  # refused (ERROR reply) or no answer: the message names what it supports
            allowed = (f"ODRs {', '.join(f'{o:g}' for o in info.odrs_hz)} Hz; acc ±"
                       f"{', '.join(f'{r:g}' for r in info.acc_ranges_g)} g; gyro ±"
                       f"{', '.join(f'{r:g}' for r in info.gyro_ranges_dps)} dps")
            raise type(exc)(f"{exc} (device supports {allowed})") from None  # a time-out stays DeviceTimeout
        info = self._request(P.GetInfo(), 3.0)  # what the device actually set
        self.odr_hz = info.odr_hz
        remaining = max(1, round(self.opt.seconds * self.odr_hz) - self._received_in_run())
        self.received_before_run = self._received_in_run()
        self.n_target = remaining
        self.run_first_index = None
        self._request(P.Start(remaining), 3.0)
        self._run_t0 = self.log.now()
        self._status_asked = 0.0

    def _received_in_run(self) -> int:
        """Samples (received or missing) delivered towards the requested total, over all connections."""
        return self._delivered

    def _run_done(self) -> bool:
        if self.proc.fmt == "csv":
            return self.log.now() - self._t_start >= self.opt.seconds
        seg = [b for b in self.proc.batches[-1:] if b.segment == self.proc.segment]
        if not seg:
            return False
        if self.run_first_index is None:
            firsts = [b for b in self.proc.batches if b.segment == self.proc.segment]
            self.run_first_index = firsts[0].index
        got = seg[0].index + seg[0].raw.shape[0] - self.run_first_index
        self._delivered = self.received_before_run + got
        if got >= self.n_target:
            return True
        # after a reconnect to the same running device its clock goes on: the window
        # [t0, t0 + seconds) is full once the device time passed its end (time off-line is a gap)
        first_t, last = self.proc.batches[0].t0_s, seg[0]
        if self.proc.segment > 0 and last.t0_s >= first_t and \
                last.t0_s + (last.raw.shape[0] - 0.5) * last.period_s - first_t >= self.opt.seconds:
            return True
        # the last frames may have been lost: once the run should be over, ask the device
        now = self.log.now()
        if now - self._run_t0 > self.n_target / max(self.odr_hz, 1e-9) + 0.5:
            st = self.proc.status
            if st is not None and self._status_asked and not st.streaming:
                self.messages.append(f"device finished its {self.n_target} samples; the last "
                                     f"{self.n_target - got} were lost in transit")
                self._delivered = self.received_before_run + self.n_target
                return True
            if now - self._status_asked > 0.5:
                self.proc.status = None
                self._send(P.GetStatus())
                self._status_asked = now
        return False

    # ------------------------------------------------------------------ main
    def run(self) -> CaptureResult:
        o = self.opt
        header = {"format": "imuforge-rawlog", "stream": o.fmt, "label": o.label, "profile": o.profile,
                  "placement": o.placement, "subject": o.subject, "seconds": o.seconds,
                  "csv_units": o.csv_units, "csv_rate_hz": o.csv_rate_hz, "host": platform.node(),
                  "capture_time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        with SIGTERM.polling():  # SIGTERM stops the capture between reads (see _Sigterm)
            return self._run(header)

    def _run(self, header: dict[str, Any]) -> CaptureResult:
        self.link = self.open_link()
        header["link"] = self.link.description
        self._made_dirs = _missing_dirs(self.log_path.parent)  # removed again if nothing ever arrives
        self.log = rawlog.RawLogWriter(self.log_path, header)
        self._t_start = self.log.now()
        try:
            self.log.event("connect", link=self.link.description)
            self._handshake()
        except (DeviceError, LinkClosed) as exc:
            self._close()
            raise self._failed_start(exc) from None
        try:
            complete, disconnected = self._stream()
        except BaseException:
            self._close()
            raise
        with sigint_deferred(reraise=False) as pressed:  # the window is over: what arrived is built whatever
            self._close()                                 # is pressed (said to the caller)
            res = self._result(complete, disconnected)
        res.ctrl_c_after = bool(pressed) and not res.interrupted
        return res

    def _result(self, complete: bool, disconnected: bool) -> CaptureResult:
        o = self.opt
        try:
            rec = self.build() if self.proc.stats.samples else None
        except ValidationError as exc:  # what arrived is in the raw log: say how to rebuild it
            raise ValidationError(f"{exc.what}; what arrived is kept in {self.log_path} (imuforge capture "
                                  f"--recover {self.log_path} with the right options)", source=exc.source,
                                  allowed=exc.allowed) from None
        window = round(o.seconds * self.odr_hz) if self.proc.fmt == "frames" else 0
        res = CaptureResult(rec, self.log_path, self.proc.stats, complete, disconnected, self.messages, [],
                            bool(self._interrupted), window, self.stopped, self._interrupted)
        said = self.proc.info.profile if self.proc.info is not None else None
        if rec is not None and o.profile and said and said not in (o.profile, Path(o.profile).stem):
            res.warnings.append(f"--profile {o.profile}, but the device says it is {said}: the recording is "
                                f"stamped {o.profile} (its chip, rate and ranges are what calibrate and "
                                f"train will assume); leave out --profile to keep the device's")
        odr_note = self._odr_left_over()
        if rec is not None and odr_note:
            res.warnings.append(odr_note)
        if rec is not None and res.missing_fraction > MISSING_WARN_FRACTION:
            tail = res.lost_at_end
            total = len(rec) + res.missing_samples + tail
            res.warnings.append(
                f"{100 * res.missing_fraction:.1f} % of the samples are missing ({total - len(rec)} of {total}: "
                f"{res.missing_samples} in gaps" + (f", {tail} lost at the end" if tail > 0 else "")
                + f"; warning above {100 * MISSING_WARN_FRACTION:g} %): a poor capture for calibration")
        return res

    def _odr_left_over(self) -> str:
        """Without ``--odr`` the device keeps the rate it was last set to: after a capture at 1600 Hz the next
        one recorded at 1600 Hz without a word (a fresh user's run). Said when that is not its profile's."""
        info = self.proc.info
        if self.opt.odr_hz is not None or info is None or not info.profile or self.proc.fmt != "frames":
            return ""
        from imuforge.sensors import load_profile

        try:
            nominal = load_profile(info.profile).odr_hz
        except Exception:  # noqa: BLE001 - a board this machine has no profile of: nothing to compare
            return ""
        if abs(self.odr_hz - nominal) <= 1e-3 * nominal:
            return ""
        return (f"the device streamed at {self.odr_hz:g} Hz, its current rate (a rate an earlier capture set "
                f"stays; its profile {info.profile} runs at {nominal:g} Hz); pass --odr to choose the rate")

    def _close(self) -> None:
        self._status(force=True)
        self.log.close()
        if self.link is not None:
            self.link.close()

    def _failed_start(self, exc: Exception) -> Exception:
        """The error of a capture that never started. A raw log that received nothing is removed, and so is
        one whose device refused the configuration before any sample arrived (bad input leaves nothing)."""
        if isinstance(exc, DeviceRefused) and self.proc.stats.samples == 0:
            self._discard_log()
            return exc
        if self.proc.stats.bytes == 0:
            self._discard_log()
            where = "nothing arrived, so the empty raw log was removed"
            kept = None
        else:
            where = f"{self.proc.stats.bytes} bytes arrived; raw log kept at {self.log_path}"
            kept = self.log_path
        if isinstance(exc, NoDeviceAnswer):
            return NoDeviceAnswer(f"{exc}; {where}", kept)
        return type(exc)(f"{exc}; {where}")

    def _discard_log(self) -> None:
        """Remove the raw log of a capture that never started, and the (empty) folders made for it."""
        self.log_path.unlink(missing_ok=True)
        _remove_empty(self._made_dirs)

    def _stream(self) -> tuple[bool, bool]:
        """Read until the window is delivered (or the device stops); returns (complete, disconnected)."""
        o = self.opt
        disconnected = complete = False
        deadline = self.log.now() + o.seconds + o.grace_s
        self._stream_t0 = self.log.now()
        while True:
            try:
                checked = self.log.now()
                while not self._run_done():
                    if self.log.now() > deadline:
                        self.messages.append(
                            f"timed out after {o.seconds + o.grace_s:.0f} s with "
                            f"{self.proc.stats.samples} samples: the device stopped delivering")
                        break
                    self._pump(0.05)
                    self._check_stall()
                    if SIGTERM.received:
                        raise Terminated()  # handled below, as Ctrl-C is
                    if self.stop_check is not None and self.log.now() - checked >= self.check_interval_s:
                        checked = self.log.now()
                        self.stopped = self.stop_check(self) if self.proc.stats.samples else None
                        if self.stopped:
                            self.log.event("stopped", reason=self.stopped)
                            self.messages.append(f"stopped early: {self.stopped}")
                            break
                else:
                    complete = True
                self._stop()
                break
            except KeyboardInterrupt as exc:
                # the user (Ctrl-C) or the system (SIGTERM) stopped early: keep everything received
                self._interrupted = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
                self.log.event("interrupted", by=self._interrupted)
                how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
                self.messages.append(f"{how} after {self.proc.stats.samples} samples; kept them and what "
                                     f"arrived while stopping (raw log {self.log_path})")
                with sigint_deferred(reraise=False):  # a second Ctrl-C does not cut the stop short
                    self._stop()
                break
            except LinkClosed as exc:
                disconnected = True
                t = self.log.event("disconnect", reason=str(exc))  # (its time before closing: that may wait)
                self.proc.event("disconnect", t, reason=str(exc))
                self.link.close()  # the dead link's handle is let go (each link's close() takes a dead one)
                self.messages.append(f"device disconnected at {t - self._t_start:.1f} s after "
                                     f"{self.proc.stats.samples} samples: {exc}")
                if not o.reconnect or not self._reconnect(deadline + o.reconnect_window_s):
                    break
                deadline = self.log.now() + (o.seconds - self._delivered / max(self.odr_hz, 1e-9)) + o.grace_s
        return complete, disconnected

    def _check_stall(self) -> None:
        """Raise :class:`LinkClosed` when nothing arrived for :attr:`CaptureOptions.stall_s`: a device whose
        firmware hung behind a powered USB-serial bridge, or a BLE peer out of range whose link has not timed
        out yet, had held the capture silent to the end of its window (minutes, for a long one), and
        ``--reconnect`` never tried."""
        odr = self.odr_hz or self.opt.csv_rate_hz or 0.0  # (a CSV sketch's rate is known if given)
        limit = self.opt.stall_s if self.opt.stall_s is not None else stall_after_s(odr)
        silent = self.log.now() - max(self._last_rx, self._stream_t0)
        if limit and silent > limit:
            rate = f" at {odr:g} Hz" if odr else ""
            raise LinkClosed(f"nothing received for {silent:.1f} s while streaming{rate} (the device hung, "
                             "reset or went out of range)")

    def _stop(self) -> None:
        if self.proc.fmt != "frames":
            return
        try:
            self._request(P.Stop(), 2.0)
        except DeviceError as exc:
            self.messages.append(f"STOP not acknowledged: {exc}")
        except LinkClosed:
            self.messages.append("device went away while stopping")

    def _reconnect(self, until: float) -> bool:
        """Reopen the link and handshake again until ``until``; "reconnected" is said once the device answers
        (a port that reopens on a hung device had been said "reconnected" at every try), the failed tries as
        one line with their count and the last reason."""
        failed: list[str] = []
        while self.log.now() < until and not SIGTERM.received:
            self._status(force=True, reconnecting_s=until - self.log.now())  # said, not a frozen line
            time.sleep(0.3)
            try:
                self.link = self.open_link()
            except LinkClosed:
                continue
            t = self.log.event("reconnect", link=self.link.description)
            self.proc.event("reconnect", t)
            try:
                self._handshake_rx = []
                self._handshake()
                self._stream_t0 = self.log.now()  # the stall clock starts again with the new run
                self.messages.append(f"reconnected at {t - self._t_start:.1f} s")
                return True
            except (DeviceError, LinkClosed) as exc:
                failed.append(str(exc))
                self.link.close()
        if failed:
            self.messages.append(f"the link reopened {len(failed)} time(s), the device did not answer: "
                                 f"{failed[-1]}")
        self.messages.append("could not reconnect; keeping what arrived")
        return False

    def build(self) -> Recording:
        o = self.opt
        return self.proc.build(label=o.label, profile=o.profile, placement=o.placement, subject=o.subject,
                               rate_hz=o.csv_rate_hz, window_s=o.seconds,
                               provenance=_provenance(self.log.header, self.log_path))


def _missing_dirs(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    return [d for d in (folder, *folder.parents) if not d.exists()]


def _remove_empty(dirs: list[Path]) -> None:
    """Remove the folders a capture made (deepest first) while they are empty: never anything in them."""
    for d in dirs:
        try:
            d.rmdir()
        except OSError:  # not empty (something else was put there), or gone
            return


def _provenance(header: dict[str, Any], log_path: Path) -> dict[str, Any]:
    return {"capture_time": header.get("capture_time"), "host": header.get("host"), "link": header.get("link"),
            "raw_log": Path(log_path).name}


#: a line of numbers as CSV-mode sketches print them (``0.01,-0.98,0.02`` …; comma, TAB or space)
_NUMBER_LINE = re.compile(rb"^[ \t]*[-+]?(\d|\.\d)[-+0-9.eE, \t]*\r?$")


def _csv_like(blob: bytes) -> bool:
    """Whether bytes from a device look like CSV sample lines: three lines of numbers or more, holding most
    of the bytes. A stray byte — a 0x00 a sketch or a USB bridge sends at boot — no longer hides them (one
    had made a CSV device "not answer", and its raw log unreadable); imuforge frames (COBS, a 0x00 after
    each) hold no such lines."""
    lines = [ln for ln in blob.split(b"\n") if _NUMBER_LINE.match(ln)]
    return len(lines) >= 3 and sum(len(ln) + 1 for ln in lines) >= 0.5 * len(blob)


def _no_answer(link: Link, options: CaptureOptions, csv_seen: bool = False) -> NoDeviceAnswer:
    """No device answered; ``csv_seen``: CSV sample lines did arrive, which ``--format frames`` does not
    read."""
    if csv_seen and options.fmt == "frames":
        return NoDeviceAnswer(f"no imuforge device answered on {link.description} within "
                              f"{options.handshake_timeout_s:.1f} s; CSV sample lines arrived, and --format "
                              "frames reads imuforge frames only (allowed: --format auto, the default, or "
                              "--format csv)")
    return NoDeviceAnswer(f"no imuforge device answered on {link.description} within "
                          f"{options.handshake_timeout_s:.1f} s, and no CSV sample lines arrived "
                          "(check the port, the baud rate and that the sketch is running)")


def channel_mask_for(info: P.Info, channels: tuple[str, ...] | None) -> int:
    """The channel mask to configure on the device ``info`` describes: ``channels``, or None for its
    accelerometer and gyroscope, those it has (an AX3 streams acceleration only). :class:`DeviceRefused`
    names the groups it has when ``channels`` asks for one it lacks."""
    groups = P.mask_groups(info.channel_mask)
    wanted = channels
    if wanted is None:
        wanted = tuple(g for g in ("acc", "gyro") if g in groups) or tuple(groups)
    mask = P.groups_mask(wanted)
    if mask & ~info.channel_mask:
        has, asked = ",".join(groups), ",".join(wanted)
        raise DeviceRefused(f"device {info.device_id or info.board} has channels {has}; "
                            f"asked for {asked} (allowed: --channels {has}, or a part of it)")
    return mask


def check_asked(info: P.Info, options: CaptureOptions) -> int:
    """What ``options`` ask of the device ``info`` describes, checked against what it lists (channels, ODR,
    ranges): :class:`DeviceRefused` naming what it supports; returns the channel mask. Called at the
    handshake and by :func:`probe`, so a guided session is refused before its first prompt, not after it."""
    mask = channel_mask_for(info, options.channels)
    odr = options.odr_hz if options.odr_hz is not None else info.odr_hz
    if info.odrs_hz and not any(abs(odr - o) < 1e-3 * max(o, 1.0) for o in info.odrs_hz):
        raise DeviceRefused(f"ODR {odr:g} Hz not supported by {info.board} "
                            f"(allowed: {', '.join(f'{o:g}' for o in info.odrs_hz)} Hz)")
    for flag, asked, listed, unit in (("--range-g", options.acc_range_g, info.acc_ranges_g, "g"),
                                      ("--range-dps", options.gyro_range_dps, info.gyro_ranges_dps, "dps")):
        if asked and listed and not any(abs(asked - r) < 1e-6 * max(r, 1.0) for r in listed):
            raise DeviceRefused(f"{flag} {asked:g} not supported by {info.board} "
                                f"(allowed: {', '.join(f'{r:g}' for r in listed)} {unit}, or 0 for its "
                                "default)")
    return mask


def probe(link: Link, options: CaptureOptions) -> str:
    """Check that a device answers on the open ``link`` (before a person is asked to do anything):
    ``"frames"`` when an imuforge device answers GET_INFO, ``"csv"`` when CSV sample lines arrive
    (``options.fmt`` allowing). Raises :class:`NoDeviceAnswer` after ``options.handshake_timeout_s``
    without either, :class:`LinkClosed` when the link fails. Nothing is configured or started."""
    dec, blob = P.FrameDecoder(), bytearray()
    if options.fmt != "csv":
        link.write(P.encode_frame(P.GetInfo(), 0))
    deadline = time.monotonic() + options.handshake_timeout_s
    while time.monotonic() < deadline:
        data = link.read(0.05)
        frames = dec.feed(data) if options.fmt != "csv" else []
        frame = next((f for f in frames if f.type == P.Info.TYPE), None)
        if frame is not None:  # an imuforge device: it also has what the capture will ask of it
            check_asked(frame.message(), options)
            return "frames"
        blob += data[: max(0, 65536 - len(blob))]  # enough to tell CSV lines from frames
        if options.fmt != "frames" and _csv_like(bytes(blob)):
            return "csv"
    raise _no_answer(link, options, _csv_like(bytes(blob)))


def capture(open_link: Callable[[], Link], log_path: str | Path, options: CaptureOptions, *,
            on_status: Callable[[dict[str, Any]], None] | None = None,
            stop_check: Callable[[CaptureSession], str | None] | None = None) -> CaptureResult:
    """Run one capture; see :class:`CaptureSession`."""
    return CaptureSession(open_link, log_path, options, on_status=on_status, stop_check=stop_check).run()


def recover(log_path: str | Path, *, label: str | None = None, profile: str | None = None,
            placement: str | None = None, subject: str | None = None,
            csv_units: dict[str, str] | None = None) -> tuple[Recording, dict[str, Any]]:
    """Rebuild the Recording from a raw log (also one cut short by a crash, or with a damaged header).

    ``csv_units`` (group → unit, e.g. ``{"acc": "mg"}``) replaces the units the log's header recorded for a
    CSV-mode capture: a capture refused for a wrong unit is rebuilt with the right one.

    Returns (recording, report) where report says whether the log ended in a torn record, whether
    its header was damaged (``header_damaged``: its settings are lost; the protocol frames after it are
    still read — they carry their own scales and timestamps) and what the processor counted.
    """
    if not Path(log_path).is_file():
        raise ValidationError(f"no such raw log: {log_path}", allowed="a .rawlog written by imuforge capture")
    header, records, info = rawlog.read_log(log_path)
    units = {**(header.get("csv_units") or {}), **(csv_units or {})} or None
    proc = _replay(records, "csv" if header.get("stream") == "csv" else "frames", units)
    if (proc.fmt == "frames" and not proc.stats.samples and header.get("stream") != "frames"
            and _csv_like(b"".join(r.data for r in records if r.kind == rawlog.RX))):
        proc = _replay(records, "csv", units)  # CSV lines the capture did not recognise (it stopped at once)
    if csv_units and proc.fmt != "csv":  # frames carry their own units: the option would do nothing
        raise ValidationError("--csv-acc-unit / --csv-gyro-unit with a log of imuforge frames, which carry "
                              "their own units", source=str(log_path),
                              allowed="the CSV units for a log of a CSV-mode capture, or leave them out")
    unread = info["header_damaged"] and not ({"stream", "csv_units"} <= set(header) and proc.fmt == "csv")
    if unread and (proc.fmt != "frames" or not proc.stats.samples):
        # CSV lines are read with the units the lost header held: guessing them could scale the data wrongly
        raise ValidationError(f"corrupt raw log header ({info['header_damaged']}); the {len(records)} "
                              "records after it hold no protocol frames (a CSV-mode log cannot be read "
                              "without the units its header held)", source=str(log_path),
                              allowed="a .rawlog written by imuforge capture")
    info["header_lost"] = [k for k in ("label", "profile", "placement", "subject") if k not in header] \
        if info["header_damaged"] else []
    rec = proc.build(label=label or header.get("label"), profile=profile or header.get("profile"),
                     placement=placement or header.get("placement"), subject=subject or header.get("subject"),
                     rate_hz=header.get("csv_rate_hz"), window_s=header.get("seconds"),
                     provenance=_provenance(header, Path(log_path)))
    return rec, {"records": len(records), **info, "stats": vars(proc.stats), "asked_s": header.get("seconds")}


def _replay(records: list[rawlog.LogRecord], fmt: str, csv_units: dict | None) -> StreamProcessor:
    """Feed a raw log's records through a StreamProcessor, as the capture did (format switch, link events)."""
    proc = StreamProcessor(fmt, csv_units=csv_units)
    for r in records:
        if r.kind == rawlog.RX:
            proc.feed(r.data, r.t)
        elif r.kind == rawlog.EVENT:
            ev = r.event()
            name = ev.pop("event")
            if name == "format" and ev.get("format") == "csv" and proc.fmt != "csv":
                old = proc
                proc = StreamProcessor("csv", csv_units=csv_units)
                for r2 in records:
                    if r2.kind == rawlog.RX and r2.t <= r.t:
                        proc.feed(r2.data, r2.t)
                proc.events = old.events
            elif name in ("disconnect", "reconnect"):
                proc.event(name, r.t, **ev)
    return proc
