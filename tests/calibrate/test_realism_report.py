"""`imuforge calibrate` compares the capture with the synthetic people in the orientation-free realism
statistics, before and after calibration, and proposes the pace that gives a gait the capture's cadence."""

from __future__ import annotations

import re

import numpy as np
import pytest

from imuforge.calibrate.pipeline import calibrate, realism_check
from imuforge.calibrate.realism import realism_stats
from imuforge.calibrate.result import CalibrationReport, ClassScope, RealismCheck
from imuforge.cli import main
from imuforge.motion.text import MotionSpec, parse_description
from imuforge.recording import Dataset, read_dataset
from imuforge.synth import person_motion, record
from imuforge.sensors import load_profile

PROFILE = "smartwatch-wrist"


def _people(path, specs, n, seed):
    """``n`` people doing each spec, made and recorded as ``imuforge motion --profile`` does."""
    profile = load_profile(PROFILE)
    ds = Dataset.create(path)
    for spec in specs:
        for i in range(n):
            m = person_motion(spec, i, seed=seed, fps=100.0)
            ds.add(record(m, profile, profile.default_placement, seed=seed, person=i, key=spec.activity),
                   name=f"{spec.activity}_{i:03d}")
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("realism_report")
    # the synthetic people walk at their own preferred pace; the captured wearer slowly, at 0.9 m/s
    _people(root / "syn", [MotionSpec("walking", 30.0), MotionSpec("standing", 20.0)], 6, seed=0)
    _people(root / "cap", [MotionSpec("walking", 40.0, {"speed": 0.9}), MotionSpec("standing", 20.0)], 1,
            seed=7)
    out = root / "out"
    res = calibrate([root / "syn"], [root / "cap"], out, align=True, map_mode="per-class")
    return root, out, res


def test_the_report_compares_every_statistic_before_and_after(made):
    root, out, res = made
    check = res.report.realism
    assert isinstance(check, RealismCheck) and check.skipped is None
    real = realism_stats(read_dataset(root / "cap").recordings(), rate_hz=check.rate_hz)
    rows = {(r.label, r.stat): r for r in check.rows}
    # the capture's side is realism_stats of the capture itself
    assert rows[("walking", "cadence_spm")].real == pytest.approx(real["walking"].cadence_spm)
    assert rows[("standing", "gyro_p95")].real == pytest.approx(real["standing"].gyro_p95)
    assert ("standing", "posture_deg") not in rows  # the reference: 0 by definition
    assert all(r.after is not None for r in check.rows)
    # calibration maps values, not time: the cadence is the same before and after
    cadence = rows[("walking", "cadence_spm")]
    assert cadence.after == pytest.approx(cadence.before, rel=0.02)
    # the counts are those of the rows' own comparisons, and the cadence (15 % off) is outside the bound
    assert check.within() == sum(r.comparison().within_target() for r in check.rows)
    assert not cadence.comparison().within_target() and check.within() < len(check.rows)
    # written, read back, shown
    assert CalibrationReport.read(out).realism == check
    md = (out / "report.md").read_text()
    assert "## Realism" in md and "| walking | cadence_spm |" in md
    assert (out / "plots" / "realism.png").stat().st_size > 1000 and "plots/realism.png" in res.report.plots


def test_the_proposed_pace_gives_the_capture_cadence(made):
    """The finding's description, made into people, steps within 8 % of the capture's cadence (it was > 10 %
    off): the library's step-rate law, checked by making the people it proposes."""
    root, _, res = made
    row = next(r for r in res.report.realism.rows if (r.label, r.stat) == ("walking", "cadence_spm"))
    assert abs(row.before / row.real - 1) > 0.10
    [text] = [f.text for f in res.findings if f.topic == "realism" and f.kind == "undecided"]
    assert text.startswith(f"walking: the capture steps at {row.real:.0f} steps/min")
    proposed = re.search(r'imuforge motion "([^"]+)"', text).group(1)
    spec = parse_description(proposed, matcher="keywords", seconds=30.0)
    assert spec.activity == "walking" and 0.7 < spec.params["speed"] < 1.2
    again = _people(root / "proposed", [spec], 6, seed=0)
    cadence = realism_stats(read_dataset(again).recordings(), rate_hz=res.report.realism.rate_hz)["walking"]
    assert cadence.cadence_spm == pytest.approx(row.real, rel=0.08)


