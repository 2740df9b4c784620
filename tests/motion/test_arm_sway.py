"""The hanging arm as a passive pendulum (imuforge.motion.library.arm_sway)."""

import numpy as np
import pytest
from scipy.signal import lfilter

from imuforge.motion.body import Person
from imuforge.motion.kinematics import chain_kinematics
from imuforge.motion.library import arm_sway as A
from imuforge.motion.library._core import GRAVITY, STANDING, J, pose_to_local
from imuforge.motion.library.gait import gait_track

FPS = 100.0


def _steady(x: np.ndarray) -> np.ndarray:
    return x[len(x) // 2:]


@pytest.mark.parametrize("plane", ["sagittal", "transverse"])
def test_the_arm_follows_the_driven_damped_pendulum_formula(plane):
    """A sinusoidal shoulder acceleration of amplitude a at ω: the arm's steady angle amplitude is
    (md/I)·a / |ω0² − ω² + 2iζω0ω| with ω0² = g·md/I (closed form), within 1.5 % (the bilinear map
    evaluates the pendulum at (2/T)·tan(ωT/2): ≈ 1 % lower at 4 Hz and 100 Hz, above resonance); a
    constant acceleration tilts it by −a/g (the arm hangs along the apparent gravity)."""
    p = Person()
    inertia, md = A.arm_pendulum(*A._segment_lengths(p), plane)
    b, a = A._arm_filter(*A._segment_lengths(p), plane, FPS)
    w0 = np.sqrt(GRAVITY * md / inertia)
    t = np.arange(0, 30, 1 / FPS)
    for f in (1.9, 4.0):
        w = 2 * np.pi * f
        q = lfilter(b, a, 1.5 * np.sin(w * t))
        want = md / inertia * 1.5 / abs(w0 ** 2 - w ** 2 + 2j * A.DAMPING * w0 * w)
        basis = np.stack([np.sin(w * t), np.cos(w * t)], 1)
        coef = np.linalg.lstsq(_steady(basis), _steady(q), rcond=None)[0]
        assert np.hypot(*coef) == pytest.approx(want, rel=0.015), f
    assert lfilter(b, a, np.full(len(t), 2.0))[-1] == pytest.approx(-2.0 / GRAVITY, rel=1e-3)


def test_the_arm_is_a_pendulum_of_about_0_8_hz():
    """de Leva's segments on a 1.75 m body: equivalent length I/(md) ≈ 0.43 m (a straight arm of
    0.58 m to the wrist; a uniform rod of the arm's length would give 2/3 of it), frequency
    √(g/L)/2π ≈ 0.76 Hz, within the 0.7–0.9 Hz of a swinging arm; ∝ stature. The frontal plane's
    (transverse radii, smaller) is a little shorter."""
    p = Person()
    L = A.equivalent_length(p)
    assert 0.38 < L < 0.48
    assert 0.7 < np.sqrt(GRAVITY / L) / (2 * np.pi) < 0.9
    assert A.equivalent_length(Person(height_m=1.55)) == pytest.approx(L * 1.55 / 1.75, rel=0.02)
    assert A.equivalent_length(p, "transverse") < L


def _shaken_standing(direction: np.ndarray, f_hz: float = 2.2, seconds: float = 8.0):
    """A standing body facing +z (left at +x) whose root is shaken sinusoidally along ``direction``;
    the arm increments added, then the wrists relative to the shoulders and the root's acceleration."""
    p = Person()
    n = int(seconds * FPS)
    t = np.arange(n) / FPS
    pose = {k: np.full(n, v) for k, v in STANDING.items()}
    root = np.array([0.0, 0.95, 0.0]) + 0.01 * np.sin(2 * np.pi * f_hz * t)[:, None] * direction
    inc = A.passive_arm_sway(pose_to_local(pose, n), root, p, FPS, f_hz, {})
    for side in "LR":
        for k in ("sh_flex", "sh_abd"):
            pose[f"{k}_{side}"] = pose.get(f"{k}_{side}", STANDING[k]) + inc[f"{k}_{side}"]
    pos, _ = chain_kinematics(pose_to_local(pose, n), p.offsets, tuple(range(1, 22)))
    rel = {s: pos[:, J(f"{s}_wrist")] - pos[:, J(f"{s}_shoulder")] for s in ("left", "right")}
    acc = -(2 * np.pi * f_hz) ** 2 * 0.01 * np.sin(2 * np.pi * f_hz * t)
    return rel, acc


def test_the_wrists_move_as_the_driven_pendulum_says_in_the_skeletons_frame():
    """Shaking a standing body (facing +z, left at +x) fore-aft and sideways at 2.2 Hz, above the arm's
    own frequency: the wrist relative to the shoulder moves as ``reach · q`` with q the driven, damped
    pendulum's response to the shoulder's acceleration, H(iω) = −(md/I) / (ω0² − ω² + 2iζω0ω) — in
    phase with the acceleration here (the arm nearly keeps still while the shoulder shakes under it),
    backwards and to the right for a forward and a leftward pull at low frequency (−a/g, the test
    above). Through the joint conventions of ``pose_to_local`` (sh_flex + forwards, sh_abd + away from
    the midline), so a flipped sign or axis anywhere turns the correlation negative. Amplitude within
    30 % (the hanging arm is not straight; the drive filter takes ≈ 9 % at 2.2 Hz)."""
    p = Person()
    f = 2.2
    w = 2 * np.pi * f
    t = np.arange(int(8 * FPS)) / FPS
    reach = sum(A._segment_lengths(p))
    for direction, axis, plane in ((np.array([0.0, 0.0, 1.0]), 2, "sagittal"),
                                   (np.array([1.0, 0.0, 0.0]), 0, "transverse")):
        rel, acc = _shaken_standing(direction, f)
        inertia, md = A.arm_pendulum(*A._segment_lengths(p), plane)
        w0 = np.sqrt(GRAVITY * md / inertia)
        H = -(md / inertia) / (w0 ** 2 - w ** 2 + 2j * A.DAMPING * w0 * w)
        a_amp = -(w ** 2) * 0.01  # acc = a_amp · sin(ωt)
        want = reach * a_amp * np.abs(H) * np.sin(w * t + np.angle(H))
        for side, x in rel.items():
            x = _steady(x[:, axis] - x[:, axis].mean())
            r = np.corrcoef(x, _steady(want))[0, 1]
            assert r > 0.95, (side, plane, r)
            assert np.ptp(x) / 2 == pytest.approx(abs(reach * a_amp) * np.abs(H), rel=0.3), (side, plane)


def test_a_walk_swings_the_free_arms_at_the_step_frequency_and_not_the_held_ones():
    """Walking: each free arm's increment rate at the step frequency has the driven pendulum's size for
    the shoulder's fore-aft acceleration at that frequency (within 25 %: the drive filter takes ≈ 9 %
    there); an arm with any held angle (a phone, a bag) gets none; a track too short to filter gets
    none; the increments start without a blow-up: over 6 people the first 2 s swing 1.1–2.6× as far as
    the steady swing after 4 s (the mirrored start bounds the start transient; it does not remove it)."""
    p = Person.sample(np.random.default_rng(5))
    track = gait_track("walking", p, 12, FPS, np.random.default_rng(3), carrying="none", turns=0)
    f_step = track.meta["step_frequency_hz"]
    inc = A.passive_arm_sway(track.local, track.root, p, FPS, f_step, {})
    assert set(inc) == {f"{k}_{s}" for k in ("sh_flex", "sh_abd") for s in "LR"}
    acc = A.shoulder_accelerations(track.local, track.root, p, FPS)[:, 0, 0]
    n, w = len(acc), 2 * np.pi * f_step
    freqs = np.fft.rfftfreq(n, 1 / FPS)
    k = int(np.argmin(np.abs(freqs - f_step)))

    def at_step(x):
        return np.abs(np.fft.rfft(x - x.mean())[k - 1:k + 2] / n * 2).max()
    inertia, md = A.arm_pendulum(*A._segment_lengths(p), "sagittal")
    w0 = np.sqrt(GRAVITY * md / inertia)
    want = w * md / inertia * at_step(acc) / abs(w0 ** 2 - w ** 2 + 2j * A.DAMPING * w0 * w)
    rate = np.gradient(np.radians(inc["sh_flex_L"]), 1 / FPS)
    assert at_step(rate) == pytest.approx(want, rel=0.25)
    for s in range(6):
        q = Person.sample(np.random.default_rng(5 + s))
        walk = gait_track("walking", q, 12, FPS, np.random.default_rng(3 + s), carrying="none", turns=0)
        f = walk.meta["step_frequency_hz"]
        x = A.passive_arm_sway(walk.local, walk.root, q, FPS, f, {})["sh_flex_L"]
        assert np.ptp(x[:int(2 * FPS)]) < 3.0 * np.ptp(x[int(4 * FPS):]), s
    for held in ({"sh_flex_R_fixed": 15.0}, {"elbow_flex_R_fixed": 5.0, "sh_abd_R_fixed": 10.0}):
        got = A.passive_arm_sway(track.local, track.root, p, FPS, f_step, held)
        assert set(got) == {"sh_flex_L", "sh_abd_L"}
    assert A.passive_arm_sway(track.local[:20], track.root[:20], p, FPS, f_step, {}) == {}


def test_the_elbow_and_the_forearm_follow_their_driven_oscillators():
    """The elbow (forearm and hand about the elbow) and the forearm's axial twist are driven, damped
    oscillators: a sinusoidal drive of amplitude a at ω gives the steady amplitude
    gain·a/|ω0² − ω² + 2iζω0ω| (closed form, within 1.5 %: the bilinear map), and a constant drive the
    static −gain·a/ω0² — a forward push extends the elbow and pronates the forearm (both negative)."""
    p = Person()
    _, fore = A._segment_lengths(p)
    t = np.arange(0, 30, 1 / FPS)
    for (inertia, moment), hz, zeta in ((A.forearm_pendulum(fore), A.ELBOW_HZ, A.ELBOW_DAMPING),
                                        (A.forearm_axial(fore), A.AXIAL_HZ, A.AXIAL_DAMPING)):
        gain, w0 = moment / inertia, 2 * np.pi * hz
        b, a = A._oscillator(gain, hz, zeta, FPS)
        for f in (0.9, 1.9, 3.5):
            w = 2 * np.pi * f
            q = lfilter(b, a, 2.0 * np.sin(w * t))
            basis = np.stack([np.sin(w * t), np.cos(w * t)], 1)
            coef = np.linalg.lstsq(_steady(basis), _steady(q), rcond=None)[0]
            want = gain * 2.0 / abs(w0 ** 2 - w ** 2 + 2j * zeta * w0 * w)
            assert np.hypot(*coef) == pytest.approx(want, rel=0.015), (hz, f)
        assert lfilter(b, a, np.full(len(t), 1.5))[-1] == pytest.approx(-gain * 1.5 / w0 ** 2, rel=1e-3)


def test_walkers_turn_their_forearms_through_the_published_range():
    """Free-armed walkers at 1.3 m/s (the whole gait, read back from the left elbow's joint rotation,
    ``ry(−flexion) · rx(−supination)``): the forearm's pronation–supination range (steady part) has a
    median within the 14.2 ± 3.2° measured during arm swing (15 adults, Clin Shoulder Elb 2023), and the
    elbow stays flexed (never hyperextended). Without the arm's angles the increments are the whole arm's
    only; a held arm gets none of them."""
    from scipy.spatial.transform import Rotation

    ranges, least = [], []
    for s in range(8):
        p = Person.sample(np.random.default_rng(40 + s))
        track = gait_track("walking", p, 16, FPS, np.random.default_rng(s), carrying="none", turns=0,
                           speed=1.3)
        flex, sup, rest = Rotation.from_quat(track.local[:, J("left_elbow")]).as_euler("YXZ", degrees=True).T
        np.testing.assert_allclose(rest, 0.0, atol=1e-9)
        ranges.append(np.ptp(-sup[int(4 * FPS):]))
        least.append((-flex).min())
    assert 14.2 - 3.2 <= np.median(ranges) <= 14.2 + 3.2, ranges
    assert min(least) > 5.0, least
    pose = {"sh_flex_L": 0.0, "sh_flex_R": 0.0, "elbow_flex_L": 30.0, "elbow_flex_R": 30.0}
    f_step = track.meta["step_frequency_hz"]
    both = A.passive_arm_sway(track.local, track.root, p, FPS, f_step, {}, pose)
    assert set(both) == {f"{k}_{s}" for k in ("sh_flex", "sh_abd", "elbow_flex", "elbow_sup") for s in "LR"}
    held = A.passive_arm_sway(track.local, track.root, p, FPS, f_step, {"elbow_flex_R_fixed": 95.0}, pose)
    assert set(held) == {f"{k}_L" for k in ("sh_flex", "sh_abd", "elbow_flex", "elbow_sup")}
