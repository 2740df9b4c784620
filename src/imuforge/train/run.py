"""The training-run folder: what `imuforge train` writes and `eval` / `export` read.

Layout::

    RUN/
      model.keras          the float Keras model (input: normalised window)
      config.json          every training parameter (window, stride, rate, channels, seed, data …) and
                           the sha-256 of model.keras (model_sha256), labels.json and normalisation.json
                           (files_sha256)
      labels.json          label map: output index → label
      normalisation.json   per-channel mean and std (SI units) applied before the model
      history.json/.png    loss and accuracy per epoch, train and validation
      data.json            datasets used, windows per class and split, subjects, dropped windows
      metrics.json         validation metrics of the kept (best) weights
      heldout.npz          validation windows (SI, not normalised) and labels: held-out for export
      representative.npz   class-balanced, shuffled training windows for int8 calibration
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imuforge.errors import CorruptFileError, ImuforgeError, ValidationError, require_extra

RUN_FILES = ("model.keras", "config.json", "labels.json", "normalisation.json")
#: the run files whose sha-256 config.json records (``files_sha256``, since session 63), checked when the run
#: is read: the names of the model's outputs and the scale of its inputs (model.keras has ``model_sha256``)
SIGNED_FILES = ("labels.json", "normalisation.json")
#: everything in a run folder: what ``train`` writes (:func:`imuforge.train.trainer.train`) and ``eval`` adds
RUN_ENTRIES = (*RUN_FILES, "history.json", "history.png", "metrics.json", "confusion_val.png", "data.json",
               "heldout.npz", "representative.npz", "eval")
#: what a damaged run folder's error recommends
REMEDY = "a complete folder made by imuforge train (train again, or copy the run folder again)"
#: config.json entries every reader needs, and their checks
_CONFIG_NUMBERS = ("rate_hz", "window_s", "stride_s")


def corrupt(path: Path, why: str) -> CorruptFileError:
    """The one error for a damaged run file: ``corrupt run folder: <file>: <why>``."""
    return CorruptFileError("run folder", path, why, remedy=REMEDY)


def read_json_file(path: Path, error=corrupt) -> Any:
    """Parse a JSON file imuforge wrote; a truncated or non-JSON file raises ``error(path, why)``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(path, f"not valid JSON ({exc})") from None
    except OSError as exc:
        raise error(path, f"cannot be read ({exc.strerror or exc})") from None


