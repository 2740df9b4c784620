"""Forms of the motion code rewritten for speed, against the closed forms and the one-at-a-time paths they replace."""

import numpy as np
import pytest

from imuforge.motion.body import Person
from imuforge.motion.library import gait
from imuforge.motion.library._core import fourier_basis


def test_fourier_basis_is_the_direct_sines_and_cosines():
    phase = np.random.default_rng(0).uniform(-3.0, 3.0, size=(50, 7))  # any shape, a few cycles either way
    h = 8
    got = fourier_basis(phase, h)
    assert got.shape == (50, 7, 2 * h + 1)
    k = np.arange(1, h + 1)
    ang = 2 * np.pi * phase[..., None] * k
    assert np.all(got[..., 0] == 1.0)
    np.testing.assert_allclose(got[..., 1::2], np.cos(ang), rtol=0, atol=1e-13)
    np.testing.assert_allclose(got[..., 2::2], np.sin(ang), rtol=0, atol=1e-13)
    assert fourier_basis(phase, 0).shape == (50, 7, 1)


@pytest.mark.parametrize("kind", ["walking", "stairs_up", "stairs_down", "running"])
def test_batched_hip_probes_are_the_single_probes(kind):
    """The hip fit probes several (amplitude, offset) pairs in one pass: each must be what a probe of its own
    gives, to rounding — the batched products may sum in another order on a longer array, and which order
    is the CPU's SIMD kernel's: bit-equal on one machine, 1 ulp apart on an AMD EPYC even without curve
    corrections."""
    person = Person.sample(np.random.default_rng(3))
    plain = gait.Closure(1.0, -gait.GAITS[kind].pelvis_tilt)
    # and a closure carrying every curve correction (planted foot, hip and adduction series), as refits do
    corrected = gait.stance_sway_correction(kind, person, gait.stance_speed_correction(
        kind, person, gait.foot_flat_correction(kind, person, plain, 1.2, 0.62), 0.95, 1.2, 0.62), 0.95, 1.2, 0.62)
    assert corrected.foot is not None and corrected.hip is not None and corrected.add is not None
    hips = [(1.0, -4.0), (1.2, -4.0), (1.0, -1.0), (0.8, 2.0)]
    for closure in (plain, corrected):
        both = gait._probes(kind, person, closure, hips, 0.95, 1.2, 0.62, 0.17)
        one = np.array([gait._probe(kind, person, gait.replace(closure, amp=a, offset=d), 0.95, 1.2, 0.62, 0.17)
                        for a, d in hips])
        np.testing.assert_allclose(both, one, rtol=1e-12, atol=1e-15)
        assert np.all(np.isfinite(both)) and np.all(both[:, 0] > 0)  # a step length for every probe


@pytest.mark.parametrize("kind", ["stairs_up", "stairs_down"])
def test_stair_closures_close(kind, monkeypatch):
    """Every person's hip fit closes the stair geometry: the final closure's step is the tread and both feet
    meet their steps in the weight transfer, within 3 cm (the chord iteration alone left one climber in
    twenty 8 cm off at the bounds, and descents up to 10 cm)."""
    from imuforge.motion.library import generate

    misses = []
    original = gait.close_gait

    def traced(kind_, person, target_step, f_step, speed, stance, riser_m):
        c = original(kind_, person, target_step, f_step, speed, stance, riser_m)
        step, mismatch = gait._probe(kind_, person, c, f_step, speed, stance, riser_m)
        misses.append(max(abs(step - target_step), abs(mismatch)))
        return c

    monkeypatch.setattr(gait, "close_gait", traced)
    for seed in range(12):
        generate(kind, 3, fps=50, rng=seed)
    assert len(misses) == 12 and max(misses) < 0.03, np.round(misses, 3)


def test_curve_matrix_holds_each_curve_fit():
    keys, m = gait._coefficient_matrix("walking", 1.3, 0.62)
    assert keys == tuple(gait.GAITS["walking"].curves) and not m.flags.writeable
    for j, key in enumerate(keys):
        assert np.array_equal(m[:, j], gait._coefficients("walking", key, 1.3, 0.62))


