"""Importers of MotionSense, MHEALTH, DSADS and HHAR on small files in each data set's published layout."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.datasets.importers import import_dataset
from imuforge.recording import read_dataset
from imuforge.sensors.placement import PLACEMENTS
from imuforge.units import DEG, STANDARD_GRAVITY

from .test_importers import _refused

G = STANDARD_GRAVITY


def _recs(path):
    return list(read_dataset(path).recordings())


# ------------------------------------------------------------------------------- MotionSense
MS_HEADER = (",attitude.roll,attitude.pitch,attitude.yaw,gravity.x,gravity.y,gravity.z,rotationRate.x,"
             "rotationRate.y,rotationRate.z,userAcceleration.x,userAcceleration.y,userAcceleration.z")


def _ms_csv(path, gravity, user_acc, rot, n=100):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [MS_HEADER] + [f"{i},0.1,0.2,0.3," + ",".join(f"{v:.6f}" for v in (*gravity, *rot, *user_acc))
                           for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _motionsense(root):
    dm = root / "A_DeviceMotion_data"
    _ms_csv(dm / "wlk_7" / "sub_1.csv", (0.0, 0.0, -1.0), (0.0, 0.0, 0.0), (0.1, -0.2, 0.3))  # flat, face up
    _ms_csv(dm / "jog_9" / "sub_2.csv", (0.0, -1.0, 0.0), (0.1, 0.0, -0.2), (0.0, 0.0, 0.0))  # upright
    _ms_csv(dm / "dws_11" / "sub_1.csv", (0.6, -0.8, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), n=60)
    # the raw accelerometer folder, same layout: not read
    _ms_csv(root / "B_Accelerometer_data" / "wlk_7" / "sub_1.csv", (0, 0, 0), (0, 0, 0), (0, 0, 0))
    (root / "data_subjects_info.csv").write_text(
        "code,weight,height,age,gender\n1,102,188,46,1\n2,72,180,28,0\n")
    return dm


def test_motionsense_signs_units_labels_subjects(tmp_path):
    """Core Motion's gravity + userAcceleration (g, iOS sign: −1 up the z axis lying face up) become the
    specific force of the imuforge/Android convention in m/s²: a still phone reads |acc| = g, +z face up."""
    _motionsense(tmp_path / "ms")
    report = import_dataset("motionsense", tmp_path / "ms", tmp_path / "out")
    by = {(r.subject, r.labels[0].label): r for r in _recs(tmp_path / "out")}
    assert report.recordings == 3
    assert set(by) == {("ms01", "walking"), ("ms02", "running"), ("ms01", "stairs_down")}
    flat = by["ms01", "walking"]
    np.testing.assert_allclose(flat.acc, np.tile([0.0, 0.0, G], (100, 1)), atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(flat.acc, axis=1), G)
    np.testing.assert_allclose(flat.gyro[0], [0.1, -0.2, 0.3])  # rad/s, kept
    up = by["ms02", "running"]
    np.testing.assert_allclose(up.acc[0], [-0.1 * G, G, 0.2 * G], atol=1e-9)  # −(gravity + user) × g
    tilted = by["ms01", "stairs_down"]
    np.testing.assert_allclose(tilted.acc[0], [-0.6 * G, 0.8 * G, 0.0], atol=1e-9)
    assert flat.rate_hz == 50.0 and flat.placement == "pocket_right_thigh" and flat.placement in PLACEMENTS
    assert flat.labels[0].end_s == pytest.approx(2.0) and len(tilted) == 60
    assert flat.provenance["subject_info"] == {"weight_kg": 102.0, "height_cm": 188.0, "age": 46.0,
                                               "gender": "male"}
    assert flat.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    # the repository keeps the subjects' file beside A_DeviceMotion_data, which may be the source given
    import_dataset("motionsense", tmp_path / "ms" / "A_DeviceMotion_data", tmp_path / "out2")
    inner = {(r.subject, r.labels[0].label): r for r in _recs(tmp_path / "out2")}
    assert inner["ms01", "walking"].provenance["subject_info"]["height_cm"] == 188.0
    assert "csv_files_not_named_sub_n" not in report.skipped
    # a trial's CSV renamed: counted as skipped (walking lost half its seconds without a word)
    renamed = tmp_path / "ms" / "A_DeviceMotion_data" / "wlk_8" / "subject1.csv"
    _ms_csv(renamed, (0, 0, -1), (0, 0, 0), (0, 0, 0))
    report = import_dataset("motionsense", tmp_path / "ms", tmp_path / "out3")
    assert report.recordings == 3 and report.skipped["csv_files_not_named_sub_n"] == 1


@pytest.mark.parametrize("missing", ["nan", ""])  # "": how pandas' to_csv writes a NaN (a fresh user's run)
def test_motionsense_nan_rows_are_counted_and_become_gaps(tmp_path, missing):
    path = _ms_csv(tmp_path / "A_DeviceMotion_data" / "sit_5" / "sub_3.csv", (0, -1, 0), (0, 0, 0), (0, 0, 0))
    lines = path.read_text().splitlines()
    for k in (40, 41, 42):
        lines[k] = lines[k].replace("0.000000", missing, 1)
    lines[42] = lines[42].rsplit(",", 1)[0] + ","  # the last cell empty too: one row still
    path.write_text("\n".join(lines) + "\n")
    report = import_dataset("motionsense", tmp_path, tmp_path / "out")
    (rec,) = _recs(tmp_path / "out")
    assert report.skipped["rows_not_finite"] == 3 and len(rec) == 97 and len(rec.gaps()) == 1
    assert rec.labels[0].label == "sitting" and rec.subject == "ms03"


@pytest.mark.parametrize("line, text, message", [
    (5, "3,0.1,0.2,0.3,0,-1,x0,0,0,0,0,0,0", "line 5: 'x0' is not a number"),
    (7, "5,0.1,0.2", "line 7 has 3 value(s), line 2 has 13"),
    (1, ",gravity.x,gravity.y", "no column 'gravity.z' in the header line"),
])
def test_motionsense_unreadable_files_are_refused(tmp_path, capsys, line, text, message):
    path = _ms_csv(tmp_path / "A_DeviceMotion_data" / "std_6" / "sub_4.csv", (0, -1, 0), (0, 0, 0), (0, 0, 0))
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")
    err = _refused(capsys, ["motionsense", str(tmp_path)], tmp_path / "out")
    assert f"{path}: {message}" in err


# ------------------------------------------------------------------------------- MHEALTH
def _mhealth_log(path, n=260, gyro_first=False):
    """Chest acc (0, 0, 9.8); left ankle acc (9.8, 0, 0), gyro 90 °/s on x; right arm acc (0, −9.8, 0),
    gyro (0, 0, 180 °/s) — each gyroscope's first sample; it swings as a sine after it — and each unit's
    magnetometer, a vector of length 1.1 turning slowly, after the gyroscope (``gyro_first``, the README's
    column list) or before it (the published files' order); labels 0 ×50, 4 ×100, 11 ×100, 13 ×10."""
    t = np.zeros((n, 24))
    swing = np.cos(np.arange(n) * 2 * np.pi / 50)[:, None]
    turn = np.arange(n) * 0.01
    mag = 1.1 * np.column_stack([np.cos(turn), np.sin(turn), np.zeros(n)])
    t[:, 0:3] = [0.0, 0.0, 9.8]
    t[:, 3:5] = [0.1, -0.1]
    units = ((5, [9.8, 0.0, 0.0], [90.0, 0.0, 0.0]), (14, [0.0, -9.8, 0.0], [0.0, 0.0, 180.0]))
    for acc0, acc, gyro in units:
        g0, m0 = (acc0 + 3, acc0 + 6) if gyro_first else (acc0 + 6, acc0 + 3)
        t[:, acc0:acc0 + 3], t[:, g0:g0 + 3], t[:, m0:m0 + 3] = acc, swing * gyro, mag
    t[:, 23] = np.repeat([0, 4, 11, 13], [50, 100, 100, n - 250])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, t, fmt="%.4f", delimiter="\t")
    return path


