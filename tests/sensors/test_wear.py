"""Variation of wear: closed-form physics, switches, seeding, provenance and the configured spreads."""

from __future__ import annotations

import hashlib
import itertools
import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.recording import read_recording, write_recording
from imuforge.sensors import Placement, get_placement, ideal_imu, load_profile
from imuforge.sensors.placement import PLACEMENTS, mirror_placement
from imuforge.sensors.simulate import simulate
from imuforge.sensors.wear import (
    FLIPS,
    PHONE_POCKET,
    SHOE,
    SPREADS,
    WATCH,
    Looseness,
    Wear,
    WearVariation,
    apply_looseness,
    draw_wear,
    local_axes,
    realise,
    wobble_response,
)
from imuforge.units import STANDARD_GRAVITY as G
from tests.conftest import rigid_motion, still_motion

LOOSE_ONLY = WearVariation(rotation=False, offset=False, looseness=True, flips=False, side=False)


def _busy_motion(fps: float = 50.0, seconds: float = 4.0):
    t = np.arange(0, seconds + 1e-9, 1 / fps)
    return rigid_motion(
        t, lambda t: np.column_stack([0.3 * np.sin(2 * np.pi * 1.1 * t), 1.0 + 0.05 * np.sin(2 * np.pi * 1.9 * t),
                                      0.8 * t]),
        lambda t: Rotation.from_rotvec(np.column_stack([0.4 * np.sin(2 * np.pi * 0.7 * t),
                                                        0.3 * np.cos(2 * np.pi * 1.3 * t),
                                                        0.2 * np.sin(2 * np.pi * 2.1 * t)])), fps)


def _digest(rec) -> str:
    return hashlib.sha256(np.ascontiguousarray(rec.data).tobytes()
                          + np.ascontiguousarray(rec.timestamps).tobytes()).hexdigest()[:32]


# Bytes of today's simulator (commit aad26f6, before wear variation existed) for this closed-form motion.
GOLDEN = {None: "3ea03f43285979d8310440d31aa3ba8e", "pocket_right_thigh": "ccc14b5b644e284373de202debb6072d",
          "chest": "6c9878909e1f725d870fe3d0d418b0bb"}


@pytest.mark.parametrize("placement", list(GOLDEN))
@pytest.mark.parametrize("off", [None, False, "none", WearVariation.none()])
def test_off_switch_reproduces_todays_output_byte_for_byte(profile_dir, placement, off):
    motion = _busy_motion()
    for backend in ("numpy", "auto"):
        rec = simulate(motion, "testband", placement, seed=11, backend=backend, wear=off)
        assert _digest(rec) == GOLDEN[placement]
        assert "wear" not in rec.provenance


def test_rotation_about_the_segment_axis_rotates_a_still_reading_exactly(profile_dir):
    body = Rotation.from_euler("xyz", [20, -35, 50], degrees=True)
    motion = still_motion(3.0, 20.0, body)
    base = get_placement("wrist_left")
    theta = 13.0
    worn = realise(base, rotation_deg=(theta, 0.0, 0.0))
    a = local_axes(base)[0]
    np.testing.assert_allclose(a, [1, 0, 0])  # the forearm's long axis
    f0 = simulate(motion, "testband", base, errors=False).acc
    f1 = simulate(motion, "testband", worn, errors=False).acc
    # sensor frame: f1 = (R_a(θ) R)ᵀ f_seg = Rᵀ R_a(θ)ᵀ R f0
    turn = base.rotation.T @ Rotation.from_rotvec(np.radians(theta) * a).as_matrix().T @ base.rotation
    np.testing.assert_allclose(f1, f0 @ turn.T, atol=1e-9)
    assert np.degrees(np.arccos(np.clip(np.mean(np.sum(f0 * f1, 1)) / G**2, -1, 1))) > 1.0  # it did move


def test_drawn_rotation_is_the_recorded_angles(profile_dir):
    motion = still_motion(3.0, 20.0, Rotation.from_euler("y", 30, degrees=True))
    only_rot = WearVariation(rotation=True, offset=False, looseness=False, flips=False, side=False)
    rec = simulate(motion, "testband", "wrist_left", errors=False, wear=only_rot, wear_seed="person-7")
    deg = rec.provenance["wear"]["rotation_deg"]
    worn = realise(get_placement("wrist_left"), rotation_deg=(deg["long_axis"], deg["normal"], deg["third"]))
    ref = simulate(motion, "testband", worn, errors=False)
    np.testing.assert_allclose(rec.data, ref.data, atol=1e-12)


