"""``CorpusSpec``: what ``imuforge generate`` makes, read from a TOML file and validated once.

A spec names the motion sources (library ``activities`` and/or ``texts`` matched to activities), the
``profiles`` and ``placements`` (``"default"``: the profile's own), ``people`` virtual people per cell,
``seconds`` per recording, the ``seed``, the wear-variation switch and ``shard_size`` (recordings per
shard). See docs/CORPUS.md and examples/corpus-small.toml.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from imuforge.errors import SEED_MAX, SEED_MIN, ValidationError
from imuforge.motion.motion import MAX_FRAMES

#: every key a spec may hold, with its meaning (the ``allowed`` of an unknown key)
FIELDS = {
    "name": "corpus name (letters, digits, _ . -)",
    "seed": f"integer {SEED_MIN} … {SEED_MAX}",
    "activities": "list of library activities",
    "texts": "list of descriptions, matched to activities",
    "keyframed": "list of key-framed activity files (.toml, docs/MOTION.md; relative to the spec's folder)",
    "matcher": "keywords | embedding (for texts)",
    "profiles": "list of hardware profile names or .toml files (a relative file: from the spec's folder)",
    "placements": "list of placement presets, or 'default' (the profile's)",
    "people": "virtual people per cell, 1 … 100000",
    "seconds": "seconds per recording, 1 … 3600",
    "fps": "motion frame rate, 5 … 1000 Hz",
    "variation": "parameter jitter per person, 0 … 0.5",
    "wear_variation": "none | default | a comma list (or a TOML list) of rotation, offset, looseness, flips, "
                      "side",
    "shard_size": "recordings per shard, 1 … 100000",
}


@dataclass(frozen=True)
class CorpusSpec:
    """A validated corpus spec (see the module doc); ``source`` is the file it came from."""

    name: str
    seed: int
    activities: tuple[str, ...]
    texts: tuple[str, ...]
    matcher: str
    profiles: tuple[str, ...]
    placements: tuple[str, ...]
    people: int
    seconds: float
    fps: float
    variation: float
    wear_variation: str
    shard_size: int
    keyframed: tuple[str, ...] = ()
    source: str = "<spec>"
    #: the spec file's folder, absolute, as the process that read it saw it (a Ray worker's working folder
    #: may be another): where relative key-frame and profile files are read (:attr:`folder`)
    base: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON (without its file name): what a corpus manifest records and resume compares."""
        d = asdict(self)
        d.pop("source")
        d.pop("base")
        if not d["keyframed"]:  # a spec without them reads as it did before they existed (resume, manifests)
            d.pop("keyframed")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @property
    def default_wear(self) -> bool:
        """Whether ``wear_variation`` is the default by a word (``default``, or a synonym
        :meth:`WearVariation.parse <imuforge.switches.Switches.parse>` reads as it: ``all``, ``on``), not a
        list naming its sources: a named placement then keeps its side (a list naming ``side`` moves it)."""
        from imuforge.sensors.wear import WearVariation
        from imuforge.switches import field_names

        word = self.wear_variation.strip().lower()  # one word, not a source's name ("side"), nor a list
        return ("," not in word and word not in field_names(WearVariation)
                and WearVariation.parse(word) == WearVariation())

    def keyframed_activities(self) -> tuple:
        """The key-framed activities (:func:`~imuforge.motion.library.keyframed.read_keyframed`), refused when
        one's label is a library activity or another's: a name stands for one activity."""
        from imuforge.labels import library_name
        from imuforge.motion.library.keyframed import read_keyframed

        acts = []
        for i, p in enumerate(self.keyframed_paths()):
            try:
                acts.append(read_keyframed(p))
            except ValidationError as exc:  # the spec's field first, then the file's own complaint
                where = f"{exc.source}: " if exc.source else ""
                allowed = exc.allowed or "a key-framed activity file (docs/MOTION.md)"
                raise ValidationError(f"keyframed[{i}]: {where}{exc.what}", source=self.source,
                                      allowed=allowed) from None
        labels = [a.label for a in acts]
        for a in acts:
            same = library_name(a.label)  # "wave": the library's waving, as --label reads it
            if same is not None or labels.count(a.label) > 1:
                what = ("given twice" if same is None else "a library activity" if same == a.label
                        else f"a library activity ({same!r})")
                raise ValidationError(f"keyframed: {a.source}'s label {a.label!r} is {what}",
                                      source=self.source, allowed="a label of its own per key-framed file")
        return tuple(acts)

    @property
    def folder(self) -> Path:
        """The spec file's folder: where its relative files (key frames, profiles) are read from."""
        return Path(self.base) if self.base else spec_folder(self.source)

    def keyframed_paths(self) -> tuple[Path, ...]:
        """The key-framed activity files, relative paths taken from the spec file's folder."""
        return tuple(p if (p := Path(k)).is_absolute() else self.folder / p for k in self.keyframed)

    @property
    def recordings(self) -> int:
        sources = len(self.activities) + len(self.texts) + len(self.keyframed)
        return sources * self.people * len(self.profiles) * len(self.placements)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str = "<spec>") -> CorpusSpec:
        """Check every field of ``doc`` (a parsed TOML table); errors name ``source``, the field and what is allowed."""
        if not doc:  # an empty file: not one missing field after another
            raise ValidationError("the spec is empty", source=source, allowed="TOML keys of a corpus spec: "
                                  "profiles and activities / texts / keyframed at least (e.g. "
                                  f"{_SPEC_ALLOWED().rsplit('e.g. ', 1)[-1]})")
        unknown = sorted(set(doc) - set(FIELDS))
        if unknown:
            raise ValidationError(f"unknown field {unknown[0]!r}", source=source, allowed=", ".join(FIELDS))
        f = _Fields(doc, source)
        spec = cls(name=f.name(), seed=f.integer("seed", 0, SEED_MIN, SEED_MAX),
                   activities=f.activities(), texts=f.strings("texts"),
                   matcher=f.choice("matcher", "keywords", ("keywords", "embedding")),
                   profiles=f.profiles(), placements=f.placements(),
                   people=f.integer("people", 4, 1, 100_000), seconds=f.number("seconds", 10.0, 1.0, 3600.0),
                   fps=f.number("fps", 100.0, 5.0, 1000.0), variation=f.number("variation", 0.1, 0.0, 0.5),
                   wear_variation=f.wear(), shard_size=f.integer("shard_size", 64, 1, 100_000),
                   keyframed=f.strings("keyframed"), source=source, base=str(spec_folder(source)))
        if not spec.activities and not spec.texts and not spec.keyframed:
            raise ValidationError("activities / texts / keyframed: the spec names no motion source",
                                  source=source, allowed="activities = [\"walking\", …] and/or texts = "
                                  "[\"a person jogs\", …] and/or keyframed = [\"exercise.toml\", …]")
        spec.keyframed_activities()  # each file read and checked here: a bad one fails before any work
        if spec.seconds * spec.fps > MAX_FRAMES:
            raise ValidationError(f"seconds × fps = {spec.seconds * spec.fps:,.0f} frames per motion", source=source,
                                  allowed=f"up to {MAX_FRAMES:,}")
        return spec


