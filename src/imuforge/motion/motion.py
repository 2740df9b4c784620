"""`Motion`: global joint positions and segment orientations of one skeleton over time."""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from imuforge.errors import ValidationError, check_finite
from imuforge.motion.quat import norms as quat_norms
from imuforge.motion.skeleton import HUMANML3D_22, Skeleton
from imuforge.recording import LabelSegment, as_segments

MOTION_FORMAT = "imuforge-motion"
MOTION_VERSION = 1
#: the durations (s) a made motion may have: one second to an hour (`imuforge motion --seconds`, a duration a
#: description names, a --schedule item)
SECONDS_RANGE = (1.0, 3600.0)
#: the most frames one motion holds (seconds × fps: an hour at 100 Hz, about half a GB of joint data in
#: memory); a longer one does not fit (a day of walking asked the library for 750 GiB). The library's
#: schedule, the commands and the corpus spec take this bound
MAX_FRAMES = 360_000
#: the fewest frames a motion needs to be simulated: the sensors' quintic spline runs through six
#: (:mod:`imuforge.sensors.kinematics`); an importer refuses a shorter motion, which could only fail later
MIN_FRAMES = 6
#: what a motion shorter than :data:`MIN_FRAMES` is told
MIN_FRAMES_ALLOWED = f"{MIN_FRAMES} frames or more (the simulator's quintic spline runs through {MIN_FRAMES})"


