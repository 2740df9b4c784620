"""Output folders: a command writes a new (or empty) one, or replaces only an earlier output of its own, and a
failed run leaves nothing behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path

from imuforge.errors import OutputExistsError, ValidationError


def check_writable_folder(folder: str | os.PathLike, option: str, shown: str | os.PathLike,
                          allowed: str) -> None:
    """Refuse, before any work, a ``folder`` an output goes into (it may not exist yet) that cannot be made or
    written: a file in the way, or no write access to the nearest folder that exists. ``option`` and
    ``shown``: the flag and value the user gave, named in the one-line error."""
    here = Path(folder).absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        raise ValidationError(f"{option} {shown}: {here} is a file, not a folder", allowed=allowed)
    if not os.access(here, os.W_OK | os.X_OK):
        raise ValidationError(f"{option} {shown}: cannot write in {here}", allowed=allowed)


def check_replaceable(out: Path, option: str, *, what: str, marker: tuple[str, ...],
                      own: tuple[str, ...] = ()) -> None:
    """Refuse to replace ``out`` unless it is new, empty or an earlier ``what`` (a noun: "export"): it holds
    a ``marker`` file (a path inside it) and, given ``own`` (glob patterns of the names the command writes),
    nothing else.
    Replacing it must never delete a user's other files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"{option} {out} is a file", allowed="a new or empty folder")
    above = next((p for p in out.parents if p.exists()), None)  # the nearest that exists: where it is made
    if above is not None and not above.is_dir():  # ("cannot write …: File exists" before)
        raise ValidationError(f"{option} {out}: {above} is a file, not a folder",
                              allowed="a new or empty folder, in a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    foreign = foreign_entries(out, own)
    if foreign or not any((out / m).is_file() for m in marker):
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        named = f" ({', '.join(foreign[:3])}{more})" if foreign else ""
        a = "an" if what[0] in "aeiou" else "a"
        raise ValidationError(f"{option} {out} holds other files than {a} {what}{named}",
                              allowed=f"a new or empty folder, or an earlier {what} (with {marker[0]}) "
                                      "to replace")


def foreign_entries(out: Path, own: tuple[str, ...]) -> list[str]:
    """The names in folder ``out`` that none of ``own`` (glob patterns of a command's entries) matches,
    sorted (none when ``own`` is empty: nothing to tell apart)."""
    return sorted(p.name for p in out.iterdir() if own and not any(fnmatch(p.name, o) for o in own))


def replace_entries(out: Path, stage: Path) -> None:
    """Move the entries of ``stage`` into the existing folder ``out`` in place of its own (checked by
    :func:`check_replaceable`), which are set aside first and deleted last; ``stage`` is removed. The folder
    itself stays: it may be the current one."""
    out = Path(out).resolve()
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    old.mkdir()
    for entry in out.iterdir():
        os.rename(entry, old / entry.name)
    for entry in Path(stage).iterdir():  # a move: the stage may be on another file system (a temp folder)
        shutil.move(str(entry), str(out / entry.name))
    Path(stage).rmdir()
    shutil.rmtree(old, ignore_errors=True)


def check_parents(out: Path, option: str = "--out") -> None:
    """Refuse an output folder below a file (a folder cannot be made there)."""
    blocked = next((a for a in out.resolve().parents if a.exists() and not a.is_dir()), None)
    if blocked is not None:
        raise ValidationError(f"{blocked} is a file, not a folder to write {option} {out} in",
                              allowed="an output folder whose parents are folders (or do not exist yet)")


def check_new_folder(out: Path, option: str = "--out", *, overwrite: bool | None = None) -> None:
    """Refuse an output folder a command may not write (before any work): a file, a folder under a file, or a
    non-empty folder (unless ``overwrite``; None: the command has no --overwrite to offer)."""
    tip = " (or --overwrite a folder)" if overwrite is not None else ""
    if out.exists() and not out.is_dir():
        raise ValidationError(f"{option} {out} is a file", allowed=f"a new or empty folder{tip}")
    if not out.exists() and out.name.lower().endswith((".imu.parquet", ".csv", ".motion.npz")):
        raise ValidationError(f"{option} {out} is named like a file, but a folder is written there",
                              allowed="a folder name (the command writes its files into it)")
    check_parents(out, option)
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(f"{out} exists and is not empty; choose another {option}"
                              + (" (--overwrite replaces an earlier output of this command, nothing else)"
                                 if overwrite is not None else ""))


def _remove_made(missing: list[Path]) -> None:
    """Remove the parent folders a staging made (``missing``: deepest first) while they are empty."""
    for a in missing:
        try:
            a.rmdir()
        except OSError:
            if os.path.isdir(a):  # made, and not empty now: something else is in it, and so in its parents
                break
            # not made: the failure came before it (a name too long, a read-only place)


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write into; it replaces ``out`` only if the block succeeds.

    On any failure (including Ctrl-C) the staging folder, and parent folders made for it, are
    removed: a failed run leaves nothing behind. An existing ``out`` keeps its folder (it may be the current
    one) and gets the new entries in place of its own.
    """
    final = out.resolve()
    missing = [a for a in final.parents if not a.exists()]
    stage = final.with_name(f".{final.name}.partial-{os.getpid()}")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir()
    except OSError as exc:  # a read-only place, /proc: say so of the folder asked for, not of the staging one
        _remove_made(missing)
        raise ValidationError(f"cannot write {out}: {exc.strerror or exc}",
                              allowed="an output folder in a place this user may write") from None
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_made(missing)
        raise
    if not final.exists():
        os.rename(stage, final)
        return
    replace_entries(final, stage)  # an empty folder the user made, or (--overwrite) an earlier output
