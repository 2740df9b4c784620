"""Walking turns (``imuforge.motion.library.turns``): minimum-jerk heading changes added to the pelvis
yaw before the legs are placed, so the root path curves and the planted foot pivots."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.errors import ValidationError
from imuforge.motion.library import SLIDE_BOUND_SINGLE_M, generate, motion_foot_sliding
from imuforge.motion.library._core import minjerk as min_jerk
from imuforge.motion.library.turns import PEAK_RATE_DPS, TURN_ACC, turn_slowing, walking_heading
from imuforge.motion.text import modifiers_from_text
from imuforge.sensors import simulate
from imuforge.sensors.profiles import load_profile


def test_min_jerk_closed_form():
    x = np.linspace(0, 1, 100001)
    y = min_jerk(x)
    assert y[0] == 0 and y[-1] == 1 and np.all(np.diff(y) >= 0)
    v = np.gradient(y, x)
    assert v.max() == pytest.approx(1.875, rel=1e-4)  # peak velocity of the quintic
    a = np.gradient(v, x)
    assert abs(a[0]) < 1e-3 and abs(a[-1]) < 1e-3  # starts and ends at rest, without a kick
    assert min_jerk(np.array([-1.0, 2.0])).tolist() == [0.0, 1.0]


def test_heading_sums_the_turns_and_respects_the_peak_rate():
    rng = np.random.default_rng(4)
    h = walking_heading(rng, 12000, 100.0, rate_per_min=6.0)
    assert len(h.turns) >= 5
    fps = 100.0
    for t0, angle, d in h.turns[:-1]:
        i0, i1 = int(t0 * fps), int((t0 + d) * fps)
        change = h.yaw_deg[min(i1 + 5, len(h.yaw_deg) - 1)] - h.yaw_deg[max(i0 - 5, 0)]
        assert change == pytest.approx(angle, abs=3.0)  # the wander adds < 3° over a turn
        rate = np.abs(np.diff(h.yaw_deg[i0:i1 + 1])).max() * fps
        assert rate <= PEAK_RATE_DPS[1] * 1.1 + 5.0


def test_zero_turns_is_a_straight_line():
    m = generate("walking", 30, fps=100, rng=2, turns=0)
    assert m.meta["items"][0]["info"]["turns"] == []
    root = m.positions[:, 0, [0, 2]]
    v = root[-100:].mean(axis=0) - root[:100].mean(axis=0)
    w = root[1600:1700].mean(axis=0) - root[:100].mean(axis=0)
    cosang = np.dot(v, w) / np.linalg.norm(v) / np.linalg.norm(w)
    assert np.degrees(np.arccos(min(cosang, 1.0))) < 2.0


def _travel_turn(root: np.ndarray, a: int, b: int, half: int = 60) -> float:
    """Change of the direction of travel (deg, unwrapped) between frames a and b."""
    idx = np.arange(a, b + 1, 10)
    d = root[idx + half] - root[idx - half]
    ang = np.unwrap(np.arctan2(d[:, 0], d[:, 1]))
    return float(np.degrees(ang[-1] - ang[0]))


@pytest.mark.parametrize("seed", [5, 6])
def test_the_path_turns_with_the_heading_and_the_feet_stay_planted(seed):
    m, contact = generate("walking", 40, fps=100, rng=seed, turns=8.0, return_contact=True)
    turns = m.meta["items"][0]["info"]["turns"]
    root = m.positions[:, 0, [0, 2]]
    checked = 0
    for t0, angle, d in turns:
        a, b = int((t0 - 1.0) * 100), int((t0 + d + 1.0) * 100)
        if a < 60 or b > len(root) - 61:
            continue
        # the direction of travel follows the pelvis's heading
        assert abs(_travel_turn(root, a, b) - angle) < 15.0, (t0, angle)
        checked += 1
    assert checked >= 1
    assert motion_foot_sliding(m, contact, threshold=0.999).max() < SLIDE_BOUND_SINGLE_M


def test_a_lower_back_device_sees_the_turn_about_the_vertical():
    prof = load_profile("metamotions", odr_hz=100)
    m = generate("walking", 40, fps=100, rng=6, turns=8.0)
    turns = m.meta["items"][0]["info"]["turns"]
    straight = generate("walking", 40, fps=100, rng=6, turns=0)
    yaw = []
    for motion in (m, straight):
        r = simulate(motion, prof, "lower_back", seed=1, impact=False)
        u = r.acc.mean(axis=0)
        yaw.append(np.abs(r.gyro @ (u / np.linalg.norm(u))))
    # straight: only the pelvis's own rotation (real straight mobgap bouts: 95th pct 0.6–0.7 rad/s)
    assert np.percentile(yaw[1], 95) < 0.8
    for t0, angle, d in turns:
        if t0 + d > 39.0:
            continue
        sl = slice(int(t0 * 100), int((t0 + d) * 100))
        expected = np.radians(1.875 * abs(angle) / d)  # the minimum-jerk peak rate
        # the device reads the turn's rate on top of the pelvis's ±0.5 rad/s rotation
        assert expected - 0.3 <= yaw[0][sl].max() <= expected + 0.8, (angle, d)


def test_text_and_parameter_validation():
    assert modifiers_from_text("a person walks in a straight line", "walking")[0]["turns"] == 0.0
    assert modifiers_from_text("someone walks back and forth in the hall", "walking")[0]["turns"] == 6.0
    assert "turns" not in modifiers_from_text("a person runs in circles", "running")[0]
    with pytest.raises(ValidationError, match="turns"):
        generate("walking", 5, rng=1, turns=50)
    with pytest.raises(ValidationError, match="turns"):
        generate("running", 5, rng=1, turns=2)


def test_a_person_turns_alike_in_every_recording_and_the_stance_foot_keeps_its_heading():
    from imuforge.motion.body import Person
    from imuforge.motion.library.turns import turning_style

    p = Person.sample(np.random.default_rng(3))
    q = Person.sample(np.random.default_rng(4))
    rng = np.random.default_rng(0)
    assert turning_style(p.gait_style_seed, rng) == turning_style(p.gait_style_seed, np.random.default_rng(1))
    assert turning_style(p.gait_style_seed, rng) != turning_style(q.gait_style_seed, rng)
    # during a turn the stance hip rotates so the planted foot does not spin with the pelvis
    m, contact = generate("walking", 30, fps=100, rng=7, turns=8.0, person=p, return_contact=True)
    from imuforge.motion import quat as Q

    def heading(q):  # direction of the segment's forward (+z) axis in the horizontal plane
        f = Q.qrot(q, np.broadcast_to([0.0, 0.0, 1.0], q.shape[:-1] + (3,)).copy())
        return np.unwrap(np.arctan2(f[:, 0], f[:, 2]))

    yaw = heading(m.orientations[:, m.skeleton.joints.index("left_ankle")])
    pelvis = heading(m.orientations[:, 0])
    on = contact[:, 0] > 0.999
    e = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]))
    spins = [(np.ptp(yaw[a:b]), np.ptp(pelvis[a:b])) for a, b in zip(e[::2], e[1::2]) if b - a > 10]
    turning = [(f, pl) for f, pl in spins if pl > np.radians(20)]
    assert turning, "no stance during a turn"
    # the stance hip takes part of the turn (up to HIP_TURN_DEG), so the planted foot spins less than the
    # pelvis over every turning stance (it spun exactly as much when the whole leg turned with the pelvis)
    gap = np.degrees([pl - f for f, pl in turning])
    assert gap.min() > 3.0 and gap.mean() > 8.0, gap


def test_turn_slowing_closed_form():
    """Soft ``min(1, a / (v·ω))``: 1 on a straight line, the centripetal acceleration → ``a`` in tight turns."""
    fps, v = 100.0, 1.3
    for rate_dps in (0.0, 20.0, 150.0, 400.0):
        yaw = rate_dps * np.arange(400) / fps
        s = turn_slowing(yaw, fps, v)
        w = np.radians(rate_dps)
        assert s == pytest.approx((1 + (v * w / TURN_ACC) ** 4) ** -0.25)
    assert turn_slowing(np.zeros(50), fps, v) == pytest.approx(1.0)
    tight = turn_slowing(400.0 * np.arange(400) / fps, fps, v)[200]
    assert v * tight * np.radians(400.0) == pytest.approx(TURN_ACC, rel=0.01)


def test_walkers_slow_down_in_turns():
    """The pelvis moves slower through turns than on the straight, and its centripetal acceleration
    (speed × the path's turning rate) stays near ``TURN_ACC`` (at 1.3 m/s and 80–150 °/s without the
    slowing: 1.8–3.4 m/s²)."""
    slow, fast, cent = [], [], []
    for seed in (1, 2, 3):
        m = generate("walking", 40, fps=100, rng=seed, speed=1.3, turns=8)
        p = m.positions[:, 0][:, [0, 2]]
        # the path over whole strides (the step-to-step sway averaged out): 1.2 s windows
        k = 120
        q = np.array([p[i:i + k].mean(axis=0) for i in range(0, len(p) - k, 10)])
        v = np.diff(q, axis=0) * 10.0
        speed = np.linalg.norm(v, axis=1)
        ang = np.unwrap(np.arctan2(v[:, 0], v[:, 1]))
        rate = np.abs(np.gradient(ang)) * 10.0
        turning, straight = rate > 0.8, rate < 0.1
        assert turning.any() and straight.any()
        slow.append(np.median(speed[turning]))
        fast.append(np.median(speed[straight]))
        cent.append(np.percentile(speed * rate, 95))
    assert np.mean(slow) < 0.8 * np.mean(fast), (slow, fast)
    assert max(cent) < 1.6 * TURN_ACC, cent
