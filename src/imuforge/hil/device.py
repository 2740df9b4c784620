"""The device side of HIL for the emulated wearable: the model on the TFLM interpreter behind the HIL messages.

:class:`HilDevice` plugs into the bridge's :class:`~imuforge.bridge.emulator.EmulatedDevice` with
:meth:`~imuforge.bridge.emulator.EmulatedDevice.register_handler` (one handler per HIL message
type), so one emulated wearable streams samples *and* runs the model, over the same pty, TCP or
BLE transport. The model runs on the ``tflite-micro`` package's interpreter: the very TFLM
kernels (and arena planner) a microcontroller runs, with the arena size the exported ``model.h``
reserves. Latency is measured on the host's clock (``time.perf_counter_ns``, in µs), so it is not
a microcontroller's latency; a real board measures it with its cycle counter. The emulator's
HIL_MODEL name starts with :data:`EMULATOR_NAME_PREFIX`, and HIL reports mark such runs
``emulated`` with the host clock named.

Which implementation answers (``engine``): ``"tflm"`` is the interpreter above; ``"cgen"`` is the
export's generated C (``c/<name>.c``, see docs/CGEN.md) compiled here with the host compiler, so
HIL compares two different implementations instead of TFLM with itself; ``"auto"`` (what
:func:`start_emulator`, ``imuforge hil --emulate`` and the ``hil/`` suite use) takes the generated C
and falls back to TFLM with a one-line message when there is no compiler or the model has an op
the generator lacks. The HIL_MODEL name ends with ``[generated C]`` or ``[TFLM]``.

:class:`HilFaults` injects what the runner must survive: lost replies (the runner times out and
retries), device resets (new ``boot_id``, state lost), and wrong outputs (the runner lists the
mismatching windows).

Run a standalone emulated wearable with a model::

    python -m imuforge.hil.device --model EXPORT_DIR --profile nano33-ble-sense-rev2 --pty
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imuforge.bridge import protocol as P
from imuforge.errors import ValidationError
from imuforge.export.card import ExportCard
from imuforge.hil import messages as M

#: Starts the name the emulated device reports in HIL_MODEL, so a host knows its latency is host time.
EMULATOR_NAME_PREFIX = "imuforge-emulator: "


def is_emulator(device_name: str) -> bool:
    """Whether a HIL_MODEL name comes from imuforge's emulated device (:class:`HilDevice`)."""
    return str(device_name).startswith(EMULATOR_NAME_PREFIX)

def describe_device(device_name: str) -> dict[str, str]:
    """What runs the model and where, from a HIL_MODEL name (the conventions of imuforge's devices).

    ``implementation``: ``generated C`` / ``TFLM interpreter`` / ``reference MLP kernels`` / ``unknown``;
    ``device``: ``emulated`` (this module), ``qemu`` (firmware_bridge/qemu) or ``board``.
    """
    name = str(device_name)
    if is_emulator(name):
        impl = "generated C" if name.endswith("[generated C]") else "TFLM interpreter" if name.endswith("[TFLM]") \
            else "unknown"
        return {"implementation": impl, "device": "emulated"}
    if name.startswith("qemu-cgen"):
        return {"implementation": "generated C", "device": "qemu"}
    if name.startswith("qemu_mlp"):
        return {"implementation": "reference MLP kernels", "device": "qemu"}
    if name.startswith("nano33-cgen"):  # firmware_bridge/arduino: the export's generated C on the board
        return {"implementation": "generated C", "device": "board"}
    return {"implementation": "unknown", "device": "board"}


#: Input windows a device keeps at once (the one being inferred plus the ones being loaded).
WINDOW_SLOTS = 4


@dataclass
class HilFaults:
    """Faults of the emulated device's HIL side (counts are of INFER commands, 1-based)."""

    drop_result_at: tuple[int, ...] = ()  # INFER numbers whose RESULT is lost
    reset_at: tuple[int, ...] = ()  # INFER numbers at which the device resets instead of answering
    corrupt_output_at: tuple[int, ...] = ()  # INFER numbers whose first output byte is flipped
    extra_latency_us: int = 0  # added to every timed run (a slower device)


