"""imuforge generate: spec checks, seeds from the cell, shards readable everywhere, resume, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.recording import read_dataset, read_shard
from imuforge.synth import Profiles, Take, activity_spec, generate_recordings, subject_id
from imuforge.synth.corpus import CorpusFolder, generate_corpus, make_plan, make_shard
from imuforge.synth.spec import CorpusSpec, load_spec

TINY = dict(name="tiny", seed=3, activities=["walking", "standing"], profiles=["nano33-ble-sense-rev2"],
            placements=["default", "waist_front"], people=2, seconds=2.0, fps=50.0, shard_size=3)


def write_spec(path: Path, **fields) -> Path:
    doc = {**TINY, **fields}
    lines = [f"{k} = {json.dumps(v)}" for k, v in doc.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def spec(tmp_path) -> CorpusSpec:
    return load_spec(write_spec(tmp_path / "tiny.toml"))


def shard_bytes_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("shard-*.parquet"))}


# ------------------------------------------------------------------------------------- spec
@pytest.mark.parametrize("field, value, expect", [
    ("activities", ["walking", "flying"], "activities: unknown activity 'flying'"),
    ("profiles", ["no-such-device"], "profiles: unknown profile 'no-such-device'"),
    ("placements", ["elbow"], "placements: unknown placement 'elbow'"),
    ("placements", [], "placements: is empty"),
    ("name", "..", "name: '..' is not a safe name"),
    ("wear_variation", ["rotation", "bogus"], "wear_variation:"),
    ("people", 0, "people: 0 is not an integer in 1 … 100000"),
    ("seconds", "long", "seconds: 'long' is not a number"),
    ("wear_variation", "sideways", "wear_variation:"),
    ("colour", "blue", "unknown field 'colour'"),
])
def test_bad_spec_is_one_line_naming_file_and_field(tmp_path, capsys, field, value, expect):
    path = write_spec(tmp_path / "bad.toml", **{field: value})
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(path) in err and expect in err and "allowed:" in err
    assert not (tmp_path / "out").exists()


def test_wear_variation_is_a_list_or_a_comma_string_alike(tmp_path):
    """docs/CORPUS.md: ``wear_variation`` names the sources as a comma list; a TOML list of them is the
    same."""
    a = load_spec(write_spec(tmp_path / "a.toml", wear_variation="rotation,offset"))
    b = load_spec(write_spec(tmp_path / "b.toml", wear_variation=["rotation", "offset"]))
    assert a.wear_variation == b.wear_variation == "rotation,offset"


def test_default_placement_listed_twice_is_refused(tmp_path):
    spec = load_spec(write_spec(tmp_path / "s.toml", placements=["default", "wrist_left"]))
    with pytest.raises(Exception, match="wrist_left is listed twice"):
        make_plan(spec)


# ------------------------------------------------------------------------------------ seeds
def test_a_take_is_the_same_whatever_else_is_made_with_it(spec):
    plan = make_plan(spec)
    take = plan.takes[4]
    alone = next(generate_recordings(plan.sources, [take], seed=spec.seed, fps=spec.fps,
                                     wear=spec.wear_variation))[2]
    together = {t: r for t, _, r in generate_recordings(plan.sources, reversed(plan.takes), seed=spec.seed,
                                                        fps=spec.fps, wear=spec.wear_variation)}
    assert together[take] == alone
    assert alone.subject == subject_id(take.person, spec.seed)
    other_seed = next(generate_recordings(plan.sources, [take], seed=spec.seed + 1, fps=spec.fps,
                                          wear=spec.wear_variation))[2]
    assert other_seed != alone
    assert other_seed.subject == subject_id(take.person, spec.seed + 1) != alone.subject  # another body


def test_subject_ids_name_the_seed_only_when_it_is_not_zero():
    assert subject_id(7) == subject_id(7, 0) == "synthetic-007"
    assert subject_id(7, 3) == "synthetic-s3-007"
    assert len({subject_id(p, s) for p in range(12) for s in range(12)}) == 144


def test_placements_simulated_together_are_the_ones_simulated_alone():
    """simulate_many with one seed per placement (what generate_recordings does for a take's placements) gives
    each placement's Recording of simulate with its seed, bit for bit; also for a motion without a person,
    whose wear key follows the seed."""
    import numpy as np

    from imuforge.sensors import simulate, simulate_many
    from imuforge.synth import person_motion

    prof = Profiles().get("nano33-ble-sense-rev2")
    motion = person_motion(activity_spec("walking", 2.0), 3, seed=0, fps=50.0)
    anonymous = person_motion(activity_spec("walking", 2.0), 3, seed=0, fps=50.0)
    anonymous.meta.pop("person")
    for m in (motion, anonymous):
        together = simulate_many(m, prof, ["wrist_left", "waist_front"], seed=[11, 12], wear="default")
        alone = [simulate(m, prof, pl, seed=s, wear="default") for pl, s in (("wrist_left", 11), ("waist_front", 12))]
        for a, b in zip(together, alone):
            assert np.array_equal(a.data, b.data) and np.array_equal(a.timestamps, b.timestamps)
            assert a.provenance == b.provenance
    with pytest.raises(Exception, match="3 seeds for 2 placements"):
        simulate_many(motion, prof, ["wrist_left", "waist_front"], seed=[1, 2, 3])


def test_person_is_one_body_in_every_activity():
    sources = [activity_spec("walking", 2.0), activity_spec("standing", 2.0)]
    takes = [Take(0, 1, "nano33-ble-sense-rev2", "default"), Take(1, 1, "nano33-ble-sense-rev2", "default"),
             Take(0, 2, "nano33-ble-sense-rev2", "default")]
    motions = [m for _, m, _ in generate_recordings(sources, takes, seed=0, fps=50.0, profiles=Profiles())]
    assert motions[0].meta["person"] == motions[1].meta["person"]
    assert motions[0].meta["person"] != motions[2].meta["person"]


def test_a_persons_body_is_drawn_once_and_is_the_sampled_one():
    import numpy as np

    from imuforge.motion.body import Person
    from imuforge.synth import _person_body, clear_caches, derive_seed

    clear_caches()
    body = _person_body(5, 7)
    assert body == Person.sample(np.random.default_rng(derive_seed(5, "person", 7)))
    assert _person_body(5, 7) is body and _person_body(5, 8) != body
    clear_caches()
    assert _person_body.cache_info().currsize == 0


def test_a_plan_loads_its_profiles_once_per_process(spec):
    import pickle

    plan = make_plan(spec)
    first = make_shard(plan, 0)
    assert plan.profiles._cache  # filled by the first shard, reused by the next
    assert make_shard(plan, 0).data == first.data == make_shard(make_plan(spec), 0).data
    copy = pickle.loads(pickle.dumps(plan))  # what a worker receives: no profiles of this process
    assert copy == plan and "profiles" not in copy.__dict__


def test_motion_command_uses_the_library_rule(tmp_path):
    out = tmp_path / "m"
    assert main(["motion", "a person walks", "--matcher", "keywords", "--n", "2", "--seconds", "2",
                 "--profile", "nano33-ble-sense-rev2", "--out", str(out)]) == 0
    from imuforge.motion.text import parse_description

    spec = parse_description("a person walks", seconds=2.0, matcher="keywords")
    expected = next(generate_recordings([spec], [Take(0, 1, "nano33-ble-sense-rev2", "default")], seed=0,
                                        wear="default"))[2]
    assert read_dataset(out).read(1) == expected


# ----------------------------------------------------------------------------------- shards
def test_corpus_is_a_dataset_readable_by_pandas_and_imuforge(spec, tmp_path, capsys):
    out = tmp_path / "corpus"
    res = generate_corpus(spec, out)
    assert res.complete and res.recordings == 8 and res.made == 3
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["meta"]["spec"] == spec.to_dict()
    assert [s["recordings"] for s in doc["shards"]] == [3, 3, 2]
    assert not (out / ".progress").exists()
    ds = read_dataset(out)
    assert ds.sharded and len(ds) == 8 and ds.check_files() == []
    plan = make_plan(spec)
    assert [r for _, r in read_shard(out / "shard-00001.parquet")] == [
        r for _, _, r in generate_recordings(plan.sources, plan.shard_takes(1), seed=spec.seed, fps=spec.fps,
                                             wear=spec.wear_variation)]
    assert list(ds.recordings())[4] == ds.read(4)
    df = pd.read_parquet(out / "shard-00000.parquet")
    assert df["recording"].nunique() == 3 and {"time", "acc_x", "gyro_z"} <= set(df.columns)
    assert main(["dataset", "info", str(out)]) == 0
    assert "8 recordings" in capsys.readouterr().out
    from imuforge.calibrate.pipeline import load_recordings

    named = [n for n, _ in load_recordings([out], what="synthetic")]
    assert named == [e["name"] for e in ds.entries]  # calibrate names a shard's recordings by their own names


@pytest.mark.parametrize("profile", ["nano33-ble-sense-rev2", "axivity-ax3"])  # 9 of 16 bits, 3 of 10
def test_the_size_line_estimates_what_generate_writes(tmp_path, capsys, profile):
    """Hours of data exactly; bytes on disk within 20 % of what the shards, manifest and sidecars take, for
    a device of 16-bit words and one of 10 (one figure per value had read the second 30 % high, session 62;
    how still the activities are moves it too: a still window compresses better)."""
    from imuforge.synth.corpus import estimate

    spec = load_spec(write_spec(tmp_path / "s.toml", seconds=20.0, fps=100.0, profiles=[profile]))
    est = estimate(make_plan(spec))
    assert est.recordings == 8 and est.data_hours == pytest.approx(8 * 20.0 / 3600)
    out = tmp_path / "corpus"
    assert main(["generate", str(tmp_path / "s.toml"), "--out", str(out)]) == 0
    written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert 0.8 * written <= est.disk_bytes <= 1.2 * written
    err = capsys.readouterr().err
    assert "2.67 min of data, ≈ " in err and "of CPU time" in err and "warning" not in err  # 8 × 20 s


@pytest.mark.parametrize("shard_size", [3, 1])
def test_the_cpu_estimate_counts_the_motions_a_corpus_makes(tmp_path, monkeypatch, shard_size):
    """Two placements of one person's activity share its motion within a shard (one cost per recording had
    read corpus-small 3× what it took); a shard boundary between them makes it twice: the estimate counts
    what generation does (counted calls)."""
    import imuforge.synth as synth
    from imuforge.synth import corpus as C

    made = []
    real = synth.person_motion
    monkeypatch.setattr(synth, "person_motion", lambda *a, **k: made.append(a[1]) or real(*a, **k))
    spec = load_spec(write_spec(tmp_path / "s.toml", shard_size=shard_size))
    est = C.estimate(make_plan(spec))
    generate_corpus(spec, tmp_path / "c")
    assert est.motions == len(made) == {3: 5, 1: 8}[shard_size]
    per_motion = C.CPU_PER_MOTION_S + TINY["seconds"] * C.CPU_PER_MOTION_DATA_S
    per_recording = C.CPU_PER_RECORDING_S + TINY["seconds"] * C.CPU_PER_DATA_S
    assert est.cpu_hours * 3600 == pytest.approx(len(made) * per_motion + est.recordings * per_recording)


def test_corpus_lengths_read_in_the_unit_that_fits():
    from imuforge.synth.corpus import data_text

    assert [data_text(s) for s in (12.0, 160.0, 4608.0, 3.6e6, 4.5e6)] == [
        "12 s", "2.67 min", "76.8 min", "1,000 h", "1,250 h"]


def test_a_corpus_larger_than_the_free_disk_is_warned_about_and_still_made(spec, tmp_path, capsys,
                                                                          monkeypatch):
    import shutil

    free = shutil.disk_usage(tmp_path)._replace(free=1000)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: free)
    out = tmp_path / "corpus"
    assert main(["generate", str(tmp_path / "tiny.toml"), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: the corpus needs ≈ " in err and f"the disk at {tmp_path} has 1 kB free" in err
    assert read_dataset(out).check_files() == []


def test_ctrl_c_says_how_far_it_got_and_how_to_resume(spec, tmp_path, capsys, monkeypatch):
    """It said only "interrupted" (exit 130)."""
    import imuforge.synth.corpus as corpus

    real = corpus.generate_corpus

    def cut_off_after_one(*args, **kw):
        def stop(result):
            raise KeyboardInterrupt
        return real(*args, **kw, on_shard=stop)

    monkeypatch.setattr(corpus, "generate_corpus", cut_off_after_one)
    out = tmp_path / "corpus"
    assert main(["generate", str(tmp_path / "tiny.toml"), "--out", str(out)]) == 130
    n = make_plan(spec).n_shards
    err = capsys.readouterr().err
    assert f"interrupted with 1 of {n} shard(s) made; run the same command to resume" in err
    monkeypatch.setattr(corpus, "generate_corpus", real)
    assert main(["generate", str(tmp_path / "tiny.toml"), "--out", str(out)]) == 0
    assert "resumed: 1 shard(s) already done" in capsys.readouterr().err


def test_an_out_below_a_file_is_refused_before_anything_is_made(spec, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["generate", str(tmp_path / "tiny.toml"), "--out", str(tmp_path / "afile" / "corpus")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{tmp_path / 'afile'} is a file, not a folder to write --out" in err[0]


def test_a_transition_is_estimated_at_its_natural_length_not_the_specs_seconds(tmp_path):
    from imuforge.synth.corpus import TRANSITION_ESTIMATE_S, estimate

    spec = load_spec(write_spec(tmp_path / "t.toml", activities=["walking", "sit_to_stand"], seconds=30.0))
    est = estimate(make_plan(spec))
    assert est.data_hours == pytest.approx(4 * (30.0 + TRANSITION_ESTIMATE_S) / 3600)


def test_a_full_disk_mid_run_is_one_line_and_the_same_command_resumes(spec, tmp_path, capsys, monkeypatch):
    """The disk fills while the second shard is written: one line naming the file and the cure (exit 2), the
    first shard kept, no half-written file; once there is room the same command makes the corpus a clean
    run makes."""
    import errno
    import os

    import imuforge.synth.corpus as C

    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 3:  # shard 0 and its progress record went down; shard 1's bytes do not
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(C.os, "fsync", fsync)
    out = tmp_path / "corpus"
    argv = ["generate", str(tmp_path / "tiny.toml"), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"imuforge generate: error: cannot write {out / 'shard-00001.parquet'}: No "
                              "space left on device; the 1 shard(s) written before it are kept")
    assert "Traceback" not in "\n".join(err)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["shard-00000.parquet"]
    assert not list(out.rglob("*.tmp"))
    monkeypatch.setattr(C.os, "fsync", real_fsync)
    assert main(argv) == 0
    clean = tmp_path / "clean"
    assert main(["generate", str(tmp_path / "tiny.toml"), "--out", str(clean)]) == 0
    assert shard_bytes_of(out) == shard_bytes_of(clean)
    assert (out / "manifest.json").read_bytes() == (clean / "manifest.json").read_bytes()


def test_a_damaged_shard_is_found_and_remade(spec, tmp_path):
    out = tmp_path / "corpus"
    generate_corpus(spec, out)
    good = (out / "manifest.json").read_bytes()
    shard = out / "shard-00001.parquet"
    shard.write_bytes(shard.read_bytes()[:-100])
    assert read_dataset(out).check_files()  # the footer is gone
    res = generate_corpus(spec, out)
    assert (res.made, res.skipped) == (1, 2)
    assert (out / "manifest.json").read_bytes() == good


def test_dataset_info_names_a_damaged_shard_once(spec, tmp_path, capsys):
    """It named the shard once per recording in it ('shard-00001.parquet (…); shard-00001.parquet (…)')."""
    out = tmp_path / "corpus"
    generate_corpus(spec, out)
    shard = out / "shard-00001.parquet"
    shard.write_bytes(shard.read_bytes()[:-100])
    assert [(p.file, p.recordings) for p in read_dataset(out).check_files()] == [("shard-00001.parquet", 3)]
    assert main(["dataset", "info", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.count("shard-00001.parquet") == 1, err
    assert "3 of 8 recordings listed in the manifest are missing or unreadable" in err
    assert "; 3 recordings)" in err


def test_a_shard_damaged_inside_is_refused_by_every_reader(spec, tmp_path, capsys):
    """Eight bytes overwritten in a shard's data pages (its footer intact, so it still opens): values such
    as 3e302 would have trained to a NaN model. The manifest's sha256 catches it — in ``dataset info``, in
    reading the Dataset, in ``train`` (which then writes no run) — naming the shard and the cure."""
    out = tmp_path / "corpus"
    generate_corpus(spec, out)
    shard = out / "shard-00001.parquet"
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 3:len(raw) // 3 + 8] = b"ABCDEFGH"
    shard.write_bytes(bytes(raw))
    problems = read_dataset(out).check_files()
    assert [p.file for p in problems] == ["shard-00001.parquet"]
    assert "differs from the manifest's" in str(problems[0])
    named = r"shard-00001.parquet: sha256 \w+… differs from the manifest's \w+…: the shard changed or was "
    with pytest.raises(ValidationError, match=named + r"damaged.*run the same generate"):
        list(read_dataset(out).recordings())
    assert main(["train", "--data", str(out), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shard-00001.parquet" in err[0], err
    assert not (tmp_path / "run").exists()
    res = generate_corpus(spec, out)  # the cure the message names
    assert (res.made, res.skipped) == (1, 2) and not read_dataset(out).check_files()


def test_a_damaged_page_names_its_shard(spec, tmp_path):
    """A shard read on its own (no manifest to check it against) whose page header is garbage: pyarrow's
    multi-line thrift error becomes one line naming the shard and the recording."""
    import pyarrow.parquet as pq

    out = tmp_path / "corpus"
    generate_corpus(spec, out)
    shard = out / "shard-00000.parquet"
    at = pq.ParquetFile(shard).metadata.row_group(1).column(1).data_page_offset
    raw = bytearray(shard.read_bytes())
    raw[at:at + 16] = bytes(range(240, 256))
    shard.write_bytes(bytes(raw))
    named = r"shard-00000.parquet: recording 1 is unreadable \(.*\): the shard is damaged"
    with pytest.raises(ValidationError, match=named) as exc:
        list(read_shard(shard))
    assert "\n" not in str(exc.value)


def test_another_spec_in_the_same_folder_is_refused(spec, tmp_path):
    out = tmp_path / "corpus"
    generate_corpus(spec, out)
    other = load_spec(write_spec(tmp_path / "other.toml", seed=4))
    with pytest.raises(FileExistsError, match=r"another spec \(spec field\(s\) seed differ\)"):
        generate_corpus(other, out)


def test_a_corpus_begun_by_other_generator_code_is_not_resumed(spec, tmp_path, monkeypatch):
    """A run cut off, then started again after the motion or sensor code changed (the version string the
    same): resuming would mix shards of two generators, so it is refused, naming both; a worker running
    other code than the plan's refuses to make a shard."""
    import imuforge.synth.fingerprint as fingerprint
    from imuforge.synth.fingerprint import generator_fingerprint

    out = tmp_path / "corpus"

    def cut_off(result):
        raise KeyboardInterrupt  # the user's Ctrl-C after the first shard

    with pytest.raises(KeyboardInterrupt):
        generate_corpus(spec, out, on_shard=cut_off)
    assert (out / ".progress" / "spec.json").is_file() and not (out / "manifest.json").exists()
    was = generator_fingerprint()
    changed = dict(was, code_sha256="0" * 16)
    monkeypatch.setattr(fingerprint, "generator_fingerprint", lambda: changed)
    with pytest.raises(FileExistsError, match=f"made by other generator code: .*code {was['code_sha256']}.*"
                                              "this run .*code 0{16}"):
        generate_corpus(spec, out)
    assert not (out / "manifest.json").exists()
    with pytest.raises(ValidationError, match="same imuforge install and profiles on every worker"):
        make_shard(replace(make_plan(spec), generator_code=dict(make_plan(spec).generator_code,
                                                                code_sha256="1" * 16)), 0)
    monkeypatch.setattr(fingerprint, "generator_fingerprint", lambda: was)  # the first run's code: resumed
    res = generate_corpus(spec, out)
    meta = json.loads((out / "manifest.json").read_text())["meta"]
    assert res.skipped == 1 and meta["generator"] == "imuforge generate"
    code = meta["generator_code"]
    assert {k: code[k] for k in was} == was and len(code["profiles_sha256"]) == 16


