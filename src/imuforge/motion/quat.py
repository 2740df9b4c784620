"""Vectorised unit-quaternion helpers in scipy's scalar-last order ``(x, y, z, w)``.

All functions broadcast over leading axes, so a whole (T, J) array of rotations is one call.
Angles are in radians.
"""

from __future__ import annotations

import numpy as np

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])

#: the compiled row loops (``imuforge.sensors._kernels.quat_op``), looked up on first use; False when the
#: extension is not built (or predates them): then the numpy forms below, which give the same bits
_KERNEL = None


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        try:
            from imuforge.sensors import _kernels
        except ImportError:  # pragma: no cover - depends on the build
            _KERNEL = False
        else:
            _KERNEL = _kernels if hasattr(_kernels, "quat_op") else False
    return _KERNEL


def _rotation_kernel() -> bool:
    """Whether the compiled ``rotation_rows`` (:func:`euler`, :func:`rx` …) is there."""
    k = _KERNEL if _KERNEL is not None else _kernel()
    return bool(k) and hasattr(k, "rotation_rows")


def _rows(op: int, a: np.ndarray, b: np.ndarray, width: int):
    """Run ``quat_op`` on the rows of a and b (float64), broadcasting them; None when the kernel cannot."""
    k = _KERNEL if _KERNEL is not None else _kernel()
    if not k or a.dtype != np.float64 or b.dtype != np.float64:
        return None
    sa = sb = 1
    if a.shape[:-1] == b.shape[:-1]:
        shape = a.shape[:-1]
    elif a.ndim == 1:
        shape, sa = b.shape[:-1], 0
    elif b.ndim == 1:
        shape, sb = a.shape[:-1], 0
    else:
        try:
            shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
        except ValueError:
            return None  # numpy raises its own error
        a = np.broadcast_to(a, shape + a.shape[-1:])
        b = np.broadcast_to(b, shape + b.shape[-1:])
    out = np.empty(shape + (width,))
    k.quat_op(op, np.ascontiguousarray(a), np.ascontiguousarray(b), out, out.size // width, sa, sb)
    return out


def qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a ⊗ b`` (apply ``b`` first, then ``a``)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape[-1:] == b.shape[-1:] == (4,):
        out = _rows(0, a, b, 4)
        if out is not None:
            return out
    return _qmul(a, b)


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`qmul` in numpy (the reference of the compiled loop)."""
    ax, ay, az, aw = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bx, by, bz, bw = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    # components written into one array (not stacked): the same products and sums, fewer temporaries
    c0 = aw * bx + ax * bw + ay * bz - az * by
    out = np.empty(c0.shape + (4,), c0.dtype)
    out[..., 0] = c0
    out[..., 1] = aw * by - ax * bz + ay * bw + az * bx
    out[..., 2] = aw * bz + ax * by - ay * bx + az * bw
    out[..., 3] = aw * bw - ax * bx - ay * by - az * bz
    return out


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross`` of (..., 3) vectors (same products and differences, so the same bits) without its
    per-call axis handling, which dominates on the short arrays of the motion and sensor code."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape[-1:] == b.shape[-1:] == (3,):
        out = _rows(2, a, b, 3)
        if out is not None:
            return out
    return _cross(a, b)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`cross` in numpy."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c0 = a1 * b2 - a2 * b1
    out = np.empty(c0.shape + (3,), np.promote_types(a.dtype, b.dtype))
    out[..., 0] = c0
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


def qconj(q: np.ndarray) -> np.ndarray:
    """Conjugate (= inverse for unit quaternions)."""
    q = np.asarray(q)
    return np.concatenate([-q[..., :3], q[..., 3:]], axis=-1)


def qrot(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (..., 3) by unit quaternions ``q`` (..., 4)."""
    q = np.asarray(q)
    v = np.asarray(v)
    if q.shape[-1:] == (4,) and v.shape[-1:] == (3,):
        out = _rows(1, q, v, 3)
        if out is not None:
            return out
    return _qrot(q, v)


def _qrot(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """:func:`qrot` in numpy."""
    u = q[..., :3]
    t = 2.0 * _cross(u, v)
    return v + q[..., 3:4] * t + _cross(u, t)


def axis_angle(axis, angle) -> np.ndarray:
    """Quaternions for rotations by ``angle`` (rad, any shape) about a fixed or per-sample ``axis``."""
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    return _axis_angle_unit(axis, angle)


def _axis_angle_unit(axis: np.ndarray, angle) -> np.ndarray:
    """:func:`axis_angle` of an already normalised float ``axis`` (sin and cos written into the result)."""
    half = 0.5 * np.asarray(angle, dtype=float)
    shape = half.shape if axis.ndim == 1 else np.broadcast_shapes(axis.shape[:-1], half.shape)
    out = np.empty(shape + (4,))
    if half.size > 256:  # a constant angle (a held pose, a scalar broadcast): one sin and cos, the same bits
        flat = half.reshape(-1)
        bits = flat.view(np.int64)
        if (bits == bits[0]).all():
            one = flat[:1]
            np.multiply(axis, np.sin(one), out=out[..., :3])
            out[..., 3] = np.cos(one)[0]
            return out
    np.multiply(axis, np.sin(half)[..., None], out=out[..., :3])
    np.cos(half, out=out[..., 3])
    return out


# the unit axes, normalised as axis_angle does (x / |x| is x exactly for these)
_X = np.array([1.0, 0.0, 0.0]) / np.linalg.norm([1.0, 0.0, 0.0])
_Y = np.array([0.0, 1.0, 0.0]) / np.linalg.norm([0.0, 1.0, 0.0])
_Z = np.array([0.0, 0.0, 1.0]) / np.linalg.norm([0.0, 0.0, 1.0])
_AXES = (_X, _Y, _Z)


def _about(k: int, angle) -> np.ndarray:
    """Rotation about the unit axis ``k`` (0 x, 1 y, 2 z) by ``angle`` (rad): :func:`_axis_angle_unit` of
    that axis, bit for bit (signed zeros too: the other two components are 0 × the sine), written
    component by component (a broadcast multiply by the axis cost as much as the sine and cosine)."""
    a = np.asarray(angle, dtype=float)
    half = 0.5 * a if a.size > 256 or not _rotation_kernel() else None
    if a.size > 256:  # a constant angle: one sin and cos, the same bits
        flat = half.reshape(-1)
        bits = flat.view(np.int64)
        if (bits == bits[0]).all():
            return _axis_angle_unit(_AXES[k], angle)
    out = np.empty(a.shape + (4,))
    if _rotation_kernel():  # the compiled loop: the same formulas per element
        _KERNEL.rotation_rows((k,), 1, np.ascontiguousarray(a), None, None, a.size, out)
        return out
    s = np.sin(half)
    out[..., k] = s
    zero = 0.0 * s
    out[..., (k + 1) % 3] = zero
    out[..., (k + 2) % 3] = zero
    out[..., 3] = np.cos(half)
    return out


def rx(angle) -> np.ndarray:
    """Rotation about +x by ``angle`` (rad)."""
    return _about(0, angle)


def ry(angle) -> np.ndarray:
    """Rotation about +y by ``angle`` (rad)."""
    return _about(1, angle)


def rz(angle) -> np.ndarray:
    """Rotation about +z by ``angle`` (rad)."""
    return _about(2, angle)


#: the sign ε of each permutation (i, j, k) of the axes for :func:`euler`: (0 1 2), (1 2 0), (2 0 1) are even
_EULER_SIGNS = {(i, j, k): (1.0 if (j - i) % 3 == 1 else -1.0)
                for i in range(3) for j in range(3) for k in range(3) if len({i, j, k}) == 3}


def euler(axes: tuple[int, int, int], a1, a2, a3) -> np.ndarray:
    """``about(axes[0], a1) ⊗ about(axes[1], a2) ⊗ about(axes[2], a3)`` for three different axes (0 x,
    1 y, 2 z; angles in rad, broadcast together) in closed form: with the half-angle sines sₙ and cosines
    cₙ and ε the sign of the permutation (i, j, k) of the axes, the product's components are
    x_i = s₁c₂c₃ + ε c₁s₂s₃, x_j = c₁s₂c₃ − ε s₁c₂s₃,
    x_k = c₁c₂s₃ + ε s₁s₂c₃, w = c₁c₂c₃ − ε s₁s₂s₃
    (two Hamilton products written out; one pass instead of three rotations and two products, which
    dominate the joint-angle → rotation step on the short arrays of the gait closures)."""
    eps = _EULER_SIGNS.get(tuple(axes))
    if eps is None:
        raise ValueError(f"euler needs three different axes, got {axes}")
    i, j, k = axes
    if _rotation_kernel():  # the compiled loop: the same formulas per element (each angle per row or held)
        angles = [np.asarray(a, dtype=float) for a in (a1, a2, a3)]
        shape = np.broadcast_shapes(*(a.shape for a in angles))
        if all(a.shape == shape or a.size == 1 for a in angles):
            out = np.empty(shape + (4,))
            _KERNEL.rotation_rows((i, j, k), 1 if eps > 0 else -1, *map(np.ascontiguousarray, angles),
                                  out.size // 4, out)
            return out
    h1, h2, h3 = (0.5 * np.asarray(a, dtype=float) for a in (a1, a2, a3))
    s1, c1, s2, c2, s3, c3 = np.sin(h1), np.cos(h1), np.sin(h2), np.cos(h2), np.sin(h3), np.cos(h3)
    c1c2, s1s2, s1c2, c1s2 = c1 * c2, s1 * s2, s1 * c2, c1 * s2
    out = np.empty(np.broadcast(h1, h2, h3).shape + (4,))
    # ε·x is x or −x exactly, so adding ε·x is adding or subtracting x: the same bits without the products
    plus, minus = (np.add, np.subtract) if eps > 0 else (np.subtract, np.add)
    plus(s1c2 * c3, c1s2 * s3, out=out[..., i])
    minus(c1s2 * c3, s1c2 * s3, out=out[..., j])
    plus(c1c2 * s3, s1s2 * c3, out=out[..., k])
    minus(c1c2 * c3, s1s2 * s3, out=out[..., 3])
    return out


def from_rotvec(rv: np.ndarray) -> np.ndarray:
    """Quaternions from rotation vectors (axis × angle, rad)."""
    rv = np.asarray(rv, dtype=float)
    angle = np.linalg.norm(rv, axis=-1, keepdims=True)
    half = 0.5 * angle
    # sin(a/2)/a with its Taylor series near 0
    small = angle < 1e-8
    k = np.where(small, 0.5 - angle**2 / 48.0, np.sin(half) / np.where(small, 1.0, angle))
    return np.concatenate([rv * k, np.cos(half)], axis=-1)


def to_rotvec(q: np.ndarray) -> np.ndarray:
    """Rotation vectors (rad) of unit quaternions, angle in [0, π]."""
    q = np.asarray(q, dtype=float)
    q = np.where(q[..., 3:4] < 0, -q, q)
    s = np.linalg.norm(q[..., :3], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., 3:4])
    small = s < 1e-12
    k = np.where(small, 2.0, angle / np.where(small, 1.0, s))
    return q[..., :3] * k


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation angle (rad, in [0, π]) of ``a⁻¹ ⊗ b``."""
    d = np.abs(np.sum(np.asarray(a) * np.asarray(b), axis=-1))
    return 2.0 * np.arccos(np.clip(d, 0.0, 1.0))


def norms(q: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(q, axis=-1)`` of float64 quaternions (the compiled pass sums in numpy's order)."""
    q = np.asarray(q)
    k = _KERNEL if _KERNEL is not None else _kernel()
    if k and hasattr(k, "quat_rows") and q.dtype == np.float64 and q.ndim >= 1 and q.shape[-1] == 4:
        src = np.ascontiguousarray(q)
        out = np.empty(q.shape[:-1])
        k.quat_rows(0, src, src.size // 4, 1, out)
        return out
    return np.linalg.norm(q, axis=-1)


def vector_norms(v: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(v, axis=-1)`` of float64 (..., 3) vectors: the same squares summed in numpy's order
    (x² + y²) + z², without its generic reduction, which dominates on the (frames, joints, 3) arrays of the
    plausibility check."""
    v = np.asarray(v)
    if v.dtype != np.float64 or v.ndim < 1 or v.shape[-1] != 3:
        return np.linalg.norm(v, axis=-1)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.sqrt(x * x + y * y + z * z)


def normalize(q: np.ndarray) -> np.ndarray:
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def continuous(q: np.ndarray, axis: int = 0) -> np.ndarray:
    """Flip signs along ``axis`` (time) so consecutive quaternions lie in the same hemisphere."""
    q = np.moveaxis(np.array(q, dtype=float), axis, 0)
    k = _KERNEL if _KERNEL is not None else _kernel()
    if k and hasattr(k, "quat_rows") and q.ndim >= 2 and q.shape[-1] == 4 and q.shape[0] > 0:
        src = np.ascontiguousarray(q)
        out = np.empty(src.shape)
        k.quat_rows(1, src, src.shape[0], src.size // (4 * src.shape[0]), out)  # the same flips, same bits
        return np.moveaxis(out, 0, axis)
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    odd = np.zeros(q.shape[:-1], bool)  # an odd number of flips up to each frame: negate it (exact)
    np.logical_xor.accumulate(dots < 0, axis=0, out=odd[1:])
    np.negative(q, out=q, where=odd[..., None])
    return np.moveaxis(q, 0, axis)


def nlerp(a: np.ndarray, b: np.ndarray, w) -> np.ndarray:
    """Normalised linear interpolation from ``a`` (w=0) to ``b`` (w=1), shortest arc."""
    w = np.asarray(w, dtype=float)[..., None]
    b = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -b, b)
    return normalize((1.0 - w) * a + w * b)


def from_matrix(m: np.ndarray) -> np.ndarray:
    """Quaternions from rotation matrices (..., 3, 3) (Shepperd's method, vectorised)."""
    m = np.asarray(m, dtype=float)
    shape = m.shape[:-2]
    m = m.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cand = np.stack([m[:, 0, 0], m[:, 1, 1], m[:, 2, 2], tr], axis=-1)
    k = np.argmax(cand, axis=-1)
    q = np.empty((m.shape[0], 4))
    # case w largest
    s = k == 3
    r = np.sqrt(1.0 + tr[s]) * 2.0
    q[s] = np.stack([(m[s, 2, 1] - m[s, 1, 2]) / r, (m[s, 0, 2] - m[s, 2, 0]) / r,
                     (m[s, 1, 0] - m[s, 0, 1]) / r, 0.25 * r], -1)
    s = k == 0
    r = np.sqrt(1.0 + m[s, 0, 0] - m[s, 1, 1] - m[s, 2, 2]) * 2.0
    q[s] = np.stack([0.25 * r, (m[s, 0, 1] + m[s, 1, 0]) / r, (m[s, 0, 2] + m[s, 2, 0]) / r,
                     (m[s, 2, 1] - m[s, 1, 2]) / r], -1)
    s = k == 1
    r = np.sqrt(1.0 + m[s, 1, 1] - m[s, 0, 0] - m[s, 2, 2]) * 2.0
    q[s] = np.stack([(m[s, 0, 1] + m[s, 1, 0]) / r, 0.25 * r, (m[s, 1, 2] + m[s, 2, 1]) / r,
                     (m[s, 0, 2] - m[s, 2, 0]) / r], -1)
    s = k == 2
    r = np.sqrt(1.0 + m[s, 2, 2] - m[s, 0, 0] - m[s, 1, 1]) * 2.0
    q[s] = np.stack([(m[s, 0, 2] + m[s, 2, 0]) / r, (m[s, 1, 2] + m[s, 2, 1]) / r, 0.25 * r,
                     (m[s, 1, 0] - m[s, 0, 1]) / r], -1)
    q = normalize(q)
    q = np.where(q[:, 3:4] < 0, -q, q)
    return q.reshape(shape + (4,))


def from_two_vectors(u_rest, v_rest, u, v) -> np.ndarray:
    """Rotation taking direction ``u_rest`` exactly onto ``u`` and the plane (u_rest, v_rest) onto (u, v)."""
    def frame(a, b):
        a = a / np.linalg.norm(a, axis=-1, keepdims=True)
        b = b - np.sum(a * b, axis=-1, keepdims=True) * a
        b = b / np.linalg.norm(b, axis=-1, keepdims=True)
        return np.stack([a, b, np.cross(a, b)], axis=-1)  # columns

    fr = frame(np.broadcast_to(np.asarray(u_rest, float), np.shape(u)),
               np.broadcast_to(np.asarray(v_rest, float), np.shape(v)))
    fc = frame(np.asarray(u, float), np.asarray(v, float))
    return from_matrix(fc @ np.swapaxes(fr, -1, -2))


def shortest_arc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minimal rotation taking direction ``a`` onto direction ``b`` (both (..., 3), any length)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    c = np.cross(a, b)
    d = np.sum(a * b, axis=-1, keepdims=True)
    q = np.concatenate([c, 1.0 + d], axis=-1)
    # antiparallel: rotate π about any axis perpendicular to a
    anti = (1.0 + d[..., 0]) < 1e-10
    if np.any(anti):
        perp = np.cross(a, np.array([1.0, 0.0, 0.0]))
        bad = np.linalg.norm(perp, axis=-1) < 1e-6
        perp = np.where(bad[..., None], np.cross(a, np.array([0.0, 0.0, 1.0])), perp)
        q = np.where(anti[..., None], np.concatenate([perp, np.zeros_like(d)], -1), q)
    return normalize(q)
