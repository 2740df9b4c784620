"""The generated C measured on the QEMU Cortex-M4 firmware: instructions per inference, stack, bit-exactness.

:func:`measure_in_qemu` builds ``firmware_bridge/qemu`` (``make cgen``) around an export's ``c/``
files, boots it with ``-icount shift=5`` and runs the HIL protocol (:func:`imuforge.hil.runner.run_hil`)
on the export's reference windows. Under ``-icount shift=N`` QEMU's virtual clock advances 2^N ns per
instruction, so the SysTick latency the firmware reports is an instruction count:
``instructions = µs × 1000 / 2^N``. With ``stack_probe=True`` the firmware paints the stack before
each run (``STACK_PROBE=1``) and reports the static arena + the stack high-water mark as
``arena_used``; that build is slower, so its latency is not an instruction count of the model.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imuforge.errors import ImuforgeError

QEMU_TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm", "make")


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


def missing_tools() -> list[str]:
    return [t for t in QEMU_TOOLS if shutil.which(t) is None]


def build_firmware(export_dir: Path, build_dir: Path, *, dsp: bool, stack_probe: bool) -> Path:
    """``make -C firmware_bridge/qemu cgen`` for ``export_dir/c``; returns the ELF."""
    from imuforge.hil.qemu import FIRMWARE, write_identity_header

    cdir = build_dir / "c"
    cdir.mkdir(parents=True, exist_ok=True)
    for f in ("imuforge_model.c", "imuforge_model.h"):
        shutil.copyfile(export_dir / "c" / f, cdir / f)
    write_identity_header(export_dir, cdir)
    cmd = ["make", "-s", "-C", str(FIRMWARE / "qemu"), "cgen", f"CGEN_DIR={cdir.resolve()}",
           f"CGEN_BUILD={build_dir.resolve()}", *(["DSP=1"] if dsp else []), *(["STACK_PROBE=1"] if stack_probe else [])]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    if res.returncode != 0:
        raise ImuforgeError(f"building the QEMU firmware failed: {(res.stdout + res.stderr).strip()[-1500:]}")
    return build_dir / "imuforge_bridge.elf"


def measure_in_qemu(export_dir: str | Path, *, dsp: bool = False, stack_probe: bool = False,
                    max_windows: int | None = None, runs: int = 1) -> QemuRun:
    """Build, boot and run HIL on the export's reference windows (all, or ``max_windows`` of them)."""
    from imuforge.bridge.links import SerialLink
    from imuforge.hil.qemu import ICOUNT_SHIFT, start_qemu
    from imuforge.hil.runner import run_hil

    missing = missing_tools()
    if missing:
        raise ImuforgeError(f"toolchain or QEMU missing ({', '.join(missing)})")
    export_dir = Path(export_dir)
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


def qemu_figures(export_dir: str | Path, *, macs: int, max_windows: int = CARD_WINDOWS) -> dict[str, Any] | str:
    """The card's ``qemu_cortex_m4``: instructions per inference and per MAC, plain and SMLAD, and how many
    windows matched host TFLM; ``"not measured: …"`` when a build or run fails."""
    if not (Path(export_dir) / "c" / "imuforge_model.c").exists():
        return "not measured: the QEMU firmware builds c/imuforge_model.c (export with the default --name)"
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
