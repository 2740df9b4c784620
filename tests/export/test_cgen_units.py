"""Requantisation parameters against closed forms, and the buffer plan's invariants."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imuforge.export.cgen import quant
from imuforge.export.cgen.plan import Step, plan_buffers


@pytest.mark.parametrize("real, expected", [(0.0, (0, 0)), (0.5, (1 << 30, 0)), (1.0, (1 << 30, 1)),
                                            (0.25, (1 << 30, -1)), (0.75, (3 << 29, 0)),
                                            (1e-12, (0, 0))])  # shift below -31 → zero, as TFLM
def test_quantize_multiplier_closed_forms(real, expected):
    assert quant.quantize_multiplier(real) == expected


def test_quantize_multiplier_that_rounds_up_to_two_to_the_31_halves():
    m, s = quant.quantize_multiplier(1.0 - 2.0 ** -40)
    assert (m, s) == (1 << 30, 1)


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-6, 1e3))
def test_quantize_multiplier_represents_the_real_within_half_an_lsb(real):
    m, s = quant.quantize_multiplier(real)
    assert (1 << 30) <= m < (1 << 31)
    assert abs(m * 2.0 ** (s - 31) - real) <= 2.0 ** (s - 32) * 1.0000001


def test_activation_ranges():
    assert quant.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert quant.activation_range("RELU", 0.1, -5) == (-5, 127)
    assert quant.activation_range("RELU6", 0.1, -128) == (-128, -68)
    assert quant.activation_range("RELU6", 0.01, -128) == (-128, 127)  # 6 / 0.01 saturates
    with pytest.raises(ValueError, match="TANH"):
        quant.activation_range("TANH", 0.1, 0)


def test_mean_multiplier_divides_by_the_count():
    m0, s0 = quant.quantize_multiplier(1.0)
    m, s = quant.mean_multiplier(0.5, 0.5, 8)
    assert m * 2.0 ** (s - 31) == pytest.approx(1 / 8)
    m, s = quant.mean_multiplier(0.3, 0.2, 10)
    assert m * 2.0 ** (s - 31) == pytest.approx(0.15, rel=1e-7)
    assert (m0, s0) == (1 << 30, 1)


def test_softmax_params_match_their_formulas():
    p = quant.softmax_params(1.0, 0.1)
    real = 0.1 * 2 ** 26
    assert p.mult * 2.0 ** (p.left_shift - 31) == pytest.approx(float(np.float32(0.1)) * 2 ** 26, rel=1e-9)
    assert p.left_shift == math.frexp(real)[1]
    assert p.diff_min == -math.floor(31 * 2 ** 26 / 2 ** p.left_shift)


def test_add_params_are_smaller_than_one():
    p = quant.add_params(0.02, 0.05, 0.04)
    for m, s in ((p.in1_mult, p.in1_shift), (p.in2_mult, p.in2_shift), (p.out_mult, p.out_shift)):
        assert s <= 0 and m * 2.0 ** (s - 31) < 1
    assert p.in2_mult * 2.0 ** (p.in2_shift - 31) == pytest.approx(0.5)


def test_plan_places_overlapping_tensors_apart_and_aliases_together():
    # 0 → [op] → 1 → [op] → 2 → alias 3 → [op reads 1 and 3] → 4
    steps = [Step((0,), (1,)), Step((1,), (2,)), Step((1, 3), (4,))]
    nbytes = {0: 10, 1: 100, 2: 50, 3: 50, 4: 5}
    plan = plan_buffers(steps, [(2, 3)], nbytes, model_input=0, model_output=4)
    assert plan.places[0].where == "input" and plan.places[4].where == "output"
    assert plan.places[2] == plan.places[3]
    a, b = plan.places[1].offset, plan.places[2].offset
    assert a + 100 <= b or b + 50 <= a
    assert plan.arena_bytes >= plan.peak_live_bytes == 150


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=2, max_size=12), st.data())
def test_plan_never_overlaps_live_tensors(sizes, data):
    """A random chain with skip connections: tensors alive at the same step never share a byte."""
    n = len(sizes)
    steps = []
    for i in range(1, n):
        extra = data.draw(st.sampled_from(range(i)))
        steps.append(Step(tuple(sorted({i - 1, extra})), (i,)))
    nbytes = dict(enumerate(sizes))
    plan = plan_buffers(steps, [], nbytes, model_input=0, model_output=n - 1)
    for k, st_ in enumerate(steps):
        live = [t for t in range(1, n - 1) if any(t in s.reads + s.writes for s in steps[:k + 1])
                and any(t in s.reads + s.writes for s in steps[k:])]
        spans = sorted((plan.places[t].offset, plan.places[t].offset + nbytes[t]) for t in live)
        assert all(spans[j][1] <= spans[j + 1][0] for j in range(len(spans) - 1))
        assert all(hi <= plan.arena_bytes for _, hi in spans)


def test_without_the_arm_toolchain_the_card_says_not_measured(tmp_path, monkeypatch):
    from imuforge.export.cgen import build
    from imuforge.export.cgen.check import CgenCheck, _m4, size_json
    from imuforge.export.cgen.emit import GeneratedC

    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    gen = GeneratedC(tmp_path / "m.h", tmp_path / "m.c", "m", 192, 3, 400, 384, 5, 1000, ("CONV_2D",))
    assert build.measure_cortex_m4(gen.source) is None
    m4, note = _m4(gen)
    assert m4 is None and note == "not measured: toolchain missing (arm-none-eabi-gcc)"
    chk = CgenCheck(gen, False, "no host C compiler (cc or gcc) to build the generated C", False, 0, 0, 0, [], m4,
                    note)
    s = size_json(chk, tflm_arena=6000, tflite_bytes=10000)
    assert s["cortex_m4"] == note and s["ram_with_io_bytes"] == 595 and s["ram_with_io_vs_tflm_arena"] == 0.0992
    assert chk.to_json()["compared"] is False and not chk.identical and not chk.to_json()["build_failed"]


def test_card_lines_for_unchecked_and_unmeasured_generated_c():
    from imuforge.export.exporter import _cgen_check_line, _cgen_size_lines

    line = _cgen_check_line({"compared": False, "reason": "no host C compiler"})
    assert "not checked" in line and "no host C compiler" in line
    lines = _cgen_size_lines({"arena_bytes": 400, "peak_live_bytes": 384, "input_bytes": 192, "output_bytes": 3,
                              "ram_with_io_bytes": 595, "cortex_m4": "not measured: toolchain missing"}, 6000, 10000)
    assert "400 bytes" in lines[0] and "10 % of the TFLM arena" in lines[0]
    assert lines[1] == "- Generated C on Cortex-M4: not measured: toolchain missing"


def test_generated_c_the_host_compiler_rejects_is_a_failed_check(tmp_path):
    from imuforge.export.cgen.check import check_generated_c
    from imuforge.export.cgen.emit import GeneratedC

    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no host C compiler")
    (tmp_path / "m.h").write_text("int m_run(void);\n")
    (tmp_path / "m.c").write_text("this is not C\n")
    gen = GeneratedC(tmp_path / "m.h", tmp_path / "m.c", "m", 4, 2, 0, 0, 0, 0, ())
    chk = check_generated_c(gen, np.zeros((1, 4), np.int8), np.zeros((1, 2), np.int8), tflm=None)
    assert not chk.compared and chk.build_failed and "failed" in chk.reason


def test_export_command_says_why_qemu_was_not_measured():
    from imuforge.commands.train import _qemu_summary

    why = "not measured: toolchain or QEMU missing (qemu-system-arm)"
    assert _qemu_summary(why, why.replace("not measured", "not checked")) == f"QEMU Cortex-M4: {why}"
    q = {"icount_shift": 5, "windows": 8, "plain": {"instructions_per_inference": 900, "instructions_per_mac": 6.0},
         "dsp": {"instructions_per_inference": 300, "instructions_per_mac": 2.0}}
    line = _qemu_summary(q, {"windows": 8, "mismatches": 1, "identical": False})
    assert "900 instructions per inference (6.0 per MAC), SMLAD 300 (2.0 per MAC)" in line
    assert line.endswith("1 of 8 windows differ [MISMATCH]")


def _tflm_mbqm(x: int, m: int, shift: int) -> int:
    """TFLM MultiplyByQuantizedMultiplier (double rounding), written from gemmlowp's definitions."""
    left, right = max(shift, 0), max(-shift, 0)
    x = ((x << left) + 2**31) % 2**32 - 2**31
    ab = x * m
    nudge = 2**30 if ab >= 0 else 1 - 2**30
    h = abs(ab + nudge) // 2**31 * (1 if ab + nudge >= 0 else -1)      # division truncating toward zero
    mask = (1 << right) - 1
    return (h >> right) + (1 if (h & mask) > (mask >> 1) + (1 if h < 0 else 0) else 0)