def test_flips_are_the_four_half_turns_of_the_device(profile_dir):
    motion = still_motion(2.0, 20.0, Rotation.from_euler("zx", [25, -40], degrees=True))
    base = get_placement("pocket_right_thigh")
    f0 = simulate(motion, "testband", base, errors=False).acc
    for name, F in FLIPS.items():
        f = simulate(motion, "testband", realise(base, flip=name), errors=False).acc
        np.testing.assert_allclose(f, f0 @ F, atol=1e-9)  # F diagonal: the named axes change sign
    assert sorted(FLIPS) == ["none", "screen_in", "screen_in_upside_down", "upside_down"]


def test_mirror_swaps_side_and_keeps_the_presets():
    assert mirror_placement(PLACEMENTS["wrist_left"]).rotation.tolist() == PLACEMENTS["wrist_right"].rotation.tolist()
    assert mirror_placement(PLACEMENTS["wrist_left"]).offset_m == PLACEMENTS["wrist_right"].offset_m
    assert mirror_placement(PLACEMENTS["pocket_right_thigh"]).name == "pocket_left_thigh"
    assert mirror_placement(PLACEMENTS["chest"]) is PLACEMENTS["chest"]
    custom = Placement("band", "left_forearm", "left_wrist", (-0.05, 0.02, 0.01), Rotation.random(random_state=3)
                       .as_matrix())
    m = mirror_placement(custom)
    assert (m.name, m.segment, m.anchor, m.offset_m) == ("band~mirrored", "right_forearm", "right_wrist",
                                                        (0.05, 0.02, 0.01))
    assert np.isclose(np.linalg.det(m.rotation), 1.0)


# ----------------------------------------------------------------------------------- the wobble
def _sine_fit(x: np.ndarray, t: np.ndarray, f: float) -> complex:
    """Complex amplitude c of x ≈ Re(c e^{j2πft}) (least squares with an offset)."""
    w = 2 * np.pi * f
    A = np.column_stack([np.cos(w * t), -np.sin(w * t), np.ones_like(t)])
    c, *_ = np.linalg.lstsq(A, x, rcond=None)
    return complex(c[0], c[1])


@pytest.mark.parametrize("ratio", [0.3, 1.0, 2.0])
def test_wobble_steady_response_is_the_second_order_transfer_function(ratio):
    fn, zeta, fs = 12.0, 0.3, 1000.0
    f = ratio * fn
    t = np.arange(0, 6.0, 1 / fs)
    a = np.zeros((t.size, 3))
    a[:, 1] = 2.0 * np.cos(2 * np.pi * f * t)
    u, ud, udd = wobble_response(a, fs, fn, zeta)
    keep = t > 3.0  # transients gone: e^{-ζωₙ·3 s} ≈ 1e-29
    wn, w = 2 * np.pi * fn, 2 * np.pi * f
    H_u = -1.0 / (wn**2 - w**2 + 2j * zeta * wn * w)
    H_dev = (wn**2 + 2j * zeta * wn * w) / (wn**2 - w**2 + 2j * zeta * wn * w)  # transmissibility
    for x, H in ((u[:, 1], H_u), (ud[:, 1], 1j * w * H_u), (a[:, 1] + udd[:, 1], H_dev)):
        got = _sine_fit(x[keep], t[keep], f) / 2.0
        assert abs(abs(got) / abs(H) - 1) < 0.01
        assert abs(np.angle(got / H)) < 0.01
    assert np.max(np.abs(u[:, [0, 2]])) == 0.0


