"""One check for every command that may replace an output folder: only an earlier output of its own."""

from __future__ import annotations

import os
import shutil
from fnmatch import fnmatch
from pathlib import Path

from imuforge.errors import ValidationError


def check_replaceable(out: Path, option: str, *, what: str, marker: tuple[str, ...],
                      own: tuple[str, ...] = ()) -> None:
    """Refuse to replace ``out`` unless it is new, empty or an earlier ``what`` (a noun: "export"): it holds
    a ``marker`` file (a path inside it) and, given ``own`` (glob patterns of the names the command writes),
    nothing else.
    Replacing it must never delete a user's other files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"{option} {out} is a file", allowed="a new or empty folder")
    if not out.exists() or not any(out.iterdir()):
        return
    foreign = sorted(p.name for p in out.iterdir() if own and not any(fnmatch(p.name, o) for o in own))
    if foreign or not any((out / m).is_file() for m in marker):
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        named = f" ({', '.join(foreign[:3])}{more})" if foreign else ""
        a = "an" if what[0] in "aeiou" else "a"
        raise ValidationError(f"{option} {out} holds other files than {a} {what}{named}",
                              allowed=f"a new or empty folder, or an earlier {what} (with {marker[0]}) "
                                      "to replace")


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
