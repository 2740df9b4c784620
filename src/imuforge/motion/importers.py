"""Importers: HumanML3D joint positions (``.npy``) and BVH motion capture → :class:`Motion`.

Both end in joint positions on the 22-joint HumanML3D tree, from which segment orientations are
recovered by geometric IK (:func:`imuforge.motion.kinematics.inverse_kinematics`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from imuforge.errors import ValidationError
from imuforge.motion.kinematics import inverse_kinematics
from imuforge.motion.motion import Motion
from imuforge.motion.skeleton import HUMANML3D_22

HUMANML3D_FPS = 20.0


def _load_npy(path: Path) -> np.ndarray:
    """A ``.npy`` array (no pickles), or one clear error naming the file."""
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    with open(path, "rb") as fh:
        if fh.read(6) != b"\x93NUMPY":  # numpy calls any other file 'pickled data'
            raise ValidationError("not a NumPy .npy file (its first bytes are not .npy's)", source=str(path),
                                  allowed="a .npy of joint positions (T, 22, 3) in metres, as HumanML3D / "
                                          "T2M-GPT write them")
        _check_npy_size(fh, path)
    try:
        return np.load(path, allow_pickle=False)
    except MemoryError:  # a header (of a version not checked above) asking for more than this machine has
        raise ValidationError("the .npy header asks for more memory than this machine has: cut short or "
                              "not written whole", source=str(path),
                              allowed="a whole .npy of joint positions (T, 22, 3) in metres") from None
    except (ValueError, OSError) as exc:
        # numpy's own advice ("load it unsafely using allow_pickle=") is not an option a user has here
        why = "it holds Python objects (a pickle), not numbers" if "pickle" in str(exc) else str(exc)
        raise ValidationError(f"not a NumPy .npy array of numbers: {why}", source=str(path),
                              allowed="a .npy of joint positions (T, 22, 3) in metres, as HumanML3D / "
                                      "T2M-GPT write them") from None


def _check_npy_size(fh, path: Path) -> None:
    """Refuse a ``.npy`` whose header promises more bytes than the file holds (cut short, or a header that
    asks numpy for terabytes) before numpy allocates them."""
    fh.seek(0)
    fmt = np.lib.format
    try:
        read = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(fmt.read_magic(fh))
        if read is None:
            return  # a later version: np.load reads (or names what is wrong with) it
        shape, _, dtype = read(fh)
    except (ValueError, OSError, SyntaxError):
        return  # np.load names what is wrong with the header
    if dtype.hasobject:
        return  # a pickle's size says nothing; np.load refuses it
    need = int(np.prod(shape, dtype=object)) * dtype.itemsize
    have = path.stat().st_size - fh.tell()
    if need > have:
        raise ValidationError(f"the .npy header says shape {tuple(shape)} ({need} bytes of data) but the "
                              f"file holds {have}: cut short or not written whole", source=str(path),
                              allowed="a whole .npy of joint positions (T, 22, 3) in metres")


def load_humanml3d(path: str | os.PathLike, fps: float = HUMANML3D_FPS, *, label: str | None = None,
                   up: str = "y") -> Motion:
    """Read HumanML3D / T2M-GPT / MoMask / MDM joint positions, ``.npy`` of shape (T, 22, 3), metres, y up
    (``up="z"``: a Z-up array, turned).

    ``fps`` defaults to HumanML3D's 20 Hz. A (T, 263) array is HumanML3D's feature representation,
    not positions, and is refused with a hint; so is a body whose legs make it taller than
    :data:`STATURE_M` allows (an array in centimetres). ``label`` (e.g. ``"walking"``) labels the whole
    motion.
    """
    path = Path(path)
    arr = _load_npy(path)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 2 and arr.shape[1] == 263:
        raise ValidationError("this is a (T, 263) HumanML3D feature array, not joint positions",
                              source=str(path), allowed="(T, 22, 3) positions, e.g. from recover_from_ric(); "
                              "features with load_humanml3d_features()")
    if arr.ndim != 3 or arr.shape[1:] != (22, 3):
        raise ValidationError(f"joint positions must have shape (T, 22, 3), got {arr.shape}", source=str(path),
                              allowed="(T, 22, 3) in the HumanML3D joint order")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValidationError(f"array dtype {arr.dtype} is not real numbers", source=str(path),
                              allowed="float or integer joint positions in metres")
    arr = arr.astype(float)
    _check_frames(arr.shape[0], str(path))
    if up not in ("y", "z"):
        raise ValidationError(f"up must be 'y' or 'z', got {up!r}", source=str(path))
    if up == "z":
        arr = z_up_to_y_up(arr)
    _check_stature(arr, str(path), allowed=f"joint positions in metres (a body {STATURE_M[0]:g}–"
                                           f"{STATURE_M[1]:g} m tall), as HumanML3D / T2M-GPT write them")
    ori = inverse_kinematics(arr, source=str(path))
    labels = [(0.0, (arr.shape[0] - 1) / fps, label)] if label else ()
    return Motion(arr, ori, fps, labels=labels, meta={"source": str(path), "format": "humanml3d-npy",
                                                      "up": up})


def _check_frames(n: int, source: str) -> None:
    """Refuse a motion of fewer frames than one can be simulated from
    (:data:`~imuforge.motion.motion.MIN_FRAMES`: it was imported, and ``simulate`` then failed naming neither
    the file nor what it needs)."""
    from imuforge.motion.motion import MIN_FRAMES, MIN_FRAMES_ALLOWED

    if n < MIN_FRAMES:
        raise ValidationError(f"holds {n} frame(s): too short to simulate", source=source,
                              allowed=MIN_FRAMES_ALLOWED)


#: the statures (m) an imported body may have: a small child to the tallest adults
STATURE_M = (0.8, 2.5)


def _check_stature(P: np.ndarray, source: str, *, allowed: str, units: str | None = None) -> None:
    """Refuse joint positions (m) whose legs make a body outside :data:`STATURE_M`, naming the unit that
    would make it one (``units``: the unit the file was read in, where the user gave it)."""
    from imuforge.motion.plausibility import stature

    tall = stature(P)
    if not np.isfinite(tall) or STATURE_M[0] <= tall <= STATURE_M[1]:
        return
    read = {None: "m", **{u: u for u in BVH_UNITS}}[units]
    raw = tall / BVH_UNITS.get(read, 1.0)  # the legs' length in the file's own numbers
    fits = [u for u, k in BVH_UNITS.items() if u != read and STATURE_M[0] <= raw * k <= STATURE_M[1]]
    given = f" read in {units}" if units else ""
    raise ValidationError(f"the body's legs make it {tall:.3g} m tall{given}"
                          + ((f": positions in {fits[0]}?" if units is None else
                              f": the file in {fits[0]} (--units {fits[0]})?") if fits else ""),
                          source=source, allowed=allowed)


def load_humanml3d_features(path: str | os.PathLike, *, fps: float | None = None, label: str | None = None,
                            mean=None, std=None) -> Motion:
    """Read HumanML3D's 263-dimensional features (``new_joint_vecs/*.npy``, (T, 263), 20 fps) as a Motion.

    The files of the dataset are not normalised; pass the dataset's ``mean`` / ``std`` (arrays or
    ``.npy`` paths) for features that are (a model's raw output). ``fps`` resamples the joints
    (default: HumanML3D's 20 fps). See :mod:`imuforge.motion.t2m.features` for the format.
    """
    from imuforge.motion.t2m.features import motion_from_features

    path = Path(path)
    arr = _load_npy(path)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if (mean is None) != (std is None):
        raise ValidationError("give both mean and std, or neither", source=str(path))
    if mean is not None:
        m, s = (np.load(x) if isinstance(x, (str, os.PathLike)) else np.asarray(x, float) for x in (mean, std))
        if m.shape != (263,) or s.shape != (263,):
            raise ValidationError(f"mean / std must have shape (263,), got {m.shape} / {s.shape}", source=str(path))
        arr = arr * s + m
    return motion_from_features(arr, fps=fps, label=label, source=str(path),
                                meta={"source": str(path), "format": "humanml3d-263"})


# --------------------------------------------------------------------------- BVH
class _BvhJoint:
    __slots__ = ("name", "parent", "offset", "channels", "end")

    def __init__(self, name, parent, end=False):
        self.name, self.parent, self.end = name, parent, end
        self.offset = np.zeros(3)
        self.channels: list[str] = []


_CHANNELS = {"xposition", "yposition", "zposition", "xrotation", "yrotation", "zrotation"}


class _BvhTokens:
    """The HIERARCHY part of a BVH file as whitespace-separated tokens with their line numbers."""

    def __init__(self, text: str, source: str, first_line: int = 1):
        self.tokens = [(tok, n) for n, line in enumerate(text.splitlines(), first_line)
                       for tok in line.split()]
        self.pos, self.source = 0, source

    def take(self, expect: str | None = None) -> tuple[str, int]:
        if self.pos >= len(self.tokens):
            raise ValidationError(f"unexpected end of file{'; expected ' + repr(expect) if expect else ''}",
                                  source=self.source)
        tok, ln = self.tokens[self.pos]
        self.pos += 1
        if expect is not None and tok.upper() != expect.upper():
            raise ValidationError(f"line {ln}: expected {expect!r}, got {tok!r}", source=self.source)
        return tok, ln

    def number(self) -> float:
        tok, ln = self.take()
        try:
            return float(tok)
        except ValueError:
            raise ValidationError(f"line {ln}: expected a number, got {tok!r}", source=self.source) from None

    def count(self, what: str, most: int) -> int:
        """A whole number of ``what`` from 0 to ``most`` ("Frames: 91.7", "CHANNELS nan" are refused)."""
        tok, ln = self.take()
        if not re.fullmatch(r"[0-9]+", tok) or int(tok) > most:
            raise ValidationError(f"line {ln}: {what} must be a whole number from 0 to {most}, got {tok!r}",
                                  source=self.source)
        return int(tok)


def _parse_bvh(text: str, source: str):
    """The joints of a BVH file's HIERARCHY, its MOTION values (frames, channels) and the frame time (s)."""
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.split()[:1] and line.split()[0].upper() == "MOTION"),
              len(lines))
    tokens = _BvhTokens("\n".join(lines[:at]), source)
    tokens.take("HIERARCHY")
    tok, ln = tokens.take()
    if tok.upper() != "ROOT":
        raise ValidationError(f"line {ln}: expected 'ROOT', got {tok!r}", source=source)
    joints: list[_BvhJoint] = []
    _parse_bvh_joint(tokens, joints, -1, "ROOT", 0)
    if tokens.pos < len(tokens.tokens):
        tok, ln = tokens.tokens[tokens.pos]
        raise ValidationError(f"line {ln}: expected 'MOTION', got {tok!r}", source=source)
    n_ch = sum(len(j.channels) for j in joints)
    if not n_ch:
        raise ValidationError("the HIERARCHY declares no CHANNELS: nothing moves", source=source,
                              allowed="joints with rotation (and the root's position) channels")
    data, frame_time = _parse_bvh_motion(lines, at, n_ch, source)
    return joints, data, frame_time


