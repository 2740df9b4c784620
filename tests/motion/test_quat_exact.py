"""The quaternion helpers are rewritten for speed; they must give the bits of the plain numpy forms."""

import numpy as np
import pytest

from imuforge.motion import quat as Q


def _same(x, y):
    assert x.shape == y.shape and x.dtype == y.dtype
    assert np.array_equal(x, y)
    assert np.array_equal(np.signbit(x), np.signbit(y))  # signed zeros too (arctan2 sees them)


def _qmul_ref(a, b):
    ax, ay, az, aw = np.moveaxis(np.asarray(a), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.asarray(b), -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def _axis_angle_ref(axis, angle):
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    half = 0.5 * np.asarray(angle, dtype=float)[..., None]
    return np.concatenate([axis * np.sin(half), np.cos(half)], axis=-1)


@pytest.mark.parametrize("sa,sb", [((5, 4), (5, 4)), ((4,), (7, 4)), ((3, 1, 4), (1, 6, 4)), ((4,), (4,)),
                                   ((7, 4), (4,))])
def test_qmul_and_cross_match_numpy(sa, sb):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    _same(Q.qmul(a, b), _qmul_ref(a, b))
    _same(Q.cross(a[..., :3], b[..., 1:]), np.cross(a[..., :3], b[..., 1:]))


def test_qrot_matches_cross_form():
    rng = np.random.default_rng(2)
    q, v = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    u = q[..., :3]
    t = 2.0 * np.cross(u, v)
    _same(Q.qrot(q, v), v + q[..., 3:4] * t + np.cross(u, t))
    _same(Q.qrot(q, v[0]), v[0] + q[..., 3:4] * (2.0 * np.cross(u, v[0])) + np.cross(u, 2.0 * np.cross(u, v[0])))


@pytest.mark.parametrize("angle", [0.3, np.array(-0.2), np.array([0.0, -0.0, -1.0, 2.5]), np.ones((2, 3))])
def test_axis_rotations_match_reference(angle):
    for f, axis in ((Q.rx, [1.0, 0.0, 0.0]), (Q.ry, [0.0, 1.0, 0.0]), (Q.rz, [0.0, 0.0, 1.0])):
        _same(f(angle), _axis_angle_ref(axis, angle))
    _same(Q.axis_angle([0.0, -2.0, 0.0], angle), _axis_angle_ref([0.0, -2.0, 0.0], angle))


@pytest.mark.parametrize("sa,sb", [((9, 4), (9, 4)), ((4,), (9, 4)), ((9, 4), (4,)), ((5, 3, 4), (3, 4)),
                                   ((2, 1, 4), (1, 3, 4)), ((0, 4), (0, 4))])
def test_compiled_rows_equal_the_numpy_forms(sa, sb):
    if not Q._kernel():
        pytest.skip("imuforge.sensors._kernels (with quat_op) not built")
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    _same(Q.qmul(a, b), Q._qmul(a, b))
    _same(Q.cross(a[..., 1:], b[..., :3]), Q._cross(a[..., 1:], b[..., :3]))
    _same(Q.qrot(a, b[..., :3]), Q._qrot(a, b[..., :3]))
    strided = rng.normal(size=(7, 22, 4))[:, 5]  # a view, not contiguous
    _same(Q.qmul(strided, strided[::-1]), Q._qmul(strided, strided[::-1]))


def test_motion_is_the_same_without_the_compiled_rows(monkeypatch):
    from imuforge.motion.library import generate

    a = generate("walking", 3.0, fps=50, rng=4)
    monkeypatch.setattr(Q, "_KERNEL", False)
    b = generate("walking", 3.0, fps=50, rng=4)
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.orientations, b.orientations)


def test_compiled_forward_kinematics_equals_the_numpy_form(monkeypatch):
    from scipy.spatial.transform import Rotation

    from imuforge.motion.kinematics import forward_kinematics
    from imuforge.motion.skeleton import rest_offsets

    if not (Q._kernel() and hasattr(Q._kernel(), "forward_kinematics")):
        pytest.skip("imuforge.sensors._kernels (with forward_kinematics) not built")
    T = 37
    local = Rotation.random(T * 22, random_state=3).as_quat().reshape(T, 22, 4)
    root = np.random.default_rng(1).normal(size=(T, 3))
    off = rest_offsets(1.68)
    fast = forward_kinematics(local, root, off)
    strided = forward_kinematics(np.asfortranarray(local), root[0], off)  # any layout; one root for all frames
    monkeypatch.setattr(Q, "_KERNEL", False)
    ref = forward_kinematics(local, root, off)
    ref_one_root = forward_kinematics(local, root[0], off)
    for a, b in zip(fast + strided, ref + ref_one_root):
        _same(a, b)


