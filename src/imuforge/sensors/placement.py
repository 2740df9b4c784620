"""Where a sensor sits on the body: a `Placement` and the named presets.

A placement fixes the sensor rigidly to one body *segment*. Its position is that of an *anchor*
joint (the segment's own joint or a joint at its far end, so it moves rigidly with the segment)
plus an offset expressed in the segment frame (metres). Its orientation is the rotation from the
sensor frame to the segment frame.

Frames follow :mod:`imuforge.motion.skeleton`: in the rest pose (T-pose, palms down) every segment
frame equals the world frame: +y up, +z the body's forward, +x the body's left. So an offset of
``(0, 0, 0.12)`` on the pelvis is 12 cm in front of the pelvis joint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion.skeleton import HUMANML3D_22, SEGMENT_JOINT, Skeleton


def _frame(x, y, z) -> np.ndarray:
    """Rotation matrix whose columns are the sensor's x, y, z axes in the segment frame."""
    m = np.column_stack([x, y, z]).astype(float)
    if not np.allclose(m.T @ m, np.eye(3)) or np.linalg.det(m) < 0:
        raise ValueError("sensor axes must form a right-handed orthonormal frame")
    return m


@dataclass(frozen=True)
class Placement:
    """A sensor pose on a body segment.

    Parameters
    ----------
    name : str
        Preset or user name.
    segment : str
        Segment name (``left_forearm``, ``pelvis`` …, see ``SEGMENT_JOINT``) or a joint name.
    anchor : str
        Joint the offset is measured from; must move rigidly with ``segment`` (the segment's
        own joint or one of its child joints). Defaults to the segment's joint.
    offset_m : (3,) array
        Offset from the anchor in the segment frame, metres.
    rotation : (3, 3) array
        Rotation matrix from the sensor frame to the segment frame.
    description : str
        What this placement is in words, including the sensor axis convention.
    """

    name: str
    segment: str
    anchor: str | None = None
    offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    description: str = ""

    def __post_init__(self):
        rot = np.asarray(self.rotation, dtype=float)
        if rot.shape != (3, 3) or not np.allclose(rot.T @ rot, np.eye(3), atol=1e-9) or np.linalg.det(rot) < 0:
            raise ValidationError(f"placement {self.name!r}: rotation must be a proper 3×3 rotation matrix")
        object.__setattr__(self, "rotation", rot)
        off = tuple(float(v) for v in self.offset_m)
        if len(off) != 3 or not np.all(np.isfinite(off)):
            raise ValidationError(f"placement {self.name!r}: offset_m must be 3 finite numbers (metres)")
        object.__setattr__(self, "offset_m", off)

    def joints(self, skeleton: Skeleton = HUMANML3D_22) -> tuple[int, int]:
        """(segment joint index, anchor joint index) in ``skeleton``, validated."""
        seg_joint = SEGMENT_JOINT.get(self.segment, self.segment)
        seg = skeleton.index(seg_joint)
        anchor = seg if self.anchor is None else skeleton.index(self.anchor)
        if anchor != seg and skeleton.parents[anchor] != seg:
            raise ValidationError(
                f"placement {self.name!r}: anchor {self.anchor!r} does not move rigidly with segment "
                f"{self.segment!r}",
                allowed=f"{seg_joint!r} or its child joints "
                f"{[skeleton.joints[c] for c in skeleton.children(seg)]}",
            )
        return seg, anchor

    def with_rotation(self, rotation: np.ndarray) -> Placement:
        """The same placement with the sensor additionally rotated: ``R_new = R_old @ rotation``.

        ``rotation`` maps the new sensor frame into the old one (used by placement alignment).
        """
        return Placement(self.name, self.segment, self.anchor, self.offset_m,
                         self.rotation @ np.asarray(rotation, float), self.description)


_X, _Y, _Z = np.eye(3)
_UCI_BETA = np.radians(58.0)
"""Where UCI-HAR's belt phone sits around the waist: 58° from straight ahead toward the wearer's left."""
_HIP_BETA = np.radians(45.0)
"""Where a device clipped at the front of the hip sits around the waist: halfway between the front and the
side (an assumption: USC-HAD says "front right hip" and gives no angle)."""

