"""The closure of the gait curves keeps the planted foot flat and still, and sways the walking pelvis
smoothly from foot to foot (``imuforge.motion.library.gait``: ``foot_flat_correction``,
``stance_sway_correction``, ``WALK_HORIZONTAL_X``).

* A foot-mounted gyroscope reads ≈ 0 in mid-stance: the foot lies on the ground while the leg rotates
  over it (Perry & Burnfield 2010; the premise of zero-velocity updates in foot-mounted navigation).
  The project's real NilsPod shoe sensors (gaitmap) read |ω| < 0.3 rad/s for 11–27 % of their walking
  and stair bouts. Before the correction the planted synthetic foot turned at a median 1.2–1.6 rad/s
  through single support, with the pelvis's rotation and the frontal / transverse curves.
* The lower back's horizontal acceleration: the project's real lumbar walkers read fore-aft / vertical
  RMS 0.7–0.85 and medio-lateral / vertical 0.6–0.65 (mobgap straight walks, gaitpy steady windows);
  the foot-anchored path low-passed at 6 Hz gave fore-aft 1.7× the vertical.
"""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion import quat as Q
from imuforge.motion.library import generate
from imuforge.motion.library._core import J
from imuforge.motion.library.gait import ankle_angles
from imuforge.sensors import ideal_imu
from imuforge.sensors.placement import Placement

FOOT = Placement("instep_right", "right_foot", "right_ankle", (0.0, -0.03, 0.06))


def test_ankle_angles_invert_the_pose_convention():
    rng = np.random.default_rng(0)
    toe, dorsi, inv = rng.uniform(-40, 40, (3, 64))
    d2r = np.pi / 180
    q = Q.qmul(Q.ry(toe * d2r), Q.qmul(Q.rx(-dorsi * d2r), Q.rz(-inv * d2r)))
    assert np.allclose(ankle_angles(q), np.stack([toe, dorsi, inv], 1), atol=1e-9)


@pytest.mark.parametrize("kind", ["walking", "stairs_up", "stairs_down"])
def test_planted_foot_is_flat_and_still_in_single_support(kind):
    for seed in (1, 2, 3):
        kw = {"turns": 0} if kind == "walking" else {}
        m, contact = generate(kind, 12, fps=100, rng=seed, return_contact=True, **kw)
        imu = ideal_imu(m, [FOOT], rate_hz=100.0)
        c = np.asarray(contact)[: len(imu.gyro[0])]
        single = (c[:, 1] > 0.999) & (c[:, 0] < 0.001)  # the right foot carries the body alone
        assert single.mean() > 0.25, (kind, seed)
        w = np.linalg.norm(imu.gyro[0][single], axis=1)
        assert np.median(w) < 0.15, (kind, seed, np.median(w))
        assert np.percentile(w, 25) < 0.08, (kind, seed)
        # flat: the sole's forward and lateral axes horizontal (within 3°) in the stillest half of it
        g = m.orientations[: len(c), J("right_ankle")][single]
        still = w <= np.median(w)
        for axis in ([0.0, 0.0, 1.0], [1.0, 0.0, 0.0]):
            tilt = np.degrees(np.arcsin(np.abs(Q.qrot(g[still], np.array(axis))[:, 1])))
            assert np.median(tilt) < 3.0, (kind, seed, axis, np.median(tilt))


@pytest.mark.parametrize("speed", [1.05, 1.4])
def test_lower_back_horizontal_to_vertical_acceleration_like_real_walkers(speed):
    ratios = []
    for seed in (0, 1, 2, 3):
        m = generate("walking", 20, fps=100, rng=seed, speed=speed, turns=0)
        imu = ideal_imu(m, ["lower_back"], rate_hz=100.0)
        a = imu.acc[0] - imu.acc[0].mean(axis=0)  # sensor axes: x lateral, y up, z forward
        ratios.append((a[:, 2].std() / a[:, 1].std(), a[:, 0].std() / a[:, 1].std()))
    ap, ml = np.mean(ratios, axis=0)
    assert 0.5 <= ap <= 1.0, ratios  # real 0.7–0.85 (the 6 Hz Gaussian path: 1.7)
    assert 0.4 <= ml <= 0.9, ratios  # real 0.6–0.65