def test_wobble_is_measured_by_the_accelerometer_and_the_gyro():
    """Segment translating along x: the device reads the transmissibility on x and φ̇ = u̇/ρ on y."""
    fps, f, A = 400.0, 6.0, 2.0
    t = np.arange(0, 5.0 + 1e-9, 1 / fps)
    w = 2 * np.pi * f
    motion = rigid_motion(t, lambda t: np.column_stack([-A / w**2 * np.cos(w * t), np.ones_like(t), np.zeros_like(t)]),
                          lambda t: Rotation.from_quat(np.tile([0, 0, 0, 1.0], (t.size, 1))), fps)
    probe = Placement("probe", "pelvis")
    loose = Looseness(15.0, 0.25, 0.03, (0.0, 0.0, 1.0))
    wear = Wear("probe", probe, None, "none", (0.0, 0.0, 0.0), 0.0, loose, "k", LOOSE_ONLY)
    fs = 1600.0
    ideal = ideal_imu(motion, [probe], rate_hz=fs)
    apply_looseness(motion, ideal, [wear], fs)
    keep = ideal.times > 2.5
    wn = 2 * np.pi * loose.natural_hz
    den = wn**2 - w**2 + 2j * loose.damping * wn * w
    acc = _sine_fit(ideal.acc[0, keep, 0], ideal.times[keep], f) / A
    H_dev = (wn**2 + 2j * loose.damping * wn * w) / den
    assert abs(acc / H_dev - 1) < 0.01
    rate = _sine_fit(ideal.gyro[0, keep, 1], ideal.times[keep], f) / A
    H_rate = 1j * w * (-1.0 / den) / loose.pivot_m
    assert abs(rate / H_rate - 1) < 0.01
    np.testing.assert_allclose(ideal.acc[0, keep, 1], G, atol=1e-3)  # gravity unaffected by a rock about y


def test_loose_device_measures_nothing_extra_when_still(profile_dir):
    motion = still_motion(3.0, 20.0, Rotation.from_euler("xy", [10, 70], degrees=True))
    for errors in (False, True):
        rigid = simulate(motion, "testband", "chest", seed=2, errors=errors)
        loose = simulate(motion, "testband", "chest", seed=2, errors=errors, wear=LOOSE_ONLY)
        np.testing.assert_allclose(loose.data, rigid.data, atol=1e-9 if not errors else 0.05)
        assert loose.provenance["wear"]["looseness"]["natural_hz"] > 0


def test_end_to_end_wobble_follows_its_recorded_parameters(profile_dir):
    """A still and a shaken pelvis through simulate(): the recorded f_n, ζ, ρ predict the readings."""
    probe = Placement("probe", "pelvis")
    fps = 500.0
    first = simulate(still_motion(2.0, fps), "testband", probe, errors=False, wear=LOOSE_ONLY, wear_seed=5)
    lz = first.provenance["wear"]["looseness"]
    assert lz["normal"] == [0.0, 0.0, 1.0] or np.allclose(lz["normal"], [0, 0, 1])
    f, A = 0.5 * lz["natural_hz"], 1.5
    w = 2 * np.pi * f
    t = np.arange(0, 4.0 + 1e-9, 1 / fps)
    motion = rigid_motion(t, lambda t: np.column_stack([-A / w**2 * np.cos(w * t), np.ones_like(t), np.zeros_like(t)]),
                          lambda t: Rotation.from_quat(np.tile([0, 0, 0, 1.0], (t.size, 1))), fps)
    rec = simulate(motion, "testband", probe, errors=False, wear=LOOSE_ONLY, wear_seed=5)
    assert rec.provenance["wear"]["looseness"] == lz  # keyed by the person, not by the motion
    keep = rec.timestamps > 1.5
    wn = 2 * np.pi * lz["natural_hz"]
    den = wn**2 - w**2 + 2j * lz["damping"] * wn * w
    got = _sine_fit(rec.acc[keep, 0], rec.timestamps[keep], f) / A
    assert abs(got / ((wn**2 + 2j * lz["damping"] * wn * w) / den) - 1) < 0.01
    rate = _sine_fit(rec.gyro[keep, 1], rec.timestamps[keep], f) / A
    assert abs(rate / (1j * w * (-1.0 / den) / lz["pivot_m"]) - 1) < 0.01


# --------------------------------------------------------------------- seeding and provenance
def test_same_seed_same_bytes_and_wear_belongs_to_the_person(profile_dir):
    motion = _busy_motion()
    motion.meta["person"] = {"height_m": 1.71, "handedness": "right"}  # as the motion library records it
    a = simulate(motion, "testband", "pocket_right_thigh", seed=3, wear="default", subject="p1")
    b = simulate(motion, "testband", "pocket_right_thigh", seed=3, wear="default", subject="p1")
    assert a == b and a.data.tobytes() == b.data.tobytes()
    c = simulate(motion, "testband", "pocket_right_thigh", seed=4, wear="default", subject="p1")
    assert c.provenance["wear"] == a.provenance["wear"]  # another device, the same person
    d = simulate(motion, "testband", "pocket_right_thigh", seed=3, wear="default", subject="p2")
    assert d.provenance["wear"] != a.provenance["wear"]
    motion.meta["person"] = {"height_m": 1.80, "handedness": "right"}  # another body, same subject name
    assert simulate(motion, "testband", "pocket_right_thigh", seed=3, wear="default", subject="p1") \
        .provenance["wear"]["rotation_deg"] != a.provenance["wear"]["rotation_deg"]


