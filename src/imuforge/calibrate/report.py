"""The calibration report: ``report.json``, ``report.md``, ``report.html`` and PNG plots."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np

from imuforge.calibrate.result import (CLASSIFIERS, AlignStep, CalibrationReport, ChannelStep, Fidelity,
                                       FitStep, GravityStep, MapStep, RangeStep, RealismCheck, ResampleStep,
                                       SkippedStep)
from imuforge.units import CHANNEL_UNITS_DISPLAY

UNITS = CHANNEL_UNITS_DISPLAY


def _unit(ch: str) -> str:
    return UNITS.get(ch.rsplit("_", 1)[0], "")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_histograms(before, after, real, channels, path: Path) -> Path:
    """Per-channel histograms: raw synthetic, calibrated synthetic, real."""
    from imuforge.calibrate.fidelity import capture_rate, resample_recording

    plt = _plt()
    rate = capture_rate(real)
    pools = [np.concatenate([resample_recording(r, rate).pick(channels).data for r in recs])
             for recs in (before, after, real)]
    n = len(channels)
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for i, ch in enumerate(channels):
        ax = axes[i // cols][i % cols]
        lo, hi = np.percentile(np.concatenate([p[:, i] for p in pools]), [0.5, 99.5])
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 60)
        # real underneath as a filled area, the synthetic curves on top (a calibrated curve that matches
        # real stays visible instead of hiding under it)
        ax.hist(pools[2][:, i], bins=bins, density=True, histtype="stepfilled", color="tab:red", alpha=0.25,
                label="real", zorder=1)
        ax.hist(pools[0][:, i], bins=bins, density=True, histtype="step", lw=1.2, color="tab:gray",
                label="synthetic (raw)", zorder=2)
        ax.hist(pools[1][:, i], bins=bins, density=True, histtype="step", lw=1.4, ls="--", color="tab:blue",
                label="synthetic (calibrated)", zorder=3)
        ax.set_title(f"{ch} [{_unit(ch)}]", fontsize=9)
        ax.tick_params(labelsize=7)
        if i % cols == 0:  # a density: its unit the inverse of the values' (the first column says it)
            ax.set_ylabel("density (per unit)", fontsize=8)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_psd(before: Fidelity, after: Fidelity, path: Path) -> Path:
    plt = _plt()
    channels = after.channels
    f = np.asarray(after.psd.f_hz)
    cols = 3
    rows = int(np.ceil(len(channels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for i, ch in enumerate(channels):
        ax = axes[i // cols][i % cols]
        ax.semilogy(np.asarray(before.psd.f_hz), np.asarray(before.psd.synthetic[i]) + 1e-12,
                    color="tab:gray", label="synthetic (raw)")
        ax.semilogy(f, np.asarray(after.psd.synthetic[i]) + 1e-12, color="tab:blue",
                    label="synthetic (calibrated)")
        ax.semilogy(f, np.asarray(after.psd.real[i]) + 1e-12, color="tab:red", label="real")
        ax.set_title(f"{ch} PSD [({_unit(ch)})²/Hz]", fontsize=9)
        ax.set_xlabel("Hz", fontsize=8)
        ax.tick_params(labelsize=7)
    for j in range(len(channels), rows * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_realism(check: RealismCheck, path: Path) -> Path | None:
    """Synthetic / capture per statistic and class (log scale), before and after calibration, with the realism
    target's band; None when there is nothing to draw."""
    from imuforge.calibrate.realism import TOLERANCE, TOLERANCE_BY_STAT

    rows = [r for r in check.rows if r.stat != "posture_deg" and r.real and r.before > 0]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * len(rows) + 1.2))
    y = np.arange(len(rows))
    wide = max(TOLERANCE_BY_STAT.values())
    ax.axvspan(1 - wide, 1 + wide, color="tab:green", alpha=0.06, label=f"±{wide:.0%} (out-of-plane rows)")
    ax.axvspan(1 - TOLERANCE, 1 + TOLERANCE, color="tab:green", alpha=0.12, label=f"±{TOLERANCE:.0%}")
    ax.axvline(1.0, color="tab:green", lw=0.8)
    ax.scatter([r.before / r.real for r in rows], y, color="tab:gray", s=14, label="synthetic (raw)")
    done = [(i, r.after / r.real) for i, r in enumerate(rows) if r.after is not None and r.after > 0]
    ax.scatter([v for _, v in done], [i for i, _ in done], color="tab:blue", s=14,
               label="synthetic (calibrated)")
    ax.set_xscale("log")
    ax.set_yticks(y, [f"{r.label} · {r.stat}" for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("synthetic / capture", fontsize=8)
    ax.set_title("Realism: orientation-free statistics", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _realism_lines(check: RealismCheck | None) -> list[str]:
    """The realism section of the report (docs/CALIBRATION.md, "Realism")."""
    if check is None:
        return []
    if check.skipped is not None:
        return ["## Realism", "", f"Not compared: {check.skipped}.", ""]

    def cell(r, after: bool) -> str:
        v = r.after if after else r.before
        if v is None:
            return "—"
        c = r.comparison(after)
        text = (f"{v:.3g} ({v - r.real:+.0f}°)" if r.stat == "posture_deg" else
                f"{v:.3g} ({c.ratio:.2f}×)" if r.real else f"{v:.3g}")
        return text if c.within_target() else f"**{text}**"

    table = [[r.label, r.stat, f"{r.real:.3g}", cell(r, False), cell(r, True)] for r in check.rows]
    header = ["class", "statistic", "capture", "synthetic (raw)", "synthetic (calibrated)"]
    return ["## Realism", "",
            "The capture against the synthetic people in statistics that do not depend on how the device is "
            f"turned (`imuforge.calibrate.realism`; at {check.rate_hz:g} Hz): {check.within()} of "
            f"{len(check.rows)} within the realism target's bounds (±15 %, rotation out of the main plane "
            f"±25 %, posture ±13.5°) before calibration, {check.within(after=True)} after; outside them in "
            "bold. "
            "Calibration maps values, not time: a cadence or a stride's shape stays as simulated.", "",
            _md_table(header, table), ""]


def plot_allan(fit, path: Path) -> Path | None:
    plt = _plt()
    items = [(n, s) for n, s in (("accel", fit.accel_noise), ("gyro", fit.gyro_noise)) if n is not None and s]
    if not items:
        return None
    fig, axes = plt.subplots(1, len(items), figsize=(5.5 * len(items), 3.8), squeeze=False)
    for ax, (name, nf) in zip(axes[0], items):
        taus = np.asarray(nf.allan_taus_s)
        adev = np.asarray(nf.allan_dev)
        for k, a in enumerate("xyz"):
            ax.loglog(taus, adev[:, k], label=f"{a}")
        n_rms = float(np.sqrt(np.mean(np.square(nf.random_walk))))
        ax.loglog(taus, n_rms / np.sqrt(taus), "k--", lw=1, label="N/√τ (white)")
        ax.set_xlabel("τ [s]")
        ax.set_ylabel(f"Allan deviation [{UNITS['acc' if name == 'accel' else 'gyro']}]")
        ax.set_title(f"{name}: the longest still stretch, {nf.seconds:.0f} s", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _distance_rows(before: Fidelity, after: Fidelity) -> list[list[str]]:
    rows = []
    lsd_b, lsd_a = before.psd.log_spectral_distance_db, after.psd.log_spectral_distance_db
    for ch in after.channels:
        b, a = before.distances[ch], after.distances[ch]
        rows.append([ch, _unit(ch), f"{b.wasserstein:.4g}", f"{a.wasserstein:.4g}", f"{b.ks:.3f}",
                     f"{a.ks:.3f}", f"{lsd_b[ch]:.2f}", f"{lsd_a[ch]:.2f}"])
    return rows


def _auc(fid: Fidelity, name: str) -> str:
    t = fid.two_sample.auc(name)
    if t is None:
        return "n/a"
    return f"{t.auc:.3f} ± {t.auc_sd:.3f}"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _fit_line(s: FitStep) -> str:
    sm = s.summary
    parts = []
    if sm.rate_hz is not None:
        parts.append(f"rate {sm.rate_hz:.4f} Hz ({sm.clock_ppm:+.0f} ppm), jitter {sm.jitter_us:.0f} µs, "
                     f"drops {sm.drop_rate * 100:.2f} %")
    unused = set(sm.noise_not_used or ())
    if sm.accel_noise_ug_per_rthz is not None:
        parts.append(f"accel noise {sm.accel_noise_ug_per_rthz:.0f} µg/√Hz"
                     + (" (not used: the wearer's motion)" if "accel" in unused else ""))
    if sm.gyro_noise_mdps_per_rthz is not None:
        parts.append(f"gyro noise {sm.gyro_noise_mdps_per_rthz:.2f} mdps/√Hz "
                     f"(ARW {sm.gyro_arw_deg_per_rthr:.3f} °/√h)"
                     + (" (not used: the wearer's motion)" if "gyro" in unused else ""))
    if sm.accel_bias_mg is not None:
        decided = sm.accel_decided
        parts.append("accel bias " + ", ".join(f"{b:+.1f}" for b in sm.accel_bias_mg) + " mg, scale error "
                     + ", ".join(f"{x:+.2f}" for x in sm.accel_scale_error_pct) + " %"
                     + ("" if decided is None or len(decided) == 6 else
                        f" (x, y, z; the capture decided {', '.join(decided) or 'none'}, the datasheet's "
                        "prior the rest)"))
    if sm.gyro_bias_dps is not None:
        parts.append("gyro bias " + ", ".join(f"{b:+.3f}" for b in sm.gyro_bias_dps) + " °/s")
    return (f"- **fit_profile** ({sm.still_seconds:.0f} s still, {sm.orientations} orientation(s)): "
            + "; ".join(parts) + (f" → `{Path(s.profile_toml).name}`" if s.profile_toml else ""))


def _align_line(s: AlignStep) -> str:
    al = s.alignment
    if s.each:
        a = s.angle_range_deg
        return (f"- **align** (each of {s.recordings} synthetic recordings on its own, classes "
                f"{', '.join(al.classes)}): " + (f"rotations {a.min:.0f}–{a.max:.0f}°, median {a.median:.0f}°"
                                                 if a else "no recording aligned")
                + f"; heading fixed for {s.heading_observable} (the others: gravity only)")
    e = s.euler_xyz_deg
    return (f"- **align** ({al.method}, classes {', '.join(al.classes)}): rotation "
            f"{al.angle_deg:.1f}° (xyz Euler {e[0]:.1f}°, {e[1]:.1f}°, {e[2]:.1f}°)"
            + (f", gravity residual {al.gravity_angle_deg:.1f}°" if al.gravity_angle_deg is not None else ""))


def _step_lines(report: CalibrationReport) -> list[str]:
    lines = []
    for s in report.steps:
        notes: list[str] = []
        if isinstance(s, SkippedStep):
            lines.append(f"- **{s.step}**: skipped — {s.skipped}")
        elif isinstance(s, FitStep):
            lines.append(_fit_line(s))
            notes = s.notes
        elif isinstance(s, AlignStep):
            lines.append(_align_line(s))
            notes = [] if s.each else s.alignment.notes
        elif isinstance(s, MapStep):
            lines.append(f"- **map** ({s.mode}, from the {'typical synthetic person' if s.source == 'people' else 'pooled synthetic samples'}): applied to " + ("all samples" if s.applies_to is None else
                         "classes " + ", ".join(s.applies_to)) + "; other samples unchanged; strength "
                         f"{s.strength}: {s.strength_summary()}; {s.gravity_summary()}"
                         + (f"; {floor}" if (floor := s.floor_summary()) else ""))
            notes = s.notes
        elif isinstance(s, GravityStep):
            lines.append(f"- **remove_gravity**: {s.reason}")
        elif isinstance(s, ChannelStep):
            them = "them" if len(s.dropped) > 1 else "it"
            lines.append(f"- **channels**: {', '.join(s.dropped)} dropped (no capture holds {them}: a model "
                         f"that takes {them} could not run on such data); kept {', '.join(s.kept)}")
        elif isinstance(s, ResampleStep):
            lines.append(f"- **resample** synthetic to {s.rate_hz:.4g} Hz (the capture's rate)")
        elif isinstance(s, RangeStep):
            lines.append("- **clip_range** to the capture's full scale: " + "; ".join(
                f"{sc.describe()}, {100 * s.clipped.get(sc.group, 0.0):.2g} % of the synthetic values clipped"
                for sc in s.scales))
        lines += [f"  - note: {n}" for n in notes]
    return lines or ["- none (report only)"]


def _class_lines(report: CalibrationReport) -> list[str]:
    """The class-coverage section: which classes were calibrated, which passed through."""
    c = report.classes
    lines = ["## Classes", "",
             f"Synthetic: {', '.join(c.synthetic) or 'unlabelled'}; capture: "
             + (', '.join(c.real) if c.labelled_capture else 'unlabelled') + "  "]
    if c.shared is not None:
        lines.append(f"Calibrated (in both): {', '.join(c.shared) or 'none'}; passed through unchanged: "
                     f"{', '.join(c.unmatched_synthetic) or 'none'}")
    lines.append("")
    lines += [f"**Note:** {n}" for n in report.notes]
    return lines + ([""] if report.notes else [])


def _finding_lines(report: CalibrationReport) -> list[str]:
    """What the capture decided, what it could not, and the warnings (pipeline.findings)."""
    fs = report.findings
    if not fs:
        return []
    lines = []
    warnings = [f.text for f in fs if f.kind == "warning"]
    if warnings:
        lines += ["## Warnings", ""] + [f"- **WARNING:** {t}" for t in warnings] + [""]
    lines += ["## What the capture decided", ""]
    lines += [f"- decided: {f.text}" for f in fs if f.kind == "decided"]
    lines += [f"- could not decide: {f.text}" for f in fs if f.kind == "undecided"]
    return lines + [""]


#: how the synthetic people are scored when each wears the device their own way (FidelityScope.typical_wear)
TYPICAL_WEAR_NOTE = ("The synthetic people are scored as the typical wearer wears the device (each "
                     "person's own turn undone): the people's spread of ways to wear it, kept on purpose, is "
                     "not a distance from the capture.")


def _scope_line(report: CalibrationReport) -> str:
    sc = report.fidelity_scope
    wear = " " + TYPICAL_WEAR_NOTE if sc is not None and sc.typical_wear else ""
    if sc is None or sc.classes is None:
        return "Scored on all data (the capture is unlabelled)." + wear
    return (f"Scored on the classes in both the synthetic data and the capture only ({', '.join(sc.classes)}): "
            "\"before\" and \"after\" compare synthetic and real data of the same activities." + wear)


def _sources(sources: dict[str, int]) -> str:
    """``emulated wearable (imuforge emulate): 2 recordings`` — what recorded the capture, per kind."""
    return "; ".join(f"{k}: {n} recording{'s' if n != 1 else ''}" for k, n in sources.items())


def _count(n: int, noun: str) -> str:
    """``1 recording``, ``2 recordings``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def markdown(report: CalibrationReport) -> str:
    b, a = report.fidelity_before, report.fidelity_after
    header = ["channel", "unit", "W₁ before", "W₁ after", "KS before", "KS after", "LSD dB before", "LSD dB after"]
    lines = ["# Calibration report", "",
             f"Synthetic: {', '.join(report.synthetic)} "
             f"({_count(report.synthetic_recordings, 'recording')})  ",
             f"Real: {', '.join(report.real)} ({_count(report.real_recordings, 'recording')}, "
             f"{report.real_seconds:.0f} s; labels: "
             + (", ".join(f"{k} {v:.0f} s" for k, v in report.real_labels_s.items()) or "none") + ")"
             + (f"  \nCaptured by: {_sources(report.real_sources)}" if report.real_sources else ""), "",
             *_finding_lines(report),
             *_class_lines(report),
             "## Steps", "", *_step_lines(report), "",
             f"## Fidelity (at {a.rate_hz:g} Hz)", "", _scope_line(report), "",
             "Per channel: 1-Wasserstein distance (channel unit), Kolmogorov–Smirnov statistic, "
             "log-spectral distance of the Welch PSDs (dB rms, ≥ 0.1 Hz). Lower is closer to real.", "",
             _md_table(header, _distance_rows(b, a)), "",
             "Classifier two-sample test (ROC AUC telling synthetic from real windows, 5-fold CV; 0.5 = "
             "indistinguishable):", "",
             _md_table(["classifier", "before", "after"], [[n, _auc(b, n), _auc(a, n)] for n in CLASSIFIERS]), ""]
    h = report.fidelity_after_heldout
    if a.in_sample:
        lines += ["**\"after\" above is in-sample**: the alignment / mapping were fitted on this same capture, "
                  "so distribution distances shrink by construction.", ""]
        if h is not None and h.after is not None:
            hb = h.before or b  # the uncalibrated data against the same second halves
            lines += ["Held-out check — fitted on the first half of each real recording; before and after both "
                      "scored on the second half:", "", _md_table(header, _distance_rows(hb, h.after)), "",
                      _md_table(["classifier", "before", "after (held-out)"],
                                [[n, _auc(hb, n), _auc(h.after, n)] for n in CLASSIFIERS]),
                      ""]
        elif h is not None:
            lines += [f"Held-out check skipped: {h.skipped}", ""]
    lines += _realism_lines(report.realism)
    lines += ["## Plots", ""]
    for p in report.plots:
        lines.append(f"![{Path(p).stem}]({p})")
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    """Markdown inline marks of the report as HTML: ``**bold**`` and ``code`` (the text escaped first)."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", t)


def to_html(md_text: str, out: Path) -> str:
    """A self-contained HTML page of the markdown report (tables, lists, embedded PNGs)."""
    body = []
    in_table = False
    in_list = False
    for line in md_text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
                body.append("<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in cells) + "</tr>")
            else:
                body.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.lstrip().startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(line.lstrip()[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1:line.rindex(")")]
            data = base64.b64encode((out / src).read_bytes()).decode()
            body.append(f'<p><img src="data:image/png;base64,{data}" style="max-width:100%"></p>')
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    if in_list:
        body.append("</ul>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
    return f"<!doctype html><html><head><meta charset='utf-8'><title>imuforge calibration report</title>" \
           f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"


def write_report(result, *, synthetic=(), calibrated=(), real=(), plots: bool = True) -> CalibrationReport:
    """Write report.json / report.md / report.html and the plots into ``result.out``.

    ``synthetic`` (as loaded), ``calibrated`` and ``real`` are the recordings the histograms show,
    already restricted to the classes the fidelity figures cover; the caller hands them over so
    nothing is read from disk again.
    """
    out = result.out
    report: CalibrationReport = result.report
    report.plots = []
    if plots:
        pdir = out / "plots"
        pdir.mkdir(exist_ok=True)
        ch = report.fidelity_after.channels
        plot_histograms(list(synthetic), list(calibrated), list(real), ch, pdir / "histograms.png")
        plot_psd(report.fidelity_before, report.fidelity_after, pdir / "psd.png")
        report.plots += ["plots/histograms.png", "plots/psd.png"]
        if result.fit is not None and plot_allan(result.fit, pdir / "allan.png"):
            report.plots.append("plots/allan.png")
        if report.realism is not None and report.realism.skipped is None and \
                plot_realism(report.realism, pdir / "realism.png"):
            report.plots.append("plots/realism.png")
    report.write(out / "report.json")
    md = markdown(report)
    (out / "report.md").write_text(md)
    (out / "report.html").write_text(to_html(md, out))
    return report


__all__ = ["markdown", "plot_allan", "plot_histograms", "plot_psd", "plot_realism", "to_html", "write_report"]
