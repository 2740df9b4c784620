"""Procedural activity library: physically plausible, varied human motion from published biomechanics.

``ACTIVITIES`` maps each activity name (a canonical label) to an :class:`Activity`; use
:func:`generate` for one activity and :func:`schedule` for a continuous labelled sequence::

    from imuforge.motion.library import generate, schedule
    m = generate("walking", 60, fps=100, rng=1, speed=1.6)
    day = schedule([("standing", 30), ("walking", 120), ("stand_to_sit", None), ("sitting", 60)], rng=2)

Guarantees (tested in tests/motion): motion is continuous across gait cycles and across activity
boundaries (activities are cross-faded over ``blend_s``; transitions such as ``stand_to_sit``
start and end in the static postures they connect). Gaits are the forward kinematics of closed
normative joint curves (no leg re-solve), so a planted foot may slide a little; the tests require on one
seed per activity less than :data:`SLIDE_BOUND_SINGLE_M` per single-support stance and less than
:data:`SLIDE_BOUND_STANCE_M` over the whole stance including weight transfer (contact weight ≥ 0.3) —
walking on a straight line; through its turns :data:`SLIDE_BOUND_TURN_M` —
and ``motion_foot_sliding`` reports it for any motion (measured figures in docs/MOTION.md).
Sources of curves and ranges are cited in each module (gait, static, exercise, arms, body).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from imuforge.errors import ValidationError, check_seed
from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.kinematics import forward_kinematics
from imuforge.motion.motion import MAX_FRAMES
from imuforge.motion.library import arms, elevator, exercise, household, static
from imuforge.motion.library._core import Track, foot_contact_points, foot_sliding, smoothstep
from imuforge.motion.library.gait import CARRYING, HANDS, SPEED_RANGE, gait_track, held_in, nordic_walking
from imuforge.motion.motion import Motion
from imuforge.motion.plausibility import check_plausibility

SLIDE_BOUND_SINGLE_M = 0.010
SLIDE_BOUND_STANCE_M = 0.03
#: the whole-stance bound through a walking turn (``turns``): the legs are placed after the turn and the
#: stance hip takes it (:mod:`.turns`), so the planted foot drifts more than on a straight line (measured:
#: docs/MOTION.md, "Foot sliding, reported")
SLIDE_BOUND_TURN_M = 0.055


#: the parameters whose value is a set of their choices (a list; one choice alone is taken as a list of one)
SET_PARAMS = frozenset({"avoid_carrying"})


@dataclass(frozen=True)
class Activity:
    """One generator of the library."""

    name: str
    func: Callable[..., Track]
    kind: str  # "periodic", "static" or "transition"
    description: str
    params: dict = field(default_factory=dict)  # parameter → (low, high) or tuple of choices
    prompts: tuple[str, ...] = ()

    def track(self, person: Person, duration_s: float | None, fps: float, rng: np.random.Generator,
              **params) -> Track:
        for k, v in params.items():
            if k not in self.params:
                raise ValidationError(f"activity {self.name!r} has no parameter {k!r}",
                                      allowed=", ".join(self.params) or "none")
            allowed = self.params[k]
            if v is None:
                continue
            if isinstance(allowed, tuple) and len(allowed) == 2 and all(isinstance(a, (int, float)) for a in allowed):
                if not (allowed[0] <= float(v) <= allowed[1]):
                    raise ValidationError(f"{self.name} parameter {k}={v!r} out of range",
                                          allowed=f"{allowed[0]} … {allowed[1]}")
            elif k in SET_PARAMS:  # a set of choices: a list, or one of them
                if isinstance(v, str):
                    v = (v,)
                bad = [x for x in v if x not in allowed] if isinstance(v, (tuple, list)) else [v]
                if bad:
                    raise ValidationError(f"{self.name} parameter {k}={bad[0]!r} not allowed",
                                          allowed=f"a list of {', '.join(map(str, allowed))}")
                params[k] = tuple(v)
            elif isinstance(allowed, tuple) and v not in allowed:
                raise ValidationError(f"{self.name} parameter {k}={v!r} not allowed", allowed=", ".join(map(str, allowed)))
        params = {k: v for k, v in params.items() if v is not None}
        if (hand := params.pop("carry_hand", None)) is not None:  # "a bag in her left hand": this person's
            params["carrying"] = held_in(params.get("carrying"), hand, person)  # dominant hand, or the other
        if self.kind == "transition":
            return self.func(person, duration_s, fps, rng, **params)
        if duration_s is None:
            raise ValidationError(f"activity {self.name!r} needs a duration (only transitions have their own)")
        return self.func(person, duration_s, fps, rng, **params)


def _gait(kind):
    def f(person, duration_s, fps, rng, **kw):
        return gait_track(kind, person, duration_s, fps, rng, **kw)
    f.__name__ = kind
    return f


_GAIT_PARAMS = {"speed": (0.4, 6.5), "intensity": (0.3, 2.0),
                "carrying": CARRYING, "carry_hand": HANDS,
                "posture": ("upright", "hunched", "leaning_back", "looking_down")}
#: ``avoid_carrying``: what the hands are drawn from but these ("walking without a bag": the bags), where the
#: activity draws them (not running: its arms swing free); "none" is always left to draw
_GAIT_AVOID = tuple(c for c in CARRYING if c != "none")
# each gait's own speed range (one range for both had said 0.4 … 6.5 for a walk that 0.4 … 2.2 then refused)
_WALK_PARAMS = {**_GAIT_PARAMS, "speed": SPEED_RANGE["walking"], "avoid_carrying": _GAIT_AVOID,
                "turns": (0.0, 12.0)}
_RUN_PARAMS = {**_GAIT_PARAMS, "speed": SPEED_RANGE["running"]}
_STAIR_PARAMS = {"intensity": (0.3, 2.0), "carrying": _GAIT_PARAMS["carrying"], "carry_hand": HANDS,
                 "avoid_carrying": _GAIT_AVOID,
                 "posture": _GAIT_PARAMS["posture"], "riser_m": (0.10, 0.22), "tread_m": (0.2, 0.4)}
_ARM_PARAMS = {"hand": ("left", "right"), "intensity": (0.3, 2.0)}
_NORDIC_PARAMS = {**{k: _WALK_PARAMS[k] for k in ("intensity", "posture", "turns")},
                  "speed": SPEED_RANGE["walking"]}
_STANDING_AVOID = tuple(c for c in static.STANDING_HANDS if c != "none")
_LIFT_PARAMS = {"intensity": (0.3, 2.0), "fidget": (0.0, 3.0), "carrying": tuple(static.STANDING_HANDS),
                "carry_hand": HANDS,
                "avoid_carrying": _STANDING_AVOID}

ACTIVITIES: dict[str, Activity] = {a.name: a for a in [
    Activity("walking", _gait("walking"), "periodic", "level walking (with turns)", _WALK_PARAMS,
             ("a person walks", "someone walking down the street", "walking at a normal pace", "strolling",
              "a man walks forward")),
    Activity("running", _gait("running"), "periodic", "running / jogging", _RUN_PARAMS,
             ("a person runs", "jogging", "someone is running fast", "sprinting", "a woman jogs in the park")),
    Activity("stairs_up", _gait("stairs_up"), "periodic", "walking up stairs", _STAIR_PARAMS,
             ("a person walks up the stairs", "climbing stairs", "going upstairs", "ascending a staircase")),
    Activity("stairs_down", _gait("stairs_down"), "periodic", "walking down stairs", _STAIR_PARAMS,
             ("a person walks down the stairs", "descending stairs", "going downstairs",
              "coming down a staircase")),
    Activity("nordic_walking", nordic_walking, "periodic", "Nordic walking (walking with poles)",
             _NORDIC_PARAMS,
             ("a person does Nordic walking", "walking with trekking poles", "someone walks with two poles",
              "nordic walking in the park")),
    Activity("standing", static.standing, "static",
             "standing (sway, arm gestures and fidgets; the hands maybe holding a phone or a bag, in "
             "the pockets, folded, clasped in front or behind, or on the hips)",
             {"intensity": (0.3, 2.0), "fidget": (0.0, 3.0), "carrying": tuple(static.STANDING_HANDS),
              "carry_hand": HANDS,
              "avoid_carrying": _STANDING_AVOID},
             ("a person stands still", "standing", "someone is standing and waiting", "standing in line")),
    Activity("sitting", static.sitting, "static",
             "sitting on a chair, sofa or stool (arm gestures and fidgets; the hands in the lap, folded or "
             "on arm rests)",
             {"intensity": (0.3, 2.0), "fidget": (0.0, 3.0), "seat": tuple(static.SEATS),
              "carrying": tuple(static.SEATED_HANDS)},
             ("a person sits on a chair", "sitting", "someone is seated", "sitting at a table")),
    Activity("lying", static.lying, "static", "lying down",
             {"variant": static.LYING_VARIANTS, "surface_m": (0.0, 1.0), "intensity": (0.3, 2.0),
              "roll_from": static.LYING_VARIANTS, "roll_to": static.LYING_VARIANTS},
             ("a person lies down", "lying on a bed", "someone is lying on the floor", "resting on the back",
              "sleeping in bed")),
    Activity("elevator_up", elevator.elevator_up, "static", "standing in a lift (elevator) going up",
             _LIFT_PARAMS, ("a person rides the elevator up", "going up in a lift",
                            "taking the elevator upstairs", "standing in an elevator going up")),
    Activity("elevator_down", elevator.elevator_down, "static", "standing in a lift (elevator) going down",
             _LIFT_PARAMS, ("a person rides the elevator down", "going down in a lift",
                            "taking the elevator downstairs", "standing in an elevator going down")),
    Activity("sit_to_stand", static.sit_to_stand, "transition", "rising from a chair", {},
             ("a person stands up from a chair", "getting up from sitting", "rising from a seat")),
    Activity("stand_to_sit", static.stand_to_sit, "transition", "sitting down on a chair", {},
             ("a person sits down on a chair", "sitting down", "taking a seat")),
    Activity("sit_to_lie", static.sit_to_lie, "transition", "lying down from sitting", {},
             ("a person lies down from sitting", "going from sitting to lying", "lying back on the bed")),
    Activity("lie_to_sit", static.lie_to_sit, "transition", "sitting up from lying", {},
             ("a person sits up from lying", "getting up from the bed to sit", "sitting up in bed")),
    Activity("cycling", exercise.cycling, "periodic", "riding a bicycle",
             {"cadence_rpm": (40, 130), "intensity": (0.3, 2.0)},
             ("a person rides a bicycle", "cycling", "pedaling a bike", "biking")),
    Activity("jumping", exercise.jumping, "periodic", "repeated vertical jumps", {"intensity": (0.3, 2.0)},
             ("a person jumps up and down", "jumping in place", "vertical jumps")),
    Activity("jumping_jacks", exercise.jumping_jacks, "periodic", "jumping jacks", {"intensity": (0.3, 2.0)},
             ("a person does jumping jacks", "star jumps", "jumping jacks exercise")),
    Activity("jumping_rope", exercise.jumping_rope, "periodic", "skipping rope", {"intensity": (0.3, 2.0)},
             ("a person jumps rope", "skipping rope", "rope jumping")),
    Activity("waving", arms.waving, "periodic", "waving a hand", _ARM_PARAMS,
             ("a person waves", "waving hello", "someone waves their hand")),
    Activity("drinking", arms.drinking, "periodic", "drinking from a cup",
             _ARM_PARAMS | {"position": ("seated", "standing")},
             ("a person drinks from a cup", "drinking water", "sipping coffee", "having a drink")),
    Activity("brushing_teeth", arms.brushing_teeth, "periodic", "brushing teeth", _ARM_PARAMS,
             ("a person brushes their teeth", "brushing teeth", "cleaning teeth with a toothbrush")),
    Activity("typing", arms.typing, "periodic", "typing on a keyboard", _ARM_PARAMS,
             ("a person types on a keyboard", "typing on a computer", "working at a laptop")),
    Activity("vacuum_cleaning", household.vacuum_cleaning, "periodic", "vacuuming the floor", _ARM_PARAMS,
             ("a person vacuums the floor", "vacuum cleaning the living room", "hoovering the carpet",
              "someone is vacuuming")),
    Activity("ironing", household.ironing, "periodic", "ironing clothes at an ironing board", _ARM_PARAMS,
             ("a person irons a shirt", "ironing clothes", "someone is ironing at an ironing board")),
]}


def _rng(rng) -> np.random.Generator:
    """``rng`` as a Generator: one, or a seed — an integer or a list of them (None: fresh entropy, not
    reproducible); a seed out of :func:`~imuforge.errors.check_seed`'s range is refused as such (it was
    NumPy's own error)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    return np.random.default_rng([check_seed(x, "rng") for x in rng] if isinstance(rng, (list, tuple))
                                 else check_seed(rng, "rng"))


