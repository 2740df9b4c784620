"""Importers on small fixtures written in each dataset's published layout."""

from __future__ import annotations

import io
import re
import shutil
import warnings
import zipfile

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.datasets.importers import import_dataset
from imuforge.errors import ValidationError
from imuforge.recording import read_dataset
from imuforge.sensors.placement import PLACEMENTS
from imuforge.units import DEG, STANDARD_GRAVITY


def _recs(path):
    ds = read_dataset(path)
    return ds, list(ds.recordings())


def test_uci_hapt(tmp_path):
    raw = tmp_path / "HAPT" / "RawData"
    raw.mkdir(parents=True)
    acc = np.column_stack([np.full(300, 0.1), np.full(300, -0.2), np.full(300, 1.0)])
    gyro = np.full((300, 3), 0.05)
    np.savetxt(raw / "acc_exp01_user01.txt", acc, fmt="%.8e")
    np.savetxt(raw / "gyro_exp01_user01.txt", gyro, fmt="%.8e")
    np.savetxt(raw / "acc_exp02_user02.txt", acc[:200], fmt="%.8e")
    np.savetxt(raw / "gyro_exp02_user02.txt", gyro[:200], fmt="%.8e")
    # exp user activity start end (1-based, inclusive)
    (raw / "labels.txt").write_text("1 1 5 1 100\n1 1 1 101 250\n1 1 7 251 280\n2 2 12 11 60\n")
    report = import_dataset("uci-hapt", tmp_path / "HAPT", tmp_path / "out")
    ds, recs = _recs(tmp_path / "out")
    assert report.recordings == 2 and len(recs) == 2
    r = recs[0]
    assert r.rate_hz == 50.0 and r.subject == "uci01" and r.placement == "waist_left_landscape"
    np.testing.assert_allclose(r.acc[0], [0.1 * STANDARD_GRAVITY, -0.2 * STANDARD_GRAVITY, STANDARD_GRAVITY])
    np.testing.assert_allclose(r.gyro[0], [0.05] * 3)
    assert [(s.start_s, s.end_s, s.label) for s in r.labels] == [(0.0, 2.0, "standing"), (2.0, 5.0, "walking"),
                                                                 (5.0, 5.6, "stand_to_sit")]
    assert recs[1].labels[0].label == "lie_to_stand"
    assert report.as_dict()["subjects"] == 2 and "notes" not in report.as_dict()
    # the raw layout given to uci-har (the two share a download): read as uci-hapt, and said so
    report = import_dataset("uci-har", tmp_path / "HAPT", tmp_path / "out_har")
    said = ("the folder holds UCI HAPT's raw layout (RawData/labels.txt): read as uci-hapt, with its "
            "transitions")
    assert report.recordings == 2 and report.as_dict()["notes"] == {said: 1}


