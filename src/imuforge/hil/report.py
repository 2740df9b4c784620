"""HIL reports: ``hil_report.json``, ``hil_junit.xml``, ``hil_summary.png`` and ``hil_report.html``.

The JUnit file has one test case per check (model identity, bit-exact outputs, no failed windows,
no device reset, latency within budget) and one per window (failing with the differing outputs),
so CI systems show exactly which windows differed.
"""

from __future__ import annotations

import html
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

#: Report format version (``hil_report.json``). 2: ``emulated``, ``disconnected``, ``checks``; ``passed`` is
#: every check (latency budget and device resets included).
REPORT_VERSION = 2

REPORT_FILES = {"json": "hil_report.json", "junit": "hil_junit.xml", "png": "hil_summary.png",
                "html": "hil_report.html"}
#: the checks a run is judged by, in order (:meth:`HilReport.checks`)
CHECK_NAMES = ("model_identity", "all_windows_completed", "outputs_bit_exact", "no_device_reset",
               "latency_within_budget")
#: the verdict of a check (and a window) that was not run: the device runs another model (skipped in JUnit)
NOT_RUN = "not run: the device runs another model"


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


#: How the latency figures were timed (``latency.clock`` in the JSON): honest about an emulator.
CLOCK_DEVICE = "device (the firmware's own timer, as the device reports it)"
CLOCK_EMULATED = "host (emulated device: the host's perf_counter, not a microcontroller's latency)"
#: firmware_bridge/qemu/main.c: SysTick counts the 25 MHz SYSCLK of QEMU's virtual clock, which under
#: ``-icount shift=N`` advances 2^N ns per instruction (:data:`imuforge.hil.qemu.ICOUNT_SHIFT`: 5).
CLOCK_QEMU = ("QEMU's emulated SysTick (virtual time of the emulated Cortex-M4: under -icount shift=5, as "
              "hil --qemu runs it, 32 ns per instruction whatever it is — an instruction count, not a real "
              "board's latency; without -icount it follows the host's speed)")

#: What produced a report (``produced_by.kind`` in the JSON), as every report format names it: the one place.
PRODUCERS = {
    "emulated": ("emulated device", "imuforge's emulated wearable on this host, no microcontroller",
                 CLOCK_EMULATED, "host clock, emulated device"),
    "qemu": ("QEMU firmware", "the bridge firmware on a Cortex-M4 emulated by qemu-system-arm (mps2-an386), "
             "no real board", CLOCK_QEMU, "QEMU emulated SysTick, not a board's time"),
    "board": ("real board", "a device that is neither imuforge's emulator nor its QEMU firmware, by the name "
              "it reports", CLOCK_DEVICE, "device clock"),
}


def producer_kind(emulated: bool, device: dict[str, Any]) -> str:
    """``emulated`` / ``qemu`` / ``board``: from the emulated flag and the device's ``device`` entry
    (:func:`imuforge.hil.device.describe_device`, read from its HIL_MODEL name)."""
    if emulated:
        return "emulated"
    return "qemu" if device.get("device") == "qemu" else "board"


def latency_clock(kind: str) -> str:
    """``latency.clock`` of a report produced by ``kind`` (see :data:`PRODUCERS`)."""
    return PRODUCERS[kind][2]


