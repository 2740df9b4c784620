"""Physiological plausibility of the procedural motion library's accelerations and angular rates.

For every activity in ``ACTIVITIES`` (three seeds, 12 s, 100 fps, ideal IMU at 200 Hz) the 99.9th
percentile of |specific force| and |angular rate| at the wrists, lower back and right ankle must
stay under bounds taken from published body-worn IMU measurements (g = 9.81 m/s²):

* lower back / trunk ≤ 8 g: the most violent activities here are jumps. Landing from a
  countermovement jump gives trunk/sacrum peaks ≈ 3–6 g; from kinematics, a 0.35 m jump lands at
  √(2gh) ≈ 2.6 m/s, brought to rest over ≈ 0.15–0.3 s of knee flexion → 1 + 2.6/(0.15…0.3)/g ≈
  2–3 g mean, ≈ 4–6 g peak. Running gives ≈ 2–4 g at the lower back. 8 g leaves head-room for the
  peak shape, not for impulses (the library previously produced 29 g here).
* ankle / shank ≤ 16 g: tibial peak accelerations in running are ≈ 5–15 g and 6–15 g for
  drop/jump landings (e.g. tibial accelerometry reviews of running impacts); 16 g is also the
  full-scale range of most wearable IMUs, so synthetic data above it would only ever be clipped.
* wrist ≤ 16 g: jumping jacks and arm-swing jumps give ≈ 4–8 g at the wrist (peak shoulder rate
  ≈ 8–10 rad/s at ≈ 0.65 m → ω²r ≈ 4–7 g); 16 g is again the wearable's range (was 125 g).
* wrist angular rate ≤ 30 rad/s (≈ 1700 °/s): above the fastest voluntary wrist/forearm rotations
  in sports movements and beyond the ±2000 °/s gyroscope range only in throws/swings, which the
  library does not contain.

Until 2026-11 walking and running failed the ankle bound (≈ 16–19 g and ≈ 29–31 g): the root
low-pass lifted the pelvis beyond the reach of the near-straight leg, the leg IK clipped the
hip–ankle distance and locked the knee straight within one frame (knee rate −900 °/s → 0 at heel
strike, 0 → +2000 °/s at running toe-off). ``test_gait_knee_never_locks`` guards the fix (pelvis
lowered where out of reach, C² soft reach limit in the IK).
"""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.library import ACTIVITIES, generate
from imuforge.motion.plausibility import TRUNK_JOINTS, specific_force_g
from imuforge.motion.skeleton import HUMANML3D_22
from imuforge.sensors import ideal_imu

G = 9.80665
PLACES = ("wrist_left", "wrist_right", "lower_back", "ankle_right")
ACC_BOUND_G = {"wrist_left": 16.0, "wrist_right": 16.0, "lower_back": 8.0, "ankle_right": 16.0}
GYRO_BOUND = {"wrist_left": 30.0, "wrist_right": 30.0}
SEEDS = (1, 2, 3)


def joint_force_g(m) -> np.ndarray:
    """Each joint's peak |p̈ − g| (g, (22,)) from its positions as they are (no low-pass: the library's
    motion is smooth, and a frame-to-frame jump is what this looks for), as the plausibility check reads
    it."""
    return specific_force_g(m, lowpass_hz=None)


def _p999(name: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = generate(name, None if ACTIVITIES[name].kind == "transition" else 12, fps=100, rng=seed)
    imu = ideal_imu(m, list(PLACES), rate_hz=200)
    acc = np.percentile(np.linalg.norm(imu.acc, axis=-1), 99.9, axis=1)
    gyro = np.percentile(np.linalg.norm(imu.gyro, axis=-1), 99.9, axis=1)
    return acc, gyro, joint_force_g(m)


_CACHE: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _cached(name: str, seed: int):
    if (name, seed) not in _CACHE:
        _CACHE[(name, seed)] = _p999(name, seed)
    return _CACHE[(name, seed)]


@pytest.mark.parametrize("name", sorted(ACTIVITIES))
def test_trunk_and_wrist_accelerations_and_wrist_rates_plausible(name):
    for seed in SEEDS:
        acc, gyro, _ = _cached(name, seed)
        for k, place in enumerate(PLACES):
            if place == "ankle_right":
                continue
            assert acc[k] <= ACC_BOUND_G[place] * G, (name, seed, place, acc[k] / G)
            if place in GYRO_BOUND:
                assert gyro[k] <= GYRO_BOUND[place], (name, seed, place, gyro[k])


@pytest.mark.parametrize("name", sorted(ACTIVITIES))
def test_ankle_accelerations_plausible(name):
    for seed in SEEDS:
        acc, _, _ = _cached(name, seed)
        assert acc[3] <= ACC_BOUND_G["ankle_right"] * G, (name, seed, acc[3] / G)


def test_jump_landings_are_still_vigorous():
    """The smoothing must not flatten the hops: trunk peaks stay well above walking's ≈ 1.6 g (> 1.5 g
    for 3–5 cm rope skips, > 2 g for jumps and jumping jacks)."""
    for name, low in (("jumping", 2.0), ("jumping_jacks", 2.0), ("jumping_rope", 1.5)):
        acc, _, _ = _cached(name, 1)
        assert acc[2] > low * G, (name, acc[2] / G)


@pytest.mark.parametrize("name", sorted(ACTIVITIES))
def test_every_joint_moves_within_the_bounds(name):
    """Not only where the sensors above sit (trunk joints, ``TRUNK_JOINTS``, bounded as the lower back, limb
    joints as the ankle and wrists): a joint that jumps within a frame (a key frame out of order,
    a leg re-solve that locks the knee) reads tens of g at a thigh, knee or elbow device. The hops did:
    26–41 g at the knee joint and 54 g at a wrist joint before 2026-12-04."""
    for seed in SEEDS:
        force = _cached(name, seed)[2]
        for j, joint in enumerate(HUMANML3D_22.joints):
            bound = ACC_BOUND_G["lower_back" if joint in TRUNK_JOINTS else "ankle_right"]
            assert force[j] <= bound, (name, seed, joint, force[j])


@pytest.mark.parametrize("intensity", [1.0, 1.7])
def test_high_jumps_keep_their_cycle_in_order(intensity):
    """A high jump's cycle holds all its key frames (the arms' last is 0.25 s after the landing's end): a
    period shorter than that wrapped key frames out of order, and the arms jumped within a frame (54 g at a
    wrist joint). The arms swing at ≈ 8 rad/s at most: a few g at the wrist (the legs' landing loads grow
    with the jump's height, up to 0.6 m at intensity 1.7: not bounded here)."""
    arms = [HUMANML3D_22.index(f"{s}_{j}") for s in ("left", "right") for j in ("elbow", "wrist")]
    for seed in range(6):
        force = joint_force_g(generate("jumping", 8, fps=100, rng=seed, intensity=intensity))[arms]
        assert force.max() <= 12.0, (seed, force)