@pytest.mark.parametrize("shape,axis", [((60, 4), 0), ((40, 5, 4), 0), ((5, 40, 4), 1), ((1, 4), 0)])
def test_compiled_continuous_and_norms_equal_the_numpy_forms(shape, axis, monkeypatch):
    q = np.random.default_rng(5).normal(size=shape)
    fast, n_fast = Q.continuous(q, axis), Q.norms(q)
    monkeypatch.setattr(Q, "_KERNEL", False)
    _same(fast, Q.continuous(q, axis))
    _same(n_fast, np.linalg.norm(q, axis=-1))
    assert np.array_equal(Q.norms(q), n_fast)
    # the flips make consecutive frames share a hemisphere
    c = np.moveaxis(fast, axis, 0)
    assert (np.sum(c[1:] * c[:-1], axis=-1) >= 0).all()


@pytest.mark.parametrize("angle", [np.full(300, 0.7), np.full(300, -0.0), np.broadcast_to(np.array(1.3), (800,)),
                                   np.full((100, 3), 2.0), np.full(100, 0.4)])
def test_constant_angles_give_the_bits_of_the_elementwise_form(angle):
    for f, axis in ((Q.rx, [1.0, 0.0, 0.0]), (Q.ry, [0.0, 1.0, 0.0]), (Q.rz, [0.0, 0.0, 1.0])):
        _same(f(angle), _axis_angle_ref(axis, angle))
    per_sample = np.random.default_rng(2).normal(size=np.shape(angle) + (3,))
    _same(Q.axis_angle(per_sample, angle), _axis_angle_ref(per_sample, angle))
    mixed = np.array(angle, dtype=float).copy()
    first = mixed.reshape(-1)[0]
    mixed.reshape(-1)[-1] = -first if first == 0.0 else 0.5  # one differing element (a zero of the other sign)
    _same(Q.rx(mixed), _axis_angle_ref([1.0, 0.0, 0.0], mixed))


def test_leg_chain_kinematics_equals_the_per_joint_loop(monkeypatch):
    from scipy.spatial.transform import Rotation

    from imuforge.motion.body import Person
    from imuforge.motion.library._core import _LEG_CHAIN, rel_fk
    from imuforge.motion.skeleton import HUMANML3D_22

    n = 45
    local = Rotation.random(n * 22, random_state=8).as_quat().reshape(n, 22, 4)
    person = Person(height_m=1.71)
    off = person.offsets
    P = np.zeros((n, 22, 3))
    G = np.zeros((n, 22, 4))
    G[:, 0] = local[:, 0]
    for j in _LEG_CHAIN:  # rel_fk's original loop
        p = HUMANML3D_22.parents[j]
        G[:, j] = Q._qmul(G[:, p], local[:, j])
        P[:, j] = P[:, p] + Q._qrot(G[:, p], off[j])
    fast = rel_fk(local, person)
    monkeypatch.setattr(Q, "_KERNEL", False)
    for got in (fast, rel_fk(local, person)):
        _same(got[0], P)
        _same(got[1], G)


def _leg_pose(rng: np.random.Generator, n: int, held) -> dict:
    """Random leg angles (deg) for ``n`` frames: the keys in ``held`` one shared value, the others per side
    and frame; a third of the left hip's abduction a signed zero."""
    from imuforge.motion.library import _core

    pose = {}
    for key in _core._LEG_ANGLES:
        if key in held:
            pose[key] = float(rng.normal(0, 30))
        else:
            pose[f"{key}_L"], pose[f"{key}_R"] = rng.normal(0, 60, size=(2, n))
    pose["hip_abd_L"] = np.where(np.arange(n) % 3 == 0, -0.0, pose["hip_abd_L"])  # signed zeros
    return pose


@pytest.mark.parametrize("n,held", [(1, ()), (37, ()), (300, ("hip_rot", "ankle_inv")), (5, ("knee_flex",))])
def test_compiled_leg_rotations_equal_the_numpy_form(n, held, monkeypatch):
    """``_legs_to_local``'s compiled loop (``_kernels.leg_rotations``) against its numpy form: per-frame and
    held angles, per-side keys and shared ones, signed zeros and large angles."""
    from imuforge.motion.library import _core

    if not (Q._kernel() and hasattr(Q._kernel(), "leg_rotations")):
        pytest.skip("imuforge.sensors._kernels (with leg_rotations) not built")
    pose = _leg_pose(np.random.default_rng(11), n, held)
    pose["ankle_dorsi_R"] = 0.0  # one side held, the other per frame
    pose["toe_out_L"] = np.full(n, 720.5)  # beyond a turn
    fast = np.zeros((n, 22, 4))
    _core._legs_to_local(pose, n, fast)
    monkeypatch.setattr(Q, "_KERNEL", False)
    ref = np.zeros((n, 22, 4))
    _core._legs_to_local(pose, n, ref)
    _same(fast, ref)