def _refused(capsys, argv, out) -> str:
    """Run ``imuforge import …``; assert it is refused (exit 2) in one line and writes no folder; the line."""
    assert main(["import", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("imuforge import: error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err and not out.exists()
    return err


def _hapt_raw(tmp_path, labels="1 1 1 1 1500\n1 1 5 1501 3000\n", n=3000):
    """A RawData folder of one experiment (exp 1, user 1; ``n`` samples) with ``labels``."""
    raw = tmp_path / "HAPT" / "RawData"
    raw.mkdir(parents=True)
    np.savetxt(raw / "acc_exp01_user01.txt", np.tile([0.1, -0.2, 1.0], (n, 1)), fmt="%.8e")
    np.savetxt(raw / "gyro_exp01_user01.txt", np.full((n, 3), 0.05), fmt="%.8e")
    (raw / "labels.txt").write_text(labels)
    return raw


def _edit_line(path, k, text):
    """Replace line ``k`` (1-based) of ``path``."""
    lines = path.read_text().splitlines()
    lines[k - 1] = text
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("file, line, text, message, allowed", [
    ("labels.txt", 2, "garbage", "labels.txt: line 2 has 1 value(s), line 1 has 5",
     "5 whole numbers per line: experiment user activity start end"),
    ("labels.txt", 2, "1 1 5 1501.5 3000", "labels.txt: line 2: '1501.5' is not a whole number",
     "5 whole numbers"),
    ("acc_exp01_user01.txt", 6, "abc 0 0", "acc_exp01_user01.txt: line 6: 'abc' is not a number",
     "3 numbers per line: acc x y z in g"),
    ("gyro_exp01_user01.txt", 9, "0 0", "gyro_exp01_user01.txt: line 9 has 2 value(s), line 1 has 3",
     "3 numbers per line: gyro x y z in rad/s"),
    ("acc_exp01_user01.txt", 100, "nan 0 0",
     "acc_exp01_user01.txt: 1 non-finite value(s) (NaN or inf), the first on line 100",
     "finite numbers only"),
    ("gyro_exp01_user01.txt", 7, "0 5000 0",
     "gyro_exp01_user01.txt:7: a value of 5e+03 rad/s (in SI), beyond any body-worn sensor",
     "|gyro| <= 100 rad/s, the file in rad/s"),
])
def test_uci_hapt_unreadable_lines_are_refused(tmp_path, capsys, file, line, text, message, allowed):
    raw = _hapt_raw(tmp_path)
    _edit_line(raw / file, line, text)
    err = _refused(capsys, ["uci-hapt", str(tmp_path / "HAPT")], tmp_path / "out")
    assert f"{raw / file}:" in err and message in err and f"(allowed: {allowed}" in err


def test_uci_hapt_wrong_widths_and_empty_labels_are_refused(tmp_path, capsys):
    raw = _hapt_raw(tmp_path)
    np.savetxt(raw / "acc_exp01_user01.txt", np.zeros((3000, 2)))
    err = _refused(capsys, ["uci-hapt", str(tmp_path / "HAPT")], tmp_path / "out")
    assert f"{raw / 'acc_exp01_user01.txt'}: 2 numbers per line (allowed: 3 numbers per line" in err
    np.savetxt(raw / "acc_exp01_user01.txt", np.zeros((3000, 3)))
    (raw / "labels.txt").write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy "input contained no data" warning either
        err = _refused(capsys, ["uci-hapt", str(tmp_path / "HAPT")], tmp_path / "out")
    assert f"{raw / 'labels.txt'}: empty file" in err and "experiment user activity start end" in err


@pytest.mark.parametrize("row, segment, counted", [
    ("1 1 2 2900 3500", (2899 / 50, 60.0, "stairs_up"), "label_rows_clipped_to_the_samples"),  # past the end
    ("1 1 4 900 1200", (1000 / 50, 1200 / 50, "sitting"), "label_rows_trimmed_where_they_overlap"),
    ("1 1 1 200 100", None, "label_rows_outside_the_samples"),  # ends before it starts
    ("1 1 1 3001 3100", None, "label_rows_outside_the_samples"),  # after the samples
])
def test_uci_hapt_label_rows_that_do_not_fit_the_samples_are_fitted_and_counted(tmp_path, row, segment,
                                                                                 counted):
    """A published data set is imported, not refused, over a label row that does not fit its samples; each
    change is counted in the import report, and no two segments overlap."""
    _hapt_raw(tmp_path, labels=f"1 1 1 1 1000\n\n{row}\n")
    report = import_dataset("uci-hapt", tmp_path / "HAPT", tmp_path / "out")
    assert +report.skipped == dict.fromkeys(counted.split(","), 1)  # (+: the reasons counted at least once)
    (rec,) = _recs(tmp_path / "out")[1]
    segs = [(s.start_s, s.end_s, s.label) for s in rec.labels]
    assert segs[0] == (0.0, 20.0, "walking")
    assert segs[1:] == ([] if segment is None else [pytest.approx(segment)])


def test_uci_hapt_zero_based_label_rows_are_clipped_to_the_first_sample(tmp_path):
    _hapt_raw(tmp_path, labels="1 1 1 0 1000\n1 1 4 1001 1200\n")
    report = import_dataset("uci-hapt", tmp_path / "HAPT", tmp_path / "out")
    (rec,) = _recs(tmp_path / "out")[1]
    segs = [(s.start_s, s.end_s, s.label) for s in rec.labels]
    assert segs == [(0.0, 20.0, "walking"), (20.0, 24.0, "sitting")]
    assert +report.skipped == {"label_rows_clipped_to_the_samples": 1}


def test_uci_hapt_overlapping_label_rows_start_after_the_row_before(tmp_path):
    _hapt_raw(tmp_path, labels="1 1 1 1 1000\n1 1 5 1500 2000\n1 1 4 1000 1400\n")
    report = import_dataset("uci-hapt", tmp_path / "HAPT", tmp_path / "out")
    (rec,) = _recs(tmp_path / "out")[1]
    assert [(s.start_s, s.end_s, s.label) for s in rec.labels] == [
        (0.0, 20.0, "walking"), (20.0, 28.0, "sitting"), (29.98, 40.0, "standing")]
    assert +report.skipped == {"label_rows_trimmed_where_they_overlap": 1}


def test_uci_hapt_label_rows_not_imported_are_counted(tmp_path):
    """Rows of an experiment without data files, or naming another user than the files do, are counted."""
    _hapt_raw(tmp_path, labels="1 1 1 1 2999\n5 5 1 1 100\n5 5 4 101 200\n1 2 1 1 100\n1 1 13 3000 3000\n")
    report = import_dataset("uci-hapt", tmp_path / "HAPT", tmp_path / "out")
    assert report.skipped == {"label_rows_without_data_files": 2, "label_rows_of_another_user": 1,
                              "unknown_activity_13": 1}
    stored = read_dataset(tmp_path / "out").meta["import_report"]["skipped"]
    assert stored["label_rows_without_data_files"] == 2
    (r,) = _recs(tmp_path / "out")[1]
    assert [(s.start_s, s.end_s, s.label) for s in r.labels] == [(0.0, 59.98, "walking")]


def _har_text(rows: np.ndarray) -> str:
    """Rows as the UCI HAR files print them: two spaces before each value, 8 significant digits, 3-digit
    exponents (``  1.0128170e+000``)."""
    out = []
    for row in rows:
        vals = (f"{v:.7e}" for v in row)
        out.append("".join("  " + re.sub(r"e([+-])(\d\d)$", r"e\g<1>0\2", v) for v in vals))
    return "\n".join(out) + "\n"


def _har_split(root, split, pieces):
    """Write ``pieces`` — (subject, activity id, continuous signal (n, 6) in g and rad/s) — into ``split`` as the
    published windows (128 samples, hop 64), each piece windowed on its own."""
    wins, ys, subs = [], [], []
    for subject, act, sig in pieces:
        for s in range(0, len(sig) - 127, 64):
            wins.append(sig[s:s + 128])
            ys.append(act)
            subs.append(subject)
    wins = np.array(wins)
    folder = root / split / "Inertial Signals"
    folder.mkdir(parents=True)
    for j, name in enumerate(("total_acc_x", "total_acc_y", "total_acc_z", "body_gyro_x", "body_gyro_y",
                              "body_gyro_z")):
        (folder / f"{name}_{split}.txt").write_text(_har_text(wins[:, :, j]))
    (folder / f"body_acc_x_{split}.txt").write_text(_har_text(wins[:, :, 0] - 1.0))  # not read
    (root / split / f"y_{split}.txt").write_text("".join(f"{y}\n" for y in ys))
    (root / split / f"subject_{split}.txt").write_text("".join(f"{s}\n" for s in subs))
    return wins


def _har_signal(rng, n):
    t = np.arange(n) / 50.0
    acc = np.column_stack([0.1 + 0.2 * np.sin(2 * np.pi * 1.8 * t), -0.3 + 0.1 * rng.standard_normal(n),
                           0.95 + 0.05 * np.cos(2 * np.pi * 0.9 * t)])
    return np.column_stack([acc, 0.5 * rng.standard_normal((n, 3))])


def test_uci_har_windows_are_stitched_back(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "UCI HAR Dataset"
    walk, stand, walk3 = _har_signal(rng, 128 + 64 * 5), _har_signal(rng, 128 + 64 * 2), _har_signal(rng, 256)
    _har_split(root, "train", [(1, 1, walk), (1, 5, stand)])
    _har_split(root, "test", [(3, 2, walk3)])
    report = import_dataset("uci-har", tmp_path, tmp_path / "out")  # the parent folder is found too
    ds, recs = _recs(tmp_path / "out")
    # each piece is its own run: its first window overlaps nothing
    assert report.recordings == 3 and len(recs) == 3
    by = {r.provenance["split"] + str(r.provenance["first_window"]): r for r in recs}
    r = by["train0"]
    assert r.subject == "uci01" and r.rate_hz == 50.0 and r.placement == "waist_left_landscape"
    assert len(r) == len(walk) and r.provenance["windows"] == 6
    np.testing.assert_allclose(r.acc, walk[:, :3] * STANDARD_GRAVITY, rtol=1e-7)  # the text keeps 8 digits
    np.testing.assert_allclose(r.gyro, walk[:, 3:], rtol=1e-7, atol=1e-12)
    assert [(s.start_s, s.label) for s in r.labels] == [(0.0, "walking")]
    assert r.labels[0].end_s == pytest.approx(len(walk) / 50.0)
    assert [s.label for s in by["train6"].labels] == ["standing"] and by["train6"].subject == "uci01"
    assert by["test0"].subject == "uci03" and by["test0"].labels[0].label == "stairs_up"
    assert report.labels_s["walking"] == pytest.approx(len(walk) / 50.0)


def test_uci_har_one_run_per_continuous_stretch(tmp_path):
    """A run breaks where the next window does not continue the last one, or the subject changes; a label that
    changes inside a run changes in the middle of the half the two windows share (majority labels put it
    there)."""
    rng = np.random.default_rng(1)
    root = tmp_path / "UCI HAR Dataset"
    sig = _har_signal(rng, 128 + 64 * 4)  # five windows
    wins = _har_split(root, "train", [(2, 1, sig)])
    y = root / "train" / "y_train.txt"
    y.write_text("1\n1\n1\n4\n4\n")  # walking, then sitting from the fourth window on
    import_dataset("uci-har", root, tmp_path / "out")
    (r,) = _recs(tmp_path / "out")[1]
    assert [(s.start_s, s.label) for s in r.labels] == [(0.0, "walking"), ((3 * 64 + 32) / 50.0, "sitting")]
    # the third window no longer continues the second: two runs, same data
    folder = root / "train" / "Inertial Signals"
    bad = wins[:, :, 0].copy()
    bad[2, :64] += 0.01
    (folder / "total_acc_x_train.txt").write_text(_har_text(bad))
    import_dataset("uci-har", root, tmp_path / "out2")
    recs = _recs(tmp_path / "out2")[1]
    assert sorted(len(r) for r in recs) == [128 + 64, 128 + 64 * 2]
    assert sorted(r.provenance["first_window"] for r in recs) == [0, 2]


def test_uci_har_bad_layouts(tmp_path):
    rng = np.random.default_rng(2)
    root = tmp_path / "UCI HAR Dataset"
    _har_split(root, "train", [(1, 1, _har_signal(rng, 256))])
    (root / "train" / "Inertial Signals" / "body_gyro_z_train.txt").unlink()
    with pytest.raises(ValidationError, match="missing body_gyro_z_train.txt"):
        import_dataset("uci-har", root, tmp_path / "o")
    _har_split(tmp_path / "b", "test", [(1, 1, _har_signal(rng, 256))])
    (tmp_path / "b" / "test" / "y_test.txt").write_text("1\n")  # three windows, one label
    with pytest.raises(ValidationError, match="y_test.txt has 1 rows for the 3 windows of Inertial Signals"):
        import_dataset("uci-har", tmp_path / "b", tmp_path / "o2")
    (tmp_path / "b" / "test" / "y_test.txt").write_text("1\n1\n1\n")
    (tmp_path / "b" / "test" / "subject_test.txt").unlink()
    with pytest.raises(ValidationError, match="missing subject_test.txt"):
        import_dataset("uci-har", tmp_path / "b", tmp_path / "o2")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="Inertial Signals"):
        import_dataset("uci-har", tmp_path / "empty", tmp_path / "o3")
    with pytest.raises(ValidationError, match="is not a folder"):
        import_dataset("uci-har", tmp_path / "b" / "test" / "y_test.txt", tmp_path / "o4")
    folder = root / "train" / "Inertial Signals"
    bad = (("", "empty file"), ("1 2 3\n", "3 numbers per line"),
           ("abc def\n", "line 1: 'abc' is not a number"))
    for k, (text, message) in enumerate(bad):
        (folder / "body_gyro_z_train.txt").write_text(text)
        with pytest.raises(ValidationError, match=message):
            import_dataset("uci-har", root, tmp_path / f"o5_{k}")


def test_uci_har_values_beyond_any_sensor_name_their_file_and_line(tmp_path, capsys):
    """A corrupted value names its file and line (it had named a sample of a recording the user never sees:
    the bad window broke the stitching); a gyroscope file in deg/s says so (a fresh user's run, session
    63)."""
    rng = np.random.default_rng(4)
    wins = _har_split(tmp_path, "train", [(1, 1, _har_signal(rng, 128 + 64 * 4))])
    gyro = wins[:, :, 3].copy()
    gyro[2, 5] = 5000.0
    path = tmp_path / "train" / "Inertial Signals" / "body_gyro_x_train.txt"
    path.write_text(_har_text(gyro))
    err = _refused(capsys, ["uci-har", str(tmp_path)], tmp_path / "out")
    assert f"{path}:3: a value of 5e+03 rad/s (in SI), beyond any body-worn sensor" in err
    assert "(allowed: |gyro| <= 100 rad/s, the file in rad/s)" in err
    t = np.arange(gyro.size).reshape(gyro.shape) / 50.0
    path.write_text(_har_text(np.degrees(3.0 * np.sin(2 * np.pi * 0.9 * t))))  # a swinging shank, in deg/s
    err = _refused(capsys, ["uci-har", str(tmp_path)], tmp_path / "out")
    assert "body_gyro_x_train.txt reads rates beyond any MEMS gyroscope" in err and "deg/s, not rad/s" in err


def test_uci_har_unknown_activity_codes_are_imported_unlabelled(tmp_path):
    """A window of a code outside 1–6 is imported, in no label's stretch, and the report's note says so; it is
    not counted as skipped (its data are there)."""
    _har_split(tmp_path, "train", [(1, 1, _har_signal(np.random.default_rng(5), 128 + 64 * 4))])
    (tmp_path / "train" / "y_train.txt").write_text("1\n1\n1\n1\n7\n")
    report = import_dataset("uci-har", tmp_path, tmp_path / "out")
    d = report.as_dict()
    assert d["skipped"] == {} and d["unlabelled_s"] > 0
    assert d["notes"] == {"activity code 7 is not one of UCI HAR's: its windows imported unlabelled": 1}


def test_uci_har_reads_the_hapt_raw_layout_too(tmp_path):
    raw = tmp_path / "HAPT" / "RawData"
    raw.mkdir(parents=True)
    np.savetxt(raw / "acc_exp01_user04.txt", np.tile([0.0, 0.0, 1.0], (100, 1)))
    np.savetxt(raw / "gyro_exp01_user04.txt", np.zeros((100, 3)))
    (raw / "labels.txt").write_text("1 4 1 1 100\n")
    import_dataset("uci-har", tmp_path / "HAPT", tmp_path / "out")
    (r,) = _recs(tmp_path / "out")[1]
    assert r.subject == "uci04" and r.labels[0].label == "walking"


def test_pamap2_nan_rows_become_gaps(tmp_path):
    folder = tmp_path / "PAMAP2_Dataset" / "Protocol"
    folder.mkdir(parents=True)
    n = 600
    table = np.full((n, 54), np.nan)
    table[:, 0] = 5.0 + np.arange(n) / 100.0
    table[:, 1] = np.repeat([0, 4, 24], n // 3)
    for c0 in (3, 20, 37):
        table[:, c0] = 30.0
        table[:, c0 + 1:c0 + 4] = [0.5, 9.7, -1.0]
        table[:, c0 + 4:c0 + 7] = [0.4, 9.6, -1.1]
        table[:, c0 + 7:c0 + 10] = [0.01, 0.02, 0.03]
        table[:, c0 + 10:c0 + 13] = [20.0, -5.0, 40.0]
        table[:, c0 + 13:c0 + 17] = [1, 0, 0, 0]
    table[300:310, 4] = np.nan  # hand IMU drop-out
    np.savetxt(folder / "subject101.dat", table, fmt="%.6f")
    np.savetxt(folder / "subject108.dat", table, fmt="%.6f")
    report = import_dataset("pamap2", tmp_path / "PAMAP2_Dataset", tmp_path / "out")
    ds, recs = _recs(tmp_path / "out")
    r = recs[0]
    assert r.placement in PLACEMENTS
    assert r.channels[-3:] == ("mag_x", "mag_y", "mag_z") and r.rate_hz == 100.0
    assert len(r) == n - 10 and len(r.gaps()) == 1
    assert report.skipped["rows_not_finite"] == 20
    assert [s.label for s in r.labels] == ["walking", "jumping_rope"]
    # activity 0 (transient) is imported unlabelled: the first 200 rows of each file, 2 s each, reported
    assert report.as_dict()["unlabelled_s"] == pytest.approx(2 * 2.0, abs=0.05)
    assert r.labels[0].start_s == pytest.approx(2.0)
    assert r.placement == "wrist_right" and recs[1].placement == "wrist_left"
    np.testing.assert_allclose(r.gyro[0], [0.01, 0.02, 0.03])
    import_dataset("pamap2", tmp_path / "PAMAP2_Dataset", tmp_path / "ankle", imu="ankle")
    ankle = read_dataset(tmp_path / "ankle")
    assert [ankle.read(i).placement for i in range(2)] == ["ankle_right", "ankle_left"]  # 108 is left-handed


def _pamap2_file(folder, name="subject101.dat", n=300):
    """A PAMAP2 protocol file: ``n`` rows of 54 columns (time, activity 4, heart rate, three IMUs of ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = np.ones((n, 54))
    table[:, 0], table[:, 1] = 5.0 + np.arange(n) / 100.0, 4
    np.savetxt(folder / name, table, fmt="%.6f")
    return folder / name


@pytest.mark.parametrize("line, text, message", [
    (11, "5.1 4 x1" + " 1" * 51, "line 11: 'x1' is not a number"),
    (12, "5.1 4 1", "line 12 has 3 value(s), line 1 has 54"),
])
def test_pamap2_unreadable_lines_are_refused(tmp_path, capsys, line, text, message):
    path = _pamap2_file(tmp_path / "Protocol")
    _edit_line(path, line, text)
    err = _refused(capsys, ["pamap2", str(tmp_path)], tmp_path / "out")
    assert f"{path}: {message} (allowed: 54 numbers (or NaN) per line (PAMAP2 protocol))" in err


def test_pamap2_a_file_without_readings_of_the_imu_is_counted(tmp_path, capsys):
    _pamap2_file(tmp_path / "Protocol", "subject101.dat")
    path = _pamap2_file(tmp_path / "Protocol", "subject102.dat")
    table = np.loadtxt(path)
    table[:, 2:] = np.nan  # every sensor column
    np.savetxt(path, table, fmt="%.6f")
    report = import_dataset("pamap2", tmp_path, tmp_path / "out")
    assert report.recordings == 1
    assert report.as_dict()["skipped"] == {"rows_not_finite": 300, "files_without_usable_rows": 1}
    path.rename(tmp_path / "Protocol" / "subject101.dat")  # now the only file: nothing to import
    err = _refused(capsys, ["pamap2", str(tmp_path)], tmp_path / "out2")
    assert "nothing could be imported" in err and "files_without_usable_rows=1" in err
    assert "(allowed: Protocol/subjectNNN.dat, 54 numbers per line" in err


@pytest.mark.parametrize("name, text, message", [
    ("y_train.txt", "1\nwalking\n1\n", "line 2: 'walking' is not a whole number"),
    ("subject_train.txt", "1 1\n1 1\n1 1\n", "2 numbers per line"),
])
def test_uci_har_unreadable_id_files_are_refused(tmp_path, capsys, name, text, message):
    _har_split(tmp_path, "train", [(1, 1, _har_signal(np.random.default_rng(3), 256))])
    (tmp_path / "train" / name).write_text(text)
    err = _refused(capsys, ["uci-har", str(tmp_path)], tmp_path / "out")
    assert f"{tmp_path / 'train' / name}: {message} (allowed: a whole number per line, one per window)" in err


def _rw_csv(t_ms, xyz):
    lines = ["id,attr_time,attr_x,attr_y,attr_z"]
    lines += [f"{i},{int(t)},{x:.6f},{y:.6f},{z:.6f}" for i, (t, (x, y, z)) in enumerate(zip(t_ms, xyz))]
    return "\n".join(lines) + "\n"


def test_realworld_zip_and_plain(tmp_path):
    data = tmp_path / "realworld2016_dataset" / "proband1" / "data"
    data.mkdir(parents=True)
    t = 1435000000000 + np.arange(200) * 20
    acc = np.tile([0.0, 9.81, 0.0], (200, 1))
    gyr_t = t + 7
    gyr = np.tile([0.1, 0.2, 0.3], (200, 1))
    with zipfile.ZipFile(data / "acc_walking_csv.zip", "w") as z:
        z.writestr("acc_walking_forearm.csv", _rw_csv(t, acc))
        z.writestr("acc_walking_chest.csv", _rw_csv(t, acc))
    with zipfile.ZipFile(data / "gyr_walking_csv.zip", "w") as z:
        z.writestr("Gyroscope_walking_forearm.csv", _rw_csv(gyr_t, gyr))
    p2 = tmp_path / "realworld2016_dataset" / "proband2" / "data"
    p2.mkdir(parents=True)
    (p2 / "acc_climbingup_2_waist.csv").write_text(_rw_csv(t, acc))
    report = import_dataset("realworld", tmp_path / "realworld2016_dataset", tmp_path / "out")
    ds, recs = _recs(tmp_path / "out")
    by = {(r.subject, r.placement): r for r in recs}
    assert set(by) == {("rw_proband1", "wrist_left"), ("rw_proband1", "chest"),
                       ("rw_proband2", "waist_front")}
    fore = by[("rw_proband1", "wrist_left")]
    assert fore.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert fore.rate_hz == 50.0
    np.testing.assert_allclose(fore.gyro[5], [0.1, 0.2, 0.3])
    assert report.skipped["acc_samples_outside_common_span"] == 1  # gyro starts 7 ms late
    assert by[("rw_proband2", "waist_front")].labels[0].label == "stairs_up"
    # every position the importer writes is a placement preset: `imuforge motion --placement` takes it
    from imuforge.datasets.importers import REALWORLD_POSITIONS

    assert set(REALWORLD_POSITIONS.values()) <= set(PLACEMENTS)


def test_realworld_subjects_from_a_zipped_download_or_one_probands_folder(tmp_path):
    """The download as published is one zip holding ``probandN/data/*_csv.zip``, read in a folder or as the
    source itself: each subject from the paths inside it (before, every recording of the zip became
    ``proband0`` and the probands overwrote each other; the zip as the source was refused); one proband's
    folder given as the source is that proband; the zip next to its extracted copy imports each file once, the
    copies counted."""
    t = 1435000000000 + np.arange(200) * 20
    acc = np.tile([0.0, 9.81, 0.0], (200, 1))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("acc_walking_chest.csv", _rw_csv(t, acc))
    down = tmp_path / "download"
    down.mkdir()
    with zipfile.ZipFile(down / "realworld2016_dataset.zip", "w") as z:
        for k in (1, 2):
            z.writestr(f"proband{k}/data/acc_walking_csv.zip", inner.getvalue())
    for k, source in enumerate((down, down / "realworld2016_dataset.zip")):  # its folder, or the zip itself
        report = import_dataset("realworld", source, tmp_path / f"out_{k}")
        _, recs = _recs(tmp_path / f"out_{k}")
        assert sorted(r.subject for r in recs) == ["rw_proband1", "rw_proband2"] and report.recordings == 2
    for k in (1, 2):  # the same data extracted beside the zip
        (down / f"proband{k}" / "data").mkdir(parents=True)
        (down / f"proband{k}" / "data" / "acc_walking_csv.zip").write_bytes(inner.getvalue())
    report = import_dataset("realworld", down, tmp_path / "out2")
    assert report.recordings == 2 and report.skipped["duplicate_sensor_files"] == 2
    report = import_dataset("realworld", down / "proband2", tmp_path / "out3")
    _, recs = _recs(tmp_path / "out3")
    assert [r.subject for r in recs] == ["rw_proband2"]



def test_realworld_magnetic_field_nested_zips_and_empty_files(tmp_path):
    """The published archives: ``MagneticField_…`` in the mag zips, the climbing parts of some probands as zips
    inside the zip (``acc_climbingup_csv.zip`` → ``acc_climbingup_2_csv.zip`` → ``acc_climbingup_2_chest.csv``),
    and a header-only CSV counted, not fatal."""
    import io

    data = tmp_path / "rw" / "proband4" / "data"
    data.mkdir(parents=True)
    t = 1435000000000 + np.arange(100) * 20
    acc, mag = np.tile([0.0, 9.81, 0.0], (100, 1)), np.tile([20.0, -5.0, 40.0], (100, 1))

    def nested(outer, inner_name, csv_name, rows):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zi:
            zi.writestr(csv_name, rows)
        with zipfile.ZipFile(data / outer, "w") as zo:
            zo.writestr(inner_name, buf.getvalue())

    nested("acc_climbingup_csv.zip", "acc_climbingup_2_csv.zip", "acc_climbingup_2_chest.csv", _rw_csv(t, acc))
    nested("mag_climbingup_csv.zip", "mag_climbingup_2_csv.zip", "MagneticField_climbingup_2_chest.csv",
           _rw_csv(t, mag))
    with zipfile.ZipFile(data / "acc_jumping_csv.zip", "w") as z:
        z.writestr("acc_jumping_thigh.csv", "id,attr_time,attr_x,attr_y,attr_z\n")
    report = import_dataset("realworld", tmp_path / "rw", tmp_path / "out")
    (r,) = _recs(tmp_path / "out")[1]
    assert r.labels[0].label == "stairs_up" and r.channels[-3:] == ("mag_x", "mag_y", "mag_z")
    np.testing.assert_allclose(r.mag[3], [20.0, -5.0, 40.0])
    assert report.skipped["csv_files_without_samples"] == 1

def test_realworld_damaged_zips_are_refused(tmp_path, capsys):
    data = tmp_path / "rw" / "proband1" / "data"
    data.mkdir(parents=True)
    t = 1435000000000 + np.arange(50) * 20
    with zipfile.ZipFile(data / "acc_walking_csv.zip", "w") as z:
        z.writestr("acc_walking_chest.csv", _rw_csv(t, np.tile([0.0, 9.81, 0.0], (50, 1))))
    whole = (data / "acc_walking_csv.zip").read_bytes()
    allowed = "(allowed: a RealWorld *_csv.zip as published: fetch it again)"
    for k, damaged in enumerate((b"PK\x03\x04garbage", whole[:len(whole) // 2])):  # not a zip; truncated
        (data / "acc_walking_csv.zip").write_bytes(damaged)
        err = _refused(capsys, ["realworld", str(tmp_path / "rw")], tmp_path / f"out{k}")
        assert f"{data / 'acc_walking_csv.zip'}: damaged zip archive (" in err and allowed in err
    buf = io.BytesIO()  # a damaged zip inside the zip
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("acc_walking_2_csv.zip", b"not a zip")
    (data / "acc_walking_csv.zip").write_bytes(buf.getvalue())
    err = _refused(capsys, ["realworld", str(tmp_path / "rw")], tmp_path / "out2")
    assert f"{data / 'acc_walking_csv.zip'}: damaged zip archive (File is not a zip file)" in err


def test_realworld_unreadable_csv_lines_are_refused_and_nan_rows_counted(tmp_path, capsys):
    data = tmp_path / "rw" / "proband1" / "data"
    data.mkdir(parents=True)
    lines = _rw_csv(1435000000000 + np.arange(50) * 20, np.tile([0.0, 9.81, 0.0], (50, 1))).splitlines()
    lines[4] = "3,1435000000060,0.0,x,0.0"  # line 5 of the file
    with zipfile.ZipFile(data / "acc_walking_csv.zip", "w") as z:
        z.writestr("acc_walking_chest.csv", "\n".join(lines) + "\n")
    err = _refused(capsys, ["realworld", str(tmp_path / "rw")], tmp_path / "out")
    assert f"{data / 'acc_walking_csv.zip'} (acc_walking_chest.csv): line 5: 'x' is not a number" in err
    assert "(allowed: 5 numbers per line below the header id,attr_time,attr_x,attr_y,attr_z)" in err
    lines[4] = "3,1435000000060,0.0,nan,0.0"
    (data / "acc_walking_csv.zip").unlink()
    (data / "acc_walking_chest.csv").write_text("\n".join(lines) + "\n")
    report = import_dataset("realworld", tmp_path / "rw", tmp_path / "out")  # a NaN row: left out, counted
    assert report.skipped["rows_not_finite"] == 1 and len(_recs(tmp_path / "out")[1][0]) == 49


def test_usc_had(tmp_path):
    from scipy.io import savemat

    (tmp_path / "USC-HAD" / "Subject3").mkdir(parents=True)
    x = np.column_stack([np.full(250, 1.0), np.zeros(250), np.zeros(250), np.full(250, 90.0), np.zeros((250, 2))])
    savemat(tmp_path / "USC-HAD" / "Subject3" / "a6t2.mat",
            {"sensor_readings": x, "activity_number": "6", "subject": "3", "trial": "2"})
    savemat(tmp_path / "USC-HAD" / "Subject3" / "a10t1.mat", {"sensor_readings": x[:120]})
    import_dataset("usc-had", tmp_path / "USC-HAD", tmp_path / "out")
    ds, recs = _recs(tmp_path / "out")
    labels = sorted(r.labels[0].label for r in recs)
    assert labels == ["lying", "running"]
    r = next(r for r in recs if r.labels[0].label == "running")
    assert r.subject == "usc03" and r.rate_hz == 100.0
    assert r.placement == "hip_right_front" and r.placement in PLACEMENTS  # `motion --placement` takes it
    np.testing.assert_allclose(r.acc[0, 0], STANDARD_GRAVITY)
    np.testing.assert_allclose(r.gyro[0, 0], 90 * DEG)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_usc_had_unreadable_mat_files_are_refused(tmp_path, capsys, damage):
    from scipy.io import savemat

    path = tmp_path / "USC-HAD" / "Subject1" / "a1t1.mat"
    path.parent.mkdir(parents=True)
    savemat(path, {"sensor_readings": np.zeros((500, 6))})
    whole = path.read_bytes()
    path.write_bytes({"garbage": b"MATLAB 5.0 MAT-file" + bytes(100), "truncated": whole[:len(whole) // 2],
                      "empty": b""}[damage])
    err = _refused(capsys, ["usc-had", str(tmp_path / "USC-HAD")], tmp_path / "out")
    assert f"{path}: not a readable MATLAB file (" in err
    assert "(allowed: USC-HAD .mat files as published (sensor_readings N×6))" in err


def test_wisdm_v11_handles_bad_lines(tmp_path):
    lines = []
    t0 = 49105962326000
    for i in range(60):
        lines.append(f"33,Jogging,{t0 + i * 50_000_000},-0.6946377,12.680544,0.50395286;")
    lines.append("33,Jogging,0,0.0,0.0,0.0;")  # zero timestamp
    lines.append("33,Jogging,49105962326000,1.0,2.0;")  # malformed
    lines.append("33,Jogging,49105962326001,nan,2.0,3.0;")  # not finite
    for i in range(40):
        lines.append(f"17,Walking,{t0 + 10**12 + i * 50_000_000},1.0,9.0,0.5;")
    (tmp_path / "WISDM_ar_v1.1").mkdir()
    (tmp_path / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt").write_text("\n".join(lines) + "\n")
    report = import_dataset("wisdm", tmp_path / "WISDM_ar_v1.1", tmp_path / "out")
    ds, recs = _recs(tmp_path / "out")
    assert [(r.subject, r.labels[0].label, len(r)) for r in recs] == [("wisdm33", "running", 60),
                                                                      ("wisdm17", "walking", 40)]
    assert report.skipped["zero_timestamps"] == 1 and report.skipped["malformed_lines"] == 1
    assert report.skipped["lines_not_finite"] == 1
    assert recs[0].rate_hz == 20.0 and recs[0].placement == "pocket_right_thigh"
    # the same file cut off in its last record: that record is counted as cut, not as a malformed line
    text = "\n".join(lines) + "\n" + "17,Walking,"
    (tmp_path / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt").write_text(text)
    report = import_dataset("wisdm", tmp_path / "WISDM_ar_v1.1", tmp_path / "out2")
    assert report.skipped["last_record_cut"] == 1 and report.skipped["malformed_lines"] == 1
    # cut inside its last number: the record parses, but is not the sample written; counted as cut too
    (tmp_path / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt").write_text(
        "\n".join(lines) + "\n" + f"17,Walking,{t0 + 10**12 + 40 * 50_000_000},1.0,9.0,0.5")
    report = import_dataset("wisdm", tmp_path / "WISDM_ar_v1.1", tmp_path / "out3")
    assert report.skipped["last_record_cut"] == 1 and [len(r) for r in _recs(tmp_path / "out3")[1]] == [60, 40]
    # two copies below the folder given: it read the first found and said nothing; now refused, naming them
    (tmp_path / "WISDM_ar_v1.1" / "copy").mkdir()
    (tmp_path / "WISDM_ar_v1.1" / "copy" / "WISDM_ar_v1.1_raw.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match=r"2 WISDM_ar_v1.1_raw.txt below .*: WISDM_ar_v1.1_raw.txt, "
                                              r"copy/WISDM_ar_v1.1_raw.txt \(allowed: the one file"):
        import_dataset("wisdm", tmp_path / "WISDM_ar_v1.1", tmp_path / "out4")


def test_wisdm2019_merges_gyro(tmp_path):
    base = tmp_path / "wisdm-dataset" / "raw" / "watch"
    (base / "accel").mkdir(parents=True)
    (base / "gyro").mkdir(parents=True)
    t0 = 252207666810782
    acc = [f"1600,A,{t0 + i * 50_000_000},-0.36,8.79,1.05;" for i in range(50)]
    acc += [f"1600,F,{t0 + 10**11 + i * 50_000_000},0.1,9.7,0.2;" for i in range(30)]
    gyro = [f"1600,A,{t0 + i * 50_000_000 + 3_000_000},0.5,-0.5,0.25;" for i in range(50)]
    gyro += [f"1600,F,{t0 + 10**11 + i * 50_000_000},0.0,0.0,0.1;" for i in range(30)]
    (base / "accel" / "data_1600_accel_watch.txt").write_text("\n".join(acc) + "\n")
    (base / "gyro" / "data_1600_gyro_watch.txt").write_text("\n".join(gyro) + "\n")
    assert main(["import", "wisdm2019", str(tmp_path / "wisdm-dataset"), "--out", str(tmp_path / "out")]) == 0
    ds, recs = _recs(tmp_path / "out")
    assert [r.labels[0].label for r in recs] == ["walking", "typing"]
    assert recs[0].channels[3:] == ("gyro_x", "gyro_y", "gyro_z") and recs[0].placement == "wrist_right"
    np.testing.assert_allclose(recs[0].gyro[3], [0.5, -0.5, 0.25])



def test_wisdm2019_gyro_only_from_the_same_activity_nearby(tmp_path):
    """An accelerometer run gets gyro values only from gyro samples of its own activity close to it: a run
    whose activity has no gyro stays accelerometer-only (not interpolated from the activities around it), and
    the samples of a gap in the gyro stream are left out, counted."""
    base = tmp_path / "wisdm-dataset" / "raw" / "phone"
    (base / "accel").mkdir(parents=True)
    (base / "gyro").mkdir(parents=True)
    t0, dt = 10**14, 50_000_000
    acc = [f"1601,{c},{t0 + k * 10**11 + i * dt},0.1,9.7,0.2;" for k, c in enumerate("ABC") for i in range(40)]
    gyro = [f"1601,{c},{t0 + k * 10**11 + i * dt},{k}.0,0.0,0.0;" for k, c in enumerate("ABC") if c != "B"
            for i in range(40) if not (c == "C" and 10 <= i < 20)]  # no gyro for B; C's gyro has a 0.5 s gap
    (base / "accel" / "data_1601_accel_phone.txt").write_text("\n".join(acc) + "\n")
    (base / "gyro" / "data_1601_gyro_phone.txt").write_text("\n".join(gyro) + "\n")
    report = import_dataset("wisdm2019", tmp_path / "wisdm-dataset", tmp_path / "out", device="phone")
    by = {r.labels[0].label: r for r in _recs(tmp_path / "out")[1]}
    assert by["running"].channels == ("acc_x", "acc_y", "acc_z") and report.skipped["runs_without_gyro"] == 1
    assert by["walking"].gyro is not None and np.allclose(by["walking"].gyro[:, 0], 0.0)
    # the 10 samples inside the gap have the gyro 0.05 s on one side and ≥ 0.5 s on the other: left out
    assert np.allclose(by["stairs"].gyro[:, 0], 2.0) and len(by["stairs"]) == 30
    assert report.skipped["acc_samples_without_gyro_nearby"] == 10 and len(by["stairs"].gaps()) == 1
    assert by["stairs"].placement == "pocket_right_thigh"

def test_unknown_format_and_missing_files(tmp_path):
    with pytest.raises(ValidationError, match="unknown dataset format"):
        import_dataset("opportunity", tmp_path, tmp_path / "o")
    with pytest.raises(ValidationError, match="labels.txt"):
        import_dataset("uci-hapt", tmp_path, tmp_path / "o2")


def _usc_unknown_only(src):
    from scipy.io import savemat

    (src / "Subject1").mkdir(parents=True)
    savemat(src / "Subject1" / "a13t1.mat", {"sensor_readings": np.zeros((100, 6))})


@pytest.mark.parametrize("fmt, write, why, allowed", [
    ("wisdm", lambda src: (src / "WISDM_ar_v1.1_raw.txt").write_text(""), "(the files hold no samples)",
     "WISDM_ar_v1.1_raw.txt, lines 'user,activity,timestamp ns,x,y,z;' of the activities Walking, Jogging"),
    ("wisdm", lambda src: (src / "WISDM_ar_v1.1_raw.txt").write_text("junk\n33,Jogging,1;\n"),
     "(skipped: malformed_lines=2)", "lines 'user,activity,timestamp ns,x,y,z;'"),
    ("usc-had", _usc_unknown_only, "(skipped: unknown_activity_13=1)",
     "SubjectN/aXtY.mat of the activities X = 1, 2, 3"),
])
def test_an_import_of_nothing_is_refused(tmp_path, capsys, fmt, write, why, allowed):
    src = tmp_path / "src"
    src.mkdir()
    write(src)
    err = _refused(capsys, [fmt, str(src)], tmp_path / "out")
    assert f"nothing could be imported from {src} {why} (allowed: " in err and allowed in err


@pytest.mark.parametrize("fmt, option, allowed", [
    ("uci-hapt", ["--imu", "chest"], "--imu with pamap2, mhealth, dsads only"),
    ("pamap2", ["--device", "phone"], "--device with wisdm2019, hhar only"),
    # the default value, given: refused too
    ("wisdm2019", ["--imu", "hand"], "--imu with pamap2, mhealth, dsads only"),
])
def test_an_option_of_another_format_is_refused(tmp_path, capsys, fmt, option, allowed):
    _hapt_raw(tmp_path)
    err = _refused(capsys, [fmt, str(tmp_path / "HAPT"), *option], tmp_path / "out")
    assert f"{option[0]} does not apply to {fmt} (allowed: {allowed})" in err


def test_import_help_states_the_option_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "which IMU: pamap2 hand|chest|ankle (default: hand" in text
    assert "mhealth arm|ankle|chest (default: arm" in text
    assert "dsads torso|right_arm|left_arm|right_leg|left_leg (default: right_arm)" in text
    assert "which device: wisdm2019 (default: watch), hhar (default: phone)" in text


def _zip_folder(folder, zip_path, junk=True):
    """``folder`` zipped as ``zip_path`` (its members under the folder's name), with macOS's resource forks as
    such archives carry them (``__MACOSX/…/._name``) when ``junk``."""
    with zipfile.ZipFile(zip_path, "w") as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                name = f"{folder.name}/{f.relative_to(folder).as_posix()}"
                z.write(f, name)
                if junk:
                    z.writestr(f"__MACOSX/{folder.name}/._{f.name}", b"\x00\x05\x16\x07")
    return zip_path


def test_a_download_still_zipped_is_read_from_its_zips(tmp_path, capsys):
    """The UCI download of UCI HAR holds the data set's own zip (and macOS's resource forks): given the
    download's zip, or the folder it sits in, the import unzips both beside --out, reads the data set, says
    so in its notes and leaves no unzipped copy; a zip that holds none of the format's files is refused,
    naming a format it does hold."""
    made = tmp_path / "made"
    _har_split(made / "UCI HAR Dataset", "train", [(1, 1, _har_signal(np.random.default_rng(3), 256))])
    down = tmp_path / "download"
    down.mkdir()
    inner = _zip_folder(made / "UCI HAR Dataset", tmp_path / "UCI HAR Dataset.zip")
    with zipfile.ZipFile(down / "human+activity+recognition+using+smartphones.zip", "w") as z:
        z.write(inner, "UCI HAR Dataset.zip")
        z.writestr("UCI HAR Dataset.names", "the description")
    direct = import_dataset("uci-har", made / "UCI HAR Dataset", tmp_path / "direct")
    for k, source in enumerate((down, down / "human+activity+recognition+using+smartphones.zip")):
        report = import_dataset("uci-har", source, tmp_path / f"out{k}")
        assert report.recordings == direct.recordings == 1 and report.labels_s == direct.labels_s
        assert report.notes == {"read from its zip archives, unzipped for the import": 1}
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    other = tmp_path / "other"
    _pamap2_file(other / "Protocol")
    err = _refused(capsys, ["uci-har", str(_zip_folder(other, tmp_path / "pamap.zip", junk=False))],
                   tmp_path / "out9")
    assert "pamap.zip, unzipped, holds none of the uci-har data set's files; it holds the pamap2 layout " \
           f"(imuforge import pamap2 {tmp_path / 'pamap.zip'})" in err


def test_a_source_in_another_formats_layout_or_a_file_is_refused_naming_what_to_do(tmp_path, capsys):
    """A source the format finds nothing in names the format whose layout it has (the RealWorld folder given
    to motionsense was told to unzip its *_csv.zip files), and a file where the format reads a folder says
    to give the folder (UCI HAPT's labels.txt: 'no labels.txt in …/labels.txt')."""
    src = tmp_path / "PAMAP2 Dataset"
    (src / "Protocol").mkdir(parents=True)
    (src / "Protocol" / "subject101.dat").write_text("1 0 " + " ".join(["1.0"] * 52) + "\n")
    err = _refused(capsys, ["uci-har", str(src)], tmp_path / "out")
    assert f"it looks like the pamap2 layout (imuforge import pamap2 '{src}')" in err
    err = _refused(capsys, ["uci-hapt", str(src / "Protocol" / "subject101.dat")], tmp_path / "out")
    assert "it is a file: give the data set's folder" in err


def test_a_damaged_download_zip_is_refused_naming_it_and_leaves_nothing(tmp_path, capsys):
    made = tmp_path / "made"
    _har_split(made / "UCI HAR Dataset", "train", [(1, 1, _har_signal(np.random.default_rng(3), 256))])
    zipped = _zip_folder(made / "UCI HAR Dataset", tmp_path / "download.zip")
    zipped.write_bytes(zipped.read_bytes()[: zipped.stat().st_size // 2])
    err = _refused(capsys, ["uci-har", str(zipped)], tmp_path / "out")
    assert f"{zipped}: " in err and "(allowed: the download as published: fetch it again)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download.zip", "made"]  # no unzipped copy left


def test_a_zipped_download_beside_its_copy_a_killed_runs_leftover_and_errors_inside_it(tmp_path, capsys,
                                                                                      monkeypatch):
    """A folder holding the zip and its extracted copy reads the copy where it lies (UCI HAR's importer reads
    one folder down only); a temporary folder a killed run left is never read (the next run read 52 of 152
    recordings from one); '.ZIP' counts; an error in a file inside the zip names the zip, not the temporary
    folder; the temporary folder goes beside the source when --out is inside it; a zip Python cannot open
    (encrypted) is one line."""
    from imuforge.datasets.importers import _stage_parent

    made = tmp_path / "made"
    _har_split(made / "UCI HAR Dataset", "train", [(1, 1, _har_signal(np.random.default_rng(3), 256))])
    down = tmp_path / "download"
    down.mkdir()
    _zip_folder(made / "UCI HAR Dataset", down / "DOWNLOAD.ZIP")
    stale = down / ".imuforge-unzip-old" / "0_DOWNLOAD" / "UCI HAR Dataset"
    _har_split(stale, "test", [(7, 2, _har_signal(np.random.default_rng(4), 256))])
    report = import_dataset("uci-har", down, tmp_path / "zipped")
    assert report.labels_s == import_dataset("uci-har", made, tmp_path / "direct").labels_s
    assert report.notes == {"read from its zip archives, unzipped for the import": 1}
    shutil.copytree(made / "UCI HAR Dataset", down / "extracted" / "UCI HAR Dataset")
    report = import_dataset("uci-har", down, tmp_path / "both")
    assert report.recordings == 1 and not report.notes  # the copy, read where it lies
    assert _stage_parent(down, down / "out") == tmp_path and _stage_parent(down, tmp_path / "o") == tmp_path
    shutil.rmtree(down / "extracted")
    y = made / "UCI HAR Dataset" / "train" / "y_train.txt"
    y.write_text(y.read_text().replace("1\n", "walking\n", 1))
    _zip_folder(made / "UCI HAR Dataset", down / "DOWNLOAD.ZIP")
    err = _refused(capsys, ["uci-har", str(down)], tmp_path / "out")
    assert f"{down} (unzipped)/0_DOWNLOAD/UCI HAR Dataset/train/y_train.txt: line 1" in err
    assert ".imuforge-unzip" not in err

    def encrypted(self, *a, **k):
        raise RuntimeError("File 'x' is encrypted, password required for extraction")

    monkeypatch.setattr(zipfile.ZipFile, "extractall", encrypted)
    err = _refused(capsys, ["uci-har", str(down / "DOWNLOAD.ZIP")], tmp_path / "out")
    assert "DOWNLOAD.ZIP: cannot unzip it here (File 'x' is encrypted" in err


def test_realworld_a_sensor_file_of_nan_rows_only_is_counted(tmp_path):
    data = tmp_path / "rw" / "proband1" / "data"
    data.mkdir(parents=True)
    t = 1435000000000 + np.arange(100) * 20
    (data / "acc_walking_chest.csv").write_text(_rw_csv(t, np.tile([0.0, 9.81, 0.0], (100, 1))))
    (data / "Gyroscope_walking_chest.csv").write_text(_rw_csv(t, np.full((100, 3), np.nan)))
    report = import_dataset("realworld", tmp_path / "rw", tmp_path / "out")
    (rec,) = _recs(tmp_path / "out")[1]
    assert report.skipped["rows_not_finite"] == 100 and len(rec) == 100 and rec.gyro is None


def test_usc_had_nan_rows_become_gaps_and_an_empty_file_is_no_recording(tmp_path, capsys):
    from scipy.io import savemat

    folder = tmp_path / "USC-HAD" / "Subject1"
    folder.mkdir(parents=True)
    x = np.column_stack([np.full(300, 1.0), np.zeros((300, 5))])
    x[100:150] = np.nan
    savemat(folder / "a1t1.mat", {"sensor_readings": x})
    report = import_dataset("usc-had", tmp_path / "USC-HAD", tmp_path / "out")
    (rec,) = _recs(tmp_path / "out")[1]
    assert report.skipped["rows_not_finite"] == 50 and len(rec) == 250
    assert [(round(a, 2), round(b, 2), n) for a, b, n in rec.gaps()] == [(0.99, 1.5, 50)]
    assert rec.labels[0].end_s == pytest.approx(3.0)
    savemat(folder / "a1t1.mat", {"sensor_readings": np.zeros((1, 6))})  # one row: no rate, 0 s
    err = _refused(capsys, ["usc-had", str(tmp_path / "USC-HAD")], tmp_path / "out2")
    assert "nothing could be imported" in err and "recordings_of_fewer_than_2_samples=1" in err


def test_wisdm_reads_its_published_tar_gz_and_refuses_other_bytes(tmp_path, capsys):
    import io
    import tarfile

    text = "".join(f"33,Jogging,{49105962326000 + i * 50_000_000},-0.69,12.68,0.50;\n" for i in range(40))
    with tarfile.open(tmp_path / "WISDM_ar_latest.tar.gz", "w:gz") as tf:
        blob = text.encode()
        info = tarfile.TarInfo("home/share/data/public_sets/WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt")
        info.size = len(blob)
        tf.addfile(info, io.BytesIO(blob))
    for src, out in ((tmp_path / "WISDM_ar_latest.tar.gz", "a"), (tmp_path, "b")):  # the file, its folder
        report = import_dataset("wisdm", src, tmp_path / out)
        (rec,) = _recs(tmp_path / out)[1]
        assert len(rec) == 40 and rec.labels[0].label == "running"
        assert report.notes == {"read from WISDM_ar_latest.tar.gz (home/share/data/public_sets/WISDM_ar_v1.1/"
                                "WISDM_ar_v1.1_raw.txt)": 1}
    with zipfile.ZipFile(tmp_path / "unrelated.zip", "w") as z:  # beside it: not unzipped instead
        z.writestr("notes.txt", "x")
    import_dataset("wisdm", tmp_path, tmp_path / "d")
    import gzip

    (tmp_path / "other.gz").write_bytes(gzip.compress(b"not wisdm"))
    err = _refused(capsys, ["wisdm", str(tmp_path / "other.gz")], tmp_path / "c")
    assert f"{tmp_path / 'other.gz'}: not a text file (an archive, or binary data)" in err
    whole = (tmp_path / "WISDM_ar_latest.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[:len(whole) // 2])  # a download cut short
    err = _refused(capsys, ["wisdm", str(tmp_path / "cut.tar.gz")], tmp_path / "e")
    assert f"{tmp_path / 'cut.tar.gz'}: damaged archive (" in err and "fetch it again" in err


def test_wisdm2019_a_file_of_which_no_line_reads_is_refused_naming_it(tmp_path, capsys):
    base = tmp_path / "wisdm-dataset" / "raw" / "watch"
    (base / "accel").mkdir(parents=True)
    (base / "gyro").mkdir(parents=True)
    t0 = 252207666810782
    (base / "accel" / "data_1601_accel_watch.txt").write_text(
        "".join(f"1601,A,{t0 + i * 50_000_000},-0.36,8.79,1.05;\n" for i in range(50)))
    gyro = base / "gyro" / "data_1601_gyro_watch.txt"
    gyro.write_text("".join(f"1601,A,{t0 + i * 50_000_000},0.5,-0.5;\n" for i in range(50)))  # 5 fields
    err = _refused(capsys, ["wisdm2019", str(tmp_path / "wisdm-dataset")], tmp_path / "out")
    assert f"{gyro}: none of its 50 lines reads as a sample (allowed: lines 'subject,activity code," in err


def test_one_sample_files_are_counted_not_written_and_another_layouts_zips_are_not_unzipped(tmp_path, capsys):
    _pamap2_file(tmp_path / "PAMAP2_Dataset" / "Protocol", "subject101.dat")
    _pamap2_file(tmp_path / "PAMAP2_Dataset" / "Protocol", "subject102.dat", n=1)
    report = import_dataset("pamap2", tmp_path / "PAMAP2_Dataset", tmp_path / "out")
    assert report.recordings == 1 and report.skipped["recordings_of_fewer_than_2_samples"] == 1
    data = tmp_path / "rw" / "proband1" / "data"
    data.mkdir(parents=True)
    with zipfile.ZipFile(data / "acc_walking_csv.zip", "w") as z:
        z.writestr("acc_walking_chest.csv", _rw_csv(1435000000000 + np.arange(50) * 20, np.ones((50, 3))))
    err = _refused(capsys, ["pamap2", str(tmp_path / "rw")], tmp_path / "out2")
    assert f"it looks like the realworld layout (imuforge import realworld {tmp_path / 'rw'})" in err
    assert not any(p.name.startswith(".imuforge-unzip-") for p in tmp_path.rglob("*"))
    # a zipped data set in a folder beside another format's unzipped one is still unzipped and read
    (tmp_path / "both").mkdir()
    _zip_folder(tmp_path / "PAMAP2_Dataset", tmp_path / "both" / "pamap2.zip")
    (tmp_path / "both" / "WISDM_ar_v1.1_raw.txt").write_text("33,Jogging,49105962326000,-0.69,12.68,0.50;\n")
    assert import_dataset("pamap2", tmp_path / "both", tmp_path / "out3").recordings == 1
