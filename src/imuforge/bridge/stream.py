"""Turning received bytes into a Recording: one processor for live capture and log recovery.

:class:`StreamProcessor` consumes what a link delivered (bytes with their host arrival time, plus
connection events) and keeps sample batches, device info, errors and counters. Live capture and
:func:`imuforge.bridge.capture.recover` feed it the same records, so a recovered Recording is the
one the capture would have written.

Timestamps: each SAMPLES batch carries the device time of its first sample and the sample period
on the device clock; per-sample device times are mapped to host time with
:func:`imuforge.bridge.clock.fit_clock` per connection segment. Missing sample indices stay
missing: a gap in the device counter is a gap in the timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from imuforge.bridge import protocol as P
from imuforge.bridge.clock import ClockFit, fit_clock
from imuforge.bridge.csvmode import CsvLineParser, measure_line_rate, unit_scales
from imuforge.errors import ValidationError
from imuforge.recording import MAX_ABS_SI, Recording
from imuforge.units import CHANNEL_UNITS


def placement_of(profile: str | None, placement: str | None) -> tuple[str | None, str]:
    """The placement a capture records and where it came from (for the provenance).

    Given (``capture --placement``), it is the wearer's word. Otherwise the device profile's default
    placement stands in and the provenance says it was the default, not measured; with no loadable
    profile the placement stays unknown (None).
    """
    if placement is not None:
        return placement, "given (capture --placement)"
    if not profile:
        return None, "unknown: no --placement and no device profile"
    from imuforge.sensors.profiles import load_profile

    try:
        default = load_profile(profile).default_placement
    except ValidationError as exc:
        return None, f"unknown: no --placement, and profile {profile!r} does not load ({exc.what})"
    return default, f"default of profile {profile!r} (not measured: no --placement given)"


@dataclass
class Batch:
    segment: int
    index: int  # unwrapped device sample index of the first sample
    t0_s: float  # device time of the first sample (s)
    period_s: float
    mask: int
    scales: tuple[float, ...]
    raw: np.ndarray  # (n, ch) int16
    arrival_s: float  # host time the frame arrived


@dataclass
class StreamStats:
    """Live counters for the status line and the Recording's provenance."""

    bytes: int = 0
    samples: int = 0
    missing_samples: int = 0  # gaps in the device sample counter (lost frames or device overflow)
    frames_ok: int = 0
    frames_corrupt: int = 0
    frames_lost: int = 0
    device_errors: int = 0
    duplicates: int = 0
    disconnects: int = 0
    csv_lines: int = 0
    csv_bad_lines: int = 0
    csv_lost_at_end: int = 0  # unreadable sample lines after the last one read (no gap: none came after)


