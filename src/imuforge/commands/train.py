"""``imuforge import``, ``imuforge train``, ``imuforge eval`` and ``imuforge export``."""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imuforge.commands._options import Joined

if TYPE_CHECKING:
    from imuforge.train.augment import Augmentation
    from imuforge.train.capture import CaptureValidation


def _quiet_tf() -> None:
    from imuforge._quiet import preload_ml_stack

    preload_ml_stack()


#: the importer options of ``imuforge import`` and the formats each applies to
IMPORT_OPTIONS = {"imu": ("pamap2", "mhealth", "dsads"), "device": ("wisdm2019", "hhar")}


def register(sub: argparse._SubParsersAction) -> None:
    _register_import(sub)
    _register_train(sub)
    _register_eval_and_export(sub)


def _register_import(sub: argparse._SubParsersAction) -> None:
    from imuforge.datasets.importers import IMPORTERS

    p = sub.add_parser("import", help="import a public HAR dataset (UCI HAR / HAPT, PAMAP2, RealWorld, "
                       "USC-HAD, WISDM, MotionSense, MHEALTH, DSADS, HHAR)",
                       description="Convert a HAR dataset in its published file layout into an imuforge Dataset.")
    p.add_argument("format", choices=sorted(IMPORTERS), help="dataset layout")
    p.add_argument("src", help="the dataset's folder, its .zip, or one of its files where the format is one "
                                "file (WISDM v1.1's raw .txt, an MHEALTH .log)")
    p.add_argument("--out", required=True, help="new Dataset folder")
    # no parse-time defaults: an option given with a format it does not apply to is refused (cmd_import);
    # the defaults stated are the importers' own; a value the format does not know is refused by its importer
    imu, device = ({f: inspect.signature(IMPORTERS[f]).parameters[key].default for f in IMPORT_OPTIONS[key]}
                   for key in ("imu", "device"))
    p.add_argument("--imu", metavar="IMU",
                   help="which IMU: pamap2 hand|chest|ankle (default: {pamap2}, the dominant wrist); "
                        "mhealth arm|ankle|chest (default: {mhealth}, the right wrist; chest: acc only); "
                        "dsads torso|right_arm|left_arm|right_leg|left_leg (default: {dsads})".format(**imu))
    p.add_argument("--device", choices=["watch", "phone"],
                   help="which device: wisdm2019 (default: {wisdm2019}), hhar (default: {hhar})"
                   .format(**device))
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    p.set_defaults(func=cmd_import)


