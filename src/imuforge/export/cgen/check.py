"""The export's check of the generated C: host build vs the TFLM interpreter, and its Cortex-M4 size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from imuforge.errors import ImuforgeError
from imuforge.export.cgen.build import CompilerMissing, HostModel, TargetSize, measure_cortex_m4
from imuforge.export.cgen.emit import GeneratedC

#: Random int8 windows the export adds to the test windows when comparing with TFLM.
RANDOM_WINDOWS = 256


@dataclass
class CgenCheck:
    """Generated C vs TFLM on the same int8 inputs, and the Cortex-M4 build's size."""

    generated: GeneratedC
    compared: bool
    reason: str | None            # why not compared (no host compiler, build failure)
    build_failed: bool            # the host compiler rejected the generated C: a failed check, not a skipped one
    windows: int
    random_windows: int
    mismatches: int
    mismatch_windows: list[int]
    cortex_m4: TargetSize | None
    cortex_m4_note: str | None

    @property
    def identical(self) -> bool:
        return self.compared and self.mismatches == 0

    def to_json(self) -> dict[str, Any]:
        return {"compared": self.compared, "reason": self.reason, "windows": self.windows,
                "random_windows": self.random_windows, "mismatches": self.mismatches,
                "build_failed": self.build_failed,
                "mismatch_windows": self.mismatch_windows[:50], "identical": self.identical,
                "implementations": "generated C (host compiler) vs TFLM Python interpreter (reference kernels)"}


def _m4(gen: GeneratedC) -> tuple[TargetSize | None, str | None]:
    try:
        size = measure_cortex_m4(gen.source)
    except ImuforgeError as exc:
        return None, f"not measured: {str(exc).splitlines()[0][:200]}"
    return (size, None) if size is not None else (None, "not measured: toolchain missing (arm-none-eabi-gcc)")


def check_generated_c(gen: GeneratedC, Q: np.ndarray, tflm_out: np.ndarray, tflm, *, seed: int = 0) -> CgenCheck:
    """Run the host-compiled C on the test windows ``Q`` (TFLM gave ``tflm_out``) and on random int8 windows."""
    m4, note = _m4(gen)
    n_rand = RANDOM_WINDOWS
    try:
        host = HostModel(gen.source, input_bytes=gen.input_bytes, output_bytes=gen.output_bytes, name=gen.name)
    except CompilerMissing as exc:
        return CgenCheck(gen, False, str(exc), False, 0, 0, 0, [], m4, note)
    except ImuforgeError as exc:
        return CgenCheck(gen, False, str(exc).splitlines()[0][:300], True, 0, 0, 0, [], m4, note)
    R = np.random.default_rng(seed).integers(-128, 128, (n_rand, *Q.shape[1:]), dtype=np.int64).astype(np.int8)
    ref = np.concatenate([np.asarray(tflm_out).reshape(len(Q), -1), tflm.run(R).reshape(n_rand, -1)])
    got = host.run(np.concatenate([Q, R]))
    bad = np.flatnonzero(np.any(ref != got, axis=1))
    return CgenCheck(gen, True, None, False, len(Q), n_rand, int(bad.size), bad.tolist(), m4, note)


def size_json(chk: CgenCheck, tflm_arena: int, tflite_bytes: int) -> dict[str, Any]:
    """The card's ``size.generated_c``: arena and Cortex-M4 flash/RAM next to the TFLM figures."""
    g = chk.generated
    io = g.input_bytes + g.output_bytes
    out: dict[str, Any] = {
        "arena_bytes": g.ram_bytes, "peak_live_bytes": g.peak_live_bytes, "input_bytes": g.input_bytes,
        "output_bytes": g.output_bytes, "ram_with_io_bytes": g.ram_bytes + io,
        "ram_with_io_vs_tflm_arena": round((g.ram_bytes + io) / tflm_arena, 4) if tflm_arena else None,
        "macs": g.macs, "kernel_calls": g.kernel_calls,
        "note": "the arena holds intermediate tensors only; input and output live in the caller's buffers, "
                "so ram_with_io_bytes is the figure to set against the TFLM arena (which holds them all). "
                "Stack use is not included.",
    }
    if chk.cortex_m4 is not None:
        m4 = chk.cortex_m4.to_json()
        m4["flash_vs_tflite"] = round(chk.cortex_m4.flash_bytes / tflite_bytes, 4)
        out["cortex_m4"] = m4
    else:
        out["cortex_m4"] = chk.cortex_m4_note
    return out
