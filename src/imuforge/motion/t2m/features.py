"""HumanML3D's 263-dimensional motion features ⇄ 22 joint positions ⇄ :class:`Motion` (numpy only).

The feature vector of one frame (Guo et al. 2022, *Generating Diverse and Natural 3D Human Motions
from Text*, the HumanML3D representation that T2M-GPT, MoMask and MDM consume and produce):

=========  =====  ====================================================================================
slice      size   meaning
=========  =====  ====================================================================================
0          1      root angular velocity about y: the *half* angle per frame of the change of the
                  world → facing rotation (arcsin of its quaternion's y part); a left turn
                  (+yaw) is negative
1:3        2      root linear velocity on the floor (x, z), in the facing frame of the next frame
3          1      root height (m above the floor)
4:67       21×3   joint positions relative to the root's floor point, in the root's facing frame
                  ("rotation-invariant" RIC positions)
67:193     21×6   joint rotations in the continuous 6-D form (first two columns of the matrix) from
                  HumanML3D's swing-only chain IK
193:259    22×3   joint velocities in the facing frame of the current frame
259:263    4      foot contacts (left ankle, left toe, right ankle, right toe): squared frame
                  displacement < 0.002 m²
=========  =====  ====================================================================================

The facing direction is the horizontal normal of the shoulder line minus the hip line (HumanML3D's
skeleton IK, see :func:`_root_rotation`), smoothed over time with a Gaussian of σ = 20 frames, with
frame 0 at identity; the motion is first put on the floor (lowest joint at y = 0), its root moved to
the origin and turned to face +z (hip + shoulder lines). ``T`` frames give ``T − 1`` feature rows (velocities
need the next frame). HumanML3D also retargets every motion to one reference skeleton; imuforge
keeps the motion's own bone lengths (:func:`features_from_positions` documents the difference).

:func:`joints_from_features` is the inverse used on model output (root by integrating the
velocities, then the RIC positions); :func:`canonical_positions` gives exactly the positions that
round trip reproduces, so ``joints_from_features(features_from_positions(P)) ==
canonical_positions(P)[:-1]`` to float precision.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError, check_finite
from imuforge.motion import quat as Q
from imuforge.motion.kinematics import inverse_kinematics
from imuforge.motion.motion import Motion

#: HumanML3D's frame rate (and so the text-to-motion models').
FPS = 20.0
N_JOINTS = 22
N_FEATURES = 263
#: (right hip, left hip, right shoulder, left shoulder): the facing direction's joints.
FACE_JOINTS = (2, 1, 17, 16)
#: ankle and toe joints of the left / right foot, for the contact channels.
FOOT_LEFT, FOOT_RIGHT = (7, 10), (8, 11)
#: squared per-frame displacement (m²) below which a foot joint counts as in contact (HumanML3D's 0.002).
CONTACT_THRESHOLD = 0.002
#: σ (frames) of the Gaussian that smooths the facing direction (HumanML3D's ``smooth_forward``).
FACING_SIGMA = 20.0
#: HumanML3D's kinematic chains (for the 6-D rotation channels).
CHAINS = ((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15), (9, 14, 17, 19, 21), (9, 13, 16, 18, 20))
#: HumanML3D's rest directions of each joint's bone from its parent (``t2m_raw_offsets``):
#: y up, the body facing +z, +x its left; arms down.
RAW_OFFSETS = np.array([
    [0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, -1, 0], [0, 1, 0], [0, -1, 0],
    [0, -1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0], [1, 0, 0], [-1, 0, 0], [0, 0, 1],
    [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0]], dtype=float)

# feature slices
ROOT_ROT_VEL, ROOT_LIN_VEL, ROOT_Y = slice(0, 1), slice(1, 3), slice(3, 4)
RIC = slice(4, 4 + 21 * 3)
ROT6D = slice(RIC.stop, RIC.stop + 21 * 6)
LOCAL_VEL = slice(ROT6D.stop, ROT6D.stop + 22 * 3)
CONTACTS = slice(LOCAL_VEL.stop, LOCAL_VEL.stop + 4)
assert CONTACTS.stop == N_FEATURES

_Z = np.array([0.0, 0.0, 1.0])
_Y = np.array([0.0, 1.0, 0.0])


def _check_positions(P, source=None) -> np.ndarray:
    P = np.asarray(P, dtype=float)
    if P.ndim != 3 or P.shape[1:] != (N_JOINTS, 3):
        raise ValidationError(f"joint positions must have shape (T, 22, 3), got {P.shape}", source=source)
    if P.shape[0] < 2:
        raise ValidationError(f"need at least 2 frames, got {P.shape[0]}", source=source)
    check_finite("joint positions", P, source=source)
    return P


def _turn_to_z(across: np.ndarray, smooth: bool) -> np.ndarray:
    """World → facing rotations (T, 4) from the body's left → right vectors: forward = y × across → +z."""
    across = across / np.linalg.norm(across, axis=-1, keepdims=True)
    forward = np.cross(_Y, across)
    if smooth:
        forward = gaussian_filter1d(forward, FACING_SIGMA, axis=0, mode="nearest")
    return Q.shortest_arc(forward, np.broadcast_to(_Z, forward.shape))


