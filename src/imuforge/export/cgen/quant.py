"""Requantisation parameters, computed exactly as TensorFlow Lite Micro computes them at Prepare time.

Sources (tensorflow/tflite-micro): ``QuantizeMultiplier`` (kernels/internal/quantization_util.cc:
``frexp``, round half away from zero to 31 bits, ``q == 2^31`` → halve and ``shift + 1``,
``shift < -31`` → zero); per-channel conv/depthwise/FC multipliers ``double(in_scale) ·
double(w_scale) / double(out_scale)`` (micro/kernels/kernel_util.cc
``PopulateConvolutionQuantizationParams``, fully_connected_common.cc); per-tensor FC
``double(float(in_scale · w_scale)) / double(out_scale)`` (``GetQuantizedConvolutionMultipler``);
add (add_common.cc, left shift 20); mean (reduce_common.cc + reference/reduce.h, the multiplier
divided by the element count); softmax (softmax_common.cc: ``PreprocessSoftmaxScaling`` with 5
integer bits and ``CalculateInputRadius``); fused activation ranges
(``CalculateActivationRangeQuantized``: ``zp + int(round(f / scale))`` in float32).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _round_away(v: float) -> int:
    """C's ``round`` (TfLiteRound): half away from zero."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """``(multiplier, shift)`` with ``real ≈ multiplier · 2^(shift - 31)``, multiplier in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_away(q * (1 << 31))
    if q_fixed > (1 << 31):
        raise ValueError(f"multiplier {real!r} does not quantise")
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def per_channel_multipliers(in_scale: float, w_scales, out_scale: float) -> tuple[list[int], list[int]]:
    """Conv / depthwise / per-channel FC: one (multiplier, shift) per output channel."""
    mults, shifts = [], []
    for ws in np.asarray(w_scales, np.float32):
        m, s = quantize_multiplier(float(np.float32(in_scale)) * float(ws) / float(np.float32(out_scale)))
        mults.append(m)
        shifts.append(s)
    return mults, shifts


def per_tensor_fc_multiplier(in_scale: float, w_scale: float, out_scale: float) -> tuple[int, int]:
    """Per-tensor FC: the input·weight scale product is rounded to float32 first, as TFLM does."""
    product = float(np.float32(in_scale) * np.float32(w_scale))
    return quantize_multiplier(product / float(np.float32(out_scale)))


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """The int8 clamp of a fused activation ('NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1')."""

    def q(f: float) -> int:
        return int(zero_point) + _round_away(float(np.float32(f) / np.float32(scale)))

    lo, hi = -128, 127
    if activation == "RELU":
        return max(lo, q(0.0)), hi
    if activation == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    if activation == "NONE":
        return lo, hi
    raise ValueError(f"fused activation {activation} has no int8 kernel here")


@dataclass(frozen=True)
class AddParams:
    in1_mult: int
    in1_shift: int
    in2_mult: int
    in2_shift: int
    out_mult: int
    out_shift: int


def _smaller_than_one(real: float) -> tuple[int, int]:
    m, s = quantize_multiplier(real)
    if s > 0:
        raise ValueError(f"ADD rescale {real!r} is not below one")
    return m, s


def add_params(s1: float, s2: float, s_out: float) -> AddParams:
    twice_max = 2.0 * float(max(np.float32(s1), np.float32(s2)))
    r1 = float(np.float32(s1)) / twice_max
    r2 = float(np.float32(s2)) / twice_max
    ro = twice_max / ((1 << 20) * float(np.float32(s_out)))
    return AddParams(*_smaller_than_one(r1), *_smaller_than_one(r2), *_smaller_than_one(ro))


def mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """MEAN: ``in_scale / out_scale`` quantised, then divided by ``count`` the way reference/reduce.h does."""
    mult, shift = quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    k = int(count).bit_length() - 1  # 63 - clz64(count)
    k = min(k, 32, 31 + shift)
    mult = int((mult << k) // int(count)) if k >= 0 else int((mult >> -k) // int(count))
    return mult, shift - k


@dataclass(frozen=True)
class SoftmaxParams:
    mult: int
    left_shift: int
    diff_min: int


def softmax_params(beta: float, in_scale: float) -> SoftmaxParams:
    """int8 → int8 softmax: beta·scale in Q5 (``PreprocessSoftmaxScaling``) and the smallest difference kept."""
    integer_bits = 5
    real = min(float(beta) * float(np.float32(in_scale)) * (1 << (31 - integer_bits)), (1 << 31) - 1.0)
    mult, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise ValueError(f"softmax input multiplier {real!r} is below one")
    radius = math.floor(((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << left_shift))
    return SoftmaxParams(mult, left_shift, -int(radius))