def test_switching_one_source_off_keeps_the_other_draws(profile_dir):
    motion = _busy_motion()
    full = simulate(motion, "testband", "pocket_right_thigh", wear="default", wear_seed=9).provenance["wear"]
    part = simulate(motion, "testband", "pocket_right_thigh", wear="rotation,side", wear_seed=9).provenance["wear"]
    assert part["rotation_deg"] == full["rotation_deg"] and part["side"] == full["side"]
    assert part["flip"] == "none" and part["offset_m"] == 0.0 and part["looseness"] is None


def test_provenance_round_trips_through_save_and_load(profile_dir, tmp_path):
    rec = simulate(_busy_motion(), "testband", "wrist_left", seed=1, wear="default", wear_seed="someone")
    w = rec.provenance["wear"]
    assert set(w) >= {"side", "flip", "rotation_deg", "offset_m", "looseness", "switches", "placement"}
    assert w["placement"] == rec.placement and w["side"] in ("left", "right")
    for suffix in (".imu.parquet", ".csv"):
        back = read_recording(write_recording(rec, tmp_path / f"r{suffix}"))
        assert back.provenance == rec.provenance


def test_wear_variation_parse():
    assert WearVariation.parse("none") == WearVariation.none() == WearVariation.parse(None)
    assert WearVariation.parse("default") == WearVariation() == WearVariation.parse(True)
    assert WearVariation.parse("rotation, looseness") == WearVariation(True, False, True, False, False)
    with pytest.raises(ValidationError, match="allowed"):
        WearVariation.parse("rotation,wobble")


# ------------------------------------------------------------------------- configured spreads
N_DRAWS = 4000


def _draws(placement: str, handedness: str = "right") -> list[Wear]:
    p = get_placement(placement)
    return [draw_wear(p, WearVariation(), f"person-{i}", handedness) for i in range(N_DRAWS)]


def _check_normal_sd(x: np.ndarray, sd: float):
    """Sample variance of N normal draws: s²/σ² has SD √(2/(N−1)); allow 5 of them."""
    assert abs(np.var(x, ddof=1) / sd**2 - 1) < 5 * math.sqrt(2 / (x.size - 1))
    assert abs(np.mean(x)) < 5 * sd / math.sqrt(x.size)


def _check_proportion(hits: np.ndarray, p: float):
    assert abs(hits.mean() - p) < 5 * math.sqrt(p * (1 - p) / hits.size)


def test_watch_draws_match_the_configured_distribution():
    ws = _draws("wrist_left")
    ang = np.array([w.rotation_deg for w in ws])
    for k in range(3):
        _check_normal_sd(ang[:, k], WATCH.rotation_sd_deg[k])
    _check_normal_sd(np.array([w.offset_m for w in ws]), WATCH.offset_sd_m)
    _check_proportion(np.array([w.flip == "upside_down" for w in ws]), WATCH.flip_p[1])
    # right-handed people: the watch on the dominant (right) wrist with p_dominant_side
    _check_proportion(np.array([w.side == "right" for w in ws]), WATCH.p_dominant_side)
    assert {w.placement.name for w in ws} == {"wrist_left", "wrist_right"}
    lefties = _draws("wrist_left", "left")[:1000]
    _check_proportion(np.array([w.side == "left" for w in lefties]), WATCH.p_dominant_side)
    logk = np.log([w.looseness.stiffness_n_per_m for w in ws])
    lo, hi = np.log(WATCH.stiffness_n_per_m)
    # log-uniform stiffness: mean (lo+hi)/2, SD (hi−lo)/√12
    assert abs(logk.mean() - (lo + hi) / 2) < 5 * (hi - lo) / math.sqrt(12 * logk.size)
    assert logk.min() >= lo and logk.max() <= hi
    fn = np.array([w.looseness.natural_hz for w in ws])
    np.testing.assert_allclose(fn, np.sqrt(np.exp(logk) / WATCH.mass_kg) / (2 * np.pi))
    assert WATCH.natural_hz_range()[0] <= fn.min() and fn.max() <= WATCH.natural_hz_range()[1]


