"""A .tflite flatbuffer as small typed records: tensors (shape, int8 quantisation, constant data) and ops.

Read with the ``tflite`` schema shipped in the tflite-micro package (the same reader
:func:`imuforge.export.tflm.model_ops` uses); only the first subgraph is code-generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imuforge.errors import ValidationError

#: tflite TensorType codes → numpy dtypes the generator understands.
_DTYPES = {0: np.float32, 2: np.int32, 4: np.int64, 9: np.int8, 3: np.uint8, 7: np.int16}
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


class CgenError(ValidationError):
    """The model holds something the C generator cannot turn into kernels (named in the message)."""


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: Any
    scales: np.ndarray            # float32, empty when not quantised
    zero_points: np.ndarray       # int64
    data: np.ndarray | None       # constant tensors only

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize

    @property
    def scale(self) -> float:
        return float(self.scales[0])

    @property
    def zero_point(self) -> int:
        return int(self.zero_points[0])


@dataclass
class Op:
    index: int
    kind: str                     # builtin name, e.g. CONV_2D
    inputs: list[int]             # tensor indices (-1 = absent optional input)
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def activation(self) -> str:
        return _ACTIVATIONS.get(int(self.options.get("fusedActivationFunction", 0)), "UNKNOWN")


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]


def _schema_and_runtime():
    from imuforge.export.tflm import _runtime, _schema

    return _schema(), _runtime()


def _tensor(i: int, t, buffers) -> Tensor:
    dtype = _DTYPES.get(int(t.type))
    shape = tuple(int(v) for v in (t.shape if t.shape is not None else []))
    q = t.quantization
    scales = np.asarray(q.scale if q is not None and q.scale is not None else [], np.float32)
    zps = np.asarray(q.zeroPoint if q is not None and q.zeroPoint is not None else [], np.int64)
    data = None
    buf = buffers[t.buffer] if 0 <= t.buffer < len(buffers) else None
    if buf is not None and buf.data is not None and len(buf.data) and dtype is not None:
        data = np.frombuffer(np.asarray(buf.data, np.uint8).tobytes(), dtype=dtype).reshape(shape)
    name = t.name.decode(errors="replace") if isinstance(t.name, bytes) else str(t.name)
    return Tensor(i, name, shape, dtype, scales, zps, data)


def read_graph(model_bytes: bytes) -> Graph:
    """Parse the first subgraph of a .tflite model; :class:`CgenError` if it has none or several."""
    schema, runtime = _schema_and_runtime()
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = runtime.convert_bytearray_to_object(bytearray(model_bytes))
    if not model.subgraphs:
        raise CgenError("the model has no subgraph to generate C for")
    if len(model.subgraphs) > 1:
        raise CgenError(f"the model has {len(model.subgraphs)} subgraphs; C generation handles one",
                        allowed="models without control flow (IF/WHILE)")
    sg = model.subgraphs[0]
    buffers = model.buffers or []
    tensors = [_tensor(i, t, buffers) for i, t in enumerate(sg.tensors or [])]
    ops = []
    for k, op in enumerate(sg.operators or []):
        code = model.operatorCodes[op.opcodeIndex]
        kind = names.get(runtime.get_builtin_code_from_operator_code(code), "UNKNOWN")
        if kind == "CUSTOM":
            cc = code.customCode
            kind = f"CUSTOM:{cc.decode() if isinstance(cc, bytes) else cc}"
        opts = vars(op.builtinOptions) if op.builtinOptions is not None else {}
        ops.append(Op(k, kind, [int(v) for v in (op.inputs if op.inputs is not None else [])],
                      [int(v) for v in (op.outputs if op.outputs is not None else [])], dict(opts)))
    return Graph(tensors, ops, [int(v) for v in sg.inputs], [int(v) for v in sg.outputs])
