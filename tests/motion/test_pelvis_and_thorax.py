"""The walking pelvis follows the published mean curves, and the thorax is steadier than the pelvis.

* Pelvic obliquity and rotation over the walking stride: the mean curves of Schwartz, Rozumalski & Trost
  2008 (*J Biomech* 41:1639) in their slow, free and fast speed classes (dimensionless speed v / √(g L)
  0.290, 0.429, 0.560). Free speed: the obliquity rises to +4.1° at 14–16 % of the stride (the loading
  response; + the same side up), stays within ±0.7° from 30 to 50 % and falls to −4.1° at 64–66 %; the
  rotation is +4.4° at 0–2 % (the same side forward), held near +3.4° from 6 to 20 % and −4.4° at 50–52 %.
  Peak to peak, obliquity 6.0 / 8.2 / 11.0° and rotation 6.9 / 8.9 / 12.8° (slow / free / fast).
* The thorax rolls less than the pelvis (the spine bends against the pelvis's obliquity); a sign error had
  it rolling 1.8 times as much (the roll rate grew from the pelvis up the spine; cycling's rocking on the
  saddle 1.9 times). The walking pelvis's
  departure from the sinusoids is taken up at the lowest spine joint alone (``lumbar_*`` pose angles).
"""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.motion import quat as Q
from imuforge.motion.library import generate
from imuforge.motion.library._core import J, pose_to_local
from imuforge.motion.library.gait import walking_pelvis

PHASES = np.arange(100) / 100  # 1 % steps
#: the speed classes' m/s for the library's 1.75 m reference person (dimensionless 0.290, 0.429, 0.560
#: × √(g L), L = 0.53 × 1.75 m)
SLOW, FREE, FAST = 0.875, 1.294, 1.689


def test_free_speed_obliquity_peaks_in_the_loading_response_and_rests_level_in_mid_stance():
    o = walking_pelvis(PHASES, FREE)["pelvis_obliq"]
    assert 12 <= np.argmax(o) <= 20 and 3.6 <= o.max() <= 4.6
    assert np.abs(o[30:51]).max() < 0.9
    assert 60 <= np.argmin(o) <= 70 and -4.6 <= o.min() <= -3.6
    # the third harmonic: how far the curve is from a sinusoid of the same fundamental
    c = np.fft.rfft(o) / len(o) * 2
    assert 0.3 <= abs(c[3]) / abs(c[1]) <= 0.6


def test_free_speed_rotation_leads_at_heel_strike_and_holds_through_the_loading_response():
    yaw = -walking_pelvis(PHASES, FREE)["pelvis_yaw"]  # + the left side forward, as published
    assert yaw[:3].max() == pytest.approx(4.4, abs=0.4)
    assert np.all((yaw[6:21] > 2.8) & (yaw[6:21] < 4.2))
    assert yaw[49:54].min() == pytest.approx(-4.4, abs=0.4)


@pytest.mark.parametrize("speed, obliq_p2p, rot_p2p", [(SLOW, 6.0, 6.9), (FREE, 8.2, 8.9), (FAST, 11.0, 12.8),
                                                     (0.5, 6.0, 6.9), (2.0, 11.0, 12.8)])
def test_pelvis_range_grows_with_speed_as_published(speed, obliq_p2p, rot_p2p):
    """At each class's speed its published range; beyond the slowest and fastest classes, theirs."""
    p = walking_pelvis(PHASES, speed)
    assert np.ptp(p["pelvis_obliq"]) == pytest.approx(obliq_p2p, abs=0.5)
    assert np.ptp(p["pelvis_yaw"]) == pytest.approx(rot_p2p, abs=0.5)


def test_pelvis_between_the_classes_lies_between_them():
    for lo, hi in ((SLOW, FREE), (FREE, FAST)):
        ranges = [np.ptp(walking_pelvis(PHASES, v)["pelvis_obliq"]) for v in np.linspace(lo, hi, 6)]
        assert np.all(np.diff(ranges) > 0), ranges


def _roll_rate_rms(m, joint: str) -> float:
    """RMS rate (rad/s) about the segment's forward axis (+z in the rest pose) in the middle of the take."""
    q = m.orientations[100:-100, J(joint)]
    dq = Q.qmul(Q.qconj(q[:-1]), q[1:])
    return float(np.sqrt(np.mean((2 * dq[:, 2] * m.fps) ** 2)))


@pytest.mark.parametrize("kind", ["walking", "stairs_up", "running", "cycling"])
def test_thorax_rolls_less_than_the_pelvis(kind):
    kw = {"turns": 0} if kind == "walking" else {}
    for seed in (1, 2):
        m = generate(kind, 12, fps=100, rng=seed, **kw)
        pelvis, chest = _roll_rate_rms(m, "pelvis"), _roll_rate_rms(m, "spine3")
        assert chest < 0.5 * pelvis, (kind, seed, chest, pelvis)


def test_lumbar_angles_bend_the_lowest_spine_joint_alone():
    n = 5
    bend = np.linspace(-6.0, 6.0, n)
    pose = {"spine_lat": 4.0, "spine_rot": -3.0, "spine_flex": 10.0}
    plain = pose_to_local(pose, n)
    lumbar = pose_to_local(pose | {"lumbar_lat": bend, "lumbar_rot": 0.5 * bend}, n)
    spine = [J(name) for name in ("spine1", "spine2", "spine3")]
    assert np.allclose(lumbar[:, spine[1:]], plain[:, spine[1:]], atol=1e-12)
    # spine1: its share of the spine's angles plus the lumbar ones, in the spine's yaw → pitch → roll order
    d2r = np.pi / 180
    want = Q.qmul(Q.qmul(Q.ry(d2r * (0.35 * -3.0 + 0.5 * bend)), Q.rx(np.full(n, d2r * 0.35 * 10.0))),
                  Q.rz(-d2r * (0.35 * 4.0 + bend)))
    got = lumbar[:, spine[0]]
    assert np.allclose(np.abs(np.sum(got * want, axis=1)), 1.0, atol=1e-12)