def test_pocket_yaw_is_uniform_and_flips_equally_likely():
    ws = _draws("pocket_right_thigh")
    yaw = np.array([w.rotation_deg[1] for w in ws])
    h = PHONE_POCKET.yaw_half_width_deg
    # uniform on ±h: variance h²/3; the sample variance has SD h²·√(4/45/N)
    assert abs(np.var(yaw, ddof=1) - h**2 / 3) < 5 * h**2 * math.sqrt(4 / 45 / yaw.size)
    assert yaw.min() >= -h and yaw.max() <= h
    for name in PHONE_POCKET.flips:
        _check_proportion(np.array([w.flip == name for w in ws]), 0.25)
    _check_proportion(np.array([w.side == "left" for w in ws]), 0.5)


def test_shoe_sensor_tilt_is_uniform_and_noses_down(standing):
    ws = _draws("foot_right")
    pitch = np.array([w.rotation_deg[2] for w in ws])
    lo, hi = SHOE.tilt_range_deg
    sd = SHOE.rotation_sd_deg[2]
    # normal(0, sd) + uniform(lo, hi): mean (lo+hi)/2, variance sd² + (hi−lo)²/12
    var = sd**2 + (hi - lo) ** 2 / 12
    assert abs(pitch.mean() - (lo + hi) / 2) < 5 * math.sqrt(var / pitch.size)
    assert abs(np.var(pitch, ddof=1) / var - 1) < 5 * math.sqrt(2 / (pitch.size - 1))  # ≈ normal bound
    # bounded like a uniform, not a normal of that variance: within the range ± 5 SD of the normal part,
    # and the range's ends reached (a normal of SD 16.2° would pass the moments but exceed these bounds)
    assert lo - 5 * sd < pitch.min() < lo + 5 and hi - 5 < pitch.max() < hi + 5 * sd
    # a sensor on the instep's slope: standing still, gravity leaves +z by the tilt and the nose (+x)
    # reads −g·sin(tilt), as gaitmap's raw shoe frames do (x ≈ −0.66 g, z ≈ +0.75 g at 41°); either foot,
    # and a right-foot preset worn on the left foot (mirrored, as a side draw does)
    worn_as = [("foot_right", False), ("foot_left", False), ("foot_right", True)]
    for (name, mirror), tilt in itertools.product(worn_as, (20.0, 45.0)):
        worn = realise(get_placement(name), mirror=mirror, rotation_deg=(0.0, 0.0, tilt))
        acc = simulate(standing, "metamotions", worn, errors=False).acc.mean(0)
        s, c = math.sin(math.radians(tilt)), math.cos(math.radians(tilt))
        np.testing.assert_allclose(acc, [-G * s, 0.0, G * c], atol=1e-6 * G)


def test_every_spread_is_sourced():
    for s in SPREADS.values():
        assert "stiffness_n_per_m" in s.sources and "damping" in s.sources
        assert all(isinstance(v, str) and v for v in s.sources.values())


# ---------------------------------------------------------- presets and the device profiles' poses
@pytest.fixture(scope="module")
def standing():
    """A person standing still, arms hanging straight at the sides, palms toward the thighs (closed form).

    From the rest T-pose (palms down): each shoulder turns the arm 90° down about the body's forward
    axis, so the back of each wrist faces outward and every other segment stays upright.
    """
    from imuforge.motion import HUMANML3D_22, Motion
    from imuforge.motion.kinematics import forward_kinematics
    from imuforge.motion.skeleton import rest_offsets

    T, J = 101, HUMANML3D_22.n_joints
    local = np.tile([0.0, 0.0, 0.0, 1.0], (T, J, 1))
    local[:, HUMANML3D_22.index("left_shoulder")] = Rotation.from_euler("z", -90, degrees=True).as_quat()
    local[:, HUMANML3D_22.index("right_shoulder")] = Rotation.from_euler("z", 90, degrees=True).as_quat()
    pos, ori = forward_kinematics(local, np.tile([0.0, 0.95, 0.0], (T, 1)), rest_offsets(1.75))
    return Motion(pos, ori, 50.0)


