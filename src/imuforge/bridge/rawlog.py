"""Crash-safe, append-only raw log of everything a capture receives.

Layout::

    b"IFBRAW1\\n"                                  magic
    <JSON header>\\n                               capture settings, host start time
    record*                                        until the end (a torn last record is ignored)
    record = kind:u8  length:u32  host_time:f64  bytes[length]     (little-endian)

``host_time`` is seconds since the header's ``t0_monotonic`` (host monotonic clock); kinds are
:data:`RX` (bytes from the device), :data:`TX` (bytes sent to it) and :data:`EVENT` (a JSON
object: connect, disconnect, reconnect, stop). The writer flushes to the OS and ``fsync``\\ s at
least every ``flush_interval_s`` (1 s), so killing the process loses at most the last second,
and everything up to the last flush replays exactly (:func:`read_log`).
"""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imuforge.errors import ValidationError

MAGIC = b"IFBRAW1\n"
#: the settings every capture writes into the header (since the log's first version), and the others it writes
HEADER_KEYS = ("format", "stream", "label", "profile", "placement", "subject", "seconds", "csv_units",
               "csv_rate_hz", "t0_monotonic", "t0_unix")
OTHER_KEYS = ("host", "capture_time", "link")
RX, TX, EVENT = 1, 2, 3
_REC = struct.Struct("<BId")


@dataclass
class LogRecord:
    kind: int
    t: float
    data: bytes

    def event(self) -> dict[str, Any]:
        return json.loads(self.data.decode("utf-8"))


