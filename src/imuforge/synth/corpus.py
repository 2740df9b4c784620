"""A corpus: a :class:`CorpusSpec` cut into shards, made by any engine, written atomically and resumable.

The takes of a spec are listed in one fixed order (source, person, profile, placement) and cut into
shards of ``shard_size``; shard *i* holds the same takes, hence the same bytes, whoever makes it.
Output folder::

    DIR/manifest.json            Dataset manifest: spec, resolved sources, shards (sha256, counts), recordings
    DIR/shard-00000.parquet      recordings of shard 0, one row group each (see recording.shard_bytes)
    DIR/.progress/               while running: spec.json and one JSON per finished shard (removed at the end)

A shard is written to ``*.tmp`` and renamed; its progress record is written after the rename, so a shard
counts as done only when its record exists and its file's sha256 matches the record. A killed run,
started again with the same spec and ``--out``, skips the verified shards and makes the rest.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from imuforge._folders import check_parents, check_replaceable, foreign_entries
from imuforge.errors import ImuforgeError, OutputExistsError, ValidationError
from imuforge.recording import UNFINISHED_CORPUS, sha256_file
from imuforge.synth import (
    Profiles,
    Take,
    activity_spec,
    generate_recordings,
    keep_freed_memory,
    single_threaded,
)
from imuforge.synth.fingerprint import plan_code
from imuforge.synth.spec import CorpusSpec

PROGRESS = UNFINISHED_CORPUS  # recording.UNFINISHED_CORPUS: readers say what it means
#: what an earlier corpus folder holds (--overwrite deletes nothing else): see the layout above
CORPUS_MARKER = ("manifest.json", f"{PROGRESS}/spec.json")
CORPUS_FILES = ("manifest.json", "shard-*.parquet", "*.tmp", PROGRESS)


@dataclass(frozen=True)
class Plan:
    """A spec with its motion sources resolved and its takes listed; what every worker receives."""

    spec: CorpusSpec
    sources: tuple  # MotionSpec per source: activities first, then texts, then key-framed activities
    takes: tuple[Take, ...]
    keyframed: tuple = ()  # the key-framed activities (KeyframedActivity) the last sources name
    #: the code and the devices that make the shards (:mod:`imuforge.synth.fingerprint`): its version, code
    #: digest and profiles digest
    generator_code: dict = field(default_factory=dict, hash=False)

    @property
    def n_shards(self) -> int:
        return -(-len(self.takes) // self.spec.shard_size)

    def shard_takes(self, index: int) -> tuple[Take, ...]:
        s = self.spec.shard_size
        return self.takes[index * s:(index + 1) * s]

    def to_dict(self) -> dict[str, Any]:
        d = {"spec": self.spec.to_dict(), "sources": [s.to_dict() for s in self.sources],
             "generator_code": dict(self.generator_code)}
        if self.keyframed:  # their content, so a resume notices an edited file (tuples as the JSON's lists)
            d["keyframed"] = json.loads(json.dumps([{k: v for k, v in asdict(a).items() if k != "source"}
                                                    for a in self.keyframed]))
        return d

    def still_arm_cells(self) -> list[tuple[str, str, str]]:
        """(activity, profile, placement) where a key-framed activity with a fixed ``hand`` leaves the
        device's arm still: the device records a body that stands while the other arm exercises."""
        arm = ("wrist_", "forearm_", "upper_arm_")
        cells = sorted({(t.profile, t.placement) for t in self.takes})
        return [(a.label, prof, pl) for a in self.keyframed if a.hand in ("left", "right")
                for prof, pl in cells if pl.startswith(arm) and pl.endswith("_left") != (a.hand == "left")]

    @functools.cached_property
    def activities(self) -> dict:
        """The key-framed activities as library activities by name (what generation looks names up in)."""
        return {a.label: a.activity() for a in self.keyframed}

    @functools.cached_property
    def profiles(self) -> Profiles:
        """The spec's hardware profiles, each loaded once for all the shards this process makes of this plan
        (not a field: not compared, and not sent to the workers, which load their own)."""
        return Profiles(base=self.spec.folder)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("profiles", "activities")}


