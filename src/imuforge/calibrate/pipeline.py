"""The calibration pipeline behind ``imuforge calibrate``.

Steps, each optional and recorded in the report:

0. **channels**: a gyroscope that no capture holds is dropped from the synthetic data (an
   accelerometer-only device or data set);
1. **fit the device** (``fit_profile``): timing, noise, bias and scale from the still parts of
   the capture → a fitted profile TOML; the synthetic data get the fitted device's per-axis
   bias, scale and gyro g-sensitivity in place of their own (:func:`fit.apply_fitted_terms`) and
   the noise they lack (white noise of density √(D_real² − D_synthetic²)) when the capture is
   noisier than their profile;
2. **gravity**: a capture of linear acceleration (gravity removed on the device) makes the
   synthetic data lose their gravity too (``gravity="auto"``);
3. **rate**: synthetic data are resampled to the capture's measured rate;
4. **align** the placement: rotate synthetic vectors into the real sensor frame;
5. **map** distributions per channel (``none``, ``global``, ``per-class``), only for the classes
   the capture shows (other classes pass through unchanged);
6. **range**: when the capture saturates (samples piled up at one extreme, :mod:`.saturation`), the
   synthetic data of every class are clipped to that full scale (``match_range``).

Fidelity (distances, PSDs, two-sample test) is measured before (uncalibrated) and after, on
the classes both the synthetic data and a labelled capture hold, with the synthetic people as the
typical wearer wears the device when they were simulated with wear variation (each person's own turn
undone; not after ``align_mode="each"``).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imuforge._folders import check_replaceable, replace_entries
from imuforge.bridge.protocol import EMULATOR_FIRMWARE
from imuforge.calibrate.align import (ALIGN_MODES, Alignment, EachAlignment, apply_alignment,
                                      as_typical_wearer, estimate_alignment, fit_alignment, person_turn)
from imuforge.calibrate.fidelity import capture_rate, fidelity, rate_groups, resample_recording
from imuforge.calibrate.fit import DeviceFit, apply_fitted_terms, fit_device, fitted_profile, write_fitted_profile
from imuforge.calibrate.gravity import has_gravity, remove_gravity
from imuforge.calibrate.mapping import DEFAULT_SOURCE, DEFAULT_STRENGTH, MapSettings, QuantileMap
from imuforge.calibrate.result import (CLASSIFIERS, AlignStep, CalibrationReport, ChannelStep, ClassScope,
                                       Fidelity, FidelityScope, Finding, FitStep, FitSummary, GravityCheck,
                                       GravityStep, HeldOutFidelity, MapStep, RangeStep, RealismCheck,
                                       RealismRow, ResampleStep, SkippedStep)
from imuforge.calibrate.saturation import GROUPS as SATURATION_UNITS
from imuforge.calibrate.saturation import capture_full_scales, clip_to_full_scale
from imuforge.datasets.loading import check_finished_corpus, split_paths, stray_csv
from imuforge.errors import (CalibrationWarning, NotARecordingError, OutputExistsError, ValidationError,
                             check_seed)
from imuforge.labels import CANONICAL_LABELS, describe_owners, one_slip, one_wearer_per_class
from imuforge.progress import progress
from imuforge.recording import (RECORDING_SUFFIX, Dataset, Recording, check_si_units, check_timing,
                                find_datasets, moving_floor, read_recording)
from imuforge.sensors.placement import sites_apart
from imuforge.sensors.profiles import load_profile
from imuforge.sensors.simulate import is_simulated
from imuforge.units import GROUP_OF_SENSOR, STANDARD_GRAVITY

GRAVITY_MODES = ("auto", "keep", "remove")
#: what a calibrate output holds (calibrate writes into, and --overwrite replaces, nothing else)
#: the entries a calibrate output holds (``*.toml``: the fitted device, and the chips of one's own it found
#: beside its base device, copied beside it: ``fit._copy_own_chips``)
CALIBRATE_FILES = ("dataset", "report.json", "report.md", "report.html", "plots", "*.toml", "fit.json",
                   "alignment.json", "mapping.json")

#: A gravity direction still this far apart (degrees) after alignment is worth a warning.
GRAVITY_RESIDUAL_DEG = 15.0
#: Two alignments fitted on the two halves of the capture further apart than this (degrees) make
#: the estimate "unstable": the capture does not pin the rotation down (same wearer, same watch —
#: halves should agree within a few degrees; different wearers differ by up to ~15°, docs/CALIBRATION.md).
ALIGN_UNSTABLE_DEG = 15.0

#: A capture whose two activities' mean specific forces lie further apart — or closer together — than
#: every synthetic person's by more than this (degrees) is worth a warning (:func:`posture_findings`).
POSTURE_MARGIN_DEG = 10.0
#: ... and the synthetic people's range is taken from this many people or more.
POSTURE_MIN_PEOPLE = 3

#: A fidelity figure is "worse after calibration" when it grows by more than its margin:
#: W₁ by 10 % (relative, and by more than 1e-3 in its unit), KS by 0.02, the log-spectral distance
#: by 1 dB, a two-sample AUC by 0.02 further from 0.5.
WORSE_MARGINS = {"wasserstein_rel": 0.10, "wasserstein_abs": 1e-3, "ks": 0.02, "lsd_db": 1.0, "auc": 0.02}


@dataclass
class CalibrationResult:
    """What :func:`calibrate` produced (paths are inside ``out``)."""

    out: Path
    dataset: Path
    report: CalibrationReport
    fit: DeviceFit | None = None
    alignment: Alignment | EachAlignment | None = None
    mapping: QuantileMap | None = None
    recordings: list[Recording] = field(default_factory=list, repr=False)
    findings: list[Finding] = field(default_factory=list)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "warning"]


def measure_fidelity(synthetic, real, *, seed: int = 0) -> Fidelity:
    """:func:`~imuforge.calibrate.fidelity.fidelity` as the typed figures the report holds."""
    return Fidelity.from_json(fidelity(synthetic, real, seed=seed))


def load_recordings(paths: str | os.PathLike | Sequence[str | os.PathLike], *,
                    what: str = "real") -> list[tuple[str, Recording]]:
    """Recordings from Dataset folders and plain folders of recordings (both searched recursively)
    and/or recording files (``.imu.parquet`` / ``.csv``), with names."""
    out: list[tuple[str, Recording]] = []
    taken: set[tuple] = set()  # each recording once, however the paths repeat or overlap ("a,a", "a a/b.csv")

    def new(*key) -> bool:
        if key in taken:
            return False
        taken.add(key)
        return True

    for p in split_paths(paths):
        if p.is_dir():
            check_finished_corpus(p)
            datasets = list(find_datasets(p)) if any(p.rglob(Dataset.MANIFEST)) else []
            for ds in datasets:
                keep = [new((ds.path / e["file"]).resolve(), *([e["row_group"]] if "row_group" in e else []))
                        for e in ds.entries]
                if not any(keep):
                    continue
                for e, rec in zip(ds.entries, ds.recordings()):
                    if not keep.pop(0):
                        continue
                    rec.provenance.setdefault("file", str(ds.path / e["file"]))
                    # a sharded corpus names each recording inside its shard file
                    out.append((e.get("name") or e["file"].removesuffix(RECORDING_SUFFIX), rec))
            # loose recording files (a plain folder of captures), outside any Dataset folder
            inside = [ds.path.resolve() for ds in datasets]
            loose = sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith((RECORDING_SUFFIX, ".csv"))
                           and not any(d in f.resolve().parents for d in inside))
            for f in (f for f in loose if new(f.resolve())):
                try:
                    rec = read_recording(f)
                except NotARecordingError as exc:  # a .csv found below the folder, not named by the user
                    if not f.name.endswith(".csv"):
                        raise
                    raise stray_csv(exc, p) from None
                rec.provenance.setdefault("file", str(f))
                out.append((f.name.removesuffix(RECORDING_SUFFIX).removesuffix(".csv"), rec))
        elif p.exists():
            if not new(p.resolve()):
                continue
            rec = read_recording(p)
            rec.provenance.setdefault("file", str(p))
            out.append((p.name.removesuffix(RECORDING_SUFFIX).removesuffix(".csv"), rec))
        else:
            raise ValidationError(f"no such {what} file or folder: {p}",
                                  allowed="a Dataset folder, a folder of recordings, or .imu.parquet / .csv files")
    if not out:
        raise ValidationError(f"no {what} recordings found in {', '.join(map(str, paths))}",
                              allowed="a Dataset folder, a folder of recordings, or .imu.parquet / .csv files")
    seen: dict[str, int] = {}
    unique = []
    for name, rec in out:  # names from several folders may repeat
        k = seen.get(name, 0)
        seen[name] = k + 1
        unique.append((name if k == 0 else f"{name}-{k}", rec))
    return unique


def _check_not_swapped(syn_named: list[tuple[str, Recording]],
                       real_named: list[tuple[str, Recording]]) -> None:
    """Refuse ``--synthetic`` and ``--real`` given the other way round: no synthetic recording was simulated
    and every real one was (a capture or an imported data set calibrated towards simulated people)."""
    if not any(is_simulated(r) for _, r in syn_named) and all(is_simulated(r) for _, r in real_named):
        raise ValidationError("--synthetic holds no simulated recording and every --real recording was "
                              "simulated: are the two swapped?",
                              allowed="--synthetic: what imuforge motion / generate wrote; --real: a capture "
                                      "or an imported data set")


def _check_apart(synthetic, real) -> None:
    """Refuse a path given to both ``--synthetic`` and ``--real``, or one inside the other: calibration would
    compare recordings with themselves (or some of them)."""
    syn, rea = ([Path(p).resolve() for p in split_paths(x) if Path(p).exists()] for x in (synthetic, real))
    for a in syn:
        for b in rea:
            if a == b or a in b.parents or b in a.parents:
                raise ValidationError(f"--synthetic {a} and --real {b} hold the same recordings"
                                      + ("" if a == b else " (one folder is inside the other)"),
                                      allowed="the simulated people for --synthetic, the capture for --real")


def _check_out_apart(out: Path, synthetic, real) -> None:
    """Refuse an ``out`` inside a ``--synthetic`` or ``--real`` folder: the next calibration of that folder
    would read the calibrated data as its own recordings (``dataset select`` refuses the same). (An ``out``
    holding one is refused before, as a folder of other files than a calibrate output.)"""
    where = out.resolve()
    for option, given in (("--synthetic", synthetic), ("--real", real)):
        for p in split_paths(given):
            p = Path(p).resolve()
            if p.is_dir() and (where == p or p in where.parents):
                raise ValidationError(f"--out {out} is inside {option} {p}",
                                      allowed=f"an --out folder apart from the {option} recordings (the next "
                                      "calibration of that folder would read the calibrated data as its own)")


def rate_findings(reals: Sequence[Recording], resampled_to: float | None) -> list[Finding]:
    """A warning when the capture's recordings come at several rates: a capture is one device's.
    ``resampled_to``: the rate the synthetic data were resampled to (None: they kept theirs)."""
    groups = rate_groups(reals)
    if len(groups) < 2:
        return []
    rates = ", ".join(f"{hz:.4g} Hz ({n} recording{'s' if n != 1 else ''}, {sec:.0f} s)"
                      for hz, sec, n in groups)
    did = (f"the synthetic data were resampled to {resampled_to:.4g} Hz, the rate of most of the capture"
           if resampled_to is not None else "the synthetic data kept their rate")
    return [Finding("warning", "device", f"the capture's recordings come at several rates: {rates}; {did}. "
                    "A capture is one device's: calibrate each device's captures on their own (imuforge "
                    "dataset select keeps one device's)")]


def role_findings(synthetic: Sequence[Recording], reals: Sequence[Recording]) -> list[Finding]:
    """Warnings when a side does not hold what its name says: no ``--synthetic`` recording was simulated
    (captures or imported files calibrated towards another capture), or every ``--real`` one was (simulated
    people standing in for the capture). Both at once is refused before any work
    (:func:`_check_not_swapped`)."""
    out = []
    if not any(is_simulated(r) for r in synthetic):
        out.append(Finding("warning", "classes", f"none of the {len(synthetic)} --synthetic recordings was "
                           "simulated (captures or imported files): calibration maps them as if they were "
                           "simulated people; the simulated ones are what imuforge motion --profile writes"))
    if all(is_simulated(r) for r in reals):
        out.append(Finding("warning", "classes", f"all {len(reals)} --real recordings were simulated: the "
                           "calibration fits the synthetic people to other synthetic people, not to a "
                           "device; --real takes a capture (imuforge capture) or an imported data set"))
    return out


def capture_sources(reals: Sequence[Recording]) -> dict[str, int]:
    """What recorded each capture recording, from its provenance → how many: imuforge's emulated wearable,
    a device (by board, as its INFO reply named it), a simulation, or files that name no device (imported)."""
    out: dict[str, int] = {}
    for rec in reals:
        prov = rec.provenance or {}
        device = prov.get("device") if isinstance(prov.get("device"), dict) else {}  # a capture's INFO reply
        firmware, board = str(device.get("firmware") or ""), str(device.get("board") or "")
        if firmware.startswith(EMULATOR_FIRMWARE):
            kind = "emulated wearable (imuforge emulate)"
        elif firmware or board:
            kind = f"device {board or firmware}"
        elif is_simulated(rec):
            kind = "simulated"
        else:
            kind = "files naming no device"
        out[kind] = out.get(kind, 0) + 1
    return out


def _keeps_wear(align: bool, align_mode: str) -> bool:
    """Whether the maps keep each synthetic person's wear: not after ``each`` alignment, which turned every
    recording into the capture's frame on purpose."""
    return not (align and align_mode == "each")


