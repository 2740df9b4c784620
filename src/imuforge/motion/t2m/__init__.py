"""Text-to-motion model backends. T2M-GPT (Zhang et al. 2023) in torch, from its published checkpoints.

:mod:`imuforge.motion.t2m.features` (numpy only) converts HumanML3D's 263-dimensional features to
joint positions and :class:`~imuforge.motion.Motion` and back; the model modules need torch
(``pip install 'imuforge[text]'``) and are imported only when used.
"""

from imuforge.motion.t2m.features import (
    canonical_positions,
    features_from_motion,
    features_from_positions,
    joints_from_features,
    motion_from_features,
)

__all__ = ["canonical_positions", "features_from_motion", "features_from_positions", "joints_from_features",
           "motion_from_features"]
