"""Turns while walking: the heading of a walk, as people change direction in corridors and rooms.

Real walking is rarely a straight line. In daily life 8–50 % of all steps are turning steps, depending
on the task (Glaister, Bernatz, Klute & Orendurff 2007, *Gait Posture* 25:289), and the walking bouts
of the project's real lower-back recordings (mobgap, INDIP reference, 3 people) turn by 60–450° in 13 of
18 bouts of 4–23 s, with a yaw-rate 95th percentile of 1.2–2.4 rad/s, against 0.6–0.7 rad/s in the
straight bouts (the pelvis's own ±4° rotation) — which is all a straight synthetic walk has. A device
on the trunk or the thigh reads a turn as a large rate about the vertical; a model that never saw one
calls it something else.

**Model.** Per person (from their ``gait_style_seed``, the same in every recording): a mean straight
stretch between turns (uniform 5–20 s, i.e. a turn every ≈ 10–40 steps — with 2–4 steps per turn
≈ 5–30 % turning steps, within the published range) and a peak yaw rate
(uniform 80–150 °/s; healthy adults' peak pelvis turning velocity ≈ 100–200 °/s in 180° turns, lower
in smaller turns: e.g. Mancini et al. 2015, *J Neuroeng Rehabil* 12:51; El-Gohary et al. 2014,
*Sensors* 14:356 — an assumption within those and the mobgap rates above). The walk alternates straight
stretches (exponential, at least 2 s) with turns whose angle is ±45° (20 %), ±90° (45 %) or ±180°
(35 %) with a ±15 % spread, each a minimum-jerk change of heading lasting ``1.875 · angle / peak
rate`` (≥ 0.8 s). A slow wander (SD 2°, below 0.2 Hz) keeps the straight stretches from being ruler
straight. The heading is added to the pelvis's yaw before the legs are placed, so the foot-anchored
root path curves through the turn; the stance hip takes the turn (:func:`stance_hip_turn`) and the
planted foot pivots on its contact point only past the hip's range; the head leads the pelvis by ≈ 0.2 s (turning is led top-down: head, trunk, then pelvis — Patla, Adkin & Ballard
1999, *Exp Brain Res* 129:629).

Walkers slow down through a turn (:func:`turn_slowing`): the speed is capped softly so that the
centripetal acceleration stays near :data:`TURN_ACC` (≈ 1 m/s², people walk slower on tighter curves),
half by shorter steps and half by a lower cadence (:data:`TURN_CADENCE_SHARE`). Without it a 180° turn at
150 °/s kept 1.3 m/s (3.4 m/s² sideways) and a lower-back device read a medio-lateral RMS of 1.9–3.2 m/s²
over turning walks; now 1.3–1.9.

``turns=0`` gives the straight line (for controlled experiments); the text words "in a straight
line" do the same. What was drawn goes to the track's meta (``turns``: start s, angle deg, s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imuforge.motion.library._core import minjerk, smooth_noise, smoothstep

#: per person: mean seconds between turns (uniform), peak yaw rate (deg/s, uniform)
INTERVAL_S = (5.0, 20.0)
PEAK_RATE_DPS = (80.0, 150.0)
#: turn angles (deg) and their probabilities; relative spread of an angle
ANGLES_DEG = (45.0, 90.0, 180.0)
ANGLE_P = (0.20, 0.45, 0.35)
ANGLE_SPREAD = 0.15
MIN_STRAIGHT_S = 2.0
MIN_TURN_S = 0.8
#: slow wander of the heading: SD (deg) and band (Hz)
WANDER_DEG = 2.0
WANDER_HZ = 0.2
#: the head leads the pelvis through a turn (s)
HEAD_LEAD_S = 0.2
#: how far a stance hip rotates to keep its foot's heading while the pelvis turns (deg, soft limit;
#: passive hip rotation range ≈ 35–45° each way, Roach & Miles 1991, *Phys Ther* 71:656)
HIP_TURN_DEG = 35.0
#: fraction of the gait cycle after contact over which the stance hip takes the turn (the loading response)
ENGAGE = 0.12
#: the centripetal acceleration (m/s²) a walker keeps to through a turn: people walk slower on tighter curves
#: (Brown, Seethapathi & Srinivasan 2020, arXiv:2001.02287, circles of 1–4 m radius; Orendurff et al. 2006,
#: *Gait Posture* 23:106: ≈ 1 m/s on a 1 m radius, i.e. ≈ 1 m/s²)
TURN_ACC = 1.0
#: share of the slowing (in log) taken by the cadence, the rest by the step length: slower turning lowers
#: both (Madrid et al. 2024, *Front Hum Neurosci* 18:1269772); half and half is an assumption — a cadence
#: share of 1 lengthens the stances while the hip takes the turn (the planted foot drifted 5 cm), a
#: share of 0.25 shrinks the steps below what the closure of the curves was fitted for (3.3 cm)
TURN_CADENCE_SHARE = 0.5


@dataclass(frozen=True)
class Heading:
    """A walk's heading over time (deg, added to the pelvis yaw), the head's lead (deg) and the turns
    drawn (start s, angle deg, duration s)."""

    yaw_deg: np.ndarray
    head_lead_deg: np.ndarray
    turns: list

    def meta(self) -> list:
        return [[round(t, 3), round(a, 2), round(d, 3)] for t, a, d in self.turns]


def turning_style(person_seed: int | None, rng: np.random.Generator) -> tuple[float, float]:
    """(mean seconds between turns, peak yaw rate deg/s) of a person: drawn once per person from their
    ``gait_style_seed`` (the same in every recording), from ``rng`` for a person without one."""
    g = rng if person_seed is None else np.random.default_rng([int(person_seed), 13])
    return float(g.uniform(*INTERVAL_S)), float(g.uniform(*PEAK_RATE_DPS))


def walking_heading(rng: np.random.Generator, n: int, fps: float, rate_per_min: float | None = None,
                    person_seed: int | None = None) -> Heading:
    """The heading of a walk of ``n`` frames; ``rate_per_min``: the mean rate at which turns *start*
    (per minute of straight walking; None: the person's own, :func:`turning_style`; 0: straight, no
    wander). The realised rate is lower: turns take time and straight stretches last ≥ 2 s."""
    if rate_per_min is not None and rate_per_min <= 0:
        z = np.zeros(n)
        return Heading(z, z.copy(), [])
    mean_s, peak = turning_style(person_seed, rng)
    if rate_per_min is not None:
        mean_s = 60.0 / rate_per_min
    turns = []
    t = max(MIN_STRAIGHT_S, float(rng.exponential(mean_s)))
    while t < (n - 1) / fps:  # a turn starts within the walk
        angle = float(rng.choice(ANGLES_DEG, p=ANGLE_P)) * (1 + ANGLE_SPREAD * float(rng.uniform(-1, 1)))
        angle *= 1.0 if rng.uniform() < 0.5 else -1.0
        d = max(MIN_TURN_S, 1.875 * abs(angle) / peak)
        turns.append((t, angle, d))
        t += d + max(MIN_STRAIGHT_S, float(rng.exponential(mean_s)))
    lead = round(HEAD_LEAD_S * fps)
    ext = np.arange(n + lead) / fps
    yaw = np.zeros(n + lead)
    for t0, a, d in turns:
        yaw += a * minjerk((ext - t0) / d)
    yaw += WANDER_DEG * smooth_noise(rng, n + lead, fps, WANDER_HZ)[:, 0]
    return Heading(yaw[:n], yaw[lead:] - yaw[:n], turns)


def turn_slowing(yaw_deg: np.ndarray, fps: float, speed: float) -> np.ndarray:
    """Speed factor (≤ 1) along a walk of heading ``yaw_deg`` (deg, sampled at ``fps``) at ``speed``
    m/s: a soft ``min(1, a / (v·|ω|))`` with ``a`` = :data:`TURN_ACC`, so the centripetal acceleration
    ``v·ω`` stays near ``a`` through tight turns (a 180° turn at 150 °/s from 1.3 m/s: ≈ 0.3)."""
    if len(yaw_deg) < 2:
        return np.ones(len(yaw_deg))
    rate = np.abs(np.gradient(np.radians(yaw_deg)) * fps)
    return (1.0 + (speed * rate / TURN_ACC) ** 4) ** -0.25


def stance_hip_turn(yaw_deg: np.ndarray, phase: np.ndarray, stance: float) -> np.ndarray:
    """The hip rotation (deg, the leg's yaw relative to the pelvis) that keeps a leg's foot at the
    heading it landed with while the pelvis turns: ``−(ψ − ψ_contact)`` through the stance, released
    smoothly during the swing so the foot lands aimed along the new heading — a step turn, in which
    the stance hip takes the turn (Hase & Stein 1999, *J Neurophysiol* 81:2914). Beyond
    :data:`HIP_TURN_DEG` the hip saturates softly and the foot pivots on its contact point.

    ``phase``: the leg's gait phase (contact at whole cycles), ``stance``: stance fraction of a cycle.
    """
    n = len(phase)
    cyc = np.floor(phase)
    start = np.flatnonzero(np.r_[True, cyc[1:] > cyc[:-1]])  # contact frames (the first frame too)
    last = np.zeros(n, dtype=int)
    last[start] = start
    last = np.maximum.accumulate(last)
    frac = phase - cyc
    # the hip takes over through the loading response (no kick in the thigh's rate at contact) and lets go
    # through the swing (the foot lands aimed along the new heading)
    hold = smoothstep(frac / ENGAGE) * (1.0 - smoothstep((frac - stance) / (1.0 - stance)))
    rel = -(yaw_deg - yaw_deg[last]) * hold
    return HIP_TURN_DEG * np.tanh(rel / HIP_TURN_DEG)