def _register_train(sub: argparse._SubParsersAction) -> None:
    from imuforge.train.trainer import SIZE_LIMITS
    from imuforge.train.zoo import ZOO

    most = {option: f"at most {hi}" for option, (_, hi) in SIZE_LIMITS.items()}  # the bounds, documented
    widths = ", ".join(f"{name} {inspect.signature(e.build).parameters['width'].default}"
                       for name, e in ZOO.items())

    p = sub.add_parser("train", help="train a HAR model on Dataset folders",
                       description="Train a TFLM-compatible HAR model; writes a run folder.")
    p.add_argument("--data", default="", action=Joined, help="Dataset folders (comma-separated or the option "
                   "repeated), or folders holding them")
    p.add_argument("--real", default="", action=Joined,
                   help="real Dataset folders to mix in (comma-separated or the option repeated)")
    p.add_argument("--val", default="auto", action=Joined, alone=("auto", "none"),
                   help="real Dataset folders that only validate (early stopping "
                   "and the validation figures; never trained on); default auto: the capture calibrated "
                   "--data were calibrated with, when no --real trains (docs/TRAINING.md); none: held out "
                   "from the data")
    p.add_argument("--model", default=None,
                   help=f"zoo model ({', '.join(ZOO)}) or a .keras file "
                        "(default tiny_cnn; with --init the run's)")
    p.add_argument("--window-s", type=float, default=None, help="window length (s; default 2.56, or the --init run's)")
    p.add_argument("--stride-s", type=float, default=None, help="window hop (s; default 1.28, or the --init run's)")
    p.add_argument("--rate", type=float, default=None,
                   help="model sample rate (Hz; default 50, or the --init run's); data are resampled")
    p.add_argument("--channels", default=None,
                   help="channel order (default acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z, or the --init run's)")
    p.add_argument("--labels", default="", action=Joined, help="only these labels (comma-separated; default: "
                   "all)")
    p.add_argument("--label-policy", default="majority", choices=["majority", "pure", "center"],
                   help="a window's label: the majority label (default), only windows of one label "
                   "(pure), or the label at its centre")
    p.add_argument("--epochs", type=int, default=30,
                   help=f"most epochs (default 30, {most['--epochs']}; early stopping may end sooner)")
    p.add_argument("--batch-size", type=int, default=64,
                   help=f"windows per optimizer step (default 64, {most['--batch-size']})")
    p.add_argument("--patience", type=int, default=6, help="early-stopping patience (epochs; default 6)")
    p.add_argument("--val-fraction", type=float, default=0.2,
                   help="share held out for validation (default 0.2): of the subjects (more, up to half, "
                   "when that gives every label a validation subject), or with one real "
                   "person the last share of each recording's labels in time (docs/TRAINING.md)")
    p.add_argument("--real-weight", type=float, default=1.0,
                   help="sample-weight multiplier of real windows (0.001 … 1000; default 1)")
    p.add_argument("--width", type=int, default=None,
                   help=f"model width (filters of the first layer; default the model's own: {widths}; "
                   f"{most['--width']})")
    p.add_argument("--learning-rate", type=float, default=None,
                   help="Adam learning rate (default 2e-3; 5e-4 when fine-tuning with --init)")
    p.add_argument("--augment", default="auto", metavar="SPEC",
                   help="on-the-fly augmentation, drawn anew every epoch: 'auto' (default: 'default' when "
                   "the training data hold simulated recordings, else the --init run's, else 'none'), "
                   "'default' (all five), 'none', or "
                   "comma-separated rotation[:SPREAD_DEG[:any|x|y|z]], scale[:SIGMA], "
                   "jitter[:SIGMA[:auto|all]], "
                   "time_warp[:SIGMA[:KNOTS]], magnitude_warp[:SIGMA[:KNOTS[:auto|kept|warped]]] "
                   "(see docs/TRAINING.md)")
    p.add_argument("--augment-on", default="all", choices=["all", "real"],
                   help="which windows are augmented (default: all)")
    p.add_argument("--init", default=None, metavar="RUN",
                   help="fine-tune this run's model (its labels, normalisation and window layout) instead of "
                   "a new one, e.g. pre-train on synthetic data, then --init on the real captures")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the weights and the augmentation "
                   "(default 0)")
    p.add_argument("--stream", default="auto", choices=["auto", "on", "off"],
                   help="stream windows with bounded memory (auto: a sharded Dataset whose windows would "
                   "take more than 256 MiB, see docs/CORPUS.md)")
    p.add_argument("--shuffle-buffer", type=int, default=8192,
                   help="windows in the streaming shuffle buffer (default 8192)")
    p.add_argument("--balance", default="weights", choices=["weights", "sampling"],
                   help="streaming: class weights (default), or classes drawn equally from the shuffle "
                   "buffer")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it holds an earlier run")
    p.add_argument("--json", action="store_true", help="print the run's summary as one JSON object (run, "
                   "labels, windows, kept epoch, validation figures, augmentation, notes); progress and "
                   "notes still go to stderr")
    p.set_defaults(func=cmd_train)


def _register_eval_and_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate a training run on Dataset folders",
                       description="Accuracy, macro-F1, per-class figures and the confusion matrix of a run "
                       "on labelled Dataset folders (other rates resampled to the model's).")
    p.add_argument("run", help="run folder")
    p.add_argument("--data", required=True, action=Joined, help="Dataset folders (comma-separated or the "
                   "option repeated)")
    p.add_argument("--out", default=None, help="where to write metrics.json and confusion.png: a new or "
                   "empty folder, or an earlier evaluation's, which is replaced (default RUN/eval/DATA, one "
                   "folder per data evaluated: other data in folders of the same names get DATA-2, "
                   "DATA-3, …)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("export", help="int8 TFLite + TFLM checks + model.h/.c + model card",
                       description="Quantise a run to int8 TFLite, check it against the float model and "
                       "between LiteRT and TFLite-Micro, generate C, and write the model card.",
                       epilog="exit status: 0 all checks pass; 1 a check failed (int8 drop over 1 point, "
                       "LiteRT and TFLM outputs differ, or the generated C differs from TFLM on the host or in "
                       "QEMU); 2 bad input (e.g. an op TFLM lacks)")
    p.add_argument("run", help="run folder")
    p.add_argument("--out", required=True, help="export folder")
    p.add_argument("--data", default="", action=Joined, help="test Dataset folders (default: the run's "
                   "validation data, "
                   "which early stopping saw: held-out subjects or stretches, or the capture --val auto "
                   "chose)")
    p.add_argument("--name", default="imuforge_model",
                   help="C symbol prefix (default imuforge_model: the name the QEMU firmware, hil --qemu, "
                        "and the Nano 33 sketch build; another name rules them out)")
    p.add_argument("--profile", default=None, help="device profile for the card (default: from the data)")
    p.add_argument("--placement", default=None, help="placement for the card (default: from the data)")
    p.add_argument("--json", action="store_true", help="print the card as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists (the old export stays "
                   "until the new one is complete)")
    p.set_defaults(func=cmd_export)


