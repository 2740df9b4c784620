"""The calibration report is a typed value (imuforge.calibrate.result.CalibrationReport): report.json is its
to_json(), it reads back to the same value, and the writers (report.md / .html, the console) work from it alone."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.calibrate.pipeline import CalibrationResult, calibrate
from imuforge.calibrate.report import markdown, write_report
from imuforge.calibrate.result import (AlignStep, CalibrationReport, Fidelity, FitStep, HeldOutFidelity, MapStep,
                                       SkippedStep, step_from_json)
from imuforge.motion.library import schedule
from imuforge.recording import Dataset, read_recording
from imuforge.sensors import get_placement, simulate
from tests.conftest import still_motion

PLAN = [("standing", 8), ("walking", 20), ("running", 12)]

# report.json's keys as written before the report became typed (a report with a device fit, alignment,
# mapping and the held-out check): the file must stay readable by whatever read it then
TOP_KEYS = ["synthetic", "real", "synthetic_recordings", "real_recordings", "real_seconds", "real_labels_s", "classes",
            "notes", "steps", "gravity", "fidelity_scope", "fidelity_before", "fidelity_after",
            "fidelity_after_heldout", "realism", "findings", "plots",
            "real_sources"]  # a key added at the end
STEP_KEYS = {
    "fit_profile": ["step", "summary", "notes", "profile_toml", "device_terms", "noise_topup"],
    "align": ["step", "mode", "rotation", "angle_deg", "rotvec_deg", "euler_xyz_deg", "method", "classes", "cost",
              "runner_up_cost", "gravity_angle_deg", "heading_observable", "notes"],
    "map": ["step", "mode", "classes", "applies_to", "samples", "notes", "source", "strength", "strengths",
            "gravity", "floor_restored"],
}
FIDELITY_KEYS = ["rate_hz", "channels", "distances", "psd", "two_sample"]
TWO_SAMPLE_KEYS = ["windows", "window_s", "folds", "logistic_regression", "random_forest"]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    root = tmp_path_factory.mktemp("typed")
    wrist = get_placement("wrist_left")
    syn = Dataset.create(root / "syn")
    for i in range(2):
        syn.add(simulate(schedule(PLAN, rng=10 + i), "smartwatch-wrist", wrist, seed=i, subject=f"s{i}"))
    Q = Rotation.from_euler("xyz", [0, 0, 150], degrees=True).as_matrix()
    real = Dataset.create(root / "real")
    # a capture long enough for the two-sample test on its held-out halves (≥ 10 two-second windows)
    real.add(simulate(schedule([("standing", 16), ("walking", 30)], rng=99), "smartwatch-wrist",
                      wrist.with_rotation(Q), seed=5, subject="r"))
    desk = simulate(still_motion(30, 20), "smartwatch-wrist", "chest", seed=5).save(root / "desk.imu.parquet")
    out = root / "out"
    res = calibrate([root / "syn"], [desk, root / "real"], out, fit_profile=True, align=True, map_mode="per-class")
    return root, out, res


def test_report_json_is_the_typed_report_and_keeps_its_keys(calibrated):
    _, out, res = calibrated
    text = (out / "report.json").read_text()
    written = json.loads(text)
    assert isinstance(res.report, CalibrationReport)
    assert res.report.to_json() == written
    assert list(written) == TOP_KEYS
    steps = written["steps"]
    assert [s["step"] for s in steps] == ["fit_profile", "align", "map"]
    for s in steps:
        assert list(s) == STEP_KEYS[s["step"]], s["step"]
    for key in ("fidelity_before", "fidelity_after", "fidelity_after_heldout"):
        assert list(written[key])[:5] == FIDELITY_KEYS
        assert list(written[key]["two_sample"]) == TWO_SAMPLE_KEYS
    assert written["fidelity_after"]["in_sample"] is True
    assert list(written["fidelity_after_heldout"])[5:] == ["before", "fitted_on", "scored_on"]
    assert list(written["classes"]) == ["labelled_capture", "synthetic", "real", "shared", "unmatched_synthetic"]
    assert written["classes"]["unmatched_synthetic"] == ["running"]
    assert [list(f) for f in written["findings"]] == [["kind", "topic", "text"]] * len(written["findings"])
    # what recorded the capture: here simulate's people stand in for it, and the report says so
    assert written["real_sources"] == {"simulated": 2}
    assert "Captured by: simulated: 2 recordings" in (out / "report.md").read_text()
    # a report written before the key reads back
    old = {k: v for k, v in written.items() if k != "real_sources"}
    assert CalibrationReport.from_json(old).real_sources == {}


def test_report_reads_back_to_the_same_value_and_text(calibrated):
    _, out, res = calibrated
    back = CalibrationReport.read(out)
    assert back.dumps() == (out / "report.json").read_text()
    assert CalibrationReport.from_json(json.loads(back.dumps())).dumps() == back.dumps()  # and a second time
    # two reads compare equal (the alignment's rotation array made == raise ValueError), another rotation not
    assert CalibrationReport.read(out) == back
    other = CalibrationReport.read(out)
    other.steps[1].alignment.rotation = other.steps[1].alignment.rotation.T
    assert other != back
    # typed all the way down
    fit, al, mp = back.steps
    assert isinstance(fit, FitStep) and isinstance(al, AlignStep) and isinstance(mp, MapStep)
    assert fit.summary.still_seconds > 20 and fit.summary.accel_noise_ug_per_rthz > 0
    assert al.alignment.angle_deg == pytest.approx(res.alignment.angle_deg)
    np.testing.assert_allclose(al.alignment.rotation, res.alignment.rotation)
    assert mp.applies_to == ["standing", "walking"]
    assert isinstance(back.fidelity_after, Fidelity) and back.fidelity_after.in_sample
    assert isinstance(back.fidelity_after_heldout, HeldOutFidelity) and back.fidelity_after_heldout.before
    assert back.fidelity_after.ks_mean < back.fidelity_before.ks_mean
    assert back.step("align") is al and back.steps_done == ["fit_profile", "align", "map"]
    assert [f.text for f in back.findings] == [f.text for f in res.findings]


def test_markdown_comes_from_the_typed_report_alone(calibrated):
    _, out, _ = calibrated
    assert markdown(CalibrationReport.read(out)) == (out / "report.md").read_text()


def test_report_writer_takes_the_recordings_it_plots_and_reads_nothing_back(calibrated, tmp_path):
    """The writer works from the report value and the recordings handed to it: into a fresh folder (no dataset,
    no paths to the inputs) it writes the plots and report.json; report.py does not import the pipeline."""
    root, out, _ = calibrated
    syn = [read_recording(p) for p in sorted((root / "syn").rglob("*.imu.parquet"))]
    real = [read_recording(p) for p in sorted((root / "real").rglob("*.imu.parquet"))]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = CalibrationResult(out=elsewhere, dataset=elsewhere / "dataset", report=CalibrationReport.read(out))
    write_report(again, synthetic=syn, calibrated=syn, real=real, plots=True)
    plots = ["histograms.png", "psd.png", "realism.png"]
    assert sorted(p.name for p in (elsewhere / "plots").iterdir()) == plots
    assert json.loads((elsewhere / "report.json").read_text())["plots"] == [f"plots/{p}" for p in plots]
    # report.py imports nothing back from the pipeline (no calibrate circle)
    import imuforge.calibrate.report as report_module

    tree = ast.parse(Path(report_module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "imuforge.calibrate.pipeline" not in imported and "imuforge.calibrate.result" in imported


def test_a_skipped_step_and_a_skipped_heldout_check_keep_their_json():
    s = step_from_json({"step": "fit_profile", "skipped": "no still stretch"})
    assert isinstance(s, SkippedStep) and s.to_json() == {"step": "fit_profile", "skipped": "no still stretch"}
    h = HeldOutFidelity.from_json({"skipped": "real recordings too short to split in halves"})
    assert h.after is None and h.to_json() == {"skipped": "real recordings too short to split in halves"}


def test_capture_sources_name_the_emulator_a_device_a_simulation_or_files():
    import numpy as np

    from imuforge import Recording
    from imuforge.calibrate.pipeline import capture_sources

    def rec(prov):
        return Recording(np.arange(10) / 10.0, np.zeros((10, 3)), ["acc_x", "acc_y", "acc_z"], 10.0,
                         provenance=prov)

    emulator = {"firmware": "imuforge-emulator 0.1.0", "board": "imuforge-emulator"}
    got = capture_sources([rec({"device": emulator}),
                           rec({"device": {"firmware": "imuforge-emulator 0.1.0"}}),
                           rec({"device": {"firmware": "har-sketch 1.2", "board": "nano33ble"}}),
                           rec({"source": "uci-har", "firmware": "not a capture's key"})])
    assert got == {"emulated wearable (imuforge emulate)": 2, "device nano33ble": 1,
                   "files naming no device": 1}
