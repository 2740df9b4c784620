"""Activities the library does not know, described as joint-angle key frames of one repetition.

A physiotherapy exercise, a gesture or a work task that no procedural generator covers can be written
down the way a physiotherapist describes it — "straight arm raised sideways to shoulder height and
lowered, three seconds a repetition" — as a TOML file (docs/MOTION.md, "Key-framed activities";
examples in ``examples/activities/``)::

    label = "shoulder_abduction"
    description = "the straight arm raised sideways to shoulder height and lowered"
    posture = "standing"          # standing | sitting: the body the arm moves on (its sway, its seat)
    hand = "dominant"             # the moving arm: dominant | left | right | both
    interpolation = "min-jerk"    # min-jerk (a stop at every key frame) | spline (smooth through them)
    repetition_s = [2.5, 4.0]     # one repetition's duration, drawn per person (uniform)
    pause_s = [0.2, 1.0]          # rest between repetitions, drawn per repetition (uniform)
    amplitude = [0.85, 1.1]       # each person's share of the key frames' excursion (uniform)

    [[keyframes]]
    at = 0.0                      # fraction of the repetition, 0 … 1
    sh_abd = 8
    [[keyframes]]
    at = 0.5
    sh_abd = 90

Angles are anatomical joint angles in degrees (:data:`ARM_ANGLES` of the moving arm, :data:`BODY_ANGLES`
of the trunk and head; ``trunk_bend`` hinges the trunk forward at the hips with the legs upright), the
library's: ``sh_flex`` + forward, ``sh_abd`` + away from the body, ``sh_rot`` + external (− internal),
``elbow_flex`` + bent, ``elbow_sup`` + supination, ``spine_flex`` / ``neck_flex`` + forward. Each
angle runs through the key frames that name it by minimum-jerk segments (zero velocity and acceleration
at every key frame, as point-to-point reaching movements do: Flash & Hogan 1985, *J Neurosci* 5:1688),
or with ``interpolation = "spline"`` by a periodic cubic spline (no stop: circles, swings); at ``at = 0`` an
angle not named takes the posture's own value, and a repetition ends where it began (the cycle closes; a
key frame at ``at = 1`` must repeat the one at 0, and a spline has no pause).
The moving arm's angles replace the posture's; the trunk's and head's are added to the posture's (which
sways and breathes), so ``spine_flex = 20`` bends 20° further than the person stands. Angles no key frame
names keep the posture's.

**People.** Every virtual person gets their own body (:class:`~imuforge.motion.body.Person`), posture,
postural sway and the draws above; each repetition then varies its duration by ``tempo_sd`` (SD, a
fraction) and its excursion by ``excursion_sd`` (excursions scale about the first key frame — the rest
position — or, for a spline, about the cycle's mean), and the moving arm wanders by ``wander_deg`` (SD of a
0.5 Hz smooth noise on each of its angles). Each person also does the exercise their own way: every angle
the key frames name is offset by a constant of SD ``style_deg`` (a person's habit — the plane they raise the
arm in, how far the elbow stays bent —, of the size of the between-person offsets of gait angles, 3–5°,
Kadaba et al. 1989, which the library's gaits use). The spreads are the file's, so a user sets how much
people differ; the defaults (:data:`DEFAULTS`) are assumptions of the size of repetition-to-repetition and
person-to-person variability in self-paced exercise, not measured figures.

What it is not: the key frames drive joint angles only — no forces, no held load, no contact with a
table or a resistance band; the legs hold the posture (the feet stay planted, :func:`feet_planted_track`).
"""

from __future__ import annotations

import math
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imuforge.errors import ValidationError
from imuforge.labels import check_label
from imuforge.motion.body import Person
from imuforge.motion.library._core import (
    ELBOW_FLEX_MAX_DEG, ELBOW_FLEX_MIN_DEG, Track, apply_standing_sway, feet_planted_track, keyframes,
    postural_sway, smooth_noise,
)
from imuforge.motion.library.static import sitting_pose, standing_pose

#: the moving arm's angles (the library's pose keys, degrees)
ARM_ANGLES = ("collar_elev", "sh_flex", "sh_abd", "sh_rot", "elbow_flex", "elbow_sup", "wrist_flex",
              "wrist_dev")
