"""The host side of the HIL protocol: ask the model's identity, stream windows, collect outputs.

:class:`HilClient` talks to any bridge :class:`~imuforge.bridge.links.Link` (serial path or
pyserial URL, BLE). Windows are *pipelined*: up to ``pipeline`` windows are on their way at once
(LOAD + CHUNKs + INFER written back to back, each tagged with a fresh u32), so the link keeps
carrying input while the device infers, and the rate approaches what the link's bytes/s allow.
``pipeline=1`` is the MLPerf Tiny runner's lock-step flow (load, infer, wait, repeat).

Failures are handled per window: a HIL_ERROR about the input (lost chunk, CRC mismatch) or no
reply within ``timeout_s`` → the window is sent again (at most ``retries`` times). After a
time-out the client asks HIL_GET_MODEL: a new ``boot_id`` means the device reset, which is
recorded (with the window it happened at) and the outstanding windows are resent.
"""

from __future__ import annotations

import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imuforge.bridge import protocol as P
from imuforge.bridge.links import Link, LinkClosed
from imuforge.errors import ImuforgeError
from imuforge.hil import messages as M

#: Errors that mean "this attempt's input was damaged on the way": send the window again.
RETRYABLE = {M.HilErrorCode.MISSING_BYTES, M.HilErrorCode.CRC_MISMATCH, M.HilErrorCode.UNKNOWN_WINDOW}


class HilError(ImuforgeError):
    """The device cannot run the HIL test (no model, wrong model, no answer)."""


@dataclass
class WindowResult:
    """What the device returned for one window (``output`` None if it never succeeded)."""

    index: int
    output: np.ndarray | None = None
    runs: int = 0
    mean_us: float = float("nan")
    min_us: float = float("nan")
    max_us: float = float("nan")
    arena_used: int = 0
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class ClientStats:
    bytes_sent: int = 0
    bytes_received: int = 0
    timeouts: int = 0
    retries: int = 0
    resets: list[dict[str, Any]] = field(default_factory=list)
    device_errors: int = 0
    frames_corrupt: int = 0
    frames_lost: int = 0
    seconds: float = 0.0


