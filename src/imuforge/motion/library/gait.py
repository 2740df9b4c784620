"""Walking, running and stair gait: normative joint-angle curves in three planes, driven by forward
kinematics only.

**Curves.** Every joint angle is a periodic Fourier series (8 harmonics) through key points read
off published normative curves over the gait cycle (0 % = heel strike of the same foot), each key
point with its value at the reference speed and its change per m/s:

* walking, reference 1.3 m/s, stance 60 %: sagittal hip / knee / ankle from Winter, *Biomechanics
  and Motor Control of Human Movement* (4th ed., 2009, ch. 4) and Perry & Burnfield, *Gait
  Analysis* (2nd ed., 2010): hip +30° at contact, −10° at 52 %, +34° in late swing; knee 5° at
  contact, 19° loading-response peak at 15 %, 5° at 40 %, 62° swing peak at 72 %; ankle −6° at
  foot flat, +11° at 45 %, −17° at toe-off. Frontal / transverse planes from Kadaba, Ramakrishnan
  & Wootten 1989 (*J Orthop Res* 7:849; 40 adults): hip adduction +8° at 15 % of stance to −6°
  abduction at 68 %, hip rotation ±5°, pelvic obliquity ±4°, pelvic rotation ±4°, pelvic tilt
  ±1.5° (two cycles per stride; the walking obliquity and rotation take the whole mean curves of
  Schwartz et al. 2008 in three speed classes, :data:`WALK_PELVIS`: the obliquity peaks in the loading
  response); tibial rotation and knee varus in swing from Lafortune, Cavanagh, Sommer & Kalenak 1992
  (*J Biomech* 25:347; ≈ 9° axial range, ≈ 5° ab/adduction range); subtalar
  inversion ±3–4°. The knee is a hinge (the importers' IK assumes one), so the tibial axial rotation
  is lumped into the hip rotation curve. Speed dependence (per m/s, from the speed-binned normative curves of Schwartz,
  Rozumalski & Trost 2008, *J Biomech* 41:1639, the adult treadmill/overground data set of Fukuchi,
  Fukuchi & Duarte 2018, *PeerJ* 6:e4640, and the regressions of Lelas, Merriman, Riley & Kerrigan
  2003, *Gait Posture* 17:106): the loading-response knee flexion grows strongly (≈ +14°), the
  knee swing peak little (≈ +4°), hip flexion at contact and hip extension in terminal stance grow
  (≈ +8° / −9°), ankle plantarflexion at toe-off grows (≈ −8°); stance shortens from ≈ 62 % at
  1.0 m/s to ≈ 58 % at 1.8 m/s (key points move with toe-off).
* running, reference 3.5 m/s, stance 38 %: Novacheck 1998, *Gait Posture* 7:77 — knee 42° stance
  peak, ≈ 95° swing peak, hip −8° at toe-off, +42° late swing; ankle +20° mid-stance, −20° at
  toe-off. Faster running: knee swing flexion +10°/(m/s), hip flexion +6°/(m/s), stance −3 %/(m/s)
  (Novacheck 1998; Dorn, Schache & Pandy 2012, *J Exp Biol* 215:1944).
* stairs (riser 0.17 m): Riener, Rabuffetti & Frigo 2002, *Gait Posture* 15:32, Protopapadaki,
  Drechsler, Cramp, Coutts & Scott 2007, *Clin Biomech* 22:203 and McFadyen & Winter 1988,
  *J Biomech* 21:733 — ascent: hip 60° at contact; knee and ankle are Riener's 30° curves as
  digitised in WeRoLab's Biomechanical_Trajectories (knee 71° at contact, ≈ 9° in late stance, 95°
  swing peak; ankle 8° dorsiflexed at contact, 21° plantarflexed at ≈ 66 %, i.e. still pointing
  the toes down while the knee flexes into swing — the earlier hand-set ankle, back to −5° by 70 %,
  gave a foot-mounted gyroscope 0.46× the real ascent's 95th percentile rate, now 0.81×, gaitmap),
  stance ≈ 64 %, trunk ≈ 8° more forward than in level walking; descent: ankle as digitised (22°
  plantarflexed, toe first, at contact; 17° dorsiflexed at ≈ 47 %; 25° plantarflexed at ≈ 95 %),
  knee 10° at contact rising to ≈ 88° at the end of stance (Riener's digitised knee, 17° at contact,
  does not close with these hip curves: the hip fit then hits its bounds for 16 of 20 people),
  stance ≈ 62 %.

**Between people** (:class:`Person`, ``gait_style_seed``): every angle gets its own offset and
amplitude factor, drawn once per person with the between-subject SDs of Kadaba et al. 1989 (≈ 4°
hip flexion, 3° knee and ankle, 2.5° hip adduction, 5° hip rotation; amplitude CV 8 %).

**Cadence.** Walking step length ∝ v^0.42 (0.413 H at 1.3 m/s), ≈ 93 / 108 / 122 steps/min at
1.0 / 1.3 / 1.6 m/s for H = 1.75 m (Öberg, Karsznia & Öberg 1993, *J Rehabil Res Dev* 30:210).
Running step frequency 165 steps/min at 3.04 m/s + 0.11 Hz per m/s, each runner ± 8 steps/min
(van Oeveren et al. 2020; slope close to Dorn et al. 2012's); self-selected jogging 2.85 ± 0.3 m/s
(``JOG_SPEED``). Stairs: ≈ 124 steps/min descent, the mean of 101 young adults on an unconstrained
13-step staircase (gait cycle 0.97 ± 0.18 s, 0.79 m/s; *Gait Posture* 2023, "stair descent outside of the
laboratory"), ≈ 118 ascent (assumption: the ascent / descent ratio 0.95 of the laboratory studies, whose
5-step staircases give ≈ 95 / 100, Riener et al. 2002); each person's scaled with their walking cadence at
the preferred speed and by a stair pace of their own (``STAIR_PACE_SD``). A walk without a given speed
goes at the person's preferred speed (the steady speed of laboratory walkways) times the recording's pace
(:data:`WALK_PACE`, median 0.9: outside long walkways people walk slower; Nordic walking, an outdoor
exercise on long paths, keeps its :data:`NORDIC_SPEED_X`). The hip's sagittal amplitude is scaled (within
0.6–1.5) so the curves produce the step length of the requested speed.

**Pelvis path.** The pelvis translation follows from the loaded foot's rolling contact (heel →
ball; see ``anchored_root``), then only the pelvis path is low-passed (walking vertical: 4th-order
zero-phase Butterworth at 3 × step frequency, its step-periodic part then shaped by the collisional
model of walking, ``collision_height``; running 5.2 Hz, stairs 3 Hz; horizontal: walking the same
filter at 3.5 × step frequency, stairs 6 Hz, running 10 Hz; see ``smooth_pelvis``). Before that, the
closure evens the pelvis's fore-aft speed and side-to-side sway over the stance foot by small hip
corrections (``stance_path_correction``; running its speed only, ``stance_speed_correction``; the stairs'
sway no wider than a frontal-plane pendulum's,
``pendulum_sway_p2p``; going down stairs the knee also lowers the body evenly, ``descent_height_correction``)
and keeps
the planted foot flat and still (``foot_flat_correction``). The legs are *not* re-solved: joint angles stay the smooth normative curves, so thigh and
shank rates and accelerations are smooth through contact. The price is a small movement of the
planted foot (the difference between the raw and the smoothed pelvis path, a few mm), which the
plausibility check reports (``motion_foot_sliding``; bounds in tests/motion/test_library.py).
(Until 2026-11 both legs were re-solved by two-link IK after the smoothing; the re-solve whipped
the thigh at every heel strike: −1 → +5.9 → −2.4 rad/s within 100 ms, see docs/MOTION.md.)

Arms: shoulder ±16° × arm-swing factor at 1.3 m/s, ∝ v^0.8, about −3°; elbow 18° → 18 + 1.5·amp°
lagging by 8 % of the cycle (Perry & Burnfield; Collins, Adamczyk & Kuo 2009, *Proc R Soc B*
276:3679; Meyns, Bruijn & Duysens 2013, *Gait Posture* 38:555). Running: shoulder ±30° × arm-swing
factor, the elbow at 85 ± 15°, the hand's path an oval out of the sagittal plane
(:func:`running_arm_path`). Thorax: counter-rotation against the pelvis and 80 % compensation of
pelvic tilt / obliquity (Kavanagh, Barrett & Morrison 2004, *Gait Posture* 20:291; Menz, Lord &
Fitzpatrick 2003, *Gait Posture* 18:35). Within a person:
stride time CV 2 % (Hausdorff et al. 1995, *J Appl Physiol* 78:1629), stride amplitude 3 %, and the
swinging leg's out-of-plane angles 1–2.5° from stride to stride (:func:`swing_variation`).

Busy hands: the hands of a walk or stair climb whose ``carrying`` is not given are drawn per recording
from :data:`HAND_HABITS` (walking: phone in front in one of the grips people use, :data:`PHONE_GRIPS`,
phone at the ear on either side, a bag in the hand, a shoulder bag, hands in the pockets; stairs: a hand
on the handrail; ``carrying="none"`` asks for free arms): in daily life the arms are often not free to
swing.

The two arms do not swing alike (:func:`arm_swing_asymmetry`): each person's walking and stair arm swing
is larger on one side, the left in two people of three, by 2|L − R|/(L + R) ≈ 0.4 on average.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from scipy.interpolate import PPoly
from scipy.ndimage import gaussian_filter1d, uniform_filter1d

from imuforge._zerophase import sosfiltfilt
from imuforge.errors import ValidationError
from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.library._core import (
    J,
    SIDES,
    D2R,
    Track,
    _LEG_ANGLES,
    anchored_root,
    anchored_roots,
    butter_lowpass,
    compiled_legs,
    contact_ramps,
    elbow_rotation,
    foot_contact_points,
    fourier_basis,
    fourier_fit,
    gaussian_trend,
    legs_fk,
    legs_local,
    pelvis_rotation,
    periodic_spline,
    pose_to_local,
    rel_fk,
    shoulder_rotation,
    side_rows,
    side_stream,
    smooth_noise,
    weighted_choice,
)
from imuforge.motion.library.arm_sway import passive_arm_sway
from imuforge.motion.library.turns import TURN_CADENCE_SHARE, stance_hip_turn, turn_slowing, walking_heading
from imuforge.units import STANDARD_GRAVITY

#: Key points per angle: (percent of cycle, degrees at the reference speed, degrees per m/s).
Curve = tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class GaitCurves:
    curves: dict            # pose key → Curve
    stance: float           # stance fraction at the reference speed
    stance_slope: float     # change of the stance fraction per m/s
    ref_speed: float        # m/s
    vertical: int           # 0 level, +1 up, −1 down
    trunk_lean: float = 0.0  # extra forward trunk flexion (deg)
    #: mean anterior tilt (deg) of the pelvis frame the published hip angles are measured in; our pelvis
    #: is level in the rest pose, so the thigh's angle to the vertical is hip − pelvis_tilt
    pelvis_tilt: float = 0.0
    #: the sagittal curves scaled to produce the step length (``fit_hip``): key → share of the scaling
    scaled: dict = field(default_factory=lambda: {"hip_flex": 1.0})
    #: knee flexion (deg) about which its curve is scaled (0: full extension)
    knee_pivot: float = 0.0

    def _pairs(self, key: str) -> tuple:
        return tuple((p, v) for p, v, _ in self.curves[key])

    @property
    def hip(self) -> tuple:
        return self._pairs("hip_flex")

    @property
    def knee(self) -> tuple:
        return self._pairs("knee_flex")

    @property
    def ankle(self) -> tuple:
        return self._pairs("ankle_dorsi")

    @property
    def ramp(self) -> float:
        """Weight-transfer (double-support) fraction at the reference speed; 0 with a flight."""
        return max(self.stance - 0.5, 0.0)


@dataclass(frozen=True)
class Closure:
    """How one person's curves are closed into a consistent gait (``close_gait``: ``fit_hip``,
    ``foot_flat_correction``, ``stance_path_correction``, ``fit_step_width``): the
    hip's sagittal amplitude factor and offset (deg), the ankle corrections sampled over one cycle (deg,
    ``FOOT_GRID`` samples), Fourier coefficients (deg, ``HARMONICS``) added to the hip flexion and adduction
    curves and, going down stairs, to the knee flexion (``descent_height_correction``), and a hip abduction
    offset of both legs (deg)."""

    #: amplitude factor and offset (deg); one value per frame (arrays) in the hip fit's batched probes
    amp: float | np.ndarray = 1.0
    offset: float | np.ndarray = 0.0
    #: (FOOT_GRID, 4) degrees added to the toe-out, dorsiflexion and inversion angles and the hip adduction
    #: (the leg's tilt over a rolling foot, ``_rolled_foot``) over one cycle
    foot: np.ndarray | None = None
    hip: np.ndarray | None = None
    add: np.ndarray | None = None  # Fourier coefficients (deg, ``HARMONICS``) added to the hip adduction curve
    knee: np.ndarray | None = None  # Fourier coefficients (deg, ``HARMONICS``) added to the knee flexion
    #: abduction (deg) added to both hips so the feet land the person's step width apart (``fit_step_width``);
    #: one value per frame in its batched probes
    abd: float | np.ndarray = 0.0
    jac: np.ndarray | None = None  # Jacobian of (step length, mismatch) by (amp, offset) of the last fit

    @functools.cached_property
    def foot_spline(self) -> PPoly | None:
        """The periodic cubic through ``foot``: built once per table, not per closure — the hip fit's
        probes are copies of one closure with another amplitude and offset and the same table."""
        if self.foot is None:
            return None
        table = np.ascontiguousarray(self.foot, dtype=np.float64)
        return _foot_spline(table.tobytes(), table.shape)


# frontal / transverse planes of level walking (Kadaba et al. 1989; Lafortune et al. 1992)
_WALK_3D: dict = {
    "hip_add": ((0, 3, 0), (15, 8, 3), (35, 5, 1), (55, 0, 0), (68, -6, -2), (82, -3, 0), (93, 2, 0),
                (100, 3, 0)),
    # hip rotation plus tibial rotation (the knee is a hinge here, so the leg's axial rotation is lumped
    # at the hip): internal in loading, external in pre-swing / swing
    "hip_rot": ((0, 3, 0), (15, 9, 1), (40, 4, 0), (60, -5, 0), (73, -12, -4), (88, -2, 0), (100, 3, 0)),
    "ankle_inv": ((0, 2, 0), (10, -3, -1), (40, 0, 0), (60, 4, 1), (75, 2, 0), (100, 2, 0)),
}

GAITS: dict[str, GaitCurves] = {
    "walking": GaitCurves({
        "hip_flex": ((0, 30, 8), (10, 27, 6), (30, 10, 0), (52, -10, -9), (60, -3, -6), (75, 22, 4),
                     (87, 34, 8), (100, 30, 8)),
        "knee_flex": ((0, 5, 2), (15, 19, 14), (40, 5, 2), (50, 12, 2), (60, 38, 2), (72, 62, 4), (82, 52, 4),
                      (88, 34, 3), (93, 17, 2), (97, 7, 2), (100, 5, 2)),
        "ankle_dorsi": ((0, 0, 0), (7, -6, -4), (20, 4, 0), (45, 11, -2), (52, 8, -3), (62, -17, -8),
                        (70, -8, -3), (80, 0, 0), (90, 2, 0), (100, 0, 0)),
        **_WALK_3D}, stance=0.60, stance_slope=-0.05, ref_speed=1.3, vertical=0, pelvis_tilt=10.0,
        scaled={"hip_flex": 1.0, "ankle_dorsi": 0.5}),
    "running": GaitCurves({
        "hip_flex": ((0, 32, 5), (15, 25, 3), (38, -8, -2), (45, -8, -2), (60, 15, 2), (80, 42, 6), (90, 38, 6),
                     (100, 32, 5)),
        "knee_flex": ((0, 18, 0), (15, 42, 2), (38, 20, 0), (45, 24, 2), (70, 95, 10), (85, 50, 4), (95, 20, 0),
                      (100, 18, 0)),
        "ankle_dorsi": ((0, 2, 0), (15, 20, 0), (38, -18, -2), (45, -20, -2), (60, -5, 0), (75, 3, 0), (90, 4, 0),
                        (100, 2, 0)),
        "hip_add": ((0, 4, 0), (15, 10, 0), (38, 2, 0), (60, -6, 0), (80, -2, 0), (100, 4, 0)),
        "hip_rot": ((0, 3, 0), (18, 10, 0), (45, -2, 0), (70, -13, 0), (100, 3, 0)),
        "ankle_inv": ((0, 3, 0), (12, -5, 0), (38, 4, 0), (70, 2, 0), (100, 3, 0)),
    }, stance=0.38, stance_slope=-0.03, ref_speed=3.5, vertical=0, pelvis_tilt=0.0,
        scaled={"hip_flex": 1.0, "knee_flex": 0.5, "ankle_dorsi": 1.0}, knee_pivot=45.0),
    "stairs_up": GaitCurves({
        "hip_flex": ((0, 60, 0), (20, 45, 0), (45, 15, 0), (60, 8, 0), (70, 25, 0), (85, 62, 0), (100, 60, 0)),
        # knee and ankle: Riener et al. 2002's ascent curves as digitised (WeRoLab Biomechanical_Trajectories,
        # stairAscent_Riener.csv), read at their turning points
        "knee_flex": ((0, 71, 0), (21, 46, 0), (30, 28.5, 0), (42, 12, 0), (53, 9, 0), (57, 11, 0), (60, 15.5, 0),
                      (64, 25, 0), (66.5, 34, 0), (69, 47, 0), (71, 57, 0), (74, 73, 0), (78, 86.4, 0),
                      (83.5, 94.7, 0), (89, 89.7, 0), (92, 82.7, 0), (96, 76.7, 0), (100, 71, 0)),
        "ankle_dorsi": ((0, 8, 0), (14, 12.7, 0), (30, 7.7, 0), (42, 3.9, 0), (53, 1.6, 0), (57, -3.6, 0),
                        (60, -10.8, 0), (64, -18.3, 0), (66.5, -20.6, 0), (71, -17.7, 0), (74, -11.7, 0),
                        (78, -4.2, 0), (82, 3.2, 0), (86, 6.9, 0), (95, 9.6, 0), (100, 8, 0)),
        "hip_add": ((0, 2, 0), (20, 8, 0), (45, 4, 0), (65, -4, 0), (85, -2, 0), (100, 2, 0)),
        "hip_rot": ((0, 4, 0), (28, 6, 0), (65, -8, 0), (85, 0, 0), (100, 4, 0)),
    }, stance=0.64, stance_slope=0.0, ref_speed=0.45, vertical=1, trunk_lean=8.0),
    "stairs_down": GaitCurves({
        "hip_flex": ((0, 12, 0), (20, 12, 0), (45, 22, 0), (60, 30, 0), (75, 40, 0), (88, 25, 0), (100, 12, 0)),
        "knee_flex": ((0, 10, 0), (15, 20, 0), (40, 45, 0), (60, 88, 0), (72, 95, 0), (85, 50, 0), (95, 15, 0),
                      (100, 10, 0)),
        "ankle_dorsi": ((0, -21.6, 0), (3.3, -12.8, 0), (6.7, -3.1, 0), (10, 3.8, 0), (13.4, 7.9, 0), (16.7, 10.2, 0),
                        (21, 11.6, 0), (26.7, 12.2, 0), (33.8, 13.4, 0), (40.4, 15.5, 0), (46.8, 16.6, 0),
                        (53.2, 13.4, 0), (55.5, 10.7, 0), (58.8, 5.7, 0), (62.2, 1.8, 0), (66.6, 0.6, 0),
                        (70.6, 0.4, 0), (74, -0.8, 0), (80, -6.7, 0), (84, -13.8, 0), (88.6, -20, 0), (92.6, -23.6, 0),
                        (95.4, -24.7, 0), (98, -23.7, 0), (100, -21.6, 0)),
        "hip_add": ((0, 4, 0), (20, 9, 0), (50, 5, 0), (70, -3, 0), (88, 0, 0), (100, 4, 0)),
        "hip_rot": ((0, 2, 0), (28, 10, 0), (65, -6, 0), (85, -1, 0), (100, 2, 0)),
        "ankle_inv": ((0, 4, 0), (15, -3, 0), (60, 3, 0), (100, 4, 0)),
    }, stance=0.62, stance_slope=0.0, ref_speed=0.47, vertical=-1, trunk_lean=2.0),
}

#: Allowed parameter ranges (SI) for each gait; defaults are drawn from the person.
SPEED_RANGE = {"walking": (0.4, 2.2), "running": (2.0, 6.5)}
#: between-person SD of each angle's offset (deg) (Kadaba et al. 1989), and the amplitude CV
ANGLE_SD = {"hip_flex": 4.0, "knee_flex": 3.0, "ankle_dorsi": 3.0, "hip_add": 2.5, "hip_rot": 5.0,
            "ankle_inv": 2.0}
AMPLITUDE_CV = 0.08
#: stride-to-stride SD (deg, at mid-swing) of the swinging leg's out-of-plane angles: the same leg does not
#: swing the same way twice (joint angles repeat within ≈ 2° from stride to stride, Żuk & Pezowicz 2015,
#: *Appl Bionics Biomech* 2015:503713; hip rotation more). Hip abduction 1°: it moves the ankle sideways
#: (≈ 1.5 cm at 1°), which must stay under the 2–2.5 cm SD of where the foot lands (step width, Owings &
#: Grabiner 2004, *J Biomech* 37:935). The sagittal angles are left alone: the toe's clearance over the
#: ground is kept within millimetres by their coordination (Begg et al. 2007, *Gait Posture* 25:191), which
#: independent noise would break. (:func:`swing_variation`)
SWING_ANGLE_SD = {"hip_abd": 1.0, "hip_rot": 2.5, "ankle_inv": 2.0}
#: smooth lower bound of the knee flexion curves (deg; ``_soft_floor`` with a 0.6° width: ≥ ≈ 1.9°)
KNEE_FLOOR_DEG = 1.5
HARMONICS = 8
#: inversion (deg) of the planted foot from heel-off to toe-off: the rearfoot goes from its greatest eversion
#: (7.2 ± 1.2° at 44 % of the cycle) to a little inversion in early swing (Pierrynowski & Smith 1996, *Foot
#: Ankle Int* 17:406; 9 adults), ≈ 8°, while the shank stands about upright in the frontal plane
PUSH_OFF_INVERSION_DEG = 8.0
#: inversion (deg, sole inwards) of the walking foot at heel strike: the outer edge of the heel touches first
#: and the foot rolls flat through the loading response ("the rearfoot strikes in slight inversion and then
#: quickly moves through eversion", textbook gait descriptions; the angle is an assumption within "slight",
#: checked against the roll rate of real shoe sensors, docs/MOTION.md); taken up over the last 12 % of swing
#: (the planted window's take-up) and flat by :data:`LANDING_FLAT_AT` of the cycle
LANDING_INVERSION_DEG = {"walking": 4.0}
LANDING_FLAT_AT = 0.10
#: samples per cycle of the planted-foot corrections (``foot_flat_correction``), evaluated by periodic cubic
#: interpolation: their stance windows open and close within ≈ 7 % of the cycle, on which a Fourier series
#: rings (8 harmonics: ≈ 0.3 rad/s at the planted foot all through stance; 20: still ≈ 0.2 rad/s)
FOOT_GRID = 240

#: walking arm swing: shoulder amplitude (deg, either side of the mean) at 1.3 m/s for arm_swing = 1,
#: its speed exponent, and the elbow's flexion range per degree of shoulder amplitude
ARM_SWING_DEG = 16.0
ARM_SWING_EXP = 0.8
ELBOW_GAIN = 1.5
#: knee-lock guard of ``smooth_root_keep_feet`` (k_min, k_on, k_root deg), used by the knee-lock test;
#: the gaits no longer re-solve the legs, their knees stay ≥ ≈ 2° by the soft floor on the curves
SOFT_KNEE_DEG = (2.0, 10.0, 4.0)
#: pelvis-path low-pass (Hz): vertical for running / stairs (walking: ``WALK_VERTICAL_X``), horizontal.
#: Running: in a spring-mass runner (Blickhan 1989, *J Biomech* 22:1217) the trunk's vertical specific
#: force is ≈ 0 in flight (free fall) and a half-sine of peak g·π/(4·stance) ≈ 2–2.8 g in stance
#: (measured vertical force peaks 2.2–2.9 body weights at 3–5 m/s, Munro, Miller & Fuglevand 1987,
#: *J Biomech* 20:147). At 7 Hz the foot-anchored path kept kinks of the rigid-leg contact model: peaks of
#: 4 g and −1 g (pulled down faster than free fall) in flight, 11.4 m/s² dynamic RMS; 5 Hz gives 3 g /
#: −0.5 g / 8.2 m/s² and is the lowest cutoff at which the planted foot stays within the 2.5 cm of the
#: plausibility bound (4 Hz: 2.5 g / −0.06 g but ≈ 3 cm). The rest needs stance curves whose leg compresses
#: like a spring (the normative curves put the pelvis lowest at touch-down, not mid-stance). Since 2026-11-30
#: 5.2 Hz: with the recreational runners' higher cadence (``RUN_STEP_HZ``) the planted foot reached 2.54 cm
#: at 5 Hz; 5.2 Hz gives 2.9 / 3.0 g peaks and −0.44 / −0.69 g lows at 2.8 / 3.5 m/s (5.3 Hz: the foot
#: passes, the lows do not).
ROOT_HZ = {"running": 5.2, "stairs_up": 3.0, "stairs_down": 3.0}
HORIZONTAL_HZ = {"running": 10.0, "stairs_up": 6.0, "stairs_down": 6.0}
#: Running's passes of the even pelvis speed over the stance foot (``close_gait``). The foot-anchored pelvis
#: of the running curves swept the stance slowly after touch-down and fast before toe-off: its speed swung
#: by ±30 % within a step, its fore-aft acceleration reached −2.3 / +1.7 g (1st / 99th percentile, 6
#: runners × 12 s), where a runner's horizontal ground force peaks at ≈ 0.3–0.5 body weights braking and
#: pushing (Munro, Miller & Fuglevand 1987): a dip of ≈ 0.3 m/s, ±0.5 g. Each pass evens the path by the
#: loaded leg's hip flexion (:func:`stance_speed_correction`, walking's and the stairs' fore-aft term) and
#: refits the step length: after one, −1.1 / +1.4 g (after two −1.1 / +1.2 g, for 12 % more of a running
#: motion's time: the corpus benchmark's 1000× real time per core is what holds it to one).
RUN_EVEN_PASSES = 1
#: running cadence of recreational runners: 165 ± 8 steps/min at their comfortable 3.04 ± 0.28 m/s, +3
#: steps/min for 15 % faster (van Oeveren, de Ruiter, Beek, Rispens & van Dieën 2020, *Eur J Sport Sci*
#: 20:182; 21 runners, outdoors) — 0.11 Hz per m/s, close to the 0.12 Dorn et al. 2012 measured over
#: 3.5–9 m/s (f = 2.21 + 0.12 v, trained runners on a track, ≈ 10 steps/min below recreational runners at 3 m/s;
#: inexperienced runners 154–160 steps/min at 2.4–2.9 m/s, van Oeveren et al. 2017, *PLoS One*
#: 12:e0184273; the line gives 161–164 there). Step Hz at the reference speed, Hz per m/s, reference m/s,
#: between-person SD (Hz; a runner's offset is clipped at ±2.5 SD).
RUN_STEP_HZ, RUN_STEP_SLOPE, RUN_REF_SPEED, RUN_STEP_SD_HZ = 165 / 60, 0.11, 3.04, 8 / 60
#: self-selected jogging speed when none is asked for (m/s, normal mean / SD, clipped): between the
#: experienced recreational runners' 3.04 ± 0.28 and the inexperienced runners' ≈ 2.6 of the same group's
#: studies — people recorded for activity recognition are mostly not runners
JOG_SPEED, JOG_SPEED_RANGE = (2.85, 0.3), (2.2, 3.8)
#: a recording's walking pace against the person's preferred speed (``preferred_speed_mps``, the steady
#: speed of laboratory walkways), log-normal: median, SD of the log, clip. Walking outside a long
#: walkway is slower: young adults reach their steady speed only after ≈ 10 m, and the usual ≤ 10 m
#: tests read ≈ 30 % below it ("On attaining and estimating steady walking speed", preprint, N = 10);
#: daily-life walking speed is lower than the same people's in the laboratory (≈ 0.88 × a 4-m test's:
#: Van Ancum et al. 2019, *Maturitas* 121:28; Takayanagi et al. 2019, *Sci Rep* 9:3496, 1965 older
#: adults; Czech et al. 2020, *npj Digit Med* 3:127, younger and older adults). The median 0.9 follows
#: those; the spread is an assumption. With the preferred speed's between-person SD the recordings' speeds
#: are ≈ 1.22 ± 0.19 m/s. Drawn from its own stream (``side_stream``): the gait's other draws are unchanged.
WALK_PACE = (0.9, 0.1, (0.7, 1.1))
#: share of the walking pelvis height's step-periodic part given the collisional shape (``collision_height``);
#: the rest keeps the leg path's own near-sinusoidal bounce. With the whole part reshaped a lower-back
#: device read a vertical RMS of 1.76 m/s² and skewness 2.26 at 97 steps/min against the real gaitpy lumbar
#: walker's 1.53 and 2.0 (mobgap: 1.34 and 1.2 at 101 steps/min); three quarters: 1.39 and 2.06
COLLISION_SHARE = 0.75
#: width of the collisional push / the double support. The collisional model idealises the redirection as
#: impulses at the weight transfer; the leading leg's vertical force keeps rising after the double support
#: (≈ 10 % of the stride) to its first peak at ≈ 12–15 % (Winter 2009, ch. 5), so the push lasts somewhat
#: longer (the summed force stays above body weight until ≈ 20 %: up to ≈ 2.5×). Chosen within 1–2.5 by the
#: real mobgap lumbar walkers at their own speed (1.05 m/s, ≈ 100 steps/min): skewness / peak per step 1.27 /
#: 2.65 m/s² against real 1.22 / 2.72 (the double support alone: 1.82 / 3.85); the rigid upper body then
#: carries less of the push's sharpness to the wrist — |acc| power above 10 Hz 0.052 → 0.015 at the
#: default speed, the real CrowdSignals watch 0.022
PUSH_WIDTH_X = 1.25
#: stair cadence (Hz, ascent / descent) of the population, see the module docstring: 118 / 124 steps/min
STAIR_STEP_HZ = (118 / 60, 124 / 60)
#: log-normal SD of a person's own stair pace, on top of the ≈ 6 % that their preferred walking speed gives:
#: together ≈ 18 %, the between-person CV of the unconstrained descent study's cycle time (0.18 / 0.97 s);
#: clipped at ±2 SD
STAIR_PACE_SD = 0.17
#: walking vertical pelvis low-pass cutoff / step frequency (4th-order zero-phase Butterworth)
WALK_VERTICAL_X = 3.0
#: walking horizontal pelvis low-pass cutoff / step frequency (same filter). The foot-anchored path keeps
#: a kink at every heel strike and roll-over; with the Gaussian at 6 Hz used before, a lower-back device read
#: a fore-aft RMS 1.7× its vertical one (at 1.05 m/s: 2.28 vs 1.34 m/s², 99th percentile 6.8 m/s²) where
#: the project's real lumbar walkers read 0.7–0.85× (mobgap straight walks, gaitpy steady windows;
#: medio-lateral 0.6–0.65×). 3.5 × step frequency gives 0.8 / 0.7 at 1.05 m/s and 0.63 / 0.6 at 1.4 m/s;
#: the planted foot moves ≤ 6 mm in single support (bound 10 mm)
WALK_HORIZONTAL_X = 3.5


#: Nordic walking (walking with poles, ``poles=True``) against the same people walking: 7 % faster (1.64 vs
#: 1.53 m/s self-selected) with 15 % longer steps, so a cadence 0.93 × (*Int J Environ Res Public Health*
#: 2017, 14:1235, abstract; self-selected speeds on uphill mountain paths, the only same-person figures
#: found). The shoulder's sagittal range is no larger than walking's at the same speed (smaller at +10 and
#: +20 % speed) while the elbow's is larger (16 men, treadmill; ProQuest 1968047439): the shoulder swings as
#: walking's at that speed about a mean of +5° (walking −3°; the hand ahead of the hip to plant the pole:
#: the upper arm sits 2.5–4.7° further forward than walking's, whose hanging arm lags), the elbow with
#: :data:`NORDIC_ELBOW_GAIN` instead of :data:`ELBOW_GAIN` (an assumption within "larger": its range is
#: 1.5–2.7× the walking elbow's with that one's passive sway, 10 people); the trunk leans
#: :data:`NORDIC_TRUNK_DEG` further forward and rotates 30 % more ("more trunk motion", Russo et al. 2023,
#: *J Funct Morphol Kinesiol* 8:50; both amounts are assumptions). The poles are planted at the opposite
#: heel strike (coaching texts), when the arm is furthest forward, as in walking's arm swing.
NORDIC_SPEED_X, NORDIC_STEP_X = 1.07, 1.15
NORDIC_ELBOW_GAIN = 3.5
NORDIC_SHOULDER_DEG = 5.0
NORDIC_TRUNK_DEG = 4.0
NORDIC_TRUNK_ROT_X = 1.3
#: the pole tip's strike at the hand: the elbow jolts by a damped oscillation (amplitude deg, frequency Hz,
#: damping ratio; uniform per person) at each plant. Peaks of several g are reported at the wrist in Nordic
#: walking (up to 7.6 g; *J Appl Biomech* 2011, 27:22, as its abstract gives it); these ranges are
#: assumptions (θω²r ≈ 1.7–7.4 g with r ≈ 0.3 m) with the forearm sites' frequencies of the foot-impact
#: model (``imuforge.sensors.impact``); a motion sampled below :data:`POLE_JOLT_MIN_FPS` cannot carry them
#: and gets none
POLE_JOLT = {"deg": (0.8, 1.8), "hz": (10.0, 14.0), "damping": (0.3, 0.5)}
POLE_JOLT_MIN_FPS = 40.0


#: walking step length ∝ v^STEP_LENGTH_EXP at a given stature, so cadence ∝ v^CADENCE_SPEED_EXP (= 1 − 0.42)
STEP_LENGTH_EXP, CADENCE_SPEED_EXP = 0.42, 0.58
#: stair cadence ∝ intensity^STAIR_INTENSITY_EXP (``_speed_and_step``)
STAIR_INTENSITY_EXP = 0.3


#: walking's step length (m) at STEP_REF_SPEED per m of stature, and that speed (m/s):
#: step = STEP_PER_HEIGHT · height · (speed / STEP_REF_SPEED)^STEP_LENGTH_EXP
STEP_PER_HEIGHT, STEP_REF_SPEED = 0.413, 1.3


def step_frequency(kind: str, speed: float, height_m: float) -> float:
    """Steps per second for the gait at ``speed`` (m/s; ignored for stairs)."""
    if kind == "walking":
        step = STEP_PER_HEIGHT * height_m * (speed / STEP_REF_SPEED) ** STEP_LENGTH_EXP
        return speed / step
    if kind == "running":
        return RUN_STEP_HZ + RUN_STEP_SLOPE * (speed - RUN_REF_SPEED)
    if kind == "stairs_up":
        return STAIR_STEP_HZ[0]
    return STAIR_STEP_HZ[1]


def speed_for_cadence(kind: str, steps_per_s: float, height_m: float) -> float:
    """The speed (m/s) at which :func:`step_frequency` gives ``steps_per_s`` for walking or running (its
    inverse: walking's step ∝ speed^STEP_LENGTH_EXP, so speed ∝ cadence^(1 / (1 − STEP_LENGTH_EXP)); running's
    cadence linear in speed)."""
    if kind == "walking":
        return (steps_per_s * STEP_PER_HEIGHT * height_m / STEP_REF_SPEED ** STEP_LENGTH_EXP
                ) ** (1.0 / (1.0 - STEP_LENGTH_EXP))
    if kind == "running":
        return RUN_REF_SPEED + (steps_per_s - RUN_STEP_HZ) / RUN_STEP_SLOPE
    raise ValidationError(f"no speed for a cadence of {kind}", allowed="walking, running")


@functools.lru_cache(maxsize=1024)
def _running_cadence_seed(seed: int) -> float:
    z = float(np.clip(np.random.default_rng([seed, 11]).standard_normal(), -2.5, 2.5))
    return z * RUN_STEP_SD_HZ


def _running_cadence_offset(person: Person) -> float:
    """This person's running cadence offset (Hz) from the population mean, drawn once per person."""
    seed = getattr(person, "gait_style_seed", None)
    return 0.0 if seed is None else _running_cadence_seed(int(seed))


