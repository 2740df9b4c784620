"""Running pelvis: vertical specific force against the spring-mass runner and measured force peaks."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.library import generate
from imuforge.units import STANDARD_GRAVITY as G


@pytest.mark.parametrize("speed", [2.8, 3.5])
def test_running_pelvis_vertical_force_is_near_a_runners(speed):
    """Mean 1 g (the legs carry body weight over whole steps); peak near the 2.2–2.9 body weights
    measured at 3–5 m/s (Munro et al. 1987) — up to ≈ 15 % above it, a residue of the rigid-leg
    contact model (it was 4 g); in flight near free fall (0 g), not pulled down (it reached −1 g; −0.69 g at
    3.5 m/s until the feet stopped crossing the midline in 2026-12 (``fit_step_width``), −0.70 since: the more
    upright stance leg makes the rigid touch-down a little harder, a residue the bound tracks, not a target;
    −0.73 since the pelvis's speed is evened over the stance foot, ``gait.RUN_EVEN_PASSES``, which halved its
    fore-aft acceleration: test_library.py)."""
    peaks, lows = [], []
    for seed in range(3):
        m = generate("running", 12, fps=100, rng=seed, speed=speed)
        f = (np.gradient(np.gradient(m.positions[:, 0, 1])) * m.fps ** 2 + G)[100:-100] / G
        assert f.mean() == pytest.approx(1.0, abs=0.03)
        peaks.append(np.percentile(f, 99.5))
        lows.append(np.percentile(f, 0.5))
    assert 2.2 <= np.mean(peaks) <= 3.3
    assert np.mean(lows) >= -0.8


def test_running_cadence_and_speed_of_recreational_runners():
    """People jog at their own speed and cadence: 165 ± 8 steps/min at a comfortable 3.04 ± 0.28 m/s in
    experienced recreational runners, 154–160 at 2.4–2.9 m/s in inexperienced ones (van Oeveren et al.
    2020 / 2017); each runner keeps their own cadence offset."""
    info = [generate("running", 3, fps=100, rng=i).meta["items"][0]["info"] for i in range(60)]
    spm = np.array([60 * d["step_frequency_hz"] for d in info])
    speed = np.array([d["speed_mps"] for d in info])
    assert 2.6 <= speed.mean() <= 3.1 and 0.15 <= speed.std() <= 0.45
    assert 155 <= spm.mean() <= 168 and 5 <= spm.std() <= 12
    # each runner keeps their own offset from the population's cadence at every speed
    from imuforge.motion.body import Person
    from imuforge.motion.library.gait import step_frequency

    def offset(person, speed, seed):
        f = generate("running", 3, rng=seed, person=person, speed=speed).meta["items"][0]["info"]
        return f["step_frequency_hz"] - step_frequency("running", speed, person.height_m)

    p, q = Person.sample(np.random.default_rng(5)), Person.sample(np.random.default_rng(6))
    assert offset(p, 2.6, 1) == pytest.approx(offset(p, 3.4, 2), abs=1e-3)
    assert abs(offset(p, 3.0, 1) - offset(q, 3.0, 1)) > 1e-3


def test_slow_jogging_stays_within_the_running_range():
    """"jogging slowly" scales the person's own speed down; it is kept within the running range
    instead of being refused (2.3 % of slow joggers were, before)."""
    speeds = [generate("running", 2, fps=50, rng=i, intensity=0.6).meta["items"][0]["info"]["speed_mps"]
              for i in range(150)]
    assert min(speeds) >= 2.0
