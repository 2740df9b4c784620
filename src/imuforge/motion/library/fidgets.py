"""Natural arm and hand activity while standing or sitting: gestures, phone checks, face touches,
posture changes of the arms and continuous low-amplitude restlessness.

People who "stand" or "sit" in free-living recordings are rarely still from the wrist's point of
view: the arms make conversational gestures, reach into pockets, check a phone or a watch, touch
the face, and the hands fidget between those. A wrist-worn sensor sees this; quiet-standing
postural sway alone gives 0.03–0.10× the wrist acceleration / rotation variability of real
smartwatch "standing" data (aeon BasicMotions; benchmarks/results/motion.md).

Model (all amplitudes scale with ``amount`` = fidget × intensity × the person's vigor):

* Events per arm as a renewal process: the dominant arm starts an event after an exponential rest
  of mean 10 s / amount (non-dominant 16 s / amount); 30 % of the gestures are bimanual.
* Event kinds and their kinematics (joint-angle increments on the resting pose, degrees):

  - conversational gesture (60 %): shoulder flexion +6…22°, abduction +0…10°, elbow +15…45°,
    supination −20…60°; stroke/hold lasting 0.8–3 s with beat oscillations at 1.2–2.5 Hz of
    elbow ±1.5…4° and wrist ±2…6° — beat gestures are rhythmic flicks of 1–3 Hz and gesture
    strokes last ≈ 0.3–1 s within 1–3 s gesture units (McNeill 1992, *Hand and Mind*; Kendon 2004,
    *Gesture*);
  - phone / watch check (20 %): elbow to ≈ 90–115° total, shoulder flexion +10…25°, supination
    +20…60°, neck flexion +10…25°, held 2–8 s with small scrolling / adjusting movements 1–2.5 Hz (elbow ±0.3…0.8°, wrist ±0.5…1.5°) (22 %; 37 % seated);
  - face / hair touch or scratch (8 %): shoulder +35…65°, elbow to ≈ 115–135° total, 1.5–3 s,
    scratching 3–5 Hz (elbow ±0.5…2°, wrist ±1…3°) at the face;
  - hand into a pocket / onto the hip (10 %): elbow +15…35°, abduction +5…15°, held 3–12 s.

  Reaches and returns are minimum-jerk movements of 0.6–1.2 s (Flash & Hogan 1985, *J Neurosci*
  5:1688; reach times of 0.5–1 s).
* Restlessness between events, in bouts: band-limited (≈ 0.3–1.5 Hz) random elbow 2.5°,
  forearm rotation 4°, wrist 4°, shoulder 1.5° RMS (× √amount) while a bout lasts — 1–4 s, each arm
  on its own, after still spells of mean :data:`STILL_GAP_S` / amount s (min-jerk ramps of
  :data:`BOUT_RAMP_S`). Between bouts the hand is held still: real wrists at rest are still most of
  the time and move in bursts — per 2.56 s window, the gyroscope's RMS in the CrowdSignals watch's
  standing is below 0.08 rad/s in half the windows and above 1.2 in a tenth (sitting alike), and
  continuous restlessness had put 90 % of the synthetic windows above 0.3 (docs/MOTION.md).
* How much people move varies widely: callers multiply ``amount`` by a per-recording log-normal
  factor (σ = 0.3) — see :func:`person_amount`.

Returned as :class:`ArmFidgets`: joint-angle increments (``sh_flex_L`` …), each (n,), to add to a
static pose, and per arm how far it is into an event (0 at rest, 1 at the event's target), so that an arm
held in a rest position (folded, hands clasped, …) can leave it for the event and return;
``amount = 0`` returns zeros (quiet standing / sitting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imuforge.motion.library._core import minjerk, side_stream, smooth_noise

#: per-side angle channels the generator drives
CHANNELS = ("sh_flex", "sh_abd", "elbow_flex", "elbow_sup", "wrist_flex")

_KINDS = ("gesture", "phone", "face", "pocket")
_KIND_P = np.array([0.60, 0.22, 0.08, 0.10])


@dataclass(frozen=True)
class ArmFidgets:
    """What :func:`arm_fidgets` makes: ``angles`` — joint-angle increments (deg, each (n,)) keyed
    ``{channel}_{side}`` for :data:`CHANNELS` and ``neck_flex``; ``away`` — per side (``"L"``, ``"R"``) the
    weight (n,) of the events' targets against the arm's rest: the envelope of either of that arm's events;
    ``restless`` — per side the envelope (n,) of its bouts of restlessness (0 between them)."""

    angles: dict[str, np.ndarray]
    away: dict[str, np.ndarray]
    restless: dict[str, np.ndarray]


def _band_noise(rng: np.random.Generator, n: int, fps: float, size: int) -> np.ndarray:
    """Unit-variance noise band-limited to ≈ 0.3–1.5 Hz (difference of two Gaussian low-passes)."""
    hi = smooth_noise(rng, n, fps, 1.2, size)
    lo = smooth_noise(rng, n, fps, 0.3, size)
    x = hi - 0.15 * lo  # keep a little slow drift; mostly the 0.3–1.5 Hz band
    return x / np.sqrt(1.0 + 0.15**2)


#: mean still spell (s, at amount 1) between two bouts of restlessness of an arm; with bouts of 1–4 s an
#: arm is restless ≈ 1/3 of the time (an assumption: no count of rest-time hand movements was found; the
#: real wrists' share of still windows is the check, docs/MOTION.md)
STILL_GAP_S = 5.0
#: seconds over which a bout of restlessness starts and ends (minimum-jerk)
BOUT_RAMP_S = 0.4


def _bouts(rng: np.random.Generator, n: int, fps: float, amount: float) -> np.ndarray:
    """Envelope (n,) in 0 … 1 of one arm's bouts of restlessness: 1–4 s each (ramps included), after
    exponential still spells of mean :data:`STILL_GAP_S` / ``amount``. The first spell starts 2 s before
    the recording, so a recording may open inside a bout (about as often as the long-run share of time in
    bouts at amount 1; a fixed offset, not that share at every amount)."""
    t = np.arange(n) / fps
    env = np.zeros(n)
    tt = float(rng.exponential(STILL_GAP_S / amount)) - 2.0  # the recording may start inside a bout
    while tt < t[-1]:
        length = float(rng.uniform(1.0, 4.0))
        hold = max(length - 2 * BOUT_RAMP_S, 0.0)
        i0, i1 = max(int(tt * fps), 0), min(int((tt + length) * fps) + 2, n)
        if i1 > i0:
            _either(env[i0:i1], _envelope(t[i0:i1], tt, BOUT_RAMP_S, hold, BOUT_RAMP_S))
        tt += length + float(rng.exponential(STILL_GAP_S / amount))
    return env


def _either(acc: np.ndarray, env: np.ndarray) -> None:
    """``acc`` (in place) the envelope of either of its events or ``env``'s: 1 − (1 − acc)(1 − env), as smooth
    as its parts. Their maximum had a corner where one event's fall crossed the next one's rise: an arm folded
    at rest and drawn out to both jerked back and out in a frame (≈ 9 g at the wrist, 1 standing person in
    20)."""
    acc += env * (1.0 - acc)


def _envelope(t: np.ndarray, t0: float, rise: float, hold: float, fall: float) -> np.ndarray:
    """0 → 1 (min-jerk over ``rise`` s) → hold ``hold`` s → 0 (min-jerk over ``fall`` s)."""
    up = minjerk((t - t0) / rise)
    down = 1.0 - minjerk((t - (t0 + rise + hold)) / fall)
    return np.minimum(up, down)


def person_amount(rng: np.random.Generator, fidget: float, intensity: float, vigor: float) -> float:
    """Per-recording fidget amount: ``fidget × intensity × vigor`` times a log-normal factor (σ 0.3, median 1)."""
    if fidget <= 0:
        return 0.0
    return float(fidget * intensity * vigor * np.exp(rng.normal(0.0, 0.3)))


def arm_fidgets(rng: np.random.Generator, n: int, fps: float, amount: float, *, dominant: str = "R",
                seated: bool = False, rest_elbow_deg: float = 15.0) -> ArmFidgets:
    """Joint-angle increments (degrees, each (n,)) of natural arm activity and how far each arm is into an
    event (:class:`ArmFidgets`); see the module docstring.

    ``amount`` ≥ 0 scales event rate and amplitude (1 = typical adult standing and chatting or
    waiting; 0 = none). ``dominant`` is ``"L"`` or ``"R"``; ``seated`` shrinks shoulder excursions
    (forearms rest on the thighs / a table) and makes phone checks more common. ``rest_elbow_deg``
    is the resting pose's elbow flexion: phone and face targets are total elbow angles.
    """
    out = {f"{c}_{s}": np.zeros(n) for c in CHANNELS for s in ("L", "R")}
    out["neck_flex"] = np.zeros(n)
    away = {s: np.zeros(n) for s in ("L", "R")}
    if amount <= 0 or n < 2:
        return ArmFidgets(out, away, {s: np.zeros(n) for s in ("L", "R")})
    t = np.arange(n) / fps
    duration = t[-1]
    amp = float(np.clip(amount, 0.0, 3.0)) ** 0.5  # amplitude grows slower than the rate
    # restlessness in bouts (its own stream: the events below are what they were without bouts)
    noise = _band_noise(rng, n, fps, 8)
    bouts_rng = side_stream(rng, "bouts")
    restless = {s: _bouts(bouts_rng, n, fps, amount) for s in ("L", "R")}
    for i, (s) in enumerate(("L", "R")):
        k = amp * (1.0 if s == dominant else 0.8) * restless[s]
        out[f"elbow_flex_{s}"] += 2.5 * k * noise[:, 4 * i]
        out[f"elbow_sup_{s}"] += 4.0 * k * noise[:, 4 * i + 1]
        out[f"wrist_flex_{s}"] += 4.0 * k * noise[:, 4 * i + 2]
        out[f"sh_flex_{s}"] += 1.5 * k * noise[:, 4 * i + 3]
    p = _KIND_P.copy()
    if seated:
        p = np.array([0.50, 0.37, 0.08, 0.05])
    sh_scale = 0.6 if seated else 1.0
    other = "L" if dominant == "R" else "R"
    for side, mean_gap in ((dominant, 10.0), (other, 16.0)):
        tt = float(rng.exponential(mean_gap / amount))
        while tt < duration:
            kind = _KINDS[int(rng.choice(4, p=p))]
            rise, fall = float(rng.uniform(0.6, 1.2)), float(rng.uniform(0.6, 1.2))
            sides = [side]
            if kind == "gesture":
                hold = float(rng.uniform(0.8, 3.0))
                d = {"sh_flex": rng.uniform(6, 22) * sh_scale, "sh_abd": rng.uniform(0, 10) * sh_scale,
                     "elbow_flex": rng.uniform(15, 45), "elbow_sup": rng.uniform(-20, 60), "wrist_flex": rng.uniform(-10, 15)}
                osc = (rng.uniform(1.2, 2.5), {"elbow_flex": rng.uniform(1.5, 4), "wrist_flex": rng.uniform(2, 6)})
                if rng.random() < 0.3:
                    sides = [dominant, other]
            elif kind == "phone":
                hold = float(rng.uniform(2.0, 8.0))
                d = {"sh_flex": rng.uniform(10, 25) * sh_scale, "sh_abd": rng.uniform(0, 8),
                     "elbow_flex": rng.uniform(90, 115), "elbow_sup": rng.uniform(20, 60), "wrist_flex": rng.uniform(-15, 5)}
                osc = (rng.uniform(1.0, 2.5), {"elbow_flex": rng.uniform(0.3, 0.8), "wrist_flex": rng.uniform(0.5, 1.5)})
            elif kind == "face":
                hold = float(rng.uniform(0.5, 2.0))
                d = {"sh_flex": rng.uniform(35, 65) * sh_scale, "sh_abd": rng.uniform(5, 20),
                     "elbow_flex": rng.uniform(115, 135), "elbow_sup": rng.uniform(30, 80), "wrist_flex": rng.uniform(0, 20)}
                osc = (rng.uniform(3.0, 5.0), {"elbow_flex": rng.uniform(0.5, 2), "wrist_flex": rng.uniform(1, 3)})
            else:  # pocket / hand on the hip
                hold = float(rng.uniform(3.0, 12.0))
                d = {"sh_flex": rng.uniform(-8, 5), "sh_abd": rng.uniform(5, 15), "elbow_flex": rng.uniform(15, 35),
                     "elbow_sup": rng.uniform(-10, 20), "wrist_flex": rng.uniform(-10, 10)}
                osc = (1.0, {})
            a = amp if kind != "phone" and kind != "face" else 1.0  # targets of phone / face are postures
            i0 = int(max(tt * fps, 0))
            i1 = min(int((tt + rise + hold + fall) * fps) + 2, n)
            tw = t[i0:i1]
            env = _envelope(tw, tt, rise, hold, fall)
            for s in sides:
                _either(away[s][i0:i1], env)
                for c, v in d.items():
                    if c == "elbow_flex" and kind in ("phone", "face"):
                        v = max(v - rest_elbow_deg, 0.0)  # targets are total elbow angles
                    out[f"{c}_{s}"][i0:i1] += a * float(v) * env
                f_osc, oamp = osc
                ph = rng.uniform(0, 2 * np.pi)
                # oscillations only while the hand is at its target (envelope near 1)
                inner = np.clip((env - 0.6) / 0.4, 0.0, 1.0) ** 2
                for c, v in oamp.items():
                    out[f"{c}_{s}"][i0:i1] += amp * float(v) * inner * np.sin(2 * np.pi * f_osc * (tw - tt) + ph)
            if kind == "phone":
                out["neck_flex"][i0:i1] += float(rng.uniform(10, 25)) * env
            tt += rise + hold + fall + float(rng.exponential(mean_gap / amount))
    return ArmFidgets(out, away, restless)


# ------------------------------------------------------------------------------------ legs and trunk
#: Leg / trunk event kinds while standing and sitting, with their probabilities.
_STAND_KINDS, _STAND_P = ("shift", "shuffle", "turn"), np.array([0.5, 0.3, 0.2])
_SIT_KINDS, _SIT_P = ("reposition", "bounce", "lean", "cross"), np.array([0.3, 0.2, 0.25, 0.25])


#: Seconds over which a foot is unloaded before it moves and loaded again after it stopped.
UNLOAD_S = 0.25


def _unload(load: np.ndarray, side: int, t: np.ndarray, t0: float, t1: float) -> None:
    """Take all load off foot ``side`` from ``t0`` to ``t1`` (s), ramping over :data:`UNLOAD_S` outside
    that span: the weight is on the other foot before this one moves, so the planted foot never slides."""
    fps = 1.0 / (t[1] - t[0])
    i0, i1 = max(int((t0 - UNLOAD_S) * fps), 0), min(int((t1 + UNLOAD_S) * fps) + 2, len(t))
    if i1 > i0:
        load[i0:i1, side] *= 1.0 - _envelope(t[i0:i1], t0 - UNLOAD_S, UNLOAD_S, t1 - t0, UNLOAD_S)


#: Crossing the legs (sitting): how long they stay crossed (s), the crossing thigh's lift over the other
#: (hip flexion, deg) and its adduction across it (deg). Geometry: a thigh of ≈ 0.45 m lies on the other
#: (≈ 0.13–0.18 m thick) with its knee moved medially by about the hip width (≈ 0.15–0.2 m). How long people
#: keep them crossed is an assumption (tens of seconds to minutes).
CROSS_HOLD_S, CROSS_LIFT_DEG, CROSS_ADD_DEG = (10.0, 60.0), (14.0, 24.0), (14.0, 24.0)


def _shuffle(out: dict, load: np.ndarray, rng: np.random.Generator, t: np.ndarray, t0: float, side: int,
             amp: float) -> float:
    """One to three shuffling steps in place from ``t0`` (s), 1.1 s apart, the first by leg ``side``: each
    foot is unloaded, lifted (hip +8…20°, knee +15…35°, × ``amp``) and set down where it was. Returns when
    the last step's slot ends."""
    fps = 1.0 / (t[1] - t[0])
    steps = min(1 + int(rng.poisson(0.7)), 3)
    for k in range(steps):
        up, down = float(rng.uniform(0.25, 0.45)), float(rng.uniform(0.25, 0.45))
        t_k = t0 + k * 1.1
        i0, i1 = int(t_k * fps), min(int((t_k + up + down + 0.2) * fps) + 2, len(t))
        top = float(rng.uniform(0.0, 0.15))
        env = _envelope(t[i0:i1], t_k, up, top, down)
        leg = ("L", "R")[(side + k) % 2]
        out[f"hip_flex_{leg}"][i0:i1] += amp * rng.uniform(8, 20) * env
        out[f"knee_flex_{leg}"][i0:i1] += amp * rng.uniform(15, 35) * env
        _unload(load, (side + k) % 2, t, t_k, t_k + up + top + down)
    return t0 + steps * 1.1