def _quant(details: dict) -> tuple[float, int]:
    """(scale, zero point) of a TFLM tensor's details (per-tensor quantisation)."""
    q = details.get("quantization_parameters") or {}
    scales, zps = q.get("scales", []), q.get("zero_points", [])
    return (float(scales[0]) if len(scales) else 0.0), (int(zps[0]) if len(zps) else 0)


@dataclass
class _Slot:
    total: int
    crc32: int
    buf: bytearray
    got: np.ndarray = field(repr=False)


def model_arena_bytes(export_dir: Path) -> int | None:
    """The tensor arena ``model.h`` reserves (TFLM's measured bytes + 25 %, 16-byte aligned), from card.json."""
    card = export_dir / "card.json"
    if not card.exists():
        return None
    arena = ExportCard.read(card).size.get("arena_bytes_tflm")
    return int(-(-int(arena * 1.25) // 16) * 16) if arena else None


class HilDevice:
    """A model behind the HIL messages (see module doc).

    ``model_bytes`` may be ``None``: the device then answers every HIL command with
    ``NO_MODEL``, like a board flashed without a model. ``max_chunk`` caps the input bytes per
    CHUNK (default: as many as fit one frame).
    """

    def __init__(self, model_bytes: bytes | None, *, arena_size: int | None = None, max_chunk: int | None = None,
                 name: str = "", faults: HilFaults | None = None,
                 clock_ns: Callable[[], int] = time.perf_counter_ns, engine: str = "tflm",
                 c_source: str | os.PathLike | None = None):
        self.faults = faults or HilFaults()
        self.clock_ns = clock_ns
        self.name = name
        self.max_chunk = int(min(max_chunk or M.HilChunk.max_data(), M.HilChunk.max_data()))
        self.boot_id = secrets.randbits(32)
        self.model_bytes = model_bytes
        self.load_error = ""
        self.tflm = None
        self.arena_used = 0
        if model_bytes is not None:
            from imuforge.export.tflm import TflmModel

            try:
                self.tflm = TflmModel(model_bytes, arena_size=arena_size)
                self.arena_used = self.tflm.arena_used()
            except (ValidationError, RuntimeError) as exc:
                self.tflm, self.load_error = None, str(exc)
        self.arena_size = self.tflm.arena_size if self.tflm is not None else int(arena_size or 0)
        self.engine, self.engine_note, self.cgen = "TFLM", "", None
        if engine not in ("tflm", "cgen", "auto"):
            raise ValidationError(f"unknown engine {engine!r}", allowed="tflm, cgen, auto")
        if self.tflm is not None and engine != "tflm":
            self._use_generated_c(c_source, required=engine == "cgen")
        self.slots: OrderedDict[int, _Slot] = OrderedDict()
        self.infers = 0
        self.resets = 0
        self.device = None

    def _use_generated_c(self, c_source, *, required: bool) -> None:
        """Run the generated C (the export's ``c/`` files if they are this model's, else generated now)."""
        from imuforge.errors import CorruptFileError, ImuforgeError

        try:
            self.cgen, arena = _host_generated_c(self.model_bytes, c_source, self.tflm)
        except CorruptFileError:  # the export's own C does not compile: no fallback (TFLM against TFLM)
            raise
        except (ImuforgeError, OSError) as exc:
            if required:
                raise
            self.engine_note = (f"generated C unavailable ({str(exc).splitlines()[0][:160]}); "
                                "the emulated wearable runs the TFLM interpreter")
            return
        self.engine, self.arena_used = "generated C", arena

    @classmethod
    def from_export(cls, export_dir: str | os.PathLike, **kw) -> HilDevice:
        """The model of an ``imuforge export`` folder, with the arena its ``model.h`` reserves.

        The folder is checked as ``imuforge hil`` checks it (:func:`imuforge.hil.runner.load_export`): a
        missing, truncated or edited ``model.tflite`` or ``card.json`` is one ``corrupt export folder`` error.
        """
        from imuforge.hil.runner import load_export

        d = Path(export_dir)
        export = load_export(d)
        kw.setdefault("arena_size", model_arena_bytes(d))
        kw.setdefault("name", export.card.model.name)
        sources = sorted((d / "c").glob("*.c")) if (d / "c").is_dir() else []
        kw.setdefault("c_source", sources[0] if sources else None)
        return cls(export.model_bytes, **kw)

    # ------------------------------------------------------------------ wiring
    def attach(self, device) -> HilDevice:
        """Register the HIL handlers on an :class:`~imuforge.bridge.emulator.EmulatedDevice`."""
        self.device = device
        for t, fn in ((M.HilType.GET_MODEL, self._on_get_model), (M.HilType.LOAD, self._on_load),
                      (M.HilType.CHUNK, self._on_chunk), (M.HilType.INFER, self._on_infer)):
            device.register_handler(t, self._guard(fn))
        return self

    def _guard(self, fn):
        def handler(frame: P.Frame) -> None:
            if getattr(self.device, "streaming", False):
                return self._error(frame, 0, M.HilErrorCode.BUSY, "stop streaming before HIL commands")
            try:
                fn(frame)
            except P.ProtocolError as exc:
                self._error(frame, 0, M.HilErrorCode.BAD_PAYLOAD, str(exc)[:120])
            except Exception as exc:  # a device never dies on a command: it reports the failure
                self._error(frame, 0, M.HilErrorCode.INVOKE_FAILED, f"{type(exc).__name__}: {exc}"[:200])
        return handler

    def _send(self, msg: P.Message) -> None:
        self.device.send(msg)

    def _error(self, frame: P.Frame, window: int, code: M.HilErrorCode, text: str) -> None:
        self._send(M.HilError(frame.type, frame.seq, window & 0xFFFFFFFF, int(code), text[:200]))

    # ------------------------------------------------------------------ handlers
    def identity(self) -> M.HilModel:
        """This device's HIL_MODEL answer."""
        import hashlib

        if self.tflm is None:
            raise RuntimeError("no model")
        i, o = self.tflm.input, self.tflm.output
        isc, izp = _quant(i)
        osc, ozp = _quant(o)
        return M.HilModel(hashlib.sha256(self.model_bytes).digest(), len(self.model_bytes), self.arena_size,
                          self.arena_used, tuple(int(v) for v in i["shape"]), M.dtype_code(i["dtype"]), float(isc),
                          int(izp), tuple(int(v) for v in o["shape"]), M.dtype_code(o["dtype"]), float(osc), int(ozp),
                          self.max_chunk, self.boot_id,
                          (EMULATOR_NAME_PREFIX + self.name[:60 - len(EMULATOR_NAME_PREFIX) - len(self.engine) - 3]
                           + f" [{self.engine}]")[:60])

    def _no_model(self, frame: P.Frame, window: int = 0) -> bool:
        if self.tflm is None:
            why = f"model failed to load: {self.load_error}" if self.load_error else "no model on the device"
            self._error(frame, window, M.HilErrorCode.NO_MODEL, why)
            return True
        return False

    def _on_get_model(self, frame: P.Frame) -> None:
        M.HilGetModel.unpack(frame.payload)
        if not self._no_model(frame):
            self._send(self.identity())

    def _on_load(self, frame: P.Frame) -> None:
        m = M.HilLoad.unpack(frame.payload)
        if self._no_model(frame, m.window):
            return
        need = self.identity().input_bytes
        if m.total != need:
            return self._error(frame, m.window, M.HilErrorCode.BAD_LENGTH,
                               f"input of {m.total} bytes; the model's input tensor has {need}")
        self.slots.pop(m.window, None)
        while len(self.slots) >= WINDOW_SLOTS:
            self.slots.popitem(last=False)
        self.slots[m.window] = _Slot(m.total, m.crc32, bytearray(m.total), np.zeros(m.total, bool))

    def _on_chunk(self, frame: P.Frame) -> None:
        m = M.HilChunk.unpack(frame.payload)
        slot = self.slots.get(m.window)
        if slot is None:
            return self._error(frame, m.window, M.HilErrorCode.UNKNOWN_WINDOW, "CHUNK for a window without LOAD")
        end = m.offset + len(m.data)
        if end > slot.total or len(m.data) > self.max_chunk:
            return self._error(frame, m.window, M.HilErrorCode.BAD_LENGTH,
                               f"chunk {m.offset}+{len(m.data)} outside the {slot.total}-byte input "
                               f"(max {self.max_chunk} bytes per chunk)")
        slot.buf[m.offset:end] = m.data
        slot.got[m.offset:end] = True

    def _on_infer(self, frame: P.Frame) -> None:
        m = M.HilInfer.unpack(frame.payload)
        self.infers += 1
        n = self.infers
        if n in self.faults.reset_at:
            return self.reset()
        if self._no_model(frame, m.window):
            return
        slot = self.slots.pop(m.window, None)
        if slot is None:
            return self._error(frame, m.window, M.HilErrorCode.UNKNOWN_WINDOW, "INFER for a window without LOAD")
        if not slot.got.all():
            missing = int((~slot.got).sum())
            return self._error(frame, m.window, M.HilErrorCode.MISSING_BYTES,
                               f"{missing} of {slot.total} input bytes did not arrive")
        crc = zlib.crc32(slot.buf)
        if crc != slot.crc32:
            return self._error(frame, m.window, M.HilErrorCode.CRC_MISMATCH,
                               f"input CRC-32 0x{crc:08x}, LOAD announced 0x{slot.crc32:08x}")
        x = np.frombuffer(bytes(slot.buf), dtype=self.tflm.input["dtype"])
        model = self.cgen if self.cgen is not None else self.tflm
        try:
            for _ in range(m.warmup):
                out = model.invoke(x)
            lat = np.empty(m.runs, dtype=np.int64)
            for r in range(m.runs):
                t0 = self.clock_ns()
                out = model.invoke(x)
                lat[r] = (self.clock_ns() - t0) // 1000 + self.faults.extra_latency_us
        except RuntimeError as exc:
            return self._error(frame, m.window, M.HilErrorCode.INVOKE_FAILED, str(exc))
        raw = bytearray(np.ascontiguousarray(out).tobytes())
        if n in self.faults.corrupt_output_at and raw:
            raw[0] ^= 0x01
        if n in self.faults.drop_result_at:
            return
        self._send(M.HilResult(m.window, m.runs, int(min(lat.sum(), 0xFFFFFFFF)), int(lat.min()), int(lat.max()),
                               self.arena_used, self.boot_id, bytes(raw)))

    def reset(self) -> None:
        """A device reset: loaded windows are lost, a new ``boot_id``, the frame counter restarts."""
        self.resets += 1
        self.slots.clear()
        self.boot_id = secrets.randbits(32)
        if self.device is not None:
            self.device.tx_seq = 0
            self.device.streaming = False
            self.device.decoder.reset_sequence()


def _host_generated_c(model_bytes: bytes, c_source, tflm):
    """(HostModel, arena bytes) of the model's generated C: ``c_source`` when its header names this model's
    sha-256, else C generated now; compiled with the host compiler. The export's own C that the compiler
    fails on is a ``corrupt export folder`` error (:class:`~imuforge.errors.CorruptFileError`): only a
    missing compiler (:class:`~imuforge.export.cgen.build.CompilerMissing`) leaves the TFLM fallback."""
    import hashlib
    import re
    import tempfile

    from imuforge.errors import ImuforgeError
    from imuforge.export.cgen import render_c
    from imuforge.export.cgen.build import CompilerMissing, HostModel
    from imuforge.hil.runner import corrupt_export

    sha = hashlib.sha256(model_bytes).hexdigest()
    n_in = int(np.prod(tflm.input["shape"])) * np.dtype(tflm.input["dtype"]).itemsize
    n_out = int(np.prod(tflm.output["shape"])) * np.dtype(tflm.output["dtype"]).itemsize
    src = Path(c_source) if c_source is not None else None
    header = src.with_suffix(".h") if src is not None else None
    if header is not None and header.exists() and f"model sha256 {sha}" in header.read_text():
        text = header.read_text()
        try:
            host = HostModel(src, input_bytes=n_in, output_bytes=n_out, name=src.stem)
        except CompilerMissing:
            raise
        except (ImuforgeError, OSError, AttributeError) as exc:  # cc failed; the library lacks NAME_run
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise corrupt_export(src, f"the generated C does not compile or load ({why})") from None
    else:
        rendered = render_c(model_bytes)
        with tempfile.TemporaryDirectory(prefix="imuforge-emu-c-") as tmp:
            gen = rendered.write(tmp)
            host = HostModel(gen.source, input_bytes=n_in, output_bytes=n_out, name=gen.name)
        text = rendered.header_text
    m = re.search(r"#define \w+_RAM_BYTES (\d+)", text)
    return host, int(m.group(1)) if m else 0


# ---------------------------------------------------------------------------- emulated wearable with a model
@dataclass
class EmulatorHandle:
    """A running emulated wearable: ``port`` for pyserial (a pty path or ``socket://…``)."""

    port: str
    device: object
    hil: HilDevice
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def make_emulated_device(profile: str | None = "nano33-ble-sense-rev2", *, source=None, faults=None):
    """The bridge's emulated wearable for a hardware profile (desk source by default)."""
    from imuforge.bridge.emulator import EmulatedDevice

    if profile is None:
        return EmulatedDevice(source or (lambda idx, odr: np.zeros((len(idx), 6))), faults=faults)
    from imuforge.sensors import load_profile

    kw = {"faults": faults} if faults is not None else {}
    return EmulatedDevice.from_profile(load_profile(profile), source, **kw)


def start_emulator(model: str | os.PathLike | bytes | None, *, profile: str | None = "nano33-ble-sense-rev2",
                   transport: str = "pty", hil_faults: HilFaults | None = None, max_chunk: int | None = None,
                   source=None, faults=None, engine: str = "auto") -> EmulatorHandle:
    """Start an emulated wearable with a model in a background thread; returns once its port exists.

    ``model``: an export folder, .tflite bytes, or ``None`` (no model). ``transport``: ``"pty"``
    (a pseudo-terminal path) or ``"tcp"`` (``socket://127.0.0.1:PORT``). ``engine``: see the module doc;
    with ``"auto"`` a fallback to TFLM is said in one line on stderr.
    """
    from imuforge.bridge.emulator import serve_pty, serve_tcp

    if transport not in ("pty", "tcp"):
        raise ValidationError(f"unknown transport {transport!r}", allowed="pty, tcp")
    device = make_emulated_device(profile, source=source, faults=faults)
    kw = {"faults": hil_faults, "max_chunk": max_chunk, "engine": engine}
    if model is None or isinstance(model, (bytes, bytearray)):
        hil = HilDevice(None if model is None else bytes(model), **kw)
    else:
        hil = HilDevice.from_export(model, **kw)
    if hil.engine_note:
        print(f"imuforge emulator: {hil.engine_note}", file=sys.stderr)
    hil.attach(device)
    ready = threading.Event()
    box: dict[str, str] = {}
    stop = threading.Event()

    def on_ready(p) -> None:
        box["port"] = p if transport == "pty" else f"socket://127.0.0.1:{p}"
        ready.set()

    def run() -> None:
        if transport == "pty":
            serve_pty(device, on_ready=on_ready, stop=stop)
        else:
            serve_tcp(device, 0, on_ready=on_ready, stop=stop)

    th = threading.Thread(target=run, name=f"imuforge-emulator-{transport}", daemon=True)
    th.start()
    if not ready.wait(10.0):
        stop.set()
        raise RuntimeError("the emulated device did not start within 10 s")
    return EmulatorHandle(box["port"], device, hil, th, stop)
