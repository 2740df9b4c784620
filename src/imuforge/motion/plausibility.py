"""Physical plausibility of a Motion: the one check for imported, model-made and procedural motion alike.

A motion a body cannot perform gives IMU signals no device will ever read: a foot that skates over
the floor, a knee bent past its range, a wrist jolted at 40 g by a tracking glitch.
:func:`check_plausibility` measures a motion and names every bound it exceeds. Imported motion files
(:func:`imuforge.motion.importers.load_motion_file`: HumanML3D ``.npy``, ``.bvh``) are refused with the
reasons unless the user keeps them on purpose (``--allow-implausible``); their report goes to the motion's
``meta["plausibility"]`` and from there to every Recording simulated from it (``provenance["motion"]``).
Text-to-motion samples are dropped and sampled again (:mod:`imuforge.motion.t2m.quality`; their report in
``meta["spec"]["quality"]``). The procedural library checks every motion it makes on its own foot
contacts (:func:`imuforge.motion.library.schedule`'s ``plausibility``: a rejected draw is drawn again, the
reasons kept in ``meta["plausibility"]["rejected_draws"]``; one no draw fixes is kept and flagged), and its
tests bound every activity and joint (tests/motion).

What is measured (:class:`PlausibilityLimits` holds the bounds, :class:`PlausibilityReport` the figures):

* **foot sliding** — horizontal drift of a planted foot's rolling heel → ball contact point within any
  :attr:`~PlausibilityLimits.slide_window_s` of one stance (the library's measure,
  :func:`imuforge.motion.library._core.foot_sliding` with a window), stances found from the joints: a foot is
  planted while its toe is within :attr:`~PlausibilityLimits.contact_height_m` of the floor and slower
  than :attr:`~PlausibilityLimits.contact_speed_mps`; body height (for the foot points) from the leg
  length (thigh + shank = 0.491 H, Winter 2009). The window keeps a minute of standing from summing
  sub-millimetre drift into a "slide"; a walking stance (≈ 0.6–0.8 s) fits in it whole. Where the
  motion's maker knows its stances (the procedural library's contacts), on those, at the motion's rate,
  the windows from and to every frame at ≈ 20 fps;
* **ground penetration** — how far the lowest foot joint goes below the floor (y = 0), on level ground
  only: where the floor under the feet moves between levels (stairs, a lift, a kerb) by more than
  :attr:`~PlausibilityLimits.level_tolerance_m` it is not one plane and this is not measured (so a body
  that sinks through the floor part of the way and stays there passes as one that went down stairs);
* **jerk** — 99th percentile of the joints' |d³p/dt³|, and the peak joint speed;
  these four on the joints resampled to 20 fps (HumanML3D's rate, so a bound does not depend on the
  motion's rate);
* **joint range** — per joint the largest *swing* of its bone away from the rest pose's direction
  relative to its parent (:func:`joint_swing_deg`; twist is left out: it is what a skeleton's inverse
  kinematics makes least reliably) against the anatomical maxima of :data:`JOINT_SWING_MAX_DEG`, at every
  k-th frame (≈ 20 fps: a posture's range, not a glitch — the specific force below sees those);
* **peak specific force by segment** — the largest |p̈ − g| of each joint over the whole motion, the
  positions low-passed at :data:`FORCE_LOWPASS_HZ` first (zero-phase; differentiating twice amplifies a
  marker's millimetre jitter by fps²: 1 mm at 120 fps reads ≈ 15 g unfiltered). The peak, not a percentile:
  a 99.9th percentile leaves out the top 0.1 % of frames, so one glitching frame in a motion of more than
  ≈ 1000 frames (10 s at 100 fps) was never read; over every library activity the peak is within 0.8 g of
  the 99.9th percentile. Trunk joints against
  :attr:`~PlausibilityLimits.trunk_force_g`, limb joints against
  :attr:`~PlausibilityLimits.limb_force_g` (tests/motion/test_plausibility.py's bounds: ≈ 3–6 g at the
  trunk on landing from a jump, 5–15 g at the shank in running and landings, 16 g the full scale of
  typical wearable IMUs).
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion.motion import Motion
from imuforge.motion.quat import vector_norms
from imuforge.motion.skeleton import HUMANML3D_22
from imuforge.motion.t2m.features import FPS, resample_positions  # HumanML3D's 20 fps (numpy only)
from imuforge.units import STANDARD_GRAVITY

#: Low-pass (Hz, zero-phase 4th-order Butterworth) of the positions before their specific force is taken.
#: Body motion carries little above ≈ 10–15 Hz outside impacts (Winter 2009 recommends ≈ 6 Hz for gait
#: marker data); the library keeps its peaks with it (at most 11.7 g at a limb joint and 4.4 g at the trunk
#: over every activity, both running); a joint 20 cm off from one frame on (a marker swap) reads ≈ 20 g with
#: it, 51 g without (50 fps).
FORCE_LOWPASS_HZ = 15.0

_L_HIP, _R_HIP, _L_KNEE, _R_KNEE, _L_ANK, _R_ANK, _L_TOE, _R_TOE = 1, 2, 4, 5, 7, 8, 10, 11

#: The largest swing (deg) of each joint's bone from its rest direction relative to the parent segment
#: (:func:`joint_swing_deg`; the rest pose is the skeleton's T-pose: legs straight down, arms out to the
#: sides, feet forward). Anatomical maxima with a margin: knee flexion ≈ 140–160° passive; elbow ≈ 145–150°;
#: hip flexion ≈ 120–140°, abduction ≈ 45°; ankle plantarflexion ≈ 50° and dorsiflexion ≈ 20–30°; the
#: thoracolumbar spine ≈ 80–110° of flexion over its three segments; the cervical spine ≈ 45–80° (the
#: American Academy of Orthopaedic Surgeons' ranges; Greene & Heckman 1994, *The Clinical Measurement of
#: Joint Motion*). The library's largest over every activity (3 seeds × 30 s): hip 131° (rising from a
#: chair), elbow 147° (ironing), knee 115° (cycling), ankle 42° (stairs down), neck 50° (sitting), a spine
#: segment 14°. Not bounded: the shoulders (any swing from the T-pose is reachable), the wrists and toes
#: (no child joint), the head.
JOINT_SWING_MAX_DEG = MappingProxyType({
    "left_hip": 140.0, "right_hip": 140.0, "left_knee": 165.0, "right_knee": 165.0,
    "left_ankle": 75.0, "right_ankle": 75.0, "left_elbow": 165.0, "right_elbow": 165.0,
    "spine1": 70.0, "spine2": 70.0, "spine3": 70.0, "neck": 90.0,
    "left_collar": 50.0, "right_collar": 50.0,
})
#: Joints whose specific force is bounded as the trunk's (the others are limb joints).
TRUNK_JOINTS = frozenset({"pelvis", "left_hip", "right_hip", "spine1", "spine2", "spine3", "neck", "head",
                          "left_collar", "right_collar"})


@dataclass(frozen=True)
class PlausibilityLimits:
    """Rejection bounds. Sliding, penetration, jerk and speed sit above every activity of the procedural
    library at 20 fps (2 seeds each, tests/motion/test_t2m_quality.py): its largest jerk p99 1 780 m/s³
    (running; jumping rope 1 060) and joint speed 11.8 m/s (the swing foot at a run); joint swings and
    specific forces: see the module docstring."""

    max_foot_slide_m: float = 0.10
    max_penetration_m: float = 0.05
    max_jerk_p99: float = 2500.0       # m/s³ at 20 fps
    max_speed_mps: float = 15.0
    contact_height_m: float = 0.05
    contact_speed_mps: float = 0.25
    slide_window_s: float = 2.0
    level_tolerance_m: float = 0.10
    trunk_force_g: float = 8.0         # peak |p̈ − g| at a trunk joint
    limb_force_g: float = 16.0         # … at a limb joint
    joint_margin_deg: float = 0.0      # added to every maximum of JOINT_SWING_MAX_DEG

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (np.isfinite(v) and v >= 0):
                raise ValidationError(f"plausibility limit {f.name}={v!r} is not a number ≥ 0",
                                      allowed="finite numbers ≥ 0 (a figure over its bound is a reason)")


@dataclass
class PlausibilityReport:
    """Figures and the verdict for one motion; ``reasons`` is empty when it is accepted.
    ``penetration_m`` is NaN where the ground is not level; ``joint_swing_deg`` holds the largest swing of
    each bounded joint, ``force_g`` the peak specific force of the trunk and of the limb joints."""

    foot_slide_m: float
    penetration_m: float
    jerk_p99: float
    speed_max_mps: float
    joint_swing_deg: dict[str, float] = field(default_factory=dict)
    force_g: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict:
        """The fields (floats to 5 decimals, None where not measured) and the verdict, in new containers (as
        ``dataclasses.asdict`` would give them, without its deep copies: the report of every motion a
        corpus makes goes through here)."""
        def rounded(v):
            if isinstance(v, dict):
                return {k: rounded(x) for k, x in v.items()}
            if isinstance(v, list):
                return [rounded(x) for x in v]
            if isinstance(v, float):
                return None if not np.isfinite(v) else round(v, 5)
            return v

        return {**{f.name: rounded(getattr(self, f.name)) for f in fields(self)}, "accepted": self.accepted}


def joint_swing_deg(motion: Motion, every: int = 1) -> dict[str, np.ndarray]:
    """Per bounded joint (:data:`JOINT_SWING_MAX_DEG`), the angle (deg, (T,)) between its bone's rest
    direction (the offset of its child joint) and that direction turned by the joint's local rotation:
    the joint's bend from the rest pose, whatever the twist about the bone (at every ``every``-th frame).
    HumanML3D's 22 joints only."""
    from imuforge.motion import quat as Q

    sk = motion.skeleton
    if sk != HUMANML3D_22:
        return {}
    joints, parents, rest = _swing_table()
    G = motion.orientations[::every]
    n, k = len(G), len(joints)
    local = Q.qmul(Q.qconj(G[:, parents].reshape(-1, 4)), G[:, joints].reshape(-1, 4))  # all joints at once
    turned = Q.qrot(local, np.broadcast_to(rest, (n, k, 3)).reshape(-1, 3)).reshape(n, k, 3)
    angle = np.degrees(np.arccos(np.clip(np.einsum("nkc,kc->nk", turned, rest), -1.0, 1.0)))
    return {name: angle[:, i] for i, name in enumerate(JOINT_SWING_MAX_DEG)}


