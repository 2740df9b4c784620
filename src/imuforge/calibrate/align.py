"""Placement alignment: the rotation from the synthetic sensor frame to the real one.

A real device sits on the body in an orientation the synthetic placement does not know (the
watch turned on the wrist, the phone upside down in the pocket). We look for the rotation ``R``
with ``v_real ≈ R · v_syn`` for every acc / gyro / mag vector, from data of the same activities
(not the same instants):

* **gravity** — the mean specific force of each activity (standing still: exactly gravity)
  fixes two of the three degrees of freedom;
* **the forward direction and the vertical from walking** — the covariance of the 6-axis signal
  above 0.4 Hz (:data:`COV_HIGHPASS_HZ`: the stride, not the route's turns), i.e. its principal axes
  (PCA), with the acc–gyro and vertical–horizontal cross terms that break the sign ambiguities of
  plain PCA, fixes the rotation about gravity.

:func:`estimate_alignment` minimises, over rotations, the mismatch of these moments summed over
the activities present in both (per class when both sides are labelled; only the classes both
sides share are used, and an unlabelled capture against multi-class synthetic data is refused):
``w_c (‖R μ_s − μ_r‖² / g² + ‖B C̃_s Bᵀ − C̃_r‖²_F)`` with ``B = diag(R, R)`` and ``C̃`` the 6×6
covariance with acc and gyro blocks each scaled to unit trace (so magnitude differences between
people do not matter, only directions). The class weight ``w_c`` is the class's motion energy
(acc variance, geometric mean of both sides) relative to the most dynamic class: how a person
stands (arm posture, fidgets) varies between wearers far more than how the arm hangs and swings
in walking or running, so low-energy classes must not outvote locomotion. It starts from the 24 rotations of the cube and from the
closed-form gravity + PCA estimate (:func:`gravity_pca_rotation`), refines each by least squares
and keeps the best. With only still data the rotation about gravity is unobservable; then the
smallest rotation that aligns gravity is returned and the report says so.

**Synthetic people wear the device their own ways** (wear variation: a phone upside down or screen-in,
turned in the pocket; a watch turned on the strap). Their raw readings average those poses out — the
mean gravity of the four ways a phone goes into a pocket is near zero — so the synthetic moments are
taken with each person's turn undone (:func:`typical_wear_data`, ``provenance["wear"]``): ``R`` takes the
*typical* wearer onto the capture's, and every person rotated by it keeps their own turn about the
capture (``R D v = (R D Rᵀ) R v``), the spread a model must learn to ignore. Fitted on the raw readings
instead, a pocket phone's pooled rotation landed 130–180° from the true one (tests/calibrate/
test_align_each.py has the case; docs/CALIBRATION.md §4 the benchmark figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.recording import Recording
from imuforge.units import STANDARD_GRAVITY

ALL = "(all)"


#: high-pass (Hz) of the signal whose covariance fixes the heading: below a stride (≈ 0.6–1 Hz at a walk),
#: above the bulk of a turn (a 90–180° turn over 1.5–3 s). A turn rotates the body about gravity; its rate
#: and sideways acceleration depend on the route, not on how the device sits, and a person who turned
#: three times in a capture otherwise does not match one who walked straight (two simulated wearers with
#: ordinary turns: up to 26° off and one 174° flip of the heading over 16 pairs, against ≤ 14° with it)
COV_HIGHPASS_HZ = 0.4


@dataclass
class Moments:
    """Pooled moments of acc (+gyro) per class: the mean of the signal, and the covariance of its
    high-passed part (:data:`COV_HIGHPASS_HZ`)."""

    n: dict[str, int] = field(default_factory=dict)
    s1: dict[str, np.ndarray] = field(default_factory=dict)
    h1: dict[str, np.ndarray] = field(default_factory=dict)
    h2: dict[str, np.ndarray] = field(default_factory=dict)
    dims: int = 3

    def add(self, label: str, x: np.ndarray, xh: np.ndarray | None = None) -> None:
        """Add samples ``x`` (n, dims) and their high-passed part ``xh`` (``x`` itself when None)."""
        if x.shape[0] == 0:
            return
        xh = x if xh is None else xh
        self.n[label] = self.n.get(label, 0) + x.shape[0]
        self.s1[label] = self.s1.get(label, 0.0) + x.sum(axis=0)
        self.h1[label] = self.h1.get(label, 0.0) + xh.sum(axis=0)
        self.h2[label] = self.h2.get(label, 0.0) + xh.T @ xh

    def mean(self, label: str) -> np.ndarray:
        return self.s1[label] / self.n[label]

    def cov(self, label: str) -> np.ndarray:
        m = self.h1[label] / self.n[label]
        return self.h2[label] / self.n[label] - np.outer(m, m)


def _highpass(x: np.ndarray, rate_hz: float) -> np.ndarray:
    """``x`` without its content below :data:`COV_HIGHPASS_HZ` (zero-phase 2nd-order Butterworth); a
    recording too short to filter is only centred."""
    from scipy.signal import butter

    from imuforge._zerophase import sosfiltfilt

    if len(x) < 16 or COV_HIGHPASS_HZ >= 0.45 * rate_hz:
        return x - x.mean(axis=0)
    sos = butter(2, COV_HIGHPASS_HZ, btype="highpass", fs=rate_hz, output="sos")
    return sosfiltfilt(sos, x, axis=0, padtype="even", padlen=min(len(x) - 1, int(3 * rate_hz / COV_HIGHPASS_HZ)))


def _signal(rec: Recording, with_gyro: bool) -> np.ndarray | None:
    acc = rec.acc
    if acc is None:
        return None
    if with_gyro:
        gyro = rec.gyro
        if gyro is None:
            return None
        return np.hstack([acc, gyro])
    return acc


def collect_moments(recordings, *, per_class: bool, with_gyro: bool) -> Moments:
    """Moments of ``recordings`` per label (``per_class``) or pooled under ``"(all)"``."""
    mom = Moments(dims=6 if with_gyro else 3)
    for rec in recordings:
        x = _signal(rec, with_gyro)
        if x is None:
            continue
        if per_class and rec.labels:
            lab = rec.label_array()
            # each stretch of one label filtered on its own: a change of posture between activities
            # would otherwise leave a filter transient in both
            edges = np.flatnonzero(lab[1:] != lab[:-1]) + 1
            for a, b in zip(np.r_[0, edges], np.r_[edges, len(lab)]):  # loop over stretches
                if lab[a]:
                    mom.add(str(lab[a]), x[a:b], _highpass(x[a:b], rec.rate_hz))
        else:
            mom.add(ALL, x, _highpass(x, rec.rate_hz))
    return mom


def _scaled_cov(c: np.ndarray) -> np.ndarray:
    d = c.shape[0]
    s = np.empty(d)
    for k in range(0, d, 3):
        tr = np.trace(c[k:k + 3, k:k + 3])
        s[k:k + 3] = 1.0 / np.sqrt(tr) if tr > 0 else 0.0
    return c * np.outer(s, s)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation matrix taking direction ``a`` to direction ``b``."""
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(a @ b)
    if np.linalg.norm(v) < 1e-12:
        if c > 0:
            return np.eye(3)
        perp = np.cross(a, [1.0, 0, 0]) if abs(a[0]) < 0.9 else np.cross(a, [0, 1.0, 0])
        return Rotation.from_rotvec(np.pi * perp / np.linalg.norm(perp)).as_matrix()
    angle = np.arctan2(np.linalg.norm(v), c)
    return Rotation.from_rotvec(v / np.linalg.norm(v) * angle).as_matrix()


