"""imuforge generate: a fresh user's review (session 69) — sides kept, Ray addresses refused before anything
is written, unwritable outputs, progress while planning, the Python API's checks, spec messages."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest


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


@pytest.mark.parametrize("wear", ["all", "on", " All "])
def test_a_synonym_of_default_wear_keeps_a_named_placement_and_says_the_same_remedy(tmp_path, capsys, wear):
    """wear_variation = "all" / "on" is "default" (WearVariation.parse): a named placement had still
    switched sides under them, and a default one's note had said "a wear_variation without side"."""
    spec = load_spec(write_spec(tmp_path / "s.toml", placements=["ankle_left"], wear_variation=wear))
    assert generate_corpus(spec, tmp_path / "c").complete
    assert [r["placement"] for r in manifest(tmp_path / "c")["recordings"]] == ["ankle_left"] * 6
    path = write_spec(tmp_path / "d.toml", people=12, wear_variation=wear)
    assert main(["generate", str(path), "--out", str(tmp_path / "d")]) == 0
    assert "name wrist_left in placements keeps it there" in capsys.readouterr().err


def test_a_wear_list_is_not_default_wear(tmp_path):
    for wear, default in (("default", True), ("rotation,offset,looseness,flips,side", False), ("side", False),
                          ("none", False)):
        assert load_spec(write_spec(tmp_path / "s.toml", wear_variation=wear)).default_wear is default, wear


# ------------------------------------------------------------------------------ Ray addresses
def _refused_in_one_line(capsys, rc: int, out: Path) -> str:
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "allowed:" in err, err
    assert not out.exists()  # nothing written: it had left .progress/spec.json, refused by a later run
    return err


def test_a_ray_address_ray_does_not_read_is_refused_before_anything_is_written(tmp_path, capsys):
    """`--ray-address garbage`: Ray's ValueError had been taken for "ray.init decides", which failed after
    the folder was begun."""
    pytest.importorskip("ray")
    out = tmp_path / "o"
    path = write_spec(tmp_path / "s.toml")
    rc = main(["generate", str(path), "--out", str(out), "--ray-address", "garbage"])
    assert "--ray-address garbage is not an address Ray reads" in _refused_in_one_line(capsys, rc, out)


def test_auto_without_a_cluster_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    """`--ray-address auto` with no cluster on this machine: Ray's ConnectionError is the refusal."""
    pytest.importorskip("ray")
    from ray._private.services import canonicalize_bootstrap_address

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    try:
        canonicalize_bootstrap_address("auto")
        pytest.skip("a Ray instance runs on this machine: auto finds it")
    except ConnectionError:
        pass
    out = tmp_path / "o"
    rc = main(["generate", str(write_spec(tmp_path / "s.toml")), "--out", str(out), "--ray-address", "auto"])
    assert "no Ray cluster is running on this machine" in _refused_in_one_line(capsys, rc, out)


def test_a_ray_client_address_nothing_answers_at_is_refused_at_once(tmp_path, capsys):
    """`ray://HOST:PORT` had been left to ray.init: 32 s, then a folder begun and not finished."""
    pytest.importorskip("ray")
    import socket
    import time

    out = tmp_path / "o"
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        t0 = time.perf_counter()
        rc = main(["generate", str(write_spec(tmp_path / "s.toml")), "--out", str(out),
                   "--ray-address", f"ray://127.0.0.1:{s.getsockname()[1]}"])
    assert time.perf_counter() - t0 < 5
    assert "nothing listens there" in _refused_in_one_line(capsys, rc, out)


def test_auto_with_a_ray_client_address_in_ray_address_is_checked_as_one(tmp_path, capsys, monkeypatch):
    """`--ray-address auto` with RAY_ADDRESS=ray://HOST:10001: ray.init puts RAY_ADDRESS in for auto and
    connects by Ray Client; Ray's address parser cannot read a ray:// URL, and the run had been refused as
    "not an address Ray reads". It is checked as a ray:// address is (here: nothing listens there)."""
    pytest.importorskip("ray")
    import socket

    out = tmp_path / "o"
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        url = f"ray://127.0.0.1:{s.getsockname()[1]}"
        monkeypatch.setenv("RAY_ADDRESS", url)
        rc = main(["generate", str(write_spec(tmp_path / "s.toml")), "--out", str(out),
                   "--ray-address", "auto"])
    err = _refused_in_one_line(capsys, rc, out)
    assert f"cannot reach the Ray cluster at auto (RAY_ADDRESS={url}): nothing listens there" in err, err
    assert "not an address Ray reads" not in err


