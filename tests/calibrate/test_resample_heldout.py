"""Resampling keeps gaps; the calibration report says when "after" is in-sample and adds a held-out check."""

from __future__ import annotations

import json

import numpy as np

from imuforge.calibrate.fidelity import resample_recording
from imuforge.recording import Recording


def test_resampling_keeps_gaps_and_label_alignment():
    rate = 100.0
    t = np.arange(2000) / rate
    keep = np.ones(t.size, bool)
    keep[700:705] = False  # five dropped samples
    sig = np.sin(2 * np.pi * 1.3 * t)[:, None]
    rec = Recording(t[keep], sig[keep], ("acc_x",), rate, labels=[(0.0, 20.0, "walking")])
    out = resample_recording(rec, 50.0)
    assert out.rate_hz == 50.0 and len(out.gaps()) == 1
    after, before, missing = out.gaps()[0]
    assert after < 7.0 < before  # the gap stays where the samples were dropped
    # every output sample holds the signal at its own time: nothing shifted by the gap
    np.testing.assert_allclose(out.data[:, 0], np.sin(2 * np.pi * 1.3 * out.timestamps), atol=0.02)
    assert out.provenance["resampled"]["stretches"] == 2


def test_calibration_report_marks_in_sample_and_adds_heldout(tmp_path):
    from imuforge.cli import main
    from imuforge.motion.library import generate
    from imuforge.recording import Dataset
    from imuforge.sensors import simulate

    syn, real = Dataset.create(tmp_path / "syn"), Dataset.create(tmp_path / "real")
    for i in range(2):
        syn.add(simulate(generate("walking", 20, rng=i), "smartwatch-wrist", seed=i))
    real.add(simulate(generate("walking", 30, rng=7), "nano33-ble-sense-rev2", seed=7))
    out = tmp_path / "cal"
    assert main(["calibrate", "--synthetic", str(tmp_path / "syn"), "--real", str(tmp_path / "real"),
                 "--out", str(out), "--map", "global", "--map-strength", "full", "--no-plots"]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["fidelity_after"]["in_sample"] is True
    held = rep["fidelity_after_heldout"]
    assert held["scored_on"] == "second half"
    ks = lambda f: np.mean([v["ks"] for v in f["distances"].values()])  # noqa: E731
    # in-sample mapping (in full) is near-perfect by construction; the held-out score is the honest, larger
    # one
    assert ks(rep["fidelity_after"]) <= ks(held) < ks(rep["fidelity_before"])
    assert "in-sample" in (out / "report.md").read_text()