def test_pelvis_sways_once_per_stride():
    """The pelvis's side-to-side path is close to its stride fundamental (a frontal-plane inverted
    pendulum): over every two strides ≥ 97 % of its variance (about a linear drift) is there (the
    uncorrected anchored path: 0.87–0.96), 2–7 cm peak to peak (Perry & Burnfield 2010: ≈ 4–5 cm)."""
    for seed in (1, 2, 3):
        m = generate("walking", 12, fps=100, rng=seed, speed=1.2, turns=0)
        f = m.meta["items"][0]["info"]["step_frequency_hz"] / 2
        p = m.positions[:, 0][100:-100]
        v = np.diff(p[:, [0, 2]], axis=0).mean(axis=0)
        x = p[:, [0, 2]] @ (np.array([-v[1], v[0]]) / np.linalg.norm(v))
        n = int(round(2 * 100 / f))
        t = np.arange(n) / 100.0
        basis = np.column_stack([np.cos(2 * np.pi * f * t), np.sin(2 * np.pi * f * t), np.ones(n), t])
        shares, ptps = [], []
        for a in range(0, len(x) - n, n):
            coef = np.linalg.lstsq(basis, x[a:a + n], rcond=None)[0]
            resid = x[a:a + n] - basis @ coef
            shares.append(1 - np.var(resid) / np.var(x[a:a + n] - basis[:, 2:] @ coef[2:]))
            ptps.append(2 * np.hypot(*coef[:2]))
        assert np.median(shares) > 0.97, (seed, shares)
        assert 0.02 <= np.median(ptps) <= 0.07, (seed, ptps)


def test_pendulum_sway_is_the_periodic_orbit_of_the_integrated_pendulum():
    """``pendulum_sway_p2p`` against the frontal-plane pendulum integrated numerically: x'' = ω²(x − p) with
    the support p at +w/2 for one step, the start velocity found by shooting so the centre of mass crosses
    the midline again at the step's end (the symmetric periodic orbit); its peak to peak is twice the
    largest x."""
    from scipy.integrate import solve_ivp
    from scipy.optimize import brentq

    from imuforge.motion.body import Person
    from imuforge.motion.library import gait

    person = Person(height_m=1.75, step_width_m=0.12)
    for kind, f_step in (("walking", 1.8), ("stairs_up", 1.6), ("stairs_down", 2.0)):
        w = gait.step_width_target(kind, person)
        omega2 = 9.80665 / (gait.LEG_LENGTH_H * person.height_m)
        T = 1.0 / f_step

        def end(v0):
            sol = solve_ivp(lambda t, y: [y[1], omega2 * (y[0] - w / 2)], (0.0, T), [0.0, v0], rtol=1e-11,
                            atol=1e-13, dense_output=True)
            return sol

        v0 = brentq(lambda v: end(v).y[0, -1], 0.0, 2.0, xtol=1e-13)
        x = end(v0).sol(np.linspace(0.0, T, 2001))[0]
        assert gait.pendulum_sway_p2p(kind, person, f_step) == pytest.approx(2 * x.max(), rel=1e-6)
    # walking at 1.8 steps/s with a 0.12 m step width: 3–5 cm, as the centre of mass measured in walking
    assert 0.03 <= gait.pendulum_sway_p2p("walking", person, 1.8) <= 0.05


def _side_path(m) -> tuple[np.ndarray, np.ndarray]:
    """The pelvis's side-to-side position (m, linear drift removed) and acceleration (m/s², its second
    difference) of a 100 fps motion, the first 2 s and the last 1 s left out."""
    p = m.positions[:, 0]
    v = p[-1] - p[0]
    side = np.cross([0.0, 1.0, 0.0], np.array([v[0], 0.0, v[2]]) / np.hypot(v[0], v[2]))
    x = p @ side
    acc = np.diff(x, 2)[200:-100] * 100.0**2
    x = x[200:-100]
    t = np.arange(len(x))
    return x - np.polyval(np.polyfit(t, x, 1), t), acc


