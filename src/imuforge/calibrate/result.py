"""The calibration report (``report.json``) as a typed result: built by
:func:`~imuforge.calibrate.pipeline.calibrate`, read by the report writer (:mod:`imuforge.calibrate.report`:
``report.md``, ``report.html``, the plots), ``imuforge calibrate``'s console summary, the demo and the
benchmarks.

:meth:`CalibrationReport.to_json` gives ``report.json`` exactly (keys in their written order);
:meth:`CalibrationReport.from_json` / :meth:`CalibrationReport.read` read one back. Three parts stay JSON
objects because they are written for the user, never read by code: the device fit's ``device_terms`` and
``noise_topup`` (:func:`~imuforge.calibrate.fit.apply_fitted_terms`, the noise top-up) and the quantile
map's ``samples``. An alignment step carries the :class:`~imuforge.calibrate.align.Alignment` (or
:class:`~imuforge.calibrate.align.EachAlignment`) itself; its JSON is that object's own ``to_dict()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from imuforge.calibrate.align import Alignment, EachAlignment
from imuforge.calibrate.saturation import FullScale

#: The classifiers of the two-sample test, in the order the report shows them.
CLASSIFIERS = ("logistic_regression", "random_forest")


# ---------------------------------------------------------------------------------------------- findings
@dataclass
class Finding:
    """One thing the user must be told: what the capture ``decided``, what it left ``undecided``
    (the datasheet prior, an identity, or nothing stands in), or a ``warning``."""

    kind: str  # decided | undecided | warning
    topic: str  # classes | device | alignment | map | posture | fidelity | realism
    text: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "topic": self.topic, "text": self.text}

    to_dict = to_json

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Finding:
        return cls(d["kind"], d["topic"], d["text"])


# ------------------------------------------------------------------------------------------ class scope
@dataclass
class ClassScope:
    """Which classes fidelity, alignment and mapping can use: those both sides hold.

    ``shared`` is None when the capture is unlabelled.
    """

    labelled_capture: bool
    synthetic: list[str]
    real: list[str]
    shared: list[str] | None
    unmatched_synthetic: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"labelled_capture": self.labelled_capture, "synthetic": list(self.synthetic), "real": list(self.real),
                "shared": None if self.shared is None else list(self.shared),
                "unmatched_synthetic": list(self.unmatched_synthetic)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClassScope:
        return cls(d["labelled_capture"], list(d["synthetic"]), list(d["real"]), d["shared"],
                   list(d["unmatched_synthetic"]))


@dataclass
class FidelityScope:
    """The classes the fidelity figures are scored on (None: all data, the capture is unlabelled);
    ``typical_wear``: the synthetic people were scored as the typical wearer wears the device (each person's
    own turn undone)."""

    classes: list[str] | None
    note: str
    typical_wear: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"classes": self.classes, "note": self.note, "typical_wear": self.typical_wear}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FidelityScope:
        return cls(d["classes"], d["note"], bool(d.get("typical_wear", False)))


@dataclass
class GravityCheck:
    """Whether each side holds gravity in its acc channels."""

    real_has_gravity: bool
    synthetic_has_gravity: bool

    def to_json(self) -> dict[str, bool]:
        return {"real_has_gravity": self.real_has_gravity, "synthetic_has_gravity": self.synthetic_has_gravity}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GravityCheck:
        return cls(d["real_has_gravity"], d["synthetic_has_gravity"])


# -------------------------------------------------------------------------------------------- fidelity
@dataclass
class ChannelDistance:
    """1-Wasserstein distance (channel unit), KS statistic and the real data's sd of one channel."""

    wasserstein: float
    ks: float
    real_sd: float

    def to_json(self) -> dict[str, float]:
        return {"wasserstein": self.wasserstein, "ks": self.ks, "real_sd": self.real_sd}


@dataclass
class PsdComparison:
    """Welch PSDs of both sides (``synthetic[i]`` / ``real[i]`` per channel) and the log-spectral distance (dB)."""

    f_hz: list[float]
    synthetic: list[list[float]]
    real: list[list[float]]
    nperseg: int
    log_spectral_distance_db: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"f_hz": self.f_hz, "synthetic": self.synthetic, "real": self.real, "nperseg": self.nperseg,
                "log_spectral_distance_db": dict(self.log_spectral_distance_db)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PsdComparison:
        return cls(d["f_hz"], d["synthetic"], d["real"], d["nperseg"], dict(d["log_spectral_distance_db"]))