@functools.lru_cache(maxsize=1)
def _swing_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(joint, parent indices, unit rest directions of their child bones (k, 3)) of
    :data:`JOINT_SWING_MAX_DEG`'s joints on HumanML3D's skeleton."""
    from imuforge.motion.skeleton import rest_offsets

    sk, off = HUMANML3D_22, rest_offsets(1.0)
    joints = np.array([sk.index(name) for name in JOINT_SWING_MAX_DEG])
    rest = np.array([off[sk.parents.index(j)] for j in joints], dtype=float)
    rest /= np.linalg.norm(rest, axis=1, keepdims=True)
    parents = np.array([sk.parents[j] for j in joints])
    for table in (joints, parents, rest):
        table.setflags(write=False)
    return joints, parents, rest


@functools.lru_cache(maxsize=16)
def _lowpass_sos(cutoff_hz: float, fps: float) -> np.ndarray:
    from scipy.signal import butter

    return butter(4, cutoff_hz, fs=fps, output="sos")


def specific_force_g(motion: Motion, lowpass_hz: float | None = FORCE_LOWPASS_HZ, *,
                     percentile: float = 100.0) -> np.ndarray:
    """Each joint's |p̈ − g| over time (g, (J,); central second differences of the positions, y up): its
    peak, or the given ``percentile``; the positions low-passed at ``lowpass_hz`` first (zero-phase; not
    where the frame rate is below 2.5 × it, or with None)."""
    if not 0.0 <= percentile <= 100.0:
        raise ValidationError(f"percentile {percentile!r} is not within 0 … 100",
                              allowed="0 … 100 (100: the peak)")
    P = motion.positions
    if len(P) < 3:
        return np.full(P.shape[1], np.nan)
    if lowpass_hz is not None and motion.fps > 2.5 * lowpass_hz and len(P) > 27:
        from imuforge._zerophase import sosfiltfilt

        P = sosfiltfilt(_lowpass_sos(float(lowpass_hz), float(motion.fps)), P, axis=0)
    acc = (P[2:] - 2 * P[1:-1] + P[:-2]) * motion.fps ** 2
    acc[..., 1] += STANDARD_GRAVITY  # a − g with g pointing down (−y)
    force = vector_norms(acc)
    top = force.max(axis=0) if percentile >= 100.0 else np.percentile(force, percentile, axis=0)
    return top / STANDARD_GRAVITY


#: thigh + shank as a share of stature (Winter 2009, *Biomechanics and Motor Control of Human Movement*)
LEG_SHARE = 0.491


def stature(P: np.ndarray) -> float:
    """The stature a skeleton's legs give, in the units of its joint positions ``P`` (T, 22, 3): the median
    over frames and sides of hip–knee + knee–ankle over :data:`LEG_SHARE`. A rigid skeleton's segment
    lengths do not depend on the pose (the head-to-ankle span of the first frame did: a file starting seated
    on the floor read its centimetres as inches)."""
    legs = [np.linalg.norm(P[:, k] - P[:, h], axis=-1) + np.linalg.norm(P[:, a] - P[:, k], axis=-1)
            for h, k, a in ((_L_HIP, _L_KNEE, _L_ANK), (_R_HIP, _R_KNEE, _R_ANK))]
    return float(np.median(np.concatenate(legs))) / LEG_SHARE




def body_height_m(P: np.ndarray) -> float:
    """Body height (m) of joints ``P`` in metres: :func:`stature`, within 0.5 … 2.5 m."""
    return float(np.clip(stature(P), 0.5, 2.5))


#: (toe joint, ankle joint) of the left and the right foot
_FEET = ((_L_TOE, _L_ANK), (_R_TOE, _R_ANK))


def _foot_lows(P: np.ndarray) -> np.ndarray:
    """Per frame and foot (n, 2), the foot's lowest point (m): its toe joint, or its ankle less 4 cm (the
    ankle's height over the sole)."""
    return np.stack([np.minimum(P[:, toe, 1], P[:, ank, 1] - 0.04) for toe, ank in _FEET], axis=1)


