"""Nordic walking against the same person's walking: faster, longer steps, the elbow working harder."""

import numpy as np
import pytest

from imuforge.motion.body import Person
from imuforge.motion.library import generate
from imuforge.motion.library.gait import POLE_JOLT_MIN_FPS
from imuforge.motion.skeleton import HUMANML3D_22
from imuforge.sensors.impact import contact_events

J = {n: HUMANML3D_22.index(n) for n in ("left_shoulder", "left_elbow", "left_wrist", "spine3")}


def _elbow_deg(m):
    s, e, w = (m.positions[:, J[k]] for k in ("left_shoulder", "left_elbow", "left_wrist"))
    a, b = e - s, w - e
    c = np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


def _upper_arm_pitch(m):
    """Sagittal angle (deg) of the left upper arm in the trunk's forward / down plane."""
    a = m.positions[:, J["left_elbow"]] - m.positions[:, J["left_shoulder"]]
    fwd = m.positions[-1, 0] - m.positions[0, 0]
    fwd = np.array([fwd[0], 0.0, fwd[2]]) / np.hypot(fwd[0], fwd[2])
    return np.degrees(np.arctan2(a @ fwd, -a[:, 1]))


@pytest.mark.parametrize("seed", [3, 4])
def test_faster_with_longer_steps_than_the_persons_walk(seed):
    person = Person.sample(np.random.default_rng(seed))
    nw = generate("nordic_walking", 20.0, fps=100.0, rng=seed, person=person, turns=0.0)
    # the same person's walk at their preferred speed (a plain walk's default pace is slower: WALK_PACE)
    walk = generate("walking", 20.0, fps=100.0, rng=seed, person=person, turns=0.0, carrying="none",
                    speed=person.preferred_speed_mps)
    info, own = nw.meta["items"][0]["info"], walk.meta["items"][0]["info"]
    assert [s.label for s in nw.labels] == ["nordic_walking"] and info["carrying"] == "poles"
    # against that walk: 7 % faster with 15 % longer steps (the published ratios)
    assert info["speed_mps"] / own["speed_mps"] == pytest.approx(1.07, abs=1e-3)
    step = info["speed_mps"] / info["step_frequency_hz"] / (own["speed_mps"] / own["step_frequency_hz"])
    assert step == pytest.approx(1.15, abs=1e-3)
    for m, i in ((nw, info), (walk, own)):  # and the bodies travel at those speeds
        travelled = np.hypot(*(m.positions[-1, 0, [0, 2]] - m.positions[0, 0, [0, 2]]))
        assert travelled / m.duration_s == pytest.approx(i["speed_mps"], rel=0.05)


def test_the_elbow_ranges_further_than_walking_at_the_same_speed_the_shoulder_alike():
    person = Person.sample(np.random.default_rng(8))
    nw = generate("nordic_walking", 20.0, fps=100.0, rng=8, person=person, turns=0.0)
    v = nw.meta["items"][0]["info"]["speed_mps"]
    w = generate("walking", 20.0, fps=100.0, rng=8, person=person, speed=v, carrying="none", turns=0.0)

    def rng_of(x):
        return np.percentile(x, 95) - np.percentile(x, 5)

    assert rng_of(_elbow_deg(nw)) > 1.25 * rng_of(_elbow_deg(w))
    # the shoulder swings as walking's at that speed (the hanging arm's passive lag aside)
    assert rng_of(_upper_arm_pitch(nw)) == pytest.approx(rng_of(_upper_arm_pitch(w)), rel=0.35)
    assert np.median(_upper_arm_pitch(nw)) > np.median(_upper_arm_pitch(w))  # the hand ahead to plant


def test_the_heel_strikes_reach_the_impact_model():
    m = generate("nordic_walking", 10.0, fps=100.0, rng=1)
    ev = contact_events(m)
    info = m.meta["items"][0]["info"]
    assert len(ev) == sum(len(c) for c in info["contact_s"]) > 0
    assert set(ev.activity) == {"nordic_walking"}


@pytest.mark.parametrize("seed", [1, 2, 5, 10])
def test_the_pole_strikes_jolt_the_wrist_by_a_few_g_at_each_plant(seed):
    from imuforge.sensors.kinematics import ideal_imu

    fps = 200.0
    person = Person.sample(np.random.default_rng(seed))
    nw = generate("nordic_walking", 12.0, fps=fps, rng=seed, person=person, turns=0.0)
    info = nw.meta["items"][0]["info"]
    w = generate("walking", 12.0, fps=fps, rng=seed, person=person, speed=info["speed_mps"], carrying="none",
                 turns=0.0)
    from scipy.signal import butter, find_peaks, sosfiltfilt

    peak, jolt = {}, {}
    for name, m in (("nordic", nw), ("walking", w)):
        acc = ideal_imu(m, "wrist_left", rate_hz=fps).acc[0]
        peak[name] = np.percentile(np.linalg.norm(acc, axis=-1), 99.5) / 9.81
        fast = sosfiltfilt(butter(4, 6.0, "high", fs=fps, output="sos"), acc, axis=0)
        jolt[name] = np.percentile(np.linalg.norm(fast, axis=-1), 99.5) / 9.81
    # the jolt θ·ω² at r ≈ 0.3 m (0.8–1.8° at 10–14 Hz: ≈ 1.7–7.4 g), at its own 10–14 Hz above the swing's
    # and the trunk's bounce (measured 0.8–0.94 ×; how it adds to the bounce depends on when each peaks),
    # and the whole no more than the published 7.6 g of Nordic walking at the wrist
    j = info["pole_jolt"]
    expected = np.radians(j["deg"]) * (2 * np.pi * j["hz"]) ** 2 * 0.3 / 9.81
    assert jolt["nordic"] > max(0.6 * expected, 3 * jolt["walking"]), (jolt, expected)
    assert peak["walking"] < peak["nordic"] < 7.6
    # one strike per arm and stride: the rate's high-pass bursts come at the stride frequency
    gyro = ideal_imu(nw, "wrist_left", rate_hz=fps).gyro[0]
    hp = np.linalg.norm(sosfiltfilt(butter(4, 6.0, "high", fs=fps, output="sos"), gyro, axis=0), axis=-1)
    peaks, _ = find_peaks(hp, height=0.5 * hp.max(), distance=int(0.4 * fps / info["step_frequency_hz"] * 2))
    assert len(peaks) / nw.duration_s == pytest.approx(info["step_frequency_hz"] / 2, rel=0.2)


def test_a_motion_too_slow_for_the_strike_gets_none():
    slow = generate("nordic_walking", 6.0, fps=POLE_JOLT_MIN_FPS / 2, rng=1)
    assert slow.meta["items"][0]["info"]["pole_jolt"] is None
    assert generate("nordic_walking", 6.0, fps=POLE_JOLT_MIN_FPS, rng=1).meta["items"][0]["info"]["pole_jolt"]
