"""Static postures (standing, sitting, lying) and postural transitions between them.

* Quiet standing: upright pose plus postural sway (Prieto et al. 1996; see ``postural_sway``)
  and slow weight shifts every 10–40 s.
* Sitting on a chair, sofa or stool (:data:`SEATS`): the pelvis tilts posteriorly by 10–32° on a
  chair (posed: Endo et al. 2012, 18.3° mean; Moon et al. 2018; habitual sitting slumps further, Claus
  et al. 2016), more on a sofa, less on a stool; the lumbar spine flattens; the thighs are about
  horizontal on a chair, above it on a sofa, sloping down on a stool; the seat height follows from the
  legs because the feet stay planted.
* Lying: supine, prone or on either side on a surface (bed ≈ 0.5 m or floor), breathing 0.2–0.3 Hz.
* Sit-to-stand (Schenkman, Berger, Riley, Mann & Hodge 1990, *Phys Ther* 70:638; review Janssen,
  Bussmann & Stam 2002, *Phys Ther* 82:866: 1.5–2.5 s for the rise in healthy adults, longer in
  older people): preparation 0.2–0.7 s (trunk starts forward), phase I flexion-momentum 0.5–0.9 s
  (pelvis and trunk pitch forward, peak flexion 35–55° reached just after seat-off), phase II
  momentum transfer at seat-off, phase III extension 0.6–0.9 s (hips and knees extend; the thigh
  angle follows a fast-onset profile, min-jerk in x^0.7, so the pelvis's upward acceleration peaks
  right after seat-off: ≈ 3–7 m/s² at the lower back, as in the real lumbar sample of sit2standpy,
  see benchmarks/results/motion.md), phase IV stabilisation 0.5–1.1 s.
  All phases × vigor^-0.5 (1.8–3.6 s for vigor 1). The arms swing forward with the trunk. Stand-to-sit
  is its time reverse, ≈ 20 % slower (eccentric lowering), so the descent ends decelerating on the seat.
* Sit-to-lie / lie-to-sit: 2.5–4 s; the trunk rotates backwards by 90° and the body turns ≈ 90°
  about the vertical while the legs swing onto the bed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.library._core import (
    STANDING,
    Track,
    apply_standing_sway,
    blend_pose,
    expand_sides,
    feet_planted_track,
    keyframes,
    minjerk,
    pose_to_local,
    postural_sway,
    side_stream,
    smooth_noise,
    weighted_choice,
)
from imuforge.motion.library.fidgets import ArmFidgets, arm_fidgets, leg_fidgets, person_amount
from imuforge.motion.library.gait import BAG_HANDS, HAND_HABITS, PHONE_EAR_SIDES, PHONE_GRIPS, carry_style


def _n(duration_s: float, fps: float) -> int:
    return int(round(duration_s * fps)) + 1


def _stance_abd(person: Person) -> float:
    """Hip abduction (deg) that puts the feet ``step_width_m`` apart (same standing and seated)."""
    hip_sep = 0.10 * person.height_m * person.proportions.get("hip_width", 1.0)
    return float(np.degrees(np.arctan((person.step_width_m + 0.05 - hip_sep) / 2 / (0.49 * person.height_m))))


def standing_pose(person: Person, rng: np.random.Generator) -> dict:
    p = dict(STANDING)
    p["spine_flex"] = person.trunk_lean_deg * 0.5
    p["toe_out"] = person.toe_out_deg
    p["hip_abd"] = _stance_abd(person)
    p["sh_abd"] = float(rng.uniform(4, 10))
    p["elbow_flex"] = float(rng.uniform(8, 25))
    return expand_sides(p)


#: Seat types: probability, pelvic posterior tilt vs standing (deg), thigh angle to the vertical (deg),
#: knee flexion (deg), trunk inclination to the vertical (deg, + forwards), as uniform ranges.
#: Pelvis: standing → chair sitting the pelvis rotates posteriorly by 18.3° on average and the lumbar
#: lordosis flattens by 16.6° (Endo, Suzuki, Nishimura, Tanaka, Shishido & Yamamoto 2012, *J Orthop Sci*
#: 17:682, 50 adults, radiographs); pelvic tilt 15.7° standing → 28.2° on a chair → 38.3° sitting
#: cross-legged (Moon et al. 2018, *Clin Orthop Surg* 10:322). Those are posed radiographs ("sit upright");
#: sitting as people do it slumps further: after 10 min of computer work the lumbar spine of 50 adults was
#: flexed 24° (SD 7–9°) relative to standing (Claus, Hides, Moseley & Hodges 2016, *Appl Ergon* 53:161),
#: against the 16.6° lordosis loss of the posed radiographs, and habitual sitting is more flexed than a
#: neutral one (O'Sullivan et al. 2010, *Man Ther* 15:557); the chair's tilt reaches 8° further (an
#: assumption within those figures). Checked against a hip-worn accelerometer study (30 adults; the angle
#: to the walking posture, cut-point 11.6° between sitting and standing with 94.2 % of the sitting windows
#: above it, OpenAlex W2768551517) in tests/motion. Chair: seat ≈ 0.42–0.48 m, thighs about horizontal; sofa:
#: low soft seat, knees above the hips, reclined against the back rest; stool: high seat (≈ 0.6–0.75 m),
#: thighs sloping down, little back support so the pelvis stays more upright. Shares are assumptions: most
#: sitting, and the sitting of HAR data sets, is on chairs and sofas; perching on a high stool is rare.
SEATS: dict[str, dict] = {
    "chair": {"p": 0.7, "tilt": (10.0, 32.0), "thigh": (84.0, 96.0), "knee": (82.0, 102.0),
              "trunk": (-4.0, 10.0)},
    "sofa": {"p": 0.25, "tilt": (20.0, 32.0), "thigh": (95.0, 108.0), "knee": (95.0, 115.0),
             "trunk": (-22.0, -8.0)},
    "stool": {"p": 0.05, "tilt": (2.0, 12.0), "thigh": (62.0, 78.0), "knee": (60.0, 82.0),
              "trunk": (0.0, 10.0)},
}


def sitting_pose(person: Person, rng: np.random.Generator, seat: str = "chair") -> dict:
    """Seated posture on a ``seat`` of :data:`SEATS` with the feet flat on the floor.

    The pelvis tilts posteriorly (``pelvis_tilt`` < 0), the lumbar spine flattens (the spine flexes
    relative to the pelvis) and the thighs take the seat's angle in the world whatever the pelvis tilt.
    """
    if seat not in SEATS:
        raise ValidationError(f"unknown seat {seat!r}", allowed=", ".join(SEATS))
    cfg = SEATS[seat]
    tilt = -float(rng.uniform(*cfg["tilt"]))
    thigh = float(rng.uniform(*cfg["thigh"]))
    trunk = float(rng.uniform(*cfg["trunk"]))
    p = {"knee_flex": float(rng.uniform(*cfg["knee"])), "hip_abd": _stance_abd(person),
         "toe_out": person.toe_out_deg, "pelvis_tilt": tilt, "spine_flex": trunk - tilt,
         # upper arms ≈ 25° forward in the world whatever the trunk inclination: hands on the lap (the trunk's
         # forward inclination turns a hanging upper arm backwards by as much: world = sh_flex − trunk)
         "sh_flex": 25.0 + trunk, "sh_abd": 10.0, "elbow_flex": float(rng.uniform(40, 70)),
         "elbow_sup": -30.0,
         "neck_flex": float(rng.uniform(0, 12)) - 0.5 * trunk}
    p["hip_flex"] = thigh + tilt  # thigh at ``thigh`` degrees in the world (thigh = hip_flex − pelvis tilt)
    p["ankle_dorsi"] = p["knee_flex"] - thigh  # feet flat on the floor
    return expand_sides(p)


def choose_seat(rng: np.random.Generator) -> str:
    """A seat type by the :data:`SEATS` probabilities, seeded by ``rng``'s current state without
    drawing from it (so the posture and fidget streams of a seed stay what they were)."""
    return weighted_choice(rng, {k: v["p"] for k, v in SEATS.items()})


def planted_root_height(pose: dict, person: Person) -> float:
    """Pelvis height (m) of a static pose whose feet stand flat on the floor."""
    from imuforge.motion.library._core import foot_contact_points, rel_fk

    P, G = rel_fk(pose_to_local(pose, 2), person)
    pts, _ = foot_contact_points(P, G, person, 1.0)
    return float(-pts[0, :, 1].mean())


def _with_noise(pose: dict, rng, n, fps, keys_amp: dict, cutoff=0.15) -> dict:
    out = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy() if k != "root_q" else v for k, v in pose.items()}
    noise = smooth_noise(rng, n, fps, cutoff, len(keys_amp))
    for i, (k, a) in enumerate(keys_amp.items()):
        out[k] = out.get(k, np.zeros(n)) + a * noise[:, i]
    return out


def _add_fidgets(pose: dict, person: Person, rng: np.random.Generator, n: int, fps: float, amount: float,
                 seated: bool) -> tuple[dict, np.ndarray, ArmFidgets]:
    """Arm, leg and trunk fidgets added to ``pose``; returns it, the feet's load (n, 2) and the arms'
    fidgets (:class:`ArmFidgets`: how far each arm is into an event, ``away``, is what a held arm needs).

    The legs draw from their own stream (seeded by ``rng``'s state without drawing from it), so the arm
    fidgets of a seed are what they were before the legs moved.
    """
    dom = "R" if person.handedness == "right" else "L"
    legs_rng = side_stream(rng, "legs")
    arms = arm_fidgets(rng, n, fps, amount, dominant=dom, seated=seated,
                       rest_elbow_deg=float(np.mean(pose.get("elbow_flex_L", 15.0))))
    legs, load = leg_fidgets(legs_rng, n, fps, amount, seated=seated)
    for k, v in (*arms.angles.items(), *legs.items()):
        pose[k] = pose.get(k, 0.0) + v
    return pose, load, arms


#: Where people at rest keep their arms when the hands have nothing to do — the "home positions" of
#: conversation analysis (Sacks & Schegloff 2002, *Gesture* 2:133: arms at the sides, folded across the
#: chest, hands clasped in front or behind the back, on the hips; in the lap when seated) — as held joint
#: angles (deg) of both arms, each drawn per recording within its range (``{angle}_{side}`` keys take the
#: dominant ``D`` or other ``O`` arm). ``sh_rot`` is the upper arm's inward turn (``pose_to_local`` applies
#: ``rx(side · sh_rot)``, so the left arm's value is used as is and the right arm's negated); ``elbow_sup`` 0
#: is the forearm's neutral turn (thumb forward with the arm hanging, up with the forearm level). The
#: geometry is checked by forward kinematics in tests/motion (wrists in front of the chest, together at
#: the belly or behind the back, at the waist's sides).
REST_ARMS: dict[str, dict[str, tuple[float, float]]] = {
    # folded: the forearms across the chest, rising ≈ 20–30° towards the hands, the wrists near the midline
    "arms_crossed": {"sh_flex": (15.0, 30.0), "sh_abd": (5.0, 15.0), "sh_rot": (60.0, 75.0),
                     "elbow_flex_D": (105.0, 120.0), "elbow_flex_O": (115.0, 130.0),
                     "elbow_sup": (-10.0, 20.0)},
    # one hand holding the other (or its wrist) in front of the lower belly
    "hands_clasped": {"sh_flex": (0.0, 10.0), "sh_abd": (0.0, 6.0), "sh_rot": (45.0, 60.0),
                      "elbow_flex": (35.0, 55.0), "elbow_sup": (0.0, 30.0)},
    # hands held together behind the back at the sacrum
    "hands_behind": {"sh_flex": (-45.0, -34.0), "sh_abd": (5.0, 12.0), "sh_rot": (45.0, 60.0),
                     "elbow_flex": (55.0, 80.0), "elbow_sup": (-40.0, -10.0)},
    # hands on the hips, elbows out to the sides
    "hands_on_hips": {"sh_flex": (-15.0, 0.0), "sh_abd": (35.0, 50.0), "sh_rot": (65.0, 80.0),
                      "elbow_flex": (90.0, 110.0), "elbow_sup": (-70.0, -40.0)},
    # seated: the forearms lying on a chair's or sofa's arm rests, level and pointing forwards (``sh_flex`` is
    # the upper arm's angle in the world, see :func:`rest_arm_angles`)
    "armrests": {"sh_flex": (0.0, 12.0), "sh_abd": (12.0, 22.0), "sh_rot": (0.0, 10.0),
                 "elbow_flex": (75.0, 95.0), "elbow_sup": (-40.0, 0.0)},
}

#: rest positions in which the two hands hold each other or the forearms lie across each other: each angle is
#: drawn once for both arms (mirrored), so the hands meet; the others draw each arm's angles on their own
JOINED_ARMS = frozenset({"arms_crossed", "hands_clasped", "hands_behind"})

#: What a standing person's hands do, drawn per recording (:func:`choose_standing_hands`): holding a phone
#: to read (in the grips of ``gait.PHONE_GRIPS``) or to the ear (on either side, ``gait.PHONE_EAR_SIDES``)
#: at the shares observed in walking pedestrians (``gait.HAND_HABITS``: 8 % and 5 %; people standing and
#: waiting use theirs at least as often — an assumption), a bag in either hand (``gait.BAG_HANDS``) or
#: both hands in the pockets, or one of the rest positions of :data:`REST_ARMS` (folded arms, hands clasped
#: in front or behind, hands on the hips); the rest let their arms hang. All shares but the phone's are
#: assumptions: no count of standing people's arm positions was found. The held arm keeps the walking
#: habit's angles (``gait.carry_style``; a bag's trunk lean is not applied to standing) or the rest
#: position's.
STANDING_HANDS: dict[str, float] = {
    "none": 0.45, **{k: HAND_HABITS["walking"][k] for k in (*PHONE_GRIPS, *PHONE_EAR_SIDES)},
    **{k: 0.07 * v for k, v in BAG_HANDS.items()}, "pockets": 0.07, "arms_crossed": 0.12,
    "hands_clasped": 0.10, "hands_behind": 0.03, "hands_on_hips": 0.03}
#: What a seated person's hands rest on, drawn per recording (:func:`choose_seated_hands`): the lap (the
#: seated pose's own arms), folded arms, or a chair's or sofa's arm rests (none on a stool: the lap instead).
#: Shares are assumptions, as for :data:`STANDING_HANDS`; phone checks come on top as fidgets.
SEATED_HANDS: dict[str, float] = {"lap": 0.65, "arms_crossed": 0.15, "armrests": 0.20}
#: share of its restlessness (and, holding a phone or a bag, of its gestures) a held angle keeps (an
#: assumption: a hand holding a phone still shifts it, but less than a free one gestures)
HELD_ARM_FIDGET = 0.3


def choose_standing_hands(rng: np.random.Generator, avoid: Sequence[str] = ()) -> str:
    """What a standing person's hands do, by the :data:`STANDING_HANDS` probabilities but none of ``avoid``,
    seeded by ``rng``'s current state without drawing from it (the posture and fidget streams of a seed stay
    what they were)."""
    return weighted_choice(rng, STANDING_HANDS, "hands", avoid)


def choose_seated_hands(rng: np.random.Generator, seat: str) -> str:
    """Where a seated person's hands rest, by the :data:`SEATED_HANDS` probabilities, seeded by ``rng``'s
    current state without drawing from it; a stool has no arm rests."""
    hands = weighted_choice(rng, SEATED_HANDS, "seated hands")
    return "lap" if (hands == "armrests" and seat == "stool") else hands


def rest_arm_angles(hands: str, person: Person, rng: np.random.Generator,
                    trunk_deg: float = 0.0) -> dict[str, float]:
    """The held angles (``{angle}_{side}_fixed``, deg) of a :data:`REST_ARMS` position, drawn within its
    ranges from a side stream of ``rng`` (not drawn from): once for both arms in :data:`JOINED_ARMS`, per arm
    otherwise. On arm rests the upper arm's angle is the world's: the trunk's inclination ``trunk_deg``
    (+ forwards; a sofa's back rest reclines it), which turns a hanging upper arm backwards by as much, is
    added to its flexion."""
    side = "R" if person.handedness == "right" else "L"
    arms = {"D": side, "O": "L" if side == "R" else "R"}
    draw = side_stream(rng, f"rest:{hands}")
    out = {}
    for key, (lo, hi) in REST_ARMS[hands].items():
        name, _, which = key.rpartition("_") if key[-2:] in ("_D", "_O") else (key, "", "")
        shared = float(draw.uniform(lo, hi)) if hands in JOINED_ARMS else None
        for a in ([arms[which]] if which else ["L", "R"]):
            value = shared if shared is not None else float(draw.uniform(lo, hi))
            if name == "sh_flex" and hands == "armrests":
                value += trunk_deg
            out[f"{name}_{a}_fixed"] = -value if (name == "sh_rot" and a == "R") else value
    return out


def _hold_hands(pose: dict, rest: dict, person: Person, hands: str, rng: np.random.Generator,
                arms: ArmFidgets) -> dict:
    """``pose`` with the arms of a ``hands`` habit held at its angles: each angle the habit holds is the
    habit's plus :data:`HELD_ARM_FIDGET` of the arm's movement about its resting value ``rest`` (the angles it
    does not hold, such as the wrist's, move as before).

    An arm in a rest position of :data:`REST_ARMS` leaves it for each of its events — a gesture, a phone
    check, a face touch, a hand to a pocket or the hip: it is drawn towards the free arm's pose by
    ``arms.away`` (per side, 1 at an event's target) and goes back when the event ends (people unfold their
    arms to gesture), smoothly (the envelope is minimum-jerk; the target it blends to moves too). A hand
    holding a phone or a bag keeps holding it."""
    if hands in REST_ARMS:
        trunk = float(np.mean(rest.get("spine_flex", 0.0))) + float(np.mean(rest.get("pelvis_tilt", 0.0)))
        held = rest_arm_angles(hands, person, rng, trunk_deg=trunk)
    else:
        held = carry_style(hands, person)
    for key, value in held.items():
        if key.endswith("_fixed"):
            name = key.removesuffix("_fixed")
            free = pose.get(name, 0.0)
            kept = value + HELD_ARM_FIDGET * (free - rest.get(name, 0.0))
            w = arms.away[name[-1]] if hands in REST_ARMS and name[-2:] in ("_L", "_R") else 0.0
            pose[name] = kept + w * (free - kept)
    return pose


def standing(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
             intensity: float = 1.0, fidget: float = 1.0, carrying: str | None = None,
             avoid_carrying: Sequence[str] = ()) -> Track:
    """Standing with postural sway, slow weight shifts and natural arm activity.

    ``fidget`` (0 … 3) scales the arm gestures, phone checks and hand restlessness of
    :func:`imuforge.motion.library.fidgets.arm_fidgets` (0 = quiet standing, arms hanging);
    ``intensity`` scales it too. ``carrying``: what the hands do, as walking's parameter of that name (a key
    of :data:`STANDING_HANDS`; None: drawn by its probabilities, none of ``avoid_carrying``).
    """
    if carrying is not None and carrying not in STANDING_HANDS:
        raise ValidationError(f"standing cannot carry {carrying!r}", allowed=", ".join(STANDING_HANDS))
    hands = carrying or choose_standing_hands(rng, avoid_carrying)
    n = _n(duration_s, fps)
    rest = standing_pose(person, rng)
    pose = apply_standing_sway(rest, postural_sway(rng, n, fps, person.vigor))
    pose = _with_noise(pose, rng, n, fps, {"pelvis_obliq": 1.0, "neck_rot": 6.0, "neck_flex": 3.0,
                                           "elbow_flex_L": 4.0, "elbow_flex_R": 4.0, "sh_flex_L": 2.0,
                                           "sh_flex_R": 2.0}, cutoff=0.08)
    pose, load, arms = _add_fidgets(pose, person, rng, n, fps,
                                    person_amount(rng, fidget, intensity, person.vigor), seated=False)
    pose = _hold_hands(pose, rest, person, hands, rng, arms)
    return feet_planted_track(pose, person, fps, "standing", {"fidget": fidget, "carrying": hands}, load=load)


def sitting(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
            intensity: float = 1.0, fidget: float = 1.0, seat: str | None = None,
            carrying: str | None = None) -> Track:
    """Sitting (``seat`` chair, sofa or stool; random by :data:`SEATS` probabilities) with slow posture
    changes and natural arm activity (``fidget`` 0 … 3, as standing). ``carrying``: where the hands rest (a
    key of :data:`SEATED_HANDS`; None: drawn by its probabilities)."""
    if carrying is not None and carrying not in SEATED_HANDS:
        raise ValidationError(f"sitting: unknown carrying={carrying!r}", allowed=", ".join(SEATED_HANDS))
    if carrying == "armrests" and seat == "stool":
        raise ValidationError("carrying='armrests' needs a seat with arm rests, got seat='stool'",
                              allowed="seat chair or sofa, or carrying lap or arms_crossed")
    n = _n(duration_s, fps)
    if seat is None:  # arm rests asked for: a chair or a sofa by their shares
        seat = choose_seat(rng) if carrying != "armrests" else weighted_choice(
            rng, {k: v["p"] for k, v in SEATS.items() if k != "stool"})
    hands = carrying or choose_seated_hands(rng, seat)
    pose = rest = sitting_pose(person, rng, seat)
    sway = postural_sway(rng, n, fps, 0.5 * person.vigor)
    pose = _with_noise(pose, rng, n, fps, {"spine_flex": 3.0, "spine_rot": 3.0, "neck_rot": 8.0,
                                           "neck_flex": 4.0, "elbow_flex_L": 6.0, "elbow_flex_R": 6.0,
                                           "sh_flex_L": 4.0, "sh_flex_R": 4.0}, cutoff=0.06)
    pose["spine_flex"] = pose["spine_flex"] + sway["breath"]
    pose, load, arms = _add_fidgets(pose, person, rng, n, fps,
                                    0.8 * person_amount(rng, fidget, intensity, person.vigor), seated=True)
    if hands != "lap":
        pose = _hold_hands(pose, rest, person, hands, rng, arms)
    meta = {"fidget": fidget, "seat": seat, "carrying": hands}
    return feet_planted_track(pose, person, fps, "sitting", meta, load=load)


LYING_VARIANTS = ("supine", "prone", "left", "right")


def lying_root_q(variant: str) -> np.ndarray:
    base = Q.rx(np.deg2rad(-90.0))
    if variant == "supine":
        return base
    if variant == "prone":
        return Q.rx(np.deg2rad(90.0))
    if variant in _ROLL_DEG:  # on the left side: the left side down, on the bed (its sign was the other side's)
        return Q.qmul(base, Q.ry(np.deg2rad(_ROLL_DEG[variant])))
    raise ValidationError(f"unknown lying variant {variant!r}", allowed=", ".join(LYING_VARIANTS))


def lying_pose(person: Person, rng: np.random.Generator, variant: str) -> dict:
    p = {"hip_flex": float(rng.uniform(0, 10)), "knee_flex": float(rng.uniform(2, 20)), "ankle_dorsi": -20.0,
         "sh_abd": float(rng.uniform(5, 25)), "elbow_flex": float(rng.uniform(5, 40)), "neck_flex": 5.0}
    if variant in ("left", "right"):
        p.update(hip_flex=float(rng.uniform(20, 45)), knee_flex=float(rng.uniform(30, 60)), sh_flex=40.0)
    return expand_sides(p)


#: how long a roll in bed through a quarter turn takes (s): an assumption (no published duration was found;
#: the whole sit-to-lie takes 2.5–4 s); a half turn (supine ↔ prone, side to side) takes twice as long
ROLL_QUARTER_S = (1.2, 2.0)
#: the pause (s) before a roll after lying down, and after one before sitting up (an assumption): it also
#: keeps the roll out of a schedule's cross-fade of the neighbouring tracks (0.8 s), which would hasten it
ROLL_PAUSE_S = (0.8, 1.5)
#: each lying variant's turn about the body's long axis from supine (deg): the side named lies on the bed (the
#: left side down at +90); prone is ±180, the side rolled over
_ROLL_DEG = {"supine": 0.0, "left": 90.0, "right": -90.0}


def _lying_thickness(variant: str, person: Person) -> float:
    """Height (m) of the root above the surface lying so: the body's depth on its back or front, more on a
    side."""
    return 0.055 * person.height_m if variant in ("supine", "prone") else 0.1 * person.height_m


def lying(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
          variant: str | None = None, surface_m: float = 0.5, intensity: float = 1.0,
          roll_from: str | None = None, roll_to: str | None = None) -> Track:
    """Lying still (breathing, occasional small limb movements) on a surface ``surface_m`` high.

    ``roll_from`` / ``roll_to``: the lying variant it starts in and rolls over from (a schedule's lying after
    sit_to_lie, which ends supine) / rolls over into at its end (before lie_to_sit), about the body's long
    axis (:func:`_rolled`); without them, or equal to ``variant``, it holds its variant throughout. A
    schedule's cross-fade had turned a supine body prone in its 0.8 s (4 rad/s)."""
    n = _n(duration_s, fps)
    variant = variant or ("supine" if rng.random() < 0.5 else str(rng.choice(LYING_VARIANTS)))
    pose = lying_pose(person, rng, variant)
    pose = _with_noise(pose, rng, n, fps, {"neck_rot": 5.0, "elbow_flex_L": 3.0, "elbow_flex_R": 3.0,
                                           "knee_flex_L": 2.0, "knee_flex_R": 2.0}, cutoff=0.05)
    t = np.arange(n) / fps
    br = np.sin(2 * np.pi * rng.uniform(0.2, 0.3) * t)
    pose["spine_flex"] = pose.get("spine_flex", 0.0) - 1.0 * br
    height = np.full(n, _lying_thickness(variant, person))
    meta = {"variant": variant, "surface_m": surface_m}
    rolls = {k: v for k, v in (("from", roll_from), ("to", roll_to)) if v is not None and v != variant}
    if rolls:
        pose, height = _rolled(pose, height, person, rng, variant, rolls, t)
        meta.update({f"roll_{k}": v for k, v in rolls.items()})
    else:
        pose["root_q"] = np.broadcast_to(lying_root_q(variant), (n, 4))
    local = pose_to_local(pose, n)
    root = np.zeros((n, 3))
    root[:, 1] = surface_m + height + 0.002 * br
    return Track(local, root, np.zeros((n, 2)), "lying", meta)


def _rolled(pose: dict, height: np.ndarray, person: Person, rng: np.random.Generator, variant: str,
            rolls: dict[str, str], t: np.ndarray) -> tuple[dict, np.ndarray]:
    """A lying ``pose`` (and root ``height``) that rolls over at its start from ``rolls["from"]`` and/or at
    its end into ``rolls["to"]``: the body turns about its long axis (supine → side: a quarter turn; supine
    → prone through a side), min-jerk over :data:`ROLL_QUARTER_S` per quarter after (before) a pause of
    :data:`ROLL_PAUSE_S`, together at most 0.4 of the stretch each, its joints blended to the other variant's
    pose as it turns."""
    def deg(v: str, near: float) -> float:  # prone: the ±180 on the side of ``near``
        return _ROLL_DEG[v] if v != "prone" else (180.0 if near > 0 or (near == 0 and rng.random() < 0.5)
                                                   else -180.0)

    ends = {k: _ROLL_DEG.get(v, 0.0) for k, v in rolls.items()}
    held = deg(variant, next(iter(ends.values())))
    angle = np.full(len(t), held)
    span = t[-1] if len(t) > 1 else 0.0
    for end, other in rolls.items():
        a = deg(other, held)
        pause = float(rng.uniform(*ROLL_PAUSE_S))
        d = float(rng.uniform(*ROLL_QUARTER_S)) * abs(a - held) / 90.0
        pause, d = (x * min(1.0, 0.4 * span / (pause + d)) for x in (pause, d))  # a short stretch: shorter
        u = ((t - pause) if end == "from" else (span - pause - t)) / d  # ≤ 0 on the pause, ≥ 1 past the roll
        w = 1.0 - minjerk(np.clip(u, 0.0, 1.0)) if d > 0 else np.zeros(len(t))  # the other variant's weight
        angle = angle + (a - held) * w
        pose = blend_pose(pose, lying_pose(person, rng, other), w)
        height = height + (_lying_thickness(other, person) - height) * w
    pose["root_q"] = Q.qmul(lying_root_q("supine"), Q.ry(np.deg2rad(angle)))
    return pose, height


# --------------------------------------------------------------------------- transitions
def _sts_phases(rng: np.random.Generator, vigor: float = 1.0) -> dict[str, float]:
    """Durations (s) of the sit-to-stand phases (see the module docstring for the sources); less
    vigorous people rise more slowly (× vigor^-0.5)."""
    k = float(np.clip(vigor, 0.3, 3.0)) ** -0.5
    return {"prep": k * float(rng.uniform(0.2, 0.7)), "flexion": k * float(rng.uniform(0.5, 0.9)),
            "extension": k * float(rng.uniform(0.6, 0.9)), "stabilise": k * float(rng.uniform(0.5, 1.1))}


def _rise(x):
    """Extension profile: min-jerk in x^0.7 — C² at both ends, fast onset after seat-off, long deceleration."""
    return minjerk(np.clip(x, 0.0, 1.0) ** 0.7)


def _sts_pose(person: Person, rng: np.random.Generator, u: np.ndarray, phases: dict[str, float]) -> dict:
    """Sit-to-stand pose at normalised time u ∈ [0, 1] (Schenkman phases; ``phases`` in s)."""
    sit = sitting_pose(person, rng)
    stand = standing_pose(person, rng)
    total = sum(phases.values())
    t_prep = phases["prep"] / total
    seat_off = (phases["prep"] + phases["flexion"]) / total
    t_ext = seat_off + phases["extension"] / total
    tilt_peak = float(rng.uniform(28, 42))
    spine_peak = float(rng.uniform(8, 16))
    st = stand.get("pelvis_tilt", 0.0)
    # phase I (flexion momentum): the trunk pitches forward with the thighs still on the seat; the
    # peak trunk flexion is reached just after seat-off (momentum transfer), then the trunk extends
    kt_trunk = [0.0, t_prep, seat_off + 0.08 * (t_ext - seat_off), t_ext, 1.0]
    tilt = keyframes(u, kt_trunk, [sit.get("pelvis_tilt", 0.0), sit.get("pelvis_tilt", 0.0) + 3.0, tilt_peak,
                                   st + 3.0, st])
    spine = keyframes(u, kt_trunk, [sit.get("spine_flex", 0.0), sit.get("spine_flex", 0.0) + 3.0, spine_peak,
                                    4.0, stand.get("spine_flex", 0.0)])
    # thigh angle in the world: on the seat until seat-off, then the hips and knees extend (phase III)
    # with a fast onset (the vertical acceleration peak at seat-off) and a slow finish; a small
    # knee over-extension settles during stabilisation (phase IV)
    kt = [0.0, seat_off, t_ext, 1.0]
    thigh_w = keyframes(u, kt, [90.0, 90.0, 3.0, 0.0], shape=_rise)
    knee0 = sit["knee_flex_L"]
    knee = keyframes(u, [0.0, t_prep, seat_off, t_ext, 1.0], [knee0, knee0 + 3.0, knee0 + 6.0, 5.0,
                                                               stand["knee_flex_L"]], shape=_rise)
    shank_w = thigh_w - knee
    pose = blend_pose(sit, stand, keyframes(u, [0.0, seat_off, t_ext], [0.0, 0.1, 1.0]))
    pose.update(pelvis_tilt=tilt, spine_flex=spine, neck_flex=-0.5 * (tilt - tilt[0]))
    arm_fwd = float(rng.uniform(20, 45))  # arms swing forward with the trunk (momentum), then hang
    for s in ("L", "R"):
        pose[f"hip_flex_{s}"] = thigh_w + tilt
        pose[f"knee_flex_{s}"] = knee
        pose[f"ankle_dorsi_{s}"] = -shank_w  # feet stay flat on the floor
        pose[f"sh_flex_{s}"] = keyframes(u, kt_trunk, [sit["sh_flex_L"], sit["sh_flex_L"], arm_fwd, 8.0,
                                                       stand["sh_flex_L"]])
    return pose


def sit_to_stand(person: Person, duration_s: float | None, fps: float, rng: np.random.Generator, *,
                 lead_s: float = 0.0, tail_s: float = 0.0, reverse: bool = False) -> Track:
    """Rising from a chair (``reverse=True``: sitting down). Natural duration 1.8–3.6 s (phases in
    :func:`_sts_phases`; sitting down 20 % slower)."""
    phases = _sts_phases(rng, person.vigor)
    d = sum(phases.values()) * (1.2 if reverse else 1.0)
    total = (duration_s if duration_s is not None else d + lead_s + tail_s)
    d = min(d, total)
    n = _n(total, fps)
    t = np.arange(n) / fps
    lead = lead_s if duration_s is None else max((total - d) / 2, 0.0)
    u = np.clip((t - lead) / d, 0, 1)
    if reverse:
        u = 1.0 - u
    pose = _sts_pose(person, rng, u, phases)
    sway = postural_sway(rng, n, fps, 0.5 * person.vigor)
    pose["spine_flex"] = pose["spine_flex"] + sway["breath"]
    label = "stand_to_sit" if reverse else "sit_to_stand"
    return feet_planted_track(pose, person, fps, label, {"transition_s": round(d, 3), "start_s": lead,
                                                         "phases_s": {k: round(v, 3) for k, v in phases.items()}})


def stand_to_sit(person, duration_s, fps, rng, **kw) -> Track:
    return sit_to_stand(person, duration_s, fps, rng, reverse=True, **kw)


def sit_to_lie(person: Person, duration_s: float | None, fps: float, rng: np.random.Generator, *,
               lead_s: float = 0.0, tail_s: float = 0.0, reverse: bool = False) -> Track:
    """Lying down from sitting on a bed edge (``reverse=True``: sitting up). Natural duration 2.5–4 s."""
    d = float(rng.uniform(2.5, 4.0))
    total = duration_s if duration_s is not None else d + lead_s + tail_s
    d = min(d, total)
    n = _n(total, fps)
    t = np.arange(n) / fps
    lead = lead_s if duration_s is None else max((total - d) / 2, 0.0)
    u = np.clip((t - lead) / d, 0, 1)
    if reverse:
        u = 1.0 - u
    sit = sitting_pose(person, rng)
    lie = lying_pose(person, rng, "supine")
    w_trunk = keyframes(u, [0.0, 0.7, 1.0], [0.0, 0.85, 1.0])
    w_legs = keyframes(u, [0.0, 0.3, 1.0], [0.0, 0.0, 1.0])
    pose = blend_pose(sit, lie, w_legs)
    turn = np.sign(rng.uniform(-1, 1)) * float(rng.uniform(70, 100))
    pose["pelvis_yaw"] = turn * keyframes(u, [0.0, 0.2, 0.9], [0.0, 0.0, 1.0])
    tilt = sit["pelvis_tilt"] + (-90.0 - sit["pelvis_tilt"]) * w_trunk
    pose["pelvis_tilt"] = tilt
    # legs: thighs stay horizontal (world) until the trunk leans back, then follow the body
    for s in ("L", "R"):
        thigh = sit[f"hip_flex_{s}"] - sit["pelvis_tilt"]  # the seated thigh angle in the world
        pose[f"hip_flex_{s}"] = (1 - w_legs) * (thigh + tilt) + w_legs * lie[f"hip_flex_{s}"]
    local = pose_to_local(pose, n)
    person_h = person.height_m
    seat_y = planted_root_height(sit, person)
    root = np.zeros((n, 3))
    lie_y = 0.5 + 0.055 * person_h
    root[:, 1] = seat_y + (lie_y - seat_y) * w_trunk
    back = -0.12 * person_h * w_trunk
    yaw = np.deg2rad(pose["pelvis_yaw"])
    root[:, 0] = back * np.sin(yaw)
    root[:, 2] = back * np.cos(yaw)
    contact = np.zeros((n, 2))  # the feet leave the floor; the root is prescribed
    label = "lie_to_sit" if reverse else "sit_to_lie"
    return Track(local, root, contact, label, {"transition_s": round(d, 3), "start_s": lead})


def lie_to_sit(person, duration_s, fps, rng, **kw) -> Track:
    return sit_to_lie(person, duration_s, fps, rng, reverse=True, **kw)