def _contacts(P: np.ndarray, fps: float, lim: PlausibilityLimits) -> np.ndarray:
    """Per frame and foot (n, 2), 1 where the foot is planted: low and slow (see the module docstring)."""
    speed = np.linalg.norm(np.gradient(P[:, [toe for toe, _ in _FEET]], axis=0), axis=-1) * fps  # (n, 2)
    return ((_foot_lows(P) < lim.contact_height_m) & (speed < lim.contact_speed_mps)).astype(float)


def foot_slide_m(P: np.ndarray, lim: PlausibilityLimits) -> float:
    """The largest horizontal drift (m) of a planted foot's contact point within ``lim.slide_window_s`` of
    one stance, on joints ``P`` at :data:`FPS` (stances from the joints, a body sized from the legs)."""
    from imuforge.motion.body import Person
    from imuforge.motion.kinematics import inverse_kinematics
    from imuforge.motion.library._core import foot_sliding

    person = Person(height_m=body_height_m(P))
    drift = foot_sliding(P, inverse_kinematics(P), _contacts(P, FPS, lim), person, FPS, threshold=0.5,
                         window_s=lim.slide_window_s)
    return float(drift.max()) if drift.size else 0.0


def _every(fps: float) -> int:
    """The frame step that brings ``fps`` to about :data:`FPS` (1 at or below it): the sliding windows' and
    the joint swings' (slow figures; the specific force keeps every frame)."""
    return max(int(fps // FPS), 1)


def _known_slide_m(motion: Motion, contact: np.ndarray, lim: PlausibilityLimits) -> float:
    """:func:`foot_slide_m` where the motion's maker knows its stances: ``contact`` (T, 2) the feet's
    loading (a stance where it is ≥ 0.999, the library's own measure), at the motion's rate, with its
    orientations and its person (``meta["person"]``, else sized from the legs)."""
    from imuforge.motion.body import Person
    from imuforge.motion.library._core import foot_sliding

    contact = np.asarray(contact, dtype=float)  # its shape checked by check_plausibility
    known = motion.meta.get("person")
    person = Person(**known) if isinstance(known, dict) else Person(height_m=body_height_m(motion.positions))
    drift = foot_sliding(motion.positions, motion.orientations, contact, person, motion.fps,
                         window_s=lim.slide_window_s, every=_every(motion.fps))
    return float(drift.max()) if drift.size else 0.0


def penetration_m(P: np.ndarray, lim: PlausibilityLimits) -> float:
    """How far the feet go below y = 0 (m), on joints ``P`` at :data:`FPS`, or NaN where the ground is not
    level: the floor under the feet (per 1-s window — half the motion where it is shorter than 2 s —
    overlapping by half, the last one ending with the motion: the 5th percentile of the higher foot's lowest
    point — where the floor is when one foot is on it, not pulled down by the other going through it) moves
    by more than ``lim.level_tolerance_m``."""
    low = _foot_lows(P).max(axis=1)
    w = max(min(int(FPS), len(low) // 2), 1)  # two windows at least: a 1-s descent changes level too
    starts = np.array(sorted({*range(0, len(low) - w + 1, max(w // 2, 1)), len(low) - w}))
    floors = np.percentile(low[starts[:, None] + np.arange(w)], 5, axis=1)  # every window in one call
    if floors.max() - floors.min() > lim.level_tolerance_m:
        return float("nan")
    return float(max(0.0, -P[:, [_L_ANK, _R_ANK, _L_TOE, _R_TOE], 1].min()))


def check_plausibility(motion: Motion, limits: PlausibilityLimits | None = None, *,
                       contact: np.ndarray | None = None) -> PlausibilityReport:
    """Measure ``motion`` against ``limits`` (default :class:`PlausibilityLimits`); every exceeded bound is a
    reason in the report (see the module docstring). ``contact``: (T, 2) the feet's loading where the
    motion's maker knows it (the procedural library): foot sliding is then measured on those stances at
    the motion's own rate instead of on stances found from the joints."""
    if motion.skeleton != HUMANML3D_22:
        raise ValidationError(f"the plausibility check reads HumanML3D's 22 joints, "
                              f"not {motion.skeleton.name!r}",
                              allowed="a Motion on HUMANML3D_22 (every importer maps onto it)")
    lim = limits or PlausibilityLimits()
    if contact is not None and np.shape(contact) != (motion.n_frames, 2):
        raise ValidationError(f"contact has shape {np.shape(contact)}, the motion {motion.n_frames} frames",
                              allowed="(frames, 2): the left and the right foot's loading, 0 … 1")
    P = resample_positions(motion.positions, motion.fps, FPS)
    if len(P) < 4:  # under 0.15 s: no stance, no jerk to speak of
        rep = PlausibilityReport(np.nan, np.nan, np.nan, np.nan)
    else:
        jerk = vector_norms(np.diff(P, 3, axis=0)) * FPS ** 3
        speed = vector_norms(np.diff(P, axis=0)) * FPS
        slide = foot_slide_m(P, lim) if contact is None else _known_slide_m(motion, contact, lim)
        rep = PlausibilityReport(slide, penetration_m(P, lim), float(np.percentile(jerk, 99)),
                                 float(speed.max()))
    for value, bound, what, unit in ((rep.foot_slide_m, lim.max_foot_slide_m, "foot sliding", "m"),
                                     (rep.penetration_m, lim.max_penetration_m, "ground penetration", "m"),
                                     (rep.jerk_p99, lim.max_jerk_p99, "jerk p99", "m/s³"),
                                     (rep.speed_max_mps, lim.max_speed_mps, "joint speed", "m/s")):
        if value > bound:  # NaN (not measured) is never over
            rep.reasons.append(f"{what} {value:.3g} {unit} > {bound:g} {unit}")
    for name, swing in joint_swing_deg(motion, every=_every(motion.fps)).items():
        rep.joint_swing_deg[name] = top = float(swing.max())
        bound = JOINT_SWING_MAX_DEG[name] + lim.joint_margin_deg
        if top > bound:
            rep.reasons.append(f"{name} bent {top:.0f}° > {bound:g}°")
    _check_forces(motion, lim, rep)
    return rep


def _check_forces(motion: Motion, lim: PlausibilityLimits, rep: PlausibilityReport) -> None:
    """Add the peak specific force of the trunk's and the limbs' joints to ``rep`` (its ``force_g``, and a
    reason for each over its bound)."""
    force, names = specific_force_g(motion), motion.skeleton.joints
    for group, bound in (("trunk", lim.trunk_force_g), ("limbs", lim.limb_force_g)):
        idx = [i for i, n in enumerate(names) if (n in TRUNK_JOINTS) == (group == "trunk")]
        if idx and np.isfinite(force[idx]).all():
            i = idx[int(np.argmax(force[idx]))]
            rep.force_g[group] = float(force[i])
            if force[i] > bound:
                rep.reasons.append(f"{names[i]} specific force {force[i]:.3g} g > {bound:g} g "
                                   f"(peak, {group})")


def check_forces(motion: Motion, limits: PlausibilityLimits | None = None) -> PlausibilityReport:
    """The specific-force part of :func:`check_plausibility` alone: for a motion whose body the rest cannot
    read (a rigid trajectory on the skeleton, joints at one point), which no body can hold to more than its
    peak forces either — a motion in cm instead of m reads ≈ 100 g."""
    rep = PlausibilityReport(np.nan, np.nan, np.nan, np.nan)
    _check_forces(motion, limits or PlausibilityLimits(), rep)
    return rep


def implausible_note(flagged, total: int, what: str, where: str = "provenance['motion']['plausibility']",
                     why: str = "no redraw of the person made them plausible") -> str | None:
    """One warning line naming the ``flagged`` of ``total`` ``what`` (e.g. "motions") that were kept
    although their plausibility report rejects them (``why``: the library's draws that no redraw made
    plausible, imports kept with ``--allow-implausible``): the first three by name, or None when there are
    none. ``where``: where the flag is kept (a Recording's provenance; a motion file's ``meta``)."""
    flagged = list(flagged)
    if not flagged:
        return None
    more = f"; and {len(flagged) - 3} more" if len(flagged) > 3 else ""
    return (f"warning: {len(flagged)} of {total} {what} are implausible ({why}), kept and flagged in their "
            f"{where}: {'; '.join(flagged[:3])}{more}")


def is_flagged(meta: dict) -> bool:
    """Whether a motion's meta (or a Recording's ``provenance["motion"]``) holds a plausibility report
    that rejects it."""
    return not meta.get("plausibility", {}).get("accepted", True)


__all__ = ["FORCE_LOWPASS_HZ", "FPS", "JOINT_SWING_MAX_DEG", "LEG_SHARE", "PlausibilityLimits",
           "PlausibilityReport", "TRUNK_JOINTS", "body_height_m", "check_forces", "check_plausibility",
           "foot_slide_m", "implausible_note", "is_flagged", "joint_swing_deg", "penetration_m",
           "specific_force_g", "stature"]