#: A shard's bytes (zstd-compressed float64 of the simulated streams) per output bit of each channel's sample
#: (a quantised value varies in about as many mantissa bits as its sensor's word has), per sample row for its
#: time, and per recording — a fixed part and one per channel (its metadata, row group and manifest entry).
#: Fitted on corpora of 24 recordings × 2 s and × 30 s of six activities for each built-in device profile
#: (session 62: 6-axis 16-bit devices at 50–100 Hz 29–35 B per row, a 10-bit 3-axis one 9.7 B, 16–21 kB per
#: recording); one figure of bytes per value (3.0) had read 10–30 % off for the profiles other than the one it
#: was measured on
SHARD_BYTES_PER_BIT, SHARD_BYTES_PER_ROW = 0.30, 1.5
SHARD_BYTES_PER_RECORDING, SHARD_BYTES_PER_CHANNEL = 14_000, 700
#: A transition's length (s) for the estimate: it takes its natural duration, drawn per person (sit to stand
#: 1.8–3.6 s with a lead and a tail; ``motion.library.static``)
TRANSITION_ESTIMATE_S = 3.0
#: CPU seconds of a corpus, for the size line's estimate only: per motion (made once for a person's
#: consecutive takes of one activity, its placements and devices) and per recording (simulate + write), each a
#: fixed part and a part per second of data — benchmarks/bench_generate.py's two-point fit on the development
#: machine (benchmarks/RESULTS.md, "Corpus generation at scale": motion 7.2 ms + 0.44 ms/s, simulate 2.9 +
#: 0.27, write 0.2 + 0.07, at a slow hour of the machine). One cost per recording with the motion in it had
#: read 7.7 s for examples/corpus-small.toml, which made its 576 recordings in 2.6 s (session 62)
CPU_PER_MOTION_S, CPU_PER_MOTION_DATA_S = 0.0072, 0.00044
CPU_PER_RECORDING_S, CPU_PER_DATA_S = 0.0031, 0.00034


@dataclass(frozen=True)
class CorpusEstimate:
    """What a plan will make, before it is made: recordings, hours of data, bytes on disk and CPU hours
    (the last two estimates: :func:`shard_bytes_per_s`, :data:`CPU_PER_RECORDING_S`)."""

    recordings: int
    data_hours: float
    disk_bytes: float
    cpu_hours: float
    motions: int = 0  # the motions made: one per run of a source and person within a shard

    def line(self) -> str:
        return (f"{data_text(self.data_hours * 3600)} of data, ≈ {size_text(self.disk_bytes)} on disk, "
                f"≈ {_duration_text(self.cpu_hours * 3600)} of CPU time")


def data_text(seconds: float) -> str:
    """A corpus's length of data in the unit that reads best: ``12 s``, ``6.5 min``, ``76.8 min``,
    ``1,234 h``."""
    return _duration_text(seconds, days=False)


def _duration_text(seconds: float, days: bool = True) -> str:
    for unit, scale in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if (days or unit != "days") and seconds >= 2 * scale:
            value = seconds / scale  # 3 significant digits, never e-notation (999.6 → "1,000", not "1e+03")
            return f"{value:.3g} {unit}" if value < 999.5 else f"{value:,.0f} {unit}"
    return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"


