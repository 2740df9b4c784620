"""Quality gate for model-made motion: library motions pass, broken ones are rejected with a reason,
the library classifier recognises activities, and generate-until-N-accepted keeps its counts."""

import numpy as np
import pytest
import torch

from imuforge.motion import Motion
from imuforge.motion.kinematics import inverse_kinematics
from imuforge.motion.library import ACTIVITIES, generate
from imuforge.motion.t2m.checkpoint import load_models, write_random_weights
from imuforge.motion.t2m.features import FPS, features_from_motion, motion_from_features
from imuforge.motion.t2m.generate import T2MGPT, generate_accepted
from imuforge.motion.t2m.layout import GPTConfig, T2MConfig, VQConfig
from imuforge.motion.t2m.quality import PlausibilityLimits, judge, library_classifier, plausibility


def _as_model_output(activity, seconds, seed):
    """A library motion as a text-to-motion model would give it: through the 20 fps features."""
    m = generate(activity, seconds, fps=FPS, rng=seed)
    return motion_from_features(features_from_motion(m))


@pytest.mark.parametrize("activity", sorted(ACTIVITIES))
def test_every_library_activity_passes_plausibility(activity):
    kind = ACTIVITIES[activity].kind
    for seed in (7, 8):
        rep = plausibility(_as_model_output(activity, None if kind == "transition" else 6, seed))
        assert rep.accepted, (activity, seed, rep.reasons)


def test_library_classifier_ranks_the_true_activity_in_its_top_3():
    clf = library_classifier()
    hits = []
    for name, act in ACTIVITIES.items():
        m = _as_model_output(name, None if act.kind == "transition" else 6, 11)
        hits.append(name in clf.rank(m.positions, m.fps)[:3])
    assert np.mean(hits) >= 0.85, [n for n, h in zip(ACTIVITIES, hits) if not h]


def _with_positions(m, P):
    return Motion(P, inverse_kinematics(P), m.fps)


def test_broken_motions_are_rejected_with_their_reason():
    m = _as_model_output("standing", 5, 1)
    P = m.positions.copy()
    slide = P + np.linspace(0, 1, len(P))[:, None, None] * np.array([0.0, 0.0, 0.5])   # glides 0.5 m, feet planted
    rep = judge(_with_positions(m, slide), None)
    assert not rep.accepted and any(r.startswith("foot sliding") for r in rep.reasons)
    sunk = P - np.array([0.0, 0.15, 0.0])
    rep = judge(_with_positions(m, sunk), None)
    assert any(r.startswith("ground penetration 0.15") for r in rep.reasons)
    shaky = P + np.random.default_rng(0).normal(0, 0.03, P.shape)
    rep = judge(_with_positions(m, shaky), None)
    assert any(r.startswith("jerk p99") for r in rep.reasons)
    walk = _as_model_output("walking", 5, 2)
    rep = judge(walk, "sitting")
    assert rep.relevance == "mismatch" and rep.reasons == [f"looks like {', '.join(rep.ranked[:3])}, not sitting"]
    assert judge(walk, "walking").accepted and judge(walk, "walking").relevance == "ok"
    assert judge(walk, None).relevance == "unchecked"


class FakeText:
    dim = 8

    def __call__(self, texts):
        return torch.stack([torch.cos(torch.arange(8.0) * (2 + len(t))) for t in texts])


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("t2m-q")
    cfg = T2MConfig(VQConfig(nb_code=32, code_dim=16, width=16),
                    GPTConfig(num_vq=32, embed_dim=32, clip_dim=8, block_size=11, num_layers=2, n_head=4))
    write_random_weights(folder, cfg, seed=1)
    yield T2MGPT(load_models(folder), FakeText(), "cpu")
    torch.set_num_threads(n)


def test_generate_until_n_accepted(model):
    acc, rej = generate_accepted(model, ["a person stands still"], 3, seed=2, expected="standing", batch_size=2)
    assert len(acc) == 3 and all(a.motion is not None and a.report.accepted for a in acc)
    assert all(a.motion.labels[0].label == "standing" for a in acc)
    # impossible bounds: every sample is rejected, each with its reason, and the attempts are bounded
    strict = PlausibilityLimits(max_foot_slide_m=0.0)
    acc, rej = generate_accepted(model, ["a person stands still"], 2, seed=2, limits=strict, max_attempts=5)
    assert acc == [] and len(rej) == 5
    assert all(a.report.reasons[0].startswith("foot sliding") for a in rej)
    assert sorted(a.generated.index for a in rej) == [0, 1, 2, 3, 4]


def test_degenerate_model_output_is_rejected_not_raised():
    from imuforge.motion.t2m.generate import Generated

    class Degenerate:
        def generate(self, texts, *, seed, start, sampling, batch_size):
            return [Generated(t, seed, start + i, np.zeros(2, int), np.zeros((8, 263))) for i, t in enumerate(texts)]

    acc, rej = generate_accepted(Degenerate(), ["a person waves"], 1, max_attempts=2)
    assert acc == [] and len(rej) == 2
    assert rej[0].report.reasons[0].startswith("invalid joints: joint 'left_hip' coincides with its parent")
