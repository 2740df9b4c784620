"""The model card (``card.json``) as a typed result: built by :func:`~imuforge.export.export_run`, read by
``imuforge export`` (its summary) and by HIL (the input format, the labels and the model's identity).

:meth:`ExportCard.to_json` gives ``card.json`` exactly (keys in their written order);
:meth:`ExportCard.from_json` reads one back, tolerating cards written before a section existed
(``hil`` validates the entries it needs first: :func:`imuforge.hil.runner.load_export`).
``checks`` and ``size`` stay JSON objects: the C generator and the QEMU run add their figures and
verdicts to them (:mod:`imuforge.export.cgen`).

The card carries the sha-256 of its own content (``card_sha256``, :func:`card_digest`): an edited card
(a label order reversed, a normalisation ``k`` scaled) is a ``corrupt export folder`` error wherever an
export folder is read (:func:`check_card_digest`). A card written before the digest existed has none and
still loads; HIL checks it against its model (:func:`imuforge.hil.runner.load_export`), other edits go
unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imuforge.train.evaluate import Metrics

CARD_FORMAT = "imuforge-model-card"
CARD_VERSION = 1
CARD_DIGEST = "card_sha256"  # the key of the card's own content digest
CARD_REMEDY = ("re-export: imuforge export RUN --out DIR --overwrite (card.json is not to be edited by hand; "
               "a copy of the folder as it was exported also does)")


def card_digest(card: dict[str, Any]) -> str:
    """The sha-256 of the card's content: every entry but ``card_sha256`` itself, as JSON read back from
    its file would be (NumPy values as numbers, integer keys as strings), serialised canonically (keys
    sorted, no spaces, UTF-8). Independent of the file's indentation and key order."""
    from imuforge.train.run import json_default  # as the card file is written

    rest = json.loads(json.dumps({k: v for k, v in card.items() if k != CARD_DIGEST}, default=json_default))
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # a non-UTF-8 file name too


def sign_card(card: dict[str, Any]) -> dict[str, Any]:
    """``card`` with ``card_sha256`` (last) set to the digest of the rest: for code that rewrites a card."""
    out = {k: v for k, v in card.items() if k != CARD_DIGEST}
    out[CARD_DIGEST] = card_digest(out)
    return out


def check_card_digest(card: dict[str, Any], path: str | Path) -> bool:
    """True if ``card`` (read from ``path``) carries its digest and the digest matches; False for a card
    written before digests existed (none recorded: nothing to check). A digest that does not match the
    content is a :class:`~imuforge.errors.CorruptFileError` (``corrupt export folder: <path>: …``)."""
    from imuforge.errors import CorruptFileError

    if CARD_DIGEST not in card:
        return False
    recorded, actual = card[CARD_DIGEST], card_digest(card)
    if recorded != actual:
        shown = f"{recorded[:16]}…" if isinstance(recorded, str) else repr(recorded)[:40]
        why = (f"was changed after export (its content digest does not match: {CARD_DIGEST} {shown}, "
               f"content {actual[:16]}…)")
        raise CorruptFileError("export folder", path, why, remedy=CARD_REMEDY)
    return True


@dataclass
class CardModel:
    """What the model is: name, architecture, the run it came from, its files, ops and sha-256."""

    name: str
    architecture: str | None
    run: str
    sha256: str
    file: str = "model.tflite"
    c_files: list[str] = field(default_factory=lambda: ["model.h", "model.c"])
    generated_c: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    ops_all_in_tflm: bool = True
    #: sha-256 of the generated C files (``c/…`` → hex), checked wherever an export folder is read; empty in
    #: a card written before they were recorded
    files_sha256: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {"name": self.name, "architecture": self.architecture, "run": self.run, "sha256": self.sha256,
               "file": self.file, "c_files": list(self.c_files), "generated_c": list(self.generated_c),
               "ops": list(self.ops), "ops_all_in_tflm": self.ops_all_in_tflm}
        if self.files_sha256:
            out["files_sha256"] = dict(self.files_sha256)
        return out


@dataclass
class CardDevice:
    """The device profile and placement the model is for (one value, a list, or None), and an optional budget."""

    profile: str | list[str] | None
    placement: str | list[str] | None
    latency_budget_ms: float | None = None  # not written by export; a card may carry one (hil reads it)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profile": self.profile, "placement": self.placement}
        if self.latency_budget_ms is not None:
            out["latency_budget_ms"] = self.latency_budget_ms
        return out


@dataclass
class Normalisation:
    """The training normalisation and how it is carried: folded into the input affine ``q = x·k + b``."""

    mean: list[float]
    std: list[float]
    carried_as: str
    k: list[float]
    b: list[float]

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "carried_as": self.carried_as, "k": self.k, "b": self.b}