@dataclass
class Run:
    """A training run folder, loaded."""

    path: Path
    config: dict[str, Any]
    labels: list[str]
    mean: np.ndarray
    std: np.ndarray

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.config["channels"])

    @property
    def rate_hz(self) -> float:
        return float(self.config["rate_hz"])

    @property
    def window_s(self) -> float:
        return float(self.config["window_s"])

    @property
    def stride_s(self) -> float:
        return float(self.config["stride_s"])

    @property
    def window_length(self) -> int:
        return int(self.config["window_length"])

    def normalise(self, X: np.ndarray) -> np.ndarray:
        """(x - mean) / std per channel, float32."""
        return ((np.asarray(X, np.float64) - self.mean) / self.std).astype(np.float32)

    def keras_model(self):
        """The float Keras model (loads TensorFlow); a damaged ``model.keras`` is a :class:`CorruptFileError`."""
        keras = require_extra("keras", purpose="loading a trained model")
        path = self.path / "model.keras"
        if not zipfile.is_zipfile(path):
            raise corrupt(path, "not a Keras model archive (truncated or overwritten?)")
        want = self.config.get("model_sha256")  # runs trained before it was recorded have none
        if want is not None:
            _check_sha256(path, str(want), "another model than this run trained (copied over it?)")
        try:
            model = keras.models.load_model(path, compile=False)
        except Exception as exc:  # keras raises ValueError, OSError, BadZipFile, KeyError … for a damaged archive
            raise corrupt(path, f"Keras cannot load it ({type(exc).__name__}: {exc})") from None
        want_in = (self.window_length, len(self.channels))
        got_in, got_out = tuple(model.input_shape[1:]), model.output_shape[-1]
        if got_in != want_in or got_out != len(self.labels):
            raise corrupt(path, f"model takes {got_in} and gives {got_out} outputs, but config.json and labels.json "
                                f"say {want_in} and {len(self.labels)}")
        return model

    def label_index(self, labels) -> np.ndarray:
        """Label strings → indices into :attr:`labels` (-1 for unknown labels)."""
        lut = {lab: i for i, lab in enumerate(self.labels)}
        return np.array([lut.get(str(v), -1) for v in labels], dtype=np.int64)

    def read_npz(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, labels)`` from ``heldout.npz`` or ``representative.npz``, checked against the run's window shape."""
        path = self.path / name
        if not path.exists():
            raise ValidationError(f"run has no {name}", source=str(self.path), allowed="a folder made by imuforge train")
        X, labels = read_windows_npz(path, corrupt)
        want = (self.window_length, len(self.channels))
        if X.ndim != 3 or X.shape[1:] != want:
            raise corrupt(path, f"windows have shape {X.shape}, the run's are (n, {want[0]}, {want[1]})")
        if not np.issubdtype(X.dtype, np.number) or not np.isfinite(X).all():
            numeric = np.issubdtype(X.dtype, np.number)
            bad = int((~np.isfinite(X)).any(axis=(1, 2)).sum()) if numeric else len(X)
            raise corrupt(path, f"{bad} of {len(X)} windows hold values that are not finite numbers")
        return X, labels

    def json(self, name: str) -> Any:
        """A JSON file of the run, or None when the run has none (a damaged one is a :class:`CorruptFileError`)."""
        path = self.path / name
        return read_json_file(path) if path.exists() else None

    def data_info(self) -> dict[str, Any]:
        """``data.json`` (an empty dict when the run has none), checked for the shape training writes: a
        damaged one is a :class:`CorruptFileError` naming what is wrong (keys a run from before lacks may be
        absent)."""
        path = self.path / "data.json"
        doc = self.json("data.json")
        if doc is None:
            return {}
        why = _data_info_problem(doc)
        if why:
            raise corrupt(path, why)
        return doc

    def trained_datasets(self) -> list[dict[str, Any]]:
        """The data that made this model, as ``data.json`` lists them: its own, then, for a fine-tune, its
        ``--init`` run's (and so on back): the pre-training's data trained the weights it started from, and
        its capture chose their epoch (a fine-tune's eval on them had said nothing; a fresh user's run). An
        ``--init`` run since moved or damaged adds nothing."""
        out = list(self.data_info().get("datasets", []))
        seen, at = {self.path.resolve()}, self
        while (init := at.config.get("init")) and len(seen) < 64:
            try:  # (recorded resolved since session 68; before, as typed: read from here)
                at = load_run(init)
                if at.path.resolve() in seen:
                    break
                earlier = at.data_info().get("datasets", [])
            except (ImuforgeError, OSError):
                break
            seen.add(at.path.resolve())
            out += [dict(d, role="init") for d in earlier]  # said as the --init run's, not this run's
        return out

    def seen(self, data: Sequence[str | os.PathLike]) -> str | None:
        """What the model did with the recording files of ``data`` when it trained (:func:`seen_in` on
        :meth:`trained_datasets`)."""
        return seen_in(self.trained_datasets(), data)

    def met(self, summaries: Sequence[dict[str, Any]]) -> str | None:
        """Where data the model never saw as files hold people it trained or validated on (:func:`met_in` on
        :meth:`trained_datasets`)."""
        return met_in(self.trained_datasets(), summaries)


