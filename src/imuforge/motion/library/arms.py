"""Arm activities for wrist-worn devices: waving, drinking, brushing teeth, typing.

Reach and hand-to-mouth movements follow minimum-jerk profiles (Flash & Hogan 1985, *J Neurosci*
5:1688) with movement times of 0.6–1.2 s; drinking episodes (reach, lift, sip 1–3 s, return,
3–10 s rest) after the phase structure used for drinking detection (e.g. Amft et al. 2005, ISWC);
tooth-brushing strokes at 3–5 Hz with the hand switching mouth regions every 5–15 s; waving at
2–3.5 Hz forearm oscillation of ±20–35° in bouts of 2–6 s; typing as a seated posture with
keystroke micro-movements (2–8 Hz, ≈ 1°) and occasional mouse reaches. The active hand is the
person's dominant hand unless ``hand`` is given.
"""

from __future__ import annotations

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion.body import Person
from imuforge.motion.library._core import (
    Track, apply_standing_sway, feet_planted_track, keyframes, postural_sway, smooth_noise,
)
from imuforge.motion.library.static import sitting_pose, standing_pose


def _n(duration_s, fps):
    return int(round(duration_s * fps)) + 1


def _side(person: Person, hand: str | None) -> str:
    hand = hand or person.handedness
    if hand not in ("left", "right"):
        raise ValidationError(f"hand must be 'left' or 'right', got {hand!r}")
    return "L" if hand == "left" else "R"


def _episodes(rng, duration, durations: list[tuple[float, float]], values: list[dict], rest: dict, start=0.5):
    """Key frames for repeated episodes: per key, a list of (time, value) across the whole recording."""
    keys = {k: ([0.0], [rest[k]]) for k in rest}
    t = start
    while t < duration:
        for (lo, hi), target in zip(durations, values):
            t += float(rng.uniform(lo, hi))
            for k in keys:
                keys[k][0].append(t)
                keys[k][1].append(target.get(k, rest[k]))
    return keys


def _base(person, rng, n, fps, seated: bool):
    pose = sitting_pose(person, rng) if seated else standing_pose(person, rng)
    sway = postural_sway(rng, n, fps, (0.5 if seated else 1.0) * person.vigor)
    if seated:
        pose = dict(pose)
        pose["spine_flex"] = pose.get("spine_flex", 0.0) + sway["breath"]
        return pose
    return apply_standing_sway(pose, sway)