@pytest.mark.parametrize("gyro_first", [False, True])
def test_mhealth_imus_units_labels(tmp_path, gyro_first):
    _mhealth_log(tmp_path / "MHEALTHDATASET" / "mHealth_subject1.log", gyro_first=gyro_first)
    path = _mhealth_log(tmp_path / "MHEALTHDATASET" / "mHealth_subject10.log", gyro_first=gyro_first)
    lines = path.read_text().splitlines()
    arm_gyro_x = 17 if gyro_first else 20
    for k in range(60, 65):  # the right arm's gyro drops out: 5 NaN rows
        cells = lines[k].split("\t")
        cells[arm_gyro_x] = "NaN"
        lines[k] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")
    report = import_dataset("mhealth", tmp_path / "MHEALTHDATASET", tmp_path / "arm")
    a, b = _recs(tmp_path / "arm")
    assert (a.subject, b.subject) == ("mhealth01", "mhealth10") and a.rate_hz == 50.0
    assert a.placement == "wrist_right" and a.channels[3:] == ("gyro_x", "gyro_y", "gyro_z")
    np.testing.assert_allclose(a.acc[0], [0.0, -9.8, 0.0])
    np.testing.assert_allclose(a.gyro[0], [0.0, 0.0, np.pi])  # 180 °/s
    assert a.provenance["gyro_columns"] == ("18-20" if gyro_first else "21-23")
    steady = "18-20" if not gyro_first else "21-23"
    read = a.provenance["gyro_columns"]
    assert report.notes == {f"arm gyroscope read from columns {read} (columns {steady} hold a steady-length "
                            "vector: the magnetometer)": 2,
                            "activity code 13 is not one of MHEALTH's: its rows imported unlabelled": 2}
    assert [(s.start_s, s.end_s, s.label) for s in a.labels] == [(1.0, 3.0, "walking"), (3.0, 5.0, "running")]
    assert "unknown_activity_13" not in report.skipped and report.skipped["rows_not_finite"] == 5  # imported
    assert len(b) == 255 and len(b.gaps()) == 1
    import_dataset("mhealth", tmp_path / "MHEALTHDATASET", tmp_path / "ankle", imu="ankle")
    ankle = _recs(tmp_path / "ankle")[0]
    assert ankle.placement == "ankle_left"
    np.testing.assert_allclose(ankle.gyro[0], [90 * DEG, 0.0, 0.0])
    np.testing.assert_allclose(ankle.acc[0], [9.8, 0.0, 0.0])
    import_dataset("mhealth", tmp_path / "MHEALTHDATASET", tmp_path / "chest", imu="chest")
    chest = _recs(tmp_path / "chest")[0]
    assert chest.placement == "chest" and chest.channels == ("acc_x", "acc_y", "acc_z") and chest.gyro is None
    np.testing.assert_allclose(chest.acc[0], [0.0, 0.0, 9.8])