@functools.lru_cache(maxsize=1024)
def _stair_pace_seed(seed: int) -> float:
    z = float(np.clip(np.random.default_rng([seed, 13]).standard_normal(), -2.0, 2.0))
    return float(np.exp(z * STAIR_PACE_SD - STAIR_PACE_SD ** 2 / 2))  # mean 1


def stair_pace(person: Person) -> float:
    """This person's own stair cadence factor (log-normal, ``STAIR_PACE_SD``), drawn once per person;
    1 without ``gait_style_seed``."""
    seed = getattr(person, "gait_style_seed", None)
    return 1.0 if seed is None else _stair_pace_seed(int(seed))


#: Arm-swing asymmetry between a person's sides, walking overground at comfortable speed (Killeen et al.
#: 2018, *Sci Rep* 8:12803; 334 adults aged 68.6 ± 5.9, 91 % right-handed; sagittal shoulder range from
#: wrist IMUs): the non-directional index 39.5 ± 21.8 (%), the left arm's swing the larger in about two
#: people of three (a bimodal directional index, 2:1), unrelated to handedness. The index is read as
#: 2|L − R|/(L + R) (the article's formula was not at hand: an assumption) and drawn as |N(0.395, 0.218)|,
#: capped at 1.2 (the smaller swing a quarter of the larger). Older adults: the one large sample found.
ARM_ASYMMETRY = (0.395, 0.218, 1.2)
ARM_LEFT_LARGER = 2 / 3