def _cross_legs(out: dict, load: np.ndarray, rng: np.random.Generator, t: np.ndarray, t0: float,
                side: int) -> float:
    """Cross leg ``side`` over the other from ``t0`` (s): it lifts and adducts over the other thigh (its foot
    off the floor, unloaded), stays :data:`CROSS_HOLD_S` and uncrosses. Returns when it ends."""
    fps = 1.0 / (t[1] - t[0])
    s = ("L", "R")[side]
    rise, fall = float(rng.uniform(0.5, 1.0)), float(rng.uniform(0.5, 1.0))  # as a reach (module docstring)
    hold = float(rng.uniform(*CROSS_HOLD_S))
    i0, i1 = max(int(t0 * fps), 0), min(int((t0 + rise + hold + fall) * fps) + 2, len(t))
    env = _envelope(t[i0:i1], t0, rise, hold, fall)
    out[f"hip_flex_{s}"][i0:i1] += rng.uniform(*CROSS_LIFT_DEG) * env
    out[f"hip_abd_{s}"][i0:i1] -= rng.uniform(*CROSS_ADD_DEG) * env
    out[f"hip_rot_{s}"][i0:i1] += rng.uniform(0, 15) * env
    out[f"knee_flex_{s}"][i0:i1] += rng.uniform(-10, 10) * env
    out[f"ankle_dorsi_{s}"][i0:i1] -= rng.uniform(5, 25) * env  # the hanging foot points down
    _unload(load, side, t, t0, t0 + rise + hold + fall)
    return t0 + rise + hold + fall