@dataclass
class Auc:
    """Cross-validated ROC AUC of one classifier (mean and sd over folds)."""

    auc: float
    auc_sd: float

    def to_json(self) -> dict[str, float]:
        return {"auc": self.auc, "auc_sd": self.auc_sd}


@dataclass
class TwoSampleTest:
    """The classifier two-sample test: AUC per classifier, or why it was skipped (too few windows)."""

    windows: dict[str, int]
    classifiers: dict[str, Auc] = field(default_factory=dict)
    window_s: float | None = None
    folds: int | None = None
    skipped: str | None = None

    def auc(self, name: str) -> Auc | None:
        return self.classifiers.get(name)

    def to_json(self) -> dict[str, Any]:
        if self.skipped is not None:
            return {"skipped": self.skipped, "windows": dict(self.windows)}
        out: dict[str, Any] = {"windows": dict(self.windows), "window_s": self.window_s, "folds": self.folds}
        out.update((k, v.to_json()) for k, v in self.classifiers.items())
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TwoSampleTest:
        if "skipped" in d:
            return cls(dict(d.get("windows", {})), skipped=d["skipped"])
        aucs = {k: Auc(v["auc"], v["auc_sd"]) for k, v in d.items() if k not in ("windows", "window_s", "folds")}
        return cls(dict(d["windows"]), aucs, d.get("window_s"), d.get("folds"))


@dataclass
class Fidelity:
    """What :func:`imuforge.calibrate.fidelity.fidelity` measured for one synthetic / real pair.

    ``in_sample`` (the "after" figures only): the alignment / mapping were fitted on the same capture.
    """

    rate_hz: float
    channels: list[str]
    distances: dict[str, ChannelDistance]
    psd: PsdComparison
    two_sample: TwoSampleTest
    in_sample: bool | None = None

    @property
    def ks_mean(self) -> float:
        return float(np.mean([d.ks for d in self.distances.values()]))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rate_hz": self.rate_hz, "channels": list(self.channels),
                               "distances": {ch: d.to_json() for ch, d in self.distances.items()},
                               "psd": self.psd.to_json(), "two_sample": self.two_sample.to_json()}
        if self.in_sample is not None:
            out["in_sample"] = self.in_sample
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Fidelity:
        return cls(d["rate_hz"], list(d["channels"]),
                   {ch: ChannelDistance(v["wasserstein"], v["ks"], v["real_sd"]) for ch, v in d["distances"].items()},
                   PsdComparison.from_json(d["psd"]), TwoSampleTest.from_json(d["two_sample"]), d.get("in_sample"))


@dataclass
class HeldOutFidelity:
    """The held-out check: alignment / mapping fitted on the first half of each real recording, ``after``
    (calibrated) and ``before`` (uncalibrated) both scored on the second half; or why it was skipped.

    In the JSON the "after" figures sit at the top level beside ``before``, ``fitted_on`` and ``scored_on``.
    """

    after: Fidelity | None = None
    before: Fidelity | None = None
    fitted_on: str = "first half of each real recording"
    scored_on: str = "second half"
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.skipped is not None or self.after is None:
            return {"skipped": self.skipped}
        out = self.after.to_json()
        if self.before is not None:
            out["before"] = self.before.to_json()
        out.update(fitted_on=self.fitted_on, scored_on=self.scored_on)
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> HeldOutFidelity:
        if "skipped" in d:
            return cls(skipped=d["skipped"])
        rest = {k: v for k, v in d.items() if k not in ("before", "fitted_on", "scored_on")}
        return cls(Fidelity.from_json(rest), Fidelity.from_json(d["before"]) if "before" in d else None,
                   d.get("fitted_on", ""), d.get("scored_on", ""))


@dataclass(frozen=True)
class RealismRow:
    """One orientation-free statistic (:mod:`imuforge.calibrate.realism`) of one class: the capture's value,
    the synthetic people's before calibration (as simulated, at the capture's rate) and after it."""

    label: str
    stat: str
    real: float
    before: float
    after: float | None

    def comparison(self, after: bool = False):
        """The :class:`~imuforge.calibrate.realism.Comparison` of the synthetic side (``after``
        calibration)."""
        from imuforge.calibrate.realism import Comparison

        return Comparison(self.label, self.stat, self.real, self.after if after else self.before)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "stat": self.stat, "real": self.real, "before": self.before,
                "after": self.after}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RealismRow:
        return cls(d["label"], d["stat"], d["real"], d["before"], d.get("after"))


