"""The walking pelvis height has the step-to-step shape of the collisional model of walking
(``imuforge.motion.library.gait.collision_height``): a flat, shallow negative vertical acceleration in
single support and one positive push in each double support, so a lower-back device sees one sharp
positive peak just after each heel strike (skewed like the real lumbar recordings, 1.2–2.0)."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.library import generate
from imuforge.motion.library.gait import _collision_profile
from imuforge.sensors import simulate
from imuforge.sensors.profiles import load_profile


@pytest.mark.parametrize("d", [0.12, 0.2, 0.3])
def test_profile_second_derivative_is_the_raised_cosine_push(d):
    z = _collision_profile(d)
    n = len(z)
    acc = (np.roll(z, -1) - 2 * z + np.roll(z, 1)) * n**2  # periodic second difference, per step²
    ph = np.arange(n) / n
    push = np.where(ph < d, np.sin(np.pi * ph / d) ** 2, 0.0)
    push -= push.mean()
    assert np.corrcoef(acc, push)[0, 1] > 0.999
    assert z.std() == pytest.approx(1.0) and abs(z.mean()) < 1e-12
    # lowest in the double support (the push's middle), highest in mid single support
    assert abs(ph[np.argmin(z)] - d / 2) < 0.03
    assert abs(ph[np.argmax(z)] - (1 + d) / 2) < 0.03  # the middle of the single support


@pytest.fixture(scope="module")
def lower_back_walks():
    prof = load_profile("metamotions", odr_hz=100)
    out = []
    for seed, speed in ((1, 1.0), (2, 1.2), (3, 1.4)):
        m = generate("walking", 20, fps=100, rng=seed, speed=speed)
        out.append((m, simulate(m, prof, "lower_back", seed=seed, impact=False)))
    return out


def _vertical(acc):
    u = acc.mean(axis=0)
    u /= np.linalg.norm(u)
    v = acc @ u
    return v - v.mean()


def test_lower_back_vertical_acceleration_is_skewed_like_real_walking(lower_back_walks):
    for m, rec in lower_back_walks:
        v = _vertical(rec.acc[200:-200])
        skew = float(np.mean(v**3) / np.std(v) ** 3)
        assert 1.0 <= skew <= 3.5, skew
        # the body path alone: of the order of the real lumbar recordings (vertical RMS 1.3–1.9 m/s² at
        # 87–101 steps/min, gaitpy and mobgap), growing with cadence (these walk at 97–125 steps/min)
        assert 0.8 <= np.std(v) <= 3.5


def test_the_peak_follows_each_heel_strike(lower_back_walks):
    for m, rec in lower_back_walks:
        v = _vertical(rec.acc)
        info = m.meta["items"][0]["info"]
        step_s = 1.0 / info["step_frequency_hz"]
        contacts = sorted(t for side in info["contact_s"] for t in side if 2.0 < t < m.duration_s - 2.0)
        lags = []
        for t in contacts:
            i0, i1 = round(t * rec.rate_hz), round((t + step_s) * rec.rate_hz)
            lags.append((np.argmax(v[i0:i1]) / rec.rate_hz) / step_s)
        # the push is centred in the double support (10–12 % of a step after contact at these speeds)
        assert 0.03 <= np.median(lags) <= 0.2, lags