def _heldout_fidelity(synthetic: list[Recording], reals: list[Recording], align: bool, mapping: MapSettings,
                      seed: int, classes: Sequence[str] | None = None,
                      align_mode: str = "pooled", match_range: bool = True, floor=None) -> HeldOutFidelity:
    """Fit alignment / mapping (and find the range) on the first half (in time) of each real recording, score
    on the second.

    ``before`` is the uncalibrated synthetic data scored on the same second halves,
    so the held-out comparison is like with like.
    """
    first, second = [], []
    for r in reals:
        mid = r.timestamps[0] + 0.5 * (r.timestamps[-1] - r.timestamps[0])
        a, b = r.crop(None, mid), r.crop(mid, None)
        if len(a) >= 16 and len(b) >= 16:
            first.append(a)
            second.append(b)
    if not first:
        return HeldOutFidelity(skipped="real recordings too short to split in halves")
    cur = synthetic
    try:
        if align:
            cur = apply_alignment(fit_alignment(cur, first, align_mode), cur)
        if mapping.on:
            qm = mapping.fit(cur, first, keep_wear=_keeps_wear(align, align_mode))
            cur = mapped(qm, cur, floor, seed)
        if match_range:
            cur = clip_to_full_scale(cur, capture_full_scales(first))[0]
    except ValidationError as exc:  # e.g. a class present in only one half
        return HeldOutFidelity(skipped=f"could not fit on the first halves: {exc}")
    raw, cur = restrict_to_classes(synthetic, classes), restrict_to_classes(cur, classes)
    if _keeps_wear(align, align_mode):  # as the typical wearer wears it (FidelityScope.typical_wear)
        raw, cur = as_typical_wearer(raw), as_typical_wearer(cur)
    second = restrict_to_classes(second, classes)
    if not cur or not second:
        return HeldOutFidelity(skipped="no stretch of a shared class is long enough in the second halves")
    return HeldOutFidelity(after=measure_fidelity(cur, second, seed=seed),
                           before=measure_fidelity(raw, second, seed=seed))


def _synthetic_profile(recs: list[Recording]):
    """The one device profile the synthetic recordings were made with, at the ODR and ranges they were made
    at (their provenance's ``device_config``: an ``--odr`` override's filter and noise bandwidth are not the
    profile file's), or (None, why not)."""
    names = sorted({str(r.profile) for r in recs})
    if len(names) > 1:
        return None, (f"synthetic recordings come from several profiles ({', '.join(names)}); calibrate one "
                      "device's data at a time")
    prof_name = recs[0].profile if recs else None
    made = (recs[0].provenance.get("device_config") or {}) if recs else {}
    acc, gyro = made.get("accel") or {}, made.get("gyro") or {}
    config = {"odr_hz": acc.get("odr_hz"), "range_g": acc.get("range_g"), "range_dps": gyro.get("range_dps")}
    try:
        prof = load_profile(prof_name, **config) if prof_name else None
    except ValidationError:  # another version of the profile: as it is now
        try:
            prof = load_profile(prof_name)
        except ValidationError:
            prof = None
    return (prof, None) if prof is not None else (None, f"synthetic profile {prof_name!r} not loadable: its "
                                                        "noise is unknown")


def device_noise_floor(recs: list[Recording], fit: DeviceFit | None):
    """The synthetic device's white-noise sd per channel group at a recording's rate, as a function
    ``floor(group, rate_hz)`` (None for a group it does not know), and None; or (None, why it is not known).
    The density is the fitted device's where the fit is used (see
    :func:`~imuforge.calibrate.fit.flag_worn_noise`), else the profile's; its variance over the filter's ENBW
    plus the quantisation's LSB²/12 is white to the device's Nyquist frequency, as the simulator adds it
    (and :func:`_noise_topup`), so data resampled to a lower rate (the capture's) keep their share of it."""
    from imuforge.sensors.profiles import noise_bandwidth_hz

    prof, why = _synthetic_profile(recs)
    if prof is None:
        return None, why
    known: dict[str, tuple[float, float, float, float]] = {}
    for kind in ("accel", "gyro"):
        s = prof.sensors.get(kind)
        if s is None or not s.noise_density_si > 0:
            continue
        nf = _fitted_noise(fit, kind)
        density = nf.density_mean if nf is not None else s.noise_density_si
        enbw = noise_bandwidth_hz(s.bandwidth_hz, s.filter_order, s.odr_hz)
        known[GROUP_OF_SENSOR[kind]] = (density, enbw, s.lsb_si, s.odr_hz)

    def floor(group: str, rate_hz: float) -> float | None:
        if group not in known:
            return None
        d, enbw, lsb, odr = known[group]
        return math.sqrt((d * d * enbw + lsb * lsb / 12.0) * min(1.0, rate_hz / odr))

    return floor, None


def _fitted_noise(fit: DeviceFit | None, kind: str):
    """The fit's noise of sensor ``kind`` where it is used (and read with gravity in: an accelerometer whose
    gravity the device removed is not fitted), else None."""
    nf = getattr(fit, f"{kind}_noise", None) if fit is not None else None
    if nf is None or not nf.used or (kind == "accel" and fit.gravity_removed):
        return None
    return nf