def test_mhealth_published_rows(tmp_path, capsys):
    """The first rows of mHealth_subject1.log as public code quotes them (the person still, label 0; the arm's
    columns 15–23 and the label): the gyroscope is the triple that changes at every sample, not the steady
    one the README calls the gyroscope. A row of the walk (label 4) is appended so the file has a label."""
    rows = ["-8.6499 -4.5781 0.18776 -0.44902 -1.0103 0.034483 -2.35 -1.6102 -0.030899",
            "-8.6275 -4.3198 0.023595 -0.44902 -1.0103 0.034483 -2.1632 -0.88254 0.32657",
            "-8.5055 -4.2772 0.27572 -0.44902 -1.0103 0.034483 -1.6175 -0.16562 -0.030693",
            "-8.6279 -4.3163 0.36752 -0.45686 -1.0082 0.025862 -1.0771 0.0069451 -0.38262",
            "-8.7008 -4.1459 0.40729 -0.45686 -1.0082 0.025862 -0.53684 0.1759 -1.0955",
            "-8.7247 -4.0449 0.50609 -0.45686 -1.0082 0.025862 0.18674 0.72044 -0.36448",
            "-9.0864 -4.1474 0.26138 -0.42745 -1.0164 0.019397 0.35907 9.1239e-005 0.36819",
            "-9.0143 -4.0052 0.47682 -0.42745 -1.0164 0.019397 0.53691 -0.16868 1.8175",
            "-9.0469 -4.0475 0.24554 -0.42745 -1.0164 0.019397 0.3484 -1.067 2.5447",
            "-8.8318 -4.109 0.096632 -0.42745 -1.0164 0.019397 -0.19549 -1.5952 3.6222"]
    head = "-9.8184 0.009971 0.29563 0.0041863 0.0041863 2.1849 -9.6967 0.63077 0.1039 -0.84053 -0.68762 " \
           "-0.37 -0.36327 0.29963"
    lines = [f"{head} {r} {4 if k >= 8 else 0}".replace(" ", "\t") for k, r in enumerate(rows)]
    (tmp_path / "mHealth_subject1.log").write_text("\n".join(lines) + "\n")
    report = import_dataset("mhealth", tmp_path, tmp_path / "arm")
    rec = _recs(tmp_path / "arm")[0]
    assert rec.provenance["gyro_columns"] == "21-23"
    np.testing.assert_allclose(rec.gyro[0], np.array([-2.35, -1.6102, -0.030899]) * DEG)
    assert list(report.notes) == ["arm gyroscope read from columns 21-23 (columns 18-20 hold a steady-length "
                                  "vector: the magnetometer)"]


def test_mhealth_refusals(tmp_path, capsys):
    path = _mhealth_log(tmp_path / "mHealth_subject3.log")
    lines = path.read_text().splitlines()
    lines[11] = lines[11].replace("9.8000", "9,8", 1)
    path.write_text("\n".join(lines) + "\n")
    err = _refused(capsys, ["mhealth", str(tmp_path)], tmp_path / "out")
    assert f"{path}: line 12: '9,8' is not a number (allowed: 24 numbers per line" in err
    _mhealth_log(path)
    err = _refused(capsys, ["mhealth", str(tmp_path), "--imu", "wrist"], tmp_path / "out")
    assert "unknown MHEALTH IMU 'wrist' (allowed: arm, ankle, chest)" in err


# ------------------------------------------------------------------------------- DSADS
def _dsads_segment(path, k, rows=125):
    """Segment ``k``: unit u's acc = (k, u, 9.8), gyro = (0.01·row, 0, u), mag 1."""
    x = np.ones((rows, 45))
    for u in range(5):
        x[:, 9 * u:9 * u + 3] = [k, u, 9.8]
        x[:, 9 * u + 3] = 0.01 * np.arange(rows)
        x[:, 9 * u + 4:9 * u + 6] = [0.0, u]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, x, fmt="%.5f", delimiter=",")
    return path