#: the most joints a BVH file may declare, and the deepest nesting (parsed recursively; a body with a face
#: and fingers has a few hundred joints, a chain a few dozen deep)
BVH_MAX_JOINTS, BVH_MAX_DEPTH = 5000, 200
#: the fastest frame rate a BVH file's Frame Time may give (optical motion capture runs at ≤ 1000 Hz)
BVH_MAX_HZ = 2000.0


def _parse_bvh_joint(tokens: _BvhTokens, joints: list[_BvhJoint], parent: int, kind: str, depth: int) -> None:
    """One ROOT / JOINT / End Site block (its name already next), its children appended after it."""
    name, _ = tokens.take()
    end = kind == "END"
    j = _BvhJoint(f"{joints[parent].name}_end" if end else name, parent, end=end)
    idx = len(joints)
    joints.append(j)
    tokens.take("{")
    while True:
        tok, ln = tokens.take()
        up = tok.upper()
        if up == "OFFSET":
            j.offset = np.array([tokens.number(), tokens.number(), tokens.number()])
            if not np.all(np.isfinite(j.offset)):
                raise ValidationError(f"line {ln}: joint {j.name!r} has an OFFSET that is not finite",
                                      source=tokens.source, allowed="three finite numbers")
        elif up == "CHANNELS":
            for _ in range(tokens.count("CHANNELS", 6)):
                c, cl = tokens.take()
                if c.lower() not in _CHANNELS:
                    raise ValidationError(f"line {cl}: unknown channel {c!r}", source=tokens.source,
                                          allowed=" ".join(f"{a}{k}" for k in ("position", "rotation")
                                                           for a in "XYZ"))
                if c.lower() in j.channels:
                    raise ValidationError(f"line {cl}: channel {c!r} twice in joint {j.name!r}",
                                          source=tokens.source, allowed="each of X/Y/Z position and rotation "
                                                                        "at most once per joint")
                j.channels.append(c.lower())
        elif up in ("JOINT", "END"):
            if len(joints) >= BVH_MAX_JOINTS or depth >= BVH_MAX_DEPTH:
                what = f"more than {BVH_MAX_JOINTS} joints" if len(joints) >= BVH_MAX_JOINTS else \
                    f"joints nested more than {BVH_MAX_DEPTH} deep"
                raise ValidationError(f"line {ln}: {what}", source=tokens.source,
                                      allowed="a body's skeleton (CMU 31 joints, Mixamo 65)")
            _parse_bvh_joint(tokens, joints, idx, up, depth + 1)
        elif up == "}":
            return
        else:
            raise ValidationError(f"line {ln}: unexpected token {tok!r} in joint {j.name!r}",
                                  source=tokens.source)