def _restored(squeezed: dict[str, dict[str, float]], floor) -> dict[str, dict[str, float]]:
    """The map step's record of the channels whose squeezed noise was put back: those of a group whose floor
    is known (not the magnetometer's)."""
    if floor is None:
        return {}
    out = {key: {ch: a for ch, a in slopes.items() if floor(ch.rsplit("_", 1)[0], 100.0) is not None}
           for key, slopes in squeezed.items()}
    return {key: slopes for key, slopes in out.items() if slopes}


def mapped(qm, recs, floor, seed: int) -> list[Recording]:
    """``recs`` through the quantile map ``qm``, the sensor noise a still class's map squeezed out put back
    where the device's ``floor`` is known (:meth:`~imuforge.calibrate.mapping.QuantileMap.apply`)."""
    from imuforge.sensors.hardware import term_rng

    return [qm.apply(r, floor, lambda g, i=i: term_rng(seed, "map-floor", f"{i}/{g}"))
            for i, r in enumerate(recs)]


def _noise_topup(recs: list[Recording], fit: DeviceFit, seed: int) -> tuple[list[Recording], dict[str, Any]]:
    """Add the white noise the synthetic profile lacks compared with the fitted device."""
    from imuforge.sensors.hardware import term_rng
    from imuforge.sensors.profiles import noise_bandwidth_hz

    info: dict[str, Any] = {}
    prof, why = _synthetic_profile(recs)
    if prof is None:
        return recs, {"skipped": why}
    add: dict[str, float] = {}
    for kind in ("accel", "gyro"):
        s, nf = prof.sensors.get(kind), _fitted_noise(fit, kind)
        if nf is None or s is None:
            continue
        d_add2 = nf.density_mean ** 2 - s.noise_density_si ** 2
        info[kind] = {"real_density": nf.density_mean, "synthetic_density": s.noise_density_si,
                      "added_density": math.sqrt(max(d_add2, 0.0))}
        if d_add2 > 0:
            add[GROUP_OF_SENSOR[kind]] = math.sqrt(d_add2) * math.sqrt(
                noise_bandwidth_hz(s.bandwidth_hz, s.filter_order, s.odr_hz))
    if not add:
        return recs, info
    out = []
    for i, r in enumerate(recs):
        data = np.array(r.data)
        for g, sd in add.items():
            idx = [r.channels.index(f"{g}_{a}") for a in "xyz" if f"{g}_{a}" in r.channels]
            data[:, idx] += term_rng(seed, "calibrate-noise", f"{i}/{g}").standard_normal((len(r), len(idx))) * sd
        out.append(r.replace(data=data))
    info["added_sd"] = add
    return out, info


def class_scope(synthetic: Sequence[Recording], real: Sequence[Recording]) -> ClassScope:
    """Which classes fidelity, alignment and mapping can use: those both sides hold
    (``shared`` is None when the capture is unlabelled)."""
    syn_c = sorted({seg.label for r in synthetic for seg in r.labels})
    real_c = sorted({seg.label for r in real for seg in r.labels})
    shared = sorted(set(syn_c) & set(real_c)) if real_c else None
    return ClassScope(labelled_capture=bool(real_c), synthetic=syn_c, real=real_c, shared=shared,
                      unmatched_synthetic=[c for c in syn_c if shared is not None and c not in shared])


def restrict_to_classes(recs: Sequence[Recording], classes: Sequence[str] | None,
                        min_samples: int = 16) -> list[Recording]:
    """The labelled stretches of ``recs`` whose class is in ``classes`` (all of ``recs`` if None).

    Each label segment becomes its own Recording (segments shorter than ``min_samples`` are left out).
    """
    if classes is None:
        return list(recs)
    keep = set(classes)
    out = []
    for r in recs:
        for seg in r.labels:  # loop over label segments
            if seg.label in keep:
                part = r.crop(seg.start_s, seg.end_s)
                if len(part) >= min_samples:
                    out.append(part)
    return out


def calibrate(synthetic: str | os.PathLike | Sequence[str | os.PathLike],
              real: str | os.PathLike | Sequence[str | os.PathLike], out: str | os.PathLike, *,
              fit_profile: bool = False, align: bool = False, map_mode: str = "none", profile: str | None = None,
              gravity: str = "auto", match_rate: bool = True, seed: int = 0, overwrite: bool = False,
              plots: bool = True, align_mode: str = "pooled",
              map_source: str = DEFAULT_SOURCE, map_strength: str = DEFAULT_STRENGTH,
              match_range: bool = True) -> CalibrationResult:
    """Calibrate the synthetic Dataset(s) against real captures and write ``out`` (see module docstring).

    ``out`` gets ``dataset/`` (the calibrated Dataset, for ``imuforge train --data``),
    ``report.json``, ``report.md``, ``report.html``, ``plots/*.png`` and, as requested,
    ``<profile>-fitted.toml`` + ``fit.json``, ``alignment.json``, ``mapping.json``.

    Everything is written into a staging folder next to ``out`` and moved into ``out`` only when
    calibration succeeded, so a failed run leaves no partial fit, profile or dataset behind.

    Class coverage: with a labelled capture, alignment, mapping and the fidelity figures use only
    the classes both sides hold; synthetic classes the capture lacks are rotated by the alignment
    (a property of the device on the body, not of the activity) but not mapped, and the report
    says so. An unlabelled capture against multi-class synthetic data is refused for ``--align`` and
    ``--map`` (see :mod:`imuforge.calibrate.mapping`).

    ``align_mode`` (:data:`~imuforge.calibrate.align.ALIGN_MODES`): ``pooled`` (default) fits one
    rotation for all synthetic data, keeping each synthetic person's own way of wearing the device
    around it; ``each`` fits one per synthetic recording (see :func:`~imuforge.calibrate.align.fit_alignment`).

    ``map_source`` (:data:`~imuforge.calibrate.mapping.SOURCES`): ``people`` (default,
    :data:`~imuforge.calibrate.mapping.DEFAULT_SOURCE`) maps the typical synthetic person onto the capture
    and keeps each person's offset from it; ``pooled`` maps the pooled synthetic samples (see
    :func:`~imuforge.calibrate.mapping._source_quantiles`).

    ``map_strength`` (:data:`~imuforge.calibrate.mapping.STRENGTHS`): ``evidence`` (default) applies, per
    class and channel, only the share of a map that the capture's distance from the typical synthetic person
    beyond one synthetic person's supports (:func:`~imuforge.calibrate.mapping.evidence_strength`); ``full``
    applies every map in full.

    ``match_range``: clip the synthetic data to the full scale the capture saturates at, if it does
    (:mod:`~imuforge.calibrate.saturation`); a capture that never reaches its range changes nothing.
    """
    import shutil
    import tempfile

    synthetic, real = split_paths(synthetic), split_paths(real)  # one folder, or several
    if profile is not None:  # a typo fails here, not as an undecided fit after the work
        load_profile(profile)
    mapping = MapSettings(map_mode, map_source, map_strength)
    if gravity not in GRAVITY_MODES:
        raise ValidationError(f"unknown gravity mode {gravity!r}", allowed=", ".join(GRAVITY_MODES))
    if align_mode not in ALIGN_MODES:
        raise ValidationError(f"unknown alignment mode {align_mode!r}", allowed=", ".join(ALIGN_MODES))
    check_seed(seed, "seed")  # a negative one was NumPy's "expected non-negative integer"
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out} is a file, not a folder",
                              allowed="a new folder, or an existing calibrate output folder")
    check_replaceable(out, "--out", what="calibrate output", marker=("report.json",), own=CALIBRATE_FILES)
    ds_path = out / "dataset"
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(f"{out} holds an earlier calibrate output; choose another --out "
                              "or pass --overwrite")
    _check_apart(synthetic, real)  # by their paths, before anything is read
    _check_out_apart(out, synthetic, real)
    syn_named = load_recordings(synthetic, what="synthetic")
    real_named = load_recordings(real, what="real")
    _check_not_swapped(syn_named, real_named)
    # a capture in g or deg/s, before anything is calibrated to it (one naming no placement is judged as
    # worn where the synthetic people wear the device, when they all wear it on a limb or all on the trunk)
    worn = sorted({str(r.placement) for _, r in syn_named})
    check_si_units([r for _, r in real_named], names=[n for n, _ in real_named],
                   placement=worn[0] if len({moving_floor(p) for p in worn}) == 1 else None)
    for name, r in real_named:  # a time in ms: the synthetic data would be resampled to 0.05 Hz
        check_timing(r, f"the real capture {name}")
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent if out.parent.is_dir() else None))
    try:
        result = _calibrate_into(stage, out, synthetic, real, syn_named, real_named, fit_profile=fit_profile,
                                 align=align, mapping=mapping, profile=profile, gravity=gravity,
                                 match_rate=match_rate, seed=seed, plots=plots, align_mode=align_mode,
                                 match_range=match_range)
        out.mkdir(parents=True, exist_ok=True)
        replace_entries(out, stage)  # success: this run's outputs in place of an earlier run's (all of them)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    result.out, result.dataset = out, ds_path
    for f in result.findings:  # a script sees them as the command line does (they were in findings only)
        if f.kind == "warning":
            warnings.warn(f"calibrate ({f.topic}): {f.text}", CalibrationWarning, stacklevel=2)
    return result