@dataclass
class RealismCheck:
    """The capture against the synthetic people in the statistics that do not depend on how a device is
    turned (gait cadence and peaks, dynamic specific force, rotation out of the main plane, posture angles;
    each within the realism target's bound or not,
    :meth:`~imuforge.calibrate.realism.Comparison.within_target`), before and after calibration, at
    ``rate_hz``; or why it was skipped."""

    rate_hz: float | None = None
    rows: list[RealismRow] = field(default_factory=list)
    skipped: str | None = None

    def within(self, after: bool = False) -> int:
        """How many rows lie within their bound (before calibration, or ``after``)."""
        return sum(r.comparison(after).within_target() for r in self.rows if not after or r.after is not None)

    def to_json(self) -> dict[str, Any]:
        if self.skipped is not None:
            return {"skipped": self.skipped}
        return {"rate_hz": self.rate_hz, "rows": [r.to_json() for r in self.rows]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RealismCheck:
        if "skipped" in d:
            return cls(skipped=d["skipped"])
        return cls(d["rate_hz"], [RealismRow.from_json(r) for r in d["rows"]])


# ----------------------------------------------------------------------------------------------- steps
#: The fit summary's keys in their written order (:meth:`~imuforge.calibrate.fit.DeviceFit.summary`).
_SUMMARY_KEYS = ("rate_hz", "clock_ppm", "jitter_us", "drop_rate", "accel_noise_ug_per_rthz", "accel_vrw_ug_per_rthz",
                 "gyro_noise_mdps_per_rthz", "gyro_arw_deg_per_rthr", "gyro_bias_instability_dph", "accel_bias_mg",
                 "accel_scale_error_pct", "gyro_bias_dps", "noise_not_used", "accel_decided")


@dataclass
class FitSummary:
    """The device fit's headline figures in human units (None: the capture did not decide it)."""

    still_seconds: float
    orientations: int
    rate_hz: float | None = None
    clock_ppm: float | None = None
    jitter_us: float | None = None
    drop_rate: float | None = None
    accel_noise_ug_per_rthz: float | None = None
    accel_vrw_ug_per_rthz: float | None = None
    gyro_noise_mdps_per_rthz: float | None = None
    gyro_arw_deg_per_rthr: float | None = None
    gyro_bias_instability_dph: float | None = None
    accel_bias_mg: list[float] | None = None
    accel_scale_error_pct: list[float] | None = None
    gyro_bias_dps: list[float] | None = None
    #: the sensors whose fitted noise is not applied (taken for the wearer's motion: fit.flag_worn_noise)
    noise_not_used: list[str] | None = None
    #: the accelerometer's bias / scale terms the capture decided (the rest: the datasheet's prior)
    accel_decided: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in _SUMMARY_KEYS if getattr(self, k) is not None}
        out.update(still_seconds=self.still_seconds, orientations=self.orientations)
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FitSummary:
        return cls(d["still_seconds"], d["orientations"], **{k: d[k] for k in _SUMMARY_KEYS if k in d})


@dataclass
class FitStep:
    """1. The device fit: its summary, the fitted profile TOML written for the user (None without a base
    profile), the device terms given to the synthetic data and the noise added to them."""

    step: ClassVar[str] = "fit_profile"
    skipped: ClassVar[None] = None

    summary: FitSummary
    notes: list[str] = field(default_factory=list)
    profile_toml: str | None = None
    device_terms: dict[str, Any] | None = None  # apply_fitted_terms' info (None: no base profile)
    noise_topup: dict[str, Any] = field(default_factory=dict)
    #: the base profile, where neither --profile nor the capture named it: the synthetic data's device
    base_from_synthetic: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "summary": self.summary.to_json(), "notes": list(self.notes),
                               "profile_toml": self.profile_toml}
        if self.device_terms is not None:
            out["device_terms"] = self.device_terms
        out["noise_topup"] = self.noise_topup
        if self.base_from_synthetic is not None:
            out["base_from_synthetic"] = self.base_from_synthetic
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FitStep:
        return cls(FitSummary.from_json(d["summary"]), list(d.get("notes", [])), d.get("profile_toml"),
                   d.get("device_terms"), d.get("noise_topup", {}), d.get("base_from_synthetic"))