def _parse_bvh_motion(lines: list[str], at: int, n_ch: int, source: str) -> tuple[np.ndarray, float]:
    """The MOTION block starting at line index ``at``: (frames, ``n_ch``) values and the frame time (s); the
    values are converted in one pass (a line number is looked for only when one is not a number)."""
    first = at  # the header's six tokens (MOTION Frames: N Frame Time: T) may span any lines
    while first < len(lines) and sum(len(line.split()) for line in lines[at:first]) < 6:
        first += 1
    head = _BvhTokens("\n".join(lines[at:first]), source, first_line=at + 1)
    head.take("MOTION")
    head.take("Frames:")
    n_frames = head.count("Frames", 10**8)
    head.take("Frame")
    head.take("Time:")
    frame_time = head.number()
    if not (1.0 / BVH_MAX_HZ <= frame_time <= 1.0):  # NaN fails too
        raise ValidationError(f"Frame Time must be from {1 / BVH_MAX_HZ:g} to 1 s (1 … {BVH_MAX_HZ:g} "
                              f"frames/s), got {frame_time}", source=source,
                              allowed="the seconds per frame, e.g. 0.0083333 (120 Hz)")
    extra = [t for t, _ in head.tokens[head.pos:]]  # values on the header's last line
    values = extra + " ".join(lines[first:]).split()
    if len(values) != n_frames * n_ch:
        raise ValidationError(f"MOTION holds {len(values)} values but Frames: {n_frames} × {n_ch} channels "
                              f"= {n_frames * n_ch} expected", source=source,
                              allowed="a whole file: one line of all channels per frame, Frames: lines "
                                      "of them")
    try:
        data = np.array(values, dtype=float).reshape(n_frames, n_ch)
    except ValueError:
        numbered = [(first, t) for t in extra] + [(n, t) for n, line in enumerate(lines[first:], first + 1)
                                                  for t in line.split()]
        ln, bad = next((n, t) for n, t in numbered if not _is_float(t))
        raise ValidationError(f"line {ln}: expected a number, got {bad!r}", source=source) from None
    if not np.all(np.isfinite(data)):
        i = np.argwhere(~np.isfinite(data))[0]
        raise ValidationError(f"frame {i[0]} channel {i[1]} is not finite", source=source,
                              allowed="finite numbers (degrees and the file's length unit)")
    return data, frame_time