@dataclass
class HilReport:
    """The result of one HIL run: what the JSON, the JUnit file, the HTML and the exit code all show.

    :attr:`passed` is the one definition of a passing run: every check of :meth:`checks` passes
    (model identity, run finished with every window answered, outputs bit-exact, no device reset,
    latency within budget). Mapping access (``rep["windows"]``) reads the :meth:`to_json` keys.
    """

    created_utc: str
    model: dict[str, Any]
    device: dict[str, Any]
    data: dict[str, Any]
    windows: int
    windows_completed: int
    windows_failed: list[dict[str, Any]]
    mismatches: list[dict[str, Any]]
    accuracy: float | None
    macro_f1: float | None
    per_class: dict[str, Any]
    confusion: list
    reference: dict[str, Any]
    latency: dict[str, Any]
    arena_used_bytes: int
    throughput: dict[str, Any]
    retries: int
    timeouts: int
    device_resets: list[dict[str, Any]]
    device_errors: int
    frames_corrupt: int
    emulated: bool
    error: str | None = None
    disconnected: bool = False
    files: dict[str, str] = field(default_factory=dict)
    macro_f1_in_data: float | None = None  # macro-F1 over the classes in the data only (eval's figure)
    # figures worse than the report --overwrite replaced, or why they were not compared (worse_than)
    warnings: list[str] = field(default_factory=list)
    timeout_note: str | None = None  # --timeout below the device's inference time (timeout_below_inference)

    @property
    def mismatch_count(self) -> int:
        return len(self.mismatches)

    @property
    def producer(self) -> str:
        """What ran the model: ``emulated``, ``qemu`` or ``board`` (:data:`PRODUCERS`)."""
        return producer_kind(self.emulated, self.device)

    def produced_by(self) -> str:
        """One line naming what produced this report, the same in every format:
        ``"QEMU firmware (…): qemu-cgen tiny (generated C, Cortex-M4) on socket://…"``."""
        name, what = PRODUCERS[self.producer][:2]
        return f"{name} ({what}): {self.device.get('name', '?')} on {self.device.get('link', '?')}"

    def clock_label(self) -> str:
        """The latency clock in a few words, for the terminal and the figure."""
        return PRODUCERS[self.producer][3]

    @property
    def bit_exact(self) -> bool | None:
        """Every window answered and equal to the host reference; None where nothing ran (another model)."""
        if not self.device["match"]:
            return None
        return self.windows_completed == self.windows and not self.mismatches

    def checks(self) -> list[tuple[str, str | None]]:
        """(check name, failure message or None) for each of :data:`CHECK_NAMES`: the JUnit summary cases, and
        what :attr:`passed` means. On a device running another model only ``model_identity`` is judged: the
        others were not run (:data:`NOT_RUN`)."""
        dev, lat = self.device, self.latency
        identity = None if dev["match"] else (
            f"device sha256 {dev['device_sha256']} ({dev['device_size']} B) != host {dev['host_sha256']} "
            f"({dev['host_size']} B)")
        if identity is not None:
            return list(zip(CHECK_NAMES, (identity, *(NOT_RUN,) * (len(CHECK_NAMES) - 1))))
        ended = f": {'device disconnected: ' if self.disconnected else ''}{self.error}" if self.error else ""
        ended += f" — {self.timeout_note}" if self.timeout_note else ""
        verdicts = (
            identity,
            None if self.windows_completed == self.windows and not self.error else
            f"{self.windows - self.windows_completed} of {self.windows} windows got no output{ended}",
            None if not self.mismatches else
            f"{self.mismatch_count} windows differ from the host TFLM reference: "
            + ", ".join(str(m["window"]) for m in self.mismatches[:20]),
            None if not self.device_resets else
            f"device reset {len(self.device_resets)} time(s), at windows "
            + ", ".join(str(r["window"]) for r in self.device_resets),
            None if lat.get("within_budget") else
            f"p99 latency {lat.get('p99_us', float('nan')) / 1000:.3f} ms > budget {lat['budget_ms']:.3f} ms"
            if lat.get("windows") else "no latency measured (no window completed"
            + (f": {self.timeout_note.split(' (', 1)[0]})" if self.timeout_note else ")"),
        )
        return list(zip(CHECK_NAMES, verdicts))

    @property
    def passed(self) -> bool:
        return all(failure is None for _, failure in self.checks())

    def to_json(self) -> dict[str, Any]:
        """The ``hil_report.json`` object (plain JSON types)."""
        d = {"format": "imuforge-hil-report", "version": REPORT_VERSION}
        d.update({f.name: getattr(self, f.name) for f in fields(self)})
        d["device"] = {**self.device, "emulated": self.emulated}
        d["produced_by"] = {"kind": self.producer, "description": self.produced_by()}
        d.update(bit_exact=self.bit_exact, mismatch_count=self.mismatch_count,
                 checks={name: failure or "pass" for name, failure in self.checks()}, passed=self.passed)
        if not self.device["match"]:  # nothing ran: no latency verdict, no throughput (not zeros)
            d["latency"] = {**d["latency"], "within_budget": None}
            d["throughput"] = None
        return json.loads(json.dumps(d, default=_json_default))

    def __getitem__(self, key: str) -> Any:
        if key in _FIELD_NAMES or key in ("passed", "bit_exact", "mismatch_count"):
            return getattr(self, key)
        return self.to_json()[key]