def test_the_python_api_refuses_a_ray_address_before_the_folder_is_begun(tmp_path):
    pytest.importorskip("ray")
    from imuforge.errors import ValidationError

    spec = load_spec(write_spec(tmp_path / "s.toml"))
    with pytest.raises(ValidationError, match="not an address Ray reads"):
        generate_corpus(spec, tmp_path / "o", ray_address="garbage")
    assert not (tmp_path / "o").exists()


def test_a_token_cluster_without_the_token_is_one_line_naming_it(tmp_path, capsys, monkeypatch):
    """Ray 2.60 clusters take a token; given its address (not auto) Ray sends none unless
    RAY_AUTH_MODE=token: ray.init had printed Ray's C++ InvalidAuthToken warning every second for 20 s and
    failed with a bare ConnectionError. With RAY_AUTH_MODE=token the same address makes the corpus."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray._private.authentication.authentication_token_setup")
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)  # a new local instance: token auth by default
    out = tmp_path / "o"
    path = write_spec(tmp_path / "s.toml", people=1)
    ray.init(address="local", num_cpus=1, include_dashboard=False, object_store_memory=80 << 20,
             log_to_driver=False, logging_level=logging.ERROR)
    try:
        gcs = ray.get_runtime_context().gcs_address
        capsys.readouterr()  # Ray's own lines of starting it
        monkeypatch.delenv("RAY_AUTH_MODE", raising=False)  # what a fresh shell has
        rc = main(["generate", str(path), "--out", str(out), "--ray-address", gcs])
        err = _refused_in_one_line(capsys, rc, out)
        assert "uses token authentication: it takes a token; this driver sends none" in err
        assert "RAY_AUTH_MODE=token" in err and "auth_token" in err
        monkeypatch.setenv("RAY_AUTH_MODE", "token")
        from imuforge.synth.fingerprint import generator_fingerprint

        generator_fingerprint.cache_clear()  # read now, as the workers read it (code edited meanwhile)
        from imuforge.synth import engine

        probes = []  # the cluster is asked once a run (the command's check; generate_corpus had asked again)
        monkeypatch.setattr(engine, "check_ray_reachable",
                            lambda a, probe=engine.check_ray_reachable: probes.append(a) or probe(a))
        rc = main(["generate", str(path), "--out", str(out), "--ray-address", gcs])
        assert rc == 0, capsys.readouterr().err
        assert probes == [gcs]
    finally:
        ray.shutdown()
    assert (out / "manifest.json").is_file()


# --------------------------------------------------------------------------------- the output
@pytest.mark.parametrize("out", ["/proc/imuforge-corpus", "/sys/imuforge/corpus", "read-only"])
def test_an_out_that_cannot_be_written_is_one_line_before_the_plan(tmp_path, capsys, out):
    """An --out nothing can be made in had printed the plan's line, a false "0 kB free" warning (/sys), then
    "error: [Errno 1] Operation not permitted" without what is allowed. Tests run as root, whom a folder's
    mode does not stop: /proc and /sys stop everyone; a read-only folder is tried as another user only."""
    import os

    if out == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes in a read-only folder")
        (tmp_path / "ro").mkdir(mode=0o555)
        out = str(tmp_path / "ro" / "corpus")
    elif not Path("/" + out.split("/")[1]).is_dir():
        pytest.skip(f"no /{out.split('/')[1]} here")
    assert main(["generate", str(write_spec(tmp_path / "s.toml")), "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--out {out}: cannot write in" in err[0] and "allowed:" in err[0], err


# ------------------------------------------------------------------------------- long steps
def test_a_large_plan_and_the_check_of_shards_made_before_are_said(tmp_path, capsys, monkeypatch):
    """A spec of 100 000 people had planned for 17 s without a word, and a resume hashed every shard made
    before without one (a bar shows after 1 s on a terminal; a log got nothing for 10 s). Here with the
    thresholds of a large corpus lowered to this one's size."""
    from imuforge.commands import generate

    from imuforge.synth import corpus

    monkeypatch.setattr(generate, "PLAN_NOTE_TAKES", 6)
    monkeypatch.setattr(generate, "VERIFY_NOTE_SHARDS", 2)
    plans, made = [], corpus.make_plan
    monkeypatch.setattr(corpus, "make_plan", lambda *a, **k: plans.append(1) or made(*a, **k))
    path, out = write_spec(tmp_path / "s.toml", shard_size=3), tmp_path / "c"
    assert main(["generate", str(path), "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "one: planning 6 recordings …" and not any("verifying" in line for line in err)
    assert len(plans) == 1  # planned once: generate_corpus takes the command's plan (it had planned again)
    assert main(["generate", str(path), "--out", str(out)]) == 0
    assert "verifying the 2 shard(s) made before (sha256) …" in capsys.readouterr().err
    other = write_spec(tmp_path / "t.toml", shard_size=3, seed=1)  # --overwrite: replaced, not verified
    assert main(["generate", str(other), "--out", str(out), "--overwrite"]) == 0
    assert "verifying" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------- Python API
@pytest.mark.parametrize("engine", [dict(workers=0), dict(retries=-1), dict(workers=2, ray_address="auto")])
def test_the_python_api_checks_the_engine_before_the_folder_is_begun(tmp_path, engine):
    """generate_corpus(spec, out, workers=0) had refused after writing out/.progress/spec.json (and added a
    stray .progress/ to a finished corpus)."""
    from imuforge.errors import ValidationError

    spec = load_spec(write_spec(tmp_path / "s.toml", people=1))
    with pytest.raises(ValidationError):
        generate_corpus(spec, tmp_path / "new", **engine)
    assert not (tmp_path / "new").exists()
    done = tmp_path / "done"
    assert generate_corpus(spec, done).complete
    before = sorted(p.name for p in done.iterdir())
    with pytest.raises(ValidationError):
        generate_corpus(spec, done, **engine)
    assert sorted(p.name for p in done.iterdir()) == before


@pytest.mark.parametrize("flags, expect", [
    (["--workers", "2000"], "--workers 2000 is out of range (allowed: an integer 1 … 1024)"),
    (["--retries", "-1"], "--retries -1 is not a count (allowed: an integer >= 0)"),
    (["--workers", "2", "--ray-address", "auto"], "--workers and --ray-address exclude each other (allowed: "
     "--workers N (a local Ray) or --ray-address ADDR (a cluster))")])
def test_the_command_checks_the_engine_as_the_python_api_does_named_as_flags(tmp_path, capsys, flags, expect):
    """The command had its own copy of generate_corpus's engine checks (workers' range, workers and
    ray_address excluding each other), worded apart from them ("--workers = 2000 … allowed: 1 … 1024")."""
    out = tmp_path / "o"
    assert main(["generate", str(write_spec(tmp_path / "s.toml")), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.endswith(expect), err
    assert not out.exists()


def test_a_spec_made_in_python_may_hold_tuples():
    """CorpusSpec keeps its lists as tuples, and from_dict had refused them ("('walking',) is not a list of
    non-empty strings"): a spec's own fields read back as the same spec."""
    from imuforge.synth.spec import CorpusSpec

    spec = CorpusSpec.from_dict(dict(activities=("walking",), profiles=("nano33-ble-sense-rev2",),
                                     placements=("default", "waist_front"),
                                     wear_variation=("rotation", "side")))
    assert spec.activities == ("walking",) and spec.wear_variation == "rotation,side"
    assert CorpusSpec.from_dict(spec.to_dict()) == spec


# ---------------------------------------------------------------------------------- messages
@pytest.mark.parametrize("text, expect", [
    ("", "s.toml: the spec is empty"),
    ('activities = ["walking"]\n', "s.toml: profiles: missing: the spec names no device to simulate"),
    ('activities = ["walking"]\nprofiles = []\n', "s.toml: profiles: is an empty list"),
    ('activities = ["walking"]\nprofiles = ["nano33-ble-sense-rev2"]\nwear_variation = []\n',
     "s.toml: wear_variation: is an empty list"),
])
def test_a_missing_or_empty_field_is_said_as_it_is(tmp_path, capsys, text, expect):
    """An empty spec file, or one without profiles, had read "profiles: is empty"; wear_variation = [] had
    read "[] is not a string or a list of strings"."""
    (tmp_path / "s.toml").write_text(text)
    assert main(["generate", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expect in err[0] and "allowed:" in err[0], err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("address, mode, env, source, sends", [
    ("auto", None, None, "~/.ray/auth_token", True),  # a cluster found on this machine, a token found
    ("auto", None, "auto", "~/.ray/auth_token", True),
    ("auto", None, "10.0.0.5:6379", "~/.ray/auth_token", False),  # RAY_ADDRESS names one: explicit
    ("10.0.0.5:6379", None, None, "~/.ray/auth_token", False),
    ("10.0.0.5:6379", "token", None, None, True),
    ("auto", "disabled", None, "~/.ray/auth_token", False),
    ("auto", None, None, None, False),
])
def test_the_token_probe_sends_a_token_where_ray_init_would(address, mode, env, source, sends):
    """The probe asked a cluster with this machine's token for ``--ray-address auto`` whatever RAY_ADDRESS
    said, where ray.init (Ray 2.60) sends one only for a cluster it finds itself: with RAY_ADDRESS=HOST:PORT
    of a token cluster the probe passed and ray.init then failed with Ray's own warnings."""
    from imuforge.synth.engine import sends_token

    assert sends_token(address, mode, env, source) is sends
