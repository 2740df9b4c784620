"""Riding a passenger lift standing: ``elevator_up`` and ``elevator_down``.

The rider is a standing person (:func:`imuforge.motion.library.static.standing`: sway, weight shifts,
arm fidgets, the hands maybe on a phone) whose floor moves. A lift car follows a jerk-limited
("S-curve") motion profile: the jerk steps between 0 and ±j, so the acceleration ramps up to a
plateau, down to a cruise at the rated speed, and mirrors that to stop (:func:`ride_profile`;
closed-form cubic pieces, no numerical integration). A take is a sequence of rides in one
direction, each over a whole number of floors, separated by stops with the doors open.

Published figures the draws come from:

* acceleration and jerk that passengers find comfortable, and that passenger lifts are set to:
  acceleration ≈ 1.0 m/s² (0.8–1.2 usual in offices and dwellings), jerk ≈ 1.0–2.0 m/s³; rated speeds
  1.0–1.6 m/s in low-rise buildings and up to 2.5 m/s in mid-rise ones (rated speed ≈ total travel / 20 s
  is the designers' rule of thumb); floor-to-floor heights 3.0–3.6 m. These are the ranges lift
  design guidance (CIBSE Guide D, *Transportation systems in buildings*; ride quality as measured by
  ISO 18738-1) is commonly quoted with; the documents themselves were not read here, so the ranges are
  the project's assumption within those quotes;
* a stop: doors open, passengers transfer and the doors close again in ≈ 4–12 s (doors ≈ 2–3 s each way;
  at least 5 s fully open in accessible-lift guidance; passengers ≈ 2–4 s to leave or enter; assumption
  within these).

With a lift speeding up at a = 1 m/s² a waist sensor reads ≈ 1.1 g going up and 0.9 g going down,
for ≈ 1–2 s at each end of a ride; in between, the rider is standing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion.body import Person
from imuforge.motion.library._core import Track
from imuforge.motion.library.static import standing

#: draw ranges (uniform) of a lift: acceleration (m/s²), jerk (m/s³), rated speed (m/s), floor height (m),
#: floors per ride, stop between rides (s), wait before the first ride (s); sources in the module docstring
ACCEL_MPS2 = (0.8, 1.2)
JERK_MPS3 = (1.0, 2.0)
SPEED_MPS = (1.0, 2.5)
FLOOR_M = (3.0, 3.6)
FLOORS = (1, 8)
STOP_S = (4.0, 12.0)
FIRST_S = (0.5, 4.0)
#: a take's last ride ends at least this long (s) before the take
END_S = 0.5


@dataclass(frozen=True)
class Ride:
    """One ride: when it starts (s), how far (m, signed: + up), the car's speed, acceleration and jerk
    limits (m/s, m/s², m/s³; a short ride may not reach the rated speed or the acceleration plateau) and
    the building's floor height (m)."""

    start_s: float
    distance_m: float
    speed_mps: float
    accel_mps2: float
    jerk_mps3: float
    floor_m: float = 3.3

    @property
    def duration_s(self) -> float:
        return float(sum(_segments(abs(self.distance_m), self.speed_mps, self.accel_mps2, self.jerk_mps3)[0]))

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 3), "distance_m": round(self.distance_m, 3),
                "speed_mps": round(self.speed_mps, 3), "accel_mps2": round(self.accel_mps2, 3),
                "jerk_mps3": round(self.jerk_mps3, 3), "floor_m": round(self.floor_m, 3),
                "duration_s": round(self.duration_s, 3)}


def reached(distance: float, speed: float, accel: float, jerk: float) -> tuple[float, float]:
    """(peak speed, peak acceleration) of a jerk-limited ride of ``distance`` m with these limits.

    With a plateau, speeding up to v takes v/a + a/j s and covers v·(v/a + a/j)/2 m; a ride too short to
    cruise peaks at the v solving v²/a + v·a/j = d; one too short to reach the plateau (v < a²/j) has
    a = √(v·j) and d = 2·v·√(v/j).
    """
    if not (distance > 0 and speed > 0 and accel > 0 and jerk > 0):
        raise ValidationError(f"a ride needs a positive distance, speed, acceleration and jerk, got "
                              f"{distance}, {speed}, {accel}, {jerk}", allowed="each > 0")
    a = min(accel, np.sqrt(speed * jerk))
    if speed * (speed / a + a / jerk) <= distance:
        return speed, a
    v = a / 2 * (-a / jerk + np.sqrt((a / jerk) ** 2 + 4 * distance / a))
    if v >= a * a / jerk:
        return float(v), float(a)
    v = (distance ** 2 * jerk / 4) ** (1 / 3)
    return float(v), float(np.sqrt(v * jerk))