_FIELD_NAMES = frozenset(f.name for f in fields(HilReport))


def checks(rep: HilReport) -> list[tuple[str, str | None]]:
    """(check name, failure message or None) for the summary test cases (see :meth:`HilReport.checks`)."""
    return rep.checks()


def write_junit(rep: HilReport, path: Path, *, ref: np.ndarray | None = None, results=None) -> Path:
    """JUnit XML: the summary checks and one test case per window."""
    cases = []
    for name, failure in rep.checks():
        cases.append(("hil.checks", name, failure, 0.0))
    by_window = {m["window"]: m for m in rep.mismatches}
    failed = {f["window"]: f for f in rep.windows_failed}
    lat_of = {r.index: r.mean_us for r in (results or []) if r.output is not None}
    for i in range(rep.windows):
        msg = None
        if i in by_window:
            m = by_window[i]
            msg = f"outputs {m['differing_outputs']} differ: device {m['device']} reference {m['reference']}"
        elif i in failed:
            msg = "no output: " + "; ".join(failed[i]["errors"] or ["not run"])
        elif not rep.device["match"]:
            msg = NOT_RUN
        elif results is not None and i not in lat_of:
            msg = "not run"
        cases.append(("hil.windows", f"window_{i:05d}", msg, lat_of.get(i, 0.0) / 1e6))
    skipped = sum(c[2] == NOT_RUN for c in cases)
    suite = ET.Element("testsuite", name="imuforge-hil", tests=str(len(cases)),
                       failures=str(sum(c[2] not in (None, NOT_RUN) for c in cases)), errors="0",
                       skipped=str(skipped), time=f"{rep.throughput['seconds']:.3f}",
                       timestamp=rep.created_utc)
    props = ET.SubElement(suite, "properties")
    for k, v in (("produced_by", rep.produced_by()), ("produced_by_kind", rep.producer),
                 ("model_sha256", rep.model["sha256"]), ("link", rep.device["link"]),
                 ("emulated", rep.emulated), ("latency_clock", rep.latency["clock"]),
                 ("accuracy", rep.accuracy), ("macro_f1", rep.macro_f1), ("passed", rep.passed)):
        ET.SubElement(props, "property", name=k, value=str(v))
    for cls, name, failure, t in cases:
        tc = ET.SubElement(suite, "testcase", classname=cls, name=name, time=f"{t:.6f}")
        if failure == NOT_RUN:
            ET.SubElement(tc, "skipped", message=failure)
        elif failure is not None:
            ET.SubElement(tc, "failure", message=failure[:500]).text = failure
    ET.indent(suite)
    path.write_text(ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n")
    return path


def plot_summary(rep: HilReport, path: Path, results=None) -> Path:
    """Latency per window and its histogram, and the device's confusion matrix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    lat = np.array([r.mean_us for r in (results or []) if r.output is not None]) / 1000.0
    idx = np.array([r.index for r in (results or []) if r.output is not None])
    ax = axes[0]
    if lat.size:
        ax.plot(idx, lat, ".", ms=3)
        mm = [m["window"] for m in rep.mismatches]
        if mm:
            sel = np.isin(idx, mm)
            ax.plot(idx[sel], lat[sel], "rx", label="output mismatch")
            ax.legend(loc="upper right")
    budget = rep.latency["budget_ms"]
    if lat.size and budget <= 3 * lat.max():
        ax.axhline(budget, color="r", ls="--", lw=1)
        title = "latency per window (budget dashed)"
    else:
        title = f"latency per window (budget {budget:g} ms, off scale)"
    # the clock in the title: as the axis label a long one ran off the figure (a fresh user's run)
    ax.set(xlabel="window", ylabel="latency (ms)", title=f"{title}\nclock: {rep.clock_label()}")
    ax = axes[1]
    if lat.size:
        ax.hist(lat, bins=min(40, max(5, lat.size // 5)))
    ax.set(xlabel="latency (ms)", ylabel="windows",
           title=f"median {rep.latency.get('median_us', float('nan')) / 1000:.3f} ms, "
                 f"p99 {rep.latency.get('p99_us', float('nan')) / 1000:.3f} ms")
    ax = axes[2]
    cm = np.asarray(rep.confusion) if rep.confusion else np.zeros((1, 1))
    labels = rep.model["labels"]
    ax.imshow(cm, cmap="Blues")
    for (r, c), v in np.ndenumerate(cm):
        ax.text(c, r, str(v), ha="center", va="center", fontsize=8,
                color="white" if v > cm.max() / 2 else "black")
    if rep.confusion:
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
    acc = rep.accuracy
    ax.set(xlabel="device prediction", ylabel="label",
           title=f"accuracy {acc * 100:.1f} %, macro-F1 {rep.macro_f1 * 100:.1f} %" if acc is not None else "no output")
    verdict = (f"{rep.mismatch_count} mismatches of {rep.windows}" if rep.device["match"] else
               "not run: the device runs another model")
    fig.suptitle(f"HIL {rep.model['name']} on {PRODUCERS[rep.producer][0]}, {rep.device['link']}: "
                 f"{'PASS' if rep.passed else 'FAIL'}, {verdict}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{100 * v:.2f} %" if pct else f"{v:.4g}"
    return html.escape(str(v))


def not_scored(rep: HilReport) -> str:
    """The test data's windows left out for labels the model lacks, as ``label (n windows), …`` ('' if
    none)."""
    excluded = (rep.data or {}).get("excluded_unknown_labels") or {}
    return ", ".join(f"{k} ({n} window{'s' if n != 1 else ''})" for k, n in sorted(excluded.items()))


def write_html(rep: HilReport, path: Path, png_name: str) -> Path:
    lat, thr, dev, excluded = rep.latency, rep.throughput, rep.device, not_scored(rep)
    rows = [
        ("result", "PASS" if rep.passed else "FAIL"),
        ("produced by", rep.produced_by()),
        ("model", f"{rep.model['name']} sha256 {rep.model['sha256'][:16]}… ({rep.model['size_bytes']} B)"),
        ("device", f"{dev['name']} on {dev['link']}; identity {'matches' if dev['match'] else 'DIFFERS'}"),
        ("windows", f"{rep.windows_completed} of {rep.windows} completed; {rep.mismatch_count} mismatches"
                    + (f"; not run (labels the model does not know): {excluded}" if excluded else "")),
        *(("warning", w) for w in rep.warnings),
        *(("note", n) for n in (rep.data or {}).get("notes", [])),
        ("accuracy (device)", _fmt(rep.accuracy, True)),
        ("macro-F1 (device)", _fmt(rep.macro_f1, True)),
        ("macro-F1 over the classes in the data (device)", _fmt(rep.macro_f1_in_data, True)),
        ("accuracy / macro-F1 (host TFLM)", f"{_fmt(rep.reference['accuracy'], True)} / "
                                            f"{_fmt(rep.reference['macro_f1'], True)}"),
        (f"latency ({rep.latency['clock']})", f"median {_fmt(lat.get('median_us'))} µs, p90 {_fmt(lat.get('p90_us'))} µs, "
                                   f"p99 {_fmt(lat.get('p99_us'))} µs, max {_fmt(lat.get('max_us'))} µs; "
                                   f"budget {lat['budget_ms']:g} ms"),
        ("arena used", f"{rep.arena_used_bytes} B of {dev['arena_size']} B"),
        ("throughput", f"{thr['windows_per_s']:.1f} windows/s"
                       + (f" = {100 * thr['fraction_of_link']:.1f} % of the {thr['windows_per_s_link_allows']:.1f} "
                          f"windows/s the link allows" if thr["fraction_of_link"] else "")),
        ("retries / time-outs / resets", f"{rep.retries} / {rep.timeouts} / {len(rep.device_resets)}"),
    ]
    if not dev["match"]:  # nothing ran: no figures of a run, the checks' verdicts instead
        rows = [r for r in rows if r[0] in ("result", "produced by", "model", "device")]
    rows += [(f"check {name}", failure or "pass") for name, failure in rep.checks()]
    if rep.error:
        rows.append(("device disconnected" if rep.disconnected else "error", rep.error))
    body = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    mm = "\n".join(
        f"<tr><td>{m['window']}</td><td>{html.escape(m['label'])}</td><td>{m['device_top1']}</td>"
        f"<td>{m['reference_top1']}</td><td>{m['differing_outputs']}</td><td>{m['max_abs_diff_lsb']}</td></tr>"
        for m in rep.mismatches[:500])
    doc = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>imuforge HIL report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
th,td{{border:1px solid #ccc;padding:3px 8px;text-align:left}}</style></head><body>
<h1>HIL report: {html.escape(str(rep.model['name']))}</h1>
<table>{body}</table>
<p><img src="{html.escape(png_name)}" alt="latency and confusion" style="max-width:100%"></p>
<h2>Mismatching windows ({rep.mismatch_count})</h2>
<table><tr><th>window</th><th>label</th><th>device top-1</th><th>reference top-1</th><th>differing outputs</th>
<th>max |Δ| (LSB)</th></tr>{mm}</table>
<p>Full data: <a href="{REPORT_FILES['json']}">{REPORT_FILES['json']}</a>,
<a href="{REPORT_FILES['junit']}">{REPORT_FILES['junit']}</a>.</p>
</body></html>
"""
    path.write_text(doc)
    return path