def _is_float(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def _bvh_positions(joints, data) -> np.ndarray:
    T = data.shape[0]
    pos = np.zeros((T, len(joints), 3))
    rots: list[Rotation] = []
    col = 0
    for i, j in enumerate(joints):
        trans = np.broadcast_to(j.offset, (T, 3)).copy()
        rot_axes = ""
        rot_cols = []
        for c in j.channels:
            if c.endswith("position"):
                trans[:, "xyz".index(c[0])] = data[:, col]
            else:
                rot_axes += c[0].upper()
                rot_cols.append(col)
            col += 1
        local = Rotation.from_euler(rot_axes, data[:, rot_cols], degrees=True) if rot_axes else \
            Rotation.identity(T)
        if j.parent < 0:
            pos[:, i] = trans
            rots.append(local)
        else:
            pr = rots[j.parent]
            pos[:, i] = pos[:, j.parent] + pr.apply(trans)
            rots.append(pr * local)
    return pos


def _norm(name: str) -> str:
    name = re.sub(r"^.*[:|]", "", name)  # mixamorig:Hips, namespace|Joint
    name = name.replace("mixamorig", "")
    return re.sub(r"[^a-z0-9]", "", name.lower())


# candidate names (normalised) for each target joint, most specific first
_NAMES: dict[str, tuple[str, ...]] = {
    "pelvis": ("hips", "pelvis", "hip", "root"),
    "left_hip": ("leftupleg", "lupleg", "leftthigh", "lthigh", "lefthip", "lhip"),
    "right_hip": ("rightupleg", "rupleg", "rightthigh", "rthigh", "righthip", "rhip"),
    "left_knee": ("leftleg", "lleg", "leftknee", "lknee", "leftshin", "lshin", "leftcalf"),
    "right_knee": ("rightleg", "rleg", "rightknee", "rknee", "rightshin", "rshin", "rightcalf"),
    "left_ankle": ("leftfoot", "lfoot", "leftankle", "lankle"),
    "right_ankle": ("rightfoot", "rfoot", "rightankle", "rankle"),
    "left_foot": ("lefttoebase", "lefttoe", "lefttoes", "ltoes", "ltoe", "leftfootend", "lfootend"),
    "right_foot": ("righttoebase", "righttoe", "righttoes", "rtoes", "rtoe", "rightfootend", "rfootend"),
    "neck": ("neck", "neck1", "neckbase"),
    "head": ("head",),
    "left_collar": ("leftshoulder", "lshoulder", "leftcollar", "lcollar", "leftclavicle", "lclavicle"),
    "right_collar": ("rightshoulder", "rshoulder", "rightcollar", "rcollar", "rightclavicle", "rclavicle"),
    "left_shoulder": ("leftarm", "larm", "leftupperarm", "lupperarm", "lefthumerus", "lhumerus"),
    "right_shoulder": ("rightarm", "rarm", "rightupperarm", "rupperarm", "righthumerus", "rhumerus"),
    "left_elbow": ("leftforearm", "lforearm", "leftlowerarm", "llowerarm", "leftelbow", "lelbow"),
    "right_elbow": ("rightforearm", "rforearm", "rightlowerarm", "rlowerarm", "rightelbow", "relbow"),
    "left_wrist": ("lefthand", "lhand", "leftwrist", "lwrist"),
    "right_wrist": ("righthand", "rhand", "rightwrist", "rwrist"),
}

#: names that mean another joint where the file also names this one: SMPL's skeleton (and its BVH exports)
#: has a collar beside its shoulder and an ankle above its foot (the toe), where Mixamo's "LeftShoulder" is
#: the clavicle and its "LeftFoot" the ankle: (present, name, its joint then)
_SHIFTED = tuple((f"{s}{present}", f"{s}{name}", f"{side}_{joint}")
                 for side, sides in (("left", ("left", "l")), ("right", ("right", "r"))) for s in sides
                 for present, name, joint in (("collar", "shoulder", "shoulder"), ("ankle", "foot", "foot")))


def _names_for(names: set[str]) -> dict[str, tuple[str, ...]]:
    """:data:`_NAMES` for a file whose (normalised) joint names are ``names``: where it names a collar or an
    ankle, its "shoulder" and "foot" are the next joints down (:data:`_SHIFTED`; an SMPL-named file was
    refused for want of shoulders, and one naming only its legs so took the toe for the ankle)."""
    out = dict(_NAMES)
    for present, name, joint in _SHIFTED:
        if present in names and name in names:
            out = {t: tuple(c for c in cands if c != name) for t, cands in out.items()}
            out[joint] = (name, *out[joint])
    return out


#: Length units the importer recognises, in m per BVH unit ("cmu": the 0.056444 m/unit of the
#: cgspeed conversion of the CMU database).
BVH_UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.056444}