@functools.lru_cache(maxsize=1024)
def _arm_asymmetry_seed(seed: int) -> float:
    g = np.random.default_rng([seed, 23])
    mean, sd, cap = ARM_ASYMMETRY
    size = min(abs(float(g.normal(mean, sd))), cap)
    return size if g.uniform() < ARM_LEFT_LARGER else -size


def arm_swing_asymmetry(person: Person) -> float:
    """2(L − R)/(L + R) of this person's arm-swing amplitudes in walking and on stairs (+: the left arm
    swings more; :data:`ARM_ASYMMETRY`), drawn once per person; 0 without ``gait_style_seed``."""
    seed = getattr(person, "gait_style_seed", None)
    return 0.0 if seed is None else _arm_asymmetry_seed(int(seed))


#: running's sagittal shoulder swing (deg either side) at arm_swing = 1
RUNNING_ARM_DEG = 30.0
#: The running arm's swing out of the sagittal plane, per person: amplitudes (deg at the full sagittal
#: swing, uniform ranges; assumptions, see :func:`running_arm_path`) of the shoulder's abduction at the
#: stride frequency (``path``) and at twice it (``flare``), and of its inward turn at twice it (``turn``, a
#: quarter period from ``flare``).
RUNNING_ARM_PATH = {"path": (3.0, 9.0), "flare": (1.0, 4.0), "turn": (2.5, 6.0)}


@functools.lru_cache(maxsize=1024)
def _running_path_seed(seed: int) -> tuple[tuple[str, float], ...]:
    g = np.random.default_rng([seed, 29])
    sizes = [(f"run_{k}", float(g.uniform(*r))) for k, r in RUNNING_ARM_PATH.items()]
    # the hand in, not out, at the front of the swing: from the diagonal to an oval either way round
    return tuple(sizes + [("run_phase1", float(g.uniform(np.pi, 2 * np.pi))),
                          ("run_phase2", float(g.uniform(0, 2 * np.pi)))])


def running_arm_path(person: Person) -> dict[str, float]:
    """This person's running arm path out of the sagittal plane (:data:`RUNNING_ARM_PATH`), drawn once per
    person; none without ``gait_style_seed``.

    Runners carry the bent arm on a diagonal — the hand towards the sternum in front, beside the hip
    behind — or an oval (coaching texts; most joggers cross their arms in, racers are trained out of it),
    and real running wrists turn out of the swing's plane by about the same angle in both sets the project
    can read (BasicMotions, CrowdSignals watch): ≈ 5–7° at the stride frequency, a quarter period from the
    swing where coherent, and ≈ 3–3.5° at twice it on each of the two other axes. The stride-frequency
    phase (``run_phase1``) lies between the diagonal (the hand in at the front, never out) and an oval
    either way round; the twice-stride phase (``run_phase2``) is uniform. docs/MOTION.md has the figures.
    """
    seed = getattr(person, "gait_style_seed", None)
    return {} if seed is None else dict(_running_path_seed(int(seed)))


def swing_sides(style: dict, asymmetry: float) -> dict:
    """``style`` with its arm-swing scales multiplied by 1 ± asymmetry/2 (left +), their mean kept."""
    out = dict(style)
    for sfx, sign, _ in SIDES:  # +1 left, −1 right
        out[f"arm_scale_{sfx}"] = style.get(f"arm_scale_{sfx}", 1.0) * (1 + sign * asymmetry / 2)
    return out


def stance_fraction(kind: str, speed: float) -> float:
    c = GAITS[kind]
    lo, hi = (0.28, 0.45) if kind == "running" else (0.55, 0.68)
    return float(np.clip(c.stance + c.stance_slope * (speed - c.ref_speed), lo, hi))


@functools.lru_cache(maxsize=256)
def _coefficients(kind: str, key: str, speed_q: float, stance_q: float) -> np.ndarray:
    """Fourier coefficients of one angle at a (quantised) speed, key points moved with toe-off."""
    c = GAITS[kind]
    s0, s1 = 100 * c.stance, 100 * stance_q
    pts = []
    for p, v, dv in c.curves[key]:
        q = p * s1 / s0 if p <= s0 else s1 + (p - s0) * (100 - s1) / (100 - s0)
        pts.append((q, v + dv * (speed_q - c.ref_speed)))
    return fourier_fit(tuple(pts), HARMONICS)


@functools.lru_cache(maxsize=256)
def _coefficient_matrix(kind: str, speed_q: float, stance_q: float) -> tuple[tuple[str, ...], np.ndarray]:
    """The gait's curve names and their :func:`_coefficients` as the columns of one (2H+1, K) matrix."""
    keys = tuple(GAITS[kind].curves)
    m = np.column_stack([_coefficients(kind, key, speed_q, stance_q) for key in keys])
    m.flags.writeable = False
    return keys, m


def _soft_floor(x: np.ndarray, floor: float, width: float = 1.5) -> np.ndarray:
    """Smooth (C∞) lower bound: ≈ x above ``floor`` + 2·width, ≥ floor everywhere."""
    return floor + width * np.logaddexp(0.0, (x - floor) / width)


def person_gait_style(person: Person) -> dict[str, tuple[float, float]]:
    """Per-angle (offset deg, amplitude factor) of this person (zero / one without ``gait_style_seed``)."""
    seed = getattr(person, "gait_style_seed", None)
    if seed is None:
        return {k: (0.0, 1.0) for k in ANGLE_SD}
    return dict(_gait_style(int(seed), tuple(ANGLE_SD.items()), AMPLITUDE_CV))


@functools.lru_cache(maxsize=1024)
def _gait_style(seed: int, angle_sd: tuple, amplitude_cv: float) -> tuple:
    """:func:`person_gait_style`'s draws, once per person (the closure probes ask for them many times)."""
    g = np.random.default_rng([seed, 7])
    return tuple((k, (float(g.normal(0.0, sd)), float(np.clip(g.normal(1.0, amplitude_cv), 0.8, 1.2))))
                 for k, sd in angle_sd)


def _leg_angles(kind: str, phase: np.ndarray, speed: float, stance: float, closure: Closure, amp,
                style: dict) -> dict[str, np.ndarray]:
    """The legs' joint angles (deg) at gait phase ``phase`` (one row per leg, left then right): the speed's
    normative curves, this person's offsets and amplitude factors, the ``closure`` (see :class:`Closure`)
    and the stride-to-stride amplitude ``amp`` (one row per leg); both legs in one pass."""
    cycle, basis = _phase_basis(phase)
    keys, coefs = _coefficient_matrix(kind, round(speed * 20) / 20, stance)
    curves = basis @ coefs  # every curve in one product
    out = _curve_angles(kind, keys, coefs, curves, closure, amp, style)
    if closure.hip is not None:
        out["hip_flex"] = out["hip_flex"] + basis @ closure.hip
    if closure.add is not None:
        out["hip_add"] = out.get("hip_add", 0.0) + basis @ closure.add
    if closure.knee is not None:  # the knee's soft floor holds for the corrected knee too
        out["knee_flex"] = _soft_floor(out["knee_flex"] + basis @ closure.knee, KNEE_FLOOR_DEG, 0.6)
    if closure.foot is not None:  # the planted-foot corrections (``foot_flat_correction``)
        table = _foot_table_at(closure.foot_spline, phase, cycle)  # its columns as views (no moveaxis)
        toe, dorsi, inv, add = (table[..., c] for c in range(4))
        out["ankle_dorsi"] = out["ankle_dorsi"] + dorsi
        out["ankle_inv"] = out.get("ankle_inv", 0.0) + inv
        out["toe_out"] = toe
        out["hip_add"] = out.get("hip_add", 0.0) + add
    return out


def _curve_angles(kind: str, keys: tuple[str, ...], coefs: np.ndarray, curves: np.ndarray, closure: Closure,
                  amp, style: dict) -> dict[str, np.ndarray]:
    """:func:`_leg_angles`' angles before the closure's corrections: each curve of ``curves`` (the rows of
    ``keys``' Fourier ``coefs`` at the phases) about its mean, with this person's offset and amplitude factor,
    the closure's hip amplitude and offset and the stride amplitude ``amp``; the knee's soft floor. With the
    compiled kernel one pass over every angle (``_kernels.gait_curves``: the same operations, the same
    bits)."""
    fast = _curves_compiled(kind, keys, coefs, curves, closure, amp, style)
    g = GAITS[kind]
    if fast is not None:
        return fast
    out = {}
    for j, key in enumerate(keys):
        coef, value = coefs[:, j], curves[..., j]
        off, fac = style.get(key, (0.0, 1.0))
        a = amp * fac * (1.0 + g.scaled.get(key, 0.0) * (closure.amp - 1.0))
        if key == "hip_flex":
            off = off + closure.offset
        if key == "knee_flex":
            # scaled about full extension and the person's offset faded out towards it, so the knee's
            # minimum (≈ 3–5°) stays clear of the soft floor and terminal swing decelerates smoothly
            k = k0 + a * (value - k0) if (k0 := g.knee_pivot) else a * value
            out[key] = _soft_floor(k + off * -np.expm1(-(k / 20.0) ** 2), KNEE_FLOOR_DEG, 0.6)
        else:
            out[key] = coef[0] + off + a * (value - coef[0])
    return out


def _held_or_rows(x, n: int) -> np.ndarray | None:
    """``x`` (a number, or one value per frame of ``n``) as a contiguous float64 buffer; None otherwise."""
    if isinstance(x, float):
        return np.array([x])
    x = np.asarray(x)
    if x.dtype != np.float64 or x.shape not in ((), (n,)):
        return None
    return np.ascontiguousarray(x.reshape(-1))


@functools.lru_cache(maxsize=64)
def _curve_layout(kind: str, keys: tuple[str, ...]) -> tuple[np.ndarray, int, int]:
    """The compiled curves' per-gait inputs: each angle's share of the closure's amplitude, and the hip's
    and knee's rows (−1: none)."""
    g = GAITS[kind]
    scl = np.array([float(g.scaled.get(key, 0.0)) for key in keys])
    scl.flags.writeable = False
    return scl, *(keys.index(key) if key in keys else -1 for key in ("hip_flex", "knee_flex"))


def _curves_compiled(kind: str, keys: tuple[str, ...], coefs: np.ndarray, curves: np.ndarray,
                     closure: Closure, amp, style: dict) -> dict[str, np.ndarray] | None:
    """:func:`_curve_angles` by ``_kernels.gait_curves``, or None where it does not apply (no kernel, or
    shapes other than (legs, frames))."""
    k = Q._kernel()
    if not (k and hasattr(k, "gait_curves")) or curves.ndim != 3 or curves.dtype != np.float64:
        return None
    R, N, K = curves.shape
    camp, coff = _held_or_rows(closure.amp, N), _held_or_rows(closure.offset, N)
    if (camp is None or coff is None or not isinstance(amp, np.ndarray) or amp.shape != (R, N)
            or amp.dtype != np.float64):
        return None
    off, fac = np.array([style.get(key, (0.0, 1.0)) for key in keys], dtype=float).T.copy()
    scl, hip, knee = _curve_layout(kind, keys)
    out, e = np.empty((K, R, N)), np.empty((R, N))
    args = (np.ascontiguousarray(curves), R, N, K, np.ascontiguousarray(coefs[0]), off, fac, scl,
            np.ascontiguousarray(amp), camp, coff, hip, knee, float(GAITS[kind].knee_pivot), KNEE_FLOOR_DEG,
            0.6, e, out)
    k.gait_curves(0, *args)
    if knee >= 0:  # the knee's fade around numpy's expm1 (its float64 loop may be SIMD: not redone in C)
        np.expm1(e, out=e)
        k.gait_curves(1, *args)
    return dict(zip(keys, out))

class _Recent:
    """The last few values of a function of arrays, keyed by the arrays' bytes: a gait closure's probes
    evaluate the same strides' phases over and over (three in four Fourier bases of a closure repeat one
    made before it). The values are made read-only."""

    def __init__(self, size: int = 16):
        self.size, self.values = size, {}

    def get(self, key, make):
        value = self.values.pop(key, None)  # re-inserted last: the most recent
        if value is None:
            value = make()
            for v in value:
                if isinstance(v, np.ndarray):
                    v.flags.writeable = False
            if len(self.values) >= self.size:
                self.values.pop(next(iter(self.values)))
        self.values[key] = value
        return value

    def clear(self) -> None:
        self.values.clear()


_BASES = _Recent()
_FOOT_TABLES = _Recent()


