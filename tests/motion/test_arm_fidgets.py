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


def test_the_envelope_of_either_event_has_no_corner_where_two_overlap():
    """An arm's events' envelopes joined by 1 − (1 − a)(1 − b): at least either's, and its second difference
    bounded by theirs (product rule), where their maximum has a corner where one falls as the other rises."""
    from imuforge.motion.library.fidgets import _either, _envelope

    t = np.arange(0, 4.0, 1e-3)
    a, b = _envelope(t, 0.0, 0.5, 0.5, 1.0), _envelope(t, 1.2, 1.0, 0.5, 0.5)
    both = a.copy()
    _either(both, b)
    assert np.all(both >= np.maximum(a, b) - 1e-12) and np.all(both <= 1.0)
    d2 = lambda x: np.abs(np.diff(x, 2)).max()  # noqa: E731
    bound = d2(a) + d2(b) + 2 * np.abs(np.diff(a)).max() * np.abs(np.diff(b)).max()
    assert d2(both) <= bound * 1.01
    assert d2(np.maximum(a, b)) > 10 * bound  # the corner the maximum had


def test_a_standing_person_with_folded_arms_has_no_wrist_spike():
    """The case a fresh user found: standing, arms crossed, two gestures of the left arm overlapping — its wrist
    read 9.7 g at one frame; its peak is now a movement's (under 2 g, as the rest of the minute)."""
    from imuforge.motion.library import schedule

    m = schedule([("standing", 20.0)], rng=4)
    assert m.meta["items"][0]["info"]["carrying"] == "arms_crossed"
    p = m.positions[:, m.skeleton.index("left_wrist")]
    assert np.linalg.norm(np.diff(p, 2, axis=0), axis=1).max() * m.fps ** 2 < 20.0
