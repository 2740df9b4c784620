"""Shared machinery of the procedural library: joint-angle poses → local rotations, smooth
random variability, gait-curve Fourier series, foot-anchored root trajectories, tracks.

Joint-angle conventions (degrees, s = +1 left / −1 right):

* pelvis: ``yaw`` (about world y, + turns the body's front towards +x), ``tilt`` (+ anterior),
  ``obliq`` (+ left side up); optional ``root_q`` (T, 4) applied before them (lying); or ``pelvis_q``
  (T, 4), the pelvis's rotation from those angles made beforehand (the gait closure's probes).
* hip: ``flex`` (+ thigh forwards), ``abd`` (+ away from the midline), ``rot`` (+ internal).
* knee: ``flex`` (+ shank backwards; a hinge, as the importers' IK assumes). ankle: ``dorsi`` (+ toes up), ``toe_out``, ``inv`` (+ inversion, sole turned medially).
* spine (split 35/35/30 % over spine1, spine2, spine3): ``flex`` (+ forwards), ``lat`` (+ to the
  left), ``rot`` (+ front towards the left); optional ``lumbar_flex``, ``lumbar_lat``, ``lumbar_rot`` at
  spine1 alone (added to its share). ``neck_flex``, ``neck_rot``, ``head_flex``.
* shoulder: ``abd`` (0 = arm hanging, 90 = T-pose, 180 = overhead, frontal plane), ``flex``
  (+ forwards about the world-lateral axis, applied after abduction), ``rot`` (about the arm).
* elbow: ``flex`` (hinge, + forearm forwards/up), ``sup`` (forearm twist, + palm turns up).
* wrist: ``flex`` (+ towards the palm), ``dev`` (radial/ulnar deviation).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.fft import next_fast_len
from scipy.interpolate import CubicSpline, PPoly
from scipy.linalg.lapack import dgtsv as _gtsv

from imuforge.errors import ValidationError
from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.skeleton import HUMANML3D_22, foot_points
from imuforge.units import STANDARD_GRAVITY

J = HUMANML3D_22.index
D2R = np.pi / 180.0
GRAVITY = STANDARD_GRAVITY
SIDES = (("L", 1.0, "left"), ("R", -1.0, "right"))

#: Neutral upright standing (degrees): slight knee flexion, arms hanging with relaxed elbows.
STANDING = {
    "pelvis_tilt": 0.0, "hip_flex": 0.0, "knee_flex": 3.0, "ankle_dorsi": 2.0, "sh_abd": 6.0,
    "sh_flex": 2.0, "elbow_flex": 12.0, "elbow_sup": 0.0, "wrist_flex": 5.0,
}


def side_value(pose: dict, key: str, side: str, default: float = 0.0):
    """``pose[key_L]`` / ``pose[key_R]`` if present, else ``pose[key]``, else ``default``."""
    return pose.get(f"{key}_{side}", pose.get(key, default))


#: the axis orders of the joints' angle triples (``quat.euler``): yaw → pitch → roll,
#: flexion → abduction → rotation
YXZ, XZY = (1, 0, 2), (0, 2, 1)


def pose_to_local(pose: dict, n: int, legs_only: bool = False) -> np.ndarray:
    """Local joint rotations (n, 22, 4) from a dict of joint angles in degrees (scalars or (n,)).

    ``legs_only``: fill only the pelvis and the legs (the rest stays identity) — all the foot-contact
    model needs, for the gait's per-person closure probes.
    """
    def g(key, default=0.0):
        return _radians(key, pose.get(key, default), n)

    L = np.zeros((n, 22, 4))
    L[..., 3] = 1.0
    if "pelvis_q" in pose:
        root = pose["pelvis_q"]
    elif "root_q" in pose:
        root = Q.qmul(Q.qmul(Q.ry(g("pelvis_yaw")), np.asarray(pose["root_q"])),
                      Q.qmul(Q.rx(g("pelvis_tilt")), Q.rz(g("pelvis_obliq"))))
    else:
        root = pelvis_rotation(pose, n)
    _put_joints(L, _ROOT, root)
    _legs_to_local(pose, n, L)
    if legs_only:
        return L
    _arms_to_local(pose, n, L)
    # the spine's three joints share its angles (35 / 35 / 30 %): one rotation call on their (3, n) rows
    shares = _SPINE_SHARES
    angles = [shares * g("spine_rot"), shares * g("spine_flex"), -shares * g("spine_lat")]
    if any(k in pose for k in _LUMBAR):  # bent at spine1 alone: its share plus the lumbar angle
        for i, extra in enumerate((g("lumbar_rot"), g("lumbar_flex"), -g("lumbar_lat"))):
            first = angles[i][:1] + extra
            angles[i] = np.concatenate([first, np.broadcast_to(angles[i][1:], (2, first.shape[1]))])
    spine = Q.euler(YXZ, *angles)
    _put_joints(L, _SPINE, spine)
    _put_joints(L, _NECK, Q.qmul(Q.ry(g("neck_rot")), Q.rx(g("neck_flex"))))
    _put_joints(L, _HEAD, Q.rx(g("head_flex")))
    return L


def _put_joints(L: np.ndarray, joints: np.ndarray, q) -> None:
    """``L[:, joints] = q`` for the local rotations ``L`` (n, J, 4): ``q`` one joint's rotations (n, 4) or
    (4,), or K joints' (K, n, 4) or (K, 1, 4) (a held rotation broadcast over the frames). Numpy copies such a
    strided assignment one 4-value row at a time (≈ 0.4 % of a corpus's instructions, corpus-bench); the
    compiled ``joint_rows`` copies them in one pass (the same values)."""
    n, K = L.shape[0], len(joints)
    q = np.asarray(q)
    src = q if q.ndim == 3 else q.reshape((1, -1, 4)) if K == 1 else None
    k = Q._kernel()
    if (k and hasattr(k, "joint_rows") and src is not None and src.shape[0] == K and src.shape[1] in (1, n)
            and src.shape[2:] == (4,) and src.dtype == np.float64 and L.dtype == np.float64
            and L.flags.c_contiguous):
        k.joint_rows(L, n, L.shape[1], joints, np.ascontiguousarray(src), src.shape[1])
        return
    if K == 1:
        L[:, joints[0]] = q
    else:
        L[:, joints] = np.swapaxes(np.broadcast_to(q, (K, n, 4)), 0, 1)


def pelvis_rotation(pose: dict, n: int) -> np.ndarray:
    """The pelvis's local rotation (n, 4) of ``pose``'s yaw, tilt and obliquity (deg; no ``root_q``)."""
    return Q.euler(YXZ, *(_radians(key, pose.get(key, 0.0), n) for key in ("pelvis_yaw", "pelvis_tilt",
                                                                          "pelvis_obliq")))


#: the legs' joints (left, right) and the sides' signs as a column: both legs in one rotation call each
_LEG_JOINTS = {part: [J(f"{name}_{part}") for _, _, name in SIDES] for part in ("hip", "knee", "ankle")}
_SIGNS = np.array([[s] for _, s, _ in SIDES])
#: the compiled form's inputs (``_kernels.leg_rotations``): the legs' angles in its order, the joints' rows
_LEG_ANGLES = ("hip_flex", "hip_abd", "hip_rot", "knee_flex", "toe_out", "ankle_dorsi", "ankle_inv")
_LEG_ROWS = np.array([j for part in ("hip", "knee", "ankle") for j in _LEG_JOINTS[part]], dtype=np.int64)


def _legs_to_local(pose: dict, n: int, L: np.ndarray) -> None:
    """Write the hips', knees' and ankles' local rotations of ``pose`` into ``L`` (n, 22, 4): both legs as
    the rows of one (2, n) array per angle, so each joint is one rotation call (the same products per
    element as one call per leg, so the same bits)."""
    def both(key):
        return _both_sides(pose, key, n)

    k = Q._kernel()
    if k and hasattr(k, "leg_rotations") and L.dtype == np.float64 and L.flags.c_contiguous:
        # the compiled loop: the same formulas per element, sin and cos from libm as numpy's loops (no
        # temporaries, one sine-cosine pass per angle; the rotation calls below cost ≈ 3× as much)
        k.leg_rotations(tuple(both(key) for key in _LEG_ANGLES), n, L.shape[1], _LEG_ROWS, L)
        return
    s = _SIGNS
    rows = {"hip": Q.euler(XZY, -both("hip_flex"), s * both("hip_abd"), -s * both("hip_rot")),
            "knee": Q.rx(both("knee_flex")),
            # + inversion: the sole turns medially
            "ankle": Q.euler(YXZ, s * both("toe_out"), -both("ankle_dorsi"), -s * both("ankle_inv"))}
    for part, q in rows.items():
        L[:, _LEG_JOINTS[part]] = np.swapaxes(q, 0, 1)


def _both_sides(pose: dict, key: str, n: int, default: float = 0.0) -> np.ndarray:
    """:func:`side_angle` of the left and right side as the rows of one array: (2, n), or (2, 1) when both
    angles are held (scalars); converted to rad in place (the same product per element)."""
    shared = pose.get(key, default)
    left, right = pose.get(f"{key}_L", shared), pose.get(f"{key}_R", shared)
    shapes = (np.shape(left), np.shape(right))
    if not all(sh in ((), (n,)) for sh in shapes):  # broadcast (size 1) or refused: side_angle's way
        left, right = (side_angle(pose, key, sfx, n, default) for sfx, _, _ in SIDES)
        out = np.empty((2, n))
        out[0], out[1] = left, right
        return out
    return side_rows(left, right, n)


def side_rows(left, right, n: int) -> np.ndarray:
    """The left and right angles (deg; each a number or (n,) frames) as the rows of one array in rad: (2, 1)
    when both are numbers, else (2, n) (:func:`_both_sides`' conversion, the same product per element)."""
    out = np.empty((2, 1) if np.ndim(left) == 0 and np.ndim(right) == 0 else (2, n))
    out[0], out[1] = left, right
    out *= D2R
    return out


def compiled_legs() -> bool:
    """Whether the compiled ``leg_rotations`` is there (:func:`legs_local`)."""
    k = Q._kernel()
    return bool(k and hasattr(k, "leg_rotations"))


def legs_local(n: int, pelvis_q: np.ndarray, rows: tuple[np.ndarray, ...]) -> np.ndarray:
    """:func:`pose_to_local` with ``legs_only`` from the pelvis's rotation (n, 4) and the legs' angles as
    :func:`_both_sides` gives them (rad, in :data:`_LEG_ANGLES`' order), without a pose dict; needs the
    compiled ``leg_rotations`` (:func:`compiled_legs`)."""
    k = Q._kernel()
    L = np.zeros((n, 22, 4))
    L[..., 3] = 1.0
    _put_joints(L, _ROOT, pelvis_q)
    k.leg_rotations(rows, n, L.shape[1], _LEG_ROWS, L)
    return L


def legs_fk(n: int, pelvis_q: np.ndarray, rows: tuple[np.ndarray, ...], person: Person
            ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rel_fk` of :func:`legs_local` (the same arguments): the legs' joint positions and orientations
    relative to the pelvis in one compiled pass (``_kernels.leg_chain``: ``leg_rotations``' and
    ``forward_kinematics``' row formulas in their order, without the (n, 22, 4) local rotations between them;
    the same bits). The gait closure's probes make ≈ 1 400 such passes for corpus-bench's 144 gait takes, on
    strides of 60–360 frames, where the two calls' buffers and wrappers cost about as much as their loops
    (67 frames: 28 µs for 17 µs of loops). Needs the compiled ``leg_rotations`` (:func:`compiled_legs`);
    legs_local then rel_fk where the kernel lacks ``leg_chain``."""
    k = Q._kernel()
    pelvis_q = np.ascontiguousarray(pelvis_q, dtype=float)
    if not hasattr(k, "leg_chain") or pelvis_q.shape not in ((n, 4), (4,)):
        return rel_fk(legs_local(n, pelvis_q, rows), person)
    joints = len(_PARENTS)
    P, G = np.zeros((n, joints, 3)), np.zeros((n, joints, 4))
    k.leg_chain(rows, n, joints, _LEG_ROWS, _PARENTS, pelvis_q, np.ascontiguousarray(person.offsets), P, G)
    return P, G


#: the skeleton's parents as the compiled leg chain takes them
_PARENTS = np.array(HUMANML3D_22.parents, dtype=np.int64)
_PARENTS.flags.writeable = False


#: the spine's joints and their shares of its angles, as a column
_SPINE = np.array([J(jn) for jn in ("spine1", "spine2", "spine3")], dtype=np.int64)
#: the pelvis's, neck's and head's rows (the joint arrays :func:`_put_joints` writes)
_ROOT, _NECK, _HEAD = (np.array([J(jn)], dtype=np.int64) for jn in ("pelvis", "neck", "head"))
_SPINE_SHARES = np.array([[0.35], [0.35], [0.30]])
#: the pose angles bent at spine1 alone (:func:`pose_to_local`)
_LUMBAR = ("lumbar_rot", "lumbar_flex", "lumbar_lat")


def _arms_to_local(pose: dict, n: int, L: np.ndarray) -> None:
    """Write the collars', shoulders', elbows' and wrists' local rotations of ``pose`` into ``L`` (n, 22, 4):
    both arms as the rows of one (2, n) array per angle (the same products per element as one arm at a
    time)."""
    def both(key, default=0.0):
        return _both_sides(pose, key, n, default)

    s = _SIGNS
    rows = {"collar": Q.rz(s * both("collar_elev")),
            "shoulder": _shoulder(both("sh_flex"), both("sh_abd", 90.0), both("sh_rot"), s),
            "elbow": _elbow(both("elbow_flex"), both("elbow_sup"), s),
            "wrist": Q.qmul(Q.rz(-s * both("wrist_flex")), Q.ry(s * both("wrist_dev")))}
    for part, q in rows.items():
        _put_joints(L, _ARM_JOINTS[part], q)


_ARM_JOINTS = {part: np.array([J(f"{name}_{part}") for _, _, name in SIDES], dtype=np.int64)
               for part in ("collar", "shoulder", "elbow", "wrist")}


def _shoulder(flex, abd, rot, s) -> np.ndarray:
    """The shoulder's local rotation from its flexion, abduction and rotation (rad) on side ``s`` (±1)."""
    return Q.qmul(Q.rx(-flex), Q.qmul(Q.rz(s * (abd - np.pi / 2)), Q.rx(s * rot)))


#: The elbow's active flexion range (deg; 150° in the American Academy of Orthopaedic Surgeons' ranges,
#: 145–150° measured): :func:`_elbow` bends no further, easing into it over ≈ :data:`ELBOW_EASE_DEG` (a
#: phone held at the ear, 150°, plus a held arm's share of a face-touch event reached 180°)
ELBOW_FLEX_MAX_DEG = 150.0
#: The most an elbow straightens past straight (deg, as a negative flexion): 0° is the AAOS's extension, and
#: a healthy elbow's hyperextension reaches ≈ 5–15° (Greene & Heckman 1994); a key frame past it is refused,
#: and :func:`_elbow` eases a person's spread of one onto it
ELBOW_FLEX_MIN_DEG = -15.0
ELBOW_EASE_DEG = 1.5
#: flexion (deg) from which up the floor leaves the angle exactly as it is (the library's elbows reach −5.6°,
#: vacuuming)
_ELBOW_FLOOR_FROM_DEG = -7.0


def _elbow_range(flex):
    """Elbow flexion (rad) within its range: eased under :data:`ELBOW_FLEX_MAX_DEG` by a smooth (C∞) bound,
    equal to ``flex`` to within 0.01° 8° below it (scalars stay scalars) — and over :data:`ELBOW_FLEX_MIN_DEG`
    (a key frame's allowed hyperextension carried past it by a person's amplitude or style): below
    ``_ELBOW_FLOOR_FROM_DEG`` = T the angle x becomes b + (T − b)·exp((x − T) / (T − b)), b the floor, which
    meets x at T with its slope (C¹) and never reaches b; from T up, x as it is, bit for bit."""
    top, w = np.deg2rad(ELBOW_FLEX_MAX_DEG), np.deg2rad(ELBOW_EASE_DEG)
    eased = top - w * np.logaddexp(0.0, (top - flex) / w)
    b, t = np.deg2rad(ELBOW_FLEX_MIN_DEG), np.deg2rad(_ELBOW_FLOOR_FROM_DEG)
    low = eased < t
    if np.any(low):
        floored = b + (t - b) * np.exp((np.minimum(eased, t) - t) / (t - b))
        eased = np.where(low, floored, eased) if np.ndim(eased) else floored
    return eased


def _elbow(flex, sup, s) -> np.ndarray:
    """The elbow's local rotation from its flexion (eased into its range, :func:`_elbow_range`) and the
    forearm's supination (rad; + turns the palm up with the forearm level, on either side) on side ``s`` (±1,
    or a column of them broadcast against the angles).

    The forearm's long axis is the local x axis on both sides (distal +x on the left, −x on the right), and
    supination turns the thumb from forward to up: about local x by −sup on both sides. (Until session 27
    the axis was ``s · x``, which turned the right forearm the other way: a right palm meant to face down
    while typing faced up.)"""
    zero = np.zeros_like(s)
    one = np.ones_like(s)
    flex = _elbow_range(flex)
    return Q.qmul(Q.axis_angle(np.stack(np.broadcast_arrays(zero, -s, zero), -1), flex),
                  Q.axis_angle(np.stack(np.broadcast_arrays(one, zero, zero), -1), -sup))


def shoulder_rotation(pose: dict, sfx: str, n: int) -> np.ndarray:
    """The local rotation (n, 4) of the ``sfx`` ("L" / "R") shoulder in ``pose`` — :func:`pose_to_local`'s
    row, for a caller that changed only the shoulder angles."""
    s = 1.0 if sfx == "L" else -1.0
    flex, abd, rot = (side_angle(pose, k, sfx, n, d)
                      for k, d in (("sh_flex", 0.0), ("sh_abd", 90.0), ("sh_rot", 0.0)))
    return _shoulder(flex, abd, rot, s)


def elbow_rotation(pose: dict, sfx: str, n: int) -> np.ndarray:
    """The local rotation (n, 4) of the ``sfx`` ("L" / "R") elbow in ``pose`` (flexion, then the forearm's
    supination) — :func:`pose_to_local`'s row, for a caller that changed only the elbow angles."""
    s = 1.0 if sfx == "L" else -1.0
    return _elbow(side_angle(pose, "elbow_flex", sfx, n), side_angle(pose, "elbow_sup", sfx, n), s)


def side_angle(pose: dict, key: str, sfx: str, n: int, default: float = 0.0) -> np.ndarray:
    """The ``sfx`` side's angle ``key`` of ``pose`` in rad (``key_L`` / ``key_R``, else the shared
    ``key``)."""
    return _radians(key, pose.get(f"{key}_{sfx}", pose.get(key, default)), n)


def _radians(key: str, value, n: int) -> np.ndarray:
    """A pose angle (deg) in rad: a held (scalar) angle stays a scalar, so its rotation is computed once and
    broadcast over the frames; anything else must broadcast to (n,) frames."""
    v = np.asarray(value, dtype=float) * D2R
    if v.ndim == 0 or v.shape == (n,):
        return v
    if v.ndim > 1 or v.size not in (1, n):
        raise ValidationError(f"pose angle {key!r} has shape {v.shape}",
                              allowed=f"a scalar or one value per frame, shape ({n},)")
    return np.broadcast_to(v, (n,))



def butter_lowpass(order: int, cutoff_hz: float, fs: float) -> np.ndarray:
    """``scipy.signal.butter(order, cutoff_hz, fs=fs, output="sos")`` of an even order, the same bits, made
    ≈ 5× faster (a walk's pelvis path designs two per recording, for its own step frequency).

    The steps ``butter`` takes (``iirfilter``: the prewarped cutoff, ``buttap``, ``lp2lp_zpk``,
    ``bilinear_zpk``, then ``zpk2sos`` with the digital "nearest" pairing) with the same numpy operations,
    without their general checks, array-API dispatch and pairing searches: an even order's digital zeros all
    lie at −1 and its poles in complex conjugate pairs, so each section, from the last, takes the remaining
    pole pair nearest the unit circle and two zeros at −1, and the first one the gain. Anything else (an odd
    order, a cutoff outside (0, fs/2), scipy's ``_cplxreal`` missing) is ``butter``'s own result
    (tests/motion/test_kernels_gait.py compares the two over many designs).
    """
    return _butter_even(order, cutoff_hz, fs, "low")


def butter_highpass(order: int, cutoff_hz: float, fs: float) -> np.ndarray:
    """``scipy.signal.butter(order, cutoff_hz, btype="high", fs=fs, output="sos")`` of an even order, the same
    bits, ≈ 2.7× faster (the arm sway's drive filter, designed per step frequency): :func:`butter_lowpass`'s
    steps with ``lp2hp_zpk`` (poles ω₀/p, all zeros at s = 0, so at z = +1 after the bilinear transform)."""
    return _butter_even(order, cutoff_hz, fs, "high")


def _butter_even(order: int, cutoff_hz: float, fs: float, btype: str) -> np.ndarray:
    """:func:`butter_lowpass` (``btype`` "low") or :func:`butter_highpass` ("high")."""
    from scipy.signal import butter

    wn = np.asarray(cutoff_hz, dtype=np.float64) / (fs / 2)
    cplxreal = _scipy_cplxreal()
    if order % 2 or order < 2 or not 0 < wn < 1 or cplxreal is None:
        return butter(order, cutoff_hz, btype=btype, fs=fs, output="sos")
    wo = float(2 * 2.0 * np.tan(np.pi * wn / 2.0))  # iirfilter's prewarp (fs = 2) and lp2l/hp_zpk's float()
    poles, fs2 = _butter_poles(order), 2.0 * 2.0  # buttap; bilinear_zpk's 2 fs
    if btype == "low":  # lp2lp_zpk (no zeros: degree = order); bilinear_zpk's zeros at −1
        p_s, k_s, z_s = wo * poles, 1.0 * wo ** order, np.zeros(0)
        zeros = _ZEROS_AT_MINUS_ONE
    else:  # lp2hp_zpk: k · real(prod(−z) / prod(−p)), the order's zeros at s = 0
        p_s, k_s, z_s = wo / poles, 1.0 * np.real(np.prod(-np.zeros(0)) / np.prod(-poles)), np.zeros(order)
        zeros = _ZEROS_AT_PLUS_ONE
    p = (fs2 + p_s) / (fs2 - p_s)
    k = k_s * np.real(np.prod(fs2 - z_s) / np.prod(fs2 - p_s))
    pairs = np.concatenate(cplxreal(p))  # zpk2sos: one pole of each conjugate pair, sorted as it sorts them
    if len(pairs) != order // 2 or np.any(np.abs(pairs.imag) <= 100 * np.finfo(float).eps * np.abs(pairs)):
        return butter(order, cutoff_hz, btype=btype, fs=fs, output="sos")
    sos = np.zeros((order // 2, 6))
    for si in range(len(sos) - 1, -1, -1):  # the "worst" pole (nearest the unit circle) last
        i = np.argmin(np.abs(1 - np.abs(pairs)))
        p1 = pairs[i]
        pairs = np.delete(pairs, i)
        sos[si, :3] = zeros
        sos[si, 3:] = _poly(np.asarray([p1, p1.conj()]))
    sos[0][:3] *= k
    return sos


@functools.cache
def _scipy_cplxreal():
    """scipy's ``_cplxreal`` (zpk2sos's conjugate-pair split), or None where this scipy lacks it."""
    try:
        from scipy.signal._filter_design import _cplxreal
    except ImportError:  # pragma: no cover - depends on the scipy version
        return None
    return _cplxreal


@functools.cache
def _butter_poles(order: int) -> np.ndarray:
    """``scipy.signal.buttap(order)``'s poles (read-only; it has no zeros and gain 1)."""
    from scipy.signal import buttap

    p = np.asarray(buttap(order)[1])
    p.flags.writeable = False
    return p


def _poly(roots: np.ndarray) -> np.ndarray:
    """scipy.signal's ``poly`` (zpk2tf's) of real roots or complex conjugate pairs: the same convolutions."""
    a = np.ones((1,), dtype=roots.dtype)
    one = np.ones_like(roots[0])
    for root in roots:
        a = np.convolve(a, np.stack((one, -root)), mode="full")
    return np.real(a).copy() if np.iscomplexobj(a) else a


#: a section's numerator with two zeros at −1, as zpk2tf makes it (gain 1: k · poly(z) with k = 1.0)
_ZEROS_AT_MINUS_ONE = np.multiply(np.asarray(1.0), _poly(np.array([-1.0, -1.0])))
_ZEROS_AT_MINUS_ONE.flags.writeable = False
#: a high-pass section's numerator, two zeros at +1 (zpk2tf's k · poly(z), k = 1.0)
_ZEROS_AT_PLUS_ONE = np.multiply(np.asarray(1.0), _poly(np.array([1.0, 1.0])))
_ZEROS_AT_PLUS_ONE.flags.writeable = False


def bilinear_second_order(gain: float, a1: float, a2: float, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.bilinear([gain], [1.0, a1, a2], fs)``, the digital (b, a) of gain / (s² + a1·s + a2),
    the same bits, ≈ 13× faster (the arm sway designs four such filters per person).

    ``bilinear`` builds (z + 1)/√(2fs) and (z − 1)·√(2fs) as numpy ``Polynomial`` objects and sums
    ``coef · zp1^(2−k) · zm1^k`` over the coefficients; their arithmetic is ``np.convolve`` and element-wise
    adds and divides, made here on plain arrays in the same order (a product by the polynomial 1 changes
    nothing; the sum's start from 0 adds 0.0 to the constant term, kept for its sign of zero). Where the
    ``Polynomial`` steps would trim a trailing zero or ``normalize`` would warn of a vanishing leading
    coefficient, scipy's own result is returned (a partial sum's trailing zero, trimmed there, adds nothing
    but a zero's sign to the next sum: a zero in the result falls back too).
    """
    from scipy.signal import bilinear

    fs = float(fs)
    fac = np.sqrt(fs * 2)
    zp1 = np.array([1.0, 1.0]) / fac  # lowest power first, as Polynomial keeps them
    zm1 = np.convolve(np.array([-1.0, 1.0]), np.array([fac]))
    zp1_sq = np.convolve(zp1, zp1)
    num = np.convolve(np.array([gain], dtype=float), zp1_sq)
    num[0] += 0.0
    den = np.convolve(np.array([a2], dtype=float), zp1_sq)
    den[0] += 0.0
    den = np.convolve(np.convolve(np.array([a1], dtype=float), zp1), zm1) + den
    den = np.convolve(zm1, zm1) + den
    rev_b, rev_a = num[::-1], den[::-1]
    if not (np.all(np.isfinite(num)) and np.all(np.isfinite(den)) and np.all(num != 0) and np.all(den != 0)
            and abs(rev_b[0] / rev_a[0]) > 1e-14):
        return bilinear([gain], [1.0, a1, a2], fs)
    return rev_b / rev_a[0], rev_a / rev_a[0]


# --------------------------------------------------------------------------- variability
def side_stream(rng: np.random.Generator, tag: str | None = None) -> np.random.Generator:
    """A generator seeded by ``rng``'s current state (and ``tag``) without drawing from ``rng``: a choice
    added to a motion (a seat type, the legs' fidgets, a walker's hand habit) leaves every draw the
    motion made before it unchanged."""
    key = zlib.crc32(repr(rng.bit_generator.state).encode())
    return np.random.default_rng(key if tag is None else [key, zlib.crc32(tag.encode())])


def weighted_choice(rng: np.random.Generator, weights: dict[str, float], tag: str | None = None,
                    avoid: Sequence[str] = ()) -> str:
    """One of ``weights``' keys, in proportion to its weight, drawn from :func:`side_stream` (``rng`` is not
    drawn from); never one of ``avoid`` (the others' shares grow in proportion; at least one must be left)."""
    names = [k for k in weights if k not in avoid]
    if not names:
        raise ValidationError(f"nothing left to draw: {', '.join(avoid)} avoided",
                              allowed=f"to avoid fewer of {', '.join(weights)}")
    cum = np.cumsum([weights[k] for k in names])
    return names[int(np.searchsorted(cum / cum[-1], side_stream(rng, tag).random()))]


def smooth_noise(rng: np.random.Generator, n: int, fps: float, cutoff_hz: float, size: int = 1) -> np.ndarray:
    """Gaussian low-pass noise, shape (n, size), unit standard deviation, band ≈ [0, cutoff_hz].

    White noise shaped in the frequency domain by a Gaussian filter; normalised by its
    theoretical standard deviation so the amplitude does not depend on the duration.
    """
    m = max(int(n), 2)
    pad = int(2 * fps / max(cutoff_hz, 1e-3)) + 8
    N = next_fast_len(m + pad, real=True)  # FFT-friendly length (an odd prime-ish N is 10× slower)
    white = rng.standard_normal((N, size))
    H, sd = _gaussian_filter(N, float(fps), float(cutoff_hz))
    out = np.fft.irfft(np.fft.rfft(white, axis=0) * H, n=N, axis=0)[:m]
    return out / sd


@functools.lru_cache(maxsize=256)
def _gaussian_filter(N: int, fps: float, cutoff_hz: float) -> tuple[np.ndarray, float]:
    """:func:`smooth_noise`'s frequency response (rfft bins, as a column) and the standard deviation it
    gives unit white noise; made once per length, rate and cutoff (a gait draws three noises alike)."""
    f = np.fft.rfftfreq(N, 1.0 / fps)
    H = np.exp(-0.5 * (f / cutoff_hz) ** 2)
    # Parseval: var = sum(|H|^2 over the full two-sided spectrum)/N
    full = np.concatenate([H, H[1:-1] if N % 2 == 0 else H[1:]])
    column = H[:, None]
    column.flags.writeable = False
    return column, np.sqrt(np.sum(full**2) / N)


def postural_sway(rng: np.random.Generator, n: int, fps: float, scale: float = 1.0) -> dict[str, np.ndarray]:
    """Quiet-standing sway as ankle/hip angle deviations (degrees).

    Centre-of-pressure sway of healthy adults in quiet stance is a few mm RMS, mostly below 1 Hz,
    larger antero-posterior (≈ 5–8 mm RMS) than medio-lateral (≈ 3–5 mm) (Prieto et al. 1996,
    IEEE Trans Biomed Eng 43:956). Modelled as an inverted pendulum: ankle pitch 0.3° RMS (≈ 5 mm
    at the hip), hip roll 0.2° RMS, plus 0.25 Hz breathing in the trunk.
    """
    ap = smooth_noise(rng, n, fps, 0.4, 1)[:, 0] * 0.3 * scale
    ml = smooth_noise(rng, n, fps, 0.4, 1)[:, 0] * 0.2 * scale
    t = np.arange(n) / fps
    br_f = rng.uniform(0.2, 0.3)
    breath = 0.5 * scale * np.sin(2 * np.pi * br_f * t + rng.uniform(0, 2 * np.pi))
    return {"sway_ap": ap, "sway_ml": ml, "breath": breath}


def apply_standing_sway(pose: dict, sway: dict) -> dict:
    """Tilt the whole body about the ankles (AP) and hips (ML) by the sway angles (degrees)."""
    p = dict(pose)
    for sfx in ("L", "R"):
        p[f"ankle_dorsi_{sfx}"] = side_value(pose, "ankle_dorsi", sfx) + sway["sway_ap"]
    p["pelvis_tilt"] = pose.get("pelvis_tilt", 0.0) + sway["sway_ap"]
    p["pelvis_obliq"] = pose.get("pelvis_obliq", 0.0) + sway["sway_ml"]
    p["hip_abd_L"] = side_value(pose, "hip_abd", "L") + sway["sway_ml"]
    p["hip_abd_R"] = side_value(pose, "hip_abd", "R") - sway["sway_ml"]
    p["spine_flex"] = pose.get("spine_flex", 0.0) + sway["breath"]
    return p


# --------------------------------------------------------------------------- gait curves
@functools.cache
def fourier_fit(points: tuple[tuple[float, float], ...], harmonics: int = 6) -> np.ndarray:
    """Fourier coefficients [a0, a1, b1, …] of a periodic curve through (percent cycle, value) points.

    The key points are joined by a periodic cubic spline, sampled at 400 points and fitted by
    least squares; the truncated series is smooth (C∞) and periodic, so gait is continuous
    across cycles by construction.
    """
    x = np.array([p[0] for p in points], dtype=float) / 100.0
    y = np.array([p[1] for p in points], dtype=float)
    if x[0] != 0.0 or x[-1] != 1.0 or y[0] != y[-1]:
        raise ValueError("gait key points must start at 0 %, end at 100 % with equal values")
    cs = periodic_spline(x, y)
    s = np.linspace(0, 1, 400, endpoint=False)
    A = fourier_basis(s, harmonics)
    coef, *_ = np.linalg.lstsq(A, cs(s), rcond=None)
    return coef


def periodic_spline(x: np.ndarray, y: np.ndarray) -> PPoly:
    """``CubicSpline(x, y, bc_type="periodic")`` (``y[0] == y[-1]``; any trailing axes) as the same piecewise
    polynomial, bit for bit: scipy's periodic system — its cyclic tridiagonal condensed to two banded solves
    (LAPACK ``gtsv``) and a scalar — and its Hermite coefficients, the same operations in the same order,
    without the per-call input checks and array-API dispatch that cost ≈ 6× the arithmetic on the few dozen
    knots of a gait curve or a planted-foot table (tests/motion/test_library.py compares the two)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.shape[0]
    dx = np.diff(x)
    if n < 4 or y.shape[0] != n or not ((dx > 0).all() and np.isfinite(x).all() and np.isfinite(y).all()):
        return CubicSpline(x, y, bc_type="periodic")  # scipy's special cases and its messages
    if not (abs(y[0] - y[-1]) <= 1e-15 + 1e-15 * abs(y[-1])).all():  # scipy's np.allclose test, its message
        raise ValueError("The first and last `y` point along axis 0 must be identical (within machine "
                         "precision) when bc_type='periodic'.")
    dxr = dx.reshape((n - 1,) + (1,) * (y.ndim - 1))
    slope = np.diff(y, axis=0) / dxr
    # the (n − 1)-unknown periodic system without its last row and column: diagonals of the banded form
    diag = np.empty(n - 2)
    diag[0] = 2 * (dx[-1] + dx[0])
    diag[1:] = 2 * (dx[:-2] + dx[1:-1])
    upper, lower = np.concatenate([dx[-1:], dx[:n - 4]]), dx[1:n - 2]
    b = np.empty((n - 2,) + y.shape[1:])
    b[1:] = 3 * (dxr[1:n - 2] * slope[:n - 3] + dxr[:n - 3] * slope[1:n - 2])
    b[0] = 3 * (dxr[0] * slope[-1] + dxr[-1] * slope[0])
    b_last = 3 * (dxr[-1] * slope[-2] + dxr[-2] * slope[-1])
    b2 = np.zeros_like(b)
    b2[0] = -dx[0]
    b2[-1] = -dx[-3]
    s1, s2 = (_tridiagonal_solve(lower, diag, upper, rhs) for rhs in (b, b2))
    s_m1 = ((b_last - dx[-2] * s1[0] - dx[-1] * s1[-1])
            / (2 * (dx[-1] + dx[-2]) + dx[-2] * s2[0] + dx[-1] * s2[-1]))
    s = np.empty_like(y)
    s[:-2] = s1 + s_m1 * s2
    s[-2] = s_m1
    s[-1] = s[0]
    # CubicHermiteSpline's coefficients of the slopes s
    t = (s[:-1] + s[1:] - 2 * slope) / dxr
    c = np.stack((t / dxr, (slope - s[:-1]) / dxr - t, s[:-1], y[:-1]))
    return PPoly.construct_fast(c, x, extrapolate="periodic")


def _tridiagonal_solve(lower: np.ndarray, diag: np.ndarray, upper: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``scipy.linalg.solve_banded((1, 1), …)`` of a tridiagonal system (LAPACK ``gtsv`` on copies of the
    diagonals, as it calls it), ``rhs`` (m, …) → the solution, shaped as ``rhs``."""
    x, info = _gtsv(lower, diag, upper, rhs.reshape(rhs.shape[0], -1))[3:]
    if info != 0:
        raise np.linalg.LinAlgError(f"singular tridiagonal system (gtsv info {info})")
    return x.reshape(rhs.shape)


def fourier_basis(phase: np.ndarray, harmonics: int) -> np.ndarray:
    """Columns 1, cos 2πkφ, sin 2πkφ (k = 1 … harmonics) at the phases φ (cycles), shape (…, 2H + 1).

    Harmonic k from harmonic k − 1 by the angle-addition formulas (one sine and cosine per phase instead
    of H); they agree with the direct sines to ≈ 1e-15 per harmonic on phases within a few cycles. The
    columns are built as contiguous rows and transposed once at the end (strided column writes cost more
    than the arithmetic).
    """
    k = Q._kernel()
    if k and hasattr(k, "fourier_rows") and harmonics >= 0:  # the same formulas per row, in one pass
        phase = np.asarray(phase, dtype=float)
        out = np.empty(phase.shape + (2 * harmonics + 1,))
        k.fourier_rows(np.ascontiguousarray(phase), phase.size, int(harmonics), out)
        return out
    theta = 2 * np.pi * np.asarray(phase, dtype=float)
    rows = np.empty((2 * harmonics + 1,) + theta.shape)
    rows[0] = 1.0
    if harmonics:
        c1, s1 = np.cos(theta), np.sin(theta)
        rows[1], rows[2] = c1, s1
        for k in range(2, harmonics + 1):  # cos kθ = cos(k−1)θ cos θ − sin(k−1)θ sin θ; sin kθ likewise
            c, s = rows[2 * k - 3], rows[2 * k - 2]
            rows[2 * k - 1] = c * c1 - s * s1
            rows[2 * k] = s * c1 + c * s1
    return np.ascontiguousarray(rows.transpose(*range(1, rows.ndim), 0))


def fourier_eval(coef: np.ndarray, phase: np.ndarray) -> np.ndarray:
    return fourier_basis(phase, (len(coef) - 1) // 2) @ coef


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def minjerk(x):
    """Minimum-jerk profile 10x³ − 15x⁴ + 6x⁵ on [0, 1] (Flash & Hogan 1985)."""
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10 - 15 * x + 6 * x * x)


# --------------------------------------------------------------------------- tracks
@dataclass
class Track:
    """Pre-FK motion: local rotations (n, 22, 4), root position (n, 3) in m, per-foot contact weights."""

    local: np.ndarray
    root: np.ndarray
    contact: np.ndarray  # (n, 2) left, right in [0, 1]; 1 = foot planted
    label: str
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.local.shape[0]


_LEG_CHAIN = tuple(J(n) for n in ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"))


def rel_fk(local: np.ndarray, person: Person) -> tuple[np.ndarray, np.ndarray]:
    """Leg FK with the root at the origin: positions / orientations relative to the pelvis position.

    Only the pelvis, hips, knees and ankles are filled (all the foot-contact model needs);
    the other joints are left at zero.
    """
    from imuforge.motion.kinematics import chain_kinematics

    return chain_kinematics(local, person.offsets, _LEG_CHAIN)  # compiled when built, same bits


def foot_contact_points(P: np.ndarray, G: np.ndarray, person: Person, fps: float,
                        tau_m: float = 0.004) -> tuple[np.ndarray, np.ndarray]:
    """Per-foot rolling contact: point (n, 2, 3) and material velocity (n, 2, 3) in m, m/s.

    The contact is a soft minimum (by height) of the heel and ball sole points; its velocity is
    the same blend of the two points' own velocities (not the derivative of the blended point,
    which would jump when the support rolls from heel to ball). ``P``, ``G`` may have leading axes before
    the frames' (e.g. (m, n, 22, 3): m strides, each on its own).
    """
    heel, ball = _sole_points(person)
    k = Q._kernel()
    if (k and hasattr(k, "foot_contacts") and P.dtype == G.dtype == np.float64
            and P.shape[:-1] == G.shape[:-1]):
        return _foot_contacts_compiled(k, P, G, heel, ball, fps, tau_m)
    g = G[..., _ANKLES, :]
    sole = np.empty(g.shape[:-1] + (2, 3))  # (…, n, 2 feet, heel / ball, 3)
    sole[..., 0, :] = Q.qrot(g, heel)  # each point rotated on its own: qrot's row loop, the same bits
    sole[..., 1, :] = Q.qrot(g, ball)
    sole += P[..., _ANKLES, None, :]
    dy = np.clip((sole[..., 0, 1] - sole[..., 1, 1]) / tau_m, -50, 50)
    w_ball = (1.0 / (1.0 + np.exp(-dy)))[..., None]  # heel higher → ball carries
    pts = (1 - w_ball) * sole[..., 0, :] + w_ball * sole[..., 1, :]
    d = _central_difference(sole, axis=sole.ndim - 4)
    vel = ((1 - w_ball) * d[..., 0, :] + w_ball * d[..., 1, :]) * fps
    return pts, vel


_ANKLES = [J(f"{name}_ankle") for _, _, name in SIDES]
_ANKLE_ROWS = np.array(_ANKLES, dtype=np.int64)


def _foot_contacts_compiled(k, P: np.ndarray, G: np.ndarray, heel: np.ndarray, ball: np.ndarray, fps: float,
                            tau_m: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`foot_contact_points` by the compiled ``foot_contacts`` (the same formulas per element): the sole
    points and the logistic's exponent in one pass, numpy's exp, then the blend and the central differences
    in another — a dozen numpy passes and their temporaries fewer on the closure probes' short strides."""
    lead, (n, J) = P.shape[:-3], P.shape[-3:-1]
    M = int(np.prod(lead, dtype=np.int64))
    P, G = np.ascontiguousarray(P), np.ascontiguousarray(G)
    heel, ball = np.ascontiguousarray(heel, dtype=float), np.ascontiguousarray(ball, dtype=float)
    sole = np.empty(lead + (n, 2, 2, 3))
    e = np.empty(lead + (n, 2))
    pts, vel = np.empty(lead + (n, 2, 3)), np.empty(lead + (n, 2, 3))
    args = (P, G, M, n, J, _ANKLE_ROWS, heel, ball, sole, e, pts, vel, float(tau_m), float(fps))
    k.foot_contacts(0, *args)
    np.exp(e, out=e)
    k.foot_contacts(1, *args)
    return pts, vel


def _sole_points(person: Person) -> tuple[np.ndarray, np.ndarray]:
    """The heel and ball sole points (m, foot frame) of ``person`` (:func:`foot_points`)."""
    fp = foot_points(person.offsets)
    return fp["heel"], fp["ball"]


def _central_difference(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """``np.gradient(x, axis=axis)`` (central differences inside, one-sided at the ends; the same bits)
    without its per-call axis and spacing handling, which dominates on the closure probes' short strides;
    fewer than two frames give zeros (``np.gradient`` raises)."""
    def at(i):
        return (slice(None),) * axis + (i,)

    out = np.empty_like(x)
    if x.shape[axis] < 2:
        out[...] = 0.0
        return out
    inner = out[at(slice(1, -1))]
    np.subtract(x[at(slice(2, None))], x[at(slice(None, -2))], out=inner)
    inner /= 2.0
    out[at(0)] = x[at(1)] - x[at(0)]
    out[at(-1)] = x[at(-1)] - x[at(-2)]
    return out


def anchored_root(contact: tuple[np.ndarray, np.ndarray], weights: np.ndarray, fps: float, *,
                  ground: np.ndarray | None = None, free_velocity: np.ndarray | None = None,
                  smooth_hz: float | None = None) -> np.ndarray:
    """Root trajectory (n, 3) that keeps the loaded foot's contact point still on the ground.

    Horizontal: the root velocity is minus the contact-weighted velocity of the contact points
    relative to the root, so a foot with weight 1 does not move in the world frame (up to the
    discretisation). Vertical: the weighted contact points sit at their ``ground`` height (n, 2).
    Frames with no contact (flight) move ballistically: horizontal velocity interpolated between
    take-off and landing, vertical a parabola under gravity between the take-off and landing heights.
    ``smooth_hz``: zero-phase Gaussian low-pass (−3 dB at that frequency) of the vertical root motion; the rigid
    contact model alone gives pelvis accelerations with unphysical >5 Hz content (heel→ball roll-over
    and weight transfer are modelled as instantaneous), which soft tissue and the knee smooth in reality.
    """
    rel_contact, vel = contact
    n = rel_contact.shape[0]
    w = np.clip(weights, 0.0, 1.0)
    root = _anchored_compiled(rel_contact, vel, w, fps, ground)
    if root is not None:
        return _smooth_vertical(root, smooth_hz, fps)
    ws = w.sum(axis=1)
    on = ws > 1e-6
    wsafe = np.where(on, ws, 1.0)
    v = -(w[:, :, None] * vel).sum(axis=1) / wsafe[:, None]
    if ground is None:
        ground = np.zeros((n, 2))
    y = ((w * (ground - rel_contact[:, :, 1])).sum(axis=1)) / wsafe
    t = np.arange(n) / fps
    if not np.all(on):
        if not np.any(on):
            fv = np.zeros((n, 3)) if free_velocity is None else free_velocity
            v = fv
            y = np.zeros(n)
        else:
            idx = np.flatnonzero(on)
            for c in (0, 2):
                v[~on, c] = np.interp(t[~on], t[idx], v[idx, c])
            prev = np.maximum.accumulate(np.where(on, np.arange(n), -1))
            nxt = np.minimum.accumulate(np.where(on, np.arange(n), n)[::-1])[::-1]
            fl = ~on
            p0 = np.where(prev[fl] >= 0, prev[fl], nxt[fl])
            p1 = np.where(nxt[fl] < n, nxt[fl], prev[fl])
            t0, t1 = t[p0], t[p1]
            span = np.maximum(t1 - t0, 1e-9)
            a = (t[fl] - t0) / span
            yf = y[p0] + (y[p1] - y[p0]) * a + 0.5 * GRAVITY * (t[fl] - t0) * (t1 - t[fl])
            open_ended = (prev[fl] < 0) | (nxt[fl] >= n)  # flight before the first / after the last contact
            y[fl] = np.where(open_ended, np.where(prev[fl] < 0, y[p1], y[p0]), yf)
    # integrate horizontal velocity (trapezoid)
    root = np.zeros((n, 3))
    for c in (0, 2):
        root[1:, c] = np.cumsum(0.5 * (v[1:, c] + v[:-1, c])) / fps
    root[:, 1] = y
    return _smooth_vertical(root, smooth_hz, fps)


def _smooth_vertical(root: np.ndarray, smooth_hz: float | None, fps: float) -> np.ndarray:
    """:func:`anchored_root`'s optional zero-phase Gaussian low-pass of the vertical root motion, in place."""
    if smooth_hz:
        from scipy.ndimage import gaussian_filter1d

        sigma = 0.1325 / smooth_hz * fps  # Gaussian −3 dB frequency = 0.1325 / σ
        root[:, 1] = gaussian_filter1d(root[:, 1], sigma, mode="nearest")  # vertical only: no horizontal slide
    return root


def _anchored_compiled(rel: np.ndarray, vel: np.ndarray, w: np.ndarray, fps: float,
                       ground: np.ndarray | None = None) -> np.ndarray | None:
    """The root path of :func:`anchored_root` / :func:`anchored_roots` by the compiled ``anchored_roots`` (the
    numpy forms' operations in their order) for contacts ``rel``, ``vel`` ((n, 2, 3), or (m, n, 2, 3) for m
    strides) and clipped weights ``w`` (n, 2): roots (n, 3) / (m, n, 3). None where it does not apply (no
    kernel, flight frames, other shapes): then the numpy form runs."""
    k = Q._kernel()
    n = w.shape[0]
    if not (k and hasattr(k, "anchored_roots") and w.shape == (n, 2) and rel.shape == vel.shape
            and rel.ndim in (3, 4) and rel.shape[-3:] == (n, 2, 3)
            and rel.dtype == vel.dtype == w.dtype == np.float64):
        return None
    if ground is not None:
        ground = np.asarray(ground)
        if ground.shape != (n, 2) or ground.dtype != np.float64:
            return None
        ground = np.ascontiguousarray(ground)
    m = rel.shape[0] if rel.ndim == 4 else 1
    root = np.empty(rel.shape[:-2] + (3,))
    c = np.ascontiguousarray
    return root if k.anchored_roots(c(rel), c(vel), c(w), ground, m, n, float(fps), root) else None


def anchored_roots(contact: tuple[np.ndarray, np.ndarray], weights: np.ndarray, fps: float) -> np.ndarray:
    """:func:`anchored_root` (level ground) of m strides at once: contact points and velocities (m, n, 2, 3),
    the same ``weights`` (n, 2) for each; roots (m, n, 3). With a foot on the ground in every frame the
    strides share one pass (the same operations per element as a call per stride); strides with flight
    frames are made one by one."""
    rel_contact, vel = contact
    m, n = rel_contact.shape[:2]
    w = np.clip(weights, 0.0, 1.0)
    root = _anchored_compiled(rel_contact, vel, w, fps)
    if root is not None:
        return root
    ws = w.sum(axis=1)
    if not np.all(ws > 1e-6):
        return np.stack([anchored_root((p, v), weights, fps) for p, v in zip(rel_contact, vel)])
    v = -(w[:, :, None] * vel).sum(axis=-2) / ws[:, None]
    y = ((w * (np.zeros((n, 2)) - rel_contact[..., 1])).sum(axis=-1)) / ws
    root = np.zeros((m, n, 3))
    for c in (0, 2):  # integrate the horizontal velocity (trapezoid)
        root[:, 1:, c] = np.cumsum(0.5 * (v[:, 1:, c] + v[:, :-1, c]), axis=1) / fps
    root[..., 1] = y
    return root


def contact_ramps(phase: np.ndarray, stance: float, ramp: float) -> np.ndarray:
    """Weight of a foot given its gait phase in [0, 1): 1 in stance, smooth ramps of width ``ramp``
    (fraction of cycle) at loading (starting at heel strike) and unloading (ending at toe-off)."""
    ph = np.mod(phase, 1.0)
    if ramp <= 0:
        return (ph < stance).astype(float)
    up = smoothstep(ph / ramp)
    down = 1.0 - smoothstep((ph - (stance - ramp)) / ramp)
    return np.where(ph < stance, np.minimum(up, down), 0.0)


def rotate_track_yaw(track: Track, yaw: float, origin: np.ndarray) -> Track:
    """Rotate a track about the vertical through the origin by ``yaw`` (rad) and translate it to ``origin``."""
    q = Q.ry(np.array(yaw))
    local = track.local.copy()
    local[:, 0] = Q.qmul(q, local[:, 0])
    root = Q.qrot(q, track.root) + origin
    return Track(local, root, track.contact, track.label, dict(track.meta))


def heading_of(local_root: np.ndarray) -> np.ndarray:
    """Facing direction yaw (rad) of root orientations (n, 4): angle of the rotated +z in the ground plane."""
    f = Q.qrot(local_root, np.array([0.0, 0.0, 1.0]))
    return np.arctan2(f[:, 0], f[:, 2])


def foot_sliding(P: np.ndarray, G: np.ndarray, contact: np.ndarray, person: Person, fps: float,
                 threshold: float = 0.999, window_s: float | None = None, every: int = 1) -> np.ndarray:
    """Horizontal drift (m) of each foot's contact during each single-support stance interval.

    For every maximal run of frames where a foot's contact weight is ≥ ``threshold``, the
    horizontal distance travelled by the rolling contact (integrated material velocity of the
    heel/ball blend) from the start of the run; returns the maximum per run, shape (n_runs,), the left
    foot's runs first.
    ``window_s``: the largest distance travelled within any ``window_s`` of the run instead (from every
    frame of it), so that a long stance does not sum slow numerical drift into a slide; ``every``: from and
    to every ``every``-th frame of it only (a window's pairs grow with the rate squared: a 2-min stance at
    100 fps is 2.4 M of them; the path is still integrated at every frame).

    The runs that one window covers whole (every run without ``window_s``; a walking stance with it) are
    measured together (:func:`_drift_from_start`); each longer one slides its window on its own.
    """
    _, vel = foot_contact_points(P, G, person, fps)
    w = None if window_s is None else max(int(round(window_s * fps / every)), 1)
    runs = []  # (foot, first frame, end frame) of each stance run long enough to measure
    for k in range(2):
        on = contact[:, k] >= threshold
        if not on.any():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
        runs += [(k, a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= 3]
    out = np.empty(len(runs))
    # a run of b − a − 2 velocity frames is a path of b − a − 1 points, (b − a − 2) // every + 1 of them kept;
    # the padded pass takes the runs one window covers, up to BATCHED_RUN_FRAMES (its rows are as long as the
    # longest: a minutes-long stance goes on its own)
    batch = np.array([(w is None or (b - a - 2) // every <= w) and b - a - 2 <= BATCHED_RUN_FRAMES
                      for _, a, b in runs], dtype=bool)
    if batch.any():
        out[batch] = _drift_from_start(vel, [r for r, one in zip(runs, batch) if one], fps,
                                       1 if w is None else every)
    for i in np.flatnonzero(~batch):
        k, a, b = runs[i]
        disp = np.cumsum(vel[a + 1:b - 1, k][:, [0, 2]], axis=0) / fps
        if w is None:
            out[i] = float(np.max(np.linalg.norm(disp, axis=1)))
            continue
        disp = np.vstack([np.zeros(2), disp])[::every]  # from every start s to every end up to s + w
        spans = np.lib.stride_tricks.sliding_window_view(disp, min(w, len(disp) - 1) + 1, axis=0)
        out[i] = float(np.max(np.linalg.norm(spans - spans[..., :1], axis=1)))  # spans (m, 2, w + 1)
    return out


#: the longest stance run (frames) :func:`foot_sliding` measures in its padded pass (10 s at 100 fps)
BATCHED_RUN_FRAMES = 1024


def _drift_from_start(vel: np.ndarray, runs: list[tuple[int, int, int]], fps: float,
                      every: int) -> np.ndarray:
    """The largest horizontal distance (m) from its start reached by the contact path of each run (foot,
    first, end frame) at every ``every``-th point of the path (its start the 0th), all runs in one pass: their
    velocities (frames first + 1 … end − 2) padded with zeros to the longest, integrated along each row (the
    padding holds a run's last point), distances masked to the kept points. A row's sums and distances are
    the per-run ``np.cumsum`` and ``np.linalg.norm``'s: the same bits."""
    k, a, b = (np.array(c, dtype=np.int64) for c in zip(*runs))
    lens = b - a - 2
    rows = np.repeat(np.arange(len(lens)), lens)
    pos = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    v = np.zeros((len(lens), int(lens.max()), 2))
    v[rows, pos] = vel[np.repeat(a + 1, lens) + pos, np.repeat(k, lens)][:, [0, 2]]
    disp = np.cumsum(v, axis=1) / fps
    dist = np.sqrt(disp[..., 0] * disp[..., 0] + disp[..., 1] * disp[..., 1])
    point = np.arange(1, dist.shape[1] + 1)  # the path point a distance belongs to (0: the start)
    kept = (point[None, :] <= lens[:, None]) & (point[None, :] % every == 0)
    return np.where(kept, dist, 0.0).max(axis=1)


def keyframes(t: np.ndarray, times, values, shape=minjerk) -> np.ndarray:
    """Piecewise minimum-jerk interpolation through (time, value) key frames, held before/after.

    ``times`` must be non-decreasing; each interval eases in and out (zero velocity and
    acceleration at every key frame), so a chain of key frames is C² continuous.
    """
    times = np.asarray(times, dtype=float)
    values = np.asarray(values, dtype=float)
    t = np.asarray(t, dtype=float)
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    t0, t1 = times[i], times[i + 1]
    u = np.where(t1 > t0, (t - t0) / np.where(t1 > t0, t1 - t0, 1.0), 1.0)
    u = np.clip(u, 0.0, 1.0)
    u = np.where(t < times[0], 0.0, u)
    return values[i] + (values[i + 1] - values[i]) * shape(u)


def blend_pose(a: dict, b: dict, w) -> dict:
    """Pose ``a`` (w = 0) to ``b`` (w = 1), key by key; missing keys fall back to the other pose's side/general key."""
    keys = set(a) | set(b)
    out = {}
    for k in keys:
        if k == "root_q":
            continue
        base, _, sfx = k.rpartition("_")
        if sfx in ("L", "R"):
            va = a.get(k, a.get(base, 90.0 if base == "sh_abd" else 0.0))
            vb = b.get(k, b.get(base, 90.0 if base == "sh_abd" else 0.0))
        else:
            va = a.get(k, 90.0 if k == "sh_abd" else 0.0)
            vb = b.get(k, 90.0 if k == "sh_abd" else 0.0)
        out[k] = np.asarray(va) + (np.asarray(vb) - np.asarray(va)) * w
    return out


def expand_sides(pose: dict) -> dict:
    """Copy general keys (``knee_flex``) to both sides (``knee_flex_L``, ``knee_flex_R``) unless set."""
    sided = {"hip_flex", "hip_abd", "hip_rot", "knee_flex", "ankle_dorsi", "ankle_inv",
             "toe_out", "collar_elev", "sh_abd", "sh_flex", "sh_rot", "elbow_flex", "elbow_sup", "wrist_flex", "wrist_dev"}
    out = dict(pose)
    for k in sided:
        if k in pose:
            for s in ("L", "R"):
                out.setdefault(f"{k}_{s}", pose[k])
            del out[k]
    return out


def feet_planted_track(pose: dict, person: Person, fps: float, label: str, meta: dict | None = None,
                       floor: float = 0.0, load: np.ndarray | None = None) -> Track:
    """A track whose feet both stay planted: the root follows from the legs (sit/stand transitions, standing).

    ``load`` (n, 2; left, right in 0 … 1, default 1): how much each foot anchors the body — a foot
    that is lifted or moved (a shuffling step, a bouncing heel) carries 0 and may move.
    """
    n = int(np.max([np.size(v) for v in pose.values() if not isinstance(v, dict)] + [1]))
    local = pose_to_local(pose, n)
    P, G = rel_fk(local, person)
    w = np.ones((n, 2)) if load is None else np.clip(np.asarray(load, float), 0.0, 1.0)
    root = anchored_root(foot_contact_points(P, G, person, fps), w, fps, ground=np.full((n, 2), floor))
    return Track(local, root, w, label, dict(meta or {}))


def gaussian_trend(x: np.ndarray, sigma: float) -> np.ndarray:
    """Zero-phase Gaussian low-pass along axis 0 (σ in samples) that keeps the end velocities.

    The signal is extended at both ends by point reflection about its end values (``2 x₀ − x₋ₖ``),
    so a moving foot is not braked by the padding: ``mode="nearest"`` holds the end value, which
    pulls the smoothed velocity to zero over the last ≈ 2σ and reads as a spurious deceleration of
    several g at the recording's ends.
    """
    from scipy.ndimage import gaussian_filter1d

    x = np.asarray(x, dtype=float)
    k = min(int(np.ceil(4 * sigma)) + 1, len(x) - 1)
    if k < 1:
        return x.copy()
    head = 2 * x[:1] - x[k:0:-1]
    tail = 2 * x[-1:] - x[-2:-k - 2:-1]
    y = gaussian_filter1d(np.concatenate([head, x, tail]), sigma, axis=0, mode="nearest")
    return y[k:k + len(x)]


def smooth_root_keep_feet(local: np.ndarray, root: np.ndarray, person: Person, fps: float,
                          cutoff_hz: float, horizontal_hz: float | None = None,
                          vertical_order: int | None = None,
                          foot_hz: float | None = None,
                          soft_knee_deg: tuple[float, float, float] | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Low-pass the root trajectory and re-solve both legs so the feet keep their world poses.

    The foot-anchored root follows the instantaneous contact model and carries unphysical
    high-frequency acceleration (heel → ball roll-over and weight transfer are instantaneous in
    the model; in people the knee and soft tissue smooth them). The root is smoothed with a
    zero-phase Gaussian (−3 dB at ``cutoff_hz`` vertically, ``horizontal_hz`` horizontally); then, per frame, an analytic two-link IK changes
    knee flexion and swings the thigh so the ankle lands where it was, and the ankle's local
    rotation is recomputed so each foot keeps its world orientation. Contact points therefore do
    not move (except where the target is out of reach of the straightened leg).
    With ``vertical_order`` the vertical path is instead filtered by a zero-phase Butterworth low-pass
    of that order (−6 dB at ``cutoff_hz``, amplitude ``1 / (1 + (f/f_c)^(2·order))``): a steep filter
    keeps the step-frequency fundamental while removing the excess harmonics the contact model adds.
    ``foot_hz``: the ankles' world trajectories are also low-passed (zero-phase Gaussian, −3 dB at
    that frequency, all axes) before the IK. Without it a foot in the air keeps the unsmoothed root's
    kinks (take-off / touch-down), and a touch-down stops the foot within one frame; with it the
    foot decelerates over ≈ 2σ = 0.27 / ``foot_hz`` s, the order of the 10–30 ms in which the shod
    foot and shank come to rest after an impact. Planted feet are constant, so they only move near
    the contact's ends (by ≈ mm at 8–12 Hz).
    ``soft_knee_deg`` = (k_min, k_on, k_root), degrees: keeps the re-solved knee from locking straight.
    The low-pass raises the pelvis where the contact model has it lowest (walking heel strike,
    running touch-down / toe-off), beyond the reach of a near-straight leg; a hard clip of the
    hip–ankle distance at full extension then locks the knee within one frame (knee rate −900 °/s
    → 0 at heel strike, 0 → 2000 °/s at toe-off: 16–30 g at a shank sensor). With this option
    (1) the smoothed pelvis is lowered where a leg's target is farther than its length at
    ``k_root`` knee flexion (the drop is max-filtered over ±80 ms and Gaussian-smoothed, σ = 40 ms,
    so the dip is C∞), and (2) the IK distance passes through a C² tanh saturation that starts at
    the length at ``k_on`` and approaches, never reaches, the length at ``k_min``, so the knee
    decelerates smoothly into its most extended pose. The ankle misses its target only inside the
    saturation, by < d(0°) − d(k_min) ≈ 0.2 mm at 2°, mostly along the leg.
    Returns (local, root).
    """
    from scipy.ndimage import gaussian_filter1d

    root_s = root.copy()
    if vertical_order:
        from imuforge._zerophase import sosfiltfilt

        sos = butter_lowpass(int(vertical_order), min(cutoff_hz, 0.45 * fps), fps)
        y = root[:, 1]
        pad = min(len(y) - 1, int(3 * fps / cutoff_hz))
        root_s[:, 1] = sosfiltfilt(sos, y, padtype="even", padlen=max(pad, 0)) if len(y) > 12 else y
    else:
        root_s[:, 1] = gaussian_filter1d(root[:, 1], 0.1325 / cutoff_hz * fps, mode="nearest")
    hz = horizontal_hz or cutoff_hz
    for c in (0, 2):
        root_s[:, c] = gaussian_filter1d(root[:, c], 0.1325 / hz * fps, mode="nearest")
    P, G = rel_fk(local, person)
    if foot_hz:
        sig_f = 0.1325 / foot_hz * fps
        P = P.copy()
        for name in ("left", "right"):
            a = J(f"{name}_ankle")
            world = gaussian_trend(P[:, a] + root, sig_f)
            P[:, a] = world - root  # so that P_a + delta = smoothed world ankle − smoothed root
    off = person.offsets
    if soft_knee_deg is not None:
        # lower the smoothed pelvis where a leg could not reach its ankle target with the knee flexed
        # by at least k_root: the vertical drop that brings the distance back (distance change ≈ drop ×
        # the leg's vertical direction cosine), max-filtered over ±2σ and Gaussian-smoothed (σ = 40 ms)
        from scipy.ndimage import maximum_filter1d

        k_min_d, k_on_d, k_root_d = (float(x) for x in soft_knee_deg)
        if not 0.0 <= k_min_d < k_on_d < 90.0 or not k_min_d <= k_root_d:
            raise ValidationError("soft_knee_deg must be (k_min, k_on, k_root) with 0 ≤ k_min < k_on < 90 "
                                  f"and k_root ≥ k_min, got {soft_knee_deg}")
        k_root = np.radians(k_root_d)
        need = np.zeros(len(root))
        for name in ("left", "right"):
            h, k, a = J(f"{name}_hip"), J(f"{name}_knee"), J(f"{name}_ankle")
            t_len, s_len = np.linalg.norm(off[k]), np.linalg.norm(off[a])
            d_root = np.sqrt(t_len**2 + s_len**2 + 2 * t_len * s_len * np.cos(k_root))
            target = P[:, a] + root - root_s - P[:, h]
            d = np.linalg.norm(target, axis=1)
            cos_v = np.clip(-target[:, 1] / np.maximum(d, 1e-9), 0.3, 1.0)
            need = np.maximum(need, np.maximum(d - d_root, 0.0) / cos_v)
        sig = 0.04 * fps
        need = gaussian_filter1d(maximum_filter1d(need, 2 * int(np.ceil(2 * sig)) + 1, mode="nearest"), sig,
                                 mode="nearest")
        root_s[:, 1] -= need
    delta = root - root_s
    local = local.copy()
    for name in ("left", "right"):
        h, k, a = J(f"{name}_hip"), J(f"{name}_knee"), J(f"{name}_ankle")
        t_len = np.linalg.norm(off[k])
        s_len = np.linalg.norm(off[a])
        target = P[:, a] + delta - P[:, h]  # hip → desired ankle (world axes)
        d = np.linalg.norm(target, axis=1)
        if soft_knee_deg is not None:
            k_min, k_on = np.radians(k_min_d), np.radians(k_on_d)
            d_max = np.sqrt(t_len**2 + s_len**2 + 2 * t_len * s_len * np.cos(k_min))
            d_on = np.sqrt(t_len**2 + s_len**2 + 2 * t_len * s_len * np.cos(k_on))
            span = d_max - d_on
            d = np.where(d > d_on, d_on + span * np.tanh((d - d_on) / span), d)
        d = np.clip(d, abs(t_len - s_len) + 1e-6, t_len + s_len - 1e-6)
        cos_k = (d**2 - t_len**2 - s_len**2) / (2 * t_len * s_len)
        knee = np.arccos(np.clip(cos_k, -1.0, 1.0))  # flexion ≥ 0 (hinge about x)
        q_knee = Q.rx(knee)
        v = off[k] + Q.qrot(q_knee, np.broadcast_to(off[a], (len(knee), 3)))  # ankle in the thigh frame
        swing = Q.shortest_arc(Q.qrot(G[:, h], v), target)
        g_thigh = Q.qmul(swing, G[:, h])
        g_shank = Q.qmul(g_thigh, q_knee)
        local[:, h] = Q.qmul(Q.qconj(G[:, 0]), g_thigh)
        local[:, k] = q_knee
        local[:, a] = Q.qmul(Q.qconj(g_shank), G[:, a])
    return local, root_s
