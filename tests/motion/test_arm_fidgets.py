"""Arm fidgets of standing and sitting people: restlessness comes in bouts, the hand is still between them."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.library.fidgets import BOUT_RAMP_S, STILL_GAP_S, _bouts, arm_fidgets


@pytest.mark.parametrize("amount", [0.5, 1.0, 2.0])
def test_bouts_of_restlessness_fill_their_renewal_share_of_the_time(amount):
    """Bouts of 1–4 s (mean 2.5) after exponential still spells of mean STILL_GAP_S / amount: an alternating
    renewal process is in a bout for E[bout] / (E[bout] + E[spell]) of the time. 4000 s at 20 fps; the
    share's SD over ≈ 4000 / 7.5 cycles is ≈ 0.015, bounded at 4 SD."""
    env = _bouts(np.random.default_rng(int(10 * amount)), 80_000, 20.0, amount)
    expected = 2.5 / (2.5 + STILL_GAP_S / amount)
    assert abs(np.mean(env > 0) - expected) < 0.06, (np.mean(env > 0), expected)
    assert env.min() == 0.0 and env.max() == pytest.approx(1.0)
    # the ramps are minimum-jerk: the envelope's steepest slope is 1.875 / ramp
    assert np.max(np.abs(np.diff(env))) * 20.0 <= 1.875 / BOUT_RAMP_S + 1e-9


def test_a_resting_hand_is_still_between_bouts_and_events():
    """Where neither a bout nor an event is on, the arm's angles do not move (the hand rests; only the
    events and the bouts move it), and with fidgets off nothing moves at all."""
    n, fps = 60 * 50, 50.0
    rng = np.random.default_rng(3)
    f = arm_fidgets(rng, n, fps, 1.0, dominant="R")
    bouts_on = {}
    for side in ("L", "R"):
        moving = np.abs(np.gradient(f.angles[f"elbow_sup_{side}"])) > 1e-9
        quiet = f.away[side] == 0
        # some of the minute is still, and the still part is where a bout is off
        still = quiet & ~moving
        assert still.mean() > 0.2, side
        bouts_on[side] = (quiet & moving).mean()
    assert max(bouts_on.values()) > 0.05  # and some bouts did move a resting arm
    off = arm_fidgets(np.random.default_rng(3), n, fps, 0.0)
    assert all(np.all(v == 0) for v in off.angles.values()) and all(np.all(v == 0) for v in off.away.values())