def test_a_profile_edited_between_runs_is_noticed(spec, tmp_path, monkeypatch):
    """A profile read from $IMUFORGE_PROFILES is not part of the package's code: its content is in the
    plan."""
    from imuforge.sensors.profiles import load_profile

    name = spec.profiles[0]
    mine = tmp_path / "profiles"
    mine.mkdir()
    text = load_profile(name).path.read_text()
    (mine / f"{name}.toml").write_text(text)
    monkeypatch.setenv("IMUFORGE_PROFILES", str(mine))  # searched before the built-ins
    same = make_plan(spec).generator_code
    (mine / f"{name}.toml").write_text(text.replace("jitter_us = 290", "jitter_us = 300"))
    edited = make_plan(spec).generator_code
    assert "jitter_us = 290" in text and same != edited
    assert {k: v for k, v in same.items() if k != "profiles_sha256"} == \
        {k: v for k, v in edited.items() if k != "profiles_sha256"}
    # a resume after the edit names it (it said "made by other generator code", the code digests equal)
    out = tmp_path / "corpus"
    (mine / f"{name}.toml").write_text(text)
    generate_corpus(spec, out)
    (mine / f"{name}.toml").write_text(text.replace("jitter_us = 290", "jitter_us = 300"))
    was, now = same["profiles_sha256"], edited["profiles_sha256"]
    with pytest.raises(FileExistsError, match=f"holds a corpus whose device profiles were edited since: "
                                              f"profiles {was}, now {now}; "):
        generate_corpus(spec, out)