def size_text(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


def shard_bytes_per_s(profile) -> float:
    """A recording's bytes per second of data in a shard, from its ``profile``'s output rate and each sensor's
    word (:data:`SHARD_BYTES_PER_BIT`; a sensor slower than the rows counted at its own rate)."""
    rate = profile.odr_hz
    bits = sum(3 * s.bits * min(s.odr_hz / rate, 1.0) for s in profile.sensors.values())
    return rate * (SHARD_BYTES_PER_ROW + SHARD_BYTES_PER_BIT * bits)


def estimate(plan: Plan) -> CorpusEstimate:
    """:class:`CorpusEstimate` of ``plan``: each take's duration (a transition's
    :data:`TRANSITION_ESTIMATE_S`) at its profile's output rate and channels."""
    seconds = [TRANSITION_ESTIMATE_S if s.duration_s is None else s.duration_s for s in plan.sources]
    per_s, fixed = {}, {}  # per profile: bytes per second of data and per recording (a profile's once: 2.4
    for name in plan.spec.profiles:  # million takes had taken 8 s, each reading its profile's channels)
        prof = plan.profiles.get(name)
        per_s[name] = shard_bytes_per_s(prof)
        fixed[name] = SHARD_BYTES_PER_RECORDING + SHARD_BYTES_PER_CHANNEL * len(prof.channels)
    data_s = n_bytes = motion_s = 0.0
    motions, last, size = 0, None, plan.spec.shard_size
    for k, take in enumerate(plan.takes):
        dur = seconds[take.source]
        data_s += dur
        n_bytes += dur * per_s[take.profile] + fixed[take.profile]
        run = (k // size, take.source, take.person)  # one motion per run of takes of a source and person
        if run != last:  # within a shard (a shard makes its own)
            motions, motion_s, last = motions + 1, motion_s + dur, run
    cpu_s = (data_s * CPU_PER_DATA_S + CPU_PER_RECORDING_S * len(plan.takes)
             + motion_s * CPU_PER_MOTION_DATA_S + CPU_PER_MOTION_S * motions)
    return CorpusEstimate(len(plan.takes), data_s / 3600, n_bytes, cpu_s / 3600, motions)


def make_plan(spec: CorpusSpec, on_listing: Callable[[int], None] | None = None) -> Plan:
    """Resolve the spec's activities and texts (texts through the matcher, once, here) and list its takes.
    ``on_listing``: called with the number of takes once the spec is checked, before they are listed
    (≈ 2.5 s per million)."""
    from imuforge.motion.text import MotionSpec, parse_one

    sources = [activity_spec(a, spec.seconds) for a in spec.activities]
    for i, text in enumerate(spec.texts):
        try:
            sources.append(parse_one(text, seconds=spec.seconds, matcher=spec.matcher))
        except ValidationError as exc:
            raise ValidationError(f"texts[{i}]: {exc.what}", source=spec.source, allowed=exc.allowed) from None
    keyframed = spec.keyframed_activities()
    sources += [MotionSpec(a.label, spec.seconds, {}, text="key frames") for a in keyframed]
    profiles = Profiles(base=spec.folder)
    cells = [(prof, profiles.placement(prof, pl)) for prof in spec.profiles for pl in spec.placements]
    if len(set(cells)) != len(cells):
        twice = next(c for c in cells if cells.count(c) > 1)
        raise ValidationError(f"placements: {twice[1]} is listed twice for {twice[0]} ('default' is its own "
                              "placement)", source=spec.source, allowed="distinct placements per profile")
    if on_listing is not None:
        on_listing(len(sources) * spec.people * len(cells))
    takes = _list_takes(len(sources), spec.people, cells, _sides_kept(spec, cells))
    code = plan_code(profiles.get(p) for p in spec.profiles)
    return Plan(spec, tuple(sources), takes, keyframed, code)


def _list_takes(n_sources: int, people: int, cells: list[tuple[str, str]],
                kept: list[bool]) -> tuple[Take, ...]:
    """Every take, in the order shards are cut from (source, person, profile, placement), with a progress bar:
    a spec of 100 000 people had planned for 17 s (95 s with 24 cells) without a word."""
    from imuforge.progress import progress

    takes: list[Take] = []
    with progress(total=n_sources * people * len(cells), desc="plan", unit="take", smoothing=0.1) as bar:
        for s in range(n_sources):
            for first in range(0, people, 1024):  # the bar moved per 1024 people (per person: 60 % slower)
                persons = range(first, min(first + 1024, people))
                takes += [Take(s, p, prof, pl, keep) for p in persons
                          for (prof, pl), keep in zip(cells, kept)]
                bar.update(len(persons) * len(cells))
    return tuple(takes)


def _sides_kept(spec: CorpusSpec, cells: list[tuple[str, str]]) -> list[bool]:
    """For each (profile, placement) cell, whether the wear variation keeps its side (:attr:`Take.keep_side`):
    a placement the spec names does with ``wear_variation = "default"`` or a synonym of it
    (:attr:`CorpusSpec.default_wear`; ``imuforge motion --placement`` does the same; a list naming ``side``
    moves it as it says), and so does one whose other side the profile also records (both sides are in the
    corpus already, and two recordings would hold one place)."""
    from imuforge.sensors import PLACEMENTS
    from imuforge.sensors.placement import mirror_placement

    default_wear = spec.default_wear
    named = [pl != "default" for pl in spec.placements] * len(spec.profiles)  # cells: profile, then placement
    kept = []
    for (prof, pl), is_named in zip(cells, named):
        preset = PLACEMENTS.get(pl)
        other = mirror_placement(preset).name if preset is not None else None
        kept.append((is_named and default_wear) or (prof, other) in cells)
    return kept


@dataclass
class ShardResult:
    """One made shard: its bytes, sha256 and manifest entries (file-relative), and the seconds it took;
    ``implausible``: the names of its recordings whose motion no draw made plausible (kept and flagged in
    their provenance, :func:`imuforge.motion.library.schedule`)."""

    index: int
    data: bytes
    sha256: str
    entries: list[dict[str, Any]]
    seconds: float = 0.0
    implausible: list[str] = field(default_factory=list)

    @property
    def record(self) -> dict[str, Any]:
        return {"index": self.index, "file": shard_file(self.index), "sha256": self.sha256,
                "recordings": len(self.entries), "samples": int(sum(e["samples"] for e in self.entries)),
                "duration_s": float(sum(e["duration_s"] for e in self.entries)),
                "implausible": self.implausible, "entries": self.entries}


def shard_file(index: int) -> str:
    return f"shard-{index:05d}.parquet"


def make_shard(plan: Plan, index: int) -> ShardResult:
    """Make shard ``index`` of ``plan`` in this process (what each engine worker runs)."""
    from imuforge.motion.plausibility import is_flagged
    from imuforge.recording import _manifest_entry, shard_bytes

    t0 = time.perf_counter()
    here = plan_code(plan.profiles.get(p) for p in plan.spec.profiles)
    if plan.generator_code != here:  # a worker with another install would mix its shards into the corpus
        raise ValidationError(f"this worker runs {_generator_name(here)}, the corpus was planned with "
                              f"{_generator_name(plan.generator_code)}",
                              allowed="the same imuforge install and profiles on every worker")
    spec = plan.spec
    keep_freed_memory()  # no page faults per array (see keep_freed_memory)
    with single_threaded():  # one shard is one core's work (see single_threaded)
        made = generate_recordings(plan.sources, plan.shard_takes(index), seed=spec.seed, fps=spec.fps,
                                   wear=spec.wear_variation, variation=spec.variation, profiles=plan.profiles,
                                   activities=plan.activities)
        named = [(take.name(plan.sources[take.source], rec.placement), rec) for take, _, rec in made]
        data = shard_bytes(named)
    fname = shard_file(index)
    entries = [dict(_manifest_entry(fname, rec), name=name, row_group=k) for k, (name, rec) in enumerate(named)]
    flagged = [name for name, rec in named if is_flagged(rec.provenance.get("motion", {}))]
    return ShardResult(index, data, hashlib.sha256(data).hexdigest(), entries, time.perf_counter() - t0,
                       flagged)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a folder made read-only: no half-written file left behind
        tmp.unlink(missing_ok=True)
        if exc.filename is None:  # fsync and write do not say which file
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


@dataclass
class CorpusFolder:
    """The output folder of a corpus run: what is done (verified), writing shards and the manifest."""

    path: Path
    plan: Plan
    done: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, plan: Plan, *, overwrite: bool = False) -> CorpusFolder:
        """Start a new folder, or resume one holding the same spec (finished shards verified by sha256)."""
        path = Path(path)
        if check_corpus_out(path, plan, overwrite=overwrite):
            for entry in path.iterdir():  # its own files only (checked); the folder stays (it may be the cwd)
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        (path / PROGRESS).mkdir(parents=True, exist_ok=True)
        for tmp in path.glob("*.tmp"):  # a shard or record cut off by a kill
            tmp.unlink()
        folder = cls(path, plan)
        (path / PROGRESS / "spec.json").write_text(json.dumps(plan.to_dict(), indent=1, sort_keys=True))
        folder.done = folder._verified_records()
        return folder

    def _verified_records(self) -> dict[int, dict[str, Any]]:
        records: dict[int, dict[str, Any]] = {}
        for p in sorted((self.path / PROGRESS).glob("shard-*.json")):
            try:
                rec = _json_object(p)
                records[int(rec["index"])] = rec
            except (ValidationError, KeyError, TypeError, ValueError):
                continue  # a record cut off or damaged: its shard is made again (and the record rewritten)
        manifest = self.path / "manifest.json"
        if manifest.exists():  # a finished corpus: its records are in the manifest
            doc = _json_object(manifest)
            try:
                for s in doc.get("shards", []):
                    s = dict(s, entries=[e for e in doc["recordings"] if e["file"] == s["file"]])
                    records.setdefault(int(s["index"]), s)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise ValidationError(f"{manifest} is damaged (its shards and recordings are not the lists "
                                      "imuforge generate writes)", allowed="remove the folder, or choose "
                                      "another --out") from None
        from imuforge.progress import progress

        ok = {}
        for i, rec in progress(records.items(), total=len(records), desc="verify", unit="shard"):
            f = self.path / str(rec.get("file", ""))  # each done shard's bytes: a bar (a large corpus is GBs)
            if i < self.plan.n_shards and f.is_file() and sha256_file(f) == rec.get("sha256"):
                ok[i] = rec
        return ok

    @property
    def todo(self) -> list[int]:
        return [i for i in range(self.plan.n_shards) if i not in self.done]

    def write_shard(self, result: ShardResult) -> None:
        """The shard file (temp, then rename), then its progress record (temp, then rename)."""
        rec = result.record
        _write_atomic(self.path / rec["file"], result.data)
        _write_atomic(self.path / PROGRESS / f"shard-{result.index:05d}.json", json.dumps(rec).encode())
        self.done[result.index] = rec

    def finish(self) -> Path:
        """Write ``manifest.json`` from the shard records in shard order and drop the progress folder."""
        from imuforge.recording import Dataset

        shards = [self.done[i] for i in range(self.plan.n_shards)]
        entries = [e for s in shards for e in s["entries"]]
        meta = {"generator": "imuforge generate", **self.plan.to_dict(),
                "totals": {"recordings": len(entries), "shards": len(shards),
                           "implausible": sum(len(s.get("implausible", [])) for s in shards),
                           "samples": int(sum(s["samples"] for s in shards)),
                           "duration_s": float(sum(s["duration_s"] for s in shards))}}
        ds = Dataset(path=self.path, entries=entries, meta=meta,
                     shards=[{k: v for k, v in s.items() if k != "entries"} for s in shards])
        ds._write_manifest()
        shutil.rmtree(self.path / PROGRESS, ignore_errors=True)
        return self.path / "manifest.json"


def check_corpus_out(path: Path, plan: Plan, *, overwrite: bool = False) -> bool:
    """Refuse an ``--out`` the run may not write (before any work); True: it holds an earlier corpus of
    another spec that ``overwrite`` replaces (a folder holding other files is never replaced)."""
    path = Path(path)
    check_out_writable(path)
    previous = _previous_plan(path)
    if not (path.is_dir() and any(path.iterdir()) and previous != plan.to_dict()):
        return False
    if not overwrite:
        why = _what_differs(previous, plan.to_dict()) if previous is not None else ""
        what = ("other files" if previous is None
                else f"a corpus {why}" if why.startswith(("made by", "whose device profiles"))
                else f"a corpus of another spec ({why})")
        # --overwrite replaces only an earlier corpus with nothing else beside it: offered where it would
        foreign = foreign_entries(path, CORPUS_FILES)
        replaceable = previous is not None and not foreign
        if previous is not None and foreign:
            more = " …" if len(foreign) > 3 else ""
            what += f" and other files than a corpus ({', '.join(foreign[:3])}{more})"
        cure = "choose another --out" + (" or pass --overwrite" if replaceable else "")
        raise OutputExistsError(f"{path} holds {what}; {cure} (allowed: a new or empty folder"
                              + (", or this corpus's folder with --overwrite" if replaceable else "") + ")")
    check_replaceable(path, "--out", what="corpus", marker=CORPUS_MARKER, own=CORPUS_FILES)
    return True


def check_out_writable(path: Path) -> None:
    """Refuse an ``--out`` that is a file, below a file, or where nothing can be written (one line each),
    before the spec is planned."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValidationError(f"--out {path} is a file",
                              allowed="a new folder, or one this spec was written to")
    check_parents(path)
    _check_writable(path)


def _check_writable(path: Path) -> None:
    """Refuse an ``--out`` that cannot be made or written, by making (and removing) an empty folder in it, or
    in the nearest folder above it that exists: permissions alone do not tell (root may write anywhere the
    mode says, not in /sys or /proc, nor on a read-only mount). It had been refused only when the first
    file was written, after the plan's line (and a "0 kB free" warning for /sys)."""
    import tempfile

    here = path.absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".imuforge-write-check-", dir=here))
    except OSError as exc:  # /proc says ENOENT of a folder that exists
        why = "no folder can be made there" if isinstance(exc, FileNotFoundError) else exc.strerror or exc
        raise ValidationError(f"--out {path}: cannot write in {here} ({why})",
                              allowed="a folder you can write in, or one to be made inside such a folder") \
            from None


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON object this module wrote (a progress record, the plan, the manifest), or one line naming the
    damaged file."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        doc, why = None, f"not JSON: {str(exc).splitlines()[0][:80]}"
    else:
        why = f"a JSON {type(doc).__name__}, not an object"
    if not isinstance(doc, dict):
        raise ValidationError(f"{path} is damaged ({why})",
                              allowed="the file as imuforge generate wrote it: remove the folder, or choose "
                                      "another --out")
    return doc