def load_bvh(path: str | os.PathLike, *, units: str = "auto", up: str = "y", label: str | None = None,
             fps: float | None = None) -> Motion:
    """Read a BVH file (CMU, Mixamo or similar naming, any joint order) onto the 22-joint skeleton.

    Parameters
    ----------
    units : ``"auto"`` or one of :data:`BVH_UNITS`. ``auto`` picks the unit that makes the stature the
        legs give (:func:`~imuforge.motion.plausibility.stature`) closest to 1.7 m.
    up : ``"y"`` (BVH default, Mixamo, CMU) or ``"z"`` (some Blender / 3ds Max exports).
    fps : override the frame rate (default 1 / Frame Time).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")  # (-sig: a byte-order mark, as Windows
                                                                        # tools write it, is not the text)
    except UnicodeDecodeError:
        raise ValidationError("not a text BVH file (not UTF-8)", source=src) from None
    joints, data, frame_time = _parse_bvh(text, src)
    _check_frames(data.shape[0], src)
    if up not in ("y", "z"):
        raise ValidationError(f"up must be 'y' or 'z', got {up!r}", source=src)
    pos = _bvh_positions(joints, data)
    index = {}
    for i, j in enumerate(joints):
        index.setdefault(_norm(j.name), i)
    chosen: dict[str, int] = {}
    for target, cands in _names_for(set(index)).items():
        for c in cands:
            if c in index:
                chosen[target] = index[c]
                break
    # spine chain: joints strictly between the pelvis and the neck, pick three evenly
    missing = [t for t in ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
                           "neck", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                           "left_wrist", "right_wrist") if t not in chosen]
    if missing:
        raise ValidationError(f"cannot map BVH joints onto {', '.join(missing)}", source=src,
                              allowed="CMU or Mixamo joint names; found " + ", ".join(j.name for j in joints if not j.end))
    chain = []
    k = joints[chosen["neck"]].parent
    while k >= 0 and k != chosen["pelvis"]:
        chain.append(k)
        k = joints[k].parent
    if k != chosen["pelvis"]:
        raise ValidationError("the neck joint does not descend from the hips joint", source=src)
    chain = chain[::-1]
    P = np.zeros((data.shape[0], 22, 3))
    J = HUMANML3D_22.index
    for t, i in chosen.items():
        P[:, J(t)] = pos[:, i]
    pel, neck = pos[:, chosen["pelvis"]], pos[:, chosen["neck"]]
    if len(chain) >= 3:
        picks = [chain[0], chain[len(chain) // 2], chain[-1]]
        for t, i in zip(("spine1", "spine2", "spine3"), picks):
            P[:, J(t)] = pos[:, i]
    else:  # interpolate along the pelvis → neck line
        pts = [pos[:, i] for i in chain]
        for t, f in zip(("spine1", "spine2", "spine3"), (0.22, 0.49, 0.6)):
            P[:, J(t)] = pel + f * (neck - pel)
        for t, p in zip(("spine1", "spine2", "spine3"), pts):
            P[:, J(t)] = p
    for side in ("left", "right"):
        if f"{side}_collar" not in chosen:
            P[:, J(f"{side}_collar")] = P[:, J("spine3")] + 0.35 * (P[:, J(f"{side}_shoulder")] - P[:, J("spine3")])
        if f"{side}_foot" not in chosen:
            raise ValidationError(f"no toe joint or foot End Site for the {side} foot", source=src,
                                  allowed="LeftToeBase/RightToeBase (Mixamo, CMU) or an End Site under the foot")
    if up == "z":
        P = z_up_to_y_up(P)
    scale, also = _units(P, units, src)
    P = P * scale
    P[..., 1] -= np.percentile(P[:, [J("left_foot"), J("right_foot")], 1].min(axis=1), 5) - 0.0
    rate = fps or 1.0 / frame_time
    ori = inverse_kinematics(P, source=src)
    labels = [(0.0, (P.shape[0] - 1) / rate, label)] if label else ()
    return Motion(P, ori, rate, labels=labels, meta={"source": src, "format": "bvh", "m_per_unit": scale,
                                                    "units": units if units != "auto" else
                                                    f"{_unit_name(scale)} (from the legs' length)", "up": up,
                                                    "units_also_fit": also,
                                                    "joint_map": {t: joints[i].name for t, i in chosen.items()}})


def _unit_name(scale: float) -> str:
    return next(u for u, v in BVH_UNITS.items() if v == scale)


def _units(P: np.ndarray, units: str, src: str) -> tuple[float, dict[str, float]]:
    """Metres per unit of a BVH, and the other units that would make its body a stature of
    :data:`STATURE_M` too (unit → stature, m: cm and inch both read a 0.9 m child or a 2.3 m adult). ``auto``
    takes, of the units whose stature lies in :data:`STATURE_M`, the one nearest 1.7 m; a body that is no
    stature in any unit, or in the unit given, is refused (:func:`_check_stature`)."""
    from imuforge.motion.plausibility import stature

    if units != "auto" and units not in BVH_UNITS:
        raise ValidationError(f"unknown units {units!r}", source=src, allowed="auto, " + ", ".join(BVH_UNITS))
    height = stature(P)
    if units == "auto" and not height > 0:
        raise ValidationError("cannot infer units: the hips, knees and ankles coincide", source=src,
                              allowed=f"a skeleton with legs, or units given: {', '.join(BVH_UNITS)}")
    fit = {u: height * k for u, k in BVH_UNITS.items() if STATURE_M[0] <= height * k <= STATURE_M[1]}
    if units == "auto":
        if not fit:
            raise ValidationError(f"the body's legs are {height:.3g} units long: no unit imuforge reads ("
                                  f"{', '.join(BVH_UNITS)}) makes it {STATURE_M[0]:g}–{STATURE_M[1]:g} m "
                                  "tall",
                                  source=src, allowed=f"a body {STATURE_M[0]:g}–{STATURE_M[1]:g} m tall")
        units = min(fit, key=lambda u: abs(np.log(fit[u] / 1.7)))
    else:
        _check_stature(P * BVH_UNITS[units], src, units=units,
                       allowed=f"a body {STATURE_M[0]:g}–{STATURE_M[1]:g} m tall: --units auto (from the "
                               f"legs' length) or the file's unit: {', '.join(BVH_UNITS)}")
    return BVH_UNITS[units], {u: round(float(v), 3) for u, v in fit.items() if u != units}


def trunk_along_z(P: np.ndarray) -> float:
    """The share of frames whose trunk (pelvis → neck) points along ±z more than along y: near 1 for a
    body standing or walking in a Z-up file read as Y-up (HumanML3D and BVH are Y-up), near 0 for one
    read right — and for a body lying along z all through, which only the user can tell apart."""
    J = HUMANML3D_22.index
    trunk = P[:, J("neck")] - P[:, J("pelvis")]
    return float(np.mean(np.abs(trunk[:, 2]) > np.abs(trunk[:, 1])))


#: the share of frames (:func:`trunk_along_z`) from which an import is noted as possibly Z-up
Z_UP_SHARE = 0.8


def z_up_to_y_up(P: np.ndarray) -> np.ndarray:
    """Joint positions of a Z-up file (x right, y forward, z up) in the Y-up frame the library uses."""
    return P[..., [0, 2, 1]] * np.array([1.0, 1.0, -1.0])


def load_motion_file(path: str | os.PathLike, *, label: str | None = None, fps: float | None = None,
                     allow_implausible: bool = False, up: str = "y", units: str = "auto") -> Motion:
    """Any motion file imuforge reads, chosen by its name: ``.motion.npz`` (imuforge), ``.npy``
    (HumanML3D joint positions, (T, 22, 3)) or ``.bvh``. ``label`` labels an imported motion (a
    ``.motion.npz`` of several labels is refused: they would be lost). ``up``: the vertical axis of a
    ``.npy`` or ``.bvh`` (a ``.motion.npz`` is the library's, y); ``units``: a ``.bvh``'s (:func:`load_bvh`).

    An imported motion (``.npy``, ``.bvh``) is judged by
    :func:`~imuforge.motion.plausibility.check_plausibility` (report in ``meta["plausibility"]``) and
    refused, naming every exceeded bound, unless ``allow_implausible``. A ``.motion.npz`` was judged
    where it was made (an import, a text-to-motion sample) or comes from the procedural library, whose
    activities the tests hold to the same bounds."""
    from imuforge.motion.motion import read_motion

    path = Path(path)
    name = path.name.lower()
    if not path.exists():
        raise FileNotFoundError(f"no such motion file: {path}")
    if path.is_dir():
        raise ValidationError(f"{path} is a folder; a motion is one file",
                              allowed=".motion.npz (imuforge), .npy (HumanML3D positions), .bvh")
    if name.endswith(".npz"):
        m = read_motion(path)
        if label is not None:
            from imuforge.recording import LabelSegment

            held = list(dict.fromkeys(seg.label for seg in m.labels))
            if len(held) > 1:
                raise ValidationError(f"--label {label} would replace the file's {len(m.labels)} labelled "
                                      f"segments ({', '.join(held)})", source=str(path),
                                      allowed="the file without --label (its labels kept), or --label on a "
                                              "motion of one activity")
            m.labels = (LabelSegment(0.0, m.duration_s, label),)
        if "plausibility" not in m.meta:  # not judged where it was made: its forces at least (a file in cm)
            return _judged(m, path, allow_implausible, forces_only=True)
        from imuforge.motion.plausibility import check_forces

        forces = check_forces(m)  # judged where it was made: its forces again (positions scaled since, mm)
        judged = m.meta["plausibility"]
        # refused only where the file says it was judged plausible (one kept flagged says so itself)
        if forces.reasons and not allow_implausible and judged.get("accepted", True) and not judged.get(
                "allowed_anyway"):
            raise ValidationError(f"not a motion a body can perform: {'; '.join(forces.reasons)} (the file "
                                  "records it as judged plausible where it was made: changed since?)",
                                  source=str(path),
                                  allowed="motion within imuforge.motion.plausibility's bounds "
                                          "(docs/MOTION.md); --allow-implausible keeps it")
        return m
    if name.endswith(".npy"):
        m = load_humanml3d(path, HUMANML3D_FPS if fps is None else fps, label=label, up=up)
        return _judged(m, path, allow_implausible, hint=_z_up_hint(m, up))
    if name.endswith(".bvh"):
        m = load_bvh(path, label=label, up=up, units=units)
        return _judged(m, path, allow_implausible, hint=_z_up_hint(m, up))
    from imuforge._shipped import shipped

    raise ValidationError(f"unknown motion file type {path.suffix!r}", source=str(path),
                          allowed=".motion.npz (imuforge), .npy (HumanML3D positions), .bvh; key frames: "
                                  f".toml (imuforge motion --from, {shipped('examples', 'activities')})")


def _z_up_hint(motion: Motion, up: str) -> str | None:
    """What a refusal adds where the file may be Z-up read as Y-up (:func:`trunk_along_z`): a standing body
    on its side reads as sunk into the floor, and "--allow-implausible keeps it" was the only advice."""
    share = trunk_along_z(motion.positions)
    return (f"its trunk lies along z in {share:.0%} of the frames: a Z-up file? --up z reads it so"
            if up == "y" and share >= Z_UP_SHARE else None)


def _judged(motion: Motion, path: Path, allow_implausible: bool, *, forces_only: bool = False,
            hint: str | None = None) -> Motion:
    """``motion`` with its plausibility report in its meta; refused if implausible and not allowed (``hint``:
    what the refusal adds). ``forces_only``: the peak specific forces alone
    (:func:`~imuforge.motion.plausibility.check_forces`)."""
    from imuforge.motion.plausibility import check_forces, check_plausibility

    rep = check_forces(motion) if forces_only else check_plausibility(motion)
    motion.meta["plausibility"] = rep.to_json() | {"allowed_anyway": bool(allow_implausible and rep.reasons)}
    if rep.reasons and not allow_implausible:
        said = f" ({hint})" if hint else ""
        raise ValidationError(f"not a motion a body can perform: {'; '.join(rep.reasons)}{said}",
                              source=str(path),
                              allowed="motion within imuforge.motion.plausibility's bounds (docs/MOTION.md); "
                                      "--allow-implausible keeps it")
    return motion