# placement → (axis, sign) of the accelerometer axis that points up when the person stands still,
# arms hanging: Android/iOS phone and Wear OS/watchOS axes (a device's +axis up reads +g)
UP_AXIS = {
    "waist_front": (1, +1),            # portrait phone on the belt: +y up
    "waist_left_landscape": (0, +1),   # UCI-HAR: landscape, +x up
    "pocket_right_thigh": (1, +1), "pocket_left_thigh": (1, +1), "chest": (1, +1), "lower_back": (1, +1),
    "head": (1, +1),
    "wrist_left": (0, -1),             # x (3 o'clock, crown) toward the hand: down with the arm hanging
    "wrist_right": (0, +1),            # worn the usual way on the right wrist, 3 o'clock points to the elbow
    "ankle_right": (0, +1), "ankle_left": (0, +1),
    "knee_right": (0, +1), "knee_left": (0, +1),
    "foot_right": (2, +1), "foot_left": (2, +1),   # a sensor laced flat on the shoe: +z up
    "upper_arm_left": (0, -1), "upper_arm_right": (0, +1),
    "hip_right_front": (1, +1), "hip_left_front": (1, +1),   # clipped upright at the front of the hip
    "shin_right": (1, +1), "shin_left": (1, +1),             # phone upright on the shin
    "forearm_left": (1, +1), "forearm_right": (1, +1),       # phone along the forearm, top toward the elbow
}


def test_every_preset_has_its_stated_axis_up_when_standing(standing):
    assert set(UP_AXIS) == set(PLACEMENTS)
    for name, (axis, sign) in UP_AXIS.items():
        acc = simulate(standing, "smartwatch-wrist", name, errors=False).acc.mean(0)
        assert sign * acc[axis] > 0.999 * G, (name, acc)  # exactly ±g up to the ideal sensor's rounding


@pytest.mark.parametrize("device", ["axivity-ax3", "metamotions", "nano33-ble-sense", "nano33-ble-sense-rev2",
                                    "polar-verity-sense", "smartphone-waist", "smartwatch-wrist"])
def test_device_default_placement_gravity_when_standing_still(standing, device):
    prof = load_profile(device)
    axis, sign = UP_AXIS[prof.default_placement]
    acc = simulate(standing, prof, errors=False).acc.mean(0)
    assert sign * acc[axis] > 0.999 * G and abs(np.linalg.norm(acc) - G) < 1e-6 * G, (device, acc)
    if device == "smartphone-waist":  # UCI-HAR's phone: x up (its standing gravity mean X ≈ +0.94 g)
        assert acc[0] > 0.9 * G