def _previous_plan(path: Path) -> dict[str, Any] | None:
    """The plan a folder was written for (progress record or finished manifest), or None."""
    spec_file = path / PROGRESS / "spec.json"
    if spec_file.is_file():
        return _json_object(spec_file)
    manifest = path / "manifest.json"
    if manifest.is_file():
        meta = _json_object(manifest).get("meta", {})
        if isinstance(meta, dict) and isinstance(meta.get("spec"), dict):
            return {k: meta[k] for k in ("spec", "sources", "generator_code", "keyframed") if k in meta}
    return None


def _what_differs(previous: dict[str, Any], current: dict[str, Any]) -> str:
    """What tells two plans apart, in the spec's words: the fields, or the key-framed files edited since."""
    was, now = previous.get("spec", {}), current["spec"]
    fields = sorted(k for k in set(was) | set(now) if was.get(k) != now.get(k))
    if fields:
        return "spec field(s) " + ", ".join(fields) + " differ"
    files = now.get("keyframed", [])
    old, new = previous.get("keyframed", []), current.get("keyframed", [])
    edited = [f for i, f in enumerate(files) if i >= len(old) or i >= len(new) or old[i] != new[i]]
    if edited:
        return "key-framed file(s) " + ", ".join(edited) + " edited since"
    was_code, now_code = previous.get("generator_code") or {}, current.get("generator_code") or {}
    if was_code != now_code:
        if was_code and {k for k in set(was_code) | set(now_code) if was_code.get(k) != now_code.get(k)} \
                == {"profiles_sha256"}:  # the same code: a device profile of the spec was edited since
            return (f"whose device profiles were edited since: profiles {was_code.get('profiles_sha256')}, "
                    f"now {now_code.get('profiles_sha256')}")
        return (f"made by other generator code: {_generator_name(was_code)}, this run "
                f"{_generator_name(now_code)}")
    return "its motion sources differ: made by another imuforge version"