def seen_in(trained: Sequence[dict[str, Any]], data: Sequence[str | os.PathLike]) -> str | None:
    """What a run did with the recording files of ``data`` when it trained, as a phrase — ``these data are in
    its --data (…)``, ``part of these data chose its early-stopping epoch (--val)`` — or None: files it never
    saw. ``trained``: its training data as ``data.json`` (and an export card's ``data.training``) list them.
    Files are compared resolved, as recorded at training (a run from before that: its folders as given,
    resolved from here); the same recordings copied elsewhere go unseen."""
    from imuforge.datasets.loading import find_all_datasets, split_paths

    given = recording_files(find_all_datasets(split_paths(data)))
    by_role: dict[str, set[Path]] = {}
    for s in trained:
        if "files" in s and "path_resolved" in s:
            files = {Path(s["path_resolved"]) / f for f in s["files"]}
        else:
            try:
                files = recording_files(find_all_datasets([s["path"]]))
            except (ValidationError, OSError, KeyError):  # since moved or damaged: not these data
                files = set()
        by_role.setdefault(s.get("role", "data"), set()).update(files)
    for role, what in (("data", "are in its --data (trained on, or held out to choose its epoch)"),
                       ("real", "are in its --real (trained on, or held out to choose its epoch)"),
                       ("validation", "chose its early-stopping epoch (--val)"),
                       ("init", "trained or validated the run it was fine-tuned from (--init)")):
        both = given & by_role.get(role, set())
        if both:
            return f"{'these' if both == given else 'part of these'} data {what}"
    return None


def met_in(trained: Sequence[dict[str, Any]], summaries: Sequence[dict[str, Any]]) -> str | None:
    """Where data a run never saw as files (:func:`seen_in`) hold people it trained or validated on — the same
    person's other recordings, or a selection cut again from its data (``dataset select``) — a phrase naming
    them, else None. ``summaries``: the data's :meth:`~imuforge.recording.Dataset.summary`; a virtual person's
    id names one generation seed's body (``synth.subject_id``), so other seeds' people are other people here
    too."""
    known = {str(x) for s in trained for x in s.get("subjects", [])}
    given = {str(x) for s in summaries for x in s.get("subjects", [])}
    both = sorted(known & given)
    if not both:
        return None
    names = ", ".join(both[:5]) + (f" and {len(both) - 5} more" if len(both) > 5 else "")
    return (f"{'these' if set(both) == given else 'part of these'} data hold people the run trained or "
            f"validated on ({names})")


def recording_files(datasets) -> set[Path]:
    """The resolved recording (or shard) files of ``datasets`` (each folder resolved once; a shard's many
    recordings name one file)."""
    return {root / f for ds in datasets for root in (Path(ds.path).resolve(),)
            for f in {str(e["file"]) for e in ds.entries}}


