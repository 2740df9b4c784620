"""The sim-to-real benchmark's device variants (``--accel-only``, ``--rate``): a set as an accelerometer-only
or slower device would have recorded it, filed under its own name and shown beside the set as recorded,
never among the targets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_sim2real as S  # noqa: E402
import realdata  # noqa: E402

from imuforge.recording import Recording  # noqa: E402

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def _set(rate_hz: float = 100.0, seconds: float = 20.0) -> realdata.RealSet:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    data = np.column_stack([np.sin(2 * np.pi * 1.0 * t), np.cos(2 * np.pi * 1.0 * t), 9.81 + 0 * t,
                            0.1 * t, 0.2 + 0 * t, -0.3 + 0 * t])
    rec = Recording(t, data, CHANNELS, rate_hz, labels=[(0.0, seconds, "walking")], subject="p1")
    return realdata.RealSet("toy", [rec], "wrist_left", "smartwatch-wrist", rate_hz, True, "Toy.")


def test_an_accelerometer_only_variant_keeps_the_accelerometer_as_recorded():
    rs, watch = _set(), S.PROTOCOLS["crowdsignals-watch"]
    got, proto = S.Variant(accel_only=True).apply(rs, watch)
    (rec,) = got.recordings
    assert rec.channels == CHANNELS[:3] and rec.rate_hz == 100.0 and proto == watch
    np.testing.assert_array_equal(rec.data, rs.recordings[0].data[:, :3])
    assert got.rate_hz == 100.0 and got.notes == "Toy. Variant accel-only: gyroscope dropped."


def test_a_slower_variant_resamples_the_recordings_and_the_models_windows():
    rs, watch = _set(), S.PROTOCOLS["crowdsignals-watch"]  # windows at 50 Hz
    got, proto = S.Variant(accel_only=True, rate_hz=20.0).apply(rs, watch)
    (rec,) = got.recordings
    assert rec.rate_hz == 20.0 and rec.channels == CHANNELS[:3] and proto.rate_hz == 20.0
    assert abs(len(rec) - 400) <= 1  # 20 s at 20 Hz
    assert got.notes.endswith("gyroscope dropped, resampled to 20 Hz.")
    # the 1 Hz sine passes the anti-aliasing filter: the same wave at the new instants (edges aside)
    mid = slice(40, -40)
    np.testing.assert_allclose(rec.data[mid, 0], np.sin(2 * np.pi * rec.timestamps[mid]), atol=0.02)


def test_a_rate_the_model_does_not_see_below_changes_nothing():
    rs, watch = _set(), S.PROTOCOLS["crowdsignals-watch"]  # data at 100 Hz, windows at 50 Hz
    for rate in (400.0, 75.0):  # above the data; between the windows' rate and the data's
        v = S.Variant(rate_hz=rate)
        assert not v.changes(rs, watch)
        got, proto = v.apply(rs, watch)
        assert got.recordings[0] is rs.recordings[0] and proto == watch and "resampled" not in got.notes
    assert S.Variant(rate_hz=40.0).changes(rs, watch)
    assert S.Variant(accel_only=True, rate_hz=400.0).changes(rs, watch)


def test_a_network_variant_trains_another_model_on_the_set_as_recorded():
    rs, watch = _set(), S.PROTOCOLS["crowdsignals-watch"]
    v = S.Variant(model="ds_cnn")
    assert v and v.changes(rs, watch)
    got, proto = v.apply(rs, watch)
    assert got.recordings[0] is rs.recordings[0] and proto == S.replace(watch, model="ds_cnn")
    assert got.notes == "Toy. Variant ds_cnn: every row trains ds_cnn."
    both, proto = S.Variant(True, 20.0, "ds_cnn").apply(rs, watch)
    assert proto.model == "ds_cnn" and proto.rate_hz == 20.0 and both.recordings[0].channels == CHANNELS[:3]


def test_variant_names_and_refusals(monkeypatch, capsys):
    assert S.result_name("crowdsignals-phone", S.Variant(True, 20.0)) == "crowdsignals-phone+accel-only@20Hz"
    assert S.result_name("x", S.Variant(rate_hz=12.5)) == "x+12.5Hz"
    assert S.result_name("x", S.Variant()) == "x" and not S.Variant()
    with pytest.raises(ValueError, match="rate"):
        S.Variant(rate_hz=0.0)
    assert S.result_name("x", S.Variant(model="ds_cnn")) == "x+ds_cnn"
    assert S.result_name("x", S.Variant(True, 20.0, "res_cnn")) == "x+accel-only@20Hz@res_cnn"
    with pytest.raises(ValueError, match="tiny_cnn, ds_cnn, res_cnn"):
        S.Variant(model="lstm")
    for argv, said in ((["--rate", "nan", "--sets", "x"], "rate must be a number of Hz above 0"),
                       (["--render", "--accel-only"], "not of --realism or --render"),
                       (["--realism", "--model", "ds_cnn"], "not of --realism or --render"),
                       (["--model", "tiny_cnn", "--sets", "x"], "the protocol's own network")):
        monkeypatch.setattr(sys, "argv", ["bench_sim2real.py", *argv])
        with pytest.raises(SystemExit) as exit_:
            S.main()
        assert exit_.value.code == 2 and said in capsys.readouterr().err


def _run(name: str, variant: str | None, b_val: float) -> dict:
    item = {"macro_f1": b_val, "recall": {}, "confusion": [[1, 0], [0, 1]]}
    d = {"macro_f1": 0.6, "recall": {}, "confusion": [[1, 0], [0, 1]]}
    return {"set": name, **({"variant": variant} if variant else {}), "people": ["p1", "p2"],
            "classes": ["a", "b"], "rows": {"b_val": [item], "d": [d]}, "command": f"run {variant}",
            "machine": "m", "profile": "smartwatch-wrist", "placement": "wrist_left",
            "calibration_persons": ["p1"], "seeds": 1, "notes_data": "Toy.", "notes": []}


def test_variants_are_shown_after_their_set_and_stay_out_of_the_targets(tmp_path, monkeypatch):
    import _targets

    monkeypatch.setattr(S, "RESULTS", tmp_path)
    recorded, variant = _run("toy", None, 0.90), _run("toy", "accel-only@20Hz", 0.95)
    lines: list[str] = []
    S.render_variants(lines, [variant], [recorded])
    rows = [ln for ln in lines if ln.startswith("| toy |")]
    assert rows[0].startswith("| toy | as recorded | ") and "0.900 ± 0.000" in rows[0]
    assert rows[1].startswith("| toy | accel-only@20Hz | ") and "0.950 ± 0.000" in rows[1]
    assert "- toy, accel-only@20Hz: `.venv/bin/python run accel-only@20Hz`" in lines
    skipped = {"set": "toy", "variant": "20Hz", "skipped": "leaves the set as recorded", "people": [],
               "classes": []}
    lines = []
    S.render_variants(lines, [variant, skipped], [recorded])
    rows = [ln for ln in lines if ln.startswith("| toy |")]
    assert [r.split(" | ")[1] for r in rows] == ["as recorded", "accel-only@20Hz", "20Hz"]  # the set's once
    assert rows[2].startswith("| toy | 20Hz | 0 | —")
    lines = []
    S.render_variants(lines, [], [recorded])
    assert lines == []

    written = {}
    monkeypatch.setattr(_targets, "write_targets", lambda area, rows, command: written.update(rows=rows))
    monkeypatch.setattr(S, "realism_target_rows", lambda: [])
    monkeypatch.setattr(S, "plot", lambda runs: written.update(plotted=[r.get("variant") for r in runs]))
    monkeypatch.setattr(S, "HERE", tmp_path)
    (tmp_path / "results").mkdir()
    for name, res in (("toy", recorded), ("toy+accel-only@20Hz", variant), ("toy+20Hz", skipped)):
        (tmp_path / f"{name}.json").write_text(json.dumps(res))
    S.render()
    (b,) = written["rows"]  # no (e) row in these runs: the (b) target's alone
    assert "toy 0.90" in b.measured and "0.95" not in b.measured and written["plotted"] == [None]
    text = (tmp_path / "results" / "sim2real.md").read_text()
    assert "## Variants" in text and "| toy | accel-only@20Hz |" in text
    assert "## toy+" not in text and text.count("## toy") == 1  # no section of its own among the sets
    assert text.count("| toy |") == 4  # the main table's line, and the variants' three