#: the trunk's and head's angles; ``trunk_bend`` is split over the hips and the spine (:data:`HINGE`)
BODY_ANGLES = ("trunk_bend", "spine_flex", "spine_lat", "spine_rot", "neck_flex", "neck_rot", "head_flex")
ANGLES = ARM_ANGLES + BODY_ANGLES
#: a forward bend with upright legs: the pelvis tilts (the hips flex by as much, so the thighs stay
#: upright) and the lumbar spine flexes. The lumbar spine gives ≈ 30–40 % of a forward bend at the hips
#: (lumbo-pelvic rhythm, e.g. Esola et al. 1996, *Spine* 21:71): 0.35 here
HINGE = {"pelvis": 0.65, "spine": 0.35}
POSTURES = ("standing", "sitting")
HANDS = ("dominant", "left", "right", "both")
INTERPOLATIONS = ("min-jerk", "spline")
#: the file's optional spreads when it does not set them (assumptions, see the module docstring)
DEFAULTS = {"pause_s": (0.0, 0.5), "amplitude": (0.9, 1.1), "tempo_sd": 0.08, "excursion_sd": 0.05,
            "wander_deg": 2.0, "style_deg": 4.0}
#: what a file may hold at its top level, and the limits of each number
_RANGES = {"repetition_s": (0.3, 120.0), "pause_s": (0.0, 120.0), "amplitude": (0.05, 2.0)}
_SPREADS = {"tempo_sd": (0.0, 0.3), "excursion_sd": (0.0, 0.3), "wander_deg": (0.0, 15.0),
            "style_deg": (0.0, 20.0)}
_KEYS = ("label", "description", "posture", "hand", "interpolation", "keyframes", *_RANGES, *_SPREADS)
#: the largest magnitude a key-framed angle may take (deg): beyond any joint's range
MAX_ANGLE = 180.0


