"""A Motion refuses what its file may hold but a body's motion cannot: complex numbers, labels outside it."""

import numpy as np
import pytest

from imuforge.errors import ValidationError
from imuforge.motion import Motion
from imuforge.motion.library import generate


def test_labels_outside_the_motion_and_complex_numbers_are_refused():
    """A header's labels [0, 300, walking] on a 3 s motion went into the recording as a 300 s label, and
    complex positions became real with a warning (session 58's audit)."""
    m = generate("standing", 3, fps=20, rng=1)
    end = (m.n_frames - 1) / m.fps
    assert Motion(m.positions, m.orientations, m.fps, m.skeleton, labels=[(0.0, end, "walking")]).labels
    assert Motion(m.positions, m.orientations, m.fps, m.skeleton, labels=[(0.0, end + 1 / m.fps, "walking")])
    for bad in ([(0.0, 300.0, "walking")], [(-1.0, 1.0, "walking")]):
        with pytest.raises(ValidationError, match="is not within the motion's"):
            Motion(m.positions, m.orientations, m.fps, m.skeleton, labels=bad)
    with pytest.raises(ValidationError, match="positions are complex numbers"):
        Motion(m.positions.astype(complex), m.orientations, m.fps, m.skeleton)
    with pytest.raises(ValidationError, match="orientations are complex numbers"):
        Motion(m.positions, m.orientations.astype(np.complex128), m.fps, m.skeleton)