@dataclass
class GravityStep:
    """2. Gravity removed from the synthetic acc channels, and why."""

    step: ClassVar[str] = "remove_gravity"
    skipped: ClassVar[None] = None

    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "reason": self.reason}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GravityStep:
        return cls(d["reason"])


@dataclass
class ResampleStep:
    """3. The synthetic data resampled to the capture's rate."""

    step: ClassVar[str] = "resample"
    skipped: ClassVar[None] = None

    rate_hz: float

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "rate_hz": self.rate_hz}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ResampleStep:
        return cls(d["rate_hz"])


@dataclass
class ChannelStep:
    """0. The synthetic data keep the channels the capture holds: ``dropped`` the groups every capture lacks
    (``gyro``: :data:`~imuforge.calibrate.pipeline.OPTIONAL_GROUPS`), ``kept`` the channels left."""

    step: ClassVar[str] = "channels"
    skipped: ClassVar[None] = None

    dropped: list[str]
    kept: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "dropped": list(self.dropped), "kept": list(self.kept)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChannelStep:
        return cls(list(d["dropped"]), list(d["kept"]))


@dataclass(frozen=True)
class AngleRange:
    min: float
    median: float
    max: float


@dataclass
class AlignStep:
    """4. The alignment (``mode`` pooled or each) and the fitted rotation(s) themselves."""

    step: ClassVar[str] = "align"
    skipped: ClassVar[None] = None

    mode: str
    alignment: Alignment | EachAlignment

    @property
    def each(self) -> bool:
        return isinstance(self.alignment, EachAlignment)

    @property
    def recordings(self) -> int:
        """Synthetic recordings the alignment covers (each mode; 0 for a pooled rotation)."""
        return len(self.alignment.alignments) if self.each else 0

    @property
    def aligned_on_own_class(self) -> int:
        """Recordings aligned on their own class (each mode): the others are of classes the capture lacks."""
        return int(self.alignment.angles_deg.size) if self.each else 0

    @property
    def heading_observable(self) -> int:
        """How many of the recordings aligned on their own class had the heading fixed (each mode) / 1 or 0."""
        if self.each:
            return int(sum(a.heading_observable for a in self.alignment.alignments if a is not None))
        return int(self.alignment.heading_observable)

    @property
    def angle_range_deg(self) -> AngleRange | None:
        """min / median / max rotation over the recordings aligned on their own class (each mode)."""
        ang = self.alignment.angles_deg if self.each else np.array([self.alignment.angle_deg])
        return AngleRange(float(ang.min()), float(np.median(ang)), float(ang.max())) if ang.size else None

    @property
    def euler_xyz_deg(self) -> list[float]:
        """The (pooled) rotation as xyz Euler angles in degrees."""
        from scipy.spatial.transform import Rotation

        return Rotation.from_matrix(np.asarray(self.alignment.rotation)).as_euler("xyz", degrees=True).tolist()

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "mode": self.mode, **self.alignment.to_dict()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AlignStep:
        if "per_recording" in d:
            al: Alignment | EachAlignment = EachAlignment(
                [None if a is None else _alignment_from_json(a) for a in d["per_recording"]],
                None if d.get("fallback") is None else _alignment_from_json(d["fallback"]), d["method"])
        else:
            al = _alignment_from_json(d)
        return cls(d["mode"], al)


def _alignment_from_json(d: dict[str, Any]) -> Alignment:
    return Alignment(rotation=np.asarray(d["rotation"], float), method=d["method"], classes=list(d["classes"]),
                     cost=d["cost"], gravity_angle_deg=d["gravity_angle_deg"],
                     heading_observable=d["heading_observable"], runner_up_cost=d.get("runner_up_cost"),
                     notes=list(d.get("notes", [])))


