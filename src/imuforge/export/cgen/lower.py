"""Each supported tflite op → a kernel call with its constants (weights, requantisation, shapes).

A :class:`Lowered` op holds C declarations (``static const`` arrays and the kernel's parameter
struct) and one call whose tensor pointers are ``{tN}`` placeholders, filled in once the buffer
plan has placed tensor N. Reshape-like ops lower to an alias and no call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from imuforge.export.cgen import quant
from imuforge.export.cgen.graph import CgenError, Graph, Op, Tensor

ALIAS_OPS = ("RESHAPE", "EXPAND_DIMS", "SQUEEZE")


@dataclass
class Lowered:
    op: Op
    decls: list[str] = field(default_factory=list)
    call: str = ""
    reads: tuple[int, ...] = ()
    writes: tuple[int, ...] = ()
    alias: tuple[int, int] | None = None      # (source, view)
    macs: int = 0
    scratch: int = 0                          # bytes of arena the call needs while it runs (``{scratch}``)


def c_array(ctype: str, name: str, values) -> str:
    vals = [int(v) for v in np.asarray(values).ravel()]
    if ctype == "uint32_t":
        vals_s = [f"0x{v:08x}u" for v in vals]
        per_row = 8
    else:
        vals_s = [str(v) for v in vals]
        per_row = 24
    rows = [", ".join(vals_s[i:i + per_row]) for i in range(0, len(vals_s), per_row)] or ["0"]
    return f"static const {ctype} {name}[{max(len(vals), 1)}] = {{\n  " + ",\n  ".join(rows) + "\n};"


def packed_weights(w: np.ndarray) -> tuple[np.ndarray, int]:
    """``[out][taps]`` int8 → the words the kernels' ``ifm_mac4x4`` reads, and the padded tap count.

    Output channels in groups of four, taps in steps of four: for each group and step, the four
    channels' words of four int8 weights (little-endian, in tap order) are adjacent. Zero weights pad
    the taps to a multiple of four and the channels to a multiple of four.
    """
    n_out, taps = w.shape
    kp, op = -(-taps // 4) * 4, -(-n_out // 4) * 4
    full = np.zeros((op, kp), np.int8)
    full[:n_out, :taps] = w
    grouped = full.reshape(op // 4, 4, kp // 4, 4).transpose(0, 2, 1, 3)   # group, step, channel, tap
    return np.ascontiguousarray(grouped).reshape(-1).view("<u4"), kp


def packed_weights16(w: np.ndarray) -> tuple[np.ndarray, int]:
    """``[out][taps]`` int8 → the words ``ifm_mac4x4_w16`` reads: as :func:`packed_weights`, but each
    channel's four taps are two words of sign-extended 16-bit lanes, (w0, w2) and (w1, w3), the order
    in which SXTAB16 unpacks the inputs."""
    n_out, taps = w.shape
    kp, op = -(-taps // 4) * 4, -(-n_out // 4) * 4
    full = np.zeros((op, kp), np.int16)
    full[:n_out, :taps] = w
    grouped = full.reshape(op // 4, 4, kp // 4, 4).transpose(0, 2, 1, 3)   # group, step, channel, tap
    lanes = grouped[..., [0, 2, 1, 3]]                                      # (w0, w2), (w1, w3)
    return np.ascontiguousarray(lanes).astype("<i2").reshape(-1).view("<u4"), kp


def requant_table(bias, mults, shifts, n_pad: int | None = None) -> np.ndarray:
    """Per output channel, the row ``ifm_requant`` reads: bias, multiplier, right shift - 1 (-1 for
    none), left shift, then the 64-bit addends for x >= 0 and x < 0 as (low, high) words (see kernels.py).
    Rows of zeros pad to ``n_pad`` channels (the packed weights' groups of four)."""
    shifts = np.asarray(shifts, np.int64)
    right = np.maximum(-shifts, 0)
    pos = np.where(right > 0, (1 << 30) + np.left_shift(np.int64(1), 30 + right), 1 << 30)
    neg = np.where(right > 0, pos - (1 << 31), pos)

    def words(v):
        lo = (v & 0xFFFFFFFF).astype(np.int64)
        return np.where(lo >= 1 << 31, lo - (1 << 32), lo), v >> 32

    q = np.stack([np.zeros(len(shifts), np.int64) if bias is None else np.asarray(bias, np.int64),
                  np.asarray(mults, np.int64), right - 1, np.maximum(shifts, 0), *words(pos), *words(neg)], axis=1)
    if n_pad is not None and n_pad > len(q):
        q = np.concatenate([q, np.zeros((n_pad - len(q), 8), np.int64)])
    return q


def _int8(g: Graph, t: int, what: str, op: Op) -> Tensor:
    x = g.tensors[t]
    if x.dtype is not np.int8 or x.scales.size == 0:
        raise CgenError(f"op {op.index} ({op.kind}): {what} tensor {x.name!r} is not int8-quantised",
                        allowed="full-integer int8 models from imuforge export")
    return x


def _nhwc(x: Tensor, op: Op) -> tuple[int, int, int]:
    if len(x.shape) != 4 or x.shape[0] != 1:
        raise CgenError(f"op {op.index} ({op.kind}): tensor {x.name!r} has shape {list(x.shape)}",
                        allowed="4-D NHWC with batch 1")
    return x.shape[1], x.shape[2], x.shape[3]


def _padding(op: Op, in_size: int, k: int, stride: int, dil: int, out_size: int) -> int:
    """TFLM ComputePaddingHeightWidth: SAME pads (total // 2) before; VALID pads nothing."""
    eff = (k - 1) * dil + 1
    same = int(op.options.get("padding", 0)) == 0
    expect = (in_size + stride - 1) // stride if same else (in_size - eff + stride) // stride
    if expect != out_size:
        raise CgenError(f"op {op.index} ({op.kind}): output size {out_size} does not follow from input {in_size}, "
                        f"kernel {k}, stride {stride}")
    return max((out_size - 1) * stride + eff - in_size, 0) // 2 if same else 0


def _act(op: Op, y: Tensor) -> tuple[int, int]:
    try:
        return quant.activation_range(op.activation, y.scale, y.zero_point)
    except ValueError as exc:
        raise CgenError(f"op {op.index} ({op.kind}): {exc}", allowed="NONE, RELU, RELU6, RELU_N1_TO_1") from None


def _weights(g: Graph, op: Op, t: int) -> Tensor:
    w = _int8(g, t, "weight", op)
    if w.data is None or np.any(w.zero_points != 0):
        raise CgenError(f"op {op.index} ({op.kind}): weights {w.name!r} must be constant and symmetric (zero point 0)")
    return w


def _bias(g: Graph, op: Op, n: int) -> np.ndarray | None:
    """The constant int32 bias vector, or None without bias."""
    if len(op.inputs) <= 2 or op.inputs[2] < 0:
        return None
    b = g.tensors[op.inputs[2]]
    if b.data is None or b.dtype is not np.int32 or b.size != n:
        raise CgenError(f"op {op.index} ({op.kind}): bias {b.name!r} must be a constant int32 vector of {n}")
    return np.asarray(b.data).ravel()


#: Convolution weights up to this many bytes (int8, summed over the model's CONV_2D ops) are stored
#: sign-extended to 16 bits (two SMLADs per channel and four taps, no unpacking); more stay int8 words
#: unpacked with SXTB16 in the loop, so that flash stays near the .tflite's size.
WIDE_CONV_WEIGHTS_MAX_BYTES = 16 * 1024


def lower_conv(g: Graph, op: Op, depthwise: bool, wide: bool = True) -> Lowered:
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    w = _weights(g, op, op.inputs[1])
    (ih, iw, ic), (oh, ow, oc) = _nhwc(x, op), _nhwc(y, op)
    kh, kw = (w.shape[1], w.shape[2])
    o = op.options
    sh, sw = int(o.get("strideH", 1)), int(o.get("strideW", 1))
    dh, dw = int(o.get("dilationHFactor", 1)), int(o.get("dilationWFactor", 1))
    ph, pw = _padding(op, ih, kh, sh, dh, oh), _padding(op, iw, kw, sw, dw, ow)
    dm = oc // ic if depthwise else 1
    if (w.shape[0] != oc or w.shape[3] != ic) if not depthwise else (w.shape[0] != 1 or w.shape[3] != oc or oc % ic):
        raise CgenError(f"op {op.index} ({op.kind}): weight shape {list(w.shape)} does not fit input {ic} / output {oc}")
    scales = np.broadcast_to(w.scales, (oc,))
    mults, shifts = quant.per_channel_multipliers(x.scale, scales, y.scale)
    lo, hi = _act(op, y)
    bias = _bias(g, op, oc)
    if depthwise:
        decls = [c_array("int8_t", f"w{k}", w.data), c_array("int32_t", f"q{k}", requant_table(bias, mults, shifts))]
        wname, pname, kp, scratch = f"w{k}", "NULL", 0, 0
    else:
        wp, kp = (packed_weights16 if wide else packed_weights)(np.asarray(w.data).reshape(oc, -1))
        decls = [c_array("uint32_t", f"w{k}", wp),
                 c_array("int32_t", f"q{k}", requant_table(bias, mults, shifts, -(-oc // 4) * 4))]
        wname, pname, scratch = "NULL", f"w{k}", kp * 2
    decls.append(f"static const ifm_conv_t p{k} = {{{ih}, {iw}, {ic}, {oh}, {ow}, {oc}, {kh}, {kw}, {sh}, {sw}, "
                 f"{dh}, {dw}, {ph}, {pw}, {dm}, {-x.zero_point}, {y.zero_point}, {lo}, {hi}, {wname}, {pname}, "
                 f"q{k}, {kp}, {int(wide and not depthwise)}, {int(all(int(v) < 0 for v in shifts))}}};")
    macs = oh * ow * oc * kh * kw * (1 if depthwise else ic)
    call = (f"ifm_depthwise(&p{k}, {{t{x.index}}}, {{t{y.index}}});" if depthwise else
            f"ifm_conv2d(&p{k}, {{t{x.index}}}, {{t{y.index}}}, {{scratch}});")
    return Lowered(op, decls, call, (x.index,), (y.index,), macs=macs, scratch=scratch)


def lower_fc(g: Graph, op: Op) -> Lowered:
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    w = _weights(g, op, op.inputs[1])
    if len(w.shape) != 2:
        raise CgenError(f"op {op.index} (FULLY_CONNECTED): weights of shape {list(w.shape)}", allowed="2-D [out, in]")
    n_out, depth = w.shape
    if x.size % depth or y.size != (x.size // depth) * n_out:
        raise CgenError(f"op {op.index} (FULLY_CONNECTED): input of {x.size} values does not fit weights {list(w.shape)}")
    if w.scales.size > 1:
        mults, shifts = quant.per_channel_multipliers(x.scale, w.scales, y.scale)
    else:
        m, s = quant.per_tensor_fc_multiplier(x.scale, w.scale, y.scale)
        mults, shifts = [m] * n_out, [s] * n_out
    lo, hi = _act(op, y)
    wp, _ = packed_weights(np.asarray(w.data).reshape(n_out, depth))
    decls = [c_array("uint32_t", f"w{k}", wp),
             c_array("int32_t", f"q{k}", requant_table(_bias(g, op, n_out), mults, shifts, -(-n_out // 4) * 4)),
             (f"static const ifm_fc_t p{k} = {{{x.size // depth}, {depth}, {n_out}, {-x.zero_point}, "
              f"{y.zero_point}, {lo}, {hi}, w{k}, q{k}}};")]
    return Lowered(op, decls, f"ifm_fully_connected(&p{k}, {{t{x.index}}}, {{t{y.index}}});",
                   (x.index,), (y.index,), macs=x.size * n_out)


def lower_pool(g: Graph, op: Op, is_max: bool) -> Lowered:
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    (ih, iw, c), (oh, ow, oc) = _nhwc(x, op), _nhwc(y, op)
    if c != oc or x.scale != y.scale or x.zero_point != y.zero_point:
        raise CgenError(f"op {op.index} ({op.kind}): input and output differ in channels or quantisation")
    o = op.options
    kh, kw = int(o.get("filterHeight", 1)), int(o.get("filterWidth", 1))
    sh, sw = int(o.get("strideH", 1)), int(o.get("strideW", 1))
    ph, pw = _padding(op, ih, kh, sh, 1, oh), _padding(op, iw, kw, sw, 1, ow)
    lo, hi = _act(op, y)
    decl = (f"static const ifm_pool_t p{k} = {{{ih}, {iw}, {c}, {oh}, {ow}, {kh}, {kw}, {sh}, {sw}, {ph}, {pw}, "
            f"{int(is_max)}, {lo}, {hi}}};")
    return Lowered(op, [decl], f"ifm_pool(&p{k}, {{t{x.index}}}, {{t{y.index}}});", (x.index,), (y.index,))


def lower_add(g: Graph, op: Op) -> Lowered:
    k = op.index
    a, b = _int8(g, op.inputs[0], "input", op), _int8(g, op.inputs[1], "input", op)
    y = _int8(g, op.outputs[0], "output", op)
    if a.shape != b.shape or a.shape != y.shape or a.data is not None or b.data is not None:
        raise CgenError(f"op {op.index} (ADD): shapes {list(a.shape)} + {list(b.shape)} → {list(y.shape)}",
                        allowed="two computed tensors of the same shape (no broadcasting)")
    p = quant.add_params(a.scale, b.scale, y.scale)
    lo, hi = _act(op, y)
    decl = (f"static const ifm_add_t p{k} = {{{y.size}, {-a.zero_point}, {-b.zero_point}, {y.zero_point}, {lo}, "
            f"{hi}, {p.in1_mult}, {p.in1_shift}, {p.in2_mult}, {p.in2_shift}, {p.out_mult}, {p.out_shift}}};")
    return Lowered(op, [decl], f"ifm_add(&p{k}, {{t{a.index}}}, {{t{b.index}}}, {{t{y.index}}});",
                   (a.index, b.index), (y.index,))


def _same_quant(op: Op, *ts: Tensor) -> None:
    """TFLM's int8 CONCATENATION, PAD and REDUCE_MAX move bytes: all tensors share one scale and zero point."""
    if any(t.scale != ts[0].scale or t.zero_point != ts[0].zero_point for t in ts):
        raise CgenError(f"op {op.index} ({op.kind}): inputs and output differ in quantisation",
                        allowed="one scale and zero point for all of them, as TFLM requires")


def lower_mean(g: Graph, op: Op) -> Lowered:
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    is_max = op.kind == "REDUCE_MAX"
    if is_max:
        _same_quant(op, x, y)
    axes_t = g.tensors[op.inputs[1]]
    if axes_t.data is None or len(x.shape) > 4:
        raise CgenError(f"op {op.index} ({op.kind}): needs constant axes and at most 4 dimensions")
    dims = [1] * (4 - len(x.shape)) + list(x.shape)
    red = [0] * 4
    for a in np.asarray(axes_t.data).ravel():
        a = int(a) + len(x.shape) if int(a) < 0 else int(a)
        red[a + 4 - len(x.shape)] = 1
    count = int(np.prod([d for d, r in zip(dims, red) if r]))
    if y.size * count != x.size:
        raise CgenError(f"op {op.index} ({op.kind}): output of {y.size} values does not fit the reduced axes")
    mult, shift = (0, 0) if is_max else quant.mean_multiplier(x.scale, y.scale, count)
    decl = (f"static const ifm_mean_t p{k} = {{{{{', '.join(map(str, dims))}}}, {{{', '.join(map(str, red))}}}, "
            f"{count}, {int(is_max)}, {x.zero_point}, {y.zero_point}, {mult}, {shift}}};")
    return Lowered(op, [decl], f"ifm_mean(&p{k}, {{t{x.index}}}, {{t{y.index}}});", (x.index,), (y.index,))


def lower_softmax(g: Graph, op: Op) -> Lowered:
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    if y.zero_point != -128 or float(y.scale) != 1.0 / 256 or x.shape != y.shape:
        raise CgenError(f"op {op.index} (SOFTMAX): output must be int8 with scale 1/256 and zero point -128")
    p = quant.softmax_params(float(op.options.get("beta", 1.0)), x.scale)
    depth = x.shape[-1]
    decl = (f"static const ifm_softmax_t p{k} = {{{x.size // depth}, {depth}, {p.mult}, {p.left_shift}, "
            f"{p.diff_min}}};")
    return Lowered(op, [decl], f"ifm_softmax(&p{k}, {{t{x.index}}}, {{t{y.index}}});", (x.index,), (y.index,))


def lower_relu(g: Graph, op: Op) -> Lowered:
    """RELU / RELU6 / RELU_N1_TO_1 as ops: TFLM rescales by ``in_scale / out_scale``, then clamps."""
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    mult, shift = quant.quantize_multiplier(float(np.float32(x.scale)) / float(np.float32(y.scale)))
    lo, hi = quant.activation_range({"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}[op.kind],
                                    y.scale, y.zero_point)
    decl = (f"static const ifm_relu_t p{k} = {{{y.size}, {x.zero_point}, {y.zero_point}, {mult}, {shift}, "
            f"{lo}, {hi}}};")
    return Lowered(op, [decl], f"ifm_relu(&p{k}, {{t{x.index}}}, {{t{y.index}}});", (x.index,), (y.index,))


def lower_concat(g: Graph, op: Op) -> Lowered:
    xs = [_int8(g, t, "input", op) for t in op.inputs]
    y = _int8(g, op.outputs[0], "output", op)
    _same_quant(op, y, *xs)
    if op.activation != "NONE" or any(x.data is not None for x in xs):
        raise CgenError(f"op {op.index} (CONCATENATION): constant inputs or a fused activation",
                        allowed="computed inputs, no activation")
    axis = int(op.options.get("axis", 0)) % len(y.shape)
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64))
    calls, off = [], 0
    for x in xs:
        chunk = x.shape[axis] * inner
        calls.append(f"ifm_concat_part({{t{x.index}}}, {{t{y.index}}} + {off}, {outer}, {chunk}, "
                     f"{y.shape[axis] * inner});")
        off += chunk
    if off != y.shape[axis] * inner:
        raise CgenError(f"op {op.index} (CONCATENATION): inputs do not add up to the output along axis {axis}")
    return Lowered(op, [], "\n  ".join(calls), tuple(x.index for x in xs), (y.index,))


def lower_pad(g: Graph, op: Op) -> Lowered:
    k = op.index
    x, y = _int8(g, op.inputs[0], "input", op), _int8(g, op.outputs[0], "output", op)
    _same_quant(op, x, y)
    pads = g.tensors[op.inputs[1]].data
    if pads is None or len(x.shape) > 4:
        raise CgenError(f"op {op.index} ({op.kind}): needs constant paddings and at most 4 dimensions")
    value = y.zero_point
    if op.kind == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = g.tensors[op.inputs[2]].data
        if cv is None:
            raise CgenError(f"op {op.index} (PADV2): the pad value must be constant")
        value = int(np.asarray(cv).ravel()[0])
    lead = 4 - len(x.shape)
    dims_in = [1] * lead + list(x.shape)
    dims_out = [1] * lead + list(y.shape)
    before = [0] * lead + [int(v) for v in np.asarray(pads)[:, 0]]
    if any(o != i + b + int(a) for o, i, b, a in zip(dims_out[lead:], dims_in[lead:], before[lead:],
                                                      np.asarray(pads)[:, 1])):
        raise CgenError(f"op {op.index} ({op.kind}): output shape does not follow from the paddings")

    def arr(v):
        return "{" + ", ".join(map(str, v)) + "}"

    decl = f"static const ifm_pad_t p{k} = {{{arr(dims_in)}, {arr(dims_out)}, {arr(before)}, {value}}};"
    return Lowered(op, [decl], f"ifm_pad(&p{k}, {{t{x.index}}}, {{t{y.index}}});", (x.index,), (y.index,))


def lower_alias(g: Graph, op: Op) -> Lowered:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if x.nbytes != y.nbytes or x.dtype is not y.dtype:
        raise CgenError(f"op {op.index} ({op.kind}): {x.nbytes} bytes in, {y.nbytes} out")
    return Lowered(op, alias=(x.index, y.index))


LOWERINGS: dict[str, Callable[[Graph, Op], Lowered]] = {
    "CONV_2D": lambda g, op: lower_conv(g, op, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda g, op: lower_conv(g, op, depthwise=True),
    "FULLY_CONNECTED": lower_fc,
    "MAX_POOL_2D": lambda g, op: lower_pool(g, op, is_max=True),
    "AVERAGE_POOL_2D": lambda g, op: lower_pool(g, op, is_max=False),
    "ADD": lower_add,
    "MEAN": lower_mean,
    "REDUCE_MAX": lower_mean,
    "RELU": lower_relu,
    "RELU6": lower_relu,
    "RELU_N1_TO_1": lower_relu,
    "CONCATENATION": lower_concat,
    "PAD": lower_pad,
    "PADV2": lower_pad,
    "SOFTMAX": lower_softmax,
    **{name: lower_alias for name in ALIAS_OPS},
}


#: Inputs that only describe a shape (the tensor's static shape already says it): not data flow.
_SHAPE_INPUTS = {"RESHAPE": (1,), "EXPAND_DIMS": (1,)}


def live_ops(g: Graph) -> list[Op]:
    """The ops the model output depends on through data, in order.

    A Keras ``Flatten`` with a dynamic batch converts to SHAPE → STRIDED_SLICE → PACK feeding the
    new shape of a RESHAPE; with static shapes that computation is dead and is dropped.
    """
    producer = {t: op for op in g.ops for t in op.outputs}
    needed, stack = set(), list(g.outputs)
    while stack:
        t = stack.pop()
        op = producer.get(t)
        if op is None or op.index in needed:
            continue
        needed.add(op.index)
        skip = _SHAPE_INPUTS.get(op.kind, ())
        stack.extend(x for i, x in enumerate(op.inputs) if x >= 0 and i not in skip)
    return [op for op in g.ops if op.index in needed]


def lower_graph(g: Graph, *, wide_max_bytes: int = WIDE_CONV_WEIGHTS_MAX_BYTES) -> list[Lowered]:
    """Lower every live op, or :class:`CgenError` naming all ops without a generator.

    ``wide_max_bytes``: 16-bit convolution weights when all CONV_2D weights together take at most
    this many bytes as int8 (see :data:`WIDE_CONV_WEIGHTS_MAX_BYTES`; 0: always int8)."""
    ops = live_ops(g)
    missing = sorted({op.kind for op in ops if op.kind not in LOWERINGS})
    if missing:
        raise CgenError(f"C generation has no kernel for op(s) {', '.join(missing)}",
                        allowed=", ".join(sorted(LOWERINGS)))
    conv_bytes = sum(g.tensors[op.inputs[1]].size for op in ops if op.kind == "CONV_2D")
    wide = 0 < conv_bytes <= wide_max_bytes
    return [lower_conv(g, op, depthwise=False, wide=wide) if op.kind == "CONV_2D" else LOWERINGS[op.kind](g, op)
            for op in ops]