def gravity_pca_rotation(mu_s: np.ndarray, cov_s: np.ndarray, mu_r: np.ndarray, cov_r: np.ndarray) -> list[np.ndarray]:
    """Closed-form candidates: align gravity, then the first horizontal principal axis of acc.

    Returns the two candidates (forward axis and its opposite); the moment fit picks one.
    """
    R1 = rotation_between(mu_s, mu_r)
    up = mu_r / np.linalg.norm(mu_r)
    a_s = R1 @ main_axis_of(cov_s, mu_s)
    a_r = main_axis_of(cov_r, up)
    out = []
    for sign in (1.0, -1.0):
        t = sign * a_r
        ang = np.arctan2(up @ np.cross(a_s, t), a_s @ t)
        out.append(Rotation.from_rotvec(up * ang).as_matrix() @ R1)
    return out


def main_axis_of(cov: np.ndarray, up: np.ndarray) -> np.ndarray:
    """First principal axis of ``cov`` (3×3) in the plane perpendicular to ``up``."""
    up = up / np.linalg.norm(up)
    P = np.eye(3) - np.outer(up, up)
    w, v = np.linalg.eigh(P @ cov @ P)
    return v[:, -1]


@dataclass
class Alignment:
    """The estimated rotation ``R`` (``v_real = R · v_syn``) and how well it is determined."""

    rotation: np.ndarray
    method: str
    classes: list[str]
    cost: float
    gravity_angle_deg: float | None
    heading_observable: bool
    runner_up_cost: float | None = None
    notes: list[str] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        """Equal field by field, the rotation by its values (the dataclass's own ``==`` asked an array for
        one truth value: comparing two reads of one report raised ValueError)."""
        if not isinstance(other, Alignment):
            return NotImplemented
        mine, theirs = self.to_dict(), other.to_dict()
        return np.array_equal(self.rotation, other.rotation) and all(
            mine[k] == theirs[k] for k in mine if k not in ("rotation", "rotvec_deg", "euler_xyz_deg"))

    @property
    def angle_deg(self) -> float:
        return float(np.degrees(Rotation.from_matrix(self.rotation).magnitude()))

    def to_dict(self) -> dict[str, Any]:
        rv = Rotation.from_matrix(self.rotation)
        return {"rotation": self.rotation.tolist(), "angle_deg": self.angle_deg,
                "rotvec_deg": np.degrees(rv.as_rotvec()).tolist(),
                "euler_xyz_deg": rv.as_euler("xyz", degrees=True).tolist(), "method": self.method,
                "classes": self.classes, "cost": self.cost, "runner_up_cost": self.runner_up_cost,
                "gravity_angle_deg": self.gravity_angle_deg, "heading_observable": self.heading_observable,
                "notes": self.notes}

    def apply(self, rec: Recording) -> Recording:
        """``rec`` with every acc / gyro / mag vector rotated into the real sensor frame."""
        return rotate_recording(rec, self.rotation, note={"alignment_angle_deg": self.angle_deg})