def _heading(q: np.ndarray) -> float:
    """Facing yaw (rad) of one root orientation; lying bodies use their head→feet axis."""
    up = Q.qrot(q, np.array([0.0, 1.0, 0.0]))
    if abs(up[1]) < 0.7:
        return float(np.arctan2(-up[0], -up[2]))
    f = Q.qrot(q, np.array([0.0, 0.0, 1.0]))
    return float(np.arctan2(f[0], f[2]))


def _items(items, known: dict[str, Activity]) -> list[tuple[str, float | None, dict]]:
    out = []
    for i, it in enumerate(items):
        if isinstance(it, str):
            it = (it, None)
        if not (isinstance(it, Sequence) and 2 <= len(it) <= 3):
            raise ValidationError(f"schedule item {i} must be (activity, seconds[, params]), got {it!r}")
        name, dur = it[0], it[1]
        params = dict(it[2]) if len(it) == 3 else {}
        if name not in known:
            raise ValidationError(f"schedule item {i}: unknown activity {name!r}", allowed=", ".join(known))
        if dur is not None and (isinstance(dur, bool) or not isinstance(dur, numbers.Real)
                                or not (np.isfinite(dur) and dur > 0)):
            raise ValidationError(f"schedule item {i} ({name}): duration must be a number of seconds > 0, "
                                  f"got {dur!r}")
        if dur is None and known[name].kind != "transition":
            raise ValidationError(f"schedule item {i} ({name}): needs a duration in s (only a transition may "
                                  "leave it out: it lasts as long as the movement takes)")
        out.append((name, None if dur is None else float(dur), params))
    return out


