"""imuforge generate: a fresh user's review (session 69) — sides kept, Ray addresses refused before anything
is written, unwritable outputs, progress while planning, the Python API's checks, spec messages."""

from __future__ import annotations

import json
from pathlib import Path


from imuforge.cli import main
from imuforge.synth.corpus import generate_corpus
from imuforge.synth.spec import load_spec

ONE = dict(name="one", seed=0, activities=["walking"], profiles=["nano33-ble-sense-rev2"], people=6,
           seconds=2.0, fps=50.0)


def write_spec(path: Path, **fields) -> Path:
    doc = {**ONE, **fields}
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in doc.items()))
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


# ------------------------------------------------------------------------------------ sides
def test_a_named_placement_keeps_its_side(tmp_path):
    """placements = ["ankle_left"]: every recording at the left ankle (people 1 and 3 had been put on the
    right one, in recordings named ankle_left), as `imuforge motion --placement ankle_left` keeps it."""
    out = tmp_path / "c"
    spec = load_spec(write_spec(tmp_path / "s.toml", placements=["ankle_left"]))
    assert generate_corpus(spec, out).complete
    recs = manifest(out)["recordings"]
    assert [r["placement"] for r in recs] == ["ankle_left"] * 6
    assert all(r["name"].endswith("-ankle_left") for r in recs)


def test_a_default_placement_that_moves_is_named_for_where_it_is_and_said(tmp_path, capsys):
    """A "default" placement follows the wear variation's side (people 7 and 11 of seed 0 wear the watch on
    the right wrist): their recordings are named wrist_right (they had read wrist_left), and the run says
    how many moved and how to keep them."""
    path = write_spec(tmp_path / "s.toml", people=12)
    out = tmp_path / "c"
    assert main(["generate", str(path), "--out", str(out)]) == 0
    recs = manifest(out)["recordings"]
    moved = [r for r in recs if r["placement"] != "wrist_left"]
    assert [r["name"] for r in moved] == [f"walking-s00-p{p:03d}-nano33-ble-sense-rev2-wrist_right"
                                          for p in (7, 11)]
    assert all(r["name"].endswith("-" + r["placement"]) for r in recs)
    err = capsys.readouterr().err
    assert "note: 2 of the 12 people wear nano33-ble-sense-rev2 at wrist_right, not wrist_left" in err
    assert "name wrist_left in placements keeps it there" in err


def test_a_default_placement_beside_its_other_side_keeps_its_side(tmp_path):
    """placements = ["default", "wrist_right"]: both wrists are recorded already; the default one moved to
    the right would be a second recording of one place under one name."""
    spec = load_spec(write_spec(tmp_path / "s.toml", people=12, placements=["default", "wrist_right"]))
    out = tmp_path / "c"
    assert generate_corpus(spec, out).complete
    recs = manifest(out)["recordings"]
    assert [r["placement"] for r in recs] == ["wrist_left", "wrist_right"] * 12
    assert len({r["name"] for r in recs}) == 24