def test_euler_closed_form_is_the_product_of_its_three_rotations():
    """``quat.euler`` writes out two Hamilton products: against ``qmul`` of the three elemental rotations,
    every order of three different axes, angles over several turns, scalars broadcast against arrays."""
    from itertools import permutations

    from imuforge.motion import quat as Q

    a, b, c = np.random.default_rng(0).uniform(-7.0, 7.0, size=(3, 500))
    about = (Q.rx, Q.ry, Q.rz)
    for axes in permutations(range(3)):
        i, j, k = (about[n] for n in axes)
        product = Q.qmul(i(a), Q.qmul(j(b), k(c)))
        np.testing.assert_allclose(Q.euler(axes, a, b, c), product, rtol=0, atol=1e-15)
        held = Q.euler(axes, a, 0.3, c)  # a held angle: a scalar broadcast over the frames
        np.testing.assert_allclose(held, Q.qmul(i(a), Q.qmul(j(np.full(500, 0.3)), k(c))), rtol=0, atol=1e-15)
        assert Q.euler(axes, 0.1, 0.2, 0.3).shape == (4,)
    with pytest.raises(ValueError, match="three different axes"):
        Q.euler((0, 1, 0), a, b, c)


def test_central_difference_is_numpys_gradient():
    from imuforge.motion.library._core import _central_difference

    x = np.random.default_rng(1).normal(size=(97, 2, 2, 3))
    assert np.array_equal(_central_difference(x), np.gradient(x, axis=0))
    assert np.array_equal(_central_difference(x[:2]), np.gradient(x[:2], axis=0))


def test_joint_stance_corrections_land_where_the_sequential_ones_do():
    """Walking's even-speed and sway corrections solved together (``stance_path_correction``, each iteration
    correcting both) leave the pelvis path as even as one correction after the other: fore-aft and sideways
    residuals within 0.5 mm RMS of the sequential ones and below 4 mm, on 6 people."""
    args = (1.9, 1.3, 0.62)  # step frequency (Hz), speed (m/s), stance fraction
    for seed in range(6):
        person = Person.sample(np.random.default_rng([seed, 3]))
        fitted = gait.fit_hip("walking", person, 0.68, *args, 0.17, steps=1)
        base = gait.foot_flat_correction("walking", person, fitted, 1.3, 0.62)
        speed = gait.stance_speed_correction("walking", person, base, *args)
        seq = gait.stance_sway_correction("walking", person, speed, *args)
        joint = gait.stance_path_correction("walking", person, base, *args)
        got = [_path_residuals(person, c, *args) for c in (base, seq, joint)]
        assert np.all(np.abs(got[2] - got[1]) < 0.5e-3) and np.all(got[2] < 4e-3), got
        assert np.all(got[0] > 2 * got[2])  # the corrections did work: the raw path is uneven both ways


def _path_residuals(person, closure, f_step, speed, stance):
    """RMS (m) of the foot-anchored pelvis path over one stride less its mean progression (fore-aft) and
    less its stride fundamental (sideways)."""
    from imuforge.motion.library._core import (anchored_root, foot_contact_points, fourier_basis,
                                               pose_to_local, rel_fk)

    ph = np.linspace(0.0, 1.0, 120, endpoint=False)
    fps = len(ph) * f_step / 2
    pose = gait._pose("walking", person, ph, ph + 0.5, 1.0, 1.0, closure, None, speed, stance, {})
    P, G = rel_fk(pose_to_local(pose, len(ph), legs_only=True), person)
    w = gait._contact_weights("walking", ph, ph + 0.5, stance)
    root = anchored_root(foot_contact_points(P, G, person, fps), w, fps)
    out = []
    for axis, keep in ((2, np.column_stack([np.ones_like(ph), ph])), (0, fourier_basis(ph, 1))):
        x = root[:, axis]
        out.append(np.sqrt(np.mean((x - keep @ np.linalg.lstsq(keep, x, rcond=None)[0]) ** 2)))
    return np.array(out)