#: the stages of :func:`_calibrate_into`, in order (a progress bar's steps; fit profile, align, map and range
#: as asked)
CALIBRATE_STAGES = ("channels", "fit profile", "gravity", "rate", "align", "map", "range", "fidelity",
                    "realism", "findings", "dataset", "report")


def _calibrate_into(stage: Path, out: Path, synthetic, real, syn_named, real_named, *, fit_profile: bool,
                    align: bool, mapping: MapSettings, profile: str | None, gravity: str, match_rate: bool,
                    seed: int, plots: bool, align_mode: str = "pooled",
                    match_range: bool = True) -> CalibrationResult:
    """The steps of :func:`calibrate`, writing into ``stage`` (paths in the report name ``out``)."""
    syn = [r for _, r in syn_named]
    reals = [r for _, r in real_named]
    scope, report = _scope_and_notes(synthetic, real, syn, reals, fit_profile=fit_profile, align=align,
                                     mapping=mapping)
    result = CalibrationResult(out=stage, dataset=stage / "dataset", report=report)
    asked = {"fit profile": fit_profile, "align": align, "map": mapping.on, "range": match_range}
    stages = [n for n in CALIBRATE_STAGES if asked.get(n, True)]
    with progress(total=len(stages), desc="calibrate", unit="step") as bar:  # closed on a failure too

        def step(name: str) -> None:  # the stage about to run: the one before it has ended
            if name != stages[0]:
                bar.update(1)
            bar.set_postfix_str(name, refresh=False)

        step("channels")
        cur = _channel_step(report, syn, reals)  # 0. the channels the capture holds
        if asked["fit profile"]:  # 1. device fit
            step("fit profile")
            cur = _device_fit_step(result, stage, out, cur, reals, real_named, profile, seed)
        step("gravity")
        cur = _gravity_step(report, cur, reals, gravity)  # 2. gravity
        step("rate")
        cur = _rate_step(report, cur, reals, match_rate)  # 3. rate
        pre_align = cur
        if asked["align"]:  # 4. alignment
            step("align")
            cur = _align_step(result, stage, cur, reals, align_mode)
        floor, unknown = device_noise_floor(cur, result.fit)  # the device's noise, which a still map squeezes
        if asked["map"]:  # 5. mapping
            step("map")
            cur = _map_step(result, stage, cur, reals, mapping, keep_wear=_keeps_wear(align, align_mode),
                            floor=floor, unknown=unknown, seed=seed)
        if asked["range"]:  # 6. the capture's output range
            step("range")
            cur = _range_step(report, cur, reals)
        step("fidelity")
        _fidelity_step(report, scope, syn, cur, pre_align, reals, align=align, mapping=mapping, seed=seed,
                       align_mode=align_mode, match_range=match_range, floor=floor)
        step("realism")
        report.realism = realism_check(scope, pre_align, cur, reals)
        result.recordings = cur
        step("findings")
        result.findings = findings(report, result, pre_align, reals, seed)
        report.findings = list(result.findings)
        step("dataset")
        _write_dataset(stage, out, report, scope, syn_named, cur)
        from imuforge.calibrate.report import write_report

        step("report")
        shared = scope.shared
        write_report(result, synthetic=restrict_to_classes(syn, shared),
                     calibrated=restrict_to_classes(cur, shared), real=restrict_to_classes(reals, shared),
                     plots=plots)
        bar.update(1)
    return result


def _scope_and_notes(synthetic, real, syn: list[Recording], reals: list[Recording], *, fit_profile: bool,
                     align: bool, mapping: MapSettings) -> tuple[ClassScope, CalibrationReport]:
    """The classes both sides hold, and the report's head: its inputs, the capture's extent and the coverage note.

    Refuses alignment / mapping when a labelled capture shares no class with the synthetic data.
    """
    scope = class_scope(syn, reals)
    report = CalibrationReport(synthetic=[str(p) for p in synthetic], real=[str(p) for p in real],
                               synthetic_recordings=len(syn), real_recordings=len(reals),
                               real_seconds=float(sum(r.duration_s for r in reals)), real_labels_s=_labels_s(reals),
                               classes=scope, real_sources=capture_sources(reals))
    if scope.labelled_capture and not scope.shared and (align or mapping.on):
        raise ValidationError(f"the capture shows none of the synthetic classes (synthetic: "
                              f"{', '.join(scope.synthetic) or 'unlabelled'}; real: {', '.join(scope.real)})",
                              allowed="a capture of at least one synthetic class")
    unmatched = scope.unmatched_synthetic
    if unmatched:
        report.notes.append(
            "the capture covers only " + ", ".join(scope.shared or []) + "; synthetic "
            + ", ".join(unmatched) + (" were" if len(unmatched) > 1 else " was")
            + " not distribution-mapped (passed through unchanged" + (
                ", except for the device fit and alignment rotation, which describe the device, not the activity"
                if (align or fit_profile) else "") + ") and " + ("are" if len(unmatched) > 1 else "is")
            + " not in the fidelity figures; capture them too to calibrate them")
    return scope, report


def _device_fit_step(result: CalibrationResult, stage: Path, out: Path, cur: list[Recording], reals: list[Recording],
                     real_named, profile: str | None, seed: int) -> list[Recording]:
    """Fit the capture's device; give the synthetic data its per-axis terms (with a base profile) and its noise."""
    report = result.report
    made_for = sorted({r.profile for r in cur if r.profile})
    base_from_synthetic = None
    if profile is None and not any(r.profile for r in reals) and len(made_for) == 1:
        profile = base_from_synthetic = made_for[0]  # the capture names no device: the synthetic data's
    try:
        fit = fit_device(reals, profile, names=[n for n, _ in real_named])
    except ValidationError as exc:
        if base_from_synthetic is None:
            report.steps.append(SkippedStep("fit_profile", str(exc)))
            return cur
        try:  # the synthetic data's device does not fit this capture (another rate, a profile not installed)
            fit = fit_device(reals, None, names=[n for n, _ in real_named])
        except ValidationError as again:
            report.steps.append(SkippedStep("fit_profile", str(again)))
            return cur
        fit.notes.append(f"the synthetic data's device {base_from_synthetic} was not taken as the base: "
                         f"{exc.what}")
        profile = base_from_synthetic = None
    result.fit = fit
    (stage / "fit.json").write_text(json.dumps(fit.to_dict(), indent=1, default=float))
    step = FitStep(summary=FitSummary.from_json(fit.summary()), notes=fit.notes,
                   base_from_synthetic=base_from_synthetic)
    prof = profile or (fit.profile if fit.profile else None)
    if prof:
        toml_path = write_fitted_profile(fit, prof, stage)  # for the user: the same document as the value below
        step.profile_toml = str(out / toml_path.name)
        # this device's per-axis bias / scale / g-sensitivity replace the synthetic device's own
        cur, step.device_terms = apply_fitted_terms(cur, fitted_profile(fit, prof))
    else:
        step.notes = fit.notes + ["no base profile (--profile): fitted figures only in fit.json"]
    cur, step.noise_topup = _noise_topup(cur, fit, seed)
    report.steps.append(step)
    return cur


def _gravity_step(report: CalibrationReport, cur: list[Recording], reals: list[Recording],
                  gravity: str) -> list[Recording]:
    """Remove gravity from the synthetic data when the capture holds linear acceleration (or when told)."""
    real_g, syn_g = has_gravity(reals), has_gravity(cur)
    if (gravity == "auto" and syn_g and not real_g) or (gravity == "remove" and syn_g):
        cur = [remove_gravity(r) for r in progress(cur, desc="removing gravity", unit="rec")]
        report.steps.append(GravityStep("the capture holds linear acceleration" if gravity == "auto"
                                        else "--gravity remove"))
    report.gravity = GravityCheck(real_has_gravity=real_g, synthetic_has_gravity=syn_g)
    return cur


#: the sensor groups dropped from the synthetic data when no capture holds them: a model takes the gyroscope
#: by default (a magnetometer only when asked for, and ``imuforge capture`` leaves it out unless asked: kept)
OPTIONAL_GROUPS = ("gyro",)


def _channel_step(report: CalibrationReport, cur: list[Recording], reals: list[Recording]) -> list[Recording]:
    """Drop from the synthetic data every sensor group of :data:`OPTIONAL_GROUPS` that no capture holds (an
    accelerometer-only board or data set, or a capture recorded without it): nothing calibrates it, and a
    model that takes it could not run on the data the capture stands for."""
    def groups(recs) -> set[str]:
        return {c.split("_")[0] for r in recs for c in r.channels}

    dropped = [g for g in OPTIONAL_GROUPS if g in groups(cur) and g not in groups(reals)]
    if not dropped:
        return cur
    out = [r.pick([c for c in r.channels if c.split("_")[0] not in dropped]) for r in cur]
    report.steps.append(ChannelStep(dropped, list(dict.fromkeys(c for r in out for c in r.channels))))
    return out


def _rate_step(report: CalibrationReport, cur: list[Recording], reals: list[Recording],
               match_rate: bool) -> list[Recording]:
    """Resample the synthetic data to the capture's rate (:func:`capture_rate`) when they differ by more than
    1 %."""
    real_rate = capture_rate(reals)
    if match_rate and any(abs(r.rate_hz - real_rate) > 0.01 * real_rate for r in cur):
        cur = [resample_recording(r, real_rate) for r in progress(cur, desc="resampling", unit="rec")]
        report.steps.append(ResampleStep(real_rate))
    return cur


