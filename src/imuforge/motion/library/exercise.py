"""Cycling and jumping (repeated vertical jumps, jumping jacks, rope skipping).

* Cycling: pedalling cadence 60–100 rpm (self-selected ≈ 80 rpm), crank 0.17 m, saddle set for
  ≈ 30° knee flexion at bottom dead centre and seat-tube angle 73° (Bini, Hume & Croft 2011,
  *Sports Med* 41:463); ankle "ankling" ±12° over the crank cycle; trunk 35–55° forwards; the
  legs follow the pedal circles by exact two-link inverse kinematics.
* Vertical countermovement jumps: 0.15–0.35 m jump height (flight time 2·√(2h/g)), countermovement
  to ≈ 70° knee flexion with arm swing, repeated every 1.8–3 s.
* Jumping jacks: 0.9–1.2 s per cycle, two hops per cycle, legs abduct ≈ 15–20°, arms from the sides
  to overhead (≈ 170°).
* Rope skipping: 110–150 skips/min, 3–5 cm hops landing on the forefoot, rope turned by the wrists
  (hands at hip height, elbows ≈ 70°).
Flights are ballistic (parabola under g between take-off and landing).
"""

from __future__ import annotations

import numpy as np

from imuforge.motion.body import Person
from imuforge.motion.library._core import (
    GRAVITY, Track, anchored_root, expand_sides, foot_contact_points, keyframes, pose_to_local, rel_fk,
    smooth_noise, smooth_root_keep_feet,
)

from imuforge.motion.library.static import standing_pose

#: ankle-trajectory low-pass (Hz) of the hopping activities (touch-down over ≈ 30 ms)
FOOT_HZ = 9.0
#: … of the countermovement jumps, whose landings come from 0.15–0.35 m: the ankle comes to rest over
#: ≈ 45 ms (forefoot, then heel). At 9 Hz the knee joint, between the stopped ankle and the falling hip,
#: reached 22–27 g (99.9th percentile; 11–14 g now, the ankle 4–5 g), above the 16 g a limb joint is allowed
JUMP_FOOT_HZ = 6.0
#: the legs' re-solve keeps the knee from locking straight (``smooth_root_keep_feet``'s ``soft_knee_deg``:
#: the knee eases into ≥ 2° from 10°, the pelvis lowered where a leg would need < 4°), as the gaits had it
#: while they re-solved their legs. Without it the hard clip at full reach moved a knee joint by up to
#: 25 mm in one frame at take-off and landing: 26–29 g at the knee joint of jumping jacks (99.9th
#: percentile; tests/motion/test_plausibility.py bounds every joint)
SOFT_KNEE_DEG = (2.0, 10.0, 4.0)


def _n(duration_s, fps):
    return int(round(duration_s * fps)) + 1