def rotate_vectors(data: np.ndarray, channels, rotation: np.ndarray) -> np.ndarray:
    """A copy of ``data`` (n, channels) with its acc, gyro and mag groups rotated by ``rotation`` (3×3)."""
    R = np.asarray(rotation, float)
    if R.shape != (3, 3) or not np.allclose(R.T @ R, np.eye(3), atol=1e-6) or np.linalg.det(R) < 0:
        raise ValidationError("rotation must be a proper 3×3 rotation matrix")
    channels = list(channels)
    data = np.array(data, dtype=float)
    for g in ("acc", "gyro", "mag"):
        names = [f"{g}_{a}" for a in "xyz"]
        if all(n in channels for n in names):
            idx = [channels.index(n) for n in names]
            data[:, idx] = data[:, idx] @ R.T
        elif any(n in channels for n in names):
            raise ValidationError(f"cannot rotate a partial {g} group", allowed=f"all of {', '.join(names)}")
    return data


def person_turn(rec: Recording) -> np.ndarray | None:
    """How this synthetic person's device is turned from the typical wearer's, in ``rec``'s current frame.

    Wear variation turned the device by ``D`` from the spread's central wearer
    (:func:`imuforge.sensors.wear.wear_turn` ``from_centre``: the nominal preset, or the middle of a one-sided
    spread such as a shoe sensor's instep tilt); a pooled alignment then rotated everything by ``A``
    (``provenance["rotation_applied"]``), so the readings are ``A D v`` = ``T (A v)`` with ``T = A D Aᵀ``.
    ``None``: the recording was not turned.
    """
    from imuforge.sensors.wear import wear_turn

    D = wear_turn((rec.provenance or {}).get("wear"), from_centre=True)
    if D is None:
        return None
    A = np.asarray(((rec.provenance or {}).get("rotation_applied") or {}).get("matrix", np.eye(3)), float)
    return A @ D @ A.T