def _align_step(result: CalibrationResult, stage: Path, cur: list[Recording], reals: list[Recording],
                align_mode: str) -> list[Recording]:
    """Rotate the synthetic data onto the capture's sensor frame: fitted on the shared classes, applied to every
    class; pooled over all synthetic recordings, or one per recording (``align_mode`` "each")."""
    al = fit_alignment(cur, reals, align_mode)
    result.alignment = al
    (stage / "alignment.json").write_text(json.dumps(al.to_dict(), indent=1))
    result.report.steps.append(AlignStep(align_mode, al))
    return apply_alignment(al, cur)


def _map_step(result: CalibrationResult, stage: Path, cur: list[Recording], reals: list[Recording],
              mapping: MapSettings, keep_wear: bool = True, floor=None, unknown: str | None = None,
              seed: int = 0) -> list[Recording]:
    """The quantile map onto the capture's distributions, fitted on and applied to the shared classes only
    (``keep_wear``: see :func:`_keeps_wear`), the device's noise (``floor``, :func:`device_noise_floor`; or
    ``unknown``: why not known) put back where a still class's map squeezed it (:func:`mapped`)."""
    qm = mapping.fit(cur, reals, keep_wear=keep_wear)
    result.mapping = qm
    qm.save(stage / "mapping.json")
    cur = mapped(qm, progress(cur, desc="mapping", unit="rec"), floor, seed)
    squeezed = qm.squeezed_still()
    notes = list(qm.notes)
    if squeezed and floor is None:
        notes.append(f"a still class's map squeezes its sensor's noise, which is not put back: {unknown}")
    result.report.steps.append(MapStep(mode=qm.mode, classes=sorted(qm.maps), applies_to=qm.applies_to,
                                       samples=qm.samples, notes=notes, source=qm.source,
                                       strength=qm.strength, strengths=qm.strengths(), gravity=qm.gravity,
                                       floor_restored=_restored(squeezed, floor)))
    return cur


def _range_step(report: CalibrationReport, cur: list[Recording], reals: list[Recording]) -> list[Recording]:
    """Clip the synthetic data to the full scale(s) the capture saturates at (no step when it never does, or
    when the synthetic data lack the sensors that saturate)."""
    found = capture_full_scales(reals)
    cur, clipped = clip_to_full_scale(cur, found)
    scales = [s for s in found if s.group in clipped]
    if scales:
        report.steps.append(RangeStep(scales, clipped))
    return cur


def _fidelity_step(report: CalibrationReport, scope: ClassScope, syn: list[Recording], cur: list[Recording],
                   pre_align: list[Recording], reals: list[Recording], *, align: bool, mapping: MapSettings,
                   seed: int, align_mode: str, match_range: bool = True, floor=None) -> None:
    """Fidelity before / after, on the classes both sides hold (everything if the capture is unlabelled).

    "after" is in-sample when the alignment / mapping were fitted on the same capture; the held-out
    figure fits them on the first half of every real recording and scores against the second half,
    which is the honest estimate.
    """
    shared = scope.shared
    # the capture is one wearer, and the people's spread of ways to wear the device, kept on purpose, is not a
    # distance from it: both sides scored as the typical wearer wears it (not after --align-mode each, which
    # brought every recording into the capture's frame)
    typical = _keeps_wear(align, align_mode) and any(person_turn(r) is not None for r in syn)
    scope_note = ("all data (unlabelled capture)" if shared is None
                  else "only classes present in both the synthetic data and the capture")
    report.fidelity_scope = FidelityScope(shared, scope_note, typical_wear=typical)
    real_s = restrict_to_classes(reals, shared)
    if shared is not None and not real_s:
        raise ValidationError("no labelled stretch of a shared class is long enough to score",
                              allowed=f"classes {', '.join(shared) or '(none shared)'}")
    if shared is not None and not restrict_to_classes(syn, shared):
        raise ValidationError("the synthetic data hold no stretch of the capture's classes long enough to score",
                              allowed=f"synthetic data of {', '.join(scope.real)}")
    before, after = restrict_to_classes(syn, shared), restrict_to_classes(cur, shared)
    if typical:
        before, after = as_typical_wearer(before), as_typical_wearer(after)
    report.fidelity_before = measure_fidelity(before, real_s, seed=seed)
    report.fidelity_after = measure_fidelity(after, real_s, seed=seed)
    # in-sample: fitted on this capture (the alignment, the maps, or the range it saturates at)
    report.fidelity_after.in_sample = bool(align or mapping.on or report.step("clip_range"))
    if align or mapping.on:
        report.fidelity_after_heldout = _heldout_fidelity(pre_align, reals, align, mapping, seed, shared,
                                                          align_mode, match_range, floor)


def realism_check(scope: ClassScope, before: list[Recording], after: list[Recording],
                  reals: list[Recording]) -> RealismCheck:
    """The capture's orientation-free statistics (:func:`~imuforge.calibrate.realism.realism_stats`)
    against the synthetic people's as simulated (``before``: the channels, gravity and rate of the capture,
    not aligned or mapped) and calibrated (``after``), on the classes both hold, both sides at the lower of
    their rates."""
    from imuforge.calibrate.realism import MIN_STRETCH_S, REFERENCE, compare, realism_stats

    if not scope.labelled_capture:
        return RealismCheck(skipped="the capture is unlabelled: the statistics are per activity")
    if not all(r.gyro is not None for r in [*reals, *before]):
        return RealismCheck(skipped="no gyroscope on both sides: most statistics are of the rate of turn")
    rate = min(capture_rate(reals), capture_rate(before))  # each side's rate, not one recording's clock
    shared = scope.shared
    real = realism_stats(restrict_to_classes(reals, shared), rate_hz=rate)
    pre = {(c.label, c.stat): c for c in compare(real, realism_stats(restrict_to_classes(before, shared),
                                                                       rate_hz=rate))}
    post = {(c.label, c.stat): c for c in compare(real, realism_stats(restrict_to_classes(after, shared),
                                                                        rate_hz=rate))}
    if not pre:
        return RealismCheck(skipped=f"no stretch of a shared class is {MIN_STRETCH_S:g} s long on both sides")
    rows = [RealismRow(c.label, c.stat, c.real, c.synthetic, post[k].synthetic if k in post else None)
            for k, c in pre.items() if not (c.stat == "posture_deg" and c.label == REFERENCE)]
    return RealismCheck(rate, rows)


def _made_params(recs: Sequence[Recording], label: str) -> dict:
    """What the synthetic people of ``label`` were made with, from their motions' provenance: a gait's speed
    (the median of the speeds its people walked or ran at, whatever set them: a speed asked for, a pace word,
    each person's preferred speed), and a stair pace (``intensity``) where all were asked the same."""
    speeds, asked = [], set()
    for item in _made_items(recs, label):
        if (v := (item.get("info") or {}).get("speed_mps")) is not None:
            speeds.append(float(v))
        params = item.get("params") or {}
        asked.add(json.dumps({k: v for k, v in params.items() if k == "intensity"}))
    out = json.loads(asked.pop()) if len(asked) == 1 else {}
    if speeds:
        out["speed"] = float(np.median(speeds))
    return out


def realism_findings(check: RealismCheck | None, synthetic: Sequence[Recording]) -> list[Finding]:
    """What calibration cannot change: a gait whose cadence differs from the capture's by more than 5 %
    (it maps values, not time), with the description that makes the synthetic people step at the capture's
    pace (:func:`~imuforge.calibrate.realism.cadence_params`,
    :func:`~imuforge.motion.text.description_for`)."""
    from imuforge.calibrate.realism import cadence_params
    from imuforge.motion.text import description_for

    out: list[Finding] = []
    for row in (check.rows if check is not None else []):
        if row.stat != "cadence_spm":
            continue
        now = _made_params(synthetic, row.label)
        # the cadence the people were made at, where their motions say it: the statistic read from a few
        # people's short walks with turns can halve one of them (3 watch walkers made at 99–114 read 92, and
        # the advice made them 17 % faster than the capture where they had been 5 %)
        made = _made_cadence(synthetic, row.label)
        misread = made is not None and abs(made / row.before - 1.0) > 0.10
        ours = made if misread else row.before
        params = cadence_params(row.label, row.real, ours, now=now)
        if params is None:
            continue
        text = description_for(row.label, params)
        read = f"; the statistic reads {row.before:.0f}" if misread else ""
        out.append(Finding("undecided", "realism",
                           f"{row.label}: the capture steps at {row.real:.0f} steps/min, the synthetic "
                           f"people at {ours:.0f} ({ours / row.real:.2f}×{read}); calibration maps "
                           "values, not time, so the cadence stays — people made at this wearer's pace: "
                           f"imuforge motion \"{text}\" (the library's step-rate law; add what else the "
                           "people were described doing, e.g. a bag carried)"))
    return out + _realism_lost(check)


def _made_cadence(recs: Sequence[Recording], label: str) -> float | None:
    """The median cadence (steps/min) the synthetic people of ``label`` were made at, from their motions'
    provenance (the gait's ``step_frequency_hz``); None where the motions do not say it."""
    steps = [60.0 * float(f) for item in _made_items(recs, label)
             if (f := (item.get("info") or {}).get("step_frequency_hz")) is not None]
    return float(np.median(steps)) if steps else None


