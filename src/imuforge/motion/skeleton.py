"""Skeleton topologies. The default is the 22-joint HumanML3D / SMPL body.

World frame: y up, right-handed; in the rest pose the body faces +z, so +x is the body's left.
Each joint also names the *segment* it drives (the body part that starts at the joint), and a
segment's orientation is the rotation from its own frame to the world frame. In the rest pose
(T-pose, palms down) every segment frame equals the world frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imuforge.errors import ValidationError


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: joint names and each joint's parent index (-1 for the root)."""

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]

    def __post_init__(self):
        if len(self.joints) != len(self.parents):
            raise ValidationError(f"skeleton {self.name!r}: {len(self.joints)} joints but {len(self.parents)} parents")
        if len(set(self.joints)) != len(self.joints):
            raise ValidationError(f"skeleton {self.name!r}: duplicate joint names")
        for i, p in enumerate(self.parents):
            if not (p == -1 and i == 0) and not (0 <= p < i):
                raise ValidationError(
                    f"skeleton {self.name!r}: joint {self.joints[i]!r} has parent index {p}",
                    allowed="-1 for joint 0, otherwise an index of an earlier joint",
                )

    @property
    def n_joints(self) -> int:
        return len(self.joints)

    def index(self, joint: str) -> int:
        """Index of a joint by name, with a helpful error."""
        try:
            return self.joints.index(joint)
        except ValueError:
            raise ValidationError(f"skeleton {self.name!r} has no joint {joint!r}",
                                  allowed=", ".join(self.joints)) from None

    def children(self, joint: int) -> list[int]:
        return [i for i, p in enumerate(self.parents) if p == joint]

    def to_dict(self) -> dict:
        return {"name": self.name, "joints": list(self.joints), "parents": list(self.parents)}

    @classmethod
    def from_dict(cls, d: dict) -> Skeleton:
        return cls(str(d["name"]), tuple(d["joints"]), tuple(int(p) for p in d["parents"]))