@dataclass
class CardInput:
    """The model's input: the window, channels and units, the int8 quantisation and the normalisation."""

    window_length: int
    window_s: float
    stride_s: float
    odr_hz: float
    channels: list[str]
    units: dict[str, str]
    dtype: str
    scale: float
    zero_point: int
    normalisation: Normalisation

    def to_json(self) -> dict[str, Any]:
        return {"window_length": self.window_length, "window_s": self.window_s, "stride_s": self.stride_s,
                "odr_hz": self.odr_hz, "channels": list(self.channels), "units": dict(self.units),
                "dtype": self.dtype, "scale": self.scale, "zero_point": self.zero_point,
                "normalisation": self.normalisation.to_json()}


@dataclass
class CardOutput:
    """The model's output: int8 softmax over ``labels``."""

    dtype: str
    scale: float
    zero_point: int
    labels: list[str]
    meaning: str

    def to_json(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "scale": self.scale, "zero_point": self.zero_point,
                "labels": list(self.labels), "meaning": self.meaning}


def scored_on(source: str | None) -> str:
    """What a card's test figures were scored on, by its source: ``validation`` (the run's own validation or
    training data), ``trained people`` (other recordings of people the run trained on) or ``test``."""
    text = str(source)
    if text.startswith("training run's validation"):
        return "validation"
    return "trained people" if text.startswith("people the run trained") else "test"


@dataclass
class TestData:
    """The windows the metrics were measured on."""

    __test__ = False  # not a pytest test class

    source: str | None
    windows: int
    per_class: dict[str, int]
    unknown_labels_excluded: Any
    notes: list[str] = field(default_factory=list)
    #: sha-256 of the test windows (float32 SI values) and their labels: what tells two exports' figures
    #: were measured on the same windows (None in a card written before it was recorded)
    sha256: str | None = None

    @property
    def is_validation(self) -> bool:
        """Scored on the training run's validation windows (no held-out test data given)."""
        return scored_on(self.source) == "validation"

    def to_json(self) -> dict[str, Any]:
        out = {"source": self.source, "windows": self.windows, "per_class": self.per_class,
               "unknown_labels_excluded": self.unknown_labels_excluded, "notes": self.notes}
        return out | ({"sha256": self.sha256} if self.sha256 else {})


@dataclass
class CardData:
    """The training data (as the run's data.json describes it) and the test windows."""

    training: list[Any]
    windows: dict[str, Any]
    test: TestData

    def to_json(self) -> dict[str, Any]:
        return {"training": self.training, "windows": self.windows, "test": self.test.to_json()}


@dataclass
class ClassMetrics:
    """Accuracy, macro-F1 and per-class figures of one engine; the confusion matrix when recorded."""

    accuracy: float
    macro_f1: float
    per_class: dict[str, Any]
    confusion: list[list[int]] | None = None
    #: macro-F1 over the classes in the data only (eval's; None in a card written before it was recorded)
    macro_f1_in_data: float | None = None

    @classmethod
    def of(cls, m: Metrics, *, confusion: bool = False) -> ClassMetrics:
        """The card's figures of :func:`imuforge.train.evaluate.classification_metrics`' result."""
        d = m.to_json()
        return cls(m.accuracy, m.macro_f1, d["per_class"], d["confusion"] if confusion else None,
                   m.macro_f1_in_data)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "per_class": self.per_class}
        if self.macro_f1_in_data is not None:
            out["macro_f1_in_data"] = self.macro_f1_in_data
        if self.confusion is not None:
            out["confusion"] = self.confusion
        return out


@dataclass
class CardMetrics:
    """Float and int8 (TFLM) metrics on the test windows, the drop in points and the top-1 agreement."""

    float_model: ClassMetrics
    int8: ClassMetrics
    drop_accuracy_points: float
    drop_macro_f1_points: float
    float_int8_top1_agreement: float

    def to_json(self) -> dict[str, Any]:
        return {"float": self.float_model.to_json(), "int8": self.int8.to_json(),
                "int8_drop_points": {"accuracy": self.drop_accuracy_points, "macro_f1": self.drop_macro_f1_points},
                "float_int8_top1_agreement": self.float_int8_top1_agreement}