def _made_items(recs: Sequence[Recording], label: str):
    """The items of ``label`` in the synthetic recordings' motion provenance (what each person was made with
    and drew: ``params``, ``info``)."""
    for r in recs:
        for item in ((r.provenance or {}).get("motion") or {}).get("items") or []:
            if isinstance(item, dict) and item.get("activity") == label:
                yield item


def _realism_lost(check: RealismCheck | None) -> list[Finding]:
    """A warning for the statistics within the realism target's bounds of the capture before calibration and
    outside them after it (the console's count, "5 before, 7 after", hid a class that got worse)."""
    lost = [r for r in (check.rows if check is not None else []) if r.after is not None
            and r.comparison().within_target() and not r.comparison(after=True).within_target()]
    if not lost:
        return []

    def shown(r: RealismRow) -> str:
        if r.stat == "posture_deg":
            return f"{r.label} {r.stat} {r.before - r.real:+.0f}° → {r.after - r.real:+.0f}°"
        if r.real == 0.0:  # no ratio to a capture's zero: the values
            return f"{r.label} {r.stat} {r.before:.3g} → {r.after:.3g} (capture 0)"
        return f"{r.label} {r.stat} {r.comparison().ratio:.2f}× → {r.comparison(after=True).ratio:.2f}×"

    return [Finding("warning", "realism", "calibration took statistics that were within the target's bounds "
                    "of the capture out of them (synthetic / capture): " + ", ".join(map(shown, lost))
                    + " — the map reshapes a class's values, and a squeezed or stretched one can leave the "
                    "capture's motion (the report's Realism table)")]


def _write_dataset(stage: Path, out: Path, report: CalibrationReport, scope: ClassScope, syn_named,
                   cur: list[Recording]) -> None:
    """The calibrated Dataset, each recording under its synthetic name with the steps in its provenance."""
    steps = [s.step for s in report.steps]
    ds = Dataset.create(stage / "dataset",
                        meta={"calibration": {"real": list(report.real), "synthetic": list(report.synthetic),
                                              # where the capture is, wherever training runs from: it
                                              # validates a run on this Dataset (imuforge.train.capture)
                                              "real_resolved": [str(Path(p).resolve()) for p in report.real],
                                              "steps": steps,
                                              "classes_calibrated": scope.shared,
                                              "classes_unchanged": scope.unmatched_synthetic,
                                              "report": str(out / "report.json")}})
    with ds.deferred_manifest():  # a staged folder: a failure discards it whole
        for (name, _), rec in zip(progress(syn_named, desc="writing", unit="rec"), cur):
            prov = dict(rec.provenance)
            prov["calibrated"] = {"steps": list(steps), "real": list(report.real)}
            ds.add(rec.replace(provenance=prov), name=name)


def _labels_s(recs) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in recs:
        for k, v in r.duration_per_label().items():
            out[k] = out.get(k, 0.0) + v
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------- what the user is told
def findings(report: CalibrationReport, result: CalibrationResult, pre_align: list[Recording],
             reals: list[Recording], seed: int = 0) -> list[Finding]:
    """What the capture decided, what it could not, and warnings (fidelity worse after calibration)."""
    out = _class_findings(report.classes) + _unlabelled_findings(reals, report.classes)
    for step in report.steps:
        if step.step == "fit_profile":
            out += _fit_findings(step, result.fit)
        elif isinstance(step, AlignStep):
            out += _alignment_findings(step, pre_align, reals)
        elif isinstance(step, ChannelStep):
            them = "them" if len(step.dropped) > 1 else "it"
            out.append(Finding("decided", "device", f"the capture holds no {' or '.join(step.dropped)}: the "
                               f"calibrated data keep {', '.join(step.kept)} (capture {them} too to keep "
                               f"{them})"))
        elif isinstance(step, MapStep):
            if step.strength != "full":
                out.append(Finding("decided", "map",
                                   f"map strength ({step.strength}): {step.strength_summary()}"))
            if step.gravity:
                out.append(Finding("decided", "map", step.gravity_summary()))
            if (floor := step.floor_summary()) is not None:
                out.append(Finding("decided", "map", floor))
        elif isinstance(step, RangeStep):
            out += [Finding("decided", "device", f"the capture saturates: {s.describe()}; the synthetic data "
                            f"were clipped to it ({100 * step.clipped.get(s.group, 0.0):.2g} % of their "
                            f"{s.group} values lay beyond)") for s in step.scales]
    resampled = report.step("resample")
    out += role_findings(pre_align, reals) + rate_findings(reals, resampled.rate_hz if resampled else None)
    out += placement_findings(pre_align, reals) + device_findings(pre_align, reals)
    if report.classes.labelled_capture:  # the angles do not depend on the alignment: with or without --align
        out += wearer_findings(reals, report.step("map"))
        out += posture_findings(pre_align, reals)
    out += realism_findings(report.realism, pre_align)
    holds_gravity = report.gravity is not None and report.gravity.real_has_gravity  # else nothing to hold
    if result.recordings and report.classes.labelled_capture and holds_gravity:
        out += gravity_findings(pre_align, result.recordings, reals)
    why = why_worse(report)
    out += fidelity_regressions(report.fidelity_before, report.fidelity_after, "after calibration", why)
    held = report.fidelity_after_heldout
    if held is not None and held.after is not None:
        out += fidelity_regressions(held.before or report.fidelity_before, held.after,
                                    "after calibration (held-out half)", why)
    return out


def _class_findings(scope: ClassScope) -> list[Finding]:
    if not scope.labelled_capture:
        if len(scope.synthetic) == 1:
            return [Finding("decided", "classes", f"the capture is unlabelled and taken to show "
                            f"{scope.synthetic[0]!r}, the only synthetic class (label captures with "
                            "`imuforge capture --label` to make sure)")]
        return [Finding("undecided", "classes", "the capture is unlabelled: which activities it shows is not "
                        "known (label captures with `imuforge capture --label` or `--guided`)")]
    out = [Finding("decided", "classes", "calibrated on the classes both the capture and the synthetic data "
                   "hold: " + ", ".join(scope.shared or []))]
    unmatched_real = sorted(set(scope.real) - set(scope.shared or []))
    # a slip of the keys (a letter left out or doubled, two swapped), never one library activity for another
    typos = {c: meant[0] for c in unmatched_real if c not in CANONICAL_LABELS
             and len(meant := [s for s in scope.synthetic or [] if one_slip(c, s)]) == 1}
    for label, meant in typos.items():  # a misspelt capture label: its class is calibrated on nothing
        then = (f"its stretches are left out of {meant}'s calibration" if meant in (scope.shared or [])
                else f"{meant} is passed through as simulated: the capture holds none under that name")
        out.append(Finding("warning", "classes", f"the capture's label {label!r} is no synthetic class — did "
                           f"you mean {meant!r}? Nothing was calibrated on it, and {then} (relabel the "
                           "capture if so; else make its synthetic data)"))
    unmatched_real = [c for c in unmatched_real if c not in typos]
    if unmatched_real:  # a class the user captured and made no synthetic data of (a typo in a loop, say)
        out.append(Finding("undecided", "classes", "in the capture but not in the synthetic data: "
                           + ", ".join(unmatched_real) + " — nothing was calibrated on it (make its "
                           "synthetic data: `imuforge motion ACTIVITY … --out SYN/ACTIVITY`)"))
    if scope.unmatched_synthetic:
        out.append(Finding("undecided", "classes", "missing from the capture: "
                           + ", ".join(scope.unmatched_synthetic)
                           + " — passed through without distribution mapping and not in the fidelity figures"))
    return out


def _unlabelled_findings(reals, scope: ClassScope) -> list[Finding]:
    """In a labelled capture, the recordings that carry no label at all: no class's map reads them (a fresh
    user's run, session 61: one was dropped without a word)."""
    if not scope.labelled_capture:
        return []
    bare = [r for r in reals if not r.labels]
    if not bare:
        return []
    names = ", ".join(str(r.provenance.get("file") or r.subject or "a recording") for r in bare[:3])
    more = f" and {len(bare) - 3} more" if len(bare) > 3 else ""
    seconds = sum(r.duration_s for r in bare)
    return [Finding("undecided", "classes", f"{len(bare)} recording(s) of the capture carry no label "
                    f"({names}{more}; {seconds:.0f} s): no class is calibrated on them — label them "
                    "(`imuforge capture --label`) or leave them out")]