def read_windows_npz(path: Path, error=corrupt) -> tuple[np.ndarray, np.ndarray]:
    """``(X, labels)`` of a windows ``.npz``; a truncated file or missing array raises ``error(path, why)``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("X", "labels") if k not in z.files]
            if missing:
                raise error(path, f"lacks array(s) {', '.join(missing)}")
            X, labels = np.asarray(z["X"]), z["labels"].astype(str)
    except ValidationError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise error(path, f"not a readable .npz ({type(exc).__name__}: {exc})") from None
    if len(X) != len(labels):
        raise error(path, f"{len(X)} windows but {len(labels)} labels")
    return X, labels


def _check_config(config: Any, path: Path) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise corrupt(path, "not a JSON object")
    ch = config.get("channels")
    if not isinstance(ch, list) or not ch or not all(isinstance(c, str) and c for c in ch):
        raise corrupt(path, f"channels must be a non-empty list of channel names, got {ch!r}"[:200])
    for key in _CONFIG_NUMBERS:
        v = config.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v <= 0:
            raise corrupt(path, f"{key} must be a positive number, got {v!r}")
    wl = config.get("window_length")
    if isinstance(wl, bool) or not isinstance(wl, int) or wl <= 0:
        raise corrupt(path, f"window_length must be a positive integer, got {wl!r}")
    return _check_config_agrees(config, path)


def _check_config_agrees(config: dict[str, Any], path: Path) -> dict[str, Any]:
    """The parts of config.json the model and the data are read by, against each other and what training
    writes: known channels, each once; the window's length its seconds at its rate; a label policy, seed and
    model options of the kinds train takes."""
    from imuforge.datasets.windowing import LABEL_POLICIES, window_length
    from imuforge.recording import KNOWN_CHANNELS

    ch = config["channels"]
    odd = [c for c in ch if c not in KNOWN_CHANNELS]
    if odd or len(set(ch)) != len(ch):
        raise corrupt(path, f"channels {ch!r} are not known channel names, each once"[:200])
    want = window_length(config["window_s"], config["rate_hz"])
    if config["window_length"] != want:
        raise corrupt(path, f"window_length {config['window_length']} is not window_s {config['window_s']:g} "
                            f"s at rate_hz {config['rate_hz']:g} ({want} samples)")
    policy = config.get("label_policy", "majority")
    if policy not in LABEL_POLICIES:
        raise corrupt(path, f"label_policy {policy!r} is not one of {', '.join(LABEL_POLICIES)}")
    sha = config.get("model_sha256")
    from imuforge.recording import SHA256_HEX

    if sha is not None and not (isinstance(sha, str) and SHA256_HEX.fullmatch(sha)):
        raise corrupt(path, f"model_sha256 {sha!r} is not a sha-256 in hex"[:200])
    seed = config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise corrupt(path, f"seed {seed!r} is not a whole number")
    if not isinstance(config.get("model_kwargs", {}), dict):
        raise corrupt(path, f"model_kwargs {config['model_kwargs']!r} is not an object"[:200])
    return config


def _data_info_problem(doc: Any) -> str | None:
    """What in a run's ``data.json`` has a shape :func:`imuforge.train.train` never writes, or None."""
    def names(x) -> bool:
        return isinstance(x, list) and all(isinstance(v, str) for v in x)

    if not isinstance(doc, dict):
        return f"not a JSON object but a JSON {type(doc).__name__}"
    for key in ("profiles", "placements"):
        if key in doc and not names(doc[key]):
            return f"{key} is not a list of names"
    sets = doc.get("datasets", [])
    if not isinstance(sets, list):
        return "datasets is not a list"
    for i, d in enumerate(sets):
        if not isinstance(d, dict) or not isinstance(d.get("path"), str):
            return f"datasets entry {i} is not an object with a path"
        for key in ("profiles", "placements", "files", "subjects"):
            if key in d and not names(d[key]):
                return f"datasets entry {i}: {key} is not a list of names"
        for key in ("path_resolved", "role"):
            if key in d and not isinstance(d[key], str):
                return f"datasets entry {i}: {key} is not a text"
    windows = doc.get("windows", {})
    def counts(part) -> bool:
        return isinstance(part, dict) and all(
            isinstance(k, str) and isinstance(n, int) and not isinstance(n, bool) for k, n in part.items())

    if not isinstance(windows, dict) or not all(counts(part) for part in windows.values()):
        return "windows is not an object of split → label → count"
    return None


_LABELS_SHAPE = '{"labels": [one name per model output, in output order]}'


def _check_signed_files(path: Path, config: dict[str, Any]) -> None:
    """The :data:`SIGNED_FILES` as training wrote them (their sha-256 in config.json's ``files_sha256``; runs
    trained before it was recorded have none): a labels.json reordered by hand named every output wrongly and
    export's checks read 0.000 as "ok" (a fresh user's run, session 63)."""
    from imuforge.recording import SHA256_HEX

    want = config.get("files_sha256")
    if want is None:
        return
    if not isinstance(want, dict) or not set(want) <= set(RUN_ENTRIES) or not all(
            isinstance(v, str) and SHA256_HEX.fullmatch(v) for v in want.values()):
        raise corrupt(path / "config.json", "files_sha256 must map files of the run to sha-256s in hex")
    for name in want:  # (a later version may sign more files: those it names)
        if not (path / name).is_file():
            raise corrupt(path / name, "missing, and config.json records its sha256")
        _check_sha256(path / name, want[name], "edited or replaced after training")


def _check_sha256(path: Path, want: str, why: str) -> None:
    """Refuse ``path`` (a :class:`CorruptFileError` saying ``why``) unless its sha-256 is ``want``, the one
    config.json records."""
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if got != want:
        raise corrupt(path, f"sha256 {got[:16]}… is not the {want[:16]}… config.json records: {why}")