def write_reports(rep: HilReport, out: str | os.PathLike, *, ref=None, results=None) -> dict[str, str]:
    """Write all four files into ``out``; returns their paths (also stored in ``rep.files``).

    They are written into a temporary folder inside ``out`` first and moved in together once all four are
    complete: a full disk or a failing plot leaves no part of a report (and an earlier one as it was)."""
    import shutil
    import tempfile

    d = Path(out)
    made = not d.exists()
    d.mkdir(parents=True, exist_ok=True)
    files = {k: str(d / v) for k, v in REPORT_FILES.items()}
    rep.files = files
    stage = Path(tempfile.mkdtemp(prefix=".hil-report-partial-", dir=d))
    try:
        plot_summary(rep, stage / REPORT_FILES["png"], results)
        write_html(rep, stage / REPORT_FILES["html"], REPORT_FILES["png"])
        write_junit(rep, stage / REPORT_FILES["junit"], ref=ref, results=results)
        (stage / REPORT_FILES["json"]).write_text(json.dumps(rep.to_json(), indent=2) + "\n")
        for name in REPORT_FILES.values():
            os.replace(stage / name, d / name)
    except OSError as exc:
        why = exc.strerror or exc
        raise OSError(exc.errno, f"the HIL report could not be written into {d}: {why}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if made and not any(d.iterdir()):
            d.rmdir()
    return files


def summary_lines(rep: HilReport) -> list[str]:
    """A few lines for the terminal."""
    lat, thr = rep.latency, rep.throughput
    lines = [
        f"HIL {'PASS' if rep.passed else 'FAIL'}: {rep.windows_completed}/{rep.windows} windows, "
        + (f"{rep.mismatch_count} output mismatches vs host TFLM, {rep.retries} retries, "
           f"{len(rep.device_resets)} device resets" if rep.device["match"] else
           "none run: the device runs another model"),
        f"produced by {rep.produced_by()}",
    ]
    lines += [f"warning: {w}" for w in rep.warnings]
    if rep.accuracy is not None:
        lines.append(f"accuracy {100 * rep.accuracy:.1f} %, macro-F1 {100 * rep.macro_f1:.1f} %")
    if excluded := not_scored(rep):
        lines.append(f"not run (labels the model does not know): {excluded}")
    lines += [f"note: {n}" for n in (rep.data or {}).get("notes", [])]
    if (rep.data or {}).get("resampled_from_hz"):
        from imuforge.units import format_rates

        rates = format_rates(rep.data["resampled_from_hz"], "rates")
        lines.append(f"data at {rates} resampled to the model's {rep.data['model_rate_hz']:g} Hz")
    if lat.get("windows"):
        lines.append(f"latency ({rep.clock_label()}) median {lat['median_us']:.0f} µs, "
                     f"p99 {lat['p99_us']:.0f} µs "
                     f"(budget {lat['budget_ms']:g} ms: {'ok' if lat['within_budget'] else 'EXCEEDED'}); "
                     f"arena {rep.arena_used_bytes} B")
    if rep.windows_completed:  # a throughput of a run that did not happen is no figure
        t = f"throughput {thr['windows_per_s']:.1f} windows/s"
        if thr.get("fraction_of_link"):
            t += f" ({100 * thr['fraction_of_link']:.0f} % of what the link allows)"
        lines.append(t)
    for m in rep.mismatches[:10]:
        lines.append(f"  mismatch window {m['window']} ({m['label']}): outputs {m['differing_outputs']} "
                     f"device {m['device_top1']} / reference {m['reference_top1']}")
    if rep.error:
        kept = "the report holds the windows completed before" if rep.windows_completed else "no window ran"
        lines.append(f"{'device disconnected' if rep.disconnected else 'error'}: {rep.error} ({kept})")
    for name, failure in rep.checks():
        if failure is not None and failure != NOT_RUN:
            lines.append(f"check {name} FAILED: {failure}")
    return lines


def timeout_below_inference(timeout_s: float, inferences: int, timeouts: int, measured_us: list[float],
                            known: tuple[float, str] | None) -> str | None:
    """When windows timed out and ``timeout_s`` is shorter than the device takes for a window's ``inferences``
    (runs + warmup) — by the longest latency measured, else ``known`` (µs, whence: the export card's QEMU
    figure) — the words for it: one cause of the failed windows and of the missing latency. Else None."""
    if not timeouts:
        return None
    if measured_us:
        us, whence = max(measured_us), "the longest measured"
    elif known:
        us, whence = known
    else:
        return None
    needs = us * inferences / 1e6
    if needs < timeout_s:
        return None
    per = f"{inferences} inferences of {us / 1000:.3g} ms" if inferences > 1 else f"{us / 1000:.3g} ms"
    return (f"--timeout {timeout_s:g} s is below the device's inference time ({per} per window; {whence}): "
            f"no reply can come in time; give --timeout well above {needs:.3g} s")


def read_replaced(out: str | os.PathLike) -> dict[str, Any] | None:
    """The ``hil_report.json`` in ``out`` that a run is about to replace (with ``--overwrite``), or None: none
    there, or one that does not read as a HIL report (nothing to compare with)."""
    path = Path(out) / REPORT_FILES["json"]
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return old if isinstance(old, dict) and old.get("format") == "imuforge-hil-report" else None


def same_data(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two reports' ``data`` entries name the same test windows: by their ``sha256`` (windows and
    labels), or — for a report written before it — the same sources (resolved from this working folder) and as
    many windows."""
    if old.get("sha256") and new.get("sha256"):
        return old["sha256"] == new["sha256"]
    if not isinstance(old.get("source"), str) or old.get("windows") != new.get("windows"):
        return False
    return [str(Path(p).resolve()) for p in old["source"].split(",")] == new.get("resolved")


#: how much worse than the report ``--overwrite`` replaced a figure may be before a warning: score figures
#: in absolute points (0.005 = half a percentage point), latencies relative (5 %)
WORSE_MARGINS = {"accuracy": 0.005, "macro_f1": 0.005, "latency": 0.05}
#: the figures compared: (name said, where in the report, higher is better)
COMPARED = (("accuracy", ("accuracy",), True), ("macro-F1", ("macro_f1",), True),
            ("latency median", ("latency", "median_us"), False),
            ("latency p99", ("latency", "p99_us"), False))


def _figure(doc: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    v: Any = doc
    for k in keys:
        v = v.get(k) if isinstance(v, dict) else None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def incomplete(doc: dict[str, Any]) -> str | None:
    """How a report (``hil_report.json``'s object) falls short of every window completed with no error or
    disconnection — its accuracy, macro-F1 and latency then cover only the windows completed — or None."""
    done, n = doc.get("windows_completed"), doc.get("windows")
    error, disconnected = doc.get("error"), doc.get("disconnected")
    if done == n and not error and not disconnected:
        return None
    if not (doc.get("device") or {}).get("match", True):
        why = "the device ran another model"
    elif disconnected:
        why = "the device disconnected"
    elif isinstance(error, str) and error.startswith("interrupted"):
        why = "interrupted"
    elif error:
        why = "stopped by an error"
    else:
        why = "the others timed out or failed"
    return f"completed {done} of {n} windows ({why})"


def worse_than(old: dict[str, Any] | None, rep: HilReport) -> list[str]:
    """A warning for each figure of ``rep`` worse, beyond :data:`WORSE_MARGINS`, than in ``old`` (the report
    it replaces: :func:`read_replaced`) on the same data (:func:`same_data`). Latencies are compared only
    between two runs of the same kind of device timed by its own clock (QEMU, a board): an emulated device's
    are the host's time. Only two runs that each completed every window with no error or disconnection are
    compared (:func:`incomplete`): the figures of the others cover only the windows completed, not the same
    data; for them one line says that the comparison was skipped, and why."""
    new = rep.to_json()
    if not old or not same_data(old.get("data") or {}, new["data"]):
        return []
    if short := [f"{whose} {why}" for whose, doc in (("this run", new), ("the report replaced", old))
                 if (why := incomplete(doc))]:
        return ["accuracy, macro-F1 and latency not compared with the HIL report this one replaced, on the "
                f"same data: {' and '.join(short)}; figures of part of the windows are not of the same data"]
    kind = (old.get("produced_by") or {}).get("kind")
    was = old.get("model") or {}
    same = (was.get("sha256") == rep.model["sha256"] and isinstance(was.get("path"), str)
            and Path(was["path"]).resolve() == Path(rep.model["path"]).resolve())
    tested = ("the same export" if same else
              f"it tested {was.get('path', '?')}, model sha256 {str(was.get('sha256', '?'))[:12]}…")
    out = []
    for name, keys, higher in COMPARED:
        a, b = _figure(old, keys), _figure(new, keys)
        if a is None or b is None:
            continue
        if keys[0] == "latency":
            if kind != rep.producer or kind == "emulated" or not b > a * (1 + WORSE_MARGINS["latency"]):
                continue
            said = f"{a / 1000:.3g} ms → {b / 1000:.3g} ms ({rep.clock_label()})"
        elif (a - b if higher else b - a) > WORSE_MARGINS[keys[0]]:
            said = f"{100 * a:.1f} % → {100 * b:.1f} %"
        else:
            continue
        out.append(f"{name} {said}: worse than in the HIL report this one replaced, on the same data "
                   f"({tested})")
    return out