#: How :func:`schedule` holds its motions to :func:`imuforge.motion.plausibility.check_plausibility`:
#: ``"redraw"`` draws a rejected motion again (up to :data:`PLAUSIBILITY_DRAWS` draws in all) and keeps the
#: last draw, flagged, when none passes; ``"strict"`` makes that a ValidationError; ``"record"`` checks
#: once and only reports; ``"off"`` skips the check (controlled experiments, timing).
PLAUSIBILITY_MODES = ("redraw", "strict", "record", "off")
#: Draws :func:`schedule` makes for one plausible motion.
PLAUSIBILITY_DRAWS = 4

#: The posture an activity starts and ends in, where it is not upright: a schedule can move from one posture
#: to another only through a transition (:func:`bridge_postures`). ``None``: the posture is the person's draw
#: (drinking seated or standing: in a schedule its neighbours', :data:`SEATED_OR_STANDING`) or its own
#: (cycling, on a bicycle), so nothing is bridged to or from it.
POSTURES: dict[str, tuple[str | None, str | None]] = {
    "sitting": ("seated", "seated"), "typing": ("seated", "seated"), "lying": ("lying", "lying"),
    "stand_to_sit": ("upright", "seated"), "sit_to_stand": ("seated", "upright"),
    "sit_to_lie": ("seated", "lying"), "lie_to_sit": ("lying", "seated"),
    "drinking": (None, None), "cycling": (None, None)}