def test_the_command_prints_the_realism_line(made, tmp_path, capsys):
    root, _, _ = made
    assert main(["calibrate", "--synthetic", str(root / "syn"), "--real", str(root / "cap"), "--out",
                 str(tmp_path / "c"), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"realism: \d+ of \d+ orientation-free statistics within the target's bounds of the "
                     r"capture before calibration, \d+ after", out)
    assert 'could not decide: walking: the capture steps at' in out and 'imuforge motion "walking at' in out


def test_what_cannot_be_compared_is_said(made):
    root, _, _ = made
    syn, cap = list(read_dataset(root / "syn").recordings()), list(read_dataset(root / "cap").recordings())
    scope = ClassScope(True, ["standing", "walking"], ["standing", "walking"], ["standing", "walking"], [])
    acc_only = [r.replace(data=r.data[:, :3], channels=r.channels[:3]) for r in cap]
    assert "no gyroscope" in realism_check(scope, syn, syn, acc_only).skipped
    unlabelled = ClassScope(False, ["standing", "walking"], [], None, [])
    assert "unlabelled" in realism_check(unlabelled, syn, syn, cap).skipped
    assert RealismCheck.from_json(RealismCheck(skipped="x").to_json()) == RealismCheck(skipped="x")
    assert np.isfinite([r.real for r in realism_check(scope, syn, syn, cap).rows]).all()


def test_a_calibration_that_changes_gravitys_magnitude_is_warned_of():
    """Maps fitted per channel can give a still wrist 12.7 m/s² where it held 9.8 (a new user's capture): a
    warning names the class and the figures. Turning the data keeps |g| and says nothing; scaling does."""
    from scipy.spatial.transform import Rotation

    from imuforge.calibrate.pipeline import gravity_findings
    from imuforge.recording import Recording
    from imuforge.units import STANDARD_GRAVITY as G

    t = np.arange(0, 10, 0.02)
    acc = np.tile([0.0, 0.0, G], (len(t), 1)) + 0.05 * np.sin(7 * t)[:, None]
    still = Recording(t, acc, ("acc_x", "acc_y", "acc_z"), 50.0, labels=[(0.0, 10.0, "standing")])
    turned = still.replace(data=Rotation.from_rotvec([0.4, -1.1, 0.3]).apply(acc))
    assert gravity_findings([still], [turned], [still]) == []
    [warned] = gravity_findings([still], [still.replace(data=acc * 1.3)], [still])
    assert warned.kind == "warning" and "standing 9.8 → 12.7 m/s² (capture 9.8)" in warned.text
    # toward a capture that reads more (a swinging limb's centripetal pull): not a drift
    assert gravity_findings([still], [still.replace(data=acc * 1.3)], [still.replace(data=acc * 1.35)]) == []


def test_a_statistic_that_calibration_takes_out_of_its_bounds_is_warned_of():
    """The console's count (5 within before, 7 after) hid a class that got worse: every statistic within its
    bound before and outside it after is named, with both ratios; one that stays, improves or was out
    already is not."""
    from imuforge.calibrate.pipeline import realism_findings
    from imuforge.calibrate.result import RealismRow

    check = RealismCheck(50.0, [RealismRow("standing", "dyn_acc_rms", 0.10, 0.105, 0.212),   # in → out
                                RealismRow("standing", "hf_share", 0.20, 0.218, 0.032),      # in → out
                                RealismRow("walking", "gyro_p95", 3.0, 3.1, 3.05),           # stays in
                                RealismRow("walking", "dyn_acc_rms", 2.0, 3.0, 2.1),         # out → in
                                RealismRow("sitting", "posture_deg", 40.0, 45.0, 70.0)])     # 5° → 30°: out
    (warning,) = [f for f in realism_findings(check, []) if f.kind == "warning"]
    assert ("calibration took statistics that were within the target's bounds of the capture out of them "
            "(synthetic / capture): standing dyn_acc_rms 1.05× → 2.12×, standing hf_share 1.09× → 0.16×, "
            "sitting posture_deg +5° → +30°") in warning.text
    assert "walking" not in warning.text
    assert realism_findings(RealismCheck(50.0, check.rows[2:4]), []) == []


def test_the_cadence_advice_rests_on_the_cadence_the_people_were_made_at():
    """Three watch walkers made at 99–114 steps/min read 92 (the statistic halved one short walk with turns),
    and the advice made them 17 % faster than a capture at 108, where they had been 5 % above it. Where the
    motions say their cadence and the statistic is 10 % off it, the advice takes the made one: none here
    (within 5 %), and one that says both where the made cadence is off too."""
    from imuforge.calibrate.pipeline import realism_findings
    from imuforge.calibrate.result import RealismRow
    from imuforge.recording import Recording

    def walker(steps_per_min):
        info = {"speed_mps": 1.3, "step_frequency_hz": steps_per_min / 60.0}
        return Recording(np.arange(10) / 10.0, np.zeros((10, 3)), ("acc_x", "acc_y", "acc_z"), 10.0,
                         provenance={"motion": {"items": [{"activity": "walking", "info": info}]}})

    made = [walker(s) for s in (113.8, 113.3, 99.4)]
    misread = RealismCheck(100.0, [RealismRow("walking", "cadence_spm", 108.0, 91.6, 91.6)])
    assert [f for f in realism_findings(misread, made) if f.topic == "realism"] == []
    slow = [walker(s) for s in (80.0, 82.0, 84.0)]
    (advice,) = realism_findings(misread, slow)
    assert advice.text.startswith("walking: the capture steps at 108 steps/min, the synthetic people at 82 "
                                  "(0.76×; the statistic reads 92)")
    (advice,) = realism_findings(misread, [])  # motions that do not say it: the statistic, as before
    assert advice.text.startswith("walking: the capture steps at 108 steps/min, the synthetic people at 92 "
                                  "(0.85×)")