class Motion:
    """Human motion sampled at ``fps``.

    Parameters
    ----------
    positions : array, shape (T, J, 3)
        Global joint positions in metres; world frame y up, right-handed.
    orientations : array, shape (T, J, 4)
        Global segment orientations as unit quaternions in scalar-last order ``(x, y, z, w)``
        (scipy's convention): the rotation from the segment frame to the world frame.
    fps : float
        Frame rate in Hz.
    skeleton : Skeleton
        Joint names and tree; default the 22-joint HumanML3D topology.
    labels : sequence of (start_s, end_s, label)
        Activity segments, times in seconds from frame 0.
    meta : dict
        JSON-serialisable parameters (generator, seed, body height …).
    """

    __slots__ = ("positions", "orientations", "fps", "skeleton", "labels", "meta")

    def __init__(self, positions, orientations, fps: float, skeleton: Skeleton = HUMANML3D_22, *,
                 labels=(), meta: dict[str, Any] | None = None):
        for name, arr in (("positions", positions), ("orientations", orientations)):
            if np.iscomplexobj(arr):  # numpy would drop the imaginary part with a warning
                raise ValidationError(f"{name} are complex numbers", allowed="real numbers")
        pos = np.array(positions, dtype=np.float64)
        quat = np.array(orientations, dtype=np.float64)
        J = skeleton.n_joints
        if pos.ndim != 3 or pos.shape[1:] != (J, 3):
            raise ValidationError(f"positions must have shape (T, {J}, 3), got {pos.shape}")
        if quat.ndim == 3 and quat.shape[1:] == (J, 4) and quat.shape[0] != pos.shape[0]:
            raise ValidationError(f"positions hold {pos.shape[0]} frames, orientations {quat.shape[0]}",
                                  allowed="as many orientation frames as position frames")
        if quat.shape != pos.shape[:2] + (4,):
            raise ValidationError(f"orientations must have shape (T, {J}, 4) quaternions (x, y, z, w), "
                                  f"got {quat.shape}")
        if pos.shape[0] < 2:
            raise ValidationError(f"a Motion needs at least 2 frames, got {pos.shape[0]}")
        try:  # a number, not text that looks like one (a header's "fps": "100")
            rate = float(fps) if not isinstance(fps, (str, bytes, bool)) else math.nan
        except (TypeError, ValueError):
            rate = math.nan
        if not (math.isfinite(rate) and rate > 0):
            raise ValidationError(f"fps must be a positive number, got {fps!r}",
                                  allowed="frames per second > 0")
        check_finite("positions", pos)
        check_finite("orientations", quat)
        norms = quat_norms(quat)  # np.linalg.norm(quat, axis=-1), in one compiled pass when built
        if np.any(np.abs(norms - 1.0) > 1e-6):
            i = np.unravel_index(np.argmax(np.abs(norms - 1.0)), norms.shape)
            raise ValidationError(f"orientation quaternion at frame {i[0]}, joint {skeleton.joints[i[1]]!r} "
                                  f"has norm {norms[i]:.6f}", allowed="unit quaternions (x, y, z, w)")
        self.positions = pos
        # renormalise only what needs it, so save → read round-trips bit-exactly
        self.orientations = quat if np.all(np.abs(norms - 1.0) < 1e-12) else quat / norms[..., None]
        self.fps = rate
        self.skeleton = skeleton
        self.labels: tuple[LabelSegment, ...] = as_segments(labels)
        end = (pos.shape[0] - 1) / rate + 1.0 / rate  # one frame's slack: a label may run to the frame's end
        for seg in self.labels:
            if not (-1e-9 <= seg.start_s <= seg.end_s <= end + 1e-9):
                raise ValidationError(f"label segment {seg.to_list()} is not within the motion's 0 … "
                                      f"{end - 1.0 / rate:.3f} s",
                                      allowed="[start_s, end_s, label], 0 ≤ start ≤ end ≤ the motion's end")
        self.meta = dict(meta or {})

    @property
    def n_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def duration_s(self) -> float:
        """Time from the first to the last frame (s)."""
        return (self.n_frames - 1) / self.fps

    @property
    def times(self) -> np.ndarray:
        """Frame times in seconds, starting at 0."""
        return np.arange(self.n_frames) / self.fps

    def __repr__(self) -> str:
        return (f"<Motion | {self.n_frames} frames at {self.fps:g} fps ({self.duration_s:.1f} s), "
                f"skeleton={self.skeleton.name}, labels={sorted({s.label for s in self.labels})}>")

    def __eq__(self, other) -> bool:
        if not isinstance(other, Motion):
            return NotImplemented
        return (self.skeleton == other.skeleton and self.fps == other.fps
                and np.array_equal(self.positions, other.positions)
                and np.array_equal(self.orientations, other.orientations)
                and self.labels == other.labels and self.meta == other.meta)

    __hash__ = None

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write ``.motion.npz``: arrays plus a JSON header (see docs/FORMATS.md). An existing file is
        replaced only with ``overwrite``, as :meth:`Recording.save` does (it was replaced without a word)."""
        path = Path(path)
        if path.exists() and not overwrite:
            from imuforge.errors import OutputExistsError

            raise OutputExistsError(f"{path} exists", allowed="a new path, or overwrite=True to replace it")
        header = {"format": MOTION_FORMAT, "version": MOTION_VERSION, "fps": self.fps,
                  "skeleton": self.skeleton.to_dict(), "labels": [s.to_list() for s in self.labels],
                  "meta": self.meta, "quaternion_order": "xyzw", "units": {"positions": "m"}}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, positions=self.positions, orientations=self.orientations,
                            header=np.array(json.dumps(header)))
        os.replace(tmp, path)
        return path


def read_motion(path: str | os.PathLike) -> Motion:
    """Read a Motion written by :meth:`Motion.save`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such motion file: {path}")
    try:
        z = np.load(path, allow_pickle=False)
        if isinstance(z, np.ndarray):  # a bare .npy array, e.g. text-to-motion joint positions
            raise ValidationError("this is a bare NumPy array, not an imuforge motion file", source=str(path),
                                  allowed="a .motion.npz; import (T, 22, 3) joint positions with "
                                  "`imuforge motion --from FILE.npy` / load_humanml3d")
        with z:
            if "header" not in z.files and {"poses", "trans"} <= set(z.files):  # AMASS / SMPL parameters
                raise ValidationError("an AMASS / SMPL archive (poses, trans: body-model parameters), not an "
                                      "imuforge motion file", source=str(path),
                                      allowed="joint positions: turn it into HumanML3D's (T, 22, 3) joints "
                                              "with the SMPL body model (HumanML3D's raw_pose_processing), "
                                              "then imuforge motion --from FILE.npy; or a .bvh, or a "
                                              ".motion.npz written by Motion.save")
            header = json.loads(str(z["header"]))
            positions, orientations = z["positions"], z["orientations"]
    except ValidationError:  # said above, as it is
        raise
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # damaged or cut
        why = "not a NumPy .npz archive" if "pickle" in str(exc) or "allow_pickle" in str(exc) else str(exc)
        raise ValidationError(f"not an imuforge motion file ({why})", source=str(path),
                              allowed="a .motion.npz written by Motion.save") from exc
    if header.get("format") != MOTION_FORMAT or header.get("version", 0) > MOTION_VERSION:
        raise ValidationError(f"unsupported motion format {header.get('format')!r} v{header.get('version')}",
                              source=str(path), allowed=f"{MOTION_FORMAT} v<={MOTION_VERSION}")
    try:
        return Motion(positions, orientations, header["fps"], Skeleton.from_dict(header["skeleton"]),
                      labels=header.get("labels", ()), meta=header.get("meta"))
    except ValidationError as exc:
        raise ValidationError(exc.what, source=str(path), allowed=exc.allowed) from None