def _segments(distance: float, speed: float, accel: float, jerk: float) -> tuple[np.ndarray, np.ndarray]:
    """Durations (s) and jerks (m/s³) of the seven constant-jerk pieces of a ride."""
    v, a = reached(distance, speed, accel, jerk)
    tj, ta = a / jerk, max(v / a - a / jerk, 0.0)
    cruise = max((distance - v * (v / a + a / jerk)) / v, 0.0)
    return (np.array([tj, ta, tj, cruise, tj, ta, tj]),
            np.array([jerk, 0.0, -jerk, 0.0, -jerk, 0.0, jerk]))


def ride_profile(t: np.ndarray, distance: float, speed: float, accel: float, jerk: float) -> np.ndarray:
    """Position, velocity and acceleration (3, len(t)) of a ride starting at rest at t = 0, in closed form
    (a cubic on each piece); before 0 it is at rest at 0, after its end at rest at ``distance``."""
    dur, jerks = _segments(abs(distance), speed, accel, jerk)
    edges = np.concatenate([[0.0], np.cumsum(dur)])
    state = np.zeros((len(dur) + 1, 3))  # position, velocity, acceleration at each piece's start
    for k, (T, jk) in enumerate(zip(dur, jerks)):
        s, v, a = state[k]
        state[k + 1] = (s + v * T + a * T ** 2 / 2 + jk * T ** 3 / 6, v + a * T + jk * T ** 2 / 2, a + jk * T)
    tc = np.clip(np.asarray(t, float), 0.0, edges[-1])
    k = np.clip(np.searchsorted(edges, tc, side="right") - 1, 0, len(dur) - 1)
    tau = tc - edges[k]
    s0, v0, a0 = state[k].T
    jk = jerks[k]
    out = np.stack([s0 + v0 * tau + a0 * tau ** 2 / 2 + jk * tau ** 3 / 6, v0 + a0 * tau + jk * tau ** 2 / 2,
                    a0 + jk * tau])
    out[1:, (t < 0) | (t > edges[-1])] = 0.0
    return np.sign(distance) * out


def plan_rides(rng: np.random.Generator, duration_s: float, direction: float) -> list[Ride]:
    """The rides of a take of ``duration_s`` s in one direction (+1 up, −1 down): one lift (its
    acceleration, jerk, rated speed and floor height drawn once), rides of 1–8 floors with stops between.

    Every ride ends at least :data:`END_S` before the take does (the floor is at rest when a schedule
    moves on), with fewer floors than drawn if need be; a take too short for the first drawn start holds
    one one-floor ride started earlier, and one too short for any (≈ 5 s or less) none: its rider stands
    (a short window of a real lift take is mostly that too).
    """
    accel, jerk = float(rng.uniform(*ACCEL_MPS2)), float(rng.uniform(*JERK_MPS3))
    speed, floor = float(rng.uniform(*SPEED_MPS)), float(rng.uniform(*FLOOR_M))
    rides: list[Ride] = []
    t = float(rng.uniform(*FIRST_S))
    while True:
        drawn = int(rng.integers(FLOORS[0], FLOORS[1] + 1))
        fits = [Ride(t, direction * floor * k, speed, accel, jerk, floor) for k in range(drawn, 0, -1)]
        fits = [r for r in fits if t + r.duration_s <= duration_s - END_S]
        if not fits:
            break
        rides.append(fits[0])
        t += fits[0].duration_s + float(rng.uniform(*STOP_S))
    one = Ride(0.0, direction * floor, speed, accel, jerk, floor)
    if not rides and one.duration_s <= duration_s - END_S:
        rides.append(replace(one, start_s=min(duration_s - END_S - one.duration_s, t)))
    return rides


def _elevator(direction: float, label: str):
    def ride(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
             intensity: float = 1.0, fidget: float = 0.5, carrying: str | None = None,
             avoid_carrying: Sequence[str] = ()) -> Track:
        """Standing in a lift car that rides one way, stopping between rides (see the module docstring);
        ``fidget`` as standing's (people in a lift keep still: 0.5 by default)."""
        base = standing(person, duration_s, fps, rng, intensity=intensity, fidget=fidget, carrying=carrying,
                        avoid_carrying=avoid_carrying)
        rides = plan_rides(rng, duration_s, direction)
        t = np.arange(base.n) / fps
        height = sum((ride_profile(t - r.start_s, r.distance_m, r.speed_mps, r.accel_mps2, r.jerk_mps3)[0]
                      for r in rides), np.zeros(base.n))
        root = base.root.copy()
        root[:, 1] += height
        # where the floor is at the end: a schedule starts the next activity there (as after stairs)
        meta = {**base.meta, "rides": [r.to_dict() for r in rides],
                "floor_end_m": round(float(height[-1]), 4)}
        return replace(base, root=root, label=label, meta=meta)

    ride.__name__ = label
    return ride


elevator_up = _elevator(1.0, "elevator_up")
elevator_down = _elevator(-1.0, "elevator_down")