@dataclass(frozen=True)
class KeyframedActivity:
    """One repetition as key frames, and how people vary it (see the module docstring)."""

    label: str
    keyframes: tuple[tuple[float, dict[str, float]], ...]
    repetition_s: tuple[float, float]
    description: str = ""
    posture: str = "standing"
    hand: str = "dominant"
    interpolation: str = "min-jerk"
    pause_s: tuple[float, float] = DEFAULTS["pause_s"]
    amplitude: tuple[float, float] = DEFAULTS["amplitude"]
    tempo_sd: float = DEFAULTS["tempo_sd"]
    excursion_sd: float = DEFAULTS["excursion_sd"]
    wander_deg: float = DEFAULTS["wander_deg"]
    style_deg: float = DEFAULTS["style_deg"]
    source: str = field(default="", compare=False)

    def __post_init__(self):
        _check(self)

    @property
    def angles(self) -> tuple[str, ...]:
        """The angles some key frame names, in :data:`ANGLES` order."""
        named = {k for _, kf in self.keyframes for k in kf}
        return tuple(a for a in ANGLES if a in named)

    def activity(self):
        """This description as a library :class:`~imuforge.motion.library.Activity` (for ``schedule``)."""
        from imuforge.motion.library import Activity

        return Activity(self.label, self.track, "periodic", self.description or f"{self.label} (key frames)",
                        {"hand": ("left", "right", "both"), "intensity": (0.3, 2.0)})

    def track(self, person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
              hand: str | None = None, intensity: float = 1.0, **_) -> Track:
        """``duration_s`` of repetitions by ``person`` (the library's Track, feet planted)."""
        n = int(round(duration_s * fps)) + 1
        t = np.arange(n) / fps
        sides = _sides(hand or self.hand, person)
        pose = _posture(self.posture, person, rng, n, fps)
        period = float(rng.uniform(*self.repetition_s))
        share = float(rng.uniform(*self.amplitude)) * intensity
        phase, excursion, starts = self._repetitions(rng, t, period)
        style = self._style(person)
        for key in self.angles:
            targets = [(key, s) for s in sides] if key in ARM_ANGLES else [(key, None)]
            for k, s in targets:
                base = 0.0 if s is None else _file_sign(k, s) * pose.get(f"{k}_{s}", 0.0)  # body: added
                times, values = self._curve(key, base)
                centre = values[0] if self.interpolation == "min-jerk" else values[:-1].mean()
                value = centre + share * excursion * (self._eval(phase, times, values) - centre) + style[key]
                if s is not None and self.wander_deg > 0:
                    value = value + self.wander_deg * smooth_noise(rng, n, fps, 0.5)[:, 0]
                _put(pose, k, s, value)
        meta = {"keyframes": self.source or self.label, "hand": "+".join(sides),
                "repetition_s": round(period, 3),
                "amplitude": round(share, 3), "repetitions": int(np.sum((starts >= 0) & (starts < t[-1])))}
        return feet_planted_track(pose, person, fps, self.label, meta)

    def _style(self, person: Person) -> dict[str, float]:
        """This person's own way of doing the exercise: an offset (deg) of each angle the key frames name, the
        same through every repetition, SD ``style_deg`` — drawn from the person's style seed (the draws of
        their gait style), so a person keeps it in every recording and the other draws are not moved. Zero
        without a style seed (the mean person) or with ``style_deg`` 0."""
        seed = getattr(person, "gait_style_seed", None)
        if seed is None or self.style_deg <= 0:
            return dict.fromkeys(self.angles, 0.0)
        g = np.random.default_rng([int(seed), zlib.crc32(self.label.encode()), 11])
        return {key: float(self.style_deg * g.standard_normal()) for key in self.angles}

    def _repetitions(self, rng, t: np.ndarray, period: float):
        """Per sample: the phase within its repetition (0 … 1, 1 through the pause after it) and that
        repetition's excursion factor; and the repetitions' start times (the first before 0: the recording
        opens mid-exercise)."""
        cycle = period + float(np.mean(self.pause_s))
        count = int(math.ceil((t[-1] + 2 * cycle) / (period * 0.5))) + 2
        tempo = period * np.clip(1 + self.tempo_sd * rng.standard_normal(count), 0.5, 1.5)
        pauses = rng.uniform(*self.pause_s, size=count)
        excursion = np.clip(1 + self.excursion_sd * rng.standard_normal(count), 0.5, 1.5)
        starts = np.concatenate([[0.0], np.cumsum(tempo + pauses)[:-1]]) - float(rng.uniform(0, cycle))
        k = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, count - 1)
        phase = np.clip((t - starts[k]) / tempo[k], 0.0, 1.0)
        return phase, excursion[k], starts

    def _eval(self, phase: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
        if self.interpolation == "min-jerk":
            return keyframes(phase, times, values)
        from scipy.interpolate import CubicSpline

        return CubicSpline(times, values, bc_type="periodic")(phase)

    def _curve(self, key: str, base: float) -> tuple[np.ndarray, np.ndarray]:
        """The key frames of one angle over a repetition: (phases, values) from 0 to 1, closed."""
        pts = [(at, kf[key]) for at, kf in self.keyframes if key in kf]
        if pts[0][0] > 0:
            pts.insert(0, (0.0, base))
        if pts[-1][0] < 1:
            pts.append((1.0, pts[0][1]))
        at, v = zip(*pts)
        return np.asarray(at, float), np.asarray(v, float)


def _sides(hand: str, person: Person) -> tuple[str, ...]:
    if hand not in HANDS:
        raise ValidationError(f"hand {hand!r} is not known", allowed=", ".join(HANDS))
    if hand == "both":
        return ("L", "R")
    side = person.handedness if hand == "dominant" else hand
    return ("L",) if side == "left" else ("R",)


def _posture(posture: str, person: Person, rng: np.random.Generator, n: int, fps: float) -> dict:
    """The body the arm moves on: the library's standing (with its postural sway) or chair sitting
    (breathing)."""
    seated = posture == "sitting"
    pose = sitting_pose(person, rng) if seated else standing_pose(person, rng)
    sway = postural_sway(rng, n, fps, (0.5 if seated else 1.0) * person.vigor)
    if seated:
        return dict(pose, spine_flex=pose.get("spine_flex", 0.0) + sway["breath"])
    return apply_standing_sway(pose, sway)


def _file_sign(key: str, side: str) -> float:
    """The sign between a file's arm angle and the library's pose key: the library's raw ``sh_rot`` turns the
    upper arm inward on the left and outward on the right (``pose_to_local`` applies ``rx(side · sh_rot)``);
    a file's is + external on both."""
    return -1.0 if (key == "sh_rot" and side == "L") else 1.0


def _put(pose: dict, key: str, side: str | None, value: np.ndarray) -> None:
    """Write an angle into the pose: the moving arm's replaces the posture's (``sh_rot`` + external on
    either side, as the file says, whatever the library's raw sign; ``elbow_sup`` + supination on either
    side, the library's own); the body's adds to the
    posture's (which sways and breathes), ``trunk_bend`` split by :data:`HINGE` over the pelvis, the hips
    and the spine."""
    if side is not None:
        pose[f"{key}_{side}"] = _file_sign(key, side) * value
    elif key == "trunk_bend":
        tilt = HINGE["pelvis"] * value
        pose["pelvis_tilt"] = pose.get("pelvis_tilt", 0.0) + tilt
        for s in ("L", "R"):  # the thighs stay where they were in the world (thigh = hip_flex − tilt)
            pose[f"hip_flex_{s}"] = pose.get(f"hip_flex_{s}", pose.get("hip_flex", 0.0)) + tilt
        pose["spine_flex"] = pose.get("spine_flex", 0.0) + HINGE["spine"] * value
    else:
        pose[key] = pose.get(key, 0.0) + value


# ----------------------------------------------------------------------------- reading and checks
def read_keyframed(path: str | Path) -> KeyframedActivity:
    """A key-framed activity from its TOML file (see the module docstring); a bad file is refused with
    one :class:`ValidationError` naming the field and what is allowed."""
    path = Path(path)
    src = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        from imuforge._shipped import shipped

        examples = shipped("examples", "activities")
        raise ValidationError("no such file", source=src,
                              allowed=f"a key-framed activity's .toml file ({examples})") from None
    except OSError as exc:  # a folder, no permission …
        raise ValidationError(f"not a readable file ({exc.strerror or exc})", source=src,
                              allowed="a key-framed activity's .toml file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"not a TOML file ({exc})", source=src) from None
    unknown = sorted(set(doc) - set(_KEYS))
    if unknown:
        raise ValidationError(f"unknown field(s) {unknown}", source=src, allowed=", ".join(_KEYS))
    for need in ("label", "repetition_s", "keyframes"):
        if need not in doc:
            raise ValidationError(f"missing field {need!r}", source=src,
                                  allowed="label, repetition_s and [[keyframes]] are required; see docs/MOTION.md")
    kw = {k: _pair(doc[k], k, src) for k in _RANGES if k in doc}
    kw |= {k: _number(doc[k], k, src) for k in _SPREADS if k in doc}
    kw |= {k: _text(doc[k], k, src) for k in ("description", "posture", "hand", "interpolation") if k in doc}
    if kw.get("interpolation") == "spline":  # a spline repeats without a stop: no pause unless asked for
        kw.setdefault("pause_s", (0.0, 0.0))
    frames = _frames(doc["keyframes"], src)
    try:
        return KeyframedActivity(label=doc["label"], keyframes=frames, source=path.name, **kw)
    except ValidationError as exc:
        raise ValidationError(exc.what, source=src, allowed=exc.allowed) from None


def _frames(raw, src: str) -> tuple[tuple[float, dict[str, float]], ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(f, dict) for f in raw):
        raise ValidationError("keyframes must be a list of tables ([[keyframes]] … at = 0.5 …)", source=src)
    out = []
    for i, f in enumerate(raw):
        where = f"keyframes[{i}]"
        if "at" not in f:
            raise ValidationError(f"{where} has no 'at' (its place in the repetition, 0 … 1)", source=src)
        bad = sorted(set(f) - {"at", *ANGLES})
        if bad:
            import difflib

            close = [c for b in bad for c in difflib.get_close_matches(b, ANGLES, n=1, cutoff=0.6)]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValidationError(f"{where}: unknown angle(s) {bad}{hint}", source=src,
                                  allowed=", ".join(ANGLES))
        out.append((_number(f["at"], f"{where}.at", src),
                    {k: _number(v, f"{where}.{k}", src) for k, v in f.items() if k != "at"}))
    return tuple(out)


def _number(v, name: str, src: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValidationError(f"{name} must be a finite number, got {v!r}", source=src)
    return float(v)


def _pair(v, name: str, src: str) -> tuple[float, float]:
    """A [low, high] range (a single number is that value for everyone)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = [v, v]
    if not (isinstance(v, list) and len(v) == 2):
        raise ValidationError(f"{name} must be [low, high] or one number, got {v!r}", source=src)
    return (_number(v[0], name, src), _number(v[1], name, src))


def _text(v, name: str, src: str) -> str:
    if not isinstance(v, str):
        raise ValidationError(f"{name} must be a string, got {v!r}", source=src)
    return v


def _check(a: KeyframedActivity) -> None:
    check_label(a.label)
    if a.posture not in POSTURES:
        raise ValidationError(f"posture {a.posture!r} is not known", allowed=", ".join(POSTURES))
    if a.hand not in HANDS:
        raise ValidationError(f"hand {a.hand!r} is not known", allowed=", ".join(HANDS))
    if a.interpolation not in INTERPOLATIONS:
        raise ValidationError(f"interpolation {a.interpolation!r} is not known",
                              allowed=", ".join(INTERPOLATIONS))
    for name, (lo, hi) in _RANGES.items():
        v0, v1 = getattr(a, name)
        if not (lo <= v0 <= v1 <= hi):
            raise ValidationError(f"{name} = [{v0:g}, {v1:g}] is not a range within {lo:g} … {hi:g}",
                                  allowed=f"[low, high] with {lo:g} ≤ low ≤ high ≤ {hi:g}")
    for name, (lo, hi) in _SPREADS.items():
        if not lo <= getattr(a, name) <= hi:
            raise ValidationError(f"{name} = {getattr(a, name):g} is out of range",
                                  allowed=f"{lo:g} … {hi:g}")
    ats = [at for at, _ in a.keyframes]
    if not ats or not all(0.0 <= x <= 1.0 for x in ats) or any(y <= x for x, y in zip(ats, ats[1:])):
        raise ValidationError(f"key frames at {ats}: each 'at' must lie in 0 … 1, strictly increasing",
                              allowed="e.g. at = 0.0, 0.4, 0.6")
    for at, kf in a.keyframes:
        for k, v in kf.items():
            if k not in ANGLES:
                raise ValidationError(f"unknown angle {k!r}", allowed=", ".join(ANGLES))
            if abs(v) > MAX_ANGLE:
                raise ValidationError(f"{k} = {v:g}° at {at:g} is beyond any joint's range",
                                      allowed=f"-{MAX_ANGLE:g} … {MAX_ANGLE:g}°")
            if k == "elbow_flex" and v > ELBOW_FLEX_MAX_DEG:  # made as 150° without a word before
                raise ValidationError(f"elbow_flex = {v:g}° at {at:g} is past the elbow's range (the library "
                                      f"bends it no further than {ELBOW_FLEX_MAX_DEG:g}°)",
                                      allowed=f"elbow_flex {ELBOW_FLEX_MIN_DEG:g} … "
                                              f"{ELBOW_FLEX_MAX_DEG:g}°")
            if k == "elbow_flex" and v < ELBOW_FLEX_MIN_DEG:  # bent backwards: made as asked before
                raise ValidationError(f"elbow_flex = {v:g}° at {at:g} bends the elbow backwards past what "
                                      f"one can ({-ELBOW_FLEX_MIN_DEG:g}° of hyperextension; 0 is straight)",
                                      allowed=f"elbow_flex {ELBOW_FLEX_MIN_DEG:g} … "
                                              f"{ELBOW_FLEX_MAX_DEG:g}°")
    if not a.angles:
        raise ValidationError("no key frame names an angle: nothing moves", allowed=", ".join(ANGLES))
    def still(key: str) -> bool:  # one value at every key frame naming it, from 0 (else from the posture's)
        named = [(at, kf[key]) for at, kf in a.keyframes if key in kf]
        return named[0][0] == 0.0 and len({v for _, v in named}) == 1

    if all(still(k) for k in a.angles):  # one key frame at 0, or all alike
        ats = [at for at, _ in a.keyframes]
        raise ValidationError(f"no angle changes between the key frames (at {ats}): nothing moves but the "
                              "body's sway (a one-key-frame file was made as a held arm)",
                              allowed="an angle at two key frames or more with other values, e.g. sh_abd "
                                      "= 10 at 0 and 80 at 0.5")
    for key in a.angles:  # a repetition ends where it began: a key at 1 repeats the one at 0
        ends = {at: kf[key] for at, kf in a.keyframes if key in kf and at in (0.0, 1.0)}
        if 1.0 in ends and ends.get(0.0) != ends[1.0]:
            start = "not named" if 0.0 not in ends else f"{ends[0.0]:g}°"
            raise ValidationError(f"{key} is {ends[1.0]:g}° at 1 and {start} at 0: a repetition must end "
                                  "where it began",
                                  allowed=f"{key} at 1 equal to {key} at 0, or no key frame at 1")
    if a.interpolation == "spline" and a.pause_s[1] > 0:
        raise ValidationError(f"pause_s = [{a.pause_s[0]:g}, {a.pause_s[1]:g}] with a spline: it would stop "
                              "the motion dead at the end of every repetition",
                              allowed="pause_s = 0 with interpolation = \"spline\" (min-jerk for pauses)")