def test_dsads_segments_are_joined_per_person_and_activity(tmp_path):
    data = tmp_path / "data"
    for k in (2, 1, 3):
        _dsads_segment(data / "a01" / "p1" / f"s{k:02d}.txt", k)
    for k in (1, 2, 4):  # s03 missing: a 5 s gap
        _dsads_segment(data / "a12" / "p2" / f"s{k:02d}.txt", k)
    report = import_dataset("dsads", tmp_path, tmp_path / "out")
    sit, run = _recs(tmp_path / "out")
    assert report.recordings == 2
    assert (sit.subject, sit.labels[0].label, run.subject, run.labels[0].label) == (
        "dsads_p1", "sitting", "dsads_p2", "running")
    assert sit.rate_hz == 25.0 and len(sit) == 375 and sit.gaps() == []
    np.testing.assert_allclose(sit.timestamps, np.arange(375) / 25.0)
    np.testing.assert_allclose(sit.acc[[0, 125, 250], 0], [1, 2, 3])  # in segment order
    np.testing.assert_allclose(sit.acc[0], [1, 1, 9.8])  # right arm = unit 1
    np.testing.assert_allclose(sit.gyro[:2, 0], [0.0, 0.01])
    assert sit.placement == "wrist_right" and sit.labels[0].end_s == pytest.approx(15.0)
    assert len(run) == 375 and [(round(a, 2), round(b, 2)) for a, b, _ in run.gaps()] == [(9.96, 15.0)]
    import_dataset("dsads", tmp_path, tmp_path / "leg", imu="right_leg")
    leg = _recs(tmp_path / "leg")[0]
    np.testing.assert_allclose(leg.acc[0], [1, 3, 9.8])
    np.testing.assert_allclose(leg.gyro[0], [0.0, 0.0, 3.0])
    assert leg.placement == "knee_right" and leg.placement in PLACEMENTS


@pytest.mark.parametrize("imu, block, placement", [
    ("torso", 0, "chest"), ("right_arm", 1, "wrist_right"), ("left_arm", 2, "wrist_left"),
    ("right_leg", 3, "knee_right"), ("left_leg", 4, "knee_left")])
def test_dsads_unit_blocks_follow_the_published_layout(tmp_path, imu, block, placement):
    """UCI page: columns 1–9 are unit T, 10–18 RA, 19–27 LA, 28–36 RL, 37–45 LL, each acc xyz, gyro xyz,
    mag xyz; the values are read as they are (MTx calibrated output: m/s², rad/s). Barshan & Yüksek 2014:
    T on the chest, RA/LA on the wrists, RL/LL on the outer side of the knees (imported as knee_*)."""
    _dsads_segment(tmp_path / "data" / "a09" / "p4" / "s01.txt", 7)
    import_dataset("dsads", tmp_path, tmp_path / "out", imu=imu)
    (rec,) = _recs(tmp_path / "out")
    np.testing.assert_allclose(rec.acc[0], [7, block, 9.8])  # unit u's acc y is u: its own 9 columns
    np.testing.assert_allclose(rec.gyro[:3], [[0.0, 0.0, block], [0.01, 0.0, block], [0.02, 0.0, block]])
    assert rec.placement == placement and rec.provenance["unit"] == imu and rec.labels[0].label == "walking"


def test_dsads_a_short_segment_is_refused(tmp_path, capsys):
    _dsads_segment(tmp_path / "a05" / "p3" / "s01.txt", 1)
    path = _dsads_segment(tmp_path / "a05" / "p3" / "s02.txt", 2, rows=124)
    err = _refused(capsys, ["dsads", str(tmp_path)], tmp_path / "out")
    assert f"{path}: 124 lines of numbers (allowed: 125 lines of 45 comma-separated numbers" in err


# ------------------------------------------------------------------------------- HHAR
HHAR_HEADER = "Index,Arrival_Time,Creation_Time,x,y,z,User,Model,Device,gt"


def _hhar_rows(t_s, xyz, user, model, device, gt, start=0):
    return [f"{start + i},{int(t * 1e3)},{int(round(t * 1e9))},{x:.7g},{y:.7g},{z:.7g},"
            f"{user},{model},{device},{g}"
            for i, (t, (x, y, z), g) in enumerate(zip(t_s, xyz, gt))]