def cmd_import(args) -> int:
    from pathlib import Path

    from imuforge._folders import check_new_folder, staged_folder
    from imuforge.datasets.importers import import_dataset

    from imuforge.errors import ValidationError

    opts = {}
    for key, fmts in IMPORT_OPTIONS.items():
        flag, value = f"--{key}", getattr(args, key)
        if value is not None and args.format not in fmts:
            raise ValidationError(f"{flag} does not apply to {args.format}",
                                  allowed=f"{flag} with {', '.join(fmts)} only")
        if value is not None:
            opts[key] = value
    out = Path(args.out)
    check_new_folder(out)

    with staged_folder(out) as stage:  # a refused or failed import leaves no folder behind
        report = import_dataset(args.format, args.src, stage, **opts)
    d = report.as_dict()
    if args.json:
        print(json.dumps(d, indent=1))
    else:
        people = f" of {d['subjects']} subject{'s' if d['subjects'] != 1 else ''}" if d["subjects"] else ""
        print(f"imported {d['recordings']} recordings{people} from {args.src} ({args.format}) into "
              f"{args.out}")
        for k, v in d["labels_s"].items():
            print(f"  {k:<20} {v:9.1f} s")
        if d["unlabelled_s"] >= 0.05:
            print(f"  {'(unlabelled)':<20} {d['unlabelled_s']:9.1f} s  imported, in no label's stretch")
        if d["skipped"]:
            print("skipped: " + ", ".join(f"{k}={v}" for k, v in d["skipped"].items()))
        for note, times in d.get("notes", {}).items():  # counted per file (MHEALTH) or device stream (HHAR)
            print(f"note: {note}" + (f" (×{times})" if times > 1 else ""))
    return 0


def _holds_simulated(datasets) -> bool:
    """Whether any of these Datasets holds simulated recordings (judged by each one's first recording)."""
    from imuforge.sensors.simulate import is_simulated

    return any(is_simulated(rec) for ds in datasets for rec in itertools.islice(ds.recordings(), 1))


def _augmentation_of(run_path: str):
    """The augmentation a run was trained with (``None``: none, or no readable run there — the trainer's
    own check of ``--init`` then says what is wrong)."""
    from imuforge.errors import ImuforgeError
    from imuforge.train.augment import Augmentation
    from imuforge.train.run import load_run

    try:
        return Augmentation.from_json(load_run(run_path).config.get("augment"))
    except (ImuforgeError, OSError):
        return None


def cmd_train(args) -> int:
    from imuforge._folders import check_new_folder, check_replaceable
    from imuforge.datasets.loading import split_paths
    from imuforge.errors import require_extra
    from imuforge.train.run import RUN_ENTRIES

    out = Path(args.out)
    check_new_folder(out, overwrite=args.overwrite)  # before TensorFlow starts
    if args.overwrite:  # replaced whole below: only an earlier run, never a folder holding a user's files
        check_replaceable(out, "--out", what="training run", marker=("config.json",), own=RUN_ENTRIES)
    if args.init and (args.model is not None or args.width is not None):
        _check_init_network(args)
    if args.width is not None and args.model is not None and (args.model.endswith(".keras")
                                                              or Path(args.model).exists()):
        from imuforge.errors import ValidationError

        raise ValidationError(f"--width with --model {args.model}: a model file's network is trained as it "
                              "is (it was ignored)",
                              allowed="--width with a model of the zoo (imuforge train --help lists them), "
                                      "or --model FILE alone")
    named = _named_augmentation(args.augment)  # a typo is said before TensorFlow starts
    _quiet_tf()  # TensorFlow imported once, quietly; then a missing extra is one line, not start-up chatter
    require_extra("tensorflow", purpose="imuforge train")  # before anything reads the data
    found = [_datasets_of(spec, flag) for spec, flag in ((args.data, "--data"), (args.real, "--real"))]
    val, decided = _validation(args, found[0])
    found.append(_datasets_of(val, "--val"))
    aug = _augmentation(args, named, simulated=_holds_simulated([ds for part in found[:2] for ds in part]))
    from imuforge.train import TrainConfig

    cfg = TrainConfig(
        data=[str(p) for p in split_paths(args.data)], real=[str(p) for p in split_paths(args.real)],
        val=[str(p) for p in split_paths(val)], **_model(args), **_layout(args),
        labels=_labels_given(args, [ds for part in found for ds in part]) or decided.labels or None,
        label_policy=args.label_policy,
        epochs=args.epochs, batch_size=args.batch_size, patience=args.patience, val_fraction=args.val_fraction,
        real_weight=args.real_weight, seed=args.seed,
        learning_rate=(5e-4 if args.init else 2e-3) if args.learning_rate is None else args.learning_rate,
        augment=aug.augmentation.to_json() if aug.augmentation else None, augment_on=args.augment_on,
        init=args.init, stream=args.stream, shuffle_buffer=args.shuffle_buffer, balance=args.balance)
    cfg.check()  # a bad flag is said alone, before the note on the validation data
    _check_deployable(cfg)
    said: list[str] = []  # notes said while it trains (stderr), in --json's notes too
    earlier = out.exists() and any(out.iterdir())
    try:
        cfg = _train_or_fall_back(cfg, out, decided, overwrite=args.overwrite, said=said)
    except KeyboardInterrupt as stop:  # the run is written only once trained: said with "interrupted"
        stop.args = (f"nothing written{f' (the earlier run in {out} is kept)' if earlier else ''}",)
        raise
    # why the capture validated or did not: said once the run stands (a data error before it is one line)
    if decided.note and (cfg.val if decided.paths else True):  # (a refused capture: said in its place)
        said.insert(0, _say(f"note: {decided.note}"))
    figures, lines, notes = _summary(args, cfg, out, aug)
    # --json: one object on stdout, the figures and every note said or to say (stderr: the notes either way)
    print(json.dumps({**figures, "notes": said + notes, "warnings": list(getattr(args, "warned", []))})
          if args.json else "\n".join(lines))
    for note in notes:
        print(note, file=sys.stderr)
    return 0