def cycling(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
            cadence_rpm: float | None = None, intensity: float = 1.0, **_) -> Track:
    """Pedalling a bicycle (see the module docstring)."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    cad = cadence_rpm or float(np.clip(rng.normal(78, 8) * intensity ** 0.4, 50, 120))
    f = cad / 60 * (1 + 0.02 * smooth_noise(rng, n, fps, 0.2)[:, 0])
    theta = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.cumsum(f) / fps  # crank angle, 0 = top
    off = person.offsets
    th, sh = -off[4, 1], -off[7, 1]  # thigh, shank lengths
    r = 0.17
    knee_bdc = np.deg2rad(rng.uniform(25, 35))
    d_bdc = np.sqrt(th**2 + sh**2 + 2 * th * sh * np.cos(knee_bdc))
    sta = np.deg2rad(73.0)
    u = np.array([np.cos(sta), -np.sin(sta)])  # (z, y) direction from hip to bottom bracket
    # solve |rho*u + (0, -r)| = d_bdc for the hip → bottom-bracket distance rho
    b = -2 * r * u[1]
    rho = (-b + np.sqrt(b * b - 4 * (r * r - d_bdc**2))) / 2
    trunk = float(rng.uniform(35, 55)) * (1 + 0.1 * (intensity - 1))
    tilt = 0.45 * trunk
    pose = {"pelvis_tilt": tilt, "spine_flex": trunk - tilt, "neck_flex": -0.6 * trunk,
            "sh_flex": trunk + float(rng.uniform(25, 45)), "sh_abd": 12.0, "elbow_flex": float(rng.uniform(10, 30)),
            "elbow_sup": -70.0, "wrist_flex": -15.0, "toe_out": 0.0}
    pose = expand_sides(pose)
    for s, phase in (("L", 0.0), ("R", np.pi)):
        a = theta + phase
        # ankle target relative to the hip in the sagittal plane (z forward, y up)
        z = rho * u[0] + r * np.sin(a)
        y = rho * u[1] + r * np.cos(a)
        d = np.sqrt(z * z + y * y)
        d = np.clip(d, abs(th - sh) + 1e-3, th + sh - 1e-3)
        knee = np.pi - np.arccos(np.clip((th**2 + sh**2 - d**2) / (2 * th * sh), -1, 1))
        alpha = np.arctan2(z, -y)  # angle of the hip→ankle line forward of vertical
        beta = np.arccos(np.clip((th**2 + d**2 - sh**2) / (2 * th * d), -1, 1))
        thigh_w = np.degrees(alpha + beta)
        kd = np.degrees(knee)
        foot_w = -10.0 + 12.0 * np.sin(a + 0.5)  # ankling: toes down more in the down stroke
        pose[f"hip_flex_{s}"] = thigh_w + tilt
        pose[f"knee_flex_{s}"] = kd
        pose[f"ankle_dorsi_{s}"] = foot_w + kd - thigh_w
    pose["pelvis_obliq"] = 2.0 * intensity * np.sin(theta)
    # + lat bends the spine against the pelvis's + obliquity: the trunk stays upright over the saddle
    pose["spine_lat"] = 2.0 * intensity * np.sin(theta)
    local = pose_to_local(pose, n)
    speed = cad / 60 * float(rng.uniform(4.0, 6.5))
    root = np.zeros((n, 3))
    root[:, 2] = speed * t
    # the bottom bracket 0.28 m up; rho is measured from the hip joint, which sits below the pelvis (root)
    root[:, 1] = 0.28 - rho * u[1] - off[1, 1] * np.cos(np.deg2rad(tilt))
    root[:, 0] = 0.01 * smooth_noise(rng, n, fps, 0.3)[:, 0]
    return Track(local, root, np.zeros((n, 2)), "cycling", {"cadence_rpm": round(cad, 2), "speed_mps": round(speed, 3)})


def _hop_track(person: Person, n: int, fps: float, rng, pose: dict, stance: np.ndarray, label: str, meta: dict,
               root_hz: float, foot_hz: float = FOOT_HZ):
    """Foot-anchored hops made physically smooth.

    The rigid contact model joins stance (root from the leg keyframes, velocity ≈ 0 at take-off)
    and ballistic flight (take-off velocity √(2gh)) with a velocity step, i.e. an infinite
    acceleration at take-off and touch-down. The vertical root path is low-passed (zero-phase
    Gaussian, −3 dB at ``root_hz``): a velocity step Δv then becomes an acceleration pulse of peak
    Δv / (σ√(2π)) = 3.0 Δv · ``root_hz`` spread over ≈ 4σ = 0.53 / ``root_hz`` s, the push-off /
    landing-absorption time; the legs are re-solved so planted feet stay put and the ankles are
    smoothed at ``foot_hz`` (see ``smooth_root_keep_feet``).
    """
    local = pose_to_local(pose, n)
    P, G = rel_fk(local, person)
    w = np.stack([stance, stance], 1).astype(float)
    root = anchored_root(foot_contact_points(P, G, person, fps), w, fps)
    local, root = smooth_root_keep_feet(local, root, person, fps, root_hz, 2.0, foot_hz=foot_hz,
                                        soft_knee_deg=SOFT_KNEE_DEG)
    return Track(local, root, w, label, meta)


def jumping(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
            intensity: float = 1.0, **_) -> Track:
    """Repeated vertical countermovement jumps in place."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    h = float(np.clip(rng.uniform(0.15, 0.35) * intensity, 0.05, 0.6))
    t_flight = 2 * np.sqrt(2 * h / GRAVITY)
    period = float(rng.uniform(1.8, 3.0)) / intensity ** 0.3
    # cycle: stand 0 → countermovement (0.45 s) → push-off (0.25 s) → flight → landing absorb (0.35 s) → stand
    t1, t2 = 0.2, 0.65
    t3 = t2 + 0.25
    t4 = t3 + t_flight
    t5 = t4 + 0.35
    # the cycle holds every key frame, the arms' last (t5 + 0.25 s) with 0.1 s to spare: a shorter period
    # (it was t_flight + 1.2 s at least) put key frames past its end, out of order, and the legs and arms
    # jumped within a frame at the wrap (up to 54 g at a wrist joint)
    period = max(period, t5 + 0.35)
    ph = np.mod(t / period + rng.uniform(0, 1), 1.0) * period  # seconds into the cycle
    kt = [0.0, t1, t2, t3, t4, t5, period]
    knee = keyframes(ph, kt, [3, 3, 70, 5, 10, 45, 3])
    hip = keyframes(ph, kt, [0, 0, 65, 0, 10, 35, 0])
    ank = keyframes(ph, kt, [2, 2, 25, -30, -25, 15, 2])
    # arm swing: back during the countermovement, forwards-up through push-off (≈ 0.6 s for ≈ 150°,
    # peak shoulder rate ≈ 8 rad/s, as in arm-swing CMJs), down during the landing absorption
    arm = keyframes(ph, [0.0, 0.1, 0.45, t3 + 0.15, t4 + 0.05, t5 + 0.25, period], [5, 5, -40, 110, 100, 20, 5])
    tilt = keyframes(ph, kt, [0, 0, 25, 0, 0, 12, 0])
    base = standing_pose(person, rng)
    pose = dict(base)
    pose["pelvis_tilt"] = tilt
    for s in ("L", "R"):
        pose[f"hip_flex_{s}"] = hip + tilt * 0.0
        pose[f"knee_flex_{s}"] = knee
        pose[f"ankle_dorsi_{s}"] = ank
        pose[f"sh_flex_{s}"] = arm
        pose[f"elbow_flex_{s}"] = 15 + 0.05 * (arm + 40)  # smooth (|arm| would kink at 0°)
    stance = ~((ph > t3) & (ph < t4))
    return _hop_track(person, n, fps, rng, pose, stance, "jumping", {"jump_height_m": round(h, 3),
                                                                     "period_s": round(period, 3)},
                      root_hz=3.0, foot_hz=JUMP_FOOT_HZ)


