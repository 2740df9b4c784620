"""`imuforge export`: a training run → int8 .tflite, C files, model card, and the checks behind them.

Output folder::

    OUT/
      model.tflite        full-integer int8 (int8 input and output)
      model.h, model.c    aligned byte array, labels, window, ODR, channel order, input k/b, scales
      c/<name>.h, c/<name>.c  generated C inference (no interpreter; TFLM's integer arithmetic, see docs/CGEN.md)
      c/ifb_cgen_identity.h   the model's identity for the firmware's HIL (sha-256, shapes, quantisation):
                          what the Nano 33 BLE Sense sketch builds with (firmware_bridge, `make nano33`)
      card.json, card.md  data, metrics (float vs int8), sizes, arena, ops, latency, device, placement
      reference.npz       held-out test windows: SI input, int8 input, TFLM int8 output, labels —
                          the bit-exact reference a device must reproduce (HIL)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imuforge._folders import check_replaceable, staged_folder
from imuforge.datasets.loading import split_paths
from imuforge.errors import ImuforgeError, OutputExistsError, ValidationError, require_extra
from imuforge.export.card import (
    CardData,
    CardDevice,
    CardInput,
    CardMetrics,
    CardModel,
    CardOutput,
    ClassMetrics,
    ExportCard,
    Normalisation,
    TestData,
    scored_on,
)
from imuforge.export.cfiles import check_c_name, write_c_files
from imuforge.export.cgen import render_c
from imuforge.export.cgen.check import CgenCheck, check_generated_c, size_json
from imuforge.export.convert import input_affine, quantize_input, to_int8_tflite
from imuforge.export.tflm import LiteRTModel, TflmModel, check_ops, model_ops
from imuforge.progress import progress
from imuforge.train.evaluate import classification_metrics
from imuforge.train.run import load_run, write_json
from imuforge.units import CHANNEL_UNITS, GROUP_OF_SENSOR, channel_group, format_rates

#: What an export runs: the converter, LiteRT and the TFLM interpreter (the 'ml' extra).
ML_MODULES = ("tensorflow", "ai_edge_litert.interpreter", "tflite_micro.python.tflite_micro.runtime")

#: Largest int8 accuracy / macro-F1 drop against float (points) the card calls a pass.
MAX_DROP_POINTS = 1.0
#: How far LiteRT's builtin int8 kernels may differ from TFLM's, in output LSB. The two runtimes round
#: the int8 requantisation of some kernels differently (LiteRT single-rounds FULLY_CONNECTED, TFLM's
#: reference kernel does not: tensorflow/tensorflow#66358, ARM-software/CMSIS-NN#214), so a rare
#: accumulator on a rounding boundary lands 1 LSB apart. The device path (generated C, QEMU) is held to
#: bit-exactness against TFLM; this check only says the host runtime a user tries the model in agrees.
#: A model that ends in SOFTMAX carries that 1 LSB of its logits (scale s_z) through the softmax: output j
#: (probability p_j, scale s_p) moves by at most 2·p_j·(1 − p_j)·s_z / s_p LSB to first order (the softmax's
#: Jacobian, every logit 1 LSB off), plus the output's own 1 LSB of rounding — per window and output
#: (:func:`litert_bound_lsb`).
LITERT_TOLERANCE_LSB = 1


def _versions() -> dict[str, str]:
    out = {}
    for mod in ("tensorflow", "keras", "ai_edge_litert", "tflite_micro", "imuforge"):
        try:
            from importlib.metadata import version

            out[mod] = version(mod.replace("_", "-"))
        except Exception:
            out[mod] = "unknown"
    return out


@dataclass
class TestSet:
    """The windows an export is checked on (SI, labels the model knows) and where they came from."""

    X: np.ndarray
    y: np.ndarray
    labels: np.ndarray
    source: str | list[str]
    unknown_labels: dict[str, int]  # labels the model does not know → their windows (not scored)
    notes: list[str] = field(default_factory=list)  # about the data (``evaluate.site_notes``)

    def digest(self) -> str:
        """sha-256 of the windows (float32) and their labels (:attr:`TestData.sha256`)."""
        h = hashlib.sha256(np.ascontiguousarray(self.X, np.float32).tobytes())
        h.update("\n".join(map(str, self.labels)).encode("utf-8", "surrogatepass"))
        return h.hexdigest()


@dataclass
class EngineRuns:
    """The float model, LiteRT (with and without XNNPACK) and TFLM on the test windows, and the int8 I/O."""

    in_scale: float
    in_zp: int
    out_scale: float
    out_zp: int
    k: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    float_probs: np.ndarray
    out_tflm: np.ndarray
    out_lite: np.ndarray
    out_xnn: np.ndarray
    arena: int
    arena_recorded: int
    latency: dict[str, Any]
    logit_scale: float | None = None  # the softmax input's scale (None: the model does not end in SOFTMAX)


def check_card_device(profile: str | None, placement: str | None, channels: Sequence[str] = ()) -> None:
    """A ``profile`` / ``placement`` for the card must name a known profile (or profile file) and placement
    preset: a typo would otherwise stand in the card as the model's device; and the profile must have a
    sensor for each of the model's input ``channels`` (a magnetometer-only chip cannot feed a model of
    acceleration and rate)."""
    from imuforge.sensors.placement import PLACEMENTS
    from imuforge.sensors.profiles import load_profile

    if profile is not None:
        prof = load_profile(profile)
        sensor_of = {group: sensor for sensor, group in GROUP_OF_SENSOR.items()}
        needed = {sensor_of.get(channel_group(c), channel_group(c)) for c in channels}
        lacks = sorted(c for c in channels if sensor_of.get(channel_group(c)) not in prof.sensors)
        if lacks:
            raise ValidationError(f"--profile {profile}: the device has no sensor for the model's "
                                  f"{', '.join(lacks)}",
                                  allowed=f"a profile with {' and '.join(sorted(needed))}")
    if placement is not None and placement not in PLACEMENTS:
        raise ValidationError(f"--placement {placement!r} is not a placement preset",
                              allowed=", ".join(PLACEMENTS))


def export_run(run_path: str | os.PathLike, out: str | os.PathLike, *,
               data: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
               name: str = "imuforge_model", profile: str | None = None, placement: str | None = None,
               max_test_windows: int | None = None, seed: int | None = None, qemu: bool = True,
               overwrite: bool = False) -> ExportCard:
    """Convert, check and package a training run; returns the card (also written to ``card.json``).

    ``out``: a new or empty folder; an earlier export there is replaced only with ``overwrite`` (an
    :class:`~imuforge.errors.OutputExistsError` otherwise, as ``imuforge export`` without ``--overwrite``).

    ``data``: Dataset folders to test on (default: the run's subject-wise held-out windows).
    ``profile`` / ``placement`` override what the training data's metadata says.
    Raises :class:`~imuforge.export.tflm.UnsupportedOpError` (naming the op and a zoo
    alternative) before writing anything if the model needs an op TFLM lacks; a damaged run
    folder is a :class:`~imuforge.errors.CorruptFileError`, also before anything is written.
    ``qemu``: also run the generated C on the QEMU Cortex-M4 firmware (plain and SMLAD, a few test
    windows) for the card's instructions per inference, when the toolchain and QEMU exist.
    """
    require_extra(*ML_MODULES, purpose="imuforge export")
    check_c_name(name)
    data = None if data is None else split_paths(data) or None
    run = load_run(run_path)
    check_card_device(profile, placement, run.channels)
    out = Path(out)
    check_export_out(out, run.path)
    check_export_free(out, overwrite)
    seed = int(run.config.get("seed", 0) if seed is None else seed)
    bar = progress(total=6, desc="export", unit="step")

    # 1. representative set (class-balanced and shuffled at training time), data.json, the test windows
    X_rep, _ = run.read_npz("representative.npz")
    data_info = run.data_info()
    test = _test_set(run, data, max_test_windows, seed)
    bar.update(1)

    # 2. convert and check ops before anything is written
    model = run.keras_model()
    tflite = to_int8_tflite(model, run.normalise(X_rep))
    ops = model_ops(tflite)
    check_ops(ops, source=str(run.path / "model.keras"))
    c_model = render_c(tflite, name=name)  # CgenError names any op the C generator lacks
    bar.update(1)

    # 3.–4. float, LiteRT and TFLM on every test window; arena and latency
    eng = _run_engines(run, model, tflite, test.X, bar)

    # 5. files, written into a staging folder that becomes ``out`` only when every file is there
    sha = hashlib.sha256(tflite).hexdigest()
    previous = _previous_card(out)  # the export this one replaces (before the staging folder takes it)
    with staged_folder(out) as stage:  # an earlier export (check_export_out): its folder kept, entries new
        _write_files(stage, run, tflite, sha, name, eng, test)
        cgen = check_generated_c(c_model.write(stage / "c"), eng.Q, eng.out_tflm, TflmModel(tflite), seed=seed)
        identity = _write_identity(stage, name)
        bar.update(1)

        card = _make_card(run, name=name, sha=sha, ops=ops, tflite=tflite, parameters=int(model.count_params()),
                          eng=eng, test=test, data_info=data_info, profile=profile, placement=placement, cgen=cgen,
                          identity=identity)
        write_json(stage / "card.json", card.to_json())  # the QEMU run reads it
        _add_qemu_figures(stage, card, enabled=qemu)
        card.warnings = export_warnings(card, previous)
        write_json(stage / "card.json", card.to_json())
        (stage / "card.md").write_text(card_markdown(card.to_json()))
    bar.update(1)
    bar.close()
    return card


def _class_rows(int8: dict[str, Any], labels: list[str]) -> list[str]:
    """card.md's per-class rows of the int8 figures: the classes macro-F1 averages, then what it is an average
    of where the model's classes and the data's differ (eval's notes, :func:`averaging_notes`); every class
    for a card without its confusion matrix."""
    from imuforge.train.evaluate import Metrics, averaged_classes, averaging_notes

    per, notes = int8["per_class"], []
    if int8.get("confusion") is not None and list(per) == list(labels):
        m = Metrics.from_json({**int8, "labels": labels})
        per, notes = {lab: per[lab] for lab in averaged_classes(m)}, averaging_notes(m)
    rows = [f"| {lab} | {r['support']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} |"
            for lab, r in per.items()]
    return rows + ([""] + [f"- {n}" for n in notes] if notes else [])


def _previous_card(out: Path) -> ExportCard | None:
    """The card of the export in ``out`` that an export with ``overwrite`` replaces; None if there is none,
    or it cannot be read (a damaged earlier export is replaced as it is, with nothing to compare)."""
    try:
        return ExportCard.read(Path(out) / "card.json") if (Path(out) / "card.json").is_file() else None
    except (ImuforgeError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


#: a figure of an export is said to be worse than the one it replaced beyond these: points of accuracy or
#: macro-F1 on the same test windows, and a share of bytes of flash or RAM
WORSE_POINTS = 0.5
WORSE_BYTES_SHARE = 0.05


def windows_moved(windows: int, agreement: float) -> int:
    """The windows quantisation moved to another class: (1 − top-1 agreement) × windows."""
    return round((1.0 - agreement) * windows) if windows and math.isfinite(agreement) else 0


def export_warnings(card: ExportCard, previous: ExportCard | None = None) -> list[str]:
    """What a card's figures say that its checks do not, one line each: an int8 model scoring over 1 point
    above its float one (the float figures of eval and the run then describe another model), and every
    figure worse than in ``previous``, the export this one replaced — its int8 accuracy and macro-F1 on the
    same test windows, a check it passed, the flash and RAM it took."""
    m, out, n = card.metrics, [], card.data.test.windows
    gain = min(m.drop_accuracy_points, m.drop_macro_f1_points) < -MAX_DROP_POINTS  # (the check is of a loss)
    if card.checks.get("int8_drop_within_1_point") and gain:
        out.append(f"the int8 model scores over 1 point above the float one (it changed the class of "
                   f"{windows_moved(n, m.float_int8_top1_agreement)} of {n} windows): the float figures of eval and the run do not describe the "
                   "model the device runs; judge it by the int8 figures here and by hil (on more windows: "
                   "--data TEST)")
    return out + ([] if previous is None else _worse_than(previous, card))


def _worse_than(old: ExportCard, new: ExportCard) -> list[str]:
    """:func:`export_warnings`' lines for the figures of ``new`` worse than ``old``'s."""
    out, was, t0, t1 = [], "the export it replaced", old.data.test, new.data.test
    # the same windows by their digest; a card from before it was recorded, by its source and counts
    same = t0.sha256 == t1.sha256 if t0.sha256 and t1.sha256 else (t0.source, t0.windows, t0.per_class) == (
        t1.source, t1.windows, t1.per_class)
    if not same:  # said, as hil says it: a worse model would pass unseen
        out.append(f"int8 accuracy and macro-F1 not compared with {was}: it was scored on other test windows "
                   f"({t0.windows}, these {t1.windows}; export both with the same --data to compare)")
    else:
        for what, a, b in (("accuracy", old.metrics.int8.accuracy, new.metrics.int8.accuracy),
                           ("macro-F1", old.metrics.int8.macro_f1, new.metrics.int8.macro_f1)):
            if 100 * (a - b) > WORSE_POINTS:
                out.append(f"int8 {what} fell from {a:.3f} to {b:.3f} on the same {new.data.test.windows} "
                           f"test windows as {was}")
    failed = [k for k, v in new.checks.get("checks_passed", {}).items()
              if v == "FAIL" and old.checks.get("checks_passed", {}).get(k) == "pass"]
    if failed:
        out.append(f"check(s) {', '.join(failed)} fail, which passed in {was}")
    for what, key in (("flash (model flatbuffer)", "flash_model_bytes"),
                      ("tensor arena (TFLM)", "arena_bytes_tflm")):
        a, b = old.size.get(key), new.size.get(key)
        numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
        if numbers and 0 < a * (1 + WORSE_BYTES_SHARE) < b:
            out.append(f"{what} grew from {a:g} to {b:g} bytes (+{100 * (b / a - 1):.0f} %) against {was}")
    return out


#: what an export folder holds (:func:`export` writes, and replaces, nothing else)
EXPORT_ENTRIES = ("model.tflite", "model.h", "model.c", "reference.npz", "card.json", "card.md", "c")


def check_export_free(out: Path, overwrite: bool) -> None:
    """Refuse an ``out`` that holds anything (or is a file) unless ``overwrite``: an earlier export is
    replaced only when asked (:func:`export_run`; ``imuforge export`` asks before TensorFlow starts)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise OutputExistsError(f"{out} exists" + ("" if out.is_dir() else " and is not a folder"),
                                allowed="a new or empty folder, or --overwrite (Python: overwrite=True) to "
                                        "replace an old export")


def check_export_out(out: Path, run_path: Path) -> None:
    """``out`` may be replaced by an export only when it is new, empty or an earlier export (it holds
    ``card.json``), and neither holds the run nor lies inside it: replacing it must never delete a training
    run or a user's other files."""
    o, r = Path(out).resolve(), Path(run_path).resolve()
    if o == r or o in r.parents:
        raise ValidationError(f"--out {out} holds the run folder {run_path}: the export would replace it",
                              allowed="a folder of its own, outside the run")
    if r in o.parents:
        raise ValidationError(f"--out {out} is inside the run folder {run_path}",
                              allowed="a folder of its own, outside the run")
    check_replaceable(out, "--out", what="export", marker=("card.json",), own=EXPORT_ENTRIES)


def _test_set(run, data, max_test_windows: int | None, seed: int) -> TestSet:
    """Test windows from ``data`` (or the run's held-out windows), unknown labels dropped, optionally subsampled."""
    if data:
        from imuforge.train.evaluate import no_scored_windows, run_windows, site_notes, upsampling_notes

        w, summaries = run_windows(run, data, desc="test windows")
        if not np.isin(w.labels.astype(str), run.labels).any():
            unknown = Counter(w.labels.astype(str).tolist())
            raise no_scored_windows(run.window_s, run.labels, summaries, unknown, dict(w.dropped))
        X, labels, source = w.X, w.labels.astype(str), [str(p) for p in data]
        notes = site_notes(run, summaries) + upsampling_notes(run, summaries)
        seen = run.seen(data)
        met = None if seen else run.met(summaries)
        if seen:  # named as the held-out default is: the card's heading then calls its figures optimistic
            source = (f"training run's validation or training data ({', '.join(source)}: {seen}): "
                      "these figures are optimistic; pass --data with other subjects for a true test")
        elif met:  # other recordings, of people it trained on: the same heading
            source = (f"people the run trained or validated on ({', '.join(source)}: {met}): these figures "
                      "are optimistic; pass --data with other subjects for a true test")
    else:
        X, labels = run.read_npz("heldout.npz")
        notes = []
        split = run.data_info().get("validation_split", "")  # held-out subjects or stretches, or --val's
        source = (f"training run's validation data (heldout.npz{': ' + split if split else ''}): not used "
                  "for fitting, but used for early stopping, so these figures are optimistic; pass --data "
                  "with other subjects for a true test")
    y = run.label_index(labels)
    unknown = dict(sorted(Counter(labels[y < 0].tolist()).items()))
    X, y, labels = X[y >= 0], y[y >= 0], labels[y >= 0]
    if max_test_windows is not None and len(X) > max_test_windows:
        keep = np.sort(np.random.default_rng(seed).choice(len(X), max_test_windows, replace=False))
        X, y, labels = X[keep], y[keep], labels[keep]
    if len(X) == 0:
        raise ValidationError("no test windows with labels the model knows", allowed=", ".join(run.labels))
    return TestSet(X, y, labels, source, unknown, notes)


def _run_engines(run, model, tflite: bytes, X_test: np.ndarray, bar) -> EngineRuns:
    """Quantise the test windows the device's way and run every engine on them; arena and host latency."""
    litert = LiteRTModel(tflite)
    tflm = TflmModel(tflite)
    in_scale, in_zp = (float(v) for v in litert.input["quantization"])
    out_scale, out_zp = (float(v) for v in litert.output["quantization"])
    k, b = input_affine(run.mean, run.std, in_scale, int(in_zp))
    Q = quantize_input(X_test, k, b)
    float_probs = np.asarray(model.predict(run.normalise(X_test), batch_size=256, verbose=0))
    litert_xnn = LiteRTModel(tflite, xnnpack=True)
    outs = (tflm.run(Q), litert.run(Q), litert_xnn.run(Q))
    bar.update(1)
    arena_recorded, arena = tflm.arena_used(), tflm.minimal_arena()  # before the latency runs, as measured
    latency = {"tflm_reference_kernels": tflm.latency_us(Q[:1], repeats=30),
               "litert": litert.latency_us(Q[:1], repeats=200),
               "litert_xnnpack": litert_xnn.latency_us(Q[:1], repeats=200),
               "note": "host CPU, single window; device latency comes from HIL"}
    eng = EngineRuns(in_scale, int(in_zp), out_scale, int(out_zp), k, b, Q, float_probs, *outs,
                     arena=arena, arena_recorded=arena_recorded, latency=latency,
                     logit_scale=litert.softmax_input_scale())
    bar.update(1)
    return eng


def _write_files(out: Path, run, tflite: bytes, sha: str, name: str, eng: EngineRuns, test: TestSet) -> None:
    """``model.tflite``, ``model.h``/``model.c`` and ``reference.npz`` (the bit-exact reference for HIL)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(tflite)
    write_c_files(out, tflite, name=name, labels=run.labels, channels=run.channels, window_length=run.window_length,
                  odr_hz=run.rate_hz, input_scale=eng.in_scale, input_zero_point=eng.in_zp,
                  output_scale=eng.out_scale, output_zero_point=eng.out_zp, k=eng.k, b=eng.b, mean=run.mean,
                  std=run.std, arena_bytes=eng.arena, model_sha256=sha)
    np.savez_compressed(out / "reference.npz", X=test.X.astype(np.float32), q=eng.Q, tflm_out=eng.out_tflm,
                        labels=test.labels.astype(str), y=test.y)


def _write_identity(out: Path, name: str) -> Path:
    """``c/ifb_cgen_identity.h`` (what the QEMU build writes for itself), named for any board."""
    from imuforge.export.cgen.firmware import write_identity_header

    return write_identity_header(out, out / "c", name=name)


def data_caveats(test: dict) -> list[str]:
    """What a card's test figures do not say, one line each (card.md's, the export's console's): its notes,
    and the windows of labels the model does not know, which were not scored."""
    unknown = test.get("unknown_labels_excluded") or {}
    if isinstance(unknown, list):  # a card written before the windows were counted
        unknown = dict.fromkeys(unknown, "?")
    lines = [f"note: {n}" for n in test.get("notes", [])]
    if unknown:
        lines.append("not scored (labels the model does not know): "
                     + ", ".join(f"{k} ({v} windows)" for k, v in unknown.items()))
    return lines


def _caveat_items(test: dict) -> list[str]:
    return [f"- {line}" for line in data_caveats(test)]


#: test windows under which one window weighs more than the int8 check's 1-point bound can tell
FEW_TEST_WINDOWS = 100


def _few_windows(n: int) -> list[str]:
    """A note where the test holds under :data:`FEW_TEST_WINDOWS` windows: one window is then more than the
    1-point drop the int8 check bounds (a fresh user's export checked 9 windows, "drop 0.00 [ok]", where
    84 showed a 2.4-point drop on the device)."""
    if not 0 < n < FEW_TEST_WINDOWS:
        return []
    return [f"the int8 check ran on {n} windows: one window is {100 / n:.1f} points, so a drop under that "
            f"does not show (export --data TESTDIR with {FEW_TEST_WINDOWS} windows or more)"]


def _device_notes(data_info: dict, profile: str | None, placement: str | None, rate_hz: float) -> list[str]:
    """A note for each device field of the card given (``--profile``, ``--placement``) that the training data
    do not hold: the card then claims a device or a body site the model has not seen; and for a device that
    cannot stream at the model's rate (``rate_hz``: the firmware must resample, which HIL on the host does
    not test — a fresh user's 50 Hz model for a 52 Hz Polar, session 62)."""
    from imuforge.sensors.placement import sites_apart
    from imuforge.sensors.profiles import load_profile

    out = []
    if not data_info:  # a run folder without data.json (deleted, or a run from before it was written)
        missing = [flag for flag, given in (("--profile", profile), ("--placement", placement)) if not given]
        out.append("the run folder holds no data.json: the card cannot say what data trained the model"
                   + (f", nor its {' or '.join(f[2:] for f in missing)} (give {' and '.join(missing)}"
                      + ("; hil --emulate then emulates the default profile)" if not profile else ")")
                      if missing else ""))
    for name in [profile] if profile else data_info.get("profiles", []):
        try:
            prof = load_profile(name)
        except (ValidationError, OSError):  # a profile of the data not on this machine (a file, kept by name)
            out.append(f"the training data's device {name} is not a profile here (a profile file is kept by "
                       "its name): whether it streams at the model's rate was not checked (export --profile "
                       "FILE checks it)")
            continue
        odrs = prof.settable_odrs()
        if not any(abs(o - rate_hz) <= 1e-6 * rate_hz for o in odrs):
            near = min(odrs, key=lambda o: abs(o - rate_hz))
            out.append(f"the model takes {rate_hz:g} Hz windows, a rate {prof.name} does not stream at (it "
                       f"offers {', '.join(f'{o:g}' for o in odrs)} Hz): the firmware must resample its "
                       f"samples to {rate_hz:g} Hz, which hil does on the host and does not test — or train "
                       f"with --rate {near:g}")
    held = data_info.get("profiles", [])
    if profile and held and load_profile(profile).name not in held:  # a file is named by its profile's name
        out.append(f"the card names profile {profile}, but the model was trained on {', '.join(held)}: its "
                   "figures are for the training data's")
    held = data_info.get("placements", [])
    if placement and sites_apart(set(held), {placement}):  # the other side of a site is the site
        out.append(f"the card names placement {placement}, but the model was trained on {', '.join(held)}: "
                   "its figures are for the training data's")
    return out


def _one_or_list(values: list, override):
    """The card's device fields: the override, else the one value, else the list (None when empty)."""
    return override or (values[0] if len(values) == 1 else values or None)


def _make_card(run, *, name: str, sha: str, ops: list[str], tflite: bytes, parameters: int, eng: EngineRuns,
               test: TestSet, data_info: dict, profile: str | None, placement: str | None,
               cgen: CgenCheck, identity: Path) -> ExportCard:
    """The model card (``card.json``): model, device, input/output, data, metrics, checks, sizes, latency."""
    metrics = _card_metrics(run, eng, test)
    return ExportCard(
        created_utc=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        model=CardModel(name=name, architecture=run.config.get("model"), run=str(run.path), sha256=sha,
                        generated_c=[f"c/{cgen.generated.header.name}", f"c/{cgen.generated.source.name}",
                                     f"c/{identity.name}"], ops=ops,
                        files_sha256={f"c/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
                                      for p in (cgen.generated.header, cgen.generated.source, identity)}),
        device=CardDevice(profile=_one_or_list(data_info.get("profiles", []), profile),
                          placement=_one_or_list(data_info.get("placements", []), placement)),
        input=CardInput(
            window_length=run.window_length, window_s=run.window_s, stride_s=run.stride_s, odr_hz=run.rate_hz,
            channels=list(run.channels), units=dict(CHANNEL_UNITS), dtype="int8", scale=eng.in_scale,
            zero_point=eng.in_zp,
            normalisation=Normalisation(
                mean=run.mean.tolist(), std=run.std.tolist(),
                carried_as="per-channel input affine folded with the input quantisation: "
                           "q = clamp(round(x_si * k[c] + b[c])), k = 1/(std*scale), b = zero_point - mean*k "
                           "(model.c: <name>_quantize_input); no normalisation op in the model",
                k=eng.k.tolist(), b=eng.b.tolist())),
        output=CardOutput(dtype="int8", scale=eng.out_scale, zero_point=eng.out_zp, labels=list(run.labels),
                          meaning="softmax probabilities: p = (q - zero_point) * scale"),
        data=CardData(
            training=run.trained_datasets(), windows=data_info.get("windows", {}),
            test=TestData(source=test.source, windows=int(len(test.X)),
                          per_class={lab: int((test.y == i).sum()) for i, lab in enumerate(run.labels)},
                          unknown_labels_excluded=test.unknown_labels,
                          notes=test.notes + _few_windows(len(test.X))
                          + _device_notes(data_info, profile, placement, run.rate_hz),
                          sha256=test.digest())),
        metrics=metrics,
        checks=_card_checks(eng, metrics, cgen),
        size={"flash_model_bytes": len(tflite),
              "arena_bytes_tflm": eng.arena,
              "arena_tensors_bytes": eng.arena_recorded,
              "arena_note": "smallest arena the TFLM interpreter loads and runs the model in (bisection, "
                            "64-bit host: an upper bound for Cortex-M); arena_tensors_bytes is the "
                            "RecordingMicroAllocator total without the allocator's own bookkeeping; "
                            "model.h reserves +25 %",
              "parameters": parameters,
              "generated_c": size_json(cgen, eng.arena, len(tflite))},
        latency_host=eng.latency,
        tools=_versions(),
    )


def _card_metrics(run, eng: EngineRuns, test: TestSet) -> CardMetrics:
    """Float and int8 (TFLM) metrics on the test windows, the drop in points and the top-1 agreement."""
    m_float = classification_metrics(test.y, eng.float_probs.argmax(1), run.labels)
    m_int8 = classification_metrics(test.y, eng.out_tflm.argmax(1), run.labels)
    return CardMetrics(
        float_model=ClassMetrics.of(m_float), int8=ClassMetrics.of(m_int8, confusion=True),
        drop_accuracy_points=100 * (m_float.accuracy - m_int8.accuracy),
        drop_macro_f1_points=100 * (m_float.macro_f1 - m_int8.macro_f1),
        float_int8_top1_agreement=float(np.mean(eng.float_probs.argmax(1) == eng.out_tflm.argmax(1))))


def _card_checks(eng: EngineRuns, metrics: CardMetrics, cgen: CgenCheck) -> dict[str, Any]:
    """The card's host checks: the int8 drop, LiteRT vs TFLM (and the XNNPACK delegate), ops, generated C."""
    drop_acc, drop_f1 = metrics.drop_accuracy_points, metrics.drop_macro_f1_points
    return {
        "int8_drop_within_1_point": bool(drop_acc <= MAX_DROP_POINTS and drop_f1 <= MAX_DROP_POINTS),
        "litert_agrees_with_tflm": _litert_agreement(eng),
        "ops_supported_by_tflm": True,
        "generated_c_equals_tflm": cgen.to_json(),
    }


def litert_bound_lsb(out_tflm: np.ndarray, out_scale: float, out_zp: int,
                     logit_scale: float | None) -> np.ndarray:
    """Per window and output, how far (output LSB) LiteRT may be from TFLM (:data:`LITERT_TOLERANCE_LSB`):
    the tolerance itself, plus, behind a softmax, 2·p·(1 − p)·s_z / s_p for 1 LSB of every logit (p TFLM's
    probability, dequantised; s_z the logits' scale, s_p the output's)."""
    bound = np.full(out_tflm.shape, float(LITERT_TOLERANCE_LSB))
    if logit_scale is not None:
        p = (out_tflm.astype(np.float64) - out_zp) * out_scale
        bound += 2.0 * p * (1.0 - p) * LITERT_TOLERANCE_LSB * logit_scale / out_scale
    return bound


def _litert_agreement(eng: EngineRuns) -> dict[str, Any]:
    """LiteRT's builtin kernels against TFLM: how they differ, and whether within :func:`litert_bound_lsb`."""
    diff = _output_diff(eng.out_lite, eng.out_tflm)
    bound = litert_bound_lsb(eng.out_tflm, eng.out_scale, eng.out_zp, eng.logit_scale)
    excess = np.abs(eng.out_lite.astype(np.int16) - eng.out_tflm.astype(np.int16)) - bound
    return dict(diff, tolerance_lsb=LITERT_TOLERANCE_LSB, softmax_input_scale=eng.logit_scale,
                max_bound_lsb=round(float(bound.max(initial=LITERT_TOLERANCE_LSB)), 2),
                within_tolerance=bool((excess <= 1e-9).all()),
                litert_kernels="builtin int8 kernels, no XNNPACK delegate",
                why_not_bit_exact="the two runtimes round some kernels' int8 requantisation differently "
                                  "(FULLY_CONNECTED: single vs double rounding)",
                xnnpack_delegate=_output_diff(eng.out_xnn, eng.out_tflm))


def litert_entry(checks: dict[str, Any]) -> dict[str, Any] | None:
    """A card's LiteRT-vs-TFLM check in today's form. Cards written before the 1-LSB tolerance hold the strict
    ``litert_equals_tflm`` (windows, mismatches, identical): read as a tolerance of 0; None when absent."""
    if "litert_agrees_with_tflm" in checks:
        return checks["litert_agrees_with_tflm"]
    old = checks.get("litert_equals_tflm")
    if old is None:
        return None
    return {"windows": old["windows"], "windows_differing": old["mismatches"],
            "mismatch_windows": old.get("mismatch_windows", []), "max_abs_diff_lsb": None,
            "identical": old["identical"], "top1_agreement": None, "tolerance_lsb": 0,
            "within_tolerance": old["identical"], "xnnpack_delegate": old.get("xnnpack_delegate")}


def _lsb_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Largest |a − b| per window, in output LSB."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=1)


def _output_diff(out: np.ndarray, tflm: np.ndarray) -> dict[str, Any]:
    """How one runtime's int8 outputs differ from TFLM's, window by window."""
    d = _lsb_diff(out, tflm)
    differ = np.flatnonzero(d)
    return {"windows": int(len(d)), "windows_differing": int(differ.size), "mismatch_windows": differ[:50].tolist(),
            "max_abs_diff_lsb": int(d.max(initial=0)), "identical": bool(differ.size == 0),
            "top1_agreement": float(np.mean(out.argmax(1) == tflm.argmax(1))) if len(d) else 1.0}


def _add_qemu_figures(out: Path, card: ExportCard, *, enabled: bool) -> None:
    """``size.generated_c.qemu_cortex_m4`` (instructions per inference, plain and SMLAD), its check, and
    ``checks_passed``: every check's verdict in one place."""
    from imuforge.export.cgen.firmware import missing_tools

    g = card.size["generated_c"]
    missing = missing_tools()
    if not enabled:
        g["qemu_cortex_m4"] = "not measured: disabled (export_run(qemu=False))"
    elif missing:
        g["qemu_cortex_m4"] = f"not measured: toolchain or QEMU missing ({', '.join(missing)})"
    else:  # measured by the HIL room's protocol on its QEMU board: the one call from export up to hil
        from imuforge.hil.qemu import qemu_figures

        g["qemu_cortex_m4"] = qemu_figures(out, macs=g["macs"])
    q = g["qemu_cortex_m4"]
    c = card.checks
    c["generated_c_equals_tflm_qemu"] = (
        {"windows": q["windows"], "mismatches": q["mismatches"], "identical": q["mismatches"] == 0,
         "implementations": "generated C on the QEMU Cortex-M4 firmware (plain and SMLAD) vs host TFLM"}
        if isinstance(q, dict) else q)
    c["checks_passed"] = _verdicts(c)


def _verdicts(c: dict[str, Any]) -> dict[str, str]:
    """``pass`` / ``FAIL`` / ``not checked: why`` for each check of the card."""
    gc, gq = c["generated_c_equals_tflm"], c["generated_c_equals_tflm_qemu"]
    out = {"int8_drop_within_1_point": "pass" if c["int8_drop_within_1_point"] else "FAIL",
           "litert_agrees_with_tflm": _litert_verdict(litert_entry(c)),
           "ops_supported_by_tflm": "pass" if c["ops_supported_by_tflm"] else "FAIL"}
    if gc["compared"]:
        out["generated_c_equals_tflm"] = "pass" if gc["identical"] else "FAIL"
    else:
        out["generated_c_equals_tflm"] = "FAIL" if gc.get("build_failed") else f"not checked: {gc['reason']}"
    out["generated_c_equals_tflm_qemu"] = (("pass" if gq["identical"] else "FAIL") if isinstance(gq, dict)
                                           else gq.replace("not measured", "not checked", 1))
    return out


def _litert_verdict(le: dict[str, Any] | None) -> str:
    return "not checked: not in this card" if le is None else "pass" if le["within_tolerance"] else "FAIL"


def _litert_check_line(le: dict[str, Any] | None) -> str:
    """The card's LiteRT-vs-TFLM line: verdict, how many windows differ and by how much, and why they may."""
    if le is None:
        return "- LiteRT vs TFLM: not in this card"
    verdict = _litert_verdict(le)
    if le["identical"]:
        how = "identical on every window"
    elif le["max_abs_diff_lsb"] is None:  # a card from before the tolerance: only the count is known
        how = f"{le['windows_differing']} of {le['windows']} windows differ"
    else:
        why = (le["why_not_bit_exact"] if le["within_tolerance"] else
               f"more than the {_tolerance_text(le)} the runtimes' rounding explains")
        how = (f"{le['windows_differing']} of {le['windows']} windows differ by up to {le['max_abs_diff_lsb']} LSB, "
               f"top-1 agreement {le['top1_agreement']:.3f}: {why}")
    xnn = le.get("xnnpack_delegate")
    xnn_text = (f". With the XNNPACK delegate {xnn['windows_differing']} windows differ by up to "
                f"{xnn['max_abs_diff_lsb']} LSB" if xnn else "")
    return (f"- LiteRT output within {_tolerance_text(le)} of TFLM on every test window: **{verdict}** "
            f"({how}; LiteRT builtin kernels without XNNPACK{xnn_text})")


def _tolerance_text(le: dict[str, Any]) -> str:
    """How far the card lets LiteRT be from TFLM: flat, or carried through the softmax."""
    if le.get("softmax_input_scale") is None:
        return f"{le['tolerance_lsb']} LSB"
    return (f"{le['tolerance_lsb']} LSB of the logits carried through the softmax "
            f"(1 + 2·p·(1 − p)·s_z/s_p LSB per output, up to {le['max_bound_lsb']:g} here)")


def _list(values, fmt: str = "{}") -> str:
    """Values joined by commas, each through ``fmt``."""
    return ", ".join(fmt.format(v) for v in values) or "–"


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def _cgen_check_line(chk: dict[str, Any] | None) -> str:
    if not chk:
        return "- Generated C == TFLM: not checked (card written before generated C existed)"
    if not chk["compared"]:
        verdict = "FAIL: the host compiler rejected the generated C" if chk.get("build_failed") else "not checked"
        return f"- Generated C == TFLM: **{verdict}** ({chk['reason']})"
    return (f"- Generated C (host build) output == TFLM output, byte for byte: "
            f"**{'pass' if chk['identical'] else 'FAIL'}** ({chk['mismatches']} of "
            f"{chk['windows'] + chk['random_windows']} windows differ: {chk['windows']} test windows and "
            f"{chk['random_windows']} random int8 windows)")


def _qemu_check_line(chk: dict[str, Any] | str | None) -> str:
    if not isinstance(chk, dict):
        return f"- Generated C on the QEMU Cortex-M4 firmware == TFLM: {chk or 'not checked'}"
    return (f"- Generated C on the QEMU Cortex-M4 firmware (plain and SMLAD) == host TFLM, byte for byte: "
            f"**{'pass' if chk['identical'] else 'FAIL'}** ({chk['mismatches']} of {chk['windows']} windows differ)")


def _passed_line(verdicts: dict[str, str] | None) -> str:
    if not verdicts:
        return ""
    bad = [k for k, v in verdicts.items() if v == "FAIL"]
    skipped = [k for k, v in verdicts.items() if v.startswith("not checked")]
    head = "**all checks passed**" if not bad else f"**FAILED: {', '.join(bad)}**"
    return f"- Verdict: {head}" + (f" ({len(skipped)} not checked: {', '.join(skipped)})" if skipped else "")


def _cgen_size_lines(g: dict[str, Any] | None, tflm_arena: int, tflite_bytes: int) -> list[str]:
    if not g:
        return []
    lines = [f"- Generated C (`c/`), static arena: **{g['arena_bytes']} bytes** (peak of live tensors "
             f"{g['peak_live_bytes']}); with the caller's input ({g['input_bytes']}) and output "
             f"({g['output_bytes']}) buffers {g['ram_with_io_bytes']} bytes = "
             f"{100 * g['ram_with_io_bytes'] / max(tflm_arena, 1):.0f} % of the TFLM arena (stack not included)"]
    m4 = g["cortex_m4"]
    if isinstance(m4, dict):
        lines.append(f"- Generated C on Cortex-M4 (`{m4['compiler']} -mcpu=cortex-m4 -mthumb -Os`, `size`): "
                     f"flash **{m4['flash_bytes']} bytes** (code + weights; the .tflite is {tflite_bytes} bytes), "
                     f"RAM **{m4['ram_bytes']} bytes** (data + bss), stack at most "
                     f"{m4.get('stack_bound_bytes')} bytes (sum of all frames, `-fstack-usage`)")
    else:
        lines.append(f"- Generated C on Cortex-M4: {m4}")
    lines.append(_qemu_line(g.get("qemu_cortex_m4")))
    return lines


def _qemu_line(q: dict[str, Any] | str | None) -> str:
    if q is None:
        return "- Generated C in QEMU (Cortex-M4): not measured (card written before this figure existed)"
    if not isinstance(q, dict):
        return f"- Generated C in QEMU (Cortex-M4): {q}"
    p, d = q["plain"], q["dsp"]
    return (f"- Generated C in QEMU mps2-an386 (Cortex-M4, `-icount shift={q['icount_shift']}`): "
            f"**{p['instructions_per_inference']} instructions per inference** ({p['instructions_per_mac']} per MAC), "
            f"SMLAD path (`-DIFM_DSP`) {d['instructions_per_inference']} ({d['instructions_per_mac']} per MAC); "
            f"mean over {p['windows']} test windows each")


def _device_text(value) -> str:
    """A card's device field for people: one name, names joined (the data held several), or 'not recorded'."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "not recorded"
    return str(value) if value else "not recorded"


def card_markdown(card: dict[str, Any]) -> str:
    """The human-readable model card."""
    m, c, s, i = card["metrics"], card["checks"], card["size"], card["input"]
    lines = [
        f"# Model card: {card['model']['name']} ({card['model']['architecture']})",
        "",
        f"- Device profile: **{_device_text(card['device']['profile'])}**, placement: "
        f"**{_device_text(card['device']['placement'])}**",
        f"- Input: int8 [{i['window_length']} × {len(i['channels'])}] = {i['window_s']:g} s at {i['odr_hz']:g} Hz, "
        f"channels {', '.join(i['channels'])} (SI units); scale {i['scale']:.6g}, zero point {i['zero_point']}",
        f"- Normalisation: {i['normalisation']['carried_as']}",
        f"- Output: int8 softmax over {len(card['output']['labels'])} classes: {', '.join(card['output']['labels'])}",
        f"- Model sha256 `{card['model']['sha256']}`, created {card['created_utc']}",
        "",
        {"test": "## Metrics on held-out subjects",
         "trained people": "## Metrics on people the model was trained on (optimistic)"}.get(
            scored_on(card["data"]["test"]["source"] or "training run's validation"),
            "## Metrics on the run's validation data (used for early stopping: optimistic)"),
        "",
        f"Test data: {card['data']['test']['source']} — {card['data']['test']['windows']} windows.",
        *_caveat_items(card["data"]["test"]),
        "",
        "| | accuracy | macro-F1 |",
        "|---|---|---|",
        f"| float | {_pct(m['float']['accuracy'])} | {_pct(m['float']['macro_f1'])} |",
        f"| int8 (TFLM) | {_pct(m['int8']['accuracy'])} | {_pct(m['int8']['macro_f1'])} |",
        f"| drop (points) | {m['int8_drop_points']['accuracy']:.2f} | {m['int8_drop_points']['macro_f1']:.2f} |",
        "",
        "| class | support | int8 precision | int8 recall | int8 F1 |",
        "|---|---|---|---|---|",
    ]
    lines += _class_rows(m["int8"], card["output"]["labels"])
    lt = card["latency_host"]
    lines += [
        "",
        "## Checks",
        "",
        f"- int8 drop ≤ 1 point: **{'pass' if c['int8_drop_within_1_point'] else 'FAIL'}**",
        _litert_check_line(litert_entry(c)),
        f"- All ops in TFLM: **pass** ({', '.join(card['model']['ops'])})",
        _cgen_check_line(c.get("generated_c_equals_tflm")),
        _qemu_check_line(c.get("generated_c_equals_tflm_qemu")),
        _passed_line(c.get("checks_passed")),
        *(["", "## Warnings", "", *(f"- {w}" for w in card["warnings"])] if card.get("warnings") else []),
        "",
        "## Size and speed",
        "",
        f"- Flash (model flatbuffer): **{s['flash_model_bytes']} bytes** ({s['flash_model_bytes'] / 1024:.1f} KiB), "
        f"{s['parameters']} parameters",
        f"- Tensor arena (TFLM, measured): **{s['arena_bytes_tflm']} bytes** ({s['arena_bytes_tflm'] / 1024:.1f} KiB): "
        f"{s['arena_note']}",
        *_cgen_size_lines(s.get("generated_c"), s["arena_bytes_tflm"], s["flash_model_bytes"]),
        f"- Host latency, one window: TFLM reference kernels {lt['tflm_reference_kernels']['median_us']:.0f} µs median, "
        f"LiteRT {lt['litert']['median_us']:.0f} µs, LiteRT+XNNPACK {lt['litert_xnnpack']['median_us']:.0f} µs "
        f"median ({lt['note']})",
        "",
        "## Training data",
        "",
    ]
    for d in card["data"]["training"]:
        lines.append(f"- `{d['path']}` ({d.get('role', 'data')}): {d['recordings']} recordings, "
                     f"{d['duration_s']:.0f} s, rates {format_rates(d['rates_hz'], 'rates')}, "
                     f"profiles {_list(d['profiles'])}, placements {_list(d['placements'])}, "
                     f"{len(d['subjects'])} subjects")
    w = card["data"]["windows"]
    if w:
        lines.append("")
        lines.append("| class | train windows | validation windows |")
        lines.append("|---|---|---|")
        for lab in w.get("train", {}):
            lines.append(f"| {lab} | {w['train'][lab]} | {w.get('validation', {}).get(lab, 0)} |")
    lines += ["", "Tools: " + ", ".join(f"{k} {v}" for k, v in card["tools"].items()), ""]
    return "\n".join(lines)