def _say(note: str) -> str:
    """Print a note to stderr now (it bears on the epochs to come) and return it."""
    print(note, file=sys.stderr)
    return note


@dataclass(frozen=True)
class _AugmentChoice:
    """The augmentation ``imuforge train`` trains with (``augmentation``; None: none) and why: ``auto`` — the
    flag said ``auto``; ``simulated`` — simulated data train; ``inherited`` — the ``--init`` run's, taken
    on."""

    augmentation: Augmentation | None
    auto: bool
    simulated: bool
    inherited: bool


def _is_auto(spec: str) -> bool:
    return spec.strip().lower() == "auto"


def _named_augmentation(spec: str) -> Augmentation | None:
    """``--augment`` parsed: None for ``auto`` (decided once the data are known: :func:`_augmentation`) and,
    as the library's parser has it, for ``none``; a typo is refused naming ``auto`` among the allowed
    values."""
    from imuforge.errors import ValidationError
    from imuforge.train.augment import Augmentation, has_effect

    if _is_auto(spec):
        return None
    if not spec.strip():  # refused as every empty option is (it trained without augmentation, unsaid)
        raise ValidationError("--augment is empty", allowed="auto, none (no augmentation), default, or "
                                                            "transforms: rotation, scale, jitter, …")
    try:
        aug = Augmentation.parse(spec)
    except ValidationError as exc:  # the command also takes "auto", which the library's parser does not know
        raise ValidationError(exc.what, source=exc.source,
                              allowed=f"auto, {exc.allowed}" if exc.what.startswith(("unknown augmentation",
                                                                                     "no transform in"))
                              else exc.allowed) from None
    if aug is not None and not any(has_effect(t) for t in aug.transforms):  # as --augment none: said so
        print(f"note: --augment {spec}: every transform at strength 0 changes nothing: no augmentation "
              "(as --augment none)", file=sys.stderr)
        return None
    return aug


def _augmentation(args, named: Augmentation | None, *, simulated: bool) -> _AugmentChoice:
    """What ``--augment auto`` means for these data (docs/TRAINING.md): ``default`` where simulated data train
    (what the sim-to-real benchmark found best), the ``--init`` run's when fine-tuning on real data, none
    otherwise; any other value as named."""
    from imuforge.train.augment import Augmentation

    auto = _is_auto(args.augment)
    inherited = auto and not simulated and bool(args.init)
    if auto and simulated:
        named = Augmentation.parse("default")
    elif inherited:
        named = _augmentation_of(args.init)
    return _AugmentChoice(named, auto, simulated, inherited)


def _train_or_fall_back(cfg, out: Path, decided: CaptureValidation, *, overwrite: bool, said: list[str]):
    """Train ``cfg`` into ``out``; when the capture ``--val auto`` chose cannot validate (the trainer's
    :class:`~imuforge.errors.UnusableValidationError`), say so (appended to ``said``) and train again without
    it. Returns the configuration that trained."""
    from dataclasses import replace

    from imuforge.errors import UnusableValidationError, ValidationError
    from imuforge.train import train

    try:
        # --overwrite: only this run's files; a failed run: none
        _quiet_notes(train, cfg, out, overwrite=overwrite)
        return cfg
    except (UnusableValidationError, ValidationError) as exc:
        ours = decided.labels and cfg.labels == decided.labels and exc.what.startswith("--labels")
        if not decided.paths or not (isinstance(exc, UnusableValidationError) or ours):
            raise  # a --val or --labels the user named: their error, said as it is
        why = exc.what.removeprefix("--val ")
    # trained again outside the handler: the failed attempt's windows are not kept alive by its traceback
    from imuforge.train.capture import fallback_note

    said.append(_say(f"note: {fallback_note(decided, why)}"))
    cfg = replace(cfg, val=[], labels=None if ours else cfg.labels)
    _quiet_notes(train, cfg, out, overwrite=overwrite)
    return cfg


def _quiet_notes(train, cfg, out: Path, *, overwrite: bool):
    """``train(cfg, out)`` without its :class:`~imuforge.errors.TrainingNote` warnings: the summary prints the
    run's notes itself, each once."""
    from imuforge.errors import TrainingNote, said_elsewhere

    with said_elsewhere(TrainingNote):
        return train(cfg, out, overwrite=overwrite)