PLACEMENTS: dict[str, Placement] = {
    p.name: p
    for p in [
        Placement(
            "wrist_left", "left_forearm", "left_wrist", (-0.03, 0.025, 0.0),
            _frame(_X, -_Z, _Y),
            "Watch on the back of the left wrist, 3 cm above the joint. Sensor x toward the hand "
            "(3 o'clock), y toward the little-finger side (12 o'clock), z out of the watch face "
            "(Android/Wear OS watch axes).",
        ),
        Placement(
            "wrist_right", "right_forearm", "right_wrist", (0.03, 0.025, 0.0),
            _frame(_X, -_Z, _Y),
            "Watch on the back of the right wrist. Sensor x toward the elbow (3 o'clock), y toward "
            "the little-finger side (12 o'clock), z out of the face.",
        ),
        Placement(
            "waist_front", "pelvis", None, (0.0, 0.0, 0.13),
            _frame(_X, _Y, _Z),
            "Phone or clip on the front of the belt, upright (portrait), screen facing forward "
            "(Android/iOS axes): x to the wearer's left, y up, z forward. Standing still: +y ≈ +g.",
        ),
        Placement(
            "waist_left_landscape", "pelvis", None,
            (0.14 * np.sin(_UCI_BETA), 0.0, 0.14 * np.cos(_UCI_BETA)),
            _frame(_Y, -np.cos(_UCI_BETA) * _X + np.sin(_UCI_BETA) * _Z,
                   np.cos(_UCI_BETA) * _Z + np.sin(_UCI_BETA) * _X),
            "Phone on the waist belt as UCI-HAR holds it: landscape, x up (standing still: +x ≈ +g), "
            "screen facing out at the left front of the waist, 58° from straight ahead toward the "
            "wearer's left; y = z × x points forward and to the wearer's right, along the belt. "
            "Derived from UCI-HAR's gravity means (subject 1: standing x +0.94 g; lying y +0.71, "
            "z +0.45 → atan2 = 58°).",
        ),
        Placement(
            "hip_right_front", "pelvis", None, (-0.14 * np.sin(_HIP_BETA), 0.0, 0.14 * np.cos(_HIP_BETA)),
            _frame(np.cos(_HIP_BETA) * _X + np.sin(_HIP_BETA) * _Z, _Y,
                   np.cos(_HIP_BETA) * _Z - np.sin(_HIP_BETA) * _X),
            "Device clipped upright at the front right of the hip (USC-HAD's MotionNode), face out, 45° "
            "from straight ahead toward the wearer's right: y up (standing still: +y ≈ +g), z out of the "
            "face, x = y × z forward and to the wearer's left, along the belt. USC-HAD states the position, "
            "not the node's axes: calibrate --align fits the turn from a capture.",
        ),
        Placement(
            "hip_left_front", "pelvis", None, (0.14 * np.sin(_HIP_BETA), 0.0, 0.14 * np.cos(_HIP_BETA)),
            _frame(np.cos(_HIP_BETA) * _X - np.sin(_HIP_BETA) * _Z, _Y,
                   np.cos(_HIP_BETA) * _Z + np.sin(_HIP_BETA) * _X),
            "Device clipped upright at the front left of the hip, face out, 45° from straight ahead "
            "toward the wearer's left: y up, z out of the face, x = y × z backward and to the left.",
        ),
        Placement(
            "lower_back", "pelvis", None, (0.0, 0.06, -0.12),
            _frame(-_X, _Y, -_Z),
            "Device on the lower back (L4/L5): x to the wearer's right, y up, z backward.",
        ),
        Placement(
            "pocket_right_thigh", "right_thigh", None, (-0.02, -0.14, 0.07),
            _frame(_X, _Y, _Z),
            "Phone upright in the front right trouser pocket, screen facing forward.",
        ),
        Placement(
            "pocket_left_thigh", "left_thigh", None, (0.02, -0.14, 0.07),
            _frame(_X, _Y, _Z),
            "Phone upright in the front left trouser pocket, screen facing forward.",
        ),
        Placement(
            "chest", "chest", None, (0.0, 0.04, 0.11),
            _frame(_X, _Y, _Z),
            "Chest strap on the sternum: x to the wearer's left, y up, z forward.",
        ),
        Placement(
            "ankle_right", "right_shank", "right_ankle", (-0.04, 0.08, 0.0),
            _frame(_Y, -_Z, -_X),
            "On the outside of the right ankle, 8 cm above the joint: x up the shank, z outward.",
        ),
        Placement(
            "ankle_left", "left_shank", "left_ankle", (0.04, 0.08, 0.0),
            _frame(_Y, _Z, _X),
            "On the outside of the left ankle: x up the shank, z outward.",
        ),
        Placement(
            "knee_right", "right_shank", "right_knee", (-0.05, -0.03, 0.0),
            _frame(_Y, -_Z, -_X),
            "On the outside of the right knee, on the shank 3 cm below the joint line (DSADS's leg units "
            "sat on the outer side of the knees): x up the shank, z outward.",
        ),
        Placement(
            "knee_left", "left_shank", "left_knee", (0.05, -0.03, 0.0),
            _frame(_Y, _Z, _X),
            "On the outside of the left knee, on the shank just below the joint line: x up the shank, z "
            "outward.",
        ),
        Placement(
            "shin_right", "right_shank", "right_ankle", (0.0, 0.20, 0.045),
            _frame(_X, _Y, _Z),
            "Phone strapped upright on the front of the right shin, 20 cm above the ankle, screen out "
            "(Android / iOS axes, RealWorld HAR's shin position): x to the wearer's left, y up the "
            "shank, z forward. Standing still: +y ≈ +g.",
        ),
        Placement(
            "shin_left", "left_shank", "left_ankle", (0.0, 0.20, 0.045),
            _frame(_X, _Y, _Z),
            "Phone strapped upright on the front of the left shin: x to the wearer's left, y up the "
            "shank, z forward.",
        ),
        Placement(
            "forearm_left", "left_forearm", "left_wrist", (-0.12, 0.03, 0.0),
            _frame(-_Z, -_X, _Y),
            "Phone or sensor strapped along the back of the left forearm, halfway to the elbow, its top "
            "toward the elbow, screen out (Android / iOS axes; RealWorld HAR's forearm device imports as a "
            "watch, wrist_left): y toward the elbow (arm hanging: +y ≈ +g), z out of the back of the "
            "forearm.",
        ),
        Placement(
            "forearm_right", "right_forearm", "right_wrist", (0.12, 0.03, 0.0),
            _frame(_Z, _X, _Y),
            "Phone or sensor strapped along the back of the right forearm, its top toward the elbow, "
            "screen out (the mirror of forearm_left): y toward the elbow, z out of the back of the forearm.",
        ),
        Placement(
            "foot_right", "right_foot", None, (0.0, 0.02, 0.05),
            _frame(_Z, _X, _Y),
            "On the right shoe's instep (a gait sensor laced to the shoe), 5 cm ahead of the ankle "
            "joint: x forward along the foot, y to the wearer's left, z up. Standing still: +z ≈ +g.",
        ),
        Placement(
            "foot_left", "left_foot", None, (0.0, 0.02, 0.05),
            _frame(_Z, _X, _Y),
            "On the left shoe's instep: x forward along the foot, y to the wearer's left, z up.",
        ),
        Placement(
            "upper_arm_left", "left_upper_arm", "left_elbow", (-0.12, 0.04, 0.0),
            _frame(_X, -_Z, _Y),
            "Arm band on the outside of the left upper arm: x toward the elbow, z outward.",
        ),
        Placement(
            "upper_arm_right", "right_upper_arm", "right_elbow", (0.12, 0.04, 0.0),
            _frame(_X, -_Z, _Y),
            "Arm band on the outside of the right upper arm (the mirror of upper_arm_left with x "
            "reversed to stay right-handed): x toward the shoulder, z outward.",
        ),
        Placement(
            "head", "head", None, (0.0, 0.08, 0.09),
            _frame(_X, _Y, _Z),
            "Glasses / earbud-like sensor on the forehead: x left, y up, z forward.",
        ),
    ]
}