#: the transitions that take a body from one posture to another, in order
POSTURE_BRIDGES: dict[tuple[str, str], tuple[str, ...]] = {
    ("upright", "seated"): ("stand_to_sit",), ("seated", "upright"): ("sit_to_stand",),
    ("seated", "lying"): ("sit_to_lie",), ("lying", "seated"): ("lie_to_sit",),
    ("upright", "lying"): ("stand_to_sit", "sit_to_lie"),
    ("lying", "upright"): ("lie_to_sit", "sit_to_stand")}


#: the activity that holds each posture (what "sits down for a minute" does after its transition)
POSTURE_ACTIVITY = {"upright": "standing", "seated": "sitting", "lying": "lying"}


def posture(activity: str, *, end: bool = False) -> str | None:
    """The posture ``activity`` starts in (``end``: ends in): ``"upright"``, ``"seated"``, ``"lying"``, or
    None where :data:`POSTURES` leaves it open or the activity is not the library's."""
    if activity not in ACTIVITIES:
        return None
    return POSTURES.get(activity, ("upright", "upright"))[int(end)]


def bridge_postures(items) -> tuple[list, list[str]]:
    """A schedule's items (as :func:`schedule` takes them) with the transitions inserted that its postures
    need — ``walking`` then ``sitting`` becomes walking, ``stand_to_sit``, sitting: a cross-fade would slide
    the body from one posture to the other —, and one line per insertion saying what was added."""
    items = _seated_as_neighbours(list(items))
    out: list = []
    added: list[str] = []
    for item in items:
        name = item if isinstance(item, str) else item[0]
        if out:
            prev = out[-1] if isinstance(out[-1], str) else out[-1][0]
            was, now = _item_posture(out[-1], end=True), _item_posture(item)
            bridge = POSTURE_BRIDGES.get((was, now), ())
            out += [(b, None) for b in bridge]
            if bridge:
                added.append(f"{prev} → {name}: {', '.join(bridge)} added ({was} to {now})")
        out.append(item)
    return out, added


