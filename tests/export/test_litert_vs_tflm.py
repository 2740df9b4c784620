"""LiteRT's builtin int8 kernels against TFLM's: within 1 LSB (measured here), and the card's verdict on it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from imuforge.export.exporter import LITERT_TOLERANCE_LSB, _card_checks, _litert_check_line, litert_bound_lsb


def _checks(lite, tflm, xnn=None, logit_scale=None):
    lite, tflm = np.asarray(lite, np.int8), np.asarray(tflm, np.int8)
    xnn = tflm if xnn is None else np.asarray(xnn, np.int8)
    eng = SimpleNamespace(out_lite=lite, out_tflm=tflm, out_xnn=xnn, out_scale=1 / 256, out_zp=-128,
                          logit_scale=logit_scale)
    metrics = SimpleNamespace(drop_accuracy_points=0.0, drop_macro_f1_points=0.0)
    cgen = SimpleNamespace(to_json=lambda: {"compared": False, "reason": "not in this test"})
    return _card_checks(eng, metrics, cgen)["litert_agrees_with_tflm"]


def test_identical_outputs_pass_as_identical():
    out = [[-128, 127, -128], [0, -5, 4]]
    le = _checks(out, out)
    assert le["identical"] and le["within_tolerance"] and le["windows_differing"] == 0 and le["max_abs_diff_lsb"] == 0
    assert "identical on every window" in _litert_check_line(le)


def test_one_lsb_apart_passes_with_the_windows_named():
    tflm = [[-128, 127, -128], [-103, -75, 49], [0, 0, 0]]
    lite = [[-128, 127, -128], [-102, -75, 49], [0, 0, 0]]
    le = _checks(lite, tflm)
    assert not le["identical"] and le["within_tolerance"]
    assert le["windows_differing"] == 1 and le["mismatch_windows"] == [1] and le["max_abs_diff_lsb"] == 1
    line = _litert_check_line(le)
    assert "**pass**" in line and "1 of 3 windows differ by up to 1 LSB" in line and "FULLY_CONNECTED" in line


def test_two_lsb_apart_fails():
    le = _checks([[-101, -75, 49]], [[-103, -75, 49]])
    assert le["max_abs_diff_lsb"] == 2 > LITERT_TOLERANCE_LSB and not le["within_tolerance"]
    assert "**FAIL**" in _litert_check_line(le)


def test_behind_a_softmax_one_lsb_of_the_logits_is_carried_through_it():
    """A model ending in SOFTMAX (logit scale s_z = 0.08, output 1/256 with zero point −128): 1 LSB of a
    logit moves output j by 2·p_j·(1 − p_j)·s_z/s_p LSB at most (the softmax's Jacobian; closed form),
    plus 1 LSB of output rounding. An uncertain window (p ≈ 0.5, 0.3) may differ by 9 LSB: pass; a confident
    one (p ≈ 1 and ≈ 0) only by 1: 2 LSB there fails. Without a softmax the flat 1 LSB holds."""
    s_z, s_p = 0.08, 1 / 256
    tflm = np.array([[0, -52, -50], [127, -128, -128]], np.int8)  # p ≈ (0.50, 0.30, 0.30), (1, 0, 0)
    p = (tflm.astype(float) + 128) * s_p
    want = 1 + 2 * p * (1 - p) * s_z / s_p
    assert litert_bound_lsb(tflm, s_p, -128, s_z) == pytest.approx(want)
    assert litert_bound_lsb(tflm, s_p, -128, None) == pytest.approx(np.ones_like(want))
    uncertain = _checks([[9, -52, -50], [127, -128, -128]], tflm, logit_scale=s_z)
    assert want[0, 0] > 9 and uncertain["within_tolerance"] and uncertain["max_abs_diff_lsb"] == 9
    line = _litert_check_line(uncertain)
    assert "**pass**" in line and "carried through the softmax" in line
    confident = _checks([[0, -52, -50], [125, -128, -128]], tflm, logit_scale=s_z)
    assert not confident["within_tolerance"] and "**FAIL**" in _litert_check_line(confident)
    assert not _checks([[9, -52, -50], [127, -128, -128]], tflm)["within_tolerance"]


def test_top1_agreement_counts_windows_whose_argmax_moves():
    le = _checks([[10, 9], [3, 1]], [[9, 10], [3, 1]])
    assert le["top1_agreement"] == 0.5 and le["max_abs_diff_lsb"] == 1


def test_real_runtimes_agree_within_the_tolerance():
    """The tolerance is what the two runtimes need: 1500 random int8 windows through the HIL test model on
    LiteRT (builtin kernels) and TFLM never differ by more than 1 LSB, and top-1 moves on none that is not a tie."""
    pytest.importorskip("tflite_micro")
    pytest.importorskip("ai_edge_litert")
    from imuforge.export.tflm import LiteRTModel, TflmModel
    from imuforge.hil.selftest import shared_tiny_export

    model = (shared_tiny_export() / "model.tflite").read_bytes()
    lite, tflm = LiteRTModel(model), TflmModel(model)
    shape = tuple(lite.input["shape"][1:])
    Q = np.random.default_rng(0).integers(-128, 128, size=(1500, 1) + shape, dtype=np.int8)
    a, b = lite.run(Q), np.concatenate([tflm.invoke(q) for q in Q])
    d = np.abs(a.astype(int) - b.astype(int)).max(axis=1)
    assert d.max() <= LITERT_TOLERANCE_LSB
    moved = np.flatnonzero(a.argmax(1) != b.argmax(1))
    for w in moved:  # a 1-LSB difference can only move top-1 between outputs that (nearly) tie
        top = np.sort(b[w].astype(int))[-2:]
        assert top[1] - top[0] <= 2 * LITERT_TOLERANCE_LSB


def test_cards_from_before_the_tolerance_still_render():
    """Cards written with the strict ``litert_equals_tflm`` (the shipped model cards) render and are judged."""
    import json
    from pathlib import Path

    from imuforge.export.exporter import _verdicts, card_markdown, litert_entry

    root = Path(__file__).resolve().parents[2]
    cards = sorted(root.glob("models/*/card.json")) + [root / "firmware_bridge/model/export/card.json"]
    assert cards
    for path in cards:
        card = json.loads(path.read_text())
        le = litert_entry(card["checks"])
        assert le["tolerance_lsb"] == 0 and le["within_tolerance"] == card["checks"]["litert_equals_tflm"]["identical"]
        md = card_markdown(card)
        assert "LiteRT output within 0 LSB of TFLM" in md, path
        card["checks"].setdefault("generated_c_equals_tflm", {"compared": False, "reason": "old card"})
        card["checks"].setdefault("generated_c_equals_tflm_qemu", "not measured: old card")
        assert _verdicts(card["checks"])["litert_agrees_with_tflm"] in ("pass", "FAIL")
    assert litert_entry({}) is None and "not in this card" in _litert_check_line(None)
