"""One generation call: activity or text → Motion → simulated device → Recording, seeded by the cell.

Every recording is a *take*: a motion source (a :class:`~imuforge.motion.text.MotionSpec`, made from an
activity name or a text), a virtual person (an index), a device profile and a placement. Its seeds
derive from the generation seed and the take's cell only — never from which worker makes it, in which
order, or what else is made in the same call — so one take is the same Recording whether it is made
by ``imuforge motion``, ``imuforge demo`` or one shard of ``imuforge generate`` on a cluster:

* the person's body: ``(seed, "person", person)`` — person *p* is one body in every activity;
* the motion (parameter jitter, gait phase …): ``(seed, "motion", source, person)``;
* the device errors: ``(seed, "device", source, person, profile, placement)``;
* the wear (how the person wears the device): the body and subject (see :func:`imuforge.sensors.wear.wear_key`),
  so a person wears a device the same way in every activity.

Subjects are named :func:`subject_id` (``synthetic-007``; ``synthetic-s3-007`` for seed 3), so subject-wise
splits keep a body together and corpora of different seeds (different bodies) never share a subject.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from imuforge.errors import ValidationError

if TYPE_CHECKING:
    from imuforge.motion.body import Person
    from imuforge.motion.motion import Motion
    from imuforge.motion.text import MotionSpec
    from imuforge.recording import Recording
    from imuforge.sensors import HardwareProfile

#: generator name written into each Recording's provenance
GENERATOR = "imuforge.synth"


def derive_seed(seed: int, *key: Any) -> int:
    """A 31-bit seed from the generation seed and a cell key; the same in every process and on every machine."""
    digest = hashlib.sha256(json.dumps([int(seed), *key], sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def subject_id(person: int, seed: int = 0) -> str:
    """The subject id of virtual person ``person`` of generation ``seed`` (one body across activities,
    devices and placements): ``synthetic-007`` for seed 0, ``synthetic-s3-007`` for seed 3 — another seed
    draws other bodies, so data sets of two seeds mixed in one training never merge two people into one."""
    return f"synthetic-{int(person):03d}" if int(seed) == 0 else f"synthetic-s{int(seed)}-{int(person):03d}"


def source_key(spec: MotionSpec) -> str:
    """What identifies a motion source in the seeds: activity, duration, parameters and text."""
    return json.dumps({"activity": spec.activity, "duration_s": spec.duration_s, "params": spec.params,
                       "text": spec.text}, sort_keys=True, default=str)


@dataclass(frozen=True)
class Take:
    """One recording to make: motion source (index into the sources), person, profile, placement.

    ``keep_side``: the wear variation never moves this device to the other side of the body (a placement
    the user named, as ``imuforge motion --placement`` keeps it: :func:`side_kept`); else a wear variation
    with ``side`` on may put it on the mirrored placement (a ``"default"`` placement)."""

    source: int
    person: int
    profile: str
    placement: str
    keep_side: bool = False

    def name(self, spec: MotionSpec, placement: str | None = None) -> str:
        """A file-safe, unique name: ``walking-s00-p003-nano33-ble-sense-rev2-wrist_left``; ``placement``: the
        one the device was worn at (the wear variation's side: the recording is named for where it is)."""
        where = placement or self.placement
        return f"{spec.activity}-s{self.source:02d}-p{self.person:03d}-{self.profile}-{where}"


def person_motion(spec: MotionSpec, person: int, *, seed: int, fps: float = 100.0, variation: float = 0.1,
                  activities: dict | None = None) -> Motion:
    """Person ``person`` performing ``spec``: a body from ``(seed, person)``, parameters jittered by
    ``variation``.

    ``activities``: activities beyond the library's, by name (a key-framed description's ``activity()``).
    """
    from imuforge.motion.library import schedule
    from imuforge.motion.text import varied_params

    body = _person_body(seed, person)
    rng = np.random.default_rng(derive_seed(seed, "motion", source_key(spec), int(person)))
    params = varied_params(spec.params, spec.activity, rng, variation)
    motion = schedule([(spec.activity, spec.duration_s, params)], fps=fps, rng=rng, person=body, blend_s=0.0,
                      activities=activities)
    motion.meta.update(text=spec.text, spec=spec.to_dict(), seed=int(seed), person_index=int(person))
    return motion


def sequence_key(specs: Sequence[MotionSpec]) -> str:
    """What identifies a sequence of motion sources in the seeds (:func:`source_key` for one)."""
    return source_key(specs[0]) if len(specs) == 1 else json.dumps([source_key(s) for s in specs])


def person_sequence(specs: Sequence[MotionSpec], person: int, *, seed: int, fps: float = 100.0,
                    variation: float = 0.1) -> tuple[Motion, list[str]]:
    """Person ``person`` performing ``specs`` one after the other (a description that orders activities,
    :func:`~imuforge.motion.text.parse_sequence`) in one continuous Motion, with the transitions their
    postures need added (:func:`~imuforge.motion.library.bridge_postures`); and one line per transition added.
    Seeded as :func:`person_motion` is, by the sequence (:func:`sequence_key`)."""
    from imuforge.motion.library import bridge_postures, schedule
    from imuforge.motion.text import varied_params

    body = _person_body(seed, person)
    rng = np.random.default_rng(derive_seed(seed, "motion", sequence_key(specs), int(person)))
    items = [(s.activity, s.duration_s, varied_params(s.params, s.activity, rng, variation)) for s in specs]
    items, added = bridge_postures(items)
    motion = schedule(items, fps=fps, rng=rng, person=body)
    motion.meta.update(text=" | ".join(s.text for s in specs), specs=[s.to_dict() for s in specs],
                       seed=int(seed), person_index=int(person))
    return motion, added


@functools.lru_cache(maxsize=1024)
def _person_body(seed: int, person: int) -> Person:
    """The body of virtual person ``person`` of generation ``seed``: ``Person.sample`` from ``(seed, "person",
    person)``, drawn once per process (the person performs every activity of a corpus; a ``Person`` is
    frozen)."""
    from imuforge.motion.body import Person

    return Person.sample(np.random.default_rng(derive_seed(int(seed), "person", int(person))))


def record(motion: Motion, profile: HardwareProfile, placement: str, *, seed: int, person: int, key: str,
           wear=None, subject: str | None = None) -> Recording:
    """The Recording of ``motion`` by a ``profile`` device at ``placement``, worn by person ``person``.

    ``key`` names the motion source in the device seed (:func:`source_key`, or a file or schedule name);
    ``subject``: the recording's subject id where the motion is a performer's own (an imported file), else
    virtual person ``person``'s (:func:`subject_id`).
    """
    from imuforge.sensors import simulate

    dev_seed = derive_seed(seed, "device", key, int(person), profile.name, placement)
    rec = simulate(motion, profile, placement, seed=dev_seed, subject=subject or subject_id(person, seed),
                   wear=wear)
    return _with_cell([rec], seed, person, key)[0]


def record_many(motion: Motion, profile: HardwareProfile, placements: Sequence[str], *, seed: int,
                person: int, key: str, wear=None) -> list[Recording]:
    """:func:`record` at each of ``placements`` (each its own device, seeded by its cell), in one
    ``simulate_many`` pass: the motion's kinematics, contacts and the wearer's draws once for all of them."""
    from imuforge.sensors import simulate_many

    dev_seeds = [derive_seed(seed, "device", key, int(person), profile.name, pl) for pl in placements]
    recs = simulate_many(motion, profile, list(placements), seed=dev_seeds, subject=subject_id(person, seed),
                         wear=wear)
    return _with_cell(recs, seed, person, key)


def _with_cell(recs: list[Recording], seed: int, person: int, key: str) -> list[Recording]:
    """The new Recordings ``recs`` with their cell (generation seed, person, source) in the provenance."""
    cell = {"generator": GENERATOR, "seed": int(seed), "person": int(person), "source": key}
    for rec in recs:
        # rec is new and ours: set its provenance as rec.replace(provenance=…) would, without validating and
        # copying the arrays a second time
        rec.provenance = {**rec.provenance, "cell": cell}
    return recs


class Profiles:
    """Hardware profiles by name, loaded once; ``"default"`` placements resolved to the profile's own.
    ``base``: the folder a relative profile file is read from (a corpus spec's: :func:`profile_source`)."""

    def __init__(self, given: Iterable[HardwareProfile] = (), base: Path | None = None):
        self._cache: dict[str, HardwareProfile] = {p.name: p for p in given}
        self.base = base

    def get(self, name: str) -> HardwareProfile:
        if name not in self._cache:
            from imuforge.sensors import load_profile

            self._cache[name] = load_profile(profile_source(name, self.base))
        return self._cache[name]

    def placement(self, profile: str, placement: str | None) -> str:
        return self.get(profile).default_placement if placement in (None, "default") else str(placement)


def profile_source(name: str, base: Path | None) -> str | Path:
    """What :func:`~imuforge.sensors.load_profile` reads for a spec's ``name``: a profile's name as it is, a
    relative profile file from ``base`` (a spec's folder: the same whatever folder the command runs in, as
    its key-framed files; it had been read from the working folder)."""
    path = Path(name)
    if base is None or path.is_absolute() or (path.suffix != ".toml" and not any(c in name for c in "/\\")):
        return name
    return base / path


def plan_takes(n_sources: int, people: int, profiles: Sequence[str], placements: Sequence[str]) -> list[Take]:
    """Every take of a grid, in the one order shards are cut from: source, person, profile, placement."""
    return [Take(s, p, prof, pl) for s in range(n_sources) for p in range(people)
            for prof in profiles for pl in placements]


def generate_recordings(sources: Sequence[MotionSpec], takes: Iterable[Take], *, seed: int, fps: float = 100.0,
                        wear=None, variation: float = 0.1, profiles: Profiles | None = None,
                        activities: dict | None = None) -> Iterator[tuple[Take, Motion, Recording]]:
    """Make each take's Recording (and its Motion), one motion per consecutive (source, person) run of takes.

    The result of a take depends only on ``sources[take.source]``, the take and ``seed``/``fps``/``wear``/
    ``variation`` — not on the other takes — so any partition of the takes (shards, workers) gives the same
    Recordings. A ``"default"`` placement is the profile's own. Consecutive takes of one motion and
    profile (its placements) are simulated together (:func:`record_many`; the same Recordings).
    """
    profiles = profiles or Profiles()
    last: tuple[int, int] | None = None
    motion = None
    for run in _device_runs(takes):
        take = run[0]
        if not 0 <= take.source < len(sources):
            raise ValidationError(f"take source {take.source} out of range", allowed=f"0 … {len(sources) - 1}")
        if (take.source, take.person) != last:
            motion = person_motion(sources[take.source], take.person, seed=seed, fps=fps, variation=variation,
                                   activities=activities)
            last = (take.source, take.person)
        prof = profiles.get(take.profile)
        recs: dict[int, Recording] = {}
        for keep in sorted({t.keep_side for t in run}):  # a kept side is another wear variation: its own pass
            group = [k for k, t in enumerate(run) if t.keep_side == keep]
            placements = [profiles.placement(run[k].profile, run[k].placement) for k in group]
            made = record_many(motion, prof, placements, seed=seed, person=take.person,
                               key=source_key(sources[take.source]), wear=side_kept(wear) if keep else wear)
            recs.update(zip(group, made))
        for k, t in enumerate(run):  # in the takes' order
            yield t, motion, recs[k]


def side_kept(wear):
    """``wear`` (anything ``simulate``'s ``wear`` takes) without its side variation: a device at a placement
    the user named stays on that side of the body (``imuforge motion --placement`` does the same)."""
    from dataclasses import replace

    from imuforge.sensors.wear import WearVariation

    return replace(WearVariation.parse(wear), side=False)


def _device_runs(takes: Iterable[Take]) -> Iterator[list[Take]]:
    """The takes in runs of consecutive ones of one source, person and profile (they differ in placement)."""
    run: list[Take] = []
    for take in takes:
        if run and (take.source, take.person, take.profile) != (run[0].source, run[0].person, run[0].profile):
            yield run
            run = []
        run.append(take)
    if run:
        yield run


_BLAS_POOLS = None
_HEAP_KEPT = False
#: glibc malloc thresholds while generating: arrays up to 32 MB from the heap, freed memory kept up to 64 MB
HEAP_MMAP_THRESHOLD = 32 << 20
HEAP_TRIM_THRESHOLD = 64 << 20


def keep_freed_memory() -> bool:
    """Let this process reuse freed memory instead of returning it to the system after every array.

    Generation allocates and frees many 0.1–2 MB arrays per recording; with glibc's default thresholds
    each such array is a fresh ``mmap`` (or the heap top is trimmed and regrown), so every one of them
    page-faults in again: ≈ 1 100 faults and 2 ms of kernel time per 8 s walking motion, a quarter of its
    CPU. Raising ``M_MMAP_THRESHOLD`` / ``M_TRIM_THRESHOLD`` (``mallopt``) keeps up to
    :data:`HEAP_TRIM_THRESHOLD` of freed memory in the process. Once per process; only on glibc, and not
    when the user set ``MALLOC_*`` variables. Returns whether the thresholds were set (now or before).
    """
    global _HEAP_KEPT
    if _HEAP_KEPT:
        return True
    import os
    import sys

    if not sys.platform.startswith("linux") or any(k.startswith("MALLOC_") for k in os.environ):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        ok = libc.mallopt(m_mmap_threshold, HEAP_MMAP_THRESHOLD) == 1 and \
            libc.mallopt(m_trim_threshold, HEAP_TRIM_THRESHOLD) == 1
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    _HEAP_KEPT = ok
    return ok


def single_threaded() -> contextlib.AbstractContextManager:
    """A context in which numpy's and scipy's BLAS / OpenMP pools use one thread.

    Generation works on many short arrays (a recording is a few thousand samples × 3); a BLAS call
    on them gains nothing from a second thread, and an idle pool thread spinning after each call
    burns a core (≈ 2× the CPU time per recording on a 2-core machine). Parallelism is across
    shards (``--workers``; Ray starts its workers with one thread each already). Without
    threadpoolctl (a scikit-learn dependency) this is a no-op.
    """
    global _BLAS_POOLS
    if _BLAS_POOLS is None:
        try:
            import scipy.linalg  # load scipy's BLAS too, so the controller sees it
            import scipy.signal  # noqa: F401  (its BLAS too)
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            _BLAS_POOLS = False
        else:
            _BLAS_POOLS = ThreadpoolController()
    return _BLAS_POOLS.limit(limits=1) if _BLAS_POOLS else contextlib.nullcontext()


def clear_caches() -> None:
    """Forget what generation remembers between recordings of one process — each person's body, its offsets,
    gait style, gait-curve fits and planted-foot splines, wear, impact draw, impact peak searches and
    wobble filter designs, smooth-noise filters — so a benchmark can time a corpus as a fresh process makes it (the caches
    fill again as it runs)."""
    from imuforge.motion import body
    from imuforge.motion.library import _core, gait
    from imuforge.sensors import impact, wear

    for f in (_person_body, body._offsets, gait._gait_style, gait._coefficients, gait._coefficient_matrix,
              gait._foot_spline, _core.fourier_fit, _core._gaussian_filter, impact._draw_impact,
              impact._unit_peak, wear._wobble_filters):
        f.cache_clear()
    wear._WEAR_CACHE.clear()
    gait._BASES.clear()
    gait._FOOT_TABLES.clear()
    gait._PELVES.clear()
    gait._STRIDE_WEIGHTS.clear()


def activity_spec(activity: str, seconds: float | None) -> MotionSpec:
    """A MotionSpec for a named library activity (transitions take their natural duration)."""
    from imuforge.motion.library import ACTIVITIES
    from imuforge.motion.text import MotionSpec

    if activity not in ACTIVITIES:
        raise ValidationError(f"unknown activity {activity!r}", allowed=", ".join(ACTIVITIES))
    kind = ACTIVITIES[activity].kind
    return MotionSpec(activity, None if kind == "transition" else seconds, {}, text="", score=1.0)


__all__ = ["GENERATOR", "Profiles", "Take", "activity_spec", "clear_caches", "derive_seed", "generate_recordings",
           "keep_freed_memory", "person_motion", "person_sequence", "plan_takes", "record", "record_many",
           "sequence_key", "single_threaded", "source_key", "subject_id"]
