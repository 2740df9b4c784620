"""Household activities done standing: ``vacuum_cleaning`` and ``ironing``.

Both are a standing person (feet planted, with the weight shifts and shuffling steps of
:func:`imuforge.motion.library.fidgets.leg_fidgets`) whose working arm makes fore-aft strokes in bouts,
the trunk bent over the work, the other hand resting or helping, and pauses between bouts.

What the literature gives, and what is assumed:

* Vacuuming is whole-body but the arm does most of the moving: in 31 people vacuuming with Xsens
  suits, trunk and leg angles stayed fairly constant while the shoulder, elbow and wrist varied
  most (Maurer-Grubinger et al. 2020, *Int J Environ Res Public Health* 17:8793). Energy cost
  3.3 METs (Compendium of Physical Activities 2011, code 05043), as much as brisk walking: it is
  vigorous, large strokes. Ironing: 1.8 METs (code 05070), a light, small-amplitude task done
  standing at a board (Fernandes et al. 2014 studied it standing and seated; standing is the usual
  way and the one recorded in public HAR data such as PAMAP2).
* Stroke rates and lengths were not found in a published source; they are assumptions from the
  task's geometry: vacuuming pushes and pulls the nozzle at 0.5–1.0 strokes/s (a stroke is one push
  and one pull), the shoulder flexing and the elbow extending together, the trunk pitching with the
  push a little (≈ 4°: the trunk stays fairly constant in the study above); ironing moves the iron at
  0.6–1.2 strokes/s, the trunk bent 10–20° and the head down (neck 20–35°) over a board at hip height,
  the forearm turned palm down on the iron's handle. The hand then travels 0.15–0.32 m fore-aft relative
  to the pelvis vacuuming and 0.10–0.18 m ironing (90th percentile of a stroke's range, 20 people; the
  test's measure in tests/motion/test_household.py). A real vacuuming stroke is often longer, with a
  step forward and back; here the feet stay planted but for the shuffling steps.
* Bouts of strokes last 4–15 s (vacuuming) or 3–10 s (ironing), with pauses of 1–4 s (moving to the
  next patch, turning the garment) in which the working arm returns to a resting hold and, when
  ironing, both hands rearrange the garment (0.3–1 Hz movements of a few tens of degrees).

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imuforge.motion.body import Person
from imuforge.motion.library._core import (
    Track, apply_standing_sway, feet_planted_track, keyframes, postural_sway, smooth_noise,
)
from imuforge.motion.library.arms import _side
from imuforge.motion.library.fidgets import leg_fidgets, person_amount
from imuforge.motion.library.static import standing_pose


@dataclass(frozen=True)
class Chore:
    """One standing chore's stroke pattern: stroke rate (strokes/s), shoulder and elbow angles at the
    back of a stroke and their change to its front (deg; ``reach`` scales the change), the resting
    hold of the working arm in pauses, forearm turn (``elbow_sup``, deg, − palm down), trunk, pelvis and
    neck flexion (deg), the trunk's pitch per unit of stroke (deg), bout and pause
    lengths (s) and how much the free hand helps in pauses (deg of movement)."""

    rate_hz: tuple[float, float]
    reach: tuple[float, float]
    shoulder_back: float
    shoulder_gain: float
    elbow_back: float
    elbow_gain: float
    hold_shoulder: float
    hold_elbow: float
    forearm: float
    trunk_deg: tuple[float, float]
    neck_deg: tuple[float, float]
    trunk_pitch: float
    bout_s: tuple[float, float]
    pause_s: tuple[float, float]
    rearrange_deg: float
    free_shoulder: float
    free_elbow: float


#: vacuuming: strokes at 0.5–1.0 /s, the hand 0.15–0.32 m fore-aft from arm and trunk
VACUUM = Chore(rate_hz=(0.5, 1.0), reach=(0.6, 1.2), shoulder_back=0.0, shoulder_gain=50.0, elbow_back=80.0,
               elbow_gain=-55.0, hold_shoulder=15.0, hold_elbow=55.0, forearm=-20.0, trunk_deg=(8.0, 20.0),
               neck_deg=(5.0, 15.0), trunk_pitch=4.0, bout_s=(4.0, 15.0), pause_s=(1.0, 4.0),
               rearrange_deg=0.0, free_shoulder=10.0, free_elbow=25.0)
#: ironing: strokes at 0.6–1.2 /s, the hand 0.10–0.18 m fore-aft
IRONING = Chore(rate_hz=(0.6, 1.2), reach=(0.6, 1.2), shoulder_back=20.0, shoulder_gain=25.0, elbow_back=85.0,
                elbow_gain=-40.0, hold_shoulder=25.0, hold_elbow=80.0, forearm=-70.0, trunk_deg=(10.0, 20.0),
                neck_deg=(20.0, 35.0), trunk_pitch=2.0, bout_s=(3.0, 10.0), pause_s=(1.0, 4.0),
                rearrange_deg=20.0, free_shoulder=30.0, free_elbow=75.0)


def bouts(rng: np.random.Generator, t: np.ndarray, bout_s: tuple[float, float], pause_s: tuple[float, float],
          ramp_s: float = 0.5) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """0 … 1 envelope (len(t)): bouts of work (1) and pauses (0) of uniform lengths, min-jerk ramps between;
    and each bout's (start, end) in s, ramps included."""
    times, values, spans = [0.0], [0.0], []
    tt = float(rng.uniform(0.2, 1.0))
    while tt < t[-1]:
        on = float(rng.uniform(*bout_s))
        times += [tt, tt + ramp_s, tt + ramp_s + on, tt + 2 * ramp_s + on]
        values += [0.0, 1.0, 1.0, 0.0]
        spans.append((round(tt, 3), round(min(tt + 2 * ramp_s + on, float(t[-1])), 3)))
        tt += 2 * ramp_s + on + float(rng.uniform(*pause_s))
    return keyframes(t, times, values), spans


