"""Zero-phase filtering: :func:`sosfiltfilt`, ``scipy.signal.sosfiltfilt``'s result in one
compiled pass.

scipy's ``sosfiltfilt`` pads, designs the initial state, copies and runs two ``sosfilt`` passes in separate
steps; on the short multi-column signals the motion library filters thousands of times per corpus (every
joint of every draw in the plausibility check, the pelvis path, the arms' drive) the steps around the two
passes cost as much as the passes. ``imuforge.sensors._kernels.filtfilt_cols`` runs padding and both passes
over all columns at once, with scipy's recursion in scipy's order of operations: the same bits for float64
signals and filters (tests/test_zerophase.py compares them). Without the compiled kernel, or for anything
else (another padding; other dtypes, whose padding and state scipy computes in their own precision), scipy
runs.
"""

from __future__ import annotations

import functools
import operator

import numpy as np
from scipy import signal

#: the compiled module when it has ``filtfilt_cols``, else False; looked up on first use (None until then)
_KERNEL = None


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        from imuforge.sensors.kinematics import _kernels  # None where the extension is not built

        _KERNEL = _kernels if hasattr(_kernels, "filtfilt_cols") else False
    return _KERNEL


@functools.lru_cache(maxsize=64)
def _tables(sos_bytes: bytes, n_sec: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The cascade and its unit-step steady state (``sosfilt_zi``) laid out per column, as the kernel reads
    them: (n_sec, 6, C) and (n_sec, 2, C)."""
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(n_sec, 6)
    zi = signal.sosfilt_zi(sos)
    tables = tuple(np.ascontiguousarray(np.repeat(t[:, :, None], columns, axis=2)) for t in (sos, zi))
    for t in tables:
        t.setflags(write=False)
    return tables


def sosfiltfilt(sos, x, axis: int = -1, padtype: str = "odd", padlen: int | None = None) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)``, the same values.

    A float64 signal and float64 sections with odd or even padding run in the compiled kernel (all the other
    axes' columns at once); anything else, and a signal too short for its padding (scipy's own error), go to
    scipy.
    """
    sos = np.asarray(sos)
    x = np.asarray(x)
    k = _kernel()
    if not k or padtype not in ("odd", "even") or x.dtype != np.float64 or sos.dtype != np.float64 \
            or sos.ndim != 2 or sos.shape[1] != 6 or x.ndim == 0 or x.size == 0:
        return signal.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)
    n_sec = len(sos)
    ntaps = 2 * n_sec + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    try:
        edge = 3 * ntaps if padlen is None else operator.index(padlen)
    except TypeError:  # a padlen scipy refuses: its own error
        return signal.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)
    moved = np.moveaxis(x, axis, 0)
    n = moved.shape[0]
    if not 0 <= edge < n or n_sec < 1 or not np.all(sos[:, 3] == 1):
        return signal.sosfiltfilt(sos, x, axis=axis, padtype=padtype, padlen=padlen)
    cols = np.ascontiguousarray(moved.reshape(n, -1))
    table, zi = _tables(np.ascontiguousarray(sos).tobytes(), n_sec, cols.shape[1])
    out = np.empty_like(cols)
    k.filtfilt_cols(cols, n, cols.shape[1], table, n_sec, zi, edge, padtype == "odd", out)
    return np.moveaxis(out.reshape(moved.shape), 0, axis)