class HilClient:
    """HIL over one link (see module doc). ``timeout_s`` is per window, from its last byte sent."""

    def __init__(self, link: Link, *, timeout_s: float = 2.0, retries: int = 3, pipeline: int = 2,
                 max_chunk: int | None = None):
        if pipeline < 1:
            raise ValueError("pipeline must be >= 1")
        self.link = link
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.pipeline = int(pipeline)
        self.max_chunk_cap = max_chunk
        self.decoder = P.FrameDecoder()
        self.seq = 0
        self.stats = ClientStats()
        self.model: M.HilModel | None = None
        self._inbox: list[P.Message] = []
        self._t0 = time.monotonic()

    # ------------------------------------------------------------------ framing
    def _write(self, msgs: list[P.Message]) -> None:
        wire = bytearray()
        for m in msgs:
            wire += P.encode_frame(m, self.seq)
            self.seq = (self.seq + 1) & 0xFFFF
        self.link.write(bytes(wire))
        self.stats.bytes_sent += len(wire)

    def _pump(self, timeout: float) -> list[P.Message]:
        """Read what arrives within ``timeout``; returns the HIL (and bridge error) messages decoded."""
        data = self.link.read(timeout)
        out: list[P.Message] = []
        if data:
            self.stats.bytes_received += len(data)
            for frame in self.decoder.feed(data):
                try:
                    out.append(frame.message())
                except P.ProtocolError:
                    self.decoder.stats.frames_corrupt += 1
            self.stats.frames_corrupt = self.decoder.stats.frames_corrupt
            self.stats.frames_lost = self.decoder.stats.frames_lost
        return out

    def stop_streaming(self) -> None:
        """Send the bridge's STOP: a device left streaming samples (a capture killed mid-run) answers every
        HIL command BUSY; one that is not streaming acknowledges it. Drain the replies afterwards
        (:meth:`drain`)."""
        self._write([P.Stop()])

    def drain(self, seconds: float = 0.2) -> None:
        """Read and drop whatever the device sends for ``seconds`` (stale replies, samples)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._pump(0.02)

    # ------------------------------------------------------------------ identity
    def get_model(self, attempts: int = 3) -> M.HilModel:
        """Ask HIL_MODEL (retrying on time-out); raises :class:`HilError` on NO_MODEL or silence."""
        for _ in range(attempts):
            self._write([M.HilGetModel()])
            end = time.monotonic() + self.timeout_s
            while time.monotonic() < end:
                for msg in self._pump(0.05):
                    if isinstance(msg, M.HilModel):
                        self.model = msg
                        return msg
                    if isinstance(msg, M.HilError) and msg.ref_type == M.HilType.GET_MODEL:
                        raise HilError(f"device: {msg.describe()}")
                    if isinstance(msg, P.Error) and msg.ref_type == M.HilType.GET_MODEL:
                        raise HilError(f"the device does not speak HIL ({msg.describe()}) (allowed: a "
                                       "device running the HIL firmware, docs/HIL.md, or imuforge emulate "
                                       "--hil-model EXPORT)")
                    self._inbox.append(msg)
            self.stats.timeouts += 1
        raise HilError(f"no HIL_MODEL answer in {attempts} × {self.timeout_s:g} s on {self.link.description} "
                       "(allowed: a device running the HIL firmware or imuforge emulate --hil-model on that "
                       "port, at that baud rate; --timeout for a slow one)")

    @property
    def max_chunk(self) -> int:
        assert self.model is not None
        cap = self.max_chunk_cap or self.model.max_chunk
        return max(1, min(cap, self.model.max_chunk, M.HilChunk.max_data()))

    def window_messages(self, tag: int, x: bytes, runs: int = 1, warmup: int = 0) -> list[P.Message]:
        """LOAD, CHUNKs and INFER for one input window."""
        c = self.max_chunk
        msgs: list[P.Message] = [M.HilLoad(tag, len(x), zlib.crc32(x))]
        msgs += [M.HilChunk(tag, o, x[o:o + c]) for o in range(0, len(x), c)]
        msgs.append(M.HilInfer(tag, runs, warmup))
        return msgs

    # ------------------------------------------------------------------ windows
    def run(self, inputs: np.ndarray, *, runs: int = 1, warmup: int = 0,
            on_window: Callable[[WindowResult], None] | None = None, max_consecutive_failures: int = 5
            ) -> list[WindowResult]:
        """Run every input window (``inputs[i]`` in the model's input dtype) on the device.

        A :class:`HilError` (or a disconnect, or Ctrl-C) that ends the run early carries ``.results``: every
        window's result so far (completed ones with their outputs), so a report never throws away finished
        work.
        """
        self._partial: list[WindowResult] = []
        try:
            return self._run(inputs, runs=runs, warmup=warmup, on_window=on_window,
                             max_consecutive_failures=max_consecutive_failures)
        except (HilError, LinkClosed, KeyboardInterrupt) as exc:  # a disconnect or Ctrl-C too: the caller
            exc.results = self._partial                               # reports what was done
            raise

    def _run(self, inputs: np.ndarray, *, runs: int, warmup: int,
             on_window: Callable[[WindowResult], None] | None, max_consecutive_failures: int
             ) -> list[WindowResult]:
        model = self.model or self.get_model()
        inputs = np.asarray(inputs)
        n = len(inputs)
        flat = [np.ascontiguousarray(inputs[i]).tobytes() for i in range(n)]
        if n and len(flat[0]) != model.input_bytes:
            raise HilError(f"a window has {len(flat[0])} bytes; the device's model input has {model.input_bytes} "
                           f"(shape {model.input_shape})")
        batch = _Batch(self, flat, runs=runs, warmup=warmup, on_window=on_window,
                       max_failures=max_consecutive_failures, out_dtype=M.dtype_of(model.output_dtype))
        self._partial = batch.results
        t_start = time.monotonic()
        while batch.done < n:
            batch.fill_pipeline()
            msgs = self._inbox + self._pump(0.02)
            self._inbox = []
            for msg in msgs:
                batch.on_message(msg)
            batch.check_deadline()
        self.stats.seconds += time.monotonic() - t_start
        return batch.results

    def _record_reset(self, boot_id: int, window: int, previous: int | None = None) -> None:
        prev = previous if previous is not None else (self.model.boot_id if self.model else None)
        self.stats.resets.append({"window": int(window), "previous_boot_id": prev, "boot_id": int(boot_id),
                                  "t_s": round(time.monotonic() - self._t0, 3)})
        if self.model is not None:
            self.model = M.HilModel(**{**self.model.__dict__, "boot_id": boot_id})


class _Batch:
    """The bookkeeping of one :meth:`HilClient.run`: every window's result, the windows still to send (a
    stack: ``pop()`` gives the next in order), the attempts in flight (tag → (window, deadline), oldest
    first) and how many windows in a row failed."""

    def __init__(self, client: HilClient, flat: list[bytes], *, runs: int, warmup: int,
                 on_window: Callable[[WindowResult], None] | None, max_failures: int, out_dtype) -> None:
        self.client, self.flat, self.runs, self.warmup = client, flat, runs, warmup
        self.on_window, self.max_failures, self.out_dtype = on_window, max_failures, out_dtype
        self.results = [WindowResult(i) for i in range(len(flat))]
        self.pending: OrderedDict[int, tuple[int, float]] = OrderedDict()
        self.todo = list(range(len(flat)))[::-1]
        self.done = 0
        self.tag = 1
        self.failures_in_row = 0

    def fill_pipeline(self) -> None:
        """Send windows until the client's pipeline depth is in flight."""
        while self.todo and len(self.pending) < self.client.pipeline:
            self.send(self.todo.pop())

    def send(self, i: int) -> None:
        c = self.client
        self.results[i].attempts += 1
        c._write(c.window_messages(self.tag, self.flat[i], self.runs, self.warmup))
        self.pending[self.tag] = (i, time.monotonic() + c.timeout_s)
        self.tag = (self.tag + 1) & 0xFFFFFFFF or 1

    def finish(self, i: int, ok: bool) -> None:
        self.done += 1
        self.failures_in_row = 0 if ok else self.failures_in_row + 1
        if self.on_window is not None:
            self.on_window(self.results[i])
        if self.failures_in_row >= self.max_failures:
            last = self.results[i].errors[-1:]
            raise HilError(f"{self.failures_in_row} windows in a row failed; last: {last}")

    def retry_or_fail(self, i: int, why: str) -> None:
        self.results[i].errors.append(why)
        if self.results[i].attempts <= self.client.retries:
            self.client.stats.retries += 1
            self.todo.append(i)
        else:
            self.finish(i, False)

    def on_message(self, msg: P.Message) -> None:
        """A device reply: a window's result or error (late replies to abandoned attempts are dropped)."""
        c = self.client
        if isinstance(msg, M.HilResult):
            if msg.window not in self.pending:
                return  # a late reply to an attempt already given up on
            i, _ = self.pending.pop(msg.window)
            if msg.boot_id != c.model.boot_id:
                c._record_reset(msg.boot_id, i)
            r = self.results[i]
            if r.output is not None:
                return
            r.output = np.frombuffer(msg.output, dtype=self.out_dtype).copy()
            r.runs, r.mean_us, r.min_us, r.max_us = msg.runs, msg.mean_us, msg.min_us, msg.max_us
            r.arena_used = msg.arena_used
            self.finish(i, True)
        elif isinstance(msg, M.HilError):
            c.stats.device_errors += 1
            if msg.window not in self.pending:
                return
            i, _ = self.pending.pop(msg.window)
            if msg.code in RETRYABLE:
                self.retry_or_fail(i, msg.describe())
            elif msg.code == M.HilErrorCode.NO_MODEL:
                raise HilError(f"device: {msg.describe()}")
            else:
                self.results[i].errors.append(msg.describe())
                self.finish(i, False)
        elif isinstance(msg, P.Error):
            c.stats.device_errors += 1

    def check_deadline(self) -> None:
        """When the oldest attempt in flight is overdue: flush the pipeline, ask the device whether it reset,
        count the overdue window's attempt and resend the others (flushed, not failed)."""
        if not self.pending:
            return
        _, (i, deadline) = next(iter(self.pending.items()))
        if time.monotonic() <= deadline:
            return
        c = self.client
        c.stats.timeouts += 1
        lost = list(self.pending.values())
        self.pending.clear()
        before = c.model.boot_id
        now = c.get_model()
        if now.boot_id != before:
            c._record_reset(now.boot_id, i, previous=before)
        for j, (k, _) in enumerate(lost):
            if j == 0:
                self.retry_or_fail(k, f"no reply within {c.timeout_s:g} s")
            else:
                self.todo.append(k)  # resent because the pipeline was flushed, not its fault
                self.results[k].attempts -= 1
        self.todo.sort(reverse=True)
