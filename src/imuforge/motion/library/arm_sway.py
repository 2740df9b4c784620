"""The hanging arm as a passive pendulum on the moving shoulder.

The gaits prescribe the arm swing as joint angles relative to the trunk (a cosine at the stride
frequency, :func:`imuforge.motion.library.gait._arms`), so the arm follows the shoulder rigidly: every
jolt of the trunk reaches the wrist unchanged in direction. A relaxed arm does not: it hangs from the
shoulder and lags behind the shoulder's accelerations. Each step's fore-aft deceleration and push swing
it a little backwards and forwards at the step frequency and its harmonics, which a watch reads as
rotation between 1.5 and 6 Hz that the cosine lacks (CrowdSignals watch walking, rate RMS per band,
real against synthetic before this model: 0.59 / 0.25 rad/s at 1.5–3 Hz, 0.40 / 0.13 at 3–6 Hz).

**Model.** Sagittal plane: a double pendulum (upper arm; forearm and hand as one body) hinged at the
shoulder and elbow, linearised about hanging, driven by the shoulder's fore-aft acceleration ``a``
(absolute angles ``q1`` of the upper arm and ``q2`` of the forearm from the vertical, + forwards)::

    [I1 + m2 l1²   m2 l1 c2] [q1'']   [(m1 c1 + m2 l1) g       0   ] [q1]      [m1 c1 + m2 l1]
    [m2 l1 c2      I2      ] [q2''] + [0                  m2 c2 g  ] [q2] = −  [m2 c2        ] a

(``I1`` about the shoulder, ``I2`` about the elbow, ``c`` the distances of the centres of mass from
the proximal joint) plus Rayleigh damping giving both modes the damping ratio :data:`DAMPING`. Frontal
plane: the whole arm as one rigid pendulum on the shoulder's lateral acceleration. Segment masses,
centres of mass and radii of gyration are de Leva's (1996, *J Biomech* 29:1223, Table 4, men), the
lengths the person's own (the hand's from de Leva's ratio of hand to forearm length).

**What is driven.** Only the part of the shoulder's acceleration above 0.75 × the step frequency: the
stride-frequency swing (near the arm's own pendulum frequency, ≈ 0.8 Hz) is what the prescribed cosine
already is — measured shoulder ranges include it — and is left as it was. Above resonance the response
is mass-dominated (rate ≈ a / (L ω), ``L`` the arm's equivalent length, ≈ 0.41 m at 1.75 m), so the
damping ratio (an assumption) hardly matters there. The trunk's own high-frequency pitch (≈ 0.3° at the
thorax, the spine cancelling most of the pelvis's) is neglected: the arm's deflection is added to the
trunk-relative angles. A held arm (a phone, a box, the handrail: any ``*_fixed`` shoulder angle) is
braced by its muscles and gets none; a hand carrying a bag hangs and gets it.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import bilinear, butter, lfilter, sosfiltfilt, ss2tf

from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.kinematics import chain_kinematics
from imuforge.motion.library._core import GRAVITY, SIDES, J

#: de Leva (1996) Table 4, men: (mass fraction of body mass, centre of mass from the proximal joint as a
#: fraction of the segment length, sagittal radius of gyration about the centre of mass as a fraction)
UPPER_ARM = (0.0271, 0.5772, 0.285)
FOREARM = (0.0162, 0.4574, 0.276)
HAND = (0.0061, 0.7900, 0.628)
#: de Leva's mean lengths (m, men): hand (wrist joint centre to the third metacarpale) over forearm
HAND_OVER_FOREARM = 0.0862 / 0.2689
#: damping ratio of the arm's pendulum modes (an assumption: relaxed muscles; above resonance, where
#: the model acts, the response hardly depends on it)
DAMPING = 0.3
#: the drive's high-pass corner, × the step frequency (between the stride and the step frequency)
DRIVE_CORNER = 0.75
_SHOULDER_CHAIN = tuple(J(n) for n in ("spine1", "spine2", "spine3", "left_collar", "right_collar",
                                      "left_shoulder", "right_shoulder"))


def _arm_bodies(upper_m: float, fore_m: float) -> tuple:
    """The linearised arm per unit body mass (the masses cancel): sagittal mass, stiffness and drive
    matrices (M, K, b) of the double pendulum, and the frontal rigid arm's (I about the shoulder,
    mass × centre-of-mass distance)."""
    m1, c1, k1 = UPPER_ARM
    mf, cf, kf = FOREARM
    mh, ch, kh = HAND
    hand_m = HAND_OVER_FOREARM * fore_m
    l1 = upper_m
    # forearm + hand as one body about the elbow
    m2 = mf + mh
    r_f, r_h = cf * fore_m, fore_m + ch * hand_m
    c2 = (mf * r_f + mh * r_h) / m2
    I2 = mf * ((kf * fore_m) ** 2 + r_f ** 2) + mh * ((kh * hand_m) ** 2 + r_h ** 2)  # about the elbow
    I1 = m1 * ((k1 * l1) ** 2 + (c1 * l1) ** 2)  # the upper arm about the shoulder
    M = np.array([[I1 + m2 * l1 ** 2, m2 * l1 * c2], [m2 * l1 * c2, I2]])
    K = GRAVITY * np.diag([m1 * c1 * l1 + m2 * l1, m2 * c2])
    b = -np.array([m1 * c1 * l1 + m2 * l1, m2 * c2])
    # the whole arm as one rigid body, the forearm straight below the upper arm
    I_all = I1 + I2 + m2 * (l1 ** 2 + 2 * l1 * c2)
    md_all = m1 * c1 * l1 + m2 * (l1 + c2)
    return M, K, b, I_all, md_all


@functools.lru_cache(maxsize=1024)
def _arm_filters(upper_m: float, fore_m: float, fps: float) -> tuple:
    """Discrete transfer functions (b, a) from the shoulder's acceleration (m/s²) to the sagittal
    angles q1, q2 and to the frontal angle (rad) of an arm of these segment lengths."""
    M, K, b, I_all, md_all = _arm_bodies(upper_m, fore_m)
    w_lo, w_hi = np.sqrt(np.sort(np.real(np.linalg.eigvals(np.linalg.solve(M, K)))))
    a0, a1 = 2 * DAMPING * w_lo * w_hi / (w_lo + w_hi), 2 * DAMPING / (w_lo + w_hi)
    C = a0 * M + a1 * K  # Rayleigh damping: both modes at DAMPING
    Mi = np.linalg.inv(M)
    A = np.block([[np.zeros((2, 2)), np.eye(2)], [-Mi @ K, -Mi @ C]])
    B = np.concatenate([np.zeros(2), Mi @ b])[:, None]
    num, den = ss2tf(A, B, np.eye(4)[:2], np.zeros((2, 1)))
    sagittal = tuple(bilinear(num[i], den, fps) for i in range(2))
    w0 = np.sqrt(GRAVITY * md_all / I_all)
    frontal = bilinear([-md_all / I_all], [1.0, 2 * DAMPING * w0, w0 ** 2], fps)
    return sagittal + (frontal,)


@functools.lru_cache(maxsize=256)
def _drive_filter(corner_hz: float, fps: float) -> np.ndarray:
    """The drive's high-pass (2nd-order Butterworth, applied forwards and backwards), designed once."""
    return butter(2, corner_hz, btype="high", fs=fps, output="sos")


