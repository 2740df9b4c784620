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
    contact model (it was 4 g); in flight near free fall (0 g), not pulled down (it reached −1 g)."""
    peaks, lows = [], []
    for seed in range(3):
        m = generate("running", 12, fps=100, rng=seed, speed=speed)
        f = (np.gradient(np.gradient(m.positions[:, 0, 1])) * m.fps ** 2 + G)[100:-100] / G
        assert f.mean() == pytest.approx(1.0, abs=0.03)
        peaks.append(np.percentile(f, 99.5))
        lows.append(np.percentile(f, 0.5))
    assert 2.2 <= np.mean(peaks) <= 3.3
    assert np.mean(lows) >= -0.7


def test_running_cadence_and_speed_of_recreational_runners():
    """People jog at their own speed and cadence: 165 ± 8 steps/min at a comfortable 3.04 ± 0.28 m/s in
    experienced recreational runners, 154–160 at 2.4–2.9 m/s in inexperienced ones (van Oeveren et al.
    2020 / 2017); each runner keeps their own cadence offset."""
    info = [generate("running", 3, fps=100, rng=i).meta["items"][0]["info"] for i in range(60)]
    spm = np.array([60 * d["step_frequency_hz"] for d in info])
    speed = np.array([d["speed_mps"] for d in info])
    assert 2.6 <= speed.mean() <= 3.1 and 0.15 <= speed.std() <= 0.45
    assert 155 <= spm.mean() <= 168 and 5 <= spm.std() <= 12
    # the same person runs at the same cadence offset in another recording at the same speed
    from imuforge.motion.body import Person

    p = Person.sample(np.random.default_rng(5))
    a = generate("running", 3, rng=1, person=p, speed=3.0).meta["items"][0]["info"]["step_frequency_hz"]
    b = generate("running", 3, rng=2, person=p, speed=3.0).meta["items"][0]["info"]["step_frequency_hz"]
    assert a == b