def spec_folder(source: str) -> Path:
    """The folder of the spec file ``source`` names, absolute, or the working folder for a spec made in
    memory (as this process sees them: :attr:`CorpusSpec.base` keeps it for the workers)."""
    return Path(source).resolve().parent if source != "<spec>" else Path.cwd()


def _SPEC_ALLOWED() -> str:
    """What a spec argument may be, with the example that ships with the package (a wheel user has no
    ``examples/`` folder of a checkout to find it in)."""
    from imuforge._shipped import shipped

    return f"a TOML corpus spec file, e.g. {shipped('examples', 'corpus-small.toml')}"


def load_spec(path: str | Path) -> CorpusSpec:
    """Read and check a spec TOML file."""
    path = Path(path)
    if not path.is_file():
        what = f"{path} is a folder" if path.is_dir() else f"no such spec file: {path}"
        raise ValidationError(what, allowed=_SPEC_ALLOWED())
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=str(path),
                              allowed=_SPEC_ALLOWED()) from None
    return CorpusSpec.from_dict(doc, source=str(path))


class _Fields:
    """Typed reads of a spec table, each error naming the file and field."""

    def __init__(self, doc: dict[str, Any], source: str):
        self.doc, self.source = doc, source

    def fail(self, key: str, what: str, allowed: str | None = None):
        raise ValidationError(f"{key}: {what}", source=self.source, allowed=allowed or FIELDS[key])

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        v = self.doc.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.fail(key, f"{v!r} is not an integer in {lo} … {hi}")
        return int(v)

    def number(self, key: str, default: float, lo: float, hi: float) -> float:
        v = self.doc.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and lo <= v <= hi):
            self.fail(key, f"{v!r} is not a number in {lo:g} … {hi:g}")
        return float(v)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        v = self.doc.get(key, default)
        if v not in allowed:
            self.fail(key, f"{v!r} is not known", ", ".join(allowed))
        return str(v)

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        v = self.doc.get(key, list(default))
        if isinstance(v, str):
            v = [v]
        elif isinstance(v, tuple):  # a dict made in Python (CorpusSpec keeps its lists as tuples)
            v = list(v)
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            self.fail(key, f"{v!r} is not a list of non-empty strings")
        if len(set(v)) != len(v):
            self.fail(key, "lists an entry twice")
        return tuple(v)

    def name(self) -> str:
        import re

        v = self.doc.get("name", "corpus")
        if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", v) or not v.strip("."):
            self.fail("name", f"{v!r} is not a safe name", "1 to 64 letters, digits, _ . - (not only dots)")
        return v

    def activities(self) -> tuple[str, ...]:
        from imuforge.motion.library import ACTIVITIES

        acts = self.strings("activities")
        for a in acts:
            if a not in ACTIVITIES:
                self.fail("activities", f"unknown activity {a!r}", ", ".join(ACTIVITIES))
        return acts

    def profiles(self) -> tuple[str, ...]:
        from imuforge.sensors import list_profiles, load_profile
        from imuforge.synth import profile_source

        if "profiles" not in self.doc:  # it had read "is empty" of a spec without the key
            self.fail("profiles", "missing: the spec names no device to simulate", f"{FIELDS['profiles']}, "
                      "e.g. profiles = [\"nano33-ble-sense-rev2\"] (imuforge profiles list)")
        names = self.strings("profiles")
        if not names:
            self.fail("profiles", "is an empty list")
        for n in names:
            try:
                load_profile(profile_source(n, spec_folder(self.source)))
            except ValidationError as exc:  # load_profile says: unknown (the names listed) or broken (why)
                if "unknown profile" in exc.what:
                    self.fail("profiles", f"unknown profile {n!r}",
                              ", ".join(p.name for p in list_profiles() if p.kind == "device"))
                # the file (and section) the profile's loader names, as `profiles show` says it
                where = (exc.source if n.endswith(".toml") else f"{n!r} ({exc.source})") if exc.source \
                    else repr(n)
                self.fail("profiles", f"{where}: {exc.what}", exc.allowed)
            except OSError as exc:  # a file that cannot be read
                self.fail("profiles", f"{n!r}: {exc}", "a readable profile .toml, or a profile's name")
        return names

    def placements(self) -> tuple[str, ...]:
        from imuforge.sensors import PLACEMENTS

        names = self.strings("placements", ("default",))
        if not names:
            self.fail("placements", "is empty", "default (the profile's own), or placement presets")
        for n in names:
            if n != "default" and n not in PLACEMENTS:
                self.fail("placements", f"unknown placement {n!r}", "default, " + ", ".join(PLACEMENTS))
        return names

    def wear(self) -> str:
        from imuforge.sensors.wear import WearVariation

        v = self.doc.get("wear_variation", "default")
        if isinstance(v, (list, tuple)) and not v:  # it had read "[] is not a string or a list of strings"
            self.fail("wear_variation", "is an empty list", "none (no variation), default, or a list "
                      "naming at least one of rotation, offset, looseness, flips, side")
        if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):  # a TOML list of the sources
            v = ",".join(v)
        if not isinstance(v, str):
            self.fail("wear_variation", f"{v!r} is not a string or a list of strings")
        try:
            WearVariation.parse(v)
        except ValidationError as exc:
            self.fail("wear_variation", exc.what, exc.allowed)
        return v
