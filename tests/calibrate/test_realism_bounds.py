"""Each library activity, through the realism statistics, stays within published bounds.

The statistics are :func:`imuforge.calibrate.realism.realism_stats` (orientation-free: they hold
whatever way each synthetic person wears the device), on synthetic people made by the generation
call every command uses.
"""

from __future__ import annotations

import pytest

from imuforge.calibrate.realism import realism_stats
from imuforge.synth import activity_spec, generate_recordings, plan_takes

ACTIVITIES = ("walking", "running", "stairs_up", "stairs_down", "standing", "sitting")

#: steps/min: walking at preferred speed ≈ 100–125 in healthy adults (Tudor-Locke et al. 2011, *Int J
#: Behav Nutr Phys Act* 8:79; Öberg et al. 1993); running ≈ 150–190 (Cavanagh & Kram 1989, *Med Sci
#: Sports Exerc* 21:467; de Ruiter et al. 2014, *Eur J Sport Sci* 14:251); stairs: from the self-paced
#: 5-step laboratory staircases (Riener, Rabuffetti & Frigo 2002, *Gait Posture* 15:32: ≈ 95 ascending,
#: ≈ 100 descending) to an unconstrained 13-step staircase (101 young adults descending at 124 ± 23 steps/min:
#: gait cycle 0.97 ± 0.18 s, *Gait Posture* 2023) — the median of a few people within ≈ ±1.5 SD of that
CADENCE = {"walking": (95, 130), "running": (145, 190), "stairs_up": (85, 150), "stairs_down": (90, 160)}


@pytest.fixture(scope="module")
def stats():
    out = {}
    for prof, pl in (("metamotions", "lower_back"), ("smartphone-waist", "pocket_right_thigh")):
        takes = plan_takes(len(ACTIVITIES), 3, [prof], [pl])
        recs = [r for _, _, r in generate_recordings([activity_spec(a, 16.0) for a in ACTIVITIES], takes, seed=2,
                                                     fps=100.0, wear="default")]
        out[pl] = realism_stats(recs)
    return out


@pytest.mark.parametrize("placement", ["lower_back", "pocket_right_thigh"])
def test_cadence_of_every_gait_is_in_the_published_range(stats, placement):
    for act, (lo, hi) in CADENCE.items():
        assert lo <= stats[placement][act].cadence_spm <= hi, act
    assert stats[placement]["running"].cadence_spm > stats[placement]["walking"].cadence_spm + 20


def test_postures_a_waist_and_a_thigh_device_tell_apart(stats):
    """Standing → chair sitting: pelvis tilts back 10–30° (Endo et al. 2012: 18.3° mean); the thigh
    turns from vertical to about horizontal (≥ 55°)."""
    assert 8.0 <= stats["lower_back"]["sitting"].posture_deg <= 35.0
    assert stats["pocket_right_thigh"]["sitting"].posture_deg >= 55.0
    for act in ("walking", "running"):  # upright gaits keep the standing posture within a few degrees
        assert stats["lower_back"][act].posture_deg < 10.0


def test_the_trunk_sees_impacts_below_10_hz_and_quiet_standing_is_quiet(stats):
    """Content above ≈ 10 Hz is attenuated on the way up the body (Shorten & Winslow 1992): a lower-back
    device in walking keeps most of its |acc| power below 10 Hz (the real mobgap lower back: 5 % above);
    standing at the lower back rotates slowly (sway, weight shifts: |ω| 95th pct < 0.2 rad/s)."""
    assert stats["lower_back"]["walking"].hf_share < 0.15
    assert stats["lower_back"]["standing"].gyro_p95 < 0.2
    assert stats["pocket_right_thigh"]["walking"].gyro_p95 < stats["pocket_right_thigh"]["running"].gyro_p95
