"""TensorFlow Lite Micro checks: op support, arena size, and running the exact TFLM kernels on the host.

The op set below is the set of builtin kernels the tflite-micro Python package registers
(``tflite::micro::Register_*`` in its ``_runtime.so``, i.e. TFLM's ``MicroMutableOpResolver`` /
all-ops set); ``tests/train/test_export.py`` checks it against the installed package. A model
that passes :func:`check_ops` is then also loaded by the real TFLM interpreter, which is the
final word.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from imuforge.errors import MissingExtraError, ValidationError, require_extra

#: Builtin operators with a TFLM kernel (tflite-micro 0.dev2025, matching TF 2.21's schema names).
TFLM_BUILTIN_OPS: frozenset[str] = frozenset("""
ABS ADD ADD_N ARG_MAX ARG_MIN ASSIGN_VARIABLE AVERAGE_POOL_2D BATCH_MATMUL BATCH_TO_SPACE_ND BROADCAST_ARGS
BROADCAST_TO CALL_ONCE CAST CEIL CONCATENATION CONV_2D COS CUMSUM DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE
DYNAMIC_UPDATE_SLICE ELU EMBEDDING_LOOKUP EQUAL EXP EXPAND_DIMS FILL FLOOR FLOOR_DIV FLOOR_MOD FULLY_CONNECTED
GATHER GATHER_ND GREATER GREATER_EQUAL HARD_SWISH IF L2_NORMALIZATION L2_POOL_2D LEAKY_RELU LESS LESS_EQUAL LOG
LOGICAL_AND LOGICAL_NOT LOGICAL_OR LOGISTIC LOG_SOFTMAX MAXIMUM MAX_POOL_2D MEAN MINIMUM MIRROR_PAD MUL NEG
NOT_EQUAL PACK PAD PADV2 PRELU QUANTIZE READ_VARIABLE REDUCE_ALL REDUCE_MAX REDUCE_MIN RELU RELU6 RESHAPE
RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR REVERSE_V2 ROUND RSQRT SELECT_V2 SHAPE SIN SLICE SOFTMAX
SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V SQRT SQUARE SQUARED_DIFFERENCE SQUEEZE STRIDED_SLICE SUB SUM SVDF
TANH TRANSPOSE TRANSPOSE_CONV UNIDIRECTIONAL_SEQUENCE_LSTM UNPACK VAR_HANDLE WHILE ZEROS_LIKE
""".split())

#: What to use instead, by the op (or TensorFlow op) a model needs but TFLM lacks.
_ALTERNATIVES: dict[str, str] = {
    "GELU": "tiny_cnn or ds_cnn (ReLU activations)",
    "SOFTPLUS": "tiny_cnn (ReLU activations)",
    "TensorListReserve": "ds_cnn (depthwise convolutions give temporal context without recurrence)",
    "TensorListFromTensor": "ds_cnn (depthwise convolutions give temporal context without recurrence)",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "ds_cnn (depthwise convolutions give temporal context without recurrence)",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "ds_cnn (depthwise convolutions give temporal context without recurrence)",
    "TILE": "res_cnn (residual adds broadcast without TILE)",
    "LOCAL_RESPONSE_NORMALIZATION": "res_cnn (batch normalisation, folded at conversion)",
}


class UnsupportedOpError(ValidationError):
    """The model needs an op TFLite Micro does not implement."""

    def __init__(self, ops: Sequence[str], source: str | None = None):
        self.ops = list(ops)
        alt = sorted({_ALTERNATIVES.get(op, "tiny_cnn") for op in self.ops})
        super().__init__(
            f"the model uses op(s) {', '.join(self.ops)} that TensorFlow Lite Micro does not implement; "
            f"retrain with a zoo model instead: {'; '.join(alt)} (imuforge train --model NAME)",
            source=source, allowed="ops in imuforge.export.tflm.TFLM_BUILTIN_OPS")


def _runtime():
    """The TFLM Python interpreter module (the 'ml' extra)."""
    return require_extra("tflite_micro.python.tflite_micro.runtime", purpose="the TFLite Micro interpreter")


def _schema():
    return require_extra("tflite_micro.tensorflow.lite.micro.python.schema_py_generated",
                         purpose="reading a .tflite model")


def model_ops(model_bytes: bytes) -> list[str]:
    """Operator names used by a .tflite flatbuffer, in first-use order (custom ops as ``CUSTOM:<name>``)."""
    schema = _schema()
    runtime = _runtime()

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = runtime.convert_bytearray_to_object(bytearray(model_bytes))
    out: list[str] = []
    for sg in model.subgraphs or []:
        for op in sg.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            bc = runtime.get_builtin_code_from_operator_code(code)
            name = names.get(bc, f"BUILTIN_{bc}")
            if name == "CUSTOM":
                cc = code.customCode
                name = f"CUSTOM:{cc.decode() if isinstance(cc, bytes) else cc}"
            if name not in out:
                out.append(name)
    return out


def check_ops(ops: Sequence[str], source: str | None = None) -> None:
    """Raise :class:`UnsupportedOpError` naming every op not in :data:`TFLM_BUILTIN_OPS`."""
    bad = [op for op in ops if op not in TFLM_BUILTIN_OPS]
    if bad:
        raise UnsupportedOpError(bad, source=source)


_ARENA_RE = re.compile(r"Arena allocation total (\d+) bytes")


def _capture_fd2(fn) -> str:
    """Run ``fn`` and return what C code wrote to file descriptor 2 meanwhile."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode(errors="replace")


