"""`imuforge hil`: an exported model's test windows through the device, checked bit for bit.

Steps: read the export folder (``model.tflite``, ``card.json``) → window the ``--data`` (Dataset
folders at the model's rate/window/channels, or an ``.npz`` / export folder with
``reference.npz``) → quantise with the card's input affine (the device's own formula) → run the
host's TFLM reference (:class:`imuforge.export.TflmModel`) → check the device holds the same model
(sha-256 and size) → stream every window (:class:`~imuforge.hil.client.HilClient`) → compare
every output byte with the reference, score against the labels, summarise latency and throughput →
write the reports (:mod:`imuforge.hil.report`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imuforge.bridge.links import LinkClosed
from imuforge.errors import CorruptFileError, Terminated, ValidationError
from imuforge.export.card import ExportCard, check_card_digest, scored_on
from imuforge.hil import messages as M
from imuforge.hil import report as R
from imuforge.hil.client import ClientStats, HilClient, HilError, WindowResult
from imuforge.hil.device import describe_device, is_emulator
from imuforge.progress import progress


@dataclass
class ExportedModel:
    """An ``imuforge export`` folder, loaded."""

    path: Path
    model_bytes: bytes
    card: ExportCard

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.model_bytes).hexdigest()

    @property
    def labels(self) -> list[str]:
        return list(self.card.output.labels)

    @property
    def k(self) -> np.ndarray:
        return np.asarray(self.card.input.normalisation.k, np.float32)

    @property
    def b(self) -> np.ndarray:
        return np.asarray(self.card.input.normalisation.b, np.float32)

    def latency_budget_ms(self) -> float:
        """Device latency budget: the card's ``latency_budget_ms`` if set, else the window stride
        (a model slower than its stride cannot keep up with the stream in real time)."""
        b = self.card.device.latency_budget_ms
        return float(b) if b else 1000.0 * float(self.card.input.stride_s)


EXPORT_REMEDY = "a complete folder made by imuforge export (export again, or copy the folder again)"


def corrupt_export(path: Path, why: str) -> CorruptFileError:
    """The one error for a damaged export file: ``corrupt export folder: <file>: <why>``."""
    return CorruptFileError("export folder", path, why, remedy=EXPORT_REMEDY)


def _check_card(card: Any, path: Path) -> dict[str, Any]:
    """The card entries HIL reads, present and of the right type."""
    try:
        inp, norm = card["input"], card["input"]["normalisation"]
        labels = card["output"]["labels"]
        n_ch = len(inp["channels"])
        ok = (isinstance(labels, list) and labels and all(isinstance(v, str) for v in labels)
              and len(norm["k"]) == n_ch and len(norm["b"]) == n_ch and int(inp["window_length"]) > 0
              and all(float(inp[k]) > 0 for k in ("window_s", "stride_s", "odr_hz"))
              and isinstance(card["model"]["sha256"], str))
        ok = ok and all(math.isfinite(float(v)) for v in [*norm["k"], *norm["b"]]) and all(
            float(v) != 0 for v in norm["k"])
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise corrupt_export(path, "lacks or garbles the model, input (window, channels, normalisation k/b: "
                                   "finite, k not 0) or output labels entries")
    device = card.get("device", {})
    if not isinstance(device, dict):
        raise corrupt_export(path, f"device is {json.dumps(device)[:40]}, not an object")
    for budget in (card.get("latency_budget_ms"), device.get("latency_budget_ms")):
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                                   or not budget > 0):
            raise corrupt_export(path, f"latency_budget_ms {json.dumps(budget)[:40]} is not a positive "
                                       "number")
    return card


def _check_model_fits_card(model_bytes: bytes, card: ExportCard, d: Path) -> None:
    """``model.tflite`` loads, takes the window the card describes, gives one output per label of it, and
    uses only ops TFLite-Micro has (a device would refuse the rest): a card whose digest is missing (written
    before digests) is otherwise taken as it is."""
    from imuforge.errors import MissingExtraError
    from imuforge.export.tflm import LiteRTModel, check_ops, model_ops

    try:
        lite = LiteRTModel(model_bytes)
    except MissingExtraError:
        raise
    except Exception as exc:  # noqa: BLE001 - the interpreter raises several kinds for a damaged flatbuffer
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:100]
        raise corrupt_export(d / "model.tflite", f"does not load as a TFLite model ({why})") from None
    shape = tuple(int(v) for v in lite.input["shape"])
    want = (1, card.input.window_length, len(card.input.channels))
    if shape != want:
        raise corrupt_export(d / "card.json", f"describes a {want[1]} × {want[2]} window, model.tflite takes "
                                              f"{' × '.join(map(str, shape[1:]))}")
    outputs = int(np.prod(lite.output["shape"]))
    if outputs != len(card.output.labels):
        raise corrupt_export(d / "card.json", f"names {len(card.output.labels)} labels, model.tflite has "
                                              f"{outputs} outputs")
    check_ops(model_ops(model_bytes), source=str(d / "model.tflite"))  # before a device is asked to load it


def load_export(path: str | os.PathLike, *, option: str = "--model") -> ExportedModel:
    """Open an export folder (needs ``model.tflite`` and ``card.json``), checking both are intact.

    ``model.tflite`` must be a TFLite flatbuffer whose sha-256 is the card's, and ``card.json`` must match
    its own content digest (a card written before digests existed has none and is taken as it is); a
    damaged file raises ``corrupt export folder: <file>: <why>``. ``option``: the flag that named the
    folder, for the error.
    """
    d = Path(path)
    if d.is_file():  # the model file itself: the card beside it is needed too
        raise ValidationError(f"{d} is a file; {option} takes the export folder that holds it",
                              source=option, allowed=f"a folder made by imuforge export (here: {d.parent})")
    missing = [f for f in ("model.tflite", "card.json") if not (d / f).exists()]
    if not d.is_dir() or missing:
        raise ValidationError(f"{d} is not an export folder" + (f": missing {', '.join(missing)}" if missing else ""),
                              source=option, allowed="a folder made by imuforge export")
    from imuforge.train.run import read_json_file

    raw = _check_card(read_json_file(d / "card.json", corrupt_export), d / "card.json")
    check_card_digest(raw, d / "card.json")  # an edited card (labels, k, b …) is refused, not believed
    card = ExportCard.from_json(raw)
    model_bytes = (d / "model.tflite").read_bytes()
    if len(model_bytes) < 16 or model_bytes[4:8] != b"TFL3":
        raise corrupt_export(d / "model.tflite", f"not a TFLite flatbuffer ({len(model_bytes)} bytes, no TFL3 tag)")
    sha = hashlib.sha256(model_bytes).hexdigest()
    if sha != card.model.sha256:
        raise corrupt_export(d / "model.tflite", f"sha256 {sha[:16]}… ({len(model_bytes)} bytes) is not the "
                                                 f"{card.model.sha256[:16]}… card.json records")
    _check_model_fits_card(model_bytes, card, d)
    for name, want in card.model.files_sha256.items():  # the generated C the emulator compiles (newer cards)
        base = name[2:] if isinstance(name, str) and name.startswith("c/") else ""
        if not base or "/" in base or "\\" in base or base == "..":
            raise corrupt_export(d / "card.json", f"hashes {name!r}, not a file in c/")
        f = d / name
        if not f.is_file():
            raise corrupt_export(f, "missing (card.json lists it)")
        got = hashlib.sha256(f.read_bytes()).hexdigest()
        if got != want:
            raise corrupt_export(f, f"sha256 {got[:16]}… is not the {str(want)[:16]}… card.json records")
    return ExportedModel(d, model_bytes, card)


@dataclass(frozen=True)
class CardLayout:
    """An export card's window layout under the names eval's helpers read off a training run (``window_s``,
    ``stride_s``, ``rate_hz``, ``channels``, ``config``): HIL windows data, refuses them and words its notes
    as eval and export do (:func:`imuforge.train.evaluate.run_windows`, ``upsampling_notes``)."""

    window_s: float
    stride_s: float
    rate_hz: float
    channels: tuple[str, ...]
    config: dict = field(default_factory=dict)  # the card records no label policy: the loader's majority

    @classmethod
    def of(cls, card: ExportCard) -> CardLayout:
        inp = card.input
        return cls(float(inp.window_s), float(inp.stride_s), float(inp.odr_hz), tuple(inp.channels))


@dataclass
class TestWindows:
    X: np.ndarray  # (n, window, channels) SI
    labels: np.ndarray  # (n,) str
    source: str
    starts_s: np.ndarray | None = None
    recordings: np.ndarray | None = None
    excluded: dict[str, int] = field(default_factory=dict)
    placements: frozenset[str] = frozenset()  # where the recordings were worn (Datasets that say so)
    resampled_from_hz: tuple[float, ...] = ()  # the data's own rates, where they are not the model's
    notes: tuple[str, ...] = ()  # what the figures on these windows do not say (:func:`data_notes`)


def load_test_windows(data: str | os.PathLike | list, model: ExportedModel, *, max_windows: int | None = None,
                      seed: int = 0) -> TestWindows:
    """Windows at the model's input format from ``data`` (see module doc); unknown labels counted, not scored."""
    paths = [Path(p) for p in (data if isinstance(data, list | tuple) else str(data).split(","))]
    inp = model.card.input
    npz = None
    if len(paths) > 1 and any(p.suffix == ".npz" for p in paths):
        raise ValidationError(f"an .npz of windows among {len(paths)} data: {', '.join(map(str, paths))}",
                              source="--data", allowed="an .npz of windows alone, or Dataset folders")
    if len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".npz":
        npz = paths[0]
    elif len(paths) == 1 and (paths[0] / "reference.npz").exists() and not (paths[0] / "manifest.json").exists():
        npz = paths[0] / "reference.npz"
    elif (len(paths) == 1 and (paths[0] / "card.json").is_file() and (paths[0] / "model.tflite").is_file()
          and not (paths[0] / "manifest.json").exists()):  # an export folder that lost its test windows
        raise corrupt_export(paths[0] / "reference.npz",
                             "missing (an export folder's test windows, which --data EXPORT reads)")
    if npz is not None:
        from imuforge.train.run import read_windows_npz

        def bad_npz(path: Path, why: str) -> ValidationError:
            if path.name == "reference.npz":
                return corrupt_export(path, why)
            return ValidationError(why, source=str(path), allowed="an .npz with arrays X (n, T, C) and labels (n,)")

        X, labels = read_windows_npz(npz, bad_npz)
        tw = TestWindows(np.asarray(X, np.float32), labels, str(npz))
        test = model.card.data.test
        own = npz.resolve() == (Path(model.path) / "reference.npz").resolve()  # not another export's
        if own and scored_on(test.source) != "test":
            tw.notes = (f"these are the export's own test windows, {test.source}",)
    else:
        for p in paths:
            if not p.exists():
                raise ValidationError(f"{p} does not exist", source="--data",
                                      allowed="Dataset folders, folders holding them, or an .npz of windows")
        from imuforge.train.evaluate import run_windows

        # eval's windowing and its refusal of data lacking a channel the model takes
        w, summaries = run_windows(CardLayout.of(model.card), paths, desc="HIL windows")
        if not np.isin(np.asarray(w.labels).astype(str), model.labels).any():
            from imuforge.train.evaluate import no_scored_windows

            raise no_scored_windows(float(inp.window_s), model.labels, summaries,
                                    Counter(np.asarray(w.labels).astype(str).tolist()), dict(w.dropped))
        tw = TestWindows(np.asarray(w.X, np.float32), np.asarray(w.labels).astype(str), ",".join(map(str, paths)),
                         None if w.starts_s is None else np.asarray(w.starts_s, float), np.asarray(w.sources),
                         placements=frozenset(q for s in summaries for q in s["placements"]),
                         resampled_from_hz=tuple(sorted({float(r) for s in summaries for r in s["rates_hz"]
                                                         if abs(float(r) - float(inp.odr_hz)) > 1e-6})),
                         notes=data_notes(model.card, paths, summaries))
    want = (int(inp.window_length), len(inp.channels))
    if tw.X.ndim != 3 or tw.X.shape[1:] != want:
        raise ValidationError(f"test windows have shape {tw.X.shape[1:]}, the model takes {want}", source=tw.source)
    check_finite_windows(tw)
    known = np.isin(tw.labels, model.labels)
    if not known.all():
        u, c = np.unique(tw.labels[~known], return_counts=True)
        tw.excluded = {str(a): int(b) for a, b in zip(u, c)}
        tw.X, tw.labels = tw.X[known], tw.labels[known]
        tw.starts_s = None if tw.starts_s is None else tw.starts_s[known]
        tw.recordings = None if tw.recordings is None else tw.recordings[known]
    if len(tw.X) == 0:
        raise ValidationError("no test windows with labels the model knows", source=tw.source,
                              allowed=", ".join(model.labels))
    if max_windows is not None and len(tw.X) > max_windows:
        keep = np.sort(np.random.default_rng(seed).choice(len(tw.X), max_windows, replace=False))
        tw.X, tw.labels = tw.X[keep], tw.labels[keep]
        tw.starts_s = None if tw.starts_s is None else tw.starts_s[keep]
        tw.recordings = None if tw.recordings is None else tw.recordings[keep]
    return tw