def _fit_findings(step: FitStep | SkippedStep, fit: DeviceFit | None) -> list[Finding]:
    if isinstance(step, SkippedStep) or fit is None:
        # --fit-profile was asked for and gives no profile: a warning, not an open question
        return [Finding("warning", "device", f"device fit not possible: {step.skipped or 'no fit'}")]
    sm = step.summary
    clock = f"sample rate and clock (on {fit.timing_from}, the longest capture)"  # the first of equals
    unused = set(sm.noise_not_used or ())  # read, and not used: the warning says why
    got = [name for value, name, noise in ((sm.rate_hz, clock, None),
                                           (sm.accel_noise_ug_per_rthz, "accel noise", "accel"),
                                           (sm.gyro_noise_mdps_per_rthz, "gyro noise", "gyro"),
                                           (sm.gyro_bias_dps, "gyro bias", None))
           if value is not None and noise not in unused]
    out = [Finding("decided", "device", f"device fit from {sm.still_seconds:.0f} s still: " + ", ".join(got))]
    if step.base_from_synthetic:
        out.append(Finding("decided", "device", f"base profile {step.base_from_synthetic}, the device the "
                           "synthetic data were made for (the capture names none; --profile NAME for "
                           "another)"))
    if step.profile_toml is None:
        out.append(Finding("undecided", "device", "no base profile (--profile was not given, and neither "
                           "the capture's device nor the synthetic data's could be one: the fit's notes say "
                           "why): the fitted figures are in fit.json only, no fitted profile was written and "
                           "the synthetic data keep their device's per-axis terms (--profile NAME)"))
    out += [Finding("warning", "device", w) for w in fit.warnings]
    if fit.ranges:
        out.append(Finding("decided", "device", "fitted range from where the capture saturates: " + ", ".join(
            f"{kind} ±{r:g} {SATURATION_UNITS[GROUP_OF_SENSOR[kind]][0]}" for kind, r in fit.ranges.items())))
    sb = fit.accel_scale_bias
    if sb is not None:
        yes = sorted(k for k, v in sb.from_capture.items() if v)
        no = sorted(k for k, v in sb.from_capture.items() if not v)
        if yes:
            out.append(Finding("decided", "device", "accel " + ", ".join(yes) + " decided by the capture"))
        if no:
            out.append(Finding("undecided", "device", "accel " + ", ".join(no) + " kept the datasheet prior (capture "
                               f"{len(fit.orientations)} still orientation(s); ±x, ±y, ±z decide all six)"))
    elif not fit.gravity_removed:
        out.append(Finding("undecided", "device", "accel scale and bias not fitted (no still orientation)"))
    if fit.gyro_bias is not None and any(k is None for k in fit.gyro_bias.g_sensitivity):
        axes = [a for a, k in zip("xyz", fit.gyro_bias.g_sensitivity) if k is None]
        out.append(Finding("undecided", "device", f"gyro g-sensitivity on {', '.join(axes)} not decided (needs still "
                           "orientations that differ along that axis)"))
    return out


def _alignment_findings(step: AlignStep, pre_align: list[Recording], reals: list[Recording]) -> list[Finding]:
    al = step.alignment
    if isinstance(al, EachAlignment):
        rng = step.angle_range_deg
        out = [Finding("decided", "alignment", f"each of the {step.recordings} synthetic recordings aligned on its "
                       "own (--align-mode each)" + (
                           f": rotations {rng.min:.0f}–{rng.max:.0f}°, median {rng.median:.0f}°" if rng else ""))]
        still = step.aligned_on_own_class - step.heading_observable
        if still:
            out.append(Finding("undecided", "alignment", f"{still} recording(s) of still classes: only gravity aligned, "
                               "the heading about it stays as each synthetic person wears the device"))
        if step.aligned_on_own_class < step.recordings:
            out.append(Finding("undecided", "alignment", f"{step.recordings - step.aligned_on_own_class} recording(s) "
                               "of classes the capture lacks: " + ("the pooled rotation applied" if al.fallback
                                                                  else "left unrotated")))
        return out
    out = [Finding("decided", "alignment", f"sensor rotation {al.angle_deg:.1f}° ({al.method}, classes "
                   f"{', '.join(al.classes)})")]
    if al.gravity_angle_deg is not None and al.gravity_angle_deg > GRAVITY_RESIDUAL_DEG:
        out.append(Finding("warning", "alignment", f"after alignment the mean gravity directions of synthetic and "
                           f"real data still differ by {al.gravity_angle_deg:.1f}° (> {GRAVITY_RESIDUAL_DEG:g}°): the "
                           "activities are held differently (posture, how the device sits) or the rotation is wrong "
                           "— check the placement, or capture more of each activity"))
    if not al.heading_observable:
        out.append(Finding("undecided", "alignment", "heading (rotation about gravity) not observable from still "
                           "data: the smallest rotation aligning gravity is used; capture walking too"))
    # the people, where every recording names its own (recordings simulated without a subject say nothing)
    people = len({r.subject for r in pre_align}) if all(r.subject for r in pre_align) else None
    for n in al.notes:
        if n.startswith("ambiguous"):
            few = (f", or make more synthetic people (the pooled rotation over {people}, each wearing the "
                   f"device their own way, is unsteady under {FEW_SYNTHETIC_PEOPLE})"
                   if people is not None and people < FEW_SYNTHETIC_PEOPLE else "")
            out.append(Finding("warning", "alignment", f"alignment {n}; capture more walking{few}"))
    if al.heading_observable:
        stab = alignment_stability(pre_align, reals)
        if stab.skipped:
            out.append(Finding("undecided", "alignment", f"alignment stability not assessed: {stab.skipped}"))
        elif stab.halves_apart_deg > ALIGN_UNSTABLE_DEG:
            out.append(Finding("warning", "alignment", f"alignment unstable: fitted on the two halves of the capture "
                               f"it gives rotations {stab.halves_apart_deg:.0f}° apart (> {ALIGN_UNSTABLE_DEG:g}°); "
                               "the capture does not pin the placement down — capture longer, keep the device fixed"))
    return out


#: synthetic people under which a pooled alignment's advice names them too: a fresh user's 4 people (wear
#: variation on) aligned 176° off where 10 people, or the same 4 worn alike, aligned within 6° (session 61)
FEW_SYNTHETIC_PEOPLE = 8


def placement_findings(synthetic: Sequence[Recording], reals: Sequence[Recording]) -> list[Finding]:
    """A warning when the capture is worn at a body site none of the synthetic recordings is worn at: the
    calibration then maps one site's signals onto another's, which no alignment or map can make right."""
    syn = {str(r.placement) for r in synthetic if r.placement is not None}
    real = {str(r.placement) for r in reals if r.placement is not None}
    away = sites_apart(syn, real)
    if away:
        return [Finding("warning", "device", f"the capture is worn at {', '.join(away)}, the synthetic data "
                        f"at {', '.join(sorted(syn))}: calibration cannot turn one body site's motion into "
                        "another's; simulate the capture's placement (imuforge motion --placement)")]
    elsewhere = set(sites_apart(real, syn))
    if not elsewhere:
        return []
    n = sum(str(r.placement) in elsewhere for r in synthetic)
    return [Finding("warning", "device", f"{n} of the {len(synthetic)} synthetic recordings are worn at "
                    f"{', '.join(sorted(elsewhere))}, the capture at {', '.join(sorted(real))}: the rotation "
                    "and maps fitted at the capture's site were applied to them too; calibrate each "
                    "placement's recordings against a capture worn there (imuforge dataset select "
                    "--placements)")]


def _device_name(profile) -> str:
    """The device a recording's ``profile`` names: the loaded profile's name (a capture may name its profile
    by a TOML path), a fitted profile (``<name>-fitted``, fitted again: ``<name>-fitted-fitted``;
    :mod:`imuforge.calibrate.fit`) the device it was fitted to; a profile that does not load, as named."""
    name = str(profile)
    try:
        name = load_profile(name).name
    except (ValidationError, OSError):
        pass
    while name.endswith("-fitted"):
        name = name.removesuffix("-fitted")
    return name


def device_findings(synthetic: Sequence[Recording], reals: Sequence[Recording]) -> list[Finding]:
    """A warning when the capture comes from a device none of the synthetic recordings was made for: the
    device fit (``--fit-profile``) then describes the capture's device while the data keep the other's
    range, rate and errors, and the maps carry one chip's signals onto another's."""
    # each profile name loaded once, not once per recording (a corpus holds thousands of one device's)
    named = {p: _device_name(p) for p in {r.profile for r in synthetic if r.profile}}
    syn = set(named.values())
    real = {_device_name(p) for p in {r.profile for r in reals if r.profile}}
    if not syn or not real:
        return []
    if not real & syn:
        return [Finding("warning", "device", f"the capture comes from {', '.join(sorted(real))}, the "
                        f"synthetic data were made for {', '.join(sorted(syn))}: make them for the capture's "
                        "device (imuforge motion --profile, or the fitted profile this run writes)")]
    other = syn - real
    if not other:
        return []
    n = sum(bool(r.profile) and named[r.profile] in other for r in synthetic)
    return [Finding("warning", "device", f"{n} of the {len(synthetic)} synthetic recordings were made for "
                    f"{', '.join(sorted(other))}, the capture comes from {', '.join(sorted(real))}: they "
                    "were calibrated to the capture's device too; calibrate each device's recordings against "
                    "its own capture")]


def wearer_findings(reals: Sequence[Recording], map_step) -> list[Finding]:
    """A warning when every class of the capture comes from one wearer only, and two or more wearers took it
    (:func:`imuforge.labels.one_wearer_per_class`): what sets the wearers apart — how each put the device on,
    how each moves — is then part of each class, and per-class maps carry it into the synthetic classes."""
    owner = one_wearer_per_class([seg.label for r in reals for seg in r.labels],
                                 [r.subject for r in reals for _ in r.labels])
    if owner is None:
        return []
    per_class = isinstance(map_step, MapStep) and map_step.mode == "per-class"
    return [Finding("warning", "classes", f"each class of the capture comes from one wearer only "
                    f"({describe_owners(owner)}): how each put the device on and moves is part of their class"
                    + ("; --map per-class carried it into the synthetic classes" if per_class else "")
                    + ", and a model can learn the wearer instead of the activity — capture every activity "
                    "on each wearer")]