#: activities done seated or standing as the person draws it (their ``position``), unless a schedule's
#: neighbours say which
SEATED_OR_STANDING = ("drinking",)


def _item_posture(item, *, end: bool = False) -> str | None:
    """The posture a schedule item starts (``end``: ends) in: :func:`posture`, or for an activity of
    :data:`SEATED_OR_STANDING` the one its ``position`` parameter gives."""
    name = item if isinstance(item, str) else item[0]
    params = {} if isinstance(item, str) or len(item) < 3 else item[2]
    if name in SEATED_OR_STANDING and params.get("position") is not None:
        return "seated" if params["position"] == "seated" else "upright"
    return posture(name, end=end)


def _seated_as_neighbours(items: list) -> list:
    """``items`` with each activity of :data:`SEATED_OR_STANDING` that does not say how it is done seated or
    standing as the activity before it ends (else the one after it starts; next to lying, seated):
    "sits down, then drinks a coffee" had drunk standing, "drinks a coffee, then walks" seated and walked off
    without getting up."""
    out = list(items)
    for i, item in enumerate(out):
        if isinstance(item, str) or item[0] not in SEATED_OR_STANDING:
            continue
        params = dict(item[2]) if len(item) == 3 else {}
        if params.get("position") is not None:
            continue
        near = [_item_posture(out[i - 1], end=True)] if i else []
        near += [_item_posture(out[i + 1])] if i + 1 < len(out) else []
        side = next((p for p in near if p is not None), None)  # next to lying: seated (then bridged)
        if side is not None:
            out[i] = (item[0], item[1], params | {"position": "standing" if side == "upright" else "seated"})
    return out



