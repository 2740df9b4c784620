"""Forward kinematics (joint rotations → positions and segment orientations) and geometric
inverse kinematics (joint positions → segment orientations) on the HumanML3D 22-joint tree.

Conventions (see :mod:`imuforge.motion.skeleton`): world y up, body faces +z in the rest pose,
quaternions ``(x, y, z, w)``; the *local* rotation of joint j is the rotation of its segment
relative to its parent's segment, so the global orientation is ``G[j] = G[parent] ⊗ L[j]`` and
``p[j] = p[parent] + G[parent] · offset[j]``. In the rest pose all rotations are identity.

Joint models used by the IK (and honoured by the procedural library):
knees are hinges about the segment x axis (flexion > 0 moves the shank backwards), elbows are
hinges about −y (left) / +y (right) (flexion > 0 moves the forearm forwards from the T-pose).
"""

from __future__ import annotations

import functools

import numpy as np

from imuforge.errors import ValidationError, check_finite
from imuforge.motion import quat as Q
from imuforge.motion.skeleton import HUMANML3D_22, Skeleton, rest_offsets

_J = HUMANML3D_22.index


def forward_kinematics(local: np.ndarray, root_pos: np.ndarray, offsets: np.ndarray,
                       skeleton: Skeleton = HUMANML3D_22) -> tuple[np.ndarray, np.ndarray]:
    """Global joint positions (T, J, 3) in m and segment orientations (T, J, 4).

    Parameters
    ----------
    local : (T, J, 4) local joint rotations (joint 0: the root's global orientation).
    root_pos : (T, 3) root (pelvis) position in m.
    offsets : (J, 3) rest-pose offsets from each joint's parent in m.
    """
    local = np.asarray(local, dtype=float)
    T, J = local.shape[:2]
    glob = np.empty((T, J, 4))
    pos = np.empty((T, J, 3))
    offsets = np.asarray(offsets, dtype=float)
    k = Q._kernel()
    if k and hasattr(k, "forward_kinematics") and local.ndim == 3 and offsets.shape == (J, 3):
        parents = _parents_array(tuple(skeleton.parents[:J]))
        if parents is not None:  # the compiled loop: the same row formulas (same bits)
            root = np.ascontiguousarray(np.broadcast_to(np.asarray(root_pos, dtype=float), (T, 3)))
            k.forward_kinematics(np.ascontiguousarray(local), root, np.ascontiguousarray(offsets), parents, T, J,
                                 pos, glob)
            return pos, glob
    glob[:, 0] = local[:, 0]
    pos[:, 0] = root_pos
    # all joints of one depth in the tree at once (7 passes instead of 21): the same products per joint
    for js, ps in tree_levels(tuple(skeleton.parents[:J])):
        gp = glob[:, ps]
        glob[:, js] = Q.qmul(gp, local[:, js])
        pos[:, js] = pos[:, ps] + Q.qrot(gp, offsets[js])
    return pos, glob


def chain_kinematics(local: np.ndarray, offsets: np.ndarray, joints: tuple[int, ...],
                     skeleton: Skeleton = HUMANML3D_22) -> tuple[np.ndarray, np.ndarray]:
    """:func:`forward_kinematics` of some joints only, the root at the origin: positions (T, J, 3) and
    orientations (T, J, 4) of the root and ``joints`` (in order, each after its parent); the other rows
    stay zero. The compiled loop when built (the same row formulas, same bits)."""
    local = np.asarray(local, dtype=float)
    T, J = local.shape[:2]
    pos = np.zeros((T, J, 3))
    glob = np.zeros((T, J, 4))
    offsets = np.asarray(offsets, dtype=float)
    k = Q._kernel()
    parents = _parents_array(tuple(skeleton.parents[:J])) if k and hasattr(k, "forward_kinematics") else None
    if parents is not None and local.ndim == 3 and offsets.shape == (J, 3):
        k.forward_kinematics(np.ascontiguousarray(local), np.zeros((T, 3)), np.ascontiguousarray(offsets), parents,
                             T, J, pos, glob, _joint_array(tuple(joints)))
        return pos, glob
    glob[:, 0] = local[:, 0]
    for j in joints:
        p = skeleton.parents[j]
        glob[:, j] = Q.qmul(glob[:, p], local[:, j])
        pos[:, j] = pos[:, p] + Q.qrot(glob[:, p], offsets[j])
    return pos, glob


