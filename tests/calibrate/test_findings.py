"""`imuforge calibrate` says what the capture decided and what it could not, and warns when a
fidelity figure gets worse after calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.calibrate.pipeline import alignment_stability, fidelity_regressions
from imuforge.cli import main
from imuforge.motion.library import schedule
from imuforge.recording import Dataset
from imuforge.sensors import get_placement, simulate

PLAN = [("standing", 8), ("walking", 20)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("findings")
    wrist = get_placement("wrist_left")
    syn = Dataset.create(root / "syn")
    for i in range(2):
        syn.add(simulate(schedule(PLAN + [("running", 10)], rng=10 + i), "smartwatch-wrist", wrist, seed=i,
                         subject=f"s{i}"))
    motion = schedule(PLAN, rng=99)
    q1 = Rotation.from_euler("xyz", [0, 0, 30], degrees=True).as_matrix()
    q2 = Rotation.from_euler("xyz", [0, 0, 150], degrees=True).as_matrix()
    worn1 = simulate(motion, "smartwatch-wrist", wrist.with_rotation(q1), seed=5, subject="r")
    worn2 = simulate(motion, "smartwatch-wrist", wrist.with_rotation(q2), seed=5, subject="r")
    stable = Dataset.create(root / "stable")
    stable.add(worn1)
    # the watch turned on the wrist half-way through every stretch: the halves disagree
    second_half = np.zeros(len(worn1), dtype=bool)
    for seg in worn1.labels:
        t = worn1.timestamps
        second_half |= (t >= seg.start_s + 0.5 * (seg.end_s - seg.start_s)) & (t < seg.end_s)
    slipped = Dataset.create(root / "slipped")
    slipped.add(worn1.replace(data=np.where(second_half[:, None], worn2.data, worn1.data)))
    return root


def _run(args, capsys):
    rc = main(["calibrate", *map(str, args), "--no-plots"])
    assert rc == 0
    return capsys.readouterr().out


def test_fidelity_regression_is_flagged_with_its_figures():
    from imuforge.calibrate.result import Auc, ChannelDistance, Fidelity, PsdComparison, TwoSampleTest

    def fid(lsd, ks, w, auc):
        return Fidelity(50.0, ["acc_x", "gyro_x"],
                        {"acc_x": ChannelDistance(w, ks, 1.0), "gyro_x": ChannelDistance(0.1, 0.1, 1.0)},
                        PsdComparison([], [], [], 8, {"acc_x": 3.0, "gyro_x": lsd}),
                        TwoSampleTest({"synthetic": 10, "real": 10}, {"logistic_regression": Auc(auc, 0.01)}))

    before = fid(5.0, 0.30, 1.0, 0.90)
    warns = fidelity_regressions(before, fid(19.0, 0.10, 0.5, 0.80), "after calibration")
    assert [w.kind for w in warns] == ["warning"]
    assert warns[0].text == "PSD log-spectral distance worse after calibration: gyro_x 5.0 → 19.0 dB"
    # with what of the calibration moves a spectrum, where a step that does ran (a fresh user's run)
    said = fidelity_regressions(before, fid(19.0, 0.10, 0.5, 0.80), "after calibration",
                                {"PSD log-spectral distance": "a map reshapes"})
    assert said[0].text.endswith("19.0 dB (a map reshapes; the spectra are in the plots)")
    texts = " | ".join(w.text for w in fidelity_regressions(before, fid(5.5, 0.35, 1.5, 0.97), "after"))
    assert "KS statistic worse after: acc_x 0.300 → 0.350" in texts
    assert "1-Wasserstein distance worse after: acc_x 1 → 1.5" in texts
    assert "two-sample AUC worse after: logistic_regression 0.900 → 0.970" in texts
    assert "PSD" not in texts  # +0.5 dB is within the 1 dB margin
    assert fidelity_regressions(before, fid(4.0, 0.2, 0.9, 0.7), "after") == []  # all better: no warning


def test_worse_fidelity_warns_in_the_console_and_the_report(data, tmp_path, capsys):
    # --gravity remove against a capture that has gravity: the synthetic acc loses its 1 g, so the
    # acc distributions move away from the capture's; the command must say so, not just print the
    # numbers (which of W₁ and KS crosses its margin depends on the synthetic people's postures; each
    # figure's own test is test_fidelity_regression_is_flagged_with_its_figures)
    out = tmp_path / "o"
    printed = _run(["--synthetic", data / "syn", "--real", data / "stable", "--out", out, "--gravity", "remove"],
                   capsys)
    warn = [ln.removeprefix("WARNING: ") for ln in printed.splitlines() if ln.startswith("WARNING:")]
    acc = [w for w in warn if w.split(":")[0] in ("1-Wasserstein distance worse after calibration",
                                                   "KS statistic worse after calibration") and "acc_" in w]
    assert acc, printed
    assert f"WARNING(s) above (also in {out / 'report.md'})" in printed
    rep = json.loads((out / "report.json").read_text())
    assert any(f["kind"] == "warning" and f["topic"] == "fidelity" for f in rep["findings"])
    md = (out / "report.md").read_text()
    assert "## Warnings" in md and all(f"**WARNING:** {w}" in md for w in acc)


def test_console_says_which_classes_the_capture_lacks_and_what_it_decided(data, tmp_path, capsys):
    printed = _run(["--synthetic", data / "syn", "--real", data / "stable", "--out", tmp_path / "o", "--align",
                    "--map", "per-class"], capsys)
    assert ("capture decided: calibrated on the classes both the capture and the synthetic data hold: "
            "standing, walking") in printed
    assert "could not decide: missing from the capture: running" in printed
    assert "in the capture but not in the synthetic data" not in printed
    assert "capture decided: sensor rotation" in printed
    assert "alignment unstable" not in printed  # one wearer, the watch never moved
    md = (tmp_path / "o" / "report.md").read_text()
    assert "## What the capture decided" in md and "could not decide: missing from the capture: running" in md


def test_console_says_which_captured_classes_have_no_synthetic_data(data, tmp_path, capsys):
    """A class captured and not made (a typo in the user's loop over activities) is said, not left to the
    map's note (a fresh user's run, session 63)."""
    from imuforge.datasets.selection import restrict_labels
    from imuforge.recording import read_dataset

    syn = Dataset.create(tmp_path / "syn_no_walking")
    for i, r in enumerate(read_dataset(data / "syn")):
        syn.add(restrict_labels(r, ["standing", "running"]), name=f"r{i:03d}")
    printed = _run(["--synthetic", tmp_path / "syn_no_walking", "--real", data / "stable",
                    "--out", tmp_path / "o", "--map", "per-class"], capsys)
    assert ("capture decided: calibrated on the classes both the capture and the synthetic data hold: "
            "standing") in printed
    assert "could not decide: in the capture but not in the synthetic data: walking" in printed



def test_a_misspelt_capture_label_is_a_warning_naming_the_class_meant(data, tmp_path, capsys):
    """'walkng' beside synthetic walking: a typo, not an activity without synthetic data — a warning with
    the class meant (it was "could not decide", and walking went uncalibrated without a word of why)."""
    from imuforge.recording import LabelSegment, read_dataset

    real = Dataset.create(tmp_path / "typo")
    for i, r in enumerate(read_dataset(data / "stable")):
        typo = [LabelSegment(s.start_s, s.end_s, "walkng" if s.label == "walking" else s.label)
                for s in r.labels]
        real.add(r.replace(labels=typo), name=f"r{i:03d}")
    printed = _run(["--synthetic", data / "syn", "--real", tmp_path / "typo", "--out", tmp_path / "o",
                    "--map", "per-class"], capsys)
    assert ("WARNING: the capture's label 'walkng' is no synthetic class — did you mean 'walking'? Nothing "
            "was calibrated on it, and walking is passed through as simulated") in printed
    assert "in the capture but not in the synthetic data" not in printed
    # a library activity is no typo of another, however alike their names (waving / walking)
    from imuforge.calibrate.pipeline import _class_findings
    from imuforge.calibrate.result import ClassScope

    scope = ClassScope(True, ["elevator_down", "walking"], ["elevator_up", "walking", "waving", "walkng"],
                       ["walking"], ["elevator_down"])
    found = [f for f in _class_findings(scope) if f.kind in ("warning", "undecided")]
    assert [f.kind for f in found] == ["warning", "undecided", "undecided"]
    assert "'walkng' is no synthetic class — did you mean 'walking'?" in found[0].text
    assert "in the capture but not in the synthetic data: elevator_up, waving" in found[1].text


def test_unstable_alignment_is_reported(data, tmp_path, capsys):
    printed = _run(["--synthetic", data / "syn", "--real", data / "slipped", "--out", tmp_path / "o", "--align"],
                   capsys)
    line = next((ln for ln in printed.splitlines() if "alignment unstable" in ln), "")
    assert line.startswith("WARNING: alignment unstable: fitted on the two halves of the capture"), printed
    apart = float(line.split("rotations ")[1].split("°")[0])
    assert apart > 60  # the watch was turned by 120° between the halves


def test_alignment_stability_of_a_fixed_watch_is_small(data):
    from imuforge.calibrate.pipeline import load_recordings

    syn = [r for _, r in load_recordings([data / "syn"], what="synthetic")]
    real = [r for _, r in load_recordings([data / "stable"])]
    assert alignment_stability(syn, real).halves_apart_deg < 15


def test_report_html_renders_bold_and_code_marks(tmp_path):
    from imuforge.calibrate.report import to_html

    page = to_html("# Calibration report\n\n**Note:** use `--align` here\n\n- **align**: `pooled`\n", tmp_path)
    assert "<strong>Note:</strong> use <code>--align</code> here" in page
    assert "<li><strong>align</strong>: <code>pooled</code></li>" in page and "**" not in page and "`" not in page


def test_a_large_gravity_residual_after_alignment_is_a_warning():
    import numpy as np

    from imuforge.calibrate.align import Alignment
    from imuforge.calibrate.pipeline import GRAVITY_RESIDUAL_DEG, _alignment_findings
    from imuforge.calibrate.result import AlignStep

    al = Alignment(np.eye(3), "gravity + motion covariance", ["standing"], 1.0, GRAVITY_RESIDUAL_DEG + 28.6,
                   heading_observable=False)
    warn = [f.text for f in _alignment_findings(AlignStep("pooled", al), [], []) if f.kind == "warning"]
    assert len(warn) == 1 and "43.6°" in warn[0]
    ok = Alignment(np.eye(3), "gravity + motion covariance", ["standing"], 1.0, 3.0, heading_observable=False)
    assert not [f for f in _alignment_findings(AlignStep("pooled", ok), [], []) if f.kind == "warning"]


def test_a_device_put_on_differently_for_one_activity_is_a_warning():
    """Two activities the capture holds at an angle no synthetic person does: the device was put on
    differently between them (here: the walking capture turned 50° on the lower back)."""
    from imuforge.calibrate.align import rotate_recording
    from imuforge.calibrate.pipeline import posture_findings
    from imuforge.synth import activity_spec, generate_recordings, plan_takes

    sources = [activity_spec("standing", 6.0), activity_spec("walking", 10.0)]
    made = generate_recordings(sources, plan_takes(2, 5, ["metamotions"], ["lower_back"]), seed=3, wear="default")
    recs = [rec for _, _, rec in made]
    last = recs[-1].subject
    people, capture = [r for r in recs if r.subject != last], [r for r in recs if r.subject == last]
    assert len({r.subject for r in people}) == 4 and len(capture) == 2
    assert posture_findings(people, capture) == []  # one more person wearing it one way: nothing to say

    turn = Rotation.from_euler("x", 50, degrees=True).as_matrix()
    moved = [rotate_recording(r, turn) if r.labels[0].label == "walking" else r for r in capture]
    (warning,) = posture_findings(people, moved)
    assert warning.kind == "warning" and "standing and walking" in warning.text and "put on differently" in warning.text
    assert "lying face down" not in warning.text  # the lying posture hint only where lying is one of the two
    from imuforge.calibrate.pipeline import _posture_hint

    assert _posture_hint("lying", "sitting").endswith('imuforge motion "lying face down"')
    assert _posture_hint("standing", "walking") is None
    angle = float(warning.text.split("walking ")[1].split("°")[0])
    assert 40 <= angle <= 60
    # ... and too few synthetic people to know the range: nothing said
    two = sorted({r.subject for r in people})[:2]
    assert posture_findings([r for r in people if r.subject in two], moved) == []


def test_a_capture_whose_activities_come_from_different_people_is_not_compared():
    from imuforge.calibrate.pipeline import posture_findings
    from imuforge.synth import activity_spec, generate_recordings, plan_takes

    sources = [activity_spec("standing", 6.0), activity_spec("walking", 10.0)]
    recs = [rec for _, _, rec in generate_recordings(sources, plan_takes(2, 4, ["metamotions"], ["lower_back"]),
                                                      seed=4, wear="default")]
    subjects = sorted({r.subject for r in recs})
    # standing of one person, walking of another (as gaitmap's stair and walking files)
    capture = [r for r in recs if (r.subject, r.labels[0].label) in {(subjects[0], "standing"), (subjects[1], "walking")}]
    (f,) = posture_findings(recs, capture)
    assert f.kind == "undecided" and f.topic == "posture" and f.text.endswith("not compared where no person of the "
                                                                             "capture holds both activities: standing–walking")
    # a class the synthetic data lack is not used, so not named (calibrate says so on its own line)
    assert posture_findings([r for r in recs if r.labels[0].label == "standing"], capture) == []


def test_a_capture_whose_every_class_has_its_own_wearer_is_a_warning():
    """Each class from another person (gaitmap's walking and stair files): the wearer is part of the class,
    and per-class maps carry it into the synthetic classes — said once, naming who showed what."""
    from imuforge.calibrate.pipeline import wearer_findings
    from imuforge.calibrate.result import MapStep
    from imuforge.synth import activity_spec, generate_recordings, plan_takes

    sources = [activity_spec("standing", 6.0), activity_spec("walking", 6.0)]
    takes = plan_takes(2, 2, ["metamotions"], ["lower_back"])
    recs = [rec for _, _, rec in generate_recordings(sources, takes, seed=4, wear="default")]
    a, b = sorted({r.subject for r in recs})
    apart = [r for r in recs if (r.subject, r.labels[0].label) in {(a, "standing"), (b, "walking")}]
    per_class = MapStep("per-class", ["standing", "walking"], ["standing", "walking"], {})
    (f,) = wearer_findings(apart, per_class)
    assert (f.kind, f.topic) == ("warning", "classes")
    assert f"(standing: {a}; walking: {b})" in f.text and "--map per-class carried it" in f.text
    (f,) = wearer_findings(apart, None)  # no map: the warning without the map's part
    assert "--map" not in f.text and "capture every activity on each wearer" in f.text
    assert wearer_findings(recs, per_class) == []  # both people did both activities
    # a recording without a subject id is one wearer of its own, named as such
    unnamed = [r.replace(subject=None) if r.subject == a else r for r in apart]
    (f,) = wearer_findings(unnamed, None)
    assert "(standing: (no subject id); walking: " in f.text
    assert wearer_findings([r for r in recs if r.subject == a], per_class) == []  # one wearer


def test_a_capture_worn_at_another_body_site_is_a_warning():
    """A thigh-pocket capture against wrist-worn synthetic people: named, with both sites; the other wrist or
    recordings without a placement say nothing."""
    from imuforge.calibrate.pipeline import placement_findings
    from imuforge.recording import Recording

    def rec(placement):
        t = np.arange(50) / 50.0
        return Recording(t, np.tile([0.0, 0.0, 9.81], (50, 1)), ("acc_x", "acc_y", "acc_z"), 50.0,
                         placement=placement)

    (warning,) = placement_findings([rec("wrist_left"), rec("wrist_right")], [rec("pocket_right_thigh")])
    assert warning.kind == "warning" and warning.text.startswith(
        "the capture is worn at pocket_right_thigh, the synthetic data at wrist_left, wrist_right")
    assert placement_findings([rec("wrist_left")], [rec("wrist_right")]) == []
    assert placement_findings([rec("wrist_left")], [rec(None)]) == []
    # part of the synthetic data worn elsewhere (a corpus of two placements): named, with how many
    (warning,) = placement_findings([rec("wrist_left"), rec("waist_front"), rec("wrist_right")],
                                    [rec("wrist_left")])
    assert warning.text.startswith("1 of the 3 synthetic recordings are worn at waist_front, the capture at "
                                   "wrist_left: the rotation and maps fitted at the capture's site were "
                                   "applied")


def test_a_capture_from_another_device_is_a_warning():
    """A capture from another chip than the synthetic data were made for: named, with both; the same device,
    its fitted profile, or recordings that name no device say nothing."""
    from imuforge.calibrate.pipeline import device_findings
    from imuforge.recording import Recording

    def rec(profile):
        t = np.arange(50) / 50.0
        return Recording(t, np.tile([0.0, 0.0, 9.81], (50, 1)), ("acc_x", "acc_y", "acc_z"), 50.0,
                         profile=profile)

    (warning,) = device_findings([rec("nano33-ble-sense-rev2")], [rec("adxl345")])
    assert warning.kind == "warning" and warning.text.startswith(
        "the capture comes from adxl345, the synthetic data were made for nano33-ble-sense-rev2")
    assert device_findings([rec("adxl345-fitted")], [rec("adxl345")]) == []
    assert device_findings([rec("adxl345-fitted-fitted")], [rec("adxl345")]) == []  # fitted twice
    from imuforge.sensors.profiles import load_profile

    path = str(load_profile("nano33-ble-sense-rev2").path)  # a capture naming its profile by the file
    assert device_findings([rec("nano33-ble-sense-rev2")], [rec(path)]) == []
    assert device_findings([rec("adxl345")], [rec(None)]) == []
    # part of the synthetic data for another device (a corpus of two): named, with how many
    (warning,) = device_findings([rec("adxl345"), rec("metamotions"), rec("metamotions")],
                                 [rec("metamotions")])
    assert warning.kind == "warning" and warning.text.startswith(
        "1 of the 3 synthetic recordings were made for adxl345, the capture comes from metamotions")


def test_an_ambiguous_alignment_over_few_synthetic_people_names_them():
    """A fresh user's 4 synthetic people (wear variation on) aligned 176° off and were told to capture more
    walking; 10 people aligned within 6° (session 61): under 8 people the advice names them too."""
    import numpy as np

    from imuforge.calibrate.align import Alignment
    from imuforge.calibrate.pipeline import FEW_SYNTHETIC_PEOPLE, _alignment_findings
    from imuforge.calibrate.result import AlignStep
    from imuforge.recording import Recording

    al = Alignment(np.eye(3), "walking", ["walking"], 1.0, None, False,
                   notes=["ambiguous: a rotation > 10° away fits almost as well (cost 1.1 vs 1)"])

    def people(n):
        return [Recording(np.arange(10) / 10.0, np.zeros((10, 3)), ("acc_x", "acc_y", "acc_z"), 10.0,
                          subject=f"s{i}") for i in range(n)]
    few = [f.text for f in _alignment_findings(AlignStep("pooled", al), people(4), [])
           if "ambiguous" in f.text]
    assert "capture more walking, or make more synthetic people (the pooled rotation over 4" in few[0]
    many = [f.text for f in _alignment_findings(AlignStep("pooled", al), people(FEW_SYNTHETIC_PEOPLE), [])
            if "ambiguous" in f.text]
    assert many[0].endswith("capture more walking")


def test_a_worse_spectrum_names_only_the_steps_that_ran():
    """The PSD warning's reason names the map and the noise added where they ran, and nothing where neither
    did (a review of session 61: it blamed a map that an --align-only run never made)."""
    from types import SimpleNamespace

    from imuforge.calibrate.pipeline import why_worse
    from imuforge.calibrate.result import MapStep

    def report(steps):
        return SimpleNamespace(step=lambda name: steps.get(name))

    assert why_worse(report({})) == {}
    mapped = why_worse(report({"map": MapStep("per-class", ["standing"], None, {})}))
    assert mapped["PSD log-spectral distance"].startswith("a map reshapes each sample's value")
    noisy = why_worse(report({"fit_profile": SimpleNamespace(noise_topup={"added_sd": {"gyro": 0.01}})}))
    assert noisy == {"PSD log-spectral distance": "noise was added to reach the capture's fitted noise"}
