"""Classification metrics, the confusion-matrix plot and run evaluation on Dataset folders."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from imuforge._folders import check_replaceable
from imuforge.errors import MissingChannelsError, ValidationError, require_extra


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``cm[true, pred]`` for integer labels in ``[0, n_classes)``."""
    y_true = np.asarray(y_true, np.int64)
    y_pred = np.asarray(y_pred, np.int64)
    cm = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


@dataclass(frozen=True)
class ClassScore:
    """One class's precision, recall and F1 (0 where undefined, as scikit-learn's ``zero_division=0``) and its
    support (windows of the class in the data)."""

    precision: float
    recall: float
    f1: float
    support: int


class _JsonMapping(Mapping):
    """A read-only mapping over a result's :meth:`to_json` keys (``m["macro_f1"]``, ``"windows" in m``,
    ``dict(m)``), for scripts written against the JSON files; the typed fields are the API."""

    def __getitem__(self, key: str) -> Any:
        return self.to_json()[key]

    def __iter__(self):
        return iter(self.to_json())

    def __len__(self) -> int:
        return len(self.to_json())


@dataclass(frozen=True)
class Metrics(_JsonMapping):
    """Accuracy, macro-F1 and per-class figures of one model on one set of windows.

    ``confusion[true][pred]`` counts windows in the order of ``labels``. :meth:`to_json` is the object
    ``metrics.json`` holds and :meth:`from_json` reads it back; as a mapping it reads the JSON's keys.
    """

    __hash__ = None  # equal by value, like the dicts it stands for, and as they are not hashable

    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    accuracy: float
    macro_f1: float
    macro_f1_in_data: float
    per_class: dict[str, ClassScore]

    @property
    def windows(self) -> int:
        return sum(map(sum, self.confusion))

    def predicted(self) -> np.ndarray:
        """Windows predicted as each class."""
        return np.asarray(self.confusion, np.int64).reshape(len(self.labels), -1).sum(axis=0)

    def to_json(self) -> dict[str, Any]:
        return {"windows": self.windows, "accuracy": self.accuracy, "macro_f1": self.macro_f1,
                "macro_f1_in_data": self.macro_f1_in_data,
                "per_class": {lab: asdict(r) for lab, r in self.per_class.items()},
                "confusion": [list(row) for row in self.confusion], "labels": list(self.labels)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Metrics:
        """The figures of a ``metrics.json`` (of a training run or an evaluation); one written before
        ``macro_f1_in_data`` existed takes ``macro_f1`` for it."""
        return cls(labels=tuple(d["labels"]),
                   confusion=tuple(tuple(int(v) for v in row) for row in d["confusion"]),
                   accuracy=float(d["accuracy"]), macro_f1=float(d["macro_f1"]),
                   macro_f1_in_data=float(d.get("macro_f1_in_data", d["macro_f1"])),
                   per_class={lab: ClassScore(float(r["precision"]), float(r["recall"]), float(r["f1"]),
                                              int(r["support"])) for lab, r in d["per_class"].items()})


def classification_metrics(y_true, y_pred, labels: Sequence[str]) -> Metrics:
    """Accuracy, macro-F1 and per-class precision / recall / F1 / support.

    Macro-F1 averages F1 over the classes that occur in ``y_true`` or ``y_pred`` (as
    scikit-learn does by default), so a class absent from the test data does not count as 0 — unless it was
    predicted: then its F1 is 0 and counts. ``macro_f1_in_data`` averages over the classes in ``y_true`` only
    (:func:`format_report` shows it where the two differ).
    """
    y_true = np.asarray(y_true, np.int64)
    y_pred = np.asarray(y_pred, np.int64)
    n = len(labels)
    cm = confusion_matrix(y_true, y_pred, n)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = (support > 0) | (predicted > 0)
    total = int(support.sum())
    return Metrics(
        labels=tuple(labels),
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
        accuracy=float(tp.sum() / total) if total else float("nan"),
        macro_f1=float(f1[present].mean()) if present.any() else float("nan"),
        macro_f1_in_data=float(f1[support > 0].mean()) if (support > 0).any() else float("nan"),
        per_class={lab: ClassScore(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
                   for i, lab in enumerate(labels)},
    )


def format_report(m: Metrics | Mapping[str, Any]) -> str:
    """A plain-text per-class report like scikit-learn's: the classes macro-F1 averages (in the data or
    predicted), then one line naming the model's classes that are neither. ``m``: :class:`Metrics`, or a
    ``metrics.json`` read back."""
    m = m if isinstance(m, Metrics) else Metrics.from_json(m)
    shown = averaged_classes(m)
    width = max([len(k) for k in shown] + [9])
    lines = [f"{'':<{width}}  precision  recall  f1-score  support"]
    for lab, r in shown.items():
        lines.append(f"{lab:<{width}}  {r.precision:9.3f}  {r.recall:6.3f}  {r.f1:8.3f}  {r.support:7d}")
    lines.append(f"{'accuracy':<{width}}  {'':9}  {'':6}  {m.accuracy:8.3f}  {m.windows:7d}")
    lines.append(f"{'macro-F1':<{width}}  {'':9}  {'':6}  {m.macro_f1:8.3f}")
    return "\n".join(lines + averaging_notes(m))


def averaged_classes(m: Metrics) -> dict[str, ClassScore]:
    """The classes macro-F1 averages: those in the data or predicted (:func:`classification_metrics`)."""
    predicted = dict(zip(m.labels, m.predicted().tolist()))
    return {lab: r for lab, r in m.per_class.items() if r.support or predicted[lab]}


def averaging_notes(m: Metrics) -> list[str]:
    """What macro-F1 is an average of where the model's classes and the data's differ, one line each: classes
    predicted that no window of the data is (they count with F1 0; the figure over the data's classes only
    beside), and classes neither in the data nor predicted (not averaged) — :func:`format_report`'s, and the
    export card's and the HIL report's."""
    predicted = dict(zip(m.labels, m.predicted().tolist()))
    lines = []
    if phantom := [lab for lab, r in m.per_class.items() if not r.support and predicted[lab]]:
        lines.append(f"macro-F1 counts {', '.join(phantom)} with F1 0: predicted, but no window of the data is "
                     f"{'one' if len(phantom) == 1 else 'any of them'} (as scikit-learn counts it); over the "
                     f"classes in the data only: {m.macro_f1_in_data:.3f}")
    averaged = averaged_classes(m)
    if absent := [lab for lab in m.per_class if lab not in averaged]:
        lines.append(f"not in the data and never predicted (not averaged): {', '.join(absent)}")
    return lines


def plot_confusion(m: Metrics | Mapping[str, Any], path: str | os.PathLike,
                   title: str = "confusion matrix") -> Path:
    """Row-normalised confusion matrix as a PNG, with counts in the cells (``m``: :class:`Metrics`, or a
    ``metrics.json`` read back)."""
    m = m if isinstance(m, Metrics) else Metrics.from_json(m)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(m.confusion, float)
    labels = list(m.labels)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    size = 1.2 + 0.55 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(f"{title}\naccuracy {m.accuracy:.3f}, macro-F1 {m.macro_f1:.3f}")
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of true class")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_title(run_name: str, data: Sequence, unknown: Counter, seen: str | None) -> str:
    """The confusion plot's title: the run and the data, and what its figures leave out — windows of labels
    the model does not know, data it has met (the plot travels without the console's notes)."""
    names = ", ".join(Path(p).name or str(p) for p in data)
    lines = [f"{run_name} on {names}" if len(names) <= 60 else f"{run_name} on {len(data)} data folders"]
    if unknown:
        n = sum(unknown.values())
        lines.append(f"not scored: {n} window{'s' if n != 1 else ''} of labels the model does not know")
    if seen:
        lines.append("data the model has met: not a test of new people")
    return "\n".join(lines)


def predict_float(run, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Float model probabilities for SI windows ``X`` (normalised here)."""
    model = run.keras_model()
    if X.shape[0] == 0:
        return np.zeros((0, len(run.labels)), np.float32)
    return np.asarray(model.predict(run.normalise(X), batch_size=batch_size, verbose=0))


def eval_name(data: Sequence[str | os.PathLike]) -> str:
    """The folder name of an evaluation under ``RUN/eval/``: the data folders' names (a calibration's
    ``dataset`` folder named with its parent), joined by ``+``, in file-name characters."""
    import re

    def one(p) -> str:
        q = Path(p).resolve()
        return f"{q.parent.name}_{q.name}" if q.name in ("dataset", "data") and q.parent.name else q.name

    name = "+".join(one(p) for p in data) or "data"
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name)[:80]


def default_eval_folder(run_path: Path, data: Sequence[str | os.PathLike]) -> Path:
    """Where an evaluation goes without ``--out``: ``RUN/eval/<eval_name>``, or, where that folder holds the
    evaluation of other data whose folders have the same names (``syn/standing`` and ``test/standing``),
    the first free ``<eval_name>-2``, ``-3`` …: an earlier evaluation is replaced only by one of the same
    data."""
    import json

    base = run_path / "eval" / eval_name(data)
    want = sorted(str(Path(p).resolve()) for p in data)
    folder, k = base, 1
    while (folder / "metrics.json").exists():
        try:
            doc = json.loads((folder / "metrics.json").read_text())
            # evaluations written before the resolved paths were kept: their paths as given, from here
            held = doc.get("data_resolved") or [str(Path(p).resolve()) for p in doc.get("data") or []]
            if sorted(held) == want:
                break
        except (OSError, ValueError, AttributeError, TypeError):
            pass  # an evaluation that does not read is not these data's: left as it is
        k += 1
        folder = base.with_name(f"{base.name}-{k}")
    return folder


#: what an evaluation writes into its folder (an earlier evaluation's are replaced, nothing else is)
EVAL_ENTRIES = ("metrics.json", "confusion.png")


def _check_out_folder(out: Path) -> None:
    """``eval --out``: a folder, new, empty or an earlier evaluation's (its metrics.json and confusion.png are
    replaced), not a file, not below one and not a folder of other files (a data folder: the evaluation would
    sit among its recordings)."""
    for p in (out, *out.parents):
        if p.exists() and not p.is_dir():
            where = "is a file" if p == out else f"is below {p}, which is a file"
            raise ValidationError(f"--out {out} {where}",
                                  allowed="a folder (new or existing) for metrics.json and confusion.png")
        if p.exists():
            break
    check_replaceable(out, "--out", what="evaluation", marker=EVAL_ENTRIES, own=EVAL_ENTRIES)


def site_notes(run, summaries: list[dict]) -> list[str]:
    """A note when data (their ``load_windows`` summaries) are worn at a body site ``run``'s model was not
    trained at — one place for ``eval`` and ``export --data``."""
    from imuforge.sensors.placement import sites_apart

    trained = {p for s in run.data_info().get("datasets", []) for p in s.get("placements", [])}
    worn = {p for s in summaries for p in s["placements"]}
    away = sites_apart(trained, worn)
    return [f"{worn_at(away, worn, 'the data')}, where the model was not trained (its training data are at "
            f"{', '.join(sorted(trained))}): expect the figures of another body site"] if away else []


def worn_at(away: Sequence[str], worn: set[str], what: str) -> str:
    """``'<what> are worn at A'`` — or, when only part of them are (``worn`` holds others too), ``'part of
    <what> are worn at A (the rest at B)'``."""
    rest = sorted(set(worn) - set(away))
    if not rest:
        return f"{what} are worn at {', '.join(away)}"
    return f"part of {what} are worn at {', '.join(away)} (the rest at {', '.join(rest)})"


def run_windows(run, data: Sequence[str | os.PathLike], *, desc: str):
    """The windows of ``data`` in ``run``'s layout (window, hop, rate, channels, label policy) and the data's
    summaries; nothing is split. Data lacking a channel the model takes are refused naming what the model
    takes and what to do (eval and export alike)."""
    from imuforge.datasets.loading import load_windows

    try:
        return load_windows(data, window_s=run.window_s, stride_s=run.stride_s, rate_hz=run.rate_hz,
                            channels=run.channels, label_policy=run.config.get("label_policy", "majority"),
                            desc=desc, warn_no_subject=False)
    except MissingChannelsError as exc:  # what the model takes and what to do, not only what the data lack
        raise ValidationError(f"the model takes {', '.join(run.channels)}; {exc.what}", source=exc.source,
                              allowed=f"data with every channel the model takes, or a model trained on the "
                                      f"data's ({', '.join(exc.held)}: imuforge train --channels "
                                      f"{','.join(exc.held)})") from None


def no_scored_windows(window_s: float, labels: Sequence[str], summaries: list[dict], unknown: dict,
                      dropped: dict) -> ValidationError:
    """Why data (their ``summaries``) give a model of ``labels`` and windows of ``window_s`` no window to
    score: none of their labels (``unknown``: label → windows) is the model's; the windows were dropped
    (``dropped``: reason → windows); or no labelled stretch of theirs, split at the gaps in its samples, is
    as long as a window — said as "none of the data's labels () is known" (a fresh user's rest of a
    selection). For eval, export --data and hil alike."""
    if unknown:
        return ValidationError(f"none of the data's labels ({', '.join(sorted(unknown))}) is known to the "
                               "model", allowed=", ".join(labels))
    held = sorted({lab for s in summaries for lab in s.get("duration_per_label_s", {})})
    shorter = f"their stretches of {', '.join(held)}, split at the gaps in their samples, are all shorter"
    why = (f"windows not used: {', '.join(f'{k}={v}' for k, v in dropped.items())}" if dropped else
           shorter if held else "they hold no label")
    return ValidationError(f"no labelled window of the model's {window_s:g} s in the data: {why}",
                           allowed=f"data with labelled stretches of {window_s:g} s or more without gaps")


def upsampling_notes(run, summaries: list[dict]) -> list[str]:
    """The note for data sampled below the model's rate: upsampled, they hold nothing above their Nyquist
    frequency, where the model may have learnt to look (downsampling loses nothing the model reads)."""
    rates = sorted({float(r) for s in summaries for r in s.get("rates_hz", [])})
    if not rates or rates[0] * 1.01 >= run.rate_hz:
        return []
    return [f"data at {rates[0]:.4g} Hz are upsampled to the model's {run.rate_hz:g} Hz: they hold nothing "
            f"above {rates[0] / 2:.4g} Hz, where the model may have learnt to look, so the figures can fall "
            f"short of what a device sampling at {run.rate_hz:g} Hz gets"]


@dataclass(frozen=True)
class Evaluation(_JsonMapping):
    """What :func:`evaluate_run` measured, and on what: the float model's :class:`Metrics` on the data's
    windows whose label the model knows, with where the data came from and what was not scored.

    :meth:`to_json` is the ``metrics.json`` object (the metrics' keys at its top level, as a training run's);
    mapping access (``ev["macro_f1"]``) reads its keys.
    """

    __hash__ = None  # (as Metrics)

    metrics: Metrics
    run: str
    data: tuple[str, ...]
    data_resolved: tuple[str, ...]  # which data, from any working folder
    notes: tuple[str, ...]
    unknown_labels: dict[str, int]  # label the model does not know → windows (not scored)
    dropped_windows: dict[str, int]
    data_rates_hz: tuple[float, ...]
    resampled_to_hz: float | None
    confusion_png: str
    created_utc: str
    imuforge_version: str
    # a fresh user's run (session 62): eval's 0.909 and hil's 91.4 % on the same data, nothing said why
    scored_model: str = "model.keras (float)"  # the int8 model the device runs: export --data and hil

    def to_json(self) -> dict[str, Any]:
        d = self.metrics.to_json()
        d.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "metrics"})
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def evaluate_run(run_path: str | os.PathLike, data: str | os.PathLike | Sequence[str | os.PathLike], *,
                 out: str | os.PathLike | None = None) -> Evaluation:
    """Evaluate a run on Dataset folders: metrics, unknown labels, dropped windows, confusion PNG.

    Data at another rate are resampled to the run's rate. Windows whose label the model does not
    know are not scored; they are counted in ``unknown_labels`` (label → windows). The confusion
    matrix is written to ``out/confusion.png`` (default: ``RUN/eval/<data>/``, :func:`eval_name`: an
    evaluation on other data does not replace this one).
    """
    from imuforge.datasets.loading import split_paths
    from imuforge.train.run import load_run, produced_by, write_json

    data = split_paths(data)  # one folder, or several
    require_extra("keras", purpose="imuforge eval")
    if out is not None:  # before the evaluation, so a bad --out costs nothing
        _check_out_folder(Path(out))
    run = load_run(run_path)
    windows, summaries = run_windows(run, data, desc="eval windows")
    y = run.label_index(windows.labels)
    unknown = Counter(windows.labels[y < 0].tolist())
    known = y >= 0
    if not known.any():
        raise no_scored_windows(run.window_s, run.labels, summaries, unknown, dict(windows.dropped))
    probs = predict_float(run, windows.X[known])
    m = classification_metrics(y[known], probs.argmax(axis=1), run.labels)
    rates = tuple(sorted({r for s in summaries for r in s["rates_hz"]}))
    notes = site_notes(run, summaries) + upsampling_notes(run, summaries)
    seen = run.seen(data) or run.met(summaries)
    if seen:  # (export says it in its card's test source)
        notes.append(f"{seen}: the figures are not a test of people the model has not met")
    elif not (run.path / "data.json").exists():  # (a run from before data.json, or one that lost it)
        notes.append("the run holds no data.json: whether these data trained it, or hold its people, is not "
                     "checked")
    out_dir = Path(out) if out is not None else default_eval_folder(run.path, data)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot_confusion(m, out_dir / "confusion.png", title=_plot_title(run.path.name, data, unknown, seen))
    made = produced_by()
    ev = Evaluation(
        metrics=m, run=str(run.path), data=tuple(map(str, data)),
        data_resolved=tuple(str(Path(p).resolve()) for p in data), notes=tuple(notes),
        unknown_labels=dict(sorted(unknown.items())), dropped_windows=dict(windows.dropped),
        data_rates_hz=rates,
        resampled_to_hz=run.rate_hz if any(abs(r - run.rate_hz) > 1e-9 for r in rates) else None,
        confusion_png=str(png), created_utc=made["created_utc"], imuforge_version=made["imuforge_version"])
    write_json(out_dir / "metrics.json", ev.to_json())
    return ev
