"""The hanging arm as a passive pendulum on the moving shoulder, with a compliant elbow and forearm.

The gaits prescribe the arm swing as joint angles relative to the trunk (a cosine at the stride
frequency, :func:`imuforge.motion.library.gait._arms`), so the arm follows the shoulder rigidly: every
jolt of the trunk reaches the wrist unchanged in direction. A relaxed arm does not: it hangs from the
shoulder and lags behind the shoulder's accelerations. Each step's fore-aft deceleration and push swing
it a little backwards and forwards at the step frequency and its harmonics, which a watch reads as
rotation between 1.5 and 6 Hz that the cosine lacks (CrowdSignals watch walking, rate RMS per band,
real against synthetic before this model: 0.59 / 0.25 rad/s at 1.5–3 Hz, 0.40 / 0.13 at 3–6 Hz).

**Model.** The whole arm (upper arm, forearm and hand, taken straight: the walking elbow's 18–40° of
flexion is neglected in its inertia) as one rigid pendulum hinged at the shoulder, linearised about
hanging, in the sagittal plane driven by the shoulder's fore-aft acceleration ``a`` and in the frontal
plane by its lateral one::

    I q'' + c q' + m d g q = −m d a        (q: + the hand forwards / to the left)

``I`` about the shoulder, ``m d`` the arm's mass times the distance of its centre of mass from the
shoulder, from de Leva's (1996, *J Biomech* 29:1223, Table 4, men) segment masses, centres of mass and
radii of gyration — sagittal radii for the sagittal plane, transverse for the frontal — on the
person's own segment lengths (the hand's from de Leva's hand-to-forearm length ratio). Its equivalent
length ``I / (m d)`` is ≈ 0.43 m at 1.75 m, its own frequency ≈ 0.76 Hz.

**The elbow and the forearm** (given the arm's angles, ``pose``). The moving elbow is compliant and
underdamped, with a natural frequency under 3 Hz (Bennett, Hollerbach, Xu & Hunter 1992, *Exp Brain Res*
88:433: stiffness during cyclic movement below the postural values). The forearm with the hand is a second
pendulum about the elbow, in the sagittal plane, driven by the shoulder's acceleration (the same
high-passed drive) along its own tangent ``(cos φ, sin φ)`` (forward, up; φ the forearm's angle from
hanging, shoulder plus elbow flexion)::

    q_e'' + 2ζ_e ω_e q_e' + ω_e² q_e = −(m d / I)_forearm+hand · (a_fwd cos φ + a_up sin φ)

with ``(m d / I)`` from de Leva's forearm and hand about the elbow and ω_e = 2π · :data:`ELBOW_HZ` (2 Hz,
under the measured 3 Hz: on a 70 kg, 1.75 m adult's forearm and hand ≈ 10.4 N·m/rad, of which gravity's
restoring moment gives 2.6 and the muscles ≈ 7.8; taken for everyone), ζ_e = :data:`ELBOW_DAMPING` (an
assumption within "underdamped").
The forearm also twists about its long axis: the hand's centre of mass sits off that axis toward the palm
(:data:`HAND_OFFSET_M`, an assumption), so the wrist's acceleration along the forearm's tangent — the
swing's own, at the stride frequency, and the shoulder's — turns it (a forward acceleration of a hanging
forearm leaves the hand behind: pronation)::

    q_a'' + 2ζ_a ω_a q_a' + ω_a² q_a = −(m_hand d / I_axial) · a_wrist · (cos φ, sin φ)

``I_axial`` from de Leva's longitudinal radii of gyration of forearm and hand; ω_a = 2π · :data:`AXIAL_HZ`,
set so walkers at 1.3 m/s turn their forearms through the 14.2 ± 3.2° of pronation–supination measured
during arm swing (15 adults; "The elbow is the load-bearing joint during arm swing", *Clin Shoulder Elb*
2023, 26:126). Both matter to a watch, which sits on the forearm: without them its walking rotation had
0.1× the real power between 3 and 6 Hz on the swing axis and 0.04–0.2× about the forearm's own axis
(CrowdSignals and BasicMotions watches; docs/MOTION.md).

**What is driven.** Only the part of the shoulder's acceleration above 0.75 × the step frequency
(4th-order Butterworth, forwards and backwards: the stride frequency passes at ≈ 4 %, the step
frequency at ≈ 91 %): the stride-frequency swing (near the arm's own frequency) is what the prescribed
cosine already is — measured shoulder ranges include it — and is left to it (the forearm's twist takes
the whole acceleration and the swing's own: the prescribed swing has no twist). At the step frequency
and above the response is mass-dominated (rate ≈ a / (L ω), ``L`` the equivalent length): the damping
ratio :data:`DAMPING` (an assumption) changes it by ≈ ±5 % between 0.15 and 0.5. The trunk's own
high-frequency pitch (≈ 0.3° at the thorax, the spine cancelling most of the pelvis's) is neglected: the
arm's deflection is added to the trunk-relative angles. An arm the hand's task holds (a phone, a box, a
rail, a bag: any ``*_fixed`` angle of that side) gets none — braced, or (a bag) a load this model does
not carry. Running arms (flexed and driven by their muscles) get none of it: given the same elbow and
twist, a runner's forearm turned through ≈ 60° (docs/MOTION.md). The filter starts from the pendulum's
response to a mirrored copy of the first two seconds, so the track does not open with a transient.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import lfilter

from imuforge._zerophase import sosfiltfilt
from imuforge.motion import quat as Q
from imuforge.motion.body import Person
from imuforge.motion.kinematics import chain_kinematics
from imuforge.motion.library._core import (GRAVITY, SIDES, J, bilinear_second_order, butter_highpass,
                                           side_angle)

#: de Leva (1996) Table 4, men: mass fraction of body mass, centre of mass from the proximal joint as a
#: fraction of the segment length, radius of gyration about the centre of mass as a fraction — sagittal
#: (rotation in the sagittal plane) and transverse (rotation in the frontal plane)
UPPER_ARM = {"mass": 0.0271, "com": 0.5772, "sagittal": 0.285, "transverse": 0.269}
FOREARM = {"mass": 0.0162, "com": 0.4574, "sagittal": 0.276, "transverse": 0.265}
HAND = {"mass": 0.0061, "com": 0.7900, "sagittal": 0.628, "transverse": 0.513}
#: de Leva's mean lengths (m, men): hand (wrist joint centre to the third metacarpale) over forearm
HAND_OVER_FOREARM = 0.0862 / 0.2689
#: damping ratio of the arm's pendulum (an assumption: relaxed muscles; see the module docstring)
DAMPING = 0.3
#: the drive's high-pass corner, × the step frequency (between the stride and the step frequency), order
DRIVE_CORNER, DRIVE_ORDER = 0.75, 4
#: seconds of the drive mirrored before the track, to start the filter near its steady state
PRE_ROLL_S = 2.0
#: de Leva (1996) Table 4, men: longitudinal radius of gyration (about the long axis) over the segment length
LONGITUDINAL = {"forearm": 0.121, "hand": 0.401}
#: the elbow's natural frequency (Hz) and damping ratio with the forearm and hand (see the module docstring)
ELBOW_HZ, ELBOW_DAMPING = 2.0, 0.3
#: the hand's centre of mass off the forearm's long axis, toward the palm (m; an assumption), the forearm's
#: axial natural frequency (Hz) and damping ratio (an assumption)
HAND_OFFSET_M = 0.016
AXIAL_HZ, AXIAL_DAMPING = 3.0, 0.3
_SHOULDER_CHAIN = tuple(J(n) for n in ("spine1", "spine2", "spine3", "left_collar", "right_collar",
                                      "left_shoulder", "right_shoulder"))


def arm_pendulum(upper_m: float, fore_m: float, plane: str) -> tuple[float, float]:
    """(I about the shoulder, m·d) of the straight arm per unit body mass (the masses cancel in the
    motion), with the radii of gyration of ``plane`` (``"sagittal"`` or ``"transverse"``)."""
    chain = ((UPPER_ARM, upper_m), (FOREARM, fore_m), (HAND, HAND_OVER_FOREARM * fore_m))
    return _chain_pendulum(chain, plane)


def forearm_pendulum(fore_m: float) -> tuple[float, float]:
    """(I about the elbow, m·d) of the forearm with the hand per unit body mass (sagittal radii)."""
    return _chain_pendulum(((FOREARM, fore_m), (HAND, HAND_OVER_FOREARM * fore_m)), "sagittal")


def _chain_pendulum(chain, plane: str) -> tuple[float, float]:
    """(I, m·d) per unit body mass of segments laid end to end from the hinge: ``chain`` of (de Leva segment,
    length m), radii of gyration of ``plane``."""
    inertia, moment, start = 0.0, 0.0, 0.0
    for seg, length in chain:
        r = start + seg["com"] * length  # centre of mass from the hinge
        inertia += seg["mass"] * ((seg[plane] * length) ** 2 + r ** 2)  # parallel axes
        moment += seg["mass"] * r
        start += length
    return inertia, moment


def forearm_axial(fore_m: float) -> tuple[float, float]:
    """(I about the forearm's long axis, m_hand · d) of the forearm with the hand per unit body mass, the
    hand's centre of mass :data:`HAND_OFFSET_M` off the axis (parallel axes)."""
    hand_m = HAND_OVER_FOREARM * fore_m
    inertia = FOREARM["mass"] * (LONGITUDINAL["forearm"] * fore_m) ** 2 \
        + HAND["mass"] * ((LONGITUDINAL["hand"] * hand_m) ** 2 + HAND_OFFSET_M ** 2)
    return inertia, HAND["mass"] * HAND_OFFSET_M


def _segment_lengths(person: Person) -> tuple[float, float]:
    off = person.offsets
    return float(np.linalg.norm(off[J("left_elbow")])), float(np.linalg.norm(off[J("left_wrist")]))


def equivalent_length(person: Person, plane: str = "sagittal") -> float:
    """The hanging arm's equivalent pendulum length I / (m d) about the shoulder (m)."""
    inertia, moment = arm_pendulum(*_segment_lengths(person), plane)
    return inertia / moment


@functools.lru_cache(maxsize=1024)
def _arm_filter(upper_m: float, fore_m: float, plane: str, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Discrete transfer function (b, a) from the shoulder's acceleration (m/s²) to the arm's angle (rad)."""
    inertia, moment = arm_pendulum(upper_m, fore_m, plane)
    w0 = np.sqrt(GRAVITY * moment / inertia)
    return bilinear_second_order(-moment / inertia, 2 * DAMPING * w0, w0 ** 2, fps)


@functools.lru_cache(maxsize=1024)
def _oscillator(gain: float, hz: float, damping: float, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Discrete transfer function (b, a) of q'' + 2ζωq' + ω²q = −gain · drive (ω = 2π hz, bilinear)."""
    w0 = 2 * np.pi * hz
    return bilinear_second_order(-gain, 2 * damping * w0, w0 ** 2, fps)


@functools.lru_cache(maxsize=256)
def _drive_filter(corner_hz: float, fps: float) -> np.ndarray:
    """The drive's high-pass (Butterworth, applied forwards and backwards), designed once (scipy's ``butter``,
    the same bits: :func:`~imuforge.motion.library._core.butter_highpass`)."""
    return butter_highpass(DRIVE_ORDER, corner_hz, fps)


def shoulder_accelerations(local: np.ndarray, root: np.ndarray, person: Person, fps: float) -> np.ndarray:
    """(n, 2 sides, 3) the shoulders' accelerations (m/s²) along the trunk's horizontal forward and left
    directions and up (left side first)."""
    pos, glob = chain_kinematics(local, person.offsets, _SHOULDER_CHAIN)
    dt = 1.0 / fps
    sh = root[:, None, :] + pos[:, [J("left_shoulder"), J("right_shoulder")]]
    acc = np.gradient(np.gradient(sh, dt, axis=0), dt, axis=0)
    fwd = Q.qrot(glob[:, J("spine3")], np.array([0.0, 0.0, 1.0]))
    fwd[:, 1] = 0.0
    fwd /= np.maximum(np.linalg.norm(fwd, axis=1, keepdims=True), 1e-9)
    left = np.stack([fwd[:, 2], np.zeros(len(fwd)), -fwd[:, 0]], axis=1)  # up × forward (y up)
    return np.stack([np.einsum("nsk,nk->ns", acc, fwd), np.einsum("nsk,nk->ns", acc, left), acc[..., 1]],
                    axis=-1)


def _pendulum(b: np.ndarray, a: np.ndarray, drive: np.ndarray, pre: int) -> np.ndarray:
    """The filter's output over ``drive`` (n, k), started on its mirrored first ``pre`` samples."""
    lead = drive[pre:0:-1]
    return lfilter(b, a, np.concatenate([lead, drive]), axis=0)[len(lead):]


def passive_arm_sway(local: np.ndarray, root: np.ndarray, person: Person, fps: float, f_step: float,
                     style: dict, pose: dict | None = None) -> dict[str, np.ndarray]:
    """Joint-angle increments (deg) of the free arms' passive response to the shoulders' motion (see the
    module docstring): ``sh_flex_{L,R}`` and ``sh_abd_{L,R}`` always, and with the arm's angles ``pose``
    (deg; ``sh_flex_*`` and ``elbow_flex_*``, scalars or per frame) the elbow's and the forearm's,
    ``elbow_flex_{L,R}`` and ``elbow_sup_{L,R}``. Arms the hand's task holds get none, and so does a track
    of fewer than 32 frames or 0.2 s (too short for the forwards-backwards high-pass)."""
    if len(root) < max(32, 0.2 * fps):
        return {}
    free = [(i, sfx, s) for i, (sfx, s, _) in enumerate(SIDES)
            if not any(k.endswith(f"_{sfx}_fixed") for k in style)]
    if not free:
        return {}
    acc = shoulder_accelerations(local, root, person, fps)
    corner = round(min(DRIVE_CORNER * f_step, 0.45 * fps), 2)
    drive = sosfiltfilt(_drive_filter(corner, float(fps)), acc, axis=0)
    lengths = _segment_lengths(person)
    pre = min(int(PRE_ROLL_S * fps), len(drive) - 1)
    q_sag = _pendulum(*_arm_filter(*lengths, "sagittal", float(fps)), drive[:, :, 0], pre)  # + forwards
    q_fro = _pendulum(*_arm_filter(*lengths, "transverse", float(fps)), drive[:, :, 1], pre)  # + leftwards
    out: dict[str, np.ndarray] = {}
    for i, sfx, s in free:
        out[f"sh_flex_{sfx}"] = np.degrees(q_sag[:, i])
        out[f"sh_abd_{sfx}"] = np.degrees(s * q_fro[:, i])  # left arm abducts leftwards, right rightwards
        if pose is not None:
            out.update(_forearm_sway(pose, sfx, q_sag[:, i], drive[:, i], acc[:, i], lengths, fps, pre))
    return out


def _arm_angles(pose: dict, sfx: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``sfx`` arm's shoulder and elbow flexion (rad, per frame) in ``pose`` (deg; the side's own key,
    else the shared one, as :func:`~imuforge.motion.library._core.pose_to_local` reads them)."""
    return tuple(np.broadcast_to(side_angle(pose, k, sfx, n), (n,)) for k in ("sh_flex", "elbow_flex"))


def _forearm_sway(pose: dict, sfx: str, q_arm: np.ndarray, drive: np.ndarray, acc: np.ndarray,
                  lengths: tuple[float, float], fps: float, pre: int) -> dict[str, np.ndarray]:
    """One free hanging arm's elbow and forearm-axial increments (deg; see the module docstring): ``q_arm``
    the whole arm's sway (rad), ``drive`` the shoulder's high-passed and ``acc`` its unfiltered (forward,
    left, up) acceleration (m/s²)."""
    sh, el = _arm_angles(pose, sfx, len(q_arm))
    sh = sh + q_arm
    inertia, moment = forearm_pendulum(lengths[1])
    phi = sh + el  # the forearm's angle from hanging, forwards
    tangent = drive[:, 0] * np.cos(phi) + drive[:, 2] * np.sin(phi)
    elbow = _oscillator(moment / inertia, ELBOW_HZ, ELBOW_DAMPING, float(fps))
    q_el = _pendulum(*elbow, tangent[:, None], pre)[:, 0]
    q_ax = _forearm_twist(sh, el + q_el, acc, lengths, fps, pre)
    return {f"elbow_flex_{sfx}": np.degrees(q_el), f"elbow_sup_{sfx}": np.degrees(q_ax)}


def _forearm_twist(sh: np.ndarray, el: np.ndarray, acc: np.ndarray, lengths: tuple[float, float], fps: float,
                   pre: int) -> np.ndarray:
    """The forearm's axial twist (rad, + supination) for shoulder and elbow flexion ``sh``, ``el`` (rad):
    driven by the wrist's acceleration along the forearm's sagittal tangent — the shoulder's ``acc``
    (forward, left, up; m/s²) and the arm's own swing (see the module docstring)."""
    upper, fore = lengths
    fa = sh + el
    reach, height = upper * np.sin(sh) + fore * np.sin(fa), -upper * np.cos(sh) - fore * np.cos(fa)
    dt = 1.0 / fps
    a_f = acc[:, 0] + np.gradient(np.gradient(reach, dt), dt)
    a_u = acc[:, 2] + np.gradient(np.gradient(height, dt), dt)
    inertia, moment = forearm_axial(fore)
    axial = _oscillator(moment / inertia, AXIAL_HZ, AXIAL_DAMPING, float(fps))
    return _pendulum(*axial, (a_f * np.cos(fa) + a_u * np.sin(fa))[:, None], pre)[:, 0]