def typical_wear_data(rec: Recording, turn: np.ndarray | None = None) -> np.ndarray:
    """``rec.data`` with this person's wear turn undone (:func:`person_turn`, or ``turn`` when the caller has
    it): what the typical wearer would have read (a copy; unchanged when the recording was not turned)."""
    turn = person_turn(rec) if turn is None else turn
    return np.array(rec.data, dtype=float) if turn is None else rotate_vectors(rec.data, rec.channels, turn.T)


def as_typical_wearer(recs) -> list[Recording]:
    """``recs`` with each synthetic person's wear turn undone (:func:`typical_wear_data`); recordings without
    one as they are."""
    out = []
    for r in recs:
        turn = person_turn(r)
        out.append(r if turn is None else r.replace(data=typical_wear_data(r, turn)))
    return out


def rotate_recording(rec: Recording, rotation: np.ndarray, note: dict | None = None) -> Recording:
    """Rotate the acc, gyro and mag channel groups of ``rec`` by ``rotation`` (3×3).

    ``provenance["rotation_applied"]["matrix"]`` is every rotation applied so far, composed (``R`` after the
    earlier ones: data calibrated twice), so that :func:`person_turn` finds each person's turn in the current
    frame."""
    R = np.asarray(rotation, float)
    data = rotate_vectors(rec.data, rec.channels, R)
    prov = dict(rec.provenance)
    before = (prov.get("rotation_applied") or {}).get("matrix")
    total = R if before is None else R @ np.asarray(before, float)
    prov["rotation_applied"] = dict(note or {}, matrix=total.tolist())
    return rec.replace(data=data, provenance=prov)


_CUBE = Rotation.create_group("O").as_matrix()  # the 24 rotations of the cube


