"""Arm fidgets of standing and sitting people: restlessness comes in bouts, the hand is still between them."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion.library.fidgets import BOUT_RAMP_S, STILL_GAP_S, _bouts, arm_fidgets


@pytest.mark.parametrize("amount", [0.5, 1.0, 2.0])
def test_bouts_of_restlessness_fill_their_renewal_share_of_the_time(amount):
    """Bouts of 1–4 s (mean 2.5) after exponential still spells of mean STILL_GAP_S / amount: an alternating
    renewal process is in a bout for E[bout] / (E[bout] + E[spell]) of the time. 4000 s at 20 fps: 320 to
    890 cycles by the amount, the share's SD 0.01–0.015; bounded at 0.06 (4 SD of the fewest cycles)."""
    env = _bouts(np.random.default_rng(int(10 * amount)), 80_000, 20.0, amount)
    expected = 2.5 / (2.5 + STILL_GAP_S / amount)
    assert abs(np.mean(env > 0) - expected) < 0.06, (np.mean(env > 0), expected)
    assert env.min() == 0.0 and env.max() == pytest.approx(1.0)
    # the ramps are minimum-jerk: the envelope's steepest slope is 1.875 / ramp
    assert np.max(np.abs(np.diff(env))) * 20.0 <= 1.875 / BOUT_RAMP_S + 1e-9


def test_a_resting_hand_is_still_between_bouts_and_events():
    """Every angle of an arm changes only where one of its bouts of restlessness (``restless``) or one of its
    events (``away``) is on; a good part of the minute neither is (the hand rests), some of it only a bout
    moves the arm; with fidgets off nothing moves at all."""
    from imuforge.motion.library.fidgets import CHANNELS

    n, fps = 60 * 50, 50.0
    f = arm_fidgets(np.random.default_rng(3), n, fps, 1.0, dominant="R")
    bout_only = {}
    for side in ("L", "R"):
        moving = np.zeros(n - 1, bool)
        for c in CHANNELS:
            moving |= np.diff(f.angles[f"{c}_{side}"]) != 0
        active = (f.restless[side] > 0) | (f.away[side] > 0)
        assert not np.any(moving & ~active[:-1] & ~active[1:]), side
        assert np.mean(~active) > 0.2, side  # the hand rests a good part of the minute
        bout_only[side] = np.mean(moving & (f.away[side][:-1] == 0) & (f.away[side][1:] == 0))
    assert max(bout_only.values()) > 0.05  # and some bouts moved a resting arm
    off = arm_fidgets(np.random.default_rng(3), n, fps, 0.0)
    assert all(np.all(v == 0) for d in (off.angles, off.away, off.restless) for v in d.values())