def data_notes(card: ExportCard, paths: list[Path], summaries: list[dict]) -> tuple[str, ...]:
    """What a HIL run's figures on Dataset folders ``paths`` do not say (the report's notes, said on the
    console too): data worn at a body site the model is not for, sampled below its rate (upsampled: eval's
    note), or that trained it (its files, or its people: as ``eval`` says it, from the card's record of the
    training data)."""
    from imuforge.sensors.placement import sites_apart
    from imuforge.train.evaluate import upsampling_notes, worn_at
    from imuforge.train.run import met_in, seen_in

    out = []
    where = card.device.placement
    model = {where} if isinstance(where, str) else set(where or ())
    worn = {q for s in summaries for q in s["placements"]}
    if away := sites_apart(model, worn):
        out.append(f"{worn_at(away, worn, 'the test data')}, the model is for {', '.join(sorted(model))}: "
                   "its accuracy here is another body site's")
    out += upsampling_notes(CardLayout.of(card), summaries)  # eval's and export's words
    if seen := (seen_in(card.data.training, paths) or met_in(card.data.training, summaries)):
        out.append(f"{seen}: the accuracy is not a test of people the model has not met")
    return tuple(out)


def check_finite_windows(tw: TestWindows) -> None:
    """Refuse test windows holding NaN or infinity, naming the first (its recording and time when known):
    quantised, NaN becomes an arbitrary int8 that device and host agree on, so the run would pass on
    nothing."""
    bad = ~np.isfinite(tw.X).all(axis=(1, 2))
    if not bad.any():
        return
    i = int(np.argmax(bad))
    where = f"window {i}"
    if tw.recordings is not None:
        at = f" at {tw.starts_s[i]:.2f} s" if tw.starts_s is not None else ""
        where += f" ({tw.recordings[i]}{at})"
    raise ValidationError(f"{int(bad.sum())} of {len(bad)} test windows hold NaN or infinite values; "
                          f"the first is {where}", source=tw.source,
                          allowed="finite numbers only (fix or drop those samples before testing the device)")