class TflmModel:
    """A .tflite model on the TFLM interpreter (the reference kernels a microcontroller runs)."""

    def __init__(self, model_bytes: bytes, arena_size: int | None = None):
        runtime = _runtime()

        self.model_bytes = bytes(model_bytes)
        self.arena_size = int(arena_size or max(64 * 1024, 20 * len(model_bytes)))
        try:
            self._interp = runtime.Interpreter.from_bytes(self.model_bytes, arena_size=self.arena_size)
        except RuntimeError as exc:
            check_ops(model_ops(self.model_bytes))
            raise ValidationError(f"TFLM could not load the model: {exc}",
                                  allowed=f"an arena larger than {self.arena_size} bytes") from exc
        self.input = self._interp.get_input_details(0)
        self.output = self._interp.get_output_details(0)

    def invoke(self, q: np.ndarray) -> np.ndarray:
        """Run one quantised window of the input shape; returns the raw output tensor (1, K)."""
        self._interp.set_input(np.asarray(q, dtype=self.input["dtype"]).reshape(self.input["shape"]), 0)
        self._interp.invoke()
        return np.array(self._interp.get_output(0))

    def run(self, Q: np.ndarray) -> np.ndarray:
        """Outputs for a stack of quantised windows (n, …) → (n, K)."""
        return np.concatenate([self.invoke(q[None]) for q in Q]) if len(Q) else np.zeros((0, self.output["shape"][-1]))

    def arena_used(self) -> int:
        """Bytes of the tensor arena actually used, from TFLM's RecordingMicroAllocator.

        Measured on this host (64-bit): pointer-holding structures are smaller on a 32-bit MCU,
        so this is an upper bound for Cortex-M.
        """
        if not hasattr(self, "_ran"):
            self.invoke(np.zeros(self.input["shape"], self.input["dtype"]))
            self._ran = True
        text = _capture_fd2(self._interp.print_allocations)
        m = _ARENA_RE.search(text)
        if not m:
            raise RuntimeError(f"TFLM did not report its arena allocation; it printed: {text[:300]!r}")
        return int(m.group(1))

    def minimal_arena(self, upper: int | None = None) -> int:
        """The smallest tensor arena (bytes) with which the TFLM interpreter loads and runs this model.

        Found by bisection over real interpreter instances (to 16 bytes). It exceeds
        :meth:`arena_used` by the allocator's own bookkeeping, which also lives in the arena.
        Host (64-bit) figure: an upper bound for a 32-bit Cortex-M.
        """
        runtime = _runtime()
        zeros = np.zeros(self.input["shape"], self.input["dtype"])

        def works(n: int) -> bool:
            def attempt():
                try:
                    it = runtime.Interpreter.from_bytes(self.model_bytes, arena_size=n)
                    it.set_input(zeros, 0)
                    it.invoke()
                    attempt.ok = True
                except (RuntimeError, ValueError):
                    attempt.ok = False
            _capture_fd2(attempt)  # TFLM prints each failed allocation; keep it quiet
            return attempt.ok

        lo = self.arena_used() if upper is None else 0
        hi = upper or self.arena_size
        if works(lo):
            return lo
        if not works(hi):
            raise RuntimeError(f"the model does not run in a {hi}-byte arena")
        while hi - lo > 16:
            mid = (lo + hi) // 2
            if works(mid):
                hi = mid
            else:
                lo = mid
        return hi

    def latency_us(self, q: np.ndarray, repeats: int = 50) -> dict[str, float]:
        """Host latency of one inference on the TFLM reference kernels (µs): median, p90."""
        return _latency(lambda: self.invoke(q), repeats)