def test_a_corpus_finished_before_the_code_was_recorded_is_refused_in_one_line(spec, tmp_path, capsys):
    """A manifest written before session 42 has no generator_code: one line naming that, not a traceback."""
    out = tmp_path / "corpus"
    generate_corpus(spec, out)
    doc = json.loads((out / "manifest.json").read_text())
    del doc["meta"]["generator_code"]
    (out / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(FileExistsError, match="an imuforge that did not record its code"):
        generate_corpus(spec, out)


def test_overwrite_replaces_only_an_earlier_corpus_never_other_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "thesis.tex").write_text("mine")
    path = write_spec(tmp_path / "tiny.toml")
    for out in (".", "d"):  # the current folder, and a folder of the user's
        Path(out).mkdir(exist_ok=True)
        (Path(out) / "notes.txt").write_text("mine")
        assert main(["generate", str(path), "--out", out]) == 2  # --overwrite not offered: it would not help
        err = capsys.readouterr().err.strip()
        assert err.endswith("holds other files; choose another --out (allowed: a new or empty folder)") and (
            "--overwrite" not in err), err
        assert main(["generate", str(path), "--out", out, "--overwrite"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "holds other files than a corpus (notes.txt" in err, err
        assert (Path(out) / "notes.txt").read_text() == "mine"
        assert (tmp_path / "thesis.tex").read_text() == "mine"
    assert sorted(p.name for p in Path("d").iterdir()) == ["notes.txt"]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["generate", str(path), "--out", "."]) == 0
    other = write_spec(tmp_path / "other.toml", seed=4)
    assert main(["generate", str(other), "--out", ".", "--overwrite"]) == 0  # its own corpus, in the cwd
    assert Path.cwd() == work and json.loads(Path("manifest.json").read_text())["meta"]["spec"]["seed"] == 4
    fresh = tmp_path / "fresh"
    generate_corpus(load_spec(other), fresh)
    assert shard_bytes_of(work) == shard_bytes_of(fresh)


def test_failed_shards_are_retried_reported_and_made_on_the_next_run(spec, tmp_path, monkeypatch, capsys):
    import imuforge.synth.engine as engine

    calls = {"n": 0}

    def flaky(plan, index):
        if index == 1:
            calls["n"] += 1
            raise RuntimeError("worker lost")
        return make_shard(plan, index)

    monkeypatch.setattr(engine, "make_shard", flaky)
    out = tmp_path / "corpus"
    path = write_spec(tmp_path / "tiny.toml")
    assert main(["generate", str(path), "--out", str(out), "--retries", "1"]) == 1
    assert calls["n"] == 2
    err = capsys.readouterr().err
    assert "shard 1 failed after 1 retries: RuntimeError: worker lost" in err
    assert not (out / "manifest.json").exists() and (out / "shard-00002.parquet").exists()
    monkeypatch.setattr(engine, "make_shard", make_shard)
    assert main(["generate", str(path), "--out", str(out)]) == 0
    fresh = tmp_path / "fresh"
    generate_corpus(spec, fresh)
    assert (out / "manifest.json").read_bytes() == (fresh / "manifest.json").read_bytes()


def test_a_shard_refused_as_bad_input_is_not_retried_and_all_refused_alike_is_one_line(spec, tmp_path,
                                                                                       monkeypatch, capsys):
    """A ValidationError is the same on every try: not retried. One shard's (one person's draw) is reported
    with it while the others are made (exit 1); every shard refused for one reason is bad input: one line,
    exit 2, instead of a report per shard and 'run the same command again'."""
    import imuforge.synth.engine as engine

    calls = {"n": 0}

    def refused(only):
        def make(plan, index):
            if only is None or index == only:
                calls["n"] += 1
                raise ValidationError("a figure the device cannot have", allowed="one it can")
            return make_shard(plan, index)
        return make

    path = write_spec(tmp_path / "tiny.toml")
    monkeypatch.setattr(engine, "make_shard", refused(1))
    out = tmp_path / "corpus"
    assert main(["generate", str(path), "--out", str(out), "--retries", "2"]) == 1
    err = capsys.readouterr().err
    assert calls["n"] == 1
    assert "shard 1 was refused: a figure the device cannot have (allowed: one it can)" in err
    assert (out / "shard-00000.parquet").exists() and (out / "shard-00002.parquet").exists()
    monkeypatch.setattr(engine, "make_shard", refused(None))
    assert main(["generate", str(path), "--out", str(tmp_path / "all"), "--retries", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "imuforge generate: error: a figure the device cannot have (allowed: one it can)", err
    assert not any("was refused" in line for line in err)


def test_workers_without_ray_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    path = write_spec(tmp_path / "tiny.toml")
    assert main(["generate", str(path), "--out", str(tmp_path / "o"), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "'scale' extra" in err and "imuforge[scale]" in err
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})  # more workers than CPUs: said
    assert main(["generate", str(path), "--out", str(tmp_path / "o"), "--workers", "6"]) == 2
    assert "note: --workers 6 on a machine with 2 CPUs" in capsys.readouterr().err


def test_a_ray_address_nothing_answers_at_is_one_line_at_once(tmp_path, capsys):
    """A cluster address with no Ray behind it: refused in one line (ray.init retried for many minutes,
    printing Ray's own warnings), before any line on the corpus and with nothing written."""
    pytest.importorskip("ray")
    import socket

    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        path = write_spec(tmp_path / "tiny.toml")
        rc = main(["generate", str(path), "--out", str(tmp_path / "o"), "--ray-address", f"127.0.0.1:{port}"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "cannot reach the Ray cluster" in err, err
    assert "nothing listens there (connection refused)" in err  # said as it is (it read "within 5 s")
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- kill, resume
def test_kill_9_mid_run_then_resume_gives_identical_output(tmp_path):
    spec_path = write_spec(tmp_path / "k.toml", people=4, seconds=3.0, shard_size=2)  # 16 recordings, 8 shards
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "imuforge.cli", "generate", str(spec_path), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / ".progress").glob("shard-*.json"))) < 2:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    done = len(list((out / ".progress").glob("shard-*.json")))
    assert 2 <= done < 8, "the run was not caught mid-way"
    assert not (out / "manifest.json").exists()
    spec = load_spec(spec_path)
    res = generate_corpus(spec, out)
    assert res.skipped == done and res.made == 8 - done
    fresh = tmp_path / "fresh"
    generate_corpus(spec, fresh)
    assert (out / "manifest.json").read_bytes() == (fresh / "manifest.json").read_bytes()
    assert shard_bytes_of(out) == shard_bytes_of(fresh)
    assert not list(out.glob("*.tmp"))


# --------------------------------------------------------------------------------------- Ray
def test_two_ray_workers_write_the_same_bytes_as_one_process(spec, tmp_path):
    pytest.importorskip("ray")
    here, ray_out = tmp_path / "here", tmp_path / "ray"
    generate_corpus(spec, here)
    res = generate_corpus(spec, ray_out, workers=2)
    assert res.complete and res.made == 3
    assert (here / "manifest.json").read_bytes() == (ray_out / "manifest.json").read_bytes()
    assert shard_bytes_of(here) == shard_bytes_of(ray_out)


def test_sigterm_to_a_ray_run_keeps_the_shards_and_says_so(tmp_path):
    """ray.init puts its own SIGTERM handler in: `generate --workers 2` stopped by `timeout` or a service
    manager exited 15 without a word (session 58's review). Now as without Ray: exit 143, one line naming
    the shards made, which a rerun resumes from."""
    pytest.importorskip("ray")
    import signal
    import time

    spec_path = write_spec(tmp_path / "k.toml", people=4, seconds=3.0, shard_size=2)  # 8 shards
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "imuforge", "generate", str(spec_path), "--out", str(out),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None and not list(out.glob(".progress/shard-*")):
        time.sleep(0.05)
    if proc.poll() is not None:  # a fast machine made all 8 shards first: nothing left to stop
        pytest.skip("the run ended before it could be stopped")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    last = err.strip().splitlines()[-1]
    assert proc.returncode == 143, err
    assert last.startswith("imuforge generate: terminated (SIGTERM) with ") and "to resume" in last, last
    done = len(list(out.glob(".progress/shard-*.json")))
    res = generate_corpus(load_spec(spec_path), out)
    assert res.complete and res.skipped == done


def test_single_threaded_limits_the_blas_pools():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from imuforge.synth import single_threaded

    with single_threaded():  # loads scipy's BLAS too, as in make_shard
        pass
    with threadpoolctl.threadpool_limits(2, user_api="blas"):  # whatever OMP_NUM_THREADS the tests run with
        outside = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        with single_threaded():
            inside = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert outside and all(n == 2 for n in outside)
    assert len(inside) == len(outside) and all(n == 1 for n in inside)


def test_recordings_are_the_same_with_cold_and_warm_caches():
    from imuforge.sensors import wear
    from imuforge.synth import clear_caches

    src = [activity_spec("walking", 3.0)]
    takes = [Take(0, 1, "nano33-ble-sense-rev2", "default"), Take(0, 1, "nano33-ble-sense-rev2", "waist_front")]
    first = [r for _, _, r in generate_recordings(src, takes, seed=3, wear="default")]
    warm = [r for _, _, r in generate_recordings(src, takes, seed=3, wear="default")]
    assert wear._WEAR_CACHE
    clear_caches()
    assert not wear._WEAR_CACHE
    cold = [r for _, _, r in generate_recordings(src, takes, seed=3, wear="default")]
    assert first == warm == cold


def test_keep_freed_memory_sets_the_glibc_thresholds_once(monkeypatch):
    import ctypes
    import os

    from imuforge import synth

    if not sys.platform.startswith("linux") or any(k.startswith("MALLOC_") for k in os.environ):
        pytest.skip("glibc thresholds are only set on Linux without MALLOC_* variables")
    try:
        has_mallopt = hasattr(ctypes.CDLL("libc.so.6"), "mallopt")
    except OSError:
        has_mallopt = False
    if not has_mallopt:
        pytest.skip("not glibc")
    monkeypatch.setattr(synth, "_HEAP_KEPT", False)
    assert synth.keep_freed_memory() and synth._HEAP_KEPT
    assert synth.keep_freed_memory()  # idempotent
    monkeypatch.setattr(synth, "_HEAP_KEPT", False)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")  # the user's own malloc settings win
    assert not synth.keep_freed_memory()


# ------------------------------------------------------------------------------ key-framed activities
ARM_RAISE = """label = "arm_raise"
hand = "right"
repetition_s = [1.5, 2.5]

[[keyframes]]
at = 0.0
sh_abd = 10

[[keyframes]]
at = 0.5
sh_abd = 80
"""


def test_a_spec_takes_key_framed_activities_from_its_folder(tmp_path):
    (tmp_path / "moves").mkdir()
    (tmp_path / "moves" / "arm_raise.toml").write_text(ARM_RAISE)
    spec = load_spec(write_spec(tmp_path / "s.toml", activities=["standing"],
                                keyframed=["moves/arm_raise.toml"]))
    assert spec.recordings == 2 * 2 * 2
    out = tmp_path / "corpus"
    assert generate_corpus(spec, out).complete
    ds = read_dataset(out)
    assert sorted({r.labels[0].label for r in ds.recordings()}) == ["arm_raise", "standing"]
    meta = json.loads((out / "manifest.json").read_text())["meta"]
    assert meta["spec"]["keyframed"] == ["moves/arm_raise.toml"]
    assert meta["keyframed"][0]["label"] == "arm_raise"
    # the same spec again: the finished corpus is verified, nothing is made
    again = generate_corpus(load_spec(tmp_path / "s.toml"), out)
    assert again.complete and again.made == 0 and again.skipped == make_plan(spec).n_shards
    # an edited file is another corpus: resuming into the folder is refused, naming the file
    (tmp_path / "moves" / "arm_raise.toml").write_text(ARM_RAISE.replace("sh_abd = 80", "sh_abd = 70"))
    with pytest.raises(FileExistsError, match=r"\(key-framed file\(s\) moves/arm_raise.toml edited since\)"):
        generate_corpus(load_spec(tmp_path / "s.toml"), out)


def test_generate_notes_devices_on_the_arm_the_key_frames_keep_still(tmp_path, capsys):
    (tmp_path / "arm_raise.toml").write_text(ARM_RAISE)  # hand = "right"
    path = write_spec(tmp_path / "s.toml", activities=["standing"], keyframed=["arm_raise.toml"], people=1,
                      seconds=2.0, profiles=["smartwatch-wrist"], placements=["wrist_left", "wrist_right"])
    assert make_plan(load_spec(path)).still_arm_cells() == [("arm_raise", "smartwatch-wrist", "wrist_left")]
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "note: smartwatch-wrist at wrist_left is on the arm that arm_raise keep(s) still" in err
    assert "list wrist_right in placements" in err
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 0  # the same spec: nothing made
    assert "this run made nothing" in capsys.readouterr().out


def test_generate_says_what_each_text_was_read_as(tmp_path, capsys):
    path = write_spec(tmp_path / "s.toml", activities=[], texts=["someone jogs in the park"],
                      matcher="keywords", people=1, placements=["default"])
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "note: texts[0] 'someone jogs in the park' → running (score 0." in capsys.readouterr().err


def test_a_spec_without_key_frames_reads_as_before():
    """No ``keyframed`` key in what manifests record (older corpora resume, hashes stay)."""
    spec = CorpusSpec.from_dict(dict(TINY))
    assert "keyframed" not in spec.to_dict() and "keyframed" not in make_plan(spec).to_dict()


@pytest.mark.parametrize("files, expect", [
    (["missing.toml"], "bad.toml: keyframed[0]: "),
    (["walking.toml"], "'walking' is a library activity"),
    (["wave.toml"], "'wave' is a library activity ('waving')"),  # as --label reads it (session 62)
    (["arm_raise.toml", "copy.toml"], "'arm_raise' is given twice"),
])
def test_bad_key_framed_entries_are_refused(tmp_path, capsys, files, expect):
    (tmp_path / "arm_raise.toml").write_text(ARM_RAISE)
    (tmp_path / "copy.toml").write_text(ARM_RAISE)
    (tmp_path / "walking.toml").write_text(ARM_RAISE.replace('"arm_raise"', '"walking"'))
    (tmp_path / "wave.toml").write_text(ARM_RAISE.replace('"arm_raise"', '"wave"'))
    path = write_spec(tmp_path / "bad.toml", keyframed=files)
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expect in err
    assert not (tmp_path / "out").exists()
    if files == ["missing.toml"]:
        assert "missing.toml: no such file" in err


#: every repetition bends the neck 150° (past the check's 90°): no spread of the excursion, no wander
OVERBENT = ARM_RAISE.replace("sh_abd = 80", "neck_flex = 150").replace(
    'label = "arm_raise"',
    'label = "overbent"\namplitude = 1.0\nexcursion_sd = 0.0\nwander_deg = 0.0\nstyle_deg = 0.0')


def test_a_motion_no_draw_makes_plausible_is_kept_flagged_and_named(tmp_path, capsys):
    """Key frames that bend the neck 150° (past the check's 90°): every person's motion is flagged in its
    recordings' provenance, counted in the manifest and named in one warning; the standing ones are not."""
    (tmp_path / "overbent.toml").write_text(OVERBENT)
    write_spec(tmp_path / "s.toml", activities=["standing"], keyframed=["overbent.toml"])
    assert main(["generate", str(tmp_path / "s.toml"), "--out", str(tmp_path / "corpus")]) == 0
    err = capsys.readouterr().err
    assert ("warning: 4 of 8 recordings' motions are implausible (no redraw of the person made them "
            "plausible), kept and flagged") in err
    assert "overbent-s01-p000" in err
    manifest = json.loads((tmp_path / "corpus" / "manifest.json").read_text())
    assert manifest["meta"]["totals"]["implausible"] == 4
    for rec in read_dataset(tmp_path / "corpus").recordings():
        report = rec.provenance["motion"]["plausibility"]
        overbent = rec.labels[0].label == "overbent"
        assert report["accepted"] != overbent
        assert not overbent or any(r.startswith("neck bent 150°") for r in report["reasons"])


@pytest.mark.parametrize("damage", [b"\x00ABCDEFGH", b"[]", b'{"meta": {"spec": 5}}', b"\xff\xfe{"])
def test_a_damaged_manifest_is_one_line_not_a_traceback(spec, tmp_path, capsys, damage):
    """A corpus's manifest overwritten, cut or of another shape: generate (resuming or --overwrite) said it
    with a JSONDecodeError / AttributeError / TypeError traceback; now one line naming the file, exit 2."""
    out = tmp_path / "corpus"
    path = write_spec(tmp_path / "tiny.toml")
    assert main(["generate", str(path), "--out", str(out)]) == 0
    (out / "manifest.json").write_bytes(damage)
    capsys.readouterr()
    for extra in ([], ["--overwrite"]):
        rc = main(["generate", str(path), "--out", str(out), *extra])
        err = capsys.readouterr().err.strip().splitlines()
        assert not any("Traceback" in line for line in err), err
        if rc == 0:  # --overwrite over a corpus's files only (its manifest names no spec): made anew
            assert extra and (out / "manifest.json").read_bytes() != damage
            continue
        assert rc == 2 and len(err) == 1, err
        # the manifest named as damaged, or (a well-formed one naming no spec) the folder as not a corpus
        assert "manifest.json is damaged" in err[0] or "holds other files" in err[0], err


def test_a_damaged_progress_record_makes_its_shard_again(spec, tmp_path, capsys):
    """A kill that cut a progress record short: the record is not trusted, its shard is made again, and the
    corpus comes out as a clean run's (a garbage plan record is one line instead)."""
    out = tmp_path / "corpus"
    path = write_spec(tmp_path / "tiny.toml")
    folder = CorpusFolder.open(out, make_plan(load_spec(path)))
    folder.write_shard(make_shard(folder.plan, 0))
    (out / ".progress" / "shard-00000.json").write_text('{"index": 0, "fi')
    assert main(["generate", str(path), "--out", str(out)]) == 0
    clean = tmp_path / "clean"
    generate_corpus(load_spec(path), clean)
    assert (out / "manifest.json").read_bytes() == (clean / "manifest.json").read_bytes()
    other = tmp_path / "other"
    folder = CorpusFolder.open(other, make_plan(load_spec(path)))
    (other / ".progress" / "spec.json").write_text("garbage")
    capsys.readouterr()
    assert main(["generate", str(path), "--out", str(other)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spec.json is damaged (not JSON" in err[0], err


def test_an_unfinished_corpus_says_to_finish_it(spec, tmp_path, capsys):
    """A corpus cut off before its manifest: dataset info and train said 'no recordings'; they now say what
    the folder is and the cure."""
    out = tmp_path / "corpus"
    folder = CorpusFolder.open(out, make_plan(spec))
    folder.write_shard(make_shard(folder.plan, 0))
    for argv in (["dataset", "info", str(out)], ["train", "--data", str(out), "--out", str(tmp_path / "r")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is a corpus imuforge generate has not finished" in err[0], err
        assert "run the same imuforge generate command again" in err[0]


def test_another_specs_corpus_with_a_file_of_ones_own_is_not_offered_overwrite(tmp_path, capsys):
    """A corpus of another spec plus the user's README: '--overwrite' was suggested and then refused for the
    README; the refusal now names both and offers only another --out."""
    a, b = write_spec(tmp_path / "a.toml"), write_spec(tmp_path / "b.toml", seed=4)
    out = tmp_path / "corpus"
    assert main(["generate", str(a), "--out", str(out)]) == 0
    (out / "README.md").write_text("mine")
    capsys.readouterr()
    assert main(["generate", str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert ("a corpus of another spec (spec field(s) seed differ) and other files than a corpus "
            "(README.md)") in err
    assert err.endswith("choose another --out (allowed: a new or empty folder)"), err
    assert "--overwrite" not in err, err


def test_a_corpus_of_a_negated_thing_held_runs_again_and_resumes(tmp_path):
    """A text's `avoid_carrying` was a tuple in the plan and a list read back from its JSON, so "walking
    without a bag" made a corpus that the same command then called "another spec" (no resume, no re-run)."""
    path = write_spec(tmp_path / "t.toml", activities=[], texts=["walking without a bag"], matcher="keywords")
    out = tmp_path / "o"
    first = generate_corpus(load_spec(path), out)
    assert first.complete
    again = generate_corpus(load_spec(path), out)  # the same spec again: everything already made
    assert again.complete and again.made == 0 and again.skipped == first.made


def test_a_profile_file_of_a_spec_is_read_from_the_specs_folder(tmp_path, monkeypatch):
    """A fresh user's run (session 62): ``profiles = ["../prof/myboard.toml"]`` worked from the spec's folder
    and failed from any other, where the spec's key-framed files are read from its folder."""
    (tmp_path / "prof").mkdir()
    (tmp_path / "prof" / "myboard.toml").write_text(
        'name = "myboard"\nkind = "device"\ndescription = "test"\ndefault_placement = "wrist_left"\n'
        '[accel]\nchip = "bmi270"\nodr_hz = 50\nrange_g = 4\n[gyro]\nchip = "bmi270"\nodr_hz = 50\n'
        'range_dps = 2000\n')
    (tmp_path / "specs").mkdir()
    path = write_spec(tmp_path / "specs" / "s.toml", profiles=["../prof/myboard.toml"])
    monkeypatch.chdir(tmp_path / "specs")
    here = load_spec("s.toml")
    monkeypatch.chdir(tmp_path.parent)
    elsewhere = load_spec(path)
    # kept as written (a review: a resolved path made a copied project's corpus "another spec")
    assert here.profiles == elsewhere.profiles == ("../prof/myboard.toml",)
    assert make_plan(elsewhere).profiles.get(elsewhere.profiles[0]).name == "myboard"
    assert main(["generate", str(path), "--out", str(tmp_path / "c")]) == 0
    import shutil

    shutil.copytree(tmp_path, tmp_path.parent / "moved")  # the project copied: the same corpus, resumed
    moved = tmp_path.parent / "moved"
    assert main(["generate", str(moved / "specs" / "s.toml"), "--out", str(moved / "c")]) == 0
    # the folder as the reading process saw it goes to the workers (whose working folder may be another),
    # and not into the manifest
    import pickle

    sent = pickle.loads(pickle.dumps(elsewhere))
    assert sent.folder == (tmp_path / "specs").resolve() and "base" not in sent.to_dict()


def test_the_size_line_says_a_change_of_posture_is_its_natural_length(tmp_path, capsys):
    """It said "× 30 s" for a spec of sit_to_stand, which makes 3-s recordings (a fresh user's run)."""
    write_spec(tmp_path / "t.toml", activities=["sit_to_stand"], seconds=30.0, people=1,
               placements=["default"])
    assert main(["generate", str(tmp_path / "t.toml"), "--out", str(tmp_path / "c")]) == 0
    captured = capsys.readouterr()
    assert "1 recording × its natural length in shards" in captured.err
    assert "wrote corpus" in captured.out and "1 recording in 1 shard," in captured.out
    write_spec(tmp_path / "m.toml", activities=["walking", "sit_to_stand"], seconds=30.0, people=1)
    assert main(["generate", str(tmp_path / "m.toml"), "--out", str(tmp_path / "m")]) == 0
    assert "4 recordings × 30 s (changes of posture: their natural length)" in capsys.readouterr().err