_MIRROR = np.diag([-1.0, 1.0, 1.0])
"""Reflection through the sagittal plane (x is the body's left)."""


def body_site(placement: str) -> str:
    """A placement name without its side (``pocket_left_thigh`` → ``pocket_thigh``): synthetic people wear
    a device on either side by default, so only the site tells two sets of recordings apart."""
    return "_".join(w for w in placement.split("_") if w not in ("left", "right"))


def sites_apart(reference: set[str] | frozenset[str], other: set[str] | frozenset[str]) -> list[str]:
    """The placements of ``other`` at a body site none of ``reference`` is worn at (either side of a site
    counts as the site); empty when either set names no placement."""
    if not reference or not other:
        return []
    known = {body_site(p) for p in reference}
    return sorted(p for p in other if body_site(p) not in known)


def _swap_side(name: str | None) -> str | None:
    if name is None:
        return None
    return re.sub(r"left|right", lambda m: "right" if m.group(0) == "left" else "left", name)


def mirror_placement(placement: Placement) -> Placement:
    """The same placement on the other side of the body.

    Segment and anchor swap sides, the offset is reflected through the sagittal plane (x negated)
    and the sensor frame is reflected too, with its x axis reversed so it stays right-handed
    (``R' = S R S``, S = diag(−1, 1, 1)): a watch on the left wrist with x toward the hand becomes
    one on the right wrist with x toward the elbow, which is how a watch reads when worn the
    usual way on the right wrist. When the other side is a preset (``wrist_left`` ↔
    ``wrist_right``, pocket, ankle, upper arm) that preset is returned, with the offset reflected.
    A placement on a central segment (pelvis, chest, head) is returned unchanged.
    """
    segment = _swap_side(placement.segment)
    if segment == placement.segment:
        return placement
    name = _swap_side(placement.name)
    if name == placement.name:
        name = placement.name + "~mirrored"
    off = (-placement.offset_m[0], placement.offset_m[1], placement.offset_m[2])
    preset = PLACEMENTS.get(name)
    if preset is not None and preset.segment == segment:
        return Placement(preset.name, preset.segment, preset.anchor, off, preset.rotation, preset.description)
    return Placement(name, segment, _swap_side(placement.anchor), off, _MIRROR @ placement.rotation @ _MIRROR,
                     (placement.description + " (mirrored to the other side)").strip())


def get_placement(placement: str | Placement) -> Placement:
    """A preset by name (or a Placement passed through)."""
    if isinstance(placement, Placement):
        return placement
    try:
        return PLACEMENTS[placement]
    except KeyError:
        import difflib

        # the same words in another order first ('left_wrist' is wrist_left), then the closest spellings
        words = sorted(str(placement).lower().replace("-", "_").split("_"))
        close = [n for n in PLACEMENTS if sorted(n.split("_")) == words] or \
            difflib.get_close_matches(str(placement), list(PLACEMENTS), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValidationError(f"unknown placement {placement!r}{hint}",
                              allowed=", ".join(PLACEMENTS)) from None