def _transform_text(t, channels) -> str:
    """A transform as ``--augment`` names it (its values where they are not the defaults: ``jitter:0.05:all``)
    and what it does to these channels where its name does not say it: the ``auto`` settings leave out what
    an accelerometer alone would read as motion, and a rotation turns complete x/y/z triplets only."""
    from imuforge.train.augment import (STRENGTH, has_effect, has_gyroscope, spec_text, triplets,
                                        untouched_triplets)

    text = spec_text(t)
    if not has_effect(t):  # listed among the active ones, it read as if it augmented
        return f"{text} (no effect: its {STRENGTH[t.name]} is 0)"
    if t.name == "rotation" and (left := untouched_triplets(channels)):
        what = "no effect" if not triplets(channels) else f"{', '.join(left)} left as is"
        return f"{text} ({what}: {', '.join(left)} {'has' if len(left) == 1 else 'have'} no complete x/y/z)"
    notes = {("jitter", "auto"): "none: no gyroscope",
             ("magnitude_warp", "auto"): "gravity kept: no gyroscope"}
    key = (t.name, t.params.get("where", t.params.get("field")))
    return text if has_gyroscope(channels) or key not in notes else f"{text} ({notes[key]})"


def _check_deployable(cfg) -> None:
    """A network of the user's own (``--model NAME.keras``) whose ops the device lacks is refused before it
    trains, as export would refuse the run after it (a user trained a GELU network for minutes to learn it at
    export). One the trainer cannot read is left to the trainer to say why."""
    from imuforge.train.zoo import ZOO

    if cfg.model in ZOO or cfg.init:
        return
    import keras

    from imuforge.export.convert import check_deployable, fixed_input

    try:
        model = keras.models.load_model(cfg.model, compile=False)
    except Exception:  # noqa: BLE001 - not a model Keras reads: train's own check names it
        return
    if fixed_input(model):  # (another input: train's own check names the shape it takes)
        check_deployable(model, source=cfg.model)