def _table_requant(x: int, row) -> int:
    """ifm_requant (kernels.py) on one row of lower.requant_table, in Python integers."""
    _, m, e1, left, plo, phi, nlo, nhi = (int(v) for v in row)
    x = ((x << left) + 2**31) % 2**32 - 2**31
    lo, hi = (nlo, nhi) if x < 0 else (plo, phi)
    t = x * m + ((hi << 32) | (lo & 0xFFFFFFFF))
    return t >> 31 if e1 < 0 else (t >> 32) >> e1


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.one_of(st.integers(-2**31, 2**31 - 1), st.integers(-70000, 70000)),
       st.integers(0, 2**31 - 1), st.integers(-31, 3))
def test_the_requantisation_table_gives_tflms_double_rounding(x, m, shift):
    from imuforge.export.cgen.lower import requant_table

    row = requant_table(None, [m], [shift])[0]
    assert _table_requant(x, row) == _tflm_mbqm(x, m, shift)


def test_the_requantisation_table_at_the_rounding_ties():
    from imuforge.export.cgen.lower import requant_table

    for shift in (-1, -2, -7, -31, 0, 1):
        row = requant_table(None, [1 << 30], [shift])[0]   # m = 2^30: x·m / 2^31 = x / 2, ties every odd x
        for x in range(-4100, 4100):
            assert _table_requant(x, row) == _tflm_mbqm(x, 1 << 30, shift), (x, shift)