def _root_rotation(P: np.ndarray) -> np.ndarray:
    """HumanML3D's per-frame root rotation (T, 4), as its skeleton IK computes it.

    That IK unpacks the facing joints ``[2, 1, 17, 16]`` as (l_hip, r_hip, r_shoulder, l_shoulder),
    so its across vector is (left hip − right hip) + (right shoulder − left shoulder): the shoulder
    line minus the hip line, which still points to the body's right because shoulders are wider.
    It smooths the facing (σ 20 frames) and sets frame 0 to identity. Reproduced exactly, so
    features match the models' training data.
    """
    r, l, sr, sl = FACE_JOINTS
    rot = _turn_to_z((P[:, l] - P[:, r]) + (P[:, sr] - P[:, sl]), smooth=True)
    rot[0] = Q.IDENTITY
    return rot


def _on_floor_facing_z(P: np.ndarray) -> np.ndarray:
    """HumanML3D's normalisation: lowest joint on y = 0, root at the xz origin, first frame faces +z
    (from the hip and shoulder lines, right minus left, unsmoothed)."""
    P = P.copy()
    P[..., 1] -= P[..., 1].min()
    P -= P[0, 0] * np.array([1.0, 0.0, 1.0])
    r, l, sr, sl = FACE_JOINTS
    q0 = _turn_to_z((P[:1, r] - P[:1, l]) + (P[:1, sr] - P[:1, sl]), smooth=False)[0]
    return Q.qrot(q0, P)


def canonical_positions(positions) -> np.ndarray:
    """The positions that :func:`joints_from_features` recovers from ``features_from_positions(positions)``.

    On the floor (lowest joint at y = 0), root at the xz origin at frame 0, turned about y so that
    frame 0 faces +z: a rigid motion of the input.
    """
    return _on_floor_facing_z(_check_positions(positions))


def _chain_rotations(P: np.ndarray, root: np.ndarray) -> np.ndarray:
    """HumanML3D's local joint rotations (T, 22, 4): swing-only, from the raw rest directions."""
    T = P.shape[0]
    out = np.zeros((T, N_JOINTS, 4))
    out[..., 3] = 1.0
    out[:, 0] = root
    for chain in CHAINS:
        R = root
        for a, b in itertools.pairwise(chain):
            swing = Q.shortest_arc(np.broadcast_to(RAW_OFFSETS[b], (T, 3)), P[:, b] - P[:, a])
            local = Q.qmul(Q.qconj(R), swing)
            out[:, b] = local
            R = Q.qmul(R, local)
    return out


def _cont6d(q: np.ndarray) -> np.ndarray:
    """First two columns of each rotation matrix, (..., 6)."""
    m = Rotation.from_quat(q.reshape(-1, 4)).as_matrix().reshape(q.shape[:-1] + (3, 3))
    return np.concatenate([m[..., 0], m[..., 1]], axis=-1)


def features_from_positions(positions, *, source: str | None = None) -> np.ndarray:
    """HumanML3D features (T − 1, 263) of joint positions (T, 22, 3) in m, y up, at 20 fps.

    Differences from HumanML3D's own script: no retargeting to its reference skeleton (the
    motion keeps its bone lengths, so RIC positions and velocities scale with the body), and a
    facing exactly opposite to +z in frame 0 takes an arbitrary half-turn axis (measure zero).
    """
    P = _on_floor_facing_z(_check_positions(positions, source))
    T = P.shape[0]
    rot = _root_rotation(P)                                        # (T, 4) world → facing
    vel = Q.qrot(rot[1:], P[1:, 0] - P[:-1, 0])                     # root velocity, next frame's facing
    dq = Q.qmul(rot[1:], Q.qconj(rot[:-1]))
    dq = np.where(dq[:, 3:4] < 0, -dq, dq)
    rot_vel = np.arcsin(np.clip(dq[:, 1], -1.0, 1.0))               # half angle about y
    local = P - P[:, :1] * np.array([1.0, 0.0, 1.0])
    local = Q.qrot(rot[:, None], local)
    rot6d = _cont6d(_chain_rotations(P, rot)[:, 1:]).reshape(T, -1)
    lvel = Q.qrot(rot[:-1, None], P[1:] - P[:-1]).reshape(T - 1, -1)
    contacts = [(np.sum((P[1:, list(f)] - P[:-1, list(f)]) ** 2, axis=-1) < CONTACT_THRESHOLD).astype(float)
                for f in (FOOT_LEFT, FOOT_RIGHT)]
    return np.concatenate([rot_vel[:, None], vel[:, [0, 2]], local[:-1, 0, 1:2],
                           local[:-1, 1:].reshape(T - 1, -1), rot6d[:-1], lvel, *contacts], axis=-1)