def _generator_name(code) -> str:
    """How a plan's ``generator_code`` reads in a message (one recorded before session 42 has none)."""
    if not isinstance(code, dict) or not code:
        return "an imuforge that did not record its code"
    return (f"imuforge {code.get('imuforge')} (code {code.get('code_sha256')}, profiles "
            f"{code.get('profiles_sha256')})")


@dataclass(frozen=True)
class ShardFailure:
    """A shard not made: its index, why (the exception's type and message; a refusal's own words, with what
    is allowed), and whether it was ``refused`` — bad input, the same on every try, so never retried — rather
    than a fault that may pass."""

    index: int
    reason: str
    refused: bool = False


@dataclass
class CorpusResult:
    """What a run did: shards made now and skipped (already done), failures, totals and timing."""

    path: Path
    made: int
    skipped: int
    failures: list[ShardFailure]
    recordings: int
    duration_s: float
    seconds: float
    made_recordings: int = 0
    made_duration_s: float = 0.0
    #: names of the corpus's recordings whose motion is flagged implausible (kept; see ``ShardResult``)
    implausible: list[str] = field(default_factory=list)
    #: (profile, placement, worn at): how many people the wear variation put on the other side
    #: (:func:`moved_people`)
    moved: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.failures

    @property
    def rate(self) -> float:
        """Recordings made per second of wall time in this run."""
        return self.made_recordings / self.seconds if self.seconds > 0 else float("nan")