def chore_track(chore: Chore, label: str, person: Person, duration_s: float, fps: float,
                rng: np.random.Generator, *, intensity: float = 1.0, hand: str | None = None) -> Track:
    """A standing chore (see the module docstring) with the ``hand`` arm working (default: dominant)."""
    n = int(round(duration_s * fps)) + 1
    t = np.arange(n) / fps
    s = _side(person, hand)
    o = "R" if s == "L" else "L"
    pose = apply_standing_sway(standing_pose(person, rng), postural_sway(rng, n, fps, person.vigor))
    env, spans = bouts(rng, t, chore.bout_s, chore.pause_s)
    rate = float(rng.uniform(*chore.rate_hz)) * intensity ** 0.3
    phase = np.cumsum(rate * (1 + 0.15 * smooth_noise(rng, n, fps, 0.3)[:, 0])) / fps
    reach = float(rng.uniform(*chore.reach)) * (1 + 0.2 * smooth_noise(rng, n, fps, 0.5)[:, 0])
    u = 0.5 * (1 - np.cos(2 * np.pi * phase)) * reach * env  # 0 at the back of a stroke, ≈ 1 at its front
    trunk = float(rng.uniform(*chore.trunk_deg))
    bend = 0.5 * trunk + 0.5 * chore.trunk_pitch * u  # half at the hips, half in the spine
    pose["pelvis_tilt"] = pose["pelvis_tilt"] + bend
    pose["spine_flex"] = pose["spine_flex"] + bend
    pose["neck_flex"] = pose.get("neck_flex", 0.0) + float(rng.uniform(*chore.neck_deg))
    pose["spine_rot"] = pose.get("spine_rot", 0.0) + 6.0 * smooth_noise(rng, n, fps, 0.15)[:, 0]
    for leg in "LR":  # the thighs stay where the feet hold them (thigh angle = hip_flex − pelvis tilt)
        pose[f"hip_flex_{leg}"] = pose.get(f"hip_flex_{leg}", 0.0) + bend
    hold = 1.0 - env
    pose[f"sh_flex_{s}"] = env * (chore.shoulder_back + chore.shoulder_gain * u) + hold * chore.hold_shoulder
    pose[f"elbow_flex_{s}"] = env * (chore.elbow_back + chore.elbow_gain * u) + hold * chore.hold_elbow
    pose[f"elbow_sup_{s}"] = chore.forearm + 0.0 * t
    pose[f"sh_abd_{s}"] = 12.0 + 5.0 * smooth_noise(rng, n, fps, 0.3)[:, 0]  # strokes fan out sideways
    help_ = chore.rearrange_deg * smooth_noise(rng, n, fps, 0.8, 4) * hold[:, None]
    pose[f"sh_flex_{o}"] = chore.free_shoulder + help_[:, 0]
    pose[f"elbow_flex_{o}"] = chore.free_elbow + 1.5 * help_[:, 1]
    pose[f"sh_flex_{s}"] = pose[f"sh_flex_{s}"] + 0.5 * help_[:, 2]
    pose[f"elbow_flex_{s}"] = pose[f"elbow_flex_{s}"] + help_[:, 3]
    legs, load = leg_fidgets(rng, n, fps, person_amount(rng, 1.5, intensity, person.vigor))
    for k, v in legs.items():
        pose[k] = pose.get(k, 0.0) + v
    meta = {"hand": s, "stroke_hz": round(rate, 3), "trunk_deg": round(trunk, 2), "bouts_s": spans}
    return feet_planted_track(pose, person, fps, label, meta, load=load)


def vacuum_cleaning(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
                    intensity: float = 1.0, hand: str | None = None) -> Track:
    """Vacuuming a floor standing: push-pull strokes of the nozzle (see the module docstring)."""
    return chore_track(VACUUM, "vacuum_cleaning", person, duration_s, fps, rng, intensity=intensity,
                       hand=hand)


def ironing(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
            intensity: float = 1.0, hand: str | None = None) -> Track:
    """Ironing at a board standing: strokes of the iron, the garment turned in the pauses."""
    return chore_track(IRONING, "ironing", person, duration_s, fps, rng, intensity=intensity, hand=hand)