def _segment_lengths(person: Person) -> tuple[float, float]:
    off = person.offsets
    return float(np.linalg.norm(off[J("left_elbow")])), float(np.linalg.norm(off[J("left_wrist")]))


def equivalent_length(person: Person) -> float:
    """The hanging arm's equivalent pendulum length I / (m d) about the shoulder (m), forearm straight."""
    *_, I_all, md_all = _arm_bodies(*_segment_lengths(person))
    return float(I_all / md_all)


def shoulder_accelerations(local: np.ndarray, root: np.ndarray, person: Person, fps: float) -> np.ndarray:
    """(n, 2 sides, 2) the shoulders' accelerations (m/s²) along the trunk's horizontal forward and left
    directions (left side first)."""
    pos, glob = chain_kinematics(local, person.offsets, _SHOULDER_CHAIN)
    dt = 1.0 / fps
    sh = root[:, None, :] + pos[:, [J("left_shoulder"), J("right_shoulder")]]
    acc = np.gradient(np.gradient(sh, dt, axis=0), dt, axis=0)
    thorax = glob[:, J("spine3")]
    fwd = Q.qrot(thorax, np.array([0.0, 0.0, 1.0]))
    fwd[:, 1] = 0.0
    fwd /= np.maximum(np.linalg.norm(fwd, axis=1, keepdims=True), 1e-9)
    left = np.stack([fwd[:, 2], np.zeros(len(fwd)), -fwd[:, 0]], axis=1)  # up × forward
    return np.stack([np.einsum("nsk,nk->ns", acc, fwd), np.einsum("nsk,nk->ns", acc, left)], axis=-1)


def passive_arm_sway(local: np.ndarray, root: np.ndarray, person: Person, fps: float, f_step: float,
                     style: dict) -> dict[str, np.ndarray]:
    """Joint-angle increments (deg; ``sh_flex_{L,R}``, ``elbow_flex_{L,R}``, ``sh_abd_{L,R}``) of the free
    arms' passive response to the shoulders' motion (see the module docstring); held arms get none, and
    so does a track of fewer than 16 frames or 0.1 s (too short for the forwards-backwards high-pass)."""
    if len(root) < max(16, 0.1 * fps):
        return {}
    acc = shoulder_accelerations(local, root, person, fps)
    corner = round(min(DRIVE_CORNER * f_step, 0.45 * fps), 2)
    drive = sosfiltfilt(_drive_filter(corner, float(fps)), acc, axis=0)
    (b1, a1), (b2, a2), (bf, af) = _arm_filters(*_segment_lengths(person), float(fps))
    out: dict[str, np.ndarray] = {}
    for i, (sfx, s, _) in enumerate(SIDES):
        if f"sh_flex_{sfx}_fixed" in style:  # braced by the hand's task
            continue
        q1 = lfilter(b1, a1, drive[:, i, 0])
        q2 = lfilter(b2, a2, drive[:, i, 0])
        qf = lfilter(bf, af, drive[:, i, 1])  # + the hand to the left
        out[f"sh_flex_{sfx}"] = np.degrees(q1)
        out[f"elbow_flex_{sfx}"] = np.degrees(q2 - q1)
        out[f"sh_abd_{sfx}"] = np.degrees(s * qf)  # the left arm abducts to the left, the right to the right
    return out