class CorpusWriteError(ImuforgeError):
    """A finished shard could not be written to the corpus folder (e.g. the disk is full); the shards written
    before it are kept, and the same command resumes after the cause is fixed."""

    def __init__(self, exc: OSError, kept: int):
        where = exc.filename or "the corpus folder"
        super().__init__(f"cannot write {where}: {exc.strerror or exc}; the {kept} shard(s) written before "
                         "it are kept (free space or fix the folder, then run the same command again to make "
                         "the rest)")


def generate_corpus(spec: CorpusSpec, out: str | os.PathLike, *, workers: int | None = None,
                    ray_address: str | None = None, overwrite: bool = False, retries: int = 2,
                    on_shard: Callable[[ShardResult], None] | None = None,
                    on_start: Callable[[int], None] | None = None, plan: Plan | None = None) -> CorpusResult:
    """Make the corpus ``spec`` describes in ``out`` (resuming a run of the same spec there).

    ``workers`` None: in this process; N: a local Ray instance with N workers; ``ray_address``: an
    existing Ray cluster. A failed shard is retried ``retries`` times, then reported in the result
    (the manifest is written only when every shard is done; run again to make the missing ones).
    ``on_start``: called with the number of shards already done (verified, skipped) before any is made.
    ``plan``: ``make_plan(spec)`` made beforehand (``imuforge generate`` plans to say what it will make), not
    made again — a spec of millions of recordings takes seconds to plan.
    """
    from imuforge.synth.engine import check_engine, check_ray_reachable, ray_session

    check_engine(workers, ray_address, retries)  # before the folder is touched, as every check below
    if plan is None:
        plan = make_plan(spec)
    elif plan.spec != spec:
        raise ValueError("plan was made of another spec than the one given")
    check_corpus_out(Path(out), plan, overwrite=overwrite)
    ray = sys.modules.get("ray")
    if ray_address is not None and not (ray is not None and ray.is_initialized()):
        check_ray_reachable(ray_address)  # not when connected already (the command's own check and session)
    with ray_session(workers, ray_address):  # connected (or refused) before anything is written
        folder = CorpusFolder.open(Path(out), plan, overwrite=overwrite)
        t0 = time.perf_counter()
        skipped = plan.n_shards - len(folder.todo)
        failures, made = _make_shards(folder, workers, ray_address, retries, on_shard, on_start)
    seconds = time.perf_counter() - t0
    if not failures:
        folder.finish()
    recs = sum(r["recordings"] for r in folder.done.values())
    dur = sum(r["duration_s"] for r in folder.done.values())
    flagged = [name for i in sorted(folder.done) for name in folder.done[i].get("implausible", [])]
    return CorpusResult(Path(out), made[0], skipped, failures, recs, dur, seconds, made[1], made[2], flagged,
                        moved_people(plan, folder.done))