class StreamProcessor:
    """Decode frames (or CSV lines) and gather samples; see module doc."""

    def __init__(self, fmt: str = "frames", *, csv_units: dict[str, str] | None = None):
        if fmt not in ("frames", "csv"):
            raise ValidationError(f"unknown stream format {fmt!r}", allowed="frames, csv")
        self.fmt = fmt
        self.decoder = P.FrameDecoder()
        self.csv = CsvLineParser()
        self.csv_scales = unit_scales(csv_units)
        self.csv_units = csv_units or {}
        self.batches: list[Batch] = []
        self.info: P.Info | None = None
        self.status: P.Status | None = None
        self.errors: list[P.Error] = []
        self.acks: list[P.Ack] = []
        self.events: list[dict[str, Any]] = []
        self.segment = 0
        self.stats = StreamStats()
        self._index_hi = 0  # for unwrapping the u32 sample counter
        self._last_index: int | None = None
        self._seen_last: int | None = None

    # ------------------------------------------------------------------ input
    def feed(self, data: bytes, t: float) -> list[P.Message]:
        """Process received bytes that arrived at host time ``t``; returns non-sample messages."""
        self.stats.bytes += len(data)
        if self.fmt == "csv":
            n = self.csv.feed(data, t)
            if n and self.stats.samples == 0:  # the first lines: another unit fails now, not at the end
                self._check_csv_span(np.vstack(self.csv.rows))
            self.stats.samples += n
            self.stats.csv_lines = self.csv.lines_ok
            self.stats.csv_bad_lines = self.csv.lines_bad
            return []
        out: list[P.Message] = []
        for frame in self.decoder.feed(data):
            try:
                msg = frame.message()
            except P.ProtocolError as exc:
                # a frame with a good CRC but a bad payload: a device bug, counted as corrupt
                self.decoder.stats.frames_corrupt += 1
                self.decoder.stats.last_error = str(exc)
                continue
            if isinstance(msg, P.Samples):
                self._add_batch(msg, t)
            else:
                if isinstance(msg, P.Info):
                    self.info = msg
                elif isinstance(msg, P.Status):
                    self.status = msg
                elif isinstance(msg, P.Error):
                    self.errors.append(msg)
                    self.stats.device_errors += 1
                elif isinstance(msg, P.Ack):
                    self.acks.append(msg)
                out.append(msg)
        s = self.decoder.stats
        self.stats.frames_ok, self.stats.frames_corrupt, self.stats.frames_lost = (
            s.frames_ok, s.frames_corrupt, s.frames_lost)
        return out

    def event(self, name: str, t: float, **fields) -> None:
        """A connection event (``disconnect``, ``reconnect``): starts a new clock segment."""
        self.events.append({"event": name, "t": t, **fields})
        if name == "disconnect":
            self.stats.disconnects += 1
        if name == "reconnect":
            self.segment += 1
            self.decoder.reset_sequence()
            self.csv._buf = b""

    def _add_batch(self, msg: P.Samples, t: float) -> None:
        idx32 = msg.index
        if self._last_index is not None:
            last32 = self._last_index & 0xFFFFFFFF
            if idx32 < last32 and last32 - idx32 > 0x80000000:
                self._index_hi += 1 << 32  # the u32 counter wrapped
        index = self._index_hi + idx32
        prev = self.batches[-1] if self.batches else None
        if prev is not None and prev.segment == self.segment and index <= prev.index:
            # the counter went backwards without a reconnect: the device was reset
            self.segment += 1
        elif prev is not None and index > self._seen_last + 1:
            # a gap in the counter, also across a reconnect (samples made while off-line)
            self.stats.missing_samples += index - self._seen_last - 1
        self._last_index = index
        self._seen_last = index + msg.n - 1
        self.batches.append(Batch(self.segment, index, msg.t0_us * 1e-6, msg.period_ns * 1e-9, msg.channel_mask,
                                  msg.scales, np.asarray(msg.raw, dtype=np.int16), t))
        self.stats.samples += msg.n

    # ------------------------------------------------------------------ output
    def sample_time_span(self) -> float:
        """Device-time span of the samples received in the current segment (s)."""
        if self.fmt == "csv":
            return 0.0
        segs = [b for b in self.batches if b.segment == self.segment]
        if not segs:
            return 0.0
        first, last = segs[0], segs[-1]
        return (last.t0_s + (last.raw.shape[0]) * last.period_s) - first.t0_s

    def build(self, *, label: str | None = None, profile: str | None = None, placement: str | None = None,
              subject: str | None = None, rate_hz: float | None = None, window_s: float | None = None,
              provenance: dict[str, Any] | None = None) -> Recording:
        """The Recording of everything received so far (see module doc for timestamps).

        ``window_s``: keep exactly the samples in [t0, t0 + window_s) of device time (t0: the
        first sample), i.e. ``round(window_s · ODR)`` sample slots; a slot without its sample is
        a gap. ``stats.missing_samples`` becomes the number of such gaps inside the recording, the
        same count :meth:`Recording.gaps` reports.
        """
        if self.fmt == "csv":
            times, data, channels, rate, clock = self._build_csv(rate_hz, window_s)
        else:
            times, data, channels, rate, clock = self._build_frames(window_s)
        t0 = float(times[0])
        times = times - t0
        labels = [(0.0, float(times[-1]) + 1.0 / rate, label)] if label else []
        prov = {
            "source": "capture",
            "format": self.fmt,
            "stats": vars(self.stats).copy(),
            "clock": clock,
            "events": self.events,
            "device_errors": [e.describe() for e in self.errors][:100],
        }
        if self.info is not None:
            prov["device"] = {
                "device_id": self.info.device_id, "firmware": self.info.firmware, "board": self.info.board,
                "chips": self.info.chips, "profile": self.info.profile,
            }
            prov["device_id"] = self.info.device_id
        if self.batches:
            prov["first_sample_index"] = int(self.batches[0].index)
        prov.update(provenance or {})
        if profile is None and self.info is not None and self.info.profile:
            profile = self.info.profile
        placement, prov["placement_source"] = placement_of(profile, placement)
        return Recording(times, data, channels, rate, profile=profile, placement=placement, labels=labels,
                         subject=subject, provenance=prov)

    def _build_frames(self, window_s: float | None = None):
        if not self.batches:
            raise ValidationError("no samples were received", allowed="a device that streams SAMPLES frames")
        masks = {b.mask for b in self.batches}
        if len(masks) > 1:
            raise ValidationError(f"channel set changed during the capture (masks {sorted(masks)})")
        mask = masks.pop()
        channels = P.mask_channels(mask)
        n = np.array([b.raw.shape[0] for b in self.batches])
        dev_t = (np.repeat([b.t0_s for b in self.batches], n)
                 + _ranks(n) * np.repeat([b.period_s for b in self.batches], n))
        seg = np.repeat([b.segment for b in self.batches], n)
        raw = np.vstack([b.raw for b in self.batches]).astype(np.float64)
        scale = np.vstack([np.repeat(np.asarray(b.scales, dtype=np.float32).astype(np.float64), 3)
                           for b in self.batches])
        data = raw * np.repeat(scale, n, axis=0)
        # clock mapping per device time base, from (device time of each batch's last sample, arrival):
        # connection segments whose counter goes on (a reconnect to the running device) share one
        # time base and one fit, so the time off-line maps to exactly the slots the counter skipped
        period = self.batches[0].period_s
        seg = _time_bases(dev_t, seg, period)
        host = np.empty_like(dev_t)
        last_dev = np.array([b.t0_s + (b.raw.shape[0] - 1) * b.period_s for b in self.batches])
        arrival = np.array([b.arrival_s for b in self.batches])
        bseg = seg[np.cumsum(n) - 1]
        fits: list[ClockFit] = []
        intervals, span = 0, 0.0
        for s in np.unique(seg):
            m = bseg == s
            fit = fit_clock(last_dev[m], arrival[m])
            fits.append(fit)
            sm = seg == s
            host[sm] = fit.map(dev_t[sm])
            # measured rate from this time base: sample periods of device time over mapped time
            intervals += float(dev_t[sm].max() - dev_t[sm].min()) / period
            span += float(host[sm].max() - host[sm].min())
        rate = intervals / span if intervals > 0 and span > 0 else 1.0 / period
        # every sample gets its slot on one time line; order by slot, drop duplicates
        slots = _sample_slots(dev_t, seg, host, period, rate)
        order = np.lexsort((host, slots))
        host, data, slots = host[order], data[order], slots[order]
        keep = np.r_[True, (np.diff(slots) > 0) & (np.diff(host) > 0)]
        self.stats.duplicates = int((~keep).sum())  # assigned: building again counts the same
        host, data, slots = host[keep], data[keep], slots[keep]
        if window_s is not None:
            inside = slots - slots[0] < max(1, int(round(window_s / period)))
            host, data, slots = host[inside], data[inside], slots[inside]
        self.stats.missing_samples = int(slots[-1] - slots[0] + 1 - slots.size)
        clock = {"segments": [f.to_dict() for f in fits], "nominal_rate_hz": 1.0 / self.batches[0].period_s}
        return host, data, channels, rate, clock

    def _check_csv_span(self, rows: np.ndarray) -> None:
        units = {"acc": "g", "gyro": "dps", "mag": "uT", **self.csv_units}
        problem = _csv_span_problem(rows, self.csv_scales, units)
        if problem is not None:
            raise ValidationError(problem, allowed="the unit the device prints: --csv-acc-unit g, mg or "
                                                   "m/s^2; --csv-gyro-unit dps, mdps or rad/s")

    def _build_csv(self, rate_hz: float | None, window_s: float | None = None):
        rows, arrival, slots = self.csv.values()
        if rows.shape[0] == 0:
            raise ValidationError("no CSV sample lines were received",
                                  allowed="lines of 3, 6 or 9 numbers: ax,ay,az[,gx,gy,gz[,mx,my,mz]]")
        groups = ("acc", "gyro", "mag")[: rows.shape[1] // 3]
        channels = tuple(f"{g}_{a}" for g in groups for a in "xyz")
        factors = np.repeat([self.csv_scales[g] for g in groups], 3)
        self._check_csv_span(rows)
        data = rows * factors
        if rate_hz is None:
            rate, details = measure_line_rate(arrival, slots)
        else:
            rate, details = float(rate_hz), {"method": "given by the user"}
        # sample lines from the first one read to the last one seen, read or not: lines that could not be read
        # after the last good one (a device that changed its columns) are missing too, not a shorter capture
        seen = int(self.csv.sample_lines - slots[0])
        slots = slots - slots[0]  # a line that could not be read keeps its slot: a gap, not a shift
        if window_s is not None:  # the lines in [0, window_s) at the rate: round(window_s · rate) slots as
            # frames have (ceil gave a rate measured a hair above 50 Hz 251 slots in 5 s: a fresh user's run)
            n_window = max(1, round(window_s * rate))
            inside = slots < n_window
            data, slots = data[inside], slots[inside]
            seen = min(seen, n_window)
        times = slots / rate
        self.stats.missing_samples = int(slots[-1] + 1 - slots.size)
        self.stats.csv_lost_at_end = int(max(0, seen - (slots[-1] + 1)))
        details["units"] = {g: self.csv_units.get(g, u) for g, u in
                            (("acc", "g"), ("gyro", "dps"), ("mag", "uT")) if g in groups}
        details["header"] = self.csv.header
        details["errors"] = self.csv.errors[:20]
        return times, data, channels, rate, details


def _csv_unit_flag(group: str) -> str:
    return {"acc": "--csv-acc-unit", "gyro": "--csv-gyro-unit"}.get(group, "the CSV header's unit")


def _csv_span_problem(rows: np.ndarray, scales: dict[str, float], units: dict[str, str]) -> str | None:
    """Why CSV rows (edge units) in ``units`` lie beyond any sensor (:data:`MAX_ABS_SI`), or None."""
    for k, g in enumerate(("acc", "gyro", "mag")[: rows.shape[1] // 3]):
        top = float(np.abs(rows[:, 3 * k:3 * k + 3]).max()) if rows.size else 0.0
        si = top * abs(scales[g])  # a minus unit (-g: Core Motion's sign) turns the values, not their size
        if si > MAX_ABS_SI[g]:
            return (f"CSV {g} values up to {top:g} read as {units.get(g, 'the default unit')} are "
                    f"{si:.3g} {CHANNEL_UNITS[g]}, beyond any body-worn sensor: raw counts, or "
                    f"another unit than {_csv_unit_flag(g)} says?")
    return None


def _time_bases(dev_t: np.ndarray, seg: np.ndarray, period_s: float) -> np.ndarray:
    """Per sample, the device time base it belongs to: connection segments are merged while the
    device clock goes on (a reconnect to the running device: its first sample is later than the
    last one received), a new base starts where it did not (device reset). Nothing is merged onto
    samples already there, so no received sample can be taken for a duplicate of another."""
    out = np.empty_like(seg)
    base, last_t = 0, None
    for s in dict.fromkeys(seg.tolist()):  # segments in arrival order (a handful)
        m = seg == s
        if last_t is not None and float(dev_t[m].min()) < last_t + 0.5 * period_s:
            base += 1
        out[m] = base
        last_t = float(dev_t[m].max())
    return out


def _sample_slots(dev_t: np.ndarray, base: np.ndarray, host: np.ndarray, period_s: float,
                  rate_hz: float) -> np.ndarray:
    """Each sample's slot on one time line, 0 = the first sample: its device time in sample
    periods, so time off-line or stopped is missing slots. A time base after a device reset is
    placed after the previous one by the host-time gap."""
    slots = np.empty(dev_t.size, dtype=np.int64)
    offset, last_slot, last_host = 0, None, 0.0
    for b in dict.fromkeys(base.tolist()):  # time bases in arrival order (a handful)
        m = base == b
        k = np.rint((dev_t[m] - dev_t[m].min()) / period_s).astype(np.int64)
        if last_slot is not None:
            offset = last_slot + max(1, int(round((float(host[m].min()) - last_host) * rate_hz)))
        slots[m] = k + offset
        last_slot, last_host = int(slots[m].max()), float(host[m].max())
    return slots - slots.min()


def _ranks(n: np.ndarray) -> np.ndarray:
    """0..n_i-1 for each group size n_i, concatenated (vectorised)."""
    total = int(n.sum())
    starts = np.repeat(np.cumsum(n) - n, n)
    return np.arange(total) - starts