@pytest.mark.parametrize("kind", ["walking", "running", "stairs_down"])
def test_both_legs_in_one_pass_are_each_leg_alone(kind):
    """``_leg_angles`` takes both legs' phases as rows of one array: each row must be what that leg alone
    gives (no mixing between the rows), with per-frame closure fields (the probes') and a planted-foot table."""
    person = Person.sample(np.random.default_rng(4))
    style = gait.person_gait_style(person)
    n = 150
    ph = np.stack([np.linspace(0.0, 1.3, n), np.linspace(0.5, 1.8, n) + 0.01])
    amp = np.stack([np.full(n, 1.02), 1.0 - 0.03 * np.sin(ph[1])])
    rng = np.random.default_rng(2)
    closure = gait.Closure(np.linspace(0.9, 1.1, n), np.linspace(-9.0, -7.0, n),
                           foot=rng.normal(0, 2, (gait.FOOT_GRID, 4)),
                           hip=rng.normal(0, 1, 2 * gait.HARMONICS + 1),
                           add=rng.normal(0, 1, 2 * gait.HARMONICS + 1), abd=np.linspace(0.0, 2.0, n))
    both = gait._leg_angles(kind, ph, 1.2, 0.62, closure, amp, style)
    for row in range(2):
        alone = gait._leg_angles(kind, ph[row:row + 1], 1.2, 0.62, closure, amp[row:row + 1], style)
        assert both.keys() == alone.keys()
        for key in both:
            np.testing.assert_allclose(both[key][row], alone[key][0], rtol=0, atol=1e-12, err_msg=key)


def test_held_angles_are_the_same_rotations_as_angle_series():
    """``pose_to_local`` keeps a held (scalar) angle a scalar and broadcasts its rotation: the same rotations
    as the same angle given for every frame."""
    from imuforge.motion.library._core import pose_to_local

    n = 40
    wave = np.linspace(-20.0, 30.0, n)
    held = {"pelvis_tilt": 8.0, "hip_flex_L": wave, "hip_abd_L": 4.0, "knee_flex": 12.0, "ankle_inv_R": -3.0,
            "sh_abd": 20.0, "elbow_flex_R": wave, "spine_flex": 5.0, "neck_rot": -7.0}
    series = {k: np.full(n, float(v)) if np.ndim(v) == 0 else v for k, v in held.items()}
    np.testing.assert_allclose(pose_to_local(held, n), pose_to_local(series, n), rtol=0, atol=1e-15)
    from imuforge.errors import ValidationError

    with pytest.raises(ValidationError, match="pose angle 'hip_flex'"):
        pose_to_local({"hip_flex_L": np.zeros((n, 1))}, n)
    with pytest.raises(ValidationError, match="pose angle 'knee_flex'"):
        pose_to_local({"knee_flex_R": np.zeros(n - 1)}, n)


def test_stairs_down_closure_drops_the_even_pelvis_only_where_that_closes_the_stairs(monkeypatch):
    """``close_gait``: a descent takes the even pelvis and the even height (``descent_height_correction``)
    where they close its stairs within ``STAIR_EVEN_MAX_MISS_M`` (56 of 60 descents, ``generate`` seeds 0–59;
    seed 0 here); where they leave it open, the height without the even pelvis (seed 35: 9.2 mm), then neither
    (seed 49: 4.3 mm); where nothing closes, the nearest (seed 58: the even pelvis and height, 26.5 mm; 42 mm
    before the height)."""
    from imuforge.motion.library import generate

    chosen = []
    original = gait.close_gait

    def traced(kind, person, target_step, f_step, speed, stance, riser_m):
        c = original(kind, person, target_step, f_step, speed, stance, riser_m)
        miss = gait._closure_miss(c, kind, person, target_step, f_step, speed, stance, riser_m)
        chosen.append((c.hip is not None, c.knee is not None, miss))
        return c

    monkeypatch.setattr(gait, "close_gait", traced)
    for seed in (0, 35, 49, 58):
        generate("stairs_down", 2, fps=50, rng=seed)
    limit = gait.STAIR_EVEN_MAX_MISS_M
    (even0, knee0, miss0), (even35, knee35, miss35), (even49, knee49, miss49), (even58, knee58, miss58) = \
        chosen
    assert even0 and knee0 and miss0 <= limit, chosen
    assert not even35 and knee35 and miss35 <= limit, chosen
    assert not even49 and not knee49 and miss49 <= limit, chosen
    assert even58 and knee58 and limit < miss58 < 0.03, chosen