@dataclass
class ExportCard:
    """``card.json``: model, device, input/output, data, metrics, checks, sizes, host latency and tool versions."""

    created_utc: str
    model: CardModel
    device: CardDevice
    input: CardInput
    output: CardOutput
    data: CardData
    metrics: CardMetrics
    checks: dict[str, Any]
    size: dict[str, Any]
    latency_host: dict[str, Any]
    tools: dict[str, str]
    #: what the figures say that the checks do not (an int8 model above its float one; a figure worse than
    #: the export this one replaced: :func:`imuforge.export.exporter.export_warnings`), one line each
    warnings: list[str] = field(default_factory=list)
    format: str = CARD_FORMAT
    version: int = CARD_VERSION

    def to_json(self) -> dict[str, Any]:
        """``card.json``'s content, ending with ``card_sha256``: the digest of everything before it."""
        return sign_card({
            "format": self.format, "version": self.version, "created_utc": self.created_utc,
            "model": self.model.to_json(), "device": self.device.to_json(), "input": self.input.to_json(),
            "output": self.output.to_json(), "data": self.data.to_json(), "metrics": self.metrics.to_json(),
            "checks": self.checks, "size": self.size, "latency_host": self.latency_host, "tools": self.tools,
            "warnings": list(self.warnings)})

    def failed_checks(self) -> list[str]:
        """The checks whose verdict (``checks.checks_passed``, written at export) is FAIL; a card written
        before verdicts existed has none."""
        return [k for k, v in self.checks.get("checks_passed", {}).items() if v == "FAIL"]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ExportCard:
        """A card read back from ``card.json`` (sections a card lacks read as empty / None)."""
        m, dev, inp, out = d.get("model", {}), d.get("device", {}), d.get("input", {}), d.get("output", {})
        norm, data, met = inp.get("normalisation", {}), d.get("data", {}), d.get("metrics", {})
        test, drop = data.get("test", {}), met.get("int8_drop_points", {})
        return cls(
            created_utc=d.get("created_utc", ""),
            model=CardModel(m.get("name"), m.get("architecture"), m.get("run", ""), m.get("sha256", ""),
                            m.get("file", "model.tflite"), m.get("c_files", ["model.h", "model.c"]),
                            m.get("generated_c", []), m.get("ops", []), m.get("ops_all_in_tflm", True),
                            m.get("files_sha256") if isinstance(m.get("files_sha256"), dict) else {}),
            device=CardDevice(dev.get("profile"), dev.get("placement"),
                              d.get("latency_budget_ms") or dev.get("latency_budget_ms")),
            input=CardInput(inp.get("window_length", 0), inp.get("window_s", 0.0), inp.get("stride_s", 0.0),
                            inp.get("odr_hz", 0.0), inp.get("channels", []), inp.get("units", {}),
                            inp.get("dtype", "int8"), inp.get("scale", 1.0), inp.get("zero_point", 0),
                            Normalisation(norm.get("mean", []), norm.get("std", []), norm.get("carried_as", ""),
                                          norm.get("k", []), norm.get("b", []))),
            output=CardOutput(out.get("dtype", "int8"), out.get("scale", 1.0), out.get("zero_point", 0),
                              out.get("labels", []), out.get("meaning", "")),
            data=CardData(data.get("training", []), data.get("windows", {}),
                          TestData(test.get("source"), test.get("windows", 0), test.get("per_class", {}),
                                   test.get("unknown_labels_excluded"), test.get("notes", []),
                                   test.get("sha256"))),
            metrics=CardMetrics(_class_metrics(met.get("float", {})), _class_metrics(met.get("int8", {})),
                                drop.get("accuracy", 0.0), drop.get("macro_f1", 0.0),
                                met.get("float_int8_top1_agreement", 0.0)),
            checks=d.get("checks", {}), size=d.get("size", {}), latency_host=d.get("latency_host", {}),
            tools=d.get("tools", {}), warnings=[str(w) for w in d.get("warnings") or []],
            format=d.get("format", CARD_FORMAT), version=d.get("version", CARD_VERSION))

    @classmethod
    def read(cls, path: str | Path) -> ExportCard:
        """The card in ``path`` (a ``card.json`` file); an edited card (its digest does not match) is a
        :class:`~imuforge.errors.CorruptFileError` (:func:`check_card_digest`)."""
        d = json.loads(Path(path).read_text())
        if isinstance(d, dict):
            check_card_digest(d, path)
        return cls.from_json(d)


def _class_metrics(d: dict[str, Any]) -> ClassMetrics:
    return ClassMetrics(d.get("accuracy", 0.0), d.get("macro_f1", 0.0), d.get("per_class", {}),
                        d.get("confusion"), d.get("macro_f1_in_data"))


__all__ = ["CARD_DIGEST", "CardData", "CardDevice", "CardInput", "CardMetrics", "CardModel", "CardOutput",
           "ClassMetrics", "ExportCard", "Normalisation", "TestData", "card_digest", "check_card_digest",
           "sign_card"]
