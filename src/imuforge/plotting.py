"""Plots of Recordings (PNG, matplotlib Agg): the pictures people would rather see than read."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from imuforge.recording import Recording
from imuforge.units import CHANNEL_UNITS_DISPLAY

_UNITS = CHANNEL_UNITS_DISPLAY


def check_plot_path(path: str | os.PathLike, option: str = "--plot") -> Path:
    """``path`` as a Path if a plot can be written there: a file name ending in a format matplotlib writes
    (``.png``, ``.pdf``, ``.svg`` …), not a folder. Checked before any work, so nothing is half-written."""
    from matplotlib.backend_bases import FigureCanvasBase

    from imuforge.errors import ValidationError

    path = Path(path)
    kinds = sorted(FigureCanvasBase.get_supported_filetypes())
    if os.fspath(path).endswith(("/", os.sep)) or path.is_dir():
        raise ValidationError(f"{option} {path} is a folder; a plot is one file",
                              allowed=f"a file name ending in .{', .'.join(kinds)}")
    if path.suffix.lower().lstrip(".") not in kinds:
        kind = path.suffix or "suffix-less"
        raise ValidationError(f"{option} {path}: matplotlib cannot write a {kind} file",
                              allowed=f"a file name ending in .{', .'.join(kinds)}")
    from imuforge._folders import check_writable_folder

    check_writable_folder(path.parent, option, path,
                          "a plot path in a folder you can write to (or can be made)")
    return path


def plot_recording(rec: Recording, path: str | os.PathLike, *, title: str | None = None,
                   max_points: int = 20_000) -> Path:
    """One panel per channel group over time, label segments shaded, gaps left as gaps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in ("acc", "gyro", "mag") if rec.group(g) is not None]
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 2.6 * len(groups) + 0.6), sharex=True, squeeze=False)
    t = rec.timestamps - (rec.timestamps[0] if len(rec) else 0.0)
    step = max(1, len(rec) // max_points)
    # break lines at gaps: insert NaN where the interval exceeds 1.5 periods
    gap = np.r_[np.diff(rec.timestamps) > 1.5 / rec.rate_hz, False]
    labels = sorted({s.label for s in rec.labels})
    cmap = plt.get_cmap("tab20")
    colours = {lab: cmap(i % 20) for i, lab in enumerate(labels)}
    for ax, g in zip(axes[:, 0], groups):
        block = rec.group(g).copy()
        block[gap] = np.nan
        for i, axis in enumerate("xyz"):
            ax.plot(t[::step], block[::step, i], lw=0.7, label=axis)
        ax.set_ylabel(f"{g} [{_UNITS[g]}]")
        ax.grid(alpha=0.3)
        for seg in rec.labels:
            t0 = rec.timestamps[0] if len(rec) else 0.0
            ax.axvspan(seg.start_s - t0, seg.end_s - t0, color=colours[seg.label], alpha=0.15, lw=0)
    axes[0, 0].legend(loc="upper right", ncol=3, fontsize=8)
    if labels:
        from matplotlib.patches import Patch

        axes[-1, 0].legend(handles=[Patch(color=colours[lab], alpha=0.4, label=lab) for lab in labels],
                           loc="lower right", ncol=min(6, len(labels)), fontsize=8)
    axes[-1, 0].set_xlabel("time [s]")
    fig.suptitle(title or f"{rec.profile or 'recording'} @ {rec.placement or '?'} — {rec.rate_hz:.4g} Hz, "
                 f"{rec.duration_s:.1f} s, {len(rec.gaps())} gap(s)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