class RawLogWriter:
    """Append records to a raw log; flushed and fsync'ed at least every ``flush_interval_s``."""

    def __init__(self, path: str | os.PathLike, header: dict[str, Any], *, flush_interval_s: float = 1.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        self.header = dict(header, t0_monotonic=self.t0, t0_unix=time.time())
        self._fh = open(self.path, "xb")
        self._fh.write(MAGIC + json.dumps(self.header).encode("utf-8") + b"\n")
        self.flush_interval_s = flush_interval_s
        self._last_flush = 0.0
        self.bytes_written = 0
        self.sync()

    def now(self) -> float:
        """Seconds since the log started (host monotonic clock)."""
        return time.monotonic() - self.t0

    def write(self, kind: int, data: bytes, t: float | None = None) -> float:
        t = self.now() if t is None else t
        self._fh.write(_REC.pack(kind, len(data), t))
        self._fh.write(data)
        self.bytes_written += len(data)
        if t - self._last_flush >= self.flush_interval_s:
            self.sync()
        return t

    def event(self, name: str, **fields) -> float:
        return self.write(EVENT, json.dumps({"event": name, **fields}).encode("utf-8"))

    def tick(self) -> None:
        """Call periodically (even when nothing arrives) to keep the flush promise."""
        if self.now() - self._last_flush >= self.flush_interval_s:
            self.sync()

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._last_flush = self.now()

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_MAX_RECORD = 1 << 20  # a record longer than this is corruption, not data


def _plausible(raw: bytes, off: int, last_t: float) -> tuple[int, float, int] | None:
    """The record header at ``off`` if it is plausible after time ``last_t``: (kind, t, end)."""
    if off + _REC.size > len(raw):
        return None
    kind, length, t = _REC.unpack_from(raw, off)
    end = off + _REC.size + length
    if kind not in (RX, TX, EVENT) or length > _MAX_RECORD or end > len(raw):
        return None
    if not (t == t) or t < last_t - 1e-3:  # NaN, or time going back
        return None
    if last_t != -float("inf") and t > last_t + 86_400.0:  # an absurd jump
        return None
    if kind == EVENT:
        try:
            json.loads(raw[off + _REC.size:end].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
    return kind, t, end


def _read_header(raw: bytes) -> tuple[dict[str, Any] | None, int, str]:
    """``(header, offset of the first record, why)``; header None (and ``why`` saying how) when damaged."""
    nl = raw.find(b"\n", len(MAGIC))
    if nl < 0:
        return None, len(MAGIC), "incomplete: the capture died while starting, or its end of line is damaged"
    try:
        header = json.loads(raw[len(MAGIC):nl].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, len(MAGIC), f"not valid JSON: {exc}"
    if not isinstance(header, dict):
        return None, len(MAGIC), "not a JSON object"
    lost = [k for k in HEADER_KEYS if k not in header]
    if not lost:
        return header, nl + 1, ""
    # a flipped byte inside a key leaves valid JSON: the setting is gone all the same, and said so
    strange = sorted(k for k in header if k not in HEADER_KEYS + OTHER_KEYS)
    unknown = f" (keys it does not know: {', '.join(map(repr, strange))})" if strange else ""
    return header, nl + 1, f"valid JSON without {', '.join(lost)}, which every capture writes{unknown}"


def read_log(path: str | os.PathLike) -> tuple[dict[str, Any], list[LogRecord], dict[str, Any]]:
    """Read a raw log: ``(header, records, info)``.

    A torn final record (the capture was killed mid-write) is dropped and reported as
    ``info["truncated"]``. Corrupted bytes inside the log (a damaged disk or copy) do not end the
    read: the reader skips forward to the next plausible record and reports
    ``info["corrupt_bytes"]`` and ``info["corrupt_regions"]``; frames inside RX records carry
    their own CRC, so anything wrongly resynchronised on is rejected later, never turned into data.
    A damaged JSON header is skipped the same way: the header is then ``{}`` (its settings — label,
    profile, stream format … — are lost) and ``info["header_damaged"]`` says why; a log with no
    readable record after a damaged header is refused in one line. A header that is still valid JSON
    but lacks settings every capture writes (:data:`HEADER_KEYS`: a damaged byte in a key) is damaged
    too: what it holds is returned, ``info["header_damaged"]`` names what it lacks.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise ValidationError("not an imuforge raw capture log (bad magic)", source=str(path),
                              allowed="a .rawlog written by imuforge capture")
    header, off, damaged = _read_header(raw)
    info = {"truncated": False, "corrupt_bytes": 0, "corrupt_regions": 0, "header_damaged": damaged}
    # after a damaged header the first record must start the clock (t ≥ 0): no wild resync on header bytes
    first_t = -float("inf") if header is not None else 0.0
    # (a header still valid JSON ends where its line does: damage after it is the records', counted)
    records = _read_records(raw, off, info, first_t, skip_header=header is None)
    if header is None and not records:
        raise ValidationError(f"corrupt raw log header ({damaged}) and no readable record after it: nothing "
                              "to recover", source=str(path), allowed="a .rawlog written by imuforge capture")
    return header or {}, records, info


def _read_records(raw: bytes, off: int, info: dict[str, Any], last_t: float, *,
                  skip_header: bool) -> list[LogRecord]:
    """The records from ``off`` on, resynchronising over damaged bytes (counted in ``info``); with
    ``skip_header`` the bytes before the first record are a damaged header, not counted as corrupt."""
    records: list[LogRecord] = []
    n = len(raw)
    while off < n:
        rec = _plausible(raw, off, last_t)
        if rec is None:
            # a torn tail, or corruption: look for the next plausible record (byte by byte — only
            # in damaged regions)
            nxt = off + 1
            while nxt < n and _plausible(raw, nxt, last_t) is None:
                nxt += 1
            if nxt >= n:
                info["truncated"] = bool(records) or not skip_header
                break
            if not (skip_header and not records):
                info["corrupt_bytes"] += nxt - off
                info["corrupt_regions"] += 1
            off = nxt
            continue
        kind, t, end = rec
        after = _plausible(raw, end, -float("inf"))
        if after is not None and last_t - 1e-3 <= after[1] < t - 1e-3:
            # the record after this one goes on from the one before it: this record's own time is the
            # damaged part (one flipped bit made 0.0026 s 0.027 s, and every later record looked like
            # time going back); its bytes are kept at the time before it
            info["corrupt_times"] = info.get("corrupt_times", 0) + 1
            t = after[1] if last_t == -float("inf") else last_t  # the first record: the next one's time
        records.append(LogRecord(kind, t, raw[off + _REC.size:end]))
        last_t = t
        off = end
    return records
