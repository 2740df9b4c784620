"""Plain CSV line mode: capture sketches that print ``ax,ay,az[,gx,gy,gz[,mx,my,mz]]`` lines.

Covers Edge Impulse data-forwarder style sketches (values split on ``,``, TAB or space) and the
Arduino TinyML ``IMU_Capture`` sketch (header ``aX,aY,aZ,gX,gY,gZ``, blank line between
gestures). Non-numeric lines are headers (first ones) or errors (``ERR...``) and are counted,
never turned into samples. The sample rate is measured from line arrival times with the
lower-envelope fit of :mod:`imuforge.bridge.clock` (bursty USB delivery and an initial back-log
only ever add delay, so they do not bias it).

Every line that stands for a sample keeps its place: a line that could not be read (a NaN, a field that is
not a number, too few values, text after the first sample) is a missing sample, a gap of one slot in the
recording's time line, not a line dropped from it (which would shift every later sample and pull the
measured rate down).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from imuforge.bridge.clock import envelope_slope
from imuforge.errors import ValidationError
from imuforge.units import to_si_factor

_SPLIT = re.compile(rb"[,\t ]+")
_NUMERIC = re.compile(rb"^[\s,]*[-+]?(\d|\.\d)")

#: Default units of CSV values per channel group (Arduino IMU_Capture prints g and °/s).
DEFAULT_UNITS = {"acc": "g", "gyro": "dps", "mag": "uT"}


def unit_scales(units: dict[str, str] | None = None) -> dict[str, float]:
    """SI factor per group from unit names (``g``, ``m/s^2``, ``mg``, ``dps``, ``rad/s``, ``uT``…)."""
    u = dict(DEFAULT_UNITS, **(units or {}))
    out = {}
    for g, name in u.items():
        out[g] = to_si_factor(g, name, source="CSV line mode")
    return out


@dataclass
class CsvLineParser:
    """Incremental CSV line parser: feed chunks with their arrival time, collect rows."""

    rows: list[np.ndarray] = field(default_factory=list)  # float arrays (m, ncols), edge units
    arrival: list[np.ndarray] = field(default_factory=list)  # host time per row (s)
    slots: list[np.ndarray] = field(default_factory=list)  # each row's place among the sample lines
    ncols: int | None = None
    header: list[str] | None = None
    lines_ok: int = 0
    lines_bad: int = 0
    errors: list[str] = field(default_factory=list)
    _buf: bytes = b""
    _next_slot: int = 0  # sample lines (read or not) so far
    _sampled: bool = False  # a line of numbers came: text after it is a broken sample line, not a header

    def feed(self, data: bytes, t: float) -> int:
        """Add received bytes that arrived at host time ``t`` (s); returns rows completed."""
        buf = self._buf + data
        cut = buf.rfind(b"\n")
        if cut < 0:
            self._buf = buf[-4096:]
            return 0
        self._buf = buf[cut + 1:]
        lines = [ln.strip() for ln in buf[:cut].split(b"\n")]
        lines = [ln for ln in lines if ln]
        is_num = [bool(_NUMERIC.match(ln)) for ln in lines]
        numeric = [ln for ln, n in zip(lines, is_num) if n]
        # each sample line's slot: numeric lines, and text lines that stand where a sample was (not a header
        # or an ERR message)
        takes = np.array([self._numeric_line() if n else self._text_line(ln) for ln, n in zip(lines, is_num)],
                         dtype=bool)
        slot_of = self._next_slot + np.cumsum(takes) - 1
        self._next_slot += int(takes.sum())
        numeric_slots = slot_of[np.asarray(is_num, dtype=bool)] if lines else slot_of
        if not numeric:
            return 0
        # vectorised parse: all numeric lines at once; per-line fallback only when shapes disagree
        fields = [_SPLIT.split(ln.strip(b", \t")) for ln in numeric]
        counts = np.fromiter((len(f) for f in fields), dtype=np.int64, count=len(fields))
        if self.ncols is None:
            vals, cnts = np.unique(counts[np.isin(counts, (3, 6, 9))], return_counts=True)
            if vals.size == 0:
                self.lines_bad += len(numeric)
                return 0
            self.ncols = int(vals[np.argmax(cnts)])
        good = counts == self.ncols
        self.lines_bad += int((~good).sum())
        flat = [x for f, g in zip(fields, good) if g for x in f]
        if not flat:
            return 0
        good_slots = numeric_slots[good]
        try:
            arr = np.array(flat, dtype=np.float64).reshape(-1, self.ncols)
            ok = np.isfinite(arr).all(axis=1)
        except ValueError:  # a field that is not a number: parse line by line
            arr_rows, ok_list = [], []
            for f, g in zip(fields, good):
                if not g:
                    continue
                try:
                    arr_rows.append(np.array(f, dtype=np.float64))
                    ok_list.append(bool(np.isfinite(arr_rows[-1]).all()))
                except ValueError:
                    arr_rows.append(np.full(self.ncols, np.nan))
                    ok_list.append(False)
            arr, ok = np.vstack(arr_rows), np.array(ok_list)
        self.lines_bad += int((~ok).sum())
        arr = arr[ok]
        self.rows.append(arr)
        self.arrival.append(np.full(arr.shape[0], t))
        self.slots.append(good_slots[ok])
        self.lines_ok += arr.shape[0]
        return arr.shape[0]

    @property
    def sample_lines(self) -> int:
        """The sample lines so far, read or not (each line's slot counts from 0)."""
        return self._next_slot

    def _numeric_line(self) -> bool:
        self._sampled = True
        return True

    def _text_line(self, ln: bytes) -> bool:
        """Count a line that is not numbers; whether it stands where a sample was (a line that could not be
        read, after the first line of numbers) rather than a header or an ERR message."""
        text = ln.decode("utf-8", "replace")
        if text.upper().startswith("ERR"):
            self.errors.append(text)
            return False
        if not self._sampled and self.header is None:
            self.header = [h for h in re.split(r"[,\t ]+", text) if h]
            return False
        self.lines_bad += 1
        return self._sampled

    def values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows (n, ncols) in edge units, arrival times (n,), each row's slot among the sample lines
        (n,))."""
        if not self.rows:
            return np.zeros((0, self.ncols or 0)), np.zeros(0), np.zeros(0, dtype=np.int64)
        return np.vstack(self.rows), np.concatenate(self.arrival), np.concatenate(self.slots)


def measure_line_rate(arrival_s: np.ndarray, slots: np.ndarray | None = None) -> tuple[float, dict]:
    """Sample rate (Hz) from line arrival times: slope of the lower envelope of arrival vs each line's slot
    among the sample lines (``slots``; default: their order, no line missing).

    Robust to bursty delivery (many lines per USB packet / read) and an initial back-log.
    Returns (rate_hz, details).
    """
    t = np.asarray(arrival_s, dtype=np.float64)
    n = t.size
    if n < 3 or t[-1] - t[0] <= 0:
        raise ValidationError(f"cannot measure the line rate from {n} lines arriving over "
                              f"{(t[-1] - t[0]) if n else 0:.3f} s", allowed="at least ~1 s of streaming, or pass --rate")
    k = np.arange(n, dtype=np.float64) if slots is None else np.asarray(slots, dtype=np.float64)
    slope, _, npts, rms = envelope_slope(k, t, n_bins=int(np.clip(n // 20, 2, 48)))
    if not slope > 0:
        raise ValidationError("line arrival times do not increase; cannot measure the rate", allowed="pass --rate")
    naive = (k[-1] - k[0]) / (t[-1] - t[0])
    return 1.0 / slope, {"method": "lower-envelope fit of arrival time vs line index", "envelope_points": npts,
                         "residual_s": rms, "naive_rate_hz": naive, "lines": n}
