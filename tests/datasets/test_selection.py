"""Subsets of a data set (``imuforge.datasets.selection``, ``imuforge dataset select``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from imuforge.cli import main
from imuforge.datasets.selection import first_seconds, select
from imuforge.errors import ValidationError
from imuforge.recording import Recording, read_dataset
from tests.synthetic_har import write_recordings

ACC_CHANNELS = ("acc_x", "acc_y", "acc_z")


def _rec(subject: str, labels, seconds: float = 140.0, rate: float = 10.0) -> Recording:
    t = np.arange(int(seconds * rate)) / rate
    data = np.column_stack([t, np.full_like(t, float(subject[-1])), np.zeros_like(t)])  # x = time: crops checkable
    return Recording(t, data, ACC_CHANNELS, rate, labels=labels, subject=subject)


def _people():
    # walking in two stretches of 50 s with 10 s unlabelled between, standing 30 s
    labels = [(0.0, 50.0, "walking"), (60.0, 110.0, "walking"), (110.0, 140.0, "standing")]
    return [_rec(f"s{i}", labels) for i in (1, 2, 3)]


def _seconds(recs, label):
    return sum(r.duration_per_label().get(label, 0.0) for r in recs)


def test_first_seconds_takes_each_persons_stretches_in_order():
    recs = _people()
    cap, rest = first_seconds(recs[:1], None, 60.0)
    walk = [r for r in cap if r.labels[0].label == "walking"]
    assert [(r.timestamps[0], r.timestamps[-1]) for r in walk] == [(0.0, 49.9), (60.0, 69.9)]  # 50 s, then 10 s
    assert _seconds(cap, "walking") == pytest.approx(60.0) and _seconds(cap, "standing") == pytest.approx(30.0)
    assert _seconds(rest, "walking") == pytest.approx(40.0) and _seconds(rest, "standing") == 0.0
    np.testing.assert_array_equal(rest[0].acc[:, 0], rest[0].timestamps)  # crops of the recording's own samples
    assert rest[0].timestamps[0] == pytest.approx(70.0)
    # each person counts their own seconds; pooled, the first person's stretches use up the minute
    cap3, _ = first_seconds(recs, ["walking"], 60.0)
    assert _seconds(cap3, "walking") == pytest.approx(180.0) and {r.subject for r in cap3} == {"s1", "s2", "s3"}
    pooled, _ = first_seconds(recs, ["walking"], 60.0, per_subject=False)
    assert _seconds(pooled, "walking") == pytest.approx(60.0) and {r.subject for r in pooled} == {"s1"}
    with pytest.raises(ValidationError, match=r"seconds = 0 is out of range \(allowed: a finite number of s"):
        first_seconds(recs, None, 0.0)


@pytest.mark.parametrize("seconds", [math.inf, math.nan, -5.0, 0, "60", True])
def test_first_seconds_refuses_what_is_not_a_finite_positive_number(seconds):
    """The library function checks its argument (the command relies on that check): inf, nan, a negative
    number, zero, text and a bool are refused naming the parameter; inf was taken as "all of it"."""
    recs = _people()
    with pytest.raises(ValidationError, match=r"^seconds = .* is out of range") as exc:
        first_seconds(recs, None, seconds)
    assert exc.value.allowed == "a finite number of seconds > 0"

    def unread():  # select refuses before it reads a recording
        raise AssertionError("recordings read")
        yield
    with pytest.raises(ValidationError, match=r"^first_seconds_per_label = .* is out of range"):
        select(unread(), first_seconds_per_label=seconds)


def test_select_people_labels_and_the_rest():
    recs = _people()
    s = select(recs, subjects=["s2"], labels=["walking"], first_seconds_per_label=30.0)
    assert {r.subject for r in s.selected + s.rest} == {"s2"}
    assert s.seconds_per_label() == {"walking": pytest.approx(30.0)}
    assert s.seconds_per_label("rest") == {"walking": pytest.approx(70.0)}  # the two parts make the whole
    others = select(recs, exclude_subjects=["s2"])
    assert sorted(r.subject for r in others.selected) == ["s1", "s3"] and others.rest == []
    assert _seconds(others.selected, "standing") == pytest.approx(60.0)
    only_standing = select(recs, labels=["standing"])
    assert all([s.label for s in r.labels] == ["standing"] for r in only_standing.selected)
    with pytest.raises(ValidationError, match=r"no subject s9 in the data \(allowed: s1, s2, s3\)"):
        select(recs, subjects=["s9"])
    with pytest.raises(ValidationError, match="no label cycling"):
        select(recs, labels=["cycling"])


def test_select_one_body_position_of_several():
    recs = [r.replace(placement=pl) for r, pl in zip(_people(), ("chest", "waist_front", "chest"))]
    s = select(recs, placements=["chest"])
    assert sorted(r.subject for r in s.selected) == ["s1", "s3"]
    with pytest.raises(ValidationError, match=r"no placement thigh in the data \(allowed: chest, waist_fro"):
        select(recs, placements=["thigh"])


def _write(path, recs):
    return write_recordings(path, recs).path


def test_dataset_select_command(tmp_path, capsys):
    data = _write(tmp_path / "data", _people())
    assert main(["dataset", "select", str(data), "--subjects", "s1", "--first-seconds", "60",
                 "--out", str(tmp_path / "cap"), "--rest-out", str(tmp_path / "rest")]) == 0
    out = capsys.readouterr().out
    assert "selected: 3 recordings of 1 subject(s)" in out and "rest: 1 recording of 1 subject(s)" in out
    cap = read_dataset(tmp_path / "cap")
    assert cap.summary()["subjects"] == ["s1"]
    assert cap.summary()["duration_per_label_s"] == {"standing": pytest.approx(30.0), "walking": pytest.approx(60.0)}
    assert read_dataset(tmp_path / "rest").summary()["duration_per_label_s"] == {"walking": pytest.approx(40.0)}
    assert main(["dataset", "select", str(data), "--exclude-subjects", "s1", "--out", str(tmp_path / "test")]) == 0
    assert read_dataset(tmp_path / "test").summary()["subjects"] == ["s2", "s3"]
    capsys.readouterr()
    # --json: what was written, as one object (the figures the text shows)
    assert main(["dataset", "select", str(data), "--subjects", "s1", "--first-seconds", "60", "--json",
                 "--out", str(tmp_path / "cap_j"), "--rest-out", str(tmp_path / "rest_j")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["selected"]["recordings"] == 3 and doc["selected"]["subjects"] == ["s1"]
    assert doc["selected"]["seconds_per_label"] == {"standing": pytest.approx(30.0),
                                                    "walking": pytest.approx(60.0)}
    assert doc["rest"] == {"out": str(tmp_path / "rest_j"), "recordings": 1, "subjects": ["s1"],
                           "seconds_per_label": {"walking": pytest.approx(40.0)}, "pieces_left_out": 0}
    # a rest with nothing in it is refused before anything is written (it was written, empty, with a warning,
    # and the next command read by the docs, `eval --data REST`, failed)
    assert main(["dataset", "select", str(data), "--subjects", "s1", "--first-seconds", "600",
                 "--out", str(tmp_path / "cap2"), "--rest-out", str(tmp_path / "rest2")]) == 2
    err = capsys.readouterr().err
    assert ("--rest-out would hold no recording: no person has more than --first-seconds 600 s of any "
            "chosen label (the longest: 100.0 s) (allowed: a shorter --first-seconds, or leave --rest-out "
            "out)") in err
    assert not (tmp_path / "cap2").exists() and not (tmp_path / "rest2").exists()


def test_the_rest_leaves_out_pieces_shorter_than_any_window(tmp_path, capsys):
    """A stretch a sample longer than the seconds taken left a rest piece of one sample ("standing 0.0 s", a
    fresh user's HAPT selection): pieces under MIN_REST_S are left out of the rest and counted; a rest of
    nothing else is refused, saying so."""
    labels = [(0.0, 50.0, "walking"), (60.0, 110.05, "walking"), (110.05, 140.0, "standing")]
    data = _write(tmp_path / "data", [_rec("s1", labels), _rec("s2", labels)])
    s = select(read_dataset(data).recordings(), subjects=["s1"], first_seconds_per_label=100.0)
    assert s.rest == [] and s.rest_left_out == 1  # walking: 100.0 of 100.1 s taken, one sample left
    s = select(read_dataset(data).recordings(), subjects=["s1"], first_seconds_per_label=20.0)
    assert s.rest_left_out == 0 and s.seconds_per_label("rest") == {"standing": pytest.approx(9.95, abs=0.06),
                                                                    "walking": pytest.approx(80.05)}
    assert main(["dataset", "select", str(data), "--subjects", "s1", "--first-seconds", "100",
                 "--out", str(tmp_path / "cap"), "--rest-out", str(tmp_path / "rest")]) == 2
    err = capsys.readouterr().err
    assert "the longest: 100.0 s; 1 piece(s) under 1 s left over" in err
    assert main(["dataset", "select", str(data), "--subjects", "s1", "--first-seconds", "25",
                 "--out", str(tmp_path / "cap"), "--rest-out", str(tmp_path / "rest")]) == 0
    out = capsys.readouterr().out
    assert "rest: 3 recordings" in out and "walking              75.0 s" in out
    assert "piece(s) under" not in out


@pytest.mark.parametrize("options, message", [
    (["--subjects", "s7"], "no subject s7 in the data (allowed: s1, s2, s3)"),
    (["--placements", "chest"], "no placement chest in the data (allowed: none)"),
    (["--rest-out", "REST"], "--rest-out needs --first-seconds"),
    (["--first-seconds", "-5"], "--first-seconds = -5 is out of range (allowed: a finite number of seconds"),
    (["--first-seconds", "inf"], "--first-seconds = inf is out of range"),  # was an OverflowError traceback
    (["--first-seconds", "nan"], "--first-seconds = nan is out of range"),
    (["--labels", "standing", "--subjects", "s1", "--exclude-subjects", "s1"],
     "--subjects and --exclude-subjects both name s1 (allowed: each subject in one of them)"),
    (["--subjects", "s1,,s2"], "--subjects 's1,,s2' holds an empty name"),  # the empty item was dropped
])
def test_dataset_select_refusals_leave_nothing(tmp_path, capsys, options, message):
    from tests.test_bad_input import one_line_error

    data = _write(tmp_path / "data", _people())
    options = [str(tmp_path / "rest") if o == "REST" else o for o in options]
    assert main(["dataset", "select", str(data), "--out", str(tmp_path / "new" / "sel"), *options]) == 2
    assert message in one_line_error(capsys, "dataset select")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize("option", ["--subjects", "--labels"])
def test_dataset_select_refuses_an_empty_list(tmp_path, capsys, option):
    """``--subjects ""`` selected everything before: refused while the arguments are read, as any empty
    value."""
    from tests.test_bad_input import one_line_error

    data = _write(tmp_path / "data", _people())
    with pytest.raises(SystemExit) as e:
        main(["dataset", "select", str(data), "--out", str(tmp_path / "new" / "sel"), option, ""])
    assert e.value.code == 2
    assert f"{option} is empty (allowed: a value" in one_line_error(capsys, "dataset select")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_dataset_select_refuses_a_non_empty_out(tmp_path, capsys):
    from tests.test_bad_input import one_line_error

    data = _write(tmp_path / "data", _people())
    (tmp_path / "cap").mkdir()
    (tmp_path / "cap" / "mine.txt").write_text("keep")
    assert main(["dataset", "select", str(data), "--out", str(tmp_path / "cap")]) == 2
    assert "exists and is not empty" in one_line_error(capsys, "dataset select")
    assert [p.name for p in (tmp_path / "cap").iterdir()] == ["mine.txt"]


def test_first_seconds_count_samples_not_gaps_and_refuse_overlapping_labels():
    t = np.concatenate([np.arange(0, 5, 0.1), np.arange(25, 40, 0.1)])  # 20 s missing inside the stretch
    data = np.zeros((t.size, 3))
    rec = Recording(t, data, ACC_CHANNELS, 10.0, labels=[(0.0, 40.0, "walking")], subject="g")
    cap, rest = first_seconds([rec], None, 10.0)
    assert sum(len(r) for r in cap) == 100 and cap[0].timestamps[-1] == pytest.approx(29.9)  # 5 s, gap, 5 s
    assert sum(len(r) for r in rest) == t.size - 100
    both = rec.replace(labels=[(0.0, 20.0, "walking"), (5.0, 25.0, "carrying")])
    with pytest.raises(ValidationError, match="overlapping label segments"):
        first_seconds([both], None, 10.0)


def test_recordings_without_subject_each_have_their_own_seconds():
    recs = [_rec("s1", [(0.0, 100.0, "walking")]).replace(subject=None) for _ in range(2)]
    cap, _ = first_seconds(recs, None, 30.0)
    assert _seconds(cap, "walking") == pytest.approx(60.0)


def test_dataset_select_writes_both_parts_or_neither(tmp_path, capsys):
    from tests.test_bad_input import one_line_error

    data = _write(tmp_path / "data", _people())
    (tmp_path / "afile").write_text("not a folder")
    assert main(["dataset", "select", str(data), "--first-seconds", "10", "--out", str(tmp_path / "cap"),
                 "--rest-out", str(tmp_path / "afile" / "rest")]) == 2
    assert "is a file, not a folder to write" in one_line_error(capsys, "dataset select")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "data"]
