"""Quality gate for model-made motion: physical plausibility plus relevance to the text.

Plausibility: :func:`imuforge.motion.plausibility.check_plausibility` (foot sliding, ground penetration,
jerk and speed on the joints at HumanML3D's 20 fps; joint range and peak specific force by segment), the
check motion files get too.

Relevance: when the text maps to a library activity (:func:`imuforge.motion.text.parse_description`),
a nearest-centroid classifier trained on the procedural library (:func:`descriptor`: speed,
heights, trunk inclination, limb activity — 12 numbers) must rank that activity among its
``top_k`` closest; a text no library activity covers ("folding laundry") is not judged on relevance,
and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache

import numpy as np

from imuforge.motion.motion import Motion
from imuforge.motion.plausibility import (
    LEG_SHARE,
    PlausibilityLimits,
    PlausibilityReport,
    body_height_m,
    check_plausibility,
)
from imuforge.motion.t2m.features import FPS, resample_positions

_L_HIP, _L_KNEE, _L_ANK, _R_ANK = 1, 4, 7, 8
_NECK, _L_WRIST, _R_WRIST = 12, 20, 21


@dataclass
class QualityReport(PlausibilityReport):
    """A model-made motion's plausibility (:class:`~imuforge.motion.plausibility.PlausibilityReport`) and its
    relevance to the text; ``reasons`` is empty when it is accepted."""

    expected: str | None = None
    ranked: list[str] = field(default_factory=list)
    relevance: str = "unchecked"   # "ok", "mismatch" or "unchecked"


def plausibility(motion: Motion, limits: PlausibilityLimits = PlausibilityLimits()) -> QualityReport:
    """:func:`imuforge.motion.plausibility.check_plausibility` as a :class:`QualityReport`."""
    rep = check_plausibility(motion, limits)
    return QualityReport(**{f.name: getattr(rep, f.name) for f in fields(PlausibilityReport)})


# --------------------------------------------------------------------------- relevance
DESCRIPTOR_NAMES = ("root_speed", "root_height", "root_height_sd", "vertical_rate", "vertical_speed",
                    "trunk_incline", "knee_flexion", "wrist_height", "wrist_speed", "wrist_spread",
                    "foot_speed", "foot_height_sd")


def descriptor(positions: np.ndarray, fps: float) -> np.ndarray:
    """12 activity features of joint positions (T, 22, 3), lengths in units of the leg length."""
    P = resample_positions(positions, fps, FPS)
    leg = body_height_m(P) * LEG_SHARE
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
