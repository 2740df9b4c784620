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


@pytest.mark.parametrize("lead", [0.0, 0.08])
@pytest.mark.parametrize("d", [0.12, 0.2, 0.3])
def test_profile_second_derivative_is_the_raised_cosine_push(d, lead):
    """The push starts ``lead`` of a step before the heel strike (phase 0)."""
    z = _collision_profile(d, lead)
    n = len(z)
    acc = (np.roll(z, -1) - 2 * z + np.roll(z, 1)) * n**2  # periodic second difference, per step²
    ph = np.arange(n) / n
    start = np.mod(ph + lead, 1.0)  # the phase from the push's start
    push = np.where(start < d, np.sin(np.pi * start / d) ** 2, 0.0)
    push -= push.mean()
    assert np.corrcoef(acc, push)[0, 1] > 0.999
    assert z.std() == pytest.approx(1.0) and abs(z.mean()) < 1e-12
    # lowest in the double support (the push's middle), highest in mid single support
    assert abs(ph[np.argmin(z)] - np.mod(d / 2 - lead, 1.0)) < 0.03
    assert abs(ph[np.argmax(z)] - ((1 + d) / 2 - lead)) < 0.03  # the middle of the single support


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
        # the push starts before the contact (PUSH_LEAD) and peaks early in the double support
        assert 0.03 <= np.median(lags) <= 0.2, lags


@pytest.mark.parametrize("speed", [0.9, 1.3])
def test_with_the_heel_strike_shock_the_step_is_one_hump(speed):
    """What a lower-back device reads (impact on), averaged over the steps aligned at the heel strikes: one
    positive hump that rises from the contact and peaks within ≈ 100 ms (the real mobgap walkers, aligned at
    their INDIP contacts: 1.4 / 2.4 / 2.5 / 1.5 m/s² at 0 / 30 / 60 / 90 ms, then ≤ 0.5), not the transient's
    ringing second hump 150–180 ms after it (the 70–110 ms arrival pulse before session 58); and a share of
    the |acc| power above 10 Hz of the order of the real walkers' ≈ 5 % (lower at a slow pace)."""
    from imuforge.motion.library.gait_stats import hf_share

    prof = load_profile("metamotions", odr_hz=100)
    segs = []
    for seed in (1, 2, 3):
        m = generate("walking", 20, fps=100, rng=seed, speed=speed)
        rec = simulate(m, prof, "lower_back", seed=seed)
        v = _vertical(rec.acc)
        info = m.meta["items"][0]["info"]
        contact_s = np.sort(np.concatenate([np.asarray(c) for c in info["contact_s"]]))
        contacts = np.round(contact_s * rec.rate_hz).astype(int)
        segs += [v[i - 10:i + 40] for i in contacts if 200 <= i < len(v) - 200]
        assert 0.002 <= hf_share(rec.acc[200:-200], rec.rate_hz) <= 0.1
    mean = np.mean(segs, axis=0)  # −100 … +390 ms
    peak = int(np.argmax(mean)) - 10
    assert 0 <= peak <= 10, mean.round(1)  # within 100 ms of the contact
    assert mean[10] > 0.2 * mean.max()  # already rising at the contact
    assert mean[10 + 13:].max() < 0.4 * mean.max(), mean.round(1)  # no second hump from 130 ms on