def schedule(items, *, fps: float = 100.0, rng=None, person: Person | None = None, blend_s: float = 0.8,
             heading_deg: float | None = None, return_contact: bool = False,
             activities: dict[str, Activity] | None = None, plausibility: str = "redraw"):
    """One continuous labelled Motion from a sequence of ``(activity, seconds or None[, params])``.

    Consecutive activities are cross-faded over ``blend_s`` seconds (joint rotations by nlerp,
    root positions linearly, the next activity turned to the current heading and started where
    the previous one is); transitions (``None`` duration) take their natural duration. Label
    segments change at the middle of each cross-fade. ``rng`` is a seed or a Generator;
    ``person`` defaults to a random person from :meth:`Person.sample`. With ``return_contact``
    returns ``(motion, contact)`` where contact (T, 2) holds the left/right foot contact weights.
    ``activities``: more activities by name (a key-framed description's
    :meth:`~imuforge.motion.library.keyframed.KeyframedActivity.activity`), taken before the library's.

    Every motion is checked as imported and model-made motion is
    (:func:`~imuforge.motion.plausibility.check_plausibility`, on the library's own foot contacts); the
    report goes to ``meta["plausibility"]`` (so to every Recording's ``provenance["motion"]``), with the
    reasons of each draw rejected before it in ``"rejected_draws"``. ``plausibility``: one of
    :data:`PLAUSIBILITY_MODES`. A rejected draw is made again with the same ``person`` (or a new one
    if none is given) and new style draws; one that no draw makes plausible is kept with its reasons
    (``meta["plausibility"]["accepted"]`` False) or, with ``"strict"``, is a ValidationError naming them.
    """
    if not (np.isfinite(fps) and 5 <= fps <= 1000):
        raise ValidationError(f"fps must be within 5 … 1000 Hz, got {fps!r}")
    if not (0 <= blend_s <= 5):
        raise ValidationError(f"blend_s must be within 0 … 5 s, got {blend_s!r}")
    if plausibility not in PLAUSIBILITY_MODES:
        raise ValidationError(f"plausibility={plausibility!r} is not a mode",
                              allowed=", ".join(PLAUSIBILITY_MODES))
    known = {**ACTIVITIES, **(activities or {})}
    plan = _items(items, known)
    if not plan:
        raise ValidationError("a schedule needs at least one activity")
    if sum(d for _, d, _ in plan if d is not None) * fps > MAX_FRAMES:
        raise ValidationError(f"{sum(d for _, d, _ in plan if d is not None):g} s at {fps:g} fps is more "
                              "frames than a motion holds in memory",
                              allowed=f"seconds × fps up to {MAX_FRAMES:,} (e.g. 3600 s at 100 fps)")
    seeds = isinstance(rng, (list, tuple)) and all(isinstance(x, (int, np.integer)) for x in rng)
    seed_info = int(rng) if isinstance(rng, (int, np.integer)) else [int(x) for x in rng] if seeds else None
    g = _rng(rng)
    rejected: list[list[str]] = []
    draws = PLAUSIBILITY_DRAWS if plausibility in ("redraw", "strict") else 1
    for k in range(draws):
        motion, contact = _compose(plan, known, person or Person.sample(g), fps, g, blend_s, heading_deg,
                                   seed_info)
        if plausibility == "off":
            break
        report = check_plausibility(motion, contact=contact)
        motion.meta["plausibility"] = report.to_json() | {"rejected_draws": list(rejected)}
        if report.accepted or k == draws - 1:
            break
        rejected.append(report.reasons)
    if plausibility == "strict" and not report.accepted:
        what = " → ".join(name for name, _, _ in plan)
        raise ValidationError(f"no plausible motion for {what} in {draws} draws "
                              f"({'; '.join(report.reasons)})",
                              allowed="activities and parameters the body can perform, "
                                      "or plausibility='redraw'")
    return (motion, contact) if return_contact else motion


