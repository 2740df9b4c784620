"""Riding a lift: the car's jerk-limited profile against its closed forms, and what a worn sensor reads."""

import numpy as np
import pytest

from imuforge.motion.library import generate, schedule
from imuforge.motion.library.elevator import Ride, plan_rides, reached, ride_profile
from imuforge.sensors.kinematics import ideal_imu
from imuforge.units import STANDARD_GRAVITY as G0

# (distance m, rated speed m/s, acceleration m/s², jerk m/s³): cruising; no cruise; no acceleration plateau
# cruising; cruising with √(v·j) below the drawn acceleration (the plateau is then at √(v·j)); no cruise;
# no acceleration plateau
CASES = [(33.0, 2.5, 1.0, 1.5), (13.2, 1.6, 0.9, 1.2), (10.0, 1.0, 1.2, 1.0), (3.3, 2.5, 1.0, 1.5),
         (0.5, 2.5, 1.2, 1.0)]


@pytest.mark.parametrize("d, v, a, j", CASES)
def test_ride_profile_meets_its_closed_forms(d, v, a, j):
    vp, ap = reached(d, v, a, j)
    T = Ride(0.0, d, v, a, j).duration_s
    if vp == v:  # it cruises: T = d / v + v / a + a / j (the S-curve's travel time) at the plateau reached
        assert ap == pytest.approx(min(a, np.sqrt(v * j)))
        assert T == pytest.approx(d / v + v / ap + ap / j, rel=1e-12)
    elif ap == a:  # it peaks below the rated speed: v² / a + v·a / j = d
        assert vp ** 2 / a + vp * a / j == pytest.approx(d, rel=1e-12)
    else:  # too short for the plateau: a = √(v·j) and d = 2·v·√(v / j)
        assert ap == pytest.approx(np.sqrt(vp * j))
        assert 2 * vp * np.sqrt(vp / j) == pytest.approx(d, rel=1e-12)
    fps = 2000.0
    t = np.arange(-0.5, T + 0.5, 1 / fps)
    s, vel, acc = ride_profile(t, d, v, a, j)
    assert s[0] == 0.0 and s[-1] == pytest.approx(d, abs=1e-9)
    # the samples straddle the peaks: within one sample's change of them
    assert vel.max() == pytest.approx(vp, abs=ap / fps) and acc.max() == pytest.approx(ap, abs=j / fps)
    assert acc.min() == pytest.approx(-ap, abs=j / fps)
    assert np.abs(np.diff(acc)).max() * fps <= j * (1 + 1e-9)  # the jerk never passes its limit
    # each state is the derivative of the one before (central differences of the closed form)
    assert np.abs(np.gradient(s, 1 / fps) - vel).max() < 1e-4
    assert np.abs(np.gradient(vel, 1 / fps)[1:-1] - acc[1:-1]).max() < 2 * j / fps
    down = ride_profile(t, -d, v, a, j)
    np.testing.assert_array_equal(down, -np.stack([s, vel, acc]))


def test_rides_are_whole_floors_one_way_and_end_inside_the_take():
    rng = np.random.default_rng(3)
    for duration in (*np.arange(2.0, 12.0, 0.5), 40.0, 120.0):
        for direction in (1.0, -1.0):
            rides = plan_rides(rng, duration, direction)
            if not rides:  # too short for one floor: the rider stands
                assert duration < 6.0
                continue
            assert len({(r.speed_mps, r.accel_mps2, r.jerk_mps3, r.floor_m) for r in rides}) == 1  # one lift
            for r in rides:
                assert np.sign(r.distance_m) == direction and 3.0 <= r.floor_m <= 3.6
                floors = abs(r.distance_m) / r.floor_m
                assert floors == pytest.approx(round(floors), abs=1e-9) and 1 <= round(floors) <= 8
                assert r.start_s + r.duration_s <= duration - 0.5 + 1e-9
            starts = [r.start_s for r in rides]
            assert starts == sorted(starts)


@pytest.mark.parametrize("name, sign", [("elevator_up", 1.0), ("elevator_down", -1.0)])
def test_a_rider_at_the_waist_reads_g_plus_the_car_acceleration(name, sign):
    fps = 100.0
    m = generate(name, 40.0, fps=fps, rng=5, fidget=0.0, carrying="none")
    rides = [Ride(**{k: v for k, v in r.items() if k != "duration_s"})
             for r in m.meta["items"][0]["info"]["rides"]]
    rise = m.positions[-1, 0, 1] - m.positions[0, 0, 1]
    assert rise == pytest.approx(sum(r.distance_m for r in rides), abs=0.02)
    assert m.meta["items"][0]["info"]["floor_end_m"] == pytest.approx(rise, abs=0.02)
    imu = ideal_imu(m, "waist_front", rate_hz=fps)
    t = np.arange(imu.acc.shape[1]) / fps
    f = np.linalg.norm(imu.acc[0], axis=-1)
    for r in rides:
        v, a = reached(abs(r.distance_m), r.speed_mps, r.accel_mps2, r.jerk_mps3)
        tj, ta = a / r.jerk_mps3, v / a - a / r.jerk_mps3
        speeding = (t > r.start_s + tj + 0.1) & (t < r.start_s + tj + ta - 0.1)
        end = r.start_s + r.duration_s
        braking = (t > end - tj - ta + 0.1) & (t < end - tj - 0.1)
        if speeding.sum() < 10:
            continue
        # the floor pushes with g + a speeding up going up, g − a braking; the reverse going down
        # (standing sway adds ≈ 0.02 m/s²)
        assert f[speeding].mean() == pytest.approx(G0 + sign * a, abs=0.05)
        assert f[braking].mean() == pytest.approx(G0 - sign * a, abs=0.05)
    between = np.ones(t.size, bool)
    for r in rides:
        between &= (t < r.start_s - 0.2) | (t > r.start_s + r.duration_s + 0.2)
    assert f[between].mean() == pytest.approx(G0, abs=0.05)


def test_a_schedule_walks_out_on_the_floor_the_lift_stopped_at():
    items = [("standing", 3.0), ("elevator_up", 20.0, {"fidget": 0.0}), ("walking", 6.0)]
    m = schedule(items, fps=50.0, rng=2)
    end = m.meta["items"][1]["info"]["floor_end_m"]
    assert end > 2.9
    walk = m.labels[2]
    i = int((walk.start_s + 1.0) * m.fps)
    feet = m.positions[i:, [10, 11], 1].min(axis=1)  # toes
    assert np.median(feet) == pytest.approx(end, abs=0.08)
