"""The hanging arm as a passive pendulum (imuforge.motion.library.arm_sway)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.signal import lfilter

from imuforge.motion.body import Person
from imuforge.motion.library import arm_sway as A
from imuforge.motion.library import generate
from imuforge.motion.library._core import GRAVITY

FPS = 100.0


def _steady(x: np.ndarray) -> np.ndarray:
    return x[len(x) // 2:]


def test_the_frontal_arm_follows_the_driven_damped_pendulum_formula():
    """A sinusoidal shoulder acceleration of amplitude a at ω: the rigid arm's steady angle amplitude is
    (md/I)·a / |ω0² − ω² + 2iζω0ω| with ω0² = g·md/I (closed form), within 1.5 % (the bilinear map
    evaluates the pendulum at (2/T)·tan(ωT/2): ≈ 1 % lower at 4 Hz and 100 Hz, above resonance); a
    constant acceleration tilts it by −a/g."""
    p = Person()
    *_, I_all, md = A._arm_bodies(*A._segment_lengths(p))
    *_, (bf, af) = A._arm_filters(*A._segment_lengths(p), FPS)
    w0 = np.sqrt(GRAVITY * md / I_all)
    t = np.arange(0, 30, 1 / FPS)
    for f in (1.9, 4.0):
        w = 2 * np.pi * f
        q = lfilter(bf, af, 1.5 * np.sin(w * t))
        want = md / I_all * 1.5 / abs(w0 ** 2 - w ** 2 + 2j * A.DAMPING * w0 * w)
        basis = np.stack([np.sin(w * t), np.cos(w * t)], 1)
        coef = np.linalg.lstsq(_steady(basis), _steady(q), rcond=None)[0]
        assert np.hypot(*coef) == pytest.approx(want, rel=0.015), f
    q = lfilter(bf, af, np.full(len(t), 2.0))
    assert q[-1] == pytest.approx(-2.0 / GRAVITY, rel=1e-3)


def test_the_sagittal_double_pendulum_matches_a_direct_integration():
    """The discrete transfer functions (state space → ss2tf → bilinear) against a Runge–Kutta
    integration of M q'' + C q' + K q = b a(t) on the same bodies (Rayleigh damping rebuilt here from the
    modes): the two angles agree within 2 % of their range over a 10 s mixed drive; a constant
    acceleration tilts both segments by −a/g (the arm hangs along the apparent gravity)."""
    p = Person(height_m=1.68)
    lengths = A._segment_lengths(p)
    M, K, b, *_ = A._arm_bodies(*lengths)
    (b1, a1), (b2, a2), _ = A._arm_filters(*lengths, FPS)
    w = np.sqrt(np.sort(np.linalg.eigvals(np.linalg.solve(M, K)).real))
    C = 2 * A.DAMPING * (w[0] * w[1] * M + K) / (w[0] + w[1])
    t = np.arange(0, 10, 1 / FPS)

    def drive(tt):
        return 1.2 * np.sin(2 * np.pi * 1.8 * tt) + 0.6 * np.sin(2 * np.pi * 3.7 * tt + 0.4) * (tt > 1)

    def rhs(tt, x):
        q, v = x[:2], x[2:]
        return np.concatenate([v, np.linalg.solve(M, b * drive(tt) - C @ v - K @ q)])
    ref = solve_ivp(rhs, (0, t[-1]), np.zeros(4), t_eval=t, rtol=1e-9, atol=1e-12, max_step=0.002).y
    for (bb, aa), q in (((b1, a1), ref[0]), ((b2, a2), ref[1])):
        got = lfilter(bb, aa, drive(t))
        assert np.max(np.abs(got - q)) < 0.02 * np.ptp(q)
    for bb, aa in ((b1, a1), (b2, a2)):
        assert lfilter(bb, aa, np.full(2000, 1.0))[-1] == pytest.approx(-1.0 / GRAVITY, rel=1e-3)


def test_the_arm_is_a_pendulum_of_about_0_8_hz():
    """The arm's equivalent length I/(md) about the shoulder from de Leva's segments: ≈ 0.43 m at 1.75 m
    (the whole-arm pendulum frequency √(g/L)/2π ≈ 0.76 Hz), ∝ stature."""
    L = A.equivalent_length(Person())
    assert 0.38 < L < 0.48
    assert A.equivalent_length(Person(height_m=1.55)) == pytest.approx(L * 1.55 / 1.75, rel=0.02)


def test_a_walk_swings_the_free_arms_at_the_step_frequency_and_not_the_held_ones():
    """Walking: the free arms get increments whose forearm rate at the step frequency has the size of the
    mass-dominated response a/(Lω) to the shoulder's fore-aft acceleration at that frequency (within a
    factor of 2: the elbow adds to it); an arm holding a phone gets none; the increments are smooth."""
    p = Person.sample(np.random.default_rng(5))
    kw = dict(fps=FPS, rng=3, person=p, heading_deg=0, turns=0)
    free = generate("walking", 12, carrying="none", **kw)
    held = generate("walking", 12, carrying="phone", **kw)
    info = free.meta["items"][0]["info"]
    assert info["carrying"] == "none"
    from imuforge.motion.library.gait import gait_track

    track = gait_track("walking", p, 12, FPS, np.random.default_rng(3), carrying="none", turns=0)
    f_step = track.meta["step_frequency_hz"]
    style = {}
    inc = A.passive_arm_sway(track.local, track.root, p, FPS, f_step, style)
    assert set(inc) == {f"{k}_{s}" for k in ("sh_flex", "elbow_flex", "sh_abd") for s in "LR"}
    acc = A.shoulder_accelerations(track.local, track.root, p, FPS)[:, 0, 0]
    n, w = len(acc), 2 * np.pi * f_step
    spec = np.fft.rfft(acc - acc.mean()) / n * 2
    freqs = np.fft.rfftfreq(n, 1 / FPS)
    k = int(np.argmin(np.abs(freqs - f_step)))
    a_step = np.abs(spec[k - 1:k + 2]).max()
    forearm = np.radians(inc["sh_flex_L"] + inc["elbow_flex_L"])  # q2 = q1 + (q2 − q1)
    rate = np.gradient(forearm, 1 / FPS)
    r_spec = np.fft.rfft(rate - rate.mean()) / n * 2
    r_step = np.abs(r_spec[k - 1:k + 2]).max()
    want = a_step / (A.equivalent_length(p) * w)
    assert want / 2 < r_step < want * 2, (r_step, want)
    assert np.abs(np.diff(inc["sh_flex_L"], 2)).max() < 0.5  # deg per frame²: no kinks
    held_inc = A.passive_arm_sway(track.local, track.root, p, FPS, f_step, {"sh_flex_R_fixed": 15.0})
    assert "sh_flex_R" not in held_inc and "sh_flex_L" in held_inc
    # the phone-holding (right) wrist of the generated walk still barely swings
    assert np.ptp(held.positions[:, 21, 2] - held.positions[:, 0, 2]) < 0.05