@functools.lru_cache(maxsize=32)
def _joint_array(joints: tuple[int, ...]) -> np.ndarray:
    out = np.array(joints, dtype=np.int64)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=32)
def _parents_array(parents: tuple[int, ...]) -> np.ndarray | None:
    """The parents as int64 for the compiled FK, or None unless every joint comes after its parent."""
    if any(not 0 <= p < j for j, p in enumerate(parents) if j):
        return None
    out = np.array(parents, dtype=np.int64)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=32)
def tree_levels(parents: tuple[int, ...]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(joints, their parents) index arrays per depth of a kinematic tree (root excluded), root outward."""
    depth = [0] * len(parents)
    for j in range(1, len(parents)):
        depth[j] = depth[parents[j]] + 1
    out = []
    for d in range(1, max(depth, default=0) + 1):
        js = np.array([j for j in range(1, len(parents)) if depth[j] == d], dtype=np.intp)
        out.append((js, np.array([parents[j] for j in js], dtype=np.intp)))
    return tuple(out)


def local_from_global(glob: np.ndarray, skeleton: Skeleton = HUMANML3D_22) -> np.ndarray:
    """Local joint rotations ``L[j] = G[parent]⁻¹ ⊗ G[j]`` from global orientations (T, J, 4)."""
    glob = np.asarray(glob, dtype=float)
    loc = glob.copy()
    parents = np.array(skeleton.parents[1:])
    loc[:, 1:] = Q.qmul(Q.qconj(glob[:, parents]), glob[:, 1:])
    return loc


# IK roles on HUMANML3D_22: (joint, kind, child, extra)
#   frame: orientation from two child vectors (rigid), exact
#   hinge_parent: primary = bone to child; twist from the plane of the next (hinge) bone;
#                 falls back to the minimal twist relative to the parent when the hinge is straight
#   hinge: primary bone, hinge axis shared with the parent segment (1-DOF joint), exact
#   swing: minimal rotation relative to the parent that aligns the bone (axial twist unobservable)
#   leaf: no child joint, orientation of the parent (local identity)
_HINGE_STRAIGHT = (0.10, 0.25)  # |sin(flexion)| below the first → fallback only, above the second → hinge only


def _roles():
    return [
        ("left_hip", "hinge_parent", "left_knee", ("left_ankle", (1.0, 0.0, 0.0))),
        ("right_hip", "hinge_parent", "right_knee", ("right_ankle", (1.0, 0.0, 0.0))),
        ("spine1", "swing", "spine2", None),
        ("left_knee", "hinge", "left_ankle", (1.0, 0.0, 0.0)),
        ("right_knee", "hinge", "right_ankle", (1.0, 0.0, 0.0)),
        ("spine2", "swing", "spine3", None),
        ("left_ankle", "swing", "left_foot", None),
        ("right_ankle", "swing", "right_foot", None),
        ("spine3", "frame", "neck", ("left_collar", "right_collar")),
        ("left_foot", "leaf", None, None),
        ("right_foot", "leaf", None, None),
        ("neck", "swing", "head", None),
        ("left_collar", "swing", "left_shoulder", None),
        ("right_collar", "swing", "right_shoulder", None),
        ("head", "leaf", None, None),
        ("left_shoulder", "hinge_parent", "left_elbow", ("left_wrist", (0.0, -1.0, 0.0))),
        ("right_shoulder", "hinge_parent", "right_elbow", ("right_wrist", (0.0, 1.0, 0.0))),
        ("left_elbow", "hinge", "left_wrist", (0.0, -1.0, 0.0)),
        ("right_elbow", "hinge", "right_wrist", (0.0, 1.0, 0.0)),
        ("left_wrist", "leaf", None, None),
        ("right_wrist", "leaf", None, None),
    ]


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def inverse_kinematics(positions: np.ndarray, offsets: np.ndarray | None = None,
                       skeleton: Skeleton = HUMANML3D_22, *, source: str | None = None) -> np.ndarray:
    """Global segment orientations (T, 22, 4) from global joint positions (T, 22, 3).

    Every bone direction is matched exactly, so FK with these orientations and the data's own
    bone lengths returns the input positions. Twist about a bone is recovered where the joint
    positions observe it: pelvis and upper chest from their child triangles, thighs and upper arms
    from the knee / elbow flexion plane (hinge joints), shanks and forearms from that hinge.
    Twists that positions cannot observe (spine1, spine2, neck, collars, feet, and thighs / upper
    arms whose knee / elbow is straight) take the minimal rotation relative to the parent segment;
    leaf segments (feet tips, head, hands) take their parent's orientation.

    Parameters
    ----------
    positions : (T, 22, 3) joint positions in m, y up, body initially facing any direction.
    offsets : (22, 3) rest offsets defining the rest bone *directions*; default the anthropometric
        template of :func:`imuforge.motion.skeleton.rest_offsets` (only directions are used).
    """
    if skeleton != HUMANML3D_22:
        raise ValidationError(f"geometric IK is defined for {HUMANML3D_22.name!r}, not {skeleton.name!r}",
                              source=source)
    pos = np.asarray(positions, dtype=float)
    if pos.ndim != 3 or pos.shape[1:] != (22, 3):
        raise ValidationError(f"joint positions must have shape (T, 22, 3), got {pos.shape}", source=source)
    check_finite("joint positions", pos, source=source)
    if offsets is None:
        offsets = rest_offsets(1.75)
    bones = pos[:, 1:] - pos[:, np.array(skeleton.parents[1:])]
    lengths = np.linalg.norm(bones, axis=-1)
    if np.any(lengths < 1e-9):
        t, j = np.argwhere(lengths < 1e-9)[0]
        raise ValidationError(f"joint {skeleton.joints[j + 1]!r} coincides with its parent at frame {t} "
                              "(zero-length bone)", source=source)
    T = pos.shape[0]
    G = np.zeros((T, 22, 4))
    G[..., 3] = 1.0
    P = pos
    # pelvis: hip line (rest +x) and pelvis → spine1
    G[:, 0] = Q.from_two_vectors(offsets[_J("left_hip")] - offsets[_J("right_hip")], offsets[_J("spine1")],
                                 P[:, _J("left_hip")] - P[:, _J("right_hip")],
                                 P[:, _J("spine1")] - P[:, 0])
    for name, kind, child, extra in _roles():
        j = _J(name)
        par = skeleton.parents[j]
        Gp = G[:, par]
        if kind == "leaf":
            G[:, j] = Gp
            continue
        c = _J(child)
        bone = P[:, c] - P[:, j]
        rest = offsets[c]
        if kind == "frame":
            a, b = _J(extra[0]), _J(extra[1])
            G[:, j] = Q.from_two_vectors(rest, offsets[a] - offsets[b], bone, P[:, a] - P[:, b])
        elif kind == "swing":
            G[:, j] = _swing(Gp, rest, bone)
        elif kind == "hinge":
            axis_world = Q.qrot(G[:, par], np.asarray(extra))
            G[:, j] = Q.from_two_vectors(rest, extra, bone, axis_world)
        elif kind == "hinge_parent":
            gc, axis_rest = _J(extra[0]), np.asarray(extra[1])
            nxt = P[:, gc] - P[:, c]
            cr = np.cross(_unit(bone), _unit(nxt))
            s = np.linalg.norm(cr, axis=-1, keepdims=True)
            fallback = Q.qrot(_swing(Gp, rest, bone), axis_rest)
            hinge = cr / np.maximum(s, 1e-12)
            hinge = np.where(np.sum(hinge * fallback, -1, keepdims=True) < 0, -hinge, hinge)
            lo, hi = _HINGE_STRAIGHT
            w = np.clip((s - lo) / (hi - lo), 0.0, 1.0)
            w = w * w * (3 - 2 * w)
            G[:, j] = Q.from_two_vectors(rest, axis_rest, bone, w * hinge + (1 - w) * fallback)
    return Q.continuous(G)


def _swing(Gp: np.ndarray, rest: np.ndarray, bone: np.ndarray) -> np.ndarray:
    """Minimal rotation after the parent orientation that points ``rest`` along ``bone``."""
    return Q.qmul(Q.shortest_arc(Q.qrot(Gp, rest), bone), Gp)