#: The 22-joint kinematic tree of HumanML3D (the SMPL body without hand joints), in its order.
HUMANML3D_22 = Skeleton(
    name="humanml3d-22",
    joints=(
        "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
        "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
        "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    ),
    parents=(-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19),
)

#: Human-friendly segment names → the joint whose frame the segment uses.
SEGMENT_JOINT: dict[str, str] = {
    "pelvis": "pelvis",
    "left_thigh": "left_hip",
    "right_thigh": "right_hip",
    "left_shank": "left_knee",
    "right_shank": "right_knee",
    "left_foot": "left_ankle",
    "right_foot": "right_ankle",
    "lower_trunk": "spine1",
    "mid_trunk": "spine2",
    "chest": "spine3",
    "head": "head",
    "left_upper_arm": "left_shoulder",
    "right_upper_arm": "right_shoulder",
    "left_forearm": "left_elbow",
    "right_forearm": "right_elbow",
    "left_hand": "left_wrist",
    "right_hand": "right_wrist",
}



# --------------------------------------------------------------------------- anthropometry
#: Rest-pose (T-pose, palms down) offset of each HUMANML3D_22 joint from its parent, as a fraction
#: of body height H, left side at +x. Segment lengths follow the Drillis & Contini ratios tabulated
#: in Winter, *Biomechanics and Motor Control of Human Movement* (4th ed., 2009, Fig. 4.1):
#: thigh 0.245 H, shank 0.246 H, ankle height 0.039 H, foot length 0.152 H, upper arm 0.186 H,
#: forearm 0.146 H, shoulder height 0.818 H, chin 0.870 H; hip-joint centres ±0.05 H lateral and
#: 0.04 H below the SMPL pelvis joint (about the SMPL template's proportions). The spine split
#: (0.060 / 0.075 / 0.030 / 0.110 H) puts the neck joint at 0.845 H, the head joint at 0.910 H.
_REST_FRACTIONS: dict[str, tuple[float, float, float]] = {
    "pelvis": (0.0, 0.0, 0.0),
    "left_hip": (0.050, -0.040, 0.0),
    "right_hip": (-0.050, -0.040, 0.0),
    "spine1": (0.0, 0.060, 0.0),
    "left_knee": (0.0, -0.245, 0.0),
    "right_knee": (0.0, -0.245, 0.0),
    "spine2": (0.0, 0.075, 0.0),
    "left_ankle": (0.0, -0.246, 0.0),
    "right_ankle": (0.0, -0.246, 0.0),
    "spine3": (0.0, 0.030, 0.0),
    "left_foot": (0.0, -0.033, 0.075),
    "right_foot": (0.0, -0.033, 0.075),
    "neck": (0.0, 0.110, 0.0),
    "left_collar": (0.030, 0.065, 0.0),
    "right_collar": (-0.030, 0.065, 0.0),
    "head": (0.0, 0.065, 0.0),
    "left_shoulder": (0.070, 0.018, 0.0),
    "right_shoulder": (-0.070, 0.018, 0.0),
    "left_elbow": (0.186, 0.0, 0.0),
    "right_elbow": (-0.186, 0.0, 0.0),
    "left_wrist": (0.146, 0.0, 0.0),
    "right_wrist": (-0.146, 0.0, 0.0),
}

#: The foot joint (under the ball of the foot) from the ankle, fraction of H (either side).
FOOT_JOINT: tuple[float, float, float] = _REST_FRACTIONS["left_foot"]

#: Which proportion factor scales each joint's offset (see :func:`rest_offsets`).
_PROPORTION_GROUP: dict[str, str] = {
    "left_hip": "hip_width", "right_hip": "hip_width",
    "left_knee": "leg", "right_knee": "leg", "left_ankle": "leg", "right_ankle": "leg",
    "left_foot": "foot", "right_foot": "foot",
    "spine1": "trunk", "spine2": "trunk", "spine3": "trunk", "neck": "trunk", "head": "trunk",
    "left_collar": "shoulder_width", "right_collar": "shoulder_width",
    "left_shoulder": "shoulder_width", "right_shoulder": "shoulder_width",
    "left_elbow": "arm", "right_elbow": "arm", "left_wrist": "arm", "right_wrist": "arm",
}

PROPORTION_KEYS: tuple[str, ...] = ("leg", "arm", "trunk", "foot", "hip_width", "shoulder_width")

#: Fraction of H from the ankle joint down to the sole (Winter: ankle height 0.039 H).
ANKLE_HEIGHT = 0.039
#: Heel and sole-under-the-ball points in the foot (ankle) segment frame, fractions of H.
#: Heel 0.04 H behind the ankle, ball 0.075 H ahead, toe tip 0.11 H ahead (foot length 0.152 H).
FOOT_POINTS: dict[str, tuple[float, float, float]] = {
    "heel": (0.0, -ANKLE_HEIGHT, -0.040),
    "ball": (0.0, -ANKLE_HEIGHT, 0.075),
    "toe": (0.0, -ANKLE_HEIGHT, 0.110),
}


def rest_offsets(height_m: float = 1.75, proportions: dict[str, float] | None = None,
                 skeleton: Skeleton = HUMANML3D_22) -> np.ndarray:
    """Rest-pose joint offsets from their parents, shape (22, 3), metres.

    Parameters
    ----------
    height_m : float
        Standing body height H in metres (0.5 … 2.5).
    proportions : dict, optional
        Multiplicative factors (default 1) for the groups ``leg``, ``arm``, ``trunk``, ``foot``,
        ``hip_width``, ``shoulder_width`` — individual limb proportions on top of the height scaling.
    """
    if skeleton != HUMANML3D_22:
        raise ValidationError(f"anthropometric offsets exist only for {HUMANML3D_22.name!r}, "
                              f"not {skeleton.name!r}")
    if not (np.isfinite(height_m) and 0.5 <= height_m <= 2.5):
        raise ValidationError(f"height_m must be within 0.5 … 2.5 m, got {height_m!r}")
    props = dict(proportions or {})
    for k, v in props.items():
        if k not in PROPORTION_KEYS:
            raise ValidationError(f"unknown proportion {k!r}", allowed=", ".join(PROPORTION_KEYS))
        if not (np.isfinite(v) and 0.5 <= v <= 1.5):
            raise ValidationError(f"proportion {k!r} must be within 0.5 … 1.5, got {v!r}")
    out = np.array([_REST_FRACTIONS[j] for j in skeleton.joints], dtype=float) * height_m
    for i, j in enumerate(skeleton.joints):
        group = _PROPORTION_GROUP.get(j)
        if group:
            out[i] *= props.get(group, 1.0)
    return out


def rest_pelvis_height(offsets: np.ndarray) -> float:
    """Height of the pelvis joint above the floor in the rest pose (m), for the given offsets."""
    J = HUMANML3D_22.index
    ankle_h = -offsets[J("left_foot"), 1] * ANKLE_HEIGHT / 0.033
    return float(-(offsets[J("left_hip"), 1] + offsets[J("left_knee"), 1] + offsets[J("left_ankle"), 1])
                 + ankle_h)


def foot_points(offsets: np.ndarray) -> dict[str, np.ndarray]:
    """Heel, ball and toe sole points in the foot segment frame (m), scaled like the foot."""
    scale = offsets[HUMANML3D_22.index("left_foot"), 1] / FOOT_JOINT[1]  # the height the foot is scaled by
    return {k: np.array(v) * scale for k, v in FOOT_POINTS.items()}
