"""Standing chores: the working hand strokes at the drawn rate over the stated distance, the feet stay put."""

import numpy as np
import pytest
from scipy.signal import find_peaks

from imuforge.motion.library import SLIDE_BOUND_STANCE_M, generate, motion_foot_sliding
from imuforge.motion.skeleton import HUMANML3D_22

WRIST = {"L": HUMANML3D_22.index("left_wrist"), "R": HUMANML3D_22.index("right_wrist")}
SHOULDER = {"L": HUMANML3D_22.index("left_shoulder"), "R": HUMANML3D_22.index("right_shoulder")}
#: fore-aft travel of the working hand relative to the pelvis (m, 90th percentile of a stroke's range),
#: as the module docstring states it
TRAVEL = {"vacuum_cleaning": (0.12, 0.36), "ironing": (0.08, 0.22)}


def _fore_aft(m, side, origin=0):
    """A wrist's position along its main horizontal direction, relative to joint ``origin`` (m)."""
    w = m.positions[:, WRIST[side], :] - m.positions[:, origin, :]
    h = w[:, [0, 2]] - w[:, [0, 2]].mean(axis=0)
    return h @ np.linalg.eigh(h.T @ h)[1][:, -1]


@pytest.mark.parametrize("name", ["vacuum_cleaning", "ironing"])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_hand_strokes_at_the_drawn_rate_over_the_stated_travel(name, seed):
    fps = 50.0
    m, contact = generate(name, 60.0, fps=fps, rng=seed, return_contact=True)
    info = m.meta["items"][0]["info"]
    x = _fore_aft(m, info["hand"])
    # one elbow swing per stroke: the swings counted in the bouts are the drawn rate (which wanders ± 15 %)
    t = np.arange(m.n_frames) / fps
    elbow = _elbow_deg(m, info["hand"])
    peaks, _ = find_peaks(elbow, prominence=5.0)
    busy = np.zeros(t.size, bool)
    for t0, t1 in info["bouts_s"]:
        busy |= (t >= t0) & (t <= t1)
    assert busy[peaks].sum() / (busy.sum() / fps) == pytest.approx(info["stroke_hz"], rel=0.15)
    if name == "vacuum_cleaning":  # pauses are pauses (ironing's turn the garment over)
        assert (~busy[peaks]).sum() / max((~busy).sum() / fps, 1.0) < 0.3 * info["stroke_hz"]
    from scipy.ndimage import maximum_filter1d, minimum_filter1d
    k = int(round(fps / info["stroke_hz"]))
    travel = np.percentile(maximum_filter1d(x, k) - minimum_filter1d(x, k), 90)
    lo, hi = TRAVEL[name]
    assert lo < travel < hi
    free = _elbow_deg(m, "L" if info["hand"] == "R" else "R")
    assert _spread(free[busy]) < 0.3 * _spread(elbow[busy])  # the free hand rests while the other strokes
    assert motion_foot_sliding(m, contact, threshold=0.3).max() < SLIDE_BOUND_STANCE_M


def _elbow_deg(m, side):
    n = "left" if side == "L" else "right"
    s, e, w = (m.positions[:, HUMANML3D_22.index(f"{n}_{j}")] for j in ("shoulder", "elbow", "wrist"))
    a, b = e - s, w - e
    return np.degrees(np.arccos(np.clip(np.sum(a * b, -1) / np.linalg.norm(a, axis=-1)
                                        / np.linalg.norm(b, axis=-1), -1, 1)))


def _spread(x):
    return np.percentile(x, 95) - np.percentile(x, 5)


def test_the_hand_parameter_picks_the_working_arm():
    for hand, side in (("left", "L"), ("right", "R")):
        m = generate("vacuum_cleaning", 20.0, fps=50.0, rng=4, hand=hand)
        assert m.meta["items"][0]["info"]["hand"] == side
        other = "R" if side == "L" else "L"
        assert _spread(_elbow_deg(m, side)) > 2 * _spread(_elbow_deg(m, other))