def data_identity(tw: TestWindows) -> dict[str, Any]:
    """What tells the test data of a report (``data.sha256``: of the windows as the model takes them, float32,
    and their labels; ``data.resolved``: the sources from any working folder): a report that ``--overwrite``
    replaces is compared with the new one when they are the same (:func:`imuforge.hil.report.same_data`)."""
    h = hashlib.sha256(np.ascontiguousarray(tw.X, np.float32).tobytes())
    h.update("\n".join(map(str, tw.labels)).encode())
    return {"sha256": h.hexdigest(), "resolved": [str(Path(p).resolve()) for p in tw.source.split(",")]}


def latency_stats(us: np.ndarray) -> dict[str, float]:
    """Summary of per-window mean latencies (µs of the device clock)."""
    us = np.asarray(us, float)
    us = us[np.isfinite(us)]
    if us.size == 0:
        return {"windows": 0}
    return {"windows": int(us.size), "mean_us": float(us.mean()), "median_us": float(np.median(us)),
            "p90_us": float(np.percentile(us, 90)), "p99_us": float(np.percentile(us, 99)),
            "min_us": float(us.min()), "max_us": float(us.max()), "std_us": float(us.std())}


def host_reference(model: ExportedModel, Q: np.ndarray) -> np.ndarray:
    """The int8 outputs of the host's TFLM interpreter for the quantised windows ``Q``: what every device
    output is compared with."""
    from imuforge.export import TflmModel

    bar = progress(total=len(Q), desc="host TFLM reference", unit="win")
    ref_model = TflmModel(model.model_bytes)
    ref = np.empty((len(Q), len(model.labels)), np.int8)
    for i in range(len(Q)):
        ref[i] = ref_model.invoke(Q[i:i + 1]).reshape(-1)
        bar.update(1)
    bar.close()
    return ref