@dataclass
class MapStep:
    """5. The quantile map: mode, the classes with their own map, the classes it applies to (None: every
    sample) and the samples each map was fitted on."""

    step: ClassVar[str] = "map"
    skipped: ClassVar[None] = None

    mode: str
    classes: list[str]
    applies_to: list[str] | None
    samples: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    source: str = "pooled"  # the synthetic quantiles: pooled or the typical person's (mapping.SOURCES)
    strength: str = "full"  # how much of each map is applied (mapping.STRENGTHS)
    strengths: dict[str, dict[str, float]] = field(default_factory=dict)  # class → channel → share applied
    # class → the scale of its gravity's length (mapping.QuantileMap.gravity: each person's gravity turned,
    # not mapped axis by axis); None: mapped axis by axis (magnitude maps, reports written before)
    gravity: dict[str, float] | None = None
    #: map key (a still class, or "(global)") → channel → the map's slope about its middle (< 1): where the
    #: sensor noise the map squeezed was put back (mapping.QuantileMap.squeezed_still, _put_floor_back)
    floor_restored: dict[str, dict[str, float]] = field(default_factory=dict)

    def gravity_summary(self) -> str:
        """One line: how the map treated each person's mean specific force."""
        if self.gravity is None:
            return ("gravity mapped axis by axis" if self.mode != "magnitude"
                    else "gravity kept (lengths mapped)")
        if not self.gravity:
            return "no class holds gravity on both sides (removed on the device?): mapped axis by axis"
        scales = ", ".join(f"{c} ×{k:.3f}" for c, k in sorted(self.gravity.items()))
        return (f"each synthetic person's gravity turned, its length kept and scaled by the capture's "
                f"({scales})"
                + ("" if set(self.gravity) >= set(self.applies_to or []) else
                   f"; axis by axis in {', '.join(sorted(set(self.applies_to or []) - set(self.gravity)))}"))

    def strength_summary(self) -> str:
        """One line: how many class channels were mapped in full, in part, and left as synthesised."""
        k = np.array([v for chm in self.strengths.values() for v in chm.values()], dtype=float)
        if self.strength == "full" or k.size == 0:
            return "every map applied in full"
        part = k[(k > 0.01) & (k < 0.99)]
        full, none = int(np.sum(k >= 0.99)), int(np.sum(k <= 0.01))
        return (f"{full} of {k.size} class channels mapped in full, {part.size} in part"
                + (f" (by {part.mean():.2f} on average)" if part.size else "")
                + f", {none} left as the synthetic people have them (the capture lies within their spread "
                  "there)")

    def floor_summary(self) -> str | None:
        """One line on the sensor noise put back under still classes a map squeezed, or None."""
        if not self.floor_restored:
            return None
        low = {c: min(chm.values()) for c, chm in self.floor_restored.items()}
        return ("the device's noise put back where a still class's map squeezed it (its slope as low as "
                + ", ".join(f"{c} ×{a:.2f}" for c, a in sorted(low.items()))
                + "): a still class is never quieter than its sensor")

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "mode": self.mode, "classes": list(self.classes), "applies_to": self.applies_to,
                "samples": self.samples, "notes": list(self.notes), "source": self.source,
                "strength": self.strength, "strengths": self.strengths, "gravity": self.gravity,
                "floor_restored": self.floor_restored}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MapStep:
        return cls(d["mode"], list(d["classes"]), d["applies_to"], d["samples"], list(d.get("notes", [])),
                   d.get("source", "pooled"), d.get("strength", "full"), dict(d.get("strengths", {})),
                   d.get("gravity"), dict(d.get("floor_restored", {})))


@dataclass
class RangeStep:
    """6. The synthetic data clipped to the full scale(s) the capture saturates at, and the share of each
    group's values that lay beyond it (:mod:`imuforge.calibrate.saturation`)."""

    step: ClassVar[str] = "clip_range"
    skipped: ClassVar[None] = None

    scales: list[FullScale]
    clipped: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "scales": [s.to_json() for s in self.scales],
                "clipped": dict(self.clipped)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RangeStep:
        return cls([FullScale.from_json(s) for s in d["scales"]],
                   {k: float(v) for k, v in d["clipped"].items()})


@dataclass
class SkippedStep:
    """A step that was asked for but could not run, and why (e.g. a device fit without a still stretch)."""

    step: str
    skipped: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "skipped": self.skipped}