def estimate_alignment(synthetic, real, *, per_class: bool = True, use_gyro: bool = True,
                       mean_weight: float = 1.0, typical_wear: bool = True) -> Alignment:
    """Estimate ``R`` with ``v_real ≈ R v_syn`` from synthetic and real Recordings (see module docstring).

    ``typical_wear``: fit on the synthetic readings with each person's wear turn undone
    (:func:`typical_wear_data`), so that ``R`` takes the typical wearer onto the capture's and every person,
    rotated by it, keeps their own turn about the capture; ``False`` fits the readings as they are (one
    recording brought exactly into the capture's frame, :func:`estimate_alignment_each`).
    """
    synthetic, real = list(synthetic), list(real)
    with_gyro = use_gyro and all(r.gyro is not None for r in synthetic + real)
    syn_classes = sorted({s.label for r in synthetic for s in r.labels})
    real_labelled = any(r.labels for r in real)
    if per_class and not real_labelled and len(syn_classes) > 1:
        # pooled moments of several synthetic activities against a capture of unknown activity
        # would fit the rotation to a class mix the capture need not have
        raise ValidationError(
            f"the capture is unlabelled but the synthetic data hold {len(syn_classes)} classes "
            f"({', '.join(syn_classes)}): alignment needs to know which activity the capture shows",
            allowed="a labelled capture (imuforge capture --label …) or synthetic data of one class")
    per_class = per_class and real_labelled and bool(syn_classes)
    if typical_wear:  # as the typical wearer wears it (see the module docstring)
        synthetic = as_typical_wearer(synthetic)
    ms = collect_moments(synthetic, per_class=per_class, with_gyro=with_gyro)
    mr = collect_moments(real, per_class=per_class, with_gyro=with_gyro)
    classes = sorted(set(ms.n) & set(mr.n))
    if not classes:
        raise ValidationError("no activity present in both the synthetic and the real data",
                              allowed=f"shared labels (synthetic: {sorted(ms.n)}, real: {sorted(mr.n)})")
    notes = []
    if per_class and set(ms.n) - set(classes):
        notes.append("fitted on the classes in both the synthetic data and the capture only "
                     f"({', '.join(classes)}); not used: {', '.join(sorted(set(ms.n) - set(classes)))}")
    d = ms.dims
    iu = np.triu_indices(d)
    mus = np.array([ms.mean(c)[:3] for c in classes]) / STANDARD_GRAVITY
    mur = np.array([mr.mean(c)[:3] for c in classes]) / STANDARD_GRAVITY
    cs = np.array([_scaled_cov(ms.cov(c)) for c in classes])
    cr = np.array([_scaled_cov(mr.cov(c)) for c in classes])
    dyn, acc_var_r, w_cls = _class_weights(ms, mr, classes)

    def resid(rv):
        R = Rotation.from_rotvec(rv).as_matrix()
        B = np.kron(np.eye(d // 3), R)
        r_mu = ((mus @ R.T - mur) * w_cls[:, None]).ravel() * np.sqrt(mean_weight)
        rc = (B @ cs @ B.T - cr)[:, iu[0], iu[1]] * w_cls[:, None]
        return np.concatenate([r_mu, rc.ravel()])

    g_s, g_r = mus.mean(axis=0), mur.mean(axis=0)
    # gravity is in the data when each class's mean specific force is near 1 g; the mean over classes
    # can be short of it when the segment is held differently in each activity (a wrist standing,
    # walking and sitting), so judge the classes one by one
    grav_ok = bool(np.median(np.linalg.norm(mus, axis=1)) > 0.3 and np.median(np.linalg.norm(mur, axis=1)) > 0.3)
    if not dyn.any():
        if not grav_ok:
            _still_without_gravity(synthetic, real)
        R = rotation_between(g_s, g_r)
        notes.append("only still data: the rotation about gravity (heading) is unobservable; "
                     "the smallest rotation aligning gravity is used")
        return Alignment(R, "gravity only", classes, float(np.sum(resid(Rotation.from_matrix(R).as_rotvec()) ** 2)),
                         _gravity_angle(R, g_s, g_r) if grav_ok else None, False, None, notes)
    starts = list(_CUBE)
    if grav_ok:
        k = int(np.argmax(acc_var_r * dyn))
        starts += gravity_pca_rotation(mus[k], ms.cov(classes[k])[:3, :3], mur[k], mr.cov(classes[k])[:3, :3])
    else:
        notes.append("no gravity in the data (linear acceleration): aligned on motion covariance only")
    R, best_cost, runner = _best_rotation(resid, starts)
    if runner is not None and runner < 1.2 * best_cost + 1e-9:
        notes.append(f"ambiguous: a rotation > 10° away fits almost as well (cost {runner:.4g} vs {best_cost:.4g})")
    method = "gravity + motion covariance" if grav_ok else "motion covariance"
    return Alignment(R, method, classes, best_cost, _gravity_angle(R, g_s, g_r) if grav_ok else None, True,
                     runner, notes)


def _still_without_gravity(synthetic, real) -> None:
    """Raise the reason a still capture gave nothing to align on: gravity missing from the data, or the
    synthetic people's gravity directions cancelling in the pooled mean (each wears the device their way)."""
    def each_g(recs):
        return [float(np.linalg.norm(r.acc.mean(axis=0))) / STANDARD_GRAVITY for r in recs
                if r.acc is not None and len(r)]

    g_syn, g_real = each_g(synthetic), each_g(real)
    if g_syn and g_real and np.median(g_syn) > 0.3 and np.median(g_real) > 0.3:
        raise ValidationError(
            f"the capture is still and the {len(synthetic)} synthetic recordings each hold gravity, but their "
            "gravity directions cancel in the pooled mean (each synthetic person wears the device their own "
            "way), so one rotation cannot be fitted",
            allowed="--align-mode each (every synthetic recording aligned on its own), more synthetic people, "
                    "a capture with motion (walking), or synthetic data made with --wear-variation none")
    raise ValidationError("neither gravity nor motion to align on: the data are still and hold no gravity",
                          allowed="captures and synthetic data with gravity in the acc channels, or a capture "
                                  "with motion (walking)")


def _gravity_angle(R: np.ndarray, g_s: np.ndarray, g_r: np.ndarray) -> float:
    a = R @ g_s
    return float(np.degrees(np.arccos(np.clip(a @ g_r / np.linalg.norm(a) / np.linalg.norm(g_r), -1, 1))))


#: How ``calibrate --align`` fits the rotation: one for all synthetic data, or one per recording.
ALIGN_MODES = ("pooled", "each")


def varied_wear(recordings) -> bool:
    """True when the synthetic recordings were simulated with per-person wear variation that turns
    the device (``provenance["wear"]``: a flip, a side or a rotation on the segment)."""
    for r in recordings:
        w = (r.provenance or {}).get("wear") or {}
        sw = w.get("switches") or {}
        if any(sw.get(k) for k in ("rotation", "flips", "side")):
            return True
    return False


def check_align_mode(mode: str) -> str:
    if mode not in ALIGN_MODES:
        raise ValidationError(f"unknown alignment mode {mode!r}", allowed=", ".join(ALIGN_MODES))
    return mode


@dataclass
class EachAlignment:
    """One alignment per synthetic recording (``calibrate --align-mode each``).

    When every simulated person wears the device their own way (a phone upside down, a watch
    turned on the wrist), pooled moments average those poses out — the mean gravity of four
    equally likely phone flips is near zero — and no single rotation fits. Aligning each
    recording on its own moments against the capture's puts every synthetic person into the real
    wearer's sensor frame; a static recording fixes only gravity (its heading stays as drawn). A
    recording of a class the capture lacks gets the pooled rotation (``fallback``).
    """

    alignments: list[Alignment | None]  # None: the recording's class is not in the capture
    fallback: Alignment | None = None
    method: str = "each recording on its own"

    @property
    def angles_deg(self) -> np.ndarray:
        return np.array([a.angle_deg for a in self.alignments if a is not None])

    @property
    def classes(self) -> list[str]:
        return sorted({c for a in self.alignments if a is not None for c in a.classes})

    def apply_all(self, recs) -> list[Recording]:
        recs = list(recs)
        if len(recs) != len(self.alignments):
            raise ValidationError(f"{len(recs)} recordings for {len(self.alignments)} alignments")
        out = []
        for r, a in zip(recs, self.alignments):
            a = a if a is not None else self.fallback
            out.append(r if a is None else a.apply(r))
        return out

    def to_dict(self) -> dict[str, Any]:
        ang = self.angles_deg
        return {"mode": "each", "method": self.method, "recordings": len(self.alignments),
                "aligned_on_own_class": int(ang.size), "classes": self.classes,
                "angle_deg": ({"median": float(np.median(ang)), "min": float(ang.min()), "max": float(ang.max())}
                              if ang.size else None),
                "heading_observable": int(sum(a.heading_observable for a in self.alignments if a is not None)),
                "fallback": None if self.fallback is None else self.fallback.to_dict(),
                "per_recording": [None if a is None else a.to_dict() for a in self.alignments]}


def _class_weights(ms, mr, classes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which classes move (acc variance above sensor noise on both sides), the real acc variance per class,
    and each class's weight in the fit (its motion energy; equal weights when none moves)."""
    acc_var_r = np.array([np.trace(mr.cov(c)[:3, :3]) for c in classes])
    acc_var_s = np.array([np.trace(ms.cov(c)[:3, :3]) for c in classes])
    # classes whose covariance is just sensor noise carry no direction information
    dyn = (acc_var_r > 0.05) & (acc_var_s > 0.05)
    # per-class weight ∝ motion energy (geometric mean of the real and synthetic acc variance,
    # relative to the most dynamic class): low-energy motion (standing fidgets, postural sway, where
    # the hand happens to rest) is idiosyncratic per wearer in both its mean arm posture and its
    # covariance directions, whereas locomotion is shaped by the gait itself and agrees across
    # people. Measured on 16 wearer pairs (standing 10 s + walking 30 s; tests/calibrate/test_align.py):
    # equal weights median 8.5° / max 33° error, energy weights median 6.2° / max 13.5°.
    energy = np.sqrt(acc_var_r * acc_var_s)
    w_cls = dyn * energy / energy.max() if dyn.any() else np.ones(len(classes))
    return dyn, acc_var_r, w_cls


def _best_rotation(resid, starts) -> tuple[np.ndarray, float, float | None]:
    """The rotation of least cost over the start rotations (each a 3-parameter least-squares problem), its
    cost, and the cost of the best solution > 10° away from it (``None``: every start reached it)."""
    results = []
    for R0 in starts:
        sol = least_squares(resid, Rotation.from_matrix(R0).as_rotvec(), method="lm")
        results.append((float(np.sum(sol.fun ** 2)), sol.x))
    results.sort(key=lambda t: t[0])
    best_cost, best = results[0]
    R = Rotation.from_rotvec(best).as_matrix()
    runner = None
    for c, x in results[1:]:
        if (Rotation.from_rotvec(x) * Rotation.from_matrix(R).inv()).magnitude() > np.radians(10):
            runner = c
            break
    return R, best_cost, runner


def estimate_alignment_each(synthetic, real, *, use_gyro: bool = True) -> EachAlignment:
    """:func:`estimate_alignment` of every synthetic recording on its own against all of ``real``."""
    synthetic = list(synthetic)
    if not synthetic:
        raise ValidationError("no synthetic recordings to align")
    real_classes = {s.label for r in real for s in r.labels}
    each: list[Alignment | None] = []
    for rec in synthetic:  # one small least-squares fit per recording
        own = {s.label for s in rec.labels}
        each.append(estimate_alignment([rec], real, use_gyro=use_gyro, typical_wear=False)
                    if (own & real_classes or not real_classes) else None)
    fallback = None
    if any(a is None for a in each):
        try:
            fallback = estimate_alignment(synthetic, real, use_gyro=use_gyro)
        except ValidationError:
            fallback = None
    return EachAlignment(each, fallback)


def fit_alignment(synthetic, real, mode: str = "pooled") -> Alignment | EachAlignment:
    """The alignment ``calibrate --align`` applies: pooled (default) or per recording.

    ``pooled`` keeps the synthetic people's own ways of wearing the device around the fitted
    rotation (with wear variation on, that spread is what teaches a model to ignore how a device
    sits); ``each`` brings every synthetic recording exactly into the capture's frame. Measured
    with the sim-to-real benchmark's CrowdSignals sets (2 seeds, tiny_cnn; docs/CALIBRATION.md):
    phone pooled/each (b) 0.74/0.65, (e) 0.74/0.68; watch (b) 0.77/0.75, (e) 0.73/0.74 — so pooled
    is the default and ``each`` an option.
    """
    if check_align_mode(mode) == "each":
        return estimate_alignment_each(synthetic, real)
    return estimate_alignment(synthetic, real)


def apply_alignment(al: Alignment | EachAlignment, recs) -> list[Recording]:
    """``recs`` rotated by a pooled alignment, or each by its own."""
    if isinstance(al, EachAlignment):
        return al.apply_all(recs)
    return [al.apply(r) for r in recs]
