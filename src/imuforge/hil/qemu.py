"""The QEMU mps2-an386 (Cortex-M4) firmware running an export's generated C, for ``imuforge hil --qemu``
and the export card's instruction counts.

:func:`~imuforge.export.cgen.firmware.build_firmware` builds ``firmware_bridge/qemu`` around a copy of the
export's ``c/`` files; :func:`start_qemu` boots it with its UART on a TCP port (``-icount shift=5``:
deterministic instruction counts, SysTick at 25 MHz). The HIL runner then talks to it like to any board:
the outputs come from the Cortex-M4 build of the generated C, the reference from the host's TFLM
interpreter. :func:`measure_in_qemu` does that on an export's reference windows and turns the SysTick
latency into instructions per inference: under ``-icount shift=N`` QEMU's virtual clock advances 2^N ns
per instruction, so ``instructions = µs × 1000 / 2^N``. With ``stack_probe=True`` the firmware paints the
stack before each run (``STACK_PROBE=1``) and reports the static arena + the stack high-water mark as
``arena_used``; that build is slower, so its latency is not an instruction count of the model.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imuforge.errors import ImuforgeError
from imuforge.export.cgen.firmware import MODEL_FILES, build_firmware

ICOUNT_SHIFT = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool | None:
    """Whether something listens on ``port`` (via ``ss``, without connecting: QEMU serves one client)."""
    if shutil.which("ss") is None:
        return None
    out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False).stdout
    return f":{port} " in out


@dataclass
class QemuBoard:
    """A running QEMU with the firmware's UART on ``port`` (a pyserial URL)."""

    proc: subprocess.Popen
    port: str
    elf: Path
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if self._tmp is not None:
            self._tmp.cleanup()