def _hops(t: np.ndarray, f_hop: float, flight: float, phase0: float):
    """Hop phase in [0, 1) (0 = touch-down), flight mask, and the landing flexion bump.

    The bump is sin²(π·phase/stance) over the ground contact and 0 in flight: it starts and ends
    with zero rate at touch-down / take-off (the legs are stiff at contact and flex most at
    mid-stance, as in hopping), so the joint angles have no kinks at the contacts.
    """
    ph = np.mod(t * f_hop + phase0, 1.0)
    fl = flight * f_hop
    st = 1.0 - fl
    bump = np.where(ph < st, np.sin(np.pi * np.minimum(ph, st) / st) ** 2, 0.0)
    return ph, ph >= st, bump


def jumping_jacks(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
                  intensity: float = 1.0, **_) -> Track:
    """Jumping jacks: two hops per cycle, legs apart/together, arms overhead/down."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    cyc = float(rng.uniform(0.9, 1.2)) / intensity ** 0.3
    f_hop = 2.0 / cyc
    flight = float(rng.uniform(0.13, 0.2))
    ph_hop, in_flight, land = _hops(t, f_hop, flight, 0.0)
    cphase = np.mod(t / cyc, 1.0)
    # open during the second half of the cycle; transitions happen in the flights
    fl = flight / cyc
    open_w = keyframes(cphase, [0.0, 0.5 - fl, 0.5, 1.0 - fl, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0])
    base = standing_pose(person, rng)
    pose = dict(base)
    abd_leg = float(rng.uniform(12, 20)) * intensity ** 0.5
    arm_top = float(rng.uniform(150, 175))
    # arms: a raised cosine over the whole cycle (down at the closed landing, overhead at the open
    # one), not a flip within the flight: ≈ 160° in half a cycle gives peak shoulder rates ≈ 8–10
    # rad/s and wrist accelerations ≈ 4–8 g, as measured at the wrist in jumping jacks
    arm_w = 0.5 - 0.5 * np.cos(2 * np.pi * (cphase - 0.5 + fl / 2))
    for s in ("L", "R"):
        pose[f"hip_abd_{s}"] = 2 + abd_leg * open_w
        pose[f"knee_flex_{s}"] = 5 + 25 * land
        pose[f"hip_flex_{s}"] = 3 + 15 * land
        pose[f"ankle_dorsi_{s}"] = -15 + 20 * land
        pose[f"sh_abd_{s}"] = 8 + (arm_top - 8) * arm_w
        pose[f"elbow_flex_{s}"] = 10 + 10 * arm_w
        pose[f"sh_rot_{s}"] = 0.0
    pose["pelvis_tilt"] = 8 * land
    return _hop_track(person, n, fps, rng, pose, ~in_flight, "jumping_jacks",
                      {"cycle_s": round(cyc, 3), "flight_s": round(flight, 3)}, root_hz=4.0)


def jumping_rope(person: Person, duration_s: float, fps: float, rng: np.random.Generator, *,
                 intensity: float = 1.0, **_) -> Track:
    """Rope skipping on both feet with the rope turned by the wrists."""
    n = _n(duration_s, fps)
    t = np.arange(n) / fps
    f_hop = float(rng.uniform(110, 150)) / 60 * intensity ** 0.2
    flight = float(np.clip(rng.uniform(0.16, 0.22), 0.1, 0.6 / f_hop))
    ph_hop, in_flight, land = _hops(t, f_hop, flight, rng.uniform(0, 1))
    base = standing_pose(person, rng)
    pose = dict(base)
    rope = 2 * np.pi * ph_hop
    for s, sg in (("L", 1.0), ("R", -1.0)):
        pose[f"knee_flex_{s}"] = 6 + 22 * land
        pose[f"hip_flex_{s}"] = 4 + 14 * land
        pose[f"ankle_dorsi_{s}"] = -22 + 20 * land
        pose[f"sh_abd_{s}"] = 25.0
        pose[f"sh_flex_{s}"] = 10 + 5 * np.sin(rope)
        pose[f"elbow_flex_{s}"] = 70 + 8 * np.cos(rope)
        pose[f"wrist_flex_{s}"] = 25 * np.sin(rope)
        pose[f"wrist_dev_{s}"] = 20 * np.cos(rope)
        pose[f"elbow_sup_{s}"] = -30.0
    pose["pelvis_tilt"] = 4 * land
    return _hop_track(person, n, fps, rng, pose, ~in_flight, "jumping_rope",
                      {"skips_per_min": round(f_hop * 60, 1), "flight_s": round(flight, 3)}, root_hz=5.0)