@pytest.mark.parametrize("n,held,pelvis_held", [(1, (), False), (37, (), False),
                                                (300, ("hip_rot", "ankle_inv"), False),
                                                (5, ("knee_flex",), True)])
def test_compiled_leg_chain_equals_legs_local_then_rel_fk(n, held, pelvis_held, monkeypatch):
    """``legs_fk`` (``_kernels.leg_chain``: the leg rotations and their forward kinematics in one pass)
    against ``rel_fk(legs_local(...))`` by the two kernels and against the numpy forms (``_legs_to_local``'s
    and the per-joint FK): per-frame and held angles and pelvis, signed zeros, large angles."""
    from scipy.spatial.transform import Rotation

    from imuforge.motion.body import Person
    from imuforge.motion.library import _core

    k = Q._kernel()
    if not (k and hasattr(k, "leg_chain")):
        pytest.skip("imuforge.sensors._kernels (with leg_chain) not built")
    pose = _leg_pose(np.random.default_rng(13), n, held)
    pose["toe_out_L"] = np.full(n, 720.5)  # beyond a turn
    rows = tuple(_core._both_sides(pose, key, n) for key in _core._LEG_ANGLES)  # as the probes make them
    pelvis = Rotation.random(1 if pelvis_held else n, random_state=9).as_quat()
    pelvis = pelvis[0] if pelvis_held else pelvis
    person = Person(height_m=1.66)
    fast = _core.legs_fk(n, pelvis, rows, person)
    two = _core.rel_fk(_core.legs_local(n, pelvis, rows), person)
    monkeypatch.setattr(Q, "_KERNEL", False)
    local = np.zeros((n, 22, 4))
    local[..., 3] = 1.0
    local[:, 0] = pelvis
    _core._legs_to_local(pose, n, local)
    ref = _core.rel_fk(local, person)
    for got in (two, ref):
        _same(fast[0], got[0])
        _same(fast[1], got[1])


@pytest.mark.parametrize("n", [1, 40])
def test_compiled_joint_rows_equal_the_numpy_writes(n, monkeypatch):
    """``pose_to_local`` with the compiled joint-row copies (``_kernels.joint_rows``) against numpy's strided
    assignments: per-frame, held and per-side angles on every joint."""
    from imuforge.motion.library import _core

    if not (Q._kernel() and hasattr(Q._kernel(), "joint_rows")):
        pytest.skip("imuforge.sensors._kernels (with joint_rows) not built")
    rng = np.random.default_rng(12)
    pose = {"pelvis_yaw": rng.normal(0, 20, n), "pelvis_tilt": 3.0, "spine_rot": rng.normal(0, 10, n),
            "spine_flex": 5.0, "neck_rot": rng.normal(0, 5, n), "head_flex": 2.0,
            "sh_flex_L": rng.normal(0, 30, n), "sh_flex_R": 10.0, "elbow_flex": rng.normal(20, 10, n),
            "wrist_dev_L": -3.0, "collar_elev": 4.0}
    fast = _core.pose_to_local(pose, n)
    monkeypatch.setattr(Q, "_KERNEL", False)
    _same(fast, _core.pose_to_local(pose, n))


@pytest.mark.parametrize("shape", [(1,), (2,), (45,), (3, 30), (2, 1)])
def test_compiled_foot_contacts_equal_the_numpy_form(shape, monkeypatch):
    """``foot_contact_points`` by the compiled ``foot_contacts`` against its numpy form: one track or strides
    (leading axes), short ones (one-sided and no differences), heels far above or below the ball."""
    from scipy.spatial.transform import Rotation

    from imuforge.motion.body import Person
    from imuforge.motion.library._core import foot_contact_points

    if not (Q._kernel() and hasattr(Q._kernel(), "foot_contacts")):
        pytest.skip("imuforge.sensors._kernels (with foot_contacts) not built")
    size = int(np.prod(shape))
    G = Rotation.random(size * 22, random_state=9).as_quat().reshape(shape + (22, 4))
    P = np.random.default_rng(4).normal(scale=0.3, size=shape + (22, 3))
    person = Person(height_m=1.64)
    fast = foot_contact_points(P, G, person, 60.0)
    monkeypatch.setattr(Q, "_KERNEL", False)
    for a, b in zip(fast, foot_contact_points(P, G, person, 60.0)):
        _same(a, b)