def _make_shards(folder: CorpusFolder, workers: int | None, ray_address: str | None, retries: int,
                 on_shard: Callable[[ShardResult], None] | None,
                 on_start: Callable[[int], None] | None) -> tuple[list[ShardFailure], list]:
    """The shards ``folder`` still needs, made and written (a progress bar of recordings); the failures, and
    [shards, recordings, seconds of data] made."""
    from imuforge.progress import progress
    from imuforge.synth.engine import run_shards

    plan, todo = folder.plan, folder.todo
    if on_start is not None:
        on_start(plan.n_shards - len(todo))
    made = [0, 0, 0.0]
    bar = progress(total=len(plan.takes), initial=sum(r["recordings"] for r in folder.done.values()),
                   desc="generate", unit="rec", smoothing=0.1)

    def done(result: ShardResult) -> None:
        folder.write_shard(result)
        made[0] += 1
        made[1] += len(result.entries)
        made[2] += result.record["duration_s"]
        bar.update(len(result.entries))
        if on_shard is not None:
            on_shard(result)

    try:
        failures = run_shards(plan, todo, workers=workers, address=ray_address, retries=retries, on_result=done)
    except OSError as exc:  # writing a finished shard failed (the disk is full, the folder not writable)
        raise CorpusWriteError(exc, len(folder.done)) from None
    finally:
        bar.close()
    return failures, made


def moved_people(plan: Plan, done: dict[int, dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """How many people of the shards ``done`` the wear variation put on the other side of the body, by
    (profile, placement listed, placement worn at): a ``"default"`` placement's side varies
    (:attr:`Take.keep_side`), and its recordings are named for where they are."""
    people: dict[tuple[str, str, str], set[int]] = {}
    for i, rec in done.items():
        for take, entry in zip(plan.shard_takes(i), rec.get("entries", [])):
            worn = entry.get("placement")
            if isinstance(worn, str) and worn != take.placement:
                people.setdefault((take.profile, take.placement, worn), set()).add(take.person)
    return {k: len(v) for k, v in sorted(people.items())}