def device_identity(info, model: ExportedModel, max_chunk: int) -> dict[str, Any]:
    """The report's ``device`` entry from the device's GET_MODEL answer ``info``: its model's sha-256 and size
    beside the export's (``match``), its arena and shapes, and what it is (:func:`describe_device`)."""
    return {"device_sha256": info.sha256.hex(), "device_size": info.size, "host_sha256": model.sha256,
            "host_size": len(model.model_bytes), "match": info.sha256.hex() == model.sha256
            and info.size == len(model.model_bytes), "name": info.name, "boot_id": info.boot_id,
            "arena_size": info.arena_size, "arena_used": info.arena_used, "max_chunk": max_chunk,
            "input_shape": list(info.input_shape), "output_shape": list(info.output_shape),
            **describe_device(info.name), "reference": "host TFLM interpreter"}


def run_hil(model_dir: str | os.PathLike, data, link, *, out: str | os.PathLike, runs: int = 1,
            warmup: int = 0, timeout_s: float = 2.0, retries: int = 3, pipeline: int = 2,
            max_windows: int | None = None, link_bytes_per_s: float | None = None,
            link_description: str | None = None, latency_budget_ms: float | None = None,
            emulated: bool | None = None, inference_us: tuple[float, str] | None = None) -> R.HilReport:
    """Run the whole HIL test on an open link; returns the report (also written into ``out``).

    ``data``: what :func:`load_test_windows` takes, or its :class:`TestWindows` (loaded and checked before
    a device is involved, as ``imuforge hil`` does).

    ``link_bytes_per_s``: the link's capacity (e.g. baud / 10 for 8N1 serial) if known; the
    report then states which fraction of the windows/s the link allows was reached.
    ``emulated``: whether the device is imuforge's emulator (``None``: told by the name the device
    reports). A device that disconnects mid-run gives a partial report marked ``disconnected``.
    ``inference_us``: (µs, whence) of one inference where known before the run (QEMU: the card's), said
    when ``timeout_s`` is below it. A report replaced in ``out`` is compared: :func:`R.worse_than` (only when
    both completed every window).
    """
    from imuforge.export import quantize_input

    model = load_export(model_dir)
    tw = data if isinstance(data, TestWindows) else load_test_windows(data, model, max_windows=max_windows)
    Q = quantize_input(tw.X, model.k, model.b)
    y = np.array([model.labels.index(v) for v in tw.labels])
    n = len(Q)
    ref = host_reference(model, Q)

    client = HilClient(link, timeout_s=timeout_s, retries=retries, pipeline=pipeline)
    client.stop_streaming()  # a capture killed mid-run left the device streaming: it would answer BUSY
    client.drain(0.2)
    info = client.get_model()
    identity = device_identity(info, model, client.max_chunk)
    # another model on the device: no window is run, and the reports say so (model_identity fails, exit 1)
    wrong_model = None if identity["match"] else (
        f"the device runs a different model: sha256 {identity['device_sha256'][:16]}… ({info.size} bytes), "
        f"{model.path / 'model.tflite'} has {model.sha256[:16]}… ({len(model.model_bytes)} bytes); flash the "
        "model first")

    up = sum(M.wire_bytes(m) for m in client.window_messages(1, Q[0].tobytes(), runs, warmup))
    down = M.wire_bytes(M.HilResult(1, runs, 0, 0, 0, 0, 0, bytes(info.output_len)))
    bar = progress(total=n, desc="HIL windows", unit="win")
    mismatched = [0]

    def on_window(r: WindowResult) -> None:
        if r.output is not None and not np.array_equal(r.output, ref[r.index]):
            mismatched[0] += 1
        bar.set_postfix_str(f"mismatches {mismatched[0]} retries {client.stats.retries} resets "
                            f"{len(client.stats.resets)}", refresh=False)
        bar.update(1)

    t0 = time.monotonic()
    error, disconnected, results, interrupt = wrong_model, False, [], None
    try:
        if wrong_model is None:
            results = client.run(Q, runs=runs, warmup=warmup, on_window=on_window)
    except (HilError, LinkClosed) as exc:
        error, disconnected = str(exc), isinstance(exc, LinkClosed)
        results = getattr(exc, "results", [])  # windows completed before the failure still count
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the windows completed are reported, then it goes on
        interrupt, results = exc, getattr(exc, "results", [])
        done = sum(r.output is not None for r in results)
        error = (f"interrupted ({'SIGTERM' if Terminated.received else 'Ctrl-C'}) after {done} of {n} "
                 "windows")
    wall = time.monotonic() - t0
    bar.close()
    rep = build_report(model, tw, Q, y, ref, results, client.stats, identity, wall=wall, up=up, down=down,
                       runs=runs, warmup=warmup, pipeline=pipeline, link_bytes_per_s=link_bytes_per_s,
                       link=link_description or getattr(link, "description", ""), error=error,
                       latency_budget_ms=latency_budget_ms or model.latency_budget_ms(),
                       emulated=is_emulator(info.name) if emulated is None else emulated,
                       disconnected=disconnected)
    measured = [r.mean_us for r in results if r.output is not None]
    rep.timeout_note = R.timeout_below_inference(timeout_s, runs + warmup, client.stats.timeouts, measured,
                                                 inference_us)
    rep.warnings = R.worse_than(R.read_replaced(out), rep)  # said why where a partial run is not compared
    R.write_reports(rep, out, ref=ref, results=results)
    if interrupt is not None:  # the caller sees the interruption, with the report written (``.report``)
        interrupt.report = rep
        raise interrupt
    return rep