def _summary(args, cfg, out: Path, aug: _AugmentChoice) -> tuple[dict, list[str], list[str]]:
    """What ``imuforge train`` says when the run is written: ``(figures, lines, notes)`` — the run, its
    validation figures and the augmentation as one JSON-ready object, the lines the console shows of them
    (stdout), and the notes, warnings and tips (stderr; prefixed)."""
    from imuforge.train.run import load_run

    run = load_run(out)
    m, h, d = run.json("metrics.json"), run.json("history.json"), run.data_info()
    windows = {k: sum(d["windows"][k].values()) for k in ("train", "validation")}
    # windows overlapping the held-out stretches train on neither side (174 capture windows read "114 train /
    # 40 validation" with the other 20 in data.json only)
    left_out = int(d.get("windows_left_out_overlapping_validation", 0))
    apart = f", {left_out} left out (they overlap the validation stretches)" if left_out else ""
    missing = d["labels_missing_from_validation"]
    split = d["validation_split"].split(" (")[0]
    if split == "--val" and str(args.val).strip().lower() == "auto":  # chosen for the user: said as such
        split = "--val auto: the capture"
    transforms = ([_transform_text(t, run.channels) for t in aug.augmentation.transforms]
                  if aug.augmentation is not None else [])
    figures = {"run": str(run.path), "model": cfg.model, "labels": list(run.labels), "windows": windows,
               "windows_left_out": left_out,
               "kept_epoch": h["best_epoch"], "epochs_run": len(h["history"]["loss"]),
               "validation": {"split": split, "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                              "labels_missing": list(missing)},
               "augmentation": transforms, "dropped_windows": dict(d["dropped_windows"])}
    held = len(run.labels) - len(missing)
    over = f" (validation holds {held} of {len(run.labels)} labels)" if missing else ""
    lines = [f"run folder: {run.path}",
             f"model {cfg.model}, {len(run.labels)} classes ({', '.join(run.labels)}), "
             f"{windows['train']} train / {windows['validation']} validation windows{apart}",
             f"kept epoch {h['best_epoch']} of {figures['epochs_run']}; validation ({split}): "
             f"accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}{over}"]
    if d["dropped_windows"]:
        lines.append("windows not used: " + ", ".join(f"{k}={v}" for k, v in d["dropped_windows"].items()))
    return figures, lines, _summary_notes(args, cfg, run, d, aug, transforms)


def _summary_notes(args, cfg, run, d: dict, aug: _AugmentChoice, transforms: list[str]) -> list[str]:
    """The notes of the summary (:func:`_summary`): options that did nothing, labels the run cannot know,
    the data's and the split's notes, and the augmentation and why."""
    notes = []
    if d["validation_split"].startswith("--val") and args.val_fraction != 0.2:  # (the option's default)
        notes.append(f"note: --val-fraction {args.val_fraction:g} is not used: it holds out a share of the "
                     "training data, and the validation is the --val data")
    untrained = sorted(lab for lab in run.labels if not d["windows"]["train"].get(lab))
    if untrained and cfg.init:  # a fine-tune on data without them: the model unlearns them
        notes.append(f"warning: no training window of {', '.join(untrained)}: tuning the --init model "
                     "without them makes it forget them (it calls their windows something else); capture "
                     "every label, or mix the synthetic data back in (--data)")
    notes += [f"note: {note}" for note in d.get("notes", [])]
    if transforms:
        which = "real windows only" if args.augment_on == "real" else "every window"
        why = (" — --augment auto: the --init run's; --augment none turns it off" if aug.inherited else
               " — --augment auto with simulated data; --augment none turns it off" if aug.auto else "")
        notes.append(f"augmentation (drawn anew every epoch, {which}): {', '.join(transforms)}{why}")
    if aug.simulated and not cfg.real and (aug.augmentation is None or args.augment_on == "real"):
        notes.append("tip: with synthetic --data alone, --augment default usually trains better models for "
                     "real people (the sim-to-real benchmark, docs/TRAINING.md)")
    kind = d["validation_split"]
    if kind.startswith("time"):  # the kind names its reason when subjects do not share labels
        notes.append(f"note: validation split by {kind}" + ("" if "subject-wise split" in kind else
                     "; a subject-wise figure needs two or more real subjects"))
    if d["labels_missing_from_validation"]:
        notes.append("note: no validation windows for " + ", ".join(d["labels_missing_from_validation"])
                     + ": the validation figures leave them out")
    return notes


def _validation(args, data_sets) -> tuple[list[str], CaptureValidation]:
    """``--val``'s Dataset folders and what was decided: ``auto`` asks
    :func:`imuforge.train.capture.capture_validation` (``data_sets``: the Datasets of ``--data``, not read
    again); ``none`` (or empty) holds validation out of the data; anything else names the folders."""
    from imuforge.datasets.loading import split_paths
    from imuforge.train.capture import CaptureValidation, capture_validation

    spec = args.val.strip()
    if spec.lower() in ("", "none"):
        return [], CaptureValidation()
    if spec.lower() != "auto":
        _check_not_a_share(spec)
        return [str(p) for p in split_paths(spec)], CaptureValidation()
    labels = _labels_given(args, data_sets) or None
    window = _layout(args)["window_s"]  # a label needs half of it for a window of its own (a whole one: pure)
    decided = capture_validation(data_sets, split_paths(args.real), labels=labels,
                                 min_seconds=window * (1.0 if args.label_policy == "pure" else 0.5))
    return decided.paths, decided


def _check_not_a_share(spec: str) -> None:
    """``--val 0.3``: a number where folders go, and no folder of that name — the share is
    ``--val-fraction``'s (the folder's own error would only say that ``0.3`` does not exist)."""
    from imuforge.errors import ValidationError

    try:
        share = float(spec)
    except ValueError:
        return
    if not Path(spec).exists():
        raise ValidationError(f"--val {spec}: --val takes Dataset folders, and there is no folder {spec!r}",
                              allowed=f"--val-fraction {share:g} to hold out a share of the training data; "
                                      "--val DIR[,DIR…], auto or none")


def _check_init_network(args) -> None:
    """``--model`` / ``--width`` with ``--init``: the --init run's network is trained further as it is, so
    they may only repeat what it has (a script's common options); another is refused, not ignored."""
    from imuforge.errors import ValidationError

    mine = _model(args)
    differ = [f"{o} {v}" for o, v, theirs in (("--model", args.model, mine["model"]),
                                             ("--width", args.width, mine["model_kwargs"].get("width")))
              if v is not None and v != theirs]
    if differ:
        width = mine["model_kwargs"].get("width")
        has = mine["model"] + (f", width {width}" if width is not None else "")
        raise ValidationError(f"{' and '.join(differ)} with --init: the --init run's network ({has}) is "
                              "trained further as it is", source=str(args.init),
                              allowed="--init RUN without --model and --width (or with its own), "
                                      "or a new model without --init")


def _model(args) -> dict:
    """``model`` and ``model_kwargs`` from the flags, or the --init run's network (trained further as it
    is)."""
    if args.init:
        from imuforge.train.run import load_run

        init = load_run(args.init).config
        return {"model": init.get("model", "tiny_cnn"), "model_kwargs": dict(init.get("model_kwargs") or {})}
    return {"model": args.model or "tiny_cnn",
            "model_kwargs": {"width": args.width} if args.width is not None else {}}


def _datasets_of(spec, flag: str) -> list:
    """The Datasets of an option's folders (one that does not exist named with its option)."""
    from imuforge.datasets.loading import check_exist, find_all_datasets, split_paths

    check_exist(spec, flag)
    return find_all_datasets(split_paths(spec))


def _labels_given(args, datasets) -> list[str]:
    """``--labels``: a name the data hold as it is; another as ``capture --label`` reads it (``walk,sit`` →
    walking, sitting: the synonyms had been refused as labels no window holds) — data labelled with a
    synonym itself (``laying``) keep it."""
    from imuforge.labels import canonical_label

    held = {lab for ds in datasets for e in ds.entries for lab in e.get("labels_s", {})}
    return [c if c in held else canonical_label(c, allow_custom=True, source="--labels")
            for c in (c.strip() for c in args.labels.split(",")) if c]


def _layout(args) -> dict:
    """Window layout from the flags, falling back to the --init run's, then to the defaults. Without
    ``--channels`` the library decides them (:func:`imuforge.train.trainer.resolve_channels`: the --init
    run's, or the default channels every training recording has, e.g. an accelerometer-only data set's)."""
    base = {"window_s": 2.56, "stride_s": 1.28, "rate_hz": 50.0}
    if args.init:
        from imuforge.train.run import load_run

        init = load_run(args.init)
        base = {"window_s": init.window_s, "stride_s": init.stride_s, "rate_hz": init.rate_hz}
    given = {"window_s": args.window_s, "stride_s": args.stride_s, "rate_hz": args.rate}
    layout = {k: (v if v is not None else base[k]) for k, v in given.items()}
    layout["channels"] = _channels_option(args.channels) if args.channels is not None else None
    return layout


def _channels_option(text: str) -> list[str]:
    """``--channels``' names: known channel names, each once, at least one."""
    from imuforge.errors import ValidationError
    from imuforge.recording import KNOWN_CHANNELS

    names = [c.strip() for c in text.split(",") if c.strip()]
    allowed = f"a comma list of {', '.join(KNOWN_CHANNELS)}, each once"
    if not names:
        raise ValidationError(f"--channels {text!r} names no channel", allowed=allowed)
    unknown = [c for c in names if c not in KNOWN_CHANNELS]
    twice = sorted({c for c in names if names.count(c) > 1})
    if unknown or twice:
        raise ValidationError(f"--channels: {'unknown ' + ', '.join(unknown) if unknown else ''}"
                              f"{'; ' if unknown and twice else ''}"
                              f"{'named twice ' + ', '.join(twice) if twice else ''}", allowed=allowed)
    return names


def cmd_eval(args) -> int:
    _quiet_tf()
    from imuforge.datasets.loading import split_paths
    from imuforge.train import evaluate_run, format_report

    ev = evaluate_run(args.run, split_paths(args.data), out=args.out)
    if not args.json:
        print(format_report(ev.metrics))
    # the notes on stderr with --json too (as train's and export's; README: progress and notes on stderr)
    print(f"note: these are the figures of {ev.scored_model}: the int8 model the device runs is scored by "
          "export --data and hil, and can differ by a few windows", file=sys.stderr)
    for note in ev.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:  # the warnings said on stderr while it read the data, too
        print(json.dumps({**ev.to_json(), "warnings": list(getattr(args, "warned", []))}, default=str))
        return 0
    if ev.unknown_labels:
        print("labels the model does not know (not scored): "
              + ", ".join(f"{k} ({v} windows)" for k, v in ev.unknown_labels.items()))
    if ev.resampled_to_hz:
        from imuforge.units import format_rates

        print(f"data at {format_rates(ev.data_rates_hz, 'rates')} resampled to {ev.resampled_to_hz:g} Hz")
    if ev.dropped_windows:
        print("windows not used: " + ", ".join(f"{k}={v}" for k, v in ev.dropped_windows.items()))
    print(f"confusion matrix: {ev.confusion_png}")
    return 0


def _qemu_summary(q, check) -> str:
    """The export's QEMU line: instructions per inference (plain C and SMLAD) and the bit-exact verdict, or why
    there are none."""
    if not isinstance(q, dict):
        return f"QEMU Cortex-M4: {q or 'not measured (card written before this figure existed)'}"
    p, d = q["plain"], q["dsp"]
    verdict = (f"{check['mismatches']} of {check['windows']} windows differ "
               f"[{'identical' if check['identical'] else 'MISMATCH'}]") if isinstance(check, dict) else str(check)
    return (f"QEMU Cortex-M4 (-icount shift={q['icount_shift']}): {p['instructions_per_inference']} instructions per "
            f"inference ({p['instructions_per_mac']} per MAC), SMLAD {d['instructions_per_inference']} "
            f"({d['instructions_per_mac']} per MAC); vs host TFLM: {verdict}")


def _drop_words(accuracy: float, macro_f1: float) -> str:
    """The int8 model's drop from the float one in points, said as a gain where int8 scores higher (a fresh
    user's run read "drop -4.76 / -4.50 points")."""
    if max(accuracy, macro_f1) <= 0 and min(accuracy, macro_f1) < 0:
        return f"int8 higher by {abs(accuracy):.2f} / {abs(macro_f1):.2f} points"
    return f"drop {accuracy:.2f} / {macro_f1:.2f} points"


def _drop_note(windows: int, agreement: float) -> str:
    """What a failed int8 drop rests on: how many windows changed class, and what one window weighs."""
    from imuforge.export.exporter import windows_moved

    note = (f"note: int8 changed the class of {windows_moved(windows, agreement)} of {windows} windows (the drop is float's figure "
            "minus int8's on these windows)")
    if 0 < windows < 100:
        note += (f"; with {windows} windows one window turned wrong costs {100.0 / windows:.2f} points of "
                 "accuracy (macro-F1 more, in a small class), over the check's 1 point: export with more "
                 "windows (--data TEST)")
    return note


def cmd_export(args) -> int:
    _quiet_tf()
    from imuforge.datasets.loading import split_paths
    from imuforge.export import export_run
    from imuforge.export.exporter import check_card_device, check_export_free, check_export_out

    check_card_device(args.profile, args.placement)  # before TensorFlow starts
    out = Path(args.out)
    check_export_out(out, Path(args.run))  # a folder that is no export is refused as such, --overwrite or not
    check_export_free(out, args.overwrite)
    card = export_run(args.run, args.out, data=split_paths(args.data) or None, name=args.name,
                      profile=args.profile, placement=args.placement, overwrite=args.overwrite)
    failed = card.failed_checks()
    if args.json:  # the same exit status: a script reading the JSON sees a failed check in its status too
        for line in _export_notes(card, out, failed):  # on stderr, as without --json
            print(line, file=sys.stderr)
        print(json.dumps(card.to_json()))
        return 1 if failed else 0
    m, c, s = card.metrics, card.checks, card.size
    print(f"exported {args.out}: model.tflite ({s['flash_model_bytes']} B), model.h, model.c, card.json, card.md, "
          "reference.npz, c/ (generated C)")
    print(f"normalisation: {card.input.normalisation.carried_as}")
    kind = "validation" if card.data.test.is_validation else "test"
    print(f"{kind} ({card.data.test.windows} windows): float acc {m.float_model.accuracy:.3f} "
          f"F1 {m.float_model.macro_f1:.3f} | int8 acc {m.int8.accuracy:.3f} F1 {m.int8.macro_f1:.3f} "
          f"| {_drop_words(m.drop_accuracy_points, m.drop_macro_f1_points)} "
          f"[{'ok' if c['int8_drop_within_1_point'] else 'OVER 1 POINT'}]")
    for line in _export_notes(card, out, failed)[:-1 if failed else None]:  # (the verdict: last, below)
        print(line, file=sys.stderr)
    le = c["litert_agrees_with_tflm"]
    bound = le.get("max_bound_lsb", le["tolerance_lsb"])  # the softmax carries the logits' 1 LSB further
    tag = ("identical" if le["identical"] else f"within the bound, {bound:g} LSB here"
           if le["within_tolerance"] else "MISMATCH")
    print(f"LiteRT vs TFLM: {le['windows_differing']} of {le['windows']} windows differ, by up to "
          f"{le['max_abs_diff_lsb']} LSB [{tag}]")
    print(f"TFLM arena {s['arena_bytes_tflm']} B; ops: {', '.join(card.model.ops)}")
    lt = card.latency_host
    print(f"host latency: TFLM {lt['tflm_reference_kernels']['median_us']:.0f} µs, LiteRT {lt['litert']['median_us']:.0f} µs")
    gc, gs = c["generated_c_equals_tflm"], s["generated_c"]
    m4 = gs["cortex_m4"]
    m4_text = (f"Cortex-M4 flash {m4['flash_bytes']} B, RAM {m4['ram_bytes']} B" if isinstance(m4, dict)
               else f"Cortex-M4 {m4}")
    verdict = (f"{gc['mismatches']} of {gc['windows'] + gc['random_windows']} windows ({gc['windows']} test, "
               f"{gc['random_windows']} random) differ [{'identical' if gc['identical'] else 'MISMATCH'}]"
               if gc["compared"] else f"not checked: {gc['reason']}")
    print(f"generated C ({', '.join(card.model.generated_c)}): arena {gs['arena_bytes']} B "
          f"(+ I/O {gs['input_bytes'] + gs['output_bytes']} B), {m4_text}; vs TFLM: {verdict}")
    print(_qemu_summary(gs.get("qemu_cortex_m4"), c.get("generated_c_equals_tflm_qemu")))
    if failed:
        print(_export_notes(card, out, failed)[-1], file=sys.stderr)
        return 1
    return 0


def _export_notes(card, out: Path, failed: list[str]) -> list[str]:
    """What an export says on stderr, with ``--json`` or without: why the int8 check failed, the card's
    warnings (an int8 model above its float one, a figure worse than the export it replaced), what its test
    figures do not say, and — last — the verdict of failed checks."""
    from imuforge.export.exporter import data_caveats

    m = card.metrics
    lines = ([] if card.checks.get("int8_drop_within_1_point") else
             [_drop_note(card.data.test.windows, m.float_int8_top1_agreement)])
    lines += [f"warning: {w}" for w in card.warnings] + data_caveats(card.data.test.to_json())
    if failed:
        lines.append(f"export checks FAILED ({', '.join(failed)}; files written for inspection): see "
                     f"{out / 'card.md'}")
    return lines