def test_stair_pelvis_sways_as_a_pendulum_over_the_feet():
    """Going up and down stairs the pelvis sways from foot to foot as in level walking: frontally the body is
    the same inverted pendulum over each stance foot, at a similar step width and step time
    (``pendulum_sway_p2p``). The stair curves on rigid legs swayed it 7–21 cm peak to peak going up (median
    16 cm, more than the step width between the feet) with 2.5× walking's side-to-side acceleration (10
    people, 12 s); the stair closure bounds the sway's stride fundamental by the pendulum (``_close_stairs``).
    Real lower backs (Weiss, Brozgol, Giladi & Hausdorff 2016, *Med Eng Phys* 38:1146; 17 older adults): the
    medio-lateral acceleration's range is largest going down — here too (going up it was the largest)."""
    from imuforge.sensors import ideal_imu

    sway, side_acc, ml_range = {}, {}, {}
    for kind in ("walking", "stairs_up", "stairs_down"):
        p2p, rms, rng_ml = [], [], []
        for seed in range(6):
            m = generate(kind, 12, fps=100, rng=[21, seed], **({"turns": 0} if kind == "walking" else {}))
            x, acc = _side_path(m)
            p2p.append(np.ptp(x))
            rms.append(acc.std())
            a = ideal_imu(m, ["lower_back"], rate_hz=100.0).acc[0][200:-100]  # sensor x lateral
            rng_ml += [np.ptp(a[k:k + 400, 0]) for k in range(0, len(a) - 400, 400)]
        sway[kind], side_acc[kind], ml_range[kind] = np.median(p2p), np.median(rms), np.median(rng_ml)
    for kind in ("stairs_up", "stairs_down"):
        assert sway[kind] <= 1.5 * sway["walking"], sway  # was 3.1× going up
    assert side_acc["stairs_up"] <= 1.5 * side_acc["walking"], side_acc  # was 4.1×
    assert ml_range["stairs_down"] > max(ml_range["walking"], ml_range["stairs_up"]), ml_range


@pytest.mark.parametrize("stance", [0.55, 0.6, 0.64, 0.68])
def test_planted_windows_are_continuous_over_the_cycle(stance):
    from imuforge.motion.library.gait import _planted_window, _stance_window

    ph = np.arange(2400) / 2400
    for win in (_planted_window(ph, stance), _stance_window(ph, stance)):
        steps = np.abs(np.diff(np.r_[win, win[:1]]))
        assert steps.max() < 0.01, (stance, steps.max())


def test_very_short_walks_are_made():
    for seconds in (0.1, 0.2):
        m = generate("walking", seconds, fps=50, rng=0)
        assert np.all(np.isfinite(m.positions))


@pytest.mark.parametrize("kind", ["walking", "stairs_up", "stairs_down"])
def test_rising_heel_inverts_the_foot_over_a_planted_ball(kind):
    """From heel-off to toe-off the foot turns sole inwards by ``PUSH_OFF_INVERSION_DEG`` (the rearfoot's
    eversion-to-inversion swing of Pierrynowski & Smith 1996) about the line through its ball, the leg
    tilting with it. Against the same closure without it, alone and as ``close_gait`` makes it (a plain
    foot-flat pass, then the push-off pass): the foot is turned by the planted window's share of that at
    toe-off, about the horizontal line of its heading (no pitch), and its ball — on the ground from
    heel-off — stays within 0.5 mm sideways of where it was relative to the pelvis (turned about the ankle
    instead, the ball, 7–14 cm below it as the heel rises, would swing ≈ 1 cm inwards, and the anchored
    pelvis as far outwards). A second push-off pass is refused (it would turn the foot again)."""
    from imuforge.motion.body import Person
    from imuforge.motion.library import gait
    from imuforge.motion.skeleton import foot_points

    person = Person.sample(np.random.default_rng(5))
    speed, stance = (1.2, 0.6) if kind == "walking" else (gait.GAITS[kind].ref_speed, gait.GAITS[kind].stance)
    ph = np.linspace(stance - 0.2, stance, 41)
    ball = foot_points(person.offsets)["ball"]

    def foot(closure):
        P, G = gait._legs_fk(kind, person, closure, speed, stance, ph)
        g = G[:, J("left_ankle")]
        return g, P[:, J("left_ankle")] + Q.qrot(g, ball)

    expected = gait._planted_window(ph, stance) * gait.push_off_inversion(ph, stance)  # deg
    plain = gait.foot_flat_correction(kind, person, gait.Closure(), speed, stance)
    for start in (gait.Closure(), plain):
        with_it = gait.foot_flat_correction(kind, person, start, speed, stance, push_off=True)
        without = gait.foot_flat_correction(kind, person, start, speed, stance)
        (g1, ball1), (g0, ball0) = foot(with_it), foot(without)
        assert np.max(np.abs(ball1 - ball0)[:, 0]) < 5e-4  # sideways
        # up and fore-aft: second order (the turn about a line through the ankle, the tilt of a flexed hip)
        assert np.max(np.abs(ball1 - ball0)[:, 1:]) < 1.5e-3
        turn = Q.to_rotvec(Q.qmul(g1, Q.qconj(g0)))  # world frame: g1 = turn · g0
        np.testing.assert_allclose(np.degrees(np.linalg.norm(turn, axis=1)), expected, atol=0.3)
        assert np.all(np.abs(np.degrees(turn[:, 1])) < 0.3)  # about a horizontal line
        assert np.all(np.degrees(turn[:, 2]) < 0.5 - expected)  # about −z, the heading: medial −x edge up
    with pytest.raises(ValueError, match="push-off"):
        gait.foot_flat_correction(kind, person, with_it, speed, stance, push_off=True)