def build_report(model: ExportedModel, tw: TestWindows, Q, y, ref, results: list[WindowResult], stats: ClientStats,
                 identity: dict, *, wall: float, up: int, down: int, runs: int, warmup: int, pipeline: int,
                 link_bytes_per_s: float | None, link: str, error: str | None,
                 latency_budget_ms: float, emulated: bool = False, disconnected: bool = False) -> R.HilReport:
    from imuforge.train.evaluate import averaging_notes, classification_metrics

    n = len(Q)
    got = np.array([r.output is not None for r in results] + [False] * (n - len(results)), bool)
    out = np.full_like(ref, 0)
    for r in results:
        if r.output is not None:
            out[r.index] = r.output.reshape(-1)
    diff = got & np.any(out != ref, axis=1)
    mismatches = []
    for i in np.flatnonzero(diff):
        d = np.flatnonzero(out[i] != ref[i])
        entry = {"window": int(i), "label": str(tw.labels[i]), "device": out[i].tolist(), "reference": ref[i].tolist(),
                 "differing_outputs": d.tolist(), "max_abs_diff_lsb": int(np.abs(out[i].astype(int) - ref[i]).max()),
                 "device_top1": model.labels[int(out[i].argmax())], "reference_top1": model.labels[int(ref[i].argmax())]}
        if tw.starts_s is not None:
            entry["start_s"] = float(tw.starts_s[i])
        if tw.recordings is not None:
            entry["recording"] = str(tw.recordings[i])
        mismatches.append(entry)
    failed = [{"window": int(r.index), "label": str(tw.labels[r.index]), "errors": r.errors}
              for r in results if r.output is None]
    m_dev = classification_metrics(y[got], out[got].argmax(1), model.labels) if got.any() else None
    figure_notes = averaging_notes(m_dev) if m_dev else []  # eval's, under its per-class table
    m_ref = classification_metrics(y, ref.argmax(1), model.labels)
    dev_json = m_dev.to_json() if m_dev else {}
    lat = latency_stats(np.array([r.mean_us for r in results if r.output is not None]))
    per_window = max(up, down)
    allowed = link_bytes_per_s / per_window if link_bytes_per_s else None
    wps = int(got.sum()) / wall if wall > 0 else float("nan")
    arena = max((r.arena_used for r in results if r.output is not None), default=identity["arena_used"])
    budget_ok = bool(lat.get("p99_us", float("inf")) <= latency_budget_ms * 1000) if lat["windows"] else False
    return R.HilReport(
        created_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        model={"path": str(model.path), "name": model.card.model.name, "sha256": model.sha256,
               "size_bytes": len(model.model_bytes), "labels": model.labels},
        device={**identity, "link": link},
        data={"source": tw.source, "windows": n, "excluded_unknown_labels": tw.excluded,
              "resampled_from_hz": list(tw.resampled_from_hz),
              "model_rate_hz": float(model.card.input.odr_hz), "notes": [*tw.notes, *figure_notes],
              **data_identity(tw)},
        windows=n, windows_completed=int(got.sum()), windows_failed=failed, mismatches=mismatches,
        accuracy=m_dev.accuracy if m_dev else None, macro_f1=m_dev.macro_f1 if m_dev else None,
        macro_f1_in_data=m_dev.macro_f1_in_data if m_dev else None,
        per_class=dev_json["per_class"] if m_dev else {}, confusion=dev_json["confusion"] if m_dev else [],
        reference={"accuracy": m_ref.accuracy, "macro_f1": m_ref.macro_f1,
                   "macro_f1_in_data": m_ref.macro_f1_in_data,
                   "engine": "tflite-micro Python interpreter (TFLM reference kernels) on the host"},
        latency={**lat, "clock": R.latency_clock(R.producer_kind(emulated, identity)),
                 "runs_per_window": runs, "warmup_runs": warmup, "budget_ms": latency_budget_ms,
                 "within_budget": budget_ok},
        arena_used_bytes=int(arena),
        throughput={"windows_per_s": wps, "seconds": wall, "pipeline": pipeline,
                    "wire_bytes_per_window_up": up, "wire_bytes_per_window_down": down,
                    "link_bytes_per_s": link_bytes_per_s, "windows_per_s_link_allows": allowed,
                    "fraction_of_link": (wps / allowed) if allowed else None,
                    "bytes_sent": stats.bytes_sent, "bytes_received": stats.bytes_received},
        retries=stats.retries, timeouts=stats.timeouts, device_resets=list(stats.resets),
        device_errors=stats.device_errors, frames_corrupt=stats.frames_corrupt,
        emulated=bool(emulated), error=error, disconnected=disconnected,
    )
