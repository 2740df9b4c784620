"""Compile generated C: a host shared library to run it from Python, and a Cortex-M4 object to measure it.

The host library is the *second implementation* the export checks TFLM against: the same int8
input through both, outputs compared byte for byte.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imuforge.errors import ImuforgeError

HOST_CFLAGS = ("-std=c99", "-O2", "-fPIC", "-shared")
#: What the tests add: the generated C must compile without a single warning.
STRICT_CFLAGS = ("-Wall", "-Wextra", "-Werror", "-pedantic")
M4_CFLAGS = ("-std=c99", "-mcpu=cortex-m4", "-mthumb", "-Os", "-ffunction-sections", "-fdata-sections",
             "-Wall", "-Wextra", "-Werror", "-pedantic")


class CompilerMissing(ImuforgeError):
    """No C compiler for the requested target."""


def _run(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise ImuforgeError(f"{Path(cmd[0]).name} failed on the generated C: {res.stderr.strip()[:2000]}")


class HostModel:
    """The generated C compiled with the host compiler (``cc``/``gcc``) and loaded with ctypes."""

    def __init__(self, source: str | Path, *, input_bytes: int, output_bytes: int, name: str = "imuforge_model",
                 cc: str | None = None, defines: tuple[str, ...] = (), strict: bool = False):
        cc = cc or shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            raise CompilerMissing("no host C compiler (cc or gcc) to build the generated C")
        source = Path(source)
        self._dir = tempfile.TemporaryDirectory(prefix="imuforge-cgen-")
        lib = Path(self._dir.name) / f"lib{name}.so"
        _run([cc, *HOST_CFLAGS, *(STRICT_CFLAGS if strict else ()), *(f"-D{d}" for d in defines), "-I", str(source.parent), str(source), "-o", str(lib)])
        self._lib = ctypes.CDLL(str(lib))
        self._fn = getattr(self._lib, f"{name}_run")
        self._fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._fn.restype = ctypes.c_int
        self.input_bytes, self.output_bytes = int(input_bytes), int(output_bytes)

    def invoke(self, q: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(np.asarray(q, np.int8).reshape(-1))
        if x.size != self.input_bytes:
            raise ValueError(f"input has {x.size} values, the model takes {self.input_bytes}")
        y = np.zeros(self.output_bytes, np.int8)
        rc = self._fn(x.ctypes.data, y.ctypes.data)
        if rc != 0:
            raise RuntimeError(f"generated C returned {rc}")
        return y

    def run(self, Q: np.ndarray) -> np.ndarray:
        """Outputs for a stack of quantised windows (n, …) → (n, output_bytes)."""
        return np.stack([self.invoke(q) for q in Q]) if len(Q) else np.zeros((0, self.output_bytes), np.int8)


@dataclass(frozen=True)
class TargetSize:
    """``size`` of the generated C compiled for a target: flash = text + data, RAM = data + bss.

    ``stack_bound`` sums the static stack frames of every function in the object (GCC
    ``-fstack-usage``): the code has no recursion, so no call chain can need more.
    """

    target: str
    compiler: str
    flags: str
    text: int
    data: int
    bss: int
    stack_bound: int | None = None

    @property
    def flash_bytes(self) -> int:
        return self.text + self.data

    @property
    def ram_bytes(self) -> int:
        return self.data + self.bss

    def to_json(self) -> dict:
        return {"target": self.target, "compiler": self.compiler, "flags": self.flags, "text": self.text,
                "data": self.data, "bss": self.bss, "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
                "stack_bound_bytes": self.stack_bound}


def measure_cortex_m4(source: str | Path, *, defines: tuple[str, ...] = ()) -> TargetSize | None:
    """Compile ``source`` with arm-none-eabi-gcc for Cortex-M4 (-Os) and read ``size``; None without the toolchain."""
    gcc, size = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-size")
    if gcc is None or size is None:
        return None
    source = Path(source)
    with tempfile.TemporaryDirectory(prefix="imuforge-m4-") as tmp:
        obj = Path(tmp) / "model.o"
        _run([gcc, *M4_CFLAGS, "-fstack-usage", *(f"-D{d}" for d in defines), "-I", str(source.parent), "-c",
              str(source), "-o", str(obj)])
        out = subprocess.run([size, "-A", str(obj)], capture_output=True, text=True, check=True).stdout
        su = obj.with_suffix(".su")
        stack = _stack_bound(su.read_text()) if su.exists() else None
    text = data = bss = 0
    for line in out.splitlines():
        m = re.match(r"^\.(\S+)\s+(\d+)\s+\d+", line)
        if not m:
            continue
        sec, n = m.group(1), int(m.group(2))
        if sec.startswith(("text", "rodata")):
            text += n
        elif sec.startswith("data"):
            data += n
        elif sec.startswith("bss"):
            bss += n
    return TargetSize("cortex-m4", Path(gcc).name, " ".join(M4_CFLAGS + tuple(f"-D{d}" for d in defines)),
                      text, data, bss, stack)


def _stack_bound(su_text: str) -> int | None:
    """Sum of the frames in a GCC ``.su`` file (``file:line:col:function<TAB>bytes<TAB>static``); None if dynamic."""
    total = 0
    for line in su_text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        if "dynamic" in parts[2] and "bounded" not in parts[2]:
            return None
        total += int(parts[1])
    return total