@pytest.mark.parametrize("m,n,flight,ground", [(None, 30, False, False), (None, 30, False, True),
                                              (3, 25, False, False), (None, 20, True, False),
                                              (2, 1, False, False)])
def test_compiled_anchored_roots_equal_the_numpy_forms(m, n, flight, ground, monkeypatch):
    """``anchored_root`` / ``anchored_roots`` by the compiled ``anchored_roots`` against their numpy forms (a
    foot loaded in every frame; with flight frames both take the numpy form)."""
    from imuforge.motion.library._core import anchored_root, anchored_roots

    if not (Q._kernel() and hasattr(Q._kernel(), "anchored_roots")):
        pytest.skip("imuforge.sensors._kernels (with anchored_roots) not built")
    rng = np.random.default_rng(7)
    lead = () if m is None else (m,)
    rel, vel = rng.normal(scale=0.2, size=(2,) + lead + (n, 2, 3))
    w = rng.uniform(-0.2, 1.2, size=(n, 2))  # clipped to [0, 1] by both
    w[::4, 0] = 0.0
    if flight:
        w[5:8] = 0.0
    g = rng.normal(scale=0.05, size=(n, 2)) if ground else None

    def run():
        if m is None:
            return anchored_root((rel, vel), w, 50.0, ground=g, smooth_hz=4.0 if ground else None)
        return anchored_roots((rel, vel), w, 50.0)

    fast = run()
    monkeypatch.setattr(Q, "_KERNEL", False)
    _same(fast, run())


@pytest.mark.parametrize("shape,harmonics", [((), 8), ((7,), 0), ((7,), 1), ((2, 13), 8), ((400,), 6)])
def test_compiled_fourier_basis_equals_the_numpy_form(shape, harmonics, monkeypatch):
    """``fourier_basis`` by the compiled ``fourier_rows`` against its numpy recurrence (phases over several
    cycles, negative ones too)."""
    from imuforge.motion.library._core import fourier_basis

    if not (Q._kernel() and hasattr(Q._kernel(), "fourier_rows")):
        pytest.skip("imuforge.sensors._kernels (with fourier_rows) not built")
    phase = np.random.default_rng(3).uniform(-2.0, 5.0, size=shape)
    fast = fourier_basis(phase, harmonics)
    monkeypatch.setattr(Q, "_KERNEL", False)
    _same(fast, fourier_basis(phase, harmonics))


@pytest.mark.parametrize("shapes", [((9,), (9,), (9,)), ((), (9,), ()), ((3, 1), (3, 1), (3, 1)),
                                    ((3, 1), (7,), ()), ((2, 5), (2, 5), (1,)), ((0,), (0,), ())])
def test_compiled_euler_and_axis_rotations_equal_the_numpy_forms(shapes, monkeypatch):
    """``euler`` and ``rx`` / ``ry`` / ``rz`` by the compiled ``rotation_rows`` against their numpy forms:
    per-row and held angles, broadcast ones (the numpy form then), both permutation signs, signed zeros."""
    if not Q._rotation_kernel():
        pytest.skip("imuforge.sensors._kernels (with rotation_rows) not built")
    rng = np.random.default_rng(6)
    angles = [rng.normal(0, 2, size=s) for s in shapes]
    angles[0] = np.where(np.abs(angles[0]) < 0.5, -0.0, angles[0])
    orders = [(0, 1, 2), (1, 0, 2), (0, 2, 1), (2, 1, 0)]
    fast = [Q.euler(ax, *angles) for ax in orders] + [f(angles[1]) for f in (Q.rx, Q.ry, Q.rz)]
    monkeypatch.setattr(Q, "_KERNEL", False)
    ref = [Q.euler(ax, *angles) for ax in orders] + [f(angles[1]) for f in (Q.rx, Q.ry, Q.rz)]
    for a, b in zip(fast, ref):
        _same(a, b)


@pytest.mark.parametrize("shape", [(801, 22, 3), (7, 3), (3,), (4, 2, 3)])
def test_vector_norms_equal_numpys_norm(shape):
    rng = np.random.default_rng(11)
    for scale in (1e-9, 1.0, 1e7):
        v = rng.normal(size=shape) * scale
        _same(Q.vector_norms(v), np.linalg.norm(v, axis=-1))
        _same(Q.vector_norms(np.asfortranarray(v)), np.linalg.norm(v, axis=-1))  # any layout
    ints = np.arange(12).reshape(4, 3)  # not float64: numpy's own norm
    _same(Q.vector_norms(ints), np.linalg.norm(ints, axis=-1))