@pytest.mark.parametrize("flight", [False, True])
def test_strides_in_one_pass_are_the_strides_one_by_one(flight):
    """foot_contact_points of m strides (leading axis) and anchored_roots give, bit for bit, a call per stride
    (anchored_root), with a foot on the ground throughout and with flight frames (running)."""
    from imuforge.motion import quat as Q
    from imuforge.motion.library._core import anchored_root, anchored_roots, foot_contact_points

    rng = np.random.default_rng(5)
    person = Person.sample(rng)
    m, n = 3, 40
    P = rng.normal(0.0, 0.3, (m, n, 22, 3))
    G = Q.normalize(rng.normal(size=(m, n, 22, 4)))
    ph = np.arange(n) / n
    w = np.stack([gait.contact_ramps(ph, 0.38 if flight else 0.6, 0.05),
                  gait.contact_ramps(ph + 0.5, 0.38 if flight else 0.6, 0.05)], 1)
    pts, vel = foot_contact_points(P, G, person, 60.0)
    roots = anchored_roots((pts, vel), w, 60.0)
    for i in range(m):
        one = foot_contact_points(P[i], G[i], person, 60.0)
        assert np.array_equal(one[0], pts[i]) and np.array_equal(one[1], vel[i])
        assert np.array_equal(anchored_root(one, w, 60.0), roots[i])


def test_both_legs_rows_are_each_sides_angle():
    """pose_to_local's (2, n) leg angle rows are side_angle of each side, bit for bit: per-side arrays, held
    scalars, a shared key, a size-1 array (broadcast) and an int."""
    from imuforge.motion.library._core import _both_sides, side_angle

    n = 5
    x = np.linspace(-20.0, 30.0, n)
    for pose in ({"hip_flex_L": x, "hip_flex_R": 2 * x}, {"hip_flex": 7.5}, {"hip_flex": x, "hip_flex_R": 3},
                 {"hip_flex_L": np.array([4.0]), "hip_flex_R": x}, {}):
        rows = _both_sides(pose, "hip_flex", n)
        for i, sfx in enumerate("LR"):
            one = side_angle(pose, "hip_flex", sfx, n)
            assert np.array_equal(np.broadcast_to(rows[i], (n,)), np.broadcast_to(one, (n,)))


@pytest.mark.parametrize("trailing", [(), (1,), (4,)])
def test_periodic_spline_is_scipys_periodic_cubic_spline(trailing):
    """The lean periodic spline (gait curves, planted-foot tables) is scipy's ``CubicSpline(…, "periodic")``
    bit for bit: its coefficients, breakpoints and values and slopes anywhere (extrapolated periodically)."""
    from scipy.interpolate import CubicSpline

    from imuforge.motion.library._core import periodic_spline

    rng = np.random.default_rng(7)
    for n in (4, 5, 9, 26, 101):
        uneven = np.concatenate([[0.0], np.sort(rng.uniform(0.01, 0.99, n - 2)), [1.0]])
        for x in (np.arange(n) / (n - 1), uneven):
            y = rng.normal(size=(n, *trailing)) * 30.0
            y[-1] = y[0]
            want, got = CubicSpline(x, y, bc_type="periodic"), periodic_spline(x, y)
            s = rng.uniform(-1.5, 2.5, 200)
            assert np.array_equal(got.c, want.c) and np.array_equal(got.x, want.x)
            assert np.array_equal(got(s), want(s)) and np.array_equal(got(s, 1), want(s, 1))
    with pytest.raises(ValueError, match="periodic"):
        periodic_spline(np.arange(5.0), np.arange(5.0))  # y[0] != y[-1]


def test_person_to_dict_is_asdict():
    import dataclasses
    import json

    for person in (Person(), *(Person.sample(np.random.default_rng(i)) for i in range(20))):
        got, want = person.to_dict(), dataclasses.asdict(person)
        assert json.dumps(got) == json.dumps(want) and got["proportions"] is not person.proportions