def _compose(plan, known: dict[str, Activity], person: Person, fps: float, g: np.random.Generator,
             blend_s: float, heading_deg: float | None, seed) -> tuple[Motion, np.ndarray]:
    """:func:`schedule`'s motion and foot contacts (T, 2) for one draw of ``person`` and the styles
    (``seed``: the seed the caller gave — an integer, or [seed, person] — for the meta, or None)."""
    m = int(round(blend_s * fps))
    blend = m / fps
    tracks: list[Track] = []
    last = len(plan) - 1
    for k, (name, dur, params) in enumerate(plan):
        act = known[name]
        if name == "lying":
            params = _lying_rolls(plan, k, tracks, params)
        if act.kind == "transition":  # as long as the movement takes: its hold covers the next cross-fade
            extra = blend if k < last else 0.0
            tr = act.track(person, dur, fps, g, **params) if dur is not None else \
                act.func(person, None, fps, g, lead_s=blend / 2, tail_s=blend / 2 + extra / 2, **params)
        else:
            # each cross-fade's label boundary is at its middle: an item overlaps its neighbours by half a blend
            # on either side, so that its label lasts the seconds it was given (the first and the last too)
            extra = 0.0 if not last else blend if 0 < k < last else blend / 2
            tr = act.track(person, dur + extra, fps, g, **params)
        tracks.append(tr)
    yaw0 = np.deg2rad(heading_deg) if heading_deg is not None else g.uniform(-np.pi, np.pi)
    first = tracks[0]
    cur_local = first.local.copy()
    cur_local[:, 0] = Q.qmul(Q.ry(np.array(yaw0)), cur_local[:, 0])
    cur_root = Q.qrot(Q.ry(np.array(yaw0)), first.root - first.root[0] * np.array([1, 0, 1]))
    cur_contact = first.contact.copy()
    floor = float(first.meta.get("floor_end_m", 0.0))
    bounds = [0.0]
    windows: list[tuple[int, int]] = []  # the cross-fades' frames
    for tr in tracks[1:]:
        mm = min(m, tr.n - 1, cur_local.shape[0] - 1)
        start = cur_local.shape[0] - mm
        at = start if mm else start - 1  # no cross-fade (blend_s 0): on from the last frame
        dyaw = _heading(cur_local[at, 0]) - _heading(tr.local[0, 0])
        q = Q.ry(np.array(dyaw))
        loc = tr.local.copy()
        loc[:, 0] = Q.qmul(q, loc[:, 0])
        root = Q.qrot(q, tr.root - tr.root[0] * np.array([1, 0, 1]))
        root += np.array([cur_root[at, 0], floor, cur_root[at, 2]])
        if mm > 0:
            w = smoothstep(np.linspace(0, 1, mm + 2)[1:-1])
            loc[:mm] = Q.nlerp(cur_local[start:], loc[:mm], w[:, None])
            root[:mm] = cur_root[start:] + (root[:mm] - cur_root[start:]) * w[:, None]
            contact = tr.contact.copy()
            contact[:mm] = cur_contact[start:] * (1 - w[:, None]) + contact[:mm] * w[:, None]
        else:
            contact = tr.contact
        bounds.append((start + mm / 2) / fps)
        windows.append((start, start + mm))
        cur_local = np.concatenate([cur_local[:start], loc])
        cur_root = np.concatenate([cur_root[:start], root])
        cur_contact = np.concatenate([cur_contact[:start], contact])
        floor += float(tr.meta.get("floor_end_m", 0.0))
    n = cur_local.shape[0]
    bounds.append((n - 1) / fps)
    labels = [(bounds[i], bounds[i + 1], tr.label) for i, tr in enumerate(tracks)]
    P, G = forward_kinematics(cur_local, cur_root, person.offsets)
    P = _planted_through_blends(P, G, cur_root, cur_contact, person, fps, windows)
    meta = {"generator": "imuforge.motion.library", "seed": seed,
            "person": person.to_dict(), "blend_s": blend,
            "items": [{"activity": nme, "seconds": d, "params": p, "info": _jsonable(tr.meta)}
                      for (nme, d, p), tr in zip(plan, tracks)],
            }
    return Motion(P, Q.continuous(G), fps, labels=labels, meta=meta), cur_contact


#: the lying variant each transition from or into lying holds at its lying end (sit_to_lie lies down supine)
_LYING_END = {"sit_to_lie": "supine", "lie_to_sit": "supine"}


def _lying_rolls(plan, k: int, tracks: list[Track], params: dict) -> dict:
    """The ``params`` of a schedule's lying item ``k`` with the rolls its neighbours need: from the variant
    the track before it ends lying in (:data:`_LYING_END`, or a lying track's own end), into the one the item
    after it starts in — a body turns over in bed, which the cross-fade of the tracks' poses did in 0.8 s.
    The item's own ``roll_from`` / ``roll_to`` are kept."""
    out = dict(params)
    if k > 0 and "roll_from" not in params:
        prev = tracks[k - 1]
        end = (prev.meta.get("roll_to", prev.meta.get("variant")) if prev.label == "lying"
               else _LYING_END.get(prev.label))
        if end is not None:
            out["roll_from"] = end
    if k + 1 < len(plan) and "roll_to" not in params and plan[k + 1][0] in _LYING_END:
        out["roll_to"] = _LYING_END[plan[k + 1][0]]
    return out


#: :func:`_planted_through_blends`: the blended contact weights raised to this power (a planted foot, ≥ 0.999,
#: keeps ≥ 0.99 of its weight, a half-loaded one 0.004), and the low-pass (Hz, zero-phase Gaussian, −3 dB)
#: of the path through the window, near running's vertical pelvis path's (``gait.ROOT_HZ``): at 10 Hz the
#: hand-over from one planted foot to the other put 6–9 g into a walk → run blend's trunk (3–4 g without
#: the anchoring, 2.9–4.5 g at 5 Hz), at 3 Hz the feet slid up to 3.5 cm (10 people per schedule)
BLEND_ANCHOR_POWER = 8
BLEND_PATH_HZ = 5.0