def test_wobble_readings_are_the_derivatives_of_the_worn_devices_own_trajectory():
    """Physical consistency: rebuild the loose device's world path and attitude, differentiate them
    numerically, and compare with what apply_looseness says it measures (translating + rotating segment)."""
    fps, fs, seconds = 200.0, 2000.0, 3.0
    k1, k2 = 2 * np.pi * 1.1, 2 * np.pi * 1.9

    def P(t):
        return np.column_stack([0.3 * np.sin(k1 * t), 1.0 + 0.05 * np.sin(k2 * t), 0.8 * t])

    def R(t):
        return Rotation.from_rotvec(np.column_stack([0.4 * np.sin(2 * np.pi * 0.7 * t),
                                                     0.3 * np.cos(2 * np.pi * 1.3 * t),
                                                     0.2 * np.sin(2 * np.pi * 2.1 * t)]))

    frames = np.arange(0, seconds + 1e-9, 1 / fps)
    motion = rigid_motion(frames, P, R, fps)
    mount = Rotation.from_euler("xyz", [30, -20, 75], degrees=True).as_matrix()
    probe = Placement("probe", "pelvis", offset_m=(0.05, 0.02, 0.10), rotation=mount)
    loose = Looseness(12.0, 0.4, 0.03, tuple(mount[:, 2]))
    wear = Wear("probe", probe, None, "none", (0.0, 0.0, 0.0), 0.0, loose, "k", LOOSE_ONLY)
    ideal = ideal_imu(motion, [probe], rate_hz=fs)
    apply_looseness(motion, ideal, [wear], fs)

    t, h = ideal.times, 1.0 / fs
    r = np.asarray(probe.offset_m)
    Rt = R(t)

    def d2(x):  # 4th-order central second difference on the grid (interior)
        out = np.full_like(x, np.nan)
        out[2:-2] = (-x[4:] + 16 * x[3:-1] - 30 * x[2:-2] + 16 * x[1:-3] - x[:-4]) / (12 * h * h)
        return out

    nominal = P(t) + Rt.apply(r)
    a_seg = Rt.inv().apply(np.nan_to_num(d2(nominal)))
    n_vec = np.asarray(loose.normal)
    a_t = a_seg - np.outer(a_seg @ n_vec, n_vec)
    a_t[:2], a_t[-2:] = a_t[2], a_t[-3]
    u, _, _ = wobble_response(a_t, fs, loose.natural_hz, loose.damping)
    device = P(t) + Rt.apply(r + u)
    Rw = Rotation.from_rotvec(np.cross(n_vec, u) / loose.pivot_m)
    Q = Rt * Rw * Rotation.from_matrix(mount)
    f_expect = Q.inv().apply(d2(device) - np.array([0.0, -G, 0.0]))
    w_expect = np.full((t.size, 3), np.nan)
    w_expect[1:-1] = (Q[:-2].inv() * Q[2:]).as_rotvec() / (2 * h)
    inner = slice(int(0.5 * fs), int(2.5 * fs))  # away from the ends (spline and start-up transients)
    f_err = np.abs(ideal.acc[0, inner] - f_expect[inner]).max()
    w_err = np.abs(ideal.gyro[0, inner] - w_expect[inner]).max()
    wobble_f = np.abs(ideal.acc[0, inner] - ideal_imu(motion, [probe], rate_hz=fs).acc[0, inner]).max()
    assert wobble_f > 0.05  # the wobble is there …
    assert f_err < 2e-3 * wobble_f and f_err < 1e-3  # … and is what the device's own path implies
    assert w_err < 1e-3


# ----------------------------------------------------------------------------- muscle tuning of the damping
def test_each_person_sits_at_one_place_in_both_damping_ranges():
    """One uniform draw per person: ζ uniform in ``damping``, ζ_active at the same quantile of ``damping_active``
    (a loosely worn device is loose in both states)."""
    ws = _draws("pocket_right_thigh")
    z = np.array([w.looseness.damping for w in ws])
    za = np.array([w.looseness.damping_active for w in ws])
    (lo, hi), (lo_a, hi_a) = PHONE_POCKET.damping, PHONE_POCKET.damping_active
    np.testing.assert_allclose((za - lo_a) / (hi_a - lo_a), (z - lo) / (hi - lo), atol=1e-12)
    # uniform on [lo, hi]: mean (lo + hi)/2 with SD (hi − lo)/√(12 N)
    assert abs(z.mean() - (lo + hi) / 2) < 5 * (hi - lo) / math.sqrt(12 * z.size)
    assert lo <= z.min() and z.max() <= hi and hi < lo_a  # landing from flight damps more
    assert ws[0].to_dict()["looseness"]["damping_active"] == ws[0].looseness.damping_active


def test_muscle_activity_follows_the_activities():
    from imuforge.motion.motion import as_segments
    from imuforge.sensors.wear import MUSCLE_RAMP_S, muscle_activity

    t = np.arange(0, 30.0, 0.01)
    walk_run = as_segments([(0.0, 10.0, "walking"), (10.0, 20.0, "running"), (20.0, 30.0, "standing")])
    act = muscle_activity(walk_run, t)
    assert np.all(act[t < 10.0 - MUSCLE_RAMP_S] == 0.0) and np.all(act[(t > 10.0 + MUSCLE_RAMP_S) & (t < 19)] == 1.0)
    assert np.all(act[t > 20.0 + MUSCLE_RAMP_S] == 0.0)
    ramp = act[(t > 10.0 - MUSCLE_RAMP_S / 2) & (t < 10.0 + MUSCLE_RAMP_S / 2)]
    assert np.all(np.diff(ramp) >= 0) and abs(act[np.searchsorted(t, 10.0)] - 0.5) < 0.05  # half way at the change
    assert muscle_activity(as_segments([(0.0, 30.0, "walking")]), t) is None  # one damping throughout


