"""Variation of wear: every (virtual) person puts the device on a little differently.

A :class:`~imuforge.sensors.placement.Placement` is the nominal pose of a device on a body
segment. Real people never wear it exactly so. For each person and placement this module draws

* **rotation** of the device on the segment: three angles about the segment's long axis ``a``,
  the skin normal ``n`` (the device's outward face) and ``t = n × a``; a strap turns around a limb
  more than it tilts, a phone sits at any yaw in the plane of a trouser pocket;
* **offset** along the segment's long axis (a watch sits higher or lower on the forearm);
* **flips**, the discrete ways a phone goes into a pocket or holster: upright or upside down,
  screen out or in (rotations of 180° about the device's own z, y or x axis), and a watch worn
  with its crown toward the hand or toward the elbow (180° about the face normal);
* **side**: a watch on the left or the right wrist, a phone in the left or right pocket (the
  placement is mirrored onto the other limb; the other arm's motion is then what it measures);
* **looseness**: the device on soft tissue and a strap is a damped second-order oscillator driven
  by the segment's acceleration (see :func:`wobble_response` and :func:`apply_looseness`).

What is drawn is a :class:`Wear` (all numbers in SI, angles in degrees for provenance); the
switches are a :class:`WearVariation`. The draws are seeded by the *person* (see
:func:`wear_key`): the same body wears the device the same way in every activity, and the error
seed of the device does not change how it is worn. Each source draws from its own stream, so
switching one off leaves the others' realisations unchanged.

The distributions and their sources are tabulated in :data:`SPREADS` and docs/PROFILES.md
("Variation of wear"). Soft-tissue figures: tangential skin stiffness 330–1900 N/m under a
skin-mounted mass (Karlsson & Tranberg 1999, "On skin movement artefact – resonant frequencies of
skin markers attached to the leg", Human Movement Science 18:627–635), which with the device's
mass m gives f_n = √(k/m)/2π; soft-tissue vibrations are heavily damped and stiffer/more damped
normal to the skin than along the segment (Wakeling & Nigg 2001, "Modification of soft tissue
vibrations in the leg by muscular activity", J Appl Physiol 90:412–420), so only the tangential
wobble is modelled. Muscle activity raises the soft tissue's damping (and frequency), and runners'
muscles are active at every landing, so that soft-tissue vibration is "minimal during running"
(Wakeling & Nigg 2001; at heel strike in walking too, by less: Wakeling, Liphardt & Nigg 2003, J
Biomech 36:1761): the damping ratio is drawn per person for two muscle states (:data:`TUNED_LABELS`,
:func:`muscle_activity`) — in walking and everything else 0.12–0.3 (the resonance of the only pocket
recording here, 6.3–9.8 Hz at half power around 8.5 Hz: ζ ≈ 0.2), landing from flight (running,
jumping) 0.5–0.9 (an assumption within "minimal"); one uniform draw places the person in both ranges.
"""

from __future__ import annotations

import functools
import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy import linalg
from scipy.ndimage import uniform_filter1d
from scipy.signal import lfilter
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.motion.quat import cross  # np.cross's bits without its per-call overhead
from imuforge.sensors.hardware import words_rng
from imuforge.sensors.placement import PLACEMENTS, Placement, mirror_placement
from imuforge.switches import Switches, field_names

# ------------------------------------------------------------------------------------ switches


@dataclass(frozen=True)
class WearVariation(Switches):
    """Which sources of wear variation are on. All are on by default; ``none()`` is the exact preset
    (the device sits exactly at the placement); ``parse(None)`` is ``none()``."""

    WHAT: ClassVar[str] = "wear variation"
    NONE_IS_OFF: ClassVar[bool] = True

    rotation: bool = True
    offset: bool = True
    looseness: bool = True
    flips: bool = True
    side: bool = True


# ------------------------------------------------------------------------ configured spreads
FLIPS: dict[str, np.ndarray] = {
    "none": np.eye(3),
    "upside_down": np.diag([-1.0, -1.0, 1.0]),             # 180° about the device z (screen / face normal)
    "screen_in": np.diag([-1.0, 1.0, -1.0]),               # 180° about the device y: screen toward the body
    "screen_in_upside_down": np.diag([1.0, -1.0, -1.0]),   # 180° about the device x
}
"""Discrete device flips (sensor-frame rotations, applied as ``R_preset @ F``)."""