def test_walking_foot_lands_on_its_outer_heel_and_rolls_flat(monkeypatch):
    """A walking foot strikes the ground on its heel's outer edge, inverted by ``LANDING_INVERSION_DEG``, and
    rolls flat about its heel by ``LANDING_FLAT_AT`` (the loading response). Against the same closure with the
    landing roll switched off: from the late swing's take-up to foot flat the foot is turned by the planted
    window's share of :func:`landing_inversion`, sole inwards, about the horizontal line of its heading, and its
    heel stays within 0.5 mm sideways of where it was relative to the pelvis (the leg tilts with the foot);
    from foot flat to the take-up nothing changes."""
    from imuforge.motion.body import Person
    from imuforge.motion.library import gait
    from imuforge.motion.skeleton import foot_points

    person = Person.sample(np.random.default_rng(7))
    speed, stance = 1.3, 0.6
    ph = np.mod(np.linspace(-0.14, 0.5, 97), 1.0)
    heel = foot_points(person.offsets)["heel"]

    def foot(closure):
        P, G = gait._legs_fk("walking", person, closure, speed, stance, ph)
        g = G[:, J("left_ankle")]
        return g, P[:, J("left_ankle")] + Q.qrot(g, heel)

    plain = gait.foot_flat_correction("walking", person, gait.Closure(), speed, stance)
    with_it = gait.foot_flat_correction("walking", person, plain, speed, stance, push_off=True)
    degrees = gait.LANDING_INVERSION_DEG["walking"]
    monkeypatch.setattr(gait, "LANDING_INVERSION_DEG", {})
    without = gait.foot_flat_correction("walking", person, plain, speed, stance, push_off=True)
    (g1, heel1), (g0, heel0) = foot(with_it), foot(without)
    expected = gait._planted_window(ph, stance) * gait.landing_inversion(ph, degrees)  # deg
    assert expected.max() > 0.75 * degrees and np.all(expected[(ph > 0.1) & (ph < 0.5)] == 0.0)
    assert np.max(np.abs(heel1 - heel0)[:, 0]) < 5e-4  # sideways
    turn = Q.to_rotvec(Q.qmul(g1, Q.qconj(g0)))  # world frame: g1 = turn · g0
    # the correction table is interpolated between its samples (FOOT_GRID per cycle): a little slack
    np.testing.assert_allclose(np.degrees(np.linalg.norm(turn, axis=1)), expected, atol=0.4)
    assert np.all(np.abs(np.degrees(turn[:, 1])) < 0.4)  # about a horizontal line
    assert np.all(np.degrees(turn[:, 2]) < 0.5 - expected)  # about −z, the heading: sole inwards