def _check_labels(doc: Any, path: Path, n_outputs: int | None) -> list[str]:
    """The label names, one per model output (``n_outputs``: config.json's ``n_classes``, None if unknown)."""
    labels = doc.get("labels") if isinstance(doc, dict) else doc
    if not isinstance(labels, list) or not all(isinstance(v, str) and v for v in labels):
        raise corrupt(path, f"labels are not a list of names; the file must be {_LABELS_SHAPE}")
    if n_outputs is not None and len(labels) != n_outputs:
        raise corrupt(path, f"names {len(labels)} label(s) but the model has {n_outputs} outputs "
                            f"(config.json n_classes); the file must be {_LABELS_SHAPE}")
    if not labels or not isinstance(doc, dict):
        what = "a bare list of names" if labels else "no labels"
        raise corrupt(path, f"{what}; the file must be {_LABELS_SHAPE}")
    if len(set(labels)) != len(labels):
        raise corrupt(path, "labels are not unique")
    return list(labels)


def _n_outputs(config: dict[str, Any]) -> int | None:
    """The model's output count config.json records (``n_classes``), None when it records none."""
    n = config.get("n_classes")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def _check_normalisation(doc: Any, path: Path, n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        mean = np.asarray(doc["mean"], np.float64)
        std = np.asarray(doc["std"], np.float64)
    except (TypeError, KeyError, ValueError):
        raise corrupt(path, "needs mean and std: lists of numbers, one per channel") from None
    if mean.shape != (n_channels,) or std.shape != mean.shape:
        raise corrupt(path, f"mean and std need {n_channels} values (one per channel of config.json), "
                            f"got {mean.shape} and {std.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(std).all()) or np.any(std <= 0):
        raise corrupt(path, "mean and std must be finite and std > 0")
    return mean, std


def load_run(path: str | os.PathLike) -> Run:
    """Open a training run folder written by :func:`imuforge.train.train`.

    Every file is checked: a damaged one (truncated, edited) raises one
    ``corrupt run folder: <file>: <why>`` error (:class:`~imuforge.errors.CorruptFileError`).
    """
    path = Path(path)
    if path.is_file():
        hint = f" (the run folder is {path.parent})" if (path.parent / "config.json").exists() else ""
        raise ValidationError(f"{path} is a file, not a run folder{hint}",
                              allowed="a folder made by imuforge train")
    if not path.is_dir():
        raise ValidationError(f"run folder {path} does not exist", allowed="a folder made by imuforge train")
    missing = [f for f in RUN_FILES if not (path / f).exists()]
    if missing and len(missing) <= len(RUN_FILES) - 2:  # a run that lost a file (two of its own are there)
        also = f" (and {', '.join(missing[1:])})" if missing[1:] else ""
        raise corrupt(path / missing[0], f"missing{also}")
    if missing:
        raise ValidationError(f"{path} is not a training run: missing {', '.join(missing)}",
                              allowed="a folder made by imuforge train")
    config = _check_config(read_json_file(path / "config.json"), path / "config.json")
    labels = _check_labels(read_json_file(path / "labels.json"), path / "labels.json", _n_outputs(config))
    mean, std = _check_normalisation(read_json_file(path / "normalisation.json"), path / "normalisation.json",
                                     len(config["channels"]))
    _check_signed_files(path, config)  # (after the shape checks: they say more of a damaged file)
    return Run(path=path, config=config, labels=labels, mean=mean, std=std)


def produced_by() -> dict[str, str]:
    """What made a results file, and when: the imuforge version and the UTC time (metrics of train and
    eval carry it, as the export card does)."""
    import datetime as dt

    import imuforge

    return {"imuforge_version": imuforge.__version__,
            "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically, indented, with a trailing newline."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=False, default=json_default) + "\n")
    os.replace(tmp, path)


def json_default(o):
    """NumPy scalars and arrays, and paths, as JSON values (``json.dumps(..., default=json_default)``)."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
