"""Training: windows from Dataset folders → a class-balanced, early-stopped Keras model in a run folder.

Reproducible: the seed fixes Python, NumPy and TensorFlow RNGs, TensorFlow runs with
deterministic ops, and the split, shuffles and representative set all derive from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from imuforge._folders import check_new_folder, check_replaceable, staged_folder
from imuforge.datasets.loading import load_windows, split_paths
from imuforge.datasets.windowing import (DEFAULT_CHANNELS, LABEL_POLICIES, Windows, balanced_sample, subject_split,
                                         time_split)
from imuforge.errors import (MissingChannelsError, TrainingNote, UnusableValidationError, ValidationError,
                             check_range, check_seed)
from imuforge.labels import CANONICAL_LABELS, NO_SUBJECT, describe_owners, one_wearer_per_class
from imuforge.progress import progress
from imuforge.sensors.placement import sites_apart
from imuforge.train.augment import Augmentation
from imuforge.train.batchnorm import batchnorm_layers, population_statistics, statistics_rows, unsettable
from imuforge.train.run import RUN_ENTRIES, SIGNED_FILES, Run, load_run, produced_by, write_json
from imuforge.train.zoo import ZOO, check_model_kwargs
from imuforge.units import CHANNEL_UNITS

#: Bounds of the sizes a run may ask for: option → (lowest, highest), shown by ``train --help``.
#: ``--width`` is the first layer's filters (the zoo's defaults are 16–24; 512 is far beyond what a
#: microcontroller holds, and wider only exhausts the host's memory); ``--epochs`` and ``--batch-size``
#: (windows per step) likewise.
SIZE_LIMITS = {"--epochs": (1, 10_000), "--batch-size": (1, 16_384), "--width": (1, 512)}

#: Size of the representative (int8 calibration) set stored in the run folder.
REPRESENTATIVE_WINDOWS = 512


#: allowed ``--real-weight`` (the weight of each real window against a synthetic one)
REAL_WEIGHT_RANGE = (1e-3, 1e3)


@dataclass
class TrainConfig:
    """Every parameter of a training run (written to ``config.json``).

    Times in seconds, rates in Hz. ``data`` are synthetic (or any) Dataset folders, ``real`` real
    ones; both are searched recursively. ``val`` are real Dataset folders that only validate (early
    stopping, the validation figures; never trained on, e.g. the capture a synthetic set was calibrated
    with). ``real_weight`` multiplies the (class-balanced) sample weight of real windows. ``labels``
    restricts training to those labels (default: all found). ``channels`` None (the default): the ``--init``
    run's, else :data:`~imuforge.datasets.windowing.DEFAULT_CHANNELS` narrowed to those every training and
    validation recording holds (an accelerometer-only data set trains on its accelerometer;
    :func:`resolve_channels`); ``train`` writes the list it took to ``config.json``.

    The defaults are the plain recipe: ``val`` empty (validation held out of the training data), ``augment``
    None. ``imuforge train`` decides these two from the data (``--val auto``, ``--augment auto``: the recipe
    docs/TRAINING.md recommends for calibrated synthetic data); from Python the same decisions are::

        from imuforge.train import TrainConfig, train
        from imuforge.train.augment import Augmentation
        from imuforge.train.capture import capture_validation

        decided = capture_validation("cal/dataset", min_seconds=0.5 * TrainConfig.window_s)
        cfg = TrainConfig(data=["cal/dataset"], val=decided.paths, labels=decided.labels or None,
                          augment=Augmentation.parse("default").to_json())  # simulated data: default
        train(cfg, "run")
    """

    data: list[str]
    model: str = "tiny_cnn"
    real: list[str] = field(default_factory=list)
    val: list[str] = field(default_factory=list)
    window_s: float = 2.56
    stride_s: float = 1.28
    rate_hz: float = 50.0
    channels: list[str] | None = None
    label_policy: str = "majority"
    labels: list[str] | None = None
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-3
    patience: int = 6
    val_fraction: float = 0.2
    real_weight: float = 1.0
    seed: int = 0
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    augment: list[dict[str, Any]] | None = None
    augment_on: str = "all"
    init: str | None = None
    #: sharded Datasets stream (train/stream.py): "auto" (when any is sharded), "on", "off"
    stream: str = "auto"
    shuffle_buffer: int = 8192  # windows in the streaming shuffle buffer
    balance: str = "weights"  # streaming: class weights, or "sampling" (classes drawn equally from the buffer)

    def __post_init__(self) -> None:
        """The forms a caller may write as the command line does: one folder or ``"a,b"`` for the data,
        ``"walking,standing"`` for the labels and channels, ``"default"`` / ``"rotation:30,jitter"`` (or an
        :class:`~imuforge.train.augment.Augmentation`) for the augmentation; stored as ``config.json`` holds
        them (lists of strings, the augmentation's JSON)."""
        for name in ("data", "real", "val"):
            setattr(self, name, [str(p) for p in split_paths(getattr(self, name))])
        for name in ("labels", "channels"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, [v.strip() for v in value.split(",") if v.strip()])
        if isinstance(self.augment, str):
            aug = Augmentation.parse(self.augment)
            self.augment = aug.to_json() if aug else None
        elif isinstance(self.augment, Augmentation):
            self.augment = self.augment.to_json()
        if self.init is not None:
            self.init = str(self.init)

    def check(self) -> None:
        if not self.data and not self.real:
            raise ValidationError("no training data", allowed="--data DIR[,DIR…] and/or --real DIR")
        if self.model not in ZOO and not str(self.model).endswith(".keras"):
            raise ValidationError(f"unknown model {self.model!r}", allowed=", ".join(ZOO) + ", or a .keras file")
        if self.model not in ZOO and not Path(self.model).is_file():
            raise ValidationError(f"--model {self.model}: no such file",
                                  allowed=", ".join(ZOO) + ", or an existing .keras file")
        if self.label_policy not in LABEL_POLICIES:
            raise ValidationError(f"unknown label policy {self.label_policy!r}", allowed=", ".join(LABEL_POLICIES))
        sizes = {"--epochs": self.epochs, "--batch-size": self.batch_size,
                 "--width": self.model_kwargs.get("width", 1)}
        for option, (lo, hi) in SIZE_LIMITS.items():
            if isinstance(sizes[option], bool) or not isinstance(sizes[option], (int, np.integer)):
                raise ValidationError(f"{option} must be a whole number, got {sizes[option]!r}",
                                      allowed=f"an integer {lo} … {hi}")
            check_range(option, sizes[option], lo, hi)
        if int(self.patience) < 0:
            raise ValidationError(f"--patience must be >= 0, got {self.patience}", allowed="0 or more epochs")
        if not (isinstance(self.val_fraction, (int, float)) and 0.0 < self.val_fraction < 1.0):
            raise ValidationError(f"--val-fraction must be in (0, 1), got {self.val_fraction}",
                                  allowed="a share above 0 and below 1, e.g. 0.2")
        check_seed(self.seed)
        check_range("--window-s", self.window_s, 0.01, 3600.0, unit="s")
        check_range("--stride-s", self.stride_s, 0.001, 3600.0, unit="s")
        check_range("--rate", self.rate_hz, 0.1, 100_000.0, unit="Hz")
        shortest = ZOO[self.model].min_length if self.model in ZOO else 2
        if round(self.window_s * self.rate_hz) < shortest:
            raise ValidationError(f"a {self.window_s:g} s window at {self.rate_hz:g} Hz holds "
                                  f"{round(self.window_s * self.rate_hz)} samples; {self.model} takes at "
                                  f"least {shortest}",
                                  allowed=f"--window-s × --rate ≥ {shortest} for {self.model}")
        # NaN had trained a useless model, 1e308 diverged and blamed --learning-rate, 1e-300 was 0 as float32:
        # the synthetic-to-real ratio of seconds this weight is meant for is ~10 (docs/TRAINING.md)
        check_range("--real-weight", self.real_weight, *REAL_WEIGHT_RANGE)
        if self.model in ZOO:
            check_model_kwargs(self.model, self.model_kwargs)
        Augmentation.from_json(self.augment)  # a transform or parameter it does not know: before the data
        if self.augment_on not in ("all", "real"):
            raise ValidationError(f"augment_on {self.augment_on!r} unknown", allowed="all, real")
        if self.augment_on == "real" and self.augment and not self.real:
            raise ValidationError("--augment-on real augments the --real windows, and no --real data were "
                                  "given", allowed="--real DIR with it, or --augment-on all")
        if self.real_weight != 1.0 and not self.real:  # (it had been taken without a word)
            raise ValidationError(f"--real-weight {self.real_weight:g} weighs the --real windows, and no "
                                  "--real data were given", allowed="--real DIR with it, or leave it out")
        if not 0.0 < self.learning_rate < 1.0:
            raise ValidationError(f"--learning-rate must be in (0, 1), got {self.learning_rate}",
                                  allowed="a rate above 0 and below 1, e.g. 2e-3")
        if self.stream not in ("auto", "on", "off") or self.balance not in ("weights", "sampling"):
            raise ValidationError(f"stream {self.stream!r} / balance {self.balance!r} unknown",
                                  allowed="stream auto, on, off; balance weights, sampling")
        if int(self.shuffle_buffer) < 1:
            raise ValidationError(f"--shuffle-buffer must be >= 1, got {self.shuffle_buffer}",
                                  allowed="1 or more windows")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow ops deterministic."""
    import tensorflow as tf

    check_seed(seed, "seed")

    tf.keras.utils.set_random_seed(int(seed))
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # pragma: no cover - older TF
        os.environ["TF_DETERMINISTIC_OPS"] = "1"


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-class weight n / (K · count_k), so every class contributes equally to the loss."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    present = counts > 0
    w = np.zeros(n_classes)
    w[present] = counts.sum() / (present.sum() * counts[present])
    return w


def normalisation_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over all samples of all windows (std of a constant channel → 1)."""
    flat = X.reshape(-1, X.shape[-1]).astype(np.float64)
    mean = flat.mean(axis=0)
    std = flat.std(axis=0)
    std = np.where(std > 1e-6 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    return mean, std


def _label_order(found: Sequence[str]) -> list[str]:
    """Canonical labels first in vocabulary order, then any others alphabetically."""
    found = set(found)
    return [lab for lab in CANONICAL_LABELS if lab in found] + sorted(found - set(CANONICAL_LABELS))


class _ProgressCallback:
    """Keras callback driving an imuforge progress bar, one step per epoch."""

    def __new__(cls, epochs: int):
        import keras

        class _CB(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.bar = progress(total=epochs, desc="training", unit="epoch")

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                self.bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if k in
                                      ("loss", "accuracy", "val_loss", "val_accuracy")},
                                     refresh=False)  # drawn by update, at the bar's pace (a log: every 10 s)
                self.bar.update(1)

            def on_train_end(self, logs=None):
                self.bar.close()

        return _CB()


def plot_history(history: dict[str, list[float]], best_epoch: int, path: Path,
                 start_loss: float | None = None) -> Path:
    """Loss and accuracy per epoch, training and validation, with the kept epoch marked (and a fine-tune's
    ``--init`` model's validation loss, ``start_loss``, at epoch 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for ax, key in zip(axes, ("loss", "accuracy")):
        if key in history:
            ax.plot(epochs, history[key], label=f"train {key}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label=f"validation {key}")
        if key == "loss" and start_loss is not None:
            ax.plot([0], [start_loss], "o", color="C1", label="validation loss, --init model")
        ax.axvline(best_epoch, color="grey", ls="--", lw=1, label=f"kept (epoch {best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key + (" (class-weighted)" if key == "loss" else ""))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@dataclass
class _Pool:
    """Every window of a run with what training needs to know about it."""

    windows: Windows
    is_real: np.ndarray  # the windows of --real and --val (everything but --data)
    labels: list[str]
    y: np.ndarray
    summaries: list[dict]
    notes: list[str] = field(default_factory=list)
    is_val: np.ndarray | None = None  # the windows of ``TrainConfig.val``: validation only (in is_real too)


@dataclass
class _Split:
    train: np.ndarray
    val: np.ndarray
    kind: str  # "--val (…)", "subject-wise (real subjects)", "subject-wise", "time (…)"


def _load_pool(config: TrainConfig, init: Run | None) -> _Pool:
    """Window every dataset and fix the label order (the init run's, when fine-tuning)."""
    common = dict(window_s=config.window_s, stride_s=config.stride_s, rate_hz=config.rate_hz,
                  channels=config.channels, label_policy=config.label_policy, keep_labels=config.labels)
    parts, summaries = [], []
    for paths, role in roles(config):
        with val_channels_unusable(role):
            w, s = load_windows(split_paths(paths), desc=ROLE_DESC[role], warn_no_subject=role == "data",
                                **common)
        parts.append((w, role))
        summaries += [dict(x, role=role) for x in s]
    windows = Windows.concat([p[0] for p in parts])
    role = np.concatenate([np.full(len(w), r) for w, r in parts])
    real = role != "data"
    return _pool_from_windows(windows, real, summaries, config, init, one_wearer(windows, real),
                              is_val=role == "validation")


@contextlib.contextmanager
def val_channels_unusable(role: str):
    """Windowing of one role's data: a channel the training takes missing from the ``--val`` data makes them
    unable to validate (:class:`UnusableValidationError`: ``imuforge train --val auto`` then trains without
    them), not a refusal of the training data."""
    try:
        yield
    except MissingChannelsError as exc:
        if role != "validation":
            raise
        raise UnusableValidationError(f"--val {exc.what}, which the training takes (it has "
                                      f"{', '.join(exc.held)})", source=exc.source,
                                      allowed="--val data with every training channel, or --val none"
                                      ) from None


#: the option that gives each role's datasets
ROLE_OPTION = {"data": "--data", "real": "--real", "validation": "--val"}
#: what the progress bar says while each role's datasets are windowed
ROLE_DESC = {"data": "synthetic windows", "real": "real windows", "validation": "validation windows"}


def roles(config: TrainConfig) -> list[tuple[list[str], str]]:
    """The configured Dataset folders by role (``data``, ``real``, ``validation``; the empty ones left
    out), refusing a ``--val`` Dataset that also trains (it would be validated on what it learned)."""
    out = [(paths, role) for paths, role in ((config.data, "data"), (config.real, "real"),
                                             (config.val, "validation")) if paths]
    from imuforge.datasets.loading import check_exist

    for paths, role in out:
        check_exist(paths, ROLE_OPTION[role])
    if config.data and config.real:  # a recording in both had its windows counted twice (a fresh user's run)
        both = _recording_files(config.data) & _recording_files(config.real)
        if both:
            raise ValidationError(f"{sorted(both)[0]} is in --data and in --real: its windows would count "
                                  "twice",
                                  allowed="each recording once: synthetic data in --data, yours in --real")
    if config.val:
        trained = list(config.data) + list(config.real)
        given, trains = _recording_files(config.val), _recording_files(trained)
        both = given & trains
        if both:
            raise UnusableValidationError(f"--val recording {sorted(both)[0]} is also in --data/--real",
                                          allowed="validation data that is never trained on (a folder of its "
                                                  "own)")
        same = _same_bytes(given, trains)
        if same:
            raise UnusableValidationError(f"--val {same[0]} is a copy of {same[1]}, which trains",
                                          allowed="validation data that is never trained on (another "
                                                  "recording)")
    return out


def _recording_files(paths) -> set[Path]:
    """The resolved recording (or shard) files ``paths`` read (files, not folders: a file given alone is
    not its folder, and a folder holds its subfolders' files)."""
    from imuforge.datasets.loading import find_all_datasets
    from imuforge.train.run import recording_files

    return recording_files(find_all_datasets(split_paths(paths)))


def _same_bytes(given: set[Path], trains: set[Path]) -> tuple[Path, Path] | None:
    """A file of ``given`` whose bytes a file of ``trains`` holds too (a copy elsewhere), as (given file,
    training file); None when there is none. Sizes first, so only same-size files are read."""
    import hashlib

    by_size: dict[int, list[Path]] = {}
    for f in trains:
        by_size.setdefault(f.stat().st_size, []).append(f)

    def digest(f: Path) -> bytes:
        h = hashlib.sha256()
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.digest()

    digests: dict[Path, bytes] = {}  # each training file read once

    def known(f: Path) -> bytes:
        if f not in digests:
            digests[f] = digest(f)
        return digests[f]

    for v in sorted(given):
        twins = by_size.get(v.stat().st_size, [])
        if twins:
            d = digest(v)
            match = next((t for t in twins if known(t) == d), None)
            if match is not None:
                return v, match
    return None


#: sample rates within this share of each other are one rate (a device's 100.18 Hz, an estimate's 49.9)
SAME_RATE = 0.02


def labels_at_rates_apart(summaries: list[dict], labels: list[str]) -> str | None:
    """A warning when two labels' recordings (every role: --data, --real, --val) share no sample rate: each
    resampled to the model's, what each rate leaves (its anti-aliasing, the band it lacks) can become the cue
    of its class. Each label's rates are those of the recordings that hold it (``rates_hz_per_label`` of the
    Datasets' summaries); rates within :data:`SAME_RATE` are one."""
    rates: dict[str, set[float]] = {}
    for s in summaries:
        per_label = s.get("rates_hz_per_label") or {lab: s.get("rates_hz", [])
                                                    for lab in s.get("duration_per_label_s", {})}
        for lab, rs in per_label.items():
            rates.setdefault(lab, set()).update(float(r) for r in rs)
    rates = {lab: r for lab, r in rates.items() if lab in labels and r}

    def share(a: set[float], b: set[float]) -> bool:
        return any(abs(x - y) <= SAME_RATE * max(x, y) for x in a for y in b)

    labs = sorted(rates)
    if all(share(rates[a], rates[b]) for i, a in enumerate(labs) for b in labs[i + 1:]):
        return None
    from imuforge.units import format_rates

    shown = "; ".join(f"{lab} {format_rates(rates[lab], 'rates')}" for lab in labs)
    return (f"the labels come at different sample rates ({shown}): resampled to one, the rate each leaves "
            "its trace in can become the cue of its class — record or simulate every label at one rate")


def _pool_from_windows(windows: Windows, is_real: np.ndarray, summaries: list[dict], config: TrainConfig,
                       init: Run | None, notes: list[str] | None = None, *,
                       is_val: np.ndarray | None = None) -> _Pool:
    """The pool of windows (in memory, or streamed: train/stream.py) with its label order fixed."""
    found = np.unique(windows.labels.astype(str)).tolist()
    if len(windows) == 0:  # --labels none of the data hold first: the labels that are there, not a length
        found = sorted({lab for s in summaries for lab in s.get("duration_per_label_s", {})})
        if not config.labels or not set(config.labels) - set(found):
            raise ValidationError("no labelled windows in the data",
                                  allowed=f"label segments long enough for windows of --window-s "
                                          f"{config.window_s:g} s (a shorter --window-s, or longer stretches "
                                          "of each label)")
    asked = [lab for lab in (config.labels or []) if lab not in found]
    if asked:  # a --labels entry the data never show would otherwise just be left out of the model
        held = sorted(set(found) | {lab for s in summaries for lab in s.get("duration_per_label_s", {})})
        # every label the data hold, not only the --labels kept
        raise ValidationError(f"--labels {', '.join(asked)}: no window of the data holds "
                              + ("it" if len(asked) == 1 else "them"),
                              allowed="labels the data hold: " + (", ".join(held) or "none"))
    if init is not None:
        unknown = sorted(set(found) - set(init.labels))
        if unknown:
            raise ValidationError(f"labels {', '.join(unknown)} are not outputs of the --init model",
                                  source=str(init.path), allowed=", ".join(init.labels))
        labels = list(init.labels)
    else:
        labels = _label_order(found)
        if len(labels) < 2:
            kept = " of those --labels keeps" if config.labels else ""
            # labels whose stretches are all shorter than a window: the data hold them, no window does
            short = {lab for s in summaries for lab in s.get("duration_per_label_s", {})} - set(found)
            short = sorted(short & set(config.labels) if config.labels else short)
            dropped = {k: v for k, v in dict(windows.dropped).items() if v}
            if short:  # "shorter" only where no window was dropped for another reason (eval's wording)
                why = (f"no window of {', '.join(short)} was kept (windows not used: "
                       f"{', '.join(f'{k}={v}' for k, v in dropped.items())})" if dropped else
                       f"the stretches of {', '.join(short)} are all shorter")
                raise ValidationError(
                    f"only {labels[0]} has windows of --window-s {config.window_s:g} s: {why}; a classifier "
                    "needs at least 2 labels",
                    allowed=f"a --window-s the stretches hold (under the shortest label's), or longer "
                            f"recordings of {', '.join(short)}")
            raise ValidationError(f"the data hold only one label{kept} ({labels[0]}); a classifier needs at "
                                  "least 2",
                                  allowed="data of two labels or more" + (", or more of them in --labels"
                                                                           if config.labels else ""))
    lut = {lab: i for i, lab in enumerate(labels)}
    y = np.array([lut[v] for v in windows.labels.astype(str)], np.int64)
    if config.val:
        _check_val(windows.labels.astype(str), np.zeros(len(windows), bool) if is_val is None else is_val)
    trains_real = np.asarray(is_real, bool) & (True if is_val is None else ~np.asarray(is_val, bool))
    if config.real and not trains_real.any():  # it would train on --data alone without a word
        raise ValidationError("--real data hold no window (recordings shorter than a window, or no label "
                              "kept)", allowed=f"labelled --real recordings at least --window-s "
                                               f"({config.window_s:g} s) long")
    notes = list(notes or []) + wearer_class_notes(windows.labels[trains_real], windows.groups[trains_real],
                                                   has_val=bool(config.val)) + placement_notes(summaries) \
        + rate_notes(summaries, config.rate_hz) + shared_subject_notes(windows.groups, is_real) \
        + val_subject_notes(windows.groups, is_real, is_val) \
        + real_only_notes(windows.labels.astype(str), windows.groups, is_real, trains_real)
    return _Pool(windows, is_real, labels, y, summaries, notes, is_val)


def real_only_notes(labels: np.ndarray, groups: np.ndarray, is_real: np.ndarray, trains_real: np.ndarray
                    ) -> list[str]:
    """The note for labels that only ``--real`` trains, where ``--data`` (the synthetic data) trains others:
    the model learns them from those few windows alone (a capture's transitions beside synthetic people who
    make none trained a model of ten classes, four of them from one person's windows, without a word)."""
    real, trains = np.asarray(is_real, bool), np.asarray(trains_real, bool)
    if not trains.any() or real.all():
        return []
    only = sorted(set(labels[trains]) - set(labels[~real]))
    if not only:
        return []
    mask = trains & np.isin(labels, only)
    people = len({str(g) for g in np.asarray(groups)[mask]})
    it = "it" if len(only) == 1 else "them"
    return [f"{', '.join(only)}: only in --real ({int(mask.sum())} training windows of {people} "
            f"{'person' if people == 1 else 'people'}), none in --data — the model learns {it} from those "
            f"alone (--labels to leave {it} out, or synthetic data of {it}: imuforge motion)"]


def _shared_subjects(groups: np.ndarray, a: np.ndarray, b: np.ndarray, *, skip: str = "") -> str:
    """The subjects (``subject:`` groups, but ``skip``) whose windows are in both masks ``a`` and ``b``, named
    for a note (five at most), or ''."""
    subjects = np.asarray(groups).astype(str)
    shared = sorted({g.removeprefix("subject:") for g in set(subjects[a]) & set(subjects[b])
                     if g.startswith("subject:") and g != skip})
    return f"{', '.join(shared[:5])}{' …' if len(shared) > 5 else ''}"


def shared_subject_notes(groups: np.ndarray, is_real: np.ndarray) -> list[str]:
    """The warning for people in both ``--data`` and ``--real``/``--val`` (a capture cut from the data set
    that also trains): their windows can be trained on and validated on, and the figures flatter the model."""
    real = np.asarray(is_real, bool)
    named = _shared_subjects(groups, real, ~real)
    if not named:
        return []
    return [f"subject(s) {named} are in --data and in --real/--val: the same person's recordings (or the "
            "same recordings) can train and validate; leave them out of one side (imuforge dataset select "
            "--exclude-subjects)"]


def val_subject_notes(groups: np.ndarray, is_real: np.ndarray, is_val: np.ndarray | None) -> list[str]:
    """The note for people whose recordings are in ``--real`` and in ``--val``: validation then measures the
    person the model trains on (early stopping picks what suits them), not other people. Recordings without
    a subject id on both sides are not known to be one person: no note."""
    if is_val is None:
        return []
    val = np.asarray(is_val, bool)
    named = _shared_subjects(groups, np.asarray(is_real, bool) & ~val, val, skip=ANONYMOUS_WEARER)
    if not named:
        return []
    return [f"subject(s) {named} are in --real and in --val: validation measures a person the model trains "
            "on, and early stopping picks the epoch that suits them; validate on other people for a model of "
            "others"]


def rate_notes(summaries: list[dict], rate_hz: float) -> list[str]:
    """The note for a training rate above every rate the data were recorded at: they are upsampled, so the
    model holds no signal above the recordings' band and the device must still sample at ``rate_hz``."""
    rates = sorted({float(r) for s in summaries for r in s.get("rates_hz", [])})
    if not rates or rate_hz <= 1.01 * rates[-1]:
        return []
    shown = ", ".join(f"{r:.4g}" for r in rates)
    return [f"the data were recorded at {shown} Hz and are upsampled to --rate {rate_hz:g} Hz: nothing above "
            f"{rates[-1] / 2:.4g} Hz is in them, and the device running the model must sample at "
            f"{rate_hz:g} Hz"]


def stride_notes(window_s: float, stride_s: float) -> list[str]:
    """The note for a hop longer than the window: the data between two windows are read by none."""
    if stride_s <= window_s:
        return []
    return [f"--stride-s {stride_s:g} is longer than --window-s {window_s:g}: {1 - window_s / stride_s:.0%} "
            "of every recording lies between two windows and is neither trained on nor validated; a hop "
            "of at most the window reads all of it"]


def placement_notes(summaries: list[dict]) -> list[str]:
    """The warning for real data (``--real`` / ``--val``) worn at a body site no ``--data`` recording is
    worn at: the model learns the synthetic site and is used at another, where signals differ in kind (a
    thigh swings, a wrist turns). Recordings that name no placement are left out of the comparison."""
    def placements(roles):
        return {p for s in summaries if s.get("role") in roles for p in s.get("placements", [])}

    synthetic = placements({"data"})
    away = sites_apart(synthetic, placements({"real", "validation"}))
    if not away:
        return []
    return [f"the real data are worn at {', '.join(away)}, which no --data recording is (those are at "
            f"{', '.join(sorted(synthetic))}): the model learns one body site and is checked "
            "on another; simulate the real data's placement (imuforge motion --placement)"]


def wearer_class_notes(labels: np.ndarray, groups: np.ndarray, has_val: bool = False) -> list[str]:
    """The warning for real training windows whose every class one wearer alone shows
    (:func:`imuforge.labels.one_wearer_per_class`); ``has_val``: the run validates on ``--val`` already."""
    owner = one_wearer_per_class(labels, [str(g).removeprefix("subject:") for g in groups])
    if owner is None:
        return []
    return [f"each class of the real data comes from one wearer only ({describe_owners(owner)}): the "
            "model can learn who wore the device instead of the activity, and validating on these data "
            "cannot show it; record every activity on each wearer"
            + ("" if has_val else ", or validate on other people with --val")]


def _check_val(labels: np.ndarray, is_val: np.ndarray) -> None:
    """``--val`` must validate labels that train: refuse one without windows (too short, or filtered out by
    ``--labels``), training data without windows, and a label only the validation data hold."""
    if not is_val.any():
        raise UnusableValidationError("--val data hold no window (recordings shorter than a window, or no "
                                      "label kept)", allowed="labelled recordings at least --window-s long")
    if is_val.all():
        raise ValidationError("--data/--real hold no window: every window is --val's, nothing trains",
                              allowed="training data besides --val")
    only = sorted(set(labels[is_val]) - set(labels[~is_val]))
    if only:
        raise UnusableValidationError(f"--val holds {', '.join(only)}, which no --data/--real window has",
                                      allowed="--val labels the training data hold (or --labels to "
                                              "leave them out)")


#: The group of real windows whose recordings carry no subject id: taken as one wearer.
ANONYMOUS_WEARER = f"subject:{NO_SUBJECT}"


def one_wearer(windows: Windows, real: np.ndarray | None = None) -> list[str]:
    """Real captures without a subject id are one wearer (the usual case: you recorded yourself).

    Treating each recording as its own subject would split one person's activities across training
    and validation by recording — with one recording per activity, a class would be only on one side.
    ``real`` selects the real rows (default: all); their groups are rewritten in place; returns the note.
    """
    anon = np.char.startswith(windows.groups.astype(str), "recording:")
    if real is not None:
        anon &= np.asarray(real, bool)
    if not anon.any():
        return []
    n = len(set(windows.sources[anon].tolist()))
    windows.groups[anon] = ANONYMOUS_WEARER
    return [f"{n} real recording(s) have no subject id: taken as one wearer (recordings of several people "
            "each need theirs: imuforge capture --subject)"]


def _split(config: TrainConfig, pool: _Pool) -> _Split:
    """Validation on the ``--val`` data when given; else from real subjects when there are two or more;
    else held-out time stretches.

    The model is meant for real people, so real data validate whenever there are any: two or more
    real subjects → a subject-wise split among them; one real subject → the last
    ``val_fraction`` of each of its recordings' labels in time (:func:`time_split`). Real subjects
    that do not share their labels (one person walked, another climbed the stairs) may allow no
    subject-wise split that trains every label (none of :func:`subject_split`'s tries does): then each
    real recording holds out its last stretch of each label instead. Without real data: subject-wise over
    the synthetic people (the same time split where no subject-wise split trains every label), or a time
    split when there is only one.
    """
    w, is_real = pool.windows, pool.is_real
    if pool.is_val is not None and pool.is_val.any():
        return _Split(~pool.is_val, pool.is_val.copy(), "--val (validation only, never trained on)")
    real_groups = np.unique(w.groups[is_real].astype(str))
    all_groups = np.unique(w.groups.astype(str))
    if real_groups.size >= 2:
        tr, va = subject_split(w, config.val_fraction, seed=config.seed, candidates=is_real)
        untrained = sorted(set(w.labels.astype(str)) - set(w.labels[tr].astype(str)))
        if not untrained:
            return _Split(tr, va, "subject-wise (real subjects)")
        tr, va = time_split(w, config.val_fraction, candidates=is_real)
        return _Split(tr, va, "time (held-out last stretch of each label of each real recording: none of "
                              f"the subject-wise splits tried trains {', '.join(untrained)})")
    if real_groups.size == 1:
        tr, va = time_split(w, config.val_fraction, candidates=is_real)
        return _Split(tr, va, "time (held-out last stretch of each label of the one real subject)")
    if all_groups.size >= 2:
        tr, va = subject_split(w, config.val_fraction, seed=config.seed)
        untrained = sorted(set(w.labels.astype(str)) - set(w.labels[tr].astype(str)))
        if not untrained:
            return _Split(tr, va, "subject-wise")
        # people who do not share their labels (one recording per activity, each its own subject): a class
        # whose every subject went to validation would not be trained at all (a fresh user's run, session 63)
        tr, va = time_split(w, config.val_fraction)
        return _Split(tr, va, "time (held-out last stretch of each label of each recording: none of the "
                              f"subject-wise splits tried trains {', '.join(untrained)})")
    tr, va = time_split(w, config.val_fraction)
    return _Split(tr, va, "time (held-out last stretch of each label; the data have one subject)")


#: validation windows per class under which early stopping is said to rest on too few (the epoch kept is the
#: one these windows liked best: with a handful, a window more or less right picks another epoch)
MIN_VAL_WINDOWS_PER_CLASS = 5


def small_validation_note(val_labels: np.ndarray, val_given: Sequence[str] = ()) -> str | None:
    """A note naming the classes with fewer than :data:`MIN_VAL_WINDOWS_PER_CLASS` validation windows
    (``val_labels``: the label of each validation window; a class without any is reported elsewhere,
    ``labels_missing_from_validation``); ``val_given``: the ``--val`` folders, when the user chose them."""
    labels, counts = np.unique(np.asarray(val_labels).astype(str), return_counts=True)
    few = [f"{lab} {n}" for lab, n in zip(labels, counts) if n < MIN_VAL_WINDOWS_PER_CLASS]
    if not few:
        return None
    more = "a longer --val capture" if val_given else "more data (--val, or a longer capture)"
    return (f"validation windows per class: {', '.join(few)} — the epoch kept (early stopping) is chosen by very "
            f"few windows; validate on {more}, {MIN_VAL_WINDOWS_PER_CLASS} windows per class or more")


def _make_model(config: TrainConfig, init: Run | None, length: int, n_labels: int):
    if init is not None:
        return init.keras_model()
    if config.model in ZOO:
        from imuforge.train.zoo import build_model

        return build_model(config.model, (length, len(config.channels)), n_labels, **config.model_kwargs)
    return _custom_model(str(config.model), length, len(config.channels), n_labels)


def _custom_model(path: str, length: int, channels: int, n_labels: int):
    """A fresh copy (new weights) of the network saved at ``path``, checked: an archive Keras can rebuild,
    built on an input of ``(length, channels)``, ending in a softmax over ``n_labels`` outputs."""
    import zipfile

    import keras

    allowed = (f"a model saved with model.save('NAME.keras'), built on keras.Input(({length}, {channels})), "
               "of layers Keras rebuilds without unsafe deserialisation (no Lambda), ending in a softmax "
               f"over {n_labels} outputs")
    if not zipfile.is_zipfile(path):
        raise ValidationError("--model: not a Keras model archive", source=path, allowed=allowed)
    try:
        loaded = keras.models.load_model(path, compile=False)
        shapes = (tuple(loaded.input_shape), loaded.output_shape[-1])
    except Exception as exc:  # noqa: BLE001 - Keras raises ValueError, TypeError, AttributeError … for these
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        why = why if len(why) <= 200 else why[:why.rfind(" ", 0, 200)] + " …"
        raise ValidationError(f"--model: Keras cannot use it ({why})", source=path, allowed=allowed) from None
    want = (None, length, channels)
    if shapes != (want, n_labels):
        raise ValidationError(f"--model: the network takes {shapes[0]} and gives {shapes[1]} outputs",
                              source=path,
                              allowed=f"input {want} and {n_labels} softmax outputs")
    model = keras.models.clone_model(loaded)
    probe = np.random.default_rng(0).normal(size=(4, length, channels)).astype(np.float32)
    p = np.asarray(model(probe, training=False), np.float64)
    if not (np.all(p >= -1e-6) and np.allclose(p.sum(axis=-1), 1.0, atol=1e-3)):
        raise ValidationError("--model: its outputs are not probabilities (they do not sum to 1: a last "
                              "layer without softmax)", source=path, allowed=allowed)
    return model


#: every epoch takes at least this many optimizer steps: a small training set (a capture of a few minutes)
#: is cycled within the epoch, each pass in an order of its own and augmented anew, so that --epochs and
#: --patience mean as much training on 20 windows as on 20 000 (with 18 windows and batch 64 an epoch
#: was one step, and 30 epochs too few for a capture alone: docs/TRAINING.md)
MIN_STEPS_PER_EPOCH = 16


def epoch_passes(n_train: int, batch_size: int) -> int:
    """How many times an epoch goes through ``n_train`` windows to take :data:`MIN_STEPS_PER_EPOCH` steps."""
    return max(1, -(-MIN_STEPS_PER_EPOCH * int(batch_size) // max(int(n_train), 1)))


def _fit(config: TrainConfig, model, pool: _Pool, split: _Split, mean: np.ndarray, std: np.ndarray):
    """Class-balanced, early-stopped fit; augmented batches drawn anew every epoch when asked; a small
    training set is cycled :func:`epoch_passes` times per epoch. Returns the history and, for a fine-tune,
    the ``--init`` model's validation loss (:func:`restore_start_unless_beaten`)."""
    import keras

    w, y = pool.windows, pool.y
    n_classes = len(pool.labels)
    cw = class_weights(y[split.train], n_classes)
    weight = (cw[y] * np.where(pool.is_real, config.real_weight, 1.0)).astype(np.float32)
    cw_val = class_weights(y[split.val], n_classes)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=[])
    rng, train_idx = np.random.default_rng(config.seed), np.flatnonzero(split.train)
    order = np.concatenate([rng.permutation(train_idx)
                            for _ in range(epoch_passes(train_idx.size, config.batch_size))])
    aug = Augmentation.from_json(config.augment)
    if aug is None:
        Xn = _normalise(w.X[order], mean, std)
        train_data = dict(x=Xn, y=y[order], sample_weight=weight[order], batch_size=config.batch_size, shuffle=True)
    else:
        mask = pool.is_real[order] if config.augment_on == "real" else np.ones(order.size, bool)
        train_data = dict(x=_AugmentedBatches(w.X[order], y[order], weight[order], mask, aug, w.channels, mean,
                                              std, config.batch_size, config.seed))
    val = (_normalise(w.X[split.val], mean, std), y[split.val], cw_val[y[split.val]])
    start = start_point(config, model, lambda: model.evaluate(val[0], val[1], sample_weight=val[2],
                                                              batch_size=256, verbose=0, return_dict=True))
    hist = fit_closing(model, fit_callbacks(config, model, pool, split, mean, std), **train_data,
                       epochs=config.epochs, validation_data=val, verbose=0)
    return restore_start_unless_beaten(model, hist.history, start)


def start_point(config: TrainConfig, model, evaluate) -> tuple[float, list] | None:
    """For a fine-tune (``--init``), the model as it starts — its validation loss (``evaluate()``, Keras's
    own, as each epoch's is) and its weights — for :func:`restore_start_unless_beaten`; None otherwise."""
    if config.init is None:
        return None
    return float(evaluate()["loss"]), model.get_weights()


def kept_epoch(history: dict, start_loss: float | None = None) -> int:
    """The epoch whose weights a run keeps: the lowest finite validation loss (early stopping's choice), or 0
    — the ``--init`` model — when its validation loss ``start_loss`` is given and no epoch's is lower (early
    stopping compares the epochs with each other only); the last epoch without validation."""
    val = np.asarray(history.get("val_loss", []), float)
    finite = np.isfinite(val)
    if start_loss is not None and not (finite & (val < start_loss)).any():
        return 0
    if finite.any():
        return int(np.nanargmin(np.where(finite, val, np.nan))) + 1
    return len(history.get("loss", []))


def restore_start_unless_beaten(model, history: dict, start: tuple[float, list] | None
                                ) -> tuple[dict[str, list[float]], float | None]:
    """The fit's history (lists of floats) and the starting model's validation loss (None: not a fine-tune);
    the starting model's weights put back when :func:`kept_epoch` keeps it."""
    out = {k: [float(v) for v in vals] for k, vals in history.items()}
    if start is None:
        return out, None
    if kept_epoch(out, start[0]) == 0:
        model.set_weights(start[1])
    return out, start[0]


def fit_callbacks(config: TrainConfig, model, pool: _Pool, split: _Split, mean: np.ndarray,
                  std: np.ndarray) -> list:
    """Early stopping on the validation loss (the best weights kept); for a network with BatchNormalization,
    its statistics set from a sample of the training windows before every validation
    (:mod:`imuforge.train.batchnorm`; layers it cannot set are noted); the progress bar."""
    import keras

    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                               restore_best_weights=True)]
    if batchnorm_layers(model):
        rows = statistics_rows(pool.windows.labels, split.train, seed=config.seed,
                               balanced=getattr(config, "balance", "weights") == "sampling")
        callbacks.append(population_statistics(_normalise(pool.windows.X[rows], mean, std)))
    if (kept := unsettable(model)):
        pool.notes.append(f"BatchNormalization layer(s) {', '.join(kept)} nested in another model or called "
                          "more than once: they predict with Keras's moving averages, not the training "
                          "windows' statistics")
    return callbacks + [_ProgressCallback(config.epochs)]


def fit_closing(model, callbacks: list, *args, **fit):
    """``model.fit(*args, callbacks=callbacks, **fit)``, its progress bar closed however the fit ends: Keras
    calls no callback when a Ctrl-C stops it, and a bar left open drew its last line after the command's
    "interrupted", at the interpreter's exit."""
    try:
        return model.fit(*args, callbacks=callbacks, **fit)
    finally:
        for callback in callbacks:
            if getattr(callback, "bar", None) is not None:
                callback.bar.close()


def _normalise(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return ((np.asarray(X, np.float64) - mean) / std).astype(np.float32)


class _AugmentedBatches:
    """A Keras ``PyDataset`` of augmented, normalised batches; epoch ``e`` draws from rng([seed, e])."""

    def __new__(cls, X, y, weight, mask, aug: Augmentation, channels, mean, std, batch_size: int, seed: int):
        import keras

        channel_std = np.asarray(std, float)

        class _Batches(keras.utils.PyDataset):
            def __init__(self):
                super().__init__()
                self.epoch = 0
                self.on_epoch_end()

            def __len__(self):
                return int(np.ceil(len(X) / batch_size))

            def on_epoch_end(self):
                rng = np.random.default_rng([seed, self.epoch])
                self.order = rng.permutation(len(X))
                Xa = np.array(X, np.float32, copy=True)
                if mask.any():
                    Xa[mask] = aug.apply(X[mask], channels, rng, channel_std=channel_std)
                self.Xn = _normalise(Xa, mean, std)
                self.epoch += 1

            def __getitem__(self, i):
                idx = self.order[i * batch_size:(i + 1) * batch_size]
                return self.Xn[idx], y[idx], weight[idx]

        return _Batches()


def train(config: TrainConfig, out: str | os.PathLike, *, overwrite: bool = False) -> Run:
    """Train a model as ``config`` says and write the run folder ``out``; returns the loaded :class:`Run`.

    Synthetic (``data``) and real (``real``) windows are mixed; each class gets equal total
    weight; validation is described in :func:`_split` (real people first; a single real person
    validates on held-out time stretches). With ``config.init`` the model, its label order and
    its normalisation come from an earlier run (fine-tuning, e.g. on real data after synthetic
    pre-training). Training stops early on the validation loss and keeps the best weights.
    ``out`` must be new or empty, or with ``overwrite`` an earlier run (only its files: a folder holding
    anything else is refused); the run is written beside it and takes its place only when complete, so a
    failed run leaves nothing and a replaced one no stale entry (an old ``eval/``).
    """
    config.check()
    config, channel_note = resolve_channels(config)
    out = Path(out)
    if config.init:  # recorded resolved: eval and export find it from any folder (Run.trained_datasets)
        config = replace(config, init=str(Path(config.init).resolve()))
    if config.init and out.resolve() == Path(config.init):  # (it had tuned in place)
        raise ValidationError(f"--out {out} is the --init run: a fine-tune writes a run of its own",
                              allowed="another --out (the --init run stays as it is)")
    check_new_folder(out, overwrite=overwrite)
    if overwrite:
        check_replaceable(out, "--out", what="training run", marker=("config.json",), own=RUN_ENTRIES)
    t_start = time.time()
    init = _check_init(config)
    if init is not None:  # the --init run's network is trained further: the run records that one
        config = replace(config, model=init.config.get("model", config.model),
                         model_kwargs=dict(init.config.get("model_kwargs") or {}))
    seed_everything(config.seed)
    from imuforge.train import stream

    streamed = stream.is_sharded_input(config)  # a sharded corpus: windows on disk, bounded memory
    try:
        pool = (stream.load_pool if streamed else _load_pool)(config, init)
    except MissingChannelsError as exc:
        if init is None:
            raise
        # the --init run's model fixes the channels: what it takes and what to do, not only what the data lack
        raise ValidationError(f"the --init run's model takes {', '.join(init.channels)}; {exc.what}",
                              source=exc.source, allowed=f"data with every channel it takes, or a new model "
                              f"without --init (that recording has {', '.join(exc.held)})") from None
    if channel_note:
        pool.notes.insert(0, channel_note)
    pool.notes += stride_notes(config.window_s, config.stride_s)
    apart = labels_at_rates_apart(pool.summaries, pool.labels)
    if apart:
        warnings.warn(apart, stacklevel=2)
    if not streamed:
        pool.notes += unstreamed_option_notes(config)
        config = unstreamed_config(config)
    split = _split(config, pool)
    if not split.train.any():  # (the normalisation of no window had read as data "too large to train on")
        raise ValidationError(f"--val-fraction {config.val_fraction:g} leaves no window to train on: "
                              f"validation ({split.kind}) took all {int(split.val.sum())}",
                              allowed="a smaller --val-fraction (default 0.2), or more data")
    if (few := small_validation_note(pool.windows.labels[split.val], config.val)):
        pool.notes.append(few)
    w = pool.windows
    mean, std = ((init.mean, init.std) if init is not None else stream.normalisation_stats(w.X, split.train)
                 if streamed else normalisation_stats(w.X[split.train]))
    _check_normalisation(mean, std)
    model = _make_model(config, init, w.length, len(pool.labels))
    passes = 1 if streamed else epoch_passes(int(split.train.sum()), config.batch_size)
    if passes > 1:
        pool.notes.append(f"{int(split.train.sum())} training windows: each epoch goes through them {passes} "
                          f"times (at least {MIN_STEPS_PER_EPOCH} steps of batch {config.batch_size})")
    history, start_loss = (stream.fit if streamed else _fit)(config, model, pool, split, mean, std)
    diverged = _check_converged(history, config, start_loss)
    if diverged:
        pool.notes.append(diverged)
    best_epoch = kept_epoch(history, start_loss)
    val_loss = np.asarray(history.get("val_loss", []), float)
    if best_epoch == 0 and np.isfinite(val_loss).any():
        pool.notes.append(f"no epoch of the fine-tune had a lower validation loss than the --init model "
                          f"({start_loss:.3g}; the best epoch's {np.nanmin(val_loss):.3g}): the run keeps "
                          "the --init model's weights (epoch 0); fine-tune on more data, or keep the --init "
                          "run")
    with staged_folder(out) as stage:
        _write_run(stage, config, model, pool, split, mean, std, history, best_epoch, time.time() - t_start,
                   start_loss)
    for note in pool.notes:  # a script sees them as the command line does (they were in data.json only)
        warnings.warn(note, TrainingNote, stacklevel=2)
    return load_run(out)


def _check_normalisation(mean, std) -> None:
    """Refuse data whose normalisation is not finite before any training (a model of NaN would follow)."""
    if not (np.isfinite(mean).all() and np.isfinite(std).all()):
        raise ValidationError("the training windows' mean or spread is not finite: the data hold values too "
                              "large to train on",
                              allowed="data within a sensor's span (imuforge dataset info checks a folder)")


def _check_converged(history: dict, config: TrainConfig, start_loss: float | None = None) -> str | None:
    """A run whose loss became NaN or infinite: refused before anything is written when no epoch before it is
    kept (no validation, or none finite: the model would answer NaN, and ``load_run`` refuse its folder) and
    it is not a fine-tune (whose ``--init`` model, ``start_loss``, is then kept); else a note — the kept
    weights (:func:`kept_epoch`) came before."""
    loss = np.asarray(history.get("loss", []), dtype=float)
    val = np.asarray(history.get("val_loss", []), dtype=float)
    n = min(loss.size, val.size) if val.size else loss.size
    bad = ~np.isfinite(loss[:n]) | (~np.isfinite(val[:n]) if val.size else False)
    if not bad.any():
        return None
    first = int(np.argmax(bad)) + 1
    value = loss[first - 1] if not np.isfinite(loss[first - 1]) else val[first - 1]
    what = f"the loss became {value} in epoch {first}"
    cure = f"a smaller --learning-rate than {config.learning_rate:g}"
    if not np.isfinite(val).any() and start_loss is None:
        raise ValidationError(f"training diverged: {what}, with no epoch to keep; no run was written",
                              allowed=cure)
    kept = kept_epoch(history, start_loss)
    which = "the --init model's weights (epoch 0)" if kept == 0 else f"epoch {kept}'s weights"
    return f"{what}: the run keeps {which} (its best validation loss); {cure} may train further"


def unstreamed_option_notes(config: TrainConfig) -> list[str]:
    """A note for each streaming-only option set away from its default when the run is not streamed
    (``--balance sampling``, ``--shuffle-buffer``): it changed nothing, and the user should know."""
    default = TrainConfig.__dataclass_fields__
    changed = [f"--{name.replace('_', '-')} {getattr(config, name)}" for name in ("balance", "shuffle_buffer")
               if getattr(config, name) != default[name].default]
    if not changed:
        return []
    verb = "applies" if len(changed) == 1 else "apply"
    return [f"{' and '.join(changed)} {verb} to streamed training only (a sharded corpus, or --stream on); "
            "this run held its windows in memory, with class weights (config.json records what it used)"]


def unstreamed_config(config: TrainConfig) -> TrainConfig:
    """``config`` as a run held in memory uses it: the streaming-only options at their defaults (what
    config.json then records; :func:`unstreamed_option_notes` says what was set and not used)."""
    default = TrainConfig.__dataclass_fields__
    return replace(config, **{name: default[name].default for name in ("balance", "shuffle_buffer")})


def resolve_channels(config: TrainConfig) -> tuple[TrainConfig, str | None]:
    """``config`` with its channels decided (see :class:`TrainConfig`), and a note when the defaults were
    narrowed to what the recordings hold (None: the channels were given, inherited or all present)."""
    if config.channels is not None:
        return config, None
    if config.init:
        return replace(config, channels=list(load_run(config.init).channels)), None
    from imuforge.datasets.loading import find_all_datasets

    have = [set(e.get("channels", ())) for paths, _ in roles(config)
            for ds in find_all_datasets(split_paths(paths)) for e in ds.entries]
    common = [c for c in DEFAULT_CHANNELS if all(c in h for h in have)]
    if not common or common == list(DEFAULT_CHANNELS):
        return replace(config, channels=list(DEFAULT_CHANNELS)), None
    note = (f"channels: {','.join(common)} (the ones every training recording has, validation included; "
            "--channels to choose)")
    return replace(config, channels=common), note


def _check_init(config: TrainConfig) -> Run | None:
    """The run to fine-tune, checked against the config's window layout."""
    if not config.init:
        return None
    init = load_run(config.init)
    mine = (list(config.channels), float(config.window_s), float(config.rate_hz))
    theirs = (list(init.channels), init.window_s, init.rate_hz)
    if mine != theirs:
        raise ValidationError(f"--init run has channels {','.join(theirs[0])}, {theirs[1]:g} s windows at "
                              f"{theirs[2]:g} Hz; this run asks for {','.join(mine[0])}, {mine[1]:g} s at {mine[2]:g} Hz",
                              source=str(init.path), allowed="the same channels, window and rate as the --init run")
    return init


def _write_run(out: Path, config: TrainConfig, model, pool: _Pool, split: _Split, mean, std,
               history: dict, best_epoch: int, seconds: float, start_loss: float | None = None) -> None:
    import keras

    from imuforge.train.evaluate import classification_metrics, plot_confusion

    w, y, labels = pool.windows, pool.y, pool.labels
    tr, va = split.train, split.val
    model.save(out / "model.keras")
    write_json(out / "labels.json", {"labels": labels})
    write_json(out / "normalisation.json", {
        "channels": list(config.channels), "mean": np.asarray(mean).tolist(), "std": np.asarray(std).tolist(),
        "units": dict(CHANNEL_UNITS),
        "model_input": "(x - mean) / std, x in SI units"})
    cfg = asdict(config)
    cfg.update({"window_length": w.length, "n_classes": len(labels), "keras_version": keras.__version__,
                "model_sha256": hashlib.sha256((out / "model.keras").read_bytes()).hexdigest(),
                # the files that give the model's outputs their names and its inputs their scale: an edited
                # one (labels reordered) is refused where the run is read (run.load_run)
                "files_sha256": {name: hashlib.sha256((out / name).read_bytes()).hexdigest()
                                 for name in SIGNED_FILES},
                "input": "normalised window (x - mean) / std per channel, shape (window_length, channels)"})
    write_json(out / "config.json", cfg)
    write_json(out / "history.json", {"history": history, "best_epoch": best_epoch,
                                      "stopped_early": len(history.get("loss", [])) < config.epochs,
                                      **({} if start_loss is None else {"init_val_loss": start_loss})})
    plot_history(history, best_epoch, out / "history.png", start_loss)
    probs = model.predict(_normalise(w.X[va], mean, std), batch_size=256, verbose=0)
    val_metrics = classification_metrics(y[va], probs.argmax(axis=1), labels)
    write_json(out / "metrics.json",
               {"split": f"validation, {split.kind}", **val_metrics.to_json(), **produced_by()})
    plot_confusion(val_metrics, out / "confusion_val.png", title=f"validation ({split.kind.split(' (')[0]})")

    def counts(mask):
        return {lab: int(((y == i) & mask).sum()) for i, lab in enumerate(labels)}

    write_json(out / "data.json", {
        "datasets": pool.summaries,
        "profiles": sorted({p for s in pool.summaries for p in s["profiles"]}),
        "placements": sorted({p for s in pool.summaries for p in s["placements"]}),
        "windows": {"train": counts(tr), "validation": counts(va)},
        "real_windows": {"train": int((pool.is_real & tr).sum()), "validation": int((pool.is_real & va).sum())},
        "validation_split": split.kind,
        "notes": pool.notes,
        "windows_left_out_overlapping_validation": int((~tr & ~va).sum()),
        "validation_groups": sorted(np.unique(w.groups[va].astype(str)).tolist()),
        "train_groups": len(np.unique(w.groups[tr].astype(str))),
        "labels_missing_from_validation": sorted(set(labels) - set(w.labels[va].astype(str))),
        "dropped_windows": dict(w.dropped),
        "train_wall_s": round(seconds, 2),  # how long the training took (wall clock), not a data length
    })
    np.savez_compressed(out / "heldout.npz", X=w.X[va], labels=w.labels[va].astype(str),
                        groups=w.groups[va].astype(str))
    rep = np.flatnonzero(tr)[balanced_sample(w.labels[tr], min(REPRESENTATIVE_WINDOWS, int(tr.sum())),
                                             seed=config.seed)]
    np.savez_compressed(out / "representative.npz", X=w.X[rep], labels=w.labels[rep].astype(str))
