"""Numeric text tables (a recording's CSV body, the text files of published data sets) read in one numpy pass,
with refusals that name the file and the line of the first bad value."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from imuforge.errors import ValidationError, shorten


def read_numbers(path: str | os.PathLike, *, allowed: str, columns: int | None = None, dtype=np.float64,
             finite: bool = False, text: str | None = None, delimiter: str | None = None,
             first_line: int = 1) -> np.ndarray:
    """A numeric text table, shape ``(rows, columns)``, read with :func:`numpy.loadtxt` — or
    :class:`ValidationError` naming the file (``path``), the line and ``allowed`` (what the file should hold)
    for: a file without numbers, a value that is not a number (not a whole number for an integer ``dtype``),
    a line with another count of values than the first, other than ``columns`` values per line if given, and
    NaN or infinity if ``finite``.

    ``text``: the file's text when it is already read (``path`` then only names it); ``first_line``: the line
    of the file ``text`` starts on (2 below a header). Blank lines and ``#`` comments are skipped.
    """
    if text is None:
        text = Path(path).read_text(errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loadtxt's "input contained no data": refused below, in one line
        try:
            table = np.loadtxt(io.StringIO(text), dtype=dtype, delimiter=delimiter, ndmin=2)
        except ValueError:
            raise ValidationError(_first_bad_line(text, dtype, delimiter, first_line), source=str(path),
                                  allowed=allowed) from None
    if table.size == 0:
        raise ValidationError("empty file (no numbers in it)", source=str(path), allowed=allowed)
    if columns is not None and table.shape[1] != columns:
        raise ValidationError(f"{table.shape[1]} numbers per line", source=str(path), allowed=allowed)
    if finite and not np.isfinite(table).all():
        bad = ~np.isfinite(table)
        line = line_of_row(text, int(np.argmax(bad.any(axis=1))), delimiter, first_line)
        raise ValidationError(f"{int(bad.sum())} non-finite value(s) (NaN or inf), the first on line {line}",
                              source=str(path), allowed=f"finite numbers only; {allowed}")
    return table


def _data_lines(text: str, delimiter: str | None, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of the lines :func:`numpy.loadtxt` reads (not blank, not a ``#`` comment)."""
    for k, line in enumerate(text.splitlines(), start=first_line):
        fields = [f.strip() for f in line.split("#", 1)[0].split(delimiter)]
        if any(fields):
            yield k, fields


def _first_bad_line(text: str, dtype, delimiter: str | None, first_line: int) -> str:
    """What is wrong with the first line :func:`numpy.loadtxt` refused (``"line 14 has 1 value(s), line 1
    has 5"``). Runs only after loadtxt refused the text, and stops at the line it finds."""
    convert, kind = (int, "a whole number") if np.dtype(dtype).kind in "iu" else (float, "a number")
    width = None
    lines = list(_data_lines(text, delimiter, first_line))
    for k, fields in lines:
        if width is None:
            width, first = len(fields), k
        if len(fields) != width:
            # the last line short, the file not ending in a newline: written until cut off (a fresh user's
            # run, session 61)
            cut = (" — the last line, cut short: the file ends mid-line" if k == lines[-1][0]
                   and len(fields) < width and not text.endswith(("\n", "\r")) else "")
            return f"line {k} has {len(fields)} value(s), line {first} has {width}{cut}"
        for f in fields:
            try:
                convert(f)
            except ValueError:
                return f"line {k}: {shorten(f)} is not {kind}"
    return "unreadable numbers"  # loadtxt refused what Python reads (e.g. "1_000")


def line_of_row(text: str, row: int, delimiter: str | None = None, first_line: int = 1) -> int:
    """The line of the file holding row ``row`` (0-based) of its :func:`numpy.loadtxt` table."""
    for i, (k, _) in enumerate(_data_lines(text, delimiter, first_line)):
        if i == row:
            return k
    return first_line + row
