"""What made a corpus: the imuforge version and a digest of the code that turns a plan into recordings.

A corpus is resumable (:mod:`imuforge.synth.corpus`): a run started again skips the shards made before.
That is only sound while the code making the shards is the one that made them — a motion library or a
sensor model changed in between, with the version string unchanged (an editable install, a fix on a
branch), would leave a corpus half old and half new, with nothing in its manifest to tell. The plan
therefore carries :func:`generator_fingerprint` and the :func:`profiles_digest` of its devices (manifest key
``meta.generator_code``), a resume of a folder made with other code or profiles is refused (``--overwrite``
starts it again), and every worker checks that it runs the plan's code and reads the plan's profiles before
it makes a shard (a Ray cluster whose nodes have different imuforge installs or profile folders). The
versions of numpy, scipy and pyarrow are not part of it.

The digest covers the sources of what generation runs — the motion library and importers, the sensor
models (the compiled kernels' C sources included, not the built binaries, which differ by platform for the
same results), the corpus engine, the built-in profiles, the recording format — read as bytes in a fixed
order. Reading them takes a few milliseconds, once per process.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

#: the parts of the package a corpus's bytes depend on (folders searched recursively, and single modules)
GENERATOR_PARTS = ("motion", "sensors", "synth", "profiles", "recording.py", "resample.py", "units.py",
                   "labels.py", "switches.py")
#: the files of those parts that are code or data (not caches, not built binaries)
GENERATOR_SUFFIXES = (".py", ".c", ".h", ".toml", ".json")


def _files(root: Path) -> list[Path]:
    out = []
    for part in GENERATOR_PARTS:
        p = root / part
        found = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else []
        out += [f for f in found if f.suffix in GENERATOR_SUFFIXES and "__pycache__" not in f.parts]
    return out


def profiles_digest(profiles) -> str:
    """First 16 hex digits of the sha256 of the loaded profiles
    (:class:`~imuforge.sensors.profiles.HardwareProfile`, sorted by name; their folder left out): what a
    corpus's devices are, wherever they were read from — a built-in profile, or one in
    ``$IMUFORGE_PROFILES`` that the package's files do not cover."""
    from dataclasses import replace

    h = hashlib.sha256()
    for prof in sorted(profiles, key=lambda p: p.name):
        h.update(repr(replace(prof, path=None)).encode() + b"\0")
    return h.hexdigest()[:16]


def plan_code(profiles) -> dict[str, str]:
    """What a corpus plan records, and what a worker compares with it: :func:`generator_fingerprint` and the
    :func:`profiles_digest` of ``profiles`` (the spec's, loaded)."""
    return dict(generator_fingerprint(), profiles_sha256=profiles_digest(profiles))


@functools.lru_cache(maxsize=1)
def generator_fingerprint() -> dict[str, str]:
    """``{"imuforge": version, "code_sha256": first 16 hex digits}`` of this process's generator code."""
    import imuforge

    root = Path(imuforge.__file__).resolve().parent
    h = hashlib.sha256()
    for f in _files(root):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return {"imuforge": imuforge.__version__, "code_sha256": h.hexdigest()[:16]}


__all__ = ["GENERATOR_PARTS", "generator_fingerprint", "plan_code", "profiles_digest"]
