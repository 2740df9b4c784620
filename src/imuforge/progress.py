"""Progress reporting for long work: one place that decides how bars look and when they show.

``IMUFORGE_PROGRESS=0`` hides imuforge's bars *and* the libraries' own: :func:`quiet_third_party`
(run when this module is imported — the CLI imports it at start-up, before TensorFlow, tqdm or the
text model load) switches off
tqdm bars of other packages, Hugging Face download bars, transformers/TensorFlow INFO and WARNING
lines and Keras' interactive progress output.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

#: Environment switches of third-party libraries set (if unset) when progress output is off.
QUIET_ENV = {
    "TQDM_DISABLE": "1",                      # tqdm bars of any package (tqdm >= 4.66 reads TQDM_* defaults)
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",      # huggingface_hub downloads
    "TRANSFORMERS_VERBOSITY": "error",        # transformers INFO/WARNING lines
    "TF_CPP_MIN_LOG_LEVEL": "3",              # TensorFlow / LiteRT C++ INFO and WARNING lines
}


def progress_enabled() -> bool:
    """False when the environment sets ``IMUFORGE_PROGRESS=0``."""
    return os.environ.get("IMUFORGE_PROGRESS") != "0"


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (a bar is redrawn there; a log gets lines)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def quiet_third_party() -> None:
    """With ``IMUFORGE_PROGRESS=0``, or when stderr is not a terminal (a log file, a pipe, a test), silence
    other libraries' bars and INFO lines (no-op otherwise): a model loader's bar in a log is noise, and a
    one-line error must stay one line. imuforge's own bars follow ``IMUFORGE_PROGRESS`` alone.

    Environment switches only take effect for libraries imported afterwards; Keras, if already
    imported, has its interactive logging switched off directly.
    """
    if progress_enabled() and stderr_is_terminal():
        return
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            keras.utils.disable_interactive_logging()
        except AttributeError:  # pragma: no cover - an old or stub keras
            pass


quiet_third_party()  # before tqdm is imported: tqdm reads its TQDM_* defaults at import time

from tqdm.auto import tqdm  # noqa: E402


class _Lines:
    """A bar's output for a log file or a pipe: each update a line of its own (tqdm redraws one line with
    carriage returns, which a log shows as one unreadable run)."""

    def __init__(self, stream):
        self.stream, self.last = stream, ""

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        if line and line != self.last:  # the bar's close repeats its last state
            self.stream.write(line + "\n")
            self.last = line

    def flush(self) -> None:
        self.stream.flush()


#: seconds between a bar's lines when stderr is not a terminal
LOG_INTERVAL_S = 10.0
#: a bar's width in a log: room for its figures (training's loss, accuracy, val_loss, val_accuracy) after it
LOG_COLUMNS = 160


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None, desc: str = "",
             unit: str = "it", disable: bool | None = None, **kwargs) -> tqdm:
    """A tqdm bar on stderr that appears only once the work has lasted a second; into a log file or a pipe,
    a line every :data:`LOG_INTERVAL_S` seconds instead of a redrawn bar.

    ``disable=None`` shows it unless the environment sets ``IMUFORGE_PROGRESS=0``.
    """
    if disable is None:
        disable = not progress_enabled()
        quiet_third_party()
    kwargs.setdefault("delay", 1.0)
    if stderr_is_terminal():
        return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr,
                    dynamic_ncols=True, **kwargs)
    kwargs.setdefault("mininterval", LOG_INTERVAL_S)
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, file=_Lines(sys.stderr),
                ncols=LOG_COLUMNS, **kwargs)