@dataclass(frozen=True)
class WearSpread:
    """How one kind of device varies between wearers: the configured distributions.

    Angles in degrees, lengths in metres. Rotation about the long axis, the normal and the third
    axis are normal with SDs ``rotation_sd_deg``; with ``yaw_half_width_deg > 0`` the rotation
    about the normal is uniform in ±that instead; ``tilt_range_deg`` adds an angle uniform in that
    range about the third axis (a device on a sloping surface, e.g. a shoe's instep).
    ``flips``/``flip_p`` are the discrete flips and their probabilities; ``p_dominant_side`` the
    probability of wearing it on the dominant-hand side (None: a central segment, no side).
    Looseness: stiffness log-uniform in ``stiffness_n_per_m``, damping ratio uniform in ``damping`` (muscles
    that do not brace for a landing) and at the same place in ``damping_active`` (landing from flight,
    :data:`TUNED_LABELS`), device ``mass_kg``, the wobble's rotation is the tangential displacement over
    ``pivot_m``.
    """

    name: str
    rotation_sd_deg: tuple[float, float, float]
    offset_sd_m: float
    yaw_half_width_deg: float = 0.0
    tilt_range_deg: tuple[float, float] = (0.0, 0.0)
    flips: tuple[str, ...] = ("none",)
    flip_p: tuple[float, ...] = (1.0,)
    p_dominant_side: float | None = None
    mass_kg: float = 0.03
    stiffness_n_per_m: tuple[float, float] = (330.0, 1900.0)
    damping: tuple[float, float] = (0.12, 0.3)
    damping_active: tuple[float, float] = (0.5, 0.9)
    pivot_m: float = 0.04
    sources: dict = field(default_factory=dict)

    def __post_init__(self):
        bad = []
        if len(self.rotation_sd_deg) != 3 or any(not (0 <= v <= 45) for v in self.rotation_sd_deg):
            bad.append("rotation_sd_deg: three SDs in [0, 45]°")
        if not 0 <= self.offset_sd_m <= 0.1:
            bad.append("offset_sd_m in [0, 0.1] m")
        if not 0 <= self.yaw_half_width_deg <= 180:
            bad.append("yaw_half_width_deg in [0, 180]°")
        if len(self.tilt_range_deg) != 2 or not -90 <= self.tilt_range_deg[0] <= self.tilt_range_deg[1] <= 90:
            bad.append("tilt_range_deg: lo <= hi within [-90, 90]°")
        if set(self.flips) - set(FLIPS) or len(self.flips) != len(self.flip_p) or not self.flips \
                or abs(sum(self.flip_p) - 1.0) > 1e-9 or min(self.flip_p) < 0:
            bad.append(f"flips from {list(FLIPS)} with probabilities summing to 1")
        if self.p_dominant_side is not None and not 0 <= self.p_dominant_side <= 1:
            bad.append("p_dominant_side in [0, 1] or None")
        lo, hi = self.stiffness_n_per_m
        if not (0 < lo <= hi) or not self.mass_kg > 0 or not self.pivot_m > 0:
            bad.append("stiffness 0 < lo <= hi, mass > 0, pivot > 0")
        for name in ("damping", "damping_active"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi < 2:
                bad.append(f"{name} 0 < lo <= hi < 2")
        if bad:
            raise ValidationError(f"wear spread {self.name!r}: " + "; ".join(bad))

    def natural_hz_range(self) -> tuple[float, float]:
        """The natural frequencies √(k/m)/2π (Hz) at the stiffness bounds."""
        return tuple(math.sqrt(k / self.mass_kg) / (2 * math.pi) for k in self.stiffness_n_per_m)


_SKIN = "Karlsson & Tranberg 1999 (Hum Mov Sci 18:627): tangential skin stiffness 330–1900 N/m"
_DAMP = ("ζ 0.12–0.3 (peak transmissibility 4.3–1.9×): the 8.5 Hz resonance of the project's only pocket recording "
         "(CrowdSignals walking, half-power band 6.3–9.8 Hz: ζ ≈ 0.2, an estimate — the band holds the drive too — "
         "from the phone benchmark's own test data); 0.5–0.9 landing from flight, where muscle "
         "activity makes soft-tissue vibration 'minimal during running' (Wakeling & Nigg 2001, J Appl Physiol "
         "90:412; an assumption within it); no wrist-specific figure was found")
_EQUAL4 = (("none", "upside_down", "screen_in", "screen_in_upside_down"), (0.25, 0.25, 0.25, 0.25))

WATCH = WearSpread(
    "watch", rotation_sd_deg=(10.0, 4.0, 3.0), offset_sd_m=0.01,
    flips=("none", "upside_down"), flip_p=(0.8, 0.2), p_dominant_side=0.15, mass_kg=0.045, pivot_m=0.025,
    sources={
        "rotation_sd_deg": "assumption: a strap turns around the forearm (±10° = ±4 mm at the 2.5 cm wrist "
                           "radius) more than the case tilts on it",
        "offset_sd_m": "assumption: watch 1–3 cm above the wrist crease",
        "flips": "assumption: 1 in 5 wear the crown toward the elbow (left wrist) / hand (right wrist)",
        "p_dominant_side": "assumption: watches are worn on the non-dominant wrist by most people",
        "mass_kg": "assumption: smartwatch with strap 30–60 g",
        "stiffness_n_per_m": _SKIN, "damping": _DAMP,
        "pivot_m": "assumption: wrist radius ≈ 2.5 cm (circumference ≈ 16 cm)"})
PHONE_POCKET = WearSpread(
    "phone_pocket", rotation_sd_deg=(5.0, 0.0, 5.0), offset_sd_m=0.02, yaw_half_width_deg=90.0,
    flips=_EQUAL4[0], flip_p=_EQUAL4[1], p_dominant_side=0.5, mass_kg=0.18, pivot_m=0.05,
    sources={
        "yaw_half_width_deg": "assumption: any yaw in the pocket plane (uniform ±90°, and the upside-down "
                              "flips give the other half turn); wider than most pockets allow, on purpose",
        "flips": "assumption: the four ways a phone goes into a pocket are equally likely",
        "p_dominant_side": "assumption: left or right pocket equally likely",
        "mass_kg": "assumption: smartphone 150–220 g",
        "stiffness_n_per_m": _SKIN + " (assumed to hold for a phone pressed on the thigh by the pocket)",
        "damping": _DAMP,
        "pivot_m": "assumption: the phone rocks about its lower edge, ≈ 5 cm below its centre"})
PHONE_BELT = WearSpread(
    "phone_belt", rotation_sd_deg=(15.0, 5.0, 5.0), offset_sd_m=0.02,
    flips=_EQUAL4[0], flip_p=_EQUAL4[1], mass_kg=0.18, pivot_m=0.03,
    sources={
        "rotation_sd_deg": "assumption: where on the belt the holster sits (±15° around the waist)",
        "flips": "assumption: the four ways a phone goes into a holster / clip are equally likely",
        "mass_kg": "assumption: smartphone 150–220 g",
        "stiffness_n_per_m": _SKIN, "damping": _DAMP,
        "pivot_m": "assumption: a belt clip pivots ≈ 3 cm behind the phone's centre"})
STRAP = WearSpread(
    "strap", rotation_sd_deg=(8.0, 3.0, 3.0), offset_sd_m=0.015, p_dominant_side=0.5, mass_kg=0.025,
    pivot_m=0.04,
    sources={
        "rotation_sd_deg": "assumption: an elastic strap turns around its limb / trunk more than it tilts",
        "offset_sd_m": "assumption: ±1.5 cm along the segment",
        "p_dominant_side": "assumption: either limb equally likely",
        "mass_kg": "assumption: strap-on IMU 10–40 g",
        "stiffness_n_per_m": _SKIN, "damping": _DAMP, "pivot_m": "assumption: limb radius ≈ 4 cm"})
PHONE_STRAP = WearSpread(
    "phone_strap", rotation_sd_deg=(8.0, 3.0, 3.0), offset_sd_m=0.02, p_dominant_side=0.5, mass_kg=0.18,
    pivot_m=0.04,
    sources={
        "rotation_sd_deg": "assumption: as a strap (an elastic band turns around its limb more than it "
                           "tilts)",
        "offset_sd_m": "assumption: ±2 cm along the segment",
        "p_dominant_side": "assumption: either limb equally likely",
        "mass_kg": "assumption: smartphone 150–220 g in a sports armband / strap",
        "stiffness_n_per_m": _SKIN, "damping": _DAMP, "pivot_m": "assumption: limb radius ≈ 4 cm"})
SHOE = WearSpread(
    "shoe", rotation_sd_deg=(10.0, 5.0, 3.0), offset_sd_m=0.015, tilt_range_deg=(0.0, 55.0),
    p_dominant_side=0.5, mass_kg=0.025, pivot_m=0.04,
    sources={
        "tilt_range_deg": "measured: a sensor laced on the instep sits on its slope, nose down: still "
                          "gravity in the raw frames of gaitmap 2.6's example files (FAU shoe sensors) "
                          "is 41-53° from the sensor's z (imu_sample_ic_stride, the stair files); "
                          "pipelines that align the sensor to the foot frame (gaitmap's other files) give "
                          "0°: uniform 0-55° spans aligned to the steepest raw mount seen, so no one "
                          "mounting is learned as part of an activity (no published instep-slope figure "
                          "was found: the upper end comes from the files the sim-to-real benchmark "
                          "tests on)",
        "rotation_sd_deg": "assumption: SD 10° of roll about the foot's long axis (laces pull a sensor "
                           "to one side; gaitmap's imu_sample, a sensor on the shoe's side, reads 14-17° "
                           "from level), small turns otherwise",
        "offset_sd_m": "assumption: ±1.5 cm along the foot",
        "p_dominant_side": "assumption: either foot equally likely",
        "mass_kg": "assumption: shoe-mounted IMU 10–40 g",
        "stiffness_n_per_m": _SKIN + " (assumed for the shoe's upper under the laces)", "damping": _DAMP,
        "pivot_m": "assumption: ≈ 4 cm"})
HEAD = WearSpread(
    "head", rotation_sd_deg=(3.0, 3.0, 3.0), offset_sd_m=0.005, mass_kg=0.03, pivot_m=0.08,
    sources={"rotation_sd_deg": "assumption: glasses / earbud sit within a few degrees",
             "stiffness_n_per_m": _SKIN, "damping": _DAMP, "pivot_m": "assumption: head radius ≈ 8 cm"})

SPREADS: dict[str, WearSpread] = {s.name: s for s in (WATCH, PHONE_POCKET, PHONE_BELT, STRAP, PHONE_STRAP,
                                                       SHOE, HEAD)}

_SPREAD_OF_PRESET = {
    "wrist_left": WATCH, "wrist_right": WATCH,
    "pocket_left_thigh": PHONE_POCKET, "pocket_right_thigh": PHONE_POCKET,
    "waist_front": PHONE_BELT, "waist_left_landscape": PHONE_BELT, "hip_right_front": PHONE_BELT,
    "hip_left_front": PHONE_BELT, "shin_left": PHONE_STRAP, "shin_right": PHONE_STRAP,
    "forearm_left": PHONE_STRAP, "forearm_right": PHONE_STRAP,
    "chest": STRAP, "lower_back": STRAP, "ankle_left": STRAP, "ankle_right": STRAP,
    "knee_left": STRAP, "knee_right": STRAP,
    "foot_left": SHOE, "foot_right": SHOE,
    "upper_arm_left": STRAP, "upper_arm_right": STRAP, "head": HEAD,
}


def spread_for(placement: Placement) -> WearSpread:
    """The configured spread of a placement: by preset name, else a watch on a forearm, else a strap (a custom
    placement on a foot too: the shoe's tilt is about the instep preset's lateral axis, which another mount
    does not share)."""
    if placement.name in _SPREAD_OF_PRESET:
        return _SPREAD_OF_PRESET[placement.name]
    if placement.segment.endswith("forearm"):
        return WATCH
    return HEAD if placement.segment == "head" else STRAP


def long_axis(segment: str) -> np.ndarray:
    """The segment's long axis in its own frame (rest pose: arms along x, feet z, legs and trunk y)."""
    if "arm" in segment or "hand" in segment:
        return np.array([1.0, 0.0, 0.0])
    return np.array([0.0, 0.0, 1.0]) if "foot" in segment else np.array([0.0, 1.0, 0.0])


def local_axes(placement: Placement) -> np.ndarray:
    """(3, 3) rows: long axis a, skin normal n (the device's z, made ⊥ a), third t = n × a (segment frame)."""
    a = long_axis(placement.segment)
    n = placement.rotation[:, 2] - np.dot(placement.rotation[:, 2], a) * a
    if np.linalg.norm(n) < 1e-6:  # device z along the segment: use its y as the normal
        n = placement.rotation[:, 1] - np.dot(placement.rotation[:, 1], a) * a
    n = n / np.linalg.norm(n)
    return np.stack([a, n, cross(n, a)])


# ------------------------------------------------------------------------------- what is drawn
@dataclass(frozen=True)
class Looseness:
    """A realised wobble: natural frequency (Hz), damping ratio, pivot radius (m), skin normal (segment);
    ``damping_active`` the damping ratio while landing from flight (:data:`TUNED_LABELS`; None: ``damping``
    throughout)."""

    natural_hz: float
    damping: float
    pivot_m: float
    normal: tuple[float, float, float]
    stiffness_n_per_m: float | None = None
    mass_kg: float | None = None
    damping_active: float | None = None

    def __post_init__(self):
        n = np.asarray(self.normal, float)
        active_ok = self.damping_active is None or 0 < self.damping_active < 2
        if not (self.natural_hz > 0 and 0 < self.damping < 2 and self.pivot_m > 0 and active_ok) \
                or n.shape != (3,) or abs(np.linalg.norm(n) - 1) > 1e-9:
            got = f"got {self.natural_hz}, {self.damping}, {self.damping_active}, {self.pivot_m}, {self.normal}"
            raise ValidationError("looseness: natural_hz > 0, 0 < damping < 2, 0 < damping_active < 2 (or None), "
                                  "pivot_m > 0, unit normal", allowed=got)
        object.__setattr__(self, "normal", tuple(float(v) for v in n))

    def to_dict(self) -> dict:
        """The set fields in their order, ``normal`` as a list (``dataclasses.asdict``'s dict of these flat
        values, without its recursive copy)."""
        values = ((k, getattr(self, k)) for k in field_names(type(self)))
        return {k: v for k, v in values if v is not None} | {"normal": list(self.normal)}


@dataclass(frozen=True)
class Wear:
    """How one person wears one device: the realised placement and every draw (for provenance).

    ``rotation_deg`` are the angles about the long axis, the skin normal and the third axis,
    composed as ``R = R_a(θ_a) R_n(θ_n) R_t(θ_t) · R_side · F · Q`` (``R_side`` the nominal
    preset on the worn side, ``F`` the flip, ``Q`` any extra rotation the given placement had
    relative to its preset); ``offset_m`` is the shift along the long axis. ``θ_t`` includes the
    spread's uniform tilt (``WearSpread.tilt_range_deg``) where it has one.
    """

    base: str
    placement: Placement
    side: str | None
    flip: str
    rotation_deg: tuple[float, float, float]
    offset_m: float
    looseness: Looseness | None
    key: str
    variation: WearVariation

    def to_dict(self) -> dict:
        angles = dict(zip(("long_axis", "normal", "third"), self.rotation_deg))
        return {"base_placement": self.base, "placement": self.placement.name, "side": self.side,
                "flip": self.flip, "rotation_deg": angles, "offset_m": self.offset_m,
                "looseness": None if self.looseness is None else self.looseness.to_dict(),
                "key": self.key, "switches": self.variation.to_dict()}


def wear_key(motion_meta: dict | None, subject: str | None, seed: int) -> str:
    """Who wears the device: the motion's ``person`` and the subject; else subject and seed; else the seed."""
    person = (motion_meta or {}).get("person")
    if person is not None:
        return json.dumps({"person": person, "subject": subject}, sort_keys=True, default=str)
    if subject is not None:
        return json.dumps({"subject": subject, "seed": int(seed)}, sort_keys=True)
    return json.dumps({"seed": int(seed)})


def _rng(key: str, placement: str, source: str) -> np.random.Generator:
    """``default_rng([crc32(key), crc32(placement), crc32(source)])``, by :func:`.hardware.words_rng`."""
    return words_rng(zlib.crc32(key.encode()), zlib.crc32(placement.encode()), zlib.crc32(source.encode()))


def _side_of(placement: Placement) -> str | None:
    for side in ("left", "right"):
        if placement.segment.startswith(side + "_"):
            return side
    return None


def realise(placement: Placement, *, mirror: bool = False, flip: str = "none",
            rotation_deg: Sequence[float] = (0.0, 0.0, 0.0), offset_m: float = 0.0) -> Placement:
    """The placement worn with the given draws (see :class:`Wear` for the composition order)."""
    if flip not in FLIPS:
        raise ValidationError(f"unknown flip {flip!r}", allowed=", ".join(FLIPS))
    preset = PLACEMENTS.get(placement.name)
    base = preset if preset is not None and preset.segment == placement.segment else placement
    q = base.rotation.T @ placement.rotation  # what the given placement adds to its preset
    worn = mirror_placement(base) if mirror else base
    offset = np.asarray(mirror_placement(placement).offset_m if mirror else placement.offset_m, float)
    axes = local_axes(worn)
    theta = np.radians(np.asarray(rotation_deg, float))
    jitter = (Rotation.from_rotvec(theta[0] * axes[0]) * Rotation.from_rotvec(theta[1] * axes[1])
              * Rotation.from_rotvec(theta[2] * axes[2])).as_matrix()
    rot = jitter @ worn.rotation @ FLIPS[flip] @ q
    # re-orthonormalise the product (rounding) so Placement's check passes with margin
    u, _, vt = np.linalg.svd(rot)
    rot = u @ vt
    return Placement(worn.name, worn.segment, worn.anchor, tuple(offset + offset_m * axes[0]), rot,
                     worn.description)


#: draws of :func:`draw_wear` with the configured spreads, by placement, switches, wearer and hand: a
#: person wears a device the same way in every activity, so a corpus draws each (person, placement) once
_WEAR_CACHE: dict = {}
_WEAR_CACHE_SIZE = 4096


def _placement_key(p: Placement) -> tuple:
    return (p.name, p.segment, p.anchor, p.offset_m, p.rotation.tobytes(), p.description)


def draw_wear(placement: Placement, variation: WearVariation, key: str, handedness: str = "right",
              spread: WearSpread | None = None) -> Wear:
    """One person's wear of ``placement`` (sources switched by ``variation``), seeded by ``key`` and its name.

    The same arguments give the same (immutable) :class:`Wear`; with the configured spreads it is
    drawn once and reused (its placement's rotation is read-only).
    """
    if spread is not None:
        return _draw_wear(placement, variation, key, handedness, spread)
    ck = (_placement_key(placement), variation, key, handedness)
    wear = _WEAR_CACHE.get(ck)
    if wear is None:
        wear = _draw_wear(placement, variation, key, handedness, None)
        wear.placement.rotation.flags.writeable = False
        if len(_WEAR_CACHE) >= _WEAR_CACHE_SIZE:
            _WEAR_CACHE.pop(next(iter(_WEAR_CACHE)))  # the oldest first
        _WEAR_CACHE[ck] = wear
    return wear


def _draw_wear(placement: Placement, variation: WearVariation, key: str, handedness: str,
               spread: WearSpread | None) -> Wear:
    sp = spread or spread_for(placement)
    name = placement.name
    side = _side_of(placement)
    mirror = False
    if variation.side and side is not None and sp.p_dominant_side is not None:
        dominant = _rng(key, name, "side").random() < sp.p_dominant_side
        want = handedness if dominant else ("left" if handedness == "right" else "right")
        mirror = want != side
    if mirror:
        side = "left" if side == "right" else "right"
    flip = "none"
    if variation.flips and len(sp.flips) > 1:
        flip = sp.flips[int(_rng(key, name, "flip").choice(len(sp.flips), p=sp.flip_p))]
    angles = (0.0, 0.0, 0.0)
    if variation.rotation:
        z = _rng(key, name, "rotation").standard_normal(3)
        yaw = _rng(key, name, "yaw").uniform(-1.0, 1.0) * sp.yaw_half_width_deg
        angles = (float(z[0] * sp.rotation_sd_deg[0]),
                  float(yaw if sp.yaw_half_width_deg > 0 else z[1] * sp.rotation_sd_deg[1]),
                  float(z[2] * sp.rotation_sd_deg[2]))
        if sp.tilt_range_deg != (0.0, 0.0):  # its own stream: the other spreads' draws stay as they were
            angles = (*angles[:2], angles[2] + float(_rng(key, name, "tilt").uniform(*sp.tilt_range_deg)))
    offset = float(_rng(key, name, "offset").standard_normal() * sp.offset_sd_m) if variation.offset else 0.0
    worn = realise(placement, mirror=mirror, flip=flip, rotation_deg=angles, offset_m=offset)
    loose = None
    if variation.looseness:
        r = _rng(key, name, "looseness")
        lo, hi = sp.stiffness_n_per_m
        k = float(math.exp(r.uniform(math.log(lo), math.log(hi))))
        u = float(r.uniform())  # one draw: the person's place in both muscle states' ranges
        zeta, zeta_active = (z0 + u * (z1 - z0) for z0, z1 in (sp.damping, sp.damping_active))
        # the outward skin normal: the device's face before any flip (screen-in still rocks outward); without a
        # flip that is ``worn``'s (the offset along the segment leaves the rotation as it is)
        unflipped = worn if flip == "none" else realise(placement, mirror=mirror, rotation_deg=angles)
        outward = local_axes(unflipped)[1]
        loose = Looseness(math.sqrt(k / sp.mass_kg) / (2 * math.pi), zeta, sp.pivot_m,
                          tuple(outward), stiffness_n_per_m=k, mass_kg=sp.mass_kg, damping_active=zeta_active)
    return Wear(name, worn, side, flip, angles, offset, loose, key, variation)


# --------------------------------------------------------------------------------- the wobble
def wobble_response(a_tangential: np.ndarray, fs_hz: float, natural_hz: float, damping: float,
                    backend: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Displacement u, velocity u̇ and acceleration ü (n, 3) of ``ü + 2ζω u̇ + ω² u = −a`` (SI).

    ``a_tangential`` (n, 3) m/s² is the segment's acceleration at the device, sampled at
    ``fs_hz``. The system is discretised exactly for a piecewise-linear input (first-order hold,
    ``scipy.signal.cont2discrete(method="foh")``) and started in steady state on the first sample
    (the device has been worn for a while); ``ü`` follows from the equation itself, so the three
    are consistent. Steady response to ``a = A e^{jωt}``: ``U/A = −1/(ω_n² − ω² + 2jζω_nω)`` and
    the device's acceleration ``a + ü = A (ω_n² + 2jζω_nω)/(ω_n² − ω² + 2jζω_nω)`` (the
    transmissibility of base excitation).

    ``backend``: with the compiled kernel (``auto``/``c``) the two filters and ``ü`` run in one pass
    (``_kernels.wobble_oscillator``: ``lfilter``'s loop in its order of operations, the same bits);
    ``numpy`` runs ``scipy.signal.lfilter``.
    """
    from imuforge.sensors.kinematics import _kernels, use_kernel

    if not 0 < natural_hz < 0.5 * fs_hz:
        raise ValidationError(f"wobble natural frequency {natural_hz:g} Hz must lie below fs/2",
                              allowed=f"(0, {0.5 * fs_hz:g}) Hz; raise the oversampling")
    w = 2 * math.pi * natural_hz
    num, den, zis = _wobble_filters(float(fs_hz), float(natural_hz), float(damping))
    a = np.asarray(a_tangential, float)
    if use_kernel(backend) and hasattr(_kernels, "wobble_oscillator") and a.ndim == 2 and a.shape[1] == 3 \
            and len(a) and num.shape[1] == len(den):
        a = np.ascontiguousarray(a)
        u, ud, udd = (np.empty_like(a) for _ in range(3))
        zi = [np.ascontiguousarray(z[:, None] * a[0][None, :]) for z in zis]  # as lfilter's zi below
        _kernels.wobble_oscillator(a, len(a), num[0], num[1], den, len(den), zi[0], zi[1],
                                   2 * damping * w, w * w, u, ud, udd)
        return u, ud, udd
    out = []
    for b, zi_unit in zip(num, zis):  # u, then u̇ (same order as den)
        zi = zi_unit[:, None] * a[0][None, :]
        out.append(lfilter(b, den, a, axis=0, zi=zi)[0])
    u, ud = out
    udd = -a - 2 * damping * w * ud - w * w * u
    return u, ud, udd


@functools.lru_cache(maxsize=4096)
def _wobble_filters(fs_hz: float, natural_hz: float, damping: float) -> tuple:
    """The discretised wobble (:func:`wobble_response`): numerators of u and u̇, denominator, and each
    numerator's steady-state ``lfilter_zi``; designed once per (rate, person's looseness draw).

    The design is ``scipy.signal``'s ``cont2discrete(method="foh")``, ``ss2tf`` and ``lfilter_zi`` of the
    state-space system (A, B, C = I, D = 0), their steps written out for this one shape without the
    per-call checks: the same arithmetic in the same order, so the same bits (tests/sensors/test_wear.py
    compares them over many draws).
    """
    w = 2 * math.pi * natural_hz
    A = np.array([[0.0, 1.0], [-w * w, -2 * damping * w]])
    B = np.array([[0.0], [-1.0]])
    dt = 1.0 / fs_hz
    # cont2discrete, first-order hold: expm of [[A dt, B dt, 0], [0, 0, I], [0, 0, 0]]
    em = np.zeros((4, 4))
    em[:2, :2] = A * dt
    em[:2, 2:3] = B * dt
    em[2, 3] = 1.0
    ms = linalg.expm(em)
    ms11, ms12, ms13 = ms[:2, 0:2], ms[:2, 2:3], ms[:2, 3:]
    ad, bd = ms11, ms12 - ms13 + ms11 @ ms13
    cd = np.eye(2)
    dd = np.zeros((2, 1)) + cd @ ms13
    # ss2tf: den = det(zI − A_d), num_k = det(zI − A_d + B_d C_k) + (D_k − 1) den
    den = np.poly(ad)
    num = np.empty((2, 3))
    for k in range(2):
        num[k] = np.poly(ad - np.dot(bd, cd[k:k + 1])) + (dd[k] - 1) * den
    # lfilter_zi: zi = (I − companion(a)ᵀ)⁻¹ (b[1:] − a[1:] b[0]) with a, b divided by a[0] (exactly 1 here)
    a0 = den[0]
    a = den / a0
    companion = np.zeros((2, 2))
    companion[0] = -a[1:] / (1.0 * a[0:1])
    companion[1, 0] = 1.0
    i_minus_a = np.eye(2) - companion.T
    zis = tuple(np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0]) for b in num / a0)
    for x in (num, den, *zis):
        x.flags.writeable = False
    return num, den, zis


#: activities that land from flight, for which the muscles brace at every contact: their soft tissue is damped
#: by ``Looseness.damping_active`` (see the module docstring)
TUNED_LABELS = frozenset({"running", "jumping", "jumping_jacks", "jumping_rope"})
#: how long (s) the muscles take to change state at a change of activity: the damping is blended over a
#: moving average of this width (an assumption: a stride or two)
MUSCLE_RAMP_S = 0.5


def muscle_activity(labels, times: np.ndarray) -> np.ndarray | None:
    """The share (0 … 1) of the landing-braced muscle state at ``times`` (s): 1 inside the label segments of
    :data:`TUNED_LABELS`, 0 elsewhere, ramped over :data:`MUSCLE_RAMP_S` across a change. None when the
    motion holds no such activity (one damping throughout)."""
    spans = [(s.start_s, s.end_s) for s in labels if s.label in TUNED_LABELS]
    if not spans or len(times) == 0:
        return None
    t = np.asarray(times, float)
    on = np.zeros(t.size)
    for a, b in spans:
        on[(t >= a) & (t <= b)] = 1.0  # closed: a recording's last sample often sits on its label's end
    if len(t) > 1:
        width = max(1, int(round(MUSCLE_RAMP_S / float(np.median(np.diff(t))))))
        on = np.clip(uniform_filter1d(on, width, mode="nearest"), 0.0, 1.0)
    return on


def tuned_wobble(a_tangential: np.ndarray, fs_hz: float, loose: Looseness, activity: np.ndarray | None,
                 backend: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`wobble_response` with the damping of the muscles' state: ``loose.damping`` where ``activity``
    (:func:`muscle_activity`) is 0, ``loose.damping_active`` where it is 1, and the two responses blended by it
    in between (a change of activity); ``backend``: :func:`wobble_response`'s."""
    zeta_on = loose.damping_active
    if activity is None or zeta_on is None or not activity.any():
        return wobble_response(a_tangential, fs_hz, loose.natural_hz, loose.damping, backend)
    if activity.min() >= 1.0:
        return wobble_response(a_tangential, fs_hz, loose.natural_hz, zeta_on, backend)
    off = wobble_response(a_tangential, fs_hz, loose.natural_hz, loose.damping, backend)
    on = wobble_response(a_tangential, fs_hz, loose.natural_hz, zeta_on, backend)
    w = activity[:, None]
    return tuple((1.0 - w) * x + w * y for x, y in zip(off, on))


def _right_jacobian_times(phi: np.ndarray, v: np.ndarray) -> np.ndarray:
    """J_r(φ) v for (n, 3) rotation vectors: the body rate of exp([φ]×) whose rotation vector moves at v."""
    th = np.linalg.norm(phi, axis=1, keepdims=True)
    small = th < 1e-4
    if small.any():
        th2 = np.where(small, 1.0, th * th)
        c1 = np.where(small, 0.5 - th * th / 24.0, (1 - np.cos(th)) / th2)
        c2 = np.where(small, 1.0 / 6.0 - th * th / 120.0, (th - np.sin(th)) / (th2 * np.where(small, 1.0, th)))
    else:  # the same values without the series branch
        th2 = th * th
        c1 = (1 - np.cos(th)) / th2
        c2 = (th - np.sin(th)) / (th2 * th)
    pxv = cross(phi, v)
    return v - c1 * pxv + c2 * cross(phi, pxv)


def wobble_streams(f_seg: np.ndarray, w_seg: np.ndarray, m_seg: np.ndarray, g_seg: np.ndarray, fs_hz: float,
                   loose: Looseness, backend: str = "auto", activity: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Specific force, angular rate and field of a loosely worn device in its wobbling frame (before the mount).

    Inputs (n, 3) on a uniform grid at ``fs_hz``, in the *segment* frame at the device's nominal
    point: ``f_seg`` rigid specific force, ``w_seg`` segment rate, ``m_seg`` field, ``g_seg`` gravity
    (Rᵀ g, so the segment's acceleration there is ``f_seg + g_seg``). The device moves by ``u``
    relative to the segment, driven by the tangential part of that acceleration
    (:func:`wobble_response`), and rocks by ``φ = n × u / ρ`` (ρ the pivot radius). It measures
    (exact rigid-body kinematics of that motion, no small-angle step)::

        f = R_wᵀ (f_seg + ü + 2 ω × u̇ + α × u + ω × (ω × u))
        ω_dev = R_wᵀ ω + J_r(φ) φ̇,    m = R_wᵀ m_seg,    R_w = exp([φ]×)

    (Coriolis, Euler and centripetal terms of the relative motion in the rotating segment frame;
    α by central differences of ω on the grid.)

    ``activity``: the muscles' state over the grid (:func:`muscle_activity`, :func:`tuned_wobble`; None:
    ``loose.damping`` throughout).

    ``backend``: with the compiled kernel (``auto``/``c``) everything after the oscillator runs in one
    pass (``_kernels.wobble_frame``, R_wᵀ applied as a quaternion); ``numpy`` is the reference (scipy's
    Rotation). They agree to rounding (≈ 1e-15 relative; tests/sensors/test_kernels.py).
    """
    from imuforge.sensors.kinematics import _kernels, use_kernel

    n_vec = np.asarray(loose.normal, float)
    a_seg = f_seg + g_seg
    a_t = a_seg - np.outer(a_seg @ n_vec, n_vec)
    u, ud, udd = tuned_wobble(a_t, fs_hz, loose, activity, backend)
    if use_kernel(backend) and hasattr(_kernels, "wobble_frame"):
        n = len(w_seg)
        out = [np.empty((n, 3)) for _ in range(3)]
        c = np.ascontiguousarray
        _kernels.wobble_frame(c(f_seg, dtype=float), c(w_seg, dtype=float), c(m_seg, dtype=float), c(u), c(ud),
                              c(udd), n, c(n_vec), float(loose.pivot_m), 1.0 / fs_hz, None, *out)
        return out[0], out[1], out[2]
    alpha = np.gradient(w_seg, 1.0 / fs_hz, axis=0) if len(w_seg) > 2 else np.zeros_like(w_seg)
    f_dev = f_seg + udd + 2 * cross(w_seg, ud) + cross(alpha, u) + cross(w_seg, cross(w_seg, u))
    phi = cross(n_vec, u) / loose.pivot_m
    phid = cross(n_vec, ud) / loose.pivot_m
    inv = Rotation.from_rotvec(phi).inv()
    return inv.apply(f_dev), inv.apply(w_seg) + _right_jacobian_times(phi, phid), inv.apply(m_seg)


def gravity_probe():
    """The field whose reading in a sensor's frame is gravity there (Rᵀ g): what :func:`apply_looseness`
    needs of the kinematics besides the ideal streams."""
    from imuforge.sensors.kinematics import EarthField
    from imuforge.units import STANDARD_GRAVITY

    return EarthField(intensity_ut=STANDARD_GRAVITY, inclination_deg=90.0, declination_deg=0.0)


def apply_looseness(motion, ideal, wears: Sequence[Wear | None], fs_hz: float, *, earth_field=None,
                    smoothing_hz: float | None = None, backend: str = "auto",
                    gravity: np.ndarray | None = None) -> None:
    """Replace, in place, the grid-rate ideal streams of each loosely worn placement by the wobbling device's.

    ``ideal`` is the :class:`~imuforge.sensors.kinematics.IdealImu` of the worn placements on a
    uniform grid at ``fs_hz``; one more kinematics pass (gravity as the "field") gives Rᵀ g. ``simulate``
    adds the foot-contact impact transients (:mod:`imuforge.sensors.impact`) to ``ideal`` first, so the
    wobble is driven by the segment acceleration including the impact. The damping follows the muscles'
    state through the motion's activities (:func:`muscle_activity`, :func:`tuned_wobble`). ``gravity``: that
    pass's reading of every placement of ``ideal`` (P, n, 3), when the caller made it already
    (:func:`~imuforge.sensors.kinematics.ideal_imu_and_fields` with :func:`gravity_probe`).
    """
    from imuforge.sensors.kinematics import ideal_imu

    idx = [i for i, w in enumerate(wears) if w is not None and w.looseness is not None]
    if not idx:
        return
    if gravity is not None:
        grav = gravity[idx]
    else:
        grav = ideal_imu(motion, [ideal.placements[i] for i in idx], times=ideal.times,
                         earth_field=gravity_probe(), smoothing_hz=smoothing_hz, backend=backend).mag
    from imuforge.sensors.kinematics import _kernels, use_kernel

    fused = use_kernel(backend) and hasattr(_kernels, "wobble_drive")
    activity = muscle_activity(motion.labels, ideal.times)  # the damping follows the activity
    for j, i in enumerate(idx):
        mount = ideal.placements[i].rotation  # sensor → segment
        if fused:  # the same steps with the mount rotations inside the compiled passes (no 3×3 BLAS calls)
            loose, c = wears[i].looseness, np.ascontiguousarray
            f_s, w_s, m_s = c(ideal.acc[i]), c(ideal.gyro[i]), c(ideal.mag[i])
            n_vec, mnt = c(loose.normal, dtype=float), c(mount)
            n = f_s.shape[0]
            a_t = np.empty((n, 3))
            _kernels.wobble_drive(f_s, c(grav[j]), mnt, n_vec, n, a_t)
            u, ud, udd = tuned_wobble(a_t, fs_hz, loose, activity, backend)
            out = [np.empty((n, 3)) for _ in range(3)]
            _kernels.wobble_frame(f_s, w_s, m_s, c(u), c(ud), c(udd), n, n_vec, float(loose.pivot_m), 1.0 / fs_hz,
                                  mnt, *out)
            ideal.acc[i], ideal.gyro[i], ideal.mag[i] = out
            continue
        f, w, m = (np.asarray(x[i]) @ mount.T for x in (ideal.acc, ideal.gyro, ideal.mag))
        f, w, m = wobble_streams(f, w, m, grav[j] @ mount.T, fs_hz, wears[i].looseness, backend=backend,
                                 activity=activity)
        ideal.acc[i], ideal.gyro[i], ideal.mag[i] = f @ mount, w @ mount, m @ mount


__all__ = ["FLIPS", "SPREADS", "TUNED_LABELS", "Looseness", "Wear", "WearSpread", "WearVariation",
           "apply_looseness", "centre_angles_deg", "draw_wear", "local_axes", "long_axis",
           "muscle_activity", "realise", "spread_for", "tuned_wobble", "wear_key", "wobble_response",
           "wobble_streams"]


def wear_turn(wear: dict | None, *, from_centre: bool = False) -> np.ndarray | None:
    """The rotation ``D`` (3×3) by which a worn device's readings differ from the nominal preset's on
    the same side: ``v_worn = D · v_nominal`` (the flip and the rotation on the segment of
    :class:`Wear`; the small shift along the segment is not a rotation and is left out).

    ``from_centre``: the turn from the spread's central wearer instead (``v_worn = D · v_centre``; see
    :func:`centre_angles_deg`): the same as from the nominal preset unless the spread is off-centre, as the
    shoe's instep tilt (0–55°, centre 27.5°) is — and unless the rotation variation was off (no tilt drawn:
    everyone wears the preset).

    ``wear`` is a recording's ``provenance["wear"]`` (:meth:`Wear.to_dict`); ``None`` when it holds no
    turn, or names a placement that is not a preset (its nominal pose cannot be rebuilt).
    """
    if not wear or wear.get("base_placement") not in PLACEMENTS:
        return None
    base = PLACEMENTS[wear["base_placement"]]
    angles = tuple(float((wear.get("rotation_deg") or {}).get(k, 0.0)) for k in ("long_axis", "normal", "third"))
    flip = wear.get("flip") or "none"
    # the spread's tilt is drawn with the rotation: a person simulated without it wears the preset itself
    drawn = bool((wear.get("switches") or {}).get("rotation", True))
    centre = centre_angles_deg(base) if from_centre and drawn else (0.0, 0.0, 0.0)
    if flip == "none" and angles == centre:
        return None
    side = _side_of(base)
    mirror = side is not None and wear.get("side") not in (None, side)
    nominal = (realise(base, mirror=mirror, rotation_deg=centre) if any(centre)
               else realise(base, mirror=mirror))
    worn = realise(base, mirror=mirror, flip=flip, rotation_deg=angles)
    return worn.rotation.T @ nominal.rotation


def centre_angles_deg(placement: Placement) -> tuple[float, float, float]:
    """The rotation on the segment (long axis, normal, third; degrees) of the placement's typical wearer: the
    middle of its spread — zero but for a uniform tilt off one side (:attr:`WearSpread.tilt_range_deg`)."""
    lo, hi = spread_for(placement).tilt_range_deg
    return (0.0, 0.0, 0.5 * (lo + hi))