def start_qemu(elf: str | Path, *, icount_shift: int | None = ICOUNT_SHIFT, timeout_s: float = 10.0) -> QemuBoard:
    """Boot ``elf`` on mps2-an386 with UART0 on a local TCP port; returns once QEMU listens."""
    port = _free_port()
    cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
           "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on", "-kernel", str(elf)]
    if icount_shift is not None:
        cmd[1:1] = ["-icount", f"shift={icount_shift}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(proc, port, timeout_s)
    except BaseException:  # a time-out, Ctrl-C or SIGTERM while it starts: no QEMU is left running
        with contextlib.suppress(Exception):  # the start's error is the one to say
            proc.kill()
            proc.wait(5)
        raise
    return QemuBoard(proc, f"socket://127.0.0.1:{port}", Path(elf))


def _wait_listening(proc: subprocess.Popen, port: int, timeout_s: float) -> None:
    """Return once QEMU (``proc``) listens on ``port``; an ImuforgeError when it exits or times out first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ImuforgeError(f"QEMU exited with status {proc.returncode} before listening")
        state = _listening(port)
        if state is None:
            time.sleep(0.5)
            return
        if state:
            return
        time.sleep(0.05)
    raise ImuforgeError(f"QEMU did not listen on port {port} within {timeout_s:g} s")


def start_qemu_for_export(export_dir: str | Path, *, dsp: bool = False) -> QemuBoard:
    """Build the firmware for ``export_dir`` in a temporary folder and boot it (``stop()`` cleans up)."""
    tmp = tempfile.TemporaryDirectory(prefix="imuforge-qemu-")
    try:
        elf = build_firmware(export_dir, Path(tmp.name), dsp=dsp)
        board = start_qemu(elf)
    except BaseException:
        tmp.cleanup()
        raise
    board._tmp = tmp
    return board


@dataclass(frozen=True)
class QemuRun:
    """One HIL run of the generated C on the QEMU firmware."""

    dsp: bool
    stack_probe: bool
    windows: int
    bit_exact_windows: int
    instructions: float | None   # per inference (None for a stack-probe build)
    arena_used: int              # the firmware's arena_used: arena (+ stack high-water mark with the probe)
    icount_shift: int

    @property
    def bit_exact(self) -> bool:
        return self.windows > 0 and self.bit_exact_windows == self.windows

    def to_json(self) -> dict[str, Any]:
        return {"dsp": self.dsp, "stack_probe": self.stack_probe, "windows": self.windows,
                "bit_exact_windows": self.bit_exact_windows, "bit_exact": self.bit_exact,
                "instructions_per_inference": None if self.instructions is None else round(self.instructions),
                "arena_used_bytes": self.arena_used, "icount_shift": self.icount_shift}


def measure_in_qemu(export_dir: str | Path, *, dsp: bool = False, stack_probe: bool = False,
                    max_windows: int | None = None, runs: int = 1) -> QemuRun:
    """Build, boot and run HIL on the export's reference windows (all, or ``max_windows`` of them)."""
    from imuforge.bridge.links import SerialLink
    from imuforge.hil.runner import run_hil

    export_dir = Path(export_dir)  # (build_firmware refuses a machine without the toolchain or QEMU)
    with tempfile.TemporaryDirectory(prefix="imuforge-qemu-measure-") as tmp:
        elf = build_firmware(export_dir, Path(tmp) / "fw", dsp=dsp, stack_probe=stack_probe)
        board = start_qemu(elf, icount_shift=ICOUNT_SHIFT)
        try:
            link = SerialLink(board.port)
            try:
                rep = run_hil(export_dir, export_dir, link, out=Path(tmp) / "hil", runs=runs, warmup=0,
                              max_windows=max_windows, latency_budget_ms=1e9)
            finally:
                link.close()
        finally:
            board.stop()
    n = int(rep["windows_completed"])
    instr = None if stack_probe else rep["latency"]["mean_us"] * 1000.0 / 2 ** ICOUNT_SHIFT
    return QemuRun(dsp, stack_probe, n, n - int(rep["mismatch_count"]), instr, int(rep["arena_used_bytes"]),
                   ICOUNT_SHIFT)


#: Test windows the export runs on QEMU per build (each window is one inference of ~1–2 M instructions).
CARD_WINDOWS = 4


def qemu_figures(export_dir: str | Path, *, macs: int,
                 max_windows: int = CARD_WINDOWS) -> dict[str, Any] | str:
    """The card's ``qemu_cortex_m4``: instructions per inference and per MAC, plain and SMLAD, and how many
    windows matched host TFLM; ``"not measured: …"`` when a build or run fails."""
    if not (Path(export_dir) / "c" / MODEL_FILES[0]).exists():
        return f"not measured: the QEMU firmware builds c/{MODEL_FILES[0]} (export with the default --name)"
    try:
        runs = {key: measure_in_qemu(export_dir, dsp=dsp, max_windows=max_windows)
                for key, dsp in (("plain", False), ("dsp", True))}
    except (ImuforgeError, OSError, subprocess.SubprocessError) as exc:
        return f"not measured: {str(exc).splitlines()[0][:200]}"
    out: dict[str, Any] = {"board": "QEMU mps2-an386 (Cortex-M4), firmware_bridge/qemu `make cgen` (-O2)",
                           "icount_shift": runs["plain"].icount_shift,
                           "windows": sum(r.windows for r in runs.values()),
                           "mismatches": sum(r.windows - r.bit_exact_windows for r in runs.values())}
    for key, r in runs.items():
        out[key] = {"instructions_per_inference": round(r.instructions),
                    "instructions_per_mac": round(r.instructions / macs, 2) if macs else None,
                    "windows": r.windows, "bit_exact_windows": r.bit_exact_windows}
    return out


def card_inference_us(card, *, dsp: bool = False) -> tuple[float, str] | None:
    """(µs, whence) one inference takes on the QEMU firmware by the export card's measurement (its
    instructions per inference × 2^icount_shift ns, plain or SMLAD), or None where the card has none."""
    q = ((card.size or {}).get("generated_c") or {}).get("qemu_cortex_m4")
    if not isinstance(q, dict) or not isinstance(q.get("dsp" if dsp else "plain"), dict):
        return None
    n = q["dsp" if dsp else "plain"].get("instructions_per_inference")
    shift = q.get("icount_shift", ICOUNT_SHIFT)
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not n > 0 or not isinstance(shift, int):
        return None
    return n * 2 ** shift / 1000.0, (f"QEMU's emulated clock: the export card's {n:.0f} instructions per "
                                     f"inference at {2 ** shift} ns each")