class LiteRTModel:
    """A .tflite model on LiteRT (ai-edge-litert; tflite_runtime as a fallback).

    ``xnnpack=False`` (default) runs LiteRT's builtin int8 kernels without the default XNNPACK
    delegate; they match TFLM but for the rounding of some kernels' requantisation (FULLY_CONNECTED
    single-rounds in LiteRT), which puts a rare output 1 LSB apart (see
    ``exporter.LITERT_TOLERANCE_LSB``). ``xnnpack=True`` is what a plain ``Interpreter(model_content=…)``
    does on a PC: faster, but its int8 requantisation can differ from TFLM by a few LSB.
    """

    def __init__(self, model_bytes: bytes, *, xnnpack: bool = False):
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:  # pragma: no cover - devices that still ship tflite_runtime
            try:
                from tflite_runtime.interpreter import Interpreter, OpResolverType
            except ImportError:
                raise MissingExtraError("ai_edge_litert", "running a .tflite model with LiteRT") from None
        resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES

        def make() -> None:
            self._interp = Interpreter(model_content=bytes(model_bytes), experimental_op_resolver_type=resolver)
            self._interp.allocate_tensors()

        # LiteRT's C++ logs "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on fd 2: keep it out of
        # the terminal (IMUFORGE_TF_LOGS=1 keeps it, like every other ML-stack line)
        if os.environ.get("IMUFORGE_TF_LOGS") == "1":
            make()
        else:
            _capture_fd2(make)
        self.input = self._interp.get_input_details()[0]
        self.output = self._interp.get_output_details()[0]

    def invoke(self, q: np.ndarray) -> np.ndarray:
        self._interp.set_tensor(self.input["index"], np.asarray(q, self.input["dtype"]).reshape(self.input["shape"]))
        self._interp.invoke()
        return np.array(self._interp.get_tensor(self.output["index"]))

    def run(self, Q: np.ndarray) -> np.ndarray:
        return np.concatenate([self.invoke(q[None]) for q in Q]) if len(Q) else np.zeros((0, self.output["shape"][-1]))

    def latency_us(self, q: np.ndarray, repeats: int = 200) -> dict[str, float]:
        return _latency(lambda: self.invoke(q), repeats)

    def _op_details(self) -> list[dict]:
        """The interpreter's operators in execution order, a delegate's placeholder left out."""
        return [o for o in self._interp._get_ops_details() if o["op_name"] != "DELEGATE"]

    def ops(self) -> list[str]:
        return [o["op_name"] for o in self._op_details()]

    def softmax_input_scale(self) -> float | None:
        """The quantisation scale of the logits when the model ends in SOFTMAX (its input), else None."""
        ops = self._op_details()
        if not ops or ops[-1]["op_name"] != "SOFTMAX":
            return None
        scales = {t["index"]: t["quantization"][0] for t in self._interp.get_tensor_details()}
        scale = scales.get(int(ops[-1]["inputs"][0]))
        return float(scale) if scale else None


def _latency(fn, repeats: int) -> dict[str, Any]:
    for _ in range(3):
        fn()
    times = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        times[i] = (time.perf_counter_ns() - t0) / 1e3
    return {"median_us": float(np.median(times)), "p90_us": float(np.percentile(times, 90)), "runs": repeats}