def _check_features(features, source=None) -> np.ndarray:
    F = np.asarray(features, dtype=float)
    if F.ndim != 2 or F.shape[1] != N_FEATURES:
        raise ValidationError(f"HumanML3D features must have shape (T, 263), got {F.shape}", source=source)
    if F.shape[0] < 2:
        raise ValidationError(f"need at least 2 feature frames, got {F.shape[0]}", source=source)
    check_finite("features", F, source=source)
    return F


def joints_from_features(features, *, source: str | None = None) -> np.ndarray:
    """Joint positions (T, 22, 3) from HumanML3D features (T, 263): root, then RIC positions.

    The facing angle integrates the rotation channel (angle 0 at frame 0), the root integrates its
    floor velocity and takes its height from channel 3; the other joints are the RIC positions
    turned back into the world and moved with the root's floor point (HumanML3D's ``recover_from_ric``).
    """
    F = _check_features(features, source)
    T = F.shape[0]
    angle = np.concatenate([[0.0], np.cumsum(F[:-1, 0])])
    inv = Q.ry(-2.0 * angle)                                         # facing → world
    step = np.zeros((T, 3))
    step[1:, [0, 2]] = F[:-1, ROOT_LIN_VEL]
    root = np.cumsum(Q.qrot(inv, step), axis=0)
    root[:, 1] = F[:, ROOT_Y.start]
    joints = Q.qrot(inv[:, None], F[:, RIC].reshape(T, 21, 3))
    joints += root[:, None] * np.array([1.0, 0.0, 1.0])
    return np.concatenate([root[:, None], joints], axis=1)


def resample_positions(positions: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Joint positions resampled from ``fps_in`` to ``fps_out`` by a cubic spline (same start and end time)."""
    from scipy.interpolate import CubicSpline

    P = np.asarray(positions, dtype=float)
    if fps_in == fps_out:
        return P
    step = fps_in / fps_out
    if step > 1 and abs(step - round(step)) < 1e-9:  # every k-th frame: where the spline passes anyway
        return P[::int(round(step))].copy()
    t_in = np.arange(P.shape[0]) / fps_in
    n_out = int(np.floor(t_in[-1] * fps_out + 1e-9)) + 1
    return CubicSpline(t_in, P, axis=0)(np.arange(n_out) / fps_out)


def features_from_motion(motion: Motion) -> np.ndarray:
    """HumanML3D features (T − 1, 263) of a Motion, resampled to 20 fps first if needed."""
    if motion.skeleton.n_joints != N_JOINTS:
        raise ValidationError(f"HumanML3D features need the 22-joint skeleton, not {motion.skeleton.name!r}")
    return features_from_positions(resample_positions(motion.positions, motion.fps, FPS))


def motion_from_features(features, *, fps: float | None = None, label: str | None = None,
                         meta: dict | None = None, source: str | None = None,
                         seconds: float | None = None) -> Motion:
    """A :class:`Motion` from HumanML3D features: joints (20 fps), resampled to ``fps`` if given, then IK;
    ``seconds``: the first ``seconds`` of it (``seconds × fps + 1`` frames; the features must hold them)."""
    F = np.asarray(features)
    if seconds is not None:  # the 20 fps frames that reach ``seconds`` (no joints nor IK for the rest)
        F = F[:int(np.ceil(seconds * FPS - 1e-9)) + 1]
    P = joints_from_features(F, source=source)
    rate = FPS if fps is None else float(fps)
    P = resample_positions(P, FPS, rate)
    if seconds is not None:
        P = P[:int(np.floor(seconds * rate + 1e-9)) + 1]
    ori = inverse_kinematics(P, source=source)
    labels = [(0.0, (P.shape[0] - 1) / rate, label)] if label else ()
    return Motion(P, ori, rate, labels=labels, meta={"format": "humanml3d-263", **(meta or {})})