def _planted_through_blends(P: np.ndarray, G: np.ndarray, root: np.ndarray, contact: np.ndarray,
                            person: Person, fps: float, windows: list[tuple[int, int]]) -> np.ndarray:
    """Joints ``P`` with the root's horizontal path through each cross-fade (``windows``: frame ranges)
    taken from the feet the blended contacts load, as each activity's own root is (``anchored_root``): a
    foot planted in both activities stays put while the pose and the root blend (blending the two roots
    linearly skated it up to ≈ 0.4 m). Where no foot is loaded the blended root's own velocity is kept; the
    frames after a window move by where it ends (a horizontal shift: no sensor reads it)."""
    if not windows:
        return P
    from scipy.ndimage import gaussian_filter1d

    _, vel = foot_contact_points(P - root[:, None, :], G, person, fps)  # relative to the root
    w = np.clip(contact, 0.0, 1.0) ** BLEND_ANCHOR_POWER  # the planted foot carries, a half-loaded one little
    loaded = w.sum(axis=1)
    anchored = -(w[:, :, None] * vel).sum(axis=1) / np.where(loaded > 1e-6, loaded, 1.0)[:, None]
    v = np.where((loaded > 1e-6)[:, None], anchored, np.gradient(root, axis=0) * fps)
    # the hand-over from one foot to the other within a window as smooth as a gait's pelvis path
    v = gaussian_filter1d(v, 0.1325 / BLEND_PATH_HZ * fps, axis=0, mode="nearest")
    shift = np.zeros((len(P), 3))
    for start, stop in windows:
        a, b = max(start - 1, 0), min(stop, len(P) - 1)
        for c in (0, 2):  # the trapezoid from the frame before the window, as anchored_root integrates
            path = np.concatenate([[0.0], np.cumsum(0.5 * (v[a + 1:b + 1, c] + v[a:b, c])) / fps])
            moved = root[a, c] + shift[a, c] + path - root[a:b + 1, c]
            shift[a:b + 1, c] = moved
            shift[b + 1:, c] = moved[-1]
    return P + shift[:, None, :]


def _jsonable(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, (np.floating, np.integer)):
            v = v.item()
        out[k] = v
    return out


def generate(activity: str, duration_s: float | None = None, *, fps: float = 100.0, rng=None,
             person: Person | None = None, heading_deg: float | None = None, return_contact: bool = False,
             plausibility: str = "redraw", **params):
    """One activity as a labelled Motion (``duration_s`` None only for transitions; ``plausibility`` as
    :func:`schedule`'s). A refusal names the activity, not a schedule's item 0 (there is no schedule)."""
    try:
        return schedule([(activity, duration_s, params)], fps=fps, rng=rng, person=person, blend_s=0.0,
                        heading_deg=heading_deg, return_contact=return_contact, plausibility=plausibility)
    except ValidationError as exc:
        for said, says in ((f"schedule item 0 ({activity}): ", f"{activity}: "), ("schedule item 0: ", "")):
            if exc.what.startswith(said):
                raise ValidationError(says + exc.what[len(said):], source=exc.source,
                                      allowed=exc.allowed) from None
        raise


def motion_foot_sliding(motion: Motion, contact: np.ndarray, threshold: float = 0.999) -> np.ndarray:
    """Per-stance horizontal drift (m) of planted feet (see ``foot_sliding``); ``contact`` from ``return_contact``."""
    person = Person(**motion.meta["person"])
    return foot_sliding(motion.positions, motion.orientations, contact, person, motion.fps, threshold)


__all__ = ["ACTIVITIES", "Activity", "PLAUSIBILITY_DRAWS", "PLAUSIBILITY_MODES", "POSTURES",
           "POSTURE_ACTIVITY", "POSTURE_BRIDGES", "Person", "SLIDE_BOUND_SINGLE_M", "SLIDE_BOUND_STANCE_M",
           "SLIDE_BOUND_TURN_M", "bridge_postures", "generate", "motion_foot_sliding", "posture", "schedule"]