def _phase_basis(phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(phase mod 1, its Fourier basis of ``HARMONICS``) of a phase array, remembered for its next use."""
    phase = np.ascontiguousarray(phase, dtype=float)

    def make():
        cycle = np.mod(phase, 1.0)
        return cycle, fourier_basis(cycle, HARMONICS)

    return _BASES.get((phase.shape, phase.tobytes()), make)


def _foot_table_at(spline: PPoly, phase: np.ndarray, cycle: np.ndarray) -> np.ndarray:
    """``spline(cycle)`` (``cycle`` = ``phase`` mod 1), remembered for the next use of the same spline at the
    same phases (the entry holds the spline, so its id stays its own)."""
    phase = np.ascontiguousarray(phase, dtype=float)
    return _FOOT_TABLES.get((id(spline), phase.shape, phase.tobytes()), lambda: (spline(cycle), spline))[0]


@functools.lru_cache(maxsize=64)
def _foot_spline(table: bytes, shape: tuple[int, int]) -> PPoly:
    """:func:`_periodic_spline` of a planted-foot table given as its bytes (the key of the cache)."""
    return _periodic_spline(np.frombuffer(table, dtype=np.float64).reshape(shape))


def _periodic_spline(table: np.ndarray) -> PPoly:
    """Periodic cubic interpolant (C²) of ``table`` (N, k), sampled at phases ``i / N`` (scipy's periodic
    ``CubicSpline``, :func:`~imuforge.motion.library._core.periodic_spline`)."""
    x = np.arange(len(table) + 1) / len(table)
    return periodic_spline(x, np.concatenate([table, table[:1]]))


#: The walking pelvis over the stride (deg; phase 0 = heel strike of the left foot): obliquity (+ the left
#: side up) and yaw (the model's sign: − the left side forward), as Fourier coefficients ``(cos, sin)`` of the
#: odd stride harmonics :data:`WALK_PELVIS_HARMONICS` (both reverse after half a stride), one (3, 2) table per
#: speed class — the mean curves of Schwartz, Rozumalski & Trost 2008 (*J Biomech* 41:1639, typically
#: developing children, Plug-in Gait pelvis angles) in its slow, free and fast classes (dimensionless speed
#: v / √(g L), :data:`WALK_PELVIS_SPEEDS`), by the discrete Fourier transform of the 2 %-spaced means (largest
#: residual 0.21°). The tilt stays the sinusoid of Kadaba et al.'s range (why: docs/MOTION.md, "The walking
#: pelvis").
WALK_PELVIS_SPEEDS = (0.290, 0.429, 0.560)
WALK_PELVIS_HARMONICS = (1, 3, 5)
WALK_PELVIS = {
    "pelvis_obliq": np.array((((1.64, 1.35), (-0.94, 0.17), (-0.04, -0.06)),
                              ((1.85, 2.12), (-1.19, 0.22), (0.00, -0.09)),
                              ((2.55, 3.25), (-1.28, 0.04), (0.03, -0.12)))),
    "pelvis_yaw": np.array((((-2.52, -2.57), (-0.28, 0.06), (-0.25, 0.01)),
                            ((-3.74, -2.10), (-0.34, 0.37), (-0.26, 0.06)),
                            ((-5.49, -2.08), (-0.68, 0.58), (-0.19, 0.10)))),
}
for _table in WALK_PELVIS.values():
    _table.flags.writeable = False


def walking_pelvis(phL: np.ndarray, speed: float) -> dict[str, np.ndarray]:
    """The walking pelvis's obliquity and yaw (deg) over the left leg's phases ``phL`` at ``speed`` (m/s, a
    scalar): :data:`WALK_PELVIS`'s coefficients interpolated in dimensionless speed v / √(g L), L the leg of
    the library's 1.75 m reference person (the classes at 0.87, 1.29 and 1.69 m/s; held beyond the ends)."""
    dimless = float(speed) / np.sqrt(STANDARD_GRAVITY * LEG_LENGTH_H * Person.height_m)
    at = float(np.interp(dimless, WALK_PELVIS_SPEEDS, np.arange(len(WALK_PELVIS_SPEEDS))))
    i = min(int(at), len(WALK_PELVIS_SPEEDS) - 2)
    arg = 2 * np.pi * np.multiply.outer(phL, WALK_PELVIS_HARMONICS)
    cos, sin = np.cos(arg), np.sin(arg)
    out = {}
    for key, classes in WALK_PELVIS.items():
        coef = (1 - (at - i)) * classes[i] + (at - i) * classes[i + 1]  # (harmonics, 2)
        out[key] = cos @ coef[:, 0] + sin @ coef[:, 1]
    return out


def _trunk_and_pelvis(kind: str, person: Person, phL: np.ndarray, speed: float, style: dict,
                      pelvis_only: bool = False) -> dict:
    """Pelvis and trunk angles (deg), referenced to the left leg's phase (Kadaba et al. 1989's ranges as
    sinusoids; the walking obliquity and yaw :func:`walking_pelvis`; thorax counter-rotation and
    stabilisation, see the module docstring); ``pelvis_only``: the pelvis's three (all the legs' forward
    kinematics needs)."""
    run = kind == "running"
    k = 2 * np.pi
    pel = 1.6 if run else (speed / 1.3) ** 0.5 if kind == "walking" else 0.8
    # Kadaba et al.'s ranges as sinusoids: the pelvis (but walking's obliquity and yaw), and what the thorax
    # is steadied against
    sine = {"pelvis_obliq": 4.0 * pel * np.cos(k * (phL - 0.15)),
            "pelvis_yaw": -4.0 * pel * np.cos(k * phL),
            "pelvis_tilt": 1.5 * pel * np.cos(2 * k * (phL - 0.1))}
    pelvis = sine | walking_pelvis(phL, speed) if kind == "walking" else sine
    pose = dict(pelvis, pelvis_tilt=pelvis["pelvis_tilt"] + 4.0) if run else dict(pelvis)
    if pelvis_only:
        return pose
    lean = person.trunk_lean_deg + (6.0 if run else 0.0) + GAITS[kind].trunk_lean + style.get("trunk_flex", 0.0)
    comp = 0.8  # the spine cancels 80 % of the (sinusoidal) pelvic tilt / obliquity oscillation
    pose["spine_flex"] = lean - comp * sine["pelvis_tilt"]
    pose["spine_rot"] = 7.0 * pel * style.get("trunk_rot_x", 1.0) * np.cos(k * phL)
    # (the pelvis's left side up tilts the spine to the right: the spine bends to the left, + lat, against it)
    pose["spine_lat"] = comp * sine["pelvis_obliq"] + style.get("trunk_lat", 0.0)
    if kind == "walking":
        # The walking pelvis's departure from the sinusoids (the obliquity's loading-response rise, its faster
        # harmonics) is taken up by the lumbar spine alone: the upper body's inertia on the compliant spine
        # does not follow it.
        pose["lumbar_rot"] = sine["pelvis_yaw"] - pelvis["pelvis_yaw"]
        pose["lumbar_lat"] = pelvis["pelvis_obliq"] - sine["pelvis_obliq"]
    pose["neck_rot"] = -3.0 * pel * np.cos(k * phL)
    pose["neck_flex"] = -0.6 * lean + style.get("neck_flex", 0.0) + (8.0 if kind == "stairs_down" else 0.0)
    return pose


def _arms(kind: str, phL: np.ndarray, phR: np.ndarray, arm_amp, style: dict) -> dict:
    """Arm swing opposite to the same-side leg (see the module docstring)."""
    pose: dict = {}
    k = 2 * np.pi
    for sfx, ph in (("L", phL), ("R", phR)):
        a = arm_amp * style.get(f"arm_scale_{sfx}", 1.0)
        swing = np.cos(k * (ph - 0.5))
        if kind == "running":
            pose[f"sh_flex_{sfx}"] = -8.0 + a * swing
            pose[f"elbow_flex_{sfx}"] = 85.0 + 15.0 * swing
            r = a / RUNNING_ARM_DEG
            x1 = k * (ph - 0.5) + style.get("run_phase1", 0.0)
            x2 = 2 * k * (ph - 0.5) + style.get("run_phase2", 0.0)
            pose[f"sh_abd_{sfx}"] = 12.0 + r * (style.get("run_path", 0.0) * np.sin(x1)
                                                + style.get("run_flare", 0.0) * np.cos(x2))
            # ``pose_to_local`` applies rx(side · sh_rot): the same inward turn has opposite signs
            turn = r * style.get("run_turn", 0.0) * np.sin(x2)
            pose[f"sh_rot_{sfx}"] = turn if sfx == "L" else -turn
        elif style.get("poles"):  # driven by the pole: forward to plant, back past the hip to push
            pose[f"sh_flex_{sfx}"] = NORDIC_SHOULDER_DEG + a * swing
            pose[f"elbow_flex_{sfx}"] = 18.0 + NORDIC_ELBOW_GAIN / 2 * a * (1 + np.cos(k * (ph - 0.5 - 0.08)))
            pose[f"sh_abd_{sfx}"] = 10.0
        else:
            # the elbow flexes 18° → ≈ 18 + 1.5·a° and lags the shoulder by ≈ 8 % of the cycle
            pose[f"sh_flex_{sfx}"] = -3.0 + a * swing
            pose[f"elbow_flex_{sfx}"] = 18.0 + ELBOW_GAIN / 2 * a * (1 + np.cos(k * (ph - 0.5 - 0.08)))
            pose[f"sh_abd_{sfx}"] = 7.0
        pose[f"elbow_sup_{sfx}"] = 0.0
        pose[f"wrist_flex_{sfx}"] = 0.0 if style.get("poles") else 5.0
        for key in ("sh_flex", "elbow_flex", "sh_abd", "sh_rot", "collar_elev", "elbow_sup"):
            if f"{key}_{sfx}_fixed" in style:
                pose[f"{key}_{sfx}"] = style[f"{key}_{sfx}_fixed"] + 0.0 * ph
    return pose


def _pose(kind: str, person: Person, phL, phR, amp_l, amp_r, closure: Closure, arm_amp, speed: float,
          stance: float, style: dict) -> dict:
    """Full-body pose dict (deg) of a gait (``arm_amp`` None: the pelvis and legs only, as the closure
    probes' legs-only forward kinematics needs them)."""
    pstyle = person_gait_style(person)
    abd0 = _abduction_offset(person)
    pose: dict = {"toe_out": person.toe_out_deg}
    amp = np.empty((2,) + np.shape(phL))
    amp[0], amp[1] = amp_l, amp_r
    ang = _leg_angles(kind, np.stack([phL, phR]), speed, stance, closure, amp, pstyle)
    add, toe = ang.pop("hip_add", (0.0, 0.0)), ang.pop("toe_out", (0.0, 0.0))
    for i, sfx in enumerate("LR"):
        pose[f"hip_abd_{sfx}"] = abd0 + closure.abd - add[i]
        pose[f"toe_out_{sfx}"] = person.toe_out_deg + toe[i]
        for key, v in ang.items():
            pose[f"{key}_{sfx}"] = v[i]
    if arm_amp is None:  # the closure's probes: the pelvis as the last pass over these phases made it
        pose.update(_probe_pelvis(kind, phL, speed))
        return pose
    pose.update(_trunk_and_pelvis(kind, person, phL, speed, style))
    pose.update(_arms(kind, phL, phR, arm_amp, style))
    return pose


#: a leg angle the pose does not hold: 0 on both sides, held over the frames (``_both_sides``' (2, 1) rows)
_HELD_ZERO = np.zeros((2, 1))
_HELD_ZERO.flags.writeable = False


def _probe_rows(ang: dict, abd0: float, abd, toe_out: float, n: int, d_hip, d_add) -> tuple[np.ndarray, ...]:
    """The legs' angles of a probe (:func:`_leg_angles`' ``ang``, (2, n) each) as the rows (rad) that
    ``_both_sides`` makes of :func:`_pose`'s dict for the compiled leg rotations, in ``_LEG_ANGLES``' order:
    the hip abduction from ``abd0`` + the closure's ``abd`` less the curves' adduction, the toe-out from the
    person's ``toe_out``, the left hip flexed by ``d_hip`` and adducted by ``d_add`` more (None: not)."""
    add, toe = ang.pop("hip_add", (0.0, 0.0)), ang.pop("toe_out", (0.0, 0.0))
    rows = []
    for key in _LEG_ANGLES:
        if key == "hip_abd":
            left = abd0 + abd - add[0]
            rows.append(side_rows(left if d_add is None else left - d_add, abd0 + abd - add[1], n))
        elif key == "toe_out":
            rows.append(side_rows(toe_out + toe[0], toe_out + toe[1], n))
        elif key == "hip_flex" and d_hip is not None:
            rows.append(side_rows(ang[key][0] + d_hip, ang[key][1], n))
        else:  # the same product per element as _both_sides' copy converted in place
            rows.append(ang[key] * D2R if key in ang else _HELD_ZERO)
    return tuple(rows)

def _abduction_offset(person: Person) -> float:
    """Both hips' abduction (deg) that points the legs from the hip joints at the person's step width."""
    H = person.height_m
    hip_sep = 0.10 * H * person.proportions.get("hip_width", 1.0)
    return np.degrees(np.arctan((person.step_width_m - hip_sep) / 2 / (0.49 * H)))


_PELVES = _Recent()
_STRIDE_WEIGHTS = _Recent()  # the probes' stride contact weights (read-only), by phases: a closure reuses them


def _probe_pelvis(kind: str, phL: np.ndarray, speed: float) -> dict:
    """The pelvis's angles (deg, :func:`_trunk_and_pelvis`: they depend on the gait, speed and phase only)
    and its local rotation ``pelvis_q`` (:func:`pelvis_rotation`) over the phases ``phL``, remembered for the
    closure's next probe of the same strides."""
    phL = np.ascontiguousarray(phL, dtype=float)
    keys = ("pelvis_yaw", "pelvis_tilt", "pelvis_obliq", "pelvis_q")

    def make():
        pose = _trunk_and_pelvis(kind, None, phL, speed, {}, pelvis_only=True)
        return (*(pose[k] for k in keys[:3]), pelvis_rotation(pose, len(phL)))

    return dict(zip(keys, _PELVES.get((kind, float(speed), phL.shape, phL.tobytes()), make)))


def _contact_weights(kind: str, phL, phR, stance: float) -> np.ndarray:
    ramp = 0.0 if kind == "running" else max(stance - 0.5, 0.02)
    return np.stack([contact_ramps(phL, stance, ramp), contact_ramps(phR, stance, ramp)], 1)


def _probe(kind: str, person: Person, closure: Closure, f_step: float, speed: float, stance: float,
           riser_m: float) -> np.ndarray:
    """(step length m, contact-height mismatch m in double support) the curves produce with ``closure``.

    The mismatch is the height of the leading foot's contact above the trailing foot's minus the
    height of its ground (0 level, ± riser on stairs), averaged over both weight transfers with the
    weight w_L·w_R (largest mid-transfer), where the pelvis would otherwise have to drop or rise.
    """
    return _probes(kind, person, closure, [(closure.amp, closure.offset)], f_step, speed, stance, riser_m)[0]


def _probes(kind: str, person: Person, closure: Closure, hips: Sequence[tuple[float, float]], f_step: float,
            speed: float, stance: float, riser_m: float) -> np.ndarray:
    """:func:`_probe` of ``closure`` with each (hip amplitude, offset) of ``hips``, shape (len(hips), 2):
    the strides one after another in one pose and forward-kinematics pass (every frame's angles depend
    on its own amplitude and offset only, so each stride is what a pass of its own gives — to rounding:
    a correction series' matrix-vector product may sum in another order on the longer array), then each
    stride's contacts and pelvis path on its own."""
    amp, offset = zip(*hips)
    ph1, w, strides = _probe_strides(kind, person, closure, f_step, speed, stance, amp=amp, offset=offset)
    # weight transfer: the later-landed foot is the leading one; weighted by w(1 − w) (mid-transfer)
    lead_l = np.mod(ph1, 1.0) < 0.25
    share = w[:, 0] * w[:, 1]
    out = np.empty((len(hips), 2))
    for i, (pts, root) in enumerate(strides):
        dy = np.where(lead_l, pts[:, 0, 1] - pts[:, 1, 1], pts[:, 1, 1] - pts[:, 0, 1])
        mis = float(np.sum(share * dy) / max(np.sum(share), 1e-9)) - GAITS[kind].vertical * riser_m
        out[i] = abs(root[-1, 2] - root[0, 2]) / 2, mis
    return out


def _probe_strides(kind: str, person: Person, closure: Closure, f_step: float, speed: float, stance: float,
                   **fields: Sequence[float]) -> tuple[np.ndarray, np.ndarray, list]:
    """One stride at 60 fps for each value of the closure ``fields`` (e.g. ``amp=[…], offset=[…]``; every
    field one value per stride), the strides one after another in one pose and forward-kinematics pass:
    (phases of a stride, contact weights, [(contact points (n, 2, 3), foot-anchored root (n, 3)) per stride])."""
    fps = 60.0
    n = int(fps * 2 / f_step) + 1  # one stride
    m = len(next(iter(fields.values())))
    ph1 = np.arange(n) / fps * f_step / 2
    ph = np.tile(ph1, m)
    probe = replace(closure, **{k: np.repeat(np.asarray(v, dtype=float), n) for k, v in fields.items()})
    P_all, G_all = _legs_fk(kind, person, probe, speed, stance, ph, None, None)
    w = _STRIDE_WEIGHTS.get((kind, stance, ph1.tobytes()),
                            lambda: (_contact_weights(kind, ph1, ph1 + 0.5, stance),))[0]
    pts, vel = foot_contact_points(P_all.reshape(m, n, *P_all.shape[1:]), G_all.reshape(m, n, *G_all.shape[1:]),
                                   person, fps)  # each stride on its own
    return ph1, w, list(zip(pts, anchored_roots((pts, vel), w, fps)))


def _heel_off(stance: float) -> float:
    """The phase of heel-off: 0.2 of the cycle before toe-off (terminal stance, Perry & Burnfield 2010)."""
    return stance - 0.2


def _stance_window(ph: np.ndarray, stance: float) -> np.ndarray:
    """Smooth weight of the foot-flat part of stance (≈ 3–10 % of the cycle to heel-off)."""
    from imuforge.motion.library._core import smoothstep

    return smoothstep((ph - 0.03) / 0.07) * (1.0 - smoothstep((ph - _heel_off(stance) + 0.04) / 0.08))


def _planted_window(ph: np.ndarray, stance: float) -> np.ndarray:
    """Smooth weight of the part of the cycle in which the foot keeps its heading and roll: from the
    last 15 % of swing (the foot turns to its landing heading in the air) through the whole stance
    (a loaded heel or ball does not twist on the ground), released through the swing until the late
    swing takes it up again (a release within the first 15 % of the cycle after toe-off gave the swing
    foot 1.4–2.2× the real shoe sensors' out-of-plane rate, gaitmap)."""
    from imuforge.motion.library._core import smoothstep

    wrapped = np.where(ph >= 0.85, ph - 1.0, ph)  # the take-up starts at 0.85; the release ends by then
    release = min(0.25, 0.87 - stance)
    return smoothstep((wrapped + 0.15) / 0.15) * (1.0 - smoothstep((wrapped - stance + 0.02) / release))


def _stair_ground(kind: str, riser_m: float, phL: np.ndarray, phR: np.ndarray) -> np.ndarray:
    """Height (m) of the step under each foot (n, 2) at the feet's gait phases: a foot lands one step up (or
    down) at each whole cycle of its phase, the right foot half a stride after the left."""
    return GAITS[kind].vertical * riser_m * np.stack([2 * np.floor(phL), 2 * np.floor(phR) - 1], 1)


def _knee_window(ph: np.ndarray, stance: float) -> np.ndarray:
    """Smooth weight of a stance knee correction (:func:`descent_height_correction`): in after the loading
    response (from :data:`KNEE_WINDOW_START`) and out before toe-off, over :data:`KNEE_WINDOW_RAMP` of the
    cycle each, so both loaded knees change slowly through the weight transfers; the correction's short
    Fourier series still reaches 2–4° into the swing. (Weighted by the load as the hip's are, a step at
    contact, the planted feet slid 21–24 mm per stance going down and the shank's 99.9th percentile of |ω|
    reached 9.1 rad/s; windowed from contact, 13–15 mm and 7.8 rad/s, but the knee straightened to its floor
    in early stance; from 10 %: 16–17 mm and 8.4 rad/s; without the correction 24–25 mm and 8.0 rad/s — one
    person × 20 s, 6 people × 10 s.)"""
    from imuforge.motion.library._core import smoothstep

    r = KNEE_WINDOW_RAMP
    return smoothstep((ph - KNEE_WINDOW_START) / r) * (1.0 - smoothstep((ph - stance + r) / r))


def _add_series(base: np.ndarray | None, ph: np.ndarray, values: np.ndarray,
                harmonics: int = HARMONICS) -> np.ndarray:
    """``base`` (None: zeros) plus the least-squares Fourier series of ``values`` at the phases ``ph`` up to
    ``harmonics`` (≤ :data:`HARMONICS`; the coefficients of the higher ones 0)."""
    coef = np.zeros(2 * HARMONICS + 1)
    coef[:2 * harmonics + 1] = np.linalg.lstsq(fourier_basis(ph, harmonics), values, rcond=None)[0]
    return coef if base is None else base + coef


def _legs_fk(kind: str, person: Person, closure: Closure, speed: float, stance: float, ph: np.ndarray,
             d_hip: float | np.ndarray | None = 0.0, d_add: float | np.ndarray | None = 0.0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions and orientations relative to the pelvis (legs only) over ``ph``, the left hip flexed by
    ``d_hip`` and adducted by ``d_add`` degrees more (scalars, or one value per phase; None: left as the pose
    has it): ``rel_fk`` of :func:`_probe_local`, in one compiled pass from the legs' angle rows where the
    kernel is built (``legs_fk``, the same bits)."""
    leg = _probe_leg_rows(kind, person, closure, speed, stance, ph, d_hip, d_add)
    if leg is not None:
        return legs_fk(len(ph), *leg, person)
    return rel_fk(_probe_pose_local(kind, person, closure, speed, stance, ph, d_hip, d_add), person)


def _probe_local(kind: str, person: Person, closure: Closure, speed: float, stance: float, ph: np.ndarray,
                 d_hip: float | np.ndarray | None = None,
                 d_add: float | np.ndarray | None = None) -> np.ndarray:
    """The pelvis's and legs' local rotations (n, 22, 4) of the closure's probes over the left leg's phases
    ``ph`` (:func:`_pose` without arms, then ``pose_to_local(..., legs_only=True)``), the left hip flexed by
    ``d_hip`` and adducted by ``d_add`` degrees more (None: left as the pose has it). With the compiled leg
    rotations the angles go to them as the rows :func:`~imuforge.motion.library._core._both_sides` makes of
    the pose, without the pose dict (the same values, the same bits)."""
    leg = _probe_leg_rows(kind, person, closure, speed, stance, ph, d_hip, d_add)
    if leg is not None:
        return legs_local(len(ph), *leg)
    return _probe_pose_local(kind, person, closure, speed, stance, ph, d_hip, d_add)


def _probe_leg_rows(kind: str, person: Person, closure: Closure, speed: float, stance: float, ph: np.ndarray,
                    d_hip, d_add) -> tuple[np.ndarray, tuple[np.ndarray, ...]] | None:
    """(the pelvis's local rotation (n, 4), the legs' angle rows) of :func:`_probe_local` for the compiled
    leg rotations (:func:`_probe_rows`); None where they do not apply (no kernel, or angles of other
    shapes): then the pose dict's way, :func:`_probe_pose_local`."""
    n = len(ph)
    shifts = (closure.abd, d_hip, d_add)
    if not (compiled_legs() and all(np.shape(x) in ((), (n,)) for x in shifts if x is not None)):
        return None
    amp = np.empty((2, n))
    amp[0], amp[1] = 1.0, 1.0
    style = person_gait_style(person)
    ang = _leg_angles(kind, np.stack([ph, ph + 0.5]), speed, stance, closure, amp, style)
    if not all(v.shape == (2, n) for v in ang.values()):
        return None
    rows = _probe_rows(ang, _abduction_offset(person), closure.abd, person.toe_out_deg, n, d_hip, d_add)
    return _probe_pelvis(kind, ph, speed)["pelvis_q"], rows


def _probe_pose_local(kind: str, person: Person, closure: Closure, speed: float, stance: float,
                      ph: np.ndarray, d_hip, d_add) -> np.ndarray:
    """:func:`_probe_local` by the pose dict and ``pose_to_local`` (the numpy form)."""
    pose = _pose(kind, person, ph, ph + 0.5, 1.0, 1.0, closure, None, speed, stance, {})
    if d_hip is not None:
        pose["hip_flex_L"] = pose["hip_flex_L"] + d_hip
    if d_add is not None:
        pose["hip_abd_L"] = pose["hip_abd_L"] - d_add
    return pose_to_local(pose, len(ph), legs_only=True)


def ankle_angles(q: np.ndarray) -> np.ndarray:
    """(toe-out, dorsiflexion, inversion) in degrees of the left ankle's local rotation ``q`` (n, 4):
    the inverse of ``pose_to_local``'s ``ry(toe_out) · rx(−dorsi) · rz(−inv)``."""
    from imuforge.motion import quat as Q

    cols = [Q.qrot(q, np.eye(3)[i]) for i in range(3)]  # R e_i: the columns of the rotation matrix
    r02, r22 = cols[2][:, 0], cols[2][:, 2]
    r12, r10, r11 = cols[2][:, 1], cols[0][:, 1], cols[1][:, 1]
    a = np.arctan2(r02, r22)                     # R = Ry(a) Rx(b) Rz(c): R[1,2] = −sin b,
    b = -np.arcsin(np.clip(r12, -1.0, 1.0))      # R[1,0] / R[1,1] = tan c, R[0,2] / R[2,2] = tan a
    c = np.arctan2(r10, r11)
    return np.degrees(np.stack([a, -b, -c], 1))


def foot_flat_correction(kind: str, person: Person, closure: Closure, speed: float, stance: float,
                         push_off: bool = False) -> Closure:
    """The closure with ankle corrections that keep the stance foot planted in mid-stance.

    In the ankle rocker (≈ 8 % of the cycle to heel-off, ≈ stance − 0.2) the foot lies flat and still
    on the ground while the leg rotates over it, so the ankle angles *are* the shank's inclination and
    twist (Perry & Burnfield 2010). The independently published hip, knee, pelvis and ankle curves do
    not close this exactly, and the frontal and transverse curves (pelvic rotation and obliquity, hip
    rotation and adduction) turn the whole leg, foot included: left alone, a planted foot rocks on its
    heel or ball by up to ≈ 8° and twists and rolls with the pelvis by ≈ ±10° (a foot-mounted gyroscope
    then reads ≈ 1 rad/s through stance, where real ones read ≈ 0). The foot's world orientation over
    one stride (forward kinematics of the pose) is driven, inside a smooth stance window, to a flat foot at
    its mean stance heading (:func:`_goal_foot`; its own pitch outside the flat-foot window): the ankle's
    three angles (dorsiflexion, inversion, toe-out) that give it on the shank's orientation replace the
    curves' there. The corrections are sampled over the cycle and interpolated by a periodic cubic (a Fourier
    series rings on the windows' edges), so they are periodic and as smooth as the windows (no per-frame
    solve). ``push_off`` (the closure's last pass, made once: a second would turn the foot again on top of the
    first turn's pitch): from heel-off into early swing the foot also inverts (:func:`push_off_inversion`)
    about the line through its ball, and the leg tilts with it (hip abduction, the table's fourth column,
    :func:`_rolled_foot`); a walking foot also lands inverted on its heel's outer edge and rolls flat about
    the heel through the loading response (:func:`landing_inversion`, :data:`LANDING_INVERSION_DEG`); the
    legs are unchanged elsewhere.
    """
    from imuforge.motion import quat as Q

    ph = np.arange(FOOT_GRID) / FOOT_GRID
    P, G = _legs_fk(kind, person, closure, speed, stance, ph)
    g_foot, g_shank = G[:, J("left_ankle")], G[:, J("left_knee")]
    planted, flat_foot = _planted_window(ph, stance), _stance_window(ph, stance)
    fwd = Q.qrot(g_foot, np.array([0.0, 0.0, 1.0]))
    heading = np.arctan2(np.sum(flat_foot * fwd[:, 0]), np.sum(flat_foot * fwd[:, 2]))  # mean stance heading
    flat = _goal_foot(g_foot, heading, flat_foot)
    inv_shank = Q.qconj(g_shank)
    now = ankle_angles(Q.qmul(inv_shank, g_foot))
    goal = ankle_angles(Q.qmul(inv_shank, flat))
    # the goal holds the pitch schedule (the flat-foot window): its three angles apply together, through the
    # planted window (1 wherever the flat-foot window is above 0)
    d = (goal - now) * planted[:, None]  # degrees: toe-out, dorsiflexion, inversion
    add = np.zeros(len(ph))
    if push_off:
        if closure.foot is not None and np.any(closure.foot[:, 3]):
            raise ValueError("foot_flat_correction: the push-off is already in this closure")
        roll = push_off_inversion(ph, stance) * planted
        foot, add = _rolled_foot(kind, person, closure, speed, stance, ph, now + d, roll, heading, P, G, "ball")
        if kind in LANDING_INVERSION_DEG:  # the heel strike's roll, about the heel (disjoint from the push-off)
            roll = landing_inversion(ph, LANDING_INVERSION_DEG[kind]) * planted
            foot, more = _rolled_foot(kind, person, closure, speed, stance, ph, foot, roll, heading, P, G, "heel")
            add = add + more
        d = foot - now
    d = np.column_stack([d, add])
    return replace(closure, foot=d if closure.foot is None else closure.foot + d)


def _goal_foot(g_foot: np.ndarray, heading: float, flat_weight: np.ndarray) -> np.ndarray:
    """The world orientation (n, 4) :func:`foot_flat_correction` drives the foot ``g_foot`` to: the stance
    ``heading`` (rad) and no roll, with the foot's own pitch kept where ``flat_weight`` (the flat-foot
    window) is 0 and laid flat where it is 1.

    The heading and roll are held through the whole planted window, the pitch only on the flat foot, so the
    goal keeps the foot's pitch elsewhere and its three ankle angles apply together. Measured against a flat
    goal, a foot pitched far from the shank (a stair descent's trailing foot, heel high, on a shank ≈ 70°
    forward) sits near the gimbal lock of the ankle's yaw → pitch → roll angles, where its toe-out and inversion
    differences grow large and cancel only together with the pitch's: applied without it they twisted the
    foot up to ≈ 60° about its heading and 50° about its long axis just after toe-off, and released it 0.12
    of the cycle later (a foot gyroscope read ≈ 11 rad/s about the vertical, real shoe sensors in stair
    descent ≈ 2–3)."""
    from imuforge.motion import quat as Q

    pitch = ankle_angles(g_foot)[:, 1]  # the foot's world pitch (deg, toes up +), same angle order
    return Q.qmul(Q.ry(np.full(len(g_foot), heading)), Q.rx(-np.radians(pitch * (1.0 - flat_weight))))


def push_off_inversion(ph: np.ndarray, stance: float) -> np.ndarray:
    """The rising foot's inversion (deg, sole inwards) from flat over the cycle ``ph``: none until heel-off
    (:func:`_heel_off`), :data:`PUSH_OFF_INVERSION_DEG` by toe-off, back to none 0.15 of the cycle into swing
    (the planted window, which it is multiplied by, then still ≈ 0.2 and releasing; the product is zero from
    there through the late swing's take-up at 0.85 for every stance fraction up to 0.7)."""
    from imuforge.motion.library._core import smoothstep

    rise = smoothstep((ph - _heel_off(stance)) / 0.2)
    return PUSH_OFF_INVERSION_DEG * rise * (1.0 - smoothstep((ph - stance - 0.05) / 0.1))


def landing_inversion(ph: np.ndarray, degrees: float) -> np.ndarray:
    """The landing foot's inversion (deg, sole inwards) over the cycle ``ph``: taken up from none at 0.88 of
    the cycle to ``degrees`` at 0.98 (the foot turns to its landing roll in the air, as to its heading),
    held to the heel strike, flat again by :data:`LANDING_FLAT_AT` (the end of the loading response)."""
    from imuforge.motion.library._core import smoothstep

    wrapped = np.where(ph >= 0.5, ph - 1.0, ph)
    return degrees * smoothstep((wrapped + 0.12) / 0.1) * (1.0 - smoothstep(wrapped / LANDING_FLAT_AT))


def _rolled_foot(kind: str, person: Person, closure: Closure, speed: float, stance: float, ph: np.ndarray,
                 angles: np.ndarray, roll_deg: np.ndarray, heading: float, P: np.ndarray, G: np.ndarray,
                 pivot: str) -> tuple[np.ndarray, np.ndarray]:
    """A foot rolling about a point on the ground — the ball for a heel rising over the planted forefoot, the
    heel for a heel strike on its outer edge: the left foot, at ankle ``angles`` (deg, (n, 3): toe-out,
    dorsiflexion, inversion) on the legs ``P``, ``G`` of ``closure`` (``_legs_fk`` over ``ph``), turned by
    ``roll_deg`` (sole inwards) about the horizontal line of its ``heading`` (rad) through its ``pivot``
    (``"ball"`` or ``"heel"``), which stays on the ground. Turned about the ankle, the pivot would swing
    inwards (it lies below the ankle); so the leg is tilted outwards by as much (hip abduction: the returned
    adduction, the table's fourth column, is ≤ 0; per-degree travel of the ankle from a 1° probe), and the
    pivot, and the pelvis path anchored on it, stay where they were. Frames with no roll are left as they
    are. Returns the ankle angles that give the turned foot on the tilted shank, and that adduction (deg)."""
    from imuforge.motion import quat as Q
    from imuforge.motion.library._core import YXZ, J
    from imuforge.motion.skeleton import foot_points

    ankle, shank = J("left_ankle"), J("left_knee")
    out, add = angles.copy(), np.zeros(len(ph))
    on = roll_deg != 0.0  # the rolling phases: the legs' forward kinematics over these phases only
    a = np.radians(angles[on])
    g_foot = Q.qmul(G[on, shank], Q.euler(YXZ, a[:, 0], -a[:, 1], -a[:, 2]))  # pose_to_local's left ankle
    axis = np.array([np.sin(heading), 0.0, np.cos(heading)])
    turned = Q.qmul(Q.axis_angle(axis, -np.radians(roll_deg[on])), g_foot)
    outwards = np.array([np.cos(heading), 0.0, -np.sin(heading)])  # the left foot's lateral side
    point = foot_points(person.offsets)[pivot]
    shift = (Q.qrot(turned, point) - Q.qrot(g_foot, point)) @ outwards
    P1, G1 = _legs_fk(kind, person, closure, speed, stance, ph[on], d_add=1.0)  # per degree of adduction
    add[on] = -shift / ((P1[:, ankle] - P[on, ankle]) @ outwards)
    tilt = Q.to_rotvec(Q.qmul(G1[:, shank], Q.qconj(G[on, shank])))  # the shank's turn per degree (world)
    tilted = Q.qmul(Q.from_rotvec(tilt * add[on, None]), G[on, shank])
    out[on] = ankle_angles(Q.qmul(Q.qconj(tilted), turned))
    return out, add


def stance_speed_correction(kind: str, person: Person, closure: Closure, f_step: float, speed: float,
                            stance: float, iterations: int = 2) -> Closure:
    """The closure with a hip correction that carries the pelvis over the stance foot at an even speed.

    The pelvis moves over the planted foot at ≈ L_thigh·ω_thigh + L_shank·ω_shank; the published
    knee stance wave (flexion to ≈ 19° in loading response, extension to ≈ 5° by 40 %) on an evenly
    extending hip, and the heel and forefoot rockers, make that speed swing between ≈ 0.6 and 1.9 m/s
    at 1.3 m/s (pelvis fore-aft acceleration ≈ 6 m/s² RMS, against ≈ 2–2.6 m/s² measured at the lower
    back). In people the thigh rotates faster while the knee flexes, so the centre of mass keeps its
    speed within ≈ ±10 % (inverted-pendulum exchange). The foot-anchored pelvis path of one stride,
    minus its mean progression, is cancelled by a hip correction of the loaded leg (weighted by its
    contact weight, on stairs whole once it bears any; per-degree effect from a 1° probe), as a Fourier
    series of the phase. Stairs up too: the climb's curves on rigid legs stopped the pelvis over the
    stance foot, moved it back and threw it forward at up to 2.9× its mean speed every step. Stairs down:
    the pelvis stalled early in single support (−0.5 … −0.1× its mean speed) and lurched forward at
    2.7–3.3× late in it, every step; there the path is evened within single support only (the residual
    faded out towards mid double support, ``pinned``), which leaves the descent's weight-transfer geometry
    as the curves have it: over 60 people the closure's median miss 4.4 mm instead of 7.4 mm with the
    correction through the double support too (the few people it leaves open, ``close_gait``). Running:
    the stance swept slowly after touch-down and fast before toe-off (:data:`RUN_EVEN_PASSES`).
    """
    ph = _path_phases()
    return _even_pelvis_path(kind, person, closure, f_step, speed, stance, ph, [_speed_term(ph)],
                             iterations=iterations, pinned=kind == "stairs_down")


def stance_sway_correction(kind: str, person: Person, closure: Closure, f_step: float, speed: float,
                           stance: float, iterations: int = 2) -> Closure:
    """The closure with a hip adduction correction that sways the pelvis smoothly from foot to foot.

    The centre of mass moves from side to side once per stride, nearly sinusoidally: a frontal-plane
    inverted pendulum over each stance foot (MacKinnon & Winter 1993, *J Biomech* 26:633; lateral
    excursion ≈ 3–5 cm peak to peak, Perry & Burnfield 2010), so the lower back's medio-lateral
    acceleration is a smooth wave at the stride frequency with ≈ 0.5–1 m/s² RMS (Moe-Nilssen &
    Helbostad 2004, *J Biomech* 37:121). The foot-anchored pelvis path of the published frontal curves
    (hip adduction, pelvic obliquity) on rigid legs is not: the two feet's implied pelvis positions
    disagree by up to ≈ 2 cm, which the weight transfer turns into a double hump per step and ≈ 2–3 m/s²
    RMS. As :func:`stance_speed_correction` does fore-aft, the path's deviation from its stride
    fundamental is cancelled by a hip adduction correction of the loaded leg (weighted by its contact
    weight; per-degree effect from a 1° probe), as a Fourier series of the phase.
    """
    ph = _path_phases()
    return _even_pelvis_path(kind, person, closure, f_step, speed, stance, ph, [_sway_term(ph)],
                             iterations=iterations)


def stance_path_correction(kind: str, person: Person, closure: Closure, f_step: float, speed: float,
                           stance: float, iterations: int = 2, sway_p2p: float | None = None,
                           riser_m: float | None = None) -> Closure:
    """:func:`stance_speed_correction` and :func:`stance_sway_correction` solved together: each iteration
    corrects the hip flexion from the fore-aft path and the adduction from the side-to-side path of the same
    stride, and the two 1° probes share one pass with the first iteration's stride (4 forward-kinematics
    passes fewer than one correction after the other). The two angles move the ankle along nearly
    orthogonal axes, so the joint iteration lands where the sequential one does (6 people: the pelvis
    path's residuals within 0.13 mm; tests/motion/test_fast_forms.py). A stair descent with its ``riser_m``
    also evens its height by the knee in the same iterations (:func:`descent_height_correction`), at least
    :data:`DESCENT_HEIGHT_ITERATIONS` of them; the knee moves the ankle fore-aft too (4.5–6.6 mm per degree,
    more than vertically), which each term's own solve does not model."""
    ph = _path_phases()
    terms = [_speed_term(ph), _sway_term(ph, sway_p2p)]
    if kind == "stairs_down" and riser_m is not None:  # the descent's height too
        terms.append(_height_term(ph))
        iterations = max(iterations, DESCENT_HEIGHT_ITERATIONS)
    return _even_pelvis_path(kind, person, closure, f_step, speed, stance, ph, terms, iterations=iterations,
                             pinned=kind == "stairs_down", riser_m=riser_m)


def descent_height_correction(kind: str, person: Person, closure: Closure, f_step: float, speed: float,
                              stance: float, riser_m: float) -> Closure:
    """The closure with a knee correction of the loaded leg that lowers the pelvis evenly on stairs down.

    Going down stairs the stance leg lowers the body onto the next step by flexing its knee (the controlled
    lowering, ≈ 45° → 88° here); on the stair curves and rigid legs the pelvis dropped late in single support
    — 1–1.6 cm at twice the step frequency and 0.5–0.7 cm at three times it on top of the step's own bounce —
    so its vertical specific force fell to −0.1 … 0.3 g for ≈ 100 ms before each landing (a free fall) and
    peaked at 1.6–1.8 g after it (4 people × 12 s, the root's second difference at 200 fps). The vertical
    ground force of stair descent never comes near zero: a foot carries the body throughout (stance 60–70 %
    of the stride; Beaulieu, Pelland & Robertson 2008, *Gait Posture* 27:564), with a valley in single support
    and a peak at the landing of ≈ 1.4–1.6 body weights (Riener et al. 2002; Stacoff et al. 2005, *Gait
    Posture* 21:24). As :func:`_even_pelvis_path` evens the horizontal path, the foot-anchored pelvis height
    over one stride (each foot on its own step) less its descent and its first
    :data:`DESCENT_HEIGHT_HARMONICS` stride harmonics is cancelled by the loaded legs' knees (each leg's
    correction at its own phase, weighted by :func:`_knee_window`, so both loaded legs move the pelvis alike
    in the weight transfer), per-degree effect from a 1° probe, as a Fourier series of the phase to the
    :data:`DESCENT_KNEE_HARMONICS`th: the knee stays a smooth curve and the planted foot stays where it is
    (the pelvis is anchored on it; the foot-flat pass that follows keeps it flat). Descents whose closure
    takes the even pelvis (:func:`close_gait`) get it in the same iterations (:func:`stance_path_correction`);
    this is the correction alone, for the others. Measured: docs/MOTION.md, Known limitations ("the knee
    lowers the body")."""
    ph = _path_phases()
    return _even_pelvis_path(kind, person, closure, f_step, speed, stance, ph, [_height_term(ph)],
                             iterations=DESCENT_HEIGHT_ITERATIONS, riser_m=riser_m)


class PathTerm(NamedTuple):
    """One component of the pelvis path that :func:`_even_pelvis_path` evens: its ``axis`` (0 sideways, 1
    up, 2 fore-aft), the joint ``angle`` that corrects it, the columns of the path it ``keep``s (the rest is
    cancelled), and ``p2p`` (m): how wide the kept stride fundamental may be at most (None: as the curves give
    it; with ``p2p``, ``keep`` holds the fundamental as its columns 1 and 2)."""

    axis: int
    angle: str
    keep: np.ndarray
    p2p: float | None = None
    pinned: bool = True  # False: through the whole stance even where the call pins the path (the height)
    #: of the correction's series (None: HARMONICS, or BOUNDED_SWAY_HARMONICS with ``p2p``)
    harmonics: int | None = None
    windowed: bool = False  # weighted by :func:`_knee_window` instead of the leg's load


def _path_phases() -> np.ndarray:
    """The stride phases the pelvis-path corrections are solved on."""
    return np.linspace(0.0, 1.0, 120, endpoint=False)


def _speed_term(ph: np.ndarray) -> PathTerm:
    """The even-speed correction: fore-aft, by hip flexion, keeping the mean progression."""
    return PathTerm(2, "hip", np.column_stack([np.ones_like(ph), ph]))


def _sway_term(ph: np.ndarray, p2p: float | None = None) -> PathTerm:
    """The sway correction: sideways, by hip adduction, keeping the stride fundamental (no wider than
    ``p2p`` m)."""
    return PathTerm(0, "add", fourier_basis(ph, 1), p2p)


def _height_term(ph: np.ndarray) -> PathTerm:
    """The descent's height correction: vertically, by the knee, keeping the descent and the first
    :data:`DESCENT_HEIGHT_HARMONICS` stride harmonics (:func:`stance_path_correction`)."""
    keep = np.column_stack([ph, fourier_basis(ph, DESCENT_HEIGHT_HARMONICS)])
    return PathTerm(1, "knee", keep, pinned=False, harmonics=DESCENT_KNEE_HARMONICS, windowed=True)


def pendulum_sway_p2p(kind: str, person: Person, f_step: float) -> float:
    """Side-to-side excursion (m, peak to peak) of the centre of mass over a gait's stance feet by the
    frontal-plane linear inverted pendulum: ``ẍ = ω²(x − p)`` with ``ω = √(g / l)`` (l the leg length,
    :data:`LEG_LENGTH_H`), the support ``p`` at ± half the step width (:func:`step_width_target`) for a step
    of ``1 / f_step`` s, periodic and symmetric: ``w (1 − sech(ω / 2 f_step))``. For walking (w ≈ 0.10–0.13
    m, 1.8 steps/s) 3–4 cm, within the 3–5 cm measured (MacKinnon & Winter 1993, *J Biomech* 26:633;
    Perry & Burnfield 2010); it bounds the stair gaits' sway (:func:`_close_stairs`)."""
    w = step_width_target(kind, person)
    omega = np.sqrt(STANDARD_GRAVITY / (LEG_LENGTH_H * person.height_m))
    return float(w * (1.0 - 1.0 / np.cosh(omega / (2.0 * f_step))))


#: stairs: the contact weight from which a leg carries the whole pelvis-path correction (``_even_pelvis_path``).
#: Stairs have a long double support (≈ 14 % of the stride per transfer, walking ≈ 10 %): weighted by the contact
#: weight as in walking, the two loaded legs each carried only part of a correction there, their implied
#: pelvis positions parted and the feet slid. Whole-stance sliding going up, 8 people × 20 s (median / max):
#: 22.8 / 31.0 mm without the speed correction; with it, weighted from 15 % 28.8 / 35.1 (a first version of the
#: stair closure), from 1 % 21.0 / 28.9 (this one)
STAIR_LOAD_SHARE = 0.01
#: stride harmonics of a sway correction whose fundamental is bounded (:class:`PathTerm` ``p2p``: the stairs).
#: Narrowing the stair curves' sway from 13–21 to ≈ 5 cm takes several degrees of stance-hip adduction, which
#: the stairs' step-like load window (:data:`STAIR_LOAD_SHARE`) cuts at contact and toe-off; a series to the
#: 8th harmonic rang there (the pelvis's side-to-side acceleration peaked at 6.5–11 Hz, 1.3–2.9 m/s² RMS,
#: 3 people going up; cut at the 5th: 0.5–1.4 m/s², level walking's 0.5–0.9)
BOUNDED_SWAY_HARMONICS = 5
#: stride harmonics of the pelvis height a stair descent keeps (:func:`descent_height_correction`): the step
#: frequency's fundamental (the 2nd) and the stride's own (the 1st: the two legs' small differences)
DESCENT_HEIGHT_HARMONICS = 2
#: stride harmonics of the descent's knee correction: up to twice the step frequency, the free fall's main
#: part. With 5 or 6 the corrected knee moved the pelvis faster fore-aft than the path's smoothing keeps, and
#: the planted feet slid: 30–34 mm per stance (one person, 20 s; 21–24 with 4, both weighted by the load
#: before :func:`_knee_window`; 24–25 without the correction)
DESCENT_KNEE_HARMONICS = 4
#: share of the cycle over which a stance knee correction fades in and out (:func:`_knee_window`)
KNEE_WINDOW_RAMP = 0.08
#: phase (share of the cycle) from which a stance knee correction fades in: after the loading response, which
#: keeps its curve (from contact on, the correction straightened 9 of 12 descents' knees to the soft floor in
#: early stance, where the curves and Riener et al.'s digitised descent flex them 10–17°)
KNEE_WINDOW_START = 0.10
#: iterations of the descent's height correction (its residual: 11.6 → 4.5 → 4.2 mm RMS over 3, 1 person)
DESCENT_HEIGHT_ITERATIONS = 3


def _even_pelvis_path(kind: str, person: Person, closure: Closure, f_step: float, speed: float, stance: float,
                      ph: np.ndarray, terms: Sequence[PathTerm], *, iterations: int,
                      pinned: bool = False, riser_m: float | None = None) -> Closure:
    """The closure with corrections of the loaded leg's joint angles that cancel the foot-anchored pelvis path
    over one stride (phases ``ph``): for each :class:`PathTerm` of ``terms`` its ``axis`` component less its
    least-squares fit on the columns of ``keep`` (the fit's stride fundamental shrunk to ``p2p`` where it is
    wider), by the ``angle`` (``"hip"``: flexion, ``"add"``: adduction, ``"knee"``: knee flexion). Weighted by
    the leg's contact weight (on stairs: whole once the leg bears :data:`STAIR_LOAD_SHARE`; a ``windowed``
    term by :func:`_knee_window`), per-degree effect from a 1° probe of each angle, as a Fourier series of the
    phase; the hip probes and the first iteration's stride are one forward-kinematics pass, the knee's (both
    knees, through the closure) another. ``pinned``: the residual of each term pinned (:class:`PathTerm`) is
    weighted by |w_L − w_R| (1 in single support, 0 mid-transfer), so the path is evened within single support
    and left where the curves put it in the double support. ``riser_m``: the path's height with each foot on
    its own step (needed by a vertical term)."""

    fps = len(ph) * f_step / 2
    w = _contact_weights(kind, ph, ph + 0.5, stance)
    n = len(ph)
    if len({term.angle for term in terms}) < len(terms):
        raise ValueError("each term must correct its own angle")
    hips = [term for term in terms if term.angle in ("hip", "add")]
    d = {"hip": np.zeros(n * (1 + len(hips))), "add": np.zeros(n * (1 + len(hips)))}
    for i, term in enumerate(hips):  # stride i + 1: this term's angle probed by 1°
        d[term.angle][(i + 1) * n:(i + 2) * n] = 1.0
    P, G = _legs_fk(kind, person, closure, speed, stance, np.tile(ph, 1 + len(hips)), d_hip=d["hip"],
                    d_add=d["add"])
    ankle = {term.angle: P[(i + 1) * n:(i + 2) * n, J("left_ankle")] for i, term in enumerate(hips)}
    if any(term.angle == "knee" for term in terms):
        one = np.zeros(2 * HARMONICS + 1)
        one[0] = 1.0
        probe = replace(closure, knee=one if closure.knee is None else closure.knee + one)
        ankle["knee"] = _legs_fk(kind, person, probe, speed, stance, ph)[0][:, J("left_ankle")]
    gains = []
    for term in terms:
        # m of ankle shift per degree
        gain = ankle[term.angle][:, term.axis] - P[:n, J("left_ankle"), term.axis]
        sign = np.sign(np.median(gain)) or 1.0
        gains.append(np.where(gain * sign > 1e-3, gain, sign * 1e-3))
    load = np.clip(w[:, 0] / STAIR_LOAD_SHARE, 0.0, 1.0) if kind.startswith("stairs") else w[:, 0]
    single = np.abs(w[:, 0] - w[:, 1]) if pinned else None  # 1 in single support, 0 mid-transfer
    ground = None if riser_m is None else _stair_ground(kind, riser_m, ph, ph + 0.5)
    P, G = P[:n], G[:n]
    for k in range(iterations):
        if k:
            P, G = _legs_fk(kind, person, closure, speed, stance, ph)
        root = anchored_root(foot_contact_points(P, G, person, fps), w, fps, ground=ground)
        change = {}
        for term, gain in zip(terms, gains):
            x = root[:, term.axis]
            coef = np.linalg.lstsq(term.keep, x, rcond=None)[0]
            if term.p2p is not None:  # the kept stride fundamental no wider than the term allows
                coef[1:] *= min(1.0, term.p2p / max(2.0 * float(np.hypot(coef[1], coef[2])), 1e-9))
            resid = x - term.keep @ coef
            if single is not None and term.pinned:
                resid = resid * single
            harmonics = term.harmonics or (HARMONICS if term.p2p is None else BOUNDED_SWAY_HARMONICS)
            weight = _knee_window(ph, stance) if term.windowed else load
            change[term.angle] = _add_series(getattr(closure, term.angle), ph, weight * resid / gain,
                                             harmonics)
        closure = replace(closure, **change)
    return closure


def fit_hip(kind: str, person: Person, target_step: float, f_step: float, speed: float, stance: float,
            riser_m: float, closure: Closure | None = None, steps: int = 2) -> Closure:
    """Hip sagittal (amplitude factor, offset deg) so the curves close the gait geometry.

    Two conditions, solved by a chord-Newton iteration on one simulated stride: (1) the step length of
    the requested speed; (2) with double support, both feet on their ground during the weight transfer
    (leading heel and trailing ball at the same height on level ground, one riser apart on stairs). Without (2)
    the weight transfer would move the pelvis by the mismatch within the double support (the published
    hip angles are relative to a pelvis frame tilted ≈ 10° anteriorly, plus each person's offsets:
    ≈ 6 mm of heel height per degree). Amplitude within 0.4–1.5, offset within −30…+10°. On stairs the
    result is checked and refined where it misses (:func:`_refine_hip`).
    Returns the closure with the new amplitude and offset (its curve corrections kept).
    """
    closure = closure or Closure(1.0, -GAITS[kind].pelvis_tilt)
    x = np.array([closure.amp, closure.offset])
    if kind == "running":  # flight: no double support, only the step length
        (s1, _), (s2, _) = _probes(kind, person, closure, [(0.8, closure.offset), (1.2, closure.offset)], f_step,
                                   speed, stance, riser_m)
        return replace(closure, amp=float(np.clip(0.8 + 0.4 * (target_step - s1) / max(s2 - s1, 1e-6), 0.4, 1.6)))
    goal = np.array([target_step, 0.0])

    def probes(points):
        return _probes(kind, person, closure, points, f_step, speed, stance, riser_m)

    jac = closure.jac
    if jac is None:  # the point and the two finite-difference probes in one pass
        f0, jac = _hip_jacobian(probes, x)
    else:  # a refit after curve corrections reuses the previous fit's Jacobian
        f0 = probes([tuple(x)])[0]
    lo, hi = np.array([0.4, -30.0]), np.array([1.5, 10.0])
    for k in range(steps):
        x = np.clip(x + np.linalg.solve(jac, goal - f0), lo, hi)
        if k < steps - 1:
            f0 = probes([tuple(x)])[0]
    if kind.startswith("stairs"):  # the chord steps can leave a stair's strongly curved geometry unclosed
        x, jac = _refine_hip(probes, x, jac, goal, lo, hi)
    return replace(closure, amp=float(x[0]), offset=float(x[1]), jac=jac)


#: the hip fit's tolerance: step length and contact-height mismatch each within 1 cm
HIP_FIT_TOL_M = 0.01
#: stairs: the even pelvis path (``stance_path_correction``: speed, since 2026-12-03 with the sway bound) is
#: kept unless the closure it leads to leaves the stair geometry more than this open (m) and the closure
#: without it closes within this. With the speed alone, going up 60 people (``generate`` seeds 0–59) within
#: 16.6 mm (median 5.7); going down 4 of 60 beyond 2 cm (25.6–41.7 mm), three of whom the closure without it
#: closes (4.3–15.1 mm); one (42 / 50 mm) stayed open. Since the descent's height correction (2026-12-06) 56
#: descents of 60 close with the even pelvis and the height, 2 with the height alone, 1 with neither; one
#: (seed 58) stays 26.5 mm open, the nearest of its closures (``close_gait``)
STAIR_EVEN_MAX_MISS_M = 0.02


def _hip_jacobian(probes, x: np.ndarray, f0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(probe at x, finite-difference Jacobian by amplitude and offset), the probes in one pass (the one at x
    only when ``f0``, its value, is not known already)."""
    da, dd = 0.2, 3.0
    steps = [(x[0] + da, x[1]), (x[0], x[1] + dd)]
    if f0 is None:
        f0, fa, fd = probes([(x[0], x[1]), *steps])
    else:
        fa, fd = probes(steps)
    return f0, np.column_stack([(fa - f0) / da, (fd - f0) / dd])


def _refine_hip(probes, x: np.ndarray, jac: np.ndarray, goal: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Check the hip fit's result and, where it misses :data:`HIP_FIT_TOL_M`, continue with damped Newton
    steps on a Jacobian taken afresh at each point (halved up to twice while the miss grows), within the
    bounds. On stairs the step length and the mismatch bend strongly with amplitude and offset: a chord
    Jacobian from the start point sent ≈ 1 person in 20 going up (a hip amplitude factor 0.8 and a knee
    offset of +6°) to the bounds with 8 cm of mismatch, where a solution lay 20° of offset away."""
    def miss(f):
        return float(np.max(np.abs(f - goal)))

    f = probes([tuple(x)])[0]
    for _ in range(iterations):
        if miss(f) <= HIP_FIT_TOL_M:
            break
        f, jac = _hip_jacobian(probes, x, f)
        dx = np.linalg.solve(jac, goal - f)
        tries = [np.clip(x + t * dx, lo, hi) for t in (1.0, 0.5, 0.25)]
        got = probes([tuple(c) for c in tries])
        best = int(np.argmin([miss(g) for g in got]))
        if miss(got[best]) >= miss(f):
            break  # no step helps: keep the closest fit
        x, f = tries[best], got[best]
    return x, jac


#: running's step width as a share of leg length: the 10 runners of Arellano & Kram (2011, *J Biomech* 44:1291, 3 m/s)
#: preferred one narrower than 15 % and wider than 0 % of it (both cost more); 5 % here, an assumption within that
RUN_STEP_WIDTH_LL = 0.05
#: leg length over stature: the greater trochanter's height, 0.530 H (Winter 2009, *Biomechanics and Motor
#: Control of Human Movement*, segment proportions)
LEG_LENGTH_H = 0.53


def step_width_target(kind: str, person: Person) -> float:
    """The lateral distance (m) between the two feet's contact points in stance that a gait closes to.

    Walking and stairs: the person's own step width (:attr:`Person.step_width_m`, 0.10 ± 0.03 m; the preferred
    width of Donelan, Kram & Kuo 2001, *Proc R Soc B* 268:1985, is 0.13 leg lengths). Running: narrower
    (:data:`RUN_STEP_WIDTH_LL` of the leg length, scaled by the person's walking width over the population
    mean, ``Person``'s default).
    """
    if kind == "running":
        return RUN_STEP_WIDTH_LL * LEG_LENGTH_H * person.height_m * person.step_width_m / Person.step_width_m
    return person.step_width_m


def _step_widths(kind: str, person: Person, closure: Closure, abds: Sequence[float], f_step: float, speed: float,
                 stance: float) -> np.ndarray:
    """Step width (m) the curves give with each hip abduction offset (deg) of ``abds``: the lateral distance
    between the left foot's contact point in its single stance and the right foot's in its own, on one
    stride of the foot-anchored root (:func:`_probe_strides`)."""
    _, w, strides = _probe_strides(kind, person, closure, f_step, speed, stance, abd=abds)
    left, right = w[:, 0] > 0.99, w[:, 1] > 0.99
    out = np.empty(len(abds))
    for i, (pts, root) in enumerate(strides):
        x = root[:, 0, None] + pts[:, :, 0]  # +x: the person's left
        out[i] = x[left, 0].mean() - x[right, 1].mean()
    return out


def fit_step_width(kind: str, person: Person, closure: Closure, f_step: float, speed: float,
                   stance: float) -> Closure:
    """The closure with a hip abduction offset (both legs) that puts the feet :func:`step_width_target` apart.

    The published hip adduction curves are relative to the pelvis and already hold the stance leg's
    inclination towards a step narrower than the hips (≈ 5–8° in loading); put on top of a leg angle
    that aims the foot at the step width, they crossed the feet over the midline (stance contact points
    3–14 cm the wrong way round, measured on 4 people before this closure). A chord-Newton step on one
    probed stride (the width is nearly linear in the offset: 2.4–2.8 cm per degree), clipped to ±15°; one
    step lands within ≈ 1 mm of where a second would (measured on 4 people per gait), so one is made.
    """
    target = step_width_target(kind, person)
    a0 = float(closure.abd)
    da = 2.0
    w0, w1 = _step_widths(kind, person, closure, [a0, a0 + da], f_step, speed, stance)
    gain = (w1 - w0) / da
    if not gain > 1e-4:  # abduction must widen the step; otherwise leave the curves as they are
        return closure
    return replace(closure, abd=float(np.clip(a0 + (target - w0) / gain, -15.0, 15.0)))


def smooth_pelvis(root: np.ndarray, kind: str, f_step: float, fps: float,
                  phase: np.ndarray | None = None, stance: float | None = None) -> np.ndarray:
    """Low-pass the foot-anchored pelvis path (legs untouched; see the module docstring).

    Walking vertical: 4th-order zero-phase Butterworth at ``WALK_VERTICAL_X`` (3) × step frequency,
    which removes the kinks of the instantaneous heel → ball roll-over; with the left foot's gait
    ``phase`` and the ``stance`` fraction the step-periodic part is then given the collisional shape
    of :func:`collision_height` (same excursion, step by step); horizontal: the same filter at
    ``WALK_HORIZONTAL_X`` (3.5) × step frequency. Other gaits: zero-phase Gaussian at ``ROOT_HZ``
    (−3 dB) vertically and at ``HORIZONTAL_HZ`` horizontally (running 10 Hz: its short stance would
    otherwise slide by ≈ 2 cm). Gaussians extend the path by point reflection (``gaussian_trend``), so
    the ends are not braked.
    """
    out = root.copy()
    if kind == "walking" and len(root) > 12:
        fc = min(WALK_VERTICAL_X * f_step, 0.45 * fps)
        sos = butter_lowpass(4, fc, fps)
        out[:, 1] = sosfiltfilt(sos, root[:, 1], padtype="even", padlen=min(len(root) - 1, int(3 * fps / fc)))
        if phase is not None and stance is not None:
            out[:, 1] = collision_height(out[:, 1], phase, stance, f_step, fps)
        fc = min(WALK_HORIZONTAL_X * f_step, 0.45 * fps)
        sos = butter_lowpass(4, fc, fps)  # odd padding keeps the progression's trend at the ends
        out[:, [0, 2]] = sosfiltfilt(sos, root[:, [0, 2]], axis=0, padtype="odd",
                                     padlen=min(len(root) - 1, int(3 * fps / fc)))
        return out
    if kind != "walking":
        out[:, 1] = gaussian_trend(root[:, 1], 0.1325 / ROOT_HZ[kind] * fps)
    out[:, [0, 2]] = gaussian_trend(root[:, [0, 2]], 0.1325 / HORIZONTAL_HZ.get(kind, 6.0) * fps)  # short walks too
    return out


@functools.lru_cache(maxsize=64)
def _collision_profile(double_support: float, n: int = 256) -> np.ndarray:
    """Unit-SD pelvis height over one step (phase 0 = heel strike) whose second derivative is a
    raised-cosine push of width ``double_support`` (fraction of the step) on a flat negative floor."""
    ph = np.arange(n) / n
    d = float(np.clip(double_support, 0.08, 0.45))
    acc = np.where(ph < d, np.sin(np.pi * ph / d) ** 2, 0.0)
    A = np.fft.rfft(acc - acc.mean())
    k = np.arange(len(A))
    Z = np.zeros_like(A)
    Z[1:] = -A[1:] / (2 * np.pi * k[1:]) ** 2
    z = np.fft.irfft(Z, n)
    return z / z.std()


def collision_height(height: np.ndarray, phase: np.ndarray, stance: float, f_step: float,
                     fps: float) -> np.ndarray:
    """Walking pelvis height with the step-to-step shape of the collisional model of walking.

    In single support the body vaults over a stiff leg (an inverted pendulum: the centre of mass is
    highest at mid-stance and its vertical acceleration is a shallow, nearly constant ≈ −v²/L); the
    redirection of its velocity from downward to upward is done in the double support, by the
    trailing leg's push-off and the leading leg's collision (Kuo, Donelan & Ruina 2005, *Exerc Sport
    Sci Rev* 33:88; Donelan, Kram & Kuo 2002, *J Exp Biol* 205:3717). A sensor on the lower back
    sees exactly that: a flat, slightly negative vertical acceleration for most of the step and one
    sharp positive peak just after each heel strike (Zijlstra & Hof 2003, *Gait Posture* 18:1; the
    project's real lumbar recordings: gaitpy and mobgap, vertical skewness 1.2–2.0 per 10 s window).
    The foot-anchored path of rigid legs has the right excursion and phase (lowest in the double
    support) but, once its roll-over kinks are low-passed, a near-sinusoidal shape (skewness ≈ 0.4).

    Here the slow part of ``height`` (its mean over one step: starts, stops, blends) is kept, and the
    step-periodic rest is replaced by :func:`_collision_profile` — a raised-cosine push from heel strike
    over :data:`PUSH_WIDTH_X` (1.25) × the double support (``stance − 0.5`` of the stride, i.e.
    ``2·stance − 1`` of a step), zero-mean over the step,
    integrated twice — at the step phase ``frac(2·phase)`` and scaled to the running RMS of the path's own
    step-periodic part (a Gaussian window of σ = half a step), so the excursion the leg geometry gives is
    unchanged. Only :data:`COLLISION_SHARE` of that part is reshaped, the rest stays the leg path's own
    bounce. The planted heel moves vertically by the difference of the two shapes (docs/MOTION.md,
    "Walking pelvis height"; bounds in tests/motion/test_library.py).
    """
    # the slow part: the mean over one step, which nulls the step frequency and its harmonics (a Gaussian
    # low-pass at half the step frequency still let a quarter of the fundamental through)
    trend = uniform_filter1d(height, max(3, round(fps / f_step)), mode="reflect")
    osc = height - trend
    # the envelope is smoothed with even reflection: point reflection (``gaussian_trend``) of a
    # power can turn negative at the ends
    rms = np.sqrt(gaussian_filter1d(osc ** 2, 0.5 * fps / f_step, mode="reflect"))
    prof = _collision_profile(round(PUSH_WIDTH_X * (2 * stance - 1.0), 3))
    step_ph = np.mod(2.0 * phase, 1.0) * len(prof)
    i0 = np.floor(step_ph).astype(int) % len(prof)
    frac = step_ph - np.floor(step_ph)
    shape = prof[i0] * (1 - frac) + prof[(i0 + 1) % len(prof)] * frac
    return trend + (1.0 - COLLISION_SHARE) * osc + COLLISION_SHARE * rms * shape


def close_gait(kind: str, person: Person, target_step: float, f_step: float, speed: float, stance: float,
               riser_m: float) -> Closure:
    """The closure of this person's curves: step length and double-support geometry (``fit_hip``) and the step
    width (``fit_step_width``) for every gait; running's pelvis speed evened over the stance foot
    (:data:`RUN_EVEN_PASSES`); for walking and stairs also a flat foot in mid-stance
    (``foot_flat_correction``) and an even pelvis speed and side-to-side sway over it (both in one iteration,
    ``stance_path_correction``; the stairs' sway no wider than :func:`pendulum_sway_p2p`; going down also an
    even height, ``descent_height_correction``), on stairs the even pelvis, then the descent's height, dropped
    in turn where the closure stays more than :data:`STAIR_EVEN_MAX_MISS_M` open and one without closes within
    that (where none does, the one that closes nearest), then the geometry again, the planted foot with the
    push-off, and the step width once more (the last foot pass turns the heel-rising foot, which moved the
    feet up to 18 mm off the width; this offset, up to 0.9°, changes the geometry's miss,
    :func:`_closure_miss`, by at most 1.5 mm: 6 people per gait).
    (Walking made a foot-flat pass before its geometry refit too; without it, 16 people: step length within 2.5
    instead of 1.0 mm, the contact mismatch within 3.2 instead of 3.7 mm, sliding unchanged, one
    forward-kinematics pass fewer.)"""
    c = fit_hip(kind, person, target_step, f_step, speed, stance, riser_m, steps=1 if kind == "walking" else 2)
    if kind == "running":  # the step width, then an even pelvis speed and the step length again
        c = fit_step_width(kind, person, c, f_step, speed, stance)
        for _ in range(RUN_EVEN_PASSES):
            c = stance_speed_correction(kind, person, c, f_step, speed, stance)
            c = fit_hip(kind, person, target_step, f_step, speed, stance, riser_m, c)
        return c if RUN_EVEN_PASSES else fit_hip(kind, person, target_step, f_step, speed, stance, riser_m, c)
    if kind != "walking":  # stairs: the planted foot, an even pelvis speed, the step width, then the geometry again
        c = foot_flat_correction(kind, person, c, speed, stance)
        geometry = (kind, person, target_step, f_step, speed, stance, riser_m)
        tried = []
        # the first that closes: the even pelvis (and a descent's even height), without the even pelvis,
        # then (going down) both again without the height; where none closes, the nearest (the even pelvis
        # on a tie)
        for height in ((True, False) if kind == "stairs_down" else (False,)):
            for even in (True, False):
                closure = _close_stairs(kind, person, c, target_step, f_step, speed, stance, riser_m,
                                        even=even, height=height)
                miss = _closure_miss(closure, *geometry)
                if miss <= STAIR_EVEN_MAX_MISS_M:
                    return closure
                tried.append((miss, not even, closure))
        return min(tried, key=lambda t: t[:2])[2]
    c = foot_flat_correction(kind, person, c, speed, stance)
    c = stance_path_correction(kind, person, c, f_step, speed, stance)
    c = fit_step_width(kind, person, c, f_step, speed, stance)
    c = fit_hip(kind, person, target_step, f_step, speed, stance, riser_m, c)
    c = foot_flat_correction(kind, person, c, speed, stance, push_off=True)
    return fit_step_width(kind, person, c, f_step, speed, stance)


def _close_stairs(kind: str, person: Person, c: Closure, target_step: float, f_step: float, speed: float,
                  stance: float, riser_m: float, even: bool, height: bool = False) -> Closure:
    """The stairs' closure after the first hip fit and foot-flat pass ``c``: (``even``) an even pelvis speed
    and a sway no wider than the frontal-plane pendulum's (:func:`pendulum_sway_p2p`: the stair curves on
    rigid legs swayed the pelvis 7–21 cm going up, more than the step width), the step width, then the
    geometry again, the planted foot and the step width once more."""
    if even:
        c = stance_path_correction(kind, person, c, f_step, speed, stance,
                                   sway_p2p=pendulum_sway_p2p(kind, person, f_step),
                                   riser_m=riser_m if height else None)
    elif height:
        c = descent_height_correction(kind, person, c, f_step, speed, stance, riser_m)
    c = fit_step_width(kind, person, c, f_step, speed, stance)
    # the step-width offset (and the speed correction) bend the strongly flexed stair legs' geometry: a
    # Jacobian taken afresh, not the first fit's. (A foot-flat pass before this refit and a second width step
    # right after it brought the width within 1 cm instead of 2.4 but cost the descent's planted foot 1–2 mm
    # horizontally and 3 mm vertically, 8 people × 20 s; not made. The width step after the last foot pass,
    # needed since the pitch-keeping goal, puts it within 5 mm for 0.1–0.4 mm of single-support sliding and
    # 2 mm of stance sliding and vertical travel: max of 8 people × 20 s, walking and stairs.)
    c = fit_hip(kind, person, target_step, f_step, speed, stance, riser_m, replace(c, jac=None))
    c = foot_flat_correction(kind, person, c, speed, stance, push_off=True)
    return fit_step_width(kind, person, c, f_step, speed, stance)


def _closure_miss(c: Closure, kind: str, person: Person, target_step: float, f_step: float, speed: float,
                  stance: float, riser_m: float) -> float:
    """How far (m) closure ``c`` leaves the gait geometry open: the larger of the step-length error and the
    contact-height mismatch in the weight transfer (:func:`_probe`)."""
    step, mismatch = _probe(kind, person, c, f_step, speed, stance, riser_m)
    return max(abs(step - target_step), abs(mismatch))


def walk_pace(rng: np.random.Generator) -> float:
    """This recording's walking pace / the person's preferred speed (:data:`WALK_PACE`), drawn from
    :func:`side_stream` (``rng`` is not drawn from)."""
    median, sd, (lo, hi) = WALK_PACE
    return float(np.clip(median * np.exp(sd * side_stream(rng, "pace").standard_normal()), lo, hi))


def _speed_and_step(kind: str, person: Person, rng: np.random.Generator, speed, intensity: float,
                    tread_m: float, poles: bool = False) -> tuple[float, float, float]:
    """(speed m/s, step frequency Hz, target step length m) of a gait (``poles``: Nordic walking's, see
    :data:`NORDIC_SPEED_X`)."""
    H = person.height_m
    if kind in SPEED_RANGE:
        lo, hi = SPEED_RANGE[kind]
        if speed is None:  # the person's own speed, scaled by the intensity and kept within the gait's range
            own = person.preferred_speed_mps * (NORDIC_SPEED_X if poles else walk_pace(rng)) \
                if kind == "walking" else float(np.clip(rng.normal(*JOG_SPEED), *JOG_SPEED_RANGE))
            speed = float(np.clip(own * intensity ** 0.5, lo, hi))
        speed = float(speed)
        if not lo <= speed <= hi:
            raise ValidationError(f"{kind} speed must be within {lo} … {hi} m/s, got {speed:.2f}")
        f_step = step_frequency(kind, speed, H)
        if poles:  # the cadence of their walk at the speed they would walk, with 15 % longer steps
            f_step = step_frequency(kind, speed / NORDIC_SPEED_X, H) * NORDIC_SPEED_X / NORDIC_STEP_X
        if kind == "running":  # a runner's own cadence about the population's (SD 8 steps/min)
            f_step += _running_cadence_offset(person)
        return speed, f_step, speed / f_step
    # stairs: a person climbs at a cadence that scales with their walking cadence at the preferred speed
    # (∝ v^0.58 at a fixed stature, see ``step_frequency``): the population spread of preferred speed
    # (Person.sample, CV 11 %) gives ≈ 6 % between people around the published means; their own stair
    # pace the rest of the published spread
    f_step = step_frequency(kind, 0.0, H) * (person.preferred_speed_mps / 1.35) ** CADENCE_SPEED_EXP \
        * stair_pace(person) * intensity ** STAIR_INTENSITY_EXP
    return tread_m * f_step, f_step, tread_m


def gait_track(kind: str, person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
               speed: float | None = None, intensity: float = 1.0, carrying: str | None = None,
               posture: str = "upright", riser_m: float = 0.17, tread_m: float = 0.28,
               turns: float | None = None, poles: bool = False, avoid_carrying: Sequence[str] = ()) -> Track:
    """A walking / running / stairs track (see the module docstring for the sources); walking starts a
    turn at ``turns`` per minute of straight walking (None: the person's own rate; 0: a straight line;
    :mod:`.turns`). ``carrying`` None: walking and stairs draw their hands from :data:`HAND_HABITS`,
    running swings them freely (``"none"``). ``poles``: Nordic walking (walking only; the hands hold the
    poles, see :data:`NORDIC_SPEED_X`)."""
    if kind not in GAITS:
        raise ValidationError(f"unknown gait {kind!r}", allowed=", ".join(GAITS))
    if poles and (kind != "walking" or carrying not in (None, "none")):
        raise ValidationError(f"poles go with walking and free hands, not {kind} carrying {carrying!r}",
                              allowed="kind 'walking', carrying None or 'none'")
    speed, f_step, target_step = _speed_and_step(kind, person, rng, speed, intensity, tread_m, poles)
    curve_speed = speed if kind in SPEED_RANGE else GAITS[kind].ref_speed
    stance = round(stance_fraction(kind, curve_speed) * 200) / 200
    # the corrections that close the curves into this person's gait (``close_gait``)
    closure = close_gait(kind, person, target_step, f_step, curve_speed, stance, riser_m)

    n = int(round(duration_s * fps)) + 1
    # within-person variability: stride time CV 2 %, amplitude 3 %
    f_stride = f_step / 2 * (1 + 0.02 * smooth_noise(rng, n, fps, f_step / 4)[:, 0])
    phase0 = rng.uniform(0, 1)
    amp = 1 + 0.03 * smooth_noise(rng, n, fps, f_step / 4)[:, 0]
    if kind == "running":
        arm_base = RUNNING_ARM_DEG * person.arm_swing
    elif kind.startswith("stairs"):
        arm_base = 6.0 * person.arm_swing
    elif poles:  # the technique drives the arms: the person's own swing habit counts for less
        arm_base = ARM_SWING_DEG * person.arm_swing ** 0.5 * (speed / 1.3) ** ARM_SWING_EXP
    else:
        arm_base = ARM_SWING_DEG * person.arm_swing * (speed / 1.3) ** ARM_SWING_EXP
    arm_amp = arm_base * intensity * (1 + 0.05 * smooth_noise(rng, n, fps, f_step / 4)[:, 0])
    heading = walking_heading(rng, n, fps, turns, getattr(person, "gait_style_seed", None)) \
        if kind == "walking" else None
    if heading is not None:  # slower through the turns: shorter steps, a little lower cadence
        slow = turn_slowing(heading.yaw_deg, fps, speed)
        f_stride = f_stride * slow ** TURN_CADENCE_SHARE
        amp = amp * slow ** (1.0 - TURN_CADENCE_SHARE)
    phL = phase0 + np.cumsum(f_stride) / fps
    phR = phL + 0.5 + 0.01 * person.asymmetry
    if carrying is None:
        carrying = "poles" if poles else \
            choose_carrying(rng, kind, avoid_carrying) if kind in HAND_HABITS else "none"
    style = (POLE_STYLE if poles else carry_style(carrying, person)) | _posture_style(posture)
    hanging = kind in HANGING_ARM_GAITS and not poles
    if hanging:  # the running arm keeps both sides alike
        style = swing_sides(style, arm_swing_asymmetry(person))
    elif kind == "running":  # a held arm's swing is zero (``arm_scale``), so its path is too
        style = style | running_arm_path(person)
    pose = _pose(kind, person, phL, phR, amp * (1 + person.asymmetry / 2), amp * (1 - person.asymmetry / 2),
                 closure, arm_amp, curve_speed, stance, style)
    jolt = _pole_strikes(pose, rng, phL, phR, f_stride, fps) if poles else None
    if heading is not None:  # the legs are placed after the turn: the root path curves, the stance hip takes it
        pose["pelvis_yaw"] = pose["pelvis_yaw"] + heading.yaw_deg
        pose["neck_rot"] = pose["neck_rot"] + heading.head_lead_deg
        for sfx, side, ph in (("L", 1.0, phL), ("R", -1.0, phR)):  # thigh yaw vs pelvis = −side · hip_rot
            pose[f"hip_rot_{sfx}"] = pose[f"hip_rot_{sfx}"] - side * stance_hip_turn(heading.yaw_deg, ph, stance)
    # its own stream, seeded by this track's first draw: the rest of the motion is drawn as without it
    swing_rng = np.random.default_rng(int(phase0 * 2**52))
    for key, extra in swing_variation(swing_rng, (phL, phR), stance, fps, f_step).items():
        pose[key] = pose[key] + extra
    local = pose_to_local(pose, n)
    P, G = rel_fk(local, person)
    w = _contact_weights(kind, phL, phR, stance)
    c = GAITS[kind]
    ground = _stair_ground(kind, riser_m, phL, phR) if c.vertical else None
    root = smooth_pelvis(anchored_root(foot_contact_points(P, G, person, fps), w, fps, ground=ground),
                         kind, f_step, fps, phase=phL, stance=stance)
    if hanging:  # the hanging arms lag the shoulders, the forearms the elbows (:mod:`.arm_sway`)
        _sway_arms(pose, local, passive_arm_sway(local, root, person, fps, f_step, style, pose))
    meta = {"speed_mps": round(float(speed), 4), "step_frequency_hz": round(float(f_step), 4),
            "amplitude": round(closure.amp, 4), "hip_offset_deg": round(closure.offset, 2), "stance": stance, "carrying": carrying, "posture": posture,
            "contact_s": [contact_times(phL, fps), contact_times(phR, fps)]}
    if heading is not None:
        meta["turns"] = heading.meta()
    if poles:
        meta["pole_jolt"] = jolt
    if c.vertical:
        last = int(np.argmax(w[-1]))
        meta.update(riser_m=riser_m, tread_m=tread_m, floor_end_m=round(float(ground[-1, last]), 4))
    return Track(local, root, w, kind, meta)


def swing_variation(rng: np.random.Generator, phases: tuple, stance: float, fps: float,
                    f_step: float) -> dict[str, np.ndarray]:
    """Each leg's swing its own way from stride to stride: smooth noise (band ≈ the step frequency) on the
    swinging leg's out-of-plane angles (:data:`SWING_ANGLE_SD`, deg), faded in and out over its swing by
    sin² of the swing's phase, so the stance foot and where it lands are untouched. Returns the angle
    increments by pose key (``hip_abd_L`` …)."""
    n = len(phases[0])
    noise = smooth_noise(rng, n, fps, f_step, size=2 * len(SWING_ANGLE_SD))
    out = {}
    for i, (sfx, ph) in enumerate(zip("LR", phases)):
        swing = np.clip((np.mod(ph, 1.0) - stance) / (1.0 - stance), 0.0, 1.0)
        gate = np.sin(np.pi * swing) ** 2
        for j, (key, sd) in enumerate(SWING_ANGLE_SD.items()):
            out[f"{key}_{sfx}"] = sd * gate * noise[:, 2 * j + i]
    return out


def _sway_arms(pose: dict, local: np.ndarray, sway: dict[str, np.ndarray]) -> None:
    """Add the arms' passive increments ``sway`` (deg) to ``pose`` and rebuild the joints they turn in
    ``local``, in place."""
    n = len(local)
    for key, extra in sway.items():
        pose[key] = pose[key] + extra
    for sfx, _, name in SIDES:
        if f"sh_flex_{sfx}" in sway:
            local[:, J(f"{name}_shoulder")] = shoulder_rotation(pose, sfx, n)
        if f"elbow_flex_{sfx}" in sway:
            local[:, J(f"{name}_elbow")] = elbow_rotation(pose, sfx, n)


def contact_times(phase: np.ndarray, fps: float) -> list[float]:
    """Foot contacts (s from the track start): where the foot's gait phase crosses a whole cycle.

    Phase 0 is initial contact of every gait here (heel strike walking / running, forefoot going down
    stairs), where the foot's contact weight starts to rise (``contact_ramps``). Exposed in the track's
    meta (``contact_s``, left then right) for the sensor's impact model (:mod:`imuforge.sensors.impact`);
    the joint data do not depend on it. Linear interpolation between frames, rounded to 0.1 ms.
    """
    cyc = np.floor(phase)
    i = np.flatnonzero(cyc[1:] > cyc[:-1])
    frac = (cyc[i + 1] - phase[i]) / np.maximum(phase[i + 1] - phase[i], 1e-12)
    return [round(float(t), 4) for t in (i + frac) / fps]


#: every ``carrying`` mode a gait takes (``none``: free arms)
CARRYING = ("none", "bag", "bag_offhand", "shoulder_bag", "backpack", "box", "phone", "phone_offhand",
            "phone_cradled", "phone_both", "phone_ear", "phone_ear_offhand", "cup", "cup_offhand", "pockets",
            "handrail_left", "handrail_right")
#: How people hold a phone they are using, as shares of phone use (Hoober 2013, "How do users really hold
#: mobile devices?", UXmatters, 18 Feb 2013: 1333 observations in the street, 780 touching the screen):
#: one hand 49 %, about two thirds of them with the right thumb; cradled in one hand and tapped with the
#: other 36 %; both thumbs 15 %. Here the right thumb's share is taken for the dominant hand's (≈ 90 % of
#: people are right-handed), and the cradling hand is the non-dominant one (an assumption: the tapping
#: finger is the dominant hand's). ``phone``: one hand, the dominant; ``phone_offhand``: one hand, the
#: other; ``phone_cradled``: held in the non-dominant hand, the dominant hand's finger on the screen;
#: ``phone_both``: held in both hands.
PHONE_GRIPS = {"phone": 0.49 * 2 / 3, "phone_offhand": 0.49 / 3, "phone_cradled": 0.36, "phone_both": 0.15}
#: Which ear a call is held to, as shares of calls (Seidman et al. 2013, *JAMA Otolaryngol Head Neck Surg*
#: 139:466; 717 respondents: 68 % of right-handers use the right ear, 25 % the left, 7 % either; 72 % of
#: left-handers the left ear): the dominant hand's side 70 %, the other 30 % (the undecided split
#: equally), the hand of that side holding the phone.
PHONE_EAR_SIDES = {"phone_ear": 0.70, "phone_ear_offhand": 0.30}
#: Which hand carries a bag, as shares of bags carried in the hand: either hand equally often (an assumption:
#: no count of the carrying hand was found; a shopping or laptop bag changes hands on the way, and people
#: keep the dominant hand free for a phone or a door). ``bag``: the dominant hand; ``bag_offhand``: the
#: other. Until 2026-12-03 the bag was always in the dominant hand: a watch on the other wrist never hung
#: still in walking.
BAG_HANDS = {"bag": 0.5, "bag_offhand": 0.5}


#: the holds of one hand and the other hand's: a thing said held in the left or the right hand (a gait's or
#: standing's ``carry_hand``) is the dominant hand's or the other's, as the person's handedness makes that
#: side (:func:`held_in`)
SIDED_HOLDS = {"bag": "bag_offhand", "phone": "phone_offhand", "phone_ear": "phone_ear_offhand",
               "cup": "cup_offhand"}
SIDED_MODES = tuple(k for pair in SIDED_HOLDS.items() for k in pair)
HANDS = ("left", "right")


def held_in(carrying: str | None, hand: str, person: Person) -> str:
    """The ``carrying`` mode that holds its thing in the ``hand`` ("left" / "right") of ``person``: a mode of
    :data:`SIDED_HOLDS`, or its other hand's."""
    base = next((k for k, other in SIDED_HOLDS.items() if carrying in (k, other)), None)
    if base is None or hand not in HANDS:
        raise ValidationError(f"carry_hand={hand!r} with carrying={carrying!r}",
                              allowed=f"carry_hand {' or '.join(HANDS)} with carrying one of "
                                      + ", ".join(SIDED_MODES))
    return base if hand == person.handedness else SIDED_HOLDS[base]


def _shares(total: float, split: dict[str, float]) -> dict[str, float]:
    """``total`` shared out over ``split``'s modes in its proportions."""
    return {k: total * v for k, v in split.items()}


#: What a walker's or stair user's hands do when the gait's ``carrying`` is not given, drawn per recording
#: (:func:`choose_carrying`); running keeps free arms. Walking, phone shares from observations of
#: pedestrians: of 10 543 on two urban college campuses 8 % were text-messaging and 5 % talking on the
#: phone (Wells, McClure, Porter & Schwebel 2018, *J Community Health* 43:96, PMC5762430); of 1362 at two
#: city intersections 8 % were using a phone (talking, texting or looking at it; PMC5005686). The bag,
#: shoulder-bag and pocket shares are assumptions (no population figure found); the rest swing their arms
#: freely. Stairs, the handrail: fewer than a third of the users of two shopping-mall staircases held it,
#: 10 % more often going down than up (Cohen 2001, *Proc Hum Factors Ergon Soc* 45:1502), 28 % on a
#: university stairway (Kim & Steinfeld 2016, "The effects of interactive stairways on user behavior and
#: safety", Universal Design 2016, IOS Press); 25 % up and 35 % down
#: here, the rail on either side equally often (assumption).
HAND_HABITS: dict[str, dict[str, float]] = {
    "walking": {"none": 0.70, **_shares(0.08, PHONE_GRIPS), **_shares(0.05, PHONE_EAR_SIDES),
                **_shares(0.07, BAG_HANDS), "shoulder_bag": 0.05, "pockets": 0.05},
    "stairs_up": {"none": 0.75, "handrail_left": 0.125, "handrail_right": 0.125},
    "stairs_down": {"none": 0.65, "handrail_left": 0.175, "handrail_right": 0.175},
}


#: the gaits whose arms hang and swing from the shoulder (running carries them flexed and driven): their
#: arm swing differs between the sides and lags the shoulder's jolts
HANGING_ARM_GAITS = ("walking", "stairs_up", "stairs_down")


def choose_carrying(rng: np.random.Generator, kind: str = "walking", avoid: Sequence[str] = ()) -> str:
    """What the hands of a ``kind`` gait do, by the :data:`HAND_HABITS` probabilities but none of ``avoid``
    ("walking without a bag"), seeded by ``rng``'s current state without drawing from it (the gait's other
    draws stay what they were)."""
    return weighted_choice(rng, HAND_HABITS[kind], "hands", avoid)


def carry_style(carrying: str | None, person: Person) -> dict:
    """What a ``carrying`` mode (:data:`CARRYING`) does to the arms and trunk: arm-swing scales
    (``arm_scale_{side}``), held joint angles (``{angle}_{side}_fixed``, deg) and trunk offsets; used by the
    gaits and, for its held angles, by standing."""
    if carrying in (None, "", "none"):
        return {}
    side = "R" if person.handedness == "right" else "L"
    other = "L" if side == "R" else "R"
    if carrying in ("bag", "suitcase", "bag_hand", "bag_offhand"):
        # a loaded arm hangs still; the trunk leans away from the load
        s = other if carrying == "bag_offhand" else side
        return {f"arm_scale_{s}": 0.15, f"sh_abd_{s}_fixed": 10.0, f"elbow_flex_{s}_fixed": 5.0,
                "trunk_lat": 4.0 if s == "R" else -4.0}
    if carrying in ("shoulder_bag", "backpack"):
        return {f"arm_scale_{side}": 0.4, "trunk_flex": 3.0}
    if carrying in ("box", "tray", "front"):
        st = {"trunk_flex": -3.0}
        for s in (side, other):
            st.update({f"arm_scale_{s}": 0.0, f"sh_flex_{s}_fixed": 25.0, f"elbow_flex_{s}_fixed": 85.0,
                       f"sh_abd_{s}_fixed": 12.0, f"elbow_sup_{s}_fixed": 70.0})
        return st
    if carrying in ("phone", "cup", "phone_offhand", "cup_offhand"):  # held in front in one hand, the screen
        s = other if carrying.endswith("_offhand") else side  # read
        return {f"arm_scale_{s}": 0.0, f"sh_flex_{s}_fixed": 15.0, f"elbow_flex_{s}_fixed": 95.0,
                f"elbow_sup_{s}_fixed": 40.0}
    if carrying in ("phone_cradled", "phone_both"):  # the phone in front of the chest in the non-dominant
        # hand; the dominant hand's finger on the screen (cradled) or both hands round it, the forearms
        # turned in towards the body's midline (``pose_to_local`` applies ``rx(side · sh_rot)``: opposite
        # signs)
        held = {other: 40.0, side: 10.0 if carrying == "phone_cradled" else 40.0}
        return {k: v for s, sup in held.items()
                for k, v in ((f"arm_scale_{s}", 0.0), (f"sh_flex_{s}_fixed", 15.0),
                             (f"elbow_flex_{s}_fixed", 95.0), (f"elbow_sup_{s}_fixed", sup),
                             (f"sh_rot_{s}_fixed", 35.0 if s == "L" else -35.0))}
    if carrying in ("phone_ear", "phone_ear_offhand"):  # the phone held to the ear: upper arm forward, elbow
        # flexed, the wrist a hand's length below and in front of the ear
        s = other if carrying == "phone_ear_offhand" else side
        return {f"arm_scale_{s}": 0.0, f"sh_flex_{s}_fixed": 55.0, f"sh_abd_{s}_fixed": 15.0,
                f"elbow_flex_{s}_fixed": 150.0, f"elbow_sup_{s}_fixed": 60.0}
    if carrying == "pockets":  # both hands in the front trouser pockets (the wrists ≈ 0.13 m in front of the hip
        # joints, ≈ 0.05 m outside them), the arms riding with the trunk; the upper arm turned 15° inwards
        # (``pose_to_local`` applies ``rx(side · sh_rot)``: the same anatomical turn has opposite signs)
        return {k: v for s in (side, other) for k, v in ((f"arm_scale_{s}", 0.0), (f"sh_flex_{s}_fixed", 0.0),
                                                         (f"sh_abd_{s}_fixed", 0.0),
                                                         (f"sh_rot_{s}_fixed", 15.0 if s == "L" else -15.0),
                                                         (f"elbow_flex_{s}_fixed", 35.0))}
    if carrying in ("handrail_left", "handrail_right"):  # the hand slides along a rail ≈ 0.4 m beside the body,
        # a little above the pelvis and ≈ 0.25 m ahead of it
        s = "L" if carrying == "handrail_left" else "R"
        return {f"arm_scale_{s}": 0.0, f"sh_flex_{s}_fixed": 20.0, f"sh_abd_{s}_fixed": 30.0,
                f"elbow_flex_{s}_fixed": 45.0, f"elbow_sup_{s}_fixed": -30.0}
    raise ValidationError(f"unknown carrying mode {carrying!r}", allowed=", ".join(CARRYING))


#: what the poles do to a walk's arms and trunk (:data:`NORDIC_SPEED_X`)
POLE_STYLE = {"poles": True, "trunk_flex": NORDIC_TRUNK_DEG, "trunk_rot_x": NORDIC_TRUNK_ROT_X}


def pole_jolt(phase: np.ndarray, f_stride: np.ndarray, deg: float, hz: float, damping: float) -> np.ndarray:
    """Elbow flexion (deg) of the pole's strike: ``deg · e^(−ζωτ) sin(ω_d τ)``, τ the time since the last
    plant (the arm furthest forward, phase ½ of each cycle: the opposite heel strike), from the phase and the
    stride frequency (Hz) at each sample; nothing before the first plant."""
    w = 2 * np.pi * hz
    tau = np.mod(phase - 0.5, 1.0) / f_stride
    out = deg * np.exp(-damping * w * tau) * np.sin(w * np.sqrt(1 - damping ** 2) * tau)
    return np.where(phase - 0.5 >= np.floor(phase[0] - 0.5) + 1, out, 0.0)


def _pole_strikes(pose: dict, rng: np.random.Generator, phL: np.ndarray, phR: np.ndarray,
                  f_stride: np.ndarray, fps: float) -> dict | None:
    """Add the pole strikes' elbow jolts (:data:`POLE_JOLT`, drawn from their own stream, so the gait's draws
    stay what they were) to ``pose``; what was drawn, or None below :data:`POLE_JOLT_MIN_FPS`."""
    if fps < POLE_JOLT_MIN_FPS:
        return None
    jr = side_stream(rng, "poles")
    jolt = {k: float(jr.uniform(*v)) for k, v in POLE_JOLT.items()}
    for sfx, ph in (("L", phL), ("R", phR)):
        pose[f"elbow_flex_{sfx}"] = pose[f"elbow_flex_{sfx}"] + pole_jolt(ph, f_stride, **jolt)
    return {k: round(v, 4) for k, v in jolt.items()}


def nordic_walking(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
                   speed: float | None = None, intensity: float = 1.0, posture: str = "upright",
                   turns: float | None = None) -> Track:
    """Walking with poles (see :data:`NORDIC_SPEED_X`), labelled ``nordic_walking``."""
    tr = gait_track("walking", person, duration_s, fps, rng, speed=speed, intensity=intensity,
                    posture=posture, turns=turns, poles=True)
    return replace(tr, label="nordic_walking")


def _posture_style(posture: str) -> dict:
    table = {"upright": {}, "hunched": {"trunk_flex": 12.0, "neck_flex": 10.0},
             "leaning_back": {"trunk_flex": -5.0}, "looking_down": {"neck_flex": 25.0}}
    if posture not in table:
        raise ValidationError(f"unknown posture {posture!r}", allowed=", ".join(table))
    return table[posture]
