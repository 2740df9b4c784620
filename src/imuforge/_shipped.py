"""Files that ship inside the package — the example corpus specs and key-framed activities, the docs, the
firmware sources — and how messages name them: a path the user can type, in a checkout and in an installed
wheel alike."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def firmware_sources() -> Path:
    """The firmware sources: the copy an installed wheel ships (``imuforge/firmware_bridge``, setup.py),
    else a source checkout's ``firmware_bridge/`` beside ``src/`` (looked for second: beside an installed
    package, ``…/lib/python3.11/firmware_bridge`` is no checkout's)."""
    own = PACKAGE / "firmware_bridge"
    return own if own.is_dir() else PACKAGE.parents[1] / "firmware_bridge"


def _here() -> Path | None:
    """The working folder, or None where it was removed under the process (every command's help reads it)."""
    try:
        return Path.cwd()
    except OSError:
        return None


def as_typed(path: Path) -> str:
    """``path`` relative to the working folder where it lies below it, else absolute; a folder ends in /; one
    that does not exist is said so."""
    if not path.exists():
        return f"{path} (not there)"
    slash = "/" if path.is_dir() else ""
    here = _here()
    try:  # (from / a relative path reads like a typo: "tmp/…/docs/")
        return f"{path.relative_to(here) if here is not None and here.parent != here else path}{slash}"
    except ValueError:
        return f"{path}{slash}"


def shipped(*parts: str) -> str:
    """The path of a shipped file or folder (``shipped("examples", "corpus-small.toml")``): as the working
    folder reaches it where it does (a checkout's ``examples/…``), else absolute (an installed package's
    ``…/site-packages/imuforge/examples/…``, which a wheel user has no checkout to find it in)."""
    target = PACKAGE.joinpath(*parts)
    here = _here()
    for shown in (Path(*parts), Path(*parts).relative_to(parts[0]) if len(parts) > 1 else None):
        if here is not None and shown is not None and (here / shown).exists() \
                and (here / shown).resolve() == target:
            return f"{shown}{'/' if target.is_dir() else ''}"  # a checkout's examples/ (a link)
    return as_typed(target)