def waving(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
           hand: str | None = None, intensity: float = 1.0, seated: bool = False, **_) -> Track:
    """Waving a raised hand in bouts."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    s = _side(person, hand)
    sg = 1.0 if s == "L" else -1.0
    pose = _base(person, rng, n, fps, seated)
    rest = {"sh_abd": pose[f"sh_abd_{s}"], "sh_rot": 0.0, "elbow_flex": pose[f"elbow_flex_{s}"], "env": 0.0,
            "sh_flex": 0.0}
    up = {"sh_abd": float(rng.uniform(95, 130)), "sh_rot": -90.0 * sg, "elbow_flex": 80.0, "env": 1.0,
          "sh_flex": float(rng.uniform(0, 30))}
    keys = _episodes(rng, t[-1], [(0.4, 0.7), (2.0, 6.0), (0.4, 0.7), (0.5, 2.5)], [up, up, rest, rest], rest, 0.2)
    f = float(rng.uniform(2.0, 3.5))
    amp = float(rng.uniform(20, 35)) * intensity * person.vigor
    osc = np.sin(2 * np.pi * f * t + 0.3 * smooth_noise(rng, n, fps, 0.5)[:, 0])
    env = keyframes(t, *keys["env"])
    for k in ("sh_abd", "sh_rot", "elbow_flex", "sh_flex"):
        pose[f"{k}_{s}"] = keyframes(t, *keys[k])
    pose[f"elbow_flex_{s}"] = pose[f"elbow_flex_{s}"] + amp * env * osc
    pose[f"wrist_dev_{s}"] = 10 * env * osc
    return feet_planted_track(pose, person, fps, "waving", {"hand": s, "frequency_hz": round(f, 2)})


def drinking(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
             hand: str | None = None, position: str | None = None, intensity: float = 1.0, **_) -> Track:
    """Repeated sips from a cup: reach, lift to the mouth, sip, put back, rest; ``position`` "seated" or
    "standing" (None: the person's draw, seated 60 %)."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    s = _side(person, hand)
    draw = bool(rng.random() < 0.6)  # drawn either way: the person's other draws do not move with it
    seated = draw if position is None else position == "seated"
    pose = _base(person, rng, n, fps, seated)
    rest = {"sh_flex": pose[f"sh_flex_{s}"], "sh_abd": pose[f"sh_abd_{s}"], "elbow_flex": pose[f"elbow_flex_{s}"],
            "elbow_sup": pose.get(f"elbow_sup_{s}", 0.0), "head_flex": 0.0, "wrist_flex": 0.0}
    cup = {"sh_flex": float(rng.uniform(25, 40)), "sh_abd": 10.0, "elbow_flex": float(rng.uniform(50, 70)),
           "elbow_sup": 50.0, "head_flex": 0.0, "wrist_flex": -5.0}
    mouth = {"sh_flex": float(rng.uniform(35, 50)), "sh_abd": float(rng.uniform(15, 30)),
             "elbow_flex": float(rng.uniform(128, 140)), "elbow_sup": 65.0, "head_flex": 0.0, "wrist_flex": -10.0}
    sip = dict(mouth, sh_flex=mouth["sh_flex"] + float(rng.uniform(10, 25)), head_flex=-float(rng.uniform(8, 20)),
               wrist_flex=-25.0)
    keys = _episodes(rng, t[-1], [(0.6, 1.0), (0.2, 0.5), (0.7, 1.1), (1.0, 3.0), (0.5, 0.8), (0.6, 1.0), (0.3, 0.6),
                                  (3.0, 10.0)],
                     [cup, cup, mouth, sip, mouth, cup, rest, rest], rest, float(rng.uniform(0.3, 2.0)))
    for k in ("sh_flex", "sh_abd", "elbow_flex", "elbow_sup", "wrist_flex"):
        pose[f"{k}_{s}"] = keyframes(t, *keys[k])
    pose["head_flex"] = keyframes(t, *keys["head_flex"])
    return feet_planted_track(pose, person, fps, "drinking",
                              {"hand": s, "seated": seated, "position": "seated" if seated else "standing"})


def brushing_teeth(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
                   hand: str | None = None, intensity: float = 1.0, **_) -> Track:
    """Brushing teeth standing at a sink: hand at the mouth, 3–5 Hz strokes, region changes."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    s = _side(person, hand)
    pose = _base(person, rng, n, fps, False)
    pose["spine_flex"] = pose["spine_flex"] + float(rng.uniform(5, 20))
    pose["neck_flex"] = -float(rng.uniform(0, 10))
    # mouth regions: (sh_abd, elbow_sup, sh_rot) sets, switched every 5–15 s with 0.5 s moves
    regions = [(20, 30, 0), (45, 10, -15), (15, 70, 10), (30, -10, 0)]
    times, vals = [0.0], [regions[0]]
    tt = 0.0
    while tt < t[-1]:
        tt += float(rng.uniform(5, 15))
        times += [tt, tt + 0.5]
        r = regions[int(rng.integers(len(regions)))]
        vals += [vals[-1], r]
    vals = np.array(vals, dtype=float)
    f = float(rng.uniform(3.0, 5.0))
    phase = 2 * np.pi * np.cumsum(f * (1 + 0.08 * smooth_noise(rng, n, fps, 0.3)[:, 0])) / fps
    amp = intensity * person.vigor * (0.7 + 0.3 * smooth_noise(rng, n, fps, 0.2)[:, 0] ** 2)
    stroke = np.sin(phase)
    pose[f"sh_flex_{s}"] = float(rng.uniform(30, 45)) + 3 * amp * stroke
    pose[f"sh_abd_{s}"] = keyframes(t, times, vals[:, 0])
    pose[f"elbow_sup_{s}"] = keyframes(t, times, vals[:, 1])
    pose[f"sh_rot_{s}"] = keyframes(t, times, vals[:, 2]) + 8 * amp * stroke
    pose[f"elbow_flex_{s}"] = float(rng.uniform(120, 135)) + 5 * amp * np.sin(phase + 1.2)
    pose[f"wrist_dev_{s}"] = 10 * amp * np.sin(phase + 0.4)
    return feet_planted_track(pose, person, fps, "brushing_teeth", {"hand": s, "stroke_hz": round(f, 2)})


def typing(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
           hand: str | None = None, intensity: float = 1.0, **_) -> Track:
    """Typing at a desk, seated: forearms forward and pronated, keystroke micro-movements, mouse reaches."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    s = _side(person, hand)
    pose = _base(person, rng, n, fps, True)
    pose["spine_flex"] = pose["spine_flex"] * 0.5 + 5.0
    pose["neck_flex"] = float(rng.uniform(5, 20))
    typing_act = (smooth_noise(rng, n, fps, 0.1)[:, 0] > -0.8).astype(float)  # pauses ≈ 20 % of the time
    typing_act = keyframes(t, t[::max(int(fps // 4), 1)], typing_act[::max(int(fps // 4), 1)])
    mouse = np.clip(smooth_noise(rng, n, fps, 0.05)[:, 0] - 1.0, 0, 1)  # occasional mouse use
    mouse = np.minimum(mouse * 3, 1.0)
    for side in ("L", "R"):
        k = smooth_noise(rng, n, fps, 6.0, 3) * intensity * person.vigor
        pose[f"sh_flex_{side}"] = 22.0 + 1.0 * k[:, 0] * typing_act + 2 * smooth_noise(rng, n, fps, 0.2)[:, 0]
        pose[f"sh_abd_{side}"] = 15.0 + 1.0 * k[:, 1] * typing_act
        pose[f"elbow_flex_{side}"] = 95.0 + 1.5 * k[:, 2] * typing_act
        pose[f"elbow_sup_{side}"] = -80.0
        pose[f"wrist_flex_{side}"] = -15.0 + 2.0 * smooth_noise(rng, n, fps, 4.0)[:, 0] * typing_act
    pose[f"sh_abd_{s}"] = pose[f"sh_abd_{s}"] + 18.0 * mouse
    pose[f"elbow_flex_{s}"] = pose[f"elbow_flex_{s}"] - 10.0 * mouse
    return feet_planted_track(pose, person, fps, "typing", {"hand": s})
