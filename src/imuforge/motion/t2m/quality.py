"""Quality gate for model-made motion: physical plausibility plus relevance to the text.

Plausibility (every figure on joints resampled to HumanML3D's 20 fps, so bounds do not depend on
the output rate):

* foot sliding — the procedural library's measure (:func:`imuforge.motion.library.motion_foot_sliding`:
  horizontal drift of the rolling heel→ball contact point over each stance) with stances found
  from the joints: a foot is planted while its toe is within :attr:`PlausibilityLimits.contact_height_m`
  of the floor and moves slower than :attr:`~PlausibilityLimits.contact_speed_mps`; body height
  (for the foot points) from the leg length (thigh + shank = 0.491 H, Winter 2009);
* ground penetration — how far the lowest foot joint goes below the floor (y = 0, where the
  HumanML3D features put it);
* jerk — 99th percentile of the joints' |d³p/dt³|, and the peak joint speed.

Relevance: when the text maps to a library activity (:func:`imuforge.motion.text.parse_description`),
a nearest-centroid classifier trained on the procedural library (:func:`descriptor`: speed,
heights, trunk inclination, limb activity — 12 numbers) must rank that activity among its
``top_k`` closest; a text no library activity covers ("folding laundry") is not judged on relevance,
and the report says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from imuforge.motion.motion import Motion
from imuforge.motion.t2m.features import FPS, resample_positions

_L_HIP, _R_HIP, _L_KNEE, _R_KNEE, _L_ANK, _R_ANK, _L_TOE, _R_TOE = 1, 2, 4, 5, 7, 8, 10, 11
_NECK, _HEAD, _L_WRIST, _R_WRIST = 12, 15, 20, 21


@dataclass(frozen=True)
class PlausibilityLimits:
    """Rejection bounds, set above every activity of the procedural library at 20 fps (2 seeds each,
    tests/motion/test_t2m_quality.py): its largest sliding 0.05 m (lying transitions), jerk p99
    1 780 m/s³ (running; jumping rope 1 060) and joint speed 11.8 m/s (the swing foot at a run)."""

    max_foot_slide_m: float = 0.10
    max_penetration_m: float = 0.05
    max_jerk_p99: float = 2500.0       # m/s³ at 20 fps
    max_speed_mps: float = 15.0
    contact_height_m: float = 0.05
    contact_speed_mps: float = 0.5


@dataclass
class QualityReport:
    """Figures and the verdict for one motion; ``reasons`` is empty when accepted."""

    foot_slide_m: float
    penetration_m: float
    jerk_p99: float
    speed_max_mps: float
    expected: str | None = None
    ranked: list[str] = field(default_factory=list)
    relevance: str = "unchecked"   # "ok", "mismatch" or "unchecked"
    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict:
        d = asdict(self)
        d["accepted"] = self.accepted
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in d.items()}


def _height_m(P: np.ndarray) -> float:
    leg = [np.linalg.norm(P[:, k] - P[:, h], axis=-1) + np.linalg.norm(P[:, a] - P[:, k], axis=-1)
           for h, k, a in ((_L_HIP, _L_KNEE, _L_ANK), (_R_HIP, _R_KNEE, _R_ANK))]
    return float(np.clip(np.median(np.concatenate(leg)) / 0.491, 0.5, 2.5))


def _contacts(P: np.ndarray, fps: float, lim: PlausibilityLimits) -> np.ndarray:
    out = []
    for toe, ank in ((_L_TOE, _L_ANK), (_R_TOE, _R_ANK)):
        low = np.minimum(P[:, toe, 1], P[:, ank, 1] - 0.04)
        v = np.linalg.norm(np.gradient(P[:, toe], axis=0), axis=-1) * fps
        out.append((low < lim.contact_height_m) & (v < lim.contact_speed_mps))
    return np.stack(out, axis=1).astype(float)


def plausibility(motion: Motion, limits: PlausibilityLimits = PlausibilityLimits()) -> QualityReport:
    """Foot sliding, penetration, jerk and speed of a Motion, with a reason per exceeded bound."""
    from imuforge.motion.body import Person
    from imuforge.motion.kinematics import inverse_kinematics
    from imuforge.motion.library import motion_foot_sliding

    P = resample_positions(motion.positions, motion.fps, FPS)
    person = Person(height_m=_height_m(P))
    m20 = Motion(P, inverse_kinematics(P), FPS, meta={"person": person.to_dict()})
    slides = motion_foot_sliding(m20, _contacts(P, FPS, limits), threshold=0.5)
    slide = float(slides.max()) if slides.size else 0.0
    pen = float(max(0.0, -P[:, [_L_ANK, _R_ANK, _L_TOE, _R_TOE], 1].min()))
    jerk = np.linalg.norm(np.diff(P, 3, axis=0), axis=-1) * FPS ** 3 if len(P) > 3 else np.zeros(1)
    speed = np.linalg.norm(np.diff(P, axis=0), axis=-1) * FPS
    rep = QualityReport(slide, pen, float(np.percentile(jerk, 99)), float(speed.max()))
    for value, bound, what, unit in ((slide, limits.max_foot_slide_m, "foot sliding", "m"),
                                     (pen, limits.max_penetration_m, "ground penetration", "m"),
                                     (rep.jerk_p99, limits.max_jerk_p99, "jerk p99", "m/s³"),
                                     (rep.speed_max_mps, limits.max_speed_mps, "joint speed", "m/s")):
        if value > bound:
            rep.reasons.append(f"{what} {value:.3g} {unit} > {bound:g} {unit}")
    return rep


# --------------------------------------------------------------------------- relevance
DESCRIPTOR_NAMES = ("root_speed", "root_height", "root_height_sd", "vertical_rate", "vertical_speed",
                    "trunk_incline", "knee_flexion", "wrist_height", "wrist_speed", "wrist_spread",
                    "foot_speed", "foot_height_sd")


def descriptor(positions: np.ndarray, fps: float) -> np.ndarray:
    """12 activity features of joint positions (T, 22, 3), lengths in units of the leg length."""
    P = resample_positions(positions, fps, FPS)
    leg = _height_m(P) * 0.491
    dt = 1.0 / FPS
    root = P[:, 0]
    vel = np.diff(root, axis=0) / dt
    trunk = P[:, _NECK] - root
    incline = np.arccos(np.clip(trunk[:, 1] / np.linalg.norm(trunk, axis=-1), -1, 1))
    thigh, shank = P[:, _L_KNEE] - P[:, _L_HIP], P[:, _L_ANK] - P[:, _L_KNEE]
    knee = np.arccos(np.clip(np.sum(thigh * shank, -1) / (np.linalg.norm(thigh, axis=-1)
                                                         * np.linalg.norm(shank, axis=-1)), -1, 1))
    wrists, feet = P[:, [_L_WRIST, _R_WRIST]], P[:, [_L_ANK, _R_ANK]]
    wrist_speed = np.linalg.norm(np.diff(wrists - root[:, None], axis=0), axis=-1).mean() / dt
    return np.array([
        np.linalg.norm(vel[:, [0, 2]], axis=-1).mean() / leg, root[:, 1].mean() / leg, root[:, 1].std() / leg,
        (root[-1, 1] - root[0, 1]) / (len(P) * dt) / leg, np.abs(vel[:, 1]).mean() / leg,
        incline.mean(), knee.mean(), (wrists[..., 1] - P[:, None, _NECK, 1]).max(axis=1).mean() / leg,
        wrist_speed / leg, np.linalg.norm(wrists[:, 0] - wrists[:, 1], axis=-1).mean() / leg,
        np.linalg.norm(np.diff(feet - root[:, None], axis=0), axis=-1).mean() / dt / leg,
        feet[..., 1].std(axis=0).mean() / leg])


@dataclass(frozen=True)
class ActivityClassifier:
    """Nearest standardised centroid over :func:`descriptor`, one centroid per library activity."""

    activities: tuple[str, ...]
    centroids: np.ndarray   # (A, 12), standardised
    mean: np.ndarray
    scale: np.ndarray

    def rank(self, positions: np.ndarray, fps: float) -> list[str]:
        z = (descriptor(positions, fps) - self.mean) / self.scale
        return [self.activities[i] for i in np.argsort(np.linalg.norm(self.centroids - z, axis=1))]


@lru_cache(maxsize=2)
def library_classifier(seeds: int = 3, seconds: float = 6.0) -> ActivityClassifier:
    """Train on ``seeds`` motions of every library activity (20 fps); cached per process."""
    from imuforge.motion.library import ACTIVITIES, generate

    X, y = [], []
    for name, act in ACTIVITIES.items():
        for s in range(seeds):
            m = generate(name, None if act.kind == "transition" else seconds, fps=FPS, rng=1000 + s)
            X.append(descriptor(m.positions, m.fps))
            y.append(name)
    X = np.array(X)
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Z = (X - mean) / scale
    names = tuple(ACTIVITIES)
    cents = np.array([Z[[i for i, n in enumerate(y) if n == a]].mean(0) for a in names])
    return ActivityClassifier(names, cents, mean, scale)


def judge(motion: Motion, expected: str | None, *, limits: PlausibilityLimits = PlausibilityLimits(),
          top_k: int = 3) -> QualityReport:
    """Plausibility plus relevance (when ``expected`` names a library activity)."""
    rep = plausibility(motion, limits)
    if expected is None:
        return rep
    rep.expected = expected
    rep.ranked = library_classifier().rank(motion.positions, motion.fps)[:max(top_k, 3)]
    if expected in rep.ranked[:top_k]:
        rep.relevance = "ok"
    else:
        rep.relevance = "mismatch"
        rep.reasons.append(f"looks like {', '.join(rep.ranked[:top_k])}, not {expected}")
    return rep
