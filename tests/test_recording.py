"""Recording / Dataset / Motion formats: exact round trips and readable without imuforge."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from imuforge import Dataset, Recording, ValidationError, read_csv, read_dataset, read_recording
from imuforge.motion import Motion, read_motion
from imuforge.recording import MAX_ABS_SI, find_datasets
from imuforge.units import STANDARD_GRAVITY

CH6 = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def make_recording(n=500, rate=50.0, seed=0, drop=()):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate + 1234.5
    keep = np.setdiff1d(np.arange(n), drop)
    return Recording(
        t[keep], rng.normal(size=(keep.size, 6)), CH6, rate, profile="nano33-ble-sense-rev2", placement="wrist_left",
        labels=[(t[0], t[200], "standing"), (t[200], t[-1] + 1 / rate, "walking")], subject="s07",
        provenance={"generator": "test", "seed": seed, "nested": {"a": [1, 2.5]}},
    )


def test_parquet_round_trip_is_exact_including_gaps(tmp_path):
    rec = make_recording(drop=np.arange(100, 110))
    path = rec.save(tmp_path / "a.imu.parquet")
    back = read_recording(path)
    assert back == rec
    assert back.data.tobytes() == rec.data.tobytes() and back.timestamps.tobytes() == rec.timestamps.tobytes()
    assert back.gaps() == rec.gaps() and back.gaps()[0][2] == 10


def test_timestamp_jitter_is_not_a_gap_and_a_drop_past_it_is():
    """Gaps are where samples are missing, not where the timestamps jitter: at 1600 Hz with 100 µs of jitter
    per timestamp (16 % of a period; the metamotions profile's) intervals pass 1.5 periods ≈ 2 % of the time
    (a synthetic 10 s recording listed 232 gaps); a drop of 3 samples stands out of that jitter and is
    counted, as is a single drop from a steady clock."""
    rng = np.random.default_rng(3)
    rate, n = 1600.0, 16000
    t = np.arange(n) / rate + rng.normal(0.0, 100e-6, n)
    t.sort()
    jittery = Recording(t, np.zeros((n, 1)), ("acc_x",), rate)
    assert np.mean(np.diff(t) > 1.5 / rate) > 0.01  # the old rule's fake gaps
    assert jittery.gaps() == []
    keep = np.setdiff1d(np.arange(n), [8000, 8001, 8002])
    dropped = Recording(t[keep], np.zeros((keep.size, 1)), ("acc_x",), rate)
    (after, before, missing), = dropped.gaps()
    assert after == t[7999] and before == t[8003] and missing == 3
    assert make_recording(drop=[300]).gaps()[0][2] == 1  # a steady clock: one missing sample is a gap


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (20, 3), elements=st.floats(-MAX_ABS_SI["acc"], MAX_ABS_SI["acc"], width=64)))
def test_round_trip_any_finite_float_bits(tmp_path_factory, values):
    """Any float64 an accelerometer channel may hold (subnormals, ±0, the span's edges) comes back bit for
    bit."""
    rec = Recording(np.arange(20) * 0.01, values, ("acc_x", "acc_y", "acc_z"), 100.0)
    p = tmp_path_factory.mktemp("h") / "r.imu.parquet"
    assert read_recording(rec.save(p)) == rec
    c = tmp_path_factory.mktemp("h") / "r.csv"
    assert read_recording(rec.to_csv(c)).data.tobytes() == rec.data.tobytes()


def test_readable_with_pandas_and_pyarrow_alone(tmp_path):
    rec = make_recording()
    path = rec.save(tmp_path / "a.imu.parquet")
    df = pd.read_parquet(path)
    assert list(df.columns) == ["time", *CH6]
    assert np.array_equal(df["acc_y"].to_numpy(), rec.data[:, 1])
    schema = pq.read_schema(path)
    meta = json.loads(schema.metadata[b"imuforge"])
    assert meta["units"]["gyro_x"] == "rad/s" and meta["labels"][1][2] == "walking"
    assert schema.field("acc_x").metadata[b"unit"] == b"m/s^2"


def test_csv_round_trip_and_units_in_headers(tmp_path):
    rec = make_recording(drop=[5, 6])
    path = rec.to_csv(tmp_path / "a.csv")
    header = path.read_text().splitlines()[1]
    assert header == "time[s],acc_x[m/s^2],acc_y[m/s^2],acc_z[m/s^2],gyro_x[rad/s],gyro_y[rad/s],gyro_z[rad/s]"
    assert read_csv(path) == rec


def test_csv_edge_units_are_converted_to_si(tmp_path):
    p = tmp_path / "sketch.csv"
    p.write_text("time[ms],acc_x[g],acc_y[g],mag_z[mgauss],gyro_z[deg/s]\n0,1,1,10,180\n10,0.5,0,0,-90\n"
                 "20,0,0,0,0\n")
    rec = read_csv(p)
    assert rec.rate_hz == pytest.approx(100.0)
    assert np.allclose(rec.channel("acc_x"), [STANDARD_GRAVITY, STANDARD_GRAVITY / 2, 0])
    assert np.allclose(rec.channel("acc_y")[0], STANDARD_GRAVITY)
    assert np.allclose(rec.channel("gyro_z"), [np.pi, -np.pi / 2, 0])
    assert np.allclose(rec.channel("mag_z")[0], 1.0)  # 10 mgauss = 1 µT


def test_a_minus_unit_reads_core_motion_s_accelerometer_as_the_specific_force(tmp_path):
    """An iPhone lying face up reads z = -1 g in Core Motion; written as acc_z[-g] it is the +9.81 m/s² a
    specific force reads, and its gyro column keeps its sign."""
    p = tmp_path / "iphone.csv"
    p.write_text("time[s],acc_x[-g],acc_y[-g],acc_z[-g],gyro_z[rad/s]\n0,0,0,-1,0.5\n0.01,0.25,0,-1,0.5\n")
    rec = read_csv(p)
    assert np.array_equal(rec.channel("acc_z"), [STANDARD_GRAVITY, STANDARD_GRAVITY])
    assert np.array_equal(rec.channel("acc_x"), [0.0, -0.25 * STANDARD_GRAVITY])
    assert np.array_equal(rec.channel("gyro_z"), [0.5, 0.5])


def test_a_csv_saved_with_a_byte_order_mark_reads_as_without(tmp_path):
    """Excel's "CSV UTF-8" starts the file with U+FEFF: the first column is still ``time[s]``."""
    text = "time[s],acc_x[g]\n0,1\n0.01,1\n0.02,1\n"
    (tmp_path / "bom.csv").write_text("\ufeff" + text, encoding="utf-8")
    (tmp_path / "plain.csv").write_text(text, encoding="utf-8")
    assert read_csv(tmp_path / "bom.csv") == read_csv(tmp_path / "plain.csv")


def test_a_recording_with_no_sample_is_refused_when_written_or_read(tmp_path):
    import pyarrow.parquet as pq

    rec = Recording(np.zeros(0), np.zeros((0, 3)), ["acc_x", "acc_y", "acc_z"], 100.0)
    with pytest.raises(ValidationError, match="the recording holds no sample"):
        rec.save(tmp_path / "never.imu.parquet")
    with pytest.raises(ValidationError, match="the recording holds no sample"):
        rec.to_csv(tmp_path / "never.csv")
    with pytest.raises(ValidationError, match="the recording holds no sample"):
        Dataset.create(tmp_path / "d").add(rec)
    assert not (tmp_path / "never.imu.parquet").exists() and not (tmp_path / "never.csv").exists()
    # a file that another writer cut to no row: its schema and metadata as written, no row
    one = make_recording().save(tmp_path / "one.imu.parquet")
    pq.write_table(pq.read_table(one).slice(0, 0), tmp_path / "empty.imu.parquet")
    with pytest.raises(ValidationError, match="the recording holds no sample .*allowed: a recording of one"):
        read_recording(tmp_path / "empty.imu.parquet")


@pytest.mark.parametrize(
    "text, message",
    [
        ("time[s],acc_x[-deg/s]\n0,1\n", "'-deg/s' is for gyro, not acc"),
        # one unit missing beside Core Motion's -g: it was read in m/s², 10× off the other axes, silently
        ("time[s],acc_x,acc_y[-g],acc_z[-g]\n0,0,0,-1\n0.02,0,0,-1\n",
         "acc_x is in m/s\\^2 \\(no unit written\\), acc_y in -g: one sensor's axes in two units "
         "\\(allowed: one unit written on every acc axis, e.g. acc_x\\[m/s\\^2\\]"),
        ("time[s],gyro_x[dps],gyro_y[rad/s]\n0,0,0\n0.02,0,0\n", "gyro_x is in dps, gyro_y in rad/s"),
        ("time[s],gyro_x[mg]\n0,1\n", "allowed: rad/s, deg/s, dps, mdps; -UNIT for values that hold minus "
                                          "the quantity\\)$"),
        ("time[s],acc_x[--g]\n0,1\n", "unknown acc unit '--g'"),
        ("time[s],acc_q[g]\n0,1\n", "unknown column 'acc_q'"),
        ("time[s],acc_x[g],acc_y[g],acc_x[g]\n0,1,0,1\n0.02,1,0,1\n",
         r"channel acc_x named twice in acc_x, acc_y, acc_x \(allowed: each channel once"),
        ("millis,aX,aY\n0,1,2\n", r"unknown column 'millis' \(allowed: time, t or timestamp with its unit "
                                  r"\(time\[ms\]\)"),
        ("", "the CSV is empty"),
        ("# a logger's comment\n", "the CSV is empty below its comment lines"),
        ("time[s];acc_x[g]\n0;1\n", "its columns are separated by semicolons"),
        ("time[s],acc_x[g]\n0,1,\n0.02,1,\n", "line 2 ends in a comma: an empty value after its last column"),
        # the header too, and the first row after a blank line: the line the comma is on
        ("time[s],acc_x[g],\n0,1,\n", "line 1 ends in a comma"),
        ("time[s],acc_x[g]\n\n\n0,1,\n", "line 4 ends in a comma"),
        # labels counted from the file's start where the time column counts from the logger's
        ('# {"labels": [[0, 1, "walking"]]}\ntime[s],acc_x[g]\n100,1\n100.02,1\n100.04,1\n',
         r"the labels span 0–1 s, and the samples run 100–100.04 s: no label holds a sample "
         r"\(allowed: label times on the time column's clock"),
        ("time[s],acc_x[furlongs]\n0,1\n", "unknown acc unit 'furlongs'"),
        ("time[s],acc_x[deg/s]\n0,1\n", "'deg/s' is for gyro, not acc"),
        ("time[s],gyro_x[g]\n0,1\n", "'g' is for acc, not gyro"),
        ("acc_x[g]\n1\n2\n", "no time column"),
        # the body: named by the file's line (the header is line 1, a metadata comment pushes it down)
        ("time[s],acc_x[g]\n0,1\n0.01,abc\n", "line 3: 'abc' is not a number"),
        ("# {}\ntime[s],acc_x[g]\n0,1\n0.01,abc\n", "line 4: 'abc' is not a number"),
        ("time[s],acc_x[g]\n0,1\n0.01,\n", "line 3 holds no reading: every cell but the time's is empty"),
        ("time[s],acc_x[g]\n0,1\n0.01,2\n0.02\n", "line 4 has 1 value\\(s\\), line 2 has 2"),
        ("time[s],acc_x[g]\n0,1\n0,2\n", "time does not increase at line 3 \\(0 s, then 0 s\\)"),
        ("time[s],acc_x[g]\n0,1\n\n0.02,2\n0.01,3\n", "time does not increase at line 5"),
        ("time[s],acc_x[g]\n0,nan\n0.01,2\n", "line 2 holds no reading: every cell but the time's is empty "
                                             "\\(or NaN\\)"),
        ("time[s],acc_x[g]\n0,1\n0.01,inf\n", "1 infinite value\\(s\\), the first on line 3"),
        (",acc_x[g]\n0,1\n", "cannot parse column header ''"),
        ("time[s],acc_x[g]\n", "the CSV holds no sample: a header and no row .*allowed: one row per sample"),
        ('# {"rate_hz": 50}\ntime[s],acc_x[g]\n', "the CSV holds no sample"),  # with a rate it was read
        ("\ufefftime[s],acc_x[g]\n0,1\n0.01,abc\n", "line 3: 'abc' is not a number"),  # a BOM: read past
        ("time[s],acc_x[g]\n0,1\n", "holds 1 sample: too few to tell the rate .*allowed: at least 2 rows"),
        # a time in ms in a column that says s: a 50 Hz recording at 0.05 Hz (dataset info showed it as is)
        ("time,acc_x[g]\n0,1\n20,1\n40,1\n",
         "runs at 0.05 Hz, outside the rates of a body-worn IMU: its time in another unit "
         "\\(ms read as s\\?\\) \\(allowed: 1 … 20000 Hz"),
        # times in s under a header that says ms: 50 000 Hz, said as such, and which header fits them
        ("time[ms],acc_x[g]\n0,1\n0.02,1\n0.04,1\n",
         "runs at 50000 Hz, outside .* \\(s read as ms or µs\\?\\) \\(allowed: 1 … 20000 Hz: time in s, or in "
         "the unit a CSV header names \\(time\\[s\\], time\\[ms\\]"),
        ('# {"rate_hz": 50}\ntime[s],acc_x[g]\n0,1\n20,1\n40,1\n',
         "its samples lie 20 s apart, but its rate of 50 Hz says 0.02 s"),
    ],
)
def test_bad_csv_is_refused_with_the_file_named(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ValidationError, match=message) as exc:
        read_csv(p)
    assert "bad.csv" in str(exc.value)


def _merged_log(path, acc_t, gyro_t, gyro_of_t, nan: str = "") -> None:
    """A logger's CSV of two sensors on their own clocks: one row per reading, the other sensor's cells
    ``nan`` ("" for empty), rows in time order (the accelerometer's first on a shared time)."""
    rows = [(t, 0, f"{t:.6f},{t:.6f},0.5,{STANDARD_GRAVITY:.5f},{nan},{nan},{nan}") for t in acc_t]
    rows += [(t, 1, f"{t:.6f},{nan},{nan},{nan},{gyro_of_t(t):.9f},0.25,-0.5") for t in gyro_t]
    head = "time[s],acc_x[m/s^2],acc_y[m/s^2],acc_z[m/s^2],gyro_x[rad/s],gyro_y[rad/s],gyro_z[rad/s]"
    path.write_text(head + "\n" + "\n".join(r[2] for r in sorted(rows)) + "\n")


@pytest.mark.parametrize("nan", ["", "nan", "NaN"])
def test_a_csv_of_sensors_on_their_own_clocks_reads_on_the_most_frequent_ones_times(tmp_path, nan):
    """A phone or logger app that writes each sensor's readings as they come — empty cells (or NaN) where a
    row holds another sensor's — reads as one row per accelerometer reading (the sensor with the most), the
    gyroscope linearly interpolated onto its times: a rate linear in time comes back exactly. The
    accelerometer readings no two gyroscope readings bracket (before its first, after its last, across its
    1 s gap) are left out and counted; it was refused as "line 2 ends in a comma"."""
    acc_t = np.round(np.arange(0.0, 10.0, 0.01), 6)                      # 1000 readings at 100 Hz
    gyro_t = np.round(np.concatenate([np.arange(0.053, 4.0, 0.0125),     # 80 Hz from 53 ms,
                                      np.arange(5.003, 9.9, 0.0125)]), 6)  # a gap 4.0-5.0 s, ends ≈ 9.9 s
    _merged_log(tmp_path / "log.csv", acc_t, gyro_t, lambda t: 0.3 * t - 1.0, nan)
    said = r"log.csv: its sensors were read on their own clocks .* one row per acc reading, gyro linearly "
    with pytest.warns(UserWarning, match=said + r"interpolated onto its times; 117 acc readings outside"):
        rec = read_csv(tmp_path / "log.csv")
    inside = ((acc_t >= gyro_t[0]) & (acc_t <= gyro_t[-1])
              & ~((acc_t > gyro_t[gyro_t < 4.0][-1]) & (acc_t < gyro_t[gyro_t > 5.0][0])))
    assert len(rec) == inside.sum() == 1000 - 6 - 101 - 10  # 6 before, 101 in the gap (4.00–5.00), 10 after
    np.testing.assert_allclose(rec.timestamps, acc_t[inside], atol=1e-9)
    np.testing.assert_allclose(rec.gyro[:, 0], 0.3 * rec.timestamps - 1.0, atol=1e-8)
    np.testing.assert_allclose(rec.acc[:, 0], rec.timestamps, atol=1e-6)
    assert rec.provenance["csv_clocks"] == {"reference": "acc", "interpolated": ["gyro"], "left_out": 117}
    assert rec.rate_hz == pytest.approx(100.0, rel=1e-6)
    assert [round(a, 2) for a, b, n in rec.gaps()] == [3.99]  # the gyroscope's gap, kept as a gap


@pytest.mark.parametrize(("rows", "message"), [
    # one axis empty of a reading: damage, not another sensor's row
    (["0,1,0,9.8,,,", "0.01,1,,9.8,,,", "0.005,,,,0.1,0.2,0.3", "0.02,1,0,9.8,,,"],
     r"line 3: acc_y empty \(or NaN\) where the other acc axes hold values"),
    # a sensor's own readings out of time order (the rows of the two sensors may share a time)
    (["0,1,0,9.8,,,", "0,,,,0.1,0.2,0.3", "0.01,1,0,9.8,,,", "0.02,,,,0.1,0.2,0.3", "0.02,1,0,9.8,,,",
      "0.015,,,,0.1,0.2,0.3"], r"time does not increase at line 7 \(0.02 s, then 0.015 s\)"),
    (["0,1,0,9.8,,,", "0.01,1,0,9.8,,,", "0.02,,,,0.1,0.2,0.3"], r"gyro has 1 reading \(allowed: at least 2"),
    (["0,1,0,9.8,,,", "0.01,1,0,9.8,,,", "0.02,,,,0.1,0.2,0.3", "0.03,,,,0.1,0.2,0.3"],
     r"no acc reading lies within the span of the gyro readings"),
])
def test_a_csv_of_sensors_on_their_own_clocks_is_refused_where_a_reading_is_damaged(tmp_path, rows, message):
    head = "time[s],acc_x[m/s^2],acc_y[m/s^2],acc_z[m/s^2],gyro_x[rad/s],gyro_y[rad/s],gyro_z[rad/s]"
    (tmp_path / "log.csv").write_text(head + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValidationError, match=message):
        read_csv(tmp_path / "log.csv")


def test_a_cropped_recordings_csv_reads_back_and_blank_lines_before_the_header_are_skipped(tmp_path):
    """A crop keeps the end of a label that began after its last sample: the CSV it writes read back
    (the label check refuses only labels of which none holds a sample). A blank line between the comment
    and the header is skipped, as comments are (it was "the CSV is empty")."""
    t = np.arange(1000) / 50.0
    rec = Recording(t, np.tile([0.0, 0.0, 9.81], (1000, 1)), ("acc_x", "acc_y", "acc_z"), 50.0,
                    labels=[(0.0, 9.99, "walking"), (9.99, 20.0, "sitting")])
    cut = rec.crop(0.0, 10.0)
    assert cut.labels[-1].start_s > float(cut.timestamps[-1])  # the stray end of "sitting"
    back = read_recording(cut.to_csv(tmp_path / "cut.csv"))
    assert [s.label for s in back.labels] == ["walking", "sitting"] and len(back) == len(cut)
    text = (tmp_path / "cut.csv").read_text().split("\n", 1)
    (tmp_path / "blank.csv").write_text(text[0] + "\n\n" + text[1])
    assert len(read_csv(tmp_path / "blank.csv")) == len(cut)


def test_bad_recordings_are_refused():
    t = np.arange(10) / 10
    with pytest.raises(ValidationError, match="NaN"):
        Recording(t, np.full((10, 3), np.nan), ("acc_x", "acc_y", "acc_z"), 10)
    # finite, but beyond any body-worn sensor (and float32's reach once squared): a corrupted value or a unit
    huge = np.zeros((10, 3))
    huge[4, 1] = -1e300
    named = r"acc_y holds -1e\+300 m/s\^2 at sample 4 \(t = 0.4 s\)"
    spans = r".*allowed: \|acc\| <= 4000 m/s\^2, \|gyro\| <= 100 rad/s"
    with pytest.raises(ValidationError, match=named + spans):
        Recording(t, huge, ("acc_x", "acc_y", "acc_z"), 10)
    with pytest.raises(ValidationError, match="gyro_z holds 2e"):
        Recording(t, np.full((10, 1), 2e4), ("gyro_z",), 10)
    with pytest.raises(ValidationError, match="acc_z holds 1.64e"):  # raw counts (16384 per g) as m/s²
        Recording(t, np.full((10, 1), 16384.0), ("acc_z",), 10)
    # the widest real parts are well inside: ±400 g, ±4000 °/s
    widest = np.column_stack([np.full(10, 400 * 9.80665), np.full(10, np.radians(4000))])
    Recording(t, widest, ("acc_x", "gyro_x"), 10)
    with pytest.raises(ValidationError, match="does not match"):
        Recording(t, np.zeros((9, 3)), ("acc_x", "acc_y", "acc_z"), 10)
    with pytest.raises(ValidationError, match="unknown channel"):
        Recording(t, np.zeros((10, 1)), ("accel_x",), 10)
    with pytest.raises(ValidationError, match="rate_hz"):
        Recording(t, np.zeros((10, 1)), ("acc_x",), 0)
    with pytest.raises(ValidationError, match="ends"):
        Recording(t, np.zeros((10, 1)), ("acc_x",), 10, labels=[(1.0, 0.5, "walking")])
    with pytest.raises(ValidationError, match="snake_case"):
        Recording(t, np.zeros((10, 1)), ("acc_x",), 10, labels=[(0.0, 0.5, "Walking Fast")])


def test_not_a_recording_file(tmp_path):
    p = tmp_path / "x.imu.parquet"
    p.write_bytes(b"garbage" * 10)
    with pytest.raises(ValidationError, match="not a Parquet file"):
        read_recording(p)
    pd.DataFrame({"time": [0.0, 1.0]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(ValidationError, match="no 'imuforge' schema metadata"):
        read_recording(tmp_path / "plain.parquet")
    # a recording cut in the middle, and a JSON file, are said to be what they are (a fresh user's run)
    whole = (tmp_path / "plain.parquet").read_bytes()
    (tmp_path / "cut.imu.parquet").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValidationError, match="a damaged or cut Parquet file"):
        read_recording(tmp_path / "cut.imu.parquet")
    (tmp_path / "guided.json").write_text("{}")
    with pytest.raises(ValidationError, match="a JSON file, not a recording"):
        read_recording(tmp_path / "guided.json")


def test_crop_labels_and_durations():
    rec = make_recording()
    assert rec.duration_per_label() == pytest.approx({"standing": 4.0, "walking": 6.0})
    part = rec.crop(rec.timestamps[150], rec.timestamps[250])
    assert len(part) == 100
    assert [s.label for s in part.labels] == ["standing", "walking"]
    lab = rec.label_array()
    assert lab[0] == "standing" and lab[-1] == "walking"


def test_dataset_manifest_and_nested_discovery(tmp_path):
    ds = Dataset.create(tmp_path / "root" / "syn", meta={"made_by": "test"})
    for i in range(3):
        ds.add(make_recording(seed=i), name=f"r{i}")
    other = Dataset.create(tmp_path / "root" / "deeper" / "real")
    other.add(make_recording(seed=9))
    back = read_dataset(tmp_path / "root" / "syn")
    assert len(back) == 3 and back.meta == {"made_by": "test"}
    assert [r for r in back] == [make_recording(seed=i) for i in range(3)]
    s = back.summary()
    assert s["duration_per_label_s"] == pytest.approx({"standing": 12.0, "walking": 18.0})
    assert s["profiles"] == ["nano33-ble-sense-rev2"]
    found = find_datasets(tmp_path / "root")
    assert sorted(len(d) for d in found) == [1, 3]
    # manifest readable without imuforge
    doc = json.loads((tmp_path / "root" / "syn" / "manifest.json").read_text())
    df = pd.json_normalize(doc["recordings"])
    assert df["samples"].tolist() == [500, 500, 500]
    with pytest.raises(ValidationError, match="not a Dataset"):
        read_dataset(tmp_path)


def test_two_handles_of_one_dataset_both_keep_their_recordings(tmp_path):
    """Handles opened before either adds: each addition takes in the other's entries (none is lost, no name
    is taken twice)."""
    Dataset.create(tmp_path / "ds")
    a, b = read_dataset(tmp_path / "ds"), read_dataset(tmp_path / "ds")
    a.add(make_recording(seed=0))
    b.add(make_recording(seed=1))
    a.add(make_recording(seed=2), name="mine")
    back = read_dataset(tmp_path / "ds")
    files = ["rec00000.imu.parquet", "rec00001.imu.parquet", "mine.imu.parquet"]
    assert [e["file"] for e in back.entries] == files
    assert [r for r in back] == [make_recording(seed=i) for i in range(3)]
    with pytest.raises(FileExistsError, match="mine"):  # b learns of a's name before it writes anything
        b.add(make_recording(seed=3), name="mine")
    assert len(read_dataset(tmp_path / "ds")) == 3


def test_handles_made_without_reading_the_manifest_keep_what_it_lists(tmp_path):
    """A handle constructed over an existing Dataset, or over its files, takes the manifest's entries in
    before it writes; ``update_meta`` keeps what another handle added too."""
    a = Dataset.create(tmp_path / "ds", meta={"kind": "test"})
    a.add(make_recording(seed=0), name="a0")
    Dataset(path=tmp_path / "ds").add(make_recording(seed=1), name="b0")
    plain = Dataset.from_files(tmp_path / "ds", [tmp_path / "ds" / "a0.imu.parquet"])
    plain.add(make_recording(seed=2))
    a.update_meta(note="kept")
    back = read_dataset(tmp_path / "ds")
    assert [e["file"] for e in back.entries] == ["a0.imu.parquet", "b0.imu.parquet", "rec00002.imu.parquet"]
    assert back.meta == {"kind": "test", "note": "kept"}
    with pytest.raises(ValidationError, match="not JSON"):
        a.update_meta(bad=object())


def test_a_folder_that_cannot_be_locked_still_takes_recordings(tmp_path, monkeypatch):
    """flock refused (as on some NFS mounts): the addition goes ahead unlocked."""
    import errno
    import fcntl

    def refuse(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", refuse)
    ds = Dataset.create(tmp_path / "ds")
    ds.add(make_recording(seed=0))
    assert [r for r in read_dataset(tmp_path / "ds")] == [make_recording(seed=0)]


def _add_many(folder, first: int, n: int) -> None:
    ds = read_dataset(folder)
    for i in range(first, first + n):
        ds.add(make_recording(n=250, seed=i), name=f"p{i:03d}")


def test_processes_adding_to_one_dataset_at_once_lose_nothing(tmp_path):
    """Two processes add to one folder at the same time (the folder lock serialises the manifest updates)."""
    import multiprocessing as mp

    Dataset.create(tmp_path / "ds")
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_add_many, args=(tmp_path / "ds", k * 100, 25)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    back = read_dataset(tmp_path / "ds")
    assert sorted(e["file"] for e in back.entries) == sorted(f"p{i:03d}.imu.parquet" for k in (0, 100)
                                                               for i in range(k, k + 25))
    assert not back.check_files()


def test_motion_round_trip(tmp_path):
    from tests.conftest import still_motion

    m = still_motion(2.0)
    m = Motion(m.positions + np.random.default_rng(0).normal(size=m.positions.shape), m.orientations, m.fps,
               labels=[(0.0, 1.0, "standing")], meta={"seed": 3})
    back = read_motion(m.save(tmp_path / "m.motion.npz"))
    assert back == m


def test_motion_refuses_nan_and_bad_shapes():
    from tests.conftest import still_motion

    m = still_motion(1.0)
    pos = m.positions.copy()
    pos[3, 5, 1] = np.nan
    with pytest.raises(ValidationError, match=r"positions holds 1 non-finite value.*\(3, 5, 1\)"):
        Motion(pos, m.orientations, m.fps)
    with pytest.raises(ValidationError, match=r"shape \(T, 22, 3\)"):
        Motion(pos[:, :20], m.orientations, m.fps)


def test_binary_file_named_csv_and_parquet_named_csv(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x89PAR1\xff\xfe\x00junk")
    with pytest.raises(ValidationError, match="x.csv: not a text CSV file"):
        read_recording(p)
    with pytest.raises(ValidationError, match="writes Parquet"):
        make_recording().save(tmp_path / "y.csv")


def test_resample_skips_a_lone_sample_between_gaps():
    """A single sample isolated by gaps has no rate to convert (scipy's line padding gives NaN for it)."""
    import numpy as np

    from imuforge.recording import Recording
    from imuforge.resample import resample

    t = np.concatenate([np.arange(50), [60], np.arange(70, 120)]) / 50.0
    rec = Recording(t, np.random.default_rng(0).normal(size=(t.size, 3)), ("acc_x", "acc_y", "acc_z"), 50.0)
    out = resample(rec, 25.0)
    assert np.isfinite(out.data).all() and out.provenance["resampled"]["samples_in_too_short_stretches"] == 1


def test_resample_skips_two_jittered_samples_within_one_period():
    import numpy as np

    from imuforge.recording import Recording
    from imuforge.resample import resample

    t = np.concatenate([np.arange(50), [60.0, 60.6], np.arange(70, 120)]) / 50.0
    rec = Recording(t, np.random.default_rng(1).normal(size=(t.size, 3)), ("acc_x", "acc_y", "acc_z"), 50.0)
    assert np.isfinite(resample(rec, 10.0).data).all()


def test_format_rates_groups_one_clock_and_keeps_other_rates_apart():
    from imuforge.units import format_rates

    drift = 52.0 * (1 + np.linspace(-0.002, 0.003, 16))  # one 52 Hz device, 16 recordings, ±0.3 % clocks
    assert format_rates(drift) == f"{drift.min():.4g}–{drift.max():.4g} Hz (16 recordings)"
    assert format_rates([100.0, 49.99999999999999, 50.0]) == "50 Hz (2 recordings), 100 Hz"
    assert format_rates([25.0, 50.0, 100.0]) == "25 Hz, 50 Hz, 100 Hz"
    assert format_rates([]) == "–"
    # eval's distinct data rates: 40 drifting rates of one device as one range, counted as rates
    assert format_rates(np.linspace(99.56, 100.1, 40), "rates") == "99.56–100.1 Hz (40 rates)"
    # rates alike to 4 digits get the digits that tell them apart ("99.84 Hz (3 rates)" read as one rate)
    assert format_rates([99.841, 99.843, 99.8449], "rates") == "99.841–99.845 Hz (3 rates)"


def test_a_newer_format_version_is_refused_by_every_reader(tmp_path):
    """docs/FORMATS.md: readers refuse a newer version with a clear error (CSV header, manifest, Parquet)."""
    rec = make_recording()
    rec.to_csv(tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_text().splitlines()
    head = json.loads(lines[0][1:])
    assert head["version"] == 1 and read_csv(tmp_path / "r.csv") is not None
    (tmp_path / "r.csv").write_text("\n".join(["# " + json.dumps({**head, "version": 2}), *lines[1:]]) + "\n")
    with pytest.raises(ValidationError, match=r"imuforge-recording version 2: written by a newer imuforge .*"
                                              r"allowed: version ≤ 1: upgrade imuforge"):
        read_csv(tmp_path / "r.csv")
    ds = Dataset.create(tmp_path / "ds")
    ds.add(rec, name="r")
    doc = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    (tmp_path / "ds" / "manifest.json").write_text(json.dumps({**doc, "version": 2}))
    with pytest.raises(ValidationError, match=r"imuforge-dataset version 2: written by a newer imuforge .*"
                                              r"allowed: version ≤ 1: upgrade imuforge"):
        read_dataset(tmp_path / "ds")


def test_summary_lists_what_recordings_name_and_counts_those_that_name_none(tmp_path, capsys):
    from imuforge.cli import main

    ds = Dataset.create(tmp_path / "ds")
    ds.add(make_recording(), name="a")
    ds.add(make_recording(seed=1).replace(profile=None, placement=None, subject=None), name="b")
    s = ds.summary()
    assert s["profiles"] == ["nano33-ble-sense-rev2"] and s["placements"] == ["wrist_left"]
    assert s["subjects"] == ["s07"] and s["without"] == {"profile": 1, "placement": 1, "subject": 1}
    assert "None" not in json.dumps(s)
    assert main(["dataset", "info", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "devices:    nano33-ble-sense-rev2 (1 recording(s) name none)" in out
    assert "subjects:   1 (s07); 1 recording(s) name none" in out
    bare = Dataset.create(tmp_path / "bare")
    bare.add(make_recording(seed=2).replace(profile=None, placement=None, subject=None), name="c")
    assert main(["dataset", "info", str(tmp_path / "bare")]) == 0
    out = capsys.readouterr().out
    assert "devices:    not recorded" in out and "subjects:   0; 1 recording(s) name none" in out


@pytest.mark.parametrize("labels", ["walking", [[0, 10]], [None], [[0, 10, None]], [["a", 1, "walking"]], 5])
@pytest.mark.parametrize("suffix", [".imu.parquet", ".csv"])
def test_malformed_labels_in_a_file_are_one_line_naming_it(tmp_path, capsys, labels, suffix):
    """Labels in the metadata that are not [[start_s, end_s, "label"], …]: one line naming the file."""
    import pyarrow.parquet as pq

    from imuforge.cli import main

    rec = make_recording()
    path = tmp_path / f"r{suffix}"
    if suffix == ".csv":
        rec.to_csv(path)
        first, rest = path.read_text().split("\n", 1)
        meta = json.loads(first[1:])
        path.write_text("# " + json.dumps({**meta, "labels": labels}) + "\n" + rest)
    else:
        rec.save(path)
        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[b"imuforge"])
        bad = {"imuforge": json.dumps({**meta, "labels": labels})}
        pq.write_table(table.replace_schema_metadata(bad), path)
    with pytest.raises(ValidationError, match=r"allowed: \[\[start_s, end_s, \"label\"\]") as err:
        read_recording(path)
    assert str(path) in str(err.value)
    assert main(["dataset", "info", str(tmp_path)]) == 2
    out = capsys.readouterr().err.strip()
    assert len(out.splitlines()) == 1 and str(path) in out and "[start_s, end_s" in out, out


@pytest.mark.parametrize("change, said", [
    ({"raw": b"{not json"}, "corrupt metadata: not JSON"),
    ({"provenance": "xx"}, "'provenance' is \"xx\""),
    ({"profile": 5}, "'profile' is 5"),
    ({"rate_hz": "fast"}, "'rate_hz' is \"fast\""),
    ({"channels": ["acc_x"]}, "'channels' names acc_x, the file holds columns acc_x, acc_y"),
    ({"channels": "acc_x"}, "'channels' is \"acc_x\""),
    ({"format": None}, "not an imuforge-recording file"),
    ({"version": 99}, "written by a newer imuforge"),
])
def test_damaged_metadata_is_one_line_naming_the_file(tmp_path, capsys, change, said):
    """A recording whose metadata imuforge cannot have written (not JSON, a wrong type, channels other than
    the file's columns, another format, a newer version): one line naming the file and what is wrong."""
    from imuforge.cli import main

    rec = make_recording()
    path = tmp_path / "r.imu.parquet"
    rec.save(path)
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"imuforge"])
    raw = change.get("raw") or json.dumps({**meta, **change}).encode()
    pq.write_table(table.replace_schema_metadata({b"imuforge": raw}), path)
    with pytest.raises(ValidationError, match="allowed") as err:
        read_recording(path)
    assert said in str(err.value) and str(path) in str(err.value)
    assert main(["dataset", "info", str(tmp_path)]) == 2
    out = capsys.readouterr().err.strip()
    assert len(out.splitlines()) == 1 and said in out, out


def test_what_a_recording_takes_is_what_its_files_may_hold(tmp_path):
    """The constructor refuses what the readers refuse (so a Recording it made always reads back); a number as
    the subject is taken, as its text, by both."""
    t, x = np.arange(3) / 10, np.zeros((3, 1))
    with pytest.raises(ValidationError, match="provenance must be a mapping"):
        Recording(t, x, ["acc_x"], 10.0, provenance="xx")
    for key in ("profile", "placement"):
        with pytest.raises(ValidationError, match=f"{key} must be a name"):
            Recording(t, x, ["acc_x"], 10.0, **{key: 5})
    rec = Recording(t, x, ["acc_x"], 10.0, subject=7)
    assert read_recording(rec.save(tmp_path / "a.imu.parquet")).subject == "7"
    (tmp_path / "b.csv").write_text('# {"rate_hz": 10, "subject": 7}\ntime[s],acc_x[m/s^2]\n0,0\n0.1,0\n')
    assert read_csv(tmp_path / "b.csv").subject == "7"


def test_a_deferred_manifest_is_written_at_the_end_not_at_every_addition(tmp_path):
    """``Dataset.deferred_manifest``: additions inside the block leave the manifest alone until the interval
    passes (here never) and the block ends; then every recording is listed and reads back as written. An
    error inside still lists what was added, and is said itself."""
    ds = Dataset.create(tmp_path / "d")
    recs = [make_recording(seed=i) for i in range(5)]
    with ds.deferred_manifest(every_s=3600.0):
        for i, r in enumerate(recs):
            ds.add(r, name=f"r{i}")
        assert len(read_dataset(tmp_path / "d")) == 0  # on disk: not yet listed
    back = read_dataset(tmp_path / "d")
    assert [e["file"] for e in back.entries] == [f"r{i}.imu.parquet" for i in range(5)]
    assert all(a == b for a, b in zip(back.recordings(), recs))
    with pytest.raises(RuntimeError, match="stop"):
        with ds.deferred_manifest(every_s=3600.0):
            ds.add(recs[0], name="late")
            raise RuntimeError("stop")
    assert len(read_dataset(tmp_path / "d")) == 6
    other = read_dataset(tmp_path / "d")  # a second handle adds while the first defers: no name taken twice
    with ds.deferred_manifest(every_s=3600.0):
        ds.add(recs[2])
        other.add(recs[3])
    assert len(read_dataset(tmp_path / "d")) == 8
    with ds.deferred_manifest(every_s=0.0):  # an interval of 0: every addition written, as without it
        ds.add(recs[1], name="now")
        assert len(read_dataset(tmp_path / "d")) == 9


def test_a_csv_cut_mid_line_is_said_to_be(tmp_path):
    """A CSV recording cut off while written: its last line short, no newline after it (a fresh user's run,
    session 61: refused with the line numbers only)."""
    from imuforge.recording import read_csv

    rec = Recording(np.arange(20) / 10.0, np.ones((20, 3)), ("acc_x", "acc_y", "acc_z"), 10.0)
    text = rec.to_csv(tmp_path / "whole.csv").read_text()
    (tmp_path / "cut.csv").write_text(text[: text.rstrip("\n").rfind(",")])
    with pytest.raises(ValidationError, match="the last line, cut short: the file ends mid-line"):
        read_csv(tmp_path / "cut.csv")


def test_a_logger_that_flushes_its_sensors_in_batches_and_a_sensor_that_never_read(tmp_path):
    """Android-style batches (ten accelerometer rows, then ten gyroscope rows: the file's time goes back, each
    sensor's does not) read as interleaved rows do; a sensor the header names whose cells are all empty (a
    logger template's magnetometer) is left out, and said (it was refused as "mag has 0 readings")."""
    acc_t, gyro_t = np.arange(0.0, 4.0, 0.01), np.arange(0.005, 4.0, 0.01)
    rows = []
    for k in range(0, 400, 10):  # batches of ten of each
        rows += [f"{t:.3f},{t:.3f},0,9.8,,,,,," for t in acc_t[k:k + 10]]
        rows += [f"{t:.3f},,,,{2 * t:.4f},0,0,,," for t in gyro_t[k:k + 10]]
    head = ("time[s],acc_x[m/s^2],acc_y[m/s^2],acc_z[m/s^2],gyro_x[rad/s],gyro_y[rad/s],gyro_z[rad/s],"
            "mag_x[uT],mag_y[uT],mag_z[uT]")
    (tmp_path / "batched.csv").write_text(head + "\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match=r"batched.csv: mag: no reading in the file \(its cells all empty\), "
                                         r"left out; its sensors were read on their own clocks"):
        rec = read_csv(tmp_path / "batched.csv")
    assert rec.channels == CH6 and len(rec) == 399  # the first accelerometer reading precedes the gyroscope's
    np.testing.assert_allclose(rec.gyro[:, 0], 2 * rec.timestamps, atol=1e-9)
    assert rec.provenance["csv_clocks"]["unread"] == ["mag"]


def test_dataset_info_reads_a_csv_of_sensors_on_their_own_clocks_and_says_so_once(tmp_path, capsys):
    """The command line: the note once (the file is read twice, a scan then the load), exit 0."""
    from imuforge.cli import main

    acc_t, gyro_t = np.arange(0.0, 5.0, 0.01), np.arange(0.004, 5.0, 0.0125)
    _merged_log(tmp_path / "log.csv", acc_t, gyro_t, lambda t: np.sin(t))
    assert main(["dataset", "info", str(tmp_path / "log.csv")]) == 0
    err = capsys.readouterr().err
    said = "imuforge dataset info: warning: log.csv: its sensors were read on their own clocks"
    assert err.count(said) == 1


def test_a_label_to_the_last_samples_time_leaves_nothing_unlabelled(tmp_path):
    """A motion's label runs to its last frame's time, a duration one period past it: six 5 s recordings read
    "(unlabelled) 0.1 s" in dataset info. A stretch no label covers still counts, to the sample."""
    ds = Dataset.create(tmp_path / "d")
    t = np.arange(250) / 50.0
    acc = np.tile([0.0, 0.0, 9.81], (250, 1))
    for i in range(6):
        ds.add(Recording(t, acc, ("acc_x", "acc_y", "acc_z"), 50.0, labels=[(0.0, float(t[-1]), "walking")]),
               name=f"r{i}")
    assert ds.summary()["unlabelled_s"] == 0.0 and ds.total_duration_s == pytest.approx(30.0)
    ds.add(Recording(t, acc, ("acc_x", "acc_y", "acc_z"), 50.0, labels=[(0.0, 3.0, "walking")]), name="part")
    assert ds.summary()["unlabelled_s"] == pytest.approx(2.0)  # 3.0 … 4.98 s and the last sample's period


def test_recording_of_text_or_saved_under_another_name_is_refused_naming_what_is_allowed(tmp_path):
    with pytest.raises(ValidationError, match=r"timestamps and data must be numbers .*\(allowed: numbers"):
        Recording([0, 1, 2], [["a", "b", "c"]] * 3, ["acc_x", "acc_y", "acc_z"], 100.0)
    with pytest.raises(ValidationError, match=r"walk.txt: a recording file name ends in \.imu\.parquet"):
        make_recording().save(tmp_path / "walk.txt")
    assert not (tmp_path / "walk.txt").exists()


def test_a_wrong_unit_recording_given_alone_is_named():
    """One short file in the wrong unit, given alone: the pooled figures refused it without its name (a fresh
    user's train --real run); with others it was named. Named either way now."""
    from tests.synthetic_har import make_recording

    from imuforge.errors import ValidationError
    from imuforge.recording import SiFigures

    rec = make_recording("s", seconds_per_label=2.0, labels=("standing",))
    acc = [c for c in rec.channels if c.startswith("acc")]
    data = rec.data.copy()
    idx = [rec.channels.index(c) for c in acc]
    data[:, idx] *= 9.80665  # m/s² read as g
    bad = rec.replace(data=data)
    figures = SiFigures()
    figures.add(bad, name="csvbad/log.csv")
    with pytest.raises(ValidationError) as e:
        figures.check("training data")
    assert e.value.what.startswith("the training data csvbad/log.csv's acceleration reads")


def test_a_recording_whose_gravity_was_removed_is_not_read_as_in_g():
    """Synthetic people calibrated to a gravity-free capture (BasicMotions) hold linear acceleration; one that
    stood with a mean of ≈ 1 m/s² was refused as 'gravity in g' (the sim-to-real benchmark stopped on it)."""
    from tests.synthetic_har import make_recording

    from imuforge.errors import ValidationError
    from imuforge.recording import SiFigures

    rec = make_recording("s", seconds_per_label=30.0, labels=("standing",))
    idx = [rec.channels.index(c) for c in ("acc_x", "acc_y", "acc_z")]
    data = rec.data.copy()
    data[:, idx] = np.array([0.6, 0.5, 0.55]) + 0.01 * np.random.default_rng(0).normal(size=(len(rec), 3))
    for removed, refused in ((False, True), (True, False)):
        prov = {"gravity_removed": {"method": "test"}} if removed else {}
        figures = SiFigures()
        figures.add(rec.replace(data=data, provenance=prov), name="r0058")
        if refused:  # the same figures without the flag: read as gravity in g (the check still works)
            with pytest.raises(ValidationError, match="gravity in g"):
                figures.check("data")
        else:
            figures.check("data")


def test_nan_in_a_recordings_samples_is_named_by_its_time_and_channel():
    """eval, export and hil refused such data naming 'first at index (300, 4)': a row and column of an array
    the user never sees. The recording says the time and the channel."""
    t = np.arange(100) / 50.0
    data = np.zeros((100, 3))
    data[:, 2] = 9.81
    data[61, 1] = np.nan
    data[70, 0] = np.inf
    with pytest.raises(ValidationError, match=r"data holds 2 non-finite value\(s\) \(NaN or inf\); first at "
                                              r"t = 1\.22 s in acc_y"):
        Recording(t, data, ("acc_x", "acc_y", "acc_z"), 50.0)
