"""A person: body size, limb proportions and movement style, sampled between people.

Between-person variability used by the procedural library:

* Stature: adult men 1.76 ± 0.07 m, women 1.63 ± 0.065 m (means and SDs close to the NCD-RisC
  2016 global estimates for adults born ~1996, eLife 5:e13410), clipped to 1.45 … 2.05 m.
* Limb proportions: ±3 % (1 SD) per group around the Drillis & Contini / Winter ratios.
* Style: arm-swing amplitude (×0.6 … 1.4), trunk lean (±4°), left/right asymmetry of joint
  amplitudes (±4 %), step width, toe-out (7 ± 4°), preferred walking speed 1.35 ± 0.15 m/s
  (Bohannon & Andrews 2011, Physiotherapy 97:182, comfortable gait speed ~1.3–1.4 m/s), handedness
  (≈ 90 % right-handed).
* Gait style: each joint angle of the gait curves gets a per-person offset and amplitude factor
  with the between-subject SDs of Kadaba et al. 1989 (see :mod:`imuforge.motion.library.gait`),
  drawn from ``gait_style_seed``.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion.skeleton import PROPORTION_KEYS, rest_offsets, rest_pelvis_height
from imuforge.switches import field_names


@functools.lru_cache(maxsize=1024)
def _offsets(height_m: float, proportions: tuple) -> np.ndarray:
    """:func:`rest_offsets`, computed once per body (the gait code asks for them many times per motion)."""
    return rest_offsets(height_m, dict(proportions))


#: Adult stature (m), mean and SD by sex (the module docstring's figures); half the people are men
STATURE_M = {"male": (1.76, 0.07), "female": (1.63, 0.065)}
#: the population's mean stature (m): where one height stands for everyone (a cadence read as a speed)
MEAN_HEIGHT_M = 0.5 * (STATURE_M["male"][0] + STATURE_M["female"][0])


@dataclass(frozen=True)
class Person:
    """Body and style parameters of one (virtual) person. Lengths in m, angles in degrees."""

    height_m: float = 1.75
    proportions: dict = field(default_factory=dict)
    handedness: str = "right"
    arm_swing: float = 1.0        # × normative arm-swing amplitude
    trunk_lean_deg: float = 2.0   # forward trunk lean while upright
    asymmetry: float = 0.0        # relative amplitude difference left vs right (+ → left larger)
    step_width_m: float = 0.10
    toe_out_deg: float = 7.0
    preferred_speed_mps: float = 1.35
    vigor: float = 1.0            # × amplitude of arm activities and sway
    gait_style_seed: int | None = None  # this person's deviations from the normative gait curves (None: mean)

    def __post_init__(self):
        if self.handedness not in ("left", "right"):
            raise ValidationError(f"handedness must be 'left' or 'right', got {self.handedness!r}")
        rest_offsets(self.height_m, self.proportions)  # validates height and proportions

    @property
    def offsets(self) -> np.ndarray:
        """Rest offsets (22, 3) in m for this person (see :func:`rest_offsets`); a fresh copy each time."""
        return _offsets(self.height_m, tuple(sorted(self.proportions.items()))).copy()

    @property
    def pelvis_height_m(self) -> float:
        return rest_pelvis_height(self.offsets)

    def to_dict(self) -> dict:
        """``dataclasses.asdict``: the fields in order, ``proportions`` a deep copy (the other values are
        immutable scalars, so only it needs the recursive copy asdict makes of everything)."""
        fields = {k: getattr(self, k) for k in field_names(Person)}
        return fields | {"proportions": copy.deepcopy(self.proportions)}

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Person:
        """A random adult (see the module docstring for the distributions)."""
        male = rng.random() < 0.5
        h = rng.normal(*STATURE_M["male" if male else "female"])
        props = {k: float(np.clip(rng.normal(1.0, 0.03), 0.9, 1.1)) for k in PROPORTION_KEYS}
        return cls(
            height_m=float(np.clip(h, 1.45, 2.05)),
            proportions=props,
            handedness="right" if rng.random() < 0.9 else "left",
            arm_swing=float(np.clip(rng.normal(1.0, 0.2), 0.6, 1.4)),
            trunk_lean_deg=float(np.clip(rng.normal(2.0, 2.0), -4.0, 8.0)),
            asymmetry=float(np.clip(rng.normal(0.0, 0.04), -0.1, 0.1)),
            step_width_m=float(np.clip(rng.normal(0.10, 0.03), 0.03, 0.2)),
            toe_out_deg=float(np.clip(rng.normal(7.0, 4.0), -3.0, 18.0)),
            preferred_speed_mps=float(np.clip(rng.normal(1.35, 0.15), 0.9, 1.8)),
            vigor=float(np.clip(rng.normal(1.0, 0.15), 0.6, 1.5)),
            # from the stature draw's bits: no extra draw, so the generator's later draws are unchanged
            gait_style_seed=int(np.float64(h).view(np.uint64) % np.uint64(2**31 - 1)),
        )