def test_running_damps_the_wobble_as_its_recorded_active_damping_says():
    """The same shaken pelvis labelled walking, then running: each stretch's steady response is the
    transmissibility of its own damping ratio (closed form), and the two differ."""
    from imuforge.motion.motion import Motion

    fps, A = 400.0, 2.0
    loose = Looseness(12.0, 0.2, 0.03, (0.0, 0.0, 1.0), damping_active=0.7)
    f = loose.natural_hz  # at resonance the damping decides the amplitude
    w = 2 * np.pi * f
    t = np.arange(0, 8.0 + 1e-9, 1 / fps)
    base = rigid_motion(t, lambda t: np.column_stack([-A / w**2 * np.cos(w * t), np.ones_like(t),
                                                      np.zeros_like(t)]),
                        lambda t: Rotation.from_quat(np.tile([0, 0, 0, 1.0], (t.size, 1))), fps)
    motion = Motion(base.positions, base.orientations, fps, labels=[(0.0, 4.0, "walking"), (4.0, 8.0, "running")])
    probe = Placement("probe", "pelvis")
    wear = Wear("probe", probe, None, "none", (0.0, 0.0, 0.0), 0.0, loose, "k", LOOSE_ONLY)
    fs = 1600.0
    ideal = ideal_imu(motion, [probe], rate_hz=fs)
    apply_looseness(motion, ideal, [wear], fs)
    wn = 2 * np.pi * loose.natural_hz
    for zeta, keep in ((loose.damping, (ideal.times > 2.0) & (ideal.times < 3.7)),
                       (loose.damping_active, ideal.times > 6.0)):
        H_dev = (wn**2 + 2j * zeta * wn * w) / (wn**2 - w**2 + 2j * zeta * wn * w)
        got = _sine_fit(ideal.acc[0, keep, 0], ideal.times[keep], f) / A
        assert abs(got / H_dev - 1) < 0.01, (zeta, got, H_dev)
    assert abs(_transmissibility(loose.damping)) > 2 * abs(_transmissibility(loose.damping_active))


def _transmissibility(zeta: float) -> complex:
    """|device / segment acceleration| at resonance: (1 + 2jζ)/(2jζ)."""
    return (1 + 2j * zeta) / (2j * zeta)


def test_looseness_to_dict_is_asdicts_set_fields():
    import dataclasses
    import json

    full = Looseness(5.0, 0.3, 0.05, (0, 0, 1), 300.0, 0.1, 0.6)
    for loose in (Looseness(5.0, 0.3, 0.05, (0, 1, 0)), full):
        want = {k: v for k, v in dataclasses.asdict(loose).items() if v is not None}
        assert json.dumps(loose.to_dict()) == json.dumps(want | {"normal": list(loose.normal)})


def _scipy_wobble_filters(fs_hz: float, natural_hz: float, damping: float) -> tuple:
    """The wobble design as scipy.signal makes it (what wear._wobble_filters writes out)."""
    from scipy.signal import cont2discrete, lfilter_zi, ss2tf

    w = 2 * math.pi * natural_hz
    A = np.array([[0.0, 1.0], [-w * w, -2 * damping * w]])
    B = np.array([[0.0], [-1.0]])
    ad, bd, cd, dd, _ = cont2discrete((A, B, np.eye(2), np.zeros((2, 1))), 1.0 / fs_hz, method="foh")
    num, den = ss2tf(ad, bd, cd, dd)
    return num, den, tuple(lfilter_zi(b, den) for b in num)


def test_wobble_filter_design_has_scipys_bits():
    from imuforge.sensors.wear import _wobble_filters

    rng = np.random.default_rng(28)
    for i in range(3000):
        fs = float(rng.choice([50.0, 100.0, 104.0, 200.0, 400.0, 800.0, 1600.0])) if i % 2 else float(
            rng.uniform(10.0, 2000.0))
        natural, zeta = float(rng.uniform(0.001, 0.4999) * fs), float(rng.uniform(0.01, 1.99))
        got, want = _wobble_filters.__wrapped__(fs, natural, zeta), _scipy_wobble_filters(fs, natural, zeta)
        for g, x in zip((got[0], got[1], *got[2]), (want[0], want[1], *want[2])):
            assert g.dtype == x.dtype and g.shape == x.shape and g.tobytes() == x.tobytes(), (fs, natural, zeta)