def test_packed_weights16_pairs_follow_the_sxtab16_lanes():
    from imuforge.export.cgen.lower import packed_weights16

    w = np.arange(1, 6 * 7 + 1, dtype=np.int64).reshape(6, 7).astype(np.int8)   # 6 channels, 7 taps
    words, kp = packed_weights16(w)
    assert kp == 8 and words.size == 2 * 2 * 4 * 2   # groups, steps, channels, two words each
    lanes = words.view("<i2").reshape(2, 2, 4, 2, 2)   # group, step, channel, word, lane
    # group 0, step 1 (taps 4..7), channel 2: (w4, w6), (w5, w7 = padding 0)
    assert lanes[0, 1, 2].tolist() == [[w[2, 4], w[2, 6]], [w[2, 5], 0]]
    assert not lanes[1, :, 2:].any()   # channels 6 and 7 pad the last group with zeros


def test_the_c_requantisation_matches_tflm_on_every_branch(tmp_path):
    """ifm_requant (any shift: left shifts, e = 0, e up to 31) and ifm_requant_r (the convolutions' path when no
    channel shifts left) as compiled C, on table rows from lower.requant_table, against TFLM's double rounding."""
    import ctypes
    import subprocess

    from imuforge.export.cgen.kernels import KERNELS_C
    from imuforge.export.cgen.lower import requant_table

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler")
    uses = "\n".join(f"#define IFM_USE_{k} {int(k == 'CONV')}" for k in
                     ("ADD", "CONCAT", "CONV", "DEPTHWISE", "FC", "MEAN", "PAD", "POOL", "RELU", "SOFTMAX"))
    src = tmp_path / "rq.c"
    src.write_text("#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n" + uses + KERNELS_C + """
int rq(int32_t acc, const int32_t *q, int32_t off) { return ifm_requant(acc, q, off, -128, 127); }
int rq_r(int32_t acc, const int32_t *q, int32_t off) { return ifm_requant_r(acc, q, off, -128, 127); }
""")
    lib = tmp_path / "librq.so"
    subprocess.run([cc, "-std=c99", "-O2", "-fPIC", "-shared", str(src), "-o", str(lib)], check=True)
    so = ctypes.CDLL(str(lib))
    for fn in (so.rq, so.rq_r):
        fn.argtypes, fn.restype = [ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32], ctypes.c_int
    rng = np.random.default_rng(0)
    for shift in (-31, -20, -9, -3, -1, 0, 1, 4):
        m = np.concatenate([[0, 1 << 30, (1 << 31) - 1], rng.integers(1 << 30, 1 << 31, 20)])
        rows = requant_table(None, m, [shift] * len(m)).astype(np.int32)
        scale = 2.0 ** (-shift)   # inputs whose result is near the int8 range, plus raw extremes
        xs = np.concatenate([rng.integers(-300, 300, 300) * scale, rng.integers(-2**31, 2**31, 100),
                             [-2**31, 2**31 - 1, 0, -1, 1]]).clip(-2**31, 2**31 - 1).astype(np.int64)
        for row, mm in zip(rows, m):
            q = np.ascontiguousarray(row)
            for x in xs:
                off = int(x % 7) - 3
                want = max(-128, min(127, _tflm_mbqm(int(x), int(mm), shift) + off))
                assert so.rq(int(x), q.ctypes.data, off) == want, (int(x), int(mm), shift)
                if shift < 0:
                    assert so.rq_r(int(x), q.ctypes.data, off) == want, (int(x), int(mm), shift)