#: the postures of a still activity the library makes when asked, which a capture may hold where the default
#: people do not (``imuforge motion "<description>"``)
POSTURE_VARIANTS = {"lying": 'lying face down or on a side, which the library makes when asked: imuforge '
                              'motion "lying face down"'}


def _posture_hint(a: str, b: str) -> str | None:
    """How to make the posture of a still activity of the pair the capture may hold
    (:data:`POSTURE_VARIANTS`)."""
    return next((POSTURE_VARIANTS[c] for c in (a, b) if c in POSTURE_VARIANTS), None)


def posture_findings(synthetic: Sequence[Recording], reals: Sequence[Recording]) -> list[Finding]:
    """A warning for each two activities that the capture holds at an angle no synthetic person does.

    The angle between two activities' mean specific forces does not depend on how the device is
    turned (:func:`~imuforge.calibrate.realism.posture_angles`), so capture and synthetic people
    compare directly; the synthetic people's range is what the library expects of the placement.
    A capture outside it by more than :data:`POSTURE_MARGIN_DEG` was recorded with the device put
    on differently for the two activities (two straps, two sessions, a phone put back another
    way) or does an activity differently from the library's people — and per-class calibration
    would make the model learn that difference as part of the class. Needs gravity in the data
    and :data:`POSTURE_MIN_PEOPLE` or more synthetic people (subjects) holding both activities.
    """
    from imuforge.calibrate.realism import posture_angles

    real, syn = posture_angles(list(reals)), posture_angles(list(synthetic))
    out = []
    held: dict[str, set[str]] = {}  # each person of the capture → the activities they were captured doing
    for r in reals:
        held.setdefault(str(r.subject), set()).update(seg.label for seg in r.labels)
    used = {seg.label for r in synthetic for seg in r.labels}  # a class without synthetic data is not used
    labels = sorted(set().union(*held.values()) & used) if held else []
    apart = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]
             if not any({a, b} <= acts for acts in held.values())]
    if apart:
        out.append(Finding("undecided", "posture", "postures not compared where no person of the capture holds "
                           "both activities: " + ", ".join(f"{a}–{b}" for a, b in apart)))
    for a, b in sorted(set(real) & set(syn)):
        people = syn[(a, b)]
        if len(people) < POSTURE_MIN_PEOPLE:
            continue
        r, lo, hi = float(np.median(real[(a, b)])), min(people), max(people)
        if lo - POSTURE_MARGIN_DEG <= r <= hi + POSTURE_MARGIN_DEG:
            continue
        out.append(Finding(
            "warning", "posture",
            f"the capture holds {a} and {b} {r:.0f}° apart (direction of gravity), the {len(people)} synthetic "
            f"people {lo:.0f}–{hi:.0f}° (± {POSTURE_MARGIN_DEG:g}° allowed): the device was put on differently for "
            "the two, or one is done differently from the library's people (a hand in a pocket, a bag carried"
            + (f"; {_posture_hint(a, b)}" if _posture_hint(a, b) else "") + "); "
            "--map per-class would teach the model that difference as part of the class — capture both with the "
            "device worn the same way, make the people the way the capture does it, or check the placement"))
    return out


def _halves(recs: Sequence[Recording]) -> tuple[list[Recording], list[Recording]]:
    """First and second half (in time) of every labelled stretch (of every recording if unlabelled)."""
    a, b = [], []
    for r in recs:
        spans = [(seg.start_s, seg.end_s) for seg in r.labels] or [(r.timestamps[0], r.timestamps[-1])]
        for start, end in spans:  # loop over label segments
            mid = start + 0.5 * (end - start)
            first, second = r.crop(start, mid), r.crop(mid, end)
            if len(first) >= 16 and len(second) >= 16:
                a.append(first)
                b.append(second)
    return a, b


@dataclass(frozen=True)
class AlignmentStability:
    """The alignment fitted on the first and on the second half of every real stretch: how far apart the
    two rotations are (°), or why that was not assessed (``skipped``)."""

    halves_apart_deg: float | None = None
    skipped: str | None = None


def alignment_stability(synthetic: Sequence[Recording], reals: Sequence[Recording]) -> AlignmentStability:
    """Fit the alignment on the first and on the second half of every real stretch; how far apart (°)."""
    from scipy.spatial.transform import Rotation

    first, second = _halves(reals)
    if not first:
        return AlignmentStability(skipped="capture stretches too short to split in halves")
    try:
        r1 = estimate_alignment(synthetic, first).rotation
        r2 = estimate_alignment(synthetic, second).rotation
    except ValidationError as exc:
        return AlignmentStability(skipped=f"could not fit on the halves: {exc}")
    return AlignmentStability(halves_apart_deg=float(np.degrees(Rotation.from_matrix(r1 @ r2.T).magnitude())))


#: how far (a fraction of g) a calibrated class's mean specific force may lie from the capture's before
#: :func:`gravity_findings` warns
GRAVITY_DRIFT = 0.1


def gravity_findings(before: Sequence[Recording], after: Sequence[Recording],
                     reals: Sequence[Recording]) -> list[Finding]:
    """A warning per class whose calibration moved the magnitude of its mean specific force (the median
    |mean f| over 2 s windows, the class's stretches pooled) away from the capture's — by more than
    :data:`GRAVITY_DRIFT` of g, and further than the synthetic data were: maps fitted axis by axis turned a
    still wrist's 9.8 m/s² into 12.7, data no body makes (they now turn each person's mean specific force
    and keep its length, :meth:`~imuforge.calibrate.mapping.QuantileMap._hold_gravity`; the check stays for
    what that cannot hold: a device that turns between a class's stretches). (A swinging limb's mean exceeds g —
    the centripetal pull toward the joint —, so the capture, not g, is the reference.) Only where the data hold
    gravity."""
    from imuforge.recording import mean_force_lengths

    g = STANDARD_GRAVITY
    was, now, real = mean_force_lengths(before), mean_force_lengths(after), mean_force_lengths(reals)
    drifted = [f"{k} {was[k]:.1f} → {now[k]:.1f} m/s² (capture {real[k]:.1f})"
               for k in sorted(set(was) & set(now) & set(real) - {""})
               if was[k] > 0.5 * g and abs(now[k] - real[k]) > max(GRAVITY_DRIFT * g, abs(was[k] - real[k]))]
    if not drifted:
        return []
    return [Finding("warning", "map", "the calibration moved the magnitude of the mean specific force "
                    f"(median |mean f| over 2 s windows) away from the capture's: {', '.join(drifted)}; a "
                    "body held still reads 9.81 m/s² whichever way it is turned, and a model trained on "
                    "these data learns theirs (the maps turn each person's mean specific force and keep its "
                    "length; a class whose device turns from one stretch to the next is where they can "
                    "miss)")]


def fidelity_regressions(before: Fidelity, after: Fidelity, when: str, why: dict[str, str] | None = None
                         ) -> list[Finding]:
    """Warnings for fidelity figures that got worse from ``before`` to ``after`` (see :data:`WORSE_MARGINS`),
    each with what of the calibration's steps moves it (``why``: figure → words, :func:`why_worse`)."""
    m = WORSE_MARGINS
    worse: dict[str, list[str]] = {}
    for ch in after.channels:
        if ch not in before.distances:
            continue
        b, a = before.distances[ch], after.distances[ch]
        if a.wasserstein > b.wasserstein * (1 + m["wasserstein_rel"]) + m["wasserstein_abs"]:
            worse.setdefault("1-Wasserstein distance", []).append(f"{ch} {b.wasserstein:.3g} → {a.wasserstein:.3g}")
        if a.ks > b.ks + m["ks"]:
            worse.setdefault("KS statistic", []).append(f"{ch} {b.ks:.3f} → {a.ks:.3f}")
        lb = before.psd.log_spectral_distance_db.get(ch)
        la = after.psd.log_spectral_distance_db.get(ch)
        if lb is not None and la is not None and la > lb + m["lsd_db"]:
            worse.setdefault("PSD log-spectral distance", []).append(f"{ch} {lb:.1f} → {la:.1f} dB")
    for name in CLASSIFIERS:
        tb, ta = before.two_sample.auc(name), after.two_sample.auc(name)
        if tb is not None and ta is not None and abs(ta.auc - 0.5) > abs(tb.auc - 0.5) + m["auc"]:
            worse.setdefault("two-sample AUC", []).append(f"{name} {tb.auc:.3f} → {ta.auc:.3f}")
    return [Finding("warning", "fidelity", f"{what} worse {when}: " + ", ".join(items)
                    + (f" ({why[what]}; the spectra are in the plots)" if (why or {}).get(what) else ""))
            for what, items in worse.items()]


def why_worse(report) -> dict[str, str]:
    """What of the calibration's steps that ran moves a spectrum (a fresh user's run, session 61, asked why
    the map added high-frequency content): the quantile map, the noise added for ``--fit-profile``."""
    causes = []
    if isinstance(report.step("map"), MapStep):
        causes.append("a map reshapes each sample's value, not the spectrum: where it is steep it "
                      "magnifies the fast changes there — a still class's noise when its spread differs from "
                      "the capture's, a gait's rate passing through zero when the capture holds fewer values "
                      "near zero than the synthetic people (the map's slopes are in the report's map step)")
    fit = report.step("fit_profile")
    if getattr(fit, "noise_topup", {}).get("added_sd"):
        causes.append("noise was added to reach the capture's fitted noise")
    return {"PSD log-spectral distance": "; ".join(causes)} if causes else {}