def _hhar(root, rng):
    """User a, nexus4_1: 2 s of acc at ~100 Hz (jittered), walk then stairsup; gyro on its own clock (~100 Hz,
    linear in time) with a 0.3 s hole; then 3 s of nothing and 0.5 s of sit. User b, s3_1: acc only."""
    root.mkdir(parents=True, exist_ok=True)
    t = 1000.0 + np.arange(200) * 0.01 + rng.uniform(-0.002, 0.002, 200)
    t2 = 1005.0 + np.arange(50) * 0.01
    acc = [_hhar_rows(t, np.tile([0.2, 9.7, 0.5], (200, 1)), "a", "nexus4", "nexus4_1",
                      ["walk"] * 100 + ["stairsup"] * 100)]
    acc += [_hhar_rows(t2, np.tile([0.0, 9.8, 0.0], (50, 1)), "a", "nexus4", "nexus4_1", ["sit"] * 50)]
    acc += [_hhar_rows(1000.0 + np.arange(80) * 0.0067, np.tile([9.8, 0.0, 0.0], (80, 1)), "b", "s3", "s3_1",
                       ["bike"] * 80)]
    tg = 1000.003 + np.arange(400) * 0.0099  # ends before the second stretch
    tg = tg[(tg < 1000.8) | (tg > 1001.1)]
    gyro = _hhar_rows(tg, np.column_stack([tg - 1000.0, np.zeros_like(tg), np.full_like(tg, 0.5)]), "a",
                      "nexus4", "nexus4_1", ["walk"] * len(tg))
    rows = [r for part in acc for r in part]
    rows.insert(17, "17,1,1000170000000,nan,9.7,0.5,a,nexus4,nexus4_1,walk")  # a NaN row
    (root / "Phones_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + rows) + "\n")
    (root / "Phones_gyroscope.csv").write_text("\n".join([HHAR_HEADER] + gyro) + "\n")
    return root


def test_hhar_gyro_onto_acc_times_without_inventing_across_gaps(tmp_path):
    _hhar(tmp_path / "Activity recognition exp", np.random.default_rng(0))
    report = import_dataset("hhar", tmp_path, tmp_path / "out")
    recs = {(r.subject, r.provenance["device"], round(r.provenance["t0_creation_time_s"])): r
            for r in _recs(tmp_path / "out")}
    assert set(recs) == {("hhar_a", "nexus4_1", 1000), ("hhar_a", "nexus4_1", 1005), ("hhar_b", "s3_1", 1000)}
    walk = recs["hhar_a", "nexus4_1", 1000]
    assert walk.channels[3:] == ("gyro_x", "gyro_y", "gyro_z") and walk.placement == "waist_front"
    t_abs = walk.timestamps + walk.provenance["t0_creation_time_s"]
    # gyro x equals its own time since 1000 s: interpolated exactly onto the accelerometer's times
    np.testing.assert_allclose(walk.gyro[:, 0], t_abs - 1000.0, atol=1e-6)
    np.testing.assert_allclose(walk.gyro[:, 2], 0.5)
    # nothing inside the gyro's 0.3 s hole (beyond 3 gyro periods of its edges) is kept
    assert not np.any((t_abs > 1000.8 + 0.03) & (t_abs < 1001.1 - 0.03)) and len(walk.gaps()) >= 1
    assert report.skipped["acc_samples_without_gyro_nearby"] == 200 - len(walk)
    assert report.skipped["rows_not_finite"] == 1
    assert [s.label for s in walk.labels] == ["walking", "stairs_up"]
    assert walk.rate_hz == pytest.approx(100, abs=2)
    assert walk.labels[0].end_s < 0.81 and walk.labels[1].start_s > 1.08  # the change lies in the hole
    sit = recs["hhar_a", "nexus4_1", 1005]
    assert sit.channels == ("acc_x", "acc_y", "acc_z") and [s.label for s in sit.labels] == ["sitting"]
    bike = recs["hhar_b", "s3_1", 1000]
    assert bike.gyro is None and bike.labels[0].label == "cycling" and bike.rate_hz == pytest.approx(149.3)
    assert report.skipped["runs_without_gyro"] == 2


def test_hhar_creation_time_unit_follows_the_arrival_clock(tmp_path):
    """A device whose Creation_Time ticks in milliseconds (13 digits) is read in ms, not as 1e6-times faster
    nanoseconds (a 100 MHz recording), and the report says so; the nanosecond devices stay in ns."""
    root = tmp_path / "hhar"
    root.mkdir()
    t = 1_424_000_000.0 + np.arange(300) * 0.02  # 6 s at 50 Hz, Unix time
    rows = _hhar_rows(t, np.tile([0.0, 9.8, 0.0], (300, 1)), "d", "nexus4", "nexus4_2", ["walk"] * 300)
    ms = [r.split(",") for r in _hhar_rows(t, np.tile([0.0, 0.0, 9.8], (300, 1)), "e", "samsungold",
                                           "samsungold_1", ["sit"] * 300, start=300)]
    for cells in ms:
        cells[2] = str(int(cells[1]))  # Creation_Time in ms, as its Arrival_Time
    rows += [",".join(cells) for cells in ms]
    (root / "Phones_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + rows) + "\n")
    # its gyroscope file holds 0.8 s only, too short to tell a unit by: it takes the device's, from the acc
    tg = t[:40]
    gyro = [r.split(",") for r in _hhar_rows(tg, np.tile([0.1, 0.0, 0.0], (40, 1)), "e", "samsungold",
                                             "samsungold_1", ["sit"] * 40)]
    for cells in gyro:
        cells[2] = str(int(cells[1]))
    (root / "Phones_gyroscope.csv").write_text("\n".join([HHAR_HEADER] + [",".join(c) for c in gyro]) + "\n")
    report = import_dataset("hhar", root, tmp_path / "out")
    recs = {r.provenance["device"]: r for r in _recs(tmp_path / "out")}
    assert recs["samsungold_1"].channels[3:] == ("gyro_x", "gyro_y", "gyro_z")
    assert recs["nexus4_2"].rate_hz == pytest.approx(50) and recs["samsungold_1"].rate_hz == pytest.approx(50)
    assert recs["samsungold_1"].duration_s == pytest.approx(0.8, abs=0.05)  # the stretch its gyro covers
    assert report.notes == {"samsungold_1: Creation_Time read in ms (its span against Arrival_Time's ms)": 1}


def test_hhar_watch_and_refusals(tmp_path, capsys):
    root = tmp_path / "hhar"
    root.mkdir()
    rows = _hhar_rows(50.0 + np.arange(30) * 0.01, np.tile([0.0, 0.0, 9.8], (30, 1)), "c", "gear", "gear_2",
                      ["null"] * 5 + ["stand"] * 25)
    (root / "Watch_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + rows) + "\n")
    report = import_dataset("hhar", root, tmp_path / "w", device="watch")
    (rec,) = _recs(tmp_path / "w")
    assert rec.placement == "wrist_left" and rec.subject == "hhar_c" and rec.gyro is None
    assert [(round(s.start_s, 2), s.label) for s in rec.labels] == [(0.05, "standing")]
    assert report.recordings == 1
    err = _refused(capsys, ["hhar", str(root)], tmp_path / "out")  # default: phone
    assert "no Phones_accelerometer.csv under" in err
    bad = rows[:]
    cells = bad[6].split(",")
    cells[4] = "abc"
    bad[6] = ",".join(cells)
    (root / "Watch_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + bad) + "\n")
    err = _refused(capsys, ["hhar", str(root), "--device", "watch"], tmp_path / "out")
    assert f"{root / 'Watch_accelerometer.csv'}: line 8: 'abc' is not a number (y)" in err
    bad = rows[:]
    bad[3] += ",extra"
    (root / "Watch_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + bad) + "\n")
    err = _refused(capsys, ["hhar", str(root), "--device", "watch"], tmp_path / "out")
    assert f"{root / 'Watch_accelerometer.csv'}: " in err and "line 5" in err
    (root / "Watch_accelerometer.csv").write_text("")
    err = _refused(capsys, ["hhar", str(root), "--device", "watch"], tmp_path / "out")
    assert f"{root / 'Watch_accelerometer.csv'}: empty file" in err


def test_import_options_apply_to_their_formats(tmp_path, capsys):
    err = _refused(capsys, ["motionsense", str(tmp_path), "--imu", "arm"], tmp_path / "out")
    assert "--imu does not apply to motionsense (allowed: --imu with pamap2, mhealth, dsads only)" in err
    err = _refused(capsys, ["dsads", str(tmp_path), "--device", "phone"], tmp_path / "out")
    assert "--device does not apply to dsads (allowed: --device with wisdm2019, hhar only)" in err
    err = _refused(capsys, ["dsads", str(tmp_path), "--imu", "torso"], tmp_path / "out")
    assert "no aNN/pM/sKK.txt segment files under" in err


def test_hhar_gt_null_is_a_name_not_a_missing_value(tmp_path):
    """pandas reads "null" as missing by default, and a chunk of a large file holding only such rows as
    another dtype (its categories then cannot be joined: the import failed on the published files); "null"
    is read as the name it is."""
    from imuforge.datasets.importers import _hhar_csv

    t = 10.0 + np.arange(700) * 0.01
    rows = _hhar_rows(t, np.tile([0.1, 9.8, 0.2], (len(t), 1)), "d", "s3mini", "s3mini_1",
                      ["null"] * 600 + ["walk"] * 100)
    (tmp_path / "Phones_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + rows) + "\n")
    df = _hhar_csv(tmp_path / "Phones_accelerometer.csv")
    assert list(df["gt"].cat.categories) == ["null", "walk"] and df["gt"].notna().all()
    report = import_dataset("hhar", tmp_path, tmp_path / "out")
    (rec,) = _recs(tmp_path / "out")
    assert len(rec) == 700 and +report.skipped == {}
    assert [(s.start_s, s.label) for s in rec.labels] == [(pytest.approx(6.0), "walking")]


def test_a_file_in_another_unit_than_its_format_is_refused(tmp_path, capsys):
    """MotionSense's values already in m/s² (read as g: gravity at 96 m/s², ten times a device's range after
    calibration), WISDM's time in ms (read as ns: 400 samples in 0.05 s at '20 Hz'): one line naming the
    recording and the unit, and no data set."""
    dm = tmp_path / "ms" / "A_DeviceMotion_data"
    _ms_csv(dm / "wlk_7" / "sub_1.csv", (0.0, 0.0, -G), (0.0, 0.0, 0.0), (0.1, -0.2, 0.3), n=250)
    err = _refused(capsys, ["motionsense", str(tmp_path / "ms")], tmp_path / "out")
    assert "the motionsense import sub01_wlk_7's acceleration reads 96 m/s² (9.8 g) in every posture" in err  # its file
    lines = [f"33,Walking,{49105962 + 50 * i},1.0,9.0,0.5;" for i in range(400)]  # ms, where ns are published
    (tmp_path / "WISDM_ar_v1.1").mkdir()
    (tmp_path / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt").write_text("\n".join(lines) + "\n")
    err = _refused(capsys, ["wisdm", str(tmp_path / "WISDM_ar_v1.1")], tmp_path / "out2")
    assert "wisdm recording " in err and "its time is in another unit than its rate" in err


def test_unknown_activities_are_counted_whatever_their_size(tmp_path):
    """A MotionSense folder of another activity code vanished without a count (the other importers count
    theirs); a single WISDM line of an unknown activity was counted as a short run, not as the activity."""
    dm = _motionsense(tmp_path / "ms")
    _ms_csv(dm / "xyz_1" / "sub_1.csv", (0.0, 0.0, -1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    report = import_dataset("motionsense", tmp_path / "ms", tmp_path / "out")
    assert report.recordings == 3 and report.skipped["unknown_activity_xyz"] == 1
    lines = [f"33,Walking,{49105962326000 + i * 50_000_000},1.0,9.0,0.5;" for i in range(60)]
    lines.append("33,Flying,49105965326000,1.0,9.0,0.5;")  # one line of an activity WISDM does not have
    (tmp_path / "WISDM_ar_v1.1").mkdir()
    (tmp_path / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt").write_text("\n".join(lines) + "\n")
    report = import_dataset("wisdm", tmp_path / "WISDM_ar_v1.1", tmp_path / "out2")
    assert report.skipped["unknown_activity_Flying"] == 1
    assert "runs_shorter_than_2_samples" not in report.skipped


def test_a_short_or_gappy_run_does_not_decide_an_import(tmp_path):
    """The unit and time checks look at the import as a whole: a 2-sample WISDM run (its one window reads
    like gravity in g) or a run with a few samples 0.2 s apart, among normal ones, imports as it did."""
    t0 = 49105962326000
    lines = [f"33,Walking,{t0 + i * 50_000_000},1.0,9.0,0.5;" for i in range(200)]
    lines += [f"33,Jogging,{t0 + 10**12 + i * 50_000_000},0.1,0.9,0.1;" for i in range(2)]
    lines += [f"17,Walking,{t0 + 2 * 10**12 + i * 200_000_000},1.0,9.0,0.5;" for i in range(3)]
    (tmp_path / "WISDM_ar_v1.1").mkdir()
    (tmp_path / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt").write_text("\n".join(lines) + "\n")
    report = import_dataset("wisdm", tmp_path / "WISDM_ar_v1.1", tmp_path / "out")
    assert report.recordings == 3


def test_a_damaged_file_or_a_bad_option_gets_no_hint_about_the_source(tmp_path, capsys):
    """The hints of a refused import (another format's layout, a file for a folder, zips to unzip) are for a
    source the format found nothing in: a damaged file of the right format beside the download's leftover
    zip said 'unzip them', and a single damaged mHealth log (a source the importer reads) 'give the
    folder'."""
    import zipfile

    path = _mhealth_log(tmp_path / "w" / "MHEALTHDATASET" / "mHealth_subject1.log")
    with zipfile.ZipFile(tmp_path / "w" / "MHEALTHDATASET.zip", "w") as z:
        z.writestr("readme.txt", "the download")
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace("0.0000", "x.0000", 1)
    path.write_text("\n".join(lines) + "\n")
    for source in (tmp_path / "w", path):
        err = _refused(capsys, ["mhealth", str(source)], tmp_path / "out")
        assert "is not a number" in err and "unzip" not in err and "give the data set's folder" not in err
    err = _refused(capsys, ["mhealth", str(tmp_path / "w"), "--imu", "foo"], tmp_path / "out")
    assert "unzip" not in err


def test_motionsense_zipped_data_folder_beside_its_subjects_file(tmp_path):
    """The repository's data/ folder as cloned: A_DeviceMotion_data.zip beside data_subjects_info.csv; the
    recordings carry the subjects' details as from the unzipped folder."""
    import shutil
    import zipfile

    dm = _motionsense(tmp_path / "data")
    with zipfile.ZipFile(tmp_path / "data" / "A_DeviceMotion_data.zip", "w") as z:
        for f in sorted(dm.rglob("*.csv")):
            z.write(f, f"A_DeviceMotion_data/{f.relative_to(dm).as_posix()}")
    shutil.rmtree(dm)
    shutil.rmtree(tmp_path / "data" / "B_Accelerometer_data")
    import_dataset("motionsense", tmp_path / "data", tmp_path / "out")
    by = {(r.subject, r.labels[0].label): r for r in _recs(tmp_path / "out")}
    assert by["ms01", "walking"].provenance["subject_info"]["height_cm"] == 188.0


def test_one_file_in_another_unit_among_files_in_the_formats_is_refused_naming_it(tmp_path, capsys):
    """Two MotionSense trials as published (g) and one whose values were already in m/s² (read as g: gravity
    at 96 m/s²): the pooled figures pass (two recordings in three read 1 g), each recording of 20 s or more is
    judged on its own too, and the one named; it was imported without a word, and train and eval read it."""
    dm = tmp_path / "ms" / "A_DeviceMotion_data"
    for trial, sub, gravity in (("wlk_7", 1, (0.0, 0.0, -1.0)), ("wlk_8", 2, (0.0, -1.0, 0.0)),
                                ("wlk_9", 3, (0.0, -G, 0.0))):
        _ms_csv(dm / trial / f"sub_{sub}.csv", gravity, (0.0, 0.0, 0.0), (0.1, -0.2, 0.3), n=1100)
    err = _refused(capsys, ["motionsense", str(tmp_path / "ms")], tmp_path / "out")
    assert "the motionsense import " in err
    assert "'s acceleration reads 96 m/s² (9.8 g) in every posture" in err
    assert "wlk_9" in err and "wlk_7" not in err and not (tmp_path / "out").exists()


def test_motionsense_repository_clone_and_one_trial_folder(tmp_path):
    """The repository as cloned (its data/ zip and subjects table one folder below the source) keeps the
    subjects' details; one trial's folder imports on its own."""
    import shutil
    import zipfile

    repo = tmp_path / "motion-sense-master"
    dm = _motionsense(repo / "data")
    with zipfile.ZipFile(repo / "data" / "A_DeviceMotion_data.zip", "w") as z:
        for f in sorted(dm.rglob("*.csv")):
            z.write(f, f"A_DeviceMotion_data/{f.relative_to(dm).as_posix()}")
    import_dataset("motionsense", dm / "wlk_7", tmp_path / "one")
    (one,) = _recs(tmp_path / "one")
    assert one.subject == "ms01" and one.labels[0].label == "walking"
    assert one.provenance["subject_info"]["height_cm"] == 188.0  # the table beside A_DeviceMotion_data
    import os

    here = os.getcwd()
    try:  # the trial folder given by a relative name, from A_DeviceMotion_data
        os.chdir(dm)
        import_dataset("motionsense", "wlk_7", tmp_path / "rel")
    finally:
        os.chdir(here)
    assert [r.subject for r in _recs(tmp_path / "rel")] == ["ms01"]
    shutil.rmtree(dm)
    shutil.rmtree(repo / "data" / "B_Accelerometer_data")
    import_dataset("motionsense", repo, tmp_path / "out")
    by = {(r.subject, r.labels[0].label): r for r in _recs(tmp_path / "out")}
    assert by["ms02", "running"].provenance["subject_info"]["height_cm"] == 180.0


def test_hhar_a_line_cut_short_is_refused_and_a_missing_gyroscope_said(tmp_path, capsys):
    root = tmp_path / "hhar"
    root.mkdir()
    rows = _hhar_rows(50.0 + np.arange(300) * 0.01, np.tile([0.0, 0.0, 9.8], (300, 1)), "c", "s3", "s3_1",
                      ["stand"] * 300)
    (root / "Phones_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + rows) + "\n")
    report = import_dataset("hhar", root, tmp_path / "ok")
    assert report.notes == {"Phones_gyroscope.csv is missing: the recordings hold the accelerometer only": 1}
    (root / "Phones_gyroscope.csv").write_text(HHAR_HEADER + "\n")
    report = import_dataset("hhar", root, tmp_path / "ok2")
    assert report.notes == {
        "Phones_gyroscope.csv holds no usable row: the recordings hold the accelerometer only": 1}
    for k, cut in ((120, rows[120].rsplit(",", 3)[0]), (299, rows[299][:30])):  # mid-file, and the last line
        bad = rows[:k] + [cut] + rows[k + 1:]
        (root / "Phones_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + bad) + "\n")
        err = _refused(capsys, ["hhar", str(root)], tmp_path / "out")
        assert (f"{root / 'Phones_accelerometer.csv'}: line {k + 2}: no gt (the activity, its last field): a "
                "line cut short, 1 in all") in err
    bad = rows[:50] + [""] + rows[50:120] + [rows[120].rsplit(",", 3)[0]] + rows[121:]  # a blank line before it
    (root / "Phones_accelerometer.csv").write_text("\n".join([HHAR_HEADER] + bad) + "\n")
    assert "Phones_accelerometer.csv: line 123: no gt" in _refused(capsys, ["hhar", str(root)], tmp_path / "out")