Step = ChannelStep | FitStep | GravityStep | ResampleStep | AlignStep | MapStep | RangeStep | SkippedStep
_STEPS: dict[str, Any] = {c.step: c for c in (ChannelStep, FitStep, GravityStep, ResampleStep, AlignStep,
                                               MapStep, RangeStep)}


def step_from_json(d: dict[str, Any]) -> Step:
    if "skipped" in d:
        return SkippedStep(d["step"], d["skipped"])
    return _STEPS[d["step"]].from_json(d)


# ---------------------------------------------------------------------------------------------- report
@dataclass
class CalibrationReport:
    """``report.json``: the inputs, the class coverage, the steps, fidelity before / after (and held out),
    what the capture decided and the plots.

    Built step by step by :func:`~imuforge.calibrate.pipeline.calibrate`; the fidelity figures are None
    until measured.
    """

    synthetic: list[str]
    real: list[str]
    synthetic_recordings: int
    real_recordings: int
    real_seconds: float
    real_labels_s: dict[str, float]
    classes: ClassScope
    notes: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    gravity: GravityCheck | None = None
    fidelity_scope: FidelityScope | None = None
    fidelity_before: Fidelity | None = None
    fidelity_after: Fidelity | None = None
    fidelity_after_heldout: HeldOutFidelity | None = None
    realism: RealismCheck | None = None
    findings: list[Finding] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    #: what recorded the capture (:func:`~imuforge.calibrate.pipeline.capture_sources`) → its recordings
    real_sources: dict[str, int] = field(default_factory=dict)

    def step(self, name: str) -> Step | None:
        """The first step called ``name`` (run or skipped), or None."""
        return next((s for s in self.steps if s.step == name), None)

    @property
    def steps_done(self) -> list[str]:
        return [s.step for s in self.steps if s.skipped is None]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "warning"]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"synthetic": list(self.synthetic), "real": list(self.real),
                               "synthetic_recordings": self.synthetic_recordings,
                               "real_recordings": self.real_recordings, "real_seconds": self.real_seconds,
                               "real_labels_s": dict(self.real_labels_s), "classes": self.classes.to_json(),
                               "notes": list(self.notes), "steps": [s.to_json() for s in self.steps]}
        for key in ("gravity", "fidelity_scope", "fidelity_before", "fidelity_after",
                    "fidelity_after_heldout", "realism"):
            part = getattr(self, key)
            if part is not None:
                out[key] = part.to_json()
        out["findings"] = [f.to_json() for f in self.findings]
        out["plots"] = list(self.plots)
        out["real_sources"] = dict(self.real_sources)
        return out

    to_dict = to_json

    def dumps(self) -> str:
        """The text of ``report.json``."""
        return json.dumps(self.to_json(), indent=1, default=_json_default)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.dumps())
        return path

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CalibrationReport:
        def opt(key, typ):
            return None if d.get(key) is None else typ.from_json(d[key])

        return cls(list(d["synthetic"]), list(d["real"]), d["synthetic_recordings"], d["real_recordings"],
                   d["real_seconds"], dict(d["real_labels_s"]), ClassScope.from_json(d["classes"]),
                   list(d.get("notes", [])), [step_from_json(s) for s in d.get("steps", [])],
                   opt("gravity", GravityCheck), opt("fidelity_scope", FidelityScope),
                   opt("fidelity_before", Fidelity), opt("fidelity_after", Fidelity),
                   opt("fidelity_after_heldout", HeldOutFidelity), opt("realism", RealismCheck),
                   [Finding.from_json(f) for f in d.get("findings", [])], list(d.get("plots", [])),
                   dict(d.get("real_sources", {})))

    @classmethod
    def read(cls, path: str | Path) -> CalibrationReport:
        """A report read back from ``report.json`` (a calibrate ``--out`` folder or the file)."""
        path = Path(path)
        return cls.from_json(json.loads((path / "report.json" if path.is_dir() else path).read_text()))


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


__all__ = ["AlignStep", "Auc", "CalibrationReport", "ChannelDistance", "ChannelStep", "ClassScope",
           "Fidelity", "FidelityScope",
           "Finding", "FitStep", "FitSummary", "GravityCheck", "GravityStep", "HeldOutFidelity", "MapStep",
           "PsdComparison", "RangeStep", "RealismCheck", "RealismRow", "ResampleStep", "SkippedStep", "Step",
           "TwoSampleTest", "step_from_json"]