def leg_fidgets(rng: np.random.Generator, n: int, fps: float, amount: float, *,
                seated: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Leg, pelvis and trunk activity of a person who stands or sits "still" (degrees, each (n,)),
    and the load on each foot (n, 2; left, right; 1 = planted) for :func:`feet_planted_track`.

    Nobody stands or sits motionless for long: standing people shift their weight onto one leg
    every few seconds to tens of seconds (Duarte & Zatsiorsky 1999, *Exp Brain Res* 129:248:
    prolonged standing is quiet stance broken by shifting, fidgeting and drifting of the
    centre of pressure, at ≈ 1 per 10–30 s), re-place a foot with a small shuffling step and turn
    the trunk to look around; sitting people re-position a leg, bounce a heel or a knee (≈ 3–6 Hz)
    and shift their weight or lean on the seat (Vergara & Page 2002, *Appl Ergon* 33:1: a posture
    change on a seat every few minutes to every few tens of seconds, more often with discomfort).
    A thigh- or hip-worn sensor sees these as the rotation bursts that quiet-stance sway lacks.

    Events follow a renewal process (exponential rests of mean 12 s standing / 15 s sitting, divided
    by ``amount``, the same fidget amount as :func:`arm_fidgets`); amplitudes grow with √amount (not a crossed
    leg's: its angles are what the task needs).
    Standing: *shift* (50 %) — pelvis drops 2–5° toward the unloaded leg, whose knee flexes 5–15°,
    for 2–12 s; *shuffle* (30 %) — one to three steps in place, foot lifted
    0.5–0.9 s (hip +8…20°, knee +15…35°); *turn* (20 %) — trunk rotation 10–30° for 1–5 s.
    Sitting: *reposition* (30 %) — one leg turns out or in (hip abduction ±3…10°, rotation ±5…15°)
    and stays 5–30 s; *bounce* (20 %) — heel bouncing at 3–6 Hz (ankle ±2…6°, thigh ±0.5…2°) for
    3–15 s; *lean* (25 %) — pelvis tilt ±3…10° with the trunk following half of it for 5–30 s;
    *cross* (25 %) — one leg crossed over the other for 10–60 s (:func:`_cross_legs`). The shares are
    assumptions. A thigh-worn phone barely moves in these: per 2.56 s window its rate's RMS stays under
    ≈ 0.6 rad/s, where the real CrowdSignals pocket's reaches 2–4.6 (standing) and 1.8–2.9 rad/s (sitting) in
    its moving windows; a whole-body turn on the spot in steps, tried as a standing event, took real walking
    for standing at the lower back (docs/MOTION.md, session 40).
    Reaches and returns are minimum-jerk; a foot that moves carries no load from :data:`UNLOAD_S`
    before it moves until :data:`UNLOAD_S` after it stopped.
    """
    keys = ("hip_flex", "hip_abd", "hip_rot", "knee_flex", "ankle_dorsi")
    out = {f"{k}_{s}": np.zeros(n) for k in keys for s in ("L", "R")}
    for k in ("pelvis_obliq", "pelvis_tilt", "spine_flex", "spine_rot"):
        out[k] = np.zeros(n)
    load = np.ones((n, 2))
    if amount <= 0 or n < 2:
        return out, load
    t = np.arange(n) / fps
    amp = float(np.clip(amount, 0.0, 3.0)) ** 0.5
    kinds, p = (_SIT_KINDS, _SIT_P) if seated else (_STAND_KINDS, _STAND_P)
    mean_gap = (15.0 if seated else 12.0) / amount
    tt = float(rng.exponential(mean_gap))
    while tt < t[-1]:
        kind = kinds[int(rng.choice(len(kinds), p=p))]
        side = int(rng.integers(2))
        s, sign = ("L", "R")[side], (1.0, -1.0)[side]
        rise, fall = float(rng.uniform(0.6, 1.4)), float(rng.uniform(0.6, 1.4))
        hold = float(rng.uniform(*{"shift": (2.0, 12.0), "turn": (1.0, 5.0), "bounce": (3.0, 15.0)}.get(kind, (5.0, 30.0))))
        if kind == "shuffle":
            tt = _shuffle(out, load, rng, t, tt, side, amp) + UNLOAD_S
        elif kind == "cross":
            tt = _cross_legs(out, load, rng, t, tt, side) + UNLOAD_S
        else:
            i0 = int(tt * fps)
            i1 = min(int((tt + rise + hold + fall) * fps) + 2, n)
            env = _envelope(t[i0:i1], tt, rise, hold, fall)
            if kind == "shift":
                drop = sign * amp * rng.uniform(2, 5) * env
                out["pelvis_obliq"][i0:i1] += drop  # the legs stay vertical (as for sway)
                out["hip_abd_L"][i0:i1] += drop
                out["hip_abd_R"][i0:i1] -= drop
                out[f"knee_flex_{s}"][i0:i1] += amp * rng.uniform(5, 15) * env
                _unload(load, side, t, tt, tt + rise + hold + fall)
            elif kind == "turn":
                out["spine_rot"][i0:i1] += rng.choice([-1.0, 1.0]) * amp * rng.uniform(10, 30) * env
            elif kind == "reposition":
                out[f"hip_abd_{s}"][i0:i1] += rng.choice([-1.0, 1.0]) * amp * rng.uniform(3, 10) * env
                out[f"hip_rot_{s}"][i0:i1] += rng.choice([-1.0, 1.0]) * amp * rng.uniform(5, 15) * env
                _unload(load, side, t, tt, tt + rise + hold + fall)
            elif kind == "bounce":
                f = rng.uniform(3.0, 6.0)
                ph = 2 * np.pi * f * (t[i0:i1] - tt)
                on = np.clip((env - 0.2) / 0.8, 0.0, 1.0)
                out[f"ankle_dorsi_{s}"][i0:i1] -= amp * rng.uniform(2, 6) * on * 0.5 * (1 - np.cos(ph))
                out[f"hip_flex_{s}"][i0:i1] += amp * rng.uniform(0.5, 2.0) * on * 0.5 * (1 - np.cos(ph))
                _unload(load, side, t, tt, tt + rise + hold + fall)
            else:  # lean
                d = rng.choice([-1.0, 1.0]) * amp * rng.uniform(3, 10)
                out["pelvis_tilt"][i0:i1] += d * env
                out["spine_flex"][i0:i1] -= 0.5 * d * env
                for leg in ("L", "R"):  # the thighs stay on the seat (thigh angle = hip_flex − pelvis tilt)
                    out[f"hip_flex_{leg}"][i0:i1] += d * env
            tt += rise + hold + fall + UNLOAD_S
        tt += UNLOAD_S + float(rng.exponential(mean_gap))
    return out, load
